"""The whole job on Spark: fit a :class:`~kamseg.SegmentModel` from a PySpark DataFrame and
label every customer in Spark with :func:`apply_spark`.

How it runs (see ``docs/spark.md``):

- **fit** (:func:`fit_inputs`, used by :func:`kamseg.fit_segments` on a PySpark DataFrame):
  the transaction columns the job reads are collected to the driver through Arrow and the
  model is fitted exactly as on pandas (equal by construction). Above
  ``config.pandas_max_rows`` rows, the job runs on Spark's aggregates of every row (the
  customer table and the activity in the trend windows, computed in Spark and collected:
  one row per customer), so ranks, shares, thresholds and the lifetime-value models are
  those of every customer; only the need level and the churn model, which read rows, are
  fitted on the transactions of a deterministic hash sample of customers (at most
  ``pandas_max_rows`` rows): estimates, said in ``model.limited["fit"]`` and a
  :class:`~kamseg.errors.KamsegWarning`.
- **apply** (:func:`apply_spark`): the transactions are repartitioned by customer (hash) and
  every partition is labelled by ``model.apply`` in ``mapInPandas``, with the model and the
  side tables broadcast; the result is a Spark DataFrame (write it with Spark).

PySpark is imported lazily; install it with ``pip install "kamseg[spark]"``.
"""

from __future__ import annotations

import functools
import itertools
import sys
import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from kamseg._segment_inputs import indexed_master
from kamseg._validation import check_columns, warn
from kamseg.config import SegmentConfig
from kamseg.errors import EmptyInputError
from kamseg.summary._common import (
    SAMPLE_BUCKETS,
    SAMPLE_MAX_ROWS,
    choose_buckets,
    sample_note,
)
from kamseg.summary._spark import _col

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql.types import DataType, StructType

__all__ = ["apply_spark", "fit_inputs", "is_spark_frame"]

_FUNC = "segment"
_INSTALL = 'pip install "kamseg[spark]"'
# the input's row order, kept through the shuffle: each customer's rows reach `apply` in
# the order of the input, so its sums are those of the pandas path to the last bit
_ROW = "__kamseg_row"
# the id of the placeholder customer of the driver's apply (numeric ids)
_PLACEHOLDER_ID = (1 << 62) + 7


class SparkModel(Protocol):
    """What :func:`apply_spark` needs of a model (:class:`kamseg.SegmentModel` has it)."""

    @property
    def as_of(self) -> pd.Timestamp: ...

    @property
    def schema(self) -> Mapping[str, Any]: ...

    @property
    def segment_config(self) -> SegmentConfig: ...

    def apply(
        self,
        transactions: Any,
        *,
        master: pd.DataFrame | None = ...,
        surveys: pd.DataFrame | None = ...,
        complaints: pd.DataFrame | None = ...,
        catalog: pd.DataFrame | None = ...,
        as_of: Any = ...,
    ) -> pd.DataFrame: ...


def is_spark_frame(obj: object) -> bool:
    """Whether `obj` is a PySpark DataFrame (classic or Connect); imports nothing."""
    if type(obj).__module__.split(".")[0] != "pyspark":
        return False
    sql = sys.modules.get("pyspark.sql")
    return sql is not None and isinstance(obj, sql.DataFrame)


def _import_pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError as exc:  # pragma: no cover - exercised only without pyspark
        raise ImportError(f"{_FUNC}: a PySpark DataFrame needs PySpark. Hint: {_INSTALL}") from exc
    return pyspark.sql


# --- Spark -> pandas ---------------------------------------------------------------------------


def to_pandas(df: SparkDataFrame) -> pd.DataFrame:
    """A Spark DataFrame collected through Arrow, as ``toPandas`` gives it: timestamps naive
    in the session time zone."""
    session_tz = df.sparkSession.conf.get("spark.sql.session.timeZone") or "UTC"
    frame: pd.DataFrame = df.toArrow().to_pandas()
    for col in frame.columns:
        dtype = frame[col].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.tz_convert(session_tz).dt.tz_localize(None)
    return frame


