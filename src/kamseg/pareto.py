"""Pareto analysis: ABC classes, customer pyramids, concentration and the profit whale curve.

The 80/20 rule says that a few customers make most of the value. This module measures
how true that is for a customer base, and names the few:

- :func:`pareto_table` ranks customers by a value column (revenue, profit, CLV, ...) and
  adds ``value_rank``, ``value_share``, the cumulative shares of the Pareto curve and the
  ``abc_class`` (A = the customers making the first 80 % of value, B the next 15 %, C the
  rest);
- :func:`pyramid` adds ``pyramid_tier``: the customer pyramid by customer share
  (Top 1 % / Big 4 % / Medium 15 % / Small 80 %, after Curry & Curry, *The Customer
  Marketing Method*, 2000) or the profitability pyramid (Platinum / Gold / Iron / Lead,
  after Zeithaml, Rust & Lemon, *The Customer Pyramid*, California Management Review,
  2001), with Inactive customers and Prospects as tiers of their own when known;
- :func:`concentration` gives the Gini coefficient and its Lorenz curve, the share of value
  from the top x % of customers, the share of customers making 80 % of value and the
  Herfindahl-Hirschman index;
- :func:`whale_curve` gives the cumulative profit of customers ranked by profit and its
  peak ("the most profitable 23% of customers earn 162% of total profit");
- :func:`pareto_summary` gives one row per class or tier: customers, value, shares, mean;
- :func:`fit_pareto_table` and :func:`fit_pyramid` learn the ranking from a customer base
  (:class:`ParetoFit`, :class:`PyramidFit`), whose ``apply`` ranks and classes other
  customers, row by row, consistently with the base (see their *Notes*). The curves
  (:func:`concentration`, :func:`whale_curve`) describe a whole base and have no fit.

Rules shared by every function here
-----------------------------------
**Ranking and ties.** Customers are ranked by value, highest first. Customers with equal
values form one tie group: they get the same rank, the same cumulative shares and the same
class or tier, so the results never depend on the row order of the input. Outputs keep the
input's index and row order.

**Cut-offs** are cumulative and a class or tier takes the customer who *straddles* its
cut-off: a customer is A when the customers with a strictly higher value make less than
80 % of the total (so the customer whose value crosses 80 % is A, and so is everyone tied
with it); a customer is Top when the customers with a strictly higher value are fewer than
1 % of the customers (so the top ``ceil(1 % * n)`` customers are Top, plus ties). To
absorb floating-point rounding, shares are compared with a tolerance of 1e-9.

**Negative values** (net returns, loss-making customers) make value shares meaningless for
ABC classes, Lorenz curves, Gini and HHI. With ``negative="clip"`` (the default) they count
as 0 there and a :class:`~kamseg.errors.KamsegWarning` gives their number; with
``negative="error"`` they raise :class:`~kamseg.errors.SchemaError`. The pyramids rank raw
values and put customers with a value <= 0 in the bottom tier (Small, or Lead), and the
whale curve is made for negative profits: neither clips.

**Zero total.** When the (clipped) values sum to 0, shares are undefined:
:func:`pareto_table` and :func:`concentration` raise :class:`~kamseg.errors.SchemaError`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from typing import Any, TypeAlias, get_args

import numpy as np
import pandas as pd

from kamseg._groups import groups_of
from kamseg._pareto_curves import _concentration_fields, _whale_fields, _whale_sentence
from kamseg._pareto_fit import (
    ParetoFit,
    PyramidFit,
    _fit_pareto_table,
    _fit_pyramid,
    fit_pareto_table,
    fit_pyramid,
)
from kamseg._pareto_inputs import (
    ABC_CUTOFFS,
    PARETO_COLUMNS,
    PROFIT_PYRAMID_CUTOFFS,
    VALUE_PYRAMID_CUTOFFS,
    NegativePolicy,
    PyramidKind,
    _check_shares,
    _clip_negative,
    _column,
    _values_from,
)
from kamseg._validation import check_choice, check_columns, check_frame
from kamseg.errors import ConfigError, EmptyInputError, SchemaError  # noqa: F401 (docs links)
from kamseg.labels import Language, check_language

__all__ = [
    "ABC_CUTOFFS",
    "PARETO_COLUMNS",
    "PROFIT_PYRAMID_CUTOFFS",
    "VALUE_PYRAMID_CUTOFFS",
    "Concentration",
    "NegativePolicy",
    "ParetoFit",
    "PyramidFit",
    "PyramidKind",
    "WhaleCurve",
    "concentration",
    "fit_pareto_table",
    "fit_pyramid",
    "pareto_summary",
    "pareto_table",
    "pyramid",
    "whale_curve",
]

Values: TypeAlias = "pd.DataFrame | pd.Series | Sequence[float] | np.ndarray"


# --------------------------------------------------------------------------------------
# pareto_table
# --------------------------------------------------------------------------------------


def pareto_table(
    customers: pd.DataFrame,
    *,
    value_col: Hashable = "revenue",
    cutoffs: Sequence[float] = ABC_CUTOFFS,
    negative: NegativePolicy = "clip",
    labels: Language = "en",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Rank customers by value and class them A, B or C (the Pareto or ABC analysis).

    Parameters
    ----------
    customers
        One row per customer, e.g. from :func:`kamseg.summarize`. Not modified.
    value_col
        The value to rank by: ``"revenue"`` (default), ``"profit"``, a CLV column, ...
    cutoffs
        Two cumulative value shares ``(a, b)``, ``0 < a < b <= 1``: class A makes the first
        ``a`` of the total value, B the value up to ``b``, C the rest. Default
        ``(0.8, 0.95)``: A the first 80 %, B the next 15 %, C the last 5 %.
    negative
        Negative values: ``"clip"`` (default) counts them as 0 in the shares, with a
        :class:`~kamseg.errors.KamsegWarning` giving their number; ``"error"`` raises.
    labels
        Language of the class names: ``"en"`` (``A``, ``B``, ``C``) or ``"zh"``
        (``A类``, ``B类``, ``C类``).
    overwrite
        Replace output columns that already exist in `customers` instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index, same row order) with the columns:

        - ``value_rank`` (int64): 1 for the highest value; tied customers share the
          smallest rank of their group (1, 2, 2, 4).
        - ``value_share`` (float64): the customer's value / total value (negative values
          clipped to 0 first); sums to 1.
        - ``cum_value_share`` (float64): the share of total value made by the customers
          whose value is at least this customer's (ties included); non-decreasing as the
          rank grows, 1 for the lowest value.
        - ``cum_customer_share`` (float64): the share of customers whose value is at least
          this customer's (ties included); 1 for the lowest value.
        - ``abc_class`` (ordered ``category``, ``C < B < A``): see *Notes*.

    Raises
    ------
    ColumnNotFoundError
        If `value_col` is missing.
    SchemaError
        If the values are null, non-numeric or infinite; if some are negative and
        ``negative="error"``; if they sum to 0 (after clipping): shares are undefined.
    EmptyInputError
        If `customers` has no rows.
    ConfigError
        If `cutoffs`, `negative` or `labels` are invalid, or an output column exists and
        `overwrite` is false.

    Notes
    -----
    **Straddling customers.** Let *before* be the share of total value made by the
    customers with a strictly higher value. A customer is A when *before* < ``a``, B when
    ``a`` <= *before* < ``b``, and C otherwise. So the customer whose value crosses 80 %
    (it *straddles* the cut-off) is A: class A is the smallest set of top customers that
    makes at least 80 % of the value. Tied customers have the same *before* and so the same
    class; every A customer has a higher value than every B customer, and every B customer
    a higher value than every C customer. The top customer (and everyone tied with it) is
    always A, so one customer, or all-equal values, are all A. Customers with a value of 0
    (or a clipped negative value) are always C: the customers before them make the whole
    total.

    Shares are compared with the cut-offs with a tolerance of 1e-9, so that a *before*
    of exactly 0.8 computed as 0.7999999999 still counts as 0.8.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.pareto import pareto_table
    >>> customers = pd.DataFrame(
    ...     {"revenue": [20.0, 500.0, 300.0, 160.0, 20.0]},
    ...     index=pd.Index(list("abcde"), name="customer_id"),
    ... )
    >>> table = pareto_table(customers)
    >>> table[["value_rank", "value_share", "cum_value_share", "abc_class"]]
                 value_rank  value_share  cum_value_share abc_class
    customer_id
    a                     4         0.02             1.00         C
    b                     1         0.50             0.50         A
    c                     2         0.30             0.80         A
    d                     3         0.16             0.96         B
    e                     4         0.02             1.00         C

    ``b`` and ``c`` make exactly 80 %, so ``d`` is B (the share before it is 0.8); ``a``
    and ``e`` tie, sharing rank 4 and class C. On the demo data:

    >>> import kamseg
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
    >>> table = pareto_table(kamseg.summarize(data.transactions, as_of=data.as_of))
    >>> table["abc_class"].value_counts().sort_index().to_dict()
    {'C': 118, 'B': 80, 'A': 72}
    """
    return _fit_pareto_table(
        customers,
        value_col=value_col,
        cutoffs=cutoffs,
        negative=negative,
        labels=labels,
        overwrite=overwrite,
        func="pareto_table",
    )._apply(customers, func="pareto_table", fitted_table=True)


