"""Fit once, apply anywhere (issue 15): the health score and the early warnings.

``fit_health_score`` / ``fit_early_warnings`` freeze what the scores take from the base;
``apply`` is row-wise. Checked here: (a) apply on the base equals the functions of before
the split (md5 digests of their outputs and warnings, frozen from the code before it), on
realistic and tie-heavy data; (b) any subset, in any order, gets exactly its rows of the
whole table's output; (c) new customers and changed values, worked out by hand; (d) the
fits survive ``kamseg._state`` round trips.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg
from kamseg import _state
from kamseg.alerts import EarlyWarningFit, early_warnings, fit_early_warnings
from kamseg.errors import ColumnNotFoundError, KamsegWarning
from kamseg.health import HealthFit, fit_health_score, health_score

# --------------------------------------------------------------------------------------
# scenarios: realistic data (kamseg.datasets) and tie-heavy variants
# --------------------------------------------------------------------------------------

FOUR = ["recency", "spend_trend", "p_alive", "complaints"]


@cache
def _data(n: int, seed: int) -> Any:
    return kamseg.datasets.make_transactions(n_customers=n, seed=seed)


def base_table(n: int = 300, seed: int = 3, freq: str = "D") -> tuple[Any, Any, pd.DataFrame]:
    data = _data(n, seed)
    prepared = kamseg.prepare_transactions(data.transactions, as_of=data.as_of)
    c = kamseg.summarize(prepared, freq=freq)
    rng = np.random.default_rng(seed)
    m = len(c)
    c["p_alive"] = rng.uniform(0, 1, m).round(3)
    sat = rng.uniform(size=m).round(1)
    c["satisfaction_score"] = np.where(rng.uniform(size=m) < 0.3, np.nan, sat)
    c["recent_complaints"] = rng.poisson(0.3, m).astype(float)
    c["loyalty"] = rng.normal(size=m)
    tier = rng.integers(0, 4, m).astype(float)
    c["tier"] = np.where(rng.uniform(size=m) < 0.1, np.nan, tier)
    return data, prepared, c


def health_cases() -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    data, prepared, c = base_table()
    ties = c.copy()
    ties["days_since_last"] = (ties["days_since_last"] // 60 * 60).astype(
        ties["days_since_last"].dtype
    )
    ties["p_alive"] = ties["p_alive"].round(1)
    _, wprep, weekly = base_table(freq="W")
    bare = c.copy()
    bare.attrs = {}
    cols = c.copy()
    rhythm = kamseg.features.purchase_rhythm(c)
    cols["overdue_ratio"] = rhythm["overdue_ratio"].round(1)
    cols["spend_trend"] = (np.arange(len(c)) % 7 - 3) / 10.0
    cols.attrs = {**c.attrs, "kamseg_p_alive_informative": False}
    return {
        "realistic": (
            c,
            {
                "transactions": data.transactions,
                "extra": {
                    "loyalty": {"weight": 0.1},
                    "revenue": {"weight": 0.05, "direction": "min", "scale": "minmax"},
                },
            },
        ),
        "ties": (
            ties,
            {
                "transactions": prepared,
                "extra": {"tier": {"weight": 0.2, "direction": "min"}},
                "labels": "zh",
                "bands": {"bad": 0, "meh": 50.5, "good": 80},
                "top_drivers": 3,
                "min_coverage": 0.6,
            },
        ),
        "weekly": (
            weekly,
            {
                "transactions": wprep,
                "components": ["recency", "spend_trend", "frequency_trend"],
                "window_days": 120,
                "min_trend_orders": 2,
            },
        ),
        "no_as_of": (
            bare,
            {
                "transactions": data.transactions,
                "weights": {"recency": 0.4, "spend_trend": 0.3, "frequency_trend": 0.3},
            },
        ),
        "columns": (cols, {"extra": {"tier": {"weight": 0.1, "scale": "minmax"}}}),
        "subset_as_of": (
            c.iloc[::2],
            {"transactions": data.transactions, "as_of": "2024-09-30", "components": FOUR},
        ),
    }


def warning_cases() -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    data, _, c = base_table()
    _, wprep, weekly = base_table(freq="W")
    bare = c.copy()
    bare.attrs = {}
    cols = c.copy()
    rhythm = kamseg.features.purchase_rhythm(c)
    cols["usual_gap_days"] = rhythm["usual_gap_days"]
    cols["overdue_ratio"] = rhythm["overdue_ratio"].round(1)
    cols["spend_trend"] = (np.arange(len(c)) % 7 - 3) / 10.0
    return {
        "realistic": (
            c,
            {
                "transactions": data.transactions,
                "surveys": data.surveys,
                "complaints": data.complaints,
            },
        ),
        "no_as_of": (
            bare,
            {
                "transactions": data.transactions,
                "surveys": data.surveys,
                "complaints": data.complaints,
                "detractor": "latest",
                "resolved_col": None,
                "labels": "zh",
                "spend_drop": 0.1,
                "overdue_multiple": 1.5,
                "window_days": 90,
                "min_trend_orders": 2,
            },
        ),
        "columns": (cols, {"surveys": data.surveys, "overdue_multiple": 1.0}),
        "weekly": (weekly, {"transactions": wprep, "complaints": data.complaints}),
        "subset_as_of": (
            c.iloc[::2],
            {
                "transactions": data.transactions,
                "surveys": data.surveys,
                "complaints": data.complaints,
                "as_of": "2024-09-30",
            },
        ),
    }


def digest(out: pd.DataFrame) -> str:
    """md5 of a frame: columns, index, dtypes, exact values (categories and codes), attrs."""
    h = hashlib.md5()
    h.update(repr(list(out.columns)).encode())
    h.update(repr(out.index.tolist()).encode())
    for col in out.columns:
        s = out[col]
        h.update(f"|{col}|{s.dtype}|".encode())
        if isinstance(s.dtype, pd.CategoricalDtype):
            h.update(repr(list(s.cat.categories)).encode())
            h.update(s.cat.codes.to_numpy().tobytes())
        elif s.dtype.kind in "biufM":
            h.update(np.ascontiguousarray(s.to_numpy()).tobytes())
        else:
            h.update("\x1f".join(map(str, s.tolist())).encode())
    h.update(repr(sorted((k, repr(v)) for k, v in out.attrs.items())).encode())
    return h.hexdigest()


def run(func: Any, *args: Any, **kw: Any) -> tuple[Any, list[str]]:
    """`func(*args, **kw)` and the messages of the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = func(*args, **kw)
    return out, [str(w.message) for w in caught]