def _side(table: Any) -> Any:
    """A side table as pandas (a Spark one is collected: one row per customer or answer)."""
    if table is None or isinstance(table, pd.DataFrame):
        return table
    if is_spark_frame(table):
        return to_pandas(table)
    return table  # anything else: the pandas path says what is wrong with it


def _wanted_columns(config: SegmentConfig) -> list[str]:
    return [str(c) for c in config.transaction_columns]


# --- fit ---------------------------------------------------------------------------------------


def fit_inputs(
    transactions: SparkDataFrame,
    *,
    master: Any,
    surveys: Any,
    complaints: Any,
    catalog: Any,
    config: SegmentConfig,
    as_of: Any,
) -> tuple[pd.DataFrame | None, dict[str, Any], Any, str | None]:
    """What :func:`kamseg.fit_segments` fits on for a PySpark DataFrame.

    The transaction columns the job reads (a missing one raises the pandas path's error)
    are collected to the driver through Arrow when there are at
    most ``config.pandas_max_rows`` rows. Above that, the rows of a deterministic sample of
    customers are collected, for the need level and the churn model (every other part is
    fitted on Spark's aggregates of every row, :func:`kamseg.model.fit_and_label`): the
    customers whose hash (``xxhash64`` of the id) falls in the first buckets (of 65,536)
    that fit in ``pandas_max_rows`` rows, at most
    :data:`~kamseg.summary._common.SAMPLE_MAX_ROWS`.

    Returns
    -------
    tuple
        The pandas transactions (None above ``pandas_max_rows`` when no step learns from
        rows: the job runs on Spark's aggregates alone), the side tables as pandas (by
        name), `as_of` (as given), and the note of a sample (None when every row was
        collected).
    """
    _import_pyspark()
    from pyspark.sql import functions as F

    sides = {
        "master": _side(master),
        "surveys": _side(surveys),
        "complaints": _side(complaints),
        "catalog": _side(catalog),
    }
    _check_columns(transactions, config)  # the pandas path's error, naming every column
    names = set(_wanted_columns(config))
    wanted = [c for c in transactions.columns if c in names]
    tx = transactions.select(*(_col(c) for c in wanted))
    n_rows = tx.count()
    limit = config.pandas_max_rows
    if n_rows <= limit or config.customer_col not in wanted:
        return to_pandas(tx), sides, as_of, None
    if not {"classes", "churn"} & set(config.steps):  # no step learns from rows
        return None, sides, as_of, None

    bucket = F.pmod(F.xxhash64(_col(config.customer_col)), F.lit(SAMPLE_BUCKETS))
    counts = tx.groupBy(bucket.alias("b")).count().collect()
    chosen, total = choose_buckets(
        [(int(r["b"]), int(r["count"])) for r in counts], min(limit, SAMPLE_MAX_ROWS)
    )
    sample = to_pandas(tx.filter(bucket.isin(chosen)))
    n_customers = sample[config.customer_col].nunique()
    note = sample_note("Spark", n_rows, limit, total, n_customers)
    return sample, sides, as_of, note


