"""Per-customer measures, each defined once (layer 1, under every analysis).

Analyses read these measures as columns of the customer table; when a column is missing
they compute it through this module, never with a rule of their own, so the same column
name means the same number whichever step made it (see docs/columns.md):

- :func:`purchase_rhythm`: ``usual_gap_days`` and ``overdue_ratio``, the customer's own
  buying rhythm (:func:`rhythm` on arrays);
- :func:`trends`: spend and purchase days in two trailing windows, and ``spend_trend`` /
  ``frequency_trend`` under one eligibility rule (:class:`WindowActivity`); an engine
  (DuckDB, Spark) computes the same activity in its summary query
  (:data:`ACTIVITY_COLUMNS`), read back by :func:`table_activity`;
- survey answers: the NPS and CSAT scales and answer classes (:data:`NPS_SCALE`, ...);
- the churn model's features, at one cut-off or many in one call
  (:func:`features_at`, :func:`features_at_cutoffs`);
- the need level inputs: the catalogue (:func:`read_catalog`), each customer's highest
  level bought (:func:`highest_level`) and category shares (:func:`category_profile`).

Every function that reads transactions takes them prepared
(:class:`kamseg.transactions.PreparedTransactions`) or as a DataFrame, prepared with the same
keyword options.

Examples
--------
>>> import kamseg
>>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
>>> prepared = kamseg.prepare_transactions(data.transactions, as_of=data.as_of)
>>> customers = kamseg.summarize(prepared)
>>> kamseg.features.purchase_rhythm(customers).columns.tolist()
['usual_gap_days', 'overdue_ratio']
>>> t = kamseg.features.trends(customers, transactions=prepared)
>>> t.columns.tolist()
['spend_recent', 'spend_previous', 'spend_trend', 'frequency_trend']
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from kamseg._tables import customer_column
from kamseg._types import ReturnsPolicy
from kamseg._validation import check_columns, check_frame, check_int, examples, to_float
from kamseg.errors import ColumnNotFoundError, ConfigError, SchemaError
from kamseg.features._cutoffs import (
    CHURN_FEATURES,
    SPEND_WINDOW_DAYS,
    built_history,
    features_at,
    features_at_cutoffs,
)
from kamseg.features._needs import NEED_LEVELS, category_profile, highest_level, read_catalog
from kamseg.features._rhythm import FALLBACK_GAP_DAYS, Rhythm, rhythm
from kamseg.features._surveys import (
    CSAT_BANDS,
    CSAT_DISSATISFIED_MAX,
    CSAT_SATISFIED,
    CSAT_SCALE,
    NPS_BANDS,
    NPS_DETRACTOR_MAX,
    NPS_PROMOTER_MIN,
    NPS_SCALE,
    LatestAnswer,
    answers,
    band_counts,
    csat_band,
    csat_score,
    is_detractor,
    is_dissatisfied,
    is_promoter,
    is_satisfied,
    latest_answers,
    nps_band,
    nps_score,
    open_complaints,
    recent_complaints,
)
from kamseg.features._windows import (
    ACTIVITY_COLUMNS,
    ACTIVITY_WINDOW_ATTR,
    MIN_TREND_ORDERS,
    TREND_WINDOW_DAYS,
    WindowActivity,
    table_activity,
    window_activity,
)
from kamseg.transactions import PreparedTransactions, as_prepared, purchase_pairs

__all__ = [
    "ACTIVITY_COLUMNS",
    "ACTIVITY_WINDOW_ATTR",
    "CHURN_FEATURES",
    "CSAT_BANDS",
    "CSAT_DISSATISFIED_MAX",
    "CSAT_SATISFIED",
    "CSAT_SCALE",
    "FALLBACK_GAP_DAYS",
    "MIN_TREND_ORDERS",
    "NEED_LEVELS",
    "NPS_BANDS",
    "NPS_DETRACTOR_MAX",
    "NPS_PROMOTER_MIN",
    "NPS_SCALE",
    "SPEND_WINDOW_DAYS",
    "TREND_WINDOW_DAYS",
    "LatestAnswer",
    "Rhythm",
    "WindowActivity",
    "answers",
    "band_counts",
    "category_profile",
    "csat_band",
    "csat_score",
    "customer_activity",
    "features_at",
    "features_at_cutoffs",
    "highest_level",
    "is_detractor",
    "is_dissatisfied",
    "is_promoter",
    "is_satisfied",
    "latest_answers",
    "nonnegative_column",
    "nps_band",
    "nps_score",
    "open_complaints",
    "prepared_for",
    "purchase_rhythm",
    "read_catalog",
    "recent_complaints",
    "repeat_days",
    "repeat_purchase_days",
    "rhythm",
    "rhythm_columns",
    "table_activity",
    "trends",
    "window_activity",
]


def prepared_for(
    customers: pd.DataFrame,
    *,
    transactions: Any,
    func: str,
    as_of: Any = None,
    customer_col: Hashable | None = None,
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    product_col: Hashable | None = None,
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    stacklevel: int = 7,
) -> PreparedTransactions:
    """The transactions prepared for `customers`, up to `as_of` (default the customer table's
    ``attrs["as_of"]``, set by :func:`kamseg.summarize`, else the latest date).

    A :class:`~kamseg.transactions.PreparedTransactions` is used as it is (cut at an earlier
    `as_of`); a DataFrame is prepared with the keyword options (its warnings name `func`),
    its customer id column `customer_col` defaulting to the name of the index of `customers`
    (``"customer_id"`` when the index has no name).
    """
    end = customers.attrs.get("as_of") if as_of is None else as_of
    if isinstance(transactions, PreparedTransactions) and as_of is None and end is not None:
        # a customer table summarised later than the prepared rows: use the rows as they are
        day = pd.Timestamp(end)
        if day > transactions.as_of:
            end = None
    return as_prepared(
        transactions,
        func=func,
        customer_col=customer_column(customers, customer_col),
        date_col=date_col,
        amount_col=amount_col,
        product_col=product_col,
        as_of=end,
        dropna=dropna,
        returns=returns,
        stacklevel=stacklevel,
    )


def customer_activity(
    customers: pd.DataFrame,
    *,
    transactions: PreparedTransactions,
    window: int,
    func: str,
    positions: np.ndarray | None = None,
) -> WindowActivity:
    """:func:`window_activity` of the prepared `transactions`, aligned with the rows of
    `customers` (matched by id, or by `positions` when given)."""
    if positions is None:
        positions = transactions.positions(customers.index, func=func)
    return window_activity(transactions, positions, len(customers), window=window)


def repeat_days(prepared: PreparedTransactions, positions: np.ndarray, n: int) -> np.ndarray:
    """Repeat purchase days of each output row: distinct purchase days minus one (NaN for
    rows without a purchase). Read from the churn's history of the purchase days when a
    job has built it (the same counts, without a sort of the rows)."""
    hist = built_history(prepared)
    if hist is not None:
        mine = positions[positions >= 0]
        if mine.size == 0 or np.bincount(mine, minlength=n).max() == 1:
            return hist.repeat_days(positions, n)  # one customer per output row
    pos = positions[prepared.code]
    ok = pos >= 0
    out = np.full(n, np.nan)
    if not ok.any():
        return out
    # distinct (customer, day) purchases; days that returns bring to <= 0 are none
    k_pos, _ = purchase_pairs(pos[ok], prepared.day[ok], prepared.amount[ok])
    counts = np.bincount(k_pos, minlength=n)
    present = np.bincount(pos[ok], minlength=n) > 0  # a row, bought or not
    out[present] = np.maximum(counts[present] - 1.0, 0.0)
    return out


def nonnegative_column(customers: pd.DataFrame, col: Hashable, *, func: str) -> np.ndarray:
    """A column of day counts or repeat purchases as float64; negative values raise."""
    x = to_float(customers[col], func=func, col=str(col))
    bad = x < 0
    if bad.any():
        raise SchemaError(
            f"{func}: {int(bad.sum())} value(s) of column {col!r} are negative; examples: "
            f"{examples(x[bad])}. Hint: day counts and repeat purchases are >= 0."
        )
    return x


def purchase_rhythm(
    customers: pd.DataFrame,
    *,
    transactions: Any = None,
    fallback_gap_days: float = FALLBACK_GAP_DAYS,
    base_gap: float | None = None,
    days_since_last_col: Hashable = "days_since_last",
    tenure_col: Hashable = "tenure_days",
    frequency_col: Hashable = "frequency",
    customer_col: Hashable | None = None,
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
) -> pd.DataFrame:
    """``usual_gap_days`` and ``overdue_ratio`` of each customer (the rule of :func:`rhythm`).

    Parameters
    ----------
    customers
        One row per customer with `days_since_last_col` and `tenure_col` (from
        :func:`kamseg.summarize`). Not modified.
    transactions
        Optional, prepared or a DataFrame: the repeat purchase days are counted from them.
        Without them they are `frequency_col`, which must then be a daily summary's
        ``frequency`` (``attrs["freq"]`` ``"D"`` or unset).
    fallback_gap_days
        The base gap when no customer bought twice.
    base_gap
        The base gap to use instead of the median usual gap of these customers' repeat
        buyers (a value learned from another table); None: that median.
    days_since_last_col, tenure_col, frequency_col
        Columns of `customers`: days since the last purchase, days since the first
        purchase, and the repeat purchases (the BTYD ``frequency`` of a daily summary).
    customer_col, date_col, amount_col
        Columns of `transactions` given as a DataFrame. `customer_col` defaults to the name
        of the index of `customers` (``"customer_id"`` when the index has no name).

    Returns
    -------
    DataFrame
        Indexed like `customers`: ``usual_gap_days`` and ``overdue_ratio`` (float64; NaN
        where an input is null).

    Raises
    ------
    ConfigError
        If `frequency_col` comes from a weekly or monthly summary and no transactions are
        given.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.features import purchase_rhythm
    >>> customers = pd.DataFrame(
    ...     {"days_since_last": [412, 30, 400], "tenure_days": [1012, 700, 400],
    ...      "frequency": [6, 20, 0]}, index=pd.Index(list("abc"), name="customer_id"))
    >>> purchase_rhythm(customers).round(2)
                 usual_gap_days  overdue_ratio
    customer_id
    a                    100.00           4.12
    b                     33.50           0.90
    c                     66.75           5.99
    """
    func = "purchase_rhythm"
    check_frame(customers, func=func, arg="customers", allow_empty=True)
    check_columns(
        customers,
        {"days_since_last_col": days_since_last_col, "tenure_col": tenure_col},
        func=func,
    )
    d = nonnegative_column(customers, days_since_last_col, func=func)
    t = nonnegative_column(customers, tenure_col, func=func)
    prepared = None
    if transactions is not None and customers.attrs.get("freq", "D") != "D":
        prepared = prepared_for(
            customers,
            transactions=transactions,
            func=func,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
        )
    k = repeat_purchase_days(
        customers, transactions=prepared, frequency_col=frequency_col, func=func
    )
    r = rhythm(d, t, k, fallback_gap_days=fallback_gap_days, base_gap=base_gap)
    return pd.DataFrame(
        {"usual_gap_days": r.usual_gap_days, "overdue_ratio": r.overdue_ratio},
        index=customers.index,
    )


def repeat_purchase_days(
    customers: pd.DataFrame,
    *,
    transactions: PreparedTransactions | None,
    frequency_col: Hashable,
    func: str,
    positions: np.ndarray | None = None,
) -> np.ndarray:
    """Repeat purchase days per row of `customers`: the daily summary's `frequency_col`, else
    counted from the prepared `transactions` (rows matched by `positions`, default by id)."""
    freq = customers.attrs.get("freq", "D")
    if freq == "D" and frequency_col in customers.columns:
        return nonnegative_column(customers, frequency_col, func=func)
    if transactions is None:
        check_columns(customers, {"frequency_col": frequency_col}, func=func)
        raise ConfigError(
            f"{func}: the usual gap between purchases counts purchase days, but `customers` "
            f"was summarised in {freq!r} periods, so {frequency_col!r} counts repeat periods. "
            "Hint: pass transactions=..., or summarise with freq='D'."
        )
    if positions is None:
        positions = transactions.positions(customers.index, func=func)
    return repeat_days(transactions, positions, len(customers))


def rhythm_columns(
    customers: pd.DataFrame,
    *,
    transactions: PreparedTransactions | None,
    func: str,
    positions: np.ndarray | None = None,
    base_gap: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(overdue_ratio, days_since_last, usual_gap_days)`` of each row of `customers`.

    The columns when `customers` has ``overdue_ratio`` (e.g. from
    :func:`kamseg.lifecycle_stage`); otherwise computed by :func:`rhythm` from the summary's
    ``days_since_last``, ``tenure_days`` and the repeat purchase days (the daily
    ``frequency``, or counted from the prepared `transactions`). Unknown values are NaN.
    `base_gap`: as in :func:`rhythm` (None: the median of these customers).

    Raises
    ------
    ColumnNotFoundError
        If neither ``overdue_ratio`` nor the summary columns are there.
    """
    n = len(customers)
    nan = np.full(n, np.nan)

    def column(name: str) -> np.ndarray:
        return nonnegative_column(customers, name, func=func) if name in customers else nan

    days = column("days_since_last")
    if "overdue_ratio" in customers:
        return column("overdue_ratio"), days, column("usual_gap_days")
    needed = ("days_since_last", "tenure_days", "frequency")
    missing = [c for c in needed if c not in customers]
    if missing:
        raise ColumnNotFoundError(
            f"{func}: the overdue ratio needs column 'overdue_ratio' (from "
            f"kamseg.lifecycle_stage) or the summary columns {', '.join(map(repr, needed))}; "
            f"{', '.join(map(repr, missing))} missing. Hint: start from kamseg.summarize."
        )
    k = repeat_purchase_days(
        customers,
        transactions=transactions,
        frequency_col="frequency",
        func=func,
        positions=positions,
    )
    r = rhythm(days, column("tenure_days"), k, base_gap=base_gap)
    return r.overdue_ratio, days, r.usual_gap_days


