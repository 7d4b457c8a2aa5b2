"""Multi-criteria account scores: criteria, AHP and entropy weights.

Part of :mod:`kamseg.accounts`; see its docstring for the workflow. The scores themselves
(normalisation, weighted sum, TOPSIS, ranks) are in :mod:`kamseg.accounts._fit`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, TypeAlias, get_args

import numpy as np
import pandas as pd

from kamseg._validation import (
    check_choice,
    examples,
    warn,
)
from kamseg.errors import ConfigError, SchemaError

__all__ = [
    "DECISIONS",
    "SAATY_RANDOM_INDEX",
    "SCORE_COLUMNS",
    "AHPMatrix",
    "AHPResult",
    "Criteria",
    "Direction",
    "Method",
    "MissingPolicy",
    "Normalization",
    "WeightSpec",
    "ahp_weights",
]

Method = Literal["weighted", "topsis"]
"""How criteria are combined: weighted sum, or closeness to the ideal account (TOPSIS)."""

Normalization = Literal["minmax", "rank", "zscore", "vector"]
"""How each criterion is put on a common scale before it is weighted."""

Direction = Literal["max", "min"]
"""Whether larger (``"max"``) or smaller (``"min"``, e.g. cost to serve) values are better."""

MissingPolicy = Literal["error", "worst"]
"""What to do with nulls in a criterion: raise, or give the account the worst observed value."""

Criteria: TypeAlias = Sequence[Hashable] | Mapping[Any, Any]
"""The criteria: a list of column names, or a mapping ``{column: weight}``,
``{column: "min" | "max"}`` or ``{column: {"weight": w, "direction": "min" | "max"}}``."""

WeightSpec: TypeAlias = (
    Literal["equal", "entropy"] | Sequence[float] | np.ndarray | Mapping[Any, float]
)
"""Weights given apart from the criteria: a list in criteria order, a mapping by column,
``"equal"``, or ``"entropy"`` (derived from the data)."""

AHPMatrix: TypeAlias = Sequence[Sequence[float]] | np.ndarray | pd.DataFrame
"""A square pairwise-comparison matrix: nested lists, an ndarray, or a labelled DataFrame."""

_METHODS: tuple[str, ...] = get_args(Method)
_NORMALIZATIONS: tuple[str, ...] = get_args(Normalization)
_DIRECTIONS: tuple[str, ...] = get_args(Direction)
_MISSING: tuple[str, ...] = get_args(MissingPolicy)

SAATY_RANDOM_INDEX: Mapping[int, float] = MappingProxyType(
    {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}
)
"""Saaty's random index RI by matrix size n (the mean consistency index of random
reciprocal matrices on the 1-9 scale), used for the consistency ratio CR = CI / RI."""

DECISIONS: tuple[str, ...] = ("added", "kept", "watch", "removed", "not key")
"""Decisions of :func:`review_key_accounts`, in lifecycle order (the category order)."""

#: Columns added by :func:`score_accounts` besides one ``score_<criterion>`` per criterion.
SCORE_COLUMNS: tuple[str, str] = ("account_score", "account_rank")

_WEIGHT_TOL = 1e-9  # weights must sum to 1 within this
_RANK_DECIMALS = 12  # scores equal to this many decimals share a rank
_RECIPROCAL_TOL = 0.05  # a_ij * a_ji must be within 5 % of 1
_SCALE_TOL = 1e-6
_ATTR = "kamseg_account_scoring"


# --------------------------------------------------------------------------------------
# AHP
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AHPResult:
    """Weights derived from an AHP pairwise-comparison matrix, with its consistency.

    Attributes
    ----------
    weights : Series
        float64, one weight per criterion (the principal right eigenvector, scaled to sum
        to 1), indexed by the criterion names (a ``RangeIndex`` when none were given).
    lambda_max : float
        The principal eigenvalue (``n`` for a perfectly consistent matrix, larger otherwise).
    consistency_index : float
        ``CI = (lambda_max - n) / (n - 1)``; 0 for ``n <= 2``.
    random_index : float
        Saaty's random index ``RI`` for this ``n`` (:data:`SAATY_RANDOM_INDEX`).
    consistency_ratio : float
        ``CR = CI / RI``; 0 when ``RI`` is 0 (``n <= 2``, always consistent). Saaty's rule
        accepts ``CR <= 0.1``.
    """

    weights: pd.Series
    lambda_max: float
    consistency_index: float
    random_index: float
    consistency_ratio: float

    @property
    def is_consistent(self) -> bool:
        """Whether ``consistency_ratio <= 0.1`` (Saaty's threshold)."""
        return self.consistency_ratio <= 0.1

    def __repr__(self) -> str:
        w = ", ".join(f"{k!r}: {v:.4f}" for k, v in self.weights.items())
        return (
            f"AHPResult(weights={{{w}}}, lambda_max={self.lambda_max:.4f}, "
            f"consistency_ratio={self.consistency_ratio:.4f})"
        )


def _ahp_matrix(
    matrix: object, *, func: str, arg: str, criteria: Sequence[Hashable] | None
) -> tuple[np.ndarray, list[Hashable]]:
    """Validate a pairwise-comparison matrix; return it made exactly reciprocal, with the
    criterion names."""
    if isinstance(matrix, pd.DataFrame):
        rows, cols = list(matrix.index), list(matrix.columns)
        if set(map(repr, rows)) != set(map(repr, cols)) or len(rows) != len(cols):
            raise ConfigError(
                f"{func}: the rows and columns of `{arg}` must name the same criteria; got "
                f"rows {examples(rows, 10)} and columns {examples(cols, 10)}."
            )
        names: list[Hashable] = rows
        frame = matrix.loc[:, rows]
        try:
            a = frame.to_numpy(dtype=np.float64)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{func}: `{arg}` must hold numbers.") from exc
    else:
        try:
            a = np.asarray(matrix, dtype=np.float64)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"{func}: `{arg}` must be a square matrix of numbers (nested lists, ndarray "
                f"or DataFrame); got {matrix!r}."
            ) from exc
        names = list(range(a.shape[0])) if a.ndim == 2 else []
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise ConfigError(
            f"{func}: `{arg}` must be a non-empty square matrix; got shape {a.shape}. "
            "Hint: one row and one column per criterion."
        )
    n = a.shape[0]
    if criteria is not None:
        if len(criteria) != n:
            raise ConfigError(
                f"{func}: `criteria` has {len(criteria)} names for a {n} x {n} matrix."
            )
        names = list(criteria)
    if n > max(SAATY_RANDOM_INDEX):
        raise ConfigError(
            f"{func}: `{arg}` compares {n} criteria; AHP is limited to "
            f"{max(SAATY_RANDOM_INDEX)} (Saaty's random index is tabulated up to there, and "
            "people cannot compare more items consistently). Hint: group the criteria into a "
            "hierarchy, or give the weights directly."
        )
    if not np.isfinite(a).all() or (a <= 0).any():
        raise ConfigError(
            f"{func}: every judgment in `{arg}` must be a finite positive number (Saaty's "
            "scale 1/9 .. 9); found zero, negative or non-finite entries."
        )
    if not np.allclose(np.diag(a), 1.0, rtol=0, atol=_SCALE_TOL):
        raise ConfigError(
            f"{func}: the diagonal of `{arg}` must be 1 (a criterion compared with itself); "
            f"got {np.diag(a).tolist()}."
        )
    lo, hi = 1 / 9 * (1 - _SCALE_TOL), 9 * (1 + _SCALE_TOL)
    bad = (a < lo) | (a > hi)
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise ConfigError(
            f"{func}: `{arg}`[{i}][{j}] = {a[i, j]:g} is outside Saaty's scale 1/9 .. 9. "
            "Hint: 9 means 'extremely more important'; use 1/9 for the opposite."
        )
    prod = a * a.T
    off = np.abs(prod - 1) > _RECIPROCAL_TOL
    if off.any():
        i, j = (int(k) for k in np.argwhere(off)[0])
        raise ConfigError(
            f"{func}: `{arg}` is not reciprocal: entry [{i}][{j}] = {a[i, j]:g} but "
            f"[{j}][{i}] = {a[j, i]:g} (their product must be 1). Hint: set [{j}][{i}] to "
            f"1/{a[i, j]:g}."
        )
    # Exactly reciprocal, symmetric in the two entries given: a_ij' = sqrt(a_ij / a_ji).
    exact = np.sqrt(a / a.T)
    np.fill_diagonal(exact, 1.0)
    return exact, names


