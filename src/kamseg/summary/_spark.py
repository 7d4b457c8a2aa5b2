"""The customer summary computed in Spark: :func:`summarize_spark`.

Same semantics and the same result as :func:`kamseg.summarize` on pandas (columns, dtypes,
index sorted by customer id, warnings, errors), but every per-transaction step runs in Spark:
two aggregations over the transactions (one for the validation counts, one for the per-customer
figures), and small extra jobs only when the data need them: the rows per day when `as_of` is
not given (a date far beyond the rest is no "now"), the distinct ids with stray spaces, the
check of "17850.0"-like text ids. Only the customer table (one row per customer, through
Arrow) and the counts per day are collected to the driver. The rules are those of
:mod:`kamseg.transactions` (ids, far dates, :func:`~kamseg.transactions.purchase_periods`,
:func:`~kamseg.transactions.net_sums`), written again for Spark, as for DuckDB in
:mod:`kamseg.summary._duckdb`.

PySpark is imported lazily; install it with ``pip install "kamseg[spark]"``.

Reading Parquet written by pandas: pandas (before 3.0, or with ``datetime64[ns]`` columns)
writes nanosecond timestamps, which Spark refuses (``Illegal Parquet type: INT64
(TIMESTAMP(NANOS,false))``). :func:`read_parquet_for_spark` reads such files anyway; files
that kamseg (or you) write for Spark should use ``df.to_parquet(path, coerce_timestamps="us")``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, get_args

import numpy as np
import pandas as pd

from kamseg._types import ACTIVITY_COLUMNS, ACTIVITY_WINDOW_ATTR
from kamseg._validation import as_of_day as day_of
from kamseg._validation import check_choice, check_columns, examples
from kamseg.errors import EmptyInputError, SchemaError
from kamseg.summary._common import (
    Freq,
    ReturnsPolicy,
    as_datetime,
    check_finite_totals,
    customer_frame,
    finish,
    periods,
)
from kamseg.summary._sql import (
    MAX_EXACT_FLOAT,
    WHITESPACE,
    WHOLE_NUMBER_TEXT,
    combine_per_day,
    far_dates_per_day,
)
from kamseg.transactions import (
    NET_TOLERANCE,
    check_line_items,
    check_nulls,
    notice_after_as_of,
    notice_excluded_returns,
    notice_nulls,
    notice_stripped_ids,
    notify,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, SparkSession
    from pyspark.sql import DataFrame as SparkDataFrame

__all__ = ["read_parquet_for_spark", "summarize_spark"]

_FUNC = "summarize"
# the notice points at the caller of kamseg.summarize:
# warn <- notify <- summarize_spark <- _summarize_on_engine <- summarize <- caller
_STACK = 6
_INSTALL = 'pip install "kamseg[spark]"'
_N_EXAMPLE_ROWS = 50


def _import_pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError as exc:  # pragma: no cover - exercised only without pyspark
        raise ImportError(f"{_FUNC}: a PySpark DataFrame needs PySpark. Hint: {_INSTALL}") from exc
    return pyspark.sql


def _col(name: Hashable) -> Column:
    """A column by its exact name (dots and spaces are not parsed)."""
    from pyspark.sql import functions as F

    return F.col("`" + str(name).replace("`", "``") + "`")


def _day_number(col: Column, dtype: Any, *, name: str) -> tuple[Column, bool]:
    """Days since 1970-01-01 of a date column, and whether bad values become null.

    DATE and TIMESTAMP_NTZ values are taken as they are, TIMESTAMP (local time zone) values
    in the session time zone, ISO 8601 text by its calendar date (its wall-clock day).
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    epoch = F.lit(_dt.date(1970, 1, 1))
    if isinstance(dtype, T.DateType):
        return F.datediff(col, epoch), False
    if isinstance(dtype, T.TimestampType | T.TimestampNTZType):
        return F.datediff(F.to_date(col), epoch), False
    if isinstance(dtype, T.StringType):
        return F.datediff(col.try_cast("date"), epoch), True
    if isinstance(dtype, T.NumericType | T.BooleanType):
        raise SchemaError(
            f"{_FUNC}: column {name!r} holds numbers ({dtype.simpleString()}), not dates. "
            "Hint: convert with to_date or to_timestamp first."
        )
    raise SchemaError(
        f"{_FUNC}: column {name!r} holds {dtype.simpleString()}, not dates. Hint: use DATE, "
        "TIMESTAMP or ISO 8601 text (2024-01-31)."
    )


