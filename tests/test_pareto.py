"""Tests for kamseg.pareto: ABC classes, pyramids, concentration, whale curve, summaries.

Expected values are worked out by hand in the comments, or by simple reference
implementations written here with exact fractions (not with the module's code).
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import kamseg
from kamseg.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    KamsegWarning,
    SchemaError,
)
from kamseg.labels import translate_all
from kamseg.pareto import (
    ABC_CUTOFFS,
    PARETO_COLUMNS,
    PROFIT_PYRAMID_CUTOFFS,
    VALUE_PYRAMID_CUTOFFS,
    Concentration,
    WhaleCurve,
    concentration,
    pareto_summary,
    pareto_table,
    pyramid,
    whale_curve,
)


def frame(values: Sequence[float], col: str = "revenue", **more: Sequence[object]) -> pd.DataFrame:
    ids = pd.Index([f"c{i}" for i in range(len(values))], name="customer_id")
    return pd.DataFrame({col: [float(v) for v in values], **more}, index=ids)


def classes(df: pd.DataFrame, col: str = "abc_class") -> list[str]:
    return [str(c) for c in df[col]]


# --------------------------------------------------------------------------------------
# reference implementations (exact, quadratic, obviously right)
# --------------------------------------------------------------------------------------


def ref_abc(values: Sequence[int], cutoffs: Sequence[Fraction]) -> list[str]:
    """A if the value of strictly better customers is < a of the total, B if < b, else C."""
    total = sum(max(v, 0) for v in values)
    out = []
    for v in values:
        before = Fraction(sum(max(w, 0) for w in values if max(w, 0) > max(v, 0)), total)
        out.append("A" if before < cutoffs[0] else "B" if before < cutoffs[1] else "C")
    return out


def ref_tiers(
    values: Sequence[int], cutoffs: Sequence[Fraction], names: Sequence[str]
) -> list[str]:
    """Best tier whose cut-off share of customers exceeds the count strictly ahead."""
    n = len(values)
    out = []
    for v in values:
        ahead = sum(w > v for w in values)
        score = sum(ahead < c * n for c in cutoffs) if v > 0 else 0
        out.append(names[score])
    return out


def ref_gini(values: Sequence[float]) -> float:
    """Mean absolute difference over twice the mean (no small-sample correction)."""
    n = len(values)
    mad = sum(abs(a - b) for a, b in itertools.product(values, values)) / (n * n)
    return mad / (2 * (sum(values) / n))


# --------------------------------------------------------------------------------------
# pareto_table: hand-worked cases
# --------------------------------------------------------------------------------------


def test_abc_hand_worked() -> None:
    # total 1000. Sorted: c1 500 (before 0 -> A), c2 300 (before .5 -> A), c3 160 (before
    # .8: not < .8 -> B), c0 = c4 = 20 (tied, before .96 -> C).
    df = frame([20, 500, 300, 160, 20])
    out = pareto_table(df)
    assert out["value_rank"].tolist() == [4, 1, 2, 3, 4]
    assert out["value_share"].tolist() == pytest.approx([0.02, 0.5, 0.3, 0.16, 0.02])
    assert out["cum_value_share"].tolist() == pytest.approx([1.0, 0.5, 0.8, 0.96, 1.0])
    assert out["cum_customer_share"].tolist() == pytest.approx([1.0, 0.2, 0.4, 0.6, 1.0])
    assert classes(out) == ["C", "A", "A", "B", "C"]
    assert list(out.columns) == ["revenue", *PARETO_COLUMNS]
    assert out.index.equals(df.index)
    assert out["value_rank"].dtype == np.int64
    for c in ("value_share", "cum_value_share", "cum_customer_share"):
        assert out[c].dtype == np.float64
    assert isinstance(out["abc_class"].dtype, pd.CategoricalDtype)
    assert out["abc_class"].cat.ordered
    assert list(out["abc_class"].cat.categories) == ["C", "B", "A"]


def test_straddling_customer_is_a() -> None:
    # 50 makes 50 %; 40 takes the cumulative share from 50 % to 90 %, straddling 80 %: A.
    # 10 has 90 % before it, < 95 %: B.
    out = pareto_table(frame([10, 50, 40]))
    assert classes(out) == ["B", "A", "A"]
    assert out["cum_value_share"].tolist() == pytest.approx([1.0, 0.5, 0.9])


def test_ties_share_rank_shares_and_class() -> None:
    # 40 before 0 -> A; the two 30s have 40 % before them -> both A, although the first
    # alone would reach 70 % and the second 100 %.
    out = pareto_table(frame([30, 40, 30]))
    assert classes(out) == ["A", "A", "A"]
    assert out["value_rank"].tolist() == [2, 1, 2]
    assert out["cum_value_share"].tolist() == pytest.approx([1.0, 0.4, 1.0])
    assert out["cum_customer_share"].tolist() == pytest.approx([1.0, 1 / 3, 1.0])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([7.0], ["A"]),  # one customer
        ([3.0, 3.0, 3.0, 3.0], ["A"] * 4),  # all equal: all tied with the top
        ([10.0, 0.0, 0.0], ["A", "C", "C"]),  # zeros have the whole total before them
        ([1.0, 1.0, 0.0], ["A", "A", "C"]),
    ],
)
def test_edge_cases(values: list[float], expected: list[str]) -> None:
    out = pareto_table(frame(values))
    assert classes(out) == expected
    assert out["cum_value_share"].max() == 1.0
    assert out["cum_customer_share"].max() == 1.0


def test_custom_cutoffs() -> None:
    # (0.5, 0.7): 50 before 0 -> A; 30 before .5 -> B; 20 before .8 -> C.
    assert classes(pareto_table(frame([50, 30, 20]), cutoffs=(0.5, 0.7))) == ["A", "B", "C"]
    # b = 1: everyone with a positive value is A or B; zeros stay C.
    out = pareto_table(frame([50, 30, 20, 0]), cutoffs=(0.5, 1.0))
    assert classes(out) == ["A", "B", "B", "C"]


def test_exact_cutoff_despite_rounding() -> None:
    # (0.59 + 0.21) / 1.0 is 0.7999999999999999 in floating point; the share before the
    # third customer is exactly 80 %, so it is B.
    assert (0.59 + 0.21) / (0.59 + 0.21 + 0.2) < 0.8
    out = pareto_table(frame([0.2, 0.59, 0.21]))
    assert classes(out) == ["B", "A", "A"]


def test_chinese_labels() -> None:
    out = pareto_table(frame([20, 500, 300, 160, 20]), labels="zh")
    assert list(out["abc_class"].cat.categories) == ["C类", "B类", "A类"]
    assert classes(out) == ["C类", "A类", "A类", "B类", "C类"]


def test_negative_values_clipped_with_warning() -> None:
    df = frame([100.0, -50.0, 0.0, 100.0])
    with pytest.warns(KamsegWarning, match=r"1 customer\(s\) have a negative 'revenue'"):
        out = pareto_table(df)
    assert out["value_share"].tolist() == [0.5, 0.0, 0.0, 0.5]
    assert classes(out) == ["A", "C", "C", "A"]
    assert out["revenue"].tolist() == df["revenue"].tolist()  # values kept as they are
    with pytest.raises(SchemaError, match=r"negative 'revenue'.*negative='clip'"):
        pareto_table(df, negative="error")


@pytest.mark.parametrize("values", [[0.0, 0.0], [-1.0, 0.0]])
def test_zero_total_raises(values: list[float]) -> None:
    with _warns_if(min(values) < 0), pytest.raises(SchemaError, match=r"sum to 0.*undefined"):
        pareto_table(frame(values))


def test_any_value_column_and_overwrite() -> None:
    df = frame([5, 1], col="clv")
    out = pareto_table(df, value_col="clv")
    with pytest.raises(ConfigError, match=r"already has column\(s\) 'value_rank'.*overwrite"):
        pareto_table(out, value_col="clv")
    again = pareto_table(out.assign(clv=[1.0, 5.0]), value_col="clv", overwrite=True)
    assert classes(again) == ["B", "A"]  # 5 alone makes 5/6 >= 80 %; 1 has 5/6 before it
    assert list(again.columns) == list(out.columns)


def test_bad_input() -> None:
    df = frame([1, 2, 3])
    with pytest.raises(ColumnNotFoundError, match=r"'revnue'.*value_col.*Did you mean 'revenue'"):
        pareto_table(df, value_col="revnue")
    with pytest.raises(EmptyInputError, match="no rows"):
        pareto_table(df.iloc[:0])
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        pareto_table(df["revenue"])  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match=r"1 value\(s\) of column 'revenue' are null.*'c1'"):
        pareto_table(df.assign(revenue=[1.0, np.nan, 3.0]))
    with pytest.raises(SchemaError, match="not numbers"):
        pareto_table(df.assign(revenue=["1", "x", "3"]))
    with pytest.raises(SchemaError, match="infinite"):
        pareto_table(df.assign(revenue=[1.0, np.inf, 3.0]))
    with pytest.raises(ConfigError, match=r"`negative` must be one of.*Did you mean 'clip'"):
        pareto_table(df, negative="Clip")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="labels"):
        pareto_table(df, labels="fr")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "cutoffs",
    [(0.8,), (0.8, 0.95, 0.99), (0.95, 0.8), (0.8, 0.8), (0.0, 0.5), (0.8, 1.2), "ab",
     (0.8, float("nan")), (True, 0.9), 0.8],
)  # fmt: skip
def test_bad_cutoffs(cutoffs: object) -> None:
    with pytest.raises(ConfigError, match=r"`cutoffs` must be 2 strictly increasing"):
        pareto_table(frame([1, 2]), cutoffs=cutoffs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# pareto_table: properties
# --------------------------------------------------------------------------------------

value_lists = st.lists(st.integers(-20, 1000), min_size=1, max_size=40)
cutoff_pairs = st.tuples(st.integers(1, 99), st.integers(1, 100)).filter(lambda t: t[0] < t[1])


@settings(max_examples=80, deadline=None)
@given(values=value_lists, cuts=cutoff_pairs, perm_seed=st.integers(0, 2**32 - 1))
def test_abc_properties(values: list[int], cuts: tuple[int, int], perm_seed: int) -> None:
    assume(sum(max(v, 0) for v in values) > 0)
    df = frame(values)
    before = copy.deepcopy(df)
    cutoffs = (cuts[0] / 100, cuts[1] / 100)
    with _warns_if(min(values) < 0):
        out = pareto_table(df, cutoffs=cutoffs)
    pd.testing.assert_frame_equal(df, before)  # not mutated
    # matches the exact reference
    assert classes(out) == ref_abc(values, [Fraction(c, 100) for c in cuts])
    # cumulative shares are monotone along the ranking and end at exactly 1
    ranked = out.sort_values("value_rank", kind="stable")
    for c in ("cum_value_share", "cum_customer_share"):
        assert ranked[c].is_monotonic_increasing
        assert ranked[c].iloc[-1] == 1.0
        assert ranked[c].between(0, 1).all()
    assert out["value_share"].sum() == pytest.approx(1.0)
    # classes ordered by value: every A above every B above every C
    clipped = out["revenue"].clip(lower=0)
    by_class = {k: clipped[out["abc_class"] == k] for k in "ABC"}
    for better, worse in [("A", "B"), ("B", "C"), ("A", "C")]:
        if len(by_class[better]) and len(by_class[worse]):
            assert by_class[better].min() > by_class[worse].max()
    assert len(by_class["A"]) >= 1
    # equal values, equal everything
    assert (out.groupby("revenue")[list(PARETO_COLUMNS)].nunique() == 1).all().all()
    # row order does not matter
    perm = np.random.default_rng(perm_seed).permutation(len(df))
    with _warns_if(min(values) < 0):
        shuffled = pareto_table(df.iloc[perm], cutoffs=cutoffs)
    pd.testing.assert_frame_equal(shuffled.loc[out.index], out)


def _warns_if(condition: bool) -> AbstractContextManager[object]:
    if condition:
        return pytest.warns(KamsegWarning, match="negative")
    return contextlib.nullcontext()


# --------------------------------------------------------------------------------------
# pyramid
# --------------------------------------------------------------------------------------


def tiers(df: pd.DataFrame) -> list[str]:
    return classes(df, "pyramid_tier")


def test_value_pyramid_counts_200_customers() -> None:
    # 200 distinct values: Top ceil(2) = 2, Big up to ceil(10) = 10 -> 8, Medium up to
    # ceil(40) = 40 -> 30, Small 160.
    out = pyramid(frame(range(1, 201)))
    counts = out["pyramid_tier"].value_counts(sort=False).to_dict()
    assert counts == {"Small": 160, "Medium": 30, "Big": 8, "Top": 2}
    assert tiers(out)[-2:] == ["Top", "Top"]
    assert list(out["pyramid_tier"].cat.categories) == ["Small", "Medium", "Big", "Top"]
    assert out["pyramid_tier"].cat.ordered


def test_value_pyramid_ten_customers_straddling() -> None:
    # n = 10: the best customer straddles 1 % (its slot is 0-10 %) -> Top; Big would be
    # ceil(0.5) = 1 customer, already taken -> empty; Medium up to ceil(2) = 2 -> 1.
    out = pyramid(frame([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]))
    assert tiers(out) == ["Top", "Medium"] + ["Small"] * 8


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5.0], ["Top"]),
        ([0.0], ["Small"]),
        ([4.0, 4.0, 4.0], ["Top"] * 3),  # all equal and positive: all tied with the top
        ([0.0, 0.0, 0.0], ["Small"] * 3),  # nothing bought: bottom tier
        ([-5.0, 8.0], ["Small", "Top"]),  # negative values are ranked, never clipped
        # n = 20: Top and Big end at ceil(0.2) = ceil(1) = 1 customer, Medium at ceil(4) = 4.
        # The four 9s (1 ahead < 4) are all Medium: the tie straddling the cut goes up.
        ([10, 9, 9, 9, 9, 8, *([1] * 14)], ["Top", *(["Medium"] * 4), *(["Small"] * 15)]),
    ],
)
def test_pyramid_edge_cases(values: list[float], expected: list[str]) -> None:
    assert tiers(pyramid(frame(values))) == expected


def test_pyramid_heavy_ties_can_overfill_a_tier() -> None:
    # 20 customers, one at 10 and 19 tied at 5. The tied group has 1 customer ahead: not
    # fewer than ceil(0.05 * 20) = 1, but fewer than ceil(0.2 * 20) = 4 -> all Medium.
    out = pyramid(frame([10, *([5] * 19)]))
    assert tiers(out) == ["Top", *(["Medium"] * 19)]


def test_profit_pyramid_hand_worked() -> None:
    # 10 customers, cut-offs 5 % / 20 %: Platinum up to ceil(0.5) = 1, Gold up to
    # ceil(2) = 2; Lead are the profits <= 0 whatever their rank.
    profit = [900, 500, 120, 80, 40, 10, 0, -5, -30, -200]
    out = pyramid(frame([1] * 10, profit=profit), kind="profit")
    assert tiers(out) == ["Platinum", "Gold", *(["Iron"] * 4), *(["Lead"] * 4)]
    assert list(out["pyramid_tier"].cat.categories) == ["Lead", "Iron", "Gold", "Platinum"]
    # mostly loss-makers: the few profitable ones are still ranked among all customers
    out = pyramid(frame([1] * 5, profit=[-1, -2, 3, -4, -5]), kind="profit", cutoffs=(0.2, 0.6))
    assert tiers(out) == ["Lead", "Lead", "Platinum", "Lead", "Lead"]


def test_inactive_and_active_col() -> None:
    df = frame(
        [100, 50, 10, 1],
        days_since_last=[10, 365, 366, 400],
        alive=[True, False, True, True],
    )
    # strictly more than 365 days is inactive; the 2 active ones are ranked alone:
    # counts ceil(0.6) = ceil(0.8) = ceil(1) = 1, so 100 is Top and 50 (1 ahead) Small.
    out = pyramid(df, inactive_days=365, cutoffs=(0.3, 0.4, 0.5))
    assert tiers(out) == ["Top", "Small", "Inactive", "Inactive"]
    assert list(out["pyramid_tier"].cat.categories)[:2] == ["Inactive", "Small"]
    out = pyramid(df, active_col="alive", cutoffs=(0.3, 0.6, 0.9))
    # active: 100, 10, 1 (n = 3): counts ceil(.9) = 1, ceil(1.8) = 2, ceil(2.7) = 3
    assert tiers(out) == ["Top", "Inactive", "Big", "Medium"]
    both = pyramid(df, active_col="alive", inactive_days=365)
    assert tiers(both) == ["Top", "Inactive", "Inactive", "Inactive"]
    with pytest.raises(SchemaError, match="must be boolean without nulls"):
        pyramid(df, active_col="days_since_last")
    with pytest.raises(ColumnNotFoundError, match="days_since_last_col"):
        pyramid(df.drop(columns="days_since_last"), inactive_days=30)


def test_all_inactive() -> None:
    out = pyramid(frame([1, 2], days_since_last=[500, 600]), inactive_days=90)
    assert tiers(out) == ["Inactive", "Inactive"]


def test_prospects_from_master_are_appended() -> None:
    df = frame([100, 50], days_since_last=[3, 8], n_orders=[4, 2], flag=[True, False])
    df["n_orders"] = df["n_orders"].astype(np.int64)
    master = pd.DataFrame(
        {"industry": ["a", "b", "c", "d"]},
        index=pd.Index(["c1", "p1", "c0", "p2"], name="customer_id"),
    )
    out = pyramid(df, prospects=master)
    assert list(out.index) == ["c0", "c1", "p1", "p2"]
    assert out.index.name == "customer_id"
    assert tiers(out) == ["Top", "Small", "Prospect", "Prospect"]
    assert out["pyramid_tier"].cat.categories[0] == "Prospect"
    assert out.loc[["p1", "p2"], "revenue"].tolist() == [0.0, 0.0]
    assert out.loc[["p1", "p2"], "days_since_last"].isna().all()
    assert out["n_orders"].dtype == np.float64  # documented: integer columns become float
    pd.testing.assert_frame_equal(out.iloc[:2, : df.shape[1]], df, check_dtype=False)
    # same from a list of ids or an Index; known ids are not duplicated
    for ids in (["p1", "c0", "p2"], pd.Index(["p1", "p2", "p1"]), np.array(["p1", "p2"])):
        assert tiers(pyramid(df, prospects=ids))[2:] == ["Prospect", "Prospect"]
    # no new ids: no new rows, but the tier exists
    same = pyramid(df, prospects=["c0"])
    assert len(same) == 2
    assert "Prospect" in same["pyramid_tier"].cat.categories


def test_prospects_profit_pyramid_zeroes_both_value_columns() -> None:
    df = frame([100, 50], profit=[10.0, -2.0])
    out = pyramid(df, kind="profit", prospects=["x"], labels="zh")
    assert tiers(out) == translate_all(["Platinum", "Lead", "Prospect"], labels="zh")
    assert out.loc["x", "profit"] == 0.0
    assert out.loc["x", "revenue"] == 0.0


def test_prospect_errors() -> None:
    df = frame([1, 2])
    with pytest.raises(ConfigError, match=r"none of the ids in `prospects`.*one type"):
        pyramid(df, prospects=[1, 2, 3])
    with pytest.raises(SchemaError, match="null customer id"):
        pyramid(df, prospects=pd.Index(["c0", None]))
    with pytest.raises(SchemaError, match="duplicated ids"):
        pyramid(pd.concat([df, df]), prospects=["x"])
    with pytest.raises(ConfigError, match="customer master DataFrame"):
        pyramid(df, prospects=5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "size"}, "`kind` must be one of"),
        ({"cutoffs": (0.01, 0.05)}, "must be 3 strictly increasing"),
        ({"kind": "profit", "cutoffs": (0.01, 0.05, 0.2)}, "must be 2 strictly increasing"),
        ({"cutoffs": (0.2, 0.05, 0.01)}, "strictly increasing"),
        ({"inactive_days": -1}, "inactive_days"),
        ({"inactive_days": True}, "inactive_days"),
        ({"inactive_days": "365"}, "inactive_days"),
        ({"labels": "de"}, "labels"),
    ],
)
def test_pyramid_bad_options(kwargs: dict[str, object], message: str) -> None:
    df = frame([1, 2], days_since_last=[1, 2])
    with pytest.raises(ConfigError, match=message):
        pyramid(df, **kwargs)  # type: ignore[arg-type]


def test_pyramid_bad_columns_and_overwrite() -> None:
    df = frame([1, 2])
    with pytest.raises(ColumnNotFoundError, match="profit_col"):
        pyramid(df, kind="profit")
    with pytest.raises(SchemaError, match="null"):
        pyramid(df.assign(revenue=[1.0, None]))
    with pytest.raises(EmptyInputError):
        pyramid(df.iloc[:0])
    out = pyramid(df)
    with pytest.raises(ConfigError, match="pyramid_tier"):
        pyramid(out)
    assert tiers(pyramid(out, overwrite=True)) == tiers(out)


tier_lists = st.lists(st.integers(-10, 60), min_size=1, max_size=60)
cutoff_triples = st.lists(st.integers(1, 100), min_size=3, max_size=3, unique=True).map(sorted)


@settings(max_examples=80, deadline=None)
@given(values=tier_lists, cuts=cutoff_triples, perm_seed=st.integers(0, 2**32 - 1))
def test_pyramid_properties(values: list[int], cuts: list[int], perm_seed: int) -> None:
    df = frame(values, profit=[float(v) for v in values])
    cutoffs = tuple(c / 100 for c in cuts)
    out = pyramid(df, cutoffs=cutoffs)
    tier = out["pyramid_tier"]
    # every customer gets exactly one tier
    assert len(out) == len(df)
    assert tier.notna().all()
    assert set(tier) <= set(tier.cat.categories)
    # matches the exact reference
    fr = [Fraction(c, 100) for c in cuts]
    assert tiers(out) == ref_tiers(values, fr, ["Small", "Medium", "Big", "Top"])
    # a higher value never sits in a lower tier
    codes = tier.cat.codes.to_numpy()
    x = np.asarray(values)
    assert not ((x[:, None] > x[None, :]) & (codes[:, None] < codes[None, :])).any()
    # row order does not matter
    perm = np.random.default_rng(perm_seed).permutation(len(df))
    pd.testing.assert_frame_equal(pyramid(df.iloc[perm], cutoffs=cutoffs).loc[out.index], out)
    # profit pyramid: Lead exactly where profit <= 0
    prof = pyramid(df, kind="profit", cutoffs=cutoffs[:2])
    assert ((prof["pyramid_tier"] == "Lead") == (df["profit"] <= 0)).all()
    names = ["Iron", "Gold", "Platinum"]
    expected = ref_tiers(values, fr[:2], names)
    got = [t for t, v in zip(tiers(prof), values, strict=True) if v > 0]
    assert got == [t for t, v in zip(expected, values, strict=True) if v > 0]


def test_pyramid_on_demo_data_with_master(demo_data: kamseg.datasets.Dataset) -> None:
    customers = kamseg.summarize(
        demo_data.transactions, profit_col="profit", as_of=demo_data.as_of
    )
    out = pyramid(customers, prospects=demo_data.master, inactive_days=365)
    assert len(out) == len(demo_data.master)
    assert (out["pyramid_tier"] == "Prospect").sum() == demo_data.master["is_prospect"].sum()
    assert ((out["pyramid_tier"] == "Inactive") == (out["days_since_last"] > 365)).all()
    n_active = int((customers["days_since_last"] <= 365).sum())
    assert (out["pyramid_tier"] == "Top").sum() == math.ceil(0.01 * n_active)
    prof = pyramid(customers, kind="profit", prospects=demo_data.master)
    assert prof["pyramid_tier"].notna().all()
    assert set(prof["pyramid_tier"].cat.categories) == {
        "Prospect", "Lead", "Iron", "Gold", "Platinum"
    }  # fmt: skip


# --------------------------------------------------------------------------------------
# concentration
# --------------------------------------------------------------------------------------


def test_concentration_hand_worked_zeros() -> None:
    # [0, 0, 0, 1]: G = 2 * (4 * 1) / (4 * 1) - 5/4 = 0.75; HHI = 1^2 = 1; one customer of
    # four makes 100 %.
    c = concentration([0.0, 0.0, 0.0, 1.0], top=[0.25, 0.5])
    assert isinstance(c, Concentration)
    assert c.gini == pytest.approx(0.75)
    assert c.hhi == 1.0
    assert c.customers_for_target == 0.25
    assert c.top_shares.tolist() == [1.0, 1.0]
    assert c.lorenz["cum_customer_share"].tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert c.lorenz["cum_value_share"].tolist() == [0, 0, 0, 0, 1]
    assert c.n_customers == 4
    assert c.total == 1.0


def test_concentration_hand_worked_one_to_four() -> None:
    # [1, 2, 3, 4], total 10: G = 2 * (1 + 4 + 9 + 16) / 40 - 5/4 = 0.25.
    # HHI = (1 + 4 + 9 + 16) / 100 = 0.3. Top customers: 4 (40 %), 4+3 (70 %), +2 (90 %):
    # three of four reach 80 %. Top 12.5 % = half of the best customer = 2/10.
    c = concentration(pd.Series([3, 1, 4, 2]), top=[0.125, 0.25, 0.5, 1.0])
    assert c.gini == pytest.approx(0.25)
    assert c.hhi == pytest.approx(0.3)
    assert c.customers_for_target == 0.75
    assert c.top_shares.tolist() == pytest.approx([0.2, 0.4, 0.7, 1.0])
    assert c.top_shares.index.name == "top_customer_share"
    assert c.lorenz["cum_value_share"].tolist() == pytest.approx([0, 0.1, 0.3, 0.6, 1.0])
    series = c.to_series()
    assert series["gini"] == pytest.approx(0.25)
    assert series["top_0.125"] == pytest.approx(0.2)
    assert "gini=0.25" in repr(c)
    assert concentration([1, 2, 3, 4], target=0.7).customers_for_target == 0.5


@pytest.mark.parametrize(
    ("values", "gini", "hhi", "for80"),
    [
        ([5.0], 0.0, 1.0, 1.0),  # one customer
        ([3.0] * 4, 0.0, 0.25, 1.0),  # all equal: 3 of 4 make only 75 %
        ([2.0] * 5, 0.0, 0.2, 0.8),  # 4 of 5 make exactly 80 %
        ([0.0, 10.0], 0.5, 1.0, 0.5),  # the maximum for n = 2 is 1 - 1/2
    ],
)
def test_concentration_edge_cases(
    values: list[float], gini: float, hhi: float, for80: float
) -> None:
    c = concentration(values)
    assert c.gini == pytest.approx(gini, abs=1e-12)
    assert c.hhi == pytest.approx(hhi)
    assert c.customers_for_target == pytest.approx(for80)


def test_concentration_from_frame_negatives_and_errors() -> None:
    df = frame([10.0, -10.0, 30.0])
    with pytest.warns(KamsegWarning, match=r"1 customer\(s\) have a negative 'revenue'"):
        c = concentration(df)
    # clipped to [10, 0, 30]: G = 2 * (2 * 10 + 3 * 30) / (3 * 40) - 4/3 = 0.5
    assert c.gini == pytest.approx(0.5)
    with pytest.raises(SchemaError, match="negative"):
        concentration(df, negative="error")
    with pytest.raises(SchemaError, match="sum to 0"):
        concentration([0.0, 0.0])
    with pytest.raises(ColumnNotFoundError, match="value_col"):
        concentration(df, value_col="clv")
    with pytest.raises(EmptyInputError):
        concentration([])
    with pytest.raises(EmptyInputError):
        concentration(df.iloc[:0])
    with pytest.raises(TypeError, match="1-D"):
        concentration(np.ones((2, 2)))
    with pytest.raises(SchemaError, match="null"):
        concentration([1.0, np.nan])
    with pytest.raises(SchemaError, match="not numbers"):
        concentration(["a", "b"])
    with pytest.raises(ConfigError, match="`top` must be shares"):
        concentration([1.0], top=[0.0])
    with pytest.raises(ConfigError, match="`top` must be shares"):
        concentration([1.0], top="0.2")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="`target` must be a share"):
        concentration([1.0], target=1.5)


@settings(max_examples=80, deadline=None)
@given(values=st.lists(st.integers(0, 500), min_size=1, max_size=30))
def test_concentration_against_references(values: list[int]) -> None:
    assume(sum(values) > 0)
    c = concentration(values, top=[0.1, 0.2, 0.5, 1.0])
    n = len(values)
    assert c.gini == pytest.approx(ref_gini(values), abs=1e-12)
    # the area formula on the Lorenz points (trapezoids) gives the same Gini
    p, lz = c.lorenz["cum_customer_share"].to_numpy(), c.lorenz["cum_value_share"].to_numpy()
    area = float(np.sum((p[1:] - p[:-1]) * (lz[1:] + lz[:-1]) / 2))
    assert c.gini == pytest.approx(1 - 2 * area, abs=1e-12)
    assert 0 <= c.gini <= 1 - 1 / n + 1e-12
    # Lorenz: from (0, 0) to (1, 1), monotone, convex, below the diagonal
    assert (p[0], lz[0], p[-1], lz[-1]) == (0.0, 0.0, 1.0, 1.0)
    steps = np.diff(lz)
    assert (steps >= 0).all()
    assert (np.diff(steps) >= -1e-12).all()
    assert (lz <= p + 1e-12).all()
    # HHI: sum of squared shares, between 1/n and 1
    total = sum(values)
    assert c.hhi == pytest.approx(float(sum(Fraction(v, total) ** 2 for v in values)))
    assert 1 / n - 1e-12 <= c.hhi <= 1
    # top shares: increasing, at least proportional, 1 for everyone
    tops = c.top_shares.to_numpy()
    assert (np.diff(tops) >= -1e-12).all()
    assert (tops >= np.array([0.1, 0.2, 0.5, 1.0]) - 1e-12).all()
    assert tops[-1] == pytest.approx(1.0)
    # customers for 80 %: smallest k whose top k make >= 80 %, exactly
    ranked = sorted(values, reverse=True)
    k = next(k for k in range(1, n + 1) if Fraction(sum(ranked[:k]), total) >= Fraction(4, 5))
    assert c.customers_for_target == k / n
    # and it equals the share of ABC class A when no tie straddles 80 %
    abc = pareto_table(frame(values))["abc_class"]
    if len(set(ranked[: k + 1])) == len(ranked[: k + 1]):
        assert (abc == "A").mean() == pytest.approx(k / n)


# --------------------------------------------------------------------------------------
# whale curve
# --------------------------------------------------------------------------------------


def test_whale_curve_hand_worked() -> None:
    # Ranked: 50, 30, 10, -40; cumulative 50, 80, 90, 50; total 50. The peak: 3 of 4
    # customers earn 90 = 180 % of the total; the last one loses 80 %.
    curve = whale_curve(frame([10, -40, 50, 30], col="profit"))
    assert isinstance(curve, WhaleCurve)
    pts = curve.points
    assert list(pts.columns) == ["cum_customer_share", "cum_profit", "cum_profit_share"]
    assert pts["cum_customer_share"].tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert pts["cum_profit"].tolist() == [0, 50, 80, 90, 50]
    assert pts["cum_profit_share"].tolist() == pytest.approx([0, 1.0, 1.6, 1.8, 1.0])
    assert (curve.peak_customer_share, curve.peak_profit, curve.peak_profit_share) == (
        0.75,
        90.0,
        pytest.approx(1.8),
    )
    assert curve.total_profit == 50.0
    assert curve.n_customers == 4
    assert curve.describe() == (
        "the most profitable 75% of customers earn 180% of total profit; "
        "the other 25% lose 80% of it"
    )
    assert curve.describe(labels="zh").startswith("最赚钱的 75% 客户贡献了总利润的 180%")
    assert "peak_profit_share=1.8" in repr(curve)


def test_whale_curve_zero_profits_come_after_the_peak() -> None:
    curve = whale_curve([5.0, 0.0, 0.0])
    assert curve.peak_customer_share == pytest.approx(1 / 3)
    assert curve.peak_profit_share == 1.0
    assert curve.describe() == "the most profitable 33% of customers earn 100% of total profit"


def test_whale_curve_total_not_positive() -> None:
    with pytest.warns(KamsegWarning, match="total profit is -10"):
        curve = whale_curve(pd.Series([10.0, -20.0], name="profit"))
    assert math.isnan(curve.peak_profit_share)
    assert curve.points["cum_profit_share"].isna().all()
    assert curve.peak_profit == 10.0
    assert curve.describe() == (
        "the most profitable 50% of customers earn 10.00; the other 50% lose 20.00, "
        "for a total profit of -10.00"
    )
    assert "总利润为 -10.00" in curve.describe(labels="zh")
    with pytest.warns(KamsegWarning, match="total profit"):
        none = whale_curve([-1.0, -2.0])
    assert (none.peak_customer_share, none.peak_profit) == (0.0, 0.0)
    assert none.describe() == "no customer is profitable: total profit is -3.00"
    with pytest.raises(ConfigError, match="labels"):
        none.describe(labels="fr")  # type: ignore[arg-type]


def test_whale_curve_describe_keeps_small_shares_visible() -> None:
    curve = whale_curve([1000.0] + [1.0] * 999 + [-1.0])
    # 1000 of 1001 customers are profitable: 99.9 %, not a rounded 100 %
    assert curve.describe().startswith("the most profitable 99.9% of customers")


def test_whale_curve_errors() -> None:
    with pytest.raises(ColumnNotFoundError, match="profit_col"):
        whale_curve(frame([1.0]))
    with pytest.raises(EmptyInputError):
        whale_curve([])
    with pytest.raises(SchemaError, match="null"):
        whale_curve(frame([1.0, np.nan], col="profit"))


@settings(max_examples=60, deadline=None)
@given(profits=st.lists(st.integers(-300, 300), min_size=1, max_size=30))
def test_whale_curve_properties(profits: list[int]) -> None:
    total = sum(profits)
    if total > 0:
        curve = whale_curve(profits)
    else:
        with pytest.warns(KamsegWarning):
            curve = whale_curve(profits)
    cum = curve.points["cum_profit"].to_numpy()
    assert cum[0] == 0 and cum[-1] == pytest.approx(total)
    assert curve.peak_profit == pytest.approx(cum.max())
    assert curve.peak_profit == pytest.approx(sum(p for p in profits if p > 0))
    assert curve.peak_customer_share == sum(p > 0 for p in profits) / len(profits)
    assert curve.points["cum_customer_share"].is_monotonic_increasing
    if total > 0:
        assert curve.peak_profit_share >= 1.0
        assert curve.points["cum_profit_share"].iloc[-1] == pytest.approx(1.0)
    # order of the input does not matter
    again = whale_curve(profits[::-1]) if total > 0 else curve
    pd.testing.assert_frame_equal(again.points, curve.points)


# --------------------------------------------------------------------------------------
# pareto_summary
# --------------------------------------------------------------------------------------


def test_pareto_summary_hand_worked() -> None:
    table = pareto_table(frame([20, 500, 300, 160, 20]))
    s = pareto_summary(table)
    assert list(s.index) == ["C", "B", "A"]
    assert s.index.name == "abc_class"
    assert s["customers"].tolist() == [2, 1, 2]
    assert s["customer_share"].tolist() == pytest.approx([0.4, 0.2, 0.4])
    assert s["value"].tolist() == [40.0, 160.0, 800.0]
    assert s["value_share"].tolist() == pytest.approx([0.04, 0.16, 0.8])
    assert s["mean_value"].tolist() == [20.0, 160.0, 400.0]
    assert s["customers"].dtype == np.int64
    assert list(s.columns) == ["customers", "customer_share", "value", "value_share", "mean_value"]


def test_pareto_summary_by_tier_empty_tiers_and_plain_columns() -> None:
    df = frame([100, 50, 10, 1], days_since_last=[1, 2, 3, 999])
    out = pyramid(df, inactive_days=365, prospects=["x"])
    s = pareto_summary(out, segment_col="pyramid_tier")
    assert list(s.index) == ["Prospect", "Inactive", "Small", "Medium", "Big", "Top"]
    # active: 100, 50, 10 (n = 3): Top ceil(.03) = 1, Big ceil(.15) = 1, Medium ceil(.6) = 1
    assert s["customers"].tolist() == [1, 1, 2, 0, 0, 1]
    assert np.isnan(s.loc["Medium", "mean_value"])
    assert s["value"].tolist() == [0.0, 1.0, 60.0, 0.0, 0.0, 100.0]
    plain = pareto_summary(df.assign(group=["b", "a", "b", "a"]), segment_col="group")
    assert list(plain.index) == ["a", "b"]
    assert plain["value"].tolist() == [51.0, 110.0]


def test_pareto_summary_negative_total_and_errors() -> None:
    df = frame([10.0, -30.0], group=["x", "y"])
    s = pareto_summary(df, segment_col="group")
    assert s["value_share"].isna().all()
    assert s["value"].tolist() == [10.0, -30.0]
    with pytest.raises(ColumnNotFoundError, match="segment_col"):
        pareto_summary(df)
    with pytest.raises(ColumnNotFoundError, match="value_col"):
        pareto_summary(df, segment_col="group", value_col="profit")
    with pytest.raises(SchemaError, match="null"):
        pareto_summary(df.assign(group=["x", None]), segment_col="group")
    with pytest.raises(EmptyInputError):
        pareto_summary(df.iloc[:0], segment_col="group")


# --------------------------------------------------------------------------------------
# real and demo data
# --------------------------------------------------------------------------------------


def test_cdnow(cdnow: pd.DataFrame) -> None:
    customers = kamseg.summarize(cdnow)
    table = pareto_table(customers)
    c = concentration(customers)
    revenue = customers["revenue"].to_numpy()
    # independent: pandas sort and cumulative sum
    ranked = pd.Series(revenue).sort_values(ascending=False, ignore_index=True)
    share = ranked.cumsum() / ranked.sum()
    k = int((share < 0.8).sum()) + 1
    assert c.customers_for_target == k / len(ranked)
    assert c.customers_for_target == pytest.approx(0.3265, abs=1e-4)
    assert c.gini == pytest.approx(ref_gini_sorted(revenue), rel=1e-9)
    assert c.gini == pytest.approx(0.6346, abs=1e-4)
    top20 = ranked.iloc[: round(0.2 * len(ranked))].sum() / ranked.sum()  # 4714 customers
    assert c.top_shares[0.2] == pytest.approx(top20)
    assert c.top_shares[0.2] == pytest.approx(0.6778, abs=1e-4)
    summary = pareto_summary(table)
    assert summary["value_share"]["A"] >= 0.8
    assert summary["customers"]["A"] >= k  # k, plus any customers tied with the k-th
    assert summary["customers"].sum() == len(customers)
    a, b = table["revenue"][table["abc_class"] == "A"], table["revenue"][table["abc_class"] == "B"]
    assert a.min() > b.max()
    tiers_ = pyramid(customers)["pyramid_tier"].value_counts()
    assert tiers_["Top"] == math.ceil(0.01 * len(customers))  # no tie at the 1 % cut


def ref_gini_sorted(values: np.ndarray) -> float:
    """Gini as 1 - twice the trapezoid area under the Lorenz curve, built with pandas."""
    lorenz = pd.Series(values).sort_values().cumsum() / values.sum()
    heights = np.concatenate(([0.0], lorenz.to_numpy()))
    return float(1 - (heights[1:] + heights[:-1]).sum() / len(values))


def test_demo_data_profit(demo_data: kamseg.datasets.Dataset) -> None:
    customers = kamseg.summarize(
        demo_data.transactions, profit_col="profit", as_of=demo_data.as_of
    )
    table = pareto_table(customers, value_col="profit")
    assert table["abc_class"].notna().all()
    # net of the cost to serve, some accounts lose money: a real whale curve
    years = customers["tenure_days"] / 365.25
    cost = demo_data.master.loc[customers.index, "cost_to_serve"] * years
    net = customers.assign(net_profit=customers["profit"] - cost)
    curve = whale_curve(net, profit_col="net_profit")
    assert 0 < curve.peak_customer_share < 1
    assert curve.peak_profit_share > 1
    assert curve.describe().startswith("the most profitable")
    prof = pyramid(net, kind="profit", profit_col="net_profit")
    assert ((prof["pyramid_tier"] == "Lead") == (net["net_profit"] <= 0)).all()


def test_defaults_are_documented_values() -> None:
    assert ABC_CUTOFFS == (0.8, 0.95)
    assert VALUE_PYRAMID_CUTOFFS == (0.01, 0.05, 0.20)
    assert PROFIT_PYRAMID_CUTOFFS == (0.05, 0.20)