def _ahp(a: np.ndarray, names: list[Hashable]) -> AHPResult:
    n = a.shape[0]
    if n == 1:
        lam, w = 1.0, np.ones(1)
    else:
        values, vectors = np.linalg.eig(a)
        k = int(np.argmax(values.real))
        lam = float(values[k].real)
        v = np.abs(vectors[:, k].real)
        w = v / v.sum()
    ci = max((lam - n) / (n - 1), 0.0) if n > 2 else 0.0
    ri = SAATY_RANDOM_INDEX[n]
    cr = ci / ri if ri > 0 else 0.0
    weights = pd.Series(w, index=pd.Index(names), name="weight", dtype=np.float64)
    return AHPResult(weights, lam, ci, ri, cr)


def ahp_weights(matrix: AHPMatrix, *, criteria: Sequence[Hashable] | None = None) -> AHPResult:
    """Derive criterion weights from an AHP pairwise-comparison matrix.

    Parameters
    ----------
    matrix
        A square matrix (nested lists, ndarray, or a DataFrame whose index and columns name
        the criteria) of judgments on Saaty's 1-9 scale: ``matrix[i][j]`` says how much more
        important criterion ``i`` is than criterion ``j`` (1 equal, 3 moderately, 5
        strongly, 7 very strongly, 9 extremely; 2, 4, 6, 8 in between; reciprocals for the
        opposite). The diagonal is 1, and ``matrix[j][i]`` must be ``1 / matrix[i][j]``
        within 5 % (so reciprocals rounded to two decimals, such as 0.33 or 0.13, are
        accepted); the two entries are then made exactly reciprocal by their geometric
        mean, ``sqrt(matrix[i][j] / matrix[j][i])``.
        At most 10 criteria.
    criteria
        Names of the criteria, in matrix order (default: the DataFrame's index, or
        0, 1, 2, ...), e.g. the columns of the `criteria` of :func:`score_accounts`.

    Returns
    -------
    AHPResult
        ``weights`` (float64 Series summing to 1, indexed by the criteria), ``lambda_max``,
        ``consistency_index``, ``random_index``, ``consistency_ratio`` and
        ``is_consistent``. An inconsistent matrix is reported, not refused:
        :func:`score_accounts` refuses it.

    Raises
    ------
    ConfigError
        If the matrix is not square, not positive, not reciprocal, has a diagonal other than
        1, entries outside 1/9 .. 9, or more than 10 criteria.

    Notes
    -----
    The weights are the principal right eigenvector of the matrix, scaled to sum to 1
    (Saaty's eigenvector method); ``CI = (lambda_max - n) / (n - 1)`` and
    ``CR = CI / RI`` with Saaty's random index RI = 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32,
    1.41, 1.45, 1.49 for n = 1 .. 10. For n <= 2 every reciprocal matrix is consistent and
    CR is 0.

    Examples
    --------
    The criteria of the "choosing a leader" example of AHP (experience, education,
    charisma, age):

    >>> from kamseg.accounts import ahp_weights
    >>> m = [[1, 4, 3, 7], [1 / 4, 1, 1 / 3, 3], [1 / 3, 3, 1, 5], [1 / 7, 1 / 3, 1 / 5, 1]]
    >>> res = ahp_weights(m, criteria=["experience", "education", "charisma", "age"])
    >>> res.weights.round(3).tolist(), round(res.consistency_ratio, 3)
    ([0.548, 0.127, 0.27, 0.056], 0.044)
    """
    a, names = _ahp_matrix(matrix, func="ahp_weights", arg="matrix", criteria=criteria)
    return _ahp(a, names)


