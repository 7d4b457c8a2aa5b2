"""The shifted-beta-geometric (sBG) model of contract renewals (retention).

Each customer of a cohort renews their contract at the end of every period with
probability ``1 - θ`` and, once lost, never returns, so their lifetime ``T`` (the period in
which they leave) is geometric, ``P(T = t | θ) = θ (1 - θ)^(t - 1)``, ``t = 1, 2, ...``.
Churn probabilities vary across customers, ``θ ~ Beta(γ, δ)`` (Fader & Hardie, 2007):

- survival ``S(t) = P(T > t) = B(γ, δ + t) / B(γ, δ)``;
- churn in period ``t``: ``P(T = t) = B(γ + 1, δ + t - 1) / B(γ, δ)``;
- retention rate ``r(t) = S(t) / S(t - 1) = (δ + t - 1) / (γ + δ + t - 1)``, which rises
  with ``t`` (the customers most likely to leave leave first);
- discounted expected residual lifetime of a customer who has renewed ``n`` times
  (Fader & Hardie, 2010)
  ``DERL(d | γ, δ, n) = (δ + n)/(γ + δ + n) · 2F1(1, δ + n + 1; γ + δ + n + 1; 1/(1 + d))``.

The data of one cohort are the numbers of customers still active at the start of periods
``0, 1, ..., k`` (see :func:`prepare`). Probabilities are computed in log space
(``betaln``).

References
----------
Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention. *Journal of
Interactive Marketing*, 21(1), 76-90.

Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a contractual setting:
the perils of ignoring heterogeneity. *Marketing Science*, 29(1), 85-93.

Examples
--------
>>> from kamseg.clv._base import maximize
>>> from kamseg.clv._sbg import SPEC, prepare, survival
>>> regular = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie (2007)
>>> fit = maximize(SPEC, prepare(regular))
>>> {k: round(v, 3) for k, v in fit.params.items()}
{'gamma': 0.704, 'delta': 1.182}
>>> (1000 * survival(fit, [8, 12])).round(0).tolist()  # observed: 223 and 173
[220.0, 170.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, hyp2f1

from kamseg._validation import examples
from kamseg.clv._base import FitResult, ModelSpec, Prepared, checked_params
from kamseg.errors import ConfigError, EmptyInputError, SchemaError

__all__ = [
    "PARAM_NAMES",
    "SPEC",
    "churn_probability",
    "derl",
    "expected_lifetime",
    "gradient",
    "initial",
    "loglik",
    "prepare",
    "retention_rate",
    "survival",
    "value_and_grad",
]

PARAM_NAMES: tuple[str, str] = ("gamma", "delta")

ParamsLike = FitResult | Mapping[str, float] | Sequence[float] | np.ndarray
ArrayLike = float | int | Sequence[float] | np.ndarray | pd.Series


# --- parameters and inputs ------------------------------------------------------------------


def _params(params: ParamsLike, func: str) -> tuple[float, float]:
    """Return ``(γ, δ)`` from an array, a mapping by name or a :class:`FitResult`."""
    values = checked_params(params, model="sbg", names=PARAM_NAMES, func=func)
    return float(values[0]), float(values[1])


def _periods(t: ArrayLike, func: str, arg: str, low: float) -> np.ndarray:
    """`t` as a float array of finite values ``>= low``."""
    arr = np.asarray(t, dtype=np.float64)
    bad = ~np.isfinite(arr) | (arr < low)
    if bad.any():
        raise ConfigError(
            f"{func}: `{arg}` must be finite and >= {low:g}; got {examples(arr[bad].tolist())}."
        )
    return arr


# --- data preparation -----------------------------------------------------------------------


def prepare(
    survivors: Sequence[float] | np.ndarray | pd.Series, *, weights: float | None = None
) -> Prepared:
    """Turn a cohort's survivor counts into sBG model data.

    Parameters
    ----------
    survivors : sequence, ndarray or Series
        Numbers of customers still active at the start of periods ``0, 1, ..., k``
        (``k >= 1``), in that order; the first is the cohort size. Non-negative,
        non-increasing integers. A Series is read in its order, its index ignored.
    weights : float, optional
        A positive multiplier applied to every count (default 1): e.g. to give a cohort
        more or less weight. The estimates do not change, the log-likelihood and the
        standard errors scale with it.

    Returns
    -------
    Prepared
        ``k + 1`` rows: for ``t = 1..k`` the customers lost in period ``t``
        (``"churned" = 1``, weight ``s[t-1] - s[t]``, each contributing
        ``P(T = t) = B(γ+1, δ+t-1)/B(γ, δ)``), then the customers still active after
        period ``k`` (``"t" = k``, ``"churned" = 0``, weight ``s[k]``, each contributing
        ``S(k) = B(γ, δ+k)/B(γ, δ)``). Rows with a zero count are kept (they add 0).
        ``extra`` holds the survivor counts (``"survivors"``).

    Raises
    ------
    EmptyInputError
        If `survivors` is empty.
    ConfigError
        If `survivors` is not one-dimensional or has a single value, or `weights` is not
        a positive number.
    SchemaError
        If counts are missing, not numbers, negative, not integers, increase from one
        period to the next, or the cohort size is 0.

    Examples
    --------
    >>> data = prepare([1000, 631, 468])
    >>> data["t"].tolist(), data["churned"].tolist(), data.weights.tolist()
    ([1.0, 2.0, 2.0], [1.0, 1.0, 0.0], [369.0, 163.0, 468.0])
    """
    func = "sbg.prepare"
    if isinstance(survivors, pd.Series | pd.Index):
        raw = survivors.to_numpy()
    else:
        raw = np.asarray(survivors)
    if raw.ndim != 1:
        raise ConfigError(
            f"{func}: `survivors` must be one-dimensional (one cohort); got shape "
            f"{raw.shape}. Hint: fit each cohort separately."
        )
    if raw.size == 0:
        raise EmptyInputError(f"{func}: `survivors` is empty. Hint: pass the cohort's counts.")
    if raw.size < 2:
        raise ConfigError(
            f"{func}: `survivors` needs at least two values (the cohort size and the "
            f"survivors after one period); got {raw.tolist()}."
        )
    if raw.dtype.kind == "b":
        raise SchemaError(f"{func}: `survivors` holds booleans, not counts.")
    counts = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    bad = ~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts))
    if bad.any():
        raise SchemaError(
            f"{func}: {int(bad.sum())} value(s) of `survivors` are not non-negative integer "
            f"counts; examples: {examples(raw[bad].tolist())}. Hint: pass customer numbers."
        )
    if counts[0] <= 0:
        raise SchemaError(f"{func}: the cohort size (first value of `survivors`) is 0.")
    lost = counts[:-1] - counts[1:]
    up = np.flatnonzero(lost < 0)
    if up.size:
        shown = examples(f"{counts[i]:g} -> {counts[i + 1]:g} (period {i + 1})" for i in up)
        raise SchemaError(
            f"{func}: `survivors` must not increase, but it does {up.size} time(s): "
            f"{shown}. Hint: a cohort can only lose customers; pass survivor counts, not "
            "period-by-period customer counts that include newcomers."
        )
    scale = 1.0
    if weights is not None:
        if (
            isinstance(weights, bool)
            or not isinstance(weights, int | float | np.integer | np.floating)
            or not np.isfinite(weights)
            or weights <= 0
        ):
            raise ConfigError(f"{func}: `weights` must be a positive number; got {weights!r}.")
        scale = float(weights)
    k = counts.size - 1
    t = np.append(np.arange(1, k + 1, dtype=np.float64), float(k))
    churned = np.append(np.ones(k), 0.0)
    return Prepared(
        {"t": t, "churned": churned},
        np.append(lost, counts[-1]) * scale,
        extra={"survivors": counts},
    )


# --- likelihood -----------------------------------------------------------------------------


def loglik(params: np.ndarray, data: Prepared) -> np.ndarray:
    r"""Per-row log-likelihood of the sBG model (Fader & Hardie 2007, eq. 6).

    Rows of customers lost in period ``t`` contribute
    ``log P(T = t) = log B(γ + 1, δ + t - 1) - log B(γ, δ)``; the row of customers still
    active after the last period ``k`` contributes
    ``log S(k) = log B(γ, δ + k) - log B(γ, δ)``.

    Examples
    --------
    >>> import numpy as np
    >>> data = prepare([10, 6, 5])
    >>> np.exp(loglik(np.array([1.0, 1.0]), data)).round(4).tolist()  # 1/2, 1/6, 1/3
    [0.5, 0.1667, 0.3333]
    """
    g, d = (float(v) for v in np.asarray(params, dtype=np.float64))
    t, churned = data["t"], data["churned"]
    lost = betaln(g + 1, d + t - 1)
    kept = betaln(g, d + t)
    out: np.ndarray = np.where(churned > 0, lost, kept) - betaln(g, d)
    return out


def gradient(params: np.ndarray, data: Prepared) -> np.ndarray:
    """Exact gradient of the weighted total log-likelihood with respect to ``(γ, δ)``.

    With ``∂ log B(u, v)/∂u = ψ(u) - ψ(u + v)``.

    Examples
    --------
    >>> import numpy as np
    >>> data, p, h = prepare([1000, 631, 468, 382]), np.array([0.7, 1.2]), 1e-6
    >>> numeric = [(data.weights @ (loglik(p + h * e, data) - loglik(p - h * e, data)))
    ...            / (2 * h) for e in np.eye(2)]
    >>> bool(np.allclose(gradient(p, data), numeric, rtol=1e-6))
    True
    """
    g, d = (float(v) for v in np.asarray(params, dtype=np.float64))
    t, w = data["t"], data.weights
    lost = data["churned"] > 0
    dg = np.where(lost, digamma(g + 1), digamma(g)) - digamma(g + d + t)
    dd = np.where(lost, digamma(d + t - 1), digamma(d + t)) - digamma(g + d + t)
    total = float(w.sum())
    return np.array(
        [
            w @ dg - total * (digamma(g) - digamma(g + d)),
            w @ dd - total * (digamma(d) - digamma(g + d)),
        ]
    )


def value_and_grad(params: np.ndarray, data: Prepared) -> tuple[float, np.ndarray]:
    """The weighted total log-likelihood and its gradient (:func:`gradient`) together.

    Examples
    --------
    >>> import numpy as np
    >>> value, grad = value_and_grad(np.array([1.0, 1.0]), prepare([2, 1]))
    >>> round(value, 6) == round(2 * float(np.log(0.5)), 6), grad.shape
    (True, (2,))
    """
    return float(data.weights @ loglik(params, data)), gradient(params, data)


def initial(data: Prepared) -> np.ndarray:
    """Starting point of the fit: ``γ = δ = 1`` (uniform churn probabilities).

    Examples
    --------
    >>> initial(prepare([10, 5])).tolist()
    [1.0, 1.0]
    """
    return np.ones(2)


SPEC = ModelSpec(
    name="sbg",
    param_names=PARAM_NAMES,
    kind="retention",
    loglik=loglik,
    initial=initial,
    gradient=gradient,
    value_and_grad=value_and_grad,
)


# --- predictions ----------------------------------------------------------------------------


def survival(params: ParamsLike, t: ArrayLike) -> np.ndarray:
    """Survival function: share of a cohort still active after ``t`` periods.

    ``S(t) = P(T > t) = B(γ, δ + t) / B(γ, δ)`` (Fader & Hardie 2007, eq. 4), ``S(0) = 1``.
    Times the cohort size, the expected number of survivors.

    Parameters
    ----------
    params : FitResult, mapping or sequence
        ``(γ, δ)``: an sBG fit, a mapping by name, or 2 numbers in that order.
    t : array_like
        Periods, ``>= 0`` (usually integers).

    Returns
    -------
    ndarray
        ``S(t)``, of the shape of `t`.

    Examples
    --------
    >>> survival((1.0, 1.0), [0, 1, 3]).round(4).tolist()  # uniform θ: S(t) = 1/(t+1)
    [1.0, 0.5, 0.25]
    """
    g, d = _params(params, "sbg.survival")
    t_ = _periods(t, "sbg.survival", "t", 0.0)
    out: np.ndarray = np.exp(betaln(g, d + t_) - betaln(g, d))
    return out


def retention_rate(params: ParamsLike, t: ArrayLike) -> np.ndarray:
    """Retention rate: share of those active at the start of period ``t`` who renew.

    ``r(t) = S(t) / S(t - 1) = (δ + t - 1) / (γ + δ + t - 1)`` for ``t >= 1``
    (Fader & Hardie 2007, eq. 5). It increases with ``t``: heterogeneity, not a change in
    any customer's behaviour.

    Parameters
    ----------
    params : FitResult, mapping or sequence
        ``(γ, δ)``.
    t : array_like
        Periods, ``>= 1``.

    Returns
    -------
    ndarray
        ``r(t)``, of the shape of `t`.

    Examples
    --------
    >>> retention_rate((1.0, 1.0), [1, 2, 3]).round(4).tolist()
    [0.5, 0.6667, 0.75]
    """
    g, d = _params(params, "sbg.retention_rate")
    t_ = _periods(t, "sbg.retention_rate", "t", 1.0)
    out: np.ndarray = (d + t_ - 1) / (g + d + t_ - 1)
    return out


def churn_probability(params: ParamsLike, t: ArrayLike) -> np.ndarray:
    """Probability that a new customer is lost in period ``t``.

    ``P(T = t) = B(γ + 1, δ + t - 1) / B(γ, δ) = S(t - 1) - S(t)`` for ``t >= 1``
    (Fader & Hardie 2007, eq. 3).

    Parameters
    ----------
    params : FitResult, mapping or sequence
        ``(γ, δ)``.
    t : array_like
        Periods, ``>= 1``.

    Returns
    -------
    ndarray
        ``P(T = t)``, of the shape of `t`.

    Examples
    --------
    >>> churn_probability((1.0, 1.0), [1, 2, 3]).round(4).tolist()  # 1/(t(t+1))
    [0.5, 0.1667, 0.0833]
    """
    g, d = _params(params, "sbg.churn_probability")
    t_ = _periods(t, "sbg.churn_probability", "t", 1.0)
    out: np.ndarray = np.exp(betaln(g + 1, d + t_ - 1) - betaln(g, d))
    return out


def expected_lifetime(params: ParamsLike) -> float:
    """Expected lifetime of a new customer, in periods: ``E[T] = Σ_{t>=0} S(t)``.

    ``T`` counts the period in which the customer leaves (``T = 1``: lost at the first
    renewal), so ``E[T | θ] = 1/θ`` and ``E[T] = E[1/θ] = (γ + δ - 1)/(γ - 1)`` when
    ``γ > 1``. When ``γ <= 1`` the mean is infinite (``inf`` is returned): so many
    customers have a churn probability near 0 that the sum diverges; use :func:`derl`,
    which discounts, instead.

    Parameters
    ----------
    params : FitResult, mapping or sequence
        ``(γ, δ)``.

    Returns
    -------
    float

    Examples
    --------
    >>> expected_lifetime((3.0, 2.0))  # (3 + 2 - 1) / (3 - 1)
    2.0
    >>> expected_lifetime((0.704, 1.182))
    inf
    """
    g, d = _params(params, "sbg.expected_lifetime")
    if g <= 1:
        return float("inf")
    return (g + d - 1) / (g - 1)


def derl(params: ParamsLike, discount_rate: ArrayLike, n_renewals: ArrayLike = 0) -> np.ndarray:
    r"""Discounted expected residual lifetime of a customer who has renewed `n_renewals` times.

    Fader & Hardie (2010), eq. 6: for a customer active for ``n`` renewals, just before
    their ``(n+1)``-th renewal decision, the expected number of further periods, each
    discounted by ``1/(1+d)`` per period from the next renewal on:

    .. math::

        \mathrm{DERL}(d \mid γ, δ, n)
        = \sum_{t=0}^{\infty} \frac{S(n + 1 + t)}{S(n)} \frac{1}{(1 + d)^t}
        = \frac{δ + n}{γ + δ + n}\,
          {}_2F_1\!\left(1, δ + n + 1; γ + δ + n + 1; \frac{1}{1 + d}\right)

    The expected residual lifetime value is the margin per period times DERL. It grows
    with `n`: customers who have renewed many times are likely to have low churn
    probabilities.

    Parameters
    ----------
    params : FitResult, mapping or sequence
        ``(γ, δ)``.
    discount_rate : array_like
        Discount rate per period ``d >= 0``. With ``d = 0`` the result is the undiscounted
        expected residual lifetime, infinite when ``γ <= 1``.
    n_renewals : array_like, default 0
        Renewals made so far (``>= 0``); broadcast with `discount_rate`.

    Returns
    -------
    ndarray
        DERL in periods, of the broadcast shape of the inputs.

    Examples
    --------
    >>> derl((0.704, 1.182), 0.1, [0, 4]).round(3).tolist()
    [2.965, 5.894]
    >>> float(derl((3.0, 2.0), 0.0))  # undiscounted: S(1) Σ ... = (δ + n) / (γ - 1)
    1.0
    """
    func = "sbg.derl"
    g, d = _params(params, func)
    rate = _periods(discount_rate, func, "discount_rate", 0.0)
    n = _periods(n_renewals, func, "n_renewals", 0.0)
    rate, n = np.broadcast_arrays(rate, n)
    with np.errstate(divide="ignore", over="ignore"):
        z = 1.0 / (1.0 + rate)
        value = (d + n) / (g + d + n) * hyp2f1(1.0, d + n + 1, g + d + n + 1, z)
    out: np.ndarray = np.where((rate == 0) & (g <= 1), np.inf, value)
    return out
