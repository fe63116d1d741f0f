"""Shared helpers: timing, medians, rows, and careful process clean-up."""

import os
import statistics
import time

JOIN_S = 10.0


def median(xs):
    return statistics.median(xs) if xs else None


def row(out, experiment, case, value, value_unit, **extra):
    r = {"experiment": experiment, "case": case, "value": value, "value_unit": value_unit}
    r.update(extra)
    out["rows"].append(r)
    return r


def finish(proc, timeout=JOIN_S):
    """Joins a multiprocessing.Process; terminates, then kills it if it hangs."""
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join(2.0)
    if proc.is_alive():
        proc.kill()
        proc.join(2.0)
    try:
        proc.close()
    except Exception:
        pass


def reap_pid(pid, timeout=JOIN_S):
    """waitpid with a deadline: SIGKILL past it. Returns the raw status."""
    end = time.monotonic() + timeout
    while True:
        got, status = os.waitpid(pid, os.WNOHANG)
        if got == pid:
            return status
        if time.monotonic() > end:
            os.kill(pid, 9)
            return os.waitpid(pid, 0)[1]
        time.sleep(0.0005)


def pss_kib(pid="self"):
    """Proportional set size from /proc/PID/smaps_rollup, KiB (None if unreadable)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Pinned:
    """Pins the calling thread (and what it starts afterwards) to one CPU."""

    def __init__(self, cpu):
        self.cpu = cpu

    def __enter__(self):
        self.old = os.sched_getaffinity(0)
        if self.cpu is not None:
            os.sched_setaffinity(0, {self.cpu})
        return self

    def __exit__(self, *exc):
        os.sched_setaffinity(0, self.old)
        return False


def first_cpu():
    return min(os.sched_getaffinity(0))
