"""What kamseg.pareto learns from a customer base, frozen (fit once, apply row by row).

:func:`fit_pareto_table` and :func:`fit_pyramid` (re-exported by :mod:`kamseg.pareto`) learn
the ranking of :func:`kamseg.pareto.pareto_table` and :func:`kamseg.pareto.pyramid`:
the base's values (sorted, with their running sums and customer ids) and the value
thresholds of the ABC classes and pyramid tiers. The public functions are
``fit_...(customers).apply(customers)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from typing import Any, get_args

import numpy as np
import pandas as pd

from kamseg._pareto_curves import _abc_reference, _tier_codes, _tier_thresholds
from kamseg._pareto_inputs import (
    _PROFIT_TIERS,
    _VALUE_TIERS,
    ABC_CUTOFFS,
    PARETO_COLUMNS,
    PROFIT_PYRAMID_CUTOFFS,
    VALUE_PYRAMID_CUTOFFS,
    NegativePolicy,
    PyramidKind,
    _check_cutoffs,
    _check_inactive_days,
    _clip_negative,
    _column,
    _inactive,
    _new_prospects,
    _with_tiers,
)
from kamseg._state import state
from kamseg._validation import (
    check_choice,
    check_columns,
    check_frame,
    check_no_overwrite,
    examples,
    search_sorted,
)
from kamseg.errors import SchemaError
from kamseg.labels import (
    ABC_CLASS_LABELS,
    PYRAMID_TIER_LABELS,
    Language,
    check_language,
    translate_all,
)

_ABC = ("C", "B", "A")  # worst to best
# warnings.warn stacklevel naming the caller of a public function two calls above the clip
_STACK = 5


# --------------------------------------------------------------------------------------
# customer ids
# --------------------------------------------------------------------------------------


def _id_kind(index: pd.Index) -> str | None:
    """``"int"`` or ``"str"`` when the index holds integers or strings only, else None."""
    if pd.api.types.is_integer_dtype(index.dtype):
        return "int"
    if pd.api.types.infer_dtype(index, skipna=False) == "string":
        return "str"
    return None


def _find(ids: np.ndarray, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the `index` ids in the sorted `ids`, and whether each was found."""
    n = len(index)
    kind = "int" if ids.dtype.kind in "iu" else "str"
    if ids.size == 0 or _id_kind(index) != kind:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    query = index.to_numpy(dtype=np.int64 if kind == "int" else object)
    pos = np.minimum(search_sorted(ids, query)[0], ids.size - 1)
    return pos, ids[pos] == query


# --------------------------------------------------------------------------------------
# pareto_table
# --------------------------------------------------------------------------------------


