"""RFM analysis: recency, frequency and monetary scores, named segments, segment summaries.

Three functions, meant to be chained on the customer table from :func:`kamseg.summarize`
(one row per customer, indexed by customer id)::

    customers.pipe(rfm_scores).pipe(rfm_segments).pipe(rfm_segment_summary)

- :func:`rfm_scores` adds ``r_score``, ``f_score``, ``m_score`` (1..bins, higher is better),
  ``rfm_cell`` and ``rfm_score``;
- :func:`rfm_segments` adds ``rfm_segment``, an ordered categorical of named segments
  (by default the 11 conventional segments of :data:`DEFAULT_SEGMENT_MAP`);
- :func:`rfm_segment_summary` gives one row per segment: customers, revenue, shares, means.

By default RFM reads ``days_since_last`` (recency, smaller is better), ``n_orders``
(frequency) and ``revenue`` (monetary, the customer's net total). The BTYD columns
``frequency``, ``recency`` and ``monetary_value`` have other meanings and are not used
unless passed explicitly.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from kamseg._groups import groups_of
from kamseg._validation import (
    check_columns,
    check_frame,
    check_int,
    check_no_overwrite,
    examples,
    to_float,
)
from kamseg.errors import ConfigError, SchemaError
from kamseg.labels import Language, check_language, translate

__all__ = [
    "DEFAULT_SEGMENT_MAP",
    "RFM_SCORE_COLUMNS",
    "Bins",
    "Dimension",
    "SegmentMap",
    "SegmentRule",
    "rfm_scores",
    "rfm_segment_summary",
    "rfm_segments",
]

Dimension = Literal["recency", "frequency", "monetary"]
"""The three RFM dimensions, as used for the keys of a ``bins`` or ``weights`` mapping."""

_DIMS: tuple[Dimension, ...] = ("recency", "frequency", "monetary")
_SCORE_COLS: tuple[str, str, str] = ("r_score", "f_score", "m_score")

#: Columns added by :func:`rfm_scores`, in order.
RFM_SCORE_COLUMNS: tuple[str, ...] = (*_SCORE_COLS, "rfm_cell", "rfm_score")

Bins: TypeAlias = int | Mapping[str, int | Sequence[float]]
"""Either a number of quantile scores (2..10) for all three dimensions, or a mapping
from dimension name to a number of quantile scores or to a list of cut points."""

ScoreRange: TypeAlias = tuple[float, float] | float
Box: TypeAlias = Mapping[str, ScoreRange]
SegmentRule: TypeAlias = Box | str | Sequence[Box | str]
"""Which cells belong to a segment: a box of score ranges (keys ``"r"``, ``"f"``, ``"m"``,
``"fm"``), a cell such as ``"545"``, or a list of boxes and cells (their union)."""
SegmentMap: TypeAlias = Mapping[str, SegmentRule]
"""Segment name -> rule, listed from the worst segment to the best."""

# Grid size per dimension, stored in ``DataFrame.attrs`` by `rfm_scores` so that
# `rfm_segments` knows the grid without being told again.
_ATTR = "kamseg_rfm_bins"
_DEFAULT_BINS = 5
_MIN_BINS, _MAX_BINS = 2, 10
_RULE_KEYS = ("r", "f", "m", "fm")


def _box(**ranges: tuple[float, float]) -> Mapping[str, tuple[float, float]]:
    return MappingProxyType(dict(ranges))


# Rules on r_score and fm = (f_score + m_score) / 2, both inclusive, on the 5-point grid.
# Listed worst to best (the category order of `rfm_segment`).
DEFAULT_SEGMENT_MAP: Mapping[str, tuple[Mapping[str, tuple[float, float]], ...]] = (
    MappingProxyType(
        {
            "Lost": (_box(r=(1, 1), fm=(1, 2)),),
            "Hibernating": (_box(r=(2, 2), fm=(1, 2)),),
            "Can't Lose Them": (_box(r=(1, 1), fm=(4, 5)),),
            "At Risk": (_box(r=(1, 1), fm=(2.5, 3.5)), _box(r=(2, 2), fm=(2.5, 5))),
            "About to Sleep": (_box(r=(3, 3), fm=(1, 2)),),
            "Need Attention": (_box(r=(3, 3), fm=(2.5, 3.5)),),
            "Promising": (_box(r=(4, 4), fm=(1, 1.5)),),
            "New Customers": (_box(r=(5, 5), fm=(1, 1.5)),),
            "Potential Loyalist": (_box(r=(4, 5), fm=(2, 2.5)),),
            "Loyal Customers": (_box(r=(4, 5), fm=(3, 3.5)), _box(r=(3, 3), fm=(4, 5))),
            "Champions": (_box(r=(4, 5), fm=(4, 5)),),
        }
    )
)
"""The 11 conventional RFM segments as a partition of the 5 x 5 x 5 score grid.

