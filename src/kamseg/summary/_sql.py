"""The SQL texts of the DuckDB summary (and the constants its Spark twin shares).

Split from :mod:`kamseg.summary._duckdb`, which runs them: quoting, period numbers, the day
and number expressions of the input's columns, the customer-id cleaning expressions, the
far-date rule on the rows per day, and the two summary queries (without and with netted
returns). They are the SQL twins of the rules of :mod:`kamseg.transactions`
(:func:`~kamseg.transactions.customer_codes`, :func:`~kamseg.transactions.purchase_periods`,
:func:`~kamseg.transactions.net_sums`); the far-date rule is the pandas path's own
(:func:`~kamseg.transactions.default_as_of_per_day`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np

from kamseg._types import NEED_SPEND_PREFIX, NeedMap
from kamseg.transactions import NET_TOLERANCE, DefaultAsOf, default_as_of_per_day

#: Name of the view of the input rows in the queries.
VIEW = "kamseg_tx"
#: DuckDB types of text and floating-point id columns.
TEXT_TYPES = ("VARCHAR",)
FLOAT_TYPES = ("FLOAT", "DOUBLE")

_EPOCH = "DATE '1970-01-01'"


#: What Python's str.strip() strips (the characters of str.isspace), so that the SQL engines
#: trim ids as pandas does.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


#: Text ids that read as whole numbers ("17850", "17850.0"), as
#: kamseg._ids._WHOLE_NUMBER_TEXT (\p{Nd}: any decimal digit, as Python's \d).
WHOLE_NUMBER_TEXT = r"-?\p{Nd}+(\.0+)?"


#: Float ids below this size are whole numbers exactly representable as int64 (2**53).
MAX_EXACT_FLOAT = 2**53


def _q(name: Hashable) -> str:
    """Quote a column name as an SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text: str) -> str:
    """Quote a string as an SQL literal."""
    return "'" + text.replace("'", "''") + "'"


def _is_nan(expr: str) -> str:
    """SQL test that a float is NaN, also in a WHERE clause on Parquet files: DuckDB (2.0)
    prunes ``WHERE isnan(x)`` with the column's min/max statistics, which leave NaN out, so
    the rows of a NaN stored as a value were kept by ``NOT isnan(x)``; ``isfinite`` and
    ``isinf`` are not pruned so."""
    return f"(NOT isfinite({expr}) AND NOT isinf({expr}))"


def _period(day: str, freq: str) -> str:
    if freq == "D":
        return day
    if freq == "W":
        return f"CAST(floor(({day} + 3) / 7) AS BIGINT)"
    date = f"({_EPOCH} + CAST({day} AS INTEGER))"
    return f"(datepart('year', {date}) * 12 + datepart('month', {date}) - 23641)"


def _trim(q: str) -> str:
    """`q` trimmed as Python's str.strip() trims.

    (Slow: about 1 µs a row. Guard it with :func:`_spaced`, which is 30 times faster.)"""
    return f"trim({q}, {_lit(WHITESPACE)})"


def _spaced(q: str) -> str:
    """Whether text `q` begins or ends with a space (the rows :func:`_trim` changes)."""
    codes = ", ".join(str(ord(c)) for c in WHITESPACE)
    return f"(ord({q}) IN ({codes}) OR ord({q}[-1]) IN ({codes}))"


def _blank(q: str) -> str:
    """Whether text `q` is empty after trimming (CASE evaluates the trim only when needed;
    AND and OR may evaluate both sides)."""
    return f"(CASE WHEN {q} = '' THEN TRUE WHEN {_spaced(q)} THEN {_trim(q)} = '' ELSE FALSE END)"