def _number(col: Column, dtype: Any, *, name: str) -> tuple[Column, bool]:
    """A numeric column as DOUBLE, and whether bad values (text) become null."""
    from pyspark.sql import types as T

    if isinstance(dtype, T.NumericType):
        return col.cast("double"), False
    if isinstance(dtype, T.StringType):
        return col.try_cast("double"), True
    raise SchemaError(
        f"{_FUNC}: column {name!r} holds {dtype.simpleString()}, not numbers. Hint: clean "
        "the column or pass another column name."
    )


def _epoch_ntz() -> Column:
    from pyspark.sql import functions as F

    return F.expr("TIMESTAMP_NTZ'1970-01-01 00:00:00'")


def _period(day: Column, freq: str) -> Column:
    """Spark version of :func:`kamseg.summary.periods` (same numbering)."""
    from pyspark.sql import functions as F

    if freq == "D":
        return day
    if freq == "W":
        return F.floor((day + 3) / 7)
    date = F.date_from_unix_date(day)
    return (F.year(date) - 1970) * 12 + F.month(date) - 1


def _bad_examples(df: SparkDataFrame, raw: Column, bad: Column) -> str:
    rows = df.filter(bad).select(raw.alias("v")).limit(_N_EXAMPLE_ROWS).collect()
    return examples(row["v"] for row in rows)


