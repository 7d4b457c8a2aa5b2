"""Customer value classes: high, medium and low value (the value dimension of seed 002).

:func:`value_class` ranks customers on a value basis of the user's choice (net revenue,
profit, or a lifetime-value column such as ``clv`` written by :func:`kamseg.clv.predict`)
and classes them **high**, **medium** or **low**. By default the top 20 % of customers are
high, the next 30 % medium and the other half low. Customers with a negative profit are
flagged in a column of their own, never dropped or hidden in a class.

Every class carries the action recommended for it (:mod:`kamseg.actions`), as an optional
``value_action`` column, in English or Chinese.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Sequence
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._state import state
from kamseg._validation import (
    check_choice,
    check_columns,
    check_frame,
    check_no_overwrite,
    examples,
    to_float,
)
from kamseg.actions import action_column
from kamseg.errors import ConfigError, SchemaError
from kamseg.labels import VALUE_CLASS_LABELS, Language, check_language, translate_all

__all__ = [
    "VALUE_CLASSES",
    "VALUE_CUTOFFS",
    "ValueClassFit",
    "ValueMethod",
    "fit_value_class",
    "value_class",
]

ValueMethod = Literal["share", "quantile"]
"""``"share"``: classes by share of customers ranked by value; ``"quantile"``: classes by
value thresholds at quantiles of the value distribution."""

#: Default cut-offs: the top 20 % of customers are high value, the top 50 % high or medium.
VALUE_CUTOFFS: tuple[float, float] = (0.2, 0.5)
#: The value classes, worst to best (the category order of ``value_class``).
VALUE_CLASSES: tuple[str, str, str] = ("low", "medium", "high")

_DIMENSION = "value_class"
_REL_TOL = 1e-12  # relative tolerance of customer counts (cut-off * n)


def _check_cutoffs(cutoffs: object, *, func: str) -> tuple[float, float]:
    ok = (
        isinstance(cutoffs, Sequence | np.ndarray)
        and not isinstance(cutoffs, str | bytes)
        and len(cutoffs) == 2
        and all(
            isinstance(c, int | float | np.number) and not isinstance(c, bool) for c in cutoffs
        )
    )
    arr = np.asarray(cutoffs, dtype=np.float64) if ok else np.empty(0)
    if (
        not ok
        or not np.isfinite(arr).all()
        or (arr <= 0).any()
        or (arr > 1).any()
        or arr[0] >= arr[1]
    ):
        raise ConfigError(
            f"{func}: `cutoffs` must be two strictly increasing shares of customers in "
            f"(0, 1], (high, high + medium); got {cutoffs!r}. Hint: (0.2, 0.5) makes the top "
            "20 % high value and the next 30 % medium."
        )
    return float(arr[0]), float(arr[1])


def _values(df: pd.DataFrame, col: Hashable, *, func: str, arg: str) -> np.ndarray:
    x = to_float(df[col], func=func, col=str(col))
    nulls = np.isnan(x)
    if nulls.any():
        raise SchemaError(
            f"{func}: {int(nulls.sum())} value(s) of column {col!r} (argument `{arg}`) are "
            f"null; examples at index {examples(df.index[nulls])}. Hint: fill them (e.g. "
            "prospects without purchases with 0) or drop those customers first."
        )
    return x


def _share_cuts(v: np.ndarray, cuts: tuple[float, float]) -> tuple[float, float]:
    """The least values that are high, and high or medium, by the share rule.

    A customer is high when fewer than ``k = ceil(cutoffs[0] * n)`` customers have a
    strictly higher value, that is when its value is at least the k-th largest value (the
    k-th largest and every value above it have fewer than k values above them; a value below
    it has the k largest above it). Ties therefore share a class and no tie order is needed.
    """
    n = v.size
    k_high, k_top = (math.ceil(c * n * (1 - _REL_TOL)) for c in cuts)  # 1 <= k <= n
    desc = np.sort(v)[::-1]
    return float(desc[k_high - 1]), float(desc[k_top - 1])


def _quantile_cuts(v: np.ndarray, cuts: tuple[float, float]) -> tuple[float, float]:
    """The value thresholds at the quantiles ``1 - cutoff`` (linear interpolation)."""
    t_high, t_top = np.quantile(v, [1 - cuts[0], 1 - cuts[1]], method="linear")
    return float(t_high), float(t_top)


def _check_action(action: object, *, func: str) -> bool:
    if not isinstance(action, bool | np.bool_):
        raise ConfigError(f"{func}: `action` must be True or False; got {action!r}.")
    return bool(action)


def _flag_col(value_col: Hashable, profit_col: Hashable | None) -> Hashable | None:
    """The column flagged when negative: `profit_col`, else a value column named profit."""
    return value_col if profit_col is None and value_col == "profit" else profit_col


def _new_columns(flag_col: Hashable | None, action: bool) -> list[str]:
    return (
        ["value_class"]
        + (["negative_profit"] if flag_col is not None else [])
        + (["value_action"] if action else [])
    )


@state("value.ValueClassFit")
@dataclasses.dataclass(frozen=True)
class ValueClassFit:
    """What :func:`value_class` learns from the customer base: two value thresholds.

    Made by :func:`fit_value_class`; :meth:`apply` classes any customer table with them,
    row by row: a positive value at or above `high_min` is high, at or above `top_min`
    medium, anything else low. Both methods come down to these two thresholds (see
    :func:`fit_value_class`), so applying the fit to the table it was fitted on gives
    :func:`value_class`'s result exactly.

    Attributes
    ----------
    value_col, profit_col, method, cutoffs, labels, action, overwrite
        The options of :func:`value_class` (`labels` checked, `cutoffs` as floats).
    high_min, top_min
        The least value that is high, and high or medium (``high_min >= top_min``).
    n_customers
        The number of customers the thresholds were learned from.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.value import fit_value_class
    >>> base = pd.DataFrame({"revenue": [500.0, 80.0, 300.0, 20.0, 40.0]})
    >>> fit = fit_value_class(base)
    >>> fit.high_min, fit.top_min  # the 1st and 3rd largest of 5: ceil(0.2 * 5), ceil(0.5 * 5)
    (500.0, 80.0)
    >>> new = pd.DataFrame({"revenue": [650.0, 80.0, 79.0, 0.0]})
    >>> fit.apply(new)["value_class"].tolist()
    ['high', 'medium', 'low', 'low']
    """

    value_col: Hashable
    profit_col: Hashable | None
    method: str
    cutoffs: tuple[float, float]
    high_min: float
    top_min: float
    n_customers: int
    labels: Language
    action: bool
    overwrite: bool

    def apply(self, customers: pd.DataFrame) -> pd.DataFrame:
        """Class each customer of `customers` with the fitted thresholds.

        Row-wise: each row's classes depend only on that row and the fit, so any subset
        of the rows, in any order, gets the same rows. `customers` may be empty.

        Returns
        -------
        DataFrame
            `customers` with ``value_class``, ``negative_profit`` and ``value_action`` as
            in :func:`value_class`.

        Raises
        ------
        ColumnNotFoundError, SchemaError, ConfigError
            As :func:`value_class` (a missing or null column, an output column that
            exists while `overwrite` is false).
        """
        return _apply(self, customers, func="value_class")


def _apply(fit: ValueClassFit, customers: pd.DataFrame, *, func: str) -> pd.DataFrame:
    check_frame(customers, func=func, arg="customers", allow_empty=True)
    check_columns(customers, {"value_col": fit.value_col, "profit_col": fit.profit_col}, func=func)
    flag_col = _flag_col(fit.value_col, fit.profit_col)
    check_no_overwrite(
        customers, _new_columns(flag_col, fit.action), func=func, overwrite=fit.overwrite
    )
    v = _values(customers, fit.value_col, func=func, arg="value_col")
    codes = (v >= fit.high_min).astype(np.int8) + (v >= fit.top_min)
    codes = np.where(v > 0, codes, 0).astype(np.int8)
    lang = fit.labels
    names = translate_all(VALUE_CLASSES, labels=lang, table=VALUE_CLASS_LABELS)
    columns: dict[str, Any] = {
        "value_class": pd.Categorical.from_codes(codes, categories=pd.Index(names), ordered=True)
    }
    if flag_col is not None:
        profit = (
            v
            if flag_col == fit.value_col
            else _values(customers, flag_col, func=func, arg="profit_col")
        )
        columns["negative_profit"] = profit < 0
    if fit.action:
        columns["value_action"] = action_column(_DIMENSION, VALUE_CLASSES, codes, labels=lang)
    return customers.assign(**columns)


def _fit(
    customers: pd.DataFrame,
    *,
    func: str,
    value_col: Hashable,
    method: ValueMethod,
    cutoffs: Sequence[float],
    profit_col: Hashable | None,
    labels: Language,
    action: bool,
    overwrite: bool,
    check_overwrite: bool,
) -> ValueClassFit:
    check_frame(customers, func=func, arg="customers")
    check_choice(method, get_args(ValueMethod), func=func, arg="method")
    lang = check_language(labels, func=func)
    cuts = _check_cutoffs(cutoffs, func=func)
    act = _check_action(action, func=func)
    check_columns(customers, {"value_col": value_col, "profit_col": profit_col}, func=func)
    if check_overwrite:  # value_class: the errors in the order they always came
        new_cols = _new_columns(_flag_col(value_col, profit_col), act)
        check_no_overwrite(customers, new_cols, func=func, overwrite=overwrite)
    v = _values(customers, value_col, func=func, arg="value_col")
    high_min, top_min = _share_cuts(v, cuts) if method == "share" else _quantile_cuts(v, cuts)
    return ValueClassFit(
        value_col=value_col,
        profit_col=profit_col,
        method=str(method),
        cutoffs=cuts,
        high_min=high_min,
        top_min=top_min,
        n_customers=int(v.size),
        labels=lang,
        action=act,
        overwrite=bool(overwrite),
    )


def fit_value_class(
    customers: pd.DataFrame,
    *,
    value_col: Hashable = "revenue",
    method: ValueMethod = "share",
    cutoffs: Sequence[float] = VALUE_CUTOFFS,
    profit_col: Hashable | None = None,
    labels: Language = "en",
    action: bool = False,
    overwrite: bool = False,
) -> ValueClassFit:
    """Learn the value thresholds of :func:`value_class` from a customer base.

    Parameters are those of :func:`value_class`; `labels`, `action`, `overwrite` and the
    column names are kept in the fit for :meth:`ValueClassFit.apply`.

    Returns
    -------
    ValueClassFit
        The least value that is high (``high_min``), and high or medium (``top_min``).

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
        As :func:`value_class`.

    Notes
    -----
    **Share rule.** With ``n`` customers and ``k = ceil(cutoffs[0] * n)``, fewer than
    ``k`` customers have a value strictly above a customer exactly when its value is at least
    the k-th largest value of the base: ``high_min`` is that value (``top_min`` the same with
    ``cutoffs[1]``). Tied customers share a class, whatever the order of the rows, so the
    thresholds are plain values (no customer id breaks ties). A new customer is compared with
    the thresholds of the base (the base is not re-ranked with it).

    **Quantile rule.** The two quantiles themselves.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.value import fit_value_class, value_class
    >>> tx = kamseg.datasets.make_transactions(n_customers=200, seed=0).transactions
    >>> customers = kamseg.summarize(tx)
    >>> fit = fit_value_class(customers, method="quantile")
    >>> fit.apply(customers).equals(value_class(customers, method="quantile"))
    True
    >>> batch = value_class(customers, method="quantile")
    >>> one = fit.apply(customers.iloc[[3]])  # one customer: its class in the batch
    >>> one["value_class"].iloc[0] == batch["value_class"].iloc[3]
    True
    """
    return _fit(
        customers,
        func="fit_value_class",
        value_col=value_col,
        method=method,
        cutoffs=cutoffs,
        profit_col=profit_col,
        labels=labels,
        action=action,
        overwrite=overwrite,
        check_overwrite=False,
    )


def value_class(
    customers: pd.DataFrame,
    *,
    value_col: Hashable = "revenue",
    method: ValueMethod = "share",
    cutoffs: Sequence[float] = VALUE_CUTOFFS,
    profit_col: Hashable | None = None,
    labels: Language = "en",
    action: bool = False,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Class each customer high, medium or low value.

    Parameters
    ----------
    customers
        One row per customer, e.g. from :func:`kamseg.summarize`. Not modified.
    value_col
        The value basis: ``"revenue"`` (default, net revenue), ``"profit"`` (from
        ``summarize(..., profit_col=...)``), or a lifetime-value column such as ``"clv"``
        or ``"profit_clv"`` from :func:`kamseg.clv.predict`. Larger is better.
    method
        ``"share"`` (default): rank customers by value; the top ``cutoffs[0]`` of the
        customers are high value, the customers up to ``cutoffs[1]`` medium, the rest low
        (see *Notes*). ``"quantile"``: compare each value with the value quantiles at
        ``1 - cutoffs[0]`` and ``1 - cutoffs[1]`` (the 80th percentile and the median by
        default).
    cutoffs
        Two strictly increasing shares of customers in (0, 1]: the share that is high
        value, and the share that is high or medium. Default ``(0.2, 0.5)``: top 20 %
        high, next 30 % medium, last 50 % low.
    profit_col
        Optional profit column. When given, ``negative_profit`` flags the customers whose
        profit is < 0. When not given and `value_col` is named ``"profit"``, the value
        itself is the profit and is flagged the same way.
    labels
        Language of the class names and actions: ``"en"`` or ``"zh"``.
    action
        Add ``value_action``, the action recommended for each class.
    overwrite
        Replace output columns that already exist in `customers` instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index, same row order) with the columns:

        - ``value_class`` (ordered ``category``, ``low < medium < high``; in Chinese
          ``低价值 < 中等价值 < 高价值``): every customer gets exactly one class.
        - ``negative_profit`` (bool): profit < 0; only when `profit_col` is given or
          `value_col` is ``"profit"``. Loss-making customers keep their class (a high
          revenue customer can lose money); the flag shows them.
        - ``value_action`` (category: one category per action text): the
          recommended action of the class; only with ``action=True``.

    Raises
    ------
    ColumnNotFoundError
        If `value_col` or `profit_col` is missing.
    SchemaError
        If the values or profits are null, non-numeric or infinite.
    EmptyInputError
        If `customers` has no rows.
    ConfigError
        If `method`, `cutoffs` or `labels` are invalid, or an output column exists and
        `overwrite` is false.

    Notes
    -----
    **Share rule and ties** (``method="share"``). With ``n`` customers, a customer is
    high value when the customers with a strictly higher value are fewer than
    ``cutoffs[0] * n``, medium when they are fewer than ``cutoffs[1] * n``, low otherwise.
    Without ties, the top ``ceil(0.2 n)`` customers are high and the next ones up to
    ``ceil(0.5 n)`` medium. Tied customers share the better class, so the result never
    depends on row order, and under heavy ties a class can hold more than its share (all
    equal positive values are all high, one customer is high).

    **Quantile rule** (``method="quantile"``). The thresholds are
    ``numpy.quantile(values, [1 - cutoffs[0], 1 - cutoffs[1]])`` with linear
    interpolation (as ``pandas.Series.quantile``). A customer whose value is at or above the
    first threshold is high, at or above the second medium, otherwise low; ties share a
    class. On untied data the two methods differ only in the rounding at the boundaries.

    In both methods **a value <= 0 is always low**: a customer who brought nothing, or
    lost money on the profit basis, is never high or medium value, however many customers
    tie with it.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.value import value_class
    >>> customers = pd.DataFrame(
    ...     {
    ...         "revenue": [9000.0, 40.0, 700.0, 0.0, 2500.0, 90.0, 300.0, 60.0, 120.0, 15.0],
    ...         "profit": [-150.0, 8.0, 90.0, 0.0, 400.0, 9.0, 45.0, 5.0, 20.0, -2.0],
    ...     },
    ...     index=pd.Index(list("abcdefghij"), name="customer_id"),
    ... )
    >>> out = value_class(customers, profit_col="profit")
    >>> out[["revenue", "value_class", "negative_profit"]].head(5)
                 revenue value_class  negative_profit
    customer_id
    a             9000.0        high             True
    b               40.0         low            False
    c              700.0      medium            False
    d                0.0         low            False
    e             2500.0        high            False
    >>> value_class(customers, value_col="profit", labels="zh")["value_class"].tolist()[:5]
    ['低价值', '低价值', '高价值', '低价值', '高价值']

    With the recommended action:

    >>> value_class(customers, action=True).loc["e", "value_action"]
    'Personalised service; priority support; an exclusive loyalty programme.'
    """
    func = "value_class"
    fit = _fit(
        customers,
        func=func,
        value_col=value_col,
        method=method,
        cutoffs=cutoffs,
        profit_col=profit_col,
        labels=labels,
        action=action,
        overwrite=overwrite,
        check_overwrite=True,
    )
    return _apply(fit, customers, func=func)
