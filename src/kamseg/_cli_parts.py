"""Parts of the command line kept apart from :mod:`kamseg.cli` to keep it small: the
options that set SegmentConfig fields, and the key figures ``kamseg segment`` and
``kamseg score`` print."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, get_args

from kamseg._types import Freq, ReturnsPolicy
from kamseg.config import Engine, PurchaseModel, PyramidKind
from kamseg.labels import Language

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SETTING_OPTIONS", "SUMMARY_READS", "print_summary", "segment_table"]

_ON_OFF = argparse.BooleanOptionalAction

#: The options of ``kamseg segment`` that set a field of SegmentConfig, over the config
#: file: the option is the field's name with "-" for "_" (``--clv-model`` sets
#: ``clv_model``). Each row: field, help, further argparse keywords; the help ends with the
#: field's default unless it gives it. Every field has one but ``steps`` (``--steps``, a
#: comma-separated list) and ``criteria`` (a table: config file only).
SETTING_OPTIONS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("customer_col", "customer id column", {}),
    ("date_col", "date column", {}),
    ("amount_col", "amount column", {}),
    ("profit_col", "profit column", {}),
    ("order_col", "order id column", {}),
    ("product_col", "product column, used with --catalog", {}),
    ("quantity_col", "line items: quantity column (amount = quantity x price)", {}),
    ("price_col", "line items: unit price column", {}),
    ("master_id_col", "master column of the customer ids (none: --customer-col)", {}),
    ("side_date_col", "date column of --surveys and --complaints (none: --date-col)", {}),
    ("as_of", "observation date (none: the latest date)", {"metavar": "DATE"}),
    ("freq", "BTYD period", {"choices": get_args(Freq)}),
    ("returns", "negative amounts", {"choices": get_args(ReturnsPolicy)}),
    ("dropna", "drop rows with nulls, with a warning", {"action": _ON_OFF}),
    ("engine", "where a Parquet input is summarised", {"choices": get_args(Engine)}),
    ("pandas_max_rows", "engine auto: DuckDB above N rows", {"type": int, "metavar": "N"}),
    ("bins", "RFM scores per dimension, 2..10", {"type": int, "metavar": "N"}),
    ("clv_model", "CLV purchase model", {"choices": get_args(PurchaseModel)}),
    ("penalty", "L2 penalty of the purchase model's fit", {"type": float, "metavar": "X"}),
    ("horizon", "CLV horizon in months", {"type": int, "metavar": "MONTHS"}),
    ("discount_rate", "CLV discount rate per month", {"type": float, "metavar": "RATE"}),
    (
        "margin",
        "gross margin, at most 1, when there is no profit column",
        {"type": float, "metavar": "RATE"},
    ),
    ("cost_to_serve_col", "master column of the yearly cost to serve", {}),
    ("pareto_value_col", "value column of the Pareto/ABC analysis and the pyramid", {}),
    ("kind", "pyramid kind", {"choices": get_args(PyramidKind)}),
    ("inactive_days", "pyramid inactive tier; 0: none", {"type": int, "metavar": "DAYS"}),
    ("min_accounts", "key accounts, at least", {"type": int, "metavar": "N"}),
    ("max_accounts", "key accounts, at most", {"type": int, "metavar": "N"}),
    ("window_days", "window of health, warnings, churn", {"type": int, "metavar": "DAYS"}),
    ("labels", "names of segments, tiers and classes", {"choices": get_args(Language)}),
    ("action", "add each class's recommended action", {"action": _ON_OFF}),
    (
        "n_jobs",
        "threads of BLAS and OpenMP, e.g. 1 on a shared machine (none: the cores this "
        "process may use)",
        {"type": int, "metavar": "N"},
    ),
)


def segment_table(segmented: pd.DataFrame) -> str:
    from kamseg.rfm import rfm_segment_summary

    summary = rfm_segment_summary(segmented)
    shown = summary[["customers", "customer_share", "revenue", "revenue_share"]].copy()
    shown["customer_share"] = (100 * shown["customer_share"]).round(1)
    shown["revenue_share"] = (100 * shown["revenue_share"]).round(1)
    shown["revenue"] = shown["revenue"].round(0)
    shown = shown.rename(columns={"customer_share": "% customers", "revenue_share": "% revenue"})
    return shown.to_string()


def print_summary(table: pd.DataFrame) -> None:
    """The key figures of a segmented table, as short text tables on stdout (shares of a
    total beyond the float range, which the job has said, print as nan)."""
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):
        _print_summary(table)


#: The columns :func:`print_summary` reads (a table whose other columns are parked need
#: only these put back).
_BUYER_READS: tuple[str, ...] = ("rfm_segment", "revenue", "days_since_last", "n_orders")
_BUYER_READS += ("clv", "profit_clv", "p_alive", "abc_class", "pyramid_tier")
_KEY_READS = ("account_rank", "account_score", "revenue", "profit_clv", "industry")
_DIMENSIONS: tuple[str, ...] = ("value_class", "behaviour_class", "lifecycle_stage")
_DIMENSIONS += ("need_level", "satisfaction_class", "health_band")
SUMMARY_READS = ("first_purchase", "is_key_account", *_BUYER_READS, *_KEY_READS, *_DIMENSIONS)


def _print_summary(table: pd.DataFrame) -> None:
    # prospects have no purchase; only the columns read below (not a copy of every one)
    read = [c for c in _BUYER_READS if c in table.columns]
    buyers = table.loc[table["first_purchase"].notna(), read]
    n_prospects = len(table) - len(buyers)
    print(
        f"{len(buyers):,} customers"
        + (f" and {n_prospects:,} prospects" if n_prospects else "")
        + f", as of {table.attrs.get('as_of', '?')}; steps: "
        + ", ".join(table.attrs.get("kamseg_steps", []))
    )
    if "rfm_segment" in buyers.columns:
        print(segment_table(buyers))
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
        shown = [c for c in _KEY_READS if c in table.columns]
        keys = table.loc[table["is_key_account"], shown].sort_values("account_rank")
        print(f"\n{len(keys)} key accounts; the first 10:")
        print(keys.head(10).round(3).to_string())
        print()
    for dim in _DIMENSIONS:
        if dim in table.columns:
            counts = table[dim].value_counts(sort=False)
            print(f"{dim}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    for step, reason in table.attrs.get("kamseg_skipped", {}).items():
        print(f"skipped {step}: {reason}")
    for step, reason in table.attrs.get("kamseg_limited", {}).items():
        print(f"{step}: {reason}")
