"""Rally: one value bounced between two threads or two processes, like with
like.

Each player pins itself before it plays (a thread with
os.sched_setaffinity(0, {cpu}), which on Linux applies to the calling thread
only; a process the same way, right after fork), and records the CPU it ran
on at its start and at its end. Placements:
    "same-cpu"   both players on the first allowed CPU
    "cross-cpu"  ping on the first allowed CPU, pong on the second (only
                 when two or more CPUs are allowed; else a note)
    "free"       no pinning: wherever the scheduler puts them; information
                 only, since it mixes the two placements above
Mechanisms, the same one for both units:
    "os-pipe"    two os.pipe()s, 8-byte little-endian integers
    "mp-pipe"    a multiprocessing.Pipe() (duplex), pickled ints
    "queue"      each unit's natural queue: queue.Queue for threads,
                 multiprocessing.Queue for processes (not the same
                 mechanism: a feeder thread and pickling on one side)
Processes are started with os.fork (os-pipe) or multiprocessing's "fork"
context (mp-pipe, queue).

Repetitions interleave the units: for each placement and mechanism, rep 1
threads, rep 1 processes, rep 2 threads… Each repetition is a fresh pair of
players: a warm-up, then batches of round trips each timed with
time.perf_counter_ns (one round trip is too short for the clock); the
repetition's figure is the median batch's ns per round trip. Pong returns
value + 1; ping checks every answer.

Rows (besides the common fields of pp_common.py):
    experiment   "rally"
    case         "{unit} {mechanism} {placement}", e.g. "threads os-pipe same-cpu"
    value        number, ns per round trip: the median of "reps"
    value_unit   "ns"
    low, high    number, ns: smallest and largest repetition median
    reps         list of number, ns: every repetition's median, in order
    repetitions  int
    unit         "threads" | "processes"
    mechanism    "os-pipe" | "mp-pipe" | "queue"
    channel      string, the Python object used ("os.pipe",
                 "multiprocessing.Pipe", "queue.Queue", "multiprocessing.Queue")
    placement    "same-cpu" | "cross-cpu" | "free"
    cpus_asked   [ping_cpu, pong_cpu] (ints) or null for "free"
    ping_cpus    list per repetition of [start_cpu, end_cpu] (ints)
    pong_cpus    list per repetition of [start_cpu, end_cpu] (ints)
    migrated     bool: in some repetition a player ended on another CPU than
                 it started on (always checked, pinned or not)
    placement_kept  bool or null: every player of every repetition started
                 and ended on the CPU it was pinned to (null for "free")
    shared_cpu_reps  int: repetitions in which ping and pong started on the
                 same CPU (tells which placement "free" actually got)
    round_trips  int, timed round trips per repetition
    verified     bool: every answer was value + 1 and every player ended
"""

import multiprocessing as mp
import os
import queue
import threading
import time

from pp_common import JOIN_S, allowed_cpus, finish, getcpu, median, pin_self, reap_pid, row_reps

MECHANISMS = {
    "os-pipe": ("os.pipe", "os.pipe"),
    "mp-pipe": ("multiprocessing.Pipe", "multiprocessing.Pipe"),
    "queue": ("queue.Queue", "multiprocessing.Queue"),
}


def plan(quick):
    # repetitions, warm-up round trips, batches, round trips per batch
    return (3, 20, 3, 10) if quick else (5, 60, 7, 25)


def timed(hit, quick):
    _, warm, batches, per_batch = plan(quick)
    ok = True
    i = 0
    for _ in range(warm):
        ok &= hit(i) == i + 1
        i += 1
    per = []
    for _ in range(batches):
        t0 = time.perf_counter_ns()
        for _ in range(per_batch):
            ok &= hit(i) == i + 1
            i += 1
        per.append((time.perf_counter_ns() - t0) / per_batch)
    return median(per), ok


def total(quick):
    _, warm, batches, per_batch = plan(quick)
    return warm + batches * per_batch


def enc(v):
    return v.to_bytes(8, "little")


def dec(b):
    return int.from_bytes(b, "little")


def read8(fd):
    b = b""
    while len(b) < 8:
        got = os.read(fd, 8 - len(b))
        if not got:
            raise EOFError("the other player closed its end")
        b += got
    return b


# ---- threads -------------------------------------------------------------

def rally_threads(mechanism, cpus, quick):
    """One repetition between two threads: (ns per round trip, ok, ping
    [start, end], pong [start, end])."""
    n = total(quick)
    pong_at = {}
    ping_cpu, pong_cpu = cpus
    fds = ()
    if mechanism == "os-pipe":
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()
        fds = (r1, w1, r2, w2)

        def serve():
            for _ in range(n):
                os.write(w2, enc(dec(read8(r1)) + 1))

        def hit(i):
            os.write(w1, enc(i))
            return dec(read8(r2))
    elif mechanism == "mp-pipe":
        a, b = mp.Pipe()

        def serve():
            for _ in range(n):
                b.send(b.recv() + 1)

        def hit(i):
            a.send(i)
            return a.recv()

        fds = ()
    else:
        q1, q2 = queue.Queue(), queue.Queue()

        def serve():
            for _ in range(n):
                q2.put(q1.get(timeout=JOIN_S) + 1)

        def hit(i):
            q1.put(i)
            return q2.get(timeout=JOIN_S)

    def pong():
        pin_self(pong_cpu)
        pong_at["start"] = getcpu()
        serve()
        pong_at["end"] = getcpu()

    old = pin_self(ping_cpu)
    try:
        t = threading.Thread(target=pong, daemon=True)
        t.start()
        ping_start = getcpu()
        try:
            ns, ok = timed(hit, quick)
        finally:
            ping_end = getcpu()
            t.join(JOIN_S)
    finally:
        os.sched_setaffinity(0, old)
        for fd in fds:
            os.close(fd)
        if mechanism == "mp-pipe":
            a.close()
            b.close()
    ok = ok and not t.is_alive() and "end" in pong_at
    return ns, ok, [ping_start, ping_end], [pong_at.get("start"), pong_at.get("end")]