def _id_checks(col: str, dtype: str) -> tuple[str, dict[str, str]]:
    """The SQL null test of the customer id column `col`, and the aggregates (cheap ones,
    for the one validation pass) that tell how its ids are normalised: see
    :func:`_id_facts`."""
    q = _q(col)
    if dtype in TEXT_TYPES:
        return f"({q} IS NULL OR {_blank(q)})", {
            "n_spaced": f"count(*) FILTER (WHERE {_spaced(q)})",
            "n_blank": f"count(*) FILTER (WHERE {_blank(q)})",
            "n_dot_zero": f"count(*) FILTER (WHERE contains({q}, '.0'))",
        }
    if dtype in FLOAT_TYPES:
        whole = f"abs({q}) < {MAX_EXACT_FLOAT} AND {q} = trunc({q})"
        return f"({q} IS NULL OR {_is_nan(q)})", {
            "whole_float": f"bool_and({whole}) FILTER (WHERE NOT {_is_nan(q)})"
        }
    return f"{q} IS NULL", {}


def _id_key(col: str, dtype: str, facts: dict[str, Any]) -> str:
    """The SQL customer id of `col`, normalised as `facts` (from :func:`_id_facts`) say."""
    q = _q(col)
    if dtype in TEXT_TYPES:
        key = f"(CASE WHEN {_spaced(q)} THEN {_trim(q)} ELSE {q} END)"
        if facts["whole_text"]:
            return f"regexp_replace({key}, '\\.0+$', '')"
        return key if facts["n_stripped"] else q
    if dtype in FLOAT_TYPES and facts["whole_float"]:
        return f"CAST({q} AS BIGINT)"
    return q


def combine_per_day(rows: list[Any], names: list[str]) -> dict[str, Any]:
    """The validation aggregates of the whole table from those of each day (`rows`):
    counts add up, ``max_day`` is the largest, ``whole_float`` (a bool_and) holds if it
    holds every day; nulls (no value that day) are left out."""
    out: dict[str, Any] = {}
    for name in names:
        values = [row[name] for row in rows if row[name] is not None]
        if name == "max_day":
            out[name] = max(values, default=None)
        elif name == "whole_float":
            out[name] = all(values) if values else None
        else:
            out[name] = sum(values)
    return out


def far_dates_per_day(per_day: list[Any]) -> tuple[DefaultAsOf, int]:
    """:func:`kamseg.transactions.default_as_of_per_day` (the pandas path's rule, the same
    function) on the valid rows (and the negative ones) per distinct day (rows with
    ``_day``, ``_n_valid`` and ``_n_neg``, at least one valid), collected with the
    validation counts in the same pass: when as_of is not given, the engines group their
    validation aggregates by day (distinct days are few; a window over them in Spark would
    move them to one partition anyway).

    Returns the default as_of, with the far rows (dated after it) and its notices, and the
    negative rows among the far ones.
    """
    rows = [r for r in per_day if r["_day"] is not None and r["_n_valid"]]
    d = np.array([r["_day"] for r in rows], dtype=np.int64)
    n = np.array([r["_n_valid"] for r in rows], dtype=np.int64)
    n_neg = np.array([r["_n_neg"] for r in rows], dtype=np.int64)
    order = np.argsort(d)
    d, n, n_neg = d[order], n[order], n_neg[order]
    rule = default_as_of_per_day(d, n)
    return rule, int(n_neg[d > rule.as_of_day].sum())


def _day_expr(col: str, dtype: str, zone: str | None) -> tuple[str, bool] | None:
    """SQL day number (days since 1970-01-01) of a date column; (expr, is_text)."""
    q = _q(col)
    if dtype == "DATE":
        return f"({q} - {_EPOCH})", False
    if "WITH TIME ZONE" in dtype:
        return f"(CAST(timezone({_lit(zone or 'UTC')}, {q}) AS DATE) - {_EPOCH})", False
    if dtype.startswith("TIMESTAMP"):
        return f"(CAST({q} AS DATE) - {_EPOCH})", False
    if dtype in TEXT_TYPES:
        return f"(CAST(TRY_CAST({q} AS TIMESTAMP) AS DATE) - {_EPOCH})", True
    return None


