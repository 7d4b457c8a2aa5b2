"""kamseg.clv: Gamma-Gamma fits whose likelihood is highest on the boundary, and the check
of a customer table's periods against the fit's T.

Expected values come from outside kamseg's fitting code: the limits worked out by hand
(no heterogeneity in spend: everyone's expected spend is all spend over all repeat
transactions; no variation within customers: a repeat customer's own mean spend), scipy's
gamma and inverse-gamma densities and its own maximum likelihood fits, numerical
second derivatives, and the full model's formulas at parameters far along the path to the
limit.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import kamseg
from kamseg._state import from_payload, to_payload
from kamseg.clv import _gamma_gamma
from kamseg.clv._base import FitFailure
from kamseg.clv._gamma_gamma import (
    CONSTANT_SPEND,
    NO_SPEND_HETEROGENEITY,
    NO_WITHIN_VARIATION,
    conditional_expected_spend,
    loglik,
    population_mean_spend,
    repeat_spend,
)
from kamseg.errors import ConfigError, ConvergenceError, KamsegWarning

# --- simulations ------------------------------------------------------------------------------


def homogeneous(seed: int, n: int = 2000, p: float = 3.0, mean: float = 30.0) -> pd.DataFrame:
    """Every transaction Gamma(p, p/mean), the same for every customer: no heterogeneity."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 10, n).astype(float)
    m = np.array([rng.gamma(p, mean / p, int(k)).mean() for k in x])
    return pd.DataFrame({"frequency": x, "monetary_value": m})


