"""The customer table of prepared transactions, in numpy.

This is kamseg's hot path: after :mod:`kamseg.transactions` has validated the rows and
numbered the customers, it sorts one packed ``(customer, day)`` integer key and reduces it
with a few ``bincount`` passes; nothing is grouped with Python-level callbacks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kamseg.errors import ConfigError, EmptyInputError
from kamseg.summary._common import as_datetime, customer_frame, periods, with_attrs
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
    days = prepared.day
    amount = prepared.amount
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
    n_cust = len(index)

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
    first_period = first_day if lut is None else lut[first_off]
    last_period = last_day if lut is None else lut[last_off]
    as_of_period = int(periods(np.array([as_of_day], dtype=np.int64), freq)[0])

    if lut is None:
        in_first_period = days == first_day[codes]
    else:
        in_first_period = lut[days - dmin] == first_period[codes]
    revenue = np.bincount(codes, weights=amount, minlength=n_cust)
    repeat_amount = np.bincount(
        codes, weights=np.where(in_first_period, 0.0, amount), minlength=n_cust
    )
    del in_first_period

    if prepared.order is None:
        n_orders = counts_rows.astype(np.int64)
    else:
        n_order_codes = int(prepared.order.max()) + 1
        pair = codes * n_order_codes + prepared.order
        pair.sort()
        distinct = np.empty(pair.size, dtype=bool)
        distinct[0] = True
        np.not_equal(pair[1:], pair[:-1], out=distinct[1:])
        n_orders = np.bincount(pair[distinct] // n_order_codes, minlength=n_cust)

    frequency = (n_periods - 1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        monetary = np.where(frequency > 0, repeat_amount / np.maximum(frequency, 1), 0.0)

    data: dict[str, Any] = {
        "first_purchase": as_datetime(first_day),
        "last_purchase": as_datetime(last_day),
        "n_orders": n_orders.astype(np.int64),
        "revenue": revenue,
    }
    if prepared.profit is not None:
        data["profit"] = np.bincount(codes, weights=prepared.profit, minlength=n_cust)
    data["avg_order_value"] = revenue / n_orders
    data["days_since_last"] = (as_of_day - last_day).astype(np.int64)
    data["tenure_days"] = (as_of_day - first_day).astype(np.int64)
    data["frequency"] = frequency
    data["recency"] = (last_period - first_period).astype(np.float64)
    data["T"] = (as_of_period - first_period).astype(np.float64)
    data["monetary_value"] = monetary
    data["nonpositive_revenue"] = revenue <= 0

    # sorted by id (unorderable ids keep their first-seen order), or in code order
    result = customer_frame(data, index) if sort else pd.DataFrame(data, index=index, copy=False)
    return with_attrs(result, as_of_day=as_of_day, freq=freq)