def apply_spark(
    model: SparkModel,
    transactions: SparkDataFrame,
    *,
    master: Any = None,
    surveys: Any = None,
    complaints: Any = None,
    catalog: Any = None,
    as_of: Any = None,
    partitions: int | None = None,
    notices: bool = True,
) -> SparkDataFrame:
    """Label every customer of a PySpark DataFrame with a fitted model, in Spark.

    The transactions are repartitioned by customer (hash of the id; the input's row order is
    kept within each customer), and each partition is labelled by ``model.apply`` in
    ``mapInPandas``: its Arrow batches are joined into one pandas DataFrame, and the model
    (broadcast once) labels its customers with their own side-table rows. Since ``apply``
    is row-wise, the rows are those of ``model.apply`` on everyone, in another order.

    **Prospects** (master ids without any transaction row) are labelled once, on the
    driver: ``model.apply`` on their master and side-table rows (with one placeholder
    transaction, whose row is dropped), and appended to the result. A master customer whose
    rows are all left out (dated after `as_of`, or dropped) is a prospect of its partition,
    as on pandas.

    **Warnings** of the partitions are not shown (each partition would repeat them). The
    driver gives the notices once: with `notices`, one pass in Spark counts the rows the
    preparation drops (nulls with ``dropna``, rows after `as_of`, returns) and gives the
    pandas path's warning; the driver's own ``apply`` (the prospects, with every survey and
    complaint row) gives the side tables' notices (rows after `as_of`, ids converted) and
    those of the settings (e.g. a part left out for want of a side table). Notices that
    count the partitions' customers (e.g. customers missing from the master) are not
    given.

    Parameters
    ----------
    model
        A fitted :class:`kamseg.SegmentModel`.
    transactions
        PySpark DataFrame with the column names of the fit's config. Not modified.
    master, surveys, complaints, catalog
        Side tables, pandas or PySpark DataFrames; Spark ones are collected to the driver
        (one row per customer, survey answer, complaint or product). Each partition gets the
        rows of its own customers.
    as_of
        Observation date; default the fit's.
    partitions
        Partitions of the job; default ``spark.sql.shuffle.partitions``. Empty partitions
        are fine.
    notices
        Give the preparation's warning from a Spark pass over the rows (default). False
        when the same warning was given already (:func:`kamseg.segment` on Spark: the fit
        read the same rows).

    Returns
    -------
    pyspark.sql.DataFrame
        One row per customer: the customer id (named as the fitted table's index), then
        the columns of ``model.apply``. Spark types from ``model.schema``: int64 -> long,
        int8/int16/int32 -> int, float -> double, bool -> boolean, datetime -> timestamp,
        text and categoricals -> string; an object column -> boolean when its values are
        True/False (and missing values), else string. Unsorted.

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyInputError
        For a missing column or bad rows, as :meth:`kamseg.SegmentModel.apply` (raised on the
        driver; an error only a partition finds surfaces when the result is computed).

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.model_spark import apply_spark
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=3)
    >>> model = kamseg.fit_segments(data.transactions)
    >>> sdf = spark.createDataFrame(data.transactions)  # doctest: +SKIP
    >>> apply_spark(model, sdf).count()  # doctest: +SKIP
    300
    """
    sql = _import_pyspark()
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if not isinstance(transactions, sql.DataFrame):
        raise TypeError(
            f"apply_spark: `transactions` must be a PySpark DataFrame, got "
            f"{type(transactions).__name__}. Hint: model.apply(...) labels pandas data."
        )
    config = model.segment_config
    as_of = model.as_of if as_of is None else pd.Timestamp(as_of)
    cust = str(config.customer_col)
    _check_columns(transactions, config)
    spark = transactions.sparkSession

    master_ix = indexed_master(_side(master), config)
    surveys_pd, complaints_pd, catalog_pd = _side(surveys), _side(complaints), _side(catalog)

    if notices:
        _row_notices(transactions, config, as_of)

    # the customers with transactions (one column, collected): who the prospects are
    ids = to_pandas(transactions.select(_col(cust)).distinct())[cust]
    ids = ids[ids.notna()]
    fields = {f.name: f.dataType for f in transactions.schema.fields}

    # the driver's apply: the prospects, with every survey and complaint (so that their
    # notices count every row, once; a row is labelled from its own rows only), and a
    # placeholder customer, which types the output
    prospects = None if master_ix is None else master_ix[~_has_id(master_ix.index, ids)]
    probe, real, caught = _apply_master_only(
        model,
        fields,
        config,
        as_of,
        ids,
        master=prospects,
        surveys=surveys_pd,
        complaints=complaints_pd,
        catalog=catalog_pd,
    )
    sides = {"master": prospects, "surveys": surveys_pd, "complaints": complaints_pd}
    _driver_warnings(caught, model, fields, config, as_of, ids, catalog_pd, **sides)
    spec, struct = _output_spec(probe, model.schema)  # the placeholder's row types it too
    probe = probe[real]

    bundle = {
        "model": model,
        "master": master_ix,
        "surveys": surveys_pd,
        "complaints": complaints_pd,
        "catalog": catalog_pd,
        "as_of": as_of,
        "fields": fields,
        "spec": spec,
    }
    shared = _share(spark, bundle)

    n = partitions or int(spark.conf.get("spark.sql.shuffle.partitions") or 200)
    key = _col(cust)
    if isinstance(fields.get(cust), T.StringType):
        key = F.trim(key)  # " a" and "a" are one customer (ids are stripped)
    ordered = (
        transactions.withColumn(_ROW, F.monotonically_increasing_id())
        .repartition(n, key)
        .sortWithinPartitions(_ROW)
    )
    labelled = ordered.mapInPandas(
        functools.partial(_label_partition, shared=shared, token=next(_TOKENS)), schema=struct
    )
    if len(probe):
        extra = spark.createDataFrame(_spark_rows(probe, spec), schema=struct)
        labelled = labelled.unionByName(extra)
    result: SparkDataFrame = labelled
    return result


