"""Command-line interface: ``kamseg demo`` and ``kamseg rfm``.

Exit codes: 0 success; 2 bad input, bad options or a file that cannot be read or written
(one line on stderr, no traceback, no partial output file); 1 an unexpected internal error.
Data-quality warnings are printed to stderr as ``kamseg: warning: ...`` lines.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["main"]

_PROG = "kamseg"
_READERS = (".csv", ".parquet", ".pq")


class _UsageError(Exception):
    """A problem with the command line or the files named on it (exit code 2)."""


def _suffix(path: Path, arg: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        raise _UsageError(
            f"{arg} {str(path)!r}: unknown file type {suffix or '(none)'!r}; use .csv or .parquet"
        )
    return suffix


def read_table(path: str | Path, *, str_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Read a CSV or Parquet file, chosen by extension; `str_columns` are read as text."""
    import pandas as pd

    p = Path(path)
    suffix = _suffix(p, "input")
    if not p.exists():
        raise _UsageError(f"input {str(p)!r}: no such file")
    try:
        if suffix == ".csv":
            return pd.read_csv(p, dtype=dict.fromkeys(str_columns, str))
        return pd.read_parquet(p)
    except (OSError, ValueError) as exc:
        raise _UsageError(f"input {str(p)!r}: cannot read: {exc}") from exc


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """Write `df` (with its index) to CSV or Parquet by extension, atomically.

    The table goes to a temporary file in the target folder that is renamed over `path`
    only once it is complete, so a failure never leaves a partial output file.
    """
    p = Path(path)
    suffix = _suffix(p, "output")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise _UsageError(f"output {str(p)!r}: folder {str(folder)!r} does not exist")
    # a hidden sibling file, created with the usual permissions (mkstemp would give 0600)
    tmp = folder / f".{p.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        if suffix == ".csv":
            df.to_csv(tmp)
        else:
            df.to_parquet(tmp)
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def _warnings_to_stderr() -> Iterator[None]:
    """Print warnings raised inside the block as one ``kamseg: warning:`` line each."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for w in caught:
                print(f"{_PROG}: warning: {w.message}", file=sys.stderr)


def _segment_table(segmented: pd.DataFrame) -> str:
    from kamseg.rfm import rfm_segment_summary

    summary = rfm_segment_summary(segmented)
    shown = summary[["customers", "customer_share", "revenue", "revenue_share"]].copy()
    shown["customer_share"] = (100 * shown["customer_share"]).round(1)
    shown["revenue_share"] = (100 * shown["revenue_share"]).round(1)
    shown["revenue"] = shown["revenue"].round(0)
    shown = shown.rename(columns={"customer_share": "% customers", "revenue_share": "% revenue"})
    return shown.to_string()


#: Key-account criteria of the demo: value (revenue, lifetime profit), market influence,
#: strategic fit, and cost to serve (lower is better), as the source documents list them.
DEMO_CRITERIA = {
    "revenue": 0.25,
    "profit_clv": 0.25,
    "market_influence": 0.15,
    "strategic_fit": 0.15,
    "cost_to_serve": {"weight": 0.20, "direction": "min"},
}


def _cmd_demo(args: argparse.Namespace) -> int:
    import numpy as np

    from kamseg import clv
    from kamseg.accounts import score_accounts, select_key_accounts
    from kamseg.churn import churn_model, predict_churn
    from kamseg.classification import classify
    from kamseg.datasets import make_transactions
    from kamseg.health import early_warnings, health_score
    from kamseg.pareto import pareto_table, pyramid
    from kamseg.rfm import rfm_scores, rfm_segments
    from kamseg.summary import summarize

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = make_transactions(n_customers=args.n_customers, seed=args.seed)
    customers = summarize(data.transactions, profit_col="profit", as_of=data.as_of, freq="W")
    master = data.master.reindex(customers.index)
    table = customers.join(master[["industry", "region", "market_influence", "strategic_fit"]])
    table = rfm_segments(rfm_scores(table), labels=args.labels)
    # lifetime value: MBG/NBD (customers may lapse after their first order) and Gamma-Gamma
    # spend, on profit: each customer's margin so far, less the CRM's yearly cost to serve
    purchases = clv.fit(customers, model="mbgnbd")
    spend = clv.fit(customers, model="gamma_gamma")
    revenue = table["revenue"].to_numpy()
    margin = np.where(
        revenue > 0, table["profit"].to_numpy() / np.where(revenue > 0, revenue, 1), 0
    )
    table = table.assign(margin=margin, cost_to_serve=master["cost_to_serve"].to_numpy())
    table = clv.predict(
        table, purchases, spend=spend, horizon=12, margin="margin", cost_to_serve="cost_to_serve"
    )
    # 80/20: ABC classes on revenue, value pyramid with an Inactive tier (no order in a year)
    table = pareto_table(table, value_col="revenue", labels=args.labels)
    table = pyramid(table, kind="value", inactive_days=365, labels=args.labels)
    # key accounts: multi-criteria score, a short list of 5 to 25
    table = select_key_accounts(score_accounts(table, criteria=DEMO_CRITERIA))
    buyers = table
    # five dimensions: value, behaviour, lifecycle (P(alive) confirms churn), need,
    # satisfaction; the master's prospects are appended as "potential" customers
    table = classify(
        table,
        transactions=data.transactions,
        surveys=data.surveys,
        complaints=data.complaints,
        catalog=data.catalog,
        master=data.master,
        labels=args.labels,
        action=True,
    )
    # prospects have no score: they are not key accounts
    table["is_key_account"] = table["is_key_account"].fillna(False).astype(bool)
    # health, early warnings and a churn model trained on the history (rolling cut-offs)
    table = health_score(table, transactions=data.transactions, labels=args.labels)
    table = early_warnings(
        table,
        transactions=data.transactions,
        surveys=data.surveys,
        complaints=data.complaints,
        labels=args.labels,
    )
    churn = churn_model(data.transactions, seed=args.seed)
    table = predict_churn(table, churn, transactions=data.transactions)
    write_table(table, out / "customers.parquet")
    write_table(table, out / "customers.csv")

    n_prospects = int(data.master["is_prospect"].sum())
    print(
        f"kamseg demo: {len(data.transactions):,} transactions, "
        f"{len(table) - n_prospects:,} customers and {n_prospects:,} prospects, "
        f"as of {data.as_of.date()}"
    )
    print(_segment_table(buyers))
    print(
        f"\n12-month CLV: {buyers['clv'].sum():,.0f} revenue, {buyers['profit_clv'].sum():,.0f} "
        f"profit after cost to serve; mean P(alive) {buyers['p_alive'].mean():.2f}"
    )
    tiers = buyers.groupby("pyramid_tier", observed=False)["revenue"].agg(["size", "sum"])
    tiers["% revenue"] = (100 * tiers["sum"] / tiers["sum"].sum()).round(1)
    tiers["sum"] = tiers["sum"].round(0)
    abc = buyers["abc_class"].value_counts().sort_index(ascending=False)
    print(f"ABC classes: {', '.join(f'{k} {v:,}' for k, v in abc.items())}")
    print(tiers.rename(columns={"size": "customers", "sum": "revenue"}).to_string())
    keys = buyers[buyers["is_key_account"]].sort_values("account_rank")
    print(f"\n{len(keys)} key accounts (score on {', '.join(DEMO_CRITERIA)}):")
    shown = keys[["account_rank", "account_score", "revenue", "profit_clv", "industry"]]
    print(shown.head(10).round(3).to_string())
    print()
    for dim in ("value_class", "behaviour_class", "lifecycle_stage", "need_level"):
        counts = table[dim].value_counts(sort=False)
        print(f"{dim}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    counts = table["satisfaction_class"].value_counts(sort=False)
    print("satisfaction_class: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    counts = table["health_band"].value_counts(sort=False)
    print("health_band: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    auc = churn.evaluation["auc"]
    print(
        "churn model on a later window, AUC: " + ", ".join(f"{k} {v:.3f}" for k, v in auc.items())
    )
    print(f"\nwrote {out / 'customers.parquet'} and {out / 'customers.csv'}")
    return 0


def _cmd_rfm(args: argparse.Namespace) -> int:
    from kamseg.rfm import rfm_scores, rfm_segments
    from kamseg.summary import summarize

    _suffix(Path(args.output), "output")  # fail before the work, not after
    tx = read_table(args.input, str_columns=[args.customer_col])
    customers = summarize(
        tx,
        customer_col=args.customer_col,
        date_col=args.date_col,
        amount_col=args.amount_col,
        profit_col=args.profit_col,
        as_of=args.as_of,
        freq=args.freq,
        dropna=args.dropna,
        returns=args.returns,
    )
    table = rfm_segments(rfm_scores(customers, bins=args.bins), labels=args.labels)
    write_table(table, args.output)
    if not args.quiet:
        print(_segment_table(table))
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix(_PROG).strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"{_PROG}: error: {where}{message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    from kamseg import __version__

    parser = _Parser(
        prog=_PROG,
        description="Key-account and customer segmentation analytics over transaction tables.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )

    demo = sub.add_parser(
        "demo",
        help="run the main job on built-in synthetic demo data",
        description="Generate demo transactions, build the customer table with RFM scores "
        "and segments, write it as Parquet and CSV, and print a segment summary.",
    )
    demo.add_argument("--out", default="kamseg-demo", help="output folder (default: %(default)s)")
    demo.add_argument("--n-customers", type=int, default=2000, help="default: %(default)s")
    demo.add_argument("--seed", type=int, default=42, help="default: %(default)s")
    demo.add_argument("--labels", choices=["en", "zh"], default="en", help="segment names")
    demo.set_defaults(func=_cmd_demo)

    rfm = sub.add_parser(
        "rfm",
        help="RFM scores and segments for a transaction file",
        description="Read transactions (CSV or Parquet), write one row per customer with the "
        "customer summary, RFM scores and segments (CSV or Parquet, by extension).",
    )
    rfm.add_argument("input", help="transactions, .csv or .parquet")
    rfm.add_argument("-o", "--output", required=True, help="output file, .csv or .parquet")
    rfm.add_argument("--customer-col", default="customer_id")
    rfm.add_argument("--date-col", default="date")
    rfm.add_argument("--amount-col", default="amount")
    rfm.add_argument("--profit-col", default=None)
    rfm.add_argument("--as-of", default=None, help="observation date (default: latest date)")
    rfm.add_argument("--freq", choices=["D", "W", "M"], default="D", help="BTYD period")
    rfm.add_argument("--bins", type=int, default=5, help="scores per dimension (2..10)")
    rfm.add_argument("--labels", choices=["en", "zh"], default="en", help="segment names")
    rfm.add_argument(
        "--returns",
        choices=["net", "exclude", "error"],
        default="net",
        help="negative amounts: net them (default), exclude them, or fail",
    )
    rfm.add_argument("--dropna", action="store_true", help="drop rows with nulls (warns)")
    rfm.add_argument("-q", "--quiet", action="store_true", help="do not print the summary")
    rfm.set_defaults(func=_cmd_rfm)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kamseg`` command line; return the exit code."""
    from kamseg.errors import KamsegError

    parser = _parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        with _warnings_to_stderr():
            return func(args)
    except (KamsegError, _UsageError, OSError) as exc:
        message = " ".join(str(exc).split())  # always one line
        print(f"{_PROG}: error: {message}", file=sys.stderr)
        return 2
