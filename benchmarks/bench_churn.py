"""Benchmark: the churn model, ``churn_model`` then ``predict_churn``, at 100k and 1M customers.

Usage::

    python benchmarks/bench_churn.py                        # 100k and 1M customers, 3 runs
    python benchmarks/bench_churn.py --sizes 100000 --before /tmp/before14/src

For each size, data is made on the fly (``kamseg.datasets.make_transactions(n, seed=1)``,
about 9 transactions per buyer) and written to a Parquet file (not timed). Then, in a fresh
process per run, with ``OMP_NUM_THREADS=1`` (and the BLAS pools at one thread) so that
figures compare across machines and runs:

- the transactions are read and prepared (``kamseg.prepare_transactions``, not timed);
- ``churn_model(prepared, window_days=180)``, as ``kamseg segment`` calls it (automatic
  cut-offs, the BTYD baselines), is timed: wall and CPU seconds;
- ``predict_churn(customers, model, transactions=prepared)`` on the customer table at the
  `as_of` is timed the same way.

The medians of the runs are printed, with the process's peak resident memory, the training
rows used (and before sampling) and the evaluation AUC. ``--before PATH`` runs the same
script against another copy of kamseg (its ``src`` folder, put first on ``PYTHONPATH``),
e.g. a worktree of the last commit, and prints the ratios. The issue 14 target: training at
100k customers takes a few seconds, not 54 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKER = """
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
import pandas as pd
import kamseg
from kamseg.churn import churn_model, predict_churn
tx = pd.read_parquet(sys.argv[1])
prepared = kamseg.prepare_transactions(tx)
customers = kamseg.summarize(prepared)

def timed(f):
    w, c = time.perf_counter(), time.process_time()
    out = f()
    return out, time.perf_counter() - w, time.process_time() - c

model, train_wall, train_cpu = timed(lambda: churn_model(prepared, window_days=180))
scored, predict_wall, predict_cpu = timed(
    lambda: predict_churn(customers, model, transactions=prepared)
)
print(json.dumps({
    "train_wall": train_wall, "train_cpu": train_cpu,
    "predict_wall": predict_wall, "predict_cpu": predict_cpu,
    "n_train": model.n_train, "n_rows": getattr(model, "n_train_rows", model.n_train),
    "auc": float(model.evaluation.loc["gbm", "auc"]),
    "auc_active": float(model.evaluation_active.loc["gbm", "auc"]),
    # VmHWM: ru_maxrss would keep the parent's peak across exec
    "peak_mb": int(next(line.split()[1] for line in open("/proc/self/status")
                        if line.startswith("VmHWM:"))) / 1024,
}))
"""

THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _run(path: str, src: str | None) -> dict[str, float]:
    """One fresh process on the Parquet file at `path`, kamseg from `src` (or installed)."""
    env = dict(os.environ, **dict.fromkeys(THREADS, "1"))
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, path], capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the churn worker failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def _line(label: str, m: dict[str, float]) -> str:
    return (
        f"  {label:<7} train {m['train_wall']:7.1f} s wall {m['train_cpu']:7.1f} s CPU   "
        f"predict {m['predict_wall']:5.1f} s wall {m['predict_cpu']:5.1f} s CPU   "
        f"peak {m['peak_mb']:6.0f} MB   rows {m['n_train']:,.0f} of {m['n_rows']:,.0f}   "
        f"AUC {m['auc']:.4f} (active {m['auc_active']:.4f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per size")
    parser.add_argument("--before", default=None, help="src folder of another kamseg copy")
    parser.add_argument(
        "--before-max-size",
        type=int,
        default=100_000,
        help="largest size run with --before (default %(default)s: it trains on every row)",
    )
    parser.add_argument("--tmp", default=None, help="folder for the data (default: a temp dir)")
    args = parser.parse_args()

    import kamseg

    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} cores, {mem_gb:.0f} GiB, load {load:.1f}; "
        f"kamseg {kamseg.__version__}; one thread; medians of {args.runs} runs"
    )
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for size in args.sizes:
            t0 = time.perf_counter()
            data = kamseg.datasets.make_transactions(n_customers=size, seed=1)
            tx = data.transactions[["customer_id", "date", "amount"]]
            path = str(Path(tmp) / f"tx_{size}.parquet")
            tx.to_parquet(path)
            n_tx, n_cust = len(tx), tx["customer_id"].nunique()
            del data, tx
            print(
                f"\n{size:,} customers: {n_tx:,} transactions, {n_cust:,} buyers "
                f"(made in {time.perf_counter() - t0:.0f} s)"
            )
            now = _median([_run(path, None) for _ in range(args.runs)])
            print(_line("now", now))
            if args.before is not None and size <= args.before_max_size:
                before = _median([_run(path, args.before) for _ in range(args.runs)])
                print(_line("before", before))
                print(
                    f"  before / now: training {before['train_wall'] / now['train_wall']:.1f}x "
                    f"wall, {before['train_cpu'] / now['train_cpu']:.1f}x CPU; scoring "
                    f"{before['predict_cpu'] / now['predict_cpu']:.1f}x CPU; AUC "
                    f"{now['auc'] - before['auc']:+.4f}"
                )
            os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
