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
from scipy.special import betaln, digamma, gammaln, hyp2f1, polygamma

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
from kamseg.clv._collapse import CHUNK, in_halves, side_by_side

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


def _x_terms(
    a: float, b: float, ux: np.ndarray, shift: float, modified: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct x: ln(a / (b + x - 1 + shift)) (-inf where there is no dropped-out
    term: x = 0, unless modified) and 1 / (b + x - 1 + shift) (0 there)."""
    has_u4 = np.ones(ux.shape, dtype=bool) if modified else ux > 0
    denom_x = np.where(has_u4, b + ux - 1.0 + shift, 1.0)
    log_ratio_x = np.where(has_u4, np.log(a) - np.log(denom_x), -np.inf)
    inv_denom_x = np.where(has_u4, 1.0 / denom_x, 0.0)
    return log_ratio_x, inv_denom_x


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
    log_ratio_x, inv_denom_x = _x_terms(a, b, lk["ux"], shift, modified)
    x_all, w_all, ix_all = data["x"], data.weights, lk["ix"]
    # log(α+T), 1/(α+T) and the same of t_x: once per distinct value, then looked up; but
    # when nearly every row has its own value (continuous time) a lookup only adds a
    # gather, so they are computed row by row (the same numbers either way)
    by_T = _by_value(alpha, lk["uT"], lk["iT"], data["T"])
    by_t = _by_value(alpha, lk["ut"], lk["it"], data["t_x"])

    def rows(sl: slice) -> _Rows:
        # in place where the operation allows (the same numbers, fewer temporaries)
        w = w_all[sl]
        ix = ix_all[sl]
        rx = r + x_all[sl]
        log_aT, inv_aT = by_T(sl)
        log_at, inv_at = by_t(sl)
        u3 = np.negative(rx)
        u3 *= log_aT  # -(r+x) ln(α+T)
        u4 = log_ratio_x.take(ix)
        diff = np.multiply(rx, log_at)
        u4 -= diff
        np.subtract(u4, u3, out=diff)
        # w4 = e^(u4 - ln(e^u3 + e^u4)) from one exp: with e = e^-|u4 - u3|, w4 is
        # 1/(1+e) or e/(1+e) (u4 = -inf for x = 0 gives e = 0, w4 = 0)
        e = np.abs(diff)
        np.negative(e, out=e)
        np.exp(e, out=e)
        w4 = np.where(diff > 0, 1.0, e)
        np.add(e, 1.0, out=diff)
        w4 /= diff
        ww4 = w * w4
        return _Rows(w, ix, rx, log_aT, inv_aT, log_at, inv_at, u3, u4, e, w4, w - ww4, ww4)

    return rows, inv_denom_x


def _x_value_grad(
    r: float, alpha: float, a: float, b: float, ux: np.ndarray, wx: np.ndarray, shift: float
) -> tuple[np.ndarray, np.ndarray]:
    """The Γ/B terms g(x) of the log-likelihood per distinct x, and their gradient summed
    over the customers (`wx`: the customers with each x)."""
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
    return lg_x, g


def _vg_sums(t: _Rows, lg_x: np.ndarray, inv_denom_x: np.ndarray, a: float) -> np.ndarray:
    """A slice's weighted log-likelihood and the per-row parts of its gradient. Plain
    ufunc reductions, not np.dot: BLAS threads inside two Python threads oversubscribe the
    cores."""
    tail = np.maximum(t.u3, t.u4)  # ln(e^u3 + e^u4), one log1p
    spare = np.log1p(t.e)
    tail += spare
    ll = lg_x.take(t.ix)
    ll += tail
    ll *= t.w
    np.multiply(t.ww3, t.log_aT, out=tail)
    np.multiply(t.ww4, t.log_at, out=spare)
    g_r = -tail.sum() - spare.sum()
    np.multiply(t.ww3, t.inv_aT, out=tail)
    np.multiply(t.ww4, t.inv_at, out=spare)
    tail += spare
    tail *= t.rx
    g_b = inv_denom_x.take(t.ix)
    g_b *= t.ww4
    return np.array([ll.sum(), g_r, -tail.sum(), t.ww4.sum() / a, -g_b.sum()])


def _value_and_grad(
    params: np.ndarray, data: Prepared, modified: bool
) -> tuple[float, np.ndarray]:
    """Weighted total log-likelihood and its gradient in one chunked, threaded pass."""
    r, alpha, a, b = (float(v) for v in params)
    lk = _lookups(data)
    shift = 1.0 if modified else 0.0
    lg_x, g = _x_value_grad(r, alpha, a, b, lk["ux"], lk["wx"], shift)
    rows, inv_denom_x = _row_terms(r, alpha, a, b, data, lk, shift, modified)
    sums = chunked_sum(lambda sl: _vg_sums(rows(sl), lg_x, inv_denom_x, a), data["x"].size)
    return float(sums[0]), g + sums[1:]


def _trigamma(v: Any) -> np.ndarray:
    """Trigamma, ψ'(v)."""
    out: np.ndarray = polygamma(1, v)
    return out


def _x_hessian(
    r: float, alpha: float, a: float, b: float, ux: np.ndarray, wx: np.ndarray, shift: float
) -> np.ndarray:
    """The Hessian (upper triangle) of the Γ/B terms g(x), summed over the customers."""
    h = np.zeros((4, 4))
    h[0, 0] = np.dot(wx, _trigamma(r + ux) - _trigamma(r))
    h[0, 1] = float(wx.sum()) / alpha
    h[1, 1] = -float(wx.sum()) * r / alpha**2
    dab = _trigamma(a + b) - _trigamma(a + b + ux + shift)
    h[2, 2] = np.dot(wx, dab)
    h[2, 3] = np.dot(wx, dab)
    h[3, 3] = np.dot(wx, dab + _trigamma(b + ux + shift) - _trigamma(b))
    return h


def _hess_sums(t: _Rows, inv_denom_x: np.ndarray, a: float) -> np.ndarray:
    """A slice's per-row parts of the Hessian (upper triangle, row by row)."""
    # (∂u4 - ∂u3) and w·w3·w4
    d_r = t.log_aT - t.log_at
    d_alpha = t.inv_aT - t.inv_at
    d_alpha *= t.rx
    d_b = inv_denom_x.take(t.ix)
    np.negative(d_b, out=d_b)
    cross = t.ww3 * t.w4
    cr, ca, cb = cross * d_r, cross * d_alpha, cross * d_b
    w3_aT = t.ww3 * t.inv_aT
    w4_at = t.ww4 * t.inv_at
    spare = np.multiply(cr, d_r)
    rr = spare.sum()
    np.multiply(cr, d_alpha, out=spare)
    r_alpha = spare.sum() - w3_aT.sum() - w4_at.sum()
    np.multiply(cr, d_b, out=spare)
    rb = spare.sum()
    np.multiply(ca, d_alpha, out=spare)
    alpha_alpha = spare.sum()
    w3_aT *= t.inv_aT
    w4_at *= t.inv_at
    w3_aT += w4_at
    w3_aT *= t.rx
    alpha_alpha += w3_aT.sum()
    np.multiply(ca, d_b, out=spare)
    alpha_b = spare.sum()
    np.multiply(cb, d_b, out=spare)
    bb = spare.sum()
    np.multiply(t.ww4, d_b, out=spare)
    spare *= d_b
    bb += spare.sum()
    return np.array(
        [
            rr,
            r_alpha,
            cr.sum() / a,  # ra
            rb,
            alpha_alpha,
            ca.sum() / a,  # αa
            alpha_b,
            (cross.sum() - t.ww4.sum()) / a**2,  # aa
            cb.sum() / a,  # ab
            bb,
        ]
    )


def _symmetric(h: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """The full Hessian from the per-x part `h` and the per-row upper triangle `sums`."""
    per_row = np.zeros((4, 4))
    per_row[np.triu_indices(4)] = sums
    h = h + per_row
    full: np.ndarray = np.triu(h) + np.triu(h, 1).T
    return full


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
    shift = 1.0 if modified else 0.0
    h = _x_hessian(r, alpha, a, b, lk["ux"], lk["wx"], shift)
    rows, inv_denom_x = _row_terms(r, alpha, a, b, data, lk, shift, modified)
    sums = chunked_sum(lambda sl: _hess_sums(rows(sl), inv_denom_x, a), data["x"].size)
    return _symmetric(h, sums)


def _value_grad_hessian(
    params: np.ndarray, data: Prepared, modified: bool
) -> tuple[float, np.ndarray, np.ndarray]:
    """:func:`_value_and_grad` and :func:`_hessian` in one pass over the rows (the same
    numbers: each sum is taken over the same terms in the same order)."""
    r, alpha, a, b = (float(v) for v in params)
    lk = _lookups(data)
    shift = 1.0 if modified else 0.0
    lg_x, g = _x_value_grad(r, alpha, a, b, lk["ux"], lk["wx"], shift)
    h = _x_hessian(r, alpha, a, b, lk["ux"], lk["wx"], shift)
    rows, inv_denom_x = _row_terms(r, alpha, a, b, data, lk, shift, modified)

    def part(sl: slice) -> np.ndarray:
        t = rows(sl)
        return np.concatenate([_hess_sums(t, inv_denom_x, a), _vg_sums(t, lg_x, inv_denom_x, a)])

    sums = chunked_sum(part, data["x"].size)
    return float(sums[10]), g + sums[11:], _symmetric(h, sums[:10])


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
    value_grad_hessian=lambda params, data: _value_grad_hessian(params, data, False),
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
    value_grad_hessian=lambda params, data: _value_grad_hessian(params, data, True),
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
    out = np.empty(np.broadcast_shapes(x.shape, t_x.shape, T.shape))
    if not (x.ndim == 1 and x.shape == t_x.shape == T.shape):
        _p_alive_rows(r, alpha, a, b, x, t_x, T, modified, None, out)
        return out if out.ndim else out[()]  # a scalar for scalars, as from a ufunc
    fill_p_alive(params, x, t_x, T, out, modified=modified)
    return out


def fill_p_alive(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    out: np.ndarray,
    *,
    modified: bool = False,
) -> None:
    """:func:`p_alive` of equal-length float64 rows (an interior fit's `params`) into `out`.

    ln(a / (b+x-1+shift)) once per distinct x when the counts are small whole numbers (a
    table of the same operations on the same numbers); the rows in cache-sized slices
    (few fresh temporaries on a million rows)."""
    r, alpha, a, b = (float(v) for v in params)
    high = float(x.max()) if x.size else 0.0
    table = None
    if 4 * high < x.size and float(x.min()) >= 0:  # (NaN fails both)
        table = _log_ratio(a, b, np.arange(int(high) + 1, dtype=np.float64), modified)
    for start in range(0, x.size, 2 * CHUNK):
        sl = slice(start, start + 2 * CHUNK)
        _p_alive_rows(r, alpha, a, b, x[sl], t_x[sl], T[sl], modified, table, out[sl])


def _p_alive_rows(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    modified: bool,
    table: np.ndarray | None,
    out: np.ndarray,
) -> None:
    """P(alive) of the rows into `out` (`table`: ln(a / (b+x-1+shift)) of x = 0, 1, ...)."""
    log_ratio = None
    if table is not None:
        codes = x.astype(np.intp)
        if np.array_equal(codes, x):
            log_ratio = table.take(codes)
    if log_ratio is None:
        log_ratio = _log_ratio(a, b, x, modified)
    # ln((α+T)/(α+t_x)) as log1p((T-t_x)/(α+t_x)): one transcendental call, not two
    np.subtract(T, t_x, out=out)
    out /= alpha + t_x
    np.log1p(out, out=out)
    out *= r + x
    out += log_ratio  # -inf + finite = -inf where there is no dropped-out term
    # 1 / (1 + e^log_odds): e^log_odds overflows to inf (P(alive) = 0) without a warning
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    np.divide(1.0, out, out=out)


def _log_ratio(a: float, b: float, x: np.ndarray, modified: bool) -> np.ndarray:
    """``ln(a / (b + x - 1 + shift))`` per element of `x`, -inf where there is no
    dropped-out term (x = 0 in BG/NBD)."""
    shift = 1.0 if modified else 0.0
    has = np.ones(x.shape, dtype=bool) if modified else x > 0
    denom = np.where(has, b + x - 1.0 + shift, 1.0)
    with np.errstate(divide="ignore"):
        out: np.ndarray = np.where(has, np.log(a / denom), -np.inf)
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
    t_x = np.asarray(t_x, dtype=np.float64)
    # P(alive) row by row on the second thread while this one finds the (x, T) pairs
    # (elementwise: the same numbers however the rows are split)
    alive, (pairs, inverse) = side_by_side(
        lambda: p_alive(params, x, t_x, T, modified=modified),
        lambda: unique_rows({"x": x, "T": T}),
    )
    # the hypergeometric functions dominate: the pairs in two halves on two threads, each
    # into its own rows of `cum` (pair by horizon: each half's block is contiguous)
    px, pT = pairs["x"].reshape(-1, 1), pairs["T"].reshape(-1, 1)
    cum = np.empty((px.size, steps.size))

    def alive_part(sl: slice) -> None:
        _limits.bgnbd_alive_part(
            params, steps.reshape(1, -1), px[sl], pT[sl], modified, out=cum[sl]
        )

    if px.size < 8192:
        alive_part(slice(0, px.size))
    else:
        # scipy's 2F1 costs more at small x: halved by count, 1M daily customers' pairs
        # took 28 and 22 ms; the split balances an estimate of the cost of each pair
        # instead (26 and 25 ms). The pairs' values do not depend on the split.
        cost = np.cumsum(50.0 + 20.0 / (1.0 + pairs["x"] / 10.0))
        cut = int(np.searchsorted(cost, cost[-1] / 2))
        side_by_side(lambda: alive_part(slice(0, cut)), lambda: alive_part(slice(cut, None)))
    total = cum[:, -1].copy()
    # the purchases expected in each month, in place: month m minus month m - 1, from
    # the last month down (each difference reads the cumulative value before it)
    for m in range(steps.size - 1, 0, -1):
        cum[:, m] -= cum[:, m - 1]
    per_pair = discounted_sum(discount, cum.T)
    discounted = np.empty(x.size)
    # the last use of `inverse`: its memory takes the expected purchases (each index is
    # read before its slot is written; "clip" takes no buffer, and the indices are all in
    # range), one fresh array fewer on a million customers
    expected = inverse.view(np.float64)

    def spread(sl: slice) -> None:  # the rows in two halves on two threads
        np.multiply(per_pair.take(inverse[sl]), alive[sl], out=discounted[sl])
        total.take(inverse[sl], out=expected[sl], mode="clip")
        expected[sl] *= alive[sl]

    in_halves(spread, x.size)
    return alive, expected, discounted


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
