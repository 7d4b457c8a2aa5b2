r"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005; Fader & Hardie 2013).

A customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers, so
the mean spend of a customer is p/ν. For a customer with x repeat transactions of mean value
m̄ (the `monetary_value` column), the density of m̄ is::

    f(m̄ | p, q, γ, x) = Γ(px + q) / (Γ(px) Γ(q)) · γ^q · m̄^(px-1) · x^(px) / (γ + m̄ x)^(px+q)

and the conditional expected spend per transaction shrinks m̄ toward the population mean
pγ/(q-1)::

    E[M | p, q, γ, x, m̄] = (q - 1)/(px + q - 1) · pγ/(q - 1) + px/(px + q - 1) · m̄

The model assumes spend is independent of the purchase process, and is fitted to customers
with at least one repeat purchase and a positive mean spend.

**Maxima on the boundary.** Given ν, m̄ is Gamma(px, xν) (a sum of x Gamma(p, ν) values,
divided by x); f above is that density mixed over ν. When the customers' spend does not
vary in one of the two ways the model allows, the likelihood keeps rising towards an edge
of the parameter space, and the supremum is the likelihood of a limit model:

- ``"no heterogeneity in spend"``: q, γ -> ∞ with q/γ -> ν. ν ~ Gamma(q, γ) has mean q/γ
  and variance q/γ² -> 0: every customer has the same ν. As Γ(px+q)/Γ(q) ~ q^(px) and
  (γ + m̄x)^-(px+q) ~ γ^-(px+q) e^(-ν m̄ x), f tends to the Gamma(px, xν) density::

      f(m̄ | p, ν, x) = (xν)^(px) m̄^(px-1) e^(-xν m̄) / Γ(px)

  (every transaction is Gamma(p, ν)). Its maximum: ν = p Σx / Σx m̄, so the mean spend
  p/ν is m̃ = Σx m̄ / Σx (all spend over all repeat transactions), and p solves
  Σx (ln(px) - ψ(px)) = -Σx ln(m̄/m̃) (one root: the profile log-likelihood is concave).
  The weight (q-1)/(px+q-1) of the population mean tends to 1::

      E[M | x, m̄] = p/ν for every customer;  E_full - p/ν = (px(m̄ - p/ν) + p/ν)/(px+q-1)

  along the path γ = q/ν, which is O(1/q).
- ``"no spend variation within customers"``: p -> ∞, γ -> 0 with pγ -> δ. A customer's
  values have coefficient of variation 1/√p -> 0: each customer spends their own mean
  μ = p/ν on every purchase, and 1/μ = ν/p ~ Gamma(q, pγ) -> Gamma(q, δ). As
  Γ(px+q)/Γ(px) ~ (px)^q and (γ + m̄x)^(px+q) ~ (m̄x)^(px+q) e^(δ/m̄), f tends to the
  inverse-gamma density, whatever x::

      f(m̄ | q, δ) = δ^q m̄^(-q-1) e^(-δ/m̄) / Γ(q)

  Its maximum: δ = q n / Σ(1/m̄) and ln q - ψ(q) = ln(mean of 1/m̄) - mean of ln(1/m̄).
  A repeat customer's expected spend is their own mean, unshrunk; the population mean
  is δ/(q-1)::

      E[M | x > 0, m̄] = m̄;  E_full - m̄ = (δ - (q-1) m̄)/(px+q-1) = O(1/p)

- both (``"no heterogeneity in spend; no spend variation within customers"``): every
  repeat customer has the same mean spend (e.g. every amount is 10.0). The likelihood is
  unbounded (the density of a point mass): the limit is one parameter, ``spend``, the
  common value, which every customer is expected to spend; `log_likelihood` is +inf and
  the standard error 0. It is taken when the mean spends agree to 1e-9 (relative), as
  equal amounts do up to rounding.

(p -> 0 or q -> 0 send the density of every m̄ to 0: no maximum there.)

