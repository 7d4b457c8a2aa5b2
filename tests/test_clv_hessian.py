"""Analytic Hessians behind the transaction models' standard errors, and the shortcuts of
the boundary search (issue 14).

References are independent of the code under test: central differences of the row-level
gradient (``_bgnbd._gradient``, a separate implementation from the chunked pass), extrapolated
(Richardson), second differences of a log-likelihood written out here, the Poisson
log-likelihood summed row by row and maximised numerically, and the generic limit-model
formulas for P(alive).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import gammaln

import kamseg
from kamseg.clv import _bgnbd, _boundary, _limits
from kamseg.clv._base import Prepared, _subsample, collapse


def _bgnbd_sample(n: int, seed: int, *, daily: bool) -> dict[str, np.ndarray]:
    """Customer histories drawn from the BG/NBD model (days), optionally whole days."""
    T = np.random.default_rng(seed).uniform(30.0, 700.0, n)
    d = kamseg.datasets.draw_bgnbd(T, r=0.8, alpha=25.0, a=1.3, b=12.0, seed=seed)
    x, t_x = d["frequency"].to_numpy(copy=True), d["recency"].to_numpy(copy=True)
    if daily:
        T, t_x = np.floor(T), np.floor(t_x)
    return {"x": x, "t_x": t_x, "T": T}


def _richardson_jacobian(fn, params: np.ndarray, h: float = 1e-4) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Jacobian of `fn` at `params` by central differences, Richardson-extrapolated."""

    def central(step: float) -> np.ndarray:
        k = params.size
        out = np.empty((k, k))
        for i in range(k):
            up, down = params.copy(), params.copy()
            up[i] += step * params[i]
            down[i] -= step * params[i]
            out[:, i] = (fn(up) - fn(down)) / (2 * step * params[i])
        return out

    jac = (4 * central(h / 2) - central(h)) / 3
    return (jac + jac.T) / 2


def _scaled_error(got: np.ndarray, ref: np.ndarray) -> float:
    scale = np.sqrt(np.outer(np.abs(np.diag(ref)), np.abs(np.diag(ref))))
    return float(np.max(np.abs(got - ref) / scale))


@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize("daily", [False, True])
@pytest.mark.parametrize(
    "params", [[0.8, 25.0, 1.3, 12.0], [0.3, 4.0, 0.6, 2.5], [2.5, 90.0, 3.0, 40.0]]
)
def test_bgnbd_hessian_equals_differences_of_the_row_gradient(
    modified: bool, daily: bool, params: list[float]
) -> None:
    data = collapse(_bgnbd_sample(3000, 7, daily=daily))
    p = np.array(params)
    got = _bgnbd._hessian(p, data, modified)
    ref = _richardson_jacobian(lambda q: _bgnbd._gradient(q, data, modified), p)
    assert _scaled_error(got, ref) < 1e-7
    np.testing.assert_array_equal(got, got.T)


def test_bgnbd_hessian_chunked_over_many_rows() -> None:
    # more than four chunks: the two-thread sum of the row parts
    data = collapse(_bgnbd_sample(150_000, 3, daily=False))
    p = np.array([0.8, 25.0, 1.3, 12.0])
    got = _bgnbd._hessian(p, data, False)
    ref = _richardson_jacobian(lambda q: _bgnbd._gradient(q, data, False), p)
    assert _scaled_error(got, ref) < 1e-7


def _nbd_loglik(params: np.ndarray, x: np.ndarray, T: np.ndarray, w: np.ndarray) -> float:
    r, alpha = params
    per_row = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + T)
    return float(np.sum(w * per_row))


