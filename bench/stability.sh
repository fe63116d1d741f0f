#!/usr/bin/env bash
# bench/stability.sh — is the verdict stable? The same machine must give the
# same words run after run.
#
#   1. N default verdicts (separate runs, as a user would) on a quiet machine:
#      every claim must give the same word in at least N-1 of N runs.
#   2. M runs beside a CPU hog (`stress-ng --cpu 1`, or a shell busy loop
#      where stress-ng is missing): each claim must either keep its quiet
#      word or say "depends on the machine's load" in every run.
#
# Prints the agreement table and each run's time and load; exits 1 when a
# goal is missed. A benchmark, not a test: it takes N+M verdicts (about a
# minute each on 2 cores).
#
#   bash bench/stability.sh            # N=10, M=5, default verdicts
#   RUNS=5 LOADED=3 MODE=--quick bash bench/stability.sh
#   KEEP=/tmp/verdicts bash bench/stability.sh   # keep every run's document
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-10}
LOADED=${LOADED:-5}
MODE=${MODE:-}

cargo build --release --quiet
bin=$(pwd)/target/release/pingpong
out=$(mktemp -d "${TMPDIR:-/tmp}/pingpong-stability-XXXXXX")
hog=""
cleanup() {
  [ -n "$hog" ] && kill "$hog" 2>/dev/null && wait "$hog" 2>/dev/null
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$out"/*.json "$KEEP"/ 2>/dev/null || true; fi
  rm -rf "$out"
}
trap cleanup EXIT INT TERM

verdict() { # $1: file stem
  local t0 t1
  t0=$(date +%s%N)
  "$bin" verdict $MODE --json "$out/$1.json" >/dev/null 2>"$out/$1.err" || {
    echo "verdict $1 failed:" >&2
    cat "$out/$1.err" >&2
    exit 1
  }
  t1=$(date +%s%N)
  printf '%s %d.%d s (1-minute load average after: %s)\n' "$1" $(((t1 - t0) / 1000000000)) \
    $((((t1 - t0) / 100000000) % 10)) "$(cut -d' ' -f1 /proc/loadavg)"
}

echo "== $RUNS verdicts on a quiet machine ${MODE:+($MODE)}"
for i in $(seq 1 "$RUNS"); do verdict "quiet-$i"; done

echo "== $LOADED verdicts beside a CPU hog"
if command -v stress-ng >/dev/null 2>&1; then
  stress-ng --cpu 1 --quiet &
else
  echo "(stress-ng not found: a shell busy loop stands in for it)"
  bash -c 'while :; do :; done' &
fi
hog=$!
sleep 1
for i in $(seq 1 "$LOADED"); do verdict "loaded-$i"; done
kill "$hog" 2>/dev/null || true
wait "$hog" 2>/dev/null || true
hog=""

python3 - "$out" "$RUNS" "$LOADED" <<'EOF'
import json, sys, collections, os
out, runs, loaded = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def words(stem, n):
    got = collections.defaultdict(list)
    for i in range(1, n + 1):
        doc = json.load(open(os.path.join(out, f"{stem}-{i}.json")))
        for v in doc["verdicts"]:
            w = v["judgement"]["word"]
            on = w.get("on", "")
            got[v["id"]].append((w["word"], on))
    return got

quiet, busy = words("quiet", runs), words("loaded", loaded)
ok_all = True
print(f"\n{'claim':6} {'quiet (' + str(runs) + ' runs)':34} {'beside a CPU hog (' + str(loaded) + ' runs)':40} ok")
for cid in quiet:
    q = collections.Counter(w for w, _ in quiet[cid])
    modal, n = q.most_common(1)[0]
    stable = n >= runs - 1
    def kept(w, on):
        return w == modal or (w == "depends" and "load" in on)
    under_load = all(kept(w, on) for w, on in busy[cid])
    ok = stable and under_load
    ok_all &= ok
    b = collections.Counter(
        ("depends on load" if (w == "depends" and "load" in on) else w) for w, on in busy[cid])
    fmt = lambda c: ", ".join(f"{w} {k}" for w, k in c.most_common())
    print(f"{cid:6} {fmt(q):34} {fmt(b):40} {'yes' if ok else 'NO'}")
print("\nevery claim stable" if ok_all else "\nSOME CLAIMS ARE NOT STABLE")
sys.exit(0 if ok_all else 1)
EOF
