"""Tests for kamseg.lifecycle's fit/apply split: fit_lifecycle_stage and LifecycleFit.

The outputs on the base are compared with md5 digests of the output of lifecycle_stage
computed before the split (the code of commit 4be829a), on the demo data and on tie-heavy
tables; the hand-calculated cases work the base gap and the rules out in the comments.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg
from kamseg._state import from_payload, read, to_payload, write
from kamseg.errors import ColumnNotFoundError, ConfigError, KamsegWarning, SchemaError
from kamseg.lifecycle import (
    LIFECYCLE_COLUMNS,
    LifecycleFit,
    LifecycleThresholds,
    fit_lifecycle_stage,
    lifecycle_stage,
)

AS_OF = pd.Timestamp("2024-12-31")


def digest(df: pd.DataFrame) -> str:
    """md5 of the index and the lifecycle columns: names, dtypes, categories, float bits,
    category codes and texts."""
    h = hashlib.md5()
    cols = [c for c in df.columns if c in (*LIFECYCLE_COLUMNS, "lifecycle_action")]
    h.update(repr(cols).encode())
    h.update(repr(df.index.tolist()).encode())
    for c in cols:
        s = df[c]
        h.update(str(s.dtype).encode())
        if isinstance(s.dtype, pd.CategoricalDtype):
            h.update(repr(list(s.cat.categories)).encode())
            h.update(s.cat.codes.to_numpy().tobytes())
        elif s.dtype.kind == "f":
            h.update(np.ascontiguousarray(s.to_numpy()).tobytes())
        else:
            h.update("\x00".join(map(str, s.tolist())).encode())
    return h.hexdigest()


def tie_table(n: int, seed: int) -> pd.DataFrame:
    """Day counts in steps of 50 and frequencies 0, 1, 2, 4: many equal gaps and ratios."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 17, n) * 50.0
    d = np.floor(rng.uniform(0, 1, n) * (t / 50 + 1)) * 50.0
    k = rng.choice([0.0, 1.0, 2.0, 4.0], n)
    k[(t == d) & (k > 0)] = 0.0
    ids = pd.Index([f"c{i:03d}" for i in range(n)], name="customer_id")
    return pd.DataFrame({"days_since_last": d, "tenure_days": t, "frequency": k}, index=ids)


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    data = kamseg.datasets.make_transactions(n_customers=400, seed=3)
    summary = kamseg.summarize(data.transactions, as_of=data.as_of)
    return summary, data.transactions, data.master


def cases(
    demo: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    """name -> (customers, keyword arguments of lifecycle_stage)."""
    summary, tx, master = demo
    rng = np.random.default_rng(7)
    with_p = summary.assign(p_alive=np.round(rng.uniform(0, 1, len(summary)), 1))
    silent = with_p.copy()
    silent.attrs["kamseg_p_alive_informative"] = False
    weekly = kamseg.summarize(tx, as_of=AS_OF, freq="W")
    ties = tie_table(60, 1)
    return {
        "demo": (summary, {"transactions": tx, "master": master}),
        "demo_zh": (summary, {"transactions": tx, "labels": "zh", "action": True}),
        "p_alive": (
            with_p,
            {"transactions": tx, "thresholds": LifecycleThresholds(trend_window_days=90)},
        ),
        "p_alive_uninformative": (silent, {"transactions": tx}),
        "p_alive_off": (with_p, {"use_p_alive": False}),
        "weekly": (weekly, {"transactions": tx}),
        "ties": (ties, {}),
        "ties_p": (
            ties.assign(p_alive=np.round(np.linspace(0, 1, len(ties)), 1)),
            {"thresholds": LifecycleThresholds(max_churn_days=400, fallback_gap_days=50)},
        ),
        "ties_single": (ties.assign(frequency=0.0), {"action": True}),
    }


# digests of lifecycle_stage's output before the fit/apply split
BEFORE = {
    "demo": "f3ad90c49035af8bede174310b7dd5ba",
    "demo_zh": "6a10e12484db0d9eb0f230c62dcfbe58",
    "p_alive": "679c556f989d24374d3b635df7cdba55",
    "p_alive_uninformative": "3fe1e36d01baecb258ffcf49e977779b",
    "p_alive_off": "bae02a3deb629dea3ce697928a5c1650",
    "weekly": "3fe1e36d01baecb258ffcf49e977779b",
    "ties": "3dc5b3f2c230158b727fc3af9840e869",
    "ties_p": "234038d6c9064b9d9e2f66b7c46c2633",
    "ties_single": "4313f65fe639aed5bad6f3e51a3c7a0b",
}
DATA_ONLY = ("transactions", "master")


def split(kw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if k in DATA_ONLY}


# --------------------------------------------------------------------------------------
# (a) apply on the base == lifecycle_stage before the split
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BEFORE))
def test_apply_on_the_base_reproduces_the_old_output(
    demo: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], name: str
) -> None:
    customers, kw = cases(demo)[name]
    if name == "p_alive_uninformative":
        with pytest.warns(KamsegWarning, match=r"P\(alive\) not used") as caught:
            out = lifecycle_stage(customers, **kw)
        assert len(caught) == 1  # one call, one warning
        with pytest.warns(KamsegWarning, match=r"P\(alive\) not used"):
            fit = fit_lifecycle_stage(customers, **kw)
    else:
        out = lifecycle_stage(customers, **kw)
        fit = fit_lifecycle_stage(customers, **kw)
    assert digest(out) == BEFORE[name]
    applied = fit.apply(customers, **split(kw))  # the switch is frozen: no second warning
    pd.testing.assert_frame_equal(applied, out, check_exact=True)


