"""Public entry points of kamseg.clv: fit and predict."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._types import P_ALIVE_INFORMATIVE
from kamseg._validation import (
    check_choice,
    check_columns,
    check_frame,
    check_no_overwrite,
    examples,
    to_float,
    warn,
)
from kamseg.clv._base import (
    TRANSACTION_MODELS,
    FitFailure,
    FitResult,
    ModelSpec,
    Prepared,
    collapse,
    discounted_sum,
    maximize,
)
from kamseg.errors import ConfigError, ConvergenceError, SchemaError

__all__ = ["MAX_MAGNITUDE", "MONTH_IN_PERIODS", "ModelName", "fit", "predict"]

ModelName = Literal["bgnbd", "mbgnbd", "pareto_nbd", "bgbb", "gamma_gamma", "sbg"]

#: Largest count, period or amount `fit` accepts: beyond it the likelihood's arithmetic
#: (products, squares) leaves the range of float64, and no real table comes near it.
MAX_MAGNITUDE = 1e100

#: Periods in one month, per data period, as lifetimes counts them: 30 days, 4.345 weeks.
MONTH_IN_PERIODS: dict[str, float] = {"D": 30.0, "W": 4.345, "M": 1.0}


def _spec(model: str) -> ModelSpec:
    if model == "bgnbd":
        from kamseg.clv._bgnbd import BGNBD

        return BGNBD
    if model == "mbgnbd":
        from kamseg.clv._bgnbd import MBGNBD

        return MBGNBD
    if model == "gamma_gamma":
        from kamseg.clv._gamma_gamma import GAMMA_GAMMA

        return GAMMA_GAMMA
    if model == "pareto_nbd":
        from kamseg.clv._pareto_nbd import SPEC as PARETO

        return PARETO
    if model == "bgbb":
        from kamseg.clv._bgbb import SPEC as BGBB

        return BGBB
    from kamseg.clv._sbg import SPEC as SBG

    return SBG


def _rfm_arrays(
    customers: pd.DataFrame,
    *,
    func: str,
    frequency_col: Hashable,
    recency_col: Hashable,
    T_col: Hashable,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated frequency, recency, T arrays of a customer table."""
    check_frame(customers, func=func, arg="customers")
    check_columns(
        customers,
        {"frequency_col": frequency_col, "recency_col": recency_col, "T_col": T_col},
        func=func,
    )
    x = to_float(customers[frequency_col], func=func, col=str(frequency_col))
    t_x = to_float(customers[recency_col], func=func, col=str(recency_col))
    T = to_float(customers[T_col], func=func, col=str(T_col))
    # the usual case first, from three minima and two masks (a NaN minimum fails `>= 0`;
    # each is compared on its own, as Python's min() would skip a NaN); the masks below
    # only to tell the user what is wrong
    if x.size == 0 or (
        all(float(v.min()) >= 0 for v in (x, t_x, T))
        and not (t_x > T).any()
        and not ((x == 0) & (t_x > 0)).any()
    ):
        return x, t_x, T
    problems = {
        "null values": np.isnan(x) | np.isnan(t_x) | np.isnan(T),
        "negative frequency, recency or T": (x < 0) | (t_x < 0) | (T < 0),
        "recency greater than T": t_x > T,
        "frequency 0 with recency > 0": (x == 0) & (t_x > 0),
    }
    for what, mask in problems.items():
        if mask.any():
            raise SchemaError(
                f"{func}: {int(mask.sum())} customer(s) have {what}; examples (index): "
                f"{examples(customers.index[mask])}. Hint: build the table with "
                "kamseg.summarize, which guarantees 0 <= recency <= T."
            )
    return x, t_x, T


def _check_magnitude(columns: dict[str, np.ndarray], *, func: str) -> None:
    """Refuse values beyond :data:`MAX_MAGNITUDE` (they overflow the likelihood)."""
    for col, values in columns.items():
        if values.size == 0 or (
            float(values.min()) >= -MAX_MAGNITUDE and float(values.max()) <= MAX_MAGNITUDE
        ):
            continue  # (NaN fails both comparisons: then the mask decides, as always)
        big = np.abs(values) > MAX_MAGNITUDE
        if big.any():
            raise SchemaError(
                f"{func}: {int(big.sum())} value(s) of column {col!r} are beyond "
                f"{MAX_MAGNITUDE:.0e} in size (largest {float(np.nanmax(np.abs(values))):.3g}); "
                "a model cannot be fitted to numbers this large. Hint: check the column, or "
                "express it in larger units (e.g. thousands)."
            )


