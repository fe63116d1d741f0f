"""Faults: what one failing unit does to the rest of the program.

Each case runs in a sacrificial interpreter (a subprocess of this same
interpreter, all cases side by side, each with a deadline; core dumps off), so nothing here can take the
experiment down. The sacrificial program starts one thread or one forked
multiprocessing child that commits the fault, then (if it is still alive)
prints one JSON line saying so.

Faults ("fault"):
    "exception"  raise RuntimeError in the unit
    "abort"      os.abort()            (SIGABRT)
    "segfault"   ctypes.string_at(0)   (SIGSEGV: reads address 0)
    "os-exit"    os._exit(3)
Units ("unit"): "thread" (threading.Thread), "process" (multiprocessing
"fork" child).

Rows (besides the common fields of pp_common.py):
    experiment        "faults"
    case              "{fault} {unit}", e.g. "segfault thread"
    value             1.0 if the program went on after the fault, else 0.0
    value_unit        "survived"
    fault, unit       as above
    outcome           "program-went-on"  (a thread's fault; the process lived)
                      | "only-child-ended" (a child's fault ended the child;
                                           the parent went on)
                      | "program-ended"  (the whole program ended)
                      | "no-fault"       (the fault did not fire: the unit
                                           ended normally; a failed case)
    program_survived  bool: the sacrificial program printed its report
    fault_fired       bool: the unit reached the fault (a marker written just
                      before it) and did not end normally
    program_exit_code int or null: the sacrificial program's exit code, null
                      when a signal ended it
    program_signal    string or null: the signal that ended it ("SIGSEGV",
                      "SIGABRT"…)
    child_exit_code   int or null (process unit): the child's exit code
                      (multiprocessing's exitcode when positive or zero)
    child_signal      string or null (process unit): the signal that ended
                      the child
    thread_exception  string or null (thread unit, exception): the exception
                      type threading.excepthook received
"""

import json
import signal
import subprocess
import sys

from pp_common import JOIN_S

FAULTS = {
    "exception": "raise RuntimeError('boom')",
    "abort": "import os; os.abort()",
    "segfault": "import ctypes; ctypes.string_at(0)",
    "os-exit": "import os; os._exit(3)",
}

# The marker is written to stderr (unbuffered) just before the fault.
IN_THREAD = """
import sys, threading, json
seen = []
def hook(a):
    seen.append(a.exc_type.__name__)
threading.excepthook = hook
def f():
    sys.stderr.write('FAULT-NOW\\n'); sys.stderr.flush()
    {fault}
    sys.stderr.write('NO-FAULT\\n'); sys.stderr.flush()
t = threading.Thread(target=f); t.start(); t.join({join})
print(json.dumps({{"survived": True, "thread_exception": seen[0] if seen else None}}))
"""

IN_CHILD = """
import sys, json, multiprocessing as mp
def f():
    sys.stderr.write('FAULT-NOW\\n'); sys.stderr.flush()
    {fault}
    sys.stderr.write('NO-FAULT\\n'); sys.stderr.flush()
if __name__ == '__main__':
    p = mp.get_context('fork').Process(target=f); p.start(); p.join({join})
    if p.is_alive(): p.kill(); p.join(5)
    print(json.dumps({{"survived": True, "child_exitcode": p.exitcode}}))
"""


def start(code):
    # No core files left behind by the abort and the segfault.
    code = "import resource; resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n" + code
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def collect(p):
    """(return code, the JSON report or None, stderr) of a started case."""
    try:
        stdout, stderr = p.communicate(timeout=JOIN_S * 2)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    report = None
    for line in stdout.splitlines():
        try:
            report = json.loads(line)
        except ValueError:
            pass
    return p.returncode, report, stderr


def split_status(rc):
    """(exit code, signal name) from a subprocess/multiprocessing return code."""
    if rc is None:
        return None, None
    if rc < 0:
        try:
            return None, signal.Signals(-rc).name
        except ValueError:
            return None, f"signal {-rc}"
    return rc, None


def run(out, quick, cpus):
    # The cases are independent programs: they run side by side.
    started = []
    for fault, stmt in FAULTS.items():
        for unit, template in (("thread", IN_THREAD), ("process", IN_CHILD)):
            try:
                started.append((fault, unit, start(template.format(fault=stmt, join=JOIN_S))))
            except Exception as e:
                out["notes"].append(f"faults {fault} {unit} failed: {e!r}")
    for fault, unit, p in started:
        try:
            rc, rep, err = collect(p)
            survived = bool(rep and rep.get("survived"))
            fired = "FAULT-NOW" in err and "NO-FAULT" not in err
            code, sig = split_status(rc)
            extra = {}
            if unit == "thread":
                outcome = "program-went-on" if survived else "program-ended"
                extra["thread_exception"] = rep.get("thread_exception") if rep else None
            else:
                ccode, csig = split_status(rep.get("child_exitcode") if rep else None)
                extra["child_exit_code"] = ccode
                extra["child_signal"] = csig
                outcome = "only-child-ended" if survived else "program-ended"
            if not fired:
                outcome = "no-fault"
            out["rows"].append({
                "experiment": "faults", "case": f"{fault} {unit}",
                "value": 1.0 if survived else 0.0, "value_unit": "survived",
                "fault": fault, "unit": unit, "outcome": outcome,
                "program_survived": survived, "fault_fired": fired,
                "program_exit_code": code, "program_signal": sig, **extra,
            })
        except Exception as e:
            out["notes"].append(f"faults {fault} {unit} failed: {e!r}")