The fit (:func:`fit_spend`), without a penalty, mirrors that of the transaction models
(:mod:`kamseg.clv._boundary`): fit the full model and both limits (their maxima in closed
form up to one root each); the full model's maximum is the result when it beats both by
more than 0.001 in log-likelihood (an ordinary fit is unchanged); otherwise the full
model is fitted once more from just inside the better limit, and if it does not climb
above it by more than 0.001, that limit is returned, flagged in ``FitResult.boundary``, with one
warning; its predictions (:func:`conditional_expected_spend`, :func:`repeat_spend`,
:func:`population_mean_spend`, ``clv.predict``) use the limit formulas above. A penalty
keeps p, q and γ finite: the penalised fit is then the result.
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import digamma, gammaln, polygamma

from kamseg.clv._base import (
    PENALTY_HINT,
    FitFailure,
    FitResult,
    ModelSpec,
    Prepared,
    as_params,
    chunked_sum,
    factorize,
    maximize,
)
from kamseg.clv._collapse import CHUNK, in_halves
from kamseg.errors import ConfigError, ConvergenceError

__all__ = [
    "CONSTANT_SPEND",
    "GAMMA_GAMMA",
    "NO_SPEND_HETEROGENEITY",
    "NO_WITHIN_VARIATION",
    "conditional_expected_spend",
    "loglik",
    "population_mean_spend",
    "repeat_spend",
]

#: `FitResult.boundary` of the limits (see the module docstring).
NO_SPEND_HETEROGENEITY = "no heterogeneity in spend"
NO_WITHIN_VARIATION = "no spend variation within customers"
CONSTANT_SPEND = f"{NO_SPEND_HETEROGENEITY}; {NO_WITHIN_VARIATION}"

#: The parameters of the full model (None) and of each limit.
_FACE_PARAMS: dict[str | None, tuple[str, ...]] = {
    None: ("p", "q", "gamma"),
    NO_SPEND_HETEROGENEITY: ("p", "nu"),
    NO_WITHIN_VARIATION: ("q", "delta"),
    CONSTANT_SPEND: ("spend",),
}
#: Log-likelihood differences below this are ties (as for the transaction models).
_TOL = 1e-3
#: Mean spends that agree to this (relative) are equal: the constant-spend limit.
_EQUAL_SPEND = 1e-9
#: The check near a limit starts the full model with the diverging parameter(s) at this
#: value, and stays within [1/_FACE_RANGE, _FACE_RANGE] (money rescaled to a mean of 1).
_INSIDE_BIG = 1e3
_FACE_RANGE = 1e8


def _constants(data: Prepared) -> dict[str, np.ndarray]:
    """Parameter-free pieces, computed once per data set (cached on `data`)."""
    cache = data.extra
    if "mx" not in cache:
        x, m = data["x"], data["m"]
        ux, ix = factorize(x)
        cache.update(
            ux=ux,
            ix=ix,
            wx=np.bincount(ix, weights=data.weights, minlength=ux.size),
            mx=m * x,
            # sum over customers of the terms linear in p: x (log m + log x), and log m
            s_xlogmx=np.dot(data.weights, x * (np.log(m) + np.log(x))),
            s_logm=np.dot(data.weights, np.log(m)),
        )
    return cache


def _loglik(params: np.ndarray, data: Prepared) -> np.ndarray:
    p, q, gamma = (float(v) for v in params)
    c = _constants(data)
    x, m = data["x"], data["m"]
    ux, ix = c["ux"], c["ix"]
    lg = (gammaln(p * ux + q) - gammaln(p * ux) - gammaln(q))[ix]
    px = p * x
    out: np.ndarray = (
        lg
        + q * np.log(gamma)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + c["mx"])
    )
    return out


def _gradient(params: np.ndarray, data: Prepared) -> np.ndarray:
    p, q, gamma = (float(v) for v in params)
    c = _constants(data)
    x, w = data["x"], data.weights
    ux, wx = c["ux"], c["wx"]
    pux = p * ux
    d_pxq = digamma(pux + q)
    gmx = gamma + c["mx"]
    log_gmx = np.log(gmx)
    wlog = w * log_gmx
    g_p = np.dot(wx, ux * (d_pxq - digamma(pux))) + c["s_xlogmx"] - np.dot(wlog, x)
    g_q = np.dot(wx, d_pxq - digamma(q)) + data.n_obs * np.log(gamma) - wlog.sum()
    g_gamma = data.n_obs * q / gamma - np.dot(w, (p * x + q) / gmx)
    return np.array([g_p, g_q, g_gamma])