# --------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------


def _is_number(x: object) -> bool:
    return isinstance(x, int | float | np.number) and not isinstance(x, bool | np.bool_)


def _parse_criteria(
    criteria: object, *, func: str
) -> tuple[list[Hashable], list[str], list[float] | None]:
    """Return (column names, directions, inline weights or None)."""
    if isinstance(criteria, str | bytes) or not isinstance(criteria, Mapping | Sequence):
        raise ConfigError(
            f"{func}: `criteria` must be a list of column names or a mapping such as "
            f"{{'revenue': 0.6, 'cost_to_serve': {{'weight': 0.4, 'direction': 'min'}}}}; "
            f"got {criteria!r}. Hint: for one column write [{criteria!r}]."
        )
    items: list[tuple[Hashable, object]]
    if isinstance(criteria, Mapping):
        items = list(criteria.items())
    else:
        items = [(c, None) for c in criteria]
    if not items:
        raise ConfigError(f"{func}: `criteria` is empty. Hint: name at least one column.")
    names: list[Hashable] = []
    directions: list[str] = []
    weights: list[object] = []
    for name, spec in items:
        where = f"criteria[{name!r}]"
        if not isinstance(name, Hashable):
            raise ConfigError(f"{func}: criterion names must be column names; got {name!r}.")
        weight: object = None
        direction: object = "max"
        if spec is None:
            pass
        elif isinstance(spec, str):
            direction = spec
        elif isinstance(spec, Mapping):
            unknown = [k for k in spec if k not in ("weight", "direction")]
            if unknown:
                raise ConfigError(
                    f"{func}: `{where}` has unknown key(s) {examples(unknown)}. "
                    "Hint: use 'weight' and 'direction'."
                )
            weight = spec.get("weight")
            direction = spec.get("direction", "max")
        elif _is_number(spec):
            weight = spec
        else:
            raise ConfigError(
                f"{func}: `{where}` must be a weight, 'max'/'min', or a mapping with "
                f"'weight' and 'direction'; got {spec!r}."
            )
        check_choice(direction, _DIRECTIONS, func=func, arg=f"{where} direction")
        names.append(name)
        directions.append(str(direction))
        weights.append(weight)
    dup = [n for n in names if names.count(n) > 1]
    if dup:
        raise ConfigError(f"{func}: `criteria` names column(s) {examples(dup)} twice.")
    given = [w is not None for w in weights]
    if any(given) and not all(given):
        missing = [n for n, g in zip(names, given, strict=True) if not g]
        raise ConfigError(
            f"{func}: `criteria` gives weights for some columns but not for "
            f"{examples(missing)}. Hint: give a weight for every criterion, or for none and "
            "pass weights= or ahp=."
        )
    if not any(given):
        return names, directions, None
    return names, directions, _check_weight_numbers(weights, func=func, arg="criteria")


