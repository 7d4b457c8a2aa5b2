"""Which columns of the customer table the classes, health and warnings steps read.

An input to the design of a job that keeps in memory only what its later steps read
(issue 14: the peak memory at 100M transactions is set by the whole table being held):
the job runs once on generated data, and each of these steps is run again as many times
as the table it receives has columns, each time without one of them. A column is
*needed* when the step then fails, *read* when it makes other values. A column the step
would otherwise recompute from the transaction rows, with the same values, counts as
neither. Every step, every side table, as ``bench_segment.py --steps all``.

    python benchmarks/step_reads.py                          # pandas, weekly periods
    python benchmarks/step_reads.py --engine duckdb --freq D
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

import kamseg
import kamseg._job as job_module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--engine", choices=("pandas", "duckdb"), default="pandas")
    parser.add_argument("--freq", choices=("D", "W", "M"), default="W")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    data = kamseg.datasets.make_transactions(n_customers=args.customers, seed=args.seed)
    on_daily = job_module._on_daily
    found: list[tuple[str, int, list[str], list[str], int]] = []

    def probe(table: pd.DataFrame, daily: Any, step: Any) -> pd.DataFrame:
        full = on_daily(table, daily, step)
        made = [c for c in full.columns if c not in table.columns]
        needed, read = [], []
        for col in table.columns:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out = on_daily(table.drop(columns=[col]), daily, step)
            except Exception:  # any failure without the column: it is needed
                needed.append(str(col))
                continue
            if not all(
                c in out.columns
                and out[c].reset_index(drop=True).equals(full[c].reset_index(drop=True))
                for c in made
            ):
                read.append(str(col))
        found.append((step.__name__, len(table.columns), needed, read, len(made)))
        return full

    job_module._on_daily = probe  # type: ignore[assignment]
    config = kamseg.SegmentConfig(
        profit_col="profit",
        order_col="order_id",
        product_col="product",
        freq=args.freq,
        engine=args.engine,
    )
    sides = {n: getattr(data, n) for n in ("master", "surveys", "complaints", "catalog")}
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tx: Any = data.transactions
        if args.engine == "duckdb":  # an engine reads a file
            tx = str(Path(tmp) / "tx.parquet")
            data.transactions.to_parquet(tx)
        kamseg.segment(tx, config=config, **sides)
    print(f"{args.customers:,} customers, engine {args.engine}, periods {args.freq}")
    # (on an engine, the job on the rows of a sample of customers, which fits the need level
    # and the churn model, runs the classes again, on its own summary: listed last)
    for name, n_cols, needed, read, n_made in found:
        print(f"  {name}: receives {n_cols} columns, makes {n_made}")
        print(f"    needed (fails without): {', '.join(needed) or '-'}")
        print(f"    read (other values without): {', '.join(read) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
