"""Tests of the Pareto/NBD model (kamseg.clv._pareto_nbd).

Reference values come from outside the module: the published CDNOW estimates (Fader,
Hardie & Lee 2005), lifetimes' ``ParetoNBDFitter`` (the closed form with 2F1), scipy's
adaptive quadrature of the integral, exact special cases (t_x = T, α = β), and values
computed with mpmath at 150 digits from the hypergeometric closed form.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.special import gammaln

import kamseg
from kamseg.clv import _pareto_nbd as pnbd
from kamseg.clv._base import collapse, maximize
from kamseg.errors import ConfigError

PUBLISHED = {"r": 0.5532, "alpha": 10.578, "s": 0.6062, "beta": 11.669}
PUBLISHED_LL = -9594.98
P_CDNOW = np.array(list(PUBLISHED.values()))

PARAM_SETS = [
    pytest.param((0.5532, 10.578, 0.6062, 11.669), id="cdnow"),
    pytest.param((0.5, 1e-3, 0.01, 1e3), id="alpha<<beta"),
    pytest.param((0.5, 1e3, 0.01, 1e-3), id="alpha>>beta"),
    pytest.param((2.0, 5.0, 3.0, 5.0), id="alpha==beta"),
    pytest.param((0.01, 0.01, 0.01, 0.01), id="all-tiny"),
    pytest.param((100.0, 1e4, 50.0, 3e3), id="all-large"),
    pytest.param((0.05, 0.2, 5.0, 100.0), id="mixed"),
    pytest.param((30.0, 0.5, 0.2, 0.02), id="large-r"),
    pytest.param((1e-3, 1e-6, 1.0, 1e-5), id="s==1-tiny-scales"),
]


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    pytest.importorskip("lifetimes")
    return kamseg.datasets.load_cdnow_summary()


def _arrays(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        df["frequency"].to_numpy(),
        df["recency"].to_numpy(),
        df["T"].to_numpy(),
    )


def _lifetimes(params: np.ndarray | tuple[float, ...]) -> Any:
    """A lifetimes ParetoNBDFitter carrying `params` (no fit)."""
    lifetimes = pytest.importorskip("lifetimes")
    fitter = lifetimes.ParetoNBDFitter()
    fitter.params_ = pd.Series(dict(zip(("r", "alpha", "s", "beta"), params, strict=True)))
    return fitter


@pytest.fixture
def quiet() -> Iterator[None]:
    """Silence lifetimes' overflow warnings (they come from the reference, not kamseg)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _grid(T_values: tuple[float, ...] = (1.0, 10.0, 100.0, 1000.0, 10000.0)) -> np.ndarray:
    """(x, t_x, T) rows: x in {0, 1, ..., 10^4}, t_x from 0 to T (x = 0 only at t_x = 0)."""
    rows = [
        (x, f * T, T)
        for x, T, f in itertools.product(
            (0, 1, 10, 100, 1000, 10000), T_values, (0.0, 1e-3, 0.3, 0.9, 0.999999, 1.0)
        )
        if x > 0 or f == 0.0
    ]
    return np.array(rows, dtype=np.float64).T


# --- fit on CDNOW ---------------------------------------------------------------------------


def test_fit_cdnow_matches_published(cdnow_summary: pd.DataFrame) -> None:
    x, t_x, T = _arrays(cdnow_summary)
    fit = maximize(pnbd.SPEC, collapse({"x": x, "t_x": t_x, "T": T}))
    assert fit.model == "pareto_nbd"
    assert fit.n_obs == 2357
    for name, value in PUBLISHED.items():
        assert fit.params[name] == pytest.approx(value, rel=5e-4), name
    assert fit.log_likelihood == pytest.approx(PUBLISHED_LL, abs=0.01)
    assert all(math.isfinite(v) and v > 0 for v in fit.std_errors.values())


