"""Ranking kernels and curves of kamseg.pareto (numpy, no analysis imports).

Tie groups and the customers ahead of each one, what the ABC classes and the pyramid tiers
learn from the base (value thresholds) and the tier codes, the Lorenz and Pareto curves with
the Gini coefficient and the HHI, the points of the whale curve, and the sentence that
describes it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from kamseg._pareto_inputs import _check_total
from kamseg._validation import warn
from kamseg.labels import Language

_TOL = 1e-9  # tolerance of share comparisons with cut-offs
_REL_TOL = 1e-12  # relative tolerance of customer counts (cut-off * n)


# --------------------------------------------------------------------------------------
# ranks
# --------------------------------------------------------------------------------------


def _tie_groups(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tie groups of a sorted array: (group id of each position, group starts, group ends).

    ``ends`` are exclusive, so group ``g`` spans ``sorted_values[starts[g]:ends[g]]``.
    """
    n = sorted_values.size
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=new[1:])
    group = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)
    return group, starts, ends


def _ahead_counts(x: np.ndarray) -> np.ndarray:
    """For each value, the number of values strictly greater (ties share the count)."""
    order = np.argsort(-x, kind="stable")
    group, starts, _ = _tie_groups(x[order])
    ahead = np.empty(x.size, dtype=np.int64)
    ahead[order] = starts[group]
    return ahead


