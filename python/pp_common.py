"""Shared helpers: timing, repetition statistics, rows, CPU placement, the
machine's load, and careful process clean-up.

Rows (see main.py for the whole object): every row is a JSON object with at
least
    experiment   string, the experiment's name
    case         string, a short stable name of the case (lowercase)
    value        number or null, the headline figure
    value_unit   string, its unit: "ns", "kib", "bytes", "jobs", "updates",
                 "cpus", "count"
and, where an answer was checked, "verified" (bool). Figures with an
interval carry "low" and "high" (the smallest and largest repetition
median, same unit as value) and "reps" (every repetition's median, in
order); value is then the median of "reps". Repetitions of the cases being
compared are interleaved (A B A B…), so drift hits both alike.
"""

import os
import statistics
import time

# Longest wait for one thread or process to end; main.py lowers it when the
# run's --timeout is short.
JOIN_S = 10.0


def set_join_s(seconds):
    global JOIN_S
    JOIN_S = seconds


def median(xs):
    return statistics.median(xs) if xs else None


def row(out, experiment, case, value, value_unit, **extra):
    r = {"experiment": experiment, "case": case, "value": value, "value_unit": value_unit}
    r.update(extra)
    out["rows"].append(r)
    return r


def interval(reps):
    """value, low, high and the list itself, from per-repetition medians."""
    return {"value": median(reps), "low": min(reps), "high": max(reps), "reps": list(reps)}


def row_reps(out, experiment, case, reps, value_unit, **extra):
    """A row whose value is the median of per-repetition medians."""
    iv = interval(reps)
    return row(out, experiment, case, iv["value"], value_unit, low=iv["low"], high=iv["high"],
               reps=iv["reps"], repetitions=len(reps), **extra)


def finish(proc, timeout=None):
    """Joins a multiprocessing.Process; terminates, then kills it if it hangs."""
    proc.join(JOIN_S if timeout is None else timeout)
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


def reap_pid(pid, timeout=None):
    """waitpid with a deadline: SIGKILL past it. Returns the raw status."""
    end = time.monotonic() + (JOIN_S if timeout is None else timeout)
    while True:
        got, status = os.waitpid(pid, os.WNOHANG)
        if got == pid:
            return status
        if time.monotonic() > end:
            os.kill(pid, 9)
            return os.waitpid(pid, 0)[1]
        time.sleep(0.0005)


def proc_state(pid):
    """The state letter of /proc/PID/stat ("R", "S", "Z"…), or "gone"."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


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


# ---- where a thread runs ---------------------------------------------------

def _make_getcpu():
    """The CPU the calling thread runs on: os.sched_getcpu where it exists,
    else libc's sched_getcpu through ctypes, else field 39 of
    /proc/thread-self/stat."""
    f = getattr(os, "sched_getcpu", None)
    if f is not None:
        return f, "os.sched_getcpu"
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        g = libc.sched_getcpu
        g.restype = ctypes.c_int
        g.argtypes = []
        if g() >= 0:
            return g, "ctypes sched_getcpu"
    except (OSError, AttributeError, ImportError):
        pass

    def from_proc():
        with open("/proc/thread-self/stat") as s:
            return int(s.read().rsplit(")", 1)[1].split()[36])

    return from_proc, "/proc/thread-self/stat"


getcpu, GETCPU_SOURCE = _make_getcpu()


def allowed_cpus():
    return sorted(os.sched_getaffinity(0))


def first_cpu():
    return allowed_cpus()[0]


def pin_self(cpu):
    """Pins the calling thread (Linux: pid 0 is the calling thread) to `cpu`;
    None leaves it free. Returns the affinity it had."""
    old = os.sched_getaffinity(0)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    return old


class Pinned:
    """Pins the calling thread (and what it starts afterwards) to one CPU."""

    def __init__(self, cpu):
        self.cpu = cpu

    def __enter__(self):
        self.old = pin_self(self.cpu)
        return self

    def __exit__(self, *exc):
        os.sched_setaffinity(0, self.old)
        return False


# ---- the machine's load ----------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _system_busy_ticks():
    """Busy ticks of all CPUs (user+nice+system+irq+softirq+steal), /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal …
    return v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)


def _own_ticks():
    """This process's CPU ticks, its threads and its reaped children included."""
    with open("/proc/self/stat") as f:
        v = f.read().rsplit(")", 1)[1].split()
    return int(v[11]) + int(v[12]) + int(v[13]) + int(v[14])


class Load:
    """The CPU other processes used while this one measured: the system's busy
    time (/proc/stat) minus this process's own and its reaped children's
    (/proc/self/stat), divided by the wall time; in CPUs (0 = an idle
    machine). Resolution is one clock tick (usually 10 ms)."""

    def __enter__(self):
        self.t0 = time.monotonic()
        self.sys0 = _system_busy_ticks()
        self.own0 = _own_ticks()
        return self

    def __exit__(self, *exc):
        wall = time.monotonic() - self.t0
        other = (_system_busy_ticks() - self.sys0) - (_own_ticks() - self.own0)
        self.wall_s = wall
        self.other_cpus = max(0.0, other / _TICK / wall) if wall > 0 else None
        return False