def fit(
    customers: Any,
    *,
    model: ModelName = "bgnbd",
    penalty: float = 0.0,
    frequency_col: Hashable = "frequency",
    recency_col: Hashable = "recency",
    T_col: Hashable = "T",
    monetary_col: Hashable = "monetary_value",
    n_col: Hashable = "n_periods",
    weights_col: Hashable | None = None,
    initial: Sequence[float] | None = None,
) -> FitResult:
    """Fit a lifetime-value model by maximum likelihood.

    Parameters
    ----------
    customers
        - ``"bgnbd"``, ``"mbgnbd"``, ``"pareto_nbd"``: a customer table with `frequency_col`,
          `recency_col`, `T_col` (e.g. from :func:`kamseg.summarize`, in its ``freq``
          periods);
        - ``"gamma_gamma"``: a customer table with `frequency_col` and `monetary_col`;
          customers with frequency 0 are left out (the model describes repeat spend), and
          so are repeat customers whose `monetary_col` is <= 0, with a warning;
        - ``"bgbb"``: a table with `frequency_col`, `recency_col` and `n_col` (number of
          purchase opportunities), optionally `weights_col` (customers per row);
        - ``"sbg"``: not a customer table but the number of customers still active at the
          start of periods 0, 1, ..., k of one cohort (a sequence or Series; the first is
          the cohort size).
    model
        ``"bgnbd"`` (Fader, Hardie & Lee 2005), ``"mbgnbd"`` (Batislam et al. 2007),
        ``"pareto_nbd"`` (Schmittlein et al. 1987), ``"bgbb"`` (Fader, Hardie & Shang 2010),
        ``"gamma_gamma"`` (spend per transaction) or ``"sbg"`` (shifted-beta-geometric
        contract retention, Fader & Hardie 2007).
    penalty
        L2 penalty: the fit minimises ``-LL/n + penalty * sum(params**2)``, like
        lifetimes' ``penalizer_coef``. 0 (default) is plain maximum likelihood. The
        transaction models are fitted, as in lifetimes, on time rescaled so that the
        longest history (max T) is 1, and their α, β (and λ, μ of a boundary fit) are
        converted back: the same penalty gives the same estimates (in the table's
        periods) whether the table counts days, weeks or months.
    initial
        Optional starting values, in the order of the model's parameters.

    Returns
    -------
    FitResult
        Immutable: ``params`` (by the papers' names: r, alpha, a, b; r, alpha, s, beta;
        alpha, beta, gamma, delta; p, q, gamma; gamma, delta), ``std_errors``,
        ``log_likelihood``, ``aic``, ``bic``, ``n_obs``, ``n_iter``, ``message``,
        ``covariance``, and ``summary()`` / ``conf_int()``. For the transaction models
        also ``boundary`` (None, or the limit reached, see below), ``dropout_share``,
        ``dropout_lr`` and ``dropout_identified``.

    Warns
    -----
    KamsegWarning
        - Once, when a transaction model's likelihood is highest on the boundary of its
          parameter space. The limit model is returned, flagged by ``boundary``:
          ``"no dropout"`` (the NBD model, parameters r, alpha: P(alive) = 1),
          ``"all-or-nothing dropout"`` (a share ``pi`` leaves at the first opportunity,
          the others never), ``"no heterogeneity in purchase rates"`` (one rate
          ``lambda`` for everyone),
          ``"no heterogeneity in dropout"`` (one dropout probability ``p``, or for
          Pareto/NBD one rate ``mu``), or two of them joined by ``"; "``. Its predictions
          (:func:`predict`, the model modules) use the limit formulas.
        - Once, when the ``"gamma_gamma"`` likelihood is highest on the boundary: the
          limit model is returned, flagged by ``boundary``: ``"no heterogeneity in
          spend"`` (q, gamma -> infinity: everyone's expected spend is the one mean p/nu,
          parameters p, nu), ``"no spend variation within customers"`` (p -> infinity: a
          repeat customer's expected spend is their own mean, parameters q, delta), or
          both (every mean spend equal, parameter spend); see
          :mod:`kamseg.clv.gamma_gamma`.
        - Once, for ``"gamma_gamma"``, counting the repeat customers left out because
          their `monetary_col` is <= 0 (net returns, free items).

    Raises
    ------
    ConvergenceError
        If the optimisation fails with neither an ordinary maximum nor one on the
        boundary (never NaN parameters reported as success).
    SchemaError
        On impossible data (negative counts, recency > T, null spend for Gamma-Gamma, fewer
        than 2 repeat customers with positive spend, values beyond 1e100, ...).
    ConfigError
        On an unknown model or a negative penalty.

    Examples
    --------
    >>> import kamseg
    >>> cdnow = kamseg.datasets.load_cdnow_summary()          # 2,357 customers, weeks
    >>> bgnbd = kamseg.clv.fit(cdnow, model="bgnbd")
    >>> {k: round(v, 4) for k, v in bgnbd.params.items()}
    {'r': 0.2426, 'alpha': 4.4135, 'a': 0.7929, 'b': 2.4259}
    >>> round(bgnbd.log_likelihood, 2)
    -9582.43
    """
    func = "clv.fit"
    check_choice(model, get_args(ModelName), func=func, arg="model")
    if not isinstance(penalty, int | float) or not math.isfinite(penalty) or penalty < 0:
        raise ConfigError(f"{func}: `penalty` must be a finite number >= 0; got {penalty!r}.")
    spec = _spec(model)
    freq = customers.attrs.get("freq") if isinstance(customers, pd.DataFrame) else None
    prepared: Prepared
    if model in TRANSACTION_MODELS:
        x, t_x, T = _rfm_arrays(
            customers, func=func, frequency_col=frequency_col, recency_col=recency_col, T_col=T_col
        )
        _check_magnitude({str(frequency_col): x, str(recency_col): t_x, str(T_col): T}, func=func)
        if not (T > 0).any():
            raise SchemaError(
                f"{func}: every customer has T = 0 (first purchase on the as_of day); "
                "there is nothing to fit. Hint: choose a later as_of."
            )
        prepared = collapse({"x": x, "t_x": t_x, "T": T})
        T_range = (float(T.min()), float(np.median(T)), float(T.max()))
    elif model == "gamma_gamma":
        prepared = _spend_data(
            customers, func=func, frequency_col=frequency_col, monetary_col=monetary_col
        )
    elif model == "bgbb":
        from kamseg.clv._bgbb import prepare as prepare_bgbb

        check_frame(customers, func=func, arg="customers")
        check_columns(
            customers,
            {
                "frequency_col": frequency_col,
                "recency_col": recency_col,
                "n_col": n_col,
                "weights_col": weights_col,
            },
            func=func,
        )
        prepared = prepare_bgbb(
            customers,
            frequency_col=frequency_col,
            recency_col=recency_col,
            n_col=n_col,
            weights_col=weights_col,
        )
        freq = None
    else:
        from kamseg.clv._sbg import prepare as prepare_sbg

        prepared = prepare_sbg(customers)
        freq = None
    start = None if initial is None else np.asarray(initial, dtype=np.float64)
    if start is not None and (start.shape != (len(spec.param_names),) or np.any(start <= 0)):
        raise ConfigError(
            f"{func}: `initial` must be {len(spec.param_names)} positive numbers "
            f"({', '.join(spec.param_names)}); got {initial!r}."
        )
    if model in TRANSACTION_MODELS or model == "gamma_gamma":
        if model == "gamma_gamma":
            from kamseg.clv._gamma_gamma import fit_spend

            result, message = fit_spend(prepared, penalty=float(penalty), initial=start, freq=freq)
        else:
            from kamseg.clv._boundary import fit_transactions

            result, message = fit_transactions(
                spec, prepared, penalty=float(penalty), initial=start, freq=freq
            )
            result = dataclasses.replace(result, T_range=T_range)
        if message is not None:
            warn(message)
        return result
    try:
        with np.errstate(all="ignore"):
            return maximize(spec, prepared, penalty=float(penalty), initial=start, freq=freq)
    except FitFailure as exc:
        raise ConvergenceError(str(exc)) from None


