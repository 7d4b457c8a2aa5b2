"""Each customer's activity in two trailing windows, from arrays of rows (the core of
:func:`kamseg.features.window_activity`, in the base layer so that the engines' summary,
which sums its passes' rows in numpy, computes the same columns)."""

from __future__ import annotations

import dataclasses

import numpy as np

from kamseg._pairs import placed_orders, purchase_pairs

__all__ = ["MIN_TREND_ORDERS", "WindowActivity", "activity"]

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


def activity(
    code: np.ndarray,
    day: np.ndarray,
    amount: np.ndarray,
    order: np.ndarray | None,
    positions: np.ndarray,
    n: int,
    *,
    window: int,
    end: int,
) -> WindowActivity:
    """The activity of the output rows `positions` (one per customer code, -1: not
    wanted) in the two windows of `window` days ending on day `end`, from the rows'
    customer `code`, `day`, `amount` and `order` code (None: none), as
    :class:`kamseg.transactions.PreparedTransactions` holds them."""
    span = 2 * int(window)
    rows = _window_rows(code, day, amount, order, positions, n, end=end, span=span)
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
    code: np.ndarray,
    day: np.ndarray,
    amount: np.ndarray,
    order: np.ndarray | None,
    positions: np.ndarray,
    n: int,
    *,
    end: int,
    span: int,
) -> _WindowRows:
    """The rows dated in the `span` days ending on `end`, read chunk by chunk: no array the
    size of all rows is made, only the chunks' and the window rows'."""
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
