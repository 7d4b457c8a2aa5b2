"""Activity in two trailing windows and the trends between them, in one pass."""

from __future__ import annotations

import dataclasses
import weakref

import numpy as np
import pandas as pd

from kamseg._pairs import placed_orders, purchase_pairs
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
#: Default minimum number of orders in the two windows together for a trend to count.
MIN_TREND_ORDERS = 6


@dataclasses.dataclass(frozen=True, eq=False)
class WindowActivity:
    """Each customer's activity in the recent and the previous window (arrays by row).

    The recent window is the `window` days ending on `end_day` (included), the previous
    one the `window` days before it.
    """

    window: int
    end_day: int
    spend_recent: np.ndarray
    spend_previous: np.ndarray
    days_recent: np.ndarray
    days_previous: np.ndarray
    orders: np.ndarray
    covers: np.ndarray

    def eligible(self, min_orders: int = MIN_TREND_ORDERS) -> np.ndarray:
        """The one rule for a trend to count: the customer's first purchase is at least two
        windows old (its tenure covers both windows) and it placed at least `min_orders`
        orders in the two windows together."""
        return np.asarray(self.covers & (self.orders >= min_orders))

    def spend_trend(self, min_orders: int = MIN_TREND_ORDERS) -> np.ndarray:
        """``spend_recent / spend_previous - 1`` where eligible and the previous spend is
        > 0; NaN elsewhere."""
        return _trend(self.spend_recent, self.spend_previous, self.eligible(min_orders))

    def frequency_trend(self, min_orders: int = MIN_TREND_ORDERS) -> np.ndarray:
        """The same with the number of distinct purchase days."""
        return _trend(self.days_recent, self.days_previous, self.eligible(min_orders))

    def restarted(self, min_orders: int = MIN_TREND_ORDERS) -> np.ndarray:
        """Eligible, nothing (net) spent in the previous window, something in the recent."""
        return np.asarray(
            self.eligible(min_orders) & (self.spend_previous <= 0) & (self.spend_recent > 0)
        )


def _trend(recent: np.ndarray, previous: np.ndarray, ok: np.ndarray) -> np.ndarray:
    out = np.full(recent.shape, np.nan)
    ok = ok & (previous > 0)
    out[ok] = recent[ok] / previous[ok] - 1.0
    return out


_CHUNK_ROWS = 1 << 20  # rows read at once: each chunk's temporaries stay small and reused


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


def _by_customer(prepared: PreparedTransactions, window: int, end: int) -> WindowActivity:
    """The activity of every customer code of `prepared` (output row = code), once."""
    known = _BY_CUSTOMER.setdefault(prepared, {})
    if (window, end) not in known:
        n = len(prepared.ids)
        everyone = np.arange(n, dtype=np.int64)
        known[(window, end)] = _activity(prepared, everyone, n, window=window, end=end)
    return known[(window, end)]


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


def _activity(
    prepared: PreparedTransactions, positions: np.ndarray, n: int, *, window: int, end: int
) -> WindowActivity:
    """:func:`window_activity` of the output rows `positions`, from the rows."""
    span = 2 * int(window)
    rows = _window_rows(prepared, positions, n, end=end, span=span)
    key, amount = rows.key, rows.amount  # key: output row * span + age (0..span-1)
    # both windows in one pass: cell 2 * row (recent) or 2 * row + 1 (previous); each cell
    # adds its rows in row order, as one bincount per window would
    spend = np.bincount(key // window, weights=amount, minlength=2 * n).reshape(n, 2)
    spend_recent, spend_previous = spend[:, 0], spend[:, 1]
    if rows.order is None:
        orders = np.bincount(_floor_divided(key[amount >= 0], span), minlength=n)
    else:  # order ids, less the cancellation documents
        orders = placed_orders(key // span, rows.order, amount, n)
    # purchase days: distinct (customer, day) pairs, less those that returns cancel
    k_pos, k_age = purchase_pairs(key // span, key % span, amount)
    days = np.bincount(2 * k_pos + (k_age >= window), minlength=2 * n)
    days = days.reshape(n, 2).astype(np.float64)
    return WindowActivity(
        window=int(window),
        end_day=end,
        spend_recent=spend_recent.astype(np.float64),
        spend_previous=spend_previous.astype(np.float64),
        days_recent=days[:, 0].copy(),
        days_previous=days[:, 1].copy(),
        orders=orders.astype(np.int64),
        covers=rows.covers,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class _WindowRows:
    """The rows of wanted customers in the two windows, in row order, and which output rows
    have a row before both windows."""

    key: np.ndarray  # int64: output row * span + age in days (0 .. span - 1)
    amount: np.ndarray  # float64
    order: np.ndarray | None  # int64 order code, when the transactions have one
    covers: np.ndarray  # bool per output row


def _window_rows(
    prepared: PreparedTransactions, positions: np.ndarray, n: int, *, end: int, span: int
) -> _WindowRows:
    """The rows dated in the `span` days ending on `end`, read chunk by chunk: no array the
    size of all rows is made, only the chunks' and the window rows'."""
    code, day, amount, order = prepared.code, prepared.day, prepared.amount, prepared.order
    positions = np.asarray(positions, dtype=np.int64)
    first = end - span  # rows on or before it are older than both windows
    covers = np.zeros(n, dtype=bool)
    # filled up to `size`; the pages of the rest are never touched
    key = np.empty(code.size, dtype=np.int64)
    amounts = np.empty(code.size, dtype=np.float64)
    orders = None if order is None else np.empty(code.size, dtype=np.int64)
    size = 0
    for start in range(0, code.size, _CHUNK_ROWS):
        stop = start + _CHUNK_ROWS
        pos = positions[code[start:stop]]
        d = day[start:stop]
        wanted = pos >= 0
        covers[pos[wanted & (d <= first)]] = True
        at = np.flatnonzero(wanted & (d > first) & (d <= end))
        part = key[size : size + at.size]
        np.multiply(pos[at], span, out=part)
        part += end
        part -= d[at]
        amounts[size : size + at.size] = amount[start:stop][at]
        if orders is not None and order is not None:
            orders[size : size + at.size] = order[start:stop][at]
        size += at.size
    return _WindowRows(
        key=key[:size],
        amount=amounts[:size],
        order=None if orders is None else orders[:size],
        covers=covers,
    )


def _floor_divided(values: np.ndarray, divisor: int) -> np.ndarray:
    """``values // divisor``, in the memory of `values` (a temporary of the caller)."""
    values //= divisor
    return values


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
