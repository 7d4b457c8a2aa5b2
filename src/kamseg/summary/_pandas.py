"""The customer table of prepared transactions, in numpy.

This is kamseg's hot path: after :mod:`kamseg.transactions` has validated the rows and
numbered the customers, it sorts one packed ``(customer, day)`` integer key and reduces it
with a few ``bincount`` passes; nothing is grouped with Python-level callbacks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kamseg._pairs import net_sums, placed_orders, purchase_periods
from kamseg.errors import ConfigError, EmptyInputError
from kamseg.summary._common import (
    as_datetime,
    check_finite_totals,
    customer_frame,
    periods,
    with_attrs,
)
from kamseg.transactions import PreparedTransactions

__all__ = ["summarize_prepared"]

_FUNC = "summarize"
_INT64_MAX = np.iinfo(np.int64).max


def summarize_prepared(
    prepared: PreparedTransactions, freq: str, *, sort: bool = True
) -> pd.DataFrame:
    """The customer table (see :func:`kamseg.summarize`) of `prepared`, in `freq` periods.

    Customers without a row (after :meth:`PreparedTransactions.until`) have no row. Rows are
    sorted by customer id; with ``sort=False`` they stay in code order (``prepared.ids``).
    """
    codes = prepared.code
    as_of_day = prepared.as_of_day
    if codes.size == 0:
        raise EmptyInputError(
            f"{_FUNC}: no transactions on or before as_of {np.datetime64(as_of_day, 'D')}."
        )
    n_all = len(prepared.ids)
    counts_rows = np.bincount(codes, minlength=n_all)
    present = counts_rows > 0
    index = prepared.ids
    if not present.all():  # an earlier cut-off: number the customers with rows
        remap = np.cumsum(present) - 1
        codes = remap[codes]
        counts_rows = counts_rows[present]
        index = index[present]
    data = summary_arrays(
        codes,
        counts_rows,
        prepared.day,
        prepared.amount,
        prepared.profit,
        prepared.order,
        as_of_day=as_of_day,
        freq=freq,
    )
    totals: dict[str, np.ndarray] = {c: data[c] for c in ("revenue", "profit") if c in data}
    check_finite_totals(totals, index)

    # sorted by id (unorderable ids keep their first-seen order), or in code order
    result = customer_frame(data, index) if sort else pd.DataFrame(data, index=index, copy=False)
    return with_attrs(result, as_of_day=as_of_day, freq=freq)


def summary_arrays(
    codes: np.ndarray,
    counts_rows: np.ndarray,
    days: np.ndarray,
    amount: np.ndarray,
    profit: np.ndarray | None,
    order: np.ndarray | None,
    *,
    as_of_day: int,
    freq: str,
    netted: bool | None = None,
) -> dict[str, np.ndarray]:
    """The customer table's columns, in code order, of rows numbered by customer `codes`
    (every code from 0 to ``len(counts_rows) - 1`` has ``counts_rows[code]`` rows, at least
    one), their `days`, `amount`, `profit` and `order` codes (see
    :class:`PreparedTransactions`), all on or before `as_of_day`.

    Each customer's sums add its amounts in row order. `netted` says whether returns are
    netted (periods that returns bring to <= 0 are no purchases); None: whether an amount is
    negative. A part of a table's rows (the customers of a range of ids) gives the same
    bits as the whole table when it is given the whole table's `netted`.
    """
    n_cust = len(counts_rows)
    dmin = int(days.min())
    span = int(days.max()) - dmin + 1
    if n_cust * span >= _INT64_MAX:  # pragma: no cover - needs ~10^12 customer-days
        raise ConfigError(f"{_FUNC}: date range too long for {n_cust} customers.")
    key = codes * span + (days - dmin)
    key.sort()
    # every code 0..n_cust-1 occurs, so the groups are delimited by the cumulative counts
    ends = np.cumsum(counts_rows)
    starts = ends - counts_rows
    first_off = key[starts] % span
    last_off = key[ends - 1] % span

    # a new (customer, period) pair starts wherever the sorted key's period changes
    new_period = np.empty(key.size, dtype=bool)
    new_period[0] = True
    if freq == "D":
        lut = None
        np.not_equal(key[1:], key[:-1], out=new_period[1:])
    else:
        # period number of each day offset in the data's range, looked up, not recomputed
        lut = periods(np.arange(dmin, dmin + span + 1, dtype=np.int64), freq)
        period = lut[key % span]
        np.not_equal(period[1:], period[:-1], out=new_period[1:])
        new_period[starts] = True
        del period
    del key
    n_periods = np.add.reduceat(new_period, starts).astype(np.int64)
    del new_period

    first_day = first_off + dmin
    last_day = last_off + dmin
    revenue = net_sums(codes, amount, n_cust)
    returns = bool((amount < 0).any()) if netted is None else netted
    if returns:  # periods that returns bring to <= 0 are no purchases
        cancelled = _with_returns(codes, days, amount, order, freq, first_day)
        first_day, last_day, first_period, last_period, n_periods = cancelled[:5]
        repeat_amount, n_orders = cancelled[5:]
    else:
        first_period = first_day if lut is None else lut[first_off]
        last_period = last_day if lut is None else lut[last_off]
        if lut is None:
            in_first_period = days == first_day[codes]
        else:
            in_first_period = lut[days - dmin] == first_period[codes]
        repeat_amount = np.bincount(
            codes, weights=np.where(in_first_period, 0.0, amount), minlength=n_cust
        )
        del in_first_period
    as_of_period = int(periods(np.array([as_of_day], dtype=np.int64), freq)[0])

    if not returns:  # (with returns, counted above)
        if order is None:
            n_orders = counts_rows.astype(np.int64)
        else:
            # no return: every (customer, order) pair is an order, one in-place sort of
            # the pair keys counts them (no nets, as placed_orders needs with returns)
            n_order_codes = int(order.max()) + 1
            pair = codes * n_order_codes + order
            pair.sort()
            distinct = np.empty(pair.size, dtype=bool)
            distinct[0] = True
            np.not_equal(pair[1:], pair[:-1], out=distinct[1:])
            n_orders = np.bincount(pair[distinct] // n_order_codes, minlength=n_cust)

    frequency = np.maximum(n_periods - 1, 0).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        monetary = np.where(frequency > 0, repeat_amount / np.maximum(frequency, 1), 0.0)

    data: dict[str, Any] = {
        "first_purchase": as_datetime(first_day),
        "last_purchase": as_datetime(last_day),
        "n_orders": n_orders.astype(np.int64),
        "revenue": revenue,
    }
    if profit is not None:
        data["profit"] = net_sums(codes, profit, n_cust)
    with np.errstate(divide="ignore", invalid="ignore"):  # no order left: NaN
        data["avg_order_value"] = np.where(n_orders > 0, revenue / np.maximum(n_orders, 1), np.nan)
    data["days_since_last"] = (as_of_day - last_day).astype(np.int64)
    data["tenure_days"] = (as_of_day - first_day).astype(np.int64)
    data["frequency"] = frequency
    data["recency"] = (last_period - first_period).astype(np.float64)
    data["T"] = (as_of_period - first_period).astype(np.float64)
    data["monetary_value"] = monetary
    data["nonpositive_revenue"] = revenue <= 0
    return data


def _first_last(
    code: np.ndarray, value: np.ndarray, n: int, fallback: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """First and last `value` per customer of pairs sorted by (code, value); `fallback`
    for both where a customer has none."""
    first, last = fallback.copy(), fallback.copy()
    has = np.bincount(code, minlength=n) > 0
    if has.any():
        customers = np.arange(n)
        lo = np.searchsorted(code, customers, side="left")
        hi = np.searchsorted(code, customers, side="right") - 1
        first[has] = value[lo[has]]
        last[has] = value[hi[has]]
    return first, last


def _with_returns(
    codes: np.ndarray,
    days: np.ndarray,
    amount: np.ndarray,
    order: np.ndarray | None,
    freq: str,
    first_any: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Per customer, when some amounts are negative (the rule of
    :func:`kamseg.transactions.purchase_periods`): the first and last purchase day, the
    first and last purchase period, the purchase periods, the repeat spend and the orders.

    The days follow the rule at the day level and the periods at the period level, so the
    day columns (``last_purchase``, ``days_since_last``, ...) are the same whatever
    `freq`. A customer without a purchase day has both on the first day of its rows
    (`first_any`); one without a purchase period has both periods at its first purchase
    day's, so that recency = frequency = 0. The repeat spend sums the net of the purchase
    periods after the first. Orders are the order ids (each row without `order`) whose net
    is > 0 or that have no negative row.
    """
    n = first_any.size
    d_code, d_day, d_net, d_buy = purchase_periods(codes, days, amount)
    first_day, last_day = _first_last(d_code[d_buy], d_day[d_buy], n, first_any)
    if freq == "D":
        p_code, p_period, p_net, p_buy = d_code, d_day, d_net, d_buy
    else:
        p_code, p_period, p_net, p_buy = purchase_periods(codes, periods(days, freq), amount)
    first_period, last_period = _first_last(
        p_code[p_buy], p_period[p_buy], n, periods(first_day, freq)
    )
    n_periods = np.bincount(p_code[p_buy], minlength=n).astype(np.int64)
    repeat = p_buy & (p_period != first_period[p_code])
    repeat_amount = np.bincount(p_code[repeat], weights=p_net[repeat], minlength=n)
    if order is None:
        n_orders = np.bincount(codes[amount >= 0], minlength=n)
    else:
        n_orders = placed_orders(codes, order, amount, n)
    return (
        first_day,
        last_day,
        first_period,
        last_period,
        n_periods,
        repeat_amount,
        n_orders.astype(np.int64),
    )
