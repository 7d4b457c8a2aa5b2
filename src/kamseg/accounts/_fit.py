"""Account scores learned from a customer base and applied row by row.

Part of :mod:`kamseg.accounts`: :func:`score_accounts` is
``fit_score_accounts(customers, ...).apply(customers)``. The fit freezes everything the
score learns from the whole table (weights, the scale of every criterion, the worst values
that fill nulls, the ideal accounts of TOPSIS, the reference values of percentile ranks and
of ``account_rank``), so that :meth:`AccountScoreFit.apply` scores one new customer, or one
partition, consistently with the base.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from kamseg._state import state
from kamseg._validation import (
    check_choice,
    check_columns,
    check_frame,
    check_no_overwrite,
    examples,
    search_sorted,
    to_float,
    warn,
)
from kamseg.accounts._scoring import (
    _ATTR,
    _METHODS,
    _MISSING,
    _NORMALIZATIONS,
    _RANK_DECIMALS,
    SCORE_COLUMNS,
    AHPMatrix,
    Criteria,
    Method,
    MissingPolicy,
    Normalization,
    WeightSpec,
    _is_number,
    _parse_criteria,
    _resolve_weights,
)
from kamseg.errors import ConfigError, SchemaError

__all__ = ["AccountScoreFit", "fit_score_accounts", "score_accounts"]

_ANY_ID = -1  # a position for rows whose id is not in the base


# --------------------------------------------------------------------------------------
# customer ids and "replace your own base row" counts
# --------------------------------------------------------------------------------------


def _id_array(index: pd.Index) -> np.ndarray:
    """Customer ids as an int64 array (whole-number ids) or an object array of str (text
    ids as they are, other ids by their ``repr``), so that a fit can store and compare them."""
    if not isinstance(index, pd.MultiIndex):
        kind = pd.api.types.infer_dtype(index, skipna=False)
        if kind == "integer":
            values = np.asarray(index.to_numpy())
            big = values.dtype == np.uint64 and values.size and values.max() > 2**63 - 1
            if not big:
                return values.astype(np.int64)
        elif kind in ("string", "empty"):
            return np.asarray(index.to_numpy(dtype=object), dtype=object)
    return np.asarray([repr(v) for v in index.tolist()], dtype=object)


def _base_ids(index: pd.Index) -> tuple[np.ndarray | None, np.ndarray]:
    """The base's ids sorted and the row order that sorts them; None when ids repeat."""
    ids = _id_array(index)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    if ids.size > 1 and bool((ids[1:] == ids[:-1]).any()):
        return None, order
    return ids, order


def _own_rows(ids: np.ndarray | None, index: pd.Index) -> np.ndarray:
    """Per row of `index`, the position of its id in the sorted base `ids`, or -1."""
    m = len(index)
    if ids is None or ids.size == 0 or m == 0:
        return np.full(m, _ANY_ID, dtype=np.int64)
    q = _id_array(index)
    if (q.dtype == object) != (ids.dtype == object):
        return np.full(m, _ANY_ID, dtype=np.int64)  # integer ids vs text ids: all new
    pos = np.minimum(search_sorted(ids, q)[0], ids.size - 1)
    found = np.asarray(ids[pos] == q, dtype=bool)
    return np.where(found, pos, _ANY_ID).astype(np.int64)


