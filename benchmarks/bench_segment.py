"""Benchmark: the whole ``kamseg segment`` command on a Parquet file, against lifetimes.

Usage::

    python benchmarks/bench_segment.py                         # 1M and 10M transactions
    python benchmarks/bench_segment.py --sizes 100000000 --tools kamseg

For each size, data is made on the fly (``kamseg.datasets.make_transactions``, about 10
transactions per customer) and written to a Parquet file (not timed). Then, each in a fresh
process:

- ``kamseg``: ``python -m kamseg segment FILE --profit-col profit --steps rfm,clv,pareto --freq W
  -o out.parquet --progress``: summary (DuckDB out of core above 20M rows, pandas below),
  RFM, MBG/NBD + Gamma-Gamma CLV with profit margin, Pareto/ABC and pyramid, and writing
  the table. Timed by the command's progress clock, which starts after the imports (the
  steps' libraries too) and ends at the last progress line: reading the inputs, every
  step and writing. The process's peak resident memory, the time of each step and the
  top of its resident memory during each step (sampled every 0.1 s) are printed, and the
  command's wall time with interpreter start-up and imports.
- ``lifetimes``: the same data read with pandas, ``summary_data_from_transaction_data``,
  ``BetaGeoFitter`` and ``GammaGammaFitter`` fits and 12-month
  ``customer_lifetime_value``: the part of the job lifetimes covers (no RFM, Pareto or
  output file). Timed the same way: after the imports, reading included; its wall time
  with start-up and imports is printed too, and the ratio of both ways.

``--engine duckdb`` (or a file above ``--pandas-max-rows``) runs kamseg's steps on DuckDB's
aggregates: the summary and the trend windows' activity out of core, the churn model
trained on a hash sample of customers (at most ``--pandas-max-rows`` rows) and scored from a
daily engine summary.

With ``--steps all``, kamseg runs **every** step with every side table (master, surveys,
complaints, catalogue, written to Parquet next to the transactions) and the order and
product columns: the whole job of ``kamseg demo``, the issue 14 benchmark against
lifetimes' part of it. The time of each step is printed.

The issue 7 target for 100M transactions on 2 cores / 24 GiB: under 180 s and 8 GiB.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOOLS = ("kamseg", "lifetimes")

LIFETIMES = """
import sys, time, resource, warnings
warnings.simplefilter("ignore")
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data
t0 = time.perf_counter()
tx = pd.read_parquet(sys.argv[1], columns=["customer_id", "date", "amount"])
c = summary_data_from_transaction_data(tx, "customer_id", "date", monetary_value_col="amount",
                                       freq="W")
bg = BetaGeoFitter().fit(c["frequency"], c["recency"], c["T"])
rep = c[(c["frequency"] > 0) & (c["monetary_value"] > 0)]
gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
clv = gg.customer_lifetime_value(bg, c["frequency"], c["recency"], c["T"],
                                 c["monetary_value"].clip(lower=0), time=12,
                                 discount_rate=0.01, freq="W")
print(f"seconds {time.perf_counter() - t0:.2f} rows {len(clv)}")
"""


# runs a command and prints its peak resident memory (KiB): a fresh parent per run, so the
# children's ru_maxrss is that command's own peak; and the top of its resident memory
# (sampled every 0.1 s) during each of its progress lines' steps
_MEASURE = """
import resource, subprocess, sys, threading, time
p = subprocess.Popen(sys.argv[1:], stderr=subprocess.PIPE, text=True)
step, tops = ["start"], {}
def sample():
    while p.poll() is None:
        try:
            with open(f"/proc/{p.pid}/status") as f:
                kb = next(int(x.split()[1]) for x in f if x.startswith("VmRSS"))
            tops[step[0]] = max(tops.get(step[0], 0), kb)
        except (OSError, StopIteration):
            pass
        time.sleep(0.1)
threading.Thread(target=sample, daemon=True).start()
for line in p.stderr:
    sys.stderr.write(line)
    if "] " in line and line.startswith("kamseg: ["):
        step[0] = line.split("] ", 1)[1].split()[0].rstrip(":")
r = p.wait()
print("rss_tops", " ".join(f"{k}={v}" for k, v in tops.items()), file=sys.stderr)
print("peak_kb", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(r)
"""


def _run(cmd: list[str]) -> tuple[float, float, str]:
    """Run `cmd`; return wall seconds, its peak resident memory (MB) and its output."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed:\n{proc.stderr[-3000:]}")
    peak_kb = int(re.findall(r"peak_kb (\d+)", proc.stderr)[-1])
    return seconds, peak_kb / 1024, proc.stderr + proc.stdout