def test_what_the_fit_holds(demo: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    summary, tx, _ = demo
    fit = fit_lifecycle_stage(summary, transactions=tx, action=True)
    repeat = summary["frequency"] > 0
    gaps = (summary["tenure_days"] - summary["days_since_last"])[repeat] / summary["frequency"][
        repeat
    ]
    assert fit.base_gap == float(np.median(np.maximum(gaps, 1.0)))
    assert fit.n_repeat == int(repeat.sum())
    assert fit.use_p_alive is False  # no p_alive column
    assert fit.as_of == AS_OF
    assert fit.thresholds == dataclasses.asdict(LifecycleThresholds())
    assert (fit.labels, fit.action, fit.overwrite) == ("en", True, False)
    assert fit_lifecycle_stage(summary.assign(p_alive=0.5)).use_p_alive is True
    assert fit_lifecycle_stage(summary).as_of == AS_OF  # from attrs["as_of"]


# --------------------------------------------------------------------------------------
# (b) row-wise
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rowwise(
    demo: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> tuple[LifecycleFit, pd.DataFrame, pd.DataFrame, pd.DataFrame, LifecycleFit, pd.DataFrame]:
    tx = demo[1]
    customers, kw = cases(demo)["p_alive"]
    fit = fit_lifecycle_stage(customers, **kw, labels="zh", action=True)
    ties = cases(demo)["ties_p"][0]
    tie_fit = fit_lifecycle_stage(ties, thresholds=LifecycleThresholds(fallback_gap_days=50))
    return fit, customers, tx, fit.apply(customers, transactions=tx), tie_fit, ties


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_apply_is_row_wise(
    rowwise: tuple[LifecycleFit, pd.DataFrame, pd.DataFrame, pd.DataFrame, LifecycleFit, Any],
    data: st.DataObject,
) -> None:
    fit, customers, tx, full, tie_fit, ties = rowwise
    n = len(customers)
    rows = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=40, unique=True))
    part = customers.iloc[rows]
    # each customer's own transactions, in their order (a service's input)
    own = tx[tx["customer_id"].isin(part.index)]
    pd.testing.assert_frame_equal(
        fit.apply(part, transactions=own), full.iloc[rows], check_exact=True
    )
    m = len(ties)
    order = data.draw(st.permutations(range(m)))[: data.draw(st.integers(1, m))]
    pd.testing.assert_frame_equal(
        tie_fit.apply(ties.iloc[order]), tie_fit.apply(ties).iloc[order], check_exact=True
    )


