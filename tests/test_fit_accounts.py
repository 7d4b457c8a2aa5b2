"""Tests for the fitted key-account steps: fit_score_accounts and fit_select_key_accounts.

``fit(...).apply(base)`` must give exactly what score_accounts / select_key_accounts gave
before they were split into fit and apply (md5 digests of the outputs of the code before the
split, and a plain pandas re-implementation), and ``apply`` must be row-wise. Hand-worked
values are derived in the comments.
"""

from __future__ import annotations

import functools
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
from kamseg.accounts import (
    AccountScoreFit,
    KeyAccountSelection,
    fit_score_accounts,
    fit_select_key_accounts,
    score_accounts,
    select_key_accounts,
)
from kamseg.errors import ColumnNotFoundError, ConfigError, KamsegWarning, SchemaError

# --------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------


@functools.cache
def _realistic() -> pd.DataFrame:
    """150 synthetic customers with master criteria; every 17th strategic_fit is null."""
    data = kamseg.datasets.make_transactions(n_customers=150, seed=3)
    customers = kamseg.summarize(data.transactions, as_of=data.as_of, profit_col="profit")
    table = customers.join(data.master[["market_influence", "strategic_fit", "cost_to_serve"]])
    table.loc[table.index[::17], "strategic_fit"] = np.nan
    return table


@functools.cache
def _ties() -> pd.DataFrame:
    """90 accounts whose criteria take 2 to 4 values each: many tied scores and ranks."""
    rng = np.random.default_rng(5)
    n = 90
    ids = np.sort(rng.choice(10_000, size=n, replace=False))
    return pd.DataFrame(
        {
            "revenue": rng.integers(0, 4, n) * 1000.0,
            "profit": rng.integers(0, 3, n) * 50.0,
            "market_influence": rng.integers(1, 3, n).astype(np.float64),
            "cost_to_serve": np.where(rng.random(n) < 0.1, np.nan, rng.integers(1, 3, n) * 10.0),
            "nonpositive_revenue": rng.random(n) < 0.05,
        },
        index=pd.Index(ids, name="customer_id"),
    )


CRIT = {
    "realistic": {
        "revenue": 0.3,
        "profit": 0.3,
        "market_influence": 0.15,
        "strategic_fit": 0.1,
        "cost_to_serve": {"weight": 0.15, "direction": "min"},
    },
    "ties": {
        "revenue": 2,
        "profit": 1,
        "market_influence": 1,
        "cost_to_serve": {"weight": 1, "direction": "min"},
    },
}
CASES: dict[str, dict[str, Any]] = {
    "minmax": {},
    "rank": {"normalize": "rank"},
    "zscore": {"normalize": "zscore"},
    "topsis": {"method": "topsis"},
    "topsis_rank": {"method": "topsis", "normalize": "rank"},
    "topsis_minmax": {"method": "topsis", "normalize": "minmax"},
}
TABLES = {"realistic": _realistic, "ties": _ties}


def _kw(data: str, case: str) -> dict[str, Any]:
    return {"criteria": CRIT[data], "normalize_weights": True, "missing": "worst", **CASES[case]}


def _entropy_kw(data: str) -> dict[str, Any]:
    crit = {c: ("min" if c == "cost_to_serve" else "max") for c in CRIT[data]}
    return {"criteria": crit, "weights": "entropy", "missing": "worst", "normalize": "rank"}


