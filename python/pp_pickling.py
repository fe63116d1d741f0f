"""Pickling: what sending an object to another process costs in CPython.

dumps + loads of a small object, 1 MiB of bytes and a ~1 MiB structured
object (median); then moving the 1 MiB structured object one way and back an
acknowledgement: through a multiprocessing.Pipe (pickled, copied), a
multiprocessing.Queue (pickled by a feeder thread), and a queue.Queue between
threads (only a reference moves).
"""

import multiprocessing as mp
import pickle
import queue
import threading
import time

from pp_common import JOIN_S, finish, median, row


def objects():
    small = {"seq": 7, "name": "ball", "vals": [1, 2, 3]}
    blob = bytes(range(256)) * 4096
    structured = [{"i": i, "x": i * 0.5, "s": "k%06d" % i} for i in range(26000)]
    return [("small dict", small), ("1 MiB bytes", blob), ("~1 MiB structured", structured)]


def _echo_pipe(conn, n):
    for _ in range(n):
        v = conn.recv()
        conn.send(len(v))
    conn.close()


def _echo_queue(q1, q2, n):
    for _ in range(n):
        q2.put(len(q1.get()))


def transfer(kind, obj, n):
    times = []
    ok = True
    if kind == "queue.Queue (threads, a reference)":
        q1, q2 = queue.Queue(), queue.Queue()
        t = threading.Thread(target=lambda: [q2.put(len(q1.get())) for _ in range(n)], daemon=True)
        t.start()
        for _ in range(n):
            t0 = time.perf_counter_ns()
            q1.put(obj)
            ok &= q2.get(timeout=JOIN_S) == len(obj)
            times.append(time.perf_counter_ns() - t0)
        t.join(JOIN_S)
        return times, ok
    ctx = mp.get_context("fork")
    if kind == "multiprocessing.Pipe (processes)":
        a, b = ctx.Pipe()
        p = ctx.Process(target=_echo_pipe, args=(b, n), daemon=True)
        p.start()
        b.close()
        try:
            for _ in range(n):
                t0 = time.perf_counter_ns()
                a.send(obj)
                if not a.poll(JOIN_S):
                    raise TimeoutError("no answer")
                ok &= a.recv() == len(obj)
                times.append(time.perf_counter_ns() - t0)
        finally:
            finish(p)
            a.close()
        return times, ok
    q1, q2 = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=_echo_queue, args=(q1, q2, n), daemon=True)
    p.start()
    try:
        for _ in range(n):
            t0 = time.perf_counter_ns()
            q1.put(obj)
            ok &= q2.get(timeout=JOIN_S) == len(obj)
            times.append(time.perf_counter_ns() - t0)
    finally:
        finish(p)
        for q in (q1, q2):
            q.close()
            q.join_thread()
    return times, ok


def run(out, quick, cpus):
    n = 10 if quick else 50
    objs = objects()
    for name, obj in objs:
        try:
            times = []
            ok = True
            size = len(pickle.dumps(obj, pickle.HIGHEST_PROTOCOL))
            for _ in range(n * (20 if name == "small dict" else 1)):
                t0 = time.perf_counter_ns()
                back = pickle.loads(pickle.dumps(obj, pickle.HIGHEST_PROTOCOL))
                times.append(time.perf_counter_ns() - t0)
                ok &= back == obj
            row(out, "pickling", f"dumps+loads {name}", median(times), "ns",
                object=name, pickled_bytes=size, samples=len(times), verified=ok)
        except Exception as e:
            out["notes"].append(f"pickling {name} failed: {e!r}")
    big = objs[2][1]
    for kind in ("multiprocessing.Pipe (processes)", "multiprocessing.Queue (processes)", "queue.Queue (threads, a reference)"):
        try:
            times, ok = transfer(kind, big, n)
            row(out, "pickling", f"transfer ~1 MiB structured: {kind}", median(times), "ns",
                object="~1 MiB structured", channel=kind, samples=len(times), verified=ok)
        except Exception as e:
            out["notes"].append(f"pickling transfer {kind} failed: {e!r}")
