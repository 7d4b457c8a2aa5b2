"""Tests for the churn model as data (ChurnState) and its frozen base statistics (ChurnFit).

- the numpy trees and calibration give scikit-learn's probabilities bit for bit (the fitted
  model, random features with NaNs, values on and next to every threshold, both
  calibrations);
- ``fit_churn(...).apply`` on the base equals today's ``predict_churn`` (a re-implementation
  with scikit-learn, and md5s of the features frozen from the code before the change);
- apply is row-wise (Hypothesis subsets, shuffled rows), on realistic, return-heavy and
  tie-heavy data;
- a new customer and a changed one get the features worked out by hand;
- the state and the fit survive to_payload/from_payload and write/read, and a loaded state
  scores in a fresh interpreter without importing scikit-learn.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg
from kamseg import _state
from kamseg._churn_trees import Calibrator, ChurnFit, ChurnState
from kamseg.churn import ChurnModel, churn_features, churn_model, fit_churn, predict_churn
from kamseg.errors import ConfigError, KamsegWarning

# --------------------------------------------------------------------------------------
# data and models (small: a few hundred customers, one fit each)
# --------------------------------------------------------------------------------------


def with_returns(tx: pd.DataFrame, n: int = 40) -> pd.DataFrame:
    """`tx` and `n` returns: half of an earlier purchase given back on the same day."""
    back = tx.iloc[:: len(tx) // n][:n].copy()
    back["amount"] = -0.5 * back["amount"]
    return pd.concat([tx, back], ignore_index=True)


def prepare(tx: pd.DataFrame) -> kamseg.transactions.PreparedTransactions:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)  # returns netted
        return kamseg.prepare_transactions(tx)


def make_tx(kind: str) -> pd.DataFrame:
    if kind == "plain":
        return kamseg.datasets.make_transactions(n_customers=300, seed=7).transactions
    if kind == "returns":
        return with_returns(
            kamseg.datasets.make_transactions(n_customers=300, seed=8).transactions
        )
    # tie-heavy: purchases on the first of the month, amounts in tens
    tx = kamseg.datasets.make_transactions(n_customers=300, seed=9).transactions.copy()
    tx["date"] = pd.to_datetime(tx["date"]).dt.to_period("M").dt.to_timestamp()
    tx["amount"] = (tx["amount"] / 10).round() * 10 + 10
    return tx


KINDS = ("plain", "returns", "ties")


@pytest.fixture(scope="module")
def cases() -> dict[str, tuple[pd.DataFrame, ChurnModel, ChurnFit]]:
    out = {}
    for kind in KINDS:
        tx = make_tx(kind)
        prepared = prepare(tx)
        calibration = "sigmoid" if kind == "returns" else "isotonic"
        model = churn_model(prepared, max_cutoffs=3, baselines=False, calibration=calibration)
        out[kind] = (tx, model, fit_churn(prepared, model=model))
    return out


def reference(customers: pd.DataFrame, prepared: object, model: ChurnModel) -> pd.DataFrame:
    """Today's predict_churn: the features at the table's as_of, scikit-learn's estimator."""
    feats = churn_features(prepared)  # type: ignore[arg-type]
    p = model.estimator.predict_proba(feats[list(model.features)].to_numpy(dtype=np.float64))
    prob = pd.Series(p[:, 1], index=feats.index).reindex(customers.index)
    return customers.assign(churn_probability=prob.to_numpy())


def md5(frame: pd.DataFrame) -> str:
    return hashlib.md5(np.ascontiguousarray(frame.to_numpy()).tobytes()).hexdigest()


# --------------------------------------------------------------------------------------
# the numpy trees are scikit-learn's, bit for bit
# --------------------------------------------------------------------------------------


def booster_of(model: ChurnModel) -> object:
    return model.estimator.calibrated_classifiers_[0].estimator.estimator