def test_gradient_matches_central_differences(cdnow_summary: pd.DataFrame) -> None:
    x, t_x, T = _arrays(cdnow_summary)
    data = collapse({"x": x, "t_x": t_x, "T": T})
    assert pnbd.SPEC.gradient is not None
    for params in (np.array([0.7, 8.0, 0.9, 15.0]), np.array([0.5, 20.0, 2.0, 5.0])):
        grad = pnbd.SPEC.gradient(params, data)
        numeric = np.empty(4)
        for i in range(4):
            h = 1e-5 * params[i]
            up, down = params.copy(), params.copy()
            up[i] += h
            down[i] -= h
            total_up = np.dot(data.weights, pnbd.SPEC.loglik(up, data))
            total_down = np.dot(data.weights, pnbd.SPEC.loglik(down, data))
            numeric[i] = (total_up - total_down) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6)


def test_fit_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(20240517)
    n = 4000
    r, alpha, s, beta = 0.8, 8.0, 0.7, 15.0
    T = rng.integers(20, 80, n).astype(np.float64)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    end = np.minimum(rng.exponential(1.0 / mu), T)
    x = rng.poisson(lam * end).astype(np.float64)
    # the last of x uniform purchase times on [0, end]
    t_x = np.where(x > 0, end * rng.random(n) ** (1.0 / np.maximum(x, 1.0)), 0.0)
    fit = maximize(pnbd.SPEC, collapse({"x": x, "t_x": t_x, "T": T}))
    truth = {"r": r, "alpha": alpha, "s": s, "beta": beta}
    for name, value in truth.items():
        assert abs(fit.params[name] - value) < 4 * fit.std_errors[name], name


def test_initial_is_positive_and_scaled_to_T() -> None:
    data = collapse(
        {"x": np.array([0.0, 3.0]), "t_x": np.array([0.0, 20.0]), "T": np.array([30.0, 50.0])}
    )
    start = pnbd.SPEC.initial(data)
    assert start.shape == (4,)
    assert np.all(start > 0)
    assert start[1] == start[3] == 40.0


# --- agreement with lifetimes on CDNOW ------------------------------------------------------


def test_matches_lifetimes_on_cdnow(cdnow_summary: pd.DataFrame) -> None:
    x, t_x, T = _arrays(cdnow_summary)
    ref = _lifetimes(P_CDNOW)
    ll_ref = ref._conditional_log_likelihood(P_CDNOW, x, t_x, T)
    np.testing.assert_allclose(pnbd.log_likelihood(P_CDNOW, x, t_x, T), ll_ref, rtol=1e-9)
    np.testing.assert_allclose(
        pnbd.p_alive(P_CDNOW, x, t_x, T),
        ref.conditional_probability_alive(x, t_x, T),
        rtol=1e-9,
    )
    for t in (39.0, 52.0):
        np.testing.assert_allclose(
            pnbd.conditional_expected_purchases(P_CDNOW, t, x, t_x, T),
            ref.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T),
            rtol=1e-9,
        )
        np.testing.assert_allclose(
            pnbd.expected_purchases(P_CDNOW, t),
            ref.expected_number_of_purchases_up_to_time(t),
            rtol=1e-12,
        )


def test_collapsed_loglik_equals_per_customer(cdnow_summary: pd.DataFrame) -> None:
    x, t_x, T = _arrays(cdnow_summary)
    data = collapse({"x": x, "t_x": t_x, "T": T})
    total = float(np.dot(data.weights, pnbd.SPEC.loglik(P_CDNOW, data)))
    assert total == pytest.approx(float(pnbd.log_likelihood(P_CDNOW, x, t_x, T).sum()), rel=1e-12)


# --- independent checks of the likelihood ---------------------------------------------------


def _ll_by_quad(params: tuple[float, ...], x: float, t_x: float, T: float) -> float:
    """ln L with the integral done by scipy's adaptive quadrature, straight from eq. 18."""
    r, alpha, s, beta = params

    def integrand(tau: float) -> float:
        return float((alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1))

    integral, _ = integrate.quad(integrand, t_x, T, epsabs=0, epsrel=1e-13, limit=200)
    alive = (alpha + T) ** -(r + x) * (beta + T) ** -s
    head = gammaln(r + x) - gammaln(r) + r * math.log(alpha) + s * math.log(beta)
    return float(head + math.log(alive + s * integral))


