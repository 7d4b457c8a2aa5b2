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

import math
from collections.abc import Hashable, Sequence
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

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

__all__ = ["VALUE_CLASSES", "VALUE_CUTOFFS", "ValueMethod", "value_class"]

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


def _share_codes(v: np.ndarray, cuts: tuple[float, float]) -> np.ndarray:
    """0 low, 1 medium, 2 high by the number of customers with a strictly higher value."""
    n = v.size
    order = np.argsort(-v, kind="stable")
    sorted_v = v[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(sorted_v[1:], sorted_v[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    ahead = np.empty(n, dtype=np.int64)
    ahead[order] = starts[np.cumsum(new) - 1]
    k_high, k_top = (math.ceil(c * n * (1 - _REL_TOL)) for c in cuts)
    codes = (ahead < k_high).astype(np.int8) + (ahead < k_top)
    return np.where(v > 0, codes, 0).astype(np.int8)


def _quantile_codes(v: np.ndarray, cuts: tuple[float, float]) -> np.ndarray:
    """0 low, 1 medium, 2 high by value thresholds at the quantiles ``1 - cutoff``."""
    t_high, t_top = np.quantile(v, [1 - cuts[0], 1 - cuts[1]], method="linear")
    codes = (v >= t_high).astype(np.int8) + (v >= t_top)
    return np.where(v > 0, codes, 0).astype(np.int8)


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
    check_frame(customers, func=func, arg="customers")
    check_choice(method, get_args(ValueMethod), func=func, arg="method")
    lang = check_language(labels, func=func)
    cuts = _check_cutoffs(cutoffs, func=func)
    if not isinstance(action, bool | np.bool_):
        raise ConfigError(f"{func}: `action` must be True or False; got {action!r}.")
    check_columns(customers, {"value_col": value_col, "profit_col": profit_col}, func=func)
    flag_col: Hashable | None = profit_col
    if flag_col is None and value_col == "profit":
        flag_col = value_col
    new_cols = ["value_class"]
    if flag_col is not None:
        new_cols.append("negative_profit")
    if action:
        new_cols.append("value_action")
    check_no_overwrite(customers, new_cols, func=func, overwrite=overwrite)

    v = _values(customers, value_col, func=func, arg="value_col")
    codes = _share_codes(v, cuts) if method == "share" else _quantile_codes(v, cuts)
    names = translate_all(VALUE_CLASSES, labels=lang, table=VALUE_CLASS_LABELS)
    columns: dict[str, Any] = {
        "value_class": pd.Categorical.from_codes(codes, categories=pd.Index(names), ordered=True)
    }
    if flag_col is not None:
        profit = (
            v
            if flag_col == value_col
            else _values(customers, flag_col, func=func, arg="profit_col")
        )
        columns["negative_profit"] = profit < 0
    if action:
        columns["value_action"] = action_column(_DIMENSION, VALUE_CLASSES, codes, labels=lang)
    return customers.assign(**columns)
