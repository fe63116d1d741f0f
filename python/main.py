"""pingpong's CPython experiments: `main.py EXPERIMENT [--quick] [--cpus N]`.

Shipped inside the pingpong binary and written to a private temporary
directory before each run. Every experiment prints exactly one JSON object on
stdout: {"interpreter": {...}, "experiment": NAME, "rows": [...], "notes": [...]}.
pingpong (Rust) parses it and wraps it in its own document. Nothing here may
outlive the run: threads are daemons joined with timeouts, processes are
joined with timeouts and terminated/killed on failure, and pingpong kills the
whole process group at the end anyway.
"""

import json
import os
import sys


def interpreter():
    gil = None
    if hasattr(sys, "_is_gil_enabled"):
        gil = bool(sys._is_gil_enabled())
    else:
        gil = True  # before 3.13 every CPython has the GIL
    return {
        "version": sys.version.split()[0],
        "implementation": sys.implementation.name,
        "executable": sys.executable,
        "gil_enabled": gil,
        "free_threaded_build": bool(__import__("sysconfig").get_config_var("Py_GIL_DISABLED")),
        "has_is_gil_enabled": hasattr(sys, "_is_gil_enabled"),
    }


def main(argv):
    if not argv:
        print("usage: main.py probe|rally|spawn|scale|pickling|memory|faults [--quick] [--cpus N]", file=sys.stderr)
        return 2
    name = argv[0]
    quick = "--quick" in argv
    cpus = len(os.sched_getaffinity(0))
    if "--cpus" in argv:
        cpus = int(argv[argv.index("--cpus") + 1])
    cpus = max(2, cpus)
    out = {"interpreter": interpreter(), "experiment": name, "rows": [], "notes": []}
    if name != "probe":
        import importlib

        mod = importlib.import_module("pp_" + name)
        mod.run(out, quick=quick, cpus=cpus)
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
