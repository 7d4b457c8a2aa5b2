"""The beta-geometric/beta-binomial (BG/BB) model of discrete-time repeat transactions.

A customer has a fixed number of discrete transaction opportunities (yearly fund-raising
drives, annual events, ...). While "alive", at each opportunity they transact with
probability ``p``; after each opportunity they "die" (become permanently inactive) with
probability ``θ``. Across customers ``p ~ Beta(α, β)`` and ``θ ~ Beta(γ, δ)``
(Fader, Hardie & Shang, 2010).

The data of one customer are ``(x, t_x, n)``: ``x`` repeat transactions in the ``n``
opportunities after the first (the "frequency"), the last of them at opportunity ``t_x``
(the "recency", 0 if ``x = 0``). Customers with the same ``(x, t_x, n)`` are collapsed into
one row with a weight, as in the paper's recency/frequency matrix.

All probabilities are computed in log space with ``betaln``.

References
----------
Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base analysis in a
discrete-time noncontractual setting. *Marketing Science*, 29(6), 1086-1108.

Examples
--------
>>> import numpy as np
>>> from kamseg.clv._bgbb import p_alive
>>> params = (1.204, 0.750, 0.657, 2.783)  # the paper's donations estimates
>>> float(p_alive(params, x=6, t_x=6, n=6))  # gave at every opportunity
0.9...
>>> bool(p_alive(params, x=1, t_x=1, n=6) < p_alive(params, x=1, t_x=5, n=6))
True
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln

from kamseg._validation import check_columns, check_frame, examples, to_float
from kamseg.clv._base import FitResult, ModelSpec, Prepared, checked_params, collapse
from kamseg.errors import ConfigError, SchemaError

__all__ = [
    "PARAM_NAMES",
    "SPEC",
    "conditional_expected_purchases",
    "expected_purchases",
    "gradient",
    "initial",
    "loglik",
    "p_alive",
    "prepare",
    "probability_of_purchases",
    "value_and_grad",
]

PARAM_NAMES: tuple[str, str, str, str] = ("alpha", "beta", "gamma", "delta")

#: Below this distance from 1, ``γ`` is treated as 1 in the closed-form sums (their
#: ``1 / (γ - 1)`` factor is then replaced by its limit, a digamma difference).
_GAMMA_ONE_TOL = 1e-7

ParamsLike = FitResult | Mapping[str, float] | Sequence[float] | np.ndarray
ArrayLike = float | int | Sequence[float] | np.ndarray | pd.Series


# --- parameters and inputs ------------------------------------------------------------------


def _params(params: ParamsLike, func: str) -> tuple[float, float, float, float]:
    """Return ``(α, β, γ, δ)`` from an array, a mapping by name or a :class:`FitResult`."""
    values = checked_params(params, model="bgbb", names=PARAM_NAMES, func=func)
    a, b, g, d = (float(v) for v in values)
    return a, b, g, d


def _raw(params: np.ndarray) -> tuple[float, float, float, float]:
    """Unpack ``(α, β, γ, δ)`` without checks (the optimiser may probe any value)."""
    a, b, g, d = (float(v) for v in np.asarray(params, dtype=np.float64))
    return a, b, g, d


def _as_float(values: ArrayLike, func: str, arg: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise SchemaError(
            f"{func}: {int(bad.sum())} value(s) of `{arg}` are missing or infinite; "
            f"examples: {examples(arr[bad].tolist())}. Hint: drop or fill them first."
        )
    return arr


def _check_histories(
    x: np.ndarray, t_x: np.ndarray, n: np.ndarray, func: str, names: Sequence[str]
) -> None:
    """Check that ``(x, t_x, n)`` are consistent BG/BB histories; `names` label the args."""
    fx, ft, fn = names
    for arr, name in ((x, fx), (t_x, ft), (n, fn)):
        bad = (arr < 0) | (arr != np.round(arr))
        if bad.any():
            raise SchemaError(
                f"{func}: {int(bad.sum())} value(s) of {name} are not non-negative integers; "
                f"examples: {examples(arr[bad].tolist())}. Hint: the BG/BB model counts "
                "discrete transaction opportunities."
            )
    rules = (
        (t_x > n, f"{ft} > {fn} (last transaction after the last opportunity)"),
        (x > t_x, f"{fx} > {ft} (more transactions than opportunities up to the last one)"),
        ((x == 0) & (t_x != 0), f"{fx} == 0 but {ft} != 0 (recency must be 0 without repeats)"),
    )
    for bad, what in rules:
        if bad.any():
            shown = zip(x[bad].tolist(), t_x[bad].tolist(), n[bad].tolist(), strict=True)
            raise SchemaError(
                f"{func}: {int(bad.sum())} row(s) have {what}; examples ({fx}, {ft}, {fn}): "
                f"{examples((int(a), int(b), int(c)) for a, b, c in shown)}. Hint: check "
                "that the columns are frequency, recency and number of opportunities."
            )


def _histories(
    x: ArrayLike, t_x: ArrayLike, n: ArrayLike, func: str, *extra: ArrayLike
) -> tuple[np.ndarray, ...]:
    """Broadcast and validate prediction inputs (plus `extra` arrays, broadcast too)."""
    arrays = [_as_float(v, func, a) for v, a in ((x, "x"), (t_x, "t_x"), (n, "n"))]
    arrays += [_as_float(v, func, "m_star") for v in extra]
    try:
        arrays = list(np.broadcast_arrays(*arrays))
    except ValueError as exc:
        raise ConfigError(
            f"{func}: the shapes of the inputs do not broadcast together "
            f"({', '.join(str(np.shape(a)) for a in arrays)})."
        ) from exc
    bx, bt, bn = (a.reshape(-1) for a in arrays[:3])
    _check_histories(bx, bt, bn, func, ("`x`", "`t_x`", "`n`"))
    return tuple(arrays)


# --- data preparation -----------------------------------------------------------------------


def prepare(
    customers: pd.DataFrame,
    *,
    frequency_col: Hashable = "frequency",
    recency_col: Hashable = "recency",
    n_col: Hashable = "n_periods",
    weights_col: Hashable | None = None,
) -> Prepared:
    """Validate a recency/frequency table and collapse it into BG/BB model data.

    Parameters
    ----------
    customers : DataFrame
        One row per customer (or, with `weights_col`, per group of identical customers).
        Not modified.
    frequency_col : hashable, default "frequency"
        Number of repeat transactions ``x`` (opportunities with a transaction, after the
        first one).
    recency_col : hashable, default "recency"
        Opportunity of the last transaction ``t_x`` (0 if ``x = 0``).
    n_col : hashable, default "n_periods"
        Number of transaction opportunities ``n`` after the first transaction.
    weights_col : hashable, optional
        Number of customers each row stands for (non-negative, finite); default 1 per row.

    Returns
    -------
    Prepared
        Distinct ``(x, t_x, n)`` rows as float arrays ``"x"``, ``"t_x"``, ``"n"``, with
        the number of customers of each in ``weights``.

    Raises
    ------
    ColumnNotFoundError
        If a named column is missing.
    EmptyInputError
        If `customers` has no rows.
    SchemaError
        If values are missing, infinite, negative or not integers, if ``t_x > n``,
        ``x > t_x``, or ``x = 0`` with ``t_x > 0``, or if weights are negative or all zero.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.clv._bgbb import prepare
    >>> df = pd.DataFrame({"frequency": [0, 2, 2], "recency": [0, 5, 5], "n_periods": [6, 6, 6]})
    >>> data = prepare(df)
    >>> data["x"].tolist(), data["t_x"].tolist(), data.weights.tolist()
    ([0.0, 2.0], [0.0, 5.0], [1.0, 2.0])
    """
    func = "bgbb.prepare"
    check_frame(customers, func=func, arg="customers")
    cols = {
        "frequency_col": frequency_col,
        "recency_col": recency_col,
        "n_col": n_col,
        "weights_col": weights_col,
    }
    check_columns(customers, cols, func=func)
    arrays = {}
    for key, col in (("x", frequency_col), ("t_x", recency_col), ("n", n_col)):
        arr = to_float(customers[col], func=func, col=str(col))
        missing = np.isnan(arr)
        if missing.any():
            raise SchemaError(
                f"{func}: {int(missing.sum())} value(s) of column {col!r} are missing. "
                "Hint: drop or fill those rows first."
            )
        arrays[key] = arr
    _check_histories(
        arrays["x"],
        arrays["t_x"],
        arrays["n"],
        func,
        (repr(frequency_col), repr(recency_col), repr(n_col)),
    )
    weights = None
    if weights_col is not None:
        weights = to_float(customers[weights_col], func=func, col=str(weights_col))
        bad = np.isnan(weights) | (weights < 0)
        if bad.any():
            raise SchemaError(
                f"{func}: {int(bad.sum())} weight(s) in column {weights_col!r} are missing or "
                f"negative; examples: {examples(weights[bad].tolist())}. Hint: weights count "
                "customers."
            )
        if not weights.sum() > 0:
            raise SchemaError(
                f"{func}: the weights in column {weights_col!r} sum to 0. "
                "Hint: weights count customers."
            )
    return collapse(arrays, weights)


# --- likelihood -----------------------------------------------------------------------------


def _log_parts(
    params: tuple[float, float, float, float], x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Log of the likelihood's terms.

    Returns ``log A`` (alive through all ``n`` opportunities) per row, and for each
    ``i = 0, 1, ...`` the rows with ``i < n - t_x`` (index array) and their ``log B_i``
    (alive up to opportunity ``t_x + i``, dead after it).
    """
    a, b, g, d = params
    lb_ab = betaln(a, b)
    lb_gd = betaln(g, d)
    log_a = betaln(a + x, b + n - x) - lb_ab + betaln(g, d + n) - lb_gd
    gap = (n - t_x).astype(np.int64)
    # rows sorted by decreasing gap: those with gap > i are a prefix of `order`
    order = np.argsort(-gap, kind="stable")
    n_terms = int(gap.max()) if gap.size else 0
    active = np.searchsorted(-gap[order], -np.arange(n_terms), side="left")
    terms = []
    for i in range(n_terms):
        rows = order[: active[i]]
        xr, tr = x[rows], t_x[rows]
        log_b = betaln(a + xr, b + tr - xr + i) - lb_ab + betaln(g + 1, d + tr + i) - lb_gd
        terms.append((rows, log_b))
    return log_a, terms


