"""Stop: stopping a thread and a process from outside, live.

threading.Thread has no kill, terminate, stop or cancel. The nearest thing
is the C API PyThreadState_SetAsyncExc, reached through ctypes.pythonapi: it
marks an exception as pending in the target thread, which raises it the next
time that thread runs Python bytecode. So it stops a thread running a
pure-Python loop, but not one blocked in C (time.sleep, os.read on a pipe):
that one raises only once the blocking call returns. Each attempt is made on
a fresh daemon thread, the thread is watched for a short window, then
released (its sleep ends; a byte is written to its pipe) and joined under a
deadline, so every thread of the demonstration ends.

A child process, by contrast, is stopped by a signal: terminate() (SIGTERM)
and kill() (SIGKILL) on a multiprocessing child asleep for a minute.

Rows (besides the common fields of pp_common.py):
  thread attempts:
    experiment     "stop"
    case           "thread {target}"
    unit           "thread"
    target         "python-loop" (a pure-Python busy loop)
                   | "time-sleep" (blocked in time.sleep)
                   | "os-read"    (blocked in os.read on an empty pipe)
    method         "set-async-exc"
    kill_api       list of string: which of kill, terminate, stop, cancel
                   threading.Thread has (expected: [])
    api_result     int: PyThreadState_SetAsyncExc's return (threads marked;
                   1 = the exception is pending in the target)
    window_ms      number: how long the thread was watched after the call
    outcome        "interrupted"   (it raised the exception within the window)
                   | "raised-after-block-returned" (it did not within the
                     window; it raised once released from its C call)
                   | "not-interrupted" (it never raised it)
                   | "api-refused" (the call marked no thread)
    value          number or null: ns from the call to the exception raised
                   in the thread (null when it was not within the window)
    value_unit     "ns"
    escaped_handler  bool: the exception ended the thread without reaching
                   the thread's own `except Stop` around its work (an
                   interpreter bug seen with 3.13, python/cpython#139622);
                   it still counts as raised
    ended          bool: the thread ended by the end (after release)
    verified       bool: the thread ran where it was meant to (it had
                   started its loop or blocking call before the call)
  process attempts:
    case           "process terminate" | "process kill"
    unit           "process"
    target         "time-sleep"
    method         "terminate" | "kill"
    outcome        "stopped" (ended by the signal) | "not-stopped"
    exit_code      int or null: multiprocessing's exitcode (-15, -9…)
    signal         string or null: "SIGTERM", "SIGKILL"
    value          number: ns from the call to the child reaped by join
    value_unit     "ns"
    verified       bool: the child was alive before the call
"""

import ctypes
import multiprocessing as mp
import os
import signal
import threading
import time

from pp_common import JOIN_S, finish


class Stop(Exception):
    """The exception injected into the target thread."""


def set_async_exc(tid, exc):
    f = ctypes.pythonapi.PyThreadState_SetAsyncExc
    f.argtypes = [ctypes.c_ulong, ctypes.py_object]
    f.restype = ctypes.c_int
    return f(tid, exc)


def attempt(target, window_s, sleep_s):
    """One attempt on a fresh thread. Returns the row's fields."""
    started = threading.Event()
    release = threading.Event()
    seen = {}
    r, w = os.pipe()

    def body():
        try:
            started.set()
            if target == "python-loop":
                x = 0
                while not release.is_set():
                    x += 1
            elif target == "time-sleep":
                time.sleep(sleep_s)
                # After the sleep, any pending exception is raised here, at
                # the next bytecode; nothing else can end the thread.
                while not release.is_set():
                    time.sleep(0.001)
            else:
                os.read(r, 1)
                while not release.is_set():
                    time.sleep(0.001)
        except Stop:
            seen["raised_ns"] = time.perf_counter_ns()

    t = threading.Thread(target=body, daemon=True)
    # The injected exception can escape the thread's own `except Stop`
    # (seen with 3.13: python/cpython#139622); it then ends the thread
    # through threading.excepthook, which notes it instead of printing it.
    old_hook = threading.excepthook

    def hook(args):
        if args.thread is t and args.exc_type is Stop:
            seen["raised_ns"] = time.perf_counter_ns()
            seen["escaped"] = True
        else:
            old_hook(args)

    threading.excepthook = hook
    try:
        t.start()
        ok = started.wait(JOIN_S)
        time.sleep(0.02)  # into its loop, sleep or read
        t0 = time.perf_counter_ns()
        res = set_async_exc(t.ident, Stop)
        t.join(window_s)
        within = "raised_ns" in seen
        # Release it: its sleep ends by itself; the pipe gets a byte.
        os.write(w, b"x")
        release.set()
        t.join(JOIN_S)
    finally:
        threading.excepthook = old_hook
        os.close(r)
        os.close(w)
    if res != 1:
        outcome = "api-refused"
    elif within:
        outcome = "interrupted"
    elif "raised_ns" in seen:
        outcome = "raised-after-block-returned"
    else:
        outcome = "not-interrupted"
    return {
        "api_result": res, "window_ms": window_s * 1e3, "outcome": outcome,
        "value": (seen["raised_ns"] - t0) if within else None,
        "escaped_handler": bool(seen.get("escaped")),
        "ended": not t.is_alive(), "verified": bool(ok),
    }


def stop_process(how):
    ctx = mp.get_context("fork")
    p = ctx.Process(target=time.sleep, args=(60,), daemon=True)
    p.start()
    try:
        time.sleep(0.02)
        alive = p.is_alive()
        t0 = time.perf_counter_ns()
        getattr(p, how)()
        p.join(JOIN_S)
        ns = time.perf_counter_ns() - t0
        code = p.exitcode
    finally:
        finish(p, 0)
    sig = None
    if code is not None and code < 0:
        sig = signal.Signals(-code).name
    expected = {"terminate": "SIGTERM", "kill": "SIGKILL"}[how]
    return {
        "outcome": "stopped" if sig == expected else "not-stopped",
        "exit_code": code, "signal": sig, "value": ns, "verified": alive,
    }


def run(out, quick, cpus):
    api = [n for n in ("kill", "terminate", "stop", "cancel") if hasattr(threading.Thread, n)]
    window = 0.05 if quick else 0.2
    sleep_s = window * 2
    for target in ("python-loop", "time-sleep", "os-read"):
        try:
            got = attempt(target, window, sleep_s)
            out["rows"].append({
                "experiment": "stop", "case": f"thread {target}", "unit": "thread",
                "target": target, "method": "set-async-exc", "kill_api": api,
                "value_unit": "ns", **got,
            })
        except Exception as e:
            out["notes"].append(f"stop thread {target} failed: {e!r}")
    for how in ("terminate", "kill"):
        try:
            got = stop_process(how)
            out["rows"].append({
                "experiment": "stop", "case": f"process {how}", "unit": "process",
                "target": "time-sleep", "method": how, "value_unit": "ns", **got,
            })
        except Exception as e:
            out["notes"].append(f"stop process {how} failed: {e!r}")
