"""A customer's own buying rhythm: the usual gap between purchases and how overdue it is."""

from __future__ import annotations

import numpy as np

__all__ = ["FALLBACK_GAP_DAYS", "Rhythm", "rhythm"]

#: The usual gap given to single-purchase customers when the base has no repeat buyer.
FALLBACK_GAP_DAYS = 90.0


class Rhythm:
    """``usual_gap_days``, ``overdue_ratio`` (arrays) and the base gap (float)."""

    __slots__ = ("base_gap", "overdue_ratio", "usual_gap_days")

    def __init__(self, usual_gap_days: np.ndarray, overdue_ratio: np.ndarray, base_gap: float):
        self.usual_gap_days = usual_gap_days
        self.overdue_ratio = overdue_ratio
        self.base_gap = base_gap


def rhythm(
    days_since_last: np.ndarray,
    tenure_days: np.ndarray,
    repeat_days: np.ndarray,
    *,
    fallback_gap_days: float = FALLBACK_GAP_DAYS,
    base_gap: float | None = None,
) -> Rhythm:
    """The usual gap between purchases and the overdue ratio of each customer.

    With ``d`` days since the last purchase, ``t`` days since the first and ``k`` repeat
    purchase days (purchase days minus one: the ``frequency`` of a daily summary):

    - a repeat buyer (``k > 0``) has the usual gap ``g = max((t - d) / k, 1)`` days, the
      days from the first to the last purchase over the gaps between purchase days;
    - a single-purchase customer (``k = 0``) has no gap of its own and gets the **base
      gap**: the median usual gap of the repeat buyers given (`fallback_gap_days` when
      there is none), or `base_gap` when given (the base gap learned from another table,
      e.g. by :func:`kamseg.fit_segments`, so that each row depends on its customer only);
    - ``overdue_ratio = d / g``.

    Rows with a null input get NaN. This is the one definition that
    :func:`kamseg.lifecycle_stage`, :func:`kamseg.health_score`,
    :func:`kamseg.early_warnings` and the churn features use.

    Examples
    --------
    >>> import numpy as np
    >>> d, t, k = np.array([412.0, 30, 400]), np.array([1012.0, 700, 400]), np.array([6.0, 20, 0])
    >>> r = rhythm(d, t, k)
    >>> r.usual_gap_days.round(2).tolist(), r.overdue_ratio.round(2).tolist(), r.base_gap
    ([100.0, 33.5, 66.75], [4.12, 0.9, 5.99], 66.75)
    """
    d = np.asarray(days_since_last, dtype=np.float64)
    t = np.asarray(tenure_days, dtype=np.float64)
    k = np.asarray(repeat_days, dtype=np.float64)
    repeat = k > 0
    gap = np.full(d.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap[repeat] = np.maximum((t[repeat] - d[repeat]) / k[repeat], 1.0)
    known = repeat & ~np.isnan(gap)
    if base_gap is not None:
        base = float(base_gap)
    else:
        base = float(np.median(gap[known])) if known.any() else float(fallback_gap_days)
    gap[(k == 0) & ~np.isnan(d) & ~np.isnan(t)] = base
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = d / gap
    return Rhythm(gap, ratio, base)
