"""BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel & Filiztekin 2007).

While alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α). In the BG/NBD
model the customer may drop out right *after each repeat purchase* with probability
p ~ Beta(a, b); in the MBG/NBD model also right after the first purchase (at time 0), so
that customers who never came back can be inactive.

Per customer, with x repeat purchases, the last at t_x, observed for T periods:

BG/NBD::

    L = Γ(r+x) α^r / Γ(r) · B(a, b+x) / B(a, b)
        · [ (α+T)^-(r+x) + 1{x>0} · a / (b+x-1) · (α+t_x)^-(r+x) ]

MBG/NBD::

    L = Γ(r+x) α^r / Γ(r) · B(a, b+x+1) / B(a, b)
        · [ (α+T)^-(r+x) + a / (b+x) · (α+t_x)^-(r+x) ]

Terms that depend on x only are computed once per distinct x, terms in α+T and α+t_x once
per distinct T and t_x; the gradient is analytic. Predictions follow the papers:

- P(alive) = 1 / (1 + 1{x>0} · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x))  (BG/NBD; MBG/NBD with
  a/(b+x) and no indicator),
- E[Y(t) | x, t_x, T] = P(alive) · (a+b+x-1)/(a-1)
  · [1 - ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))]  (BG/NBD; MBG/NBD with
  b+x+1 and a+b+x),
- E[X(t)] = (a+b-1)/(a-1) · [1 - (α/(α+t))^r · 2F1(r, b; a+b-1; t/(α+t))]  (BG/NBD; MBG/NBD
  adds the dropout at time 0: b/(a-1) · [1 - (α/(α+t))^r 2F1(r, b+1; a+b; t/(α+t))]).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1, polygamma

from kamseg.clv import _limits
from kamseg.clv._base import (
    ModelSpec,
    Prepared,
    as_params,
    chunked_sum,
    discounted_sum,
    factorize,
    unique_rows,
)
from kamseg.clv._collapse import in_halves

__all__ = [
    "BGNBD",
    "MBGNBD",
    "conditional_expected_purchases",
    "expected_purchases",
    "p_alive",
    "purchase_summary",
]


def _lookups(data: Prepared) -> dict[str, np.ndarray]:
    """Distinct x, t_x, T values and the row -> distinct index maps (cached on `data`)."""
    cache = data.extra
    if "ux" not in cache:
        # the collapse already factorised each column (same sorted values, same indices)
        levels = cache.get("levels", {})
        for name, key in (("x", "x"), ("t_x", "t"), ("T", "T")):
            values, inverse = levels[name] if name in levels else factorize(data[name])
            cache[f"u{key}"] = values
            cache[f"i{key}"] = inverse
        cache["wx"] = np.bincount(cache["ix"], weights=data.weights, minlength=cache["ux"].size)
    return cache


def _parts(params: np.ndarray, data: Prepared, modified: bool) -> dict[str, np.ndarray]:
    """Per-row pieces shared by the log-likelihood and its gradient (last call cached)."""
    key = (modified, params.tobytes())
    cached = data.extra.get("parts")
    if cached is not None and cached[0] == key:
        return cached[1]  # type: ignore[no-any-return]
    parts = _compute_parts(params, data, modified)
    data.extra["parts"] = (key, parts)
    return parts


def _compute_parts(params: np.ndarray, data: Prepared, modified: bool) -> dict[str, np.ndarray]:
    r, alpha, a, b = (float(v) for v in params)
    lk = _lookups(data)
    ux, ix = lk["ux"], lk["ix"]
    shift = 1.0 if modified else 0.0
    # per distinct x
    lg_x = (
        gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + betaln(a, b + ux + shift) - betaln(a, b)
    )
    has_u4 = np.ones_like(ux, dtype=bool) if modified else ux > 0
    denom_x = b + ux - 1.0 + shift
    log_ratio_x = np.where(has_u4, np.log(a) - np.log(np.where(has_u4, denom_x, 1.0)), -np.inf)
    # per row
    x = data["x"]
    rx = r + x
    log_aT = np.log(alpha + lk["uT"])[lk["iT"]]
    log_at = np.log(alpha + lk["ut"])[lk["it"]]
    u3 = -rx * log_aT
    u4 = log_ratio_x[ix] - rx * log_at
    tail = np.logaddexp(u3, u4)
    return {
        "ll": lg_x[ix] + tail,
        "w4": np.exp(u4 - tail),
        "log_aT": log_aT,
        "log_at": log_at,
        "rx": rx,
        "denom": denom_x[ix],
    }


def _loglik(params: np.ndarray, data: Prepared, modified: bool) -> np.ndarray:
    return _parts(params, data, modified)["ll"]


def _gradient(params: np.ndarray, data: Prepared, modified: bool) -> np.ndarray:
    r, alpha, a, b = (float(v) for v in params)
    p = _parts(params, data, modified)
    lk = _lookups(data)
    ux, wx = lk["ux"], lk["wx"]
    w = data.weights
    shift = 1.0 if modified else 0.0
    w4 = p["w4"]
    w3 = 1.0 - w4
    alpha_T = alpha + data["T"]
    alpha_t = alpha + data["t_x"]
    # per-distinct-x parts, weighted by the number of customers with that x
    g_r = np.dot(wx, digamma(r + ux) - digamma(r) + np.log(alpha))
    g_alpha = np.dot(wx, np.full_like(ux, r / alpha))
    dab = digamma(a + b) - digamma(a + b + ux + shift)
    g_a = np.dot(wx, dab)
    g_b = np.dot(wx, dab + digamma(b + ux + shift) - digamma(b))
    # per-row parts
    g_r += np.dot(w, -(w3 * p["log_aT"] + w4 * p["log_at"]))
    g_alpha += np.dot(w, -p["rx"] * (w3 / alpha_T + w4 / alpha_t))
    g_a += np.dot(w, w4) / a
    safe = np.where(w4 > 0, p["denom"], 1.0)
    g_b += np.dot(w, -w4 / safe)
    return np.array([g_r, g_alpha, g_a, g_b])


@dataclasses.dataclass(frozen=True)
class _Rows:
    """The per-row terms of a slice of rows, shared by the gradient and the Hessian.

    Per row ``ll = g(x) + ln(e^u3 + e^u4)``, ``u3 = -(r+x) ln(α+T)`` and
    ``u4 = ln a - ln(b+x-1+shift) - (r+x) ln(α+t_x)`` (-inf where there is no dropped-out
    term: x = 0, unless modified); ``w4 = e^(u4 - ln(e^u3 + e^u4))``, ``w3 = 1 - w4``.
    """

    w: np.ndarray  # row weights
    ix: np.ndarray  # index of each row's distinct x
    rx: np.ndarray  # r + x
    log_aT: np.ndarray
    inv_aT: np.ndarray
    log_at: np.ndarray
    inv_at: np.ndarray
    u3: np.ndarray
    u4: np.ndarray
    e: np.ndarray  # e^-|u4 - u3|
    w4: np.ndarray
    ww3: np.ndarray  # w * w3
    ww4: np.ndarray  # w * w4


def _row_terms(
    r: float,
    alpha: float,
    a: float,
    b: float,
    data: Prepared,
    lk: dict[str, Any],
    shift: float,
    modified: bool,
) -> tuple[Callable[[slice], _Rows], np.ndarray]:
    """``rows slice -> _Rows``, and 1 / (b + x - 1 + shift) per distinct x (0 where there is
    no dropped-out term)."""
    ux = lk["ux"]
    has_u4 = np.ones(ux.shape, dtype=bool) if modified else ux > 0
    denom_x = np.where(has_u4, b + ux - 1.0 + shift, 1.0)
    log_ratio_x = np.where(has_u4, np.log(a) - np.log(denom_x), -np.inf)
    inv_denom_x = np.where(has_u4, 1.0 / denom_x, 0.0)
    x_all, w_all, ix_all = data["x"], data.weights, lk["ix"]
    # log(α+T), 1/(α+T) and the same of t_x: once per distinct value, then looked up; but
    # when nearly every row has its own value (continuous time) a lookup only adds a
    # gather, so they are computed row by row (the same numbers either way)
    by_T = _by_value(alpha, lk["uT"], lk["iT"], data["T"])
    by_t = _by_value(alpha, lk["ut"], lk["it"], data["t_x"])

    def rows(sl: slice) -> _Rows:
        w = w_all[sl]
        ix = ix_all[sl]
        rx = r + x_all[sl]
        log_aT, inv_aT = by_T(sl)
        log_at, inv_at = by_t(sl)
        u3 = -rx * log_aT
        u4 = log_ratio_x[ix] - rx * log_at
        # w4 = e^(u4 - ln(e^u3 + e^u4)) from one exp: with e = e^-|u4 - u3|, w4 is
        # 1/(1+e) or e/(1+e) (u4 = -inf for x = 0 gives e = 0, w4 = 0)
        diff = u4 - u3
        e = np.exp(-np.abs(diff))
        w4 = np.where(diff > 0, 1.0, e) / (1.0 + e)
        ww4 = w * w4
        return _Rows(w, ix, rx, log_aT, inv_aT, log_at, inv_at, u3, u4, e, w4, w - ww4, ww4)

    return rows, inv_denom_x


def _value_and_grad(
    params: np.ndarray, data: Prepared, modified: bool
) -> tuple[float, np.ndarray]:
    """Weighted total log-likelihood and its gradient in one chunked, threaded pass."""
    r, alpha, a, b = (float(v) for v in params)
    lk = _lookups(data)
    ux, wx = lk["ux"], lk["wx"]
    shift = 1.0 if modified else 0.0
    # per distinct x: the Γ/B terms, their derivatives, and log(a / (b + x - 1 + shift))
    lg_x = gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + betaln(a, b + ux + shift)
    lg_x -= betaln(a, b)
    dab = digamma(a + b) - digamma(a + b + ux + shift)
    g = np.array(
        [
            np.dot(wx, digamma(r + ux) - digamma(r) + np.log(alpha)),
            float(wx.sum()) * r / alpha,
            np.dot(wx, dab),
            np.dot(wx, dab + digamma(b + ux + shift) - digamma(b)),
        ]
    )
    rows, inv_denom_x = _row_terms(r, alpha, a, b, data, lk, shift, modified)

    def part(sl: slice) -> np.ndarray:
        # plain ufunc reductions, not np.dot: BLAS threads inside two Python threads
        # oversubscribe the cores
        t = rows(sl)
        w, ix, rx, ww3, ww4 = t.w, t.ix, t.rx, t.ww3, t.ww4
        log_aT, inv_aT, log_at, inv_at = t.log_aT, t.inv_aT, t.log_at, t.inv_at
        tail = np.maximum(t.u3, t.u4) + np.log1p(t.e)  # ln(e^u3 + e^u4), one log1p
        return np.array(
            [
                (w * (lg_x[ix] + tail)).sum(),
                -(ww3 * log_aT).sum() - (ww4 * log_at).sum(),
                -(rx * (ww3 * inv_aT + ww4 * inv_at)).sum(),
                ww4.sum() / a,
                -(ww4 * inv_denom_x[ix]).sum(),
            ]
        )

    sums = chunked_sum(part, data["x"].size)
    return float(sums[0]), g + sums[1:]


def _trigamma(v: Any) -> np.ndarray:
    """Trigamma, ψ'(v)."""
    out: np.ndarray = polygamma(1, v)
    return out