def _num_expr(col: str, dtype: str) -> tuple[str, bool] | None:
    """SQL float64 value of a numeric column; (expr, is_text)."""
    q = _q(col)
    if dtype in NUMBER_TYPES or dtype.startswith("DECIMAL"):
        return f"CAST({q} AS DOUBLE)", False
    if dtype in TEXT_TYPES:
        return f"TRY_CAST(trim({q}) AS DOUBLE)", True
    return None


def _snap(net: str, gross: str) -> str:
    """SQL twin of :func:`kamseg.transactions.net_sums`: a net sum that is only rounding
    error (at most :data:`~kamseg.transactions.NET_TOLERANCE` times the sum of the absolute
    amounts, `gross`) is exactly 0. Sums without a negative term never change, and an
    overflowing (infinite) sum stays infinite, to be refused."""
    zero = f"isfinite({net}) AND abs({net}) <= {NET_TOLERANCE!r} * {gross}"
    return f"(CASE WHEN {zero} THEN 0.0 ELSE {net} END)"


def _activity(
    activity: tuple[int, int] | None,
    *,
    order: str | None,
    netted: bool,
    job_columns: bool = False,
    as_of_day: int = 0,
) -> tuple[str, str, str]:
    """The SQL twin of :func:`kamseg.features.window_activity` for the customer table:
    ``(ctes, columns, join)`` to add to a summary query, for `activity` ``(end_day,
    window)`` (None: nothing to add). The columns are
    :data:`kamseg.features.ACTIVITY_COLUMNS`: spend (plain sums of the rows), purchase days
    (a day is a purchase unless returns bring its net to <= 0) and orders (rows with an
    amount >= 0, or order ids whose net is > 0 or that have no negative line) in the
    recent and the previous window, and whether the customer's first row is at least two
    windows old. With `netted` returns the query's ``per_day`` holds every (customer, day);
    without, a ``act_day`` of the windows' days is added and the first row is
    ``per_cust.first_day``.

    With `job_columns`, also what :func:`kamseg.segment`'s steps read from a daily summary
    (:data:`JOB_COLUMNS`): the purchase days' repeat purchases, recency and mean repeat spend
    (the daily ``frequency``, ``recency`` and ``monetary_value``, for a weekly or monthly
    table) and the spend in the last 90 and 180 days up to `as_of_day` (the churn
    features), from the same (customer, day) rows."""
    if activity is None:
        return "", "", ""
    end, window = activity
    start, mid = end - 2 * window, end - window  # previous window: (start, mid]
    buy = "(a > 0 OR NOT neg)"
    ctes = ""
    days = "per_day"
    if not netted:
        days = "act_day"
        since = "" if job_columns else f"WHERE d > {start}"  # every day for the daily columns
        ctes += f""",
act_day AS (
    SELECT c, d, fsum(a) AS s, fsum(a) AS a, FALSE AS neg, count(*) AS n_orders
    FROM base {since} GROUP BY c, d
)"""
    in_windows = f"d > {start}"
    daily = ""
    if job_columns:  # a day is a purchase day by the rule of days (netted: `buy`)
        daily = f""",
           count(*) FILTER (WHERE {buy}) AS n_days,
           fsum(a) FILTER (WHERE {buy}) - arg_min(a, d) FILTER (WHERE {buy}) AS day_repeat,
           coalesce(fsum(s) FILTER (WHERE d > {as_of_day - 90}), 0.0) AS spend_90d,
           coalesce(fsum(s) FILTER (WHERE d > {as_of_day - 180}), 0.0) AS spend_180d"""
    orders = f"coalesce(sum(n_orders) FILTER (WHERE {in_windows}), 0)"
    ctes += f""",
act AS (
    SELECT c,
           coalesce(fsum(s) FILTER (WHERE d > {mid}), 0.0) AS activity_spend_recent,
           coalesce(fsum(s) FILTER (WHERE {in_windows} AND d <= {mid}), 0.0)
               AS activity_spend_previous,
           count(*) FILTER (WHERE d > {mid} AND {buy}) AS activity_days_recent,
           count(*) FILTER (WHERE {in_windows} AND d <= {mid} AND {buy})
               AS activity_days_previous,
           {orders} AS activity_orders{", min(d) AS first_row" if netted else ""}{daily}
    FROM {days} GROUP BY c
)"""
    order_col = "act.activity_orders"
    join = "LEFT JOIN act USING (c)"
    if order is not None:  # order ids in the windows, less the cancellation documents
        ctes += f""",
act_orders AS (
    SELECT c, count(*) FILTER (WHERE {buy}) AS activity_orders
    FROM (
        SELECT c, {_snap("fsum(a)", "fsum(abs(a))")} AS a, bool_or(a < 0) AS neg
        FROM base WHERE {in_windows} GROUP BY c, o
    )
    GROUP BY c
)"""
        order_col = "act_orders.activity_orders"
        join += " LEFT JOIN act_orders USING (c)"
    first = "act.first_row" if netted else "first_day"
    columns = f""",
       coalesce(act.activity_spend_recent, 0.0) AS activity_spend_recent,
       coalesce(act.activity_spend_previous, 0.0) AS activity_spend_previous,
       CAST(coalesce(act.activity_days_recent, 0) AS DOUBLE) AS activity_days_recent,
       CAST(coalesce(act.activity_days_previous, 0) AS DOUBLE) AS activity_days_previous,
       CAST(coalesce({order_col}, 0) AS BIGINT) AS activity_orders,
       coalesce({first} <= {start}, FALSE) AS activity_covers"""
    if job_columns:
        columns += """,
       CAST(greatest(act.n_days - 1, 0) AS DOUBLE) AS daily_frequency,
       CAST(last_day - first_day AS DOUBLE) AS daily_recency,
       CASE WHEN act.n_days > 1 THEN act.day_repeat / CAST(act.n_days - 1 AS DOUBLE)
            ELSE 0.0 END AS daily_monetary_value,
       act.spend_90d AS churn_spend_90d,
       act.spend_180d AS churn_spend_180d"""
    return ctes, columns, join


