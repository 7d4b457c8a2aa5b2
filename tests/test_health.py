"""Tests for kamseg.health and kamseg.alerts: health score, bands, drivers, early warnings.

Expected values are worked out by hand in the comments: sub-scores from the documented
transforms (recency ``1 / (1 + max(r - 1, 0))``, trends ``clip(1 + g, 0, 1)``, complaints
``1 / (1 + c)``), scores as ``100 * sum(w * s) / sum(w)`` over the known sub-scores.
"""

from __future__ import annotations

import math
import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import kamseg
from kamseg.alerts import WARNING_COLUMNS, early_warnings
from kamseg.errors import ColumnNotFoundError, ConfigError, KamsegWarning, SchemaError
from kamseg.health import (
    DEFAULT_BANDS,
    DEFAULT_WEIGHTS,
    HEALTH_COMPONENTS,
    health_score,
)

AS_OF = pd.Timestamp("2024-12-31")
FULL = ["recency", "p_alive", "satisfaction", "complaints"]


def customers(**cols: list[Any]) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    return pd.DataFrame(cols, index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"))


def transactions(purchases: dict[str, list[tuple[int, float]]]) -> pd.DataFrame:
    """Transactions from {customer: [(days before AS_OF, amount), ...]}."""
    rows = [
        (c, AS_OF - pd.Timedelta(days=age), amt) for c, ps in purchases.items() for age, amt in ps
    ]
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def unit_scores(x: list[float], **kw: Any) -> pd.DataFrame:
    """health_score driven by one extra 'unit' column of weight 1: score = 100 * x."""
    return health_score(
        customers(x=x), components=[], extra={"x": {"weight": 1.0, "scale": "unit"}}, **kw
    )


# --------------------------------------------------------------------------------------
# health_score: values worked out by hand
# --------------------------------------------------------------------------------------


def test_hand_example_scores_bands_drivers() -> None:
    df = customers(
        overdue_ratio=[0.8, 3.0, 1.5],
        p_alive=[0.95, 0.30, 0.80],
        satisfaction_score=[0.9, 0.4, np.nan],
        recent_complaints=[0, 2, 1],
    )
    out = health_score(df, components=FULL)
    # weights 0.25, 0.2, 0.2, 0.1 rescaled over 0.75: 1/3, 4/15, 4/15, 2/15
    a = 100 * (1 / 3 + 4 / 15 * 0.95 + 4 / 15 * 0.9 + 2 / 15)
    b = 100 * (1 / 3 * 1 / 3 + 4 / 15 * 0.3 + 4 / 15 * 0.4 + 2 / 15 * 1 / 3)
    # c: satisfaction unknown -> weights 0.25, 0.2, 0.1 over 0.55
    c = 100 * (0.25 / 0.55 / 1.5 + 0.2 / 0.55 * 0.8 + 0.1 / 0.55 * 0.5)
    assert out["health_score"].tolist() == pytest.approx([a, b, c])
    assert a == pytest.approx(96.0) and c == pytest.approx(68.4848, abs=1e-4)
    assert [str(x) for x in out["health_band"]] == ["green", "red", "amber"]
    # shortfalls of b: recency 100/3*2/3 = 22.2, P(alive) 400/15*0.7 = 18.7, sat 16, cpl 8.9
    assert out["health_drivers"].tolist() == [
        "satisfaction −3; P(alive) −1",
        "recency −22; P(alive) −19",
        "recency −15; complaints −9",
    ]
    assert out["health_recency"].tolist() == pytest.approx([1.0, 1 / 3, 1 / 1.5])
    assert out["health_complaints"].tolist() == pytest.approx([1.0, 1 / 3, 0.5])
    assert np.isnan(out.loc["c2", "health_satisfaction"])
    assert out.attrs["kamseg_health_weights"] == pytest.approx(
        {"recency": 1 / 3, "p_alive": 4 / 15, "satisfaction": 4 / 15, "complaints": 2 / 15}
    )
    assert out["health_score"].dtype == np.float64
    assert out["health_band"].cat.ordered
    assert list(out["health_band"].cat.categories) == ["red", "amber", "green"]


def test_shortfalls_add_up_to_the_gap_to_100() -> None:
    df = customers(
        overdue_ratio=[2.0, 0.5, 7.0],
        p_alive=[0.5, 0.1, 0.9],
        satisfaction_score=[0.25, 1.0, 0.0],
        recent_complaints=[3, 0, 1],
    )
    out = health_score(df, components=FULL, top_drivers=4)
    w = np.array([0.25, 0.2, 0.2, 0.1]) / 0.75
    subs = out[["health_recency", "health_p_alive", "health_satisfaction", "health_complaints"]]
    lost = 100 * w * (1 - subs.to_numpy())
    assert (100 - out["health_score"]).to_numpy() == pytest.approx(lost.sum(axis=1))
    for text, row in zip(out["health_drivers"], lost, strict=True):
        points = [int(part.rsplit("−", 1)[1]) for part in text.split("; ")]
        assert points == sorted(points, reverse=True)
        assert sorted(points, reverse=True) == sorted(
            (math.floor(x + 0.5) for x in row if x >= 0.5), reverse=True
        )


def test_drivers_sorted_in_blocks_are_each_customers_largest_shortfalls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The drivers' order is sorted a block of customers at a time (memory): with blocks of
    7 customers it is, for every customer, the components by shortfall, largest first and
    ties in the components' order, as a plain sort of that customer's points gives."""
    from kamseg import _health_fit

    monkeypatch.setattr(_health_fit, "_DRIVER_BLOCK", 7)
    rng = np.random.default_rng(4)
    n = 40  # ties on purpose: sub-scores on a coarse grid, some unknown
    df = customers(
        overdue_ratio=rng.choice([0.5, 2.0, 3.0, np.nan], n).tolist(),
        p_alive=rng.choice([0.2, 0.5, 1.0], n).tolist(),
        satisfaction_score=rng.choice([0.2, 0.5, np.nan], n).tolist(),
        recent_complaints=rng.choice([0, 1, 3], n).tolist(),
    )
    out = health_score(df, components=FULL, top_drivers=3)
    names = {
        "recency": "recency",
        "p_alive": "P(alive)",
        "satisfaction": "satisfaction",
        "complaints": "complaints",
    }
    weights = out.attrs["kamseg_health_weights"]
    for i in range(n):
        known = [c for c in FULL if not np.isnan(out[f"health_{c}"].iloc[i])]
        total = sum(weights[c] for c in known)
        lost = [(c, 100 * weights[c] / total * (1 - out[f"health_{c}"].iloc[i])) for c in known]
        lost += [(c, 0.0) for c in FULL if c not in known]
        lost.sort(key=lambda cp: (-cp[1], FULL.index(cp[0])))  # stable, largest first
        shown = [f"{names[c]} −{math.floor(p + 0.5)}" for c, p in lost[:3] if p >= 0.5]
        if np.isnan(out["health_score"].iloc[i]):  # too little known for a score: none
            shown = []
        assert out["health_drivers"].iloc[i] == "; ".join(shown), i


def test_recency_from_summary_columns() -> None:
    # c0: gap (400 - 100) / 3 = 100, ratio 1.0 -> 1; c1: gap (300 - 200) / 2 = 50, ratio 4
    # -> 1 / 4; c2: single purchase gets the median gap of the repeat buyers, 75; ratio
    # 150 / 75 = 2 -> 1 / 2
    df = customers(
        days_since_last=[100, 200, 150], tenure_days=[400, 300, 150], frequency=[3, 2, 0]
    )
    out = health_score(df, components=["recency"])
    assert out["health_recency"].tolist() == pytest.approx([1.0, 0.25, 0.5])
    assert out["health_score"].tolist() == pytest.approx([100.0, 25.0, 50.0])
    assert out["health_drivers"].tolist() == ["", "recency −75", "recency −50"]


def test_trends_from_transactions() -> None:
    tx = transactions(
        {
            # recent window = ages 0..179, previous = 180..359; age 360 is outside both
            "x": [(10, 50.0), (179, 0.0), (180, 100.0), (359, 100.0), (360, 999.0)],
            "y": [(5, 80.0)],  # nothing in the previous window: trends unknown
            # two lines on one day; first purchase 400 days ago: its tenure covers both windows
            "z": [(20, 300.0), (20, 100.0), (200, 100.0), (400, 5.0)],
        }
    )
    df = customers(p_alive=[0.5, 0.5, 0.5])
    df.index = pd.Index(["x", "y", "z"], name="customer_id")
    kw: dict[str, Any] = {
        "components": ["spend_trend", "frequency_trend", "p_alive"],
        "transactions": tx,
        "as_of": AS_OF,
    }
    # the one trend rule: 6 orders in the two windows by default; x has 4, z 3
    default = health_score(df, **kw)
    assert default[["health_spend_trend", "health_frequency_trend"]].isna().all().all()
    out = health_score(df, min_trend_orders=3, **kw)
    # x: spend 50 vs 200 -> -0.75 -> 0.25; purchase days 2 vs 2 -> 0 -> 1
    # z: spend 400 vs 100 -> +3 -> 1; days 1 vs 1 -> 1
    assert out["health_spend_trend"].tolist()[::2] == pytest.approx([0.25, 1.0])
    assert out["health_frequency_trend"].tolist()[::2] == pytest.approx([1.0, 1.0])
    assert out.loc["y", ["health_spend_trend", "health_frequency_trend"]].isna().all()
    # y: only P(alive) is known, 0.2 of 0.45 of the weight: below min_coverage 0.5
    assert np.isnan(out.loc["y", "health_score"])
    assert pd.isna(out.loc["y", "health_band"]) and out.loc["y", "health_drivers"] == ""
    lax = health_score(df, min_trend_orders=3, min_coverage=0.4, **kw)
    assert lax.loc["y", "health_score"] == pytest.approx(50.0)
    # x: (0.15 * 0.25 + 0.10 * 1 + 0.2 * 0.5) / 0.45
    assert out.loc["x", "health_score"] == pytest.approx(100 * 0.2375 / 0.45)


def test_trend_columns_win_over_transactions() -> None:
    df = customers(spend_trend=[-0.2], frequency_trend=[0.5])
    tx = transactions({"c0": [(10, 1.0), (200, 100.0)]})
    out = health_score(df, components=["spend_trend", "frequency_trend"], transactions=tx)
    assert out["health_spend_trend"].tolist() == pytest.approx([0.8])
    assert out["health_frequency_trend"].tolist() == pytest.approx([1.0])


def test_trend_windows_exclude_later_transactions_with_warning() -> None:
    tx = transactions({"c0": [(10, 50.0), (200, 100.0), (-5, 1000.0), (500, 1.0)]})
    df = customers(p_alive=[1.0])
    with pytest.warns(KamsegWarning, match=r"excluded 1 transaction\(s\) dated after as_of"):
        out = health_score(
            df, components=["spend_trend"], transactions=tx, as_of=AS_OF, min_trend_orders=2
        )
    assert out["health_spend_trend"].tolist() == pytest.approx([0.5])


def test_default_components_use_what_is_there_and_warn() -> None:
    df = customers(overdue_ratio=[1.0, 2.0], p_alive=[0.5, 1.0])
    with pytest.warns(KamsegWarning, match=r"skipped.*frequency_trend.*satisfaction"):
        out = health_score(df)
    assert out.attrs["kamseg_health_weights"] == pytest.approx(
        {"recency": 0.25 / 0.45, "p_alive": 0.2 / 0.45}
    )
    assert [c for c in out.columns if c.startswith("health_")] == [
        "health_score",
        "health_band",
        "health_drivers",
        "health_recency",
        "health_p_alive",
    ]


def test_all_components_on_demo_data_no_warning(demo_data: kamseg.datasets.Dataset) -> None:
    c = kamseg.summarize(demo_data.transactions, as_of=demo_data.as_of)
    c = kamseg.clv.predict(c, kamseg.clv.fit(c, model="bgnbd"))
    c = kamseg.satisfaction_class(c, surveys=demo_data.surveys, complaints=demo_data.complaints)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = health_score(c, transactions=demo_data.transactions)
    assert list(out.attrs["kamseg_health_weights"]) == list(HEALTH_COMPONENTS)
    assert out["health_score"].between(0, 100).all()
    assert out["health_band"].notna().all()
    assert out.index.equals(c.index)
    # prospects of the master: nothing but their zero complaints is known -> no score
    with_prospects = kamseg.satisfaction_class(
        c.drop(
            columns=["satisfaction_class", "satisfaction_score", "n_answers", "recent_complaints"]
        ).reindex(demo_data.master.index),
        surveys=demo_data.surveys,
        complaints=demo_data.complaints,
    )
    scored = health_score(
        with_prospects, components=["recency", "p_alive", "satisfaction", "complaints"]
    )
    prospect = demo_data.master["is_prospect"].to_numpy()
    assert scored["health_score"][prospect].isna().all()
    assert scored["health_score"][~prospect].notna().all()
    # the dropouts score lower than the customers still alive
    alive = demo_data.truth.loc[out.index, "alive"].to_numpy()
    assert out["health_score"][alive].mean() > out["health_score"][~alive].mean() + 20


def test_user_weights() -> None:
    df = customers(overdue_ratio=[3.0], p_alive=[0.4])
    out = health_score(df, weights={"recency": 0.5, "p_alive": 0.5})
    assert out["health_score"].tolist() == pytest.approx([100 * (0.5 / 3 + 0.5 * 0.4)])
    assert out.attrs["kamseg_health_weights"] == {"recency": 0.5, "p_alive": 0.5}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": {"recency": 0.5, "p_alive": 0.4}}, "must sum to 1; they sum to 0.9"),
        ({"weights": {"recency": 1.2, "p_alive": -0.2}}, "must be a finite number >= 0"),
        ({"weights": {"recency": 0.5, "loyalty": 0.5}}, "must be one of"),
        ({"weights": [0.5, 0.5]}, "must be a mapping"),
        (
            {"components": ["recency"], "weights": {"recency": 0.5, "p_alive": 0.5}},
            "exactly the components",
        ),
        ({"components": ["recency", "recency"]}, "twice"),
        ({"components": ["recncy"]}, "Did you mean 'recency'"),
        ({"components": "recency"}, "must be a list"),
        ({"top_drivers": 0}, "top_drivers"),
        ({"min_coverage": 0}, "min_coverage"),
        ({"min_coverage": 1.5}, "min_coverage"),
        ({"labels": "fr"}, "labels"),
        ({"bands": {"red": 10, "green": 70}}, "must start at 0"),
        ({"bands": {"red": 0, "amber": 70, "green": 40}}, "increase strictly"),
        ({"bands": {"red": 0, "green": 101}}, "not exceed 100"),
        ({"bands": {"red": 0, "green": "70"}}, "must be a number"),
        ({"bands": {}}, "must map band names"),
        ({"extra": {"x": {"direction": "up", "weight": 0.1}}}, "direction"),
        ({"extra": {"x": {"direction": "max"}}}, "needs a 'weight'"),
        ({"extra": {"x": {"weight": 0.1, "scal": "rank"}}}, "unknown key"),
        ({"extra": {"x": {"weight": 0.1, "scale": "log"}}}, "scale"),
        ({"extra": {"x": 0.1}}, "must be a mapping"),
        ({"extra": {"p_alive": {"weight": 0.1}}}, "name of a built-in"),
        ({"extra": {"x": {"weight": 1.5}}}, "at most 1"),
        (
            {"weights": {"recency": 0.5, "p_alive": 0.5}, "extra": {"x": {"weight": 0.1}}},
            "sum to 1.1",
        ),
    ],
)
def test_config_errors(kwargs: dict[str, Any], match: str) -> None:
    df = customers(overdue_ratio=[1.0, 2.0], p_alive=[0.5, 0.6], x=[1.0, 2.0])
    with pytest.raises(ConfigError, match=match):
        health_score(df, **{"components": ["recency", "p_alive"], **kwargs})


def test_missing_inputs() -> None:
    df = customers(p_alive=[0.5])
    with pytest.raises(ColumnNotFoundError, match="'satisfaction_score'"):
        health_score(df, components=["satisfaction"])
    with pytest.raises(ColumnNotFoundError, match="pass transactions="):
        health_score(df, components=["spend_trend"])
    with pytest.raises(ColumnNotFoundError, match="overdue_ratio"):
        health_score(df, components=["recency"])
    with pytest.raises(ColumnNotFoundError, match="'loyalty'"):
        health_score(df, components=["p_alive"], extra={"loyalty": {"weight": 0.1}})
    with pytest.raises(ConfigError, match="no component"):
        health_score(customers(revenue=[1.0]))


@pytest.mark.parametrize(
    ("col", "value", "match"),
    [
        ("p_alive", 1.5, r"outside \[0, 1\]"),
        ("satisfaction_score", -0.1, r"outside \[0, 1\]"),
        ("recent_complaints", -1, r"outside \[0, inf\]"),
        ("overdue_ratio", -2.0, r"'overdue_ratio' are negative"),
        ("p_alive", "high", "not numbers"),
        ("p_alive", math.inf, "infinite"),
    ],
)
def test_schema_errors(col: str, value: Any, match: str) -> None:
    cols: dict[str, list[Any]] = {
        "overdue_ratio": [1.0, 1.0],
        "p_alive": [0.5, 0.5],
        "satisfaction_score": [0.5, 0.5],
        "recent_complaints": [0, 0],
    }
    cols[col] = [cols[col][0], value]
    with pytest.raises(SchemaError, match=match):
        health_score(customers(**cols), components=FULL)


def test_extra_columns_rank_minmax_direction() -> None:
    df = customers(p_alive=[1.0, 1.0, 1.0, 1.0], x=[10.0, 20.0, 20.0, 40.0], y=[5, 5, 5, 5])
    out = health_score(
        df,
        weights={"p_alive": 0.5},
        extra={"x": {"direction": "max", "weight": 0.5}},
    )
    # ranks 1, 2.5, 2.5, 4 -> (r - 1) / 3 = 0, 0.5, 0.5, 1
    assert out["health_x"].tolist() == pytest.approx([0.0, 0.5, 0.5, 1.0])
    assert out["health_score"].tolist() == pytest.approx([50.0, 75.0, 75.0, 100.0])
    assert out["health_drivers"].tolist() == ["x −50", "x −25", "x −25", ""]
    mm = health_score(
        df, components=[], extra={"x": {"direction": "min", "weight": 1, "scale": "minmax"}}
    )
    # (x - 10) / 30 = 0, 1/3, 1/3, 1; direction min -> 1, 2/3, 2/3, 0
    assert mm["health_x"].tolist() == pytest.approx([1.0, 2 / 3, 2 / 3, 0.0])
    flat = health_score(df, components=[], extra={"y": {"weight": 1}})
    assert flat["health_y"].tolist() == [1.0] * 4
    with pytest.raises(SchemaError, match="outside"):
        health_score(df, components=[], extra={"x": {"weight": 1, "scale": "unit"}})


def test_default_weights_leave_room_for_extras() -> None:
    df = customers(overdue_ratio=[1.0, 1.0], p_alive=[1.0, 0.0], x=[1.0, 2.0])
    out = health_score(df, components=["recency", "p_alive"], extra={"x": {"weight": 0.1}})
    assert out.attrs["kamseg_health_weights"] == pytest.approx(
        {"recency": 0.25 / 0.45 * 0.9, "p_alive": 0.2 / 0.45 * 0.9, "x": 0.1}
    )
    assert sum(out.attrs["kamseg_health_weights"].values()) == pytest.approx(1.0)


def test_custom_bands_and_labels() -> None:
    out = unit_scores([0.0, 0.2, 0.2 - 1e-12, 0.5, 1.0], bands={"low": 0, "mid": 20, "top": 50})
    assert [str(b) for b in out["health_band"]] == ["low", "mid", "low", "top", "top"]
    assert list(out["health_band"].cat.categories) == ["low", "mid", "top"]
    zh = unit_scores([0.1, 0.5, 0.9], labels="zh")
    assert [str(b) for b in zh["health_band"]] == ["红灯", "黄灯", "绿灯"]
    zh2 = health_score(customers(p_alive=[0.3]), components=["p_alive"], labels="zh")
    assert zh2["health_drivers"].tolist() == ["存活概率 −70"]


def test_all_unknown_gives_nan_score_and_band() -> None:
    out = health_score(customers(p_alive=[np.nan, 0.5]), components=["p_alive"])
    assert np.isnan(out["health_score"].iloc[0])
    assert pd.isna(out["health_band"].iloc[0])
    assert out["health_drivers"].tolist() == ["", "P(alive) −50"]


def test_new_frame_index_order_overwrite() -> None:
    df = customers(overdue_ratio=[2.0, 1.0, 3.0], p_alive=[0.1, 0.9, 0.5])
    df.index = pd.Index([30, 10, 20], name="customer_id")
    df.attrs = {"as_of": "2024-12-31"}
    before = df.copy()
    out = health_score(df, components=["recency", "p_alive"])
    pd.testing.assert_frame_equal(df, before)
    assert df.attrs == {"as_of": "2024-12-31"}
    assert out.index.tolist() == [30, 10, 20]
    assert out.attrs["as_of"] == "2024-12-31"
    with pytest.raises(ConfigError, match="overwrite=True"):
        health_score(out, components=["recency", "p_alive"])
    again = health_score(out, components=["recency", "p_alive"], overwrite=True)
    pd.testing.assert_series_equal(again["health_score"], out["health_score"])


# --------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------

finite = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
INPUTS = {
    # column: (strategy, direction: +1 if a larger value is healthier)
    "overdue_ratio": (st.floats(min_value=0.0, max_value=50.0), -1),
    "frequency_trend": (st.floats(min_value=-1.0, max_value=5.0), 1),
    "spend_trend": (st.floats(min_value=-2.0, max_value=5.0), 1),
    "p_alive": (finite, 1),
    "satisfaction_score": (finite, 1),
    "recent_complaints": (st.integers(min_value=0, max_value=20), -1),
}


@st.composite
def row_and_change(draw: st.DrawFn) -> tuple[dict[str, float], str, float]:
    row = {c: float(draw(s)) for c, (s, _) in INPUTS.items()}
    col = draw(st.sampled_from(sorted(INPUTS)))
    other = float(draw(INPUTS[col][0]))
    return row, col, other


@settings(max_examples=150, deadline=None)
@given(row_and_change())
def test_score_is_monotone_in_each_component(case: tuple[dict[str, float], str, float]) -> None:
    row, col, other = case
    worse, better = sorted([row[col], other], key=lambda v: INPUTS[col][1] * v)
    df = pd.DataFrame([{**row, col: worse}, {**row, col: better}])
    out = health_score(df, components=list(HEALTH_COMPONENTS))
    low, high = out["health_score"].tolist()
    assert high >= low - 1e-9
    assert 0.0 <= low <= 100.0 and 0.0 <= high <= 100.0


@st.composite
def band_bounds(draw: st.DrawFn) -> dict[str, float]:
    inner = draw(
        st.lists(st.floats(min_value=0.0, max_value=100.0), min_size=0, max_size=5, unique=True)
    )
    lows = [0.0, *sorted(x for x in inner if x > 0)]
    return {f"b{i}": lo for i, lo in enumerate(lows)}


@settings(max_examples=150, deadline=None)
@given(band_bounds(), st.lists(finite, min_size=1, max_size=20))
def test_bands_cover_0_to_100_exactly_once(bands: dict[str, float], xs: list[float]) -> None:
    lows = list(bands.values())
    # the band bounds themselves and the ends are the critical points
    xs = [*xs, 0.0, 1.0, *(lo / 100 for lo in lows)]
    out = unit_scores(xs, bands=bands)
    for score, band in zip(out["health_score"], out["health_band"], strict=True):
        containing = [
            name
            for i, (name, lo) in enumerate(bands.items())
            if lo <= score and (score < lows[i + 1] if i + 1 < len(lows) else score <= 100)
        ]
        assert containing == [band]


def test_default_tables() -> None:
    assert sum(DEFAULT_WEIGHTS.values()) == pytest.approx(1.0)
    assert set(DEFAULT_WEIGHTS) == set(HEALTH_COMPONENTS)
    assert dict(DEFAULT_BANDS) == {"red": 0.0, "amber": 40.0, "green": 70.0}
    with pytest.raises(TypeError):
        DEFAULT_WEIGHTS["recency"] = 1.0  # type: ignore[index]


# --------------------------------------------------------------------------------------
# early warnings
# --------------------------------------------------------------------------------------


def test_early_warnings_by_hand() -> None:
    df = pd.DataFrame(
        {
            "days_since_last": [10, 90, 300],
            "tenure_days": [400, 390, 300],
            "frequency": [13, 5, 0],
        },
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )
    df.attrs = {"as_of": "2024-12-31"}
    tx = transactions(
        {
            # first purchase 400 days ago (two windows covered); spend 40 vs 100: -60 %
            "a": [(10, 40.0), (190, 100.0), (400, 5.0)],
            "b": [(90, 75.0), (200, 100.0)],  # first purchase 200 days ago: no trend
            # a single purchase 300 days ago, less than two windows: no trend, no drop
            "c": [(300, 10.0)],
        }
    )
    surveys = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "c"],
            "date": ["2024-01-01", "2024-12-01", "2024-06-01", "2024-11-01", "2024-12-20"],
            "nps": [8, 6, 5, 3, 10],
        }
    )
    complaints = pd.DataFrame(
        {
            "customer_id": ["a", "c", "c"],
            "date": ["2023-05-01", "2024-02-01", "2024-12-30"],
            "resolved": [True, False, None],
        }
    )
    out = early_warnings(
        df, transactions=tx, surveys=surveys, complaints=complaints, min_trend_orders=2
    )
    # a: gap (400 - 10) / 13 = 30, ratio 1/3; b: gap 300 / 5 = 60, ratio 1.5; c: single,
    # median gap of the repeat buyers 45, ratio 300 / 45 = 6.7
    assert out["warn_spend_drop"].tolist() == [True, False, False]
    assert out["warn_overdue"].tolist() == [False, False, True]
    # a became a detractor (8 -> 6); b was one already (5 -> 3); c is a promoter
    assert out["warn_detractor"].tolist() == [True, False, False]
    assert out["warn_open_complaint"].tolist() == [False, False, True]
    assert out["n_warnings"].tolist() == [2, 0, 2]
    assert out["n_warnings"].dtype == np.int64
    assert out["warning_reasons"].tolist() == [
        "spend in the last 180 days down 60% on the 180 days before (100 → 40); "
        "NPS 6 on 2024-12-01 (was 8)",
        "",
        "no purchase for 300 days, 6.7× the usual gap of 45 days; "
        "2 open complaints, oldest 2024-02-01",
    ]
    assert out.attrs["kamseg_warnings_checked"] == [
        "spend_drop",
        "overdue",
        "detractor",
        "open_complaint",
    ]
    with pytest.warns(KamsegWarning, match="not made.*spend_drop.*open_complaint"):
        latest = early_warnings(df, surveys=surveys, detractor="latest", overdue_multiple=1.2)
    assert latest["warn_detractor"].tolist() == [True, True, False]
    assert latest["warn_overdue"].tolist() == [False, True, True]
    assert latest.attrs["kamseg_warnings_checked"] == ["overdue", "detractor"]
    with pytest.warns(KamsegWarning, match="not made"):
        zh = early_warnings(df, complaints=complaints, labels="zh", overdue_multiple=10)
    assert zh["warning_reasons"].tolist()[2] == "2 条未解决投诉，最早于 2024-02-01"


def test_early_warnings_windows_and_resolved_none() -> None:
    df = pd.DataFrame({"overdue_ratio": [1.0, 1.0]}, index=pd.Index([1, 2], name="customer_id"))
    surveys = pd.DataFrame(
        # customer 1's detractor answer is older than the 180-day window
        {
            "customer_id": [1, 2, 2],
            "date": ["2024-06-01", "2024-12-01", "2024-12-01"],
            "nps": [2, 4, 9],
        }
    )
    complaints = pd.DataFrame({"customer_id": [1, 2], "date": ["2024-01-01", "2024-12-01"]})
    with pytest.warns(KamsegWarning, match="spend_drop"):
        out = early_warnings(
            df, surveys=surveys, complaints=complaints, resolved_col=None, as_of=AS_OF
        )
    # customer 2: two answers on one day, mean 6.5: below 7, a detractor by the one NPS rule
    # of kamseg.features (promoters >= 9, passives 7 to < 9, detractors < 7)
    assert out["warn_detractor"].tolist() == [False, True]
    # resolved_col=None: complaints of the last 180 days count as open
    assert out["warn_open_complaint"].tolist() == [False, True]


def test_early_warnings_side_table_exclusions() -> None:
    df = pd.DataFrame({"overdue_ratio": [1.0]}, index=pd.Index(["a"], name="customer_id"))
    surveys = pd.DataFrame(
        {
            "customer_id": ["a", "a", "zz"],
            "date": ["2024-12-01", "2025-02-01", "2024-12-01"],
            "nps": [3, 10, 1],
        }
    )
    with pytest.warns(KamsegWarning) as record:
        out = early_warnings(df, surveys=surveys, as_of=AS_OF)
    messages = " | ".join(str(w.message) for w in record)
    assert "excluded 1 row(s) of `surveys` dated after as_of 2024-12-31" in messages
    assert "not in `customers`" in messages
    assert out["warn_detractor"].tolist() == [True]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"spend_drop": 0}, ConfigError, "spend_drop"),
        ({"spend_drop": 1.5}, ConfigError, "spend_drop"),
        ({"overdue_multiple": -1}, ConfigError, "overdue_multiple"),
        ({"detractor": "ever"}, ConfigError, "detractor"),
        ({"window_days": 0}, ConfigError, "window_days"),
        (
            {"surveys": pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"], "nps": [11]})},
            SchemaError,
            "whole numbers from 0 to 10",
        ),
        (
            {"surveys": pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"]})},
            ColumnNotFoundError,
            "'nps'",
        ),
        (
            {
                "complaints": pd.DataFrame(
                    {"customer_id": ["a"], "date": ["2024-01-01"], "resolved": ["no"]}
                )
            },
            SchemaError,
            "must be boolean",
        ),
        (
            {
                "complaints": pd.DataFrame(
                    {"customer_id": [None], "date": ["2024-01-01"], "resolved": [True]}
                )
            },
            SchemaError,
            "null",
        ),
    ],
)
def test_early_warnings_errors(kwargs: dict[str, Any], error: type, match: str) -> None:
    df = pd.DataFrame(
        {"overdue_ratio": [1.0], "spend_trend": [0.0]},
        index=pd.Index(["a"], name="customer_id"),
    )
    with pytest.raises(error, match=match):
        early_warnings(df, **kwargs)


def test_early_warnings_overwrite_and_no_mutation(demo_data: kamseg.datasets.Dataset) -> None:
    c = kamseg.summarize(demo_data.transactions, as_of=demo_data.as_of)
    before = c.copy()
    out = early_warnings(
        c,
        transactions=demo_data.transactions,
        surveys=demo_data.surveys,
        complaints=demo_data.complaints,
    )
    pd.testing.assert_frame_equal(c, before)
    assert list(out.columns[-len(WARNING_COLUMNS) :]) == list(WARNING_COLUMNS)
    assert (out["n_warnings"] == out[list(WARNING_COLUMNS[:4])].sum(axis=1)).all()
    assert ((out["warning_reasons"] == "") == (out["n_warnings"] == 0)).all()
    # the overdue flag mostly catches true dropouts
    alive = demo_data.truth.loc[out.index, "alive"].to_numpy()
    assert out["warn_overdue"][~alive].mean() > 2 * out["warn_overdue"][alive].mean()
    with pytest.raises(ConfigError, match="overwrite=True"):
        early_warnings(
            out,
            transactions=demo_data.transactions,
            surveys=demo_data.surveys,
            complaints=demo_data.complaints,
        )


@pytest.mark.parametrize("labels", ["en", "zh"])
def test_warning_reasons_made_in_blocks_are_those_of_one_pass(
    demo_data: kamseg.datasets.Dataset, monkeypatch: pytest.MonkeyPatch, labels: str
) -> None:
    """The reasons are made a block of customers at a time (memory): blocks of 7 customers
    give the texts of one pass over the 2,000, every check raised somewhere, two or more
    flags joined."""
    from kamseg import _tables

    c = kamseg.summarize(demo_data.transactions, as_of=demo_data.as_of)
    sides = {"surveys": demo_data.surveys, "complaints": demo_data.complaints}
    one = early_warnings(c, transactions=demo_data.transactions, labels=labels, **sides)
    monkeypatch.setattr(_tables, "REASON_BLOCK", 7)
    blocks = early_warnings(c, transactions=demo_data.transactions, labels=labels, **sides)
    pd.testing.assert_frame_equal(blocks, one, check_exact=True)
    assert one[list(WARNING_COLUMNS[:4])].any().all()
    assert (one["n_warnings"] >= 2).sum() >= 10
    assert one["warning_reasons"].dtype == text_dtype()


def text_dtype() -> Any:
    """pandas' default text dtype (``str`` on pandas 3)."""
    return pd.Series(["a"], dtype=object).astype(str).dtype


def test_an_uninformative_p_alive_is_left_out_by_default() -> None:
    customers = pd.DataFrame(
        {
            "days_since_last": [10, 300],
            "tenure_days": [400, 400],
            "frequency": [8, 8],
            "p_alive": [0.99, 0.98],
        },
        index=pd.Index(["a", "b"], name="customer_id"),
    )
    with pytest.warns(KamsegWarning, match="skipped the component"):  # no trends etc.
        informative = health_score(customers)
    assert "health_p_alive" in informative.columns
    customers.attrs["kamseg_p_alive_informative"] = False  # as kamseg.clv.predict marks it
    with pytest.warns(KamsegWarning, match="p_alive .needs a 'p_alive' that tells customers"):
        out = health_score(customers)
    assert "health_p_alive" not in out.columns
    np.testing.assert_allclose(out["health_score"], 100 * out["health_recency"])
    # named explicitly, it is used
    assert "health_p_alive" in health_score(customers, components=["recency", "p_alive"])


# --- the warnings' number texts, made once per distinct value ---------------------------


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=50))
@settings(max_examples=200, deadline=None)
def test_warning_numbers_are_the_f_string_texts(values: list[float]) -> None:
    from kamseg.alerts import _fmt

    edges = [-0.0, 0.0, -0.3, -0.5, 0.5, 1.5, 2.5, -2.5, 1e20, 123456.5]
    x = np.asarray(values + edges, dtype=np.float64)
    assert _fmt(x) == [f"{v:.0f}" for v in x.tolist()]


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=50))
@settings(max_examples=200, deadline=None)
@example([x / 100 for x in range(0, 1001, 5)])  # every half tenth from 0 to 10
def test_warning_ratios_are_the_f_string_texts(values: list[float]) -> None:
    from kamseg.alerts import _ratio_text

    # halves of a tenth in binary (0.25, 0.75, 9.75: ties, to even), just below and
    # above 10, signed zeros, tiny and negative ratios
    edges = [0.25, 0.75, 9.75, 0.05, 0.15, 9.95, 9.96, 9.9999999, 10.0, 10.5, 11.5]
    edges += [-0.0, 0.0, 5e-324, 0.04999999999999999, -0.04, -3.25, 2.0000000001]
    x = np.asarray(values + edges, dtype=np.float64)
    expected = [f"{v:.1f}" if v < 10 else f"{v:.0f}" for v in x.tolist()]
    assert _ratio_text(x).tolist() == expected


def test_warning_templates_filled_by_columns() -> None:
    from kamseg.alerts import _WARN_TEXT, _fill

    rng = np.random.default_rng(0)
    words = np.array(["0", "12", "3.5", "nan", "2024-01-31", "{x}", "", "95"], dtype=object)
    for key, templates in _WARN_TEXT.items():
        for template in templates:
            names = set(re.findall(r"{(\w+)}", template))
            fields = {name: words[rng.integers(0, words.size, 40)] for name in names}
            got = _fill(template, 40, **fields)
            rows = [{k: v[i] for k, v in fields.items()} for i in range(40)]
            assert got.tolist() == [template.format(**row) for row in rows], key
    assert _fill("no fields", 2).tolist() == ["no fields", "no fields"]
    assert _fill("{a} and {a}", 1, a="x").tolist() == ["x and x"]