def _hessian(params: np.ndarray, data: Prepared, modified: bool) -> np.ndarray:
    """Hessian of the weighted total log-likelihood in (r, α, a, b), analytic, in one
    chunked, threaded pass over the rows.

    Per row ``ll = g(x) + ln(e^u3 + e^u4)`` with ``u3 = -(r+x) ln(α+T)`` and
    ``u4 = ln a - ln(b+x-1+shift) - (r+x) ln(α+t_x)``; with ``w4 = e^(u4 - ll + g)`` and
    ``w3 = 1 - w4`` the second derivative of the log-sum is
    ``w3 ∂²u3 + w4 ∂²u4 + w3 w4 (∂u4 - ∂u3)(∂u4 - ∂u3)ᵀ``, and ``g`` (the Γ and B terms,
    once per distinct x) gives trigamma terms.
    """
    r, alpha, a, b = (float(v) for v in params)
    lk = _lookups(data)
    ux, wx = lk["ux"], lk["wx"]
    shift = 1.0 if modified else 0.0
    h = np.zeros((4, 4))
    # the per-distinct-x part g(x)
    h[0, 0] = np.dot(wx, _trigamma(r + ux) - _trigamma(r))
    h[0, 1] = float(wx.sum()) / alpha
    h[1, 1] = -float(wx.sum()) * r / alpha**2
    dab = _trigamma(a + b) - _trigamma(a + b + ux + shift)
    h[2, 2] = np.dot(wx, dab)
    h[2, 3] = np.dot(wx, dab)
    h[3, 3] = np.dot(wx, dab + _trigamma(b + ux + shift) - _trigamma(b))
    rows, inv_denom_x = _row_terms(r, alpha, a, b, data, lk, shift, modified)

    def part(sl: slice) -> np.ndarray:
        t = rows(sl)
        ix, rx, w4, ww3, ww4 = t.ix, t.rx, t.w4, t.ww3, t.ww4
        log_aT, inv_aT, log_at, inv_at = t.log_aT, t.inv_aT, t.log_at, t.inv_at
        # (∂u4 - ∂u3) and w·w3·w4
        d_r = log_aT - log_at
        d_alpha = rx * (inv_aT - inv_at)
        d_b = -inv_denom_x[ix]
        cross = ww3 * w4
        cr, ca, cb = cross * d_r, cross * d_alpha, cross * d_b
        return np.array(
            [
                (cr * d_r).sum(),  # rr
                (cr * d_alpha).sum() - (ww3 * inv_aT).sum() - (ww4 * inv_at).sum(),  # rα
                cr.sum() / a,  # ra
                (cr * d_b).sum(),  # rb
                (ca * d_alpha).sum()
                + (rx * (ww3 * inv_aT * inv_aT + ww4 * inv_at * inv_at)).sum(),  # αα
                ca.sum() / a,  # αa
                (ca * d_b).sum(),  # αb
                (cross.sum() - ww4.sum()) / a**2,  # aa
                cb.sum() / a,  # ab
                (cb * d_b).sum() + (ww4 * d_b * d_b).sum(),  # bb
            ]
        )

    sums = chunked_sum(part, data["x"].size)
    per_row = np.zeros((4, 4))
    per_row[np.triu_indices(4)] = sums
    h = h + per_row
    return np.triu(h) + np.triu(h, 1).T


