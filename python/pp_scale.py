"""Scaling: a fixed total of CPU-bound work split over 1..N threads or
processes, free on all CPUs and pinned to one CPU.

Kernels ("kernel"):
    "python-loop"  a pure-Python loop (acc += i * i): under the GIL only one
                   thread runs it at a time; a free-threaded build runs them
                   at once
    "sha256"       hashlib.sha256 over 1 MiB buffers, which releases the GIL
                   while it hashes
Placements ("placement"):
    "free"         all allowed CPUs, workers 1..N (N = --cpus; above 8 only
                   1, 2, 4, … and N)
    "one-cpu"      everything pinned to the first allowed CPU
                   (os.sched_setaffinity before the workers start; they
                   inherit it), workers 1 and N
Threads are threading.Thread; processes are multiprocessing.Process with the
"fork" start method, each answering through a Pipe. Repetitions interleave
every configuration (rep 1: every kernel × placement × unit × workers, then
rep 2 …). Answers are checked: the loop's sums against the closed form,
every digest against one computed beforehand.

CPU time of a run: time.process_time_ns() for threads (the whole process);
for processes, RUSAGE_CHILDREN (they are reaped by join) plus the parent's
own.

Rows (besides the common fields of pp_common.py):
    experiment   "scale"
    case         "{kernel} {unit} {workers} {placement}", e.g.
                 "python-loop threads 2 free"
    value        number, ns: wall time of the whole run, median of "reps"
    value_unit   "ns"
    low, high    number, ns: smallest and largest repetition wall time
    reps         list of number, ns: every repetition's wall time
                 (also under "rep_wall_ns")
    rep_cpu_ns   list of number, ns: every repetition's CPU time
    repetitions  int
    kernel       "python-loop" | "sha256"
    unit         "threads" | "processes"
    placement    "free" | "one-cpu"
    workers      int
    work         int: loop iterations ("python-loop") or MiB hashed ("sha256"),
                 the total over all workers
    cpu_ns       number, ns: median CPU time
    parallelism  number: median over repetitions of CPU time ÷ wall time
                 (CPUs busy on average; about 1 under the GIL for
                 python-loop threads)
    speedup      number or null: the median over rounds of 1 worker's wall
                 ÷ this run's wall in the same round (same kernel, unit and
                 placement)
    speedup_low, speedup_high  number or null: the range over repetitions
                 of the speedup paired by round (1 worker's wall ÷ this
                 run's wall, both from the same interleaved round)
    ns_per_item  number: wall ns ÷ work, for 1 worker only (the
                 single-thread speed of this interpreter: per loop iteration
                 or per MiB); null for more workers
    load_other_cpus  number or null: CPUs used by other processes during this
                 scaling run (/proc/stat minus this process and its
                 children), the same for every row of the run
    load_wall_s  number: seconds over which that load was measured
    verified     bool
"""

import hashlib
import multiprocessing as mp
import resource
import threading
import time

from pp_common import JOIN_S, Load, Pinned, finish, first_cpu, median, row_reps

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
    c0 = children_cpu_ns() + time.process_time_ns()
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
    return wall, children_cpu_ns() + time.process_time_ns() - c0, res


def verified(kernel, total, res, digest):
    if any(x is None for x in res):
        return False
    if kernel == "python-loop":
        return sum(res) == expected_loop(total)
    return all(x == digest for x in res)


def paired(one, many):
    """The speedup of each round: one worker's wall ÷ many workers' wall
    of the same interleaved round (rounds a failure cut short count only
    while both have them)."""
    return [a / b for a, b in zip(one, many) if b]


def worker_counts(cpus):
    if cpus <= 8:
        return list(range(1, cpus + 1))
    out, k = [], 1
    while k < cpus:
        out.append(k)
        k *= 2
    return out + [cpus]


def run(out, quick, cpus):
    work = {"python-loop": 400_000 if quick else 1_500_000, "sha256": 16 if quick else 60}
    reps = 2 if quick else 3
    digest = hashlib.sha256(BUF).hexdigest()
    pin = first_cpu()
    configs = []
    for kernel in ("python-loop", "sha256"):
        for placement, cpu, counts in (("free", None, worker_counts(cpus)), ("one-cpu", pin, [1, cpus])):
            for unit, fn in (("threads", run_threads), ("processes", run_processes)):
                for k in counts:
                    configs.append((kernel, placement, cpu, unit, fn, k))
    got = {c[:4] + (c[5],): {"wall": [], "cpu": [], "ok": True} for c in configs}
    failed = set()
    # One small untimed run of one worker process first: the first
    # process pays for multiprocessing's lazy imports (10-20 ms here),
    # which would otherwise land in the first repetition of one variant.
    for kernel, placement, cpu, unit, fn, k in configs:
        if k == 1 and placement == "free" and unit == "processes":
            try:
                fn(kernel, max(1, work[kernel] // 100), k)
            except Exception:
                pass  # the timed rounds report it
    with Load() as load:
        for _ in range(reps):
            for kernel, placement, cpu, unit, fn, k in configs:  # interleaved
                key = (kernel, placement, cpu, unit, k)
                if key in failed:
                    continue
                try:
                    with Pinned(cpu):
                        w, c, res = fn(kernel, work[kernel], k)
                    g = got[key]
                    g["wall"].append(w)
                    g["cpu"].append(c)
                    g["ok"] &= verified(kernel, work[kernel], res, digest)
                except Exception as e:
                    failed.add(key)
                    out["notes"].append(f"scale {kernel} {unit} {k} {placement} failed: {e!r}")
    for kernel, placement, cpu, unit, _, k in configs:
        key = (kernel, placement, cpu, unit, k)
        g = got[key]
        if key in failed or not g["wall"]:
            continue
        base = got.get((kernel, placement, cpu, unit, 1))
        base = base["wall"] if base and (kernel, placement, cpu, unit, 1) not in failed else None
        wall = median(g["wall"])
        speedups = paired(base, g["wall"]) if base else []
        row_reps(out, "scale", f"{kernel} {unit} {k} {placement}", g["wall"], "ns",
                 rep_wall_ns=g["wall"], rep_cpu_ns=g["cpu"],
                 kernel=kernel, unit=unit, placement=placement, workers=k, work=work[kernel],
                 cpu_ns=median(g["cpu"]),
                 parallelism=median([c / w for c, w in zip(g["cpu"], g["wall"]) if w]),
                 speedup=median(speedups) if speedups else None,
                 speedup_low=min(speedups) if speedups else None,
                 speedup_high=max(speedups) if speedups else None,
                 ns_per_item=wall / work[kernel] if k == 1 else None,
                 load_other_cpus=load.other_cpus, load_wall_s=load.wall_s,
                 verified=g["ok"])
