"""The Pareto/NBD integral of Fader, Hardie & Lee's likelihood, by adaptive quadrature.

Split from :mod:`kamseg.clv._pareto_nbd` so that the limit models (:mod:`kamseg.clv._limits`)
can use it without importing the model module, which imports them.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit  # type: ignore[import-untyped, unused-ignore]

from kamseg.clv._collapse import in_halves

#: Truncate the integral where the integrand has fallen by e^-_CUT below its maximum.
_CUT = 40.0


#: Widest quadrature panel, in w = ln(τ + min(α, β)).
_PANEL = 2.0


#: Largest variation of φ over one panel.
_DROP = 8.0


#: Gauss-Legendre nodes per panel.
_NODES = 12


#: Most Newton-bisection iterations for a truncation point (each at least halves the bracket).
_CUT_STEPS = 60


#: Most panels per row, 2^_MAX_LEVEL (only reached at absurd parameters).
_MAX_LEVEL = 12


#: Quadrature nodes evaluated at once (rows x nodes), to bound memory.
_BLOCK = 1 << 18


_GL_U, _GL_W = np.polynomial.legendre.leggauss(_NODES)


class _Phi:
    """The log-integrand φ(w) = (1-p) w - q ln(e^w + d) and its derivative."""

    def __init__(self, d: float) -> None:
        self.d = d
        self.log_d = float(np.log(d)) if d > 0 else -np.inf

    def lae(self, w: np.ndarray) -> np.ndarray:
        """ln(e^w + d)."""
        if self.d > 0:
            out: np.ndarray = np.logaddexp(w, self.log_d)
            return out
        return w

    def sigma(self, w: np.ndarray) -> np.ndarray:
        """e^w / (e^w + d)."""
        if self.d > 0:
            out: np.ndarray = expit(w - self.log_d)
            return out
        return np.ones_like(w)

    def value(self, w: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        out: np.ndarray = (1.0 - p) * w - q * self.lae(w)
        return out

    def slope(self, w: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        out: np.ndarray = (1.0 - p) - q * self.sigma(w)
        return out


def _cut(
    phi: _Phi,
    inside: np.ndarray,
    outside: np.ndarray,
    target: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
) -> np.ndarray:
    """A point just beyond the root of φ(w) = target, between `inside` and `outside`.

    φ(inside) >= target > φ(outside), with `inside` the maximum of the concave φ. Each
    iteration takes a Newton step from the outer point, which by concavity stays outside
    (the tangent lies above φ), then bisects between the inner point and that step, so the
    bracket at least halves. Stops when φ at the outer point is within `_DROP` of the
    target (the quadrature then spends at most one panel on the part beyond the root).
    """
    inner, outer = inside.copy(), outside.copy()
    active = np.arange(inner.size)
    for _ in range(_CUT_STEPS):
        wi, wo, pa, qa, ta = inner[active], outer[active], p[active], q[active], target[active]
        fo = phi.value(wo, pa, qa)
        going = (fo < ta - _DROP) & (np.abs(wo - wi) > 1e-13 * (1.0 + np.abs(wo)))
        if not np.any(going):
            break
        active, wi, wo, pa, qa, ta = (v[going] for v in (active, wi, wo, pa, qa, ta))
        newton = wo + (ta - fo[going]) / phi.slope(wo, pa, qa)
        wo = np.where(np.isfinite(newton) & ((newton - wi) * (wo - newton) > 0), newton, wo)
        mid = 0.5 * (wi + wo)
        below = phi.value(mid, pa, qa) < ta
        outer[active] = np.where(below, mid, wo)
        inner[active] = np.where(below, wi, mid)
    return outer


def _log_integral(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    *,
    moments: bool = False,
    second: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """ln I with I = ∫_{t_x}^{T} (α+τ)^-(r+x) (β+τ)^-(s+1) dτ, per row (-inf if t_x >= T).

    With `moments`, also the expectations of ln(α+τ), 1/(α+τ), ln(β+τ), 1/(β+τ) under the
    normalised integrand (shape (4, n); NaN where I = 0), for the gradient; with `second`
    as well, below them their covariances under the same distribution, in the order
    (0,0), (0,1), (0,2), (0,3), (1,1), (1,2), (1,3), (2,2), (2,3), (3,3) (shape (14, n)),
    for the Hessian. Each row is computed on its own, so large inputs are split in two
    halves run on two threads (the same numbers as in one piece).
    """
    parts = in_halves(
        lambda sl: _log_integral_rows(
            r, alpha, s, beta, x[sl], t_x[sl], T[sl], moments=moments or second, second=second
        ),
        x.shape[0],
    )
    if len(parts) == 1:
        out: tuple[np.ndarray, np.ndarray | None] = parts[0]
        return out
    log_i = np.concatenate([p[0] for p in parts])
    mom = np.concatenate([p[1] for p in parts], axis=1) if moments else None
    return log_i, mom


def _log_integral_rows(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    *,
    moments: bool = False,
    second: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """ln I with I = ∫_{t_x}^{T} (α+τ)^-(r+x) (β+τ)^-(s+1) dτ, per row (-inf if t_x >= T).

    With `moments`, also the expectations of ln(α+τ), 1/(α+τ), ln(β+τ), 1/(β+τ) under the
    normalised integrand (shape (4, n); NaN where I = 0), for the gradient; with `second`
    also their covariances (see :func:`_log_integral`).
    """
    n = x.shape[0]
    log_i = np.full(n, -np.inf)
    mom = np.full((14 if second else 4, n), np.nan) if moments else None
    rows = np.flatnonzero(t_x < T)
    if rows.size == 0:
        return log_i, mom
    c = min(alpha, beta)
    d = abs(alpha - beta)
    a = r + x[rows]
    b = np.full(rows.size, s + 1.0)
    alpha_low = alpha <= beta
    p, q = (a, b) if alpha_low else (b, a)
    phi = _Phi(d)
    tx, TT = t_x[rows], T[rows]
    w0 = np.log(tx + c)
    width = np.log1p((TT - tx) / (tx + c))
    w1 = w0 + width

    # maximum of the concave φ on [w0, w1]; φ at the ends is computed once and reused
    # (φ is elementwise, so a value reused is the value recomputed)
    phi_w0 = phi.value(w0, p, q)
    phi_w1 = phi.value(w1, p, q)
    w_max = w0.copy()
    phi_max = phi_w0.copy()
    if d > 0:
        rising = np.flatnonzero(p < 1.0)
        if rising.size:
            ratio = (1.0 - p[rising]) / q[rising]
            w_star = phi.log_d + np.log(ratio) - np.log1p(-ratio)
            w_max[rising] = np.clip(w_star, w0[rising], w1[rising])
            phi_max[rising] = phi.value(w_max[rising], p[rising], q[rising])
    target = phi_max - _CUT

    # truncation points
    lo, hi = w0.copy(), w1.copy()
    cut_hi = phi_w1 < target
    if np.any(cut_hi):
        i = np.flatnonzero(cut_hi)
        hi[i] = _cut(phi, w_max[i], w1[i], target[i], p[i], q[i])
    cut_lo = (w_max > w0) & (phi_w0 < target)
    if np.any(cut_lo):
        i = np.flatnonzero(cut_lo)
        lo[i] = _cut(phi, w_max[i], w0[i], target[i], p[i], q[i])
    cut = cut_lo | cut_hi
    length = np.where(cut, hi - lo, width)
    length = np.where(np.isfinite(length) & (length > 0), length, 0.0)

    # composite Gauss-Legendre: 2^k panels per row, rows grouped by k; a panel spans at
    # most _PANEL in w and at most _DROP of variation of φ
    phi_lo, phi_hi = phi_w0.copy(), phi_w1.copy()  # lo = w0 and lo + length = w1 uncut
    moved = np.flatnonzero(cut | (length != width))
    if moved.size:
        pm, qm = p[moved], q[moved]
        phi_lo[moved] = phi.value(lo[moved], pm, qm)
        phi_hi[moved] = phi.value(lo[moved] + length[moved], pm, qm)
    variation = 2.0 * phi_max - phi_lo - phi_hi
    # (at most 2 (_CUT + _DROP) once the cuts converged; only absurd parameters, where φ
    # is rounded to more than _CUT, leave it larger, and there the cap bounds the cost)
    variation = np.clip(np.where(np.isfinite(variation), variation, 0.0), 0.0, 2 * (_CUT + _DROP))
    need = np.maximum(np.maximum(length / _PANEL, variation / _DROP), 1.0)
    level = np.ceil(np.log2(need)).astype(np.int64)
    level = np.clip(level, 0, _MAX_LEVEL)
    for k in np.flatnonzero(np.bincount(level)):  # the levels present, ascending
        group = np.flatnonzero(level == k)
        panels = 1 << int(k)
        offsets = ((np.arange(panels)[:, None] + (_GL_U[None, :] + 1.0) / 2.0) / panels).ravel()
        weights = np.tile(_GL_W, panels) / (2.0 * panels)
        per_block = max(1, _BLOCK // offsets.size)
        for start in range(0, group.size, per_block):
            g = group[start : start + per_block]
            # the same operations as written out in the module docstring, in place
            # (fewer temporaries; the same numbers)
            w = length[g, None] * offsets[None, :]
            w += lo[g, None]
            near = np.exp(w)  # τ + c, the factor with the smaller scale
            far = near + d if d > 0 else near  # τ + max(α, β)
            log_far = np.log(far) if d > 0 else w
            mass = (1.0 - p[g, None]) * w
            scratch = np.multiply(q[g, None], log_far)
            mass -= scratch
            mass -= phi_max[g, None]
            np.minimum(mass, 0.0, out=mass)
            np.exp(mass, out=mass)
            mass *= weights
            total = mass.sum(axis=1)
            log_i[rows[g]] = phi_max[g] + np.log(length[g] * total)
            if mom is not None:
                # expectations under the normalised integrand: weighted sums / total
                pairs = ((w, near), (log_far, far))
                (log_a, a_tau), (log_b, b_tau) = pairs if alpha_low else pairs[::-1]
                mom[0, rows[g]] = np.einsum("ij,ij->i", mass, log_a) / total
                mom[1, rows[g]] = np.divide(mass, a_tau, out=scratch).sum(axis=1) / total
                mom[2, rows[g]] = np.einsum("ij,ij->i", mass, log_b) / total
                mom[3, rows[g]] = np.divide(mass, b_tau, out=scratch).sum(axis=1) / total
                if second:
                    _covariances(mom, rows[g], mass / total[:, None], (log_a, a_tau, log_b, b_tau))
    return log_i, mom


def _covariances(
    mom: np.ndarray, at: np.ndarray, share: np.ndarray, nodes: tuple[np.ndarray, ...]
) -> None:
    """Write into ``mom[4:, at]`` the covariances of ln(α+τ), 1/(α+τ), ln(β+τ), 1/(β+τ)
    under the normalised integrand (`share`: the quadrature weights of each row's nodes,
    summing to 1), as ``E[f_i f_j] - E[f_i] E[f_j]`` with the means in ``mom[:4, at]``.

    (Second moments about zero, not about the means: cheaper by a third, and what is lost
    to cancellation, at most ~1e-16 times the squared mean, is far below what the sums over
    customers need.)"""
    log_a, a_tau, log_b, b_tau = nodes
    features = (log_a, 1.0 / a_tau, log_b, 1.0 / b_tau)
    means = mom[:4, at]
    k = 4
    for i in range(4):
        weighted = share * features[i]
        for j in range(i, 4):
            mom[k, at] = np.einsum("ij,ij->i", weighted, features[j]) - means[i] * means[j]
            k += 1