def _spend_data(
    customers: pd.DataFrame, *, func: str, frequency_col: Hashable, monetary_col: Hashable
) -> Prepared:
    check_frame(customers, func=func, arg="customers")
    check_columns(
        customers, {"frequency_col": frequency_col, "monetary_col": monetary_col}, func=func
    )
    x = to_float(customers[frequency_col], func=func, col=str(frequency_col))
    m = to_float(customers[monetary_col], func=func, col=str(monetary_col))
    _check_magnitude({str(frequency_col): x, str(monetary_col): m}, func=func)
    repeat = x > 0
    null = repeat & np.isnan(m)
    if null.any():
        raise SchemaError(
            f"{func}: Gamma-Gamma needs the mean spend of every repeat customer; "
            f"{int(null.sum())} have a null {monetary_col!r} (examples (index): "
            f"{examples(customers.index[null])}). Hint: fill or drop them first."
        )
    nonpositive = repeat & (m <= 0)
    kept = repeat & (m > 0)
    if nonpositive.any():
        warn(
            f"{func}: gamma_gamma: left out {int(nonpositive.sum())} repeat customer(s) with "
            f"{monetary_col!r} <= 0 (net returns or free items; examples (index): "
            f"{examples(customers.index[nonpositive])}): the model describes positive spend, "
            f"so it is fitted on the other {int(kept.sum())} repeat customer(s).",
            stacklevel=4,
        )
    if kept.sum() < 2:
        left_out = (
            f" ({int(nonpositive.sum())} more left out for {monetary_col!r} <= 0)"
            if nonpositive.any()
            else ""
        )
        raise SchemaError(
            f"{func}: Gamma-Gamma needs at least 2 customers with repeat purchases and a "
            f"positive mean spend; found {int(kept.sum())}{left_out}."
        )
    # mean spends are continuous, so identical rows are rare: no collapsing (a sort of
    # float pairs would cost more than it saves)
    return Prepared({"x": x[kept], "m": m[kept]}, np.ones(int(kept.sum())))


