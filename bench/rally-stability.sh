#!/usr/bin/env bash
# Stability of the rally claims (issue 13, a benchmark, not a test): the
# verdict's rally steps — both players pinned to one CPU, to two CPUs, the
# hosts rally against a `pingpong serve` on loopback, and `pingpong reach` —
# run N times with the arguments of src/verdict/plan.rs, each set judged by
# `pingpong verdict --from`. Prints the words of P11, A3, A4 and P7 per run,
# how many runs gave each claim's most frequent word (goal: ≥ 9 of 10), and
# the steps' wall time with the machine's load (the 1-minute load average at
# the start, and the CPUs busy meanwhile, ours included).
#
# Usage: bench/rally-stability.sh [N (10)] [default|quick]
# Environment: CARGO_TARGET_DIR (target), PORT (a free one) for the server,
# KEEP=1 keeps each run's documents and judged verdict (the path is printed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

N=${1:-10}
MODE=${2:-default}
P=${CARGO_TARGET_DIR:-target}/release/pingpong
cargo build --release --quiet
case "$MODE" in
    quick) DUR=30ms REPS=2 REACH=(--quick) VIA=pipe,tcp,spin,futex HOSTS_DUR=50ms ;;
    default) DUR=100ms REPS=3 REACH=() VIA=pipe,unix,tcp,spin,futex,shm-ring HOSTS_DUR=100ms ;;
    *) echo "mode: default or quick, not $MODE" >&2; exit 2 ;;
esac
# The first two CPUs allowed (the same one twice where only one is).
read -r A B < <(python3 -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[min(1, len(c) - 1)])')
RALLY=(run --between threads,processes --via "$VIA" --size 64 --duration "$DUR" --reps "$REPS" --warmup 200)
PORT=${PORT:-$((20000 + RANDOM % 20000))}

work=$(mktemp -d)
server=
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    if [ -n "${KEEP:-}" ]; then echo "documents kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

"$P" serve --listen "127.0.0.1:$PORT" --max-sessions 2 >/dev/null 2>&1 &
server=$!
sleep 0.3

printf '%-4s %-8s %-9s %-9s  %s\n' run seconds loadavg "busy CPUs" "P11 | A3 | A4 | P7"
for i in $(seq 1 "$N"); do
    d="$work/$i"
    mkdir -p "$d"
    t0=$(date +%s.%N)
    loadavg=$(cut -d' ' -f1 /proc/loadavg)
    read -r _ busy0 < <(awk '/^cpu /{print 0, $2+$3+$4+$7+$8+$9}' /proc/stat)
    "$P" "${RALLY[@]}" --same-cpu "$A" --json "$d/same.json" >/dev/null 2>&1 || true
    if [ "$A" != "$B" ]; then
        "$P" "${RALLY[@]}" --cpus "$A,$B" --json "$d/two.json" >/dev/null 2>&1 || true
    fi
    "$P" run --between hosts --peer "127.0.0.1:$PORT" --via tcp,udp --duration "$HOSTS_DUR" --reps 2 \
        --warmup 200 --timeout 10s --json "$d/hosts.json" >/dev/null 2>&1 || true
    "$P" reach "${REACH[@]}" --json "$d/reach.json" >/dev/null 2>&1 || true
    t1=$(date +%s.%N)
    read -r _ busy1 < <(awk '/^cpu /{print 0, $2+$3+$4+$7+$8+$9}' /proc/stat)
    python3 - "$d" "$P" <<'EOF'
import json, os, subprocess, sys
d, p = sys.argv[1], sys.argv[2]
steps = []
for name, f in [("rally.same-cpu", "same"), ("rally.two-cpus", "two"), ("hosts", "hosts"), ("reach", "reach")]:
    path = os.path.join(d, f + ".json")
    if os.path.exists(path):
        doc = json.load(open(path))
        steps.append({"name": name, "command": " ".join(["pingpong"] + doc["command"][1:]),
                      "others_cpus": None, "outcome": {"kind": "measured", "document": doc}})
    else:
        steps.append({"name": name, "command": "", "others_cpus": None,
                      "outcome": {"kind": "failed", "why": f"{f} gave no document"}})
head = next(s["outcome"]["document"] for s in steps if s["outcome"]["kind"] == "measured")
v = {k: head[k] for k in ("schema", "schema_version", "pingpong_version", "command", "started_unix", "machine")}
v.update(experiment="verdict", mode="rally-stability", lang="en", verdicts=[], evidence={"figures": {}, "demos": {}, "missing": {}}, demos={}, steps=steps)
json.dump(v, open(os.path.join(d, "verdict.json"), "w"))
subprocess.run([p, "verdict", "--from", os.path.join(d, "verdict.json"), "--json", os.path.join(d, "judged.json")],
               check=True, stdout=subprocess.DEVNULL)
judged = json.load(open(os.path.join(d, "judged.json")))
words = {v["id"]: v["judgement"]["word"] for v in judged["verdicts"]}
def word(w):
    return w["word"] + (f" ({w['on'].split(':')[0]})" if w["word"] == "depends" else "")
print(" | ".join(word(words[c]) for c in ["P11", "A3", "A4", "P7"]), file=open(os.path.join(d, "words"), "w"))
EOF
    secs=$(echo "$t1 - $t0" | bc)
    ticks=$(getconf CLK_TCK)
    load=$(echo "scale=2; ($busy1 - $busy0) / $ticks / $secs" | bc)
    printf '%-4s %-8.1f %-9s %-9s  %s\n' "$i" "$secs" "$loadavg" "$load" "$(cat "$d/words")"
done

echo
echo "agreement (the most frequent word of each claim, in how many runs):"
python3 - "$work" "$N" <<'EOF'
import collections, os, sys
work, n = sys.argv[1], int(sys.argv[2])
runs = [open(os.path.join(work, str(i), "words")).read().strip().split(" | ") for i in range(1, n + 1)]
for k, claim in enumerate(["P11", "A3", "A4", "P7"]):
    seen = collections.Counter(r[k] for r in runs)
    word, count = seen.most_common(1)[0]
    print(f"  {claim}: {word} in {count}/{n}" + ("" if len(seen) == 1 else f"   (also: {dict(seen)})"))
EOF
