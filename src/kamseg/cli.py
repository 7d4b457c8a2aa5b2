"""Command-line interface: ``kamseg demo``, ``kamseg segment`` and ``kamseg rfm``.

Exit codes: 0 success; 2 bad input, bad options or a file that cannot be read or written
(one line on stderr, no traceback, no partial output file); 1 an unexpected internal error.
Data-quality warnings are printed to stderr as ``kamseg: warning: ...`` lines.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, get_args

from kamseg._types import Freq, ReturnsPolicy
from kamseg.config import Engine, PurchaseModel, PyramidKind, SegmentConfig
from kamseg.labels import Language

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["main"]

_PROG = "kamseg"
_READERS = (".csv", ".parquet", ".pq")
_ON_OFF = argparse.BooleanOptionalAction  # --dropna / --no-dropna


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
    from kamseg._files import atomic_write

    atomic_write(p, df.to_csv if suffix == ".csv" else df.to_parquet)


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


def _print_summary(table: pd.DataFrame) -> None:
    """The key figures of a segmented table, as short text tables on stdout."""
    buyers = table[table["first_purchase"].notna()]  # prospects have no purchase
    n_prospects = len(table) - len(buyers)
    print(
        f"{len(buyers):,} customers"
        + (f" and {n_prospects:,} prospects" if n_prospects else "")
        + f", as of {table.attrs.get('as_of', '?')}; steps: "
        + ", ".join(table.attrs.get("kamseg_steps", []))
    )
    if "rfm_segment" in buyers.columns:
        print(_segment_table(buyers))
    if "clv" in buyers.columns:
        profit = (
            f", {buyers['profit_clv'].sum():,.0f} profit" if "profit_clv" in buyers.columns else ""
        )
        print(
            f"\nCLV over the horizon: {buyers['clv'].sum():,.0f} revenue{profit}; "
            f"mean P(alive) {buyers['p_alive'].mean():.2f}"
        )
    if "abc_class" in buyers.columns:
        abc = buyers["abc_class"].value_counts().sort_index(ascending=False)
        print(f"ABC classes: {', '.join(f'{k} {v:,}' for k, v in abc.items())}")
    if "pyramid_tier" in buyers.columns:
        tiers = buyers.groupby("pyramid_tier", observed=False)["revenue"].agg(["size", "sum"])
        tiers["% revenue"] = (100 * tiers["sum"] / tiers["sum"].sum()).round(1)
        tiers["sum"] = tiers["sum"].round(0)
        print(tiers.rename(columns={"size": "customers", "sum": "revenue"}).to_string())
    if "is_key_account" in table.columns:
        keys = table[table["is_key_account"]].sort_values("account_rank")
        print(f"\n{len(keys)} key accounts; the first 10:")
        shown = [
            c
            for c in ("account_rank", "account_score", "revenue", "profit_clv", "industry")
            if c in keys.columns
        ]
        print(keys[shown].head(10).round(3).to_string())
        print()
    for dim in (
        "value_class",
        "behaviour_class",
        "lifecycle_stage",
        "need_level",
        "satisfaction_class",
        "health_band",
    ):
        if dim in table.columns:
            counts = table[dim].value_counts(sort=False)
            print(f"{dim}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    for step, reason in table.attrs.get("kamseg_skipped", {}).items():
        print(f"skipped {step}: {reason}")
    for step, reason in table.attrs.get("kamseg_limited", {}).items():
        print(f"{step}: {reason}")


def _progress(quiet: bool, force: bool = False) -> Callable[[str], None]:
    """Print progress lines on stderr when it is a terminal (or `force`), unless quiet."""
    import time

    if quiet or not (force or sys.stderr.isatty()):
        return lambda message: None
    start = time.perf_counter()

    def say(message: str) -> None:
        print(f"{_PROG}: [{time.perf_counter() - start:6.1f} s] {message}", file=sys.stderr)

    return say


def _write_outputs(
    table: pd.DataFrame,
    output: Path,
    report: Path | None,
    *,
    transactions: object,
    labels: Language,
    say: Callable[[str], None],
) -> None:
    say(f"writing {output}")
    write_table(table, output)
    if report is not None:
        import pandas as pd

        from kamseg.report import write_report

        say(f"writing {report}")
        from kamseg.transactions import PreparedTransactions

        # the key-account performance needs the rows and the key-account list
        rows = (
            transactions if isinstance(transactions, pd.DataFrame | PreparedTransactions) else None
        )
        if "is_key_account" not in table.columns:
            rows = None
        write_report(table, report, transactions=rows, labels=labels)
    say("done")


def _cmd_demo(args: argparse.Namespace) -> int:
    from kamseg.datasets import make_transactions
    from kamseg.pipeline import segment

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    say = _progress(args.quiet)
    say("making the demo data")
    data = make_transactions(n_customers=args.n_customers, seed=args.seed)
    config = SegmentConfig(profit_col="profit", order_col="order_id", labels=args.labels)
    table = segment(
        data.transactions,
        master=data.master,
        surveys=data.surveys,
        complaints=data.complaints,
        catalog=data.catalog,
        config=config,
        progress=say,
    )
    _write_outputs(
        table,
        out / "customers.parquet",
        out / "report.html",
        transactions=data.transactions,
        labels=args.labels,
        say=say,
    )
    write_table(table, out / "customers.csv")
    config.to_toml(out / "kamseg.toml")
    print(f"kamseg demo: {len(data.transactions):,} transactions of synthetic demo data")
    _print_summary(table)
    print(
        f"\nwrote {out / 'customers.parquet'}, {out / 'customers.csv'}, "
        f"{out / 'report.html'} and the settings used, {out / 'kamseg.toml'}"
    )
    return 0


#: The options of ``kamseg segment`` that set a field of SegmentConfig, over the config
#: file: the option is the field's name with "-" for "_" (``--clv-model`` sets
#: ``clv_model``). Each row: field, help, further argparse keywords; the help ends with the
#: field's default unless it gives it. Every field has one but ``steps`` (``--steps``, a
#: comma-separated list) and ``criteria`` (a table: config file only).
_SETTING_OPTIONS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("customer_col", "customer id column", {}),
    ("date_col", "date column", {}),
    ("amount_col", "amount column", {}),
    ("profit_col", "profit column", {}),
    ("order_col", "order id column", {}),
    ("product_col", "product column, used with --catalog", {}),
    ("quantity_col", "line items: quantity column (amount = quantity x price)", {}),
    ("price_col", "line items: unit price column", {}),
    ("as_of", "observation date (none: the latest date)", {"metavar": "DATE"}),
    ("freq", "BTYD period", {"choices": get_args(Freq)}),
    ("returns", "negative amounts", {"choices": get_args(ReturnsPolicy)}),
    ("dropna", "drop rows with nulls, with a warning", {"action": _ON_OFF}),
    ("engine", "where a Parquet input is summarised", {"choices": get_args(Engine)}),
    ("pandas_max_rows", "engine auto: DuckDB above N rows", {"type": int, "metavar": "N"}),
    ("bins", "RFM scores per dimension, 2..10", {"type": int, "metavar": "N"}),
    ("clv_model", "CLV purchase model", {"choices": get_args(PurchaseModel)}),
    ("horizon", "CLV horizon in months", {"type": int, "metavar": "MONTHS"}),
    ("discount_rate", "CLV discount rate per month", {"type": float, "metavar": "RATE"}),
    ("cost_to_serve_col", "master column of the yearly cost to serve", {}),
    ("pareto_value_col", "value column of the Pareto/ABC analysis and the pyramid", {}),
    ("kind", "pyramid kind", {"choices": get_args(PyramidKind)}),
    ("inactive_days", "pyramid inactive tier; 0: none", {"type": int, "metavar": "DAYS"}),
    ("min_accounts", "key accounts, at least", {"type": int, "metavar": "N"}),
    ("max_accounts", "key accounts, at most", {"type": int, "metavar": "N"}),
    ("window_days", "window of health, warnings, churn", {"type": int, "metavar": "DAYS"}),
    ("labels", "names of segments, tiers and classes", {"choices": get_args(Language)}),
    ("action", "add each class's recommended action", {"action": _ON_OFF}),
)


def _shown(value: object) -> str:
    """A default as the help shows it."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return "none" if value is None else str(value)


