"""Activity in two trailing windows and the trends between them, in one pass."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from kamseg._types import ACTIVITY_COLUMNS, ACTIVITY_WINDOW_ATTR
from kamseg.errors import ConfigError
from kamseg.transactions import PreparedTransactions, purchase_periods

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
    pos_all = positions[prepared.code]
    age = end - prepared.day
    wanted = (pos_all >= 0) & (age >= 0)
    covers = np.bincount(pos_all[wanted & (age >= 2 * window)], minlength=n) > 0
    used = wanted & (age < 2 * window)
    pos = pos_all[used]
    age = age[used]
    amount = prepared.amount[used]
    recent = age < window
    # both windows in one pass: cell 2 * customer (recent) or 2 * customer + 1 (previous);
    # each cell adds its rows in row order, as one bincount per window would
    spend = np.bincount(2 * pos + ~recent, weights=amount, minlength=2 * n).reshape(n, 2)
    spend_recent, spend_previous = spend[:, 0], spend[:, 1]
    # purchase days: distinct (customer, day) pairs, less those that returns cancel
    k_pos, k_age, _, bought = purchase_periods(pos, age, amount)
    k_pos, k_age = k_pos[bought], k_age[bought]
    days_recent = np.bincount(k_pos[k_age < window], minlength=n).astype(np.float64)
    days_previous = np.bincount(k_pos[k_age >= window], minlength=n).astype(np.float64)
    if prepared.order is None:
        orders = np.bincount(pos[amount >= 0], minlength=n)
    else:  # order ids, less the cancellation documents
        o_pos, _, _, placed = purchase_periods(pos, prepared.order[used], amount)
        orders = np.bincount(o_pos[placed], minlength=n)
    return WindowActivity(
        window=int(window),
        end_day=end,
        spend_recent=spend_recent.astype(np.float64),
        spend_previous=spend_previous.astype(np.float64),
        days_recent=days_recent,
        days_previous=days_previous,
        orders=orders.astype(np.int64),
        covers=covers,
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
        covers=cols["covers"].to_numpy(dtype=object, na_value=False).astype(bool),
    )