def same_within(seed: int, n: int = 2000, q: float = 4.0, delta: float = 90.0) -> pd.DataFrame:
    """Each customer spends the same amount every time, 1/amount ~ Gamma(q, delta) across
    customers: no variation within customers."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 10, n).astype(float)
    m = 1.0 / rng.gamma(q, 1.0 / delta, n)
    return pd.DataFrame({"frequency": x, "monetary_value": m})


def fit_recording(table: pd.DataFrame, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = kamseg.clv.fit(table, model="gamma_gamma", **kw)
    return fitted, [w for w in caught if issubclass(w.category, KamsegWarning)]


def arrays(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return table["frequency"].to_numpy(), table["monetary_value"].to_numpy()


# --- no heterogeneity in spend ----------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 2, 4])
def test_homogeneous_spend_is_a_flagged_limit_with_one_warning(seed):
    table = homogeneous(seed)
    fitted, caught = fit_recording(table)
    assert fitted.boundary == NO_SPEND_HETEROGENEITY
    assert tuple(fitted.params) == ("p", "nu")
    assert fitted.n_params == 2 and fitted.converged
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "(no heterogeneity in spend)" in text and "same mean spend" in text
    assert "FitResult.boundary == 'no heterogeneity in spend'" in text
    # the simulation's truth: p = 3, mean 30
    assert fitted.params["p"] == pytest.approx(3.0, rel=0.1)


def test_homogeneous_predictions_are_the_pooled_mean():
    table = homogeneous(0)
    x, m = arrays(table)
    fitted, _ = fit_recording(table)
    pooled = float((x * m).sum() / x.sum())  # all spend over all repeat transactions
    assert fitted.params["p"] / fitted.params["nu"] == pytest.approx(pooled, rel=1e-14)
    expected = conditional_expected_spend(fitted, x, m)
    np.testing.assert_allclose(expected, pooled, rtol=1e-14)
    np.testing.assert_allclose(repeat_spend(fitted, [0.0, 3.0], [np.nan, 1.0]), pooled)
    assert population_mean_spend(fitted) == pytest.approx(pooled, rel=1e-14)
    # the same, from the parameters and the limit's name
    np.testing.assert_allclose(
        conditional_expected_spend(fitted.values(), x, m, boundary=NO_SPEND_HETEROGENEITY),
        expected,
    )


def test_homogeneous_estimates_against_scipy():
    # the limit's likelihood is m̄ ~ Gamma(shape px, rate xν); maximised here by scipy
    table = homogeneous(0)
    x, m = arrays(table)
    fitted, _ = fit_recording(table)

    def neg(theta):
        p, nu = np.exp(theta)
        return -stats.gamma.logpdf(m, a=p * x, scale=1.0 / (x * nu)).sum()

    res = optimize.minimize(
        neg,
        np.log([1.0, 0.05]),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000},
    )
    np.testing.assert_allclose(fitted.values(), np.exp(res.x), rtol=1e-6)
    at_fit = stats.gamma.logpdf(m, a=fitted.params["p"] * x, scale=1 / (x * fitted.params["nu"]))
    assert fitted.log_likelihood == pytest.approx(at_fit.sum(), rel=1e-12)
    np.testing.assert_allclose(loglik(fitted, x, m), at_fit, rtol=1e-10)
    assert fitted.log_likelihood <= -res.fun + 1e-9


def numeric_log_covariance(face: str, values: np.ndarray, x: np.ndarray, m: np.ndarray):
    """The inverse of minus the Hessian of the log-likelihood in log-parameters, by central
    differences (at a maximum, the covariance of the log-parameters)."""
    h = 1e-4
    k = values.size
    theta = np.log(values)

    def ll(t):
        return float(loglik(np.exp(t), x, m, boundary=face).sum())

    hess = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            hess[i, j] = (
                ll(theta + ei + ej)
                - ll(theta + ei - ej)
                - ll(theta - ei + ej)
                + ll(theta - ei - ej)
            ) / (4 * h * h)
    return np.linalg.inv(-hess)


@pytest.mark.parametrize(
    ("make", "face"), [(homogeneous, NO_SPEND_HETEROGENEITY), (same_within, NO_WITHIN_VARIATION)]
)
def test_limit_standard_errors_are_the_inverse_information(make, face):
    table = make(1 if face == NO_WITHIN_VARIATION else 0)
    x, m = arrays(table)
    fitted, _ = fit_recording(table)
    assert fitted.boundary == face
    expected = numeric_log_covariance(face, fitted.values(), x, m)
    np.testing.assert_allclose(fitted.log_covariance, expected, rtol=1e-4)
    se = np.sqrt(np.diag(expected)) * fitted.values()
    np.testing.assert_allclose(list(fitted.std_errors.values()), se, rtol=1e-4)
    assert fitted.summary()["std_error"].notna().all()


# --- no variation within customers --------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 3, 5])
def test_no_variation_within_customers_is_a_flagged_limit(seed):
    table = same_within(seed)
    x, m = arrays(table)
    fitted, caught = fit_recording(table)
    assert fitted.boundary == NO_WITHIN_VARIATION
    assert tuple(fitted.params) == ("q", "delta")
    assert len(caught) == 1 and "(no spend variation within customers)" in str(caught[0].message)
    # scipy's own maximum likelihood inverse-gamma fit (location 0)
    q, loc, delta = stats.invgamma.fit(m, floc=0)
    assert loc == 0
    np.testing.assert_allclose(fitted.values(), [q, delta], rtol=1e-4)
    at_fit = stats.invgamma.logpdf(m, fitted.params["q"], scale=fitted.params["delta"])
    assert fitted.log_likelihood == pytest.approx(at_fit.sum(), rel=1e-12)
    # by hand: a repeat customer's expected spend is their own mean; without repeat
    # purchases, the population mean delta / (q - 1)
    np.testing.assert_allclose(conditional_expected_spend(fitted, x, m), m, rtol=0)
    mean = fitted.params["delta"] / (fitted.params["q"] - 1)
    np.testing.assert_allclose(repeat_spend(fitted, [0.0, 2.0], [np.nan, 7.5]), [mean, 7.5])
    assert population_mean_spend(fitted) == pytest.approx(mean, rel=1e-14)


# --- the limits are the limits of the full model ------------------------------------------------


def path(face: str, values: np.ndarray, k: float) -> np.ndarray:
    """Full-model parameters (p, q, gamma) at k along the path to the limit."""
    if face == NO_SPEND_HETEROGENEITY:
        p, nu = values
        return np.array([p, k, k / nu])  # q = k, q / gamma = nu
    q, delta = values
    return np.array([k, q, delta / k])  # p = k, p * gamma = delta


@pytest.mark.parametrize(
    ("make", "seed", "face"),
    [(homogeneous, 0, NO_SPEND_HETEROGENEITY), (same_within, 1, NO_WITHIN_VARIATION)],
)
def test_full_model_tends_to_the_limit(make, seed, face):
    table = make(seed)
    x, m = arrays(table)
    fitted, _ = fit_recording(table)
    assert fitted.boundary == face
    values = fitted.values()
    limit_spend = conditional_expected_spend(fitted, x, m)
    x0 = np.array([0.0])
    ll_gaps, spend_gaps, mean_gaps = [], [], []
    for k in (1e2, 1e3, 1e4, 1e5):
        full = path(face, values, k)
        ll_gaps.append(abs(float(loglik(full, x, m).sum()) - fitted.log_likelihood))
        spend = conditional_expected_spend(full, x, m)
        spend_gaps.append(float(np.max(np.abs(spend - limit_spend))))
        mean_gaps.append(abs(float(repeat_spend(full, x0, x0)[0]) - population_mean_spend(fitted)))
        # the error is the one derived in the module docstring
        p, q, _ = full
        if face == NO_SPEND_HETEROGENEITY:
            mu = values[0] / values[1]
            derived = (p * x * (m - mu) + mu) / (p * x + q - 1)
        else:
            derived = (values[1] - (q - 1) * m) / (p * x + q - 1)
        np.testing.assert_allclose(spend - limit_spend, derived, rtol=1e-6, atol=1e-10)
    # O(1/k): each step of 10 cuts the gaps about tenfold
    series = [ll_gaps, spend_gaps]
    if face == NO_WITHIN_VARIATION:  # the population mean p*gamma/(q-1) is delta/(q-1) all along
        assert max(mean_gaps) <= 1e-12 * population_mean_spend(fitted)
    else:
        series.append(mean_gaps)
    for gaps in series:
        ratios = np.array(gaps[1:]) / np.array(gaps[:-1])
        assert np.all(ratios < 0.2), gaps
    assert ll_gaps[-1] < 0.1 and spend_gaps[-1] < 1e-2


def test_the_full_optimum_is_not_above_the_limit():
    # the full model's optimiser, left to itself, runs off towards the limit: whatever it
    # reaches, it is no better than the limit's maximum
    table = homogeneous(0)
    fitted, _ = fit_recording(table)
    data = kamseg.clv._api._spend_data(
        table, func="t", frequency_col="frequency", monetary_col="monetary_value"
    )
    with np.errstate(all="ignore"):
        try:
            reached = kamseg.clv._base.maximize(_gamma_gamma.GAMMA_GAMMA, data).log_likelihood
        except FitFailure as exc:
            reached = exc.log_likelihood
    assert reached <= fitted.log_likelihood + 1e-3


# --- all amounts equal ---------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [10.0, 9.99])
def test_all_equal_amounts_give_the_constant_spend(amount):
    rng = np.random.default_rng(7)
    x = rng.integers(1, 12, 500).astype(float)
    # the mean of x equal amounts, as a summary computes it (9.99: equal up to rounding)
    m = (amount * x) / x if amount == 10.0 else np.round(amount * x, 2) / x
    table = pd.DataFrame({"frequency": x, "monetary_value": m})
    fitted, caught = fit_recording(table)
    assert fitted.boundary == CONSTANT_SPEND
    assert tuple(fitted.params) == ("spend",)
    assert fitted.params["spend"] == pytest.approx(amount, rel=1e-12)
    assert fitted.log_likelihood == math.inf and fitted.std_errors["spend"] == 0.0
    assert len(caught) == 1 and "mean spend is the same" in str(caught[0].message)
    np.testing.assert_allclose(conditional_expected_spend(fitted, x, m), amount, rtol=1e-12)
    np.testing.assert_allclose(repeat_spend(fitted, [0.0], [np.nan]), amount, rtol=1e-12)
    with pytest.raises(ConfigError, match="point mass"):
        loglik(fitted, x, m)


def test_predict_with_a_limit_spend_fit_and_an_interval():
    data = kamseg.datasets.make_transactions(n_customers=600, seed=5)
    table = kamseg.summarize(data.transactions, freq="W")
    table["monetary_value"] = np.where(table["frequency"] > 0, 10.0, 0.0)
    purchases = kamseg.clv.fit(table, model="bgnbd")
    spend, caught = fit_recording(table[table["frequency"] > 0])
    assert spend.boundary == CONSTANT_SPEND and len(caught) == 1
    out = kamseg.clv.predict(table, purchases, spend=spend, interval=0.9, n_draws=50)
    assert (out["expected_spend"] == 10.0).all()
    alone = kamseg.clv.predict(table, purchases, horizon=12)
    assert out["p_alive"].equals(alone["p_alive"])
    # the spend is known exactly: the interval is the purchase model's, times 10
    assert np.all(out["clv_lower"] <= out["clv"]) and np.all(out["clv"] <= out["clv_upper"])
    assert np.all(out["clv_lower"] < out["clv_upper"])


# --- ordinary fits, penalties, failures ----------------------------------------------------------


def test_heterogeneous_fit_is_unchanged():
    # recorded before the boundary search existed: an interior maximum is returned as it was
    data = kamseg.datasets.make_transactions(n_customers=2000, seed=0)
    customers = kamseg.summarize(data.transactions, freq="W")
    fitted, caught = fit_recording(customers[customers["frequency"] > 0])
    assert not caught and fitted.boundary is None
    # as recorded, but for the last bits, which differ between CPUs (BLAS and libm kernels)
    recorded = {"p": 2.3364969102211504, "q": 1.415690752674944, "gamma": 138.34285682254952}
    assert dict(fitted.params) == pytest.approx(recorded, rel=1e-9)
    assert fitted.log_likelihood == pytest.approx(-10638.38519029424, rel=1e-12)


def test_cdnow_gamma_gamma_is_interior(cdnow):
    customers = kamseg.summarize(cdnow, as_of="1998-06-30", freq="W")
    fitted, caught = fit_recording(customers[customers["monetary_value"] > 0])
    assert not caught and fitted.boundary is None
    # as recorded before the change, but for the last bits (they differ between CPUs)
    assert fitted.params["p"] == pytest.approx(4.920989934607047, rel=1e-9)


def test_penalty_keeps_the_full_model():
    fitted, caught = fit_recording(homogeneous(0), penalty=0.001)
    assert fitted.boundary is None and tuple(fitted.params) == ("p", "q", "gamma")
    assert not caught


def test_a_failed_optimisation_still_raises_with_a_hint_that_reaches_the_fit(monkeypatch):
    # nearly equal spends (not equal up to rounding): the full model runs off; with the
    # limits taken away, the failure is reported
    rng = np.random.default_rng(9)
    x = rng.integers(1, 5, 300).astype(float)
    table = pd.DataFrame({"frequency": x, "monetary_value": 10.0 * (1 + 1e-6 * rng.random(300))})
    monkeypatch.setattr(_gamma_gamma, "_no_heterogeneity", lambda *a: None)
    monkeypatch.setattr(_gamma_gamma, "_no_within_variation", lambda *a: None)
    with pytest.raises(ConvergenceError) as info:
        kamseg.clv.fit(table, model="gamma_gamma")
    text = str(info.value)
    assert "Optimization terminated successfully" not in text
    assert "model='gamma_gamma'" in text and "--penalty in kamseg segment" not in text


def test_boundary_argument_is_checked():
    with pytest.raises(ConfigError, match="unknown Gamma-Gamma boundary"):
        population_mean_spend([1.0, 2.0], boundary="no dropout")
    with pytest.raises(ConfigError, match=r"has 2 parameter\(s\) \(p, nu\); got 3"):
        population_mean_spend([1.0, 2.0, 3.0], boundary=NO_SPEND_HETEROGENEITY)


def test_limit_fit_round_trips_through_a_saved_state():
    fitted, _ = fit_recording(homogeneous(0))
    again = from_payload(*to_payload(fitted))
    assert again.boundary == fitted.boundary and dict(again.params) == dict(fitted.params)
    np.testing.assert_array_equal(again.log_covariance, fitted.log_covariance)
    constant, _ = fit_recording(pd.DataFrame({"frequency": [1.0, 2.0], "monetary_value": 5.0}))
    assert from_payload(*to_payload(constant)).log_likelihood == math.inf


# --- the whole job ------------------------------------------------------------------------------


def purchase_days(amount, *, n: int = 600, seed: int = 4) -> pd.DataFrame:
    """Transactions on distinct days of 2023; `amount(rng, size)` gives the amounts."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01")
    rows = []
    for cid in range(n):
        k = 1 + rng.poisson(4)
        days = np.sort(rng.choice(365, size=min(k, 365), replace=False))
        for d in days:
            rows.append((cid, start + np.timedelta64(int(d), "D")))
    tx = pd.DataFrame(rows, columns=["customer_id", "date"])
    tx["amount"] = amount(rng, len(tx))
    return tx


