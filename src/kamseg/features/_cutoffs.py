"""The churn features of every customer at one cut-off day, or at many in one call.

A cut-off is a day: the features of a customer at a cut-off come from its transactions on or
before that day only (:meth:`~kamseg.transactions.PreparedTransactions.until`), so they are
the same whether or not later transactions exist. Each feature is a measure defined once
elsewhere in kamseg: the daily customer table (:func:`kamseg.summarize`), the overdue ratio
(:func:`~kamseg.features.rhythm`) and the spend in two trailing windows
(:func:`~kamseg.features.window_activity`). :mod:`kamseg.churn` learns from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from kamseg._validation import as_of_day
from kamseg.errors import ConfigError, EmptyInputError
from kamseg.features._rhythm import rhythm
from kamseg.features._windows import window_activity
from kamseg.transactions import PreparedTransactions

__all__ = ["CHURN_FEATURES", "SPEND_WINDOW_DAYS", "features_at", "features_at_cutoffs"]

#: The churn features, in column order (all float64).
CHURN_FEATURES: tuple[str, ...] = (
    "days_since_last",
    "n_orders",
    "revenue",
    "avg_order_value",
    "tenure_days",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "overdue_ratio",
    "spend_90d",
    "spend_180d",
    "spend_ratio_90_180",
)

#: Length of the recent spend window of the churn features (``spend_90d``), in days; the
#: ``spend_180d`` window is twice as long.
SPEND_WINDOW_DAYS = 90

_SUMMARY_FEATURES = CHURN_FEATURES[:9]


def _check_prepared(prepared: object, *, func: str) -> PreparedTransactions:
    if not isinstance(prepared, PreparedTransactions):
        raise TypeError(
            f"{func}: `prepared` must be PreparedTransactions, got {type(prepared).__name__}. "
            "Hint: prepare the table with kamseg.prepare_transactions."
        )
    return prepared


def _cutoff_day(value: Any, prepared: PreparedTransactions, *, func: str) -> int:
    """Day number of a cut-off: a day number as is, a date parsed; None: the `as_of`."""
    if value is None:
        return prepared.as_of_day
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        day = int(value)
    else:
        try:
            parsed = as_of_day(value, func=func)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace("`as_of`", "the cut-off")) from exc
        assert parsed is not None  # value is not None
        day = parsed
    if day > prepared.as_of_day:
        raise ConfigError(
            f"{func}: the cut-off {np.datetime64(day, 'D')} is after the as_of of the "
            f"transactions ({prepared.as_of.date()}), whose later rows were excluded. Hint: "
            "prepare the transactions with a later as_of."
        )
    return day


def _id_rank(prepared: PreparedTransactions) -> np.ndarray:
    """Rank of each customer code in id order (code order when ids cannot be sorted)."""
    try:
        order = prepared.ids.argsort()
    except TypeError:
        return np.arange(len(prepared.ids), dtype=np.int64)
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size, dtype=np.int64)
    return rank


def _arrays(
    prepared: PreparedTransactions, day: int, *, func: str, rank: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Customer codes with a row on or before `day`, in id order (`rank`), and their
    features."""
    from kamseg.summary._pandas import summarize_prepared

    cut = prepared.until(np.datetime64(day, "D"))
    if cut.n_rows == 0:
        raise EmptyInputError(
            f"{func}: no transaction on or before {np.datetime64(day, 'D')}. Hint: choose a "
            "later cut-off."
        )
    # the customer table numbers the customers with rows in code order, as here
    summary = summarize_prepared(cut, "D", sort=False)
    present = np.bincount(cut.code, minlength=len(cut.ids)) > 0
    codes = np.flatnonzero(present).astype(np.int64)
    positions = np.where(present, np.cumsum(present) - 1, -1).astype(np.int64)
    out = {name: summary[name].to_numpy(dtype=np.float64) for name in _SUMMARY_FEATURES}
    out["overdue_ratio"] = rhythm(
        out["days_since_last"], out["tenure_days"], out["frequency"]
    ).overdue_ratio
    act = window_activity(cut, positions, codes.size, window=SPEND_WINDOW_DAYS)
    s90 = act.spend_recent
    s180 = act.spend_recent + act.spend_previous
    ratio = np.full(codes.size, np.nan)
    ok = s180 > 0
    ratio[ok] = s90[ok] / s180[ok]
    out["spend_90d"] = s90
    out["spend_180d"] = s180
    out["spend_ratio_90_180"] = ratio
    by_id = np.argsort(rank[codes], kind="stable")
    return codes[by_id], {name: values[by_id] for name, values in out.items()}