def _other_counts(
    sorted_values: np.ndarray, by_id: np.ndarray | None, own: np.ndarray, q: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each value `q`, the base values of the *other* customers below and equal to it,
    and how many other customers there are.

    The row replaces its own base row (`own` >= 0: its position in `by_id`, the base values
    in id order); a row whose id is not in the base is added to it. Without ids (`by_id`
    None: the base's ids repeat), a value equal to a base value replaces one such row.
    """
    less, upto = search_sorted(sorted_values, q, "left", "right")
    equal = upto - less
    if by_id is None:
        found = equal > 0
        equal = equal - found
    else:
        found = own >= 0
        b = by_id[np.maximum(own, 0)] if by_id.size else np.zeros(q.size)
        less = less - (found & (b < q))
        equal = equal - (found & (b == q))
    return less, equal, sorted_values.size - found


def _rank_key(score: np.ndarray) -> np.ndarray:
    """The value ``account_rank`` counts: lower is better, equal to 12 decimals ties."""
    key: np.ndarray = -np.round(score, _RANK_DECIMALS)
    return key


# --------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------


def score_accounts(
    customers: pd.DataFrame,
    *,
    criteria: Criteria,
    method: Method = "weighted",
    normalize: Normalization | None = None,
    weights: WeightSpec | None = None,
    ahp: AHPMatrix | None = None,
    max_cr: float = 0.1,
    normalize_weights: bool = False,
    missing: MissingPolicy = "error",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Score accounts on several criteria and rank them (1 = best).

    This is ``fit_score_accounts(customers, ...).apply(customers)``: to score other
    customers later consistently with these, keep the fit (see :func:`fit_score_accounts`).

    Parameters
    ----------
    customers
        One row per account, e.g. :func:`kamseg.summarize` joined with the customer master.
        Not modified.
    criteria
        The numeric columns to score on, with their weights and directions, in one of
        these forms:

        - ``{"revenue": 0.4, "profit": 0.4, "cost_to_serve": {"weight": 0.2,
          "direction": "min"}}``: weights inline (they must sum to 1);
        - ``["revenue", "profit"]`` or ``{"revenue": "max", "cost_to_serve": "min"}``:
          no weights, which then come from `weights` or `ahp`.

        ``"max"`` (the default) means larger is better; ``"min"`` means smaller is better,
        as for cost to serve or days since the last order.
    method
        ``"weighted"`` (default): the weighted sum of the normalised criteria.
        ``"topsis"``: the relative closeness to the ideal account (Hwang & Yoon), see Notes.
    normalize
        ``"minmax"`` (default for ``"weighted"``), ``"rank"``, ``"zscore"``, or
        ``"vector"`` (default for ``"topsis"``, and only allowed with it). See Notes.
    weights
        Weights when `criteria` does not give them: a list in criteria order, a mapping by
        column, ``"equal"``, or ``"entropy"`` (objective weights from the data, see Notes).
    ahp
        Instead of weights: an AHP pairwise-comparison matrix of the criteria (nested lists
        or ndarray in criteria order, or a DataFrame labelled by the criteria); the weights
        are its principal eigenvector (see :func:`ahp_weights`).
    max_cr
        Largest accepted consistency ratio of `ahp` (default 0.1, Saaty's rule). Raise it
        only knowingly.
    normalize_weights
        Divide given weights by their sum instead of requiring them to sum to 1.
    missing
        Nulls in a criterion: ``"error"`` (default) raises; ``"worst"`` gives those accounts
        the worst value observed in that criterion (the minimum, or the maximum for
        ``"min"`` criteria), with a :class:`~kamseg.errors.KamsegWarning` giving the counts.
    overwrite
        Replace output columns that already exist instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index, same row order) with the columns:

        - ``account_score`` (float64): the score; higher is better. In [0, 1] for the
          weighted sum of ``"minmax"`` or ``"rank"`` values and for TOPSIS; a weighted
          mean of z-scores (centred on 0, unbounded) for ``"zscore"``.
        - ``account_rank`` (int64): 1 for the best score; equal scores (to 12 decimals)
          share the smallest rank, so ranks can skip (1, 2, 2, 4).
        - ``score_<criterion>`` (float64), one per criterion in criteria order: the weight
          times the criterion's normalised value. For the weighted sum they add up to
          ``account_score``; for TOPSIS they are the weighted normalised matrix, from which
          the distances to the ideal and anti-ideal accounts are measured.

        The weights used, directions, method, normalisation and the AHP consistency ratio
        (or None) are stored in ``attrs["kamseg_account_scoring"]``.

    Raises
    ------
    ColumnNotFoundError
        If a criterion column is missing.
    SchemaError
        If a criterion has non-numeric or infinite values, nulls (with
        ``missing="error"``), or negative values with ``weights="entropy"``.
    EmptyInputError
        If `customers` has no rows.
    ConfigError
        If the criteria, weights or options are invalid: weights negative or not summing to
        1, weights given twice or not at all, an AHP matrix that is malformed or has a
        consistency ratio above `max_cr`, or an output column exists and `overwrite` is
        false.

    Notes
    -----
    **Normalisation** puts every criterion on one scale, oriented so that higher is
    better (``"min"`` criteria are flipped), except ``"vector"``:

    - ``"minmax"``: ``(x - min) / (max - min)``, or ``(max - x) / (max - min)`` for
      ``"min"`` criteria; 0 for the worst account, 1 for the best. A criterion whose
      values are all equal gets 0.5 for everyone (it does not separate accounts). The
      ranking does not change when a criterion is multiplied by a positive number or shifted.
    - ``"rank"``: the percentile rank ``(r - 1) / (n - 1)`` where ``r`` is the average rank
      (ties share the mean of their ranks), 0 for the worst and 1 for the best; 0.5 for
      all-equal values or a single account. Robust to outliers such as one huge account.
    - ``"zscore"``: ``(x - mean) / std`` (population standard deviation), negated for
      ``"min"`` criteria; 0 for all-equal values.
    - ``"vector"``: ``x / sqrt(sum(x ** 2))``, the classic TOPSIS normalisation; not
      flipped, since TOPSIS takes the ideal of a ``"min"`` criterion as its minimum. An
      all-zero column stays 0.

    **Weighted sum**: ``account_score = sum_j w_j * norm_j``.

    **TOPSIS**: with ``v_ij = w_j * norm_ij``, the ideal account takes the best ``v`` of
    each criterion (the largest, or for ``"vector"`` the smallest of ``"min"`` criteria)
    and the anti-ideal the worst; ``account_score = d- / (d+ + d-)``, with ``d+`` and
    ``d-`` the Euclidean distances to the ideal and the anti-ideal. It is 1 for an account
    that is best on every criterion and 0.5 when all accounts are equal.

    **Entropy weights** (``weights="entropy"``): each criterion's values are turned into
    shares ``p_ij = x_ij / sum_i x_ij`` (the raw values, which must be >= 0); its entropy is
    ``E_j = -sum_i p_ij ln p_ij / ln n``, and ``w_j`` is proportional to ``1 - E_j``: a
    criterion on which accounts differ more weighs more, whatever its direction. If no
    criterion varies, equal weights are used with a warning.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.accounts import score_accounts
    >>> accounts = pd.DataFrame(
    ...     {
    ...         "revenue": [900.0, 400.0, 150.0, 650.0],
    ...         "profit": [90.0, 80.0, 15.0, 60.0],
    ...         "cost_to_serve": [300.0, 50.0, 80.0, 120.0],
    ...     },
    ...     index=pd.Index(["a", "b", "c", "d"], name="customer_id"),
    ... )
    >>> criteria = {
    ...     "revenue": 0.4,
    ...     "profit": 0.4,
    ...     "cost_to_serve": {"weight": 0.2, "direction": "min"},
    ... }
    >>> scored = score_accounts(accounts, criteria=criteria)
    >>> scored[["account_score", "account_rank", "score_revenue", "score_cost_to_serve"]]
                 account_score  account_rank  score_revenue  score_cost_to_serve
    customer_id
    a                 0.800000             1       0.400000                0.000
    b                 0.680000             2       0.133333                0.200
    c                 0.176000             4       0.000000                0.176
    d                 0.650667             3       0.266667                0.144

    With AHP judgments instead of weights (revenue 3 times as important as profit, 5
    times as cost to serve; profit 3 times as cost to serve):

    >>> ahp = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    >>> crit = {"revenue": "max", "profit": "max", "cost_to_serve": "min"}
    >>> score_accounts(accounts, criteria=crit, ahp=ahp)["account_rank"].tolist()
    [1, 3, 4, 2]
    """
    return _fit_score_accounts(
        customers,
        criteria=criteria,
        method=method,
        normalize=normalize,
        weights=weights,
        ahp=ahp,
        max_cr=max_cr,
        normalize_weights=normalize_weights,
        missing=missing,
        overwrite=overwrite,
        func="score_accounts",
        check_output=True,
    )._apply(customers, func="score_accounts")


# --------------------------------------------------------------------------------------
# the fit
# --------------------------------------------------------------------------------------


@state("accounts.AccountScoreFit")
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class AccountScoreFit:
    """The account scoring learned by :func:`fit_score_accounts`.

    Attributes
    ----------
    criteria : tuple
        The criterion columns, in criteria order.
    directions : tuple of str
        ``"max"`` or ``"min"`` per criterion.
    method, normalize : str
        As in :func:`score_accounts` (`normalize` resolved: never None).
    weights : ndarray
        float64, the weights used, in criteria order (summing to 1).
    weights_from : str
        ``"given"``, ``"equal"``, ``"entropy"`` or ``"ahp"``.
    consistency_ratio : float or None
        The AHP consistency ratio, or None.
    missing : str
        ``"error"`` or ``"worst"``.
    fill : ndarray
        float64, per criterion the worst value of the base (its minimum, or maximum for
        ``"min"`` criteria): what a null becomes with ``missing="worst"``.
    low, high : ndarray
        ``"minmax"``: each criterion's minimum and maximum in the base.
    mean, std : ndarray
        ``"zscore"``: each criterion's mean and population standard deviation in the base.
    norm : ndarray
        ``"vector"``: each criterion's Euclidean norm in the base.
    ranked : ndarray
        ``"rank"``: shape ``(n, k)``, each column the base's values of one criterion (negated
        for ``"min"`` criteria), sorted.
    ranked_by_id : ndarray or None
        ``"rank"``: the same values in the order of `ids` (None without `ids`).
    ideal, anti_ideal : ndarray
        TOPSIS: the weighted normalised values of the ideal and anti-ideal accounts.

    The arrays of the other normalisations (and `ideal`, `anti_ideal` for the weighted
    sum) are empty.
    rank_keys, rank_keys_by_id : ndarray
        ``-round(account_score, 12)`` of the base, sorted and in the order of `ids`: what
        ``account_rank`` is counted against.
    ids : ndarray or None
        The base's customer ids, sorted (int64, or object array of str); None when an id
        appears twice in the base.
    overwrite : bool
        Whether :meth:`apply` may replace existing output columns.
    n_customers : int
        Number of accounts fitted on.
    """

    criteria: tuple[Any, ...]
    directions: tuple[str, ...]
    method: str
    normalize: str
    weights: np.ndarray
    weights_from: str
    consistency_ratio: float | None
    missing: str
    fill: np.ndarray
    low: np.ndarray
    high: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    norm: np.ndarray
    ranked: np.ndarray
    ranked_by_id: np.ndarray | None
    ideal: np.ndarray
    anti_ideal: np.ndarray
    rank_keys: np.ndarray
    rank_keys_by_id: np.ndarray
    ids: np.ndarray | None
    overwrite: bool
    n_customers: int

    def apply(self, customers: pd.DataFrame) -> pd.DataFrame:
        """Score `customers` with the frozen scales, weights and reference values.

        Returns what :func:`score_accounts` returns (same columns, dtypes and ``attrs``); on
        the fitted table exactly the same frame. Each row depends only on its own values
        and id, so scoring a subset of customers gives the same rows as scoring everyone.
        Nulls become the fitted worst value without a warning (``missing="worst"``).
        `customers` may be empty.

        The percentile rank (``normalize="rank"``) and ``account_rank`` of a row are those
        it would get if it replaced its own row of the base (a customer not in the base:
        if it were added to it) while every other customer of the base kept its fitted
        value. A value outside the fitted range gets a min-max value outside [0, 1].

        Raises
        ------
        ColumnNotFoundError, SchemaError, ConfigError
            As :func:`score_accounts`: a criterion column is missing, has non-numbers,
            infinities or (``missing="error"``) nulls, or an output column exists.

        Examples
        --------
        >>> import pandas as pd
        >>> from kamseg.accounts import fit_score_accounts
        >>> base = pd.DataFrame(
        ...     {"revenue": [900.0, 400.0, 150.0, 650.0], "profit": [90.0, 80.0, 15.0, 60.0]},
        ...     index=pd.Index(["a", "b", "c", "d"], name="customer_id"),
        ... )
        >>> fit = fit_score_accounts(base, criteria={"revenue": 0.5, "profit": 0.5})
        >>> fit.apply(base.loc[["c", "a"]])["account_rank"].tolist()
        [4, 1]
        >>> new = pd.DataFrame(
        ...     {"revenue": [525.0], "profit": [52.5]}, index=pd.Index(["e"], name="customer_id")
        ... )
        >>> fit.apply(new)[["account_score", "account_rank"]]
                     account_score  account_rank
        customer_id
        e                      0.5             4
        """
        return self._apply(customers, func="AccountScoreFit.apply")

    def _scaled(self, j: int, x: np.ndarray, own: np.ndarray) -> np.ndarray:
        """Criterion `j` on its frozen scale, oriented (higher is better) except ``"vector"``."""
        m = x.size
        lower = self.directions[j] == "min"
        how = self.normalize
        if how == "minmax":
            lo, hi = float(self.low[j]), float(self.high[j])
            if not hi > lo:
                return np.full(m, 0.5)
            out: np.ndarray = (hi - x) / (hi - lo) if lower else (x - lo) / (hi - lo)
            return out
        if how == "rank":
            by_id = None if self.ranked_by_id is None else self.ranked_by_id[:, j]
            o = -x if lower else x
            less, equal, others = _other_counts(self.ranked[:, j], by_id, own, o)
            # pandas' average rank among the others and the row itself, exactly: ties
            # share L + (E + 1) / 2 for L values below and E equal ones (itself included)
            r = less + (equal + 2) / 2.0
            n = others + 1
            pct: np.ndarray = np.where(n > 1, (r - 1) / np.maximum(n - 1, 1), 0.5)
            return pct
        if how == "zscore":
            sd = float(self.std[j])
            if not sd > 0:
                return np.zeros(m)
            z: np.ndarray = (x - self.mean[j]) / sd
            return -z if lower else z
        norm = float(self.norm[j])
        return x / norm if norm > 0 else np.zeros(m)

    def _values(self, customers: pd.DataFrame, *, func: str) -> np.ndarray:
        """The criteria of `customers` as an (m, k) float array, nulls filled."""
        columns = []
        for j, name in enumerate(self.criteria):
            x = to_float(customers[name], func=func, col=str(name))
            nulls = np.isnan(x)
            if nulls.any():
                if self.missing == "error":
                    raise SchemaError(_null_message(func, name, nulls, customers.index))
                x = np.where(nulls, self.fill[j], x)
            columns.append(x)
        return np.column_stack(columns) if len(customers) else np.zeros((0, len(columns)))

    def _contributions(self, x_all: np.ndarray, own: np.ndarray) -> np.ndarray:
        """The weighted normalised values ``w_j * norm_ij``, shape (m, k)."""
        k = len(self.criteria)
        norm = np.column_stack([self._scaled(j, x_all[:, j], own) for j in range(k)])
        v: np.ndarray = norm * self.weights
        return v

    def _score(self, v: np.ndarray) -> np.ndarray:
        if self.method == "weighted":
            total: np.ndarray = v.sum(axis=1)
            return total
        d_plus = np.sqrt(((v - self.ideal) ** 2).sum(axis=1))
        d_minus = np.sqrt(((v - self.anti_ideal) ** 2).sum(axis=1))
        total = d_plus + d_minus
        score: np.ndarray = np.divide(d_minus, total, out=np.full(len(v), 0.5), where=total > 0)
        return score

    def _apply(self, customers: pd.DataFrame, *, func: str) -> pd.DataFrame:
        check_frame(customers, func=func, arg="customers", allow_empty=True)
        for name in self.criteria:
            check_columns(customers, {"criteria": name}, func=func)
        contrib_cols = [f"score_{name}" for name in self.criteria]
        check_no_overwrite(
            customers, [*SCORE_COLUMNS, *contrib_cols], func=func, overwrite=self.overwrite
        )
        own = _own_rows(self.ids, customers.index)
        v = self._contributions(self._values(customers, func=func), own)
        score = self._score(v)
        by_id = None if self.ids is None else self.rank_keys_by_id
        less, _, _ = _other_counts(self.rank_keys, by_id, own, _rank_key(score))
        new: dict[str, Any] = {
            "account_score": score.astype(np.float64),
            "account_rank": (less + 1).astype(np.int64),
        }
        for j, col in enumerate(contrib_cols):
            new[col] = v[:, j].astype(np.float64)
        out = customers.drop(columns=[c for c in new if c in customers.columns]).assign(**new)
        names = list(self.criteria)
        out.attrs[_ATTR] = {
            "method": self.method,
            "normalize": self.normalize,
            "weights": dict(zip(names, self.weights.tolist(), strict=True)),
            "directions": dict(zip(names, self.directions, strict=True)),
            "weights_from": self.weights_from,
            "consistency_ratio": self.consistency_ratio,
        }
        return out

    def __repr__(self) -> str:
        w = ", ".join(
            f"{c!r}: {x:.4g}" for c, x in zip(self.criteria, self.weights.tolist(), strict=True)
        )
        return (
            f"AccountScoreFit(n_customers={self.n_customers}, method={self.method!r}, "
            f"normalize={self.normalize!r}, weights={{{w}}} ({self.weights_from}))"
        )


def _null_message(func: str, name: Hashable, nulls: np.ndarray, index: pd.Index) -> str:
    return (
        f"{func}: {int(nulls.sum())} value(s) of criterion {name!r} are null; "
        f"examples at index {examples(index[nulls])}. Hint: fill them, "
        "drop those accounts, or pass missing='worst'."
    )


def fit_score_accounts(
    customers: pd.DataFrame,
    *,
    criteria: Criteria,
    method: Method = "weighted",
    normalize: Normalization | None = None,
    weights: WeightSpec | None = None,
    ahp: AHPMatrix | None = None,
    max_cr: float = 0.1,
    normalize_weights: bool = False,
    missing: MissingPolicy = "error",
    overwrite: bool = False,
) -> AccountScoreFit:
    """Learn the account scoring of :func:`score_accounts` from a customer base.

    ``fit_score_accounts(customers, ...).apply(customers)`` is
    ``score_accounts(customers, ...)``; :meth:`AccountScoreFit.apply` then scores other
    customers (one new customer, a partition, later data) consistently with the base, row
    by row.

    Parameters
    ----------
    customers
        The accounts to learn from, one row per account, indexed by account id. Not
        modified.
    criteria, method, normalize, weights, ahp, max_cr, normalize_weights, missing, overwrite
        As in :func:`score_accounts`.

    Returns
    -------
    AccountScoreFit
        The weights, the frozen scale of every criterion and the base's reference values
        (see :class:`AccountScoreFit`).

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
        As :func:`score_accounts` (except the overwrite check, made by
        :meth:`AccountScoreFit.apply`). The warnings of :func:`score_accounts` (nulls
        filled, entropy weights undefined) are given here, about the base.

    Notes
    -----
    What is frozen, and why applying it to the base gives the base's scores exactly:

    - **weights**: the weights used (entropy and AHP weights are computed once, here);
    - **nulls** (``missing="worst"``): each criterion's worst value in the base;
    - **scales**: ``"minmax"`` the base's minimum and maximum (a criterion with one value
      stays 0.5 for everyone), ``"zscore"`` its mean and standard deviation, ``"vector"``
      its norm; these are the very numbers the batch formulas use;
    - **percentile ranks** (``"rank"``) and ``account_rank``: the base's values, sorted
      and by id. A row's rank counts the base values of the *other* customers below and
      equal to its value, as if it replaced its own base row (an id not in the base: as if
      it were added), so a base customer with its fitted value gets its fitted rank; ties
      share the average (percentile) or the smallest (``account_rank``) rank as in the
      batch. If an id appears twice in the base, a row whose value equals a base value
      takes that row's place instead, and any other row is added;
    - **TOPSIS**: the ideal and anti-ideal accounts of the base.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.accounts import fit_score_accounts, score_accounts
    >>> data = kamseg.datasets.make_transactions(n_customers=200, seed=0)
    >>> customers = kamseg.summarize(data.transactions, as_of=data.as_of, profit_col="profit")
    >>> crit = {"revenue": 0.5, "profit": 0.5}
    >>> fit = fit_score_accounts(customers, criteria=crit, normalize="rank")
    >>> fit.weights.tolist(), fit.ranked.shape == (len(customers), 2)
    ([0.5, 0.5], True)
    >>> fit.apply(customers).equals(score_accounts(customers, criteria=crit, normalize="rank"))
    True
    """
    return _fit_score_accounts(
        customers,
        criteria=criteria,
        method=method,
        normalize=normalize,
        weights=weights,
        ahp=ahp,
        max_cr=max_cr,
        normalize_weights=normalize_weights,
        missing=missing,
        overwrite=overwrite,
        func="fit_score_accounts",
        check_output=False,
    )


def _fit_score_accounts(
    customers: pd.DataFrame,
    *,
    criteria: Criteria,
    method: Method,
    normalize: Normalization | None,
    weights: WeightSpec | None,
    ahp: AHPMatrix | None,
    max_cr: float,
    normalize_weights: bool,
    missing: MissingPolicy,
    overwrite: bool,
    func: str,
    check_output: bool,
) -> AccountScoreFit:
    check_frame(customers, func=func, arg="customers")
    names, directions, inline = _parse_criteria(criteria, func=func)
    check_choice(method, _METHODS, func=func, arg="method")
    if normalize is None:
        how = "vector" if method == "topsis" else "minmax"
    else:
        check_choice(normalize, _NORMALIZATIONS, func=func, arg="normalize")
        how = str(normalize)
    if how == "vector" and method != "topsis":
        raise ConfigError(
            f"{func}: normalize='vector' is only used with method='topsis'. Hint: use "
            "'minmax', 'rank' or 'zscore' for the weighted sum."
        )
    check_choice(missing, _MISSING, func=func, arg="missing")
    if not _is_number(max_cr) or not max_cr >= 0:
        raise ConfigError(f"{func}: `max_cr` must be a number >= 0; got {max_cr!r}.")
    for name in names:
        check_columns(customers, {"criteria": name}, func=func)
    if check_output:  # score_accounts refuses before reading any value, as it always did
        contrib_cols = [f"score_{name}" for name in names]
        check_no_overwrite(
            customers, [*SCORE_COLUMNS, *contrib_cols], func=func, overwrite=overwrite
        )

    columns: list[np.ndarray] = []
    fill: list[float] = []
    for name, direction in zip(names, directions, strict=True):
        x = to_float(customers[name], func=func, col=str(name))
        nulls = np.isnan(x)
        if nulls.all():
            raise SchemaError(_null_message(func, name, nulls, customers.index))
        worst = float(np.nanmax(x) if direction == "min" else np.nanmin(x))
        fill.append(worst)
        if nulls.any():
            if missing == "error":
                raise SchemaError(_null_message(func, name, nulls, customers.index))
            warn(
                f"{func}: {int(nulls.sum())} null value(s) of criterion {name!r} were "
                f"replaced by the worst observed value {worst:g} (missing='worst').",
                stacklevel=4,
            )
            x = np.where(nulls, worst, x)
        columns.append(x)
    x_all = np.column_stack(columns)
    w, source, ahp_res = _resolve_weights(
        names,
        inline,
        weights,
        ahp,
        x=x_all,
        max_cr=float(max_cr),
        normalize_weights=normalize_weights,
        func=func,
    )

    ids, order = _base_ids(customers.index)
    n = len(x_all)
    empty = np.zeros(0)
    fit = AccountScoreFit(
        criteria=tuple(names),
        directions=tuple(directions),
        method=str(method),
        normalize=how,
        weights=np.asarray(w, dtype=np.float64),
        weights_from=source,
        consistency_ratio=None if ahp_res is None else float(ahp_res.consistency_ratio),
        missing=str(missing),
        fill=np.asarray(fill, dtype=np.float64),
        low=x_all.min(axis=0) if how == "minmax" else empty,
        high=x_all.max(axis=0) if how == "minmax" else empty,
        # from the 1-d columns, as the batch formulas always computed them
        mean=np.asarray([x.mean() for x in columns]) if how == "zscore" else empty,
        std=np.asarray([x.std() for x in columns]) if how == "zscore" else empty,
        norm=np.asarray([np.sqrt(np.sum(x * x)) for x in columns]) if how == "vector" else empty,
        ranked=np.zeros((0, len(names))),
        ranked_by_id=None,
        ideal=empty,
        anti_ideal=empty,
        rank_keys=empty,
        rank_keys_by_id=empty,
        ids=ids,
        overwrite=bool(overwrite),
        n_customers=n,
    )
    if how == "rank":
        oriented = np.where(np.asarray(directions) == "min", -x_all, x_all)
        fit = dataclasses.replace(
            fit,
            ranked=np.sort(oriented, axis=0),
            ranked_by_id=None if ids is None else oriented[order],
        )
    # the base through the frozen scales: its TOPSIS ideals and the keys of account_rank
    v = fit._contributions(x_all, _own_rows(ids, customers.index))
    if method == "topsis":
        flip = np.asarray([how == "vector" and d == "min" for d in directions])
        fit = dataclasses.replace(
            fit,
            ideal=np.where(flip, v.min(axis=0), v.max(axis=0)),
            anti_ideal=np.where(flip, v.max(axis=0), v.min(axis=0)),
        )
    keys = _rank_key(fit._score(v))
    return dataclasses.replace(fit, rank_keys=np.sort(keys), rank_keys_by_id=keys[order])