def table_to_spark(table: pd.DataFrame, model: SparkModel, spark: Any) -> SparkDataFrame:
    """A labelled pandas table (e.g. the fitted base's) as the PySpark DataFrame
    :func:`apply_spark` gives: the customer id column, then the columns, typed by
    ``model.schema``."""
    spec, struct = _output_spec(table, model.schema)
    result: SparkDataFrame = spark.createDataFrame(_spark_rows(table, spec), schema=struct)
    return result


class _Plain:
    """A stand-in for a broadcast variable (Spark Connect has none): the bytes themselves."""

    def __init__(self, value: bytes) -> None:
        self.value = value


def _share(spark: Any, bundle: dict[str, Any]) -> Any:
    """The bundle, pickled once by cloudpickle (the model holds read-only mappings, which
    the broadcast's plain pickle refuses), broadcast to the executors."""
    from pyspark import cloudpickle

    data: bytes = cloudpickle.dumps(bundle)  # type: ignore[no-untyped-call]
    try:
        context = spark.sparkContext
    except Exception:  # Spark Connect: no SparkContext; the closure carries the bytes
        return _Plain(data)
    return context.broadcast(data)


# a job's bundle: its token (a worker's cache key) is unique in this driver
_TOKENS = itertools.count()
# each Python worker unpickles a broadcast bundle once (the worker is reused by its tasks)
_BUNDLES: dict[int, dict[str, Any]] = {}


def _bundle(shared: Any, token: int) -> dict[str, Any]:
    import pickle

    if token not in _BUNDLES:
        _BUNDLES.clear()  # one bundle at a time: a worker serves one job after another
        _BUNDLES[token] = pickle.loads(shared.value)
    return _BUNDLES[token]


def _check_columns(tx: SparkDataFrame, config: SegmentConfig) -> None:
    """The pandas path's column check, on the driver."""
    items = config.quantity_col is not None or config.price_col is not None
    check_columns(
        pd.DataFrame(columns=list(tx.columns)),
        {
            "customer_col": config.customer_col,
            "date_col": config.date_col,
            "amount_col": None if items else config.amount_col,
            "quantity_col": config.quantity_col,
            "price_col": config.price_col,
            "profit_col": config.profit_col,
            "order_col": config.order_col,
        },
        func=_FUNC,
    )


def _has_id(values: Any, ids: pd.Series) -> np.ndarray:
    """Which of `values` are among `ids` (by value; by text when the types differ)."""
    values = pd.Index(values)
    found = np.asarray(values.isin(ids))
    if len(ids) and values.dtype.kind != pd.Index(ids).dtype.kind:
        keys = pd.Index(ids).astype(str).str.strip()
        found |= np.asarray(values.astype(str).str.strip().isin(keys))
    return found