def messages_md5(messages: list[str]) -> str:
    return hashlib.md5("\n".join(messages).encode()).hexdigest()


# (digest of the output, md5 of the warning messages) of health_score / early_warnings on
# each scenario, computed by the code before the split (kamseg at the start of issue 15)
# fmt: off
EXPECTED: dict[str, tuple[str, str]] = {
    "health/realistic": ("953fd2d72ebc1b0a78fbe8f5aae29d9f", "d41d8cd98f00b204e9800998ecf8427e"),
    "health/ties": ("644b479e97355e17a5eb8bc7255ee5bf", "d41d8cd98f00b204e9800998ecf8427e"),
    "health/weekly": ("70461b23cb2869c29a0dfc6dcdabba10", "d41d8cd98f00b204e9800998ecf8427e"),
    "health/no_as_of": ("26abf38d6c5a8e4740fb7a05c2cba8c8", "d41d8cd98f00b204e9800998ecf8427e"),
    "health/columns": ("d80aa46d26b26bb9b28703d9c88a20a0", "1d4ecb4adbee5a25df6a8f57d185e6d7"),
    "health/subset_as_of": (
        "e7676d348c84e6b07d0b149cda8f9a31",
        "b0ea4f0723c319b6e9ed0a1157515058",
    ),
    "alerts/realistic": ("911c1b46a007bdd7db0fe2317560a810", "d41d8cd98f00b204e9800998ecf8427e"),
    "alerts/no_as_of": ("7ddca5ed938045da2868ed199b0e7223", "d41d8cd98f00b204e9800998ecf8427e"),
    "alerts/columns": ("556b45e6d1f0d57fda7c915d63284e5a", "415b22116361c0a2240b0ceb512f6b52"),
    "alerts/weekly": ("82086b03bdba595c85b918428fb02fcc", "2222f92472d57db85c2f87500b4c9fd5"),
    "alerts/subset_as_of": (
        "993867c1566e87f8c469fb50084dde6a",
        "611815bd46c3b4024aa2214f573487ff",
    ),
}