def test_shuffled_order_and_master(demo: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    summary, tx, master = demo
    fit = fit_lifecycle_stage(summary, transactions=tx, master=master)
    full = fit.apply(summary, transactions=tx, master=master)
    perm = np.random.default_rng(0).permutation(len(summary))
    shuffled = fit.apply(summary.iloc[perm], transactions=tx, master=master)
    pd.testing.assert_frame_equal(shuffled.iloc[: len(summary)], full.iloc[perm])
    # the master's prospects are appended rows, the same whatever the order
    prospects = full.index[len(summary) :]
    pd.testing.assert_frame_equal(shuffled.loc[prospects], full.loc[prospects])
    assert (full.loc[prospects, "lifecycle_stage"] == "potential").all()


# --------------------------------------------------------------------------------------
# (c) new customers and changed values, by hand
# --------------------------------------------------------------------------------------


def frame(rows: dict[str, tuple[float, float, float]], **more: list[Any]) -> pd.DataFrame:
    """Customer rows {id: (days_since_last, tenure_days, frequency)}."""
    d, t, k = (list(x) for x in zip(*rows.values(), strict=True))
    ids = pd.Index(list(rows), name="customer_id")
    return pd.DataFrame(
        {"days_since_last": d, "tenure_days": t, "frequency": k, **more}, index=ids
    ).astype({"days_since_last": float, "tenure_days": float, "frequency": float})


# usual gaps (t - d) / k: a (1012 - 412) / 6 = 100, b (50 - 20) / 1 = 30,
# c (300 - 50) / 5 = 50; d buys once. Base gap: median(100, 30, 50) = 50.
BASE = {"a": (412, 1012, 6), "b": (20, 50, 1), "c": (50, 300, 5), "d": (120, 120, 0)}


def test_new_customer_and_changed_values_by_hand() -> None:
    fit = fit_lifecycle_stage(frame(BASE))
    assert (fit.base_gap, fit.n_repeat) == (50.0, 3)
    out = fit.apply(
        frame(
            {
                # new, single purchase 150 days ago: gap 50 (the base's), ratio 3 > 2 but
                # 150 <= max(3 * 50, 365) = 365 -> declining
                "z": (150, 150, 0),
                # new repeat buyer: gap (410 - 10) / 1 = 400, ratio 0.025, t 410 >= 365
                "y": (10, 410, 1),
                # c changed to one repeat purchase: gap (300 - 50) / 1 = 250, ratio 0.2,
                # t 300 < 365 -> growing. A refit would move the base gap to
                # median(100, 30, 250) = 100; the fit keeps 50 for d.
                "c": (50, 300, 1),
                # d: 120 / 50 = 2.4 > 2 -> declining (1.2 with a refitted gap of 100: new)
                "d": (120, 120, 0),
            }
        )
    )
    assert out["usual_gap_days"].tolist() == [50.0, 400.0, 250.0, 50.0]
    assert out["overdue_ratio"].tolist() == [3.0, 0.025, 0.2, 2.4]
    assert out["lifecycle_stage"].tolist() == ["declining", "mature", "growing", "declining"]
    assert out["lifecycle_reason"].tolist() == [
        "single purchase 150 days ago, 3× the base's usual gap of 50 days",
        "buying on rhythm: last purchase 10 days ago, usual gap 400 days",
        "repeat buyer, first purchase 300 days ago (under 365 days)",
        "single purchase 120 days ago, 2.4× the base's usual gap of 50 days",
    ]
    refit = lifecycle_stage(frame({**BASE, "c": (50, 300, 1)}))
    assert refit.loc["d", "usual_gap_days"] == 100.0
    assert refit.loc["d", "lifecycle_stage"] == "new"


def test_fallback_gap_is_frozen_too() -> None:
    # no repeat buyer: the base gap is the fallback, 40; a later repeat buyer changes nothing
    fit = fit_lifecycle_stage(
        frame({"a": (100, 100, 0)}), thresholds=LifecycleThresholds(fallback_gap_days=40)
    )
    assert (fit.base_gap, fit.n_repeat) == (40.0, 0)
    out = fit.apply(frame({"a": (100, 100, 0), "b": (10, 410, 4)}))
    assert out["usual_gap_days"].tolist() == [40.0, 100.0]  # b: (410 - 10) / 4
    assert out["lifecycle_stage"].tolist() == ["declining", "mature"]  # 100 / 40 = 2.5


def test_the_p_alive_switch_is_frozen() -> None:
    rows = {"a": (412, 1012, 6), "b": (20, 500, 10)}  # a overdue by rhythm: churned
    with_p = frame(rows, p_alive=[0.7, 0.9])  # a vetoed by P(alive): declining
    on = fit_lifecycle_stage(with_p)
    assert on.use_p_alive is True
    assert on.apply(with_p)["lifecycle_stage"].tolist() == ["declining", "mature"]
    with pytest.raises(ColumnNotFoundError, match="p_alive_col"):
        on.apply(frame(rows))
    off = fit_lifecycle_stage(frame(rows))  # "auto" without the column: off for good
    assert off.apply(with_p)["lifecycle_stage"].tolist() == ["churned", "mature"]
    silent = with_p.copy()
    silent.attrs["kamseg_p_alive_informative"] = False
    with pytest.warns(KamsegWarning, match=r"\(1 customer\(s\) overdue by their rhythm"):
        uninformed = fit_lifecycle_stage(silent)
    assert uninformed.use_p_alive is False
    # applied to a table that does not carry the mark: still off, and no warning
    assert uninformed.apply(with_p)["lifecycle_stage"].tolist() == ["churned", "mature"]
    # a table marked uninformative under a fit that uses P(alive): still on
    assert on.apply(silent)["lifecycle_stage"].tolist() == ["declining", "mature"]


def test_apply_at_a_later_as_of(demo: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    _, tx, _ = demo
    before = tx[tx["date"] <= "2024-06-30"]
    early = kamseg.summarize(before, as_of="2024-06-30")
    fit = fit_lifecycle_stage(early, transactions=before)
    assert fit.as_of == pd.Timestamp("2024-06-30")  # for the record
    late = kamseg.summarize(tx, as_of=AS_OF)
    out = fit.apply(late, transactions=tx)  # the windows end on the late table's as_of
    expected = kamseg.features.trends(late, transactions=tx)["spend_trend"]
    pd.testing.assert_series_equal(out["spend_trend"], expected, check_exact=True)
    single = late["frequency"] == 0
    assert (out.loc[single, "usual_gap_days"] == fit.base_gap).all()


# --------------------------------------------------------------------------------------
# (d) saved and loaded
# --------------------------------------------------------------------------------------


def test_round_trip(demo: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    summary, tx, master = demo
    customers = summary.assign(p_alive=np.linspace(0, 1, len(summary)))
    th = LifecycleThresholds(max_churn_days=700, trend_window_days=90)
    fit = fit_lifecycle_stage(
        customers, transactions=tx, master=master, thresholds=th, labels="zh", action=True
    )
    expected = fit.apply(customers, transactions=tx, master=master)
    back = from_payload(*to_payload(fit))
    assert back == fit
    pd.testing.assert_frame_equal(
        back.apply(customers, transactions=tx, master=master), expected, check_exact=True
    )
    buf = io.BytesIO()
    write(buf, fit, {"kind": "test"})
    buf.seek(0)
    loaded = read(buf)
    assert isinstance(loaded, LifecycleFit)
    assert loaded == fit
    pd.testing.assert_frame_equal(
        loaded.apply(customers, transactions=tx, master=master), expected, check_exact=True
    )


# --------------------------------------------------------------------------------------
# errors: from fit or apply, whichever sees the input first
# --------------------------------------------------------------------------------------


def test_errors() -> None:
    df = frame(BASE)
    with pytest.raises(ConfigError, match="fit_lifecycle_stage: `thresholds` must be"):
        fit_lifecycle_stage(df, thresholds={"new_days": 30})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="'auto', True or False"):
        fit_lifecycle_stage(df, use_p_alive="yes")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match=r"null values.*'a'"):
        fit_lifecycle_stage(df.assign(tenure_days=[np.nan, 50, 300, 120]))
    fit = fit_lifecycle_stage(df)
    with pytest.raises(SchemaError, match=r"LifecycleFit.apply: 1 customer\(s\) have null"):
        fit.apply(df.assign(tenure_days=[np.nan, 50, 300, 120]))
    with pytest.raises(ColumnNotFoundError, match="frequency_col"):
        fit.apply(df.drop(columns="frequency"))
    staged = fit.apply(df)
    with pytest.raises(ConfigError, match="already has column"):
        fit.apply(staged)
    fit_lifecycle_stage(staged)  # the fit writes nothing, so existing columns are fine
    again = dataclasses.replace(fit, overwrite=True).apply(staged)
    pd.testing.assert_frame_equal(again, staged)
