"""pingpong's CPython experiments:
`main.py EXPERIMENT [--quick] [--cpus N] [--timeout SECONDS]`.

Shipped inside the pingpong binary and written to a private temporary
directory before each run. Every experiment prints exactly ONE JSON object,
on one line of stdout (diagnostics go to stderr):

    {
      "interpreter": {
        "version": "3.13.5",            string, sys.version's first word
        "implementation": "cpython",    string, sys.implementation.name
        "executable": "/usr/bin/...",   string, sys.executable
        "gil_enabled": true,            bool, sys._is_gil_enabled() when the
                                        program ended (True where absent:
                                        before 3.13 every CPython has a GIL)
        "gil_enabled_at_start": true,   bool, the same before it ran (a
                                        free-threaded build turns the GIL on
                                        when it imports an extension that
                                        does not declare itself safe)
        "free_threaded_build": false,   bool, sysconfig Py_GIL_DISABLED
        "has_is_gil_enabled": true,     bool, whether sys._is_gil_enabled exists
        "platform": "Linux-6.1-x86_64", string, platform.platform()
        "machine": "x86_64",            string, platform.machine()
        "cpus_allowed": [0, 1],         list of int, sched_getaffinity(0)
        "getcpu": "ctypes sched_getcpu" string, how the CPU of a thread is read
      },
      "experiment": "rally",            string, as asked
      "quick": false,                   bool
      "rows": [ {...}, ... ],           the results: see pp_common.py for the
                                        fields every row has, and each
                                        pp_NAME.py for its own
      "notes": [ "…", ... ]             strings: a case that failed or was
                                        skipped, and why
    }

Every row also gets "gil_enabled" and "free_threaded_build" (bools, as in
"interpreter"), so each row says which CPython it describes.

`main.py probe` prints the same object with no rows. Exit status 0 when the
object was printed; 2 on a usage error.

Nothing here may outlive the run: threads are daemons joined with timeouts,
processes are joined with timeouts and terminated/killed on failure, and
pingpong kills the whole process group at the end anyway.
"""

import json
import os
import sys

EXPERIMENTS = ("rally", "spawn", "scale", "pickling", "memory", "faults",
               "stop", "pool", "locks", "connection", "zombie")


def gil_enabled():
    if hasattr(sys, "_is_gil_enabled"):
        return bool(sys._is_gil_enabled())
    return True  # before 3.13 every CPython has the GIL


def interpreter(gil_at_start):
    import platform
    import sysconfig

    from pp_common import GETCPU_SOURCE

    return {
        "version": sys.version.split()[0],
        "implementation": sys.implementation.name,
        "executable": sys.executable,
        "gil_enabled": gil_enabled(),
        "gil_enabled_at_start": gil_at_start,
        "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "has_is_gil_enabled": hasattr(sys, "_is_gil_enabled"),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus_allowed": sorted(os.sched_getaffinity(0)),
        "getcpu": GETCPU_SOURCE,
    }


def main(argv):
    if not argv or argv[0] not in EXPERIMENTS + ("probe",):
        print("usage: main.py probe|" + "|".join(EXPERIMENTS)
              + " [--quick] [--cpus N] [--timeout SECONDS]", file=sys.stderr)
        return 2
    gil_at_start = gil_enabled()
    name = argv[0]
    quick = "--quick" in argv
    cpus = len(os.sched_getaffinity(0))
    try:
        if "--cpus" in argv:
            cpus = int(argv[argv.index("--cpus") + 1])
        if "--timeout" in argv:
            import pp_common

            # Joins wait at most a quarter of the run's deadline.
            pp_common.set_join_s(min(10.0, float(argv[argv.index("--timeout") + 1]) / 4))
    except (IndexError, ValueError):
        print("--cpus takes a whole number, --timeout a number of seconds", file=sys.stderr)
        return 2
    cpus = max(2, cpus)
    out = {"experiment": name, "quick": quick, "rows": [], "notes": []}
    if name != "probe":
        import importlib

        mod = importlib.import_module("pp_" + name)
        mod.run(out, quick=quick, cpus=cpus)
    out["interpreter"] = interpreter(gil_at_start)
    for r in out["rows"]:
        r["gil_enabled"] = out["interpreter"]["gil_enabled"]
        r["free_threaded_build"] = out["interpreter"]["free_threaded_build"]
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
