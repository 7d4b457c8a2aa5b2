"""The customer table (:func:`kamseg.summarize`) computed by DuckDB, out of core.

One SQL query defines the summary for every input DuckDB can scan: Parquet files and globs
(read out of core), PyArrow Tables, Polars DataFrames and LazyFrames (through Arrow) and
DuckDB relations. Validation (missing columns, types, nulls, infinities, customer ids to
normalise, dates after `as_of`, negative amounts) runs as one aggregate query with the same
errors and warnings, with counts, as the pandas path; when `as_of` is not given it is grouped
by day, so that the same pass finds dates far beyond the rest
(:mod:`kamseg.summary._duckdb_checks`). A clean Parquet file or Arrow table skips that pass:
its footers (or arrays) and one scan of the dates say what it would find, and the summary's
totals confirm that no number was NaN or infinite. Only the customer table comes back to
pandas.

These are the SQL twins of the rules of :mod:`kamseg.transactions` (:func:`customer_codes`,
:func:`default_as_of_per_day`, :func:`purchase_periods`) and :mod:`kamseg.summary._pandas`: a
change there is a change here, checked by the engine tests.
"""

from __future__ import annotations

import contextlib
import glob as _glob
import itertools
import os
from collections.abc import Hashable, Iterator
from typing import TYPE_CHECKING, Any, get_args

import numpy as np
import pandas as pd

from kamseg._types import ACTIVITY_WINDOW_ATTR, NEED_NOTES_ATTR, NeedMap
from kamseg._validation import as_of_day as day_of
from kamseg._validation import check_choice, check_columns, check_int
from kamseg.errors import ConfigError, EmptyInputError, SchemaError
from kamseg.summary._common import (
    SAMPLE_BUCKETS,
    Freq,
    ReturnsPolicy,
    check_finite_totals,
    choose_buckets,
    finish,
)
from kamseg.summary._duckdb_checks import (
    Columns,
    Plan,
    arrow_facts,
    clean_plan,
    finite_totals,
    footer_facts,
    parquet_glob,
    validate,
)
from kamseg.summary._duckdb_checks import run as _run
from kamseg.summary._scan import joined, pass_sql, scannable, summarize_pass
from kamseg.summary._sql import (
    VIEW as _VIEW,
)
from kamseg.summary._sql import (
    _day_expr,
    _lit,
    _num_expr,
    _period,
    _q,
    _summary_sql,
    need_map_sql,
)
from kamseg.transactions import check_line_items

if TYPE_CHECKING:
    import duckdb

__all__ = ["summarize_duckdb"]

_FUNC = "summarize"
#: Transactions aggregated per pass when `partitions` is not given (see summarize_duckdb).
ROWS_PER_PASS = 40_000_000
#: The same for a query that also aggregates the windows' activity (and the job's daily
#: columns) or the need level: it holds several more aggregates per transaction (in SQL),
#: or several more arrays per row (in numpy: the job's summary of 100M rows peaked at 6.1
#: GiB with the side tables read).
HEAVY_ROWS_PER_PASS = 16_000_000
# the notice points at the caller of kamseg.summarize:
# warn <- notify <- _summarize <- summarize_duckdb <- _summarize_on_engine <- summarize <- caller
_STACK = 7


@contextlib.contextmanager
def _reading(source: object) -> Iterator[None]:
    """DuckDB's errors reading a Parquet path (a damaged file, not Parquet) as a
    :class:`~kamseg.errors.SchemaError` that names the path."""
    duckdb = _import_duckdb()
    try:
        yield
    except (duckdb.IOException, duckdb.InvalidInputException) as exc:
        if not isinstance(source, str | os.PathLike):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SchemaError(f"{_FUNC}: cannot read Parquet {str(source)!r}: {first}") from exc


def _import_duckdb(extra: str = "duckdb") -> Any:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb is installed in the test env
        raise ImportError(
            f'{_FUNC}: this input needs DuckDB. Install it with: pip install "kamseg[{extra}]"'
        ) from exc
    return duckdb


def _pyarrow() -> Any:
    """pyarrow (a core dependency without type stubs: typed as Any here)."""
    import pyarrow as pa  # type: ignore[import-untyped]

    return pa


def _is_polars(obj: object, cls: str) -> bool:
    t = type(obj)
    return t.__module__.split(".")[0] == "polars" and t.__name__ == cls


