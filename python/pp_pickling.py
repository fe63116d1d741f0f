"""Pickling: what sending an object to another process costs in CPython.

multiprocessing pickles every object it sends to another process; a
queue.Queue between threads only moves a reference. Two kinds of rows:

1. "serialise": pickle.dumps and pickle.loads (protocol HIGHEST_PROTOCOL) of
   objects of growing size, timed apart; repetitions interleave the objects,
   each repetition keeps the median of a batch.
   Objects ("object"):
       "int"                  the integer 7
       "small-dict"           {"seq": 7, "name": "ball", "vals": [1, 2, 3]}
       "bytes-1kib"           1 KiB of bytes
       "bytes-64kib"          64 KiB of bytes
       "bytes-1mib"           1 MiB of bytes
       "structured-1mib"      a list of 26 000 small dicts (about 1 MiB pickled)
   Rows:
       experiment    "pickling"
       case          "serialise {object}"
       kind          "serialise"
       object        one of the names above
       pickled_bytes int, bytes: len(pickle.dumps(obj))
       dumps_ns      number, ns: median over repetitions of pickle.dumps
       loads_ns      number, ns: median over repetitions of pickle.loads
       dumps_reps, loads_reps  lists of number, ns, one per repetition
       value         number, ns: dumps + loads (median of "reps")
       value_unit    "ns"
       low, high, reps, repetitions  as in pp_common.py (of dumps + loads)
       ns_per_byte   number: value ÷ pickled_bytes
       verified      bool: loads(dumps(obj)) == obj every time

2. "transfer": the "structured-1mib" object sent one way and its length sent
   back, between two units; ns per send + acknowledgement, repetitions
   interleaving the channels.
   Channels ("channel"), with "unit":
       "mp-pipe"    multiprocessing.Pipe to a forked process    "processes"
       "mp-queue"   multiprocessing.Queue to a forked process   "processes"
       "queue"      queue.Queue to a thread (a reference moves) "threads"
   Rows:
       experiment    "pickling"
       case          "transfer {channel}"
       kind          "transfer"
       object        "structured-1mib"
       pickled_bytes int, bytes
       channel, unit as above
       value         number, ns per send + acknowledgement (median of reps)
       value_unit    "ns"
       low, high, reps, repetitions
       verified      bool: every acknowledgement carried the right length
"""

import multiprocessing as mp
import pickle
import queue
import threading
import time

from pp_common import JOIN_S, finish, median, row_reps

P = pickle.HIGHEST_PROTOCOL


def objects():
    return [
        ("int", 7),
        ("small-dict", {"seq": 7, "name": "ball", "vals": [1, 2, 3]}),
        ("bytes-1kib", bytes(range(256)) * 4),
        ("bytes-64kib", bytes(range(256)) * 256),
        ("bytes-1mib", bytes(range(256)) * 4096),
        ("structured-1mib", [{"i": i, "x": i * 0.5, "s": "k%06d" % i} for i in range(26000)]),
    ]


def serialise_once(obj, n):
    """Medians of n dumps and n loads, and whether every copy came back equal."""
    dumps, loads = [], []
    ok = True
    for _ in range(n):
        t0 = time.perf_counter_ns()
        b = pickle.dumps(obj, P)
        t1 = time.perf_counter_ns()
        back = pickle.loads(b)
        t2 = time.perf_counter_ns()
        dumps.append(t1 - t0)
        loads.append(t2 - t1)
        ok &= back == obj
    return median(dumps), median(loads), ok


def _echo_pipe(conn, n):
    for _ in range(n):
        conn.send(len(conn.recv()))
    conn.close()


def _echo_queue(q1, q2, n):
    for _ in range(n):
        q2.put(len(q1.get()))


def transfer_once(channel, obj, n):
    """Median ns of n send + acknowledgement round trips over a fresh pair."""
    times = []
    ok = True
    if channel == "queue":
        q1, q2 = queue.Queue(), queue.Queue()

        def echo():
            for _ in range(n):
                q2.put(len(q1.get(timeout=JOIN_S)))

        t = threading.Thread(target=echo, daemon=True)
        t.start()
        for _ in range(n):
            t0 = time.perf_counter_ns()
            q1.put(obj)
            ok &= q2.get(timeout=JOIN_S) == len(obj)
            times.append(time.perf_counter_ns() - t0)
        t.join(JOIN_S)
        return median(times), ok and not t.is_alive()
    ctx = mp.get_context("fork")
    if channel == "mp-pipe":
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
        return median(times), ok
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
    return median(times), ok


def run(out, quick, cpus):
    reps = 2 if quick else 5
    objs = objects()
    # Batch sizes: about the same time per object.
    batch = {"int": 200, "small-dict": 200, "bytes-1kib": 200, "bytes-64kib": 50,
             "bytes-1mib": 10, "structured-1mib": 2}
    if quick:
        batch = {k: max(2, v // 4) for k, v in batch.items()}
    got = {name: {"d": [], "l": [], "ok": True} for name, _ in objs}
    failed = set()
    for _ in range(reps):
        for name, obj in objs:  # interleaved
            if name in failed:
                continue
            try:
                d, l, ok = serialise_once(obj, batch[name])
                got[name]["d"].append(d)
                got[name]["l"].append(l)
                got[name]["ok"] &= ok
            except Exception as e:
                failed.add(name)
                out["notes"].append(f"pickling serialise {name} failed: {e!r}")
    for name, obj in objs:
        g = got[name]
        if name in failed or not g["d"]:
            continue
        size = len(pickle.dumps(obj, P))
        both = [d + l for d, l in zip(g["d"], g["l"])]
        row_reps(out, "pickling", f"serialise {name}", both, "ns", kind="serialise", object=name,
                 pickled_bytes=size, dumps_ns=median(g["d"]), loads_ns=median(g["l"]),
                 dumps_reps=g["d"], loads_reps=g["l"], ns_per_byte=median(both) / size,
                 verified=g["ok"])

    big = objs[-1][1]
    size = len(pickle.dumps(big, P))
    n = 2 if quick else 5
    channels = (("mp-pipe", "processes"), ("mp-queue", "processes"), ("queue", "threads"))
    got = {c: {"t": [], "ok": True} for c, _ in channels}
    failed = set()
    for _ in range(reps):
        for channel, _ in channels:  # interleaved
            if channel in failed:
                continue
            try:
                t, ok = transfer_once(channel, big, n)
                got[channel]["t"].append(t)
                got[channel]["ok"] &= ok
            except Exception as e:
                failed.add(channel)
                out["notes"].append(f"pickling transfer {channel} failed: {e!r}")
    for channel, unit in channels:
        g = got[channel]
        if channel in failed or not g["t"]:
            continue
        row_reps(out, "pickling", f"transfer {channel}", g["t"], "ns", kind="transfer",
                 object="structured-1mib", pickled_bytes=size, channel=channel, unit=unit,
                 verified=g["ok"])
