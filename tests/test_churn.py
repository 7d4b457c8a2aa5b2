"""Tests for kamseg.churn: features, labels, no leakage, the model and its evaluation.

Features and labels are worked out by hand for customers buying on known dates; the
evaluation labels are recomputed with plain pandas; the model is checked for
determinism, a modest AUC on synthetic data and the validity of its cut-offs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg._churn_eval import (
    MAX_TRAIN_ROWS,
    MIN_TRAIN_ROWS,
    precision_at_k,
    stratified_sample,
    train_rows_bound,
)
from kamseg.churn import (
    CHURN_FEATURES,
    ChurnModel,
    churn_features,
    churn_model,
    churn_training_data,
    predict_churn,
)
from kamseg.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    KamsegWarning,
    SchemaError,
)

CUT = pd.Timestamp("2024-06-30")


def tx_at(purchases: dict[str, list[tuple[str, float]]]) -> pd.DataFrame:
    rows = [(c, pd.Timestamp(d), a) for c, ps in purchases.items() for d, a in ps]
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


@pytest.fixture(scope="module")
def data() -> kamseg.datasets.Dataset:
    return kamseg.datasets.make_transactions(n_customers=2000, seed=11)


@pytest.fixture(scope="module")
def model(data: kamseg.datasets.Dataset) -> ChurnModel:
    return churn_model(data.transactions, max_cutoffs=8, seed=0)


# --------------------------------------------------------------------------------------
# features and labels by hand
# --------------------------------------------------------------------------------------


def test_features_by_hand() -> None:
    tx = tx_at(
        {
            # 2024-04-01 is 90 days before the cut-off (outside the last 90 days, which are
            # 2024-04-02..2024-06-30), 2024-01-03 is 179 days before (inside 180 days)
            "a": [("2024-01-03", 40.0), ("2024-04-01", 60.0), ("2024-04-02", 25.0)],
            "b": [("2023-01-01", 100.0), ("2023-12-31", 50.0)],  # 182 days before: neither
            "c": [("2024-06-30", 10.0), ("2024-06-30", 5.0)],  # bought on the cut-off day
            "d": [("2024-07-01", 99.0)],  # first purchase after the cut-off: not a row
        }
    )
    f = churn_features(tx, as_of=CUT)
    assert f.index.tolist() == ["a", "b", "c"]
    assert f.index.name == "customer_id"
    assert list(f.columns) == list(CHURN_FEATURES)
    assert (f.dtypes == np.float64).all()
    a, b, c = (f.loc[k] for k in "abc")
    # a: first 2024-01-03 (179 days before), last 2024-04-02 (89 days before), 3 days
    assert a[["days_since_last", "tenure_days", "n_orders", "revenue"]].tolist() == [
        89,
        179,
        3,
        125,
    ]
    assert a[["frequency", "recency", "T"]].tolist() == [2, 90, 179]
    assert a["monetary_value"] == pytest.approx((60 + 25) / 2)
    assert a["overdue_ratio"] == pytest.approx(89 / ((179 - 89) / 2))
    assert a[["spend_90d", "spend_180d"]].tolist() == [25.0, 125.0]
    assert a["spend_ratio_90_180"] == pytest.approx(0.2)
    # b: no spend in either window -> ratio unknown; 2023-01-01 is 546 days before
    assert b[["days_since_last", "tenure_days", "spend_90d", "spend_180d"]].tolist() == [
        182,
        546,
        0,
        0,
    ]
    assert math.isnan(b["spend_ratio_90_180"])
    assert b["overdue_ratio"] == pytest.approx(182 / 364)
    # c: two lines on the cut-off day: one purchase day, no repeat, so no gap of its own.
    # Changed by the one rule of kamseg.features.rhythm (it was NaN): c gets the base gap,
    # the median of the repeat buyers' gaps, a's (179 - 89) / 2 = 45 and b's 364, so
    # (45 + 364) / 2 = 204.5 days, and it is 0 / 204.5 = 0 gaps overdue.
    assert c[["days_since_last", "n_orders", "frequency", "T"]].tolist() == [0, 2, 0, 0]
    assert c["overdue_ratio"] == 0.0
    assert c[["spend_90d", "spend_ratio_90_180"]].tolist() == [15.0, 1.0]
    assert f.attrs["as_of"] == "2024-06-30"


def test_labels_by_hand() -> None:
    tx = tx_at(
        {
            "a": [("2024-01-10", 1.0), ("2024-03-01", 1.0)],  # buys 30 days after 01-31
            "b": [("2024-01-31", 1.0), ("2024-03-31", 1.0)],  # 60 days after 01-31: inside
            "c": [("2024-01-01", 1.0), ("2024-04-01", 1.0)],  # 61 days after 01-31: outside
            "d": [("2024-02-15", 1.0), ("2024-06-01", 1.0)],  # not a customer at 01-31
        }
    )
    rows = churn_training_data(tx, cutoffs=["2024-03-01", "2024-01-31"], window_days=60)
    got = {(str(r.cutoff.date()), r.customer_id): bool(r.churned) for r in rows.itertuples()}
    assert got == {
        # window (01-31, 03-31]
        ("2024-01-31", "a"): False,
        ("2024-01-31", "b"): False,
        ("2024-01-31", "c"): True,
        # window (03-01, 04-30]: a's purchase on the cut-off day is history, not label
        ("2024-03-01", "a"): True,
        ("2024-03-01", "b"): False,
        ("2024-03-01", "c"): False,
        ("2024-03-01", "d"): True,
    }
    assert rows["cutoff"].is_monotonic_increasing
    assert list(rows.columns) == ["cutoff", "customer_id", *CHURN_FEATURES, "churned"]
    assert rows["churned"].dtype == bool
    assert rows.loc[
        rows["customer_id"].eq("a") & rows["cutoff"].eq("2024-03-01"), "n_orders"
    ].tolist() == [2.0]


def test_no_leakage() -> None:
    data = kamseg.datasets.make_transactions(n_customers=300, seed=4)
    tx = data.transactions
    cut = pd.Timestamp("2023-09-30")
    full = churn_features(tx, as_of=cut)
    past = churn_features(tx[tx["date"] <= cut], as_of=cut)
    pd.testing.assert_frame_equal(full, past)
    # and the training rows of a cut-off only need the data up to the end of its window
    window_end = cut + pd.Timedelta(days=180)
    rows_full = churn_training_data(tx, cutoffs=[cut])
    rows_cut = churn_training_data(tx[tx["date"] <= window_end], cutoffs=[cut])
    pd.testing.assert_frame_equal(rows_full, rows_cut)


def test_features_refuse_bad_input() -> None:
    tx = tx_at({"a": [("2024-01-01", 1.0)]})
    with pytest.raises(ColumnNotFoundError, match="amount"):
        churn_features(tx.rename(columns={"amount": "value"}))
    with pytest.raises(EmptyInputError, match="no transaction on or before 2023-01-01"):
        churn_features(tx, as_of="2023-01-01")
    with pytest.raises(ConfigError, match="as_of"):
        churn_features(tx, as_of=3)
    with pytest.raises(ConfigError, match="ends after the data"):
        churn_training_data(tx, cutoffs=["2023-12-01"])
    with pytest.raises(ConfigError, match="returns"):
        churn_features(tx, returns="drop")  # type: ignore[arg-type]
    with pytest.warns(KamsegWarning, match="1 row") as caught:
        f = churn_features(tx_at({"a": [("2024-01-01", 5.0), ("2024-01-02", -2.0)]}))
    assert len(caught) == 1
    assert f.loc["a", "revenue"] == 3.0


# --------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------


def test_evaluation_table(model: ChurnModel, data: kamseg.datasets.Dataset) -> None:
    ev = model.evaluation
    assert list(ev.columns) == ["auc", "precision_at_k", "brier", "n", "base_rate"]
    assert ev.index.name == "model"
    assert ev.index.tolist() == [
        "gbm",
        "bgnbd 1-p_alive",
        "bgnbd P(no purchase)",
        "mbgnbd 1-p_alive",
        "mbgnbd P(no purchase)",
    ]
    assert ev["n"].dtype == np.int64
    # the evaluation labels, recomputed with plain pandas
    tx = data.transactions
    e = model.eval_cutoff
    assert e == data.as_of - pd.Timedelta(days=180)
    before = set(tx.loc[tx["date"] <= e, "customer_id"])
    inside = tx["date"].gt(e) & tx["date"].le(e + pd.Timedelta(days=180))
    bought = set(tx.loc[inside, "customer_id"])
    assert ev["n"].iloc[0] == len(before)
    assert ev["base_rate"].iloc[0] == pytest.approx(len(before - bought) / len(before))
    assert ev.attrs["k"] == math.ceil(0.1 * len(before))
    # the training windows end on or before the evaluation cut-off
    assert max(model.train_cutoffs) + pd.Timedelta(days=180) <= e
    assert len(model.train_cutoffs) == 8
    assert (
        np.diff(np.array(model.train_cutoffs, dtype="datetime64[D]")).tolist()
        == [np.timedelta64(30, "D")] * 7
    )
    active = model.evaluation_active
    assert list(active.columns) == list(ev.columns)
    assert active["n"].iloc[0] < ev["n"].iloc[0]
    for table in (ev, active):
        assert table[["auc", "precision_at_k", "brier"]].notna().all().all()
        assert table["brier"].between(0, 1).all()


def test_auc_sanity_and_baseline(model: ChurnModel) -> None:
    ev = model.evaluation
    assert ev.loc["gbm", "auc"] > 0.8
    assert model.evaluation_active.loc["gbm", "auc"] > 0.7
    # BG/NBD's P(alive) is 1 without repeat purchases: a weak ranking of the label
    assert ev.loc["gbm", "auc"] > ev.loc["bgnbd 1-p_alive", "auc"] + 0.1
    # the data come from BG/NBD: its P(no purchase) is about as good as the boosting
    assert abs(ev.loc["gbm", "auc"] - ev.loc["bgnbd P(no purchase)", "auc"]) < 0.03
    assert ev.loc["gbm", "brier"] < ev.loc["bgnbd 1-p_alive", "brier"]
    assert "eval AUC" in repr(model)


def test_deterministic(data: kamseg.datasets.Dataset, model: ChurnModel) -> None:
    again = churn_model(data.transactions, max_cutoffs=8, seed=0)
    pd.testing.assert_frame_equal(again.evaluation, model.evaluation)
    f = churn_features(data.transactions)
    np.testing.assert_array_equal(again.predict_proba(f), model.predict_proba(f))


def test_predict_churn(data: kamseg.datasets.Dataset, model: ChurnModel) -> None:
    customers = kamseg.summarize(data.transactions, as_of=data.as_of)
    with_prospects = customers.reindex(data.master.index)
    before = with_prospects.copy()
    out = predict_churn(with_prospects, model, transactions=data.transactions)
    pd.testing.assert_frame_equal(with_prospects, before)
    assert out.index.equals(with_prospects.index)
    p = out["churn_probability"]
    assert p.dtype == np.float64
    prospects = data.master["is_prospect"].to_numpy()
    assert p[prospects].isna().all() and p[~prospects].between(0, 1).all()
    # the same as from the transactions alone
    direct = predict_churn(data.transactions, model)
    pd.testing.assert_series_equal(
        direct["churn_probability"], p.dropna(), check_names=True, check_index_type=False
    )
    # churners: customers with no purchase for a long time score higher
    long_gone = customers["days_since_last"] > 365
    assert p[long_gone.index[long_gone]].mean() > p[long_gone.index[~long_gone]].mean() + 0.3
    with pytest.raises(ConfigError, match="overwrite=True"):
        predict_churn(out, model, transactions=data.transactions)
    predict_churn(out, model, transactions=data.transactions, overwrite=True)
    with pytest.raises(ConfigError, match="ChurnModel"):
        predict_churn(customers, "model", transactions=data.transactions)  # type: ignore[arg-type]


def test_predict_churn_as_of(data: kamseg.datasets.Dataset, model: ChurnModel) -> None:
    as_of = pd.Timestamp("2024-06-30")
    customers = kamseg.summarize(
        data.transactions[data.transactions["date"] <= as_of], as_of=as_of
    )
    # the later rows are left out by the preparation of the transactions, with its warning
    with pytest.warns(KamsegWarning, match="predict_churn: excluded .* after as_of 2024-06-30"):
        out = predict_churn(customers, model, transactions=data.transactions)
    expected = model.predict_proba(churn_features(data.transactions, as_of=as_of))
    np.testing.assert_allclose(out["churn_probability"].to_numpy(), expected)
    # prepared transactions are cut at the customer table's as_of, silently
    prepared = kamseg.prepare_transactions(data.transactions)
    again = predict_churn(customers, model, transactions=prepared)
    pd.testing.assert_frame_equal(again, out)


# --------------------------------------------------------------------------------------
# transactions prepared once: used as they are, one warning
# --------------------------------------------------------------------------------------


def with_returns(tx: pd.DataFrame, n: int = 40) -> pd.DataFrame:
    """`tx` and `n` returns: half of an earlier purchase given back on the same day."""
    back = tx.iloc[:: len(tx) // n][:n].copy()
    back["amount"] = -0.5 * back["amount"]
    return pd.concat([tx, back], ignore_index=True)


def test_prepared_gives_the_same_results(data: kamseg.datasets.Dataset, model: ChurnModel) -> None:
    prepared = kamseg.prepare_transactions(data.transactions)
    again = churn_model(prepared, max_cutoffs=8, seed=0)
    pd.testing.assert_frame_equal(again.evaluation, model.evaluation)
    pd.testing.assert_frame_equal(again.evaluation_active, model.evaluation_active)
    assert (again.train_cutoffs, again.eval_cutoff, again.n_train) == (
        model.train_cutoffs,
        model.eval_cutoff,
        model.n_train,
    )
    customers = kamseg.summarize(prepared)
    pd.testing.assert_frame_equal(
        predict_churn(customers, again, transactions=prepared),
        predict_churn(customers, model, transactions=data.transactions),
    )
    pd.testing.assert_frame_equal(
        predict_churn(prepared, again), predict_churn(data.transactions, model)
    )
    pd.testing.assert_frame_equal(
        churn_features(prepared, as_of=CUT), churn_features(data.transactions, as_of=CUT)
    )
    cutoffs = ["2023-06-30", "2023-12-31"]
    pd.testing.assert_frame_equal(
        churn_training_data(prepared, cutoffs=cutoffs),
        churn_training_data(data.transactions, cutoffs=cutoffs),
    )
    # a prepared table's as_of cannot be moved later: its later rows are gone
    early = prepared.until("2024-06-30")
    with pytest.raises(ConfigError, match="after the as_of of the prepared"):
        churn_features(early, as_of="2024-07-01")


def test_model_takes_the_columns_of_prepared(data: kamseg.datasets.Dataset) -> None:
    names = {"customer_id": "cid", "date": "day", "amount": "value"}
    renamed = data.transactions.rename(columns=names)
    prepared = kamseg.prepare_transactions(
        renamed, customer_col="cid", date_col="day", amount_col="value"
    )
    m = churn_model(
        prepared,
        cutoffs=["2023-06-30", "2024-01-31"],
        features=["days_since_last", "overdue_ratio"],
        baselines=False,
        window_days=120,
    )
    assert (m.customer_col, m.date_col, m.amount_col) == ("cid", "day", "value")
    direct = predict_churn(renamed, m)  # a DataFrame, read with the model's columns
    assert direct.index.name == "cid"
    pd.testing.assert_frame_equal(direct, predict_churn(prepared, m))
    rows = churn_training_data(prepared, cutoffs=["2024-01-31"])
    assert list(rows.columns[:2]) == ["cutoff", "cid"]


def test_returns_warned_once(data: kamseg.datasets.Dataset, model: ChurnModel) -> None:
    tx = with_returns(data.transactions)
    n_back = int((tx["amount"] < 0).sum())
    customers = kamseg.summarize(data.transactions)
    calls = {
        "churn_features": lambda t: churn_features(t, as_of=CUT),
        "churn_training_data": lambda t: churn_training_data(t, cutoffs=["2023-06-30"]),
        "churn_model": lambda t: churn_model(t, max_cutoffs=3, baselines=False),
        "predict_churn": lambda t: predict_churn(t, model),
    }
    for func, call in [
        *calls.items(),
        ("predict_churn", lambda t: predict_churn(customers, model, transactions=t)),
    ]:
        with pytest.warns(KamsegWarning) as caught:
            call(tx)
        assert len(caught) == 1, [str(w.message) for w in caught]
        message = str(caught[0].message)
        assert message.startswith(f"{func}: {n_back} row(s) have negative amounts (returns)")
        assert caught[0].filename == __file__  # it points at the caller
    with pytest.warns(KamsegWarning, match="negative amounts") as caught:
        prepared = kamseg.prepare_transactions(tx)
    assert len(caught) == 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for call in calls.values():
            call(prepared)
        predict_churn(customers, model, transactions=prepared)
    assert [str(w.message) for w in caught] == []


def test_dropna(model: ChurnModel) -> None:
    tx = tx_at({"a": [("2024-01-01", 10.0), ("2024-03-01", 20.0)], "b": [("2024-02-01", 5.0)]})
    nulls = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "date": pd.to_datetime(["2024-02-01", "2024-05-01"]),
            "amount": [np.nan, np.nan],
        }
    )
    bad = pd.concat([tx, nulls], ignore_index=True)
    with pytest.raises(SchemaError, match="dropna=True"):
        churn_features(bad)
    drop = r"dropped 2 row\(s\) with null values"
    with pytest.warns(KamsegWarning, match=f"churn_features: {drop}") as caught:
        f = churn_features(bad, dropna=True, as_of="2024-06-30")
    assert len(caught) == 1
    pd.testing.assert_frame_equal(f, churn_features(tx, as_of="2024-06-30"))
    # by hand: a bought on 2024-01-01 and 2024-03-01 (121 days before 2024-06-30, 181)
    assert f.loc["a", ["days_since_last", "tenure_days", "revenue"]].tolist() == [121, 181, 30]
    # the null row of a on 2024-02-01 is no purchase: a churned in (01-15, 02-14]
    with pytest.warns(KamsegWarning, match=f"churn_training_data: {drop}"):
        rows = churn_training_data(bad, cutoffs=["2024-01-15"], window_days=30, dropna=True)
    assert rows[["customer_id", "churned"]].values.tolist() == [["a", True]]
    with pytest.warns(KamsegWarning, match=f"predict_churn: {drop}"):
        scored = predict_churn(bad, model, dropna=True)
    assert scored.index.tolist() == ["a", "b"]
    assert scored["churn_probability"].between(0, 1).all()


def test_fixed_cutoffs_features_and_calibration(data: kamseg.datasets.Dataset) -> None:
    m = churn_model(
        data.transactions,
        cutoffs=["2023-03-31", "2023-06-30", "2024-01-31"],
        features=["days_since_last", "frequency", "T"],
        calibration="sigmoid",
        top_k=50,
        baselines=False,
        window_days=120,
    )
    assert m.train_cutoffs == (pd.Timestamp("2023-03-31"), pd.Timestamp("2023-06-30"))
    assert m.eval_cutoff == pd.Timestamp("2024-01-31")
    assert m.features == ("days_since_last", "frequency", "T")
    assert m.evaluation.index.tolist() == ["gbm"]
    assert m.evaluation.attrs["k"] == 50
    assert m.evaluation.loc["gbm", "auc"] > 0.7


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"cutoffs": ["2024-01-31"]}, ConfigError, "at least two dates"),
        ({"cutoffs": ["2024-01-31", "2024-08-01"]}, ConfigError, "ends after the data"),
        ({"cutoffs": ["2024-01-31", "2024-06-01"]}, ConfigError, "training would see"),
        ({"cutoffs": "2024-01-31"}, ConfigError, "list of dates"),
        ({"window_days": 400}, EmptyInputError, "too short"),
        ({"window_days": 0}, ConfigError, "window_days"),
        ({"features": ["recency", "spend"]}, ConfigError, "features"),
        ({"features": []}, ConfigError, "non-empty"),
        ({"calibration": "platt"}, ConfigError, "calibration"),
        ({"top_k": 1.5}, ConfigError, "top_k"),
        ({"top_k": 0}, ConfigError, "top_k"),
        ({"seed": -1}, ConfigError, "seed"),
        ({"baselines": "yes"}, ConfigError, "baselines"),
    ],
)
def test_model_config_errors(
    data: kamseg.datasets.Dataset, kwargs: dict[str, Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        churn_model(data.transactions, **kwargs)


def test_single_class_training_data() -> None:
    # everyone buys every month: nobody ever churns in a 60-day window
    days = pd.date_range("2023-01-01", "2024-12-31", freq="MS")
    tx = pd.DataFrame(
        [(c, d, 10.0) for c in range(5) for d in days], columns=["customer_id", "date", "amount"]
    )
    with pytest.raises(EmptyInputError, match="same label"):
        churn_model(tx, window_days=60)


# --------------------------------------------------------------------------------------
# the bounded, stratified training sample
# --------------------------------------------------------------------------------------


def test_stratified_sample_by_hand() -> None:
    # two cut-offs of 40 and 60 rows: strata (cut-off, label) of 10 + 30 and 54 + 6 rows,
    # labels interleaved; 50 rows kept: 5, 15, 27 and 3 (half of each)
    labels = np.concatenate([np.tile([True, False, False, False], 10), np.arange(60) % 10 == 3])
    sizes = np.array([40, 60])
    keep = stratified_sample(sizes, labels, 50, 0)
    assert keep.size == 50
    assert (np.diff(keep) > 0).all()  # in row order, no repeat
    strata = 2 * np.repeat([0, 1], sizes) + labels
    assert np.bincount(strata[keep]).tolist() == [15, 5, 27, 3]
    np.testing.assert_array_equal(keep, stratified_sample(sizes, labels, 50, 0))  # seeded
    assert not np.array_equal(keep, stratified_sample(sizes, labels, 50, 1))
    # three strata of one row and two to keep: no whole quota, the leftovers go to the
    # largest remainders (all 2/3), ties to the lower stratum; an empty block counts none
    one = np.array([1, 0, 1, 1])
    assert stratified_sample(one, np.array([True, False, True]), 2, 0).tolist() == [0, 1]
    # no bound, or no more rows than the bound: every row
    assert stratified_sample(sizes, labels, None, 0).tolist() == list(range(100))
    assert stratified_sample(sizes, labels, 100, 0).tolist() == list(range(100))


def _sample_by_sorting(strata: np.ndarray, max_rows: int, keys: np.ndarray) -> np.ndarray:
    """The rule of stratified_sample, by a full stable sort (a second implementation)."""
    n = strata.size
    uniq, inverse, sizes = np.unique(strata, return_inverse=True, return_counts=True)
    share = sizes * (max_rows / n)
    quota = np.floor(share).astype(np.int64)
    left = max_rows - int(quota.sum())
    quota[np.argsort(-(share - quota), kind="stable")[:left]] += 1
    keep = np.zeros(n, dtype=bool)
    for s in range(uniq.size):
        rows = np.flatnonzero(inverse == s)
        mine = (s + 0.5 * keys)[rows]  # the same keys as the function's
        keep[rows[np.argsort(mine, kind="stable")[: quota[s]]]] = True
    return np.flatnonzero(keep)


@pytest.mark.parametrize("tied", [False, True])
def test_stratified_sample_equals_a_sort(monkeypatch: pytest.MonkeyPatch, tied: bool) -> None:
    """The sample found block by block, by partition, is the one a full sort of every
    row's key finds, equal keys included (earlier rows first): keys drawn from three
    values make ties at every stratum's edge; the uniforms are one stream over the rows,
    read a block at a time."""
    import kamseg._churn_eval as churn_eval

    rng = np.random.default_rng(5)
    for _ in range(60):
        sizes = rng.integers(0, 90, int(rng.integers(1, 7)))
        n = int(sizes.sum())
        if n < 2:
            continue
        labels = rng.random(n) < rng.random()
        max_rows = int(rng.integers(1, n))
        keys = rng.choice([0.0, 0.25, 0.5], n) if tied else rng.random(n)
        drawn = iter(np.split(keys, np.cumsum(sizes)[:-1]))

        def fixed(seed: int, drawn: Iterator[np.ndarray] = drawn) -> SimpleNamespace:
            return SimpleNamespace(random=lambda size: next(drawn)[:size])

        monkeypatch.setattr(churn_eval.np.random, "default_rng", fixed)
        got = churn_eval.stratified_sample(sizes, labels, max_rows, 0)
        monkeypatch.undo()
        strata = 2 * np.repeat(np.arange(sizes.size), sizes) + labels
        np.testing.assert_array_equal(got, _sample_by_sorting(strata, max_rows, keys))
    # the uniforms of the blocks are those of one draw for every row
    sizes, labels = np.array([300, 0, 500, 200]), rng.random(1000) < 0.3
    strata = 2 * np.repeat(np.arange(4), sizes) + labels
    keys = np.random.default_rng(9).random(1000)
    got = stratified_sample(sizes, labels, 100, 9)
    np.testing.assert_array_equal(got, _sample_by_sorting(strata, 100, keys))


def test_max_train_rows(data: kamseg.datasets.Dataset, model: ChurnModel) -> None:
    assert (MIN_TRAIN_ROWS, MAX_TRAIN_ROWS) == (100_000, 200_000)
    # "auto": one row per customer, within the two bounds
    for customers, rows in ((2_000, 100_000), (150_000, 150_000), (10**7, 200_000)):
        assert train_rows_bound("auto", customers) == rows
    assert (train_rows_bound(None, 10**6), train_rows_bound(300, 10**6)) == (None, 300)
    # the fixture's rows are fewer than the default bound: all of them are used
    assert model.n_train == model.n_train_rows
    small = churn_model(data.transactions, max_cutoffs=8, seed=0, max_train_rows=3000)
    assert small.n_train == 3000
    assert small.n_train_rows == model.n_train_rows
    assert f"{3000:,} rows" in repr(small)
    assert small.evaluation.loc["gbm", "auc"] > 0.8
    # the same rows with a bound above their number, or none: the same model
    unbounded = churn_model(data.transactions, max_cutoffs=8, seed=0, max_train_rows=None)
    pd.testing.assert_frame_equal(unbounded.evaluation, model.evaluation)
    for bad in (99, 2.5, True, "all", "AUTO"):
        with pytest.raises(ConfigError, match="max_train_rows"):
            churn_model(data.transactions, max_train_rows=bad)  # type: ignore[arg-type]


def test_sample_keeps_label_share_of_each_cutoff(data: kamseg.datasets.Dataset) -> None:
    from kamseg.churn import _sampled_training
    from kamseg.features._cutoffs import CutoffHistory

    prepared = kamseg.prepare_transactions(data.transactions)
    days = ["2023-08-31", "2023-12-08", "2024-03-17"]
    rows = churn_training_data(prepared, cutoffs=days, window_days=90)
    n_keep = len(rows) // 4
    x, codes, y, total = _sampled_training(
        CutoffHistory(prepared),
        [int(np.datetime64(d, "D").astype(np.int64)) for d in days],
        90,
        names=CHURN_FEATURES,
        max_rows=n_keep,
        seed=3,
        func="test",
    )
    assert total == len(rows) and y.size == n_keep == len(x) == len(codes)
    # the kept rows are those of a stratified sample of churn_training_data's rows, by
    # cut-off and label, features and label alike
    sizes = rows.groupby("cutoff", sort=True).size().to_numpy()  # rows by cut-off, then id
    kept = rows.iloc[stratified_sample(sizes, rows["churned"].to_numpy(), n_keep, 3)]
    np.testing.assert_array_equal(x, kept[list(CHURN_FEATURES)].to_numpy())
    np.testing.assert_array_equal(y, kept["churned"].to_numpy())
    assert prepared.ids.take(codes).tolist() == kept["customer_id"].tolist()
    # each cut-off keeps its share of the rows and of the churners, within a row or two
    for _, group in rows.groupby("cutoff"):
        share = kept[kept["cutoff"] == group["cutoff"].iloc[0]]
        assert len(share) == pytest.approx(len(group) / 4, abs=2)
        assert share["churned"].sum() == pytest.approx(group["churned"].sum() / 4, abs=1)


def test_precision_at_k_by_hand() -> None:
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    score = np.array([0.9, 0.8, 0.7, 0.1, 0.2])
    assert precision_at_k(y, score, 1) == 1.0
    assert precision_at_k(y, score, 2) == 0.5
    assert precision_at_k(y, score, 3) == pytest.approx(2 / 3)


def test_import_is_light() -> None:
    import subprocess
    import sys

    code = "import sys, kamseg.churn, kamseg.health; print('sklearn' in sys.modules)"
    with warnings.catch_warnings():
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("tied", [False, True])
def test_metrics_equal_scikit_learn(tied: bool) -> None:
    """The evaluation's AUC (one sort, ties count one half) and Brier score are
    scikit-learn's roc_auc_score and brier_score_loss; tied scores included."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    from kamseg._churn_eval import _metrics

    rng = np.random.default_rng(11)
    for _ in range(40):
        n = int(rng.integers(2, 2000))
        y = (rng.random(n) < rng.uniform(0.05, 0.95)).astype(np.int64)
        y[:2] = [0, 1]  # both classes
        p = rng.integers(0, 6, n) / 5.0 if tied else rng.random(n)
        got = _metrics(y, p, 3)
        assert got["auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-14)
        assert got["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-14)
        assert got["precision_at_k"] == precision_at_k(y, p, 3)
    # by hand: scores 0.9 (y=1), 0.5 (y=0), 0.5 (y=1), 0.1 (y=0): of the 4 pairs, the
    # positive is above in 3 and tied in 1, so (3 + 0.5) / 4
    y = np.array([1, 0, 1, 0])
    assert _metrics(y, np.array([0.9, 0.5, 0.5, 0.1]), 1)["auc"] == 0.875


@pytest.mark.parametrize("tied", [False, True])
def test_active_evaluation_equals_its_own_sort(tied: bool) -> None:
    """The active customers' table reuses the sort of all the customers' scores: the same
    numbers, to the bit, as sorting their own scores (ties included, a missing model)."""
    from kamseg._churn_eval import evaluate, evaluations

    rng = np.random.default_rng(3)
    n = 3000
    y = rng.random(n) < 0.4
    active = rng.random(n) < 0.3
    scores: dict[str, np.ndarray | None] = {
        "a": rng.integers(0, 8, n) / 7.0 if tied else rng.random(n),
        "b": None,
        "c": np.where(y, 0.6, 0.4) + (rng.integers(0, 3, n) if tied else rng.random(n)) / 10,
    }
    info = {"eval_cutoff": "2024-01-01"}
    everyone, some = evaluations(y, scores, active, 0.1, info)
    alone = evaluate(
        y[active], {m: None if p is None else p[active] for m, p in scores.items()}, 0.1, info
    )
    pd.testing.assert_frame_equal(some, alone, check_exact=True)
    pd.testing.assert_frame_equal(everyone, evaluate(y, scores, 0.1, info), check_exact=True)
    assert some.attrs == alone.attrs


def test_calibration_folds() -> None:
    """The customers are dealt to three folds of equal numbers of customers (within one),
    in an order drawn with the seed; all the rows of a customer are in its fold."""
    from kamseg._churn_eval import calibration_folds

    rng = np.random.default_rng(5)
    groups = rng.integers(0, 1000, 5000) * 7 + 3  # ids with gaps, rows in any order
    fold = calibration_folds(groups, 0)
    assert set(fold.tolist()) == {0, 1, 2}
    per_customer = pd.Series(fold).groupby(groups).nunique()
    assert (per_customer == 1).all()
    counts = pd.Series(fold).groupby(groups).first().value_counts()
    assert counts.max() - counts.min() <= 1
    np.testing.assert_array_equal(calibration_folds(groups, 0), fold)
    assert not np.array_equal(calibration_folds(groups, 1), fold)


def test_calibration_split_has_both_classes() -> None:
    """The booster is calibrated on a third of the customers that holds churned and
    retained rows: a split without one of them is passed over; when every split lacks one
    (all churners are one customer), a clear EmptyInputError, not scikit-learn's."""
    from kamseg._churn_eval import MAX_ITER, calibration_folds, estimator
    from kamseg.errors import EmptyInputError

    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(30), 10)
    x = rng.random((300, 3))
    y = np.zeros(300, dtype=np.int64)
    fold = calibration_folds(groups, 0)
    y[np.flatnonzero(fold != 0)[:50]] = 1  # the first held-out third has no churner
    fitted = estimator("isotonic", 0, groups, x, y)
    p = fitted.predict_proba(x)[:, 1]
    assert ((p >= 0) & (p <= 1)).all() and p.std() > 0
    # calibrated on the second third: the rows the booster did not see
    (calibrated,) = fitted.calibrated_classifiers_
    assert calibrated.estimator.estimator.n_iter_ == MAX_ITER
    assert calibrated.estimator.estimator.learning_rate == 0.3
    y[:] = 0
    y[groups == 0] = 1  # one customer holds every churned row
    with pytest.raises(EmptyInputError, match="calibrate"):
        estimator("isotonic", 0, groups, x, y)
    y[:150] = 1  # both classes, but one customer: no split at all
    with pytest.raises(EmptyInputError, match="calibrate"):
        estimator("isotonic", 0, np.zeros(300, dtype=np.int64), x, y)
