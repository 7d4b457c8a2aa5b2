"""Benchmark: the per-customer steps after the summary, each on its own (issue 14, item 3).

Usage::

    python benchmarks/bench_steps.py                       # 100k and 1M customers
    python benchmarks/bench_steps.py --sizes 1000000 --steps classes --repeat 1
    python benchmarks/bench_steps.py --sizes 1000000 --steps classes latent --n-jobs 1
    OMP_NUM_THREADS=1 python benchmarks/bench_steps.py     # single-threaded BLAS

For each size the inputs are built once and not timed: ``kamseg.datasets.make_transactions``
(about 9 transactions per customer, with master, surveys, complaints and catalogue),
:func:`kamseg.prepare_transactions`, :func:`kamseg.summarize`, CLV columns faked from the
revenue (``p_alive``, ``clv``, ``profit_clv``: the steps only read them), the master's
key-account criteria joined, and :func:`kamseg.classify` run once to give the health and
warning steps the table they see in ``kamseg segment``. They are pickled to a temporary
folder. Then each step runs `--repeat` times, each time in a fresh process that loads the
inputs and times the step alone:

- ``classes``: :func:`kamseg.classify` with every side table (value, behaviour, lifecycle
  with the spend trend, need level with latent needs, satisfaction with complaints);
- ``health``: :func:`kamseg.health_score` on the classified table, with the transactions;
- ``warnings``: :func:`kamseg.early_warnings` on the scored table, with every side table;
- ``accounts``: :func:`kamseg.score_accounts` (the criteria of ``kamseg segment``) and
  :func:`kamseg.select_key_accounts`;
- ``latent`` (not run unless asked): :func:`kamseg.latent_needs` alone with its defaults,
  the nearest-neighbour part of ``classes`` (which computes it for its ``latent_needs``
  column).

Printed: the median seconds of each step, the CPU seconds of its process (all threads:
above the seconds when a step uses both cores), its peak resident memory, and the seconds
per million customers (flat across sizes when the step is linear). The issue 14 target:
each step at most 2 s at 1M customers on 2 cores. ``--n-jobs 1`` runs each step with one
thread (kamseg's thread budget, as ``n_jobs`` of ``kamseg segment``): its seconds are then
the step's work on one core, and half of them the least two cores could take.
"""

from __future__ import annotations

import argparse
import os
import pickle
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = ("classes", "health", "warnings", "accounts", "latent")
DEFAULT_STEPS = STEPS[:4]
CRITERIA = {
    "revenue": 0.25,
    "profit_clv": 0.25,
    "market_influence": 0.15,
    "strategic_fit": 0.15,
    "cost_to_serve": {"weight": 0.20, "direction": "min"},
}

# one step in a fresh process: load the inputs (not timed), time the step
CHILD = """
import pickle, resource, sys, time, warnings
warnings.simplefilter("ignore")
import kamseg
from kamseg.accounts import score_accounts, select_key_accounts
from kamseg._threads import limited_threads  # the thread budget of segment's n_jobs
from kamseg.pipeline import load_step_libraries
step, path, n_jobs = sys.argv[1], sys.argv[2], sys.argv[3]
# the native libraries loaded before the thread limit, as kamseg segment loads them (else
# scipy's BLAS, first loaded inside the limit, would start its threads beside it)
load_step_libraries(("churn", "classes"), catalog=True)
with open(path, "rb") as f:
    d = pickle.load(f)
rows = kamseg.prepare_transactions(
    d["transactions"], profit_col="profit", product_col="product", as_of=d["as_of"]
)


def run():
    if step == "classes":
        kamseg.classify(d["customers"], transactions=rows, surveys=d["surveys"],
                        complaints=d["complaints"], catalog=d["catalog"], master=d["master"])
    elif step == "health":
        kamseg.health_score(d["classified"], transactions=rows)
    elif step == "warnings":
        kamseg.early_warnings(d["classified"], transactions=rows, surveys=d["surveys"],
                              complaints=d["complaints"])
    elif step == "latent":
        kamseg.latent_needs(d["customers"], transactions=rows, catalog=d["catalog"])
    else:
        scored = score_accounts(d["customers"], criteria=d["criteria"],
                                normalize_weights=True, missing="worst")
        select_key_accounts(scored, min_accounts=5, max_accounts=50)


with limited_threads(None if n_jobs == "default" else int(n_jobs)):
    t0, c0 = time.perf_counter(), time.process_time()
    run()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
# VmHWM: ru_maxrss would keep the parent's peak across exec
peak = int(next(line.split()[1] for line in open("/proc/self/status")
                if line.startswith("VmHWM:"))) / 1024
print(f"seconds {seconds:.3f} cpu {cpu:.3f} peak_mb {peak:.0f}")
"""


