"""Tests for the fits of kamseg.rfm and kamseg.pareto: fit once, apply row by row.

(a) ``fit(...).apply(base)`` and the public functions reproduce the outputs of the code
before the split, frozen here as md5 digests (computed once with the old code), on realistic
and on tie-heavy data; (b) apply is row-wise (Hypothesis subsets, any order); (c) new and
changed customers get the values worked out by hand in the comments; (d) fits survive the
saved-state round trip.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg
from kamseg import _state
from kamseg.errors import KamsegWarning, SchemaError
from kamseg.pareto import (
    ParetoFit,
    PyramidFit,
    fit_pareto_table,
    fit_pyramid,
    pareto_table,
    pyramid,
)
from kamseg.rfm import RfmFit, fit_rfm_scores, rfm_scores

# --------------------------------------------------------------------------------------
# data and frozen outputs
# --------------------------------------------------------------------------------------


def digest(df: pd.DataFrame) -> str:
    """md5 of column names, index, dtypes and values (category codes and categories)."""
    h = hashlib.md5()
    h.update(repr([str(c) for c in df.columns]).encode())
    h.update(repr(df.index.tolist()).encode())
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            h.update(repr((list(s.cat.categories), s.cat.ordered)).encode())
            h.update(np.asarray(s.cat.codes, dtype=np.int64).tobytes())
        elif pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_datetime64_dtype(s.dtype):
            a = s.to_numpy()
            h.update(a.dtype.str.encode())
            h.update(np.ascontiguousarray(a).tobytes())
        else:
            h.update(b"text")
            h.update("\x1f".join(map(str, s.tolist())).encode())
    return h.hexdigest()


def make_bases() -> dict[str, pd.DataFrame]:
    data = kamseg.datasets.make_transactions(n_customers=300, seed=3)
    real = kamseg.summarize(data.transactions, as_of=data.as_of)
    real = real.assign(profit=(real["revenue"] * 0.3 - 150.0).round(2))
    ties = real.assign(
        revenue=(real["revenue"] / 500).round() * 500,
        days_since_last=(real["days_since_last"] // 90) * 90,
        n_orders=real["n_orders"].clip(upper=4),
        profit=(real["profit"] / 200).round() * 200,
    )
    return {"real": real, "ties": ties}


BASES = make_bases()

RFM_CASES: dict[str, dict[str, Any]] = {
    "default": {},
    "bins4": {"bins": 4},
    "bins10": {"bins": 10},
    "mixed": {
        "bins": {"recency": [30, 90, 180, 365], "frequency": 3},
        "weights": (0.5, 0.25, 0.25),
    },
}
PARETO_CASES: dict[str, dict[str, Any]] = {
    "default": {},
    "zh_cut": {"cutoffs": (0.5, 0.9), "labels": "zh"},
    "profit_clip": {"value_col": "profit"},
}
PYRAMID_CASES: dict[str, dict[str, Any]] = {
    "value": {},
    "value_inactive": {"inactive_days": 365, "cutoffs": (0.05, 0.1, 0.5)},
    "profit": {"kind": "profit"},
    "profit_inactive_zh": {"kind": "profit", "inactive_days": 200, "labels": "zh"},
}

# Digests of rfm_scores / pareto_table / pyramid before the fit/apply split (same inputs).
DIGESTS = {
    "rfm/real/default": "adab563d0f3cb2929faa3b8ff1ee096b",
    "rfm/real/bins4": "4fe7b7f07f0614db6b83f48def84d2a0",
    "rfm/real/bins10": "3b19fd84686a7d20fa50bccfb6613a5f",
    "rfm/real/mixed": "ec978f093c2293cf859e64af61b55b75",
    "pareto/real/default": "533d689b24ff9c0d47814e18c4613c2a",
    "pareto/real/zh_cut": "86f9bb5064d4084635bb7385321d1c8b",
    "pareto/real/profit_clip": "37fbe5bd509f458d0f4d39eceeb7915e",
    "pyramid/real/value": "98b462ec5e0e8c29d21dfa9ad89fe641",
    "pyramid/real/value_inactive": "3c3bc829ace4f2ad121264b6afa064b8",
    "pyramid/real/profit": "f1355fddb95df838f720e74e8b4e4c19",
    "pyramid/real/profit_inactive_zh": "7466f554a0de79b3195100083899b017",
    "rfm/ties/default": "7e4ddfa4962f91314cc396d4b54c4202",
    "rfm/ties/bins4": "4a082856093e6891cedb1d70a32eaf69",
    "rfm/ties/bins10": "1a41a965a50fdf2cbc2145ce8e3e6044",
    "rfm/ties/mixed": "73f2d81efd1a30648d2e2d8bbc836344",
    "pareto/ties/default": "438e8182cf5a3986335f51d5af12d9df",
    "pareto/ties/zh_cut": "40af9e3d58f824d54083dfd1f59e7ce5",
    "pareto/ties/profit_clip": "5301480d11e4a5a9bb50e35be7b1cef8",
    "pyramid/ties/value": "c5a2ab2f8857ccb85ef2e57b374b56aa",
    "pyramid/ties/value_inactive": "dc81683995c232b514abc3ea4618b558",
    "pyramid/ties/profit": "0f85b0c7aa4292c4c70e91ff8607ef68",
    "pyramid/ties/profit_inactive_zh": "aefc34455f4677ae50f2af6e081e7b02",
}

FITS = {"rfm": fit_rfm_scores, "pareto": fit_pareto_table, "pyramid": fit_pyramid}
OLD = {"rfm": rfm_scores, "pareto": pareto_table, "pyramid": pyramid}
CASES = {"rfm": RFM_CASES, "pareto": PARETO_CASES, "pyramid": PYRAMID_CASES}


def quiet_fit(step: str, base: pd.DataFrame, kw: dict[str, Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)  # clipped negative profits
        return FITS[step](base, **kw)


def quiet(func: Any, *args: Any, **kw: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        out: pd.DataFrame = func(*args, **kw)
    return out


# --------------------------------------------------------------------------------------
# (a) apply on the base == the old function
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(DIGESTS))
def test_apply_on_base_reproduces_old_output(key: str) -> None:
    step, bname, case = key.split("/")
    base, kw = BASES[bname], CASES[step][case]
    fit = quiet_fit(step, base, kw)
    applied = quiet(fit.apply, base)
    assert digest(applied) == DIGESTS[key]
    public = quiet(OLD[step], base, **kw)
    assert digest(public) == DIGESTS[key]
    pd.testing.assert_frame_equal(applied, public, check_exact=True)
    assert applied.attrs == public.attrs


def test_rfm_cut_points_given_are_carried() -> None:
    base = BASES["real"]
    fit = fit_rfm_scores(base, bins={"recency": [30, 90, 180, 365], "frequency": 3})
    assert fit.quantile == {"recency": False, "frequency": True, "monetary": True}
    assert fit.cuts["recency"].tolist() == [30.0, 90.0, 180.0, 365.0]
    assert fit.cuts["frequency"].size == 2 and fit.cuts["monetary"].size == 4


def test_all_equal_values_give_the_middle_score_and_infinite_cuts() -> None:
    # one tie group of n_orders = 3: score ceil(5 * (0 + 2/2) / 2) = 3 (the middle): cuts
    # below it must be under every value (-inf), cuts above it at the value (3, 3)
    base = pd.DataFrame({"days_since_last": [10, 20], "n_orders": [3, 3], "revenue": [1.0, 2.0]})
    fit = fit_rfm_scores(base)
    assert fit.cuts["frequency"].tolist() == [-np.inf, -np.inf, 3.0, 3.0]
    out = fit.apply(pd.DataFrame({"days_since_last": [10], "n_orders": [1], "revenue": [1.0]}))
    assert out["f_score"].tolist() == [3]  # lower than the only fitted value: same score


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(0, 12), min_size=1, max_size=80),
    n_bins=st.integers(2, 7),
    higher=st.booleans(),
)
def test_cut_points_by_their_definition(values: list[int], n_bins: int, higher: bool) -> None:
    """Cut j is the largest value whose score leaves at most j cut points below it (-inf
    when none does), found here value by value; and the cuts give every value its score."""
    from kamseg._rfm_grid import _cut_scores, _learned_cuts, _quantile_scores

    x = np.asarray(values, dtype=np.float64) / 4
    scores = _quantile_scores(x, n_bins, higher_is_better=higher).astype(int)
    below = scores - 1 if higher else n_bins - scores
    expected = [
        max((v for v, b in zip(x, below, strict=True) if b <= j), default=-np.inf)
        for j in range(n_bins - 1)
    ]
    cuts = _learned_cuts(x, n_bins, higher_is_better=higher)
    assert cuts.tolist() == expected
    assert _cut_scores(x, cuts, higher_is_better=higher).tolist() == scores.tolist()


def test_non_unique_index_falls_back_to_values() -> None:
    base = pd.DataFrame({"revenue": [20.0, 500.0, 300.0, 160.0, 20.0]}, index=[1, 1, 2, 3, 3])
    fit = fit_pareto_table(base)
    assert fit.ids is None
    pd.testing.assert_frame_equal(fit.apply(base), pareto_table(base), check_exact=True)


# --------------------------------------------------------------------------------------
# (b) row-wise
# --------------------------------------------------------------------------------------


def apply_table(base: pd.DataFrame) -> pd.DataFrame:
    """Base rows with every third value changed, then 30 new ids with shifted values."""
    changed = base.copy()
    every = np.arange(len(base)) % 3 == 0
    for col in ("revenue", "profit"):
        changed.loc[every, col] = changed.loc[every, col] * 1.5 + 7.0
    changed.loc[every, "days_since_last"] = changed.loc[every, "days_since_last"] + 11
    changed.loc[every, "n_orders"] = changed.loc[every, "n_orders"] + 1
    new = base.iloc[:30].copy()
    new.index = pd.Index(new.index + 10_000, name=base.index.name)
    new[["revenue", "profit"]] = new[["revenue", "profit"]] * 0.7 + 3.0
    return pd.concat([changed, new])


SUBSETS = st.lists(st.integers(0, 299), min_size=1, max_size=60, unique=True)


@pytest.mark.parametrize("step", sorted(CASES))
@settings(max_examples=25, deadline=None)
@given(data=st.data(), picks=SUBSETS, on_base=st.booleans())
def test_apply_is_row_wise(
    step: str, data: st.DataObject, picks: list[int], on_base: bool
) -> None:
    keys = sorted(k for k in DIGESTS if k.startswith(f"{step}/"))
    _, bname, case = data.draw(st.sampled_from(keys), label="case").split("/")
    base = BASES[bname]
    fit = quiet_fit(step, base, CASES[step][case])
    table = base if on_base else apply_table(base)
    rows = [p % len(table) for p in picks]  # a subset, in hypothesis's (shuffled) order
    whole = quiet(fit.apply, table)
    part = quiet(fit.apply, table.iloc[rows])
    pd.testing.assert_frame_equal(part, whole.iloc[rows], check_exact=True)
    assert part.attrs == whole.attrs


def test_shuffled_table_gives_the_same_rows() -> None:
    base = BASES["ties"]
    order = np.random.default_rng(5).permutation(len(base))
    for step, cases in CASES.items():
        for kw in cases.values():
            fit = quiet_fit(step, base, kw)
            whole = quiet(fit.apply, base)
            pd.testing.assert_frame_equal(
                quiet(fit.apply, base.iloc[order]), whole.iloc[order], check_exact=True
            )


# --------------------------------------------------------------------------------------
# (c) new and changed customers, by hand
# --------------------------------------------------------------------------------------


@pytest.fixture
def four() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "days_since_last": [3, 40, 200, 15],
            "n_orders": [9, 2, 1, 4],
            "revenue": [500.0, 300.0, 40.0, 160.0],
        },
        index=pd.Index([1, 2, 3, 4], name="customer_id"),
    )


def test_rfm_new_customer_by_hand(four: pd.DataFrame) -> None:
    fit = fit_rfm_scores(four)
    # frequency 1, 2, 4, 9: w = 0..3, e = 1, score ceil(5 * (2w + 1) / 8) = 1, 2, 4, 5.
    # Cut c_j = largest value scoring in the first j intervals: [1, 2, 2, 4].
    assert fit.cuts["frequency"].tolist() == [1.0, 2.0, 2.0, 4.0]
    # recency 3, 15, 40, 200 days (smaller is better): w = 3, 2, 1, 0 -> scores 5, 4, 2, 1;
    # cuts (intervals scoring 5, 4, 3, 2, 1): [3, 15, 15, 40].
    assert fit.cuts["recency"].tolist() == [3.0, 15.0, 15.0, 40.0]
    # revenue 40, 160, 300, 500 -> 1, 2, 4, 5 -> cuts [40, 160, 160, 300].
    assert fit.cuts["monetary"].tolist() == [40.0, 160.0, 160.0, 300.0]
    new = pd.DataFrame(
        {
            "days_since_last": [20, 2, 500, 15],
            "n_orders": [3, 10, 0, 2],
            "revenue": [200.0, 900.0, 10.0, 300.0],
        },
        index=pd.Index([9, 10, 11, 4], name="customer_id"),
    )
    out = fit.apply(new)
    # 20 days: 3 cuts below (3, 15, 15) -> 5 - 3 = 2; 2 days: none -> 5; 500: all 4 -> 1;
    # 15 days: 1 cut strictly below (3) -> 4 (a cut value is in the interval ending at it).
    assert out["r_score"].tolist() == [2, 5, 1, 4]
    # 3 orders: cuts below 1, 2, 2 -> 4; 10: 5; 0: 1; 2: cut 1 below -> 2
    assert out["f_score"].tolist() == [4, 5, 1, 2]
    # 200: 40, 160, 160 below -> 4; 900 -> 5; 10 -> 1; 300: three below -> 4
    assert out["m_score"].tolist() == [4, 5, 1, 4]
    assert out["rfm_cell"].tolist() == ["244", "555", "111", "424"]
    assert out["rfm_score"].tolist() == [10.0, 15.0, 3.0, 10.0]


def test_pareto_new_and_changed_customers_by_hand(four: pd.DataFrame) -> None:
    fit = fit_pareto_table(four)
    # base 500, 300, 160, 40 (total 1000). Shares before each: 0, .5, .8, .96 -> A, A, B, C
    # so t_a = 300 (smallest A) and t_b = 160 (smallest A or B).
    assert fit.thresholds == (300.0, 160.0)
    new = pd.DataFrame(
        {"revenue": [200.0, 400.0, 0.0, 500.0]},
        index=pd.Index([9, 3, 10, 1], name="customer_id"),
    )
    out = fit.apply(new)
    # id 9 (new, 200): base + 200 = 1200; ahead 500, 300 -> rank 3; share 200/1200;
    # cum (500 + 300 + 200)/1200; customers (2 + 1)/5; 160 <= 200 < 300 -> B.
    # id 3 (40 -> 400): replaces its row: 1000 - 40 + 400 = 1360; ahead 500 -> rank 2;
    # share 400/1360; cum (500 + 400)/1360; customers (1 + 1)/4; 400 >= 300 -> A.
    # id 10 (new, 0): total 1000; rank 5; share 0; cum 1000/1000; customers 5/5; C.
    # id 1 (500, unchanged): the base's numbers: rank 1, .5, .5, 1/4, A.
    assert out["value_rank"].tolist() == [3, 2, 5, 1]
    np.testing.assert_allclose(
        out["value_share"], [200 / 1200, 400 / 1360, 0.0, 0.5], rtol=1e-15, atol=0
    )
    np.testing.assert_allclose(
        out["cum_value_share"], [1000 / 1200, 900 / 1360, 1.0, 0.5], rtol=1e-15, atol=0
    )
    assert out["cum_customer_share"].tolist() == [3 / 5, 2 / 4, 5 / 5, 1 / 4]
    assert [str(c) for c in out["abc_class"]] == ["B", "A", "C", "A"]
    # a changed value agrees with a refit on the changed base (ranks and shares)
    changed = four.assign(revenue=[500.0, 300.0, 400.0, 160.0])
    refit = pareto_table(changed).loc[[3]]
    pd.testing.assert_frame_equal(
        out.loc[[3], ["value_rank", "value_share", "cum_value_share", "cum_customer_share"]],
        refit[["value_rank", "value_share", "cum_value_share", "cum_customer_share"]],
        rtol=1e-12,
    )


def test_pareto_string_ids(four: pd.DataFrame) -> None:
    base = four.set_axis(pd.Index(["d", "b", "a", "c"], name="customer_id"))
    fit = fit_pareto_table(base)
    assert fit.ids is not None and fit.ids.tolist() == ["a", "b", "c", "d"]
    out = fit.apply(pd.DataFrame({"revenue": [400.0, 400.0]}, index=["a", "zz"]))
    # "a" had 40: 1000 - 40 + 400 = 1360, rank 2; "zz" is new: 1400, rank 2 too
    assert out["value_share"].tolist() == [400 / 1360, 400 / 1400]
    assert out["cum_customer_share"].tolist() == [2 / 4, 2 / 5]
    # ids of another kind (integers) are all new customers
    ints = fit.apply(pd.DataFrame({"revenue": [40.0]}, index=[3]))
    assert ints["cum_customer_share"].tolist() == [5 / 5]


def test_pareto_zero_total_after_a_change_raises(four: pd.DataFrame) -> None:
    base = four.assign(revenue=[0.0, 0.0, 50.0, 0.0])
    fit = fit_pareto_table(base)
    with pytest.raises(SchemaError, match=r"ParetoFit.apply: .* would sum to 0"):
        fit.apply(pd.DataFrame({"revenue": [0.0]}, index=pd.Index([3], name="customer_id")))


def test_pyramid_new_customers_by_hand() -> None:
    base = pd.DataFrame(
        {
            "revenue": [9000.0, 2500.0, 700.0, 90.0, 40.0, 0.0],
            "profit": [900.0, -10.0, 70.0, 9.0, 4.0, 0.0],
            "days_since_last": [5, 10, 400, 20, 30, 40],
        }
    )
    fit = fit_pyramid(base, cutoffs=(0.1, 0.3, 0.6))
    # 6 active: Top when fewer than ceil(.6) = 1 ahead, Big < 2, Medium < ceil(3.6) = 4:
    # 9000 Top, 2500 Big, 700 and 90 Medium, 40 and 0 Small -> thresholds 90, 2500, 9000
    assert fit.thresholds.tolist() == [90.0, 2500.0, 9000.0]
    new = pd.DataFrame(
        {"revenue": [3000.0, 100.0, 89.0, -5.0, 9000.0], "profit": 0.0, "days_since_last": 1}
    )
    assert fit.apply(new)["pyramid_tier"].tolist() == ["Big", "Medium", "Small", "Small", "Top"]
    # profit pyramid, 365 days: 5 active (700 is inactive); Platinum < ceil(.5) = 1 ahead,
    # Gold < ceil(1.5) = 2: 900 Platinum, 9 Gold, 4 Iron, 0 and -10 Lead
    fit = fit_pyramid(base, kind="profit", cutoffs=(0.1, 0.3), inactive_days=365)
    assert fit.thresholds.tolist() == [9.0, 900.0] and fit.n_active == 5
    new = pd.DataFrame(
        {"revenue": 0.0, "profit": [10.0, 1.0, 0.0, 1000.0], "days_since_last": [1, 1, 1, 366]}
    )
    tiers = fit.apply(new)["pyramid_tier"]
    assert tiers.tolist() == ["Gold", "Iron", "Lead", "Inactive"]
    assert list(tiers.cat.categories) == ["Inactive", "Lead", "Iron", "Gold", "Platinum"]


def test_pyramid_prospects_are_given_to_apply() -> None:
    base = BASES["real"]
    master = base.index[:5].append(pd.Index([90_001, 90_002], name=base.index.name))
    fit = fit_pyramid(base)
    pd.testing.assert_frame_equal(
        fit.apply(base, prospects=master), pyramid(base, prospects=master), check_exact=True
    )


# --------------------------------------------------------------------------------------
# warnings
# --------------------------------------------------------------------------------------


def test_negative_values_warn_once_naming_the_caller() -> None:
    base = BASES["real"]
    for call in (
        lambda: pareto_table(base, value_col="profit"),
        lambda: fit_pareto_table(base, value_col="profit"),
        lambda: quiet_fit("pareto", base, {"value_col": "profit"}).apply(base),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert len(caught) == 1, [str(w.message) for w in caught]
        assert caught[0].category is KamsegWarning
        assert caught[0].filename == __file__


# --------------------------------------------------------------------------------------
# (d) saved state round trip
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [k for k in sorted(DIGESTS) if k.split("/")[1] == "ties"])
@pytest.mark.parametrize("str_ids", [False, True])
def test_round_trip(key: str, str_ids: bool) -> None:
    step, bname, case = key.split("/")
    base = BASES[bname]
    if str_ids:
        base = base.set_axis(pd.Index([f"c{i:04d}" for i in base.index], name="customer_id"))
    fit = quiet_fit(step, base, CASES[step][case])
    assert isinstance(fit, RfmFit | ParetoFit | PyramidFit)
    repr(fit)
    table = apply_table(base) if not str_ids else base
    expected = quiet(fit.apply, table)

    tree, arrays = _state.to_payload(fit)
    again = _state.from_payload(tree, arrays)
    pd.testing.assert_frame_equal(quiet(again.apply, table), expected, check_exact=True)

    buf = io.BytesIO()
    _state.write(buf, fit, {"format": "test"})
    buf.seek(0)
    loaded = _state.read(buf)
    assert type(loaded) is type(fit)
    pd.testing.assert_frame_equal(quiet(loaded.apply, table), expected, check_exact=True)
