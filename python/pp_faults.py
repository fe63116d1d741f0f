"""Faults: what one failing unit does to the rest, each case in a
sacrificial interpreter (subprocess.run with a timeout), so nothing here can
take the experiment down.

In a thread, an exception is reported and the process goes on; os.abort, a
segfault and os._exit end the whole process. In a child process the same
faults end only the child, and the parent reads its exit code. A child can
be terminated or killed from outside; CPython has no API to kill a thread.
"""

import json
import subprocess
import sys

FAULTS = {
    "exception": "raise RuntimeError('boom')",
    "abort": "import os; os.abort()",
    "segfault": "import ctypes; ctypes.string_at(0)",
    "os._exit": "import os; os._exit(3)",
}

IN_THREAD = """
import sys, threading, json
threading.excepthook = lambda a: print('thread exception:', a.exc_type.__name__, file=sys.stderr)
def f():
    {fault}
t = threading.Thread(target=f); t.start(); t.join(10)
print(json.dumps({{"survived": True}}))
"""

IN_CHILD = """
import sys, json, multiprocessing as mp
def f():
    {fault}
if __name__ == '__main__':
    p = mp.get_context('fork').Process(target=f); p.start(); p.join(10)
    if p.is_alive(): p.kill(); p.join(5)
    print(json.dumps({{"survived": True, "child_exitcode": p.exitcode}}))
"""

STOP_CHILD = """
import json, time, multiprocessing as mp
if __name__ == '__main__':
    out = {{"survived": True}}
    for how in ("terminate", "kill"):
        p = mp.get_context('fork').Process(target=time.sleep, args=(60,)); p.start()
        getattr(p, how)(); p.join(10)
        out[how] = p.exitcode
    print(json.dumps(out))
"""

STOP_THREAD = """
import json, threading
stop = threading.Event()
t = threading.Thread(target=stop.wait, args=(60,), daemon=True); t.start()
api = [n for n in ("kill", "terminate", "stop", "cancel") if hasattr(t, n)]
t.join(0.2)
alive = t.is_alive()
stop.set(); t.join(10)
print(json.dumps({{"survived": True, "kill_api": api, "alive_after_join_timeout": alive}}))
"""


def sacrifice(code):
    # No core files left behind by the abort and the segfault.
    code = "import resource; resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n" + code
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    report = None
    for line in p.stdout.splitlines():
        try:
            report = json.loads(line)
        except ValueError:
            pass
    return p.returncode, report


def describe(rc):
    if rc < 0:
        import signal
        return f"killed by {signal.Signals(-rc).name}"
    return f"exit code {rc}"


def run(out, quick, cpus):
    for fault, stmt in FAULTS.items():
        for unit, template in (("thread", IN_THREAD), ("process", IN_CHILD)):
            try:
                rc, rep = sacrifice(template.format(fault=stmt))
                survived = bool(rep and rep.get("survived"))
                if unit == "thread":
                    outcome = ("the process went on" if survived
                               else f"the whole process ended ({describe(rc)})")
                else:
                    code = rep.get("child_exitcode") if rep else None
                    outcome = (f"only the child ended ({describe(code)}); the parent went on" if survived and code is not None
                               else f"the parent ended too ({describe(rc)})")
                out["rows"].append({
                    "experiment": "faults", "case": f"{fault} in a {unit}", "value": 1.0 if survived else 0.0,
                    "value_unit": "survived", "fault": fault, "unit": unit, "outcome": outcome,
                    "program_survived": survived, "status": describe(rc),
                })
            except Exception as e:
                out["notes"].append(f"faults {fault} in a {unit} failed: {e!r}")
    try:
        rc, rep = sacrifice(STOP_CHILD.format())
        ok = bool(rep) and rep.get("terminate") == -15 and rep.get("kill") == -9
        out["rows"].append({
            "experiment": "faults", "case": "stop a child from outside", "value": 1.0 if ok else 0.0,
            "value_unit": "stopped", "fault": "stop", "unit": "process", "program_survived": bool(rep),
            "outcome": f"terminate() → exit code {rep and rep.get('terminate')}, kill() → {rep and rep.get('kill')}",
            "status": describe(rc),
        })
        rc, rep = sacrifice(STOP_THREAD.format())
        none = bool(rep) and not rep.get("kill_api")
        out["rows"].append({
            "experiment": "faults", "case": "stop a thread from outside", "value": 0.0 if none else 1.0,
            "value_unit": "stopped", "fault": "stop", "unit": "thread", "program_survived": bool(rep),
            "outcome": ("threading.Thread has no kill/terminate: the thread can only be asked to stop"
                        if none else f"unexpected thread API: {rep}"),
            "status": describe(rc),
        })
    except Exception as e:
        out["notes"].append(f"faults stop failed: {e!r}")
