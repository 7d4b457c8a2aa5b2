r"""Limit models of the transaction models: their likelihoods and predictions.

When the likelihood of BG/NBD, MBG/NBD or Pareto/NBD is highest on the boundary of the
parameter space, the model there is a simpler one (a *face* of the full model). Each
transaction model is two independent parts, and each part may reach a limit:

- **purchases** while alive: λ ~ Gamma(r, α) (``"gamma"``), or, when r, α -> ∞ with r/α
  finite, the same rate λ for everyone (``"point"``, no heterogeneity in purchase rates);
- **dropout**: BG/NBD and MBG/NBD drop out after a purchase with probability
  p ~ Beta(a, b), Pareto/NBD at rate μ ~ Gamma(s, β) (``"mixed"``); when a, b -> ∞
  (s, β -> ∞) with a/(a+b) (s/β) finite, the same p (μ) for everyone (``"point"``, no
  heterogeneity in dropout); when a/(a+b) -> 0 (s/β -> 0), nobody drops out (``"none"``,
  no dropout); when a, b -> 0 with a/(a+b) -> π (s, β -> 0 with (β/(β+T))^s -> 1 - π), a
  share π of the customers drops out at the first opportunity and the others never
  (``"split"``, all-or-nothing dropout). The first opportunity is right after the first
  repeat purchase in BG/NBD, right after the first purchase in MBG/NBD, and at once in
  Pareto/NBD, so that in the last two the split limit is a zero-inflated NBD.

Per customer with x repeat purchases, the last at t_x, observed for T periods, every face
has the likelihood of its full model with the part replaced by its limit:

BG/NBD and MBG/NBD (shift σ = 0 for BG/NBD, 1 for MBG/NBD, which also lets customers drop
out right after their first purchase)::

    L = P(x, T) · D_alive(x) + 1{x > 0 or σ = 1} · P(x, t_x) · D_dead(x)

    P(x, τ) = E[λ^x e^{-λτ}] = Γ(r+x)/Γ(r) · α^r/(α+τ)^(r+x)   or   λ^x e^{-λτ}
    D_alive(x) = E[(1-p)^(x+σ)] = B(a, b+x+σ)/B(a, b)   or   (1-p)^(x+σ)   or   1
    D_dead(x) = E[p (1-p)^(x+σ-1)] = B(a+1, b+x+σ-1)/B(a, b)   or   p (1-p)^(x+σ-1)   or   0

and in the split limit ``D_alive(x) = 1 - π 1{x + σ > 0}``, ``D_dead(x) = π 1{x + σ = 1}``.

Pareto/NBD, with the lifetime's survival S and density f::

    L = P(x, T) S(T) + ∫_{t_x}^{T} P(x, τ) f(τ) dτ
    S(τ) = (β/(β+τ))^s   or   e^{-μτ}   or   1   or   (1 - π) for τ > 0;     f = -S'

(in the split limit the integral is π, from the customers who leave at once, for x = 0).

The integral with a gamma purchase part and a point dropout rate (or the reverse) is
``∫ (k+τ)^-m e^{-cτ} dτ`` (:func:`log_power_exp_integral`); both parts points give a closed
form, both mixed the full model's integral.

Predictions, given the history: P(alive) is the share of the first term in L; given alive
at T, λ has the posterior Gamma(r+x, α+T) (or stays λ) and p the posterior
Beta(a, b+x+σ) (or stays p), and the purchases expected in the next t periods are

- no dropout: E[λ] t;
- BG/MBG, dropout p: E[(1 - e^{-λpt})/p], which is
  ``-expm1(-(r+x) log1p(pt/(α+T)))/p`` for a gamma λ, and for a point λ with
  p ~ Beta(a, b') ``E_N[Σ_{j<N} B(a, b'+j)/B(a, b')]`` with N ~ Poisson(λt) (a sum of
  positive terms, see :func:`_poisson_beta`);
- Pareto/NBD, dropout rate μ: E[λ] (1 - e^{-μt})/μ, or for μ ~ Gamma(s, β+T)
  ``E[λ] (β+T)/(s-1) [1 - ((β+T)/(β+T+t))^(s-1)]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, gammaln, hyp2f1

from kamseg.clv._base import (
    FitResult,
    ModelSpec,
    Prepared,
    discounted_sum,
    factorize,
    unique_rows,
)
from kamseg.errors import ConfigError

__all__ = [
    "NO_DROPOUT",
    "SAME_DROPOUT",
    "SAME_PURCHASE_RATE",
    "SPLIT_DROPOUT",
    "Face",
    "boundary_face",
    "conditional_expected_purchases",
    "expected_purchases",
    "face_of",
    "face_spec",
    "faces",
    "log_power_exp_integral",
    "loglik",
    "nbd_sums",
    "p_alive",
    "p_alive_at",
    "purchase_summary",
]

NO_DROPOUT = "no dropout"
SPLIT_DROPOUT = "all-or-nothing dropout"
SAME_PURCHASE_RATE = "no heterogeneity in purchase rates"
SAME_DROPOUT = "no heterogeneity in dropout"

Purchase = Literal["gamma", "point"]
Dropout = Literal["mixed", "point", "none", "split"]


@dataclass(frozen=True)
class Face:
    """One limit (or the full model itself) of a transaction model."""

    model: str
    purchase: Purchase
    dropout: Dropout

    @property
    def pareto(self) -> bool:
        return self.model == "pareto_nbd"

    @property
    def shift(self) -> float:
        return 1.0 if self.model == "mbgnbd" else 0.0

    @property
    def names(self) -> tuple[str, ...]:
        purchase = ("r", "alpha") if self.purchase == "gamma" else ("lambda",)
        if self.dropout == "mixed":
            dropout: tuple[str, ...] = ("s", "beta") if self.pareto else ("a", "b")
        elif self.dropout == "point":
            dropout = ("mu",) if self.pareto else ("p",)
        elif self.dropout == "split":
            dropout = ("pi",)
        else:
            dropout = ()
        return purchase + dropout

    @property
    def units(self) -> tuple[int, ...]:
        """Time dimension of each parameter: +1 for α and β (periods), -1 for the rates λ
        and μ, 0 for the rest. Rescaling time by k multiplies a parameter by k^unit."""
        dims = {"alpha": 1, "beta": 1, "lambda": -1, "mu": -1}
        return tuple(dims.get(n, 0) for n in self.names)

    @property
    def bounded(self) -> bool:
        """Whether the last parameter is a probability (p, pi), below 1."""
        return self.dropout == "split" or (self.dropout == "point" and not self.pareto)

    @property
    def label(self) -> str | None:
        """The `FitResult.boundary` text of this face (None for the full model)."""
        parts = []
        if self.dropout == "none":
            parts.append(NO_DROPOUT)
        elif self.dropout == "point":
            parts.append(SAME_DROPOUT)
        elif self.dropout == "split":
            parts.append(SPLIT_DROPOUT)
        if self.purchase == "point":
            parts.append(SAME_PURCHASE_RATE)
        return "; ".join(parts) or None


def faces(model: str) -> list[Face]:
    """Every limit of `model` (not the full model), fewest parameters first."""
    out = [
        Face(model, purchase, dropout)
        for purchase in ("gamma", "point")
        for dropout in ("mixed", "point", "none", "split")
        if (purchase, dropout) != ("gamma", "mixed")
    ]
    return sorted(out, key=lambda f: len(f.names))


def face_of(fitted: FitResult) -> Face:
    """The face a transaction-model fit lies on (its full model when not at a boundary)."""
    parts = set() if fitted.boundary is None else set(fitted.boundary.split("; "))
    dropout: Dropout = "mixed"
    for kind, label in (("none", NO_DROPOUT), ("point", SAME_DROPOUT), ("split", SPLIT_DROPOUT)):
        if label in parts:
            dropout = kind  # type: ignore[assignment]
    purchase: Purchase = "point" if SAME_PURCHASE_RATE in parts else "gamma"
    face = Face(fitted.model, purchase, dropout)
    if face.names != tuple(fitted.params):
        raise ConfigError(
            f"clv: a {fitted.model!r} fit with boundary {fitted.boundary!r} must have the "
            f"parameters {face.names}; got {tuple(fitted.params)}."
        )
    return face


def boundary_face(params: object) -> Face | None:
    """The face of `params` when it is a boundary fit (a FitResult with `boundary`)."""
    if isinstance(params, FitResult) and params.boundary is not None:
        return face_of(params)
    return None


def _unpack(face: Face, params: np.ndarray) -> dict[str, float]:
    values = np.asarray(params, dtype=np.float64).reshape(-1)
    if values.size != len(face.names) or not (np.all(np.isfinite(values)) and np.all(values > 0)):
        raise ConfigError(
            f"clv: the {face.label or 'full'} limit of {face.model!r} needs "
            f"{len(face.names)} positive finite parameters ({', '.join(face.names)}); got "
            f"{values.tolist()}."
        )
    if face.bounded and not values[-1] < 1:
        raise ConfigError(f"clv: the share {face.names[-1]} must be below 1; got {values[-1]}.")
    return dict(zip(face.names, (float(v) for v in values), strict=True))


# --- the integral ∫ (k+τ)^-m e^{-cτ} dτ ------------------------------------------------------

_CUT = 40.0
_PANEL = 2.0
_DROP = 8.0
_GL_U, _GL_W = np.polynomial.legendre.leggauss(12)


def log_power_exp_integral(
    m: np.ndarray, k: float, c: float, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """ln ∫_{t_x}^{T} (k+τ)^-m e^{-cτ} dτ per row (-inf where t_x >= T); k, c > 0.

    In ``w = ln(k+τ)`` the log-integrand (Jacobian included) is
    ``ψ(w) = (1-m) w - c (e^w - k)``, concave (ψ'' = -c e^w), so the integrand is unimodal
    with its maximum at an end or at ``w* = ln((1-m)/c)``. The range is cut where ψ falls 40
    below its maximum (bisection; by concavity the part cut off is below e^-40 of the
    integral) and integrated by composite 12-node Gauss-Legendre quadrature, each panel
    at most 2 wide in w and spanning at most 8 of ψ, relative to the maximum, so nothing
    overflows.
    """
    m, t_x, T = (np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(m, t_x, T))
    out = np.full(m.shape, -np.inf)
    rows = np.flatnonzero(t_x < T)
    if rows.size == 0:
        return out
    mm = m[rows]

    def psi(w: np.ndarray, mv: np.ndarray) -> np.ndarray:
        result: np.ndarray = (1.0 - mv) * w - c * (np.exp(w) - k)
        return result

    w0 = np.log(k + t_x[rows])
    w1 = np.log(k + T[rows])
    rising = mm < 1.0
    w_star = np.log(np.where(rising, 1.0 - mm, 1.0) / c)
    w_max = np.where(rising, np.clip(w_star, w0, w1), w0)
    top = psi(w_max, mm)
    target = top - _CUT

    def cut(inner: np.ndarray, outer: np.ndarray, mv: np.ndarray, tv: np.ndarray) -> np.ndarray:
        # ψ(inner) >= target > ψ(outer): bisect for the crossing, keep the outer side
        for _ in range(64):
            mid = 0.5 * (inner + outer)
            below = psi(mid, mv) < tv
            outer = np.where(below, mid, outer)
            inner = np.where(below, inner, mid)
        return outer

    lo, hi = w0.copy(), w1.copy()
    right = psi(w1, mm) < target
    if right.any():
        hi[right] = cut(w_max[right], w1[right], mm[right], target[right])
    left = (w_max > w0) & (psi(w0, mm) < target)
    if left.any():
        lo[left] = cut(w_max[left], w0[left], mm[left], target[left])
    length = np.maximum(hi - lo, 0.0)
    variation = 2.0 * top - psi(lo, mm) - psi(hi, mm)
    variation = np.clip(np.where(np.isfinite(variation), variation, 0.0), 0.0, 4 * _CUT)
    need = np.maximum(np.maximum(length / _PANEL, variation / _DROP), 1.0)
    level = np.clip(np.ceil(np.log2(need)).astype(np.int64), 0, 12)
    for lv in np.unique(level):
        group = np.flatnonzero(level == lv)
        panels = 1 << int(lv)
        offsets = ((np.arange(panels)[:, None] + (_GL_U[None, :] + 1.0) / 2.0) / panels).ravel()
        weights = np.tile(_GL_W, panels) / (2.0 * panels)
        w = lo[group, None] + length[group, None] * offsets[None, :]
        rel = psi(w, mm[group, None]) - top[group, None]
        total = (np.exp(np.minimum(rel, 0.0)) * weights).sum(axis=1)
        out[rows[group]] = top[group] + np.log(length[group] * total)
    return out


# --- likelihood ------------------------------------------------------------------------------


def _per_x(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """``fn(x)`` for an elementwise `fn` (Γ, B functions of the counts), evaluated once per
    distinct x and looked up: the same numbers, without a special function per row."""
    if x.size < 4096:
        return fn(x)
    values, index = factorize(x.reshape(-1))
    out: np.ndarray = fn(values)[index].reshape(x.shape)
    return out


def _purchase_logs(
    face: Face, p: dict[str, float], x: np.ndarray, times: tuple[np.ndarray, ...]
) -> list[np.ndarray]:
    """ln P(x, τ) = ln E[λ^x e^{-λτ}] for each array of times τ."""
    if face.purchase == "gamma":
        r, alpha = p["r"], p["alpha"]
        pre = _per_x(lambda v: gammaln(r + v), x) - gammaln(r) + r * math.log(alpha)
        return [pre - (r + x) * np.log(alpha + tau) for tau in times]
    lam = p["lambda"]
    return [x * math.log(lam) - lam * tau for tau in times]


def _terms(
    face: Face, params: np.ndarray, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """(ln of the alive term, ln of the dropped-out term) of each customer's likelihood."""
    p = _unpack(face, params)
    x, t_x, T = (
        np.asarray(v, dtype=np.float64)
        for v in np.broadcast_arrays(np.asarray(x), np.asarray(t_x), np.asarray(T))
    )
    if face.pareto:
        return _pareto_terms(face, p, x, t_x, T)
    log_pT, log_pt = _purchase_logs(face, p, x, (T, t_x))
    sh = face.shift
    has_dead = (x > 0) | (sh > 0)
    if face.dropout == "none":
        return log_pT, np.full(x.shape, -np.inf)
    if face.dropout == "split":
        keep = math.log1p(-p["pi"])
        alive = log_pT + np.where(x + sh > 0, keep, 0.0)
        dead = np.where(x + sh == 1, log_pt + math.log(p["pi"]), -np.inf)
        return alive, dead
    if face.dropout == "point":
        q = p["p"]
        alive = log_pT + (x + sh) * math.log1p(-q)
        dead = log_pt + math.log(q) + (x + sh - 1.0) * math.log1p(-q)
    else:
        a, b = p["a"], p["b"]
        base = betaln(a, b)
        alive = log_pT + _per_x(lambda v: betaln(a, b + v + sh), x) - base
        dead_x = _per_x(
            lambda v: betaln(a + 1.0, np.where((v > 0) | (sh > 0), b + v + sh - 1.0, 1.0)), x
        )
        dead = log_pt + dead_x - base
    return alive, np.where(has_dead, dead, -np.inf)


