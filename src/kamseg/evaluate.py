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

from kamseg._validation import (
    as_of_day,
    check_choice,
    check_columns,
    check_frame,
    check_int,
    customer_ids,
    examples,
    to_datetime,
    to_float,
    warn,
)
from kamseg.errors import ConfigError, EmptyInputError, SchemaError
from kamseg.labels import LabelTable, Language, check_language, translate_all
from kamseg.satisfaction import csat, nps

__all__ = [
    "KAM_GROUPS",
    "KAM_GROUP_LABELS",
    "KAM_PERFORMANCE_COLUMNS",
    "CohortKind",
    "Period",
    "cohort_retention",
    "kam_performance",
]

Period = Literal["M", "Q", "Y"]
"""Calendar period: ``"M"`` months, ``"Q"`` quarters (Jan-Mar, ...), ``"Y"`` years."""

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


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _days(frame: pd.DataFrame, date_col: Hashable, *, func: str, arg: str) -> np.ndarray:
    """Day numbers (days since 1970-01-01) of a date column; nulls raise."""
    if len(frame) == 0:
        return np.empty(0, dtype=np.int64)
    dates = to_datetime(frame[date_col], func=func, col=str(date_col))
    if dates.isna().any():
        raise SchemaError(
            f"{func}: {int(dates.isna().sum())} row(s) of `{arg}` have a null {date_col!r}. "
            "Hint: drop or fill them first."
        )
    return np.asarray(dates.to_numpy().astype("datetime64[D]").view(np.int64), dtype=np.int64)


def _period_of(days: np.ndarray, period: str) -> np.ndarray:
    """Period ordinals (as pandas ``Period.ordinal``) of day numbers."""
    months = days.astype("datetime64[D]").astype("datetime64[M]").view(np.int64)
    out: np.ndarray = months // _MONTHS[period]
    return out


def _last_day(ordinals: np.ndarray, period: str) -> np.ndarray:
    """Day number of the last day of each period."""
    next_month = (ordinals + 1) * _MONTHS[period]
    first_of_next = next_month.astype("datetime64[M]").astype("datetime64[D]").view(np.int64)
    out: np.ndarray = first_of_next - 1
    return out


def _period_index(first: int, n: int, period: str, name: str) -> pd.PeriodIndex:
    year, month = divmod(first * _MONTHS[period], 12)
    begin = pd.Period(year=1970 + year, month=month + 1, freq=period)
    return pd.period_range(start=begin, periods=n, freq=period, name=name)


def _customers(tx: pd.DataFrame, customer_col: Hashable, *, func: str) -> tuple[np.ndarray, Any]:
    """Customer codes (0..n-1) of the transactions and the distinct ids."""
    ids = tx[customer_col]
    if ids.isna().any():
        raise SchemaError(
            f"{func}: {int(ids.isna().sum())} row(s) of `transactions` have a null "
            f"{customer_col!r}. Hint: drop or fill them first."
        )
    codes, uniques = pd.factorize(ids)
    return np.asarray(codes, dtype=np.int64), uniques


def _window(
    day: np.ndarray, as_of: Any, *, func: str, what: str = "transaction(s)", arg: str = ""
) -> tuple[int, np.ndarray]:
    """The `as_of` day (default: the latest day) and the mask of rows up to it (warned)."""
    end = as_of_day(as_of, func=func)
    if end is None:
        return int(day.max()), np.ones(day.size, dtype=bool)
    keep = day <= end
    n_late = int(day.size - np.count_nonzero(keep))
    if n_late:
        of = f" of `{arg}`" if arg else ""
        warn(
            f"{func}: excluded {n_late} {what}{of} dated after as_of {np.datetime64(end, 'D')}.",
            stacklevel=4,
        )
    return end, keep


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


