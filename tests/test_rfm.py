"""Tests for kamseg.rfm: scores, segments and segment summaries.

Expected values are worked out by hand in the comments (mid-rank rule:
score = ceil(bins * (w + e / 2) / n), w = customers strictly worse, e = customers equal).
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamseg.errors import ColumnNotFoundError, ConfigError, EmptyInputError, SchemaError
from kamseg.labels import RFM_SEGMENT_LABELS, translate
from kamseg.rfm import (
    DEFAULT_SEGMENT_MAP,
    SegmentMap,
    rfm_scores,
    rfm_segment_summary,
    rfm_segments,
)

IDS = list("ABCDEFGHIJ")


@pytest.fixture
def ten() -> pd.DataFrame:
    """10 customers; half of them bought once."""
    return pd.DataFrame(
        {
            "days_since_last": [400, 5, 60, 12, 200, 30, 365, 90, 45, 120],
            "n_orders": [1, 8, 1, 3, 1, 2, 1, 2, 5, 1],
            "revenue": [50.0, 900.0, 120.0, 400.0, 80.0, 250.0, 30.0, 150.0, 600.0, 20.0],
        },
        index=pd.Index(IDS, name="customer_id"),
    )


def col(df: pd.DataFrame, name: str) -> list[object]:
    return df[name].tolist()


# --------------------------------------------------------------------------------------
# rfm_scores: hand-worked cases
# --------------------------------------------------------------------------------------


def test_ten_customers_five_bins(ten: pd.DataFrame) -> None:
    out = rfm_scores(ten)
    # Recency, 10 distinct values, smaller is better. Sorted best first: B5 D12 F30 I45 C60
    # H90 J120 E200 G365 A400; w = 9, 8, ..., 0 so 5*(2w+1)/20 = 4.75, 4.25, 3.75, ...
    # -> 5 5 4 4 3 3 2 2 1 1.
    assert col(out, "r_score") == [1, 5, 3, 5, 2, 4, 1, 3, 4, 2]
    # Frequency: five 1s (w=0, e=5: 5*5/20 = 1.25 -> 2), two 2s (w=5, e=2: 60/20 = 3),
    # one 3 (w=7: 75/20 = 3.75 -> 4), one 5 (w=8: 85/20 -> 5), one 8 (w=9: 95/20 -> 5).
    assert col(out, "f_score") == [2, 5, 2, 4, 2, 3, 2, 3, 5, 2]
    # Monetary, distinct, larger is better: J20 G30 -> 1, A50 E80 -> 2, C120 H150 -> 3,
    # F250 D400 -> 4, I600 B900 -> 5.
    assert col(out, "m_score") == [2, 5, 3, 4, 2, 4, 1, 3, 5, 1]
    assert col(out, "rfm_cell") == [
        "122", "555", "323", "544", "222", "434", "121", "333", "455", "221"
    ]  # fmt: skip
    assert col(out, "rfm_score") == [5.0, 15.0, 8.0, 13.0, 6.0, 11.0, 4.0, 9.0, 14.0, 5.0]
    for c in ("r_score", "f_score", "m_score"):
        assert out[c].dtype == np.int8
    assert out["rfm_score"].dtype == np.float64
    assert pd.api.types.is_string_dtype(out["rfm_cell"].dtype)
    assert out.index.equals(ten.index)
    assert list(out.columns[:3]) == list(ten.columns)
    assert out.attrs["kamseg_rfm_bins"] == {"recency": 5, "frequency": 5, "monetary": 5}


def test_half_one_time_buyers_share_one_low_score(ten: pd.DataFrame) -> None:
    f = rfm_scores(ten)["f_score"]
    one_timers = ten["n_orders"] == 1
    assert one_timers.mean() == 0.5
    assert set(f[one_timers]) == {2}  # all share one low score
    assert (f[~one_timers] > 2).all()  # repeat buyers spread over the scores above
    assert 1 not in set(f)  # an empty bin is fine, never a crash


@pytest.mark.parametrize(
    ("n_once", "expected"),
    [
        # 40 %: ones w=0,e=4 -> 5*4/20 = 1; others w=4..9 -> (2w+1)/4 = 2.25 .. 4.75.
        (4, [1, 1, 1, 1, 3, 3, 4, 4, 5, 5]),
        # 60 %: ones -> 5*6/20 = 1.5 -> 2; others w=6..9 -> 3.25, 3.75, 4.25, 4.75.
        (6, [2, 2, 2, 2, 2, 2, 4, 4, 5, 5]),
    ],
)
def test_forty_and_sixty_percent_one_time_buyers(n_once: int, expected: list[int]) -> None:
    orders = [1] * n_once + list(range(2, 12 - n_once))
    df = pd.DataFrame({"days_since_last": range(10), "n_orders": orders, "revenue": 1.0})
    assert col(rfm_scores(df), "f_score") == expected


def test_custom_cut_points(ten: pd.DataFrame) -> None:
    bins = {"recency": [30, 90, 180, 365], "frequency": [1, 2, 5, 10], "monetary": [100, 500]}
    out = rfm_scores(ten, bins=bins)
    # Right-closed intervals; recency (days) <=30 -> 5, (30,90] -> 4, (90,180] -> 3,
    # (180,365] -> 2, >365 -> 1. F30 sits on a cut -> 5; G365 -> 2.
    assert col(out, "r_score") == [1, 5, 4, 5, 2, 5, 2, 4, 4, 3]
    # Frequency <=1 -> 1, (1,2] -> 2, (2,5] -> 3, (5,10] -> 4, >10 -> 5.
    assert col(out, "f_score") == [1, 4, 1, 3, 1, 2, 1, 2, 3, 1]
    # Monetary <=100 -> 1, (100,500] -> 2, >500 -> 3.
    assert col(out, "m_score") == [1, 3, 2, 2, 1, 2, 1, 2, 3, 1]
    assert out.attrs["kamseg_rfm_bins"] == {"recency": 5, "frequency": 5, "monetary": 3}


def test_mapping_mixes_cuts_and_quantiles(ten: pd.DataFrame) -> None:
    out = rfm_scores(ten, bins={"recency": [100], "monetary": 2})
    assert col(out, "r_score") == [1, 2, 2, 2, 1, 2, 1, 2, 2, 1]
    assert col(out, "f_score") == col(rfm_scores(ten), "f_score")  # missing key -> 5
    assert col(out, "m_score") == [1, 2, 1, 2, 1, 2, 1, 2, 2, 1]


def test_two_bins(ten: pd.DataFrame) -> None:
    out = rfm_scores(ten, bins=2)
    # ceil((2w + e) / 10): distinct values with w <= 4 -> 1, w >= 5 -> 2;
    # frequency 1s: 5/10 -> 1; 2s: 12/10 -> 2; the rest higher -> 2.
    assert col(out, "r_score") == [1, 2, 2, 2, 1, 2, 1, 1, 2, 1]
    assert col(out, "f_score") == [1, 2, 1, 2, 1, 2, 1, 2, 2, 1]
    assert col(out, "m_score") == [1, 2, 1, 2, 1, 2, 1, 2, 2, 1]
    assert col(out, "rfm_cell")[:3] == ["111", "222", "211"]


def test_ten_bins_hyphenated_cells(ten: pd.DataFrame) -> None:
    out = rfm_scores(ten, bins=10)
    # ceil((2w + e) / 2): distinct values -> w + 1 (ranks 1..10).
    assert col(out, "r_score") == [1, 10, 6, 9, 3, 8, 2, 5, 7, 4]
    # frequency 1s: ceil(5/2) = 3; 2s: ceil(12/2) = 6; 3: ceil(15/2) = 8; 5: 9; 8: 10.
    assert col(out, "f_score") == [3, 10, 3, 8, 3, 6, 3, 6, 9, 3]
    assert col(out, "m_score") == [3, 10, 5, 8, 4, 7, 2, 6, 9, 1]
    assert col(out, "rfm_cell") == [
        "1-3-3", "10-10-10", "6-3-5", "9-8-8", "3-3-4",
        "8-6-7", "2-3-2", "5-6-6", "7-9-9", "4-3-1",
    ]  # fmt: skip


@pytest.mark.parametrize(("bins", "middle"), [(2, 1), (3, 2), (5, 3), (10, 5)])
def test_all_equal_values_get_the_middle_score(bins: int, middle: int) -> None:
    df = pd.DataFrame({"days_since_last": [7] * 4, "n_orders": [2] * 4, "revenue": [9.5] * 4})
    out = rfm_scores(df, bins=bins)
    for c in ("r_score", "f_score", "m_score"):
        assert col(out, c) == [middle] * 4


def test_single_customer() -> None:
    df = pd.DataFrame({"days_since_last": [3], "n_orders": [1], "revenue": [10.0]}, index=["x"])
    out = rfm_scores(df)
    assert col(out, "rfm_cell") == ["333"]
    assert col(out, "rfm_score") == [9.0]
    assert col(rfm_segments(out), "rfm_segment") == ["Need Attention"]


def test_weights(ten: pd.DataFrame) -> None:
    out = rfm_scores(ten, weights=(0.5, 0.25, 0.25))
    # A: r1 f2 m2 -> 0.5 + 0.5 + 0.5; B: 555 -> 5.
    assert col(out, "rfm_score")[:2] == [1.5, 5.0]
    by_name = rfm_scores(ten, weights={"recency": 2, "monetary": 1})
    assert col(by_name, "rfm_score")[:2] == [4.0, 15.0]


def test_other_columns_and_nullable_ints(ten: pd.DataFrame) -> None:
    df = ten.rename(columns={"n_orders": "orders"}).astype({"orders": "Int64"})
    out = rfm_scores(df, frequency_col="orders")
    assert col(out, "f_score") == col(rfm_scores(ten), "f_score")


def test_overwrite(ten: pd.DataFrame) -> None:
    once = rfm_scores(ten)
    twice = rfm_scores(once, bins=2, overwrite=True)
    assert list(twice.columns) == list(once.columns)
    assert col(twice, "r_score") == col(rfm_scores(ten, bins=2), "r_score")


# --------------------------------------------------------------------------------------
# rfm_scores: properties
# --------------------------------------------------------------------------------------


def reference_scores(values: Sequence[float], bins: int, *, higher_is_better: bool) -> list[int]:
    """Brute-force mid-rank scores with exact fractions (independent of the module)."""
    n = len(values)
    out = []
    for v in values:
        worse = sum((x < v) if higher_is_better else (x > v) for x in values)
        equal = sum(x == v for x in values)
        p = Fraction(2 * worse + equal, 2 * n)
        out.append(min(max(math.ceil(bins * p), 1), bins))
    return out


customer_lists = st.integers(min_value=1, max_value=25).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 30), min_size=n, max_size=n),
        st.lists(st.integers(1, 6), min_size=n, max_size=n),
        st.lists(
            st.floats(-50, 1000, allow_nan=False).map(lambda x: round(x, 1)),
            min_size=n,
            max_size=n,
        ),
    )
)


def make_frame(data: tuple[list[int], list[int], list[float]]) -> pd.DataFrame:
    days, orders, revenue = data
    ids = pd.Index([f"c{i}" for i in range(len(days))], name="customer_id")
    return pd.DataFrame(
        {"days_since_last": days, "n_orders": orders, "revenue": revenue}, index=ids
    )


@settings(max_examples=60, deadline=None)
@given(data=customer_lists, bins=st.integers(2, 10))
def test_matches_reference_and_stays_in_range(
    data: tuple[list[int], list[int], list[float]], bins: int
) -> None:
    df = make_frame(data)
    out = rfm_scores(df, bins=bins)
    assert len(out) == len(df)
    assert out.index.equals(df.index)
    days, orders, revenue = data
    assert col(out, "r_score") == reference_scores(days, bins, higher_is_better=False)
    assert col(out, "f_score") == reference_scores(orders, bins, higher_is_better=True)
    assert col(out, "m_score") == reference_scores(revenue, bins, higher_is_better=True)
    for c in ("r_score", "f_score", "m_score"):
        assert out[c].between(1, bins).all()
    # equal values, equal scores
    for value_col, score_col in [("days_since_last", "r_score"), ("revenue", "m_score")]:
        assert (out.groupby(value_col)[score_col].nunique() == 1).all()


@settings(max_examples=40, deadline=None)
@given(data=customer_lists, bins=st.integers(2, 10), perm_seed=st.integers(0, 2**32 - 1))
def test_row_order_and_no_mutation(
    data: tuple[list[int], list[int], list[float]], bins: int, perm_seed: int
) -> None:
    df = make_frame(data)
    before = copy.deepcopy(df)
    out = rfm_scores(df, bins=bins)
    pd.testing.assert_frame_equal(df, before)
    assert not df.attrs
    perm = np.random.default_rng(perm_seed).permutation(len(df))
    shuffled = rfm_scores(df.iloc[perm], bins=bins)
    pd.testing.assert_frame_equal(shuffled.loc[out.index], out)


@settings(max_examples=40, deadline=None)
@given(data=customer_lists, who=st.integers(0, 24), raise_by=st.floats(0, 2000))
def test_raising_revenue_never_lowers_own_m_score(
    data: tuple[list[int], list[int], list[float]], who: int, raise_by: float
) -> None:
    df = make_frame(data)
    i = who % len(df)
    revenue = df["revenue"].to_numpy(copy=True)
    revenue[i] += raise_by
    richer = df.assign(revenue=revenue)
    before = rfm_scores(df)["m_score"].iloc[i]
    after = rfm_scores(richer)["m_score"].iloc[i]
    assert after >= before


# --------------------------------------------------------------------------------------
# rfm_scores: errors
# --------------------------------------------------------------------------------------


def test_missing_column(ten: pd.DataFrame) -> None:
    with pytest.raises(
        ColumnNotFoundError, match=r"'days'.*days_since_last_col.*'days_since_last'"
    ):
        rfm_scores(ten, days_since_last_col="days")
    with pytest.raises(ColumnNotFoundError, match="monetary_col"):
        rfm_scores(ten.drop(columns="revenue"))


@pytest.mark.parametrize(
    ("bins", "message"),
    [
        (1, "between 2 and 10; got 1"),
        (11, "between 2 and 10; got 11"),
        (5.0, "must be an integer from 2 to 10 or a mapping"),
        ("5", "must be an integer from 2 to 10 or a mapping"),
        (True, "must be an integer from 2 to 10 or a mapping"),
        ([30, 90], "cut points differ by dimension"),
        ({"recency": [30, 30, 90]}, r"bins\['recency'\].*strictly increasing"),
        ({"frequency": [5, 2]}, "strictly increasing"),
        ({"monetary": []}, "1 to 9 cut points"),
        ({"monetary": list(range(10))}, "1 to 9 cut points"),
        ({"monetary": [1, float("inf")]}, "finite"),
        ({"monetary": ["a", "b"]}, "must be numbers"),
        ({"frequency": 11}, r"bins\['frequency'\].*between 2 and 10"),
        ({"rec": 5}, "unknown key"),
    ],
)
def test_bad_bins(ten: pd.DataFrame, bins: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        rfm_scores(ten, bins=bins)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "weights", [(1, 1), (1, -1, 1), (0, 0, 0), (1, float("nan"), 1), "abc", {"r": 1}]
)
def test_bad_weights(ten: pd.DataFrame, weights: object) -> None:
    with pytest.raises(ConfigError, match="weights"):
        rfm_scores(ten, weights=weights)  # type: ignore[arg-type]


def test_existing_output_column(ten: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match=r"already has column\(s\) 'rfm_cell'.*overwrite=True"):
        rfm_scores(ten.assign(rfm_cell="x"))


def test_nan_in_scored_column(ten: pd.DataFrame) -> None:
    bad = ten.copy()
    bad.loc["C", "revenue"] = np.nan
    with pytest.raises(SchemaError, match=r"1 value\(s\) of column 'revenue' are null.*'C'"):
        rfm_scores(bad)


def test_text_and_inf_in_scored_column(ten: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="not numbers"):
        rfm_scores(ten.assign(n_orders=["x"] * 10))
    with pytest.raises(SchemaError, match="infinite"):
        rfm_scores(ten.assign(revenue=np.inf))


def test_empty_frame(ten: pd.DataFrame) -> None:
    with pytest.raises(EmptyInputError, match="no rows"):
        rfm_scores(ten.iloc[:0])


# --------------------------------------------------------------------------------------
# segments: the default map
# --------------------------------------------------------------------------------------

# The rule table, written out by hand: row r = 5..1, columns fm = 1, 1.5, ..., 5.
EXPECTED_GRID = {
    5: "New New PotL PotL Loyl Loyl Chmp Chmp Chmp",
    4: "Prom Prom PotL PotL Loyl Loyl Chmp Chmp Chmp",
    3: "Slp Slp Slp Attn Attn Attn Loyl Loyl Loyl",
    2: "Hib Hib Hib Risk Risk Risk Risk Risk Risk",
    1: "Lost Lost Lost Risk Risk Risk CLT CLT CLT",
}
SHORT = {
    "Chmp": "Champions",
    "Loyl": "Loyal Customers",
    "PotL": "Potential Loyalist",
    "New": "New Customers",
    "Prom": "Promising",
    "Attn": "Need Attention",
    "Slp": "About to Sleep",
    "Risk": "At Risk",
    "CLT": "Can't Lose Them",
    "Hib": "Hibernating",
    "Lost": "Lost",
}
ORDER = [
    "Lost", "Hibernating", "Can't Lose Them", "At Risk", "About to Sleep", "Need Attention",
    "Promising", "New Customers", "Potential Loyalist", "Loyal Customers", "Champions",
]  # fmt: skip


def expected_segment(r: int, f: int, m: int) -> str:
    column = int((f + m) / 2 * 2) - 2  # fm = 1 -> 0, 1.5 -> 1, ..., 5 -> 8
    return SHORT[EXPECTED_GRID[r].split()[column]]


def all_cells() -> pd.DataFrame:
    cells = list(itertools.product(range(1, 6), repeat=3))
    return pd.DataFrame(cells, columns=["r_score", "f_score", "m_score"])


def test_default_map_is_a_partition_of_the_125_cells() -> None:
    assert len(DEFAULT_SEGMENT_MAP) == 11
    for r, f, m in itertools.product(range(1, 6), repeat=3):
        fm = (f + m) / 2
        matched = [
            name
            for name, boxes in DEFAULT_SEGMENT_MAP.items()
            if any(
                box["r"][0] <= r <= box["r"][1] and box["fm"][0] <= fm <= box["fm"][1]
                for box in boxes
            )
        ]
        assert matched == [expected_segment(r, f, m)], (r, f, m)


@pytest.mark.parametrize("labels", ["en", "zh"])
def test_every_cell_gets_one_default_segment(labels: str) -> None:
    out = rfm_segments(all_cells(), labels=labels)  # type: ignore[arg-type]
    seg = out["rfm_segment"]
    assert isinstance(seg.dtype, pd.CategoricalDtype) and seg.cat.ordered
    assert seg.notna().all()
    names = [translate(n, labels=labels) for n in ORDER]  # type: ignore[arg-type]
    assert list(seg.cat.categories) == names
    expected = [
        translate(expected_segment(r, f, m), labels=labels)  # type: ignore[arg-type]
        for r, f, m in all_cells().itertuples(index=False)
    ]
    assert col(out, "rfm_segment") == expected
    assert set(seg) == set(names)  # every segment is used on the 5-bin grid


@pytest.mark.parametrize(
    ("cell", "segment"),
    [
        ("555", "Champions"),
        ("111", "Lost"),
        ("155", "Can't Lose Them"),
        ("144", "Can't Lose Them"),
        ("133", "At Risk"),
        ("244", "At Risk"),
        ("511", "New Customers"),
        ("512", "New Customers"),
        ("411", "Promising"),
        ("433", "Loyal Customers"),
        ("355", "Loyal Customers"),
        ("522", "Potential Loyalist"),
        ("333", "Need Attention"),
        ("311", "About to Sleep"),
        ("211", "Hibernating"),
    ],
)
def test_well_known_cells(cell: str, segment: str) -> None:
    r, f, m = (int(c) for c in cell)
    df = pd.DataFrame({"r_score": [r], "f_score": [f], "m_score": [m]})
    assert col(rfm_segments(df), "rfm_segment") == [segment]


def test_chinese_names() -> None:
    assert len(RFM_SEGMENT_LABELS) == 11
    zh = [RFM_SEGMENT_LABELS[n]["zh"] for n in ORDER]
    assert zh[0] == "已流失客户" and zh[-1] == "冠军客户"
    assert len(set(zh)) == 11


def test_segments_of_the_ten(ten: pd.DataFrame) -> None:
    out = rfm_segments(rfm_scores(ten))
    # cells 122 555 323 544 222 434 121 333 455 221 -> (r, fm) lookups in the table
    assert col(out, "rfm_segment") == [
        "Lost", "Champions", "Need Attention", "Champions", "Hibernating",
        "Loyal Customers", "Lost", "Need Attention", "Champions", "Hibernating",
    ]  # fmt: skip
    assert out.index.equals(ten.index)


def test_default_map_rescales_other_grids(ten: pd.DataFrame) -> None:
    # 10 scores -> 1 1 2 2 3 3 4 4 5 5. A: "1-3-3" -> 1,2,2 (Lost); B -> 555; C "6-3-5" ->
    # 3,2,3 (fm 2.5: Need Attention); J "4-3-1" -> 2,2,1 (fm 1.5: Hibernating).
    out = rfm_segments(rfm_scores(ten, bins=10))
    assert col(out, "rfm_segment")[:3] == ["Lost", "Champions", "Need Attention"]
    assert col(out, "rfm_segment")[-1] == "Hibernating"
    # 2 scores -> 1, 5. A: 111 Lost; B: 555; C: 211 -> 511 New; H: 122 -> 155 Can't Lose.
    two = rfm_segments(rfm_scores(ten, bins=2))
    assert col(two, "rfm_segment")[:3] == ["Lost", "Champions", "New Customers"]
    assert col(two, "rfm_segment")[7] == "Can't Lose Them"


def test_grid_size_from_bins_when_attrs_are_lost(ten: pd.DataFrame) -> None:
    scored = rfm_scores(ten, bins=10)
    scored.attrs.clear()
    with pytest.raises(SchemaError, match=r"'r_score' are not integer scores from 1 to 5"):
        rfm_segments(scored)
    same = rfm_segments(scored, bins=10)
    assert col(same, "rfm_segment") == col(rfm_segments(rfm_scores(ten, bins=10)), "rfm_segment")


def test_default_map_is_read_only() -> None:
    with pytest.raises(TypeError):
        DEFAULT_SEGMENT_MAP["VIP"] = ()  # type: ignore[index]
    with pytest.raises(TypeError):
        DEFAULT_SEGMENT_MAP["Champions"][0]["r"] = (1, 5)  # type: ignore[index]


def test_segments_do_not_mutate_input(ten: pd.DataFrame) -> None:
    scored = rfm_scores(ten)
    before = scored.copy()
    rfm_segments(scored)
    pd.testing.assert_frame_equal(scored, before)
    assert "rfm_segment" not in scored


# --------------------------------------------------------------------------------------
# segments: custom maps
# --------------------------------------------------------------------------------------


def test_custom_map_by_ranges() -> None:
    seg_map: SegmentMap = {
        "Dormant": {"r": (1, 2)},
        "Active": {"r": (3, 5), "fm": (1, 3.5)},
        "VIP": {"r": (3, 5), "fm": (4, 5)},
    }
    out = rfm_segments(all_cells(), segment_map=seg_map)
    seg = out["rfm_segment"]
    assert list(seg.cat.categories) == ["Dormant", "Active", "VIP"]
    counts = seg.value_counts(sort=False)
    # Dormant: 2 * 25 = 50; VIP: 3 values of r * 6 (f, m) pairs with f + m >= 8 = 18.
    assert counts.tolist() == [50, 57, 18]


def test_custom_map_by_cells_and_mixed() -> None:
    seg_map: SegmentMap = {
        "Rest": [{"r": (1, 4)}, {"r": 5, "f": (1, 4)}],
        "Top": ["555", "554", "553", "552", "551"],
    }
    out = rfm_segments(all_cells(), segment_map=seg_map, labels="zh")
    assert out["rfm_segment"].value_counts(sort=False).tolist() == [120, 5]


def test_custom_map_on_a_three_score_grid(ten: pd.DataFrame) -> None:
    scored = rfm_scores(ten, bins=3)
    seg_map: SegmentMap = {"Low": {"r": (1, 2)}, "High": {"r": 3}}
    out = rfm_segments(scored, segment_map=seg_map)
    assert col(out, "rfm_segment") == ["High" if r == 3 else "Low" for r in col(scored, "r_score")]
    # the same map on the default 5 grid leaves r = 4, 5 uncovered
    scored.attrs.clear()
    with pytest.raises(ConfigError, match=r"leaves 50 cell\(s\).*'411'"):
        rfm_segments(scored, segment_map=seg_map)


def test_overlapping_map() -> None:
    seg_map = {"A": {"r": (1, 3)}, "B": {"r": (3, 5)}}
    with pytest.raises(ConfigError, match=r"overlaps: 25 cell\(s\).*'311'.*matches 'A', 'B'"):
        rfm_segments(all_cells(), segment_map=seg_map)
    with pytest.raises(ConfigError, match="overlaps"):
        rfm_segments(all_cells(), segment_map=seg_map, fallback="Other")


def test_gappy_map_and_fallback() -> None:
    seg_map: SegmentMap = {"VIP": {"r": (4, 5), "f": (4, 5), "m": (1, 5)}}
    with pytest.raises(ConfigError, match=r"leaves 105 cell\(s\).*'111'.*fallback='Other'"):
        rfm_segments(all_cells(), segment_map=seg_map)
    out = rfm_segments(all_cells(), segment_map=seg_map, fallback="Other")
    seg = out["rfm_segment"]
    assert list(seg.cat.categories) == ["Other", "VIP"]
    assert seg.value_counts(sort=False).tolist() == [105, 20]
    # a fallback that is one of the map's segments fills the gaps without a new category
    two: SegmentMap = {"Low": {"r": 1}, "High": {"r": 5}}
    filled = rfm_segments(all_cells(), segment_map=two, fallback="Low")
    assert filled["rfm_segment"].value_counts(sort=False).tolist() == [100, 25]


@pytest.mark.parametrize(
    ("seg_map", "message"),
    [
        ({}, "non-empty mapping"),
        ({"A": {"x": (1, 5)}}, "unknown key 'x'"),
        ({"A": {"r": (5, 1)}}, r"pair \(low, high\)"),
        ({"A": {"r": "high"}}, r"pair \(low, high\)"),
        ({"A": "655"}, "outside the 5 x 5 x 5"),
        ({"A": "55"}, "not three scores"),
        ({"A": [], "B": {}}, "non-empty list"),
        ({"A": [5, 5, 5]}, "list items must be cells"),
        ({"A": {"r": (6, 9)}, "B": {}}, "'A' matches no cell"),
        ({"": {}}, "non-empty strings"),
    ],
)
def test_malformed_maps(seg_map: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        rfm_segments(all_cells(), segment_map=seg_map)  # type: ignore[arg-type]


def test_segment_errors(ten: pd.DataFrame) -> None:
    scored = rfm_scores(ten)
    with pytest.raises(ConfigError, match=r"`labels` must be one of 'en', 'zh'; got 'fr'"):
        rfm_segments(scored, labels="fr")  # type: ignore[arg-type]
    with pytest.raises(ColumnNotFoundError, match="'m_score'"):
        rfm_segments(scored.drop(columns="m_score"))
    with pytest.raises(ConfigError, match=r"'rfm_segment'.*overwrite=True"):
        rfm_segments(rfm_segments(scored))
    again = rfm_segments(rfm_segments(scored), overwrite=True)
    assert col(again, "rfm_segment") == col(rfm_segments(scored), "rfm_segment")
    with pytest.raises(SchemaError, match="not integer scores"):
        rfm_segments(scored.assign(r_score=2.5))
    with pytest.raises(SchemaError, match="not integer scores"):
        rfm_segments(scored.assign(f_score=np.nan))
    with pytest.raises(ConfigError, match="`fallback`"):
        rfm_segments(scored, fallback="")
    with pytest.raises(EmptyInputError):
        rfm_segments(scored.iloc[:0])


# --------------------------------------------------------------------------------------
# rfm_segment_summary
# --------------------------------------------------------------------------------------


def test_summary_of_the_ten(ten: pd.DataFrame) -> None:
    out = rfm_segment_summary(rfm_segments(rfm_scores(ten)))
    assert list(out.index) == ORDER
    assert isinstance(out.index, pd.CategoricalIndex) and out.index.name == "rfm_segment"
    # Lost: A, G; Hibernating: E, J; Need Attention: C, H; Loyal: F; Champions: B, D, I.
    counts = dict.fromkeys(ORDER, 0)
    counts |= {"Lost": 2, "Hibernating": 2, "Need Attention": 2, "Loyal Customers": 1}
    counts["Champions"] = 3
    assert out["customers"].tolist() == list(counts.values())
    assert out["customers"].dtype == np.int64
    assert out["customer_share"].tolist() == pytest.approx([c / 10 for c in counts.values()])
    # Revenue: Lost 50 + 30, Hibernating 80 + 20, Need Attention 120 + 150, Loyal 250,
    # Champions 900 + 400 + 600; total 2600.
    revenue = dict.fromkeys(ORDER, 0.0)
    revenue |= {"Lost": 80.0, "Hibernating": 100.0, "Need Attention": 270.0}
    revenue |= {"Loyal Customers": 250.0, "Champions": 1900.0}
    assert out["revenue"].tolist() == pytest.approx(list(revenue.values()))
    assert out["revenue_share"].tolist() == pytest.approx([v / 2600 for v in revenue.values()])
    assert out["revenue_share"].sum() == pytest.approx(1.0)
    champions = out.loc["Champions"]
    assert champions["mean_days_since_last"] == pytest.approx((5 + 12 + 45) / 3)
    assert champions["mean_frequency"] == pytest.approx((8 + 3 + 5) / 3)
    assert champions["mean_monetary"] == pytest.approx(1900 / 3)
    assert out.loc["Lost", "mean_days_since_last"] == pytest.approx(382.5)
    empty = out.loc["Promising"]
    assert empty["customers"] == 0 and empty["revenue"] == 0.0
    assert np.isnan(empty["mean_days_since_last"]) and np.isnan(empty["mean_monetary"])
    for c in out.columns.drop("customers"):
        assert out[c].dtype == np.float64


def test_summary_small_frame_and_nonpositive_total() -> None:
    seg = pd.Categorical(["b", "a", "b", "b"], categories=["a", "b", "c"], ordered=True)
    df = pd.DataFrame(
        {
            "rfm_segment": seg,
            "revenue": [10.0, 30.0, -5.0, 15.0],
            "days_since_last": [1, 2, 3, 5],
            "n_orders": [1, 1, 2, 3],
            "spend": [1.0, 2.0, 3.0, 6.0],
        }
    )
    out = rfm_segment_summary(df, monetary_col="spend")
    assert out["customers"].tolist() == [1, 3, 0]
    assert out["customer_share"].tolist() == pytest.approx([0.25, 0.75, 0.0])
    assert out["revenue"].tolist() == pytest.approx([30.0, 20.0, 0.0])
    assert out["revenue_share"].tolist() == pytest.approx([0.6, 0.4, 0.0])
    assert out["mean_days_since_last"].tolist()[:2] == pytest.approx([2.0, 3.0])
    assert out["mean_frequency"].tolist()[:2] == pytest.approx([1.0, 2.0])
    assert out["mean_monetary"].tolist()[:2] == pytest.approx([2.0, 10 / 3])
    losing = rfm_segment_summary(df.assign(revenue=[10.0, -30.0, 0.0, 5.0]))
    assert losing["revenue"].tolist() == pytest.approx([-30.0, 15.0, 0.0])
    assert losing["revenue_share"].isna().all()


def test_summary_plain_strings_and_errors() -> None:
    df = pd.DataFrame(
        {"seg": ["y", "x", "y"], "revenue": [1.0, 2.0, 3.0], "days_since_last": [1, 2, 3]}
    )
    df["n_orders"] = 1
    out = rfm_segment_summary(df, segment_col="seg")
    assert list(out.index) == ["x", "y"] and out["customers"].tolist() == [1, 2]
    with pytest.raises(ColumnNotFoundError, match=r"'rfm_segment'.*segment_col"):
        rfm_segment_summary(df)
    with pytest.raises(SchemaError, match="'seg' are null"):
        rfm_segment_summary(df.assign(seg=pd.Series(["x", np.nan, "y"])), segment_col="seg")
    with pytest.raises(SchemaError, match="'revenue' are null"):
        rfm_segment_summary(df.assign(revenue=[1.0, np.nan, 2.0]), segment_col="seg")
    with pytest.raises(EmptyInputError):
        rfm_segment_summary(df.iloc[:0], segment_col="seg")
