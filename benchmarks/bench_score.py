"""Benchmark: scoring with a saved segment model, as a service does (issue 15, item 3).

Usage::

    python benchmarks/bench_score.py                          # a 20k-customer base
    python benchmarks/bench_score.py --customers 100000 --repeats 200

A base of `--customers` customers (``kamseg.datasets.make_transactions``, with master,
surveys, complaints and catalogue) is fitted once with every step
(:func:`kamseg.fit_segments`) and saved. Then, in a fresh process (as a service starts):

- ``import kamseg`` and :meth:`kamseg.SegmentModel.load`, timed;
- one customer's transactions and side-table rows scored with :meth:`SegmentModel.apply`,
  `--repeats` times, each a different customer: median, 90th percentile and maximum
  milliseconds (the first call is reported apart: it imports what scoring needs);
- 1,000 customers in one call;
- the heavy modules loaded by then (scikit-learn must not be: the churn trees are scored
  with numpy).

The issue 15 target: one customer in under 50 ms after load.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

CHILD = r"""
import pickle, statistics, sys, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
import kamseg
model = kamseg.SegmentModel.load(sys.argv[1])
t_load = time.perf_counter() - t0
with open(sys.argv[2], "rb") as f:
    data = pickle.load(f)
tx, master, surveys, complaints, catalog, ids = data
by_id = {cid: rows for cid, rows in tx.groupby("customer_id", sort=False)}
repeats = int(sys.argv[3])

def one(cid):
    return model.apply(
        by_id[cid],
        master=master.loc[[cid]] if cid in master.index else master.iloc[:0],
        surveys=surveys[surveys["customer_id"] == cid],
        complaints=complaints[complaints["customer_id"] == cid],
        catalog=catalog,
    )

t = time.perf_counter(); one(ids[0]); first = time.perf_counter() - t
times = []
for cid in ids[1 : repeats + 1]:
    t = time.perf_counter()
    out = one(cid)
    times.append(time.perf_counter() - t)
    assert len(out) == 1
batch = ids[:1000]
keep = tx["customer_id"].isin(batch)
t = time.perf_counter()
model.apply(tx[keep], master=master.loc[master.index.isin(batch)],
            surveys=surveys[surveys["customer_id"].isin(batch)],
            complaints=complaints[complaints["customer_id"].isin(batch)], catalog=catalog)
t_batch = time.perf_counter() - t
times.sort()
heavy = [m for m in ("sklearn", "matplotlib", "duckdb", "pyspark") if m in sys.modules]
print(f"import kamseg + load: {1000 * t_load:.0f} ms")
print(f"first customer: {1000 * first:.0f} ms (imports what scoring needs)")
print(f"one customer, {len(times)} calls: median {1000 * statistics.median(times):.1f} ms, "
      f"p90 {1000 * times[int(0.9 * (len(times) - 1))]:.1f} ms, max {1000 * times[-1]:.1f} ms")
print(f"1,000 customers in one call: {1000 * t_batch:.0f} ms")
print(f"heavy modules loaded: {heavy or 'none'}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args()

    import pickle

    import kamseg

    data = kamseg.datasets.make_transactions(n_customers=args.customers, seed=7)
    config = kamseg.SegmentConfig(
        profit_col="profit", order_col="order_id", product_col="product_id", n_jobs=1
    )
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = kamseg.fit_segments(
                data.transactions,
                master=data.master,
                surveys=data.surveys,
                complaints=data.complaints,
                catalog=data.catalog,
                config=config,
            )
        fit_s = time.perf_counter() - t
        path = Path(tmp) / "model.kamseg"
        model.save(path)
        print(
            f"base: {args.customers:,} customers; fit_segments {fit_s:.1f} s; model file "
            f"{path.stat().st_size / 1e6:.1f} MB; {model!r}"
        )
        ids = list(
            data.transactions["customer_id"].drop_duplicates().sample(frac=1.0, random_state=1)
        )
        inputs = Path(tmp) / "inputs.pkl"
        with open(inputs, "wb") as f:
            pickle.dump(
                (data.transactions, data.master, data.surveys, data.complaints, data.catalog, ids),
                f,
            )
        subprocess.run(
            [sys.executable, "-c", CHILD, str(path), str(inputs), str(args.repeats)],
            check=True,
        )


if __name__ == "__main__":
    main()