def health_inputs(name: str) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    """A health scenario: table, the fit's options, the apply's data."""
    table, kw = health_cases()[name]
    options = {k: v for k, v in kw.items() if k != "transactions"}
    return table, options, {"transactions": kw.get("transactions")}


SIDE = ("transactions", "surveys", "complaints")


def warning_inputs(name: str) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    """An early-warnings scenario: table, the fit's options, the apply's data."""
    table, kw = warning_cases()[name]
    return table, {k: v for k, v in kw.items() if k not in SIDE}, {k: kw.get(k) for k in SIDE}


# --------------------------------------------------------------------------------------
# (a) apply on the base == the functions before the split
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(health_cases()))
def test_health_score_is_unchanged(name: str) -> None:
    table, kw = health_cases()[name]
    out, messages = run(health_score, table, **kw)
    assert (digest(out), messages_md5(messages)) == EXPECTED[f"health/{name}"]


@pytest.mark.parametrize("name", list(health_cases()))
def test_health_fit_applied_to_its_base_is_health_score(name: str) -> None:
    table, options, data = health_inputs(name)
    fit, _ = run(fit_health_score, table, **options, **data)
    out, _ = run(fit.apply, table, **data)
    assert digest(out) == EXPECTED[f"health/{name}"][0]


@pytest.mark.parametrize("name", list(warning_cases()))
def test_early_warnings_are_unchanged(name: str) -> None:
    table, kw = warning_cases()[name]
    out, messages = run(early_warnings, table, **kw)
    assert (digest(out), messages_md5(messages)) == EXPECTED[f"alerts/{name}"]


@pytest.mark.parametrize("name", list(warning_cases()))
def test_warning_fit_applied_to_its_base_is_early_warnings(name: str) -> None:
    table, options, data = warning_inputs(name)
    fit, _ = run(fit_early_warnings, table, **options, **data)
    out, _ = run(fit.apply, table, **data)
    assert digest(out) == EXPECTED[f"alerts/{name}"][0]


def test_scenarios_are_not_vacuous() -> None:
    """The digests cover trends, ranks with ties, every flag, and learned values."""
    table, options, data = health_inputs("ties")
    fit, _ = run(fit_health_score, table, **options, **data)
    assert fit.base_gap is not None and fit.extras[0].scale == "rank"
    assert table["tier"].duplicated().sum() > 100 and table["tier"].isna().any()
    table, kw = health_cases()["realistic"]
    out, _ = run(health_score, table, **kw)
    assert out["health_spend_trend"].notna().sum() > 20
    assert out["health_frequency_trend"].notna().sum() > 20
    bare, options, data = warning_inputs("no_as_of")
    wfit, _ = run(fit_early_warnings, bare, **options, **data)
    assert None not in (wfit.fitted_as_of, wfit.surveys_as_of, wfit.complaints_as_of)
    assert wfit.base_gap is not None
    flags, _ = run(
        early_warnings, *warning_cases()["realistic"][:1], **warning_cases()["realistic"][1]
    )
    for col in ("warn_spend_drop", "warn_overdue", "warn_detractor", "warn_open_complaint"):
        assert flags[col].any(), col


