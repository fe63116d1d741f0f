"""Scaling: fixed total CPU-bound work split over 1..N threads or processes.

Two kernels: a pure-Python loop (holds the GIL the whole time) and
hashlib.sha256 over 1 MiB buffers (releases the GIL while it hashes).
Each is run free on all CPUs and with everything pinned to one CPU
(os.sched_setaffinity). CPU time: process_time for threads (the whole
process), RUSAGE_CHILDREN for processes (they are reaped by join).
Answers are checked: the loop's sum against its closed form, every digest
against one computed beforehand.
"""

import hashlib
import multiprocessing as mp
import resource
import threading
import time

from pp_common import JOIN_S, Pinned, finish, first_cpu, row

BUF = bytes(range(256)) * 4096  # 1 MiB


def loop(lo, hi):
    acc = 0
    for i in range(lo, hi):
        acc += i * i
    return acc


def expected_loop(n):
    return (n - 1) * n * (2 * n - 1) // 6


def hashes(count):
    digest = None
    ok = True
    for _ in range(count):
        d = hashlib.sha256(BUF).hexdigest()
        if digest is None:
            digest = d
        ok &= d == digest
    return digest if ok else "mismatch"


def split(total, k):
    step = total // k
    return [(i * step, total if i == k - 1 else (i + 1) * step) for i in range(k)]


def _proc(kernel, a, b, conn):
    conn.send(loop(a, b) if kernel == "python-loop" else hashes(b - a))
    conn.close()


def run_threads(kernel, total, k):
    res = [None] * k

    def work(j, a, b):
        res[j] = loop(a, b) if kernel == "python-loop" else hashes(b - a)

    c0 = time.process_time_ns()
    t0 = time.perf_counter_ns()
    ts = [threading.Thread(target=work, args=(j, a, b), daemon=True) for j, (a, b) in enumerate(split(total, k))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(JOIN_S * 6)
    wall = time.perf_counter_ns() - t0
    return wall, time.process_time_ns() - c0, res


def children_cpu_ns():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return int((u.ru_utime + u.ru_stime) * 1e9)


def run_processes(kernel, total, k):
    ctx = mp.get_context("fork")
    c0 = children_cpu_ns()
    t0 = time.perf_counter_ns()
    ps, conns = [], []
    try:
        for a, b in split(total, k):
            r, w = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_proc, args=(kernel, a, b, w), daemon=True)
            p.start()
            w.close()
            ps.append(p)
            conns.append(r)
        res = []
        for r in conns:
            if not r.poll(JOIN_S * 6):
                raise TimeoutError("a worker process did not answer")
            res.append(r.recv())
        for p in ps:
            p.join(JOIN_S)
        wall = time.perf_counter_ns() - t0
    finally:
        for p in ps:
            finish(p)
        for r in conns:
            r.close()
    return wall, children_cpu_ns() - c0, res


def verified(kernel, total, res, digest):
    if any(x is None for x in res):
        return False
    if kernel == "python-loop":
        return sum(res) == expected_loop(total)
    return all(x == digest for x in res)


def run(out, quick, cpus):
    work = {"python-loop": 3_000_000 if quick else 12_000_000, "sha256": 96 if quick else 384}
    reps = 3 if quick else 5
    digest = hashlib.sha256(BUF).hexdigest()
    pin = first_cpu()
    counts = list(range(1, cpus + 1))
    out["settings"] = {"work": work, "repetitions": reps, "workers": counts, "pinned_cpu": pin}
    for kernel in ("python-loop", "sha256"):
        total = work[kernel]
        for placement, cpu in (("all CPUs", None), ("one CPU", pin)):
            if placement == "one CPU":
                these = [1, cpus]
            else:
                these = counts
            for unit, fn in (("threads", run_threads), ("processes", run_processes)):
                base = None
                for k in these:
                    try:
                        walls, cpu_ns, ok = [], [], True
                        with Pinned(cpu):
                            for _ in range(reps):
                                w, c, res = fn(kernel, total, k)
                                walls.append(w)
                                cpu_ns.append(c)
                                ok &= verified(kernel, total, res, digest)
                        walls.sort()
                        wall = walls[len(walls) // 2]
                        if k == 1:
                            base = wall
                        speedup = base / wall if base else None
                        row(out, "scale", f"{kernel} {unit} {k} ({placement})", wall, "ns",
                            kernel=kernel, unit=unit, placement=placement, workers=k,
                            rep_wall_ns=walls, cpu_ns=sorted(cpu_ns)[len(cpu_ns) // 2],
                            speedup=speedup, parallelism=(sorted(cpu_ns)[len(cpu_ns) // 2] / wall) if wall else None,
                            verified=ok)
                    except Exception as e:
                        out["notes"].append(f"scale {kernel} {unit} {k} ({placement}) failed: {e!r}")