def _survey_scores(
    surveys: pd.DataFrame,
    *,
    func: str,
    customer_col: Hashable,
    date_col: Hashable,
    nps_col: Hashable | None,
    csat_col: Hashable | None,
    key_ids: pd.Index,
    first: int,
    n_periods: int,
    end: int,
    period: str,
) -> dict[str, np.ndarray]:
    """NPS / CSAT and answer counts, shape (n_periods, 3 groups)."""
    sv = check_frame(surveys, func=func, arg="surveys", allow_empty=True)
    if nps_col is None and csat_col is None:
        raise ConfigError(
            f"{func}: `nps_col` and `csat_col` are both None. Hint: name at least one answer "
            "column of `surveys`, or pass surveys=None."
        )
    check_columns(
        sv,
        {
            "customer_col": customer_col,
            "date_col": date_col,
            "nps_col": nps_col,
            "csat_col": csat_col,
        },
        func=func,
    )
    day = _days(sv, date_col, func=func, arg="surveys")
    ids = sv[customer_col]
    if ids.isna().any():
        raise SchemaError(
            f"{func}: {int(ids.isna().sum())} row(s) of `surveys` have a null "
            f"{customer_col!r}. Hint: drop or fill them first."
        )
    late = day > end
    if late.any():
        warn(
            f"{func}: excluded {int(late.sum())} survey answer(s) dated after as_of "
            f"{np.datetime64(end, 'D')}.",
            stacklevel=4,
        )
    pos = _period_of(day, period) - first
    inside = ~late & (pos >= 0) & (pos < n_periods)
    is_key = np.asarray(pd.Index(ids).isin(key_ids), dtype=bool)
    out: dict[str, np.ndarray] = {}
    for name, col, scorer in (("nps", nps_col, nps), ("csat", csat_col, csat)):
        if col is None:
            continue
        score = np.full((n_periods, len(KAM_GROUPS)), np.nan)
        count = np.zeros((n_periods, len(KAM_GROUPS)), dtype=np.int64)
        for g, rows in enumerate((inside & is_key, inside & ~is_key, inside)):
            part = pd.DataFrame(
                {
                    "_period": pos[rows],
                    "_customer": ids.to_numpy()[rows],
                    "_answer": sv[col].to_numpy()[rows],
                }
            )
            answered = part["_answer"].notna().to_numpy(dtype=bool)
            if not answered.any():
                continue
            table = scorer(part, by="_period", score_col="_answer", customer_col="_customer")
            at = table.index.to_numpy(dtype=np.int64)
            score[at, g] = table[name].to_numpy(dtype=np.float64)
            count[at, g] = table["responses"].to_numpy(dtype=np.int64)
        out[name] = score
        out[f"{name}_responses"] = count
    return out


# --------------------------------------------------------------------------------------
# kam_performance
# --------------------------------------------------------------------------------------


