"""Rally: one value bounced between two threads or two processes.

Round-trip time is the median over samples, each sample timing a batch of
round trips with time.perf_counter_ns (one round trip is too short for the
clock). Pong returns value + 1; ping checks every answer.
"""

import multiprocessing as mp
import os
import queue
import threading
import time

from pp_common import JOIN_S, Pinned, finish, first_cpu, median, row, reap_pid


def plan(quick):
    return (100, 15, 40) if quick else (1000, 40, 100)  # warmup, samples, batch


def timed(hit, quick):
    warm, samples, batch = plan(quick)
    ok = True
    i = 0
    for _ in range(warm):
        ok &= hit(i) == i + 1
        i += 1
    per = []
    for _ in range(samples):
        t0 = time.perf_counter_ns()
        for _ in range(batch):
            ok &= hit(i) == i + 1
            i += 1
        per.append((time.perf_counter_ns() - t0) / batch)
    return per, ok, i


def total(quick):
    warm, samples, batch = plan(quick)
    return warm + samples * batch


# ---- threads -------------------------------------------------------------

def thread_pair(kind, n):
    """Returns (hit, pong_thread) for a rally of n round trips between threads."""
    if kind == "condition":
        cv = threading.Condition()
        box = {"turn": 0, "v": 0}

        def pong():
            for _ in range(n):
                with cv:
                    cv.wait_for(lambda: box["turn"] == 1)
                    box["v"] += 1
                    box["turn"] = 0
                    cv.notify()

        def hit(i):
            with cv:
                box["v"] = i
                box["turn"] = 1
                cv.notify()
                cv.wait_for(lambda: box["turn"] == 0)
                return box["v"]
    elif kind == "events":
        e1, e2 = threading.Event(), threading.Event()
        box = [0]

        def pong():
            for _ in range(n):
                e1.wait()
                e1.clear()
                box[0] += 1
                e2.set()

        def hit(i):
            box[0] = i
            e1.set()
            e2.wait()
            e2.clear()
            return box[0]
    elif kind == "queue":
        q1, q2 = queue.Queue(), queue.Queue()

        def pong():
            for _ in range(n):
                q2.put(q1.get() + 1)

        def hit(i):
            q1.put(i)
            return q2.get()
    else:  # os.pipe
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()

        def pong():
            for _ in range(n):
                v = int.from_bytes(os.read(r1, 8), "little")
                os.write(w2, (v + 1).to_bytes(8, "little"))

        def hit(i):
            os.write(w1, i.to_bytes(8, "little"))
            return int.from_bytes(os.read(r2, 8), "little")

        hit.fds = (r1, w1, r2, w2)
    t = threading.Thread(target=pong, daemon=True)
    return hit, t


def rally_threads(kind, quick):
    n = total(quick)
    hit, t = thread_pair(kind, n)
    t.start()
    try:
        per, ok, _ = timed(hit, quick)
    finally:
        t.join(JOIN_S)
        for fd in getattr(hit, "fds", ()):
            os.close(fd)
    return per, ok and not t.is_alive()


# ---- processes -----------------------------------------------------------

def _pong_pipe(conn, n, as_dict):
    for _ in range(n):
        v = conn.recv()
        if as_dict:
            v = dict(v, seq=v["seq"] + 1)
        else:
            v += 1
        conn.send(v)
    conn.close()


def _pong_queue(q1, q2, n):
    for _ in range(n):
        q2.put(q1.get() + 1)


def rally_processes(kind, quick):
    ctx = mp.get_context("fork")
    n = total(quick)
    if kind == "os.pipe":
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                for _ in range(n):
                    v = int.from_bytes(os.read(r1, 8), "little")
                    os.write(w2, (v + 1).to_bytes(8, "little"))
            finally:
                os._exit(0)

        def hit(i):
            os.write(w1, i.to_bytes(8, "little"))
            return int.from_bytes(os.read(r2, 8), "little")

        try:
            per, ok, _ = timed(hit, quick)
        finally:
            status = reap_pid(pid)
            for fd in (r1, w1, r2, w2):
                os.close(fd)
        return per, ok and os.waitstatus_to_exitcode(status) == 0
    if kind in ("Pipe int", "Pipe dict"):
        a, b = ctx.Pipe()
        as_dict = kind == "Pipe dict"
        p = ctx.Process(target=_pong_pipe, args=(b, n, as_dict), daemon=True)
        p.start()
        b.close()
        if as_dict:
            def hit(i):
                a.send({"seq": i, "name": "ball", "vals": [1, 2, 3]})
                return a.recv()["seq"]
        else:
            def hit(i):
                a.send(i)
                return a.recv()
        try:
            per, ok, _ = timed(hit, quick)
        finally:
            finish(p)
            a.close()
        return per, ok
    q1, q2 = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=_pong_queue, args=(q1, q2, n), daemon=True)
    p.start()

    def hit(i):
        q1.put(i)
        return q2.get(timeout=JOIN_S)

    try:
        per, ok, _ = timed(hit, quick)
    finally:
        finish(p)
        for q in (q1, q2):
            q.close()
            q.join_thread()
    return per, ok


def run(out, quick, cpus):
    cpu = first_cpu()
    for placement, pin in (("all CPUs", None), ("one CPU", cpu)):
        for unit, kinds, fn in (
            ("threads", ("condition", "events", "queue", "os.pipe"), rally_threads),
            ("processes", ("Pipe int", "Pipe dict", "Queue", "os.pipe"), rally_processes),
        ):
            for kind in kinds:
                try:
                    with Pinned(pin):
                        per, ok = fn(kind, quick)
                    row(out, "rally", f"{unit} {kind} ({placement})", median(per), "ns",
                        unit=unit, mechanism=kind, placement=placement,
                        min_ns=min(per), max_ns=max(per), samples=len(per), verified=ok)
                except Exception as e:  # one failed case does not hide the rest
                    out["notes"].append(f"rally {unit} {kind} ({placement}) failed: {e!r}")
