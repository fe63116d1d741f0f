"""Spawn: the cost of starting and ending one unit that does nothing.

Cases ("case" and "method" below):
    "thread"         threading.Thread start + join
    "fork"           os.fork + os._exit(0) in the child + waitpid
    "mp-fork"        multiprocessing.Process (start method "fork") start + join
    "mp-forkserver"  multiprocessing.Process ("forkserver") start + join; the
                     forkserver itself is started by a warm-up, outside the
                     timing
    "mp-spawn"       multiprocessing.Process ("spawn": a fresh interpreter
                     that re-imports the program) start + join
    "subprocess"     subprocess.run(["/bin/true"]): fork + exec of a tiny
                     program

Repetitions interleave the cases (rep 1: thread, fork, …, subprocess; rep
2: …). Each repetition times a batch of start+join one at a time and keeps
the batch's median; value is the median of those repetition medians.

Rows (besides the common fields of pp_common.py):
    experiment   "spawn"
    case         one of the cases above
    method       the same string as case
    description  string, what was timed, in words
    value        number, ns per start + join (median of "reps")
    value_unit   "ns"
    low, high    number, ns: smallest and largest repetition median
    reps         list of number, ns
    repetitions  int
    per_rep      int, start+joins timed in each repetition
    unit         "threads" | "processes"
    verified     bool: every unit ran and ended with exit code 0 (threads:
                 ended within the deadline)
"""

import multiprocessing as mp
import os
import subprocess
import threading
import time

from pp_common import JOIN_S, finish, median, reap_pid, row_reps


def _nothing():
    pass


def thread_once():
    t = threading.Thread(target=_nothing)
    t.start()
    t.join(JOIN_S)
    return not t.is_alive()


def fork_once():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    return os.waitstatus_to_exitcode(reap_pid(pid)) == 0


def mp_once(ctx):
    p = ctx.Process(target=_nothing)
    p.start()
    p.join(JOIN_S)
    ok = p.exitcode == 0
    finish(p)
    return ok


def true_once():
    return subprocess.run(["/bin/true"], timeout=JOIN_S).returncode == 0


def run(out, quick, cpus):
    reps = 2 if quick else 4
    fast, mid, slow = (10, 3, 1) if quick else (60, 10, 3)
    cases = [
        ("thread", "threads", "threading.Thread start + join", thread_once, fast),
        ("fork", "processes", "os.fork + os._exit + waitpid", fork_once, fast),
        ("mp-fork", "processes", "multiprocessing.Process (fork) start + join",
         lambda: mp_once(mp.get_context("fork")), mid),
        ("mp-forkserver", "processes", "multiprocessing.Process (forkserver) start + join",
         lambda: mp_once(mp.get_context("forkserver")), mid),
        ("mp-spawn", "processes", "multiprocessing.Process (spawn) start + join",
         lambda: mp_once(mp.get_context("spawn")), slow),
        ("subprocess", "processes", "subprocess.run(['/bin/true'])", true_once, mid),
    ]
    live = []
    for case in cases:
        try:
            if case[0] != "mp-spawn":  # each spawn is a fresh interpreter anyway
                case[3]()  # warm-up: imports, the forkserver itself
            live.append(case)
        except Exception as e:
            out["notes"].append(f"spawn {case[0]} failed: {e!r}")
    got = {c[0]: ([], True) for c in live}
    for _ in range(reps):
        for key, _, _, once, n in live:  # interleaved
            if key not in got:
                continue
            try:
                times = []
                ok = True
                for _ in range(n):
                    t0 = time.perf_counter_ns()
                    ok &= bool(once())
                    times.append(time.perf_counter_ns() - t0)
                got[key][0].append(median(times))
                got[key] = (got[key][0], got[key][1] and ok)
            except Exception as e:
                out["notes"].append(f"spawn {key} failed: {e!r}")
                del got[key]
    for key, unit, what, _, n in live:
        if key in got and got[key][0]:
            row_reps(out, "spawn", key, got[key][0], "ns", method=key, description=what,
                     per_rep=n, unit=unit, verified=got[key][1])