@pytest.mark.parametrize(
    ("params", "x", "t_x", "T"),
    [
        ((0.5, 2.0, 0.8, 5.0), 2.0, 3.0, 7.0),
        ((0.5, 2.0, 0.8, 5.0), 0.0, 0.0, 7.0),
        ((1.3, 6.0, 2.5, 0.7), 4.0, 0.25, 12.0),
        ((0.2, 0.1, 0.3, 40.0), 7.0, 19.5, 20.0),
        ((3.0, 1.0, 0.05, 1.0), 1.0, 1.0 - 1e-6, 1.0),
    ],
)
def test_loglik_matches_quadrature_by_hand(
    params: tuple[float, ...], x: float, t_x: float, T: float
) -> None:
    got = float(pnbd.log_likelihood(np.array(params), x, t_x, T))
    assert got == pytest.approx(_ll_by_quad(params, x, t_x, T), rel=1e-8)


# ln L and P(alive) computed with mpmath (150 digits) from the closed form of Fader, Hardie &
# Lee (2005, eq. 18-20): I = G(t_x) - G(T), G(t) = (M+t)^-(r+s+x) / (r+s+x)
# * 2F1(r+s+x, e; r+s+x+1; |α-β| / (M+t)), M = max(α, β), e = s+1 if α >= β else r+x.
CD = (0.5532, 10.578, 0.6062, 11.669)
MPMATH = [
    ((0.5, 1e-3, 0.01, 1e3), 10000, 5000.0, 10000, -3089.9118829888857, 0.0),
    ((0.5, 1e-3, 0.01, 1e3), 1000, 1.0, 10000, 5885.2277415575819, 0.0),
    ((0.5, 1e-3, 0.01, 1e3), 1, 9999.99, 10000, -17.986514471652344, 0.99999999090908),
    ((0.5, 1e3, 0.01, 1e-3), 10000, 0.5, 10000, 13014.758918400603, 0.0),
    ((0.5, 1e3, 0.01, 1e-3), 100, 999.0, 1000, -399.71178887449654, 0.99998973933425475),
    ((100.0, 1e4, 50.0, 3e3), 10000, 9000.0, 10000, -15998.188593462108, 2.3960874269677688e-225),
    ((0.05, 0.2, 5.0, 100.0), 10000, 99.9999, 100, 36021.750681681908, 0.99999748748581649),
    ((30.0, 0.5, 0.2, 0.02), 10000, 1.0, 10000, 78205.981123510944, 0.0),
    (CD, 10000, 9999.0, 10000, -10017.523368773406, 0.99989601871077029),
    (CD, 0, 0.0, 10000, -0.67357960772235808, 0.0007377457500121502),
]