def _value_and_grad(params: np.ndarray, data: Prepared) -> tuple[float, np.ndarray]:
    """Weighted total log-likelihood and gradient in one chunked, threaded pass."""
    p, q, gamma = (float(v) for v in params)
    c = _constants(data)
    ux, wx = c["ux"], c["wx"]
    pux = p * ux
    d_pxq = digamma(pux + q)
    n = data.n_obs
    lg_x = gammaln(pux + q) - gammaln(pux) - gammaln(q)
    value = np.dot(wx, lg_x) + n * q * np.log(gamma) + p * c["s_xlogmx"] - c["s_logm"]
    g = np.array(
        [
            np.dot(wx, ux * (d_pxq - digamma(pux))) + c["s_xlogmx"],
            np.dot(wx, d_pxq - digamma(q)) + n * np.log(gamma),
            n * q / gamma,
        ]
    )
    x_all, w_all, mx_all = data["x"], data.weights, c["mx"]

    def part(sl: slice) -> np.ndarray:
        w, x = w_all[sl], x_all[sl]
        gmx = gamma + mx_all[sl]
        wlog = w * np.log(gmx)
        pxq = p * x + q
        return np.array(
            [-(pxq * wlog).sum(), -(wlog * x).sum(), -wlog.sum(), -(w * pxq / gmx).sum()]
        )

    sums = chunked_sum(part, x_all.size)
    return float(value + sums[0]), g + sums[1:]


def _initial(data: Prepared) -> np.ndarray:
    mean_m = float(np.average(data["m"], weights=data.weights))
    return np.array([1.0, 2.0, mean_m])


GAMMA_GAMMA = ModelSpec(
    name="gamma_gamma",
    param_names=("p", "q", "gamma"),
    kind="spend",
    loglik=_loglik,
    gradient=_gradient,
    value_and_grad=_value_and_grad,
    initial=_initial,
)


# --- predictions, for the full model and its limits --------------------------------------


def _face_params(params: Any, boundary: str | None, *, func: str) -> tuple[str | None, np.ndarray]:
    """(the limit, None for the full model; its parameters) of `params`: a FitResult, whose
    `boundary` names the limit, or the values of the model `boundary` names."""
    if isinstance(params, FitResult):
        if params.model != "gamma_gamma" or (boundary is not None and boundary != params.boundary):
            raise ConfigError(
                f"{func}: `params` is a {params.model!r} fit with boundary "
                f"{params.boundary!r}, not a 'gamma_gamma' fit of boundary {boundary!r}."
            )
        boundary = params.boundary
    if boundary not in _FACE_PARAMS:
        known = ", ".join(repr(k) for k in _FACE_PARAMS if k is not None)
        raise ConfigError(
            f"{func}: unknown Gamma-Gamma boundary {boundary!r}; one of None, {known}."
        )
    values = np.asarray(as_params(params), dtype=np.float64).reshape(-1)
    names = _FACE_PARAMS[boundary]
    if values.size != len(names):
        raise ConfigError(
            f"{func}: the Gamma-Gamma model with boundary {boundary!r} has {len(names)} "
            f"parameter(s) ({', '.join(names)}); got {values.size}."
        )
    return boundary, values


def _limit_mean(face: str, values: np.ndarray) -> float:
    """A limit's mean spend per transaction across customers."""
    if face == NO_WITHIN_VARIATION:
        q, delta = (float(v) for v in values)
        return delta / (q - 1.0) if q > 1 else math.inf
    if face == NO_SPEND_HETEROGENEITY:
        return float(values[0] / values[1])
    return float(values[0])


