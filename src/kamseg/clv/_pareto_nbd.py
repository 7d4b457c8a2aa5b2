r"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987), evaluated robustly in log space.

While alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); the lifetime
is exponential with rate μ ~ Gamma(s, β), independent of λ, so a customer can drop out at
any time. Per customer, with x repeat purchases, the last at t_x, observed for T periods
(Fader, Hardie & Lee 2005, "A note on deriving the Pareto/NBD model and related
expressions", eq. 18-20)::

    L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^-(r+x) (β+T)^-s + s · I ]

    I = ∫_{t_x}^{T} (α+τ)^-(r+x) (β+τ)^-(s+1) dτ

The note writes ``s · I`` as ``s/(r+s+x) · A0`` with ``A0`` a difference of two Gauss
hypergeometric functions ``2F1(r+s+x, ·; r+s+x+1; ·)``. That closed form (used by lifetimes)
overflows or loses all precision for large frequencies and long histories (x and T in the
thousands), and its two terms cancel when t_x is close to T.

Numerical approach
------------------
``I`` is evaluated directly as an integral, which has no cancellation, in the variable
``w = ln(τ + c)`` with ``c = min(α, β)`` and ``d = |α - β|``. One of the two factors becomes
``e^{-p w}`` and the other ``(e^w + d)^{-q}``, so the log-integrand (Jacobian ``e^w``
included) is::

    φ(w) = (1 - p) w - q ln(e^w + d),   (p, q) = (r+x, s+1) if α <= β else (s+1, r+x)

* ``φ''(w) = -q σ(1-σ) <= 0`` with ``σ = e^w / (e^w + d)``: φ is concave, so the integrand
  is unimodal; its maximum on ``[ln(t_x+c), ln(T+c)]`` is at an end or at the closed-form
  stationary point ``w* = ln d + logit((1-p)/q)``.
* The range is truncated where φ has fallen ``K = 40`` below its maximum; by concavity the
  part cut off is below ``e^-40`` of the integral. The cut points come from Newton steps
  taken from the ends of the range (on a concave function they never cross the root, so
  they never cut too much) safeguarded by bisection.
* ``ln(e^w + d)`` is analytic in the strip ``|Im w| < π``; on the truncated range the
  integrand is integrated by composite Gauss-Legendre quadrature, 12 nodes per panel,
  with as many panels as the row needs (each at most 2 wide in w and with φ varying by at
  most 8 across it: one panel for ordinary data, more for long or steep rows), relative to
  its maximum, so nothing overflows. At the nodes ``e^w = τ + c`` is the smaller factor
  itself. Against 120-digit mpmath values of the closed form, ``ln I`` is within 1e-14
  relative for r, s in [1e-3, 1e3], α, β in [1e-5, 1e5], x and T up to 10^4. Rows with
  ``t_x = T`` have ``I = 0`` exactly.

The same nodes give the derivatives of ``ln I`` (``∂/∂r = -E[ln(α+τ)]``,
``∂/∂α = -(r+x) E[1/(α+τ)]``, ...; expectations under the normalised integrand), so the
gradient is analytic up to the quadrature error (about 1e-14 relative).

Predictions (same note: section 5 for P(alive), eq. 27 for E[X(t)], eq. 41 for the
conditional expectation), with the likelihood ``L`` above:

* ``P(alive at T) = (α+T)^-(r+x) (β+T)^-s / [(α+T)^-(r+x) (β+T)^-s + s I]``;
* ``P(alive at T+t) = P(alive at T) · ((β+T) / (β+T+t))^s``;
* ``E[Y(t) | x, t_x, T] = P(alive) · (r+x)(β+T) / ((α+T)(s-1))
  · [1 - ((β+T)/(β+T+t))^(s-1)]``;
* ``E[X(t)] = r β / (α (s-1)) · [1 - (β/(β+t))^(s-1)]``;

with ``[1 - (1+u)^-(s-1)] / (s-1)`` computed as ``-expm1(-(s-1) log1p(u)) / (s-1)`` (its
limit ``log1p(u)`` at s = 1).

