"""Key-account management (KAM) performance over time: revenue, retention, churn, NPS/CSAT.

The source document on key-account management (seed 000) evaluates a KAM programme by
**sales growth, customer satisfaction and churn rate**. Two functions compute these from a
transaction table:

- :func:`kam_performance`: one row per calendar period (month, quarter or year) and group
  (the key accounts, the other customers, and all customers) with revenue, profit, growth,
  revenue share, active / retained / churned / new / reactivated customers, retention and
  churn rates, and, given survey answers, NPS and CSAT;
- :func:`cohort_retention`: the cohort retention matrix, rows = the period of each
  customer's first purchase, columns = periods since then.

Both read the transactions under the one set of rules of :func:`kamseg.prepare_transactions`
(a DataFrame is prepared with the keyword options, one notice per call) or take them
prepared once (:class:`~kamseg.transactions.PreparedTransactions`, used as they are). The
NPS and CSAT of the answers are the shared scores of :mod:`kamseg.features`.

Definitions
-----------
A customer is **active** in a period when they have at least one transaction dated in it
(any amount: a period with only returns counts as active). For a group of customers and a
period ``t`` with previous period ``t - 1``:

- ``revenue``: the sum of the amounts of the group's transactions in ``t`` (net of
  returns); ``profit`` likewise;
- ``revenue_growth = revenue[t] / revenue[t - 1] - 1``, a fraction (0.25 = +25 %); NaN in the
  first period of the data and when ``revenue[t - 1] <= 0``;
- ``revenue_share = revenue[t] of the group / revenue[t] of all customers``; NaN when the
  total is ``<= 0``;
- ``active_customers``: customers of the group active in ``t``;
- ``retained``: active in ``t - 1`` **and** in ``t``;
- ``churned``: active in ``t - 1`` but **not** in ``t`` (``active[t - 1] - retained``);
- ``retention_rate = retained / active[t - 1]`` and ``churn_rate = churned / active[t - 1]
  = 1 - retention_rate``; NaN when nobody in the group was active in ``t - 1``;
- ``new``: customers whose first purchase in the data is in ``t``;
- ``reactivated``: active in ``t``, not in ``t - 1``, and bought before ``t - 1``;
- ``gained = new + reactivated = active[t] - retained``, so that
  ``active[t] = active[t - 1] - churned[t] + gained[t]``.

Churn here is *period churn*: a customer who buys once a year churns and is reactivated
with quarterly periods. Choose the period to match the buying rhythm of the accounts.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from types import MappingProxyType
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._tables import side_table
from kamseg._types import ReturnsPolicy
from kamseg._validation import (
    as_of_day,
    check_choice,
    check_columns,
    check_frame,
    check_int,
    customer_ids,
    examples,
    warn,
)
from kamseg.errors import ConfigError, EmptyInputError, SchemaError
from kamseg.features._surveys import (
    CSAT_SCALE,
    NPS_SCALE,
    answers,
    band_counts,
    csat_band,
    csat_score,
    nps_band,
    nps_score,
)
from kamseg.labels import LabelTable, Language, check_language, translate_all
from kamseg.transactions import PreparedTransactions, as_prepared

__all__ = [
    "KAM_GROUPS",
    "KAM_GROUP_LABELS",
    "KAM_PERFORMANCE_COLUMNS",
    "CalendarFreq",
    "CohortKind",
    "cohort_retention",
    "kam_performance",
]

CalendarFreq = Literal["M", "Q", "Y"]
"""The ``freq`` of the calendar tables: ``"M"`` months, ``"Q"`` quarters (Jan-Mar, ...),
``"Y"`` years."""

CohortKind = Literal["share", "count"]
"""Cells of the cohort matrix: the share of the cohort active, or the count of customers."""

#: The groups of :func:`kam_performance`, in row order within each period.
KAM_GROUPS: tuple[str, str, str] = ("key", "other", "all")

KAM_GROUP_LABELS: LabelTable = MappingProxyType(
    {
        "key": MappingProxyType({"en": "key", "zh": "重点客户"}),
        "other": MappingProxyType({"en": "other", "zh": "其他客户"}),
        "all": MappingProxyType({"en": "all", "zh": "全部客户"}),
    }
)
"""Display names of the groups of :func:`kam_performance` (canonical English -> Chinese)."""

#: Columns of :func:`kam_performance`, in order (``profit`` only with `profit_col`; the
#: ``nps*`` / ``csat*`` columns only with `surveys`).
KAM_PERFORMANCE_COLUMNS: tuple[str, ...] = (
    "revenue",
    "profit",
    "revenue_growth",
    "revenue_share",
    "active_customers",
    "retained",
    "churned",
    "retention_rate",
    "churn_rate",
    "new",
    "reactivated",
    "gained",
    "nps",
    "nps_responses",
    "csat",
    "csat_responses",
    "partial",
)

_MONTHS: dict[str, int] = {"M": 1, "Q": 3, "Y": 12}
_ONE = "__kamseg_one__"  # the amount column of a table read without amounts


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _period_of(days: np.ndarray, freq: str) -> np.ndarray:
    """Period ordinals (as pandas ``Period.ordinal``) of day numbers."""
    months = days.astype("datetime64[D]").astype("datetime64[M]").view(np.int64)
    out: np.ndarray = months // _MONTHS[freq]
    return out


def _last_day(ordinals: np.ndarray, freq: str) -> np.ndarray:
    """Day number of the last day of each period."""
    next_month = (ordinals + 1) * _MONTHS[freq]
    first_of_next = next_month.astype("datetime64[M]").astype("datetime64[D]").view(np.int64)
    out: np.ndarray = first_of_next - 1
    return out


def _period_index(first: int, n: int, freq: str, name: str) -> pd.PeriodIndex:
    year, month = divmod(first * _MONTHS[freq], 12)
    begin = pd.Period(year=1970 + year, month=month + 1, freq=freq)
    return pd.period_range(start=begin, periods=n, freq=freq, name=name)


def _prepared(
    transactions: Any,
    *,
    func: str,
    customer_col: Hashable,
    date_col: Hashable,
    amount_col: Hashable | None,
    profit_col: Hashable | None = None,
    as_of: Any,
    dropna: bool,
    returns: ReturnsPolicy,
) -> PreparedTransactions:
    """The transactions prepared (a prepared input as it is); ``amount_col=None``: a table
    without amounts, each row a purchase."""
    if amount_col is None and not isinstance(transactions, PreparedTransactions):
        tx = check_frame(transactions, func=func, arg="transactions", allow_empty=True)
        check_columns(tx, {"customer_col": customer_col, "date_col": date_col}, func=func)
        transactions = tx[[customer_col, date_col]].assign(**{_ONE: 1.0})
        amount_col = _ONE
    return as_prepared(
        transactions,
        func=func,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        profit_col=profit_col,
        as_of=as_of,
        dropna=dropna,
        returns=returns,
        stacklevel=7,
    )


def _check_rows(prepared: PreparedTransactions, *, func: str) -> None:
    """Refuse prepared transactions without a row (cut off before their first date)."""
    if prepared.n_rows == 0:
        raise EmptyInputError(
            f"{func}: no transaction is dated on or before as_of {prepared.as_of.date()}. "
            "Hint: check `as_of`."
        )


def _key_ids(key_accounts: object, key_col: Hashable, *, func: str) -> pd.Index:
    """The key-account ids from a customer table, a boolean Series or a collection of ids."""
    if isinstance(key_accounts, pd.DataFrame):
        check_columns(key_accounts, {"key_col": key_col}, func=func)
        flag = key_accounts[key_col]
        if not pd.api.types.is_bool_dtype(flag.dtype) or flag.isna().any():
            raise SchemaError(
                f"{func}: column {key_col!r} of `key_accounts` must be boolean without nulls; "
                f"got {flag.dtype}, e.g. {examples(flag)}. Hint: mark the key accounts with "
                "kamseg.select_key_accounts, or pass a list of ids."
            )
        return key_accounts.index[flag.to_numpy(dtype=bool)].unique()
    if isinstance(key_accounts, pd.Series) and pd.api.types.is_bool_dtype(key_accounts.dtype):
        return key_accounts.index[key_accounts.to_numpy(dtype=bool, na_value=False)].unique()
    if isinstance(key_accounts, Collection) and not isinstance(
        key_accounts, str | bytes | pd.Series | pd.Index | np.ndarray | list | tuple
    ):
        key_accounts = list(key_accounts)  # sets, dict keys, ...
    return customer_ids(key_accounts, func=func, arg="key_accounts")


def _growth(revenue: np.ndarray) -> np.ndarray:
    """``revenue[t] / revenue[t - 1] - 1`` along axis 0; NaN at t = 0 or when the base <= 0."""
    out = np.full(revenue.shape, np.nan)
    prev = revenue[:-1]
    np.divide(revenue[1:], prev, out=out[1:], where=prev > 0)
    out[1:] = np.where(prev > 0, out[1:] - 1.0, np.nan)
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.divide(
        num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=den > 0
    )
    return out


def _check_surveys(
    surveys: pd.DataFrame,
    *,
    func: str,
    customer_col: Hashable,
    date_col: Hashable,
    nps_col: Hashable | None,
    csat_col: Hashable | None,
) -> pd.DataFrame:
    """`surveys` checked before any row is read: a DataFrame with the named columns."""
    sv = check_frame(surveys, func=func, arg="surveys", allow_empty=True)
    if nps_col is None and csat_col is None:
        raise ConfigError(
            f"{func}: `nps_col` and `csat_col` are both None. Hint: name at least one answer "
            "column of `surveys`, or pass surveys=None."
        )
    columns = {"customer_col": customer_col, "date_col": date_col}
    check_columns(sv, {**columns, "nps_col": nps_col, "csat_col": csat_col}, func=func)
    return sv


def _survey_scores(
    rows: pd.DataFrame,
    day: np.ndarray,
    is_key: np.ndarray,
    *,
    func: str,
    nps_col: Hashable | None,
    csat_col: Hashable | None,
    first: int,
    n_periods: int,
    freq: str,
) -> dict[str, np.ndarray]:
    """NPS / CSAT and answer counts per period and group, shape (n_periods, 3 groups), of
    the survey rows up to as_of."""
    t = _period_of(day, freq) - first
    early = t < 0
    if early.any():
        warn(
            f"{func}: excluded {int(early.sum())} row(s) of `surveys` dated before the first "
            f"period of the transactions ({_period_index(first, 1, freq, 'period')[0]}).",
            stacklevel=4,
        )
    # group codes 2 t (key) and 2 t + 1 (other); "all" is their sum
    group = np.where(early, -1, 2 * t + (~is_key).astype(np.int64))
    out: dict[str, np.ndarray] = {}
    for name, col, scale, band, score in (
        ("nps", nps_col, NPS_SCALE, nps_band, nps_score),
        ("csat", csat_col, CSAT_SCALE, csat_band, csat_score),
    ):
        if col is None:
            continue
        x = answers(rows[col], scale, func=func, col=col)
        counts = band_counts(band(x), group, 2 * n_periods).reshape(n_periods, 2, 3)
        counts = np.concatenate([counts, counts.sum(axis=1, keepdims=True)], axis=1)
        out[name] = score(counts)
        out[f"{name}_responses"] = counts.sum(axis=2)
    return out


# --------------------------------------------------------------------------------------
# kam_performance
# --------------------------------------------------------------------------------------


def kam_performance(
    transactions: pd.DataFrame | PreparedTransactions,
    *,
    key_accounts: object,
    freq: CalendarFreq = "Q",
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    profit_col: Hashable | None = None,
    key_col: Hashable = "is_key_account",
    surveys: pd.DataFrame | None = None,
    nps_col: Hashable | None = "nps",
    csat_col: Hashable | None = "csat",
    start: Any = None,
    as_of: Any = None,
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    labels: Language = "en",
) -> pd.DataFrame:
    """Evaluate key-account management per period: key accounts against the rest.

    Parameters
    ----------
    transactions
        One row per order or order line: `customer_col`, `date_col`, `amount_col` (and
        `profit_col`), prepared here with `as_of`, `dropna` and `returns` (one
        :class:`~kamseg.errors.KamsegWarning` counts every row dropped and every return
        netted). Or a :class:`~kamseg.transactions.PreparedTransactions` (from
        :func:`kamseg.prepare_transactions`), used as it is: its columns and options hold,
        the keywords that set them are not read and nothing is warned again (an earlier
        `as_of` cuts it off there). Not modified.
    key_accounts
        The key accounts (keyword-only): a customer table with a boolean `key_col` column
        (e.g. from :func:`kamseg.select_key_accounts`; its index holds the ids), a boolean
        Series indexed by id, or a collection of ids (list, set, Index, array). The list is
        applied to **every** period, so the key group is the same accounts throughout and
        its growth is like for like.
    freq
        The period of the rows: ``"Q"`` calendar quarters (default), ``"M"`` calendar
        months or ``"Y"`` years.
    customer_col, date_col, amount_col
        Customer id, date and amount columns of `transactions` (and of `surveys`, for
        `customer_col` and `date_col`).
    profit_col
        Optional profit column, summed into ``profit`` (prepared transactions: their
        profit, when they were prepared with one).
    key_col
        The boolean column of a customer table passed as `key_accounts`. Default
        ``"is_key_account"``.
    surveys
        Optional survey answers (`customer_col`, `date_col`, `nps_col`, `csat_col`), e.g.
        ``make_transactions(...).surveys``; adds the NPS and CSAT of the answers given in
        each period. Not modified.
    nps_col, csat_col
        The 0..10 NPS and 1..5 CSAT answer columns of `surveys`; ``None`` for a measure the
        surveys do not have.
    start
        First period shown (the period containing this date). Default: the first period
        of the data. Earlier transactions still count as the "previous period" of the first
        period shown and to tell new customers from reactivated ones.
    as_of
        The observation date: the last period shown is the one containing it. Default: the
        latest transaction date. Transactions and answers dated after its day are excluded
        with a :class:`~kamseg.errors.KamsegWarning` giving the count (answers dated before
        the first period of the transactions too).
    dropna, returns
        Null values and negative amounts (returns) of a transaction DataFrame, as in
        :func:`kamseg.prepare_transactions`: by default nulls raise and returns are netted
        (a period with only returns still counts as active).
    labels
        Language of the group names: ``"en"`` (key, other, all) or ``"zh"``.

    Returns
    -------
    DataFrame
        Indexed by (``period``, ``group``): a ``PeriodIndex`` level of every calendar period
        from the first shown to the one containing `as_of` (periods without sales
        included), and the groups ``key``, ``other`` (customers not in `key_accounts`) and
        ``all`` (an ordered categorical level, so ``table["revenue"].unstack()`` keeps that
        order). Columns (definitions in *Notes*):

        - ``revenue`` (float64), ``profit`` (float64; only with a profit column);
        - ``revenue_growth`` (float64, fraction: 0.25 = +25 %);
        - ``revenue_share`` (float64, 0..1; 1.0 for ``all``);
        - ``active_customers``, ``retained``, ``churned`` (int64);
        - ``retention_rate``, ``churn_rate`` (float64, 0..1);
        - ``new``, ``reactivated``, ``gained`` (int64);
        - ``nps`` (float64, -100..100), ``nps_responses`` (int64), ``csat`` (float64,
          0..100), ``csat_responses`` (int64): only with `surveys` (and only the measures
          whose column is given); NaN when the group gave no answer in the period;
        - ``partial`` (bool): the period ends after `as_of`, so it is not complete: its
          revenue, growth and churn are not comparable with full periods (customers have
          had less time to buy). The same for every group of a period.

    Raises
    ------
    ColumnNotFoundError
        If a column named by an argument is missing.
    SchemaError
        On null values (unless ``dropna=True``), unparseable dates, non-numeric or infinite
        amounts, negative amounts with ``returns="error"``, survey answers outside their
        scale, or a non-boolean `key_col`.
    EmptyInputError
        If `transactions` is empty, or nothing is left up to `as_of`.
    ConfigError
        On an invalid option; if `key_accounts` is empty, or none of its ids has a
        transaction (often ids of another type, e.g. text against numbers); if `start` is
        after `as_of`, or `as_of` after that of prepared transactions.

    Notes
    -----
    A customer is **active** in a period when they have at least one transaction dated in
    it. For a group and period ``t`` (``t - 1`` is the previous calendar period):

    ==================  ==============================================================
    column              definition
    ==================  ==============================================================
    revenue_growth      ``revenue[t] / revenue[t - 1] - 1``; NaN in the first period of
                        the data or when ``revenue[t - 1] <= 0``
    revenue_share       group revenue / revenue of all customers in ``t``; NaN when that
                        total is ``<= 0``
    retained            active in ``t - 1`` and in ``t``
    churned             active in ``t - 1``, not in ``t``
    retention_rate      ``retained / active_customers[t - 1]``
    churn_rate          ``churned / active_customers[t - 1] = 1 - retention_rate``; both
                        NaN when nobody in the group was active in ``t - 1``
    new                 first purchase in the data falls in ``t``
    reactivated         active in ``t``, not in ``t - 1``, bought before ``t - 1``
    gained              ``new + reactivated = active_customers[t] - retained``
    nps, csat           :func:`kamseg.nps` / :func:`kamseg.csat` of the answers dated in
                        ``t`` by the group's customers (every answer counts)
    ==================  ==============================================================

    Hence ``active[t] = active[t - 1] - churned[t] + gained[t]``. In the first period of the
    data every active customer is new and the rates are NaN. "New" means new *in the
    data*: if the data starts in the middle of a long relationship, the first periods
    count old customers as new; pass `start` to show only later periods.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.evaluate import kam_performance
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": ["a", "b", "c", "a", "c", "d", "a", "b", "d", "e"],
    ...         "date": ["2024-01-10", "2024-02-01", "2024-03-05", "2024-04-20",
    ...                  "2024-05-02", "2024-06-30", "2024-07-01", "2024-08-15",
    ...                  "2024-09-01", "2024-09-02"],
    ...         "amount": [100.0, 200, 50, 150, 50, 80, 120, 300, 40, 30],
    ...     }
    ... )
    >>> table = kam_performance(tx, key_accounts=["a", "b"], as_of="2024-09-30")
    >>> table[["revenue", "revenue_growth", "revenue_share"]].round(3)
                       revenue  revenue_growth  revenue_share
    period group
    2024Q1 key           300.0             NaN          0.857
           other          50.0             NaN          0.143
           all           350.0             NaN          1.000
    2024Q2 key           150.0          -0.500          0.536
           other         130.0           1.600          0.464
           all           280.0          -0.200          1.000
    2024Q3 key           420.0           1.800          0.857
           other          70.0          -0.462          0.143
           all           490.0           0.750          1.000
    >>> cols = ["active_customers", "retained", "churned", "retention_rate", "new",
    ...         "reactivated"]
    >>> table.xs("all", level="group")[cols].round(3)
            active_customers  retained  churned  retention_rate  new  reactivated
    period
    2024Q1                 3         0        0             NaN    3            0
    2024Q2                 3         2        1           0.667    1            0
    2024Q3                 4         2        1           0.667    1            1

    ``b`` (a key account) bought in Q1, skipped Q2 (churned) and came back in Q3
    (reactivated); ``c`` churned in Q3; ``d`` and ``e`` are new.
    """
    func = "kam_performance"
    check_choice(freq, get_args(CalendarFreq), func=func, arg="freq")
    lang = check_language(labels, func=func)
    key_ids = _key_ids(key_accounts, key_col, func=func)
    if len(key_ids) == 0:
        raise ConfigError(
            f"{func}: `key_accounts` names no key account. Hint: pass the ids of the key "
            "accounts, or a customer table with some True values in `key_col`."
        )
    start_day = as_of_day(start, func=func)
    sv = (
        None
        if surveys is None
        else _check_surveys(
            surveys,
            func=func,
            customer_col=customer_col,
            date_col=date_col,
            nps_col=nps_col,
            csat_col=csat_col,
        )
    )
    prepared = _prepared(
        transactions,
        func=func,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        profit_col=profit_col,
        as_of=as_of,
        dropna=dropna,
        returns=returns,
    )
    cust, day, amount, profit = prepared.code, prepared.day, prepared.amount, prepared.profit
    uniques, end = prepared.ids, prepared.as_of_day
    _check_rows(prepared, func=func)

    is_key = np.asarray(uniques.isin(key_ids), dtype=bool)
    present = np.zeros(len(uniques), dtype=bool)
    present[cust] = True
    n_missing = int(np.count_nonzero(~key_ids.isin(uniques[present])))
    if n_missing == len(key_ids):
        raise ConfigError(
            f"{func}: none of the {len(key_ids)} key account id(s) ({key_ids.dtype}, e.g. "
            f"{examples(key_ids)}) has a transaction (ids are {uniques.dtype}, e.g. "
            f"{examples(uniques)}). Hint: convert the ids to one type."
        )
    if n_missing:
        warn(
            f"{func}: {n_missing} of {len(key_ids)} key account(s) have no transaction up to "
            f"as_of {np.datetime64(end, 'D')}; they count as key accounts that never bought.",
            stacklevel=3,
        )

    per = _period_of(day, freq)
    first = int(per.min())
    last = int(_period_of(np.array([end]), freq)[0])
    n_per = last - first + 1
    if start_day is not None and start_day > end:
        raise ConfigError(
            f"{func}: `start` ({np.datetime64(start_day, 'D')}) is after as_of "
            f"({np.datetime64(end, 'D')}). Hint: swap them, or leave `start` as None."
        )
    shown_first = (
        first if start_day is None else max(first, int(_period_of(np.array([start_day]), freq)[0]))
    )
    t = per - first

    groups = (is_key, ~is_key, np.ones(len(uniques), dtype=bool))
    n_g = len(groups)

    def by_group(rows_cust: np.ndarray, rows_t: np.ndarray, weights: Any = None) -> np.ndarray:
        out = np.zeros((n_per, n_g))
        for g, member in enumerate(groups):
            m = member[rows_cust]
            out[:, g] = np.bincount(
                rows_t[m], weights=None if weights is None else weights[m], minlength=n_per
            )
        return out

    revenue = by_group(cust, t, amount)
    columns: dict[str, np.ndarray] = {"revenue": revenue}
    if profit is not None:
        columns["profit"] = by_group(cust, t, profit)
    columns["revenue_growth"] = _growth(revenue)
    columns["revenue_share"] = _ratio(revenue, revenue[:, [n_g - 1]])

    # distinct (customer, period) pairs, sorted by customer then period
    pairs = np.unique(cust * n_per + t)
    p_cust, p_t = pairs // n_per, pairs % n_per
    same_cust = np.r_[False, p_cust[1:] == p_cust[:-1]]
    prev_t = np.r_[-1, p_t[:-1]]
    retained_pair = same_cust & (prev_t == p_t - 1)
    new_pair = ~same_cust

    def count(mask: np.ndarray) -> np.ndarray:
        return by_group(p_cust[mask], p_t[mask]).astype(np.int64)

    active = count(np.ones(pairs.size, dtype=bool))
    retained = count(retained_pair)
    new = count(new_pair)
    prev_active = np.vstack([np.zeros((1, n_g), dtype=np.int64), active[:-1]])
    churned = prev_active - retained
    columns |= {
        "active_customers": active,
        "retained": retained,
        "churned": churned,
        "retention_rate": _ratio(retained.astype(np.float64), prev_active),
        "churn_rate": _ratio(churned.astype(np.float64), prev_active),
        "new": new,
        "reactivated": active - retained - new,
        "gained": active - retained,
    }
    if sv is not None:
        # every respondent counts ("other" unless a key account), whether they bought or not
        respondents = pd.DataFrame(index=pd.Index(sv[customer_col].unique()))
        s_rows, pos, s_day, _ = side_table(
            sv,
            respondents,
            end,
            arg="surveys",
            customer_col=customer_col,
            date_col=date_col,
            more={},
            func=func,
        )
        columns |= _survey_scores(
            s_rows,
            s_day,
            np.asarray(respondents.index.isin(key_ids), dtype=bool)[pos],
            func=func,
            nps_col=nps_col,
            csat_col=csat_col,
            first=first,
            n_periods=n_per,
            freq=freq,
        )
    partial = _last_day(np.arange(first, last + 1, dtype=np.int64), freq) > end
    columns["partial"] = np.repeat(partial[:, None], n_g, axis=1)

    rows = slice(shown_first - first, n_per)
    periods = _period_index(shown_first, last - shown_first + 1, freq, "period")
    names = translate_all(KAM_GROUPS, labels=lang, table=KAM_GROUP_LABELS)
    groups_index = pd.CategoricalIndex(names, categories=names, ordered=True)
    index = pd.MultiIndex.from_product([periods, groups_index], names=["period", "group"])
    return pd.DataFrame({c: v[rows].ravel() for c, v in columns.items()}, index=index)


# --------------------------------------------------------------------------------------
# cohort_retention
# --------------------------------------------------------------------------------------


def cohort_retention(
    transactions: pd.DataFrame | PreparedTransactions,
    *,
    freq: CalendarFreq = "M",
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable | None = "amount",
    kind: CohortKind = "share",
    max_periods: int | None = None,
    as_of: Any = None,
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
) -> pd.DataFrame:
    """Cohort retention matrix: who is still buying 0, 1, 2, ... periods after joining.

    Parameters
    ----------
    transactions
        One row per order or order line: `customer_col`, `date_col` and `amount_col`,
        prepared here with `as_of`, `dropna` and `returns`; or a
        :class:`~kamseg.transactions.PreparedTransactions`, used as it is (as in
        :func:`kam_performance`). Not modified.
    freq
        The period of the cohorts and columns: ``"M"`` calendar months (default), ``"Q"``
        quarters or ``"Y"`` years.
    customer_col, date_col, amount_col
        Customer id, date and amount columns. ``amount_col=None`` reads a table without
        amounts: every row is a purchase.
    kind
        ``"share"`` (default): the share of the cohort active in the period; ``"count"``:
        the number of its customers active.
    max_periods
        Show periods since the first purchase ``0 .. max_periods`` only (an integer >= 0).
        Default: every period up to `as_of`.
    as_of
        The observation date. Default: the latest transaction date. Transactions after its
        day are excluded with a :class:`~kamseg.errors.KamsegWarning` giving the count.
    dropna, returns
        Null values and negative amounts (returns), as in :func:`kamseg.prepare_transactions`:
        by default nulls raise and returns are kept (a return is a transaction, so its
        period counts as active); ``returns="exclude"`` drops them.

    Returns
    -------
    DataFrame
        One row per **cohort**, the period of the customers' first purchase (a
        ``PeriodIndex`` named ``cohort``, every period from the first in the data to the one
        containing `as_of`, cohorts without new customers included), and the columns:

        - ``cohort_size`` (int64): customers whose first purchase is in the cohort period;
        - ``0``, ``1``, ``2``, ... (integer column labels, the periods since the first
          purchase): with ``kind="share"`` (float64, 0..1) the share of the cohort that is
          active (has a transaction) in period ``cohort + k``; column ``0`` is 1.0 by
          definition. With ``kind="count"`` (``Int64``) the number of those customers.
          Cells after the period containing `as_of` are not observed yet: NaN / ``<NA>``.
          Cohorts of size 0 have NaN shares (and counts of 0).

        The last observed cell of each row lies in the period containing `as_of`; when
        `as_of` is not the last day of its period, that period is partial and its
        retention is understated.

    Raises
    ------
    ColumnNotFoundError
        If a column is missing.
    SchemaError
        On null values (unless ``dropna=True``), unparseable dates, or non-numeric amounts.
    EmptyInputError
        If `transactions` is empty, or nothing is left up to `as_of`.
    ConfigError
        On an invalid option, or `as_of` after that of prepared transactions.

    Notes
    -----
    Retention here counts the customers **active in** period ``k`` (not "still active
    since"): a customer who skips period 1 and buys in period 2 counts in column 2 but not
    in column 1, so rows need not decrease. This is the usual cohort chart.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.evaluate import cohort_retention
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": ["a", "b", "a", "c", "d", "b", "c", "a", "e"],
    ...         "date": ["2024-01-05", "2024-01-20", "2024-02-03", "2024-02-10",
    ...                  "2024-02-11", "2024-03-01", "2024-03-15", "2024-04-02",
    ...                  "2024-04-30"],
    ...         "amount": [20.0, 35, 15, 60, 10, 25, 40, 30, 50],
    ...     }
    ... )
    >>> cohort_retention(tx)
             cohort_size    0    1    2    3
    cohort
    2024-01            2  1.0  0.5  0.5  0.5
    2024-02            2  1.0  0.5  0.0  NaN
    2024-03            0  NaN  NaN  NaN  NaN
    2024-04            1  1.0  NaN  NaN  NaN
    >>> cohort_retention(tx, kind="count", max_periods=1)
             cohort_size  0     1
    cohort
    2024-01            2  2     1
    2024-02            2  2     1
    2024-03            0  0     0
    2024-04            1  1  <NA>
    """
    func = "cohort_retention"
    check_choice(freq, get_args(CalendarFreq), func=func, arg="freq")
    check_choice(kind, get_args(CohortKind), func=func, arg="kind")
    if max_periods is not None:
        max_periods = check_int(max_periods, func=func, arg="max_periods", low=0)
    prepared = _prepared(
        transactions,
        func=func,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        as_of=as_of,
        dropna=dropna,
        returns=returns,
    )
    _check_rows(prepared, func=func)
    cust, end = prepared.code, prepared.as_of_day
    per = _period_of(prepared.day, freq)
    first = int(per.min())
    n_per = int(_period_of(np.array([end]), freq)[0]) - first + 1
    t = per - first
    n_cust = len(prepared.ids)

    pairs = np.unique(cust * n_per + t)
    p_cust, p_t = pairs // n_per, pairs % n_per
    cohort = np.full(n_cust, n_per, dtype=np.int64)
    np.minimum.at(cohort, p_cust, p_t)
    seen = cohort < n_per  # customers with a transaction up to as_of
    size = np.bincount(cohort[seen], minlength=n_per).astype(np.int64)
    offset = p_t - cohort[p_cust]
    counts = np.bincount(cohort[p_cust] * n_per + offset, minlength=n_per * n_per)
    counts = counts.reshape(n_per, n_per).astype(np.float64)
    observed = np.add.outer(np.arange(n_per), np.arange(n_per)) < n_per
    counts[~observed] = np.nan
    n_cols = n_per if max_periods is None else min(n_per, max_periods + 1)
    counts = counts[:, :n_cols]

    index = _period_index(first, n_per, freq, "cohort")
    out = pd.DataFrame({"cohort_size": size}, index=index)
    if kind == "share":
        shares = np.divide(
            counts,
            size[:, None],
            out=np.full(counts.shape, np.nan),
            where=(size[:, None] > 0) & ~np.isnan(counts),
        )
        cells = pd.DataFrame(shares, index=index, columns=range(n_cols))
    else:
        cells = pd.DataFrame(counts, index=index, columns=range(n_cols)).astype("Int64")
    return pd.concat([out, cells], axis=1)