def _tops(log: str) -> str:
    """The top of the resident memory (GB) during each step, from the measuring parent
    (``/proc`` sampled every 0.1 s; empty where there is no ``/proc``)."""
    found = re.findall(r"rss_tops (.*)", log)
    pairs = [item.split("=") for item in found[-1].split()] if found else []
    return ", ".join(f"{name} {int(kb) / 2**20:.1f}" for name, kb in pairs if name != "start")


def _steps(log: str) -> str:
    """Seconds per step from the ``kamseg: [  12.3 s] step`` progress lines."""
    marks = [(float(t), name) for t, name in re.findall(r"\[\s*([\d.]+) s\] (\S+)", log)]
    parts = []
    for (t, name), (t_next, _) in itertools.pairwise(marks):
        parts.append(f"{name.rstrip(':')} {t_next - t:.1f}")
    return ", ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tmp", default=None, help="folder for the data (default: a temp dir)")
    parser.add_argument(
        "--steps",
        default="rfm,clv,pareto",
        help="kamseg's steps (default: %(default)s); 'all': every step, every side table",
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "pandas", "duckdb"),
        default="auto",
        help="kamseg's --engine (default: %(default)s: DuckDB above --pandas-max-rows)",
    )
    parser.add_argument(
        "--pandas-max-rows",
        type=int,
        default=None,
        help="kamseg's --pandas-max-rows: also the churn model's sample on an engine",
    )
    args = parser.parse_args()

    import kamseg
    from kamseg.config import STEPS

    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {os.cpu_count()} cores, {mem_gb:.0f} GiB; kamseg {kamseg.__version__}")
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for size in args.sizes:
            t0 = time.perf_counter()
            data = kamseg.datasets.make_transactions(n_customers=max(size // 9, 1), seed=args.seed)
            every = args.steps == "all"
            columns = ["customer_id", "date", "amount", "profit"]
            tx = data.transactions[[*columns, "order_id", "product"] if every else columns]
            n_tx, n_cust = len(tx), tx["customer_id"].nunique()
            path = str(Path(tmp) / f"tx_{size}.parquet")
            tx.to_parquet(path, row_group_size=1_000_000)
            sides: list[str] = []
            if every:  # the side tables, as kamseg demo has them
                for name in ("master", "surveys", "complaints", "catalog"):
                    side = str(Path(tmp) / f"{name}_{size}.parquet")
                    getattr(data, name).to_parquet(side)
                    sides += [f"--{name}", side]
                sides += ["--order-col", "order_id", "--product-col", "product"]
            del data, tx
            gen = time.perf_counter() - t0
            print(f"\n{n_tx:,} transactions, {n_cust:,} customers (made in {gen:.0f} s)")
            results: dict[str, float] = {}
            walls: dict[str, float] = {}
            if "kamseg" in args.tools:
                out = str(Path(tmp) / "customers.parquet")
                cmd = [sys.executable, "-m", "kamseg", "segment", path, "--profit-col"]
                steps = ",".join(STEPS) if every else args.steps
                cmd += ["profit", "--steps", steps, "--freq", "W", *sides]
                cmd += ["-o", out, "--progress"]  # weekly periods, as lifetimes' part below
                cmd += ["--engine", args.engine]
                if args.pandas_max_rows is not None:
                    cmd += ["--pandas-max-rows", str(args.pandas_max_rows)]
                seconds, peak, log = _run(cmd)
                marks = re.findall(r"\[\s*([\d.]+) s\] done", log)
                inner = float(marks[-1])
                results["kamseg"] = inner
                walls["kamseg"] = seconds
                print(
                    f"  kamseg segment  {inner:7.1f} s   peak {peak:7.0f} MB   "
                    f"({seconds:.1f} s with start-up and imports)"
                )
                print(f"    steps (s): {_steps(log)}")
                print(f"    RSS tops (GB): {_tops(log)}")
                os.unlink(out)
            if "lifetimes" in args.tools:
                seconds, peak, log = _run([sys.executable, "-c", LIFETIMES, path])
                inner = float(re.search(r"seconds ([\d.]+)", log).group(1))  # type: ignore[union-attr]
                results["lifetimes"] = inner
                walls["lifetimes"] = seconds
                print(
                    f"  lifetimes       {inner:7.1f} s   peak {peak:7.0f} MB   "
                    f"({seconds:.1f} s with start-up and imports)"
                )
            if len(results) == 2:
                ratio = results["lifetimes"] / results["kamseg"]
                whole = walls["lifetimes"] / walls["kamseg"]
                print(
                    f"  lifetimes / kamseg = {ratio:.1f}x ({whole:.1f}x with start-up and imports)"
                )
            os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