@pytest.mark.parametrize("kind", KINDS)
def test_state_equals_scikit_learn(cases: dict, kind: str) -> None:
    tx, model, _ = cases[kind]
    state = model.to_state()
    assert model.to_state() is state  # built once
    feats = churn_features(prepare(tx))
    x = feats[list(model.features)].to_numpy(dtype=np.float64)
    rng = np.random.default_rng(0)
    noise = x[rng.integers(0, len(x), 500)] * rng.choice([0.5, 1.0, 2.0], (500, x.shape[1]))
    noise[rng.random(noise.shape) < 0.3] = np.nan  # missing values go where the tree says
    noise[:5] = np.nan  # rows of NaN only
    # every split's threshold, exactly and one step to each side
    trees = state.trees
    split = np.flatnonzero(~trees.is_leaf)
    on = np.repeat(x[:1], split.size, axis=0)
    on[np.arange(split.size), trees.feature[split]] = trees.threshold[split]
    below, above = on.copy(), on.copy()
    below[np.arange(split.size), trees.feature[split]] = np.nextafter(
        trees.threshold[split], -np.inf
    )
    above[np.arange(split.size), trees.feature[split]] = np.nextafter(
        trees.threshold[split], np.inf
    )
    booster = booster_of(model)
    for m in (x, noise, on, below, above, x[:1]):
        np.testing.assert_array_equal(
            state.decision_function(m),
            booster.decision_function(m),  # type: ignore[attr-defined]
            strict=True,
        )
        np.testing.assert_array_equal(
            state.predict_proba(m), model.estimator.predict_proba(m)[:, 1], strict=True
        )
    assert state.predict_proba(x[:0]).shape == (0,)
    # a churn_features table works too (its feature columns, in the model's order)
    np.testing.assert_array_equal(state.predict_proba(feats), model.predict_proba(feats))


def test_calibrators_equal_scikit_learn() -> None:
    from scipy.special import expit
    from sklearn.isotonic import IsotonicRegression

    raw = np.concatenate([np.linspace(-800, 800, 4001), [-1e308, 1e308, 0.0, -0.0]])
    for a, b in [(-1.3, 0.2), (2.0, -0.7), (-1e-3, 3.0)]:
        sig = Calibrator("sigmoid", a, b, np.empty(0), np.empty(0), np.nan, np.nan)
        with np.errstate(over="ignore"):
            np.testing.assert_array_equal(sig(raw), expit(-(a * raw + b)), strict=True)
    # an isotonic fit on one distinct value keeps a single threshold: a constant
    for x, y in [([1.0, 1.0], [0.0, 1.0]), ([1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, 1.0])]:
        iso = IsotonicRegression(out_of_bounds="clip").fit(x, y)
        cal = Calibrator(
            "isotonic", np.nan, np.nan, iso.X_thresholds_, iso.y_thresholds_, iso.X_min_,
            iso.X_max_,
        )  # fmt: skip
        np.testing.assert_array_equal(cal(raw), iso.predict(raw), strict=True)


def test_sigmoid_estimator_equals_scikit_learn() -> None:
    from kamseg._churn_eval import estimator
    from kamseg._churn_trees import export_estimator

    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, 4))
    x[rng.random(x.shape) < 0.1] = np.nan
    y = (np.nan_to_num(x[:, 0]) + rng.normal(size=600) > 0).astype(np.int64)
    groups = np.arange(600) // 3
    for method in ("sigmoid", "isotonic"):
        fitted = estimator(method, 0, groups, x, y)
        trees, calibrate = export_estimator(fitted)
        np.testing.assert_array_equal(
            calibrate(trees.decision_function(x)), fitted.predict_proba(x)[:, 1], strict=True
        )


# --------------------------------------------------------------------------------------
# apply on the base == today's predict_churn
# --------------------------------------------------------------------------------------


def test_features_unchanged_md5() -> None:
    """The features of the base, frozen from the code before issue 15 (400 customers;
    seed 3 as it is, seed 4 with returns)."""
    plain = kamseg.datasets.make_transactions(n_customers=400, seed=3).transactions
    assert md5(churn_features(prepare(plain))) == "6e76c9666986eba09549b12a1bb51265"
    returns = with_returns(kamseg.datasets.make_transactions(n_customers=400, seed=4).transactions)
    assert md5(churn_features(prepare(returns))) == "31ccfbe7640425d40e08af41d74ad2bb"