@pytest.mark.parametrize(("params", "x", "t_x", "T", "ll", "alive"), MPMATH)
def test_extremes_match_high_precision_values(
    params: tuple[float, ...], x: float, t_x: float, T: float, ll: float, alive: float
) -> None:
    p = np.array(params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got_ll = float(pnbd.log_likelihood(p, x, t_x, T))
        got_alive = float(pnbd.p_alive(p, x, t_x, T))
    assert got_ll == pytest.approx(ll, rel=1e-12)
    assert got_alive == pytest.approx(alive, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("params", PARAM_SETS)
def test_recency_equal_to_age_is_closed_form(params: tuple[float, ...]) -> None:
    # no purchase-free time: L = Γ(r+x)α^r β^s / Γ(r) (α+T)^-(r+x) (β+T)^-s, P(alive) = 1
    r, alpha, s, beta = params
    x = np.array([1.0, 10.0, 100.0, 10000.0, 3.0])
    T = np.array([1.0, 10.0, 100.0, 10000.0, 0.0])
    expected = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + s * np.log(beta)
        - (r + x) * np.log(alpha + T)
        - s * np.log(beta + T)
    )
    p = np.array(params)
    np.testing.assert_allclose(pnbd.log_likelihood(p, x, T, T), expected, rtol=1e-13)
    np.testing.assert_array_equal(pnbd.p_alive(p, x, T, T), 1.0)


@pytest.mark.parametrize("scale", [1e-6, 0.01, 1.0, 11.0, 1e4])
def test_equal_scales_is_closed_form(scale: float) -> None:
    # α = β: I = [(α+t_x)^-k - (α+T)^-k] / k with k = r+s+x, written without cancellation
    r, s = 0.7, 1.6
    x, t_x, T = _grid()
    keep = t_x < T
    x, t_x, T = x[keep], t_x[keep], T[keep]
    k = r + s + x
    log_i = (
        -k * np.log(scale + t_x)
        + np.log(-np.expm1(k * np.log1p(-(T - t_x) / (scale + T))))
        - np.log(k)
    )
    alive = -(r + x) * np.log(scale + T) - s * np.log(scale + T)
    head = gammaln(r + x) - gammaln(r) + (r + s) * np.log(scale)
    expected = head + np.logaddexp(alive, np.log(s) + log_i)
    got = pnbd.log_likelihood(np.array([r, scale, s, scale]), x, t_x, T)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-10)


# --- robustness over a grid of extremes -----------------------------------------------------


@pytest.mark.parametrize("params", PARAM_SETS)
def test_grid_is_finite_and_matches_lifetimes_where_it_can(
    params: tuple[float, ...], quiet: None
) -> None:
    p = np.array(params)
    x, t_x, T = _grid()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ll = pnbd.log_likelihood(p, x, t_x, T)
        alive = pnbd.p_alive(p, x, t_x, T)
        expected = pnbd.conditional_expected_purchases(p, 52.0, x, t_x, T)
        later = pnbd.conditional_probability_alive_at(p, x, t_x, T, 52.0)
        new = pnbd.expected_purchases(p, np.array([1.0, 52.0, 1e4]))
    assert np.all(np.isfinite(ll))
    assert np.all((alive >= 0) & (alive <= 1))
    assert np.all(np.isfinite(expected) & (expected >= 0))
    assert np.all((later >= 0) & (later <= alive))
    assert np.all(np.isfinite(new) & (new >= 0)) and np.all(np.diff(new) > 0)

    ref = _lifetimes(params)
    ll_ref = ref._conditional_log_likelihood(params, x, t_x, T)
    ok = np.isfinite(ll_ref)
    assert ok.sum() >= 0.5 * ok.size  # the comparison covers most of the grid
    np.testing.assert_allclose(ll[ok], ll_ref[ok], rtol=1e-6)
    alive_ref = ref.conditional_probability_alive(x, t_x, T)
    ok = np.isfinite(alive_ref)
    np.testing.assert_allclose(alive[ok], alive_ref[ok], rtol=1e-6, atol=1e-300)
    exp_ref = ref.conditional_expected_number_of_purchases_up_to_time(52.0, x, t_x, T)
    ok = np.isfinite(exp_ref)
    np.testing.assert_allclose(expected[ok], exp_ref[ok], rtol=1e-6, atol=1e-300)
    if params[2] != 1.0:  # lifetimes divides by s - 1
        new_ref = ref.expected_number_of_purchases_up_to_time(np.array([1.0, 52.0, 1e4]))
        np.testing.assert_allclose(new, new_ref, rtol=1e-9)


