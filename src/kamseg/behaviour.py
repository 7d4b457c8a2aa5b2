"""Purchase-behaviour classes: frequent, occasional, one-time and potential customers.

:func:`behaviour_class` sorts customers by how often they buy (the behaviour dimension of
seed 002): **frequent** buyers buy more often than the typical repeat buyer of the same
customer base, **occasional** buyers less often, **one-time** buyers bought once, and
**potential** customers are known from the customer master but never bought.

Every class carries the action recommended for it (:mod:`kamseg.actions`), as an optional
``behaviour_action`` column, in English or Chinese.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kamseg._state import state
from kamseg._validation import (
    append_ids,
    check_columns,
    check_frame,
    check_no_overwrite,
    examples,
    match_master,
    to_float,
)
from kamseg.actions import action_column
from kamseg.errors import ConfigError, SchemaError
from kamseg.labels import BEHAVIOUR_CLASS_LABELS, Language, check_language, translate_all

__all__ = [
    "BEHAVIOUR_CLASSES",
    "DAYS_PER_YEAR",
    "BehaviourClassFit",
    "behaviour_class",
    "fit_behaviour_class",
]

#: The behaviour classes, worst to best (the category order of ``behaviour_class``).
BEHAVIOUR_CLASSES: tuple[str, str, str, str] = ("potential", "one-time", "occasional", "frequent")
#: Days per year used to turn tenure into years (the mean Gregorian year).
DAYS_PER_YEAR = 365.25

_DIMENSION = "behaviour_class"
_POTENTIAL, _ONE_TIME, _OCCASIONAL, _FREQUENT = range(4)


# --------------------------------------------------------------------------------------
# customer master (the same helpers live in kamseg.lifecycle: layer-2 modules do not
# import each other)
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# behaviour_class
# --------------------------------------------------------------------------------------


def _check_share(value: object, *, func: str, arg: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.number)
        or not 0 <= float(value) <= 1
    ):
        raise ConfigError(
            f"{func}: `{arg}` must be a number from 0 to 1; got {value!r}. Hint: 0.5 is the "
            "median, 0.75 the upper quartile."
        )
    return float(value)


def _check_positive(value: object, *, func: str, arg: str, allow_zero: bool = False) -> float:
    x = (
        float(value)
        if isinstance(value, int | float | np.number) and not isinstance(value, bool)
        else math.nan
    )
    if not math.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        kind = "non-negative" if allow_zero else "positive"
        raise ConfigError(f"{func}: `{arg}` must be a finite, {kind} number; got {value!r}.")
    return x


def behaviour_class(
    customers: pd.DataFrame,
    *,
    master: pd.DataFrame | pd.Series | pd.Index | Sequence[Any] | np.ndarray | None = None,
    frequency_col: Hashable = "n_orders",
    tenure_col: Hashable = "tenure_days",
    frequent_quantile: float = 0.5,
    frequent_rate: float | None = None,
    min_tenure_days: float = 30.0,
    labels: Language = "en",
    action: bool = False,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Class each customer frequent, occasional, one-time or potential.

    Parameters
    ----------
    customers
        One row per customer, e.g. from :func:`kamseg.summarize`. Not modified.
    master
        Optional customer master: a DataFrame indexed by customer id (e.g.
        ``Dataset.master``) or the ids (list, Series, Index, array). **Master ids without a row in
        `customers` are appended as new rows**, after the customers' rows, in master
        order, with class potential (see *Returns*). Customers with a row but not in the
        master are classed as usual, and a :class:`~kamseg.errors.KamsegWarning` gives
        their number. Requires a unique index in `customers`.
    frequency_col
        Number of orders. Default ``"n_orders"``. Several orders on one day count as
        several orders; to count purchase days instead, pass a column computed as
        ``frequency + 1`` from a daily :func:`kamseg.summarize`.
    tenure_col
        Days from the first purchase to ``as_of``. Default ``"tenure_days"``.
    frequent_quantile
        Repeat buyers whose purchase rate is at least this quantile of the repeat buyers'
        rates are frequent. Default 0.5, the median (see *Notes*); 0.75 keeps the label
        for the top quarter.
    frequent_rate
        An absolute threshold in orders per year instead (e.g. 12 for monthly buyers);
        overrides `frequent_quantile`.
    min_tenure_days
        Tenure floor in days for the purchase rate, so that a customer who first bought
        last week is not credited with an annualised rate from a few days. Default 30.
    labels
        Language of the class names and actions: ``"en"`` or ``"zh"``.
    action
        Add ``behaviour_action``, the action recommended for each class.
    overwrite
        Replace output columns that already exist in `customers` instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index and row order, plus appended prospects) with:

        - ``orders_per_year`` (float64): the purchase rate, `frequency_col` /
          max(`tenure_col`, `min_tenure_days`) × 365.25; 0 for potential customers.
        - ``behaviour_class`` (ordered ``category``, ``potential < one-time < occasional <
          frequent``; in Chinese ``潜在客户 < 一次性购买 < 偶尔购买 < 频繁购买``): every
          customer gets exactly one class; empty classes stay categories.
        - ``behaviour_action`` (category: one category per action text):
          the recommended action of the class; only with ``action=True``.

        In appended prospect rows, `frequency_col` is 0 and every other input column is
        missing, so pandas turns integer columns into float64 and boolean ones into object.
        The threshold used is stored in ``attrs["kamseg_frequent_rate"]`` (orders per
        year; NaN when no customer bought twice and `frequent_rate` is not given).

    Raises
    ------
    ColumnNotFoundError
        If `frequency_col` or `tenure_col` is missing.
    SchemaError
        If order counts or tenures are non-numeric, infinite or negative, or null for a
        customer that the master does not list; if `master` has null ids, or `customers`
        has a duplicated index when `master` is given.
    EmptyInputError
        If `customers` has no rows.
    ConfigError
        If an option is invalid, if the ids of `master` and `customers` are of different
        kinds and none match, or if an output column exists and `overwrite` is false.

    Notes
    -----
    Rules, first match wins:

    ==========  ========================================================================
    class       rule
    ==========  ========================================================================
    potential   in `master` without a row; or 0 orders; or no order count (null) and in
                `master` (e.g. a prospect appended by another kamseg function)
    one-time    at most one order
    frequent    two or more orders, and ``orders_per_year`` >= the threshold
    occasional  two or more orders, below the threshold
    ==========  ========================================================================

    **The threshold** is relative to the customer base: the `frequent_quantile` quantile
    (linear interpolation) of ``orders_per_year`` over the repeat buyers (two or more
    orders), unless `frequent_rate` fixes it. The default, the median, splits repeat
    buyers in two halves: frequent buyers buy more often than the typical repeat buyer
    of the base, occasional ones less often, which is what the two words say. It needs
    no tuning, is robust to the heavy tail of purchase rates, and one-time buyers do not
    pull it down. Tied rates share a class, so the result never depends on row order.

    **Purchase rate.** Orders per year of tenure (first purchase to ``as_of``), so a
    customer who bought often long ago and rarely since has a low rate. Tenure is
    floored at `min_tenure_days`: two orders in the first week count as two orders in 30
    days, about 24 a year.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.behaviour import behaviour_class
    >>> customers = pd.DataFrame(
    ...     {"n_orders": [24, 1, 3, 10, 2], "tenure_days": [700, 40, 800, 400, 10]},
    ...     index=pd.Index(list("abcde"), name="customer_id"),
    ... )
    >>> out = behaviour_class(customers, master=list("abcdexy"))
    >>> out[["n_orders", "orders_per_year", "behaviour_class"]].round(2)
                 n_orders  orders_per_year behaviour_class
    customer_id
    a                   24            12.52        frequent
    b                    1             9.13        one-time
    c                    3             1.37      occasional
    d                   10             9.13      occasional
    e                    2            24.35        frequent
    x                    0             0.00       potential
    y                    0             0.00       potential

    The repeat buyers' median rate is 10.8 orders a year (between ``d`` and ``a``).
    In Chinese, with the recommended action:

    >>> zh = behaviour_class(customers, labels="zh", action=True)
    >>> zh.loc["b", ["behaviour_class", "behaviour_action"]].tolist()
    ['一次性购买', '跟进首单体验；给出再次购买的理由。']
    """
    func = "behaviour_class"
    options = _options(
        customers,
        func=func,
        frequency_col=frequency_col,
        tenure_col=tenure_col,
        frequent_quantile=frequent_quantile,
        frequent_rate=frequent_rate,
        min_tenure_days=min_tenure_days,
        labels=labels,
        action=action,
        overwrite=overwrite,
        check_overwrite=True,
    )
    # matched here, so that its notice points at the caller
    matched = (
        _no_master(customers) if master is None else match_master(customers, master, func=func)
    )
    fit = _learn(options, customers, matched[0], func=func)
    return _apply(fit, customers, func=func, matched=matched)


