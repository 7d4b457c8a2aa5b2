"""Tests for kamseg.features._surveys: the NPS / CSAT scales, bands and scores, and the
per-customer survey and complaint measures, defined once.

Expected values are worked out by hand in the comments, or by a plain-Python reference.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg.features
from kamseg.errors import SchemaError
from kamseg.features._surveys import (
    CSAT_BANDS,
    CSAT_SCALE,
    NPS_BANDS,
    NPS_SCALE,
    answers,
    band_counts,
    csat_band,
    csat_score,
    is_detractor,
    is_dissatisfied,
    is_promoter,
    is_satisfied,
    latest_answers,
    nps_band,
    nps_score,
    open_complaints,
    recent_complaints,
)
from kamseg.satisfaction import csat, nps

# --------------------------------------------------------------------------------------
# the published conventions
# --------------------------------------------------------------------------------------


def test_nps_convention_promoters_passives_detractors() -> None:
    # promoters 9-10, passives 7-8, detractors 0-6 (Reichheld's Net Promoter Score)
    assert NPS_SCALE == (0, 10) and NPS_BANDS == ("promoters", "passives", "detractors")
    x = np.arange(11, dtype=np.float64)
    assert nps_band(x).tolist() == [2] * 7 + [1] * 2 + [0] * 2
    assert np.flatnonzero(is_promoter(x)).tolist() == [9, 10]
    assert np.flatnonzero(is_detractor(x)).tolist() == [0, 1, 2, 3, 4, 5, 6]


def test_csat_convention_satisfied_answers() -> None:
    # CSAT: the share of 4-5 answers on a 1-5 scale; 3 neutral, 1-2 dissatisfied
    assert CSAT_SCALE == (1, 5) and CSAT_BANDS == ("satisfied", "neutral", "dissatisfied")
    x = np.arange(1, 6, dtype=np.float64)
    assert csat_band(x).tolist() == [2, 2, 1, 0, 0]
    assert is_satisfied(x).tolist() == [False, False, False, True, True]
    assert is_dissatisfied(x).tolist() == [True, True, False, False, False]


def test_means_fall_in_the_band_of_their_interval() -> None:
    # a mean below 7 is a detractor's, 7 up to 9 a passive's; CSAT below 3, 3 up to 4
    assert nps_band(np.array([6.5, 6.99, 7.0, 8.6, 8.99, 9.0])).tolist() == [2, 2, 1, 1, 1, 0]
    assert csat_band(np.array([2.5, 3.0, 3.9, 4.0])).tolist() == [2, 1, 1, 0]
    # no answer: no band, and no class
    none = np.array([np.nan])
    assert nps_band(none).tolist() == csat_band(none).tolist() == [-1]
    for f in (is_promoter, is_detractor, is_satisfied, is_dissatisfied):
        assert f(none).tolist() == [False]


# --------------------------------------------------------------------------------------
# scores, worked out by hand
# --------------------------------------------------------------------------------------


def test_nps_of_ten_answers_by_hand() -> None:
    x = np.array([10, 9, 9, 8, 7, 7, 6, 4, 0, 10], dtype=np.float64)
    # promoters 10, 9, 9, 10 (4); passives 8, 7, 7 (3); detractors 6, 4, 0 (3)
    counts = band_counts(nps_band(x))
    assert counts.tolist() == [[4, 3, 3]] and counts.dtype == np.int64
    # NPS = 40 % - 30 % = 10
    assert nps_score(counts).tolist() == [10.0]


def test_csat_of_ten_answers_by_hand() -> None:
    x = np.array([5, 4, 4, 3, 3, 2, 1, 5, 4, 2], dtype=np.float64)
    # satisfied 5, 4, 4, 5, 4 (5); neutral 3, 3 (2); dissatisfied 2, 1, 2 (3)
    counts = band_counts(csat_band(x))
    assert counts.tolist() == [[5, 2, 3]]
    assert csat_score(counts).tolist() == [50.0]


def test_scores_per_group_add_up() -> None:
    x = np.array([10, 0, 8, 9, np.nan, 3, 9])
    group = np.array([0, 0, 1, 1, 1, -1, 2])
    counts = band_counts(nps_band(x), group, 4)
    # group 0: 10, 0 -> 50 - 50; group 1: 8, 9 (NaN skipped) -> 50 - 0; group 2: 9 -> 100;
    # group 3: no answer -> NaN; the answer of group -1 is skipped
    assert counts.tolist() == [[1, 0, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]]
    np.testing.assert_array_equal(nps_score(counts), [0.0, 50.0, 100.0, np.nan])
    # counts add up: the score of groups 0 and 1 together is that of their answers
    both = counts[0] + counts[1]
    assert nps_score(both) == nps_score(band_counts(nps_band(x[:5])))[0] == 25.0
    assert np.isnan(csat_score(np.zeros((2, 3), dtype=np.int64))).all()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=40))
def test_nps_matches_a_plain_python_reference(values: list[int]) -> None:
    n = len(values)
    expected = 100 * (sum(v >= 9 for v in values) - sum(v <= 6 for v in values)) / n
    got = nps_score(band_counts(nps_band(np.array(values, dtype=np.float64))))[0]
    assert math.isclose(got, expected, abs_tol=1e-12)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=40))
def test_csat_matches_a_plain_python_reference(values: list[int]) -> None:
    expected = 100 * sum(v >= 4 for v in values) / len(values)
    got = csat_score(band_counts(csat_band(np.array(values, dtype=np.float64))))[0]
    assert math.isclose(got, expected, abs_tol=1e-12)


def test_satisfaction_nps_and_csat_are_the_shared_scores() -> None:
    surveys = pd.DataFrame(
        {"nps": [10, 9, 9, 8, 7, 7, 6, 4, 0, 10], "csat": [5, 4, 4, 3, 3, 2, 1, 5, 4, 2]}
    )
    assert nps(surveys, customer_col=None).loc["all", "nps"] == pytest.approx(10.0)
    assert csat(surveys, customer_col=None).loc["all", "csat"] == pytest.approx(50.0)


def test_answers_are_checked_against_the_scale() -> None:
    x = answers(pd.Series([0, 10, None]), NPS_SCALE, func="f", col="nps")
    np.testing.assert_array_equal(x, [0.0, 10.0, np.nan])
    with pytest.raises(SchemaError, match=r"f: 2 answer\(s\) in column 'csat'.*1 to 5"):
        answers(pd.Series([0, 3, 4.5]), CSAT_SCALE, func="f", col="csat")


def test_the_old_names_stay_in_kamseg_features() -> None:
    assert kamseg.features.NPS_SCALE == NPS_SCALE
    assert kamseg.features.NPS_PROMOTER_MIN == 9 and kamseg.features.NPS_DETRACTOR_MAX == 6
    assert kamseg.features.CSAT_SATISFIED == 4 and kamseg.features.CSAT_SCALE == CSAT_SCALE
    assert kamseg.features.is_detractor is is_detractor
    assert kamseg.features.answers is answers


# --------------------------------------------------------------------------------------
# per-customer measures
# --------------------------------------------------------------------------------------


def test_latest_answer_per_customer_by_hand() -> None:
    # customer 0: day 5 -> 3; day 9 -> 10 and 6 (mean 8): latest 8, previous 3
    # customer 1: day 2 -> 9; day 7 unanswered: latest 9, no previous
    # customer 2: no answer; the row of customer -1 is skipped
    latest = latest_answers(
        np.array([10.0, 3.0, 9.0, np.nan, 6.0, 0.0]),
        np.array([0, 0, 1, 1, 0, -1]),
        np.array([9, 5, 2, 7, 9, 20]),
        3,
    )
    np.testing.assert_array_equal(latest.value, [8.0, 9.0, np.nan])
    np.testing.assert_array_equal(latest.day, [9.0, 2.0, np.nan])
    np.testing.assert_array_equal(latest.previous, [3.0, np.nan, np.nan])
    # the detractor rule reads the latest answer: 8 is a passive's, 3 a detractor's
    assert is_detractor(latest.value).tolist() == [False, False, False]
    assert is_detractor(latest.previous).tolist() == [True, False, False]
    empty = latest_answers(np.empty(0), np.empty(0, dtype=np.int64), np.empty(0), 2)
    assert np.isnan(empty.value).all() and np.isnan(empty.previous).all()


def test_recent_and_open_complaints() -> None:
    frame = pd.DataFrame({"resolved": pd.array([True, None, False, True], dtype="boolean")})
    is_open = open_complaints(frame, "resolved", func="f")
    assert is_open.tolist() == [False, True, True, False]  # a null resolution is open
    assert open_complaints(frame, None, func="f").all()
    with pytest.raises(SchemaError, match="must be boolean"):
        open_complaints(pd.DataFrame({"resolved": ["yes"]}), "resolved", func="f")
    customer = np.array([0, 0, 1, 1])
    day = np.array([100, 10, 95, 101])
    # as_of day 100, 90 days: 0 -> day 100 (age 0) counts, day 10 (age 90) does not;
    # 1 -> day 95 counts, day 101 is after as_of
    counts = recent_complaints(customer, day, 3, as_of_day=100, days=90)
    assert counts.tolist() == [1, 1, 0] and counts.dtype == np.int64
    assert recent_complaints(customer, day, 3, as_of_day=100, days=90, where=is_open).tolist() == [
        0,
        1,
        0,
    ]


def test_whole_numbers_narrowed_only_when_they_fit() -> None:
    """narrow_int (the survey rows' customers and days, the cut-off history's positions):
    int32 when every value fits, the same values; anything else as it is."""
    from kamseg._pairs import narrow_int
    from kamseg.features._surveys import latest_answers

    fits = np.array([-(2**31), 0, 2**31 - 1], dtype=np.int64)
    assert narrow_int(fits).dtype == np.int32 and narrow_int(fits).tolist() == fits.tolist()
    assert narrow_int(np.array([2**31])).dtype == np.int64
    assert narrow_int(np.array([-(2**31) - 1])).dtype == np.int64
    assert narrow_int(np.array([1.5])).dtype == np.float64
    assert narrow_int(np.empty(0, dtype=np.int64)).dtype == np.int32
    # the latest answers are the same whether the days are whole numbers or floats
    values = np.array([3.0, 10.0, 6.0, 9.0, np.nan, 7.0])
    customer = np.array([0, 0, 0, 1, 1, 2])
    days = np.array([5, 9, 9, 2, 7, 2**31 + 4])
    a = latest_answers(values, customer, days, 3)
    b = latest_answers(values, customer, days.astype(np.float64), 3)
    for x, y in ((a.value, b.value), (a.day, b.day), (a.previous, b.previous)):
        np.testing.assert_array_equal(x, y)
    assert a.day.tolist()[2] == 2**31 + 4  # a day beyond int32 kept as it is