# --------------------------------------------------------------------------------------
# pyramid
# --------------------------------------------------------------------------------------


def pyramid(
    customers: pd.DataFrame,
    *,
    kind: PyramidKind = "value",
    value_col: Hashable = "revenue",
    profit_col: Hashable = "profit",
    cutoffs: Sequence[float] | None = None,
    inactive_days: float | None = None,
    days_since_last_col: Hashable = "days_since_last",
    active_col: Hashable | None = None,
    prospects: pd.DataFrame | pd.Index | Sequence[Any] | np.ndarray | None = None,
    labels: Language = "en",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Place each customer in a tier of the customer pyramid.

    Two pyramids:

    - ``kind="value"`` (Curry & Curry): active customers ranked by `value_col`; the top
      1 % are **Top**, the next 4 % **Big**, the next 15 % **Medium**, the remaining 80 %
      **Small**.
    - ``kind="profit"`` (Zeithaml, Rust & Lemon): active customers ranked by `profit_col`;
      **Lead** are the customers whose profit is <= 0 (they cost more than they bring);
      of the others, those in the top 5 % of all active customers are **Platinum**, those in
      the next 15 % **Gold**, the rest **Iron**.

    Below them, when the data says who they are: **Inactive** customers (see
    `inactive_days` and `active_col`) and **Prospects** (see `prospects`).

    Parameters
    ----------
    customers
        One row per customer, e.g. from :func:`kamseg.summarize`. Not modified.
    kind
        ``"value"`` (default) or ``"profit"``; see above.
    value_col
        The value ranked by the value pyramid. Default ``"revenue"``.
    profit_col
        The profit ranked by the profit pyramid. Default ``"profit"``.
    cutoffs
        Cumulative shares of the active customers ending each tier, best tier first,
        strictly increasing in (0, 1]. ``kind="value"``: three shares ending Top, Big and
        Medium, default ``(0.01, 0.05, 0.20)`` (:data:`VALUE_PYRAMID_CUTOFFS`; tiers of
        1 %, 4 %, 15 % and 80 %). ``kind="profit"``: two shares ending Platinum and Gold,
        default ``(0.05, 0.20)`` (:data:`PROFIT_PYRAMID_CUTOFFS`).
    inactive_days
        When given, customers whose `days_since_last_col` is greater than this many days are
        Inactive (e.g. 365: no purchase for more than a year).
    days_since_last_col
        Days since the last purchase, read only with `inactive_days`. Default
        ``"days_since_last"``.
    active_col
        Optional boolean column; customers where it is False are Inactive (e.g. computed
        as ``p_alive > 0.5``). With both `inactive_days` and `active_col`, a customer
        either rule calls inactive is Inactive.
    prospects
        Known customers, to find the prospects: a customer master DataFrame (its index
        holds the customer ids, e.g. ``Dataset.master``) or a list / Index / array of ids.
        **Ids that have no row in `customers` are appended as new rows**, after the
        customers' rows, in the order given, with tier Prospect. In those rows `value_col`
        and `profit_col` (those that exist and are numeric) are 0 and every other column is
        missing, so pandas turns integer columns into float64 and boolean ones into object.
        Requires a unique index in `customers`.
    labels
        Language of the tier names: ``"en"`` or ``"zh"``.
    overwrite
        Replace an existing ``pyramid_tier`` column instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index and row order, plus any appended prospects) with
        the column ``pyramid_tier`` (ordered ``category``, from the bottom of the pyramid
        to the top): ``[Prospect <] [Inactive <] Small < Medium < Big < Top`` or
        ``[Prospect <] [Inactive <] Lead < Iron < Gold < Platinum``; Prospect and Inactive
        are categories only when `prospects`, `inactive_days` or `active_col` are given.
        Every customer gets exactly one tier; empty tiers stay categories.

    Raises
    ------
    ColumnNotFoundError
        If a column named by an argument is missing.
    SchemaError
        If the ranked column or `days_since_last_col` has nulls, non-numbers or inf; if
        `active_col` is not boolean or has nulls; if `prospects` has null ids, or
        `customers` has a duplicated index when `prospects` is given.
    EmptyInputError
        If `customers` has no rows.
    ConfigError
        If `kind`, `cutoffs`, `inactive_days`, `prospects` or `labels` are invalid, if the
        ids of `prospects` and of `customers` are of different kinds and none match, or if
        ``pyramid_tier`` exists and `overwrite` is false.

    Notes
    -----
    **Ranks, ties and cut-offs.** Tiers are shares of the *active* customers (Inactive
    customers and Prospects are placed first and not counted). A customer is in the top
    tier when the active customers with a strictly higher value are fewer than
    ``cutoffs[0] * n`` (``n`` active customers), and so on down. Hence without ties the top
    ``ceil(0.01 * n)`` customers are Top (with fewer than 100 customers, the best one is
    Top), and tied customers share the better tier, so under heavy ties a tier can hold
    more than its share. A customer whose ranked value is <= 0 is always in the bottom
    tier (Small, or Lead). So all-equal positive values put every active customer in the
    top tier, and all-zero values put them all in the bottom tier. Negative values are
    ranked as they are (no clipping).

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.pareto import pyramid
    >>> customers = pd.DataFrame(
    ...     {
    ...         "revenue": [9000.0, 40.0, 700.0, 0.0, 2500.0, 90.0],
    ...         "profit": [1500.0, -20.0, 80.0, -5.0, 300.0, 10.0],
    ...         "days_since_last": [10, 30, 400, 500, 3, 60],
    ...     },
    ...     index=pd.Index(list("abcdef"), name="customer_id"),
    ... )
    >>> pyramid(customers, cutoffs=(0.1, 0.3, 0.6))["pyramid_tier"].tolist()
    ['Top', 'Small', 'Medium', 'Small', 'Big', 'Medium']
    >>> tiers = pyramid(customers, kind="profit", cutoffs=(0.25, 0.5), inactive_days=365)
    >>> tiers["pyramid_tier"].tolist()
    ['Platinum', 'Lead', 'Inactive', 'Inactive', 'Gold', 'Iron']

    Prospects from a customer master are appended:

    >>> master = pd.DataFrame(index=pd.Index(list("abcdefxy"), name="customer_id"))
    >>> out = pyramid(customers, prospects=master, labels="zh")
    >>> out["pyramid_tier"].tail(3).tolist()
    ['小客户', '潜在客户', '潜在客户']
    >>> out.loc[["x", "y"], "revenue"].tolist()
    [0.0, 0.0]
    """
    return _fit_pyramid(
        customers,
        kind=kind,
        value_col=value_col,
        profit_col=profit_col,
        cutoffs=cutoffs,
        inactive_days=inactive_days,
        days_since_last_col=days_since_last_col,
        active_col=active_col,
        labels=labels,
        overwrite=overwrite,
        func="pyramid",
    )._apply(customers, prospects=prospects, func="pyramid")


# --------------------------------------------------------------------------------------
# concentration
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Concentration:
    """How concentrated value is among customers, as computed by :func:`concentration`.

    Attributes
    ----------
    n_customers : int
        Number of customers.
    total : float
        Total value (negative values counted as 0).
    gini : float
        Gini coefficient, 0 (all equal) to ``1 - 1/n`` (one customer has everything).
    lorenz : DataFrame
        The Lorenz curve, ``n + 1`` points: ``cum_customer_share`` (float64, 0, 1/n, ...,
        1) and ``cum_value_share`` (float64) with customers sorted by *ascending* value,
        starting at (0, 0) and ending at (1, 1). ``gini`` is 1 minus twice the area under
        its piecewise-linear curve.
    top_shares : Series
        Share of total value (float64) made by the top x of customers, indexed by x
        (float64, index named ``top_customer_share``).
    target : float
        The value share of ``customers_for_target`` (default 0.8).
    customers_for_target : float
        The smallest share of customers (whole customers, the top ones) making at least
        ``target`` of the value: e.g. 0.2 for an exact 80/20 rule.
    hhi : float
        Herfindahl-Hirschman index: the sum of squared value shares, from ``1/n`` (all
        equal) to 1 (one customer has everything). Multiply by 10,000 for the antitrust
        convention (shares in percent); ``1 / hhi`` is the "numbers equivalent", the number
        of equal customers that would give the same index.
    """

    n_customers: int
    total: float
    gini: float
    lorenz: pd.DataFrame
    top_shares: pd.Series
    target: float
    customers_for_target: float
    hhi: float

    def to_series(self) -> pd.Series:
        """The scalar measures as one float64 Series (top shares as ``top_<x>``).

        Examples
        --------
        >>> from kamseg.pareto import concentration
        >>> concentration([1.0, 1.0, 2.0], top=[0.5]).to_series().round(4).to_dict()
        {'n_customers': 3.0, 'total': 4.0, 'gini': 0.1667, 'hhi': 0.375, 'target': 0.8, \
'customers_for_target': 1.0, 'top_0.5': 0.625}
        """
        data: dict[str, float] = {
            "n_customers": float(self.n_customers),
            "total": self.total,
            "gini": self.gini,
            "hhi": self.hhi,
            "target": self.target,
            "customers_for_target": self.customers_for_target,
        }
        for share, value in self.top_shares.items():
            data[f"top_{share:g}"] = float(value)
        return pd.Series(data, dtype=np.float64)

    def __repr__(self) -> str:
        tops = ", ".join(f"{k:g}: {v:.4g}" for k, v in self.top_shares.items())
        return (
            f"Concentration(n_customers={self.n_customers}, gini={self.gini:.4g}, "
            f"hhi={self.hhi:.4g}, customers_for_target={self.customers_for_target:.4g} "
            f"(target={self.target:g}), top_shares={{{tops}}})"
        )


def concentration(
    customers: Values,
    *,
    value_col: Hashable = "revenue",
    top: float | Sequence[float] = (0.01, 0.05, 0.2),
    target: float = 0.8,
    negative: NegativePolicy = "clip",
) -> Concentration:
    """Measure how concentrated value is: Gini, Lorenz curve, top shares, HHI.

    Parameters
    ----------
    customers
        The customer table (reads `value_col`); a Series or a 1-D array of the values
        themselves works too. Not modified.
    value_col
        Column of values when `customers` is a DataFrame. Default ``"revenue"``.
    top
        Customer shares in (0, 1] for ``top_shares``. Default ``(0.01, 0.05, 0.2)``.
    target
        Value share in (0, 1] for ``customers_for_target``. Default 0.8.
    negative
        Negative values: ``"clip"`` (default) counts them as 0, with a
        :class:`~kamseg.errors.KamsegWarning` giving their number; ``"error"`` raises.

    Returns
    -------
    Concentration
        A frozen dataclass with ``n_customers``, ``total``, ``gini``, ``lorenz``
        (DataFrame: ``cum_customer_share``, ``cum_value_share``, float64),
        ``top_shares`` (float64 Series), ``target``, ``customers_for_target`` and ``hhi``;
        see :class:`Concentration`. ``to_series()`` gives the numbers as one Series.

    Raises
    ------
    ColumnNotFoundError
        If `value_col` is missing from a DataFrame.
    SchemaError
        If values are null, non-numeric or infinite; negative with
        ``negative="error"``; or all 0 (after clipping), which leaves shares undefined.
    EmptyInputError
        If there are no values.
    ConfigError
        If `top`, `target` or `negative` are invalid.
    TypeError
        If `customers` is not a DataFrame, a Series or a 1-D array.

    Notes
    -----
    With ``n`` values sorted ascending, :math:`x_{(1)} \\le \\dots \\le x_{(n)}`, the Gini
    coefficient is the sample Gini without small-sample correction,

    .. math:: G = \\frac{2 \\sum_i i\\, x_{(i)}}{n \\sum_i x_i} - \\frac{n + 1}{n},

    which equals 1 minus twice the area under the piecewise-linear Lorenz curve. It is 0
    for one customer and for all-equal values, and ``1 - 1/n`` when one customer has all
    the value (e.g. 0.75 for ``[0, 0, 0, 1]``). Multiply by ``n / (n - 1)`` for the
    corrected version that reaches 1.

    ``top_shares`` reads the Pareto curve (customers by descending value) with linear
    interpolation between customers: with 150 customers, the top 1 % is 1.5 customers,
    the first one plus half of the second. ``customers_for_target`` counts whole customers:
    it is ``k / n`` for the smallest ``k`` whose top ``k`` customers make at least
    `target` of the value (so it is the share of class A of :func:`pareto_table`, with
    ``cutoffs=(target, ...)``, when no tie straddles the cut-off).

    Examples
    --------
    >>> from kamseg.pareto import concentration
    >>> c = concentration([0.0, 0.0, 0.0, 1.0], top=[0.25, 0.5])
    >>> c.gini, c.hhi, c.customers_for_target
    (0.75, 1.0, 0.25)
    >>> c.top_shares.to_dict()
    {0.25: 1.0, 0.5: 1.0}
    >>> c.lorenz
       cum_customer_share  cum_value_share
    0                0.00              0.0
    1                0.25              0.0
    2                0.50              0.0
    3                0.75              0.0
    4                1.00              1.0

    On a customer table:

    >>> import kamseg
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
    >>> customers = kamseg.summarize(data.transactions, as_of=data.as_of)
    >>> round(concentration(customers, value_col="revenue").gini, 3)
    0.708
    """
    func = "concentration"
    check_choice(negative, get_args(NegativePolicy), func=func, arg="negative")
    top_values = [top] if isinstance(top, int | float | np.number) else top
    shares = _check_shares(top_values, func=func, arg="top")
    goal = _check_shares([target], func=func, arg="target")[0]
    x, col = _values_from(customers, value_col, func=func, arg="customers", col_arg="value_col")
    v = _clip_negative(x, negative, func=func, col=col)
    return Concentration(**_concentration_fields(v, shares, goal, func=func, col=col))


# --------------------------------------------------------------------------------------
# whale curve
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class WhaleCurve:
    """The profit whale curve, as computed by :func:`whale_curve`.

    Attributes
    ----------
    points : DataFrame
        ``n + 1`` points, customers ranked by profit from the most profitable; row ``k``
        (a RangeIndex, 0..n) is after the top ``k`` customers: ``cum_customer_share``
        (float64, ``k / n``), ``cum_profit`` (float64, their total profit) and
        ``cum_profit_share`` (float64, ``cum_profit`` / total profit; NaN when the total
        profit is <= 0).
    n_customers : int
        Number of customers.
    total_profit : float
        Sum of all profits.
    peak_customer_share : float
        Share of customers at the peak of the curve: the customers with a profit > 0.
    peak_profit : float
        Their total profit, the highest point of ``cum_profit``.
    peak_profit_share : float
        ``peak_profit`` / ``total_profit``, at least 1 (1.62 is "162 %"); NaN when the
        total profit is <= 0.
    """

    points: pd.DataFrame
    n_customers: int
    total_profit: float
    peak_customer_share: float
    peak_profit: float
    peak_profit_share: float

    def describe(self, *, labels: Language = "en") -> str:
        """The peak in one sentence, in English or Chinese.

        Examples
        --------
        >>> from kamseg.pareto import whale_curve
        >>> curve = whale_curve([50.0, 30.0, 10.0, -40.0])
        >>> curve.describe()
        'the most profitable 75% of customers earn 180% of total profit; the other 25% \
lose 80% of it'
        >>> curve.describe(labels="zh")
        '最赚钱的 75% 客户贡献了总利润的 180%；其余 25% 的客户亏掉了其中的 80%'
        """
        lang = check_language(labels, func="WhaleCurve.describe")
        return _whale_sentence(
            peak_customer_share=self.peak_customer_share,
            peak_profit=self.peak_profit,
            peak_profit_share=self.peak_profit_share,
            total_profit=self.total_profit,
            lang=lang,
        )

    def __repr__(self) -> str:
        return (
            f"WhaleCurve(n_customers={self.n_customers}, total_profit={self.total_profit:.6g}, "
            f"peak_customer_share={self.peak_customer_share:.4g}, "
            f"peak_profit_share={self.peak_profit_share:.4g})"
        )


def whale_curve(customers: Values, *, profit_col: Hashable = "profit") -> WhaleCurve:
    """Cumulative profit of customers ranked by profit, and its peak (the whale curve).

    Ranking customers from the most to the least profitable, cumulative profit rises
    while customers are profitable, peaks, and falls through the loss-making ones to the
    total profit. The height of the hump says how much the profitable customers earn and
    the loss-makers give back: "the most profitable 23% of customers earn 162% of total
    profit" (Kaplan & Cooper, *Cost & Effect*, 1998).

    Parameters
    ----------
    customers
        The customer table (reads `profit_col`); a Series or a 1-D array of the profits
        works too. Negative profits are expected and kept. Not modified.
    profit_col
        Profit per customer when `customers` is a DataFrame. Default ``"profit"``. A profit
        net of the cost to serve shows the loss-makers best.

    Returns
    -------
    WhaleCurve
        A frozen dataclass with ``points`` (DataFrame: ``cum_customer_share``,
        ``cum_profit``, ``cum_profit_share``, all float64, ``n + 1`` rows from (0, 0)),
        ``n_customers``, ``total_profit``, ``peak_customer_share``, ``peak_profit``,
        ``peak_profit_share`` and ``describe()``; see :class:`WhaleCurve`.

    Raises
    ------
    ColumnNotFoundError
        If `profit_col` is missing from a DataFrame.
    SchemaError
        If profits are null, non-numeric or infinite.
    EmptyInputError
        If there are no profits.
    TypeError
        If `customers` is not a DataFrame, a Series or a 1-D array.

    Notes
    -----
    The peak is after the last customer with a profit > 0 (customers with a profit of
    exactly 0 come after the peak). With no profitable customer the peak is (0, 0). When
    the total profit is <= 0, profit shares are undefined: ``cum_profit_share`` and
    ``peak_profit_share`` are NaN (with a :class:`~kamseg.errors.KamsegWarning`) and
    ``describe()`` speaks in amounts. Tied profits give the same points in any order.

    Examples
    --------
    >>> from kamseg.pareto import whale_curve
    >>> curve = whale_curve([10.0, -40.0, 50.0, 30.0])
    >>> curve.peak_customer_share, curve.peak_profit_share
    (0.75, 1.8)
    >>> curve.points
       cum_customer_share  cum_profit  cum_profit_share
    0                0.00         0.0              0.00
    1                0.25        50.0              1.00
    2                0.50        80.0              1.60
    3                0.75        90.0              1.80
    4                1.00        50.0              1.00
    """
    func = "whale_curve"
    x, _ = _values_from(customers, profit_col, func=func, arg="customers", col_arg="profit_col")
    return WhaleCurve(**_whale_fields(x, func=func))


# --------------------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------------------


def pareto_summary(
    customers: pd.DataFrame,
    *,
    segment_col: Hashable = "abc_class",
    value_col: Hashable = "revenue",
) -> pd.DataFrame:
    """Summarise customers and value per ABC class or pyramid tier.

    Parameters
    ----------
    customers
        One row per customer with a class column, e.g. from :func:`pareto_table` or
        :func:`pyramid`. Not modified.
    segment_col
        The class column: ``"abc_class"`` (default), ``"pyramid_tier"`` or any other. If
        it is categorical, every category gets a row, in category order (worst to best for
        kamseg's classes; empty classes included); otherwise the distinct values, sorted.
    value_col
        The value summed and averaged. Default ``"revenue"``. Values are used as they are
        (negative values are not clipped).

    Returns
    -------
    DataFrame
        Indexed by class (a ``CategoricalIndex`` named after `segment_col`), with:

        - ``customers`` (int64): number of customers;
        - ``customer_share`` (float64): ``customers`` / all customers (sums to 1);
        - ``value`` (float64): sum of `value_col`;
        - ``value_share`` (float64): ``value`` / total value; sums to 1, but a class with
          negative value has a negative share and others may exceed 1. NaN when the total
          is 0 or negative;
        - ``mean_value`` (float64): mean of `value_col`; NaN for empty classes.

    Raises
    ------
    ColumnNotFoundError
        If `segment_col` or `value_col` is missing.
    SchemaError
        If `segment_col` has nulls, or `value_col` has nulls, non-numbers or inf.
    EmptyInputError
        If `customers` has no rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.pareto import pareto_summary, pareto_table
    >>> customers = pd.DataFrame({"revenue": [20.0, 500.0, 300.0, 160.0, 20.0]})
    >>> pareto_summary(pareto_table(customers))
               customers  customer_share  value  value_share  mean_value
    abc_class
    C                  2             0.4   40.0         0.04        20.0
    B                  1             0.2  160.0         0.16       160.0
    A                  2             0.4  800.0         0.80       400.0
    """
    func = "pareto_summary"
    check_frame(customers, func=func, arg="customers")
    check_columns(customers, {"segment_col": segment_col, "value_col": value_col}, func=func)
    g = groups_of(
        customers[segment_col],
        func=func,
        col=segment_col,
        hint="every customer needs a class; drop or fill those rows.",
    )
    x = _column(customers, value_col, func=func)
    count = g.counts()
    return pd.DataFrame(
        {
            "customers": count,
            "customer_share": count / count.sum(),
            "value": g.sums(x),
            "value_share": g.shares(x),
            "mean_value": g.means(x),
        },
        index=g.index,
    )