def _by_value(
    alpha: float, values: np.ndarray, index: np.ndarray, rows: np.ndarray
) -> Callable[[slice], tuple[np.ndarray, np.ndarray]]:
    """``rows slice -> (log(α + v), 1 / (α + v))`` of the rows' values `v`: looked up from
    the distinct `values` when they are few, computed per row when nearly all distinct."""
    if 2 * values.size > rows.size:

        def direct(sl: slice) -> tuple[np.ndarray, np.ndarray]:
            shifted = alpha + rows[sl]
            return np.log(shifted), 1.0 / shifted

        return direct
    log_u, inv_u = np.log(alpha + values), 1.0 / (alpha + values)

    def lookup(sl: slice) -> tuple[np.ndarray, np.ndarray]:
        i = index[sl]
        return log_u[i], inv_u[i]

    return lookup


def _initial(data: Prepared) -> np.ndarray:
    mean_T = float(np.average(data["T"], weights=data.weights)) or 1.0
    return np.array([1.0, mean_T / 4.0 + 1e-3, 1.0, 1.0])


BGNBD = ModelSpec(
    name="bgnbd",
    param_names=("r", "alpha", "a", "b"),
    kind="transactions",
    loglik=lambda params, data: _loglik(params, data, False),
    gradient=lambda params, data: _gradient(params, data, False),
    value_and_grad=lambda params, data: _value_and_grad(params, data, False),
    hessian=lambda params, data: _hessian(params, data, False),
    initial=_initial,
)

