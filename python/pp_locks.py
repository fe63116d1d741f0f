"""Locks: the low-level `_thread` module and the high-level `threading`
module both give locks, and both make a shared counter exact where an
unlocked one loses updates; and what a lock costs per operation.

1. Counter (kind "counter"): 2 threads (or --cpus, at most 4), let go
   together through a gate, each add 1 to a shared counter many times with
   a read, a gap and a write. The gap is time.sleep(0), which releases the
   GIL and yields the CPU, as any I/O between a read and its write would;
   sys.setswitchinterval(1e-6) (restored afterwards) makes switches
   frequent elsewhere too. A free-threaded build runs the threads at once
   anyway. Nothing is faked: the loss, if any, is counted, and each variant
   is run several times ("attempts"), every attempt reported.
   Variants ("api" + "lock"):
       "threading-lock"        threading.Thread, threading.Lock
       "thread-allocate-lock"  _thread.start_new_thread, _thread.allocate_lock
       "threading-none"        threading.Thread, no lock
       "thread-none"           _thread.start_new_thread, no lock
   Rows:
       experiment     "locks"
       case           "counter {variant}"
       kind           "counter"
       api            "threading" | "_thread"
       lock           "threading.Lock" | "_thread.allocate_lock" | "none"
       threads        int
       increments     int, per thread and attempt
       attempts       int
       expected       int, threads × increments (per attempt)
       totals         list of int, the counter at the end of each attempt
       lost_per_attempt  list of int, expected − total of each attempt
       lost           int, updates lost over all attempts
       lost_attempts  int, attempts that lost at least one update
       exact          bool, every attempt's total == expected
       value          int, lost
       value_unit     "updates"
       switch_interval_s  number, the switch interval used
       verified       bool for the locked variants (exact), null for the
                      unlocked ones (a loss there is the finding, not an error)

2. Cost (kind "cost"): ns per loop iteration of a counter increment, with
   no lock, inside `with threading.Lock()`, inside `with
   _thread.allocate_lock()`; 1 thread uncontended, and 2 threads contending
   for one lock (2 threads with no lock each count their own). Repetitions
   interleave the variants; the default switch interval.
   Rows:
       experiment     "locks"
       case           "cost {lock} {threads}", e.g. "cost threading-lock 1"
       kind           "cost"
       lock           "none" | "threading-lock" | "thread-allocate-lock"
       threads        1 | 2
       ops            int, increments per repetition (all threads together)
       value          number, ns per increment (wall ÷ ops), median of reps
       value_unit     "ns"
       low, high, reps, repetitions  as in pp_common.py
       overhead_ns    number or null: value minus the "none" value with the
                      same number of threads (the lock's cost per operation)
       lock_bytes     int or null: sys.getsizeof of one lock object
       verified       bool: the count came out exact (locked) or each
                      thread's own count was right (none)
"""

import _thread
import sys
import threading
import time

from pp_common import JOIN_S, median, row, row_reps


def gap():
    # Lets the other threads run between the read and the write, as any
    # I/O there would: time.sleep(0) releases the GIL and yields the CPU.
    time.sleep(0)


def counter(api, locked, k, n):
    box = [0]
    lock = None
    if locked:
        lock = threading.Lock() if api == "threading" else _thread.allocate_lock()

    # A gate, so the threads start counting together (an _thread lock,
    # which both APIs can use): held by the main thread until all started.
    gate = _thread.allocate_lock()
    gate.acquire()

    def work():
        gate.acquire()
        gate.release()
        if lock is None:
            for _ in range(n):
                v = box[0]
                gap()
                box[0] = v + 1
        else:
            for _ in range(n):
                with lock:
                    v = box[0]
                    gap()
                    box[0] = v + 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        if api == "threading":
            ts = [threading.Thread(target=work, daemon=True) for _ in range(k)]
            for t in ts:
                t.start()
            gate.release()
            for t in ts:
                t.join(JOIN_S)
            if any(t.is_alive() for t in ts):
                raise TimeoutError("a counting thread did not end")
        else:
            dones = []
            for _ in range(k):
                done = _thread.allocate_lock()
                done.acquire()

                def body(done=done):
                    try:
                        work()
                    finally:
                        done.release()

                _thread.start_new_thread(body, ())
                dones.append(done)
            gate.release()
            for done in dones:
                if not done.acquire(timeout=JOIN_S):
                    raise TimeoutError("a counting thread did not end")
    finally:
        if gate.locked():
            gate.release()
        sys.setswitchinterval(old)
    return box[0]