@pytest.mark.parametrize("kind", KINDS)
def test_apply_on_base_equals_predict_churn(cases: dict, kind: str) -> None:
    tx, model, fit = cases[kind]
    prepared = prepare(tx)
    customers = kamseg.summarize(prepared)
    expected = reference(customers, prepared, model)
    for got in (
        fit.apply(customers, transactions=prepared),
        predict_churn(customers, model, transactions=prepared),
        predict_churn(customers, model.to_state(), transactions=prepared),
    ):
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    # the feature table form, and transactions as a DataFrame
    table = fit.apply(prepared)
    pd.testing.assert_frame_equal(table, predict_churn(prepared, model), check_exact=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        pd.testing.assert_frame_equal(fit.apply(tx), table, check_exact=True)
    assert fit.as_of == prepared.as_of
    assert fit.sum_by_day == (kind == "returns")


def test_state_keeps_the_model_metadata(cases: dict) -> None:
    _, model, _ = cases["plain"]
    state = model.to_state()
    for name in ("features", "window_days", "train_cutoffs", "eval_cutoff", "n_train"):
        assert getattr(state, name) == getattr(model, name)
    for name in ("calibration", "seed", "n_train_rows", "customer_col", "date_col"):
        assert getattr(state, name) == getattr(model, name)
    for active, table in ((False, model.evaluation), (True, model.evaluation_active)):
        got = state.evaluation_table(active=active)
        pd.testing.assert_frame_equal(got, table, check_exact=True)
        assert got.attrs == table.attrs
    assert repr(state) == repr(model).replace("ChurnModel", "ChurnState")


# --------------------------------------------------------------------------------------
# row-wise
# --------------------------------------------------------------------------------------


def _everyone(cases: dict, kind: str) -> tuple[pd.DataFrame, ChurnFit, pd.DataFrame]:
    tx, _, fit = cases[kind]
    return tx, fit, fit.apply(prepare(tx))


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_apply_is_row_wise(cases: dict, kind: str, data: st.DataObject) -> None:
    tx, fit, everyone = _everyone(cases, kind)
    ids = everyone.index.to_list()
    subset = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=40, unique=True))
    # the subset's transactions, customers shuffled (each customer's rows in their order:
    # a sum of amounts depends on it)
    rank = data.draw(st.permutations(range(len(subset))))
    rows = tx[tx["customer_id"].isin(subset)]
    order = rows["customer_id"].map(dict(zip(subset, rank, strict=True))).to_numpy()
    rows = rows.iloc[np.argsort(order, kind="stable")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        some = kamseg.prepare_transactions(rows, as_of=fit.as_of)
    # the feature table: the subset's rows of everyone's (sorted by id as everyone's)
    got = fit.apply(some)
    pd.testing.assert_frame_equal(got, everyone.loc[sorted(subset)], check_exact=True)
    # a customer table in any order, with the subset's transactions only
    customers = kamseg.summarize(prepare(tx)).loc[subset]
    expected = fit.apply(kamseg.summarize(prepare(tx)), transactions=prepare(tx)).loc[subset]
    got = fit.apply(customers, transactions=some)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_apply_is_thread_safe(cases: dict) -> None:
    tx, fit, everyone = _everyone(cases, "plain")
    prepared = prepare(tx)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: fit.apply(prepared), range(8)))
    for r in results:
        pd.testing.assert_frame_equal(r, everyone, check_exact=True)


# --------------------------------------------------------------------------------------
# by hand: a new customer, a changed one, the order of the sums
# --------------------------------------------------------------------------------------