#: DuckDB's number types (the values a numeric amount column, or a numeric catalogue key,
#: may hold; DECIMAL(p, s) besides).
NUMBER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
)


def need_map_sql(need: NeedMap, dtype: str) -> str:
    """The ``need_map (key, lvl, cat)`` CTE of the catalogue keys that can equal values of a
    product column of DuckDB type `dtype`, as pandas matches them (by value: text keys to
    text, numbers to numbers; 5 and 5.0 are one key; no text equals a number)."""
    numeric = dtype in NUMBER_TYPES or dtype.startswith("DECIMAL")
    rows = []
    for key, lvl, cat in zip(need.keys, need.level, need.category, strict=True):
        if isinstance(key, str) and (dtype in TEXT_TYPES or dtype.startswith("ENUM")):
            lit = _lit(key)
        elif (
            numeric
            and isinstance(key, int | float | np.integer | np.floating)
            and not isinstance(key, bool | np.bool_)
            and np.isfinite(key)
        ):
            number = float(key)
            whole = number.is_integer() and abs(number) < 2**63
            lit = repr(int(key)) if whole else repr(number)
        else:
            continue
        rows.append(f"({lit}, {int(lvl)}, {int(cat)})")
    if not rows:  # no key of the column's kind: nothing matches
        return (
            "need_map AS (SELECT NULL AS key, CAST(NULL AS INTEGER) AS lvl, "
            "CAST(NULL AS BIGINT) AS cat WHERE FALSE)"
        )
    return f"need_map(key, lvl, cat) AS (VALUES {', '.join(rows)})"


