"""Tests for the fits of three classification dimensions: value, behaviour, satisfaction.

Each fit freezes what its function learns from the customer base; ``apply`` is row-wise.
(a) apply on the base equals the function's output before the split (md5 digests of the
outputs, computed once with the code before the change); (b) any subset of the rows, in any
order, gets the same rows; (c) hand-worked new and changed customers; (d) saved and loaded.
"""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg
from kamseg import _state
from kamseg.behaviour import BehaviourClassFit, behaviour_class, fit_behaviour_class
from kamseg.errors import ConfigError, EmptyInputError, KamsegWarning, SchemaError
from kamseg.satisfaction import (
    SatisfactionClassFit,
    fit_satisfaction_class,
    satisfaction_class,
)
from kamseg.value import ValueClassFit, fit_value_class, value_class

DATA = kamseg.datasets.make_transactions(n_customers=300, seed=11)
REAL = kamseg.summarize(DATA.transactions, as_of=DATA.as_of, profit_col="profit")
# tie-heavy: values rounded to thousands, at most 4 orders, tenures in steps of 200 days
TIED = REAL.assign(
    revenue=REAL["revenue"].round(-3),
    profit=REAL["profit"].round(-3),
    n_orders=np.minimum(REAL["n_orders"], 4),
    tenure_days=(REAL["tenure_days"] // 200) * 200,
)
SIDES = {"surveys": DATA.surveys, "complaints": DATA.complaints}


def digest(df: pd.DataFrame) -> str:
    """md5 of the columns, dtypes, index, values, categories and attrs of a frame."""
    h = hashlib.md5()
    head = (list(map(str, df.columns)), [str(t) for t in df.dtypes], str(df.index.name), len(df))
    h.update(repr(head).encode())
    h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            h.update(repr((list(df[c].cat.categories), df[c].cat.ordered)).encode())
    h.update(repr(sorted((str(k), str(v)) for k, v in df.attrs.items())).encode())
    return h.hexdigest()


def quiet(f: Callable[..., pd.DataFrame], *args: Any, **kwargs: Any) -> pd.DataFrame:
    """Call f, ignoring kamseg's notices (rows of customers that are not in the table)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        return f(*args, **kwargs)


def no_attrs(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.attrs.clear()
    return out


# the outputs of the functions before the split into fit and apply (see the module doc)
VALUE_CASES = {
    ("real", "share"): "ab036d2e6b854ec07784e922fbe9d3f2",
    ("real", "quantile"): "f6da4e6a54255c573a3a3f1d283bacfa",
    ("tied", "share"): "24b2797bb6acb2b269869f07e1da87d8",
    ("tied", "quantile"): "9d399df6599ac08b7df334885bff4fb3",
}
BEHAVIOUR_CASES = {
    ("real", "median"): "dbb615bf303e3f8bd7e6ca633781c9df",
    ("real", "q75"): "9a7dbd57ed45997e7ad3f947d7a53c47",
    ("tied", "median"): "6ff2ccf79b8c7aa26366da19d5d4207f",
    ("tied", "q75"): "38347a250ff6c6fa1d59ea27f8326e70",
}
SATISFACTION_CASES = {
    ("real", "latest"): "b9ba77cc9d733adc518fe60164d581e6",
    ("real", "weighted"): "5dcd99f3e899a9a8ad76d1cebd94bf06",
    ("real", "no_as_of"): "0491b3c8355e17abdd4042e260dbbf11",
    ("tied", "latest"): "183fccccdbd719650aadcb5674e0ac8f",
}
MASTER_DIGEST = "e66a0a4047857d3112c320db6901c196"

BASES = {"real": REAL, "tied": TIED}
VALUE_KW: dict[str, dict[str, Any]] = {
    "share": {"profit_col": "profit", "action": True},
    "quantile": {"method": "quantile", "cutoffs": (0.3, 0.6), "labels": "zh"},
}
BEHAVIOUR_KW: dict[str, dict[str, Any]] = {
    "median": {"action": True},
    "q75": {"frequent_quantile": 0.75, "min_tenure_days": 60, "labels": "zh"},
}
SATISFACTION_KW: dict[str, dict[str, Any]] = {
    "latest": {"action": True},
    "weighted": {"method": "weighted", "half_life_days": 60, "severe": ("high", "medium")},
    "no_as_of": {"csat_col": None},
}


def satisfaction_base(name: str, case: str) -> pd.DataFrame:
    base = BASES[name]
    return no_attrs(base) if case == "no_as_of" else base


# --------------------------------------------------------------------------------------
# (a) apply on the base == the function before the split
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "case"), list(VALUE_CASES))
def test_value_apply_on_the_base_is_the_old_output(name: str, case: str) -> None:
    base, kw = BASES[name], VALUE_KW[case]
    out = fit_value_class(base, **kw).apply(base)
    assert digest(out) == VALUE_CASES[name, case]
    pd.testing.assert_frame_equal(out, value_class(base, **kw))


@pytest.mark.parametrize(("name", "case"), list(BEHAVIOUR_CASES))
def test_behaviour_apply_on_the_base_is_the_old_output(name: str, case: str) -> None:
    base, kw = BASES[name], BEHAVIOUR_KW[case]
    out = fit_behaviour_class(base, **kw).apply(base)
    assert digest(out) == BEHAVIOUR_CASES[name, case]
    pd.testing.assert_frame_equal(out, behaviour_class(base, **kw))
    assert out.attrs == behaviour_class(base, **kw).attrs


def test_behaviour_with_master_is_the_old_output() -> None:
    fit = quiet(fit_behaviour_class, TIED, master=DATA.master)
    out = quiet(fit.apply, TIED, master=DATA.master)
    assert digest(out) == MASTER_DIGEST
    pd.testing.assert_frame_equal(out, quiet(behaviour_class, TIED, master=DATA.master))


@pytest.mark.parametrize(("name", "case"), list(SATISFACTION_CASES))
def test_satisfaction_apply_on_the_base_is_the_old_output(name: str, case: str) -> None:
    base, kw = satisfaction_base(name, case), SATISFACTION_KW[case]
    fit = quiet(fit_satisfaction_class, base, **SIDES, **kw)
    out = quiet(fit.apply, base, **SIDES)
    assert digest(out) == SATISFACTION_CASES[name, case]
    pd.testing.assert_frame_equal(out, quiet(satisfaction_class, base, **SIDES, **kw))


def test_satisfaction_without_as_of_freezes_the_latest_date() -> None:
    fit = fit_satisfaction_class(no_attrs(REAL), **SIDES)
    latest = max(pd.to_datetime(DATA.surveys["date"]).max(), DATA.complaints["date"].max())
    assert fit.as_of == latest.normalize()
    dated = fit_satisfaction_class(REAL, **SIDES)  # summarize's attrs["as_of"]
    assert dated.as_of == pd.Timestamp(DATA.as_of)


def test_notices_are_given_once_and_point_at_the_caller() -> None:
    master = DATA.master.index[DATA.master.index != REAL.index[0]]  # one customer unknown
    unknown = DATA.surveys.head(1).assign(customer_id=-1)  # a survey of no customer
    sides = {**SIDES, "surveys": pd.concat([DATA.surveys, unknown], ignore_index=True)}
    with warnings.catch_warnings(record=True) as batch:
        warnings.simplefilter("always")
        satisfaction_class(REAL, **sides)
        behaviour_class(TIED, master=master)
    with warnings.catch_warnings(record=True) as fitted:
        warnings.simplefilter("always")
        fit = fit_satisfaction_class(REAL, **sides)  # reads no rows: no notice
        assert not fitted
        fit.apply(REAL, **sides)
        fit_behaviour_class(TIED, master=master).apply(TIED, master=master)
    messages = [str(w.message) for w in batch]
    assert len(messages) == len(set(messages)) >= 2
    assert len(fitted) == len(messages) + 1  # the master's notice: from the fit and the apply
    assert {w.filename for w in batch + fitted} == {__file__}


# --------------------------------------------------------------------------------------
# (b) row-wise: any subset, in any order
# --------------------------------------------------------------------------------------

FITS = {
    "value": fit_value_class(TIED, **VALUE_KW["share"]),
    "value_q": fit_value_class(REAL, **VALUE_KW["quantile"]),
    "behaviour": fit_behaviour_class(TIED, **BEHAVIOUR_KW["median"]),
    "satisfaction": quiet(fit_satisfaction_class, REAL, **SIDES, **SATISFACTION_KW["weighted"]),
}


def apply(key: str, customers: pd.DataFrame) -> pd.DataFrame:
    fit = FITS[key]
    if isinstance(fit, SatisfactionClassFit):
        return quiet(fit.apply, customers, **SIDES)
    return fit.apply(customers)


FULL = {key: apply(key, TIED if key in ("value", "behaviour") else REAL) for key in FITS}


@settings(max_examples=25, deadline=None)
@given(
    key=st.sampled_from(sorted(FITS)),
    rows=st.lists(st.integers(0, len(REAL) - 1), unique=True, max_size=40),
)
def test_apply_is_row_wise(key: str, rows: list[int]) -> None:
    base = TIED if key in ("value", "behaviour") else REAL
    pd.testing.assert_frame_equal(apply(key, base.iloc[rows]), FULL[key].iloc[rows])


@pytest.mark.parametrize("key", sorted(FITS))
def test_apply_shuffled_gives_the_same_rows(key: str) -> None:
    base = TIED if key in ("value", "behaviour") else REAL
    order = np.random.default_rng(5).permutation(len(base))
    pd.testing.assert_frame_equal(apply(key, base.iloc[order]), FULL[key].iloc[order])


# --------------------------------------------------------------------------------------
# (c) hand-worked new and changed customers
# --------------------------------------------------------------------------------------

SMALL = pd.DataFrame(
    {"revenue": [500.0, 80.0, 300.0, 20.0, 40.0]},
    index=pd.Index(list("abcde"), name="customer_id"),
)


def test_value_share_thresholds_by_hand() -> None:
    # n = 5: k_high = ceil(0.2 * 5) = 1, k_top = ceil(0.5 * 5) = 3; sorted 500 300 80 40 20:
    # high from the 1st largest (500), medium from the 3rd largest (80)
    fit = fit_value_class(SMALL)
    assert (fit.high_min, fit.top_min) == (500.0, 80.0)
    # a new customer z with 100 (80 <= 100 < 500: medium); e changed 40 -> 600 (high);
    # b unchanged (80: medium); a zero is low
    new = pd.DataFrame(
        {"revenue": [100.0, 600.0, 80.0, 0.0]}, index=pd.Index(list("zeby"), name="customer_id")
    )
    assert fit.apply(new)["value_class"].tolist() == ["medium", "high", "medium", "low"]


def test_value_quantile_thresholds_by_hand() -> None:
    # sorted 20 40 80 300 500; 0.8 quantile: position 0.8 * 4 = 3.2 -> 300 + 0.2 * 200 = 340;
    # the median: position 2 -> 80
    fit = fit_value_class(SMALL, method="quantile")
    assert fit.high_min == pytest.approx(340.0, rel=1e-15)
    assert fit.top_min == 80.0
    new = pd.DataFrame({"revenue": [341.0, 339.0, 80.0, 79.9, -5.0]})  # 340 is 340 + 1 ulp
    assert fit.apply(new)["value_class"].tolist() == ["high", "medium", "medium", "low", "low"]


def test_value_ties_share_the_class_whatever_the_order() -> None:
    # 10 customers, 4 tied at the top: k_high = 2, the 2nd largest is 7, so all four 7s are
    # high (fewer than 2 customers above them: none); medium from the 5th largest (3)
    base = pd.DataFrame({"revenue": [7.0, 7.0, 7.0, 7.0, 3.0, 3.0, 2.0, 1.0, 1.0, 0.0]})
    fit = fit_value_class(base)
    assert (fit.high_min, fit.top_min) == (7.0, 3.0)
    expected = ["high"] * 4 + ["medium"] * 2 + ["low"] * 4
    assert fit.apply(base)["value_class"].tolist() == expected
    assert value_class(base.iloc[::-1])["value_class"].tolist() == expected[::-1]


def test_behaviour_threshold_by_hand() -> None:
    base = pd.DataFrame(
        {"n_orders": [24, 1, 3, 10, 2], "tenure_days": [700, 40, 800, 400, 10]},
        index=pd.Index(list("abcde"), name="customer_id"),
    )
    # repeat buyers' rates: a 24 / 700 * 365.25 = 12.5229, c 3 / 800 * 365.25 = 1.3697,
    # d 10 / 400 * 365.25 = 9.13125, e 2 / 30 (floor) * 365.25 = 24.35;
    # median = (9.13125 + 12.52286) / 2 = 10.82705
    fit = fit_behaviour_class(base)
    assert fit.threshold == pytest.approx((9.13125 + 24 / 700 * 365.25) / 2, rel=1e-14)
    # z: 5 / 200 * 365.25 = 9.13 (occasional); b changed to 3 orders in 10 days:
    # 3 / 30 * 365.25 = 36.5 (frequent); y: 2 / 60 * 365.25 = 12.2 (frequent); x: 0 orders
    new = pd.DataFrame(
        {"n_orders": [5, 3, 2, 0], "tenure_days": [200, 10, 60, 0]},
        index=pd.Index(list("zbyx"), name="customer_id"),
    )
    out = fit.apply(new)
    assert out["behaviour_class"].tolist() == ["occasional", "frequent", "frequent", "potential"]
    assert out["orders_per_year"].iloc[1] == pytest.approx(36.525, rel=1e-15)
    assert out.attrs["kamseg_frequent_rate"] == fit.threshold
    # master ids without a row are appended as potential
    with_master = fit.apply(new.iloc[:1], master=["z", "w"])
    assert with_master["behaviour_class"].tolist() == ["occasional", "potential"]


def test_behaviour_without_repeat_buyers_has_no_threshold() -> None:
    fit = fit_behaviour_class(pd.DataFrame({"n_orders": [1, 0], "tenure_days": [5, 0]}))
    assert math.isnan(fit.threshold) and fit.n_repeat == 0
    out = fit.apply(pd.DataFrame({"n_orders": [9], "tenure_days": [30]}))
    assert out["behaviour_class"].tolist() == ["occasional"]  # as behaviour_class: NaN


SURVEYS = pd.DataFrame(
    {
        "customer_id": ["a", "b"],
        "date": ["2024-05-01", "2024-06-30"],
        "nps": [9, 4],
        "csat": [5, 2],
    }
)


def test_satisfaction_new_customer_by_hand() -> None:
    base = pd.DataFrame(index=pd.Index(["a", "b"], name="customer_id"))
    fit = fit_satisfaction_class(base, surveys=SURVEYS)
    assert fit.as_of == pd.Timestamp("2024-06-30")  # the latest survey, frozen
    new = pd.DataFrame(index=pd.Index(["z", "y"], name="customer_id"))
    surveys = pd.DataFrame(
        {
            "customer_id": ["z", "y", "y"],
            "date": ["2024-06-01", "2024-06-20", "2024-07-10"],
            "nps": [8, 10, 0],
            "csat": [5, 5, 1],
        }
    )
    # z: NPS 8 passive (medium), CSAT 5 satisfied (high): the lower, medium;
    # score = mean(8 / 10, (5 - 1) / 4) = 0.9. y: the 2024-07-10 answer is after the
    # fitted as_of and excluded (warned); 2024-06-20 is high, score 1.0
    with pytest.warns(KamsegWarning, match="excluded 1 row"):
        out = fit.apply(new, surveys=surveys)
    assert out["satisfaction_class"].tolist() == ["medium", "high"]
    assert out["satisfaction_score"].tolist() == [pytest.approx(0.9, rel=1e-15), 1.0]
    # complaints: z's open, severe one on 2024-04-15 is 76 days before as_of (< 90):
    # recent, caps z at low; y's on 2024-03-01 is 121 days before: not recent
    complaints = pd.DataFrame(
        {
            "customer_id": ["z", "y"],
            "date": ["2024-04-15", "2024-03-01"],
            "severity": ["high", "high"],
            "resolved": [False, False],
        }
    )
    out = fit.apply(new, surveys=surveys[:2], complaints=complaints)
    assert out["satisfaction_class"].tolist() == ["low", "high"]
    assert out["recent_complaints"].tolist() == [1, 0]
    # a later as_of: 2024-07-31 keeps y's last answer (NPS 0: low)
    later = fit.apply(new, surveys=surveys, as_of="2024-07-31")
    assert later["satisfaction_class"].tolist() == ["medium", "low"]


def test_satisfaction_weighted_by_hand() -> None:
    base = pd.DataFrame(index=pd.Index(["a", "b"], name="customer_id"))
    fit = fit_satisfaction_class(
        base, surveys=SURVEYS, method="weighted", half_life_days=30, csat_col=None
    )
    # z: NPS 10 on as_of (weight 1), NPS 4 30 days before (weight 0.5):
    # (10 + 0.5 * 4) / 1.5 = 8 (passive: medium), score 0.8
    surveys = pd.DataFrame(
        {"customer_id": ["z", "z"], "date": ["2024-06-30", "2024-05-31"], "nps": [10, 4]}
    )
    out = fit.apply(pd.DataFrame(index=pd.Index(["z"], name="customer_id")), surveys=surveys)
    assert out["satisfaction_class"].tolist() == ["medium"]
    assert out["satisfaction_score"].iloc[0] == pytest.approx(0.8, rel=1e-15)


def test_satisfaction_fit_without_dates_needs_an_as_of() -> None:
    base = pd.DataFrame(index=pd.Index(["a"], name="customer_id"))
    fit = fit_satisfaction_class(base, surveys=SURVEYS.iloc[:0])
    assert fit.as_of is None
    assert fit.apply(base, surveys=SURVEYS.iloc[:0])["satisfaction_class"].tolist() == ["unknown"]
    with pytest.raises(ConfigError, match="no as_of"):
        fit.apply(base, surveys=SURVEYS[:1])
    out = fit.apply(base, surveys=SURVEYS[:1], as_of="2024-06-30")
    assert out["satisfaction_class"].tolist() == ["high"]


# --------------------------------------------------------------------------------------
# errors: from the fit or the apply
# --------------------------------------------------------------------------------------


def test_errors_of_fit_and_apply() -> None:
    with pytest.raises(EmptyInputError):
        fit_value_class(SMALL.iloc[:0])
    with pytest.raises(ConfigError, match="cutoffs"):
        fit_value_class(SMALL, cutoffs=(0.5, 0.2))
    fit = fit_value_class(SMALL)
    assert len(fit.apply(SMALL.iloc[:0])) == 0  # an empty partition is fine
    with pytest.raises(SchemaError, match="null"):
        fit.apply(pd.DataFrame({"revenue": [1.0, None]}))
    with pytest.raises(ConfigError, match="overwrite"):
        fit.apply(fit.apply(SMALL))
    with pytest.raises(ConfigError, match="frequent_quantile"):
        fit_behaviour_class(TIED, frequent_quantile=2)
    with pytest.raises(SchemaError, match="null"):
        FITS["behaviour"].apply(TIED.head(3).assign(n_orders=[1.0, None, 2.0]))
    with pytest.raises(ConfigError, match="both None"):
        fit_satisfaction_class(REAL, surveys=DATA.surveys, nps_col=None, csat_col=None)
    with pytest.raises(kamseg.errors.ColumnNotFoundError):
        FITS["satisfaction"].apply(REAL, surveys=DATA.surveys.drop(columns="csat"))


# --------------------------------------------------------------------------------------
# (d) saved and loaded
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(FITS))
def test_round_trip(key: str) -> None:
    fit = FITS[key]
    base = TIED if key in ("value", "behaviour") else REAL
    again = _state.from_payload(*_state.to_payload(fit))
    assert type(again) is type(fit)
    pd.testing.assert_frame_equal(apply_fit(again, base), FULL[key])
    buf = io.BytesIO()
    _state.write(buf, fit, {"kind": "test"})
    buf.seek(0)
    loaded = _state.read(buf)
    pd.testing.assert_frame_equal(apply_fit(loaded, base), FULL[key])
    assert _state.to_payload(loaded)[0] == _state.to_payload(fit)[0]


def apply_fit(fit: Any, customers: pd.DataFrame) -> pd.DataFrame:
    if isinstance(fit, SatisfactionClassFit):
        return quiet(fit.apply, customers, **SIDES)
    return fit.apply(customers)


def test_round_trip_of_special_values() -> None:
    nan_fit = fit_behaviour_class(pd.DataFrame({"n_orders": [1], "tenure_days": [5]}))
    again = _state.from_payload(*_state.to_payload(nan_fit))
    assert isinstance(again, BehaviourClassFit) and math.isnan(again.threshold)
    no_day = fit_satisfaction_class(
        pd.DataFrame(index=pd.Index(["a"], name="customer_id")), surveys=SURVEYS.iloc[:0]
    )
    assert _state.from_payload(*_state.to_payload(no_day)) == no_day
    value = fit_value_class(SMALL, value_col="revenue", labels="zh")
    assert _state.from_payload(*_state.to_payload(value)) == value
    assert isinstance(value, ValueClassFit)