def cost_once(lock_kind, k, n):
    """ns per increment of n increments split over k threads."""
    lock = {"none": None, "threading-lock": threading.Lock(),
            "thread-allocate-lock": _thread.allocate_lock()}[lock_kind]
    shared = [0]
    own = [0] * k

    def work(j, m):
        if lock is None:
            x = 0
            for _ in range(m):
                x += 1
            own[j] = x
        else:
            for _ in range(m):
                with lock:
                    shared[0] += 1

    per = n // k
    if k == 1:
        t0 = time.perf_counter_ns()
        work(0, per)
        ns = time.perf_counter_ns() - t0
    else:
        ts = [threading.Thread(target=work, args=(j, per), daemon=True) for j in range(k)]
        t0 = time.perf_counter_ns()
        for t in ts:
            t.start()
        for t in ts:
            t.join(JOIN_S)
        ns = time.perf_counter_ns() - t0
    ok = all(x == per for x in own) if lock is None else shared[0] == per * k
    return ns / (per * k), ok


def run(out, quick, cpus):
    k = min(max(2, cpus), 4)
    n = 100 if quick else 400
    attempts = 2 if quick else 3
    for api, lock_name, locked, key in (
        ("threading", "threading.Lock", True, "threading-lock"),
        ("_thread", "_thread.allocate_lock", True, "thread-allocate-lock"),
        ("threading", "none", False, "threading-none"),
        ("_thread", "none", False, "thread-none"),
    ):
        try:
            expected = k * n
            totals = [counter(api, locked, k, n) for _ in range(attempts)]
            lost = [expected - t for t in totals]
            exact = all(x == 0 for x in lost)
            row(out, "locks", f"counter {key}", sum(lost), "updates", kind="counter",
                api=api, lock=lock_name, threads=k, increments=n, attempts=attempts,
                expected=expected, totals=totals, lost_per_attempt=lost, lost=sum(lost),
                lost_attempts=sum(1 for x in lost if x), exact=exact,
                switch_interval_s=1e-6, verified=exact if locked else None)
        except Exception as e:
            out["notes"].append(f"locks counter {key} failed: {e!r}")

    reps = 2 if quick else 4
    ops = 20_000 if quick else 100_000
    sizes = {"none": None, "threading-lock": sys.getsizeof(threading.Lock()),
             "thread-allocate-lock": sys.getsizeof(_thread.allocate_lock())}
    cases = [(lock, t) for t in (1, 2) for lock in ("none", "threading-lock", "thread-allocate-lock")]
    got = {c: {"ns": [], "ok": True} for c in cases}
    failed = set()
    for _ in range(reps):
        for c in cases:  # interleaved
            if c in failed:
                continue
            try:
                ns, ok = cost_once(c[0], c[1], ops)
                got[c]["ns"].append(ns)
                got[c]["ok"] &= ok
            except Exception as e:
                failed.add(c)
                out["notes"].append(f"locks cost {c[0]} {c[1]} failed: {e!r}")
    for lock, t in cases:
        g = got[(lock, t)]
        if (lock, t) in failed or not g["ns"]:
            continue
        base = got[("none", t)]["ns"]
        overhead = median(g["ns"]) - median(base) if base and ("none", t) not in failed else None
        row_reps(out, "locks", f"cost {lock} {t}", g["ns"], "ns", kind="cost", lock=lock,
                 threads=t, ops=ops, overhead_ns=overhead, lock_bytes=sizes[lock],
                 verified=g["ok"])
