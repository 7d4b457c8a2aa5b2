"""The DuckDB summary's passes aggregated in numpy: DuckDB scans, numpy sums.

When the customer ids are whole numbers or text, each pass asks DuckDB only for its rows,
with the checked filters, the day and the numbers already worked out: one ``SELECT ...
WHERE`` on one table, which keeps the input's order (DuckDB's documented order
preservation). The pandas path's own functions aggregate them: the customer table
(:func:`kamseg.summary._pandas.summary_arrays`), the windows' activity
(:func:`kamseg._activity.activity`), the job's daily columns and the need level's sums
(:func:`need_sums`). On a 100M-row Parquet file a pass of 33M rows took 1.1 s to read and
about 2.6 s to aggregate, where DuckDB's two-level ``GROUP BY`` took 8-9 s; the job's
pass of 14.4M rows with every column 1.6-2.3 s and about 7 s, against 15-17 s. The sums
add each customer's amounts in row order, as the pandas path does: its bits, not those
of DuckDB's compensated sums.

Whole-number ids are numbered by marking them in a table of their range; text ids by
Arrow's hash (``dictionary_encode``), the customers' then sorted by bytes (as DuckDB and
Python order text). Other ids (fractional order ids, decimals) keep the SQL query
(:func:`kamseg.summary._sql._summary_sql`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kamseg._activity import activity
from kamseg._pairs import net_sums
from kamseg._types import ACTIVITY_COLUMNS, NEED_COLUMNS, NEED_SPEND_PREFIX, NeedMap
from kamseg.summary._duckdb_checks import run
from kamseg.summary._pandas import summary_arrays
from kamseg.summary._sql import VIEW

if TYPE_CHECKING:
    import duckdb

__all__ = ["PASS_TAG", "dense_codes", "joined", "pass_sql", "scannable", "summarize_pass"]

#: DuckDB types whose values numpy numbers by their range (up to 64 bits).
WHOLE_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
)


def scannable(rel: duckdb.DuckDBPyRelation, key: str, order: str | None) -> bool:
    """Whether the customer id `key` (and the order id `order`) are whole numbers of at
    most 64 bits or text, so that a pass can be aggregated in numpy."""
    exprs = [f"{key} AS c"] + ([] if order is None else [f"{order} AS o"])
    types = [str(t) for t in run(rel, f"SELECT {', '.join(exprs)} FROM {VIEW} LIMIT 0").types]
    return all(t in (*WHOLE_TYPES, "VARCHAR") for t in types)


def dense_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..n-1 of the whole numbers `values`, in the order of the values, and the
    n distinct values, sorted. Values spanning at most about 4x their count are marked in
    a table of their range (no sort); others go through :func:`numpy.unique`."""
    lo, hi = int(values.min()), int(values.max())
    span = hi - lo + 1
    if span <= 4 * values.size + 65_536:
        offset = (values - values.dtype.type(lo)).astype(np.int64)
        present = np.zeros(span, dtype=bool)
        present[offset] = True
        remap = np.cumsum(present, dtype=np.int64) - 1
        distinct = np.flatnonzero(present).astype(values.dtype) + values.dtype.type(lo)
        return remap[offset], distinct
    distinct, codes = np.unique(values, return_inverse=True)
    return codes.astype(np.int64, copy=False), distinct


def _whole(column: Any) -> bool:
    """Whether the Arrow `column` holds whole numbers."""
    import pyarrow as pa  # type: ignore[import-untyped]

    return bool(pa.types.is_integer(column.type))


def numbered_customers(ids: Any) -> tuple[np.ndarray, pd.Index]:
    """Codes 0..n-1 of the customer `ids` (whole numbers as a numpy array, or text as an
    Arrow array; no nulls), in the order of the ids, and the n distinct ids, sorted (text:
    by bytes, as DuckDB's ``ORDER BY`` and Python's ``str`` order them)."""
    import pyarrow as pa
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    if isinstance(ids, np.ndarray):
        codes, distinct = dense_codes(ids)
        return codes, pd.Index(distinct)
    encoded = pc.dictionary_encode(ids.combine_chunks())
    by_id = pc.array_sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(by_id.size, dtype=np.int64)
    rank[by_id] = np.arange(by_id.size, dtype=np.int64)
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    return codes, pd.Index(encoded.dictionary.take(pa.array(by_id)).to_pandas())