def _check_weight_numbers(values: Sequence[object], *, func: str, arg: str) -> list[float]:
    if not all(_is_number(v) for v in values):
        raise ConfigError(f"{func}: `{arg}` weights must be numbers; got {list(values)!r}.")
    out = [float(v) for v in values]  # type: ignore[arg-type]
    if not all(math.isfinite(v) and v >= 0 for v in out):
        raise ConfigError(
            f"{func}: `{arg}` weights must be finite and non-negative; got {out!r}. Hint: "
            "for a criterion where less is better give direction='min', not a negative "
            "weight."
        )
    return out


def _finish_weights(w: list[float], *, func: str, arg: str, normalize_weights: bool) -> np.ndarray:
    arr = np.asarray(w, dtype=np.float64)
    total = float(arr.sum())
    if total <= 0:
        raise ConfigError(f"{func}: `{arg}` weights are all zero. Hint: give positive weights.")
    if normalize_weights:
        return arr / total
    if abs(total - 1) > _WEIGHT_TOL:
        raise ConfigError(
            f"{func}: `{arg}` weights sum to {total:.10g}, not 1. Did you mean to normalise "
            "them? Pass normalize_weights=True to divide them by their sum."
        )
    return arr


def _entropy_weights(x: np.ndarray, names: list[Hashable], *, func: str) -> np.ndarray:
    """Shannon-entropy weights from the sum-normalised raw values."""
    neg = (x < 0).any(axis=0)
    if neg.any():
        cols = [names[j] for j in np.flatnonzero(neg)]
        counts = [int((x[:, j] < 0).sum()) for j in np.flatnonzero(neg)]
        raise SchemaError(
            f"{func}: entropy weights need non-negative values (each account's share of a "
            f"criterion's total), but column(s) {examples(cols)} have {counts} negative "
            "value(s). Hint: give weights directly, or shift the column to be >= 0."
        )
    m = x.shape[0]
    totals = x.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(totals > 0, x / np.where(totals > 0, totals, 1.0), 0.0)
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    if m > 1:
        entropy = -plogp.sum(axis=0) / math.log(m)
        entropy[totals <= 0] = 1.0
    else:
        entropy = np.ones(x.shape[1])
    diversity = np.clip(1.0 - entropy, 0.0, None)
    if diversity.sum() <= 0:
        warn(
            f"{func}: entropy weights are undefined because no criterion varies between "
            "accounts; using equal weights."
        )
        return np.full(x.shape[1], 1.0 / x.shape[1])
    out: np.ndarray = diversity / diversity.sum()
    return out


