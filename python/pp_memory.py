"""Memory: proportional set size (PSS) added per idle thread and per idle
process, from /proc/PID/smaps_rollup. PSS splits shared pages among their
sharers, so pages a forked child still shares copy-on-write count for half.

Threads: PSS of this process before and after K threads blocked on an Event.
Processes: the parent's PSS growth plus every child's PSS, K children blocked
on an Event, for the fork, forkserver and spawn start methods (the
forkserver itself is started before the baseline: a fixed cost, not one
per unit). Without a readable smaps_rollup: no rows, a note.

Rows (besides the common fields of pp_common.py):
    experiment    "memory"
    case          "threads" | "processes-fork" | "processes-forkserver" |
                  "processes-spawn"
    value         number, KiB of PSS added per idle unit
    value_unit    "kib"
    unit          "threads" | "processes"
    start_method  "thread" | "fork" | "forkserver" | "spawn"
    units         int, how many were alive at once
"""

import multiprocessing as mp
import threading
import time

from pp_common import JOIN_S, finish, pss_kib, row


def _idle(ready, stop):
    ready.put(1)
    stop.wait(JOIN_S * 3)


def threads(k):
    stop = threading.Event()
    before = pss_kib()
    ts = [threading.Thread(target=stop.wait, args=(JOIN_S * 3,), daemon=True) for _ in range(k)]
    for t in ts:
        t.start()
    time.sleep(0.05)
    after = pss_kib()
    stop.set()
    for t in ts:
        t.join(JOIN_S)
    return (after - before) / k


def processes(method, k):
    ctx = mp.get_context(method)
    stop = ctx.Event()
    ready = ctx.Queue()
    if method == "forkserver":
        finish_one = ctx.Process(target=_idle, args=(ready, stop))
        # Start the forkserver before the baseline: it is a fixed cost, not per unit.
        stop.set()
        finish_one.start()
        ready.get(timeout=JOIN_S * 3)
        finish(finish_one)
        stop.clear()
    before = pss_kib()
    ps = []
    try:
        for _ in range(k):
            p = ctx.Process(target=_idle, args=(ready, stop), daemon=True)
            p.start()
            ps.append(p)
        for _ in range(k):
            ready.get(timeout=JOIN_S * 3)
        time.sleep(0.05)
        children = [pss_kib(p.pid) for p in ps]
        if any(c is None for c in children):
            raise RuntimeError("a child's smaps_rollup could not be read")
        after = pss_kib()
        stop.set()
        for p in ps:
            p.join(JOIN_S)
    finally:
        stop.set()
        for p in ps:
            finish(p)
        ready.close()
        ready.join_thread()
    return (after - before + sum(children)) / k


def run(out, quick, cpus):
    if pss_kib() is None:
        out["notes"].append("memory: /proc/self/smaps_rollup is not readable here; PSS not measured")
        return
    k = 2 if quick else 6
    try:
        row(out, "memory", "threads", threads(k * 4), "kib", unit="threads", start_method="thread",
            units=k * 4)
    except Exception as e:
        out["notes"].append(f"memory threads failed: {e!r}")
    for method in ("fork", "forkserver", "spawn"):
        try:
            row(out, "memory", f"processes-{method}", processes(method, k), "kib",
                unit="processes", start_method=method, units=k)
        except Exception as e:
            out["notes"].append(f"memory processes-{method} failed: {e!r}")