Read-only. Segment name -> tuple of boxes; a cell belongs to the segment when it falls in
one of its boxes. Each box bounds ``r`` (``r_score``) and ``fm`` (the mean of ``f_score``
and ``m_score``), both inclusive. See :func:`rfm_segments` for the table and a picture.
"""


# --------------------------------------------------------------------------------------
# scores
# --------------------------------------------------------------------------------------


def _parse_bins(bins: object, *, func: str, arg: str = "bins") -> dict[Dimension, Any]:
    """Return ``{dimension: int number of quantile scores | float array of cut points}``."""
    if isinstance(bins, Mapping):
        unknown = [k for k in bins if k not in _DIMS]
        if unknown:
            raise ConfigError(
                f"{func}: `{arg}` has unknown key(s) {examples(unknown)}. "
                f"Hint: use {', '.join(map(repr, _DIMS))}."
            )
        spec: dict[Dimension, object] = {d: bins.get(d, _DEFAULT_BINS) for d in _DIMS}
    elif isinstance(bins, int | np.integer) and not isinstance(bins, bool):
        spec = dict.fromkeys(_DIMS, bins)
    else:
        raise ConfigError(
            f"{func}: `{arg}` must be an integer from {_MIN_BINS} to {_MAX_BINS} or a mapping "
            f"such as {{'recency': [30, 90, 180, 365], 'frequency': 5}}; got {bins!r}. "
            "Hint: cut points differ by dimension, so give them per dimension."
        )
    out: dict[Dimension, Any] = {}
    for dim, s in spec.items():
        where = f"{arg}[{dim!r}]" if isinstance(bins, Mapping) else arg
        if isinstance(s, str | bytes) or not isinstance(s, Sequence | np.ndarray):
            out[dim] = check_int(s, func=func, arg=where, low=_MIN_BINS, high=_MAX_BINS)
            continue
        cuts = list(s)
        if any(isinstance(c, bool) or not isinstance(c, int | float | np.number) for c in cuts):
            raise ConfigError(
                f"{func}: cut points `{where}` must be numbers; got {cuts!r}. "
                "Hint: e.g. [30, 90, 180, 365]."
            )
        arr = np.asarray(cuts, dtype=np.float64)
        if not _MIN_BINS - 1 <= arr.size <= _MAX_BINS - 1:
            raise ConfigError(
                f"{func}: `{where}` must have {_MIN_BINS - 1} to {_MAX_BINS - 1} cut points "
                f"(giving {_MIN_BINS} to {_MAX_BINS} scores); got {arr.size}."
            )
        if not np.isfinite(arr).all():
            raise ConfigError(f"{func}: cut points `{where}` must be finite; got {cuts!r}.")
        if (np.diff(arr) <= 0).any():
            raise ConfigError(
                f"{func}: cut points `{where}` must be strictly increasing; got {cuts!r}. "
                "Hint: sort them and drop duplicates."
            )
        out[dim] = arr
    return out


def _n_scores(spec: int | np.ndarray) -> int:
    return spec if isinstance(spec, int) else int(spec.size) + 1


def _quantile_scores(x: np.ndarray, n_bins: int, *, higher_is_better: bool) -> np.ndarray:
    """Mid-rank quantile scores, computed exactly in integers.

    score = ceil(n_bins * (w + e / 2) / n), clipped to 1..n_bins, where w is the number of
    customers with a strictly worse value and e the number with an equal value (self
    included). Depends only on the multiset of values, never on row order.
    """
    n = x.size
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    counts = counts.astype(np.int64)
    cum = np.cumsum(counts)
    worse = cum - counts if higher_is_better else n - cum
    num = n_bins * (2 * worse + counts)
    scores: np.ndarray = np.clip(-(-num // (2 * n)), 1, n_bins)
    return scores[inverse.reshape(-1)].astype(np.int8)


def _cut_scores(x: np.ndarray, cuts: np.ndarray, *, higher_is_better: bool) -> np.ndarray:
    """Scores from cut points: intervals (-inf, c1], (c1, c2], ..., (ck, inf)."""
    below = np.searchsorted(cuts, x, side="left")  # number of cut points strictly below x
    scores = below + 1 if higher_is_better else cuts.size + 1 - below
    return scores.astype(np.int8)


def _parse_weights(weights: object, *, func: str) -> np.ndarray:
    if isinstance(weights, Mapping):
        unknown = [k for k in weights if k not in _DIMS]
        if unknown:
            raise ConfigError(
                f"{func}: `weights` has unknown key(s) {examples(unknown)}. "
                f"Hint: use {', '.join(map(repr, _DIMS))}."
            )
        values: list[object] = [weights.get(d, 0.0) for d in _DIMS]
    elif isinstance(weights, Sequence | np.ndarray) and not isinstance(weights, str):
        values = list(weights)
    else:
        raise ConfigError(
            f"{func}: `weights` must be three numbers (recency, frequency, monetary) or a "
            f"mapping by dimension; got {weights!r}."
        )
    ok = len(values) == len(_DIMS) and all(
        isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values
    )
    arr = np.asarray(values, dtype=np.float64) if ok else np.empty(0)
    if not ok or not np.isfinite(arr).all() or (arr < 0).any() or arr.sum() <= 0:
        raise ConfigError(
            f"{func}: `weights` must be three finite, non-negative numbers, not all zero; "
            f"got {weights!r}. Hint: (1, 1, 1) sums the scores; (0.5, 0.25, 0.25) gives a "
            "weighted mean."
        )
    return arr


def _format_cells(r: np.ndarray, f: np.ndarray, m: np.ndarray, sizes: Sequence[int]) -> Any:
    """Cell labels: "545" when every dimension has at most 9 scores, else "10-9-1"."""
    if max(sizes) <= 9:
        return (r.astype(np.int16) * 100 + f.astype(np.int16) * 10 + m).astype(str)
    sep = np.full(r.shape, "-", dtype=object)
    return r.astype(str).astype(object) + sep + f.astype(str) + sep + m.astype(str)


def rfm_scores(
    customers: pd.DataFrame,
    *,
    bins: Bins = 5,
    recency_col: Hashable = "days_since_last",
    frequency_col: Hashable = "n_orders",
    monetary_col: Hashable = "revenue",
    weights: Sequence[float] | Mapping[str, float] = (1, 1, 1),
    overwrite: bool = False,
) -> pd.DataFrame:
    """Score each customer on recency, frequency and monetary value (higher is better).

    Parameters
    ----------
    customers
        One row per customer, e.g. from :func:`kamseg.summarize`. Not modified.
    bins
        How to score. An integer from 2 to 10: that many quantile scores per dimension
        (see *Tie policy*). Or a mapping with keys ``"recency"``, ``"frequency"``,
        ``"monetary"`` (missing keys mean 5 quantile scores), each value either a number of
        quantile scores or a strictly increasing list of 1 to 9 cut points, giving
        ``len(cuts) + 1`` scores (see *Cut points*).
    recency_col
        Days since the last purchase; smaller is better. Default ``"days_since_last"``.
    frequency_col
        Number of orders; larger is better. Default ``"n_orders"``.
    monetary_col
        Customer value, e.g. net revenue; larger is better. Default ``"revenue"``.
    weights
        Multipliers of the three scores in ``rfm_score``, as ``(recency, frequency,
        monetary)`` or a mapping by dimension (missing keys weigh 0); finite, non-negative,
        not all zero. The default ``(1, 1, 1)`` sums the scores; weights that sum to 1
        give a weighted mean on the 1..bins scale.
    overwrite
        Replace output columns that already exist in `customers` instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index, same row order) with the columns:

        - ``r_score``, ``f_score``, ``m_score`` (int8): 1 (worst) to the number of scores
          (best). The most recent buyer, the most frequent and the biggest spender get
          the top score.
        - ``rfm_cell`` (str: ``str`` dtype on pandas 3, ``object`` on pandas 2): the three
          scores, e.g. ``"545"``. When a dimension has 10 scores the digits would be
          ambiguous, so all cells of that frame are written with hyphens, e.g.
          ``"10-9-1"``.
        - ``rfm_score`` (float64): ``w_r * r_score + w_f * f_score + w_m * m_score``; with
          the default weights the sum of the three scores (3 to 15 for 5 bins).

        The number of scores per dimension is stored in ``attrs["kamseg_rfm_bins"]`` for
        :func:`rfm_segments`.

    Raises
    ------
    ColumnNotFoundError
        If a scored column is missing.
    SchemaError
        If a scored column has nulls, non-numeric or infinite values.
    EmptyInputError
        If `customers` has no rows.
    ConfigError
        If `bins` or `weights` are invalid, or an output column exists and `overwrite`
        is false.

    Notes
    -----
    **Tie policy (quantile scores).** Each value gets its mid-rank percentile
    ``p = (w + e / 2) / n``, where ``n`` is the number of customers, ``w`` the number with
    a strictly worse value and ``e`` the number with exactly this value; the score is
    ``ceil(bins * p)``, clipped to ``1..bins`` (computed exactly, in integers). Hence:

    - equal values always get equal scores, and the result never depends on row order;
    - a better value never gets a lower score;
    - all-equal values, and a single customer, get the middle score ``ceil(bins / 2)``
      (3 for 5 bins, 1 for 2 bins, 5 for 10 bins);
    - heavy ties leave some scores empty instead of splitting equal customers. Typically
      40-60 % of customers bought once: they share one low ``f_score`` (2 when they are 50
      or 60 %, 1 when they are 40 %), and the repeat buyers spread over the scores above
      it, so frequency still separates the repeat buyers. No bin edge is ever computed,
      so duplicate edges cannot crash the scoring.

    **Cut points.** Cuts ``c1 < ... < ck`` split values into the right-closed intervals
    ``(-inf, c1], (c1, c2], ..., (ck, inf)``. For frequency and monetary value these
    score ``1, 2, ..., k + 1``; for recency (days, smaller is better) they score
    ``k + 1, ..., 1``: with ``[30, 90, 180, 365]``, a purchase 30 or fewer days ago scores 5
    and one more than 365 days ago scores 1. A value equal to a cut point falls in the
    interval that ends at it.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.rfm import rfm_scores
    >>> customers = pd.DataFrame(
    ...     {
    ...         "days_since_last": [3, 40, 200, 15],
    ...         "n_orders": [9, 2, 1, 4],
    ...         "revenue": [1200.0, 600.0, 40.0, 480.0],
    ...     },
    ...     index=pd.Index(["a", "b", "c", "d"], name="customer_id"),
    ... )
    >>> rfm_scores(customers)[["r_score", "f_score", "m_score", "rfm_cell", "rfm_score"]]
                 r_score  f_score  m_score rfm_cell  rfm_score
    customer_id
    a                  5        5        5      555       15.0
    b                  2        2        4      224        8.0
    c                  1        1        1      111        3.0
    d                  4        4        2      442       10.0

    Fixed cut points instead of quantiles:

    >>> cuts = {"recency": [30, 90, 180, 365], "frequency": [1, 2, 5, 10]}
    >>> rfm_scores(customers, bins=cuts)["rfm_cell"].tolist()
    ['545', '424', '211', '532']
    """
    func = "rfm_scores"
    check_frame(customers, func=func, arg="customers")
    cols = {"recency_col": recency_col, "frequency_col": frequency_col}
    cols["monetary_col"] = monetary_col
    check_columns(customers, cols, func=func)
    spec = _parse_bins(bins, func=func)
    w = _parse_weights(weights, func=func)
    check_no_overwrite(customers, RFM_SCORE_COLUMNS, func=func, overwrite=overwrite)

    scores: list[np.ndarray] = []
    for dim, col in zip(_DIMS, (recency_col, frequency_col, monetary_col), strict=True):
        x = to_float(customers[col], func=func, col=str(col))
        nulls = np.isnan(x)
        if nulls.any():
            raise SchemaError(
                f"{func}: {int(nulls.sum())} value(s) of column {col!r} are null; examples "
                f"at index {examples(customers.index[nulls])}. Hint: fill them (e.g. 0 "
                "orders) or drop those customers first."
            )
        higher = dim != "recency"
        s = spec[dim]
        if isinstance(s, int):
            scores.append(_quantile_scores(x, s, higher_is_better=higher))
        else:
            scores.append(_cut_scores(x, s, higher_is_better=higher))
    r, f, m = scores
    sizes = [_n_scores(spec[d]) for d in _DIMS]
    cells = pd.Series(_format_cells(r, f, m, sizes), index=customers.index).astype(str)
    total = w[0] * r + w[1] * f + w[2] * m
    out = customers.assign(
        r_score=r, f_score=f, m_score=m, rfm_cell=cells, rfm_score=total.astype(np.float64)
    )
    out.attrs[_ATTR] = dict(zip(_DIMS, sizes, strict=True))
    return out


# --------------------------------------------------------------------------------------
# segments
# --------------------------------------------------------------------------------------


def _grid_sizes(scored: pd.DataFrame, bins: object, *, func: str) -> tuple[int, int, int]:
    if bins is not None:
        spec = _parse_bins(bins, func=func)
        r, f, m = (_n_scores(spec[d]) for d in _DIMS)
        return r, f, m
    stored = scored.attrs.get(_ATTR)
    if isinstance(stored, Mapping):
        vals = [stored.get(d) for d in _DIMS]
        if all(isinstance(v, int) and _MIN_BINS <= v <= _MAX_BINS for v in vals):
            return int(vals[0]), int(vals[1]), int(vals[2])  # type: ignore[arg-type]
    return _DEFAULT_BINS, _DEFAULT_BINS, _DEFAULT_BINS


def _score_array(scored: pd.DataFrame, col: str, size: int, *, func: str) -> np.ndarray:
    x = to_float(scored[col], func=func, col=col)
    bad = np.isnan(x) | (x != np.round(x)) | (x < 1) | (x > size)
    if bad.any():
        raise SchemaError(
            f"{func}: {int(bad.sum())} value(s) of column {col!r} are not integer scores "
            f"from 1 to {size}; examples: {examples(scored[col][bad])}. Hint: compute the "
            "scores with rfm_scores, and pass bins= the value given to rfm_scores if the "
            "grid is not 5 x 5 x 5."
        )
    return x.astype(np.int64)


def _to_five(scores: np.ndarray, size: int) -> np.ndarray:
    """Rescale scores 1..size linearly onto 1..5, rounding halves up (exact integers)."""
    if size == _DEFAULT_BINS:
        return scores
    return (3 * (size - 1) + 8 * (scores - 1)) // (2 * (size - 1))


def _format_cell(cell: tuple[int, int, int], sizes: Sequence[int]) -> str:
    if max(sizes) <= 9:
        return "".join(map(str, cell))
    return "-".join(map(str, cell))


def _parse_cell(text: str, sizes: Sequence[int], *, func: str, name: str) -> tuple[int, ...]:
    parts = text.split("-") if "-" in text else list(text)
    try:
        cell = tuple(int(p) for p in parts)
    except ValueError:
        cell = ()
    if len(cell) != 3:
        raise ConfigError(
            f"{func}: segment {name!r} has the cell {text!r}, which is not three scores. "
            'Hint: write cells as "545", or "10-9-1" when a dimension has 10 scores.'
        )
    if any(not 1 <= c <= k for c, k in zip(cell, sizes, strict=True)):
        raise ConfigError(
            f"{func}: segment {name!r} has the cell {text!r}, outside the "
            f"{' x '.join(map(str, sizes))} score grid. Hint: check `bins`."
        )
    return cell


def _rule_mask(
    rule: object, grid: dict[str, np.ndarray], sizes: Sequence[int], *, func: str, name: str
) -> np.ndarray:
    """Boolean array over the score grid: the cells matched by one segment's rule."""
    if isinstance(rule, str):
        mask = np.zeros(tuple(sizes), dtype=bool)
        cell = _parse_cell(rule, sizes, func=func, name=name)
        mask[cell[0] - 1, cell[1] - 1, cell[2] - 1] = True
        return mask
    if isinstance(rule, Mapping):
        mask = np.ones(tuple(sizes), dtype=bool)
        for key, bounds in rule.items():
            if key not in _RULE_KEYS:
                raise ConfigError(
                    f"{func}: segment {name!r} has the unknown key {key!r}. Hint: use "
                    f"{', '.join(map(repr, _RULE_KEYS))} (fm = mean of f and m)."
                )
            if isinstance(bounds, int | float | np.number) and not isinstance(bounds, bool):
                lo = hi = float(bounds)
            elif (
                isinstance(bounds, Sequence)
                and not isinstance(bounds, str)
                and len(bounds) == 2
                and all(isinstance(b, int | float | np.number) for b in bounds)
                and bounds[0] <= bounds[1]
            ):
                lo, hi = float(bounds[0]), float(bounds[1])
            else:
                raise ConfigError(
                    f"{func}: segment {name!r}: range {key!r} must be a number or a pair "
                    f"(low, high) with low <= high; got {bounds!r}. Hint: e.g. (4, 5)."
                )
            mask &= (grid[key] >= lo) & (grid[key] <= hi)
        return mask
    if isinstance(rule, Sequence) and len(rule) > 0:
        mask = np.zeros(tuple(sizes), dtype=bool)
        for part in rule:
            if not isinstance(part, str | Mapping):
                raise ConfigError(
                    f"{func}: segment {name!r} lists {part!r}; list items must be cells "
                    'such as "545" or ranges such as {"r": (4, 5)}.'
                )
            mask |= _rule_mask(part, grid, sizes, func=func, name=name)
        return mask
    raise ConfigError(
        f"{func}: the rule of segment {name!r} must be a mapping of score ranges, a cell, "
        f'or a non-empty list of those; got {rule!r}. Hint: {{"r": (4, 5), "f": (4, 5)}} '
        'or ["555", "554"].'
    )