@pytest.mark.parametrize("params", [[0.7, 20.0], [3.0, 150.0], [0.2, 1.5]])
def test_nbd_hessian_equals_second_differences_of_the_loglik(params: list[float]) -> None:
    raw = _bgnbd_sample(2000, 11, daily=True)
    data = collapse(raw)
    p = np.array(params)
    got = _limits._nbd_hessian(p, data)
    x, T, w = data["x"], data["T"], data.weights

    def second(h: float) -> np.ndarray:
        out = np.empty((2, 2))
        for i in range(2):
            for j in range(2):
                ei = np.eye(2)[i] * h * p[i]
                ej = np.eye(2)[j] * h * p[j]
                out[i, j] = (
                    _nbd_loglik(p + ei + ej, x, T, w)
                    - _nbd_loglik(p + ei - ej, x, T, w)
                    - _nbd_loglik(p - ei + ej, x, T, w)
                    + _nbd_loglik(p - ei - ej, x, T, w)
                ) / (4 * h * h * p[i] * p[j])
        return out

    ref = (4 * second(5e-4) - second(1e-3)) / 3
    assert _scaled_error(got, ref) < 1e-6


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_fit_standard_errors_are_the_inverse_information(model: str) -> None:
    import kamseg.clv

    raw = _bgnbd_sample(5000, 5, daily=False)
    import pandas as pd

    frame = pd.DataFrame({"frequency": raw["x"], "recency": raw["t_x"], "T": raw["T"]})
    fit = kamseg.clv.fit(frame, model=model)
    assert fit.boundary is None
    data = collapse(raw)
    p = fit.values()
    info = -_richardson_jacobian(lambda q: _bgnbd._gradient(q, data, model == "mbgnbd"), p)
    cov = np.linalg.inv(info)
    np.testing.assert_allclose(fit.covariance, cov, rtol=1e-6, atol=0)
    np.testing.assert_allclose(list(fit.std_errors.values()), np.sqrt(np.diag(cov)), rtol=1e-7)
    np.testing.assert_allclose(fit.log_covariance, cov / np.outer(p, p), rtol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_poisson_max_loglik_equals_the_row_sum_at_its_maximum(seed: int) -> None:
    raw = _bgnbd_sample(500, seed, daily=True)
    x, T = raw["x"], raw["T"]

    def negative(log_rate: float) -> float:
        rate = math.exp(log_rate)
        return -float(np.sum(x * math.log(rate) - rate * T))

    best = minimize_scalar(negative, bracket=(-8.0, 0.0), tol=1e-12)
    got = _boundary._poisson_max_loglik(float(x.sum()), float(T.sum()))
    assert got == pytest.approx(-best.fun, rel=1e-12)


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_fitted_p_alive_equals_the_generic_formula(model: str) -> None:
    data = collapse(_bgnbd_sample(4000, 9, daily=True))
    full = _limits.Face(model, "gamma", "mixed")
    params = np.array([0.8, 25.0, 1.3, 12.0])
    got = _boundary._fitted_p_alive(full, params, data)
    ref = _limits.p_alive(full, params, data["x"], data["t_x"], data["T"])
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-15)
    # a limit model keeps the generic formulas
    nbd = _limits.Face(model, "gamma", "none")
    np.testing.assert_array_equal(
        _boundary._fitted_p_alive(nbd, params[:2], data), np.ones(data.weights.size)
    )


def test_purchase_summary_p_alive_in_halves_is_the_row_formula() -> None:
    raw = _bgnbd_sample(140_000, 4, daily=True)  # above in_halves' 131,072-row threshold
    params = np.array([0.8, 25.0, 1.3, 12.0])
    steps = np.arange(1.0, 4.0) * 30.0
    alive, _, _ = _bgnbd.purchase_summary(
        params, raw["x"], raw["t_x"], raw["T"], steps, np.ones(3)
    )
    np.testing.assert_array_equal(alive, _bgnbd.p_alive(params, raw["x"], raw["t_x"], raw["T"]))


def test_warm_start_sample_is_drawn_once_per_data_set() -> None:
    rng = np.random.default_rng(0)
    n = 30_000
    data = Prepared(
        {"x": rng.integers(0, 5, n).astype(float), "t_x": np.zeros(n), "T": np.ones(n)},
        rng.integers(1, 10, n).astype(float),
    )
    first = _subsample(data, target=20_000)
    assert first is not None and _subsample(data, target=20_000) is first
    # and it is the same draw as before the cache: binomial thinning with the fixed seed
    kept = np.random.default_rng(20051).binomial(
        data.weights.astype(np.int64), 20_000 / data.n_obs
    )
    np.testing.assert_array_equal(first.weights, kept[kept > 0].astype(float))
    assert _subsample(Prepared({"x": np.zeros(10)}, np.ones(10)), target=20_000) is None