def _placeholder(
    fields: Mapping[str, Any],
    config: SegmentConfig,
    as_of: pd.Timestamp,
    ids: Any,
    catalog: pd.DataFrame | None,
) -> pd.DataFrame:
    """One valid transaction of a customer id not among `ids` (above them, for numbers),
    dated ten years before `as_of` (of a catalogue product, if any)."""
    # long before any cut-off (a churn model's is the fit's as_of): every step runs
    day = pd.Timestamp(as_of.date()) - pd.DateOffset(years=10)
    product = None
    if catalog is not None and config.product_col in catalog.columns and len(catalog):
        product = catalog[config.product_col].dropna().iloc[0]
    from pyspark.sql import types as T

    cust = str(config.customer_col)
    id_type = fields[cust]
    known = pd.Index(ids)
    cid: Any
    if isinstance(id_type, T.IntegralType | T.FractionalType | T.DecimalType):
        numbers = pd.to_numeric(pd.Series(known), errors="coerce")
        top = numbers.max() if len(numbers) and numbers.notna().any() else 0
        # a number no count or example in a warning is: 2**62 + 7 (or above every id)
        cid = max(int(top) + 1, _PLACEHOLDER_ID)
        if not isinstance(id_type, T.IntegralType | T.DecimalType):
            cid = float(cid)
    else:
        cid = "\x00kamseg-placeholder"
    row: dict[str, Any] = {}
    for name, dtype in fields.items():
        if name == _ROW:
            continue
        value: Any = None
        if name == cust:
            value = cid
        elif name == config.date_col:
            text = isinstance(dtype, T.StringType)
            value = day.strftime("%Y-%m-%d") if text else day
        elif name in (config.amount_col, config.quantity_col, config.price_col):
            value = "1" if isinstance(dtype, T.StringType) else 1.0
        elif name == config.profit_col:
            value = "0" if isinstance(dtype, T.StringType) else 0.0
        elif name == config.order_col:
            value = cid
        elif name == config.product_col and product is not None:
            value = product
        row[name] = [value]
    return pd.DataFrame(row)