def _compile_map(
    segment_map: object, sizes: Sequence[int], fallback: str | None, *, func: str
) -> tuple[list[str], np.ndarray]:
    """Return the category names (worst to best) and the code of every grid cell."""
    if not isinstance(segment_map, Mapping) or len(segment_map) == 0:
        raise ConfigError(
            f"{func}: `segment_map` must be a non-empty mapping of segment name to rule; "
            f"got {segment_map!r}."
        )
    names = list(segment_map)
    if any(not isinstance(n, str) or not n for n in names):
        raise ConfigError(f"{func}: segment names must be non-empty strings; got {names!r}.")
    axes = np.meshgrid(*(np.arange(1, k + 1) for k in sizes), indexing="ij")
    grid = {"r": axes[0], "f": axes[1], "m": axes[2], "fm": (axes[1] + axes[2]) / 2}
    masks = [_rule_mask(segment_map[n], grid, sizes, func=func, name=n) for n in names]
    for n, mask in zip(names, masks, strict=True):
        if not mask.any():
            raise ConfigError(
                f"{func}: segment {n!r} matches no cell of the "
                f"{' x '.join(map(str, sizes))} score grid. Hint: check its ranges and `bins`."
            )
    stack = np.stack(masks)
    hits = stack.sum(axis=0)

    def shown(where: np.ndarray) -> str:
        cells = [_format_cell((int(a) + 1, int(b) + 1, int(c) + 1), sizes) for a, b, c in where]
        more = f" and {len(cells) - 5} more" if len(cells) > 5 else ""
        return ", ".join(repr(c) for c in cells[:5]) + more

    overlap = np.argwhere(hits > 1)
    if overlap.size:
        first = tuple(overlap[0])
        both = [n for n, mask in zip(names, masks, strict=True) if mask[first]]
        raise ConfigError(
            f"{func}: the segment map overlaps: {len(overlap)} cell(s) match more than one "
            f"segment, e.g. {shown(overlap)} (cell {shown(overlap[:1])} matches "
            f"{', '.join(map(repr, both))}). Hint: make the score ranges disjoint."
        )
    codes = np.argmax(stack, axis=0).astype(np.int64)
    gaps = np.argwhere(hits == 0)
    if gaps.size:
        if fallback is None:
            raise ConfigError(
                f"{func}: the segment map leaves {len(gaps)} cell(s) of the "
                f"{' x '.join(map(str, sizes))} score grid without a segment, e.g. "
                f"{shown(gaps)}. Hint: extend the ranges, or pass fallback='Other' to give "
                "those cells a catch-all segment."
            )
        if fallback in names:
            codes[hits == 0] = names.index(fallback)
        else:
            names = [fallback, *names]
            codes = np.where(hits == 0, 0, codes + 1)
    return names, codes


