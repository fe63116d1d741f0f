"""Connection: multiprocessing's network IPC, live. A
multiprocessing.connection.Listener on TCP loopback (127.0.0.1, a free
port) with an authkey; the other player connects with
multiprocessing.connection.Client and the same key (HMAC challenge both
ways), then the two rally balls whose content is checked at both ends.

Balls are dicts {"seq": int, "payload": bytes}: the payload is seq's 8
bytes repeated to BALL_BYTES; each side checks the payload matches seq
before answering with seq + 1 and its payload. The other player is a
forked process or a thread; repetitions interleave them (T P T P…), each a
fresh connection, and the repetition's figure is the median batch's ns per
round trip. Then a client with a wrong authkey tries to connect: the
listener must refuse it.

Rows (besides the common fields of pp_common.py):
  rally:
    experiment   "connection"
    case         "threads tcp-authkey" | "processes tcp-authkey"
    kind         "rally"
    unit         "threads" | "processes"
    transport    "tcp-loopback"
    address      string, "127.0.0.1:PORT" of the last repetition
    authkey      true (both ends used the same key)
    ball_bytes   int, payload bytes per ball
    value        number, ns per round trip, median of "reps"
    value_unit   "ns"
    low, high, reps, repetitions  as in pp_common.py
    round_trips  int, timed round trips per repetition
    bad_balls    int, balls whose content did not match (either end)
    verified     bool: every ball matched, every answer was seq + 1
  wrong key:
    case         "wrong authkey"
    kind         "auth"
    outcome      "rejected" | "accepted"
    error_type   string or null: what accept() raised ("AuthenticationError")
    client_error string or null: what the client raised
    value        1.0 if rejected else 0.0
    value_unit   "rejected"
    verified     bool: the client really tried (it reported its attempt)
"""

import multiprocessing as mp
import os
import socket
import threading
import time
from multiprocessing.connection import Client, Listener

from pp_common import JOIN_S, finish, median, row, row_reps

BALL_BYTES = 64
KEY = b"pingpong " + os.urandom(16).hex().encode()


def ball(seq):
    return {"seq": seq, "payload": seq.to_bytes(8, "little") * (BALL_BYTES // 8)}


def good(b):
    return isinstance(b, dict) and b.get("payload") == ball(b.get("seq", -1))["payload"]


def plan(quick):
    # repetitions, warm-up, batches, round trips per batch
    return (3, 20, 5, 10) if quick else (5, 50, 9, 20)


def _pong(address, key, n, report):
    bad = 0
    with Client(address, family="AF_INET", authkey=key) as c:
        for _ in range(n):
            b = c.recv()
            if not good(b):
                bad += 1
            c.send(ball(b["seq"] + 1))
        c.send(("bad", bad))
    if report is not None:
        report["bad"] = bad


def listen():
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(JOIN_S)  # accept() gives up past it
    try:
        return Listener(("127.0.0.1", 0), family="AF_INET", authkey=KEY)
    finally:
        socket.setdefaulttimeout(old)


def rally(unit, quick):
    _, warm, batches, per_batch = plan(quick)
    n = warm + batches * per_batch
    with listen() as lst:
        addr = lst.address
        report = {}
        if unit == "threads":
            t = threading.Thread(target=_pong, args=(addr, KEY, n, report), daemon=True)
            t.start()
        else:
            p = mp.get_context("fork").Process(target=_pong, args=(addr, KEY, n, None), daemon=True)
            p.start()
        try:
            with lst.accept() as c:
                ok = True
                bad = 0
                seq = 0

                def hit():
                    nonlocal seq, ok, bad
                    c.send(ball(seq))
                    if not c.poll(JOIN_S):
                        raise TimeoutError("no answer")
                    b = c.recv()
                    if not good(b):
                        bad += 1
                    ok &= b["seq"] == seq + 1
                    seq += 2

                for _ in range(warm):
                    hit()
                per = []
                for _ in range(batches):
                    t0 = time.perf_counter_ns()
                    for _ in range(per_batch):
                        hit()
                    per.append((time.perf_counter_ns() - t0) / per_batch)
                tag, their_bad = c.recv() if c.poll(JOIN_S) else (None, None)
        finally:
            if unit == "threads":
                t.join(JOIN_S)
            else:
                finish(p)
    ok = ok and tag == "bad" and their_bad == 0 and bad == 0
    return median(per), ok, bad + (their_bad or 0), f"{addr[0]}:{addr[1]}"


def _intruder(address, conn):
    try:
        with Client(address, family="AF_INET", authkey=b"not the key"):
            conn.send(("connected", None))
    except Exception as e:
        conn.send(("refused", type(e).__name__))
    conn.close()


def wrong_key():
    with listen() as lst:
        a, b = mp.get_context("fork").Pipe(duplex=False)
        p = mp.get_context("fork").Process(target=_intruder, args=(lst.address, b), daemon=True)
        p.start()
        b.close()
        error = None
        try:
            with lst.accept():
                pass
        except Exception as e:
            error = type(e).__name__
        said = a.recv() if a.poll(JOIN_S) else (None, None)
        finish(p)
        a.close()
    return error, said


def run(out, quick, cpus):
    reps = plan(quick)[0]
    got = {u: {"ns": [], "ok": True, "bad": 0, "addr": None} for u in ("threads", "processes")}
    failed = set()
    for _ in range(reps):
        for unit in ("threads", "processes"):  # interleaved
            if unit in failed:
                continue
            try:
                ns, ok, bad, addr = rally(unit, quick)
                g = got[unit]
                g["ns"].append(ns)
                g["ok"] &= ok
                g["bad"] += bad
                g["addr"] = addr
            except Exception as e:
                failed.add(unit)
                out["notes"].append(f"connection {unit} failed: {e!r}")
    _, _, batches, per_batch = plan(quick)
    for unit, g in got.items():
        if unit in failed or not g["ns"]:
            continue
        row_reps(out, "connection", f"{unit} tcp-authkey", g["ns"], "ns", kind="rally", unit=unit,
                 transport="tcp-loopback", address=g["addr"], authkey=True,
                 ball_bytes=BALL_BYTES, round_trips=batches * per_batch, bad_balls=g["bad"],
                 verified=g["ok"])
    try:
        error, (said, client_error) = wrong_key()
        rejected = error is not None and said != "connected"
        row(out, "connection", "wrong authkey", 1.0 if rejected else 0.0, "rejected", kind="auth",
            outcome="rejected" if rejected else "accepted", error_type=error,
            client_error=client_error, verified=said is not None)
    except Exception as e:
        out["notes"].append(f"connection wrong authkey failed: {e!r}")
