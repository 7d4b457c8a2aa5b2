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
from kamseg.clv._base import collapse
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


def test_gamma_gamma_leaves_out_nonpositive_spend_with_one_notice(cdnow_spend, gg):
    bad = cdnow_spend.copy()
    repeat = np.flatnonzero(bad["frequency"].to_numpy() > 0)
    col = bad.columns.get_loc("monetary_value")
    bad.iloc[repeat[:3], col] = [-5.0, 0.0, -0.01]  # net returns
    bad.iloc[np.flatnonzero(bad["frequency"].to_numpy() == 0)[:2], col] = -1.0  # not repeat
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = kamseg.clv.fit(bad, model="gamma_gamma")
    assert len(caught) == 1
    assert caught[0].category is kamseg.errors.KamsegWarning
    assert caught[0].filename == __file__
    assert str(caught[0].message).startswith(
        "clv.fit: gamma_gamma: left out 3 repeat customer(s) with 'monetary_value' <= 0 "
        "(net returns or free items;"
    )
    assert "fitted on the other 943 repeat customer(s)" in str(caught[0].message)
    # the same fit as on the table without them, done by hand
    kept = bad[(bad["frequency"] > 0) & (bad["monetary_value"] > 0)]
    assert len(kept) == 943
    by_hand = kamseg.clv.fit(kept, model="gamma_gamma")
    for k, v in by_hand.params.items():
        assert fitted.params[k] == pytest.approx(v, rel=1e-9)
    assert fitted.n_obs == 943
    assert fitted.params != gg.params


def test_gamma_gamma_errors(cdnow_spend):
    null = cdnow_spend.copy()
    null.iloc[0, null.columns.get_loc("frequency")] = 2.0
    null.iloc[0, null.columns.get_loc("monetary_value")] = np.nan
    with pytest.raises(SchemaError, match=r"1 have a null 'monetary_value'"):
        kamseg.clv.fit(null, model="gamma_gamma")
    few = pd.DataFrame(
        {"frequency": [2.0, 3.0, 1.0, 0.0], "monetary_value": [10.0, -4.0, 0.0, 0.0]}
    )
    with (
        pytest.warns(kamseg.errors.KamsegWarning, match="left out 2 repeat customer"),
        pytest.raises(SchemaError, match=r"found 1 \(2 more left out for 'monetary_value' <= 0\)"),
    ):
        kamseg.clv.fit(few, model="gamma_gamma")


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
    # one customer who never came back: the likelihood has no finite maximum, not even on
    # a boundary of the model (the purchase rate goes to 0)
    tiny = pd.DataFrame({"frequency": [0.0], "recency": [0.0], "T": [10.0]})
    hint = (
        r"Hint: .*pass an L2 penalty, e.g. penalty=0.001 \(clv.fit\), "
        r"SegmentConfig\(penalty=...\) or --penalty in kamseg segment"
    )
    with pytest.raises(ConvergenceError, match=hint):
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


# --- periods, margins ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def weekly_and_daily():
    data = kamseg.datasets.make_transactions(n_customers=400, seed=3)
    weekly = kamseg.summarize(data.transactions, freq="W")
    daily = kamseg.summarize(data.transactions, freq="D")
    return weekly, daily


def test_predict_refuses_a_period_mismatch(weekly_and_daily):
    weekly, daily = weekly_and_daily
    fitted = kamseg.clv.fit(weekly, model="bgnbd")
    assert fitted.freq == "W"
    both = r"the model was fitted on 'W', customers.attrs\['freq'\] is 'D'"
    with pytest.raises(ConfigError, match=rf"period mismatch: {both}"):
        kamseg.clv.predict(daily, fitted, spend="monetary_value")
    with pytest.raises(ConfigError, match=r"fitted on 'W', .*`freq` is 'D'"):
        kamseg.clv.predict(weekly, fitted, freq="D")
    # a table without attrs and a fit without freq: today's behaviour
    bare = weekly.copy()
    bare.attrs = {}
    same = kamseg.clv.predict(bare, fitted)
    pd.testing.assert_series_equal(same["p_alive"], kamseg.clv.predict(weekly, fitted)["p_alive"])
    unknown = dataclasses.replace(fitted, freq=None)
    kamseg.clv.predict(weekly, unknown)  # the table says W
    kamseg.clv.predict(daily, kamseg.clv.fit(daily, model="bgnbd"), freq="D")


def test_predict_margins_at_most_one(weekly_and_daily):
    weekly, _ = weekly_and_daily
    fitted = kamseg.clv.fit(weekly, model="bgnbd")
    spend = weekly["monetary_value"].clip(lower=1.0)
    table = weekly.assign(spend=spend)
    with pytest.raises(ConfigError, match=r"`margin` is a share of revenue .* got 1.5"):
        kamseg.clv.predict(table, fitted, spend="spend", margin=1.5)
    margins = np.full(len(table), 0.2)
    margins[[3, 7]] = [1.2, 3.0]
    with pytest.raises(ConfigError, match=r"column 'm' \(argument `margin`\).* 2 customer\(s\)"):
        kamseg.clv.predict(table.assign(m=margins), fitted, spend="spend", margin="m")
    # 1 and negative margins (loss-making customers) are allowed: profit = margin * clv
    margins[[3, 7]] = [1.0, -0.5]
    out = kamseg.clv.predict(table.assign(m=margins), fitted, spend="spend", margin="m")
    np.testing.assert_allclose(out["profit_clv"], margins * out["clv"], rtol=1e-15)
    assert out["profit_clv"].iloc[7] < 0