def _cmd_segment(args: argparse.Namespace) -> int:
    import pandas as pd

    from kamseg.pipeline import prepare_with_config, segment

    output = Path(args.output)
    _suffix(output, "output")  # fail before the work, not after
    report = None if args.report is None else Path(args.report)
    if report is not None and report.suffix.lower() not in (".html", ".htm"):
        raise _UsageError(f"report {str(report)!r}: the report is HTML; name it *.html")
    config = SegmentConfig() if args.config is None else SegmentConfig.from_toml(args.config)
    changes = {
        name: getattr(args, name)
        for name, _, _ in _SETTING_OPTIONS
        if getattr(args, name) is not None
    }
    if args.steps is not None:
        changes["steps"] = tuple(s.strip() for s in args.steps.split(",") if s.strip())
    config = config.replace(**changes)
    if args.save_config is not None:
        config.to_toml(args.save_config)

    source = Path(args.input)
    suffix = source.suffix.lower()
    if suffix == ".csv" or suffix not in (".parquet", ".pq", ""):
        transactions: object = read_table(source, str_columns=[config.customer_col])
    elif not source.exists() and not any(ch in str(source) for ch in "*?["):
        raise _UsageError(f"input {str(source)!r}: no such file")
    else:
        transactions = str(source)
    sides = {}
    for name in ("master", "surveys", "complaints", "catalog"):
        path = getattr(args, name)
        sides[name] = None if path is None else read_table(path, str_columns=[config.customer_col])
    say = _progress(args.quiet, args.progress)
    if isinstance(transactions, pd.DataFrame):
        # prepared once, here: the job and the report read the same rows, one notice
        transactions = prepare_with_config(
            transactions,
            config,
            catalog=sides["catalog"],
            copy=False,  # the table read from the file is the command's alone
        )
    table = segment(transactions, config=config, progress=say, **sides)
    _write_outputs(table, output, report, transactions=transactions, labels=config.labels, say=say)
    if not args.quiet:
        _print_summary(table)
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
        help="run the whole job on built-in synthetic demo data",
        description="Generate demo transactions with a customer master, surveys, complaints "
        "and a product catalogue; run kamseg.segment on them; write the customer table "
        "(Parquet and CSV), the HTML report and the settings used (kamseg.toml) to a "
        "folder, and print the key figures.",
    )
    demo.add_argument("--out", default="kamseg-demo", help="output folder (default: %(default)s)")
    demo.add_argument("--n-customers", type=int, default=2000, help="default: %(default)s")
    demo.add_argument("--seed", type=int, default=42, help="default: %(default)s")
    demo.add_argument("--labels", choices=["en", "zh"], default="en", help="class names")
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    demo.set_defaults(func=_cmd_demo)

    seg = sub.add_parser(
        "segment",
        help="the whole job on a transaction file: one annotated row per customer",
        description="Read transactions (CSV or Parquet; a large Parquet file is summarised "
        "out of core by DuckDB) and optional side tables, run kamseg.segment, and write one "
        "row per customer with every dimension the data allow (CSV or Parquet, by "
        "extension), optionally with an HTML report. The settings are those of the config "
        "file (--config), overridden by the options named after them (see "
        "docs/configuration.md).",
    )
    seg.add_argument("input", help="transactions: .csv, .parquet, or a folder/glob of Parquet")
    seg.add_argument("-o", "--output", required=True, help="output file, .csv or .parquet")
    seg.add_argument("--master", help="customer master (.csv/.parquet), ids in --customer-col")
    seg.add_argument("--surveys", help="survey answers (nps, csat)")
    seg.add_argument("--complaints", help="complaints")
    seg.add_argument("--catalog", help="product catalogue (need levels)")
    seg.add_argument("--config", help="settings file (TOML, see docs/configuration.md)")
    seg.add_argument("--save-config", metavar="FILE", help="write the settings used to FILE")
    seg.add_argument("--report", metavar="FILE", help="also write an HTML report")
    seg.add_argument("--steps", help="comma-separated steps to run (default: all)")
    settings = seg.add_argument_group(
        "settings",
        "each sets the SegmentConfig field of its name (--clv-model: clv_model), over the "
        "config file; defaults without a config file in parentheses",
    )
    defaults = SegmentConfig()
    for name, text, keywords in _SETTING_OPTIONS:
        if "(" not in text:
            text = f"{text} ({_shown(getattr(defaults, name))})"
        if name.endswith("_col"):
            keywords = {"metavar": "COL", **keywords}
        settings.add_argument(
            f"--{name.replace('_', '-')}", dest=name, default=None, help=text, **keywords
        )
    seg.add_argument(
        "--progress",
        action="store_true",
        help="print progress on stderr even when it is not a terminal (e.g. to a log)",
    )
    seg.add_argument(
        "-q", "--quiet", action="store_true", help="no progress and no summary printed"
    )
    seg.set_defaults(func=_cmd_segment)

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