References
----------
Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers: who are
they and what will they do next? Management Science 33(1), 1-24.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). A note on deriving the Pareto/NBD model
and related expressions. http://brucehardie.com/notes/009/

Examples
--------
>>> import numpy as np
>>> params = np.array([0.5532, 10.578, 0.6062, 11.669])
>>> p_alive(params, x=[0.0, 2.0], t_x=[0.0, 30.43], T=[38.86, 38.86]).round(3)
array([0.295, 0.869])
>>> round(float(conditional_expected_purchases(params, 39.0, x=2.0, t_x=30.43, T=38.86)), 3)
1.455
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import (  # type: ignore[import-untyped, unused-ignore]
    digamma,
    gammaln,
    polygamma,
)

from kamseg.clv import _limits
from kamseg.clv._base import ModelSpec, Prepared, as_params
from kamseg.clv._pareto_integral import _log_integral
from kamseg.errors import ConfigError

__all__ = [
    "SPEC",
    "conditional_expected_purchases",
    "conditional_probability_alive_at",
    "expected_purchases",
    "log_likelihood",
    "p_alive",
]


def _unpack(params: ArrayLike) -> tuple[float, float, float, float]:
    values = as_params(params).reshape(-1)
    if values.size != 4:
        raise ConfigError(
            f"pareto_nbd: expected 4 parameters (r, alpha, s, beta); got {values.size}."
        )
    r, alpha, s, beta = (float(v) for v in values)
    return r, alpha, s, beta


def _checked(params: ArrayLike) -> tuple[float, float, float, float]:
    """Parameters of a prediction: 4 finite positive numbers."""
    r, alpha, s, beta = _unpack(params)
    if not all(np.isfinite(v) and v > 0 for v in (r, alpha, s, beta)):
        raise ConfigError(
            "pareto_nbd: parameters (r, alpha, s, beta) must be finite and > 0; got "
            f"{[r, alpha, s, beta]}."
        )
    return r, alpha, s, beta


def _rows(*arrays: ArrayLike) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """Broadcast the customer arrays; return their shape and flat float64 copies."""
    b = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in arrays))
    return b[0].shape, [np.ravel(v) for v in b]