# --------------------------------------------------------------------------------------
# (b) row-wise: any subset, in any order
# --------------------------------------------------------------------------------------


def own_rows(data: dict[str, Any], ids: pd.Index) -> dict[str, Any]:
    """The side tables restricted to the customers `ids` (prepared transactions as they are)."""
    out = {}
    for k, v in data.items():
        if isinstance(v, pd.DataFrame):
            v = v[v["customer_id"].isin(ids)]
        out[k] = v
    return out


@cache
def health_fitted(name: str) -> tuple[HealthFit, pd.DataFrame]:
    table, options, data = health_inputs(name)
    fit, _ = run(fit_health_score, table, **options, **data)
    whole, _ = run(fit.apply, table, **data)
    return fit, whole


@cache
def warning_fitted(name: str) -> tuple[EarlyWarningFit, pd.DataFrame]:
    table, options, data = warning_inputs(name)
    fit, _ = run(fit_early_warnings, table, **options, **data)
    whole, _ = run(fit.apply, table, **data)
    return fit, whole


def positions(n: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, n - 1), min_size=1, max_size=30, unique=True)


@pytest.mark.parametrize("name", ["realistic", "ties", "weekly", "no_as_of", "columns"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_health_apply_is_row_wise(name: str, data: st.DataObject) -> None:
    fit, whole = health_fitted(name)
    table, _, side = health_inputs(name)
    at = data.draw(positions(len(table)))
    part = table.iloc[at]
    out, _ = run(fit.apply, part, **own_rows(side, part.index))
    pd.testing.assert_frame_equal(out, whole.iloc[at], check_exact=True)
    assert out.attrs == whole.attrs


@pytest.mark.parametrize("name", ["realistic", "no_as_of", "columns", "weekly"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_warning_apply_is_row_wise(name: str, data: st.DataObject) -> None:
    fit, whole = warning_fitted(name)
    table, _, side = warning_inputs(name)
    at = data.draw(positions(len(table)))
    part = table.iloc[at]
    out, _ = run(fit.apply, part, **own_rows(side, part.index))
    pd.testing.assert_frame_equal(out, whole.iloc[at], check_exact=True)


def test_shuffled_tables_get_the_same_rows() -> None:
    order = np.random.default_rng(0).permutation
    for name in ("realistic", "ties"):
        fit, whole = health_fitted(name)
        table, _, side = health_inputs(name)
        at = order(len(table))
        out, _ = run(fit.apply, table.iloc[at], **side)
        pd.testing.assert_frame_equal(out, whole.iloc[at], check_exact=True)
    wfit, wwhole = warning_fitted("realistic")
    table, _, side = warning_inputs("realistic")
    at = order(len(table))
    out, _ = run(wfit.apply, table.iloc[at], **side)
    pd.testing.assert_frame_equal(out, wwhole.iloc[at], check_exact=True)


# --------------------------------------------------------------------------------------
# (c) new customers and changed values, by hand
# --------------------------------------------------------------------------------------


def frame(ids: list[str], **cols: list[Any]) -> pd.DataFrame:
    return pd.DataFrame(cols, index=pd.Index(ids, name="customer_id"))


def test_rank_and_minmax_extras_by_hand() -> None:
    base = frame(["a", "b", "c", "d"], loyalty=[1.0, 2.0, 2.0, 4.0], spend=[1.0, 2.0, 2.0, 4.0])
    fit = fit_health_score(base, components=[], extra={"loyalty": {"weight": 1.0}})
    # base ranks: 1 -> 1, the two 2s share (2 + 3) / 2 = 2.5, 4 -> 4; (rank - 1) / 3
    assert fit.apply(base)["health_loyalty"].tolist() == [0.0, 0.5, 0.5, 1.0]
    new = frame(["e", "f", "g", "b", "a"], loyalty=[2.0, 3.0, 0.5, 4.0, np.nan])
    out = fit.apply(new)
    # e (new, 2): base 1, 2, 2, 4 plus 2: one below, two equal -> rank 1 + 1 + 2/2 = 3 of 5,
    #   (3 - 1) / (5 - 1) = 0.5
    # f (new, 3): three below, none equal -> rank 4 of 5: 3 / 4 = 0.75
    # g (new, 0.5): rank 1 of 5: 0
    # b (was 2, now 4): b's 2 leaves, 4 joins: 1, 2, 4 and 4 -> two below, one equal:
    #   rank 2 + 1 + 1/2 = 3.5 of 4, (3.5 - 1) / 3 = 5/6
    # a (now unknown): NaN sub-score, and no score (no component known)
    assert out["health_loyalty"].tolist()[:4] == [0.5, 0.75, 0.0, 2.5 / 3]
    assert np.isnan(out.loc["a", "health_loyalty"]) and np.isnan(out.loc["a", "health_score"])
    assert out.loc["f", "health_score"] == 75.0

    mm = fit_health_score(
        base,
        components=[],
        extra={"spend": {"weight": 1.0, "scale": "minmax", "direction": "min"}},
    )
    # min 1, max 4: x = 2.5 -> (2.5 - 1) / 3 = 0.5; 10 -> 3 clipped to 1; -1 -> 0;
    # direction "min": 1 - that
    out = mm.apply(frame(["x", "y", "z"], spend=[2.5, 10.0, -1.0]))
    assert out["health_spend"].tolist() == [0.5, 0.0, 1.0]


def summary(ids: list[str], d: list[int], t: list[int], k: list[int]) -> pd.DataFrame:
    return frame(ids, days_since_last=d, tenure_days=t, frequency=k)


def test_base_gap_is_frozen_by_hand() -> None:
    # repeat buyers a: (310 - 10) / 3 = 100 days, c: (650 - 50) / 2 = 300 days; the base
    # gap of single-purchase customers is their median, 200
    base = summary(["a", "b", "c"], [10, 200, 50], [310, 200, 650], [3, 0, 2])
    fit = fit_health_score(base, components=["recency"])
    assert fit.base_gap == 200.0
    # a new single-purchase customer, 300 days ago: overdue ratio 300 / 200 = 1.5, recency
    # sub-score 1 / (1 + 0.5) = 2/3 (scored alone, its own table would have no repeat buyer
    # and give it the 90-day fallback gap instead)
    new = summary(["n"], [300], [300], [0])
    assert fit.apply(new)["health_recency"].tolist() == [1 / 1.5]
    alone = health_score(new, components=["recency"])
    assert alone["health_recency"].tolist() == [pytest.approx(90 / 300)]  # 1 / (300 / 90)
    # a's values change: 250 days since its last purchase, 550 since its first, gap still
    # (550 - 250) / 3 = 100: ratio 2.5 -> 1 / (1 + 1.5) = 0.4
    assert fit.apply(summary(["a"], [250], [550], [3]))["health_recency"].tolist() == [0.4]

    none = {
        "surveys": pd.DataFrame(columns=["customer_id", "date", "nps"]),
        "complaints": pd.DataFrame(columns=["customer_id", "date", "resolved"]),
    }
    wfit = fit_early_warnings(base.assign(spend_trend=0.0), **none)
    assert wfit.base_gap == 200.0
    out = wfit.apply(
        summary(["n", "a"], [500, 250], [500, 550], [0, 3]).assign(spend_trend=0.0), **none
    )
    # n: 500 / 200 = 2.5 > 2; a: 250 / 100 = 2.5 > 2
    assert out["warning_reasons"].tolist() == [
        "no purchase for 500 days, 2.5× the usual gap of 200 days",
        "no purchase for 250 days, 2.5× the usual gap of 100 days",
    ]


def test_learned_observation_days_by_hand() -> None:
    # no as_of anywhere: the checks of each side table end at its latest date in the base
    base = frame(["a", "b"], overdue_ratio=[0.5, 0.5], spend_trend=[0.0, 0.0])
    surveys = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": ["2024-06-01", "2024-12-01"], "nps": [3, 9]}
    )
    complaints = pd.DataFrame({"customer_id": ["b"], "date": ["2024-11-15"], "resolved": [False]})
    kw = {"window_days": 180, "resolved_col": None}
    fit = fit_early_warnings(base, surveys=surveys, complaints=complaints, **kw)
    assert fit.surveys_as_of == pd.Timestamp("2024-12-01")
    assert fit.complaints_as_of == pd.Timestamp("2024-11-15")
    mine = {"surveys": surveys.iloc[:1], "complaints": complaints.iloc[:0]}
    out = fit.apply(base.iloc[:1], **mine)
    # a's detractor answer of 2024-06-01 is 183 days before 2024-12-01: older than the
    # 180-day window, no flag (alone, its own latest date would make it recent)
    assert not out["warn_detractor"].iloc[0]
    alone = early_warnings(base.iloc[:1], **mine, **kw)
    assert alone["warn_detractor"].iloc[0]
    # the table's own as_of wins over the learned day
    dated = base.iloc[:1].copy()
    dated.attrs = {"as_of": "2024-06-30"}
    assert fit.apply(dated, **mine)["warn_detractor"].iloc[0]


def test_health_frozen_choices() -> None:
    base = frame(["a", "b"], overdue_ratio=[0.5, 3.0], p_alive=[0.9, 0.1])
    base.attrs = {"kamseg_p_alive_informative": False}
    with pytest.warns(KamsegWarning, match="tells customers apart"):
        fit = fit_health_score(base)
    assert fit.components == ("recency",) and not fit.p_alive_informative
    fresh = base.copy()
    fresh.attrs = {}
    assert "health_p_alive" not in fit.apply(fresh).columns  # the choice is frozen
    # a fit that read overdue_ratio learned no base gap: the summary columns will not do
    with pytest.raises(ColumnNotFoundError, match="overdue_ratio"):
        fit.apply(summary(["n"], [300], [300], [0]))
    wfit = fit_early_warnings(base, surveys=None, complaints=None, transactions=None)
    with pytest.raises(ColumnNotFoundError, match="overdue_ratio"), warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        wfit.apply(summary(["n"], [300], [300], [0]).assign(spend_trend=0.0))


def test_integer_and_text_ids_find_their_base_row() -> None:
    base = pd.DataFrame({"x": [1.0, 2.0, 3.0]}, index=pd.Index([10, 20, 30], name="id"))
    fit = fit_health_score(base, components=[], extra={"x": {"weight": 1.0}})
    # 20 moves from 2 to 3: others 1, 3 -> one below, one equal: (1 + 0.5) / 2 = 0.75;
    # "20" (text) is the same customer
    ints = fit.apply(pd.DataFrame({"x": [3.0]}, index=pd.Index([20], name="id")))
    text = fit.apply(pd.DataFrame({"x": [3.0]}, index=pd.Index(["20"], name="id")))
    assert ints["health_x"].tolist() == text["health_x"].tolist() == [0.75]


# --------------------------------------------------------------------------------------
# (d) saved and read back
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name"),
    [("health", "realistic"), ("health", "ties"), ("alerts", "no_as_of"), ("alerts", "realistic")],
)
def test_fits_survive_a_round_trip(kind: str, name: str) -> None:
    if kind == "health":
        fit, whole = health_fitted(name)
        table, _, side = health_inputs(name)
    else:
        fit, whole = warning_fitted(name)  # type: ignore[assignment]
        table, _, side = warning_inputs(name)
    again = _state.from_payload(*_state.to_payload(fit))
    buf = io.BytesIO()
    _state.write(buf, fit, {"kind": kind})
    buf.seek(0)
    read = _state.read(buf)
    for other in (again, read):
        assert type(other) is type(fit)
        out, _ = run(other.apply, table, **side)
        pd.testing.assert_frame_equal(out, whole, check_exact=True)
        assert out.attrs == whole.attrs
