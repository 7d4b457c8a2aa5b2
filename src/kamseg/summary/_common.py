"""What every summary engine shares: the column list, the period numbering, the last step."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pandas as pd

from kamseg._types import Freq, ReturnsPolicy
from kamseg.errors import SchemaError
from kamseg.transactions import notice_netted_returns, notify

__all__ = [
    "CUSTOMER_COLUMNS",
    "Freq",
    "ReturnsPolicy",
    "as_datetime",
    "check_finite_totals",
    "customer_frame",
    "finish",
    "periods",
]

#: Columns of the customer table, in order (``profit`` only when `profit_col` is given).
CUSTOMER_COLUMNS: tuple[str, ...] = (
    "first_purchase",
    "last_purchase",
    "n_orders",
    "revenue",
    "profit",
    "avg_order_value",
    "days_since_last",
    "tenure_days",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "nonpositive_revenue",
)

_FUNC = "summarize"


def periods(days: np.ndarray, freq: str) -> np.ndarray:
    """Map day numbers (days since 1970-01-01) to period numbers.

    "D": the day itself. "W": weeks starting on Monday, as pandas' ``W`` (= ``W-SUN``, weeks
    that end on Sunday) periods that lifetimes uses; 1970-01-01 was a Thursday, so
    ``(day + 3) // 7`` numbers the Monday-to-Sunday weeks. "M": calendar months since 1970-01.
    """
    if freq == "D":
        return days
    if freq == "W":
        return (days + 3) // 7
    return days.astype("datetime64[D]").astype("datetime64[M]").view(np.int64)


def as_datetime(days: np.ndarray) -> np.ndarray:
    """Day numbers as ``datetime64[ns]`` values."""
    return days.astype("datetime64[D]").astype("datetime64[ns]")


def customer_frame(data: dict[str, Any], index: pd.Index) -> pd.DataFrame:
    """The customer table from per-customer arrays, sorted by customer id.

    Ids of mixed, unorderable types keep their first-seen order.
    """
    try:
        order = index.argsort()
    except TypeError:
        order = None
    if order is not None:
        index = index.take(order)
        data = {name: values[order] for name, values in data.items()}
    return pd.DataFrame(data, index=index, copy=False)


def finish(
    result: pd.DataFrame,
    *,
    notices: list[str],
    n_negative: int,
    returns: str,
    as_of_day: int,
    freq: str,
    stacklevel: int = 7,
) -> pd.DataFrame:
    """The last step of the engines: their one notice (the rows dropped, with the returns
    netted), as :func:`kamseg.prepare_transactions` gives it, and `attrs`."""
    if n_negative and returns == "net":
        n_flagged = int(result["nonpositive_revenue"].sum())
        notices.append(notice_netted_returns(n_negative, n_flagged))
    notify(_FUNC, notices, stacklevel=stacklevel)
    return with_attrs(result, as_of_day=as_of_day, freq=freq)


def check_finite_totals(totals: dict[str, np.ndarray], index: pd.Index) -> None:
    """Refuse per-customer totals that overflow float64 (e.g. two amounts of 1e308)."""
    for name, values in totals.items():
        bad = ~np.isfinite(values)
        if bad.any():
            shown = index[bad]
            with contextlib.suppress(TypeError):  # the same examples from every engine
                shown = shown.sort_values()
            raise SchemaError(
                f"{_FUNC}: the {name} of {int(bad.sum())} customer(s) overflows (the sum of "
                f"their amounts is beyond 1.8e308), e.g. {list(shown[:3])}. Hint: check "
                "the amounts for misplaced decimal points or wrong units."
            )


def with_attrs(result: pd.DataFrame, *, as_of_day: int, freq: str) -> pd.DataFrame:
    """Set the customer table's ``attrs``: ``as_of`` (ISO text) and ``freq``."""
    result.attrs = {"as_of": str(np.datetime64(as_of_day, "D")), "freq": freq}
    return result


#: Hash buckets of customer ids a sample of customers is made of (see :func:`choose_buckets`).
SAMPLE_BUCKETS = 65_536
#: Most transaction rows of the sample of customers that the need level and the churn model
#: of an engine input learn from (also at most ``pandas_max_rows``): about 200k customers,
#: as many as the churn model's training rows (``fit_churn``'s ``max_rows``).
SAMPLE_MAX_ROWS = 2_000_000


def choose_buckets(counts: list[tuple[int, int]], limit: int) -> tuple[list[int], int]:
    """The buckets of a deterministic sample of customers: ``(bucket, rows)`` `counts` taken
    in bucket order while their rows fit in `limit` (the smallest bucket when none does);
    returns the buckets and their rows."""
    chosen, total = [], 0
    for bucket, n in sorted(counts):
        if total + n <= limit:
            chosen.append(int(bucket))
            total += int(n)
    if not chosen and counts:
        bucket, n = min(counts, key=lambda bn: (bn[1], bn[0]))
        chosen, total = [int(bucket)], int(n)
    return chosen, total


def sample_note(engine: str, n_rows: int, limit: int, sampled: int, n_customers: int) -> str:
    """What a fit on an engine's aggregates with a sample of customers' rows says: why
    (more rows than `limit`, ``pandas_max_rows``, or, on an engine chosen for fewer, than a
    sample holds) and what was fitted on what."""
    why = (
        f"more than pandas_max_rows ({limit})"
        if n_rows > limit
        else f"more than a sample holds ({min(limit, SAMPLE_MAX_ROWS)})"
    )
    return (
        f"need level and churn model fitted on a sample: the transactions have {n_rows} "
        f"rows, {why}; every other part was fitted on "
        f"{engine}'s aggregates of every row, these two on the {sampled} rows of "
        f"{n_customers} customers chosen by a hash of their id (estimates)"
    )
