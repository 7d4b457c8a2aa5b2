"""Tests for kamseg.features: each measure defined once, the same whichever step made it.

The property test draws random transaction logs (returns included) and checks that every
shared column (``usual_gap_days``, ``overdue_ratio``, ``spend_trend``) and the health score
hold the same values whichever step computed them and in whatever order the steps ran,
and that they equal a plain pandas reference written from the documented rules.
"""

from __future__ import annotations

import statistics
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg
from kamseg.errors import ConfigError, KamsegWarning
from kamseg.features import purchase_rhythm, rhythm, trends
from kamseg.lifecycle import LifecycleThresholds

AS_OF = pd.Timestamp("2024-12-31")
WINDOW = 60
MIN_ORDERS = 2
COMPONENTS = ["recency", "frequency_trend", "spend_trend"]


@st.composite
def logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 12))
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, 400), st.integers(-30, 300)),
            min_size=1,
            max_size=90,
        )
    )
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:02d}" for i, _, _ in rows],
            "date": [AS_OF - pd.Timedelta(days=age) for _, age, _ in rows],
            "amount": [float(a) for _, _, a in rows],
        }
    )


def reference(tx: pd.DataFrame) -> pd.DataFrame:
    """The documented rules, customer by customer, in plain pandas."""
    age = (AS_OF - tx["date"]).dt.days
    out = {}
    days = tx.assign(age=age).groupby("customer_id")
    gaps = {}
    last = {}
    for cid, g in days:
        # a day that returns bring to <= 0 is no purchase day
        net = g.groupby("age")["amount"].agg(["sum", "min"])
        bought = net[(net["sum"] > 0) | (net["min"] >= 0)]
        # no purchase day: first and last "purchase" on the first day of the rows
        purchase_days = sorted(bought.index) or [max(g["age"])]
        d, t, k = purchase_days[0], purchase_days[-1], len(bought) - 1
        last[cid] = d
        if k > 0:
            gaps[cid] = max((t - d) / k, 1.0)
    base = statistics.median(gaps.values()) if gaps else 90.0
    for cid, g in days:
        a = g["age"]
        d = last[cid]
        gap = gaps.get(cid, base)
        recent = g.loc[a < WINDOW, "amount"].sum()
        previous = g.loc[(a >= WINDOW) & (a < 2 * WINDOW), "amount"].sum()
        orders = ((a < 2 * WINDOW) & (g["amount"] >= 0)).sum()  # a return is no order
        counts = (a >= 2 * WINDOW).any() and orders >= MIN_ORDERS
        trend = recent / previous - 1 if counts and previous > 0 else np.nan
        out[cid] = {"usual_gap_days": gap, "overdue_ratio": d / gap, "spend_trend": trend}
    return pd.DataFrame.from_dict(out, orient="index")


def health(customers: pd.DataFrame, prepared: kamseg.PreparedTransactions) -> pd.DataFrame:
    return kamseg.health_score(
        customers,
        transactions=prepared,
        components=COMPONENTS,
        window_days=WINDOW,
        min_trend_orders=MIN_ORDERS,
    )


def stage(customers: pd.DataFrame, prepared: kamseg.PreparedTransactions) -> pd.DataFrame:
    th = LifecycleThresholds(trend_window_days=WINDOW, min_trend_orders=MIN_ORDERS)
    return kamseg.lifecycle_stage(customers, transactions=prepared, thresholds=th)


@settings(max_examples=80, deadline=None)
@given(tx=logs())
def test_shared_columns_do_not_depend_on_the_route(tx: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)  # the returns notice, given once
        prepared = kamseg.prepare_transactions(tx, as_of=AS_OF)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no step warns again about the same rows
        daily = kamseg.summarize(prepared)
        weekly = kamseg.summarize(prepared, freq="W")
        staged = stage(daily, prepared)
        staged_weekly = stage(weekly, prepared)
        health_only = health(daily, prepared)
        health_after_stage = health(staged, prepared)
        stage_after_health = stage(health_only, prepared)
        rhythm_cols = purchase_rhythm(daily)
        trend_cols = trends(
            daily, transactions=prepared, window_days=WINDOW, min_trend_orders=MIN_ORDERS
        )
    ref = reference(tx).reindex(daily.index)
    shared = ["usual_gap_days", "overdue_ratio", "spend_trend"]
    for col in shared[:2]:
        np.testing.assert_allclose(staged[col], ref[col], rtol=1e-12)
        np.testing.assert_allclose(rhythm_cols[col], ref[col], rtol=1e-12)
        # a weekly summary counts periods: the repeat days are counted from the rows
        np.testing.assert_allclose(staged_weekly[col], ref[col], rtol=1e-12)
    np.testing.assert_allclose(staged["spend_trend"], ref["spend_trend"], rtol=1e-9)
    np.testing.assert_allclose(trend_cols["spend_trend"], ref["spend_trend"], rtol=1e-9)
    np.testing.assert_allclose(staged_weekly["spend_trend"], ref["spend_trend"], rtol=1e-9)
    health_cols = ["health_score", *(f"health_{c}" for c in COMPONENTS)]
    for col in health_cols:
        np.testing.assert_allclose(health_only[col], health_after_stage[col], rtol=1e-12)
        np.testing.assert_allclose(stage_after_health[col], health_only[col], rtol=1e-12)
    pd.testing.assert_frame_equal(stage_after_health[staged.columns], staged)