def _parquet_tz(path: str, col: str) -> str | None:
    """Time zone recorded in the Arrow schema of the (first) Parquet file for `col`."""
    pa = _pyarrow()
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    files = sorted(_glob.glob(path, recursive=True)) or [path]
    try:
        schema = pq.read_schema(files[0])
    except (OSError, ValueError):  # pragma: no cover - remote paths etc.
        return None
    if col in schema.names:
        t = schema.field(col).type
        if pa.types.is_timestamp(t):
            return None if t.tz is None else str(t.tz)
    return None


def _relation(
    source: object,
    con: duckdb.DuckDBPyConnection | None,
    columns: list[str],
) -> tuple[duckdb.DuckDBPyRelation, duckdb.DuckDBPyConnection | None, dict[str, str], Any]:
    """Wrap `source` as a DuckDB relation.

    Returns the relation, the connection opened here (to close afterwards) or None, the
    time zone of each time-zone-aware timestamp column, when the source says, and what
    says more of the columns without reading them: the glob of the Parquet files, the
    Arrow table, or None (a DuckDB relation).
    """
    duckdb = _import_duckdb()
    tz: dict[str, str] = {}
    if isinstance(source, duckdb.DuckDBPyRelation):
        # a relation belongs to its connection; dates in the connection's time zone
        rel = source
        zone = _run(rel, "SELECT current_setting('TimeZone')").fetchall()[0]
        for c in rel.columns:
            tz[c] = str(zone[0]) if zone else "UTC"
        return rel, None, tz, None
    own = con is None
    if con is None:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")  # a library prints nothing
    if isinstance(source, str | os.PathLike):
        path = parquet_glob(source)
        if not path.lower().endswith(".parquet"):
            raise TypeError(
                f"{_FUNC}: a path must name Parquet files (ending in .parquet, globs "
                f"allowed); got {path!r}."
            )
        files = _glob.glob(path, recursive=True)
        if not files and "://" not in path:
            raise FileNotFoundError(f"{_FUNC}: no Parquet file matches {path!r}.")
        rel = con.read_parquet(path)
        for c in rel.columns:
            if "WITH TIME ZONE" in str(rel.types[rel.columns.index(c)]):
                tz[c] = _parquet_tz(path, c) or "UTC"
        return rel, con if own else None, tz, path

    table: Any
    if _is_polars(source, "LazyFrame"):
        _import_duckdb("polars")
        lazy: Any = source
        names = lazy.collect_schema().names()
        lazy = lazy.select([c for c in columns if c in names] or names)
        table = lazy.collect(engine="streaming").to_arrow()
    elif _is_polars(source, "DataFrame"):
        _import_duckdb("polars")
        frame: Any = source
        table = frame.to_arrow()
    else:
        pa = _pyarrow()
        if not isinstance(source, pa.Table | pa.RecordBatchReader):
            if own:
                con.close()
            raise TypeError(
                f"{_FUNC}: `transactions` must be a pandas DataFrame, a Parquet path or "
                "glob, a PyArrow Table, a Polars DataFrame or LazyFrame, or a DuckDB "
                f"relation; got {type(source).__name__}."
            )
        # a stream can be read once and the summary reads the rows in several passes
        table = source.read_all() if isinstance(source, pa.RecordBatchReader) else source
    pa = _pyarrow()
    for field in table.schema:
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            tz[field.name] = field.type.tz
    rel = con.from_arrow(table)
    return rel, con if own else None, tz, table


