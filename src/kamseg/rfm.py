"""RFM analysis: recency, frequency and monetary scores, named segments, segment summaries.

Three functions, meant to be chained on the customer table from :func:`kamseg.summarize`
(one row per customer, indexed by customer id)::

    customers.pipe(rfm_scores).pipe(rfm_segments).pipe(rfm_segment_summary)

- :func:`rfm_scores` adds ``r_score``, ``f_score``, ``m_score`` (1..bins, higher is better),
  ``rfm_cell`` and ``rfm_score``;
- :func:`rfm_segments` adds ``rfm_segment``, an ordered categorical of named segments
  (by default the 11 conventional segments of :data:`DEFAULT_SEGMENT_MAP`);
- :func:`rfm_segment_summary` gives one row per segment: customers, revenue, shares, means;
- :func:`fit_rfm_scores` learns the scoring from a customer base as cut points
  (:class:`RfmFit`), whose ``apply`` scores other customers, row by row, consistently
  with the base. :func:`rfm_segments` learns nothing from the table: it maps each row's
  scores to a segment.

By default RFM reads ``days_since_last`` (recency, smaller is better), ``n_orders``
(frequency) and ``revenue`` (monetary, the customer's net total). The BTYD columns
``frequency``, ``recency`` and ``monetary_value`` have other meanings and are not used
unless passed explicitly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from types import MappingProxyType
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd

from kamseg._groups import groups_of
from kamseg._rfm_grid import (
    _ATTR,
    _DEFAULT_BINS,
    _DIMS,
    _compile_map,
    _cut_scores,
    _format_cells,
    _grid_sizes,
    _learned_cuts,
    _parse_bins,
    _parse_weights,
    _score_array,
    _to_five,
)
from kamseg._state import state
from kamseg._validation import check_columns, check_frame, check_no_overwrite, examples, to_float
from kamseg.errors import ConfigError, SchemaError
from kamseg.labels import Language, check_language, translate

__all__ = [
    "DEFAULT_SEGMENT_MAP",
    "RFM_SCORE_COLUMNS",
    "Bins",
    "Dimension",
    "RfmFit",
    "SegmentMap",
    "SegmentRule",
    "fit_rfm_scores",
    "rfm_scores",
    "rfm_segment_summary",
    "rfm_segments",
]

Dimension = Literal["recency", "frequency", "monetary"]
"""The three RFM dimensions, as used for the keys of a ``bins`` or ``weights`` mapping."""

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


def rfm_scores(
    customers: pd.DataFrame,
    *,
    bins: Bins = 5,
    days_since_last_col: Hashable = "days_since_last",
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
    days_since_last_col
        Days since the last purchase (RFM recency); smaller is better. Default
        ``"days_since_last"``. Not the BTYD ``recency`` column.
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
    return _fit_rfm_scores(
        customers,
        bins=bins,
        days_since_last_col=days_since_last_col,
        frequency_col=frequency_col,
        monetary_col=monetary_col,
        weights=weights,
        overwrite=overwrite,
        func="rfm_scores",
    )._apply(customers, func="rfm_scores")


@state("rfm.RfmFit")
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class RfmFit:
    """The RFM scoring rule learned by :func:`fit_rfm_scores`: cut points per dimension.

    Attributes
    ----------
    cuts : dict of str to ndarray
        Per dimension (``"recency"``, ``"frequency"``, ``"monetary"``), the cut points
        ``c1 <= ... <= ck`` (float64) of the right-closed intervals ``(-inf, c1], ...,
        (ck, inf)`` that give the ``k + 1`` scores, as in the *Cut points* of
        :func:`rfm_scores` (recency scores run from ``k + 1`` down to 1). For quantile scores
        ``c_j`` is the largest fitted value in the first ``j`` intervals; an empty score
        repeats a cut point and a cut below every fitted value is ``-inf``.
    quantile : dict of str to bool
        Whether each dimension's cut points were learned from quantiles (True) or given.
    days_since_last_col, frequency_col, monetary_col
        The scored columns.
    weights : tuple of float
        ``(recency, frequency, monetary)`` multipliers of ``rfm_score``.
    overwrite : bool
        Whether :meth:`apply` may replace existing output columns.
    n_customers : int
        Number of customers fitted on.
    """

    cuts: dict[str, np.ndarray]
    quantile: dict[str, bool]
    days_since_last_col: Hashable
    frequency_col: Hashable
    monetary_col: Hashable
    weights: tuple[float, float, float]
    overwrite: bool
    n_customers: int

    def apply(self, customers: pd.DataFrame) -> pd.DataFrame:
        """Score `customers` with the fitted cut points (row by row).

        Returns what :func:`rfm_scores` returns (same columns, dtypes and ``attrs``); on
        the fitted table exactly the same frame. Each row depends only on its own values,
        so scoring a subset of customers gives the same rows as scoring everyone.

        Raises
        ------
        ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
            As :func:`rfm_scores`.

        Examples
        --------
        >>> import pandas as pd
        >>> from kamseg.rfm import fit_rfm_scores
        >>> base = pd.DataFrame(
        ...     {
        ...         "days_since_last": [3, 40, 200, 15],
        ...         "n_orders": [9, 2, 1, 4],
        ...         "revenue": [1200.0, 600.0, 40.0, 480.0],
        ...     }
        ... )
        >>> fit = fit_rfm_scores(base)
        >>> fit.apply(base.iloc[[2]])["rfm_cell"].tolist()
        ['111']
        >>> new = pd.DataFrame({"days_since_last": [10], "n_orders": [5], "revenue": [500.0]})
        >>> fit.apply(new)["rfm_cell"].tolist()
        ['454']
        """
        return self._apply(customers, func="RfmFit.apply")

    def _apply(self, customers: pd.DataFrame, *, func: str) -> pd.DataFrame:
        check_frame(customers, func=func, arg="customers")
        cols_by_dim = (self.days_since_last_col, self.frequency_col, self.monetary_col)
        check_columns(customers, dict(zip(_COL_ARGS, cols_by_dim, strict=True)), func=func)
        check_no_overwrite(customers, RFM_SCORE_COLUMNS, func=func, overwrite=self.overwrite)
        r, f, m = (
            _cut_scores(
                _scored_column(customers, col, func=func),
                np.asarray(self.cuts[dim], dtype=np.float64),
                higher_is_better=dim != "recency",
            )
            for dim, col in zip(_DIMS, cols_by_dim, strict=True)
        )
        sizes = [int(np.size(self.cuts[d])) + 1 for d in _DIMS]
        cells = pd.Series(_format_cells(r, f, m, sizes), index=customers.index).astype(str)
        w = np.asarray(self.weights, dtype=np.float64)
        total = w[0] * r + w[1] * f + w[2] * m
        out = customers.assign(
            r_score=r, f_score=f, m_score=m, rfm_cell=cells, rfm_score=total.astype(np.float64)
        )
        out.attrs[_ATTR] = dict(zip(_DIMS, sizes, strict=True))
        return out

    def __repr__(self) -> str:
        parts = []
        for dim in _DIMS:
            cuts = ", ".join(f"{c:g}" for c in np.asarray(self.cuts[dim], dtype=np.float64))
            how = "quantile" if self.quantile[dim] else "given"
            parts.append(f"{dim}=[{cuts}] ({how})")
        return f"RfmFit(n_customers={self.n_customers}, {', '.join(parts)})"


def fit_rfm_scores(
    customers: pd.DataFrame,
    *,
    bins: Bins = 5,
    days_since_last_col: Hashable = "days_since_last",
    frequency_col: Hashable = "n_orders",
    monetary_col: Hashable = "revenue",
    weights: Sequence[float] | Mapping[str, float] = (1, 1, 1),
    overwrite: bool = False,
) -> RfmFit:
    """Learn the RFM scoring of :func:`rfm_scores` from a customer base, as cut points.

    ``fit_rfm_scores(customers, ...).apply(customers)`` is ``rfm_scores(customers, ...)``;
    :meth:`RfmFit.apply` then scores other customers (one new customer, a partition, later
    data) consistently with the base, row by row.

    Parameters
    ----------
    customers
        The customer base, e.g. from :func:`kamseg.summarize`. Not modified.
    bins, days_since_last_col, frequency_col, monetary_col, weights, overwrite
        As in :func:`rfm_scores`.

    Returns
    -------
    RfmFit
        The cut points of every dimension and the options (see :class:`RfmFit`).

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
        As :func:`rfm_scores` (except the overwrite check, made by :meth:`RfmFit.apply`).

    Notes
    -----
    **Freezing the quantile scores.** A quantile score (see *Tie policy* in
    :func:`rfm_scores`) is monotone in the value, and equal values share it. So on each
    dimension it is fixed by cut points: ``c_j`` is the largest fitted value whose score
    is among the ``j`` lowest intervals, and a value scores by the interval
    ``(c_{j-1}, c_j]`` it falls in, like explicit cut points. Every fitted value gets its
    fitted score back; a value between two fitted values gets the score of the fitted
    value above it (for recency: the larger number of days, so the worse score); a value
    beyond every fitted value gets the extreme score of its side. Cut points given in
    `bins` are kept as they are (nothing is learned for that dimension).

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.rfm import fit_rfm_scores, rfm_scores
    >>> data = kamseg.datasets.make_transactions(n_customers=200, seed=0)
    >>> customers = kamseg.summarize(data.transactions, as_of=data.as_of)
    >>> fit = fit_rfm_scores(customers)
    >>> fit.cuts["frequency"].tolist()
    [1.0, 3.0, 8.0, 15.0]
    >>> fit.apply(customers).equals(rfm_scores(customers))
    True
    """
    return _fit_rfm_scores(
        customers,
        bins=bins,
        days_since_last_col=days_since_last_col,
        frequency_col=frequency_col,
        monetary_col=monetary_col,
        weights=weights,
        overwrite=overwrite,
        func="fit_rfm_scores",
    )


_COL_ARGS = ("days_since_last_col", "frequency_col", "monetary_col")


def _scored_column(customers: pd.DataFrame, col: Hashable, *, func: str) -> np.ndarray:
    x = to_float(customers[col], func=func, col=str(col))
    nulls = np.isnan(x)
    if nulls.any():
        raise SchemaError(
            f"{func}: {int(nulls.sum())} value(s) of column {col!r} are null; examples "
            f"at index {examples(customers.index[nulls])}. Hint: fill them (e.g. 0 "
            "orders) or drop those customers first."
        )
    return x


def _fit_rfm_scores(
    customers: pd.DataFrame,
    *,
    bins: Bins,
    days_since_last_col: Hashable,
    frequency_col: Hashable,
    monetary_col: Hashable,
    weights: Sequence[float] | Mapping[str, float],
    overwrite: bool,
    func: str,
) -> RfmFit:
    check_frame(customers, func=func, arg="customers")
    cols_by_dim = (days_since_last_col, frequency_col, monetary_col)
    check_columns(customers, dict(zip(_COL_ARGS, cols_by_dim, strict=True)), func=func)
    spec = _parse_bins(bins, func=func)
    w = _parse_weights(weights, func=func)
    cuts: dict[str, np.ndarray] = {}
    for dim, col in zip(_DIMS, cols_by_dim, strict=True):
        x = _scored_column(customers, col, func=func)
        s = spec[dim]
        higher = dim != "recency"
        cuts[dim] = _learned_cuts(x, s, higher_is_better=higher) if isinstance(s, int) else s
    return RfmFit(
        cuts=cuts,
        quantile={d: isinstance(spec[d], int) for d in _DIMS},
        days_since_last_col=days_since_last_col,
        frequency_col=frequency_col,
        monetary_col=monetary_col,
        weights=(float(w[0]), float(w[1]), float(w[2])),
        overwrite=bool(overwrite),
        n_customers=len(customers),
    )


# --------------------------------------------------------------------------------------
# segments
# --------------------------------------------------------------------------------------


def rfm_segments(
    customers: pd.DataFrame,
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
    customers
        One row per customer with the scores ``r_score``, ``f_score``, ``m_score``, e.g.
        from :func:`rfm_scores`. Not modified.
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
        read from ``customers.attrs["kamseg_rfm_bins"]`` (set by :func:`rfm_scores`; pandas
        keeps it through most operations), and is 5 x 5 x 5 when absent.
    overwrite
        Replace an existing ``rfm_segment`` column instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index and row order) with the column ``rfm_segment``
        (ordered ``category``): every segment of the map as a category, worst to best,
        including segments with no customers.

    Raises
    ------
    ColumnNotFoundError
        If a score column is missing.
    SchemaError
        If a score is null, not an integer, or outside the grid.
    EmptyInputError
        If `customers` has no rows.
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
    >>> customers = pd.DataFrame(
    ...     {"r_score": [5, 1, 1, 5], "f_score": [5, 1, 5, 1], "m_score": [5, 1, 4, 2]},
    ...     index=["a", "b", "c", "d"],
    ... )
    >>> rfm_segments(customers)["rfm_segment"].tolist()
    ['Champions', 'Lost', "Can't Lose Them", 'New Customers']
    >>> rfm_segments(customers, labels="zh")["rfm_segment"].tolist()
    ['冠军客户', '已流失客户', '不可流失客户', '新客户']

    A custom map by score ranges, with a catch-all segment:

    >>> vip = {"VIP": {"r": (4, 5), "f": (4, 5)}}
    >>> out = rfm_segments(customers, segment_map=vip, fallback="Other")
    >>> out["rfm_segment"].tolist(), list(out["rfm_segment"].cat.categories)
    (['VIP', 'Other', 'Other', 'Other'], ['Other', 'VIP'])
    """
    func = "rfm_segments"
    check_frame(customers, func=func, arg="customers")
    lang = check_language(labels, func=func)
    for col in _SCORE_COLS:
        check_columns(customers, {"customers": col}, func=func)
    if fallback is not None and (not isinstance(fallback, str) or not fallback):
        raise ConfigError(
            f"{func}: `fallback` must be a non-empty string or None; got {fallback!r}."
        )
    check_no_overwrite(customers, ["rfm_segment"], func=func, overwrite=overwrite)

    sizes = _grid_sizes(customers, bins, func=func)
    r, f, m = (
        _score_array(customers, c, k, func=func) for c, k in zip(_SCORE_COLS, sizes, strict=True)
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
    return customers.assign(rfm_segment=segment)


# --------------------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------------------


def rfm_segment_summary(
    customers: pd.DataFrame,
    *,
    segment_col: Hashable = "rfm_segment",
    revenue_col: Hashable = "revenue",
    days_since_last_col: Hashable = "days_since_last",
    frequency_col: Hashable = "n_orders",
    monetary_col: Hashable = "revenue",
) -> pd.DataFrame:
    """Summarise customers and revenue per segment.

    Parameters
    ----------
    customers
        One row per customer with a segment column, e.g. from :func:`rfm_segments`.
    segment_col
        The segment column. If it is categorical, every category gets a row, in category
        order (segments with no customers included); otherwise the distinct values, sorted.
    revenue_col
        Summed into ``revenue`` and ``revenue_share``. Default ``"revenue"``.
    days_since_last_col, frequency_col, monetary_col
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
          of `days_since_last_col`, `frequency_col`, `monetary_col`; NaN for empty segments.

    Raises
    ------
    ColumnNotFoundError
        If a column is missing.
    SchemaError
        If the segment column has nulls, or a numeric column has nulls, non-numbers or inf.
    EmptyInputError
        If `customers` has no rows.

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
    check_frame(customers, func=func, arg="customers")
    cols = {"segment_col": segment_col, "revenue_col": revenue_col}
    cols |= {"days_since_last_col": days_since_last_col, "frequency_col": frequency_col}
    cols["monetary_col"] = monetary_col
    check_columns(customers, cols, func=func)

    g = groups_of(
        customers[segment_col],
        func=func,
        col=segment_col,
        hint="pass fallback= to rfm_segments, or drop those customers.",
    )

    def column(col: Hashable) -> np.ndarray:
        x = to_float(customers[col], func=func, col=str(col))
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
            "mean_days_since_last": g.means(column(days_since_last_col)),
            "mean_frequency": g.means(column(frequency_col)),
            "mean_monetary": g.means(column(monetary_col)),
        },
        index=g.index,
    )