def _limit_spend(face: str, values: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """A limit's expected spend per transaction: its mean spend for everyone, or (no
    variation within customers) a repeat customer's own mean spend."""
    mean = _limit_mean(face, values)
    shape = np.broadcast_shapes(x.shape, m.shape)
    if face != NO_WITHIN_VARIATION:
        return np.full(shape, mean)
    out: np.ndarray = np.where(x > 0, m, mean) * np.ones(shape)
    return out


def population_mean_spend(params: Any, *, boundary: str | None = None) -> float:
    """Mean spend per transaction across customers, pγ/(q-1) (infinite when q <= 1).

    For a limit (a fit with `boundary`, or `boundary` with its parameters): p/ν with no
    heterogeneity in spend, δ/(q-1) with no variation within customers, the constant
    spend when both.
    """
    face, params = _face_params(params, boundary, func="gamma_gamma.population_mean_spend")
    if face is not None:
        return _limit_mean(face, params)
    p, q, gamma = (float(v) for v in params)
    return p * gamma / (q - 1.0) if q > 1 else float("inf")


def conditional_expected_spend(
    params: Any, x: np.ndarray, m: np.ndarray, *, boundary: str | None = None
) -> np.ndarray:
    """Expected spend per transaction given x repeat purchases of mean value m.

    Customers with x = 0 get the population mean pγ/(q-1). A limit (see the module
    docstring) uses its own formulas: the common mean p/ν for everyone with no
    heterogeneity in spend; m itself (x > 0) or δ/(q-1) (x = 0) with no variation within
    customers; the constant spend when both.
    """
    face, params = _face_params(params, boundary, func="gamma_gamma.conditional_expected_spend")
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    if face is not None:
        return _limit_spend(face, params, x, m)
    if not (x.ndim == 1 and x.shape == m.shape):
        return _spend(params, x, m)
    out = np.empty(x.shape)
    for start in range(0, x.size, 2 * CHUNK):  # cache-sized slices: few fresh temporaries
        sl = slice(start, start + 2 * CHUNK)
        out[sl] = _spend(params, x[sl], m[sl])
    return out


def repeat_spend(
    params: Any, x: np.ndarray, m: np.ndarray, *, boundary: str | None = None
) -> np.ndarray:
    """:func:`conditional_expected_spend` with the mean spend `m` read as 0 where x = 0
    (customers without repeat purchases, whose mean spend is unknown or NaN, get the
    population mean)."""
    face, params = _face_params(params, boundary, func="gamma_gamma.repeat_spend")
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    if face is not None:
        return _limit_spend(face, params, x, m)
    out = np.empty(np.broadcast_shapes(x.shape, m.shape))
    if not (x.ndim == 1 and x.shape == m.shape):
        out[...] = _spend(params, x, np.where(x > 0, m, 0.0))
        return out

    def rows(part: slice) -> None:  # two halves on two threads, in cache-sized slices
        for start in range(part.start, part.stop, 2 * CHUNK):
            sl = slice(start, min(start + 2 * CHUNK, part.stop))
            out[sl] = _spend(params, x[sl], np.where(x[sl] > 0, m[sl], 0.0))

    in_halves(rows, x.size)
    return out


def loglik(
    params: Any, x: np.ndarray, m: np.ndarray, *, boundary: str | None = None
) -> np.ndarray:
    """Log-likelihood of each customer's mean spend `m` over `x` repeat purchases (x > 0,
    m > 0), under the full model or a limit with a density (see the module docstring;
    the constant-spend limit, a point mass, has none)."""
    func = "gamma_gamma.loglik"
    face, params = _face_params(params, boundary, func=func)
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if face is None:
            return _loglik(params, Prepared({"x": x, "m": m}, np.ones(x.size)))
        if face == NO_SPEND_HETEROGENEITY:
            p, nu = (float(v) for v in params)
            px = p * x
            out: np.ndarray = px * np.log(x * nu) + (px - 1.0) * np.log(m) - x * nu * m
            out -= gammaln(px)
            return out
        if face == NO_WITHIN_VARIATION:
            q, delta = (float(v) for v in params)
            out = q * math.log(delta) - math.lgamma(q) - (q + 1.0) * np.log(m) - delta / m
            return out * np.ones(x.shape)
    raise ConfigError(f"{func}: the {face!r} limit is a point mass, without a density.")


# --- fitting, with maxima on the boundary ------------------------------------------------


def _log1p_minus(d: np.ndarray) -> np.ndarray:
    """ln(1 + d) - d, accurate for small d (a series below 1e-4)."""
    small = np.abs(d) < 1e-4
    s = np.where(small, d, 0.0)
    series = s * s * (-0.5 + s * (1.0 / 3.0 + s * (-0.25 + s * 0.2)))
    out: np.ndarray = np.where(small, series, np.log1p(np.where(small, 0.0, d)) - d)
    return out


def _log_minus_digamma(y: np.ndarray) -> np.ndarray:
    """ln y - ψ(y) (> 0, decreasing), by its asymptotic series for y >= 100."""
    big = y >= 100.0
    z = 1.0 / np.where(big, y, 1.0)
    series = z * (0.5 + z * (1.0 / 12.0 + z * z * (-1.0 / 120.0 + z * z / 252.0)))
    small = np.where(big, 1.0, y)
    out: np.ndarray = np.where(big, series, np.log(small) - digamma(small))
    return out


def _trigamma_minus(y: np.ndarray) -> np.ndarray:
    """ψ'(y) - 1/y (> 0), by its asymptotic series for y >= 100."""
    big = y >= 100.0
    z = 1.0 / np.where(big, y, 1.0)
    series = z * z * (0.5 + z * (1.0 / 6.0 + z * z * (-1.0 / 30.0 + z * z / 42.0)))
    small = np.where(big, 1.0, y)
    out: np.ndarray = np.where(big, series, polygamma(1, small) - 1.0 / small)
    return out


def _stirling_part(y: np.ndarray) -> np.ndarray:
    """y ln y - y - ln Γ(y), by Stirling's series for y >= 100 (its derivative is
    :func:`_log_minus_digamma`)."""
    big = y >= 100.0
    yb = np.where(big, y, 1.0)
    z = 1.0 / yb
    series = 0.5 * np.log(yb / (2.0 * math.pi)) - z * (
        1.0 / 12.0 - z * z * (1.0 / 360.0 - z * z / 1260.0)
    )
    small = np.where(big, 1.0, y)
    out: np.ndarray = np.where(big, series, small * np.log(small) - small - gammaln(small))
    return out


@dataclass(frozen=True)
class _Sums:
    """The sums over the customers that the limits' maxima need."""

    ux: np.ndarray  # distinct x
    wx: np.ndarray  # customers (weights) per distinct x
    n: float  # customers
    n_tx: float  # repeat transactions, Σ w x
    mean: float  # all spend over all repeat transactions, m̃ = Σ w x m̄ / Σ w x
    inv_mean: float  # mean of ζ = 1/m̄, ζ̄
    # Σ w x ln(m̄/m̃) and Σ w ln(ζ/ζ̄), each <= 0, with the terms' linear parts (which sum
    # to 0) taken out for accuracy
    s_a: float
    s_b: float
    s_logm: float  # Σ w ln m̄


def _limit_sums(data: Prepared) -> _Sums:
    c = _constants(data)
    w_all, x_all, m_all = data.weights, data["x"], data["m"]

    def means(sl: slice) -> np.ndarray:
        w = w_all[sl]
        return np.array([(w * x_all[sl]).sum(), (w * c["mx"][sl]).sum(), (w / m_all[sl]).sum()])

    def logs(sl: slice) -> np.ndarray:  # in cache-sized slices, on two threads
        w, x, m = w_all[sl], x_all[sl], m_all[sl]
        return np.array(
            [
                (w * x * _log1p_minus(m / mean - 1.0)).sum(),
                (w * _log1p_minus(1.0 / (m * inv_mean) - 1.0)).sum(),
            ]
        )

    n = float(w_all.sum())
    n_tx, total, inv_total = (float(v) for v in chunked_sum(means, x_all.size))
    mean, inv_mean = total / n_tx, inv_total / n
    s_a, s_b = chunked_sum(logs, x_all.size)
    return _Sums(
        ux=c["ux"],
        wx=c["wx"],
        n=n,
        n_tx=n_tx,
        mean=mean,
        inv_mean=inv_mean,
        s_a=float(s_a),
        s_b=float(s_b),
        s_logm=float(c["s_logm"]),
    )


def _decreasing_root(fn: Any) -> tuple[float, int] | None:
    """The t where the decreasing fn(t) is 0, with t in [-50, 120] (log parameters), and
    the iterations, or None."""
    from scipy.optimize import brentq

    lo, hi = -50.0, 120.0
    if not fn(lo) > 0 > fn(hi):
        return None
    t, info = brentq(fn, lo, hi, xtol=1e-14, rtol=1e-15, full_output=True)
    return float(t), int(info.iterations)


def _limit_result(
    face: str, values: list[float], log_cov: np.ndarray, ll: float, n: float, **kw: Any
) -> FitResult:
    names = _FACE_PARAMS[face]
    v = np.array(values)
    cov = log_cov * np.outer(v, v)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    return FitResult(
        model="gamma_gamma",
        params=types.MappingProxyType(dict(zip(names, values, strict=True))),
        std_errors=types.MappingProxyType(dict(zip(names, se.tolist(), strict=True))),
        log_likelihood=ll,
        n_obs=n,
        converged=True,
        message="converged: the maximum of the limit model (closed form up to one root)",
        penalty=0.0,
        covariance=cov,
        log_covariance=log_cov,
        boundary=face,
        **kw,
    )


def _pair_cov(a: float, b: float) -> np.ndarray:
    """Log-scale covariance of (θ, θ/κ) when ln θ and ln κ are uncorrelated, with
    variances `a` and `b` (the limits are orthogonal in their parameter and mean)."""
    return np.array([[a, a], [a, a + b]])


def _no_heterogeneity(sums: _Sums, freq: str | None) -> FitResult | None:
    """The maximum of the no-heterogeneity limit: m̄ ~ Gamma(px, xν)."""
    ux, wx = sums.ux, sums.wx

    def score(t: float) -> float:  # d LL / dp at ν = p / m̃
        return float(np.dot(wx * ux, _log_minus_digamma(math.exp(t) * ux)) + sums.s_a)

    root = _decreasing_root(score)
    if root is None:
        return None
    p = math.exp(root[0])
    ll = float(np.dot(wx, _stirling_part(p * ux))) + p * sums.s_a - sums.s_logm
    info_p = float(np.dot(wx * ux * ux, _trigamma_minus(p * ux)))  # of p, given the mean
    log_cov = _pair_cov(1.0 / (p * p * info_p), 1.0 / (p * sums.n_tx))
    values = [p, p / sums.mean]
    return _limit_result(
        NO_SPEND_HETEROGENEITY, values, log_cov, ll, sums.n, n_iter=root[1], freq=freq
    )


def _no_within_variation(sums: _Sums, freq: str | None) -> FitResult | None:
    """The maximum of the no-variation-within limit: 1/m̄ ~ Gamma(q, δ)."""
    n = sums.n
    target = -sums.s_b / n  # ln q - ψ(q) at the maximum

    def score(t: float) -> float:
        return float(_log_minus_digamma(np.array(math.exp(t))) - target)

    root = _decreasing_root(score)
    if root is None:
        return None
    q = math.exp(root[0])
    ll = n * float(_stirling_part(np.array(q))) + q * sums.s_b - sums.s_logm
    info_q = n * float(_trigamma_minus(np.array(q)))
    log_cov = _pair_cov(1.0 / (q * q * info_q), 1.0 / (q * n))
    values = [q, q / sums.inv_mean]
    return _limit_result(NO_WITHIN_VARIATION, values, log_cov, ll, n, n_iter=root[1], freq=freq)


def _from_inside(
    limit: FitResult, data: Prepared, sums: _Sums, freq: str | None
) -> FitResult | None:
    """The full model fitted from just inside `limit` (money rescaled to a mean of 1, the
    search kept to a box), or None if it fails."""
    scale = sums.mean
    if limit.boundary == NO_SPEND_HETEROGENEITY:
        p, nu = limit.values()
        start = [p, _INSIDE_BIG, _INSIDE_BIG / (nu * scale)]
    else:
        q, delta = limit.values()
        start = [_INSIDE_BIG, q, delta / (_INSIDE_BIG * scale)]
    scaled = Prepared({"x": data["x"], "m": data["m"] / scale}, data.weights)
    try:
        return maximize(
            GAMMA_GAMMA,
            scaled,
            initial=np.array(start),
            freq=freq,
            to_units=np.array([1.0, 1.0, scale]),
            ll_offset=-sums.n * math.log(scale),
            box=math.log(_FACE_RANGE),
        )
    except FitFailure:
        return None


def boundary_message(fitted: FitResult) -> str:
    """The warning given when a Gamma-Gamma fit returns a limit model."""
    label, v = fitted.boundary, fitted.params
    if label == NO_SPEND_HETEROGENEITY:
        meaning = (
            "q, gamma -> infinity with q/gamma = nu, so every customer has the same mean "
            f"spend per transaction, p/nu = {v['p'] / v['nu']:.6g} (their transactions vary "
            "around it as Gamma(p, nu)): every customer's expected spend is that mean, "
            "whatever they spent so far"
        )
    elif label == NO_WITHIN_VARIATION:
        meaning = (
            "p -> infinity with p*gamma = delta, so each customer spends the same amount "
            "on every purchase and the customers' mean spends are inverse-gamma(q, delta): "
            "a repeat customer's expected spend is their own mean spend, not shrunk toward "
            f"the population mean ({population_mean_spend(fitted):.6g}, for customers "
            "without repeat purchases)"
        )
    else:
        meaning = (
            f"every repeat customer's mean spend is the same, {v['spend']:.6g}, so that is "
            "every customer's expected spend; the likelihood is unbounded there (a point "
            "mass: log_likelihood is inf)"
        )
    return (
        "clv.fit: the 'gamma_gamma' likelihood is highest on the boundary of its parameter "
        f"space ({label}): {meaning}. The limit model is returned (FitResult.boundary == "
        f"{label!r}, parameters {', '.join(v)}); its predictions use the limit formulas."
    )


def _failure(exc: FitFailure) -> ConvergenceError:
    """The error of a failed fit, with a hint that reaches the Gamma-Gamma fit."""
    hint = (
        "pass an L2 penalty to this fit, e.g. clv.fit(..., model='gamma_gamma', "
        "penalty=0.001) (the penalty of kamseg segment applies to the purchase model only)"
    )
    return ConvergenceError(str(exc).replace(PENALTY_HINT, hint))


def fit_spend(
    data: Prepared, *, penalty: float, initial: np.ndarray | None, freq: str | None
) -> tuple[FitResult, str | None]:
    """Fit the Gamma-Gamma model (see the module docstring): the result, and the warning
    to give when it is a limit model (else None).

    Raises
    ------
    ConvergenceError
        When the optimisation fails with no maximum on the boundary either.
    """
    with np.errstate(all="ignore"):
        return _fit_spend(data, penalty=penalty, initial=initial, freq=freq)


def _fit_spend(
    data: Prepared, *, penalty: float, initial: np.ndarray | None, freq: str | None
) -> tuple[FitResult, str | None]:
    m = data["m"]
    if penalty == 0 and float(m.max() - m.min()) <= _EQUAL_SPEND * float(m.max()):
        sums = _limit_sums(data)
        zero = np.zeros((1, 1))
        limit = _limit_result(
            CONSTANT_SPEND, [sums.mean], zero, math.inf, sums.n, n_iter=0, freq=freq
        )
        return limit, boundary_message(limit)
    first: FitResult | FitFailure
    try:
        first = maximize(GAMMA_GAMMA, data, penalty=penalty, initial=initial, freq=freq)
    except FitFailure as exc:
        first = exc
    found: list[FitResult] = []
    if penalty == 0:  # (a penalty keeps p, q and gamma finite: no limit then)
        sums = _limit_sums(data)
        limits = (_no_heterogeneity(sums, freq), _no_within_variation(sums, freq))
        found = [r for r in limits if r is not None and math.isfinite(r.log_likelihood)]
    if not found:
        if isinstance(first, FitResult):
            return first, None
        raise _failure(first) from None
    best = max(found, key=lambda r: r.log_likelihood)
    if isinstance(first, FitResult) and first.log_likelihood > best.log_likelihood + _TOL:
        return first, None  # an ordinary maximum
    again = _from_inside(best, data, sums, freq)
    if again is not None and again.log_likelihood > best.log_likelihood + _TOL:
        return again, None
    return best, boundary_message(best)


def _spend(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    p, q, gamma = (float(v) for v in params)
    px = p * x
    out: np.ndarray = (p * gamma + px * m) / (px + q - 1.0)
    return out
