"""A 2-rank MPI ping-pong in mpi4py, for bench/mpi.sh.

    mpirun -np 2 python3 bench/mpi_pingpong.py SIZE ROUNDS

Rank 0 sends SIZE bytes to rank 1, which sends them back; the fastest form
mpi4py offers (upper-case Send/Recv on a preallocated buffer: no pickling).
Round trips are timed in batches (one clock read per batch, as pingpong and
osu_latency do when a clock read is not negligible); rank 0 prints the median
round trip in nanoseconds, the mean, and the number of samples, as JSON.
The last ball's bytes are checked, so a broken run cannot pass for a fast one.
"""

import json
import statistics
import sys
import time

from mpi4py import MPI


def main():
    size, rounds = int(sys.argv[1]), int(sys.argv[2])
    comm = MPI.COMM_WORLD
    if comm.Get_size() != 2:
        sys.exit("run it with mpirun -np 2")
    rank = comm.Get_rank()
    peer = 1 - rank
    ball = bytearray(size)
    for i in range(min(size, 64)):
        ball[i] = (i * 7 + 3) & 0xFF
    back = bytearray(size)
    # Batch so that a sample lasts at least ~10 µs (clock reads stay <1%).
    batch = 32 if size <= 4096 else 1
    warmup = max(10, min(1000, (64 << 20) // size))
    samples = []

    def rally(n):
        if rank == 0:
            for _ in range(n):
                comm.Send(ball, dest=peer, tag=1)
                comm.Recv(back, source=peer, tag=1)
        else:
            for _ in range(n):
                comm.Recv(back, source=peer, tag=1)
                comm.Send(back, dest=peer, tag=1)

    rally(warmup)
    comm.Barrier()
    done = 0
    start = time.perf_counter_ns()
    while done < rounds:
        t0 = time.perf_counter_ns()
        rally(batch)
        samples.append((time.perf_counter_ns() - t0) / batch)
        done += batch
    elapsed = time.perf_counter_ns() - start
    if rank == 0:
        if back[: min(size, 64)] != ball[: min(size, 64)]:
            sys.exit("the ball came back damaged")
        print(json.dumps({
            "size": size,
            "rounds": done,
            "batch": batch,
            "median_ns": statistics.median(samples),
            "mean_ns": elapsed / done,
            "samples": len(samples),
        }))


main()