def _pareto_terms(
    face: Face, p: dict[str, float], x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    (log_pT,) = _purchase_logs(face, p, x, (T,))
    if face.dropout == "none":
        return log_pT, np.full(x.shape, -np.inf)
    if face.dropout == "split":  # leaving at once: no purchases, likelihood 1
        dead = np.where(x == 0, math.log(p["pi"]), -np.inf)
        return log_pT + math.log1p(-p["pi"]), dead
    if face.dropout == "mixed":
        s, beta = p["s"], p["beta"]
        alive = log_pT + s * (math.log(beta) - np.log(beta + T))
        if face.purchase == "gamma":
            from kamseg.clv._pareto_integral import _log_integral

            r, alpha = p["r"], p["alpha"]
            log_i, _ = _log_integral(r, alpha, s, beta, x, t_x, T)
            pre = gammaln(r + x) - gammaln(r) + r * math.log(alpha)
        else:
            lam = p["lambda"]
            log_i = log_power_exp_integral(np.full(x.shape, s + 1.0), beta, lam, t_x, T)
            pre = x * math.log(lam)
        return alive, pre + math.log(s) + s * math.log(beta) + log_i
    mu = p["mu"]
    alive = log_pT - mu * T
    if face.purchase == "gamma":
        r, alpha = p["r"], p["alpha"]
        log_i = log_power_exp_integral(r + x, alpha, mu, t_x, T)
        pre = gammaln(r + x) - gammaln(r) + r * math.log(alpha)
        return alive, pre + math.log(mu) + log_i
    lam = p["lambda"]
    rate = lam + mu
    with np.errstate(divide="ignore"):
        log_i = -rate * t_x + np.log(-np.expm1(-rate * (T - t_x))) - math.log(rate)
    return alive, x * math.log(lam) + math.log(mu) + log_i


def loglik(
    face: Face, params: np.ndarray, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """Log-likelihood of each customer history under `face` with `params`."""
    alive, dead = _terms(face, params, x, t_x, T)
    if face.dropout == "none":  # ln(e^alive + 0): the alive term itself
        return alive
    out: np.ndarray = np.logaddexp(alive, dead)
    return out


def p_alive(
    face: Face, params: np.ndarray, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """P(alive at T | x, t_x, T) under `face` (1 without dropout)."""
    alive, dead = _terms(face, params, x, t_x, T)
    out: np.ndarray = np.exp(alive - np.logaddexp(alive, dead))
    return out


def nbd_sums(data: Prepared) -> tuple[np.ndarray, ...]:
    """Weighted counts behind the NBD likelihood (cached on `data`): the distinct x with
    their total weight, the distinct T with their total weight and their weighted x."""
    cached = data.extra.get("nbd_sums")
    if cached is None:
        cached = _count_nbd_sums(data)
        data.extra["nbd_sums"] = cached
    return cached


def _count_nbd_sums(data: Prepared) -> tuple[np.ndarray, ...]:
    levels = data.extra.get("levels", {})
    x, w = data["x"], data.weights
    ux, ix = levels["x"] if "x" in levels else factorize(x)
    uT, iT = levels["T"] if "T" in levels else factorize(data["T"])
    return (
        ux,
        np.bincount(ix, weights=w, minlength=ux.size),
        uT,
        np.bincount(iT, weights=w, minlength=uT.size),
        np.bincount(iT, weights=w * x, minlength=uT.size),
    )


def _nbd_value_and_grad(params: np.ndarray, data: Prepared) -> tuple[float, np.ndarray]:
    """Weighted total NBD log-likelihood and gradient.

    Per customer ``ln Γ(r+x) - ln Γ(r) + r ln α - (r+x) ln(α+T)``: the terms in x alone
    are summed over the distinct x (weighted by their customers), those in T (times 1
    and times x) over the distinct T, so after one pass that counts the weights each
    call costs a pass over the distinct values only.
    """
    from scipy.special import digamma

    r, alpha = (float(v) for v in params)
    ux, wx, uT, wT, wxT = nbd_sums(data)
    n = float(wx.sum())
    log_aT = np.log(alpha + uT)
    inv_aT = 1.0 / (alpha + uT)
    # plain ufunc sums, not np.dot (BLAS threads oversubscribe a busy machine)
    ll = float((wx * gammaln(r + ux)).sum()) + n * (r * math.log(alpha) - gammaln(r))
    ll -= float(((r * wT + wxT) * log_aT).sum())
    g_r = float((wx * digamma(r + ux)).sum()) + n * (math.log(alpha) - digamma(r))
    g_r -= float((wT * log_aT).sum())
    g_alpha = n * r / alpha - float(((r * wT + wxT) * inv_aT).sum())
    return ll, np.array([g_r, g_alpha])


def _nbd_hessian(params: np.ndarray, data: Prepared) -> np.ndarray:
    """Hessian of the weighted total NBD log-likelihood in (r, α), analytic: trigamma
    terms over the distinct x, ``(r+x) / (α+T)²`` and ``1 / (α+T)`` over the distinct T."""
    from scipy.special import polygamma

    r, alpha = (float(v) for v in params)
    ux, wx, uT, wT, wxT = nbd_sums(data)
    n = float(wx.sum())
    inv_aT = 1.0 / (alpha + uT)
    h_rr = float((wx * polygamma(1, r + ux)).sum()) - n * float(polygamma(1, r))
    h_ra = n / alpha - float((wT * inv_aT).sum())
    h_aa = -n * r / alpha**2 + float(((r * wT + wxT) * inv_aT * inv_aT).sum())
    return np.array([[h_rr, h_ra], [h_ra, h_aa]])


def face_spec(face: Face, initial: Callable[[Prepared], np.ndarray]) -> ModelSpec:
    """A :class:`ModelSpec` fitting `face` (analytic gradient for the NBD, else numeric)."""

    def ll(params: np.ndarray, data: Prepared) -> np.ndarray:
        if not (np.all(np.isfinite(params)) and np.all(params > 0)) or (
            face.bounded and not params[-1] < 1
        ):  # outside the parameter space (the optimiser steps in log(params))
            return np.full(data["x"].shape, -np.inf)
        return loglik(face, params, data["x"], data["t_x"], data["T"])

    nbd = face.purchase == "gamma" and face.dropout == "none"
    return ModelSpec(
        name=face.model,
        param_names=face.names,
        kind="transactions",
        loglik=ll,
        initial=initial,
        value_and_grad=_nbd_value_and_grad if nbd else None,
        hessian=_nbd_hessian if nbd else None,
    )


# --- predictions -----------------------------------------------------------------------------


def _poisson_beta(a: float, b_prime: np.ndarray, c: np.ndarray) -> np.ndarray:
    """E_N[S_N] for N ~ Poisson(c), with S_n = Σ_{j<n} m_j and m_j = E[(1-p)^j] =
    B(a, b'+j)/B(a, b') for p ~ Beta(a, b'); shape (len(c), len(b')).

    With p fixed, Σ_{j<n} (1-p)^j = (1 - (1-p)^n)/p and E_N[(1-p)^N] = e^{-cp}, so this is
    E_p[(1 - e^{-cp})/p], the purchases expected before dropout.

    Exact up to the Poisson tail beyond c + 12 √c + 40 (below 1e-25): every term is
    positive, so nothing cancels.
    """
    c = np.asarray(c, dtype=np.float64).reshape(-1)
    b_prime = np.asarray(b_prime, dtype=np.float64).reshape(-1)
    c_max = float(c.max()) if c.size else 0.0
    n = np.arange(math.ceil(c_max + 12.0 * math.sqrt(c_max) + 40.0) + 1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = n[None, :] * np.log(c)[:, None] - c[:, None] - gammaln(n + 1.0)[None, :]
    log_pmf = np.where(c[:, None] > 0, log_pmf, np.where(n[None, :] == 0, 0.0, -np.inf))
    pmf = np.exp(log_pmf)
    out = np.empty((c.size, b_prime.size))
    block = max(1, (1 << 22) // n.size)
    for start in range(0, b_prime.size, block):
        bp = b_prime[start : start + block]
        moments = np.exp(betaln(a, bp[None, :] + n[:, None]) - betaln(a, bp)[None, :])
        moments = np.vstack([np.zeros((1, bp.size)), np.cumsum(moments, axis=0)[:-1]])
        out[:, start : start + block] = pmf @ moments
    return out


def _alive_part(
    face: Face, params: np.ndarray, t: np.ndarray, x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """E[purchases in the next t | alive at T, x]; t of shape (k, 1) gives (k, n)."""
    p = _unpack(face, params)
    if face.purchase == "gamma":
        rate = (p["r"] + x) / (p["alpha"] + T)  # posterior mean of λ
    else:
        rate = np.full(np.shape(x), p["lambda"])
    if face.dropout == "none":
        out: np.ndarray = rate * t
        return out
    if face.dropout == "split":
        if face.pareto or face.shift:  # alive: never leaves
            stays: np.ndarray = rate * t
            return stays
        # BG/NBD without a repeat purchase: a share pi buys once more, then leaves
        if face.purchase == "gamma":
            log_quiet = -(p["r"] + x) * np.log1p(t / (p["alpha"] + T))
        else:
            log_quiet = -p["lambda"] * t + np.zeros(np.shape(x))
        pi = p["pi"]
        once = (1.0 - pi) * rate * t - pi * np.expm1(log_quiet)
        mixed: np.ndarray = np.where(x == 0, once, rate * t)
        return mixed
    if face.pareto:
        if face.dropout == "point":
            mu = p["mu"]
            return rate * (-np.expm1(-mu * t) / mu)
        s, beta = p["s"], p["beta"]
        e = s - 1.0
        u = np.log1p(t / (beta + T))
        growth = u if e == 0.0 else -np.expm1(-e * u) / e
        return rate * (beta + T) * growth
    if face.dropout == "point":
        q = p["p"]
        if face.purchase == "gamma":
            r, alpha = p["r"], p["alpha"]
            return -np.expm1(-(r + x) * np.log1p(q * t / (alpha + T))) / q
        # the same for every customer: broadcast to (k, n) as the other faces give
        return -np.expm1(-p["lambda"] * q * t) / q + np.zeros(np.shape(x))
    if face.purchase == "gamma":  # the full model
        return bgnbd_alive_part(np.asarray(params), t, x, T, face.shift > 0)
    # point λ, p ~ Beta(a, b + x + shift): a Poisson-weighted sum over the purchases
    tt = np.asarray(t, dtype=np.float64)
    ux, inverse = np.unique(np.asarray(x, dtype=np.float64), return_inverse=True)
    table = _poisson_beta(p["a"], p["b"] + ux + face.shift, p["lambda"] * tt.reshape(-1))
    full: np.ndarray = table[:, inverse.reshape(-1)]
    return full.reshape((*tt.shape[:-1], -1)) if tt.ndim else full[0]


def conditional_expected_purchases(
    face: Face,
    params: np.ndarray,
    t: ArrayLike,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
) -> np.ndarray:
    """Expected purchases in the next `t` periods given (x, t_x, T).

    A scalar `t` gives the customers' shape; k horizons (shape (k,) or (k, 1)) give
    (k, n_customers).
    """
    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(x, t_x, T))
    shape = x.shape
    xf, tf, Tf = x.reshape(-1), t_x.reshape(-1), T.reshape(-1)
    tt = np.asarray(t, dtype=np.float64)
    pairs, inverse = unique_rows({"x": xf, "T": Tf})
    part = _alive_part(face, params, tt.reshape(-1, 1), pairs["x"], pairs["T"])[:, inverse]
    out: np.ndarray = part * p_alive(face, params, xf, tf, Tf)
    if tt.ndim == 0:
        single: np.ndarray = out[0].reshape(shape)
        return single
    return out.reshape((-1, *shape))


def purchase_summary(
    face: Face,
    params: np.ndarray,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    steps: np.ndarray,
    discount: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(alive), expected purchases up to ``steps[-1]`` and their discounted sum."""
    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    pairs, inverse = unique_rows({"x": x, "T": T})
    cum = _alive_part(face, params, steps.reshape(-1, 1), pairs["x"], pairs["T"])
    monthly = np.diff(cum, axis=0, prepend=0.0)
    alive = p_alive(face, params, x, t_x, T)
    return alive, alive * cum[-1][inverse], alive * discounted_sum(discount, monthly)[inverse]


def p_alive_at(
    face: Face, params: np.ndarray, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, t: ArrayLike
) -> np.ndarray:
    """P(alive at T + t | x, t_x, T) for Pareto/NBD faces (t broadcasts like the others)."""
    p = _unpack(face, params)
    alive = p_alive(face, params, x, t_x, T)
    tt = np.asarray(t, dtype=np.float64)
    if face.dropout in ("none", "split"):  # the live customers never leave
        out: np.ndarray = alive * np.ones_like(tt)
        return out
    if face.dropout == "point":
        return alive * np.exp(-p["mu"] * tt)
    s, beta = p["s"], p["beta"]
    return alive * np.exp(-s * np.log1p(tt / (beta + np.asarray(T, dtype=np.float64))))


def expected_purchases(face: Face, params: np.ndarray, t: ArrayLike) -> np.ndarray:
    """Expected repeat purchases of a new customer in their first `t` periods, E[X(t)]."""
    p = _unpack(face, params)
    tt = np.asarray(t, dtype=np.float64)
    zero = np.zeros(1)
    part = _alive_part(face, params, tt.reshape(-1, 1), zero, zero)[:, 0].reshape(tt.shape)
    if face.shift and face.dropout == "mixed":  # MBG/NBD: may drop out at time 0
        part = part * p["b"] / (p["a"] + p["b"])
    elif face.shift and face.dropout == "point":
        part = part * (1.0 - p["p"])
    elif face.dropout == "split" and (face.shift or face.pareto):  # a share pi leaves at once
        part = part * (1.0 - p["pi"])
    out: np.ndarray = part
    return out


def bgnbd_alive_part(
    params: np.ndarray,
    t: np.ndarray,
    x: np.ndarray,
    T: np.ndarray,
    modified: bool,
    *,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """E[Y(t) | alive at T, x, T]; t broadcasts against the rows (e.g. shape (k, 1)).

    Computed in place (into `out`, when given, of the broadcast shape): element by element
    the same operations, with few temporaries."""
    r, alpha, a, b = (float(v) for v in params)
    shift = 1.0 if modified else 0.0
    A = r + x
    B = b + x + shift
    C = a + b + x - 1.0 + shift
    shape = np.broadcast_shapes(np.shape(t), np.shape(x), np.shape(T))
    a_T = alpha + T
    den = np.add(a_T, t, out=np.empty(shape))  # α + T + t
    z = np.divide(t, den, out=np.empty(shape) if out is None else out)
    with np.errstate(over="ignore", invalid="ignore"):
        term = hyp2f1(A, B, C, z, out=z)
        # (1-z)^A 2F1(A, B; C; z) with ln(1-z) = ln(α+T) - ln(α+T+t)
        np.log(den, out=den)
        np.subtract(np.log(a_T), den, out=den)
        den *= A
        np.log(term, out=term)
        term += den
        np.exp(term, out=term)
        # Pfaff transformation where the direct series overflows:
        # (1-z)^A 2F1(A, B; C; z) = 2F1(A, C-B; C; z/(z-1))
        bad = ~np.isfinite(term)
        if np.any(bad):
            A_b, B_b, C_b, t_b, a_T_b = (np.broadcast_to(v, shape)[bad] for v in (A, B, C, t, a_T))
            term[bad] = hyp2f1(A_b, C_b - B_b, C_b, -t_b / a_T_b)
    np.subtract(1.0, term, out=term)
    term *= (a + b + x - 1.0 + shift) / (a - 1.0)
    result: np.ndarray = term if term.ndim else term[()]  # a scalar for scalars (a ufunc's)
    return result
