#!/usr/bin/env bash
# pingpong's MPI rally against the MPI ping-pongs people use, in one run, on
# this machine, with the same mpirun line (so the same placement) for all:
#
#   NetPIPE        NPopenmpi -l S -u S -p 0 -n N (Debian netpipe-openmpi):
#                  round trip = 2 × its one-way time, from its Mbps column
#   mpi4py         bench/mpi_pingpong.py S N: Send/Recv on a preallocated
#                  buffer (no pickling), median of batched round trips
#   pingpong       pingpong run --between ranks --size S --rounds N (built
#                  with --features mpi): the median round trip
#
# for 8-byte and 1 MiB balls. Each case runs REPS times, the tools interleaved
# (NetPIPE, mpi4py, ours, NetPIPE…), so drift in the machine's load hits all
# alike. Score: the median of ours over the repetitions ÷ the fastest peer's
# median, goal ≤ 1.10.
#
# What the figures are: NetPIPE reports the best of its trials' mean round
# trips; mpi4py and pingpong report medians of timed samples. A median is
# never below the best mean by much on a quiet machine; where it is above,
# that is the tools' own spread (see the raw outputs).
#
# Usage (from anywhere): bench/mpi.sh
#   REPS=5 ROUNDS_SMALL=200000 ROUNDS_LARGE=5000 bench/mpi.sh
# Environment: REPS (5); ROUNDS_SMALL (100000) round trips with 8 B balls;
# ROUNDS_LARGE (2000) with 1 MiB; BIND (core) mpirun's --bind-to for all three;
# PY (/usr/bin/python3, Debian's, where python3-mpi4py installs);
# SKIP_INSTALL=1 skips apt-get.
# Writes the summary to bench/results/mpi-latest.txt and the raw outputs to
# bench/results/mpi-raw/ (neither is committed).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

REPS=${REPS:-5}
ROUNDS_SMALL=${ROUNDS_SMALL:-100000}
ROUNDS_LARGE=${ROUNDS_LARGE:-2000}
BIND=${BIND:-core}
PY=${PY:-/usr/bin/python3}
LIMIT=1.10
PP=./target/release/pingpong
RESULTS=bench/results
RAW=$RESULTS/mpi-raw
SUMMARY=$RESULTS/mpi-latest.txt

log() { printf '%s\n' "$*" >&2; }
die() { log "mpi.sh: $*"; exit 1; }

