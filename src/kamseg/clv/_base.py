"""Shared machinery of the lifetime-value models: data preparation, maximum likelihood,
standard errors, the immutable fit result.

Every model is described by a :class:`ModelSpec`: how to turn the user's data into arrays
(with identical rows collapsed into weights), its log-likelihood per row and, when the
model has one, the analytic gradient. :func:`maximize` fits any spec the same way:
BFGS on the logarithms of the (positive) parameters, a check that the optimum is real
(finite, gradient small), and standard errors from the observed information (the Hessian
of the log-likelihood: analytic where the spec has one, else differences of the gradient).
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from kamseg._state import state
from kamseg.clv._collapse import (
    SKIP_SHARE,
    chunked_sum,
    distinct_rows,
    factorize,
    in_background,
    unique_levels,
    unique_rows,
)
from kamseg.clv._covariance import inverse_information, numeric_covariances
from kamseg.clv._newton import newton_polish as _newton_polish
from kamseg.clv._newton import numeric_gradient as _numeric_gradient
from kamseg.errors import ConvergenceError

__all__ = [
    "DROPOUT_LR_MIN",
    "DROPOUT_SHARE_MIN",
    "PENALTY_HINT",
    "TRANSACTION_MODELS",
    "FitFailure",
    "FitResult",
    "ModelSpec",
    "Prepared",
    "as_params",
    "checked_params",
    "chunked_sum",
    "collapse",
    "discounted_sum",
    "factorize",
    "maximize",
    "prefetch_subsample",
    "unique_levels",
    "unique_rows",
]

ModelKind = Literal["transactions", "spend", "retention"]

#: The purchase models with an unobserved dropout process.
TRANSACTION_MODELS = ("bgnbd", "mbgnbd", "pareto_nbd")

#: How every "did not converge" message tells the user to pass a penalty.
PENALTY_HINT = (
    "pass an L2 penalty, e.g. penalty=0.001 (clv.fit), SegmentConfig(penalty=...) or "
    "--penalty in kamseg segment"
)

#: Dropout counts as identified only if the fitted model expects at least this share of the
#: fitted customers to have dropped out by their own T (the mean of 1 - P(alive)), and
#: judges at least this share more likely gone than alive (P(alive) < 0.5) ...
DROPOUT_SHARE_MIN = 0.01

#: ... and only if the data reject the no-dropout limit: a likelihood-ratio statistic
#: 2 (LL - LL without dropout) of at least the 5 % critical value of the boundary
#: distribution ½χ²₀ + ½χ²₁ (the 90 % quantile of χ²₁).
DROPOUT_LR_MIN = 2.705543454095404


class FitFailure(ConvergenceError):
    """A :class:`~kamseg.errors.ConvergenceError` that also carries where the optimiser
    ended: `log_likelihood` (-inf when it ended at non-finite parameters) and `params`
    (in the units of the reported parameters)."""

    def __init__(self, message: str, *, log_likelihood: float, params: np.ndarray) -> None:
        super().__init__(message)
        self.log_likelihood = log_likelihood
        self.params = params


@dataclass(frozen=True)
class Prepared:
    """Model-ready data: named float arrays of equal length plus a weight per row.

    `arrays` holds the distinct rows (e.g. ``x``, ``t_x``, ``T``); `weights` says how many
    customers (or cohort members) each row stands for. `n_obs` is the sum of the weights,
    the sample size used by BIC.
    """

    arrays: Mapping[str, np.ndarray]
    weights: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_obs(self) -> float:
        return float(self.weights.sum())

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]


# loglik(params, data) -> per-row log-likelihood (unweighted)
LogLik = Callable[[np.ndarray, Prepared], np.ndarray]
# gradient(params, data) -> weighted total gradient of the log-likelihood, natural scale
Gradient = Callable[[np.ndarray, Prepared], np.ndarray]


@dataclass(frozen=True)
class ModelSpec:
    """How to fit one model by maximum likelihood.

    Attributes
    ----------
    name
        The public model name ("bgnbd", ...).
    param_names
        Parameter names as in the papers, in the order the functions use.
    kind
        "transactions", "spend" or "retention".
    loglik
        ``loglik(params, data)``: per-row log-likelihood, natural-scale `params`.
    gradient
        ``gradient(params, data)``: the gradient of the *weighted total* log-likelihood
        with respect to the natural-scale parameters, or None (then finite differences).
    value_and_grad
        Optional fast path: ``(weighted total log-likelihood, gradient)`` in one pass
        (used by the optimiser when given).
    hessian
        Optional: ``hessian(params, data)``, the analytic Hessian of the weighted total
        log-likelihood (natural scale), for the standard errors in one pass over the data
        instead of one gradient pass per parameter.
    value_grad_hessian
        Optional: ``value_and_grad`` and ``hessian`` in one pass (the same numbers), used
        where the optimiser's last step is likely to be the estimates.
    initial
        ``initial(data)``: a starting point (natural scale, all positive).
    """

    name: str
    param_names: tuple[str, ...]
    kind: ModelKind
    loglik: LogLik
    initial: Callable[[Prepared], np.ndarray]
    gradient: Gradient | None = None
    value_and_grad: Callable[[np.ndarray, Prepared], tuple[float, np.ndarray]] | None = None
    hessian: Callable[[np.ndarray, Prepared], np.ndarray] | None = None
    value_grad_hessian: (
        Callable[[np.ndarray, Prepared], tuple[float, np.ndarray, np.ndarray]] | None
    ) = None


@state("clv.FitResult")
@dataclass(frozen=True, repr=False)
class FitResult:
    """An immutable maximum-likelihood fit.

    Attributes
    ----------
    model
        Model name, e.g. ``"bgnbd"``.
    params
        Estimates by the papers' names (read-only mapping).
    std_errors
        Asymptotic standard errors from the observed information (read-only mapping);
        NaN when the information matrix is singular.
    log_likelihood
        Log-likelihood at the estimates (without the penalty).
    n_obs
        Number of customers (or cohort members) the fit used.
    converged, n_iter, message
        Optimiser outcome. A returned result has always converged: a failed fit raises
        :class:`~kamseg.errors.ConvergenceError`.
    penalty
        The L2 penalty coefficient used (0 for plain maximum likelihood).
    covariance
        Covariance matrix of the estimates (natural scale), read-only.
    log_covariance
        Covariance of the log-parameters (used for intervals and simulation), read-only.
    freq
        Period of the data the model was fitted on ("D", "W", "M"), when known.
    boundary
        None for an ordinary (interior) maximum. For a transaction model whose likelihood
        is highest on the boundary of its parameter space, the limit it reached, one or two
        of these joined by ``"; "``:

        - ``"no dropout"``: nobody is expected to stop buying (BG/NBD, MBG/NBD: a/(a+b) -> 0;
          Pareto/NBD: s/β -> 0). The model is the NBD (gamma-Poisson) purchase model,
          parameters ``r``, ``alpha``; P(alive) = 1.
        - ``"all-or-nothing dropout"``: a share ``pi`` of the customers drops out at the
          first opportunity (BG/NBD: right after the first repeat purchase; MBG/NBD,
          Pareto/NBD: right after the first purchase), the others never (a, b -> 0;
          s, β -> 0); ``pi`` replaces the pair.
        - ``"no heterogeneity in purchase rates"``: every customer buys at the same rate
          ``lambda`` = r/α (r, α -> ∞); ``lambda`` replaces ``r`` and ``alpha``.
        - ``"no heterogeneity in dropout"``: every customer has the same dropout probability
          ``p`` = a/(a+b) after each purchase (BG/NBD, MBG/NBD: a, b -> ∞) or the same
          dropout rate ``mu`` = s/β (Pareto/NBD: s, β -> ∞); it replaces the pair.

        For ``"gamma_gamma"``: ``"no heterogeneity in spend"`` (q, γ -> ∞: one mean spend
        p/ν for everyone; ``p``, ``nu``), ``"no spend variation within customers"`` (p -> ∞:
        each spends their own mean; ``q``, ``delta``), or both (one ``spend``), see
        :mod:`kamseg.clv.gamma_gamma`.

        `params` then holds the parameters of that limit model (e.g. ``r``, ``alpha`` for
        "no dropout") and `aic`/`bic` count them; predictions use the limit formulas.
    dropout_share
        Transaction models: the share of the fitted customers the model expects to have
        dropped out by their own T, the weighted mean of ``1 - P(alive)`` (0 with no
        dropout). None for other models.
    lapsed_share
        Transaction models: the share of the fitted customers more likely gone than alive,
        ``P(alive) < 0.5`` (0 with no dropout). None for other models.
    dropout_lr
        Transaction models: the likelihood-ratio statistic ``2 (LL - LL0)`` against the
        best fit without dropout (NBD, or Poisson when that is better), 0 at the no-dropout
        boundary. None for other models. (With a penalty, both log-likelihoods are those of
        the penalised estimates.)
    T_range
        Transaction models: (min, median, max) of the fitted customers' T, in the fit's
        periods; :func:`kamseg.clv.predict` compares a table without ``attrs["freq"]`` with
        it. None for other models (and for models saved before it existed).
    """

    model: str
    params: Mapping[str, float]
    std_errors: Mapping[str, float]
    log_likelihood: float
    n_obs: float
    converged: bool
    n_iter: int
    message: str
    penalty: float
    covariance: np.ndarray
    log_covariance: np.ndarray
    freq: str | None = None
    boundary: str | None = None
    dropout_share: float | None = None
    lapsed_share: float | None = None
    dropout_lr: float | None = None
    T_range: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:  # read-only, also when rebuilt from a saved model
        for name in ("params", "std_errors"):
            value = getattr(self, name)
            if not isinstance(value, types.MappingProxyType):
                object.__setattr__(self, name, types.MappingProxyType(dict(value)))
        for name in ("covariance", "log_covariance"):
            value = getattr(self, name)
            if isinstance(value, np.ndarray) and value.flags.writeable:
                value = value.copy()
                value.flags.writeable = False
                object.__setattr__(self, name, value)

    @property
    def n_params(self) -> int:
        """Number of estimated parameters (of the limit model for a boundary fit)."""
        return len(self.params)

    @property
    def dropout_identified(self) -> bool | None:
        """Whether the data identify dropout, so that P(alive) can tell lapsed customers.

        For ``"bgnbd"``, ``"mbgnbd"`` and ``"pareto_nbd"``: False at the ``"no dropout"``
        boundary, and False when the fitted dropout is negligible or cannot be told apart:

        - the model expects fewer than 1 % of the fitted customers to have dropped out by
          their own T (`dropout_share` < 0.01);
        - it judges fewer than 1 % of them more likely gone than alive (`lapsed_share`
          < 0.01: P(alive) flags almost nobody, e.g. every P(alive) above 0.88);
        - or the data do not reject the no-dropout model (`dropout_lr` below 2.71, the 5 %
          critical value of the ½χ²₀ + ½χ²₁ distribution of a likelihood ratio at a
          boundary; approximate, since b or β is not identified without dropout).

        True otherwise. None for the other models, and for a result built without these
        diagnostics.
        """
        if self.model not in TRANSACTION_MODELS:
            return None
        if self.boundary is not None and "no dropout" in self.boundary.split("; "):
            return False
        if self.dropout_share is None or self.lapsed_share is None or self.dropout_lr is None:
            return None
        return (
            self.dropout_share >= DROPOUT_SHARE_MIN
            and self.lapsed_share >= DROPOUT_SHARE_MIN
            and self.dropout_lr >= DROPOUT_LR_MIN
        )

    @property
    def aic(self) -> float:
        """Akaike information criterion, ``2k - 2 LL``."""
        return 2 * self.n_params - 2 * self.log_likelihood

    @property
    def bic(self) -> float:
        """Bayesian information criterion, ``k ln(n) - 2 LL``."""
        return self.n_params * math.log(self.n_obs) - 2 * self.log_likelihood

    def values(self) -> np.ndarray:
        """Parameter estimates as an array, in `params` order."""
        return np.array(list(self.params.values()), dtype=np.float64)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals for the parameters.

        Built on the log scale (``exp(log θ ± z·se(log θ))``, delta method), so they stay
        positive and are asymmetric, as the likelihood usually is.
        """
        from scipy.stats import norm

        z = float(norm.ppf(0.5 + level / 2))
        est = self.values()
        se_log = np.sqrt(np.clip(np.diag(self.log_covariance), 0, None))
        return pd.DataFrame(
            {"lower": est * np.exp(-z * se_log), "upper": est * np.exp(z * se_log)},
            index=pd.Index(list(self.params), name="param"),
        )

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Estimates, standard errors and confidence intervals, one row per parameter."""
        table = pd.DataFrame(
            {"estimate": self.values(), "std_error": list(self.std_errors.values())},
            index=pd.Index(list(self.params), name="param"),
        )
        return table.join(self.conf_int(level))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        at = "" if self.boundary is None else f", boundary={self.boundary!r}"
        return (
            f"FitResult(model={self.model!r}, {shown}, log_likelihood={self.log_likelihood:.2f}, "
            f"n_obs={self.n_obs:g}{at})"
        )


def discounted_sum(discount: np.ndarray, monthly: np.ndarray) -> np.ndarray:
    """``discount @ monthly`` (shape ``(k,)`` by ``(k, n)``) summed month by month in order,
    so that each customer's value does not depend on how many others are predicted with it
    (a BLAS product blocks the columns differently for other ``n``)."""
    total = np.zeros(monthly.shape[1:])
    for weight, row in zip(discount, monthly, strict=True):
        total += weight * row
    return total


def as_params(params: Any) -> np.ndarray:
    """Parameters as a float array: from a FitResult, a mapping in model order, or numbers."""
    if isinstance(params, FitResult):
        return params.values()
    if isinstance(params, Mapping):
        return np.array(list(params.values()), dtype=np.float64)
    return np.asarray(params, dtype=np.float64)


def checked_params(params: Any, *, model: str, names: tuple[str, ...], func: str) -> np.ndarray:
    """Validated positive, finite parameters of `model`, in the order of `names`.

    Accepts a :class:`FitResult` of that model, a mapping by parameter name, or the values
    in order; anything else is a :class:`~kamseg.errors.ConfigError` saying what is wrong.
    """
    from kamseg.errors import ConfigError

    if isinstance(params, FitResult):
        if params.model != model:
            raise ConfigError(
                f"{func}: `params` is a fit of model {params.model!r}, not {model!r}. "
                f"Hint: pass the result of fitting the {model!r} model."
            )
        params = params.params
    if isinstance(params, Mapping):
        missing = [n for n in names if n not in params]
        if missing:
            raise ConfigError(
                f"{func}: `params` lacks {', '.join(map(repr, missing))}; it has "
                f"{', '.join(map(repr, params))}. Hint: name them {names}."
            )
        values = np.array([params[n] for n in names], dtype=np.float64)
    else:
        values = np.asarray(params, dtype=np.float64).reshape(-1)
        if values.size != len(names):
            raise ConfigError(
                f"{func}: `params` must hold {len(names)} values ({', '.join(names)}); "
                f"got {values.size}."
            )
    if not (np.all(np.isfinite(values)) and np.all(values > 0)):
        raise ConfigError(
            f"{func}: the parameters (`params`) must be positive and finite; got "
            f"{dict(zip(names, values.tolist(), strict=True))}."
        )
    return values


def collapse(columns: Mapping[str, np.ndarray], weights: np.ndarray | None = None) -> Prepared:
    """Collapse identical rows of `columns` into distinct rows with summed weights.

    Rows are merged by :func:`~kamseg.clv._collapse.distinct_rows` (one sort of packed
    whole numbers, or hashing), in no particular order; when one column has more than
    90 % distinct values (continuous time) the rows are kept as they are, each with its
    own weight: the fit is the same.
    ``extra["levels"]`` keeps, per column, its sorted distinct values and each row's
    index into them, for models that compute terms once per distinct value.
    """
    rows, wsum, levels = distinct_rows(columns, weights, skip_share=SKIP_SHARE)
    return Prepared(rows, wsum, {"levels": levels})  # whole counts are exact in float64


def maximize(
    spec: ModelSpec,
    data: Prepared,
    *,
    penalty: float = 0.0,
    initial: np.ndarray | None = None,
    freq: str | None = None,
    max_iter: int = 1000,
    to_units: np.ndarray | None = None,
    ll_offset: float = 0.0,
    box: float | None = None,
) -> FitResult:
    """Fit `spec` to `data` by (optionally L2-penalised) maximum likelihood.

    The objective is ``-LL / n + penalty * sum(params ** 2)`` (the penalty of lifetimes'
    ``penalizer_coef``), minimised by BFGS over ``log(params)``.

    `data` may be in other units than the reported parameters (the transaction models
    fit on time rescaled so that the longest T is 1): `to_units` multiplies each fitted
    parameter into the reported one (the covariance follows), and `ll_offset` is added to
    the log-likelihood (the Jacobian of the time rescaling). `initial` is in the units of
    `data`.

    BFGS ends at the first point where every component of the gradient of the objective
    (in log-parameters) is at most 1e-8, even inside a line search (which on a million
    customers would otherwise spend dozens of passes comparing values equal up to
    rounding), followed, after a warm start, by one quasi-Newton step with the warm
    start's curvature. Measured against Newton iterations run to a gradient of 1e-14, the
    estimates are within 5e-9 relative (BG/NBD on 300k continuous-time and 1M daily
    customers); the former stop was up to 3.3e-8 away. (The step is skipped when the
    gradient is already below 1e-9.)

    With `box`, the search stays where every ``|log(param)| <= box`` (the objective is
    a wall outside) and ends after the Newton steps, without the derivative-free last
    resort: a quick fit for limit models and for checks near a boundary.

    Raises
    ------
    FitFailure
        (a :class:`~kamseg.errors.ConvergenceError`) If the optimiser fails, the estimates
        are not finite, or the gradient at the reported optimum is not close to zero.
    """
    from scipy.optimize import minimize

    memo: dict[str, Any] = {}
    objective, total_ll = _make_objective(spec, data, penalty, box=box, memo=memo)
    n = data.n_obs
    units = np.ones(len(spec.param_names)) if to_units is None else np.asarray(to_units)

    def failure(message: str, theta: np.ndarray) -> FitFailure:
        with np.errstate(all="ignore"):
            params = np.exp(theta)
            ll = total_ll(params) + ll_offset if np.all(np.isfinite(params)) else -math.inf
        ll = ll if math.isfinite(ll) else -math.inf
        return FitFailure(message, log_likelihood=ll, params=params * units)

    start = spec.initial(data) if initial is None else np.asarray(initial, dtype=np.float64)
    theta = np.log(start)
    options: dict[str, Any] = {"gtol": 1e-8, "maxiter": max_iter}
    # 0) on large data, a warm start from a random ~2 % of the customers: the full-data
    #    BFGS then needs a few iterations instead of ~20, each costing a pass over the data
    sub = _subsample(data, target=_WARM_START_ROWS)
    if sub is not None:
        sub_objective, _ = _make_objective(spec, sub, penalty, box=box)
        warm = minimize(sub_objective, theta, jac=True, method="BFGS", options=options)
        if np.all(np.isfinite(warm.x)) and sub_objective(warm.x)[0] < 1e299:
            theta = warm.x
            hess_inv = np.asarray(warm.hess_inv)
            hess_inv = (hess_inv + hess_inv.T) / 2
            if np.all(np.isfinite(hess_inv)):
                try:
                    np.linalg.cholesky(hess_inv)
                    options["hess_inv0"] = hess_inv
                except np.linalg.LinAlgError:
                    pass
    # 1) quasi-Newton to the neighbourhood of the optimum. It stops at the first point
    #    whose gradient meets `gtol`, even inside a line search: near the optimum of a
    #    large data set the mean log-likelihood changes by less than its rounding, so
    #    the Wolfe line search rejects such a point and spends dozens of passes over the
    #    data on values that differ only by rounding (then BFGS ends at an earlier point,
    #    with a larger gradient).
    stopping, _ = _make_objective(spec, data, penalty, box=box, stop_at=options["gtol"], memo=memo)
    done = [0]

    def count(*_: Any) -> None:
        done[0] += 1

    try:
        res = minimize(stopping, theta, jac=True, method="BFGS", options=options, callback=count)
        theta, n_iter = res.x, int(res.nit)
        outcome = "BFGS stopped" if res.success else str(res.message)
    except _Converged as stop:
        theta, n_iter, outcome = stop.theta, done[0] + 1, "converged"
        h0 = options.get("hess_inv0")
        grad = memo["grad"]
        if h0 is not None and float(np.max(np.abs(grad))) > options["gtol"] / 10:
            # one quasi-Newton step with the warm start's curvature: a gradient of
            # ~1e-9 shrinks by about the accuracy of that curvature, at one more pass
            trial = theta - h0 @ grad
            # usually the estimates: their Hessian (standard errors) comes in the same pass
            value, trial_grad = objective(trial, hessian=True)
            if value < 1e299 and float(np.max(np.abs(trial_grad))) < float(np.max(np.abs(grad))):
                theta = trial
    if not np.all(np.isfinite(theta)) or objective(theta)[0] >= 1e299:
        raise failure(
            f"fit({spec.name!r}): the optimiser ended at non-finite parameters "
            f"({outcome}). Hint: check the data, or {PENALTY_HINT}, to regularise.",
            np.where(np.isfinite(theta), theta, np.nan),
        )
    # 2) Newton steps with a finite-difference Hessian of the analytic gradient: quadratic
    #    convergence, so the estimates are exact to many digits at a small fixed cost
    grad = objective(theta)[1]
    if float(np.max(np.abs(grad))) > 1e-6:
        theta, grad, newton_iter = _newton_polish(objective, theta)
        n_iter += newton_iter
    if float(np.max(np.abs(grad))) > 1e-6 and box is not None:
        raise failure(
            f"fit({spec.name!r}) did not converge: gradient {np.round(grad, 8).tolist()}. "
            f"Hint: {PENALTY_HINT}.",
            theta,
        )
    if float(np.max(np.abs(grad))) > 1e-6:
        # a last resort from the reached point: derivative-free, then Newton again
        res = minimize(
            lambda t: objective(t)[0],
            theta,
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-15, "maxiter": 2000, "maxfev": 2000},
        )
        theta, grad, newton_iter = _newton_polish(objective, res.x)
        n_iter += int(res.nit) + newton_iter
        if float(np.max(np.abs(grad))) > 1e-6 or not np.all(np.isfinite(theta)):
            shown = np.round(np.exp(theta) * units, 6).tolist()
            raise failure(
                f"fit({spec.name!r}) did not converge: the gradient {np.round(grad, 8).tolist()} "
                f"at parameters {shown} is not close to 0. Hint: {PENALTY_HINT}, or check "
                "that the data suit this model.",
                theta,
            )
    params_fit = np.exp(theta)
    at_last = memo.get("key") == theta.tobytes() and memo.get("g_nat") is not None
    at_last = at_last and "ll" in memo
    # the last evaluation was at the estimates (usually): its log-likelihood and gradient
    # serve again instead of two more passes over the data
    ll = (float(memo["ll"]) if at_last else total_ll(params_fit)) + ll_offset
    g0 = np.asarray(memo["g_nat"]) if at_last else None
    hess = memo.get("hess")
    h0 = hess[1] if hess is not None and hess[0] == params_fit.tobytes() else None
    cov, log_cov = _covariances(spec, data, params_fit, g0=g0, hess=h0)
    with np.errstate(all="ignore"):
        params = params_fit * units
        cov = cov * np.outer(units, units)
    if not (np.all(np.isfinite(cov)) and np.all(np.isfinite(params)) and math.isfinite(ll)):
        raise failure(
            f"fit({spec.name!r}): the likelihood has no proper maximum here (its curvature "
            f"is singular at {np.round(params, 6).tolist()}), so the parameters are not "
            f"identified by these data. Hint: fit on more customers, or {PENALTY_HINT}.",
            theta,
        )
    names = spec.param_names
    se = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.nan))
    cov.setflags(write=False)
    log_cov.setflags(write=False)
    return FitResult(
        model=spec.name,
        params=types.MappingProxyType({k: float(v) for k, v in zip(names, params, strict=True)}),
        std_errors=types.MappingProxyType({k: float(v) for k, v in zip(names, se, strict=True)}),
        log_likelihood=ll,
        n_obs=n,
        converged=True,
        n_iter=n_iter,
        message="converged: gradient of the mean log-likelihood below 1e-6",
        penalty=float(penalty),
        covariance=cov,
        log_covariance=log_cov,
        freq=freq,
    )


_WARM_START_ROWS = 20_000


def _subsample(data: Prepared, *, target: int) -> Prepared | None:
    """A random subset of the customers behind `data` (about `target` of them), or None.

    Each customer is kept with the same probability, so the subsample's distinct rows get
    binomially thinned weights; the seed is fixed, so fits are reproducible. The subsample
    is kept in ``data.extra`` (the boundary search fits several models to the same data:
    the same draw serves each, without another pass of binomial draws).
    """
    key = f"warm_start_sample_{target}"
    if key in data.extra:
        cached: Prepared | None = data.extra[key]
        return cached
    sub = _draw_subsample(data, target=target)
    data.extra[key] = sub
    return sub


def prefetch_subsample(data: Prepared, *, target: int = _WARM_START_ROWS) -> None:
    """Start drawing the customers of :func:`_subsample` on the second thread (the draw
    depends on the weights only; the same draw as without prefetching)."""
    weights = data.weights
    data.extra[f"warm_start_draw_{target}"] = in_background(lambda: _draw(weights, target))


def _draw(weights: np.ndarray, target: int) -> np.ndarray | None:
    """How many of each row's customers the subsample keeps, or None (too few customers,
    or weights that are not counts)."""
    n = float(weights.sum())
    if n < 5 * target:
        return None
    rng = np.random.default_rng(20051)
    counts = weights.astype(np.int64)  # whole counts (checked): as rint would give
    if not np.array_equal(counts, weights) or counts.min() < 0:
        return None
    kept: np.ndarray = rng.binomial(counts, target / n)
    return kept


def _draw_subsample(data: Prepared, *, target: int) -> Prepared | None:
    pending = data.extra.pop(f"warm_start_draw_{target}", None)
    kept = _draw(data.weights, target) if pending is None else pending()
    if kept is None:
        return None
    rows = np.flatnonzero(kept)  # one scan of the draws, then small gathers
    arrays = {k: v.take(rows) for k, v in data.arrays.items()}
    return Prepared(arrays, kept.take(rows).astype(np.float64))


class _Converged(Exception):
    """Raised by an objective with `stop_at` at the first point whose gradient is that
    small: BFGS's line search would otherwise go on comparing values that differ only by
    rounding (see :func:`maximize`)."""

    def __init__(self, theta: np.ndarray) -> None:
        super().__init__()
        self.theta = theta


#: An objective with a stop computes the Hessian along with the value and gradient (when
#: the spec can, in one pass) once the last gradient was at most this many times the
#: stop: BFGS near the optimum cuts the gradient ~50-fold per step, so the next point
#: usually stops the search, and its Hessian gives the standard errors.
_HESSIAN_AHEAD = 30.0


class _Objective(Protocol):
    """``objective(log params) -> (value, gradient)``; with ``hessian=True`` the spec's
    Hessian at the point is kept too (see :func:`_make_objective`)."""

    def __call__(
        self, theta: np.ndarray, *, hessian: bool = False
    ) -> tuple[float, np.ndarray]: ...


def _make_objective(
    spec: ModelSpec,
    data: Prepared,
    penalty: float,
    *,
    box: float | None = None,
    stop_at: float | None = None,
    memo: dict[str, Any] | None = None,
) -> tuple[_Objective, Callable[[np.ndarray], float]]:
    """(objective(log params) -> (value, gradient), total log-likelihood(params)).

    The objective remembers its last evaluation in `memo` (also the log-likelihood
    ``"ll"`` and natural-scale gradient ``"g_nat"`` there, and with ``hessian=True``, when
    the spec has ``value_grad_hessian``, ``"hess"``: the natural-scale parameters' bytes
    and the Hessian there), so asking again for the same point costs nothing; with
    `stop_at` it raises :class:`_Converged` at the first point whose largest gradient
    component is at most `stop_at` (and asks for the Hessian from the point after one
    within ``_HESSIAN_AHEAD * stop_at``).
    """
    n = data.n_obs
    w = data.weights
    memo = {} if memo is None else memo

    def total_ll(params: np.ndarray) -> float:
        return float((w * spec.loglik(params, data)).sum())  # no BLAS threads (np.dot)

    def ll_and_grad(params: np.ndarray) -> tuple[float, np.ndarray | None]:
        if spec.value_and_grad is not None:
            return spec.value_and_grad(params, data)
        g = spec.gradient(params, data) if spec.gradient is not None else None
        return total_ll(params), g

    def objective(theta: np.ndarray, *, hessian: bool = False) -> tuple[float, np.ndarray]:
        key = theta.tobytes()
        if memo.get("key") == key:
            return memo["value"], memo["grad"].copy()
        if stop_at is not None and memo.get("value", 1e300) < 1e299:
            # the last gradient was near the stop: this point is likely the estimates
            near = float(np.max(np.abs(memo["grad"]))) <= _HESSIAN_AHEAD * stop_at
            hessian = hessian or near
        memo.pop("ll", None)
        memo.pop("g_nat", None)
        value, grad = evaluate(theta, hessian)
        memo.update(key=key, value=value, grad=grad)
        if stop_at is not None and value < 1e299 and float(np.max(np.abs(grad))) <= stop_at:
            raise _Converged(theta.copy())
        return value, grad.copy()

    def evaluate(theta: np.ndarray, hessian: bool) -> tuple[float, np.ndarray]:
        with np.errstate(all="ignore"):
            params = np.exp(theta)
        if not np.all((params > 0) & np.isfinite(params)):  # under- or overflow
            return 1e300, np.zeros_like(theta)
        if box is not None and float(np.max(np.abs(theta))) > box:
            return 1e300, np.zeros_like(theta)
        with np.errstate(all="ignore"):
            g_nat: np.ndarray | None
            if hessian and spec.value_grad_hessian is not None:
                ll, g_nat, hess = spec.value_grad_hessian(params, data)
                memo["hess"] = (params.tobytes(), hess)
            else:
                ll, g_nat = ll_and_grad(params)
        memo.update(ll=ll, g_nat=g_nat)
        if not math.isfinite(ll):
            return 1e300, np.zeros_like(theta)
        value = -ll / n + penalty * float(np.sum(params**2))
        if g_nat is None:
            g_theta = _numeric_gradient(
                lambda t: -total_ll(np.exp(t)) / n + penalty * float(np.sum(np.exp(2 * t))),
                theta,
            )
        else:
            g_theta = (-g_nat / n + 2 * penalty * params) * params
        if not np.all(np.isfinite(g_theta)):
            return 1e300, np.zeros_like(theta)
        return value, g_theta

    return objective, total_ll


def _covariances(
    spec: ModelSpec,
    data: Prepared,
    params: np.ndarray,
    *,
    g0: np.ndarray | None = None,
    hess: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Inverse observed information on the natural and on the log scale (`g0`: the
    gradient at `params`, `hess`: the spec's Hessian there, when already known)."""
    k = params.size
    if spec.hessian is not None:
        with np.errstate(all="ignore"):
            if hess is None:
                hess = spec.hessian(params, data)
            hess = np.asarray(hess, dtype=np.float64)
        cov = inverse_information(-(hess + hess.T) / 2)
        return cov, cov / np.outer(params, params)
    if spec.value_and_grad is None and spec.gradient is None:
        return numeric_covariances(spec, data, params)

    def grad_nat(p: np.ndarray) -> np.ndarray:
        if spec.value_and_grad is not None:
            return spec.value_and_grad(p, data)[1]
        assert spec.gradient is not None
        return spec.gradient(p, data)

    hess = np.empty((k, k))
    with np.errstate(all="ignore"):
        g0 = grad_nat(params) if g0 is None else g0
        for i in range(k):
            # forward differences: k gradient calls; relative accuracy ~1e-5 is ample for
            # standard errors
            h = 1e-6 * params[i]
            up = params.copy()
            up[i] += h
            hess[:, i] = (grad_nat(up) - g0) / h
    hess = (hess + hess.T) / 2
    cov = inverse_information(-hess)
    # d(log p) = dp / p  ->  cov_log = D^-1 cov D^-1 with D = diag(p)
    log_cov = cov / np.outer(params, params)
    return cov, log_cov
