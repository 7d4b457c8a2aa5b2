"""The checks of the DuckDB summary (:mod:`kamseg.summary._duckdb`), split from it.

The full checks (:func:`validate`) count everything that can be wrong with the rows in one
aggregate pass (missing values, values that are not dates or numbers, infinities, customer
ids to normalise, dates after `as_of` or far beyond the rest, negative amounts) and give the
same errors and warnings, with counts, as the pandas path. A clean Parquet input needs less
(:func:`clean_plan`): its footers (or an Arrow table's arrays) say what the pass would count
of most columns, and one scan of the dates does the rest; the summary's totals confirm it
(:func:`finite_totals`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from kamseg.errors import EmptyInputError, SchemaError
from kamseg.summary._sql import (
    FLOAT_TYPES,
    NUMBER_TYPES,
    TEXT_TYPES,
    VIEW,
    WHOLE_NUMBER_TEXT,
    _blank,
    _id_checks,
    _id_key,
    _is_nan,
    _lit,
    _q,
    _spaced,
    _trim,
    combine_per_day,
    far_dates_per_day,
)
from kamseg.transactions import (
    check_nulls,
    notice_after_as_of,
    notice_excluded_returns,
    notice_nulls,
    notice_stripped_ids,
    notify,
)

if TYPE_CHECKING:
    import duckdb

_FUNC = "summarize"
# the notice points at the caller of kamseg.summarize: warn <- notify <- validate <-
# _summarize <- summarize_duckdb <- _summarize_on_engine <- summarize <- caller
_STACK = 8


def run(rel: duckdb.DuckDBPyRelation, sql: str) -> duckdb.DuckDBPyRelation:
    """Run `sql` on `rel`, seen as the table ``kamseg_tx``."""
    out = rel.query(VIEW, sql)
    assert out is not None
    return out


def bad_values(rel: duckdb.DuckDBPyRelation, col: str, where: str) -> str:
    rows = run(rel, f"SELECT DISTINCT {_q(col)} FROM {VIEW} WHERE {where} LIMIT 3").fetchall()
    return ", ".join(repr(r[0]) for r in rows)


class Columns(NamedTuple):
    """The input's columns for the queries: the names (`amount` as messages name it, "qty x
    price" for line items), the DuckDB types, and the SQL of the day number, of each number
    column and of the amount."""

    cust: str
    date: str
    amount: str
    factors: tuple[str, str] | None
    profit: str | None
    order: str | None
    types: dict[str, str]
    day: tuple[str, bool]
    nums: dict[str, str]
    text: dict[str, bool]
    amount_sql: str


class Plan(NamedTuple):
    """What the checks decided, for the summary query: the conditions of the kept rows, the
    customer id (normalised), "now", the rows with negative amounts and those excluded, the
    rows kept, and the notices to give (in order)."""

    filters: list[str]
    key: str
    as_of_day: int
    n_negative: int
    n_excluded: int
    n_kept: int
    notices: list[str]


def validate(
    rel: duckdb.DuckDBPyRelation,
    cols: Columns,
    as_of_parsed: int | None,
    *,
    dropna: bool,
    returns: str,
) -> Plan:
    """The full checks: one aggregate pass counts everything that can be wrong (grouped by
    day when `as_of` is not given, for the far-date rule), then the errors, or the plan
    with its notices (given here only when an error follows them)."""
    cust, date, amount, types, day = cols.cust, cols.date, cols.amount, cols.types, cols.day
    nums, text, amount_sql = cols.nums, cols.text, cols.amount_sql
    # --- one aggregate pass: counts of everything that can be wrong ---------------------
    day_sql = day[0]
    id_null, id_facts_sql = _id_checks(cust, types[cust])
    null_sql = {cust: id_null, date: f"{_q(date)} IS NULL"}
    for col, expr in nums.items():
        null_sql[col] = f"({expr} IS NULL OR {_is_nan(expr)})"
    bad_sql: dict[str, str] = {}
    if day[1]:
        bad_sql[date] = f"{_q(date)} IS NOT NULL AND {day_sql} IS NULL"
    for col, expr in nums.items():
        if text[col]:
            bad_sql[col] = f"{_q(col)} IS NOT NULL AND {expr} IS NULL"
    any_null = " OR ".join(null_sql.values())
    valid_sql = f"NOT ({any_null})"
    late_sql = "FALSE" if as_of_parsed is None else f"{day_sql} > {as_of_parsed}"
    stats_sql = {
        "n_rows": "count(*)",
        **{f"null_{i}": f"count(*) FILTER (WHERE {c})" for i, c in enumerate(null_sql.values())},
        **{f"bad_{i}": f"count(*) FILTER (WHERE {c})" for i, c in enumerate(bad_sql.values())},
        **{f"inf_{i}": f"count(*) FILTER (WHERE isinf({e}))" for i, e in enumerate(nums.values())},
        "n_null": f"count(*) FILTER (WHERE {any_null})",
        "max_day": f"max({day_sql}) FILTER (WHERE {valid_sql})",
        "n_late": f"count(*) FILTER (WHERE {valid_sql} AND {late_sql})",
        "n_negative": (
            f"count(*) FILTER (WHERE {valid_sql} AND NOT ({late_sql}) AND {amount_sql} < 0)"
        ),
        **id_facts_sql,
    }
    select = ", ".join(stats_sql.values())
    per_day: list[dict[str, Any]] = []
    if as_of_parsed is None:
        # by day (distinct days are few), in the same pass: the valid (and negative) rows
        # of each day give the default as_of without a second pass over the data
        per_day_sql = {
            "_day": day_sql,
            **stats_sql,
            "_n_valid": f"count(*) FILTER (WHERE {valid_sql})",
            "_n_neg": f"count(*) FILTER (WHERE {valid_sql} AND {amount_sql} < 0)",
        }
        sql = f"SELECT {', '.join(per_day_sql.values())} FROM {VIEW} GROUP BY 1"
        per_day = [dict(zip(per_day_sql, r, strict=True)) for r in run(rel, sql).fetchall()]
        stats = combine_per_day(per_day, list(stats_sql)) if per_day else {"n_rows": 0}
    else:
        row = run(rel, f"SELECT {select} FROM {VIEW}").fetchall()[0]
        stats = dict(zip(stats_sql, row, strict=True))
    n_rows = int(stats["n_rows"])
    if n_rows == 0:
        raise EmptyInputError(
            f"{_FUNC}: `transactions` has no rows. Hint: check the filter upstream."
        )
    nulls = {c: int(stats[f"null_{i}"]) for i, c in enumerate(null_sql)}
    bad = {c: int(stats[f"bad_{i}"]) for i, c in enumerate(bad_sql)}
    infs = {c: int(stats[f"inf_{i}"]) for i, c in enumerate(nums)}
    n_any_null, max_day = int(stats["n_null"]), stats["max_day"]
    n_late, n_negative = int(stats["n_late"]), int(stats["n_negative"])
    id_stats = {name: stats[name] for name in id_facts_sql}
    for col, n in bad.items():
        if not n:
            continue
        shown = bad_values(rel, col, bad_sql[col])
        if col == date:
            raise SchemaError(
                f"{_FUNC}: {n} value(s) of column {col!r} are not dates; examples: {shown}. "
                "Hint: use ISO 8601 text (2024-01-31) or datetime values."
            )
        raise SchemaError(
            f"{_FUNC}: {n} value(s) of column {col!r} are not numbers; examples: {shown}. "
            "Hint: clean the column or pass another column name."
        )
    for col, n in infs.items():
        if n:
            raise SchemaError(
                f"{_FUNC}: {n} value(s) of column {col!r} are infinite. "
                "Hint: replace them with real amounts or drop those rows."
            )
    # one notice for every change and drop, in the order of the pandas path
    notices: list[str] = []
    id_facts = id_facts_of(rel, cust, types[cust], id_stats)
    if id_facts["n_stripped"]:
        notices.append(notice_stripped_ids(int(id_facts["n_stripped"])))
    counts = {c: n for c, n in nulls.items() if n}
    check_nulls(counts, dropna=dropna, func=_FUNC)
    if counts:
        notices.append(notice_nulls(n_any_null, counts))
        if max_day is None:
            notify(_FUNC, notices, stacklevel=_STACK)
            raise EmptyInputError(f"{_FUNC}: no rows left after dropping nulls.")
    n_far = 0
    if as_of_parsed is None:
        # "now" is the latest date, unless a few dates lie far beyond the rest (typos)
        rule, n_far_negative = far_dates_per_day(per_day)
        as_of_day, n_far = rule.as_of_day, rule.n_far
        notices.extend(rule.notices)
        if n_far:
            n_negative -= n_far_negative
            late_sql = f"{day_sql} > {as_of_day}"
    else:
        as_of_day = as_of_parsed
    as_of_text = str(np.datetime64(as_of_day, "D"))
    if n_late:
        notices.append(notice_after_as_of(n_late, as_of_day))
    if n_negative:
        if returns == "error":
            notify(_FUNC, notices, stacklevel=_STACK)
            where = f"{valid_sql} AND NOT ({late_sql}) AND {amount_sql} < 0"
            shown_neg = run(
                rel, f"SELECT {amount_sql} FROM {VIEW} WHERE {where} LIMIT 50"
            ).fetchall()
            from kamseg._validation import examples

            raise SchemaError(
                f"{_FUNC}: {n_negative} row(s) have negative {amount!r} (returns); "
                f"examples: {examples(np.float64(r[0]) for r in shown_neg)}. Hint: "
                "returns='net' nets them into the customers' totals, returns='exclude' "
                "drops them."
            )
        if returns == "exclude":
            notices.append(notice_excluded_returns(n_negative))
    n_excluded = n_negative if returns == "exclude" else 0
    n_kept = n_rows - n_any_null - n_far - n_late - n_excluded
    if n_kept == 0:
        notify(_FUNC, notices, stacklevel=_STACK)
        raise EmptyInputError(
            f"{_FUNC}: no transactions left on or before as_of {as_of_text} after filtering."
        )

    filters = [valid_sql] if counts else []
    if n_late or n_far:
        filters.append(f"NOT ({late_sql})")
    if n_excluded:
        filters.append(f"{amount_sql} >= 0")
    key = _id_key(cust, types[cust], id_facts)
    return Plan(filters, key, as_of_day, n_negative, n_excluded, n_kept, notices)


def clean_plan(
    rel: duckdb.DuckDBPyRelation,
    cols: Columns,
    facts: dict[str, tuple[int | None, bool]],
    as_of_parsed: int | None,
) -> Plan | None:
    """The plan of :func:`validate` on a clean input, from checks that read next to
    nothing, or None when they cannot tell (the full checks then run).

    The Parquet footers or the Arrow arrays (`facts`: :func:`footer_facts`,
    :func:`arrow_facts`) say that the ids and the numbers have no nulls and the amount (or
    quantity and price) no value below 0; one scan of the dates alone (and of text ids:
    none empty, with surrounding spaces or a ".0") counts the rows of each day, none
    without a date, for the far-date rule or the given `as_of`. Neither a far date nor a
    date after `as_of` may exclude a row (the full checks count what an excluded row
    holds). NaN and infinite numbers are the one thing left: the caller checks that the
    summary's totals, which hold every row, are finite (:func:`finite_totals`)."""
    cust, types, day_sql = cols.cust, cols.types, cols.day[0]
    if types[cust] in FLOAT_TYPES or any(types[c] not in NUMBER_TYPES for c in cols.nums):
        return None  # float ids: NaN ids and whole numbers to check; text or decimal numbers
    if any(facts.get(c, (None, False))[0] != 0 for c in (cust, *cols.nums)):
        return None
    if not all(facts[c][1] for c in cols.factors or (cols.amount,)):
        return None  # maybe returns: counted by the full checks
    q = _q(cust)
    odd_ids = "0"
    if types[cust] in TEXT_TYPES:  # ids that customer_codes changes or drops
        odd_ids = f"count(*) FILTER (WHERE {q} = '' OR {_spaced(q)} OR contains({q}, '.0'))"
    sql = f"SELECT {day_sql}, count(*), {odd_ids} FROM {VIEW} GROUP BY 1"
    per_day = run(rel, sql).fetchall()
    if not per_day or any(d is None or odd for d, _, odd in per_day):
        return None  # no rows, rows without a date (or a bad one), or ids to normalise
    notices: list[str] = []
    if as_of_parsed is None:
        rows = [{"_day": d, "_n_valid": n, "_n_neg": 0} for d, n, _ in per_day]
        rule, _ = far_dates_per_day(rows)
        if rule.n_far:
            return None
        as_of_day = rule.as_of_day
        notices.extend(rule.notices)
    elif any(d > as_of_parsed for d, _, _ in per_day):
        return None
    else:
        as_of_day = as_of_parsed
    n_rows = sum(int(n) for _, n, _ in per_day)
    key = _id_key(cust, types[cust], {"n_stripped": 0, "whole_text": False, "whole_float": False})
    return Plan([], key, as_of_day, 0, 0, n_rows, notices)


