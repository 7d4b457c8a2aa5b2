"""Transactions to one row per customer: the customer table every analysis consumes.

This is kamseg's hot path: the only code that touches every transaction row. It makes one
pass to validate and convert the columns, one hash pass to number the customers, one sort
of a packed ``(customer, day)`` integer key, and a few ``bincount`` reductions; nothing is
grouped with Python-level callbacks.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._validation import as_of_day as day_of
from kamseg._validation import (
    check_choice,
    check_columns,
    check_frame,
    examples,
    to_datetime,
    to_float,
    warn,
)
from kamseg.errors import ConfigError, EmptyInputError, SchemaError

__all__ = ["CUSTOMER_COLUMNS", "Freq", "ReturnsPolicy", "summarize"]

Freq = Literal["D", "W", "M"]
ReturnsPolicy = Literal["net", "exclude", "error"]

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
_INT64_MAX = np.iinfo(np.int64).max


def _periods(days: np.ndarray, freq: str) -> np.ndarray:
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


def _days_of(dates: pd.Series) -> np.ndarray:
    """Day numbers since 1970-01-01 (floored) of a naive datetime64 series; NaT -> min int."""
    return dates.to_numpy().astype("datetime64[D]").view(np.int64)


def _as_datetime(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[ns]")


def _engine_of(source: object) -> str | None:
    """Which engine computes the summary of `source`: None for pandas.

    Decided from the object's type and module name, so that no engine library is imported
    to find out.
    """
    if isinstance(source, pd.DataFrame):
        return None
    if isinstance(source, str | os.PathLike):
        return "duckdb"  # a Parquet file, folder or glob, read out-of-core
    module = type(source).__module__.split(".")[0]
    if module in ("pyarrow", "polars", "duckdb", "_duckdb"):
        return "duckdb"
    if module == "pyspark":
        return "spark"
    return None


def _summarize_on_engine(engine: str, source: Any, **options: Any) -> pd.DataFrame:
    if engine == "spark":
        from kamseg.engines._spark import summarize_spark

        return summarize_spark(source, **options)
    from kamseg.engines._duckdb import summarize_duckdb

    return summarize_duckdb(source, **options)


def summarize(
    transactions: Any,
    *,
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    profit_col: Hashable | None = None,
    order_col: Hashable | None = None,
    as_of: Any = None,
    freq: Freq = "D",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
) -> pd.DataFrame:
    """Summarise a transaction table into one row per customer.

    Parameters
    ----------
    transactions
        One row per order or order line, not modified: a pandas DataFrame; or, computed
        in DuckDB with only the customer table coming back (``pip install
        "kamseg[duckdb]"``), a Parquet path, folder or glob (read out-of-core), a PyArrow
        Table, a Polars DataFrame or LazyFrame (``kamseg[polars]``), or a DuckDB relation;
        or a PySpark DataFrame, computed in Spark (``kamseg[spark]``). Every engine gives
        the same table as the pandas path.
    customer_col, date_col, amount_col
        Columns holding the customer id, the purchase date (``datetime64``, ``date`` objects
        or ISO 8601 text; time-zone-aware dates are taken in their own wall-clock time) and
        the amount (numbers; negative amounts are returns, see `returns`).
    profit_col
        Optional column of profit (margin) per row; summed into ``profit``.
    order_col
        Optional order id column. When given, ``n_orders`` counts distinct order ids per
        customer (several lines of one order count once); otherwise it counts rows.
    as_of
        The observation date ("now"). Default: the latest date in the data. Only its day
        counts: transactions dated on the `as_of` day are included, later ones are excluded
        with a :class:`~kamseg.errors.KamsegWarning` that counts them.
    freq
        Period for the BTYD columns ``frequency``, ``recency`` and ``T``: ``"D"`` days, ``"W"``
        weeks (Monday to Sunday, as pandas' and lifetimes' ``"W"``), ``"M"`` calendar months.
        With ``"M"`` a customer's purchase months are counted and differenced as calendar
        months: a first purchase on 31 January and a second on 1 February give
        ``frequency=1`` and ``recency=1``; ``T`` is the number of month boundaries between the
        first purchase month and the `as_of` month. lifetimes rejects ``"M"``.
    dropna
        Rows with a null customer id, date or amount (or profit) raise
        :class:`~kamseg.errors.SchemaError` by default. With ``dropna=True`` they are dropped
        and a warning gives the count.
    returns
        Policy for negative amounts (returns, credit notes). ``"net"`` (default): kept and
        netted into the customer's totals, and into the period sums behind
        ``monetary_value``; a warning gives the counts, and customers whose net revenue is
        <= 0 are flagged in ``nonpositive_revenue``. ``"exclude"``: those rows are dropped
        (with a warning). ``"error"``: raise :class:`~kamseg.errors.SchemaError`.

    Returns
    -------
    DataFrame
        Indexed by customer id (index named after `customer_col`, sorted), one row per
        customer with at least one transaction up to `as_of`:

        - ``first_purchase``, ``last_purchase`` (datetime64[ns], day resolution): dates of
          the first and last purchase.
        - ``n_orders`` (int64): number of orders (rows, or distinct `order_col` values).
        - ``revenue`` (float64): net sum of amounts.
        - ``profit`` (float64): sum of `profit_col`; only when `profit_col` is given.
        - ``avg_order_value`` (float64): ``revenue / n_orders``.
        - ``days_since_last`` (int64): days from the last purchase to `as_of` (RFM recency).
        - ``tenure_days`` (int64): days from the first purchase to `as_of`.
        - ``frequency``, ``recency``, ``T``, ``monetary_value`` (float64): the BTYD summary
          with exactly the meaning of lifetimes' ``summary_data_from_transaction_data`` (and
          PyMC-Marketing's ``rfm_summary``): ``frequency`` is the number of periods with a
          purchase minus one (repeat periods); ``recency`` the number of periods between the
          first and the last purchase period; ``T`` the number of periods between the first
          purchase period and the `as_of` period; ``monetary_value`` the mean, over repeat
          periods, of the amount spent per period (0 when ``frequency`` is 0).
        - ``nonpositive_revenue`` (bool): net revenue <= 0 (returns cancel purchases).

        ``attrs`` holds ``as_of`` (ISO date text, so that Parquet files keep it) and
        ``freq``, for information.

    Raises
    ------
    ColumnNotFoundError
        If a named column is missing.
    SchemaError
        On unparseable dates, mixed time zones, non-numeric or infinite amounts, nulls
        (unless ``dropna=True``), or negative amounts with ``returns="error"``.
    EmptyInputError
        If there are no transactions, or none up to `as_of`.
    ConfigError
        On an unknown `freq` or `returns`, or an unparseable `as_of`.

    Notes
    -----
    The one deliberate difference from lifetimes: lifetimes keeps every transaction whose
    *period* starts on or before `as_of`'s period, so with ``freq="W"`` and an `as_of` in
    mid-week it counts purchases made later that week. kamseg excludes every transaction
    dated after `as_of` (and says so). With the default `as_of`, or an `as_of` at the end of
    a period, the two agree exactly.

    Examples
    --------
    >>> import pandas as pd
    >>> import kamseg
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "date": ["2024-01-01", "2024-01-01", "2024-01-10", "2024-01-05"],
    ...     "amount": [10.0, 5.0, 30.0, 8.0],
    ... })
    >>> c = kamseg.summarize(tx, as_of="2024-01-31")
    >>> c[["n_orders", "revenue", "days_since_last", "frequency", "recency", "T"]]
                 n_orders  revenue  days_since_last  frequency  recency     T
    customer_id
    a                   3     45.0               21        1.0      9.0  30.0
    b                   1      8.0               26        0.0      0.0  26.0
    >>> float(c.loc["a", "monetary_value"])  # the one repeat day, 2024-01-10
    30.0
    """
    engine = _engine_of(transactions)
    if engine is not None:
        return _summarize_on_engine(
            engine,
            transactions,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            profit_col=profit_col,
            order_col=order_col,
            as_of=as_of,
            freq=freq,
            dropna=dropna,
            returns=returns,
        )
    tx = check_frame(transactions, func=_FUNC, arg="transactions", allow_empty=True)
    check_choice(freq, get_args(Freq), func=_FUNC, arg="freq")
    check_choice(returns, get_args(ReturnsPolicy), func=_FUNC, arg="returns")
    check_columns(
        tx,
        {
            "customer_col": customer_col,
            "date_col": date_col,
            "amount_col": amount_col,
            "profit_col": profit_col,
            "order_col": order_col,
        },
        func=_FUNC,
    )
    if len(tx) == 0:
        raise EmptyInputError(
            f"{_FUNC}: `transactions` has no rows. Hint: check the filter upstream."
        )

    ids = tx[customer_col]
    dates = to_datetime(tx[date_col], func=_FUNC, col=str(date_col))
    amount = to_float(tx[amount_col], func=_FUNC, col=str(amount_col))
    profit = (
        None if profit_col is None else to_float(tx[profit_col], func=_FUNC, col=str(profit_col))
    )
    orders = None if order_col is None else tx[order_col]

    # --- nulls -------------------------------------------------------------------------
    null_parts = {
        str(customer_col): ids.isna().to_numpy() if ids.dtype.kind not in "iub" else None,
        str(date_col): dates.isna().to_numpy(),
        str(amount_col): np.isnan(amount),
    }
    if profit is not None:
        null_parts[str(profit_col)] = np.isnan(profit)
    keep: np.ndarray | None = None
    counts = {}
    for col, mask in null_parts.items():
        if mask is not None and mask.any():
            counts[col] = int(mask.sum())
            keep = ~mask if keep is None else keep & ~mask
    if counts:
        desc = ", ".join(f"{n} in {c!r}" for c, n in counts.items())
        if not dropna:
            raise SchemaError(
                f"{_FUNC}: null values found ({desc}). Hint: pass dropna=True to drop those "
                "rows with a warning, or fill them first."
            )
        n_dropped = 0 if keep is None else int((~keep).sum())
        warn(f"{_FUNC}: dropped {n_dropped} row(s) with null values ({desc}).")

    days = _days_of(dates)
    del dates
    if keep is not None:
        days_valid = days[keep]
        if days_valid.size == 0:
            raise EmptyInputError(f"{_FUNC}: no rows left after dropping nulls.")
        max_day = int(days_valid.max())
    else:
        max_day = int(days.max())
    parsed = day_of(as_of, func=_FUNC)
    as_of_day = max_day if parsed is None else parsed

    # --- after as_of, returns ------------------------------------------------------------
    late = days > as_of_day
    if keep is not None:
        late &= keep
    n_late = int(late.sum())
    if n_late:
        warn(
            f"{_FUNC}: excluded {n_late} transaction(s) dated after as_of "
            f"{np.datetime64(as_of_day, 'D')}."
        )
        keep = ~late if keep is None else keep & ~late

    negative = amount < 0
    if keep is not None:
        negative &= keep
    n_negative = int(negative.sum())
    if n_negative:
        if returns == "error":
            raise SchemaError(
                f"{_FUNC}: {n_negative} row(s) have negative {str(amount_col)!r} (returns); "
                f"examples: {examples(amount[negative])}. Hint: returns='net' nets them into "
                "the customers' totals, returns='exclude' drops them."
            )
        if returns == "exclude":
            warn(f"{_FUNC}: excluded {n_negative} row(s) with negative amounts (returns).")
            keep = ~negative if keep is None else keep & ~negative

    if keep is not None:
        if not keep.any():
            raise EmptyInputError(
                f"{_FUNC}: no transactions left on or before as_of "
                f"{np.datetime64(as_of_day, 'D')} after filtering."
            )
        ids = ids[keep]
        days = days[keep]
        amount = amount[keep]
        profit = None if profit is None else profit[keep]
        orders = None if orders is None else orders[keep]

    # --- number the customers; sort a packed (customer, day) key ------------------------------
    codes, uniques = pd.factorize(ids, sort=False)
    del ids
    n_cust = len(uniques)
    counts_rows = np.bincount(codes, minlength=n_cust)
    dmin = int(days.min())
    span = int(days.max()) - dmin + 1
    if n_cust * span >= _INT64_MAX:  # pragma: no cover - needs ~10^12 customer-days
        raise ConfigError(f"{_FUNC}: date range too long for {n_cust} customers.")
    key = codes.astype(np.int64) * span + (days - dmin)
    key.sort()
    # every code 0..n_cust-1 occurs, so the groups are delimited by the cumulative counts
    ends = np.cumsum(counts_rows)
    starts = ends - counts_rows
    first_off = key[starts] % span
    last_off = key[ends - 1] % span

    # a new (customer, period) pair starts wherever the sorted key's period changes
    if freq == "D":
        lut = None
        new_period = np.empty(key.size, dtype=bool)
        new_period[0] = True
        np.not_equal(key[1:], key[:-1], out=new_period[1:])
    else:
        # period number of each day offset in the data's range, looked up, not recomputed
        lut = _periods(np.arange(dmin, dmin + span + 1, dtype=np.int64), freq)
        period = lut[key % span]
        new_period = np.empty(key.size, dtype=bool)
        new_period[0] = True
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
    as_of_period = int(_periods(np.array([as_of_day], dtype=np.int64), freq)[0])

    if lut is None:
        in_first_period = days == first_day[codes]
    else:
        in_first_period = lut[days - dmin] == first_period[codes]
    revenue = np.bincount(codes, weights=amount, minlength=n_cust)
    repeat_amount = np.bincount(
        codes, weights=np.where(in_first_period, 0.0, amount), minlength=n_cust
    )
    del in_first_period

    if orders is None:
        n_orders = counts_rows.astype(np.int64)
    else:
        order_codes, order_uniques = pd.factorize(orders, sort=False, use_na_sentinel=False)
        pair = codes.astype(np.int64) * len(order_uniques) + order_codes
        pair.sort()
        distinct = np.empty(pair.size, dtype=bool)
        distinct[0] = True
        np.not_equal(pair[1:], pair[:-1], out=distinct[1:])
        n_orders = np.bincount(pair[distinct] // len(order_uniques), minlength=n_cust)

    frequency = (n_periods - 1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        monetary = np.where(frequency > 0, repeat_amount / np.maximum(frequency, 1), 0.0)

    data: dict[str, Any] = {
        "first_purchase": _as_datetime(first_day),
        "last_purchase": _as_datetime(last_day),
        "n_orders": n_orders.astype(np.int64),
        "revenue": revenue,
    }
    if profit is not None:
        data["profit"] = np.bincount(codes, weights=profit, minlength=n_cust)
    data["avg_order_value"] = revenue / n_orders
    data["days_since_last"] = (as_of_day - last_day).astype(np.int64)
    data["tenure_days"] = (as_of_day - first_day).astype(np.int64)
    data["frequency"] = frequency
    data["recency"] = (last_period - first_period).astype(np.float64)
    data["T"] = (as_of_period - first_period).astype(np.float64)
    data["monetary_value"] = monetary
    data["nonpositive_revenue"] = revenue <= 0

    result = _customer_frame(data, pd.Index(uniques, name=customer_col))
    return _finish(result, n_negative=n_negative, returns=returns, as_of_day=as_of_day, freq=freq)


def _customer_frame(data: dict[str, Any], index: pd.Index) -> pd.DataFrame:
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


def _finish(
    result: pd.DataFrame,
    *,
    n_negative: int,
    returns: str,
    as_of_day: int,
    freq: str,
    stacklevel: int = 4,
) -> pd.DataFrame:
    """The last step of every engine: the warning about netted returns, and `attrs`."""
    if n_negative and returns == "net":
        n_flagged = int(result["nonpositive_revenue"].sum())
        warn(
            f"{_FUNC}: {n_negative} row(s) have negative amounts (returns), netted into "
            f"customers' totals; {n_flagged} customer(s) have net revenue <= 0 "
            "(column nonpositive_revenue).",
            stacklevel=stacklevel,
        )
    result.attrs = {"as_of": str(np.datetime64(as_of_day, "D")), "freq": freq}
    return result