def _need(need: tuple[str, int] | None) -> tuple[str, str, str]:
    """The SQL twin of :func:`kamseg.features.highest_level` and the spend of
    :func:`kamseg.features.category_profile` for the customer table: ``(ctes, columns,
    join)`` to add to a summary query whose ``base`` has the product key ``k``, for `need`
    ``(need_map CTE, number of categories)`` (None: nothing to add). The columns are
    :data:`~kamseg._types.NEED_COLUMNS` and the net spend of each category (plain sums of
    the matched rows; a customer with no matched row has level -1 and spend 0)."""
    if need is None:
        return "", "", ""
    map_cte, n_cat = need
    # a net that is only rounding error is 0, as in category_profile
    cat = [f"FILTER (WHERE m.cat = {i})" for i in range(n_cat)]
    spend = "".join(
        f",\n           {_snap(f'fsum(b.a) {c}', f'fsum(abs(b.a)) {c}')} AS s{i}"
        for i, c in enumerate(cat)
    )
    ctes = f""",
{map_cte},
need AS (
    SELECT b.c, max(m.lvl) AS need_highest{spend}
    FROM base b JOIN need_map m ON b.k = m.key
    GROUP BY b.c
)"""
    columns = ",\n       CAST(coalesce(need.need_highest, -1) AS BIGINT) AS need_highest"
    columns += "".join(
        f",\n       coalesce(need.s{i}, 0.0) AS {NEED_SPEND_PREFIX}{i}" for i in range(n_cat)
    )
    return ctes, columns, "LEFT JOIN need USING (c)"


def _summary_sql(
    *,
    cust: str,
    day: str,
    amount: str,
    profit: str | None,
    order: str | None,
    where: str,
    freq: str,
    as_of_day: int,
    as_of_period: str,
    netted: bool,
    activity: tuple[int, int] | None = None,
    job_columns: bool = False,
    product: str | None = None,
    need: tuple[str, int] | None = None,
    rescan: bool = True,
) -> str:
    """The one definition of the customer table, in SQL (see :func:`kamseg.summarize`).

    With `netted` returns (some amounts negative), only purchase periods count, as
    :func:`kamseg.transactions.purchase_periods` and the pandas path define them: a
    (customer, period) with a negative row and a net <= 0 is no purchase; a day is a
    purchase day when its net is > 0 or it has no negative row, and a purchase day in a
    purchase period is a day that can be the first or last purchase.

    With `rescan`, ``base`` is ``NOT MATERIALIZED``: each aggregate that reads it scans
    the input again. DuckDB otherwise materialises a CTE read more than once, and feeding
    the rows to its readers (periods, orders, days and orders of the windows, need level)
    took 5 of the query's 10 s at 10M rows on one thread, where a scan of the Parquet
    columns takes 0.15 s. Without it (a pass over a part of the customers: each scan would
    read every row to keep a few), the rows of the pass are materialised once.
    """
    if netted:
        return _summary_sql_netted(
            cust=cust,
            day=day,
            amount=amount,
            profit=profit,
            order=order,
            where=where,
            freq=freq,
            as_of_day=as_of_day,
            as_of_period=as_of_period,
            activity=activity,
            job_columns=job_columns,
            product=product,
            need=need,
            rescan=rescan,
        )
    act_ctes, act_cols, act_join = _activity(
        activity, order=order, netted=False, job_columns=job_columns, as_of_day=as_of_day
    )
    need_ctes, need_cols, need_join = _need(need)
    k_base = f", {product} AS k" if need is not None else ""
    p_base = f", {profit} AS p" if profit else ""
    p_period = ", fsum(p) AS p, fsum(abs(p)) AS gp" if profit else ""
    p_cust = f", {_snap('fsum(p)', 'fsum(gp)')} AS profit" if profit else ""
    p_out = ", CAST(profit AS DOUBLE) AS profit" if profit else ""
    o_base = f", {order} AS o" if order else ""
    if order:
        # distinct order ids, a missing one counted once: the (customer, order) groups
        # (DuckDB's plan of count(DISTINCT o) took 10 % longer at 10M rows)
        orders_cte = """,
orders AS (
    SELECT c, count(*) AS n_orders FROM (SELECT c, o FROM base GROUP BY c, o) GROUP BY c
)"""
        n_orders = "orders.n_orders"
        join = "JOIN orders USING (c)"
    else:
        orders_cte, n_orders, join = "", "per_cust.n_rows", ""
    # a day is its own period: no first and last day per period to keep
    days = ("", "per", "per") if freq == "D" else (" min(d) AS d0, max(d) AS d1,", "d0", "d1")
    return f"""
WITH base AS {"NOT MATERIALIZED" if rescan else ""} (
    SELECT {cust} AS c, {day} AS d, {amount} AS a{p_base}{o_base}{k_base}
    FROM {VIEW} WHERE {where}
),
per_period AS (
    SELECT c, {_period("d", freq)} AS per,{days[0]} count(*) AS n,
           fsum(a) AS a{p_period}
    FROM base GROUP BY ALL
),
per_cust AS (
    SELECT c, min({days[1]}) AS first_day, max({days[2]}) AS last_day, sum(n) AS n_rows,
           fsum(a) AS revenue{p_cust}, count(*) AS n_periods,
           min(per) AS first_period, max(per) AS last_period,
           fsum(a) - arg_min(a, per) AS repeat_amount
    FROM per_period GROUP BY c
){orders_cte}{act_ctes}{need_ctes}
SELECT c, first_day, last_day, CAST({n_orders} AS BIGINT) AS n_orders,
       CAST(revenue AS DOUBLE) AS revenue{p_out},
       CAST(revenue AS DOUBLE) / CAST({n_orders} AS DOUBLE) AS avg_order_value,
       CAST({as_of_day} - last_day AS BIGINT) AS days_since_last,
       CAST({as_of_day} - first_day AS BIGINT) AS tenure_days,
       CAST(n_periods - 1 AS DOUBLE) AS frequency,
       CAST(last_period - first_period AS DOUBLE) AS recency,
       CAST({as_of_period} - first_period AS DOUBLE) AS "T",
       CASE WHEN n_periods > 1 THEN repeat_amount / CAST(n_periods - 1 AS DOUBLE)
            ELSE 0.0 END AS monetary_value,
       revenue <= 0 AS nonpositive_revenue{act_cols}{need_cols}
FROM per_cust {join} {act_join} {need_join}
ORDER BY c
"""


