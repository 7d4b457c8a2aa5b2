"""Activity in two trailing windows and the trends between them, in one pass."""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

from kamseg._activity import MIN_TREND_ORDERS, WindowActivity, activity
from kamseg._types import ACTIVITY_COLUMNS, ACTIVITY_WINDOW_ATTR
from kamseg.errors import ConfigError
from kamseg.transactions import PreparedTransactions

__all__ = [
    "ACTIVITY_COLUMNS",
    "ACTIVITY_WINDOW_ATTR",
    "MIN_TREND_ORDERS",
    "TREND_WINDOW_DAYS",
    "WindowActivity",
    "table_activity",
    "window_activity",
]

#: Default length of each trend window, in days.
TREND_WINDOW_DAYS = 180


def window_activity(
    prepared: PreparedTransactions,
    positions: np.ndarray,
    n: int,
    *,
    window: int,
    end_day: int | None = None,
) -> WindowActivity:
    """Spend, purchase days and orders of each customer in the two windows before `end_day`.

    Parameters
    ----------
    prepared
        The transactions.
    positions
        Row of each customer code in the output (-1: not wanted), e.g. from
        :meth:`PreparedTransactions.positions`.
    n
        Number of output rows.
    window
        Window length in days (>= 1).
    end_day
        Last day of the recent window (day number); default the `as_of` of `prepared`.
        Rows after it are not counted.
    """
    if window < 1:
        raise ConfigError(f"window_activity: `window` must be >= 1 day; got {window}.")
    end = prepared.as_of_day if end_day is None else int(end_day)
    positions = np.asarray(positions, dtype=np.int64)
    wanted = positions[positions >= 0]
    if (
        wanted.size
        and 2 * wanted.size >= len(prepared.ids)
        and np.bincount(wanted, minlength=n).max() == 1
    ):
        # most customers, one an output row: every customer's activity, computed once
        # for the prepared table and these windows, picked (a customer's sums do not
        # depend on the other customers: the same bits)
        return _picked(_by_customer(prepared, int(window), end), positions, n)
    return _activity(prepared, positions, n, window=int(window), end=end)


#: Every customer's window activity (by customer code), by (window, end day), of each
#: prepared table in use: the steps of a job (the lifecycle, the health score, the early
#: warnings) read the same windows of the same rows. Dropped with the table (a weak key).
_BY_CUSTOMER: weakref.WeakKeyDictionary[
    PreparedTransactions, dict[tuple[int, int], WindowActivity]
] = weakref.WeakKeyDictionary()


def _activity(
    prepared: PreparedTransactions, positions: np.ndarray, n: int, *, window: int, end: int
) -> WindowActivity:
    """:func:`window_activity` of the output rows `positions`, from the rows."""
    p = prepared
    return activity(p.code, p.day, p.amount, p.order, positions, n, window=window, end=end)


def _by_customer(prepared: PreparedTransactions, window: int, end: int) -> WindowActivity:
    """The activity of every customer code of `prepared` (output row = code), once."""
    known = _BY_CUSTOMER.setdefault(prepared, {})
    if (window, end) not in known:
        known[(window, end)] = every_customer(prepared, window, end)
    return known[(window, end)]


def every_customer(prepared: PreparedTransactions, window: int, end: int) -> WindowActivity:
    """The activity of every customer code of `prepared` (output row = code) in the two
    windows of `window` days ending on day `end`, computed (not kept: numpy work that says
    nothing, which a job runs in a thread of its own before the steps that read it, then
    hands over with :func:`adopt_activity`)."""
    n = len(prepared.ids)
    return _activity(prepared, np.arange(n, dtype=np.int64), n, window=window, end=end)


def adopt_activity(prepared: PreparedTransactions, activity: WindowActivity) -> None:
    """Keep `activity` (:func:`every_customer` of `prepared`) as the one that
    :func:`window_activity` picks its windows' rows from, unless one is kept already."""
    known = _BY_CUSTOMER.setdefault(prepared, {})
    known.setdefault((activity.window, activity.end_day), activity)


def _picked(by_code: WindowActivity, positions: np.ndarray, n: int) -> WindowActivity:
    """`by_code`'s rows at the output rows `positions` (one customer a row; rows without
    one: no spend, purchase day or order, no cover, as a sum over no row gives)."""
    ok = positions >= 0
    rows, codes = positions[ok], np.flatnonzero(ok)

    def pick(values: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=values.dtype)
        out[rows] = values[codes]
        return out

    return WindowActivity(
        window=by_code.window,
        end_day=by_code.end_day,
        spend_recent=pick(by_code.spend_recent),
        spend_previous=pick(by_code.spend_previous),
        days_recent=pick(by_code.days_recent),
        days_previous=pick(by_code.days_previous),
        orders=pick(by_code.orders),
        covers=pick(by_code.covers),
    )


def table_activity(customers: pd.DataFrame, window: int) -> WindowActivity | None:
    """The window activity that an engine computed with the customer table (its
    :data:`ACTIVITY_COLUMNS`, for windows of `window` days ending on ``attrs["as_of"]``),
    aligned with its rows; None when the table has none, or has it for other windows.

    Rows without activity (prospects appended by a step) have none: no spend, no purchase
    day, no order, and a tenure that does not cover the windows.
    """
    names = list(ACTIVITY_COLUMNS.values())
    as_of = customers.attrs.get("as_of")
    if (
        customers.attrs.get(ACTIVITY_WINDOW_ATTR) != window
        or as_of is None
        or any(c not in customers.columns for c in names)
    ):
        return None
    cols = {f: customers[c] for f, c in ACTIVITY_COLUMNS.items()}
    return WindowActivity(
        window=int(window),
        end_day=int(np.datetime64(pd.Timestamp(as_of).date(), "D").astype(np.int64)),
        spend_recent=cols["spend_recent"].to_numpy(dtype=np.float64, na_value=0.0),
        spend_previous=cols["spend_previous"].to_numpy(dtype=np.float64, na_value=0.0),
        days_recent=cols["days_recent"].to_numpy(dtype=np.float64, na_value=0.0),
        days_previous=cols["days_previous"].to_numpy(dtype=np.float64, na_value=0.0),
        orders=cols["orders"].to_numpy(dtype=np.float64, na_value=0.0).astype(np.int64),
        covers=_flags(cols["covers"]),
    )


def _flags(col: pd.Series) -> np.ndarray:
    """True where `col` holds True; False where it holds False or nothing. A bool column
    with the rows of appended prospects is of object type: compared to True at once (0.15
    s at 11M rows), not converted value by value (1.1 s)."""
    if col.dtype == object:
        try:
            return np.asarray(col.to_numpy() == True)  # noqa: E712 (NaN, None: not True)
        except TypeError:  # pd.NA among the values: its truth is ambiguous
            return col.to_numpy(dtype=object, na_value=False).astype(bool)
    return col.to_numpy(dtype=bool, na_value=False)
