"""Survey answers and complaints: the NPS and CSAT scales, answer bands and scores, and the
per-customer measures read from survey and complaint rows, each defined once.

The rows themselves are read by ``kamseg._tables.side_table`` (dates, nulls, as_of,
customers matched by id); the functions here take its arrays.

The conventions (DESIGN.md): NPS answers are whole numbers 0..10, *promoters* answer 9-10,
*passives* 7-8, *detractors* 0-6, and NPS = % promoters - % detractors (-100..100). CSAT
answers are whole numbers 1..5, *satisfied* 4-5, *neutral* 3, *dissatisfied* 1-2, and
CSAT = % satisfied answers (0..100).

A value that is not a whole answer (the mean of a customer's answers) falls in the band of
the half-open interval it lies in: below 7 is a detractor's, 7 up to 9 a passive's, 9 and
above a promoter's (CSAT: below 3, 3 up to 4, 4 and above). For whole answers these are
exactly the bands above.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable

import numpy as np
import pandas as pd

from kamseg._pairs import narrow_int
from kamseg._validation import examples, to_float
from kamseg.errors import SchemaError

__all__ = [
    "CSAT_BANDS",
    "CSAT_DISSATISFIED_MAX",
    "CSAT_SATISFIED",
    "CSAT_SCALE",
    "NPS_BANDS",
    "NPS_DETRACTOR_MAX",
    "NPS_PROMOTER_MIN",
    "NPS_SCALE",
    "LatestAnswer",
    "answers",
    "band_counts",
    "csat_band",
    "csat_score",
    "is_detractor",
    "is_dissatisfied",
    "is_promoter",
    "is_satisfied",
    "latest_answers",
    "nps_band",
    "nps_score",
    "open_complaints",
    "recent_complaints",
]

#: NPS answers: whole numbers 0..10; promoters 9-10, passives 7-8, detractors 0-6.
NPS_SCALE: tuple[int, int] = (0, 10)
NPS_PROMOTER_MIN = 9
NPS_DETRACTOR_MAX = 6
#: CSAT answers: whole numbers 1..5; satisfied 4-5, neutral 3, dissatisfied 1-2.
CSAT_SCALE: tuple[int, int] = (1, 5)
CSAT_SATISFIED = 4
CSAT_DISSATISFIED_MAX = 2

#: Names of the NPS bands, in band-code order (best first): codes 0, 1, 2.
NPS_BANDS: tuple[str, str, str] = ("promoters", "passives", "detractors")
#: Names of the CSAT bands, in band-code order (best first): codes 0, 1, 2.
CSAT_BANDS: tuple[str, str, str] = ("satisfied", "neutral", "dissatisfied")


# --------------------------------------------------------------------------------------
# answers and bands
# --------------------------------------------------------------------------------------


def answers(values: pd.Series, scale: tuple[int, int], *, func: str, col: Hashable) -> np.ndarray:
    """Survey answers as float64 (NaN = not answered); whole numbers within `scale`.

    Raises
    ------
    SchemaError
        If an answer is not a number, not whole, or outside the scale.
    """
    x = to_float(values, func=func, col=str(col))
    lo, hi = scale
    bad = ~np.isnan(x) & ((x < lo) | (x > hi) | (x != np.round(x)))
    if bad.any():
        raise SchemaError(
            f"{func}: {int(bad.sum())} answer(s) in column {col!r} are not whole numbers from "
            f"{lo} to {hi}; examples: {examples(values[bad])}. Hint: check the scale of the "
            f"survey ({col!r} must be answered {lo}..{hi}) or pass another column."
        )
    return x


def is_promoter(nps_answer: np.ndarray) -> np.ndarray:
    """NPS answers of 9 or 10 (False for NaN)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(np.asarray(nps_answer) >= NPS_PROMOTER_MIN)


def is_detractor(nps_answer: np.ndarray) -> np.ndarray:
    """NPS answers from 0 to 6, and means below 7 (False for NaN)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(np.asarray(nps_answer) < NPS_DETRACTOR_MAX + 1)


def is_satisfied(csat_answer: np.ndarray) -> np.ndarray:
    """CSAT answers of 4 or 5 (False for NaN)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(np.asarray(csat_answer) >= CSAT_SATISFIED)