MBGNBD = ModelSpec(
    name="mbgnbd",
    param_names=("r", "alpha", "a", "b"),
    kind="transactions",
    loglik=lambda params, data: _loglik(params, data, True),
    gradient=lambda params, data: _gradient(params, data, True),
    value_and_grad=lambda params, data: _value_and_grad(params, data, True),
    hessian=lambda params, data: _hessian(params, data, True),
    initial=_initial,
)


def p_alive(
    params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, *, modified: bool = False
) -> np.ndarray:
    """Probability that a customer with history (x, t_x, T) is still alive at T.

    `params` may be a fit at the boundary (``FitResult.boundary``): its limit formulas are
    used (`modified` is then taken from the fit).
    """
    face = _limits.boundary_face(params)
    if face is not None:
        return _limits.p_alive(face, params.values(), x, t_x, T)
    params = as_params(params)
    r, alpha, a, b = (float(v) for v in params)
    x = np.asarray(x, dtype=np.float64)
    t_x = np.asarray(t_x, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    shift = 1.0 if modified else 0.0
    has = np.ones(x.shape, dtype=bool) if modified else x > 0
    denom = np.where(has, b + x - 1.0 + shift, 1.0)
    # ln((α+T)/(α+t_x)) as log1p((T-t_x)/(α+t_x)): one transcendental call, not two
    log_odds = np.log(a / denom) + (r + x) * np.log1p((T - t_x) / (alpha + t_x))
    log_odds = np.where(has, log_odds, -np.inf)
    # 1 / (1 + e^log_odds) = expit(-log_odds), without overflow
    out: np.ndarray = expit(-log_odds)
    return out


def conditional_expected_purchases(
    params: Any,
    t: float | np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    *,
    modified: bool = False,
) -> np.ndarray:
    """Expected purchases in the next `t` periods given the history (x, t_x, T).

    With an array `t` of k horizons the result has shape (k, n_customers). The
    hypergeometric part depends on (x, T) only, so it is computed once per distinct pair.
    A boundary fit (``FitResult.boundary``) uses its limit formulas.
    """
    face = _limits.boundary_face(params)
    if face is not None:
        return _limits.conditional_expected_purchases(face, params.values(), t, x, t_x, T)
    params = as_params(params)
    x = np.asarray(x, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    pairs, inverse = unique_rows({"x": x, "T": T})
    ts = np.asarray(t, dtype=np.float64)
    tt = ts.reshape(-1, 1) if ts.ndim else ts
    part = _limits.bgnbd_alive_part(params, tt, pairs["x"], pairs["T"], modified)
    alive = p_alive(params, x, t_x, T, modified=modified)
    out: np.ndarray = part[..., inverse] * alive
    return out


def purchase_summary(
    params: Any,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    steps: np.ndarray,
    discount: np.ndarray,
    *,
    modified: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(alive), expected purchases up to ``steps[-1]`` and their discounted sum.

    ``steps`` are the cumulative horizons t_1 < ... < t_k (in periods) and ``discount`` the
    factor applied to the purchases expected in (t_{m-1}, t_m]. Because
    E[Y(t) | x, t_x, T] = P(alive) · g(t; x, T), the hypergeometric part g is computed once
    per distinct (x, T) pair and horizon, then spread to the customers. A boundary fit
    (``FitResult.boundary``) uses its limit formulas.
    """
    face = _limits.boundary_face(params)
    if face is not None:
        return _limits.purchase_summary(face, params.values(), x, t_x, T, steps, discount)
    params = as_params(params)
    x = np.asarray(x, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    pairs, inverse = unique_rows({"x": x, "T": T})
    # the hypergeometric functions dominate: the pairs in two halves on two threads
    cum = np.concatenate(
        in_halves(
            lambda sl: _limits.bgnbd_alive_part(
                params, steps.reshape(-1, 1), pairs["x"][sl], pairs["T"][sl], modified
            ),
            pairs["x"].size,
            min_rows=8192,
        ),
        axis=1,
    )
    monthly = np.diff(cum, axis=0, prepend=0.0)
    # P(alive) row by row, also in two halves on two threads (elementwise: the same bits)
    t_x = np.asarray(t_x, dtype=np.float64)
    alive = np.concatenate(
        in_halves(lambda sl: p_alive(params, x[sl], t_x[sl], T[sl], modified=modified), x.size)
    )
    return alive, alive * cum[-1][inverse], alive * discounted_sum(discount, monthly)[inverse]


def expected_purchases(
    params: Any, t: float | np.ndarray, *, modified: bool = False
) -> np.ndarray:
    """Expected purchases of a new customer in their first `t` periods, E[X(t)].

    A boundary fit (``FitResult.boundary``) uses its limit formulas.
    """
    face = _limits.boundary_face(params)
    if face is not None:
        return _limits.expected_purchases(face, params.values(), t)
    params = as_params(params)
    r, alpha, a, b = (float(v) for v in params)
    t = np.asarray(t, dtype=np.float64)
    shift = 1.0 if modified else 0.0
    h = hyp2f1(r, b + shift, a + b - 1.0 + shift, t / (alpha + t))
    coef = b / (a - 1.0) if modified else (a + b - 1.0) / (a - 1.0)
    out: np.ndarray = coef * (1.0 - (alpha / (alpha + t)) ** r * h)
    return out
