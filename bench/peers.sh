#!/usr/bin/env bash
# pingpong against its peers, in one run, with the same placement:
#
#   pipe, 4-byte balls      perf bench sched pipe (-l N, processes; -T, threads)
#                           vs pingpong run --via pipe --size 4 --rounds N
#   tcp / udp, 16-byte balls  sockperf ping-pong --full-rtt (server + client: two processes)
#                           vs pingpong run --via tcp|udp --size 16 --between processes
#
# Each case runs REPS times, the tools interleaved (peer, ours, peer, ours…) so
# that drift in the machine's load hits both alike; the verdict compares the
# medians of the repetitions:
#   pipe:     ours (elapsed_ns / rounds, from the JSON) / perf (usecs/op) ≤ 1.05
#   tcp, udp: ours (median round trip) / sockperf (median round trip)  ≤ 1.10
#
# Placements (CPUs A=0 and B=1 unless CPU_A / CPU_B say otherwise):
#   same CPU  peer under `taskset -c A`; pingpong --same-cpu A (checked in the JSON)
#   free      peer under `taskset -c A,B`; pingpong with default placement, also
#             under `taskset -c A,B`, so both may use the same two CPUs
#   pinned    pipe: pingpong --cpus A,B, for information only (perf cannot pin
#             its two players apart); sockets: sockperf client on A, server on B
#             vs pingpong --cpus A,B (ping on A, pong on B), scored
#
# Usage (from anywhere; it works in the repository root):
#   bench/peers.sh
#   ROUNDS=200000 REPS=5 SOCK_TIME=3 bench/peers.sh
# Environment: ROUNDS (100000) round trips per pipe run; REPS (3) repetitions of
# each case, FREE_REPS (7) of those with free placement, which is bimodal (the
# scheduler puts both players on one CPU or on two); SOCK_TIME (5)
# seconds per socket run, both tools; PORT (random) sockperf's TCP port, UDP
# uses PORT+1; CPU_A/CPU_B (0/1); SKIP_INSTALL=1 skips apt-get.
# Writes the summary to bench/results/peers-latest.txt and the raw outputs to
# bench/results/peers-raw/ (neither is committed).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS=${ROUNDS:-100000}
REPS=${REPS:-3}
FREE_REPS=${FREE_REPS:-7}
SOCK_TIME=${SOCK_TIME:-5}
PORT=${PORT:-$((20000 + RANDOM % 20000))}
CPU_A=${CPU_A:-0}
CPU_B=${CPU_B:-1}
PIPE_LIMIT=1.05
SOCK_LIMIT=1.10
PP=./target/release/pingpong
RESULTS=bench/results
RAW=$RESULTS/peers-raw
SUMMARY=$RESULTS/peers-latest.txt

log() { printf '%s\n' "$*" >&2; }
die() { log "peers.sh: $*"; exit 1; }

# ---------------------------------------------------------------- set-up --

