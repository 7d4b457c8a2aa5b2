"""Tests for kamseg.behaviour: frequent / occasional / one-time / potential customers.

Purchase rates are worked out by hand in the comments: orders / max(tenure, 30) * 365.25.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg
from kamseg.actions import recommended_action
from kamseg.behaviour import BEHAVIOUR_CLASSES, DAYS_PER_YEAR, behaviour_class
from kamseg.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    KamsegWarning,
    SchemaError,
)


def frame(orders: list[float], tenure: list[float], **more: list[object]) -> pd.DataFrame:
    ids = pd.Index([f"c{i}" for i in range(len(orders))], name="customer_id")
    return pd.DataFrame({"n_orders": orders, "tenure_days": tenure, **more}, index=ids)


def classes(df: pd.DataFrame) -> list[str]:
    return [str(c) for c in df["behaviour_class"]]


@pytest.fixture
def six() -> pd.DataFrame:
    # rates: c0 12 / 365.25 y = 12.0; c1 one order; c2 2 / 730.5 d = 1.0; c3 6 / 365.25 = 6.0;
    # c4 4 / 30 d (floor) = 48.7; c5 24 / 730.5 = 12.0
    return frame([12, 1, 2, 6, 4, 24], [365.25, 10, 730.5, 365.25, 5, 730.5])


# --------------------------------------------------------------------------------------
# rules, hand-worked
# --------------------------------------------------------------------------------------


def test_each_rule(six: pd.DataFrame) -> None:
    out = behaviour_class(six)
    # repeat buyers' rates 12, 1, 6, 48.7, 12 -> median 12: c0, c4, c5 frequent (>= 12)
    assert classes(out) == [
        "frequent",
        "one-time",
        "occasional",
        "occasional",
        "frequent",
        "frequent",
    ]
    rate = out["orders_per_year"].to_numpy()
    np.testing.assert_allclose(rate[[0, 2, 3, 5]], [12.0, 1.0, 6.0, 12.0])
    np.testing.assert_allclose(rate[4], 4 / 30 * DAYS_PER_YEAR)
    np.testing.assert_allclose(rate[1], 1 / 30 * DAYS_PER_YEAR)  # tenure 10 floored at 30
    assert out.attrs["kamseg_frequent_rate"] == pytest.approx(12.0)
    assert list(out["behaviour_class"].cat.categories) == list(BEHAVIOUR_CLASSES)
    assert out["behaviour_class"].cat.ordered


def test_upper_quartile_and_absolute_threshold(six: pd.DataFrame) -> None:
    # repeat rates sorted 1, 6, 12, 12, 48.7: the 0.75 quantile (linear) is 12 -> same
    # three; an absolute 10 a year makes c3 (6) occasional, c0 and c5 (12) frequent
    assert classes(behaviour_class(six, frequent_quantile=0.75))[:4] == [
        "frequent", "one-time", "occasional", "occasional",
    ]  # fmt: skip
    out = behaviour_class(six, frequent_rate=5.0)
    assert classes(out)[3] == "frequent"
    assert out.attrs["kamseg_frequent_rate"] == 5.0
    # quantile 1.0: only the top rate is frequent; quantile 0: every repeat buyer
    assert classes(behaviour_class(six, frequent_quantile=1.0)).count("frequent") == 1
    assert classes(behaviour_class(six, frequent_quantile=0.0)).count("occasional") == 0


def test_min_tenure_floor() -> None:
    # 3 orders in 10 days: rate 3 / 30 * 365.25 = 36.5 with the default floor, 109.6 with 10
    df = frame([3], [10])
    assert behaviour_class(df)["orders_per_year"].iloc[0] == pytest.approx(36.525)
    out = behaviour_class(df, min_tenure_days=10)
    assert out["orders_per_year"].iloc[0] == pytest.approx(109.575)
    # tenure 0 (first purchase today) is fine thanks to the floor
    assert behaviour_class(frame([2], [0]))["orders_per_year"].iloc[0] == pytest.approx(24.35)


def test_zero_orders_are_potential_and_only_one_time_buyers() -> None:
    out = behaviour_class(frame([0, 1, 1], [0, 100, 200]))
    assert classes(out) == ["potential", "one-time", "one-time"]
    assert np.isnan(out.attrs["kamseg_frequent_rate"])  # no repeat buyer
    assert out["orders_per_year"].iloc[0] == 0.0


def test_ties_share_a_class_and_all_equal_rates_are_frequent() -> None:
    out = behaviour_class(frame([4, 4, 4], [365.25, 365.25, 365.25]))
    assert classes(out) == ["frequent"] * 3


# --------------------------------------------------------------------------------------
# master
# --------------------------------------------------------------------------------------


def test_master_prospects_are_appended(six: pd.DataFrame) -> None:
    master = pd.DataFrame(
        {"region": ["N"] * 8}, index=pd.Index(["p1", *six.index, "p0"], name="customer_id")
    )
    extra = six.assign(flag=[True] * 6)
    out = behaviour_class(extra, master=master)
    assert out.index.tolist() == [*six.index, "p1", "p0"]  # appended after, in master order
    assert out.index.name == "customer_id"
    assert classes(out)[-2:] == ["potential", "potential"]
    assert classes(out)[:6] == classes(behaviour_class(six))
    assert out["n_orders"].dtype == np.int64  # 0 orders for prospects, dtype kept
    assert out["n_orders"].tolist()[-2:] == [0, 0]
    assert out["orders_per_year"].tolist()[-2:] == [0.0, 0.0]
    assert out["tenure_days"].iloc[-2:].isna().all()  # unknown for prospects
    assert out["flag"].dtype == object  # booleans with missing values (as pareto.pyramid)


def test_master_as_list_and_index(six: pd.DataFrame) -> None:
    ids = [*six.index, "x"]
    a = behaviour_class(six, master=ids)
    b = behaviour_class(six, master=pd.Index(ids))
    c = behaviour_class(six, master=np.asarray(ids))
    d = behaviour_class(six, master=pd.Series([*ids, "x"]))  # duplicates are dropped
    for out in (a, b, c, d):
        assert out.index.tolist() == ids
        assert classes(out)[-1] == "potential"


def test_customers_missing_from_master_are_counted(six: pd.DataFrame) -> None:
    with pytest.warns(KamsegWarning, match=r"2 of 6 customer\(s\) are not in `master`.*'c4'"):
        out = behaviour_class(six, master=list(six.index[:4]))
    assert classes(out) == classes(behaviour_class(six))  # classed as usual, not dropped


def test_rows_without_order_count_are_potential_when_in_master() -> None:
    df = frame([3, np.nan], [100, np.nan])
    out = behaviour_class(df, master=["c0", "c1"])
    assert classes(out) == ["frequent", "potential"]
    with pytest.raises(SchemaError, match=r"1 value\(s\) of column 'n_orders' are null.*'c1'"):
        behaviour_class(df)


def test_master_errors(six: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="convert the ids to one type"):
        behaviour_class(six, master=[1, 2, 3])
    with pytest.raises(SchemaError, match="null customer id"):
        behaviour_class(six, master=["c0", None])
    with pytest.raises(ConfigError, match="`master` must be"):
        behaviour_class(six, master="c0")
    dup = pd.concat([six, six.iloc[:1]])
    with pytest.raises(SchemaError, match="duplicated ids"):
        behaviour_class(dup, master=list(six.index))


def test_demo_data_prospects(demo_data: kamseg.datasets.Dataset) -> None:
    customers = kamseg.summarize(demo_data.transactions, as_of=demo_data.as_of)
    out = behaviour_class(customers, master=demo_data.master)
    prospects = demo_data.master.index[demo_data.master["is_prospect"]]
    assert len(out) == len(demo_data.master)
    assert set(out.index[out["behaviour_class"] == "potential"]) == set(prospects)
    counts = out["behaviour_class"].value_counts()
    assert counts["one-time"] == (customers["n_orders"] == 1).sum()
    # the median splits the repeat buyers in two halves (rates are untied)
    assert abs(counts["frequent"] - counts["occasional"]) <= 1
    # frequent buyers really buy more often: compare with the true purchase rates
    truth = demo_data.truth.loc[out.index, "purchase_rate"]
    assert truth[out["behaviour_class"] == "frequent"].median() > 2 * (
        truth[out["behaviour_class"] == "occasional"].median()
    )


# --------------------------------------------------------------------------------------
# labels, actions, overwrite
# --------------------------------------------------------------------------------------


def test_chinese_and_actions(six: pd.DataFrame) -> None:
    out = behaviour_class(six, master=[*six.index, "p"], labels="zh", action=True)
    assert list(out["behaviour_class"].cat.categories) == [
        "潜在客户", "一次性购买", "偶尔购买", "频繁购买",
    ]  # fmt: skip
    assert out.loc["p", "behaviour_action"] == recommended_action(
        "behaviour_class", "potential", labels="zh"
    )
    en = behaviour_class(six, action=True)
    for cls, act in zip(en["behaviour_class"], en["behaviour_action"], strict=True):
        assert act == recommended_action("behaviour_class", str(cls))


def test_overwrite(six: pd.DataFrame) -> None:
    out = behaviour_class(six)
    with pytest.raises(ConfigError, match="orders_per_year"):
        behaviour_class(out)
    again = behaviour_class(out, frequent_rate=1.0, overwrite=True)
    assert classes(again).count("occasional") == 0


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------


def test_missing_columns(six: pd.DataFrame) -> None:
    with pytest.raises(ColumnNotFoundError, match="Did you mean 'n_orders'"):
        behaviour_class(six, frequency_col="n_order")
    with pytest.raises(ColumnNotFoundError, match="tenure_col"):
        behaviour_class(six.drop(columns="tenure_days"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frequent_quantile": 1.5}, "from 0 to 1"),
        ({"frequent_quantile": True}, "from 0 to 1"),
        ({"frequent_rate": -1.0}, "non-negative"),
        ({"frequent_rate": float("inf")}, "finite"),
        ({"min_tenure_days": 0}, "positive"),
        ({"labels": "de"}, "labels"),
        ({"action": 1}, "True or False"),
    ],
)
def test_bad_options(six: pd.DataFrame, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        behaviour_class(six, **kwargs)  # type: ignore[arg-type]


def test_bad_values() -> None:
    with pytest.raises(SchemaError, match="negative"):
        behaviour_class(frame([-1, 2], [10, 20]))
    with pytest.raises(SchemaError, match="'tenure_days'"):
        behaviour_class(frame([1, 2], [10, -20]))
    with pytest.raises(SchemaError, match=r"'tenure_days'.*null"):
        behaviour_class(frame([1, 2], [10, np.nan]))
    with pytest.raises(SchemaError, match="not numbers"):
        behaviour_class(frame(["a", "b"], [10, 20]))  # type: ignore[list-item]
    with pytest.raises(EmptyInputError):
        behaviour_class(frame([], []))


# --------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------

rows_st = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 1500)), min_size=1, max_size=30)


def ref_classes(rows: list[tuple[int, int]], q: float) -> list[str]:
    rates = [o / max(t, 30) * DAYS_PER_YEAR for o, t in rows]
    repeat = [r for (o, _), r in zip(rows, rates, strict=True) if o > 1]
    threshold = float(np.quantile(repeat, q)) if repeat else float("nan")
    out = []
    for (o, _), r in zip(rows, rates, strict=True):
        if o == 0:
            out.append("potential")
        elif o == 1:
            out.append("one-time")
        else:
            out.append("frequent" if r >= threshold else "occasional")
    return out


@settings(max_examples=80, deadline=None)
@given(rows=rows_st, q=st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), seed=st.integers(0, 2**32))
def test_one_class_per_customer_reference_and_row_order(
    rows: list[tuple[int, int]], q: float, seed: int
) -> None:
    df = frame([o for o, _ in rows], [t for _, t in rows])
    before = copy.deepcopy(df)
    out = behaviour_class(df, frequent_quantile=q)
    pd.testing.assert_frame_equal(df, before)  # not mutated
    assert out["behaviour_class"].notna().all()
    assert classes(out) == ref_classes(rows, q)
    perm = np.random.default_rng(seed).permutation(len(rows))
    shuffled = behaviour_class(df.iloc[perm], frequent_quantile=q)
    assert shuffled["behaviour_class"].equals(out["behaviour_class"].iloc[perm])
    # with a master: every master id without a row is potential, the rest unchanged
    master = ["new-1", *df.index[::-1], "new-2"]
    with_master = behaviour_class(df, master=master, frequent_quantile=q)
    assert len(with_master) == len(df) + 2
    assert classes(with_master)[: len(df)] == classes(out)
    assert classes(with_master)[-2:] == ["potential", "potential"]