#: The first line of a pass's query (it names the query in DuckDB's logs and profiles).
PASS_TAG = "-- kamseg: the rows of one pass of the summary\n"


def pass_sql(
    *,
    cust: str,
    day: str,
    amount: str,
    profit: str | None,
    order: str | None,
    where: str,
    product: str | None = None,
) -> str:
    """The query of a pass: the rows that `where` keeps, with their customer id ``c``, day
    ``d``, amount ``a``, profit ``p``, order id ``o`` and product ``k`` (SQL expressions,
    named as :func:`kamseg.summary._sql._summary_sql` names them; None: not read), in the
    input's order."""
    exprs = {"c": cust, "d": day, "a": amount, "p": profit, "o": order, "k": product}
    select = ", ".join(f"{sql} AS {col}" for col, sql in exprs.items() if sql is not None)
    return f"{PASS_TAG}SELECT {select} FROM {VIEW} WHERE {where}"


#: The churn features' recent spend window, in days (``kamseg.features.SPEND_WINDOW_DAYS``;
#: the job columns hold the spend of one and of two such windows).
CHURN_SPEND_DAYS = 90


def summarize_pass(
    rows: duckdb.DuckDBPyRelation,
    *,
    as_of_day: int,
    freq: str,
    netted: bool,
    activity_window: int | None = None,
    job_columns: bool = False,
    need: NeedMap | None = None,
) -> tuple[dict[str, np.ndarray], pd.Index] | None:
    """The customer table's columns and the customer ids (sorted) of the `rows` of a pass
    (the query of :func:`pass_sql`, read here into Arrow: its memory goes column by
    column); None when it has no row. `netted` says whether the input's returns are
    netted.

    With `activity_window`, `job_columns` and `need` (the product column read as ``k``),
    the columns that :func:`kamseg.summary._sql._summary_sql` adds for them, computed as
    the pandas path computes them (:func:`kamseg._activity.activity`, the daily table of
    :func:`summary_arrays`, :func:`need_sums`)."""
    table = rows.to_arrow_table()
    if table.num_rows == 0:
        return None
    entries = order = None
    if need is not None:
        entries = need_entries(table.column("k"), need)
        table = table.drop_columns(["k"])
    if "o" in table.column_names:
        order = order_codes(table.column("o"))
        table = table.drop_columns(["o"])
    customers = None
    if not _whole(table.column("c")):  # text ids: numbered by Arrow
        customers = table.column("c")
        table = table.drop_columns(["c"])
    cols = {}
    for col in table.column_names:  # the table's memory goes column by column
        cols[col] = table.column(col).to_numpy()
        table = table.drop_columns([col])
    del table
    codes, ids = numbered_customers(cols.pop("c") if customers is None else customers)
    del customers
    n = len(ids)
    counts = np.bincount(codes, minlength=n)
    days = cols.pop("d").astype(np.int64, copy=False)
    amount = cols.pop("a").astype(np.float64, copy=False)
    profit = cols["p"].astype(np.float64, copy=False) if "p" in cols else None
    rows_of = (codes, counts, days, amount)
    data = summary_arrays(*rows_of, profit, order, as_of_day=as_of_day, freq=freq, netted=netted)
    if activity_window is not None:
        everyone = np.arange(n, dtype=np.int64)
        windows = activity(
            codes, days, amount, order, everyone, n, window=activity_window, end=as_of_day
        )
        for field, name in ACTIVITY_COLUMNS.items():
            data[name] = getattr(windows, field)
        del windows
        if job_columns:
            daily = data
            if freq != "D":
                daily = summary_arrays(
                    *rows_of, None, order, as_of_day=as_of_day, freq="D", netted=netted
                )
            data["daily_frequency"] = daily["frequency"]
            data["daily_recency"] = daily["recency"]
            data["daily_monetary_value"] = daily["monetary_value"]
            del daily
            spend = activity(
                codes, days, amount, None, everyone, n, window=CHURN_SPEND_DAYS, end=as_of_day
            )
            data["churn_spend_90d"] = spend.spend_recent
            data["churn_spend_180d"] = spend.spend_recent + spend.spend_previous
    if need is not None and entries is not None:
        data.update(need_sums(codes, amount, entries, need, n))
    return data, ids