# --- prediction -----------------------------------------------------------------------------


PurchaseSummary = Callable[
    [np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    tuple[np.ndarray, np.ndarray, np.ndarray],
]


def _purchase_summary(fitted: FitResult) -> PurchaseSummary:
    """``f(params, x, t_x, T, steps, discount) -> (p_alive, expected, discounted)``."""
    model = fitted.model
    if fitted.boundary is not None:
        from kamseg.clv import _limits

        return functools.partial(_limits.purchase_summary, _limits.face_of(fitted))
    if model in ("bgnbd", "mbgnbd"):
        from kamseg.clv import _bgnbd

        return functools.partial(_bgnbd.purchase_summary, modified=model == "mbgnbd")
    from kamseg.clv import _pareto_nbd

    def generic(
        params: np.ndarray,
        x: np.ndarray,
        t_x: np.ndarray,
        T: np.ndarray,
        steps: np.ndarray,
        discount: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # one call for all horizons: shape (k, n)
        cum = _pareto_nbd.conditional_expected_purchases(params, steps[:, None], x, t_x, T)
        monthly = np.diff(cum, axis=0, prepend=0.0)
        return _pareto_nbd.p_alive(params, x, t_x, T), cum[-1], discounted_sum(discount, monthly)

    return generic


def _per_customer(
    customers: pd.DataFrame, value: float | Hashable, *, func: str, arg: str
) -> np.ndarray:
    """A constant or a column of per-customer numbers."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ConfigError(f"{func}: `{arg}` must be finite; got {value!r}.")
        return np.full(len(customers), float(value))
    check_columns(customers, {arg: value}, func=func)
    arr = to_float(customers[value], func=func, col=str(value))
    if np.isnan(arr).any():
        raise SchemaError(
            f"{func}: column {value!r} (argument `{arg}`) has {int(np.isnan(arr).sum())} "
            "null value(s). Hint: fill them (e.g. with a default margin) first."
        )
    return arr


def predict(
    customers: pd.DataFrame,
    fitted: FitResult,
    *,
    spend: FitResult | Hashable | None = None,
    horizon: int = 12,
    discount_rate: float = 0.01,
    freq: Literal["D", "W", "M"] | None = None,
    margin: float | Hashable | None = None,
    cost_to_serve: float | Hashable | None = None,
    interval: float | None = None,
    n_draws: int = 200,
    seed: int = 0,
    frequency_col: Hashable = "frequency",
    recency_col: Hashable = "recency",
    T_col: Hashable = "T",
    monetary_col: Hashable = "monetary_value",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Append P(alive), expected purchases and (discounted, profit) lifetime value.

    Parameters
    ----------
    customers
        The customer table the model describes (``frequency``, ``recency``, ``T`` in the
        periods of the fit). Not modified.
    fitted
        A transaction model from :func:`fit` (``"bgnbd"``, ``"mbgnbd"``, ``"pareto_nbd"``).
    spend
        Spend per future purchase: a ``"gamma_gamma"`` fit (conditional expected spend,
        shrunk toward the population mean), or the name of a column holding it. Without
        it no CLV columns are added.
    horizon
        CLV horizon in **months** (whole months, >= 1).
    discount_rate
        Discount rate **per month**, compounded monthly (0.01 per month is about 12.7 % a
        year). Purchases expected in month m are discounted by ``(1 + discount_rate)^m``.
    freq
        The period of `frequency`/`recency`/`T`: "D", "W" or "M". Default: the period the
        model was fitted on, else ``customers.attrs["freq"]`` (set by summarize). A month is
        30 days, 4.345 weeks or 1 calendar month, as in lifetimes. When the fit's period
        (``fitted.freq``), ``customers.attrs["freq"]`` and `freq` are known, they must
        agree.
    margin
        Profit margin on revenue, a constant (e.g. 0.25) or a column of per-customer
        margins, at most 1; negative margins (loss-making customers) are allowed. With
        `margin` (and `spend`), ``profit_clv`` is added.
    cost_to_serve
        Yearly cost to serve each customer while alive, a constant or a column; it
        accrues monthly (``cost/12``), weighted by today's ``p_alive`` and discounted like
        revenue, and is subtracted in ``profit_clv``. Needs `margin` (use 1.0 when the
        spend is already profit).
    interval
        If given (e.g. 0.9), add ``clv_lower``/``clv_upper``: a per-customer interval from
        `n_draws` parameter sets drawn from the asymptotic normal distribution of the
        log-parameters of both fits (simulation from the estimates' sampling
        distribution, Krinsky & Robb 1986). It reflects parameter uncertainty only, not the
        randomness of the customer's own future purchases.
    n_draws, seed
        Number of draws and random seed for `interval`.
    overwrite
        Replace existing output columns instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` with:

        - ``p_alive`` (float64): probability the customer is alive at `as_of`;
        - ``expected_purchases`` (float64): expected purchases in the next `horizon`
          months;
        - ``expected_spend`` (float64, with `spend`): expected spend per purchase;
        - ``clv`` (float64, with `spend`): ``sum over months m of
          expected_spend * E[purchases in month m] / (1 + discount_rate)^m``;
        - ``profit_clv`` (float64, with `margin`): ``margin * clv`` minus the discounted
          expected cost to serve;
        - ``clv_lower``, ``clv_upper`` (float64, with `interval`).

        For a boundary fit (``fitted.boundary``) the columns come from the limit model's
        formulas: with no dropout ``p_alive`` is 1 and ``expected_purchases`` the NBD
        expectation ``(r + frequency) / (alpha + T) * t``.

        ``attrs["kamseg_p_alive_informative"]`` is ``fitted.dropout_identified is not
        False``: False when the model found no (or negligible) dropout, so that its
        P(alive) cannot tell who left (:func:`kamseg.lifecycle_stage` then does not use it).

    Warns
    -----
    KamsegWarning
        When `customers` has no ``attrs["freq"]`` and both its median and its max T are
        more than 4 times those of the fit (``fitted.T_range``), or both less than a
        quarter: the table is probably in other periods than the fit.

    Raises
    ------
    ConfigError
        If `fitted` is not a transaction model fit; if the periods of the fit,
        ``customers.attrs["freq"]`` and `freq` disagree, or none is known; on a bad
        `horizon`, `discount_rate` or `interval`; if a margin is above 1; if
        `cost_to_serve` is given without `margin`.
    ColumnNotFoundError
        If a named column is missing.
    SchemaError
        On impossible values in the table, or null margins, spends or costs.

    Examples
    --------
    >>> import kamseg
    >>> data = kamseg.datasets.make_transactions(n_customers=400, seed=3)
    >>> customers = kamseg.summarize(data.transactions, freq="W")
    >>> bgnbd = kamseg.clv.fit(customers, model="bgnbd")
    >>> gg = kamseg.clv.fit(customers, model="gamma_gamma")
    >>> out = kamseg.clv.predict(customers, bgnbd, spend=gg, margin=0.25, cost_to_serve=100)
    >>> bool(out[["p_alive", "expected_purchases", "clv", "profit_clv"]].notna().all().all())
    True
    """
    func = "clv.predict"
    if not isinstance(fitted, FitResult) or fitted.model not in TRANSACTION_MODELS:
        raise ConfigError(
            f"{func}: `fitted` must be a transaction model fit (one of "
            f"{', '.join(TRANSACTION_MODELS)}); got {getattr(fitted, 'model', fitted)!r}."
        )
    x, t_x, T = _rfm_arrays(
        customers, func=func, frequency_col=frequency_col, recency_col=recency_col, T_col=T_col
    )
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ConfigError(
            f"{func}: `horizon` must be a whole number of months >= 1; got {horizon!r}."
        )
    if not isinstance(discount_rate, int | float) or not 0 <= discount_rate < 1:
        raise ConfigError(
            f"{func}: `discount_rate` is per month and must be in [0, 1); got {discount_rate!r}."
        )
    _check_periods(customers, fitted, freq, func=func)
    if customers.attrs.get("freq") is None:
        _check_T_scale(T, fitted, func=func)
    period = freq or fitted.freq or customers.attrs.get("freq")
    if period not in MONTH_IN_PERIODS:
        raise ConfigError(
            f"{func}: the period of frequency/recency/T is unknown. Hint: pass freq='D', "
            "'W' or 'M' (the freq you passed to kamseg.summarize)."
        )
    if interval is not None and not (isinstance(interval, float) and 0 < interval < 1):
        raise ConfigError(f"{func}: `interval` must be a float in (0, 1); got {interval!r}.")
    if cost_to_serve is not None and margin is None:
        raise ConfigError(
            f"{func}: `cost_to_serve` needs `margin` (profit CLV); pass margin=1.0 if the "
            "spend is already profit."
        )
    margins = None
    if margin is not None:
        margins = _per_customer(customers, margin, func=func, arg="margin")
        _check_margins(customers, margins, margin, func=func)
    new_cols = ["p_alive", "expected_purchases"]
    if spend is not None:
        new_cols += ["expected_spend", "clv"]
        if margin is not None:
            new_cols.append("profit_clv")
        if interval is not None:
            new_cols += ["clv_lower", "clv_upper"]
    check_no_overwrite(customers, new_cols, func=func, overwrite=overwrite)

    steps = np.arange(1, horizon + 1, dtype=np.float64) * MONTH_IN_PERIODS[period]
    discount = (1.0 + discount_rate) ** -np.arange(1, horizon + 1, dtype=np.float64)
    summary_fn = _purchase_summary(fitted)

    def purchases(params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return summary_fn(params, x, t_x, T, steps, discount)

    alive, expected, discounted = purchases(fitted.values())
    new = {"p_alive": alive, "expected_purchases": expected}
    if spend is not None:
        spend_fn = _spend_function(customers, spend, func=func, monetary_col=monetary_col, x=x)
        spend_per = spend_fn(None)
        # spend * discounted, in place when `discounted` is an array of its own
        clv = np.multiply(
            discounted, spend_per, out=discounted if discounted.base is None else None
        )
        new["expected_spend"] = spend_per
        new["clv"] = clv
        if margins is not None:
            profit = margins * clv
            if cost_to_serve is not None:
                cost = _per_customer(customers, cost_to_serve, func=func, arg="cost_to_serve")
                profit = profit - cost / 12.0 * discount.sum() * alive
            new["profit_clv"] = profit
        if interval is not None:
            new["clv_lower"], new["clv_upper"] = _clv_interval(
                fitted, spend, spend_fn, purchases, interval=interval, n_draws=n_draws, seed=seed
            )
    out = _with_columns(customers, new)
    # lifecycle_stage reads this: a P(alive) that cannot tell who left is not used there
    out.attrs = {**customers.attrs, P_ALIVE_INFORMATIVE: fitted.dropout_identified is not False}
    return out


def _with_columns(customers: pd.DataFrame, new: dict[str, np.ndarray]) -> pd.DataFrame:
    """A shallow copy of `customers` with the `new` columns (existing ones of the same name
    replaced in place). The input's data are shared read-only (copy-on-write in pandas 3),
    so nothing is duplicated; when every column is new, the arrays computed here become
    the new columns as they are (no copy: on a million customers each copy of a column
    touches 8 MB of fresh memory)."""
    if (
        not isinstance(customers.columns, pd.MultiIndex)
        and customers.flags.allows_duplicate_labels
        and not any(name in customers.columns for name in new)
    ):
        columns = [
            # only arrays made here are shared; any other (a view) is copied, as by setitem
            pd.Series(
                values if values.base is None and values.flags.writeable else values.copy(),
                index=customers.index,
                name=name,
                copy=False,
            )
            for name, values in new.items()
        ]
        return pd.concat([customers, *columns], axis=1)
    out = customers.copy(deep=False)
    for name, values in new.items():
        out[name] = values
    return out


def _check_periods(
    customers: pd.DataFrame, fitted: FitResult, freq: str | None, *, func: str
) -> None:
    """Refuse a table or a `freq` in other periods than the fit (when both are known)."""
    known = {
        "the model was fitted on": fitted.freq,
        "customers.attrs['freq'] is": customers.attrs.get("freq"),
        "`freq` is": freq,
    }
    given = {k: v for k, v in known.items() if v is not None}
    if len(set(given.values())) > 1:
        shown = ", ".join(f"{k} {v!r}" for k, v in given.items())
        raise ConfigError(
            f"{func}: period mismatch: {shown}. frequency, recency and T count periods, so "
            "a model fitted on one period applied to a table in another gives wrong "
            "predictions. Hint: summarize the customers with the freq of the fit "
            "(kamseg.summarize(..., freq=...)), or fit the model on this table."
        )


#: A table without ``attrs["freq"]`` whose median and max T are both more than this many
#: times those of the fit (or both less than 1/this) is probably in other periods.
T_SCALE_RATIO = 4.0


def _check_T_scale(T: np.ndarray, fitted: FitResult, *, func: str) -> None:
    """Warn when the T of a table without ``attrs["freq"]`` are on another scale than the
    T the model was fitted on (both the median and the max off by more than 4x, the same
    way): the table is probably in other periods."""
    known = fitted.T_range
    if known is None or T.size == 0:
        return
    low, median, top = float(T.min()), float(np.median(T)), float(T.max())
    fit_low, fit_median, fit_top = known
    if min(median, top, fit_median, fit_top) <= 0:
        return
    ratios = (median / fit_median, top / fit_top)
    if not (min(ratios) > T_SCALE_RATIO or max(ratios) < 1.0 / T_SCALE_RATIO):
        return
    period = f", in {fitted.freq!r} periods" if fitted.freq else ""
    warn(
        f"{func}: the table's T (from {low:.4g} to {top:.4g}, median {median:.4g}) is on "
        f"another scale than the T the model was fitted on (from {fit_low:.4g} to "
        f"{fit_top:.4g}, median {fit_median:.4g}{period}): frequency, recency and T count "
        "periods, and a table in other periods than the fit (e.g. days against a weekly "
        "fit) gives wrong predictions. Hint: pass a table with attrs['freq'] (as "
        "kamseg.summarize sets it), or check the period of T; if these customers just have "
        "much shorter or longer histories, this can be ignored.",
        stacklevel=4,
    )


def _check_margins(
    customers: pd.DataFrame, margins: np.ndarray, margin: float | Hashable, *, func: str
) -> None:
    """Refuse margins above 1 (profit cannot exceed revenue); negative ones are losses."""
    above = margins > 1.0
    if not above.any():
        return
    if isinstance(margin, int | float) and not isinstance(margin, bool):
        raise ConfigError(
            f"{func}: `margin` is a share of revenue and must be at most 1 (profit CLV "
            f"cannot exceed CLV); got {margin!r}. Hint: pass 0.25 for a 25 % margin."
        )
    raise ConfigError(
        f"{func}: column {margin!r} (argument `margin`) is a share of revenue and must be at "
        f"most 1 (profit CLV cannot exceed CLV); {int(above.sum())} customer(s) have more, "
        f"e.g. (index) {examples(customers.index[above])} with "
        f"{examples(margins[above].tolist())}. Hint: margins are profit / revenue, e.g. "
        "0.25; negative margins (loss-making customers) are allowed."
    )


def _spend_function(
    customers: pd.DataFrame,
    spend: FitResult | Hashable,
    *,
    func: str,
    monetary_col: Hashable,
    x: np.ndarray,
) -> Callable[[np.ndarray | None], np.ndarray]:
    """spend_fn(params or None) -> expected spend per purchase for every customer."""
    if isinstance(spend, FitResult):
        if spend.model != "gamma_gamma":
            raise ConfigError(
                f"{func}: `spend` must be a 'gamma_gamma' fit or a column name; got a "
                f"{spend.model!r} fit."
            )
        from kamseg.clv._gamma_gamma import repeat_spend

        check_columns(customers, {"monetary_col": monetary_col}, func=func)
        m = to_float(customers[monetary_col], func=func, col=str(monetary_col))
        base, limit = spend.values(), spend.boundary

        def gg(params: np.ndarray | None) -> np.ndarray:
            return repeat_spend(base if params is None else params, x, m, boundary=limit)

        return gg
    values = _per_customer(customers, spend, func=func, arg="spend")

    def column(params: np.ndarray | None) -> np.ndarray:
        return values

    return column


def _parameter_draws(fitted: FitResult, rng: np.random.Generator, n_draws: int) -> np.ndarray:
    """Parameter sets from the fit's asymptotic normal distribution on the log scale; the
    share of a limit model (``p``, ``pi``: in (0, 1)) on the logit scale instead (its log
    covariance carried over by the delta method, d logit(p) / d log(p) = 1 / (1 - p)), so
    that no draw leaves (0, 1)."""
    values = fitted.values()
    mean, cov = np.log(values), np.array(fitted.log_covariance, dtype=np.float64)
    shares = [
        i
        for i, name in enumerate(fitted.params)
        if fitted.boundary is not None and fitted.model != "gamma_gamma" and name in ("p", "pi")
    ]
    for i in shares:
        scale = 1.0 / (1.0 - values[i])
        mean[i] = math.log(values[i]) - math.log1p(-values[i])
        cov[i, :] *= scale
        cov[:, i] *= scale
    z = rng.multivariate_normal(mean, cov, size=n_draws)
    draws = np.exp(z)
    for i in shares:  # (a logit beyond +-37 rounds to 0 or 1: kept just inside)
        share = 1.0 / (1.0 + np.exp(-z[:, i]))
        draws[:, i] = np.clip(share, np.finfo(np.float64).tiny, np.nextafter(1.0, 0.0))
    return draws


def _clv_interval(
    fitted: FitResult,
    spend: FitResult | Hashable,
    spend_fn: Callable[[np.ndarray | None], np.ndarray],
    purchases: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
    *,
    interval: float,
    n_draws: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    if not np.all(np.isfinite(fitted.log_covariance)):
        raise ConfigError(
            "clv.predict: the fit has no usable covariance matrix, so no interval can be "
            "drawn. Hint: fit on more customers, or leave interval=None."
        )
    rng = np.random.default_rng(seed)
    tx_draws = _parameter_draws(fitted, rng, n_draws)
    sp_draws: np.ndarray | None = None
    if isinstance(spend, FitResult):
        sp_draws = np.exp(
            rng.multivariate_normal(np.log(spend.values()), spend.log_covariance, size=n_draws)
        )
    draws = np.vstack(
        [
            spend_fn(None if sp_draws is None else sp_draws[i]) * purchases(tx_draws[i])[2]
            for i in range(n_draws)
        ]
    )
    tail = (1.0 - interval) / 2.0
    lower, upper = np.quantile(draws, [tail, 1.0 - tail], axis=0)
    return lower, upper