def _inputs(n_customers: int, seed: int, path: Path) -> tuple[int, int, float]:
    """Build and pickle the inputs; return transactions, customers and seconds taken."""
    import warnings

    import numpy as np

    import kamseg

    t0 = time.perf_counter()
    data = kamseg.datasets.make_transactions(n_customers=n_customers, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = kamseg.prepare_transactions(
            data.transactions, profit_col="profit", product_col="product", as_of=data.as_of
        )
        customers = kamseg.summarize(rows, profit_col="profit", as_of=data.as_of)
        rng = np.random.default_rng(seed)
        customers["p_alive"] = rng.uniform(size=len(customers))
        customers["clv"] = customers["revenue"] * rng.uniform(0.2, 2.0, size=len(customers))
        customers["profit_clv"] = 0.25 * customers["clv"]
        criteria = ["market_influence", "strategic_fit", "cost_to_serve"]
        customers = customers.join(data.master[criteria])
        classified = kamseg.classify(
            customers,
            transactions=rows,
            surveys=data.surveys,
            complaints=data.complaints,
            master=data.master,
        )
    inputs = {
        "transactions": data.transactions,
        "as_of": data.as_of,
        "customers": customers,
        "classified": classified,
        "master": data.master,
        "surveys": data.surveys,
        "complaints": data.complaints,
        "catalog": data.catalog,
        "criteria": CRITERIA,
    }
    with path.open("wb") as f:
        pickle.dump(inputs, f, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data.transactions), len(customers), time.perf_counter() - t0


def _run(step: str, path: Path, n_jobs: str) -> tuple[float, float, float]:
    """Time `step` in a fresh process: its seconds, CPU seconds and peak resident memory
    (MB)."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, step, str(path), n_jobs],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"step {step} failed:\n{proc.stderr[-3000:]}")
    found = re.search(r"seconds ([\d.]+) cpu ([\d.]+) peak_mb ([\d.]+)", proc.stdout)
    if found is None:  # pragma: no cover - the child always prints it
        raise RuntimeError(f"step {step}: no timing in {proc.stdout!r}")
    return float(found.group(1)), float(found.group(2)), float(found.group(3))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(DEFAULT_STEPS))
    parser.add_argument("--repeat", type=int, default=3, help="fresh-process runs per step")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--n-jobs", default="default", help="threads of each step (default: the cores usable)"
    )
    parser.add_argument("--tmp", default=None, help="folder for the inputs (default: temp dir)")
    args = parser.parse_args()

    import kamseg

    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    threads = os.environ.get("OMP_NUM_THREADS", "default")
    print(
        f"machine: {os.cpu_count()} cores, {mem_gb:.0f} GiB; OMP_NUM_THREADS={threads}; "
        f"n_jobs={args.n_jobs}; kamseg {kamseg.__version__}; "
        f"medians of {args.repeat} fresh-process runs"
    )
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"inputs_{size}.pickle"
            n_tx, n_cust, made = _inputs(size, args.seed, path)
            print(f"\n{n_cust:,} customers, {n_tx:,} transactions (inputs made in {made:.0f} s)")
            for step in args.steps:
                runs = [_run(step, path, args.n_jobs) for _ in range(args.repeat)]
                seconds = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[1] for r in runs)
                peak = max(r[2] for r in runs)
                per_million = seconds / (n_cust / 1e6)
                print(
                    f"  {step:<9} {seconds:7.2f} s  cpu {cpu:6.2f} s   peak {peak:6.0f} MB   "
                    f"{per_million:6.2f} s per 1M customers   "
                    f"(runs: {', '.join(f'{r[0]:.2f}' for r in runs)})"
                )
            path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