def order_codes(column: Any) -> np.ndarray:
    """Codes of the order ids of the Arrow `column` (whole numbers or text): rows share a
    code exactly when they share an id, and the rows without one share one more code (a
    missing id is one order, as in the SQL summary and the pandas path). Whole numbers
    are marked in a table of their range (:func:`dense_codes`: 0.2 s for 10M ids, where
    Arrow's hash takes 1 s); text goes through Arrow's hash (``dictionary_encode``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if _whole(column):
        if column.null_count == 0:
            return dense_codes(column.to_numpy())[0]
        low = pc.min_max(column)["min"].as_py()
        if low is None:  # every id missing: one order per customer
            return np.zeros(len(column), dtype=np.int64)
        kind = np.iinfo(column.type.to_pandas_dtype())
        if low > kind.min:  # the missing ids: one more id, below the others
            filled = pc.fill_null(column, pa.scalar(low - 1, type=column.type))
            return dense_codes(filled.to_numpy())[0]
    whole = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    encoded = pc.dictionary_encode(whole, null_encoding="encode")
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def need_entries(column: Any, need: NeedMap) -> np.ndarray:
    """The entry of `need` (a position in ``need.keys``) that each value of the Arrow
    `column` of products equals, -1 for none, as the SQL summary matches them
    (:func:`kamseg.summary._sql.need_map_sql`): text keys to text, numbers to numbers by
    value (5 and 5.0 are one key), no text to a number; nulls match nothing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
        column = column.cast(kind)
    positions: list[int] = []
    values: list[Any] = []
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        for i, key in enumerate(need.keys):
            if isinstance(key, str):
                positions.append(i)
                values.append(key)
        value_type = kind
    elif pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        whole = pa.types.is_integer(kind)
        for i, key in enumerate(need.keys):
            if isinstance(key, bool | np.bool_) or not isinstance(
                key, int | float | np.integer | np.floating
            ):
                continue
            number = float(key)
            if not np.isfinite(number) or (whole and not number.is_integer()):
                continue
            positions.append(i)
            values.append(int(key) if whole else number)
        value_type = pa.int64() if whole else pa.float64()
        column = column.cast(value_type, safe=False)
    else:  # dates, booleans, ...: no catalogue key equals them
        return np.full(len(column), -1, dtype=np.int64)
    found = pc.index_in(column, value_set=pa.array(values, type=value_type))
    lookup = np.array([*positions, -1], dtype=np.int64)  # index -1 (no match): -1
    return np.asarray(lookup[found.fill_null(-1).to_numpy().astype(np.int64, copy=False)])


def need_sums(
    codes: np.ndarray, amount: np.ndarray, entries: np.ndarray, need: NeedMap, n: int
) -> dict[str, np.ndarray]:
    """The need level's columns of `n` customers from their rows' customer `codes`,
    `amount` and catalogue `entries` (:func:`need_entries`): the highest need level bought
    (-1: no matched row) and the net spend in each category (``need_spend_<i>``, a net
    that is only rounding error is 0), as :func:`kamseg.summary._sql._need` computes them."""
    level = np.array([*need.level, -1], dtype=np.int64)[entries]
    matched = entries >= 0
    highest = np.full(n, -1, dtype=np.int64)
    for lvl in sorted(set(need.level)):  # ascending: each customer keeps its highest
        highest[codes[matched & (level == lvl)]] = lvl
    out = {NEED_COLUMNS[0]: highest}
    n_cat = len(need.categories)
    category = np.array([*need.category, -1], dtype=np.int64)[entries]
    has = category >= 0
    spend = net_sums(codes[has] * n_cat + category[has], amount[has], n * n_cat)
    spend = spend.reshape(n, n_cat)
    for i in range(n_cat):
        out[f"{NEED_SPEND_PREFIX}{i}"] = spend[:, i].copy()
    return out


def joined(parts: list[tuple[dict[str, np.ndarray], pd.Index]], name: Any) -> pd.DataFrame:
    """The customer table (before :func:`kamseg.summary._common.finish`) of the passes'
    `parts` (at least one), its index named `name`. Passes over ranges of ids, in order,
    follow each other in id order; passes by hash are sorted here."""
    if len(parts) == 1:
        data, index = parts[0]
    else:
        data = {
            col: np.concatenate([part[0].pop(col) for part in parts]) for col in list(parts[0][0])
        }
        index = parts[0][1].append([part[1] for part in parts[1:]])
        if not index.is_monotonic_increasing:
            by_id = index.argsort()
            data = {col: values[by_id] for col, values in data.items()}
            index = index.take(by_id)
    return pd.DataFrame(data, index=index.rename(name), copy=False)
