"""Zombie: a finished child that nobody has waited for stays in the process
table as a zombie (state "Z" in /proc/PID/stat) until its parent reaps it;
a finished thread leaves nothing behind, joined or not.

Cases:
    "mp-process"  a multiprocessing.Process ("fork") whose target returns at
                  once, left unjoined; then p.join()
    "os-fork"     os.fork() + os._exit(0), no waitpid; then os.waitpid()
    "thread"      a threading.Thread that returns at once, left unjoined;
                  its /proc/self/task/TID entry is watched instead; then
                  t.join()
The parent watches the child's state for up to a deadline, sleeping 1 ms
between looks, holding the state it saw once it stays put for 50 ms.

Rows (besides the common fields of pp_common.py):
    experiment    "zombie"
    case          "mp-process" | "os-fork" | "thread"
    unit          "processes" | "threads"
    state_unjoined  string: the /proc state after the unit finished and
                  before any join ("Z" = zombie; "gone" = no entry left)
    zombie        bool: state_unjoined == "Z"
    zombie_ns     number or null: how long it was seen as a zombie before
                  the join (ns, at least the 50 ms watch)
    state_joined  string: the state right after join/waitpid ("gone"
                  expected)
    reaped        bool: state_joined == "gone"
    outcome       "zombie-until-joined" | "no-zombie" | "zombie-after-join"
    value         1.0 if a zombie was seen, else 0.0
    value_unit    "zombie"
    verified      bool: the unit really finished (exit code 0 / thread ran)
"""

import multiprocessing as mp
import os
import threading
import time

from pp_common import JOIN_S, finish, proc_state, reap_pid


def _nothing():
    pass


def settle(state_of):
    """The state once it stops changing for 50 ms (or at the deadline), and
    when it was first seen."""
    end = time.monotonic() + JOIN_S
    last, since = state_of(), time.perf_counter_ns()
    while time.monotonic() < end:
        time.sleep(0.001)
        s = state_of()
        if s != last:
            last, since = s, time.perf_counter_ns()
        elif last in ("Z", "gone") and time.perf_counter_ns() - since >= 50_000_000:
            break
    return last, since


def one(case):
    if case == "mp-process":
        p = mp.get_context("fork").Process(target=_nothing)
        p.start()
        pid = p.pid
        try:
            state, since = settle(lambda: proc_state(pid))
            t_join = time.perf_counter_ns()
            p.join(JOIN_S)
            ran = p.exitcode == 0
            joined = proc_state(pid)
        finally:
            finish(p)
        return state, since, t_join, joined, ran
    if case == "os-fork":
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        try:
            state, since = settle(lambda: proc_state(pid))
            t_join = time.perf_counter_ns()
        finally:
            status = reap_pid(pid)
        return state, since, t_join, proc_state(pid), os.waitstatus_to_exitcode(status) == 0
    ran = []
    tid = []
    ready = threading.Event()

    def body():
        tid.append(threading.get_native_id())
        ran.append(True)
        ready.set()

    t = threading.Thread(target=body, daemon=True)
    t.start()
    ready.wait(JOIN_S)

    def task_state():
        return proc_state(f"self/task/{tid[0]}") if tid else "gone"

    state, since = settle(task_state)
    t_join = time.perf_counter_ns()
    t.join(JOIN_S)
    return state, since, t_join, task_state(), bool(ran)


def run(out, quick, cpus):
    for case, unit in (("mp-process", "processes"), ("os-fork", "processes"), ("thread", "threads")):
        try:
            state, since, t_join, joined, ran = one(case)
            zombie = state == "Z"
            if zombie and joined == "gone":
                outcome = "zombie-until-joined"
            elif zombie:
                outcome = "zombie-after-join"
            else:
                outcome = "no-zombie"
            out["rows"].append({
                "experiment": "zombie", "case": case, "unit": unit, "state_unjoined": state,
                "zombie": zombie, "zombie_ns": (t_join - since) if zombie else None,
                "state_joined": joined, "reaped": joined == "gone", "outcome": outcome,
                "value": 1.0 if zombie else 0.0, "value_unit": "zombie", "verified": ran,
            })
        except Exception as e:
            out["notes"].append(f"zombie {case} failed: {e!r}")
