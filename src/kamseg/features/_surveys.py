"""Survey answers: the NPS and CSAT scales and answer classes, defined once."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from kamseg._validation import examples, to_float
from kamseg.errors import SchemaError

__all__ = [
    "CSAT_SATISFIED",
    "CSAT_SCALE",
    "NPS_DETRACTOR_MAX",
    "NPS_PROMOTER_MIN",
    "NPS_SCALE",
    "answers",
    "is_detractor",
    "is_promoter",
    "is_satisfied",
]

#: NPS answers: whole numbers 0..10; promoters 9-10, passives 7-8, detractors 0-6.
NPS_SCALE: tuple[int, int] = (0, 10)
NPS_PROMOTER_MIN = 9
NPS_DETRACTOR_MAX = 6
#: CSAT answers: whole numbers 1..5; satisfied 4-5.
CSAT_SCALE: tuple[int, int] = (1, 5)
CSAT_SATISFIED = 4


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
        return np.asarray(nps_answer >= NPS_PROMOTER_MIN)


def is_detractor(nps_answer: np.ndarray) -> np.ndarray:
    """NPS answers from 0 to 6 (False for NaN)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(nps_answer <= NPS_DETRACTOR_MAX)


def is_satisfied(csat_answer: np.ndarray) -> np.ndarray:
    """CSAT answers of 4 or 5 (False for NaN)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(csat_answer >= CSAT_SATISFIED)