install_missing() {
    local missing=() sudo=()
    command -v mpirun >/dev/null 2>&1 || missing+=(openmpi-bin libopenmpi-dev)
    [[ -e /usr/lib/x86_64-linux-gnu/libclang-14.so.1 || -e /usr/lib/llvm-14/lib/libclang.so.1 ]] ||
        missing+=(libclang1-14 libclang-common-14-dev)
    command -v NPopenmpi >/dev/null 2>&1 || missing+=(netpipe-openmpi)
    "$PY" -c 'import mpi4py' >/dev/null 2>&1 || missing+=(python3-mpi4py)
    command -v jq >/dev/null 2>&1 || missing+=(jq)
    ((${#missing[@]} == 0)) && return 0
    [[ ${SKIP_INSTALL:-0} == 1 ]] && die "missing: ${missing[*]} (SKIP_INSTALL=1)"
    ((EUID == 0)) || sudo=(sudo)
    log "installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >&2
}

install_missing
"$PY" -c 'import mpi4py' 2>/dev/null || die "$PY cannot import mpi4py (set PY to a python3 that can)"
log "building pingpong with MPI"
cargo build --release --features mpi >&2
[[ -x $PP ]] || die "$PP was not built"

if ((EUID == 0)); then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Open MPI's session files and shared-memory segments go to a directory of
# this script's, removed on exit.
WORK=$(mktemp -d /dev/shm/pingpong-mpi-bench.XXXXXX 2>/dev/null || mktemp -d)
export OMPI_MCA_orte_tmpdir_base=$WORK OMPI_MCA_btl_vader_backing_directory=$WORK
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

MPIRUN=(mpirun -np 2 --oversubscribe --bind-to "$BIND" --map-by core --quiet)

mkdir -p "$RAW"
rm -f "$RAW"/*
[[ -f $RESULTS/.gitignore ]] || printf '*\n!.gitignore\n' >"$RESULTS/.gitignore"

median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1}
        END { if (NR == 0) print "nan";
              else if (NR % 2) printf "%.6g\n", v[(NR + 1) / 2];
              else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# NetPIPE: ns per round trip = 2 × bytes × 8 / (Mbps × 1e6) s.
run_netpipe() { # SIZE ROUNDS OUT
    "${MPIRUN[@]}" NPopenmpi -l "$1" -u "$1" -p 0 -n "$2" -o "$3" >"$3.log" 2>&1 ||
        die "NetPIPE failed, see $3.log"
    awk -v s="$1" '$1 == s { printf "%.1f\n", 2 * s * 8 / ($2 * 1e6) * 1e9 }' "$3"
}

run_mpi4py() { # SIZE ROUNDS OUT
    "${MPIRUN[@]}" "$PY" bench/mpi_pingpong.py "$1" "$2" >"$3" 2>"$3.log" ||
        die "mpi4py failed, see $3.log"
    jq -r '.median_ns' "$3"
}

run_ours() { # SIZE ROUNDS OUT
    "${MPIRUN[@]}" "$PP" run --between ranks --size "$1" --rounds "$2" --reps 1 --json "$3" \
        >"$3.txt" 2>&1 || die "pingpong failed, see $3.txt"
    [[ $(jq -r '.measurements[0].verification.ok' "$3") == true ]] ||
        die "$3: balls damaged or lost: $(jq -c '.measurements[0].verification' "$3")"
    jq -r '.measurements[0].latency.median' "$3"
}

# where our ranks ran, as "ping CPU first/last, pong CPU first/last"
ours_cpus() {
    jq -r '.measurements[0] | "ping \(.ping.cpu_first)/\(.ping.cpu_last), pong \(.pong.cpu_first)/\(.pong.cpu_last)"' "$1"
}

{
    echo "# pingpong MPI rally vs NetPIPE and mpi4py — $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "MPI: $(mpirun --version 2>/dev/null | head -1); mpi4py $("$PY" -c 'import mpi4py; print(mpi4py.__version__)')"
    echo "mpirun line (all three): ${MPIRUN[*]}"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "repetitions: $REPS, interleaved; round trips: $ROUNDS_SMALL (8 B), $ROUNDS_LARGE (1 MiB)"
    echo
} | tee "$SUMMARY"

status=0
for size in 8 1048576; do
    if ((size == 8)); then rounds=$ROUNDS_SMALL; label="8 B"; else rounds=$ROUNDS_LARGE; label="1 MiB"; fi
    np=() py=() ours=() cpus=""
    for rep in $(seq 1 "$REPS"); do
        log "$label, repetition $rep/$REPS"
        np+=("$(run_netpipe "$size" "$rounds" "$RAW/netpipe-$size-$rep.out")")
        py+=("$(run_mpi4py "$size" "$rounds" "$RAW/mpi4py-$size-$rep.json")")
        ours+=("$(run_ours "$size" "$rounds" "$RAW/ours-$size-$rep.json")")
        cpus+=" [$(ours_cpus "$RAW/ours-$size-$rep.json")]"
    done
    m_np=$(median "${np[@]}")
    m_py=$(median "${py[@]}")
    m_ours=$(median "${ours[@]}")
    best=$(printf '%s\n' "$m_np" "$m_py" | sort -g | head -1)
    ratio=$(awk -v a="$m_ours" -v b="$best" 'BEGIN { printf "%.3f", a / b }')
    verdict=$(awk -v r="$ratio" -v l="$LIMIT" 'BEGIN { print (r <= l) ? "PASS" : "FAIL" }')
    [[ $verdict == PASS ]] || status=1
    {
        echo "## $label round trip (ns)"
        echo "  NetPIPE   ${np[*]}  → median $m_np"
        echo "  mpi4py    ${py[*]}  → median $m_py"
        echo "  pingpong  ${ours[*]}  → median $m_ours"
        echo "  our ranks ran on:$cpus"
        echo "  pingpong ÷ fastest peer ($best ns) = $ratio (goal ≤ $LIMIT): $verdict"
        echo
    } | tee -a "$SUMMARY"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$SUMMARY"
exit $status