def _loglik_arrays(
    params: tuple[float, float, float, float], x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> np.ndarray:
    log_a, terms = _log_parts(params, x, t_x, n)
    ll = log_a.copy()
    for rows, log_b in terms:
        ll[rows] = np.logaddexp(ll[rows], log_b)
    return ll


def loglik(params: np.ndarray, data: Prepared) -> np.ndarray:
    r"""Per-row log-likelihood of the BG/BB model (Fader, Hardie & Shang 2010, eq. 5).

    .. math::

        L(α, β, γ, δ \mid x, t_x, n) =
        \frac{B(α + x, β + n - x)}{B(α, β)} \frac{B(γ, δ + n)}{B(γ, δ)}
        + \sum_{i=0}^{n - t_x - 1}
        \frac{B(α + x, β + t_x - x + i)}{B(α, β)} \frac{B(γ + 1, δ + t_x + i)}{B(γ, δ)}

    The first term is the customer alive through all ``n`` opportunities; the ``i``-th
    term, alive through opportunity ``t_x + i`` and dead after it. Evaluated in log space
    (``betaln`` and ``logaddexp``).

    Parameters
    ----------
    params : ndarray
        ``(α, β, γ, δ)``, positive.
    data : Prepared
        From :func:`prepare` (arrays ``"x"``, ``"t_x"``, ``"n"``).

    Returns
    -------
    ndarray
        ``log L`` per row (unweighted).

    Examples
    --------
    >>> import numpy as np
    >>> from kamseg.clv._base import collapse
    >>> data = collapse({"x": np.array([0.0]), "t_x": np.array([0.0]), "n": np.array([1.0])})
    >>> # n = 1, no purchase: alive and no buy, or dead after opportunity 0
    >>> float(np.exp(loglik(np.array([1.0, 1.0, 1.0, 1.0]), data))[0])  # 1/2 * 1/2 + 1/2
    0.75
    """
    return _loglik_arrays(_raw(params), data["x"], data["t_x"], data["n"])


def gradient(params: np.ndarray, data: Prepared) -> np.ndarray:
    """Exact gradient of the weighted total log-likelihood with respect to ``(α, β, γ, δ)``.

    Each term of :func:`loglik` is a product of beta functions, so ``∂ log B(u, v) / ∂u =
    ψ(u) - ψ(u + v)`` gives its log-derivatives; the derivative of ``log L`` is their
    average weighted by each term's share of ``L``.

    Examples
    --------
    >>> import numpy as np
    >>> from kamseg.clv._base import collapse
    >>> data = collapse({"x": np.array([0.0, 2.0]), "t_x": np.array([0.0, 3.0]),
    ...                  "n": np.array([4.0, 4.0])})
    >>> p = np.array([1.2, 0.8, 0.7, 2.5])
    >>> h = 1e-6
    >>> numeric = [(loglik(p + h * e, data) - loglik(p - h * e, data)).sum() / (2 * h)
    ...            for e in np.eye(4)]
    >>> bool(np.allclose(gradient(p, data), numeric, rtol=1e-6))
    True
    """
    return value_and_grad(params, data)[1]


def value_and_grad(params: np.ndarray, data: Prepared) -> tuple[float, np.ndarray]:
    """The weighted total log-likelihood and its exact gradient (:func:`gradient`), in one pass.

    Examples
    --------
    >>> import numpy as np
    >>> from kamseg.clv._base import collapse
    >>> data = collapse({"x": np.array([0.0]), "t_x": np.array([0.0]), "n": np.array([1.0])})
    >>> value, grad = value_and_grad(np.ones(4), data)
    >>> round(value, 6) == round(float(np.log(0.75)), 6), grad.shape
    (True, (4,))
    """
    a, b, g, d = _raw(params)
    x, t_x, n, w = data["x"], data["t_x"], data["n"], data.weights
    log_a, terms = _log_parts((a, b, g, d), x, t_x, n)
    ll = log_a.copy()
    for rows, log_b in terms:
        ll[rows] = np.logaddexp(ll[rows], log_b)
    # derivatives of -log B(α, β) - log B(γ, δ), common to every term
    base = np.array(
        [
            -(digamma(a) - digamma(a + b)),
            -(digamma(b) - digamma(a + b)),
            -(digamma(g) - digamma(g + d)),
            -(digamma(d) - digamma(g + d)),
        ]
    )
    share = w * np.exp(log_a - ll)
    ab_n = digamma(a + b + n)
    gd_n = digamma(g + d + n)
    grad = np.array(
        [
            np.dot(share, digamma(a + x) - ab_n),
            np.dot(share, digamma(b + n - x) - ab_n),
            np.dot(share, digamma(g) - gd_n),
            np.dot(share, digamma(d + n) - gd_n),
        ]
    )
    for i, (rows, log_b) in enumerate(terms):
        xr, tr = x[rows], t_x[rows]
        share = w[rows] * np.exp(log_b - ll[rows])
        ab_t = digamma(a + b + tr + i)
        gd_t = digamma(g + d + 1 + tr + i)
        grad += np.array(
            [
                np.dot(share, digamma(a + xr) - ab_t),
                np.dot(share, digamma(b + tr - xr + i) - ab_t),
                np.dot(share, digamma(g + 1) - gd_t),
                np.dot(share, digamma(d + tr + i) - gd_t),
            ]
        )
    result: np.ndarray = grad + base * float(w.sum())
    return float(np.dot(w, ll)), result


def initial(data: Prepared) -> np.ndarray:
    """Starting point of the fit: ``α = β = γ = δ = 1`` (uniform ``p`` and ``θ``).

    Examples
    --------
    >>> from kamseg.clv._base import collapse
    >>> import numpy as np
    >>> initial(collapse({"x": np.zeros(1), "t_x": np.zeros(1), "n": np.ones(1)})).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    return np.ones(4)


SPEC = ModelSpec(
    name="bgbb",
    param_names=PARAM_NAMES,
    kind="transactions",
    loglik=loglik,
    initial=initial,
    gradient=gradient,
    value_and_grad=value_and_grad,
)


# --- predictions ----------------------------------------------------------------------------


def _sum_alive(g: float, d: float, start: np.ndarray, m: np.ndarray) -> np.ndarray:
    r"""``Σ_{i=1}^{m} B(γ, δ + start + i) / B(γ, δ)``, in closed form.

    With ``c = δ + start``, the telescoping identity
    ``Σ_{i=1}^{m} Γ(c+i)/Γ(γ+c+i) = [Γ(c+1)/Γ(γ+c) - Γ(c+m+1)/Γ(γ+c+m)] / (γ - 1)``
    gives the sum for real ``m ≥ 0``; at ``γ = 1`` its limit is ``δ [ψ(c+m+1) - ψ(c+1)]``.
    """
    c = d + start
    if abs(g - 1.0) < _GAMMA_ONE_TOL:
        out: np.ndarray = d * (digamma(c + m + 1) - digamma(c + 1))
        return out
    head = gammaln(g + d) - gammaln(d) + gammaln(c + 1) - gammaln(g + c)
    diff = (gammaln(c + m + 1) - gammaln(g + c + m)) - (gammaln(c + 1) - gammaln(g + c))
    out = np.exp(head) * -np.expm1(diff) / (g - 1.0)
    return out


def p_alive(
    params: ParamsLike, x: ArrayLike, t_x: ArrayLike, n: ArrayLike, *, m_star: ArrayLike = 1
) -> np.ndarray:
    r"""Probability that a customer is still alive at opportunity ``n + m*``.

    Fader, Hardie & Shang (2010), eq. 11 (``m* = 1``: alive at the next opportunity
    ``n + 1``; lifetimes' ``conditional_probability_alive(m, ...)`` for other ``m*``):

    .. math::

        P(\text{alive at } n + m^* \mid x, t_x, n) =
        \frac{B(α + x, β + n - x)}{B(α, β)} \frac{B(γ, δ + n + m^*)}{B(γ, δ)}
        \Big/ L(α, β, γ, δ \mid x, t_x, n)

    Parameters
    ----------
    params : FitResult, mapping or sequence
        ``(α, β, γ, δ)``: a BG/BB fit, a mapping by name, or 4 numbers in that order.
    x, t_x, n : array_like
        Repeat transactions, opportunity of the last one (0 if none), number of
        opportunities; broadcast together.
    m_star : array_like, default 1
        How many opportunities after ``n`` (non-negative).

    Returns
    -------
    ndarray
        Probabilities, of the broadcast shape of the inputs.

    Examples
    --------
    >>> params = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    >>> p_alive(params, x=[0, 3, 6], t_x=[0, 3, 6], n=6).round(3).tolist()
    [0.108, 0.095, 0.93]
    """
    func = "bgbb.p_alive"
    a, b, g, d = _params(params, func)
    x_, t_, n_, m_ = _histories(x, t_x, n, func, m_star)
    if np.any(m_ < 0):
        raise ConfigError(f"{func}: `m_star` must be non-negative.")
    shape = x_.shape
    x_, t_, n_, m_ = (v.reshape(-1) for v in (x_, t_, n_, m_))
    ll = _loglik_arrays((a, b, g, d), x_, t_, n_)
    log_alive = betaln(a + x_, b + n_ - x_) - betaln(a, b) + betaln(g, d + n_ + m_) - betaln(g, d)
    out: np.ndarray = np.exp(log_alive - ll).reshape(shape)
    return out


def conditional_expected_purchases(
    params: ParamsLike, m_star: ArrayLike, x: ArrayLike, t_x: ArrayLike, n: ArrayLike
) -> np.ndarray:
    r"""Expected number of transactions in the next ``m*`` opportunities, given the history.

    Fader, Hardie & Shang (2010), eq. 13:

    .. math::

        E[X(n, n + m^*) \mid x, t_x, n] =
        \frac{1}{L} \frac{B(α + x + 1, β + n - x)}{B(α, β)}
        \frac{δ}{γ - 1} \frac{Γ(γ + δ)}{Γ(1 + δ)}
        \left[\frac{Γ(1 + δ + n)}{Γ(γ + δ + n)}
        - \frac{Γ(1 + δ + n + m^*)}{Γ(γ + δ + n + m^*)}\right]

    i.e. ``(1/L) B(α+x+1, β+n-x)/B(α, β) Σ_{i=1}^{m*} B(γ, δ+n+i)/B(γ, δ)``; at ``γ = 1``
    the limit ``δ [ψ(δ+n+m*+1) - ψ(δ+n+1)]`` replaces the last two factors.

    Parameters
    ----------
    params : FitResult, mapping or sequence
        ``(α, β, γ, δ)``.
    m_star : array_like
        Number of future opportunities (non-negative).
    x, t_x, n : array_like
        The customers' histories; broadcast with `m_star`.

    Returns
    -------
    ndarray
        Expected transactions, of the broadcast shape of the inputs.

    Examples
    --------
    >>> params = (1.204, 0.750, 0.657, 2.783)
    >>> conditional_expected_purchases(params, 5, x=[0, 6], t_x=[0, 6], n=6).round(3).tolist()
    [0.073, 3.752]
    """
    func = "bgbb.conditional_expected_purchases"
    a, b, g, d = _params(params, func)
    x_, t_, n_, m_ = _histories(x, t_x, n, func, m_star)
    if np.any(m_ < 0):
        raise ConfigError(f"{func}: `m_star` must be non-negative.")
    shape = x_.shape
    x_, t_, n_, m_ = (v.reshape(-1) for v in (x_, t_, n_, m_))
    ll = _loglik_arrays((a, b, g, d), x_, t_, n_)
    log_p = betaln(a + x_ + 1, b + n_ - x_) - betaln(a, b)
    out: np.ndarray = (np.exp(log_p - ll) * _sum_alive(g, d, n_, m_)).reshape(shape)
    return out


def expected_purchases(params: ParamsLike, n: ArrayLike) -> np.ndarray:
    r"""Expected number of transactions of a new customer in their first ``n`` opportunities.

    Fader, Hardie & Shang (2010), eq. 8:

    .. math::

        E[X(n)] = \frac{α}{α + β} \frac{δ}{γ - 1}
        \left[1 - \frac{Γ(γ + δ)}{Γ(γ + δ + n)} \frac{Γ(1 + δ + n)}{Γ(1 + δ)}\right]

    i.e. ``α/(α+β) Σ_{i=1}^{n} B(γ, δ+i)/B(γ, δ)``, with the limit
    ``α/(α+β) δ [ψ(δ+n+1) - ψ(δ+1)]`` at ``γ = 1``.

    Parameters
    ----------
    params : FitResult, mapping or sequence
        ``(α, β, γ, δ)``.
    n : array_like
        Number of opportunities (non-negative).

    Returns
    -------
    ndarray
        Expected transactions, of the shape of `n`.

    Examples
    --------
    >>> params = (1.204, 0.750, 0.657, 2.783)
    >>> expected_purchases(params, [1, 6]).round(3).tolist()
    [0.498, 2.22]
    """
    func = "bgbb.expected_purchases"
    a, b, g, d = _params(params, func)
    n_ = _as_float(n, func, "n")
    if np.any(n_ < 0):
        raise SchemaError(f"{func}: `n` must be non-negative; examples: {examples(n_[n_ < 0])}.")
    out: np.ndarray = a / (a + b) * _sum_alive(g, d, np.zeros_like(n_), n_)
    return out


def probability_of_purchases(params: ParamsLike, x: ArrayLike, n: ArrayLike) -> np.ndarray:
    r"""Probability that a new customer makes ``x`` transactions in ``n`` opportunities.

    Fader, Hardie & Shang (2010), eq. 7:

    .. math::

        P(X(n) = x) = \binom{n}{x} \frac{B(α + x, β + n - x)}{B(α, β)}
        \frac{B(γ, δ + n)}{B(γ, δ)}
        + \sum_{i=x}^{n-1} \binom{i}{x} \frac{B(α + x, β + i - x)}{B(α, β)}
        \frac{B(γ + 1, δ + i)}{B(γ, δ)}

    Times the number of customers, this is the model's histogram of repeat transactions
    (lifetimes' ``expected_number_of_transactions_in_first_n_periods``).

    Parameters
    ----------
    params : FitResult, mapping or sequence
        ``(α, β, γ, δ)``.
    x, n : array_like
        Non-negative integers, broadcast together (``P = 0`` where ``x > n``).

    Returns
    -------
    ndarray
        Probabilities, of the broadcast shape of `x` and `n`.

    Examples
    --------
    >>> import numpy as np
    >>> params = (1.204, 0.750, 0.657, 2.783)
    >>> p = probability_of_purchases(params, np.arange(7), 6)
    >>> float(p.sum())
    1.0
    """
    func = "bgbb.probability_of_purchases"
    a, b, g, d = _params(params, func)
    x_, n_ = np.broadcast_arrays(_as_float(x, func, "x"), _as_float(n, func, "n"))
    for arr, name in ((x_, "x"), (n_, "n")):
        bad = (arr < 0) | (arr != np.round(arr))
        if bad.any():
            raise SchemaError(
                f"{func}: {int(bad.sum())} value(s) of `{name}` are not non-negative "
                f"integers; examples: {examples(arr[bad].tolist())}."
            )
    shape = x_.shape
    xf, nf = x_.reshape(-1), n_.reshape(-1)
    ok = xf <= nf
    xs, ns = np.where(ok, xf, 0.0), np.where(ok, nf, 0.0)

    def log_binom(top: np.ndarray, k: np.ndarray) -> np.ndarray:
        res: np.ndarray = gammaln(top + 1) - gammaln(k + 1) - gammaln(top - k + 1)
        return res

    lb_ab, lb_gd = betaln(a, b), betaln(g, d)
    total = np.exp(
        log_binom(ns, xs) + betaln(a + xs, b + ns - xs) - lb_ab + betaln(g, d + ns) - lb_gd
    )
    for i in range(int(ns.max()) if ns.size else 0):
        rows = np.flatnonzero((i >= xs) & (i < ns))
        xr = xs[rows]
        total[rows] += np.exp(
            log_binom(np.full_like(xr, i), xr)
            + betaln(a + xr, b + i - xr)
            - lb_ab
            + betaln(g + 1, d + i)
            - lb_gd
        )
    out: np.ndarray = np.where(ok, total, 0.0).reshape(shape)
    return out