@state("pareto.ParetoFit")
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ParetoFit:
    """The ranking learned by :func:`fit_pareto_table`.

    Attributes
    ----------
    value_col : hashable
        The value column ranked.
    cutoffs : tuple of float
        The ABC cut-offs ``(a, b)``.
    negative : str
        The negative-value policy.
    labels : str
        The language of the class names.
    overwrite : bool
        Whether :meth:`apply` may replace existing output columns.
    values : ndarray
        The base's values (negative values clipped to 0), ascending (float64).
    cum_desc : ndarray
        ``n + 1`` running sums of the values taken from the highest (``cum_desc[k]`` is the
        value of the top ``k`` customers, ``cum_desc[-1]`` the total), float64.
    ids, id_values : ndarray or None
        The base's customer ids, sorted (int64, or object array of str), and each one's
        value; None when the base's index is not unique integers or strings.
    thresholds : tuple of float
        ``(t_a, t_b)``: the smallest value of class A, and of classes A or B (+inf when
        there is none): a value is A when >= ``t_a``, B when >= ``t_b``, else C.
    """

    value_col: Hashable
    cutoffs: tuple[float, float]
    negative: str
    labels: Language
    overwrite: bool
    values: np.ndarray
    cum_desc: np.ndarray
    ids: np.ndarray | None
    id_values: np.ndarray | None
    thresholds: tuple[float, float]

    def apply(self, customers: pd.DataFrame) -> pd.DataFrame:
        """Rank and class `customers` against the fitted base (row by row).

        Returns what :func:`kamseg.pareto.pareto_table` returns (same columns and dtypes);
        on the fitted table exactly the same frame. Each row depends only on its own value
        and id, so scoring a subset of customers gives the same rows as scoring everyone.
        See *Notes* of :func:`fit_pareto_table` for the rule.

        Raises
        ------
        ColumnNotFoundError, EmptyInputError, ConfigError
            As :func:`kamseg.pareto.pareto_table`.
        SchemaError
            If a value is null, non-numeric or infinite, negative with
            ``negative="error"``, or leaves the base with a total of 0.

        Examples
        --------
        >>> import pandas as pd
        >>> from kamseg.pareto import fit_pareto_table
        >>> base = pd.DataFrame({"revenue": [500.0, 300.0, 160.0, 40.0]}, index=[1, 2, 3, 4])
        >>> fit = fit_pareto_table(base)
        >>> new = pd.DataFrame({"revenue": [200.0]}, index=[9])
        >>> fit.apply(new)[["value_rank", "value_share", "cum_value_share", "abc_class"]]
           value_rank  value_share  cum_value_share abc_class
        9           3     0.166667         0.833333         B
        """
        return self._apply(customers, func="ParetoFit.apply", fitted_table=False)

    def _apply(self, customers: pd.DataFrame, *, func: str, fitted_table: bool) -> pd.DataFrame:
        """`fitted_table`: `customers` is the very table fitted on (the path of
        ``pareto_table``): its rows are the base rows (matched by position), and its
        negative values have been reported by the fit."""
        check_frame(customers, func=func, arg="customers")
        check_columns(customers, {"value_col": self.value_col}, func=func)
        check_no_overwrite(customers, PARETO_COLUMNS, func=func, overwrite=self.overwrite)
        x = _column(customers, self.value_col, func=func)
        stack = None if fitted_table else _STACK
        v = _clip_negative(x, self.negative, func=func, col=str(self.value_col), stacklevel=stack)
        if fitted_table:
            own, has_own = v, np.ones(v.size, dtype=bool)
        else:
            own, has_own = self._own(customers.index, v)
        return customers.assign(**self._columns(v, own, has_own, customers.index, func=func))

    def _own(self, index: pd.Index, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each customer's value in the base (0 for an id not in it), and whether it is."""
        if self.ids is None or self.id_values is None:
            # no usable ids: a value found in the base counts as that customer's row
            pos = np.minimum(search_sorted(self.values, v)[0], self.values.size - 1)
            return v, self.values[pos] == v
        pos, found = _find(self.ids, index)
        return np.where(found, self.id_values[pos], 0.0), found

    def _columns(
        self,
        v: np.ndarray,
        own: np.ndarray,
        has_own: np.ndarray,
        index: pd.Index,
        *,
        func: str,
    ) -> dict[str, Any]:
        """The output columns: each customer replaces its own base row, or is added."""
        n = self.values.size
        cum = self.cum_desc
        total = float(cum[-1])
        after, from_ = search_sorted(self.values, v, "right", "left")
        ahead = n - after  # base values > v
        at_least = n - from_  # base values >= v
        own = np.where(has_own, own, 0.0)
        same = has_own & (own == v)  # unchanged: the base's own numbers, bit for bit
        gt, ge = has_own & (own > v), has_own & (own >= v)
        new_total = np.where(same, total, (total - own) + v)
        bad = new_total <= 0
        if bad.any():
            raise SchemaError(
                f"{func}: with the value of {int(bad.sum())} customer(s) (examples at index "
                f"{examples(index[bad])}) the base's values would sum to 0, so value shares "
                "are undefined. Hint: fit on a base with more positive values."
            )
        through = np.where(same, cum[at_least], (cum[at_least] - np.where(ge, own, 0.0)) + v)
        n_customers = n + (~has_own).astype(np.int64)
        t_a, t_b = self.thresholds
        code = (v >= t_a).astype(np.int8) + (v >= t_b)
        names = translate_all(_ABC, labels=self.labels, table=ABC_CLASS_LABELS)
        return {
            "value_rank": (ahead - gt + 1).astype(np.int64),
            "value_share": v / new_total,
            "cum_value_share": through / new_total,
            "cum_customer_share": (at_least - ge + 1) / n_customers,
            "abc_class": pd.Categorical.from_codes(code, categories=pd.Index(names), ordered=True),
        }

    def __repr__(self) -> str:
        t_a, t_b = self.thresholds
        return (
            f"ParetoFit(value_col={self.value_col!r}, n_customers={self.values.size}, "
            f"total={float(self.cum_desc[-1]):.6g}, A: >= {t_a:.6g}, B: >= {t_b:.6g})"
        )


def fit_pareto_table(
    customers: pd.DataFrame,
    *,
    value_col: Hashable = "revenue",
    cutoffs: Sequence[float] = ABC_CUTOFFS,
    negative: NegativePolicy = "clip",
    labels: Language = "en",
    overwrite: bool = False,
) -> ParetoFit:
    """Learn the ranking of :func:`kamseg.pareto.pareto_table` from a customer base.

    ``fit_pareto_table(customers, ...).apply(customers)`` is ``pareto_table(customers,
    ...)``; :meth:`ParetoFit.apply` then ranks other customers (a new customer, a
    partition, later data) against the base, row by row.

    Parameters
    ----------
    customers
        The customer base, e.g. from :func:`kamseg.summarize`. Not modified. Its index
        (unique integer or string customer ids) tells :meth:`ParetoFit.apply` which base
        row a customer replaces.
    value_col, cutoffs, negative, labels, overwrite
        As in :func:`kamseg.pareto.pareto_table`.

    Returns
    -------
    ParetoFit
        The base's sorted values, running sums, ids and the ABC thresholds.

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
        As :func:`kamseg.pareto.pareto_table` (except the overwrite check, made by
        :meth:`ParetoFit.apply`).

    Notes
    -----
    **Classes** are tie groups, so they are monotone in the value and never depend on row
    order (no tie is broken by position or id): they freeze into two value thresholds,
    the smallest value of class A and of classes A or B. A value between two fitted values
    takes the class of the lower one; a value of 0 is always C.

    **Ranks and shares.** A customer of the applied table gets what it would get if it
    replaced its own row of the base (matched by id), every other base customer keeping
    its value; a customer whose id is not in the base, as if it were added to the base.
    With ``n`` base customers, total ``T``, the customer's value ``x`` and base value ``o``
    (0 for a new customer): ``value_rank`` is 1 + the number of *other* base customers
    with a value > ``x``; the new total is ``T - o + x``; ``value_share`` is ``x`` over it;
    ``cum_value_share`` is the value of the other base customers with a value >= ``x``,
    plus ``x``, over it; ``cum_customer_share`` counts them plus the customer, over ``n``
    (``n + 1`` for a new customer). An unchanged base customer gets the base's numbers bit
    for bit; a changed one the same arithmetic regrouped (within 1e-15 relative of a
    refit). Without usable ids (an index that is not unique integers or strings) a value
    found in the base counts as an unchanged base row, any other value as a new customer.
    The applied values are clipped (or refused) by the `negative` policy too.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.pareto import fit_pareto_table, pareto_table
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
    >>> customers = kamseg.summarize(data.transactions, as_of=data.as_of)
    >>> fit = fit_pareto_table(customers)
    >>> fit.apply(customers).equals(pareto_table(customers))
    True
    >>> fit.apply(customers.iloc[:3]).equals(pareto_table(customers).iloc[:3])
    True
    """
    return _fit_pareto_table(
        customers,
        value_col=value_col,
        cutoffs=cutoffs,
        negative=negative,
        labels=labels,
        overwrite=overwrite,
        func="fit_pareto_table",
    )


def _fit_pareto_table(
    customers: pd.DataFrame,
    *,
    value_col: Hashable,
    cutoffs: Sequence[float],
    negative: NegativePolicy,
    labels: Language,
    overwrite: bool,
    func: str,
) -> ParetoFit:
    """Called directly by the public functions (the clip warning's stack level)."""
    check_frame(customers, func=func, arg="customers")
    check_columns(customers, {"value_col": value_col}, func=func)
    check_choice(negative, get_args(NegativePolicy), func=func, arg="negative")
    lang = check_language(labels, func=func)
    cuts = _check_cutoffs(cutoffs, 2, func=func, example=ABC_CUTOFFS)
    x = _column(customers, value_col, func=func)
    v = _clip_negative(x, negative, func=func, col=str(value_col), stacklevel=_STACK)
    sorted_v, cum, thresholds = _abc_reference(v, cuts, func=func, col=str(value_col))
    ids: np.ndarray | None = None
    id_values: np.ndarray | None = None
    kind = _id_kind(customers.index)
    if kind is not None and customers.index.is_unique:
        raw = customers.index.to_numpy(dtype=np.int64 if kind == "int" else object)
        order = np.argsort(raw, kind="stable")
        ids, id_values = raw[order], v[order]
    return ParetoFit(
        value_col=value_col,
        cutoffs=(float(cuts[0]), float(cuts[1])),
        negative=str(negative),
        labels=lang,
        overwrite=bool(overwrite),
        values=sorted_v[::-1].copy(),
        cum_desc=cum,
        ids=ids,
        id_values=id_values,
        thresholds=thresholds,
    )


# --------------------------------------------------------------------------------------
# pyramid
# --------------------------------------------------------------------------------------


@state("pareto.PyramidFit")
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class PyramidFit:
    """The pyramid tiers learned by :func:`fit_pyramid`, as value thresholds.

    Attributes
    ----------
    kind : str
        ``"value"`` or ``"profit"``.
    value_col, profit_col : hashable
        The value and profit columns (the ranked one is `value_col` for ``kind="value"``,
        `profit_col` for ``kind="profit"``; both are filled with 0 in prospect rows).
    cutoffs : tuple of float
        The tiers' cumulative customer shares.
    inactive_days : float or None
        Customers with more days since the last purchase are Inactive.
    days_since_last_col : hashable
        Read with `inactive_days`.
    active_col : hashable or None
        Customers where it is False are Inactive.
    labels : str
        Language of the tier names.
    overwrite : bool
        Whether :meth:`apply` may replace an existing ``pyramid_tier``.
    thresholds : ndarray
        Smallest ranked value (float64) of the active base customers in each tier above
        the bottom one (Medium, Big, Top) or, for the profit pyramid, above Iron (Gold,
        Platinum); +inf for a tier nobody reached.
    n_active : int
        Number of active customers ranked at the fit.
    """

    kind: str
    value_col: Hashable
    profit_col: Hashable
    cutoffs: tuple[float, ...]
    inactive_days: float | None
    days_since_last_col: Hashable
    active_col: Hashable | None
    labels: Language
    overwrite: bool
    thresholds: np.ndarray
    n_active: int

    def apply(
        self,
        customers: pd.DataFrame,
        *,
        prospects: pd.DataFrame | pd.Index | Sequence[Any] | np.ndarray | None = None,
    ) -> pd.DataFrame:
        """Place `customers` in the fitted pyramid (row by row).

        Returns what :func:`kamseg.pareto.pyramid` returns; on the fitted table exactly the
        same frame. Each customer's tier depends only on its own row (ranked value, days
        since the last purchase, active flag), so a subset of customers gets the same
        tiers as in the whole table.

        Parameters
        ----------
        customers
            One row per customer. Not modified.
        prospects
            As in :func:`kamseg.pareto.pyramid`: ids with no row in `customers` are appended
            as Prospect rows.

        Raises
        ------
        ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
            As :func:`kamseg.pareto.pyramid`.

        Examples
        --------
        >>> import pandas as pd
        >>> from kamseg.pareto import fit_pyramid
        >>> base = pd.DataFrame({"revenue": [9000.0, 2500.0, 700.0, 90.0, 40.0, 0.0]})
        >>> fit = fit_pyramid(base, cutoffs=(0.1, 0.3, 0.6))
        >>> new = pd.DataFrame({"revenue": [3000.0, 100.0, 10.0]}, index=[7, 8, 9])
        >>> fit.apply(new)["pyramid_tier"].tolist()
        ['Big', 'Medium', 'Small']
        """
        return self._apply(customers, prospects=prospects, func="PyramidFit.apply")

    def _apply(
        self,
        customers: pd.DataFrame,
        *,
        prospects: pd.DataFrame | pd.Index | Sequence[Any] | np.ndarray | None,
        func: str,
    ) -> pd.DataFrame:
        value = self.kind == "value"
        check_frame(customers, func=func, arg="customers")
        ranked_arg, ranked_col = _ranked(self.kind, self.value_col, self.profit_col)
        check_columns(customers, _pyramid_columns(self, ranked_arg, ranked_col), func=func)
        check_no_overwrite(customers, ["pyramid_tier"], func=func, overwrite=self.overwrite)

        x = _column(customers, ranked_col, func=func)
        inactive = _inactive(
            customers, self.inactive_days, self.days_since_last_col, self.active_col, func=func
        )
        new_ids = None if prospects is None else _new_prospects(customers, prospects, func=func)
        extra = (["Prospect"] if prospects is not None else []) + (
            ["Inactive"] if self.inactive_days is not None or self.active_col is not None else []
        )
        tiers = _VALUE_TIERS if value else _PROFIT_TIERS
        names = translate_all([*extra, *tiers], labels=self.labels, table=PYRAMID_TIER_LABELS)
        thresholds = np.asarray(self.thresholds, dtype=np.float64)
        codes = _tier_codes(x, inactive, thresholds, offset=len(extra), profit=not value)
        return _with_tiers(customers, codes, names, new_ids, (self.value_col, self.profit_col))

    def __repr__(self) -> str:
        tiers = _VALUE_TIERS[1:] if self.kind == "value" else _PROFIT_TIERS[2:]
        shown = ", ".join(
            f"{t}: >= {c:.6g}" for t, c in zip(tiers, np.asarray(self.thresholds), strict=True)
        )
        return f"PyramidFit(kind={self.kind!r}, n_active={self.n_active}, {shown})"


def _ranked(kind: str, value_col: Hashable, profit_col: Hashable) -> tuple[str, Hashable]:
    return ("value_col", value_col) if kind == "value" else ("profit_col", profit_col)


def _pyramid_columns(
    fit: PyramidFit, ranked_arg: str, ranked_col: Hashable
) -> dict[str, Hashable | None]:
    cols: dict[str, Hashable | None] = {ranked_arg: ranked_col, "active_col": fit.active_col}
    if fit.inactive_days is not None:
        cols["days_since_last_col"] = fit.days_since_last_col
    return cols


def fit_pyramid(
    customers: pd.DataFrame,
    *,
    kind: PyramidKind = "value",
    value_col: Hashable = "revenue",
    profit_col: Hashable = "profit",
    cutoffs: Sequence[float] | None = None,
    inactive_days: float | None = None,
    days_since_last_col: Hashable = "days_since_last",
    active_col: Hashable | None = None,
    labels: Language = "en",
    overwrite: bool = False,
) -> PyramidFit:
    """Learn the customer pyramid of :func:`kamseg.pareto.pyramid` as value thresholds.

    ``fit_pyramid(customers, ...).apply(customers, prospects=...)`` is ``pyramid(customers,
    ..., prospects=...)``; :meth:`PyramidFit.apply` then places other customers in the
    fitted pyramid, row by row.

    Parameters
    ----------
    customers
        The customer base, e.g. from :func:`kamseg.summarize`. Not modified.
    kind, value_col, profit_col, cutoffs, inactive_days, days_since_last_col, active_col, \
labels, overwrite
        As in :func:`kamseg.pareto.pyramid` (`prospects` is given to
        :meth:`PyramidFit.apply`: nothing is learned from it).

    Returns
    -------
    PyramidFit
        The tiers' value thresholds and the options.

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
        As :func:`kamseg.pareto.pyramid` (except the overwrite and prospect checks, made
        by :meth:`PyramidFit.apply`).

    Notes
    -----
    Tiers are given to tie groups of the active customers, best first, so they are
    monotone in the ranked value and never depend on row order (no tie is broken by
    position or id). Each tier above the bottom one freezes into the smallest fitted value
    that reached it: a positive value gets the best tier whose threshold it reaches (a
    value between two fitted values takes the tier of the lower one), a value <= 0 the
    bottom tier (Small, or Lead), and Inactive is decided row by row as in
    :func:`kamseg.pareto.pyramid`.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.pareto import fit_pyramid, pyramid
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
    >>> customers = kamseg.summarize(data.transactions, as_of=data.as_of)
    >>> fit = fit_pyramid(customers, inactive_days=365)
    >>> fit.apply(customers).equals(pyramid(customers, inactive_days=365))
    True
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
        func="fit_pyramid",
    )


def _fit_pyramid(
    customers: pd.DataFrame,
    *,
    kind: PyramidKind,
    value_col: Hashable,
    profit_col: Hashable,
    cutoffs: Sequence[float] | None,
    inactive_days: float | None,
    days_since_last_col: Hashable,
    active_col: Hashable | None,
    labels: Language,
    overwrite: bool,
    func: str,
) -> PyramidFit:
    check_frame(customers, func=func, arg="customers")
    check_choice(kind, get_args(PyramidKind), func=func, arg="kind")
    lang = check_language(labels, func=func)
    value = kind == "value"
    if cutoffs is None:
        cutoffs = VALUE_PYRAMID_CUTOFFS if value else PROFIT_PYRAMID_CUTOFFS
    example = VALUE_PYRAMID_CUTOFFS if value else ABC_CUTOFFS  # for the error message
    cuts = _check_cutoffs(cutoffs, len(example), func=func, example=example)
    _check_inactive_days(inactive_days, func=func)
    fit = PyramidFit(
        kind=str(kind),
        value_col=value_col,
        profit_col=profit_col,
        cutoffs=tuple(float(c) for c in cuts),
        inactive_days=None if inactive_days is None else float(inactive_days),
        days_since_last_col=days_since_last_col,
        active_col=active_col,
        labels=lang,
        overwrite=bool(overwrite),
        thresholds=np.empty(0),
        n_active=0,
    )
    ranked_arg, ranked_col = _ranked(kind, value_col, profit_col)
    check_columns(customers, _pyramid_columns(fit, ranked_arg, ranked_col), func=func)
    x = _column(customers, ranked_col, func=func)
    inactive = _inactive(customers, inactive_days, days_since_last_col, active_col, func=func)
    xa = x[~inactive]
    thresholds = _tier_thresholds(xa, cuts, profit=not value)
    return dataclasses.replace(fit, thresholds=thresholds, n_active=int(xa.size))