def tx_of(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


BASE = [
    ("a", "2024-01-01", 100.0),
    ("a", "2024-05-01", 50.0),
    ("a", "2024-06-20", 30.0),
    ("b", "2024-03-01", 20.0),
    ("c", "2024-02-01", 10.0),
    ("c", "2024-06-30", 10.0),
]


def test_new_and_changed_customer_by_hand(cases: dict) -> None:
    _, model, _ = cases["plain"]
    fit = fit_churn(tx_of(BASE), model=model)
    # the repeat buyers' usual gaps at 2024-06-30: a (181 - 10) / 2 = 85.5 days, c
    # (150 - 0) / 1 = 150 days; the base gap is their median, (85.5 + 150) / 2 = 117.75
    assert fit.base_gap == 117.75 and fit.as_of == pd.Timestamp("2024-06-30")
    assert not fit.sum_by_day  # no return in the base
    # a new customer d, one purchase 90 days before as_of: 90 / 117.75 gaps overdue
    # (scored alone today, it would get the fallback gap of 90 days: 90 / 90 = 1)
    d = tx_of([("d", "2024-04-01", 40.0)])
    got = fit.apply(d)
    assert got.loc["d", "overdue_ratio"] == 90 / 117.75
    assert predict_churn(d, model, as_of="2024-06-30").loc["d", "overdue_ratio"] == 1.0
    # b changed: a second purchase on 2024-06-01 makes it a repeat buyer with its own gap,
    # (121 - 29) / 1 = 92 days, so 29 / 92 gaps overdue; revenue 20 + 25 = 45, repeat
    # spend 25 over 1 repeat day, 25 in the last 90 days, 45 in the last 180
    changed = tx_of([*BASE, ("b", "2024-06-01", 25.0), ("d", "2024-04-01", 40.0)])
    got = fit.apply(changed)
    b = got.loc["b"]
    assert b["overdue_ratio"] == 29 / 92
    assert (b["revenue"], b["monetary_value"], b["spend_90d"], b["spend_180d"]) == (
        45.0,
        25.0,
        25.0,
        45.0,
    )
    assert b["spend_ratio_90_180"] == 25 / 45
    # a and c keep their rows of the base; the probability is the state's of the features
    base = fit.apply(tx_of(BASE))
    pd.testing.assert_frame_equal(got.loc[["a", "c"]], base.loc[["a", "c"]], check_exact=True)
    assert got.loc["d", "churn_probability"] == fit.apply(d).loc["d", "churn_probability"]
    feats = got.drop(columns="churn_probability")
    np.testing.assert_array_equal(
        got["churn_probability"].to_numpy(), model.estimator.predict_proba(feats.to_numpy())[:, 1]
    )


def test_sum_order_frozen_by_hand(cases: dict) -> None:
    """x's repeat spend 76.23 + 44.54 + 0.21: by row (input order) (76.23 + 44.54) + 0.21 =
    120.98; by day (2024-02-01 first, then 76.23 + 0.21 on 02-02, then 44.54 on 02-03)
    (76.23 + 0.21) + 44.54 = 120.97999999999999. The base has a return (y's), so every
    customer is summed by day, x alone too."""
    _, model, _ = cases["plain"]
    x = [
        ("x", "2024-02-01", 10.0),
        ("x", "2024-02-02", 76.23),
        ("x", "2024-02-03", 44.54),
        ("x", "2024-02-02", 0.21),
    ]
    y = [("y", "2024-01-05", 30.0), ("y", "2024-01-05", -10.0), ("y", "2024-03-01", 5.0)]
    by_row, by_day = (76.23 + 44.54) + 0.21, (76.23 + 0.21) + 44.54
    assert by_row != by_day
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        fit = fit_churn(tx_of(x + y), model=model)
        base = fit.apply(tx_of(x + y))
        alone = fit.apply(tx_of(x))
        today_alone = predict_churn(tx_of(x), model)
    assert fit.sum_by_day
    assert base.loc["x", "monetary_value"] == by_day / 2
    pd.testing.assert_frame_equal(alone, base.loc[["x"]], check_exact=True)
    assert today_alone.loc["x", "monetary_value"] == by_row / 2  # the table's own rule


# --------------------------------------------------------------------------------------
# saved and loaded
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip(cases: dict, kind: str) -> None:
    tx, model, fit = cases[kind]
    prepared = prepare(tx)
    expected = fit.apply(prepared)
    again = _state.from_payload(*_state.to_payload(fit))
    assert isinstance(again, ChurnFit) and isinstance(again.model, ChurnState)
    pd.testing.assert_frame_equal(again.apply(prepared), expected, check_exact=True)
    buf = io.BytesIO()
    _state.write(buf, fit, {"kind": "churn"})
    buf.seek(0)
    loaded = _state.read(buf)
    pd.testing.assert_frame_equal(loaded.apply(prepared), expected, check_exact=True)
    pd.testing.assert_frame_equal(
        predict_churn(prepared, loaded.model), predict_churn(prepared, model), check_exact=True
    )


def test_corrupt_trees_are_refused(cases: dict) -> None:
    _, model, _ = cases["plain"]
    tree, arrays = _state.to_payload(model.to_state())
    left = tree["fields"]["trees"]["fields"]["left"]["__array__"]
    bad = dict(arrays)
    bad[left] = np.zeros_like(arrays[left])  # every split points back to the root
    with pytest.raises(_state.ModelFileError, match="outside its tree"):
        _state.from_payload(tree, bad)


def test_loaded_state_scores_without_scikit_learn(cases: dict, tmp_path: Path) -> None:
    tx, _, fit = cases["plain"]
    _state.write(tmp_path / "churn.kamseg", fit, {"kind": "churn"})
    np.save(tmp_path / "expected.npy", fit.apply(tx)["churn_probability"].to_numpy())
    script = f"""
import sys
import numpy as np
import kamseg
from kamseg import _state
from kamseg.churn import predict_churn

fit = _state.read({str(tmp_path / "churn.kamseg")!r})
tx = kamseg.datasets.make_transactions(n_customers=300, seed=7).transactions
expected = np.load({str(tmp_path / "expected.npy")!r})
assert (fit.apply(tx)["churn_probability"].to_numpy() == expected).all()
one = tx[tx.customer_id == tx.customer_id.iloc[0]]
assert fit.apply(one)["churn_probability"].size == 1
predict_churn(tx, fit.model)
assert "sklearn" not in sys.modules, "scikit-learn was imported"
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# --------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------


def test_errors(cases: dict) -> None:
    tx, model, _ = cases["plain"]
    with pytest.raises(ConfigError, match="must be a ChurnModel"):
        predict_churn(tx, object())  # type: ignore[arg-type]
    for bad in (0, -1.0, float("nan"), True, "90"):
        with pytest.raises(ConfigError, match="base_gap"):
            predict_churn(tx, model, base_gap=bad)  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="base_gap"):
            churn_features(tx, base_gap=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="must be a ChurnModel"):
        fit_churn(tx, model="model")  # type: ignore[arg-type]
    # a base gap given by hand replaces the learned one
    table = predict_churn(tx, model, base_gap=30.0)
    single = table["frequency"] == 0
    np.testing.assert_array_equal(
        table.loc[single, "overdue_ratio"], table.loc[single, "days_since_last"] / 30.0
    )


def test_fit_churn_trains_the_model(cases: dict) -> None:
    tx, model, base_fit = cases["plain"]
    prepared = prepare(tx)
    customers = kamseg.summarize(prepared)
    fit = fit_churn(customers, transactions=prepared, max_cutoffs=3, baselines=False)
    pd.testing.assert_frame_equal(fit.model.evaluation_table(), model.evaluation)
    assert (fit.as_of, fit.base_gap, fit.sum_by_day) == (
        base_fit.as_of,
        base_fit.base_gap,
        base_fit.sum_by_day,
    )
    # predict_churn takes the fit: its apply
    pd.testing.assert_frame_equal(
        predict_churn(customers, fit, transactions=prepared),
        fit.apply(customers, transactions=prepared),
        check_exact=True,
    )
    # fitted at an earlier as_of: trained and frozen on the history up to it
    with pytest.warns(KamsegWarning, match="fit_churn: excluded") as caught:
        early = fit_churn(tx, as_of="2024-06-30", max_cutoffs=3, baselines=False)
    assert len(caught) == 1 and caught[0].filename == __file__  # once, pointing here
    assert early.as_of == pd.Timestamp("2024-06-30")
    assert early.model.eval_cutoff == pd.Timestamp("2024-06-30") - pd.Timedelta(days=180)