# --------------------------------------------------------------------------------------
# fit and apply
# --------------------------------------------------------------------------------------

_Master = pd.DataFrame | pd.Series | pd.Index | Sequence[Any] | np.ndarray | None
_Matched = tuple[np.ndarray, pd.Index | None]  # rows in the master, master ids without a row


def _new_columns(action: bool) -> list[str]:
    return ["orders_per_year", "behaviour_class"] + (["behaviour_action"] if action else [])


def _no_master(customers: pd.DataFrame) -> _Matched:
    return np.zeros(len(customers), dtype=bool), None


def _rates(
    customers: pd.DataFrame,
    in_master: np.ndarray,
    *,
    func: str,
    frequency_col: Hashable,
    tenure_col: Hashable,
    floor: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Order counts, potential and repeat buyers, purchase rates; checks the values."""
    orders = to_float(customers[frequency_col], func=func, col=str(frequency_col))
    tenure = to_float(customers[tenure_col], func=func, col=str(tenure_col))
    no_count = np.isnan(orders)
    bad_null = no_count & ~in_master
    if bad_null.any():
        raise SchemaError(
            f"{func}: {int(bad_null.sum())} value(s) of column {frequency_col!r} are null; "
            f"examples at index {examples(customers.index[bad_null])}. Hint: fill them, or "
            "pass `master` when they are prospects without purchases."
        )
    potential = no_count | (orders == 0)
    bought = ~potential
    for col, x in ((frequency_col, orders), (tenure_col, tenure)):
        bad = bought & ~(x >= 0)
        if bad.any():
            what = "null" if np.isnan(x[bad]).all() else "negative or null"
            raise SchemaError(
                f"{func}: {int(bad.sum())} value(s) of column {col!r} are {what}; examples: "
                f"{examples(x[bad])}. Hint: order counts and tenures are >= 0."
            )
    rate = np.zeros(len(customers), dtype=np.float64)
    rate[bought] = orders[bought] / np.maximum(tenure[bought], floor) * DAYS_PER_YEAR
    repeat = bought & (orders > 1)
    return orders, potential, repeat, rate


@state("behaviour.BehaviourClassFit")
@dataclasses.dataclass(frozen=True)
class BehaviourClassFit:
    """What :func:`behaviour_class` learns from the customer base: the frequent threshold.

    Made by :func:`fit_behaviour_class`; :meth:`apply` classes any customer table with it,
    row by row: a repeat buyer whose ``orders_per_year`` is at least `threshold` is
    frequent, below it occasional (the other rules need no threshold). Applying the fit to
    the table it was fitted on gives :func:`behaviour_class`'s result exactly.

    Attributes
    ----------
    frequency_col, tenure_col, frequent_quantile, frequent_rate, min_tenure_days
        The options of :func:`behaviour_class` (numbers as floats).
    labels, action, overwrite
        The options of :func:`behaviour_class`.
    threshold
        Orders per year: the `frequent_quantile` quantile of the base's repeat buyers'
        rates, or `frequent_rate` when given; NaN when neither exists (no repeat buyer
        is then frequent).
    n_repeat
        The number of repeat buyers of the base.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.behaviour import fit_behaviour_class
    >>> base = pd.DataFrame(
    ...     {"n_orders": [24, 1, 3, 10, 2], "tenure_days": [700, 40, 800, 400, 10]}
    ... )
    >>> fit = fit_behaviour_class(base)
    >>> round(fit.threshold, 2)  # the median of the four repeat buyers' rates
    10.83
    >>> new = pd.DataFrame({"n_orders": [12, 6, 1, 0], "tenure_days": [365.25, 365.25, 3, 0]})
    >>> fit.apply(new)["behaviour_class"].tolist()
    ['frequent', 'occasional', 'one-time', 'potential']
    """

    frequency_col: Hashable
    tenure_col: Hashable
    frequent_quantile: float
    frequent_rate: float | None
    min_tenure_days: float
    threshold: float
    n_repeat: int
    labels: Language
    action: bool
    overwrite: bool

    def apply(self, customers: pd.DataFrame, *, master: _Master = None) -> pd.DataFrame:
        """Class each customer of `customers` with the fitted threshold.

        Parameters
        ----------
        customers
            One row per customer (may be empty). Not modified.
        master
            Optional customer master, as in :func:`behaviour_class`: its ids without a row
            in `customers` are appended as potential customers. Each row of `customers`
            depends only on itself and the fit (and whether the master lists it).

        Returns
        -------
        DataFrame
            As :func:`behaviour_class`; ``attrs["kamseg_frequent_rate"]`` is the fitted
            threshold.

        Raises
        ------
        ColumnNotFoundError, SchemaError, ConfigError
            As :func:`behaviour_class`.
        """
        func = "behaviour_class"
        check_frame(customers, func=func, arg="customers", allow_empty=True)
        cols = {"frequency_col": self.frequency_col, "tenure_col": self.tenure_col}
        check_columns(customers, cols, func=func)
        check_no_overwrite(
            customers, _new_columns(self.action), func=func, overwrite=self.overwrite
        )
        matched = (
            _no_master(customers) if master is None else match_master(customers, master, func=func)
        )
        return _apply(self, customers, func=func, matched=matched)


def _options(
    customers: pd.DataFrame,
    *,
    func: str,
    frequency_col: Hashable,
    tenure_col: Hashable,
    frequent_quantile: float,
    frequent_rate: float | None,
    min_tenure_days: float,
    labels: Language,
    action: bool,
    overwrite: bool,
    check_overwrite: bool,
) -> BehaviourClassFit:
    """The checked options, as a fit with no threshold yet."""
    check_frame(customers, func=func, arg="customers")
    lang = check_language(labels, func=func)
    q = _check_share(frequent_quantile, func=func, arg="frequent_quantile")
    fixed = (
        None
        if frequent_rate is None
        else _check_positive(frequent_rate, func=func, arg="frequent_rate", allow_zero=True)
    )
    floor = _check_positive(min_tenure_days, func=func, arg="min_tenure_days")
    if not isinstance(action, bool | np.bool_):
        raise ConfigError(f"{func}: `action` must be True or False; got {action!r}.")
    check_columns(customers, {"frequency_col": frequency_col, "tenure_col": tenure_col}, func=func)
    if check_overwrite:  # behaviour_class: the errors in the order they always came
        check_no_overwrite(customers, _new_columns(bool(action)), func=func, overwrite=overwrite)
    return BehaviourClassFit(
        frequency_col=frequency_col,
        tenure_col=tenure_col,
        frequent_quantile=q,
        frequent_rate=fixed,
        min_tenure_days=floor,
        threshold=math.nan,
        n_repeat=0,
        labels=lang,
        action=bool(action),
        overwrite=bool(overwrite),
    )


def _learn(
    options: BehaviourClassFit, customers: pd.DataFrame, in_master: np.ndarray, *, func: str
) -> BehaviourClassFit:
    """The fit: the threshold learned from the repeat buyers of `customers`."""
    _, _, repeat, rate = _rates(
        customers,
        in_master,
        func=func,
        frequency_col=options.frequency_col,
        tenure_col=options.tenure_col,
        floor=options.min_tenure_days,
    )
    if options.frequent_rate is not None:
        threshold = options.frequent_rate
    elif repeat.any():
        threshold = float(np.quantile(rate[repeat], options.frequent_quantile, method="linear"))
    else:
        threshold = math.nan
    return dataclasses.replace(options, threshold=threshold, n_repeat=int(repeat.sum()))


def _apply(
    fit: BehaviourClassFit,
    customers: pd.DataFrame,
    *,
    func: str,
    matched: _Matched,
) -> pd.DataFrame:
    """Class the checked `customers` (`matched` with the master) with the fit."""
    frequency_col = fit.frequency_col
    in_master, new_ids = matched
    orders, potential, repeat, rate = _rates(
        customers,
        in_master,
        func=func,
        frequency_col=frequency_col,
        tenure_col=fit.tenure_col,
        floor=fit.min_tenure_days,
    )
    codes = np.full(len(customers), _ONE_TIME, dtype=np.int8)
    codes[potential] = _POTENTIAL
    codes[repeat] = np.where(rate[repeat] >= fit.threshold, _FREQUENT, _OCCASIONAL)

    out = customers
    if new_ids is not None and len(new_ids):
        m = len(new_ids)
        out = append_ids(customers, new_ids)
        counts = customers[frequency_col]
        if pd.api.types.is_integer_dtype(counts.dtype) and isinstance(counts.dtype, np.dtype):
            zeros = np.zeros(m, dtype=counts.dtype)
            out[frequency_col] = np.concatenate((counts.to_numpy(), zeros))
        else:
            out[frequency_col] = np.concatenate((orders, np.zeros(m)))
        rate = np.concatenate((rate, np.zeros(m)))
        codes = np.concatenate((codes, np.full(m, _POTENTIAL, dtype=np.int8)))
    names = translate_all(BEHAVIOUR_CLASSES, labels=fit.labels, table=BEHAVIOUR_CLASS_LABELS)
    columns: dict[str, Any] = {
        "orders_per_year": rate,
        "behaviour_class": pd.Categorical.from_codes(
            codes, categories=pd.Index(names), ordered=True
        ),
    }
    if fit.action:
        columns["behaviour_action"] = action_column(
            _DIMENSION, BEHAVIOUR_CLASSES, codes, labels=fit.labels
        )
    out = out.assign(**columns)
    out.attrs["kamseg_frequent_rate"] = fit.threshold
    return out


def fit_behaviour_class(
    customers: pd.DataFrame,
    *,
    master: _Master = None,
    frequency_col: Hashable = "n_orders",
    tenure_col: Hashable = "tenure_days",
    frequent_quantile: float = 0.5,
    frequent_rate: float | None = None,
    min_tenure_days: float = 30.0,
    labels: Language = "en",
    action: bool = False,
    overwrite: bool = False,
) -> BehaviourClassFit:
    """Learn the frequent threshold of :func:`behaviour_class` from a customer base.

    Parameters are those of :func:`behaviour_class`. `master` only tells which customers
    without an order count are prospects (they are potential, as any customer without an
    order, and do not count for the threshold); it is not kept: pass it to
    :meth:`BehaviourClassFit.apply` to append the prospects.

    Returns
    -------
    BehaviourClassFit
        The threshold in orders per year and the options.

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
        As :func:`behaviour_class`.

    Notes
    -----
    The threshold is the `frequent_quantile` quantile (linear interpolation) of the purchase
    rates of the base's repeat buyers (two or more orders), or `frequent_rate` when given.
    Tied rates share a class whatever the row order, so the threshold alone reproduces the
    base's classes; a new customer is compared with it (the base is not re-ranked).

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.behaviour import behaviour_class, fit_behaviour_class
    >>> data = kamseg.datasets.make_transactions(n_customers=200, seed=0)
    >>> customers = kamseg.summarize(data.transactions, as_of=data.as_of)
    >>> fit = fit_behaviour_class(customers)
    >>> fit.apply(customers).equals(behaviour_class(customers))
    True
    >>> fit.apply(customers.iloc[[5, 2]]).equals(behaviour_class(customers).iloc[[5, 2]])
    True
    """
    func = "fit_behaviour_class"
    options = _options(
        customers,
        func=func,
        frequency_col=frequency_col,
        tenure_col=tenure_col,
        frequent_quantile=frequent_quantile,
        frequent_rate=frequent_rate,
        min_tenure_days=min_tenure_days,
        labels=labels,
        action=action,
        overwrite=overwrite,
        check_overwrite=False,
    )
    matched = (
        _no_master(customers) if master is None else match_master(customers, master, func=func)
    )
    return _learn(options, customers, matched[0], func=func)
