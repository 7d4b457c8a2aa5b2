"""The RFM score grid of kamseg.rfm (no analysis imports).

Parsing `bins` and `weights`, the scoring kernels (mid-rank quantile scores, scores from
cut points), the cell labels ("545", "10-9-1"), the grid size of a scored table, and the
compilation of a segment map into one segment code per cell of the grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kamseg._validation import check_int, examples, to_float
from kamseg.errors import ConfigError, SchemaError

_DIMS: tuple[str, ...] = ("recency", "frequency", "monetary")

# Grid size per dimension, stored in ``DataFrame.attrs`` by `rfm_scores` so that
# `rfm_segments` knows the grid without being told again.
_ATTR = "kamseg_rfm_bins"
_DEFAULT_BINS = 5
_MIN_BINS, _MAX_BINS = 2, 10
_RULE_KEYS = ("r", "f", "m", "fm")


# --------------------------------------------------------------------------------------
# scores
# --------------------------------------------------------------------------------------


def _parse_bins(bins: object, *, func: str, arg: str = "bins") -> dict[str, Any]:
    """Return ``{dimension: int number of quantile scores | float array of cut points}``."""
    if isinstance(bins, Mapping):
        unknown = [k for k in bins if k not in _DIMS]
        if unknown:
            raise ConfigError(
                f"{func}: `{arg}` has unknown key(s) {examples(unknown)}. "
                f"Hint: use {', '.join(map(repr, _DIMS))}."
            )
        spec: dict[str, object] = {d: bins.get(d, _DEFAULT_BINS) for d in _DIMS}
    elif isinstance(bins, int | np.integer) and not isinstance(bins, bool):
        spec = dict.fromkeys(_DIMS, bins)
    else:
        raise ConfigError(
            f"{func}: `{arg}` must be an integer from {_MIN_BINS} to {_MAX_BINS} or a mapping "
            f"such as {{'recency': [30, 90, 180, 365], 'frequency': 5}}; got {bins!r}. "
            "Hint: cut points differ by dimension, so give them per dimension."
        )
    out: dict[str, Any] = {}
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
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    scores = _distinct_scores(counts, n_bins, higher_is_better=higher_is_better)
    return scores[inverse.reshape(-1)].astype(np.int8)


def _distinct_scores(counts: np.ndarray, n_bins: int, *, higher_is_better: bool) -> np.ndarray:
    """The score of :func:`_quantile_scores` of each distinct value, from the number of
    customers with each (distinct values in ascending order)."""
    counts = counts.astype(np.int64)
    n = int(counts.sum())
    cum = np.cumsum(counts)
    worse = cum - counts if higher_is_better else n - cum
    num = n_bins * (2 * worse + counts)
    scores: np.ndarray = np.clip(-(-num // (2 * n)), 1, n_bins)
    return scores


def _learned_cuts(x: np.ndarray, n_bins: int, *, higher_is_better: bool) -> np.ndarray:
    """The quantile scores of `x` as cut points for :func:`_cut_scores`.

    Cut ``c_j`` (j = 1..n_bins-1) is the largest value of `x` lying in the first ``j``
    intervals of the scores ``_quantile_scores`` gives (-inf when none does), so that
    ``_cut_scores(x, cuts)`` equals ``_quantile_scores(x, n_bins)`` exactly: the scores are
    monotone in the value and equal values share a score. Empty scores repeat a cut point
    (the cuts are non-decreasing, not strictly increasing). One sort of the values (no
    positions: the score of each distinct value is all the cuts need).
    """
    values, counts = np.unique(x, return_counts=True)
    scores = _distinct_scores(counts, n_bins, higher_is_better=higher_is_better)
    # number of cut points strictly below each value (non-decreasing along `values`)
    below = scores - 1 if higher_is_better else n_bins - scores
    last = np.searchsorted(below, np.arange(n_bins - 1), side="right") - 1
    return np.where(last >= 0, values[np.maximum(last, 0)], -np.inf).astype(np.float64)


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


# --------------------------------------------------------------------------------------
# segments
# --------------------------------------------------------------------------------------


def _grid_sizes(customers: pd.DataFrame, bins: object, *, func: str) -> tuple[int, int, int]:
    if bins is not None:
        spec = _parse_bins(bins, func=func)
        r, f, m = (_n_scores(spec[d]) for d in _DIMS)
        return r, f, m
    stored = customers.attrs.get(_ATTR)
    if isinstance(stored, Mapping):
        vals = [stored.get(d) for d in _DIMS]
        if all(isinstance(v, int) and _MIN_BINS <= v <= _MAX_BINS for v in vals):
            return int(vals[0]), int(vals[1]), int(vals[2])  # type: ignore[arg-type]
    return _DEFAULT_BINS, _DEFAULT_BINS, _DEFAULT_BINS


def _score_array(customers: pd.DataFrame, col: str, size: int, *, func: str) -> np.ndarray:
    x = to_float(customers[col], func=func, col=col)
    bad = np.isnan(x) | (x != np.round(x)) | (x < 1) | (x > size)
    if bad.any():
        raise SchemaError(
            f"{func}: {int(bad.sum())} value(s) of column {col!r} are not integer scores "
            f"from 1 to {size}; examples: {examples(customers[col][bad])}. Hint: compute the "
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