def is_dissatisfied(csat_answer: np.ndarray) -> np.ndarray:
    """CSAT answers of 1 or 2, and means below 3 (False for NaN)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(np.asarray(csat_answer) < CSAT_DISSATISFIED_MAX + 1)


def _band(best: np.ndarray, worst: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.where(best, 0, np.where(worst, 2, 1)).astype(np.int64)
    out[np.isnan(values)] = -1
    return out


def nps_band(nps_answer: np.ndarray) -> np.ndarray:
    """Band code of each NPS answer (int64): 0 promoter, 1 passive, 2 detractor, -1 none.

    Examples
    --------
    >>> import numpy as np
    >>> nps_band(np.array([10, 9, 8, 7, 6, 0, np.nan])).tolist()
    [0, 0, 1, 1, 2, 2, -1]
    """
    x = np.asarray(nps_answer, dtype=np.float64)
    return _band(is_promoter(x), is_detractor(x), x)


def csat_band(csat_answer: np.ndarray) -> np.ndarray:
    """Band code of each CSAT answer (int64): 0 satisfied, 1 neutral, 2 dissatisfied, -1 none.

    Examples
    --------
    >>> import numpy as np
    >>> csat_band(np.array([5, 4, 3, 2, 1, np.nan])).tolist()
    [0, 0, 1, 2, 2, -1]
    """
    x = np.asarray(csat_answer, dtype=np.float64)
    return _band(is_satisfied(x), is_dissatisfied(x), x)


def band_counts(
    bands: np.ndarray, group: np.ndarray | None = None, n_groups: int = 1
) -> np.ndarray:
    """Answers per band (columns in band-code order) of each group, shape ``(n_groups, 3)``.

    Rows whose band or group is -1 are skipped. Counts add up across groups, so the counts
    of a union of groups are the sum of their rows.
    """
    b = np.asarray(bands, dtype=np.int64)
    g = np.zeros(b.size, dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
    ok = (b >= 0) & (g >= 0)
    flat = np.bincount(g[ok] * 3 + b[ok], minlength=3 * n_groups)
    return flat.reshape(n_groups, 3).astype(np.int64)


def _percent(part: np.ndarray, total: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.divide(
        100.0 * part, total, out=np.full(np.shape(total), np.nan), where=total > 0
    )
    return out


def nps_score(counts: np.ndarray) -> np.ndarray:
    """Net Promoter Score from NPS band counts (``(..., 3)``, see :func:`band_counts`):
    ``100 * (promoters - detractors) / answers``, from -100 to 100; NaN without answers.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([10, 10, 9, 8, 7, 7, 6, 5, 3, 0])  # 3 promoters, 4 detractors
    >>> nps_score(band_counts(nps_band(x))).tolist()
    [-10.0]
    """
    c = np.asarray(counts, dtype=np.int64)
    return _percent(c[..., 0] - c[..., 2], c.sum(axis=-1))


def csat_score(counts: np.ndarray) -> np.ndarray:
    """CSAT from CSAT band counts (``(..., 3)``, see :func:`band_counts`): the percentage of
    satisfied answers (4-5), 0..100; NaN without answers.

    Examples
    --------
    >>> import numpy as np
    >>> csat_score(band_counts(csat_band(np.array([5, 4, 4, 3, 1])))).tolist()
    [60.0]
    """
    c = np.asarray(counts, dtype=np.int64)
    return _percent(c[..., 0], c.sum(axis=-1))


# --------------------------------------------------------------------------------------
# per-customer measures of survey and complaint rows
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LatestAnswer:
    """Each customer's latest answer to one question (see :func:`latest_answers`).

    Attributes
    ----------
    value : ndarray of float64
        The mean of the customer's answers on their latest answer day; NaN without answers.
    day : ndarray of float64
        That day, in days since 1970-01-01; NaN without answers.
    previous : ndarray of float64
        The mean of their answers on the answer day before; NaN when there is none.
    """

    value: np.ndarray
    day: np.ndarray
    previous: np.ndarray


def latest_answers(
    values: np.ndarray, customer: np.ndarray, day: np.ndarray, n: int
) -> LatestAnswer:
    """Each customer's latest answer: the mean of their answers on the latest day they
    answered (NaN answers skipped), with that day and the answer of the day before.

    Parameters
    ----------
    values
        Answer of each row (float64, NaN = not answered).
    customer
        Customer position of each row, ``0 .. n - 1`` (-1: skipped).
    day
        Day number of each row.
    n
        Number of customers.

    Examples
    --------
    >>> import numpy as np
    >>> latest = latest_answers(
    ...     np.array([3.0, 10.0, 6.0, 9.0, np.nan]), np.array([0, 0, 0, 1, 1]),
    ...     np.array([5, 9, 9, 2, 7]), 3)
    >>> latest.value.tolist(), latest.day.tolist(), latest.previous.tolist()
    ([8.0, 9.0, nan], [9.0, 2.0, nan], [3.0, nan, nan])
    """
    value, on_day, previous = (np.full(n, np.nan) for _ in range(3))
    ok = ~np.isnan(values) & (customer >= 0)
    v, c, d = values[ok], narrow_int(customer[ok]), narrow_int(day[ok])
    del ok
    if v.size:
        order = np.lexsort((d, c))
        # one at a time: the unsorted copy of each goes before the next is sorted (memory)
        v = v[order]
        c = c[order]
        d = d[order]
        del order
        start = np.flatnonzero(np.r_[True, (c[1:] != c[:-1]) | (d[1:] != d[:-1])])
        mean = np.add.reduceat(v, start) / np.diff(np.r_[start, v.size])
        gc, gd = c[start], d[start]
        last = np.flatnonzero(np.r_[gc[1:] != gc[:-1], True])
        value[gc[last]] = mean[last]
        on_day[gc[last]] = gd[last]
        with_prev = last[(last > 0) & (gc[last - 1] == gc[last])]
        previous[gc[with_prev]] = mean[with_prev - 1]
    return LatestAnswer(value=value, day=on_day, previous=previous)


def open_complaints(
    frame: pd.DataFrame, resolved_col: Hashable | None, *, func: str
) -> np.ndarray:
    """Whether each complaint is open (not resolved; a null resolution counts as open).

    With ``resolved_col=None`` every complaint is open.

    Raises
    ------
    SchemaError
        If `resolved_col` is not boolean.
    """
    if resolved_col is None:
        return np.ones(len(frame), dtype=bool)
    s = frame[resolved_col]
    if not pd.api.types.is_bool_dtype(s.dtype) and not (
        s.dtype == object and all(isinstance(v, bool | np.bool_) for v in s.dropna())
    ):
        raise SchemaError(
            f"{func}: column {resolved_col!r} (argument `resolved_col`) must be boolean; got "
            f"{s.dtype}, e.g. {examples(s.dropna())}. Hint: pass resolved_col=None to treat "
            "every complaint as open."
        )
    return ~s.eq(True).to_numpy(dtype=bool, na_value=False)


def recent_complaints(
    customer: np.ndarray,
    day: np.ndarray,
    n: int,
    *,
    as_of_day: int,
    days: float,
    where: np.ndarray | None = None,
) -> np.ndarray:
    """Complaints of each customer (int64) dated less than `days` days before `as_of_day`,
    and not after it, among the rows `where` (default all); customer -1 is skipped.

    Examples
    --------
    >>> import numpy as np
    >>> recent_complaints(np.array([0, 0, 1, 1]), np.array([100, 10, 95, 120]), 3,
    ...                   as_of_day=100, days=90).tolist()
    [1, 1, 0]
    """
    age = as_of_day - day
    recent = (customer >= 0) & (age >= 0) & (age < days)
    if where is not None:
        recent &= where
    return np.bincount(customer[recent], minlength=n).astype(np.int64)
