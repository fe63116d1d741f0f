#!/usr/bin/env bash
# The performance bar of issue 4 (a benchmark, not a test): pingpong's
# per-operation figures beside what Debian's own tools measure on this
# machine, pinned to one CPU and across two.
#
#   stress-ng --fork 1 / --vfork 1 / --pthread 1 --metrics   (creation rates)
#   stress-ng --switch 1 --switch-method pipe --metrics      (ns per switch)
#   perf bench sched pipe (processes, and -T threads)        (µs per round trip)
#
# Their rates are turned into times per operation (1e9 / ops per second, real
# time); ours are the means of `pingpong spawn` and `pingpong switch`, so both
# sides are averages. Ratio = ours / theirs; the goal is ≤ 1.10.
#
# Usage: bench/experiments.sh [seconds per stress-ng run, default 5]
# Env:   CPUS_ONE (default 0), CPUS_ALL (default 0,1), CARGO_TARGET_DIR.

set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-5}
ONE=${CPUS_ONE:-0}
ALL=${CPUS_ALL:-0,1}
TARGET=${CARGO_TARGET_DIR:-target}

need() {
    command -v "$1" >/dev/null 2>&1 && "$1" --version >/dev/null 2>&1 && return 0
    echo "installing $2…" >&2
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$2" >/dev/null; }
    else
        sudo apt-get install -y "$2" >/dev/null
    fi
}
need stress-ng stress-ng
need perf linux-perf

cargo build --release --quiet
PP="$TARGET/release/pingpong"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

stress() { # name cpus args… → ns per op (real time), from the YAML report
    local name=$1 cpus=$2
    shift 2
    taskset -c "$cpus" stress-ng "$@" --metrics -t "$SECS" --yaml "$OUT/$name.yaml" >/dev/null 2>&1
    python3 - "$OUT/$name.yaml" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"nanosecs-per-context-switch[^:]*:\s*([0-9.]+)", t)
if m:
    print(float(m.group(1)))
else:
    rate = float(re.search(r"bogo-ops-per-second-real-time:\s*([0-9.]+)", t).group(1))
    print(1e9 / rate)
EOF
}

perf_pipe() { # cpus [-T] → ns per round trip
    local cpus=$1
    shift
    taskset -c "$cpus" perf bench sched pipe -l 200000 "$@" 2>/dev/null |
        awk '/usecs\/op/ { print $1 * 1000 }'
}

row() { # label ours theirs
    python3 -c '
import sys
label, ours, theirs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
r = ours / theirs
verdict = "ok" if r <= 1.10 else "MISS"
print(f"{label:<58} {ours:>12.0f} {theirs:>12.0f} {r:>7.2f}  {verdict}")
' "$@"
}

field() { # json-file python-expression-over-results
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = d["results"]
print(eval(sys.argv[2]))
' "$@"
}

echo "machine: $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "stress-ng runs: ${SECS}s each; ours: pingpong spawn (means) and switch (medians of 3 interleaved repetitions)"
for cpus in "$ONE" "$ALL"; do
    echo
    echo "== CPUs $cpus =="
    taskset -c "$cpus" "$PP" spawn --heap 0 --iterations 2 --json "$OUT/spawn.json" >/dev/null
    taskset -c "$cpus" "$PP" switch --rounds 100000 --json "$OUT/switch.json" >/dev/null
    mean() { field "$OUT/spawn.json" "[x['total']['mean'] for x in r if x['method']=='$1'][0]"; }
    sw() { field "$OUT/switch.json" "[x['$3'] for x in r if x['unit']=='$1' and x['via']=='$2' and x['working_set_bytes']==0][0]"; }
    printf '%-58s %12s %12s %7s\n' "per operation, ns" "pingpong" "theirs" "ratio"
    row "fork+exit+wait  vs stress-ng --fork" "$(mean fork)" "$(stress fork "$cpus" --fork 1)"
    row "vfork+exit+wait vs stress-ng --vfork" "$(mean vfork)" "$(stress vfork "$cpus" --vfork 1)"
    row "pthread create+join vs stress-ng --pthread" "$(mean pthread)" "$(stress pthread "$cpus" --pthread 1)"
    row "switch, processes, pipe vs stress-ng --switch (per switch)" \
        "$(sw processes-fork pipe per_switch_ns)" "$(stress switch "$cpus" --switch 1 --switch-method pipe)"
    row "round trip, processes, pipe vs perf bench sched pipe" \
        "$(sw processes-fork pipe round_trip_ns)" "$(perf_pipe "$cpus")"
    row "round trip, threads, pipe vs perf bench sched pipe -T" \
        "$(sw threads pipe round_trip_ns)" "$(perf_pipe "$cpus" -T)"
done
echo
echo "pingpong switch always pins both players to one CPU (the first allowed); perf bench and stress-ng"
echo "under 'CPUs $ALL' may place them on two, so compare the switch rows on one CPU."