def _parts(
    params: ArrayLike,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    *,
    moments: bool,
    second: bool = False,
    x_levels: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Log-likelihood per row and the pieces its gradient (`moments`), its Hessian
    (`second`) and the predictions reuse.

    `x_levels` (the distinct x and each row's index into them) lets Γ(r+x) be computed
    once per distinct x."""
    r, alpha, s, beta = _unpack(params)
    log_i, mom = _log_integral(
        r, alpha, s, beta, x, t_x, T, moments=moments or second, second=second
    )
    log_aT = np.log(alpha + T)
    log_bT = np.log(beta + T)
    # ln of (α+T)^-(r+x) (β+T)^-s  and of  s I
    alive = -(r + x) * log_aT - s * log_bT
    dead = np.log(s) + log_i
    tail = np.logaddexp(alive, dead)
    lg_x = gammaln(r + x) if x_levels is None else gammaln(r + x_levels[0])[x_levels[1]]
    ll = lg_x - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + tail
    out = {"ll": ll, "alive": alive, "dead": dead, "tail": tail}
    out |= {"log_aT": log_aT, "log_bT": log_bT}
    if mom is not None:
        out["mom"] = mom
    return out


def log_likelihood(params: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> np.ndarray:
    r"""Pareto/NBD log-likelihood of each customer history (x, t_x, T).

    .. math::

        \ln L = \ln\Gamma(r+x) - \ln\Gamma(r) + r\ln\alpha + s\ln\beta
        + \ln\Big[(\alpha+T)^{-(r+x)}(\beta+T)^{-s}
        + s\int_{t_x}^{T}(\alpha+\tau)^{-(r+x)}(\beta+\tau)^{-(s+1)}\,d\tau\Big]

    (Fader, Hardie & Lee 2005, eq. 18, with the hypergeometric term written as the
    integral; see the module docstring for how it is evaluated).

    Parameters
    ----------
    params
        ``(r, alpha, s, beta)``.
    x, t_x, T
        Repeat purchases, time of the last purchase, age (broadcast together).

    Returns
    -------
    ndarray
        The log-likelihood of each customer (float64), shaped like the broadcast inputs.

    Raises
    ------
    ConfigError
        If `params` are not 4 finite positive numbers.

    Examples
    --------
    >>> params = np.array([0.5532, 10.578, 0.6062, 11.669])
    >>> round(float(log_likelihood(params, x=2.0, t_x=30.43, T=38.86)), 4)
    -9.5543
    """
    _checked(params)
    shape, (xf, tf, Tf) = _rows(x, t_x, T)
    out: np.ndarray = _parts(params, xf, tf, Tf, moments=False)["ll"].reshape(shape)
    return out


def _cached(params: np.ndarray, data: Prepared, moments: bool) -> dict[str, np.ndarray]:
    """`_parts` of the fit data, cached for the last parameters (loglik then gradient)."""
    key = np.asarray(params, dtype=np.float64).tobytes()
    cache = data.extra
    hit = cache.get("pareto_nbd")
    if hit is not None and hit[0] == key and (hit[1] or not moments):
        return hit[2]  # type: ignore[no-any-return]
    parts = _parts(
        params,
        data["x"],
        data["t_x"],
        data["T"],
        moments=moments,
        x_levels=data.extra.get("levels", {}).get("x"),
    )
    if isinstance(cache, dict):
        cache["pareto_nbd"] = (key, moments, parts)
    return parts


def _loglik(params: np.ndarray, data: Prepared) -> np.ndarray:
    # the optimiser asks for the gradient right after the value: compute both at once
    return _cached(params, data, True)["ll"]


def _gradient(params: np.ndarray, data: Prepared) -> np.ndarray:
    r, alpha, s, beta = _unpack(params)
    parts = _cached(params, data, True)
    x, T, w = data["x"], data["T"], data.weights
    mom = parts["mom"]
    share_alive = np.exp(parts["alive"] - parts["tail"])
    share_dead = np.exp(parts["dead"] - parts["tail"])
    has = share_dead > 0
    m = np.where(has, mom, 0.0)
    rx = r + x
    x_levels = data.extra.get("levels", {}).get("x")
    dg_x = digamma(rx) if x_levels is None else digamma(r + x_levels[0])[x_levels[1]]
    g_r = dg_x - digamma(r) + np.log(alpha) - share_alive * parts["log_aT"]
    g_r -= share_dead * m[0]
    g_alpha = r / alpha - share_alive * rx / (alpha + T) - share_dead * rx * m[1]
    g_s = np.log(beta) - share_alive * parts["log_bT"] + share_dead * (1.0 / s - m[2])
    g_beta = s / beta - share_alive * s / (beta + T) - share_dead * (s + 1.0) * m[3]
    # plain ufunc sums, not np.dot: BLAS threads beside the quadrature's two threads
    # oversubscribe the cores
    return np.array([float((w * g).sum()) for g in (g_r, g_alpha, g_s, g_beta)])


def _hessian(params: np.ndarray, data: Prepared) -> np.ndarray:
    """Hessian of the weighted total log-likelihood in (r, α, s, β), analytic, in one pass.

    Per row ``ll = g(x) + ln(e^A + e^D)`` with the alive term
    ``A = -(r+x) ln(α+T) - s ln(β+T)`` and ``D = ln s + ln I``; with the shares
    ``π_A = e^(A - tail)``, ``π_D = 1 - π_A`` the second derivative of the log-sum is
    ``π_A ∂²A + π_D ∂²D + π_A π_D (∂D - ∂A)(∂D - ∂A)ᵀ``. ``ln I`` is the log of an integral
    of ``e^f``, ``f = -(r+x) ln(α+τ) - (s+1) ln(β+τ)``: ``∂ ln I = E[∂f]`` and
    ``∂² ln I = E[∂²f] + Cov(∂f)`` under the normalised integrand, whose moments the
    quadrature returns.
    """
    r, alpha, s, beta = _unpack(params)
    x_levels = data.extra.get("levels", {}).get("x")
    parts = _parts(
        params, data["x"], data["t_x"], data["T"], moments=True, second=True, x_levels=x_levels
    )
    if isinstance(data.extra, dict):  # for the fit's P(alive), see cached_p_alive
        data.extra["pareto_nbd"] = (np.asarray(params, dtype=np.float64).tobytes(), True, parts)
    x, T, w = data["x"], data["T"], data.weights
    share_alive = np.exp(parts["alive"] - parts["tail"])
    share_dead = np.exp(parts["dead"] - parts["tail"])
    has = share_dead > 0
    m = np.where(has, parts["mom"], 0.0)
    rx = r + x
    inv_aT, inv_bT = 1.0 / (alpha + T), 1.0 / (beta + T)
    # first derivatives of A and D; the scale of each feature in ∂f
    d_alive = (-parts["log_aT"], -rx * inv_aT, -parts["log_bT"], -s * inv_bT)
    d_dead = (-m[0], -rx * m[1], np.where(has, 1.0 / s, 0.0) - m[2], -(s + 1.0) * m[3])
    coef = (-1.0, -rx, -1.0, -(s + 1.0))
    delta = [dd - da for dd, da in zip(d_dead, d_alive, strict=True)]
    cross = share_alive * share_dead
    h = np.empty((4, 4))
    k = 4
    for i in range(4):
        for j in range(i, 4):
            # Cov(∂f_i, ∂f_j) under the integrand, then the mixture's own curvature
            cov = np.multiply(coef[i], coef[j]) * m[k]
            h[i, j] = float((w * (share_dead * cov + cross * delta[i] * delta[j])).sum())
            k += 1
    # E[∂²f] of ln I, ∂²A, ∂²D's ln s, and the per-x terms
    e_inv_a2 = m[4 + 4] + m[1] ** 2  # E[1/(α+τ)²] = Var + mean²
    e_inv_b2 = m[4 + 9] + m[3] ** 2
    h[0, 1] += float((w * (-share_dead * m[1] - share_alive * inv_aT)).sum())
    h[1, 1] += float((w * rx * (share_dead * e_inv_a2 + share_alive * inv_aT**2)).sum())
    h[2, 3] += float((w * (-share_dead * m[3] - share_alive * inv_bT)).sum())
    h[3, 3] += float((w * (share_dead * (s + 1.0) * e_inv_b2 + share_alive * s * inv_bT**2)).sum())
    h[2, 2] -= float((w * share_dead).sum()) / s**2
    trigamma_x = (
        polygamma(1, rx) if x_levels is None else polygamma(1, r + x_levels[0])[x_levels[1]]
    )
    n = float(w.sum())
    h[0, 0] += float((w * trigamma_x).sum()) - n * float(polygamma(1, r))
    h[0, 1] += n / alpha
    h[1, 1] -= n * r / alpha**2
    h[2, 3] += n / beta
    h[3, 3] -= n * s / beta**2
    return np.triu(h) + np.triu(h, 1).T


def cached_p_alive(params: np.ndarray, data: Prepared) -> np.ndarray | None:
    """P(alive) of every row of `data` from the pass last made over it (cached by the
    log-likelihood, gradient or Hessian), when that pass was at `params` up to rounding
    (relative 1e-13: the fit reports its parameters in other units and back); else None."""
    hit = data.extra.get("pareto_nbd")
    if hit is None:
        return None
    at = np.frombuffer(hit[0], dtype=np.float64)
    if at.shape != np.shape(params) or not np.allclose(at, params, rtol=1e-13, atol=0.0):
        return None
    parts = hit[2]
    out: np.ndarray = np.exp(parts["alive"] - parts["tail"])
    return out


def _initial(data: Prepared) -> np.ndarray:
    mean_T = float(np.average(data["T"], weights=data.weights))
    scale = mean_T if np.isfinite(mean_T) and mean_T > 0 else 1.0
    return np.array([1.0, scale, 1.0, scale])


SPEC = ModelSpec(
    name="pareto_nbd",
    param_names=("r", "alpha", "s", "beta"),
    kind="transactions",
    loglik=_loglik,
    gradient=_gradient,
    hessian=_hessian,
    initial=_initial,
)


def _log_p_alive(params: ArrayLike, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    parts = _parts(params, x, t_x, T, moments=False)
    out: np.ndarray = parts["alive"] - parts["tail"]
    return out


def p_alive(params: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> np.ndarray:
    r"""Probability that a customer with history (x, t_x, T) is still alive at T.

    .. math::

        P(\text{alive}) = \frac{(\alpha+T)^{-(r+x)}(\beta+T)^{-s}}
        {(\alpha+T)^{-(r+x)}(\beta+T)^{-s} + s\int_{t_x}^{T}(\alpha+\tau)^{-(r+x)}
        (\beta+\tau)^{-(s+1)}\,d\tau}

    (Fader, Hardie & Lee 2005, section 5; computed as the exponential of a log-ratio.)

    Parameters
    ----------
    params
        ``(r, alpha, s, beta)``.
    x, t_x, T
        Repeat purchases, recency and age (broadcast together).

    Returns
    -------
    ndarray
        Probabilities in [0, 1], shaped like the broadcast inputs.

    Raises
    ------
    ConfigError
        If `params` are not 4 finite positive numbers.

    Examples
    --------
    >>> params = np.array([0.5532, 10.578, 0.6062, 11.669])
    >>> float(p_alive(params, x=10.0, t_x=38.0, T=38.0))  # bought at the end: alive
    1.0
    """
    face = _limits.boundary_face(params)
    if face is not None:
        return _limits.p_alive(face, as_params(params), *np.broadcast_arrays(x, t_x, T))
    _checked(params)
    shape, (xf, tf, Tf) = _rows(x, t_x, T)
    out: np.ndarray = np.exp(_log_p_alive(params, xf, tf, Tf)).reshape(shape)
    return out


def _growth(e: float, u: np.ndarray) -> np.ndarray:
    """[1 - (1+u)^-e] / e for u >= 0, and its limit log1p(u) at e = 0."""
    lg: np.ndarray = np.log1p(u)
    if e == 0.0:
        return lg
    out: np.ndarray = -np.expm1(-e * lg) / e
    return out


def conditional_expected_purchases(
    params: ArrayLike, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    r"""Expected number of purchases in the next `t` periods, given the history.

    .. math::

        E[Y(t)\mid x, t_x, T] = P(\text{alive})\,\frac{(r+x)(\beta+T)}{(\alpha+T)(s-1)}
        \Big[1 - \Big(\frac{\beta+T}{\beta+T+t}\Big)^{s-1}\Big]

    (Fader, Hardie & Lee 2005, eq. 41; at s = 1 the bracket over s-1 is its limit
    ``ln(1 + t/(β+T))``.)

    Parameters
    ----------
    params
        ``(r, alpha, s, beta)``.
    t
        Horizon(s) in periods; broadcast against the customers (e.g. shape (k, 1) for k
        horizons and n customers gives shape (k, n)).
    x, t_x, T
        Repeat purchases, recency and age.

    Returns
    -------
    ndarray
        Expected purchases (>= 0), shaped like `t` broadcast against the customers.

    Raises
    ------
    ConfigError
        If `params` are not 4 finite positive numbers.

    Examples
    --------
    >>> params = np.array([0.5532, 10.578, 0.6062, 11.669])
    >>> horizons = [[13.0], [52.0]]  # two horizons (rows) for two customers (columns)
    >>> conditional_expected_purchases(params, horizons, [0.0, 5.0], [0.0, 20.0], 30.0).round(3)
    array([[0.058, 1.129],
           [0.194, 3.758]])
    """
    face = _limits.boundary_face(params)
    if face is not None:
        return _limits.conditional_expected_purchases(face, as_params(params), t, x, t_x, T)
    r, alpha, s, beta = _checked(params)
    shape, (xf, tf, Tf) = _rows(x, t_x, T)
    log_alive = _log_p_alive(params, xf, tf, Tf).reshape(shape)
    xs, Ts = xf.reshape(shape), Tf.reshape(shape)
    tt = np.asarray(t, dtype=np.float64)
    log_scale = log_alive + np.log(r + xs) + np.log(beta + Ts) - np.log(alpha + Ts)
    out: np.ndarray = np.exp(log_scale) * _growth(s - 1.0, tt / (beta + Ts))
    return out


def conditional_probability_alive_at(
    params: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, t: ArrayLike
) -> np.ndarray:
    r"""Probability that the customer is still alive `t` periods after T.

    .. math::

        P(\text{alive at } T+t \mid x, t_x, T) = P(\text{alive at } T)
        \Big(\frac{\beta+T}{\beta+T+t}\Big)^{s}

    (given alive at T, μ is Gamma(s, β+T), independent of λ).

    Parameters
    ----------
    params
        ``(r, alpha, s, beta)``.
    x, t_x, T
        Repeat purchases, recency and age.
    t
        Periods after T; broadcast against the customers like in
        :func:`conditional_expected_purchases`.

    Returns
    -------
    ndarray
        Probabilities in [0, 1].

    Raises
    ------
    ConfigError
        If `params` are not 4 finite positive numbers.

    Examples
    --------
    >>> params = np.array([0.5532, 10.578, 0.6062, 11.669])
    >>> conditional_probability_alive_at(params, 5.0, 30.0, 30.0, [0.0, 52.0]).round(3)
    array([1.   , 0.612])
    """
    face = _limits.boundary_face(params)
    if face is not None:
        xs, txs, Ts = (np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(x, t_x, T))
        return _limits.p_alive_at(face, as_params(params), xs, txs, Ts, np.asarray(t))
    _, _, s, beta = _checked(params)
    shape, (xf, tf, Tf) = _rows(x, t_x, T)
    log_alive = _log_p_alive(params, xf, tf, Tf).reshape(shape)
    Ts = Tf.reshape(shape)
    tt = np.asarray(t, dtype=np.float64)
    out: np.ndarray = np.exp(log_alive - s * np.log1p(tt / (beta + Ts)))
    return out


def expected_purchases(params: ArrayLike, t: ArrayLike) -> np.ndarray:
    r"""Expected purchases of a new customer in their first `t` periods.

    .. math::

        E[X(t)] = \frac{r\beta}{\alpha(s-1)}\Big[1 - \Big(\frac{\beta}{\beta+t}\Big)^{s-1}\Big]

    (Fader, Hardie & Lee 2005, eq. 27; at s = 1, ``r β / α · ln(1 + t/β)``.)

    Parameters
    ----------
    params
        ``(r, alpha, s, beta)``.
    t
        Periods since the first purchase (any shape).

    Returns
    -------
    ndarray
        Expected repeat purchases, shaped like `t`.

    Raises
    ------
    ConfigError
        If `params` are not 4 finite positive numbers.

    Examples
    --------
    >>> params = np.array([0.5532, 10.578, 0.6062, 11.669])
    >>> expected_purchases(params, [39.0, 78.0]).round(4)
    array([1.2132, 1.9096])
    """
    face = _limits.boundary_face(params)
    if face is not None:
        return _limits.expected_purchases(face, as_params(params), t)
    r, alpha, s, beta = _checked(params)
    tt = np.asarray(t, dtype=np.float64)
    out: np.ndarray = r * beta / alpha * _growth(s - 1.0, tt / beta)
    return out