def test_recency_just_below_age_has_no_cancellation() -> None:
    # t_x = T - g, g small: s I = s f(T) g (1 + c g / 2 + O(g^2)) with
    # f(T) = (α+T)^-(r+x) (β+T)^-(s+1) and c = (r+x)/(α+T) + (s+1)/(β+T), so
    # ln L(g) - ln L(0) = log1p(s g / (β+T) (1 + c g / 2)). The two 2F1 terms of the closed
    # form would cancel to about 8 digits here (x = T = 10^4).
    r, alpha, s, beta = P_CDNOW
    x, T = 10000.0, 10000.0
    gaps = np.array([1e-3, 1e-6, 0.0])
    ll = pnbd.log_likelihood(P_CDNOW, np.full(3, x), T - gaps, np.full(3, T))
    c = (r + x) / (alpha + T) + (s + 1) / (beta + T)
    g = 1e-3
    assert ll[0] - ll[2] == pytest.approx(
        math.log1p(s * g / (beta + T) * (1 + c * g / 2)), rel=1e-5
    )
    assert ll[0] > ll[1] > ll[2]


# --- predictions ----------------------------------------------------------------------------


def test_predictions_at_s_equal_one_use_the_limit() -> None:
    # s = 1: the bracket over s - 1 becomes ln(1 + t / (β+T)) (and ln(1 + t/β) for E[X(t)])
    r, alpha, beta = 0.6, 9.0, 14.0
    x, t_x, T, t = np.array([0.0, 3.0]), np.array([0.0, 20.0]), np.array([30.0, 30.0]), 26.0
    p1 = np.array([r, alpha, 1.0, beta])
    alive = pnbd.p_alive(p1, x, t_x, T)
    by_hand = alive * (r + x) * (beta + T) / (alpha + T) * np.log1p(t / (beta + T))
    np.testing.assert_allclose(
        pnbd.conditional_expected_purchases(p1, t, x, t_x, T), by_hand, rtol=1e-13
    )
    assert float(pnbd.expected_purchases(p1, t)) == pytest.approx(
        r * beta / alpha * math.log1p(t / beta), rel=1e-13
    )
    for eps in (1e-7, -1e-7):
        near = np.array([r, alpha, 1.0 + eps, beta])
        np.testing.assert_allclose(
            pnbd.conditional_expected_purchases(near, t, x, t_x, T), by_hand, rtol=1e-6
        )


def test_conditional_expected_purchases_broadcasts_horizons() -> None:
    x, t_x, T = np.array([0.0, 2.0, 7.0]), np.array([0.0, 30.43, 20.0]), np.full(3, 38.86)
    horizons = np.array([13.0, 26.0, 52.0])
    table = pnbd.conditional_expected_purchases(P_CDNOW, horizons[:, None], x, t_x, T)
    assert table.shape == (3, 3)
    for i, t in enumerate(horizons):
        np.testing.assert_allclose(
            table[i], pnbd.conditional_expected_purchases(P_CDNOW, t, x, t_x, T), rtol=1e-15
        )
    assert np.all(np.diff(table, axis=0) > 0)


def test_probability_alive_later() -> None:
    x, t_x, T = np.array([0.0, 2.0]), np.array([0.0, 30.43]), np.array([38.86, 38.86])
    now = pnbd.p_alive(P_CDNOW, x, t_x, T)
    np.testing.assert_allclose(
        pnbd.conditional_probability_alive_at(P_CDNOW, x, t_x, T, 0.0), now, rtol=1e-15
    )
    later = pnbd.conditional_probability_alive_at(P_CDNOW, x, t_x, T, 52.0)
    s, beta = PUBLISHED["s"], PUBLISHED["beta"]
    np.testing.assert_allclose(later, now * ((beta + T) / (beta + T + 52.0)) ** s, rtol=1e-13)


@pytest.mark.parametrize(
    "params",
    [
        np.array([1.0, 2.0, 3.0]),
        np.array([1.0, -2.0, 3.0, 4.0]),
        np.array([1.0, 2.0, np.nan, 4.0]),
    ],
)
def test_predictions_reject_bad_parameters(params: np.ndarray) -> None:
    with pytest.raises(ConfigError, match="pareto_nbd"):
        pnbd.p_alive(params, 1.0, 1.0, 2.0)