install_missing() {
    local missing=() sudo=()
    command -v perf >/dev/null 2>&1 || missing+=(linux-perf)
    command -v sockperf >/dev/null 2>&1 || missing+=(sockperf)
    command -v jq >/dev/null 2>&1 || missing+=(jq)
    command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
    ((${#missing[@]} == 0)) && return 0
    [[ ${SKIP_INSTALL:-0} == 1 ]] && die "missing: ${missing[*]} (SKIP_INSTALL=1)"
    ((EUID == 0)) || sudo=(sudo)
    log "installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >&2
}

install_missing
perf bench sched pipe -l 10 >/dev/null 2>&1 || die "'perf bench sched pipe' does not run (perf for this kernel?)"
log "building pingpong"
cargo build --release >&2
[[ -x $PP ]] || die "$PP was not built"
nproc_all=$(nproc --all)
((CPU_A < nproc_all && CPU_B < nproc_all)) || die "CPUs $CPU_A,$CPU_B: this machine has $nproc_all"

mkdir -p "$RAW"
rm -f "$RAW"/*
[[ -f $RESULTS/.gitignore ]] || printf '*\n!.gitignore\n' >"$RESULTS/.gitignore"

# sockperf servers left running by this script are stopped on any exit.
SERVER_PIDS=()
stop_servers() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    SERVER_PIDS=()
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------- helpers --

# median of the numbers given as arguments
median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1}
        END { if (NR == 0) print "nan";
              else if (NR % 2) printf "%.6g\n", v[(NR + 1) / 2];
              else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# perf bench sched pipe: ns per round trip (usecs/op × 1000; op = one loop =
# one round trip, total time / loops: the definition of ours).
run_perf() { # CPUS OUTFILE [-T]
    local cpus=$1 out=$2
    shift 2
    taskset -c "$cpus" perf bench sched pipe -l "$ROUNDS" "$@" >"$out" 2>&1
    awk '/usecs\/op/ { printf "%.1f\n", $1 * 1000 }' "$out"
}

# pingpong; prints the JSON path. Fails if the rally was not verified intact.
run_ours() { # OUTFILE TASKSET_CPUS ARGS...
    local json=$1 cpus=$2
    shift 2
    taskset -c "$cpus" "$PP" run --reps 1 --json "$json" "$@" >"${json%.json}.txt" 2>&1 ||
        die "pingpong failed, see ${json%.json}.txt"
    [[ $(jq -r '.measurements | length' "$json") == 1 ]] || die "$json: expected one measurement"
    [[ $(jq -r '.measurements[0].verification.ok' "$json") == true ]] ||
        die "$json: balls damaged or lost on the way: $(jq -c '.measurements[0].verification' "$json")"
}

ours_mean() { jq -r '.measurements[0] | .elapsed_ns / .rounds | . * 10 | round / 10' "$1"; }
ours_median() { jq -r '.measurements[0].latency.median' "$1"; }
ours_others() { jq -r '.measurements[0].load.others_cpus // "nan"' "$1"; }
# where the players ran: "pingCPUfirst/last pongCPUfirst/last"
ours_cpus() {
    jq -r '.measurements[0] | "\(.ping.cpu_first)/\(.ping.cpu_last) \(.pong.cpu_first)/\(.pong.cpu_last)"' "$1"
}

# --same-cpu A must have kept both players on CPU A from start to end.
check_same_cpu() { # JSON CPU
    [[ $(ours_cpus "$1") == "$2/$2 $2/$2" ]] || die "$1: --same-cpu $2 but the players ran on $(ours_cpus "$1")"
}
check_pinned() { # JSON PING_CPU PONG_CPU
    [[ $(ours_cpus "$1") == "$2/$2 $3/$3" ]] || die "$1: --cpus $2,$3 but the players ran on $(ours_cpus "$1")"
}

start_server() { # tcp|udp CPUS PORT
    local proto=$1 cpus=$2 port=$3 flag=() _
    [[ $proto == tcp ]] && flag=(--tcp)
    taskset -c "$cpus" sockperf server "${flag[@]}" -i 127.0.0.1 -p "$port" \
        >"$RAW/server-$proto-$port.log" 2>&1 &
    SERVER_PIDS+=($!)
    for _ in $(seq 50); do # until it listens (up to 5 s)
        if [[ $proto == tcp ]]; then
            ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
        else
            ss -Hlun "sport = :$port" 2>/dev/null | grep -q . && return 0
        fi
        kill -0 "${SERVER_PIDS[-1]}" 2>/dev/null || die "sockperf server did not start: $(cat "$RAW/server-$proto-$port.log")"
        sleep 0.1
    done
    die "sockperf server on port $port not listening after 5 s"
}

# sockperf ping-pong --full-rtt: its percentiles are round trips in µs (without
# --full-rtt they are half a round trip). Prints "median_ns avg_ns".
run_sockperf() { # tcp|udp CPUS PORT OUTFILE
    local proto=$1 cpus=$2 port=$3 out=$4 flag=()
    [[ $proto == tcp ]] && flag=(--tcp)
    taskset -c "$cpus" sockperf ping-pong "${flag[@]}" -i 127.0.0.1 -p "$port" \
        -m 16 -t "$SOCK_TIME" --full-rtt >"$out" 2>&1 || die "sockperf failed, see $out"
    grep -q 'dropped messages = 0;' "$out" || log "note: sockperf reported dropped messages in $out"
    awk '/percentile 50.000 =/ { m = $NF * 1000 }
         /avg-rtt=/ { sub(/.*avg-rtt=/, ""); a = $1 * 1000 }
         END { printf "%.1f %.1f\n", m, a }' "$out"
}

# ----------------------------------------------------------- the table --

ROWS=()
DETAILS=()
VERDICTS=()
fmt_row() { printf '%-20s %-16s %-22s %9s %9s %6s  %-7s %s' "$@"; }
# case placement peer peer_ns ours_ns limit|info detail
add_row() {
    local kase=$1 place=$2 peer=$3 peer_ns=$4 ours_ns=$5 limit=$6 detail=$7 ratio=- verdict=info
    if [[ $limit != info ]]; then
        ratio=$(awk -v o="$ours_ns" -v p="$peer_ns" 'BEGIN { printf "%.3f", o / p }')
        verdict=$(awk -v r="$ratio" -v l="$limit" 'BEGIN { print (r <= l) ? "PASS" : "FAIL" }')
        VERDICTS+=("$verdict")
        limit="≤$limit"
    else
        limit=""
    fi
    [[ $peer_ns == - ]] || peer_ns=$(awk -v v="$peer_ns" 'BEGIN { printf "%.0f", v }')
    ours_ns=$(awk -v v="$ours_ns" 'BEGIN { printf "%.0f", v }')
    ROWS+=("$(fmt_row "$kase" "$place" "$peer" "$peer_ns" "$ours_ns" "$ratio" "$verdict" "$limit")")
    DETAILS+=("$kase, $place: $detail")
    log "  => ${ROWS[-1]}"
    log "     $detail"
}

START_LOAD=$(loadavg)
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
log "load average at start: $START_LOAD"

# ------------------------------------------------ pipe vs perf bench --

# $1 unit (processes|threads); perf's mode flag follows from it.
pipe_cases() {
    local unit=$1 tflag=() r p o
    [[ $unit == threads ]] && tflag=(-T)
    local -a perf_same=() ours_same=() perf_free=() ours_free=() ours_pin=() \
        load_same=() load_free=() load_pin=() where_free=()
    local n=$((REPS > FREE_REPS ? REPS : FREE_REPS))
    for r in $(seq "$n"); do
        log "pipe $unit, repetition $r/$n"
        # (b) across CPUs, free
        if ((r <= FREE_REPS)); then
            p=$(run_perf "$CPU_A,$CPU_B" "$RAW/perf-$unit-free-$r.txt" "${tflag[@]}")
            o=$RAW/ours-pipe-$unit-free-$r.json
            run_ours "$o" "$CPU_A,$CPU_B" --via pipe --size 4 --rounds "$ROUNDS" --warmup 1000 \
                --between "$unit"
            perf_free+=("$p") ours_free+=("$(ours_mean "$o")") load_free+=("$(ours_others "$o")")
            where_free+=("$(ours_cpus "$o" | tr ' ' ',')")
        fi
        ((r <= REPS)) || continue
        # (a) one CPU
        p=$(run_perf "$CPU_A" "$RAW/perf-$unit-same-$r.txt" "${tflag[@]}")
        o=$RAW/ours-pipe-$unit-same-$r.json
        run_ours "$o" "$CPU_A,$CPU_B" --via pipe --size 4 --rounds "$ROUNDS" --warmup 1000 \
            --between "$unit" --same-cpu "$CPU_A"
        check_same_cpu "$o" "$CPU_A"
        perf_same+=("$p") ours_same+=("$(ours_mean "$o")") load_same+=("$(ours_others "$o")")
        # (b') pinned apart, for information
        o=$RAW/ours-pipe-$unit-pinned-$r.json
        run_ours "$o" "$CPU_A,$CPU_B" --via pipe --size 4 --rounds "$ROUNDS" --warmup 1000 \
            --between "$unit" --cpus "$CPU_A,$CPU_B"
        check_pinned "$o" "$CPU_A" "$CPU_B"
        ours_pin+=("$(ours_mean "$o")") load_pin+=("$(ours_others "$o")")
    done
    local peer="perf sched pipe${tflag[*]:+ -T}"
    add_row "pipe 4B $unit" "same CPU $CPU_A" "$peer" "$(median "${perf_same[@]}")" \
        "$(median "${ours_same[@]}")" "$PIPE_LIMIT" \
        "perf ${perf_same[*]} | ours ${ours_same[*]} | others' load (CPUs) $(median "${load_same[@]}")"
    add_row "pipe 4B $unit" "free on $CPU_A,$CPU_B" "$peer" "$(median "${perf_free[@]}")" \
        "$(median "${ours_free[@]}")" "$PIPE_LIMIT" \
        "perf ${perf_free[*]} | ours ${ours_free[*]} | ours ran on (ping first/last,pong first/last) ${where_free[*]} | others' load $(median "${load_free[@]}")"
    add_row "pipe 4B $unit" "ours pinned $CPU_A,$CPU_B" "-" "-" \
        "$(median "${ours_pin[@]}")" info \
        "ours ${ours_pin[*]} | others' load $(median "${load_pin[@]}")"
}

pipe_cases processes
pipe_cases threads

# ------------------------------------------- tcp, udp vs sockperf --

# $1 proto, $2 placement name, $3 sockperf client CPUs, $4 server CPUs,
# $5... pingpong placement flags
sock_case() {
    local proto=$1 place=$2 ccpus=$3 scpus=$4 port r s o
    shift 4
    port=$PORT
    [[ $proto == udp ]] && port=$((PORT + 1))
    start_server "$proto" "$scpus" "$port"
    local -a peer_med=() peer_avg=() ours_med=() ours_mn=() load=() where=()
    local n=$REPS
    [[ $place == free* ]] && n=$FREE_REPS
    for r in $(seq "$n"); do
        log "$proto $place, repetition $r/$n"
        s=$(run_sockperf "$proto" "$ccpus" "$port" "$RAW/sockperf-$proto-${place// /_}-$r.txt")
        peer_med+=("${s% *}") peer_avg+=("${s#* }")
        o=$RAW/ours-$proto-${place// /_}-$r.json
        # --batch 1: every round trip is one sample, as in sockperf, so that
        # the two medians are medians of the same thing.
        run_ours "$o" "$CPU_A,$CPU_B" --via "$proto" --size 16 --duration "${SOCK_TIME}s" \
            --warmup 1000 --batch 1 --between processes "$@"
        case $place in
            same*) check_same_cpu "$o" "$CPU_A" ;;
            pinned*) check_pinned "$o" "$CPU_A" "$CPU_B" ;;
        esac
        ours_med+=("$(ours_median "$o")") ours_mn+=("$(ours_mean "$o")") load+=("$(ours_others "$o")")
        where+=("$(ours_cpus "$o" | tr ' ' ',')")
    done
    stop_servers
    add_row "$proto 16B processes" "$place" "sockperf ping-pong" "$(median "${peer_med[@]}")" \
        "$(median "${ours_med[@]}")" "$SOCK_LIMIT" \
        "sockperf ${peer_med[*]} (avg ${peer_avg[*]}) | ours ${ours_med[*]} (mean ${ours_mn[*]})${where[*]:+ | ours ran on ${where[*]}} | others' load $(median "${load[@]}")"
}

for proto in tcp udp; do
    sock_case "$proto" "same CPU $CPU_A" "$CPU_A" "$CPU_A" --same-cpu "$CPU_A"
    sock_case "$proto" "free on $CPU_A,$CPU_B" "$CPU_A,$CPU_B" "$CPU_A,$CPU_B"
    sock_case "$proto" "pinned $CPU_A,$CPU_B" "$CPU_A" "$CPU_B" --cpus "$CPU_A,$CPU_B"
done

# ------------------------------------------------------------ summary --

END_LOAD=$(loadavg)
fails=0
for v in "${VERDICTS[@]}"; do [[ $v == FAIL ]] && fails=$((fails + 1)); done
{
    echo "pingpong vs peers — $STARTED, $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '+dirty')"
    echo "machine: $(nproc) CPUs, $(uname -sr), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
    echo "settings: ROUNDS=$ROUNDS REPS=$REPS FREE_REPS=$FREE_REPS SOCK_TIME=${SOCK_TIME}s, peers: $(perf --version 2>/dev/null), $(sockperf --version 2>/dev/null | head -1 | sed 's/^sockperf, //')"
    echo "load average: start $START_LOAD, end $END_LOAD"
    echo
    fmt_row case placement peer "peer ns" "ours ns" ratio verdict limit
    echo
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "pipe rows: mean round trip (perf's usecs/op; ours elapsed_ns / rounds), $ROUNDS round trips."
    echo "socket rows: median round trip (sockperf --full-rtt percentile 50.000, i.e. 2x its one-way"
    echo "  median; ours latency.median with --batch 1), ${SOCK_TIME} s each."
    echo "Each figure: median of the repetitions ($REPS; $FREE_REPS for free placement), tools interleaved."
    echo "Free placement is the scheduler's choice: both players on one CPU (~2.5 us for a pipe here) or"
    echo "on two (~20 us on this VM, where a halted vCPU must be woken); the per-repetition figures show which."
    echo
    echo "per repetition, ns (others' load: CPUs busy with other processes during our run, pingpong's measure):"
    printf '  %s\n' "${DETAILS[@]}"
    echo
    if awk -v a="${START_LOAD%% *}" -v b="${END_LOAD%% *}" -v n="$(nproc)" \
        'BEGIN { exit !(a >= n / 2 || b >= n / 2) }'; then
        echo "note: the machine was busy (1-minute load average ≥ half its CPUs at start or end):"
        echo "  other processes share the CPUs and perturb both tools; rerun when it is idle before trusting a FAIL."
    fi
    echo "result: $((${#VERDICTS[@]} - fails)) PASS, $fails FAIL"
} | tee "$SUMMARY"
log "written to $SUMMARY; raw outputs in $RAW/"
((fails == 0))