def finite_totals(result: pd.DataFrame) -> bool:
    """Whether every customer's revenue (and profit) in the customer table is finite."""
    names = [c for c in ("revenue", "profit") if c in result]
    return all(bool(np.isfinite(result[c].to_numpy()).all()) for c in names)


def arrow_facts(table: Any, columns: list[str]) -> dict[str, tuple[int | None, bool]]:
    """What the Arrow `table` says of each of `columns`, as :func:`footer_facts`: its nulls
    (kept by the arrays) and whether no value is below 0 (numbers only; one pass over the
    column, far cheaper than DuckDB's checks)."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    facts: dict[str, tuple[int | None, bool]] = {}
    for col in columns:
        if col not in table.column_names:
            continue
        values = table.column(col)
        positive = False
        if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
            low = pc.min_max(values)["min"].as_py()  # NaN or not, the totals tell
            positive = low is not None and low >= 0
        facts[col] = (values.null_count, positive)
    return facts


def parquet_glob(source: str | os.PathLike[str]) -> str:
    """The Parquet files a path names: the path, or every ``*.parquet`` below a folder."""
    path = str(os.fspath(source))
    if os.path.isdir(path):  # a folder of Parquet files (e.g. a partitioned data set)
        path = os.path.join(path, "**", "*.parquet")
    return path


def footer_facts(
    rel: duckdb.DuckDBPyRelation, path: str, columns: list[str]
) -> dict[str, tuple[int | None, bool]]:
    """What the footers of the Parquet files of `path` (a glob) say of each of `columns` (in
    every row group of every file, as DuckDB reads them): its nulls (None when a row group
    does not say) and whether no value is below 0 (False when one may be or it is unsaid);
    a column missing from a row group (a Hive partition key) is left out. No row is read."""
    low = "TRY_CAST(stats_min_value AS DOUBLE)"
    names = ", ".join(_lit(c) for c in columns)
    sql = f"""
