"""Tests for kamseg.value: high / medium / low value classes.

Expected classes are worked out by hand in the comments, or by a reference implementation
written here with exact integer arithmetic (not with the module's code).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg
from kamseg.actions import recommended_action
from kamseg.errors import ColumnNotFoundError, ConfigError, EmptyInputError, SchemaError
from kamseg.labels import VALUE_CLASS_LABELS, translate_all
from kamseg.value import VALUE_CLASSES, VALUE_CUTOFFS, value_class


def frame(values: Sequence[float], col: str = "revenue", **more: Sequence[object]) -> pd.DataFrame:
    ids = pd.Index([f"c{i}" for i in range(len(values))], name="customer_id")
    return pd.DataFrame({col: [float(v) for v in values], **more}, index=ids)


def classes(df: pd.DataFrame) -> list[str]:
    return [str(c) for c in df["value_class"]]


def ref_share(values: Sequence[int], cutoffs: Sequence[Fraction]) -> list[str]:
    """High if fewer than a*n customers are strictly better, medium if fewer than b*n."""
    n = len(values)
    out = []
    for v in values:
        ahead = sum(w > v for w in values)
        if v <= 0:
            out.append("low")
        elif ahead < cutoffs[0] * n:
            out.append("high")
        elif ahead < cutoffs[1] * n:
            out.append("medium")
        else:
            out.append("low")
    return out


# --------------------------------------------------------------------------------------
# share rule: hand-worked cases
# --------------------------------------------------------------------------------------


def test_ten_distinct_values_top_twenty_and_next_thirty_percent() -> None:
    # sorted: 100 90 80 70 60 50 40 30 20 10 -> 2 high (20 %), 3 medium (30 %), 5 low
    out = value_class(frame([30, 100, 60, 10, 90, 20, 80, 50, 70, 40]))
    assert classes(out) == [
        "low", "high", "medium", "low", "high", "low", "medium", "low", "medium", "low",
    ]  # fmt: skip
    assert out["value_class"].cat.ordered
    assert list(out["value_class"].cat.categories) == ["low", "medium", "high"]


def test_eleven_values_round_the_class_sizes_up() -> None:
    # n = 11: 0.2 * 11 = 2.2 -> the top 3 customers are high (ahead 0, 1, 2 < 2.2);
    # 0.5 * 11 = 5.5 -> ranks 4..6 are medium (ahead 3, 4, 5 < 5.5)
    out = value_class(frame(range(11, 0, -1)))
    assert classes(out) == ["high"] * 3 + ["medium"] * 3 + ["low"] * 5


def test_exact_boundary_is_not_rounded_up() -> None:
    # n = 10: 0.2 * 10 is 2.0000000000000004 in floats; the third customer is not high
    out = value_class(frame(range(10, 0, -1)))
    assert classes(out)[:3] == ["high", "high", "medium"]


def test_ties_share_the_better_class() -> None:
    # 5, 5, 5: nobody ahead -> high; 1: three ahead, not < 0.5 * 4 = 2 -> low
    assert classes(value_class(frame([5, 1, 5, 5]))) == ["high", "low", "high", "high"]
    # 9 high (0 ahead < 1); the three 4s have 1 ahead, < 2.5 -> medium; 2 has 4 ahead -> low
    assert classes(value_class(frame([4, 9, 4, 4, 2]))) == [
        "medium", "high", "medium", "medium", "low",
    ]  # fmt: skip


@pytest.mark.parametrize("values", [[7.0], [3.0, 3.0, 3.0]])
def test_one_customer_and_all_equal_are_high(values: list[float]) -> None:
    assert set(classes(value_class(frame(values)))) == {"high"}


def test_zero_and_negative_values_are_always_low() -> None:
    # all customers tie at 0: they would be high by rank, but a value <= 0 is low
    assert set(classes(value_class(frame([0, 0, 0])))) == {"low"}
    out = value_class(frame([-5, 10, 0, -1]), value_col="revenue")
    assert classes(out) == ["low", "high", "low", "low"]


def test_custom_cutoffs() -> None:
    # top 10 % high, next 10 % medium on 10 customers
    out = value_class(frame(range(10, 0, -1)), cutoffs=(0.1, 0.2))
    assert classes(out) == ["high", "medium"] + ["low"] * 8
    # cutoffs=(0.5, 1.0): half high, the other half medium (nobody low with values > 0)
    out = value_class(frame(range(4, 0, -1)), cutoffs=(0.5, 1.0))
    assert classes(out) == ["high", "high", "medium", "medium"]


# --------------------------------------------------------------------------------------
# quantile rule
# --------------------------------------------------------------------------------------


def test_quantile_method() -> None:
    # values 1..10: the 80th percentile (linear) is 1 + 0.8 * 9 = 8.2 -> 9 and 10 high;
    # the median is 5.5 -> 6, 7, 8 medium; 1..5 low
    out = value_class(frame(range(1, 11)), method="quantile")
    assert classes(out) == ["low"] * 5 + ["medium"] * 3 + ["high"] * 2


def test_quantile_method_with_ties_and_zeros() -> None:
    # 0, 0, 0, 0, 0, 0, 2, 2, 8, 10: p80 = 2 + 0.2 * (8 - 2) = 3.2 -> 8, 10 high;
    # median = 0 -> values >= 0 would be medium, but zeros are low; the 2s are medium
    out = value_class(frame([0, 0, 0, 0, 0, 0, 2, 2, 8, 10]), method="quantile")
    assert classes(out) == ["low"] * 6 + ["medium"] * 2 + ["high"] * 2


def test_methods_agree_on_untied_data_away_from_boundaries() -> None:
    values = [
        3,
        141,
        59,
        26,
        535,
        89,
        79,
        323,
        84,
        626,
        43,
        383,
        279,
        502,
        88,
        41,
        971,
        69,
        39,
        937,
    ]
    share = classes(value_class(frame(values)))
    quantile = classes(value_class(frame(values), method="quantile"))
    # n = 20 (no rounding at 0.2 * 20 = 4 and 0.5 * 20 = 10): both give 4 high, 6 medium
    assert share == quantile
    assert share.count("high") == 4 and share.count("medium") == 6


# --------------------------------------------------------------------------------------
# negative profit flag, labels, actions
# --------------------------------------------------------------------------------------


def test_negative_profit_flag_from_profit_col() -> None:
    df = frame([900, 50, 400, 10], profit=[-30.0, 5.0, 40.0, 0.0])
    out = value_class(df, profit_col="profit")
    # the biggest account loses money: still high value on revenue, and flagged
    assert classes(out) == ["high", "low", "medium", "low"]
    assert out["negative_profit"].tolist() == [True, False, False, False]
    assert out["negative_profit"].dtype == bool


def test_profit_basis_flags_itself() -> None:
    df = frame([-30, 5, 40, 0], col="profit")
    out = value_class(df, value_col="profit")
    assert out["negative_profit"].tolist() == [True, False, False, False]
    # 40 high (0 ahead < 0.8), 5 medium (1 ahead < 2); -30 and 0 low
    assert classes(out) == ["low", "medium", "high", "low"]


def test_no_flag_without_profit() -> None:
    assert "negative_profit" not in value_class(frame([1, 2, 3])).columns


def test_chinese_names_and_actions() -> None:
    out = value_class(frame([30, 100, 60, 10]), labels="zh", action=True)
    assert list(out["value_class"].cat.categories) == ["低价值", "中等价值", "高价值"]
    assert out.loc["c1", "value_class"] == "高价值"
    assert out.loc["c1", "value_action"] == recommended_action("value_class", "high", labels="zh")
    assert translate_all(VALUE_CLASSES, labels="zh", table=VALUE_CLASS_LABELS) == [
        "低价值", "中等价值", "高价值",
    ]  # fmt: skip


def test_action_column_matches_the_lookup_table() -> None:
    out = value_class(frame(range(10)), action=True)
    for cls, act in zip(out["value_class"], out["value_action"], strict=True):
        assert act == recommended_action("value_class", str(cls))
    # one category per action text (a million rows hold codes, not strings)
    assert isinstance(out["value_action"].dtype, pd.CategoricalDtype)
    assert len(out["value_action"].cat.categories) == 3


def test_keeps_other_columns_index_and_order() -> None:
    df = frame([3, 1, 2], region=["N", "S", "E"])
    out = value_class(df)
    assert out.index.equals(df.index)
    assert out["region"].tolist() == ["N", "S", "E"]
    assert list(out.columns) == ["revenue", "region", "value_class"]


def test_overwrite() -> None:
    out = value_class(frame([3, 1, 2]))
    with pytest.raises(ConfigError, match="already has column"):
        value_class(out)
    again = value_class(out, cutoffs=(0.5, 0.9), overwrite=True)
    assert classes(again) == ["high", "medium", "high"]
    assert list(again.columns) == list(out.columns)


def test_on_demo_data_with_clv_basis(demo_data: kamseg.datasets.Dataset) -> None:
    customers = kamseg.summarize(
        demo_data.transactions, as_of=demo_data.as_of, profit_col="profit"
    )
    out = value_class(customers, profit_col="profit")
    counts = out["value_class"].value_counts()
    n = len(customers)
    assert counts["high"] == math.ceil(0.2 * n)  # revenues are untied
    assert counts["high"] + counts["medium"] == math.ceil(0.5 * n)
    # the high-value customers make most of the revenue (the 80/20 rule)
    share = out.loc[out["value_class"] == "high", "revenue"].sum() / out["revenue"].sum()
    assert share > 0.5
    assert out["negative_profit"].sum() == (customers["profit"] < 0).sum()


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------


def test_missing_column() -> None:
    with pytest.raises(ColumnNotFoundError, match=r"'revenu'.*Did you mean 'revenue'"):
        value_class(frame([1, 2]), value_col="revenu")
    with pytest.raises(ColumnNotFoundError, match="profit_col"):
        value_class(frame([1, 2]), profit_col="profit")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "shares"}, "Did you mean 'share'"),
        ({"method": "Quantile"}, "Did you mean 'quantile'"),
        ({"cutoffs": (0.5, 0.2)}, "strictly increasing"),
        ({"cutoffs": (0.2, 0.2)}, "strictly increasing"),
        ({"cutoffs": (0.0, 0.5)}, r"\(0, 1\]"),
        ({"cutoffs": (0.2, 1.5)}, r"\(0, 1\]"),
        ({"cutoffs": (0.2,)}, "two"),
        ({"cutoffs": "0.2"}, "two"),
        ({"cutoffs": (True, 0.5)}, "two"),
        ({"cutoffs": (0.2, float("nan"))}, "two"),
        ({"labels": "fr"}, "'en' or 'zh'|one of"),
        ({"action": "yes"}, "True or False"),
    ],
)
def test_bad_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        value_class(frame([1, 2, 3]), **kwargs)  # type: ignore[arg-type]


def test_bad_values() -> None:
    with pytest.raises(SchemaError, match=r"1 value\(s\) of column 'revenue'.*null.*c1"):
        value_class(frame([1, float("nan"), 3]))
    with pytest.raises(SchemaError, match="infinite"):
        value_class(frame([1, float("inf")]))
    with pytest.raises(SchemaError, match="not numbers"):
        value_class(pd.DataFrame({"revenue": ["a", "b"]}))
    with pytest.raises(SchemaError, match="profit"):
        value_class(frame([1, 2], profit=[1.0, None]), profit_col="profit")


def test_empty_and_not_a_frame() -> None:
    with pytest.raises(EmptyInputError):
        value_class(frame([]))
    with pytest.raises(TypeError, match="DataFrame"):
        value_class([1, 2, 3])  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------

values_st = st.lists(st.integers(-20, 60), min_size=1, max_size=40)
cutoffs_st = st.tuples(st.integers(1, 19), st.integers(1, 20)).filter(lambda c: c[0] < c[1])


@settings(max_examples=80, deadline=None)
@given(values=values_st, cuts=cutoffs_st, seed=st.integers(0, 2**32 - 1))
def test_share_rule_matches_reference_and_row_order(
    values: list[int], cuts: tuple[int, int], seed: int
) -> None:
    fractions = [Fraction(c, 20) for c in cuts]
    df = frame(values, profit=[float(v) for v in values])
    before = copy.deepcopy(df)
    out = value_class(df, cutoffs=[c / 20 for c in cuts], profit_col="profit")
    pd.testing.assert_frame_equal(df, before)  # input not mutated
    assert classes(out) == ref_share(values, fractions)
    assert out["value_class"].notna().all()  # exactly one class per customer
    # a higher value never gets a lower class
    ranks = out["value_class"].cat.codes.to_numpy()
    order = np.argsort(values, kind="stable")
    assert (np.diff(ranks[order]) >= 0).all()
    # permuting the rows permutes the classes
    perm = np.random.default_rng(seed).permutation(len(values))
    shuffled = value_class(df.iloc[perm], cutoffs=[c / 20 for c in cuts])
    assert shuffled["value_class"].equals(out["value_class"].iloc[perm])


@settings(max_examples=60, deadline=None)
@given(values=values_st, seed=st.integers(0, 2**32 - 1))
def test_quantile_rule_properties(values: list[int], seed: int) -> None:
    df = frame(values)
    out = value_class(df, method="quantile")
    assert out["value_class"].notna().all()
    hi, med = np.quantile(np.asarray(values, dtype=float), [0.8, 0.5])
    expected = [
        "low" if v <= 0 else "high" if v >= hi else "medium" if v >= med else "low" for v in values
    ]
    assert classes(out) == expected
    perm = np.random.default_rng(seed).permutation(len(values))
    shuffled = value_class(df.iloc[perm], method="quantile")
    assert shuffled["value_class"].equals(out["value_class"].iloc[perm])


def test_defaults_are_the_documented_ones() -> None:
    assert VALUE_CUTOFFS == (0.2, 0.5)
    assert VALUE_CLASSES == ("low", "medium", "high")