def _summary_sql_netted(
    *,
    cust: str,
    day: str,
    amount: str,
    profit: str | None,
    order: str | None,
    where: str,
    freq: str,
    as_of_day: int,
    as_of_period: str,
    activity: tuple[int, int] | None = None,
    job_columns: bool = False,
    product: str | None = None,
    need: tuple[str, int] | None = None,
    rescan: bool = True,
) -> str:
    """:func:`_summary_sql` when returns are netted: purchase days and periods first.

    Each level keeps the plain sum of its amounts (``s``) and of their absolute values
    (``g``), so that its net (``a``) is :func:`_snap`-ped as the pandas path's
    :func:`~kamseg.transactions.net_sums` of the rows: a full cancellation nets to 0.
    """
    p_base = f", {profit} AS p" if profit else ""
    p_sum = ", fsum(p) AS p, fsum(gp) AS gp" if profit else ""
    p_cust = f", {_snap('fsum(p)', 'fsum(gp)')} AS profit" if profit else ""
    p_out = ", CAST(profit AS DOUBLE) AS profit" if profit else ""
    o_base = f", {order} AS o" if order else ""
    buy = "(a > 0 OR NOT neg)"  # a purchase: net > 0, or no negative row
    if freq == "D":  # a day is its own period
        per_period = f"""
    SELECT c, d AS per, s, g, a, neg, d AS d0, CASE WHEN {buy} THEN d END AS ok0,
           CASE WHEN {buy} THEN d END AS ok1, n_orders{", p, gp" if profit else ""}
    FROM per_day"""
    else:
        per_period = f"""
    SELECT *, {_snap("s", "g")} AS a FROM (
        SELECT c, {_period("d", freq)} AS per, fsum(s) AS s, fsum(g) AS g, bool_or(neg) AS neg,
               min(d) AS d0, min(d) FILTER (WHERE {buy}) AS ok0,
               max(d) FILTER (WHERE {buy}) AS ok1, sum(n_orders) AS n_orders{p_sum}
        FROM per_day GROUP BY ALL
    )"""
    if order:  # orders whose net is > 0 or that have no negative line
        orders_cte = f""",
orders AS (
    SELECT c, count(*) FILTER (WHERE {buy}) AS n_orders
    FROM (
        SELECT c, {_snap("fsum(a)", "fsum(abs(a))")} AS a, bool_or(a < 0) AS neg
        FROM base GROUP BY c, o
    )
    GROUP BY c
)"""
        n_orders = "orders.n_orders"
        join = "JOIN orders USING (c)"
    else:  # each row is an order
        orders_cte, n_orders, join = "", "per_cust.n_orders", ""
    act_ctes, act_cols, act_join = _activity(
        activity, order=order, netted=True, job_columns=job_columns, as_of_day=as_of_day
    )
    need_ctes, need_cols, need_join = _need(need)
    k_base = f", {product} AS k" if need is not None else ""
    return f"""
WITH base AS {"NOT MATERIALIZED" if rescan else ""} (
    SELECT {cust} AS c, {day} AS d, {amount} AS a{p_base}{o_base}{k_base}
    FROM {VIEW} WHERE {where}
),
per_day AS (
    SELECT *, {_snap("s", "g")} AS a FROM (
        SELECT c, d, fsum(a) AS s, fsum(abs(a)) AS g, bool_or(a < 0) AS neg,
               count(*) FILTER (WHERE a >= 0) AS n_orders
               {", fsum(p) AS p, fsum(abs(p)) AS gp" if profit else ""}
        FROM base GROUP BY c, d
    )
),
per_period AS ({per_period}
),
per_cust AS (
    -- no purchase at all (all cancelled): first and last "purchase" on the first day
    -- the days by the rule of days, the periods by the rule of periods
    SELECT c, coalesce(min(ok0), min(d0)) AS first_day,
           coalesce(max(ok1), min(d0)) AS last_day,
           min(per) FILTER (WHERE {buy}) AS first_buy, max(per) FILTER (WHERE {buy}) AS last_buy,
           {_snap("fsum(s)", "fsum(g)")} AS revenue{p_cust}, sum(n_orders) AS n_orders,
           count(*) FILTER (WHERE {buy}) AS n_periods,
           fsum(a) FILTER (WHERE {buy}) - arg_min(a, per) FILTER (WHERE {buy})
               AS repeat_amount
    FROM per_period GROUP BY c
){orders_cte},
out AS (
    SELECT c, first_day, last_day, CAST({n_orders} AS BIGINT) AS n_orders,
           CAST(revenue AS DOUBLE) AS revenue{p_out},
           greatest(n_periods - 1, 0) AS n_repeat,
           coalesce(first_buy, {_period("first_day", freq)}) AS first_period,
           coalesce(last_buy, first_buy, {_period("first_day", freq)}) AS last_period,
           repeat_amount
    FROM per_cust {join}
){act_ctes}{need_ctes}
SELECT c, first_day, last_day, n_orders, revenue{", profit" if profit else ""},
       CASE WHEN n_orders > 0 THEN revenue / CAST(n_orders AS DOUBLE)
            ELSE CAST('NaN' AS DOUBLE) END AS avg_order_value,
       CAST({as_of_day} - last_day AS BIGINT) AS days_since_last,
       CAST({as_of_day} - first_day AS BIGINT) AS tenure_days,
       CAST(n_repeat AS DOUBLE) AS frequency,
       CAST(last_period - first_period AS DOUBLE) AS recency,
       CAST({as_of_period} - first_period AS DOUBLE) AS "T",
       CASE WHEN n_repeat > 0 THEN repeat_amount / CAST(n_repeat AS DOUBLE)
            ELSE 0.0 END AS monetary_value,
       revenue <= 0 AS nonpositive_revenue{act_cols}{need_cols}
FROM out {act_join} {need_join}
ORDER BY c
"""