def features_at(
    prepared: PreparedTransactions, day: Any = None, *, func: str = "features_at"
) -> pd.DataFrame:
    """The churn features of each customer with a purchase on or before `day`.

    Parameters
    ----------
    prepared
        The transactions, prepared (:func:`kamseg.prepare_transactions`).
    day
        The cut-off (included): a date, or a day number (days since 1970-01-01, as
        ``prepared.day``). Default: the `as_of` of `prepared`. Later rows are left out,
        silently.
    func
        The function named in error messages.

    Returns
    -------
    DataFrame
        Indexed by customer id (sorted, as the customer table; named after the customer
        column), one row per customer with a row on or before `day`; the
        :data:`CHURN_FEATURES` columns, all float64:

        - ``days_since_last``, ``n_orders``, ``revenue``, ``avg_order_value``,
          ``tenure_days``, ``frequency``, ``recency``, ``T``, ``monetary_value``: the
          columns of :func:`kamseg.summarize` at `day`, in daily periods (``n_orders``
          counts rows, or distinct order ids when `prepared` has an order column);
        - ``overdue_ratio``: ``days_since_last`` over the usual gap between purchases, the
          rule of :func:`~kamseg.features.rhythm` (a single-purchase customer gets the base
          gap: the median usual gap of the repeat buyers at `day`);
        - ``spend_90d``, ``spend_180d``: net spend in the last 90 and 180 days up to `day`
          (included);
        - ``spend_ratio_90_180``: ``spend_90d / spend_180d``; NaN when ``spend_180d <= 0``.

        ``attrs["as_of"]`` holds `day` (ISO text).

    Raises
    ------
    EmptyInputError
        If no row is dated on or before `day`.
    ConfigError
        If `day` is after the `as_of` of `prepared` (its later rows are gone), or is not a
        date.

    Examples
    --------
    >>> import pandas as pd
    >>> import kamseg
    >>> from kamseg.features._cutoffs import features_at
    >>> tx = pd.DataFrame(
    ...     {"customer_id": ["a", "a", "a", "b", "c", "c"],
    ...      "date": ["2024-01-01", "2024-05-01", "2024-06-20", "2024-03-01",
    ...               "2024-02-01", "2024-06-30"],
    ...      "amount": [100.0, 50.0, 30.0, 20.0, 10.0, 10.0]}
    ... )
    >>> prepared = kamseg.prepare_transactions(tx)
    >>> f = features_at(prepared, "2024-06-30")
    >>> cols = ["days_since_last", "tenure_days", "frequency", "overdue_ratio", "spend_90d"]
    >>> f[cols].round(3)
                 days_since_last  tenure_days  frequency  overdue_ratio  spend_90d
    customer_id
    a                       10.0        181.0        2.0          0.117       80.0
    b                      121.0        121.0        0.0          1.028        0.0
    c                        0.0        150.0        1.0          0.000       10.0

    ``a`` bought on three days: its usual gap is ``(181 - 10) / 2 = 85.5`` days, and it is
    ``10 / 85.5`` gaps overdue. ``b`` bought once and gets the base gap, the median usual
    gap of the repeat buyers ``a`` and ``c``: ``(85.5 + 150) / 2 = 117.75`` days, so
    ``121 / 117.75``.
    """
    prepared = _check_prepared(prepared, func=func)
    cutoff = _cutoff_day(day, prepared, func=func)
    codes, columns = _arrays(prepared, cutoff, func=func, rank=_id_rank(prepared))
    out = pd.DataFrame(columns, index=prepared.ids.take(codes), copy=False)
    out.attrs = {"as_of": str(np.datetime64(cutoff, "D"))}
    return out


def features_at_cutoffs(
    prepared: PreparedTransactions, days: Iterable[Any], *, func: str = "features_at_cutoffs"
) -> pd.DataFrame:
    """The churn features at each of several cut-offs, in one table.

    The rows of one cut-off are exactly those of :func:`features_at` at that cut-off.

    Parameters
    ----------
    prepared
        The transactions, prepared (:func:`kamseg.prepare_transactions`).
    days
        The cut-offs: dates, or day numbers (days since 1970-01-01). Duplicates count once.
    func
        The function named in error messages.

    Returns
    -------
    DataFrame
        Indexed by (``cutoff``, customer id): the cut-off (datetime64[ns]) and the customer
        id (named after the customer column), cut-offs in ascending order and the customers
        of each in the order of ``prepared.ids``; the :data:`CHURN_FEATURES` columns
        (float64), as in :func:`features_at`.

    Raises
    ------
    EmptyInputError
        If a cut-off has no row on or before it.
    ConfigError
        If there is no cut-off, or one is after the `as_of` of `prepared` or not a date.

    Examples
    --------
    >>> import pandas as pd
    >>> import kamseg
    >>> from kamseg.features._cutoffs import features_at_cutoffs
    >>> tx = pd.DataFrame(
    ...     {"customer_id": ["a", "a", "b"],
    ...      "date": ["2024-01-01", "2024-02-15", "2024-01-20"],
    ...      "amount": [10.0, 20.0, 5.0]}
    ... )
    >>> prepared = kamseg.prepare_transactions(tx, as_of="2024-02-29")
    >>> f = features_at_cutoffs(prepared, ["2024-01-31", "2024-02-29"])
    >>> f[["n_orders", "revenue", "spend_90d"]]
                           n_orders  revenue  spend_90d
    cutoff     customer_id
    2024-01-31 a                1.0     10.0       10.0
               b                1.0      5.0        5.0
    2024-02-29 a                2.0     30.0       30.0
               b                1.0      5.0        5.0
    """
    prepared = _check_prepared(prepared, func=func)
    if isinstance(days, str) or not isinstance(days, Iterable):
        raise ConfigError(f"{func}: `days` must be a list of cut-offs; got {days!r}.")
    cutoffs = sorted({_cutoff_day(d, prepared, func=func) for d in days})
    if not cutoffs:
        raise ConfigError(f"{func}: `days` is empty. Hint: pass at least one cut-off.")
    codes: list[np.ndarray] = []
    parts: list[dict[str, np.ndarray]] = []
    rank = _id_rank(prepared)
    for cutoff in cutoffs:
        c, columns = _arrays(prepared, cutoff, func=func, rank=rank)
        codes.append(c)
        parts.append(columns)
    sizes = [c.size for c in codes]
    when = np.repeat(np.asarray(cutoffs, dtype=np.int64), sizes)
    index = pd.MultiIndex.from_arrays(
        [
            pd.DatetimeIndex(when.astype("datetime64[D]").astype("datetime64[ns]")),
            prepared.ids.take(np.concatenate(codes)),
        ],
        names=["cutoff", prepared.ids.name],
    )
    data = {name: np.concatenate([p[name] for p in parts]) for name in CHURN_FEATURES}
    return pd.DataFrame(data, index=index, copy=False)
