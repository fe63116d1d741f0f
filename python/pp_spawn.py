"""Spawn: the cost of starting and ending one unit, median over repetitions.

threading.Thread start + join; os.fork + os._exit + waitpid;
multiprocessing.Process with the fork, forkserver and spawn start methods
(start + join); subprocess.run of /bin/true (fork/exec of a tiny program).
"""

import multiprocessing as mp
import os
import subprocess
import threading
import time

from pp_common import JOIN_S, finish, median, reap_pid, row


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
    n_fast, n_slow = (100, 5) if quick else (1000, 20)
    cases = [
        ("thread", "threading.Thread start + join", thread_once, n_fast),
        ("fork", "os.fork + os._exit + waitpid", fork_once, n_fast),
        ("mp-fork", "multiprocessing.Process (fork) start + join", lambda: mp_once(mp.get_context("fork")), n_fast // 4),
        ("mp-forkserver", "multiprocessing.Process (forkserver) start + join", lambda: mp_once(mp.get_context("forkserver")), n_slow * 2),
        ("mp-spawn", "multiprocessing.Process (spawn) start + join", lambda: mp_once(mp.get_context("spawn")), n_slow),
        ("subprocess", "subprocess.run(['/bin/true'])", true_once, n_fast // 4),
    ]
    for key, what, once, n in cases:
        try:
            once()  # warm-up: imports, the forkserver itself
            times = []
            ok = True
            for _ in range(n):
                t0 = time.perf_counter_ns()
                ok &= bool(once())
                times.append(time.perf_counter_ns() - t0)
            row(out, "spawn", key, median(times), "ns", description=what,
                min_ns=min(times), max_ns=max(times), samples=n, verified=ok)
        except Exception as e:
            out["notes"].append(f"spawn {key} failed: {e!r}")
