"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005; Fader & Hardie 2013).

A customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers, so
the mean spend of a customer is p/ν. For a customer with x repeat transactions of mean value
m̄ (the `monetary_value` column), the density of m̄ is::

    f(m̄ | p, q, γ, x) = Γ(px + q) / (Γ(px) Γ(q)) · γ^q · m̄^(px-1) · x^(px) / (γ + m̄ x)^(px+q)

and the conditional expected spend per transaction shrinks m̄ toward the population mean
pγ/(q-1)::

    E[M | p, q, γ, x, m̄] = (q - 1)/(px + q - 1) · pγ/(q - 1) + px/(px + q - 1) · m̄

The model assumes spend is independent of the purchase process, and is fitted to customers
with at least one repeat purchase and a positive mean spend.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import digamma, gammaln

from kamseg.clv._base import ModelSpec, Prepared, as_params, chunked_sum, factorize
from kamseg.clv._collapse import CHUNK, in_halves

__all__ = ["GAMMA_GAMMA", "conditional_expected_spend", "population_mean_spend", "repeat_spend"]


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


def population_mean_spend(params: Any) -> float:
    """Mean spend per transaction across customers, pγ/(q-1) (infinite when q <= 1)."""
    params = as_params(params)
    p, q, gamma = (float(v) for v in params)
    return p * gamma / (q - 1.0) if q > 1 else float("inf")


def conditional_expected_spend(params: Any, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Expected spend per transaction given x repeat purchases of mean value m.

    Customers with x = 0 get the population mean pγ/(q-1).
    """
    params = as_params(params)
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    if not (x.ndim == 1 and x.shape == m.shape):
        return _spend(params, x, m)
    out = np.empty(x.shape)
    for start in range(0, x.size, 2 * CHUNK):  # cache-sized slices: few fresh temporaries
        sl = slice(start, start + 2 * CHUNK)
        out[sl] = _spend(params, x[sl], m[sl])
    return out


def repeat_spend(params: Any, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """:func:`conditional_expected_spend` with the mean spend `m` read as 0 where x = 0
    (customers without repeat purchases, whose mean spend is unknown or NaN, get the
    population mean)."""
    params = as_params(params)
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
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


def _spend(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    p, q, gamma = (float(v) for v in params)
    px = p * x
    out: np.ndarray = (p * gamma + px * m) / (px + q - 1.0)
    return out
