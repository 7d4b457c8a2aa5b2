"""Transactions to one row per customer: the customer table every analysis consumes.

:func:`summarize` routes by the type of its input: a pandas DataFrame (or prepared
transactions) is summarised in numpy (``_pandas``), Parquet paths, Arrow, Polars and DuckDB
inputs by DuckDB out of core (``_duckdb``), PySpark DataFrames by Spark (``_spark``). All
three give the same table; ``_common`` holds what they share.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from typing import Any, get_args

import pandas as pd

from kamseg._types import Freq, ReturnsPolicy
from kamseg._validation import check_choice
from kamseg.summary._common import CUSTOMER_COLUMNS, periods
from kamseg.transactions import PreparedTransactions, as_prepared

__all__ = ["CUSTOMER_COLUMNS", "Freq", "ReturnsPolicy", "periods", "summarize"]

_FUNC = "summarize"


def _engine_of(source: object) -> str | None:
    """Which engine computes the summary of `source`: None for pandas.

    Decided from the object's type and module name, so that no engine library is imported
    to find out.
    """
    if isinstance(source, pd.DataFrame | PreparedTransactions):
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
        from kamseg.summary._spark import summarize_spark

        return summarize_spark(source, **options)
    from kamseg.summary._duckdb import summarize_duckdb

    return summarize_duckdb(source, **options)


def summarize(
    transactions: Any,
    *,
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    profit_col: Hashable | None = None,
    order_col: Hashable | None = None,
    quantity_col: Hashable | None = None,
    price_col: Hashable | None = None,
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
        the same table as the pandas path. Or a
        :class:`~kamseg.transactions.PreparedTransactions` (from
        :func:`kamseg.prepare_transactions`), used as it is: its columns, `dropna`,
        `returns` and `as_of` hold, the keywords below that set them are not read, and
        nothing is validated or warned again (an earlier `as_of` cuts it off there).
    customer_col, date_col, amount_col
        Columns holding the customer id, the purchase date (``datetime64``, ``date`` objects
        or ISO 8601 text; time-zone-aware dates are taken in their own wall-clock time) and
        the amount (numbers; negative amounts are returns, see `returns`).
    profit_col
        Optional column of profit (margin) per row; summed into ``profit``.
    order_col
        Optional order id column. When given, ``n_orders`` counts distinct order ids per
        customer (several lines of one order count once); otherwise it counts rows.
    quantity_col, price_col
        Line items: give both, and each row's amount is quantity × unit price (`amount_col`
        is not read). Negative quantities (cancellation and return lines) give negative
        amounts, handled by `returns`.
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
    check_choice(freq, get_args(Freq), func=_FUNC, arg="freq")
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
            quantity_col=quantity_col,
            price_col=price_col,
            as_of=as_of,
            freq=freq,
            dropna=dropna,
            returns=returns,
        )
    from kamseg.summary._pandas import summarize_prepared

    prepared = as_prepared(
        transactions,
        func=_FUNC,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        profit_col=profit_col,
        order_col=order_col,
        quantity_col=quantity_col,
        price_col=price_col,
        as_of=as_of,
        dropna=dropna,
        returns=returns,
    )
    return summarize_prepared(prepared, freq)