def _abc_reference(
    v: np.ndarray, cuts: np.ndarray, *, func: str, col: str
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """What ``pareto_table`` learns from the (clipped) base values `v` and the two cut-offs.

    Returns the values sorted descending (stable), their prefix sums (``cum[k]``: the sum of
    the top ``k``, ``cum[-1]`` the total) and the ABC thresholds ``(t_a, t_b)``: the smallest
    value of class A and of classes A or B (+inf when that set is empty). Classes come from
    tie groups (equal values share one), so they are monotone in the value: a value is A
    when it is >= ``t_a``, B when >= ``t_b``, else C.
    """
    order = np.argsort(-v, kind="stable")
    sorted_v = v[order]
    _, starts, _ = _tie_groups(sorted_v)
    with np.errstate(over="ignore"):  # an overflowing total is refused just below
        cum = np.concatenate(([0.0], np.cumsum(sorted_v)))  # cum[k]: sum of the top k
    _check_total(float(cum[-1]), func=func, col=col)

    before = cum[starts] / float(cum[-1])  # per tie group, best group first
    code = (before < cuts[0] - _TOL).astype(np.int8) + (before < cuts[1] - _TOL)
    group_values = sorted_v[starts]
    # codes are non-increasing along the groups: the last group with code >= k has the
    # smallest value of classes >= k
    thresholds = tuple(
        float(group_values[code >= k][-1]) if (code >= k).any() else math.inf for k in (2, 1)
    )
    return sorted_v, cum, (thresholds[0], thresholds[1])


def _tier_thresholds(xa: np.ndarray, cuts: np.ndarray, *, profit: bool) -> np.ndarray:
    """The pyramid tiers of the active values `xa` as value thresholds.

    Element ``j`` is the smallest active value whose tier score (0 = bottom tier) is at least
    ``j + 1 + profit`` (+inf when no value is): the tiers above the bottom one (Medium, Big,
    Top) or, for the profit pyramid, above Iron (Gold, Platinum). See :func:`_tier_codes`.
    """
    n_active = xa.size
    counts = np.array([math.ceil(c * n_active * (1 - _REL_TOL)) for c in cuts], dtype=np.int64)
    ahead = _ahead_counts(xa) if n_active else np.empty(0, dtype=np.int64)
    score = (ahead[:, None] < counts[None, :]).sum(axis=1)
    # the value pyramid's bottom tier is Small (score 0), the profit pyramid's Iron (1)
    score = np.where(xa > 0, score + profit, 0)
    levels = np.arange(1 + profit, 1 + profit + cuts.size)
    return np.array(
        [xa[score >= k].min() if (score >= k).any() else math.inf for k in levels],
        dtype=np.float64,
    )


def _tier_codes(
    x: np.ndarray, inactive: np.ndarray, thresholds: np.ndarray, *, offset: int, profit: bool
) -> np.ndarray:
    """Pyramid tier codes: ``offset`` + the tier score of each active customer (0 is the
    bottom tier), ``offset - 1`` (Inactive) for the inactive ones.

    A value <= 0 is in the bottom tier (Small, or Lead); a positive value scores
    ``profit`` (the profit pyramid's Iron is 1) plus the number of `thresholds` it reaches.
    """
    reached = (x[:, None] >= thresholds[None, :]).sum(axis=1)
    score = np.where(x > 0, reached + profit, 0)
    return np.where(inactive, offset - 1, offset + score).astype(np.int64)


# --------------------------------------------------------------------------------------
# curves
# --------------------------------------------------------------------------------------


def _concentration_fields(
    v: np.ndarray, shares: list[float], goal: float, *, func: str, col: str
) -> dict[str, Any]:
    """The fields of ``Concentration`` from the (clipped) values `v`."""
    n = v.size
    ascending = np.sort(v)
    total = float(np.sum(ascending))
    _check_total(total, func=func, col=col)
    weights = 2.0 * np.arange(1, n + 1, dtype=np.float64) - n - 1
    gini = max(float(np.dot(weights, ascending)) / (n * total), 0.0)

    steps = np.arange(n + 1, dtype=np.float64) / n
    lorenz_cum = np.concatenate(([0.0], np.cumsum(ascending)))
    lorenz_cum /= lorenz_cum[-1]
    pareto_cum = np.concatenate(([0.0], np.cumsum(ascending[::-1])))
    pareto_cum /= pareto_cum[-1]

    k = int(np.searchsorted(pareto_cum[1:], goal - _TOL, side="left")) + 1
    top_index = pd.Index(shares, dtype=np.float64, name="top_customer_share")
    return {
        "n_customers": n,
        "total": total,
        "gini": gini,
        "lorenz": pd.DataFrame({"cum_customer_share": steps, "cum_value_share": lorenz_cum}),
        "top_shares": pd.Series(
            np.interp(shares, steps, pareto_cum), index=top_index, name="value_share"
        ),
        "target": goal,
        "customers_for_target": min(k, n) / n,
        "hhi": float(np.sum((v / total) ** 2)),
    }


def _whale_fields(x: np.ndarray, *, func: str) -> dict[str, Any]:
    """The fields of ``WhaleCurve`` from the profits `x`.

    When the total is <= 0 the shares are NaN, with a warning that names the caller of the
    public function (so call this from the public function itself).
    """
    n = x.size
    descending = np.sort(x)[::-1]
    cum = np.concatenate(([0.0], np.cumsum(descending)))
    total = float(np.sum(x))
    cum[-1] = total
    k = int(np.count_nonzero(x > 0))
    peak = float(cum[k])
    if total > 0:
        shares = cum / total
        peak_share = peak / total
    else:
        warn(
            f"{func}: total profit is {total:g} (<= 0), so profit shares are undefined and "
            "left NaN. Hint: read cum_profit; describe() gives amounts.",
            stacklevel=4,
        )
        shares = np.full(n + 1, np.nan)
        peak_share = math.nan
    points = pd.DataFrame(
        {
            "cum_customer_share": np.arange(n + 1, dtype=np.float64) / n,
            "cum_profit": cum,
            "cum_profit_share": shares,
        }
    )
    return {
        "points": points,
        "n_customers": n,
        "total_profit": total,
        "peak_customer_share": k / n,
        "peak_profit": peak,
        "peak_profit_share": peak_share,
    }


# --------------------------------------------------------------------------------------
# the whale curve in words
# --------------------------------------------------------------------------------------


def _pct(share: float) -> str:
    """A share as a percentage with as few decimals as keep it off a false 0 % or 100 %."""
    text = ""
    for decimals in range(4):
        text = f"{share * 100:.{decimals}f}"
        value = float(text)
        if (value != 0 or share == 0) and (value != 100 or share == 1):
            break
    return f"{text}%"


def _whale_sentence(
    *,
    peak_customer_share: float,
    peak_profit: float,
    peak_profit_share: float,
    total_profit: float,
    lang: Language,
) -> str:
    """The peak of a whale curve in one sentence (see ``WhaleCurve.describe``)."""
    top, rest = _pct(peak_customer_share), _pct(1 - peak_customer_share)
    if peak_profit <= 0:
        if lang == "zh":
            return f"没有客户盈利：总利润为 {total_profit:,.2f}"
        return f"no customer is profitable: total profit is {total_profit:,.2f}"
    lost = peak_profit - total_profit
    if total_profit > 0:
        earn = _pct(peak_profit_share)
        lose = _pct(peak_profit_share - 1)
        if lang == "zh":
            text = f"最赚钱的 {top} 客户贡献了总利润的 {earn}"
            return text + (f"；其余 {rest} 的客户亏掉了其中的 {lose}" if lost > 0 else "")
        text = f"the most profitable {top} of customers earn {earn} of total profit"
        return text + (f"; the other {rest} lose {lose} of it" if lost > 0 else "")
    if lang == "zh":
        return (
            f"最赚钱的 {top} 客户赚取 {peak_profit:,.2f}；其余 {rest} 的客户亏掉 "
            f"{lost:,.2f}，总利润为 {total_profit:,.2f}"
        )
    return (
        f"the most profitable {top} of customers earn {peak_profit:,.2f}; the other "
        f"{rest} lose {lost:,.2f}, for a total profit of {total_profit:,.2f}"
    )