WITH meta AS (SELECT * FROM parquet_metadata({_lit(path)}))
SELECT path_in_schema, count(*) = any_value(n.groups), count(stats_null_count) = count(*),
       sum(stats_null_count), count(*) FILTER (WHERE {low} >= 0 AND NOT isnan({low})) = count(*)
FROM meta, (SELECT count(*) AS groups FROM (SELECT DISTINCT file_name, row_group_id FROM meta)) n
WHERE path_in_schema IN ({names}) GROUP BY 1"""
    import duckdb

    try:
        found = run(rel, sql).fetchall()
    except duckdb.Error:  # pragma: no cover - a source read_parquet reads and this not
        return {}
    facts: dict[str, tuple[int | None, bool]] = {}
    for col, every_group, said, nulls, positive in found:
        if every_group:
            facts[col] = (int(nulls) if said else None, bool(positive))
    return facts


def id_facts_of(
    rel: duckdb.DuckDBPyRelation, col: str, dtype: str, stats: dict[str, Any]
) -> dict[str, Any]:
    """How the ids of `col` are normalised, as :func:`kamseg.transactions.customer_codes`
    does, from the aggregates of :func:`_id_checks` (`stats`) and, only for ids that need
    it, a second look at the rows: ``n_stripped``, the distinct text ids with surrounding
    spaces; ``whole_text``, whether every text id reads as a whole number and some have a
    ".0" ("17850.0"); ``whole_float``, whether every float id is a whole number."""
    q = _q(col)
    facts = {"n_stripped": 0, "whole_text": False, "whole_float": bool(stats.get("whole_float"))}
    if dtype not in TEXT_TYPES:
        return facts
    if stats["n_spaced"]:
        sql = f"SELECT count(DISTINCT {q}) FROM {VIEW} WHERE {_spaced(q)}"
        facts["n_stripped"] = int(run(rel, sql).fetchall()[0][0])
    # some id holds ".0" (ids of spaces only are null): look closer
    if stats["n_dot_zero"]:
        whole = f"regexp_full_match({_trim(q)}, {_lit(WHOLE_NUMBER_TEXT)})"
        sql = f"SELECT bool_and({whole}) FROM {VIEW} WHERE NOT ({q} IS NULL OR {_blank(q)})"
        facts["whole_text"] = bool(run(rel, sql).fetchall()[0][0])
    return facts