def kam_performance(
    transactions: pd.DataFrame,
    key_accounts: object,
    *,
    period: Period = "Q",
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
    labels: Language = "en",
) -> pd.DataFrame:
    """Evaluate key-account management per period: key accounts against the rest.

    Parameters
    ----------
    transactions
        One row per order or order line: `customer_col`, `date_col`, `amount_col` (and
        `profit_col`). Negative amounts (returns) are netted. Not modified.
    key_accounts
        The key accounts: a customer table with a boolean `key_col` column (e.g. from
        :func:`kamseg.select_key_accounts`; its index holds the ids), a boolean Series
        indexed by id, or a collection of ids (list, set, Index, array). The list is
        applied to **every** period, so the key group is the same accounts throughout and
        its growth is like for like.
    period
        ``"Q"`` calendar quarters (default), ``"M"`` calendar months or ``"Y"`` years.
    customer_col, date_col, amount_col
        Customer id, date and amount columns of `transactions` (and of `surveys`, for
        `customer_col` and `date_col`).
    profit_col
        Optional profit column, summed into ``profit``.
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
        with a :class:`~kamseg.errors.KamsegWarning` giving the count.
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

        - ``revenue`` (float64), ``profit`` (float64; only with `profit_col`);
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
        On null ids or dates, unparseable dates, non-numeric or infinite amounts, survey
        answers outside their scale, or a non-boolean `key_col`.
    EmptyInputError
        If `transactions` is empty, or nothing is left up to `as_of`.
    ConfigError
        On an invalid option; if `key_accounts` is empty, or none of its ids has a
        transaction (often ids of another type, e.g. text against numbers); if `start` is
        after `as_of`.

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
    >>> table = kam_performance(tx, ["a", "b"], as_of="2024-09-30")
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
    tx = check_frame(transactions, func=func, arg="transactions")
    check_choice(period, get_args(Period), func=func, arg="period")
    lang = check_language(labels, func=func)
    check_columns(
        tx,
        {
            "customer_col": customer_col,
            "date_col": date_col,
            "amount_col": amount_col,
            "profit_col": profit_col,
        },
        func=func,
    )
    key_ids = _key_ids(key_accounts, key_col, func=func)
    if len(key_ids) == 0:
        raise ConfigError(
            f"{func}: `key_accounts` names no key account. Hint: pass the ids of the key "
            "accounts, or a customer table with some True values in `key_col`."
        )

    cust, uniques = _customers(tx, customer_col, func=func)
    day = _days(tx, date_col, func=func, arg="transactions")
    amount = to_float(tx[amount_col], func=func, col=str(amount_col))
    profit = (
        None if profit_col is None else to_float(tx[profit_col], func=func, col=str(profit_col))
    )
    for col, values in ((amount_col, amount), (profit_col, profit)):
        if values is not None and np.isnan(values).any():
            raise SchemaError(
                f"{func}: {int(np.isnan(values).sum())} value(s) of column {col!r} are null. "
                "Hint: drop or fill them first."
            )
    end, keep = _window(day, as_of, func=func)
    if not keep.any():
        raise EmptyInputError(
            f"{func}: no transaction is dated on or before as_of {np.datetime64(end, 'D')}. "
            "Hint: check `as_of`."
        )
    cust, day, amount = cust[keep], day[keep], amount[keep]
    profit = None if profit is None else profit[keep]

    is_key = np.asarray(pd.Index(uniques).isin(key_ids), dtype=bool)
    present = np.zeros(len(uniques), dtype=bool)
    present[cust] = True
    n_missing = int(np.count_nonzero(~pd.Index(key_ids).isin(pd.Index(uniques)[present])))
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

    per = _period_of(day, period)
    first = int(per.min())
    last = int(_period_of(np.array([end]), period)[0])
    n_per = last - first + 1
    start_day = as_of_day(start, func=func)
    if start_day is not None and start_day > end:
        raise ConfigError(
            f"{func}: `start` ({np.datetime64(start_day, 'D')}) is after as_of "
            f"({np.datetime64(end, 'D')}). Hint: swap them, or leave `start` as None."
        )
    shown_first = (
        first
        if start_day is None
        else max(first, int(_period_of(np.array([start_day]), period)[0]))
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
    if surveys is not None:
        columns |= _survey_scores(
            surveys,
            func=func,
            customer_col=customer_col,
            date_col=date_col,
            nps_col=nps_col,
            csat_col=csat_col,
            key_ids=key_ids,
            first=first,
            n_periods=n_per,
            end=end,
            period=period,
        )
    partial = _last_day(np.arange(first, last + 1, dtype=np.int64), period) > end
    columns["partial"] = np.repeat(partial[:, None], n_g, axis=1)

    rows = slice(shown_first - first, n_per)
    periods = _period_index(shown_first, last - shown_first + 1, period, "period")
    names = translate_all(KAM_GROUPS, labels=lang, table=KAM_GROUP_LABELS)
    groups_index = pd.CategoricalIndex(names, categories=names, ordered=True)
    index = pd.MultiIndex.from_product([periods, groups_index], names=["period", "group"])
    return pd.DataFrame({c: v[rows].ravel() for c, v in columns.items()}, index=index)


# --------------------------------------------------------------------------------------
# cohort_retention
# --------------------------------------------------------------------------------------


def cohort_retention(
    transactions: pd.DataFrame,
    *,
    period: Period = "M",
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    kind: CohortKind = "share",
    max_periods: int | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Cohort retention matrix: who is still buying 0, 1, 2, ... periods after joining.

    Parameters
    ----------
    transactions
        One row per order or order line: `customer_col` and `date_col`. Not modified.
    period
        ``"M"`` calendar months (default), ``"Q"`` quarters or ``"Y"`` years.
    customer_col, date_col
        Customer id and date columns.
    kind
        ``"share"`` (default): the share of the cohort active in the period; ``"count"``:
        the number of its customers active.
    max_periods
        Show periods since the first purchase ``0 .. max_periods`` only (an integer >= 0).
        Default: every period up to `as_of`.
    as_of
        The observation date. Default: the latest transaction date. Transactions after its
        day are excluded with a :class:`~kamseg.errors.KamsegWarning` giving the count.

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
        On null ids or dates, or unparseable dates.
    EmptyInputError
        If `transactions` is empty, or nothing is left up to `as_of`.
    ConfigError
        On an invalid option.

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
    tx = check_frame(transactions, func=func, arg="transactions")
    check_choice(period, get_args(Period), func=func, arg="period")
    check_choice(kind, get_args(CohortKind), func=func, arg="kind")
    if max_periods is not None:
        max_periods = check_int(max_periods, func=func, arg="max_periods", low=0)
    check_columns(tx, {"customer_col": customer_col, "date_col": date_col}, func=func)
    cust, uniques = _customers(tx, customer_col, func=func)
    day = _days(tx, date_col, func=func, arg="transactions")
    end, keep = _window(day, as_of, func=func)
    if not keep.any():
        raise EmptyInputError(
            f"{func}: no transaction is dated on or before as_of {np.datetime64(end, 'D')}. "
            "Hint: check `as_of`."
        )
    cust, per = cust[keep], _period_of(day[keep], period)
    first = int(per.min())
    n_per = int(_period_of(np.array([end]), period)[0]) - first + 1
    t = per - first
    n_cust = len(uniques)

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

    index = _period_index(first, n_per, period, "cohort")
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