# --- extreme values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "column", "value", "error"),
    [
        ("gamma_gamma", "monetary_value", 1e302, SchemaError),
        ("bgnbd", "T", 1e302, SchemaError),
        ("pareto_nbd", "frequency", 1e300, SchemaError),
        ("mbgnbd", "recency", 1e150, SchemaError),
    ],
)
def test_extreme_values_give_a_typed_error_and_no_numpy_warnings(
    cdnow_spend, model, column, value, error
):
    table = cdnow_spend.copy()
    repeat = table["frequency"] > 0
    table.loc[repeat, column] = value
    if column in ("recency", "frequency"):
        table.loc[repeat, "T"] = np.maximum(table.loc[repeat, "T"], table.loc[repeat, "recency"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning would fail here
        with pytest.raises(error, match=rf"beyond 1e\+100 in size.*{column!r}|{column!r}.*beyond"):
            kamseg.clv.fit(table, model=model)


@pytest.mark.parametrize("model", ["gamma_gamma", "bgnbd", "mbgnbd", "pareto_nbd"])
@pytest.mark.parametrize("scale", [1e20, 1e60, 1e90])
def test_huge_but_accepted_values_fit_or_fail_cleanly(cdnow_spend, model, scale):
    # money and periods in absurd units: an estimate in those units, or ConvergenceError;
    # never a numpy RuntimeWarning
    table = cdnow_spend.copy()
    if model == "gamma_gamma":
        table["monetary_value"] *= scale
    else:
        table["recency"] *= scale
        table["T"] *= scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            fitted = kamseg.clv.fit(table, model=model)
        except ConvergenceError:
            return
    assert np.all(np.isfinite(fitted.values()))
    if model != "gamma_gamma":  # time rescaled: the same fit, alpha and beta in the new unit
        plain = kamseg.clv.fit(cdnow_spend, model=model)
        assert fitted.params["r"] == pytest.approx(plain.params["r"], rel=1e-6)
        assert fitted.params["alpha"] == pytest.approx(plain.params["alpha"] * scale, rel=1e-6)


# --- collapsing identical rows: see tests/test_clv_collapse.py -------------------------------


@pytest.mark.parametrize("continuous", [True, False])
def test_bgnbd_fast_likelihood_matches_row_formulas(continuous: bool) -> None:
    # continuous times (nearly every row its own T and t_x: computed row by row) and whole
    # days (few distinct values: looked up); the one-pass value and gradient agree with the
    # per-row log-likelihood and gradient
    rng = np.random.default_rng(11)
    n = 4000
    T = rng.uniform(1.0, 100.0, n)
    T = T if continuous else np.ceil(T)
    x = rng.integers(0, 6, n).astype(np.float64)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    t_x = t_x if continuous else np.floor(t_x)
    params = np.array([0.7, 20.0, 1.1, 3.0])
    data = collapse({"x": x, "t_x": t_x, "T": T})
    ll, grad = _bgnbd._value_and_grad(params, data, False)
    ll_ref = float(np.dot(data.weights, _bgnbd._loglik(params, data, False)))
    grad_ref = _bgnbd._gradient(params, data, False)
    assert ll == pytest.approx(ll_ref, rel=1e-12)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-9)


# --- invalid customer tables ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"frequency": np.nan}, r"1 customer\(s\) have null values"),
        ({"T": np.nan}, r"1 customer\(s\) have null values"),
        ({"recency": -1.0}, r"1 customer\(s\) have negative frequency, recency or T"),
        ({"frequency": 2.0, "recency": 9.0, "T": 5.0}, r"recency greater than T"),
        ({"frequency": 0.0, "recency": 3.0, "T": 5.0}, r"frequency 0 with recency > 0"),
    ],
)
@pytest.mark.parametrize("step", ["fit", "predict"])
def test_invalid_rows_are_refused_with_the_reason(cdnow_summary, row, message, step):
    table = cdnow_summary.copy()
    for column, value in row.items():
        table.loc[table.index[7], column] = value
    with pytest.raises(SchemaError, match=message):
        if step == "fit":
            kamseg.clv.fit(table, model="bgnbd")
        else:
            fitted = kamseg.clv.fit(cdnow_summary, model="bgnbd")
            kamseg.clv.predict(table, fitted, freq="W")


def test_magnitude_check_sees_huge_values_beside_nan(cdnow_spend):
    # NaN spend of one-time buyers (allowed) must not hide a huge spend elsewhere
    table = cdnow_spend.copy()
    once = table.index[table["frequency"] == 0]
    repeat = table.index[table["frequency"] > 0]
    table.loc[once[0], "monetary_value"] = np.nan
    table.loc[repeat[5], "monetary_value"] = 1e302
    with pytest.raises(SchemaError, match=r"1 value\(s\) of column 'monetary_value' are beyond"):
        kamseg.clv.fit(table, model="gamma_gamma")