@pytest.mark.parametrize(
    ("amount", "face"),
    [
        (lambda rng, size: np.full(size, 10.0), CONSTANT_SPEND),
        (lambda rng, size: rng.gamma(3.0, 10.0, size), NO_SPEND_HETEROGENEITY),
    ],
)
def test_segment_on_homogeneous_spend_has_a_clv(amount, face):
    tx = purchase_days(amount)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = kamseg.segment(tx, as_of="2024-01-01")
    assert "clv" in out.columns and np.isfinite(out["clv"]).all()
    assert "clv" not in out.attrs.get("kamseg_skipped", {})
    spend_notes = [w for w in caught if "'gamma_gamma'" in str(w.message)]
    assert len(spend_notes) == 1 and f"({face})" in str(spend_notes[0].message)
    if face == CONSTANT_SPEND:
        assert (out["expected_spend"] == 10.0).all()
    else:  # one mean for everyone: all repeat spend over all repeat purchases
        repeat = out[out["frequency"] > 0]
        pooled = (repeat["frequency"] * repeat["monetary_value"]).sum() / repeat["frequency"].sum()
        np.testing.assert_allclose(out["expected_spend"], pooled, rtol=1e-12)


def test_saved_model_with_a_limit_spend_fit_round_trips(tmp_path):
    tx = purchase_days(lambda rng, size: np.full(size, 10.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        model = kamseg.fit_segments(tx, as_of="2024-01-01")
        before = model.apply(tx)
    path = tmp_path / "model.kamseg"
    model.save(path)
    loaded = kamseg.SegmentModel.load(path)
    spend = loaded.parts["clv"].spend
    assert spend.boundary == CONSTANT_SPEND and spend.log_likelihood == math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        after = loaded.apply(tx)
    pd.testing.assert_series_equal(after["clv"], before["clv"])


# --- task: a table in other periods than the fit --------------------------------------------


@pytest.fixture(scope="module")
def weekly_and_daily():
    data = kamseg.datasets.make_transactions(n_customers=600, seed=5)
    weekly = kamseg.summarize(data.transactions, freq="W")
    daily = kamseg.summarize(data.transactions, freq="D")
    return weekly, daily, kamseg.clv.fit(weekly, model="bgnbd")


def test_fit_keeps_the_range_of_T(weekly_and_daily):
    weekly, _, fitted = weekly_and_daily
    T = weekly["T"].to_numpy()
    assert fitted.T_range == (T.min(), np.median(T), T.max())
    assert kamseg.clv.fit(weekly[weekly["frequency"] > 0], model="gamma_gamma").T_range is None


def test_a_table_in_other_periods_without_attrs_warns_once(weekly_and_daily):
    _, daily, fitted = weekly_and_daily
    bare = daily.copy()
    bare.attrs = {}
    with pytest.warns(KamsegWarning, match=r"another scale than the T the model was fitted on"):
        kamseg.clv.predict(bare, fitted)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kamseg.clv.predict(bare, fitted)
    (only,) = caught
    text = str(only.message)
    T, fit_T = bare["T"].to_numpy(), fitted.T_range
    assert f"from {T.min():.4g} to {T.max():.4g}, median {np.median(T):.4g}" in text
    assert f"from {fit_T[0]:.4g} to {fit_T[2]:.4g}, median {fit_T[1]:.4g}, in 'W'" in text
    assert "attrs['freq']" in text
    # weekly fit on monthly-like numbers (T / 4.345): the other way round
    monthly = bare.assign(T=bare["T"] / 30.0, recency=bare["recency"] / 30.0)
    with pytest.warns(KamsegWarning, match="another scale"):
        kamseg.clv.predict(monthly, fitted)


def test_a_table_in_the_fit_periods_does_not_warn(weekly_and_daily):
    weekly, _, fitted = weekly_and_daily
    bare = weekly.copy()
    bare.attrs = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = kamseg.clv.predict(bare, fitted)
        kamseg.clv.predict(bare.head(50), fitted)  # a sample of the same customers
    assert out["p_alive"].notna().all()


def test_a_table_with_attrs_in_other_periods_still_raises(weekly_and_daily):
    _, daily, fitted = weekly_and_daily
    with pytest.raises(ConfigError, match="period mismatch"):
        kamseg.clv.predict(daily, fitted)


def test_T_range_round_trips_and_old_states_load(weekly_and_daily):
    _, _, fitted = weekly_and_daily
    tree, arrays_ = to_payload(fitted)
    assert from_payload(tree, arrays_).T_range == fitted.T_range
    # a model saved before the field existed
    del tree["fields"]["T_range"]
    old = from_payload(tree, arrays_)
    assert old.T_range is None and dict(old.params) == dict(fitted.params)
    assert dataclasses.replace(old, T_range=fitted.T_range).T_range == fitted.T_range


def test_same_rate_and_dropout_limit_predicts_for_every_customer():
    # BG/NBD with one purchase rate lambda and one dropout probability p (the transaction
    # data of the whole-job test above reach it): expected purchases given alive are
    # (1 - exp(-lambda p t)) / p for everyone (it came back with the shape of one
    # customer, and predict failed with an IndexError)
    from kamseg.clv import _limits

    face = _limits.Face("bgnbd", "point", "point")
    lam, p = 0.4, 0.05
    x = np.array([0.0, 1.0, 3.0, 3.0])
    t_x = np.array([0.0, 2.0, 5.0, 9.0])
    T = np.array([10.0, 10.0, 12.0, 12.0])
    steps = np.array([4.0, 8.0])
    discount = np.array([0.99, 0.98])
    alive, expected, discounted = _limits.purchase_summary(
        face, np.array([lam, p]), x, t_x, T, steps, discount
    )
    cum = -np.expm1(-lam * p * steps) / p
    by_hand = _limits.p_alive(face, np.array([lam, p]), x, t_x, T)
    np.testing.assert_allclose(alive, by_hand)
    np.testing.assert_allclose(expected, by_hand * cum[-1], rtol=1e-14)
    monthly = np.diff(cum, prepend=0.0)
    np.testing.assert_allclose(discounted, by_hand * (discount @ monthly), rtol=1e-14)