def _resolve_weights(
    names: list[Hashable],
    inline: list[float] | None,
    weights: object,
    ahp: object,
    *,
    x: np.ndarray,
    max_cr: float,
    normalize_weights: bool,
    func: str,
) -> tuple[np.ndarray, str, AHPResult | None]:
    """Return (weights in criteria order, source, AHP result or None)."""
    sources = [
        s for s, v in (("criteria", inline), ("weights", weights), ("ahp", ahp)) if v is not None
    ]
    if len(sources) > 1:
        raise ConfigError(
            f"{func}: weights are given twice (by {' and '.join(sources)}). Hint: give "
            "weights in `criteria`, or by weights=, or by ahp=, not several."
        )
    if not sources:
        raise ConfigError(
            f"{func}: no weights given. Hint: pass criteria={{column: weight}}, "
            "weights=[...], weights='equal', weights='entropy', or an AHP matrix ahp=[[...]]."
        )
    n = len(names)
    if inline is not None:
        return (
            _finish_weights(
                inline, func=func, arg="criteria", normalize_weights=normalize_weights
            ),
            "given",
            None,
        )
    if ahp is not None:
        a, compared = _ahp_matrix(ahp, func=func, arg="ahp", criteria=None)
        if isinstance(ahp, pd.DataFrame):
            if set(map(repr, compared)) != set(map(repr, names)):
                raise ConfigError(
                    f"{func}: the AHP matrix compares {examples(compared, 10)} but the criteria "
                    f"are {examples(names, 10)}. Hint: label its rows and columns with the "
                    "criteria columns."
                )
            pos = {repr(k): i for i, k in enumerate(compared)}
            order = [pos[repr(c)] for c in names]
            a = a[np.ix_(order, order)]
        elif a.shape[0] != n:
            raise ConfigError(
                f"{func}: the AHP matrix is {a.shape[0]} x {a.shape[0]} but there are {n} "
                "criteria. Hint: one row and one column per criterion, in criteria order."
            )
        res = _ahp(a, names)
        if res.consistency_ratio > max_cr:
            w_ahp = res.weights.to_numpy()
            # a_ij against the ratio w_i / w_j it should equal; report it as a_ij >= 1
            misfit = np.where(a >= 1, np.abs(np.log(a * np.outer(1 / w_ahp, w_ahp))), -1.0)
            i, j = np.unravel_index(int(np.argmax(misfit)), a.shape)
            implied = res.weights.iloc[i] / res.weights.iloc[j]
            raise ConfigError(
                f"{func}: the AHP matrix is inconsistent: consistency ratio CR = "
                f"{res.consistency_ratio:.3f} > max_cr = {max_cr:g} (lambda_max = "
                f"{res.lambda_max:.3f}, CI = {res.consistency_index:.3f}, RI = "
                f"{res.random_index:.2f}). The judgment furthest from the derived weights is "
                f"{names[i]!r} vs {names[j]!r}: given {a[i, j]:.3g}, the weights imply "
                f"{implied:.3g}. Hint: revise the judgments, or pass a larger max_cr= to "
                "accept them."
            )
        return res.weights.to_numpy(dtype=np.float64), "ahp", res
    if isinstance(weights, str):
        check_choice(weights, ("equal", "entropy"), func=func, arg="weights")
        if weights == "equal":
            return np.full(n, 1.0 / n), "equal", None
        return _entropy_weights(x, names, func=func), "entropy", None
    if isinstance(weights, Mapping):
        keys = list(weights)
        if set(map(repr, keys)) != set(map(repr, names)) or len(keys) != n:
            raise ConfigError(
                f"{func}: `weights` must have one entry per criterion; got keys "
                f"{examples(keys, 10)} for criteria {examples(names, 10)}."
            )
        by = {repr(k): v for k, v in weights.items()}
        values: list[object] = [by[repr(c)] for c in names]
    elif isinstance(weights, Sequence | np.ndarray):
        values = list(weights)
        if len(values) != n:
            raise ConfigError(
                f"{func}: `weights` has {len(values)} value(s) for {n} criteria. Hint: give "
                "one weight per criterion, in criteria order."
            )
    else:
        raise ConfigError(
            f"{func}: `weights` must be a list, a mapping by column, 'equal' or 'entropy'; "
            f"got {weights!r}."
        )
    w = _check_weight_numbers(values, func=func, arg="weights")
    return (
        _finish_weights(w, func=func, arg="weights", normalize_weights=normalize_weights),
        "given",
        None,
    )