@pytest.mark.parametrize(
    "params",
    [
        [0.87, 37.0, 0.77, 468.0],  # alpha < beta
        [2.0, 60.0, 0.3, 20.0],  # alpha > beta
        [0.9, 30.0, 0.8, 30.0],  # alpha = beta: one factor in the integrand
        [0.5, 10.0, 1.5, 50.0],
    ],
)
@pytest.mark.parametrize("daily", [False, True])
def test_pareto_nbd_hessian_equals_differences_of_the_gradient(
    params: list[float], daily: bool
) -> None:
    from kamseg.clv import _pareto_nbd

    data = collapse(_bgnbd_sample(3000, 13, daily=daily))
    p = np.array(params)

    def gradient(q: np.ndarray) -> np.ndarray:
        data.extra.pop("pareto_nbd", None)  # no cached pass: each point computed afresh
        return _pareto_nbd._gradient(q, data)

    ref = _richardson_jacobian(gradient, p)
    got = _pareto_nbd._hessian(p, data)
    assert _scaled_error(got, ref) < 1e-8
    np.testing.assert_array_equal(got, got.T)


def test_pareto_integral_covariances_equal_a_fine_trapezoid() -> None:
    from kamseg.clv._pareto_integral import _log_integral

    r, alpha, s, beta = 0.8, 20.0, 0.6, 90.0
    x, t_x, T = np.array([0.0, 3.0, 12.0]), np.array([0.0, 40.0, 300.0]), np.full(3, 365.0)
    _, mom = _log_integral(r, alpha, s, beta, x, t_x, T, second=True)
    assert mom is not None and mom.shape == (14, 3)
    for row in range(3):
        tau = np.linspace(t_x[row], T[row], 400_001)
        dens = (alpha + tau) ** -(r + x[row]) * (beta + tau) ** -(s + 1.0)
        dens /= np.trapezoid(dens, tau)
        feats = [np.log(alpha + tau), 1 / (alpha + tau), np.log(beta + tau), 1 / (beta + tau)]
        means = [np.trapezoid(dens * f, tau) for f in feats]
        np.testing.assert_allclose(mom[:4, row], means, rtol=1e-9)
        k = 4
        for i in range(4):
            for j in range(i, 4):
                cov = np.trapezoid(dens * (feats[i] - means[i]) * (feats[j] - means[j]), tau)
                scale = math.sqrt(
                    np.trapezoid(dens * (feats[i] - means[i]) ** 2, tau)
                    * np.trapezoid(dens * (feats[j] - means[j]) ** 2, tau)
                )
                assert abs(mom[k, row] - cov) < 1e-7 * scale
                k += 1


def test_pareto_nbd_fit_standard_errors_and_p_alive() -> None:
    import pandas as pd

    import kamseg.clv
    from kamseg.clv import _pareto_nbd

    raw = _bgnbd_sample(4000, 21, daily=True)
    frame = pd.DataFrame({"frequency": raw["x"], "recency": raw["t_x"], "T": raw["T"]})
    fit = kamseg.clv.fit(frame, model="pareto_nbd")
    assert fit.boundary is None
    data = collapse(raw)
    p = fit.values()

    def gradient(q: np.ndarray) -> np.ndarray:
        data.extra.pop("pareto_nbd", None)
        return _pareto_nbd._gradient(q, data)

    cov = np.linalg.inv(-_richardson_jacobian(gradient, p))
    np.testing.assert_allclose(fit.covariance, cov, rtol=1e-6, atol=0)
    np.testing.assert_allclose(list(fit.std_errors.values()), np.sqrt(np.diag(cov)), rtol=1e-7)
    # the dropout diagnostics from the cached last pass equal the generic formula's
    alive = _limits.p_alive(
        _limits.Face("pareto_nbd", "gamma", "mixed"), p, data["x"], data["t_x"], data["T"]
    )
    assert fit.dropout_share == pytest.approx(1 - np.average(alive, weights=data.weights))
    assert fit.lapsed_share == np.average(alive < 0.5, weights=data.weights)


def test_pareto_cached_p_alive_needs_the_same_parameters() -> None:
    from kamseg.clv import _pareto_nbd

    data = collapse(_bgnbd_sample(500, 2, daily=True))
    p = np.array([0.8, 20.0, 0.6, 90.0])
    assert _pareto_nbd.cached_p_alive(p, data) is None  # nothing computed yet
    _pareto_nbd._hessian(p, data)
    ref = _pareto_nbd.p_alive(p, data["x"], data["t_x"], data["T"])
    np.testing.assert_allclose(_pareto_nbd.cached_p_alive(p * (1 + 1e-15), data), ref, rtol=1e-13)
    assert _pareto_nbd.cached_p_alive(p * (1 + 1e-9), data) is None
