"""Benchmark: the ``kamseg demo`` job, alone and next to another CPU-bound process.

Usage::

    python benchmarks/bench_threads.py                     # n_jobs default, 1, unlimited
    python benchmarks/bench_threads.py --modes default unlimited --repeat 5

Each run is a fresh process that makes the demo data (``make_transactions(2000, seed=42)``,
not timed) and times ``kamseg.segment`` on it with every side table (master, surveys,
complaints, catalog) and the demo's settings, as ``kamseg demo`` does. Modes:

- ``default``: ``SegmentConfig.n_jobs`` None, the cores this process may use;
- a number: ``n_jobs`` of that many threads;
- ``unlimited``: the behaviour before ``n_jobs`` (no thread limit: each BLAS and OpenMP
  pool starts its own threads, one per core).

Conditions: ``quiet`` (nothing else started by the script) and ``busy`` (one other process
running a pure-Python busy loop, started before the run and stopped after). The script
prints the medians, busy / quiet per mode (target: at most 1.5x for the default) and
each mode against ``unlimited``. The machine's load average is printed first: other work on
the machine makes "quiet" less quiet.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

CHILD = """
import contextlib, sys, time, warnings
warnings.simplefilter("ignore")
import kamseg
import kamseg.pipeline

mode = sys.argv[1]
n_jobs = None
if mode == "unlimited":  # the job as before n_jobs: no limit around it
    kamseg.pipeline.limited_threads = lambda n: contextlib.nullcontext(n)
elif mode != "default":
    n_jobs = int(mode)
data = kamseg.datasets.make_transactions(n_customers=2000, seed=42)
config = kamseg.SegmentConfig(profit_col="profit", order_col="order_id", n_jobs=n_jobs)
t0 = time.perf_counter()
table = kamseg.segment(data.transactions, master=data.master, surveys=data.surveys,
                       complaints=data.complaints, catalog=data.catalog, config=config)
seconds = time.perf_counter() - t0
assert "churn" in table.attrs["kamseg_steps"], table.attrs["kamseg_skipped"]
print(f"seconds {seconds:.3f}")
"""

BUSY = "while True:\n    pass\n"


def _run(mode: str) -> float:
    """One fresh process: seconds of ``kamseg.segment`` in `mode`."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"mode {mode} failed:\n{proc.stderr[-3000:]}")
    return float(re.findall(r"seconds ([\d.]+)", proc.stdout)[-1])


def _median(mode: str, busy: bool, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        other = subprocess.Popen([sys.executable, "-c", BUSY]) if busy else None
        try:
            if other is not None:
                time.sleep(0.5)  # let it take its core
            times.append(_run(mode))
        finally:
            if other is not None:
                other.kill()
                other.wait()
    return statistics.median(times), times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", default=["default", "1", "unlimited"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import kamseg
    from kamseg._threads import available_cores

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: {os.cpu_count()} cores ({available_cores()} for this process), load "
        f"average {load}; kamseg {kamseg.__version__}; medians of {args.repeat} fresh "
        "processes, seconds of kamseg.segment on the demo data (2,000 customers)"
    )
    results: dict[tuple[str, str], float] = {}
    for mode in args.modes:
        for condition in ("quiet", "busy"):
            median, times = _median(mode, condition == "busy", args.repeat)
            results[mode, condition] = median
            shown = ", ".join(f"{t:.1f}" for t in times)
            print(f"  {mode:>9} {condition:>5}  {median:6.2f} s   ({shown})", flush=True)
    print("\nmode        quiet     busy   busy/quiet   unlimited/mode (busy)")
    for mode in args.modes:
        quiet, busy = results[mode, "quiet"], results[mode, "busy"]
        against = ""
        if "unlimited" in args.modes:
            against = f"{results['unlimited', 'busy'] / busy:.2f}x"
        print(f"{mode:>9}  {quiet:6.2f} s  {busy:6.2f} s   {busy / quiet:6.2f}x   {against:>10}")
    if "default" in args.modes:
        ratio = results["default", "busy"] / results["default", "quiet"]
        verdict = "met" if ratio <= 1.5 else "NOT met"
        print(f"\ntarget busy/quiet <= 1.5x for the default: {ratio:.2f}x, {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