def trends(
    customers: pd.DataFrame,
    *,
    transactions: Any,
    window_days: int = TREND_WINDOW_DAYS,
    min_trend_orders: int = MIN_TREND_ORDERS,
    as_of: Any = None,
    customer_col: Hashable | None = None,
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
) -> pd.DataFrame:
    """Spend in the last two windows and the spend and frequency trends between them.

    The recent window is the last `window_days` days up to `as_of` (included), the previous
    one the `window_days` days before. A trend **counts** only when the customer's first
    purchase is at least two windows old and it placed at least `min_trend_orders` orders
    (rows, or distinct order ids) in the two windows together; otherwise it is NaN. This is
    the one rule of :func:`kamseg.lifecycle_stage`, :func:`kamseg.health_score` and
    :func:`kamseg.early_warnings`.

    Parameters
    ----------
    customers
        One row per customer, indexed by id (e.g. from :func:`kamseg.summarize`).
    transactions
        Prepared transactions, or a DataFrame prepared with the keyword options.
    window_days
        Length of each window in days (>= 1).
    min_trend_orders
        Orders needed in the two windows together (>= 1).
    as_of
        End of the recent window; default ``customers.attrs["as_of"]``, else the latest date.
    customer_col, date_col, amount_col, dropna, returns
        How transactions given as a DataFrame are prepared
        (:func:`kamseg.prepare_transactions`). `customer_col` defaults to the name of the
        index of `customers` (``"customer_id"`` when the index has no name).

    Returns
    -------
    DataFrame
        Indexed like `customers`: ``spend_recent``, ``spend_previous`` (net spend in each
        window), ``spend_trend`` (``spend_recent / spend_previous - 1``), ``frequency_trend``
        (the same with distinct purchase days); trends NaN when they do not count or the
        previous value is <= 0.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.features import trends
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a"] * 8,
    ...     "date": ["2023-01-01", "2024-01-10", "2024-02-10", "2024-03-10", "2024-08-01",
    ...              "2024-09-01", "2024-10-01", "2024-11-01"],
    ...     "amount": [5.0, 10, 10, 10, 20, 20, 20, 20],
    ... })
    >>> customers = pd.DataFrame(index=pd.Index(["a"], name="customer_id"))
    >>> trends(customers, transactions=tx, as_of="2024-12-31")
                 spend_recent  spend_previous  spend_trend  frequency_trend
    customer_id
    a                    80.0            30.0     1.666667         0.333333
    """
    func = "trends"
    check_frame(customers, func=func, arg="customers", allow_empty=True)
    window = check_int(window_days, func=func, arg="window_days", low=1)
    min_orders = check_int(min_trend_orders, func=func, arg="min_trend_orders", low=1)
    prepared = prepared_for(
        customers,
        transactions=transactions,
        func=func,
        as_of=as_of,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        dropna=dropna,
        returns=returns,
    )
    act = customer_activity(customers, transactions=prepared, window=window, func=func)
    return pd.DataFrame(
        {
            "spend_recent": act.spend_recent,
            "spend_previous": act.spend_previous,
            "spend_trend": act.spend_trend(min_orders),
            "frequency_trend": act.frequency_trend(min_orders),
        },
        index=customers.index,
    )