@functools.cache
def _fitted(data: str, case: str) -> tuple[AccountScoreFit, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        fit = fit_score_accounts(TABLES[data](), **_kw(data, case))
    return fit, fit.apply(TABLES[data]())


@functools.cache
def _selected(data: str, case: str) -> KeyAccountSelection:
    """A short list of 10 to 12 (split tie groups on the tie-heavy data)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        return fit_select_key_accounts(_fitted(data, case)[1], min_accounts=10, max_accounts=12)


def _md5(df: pd.DataFrame, cols: list[str]) -> str:
    """Digest of the index and the raw bytes and dtypes of `cols` (bitwise)."""
    h = hashlib.md5()
    h.update(np.asarray(df.index).tobytes())
    for c in cols:
        h.update(f"{c}:{df[c].dtype}".encode())
        h.update(np.ascontiguousarray(df[c].to_numpy()).tobytes())
    return h.hexdigest()


# md5 of the added columns, computed with score_accounts / select_key_accounts before the
# split into fit and apply (same data and options as here)
OLD_SCORES = {
    "realistic-minmax": "6a940b32d180ba81cd2c619ae641474a",
    "realistic-rank": "b5fcc5583189515fee4832010343c0f4",
    "realistic-zscore": "a28d731c27e9cd9f4893dca0740edb8a",
    "realistic-topsis": "1311387b2405c7c52e1ba8c8db5da4af",
    "realistic-topsis_rank": "2c1bd602ea0a2298974896292cc34e64",
    "realistic-topsis_minmax": "d7a2f5775bb2f99d917db42da6e2aef7",
    "ties-minmax": "450c25f5d0932d28991f8e6105be68a7",
    "ties-rank": "3a7ec69e490daba7a7b40f6205dba66b",
    "ties-zscore": "c3113ea2fc0fe0baefa3069e9f0fb195",
    "ties-topsis": "6006cb38773e1d4e30242c1d320e4107",
    "ties-topsis_rank": "9d9f746b105262ba6243cd6061a9d080",
    "ties-topsis_minmax": "9d664503d944aface9604eea0e36e47f",
}
OLD_ENTROPY = {
    "realistic": "7d3e1dc353c9f844be42f4a2848a8d77",
    "ties": "4a8cc0ca9ba99cbd60e4ff6b888f8b74",
}
SELECTIONS: dict[str, dict[str, Any]] = {
    "default": {},
    "small": {"min_accounts": 3, "max_accounts": 8},
    "minscore": {"min_accounts": 4, "max_accounts": 30, "min_score": 0.6},
    "split5_5": {"min_accounts": 5, "max_accounts": 5},
    "split10_12": {"min_accounts": 10, "max_accounts": 12},
}
# (md5 of is_key_account, list size, warnings) from select_key_accounts before the split
OLD_SELECTIONS = {
    "realistic-minmax-default": ("8e2401186f10ee7b1e0c1f4740d87862", 25, 0),
    "realistic-minmax-minscore": ("acc04a0d8bb3ba381493b6613c16bcfd", 4, 1),
    "realistic-rank-minscore": ("4bd4c0f536716e431794da1cc19c54dd", 30, 0),
    "realistic-topsis_rank-small": ("901d3f102c7619d5a89530e90ab40861", 8, 0),
    "ties-rank-default": ("ec4dffc63474330d3f2ca4b59d988abb", 22, 0),
    "ties-zscore-minscore": ("b12458300d3a4df9e9abf15fdb641401", 9, 0),
    "ties-topsis-small": ("3a1f99e37fd903e6980829f9262b0c41", 7, 0),
    "ties-minmax-split5_5": ("8a7617220b483f63fea466be83773ea3", 5, 1),
    "ties-rank-split10_12": ("8a3e344ed988a11c5a6e4540ddf68d67", 10, 1),
    "ties-topsis-split5_5": ("601b8f8a58b1beb05e6508daf2bfcf71", 5, 1),
    "ties-topsis_minmax-split10_12": ("b02c6e01ad908b93130cffc758f0b362", 10, 1),
}


# --------------------------------------------------------------------------------------
# (a) apply on the base == the batch functions
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(OLD_SCORES))
def test_score_apply_on_base_is_the_old_output(key: str) -> None:
    data, case = key.split("-")
    table = TABLES[data]()
    _, applied = _fitted(data, case)
    added = [c for c in applied.columns if c not in table.columns]
    assert _md5(applied, added) == OLD_SCORES[key]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        batch = score_accounts(table, **_kw(data, case))
    pd.testing.assert_frame_equal(applied, batch, check_exact=True)
    assert applied.attrs == batch.attrs


@pytest.mark.parametrize("data", ["realistic", "ties"])
def test_entropy_weights_apply_on_base_is_the_old_output(data: str) -> None:
    table = TABLES[data]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        fit = fit_score_accounts(table, **_entropy_kw(data))
    out = fit.apply(table)
    assert fit.weights_from == "entropy"
    assert _md5(out, [c for c in out.columns if c not in table.columns]) == OLD_ENTROPY[data]


def _reference_scores(table: pd.DataFrame, criteria: dict[str, Any], how: str) -> pd.DataFrame:
    """The weighted sum written plainly with pandas, from the formulas in the docstring."""
    weights = {c: (s["weight"] if isinstance(s, dict) else s) for c, s in criteria.items()}
    total = sum(weights.values())
    parts = {}
    for col, spec in criteria.items():
        lower = isinstance(spec, dict) and spec.get("direction") == "min"
        x = table[col].astype(float)
        x = x.fillna(x.max() if lower else x.min())  # missing="worst"
        if how == "minmax":
            norm = (x.max() - x if lower else x - x.min()) / (x.max() - x.min())
        elif how == "rank":
            norm = ((-x if lower else x).rank(method="average") - 1) / (len(x) - 1)
        else:
            z = (x - x.mean()) / x.std(ddof=0)
            norm = -z if lower else z
        parts[f"score_{col}"] = norm * (weights[col] / total)
    contrib = pd.DataFrame(parts)
    score = contrib.sum(axis=1)
    rank = (-score.round(12)).rank(method="min").astype(np.int64)
    out = pd.DataFrame({"account_score": score, "account_rank": rank}).join(contrib)
    return table.join(out)


@pytest.mark.parametrize("data", ["realistic", "ties"])
@pytest.mark.parametrize("case", ["minmax", "rank", "zscore"])
def test_score_apply_on_base_matches_a_plain_reimplementation(data: str, case: str) -> None:
    _, applied = _fitted(data, case)
    expected = _reference_scores(
        TABLES[data](), CRIT[data], CASES[case].get("normalize", "minmax")
    )
    # pandas sums the contributions in another order than numpy: equal to rounding only
    pd.testing.assert_frame_equal(applied, expected, check_exact=False, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("key", sorted(OLD_SELECTIONS))
def test_select_apply_on_base_is_the_old_output(key: str) -> None:
    data, case, sel = key.split("-")
    _, scored = _fitted(data, case)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        selection = fit_select_key_accounts(scored, **SELECTIONS[sel])
        applied = selection.apply(scored)
    digest, size, n_warnings = OLD_SELECTIONS[key]
    assert _md5(applied, ["is_key_account"]) == digest
    assert selection.n_key_accounts == size == applied["is_key_account"].sum()
    assert len(caught) == n_warnings  # given by the fit only
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        batch = select_key_accounts(scored, **SELECTIONS[sel])
    pd.testing.assert_frame_equal(applied, batch, check_exact=True)


def test_batch_functions_warn_once() -> None:
    table = _realistic()  # 9 strategic_fit nulls
    with pytest.warns(KamsegWarning, match="null value") as caught:
        score_accounts(table, **_kw("realistic", "minmax"))
    assert len(caught) == 1
    _, scored = _fitted("ties", "minmax")
    with pytest.warns(KamsegWarning, match="tie at rank") as caught:
        select_key_accounts(scored, min_accounts=5, max_accounts=5)
    assert len(caught) == 1


def test_duplicate_base_ids_still_reproduce_the_base() -> None:
    # an id twice: no "own row" by id; a value equal to a base value takes that row's place
    base = pd.DataFrame({"x": [3.0, 1.0, 2.0, 2.0]}, index=pd.Index([7, 7, 8, 9], name="id"))
    fit = fit_score_accounts(base, criteria={"x": 1.0}, normalize="rank")
    assert fit.ids is None
    out = fit.apply(base)
    # average ranks of 3, 1, 2, 2 are 4, 1, 2.5, 2.5: (r - 1) / 3
    assert out["account_score"].tolist() == [1.0, 0.0, 0.5, 0.5]
    assert out["account_rank"].tolist() == [1, 4, 2, 2]
    # 2.5 equals no base value: added, among 5 values 1, 2, 2, 2.5, 3 its rank is 4: 3 / 4
    new = pd.DataFrame({"x": [2.5]}, index=pd.Index([7], name="id"))
    assert fit.apply(new)["account_score"].tolist() == [0.75]


# --------------------------------------------------------------------------------------
# (b) row-wise
# --------------------------------------------------------------------------------------


ROWWISE = [("realistic", "rank"), ("realistic", "topsis"), ("ties", "rank"), ("ties", "zscore")]


@pytest.mark.parametrize(("data", "case"), ROWWISE)
@settings(max_examples=25, deadline=None)
@given(picks=st.lists(st.integers(0, 10_000), max_size=40))
def test_apply_is_row_wise(data: str, case: str, picks: list[int]) -> None:
    table = TABLES[data]()
    fit, full = _fitted(data, case)
    rows = [p % len(table) for p in picks]  # any subset, any order, repeats allowed
    pd.testing.assert_frame_equal(fit.apply(table.iloc[rows]), full.iloc[rows], check_exact=True)
    selection = _selected(data, case)
    pd.testing.assert_frame_equal(
        selection.apply(full.iloc[rows]),
        selection.apply(full).iloc[rows],
        check_exact=True,
    )


@pytest.mark.parametrize(("data", "case"), ROWWISE)
def test_shuffled_order_gives_the_same_rows(data: str, case: str) -> None:
    table = TABLES[data]()
    fit, full = _fitted(data, case)
    shuffled = table.sample(frac=1.0, random_state=11)
    out = fit.apply(shuffled)
    pd.testing.assert_frame_equal(out, full.loc[shuffled.index], check_exact=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        selection = fit_select_key_accounts(full, min_accounts=5, max_accounts=5)
    pd.testing.assert_frame_equal(
        selection.apply(out), selection.apply(full).loc[shuffled.index], check_exact=True
    )


def test_apply_to_no_rows() -> None:
    fit, full = _fitted("ties", "rank")
    out = fit.apply(_ties().iloc[:0])
    pd.testing.assert_frame_equal(out, full.iloc[:0], check_exact=True)
    selection = fit_select_key_accounts(full)
    assert selection.apply(full.iloc[:0])["is_key_account"].dtype == bool


# --------------------------------------------------------------------------------------
# (c) hand-worked new and changed customers
# --------------------------------------------------------------------------------------


@pytest.fixture
def four() -> pd.DataFrame:
    return pd.DataFrame(
        {"revenue": [10.0, 20.0, 20.0, 40.0]}, index=pd.Index(list("abcd"), name="customer_id")
    )


def test_percentile_rank_of_new_and_changed_customers(four: pd.DataFrame) -> None:
    fit = fit_score_accounts(four, criteria={"revenue": 1.0}, normalize="rank")
    # base: average ranks of 10, 20, 20, 40 are 1, 2.5, 2.5, 4, so (r - 1) / 3 =
    # 0, 0.5, 0.5, 1; account_rank: d 1, b and c 2, a 4
    base = fit.apply(four)
    assert base["account_score"].tolist() == [0.0, 0.5, 0.5, 1.0]
    assert base["account_rank"].tolist() == [4, 2, 2, 1]
    rows = pd.DataFrame(
        {"revenue": [20.0, 30.0, 30.0, 5.0]},
        index=pd.Index(["e", "f", "a", "d"], name="customer_id"),
    )
    out = fit.apply(rows)
    # e (new, 20): added to the 4 base values; 1 below (10), 2 equal: ranks 2, 3, 4 share
    #   3, and n = 5: (3 - 1) / 4 = 0.5. account_rank: only d (1.0) is better: 2.
    # f (new, 30): 3 below, none equal: rank 4 of 5: 3 / 4 = 0.75; rank 2 (after d).
    # a (was 10, now 30): replaces its own row; others 20, 20, 40: rank 3 of 4: 2 / 3;
    #   account_rank: d (1.0) better, b and c (0.5) not: 2.
    # d (was 40, now 5): others 10, 20, 20: rank 1 of 4: 0; b and c (0.5) are better,
    #   a (0.0) ties: rank 3.
    assert out["account_score"].tolist() == [0.5, 0.75, 2 / 3, 0.0]
    assert out["account_rank"].tolist() == [2, 2, 2, 3]


def test_minmax_scale_is_frozen(four: pd.DataFrame) -> None:
    fit = fit_score_accounts(four, criteria={"revenue": 1.0})
    assert (fit.low.tolist(), fit.high.tolist()) == ([10.0], [40.0])
    rows = pd.DataFrame({"revenue": [50.0, 25.0]}, index=pd.Index(["e", "b"], name="customer_id"))
    out = fit.apply(rows)
    # (50 - 10) / 30 = 4 / 3: beyond the base's best, still ranked 1;
    # b now 25: (25 - 10) / 30 = 0.5, below d (1.0) and above c (1/3): rank 2
    assert out["account_score"].tolist() == [4 / 3, 0.5]
    assert out["account_rank"].tolist() == [1, 2]


def test_missing_worst_is_frozen(four: pd.DataFrame) -> None:
    fit = fit_score_accounts(four, criteria={"revenue": 1.0}, missing="worst")
    assert fit.fill.tolist() == [10.0]  # the base's minimum
    row = pd.DataFrame({"revenue": [np.nan]}, index=pd.Index(["z"], name="customer_id"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # apply fills silently
        out = fit.apply(row)
    # filled with 10: (10 - 10) / 30 = 0, tied with a (0) for the last rank 4
    assert out["account_score"].tolist() == [0.0]
    assert out["account_rank"].tolist() == [4]


def test_selection_freezes_the_split_tie_group() -> None:
    base = pd.DataFrame(
        {"account_rank": [1, 2, 2, 2, 5]}, index=pd.Index(list("abcde"), name="customer_id")
    )
    # a fits; the 3 accounts at rank 2 would make 4 > max 3, but 1 < min 2: the group is
    # split in row order and b is taken
    with pytest.warns(KamsegWarning, match="3 accounts tie at rank 2"):
        sel = fit_select_key_accounts(base, min_accounts=2, max_accounts=3)
    assert (sel.last_rank, sel.split_rank, sel.split_ids.tolist()) == (1.0, 2.0, ["b"])
    rows = pd.DataFrame(
        {"account_rank": [2, 2, 2, 1, 3]},
        index=pd.Index(["f", "b", "c", "e", "a"], name="customer_id"),
    )
    # f: new at the split rank (no room): not key; b: taken; c: left out; e: now rank 1 <=
    # last_rank 1: key; a: now rank 3: not key
    assert sel.apply(rows)["is_key_account"].tolist() == [False, True, False, True, False]
    # the same base in another row order: d comes first in its tie group, so d is taken
    shuffled = base.loc[list("dcbae")]
    with pytest.warns(KamsegWarning, match="tie at rank 2"):
        sel2 = fit_select_key_accounts(shuffled, min_accounts=2, max_accounts=3)
    assert sel2.split_ids.tolist() == ["d"]
    assert sel2.apply(base)["is_key_account"].tolist() == [True, False, False, True, False]


def test_ids_of_another_kind_are_new_customers(four: pd.DataFrame) -> None:
    fit = fit_score_accounts(four, criteria={"revenue": 1.0}, normalize="rank")
    row = pd.DataFrame({"revenue": [10.0]}, index=pd.Index([1], name="customer_id"))
    # integer id vs text ids: added; 0 below, 1 equal (a): ranks 1, 2 share 1.5: 0.5 / 4
    assert fit.apply(row)["account_score"].tolist() == [0.125]


# --------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------


def test_apply_errors_name_the_method(four: pd.DataFrame) -> None:
    fit = fit_score_accounts(four, criteria={"revenue": 1.0})
    with pytest.raises(ColumnNotFoundError, match=r"AccountScoreFit\.apply"):
        fit.apply(four.rename(columns={"revenue": "sales"}))
    with pytest.raises(SchemaError, match=r"AccountScoreFit\.apply: 1 value\(s\) .* are null"):
        fit.apply(four.assign(revenue=[np.nan, 1.0, 2.0, 3.0]))
    with pytest.raises(ConfigError, match="account_score"):
        fit.apply(fit.apply(four))
    sel = fit_select_key_accounts(fit.apply(four), min_accounts=1)
    with pytest.raises(ColumnNotFoundError, match=r"KeyAccountSelection\.apply"):
        sel.apply(four)
    with pytest.raises(ConfigError, match="is_key_account"):
        sel.apply(sel.apply(fit.apply(four)))


def test_fit_errors_are_the_batch_errors(four: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="fit_score_accounts: 1 value"):
        fit_score_accounts(four.assign(revenue=[np.nan, 1, 2, 3]), criteria={"revenue": 1.0})
    with pytest.raises(ConfigError, match="fit_select_key_accounts: `min_accounts`"):
        fit_select_key_accounts(four.assign(account_rank=1), min_accounts=3, max_accounts=2)


# --------------------------------------------------------------------------------------
# (d) round trip
# --------------------------------------------------------------------------------------


def _round_trips(fit: Any, table: pd.DataFrame) -> None:
    expected = fit.apply(table)
    again = _state.from_payload(*_state.to_payload(fit))
    assert type(again) is type(fit)
    pd.testing.assert_frame_equal(again.apply(table), expected, check_exact=True)
    buf = io.BytesIO()
    _state.write(buf, fit, {"format": "test"})
    buf.seek(0)
    read = _state.read(buf)
    pd.testing.assert_frame_equal(read.apply(table), expected, check_exact=True)
    assert repr(read) == repr(fit)


@pytest.mark.parametrize(("data", "case"), [*ROWWISE, ("ties", "topsis_minmax")])
def test_round_trip(data: str, case: str) -> None:
    fit, full = _fitted(data, case)
    _round_trips(fit, TABLES[data]())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        selection = fit_select_key_accounts(full, min_accounts=5, max_accounts=5)
    assert isinstance(selection, KeyAccountSelection)
    _round_trips(selection, full)


def test_round_trip_with_text_ids_and_ahp_weights() -> None:
    table = _ties().rename(index=lambda i: f"C{i:05d}")
    ahp = [[1, 3, 5, 3], [1 / 3, 1, 3, 1], [1 / 5, 1 / 3, 1, 1 / 3], [1 / 3, 1, 3, 1]]
    crit = {c: ("min" if c == "cost_to_serve" else "max") for c in CRIT["ties"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        fit = fit_score_accounts(table, criteria=crit, ahp=ahp, normalize="rank", missing="worst")
        selection = fit_select_key_accounts(fit.apply(table), min_accounts=5, max_accounts=5)
    assert fit.ids is not None and fit.ids.dtype == object
    assert fit.consistency_ratio is not None
    _round_trips(fit, table)
    _round_trips(selection, fit.apply(table))