def _apply_master_only(
    model: SparkModel,
    fields: Mapping[str, Any],
    config: SegmentConfig,
    as_of: pd.Timestamp,
    ids: Any,
    *,
    master: pd.DataFrame | None,
    surveys: pd.DataFrame | None,
    complaints: pd.DataFrame | None,
    catalog: pd.DataFrame | None,
) -> tuple[pd.DataFrame, np.ndarray, list[Any]]:
    """The rows of customers without transactions (a master's prospects): ``apply`` with a
    placeholder customer; the table, which rows are not the placeholder's, and the
    warnings (not shown)."""
    cust = str(config.customer_col)
    taken = [pd.Series(ids)]  # the placeholder's id is none of the ids at hand
    taken += [] if master is None else [pd.Series(master.index)]
    taken += [side[cust] for side in (surveys, complaints) if side is not None]
    tx = _placeholder(fields, config, as_of, pd.concat(taken, ignore_index=True), catalog)
    cid = tx[cust].iloc[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = model.apply(
            tx,
            master=master,
            surveys=surveys,
            complaints=complaints,
            catalog=catalog,
            as_of=as_of,
        )
    kept = [w for w in caught if str(cid) not in str(w.message)]  # none of the placeholder
    return table, table.index != cid, kept


_ORPHANS = "whose customer is not in `customers`"


def _driver_warnings(
    caught: list[Any],
    model: SparkModel,
    fields: Mapping[str, Any],
    config: SegmentConfig,
    as_of: pd.Timestamp,
    ids: pd.Series,
    catalog: pd.DataFrame | None,
    *,
    master: pd.DataFrame | None,
    surveys: pd.DataFrame | None,
    complaints: pd.DataFrame | None,
) -> None:
    """Give the driver's warnings once. The driver's apply saw every survey and complaint,
    so its notices of side-table rows of customers it did not label are replaced by those
    of the rows whose customer has no transaction and is no prospect (an apply with the
    rows of customers without transactions)."""
    orphans: list[str] = []
    if any(_ORPHANS in str(w.message) for w in caught):
        cust = str(config.customer_col)
        loose = {
            name: None if side is None else side[~_has_id(side[cust], ids)]
            for name, side in (("surveys", surveys), ("complaints", complaints))
        }
        _, _, again = _apply_master_only(
            model, fields, config, as_of, ids, master=master, catalog=catalog, **loose
        )
        orphans = [str(w.message) for w in again if _ORPHANS in str(w.message)]
    for w in caught:
        text = str(w.message)
        if _ORPHANS in text:
            head = text.split(" excluded ")[0] + " excluded "
            table = text.split(" of `")[1].split("`")[0]
            same = [m for m in orphans if m.startswith(head) and f" of `{table}`" in m]
            if not same:
                continue
            orphans.remove(same[0])
            w = warnings.WarningMessage(same[0], w.category, w.filename, w.lineno)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _row_notices(tx: SparkDataFrame, config: SegmentConfig, as_of: pd.Timestamp) -> None:
    """The preparation's warning (rows dropped for nulls, after `as_of`, returns), from one
    Spark pass; null values without ``dropna`` raise the pandas path's SchemaError."""
    from pyspark.sql import functions as F

    from kamseg.summary._spark import _day_number, _number
    from kamseg.transactions import (
        check_nulls,
        notice_after_as_of,
        notice_excluded_returns,
        notice_netted_returns,
        notice_nulls,
    )

    types = {f.name: f.dataType for f in tx.schema.fields}
    items = config.quantity_col is not None and config.price_col is not None
    cust, date = str(config.customer_col), str(config.date_col)
    day, _ = _day_number(_col(date), types[date], name=date)
    factors = [config.quantity_col, config.price_col] if items else [config.amount_col]
    numbers = {str(c): _number(_col(str(c)), types[str(c)], name=str(c))[0] for c in factors}
    amount = functools.reduce(lambda a, b: a * b, numbers.values())
    null_of = {cust: _col(cust).isNull(), date: day.isNull()}
    for name, num in numbers.items():
        null_of[name] = num.isNull() | F.isnan(num)
    if config.profit_col is not None:
        p = str(config.profit_col)
        num = _number(_col(p), types[p], name=p)[0]
        null_of[p] = num.isNull() | F.isnan(num)
    any_null = functools.reduce(lambda a, b: a | b, null_of.values())
    as_of_day = int(np.datetime64(as_of.date(), "D").astype(np.int64))
    late = ~any_null & (day > F.lit(as_of_day))
    negative = ~any_null & ~late & (amount < 0)

    def count(cond: Any) -> Any:
        return F.count(F.when(cond, 1))

    aggs = [count(m).alias(f"null_{i}") for i, m in enumerate(null_of.values())]
    aggs += [count(any_null).alias("n_null"), count(late).alias("n_late")]
    aggs += [count(negative).alias("n_negative")]
    stats = tx.agg(*aggs).collect()[0].asDict()

    parts: list[str] = []
    counts = {name: stats[f"null_{i}"] for i, name in enumerate(null_of) if stats[f"null_{i}"]}
    check_nulls(counts, dropna=config.dropna, func=_FUNC)
    if counts:
        parts.append(notice_nulls(stats["n_null"], counts))
    if stats["n_late"]:
        parts.append(notice_after_as_of(stats["n_late"], as_of_day))
    if stats["n_negative"]:
        if config.returns == "exclude":
            parts.append(notice_excluded_returns(stats["n_negative"]))
        elif config.returns == "net":
            kept = tx.filter(~any_null & ~late).groupBy(_col(cust)).agg(F.sum(amount).alias("r"))
            n_nonpositive = kept.filter(F.col("r") <= 0).count()
            parts.append(notice_netted_returns(stats["n_negative"], n_nonpositive))
        # returns="error": each partition with returns raises the pandas path's error
    if parts:
        warn(f"{_FUNC}: {'; '.join(parts)}.", stacklevel=4)


# --- the partitions ----------------------------------------------------------------------------


def _rows_of(table: pd.DataFrame | None, ids: Any, *, column: str | None) -> Any:
    if table is None:
        return None
    values = table.index if column is None else table[column]
    return table[_has_id(values, ids)]


def _label_partition(
    batches: Iterator[pd.DataFrame], *, shared: Any, token: int
) -> Iterator[pd.DataFrame]:
    """Label one partition's customers: its batches joined, ``model.apply`` with the side-
    table rows of its customers, the result as Spark rows. Warnings are not shown."""
    frames = [b for b in batches if len(b)]
    if not frames:
        return
    bundle = _bundle(shared, token)
    model = bundle["model"]
    config = model.segment_config
    cust = str(config.customer_col)
    tx = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    tx = tx.drop(columns=[_ROW])
    ids = pd.Series(tx[cust].dropna().unique())
    sides = {
        "master": _rows_of(bundle["master"], ids, column=None),
        "surveys": _rows_of(bundle["surveys"], ids, column=cust),
        "complaints": _rows_of(bundle["complaints"], ids, column=cust),
        "catalog": bundle["catalog"],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            table = model.apply(tx, **sides, as_of=bundle["as_of"])
        except EmptyInputError:  # no row left (all after as_of): the master rows only
            if sides["master"] is None or not len(sides["master"]):
                return
            table, real, _ = _apply_master_only(
                model,
                bundle["fields"],
                config,
                bundle["as_of"],
                ids,
                **sides,
            )
            table = table[real]
    if len(table):
        yield _spark_rows(table, bundle["spec"])


# --- types -------------------------------------------------------------------------------------


def _spark_kind(dtype: Any) -> str:
    """The Spark type of a fitted column's dtype (as ``model.schema`` holds it)."""
    if isinstance(dtype, Mapping):  # a categorical
        return "string"
    text = str(dtype)
    if text in ("int64", "Int64", "uint32", "UInt32"):
        return "long"
    if text in ("int8", "int16", "int32", "Int8", "Int16", "Int32", "uint8", "uint16"):
        return "int"
    if text.startswith(("float", "Float")):
        return "double"
    if text in ("bool", "boolean"):
        return "boolean"
    if text.startswith("datetime64"):
        return "timestamp"
    return "string"  # object, str, string, anything else as text


def _spark_type(kind: str) -> DataType:
    from pyspark.sql import types as T

    return {
        "long": T.LongType(),
        "int": T.IntegerType(),
        "double": T.DoubleType(),
        "boolean": T.BooleanType(),
        "timestamp": T.TimestampType(),
        "string": T.StringType(),
    }[kind]


def _output_spec(
    probe: pd.DataFrame, schema: Mapping[str, Any]
) -> tuple[list[tuple[str, str]], StructType]:
    """The output's columns and Spark types: the index, then `probe`'s columns (the
    driver's ``apply``), typed by the model's schema."""
    from pyspark.sql import types as T

    index_name = str(probe.index.name or "customer_id")
    spec = [(index_name, _spark_kind(probe.index.dtype))]
    for col in probe.columns:
        dtype = schema.get(str(col), str(probe[col].dtype))
        kind = _spark_kind(dtype)
        if str(dtype) == "object" and kind == "string":
            kind = _object_kind(probe[col])
        spec.append((str(col), kind))
    struct = T.StructType([T.StructField(name, _spark_type(kind), True) for name, kind in spec])
    return spec, struct


def _object_kind(values: pd.Series) -> str:
    """An object column: boolean when it holds True/False (and missing values)."""
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    return "boolean" if inferred == "boolean" else "string"


def _spark_rows(table: pd.DataFrame, spec: list[tuple[str, str]]) -> pd.DataFrame:
    """`table` (indexed by customer) as a frame of `spec`'s columns and types."""
    out: dict[str, Any] = {}
    index_name, index_kind = spec[0]
    out[index_name] = _as_kind(pd.Series(table.index, copy=False), index_kind)
    n = len(table)
    for name, kind in spec[1:]:
        values = table[name] if name in table.columns else pd.Series([None] * n)
        out[name] = _as_kind(values.reset_index(drop=True), kind)
    return pd.DataFrame(out)


def _as_kind(values: pd.Series, kind: str) -> Any:
    missing = values.isna().to_numpy()
    if kind == "string":
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        text = [None if m else str(v) for v, m in zip(values, missing, strict=True)]
        return pd.Series(text, dtype="object")
    if kind == "boolean":
        return pd.Series(
            np.where(missing, None, values.astype(object).to_numpy() == True),  # noqa: E712
            dtype=object,
        )
    if kind in ("long", "int"):
        if missing.any():
            nullable = pd.Int64Dtype() if kind == "long" else pd.Int32Dtype()
            return values.astype("float64").astype(nullable)
        return values.astype("int64" if kind == "long" else "int32")
    if kind == "double":
        return values.astype("float64")
    if kind == "timestamp":
        return pd.to_datetime(values).astype("datetime64[us]")
    raise AssertionError(kind)  # pragma: no cover
