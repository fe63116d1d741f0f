"""Pool: a worker process killed with SIGKILL in the middle of a job, live,
under a deadline.

Two pools of 2 workers (start method "fork") get the same jobs: job i
returns i * i after a short sleep; the victim job first reports its
worker's pid, then sleeps for a minute. As soon as the pid arrives, the
parent sends that worker SIGKILL and checks the worker really died (its
/proc state becomes "Z" or it is gone). Then it waits for every result until
a deadline.

    "mp-pool"   multiprocessing.Pool: the pool replaces the dead worker,
                but the job it held is never finished nor reported; waiting
                for it only ends at the deadline (it hangs)
    "ppe"       concurrent.futures.ProcessPoolExecutor: the pool is marked
                broken and every unfinished future raises BrokenProcessPool

Rows (besides the common fields of pp_common.py):
    experiment        "pool"
    case              "mp-pool" | "ppe"
    pool              "multiprocessing.Pool" |
                      "concurrent.futures.ProcessPoolExecutor"
    start_method      "fork"
    jobs              int, jobs submitted
    completed         int, jobs that returned a result
    failed            int, jobs that reported an error
    lost              int, jobs with neither by the deadline
    error_type        string or null: the exception type the failed jobs
                      raised ("BrokenProcessPool"…)
    fault_delivered   bool: SIGKILL was sent to the victim's worker and that
                      process was dead afterwards
    victim_state      string: /proc state of the victim after the kill ("Z",
                      or "gone" once reaped; "R"/"S" would mean it lived)
    deadline_s        number: how long the parent waited for the results
    outcome           "hung-job-lost"  (some job neither completed nor failed
                                        by the deadline)
                      | "broken-pool-reported" (every job completed or raised)
                      | "all-completed" (the fault changed nothing)
                      | "no-fault"     (the victim was not killed: a failed
                                        case)
    value             int: jobs completed
    value_unit        "jobs"
    waited_ns         number: ns from the kill until the last job completed
                      or failed, or until the deadline
    verified          bool: every result that arrived was right (i * i)
"""

import concurrent.futures as cf
import multiprocessing as mp
import os
import signal
import time
import warnings

from pp_common import proc_state

_pids = None


def _init(q):
    global _pids
    _pids = q


def job(i, victim):
    if i == victim:
        _pids.put(os.getpid())
        time.sleep(60)
    time.sleep(0.01)
    return i * i


def kill_victim(q, wait_s):
    """Waits for the victim's pid and kills it; (delivered, state, t_kill)."""
    pid = q.get(timeout=wait_s)
    os.kill(pid, signal.SIGKILL)
    t_kill = time.perf_counter_ns()
    end = time.monotonic() + wait_s
    state = proc_state(pid)
    while state not in ("Z", "gone", "X") and time.monotonic() < end:
        time.sleep(0.001)
        state = proc_state(pid)
    return state in ("Z", "gone", "X"), state, t_kill


def with_mp_pool(jobs, victim, deadline):
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    pool = ctx.Pool(2, initializer=_init, initargs=(q,))
    try:
        pending = [pool.apply_async(job, (i, victim)) for i in range(jobs)]
        delivered, state, t_kill = kill_victim(q, deadline)
        results, errors, etype = {}, 0, None
        end = time.monotonic() + deadline
        t_last = None
        for i, r in enumerate(pending):
            try:
                results[i] = r.get(timeout=max(0.0, end - time.monotonic()))
                t_last = time.perf_counter_ns()
            except mp.TimeoutError:
                pass
            except Exception as e:
                errors += 1
                etype = type(e).__name__
                t_last = time.perf_counter_ns()
        lost = jobs - len(results) - errors
        waited = (time.perf_counter_ns() if lost else t_last) - t_kill
    finally:
        pool.terminate()
        pool.join()
        q.close()
        q.join_thread()
    return results, errors, etype, lost, delivered, state, waited


def with_ppe(jobs, victim, deadline):
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    ex = cf.ProcessPoolExecutor(2, mp_context=ctx, initializer=_init, initargs=(q,))
    try:
        futs = [ex.submit(job, i, victim) for i in range(jobs)]
        delivered, state, t_kill = kill_victim(q, deadline)
        done, _ = cf.wait(futs, timeout=deadline)
        t_last = time.perf_counter_ns()
        results, errors, etype = {}, 0, None
        for i, f in enumerate(futs):
            if f not in done:
                continue
            e = f.exception()
            if e is None:
                results[i] = f.result()
            else:
                errors += 1
                etype = type(e).__name__
        lost = jobs - len(results) - errors
        waited = t_last - t_kill
    finally:
        # Never wait for the victim's minute: end every worker first
        # (terminate_workers is 3.14's; before it, the private map).
        if hasattr(ex, "terminate_workers"):
            ex.terminate_workers(signal.SIGKILL)
        else:
            for p in list((getattr(ex, "_processes", None) or {}).values()):
                p.kill()
        ex.shutdown(wait=True, cancel_futures=True)
        q.close()
        q.join_thread()
    return results, errors, etype, lost, delivered, state, waited


def run(out, quick, cpus):
    # fork after the pools' helper threads exist is what they do themselves;
    # the DeprecationWarning about it says nothing about this measurement.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    jobs, victim = 6, 3
    deadline = 0.3 if quick else 1.0
    for key, name, fn in (("mp-pool", "multiprocessing.Pool", with_mp_pool),
                          ("ppe", "concurrent.futures.ProcessPoolExecutor", with_ppe)):
        try:
            results, errors, etype, lost, delivered, state, waited = fn(jobs, victim, deadline)
            if not delivered:
                outcome = "no-fault"
            elif lost:
                outcome = "hung-job-lost"
            elif errors:
                outcome = "broken-pool-reported"
            else:
                outcome = "all-completed"
            out["rows"].append({
                "experiment": "pool", "case": key, "pool": name, "start_method": "fork",
                "jobs": jobs, "completed": len(results), "failed": errors, "lost": lost,
                "error_type": etype, "fault_delivered": delivered, "victim_state": state,
                "deadline_s": deadline, "outcome": outcome, "value": len(results),
                "value_unit": "jobs", "waited_ns": waited,
                "verified": all(v == i * i for i, v in results.items()),
            })
        except Exception as e:
            out["notes"].append(f"pool {key} failed: {e!r}")