def summarize_duckdb(
    source: Any,
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
    connection: duckdb.DuckDBPyConnection | None = None,
    partitions: int | None = None,
    activity_window: int | None = None,
    job_columns: bool = False,
    need_map: NeedMap | None = None,
) -> pd.DataFrame:
    """:func:`kamseg.summarize` run by DuckDB, on data that need not fit in pandas.

    Same arguments, result, errors and warnings as :func:`kamseg.summarize`; see there for
    the meaning of every column. Needs ``pip install "kamseg[duckdb]"``.

    Parameters
    ----------
    source
        A Parquet path or glob (``str`` or :class:`pathlib.Path` ending in ``.parquet``)
        or a folder of Parquet files (all ``*.parquet`` below it), read out of core; a
        PyArrow Table; a Polars DataFrame or LazyFrame (collected with the streaming
        engine, only the needed columns); or a DuckDB relation (queried on its own
        connection).
    customer_col, date_col, amount_col, profit_col, order_col, as_of, freq, dropna, returns
        As in :func:`kamseg.summarize`. Dates may be ``DATE``, ``TIMESTAMP`` (any unit),
        ``TIMESTAMP WITH TIME ZONE`` (taken in wall-clock time of the zone the Arrow schema
        records; for DuckDB relations, of the connection's ``TimeZone``) or ISO 8601 text.
    connection
        DuckDB connection to run on (e.g. one with a ``memory_limit`` or ``threads``
        setting). Default: a fresh in-memory connection, closed afterwards.
    partitions
        Number of passes, each over the customers of one range of ids (whole-number or
        text ids; bounds from a sample of rows) or else of one hash partition
        (``hash(customer) % partitions``). More passes scan the input more often but hold
        a proportionally smaller aggregate in memory: 100M transactions of 10M customers
        need about 7 GB in one pass of DuckDB's query and 3.2 GB in three (2.6-2.9 GB
        when numpy sums the rows, see Returns). Default: one pass per started block of
        :data:`ROWS_PER_PASS` transactions (40M), or of :data:`HEAVY_ROWS_PER_PASS` (16M)
        with `activity_window` or `need_map`.
    activity_window
        Also each customer's activity in the two windows of this many days before `as_of`
        (:func:`kamseg.features.window_activity`, in the same query): the columns
        :data:`kamseg.features.ACTIVITY_COLUMNS`, for the spend and frequency trends of
        :func:`kamseg.segment` on data that stay out of core. Default: none.
    job_columns
        With `activity_window`, also, from the same (customer, day) rows, what
        :func:`kamseg.segment`'s steps read from a daily table: the daily repeat purchases,
        recency and mean repeat spend (``daily_frequency``, ``daily_recency``,
        ``daily_monetary_value``: the daily ``frequency``, ``recency`` and
        ``monetary_value``, for a weekly or monthly table) and the spend in the last 90 and
        180 days (``churn_spend_90d``, ``churn_spend_180d``), so that no second, daily scan
        is needed.
    need_map
        Also, in the same query, what the need level reads from a customer's rows matched
        to this catalogue on its product column: the highest need level bought and the net
        spend in each category (:data:`kamseg._types.NEED_COLUMNS`, read by
        :func:`kamseg.features.table_need`; used by :func:`kamseg.segment` to label the
        need level of a table without rows; nothing when the input has no such column).
        Default: none.

    Returns
    -------
    DataFrame
        Equal to ``kamseg.summarize`` on the same data loaded in pandas. When the customer
        ids (and the order ids) are whole numbers or text, DuckDB only reads each pass's
        rows and numpy sums them as the pandas path does (the customer table: the same
        bits). Otherwise DuckDB's query sums with ``fsum``, whose results may differ from
        the pandas path's in the last bits.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from kamseg.engines import summarize_duckdb
    >>> tx = pa.table({"customer_id": ["a", "a", "b"],
    ...                "date": ["2024-01-01", "2024-01-10", "2024-01-05"],
    ...                "amount": [10.0, 30.0, 8.0]})
    >>> summarize_duckdb(tx)[["n_orders", "revenue", "frequency", "recency", "T"]]
                 n_orders  revenue  frequency  recency    T
    customer_id
    a                   2     40.0        1.0      9.0  9.0
    b                   1      8.0        0.0      0.0  5.0
    """
    check_choice(freq, get_args(Freq), func=_FUNC, arg="freq")
    check_choice(returns, get_args(ReturnsPolicy), func=_FUNC, arg="returns")
    if isinstance(source, pd.DataFrame):
        from kamseg.summary._pandas import summarize_prepared
        from kamseg.transactions import as_prepared

        prepared = as_prepared(
            source,
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
    items = check_line_items(quantity_col, price_col, func=_FUNC)
    args = {
        "customer_col": customer_col,
        "date_col": date_col,
        "amount_col": None if items else amount_col,
        "quantity_col": quantity_col,
        "price_col": price_col,
        "profit_col": profit_col,
        "order_col": order_col,
    }
    if partitions is not None:
        check_int(partitions, func=_FUNC, arg="partitions", low=1)
    if activity_window is not None:
        check_int(activity_window, func=_FUNC, arg="activity_window", low=1)
    elif job_columns:
        raise ConfigError(f"{_FUNC}: `job_columns` needs an `activity_window`.")
    wanted = [str(c) for c in args.values() if c is not None]
    if need_map is not None:
        wanted.append(need_map.product_col)
    with _reading(source):
        rel, opened, zones, data = _relation(source, connection, wanted)
    try:
        with _reading(source):
            facts = None  # what the Parquet footers or the Arrow arrays say of the columns
            if isinstance(data, str):
                facts = footer_facts(rel, data, wanted)
            elif data is not None:
                facts = arrow_facts(data, wanted)
            return _summarize(
                rel,
                zones,
                args,
                as_of=as_of,
                freq=freq,
                dropna=dropna,
                returns=returns,
                partitions=partitions,
                activity_window=activity_window,
                job_columns=job_columns,
                need_map=need_map,
                # a user's relation may be a costly query: computed once, not per reader
                rescan=rel is not source,
                facts=facts,
            )
    finally:
        if opened is not None:
            opened.close()


def _summarize(
    rel: duckdb.DuckDBPyRelation,
    zones: dict[str, str],
    args: dict[str, Hashable | None],
    *,
    as_of: Any,
    freq: str,
    dropna: bool,
    returns: str,
    partitions: int | None,
    activity_window: int | None = None,
    job_columns: bool = False,
    need_map: NeedMap | None = None,
    rescan: bool = True,
    facts: dict[str, tuple[int | None, bool]] | None = None,
) -> pd.DataFrame:
    """The summary of `rel`; with `rescan`, a single pass lets each aggregate scan the
    input again (a file or an Arrow table: cheaper than DuckDB's materialised copy).

    With `facts` (what the Parquet footers or the Arrow arrays say of the columns without a
    scan: :func:`footer_facts`, :func:`arrow_facts`), a clean input skips the full checks
    (:func:`clean_plan`); the summary's totals then confirm that no number was NaN or
    infinite, or the full checks run and the summary again."""
    check_columns(pd.DataFrame(columns=rel.columns), args, func=_FUNC)
    types = {c: str(t) for c, t in zip(rel.columns, rel.types, strict=True)}
    need = None
    if need_map is not None and need_map.product_col in rel.columns:
        product = need_map.product_col
        need = (need_map_sql(need_map, types[product]), len(need_map.categories))
    customer_col = args["customer_col"]
    cust, date = str(customer_col), str(args["date_col"])
    factors = None  # line items: the amount is quantity x price
    if args.get("quantity_col") is not None:
        factors = (str(args["quantity_col"]), str(args["price_col"]))
        amount = f"{factors[0]} x {factors[1]}"  # its name in messages
    else:
        amount = str(args["amount_col"])
    profit = None if args["profit_col"] is None else str(args["profit_col"])
    order = None if args["order_col"] is None else str(args["order_col"])

    day = _day_expr(date, types[date], zones.get(date))
    if day is None:
        raise SchemaError(
            f"{_FUNC}: column {date!r} holds {types[date]} values, not dates. Hint: convert "
            "it to a date or timestamp type, or ISO 8601 text."
        )
    values = (
        {amount: _num_expr(amount, types[amount])}
        if factors is None
        else {c: _num_expr(c, types[c]) for c in factors}
    )
    if profit is not None:
        values[profit] = _num_expr(profit, types[profit])
    nums: dict[str, str] = {}
    text: dict[str, bool] = {}
    for col, got in values.items():
        if got is None:
            raise SchemaError(
                f"{_FUNC}: column {col!r} holds {types[col]} values, not numbers. Hint: "
                "clean the column or pass another column name."
            )
        nums[col], text[col] = got
    as_of_parsed = day_of(as_of, func=_FUNC)
    amount_sql = nums[amount] if factors is None else f"({nums[factors[0]]} * {nums[factors[1]]})"
    cols = Columns(cust, date, amount, factors, profit, order, types, day, nums, text, amount_sql)
    heavy = activity_window is not None or need is not None

    order_sql = None if order is None else _q(order)

    def summary(plan: Plan) -> pd.DataFrame | None:
        """The customer table of the rows `plan` keeps, pass by pass (None: no row)."""
        as_of_day = plan.as_of_day
        as_of_period = _period(str(as_of_day), freq)
        per_pass = HEAVY_ROWS_PER_PASS if heavy else ROWS_PER_PASS
        n_parts = partitions if partitions is not None else -(-plan.n_kept // per_pass)
        passes = _passes(rel, plan.key, " AND ".join(plan.filters) or "TRUE", n_parts)
        # the rows' columns, and the customers of one range (or hash partition) of ids a pass
        columns: dict[str, Any] = {
            "cust": plan.key,
            "day": day[0],
            "amount": amount_sql,
            "profit": None if profit is None else nums[profit],
            "order": order_sql,
            "product": None if need is None else _q(product),
        }
        wheres = [" AND ".join([*plan.filters, p] if p else plan.filters) for p in passes]
        wheres = [where or "TRUE" for where in wheres]
        netted = plan.n_negative > 0 and returns == "net"
        if scannable(rel, plan.key, order_sql):
            parts = []
            for where in wheres:  # DuckDB reads the rows, numpy sums them
                part = summarize_pass(
                    _run(rel, pass_sql(where=where, **columns)),
                    as_of_day=as_of_day,
                    freq=freq,
                    netted=netted,
                    activity_window=activity_window,
                    job_columns=job_columns,
                    need=None if need is None else need_map,
                )
                if part is not None:
                    parts.append(part)
            return joined(parts, customer_col) if parts else None
        tables = []
        for where in wheres:
            sql = _summary_sql(
                **columns,
                where=where,
                freq=freq,
                as_of_day=as_of_day,
                as_of_period=as_of_period,
                netted=netted,
                activity=None if activity_window is None else (as_of_day, activity_window),
                job_columns=job_columns,
                need=need,
                rescan=rescan and len(passes) == 1,
            )
            tables.append(_run(rel, sql).to_arrow_table())
        table = _pyarrow().concat_tables(tables) if len(tables) > 1 else tables[0]
        return _to_pandas(table, customer_col, profit is not None)

    plan = None if facts is None else clean_plan(rel, cols, facts, as_of_parsed)
    result = None if plan is None else summary(plan)
    if result is not None and not finite_totals(result):
        result = None  # a NaN or infinite amount: the full checks say what to do
    if plan is None or result is None:
        plan = validate(rel, cols, as_of_parsed, dropna=dropna, returns=returns)
        result = summary(plan)
    if result is None:  # pragma: no cover - the checks refuse an input without a kept row
        raise EmptyInputError(f"{_FUNC}: no transactions left after the checks.")

    result = finish(
        result,
        stacklevel=_STACK + 1,  # one frame more: finish
        notices=plan.notices,
        n_negative=plan.n_negative,
        returns=returns,
        as_of_day=plan.as_of_day,
        freq=freq,
    )
    totals = {c: result[c].to_numpy() for c in ("revenue", "profit") if c in result}
    check_finite_totals(totals, result.index)
    if activity_window is not None:
        result.attrs[ACTIVITY_WINDOW_ATTR] = int(activity_window)
    if need is not None:
        where = " AND ".join(plan.filters) or "TRUE"
        result.attrs[NEED_NOTES_ATTR] = _need_notes(rel, need[0], _q(product), where)
    return result


#: Rows drawn to place the ranges of ids of the passes (their bounds need not be exact).
_BOUND_SAMPLE = 200_000


def _passes(rel: duckdb.DuckDBPyRelation, key: str, where: str, n_parts: int) -> list[str]:
    """The condition on the id `key` of each pass (one pass: no condition). Each pass
    holds one range of ids, its bounds the quantiles of the ids of a sample of rows, so
    that the passes' results, each sorted by id, are sorted one after the other: no sort
    of the whole customer table in pandas (gathering 35 columns of 10M customers took
    4 to 8 s). Ids that are neither whole numbers nor text are split by hash instead
    (the result is then sorted in pandas); bounds repeated by ids that hold many rows
    make fewer passes. A customer's rows are all in one pass either way, so the bounds
    change no number."""
    if n_parts <= 1:
        return [""]
    hashed = [f"hash({key}) % {n_parts} = {part}" for part in range(n_parts)]
    probs = ", ".join(repr(i / n_parts) for i in range(1, n_parts))
    sql = (
        f"SELECT quantile_disc(k, [{probs}]) FROM (SELECT {key} AS k FROM {_VIEW} "
        f"WHERE {where}) USING SAMPLE reservoir({_BOUND_SAMPLE} ROWS) REPEATABLE (17)"
    )
    bounds = _run(rel, sql).fetchall()[0][0]
    if not bounds:
        return hashed
    kinds = {type(b) for b in bounds}
    if kinds == {int}:
        lits = [repr(b) for b in bounds]
    elif kinds == {str}:
        lits = [_lit(b) for b in bounds]
    else:
        return hashed
    lits = list(dict.fromkeys(lits))  # an id holding many rows: one range, not empty ones
    k = f"({key})"
    parts = [f"{k} <= {lits[0]}"]
    parts += [f"{k} > {lo} AND {k} <= {hi}" for lo, hi in itertools.pairwise(lits)]
    return [*parts, f"{k} > {lits[-1]}"]


def _need_notes(rel: duckdb.DuckDBPyRelation, map_cte: str, product: str, where: str) -> dict:
    """What the need level's notices say of the kept rows (`where`) and the catalogue
    (`map_cte`): the rows whose key is null or in no catalogue entry (rows, null rows,
    distinct keys, the first keys in sorted order) and the matched rows of keys without a
    category (rows, distinct keys), as :func:`kamseg.features.catalog_rows` and
    :func:`kamseg.features.category_profile` count them."""
    sql = f"""
WITH {map_cte}
SELECT b.k, m.key IS NULL AS unmatched, count(*) AS n
FROM (SELECT {product} AS k FROM {_VIEW} WHERE {where}) b
LEFT JOIN need_map m ON b.k = m.key
WHERE m.key IS NULL OR m.cat < 0
GROUP BY ALL ORDER BY unmatched DESC, b.k NULLS FIRST
"""
    found = _run(rel, sql).fetchall()
    missing = [(k, int(n)) for k, unmatched, n in found if unmatched]
    no_cat = [(k, int(n)) for k, unmatched, n in found if not unmatched]
    keys = [k for k, _ in missing if k is not None]
    return {
        "unmatched_rows": sum(n for _, n in missing),
        "null_rows": sum(n for k, n in missing if k is None),
        "unmatched_keys": len(keys),
        "examples": keys[:10],
        "no_category_rows": sum(n for _, n in no_cat),
        "no_category_keys": len(no_cat),
    }


def _to_pandas(table: Any, customer_col: Hashable, has_profit: bool) -> pd.DataFrame:
    cols = {name: table.column(name) for name in table.column_names}
    ids = cols.pop("c").to_pandas()
    index = pd.Index(ids, name=customer_col)
    data: dict[str, Any] = {}
    for name, values in cols.items():
        arr = values.to_numpy()
        if name in ("first_day", "last_day"):
            key = "first_purchase" if name == "first_day" else "last_purchase"
            data[key] = (arr.astype(np.int64) * 86_400_000_000_000).view("datetime64[ns]")
        elif name == "nonpositive_revenue":
            data[name] = arr.astype(bool)
        else:
            data[name] = arr
    # the query sorts by id (one pass gives sorted ids; several passes are sorted here)
    order = None
    if not index.is_monotonic_increasing:
        try:
            order = index.argsort()
        except TypeError:  # pragma: no cover - unorderable ids
            order = None
    if order is not None:
        index = index.take(order)
        data = {name: values[order] for name, values in data.items()}
    return pd.DataFrame(data, index=index, copy=False)


def sample_rows(
    source: Any, *, columns: list[str], customer_col: str, max_rows: int
) -> tuple[pd.DataFrame, int, int]:
    """The rows of a deterministic sample of customers of `source` (an input of
    :func:`summarize_duckdb`): those whose id hash falls in the first of
    :data:`~kamseg.summary._common.SAMPLE_BUCKETS` buckets that fit in `max_rows` rows, as
    pandas, with only the `columns` present, in one order in every run (a Parquet input's:
    the files'). Returns the rows, the rows of `source` and the rows sampled."""
    rel, opened, _, files = _relation(source, None, columns)
    try:
        # the rows in one order whatever the threads (their scan order varies from run to
        # run, and the sample's job, its churn model above all, depends on the order of the
        # rows): a Parquet input's in the files' order, as pandas reads them; any other
        # input's sorted by every column
        order = "ORDER BY ALL"
        position = ("filename", "file_row_number")
        if isinstance(files, str) and opened is not None and not set(position) & set(rel.columns):
            rel = opened.read_parquet(files, filename=True, file_row_number=True)
            order = f"ORDER BY {', '.join(position)}"
        bucket = f"hash({_q(customer_col)}) % {SAMPLE_BUCKETS}"
        counts = _run(rel, f"SELECT {bucket}, count(*) FROM {_VIEW} GROUP BY 1").fetchall()
        chosen, total = choose_buckets([(int(b), int(n)) for b, n in counts], max_rows)
        wanted = ", ".join(_q(c) for c in columns if c in rel.columns)
        where = f"{bucket} IN ({', '.join(map(str, chosen))})" if chosen else "FALSE"
        rows = _run(rel, f"SELECT {wanted} FROM {_VIEW} WHERE {where} {order}").to_arrow_table()
        return rows.to_pandas(), sum(int(n) for _, n in counts), total
    finally:
        if opened is not None:
            opened.close()