@settings(max_examples=40, deadline=None)
@given(tx=logs())
def test_early_warnings_do_not_depend_on_the_route(tx: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        prepared = kamseg.prepare_transactions(tx, as_of=AS_OF)
        daily = kamseg.summarize(prepared)
        kw = {"window_days": WINDOW, "min_trend_orders": MIN_ORDERS, "transactions": prepared}
        alone = kamseg.early_warnings(daily, **kw)
        after = kamseg.early_warnings(stage(daily, prepared), **kw)
    for col in ("warn_spend_drop", "warn_overdue", "n_warnings"):
        assert alone[col].tolist() == after[col].tolist()


def test_rhythm_by_hand() -> None:
    # repeat buyers: (400 - 100) / 3 = 100 days; (50 - 20) / 60 -> at least 1 day
    r = rhythm(
        np.array([100.0, 20, 30, np.nan]), np.array([400.0, 50, 30, 10]), np.array([3.0, 60, 0, 0])
    )
    assert r.usual_gap_days.tolist()[:3] == [100.0, 1.0, 50.5]  # single: median of 100 and 1
    assert r.base_gap == 50.5
    assert np.isnan(r.usual_gap_days[3]) and np.isnan(r.overdue_ratio[3])
    assert r.overdue_ratio[:3].tolist() == pytest.approx([1.0, 20.0, 30 / 50.5])
    none = rhythm(np.array([5.0]), np.array([5.0]), np.array([0.0]), fallback_gap_days=40)
    assert none.usual_gap_days.tolist() == [40.0] and none.base_gap == 40.0


def test_weekly_summary_without_transactions_is_refused() -> None:
    data = kamseg.datasets.make_transactions(n_customers=50, seed=3)
    weekly = kamseg.summarize(data.transactions, freq="W", as_of=data.as_of)
    with pytest.raises(ConfigError, match=r"summarised in .W. periods.*transactions="):
        purchase_rhythm(weekly)
    with pytest.raises(ConfigError, match="summarised in 'W' periods"):
        kamseg.lifecycle_stage(weekly)
    daily = kamseg.summarize(data.transactions, as_of=data.as_of)
    pd.testing.assert_frame_equal(
        purchase_rhythm(weekly, transactions=data.transactions), purchase_rhythm(daily)
    )


def test_trend_rule_by_hand() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "b", "b", "c"],
            "date": pd.to_datetime(
                [
                    "2024-12-30",  # a: recent
                    "2024-12-01",  # a: recent
                    "2024-10-15",  # a: previous (77 days before as_of)
                    "2024-06-01",  # a: first purchase, two windows old
                    "2024-12-30",  # b: recent
                    "2024-10-20",  # b: previous
                    "2024-11-30",  # b: recent; b's first purchase (10-20) is 72 days old
                    "2024-12-31",  # c: one purchase
                ]
            ),
            "amount": [30.0, 30.0, 20.0, 1.0, 10.0, 5.0, 5.0, 9.0],
        }
    )
    customers = pd.DataFrame(index=pd.Index(["a", "b", "c", "d"], name="customer_id"))
    out = trends(customers, transactions=tx, window_days=60, min_trend_orders=3, as_of=AS_OF)
    # a: recent 60, previous 20 -> +200 %; purchase days 2 vs 1 -> +100 %
    assert out.loc["a"].tolist() == [60.0, 20.0, 2.0, 1.0]
    # b: the previous window holds a purchase but b's first one is not two windows old
    assert out.loc["b", ["spend_recent", "spend_previous"]].tolist() == [15.0, 5.0]
    assert out.loc[["b", "c", "d"], ["spend_trend", "frequency_trend"]].isna().all().all()
    strict = trends(customers, transactions=tx, window_days=60, min_trend_orders=4, as_of=AS_OF)
    assert strict[["spend_trend", "frequency_trend"]].isna().all().all()  # a has 3 orders