def rfm_segments(
    scored: pd.DataFrame,
    *,
    segment_map: SegmentMap | None = None,
    labels: Language = "en",
    fallback: str | None = None,
    bins: Bins | None = None,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Name each customer's RFM segment from its ``r_score``, ``f_score`` and ``m_score``.

    Parameters
    ----------
    scored
        Output of :func:`rfm_scores` (columns ``r_score``, ``f_score``, ``m_score``).
        Not modified.
    segment_map
        Segment name -> rule, listed from the worst segment to the best; the rules must
        assign every cell of the score grid to exactly one segment. A rule is one of:

        - a mapping of inclusive score ranges with keys among ``"r"``, ``"f"``, ``"m"``
          and ``"fm"`` (the mean of f and m), e.g. ``{"r": (4, 5), "f": (4, 5)}``;
          a missing key means any score, a single number means that score only;
        - a cell such as ``"555"`` (``"10-9-1"`` when a dimension has 10 scores);
        - a list of such ranges and cells, matching their union.

        Custom maps apply to the scores as they are, on the grid given by `bins`.
        The default (``None``, or :data:`DEFAULT_SEGMENT_MAP` itself) is the 11-segment map
        below; on a grid other than 5 x 5 x 5, each score is first rescaled linearly
        onto 1..5 (1 stays 1, the top score becomes 5, halves round up, e.g. 10 scores
        become 1 1 2 2 3 3 4 4 5 5) and the map is applied to the rescaled scores.
    labels
        Language of the segment names: ``"en"`` or ``"zh"``. Names from
        :mod:`kamseg.labels` are translated; other names (from a custom map, or the
        fallback) are kept as given.
    fallback
        Segment for cells that no rule matches. It is added as the first (worst)
        category when the map leaves gaps on the grid (unless it is also a name in the
        map); without it, gaps raise. Overlapping rules raise either way.
    bins
        The `bins` given to :func:`rfm_scores`, to tell the grid size. By default it is
        read from ``scored.attrs["kamseg_rfm_bins"]`` (set by :func:`rfm_scores`; pandas
        keeps it through most operations), and is 5 x 5 x 5 when absent.
    overwrite
        Replace an existing ``rfm_segment`` column instead of raising.

    Returns
    -------
    DataFrame
        A copy of `scored` (same index and row order) with the column ``rfm_segment``
        (ordered ``category``): every segment of the map as a category, worst to best,
        including segments with no customers.

    Raises
    ------
    ColumnNotFoundError
        If a score column is missing.
    SchemaError
        If a score is null, not an integer, or outside the grid.
    EmptyInputError
        If `scored` has no rows.
    ConfigError
        If the map overlaps, has gaps (without `fallback`), has a malformed rule or a
        segment that matches no cell; if `labels` is unknown; if ``rfm_segment`` exists
        and `overwrite` is false.

    Notes
    -----
    The default map (:data:`DEFAULT_SEGMENT_MAP`) follows the widely used segment
    definitions by recency score ``r`` and ``fm``, the mean of the frequency and monetary
    scores, resolving their overlaps so that every one of the 125 cells gets exactly one
    segment. Ranges are inclusive; categories are ordered from the first row (worst) to
    the last (best), the usual listing order reversed.

    ====================  =====  ============  ==================
    segment               r      fm            中文
    ====================  =====  ============  ==================
    Lost                  1      1 - 2         已流失客户
    Hibernating           2      1 - 2         休眠客户
    Can't Lose Them       1      4 - 5         不可流失客户
    At Risk               1      2.5 - 3.5     流失风险客户
    At Risk               2      2.5 - 5       流失风险客户
    About to Sleep        3      1 - 2         即将沉睡客户
    Need Attention        3      2.5 - 3.5     需关注客户
    Promising             4      1 - 1.5       有潜力客户
    New Customers         5      1 - 1.5       新客户
    Potential Loyalist    4 - 5  2 - 2.5       潜在忠诚客户
    Loyal Customers       4 - 5  3 - 3.5       忠诚客户
    Loyal Customers       3      4 - 5         忠诚客户
    Champions             4 - 5  4 - 5         冠军客户
    ====================  =====  ============  ==================

    The same map as a picture (rows: ``r``; columns: ``fm``)::

        r \\ fm  1    1.5  2    2.5  3    3.5  4    4.5  5
        5       New  New  PotL PotL Loyl Loyl Chmp Chmp Chmp
        4       Prom Prom PotL PotL Loyl Loyl Chmp Chmp Chmp
        3       Slp  Slp  Slp  Attn Attn Attn Loyl Loyl Loyl
        2       Hib  Hib  Hib  Risk Risk Risk Risk Risk Risk
        1       Lost Lost Lost Risk Risk Risk CLT  CLT  CLT

    So "555" is Champions, "111" Lost, "155" and "144" Can't Lose Them, "133" and "244"
    At Risk, "511" and "512" New Customers, "411" Promising.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.rfm import rfm_segments
    >>> scored = pd.DataFrame(
    ...     {"r_score": [5, 1, 1, 5], "f_score": [5, 1, 5, 1], "m_score": [5, 1, 4, 2]},
    ...     index=["a", "b", "c", "d"],
    ... )
    >>> rfm_segments(scored)["rfm_segment"].tolist()
    ['Champions', 'Lost', "Can't Lose Them", 'New Customers']
    >>> rfm_segments(scored, labels="zh")["rfm_segment"].tolist()
    ['冠军客户', '已流失客户', '不可流失客户', '新客户']

    A custom map by score ranges, with a catch-all segment:

    >>> vip = {"VIP": {"r": (4, 5), "f": (4, 5)}}
    >>> out = rfm_segments(scored, segment_map=vip, fallback="Other")
    >>> out["rfm_segment"].tolist(), list(out["rfm_segment"].cat.categories)
    (['VIP', 'Other', 'Other', 'Other'], ['Other', 'VIP'])
    """
    func = "rfm_segments"
    check_frame(scored, func=func, arg="scored")
    lang = check_language(labels, func=func)
    for col in _SCORE_COLS:
        check_columns(scored, {"scored": col}, func=func)
    if fallback is not None and (not isinstance(fallback, str) or not fallback):
        raise ConfigError(
            f"{func}: `fallback` must be a non-empty string or None; got {fallback!r}."
        )
    check_no_overwrite(scored, ["rfm_segment"], func=func, overwrite=overwrite)

    sizes = _grid_sizes(scored, bins, func=func)
    r, f, m = (
        _score_array(scored, c, k, func=func) for c, k in zip(_SCORE_COLS, sizes, strict=True)
    )
    if segment_map is None or segment_map is DEFAULT_SEGMENT_MAP:
        segment_map = DEFAULT_SEGMENT_MAP
        r, f, m = (_to_five(s, k) for s, k in zip((r, f, m), sizes, strict=True))
        sizes = (_DEFAULT_BINS, _DEFAULT_BINS, _DEFAULT_BINS)
    names, table = _compile_map(segment_map, sizes, fallback, func=func)
    shown = [translate(n, labels=lang) for n in names]
    if len(set(shown)) != len(shown):
        dup = [n for n in shown if shown.count(n) > 1]
        raise ConfigError(
            f"{func}: segment names {examples(dup)} appear twice after translation to "
            f"{lang!r}. Hint: rename the segments of the map."
        )
    codes = table[r - 1, f - 1, m - 1]
    segment = pd.Categorical.from_codes(codes, categories=pd.Index(shown), ordered=True)
    return scored.assign(rfm_segment=segment)


# --------------------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------------------


def rfm_segment_summary(
    segmented: pd.DataFrame,
    *,
    segment_col: Hashable = "rfm_segment",
    revenue_col: Hashable = "revenue",
    recency_col: Hashable = "days_since_last",
    frequency_col: Hashable = "n_orders",
    monetary_col: Hashable = "revenue",
) -> pd.DataFrame:
    """Summarise customers and revenue per segment.

    Parameters
    ----------
    segmented
        One row per customer with a segment column, e.g. from :func:`rfm_segments`.
    segment_col
        The segment column. If it is categorical, every category gets a row, in category
        order (segments with no customers included); otherwise the distinct values, sorted.
    revenue_col
        Summed into ``revenue`` and ``revenue_share``. Default ``"revenue"``.
    recency_col, frequency_col, monetary_col
        Averaged into ``mean_days_since_last``, ``mean_frequency`` and
        ``mean_monetary``. Defaults ``"days_since_last"``, ``"n_orders"``, ``"revenue"``
        (so ``mean_monetary`` is the mean net revenue per customer).

    Returns
    -------
    DataFrame
        Indexed by segment (a ``CategoricalIndex`` named after `segment_col`), with:

        - ``customers`` (int64): number of customers;
        - ``customer_share`` (float64): ``customers`` / all customers (sums to 1);
        - ``revenue`` (float64): sum of `revenue_col`;
        - ``revenue_share`` (float64): ``revenue`` / total revenue; sums to 1, but a
          segment with negative net revenue has a negative share and others may exceed 1.
          When total revenue is 0 or negative, shares are meaningless and are NaN;
        - ``mean_days_since_last``, ``mean_frequency``, ``mean_monetary`` (float64): means
          of `recency_col`, `frequency_col`, `monetary_col`; NaN for empty segments.

    Raises
    ------
    ColumnNotFoundError
        If a column is missing.
    SchemaError
        If the segment column has nulls, or a numeric column has nulls, non-numbers or inf.
    EmptyInputError
        If `segmented` has no rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.rfm import rfm_segment_summary
    >>> seg = pd.Categorical(["Gold", "Gold", "Base"], categories=["Lost", "Base", "Gold"])
    >>> df = pd.DataFrame(
    ...     {
    ...         "rfm_segment": seg,
    ...         "revenue": [300.0, 500.0, 200.0],
    ...         "days_since_last": [10, 30, 90],
    ...         "n_orders": [4, 6, 1],
    ...     }
    ... )
    >>> rfm_segment_summary(df)[["customers", "customer_share", "revenue", "revenue_share"]]
                 customers  customer_share  revenue  revenue_share
    rfm_segment
    Lost                 0        0.000000      0.0            0.0
    Base                 1        0.333333    200.0            0.2
    Gold                 2        0.666667    800.0            0.8
    """
    func = "rfm_segment_summary"
    check_frame(segmented, func=func, arg="segmented")
    cols = {"segment_col": segment_col, "revenue_col": revenue_col}
    cols |= {"recency_col": recency_col, "frequency_col": frequency_col}
    cols["monetary_col"] = monetary_col
    check_columns(segmented, cols, func=func)

    g = groups_of(
        segmented[segment_col],
        func=func,
        col=segment_col,
        hint="pass fallback= to rfm_segments, or drop those customers.",
    )

    def column(col: Hashable) -> np.ndarray:
        x = to_float(segmented[col], func=func, col=str(col))
        if np.isnan(x).any():
            raise SchemaError(
                f"{func}: {int(np.isnan(x).sum())} value(s) of column {col!r} are null. "
                "Hint: fill or drop them first."
            )
        return x

    count = g.counts()
    revenue = column(revenue_col)
    return pd.DataFrame(
        {
            "customers": count,
            "customer_share": count / count.sum(),
            "revenue": g.sums(revenue),
            "revenue_share": g.shares(revenue),
            "mean_days_since_last": g.means(column(recency_col)),
            "mean_frequency": g.means(column(frequency_col)),
            "mean_monetary": g.means(column(monetary_col)),
        },
        index=g.index,
    )