def summarize_spark(
    df: SparkDataFrame,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    profit_col: str | None = None,
    order_col: str | None = None,
    quantity_col: str | None = None,
    price_col: str | None = None,
    as_of: Any = None,
    freq: Freq = "D",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    activity_window: int | None = None,
) -> pd.DataFrame:
    """Summarise a PySpark DataFrame of transactions into one row per customer.

    The work runs in Spark; only the customer table is collected. Arguments, result,
    warnings and errors are those of :func:`kamseg.summarize` (see there for the meaning of
    every column); the result equals the pandas path's up to floating-point summation order.

    Parameters
    ----------
    df
        PySpark DataFrame, one row per order or order line. Not modified.
    customer_col, date_col, amount_col, profit_col, order_col, quantity_col, price_col
        Column names, as in :func:`kamseg.summarize` (line items: amount = quantity ×
        price). Dates may be DATE, TIMESTAMP_NTZ,
        TIMESTAMP (taken in the session time zone, ``spark.sql.session.timeZone``) or ISO
        8601 text (its calendar date). Amounts may be any numeric type or numeric text.
    as_of, freq, dropna, returns
        As in :func:`kamseg.summarize`. NaN amounts count as nulls.

    Returns
    -------
    DataFrame
        The pandas customer table of :func:`kamseg.summarize`.

    Raises
    ------
    ImportError
        If PySpark is not installed.
    TypeError
        If `df` is not a PySpark DataFrame.
    ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
        As :func:`kamseg.summarize`.

    Examples
    --------
    >>> from pyspark.sql import SparkSession  # doctest: +SKIP
    >>> from kamseg.engines import summarize_spark
    >>> spark = SparkSession.builder.master("local[1]").getOrCreate()  # doctest: +SKIP
    >>> sdf = spark.createDataFrame(
    ...     [("a", "2024-01-01", 10.0), ("a", "2024-01-10", 30.0), ("b", "2024-01-05", 8.0)],
    ...     ["customer_id", "date", "amount"],
    ... )  # doctest: +SKIP
    >>> summarize_spark(sdf, as_of="2024-01-31")[["n_orders", "frequency", "T"]]  # doctest: +SKIP
                 n_orders  frequency     T
    customer_id
    a                   2        1.0  30.0
    b                   1        0.0  26.0
    """
    sql = _import_pyspark()
    from pyspark.sql import functions as F

    if not isinstance(df, sql.DataFrame):
        raise TypeError(
            f"{_FUNC}: `transactions` must be a PySpark DataFrame here, got {type(df).__name__}."
        )
    check_choice(freq, get_args(Freq), func=_FUNC, arg="freq")
    check_choice(returns, get_args(ReturnsPolicy), func=_FUNC, arg="returns")
    items = check_line_items(quantity_col, price_col, func=_FUNC)
    check_columns(
        pd.DataFrame(columns=list(df.columns)),
        {
            "customer_col": customer_col,
            "date_col": date_col,
            "amount_col": None if items else amount_col,
            "quantity_col": quantity_col,
            "price_col": price_col,
            "profit_col": profit_col,
            "order_col": order_col,
        },
        func=_FUNC,
    )
    parsed_as_of = day_of(as_of, func=_FUNC)
    schema = {field.name: field.dataType for field in df.schema.fields}

    # --- typed columns; one pass for every count ------------------------------------------
    raw_date = _col(date_col)
    day, date_can_fail = _day_number(raw_date, schema[date_col], name=date_col)
    # the numeric inputs of the amount: the amount itself, or quantity and price
    factors = [quantity_col, price_col] if items else [amount_col]
    inputs: list[tuple[str, Column, Column, bool]] = []  # name, raw, number, can fail
    for name in factors:
        assert name is not None
        raw = _col(name)
        num, can_fail = _number(raw, schema[name], name=name)
        inputs.append((name, raw, num, can_fail))
    amount = inputs[0][2] if not items else inputs[0][2] * inputs[1][2]
    amount_name = amount_col if not items else f"{quantity_col} x {price_col}"
    id_null, id_aggs, id_key = _id_checks(_col(customer_col), schema[customer_col])
    cols: dict[str, Column] = {"c": _col(customer_col), "d": day, "a": amount}
    if profit_col is not None:
        cols["p"], profit_can_fail = _number(_col(profit_col), schema[profit_col], name=profit_col)
    if order_col is not None:
        cols["o"] = _col(order_col)
    null_of = {customer_col: id_null, date_col: raw_date.isNull()}
    for name, raw, num, _ in inputs:
        null_of[name] = raw.isNull() | F.isnan(num)
    if profit_col is not None:
        null_of[profit_col] = _col(profit_col).isNull() | F.isnan(cols["p"])
    any_null = F.lit(False)
    for mask in null_of.values():
        any_null = any_null | mask
    valid = ~any_null
    late = F.lit(False) if parsed_as_of is None else valid & (day > F.lit(parsed_as_of))
    negative = valid & ~late & (amount < 0)

    def count(cond: Column) -> Column:
        return F.count(F.when(cond, 1))

    aggs = [F.count(F.lit(1)).alias("n_rows")]
    aggs += [count(mask).alias(f"null_{i}") for i, mask in enumerate(null_of.values())]
    aggs += [
        count(any_null).alias("n_null"),
        F.max(F.when(valid, day)).alias("max_day"),
        count(late).alias("n_late"),
        count(negative).alias("n_negative"),
        count(raw_date.isNotNull() & day.isNull()).alias("bad_date"),
    ]
    for i, (_, raw, num, _) in enumerate(inputs):
        aggs += [
            count(raw.isNotNull() & num.isNull()).alias(f"bad_in{i}"),
            count(F.abs(num) == float("inf")).alias(f"inf_in{i}"),
        ]
    if profit_col is not None:
        aggs += [
            count(_col(profit_col).isNotNull() & cols["p"].isNull()).alias("bad_profit"),
            count(F.abs(cols["p"]) == float("inf")).alias("inf_profit"),
        ]
    aggs += [agg.alias(name) for name, agg in id_aggs.items()]
    if parsed_as_of is None:
        # by day (distinct days are few), combined here: the counts of valid rows per day
        # give the default as_of (see far_dates_per_day) without a second pass over the data
        aggs += [count(valid).alias("_n_valid"), count(valid & (amount < 0)).alias("_n_neg")]
        per_day = df.groupBy(day.alias("_day")).agg(*aggs).collect()
        stats = combine_per_day(per_day, list(per_day[0].asDict())) if per_day else {"n_rows": 0}
    else:
        per_day = []
        stats = df.agg(*aggs).collect()[0].asDict()

    if stats["n_rows"] == 0:
        raise EmptyInputError(
            f"{_FUNC}: `transactions` has no rows. Hint: check the filter upstream."
        )
    if date_can_fail and stats["bad_date"]:
        raise SchemaError(
            f"{_FUNC}: {stats['bad_date']} value(s) of column {date_col!r} are not dates; "
            f"examples: {_bad_examples(df, raw_date, raw_date.isNotNull() & day.isNull())}. "
            "Hint: use ISO 8601 text (2024-01-31) or datetime values."
        )
    checks = [(name, num, raw, fail, f"in{i}") for i, (name, raw, num, fail) in enumerate(inputs)]
    if profit_col is not None:
        checks.append((profit_col, cols["p"], _col(profit_col), profit_can_fail, "profit"))
    for name, num, raw, can_fail, key in checks:
        if can_fail and stats[f"bad_{key}"]:
            bad = raw.isNotNull() & num.isNull()
            raise SchemaError(
                f"{_FUNC}: {stats[f'bad_{key}']} value(s) of column {name!r} are not "
                f"numbers; examples: {_bad_examples(df, raw, bad)}. Hint: clean the column "
                "or pass another column name."
            )
        if stats[f"inf_{key}"]:
            raise SchemaError(
                f"{_FUNC}: {stats[f'inf_{key}']} value(s) of column {name!r} are infinite. "
                "Hint: replace them with real amounts or drop those rows."
            )

    # --- ids, nulls, far dates, after as_of, returns: the pandas path's notices, in order --
    notices: list[str] = []
    cols["c"] = id_key(df, stats)
    if stats.get("n_stripped"):
        notices.append(notice_stripped_ids(stats["n_stripped"]))
    null_counts = {name: stats[f"null_{i}"] for i, name in enumerate(null_of)}
    counts = {name: n for name, n in null_counts.items() if n}
    check_nulls(counts, dropna=dropna, func=_FUNC)
    if counts:
        notices.append(notice_nulls(stats["n_null"], counts))
        if stats["max_day"] is None:
            notify(_FUNC, notices, stacklevel=_STACK)
            raise EmptyInputError(f"{_FUNC}: no rows left after dropping nulls.")
    n_kept = stats["n_rows"] - stats["n_null"]
    n_negative = stats["n_negative"]
    keep = valid & ~late
    if parsed_as_of is None:
        # "now" is the latest date, unless a few dates lie far beyond the rest (typos)
        rule, n_far_negative = far_dates_per_day(per_day)
        as_of_day, n_far = rule.as_of_day, rule.n_far
        notices.extend(rule.notices)
        if n_far:
            keep = keep & (day <= F.lit(as_of_day))
            negative = negative & (day <= F.lit(as_of_day))
            n_negative -= n_far_negative
            n_kept -= n_far
    else:
        as_of_day = parsed_as_of
    n_late = stats["n_late"]
    if n_late:
        notices.append(notice_after_as_of(n_late, as_of_day))
        n_kept -= n_late
    if n_negative:
        if returns == "error":
            notify(_FUNC, notices, stacklevel=_STACK)
            rows = df.filter(negative).select(amount.alias("v")).limit(_N_EXAMPLE_ROWS)
            floats = [np.float64(row["v"]) for row in rows.collect()]
            raise SchemaError(
                f"{_FUNC}: {n_negative} row(s) have negative {amount_name!r} (returns); "
                f"examples: {examples(floats)}. Hint: returns='net' nets them into "
                "the customers' totals, returns='exclude' drops them."
            )
        if returns == "exclude":
            notices.append(notice_excluded_returns(n_negative))
            keep = keep & ~negative
            n_kept -= n_negative
    if n_kept == 0:
        notify(_FUNC, notices, stacklevel=_STACK)
        raise EmptyInputError(
            f"{_FUNC}: no transactions left on or before as_of "
            f"{np.datetime64(as_of_day, 'D')} after filtering."
        )

    # --- per-customer aggregates in Spark ---------------------------------------------------
    tx = df.filter(keep).select(*(col.alias(name) for name, col in cols.items()))
    netted = bool(n_negative) and returns == "net"
    table = _per_customer_netted(tx, freq) if netted else _per_customer(tx, freq)
    if activity_window is not None:
        table = table.join(_activity(tx, as_of_day, activity_window), on="c", how="left")
    got = table.toArrow() if hasattr(table, "toArrow") else None
    frame = got.to_pandas() if got is not None else table.toPandas()

    # --- the customer table, built exactly as the pandas path ------------------------------
    first = frame["first_day"].to_numpy(dtype=np.int64)
    last = frame["last_day"].to_numpy(dtype=np.int64)
    revenue = frame["revenue"].to_numpy(dtype=np.float64)
    n_orders = frame["n_orders"].to_numpy(dtype=np.int64)
    n_periods = frame["n_periods"].to_numpy(dtype=np.int64)
    frequency = np.maximum(n_periods - 1, 0).astype(np.float64)
    repeat_amount = frame["repeat_amount"].to_numpy(dtype=np.float64, na_value=0.0)
    first_period = periods(first, freq)
    last_period = periods(last, freq)
    if "first_buy" in frame.columns:  # netted: the purchase periods (none: recency 0)
        bought = frame["first_buy"].notna().to_numpy()
        first_period = np.where(
            bought, frame["first_buy"].to_numpy(dtype=np.float64, na_value=0), first_period
        ).astype(np.int64)
        last_period = np.where(
            bought, frame["last_buy"].to_numpy(dtype=np.float64, na_value=0), first_period
        ).astype(np.int64)
    as_of_period = int(periods(np.array([as_of_day], dtype=np.int64), freq)[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        monetary = np.where(frequency > 0, repeat_amount / np.maximum(frequency, 1), 0.0)
        # no order left (every order cancelled): NaN
        avg_order_value = np.where(n_orders > 0, revenue / np.maximum(n_orders, 1), np.nan)

    data: dict[str, Any] = {
        "first_purchase": as_datetime(first),
        "last_purchase": as_datetime(last),
        "n_orders": n_orders,
        "revenue": revenue,
    }
    if profit_col is not None:
        data["profit"] = frame["profit"].to_numpy(dtype=np.float64)
    data["avg_order_value"] = avg_order_value
    data["days_since_last"] = (as_of_day - last).astype(np.int64)
    data["tenure_days"] = (as_of_day - first).astype(np.int64)
    data["frequency"] = frequency
    data["recency"] = (last_period - first_period).astype(np.float64)
    data["T"] = (as_of_period - first_period).astype(np.float64)
    data["monetary_value"] = monetary
    data["nonpositive_revenue"] = revenue <= 0
    if activity_window is not None:  # customers without rows in the windows: none
        for name in ACTIVITY_COLUMNS.values():
            values = frame[name].fillna(False if name == "activity_covers" else 0)
            kind = {"activity_orders": np.int64, "activity_covers": bool}.get(name, np.float64)
            data[name] = values.to_numpy(dtype=kind)

    result = customer_frame(data, pd.Index(frame["c"], name=customer_col))
    result = finish(
        result,
        notices=notices,
        n_negative=n_negative,
        returns=returns,
        as_of_day=as_of_day,
        freq=freq,
    )
    totals = {c: result[c].to_numpy() for c in ("revenue", "profit") if c in result}
    check_finite_totals(totals, result.index)
    if activity_window is not None:
        result.attrs[ACTIVITY_WINDOW_ATTR] = int(activity_window)
    return result


def _activity(tx: SparkDataFrame, end: int, window: int) -> SparkDataFrame:
    """The Spark twin of :func:`kamseg.features.window_activity` (and of the DuckDB
    summary's ``activity`` columns) for rows ``c, d, a[, o]``: spend (plain sums), purchase
    days (a day with a negative row and a net <= 0 is none) and orders (rows with an amount
    >= 0, or order ids whose net is > 0 or that have no negative line) in the recent and
    the previous window of `window` days ending on day `end`, and whether the first row is
    at least two windows old."""
    from pyspark.sql import functions as F

    start, mid = end - 2 * window, end - window
    per_day = _per_day(tx, "n")
    buy = (F.col("a") > 0) | ~F.col("neg")
    day = F.col("d")
    recent, previous = day > mid, (day > start) & (day <= mid)
    act = per_day.groupBy("c").agg(
        F.sum(F.when(recent, F.col("s"))).alias("activity_spend_recent"),
        F.sum(F.when(previous, F.col("s"))).alias("activity_spend_previous"),
        F.count(F.when(recent & buy, 1)).alias("activity_days_recent"),
        F.count(F.when(previous & buy, 1)).alias("activity_days_previous"),
        F.sum(F.when(day > start, F.col("n"))).alias("activity_orders"),
        (F.min("d") <= F.lit(start)).alias("activity_covers"),
    )
    if "o" in tx.columns:  # order ids in the windows, less the cancellation documents
        per_order = (
            tx.filter(day > start)
            .groupBy("c", "o")
            .agg(
                _snap(F.sum("a"), F.sum(F.abs("a"))).alias("a"),
                F.bool_or(F.col("a") < 0).alias("neg"),
            )
        )
        orders = per_order.groupBy("c").agg(F.count(F.when(buy, 1)).alias("activity_orders"))
        act = act.drop("activity_orders").join(orders, on="c", how="left")
    return act


def _id_checks(
    raw: Column, dtype: Any
) -> tuple[Column, dict[str, Column], Callable[[SparkDataFrame, dict[str, Any]], Column]]:
    """The null test of the customer id column `raw`, cheap aggregates for the one
    validation pass, and a function from the data and those aggregates' values to the
    normalised id column, as :func:`kamseg.transactions.customer_codes` normalises ids.

    Text ids are trimmed (an empty id is null; the distinct ids changed are counted, in a
    second job only when some are) and, when all read as whole-number floats ("17850.0",
    checked in a second job only when every id holds ".0"), lose the ``.0``; whole-number
    float ids become integers. The notice of the stripped ids is appended to `stats` as
    ``n_stripped``.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if isinstance(dtype, T.StringType):
        trimmed = F.btrim(raw, F.lit(WHITESPACE))
        spaced = trimmed != raw
        blank = trimmed == ""
        aggs = {
            "n_spaced": F.count(F.when(spaced, 1)),
            "n_blank": F.count(F.when(blank, 1)),
            "n_dot_zero": F.count(F.when(raw.contains(".0"), 1)),
        }

        def text_key(df: SparkDataFrame, stats: dict[str, Any]) -> Column:
            stats["n_stripped"] = 0
            if stats["n_spaced"]:
                n = df.filter(spaced).agg(F.count_distinct(raw).alias("n")).collect()[0]["n"]
                stats["n_stripped"] = int(n)
            key = trimmed if stats["n_spaced"] else raw
            if stats["n_dot_zero"]:  # some id holds ".0": are all whole numbers?
                whole = F.bool_and(trimmed.rlike(f"^{WHOLE_NUMBER_TEXT}$")).alias("whole")
                if df.filter(raw.isNotNull() & ~blank).agg(whole).collect()[0]["whole"]:
                    return F.regexp_replace(key, r"\.0+$", "")
            return key

        return raw.isNull() | blank, aggs, text_key
    if isinstance(dtype, T.FloatType | T.DoubleType):
        whole = (F.abs(raw) < MAX_EXACT_FLOAT) & (raw % 1 == 0)
        aggs = {"whole_float": F.bool_and(F.when(~F.isnan(raw), whole))}

        def float_key(df: SparkDataFrame, stats: dict[str, Any]) -> Column:
            return raw.cast("long") if stats["whole_float"] else raw

        return raw.isNull() | F.isnan(raw), aggs, float_key
    return raw.isNull(), {}, lambda df, stats: raw


def _per_customer(tx: SparkDataFrame, freq: str) -> SparkDataFrame:
    """First and last day, revenue, periods, repeat spend, orders (and profit) of each
    customer `c` of rows ``c, d, a[, p][, o]`` without negative amounts."""
    from pyspark.sql import functions as F

    # one row per (customer, period), then one per customer: the first period's amount is
    # min_by(amount, period), so no window over the transactions is needed
    has_profit = "p" in tx.columns
    p_sum = [F.sum("p").alias("p"), F.sum(F.abs("p")).alias("gp")] if has_profit else []
    per_period = tx.groupBy("c", _period(F.col("d"), freq).alias("per")).agg(
        F.min("d").alias("d0"),
        F.max("d").alias("d1"),
        F.count(F.lit(1)).alias("n"),
        F.sum("a").alias("a"),
        *p_sum,
    )
    out = [
        F.min("d0").alias("first_day"),
        F.max("d1").alias("last_day"),
        F.sum("a").alias("revenue"),
        F.count(F.lit(1)).alias("n_periods"),
        (F.sum("a") - F.min_by("a", "per")).alias("repeat_amount"),
        F.sum("n").alias("n_orders"),
    ]
    if has_profit:  # profits can be negative without returns: netted as the pandas path
        out.append(_snap(F.sum("p"), F.sum("gp")).alias("profit"))
    table = per_period.groupBy("c").agg(*out)
    if "o" in tx.columns:  # null order ids count as one order, as pandas.factorize
        n_null_order = F.max(F.when(F.col("o").isNull(), 1).otherwise(0))
        orders = tx.groupBy("c").agg((F.count_distinct("o") + n_null_order).alias("n_orders"))
        table = table.drop("n_orders").join(orders, on="c")
    return table


def _snap(net: Column, gross: Column) -> Column:
    """Spark twin of :func:`kamseg.transactions.net_sums`: a net sum that is only rounding
    error (at most :data:`~kamseg.transactions.NET_TOLERANCE` times the sum of the absolute
    amounts, `gross`) is exactly 0. Sums without a negative term never change, and an
    overflowing (infinite) sum stays infinite, to be refused."""
    from pyspark.sql import functions as F

    zero = (F.abs(net) != float("inf")) & (F.abs(net) <= F.lit(NET_TOLERANCE) * gross)
    return F.when(zero, F.lit(0.0)).otherwise(net)


def _per_day(tx: SparkDataFrame, orders: str, *more: Column) -> SparkDataFrame:
    """One row per (customer, day) of rows ``c, d, a``: the plain sum of the amounts
    (``s``), of their absolute values (``g``), whether one is negative (``neg``), the rows
    with an amount >= 0 (`orders`), the `more` aggregates, and the net ``a`` (``s`` snapped
    to 0 as :func:`~kamseg.transactions.net_sums`)."""
    from pyspark.sql import functions as F

    per_day = tx.groupBy("c", "d").agg(
        F.sum("a").alias("s"),
        F.sum(F.abs("a")).alias("g"),
        F.bool_or(F.col("a") < 0).alias("neg"),
        F.count(F.when(F.col("a") >= 0, 1)).alias(orders),
        *more,
    )
    return per_day.withColumn("a", _snap(F.col("s"), F.col("g")))


def _per_customer_netted(tx: SparkDataFrame, freq: str) -> SparkDataFrame:
    """:func:`_per_customer` when returns are netted: only purchase periods count, as
    :func:`kamseg.transactions.purchase_periods` and the pandas path define them.

    A (customer, period) with a negative row and a net <= 0 is no purchase; a day is a
    purchase day when its net is > 0 or it has no negative row; the first and last purchase
    are the first and last purchase day in a purchase period (for a customer without any,
    both are the first day of its rows). Orders: rows with an amount >= 0, or order ids
    whose net is > 0 or that have no negative line. Each level keeps the plain sum of its
    amounts (``s``) and of their absolute values (``g``), so that its net (``a``) is
    snapped to 0 as the pandas path's :func:`~kamseg.transactions.net_sums` of the rows.
    """
    from pyspark.sql import functions as F

    buy = (F.col("a") > 0) | ~F.col("neg")  # of a day, a period or an order
    has_profit = "p" in tx.columns
    p_sums = [F.sum("p").alias("p"), F.sum(F.abs("p")).alias("gp")] if has_profit else []
    per_day = _per_day(tx, "n_orders", *p_sums)
    if freq == "D":  # a day is its own period
        ok = F.when(buy, F.col("d"))
        per_period = per_day.select(
            "c",
            F.col("d").alias("per"),
            "s",
            "g",
            "a",
            "neg",
            F.col("d").alias("d0"),
            ok.alias("ok0"),
            ok.alias("ok1"),
            "n_orders",
            *(["p", "gp"] if has_profit else []),
        )
    else:
        p_sums = [F.sum("p").alias("p"), F.sum("gp").alias("gp")] if has_profit else []
        per_period = per_day.groupBy("c", _period(F.col("d"), freq).alias("per")).agg(
            F.sum("s").alias("s"),
            F.sum("g").alias("g"),
            F.bool_or("neg").alias("neg"),
            F.min("d").alias("d0"),
            F.min(F.when(buy, F.col("d"))).alias("ok0"),
            F.max(F.when(buy, F.col("d"))).alias("ok1"),
            F.sum("n_orders").alias("n_orders"),
            *p_sums,
        )
        per_period = per_period.withColumn("a", _snap(F.col("s"), F.col("g")))
    first_buy = F.min(F.when(buy, F.struct("per", "a")))  # the first purchase period
    out = [
        # the days by the rule of days, the periods by the rule of periods; no purchase day
        # at all (all cancelled): first and last "purchase" on the first day
        F.coalesce(F.min("ok0"), F.min("d0")).alias("first_day"),
        F.coalesce(F.max("ok1"), F.min("d0")).alias("last_day"),
        F.min(F.when(buy, F.col("per"))).alias("first_buy"),
        F.max(F.when(buy, F.col("per"))).alias("last_buy"),
        _snap(F.sum("s"), F.sum("g")).alias("revenue"),
        F.count(F.when(buy, 1)).alias("n_periods"),
        (F.sum(F.when(buy, F.col("a"))) - first_buy.getField("a")).alias("repeat_amount"),
        F.sum("n_orders").alias("n_orders"),
    ]
    if has_profit:
        out.append(_snap(F.sum("p"), F.sum("gp")).alias("profit"))
    table = per_period.groupBy("c").agg(*out)
    if "o" in tx.columns:  # null order ids are one order, as pandas.factorize
        per_order = tx.groupBy("c", "o").agg(
            _snap(F.sum("a"), F.sum(F.abs("a"))).alias("a"),
            F.bool_or(F.col("a") < 0).alias("neg"),
        )
        orders = per_order.groupBy("c").agg(F.count(F.when(buy, 1)).alias("n_orders"))
        table = table.drop("n_orders").join(orders, on="c")
    return table


def _nanosecond_columns(path: str) -> dict[str, str | None]:
    """Nanosecond timestamp columns of a local Parquet file or folder, with their zone."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.dataset as ds  # type: ignore[import-untyped]

    try:
        schema = ds.dataset(path, format="parquet").schema
    except (OSError, ValueError, pa.ArrowException):  # remote or unreadable: let Spark try
        return {}
    return {
        field.name: field.type.tz
        for field in schema
        if pa.types.is_timestamp(field.type) and field.type.unit == "ns"
    }


def read_parquet_for_spark(spark: SparkSession, path: str) -> SparkDataFrame:
    """Read Parquet into Spark, including nanosecond timestamps written by pandas.

    Spark refuses Parquet ``TIMESTAMP(NANOS)`` columns, which pandas writes for
    ``datetime64[ns]`` data. This reads them (as microseconds, sub-microsecond digits
    floored): naive timestamps become ``TIMESTAMP_NTZ`` with the same wall-clock time, and
    time-zone-aware ones ``TIMESTAMP_NTZ`` in their own zone's wall-clock time (as pandas
    and :func:`kamseg.summarize` take them). Other files are read with
    ``spark.read.parquet(path)``. To avoid the problem at the source, write with
    ``df.to_parquet(path, coerce_timestamps="us")``.

    Parameters
    ----------
    spark
        The Spark session.
    path
        A local Parquet file or folder (remote paths are read with ``spark.read.parquet``).

    Returns
    -------
    pyspark.sql.DataFrame
        The data, column order kept.

    Examples
    --------
    >>> df = read_parquet_for_spark(spark, "transactions.parquet")  # doctest: +SKIP
    """
    _import_pyspark()
    from pyspark.sql import functions as F

    nanos = _nanosecond_columns(path)
    if not nanos:
        return spark.read.parquet(path)
    key = "spark.sql.legacy.parquet.nanosAsLong"
    before = spark.conf.get(key, None)
    spark.conf.set(key, "true")
    try:
        raw = spark.read.parquet(path)
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)
    columns: list[Column] = []
    for name in raw.columns:
        col = _col(name)
        if name in nanos:
            micros = (col - F.pmod(col, F.lit(1000))).cast("long") / 1000
            utc = F.timestamp_add("MICROSECOND", micros.cast("long"), _epoch_ntz())
            zone = nanos[name]
            col = utc if zone is None else F.convert_timezone(F.lit("UTC"), F.lit(zone), utc)
        columns.append(col.alias(name))
    return raw.select(*columns)
