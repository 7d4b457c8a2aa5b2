"""Benchmark: the whole job on Spark (``kamseg.segment(spark_df)``) against pandas.

Usage::

    python benchmarks/bench_spark.py                        # 1M customers, ~10M transactions
    python benchmarks/bench_spark.py --customers 100000     # ~1M transactions
    python benchmarks/bench_spark.py --partitions 64 --driver-memory 8g

The transactions of ``kamseg.datasets.make_transactions(n_customers=...)`` (about 10 per
customer) are written to a temporary Parquet file (deleted after). Each tool runs in a fresh
process:

- **pandas**: ``kamseg segment FILE -o OUT.parquet`` (the CLI: read, fit, label, write);
- **spark**: a local Spark session (``local[2]``, started before the timer) reads the file;
  timed: the fit and ``apply_spark`` (what ``segment`` does above ``pandas_max_rows``, and
  a model scoring later data), writing the result to Parquet with Spark, in phases:
  *collect* (the transaction columns to the driver through Arrow), *fit* (the pandas fit on
  the driver), *apply + write* (``apply_spark`` in ``mapInPandas`` and the Parquet write,
  which runs it); then ``kamseg.segment(spark_df)`` and its write (below
  ``pandas_max_rows`` the fitted base's table is the result: no ``apply_spark``); with
  ``--pandas-max-rows N`` below the data's rows, also ``segment(spark_df)`` above it (the
  fit on Spark's aggregates of every row and a sample's rows, then ``apply_spark``).

Printed: the seconds of each, the ratio, the peak resident memory of the pandas process, of
the Spark driver's Python process and of its JVM (``VmHWM``), and the rows written.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPARK_CHILD = r"""
import json, os, sys, time, warnings
from pathlib import Path
warnings.filterwarnings("ignore")
from pyspark.sql import SparkSession
import kamseg
from kamseg.model_spark import apply_spark, fit_inputs

path, out, partitions, memory = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
max_rows = int(sys.argv[5])
spark = (
    SparkSession.builder.master("local[2]")
    .config("spark.driver.memory", memory)
    .config("spark.sql.shuffle.partitions", str(partitions))
    .config("spark.ui.enabled", "false")
    .config("spark.sql.session.timeZone", "UTC")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
sdf = spark.read.parquet(path)
config = kamseg.SegmentConfig(profit_col="profit", order_col="order_id")
t0 = time.perf_counter()
tx, sides, as_of, note = fit_inputs(
    sdf, master=None, surveys=None, complaints=None, catalog=None, config=config, as_of=None
)
t1 = time.perf_counter()
model = kamseg.fit_segments(tx, config=config, as_of=as_of)
del tx
t2 = time.perf_counter()
result = apply_spark(model, sdf, notices=False)
result.write.mode("overwrite").parquet(out)
t3 = time.perf_counter()
rows = spark.read.parquet(out).count()
# segment(spark_df) itself: the fit reads every row, so its table is the result
t4 = time.perf_counter()
kamseg.segment(sdf, config=config).write.mode("overwrite").parquet(out)
t5 = time.perf_counter()
# above pandas_max_rows: Spark's aggregates of every row, a sample for need and churn,
# then apply_spark on every partition
segment_big = None
if max_rows:
    t6 = time.perf_counter()
    big = config.replace(pandas_max_rows=max_rows)
    kamseg.segment(sdf, config=big).write.mode("overwrite").parquet(out)
    segment_big = time.perf_counter() - t6


def hwm(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


me = os.getpid()
jvm = 0.0
for entry in Path("/proc").iterdir():
    if entry.name.isdigit():
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == me and "java" in (entry / "cmdline").read_text():
                jvm = max(jvm, hwm(entry.name))
        except (OSError, ValueError, IndexError):
            pass
print(json.dumps({
    "collect": t1 - t0, "fit": t2 - t1, "apply_write": t3 - t2, "total": t3 - t0,
    "rows": rows, "driver_mb": hwm(me), "jvm_mb": jvm, "sampled": note is not None,
    "segment": t5 - t4, "segment_big": segment_big,
}))
spark.stop()
"""


def _make_data(customers: int, path: Path) -> int:
    import kamseg

    tx = kamseg.datasets.make_transactions(n_customers=customers, seed=0).transactions
    tx = tx.assign(product=tx["product"].astype(str))
    tx.to_parquet(path, coerce_timestamps="us", index=False)
    return len(tx)


def _pandas(path: Path, out: Path) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "kamseg", "segment", str(path), "-o", str(out)]
    cmd += ["--profit-col", "profit", "--order-col", "order_id"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak


def _spark(path: Path, out: Path, partitions: int, memory: str, max_rows: int) -> dict[str, float]:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    cmd = [sys.executable, "-c", SPARK_CHILD, str(path), str(out), str(partitions), memory]
    cmd.append(str(max_rows))
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--tools", nargs="+", default=["pandas", "spark"])
    parser.add_argument(
        "--pandas-max-rows",
        type=int,
        default=0,
        help="also time segment(spark_df) with this pandas_max_rows (below the data's rows: "
        "the fit on Spark's aggregates and a sample, then apply_spark)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kamseg-bench-spark-") as tmp:
        data = Path(tmp) / "transactions.parquet"
        t0 = time.perf_counter()
        n_rows = _make_data(args.customers, data)
        print(
            f"{n_rows:,} transactions of {args.customers:,} customers "
            f"(made in {time.perf_counter() - t0:.1f} s)",
            flush=True,
        )
        if "pandas" in args.tools:
            seconds, peak = _pandas(data, Path(tmp) / "pandas.parquet")
            print(
                f"pandas  kamseg segment (CLI, read+fit+label+write): {seconds:7.1f} s, "
                f"peak {peak:,.0f} MB",
                flush=True,
            )
        if "spark" in args.tools:
            got = _spark(
                data,
                Path(tmp) / "spark.parquet",
                args.partitions,
                args.driver_memory,
                args.pandas_max_rows,
            )
            print(
                f"spark   fit + apply_spark + write: {got['total']:7.1f} s "
                f"(collect {got['collect']:.1f}, fit {got['fit']:.1f}, apply+write "
                f"{got['apply_write']:.1f}); driver Python peak {got['driver_mb']:,.0f} MB, "
                f"JVM peak {got['jvm_mb']:,.0f} MB; {got['rows']:,} rows written"
                + (" (fitted on a sample)" if got["sampled"] else ""),
                flush=True,
            )
            print(
                f"spark   segment(spark_df) + write (the fitted table is the result): "
                f"{got['segment']:7.1f} s",
                flush=True,
            )
            if got["segment_big"] is not None:
                print(
                    f"spark   segment(spark_df) + write, pandas_max_rows "
                    f"{args.pandas_max_rows:,} (Spark aggregates + sample fit, apply_spark): "
                    f"{got['segment_big']:7.1f} s",
                    flush=True,
                )
            if "pandas" in args.tools:
                print(
                    f"spark / pandas: fit + apply_spark {got['total'] / seconds:.2f}x, "
                    f"segment {got['segment'] / seconds:.2f}x"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