# ---- processes -----------------------------------------------------------

def _pong_conn(conn, n, cpu):
    pin_self(cpu)
    start = getcpu()
    for _ in range(n):
        conn.send(conn.recv() + 1)
    conn.send(("cpus", start, getcpu()))
    conn.close()


def _pong_queue(q1, q2, n, cpu):
    pin_self(cpu)
    start = getcpu()
    for _ in range(n):
        q2.put(q1.get() + 1)
    q2.put(("cpus", start, getcpu()))


def rally_processes(mechanism, cpus, quick):
    """One repetition between two processes, as rally_threads."""
    n = total(quick)
    ping_cpu, pong_cpu = cpus
    old = pin_self(ping_cpu)
    try:
        ping_start = getcpu()
        if mechanism == "os-pipe":
            r1, w1 = os.pipe()
            r2, w2 = os.pipe()
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    os.close(w1)
                    os.close(r2)
                    pin_self(pong_cpu)
                    start = getcpu()
                    for _ in range(n):
                        os.write(w2, enc(dec(read8(r1)) + 1))
                    os.write(w2, enc(start) + enc(getcpu()))
                    code = 0
                finally:
                    os._exit(code)
            os.close(r1)
            os.close(w2)

            def hit(i):
                os.write(w1, enc(i))
                return dec(read8(r2))

            try:
                ns, ok = timed(hit, quick)
                ping_end = getcpu()
                pong = [dec(read8(r2)), dec(read8(r2))]
            finally:
                os.close(w1)
                status = reap_pid(pid)
                os.close(r2)
            return ns, ok and os.waitstatus_to_exitcode(status) == 0, [ping_start, ping_end], pong
        ctx = mp.get_context("fork")
        if mechanism == "mp-pipe":
            a, b = ctx.Pipe()
            p = ctx.Process(target=_pong_conn, args=(b, n, pong_cpu), daemon=True)
            p.start()
            b.close()

            def hit(i):
                a.send(i)
                if not a.poll(JOIN_S):
                    raise TimeoutError("pong did not answer")
                return a.recv()

            try:
                ns, ok = timed(hit, quick)
                ping_end = getcpu()
                tag, s, e = a.recv() if a.poll(JOIN_S) else (None, None, None)
            finally:
                finish(p)
                a.close()
            return ns, ok and tag == "cpus", [ping_start, ping_end], [s, e]
        q1, q2 = ctx.Queue(), ctx.Queue()
        p = ctx.Process(target=_pong_queue, args=(q1, q2, n, pong_cpu), daemon=True)
        p.start()

        def hit(i):
            q1.put(i)
            return q2.get(timeout=JOIN_S)

        try:
            ns, ok = timed(hit, quick)
            ping_end = getcpu()
            tag, s, e = q2.get(timeout=JOIN_S)
        finally:
            finish(p)
            for q in (q1, q2):
                q.close()
                q.join_thread()
        return ns, ok and tag == "cpus", [ping_start, ping_end], [s, e]
    finally:
        os.sched_setaffinity(0, old)


def run(out, quick, cpus):
    allowed = allowed_cpus()
    placements = [("same-cpu", (allowed[0], allowed[0]))]
    if len(allowed) >= 2:
        placements.append(("cross-cpu", (allowed[0], allowed[1])))
    else:
        out["notes"].append("rally: only one CPU is allowed; the cross-cpu placement is not measured")
    placements.append(("free", (None, None)))
    reps = plan(quick)[0]
    units = (("threads", rally_threads), ("processes", rally_processes))
    for placement, pair in placements:
        for mechanism, channels in MECHANISMS.items():
            got = {u: {"reps": [], "ok": True, "ping": [], "pong": []} for u, _ in units}
            failed = set()
            for _ in range(reps):
                for (unit, fn) in units:  # interleaved: T P T P …
                    if unit in failed:
                        continue
                    try:
                        ns, ok, ping, pong = fn(mechanism, pair, quick)
                        g = got[unit]
                        g["reps"].append(ns)
                        g["ok"] &= bool(ok)
                        g["ping"].append(ping)
                        g["pong"].append(pong)
                    except Exception as e:  # one failed case does not hide the rest
                        failed.add(unit)
                        out["notes"].append(f"rally {unit} {mechanism} {placement} failed: {e!r}")
            for unit, _ in units:
                g = got[unit]
                if unit in failed or not g["reps"]:
                    continue
                players = g["ping"] + g["pong"]
                migrated = any(s != e for s, e in players)
                if pair[0] is None:
                    kept = None
                else:
                    kept = (all(s == pair[0] and e == pair[0] for s, e in g["ping"])
                            and all(s == pair[1] and e == pair[1] for s, e in g["pong"]))
                row_reps(out, "rally", f"{unit} {mechanism} {placement}", g["reps"], "ns",
                         unit=unit, mechanism=mechanism,
                         channel=channels[0] if unit == "threads" else channels[1],
                         placement=placement,
                         cpus_asked=None if pair[0] is None else list(pair),
                         ping_cpus=g["ping"], pong_cpus=g["pong"], migrated=migrated,
                         placement_kept=kept,
                         shared_cpu_reps=sum(1 for a, b in zip(g["ping"], g["pong"]) if a[0] == b[0]),
                         round_trips=plan(quick)[2] * plan(quick)[3], verified=g["ok"])
