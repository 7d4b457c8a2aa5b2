"""kamseg.clv: BG/NBD, MBG/NBD, Gamma-Gamma fits, predictions and CLV.

Published values from Fader, Hardie & Lee (2005), Batislam et al. (2007) and Fader &
Hardie (2013); predictions compared with lifetimes given the same parameters.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg.clv import _bgnbd
from kamseg.errors import ConfigError, ConvergenceError, SchemaError

needs_lifetimes = pytest.mark.skipif(
    importlib.util.find_spec("lifetimes") is None, reason="lifetimes not installed"
)


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    return kamseg.datasets.load_cdnow_summary()


@pytest.fixture(scope="module")
def cdnow_spend() -> pd.DataFrame:
    """The 2,357 CDNOW customers with their mean repeat spend (zbar), from lifetimes."""
    path = kamseg.datasets._lifetimes_file(
        "cdnow_customers_summary_with_transactions.csv", func="test"
    )
    raw = pd.read_csv(path)
    return pd.DataFrame(
        {
            "frequency": raw["x"].to_numpy(dtype=float),
            "recency": raw["t_x"].to_numpy(),
            "T": raw["T"].to_numpy(),
            "monetary_value": raw["zbar"].to_numpy(),
        },
        index=pd.Index(raw["ID"], name="customer_id"),
    )


@pytest.fixture(scope="module")
def bgnbd(cdnow_summary):
    return kamseg.clv.fit(cdnow_summary, model="bgnbd")


@pytest.fixture(scope="module")
def gg(cdnow_spend):
    return kamseg.clv.fit(cdnow_spend, model="gamma_gamma")


def _sig3(a: float, b: float) -> bool:
    """Equal to 3 significant figures."""
    return float(f"{a:.3g}") == float(f"{b:.3g}")


# --- published parameters ------------------------------------------------------------------


def test_bgnbd_cdnow_published(bgnbd):
    expected = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}
    for k, v in expected.items():
        assert _sig3(bgnbd.params[k], v), (k, bgnbd.params[k])
    assert bgnbd.log_likelihood == pytest.approx(-9582.43, abs=0.01)
    assert bgnbd.n_obs == 2357
    assert bgnbd.aic == pytest.approx(2 * 4 + 2 * 9582.43, abs=0.02)
    assert bgnbd.bic == pytest.approx(4 * math.log(2357) + 2 * 9582.43, abs=0.02)


def test_bgnbd_published_prediction_1226():
    # FHL (2005): x=2, t_x=30.43, T=38.86 -> 1.226 expected purchases in the next 39 weeks
    params = np.array([0.2426, 4.4136, 0.7929, 2.4259])
    e = _bgnbd.conditional_expected_purchases(params, 39.0, [2.0], [30.43], [38.86])
    assert round(float(e[0]), 3) == 1.226


def test_mbgnbd_cdnow_published(cdnow_summary):
    fit = kamseg.clv.fit(cdnow_summary, model="mbgnbd")
    expected = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
    for k, v in expected.items():
        assert _sig3(fit.params[k], v), (k, fit.params[k])


def test_gamma_gamma_cdnow_published(gg):
    assert gg.n_obs == 946  # repeat buyers only
    for k, v in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert abs(gg.params[k] - v) / v < 2e-3, (k, gg.params[k])


def test_result_is_immutable_and_has_errors(bgnbd):
    with pytest.raises(dataclasses.FrozenInstanceError):
        bgnbd.model = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        bgnbd.params["r"] = 1.0  # type: ignore[index]
    table = bgnbd.summary()
    assert list(table.columns) == ["estimate", "std_error", "lower", "upper"]
    assert (table["lower"] < table["estimate"]).all() and (
        table["estimate"] < table["upper"]
    ).all()
    # standard errors as reported for this fit by lifetimes' summary (FHL data)
    assert bgnbd.std_errors["r"] == pytest.approx(0.0126, abs=2e-4)
    assert bgnbd.std_errors["alpha"] == pytest.approx(0.378, abs=2e-3)


# --- equality with lifetimes ------------------------------------------------------------------


@needs_lifetimes
def test_bgnbd_predictions_equal_lifetimes(bgnbd, cdnow_summary):
    from lifetimes import BetaGeoFitter

    ref = BetaGeoFitter()
    ref.params_ = pd.Series(dict(bgnbd.params))
    x, t_x, T = (cdnow_summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    p = bgnbd.values()
    for t in (1.0, 39.0, 52.0):
        ours = _bgnbd.conditional_expected_purchases(p, t, x, t_x, T)
        theirs = ref.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
        np.testing.assert_allclose(
            _bgnbd.expected_purchases(p, t),
            ref.expected_number_of_purchases_up_to_time(t),
            rtol=1e-6,
        )
    np.testing.assert_allclose(
        _bgnbd.p_alive(p, x, t_x, T), ref.conditional_probability_alive(x, t_x, T), rtol=1e-6
    )


@needs_lifetimes
def test_mbgnbd_predictions_equal_lifetimes(cdnow_summary):
    from lifetimes import ModifiedBetaGeoFitter

    p = np.array([0.525, 6.183, 0.891, 1.614])
    ref = ModifiedBetaGeoFitter()
    ref.params_ = pd.Series(dict(zip(("r", "alpha", "a", "b"), p, strict=True)))
    x, t_x, T = (cdnow_summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    np.testing.assert_allclose(
        _bgnbd.conditional_expected_purchases(p, 39.0, x, t_x, T, modified=True),
        ref.conditional_expected_number_of_purchases_up_to_time(39.0, x, t_x, T),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        _bgnbd.p_alive(p, x, t_x, T, modified=True),
        ref.conditional_probability_alive(x, t_x, T),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        _bgnbd.expected_purchases(p, 39.0, modified=True),
        ref.expected_number_of_purchases_up_to_time(39.0),
        rtol=1e-6,
    )


@needs_lifetimes
def test_clv_equals_lifetimes(bgnbd, gg, cdnow_spend):
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series(dict(bgnbd.params))
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time
    ggf = GammaGammaFitter()
    ggf.params_ = pd.Series({"p": gg.params["p"], "q": gg.params["q"], "v": gg.params["gamma"]})
    c = cdnow_spend
    theirs = ggf.customer_lifetime_value(
        bgf,
        c["frequency"],
        c["recency"],
        c["T"],
        c["monetary_value"],
        time=12,
        discount_rate=0.01,
        freq="W",
    )
    ours = kamseg.clv.predict(c, bgnbd, spend=gg, horizon=12, discount_rate=0.01, freq="W")
    np.testing.assert_allclose(ours["clv"], theirs.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(
        ours["expected_spend"],
        ggf.conditional_expected_average_profit(c["frequency"], c["monetary_value"]),
        rtol=1e-6,
    )


@needs_lifetimes
def test_fit_matches_lifetimes_fit(cdnow_summary, bgnbd):
    from lifetimes import BetaGeoFitter

    c = cdnow_summary
    ref = BetaGeoFitter().fit(c["frequency"], c["recency"], c["T"])
    for k in ("r", "alpha", "a", "b"):
        assert bgnbd.params[k] == pytest.approx(ref.params_[k], rel=1e-4)


# --- predict: columns, units, profit CLV ------------------------------------------------------


def test_predict_columns_and_hand_checked_profit(bgnbd, gg, cdnow_spend):
    c = cdnow_spend.assign(margin=0.3)
    before = c.copy()
    out = kamseg.clv.predict(
        c,
        bgnbd,
        spend=gg,
        horizon=12,
        discount_rate=0.01,
        freq="W",
        margin="margin",
        cost_to_serve=24.0,
    )
    pd.testing.assert_frame_equal(c, before)
    assert list(out.columns) == [
        *c.columns,
        "p_alive",
        "expected_purchases",
        "expected_spend",
        "clv",
        "profit_clv",
    ]
    # cost 24/year = 2/month for 12 months, weighted by p_alive, discounted 1 %/month
    disc = sum(1.01**-m for m in range(1, 13))
    expected = 0.3 * out["clv"] - 2.0 * disc * out["p_alive"]
    np.testing.assert_allclose(out["profit_clv"], expected, rtol=1e-12)
    # one-time buyers: P(alive) = 1 under BG/NBD (no dropout before a repeat purchase)
    assert (out.loc[c["frequency"] == 0, "p_alive"] == 1.0).all()
    assert out["p_alive"].between(0, 1).all()


def test_predict_horizon_is_in_months(bgnbd, cdnow_summary):
    one = kamseg.clv.predict(cdnow_summary, bgnbd, horizon=1, freq="W")
    # one month of weekly periods = 4.345 weeks
    direct = _bgnbd.conditional_expected_purchases(
        bgnbd.values(),
        4.345,
        *(cdnow_summary[c].to_numpy() for c in ("frequency", "recency", "T")),
    )
    np.testing.assert_allclose(one["expected_purchases"], direct, rtol=1e-12)


def test_clv_interval_brackets_the_estimate(bgnbd, gg, cdnow_spend):
    out = kamseg.clv.predict(
        cdnow_spend.head(300), bgnbd, spend=gg, freq="W", interval=0.9, n_draws=100, seed=1
    )
    assert (out["clv_lower"] <= out["clv"] * 1.0000001).mean() > 0.95
    assert (out["clv_upper"] >= out["clv"] * 0.9999999).mean() > 0.95
    again = kamseg.clv.predict(
        cdnow_spend.head(300), bgnbd, spend=gg, freq="W", interval=0.9, n_draws=100, seed=1
    )
    pd.testing.assert_frame_equal(out, again)


# --- recovery on synthetic data with known truth -----------------------------------------------


def test_parameter_recovery_on_synthetic_data():
    # make_transactions draws dropout after every purchase, the first included: MBG/NBD.
    data = kamseg.datasets.make_transactions(n_customers=20_000, seed=11)
    customers = kamseg.summarize(data.transactions, as_of=data.as_of)
    fit = kamseg.clv.fit(customers, model="mbgnbd")
    truth = {k: data.params[k] for k in ("r", "alpha", "a", "b")}
    # Tolerance 15 % relative. Two sources of error: sampling (standard errors are 1.5 % for
    # r and alpha, 5-8 % for a and b with ~18,000 buyers) and the daily periods, which merge
    # purchases made on the same day, so that fast buyers look a little slower (r and alpha
    # come out 5-8 % high together, their ratio, the mean rate, stays close). A wrong
    # likelihood or a BG/NBD fit to this MBG/NBD data misses by more (BG/NBD: r -16 %).
    for k, v in truth.items():
        assert abs(fit.params[k] / v - 1) < 0.15, (k, fit.params[k], v)
    mean_rate = fit.params["r"] / fit.params["alpha"]
    assert abs(mean_rate / (truth["r"] / truth["alpha"]) - 1) < 0.05


# --- bad input ----------------------------------------------------------------------------


def test_gamma_gamma_refuses_nonpositive_spend(cdnow_spend):
    bad = cdnow_spend.copy()
    bad.iloc[0, bad.columns.get_loc("monetary_value")] = -5.0
    bad.iloc[0, bad.columns.get_loc("frequency")] = 2.0
    with pytest.raises(SchemaError, match=r"Gamma-Gamma needs a positive mean spend.*1 have"):
        kamseg.clv.fit(bad, model="gamma_gamma")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"recency": 99.0}, "recency greater than T"),
        ({"frequency": -1.0}, "negative"),
        ({"T": np.nan}, "null values"),
    ],
)
def test_impossible_customer_tables(cdnow_summary, change, match):
    bad = cdnow_summary.copy()
    for col, value in change.items():
        bad.iloc[0, bad.columns.get_loc(col)] = value
    with pytest.raises(SchemaError, match=match):
        kamseg.clv.fit(bad, model="bgnbd")


def test_bad_options(cdnow_summary, bgnbd):
    with pytest.raises(ConfigError, match="`model` must be one of"):
        kamseg.clv.fit(cdnow_summary, model="bg/nbd")
    with pytest.raises(ConfigError, match="penalty"):
        kamseg.clv.fit(cdnow_summary, penalty=-1)
    with pytest.raises(ConfigError, match="period of frequency/recency/T is unknown"):
        kamseg.clv.predict(cdnow_summary, bgnbd)
    with pytest.raises(ConfigError, match="horizon"):
        kamseg.clv.predict(cdnow_summary, bgnbd, freq="W", horizon=0)
    with pytest.raises(ConfigError, match="cost_to_serve` needs `margin"):
        kamseg.clv.predict(cdnow_summary, bgnbd, freq="W", spend="T", cost_to_serve=1.0)


def test_failed_fit_raises_convergence_error():
    # one customer who never came back: the likelihood has no finite maximum
    tiny = pd.DataFrame({"frequency": [0.0], "recency": [0.0], "T": [10.0]})
    with pytest.raises(ConvergenceError):
        kamseg.clv.fit(tiny, model="bgnbd")


def test_penalty_shrinks_parameters(cdnow_summary, bgnbd):
    pen = kamseg.clv.fit(cdnow_summary, model="bgnbd", penalty=0.01)
    assert pen.penalty == 0.01
    assert np.sum(pen.values() ** 2) < np.sum(bgnbd.values() ** 2)
    assert pen.log_likelihood < bgnbd.log_likelihood


@needs_lifetimes
def test_pareto_nbd_clv_equals_lifetimes(gg, cdnow_spend):
    from lifetimes import GammaGammaFitter, ParetoNBDFitter

    pnbd = kamseg.clv.fit(cdnow_spend, model="pareto_nbd")
    ref = ParetoNBDFitter()
    ref.params_ = pd.Series(dict(pnbd.params))
    ref.predict = ref.conditional_expected_number_of_purchases_up_to_time
    ggf = GammaGammaFitter()
    ggf.params_ = pd.Series({"p": gg.params["p"], "q": gg.params["q"], "v": gg.params["gamma"]})
    c = cdnow_spend
    with warnings.catch_warnings():  # lifetimes takes log(0) for one-time buyers
        warnings.simplefilter("ignore", RuntimeWarning)
        theirs = ggf.customer_lifetime_value(
            ref,
            c["frequency"],
            c["recency"],
            c["T"],
            c["monetary_value"],
            time=6,
            discount_rate=0.02,
            freq="W",
        )
        their_alive = ref.conditional_probability_alive(c["frequency"], c["recency"], c["T"])
    ours = kamseg.clv.predict(c, pnbd, spend=gg, horizon=6, discount_rate=0.02, freq="W")
    np.testing.assert_allclose(ours["clv"], theirs.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours["p_alive"], their_alive, rtol=1e-6)


def test_model_modules_take_a_fit_result(bgnbd, gg):
    e1 = kamseg.clv.bgnbd.conditional_expected_purchases(bgnbd, 39.0, [2.0], [30.43], [38.86])
    e2 = kamseg.clv.bgnbd.conditional_expected_purchases(
        bgnbd.values(), 39.0, [2.0], [30.43], [38.86]
    )
    assert e1[0] == e2[0]
    # population mean spend p*gamma/(q-1), by hand from the fitted values
    p, q, g = (gg.params[k] for k in ("p", "q", "gamma"))
    assert kamseg.clv.gamma_gamma.population_mean_spend(gg) == pytest.approx(p * g / (q - 1))
