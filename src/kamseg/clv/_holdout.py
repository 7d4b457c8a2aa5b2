"""Calibration/holdout validation of the transaction models (BG/NBD, MBG/NBD, Pareto/NBD).

The papers judge a purchase model the same way: fit it on a calibration window, predict
each customer's purchases in the following holdout window from their calibration history,
and compare with what they did (Fader, Hardie & Lee 2005, section 5). This module builds
the calibration/holdout table (:func:`calibration_holdout`, the equivalent of lifetimes'
``calibration_and_holdout_data``), scores one fit on it (:func:`evaluate_holdout`) and
ranks several models side by side (:func:`compare_models`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, get_args

import numpy as np
import pandas as pd

from kamseg._types import Freq, ReturnsPolicy
from kamseg._validation import (
    as_of_day,
    check_choice,
    check_columns,
    check_frame,
    check_int,
    examples,
    to_float,
    warn,
)
from kamseg.clv._api import _rfm_arrays, _spec, fit
from kamseg.clv._base import TRANSACTION_MODELS, FitResult
from kamseg.errors import ConfigError, ConvergenceError, EmptyInputError, SchemaError
from kamseg.summary import periods, summarize
from kamseg.transactions import PreparedTransactions, as_prepared

__all__ = [
    "HOLDOUT_COLUMNS",
    "HoldoutReport",
    "calibration_holdout",
    "compare_models",
    "evaluate_holdout",
]

#: Columns of the table made by :func:`calibration_holdout`, in order.
HOLDOUT_COLUMNS: tuple[str, ...] = (
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "frequency_holdout",
    "monetary_value_holdout",
    "duration_holdout",
)

#: Metrics reported by :func:`evaluate_holdout`, in order.
METRICS: tuple[str, ...] = (
    "customers",
    "actual",
    "predicted",
    "mae",
    "rmse",
    "correlation",
    "aggregate_error",
)

#: Holdout metrics repeated in :func:`compare_models`.
METRIC_COLUMNS: tuple[str, ...] = ("mae", "rmse", "correlation", "aggregate_error")


def _day(value: Any, *, func: str, arg: str) -> int:
    """Day number of a date option, parsed by ``as_of_day`` (errors name `arg`)."""
    try:
        day = as_of_day(value, func=func)
    except ConfigError as exc:
        raise ConfigError(
            f"{func}: `{arg}` must be a date (e.g. '2024-06-30'); got {value!r}."
        ) from exc
    if day is None:  # pragma: no cover - callers pass None on as "not given"
        raise ConfigError(f"{func}: `{arg}` must be a date; got None.")
    return day


def _iso(day: int) -> str:
    return str(np.datetime64(day, "D"))


def _period_of(day: int, freq: str) -> int:
    return int(periods(np.array([day], dtype=np.int64), freq)[0])


def _holdout_periods(cal_day: int, hold_day: int, freq: str, *, func: str, shown_end: str) -> int:
    """Length of the holdout window in `freq` periods; raises unless it is at least one."""
    if hold_day <= cal_day:
        raise ConfigError(
            f"{func}: `calibration_end` ({_iso(cal_day)}) must be before `holdout_end` "
            f"({shown_end}). Hint: choose an earlier calibration_end."
        )
    duration = _period_of(hold_day, freq) - _period_of(cal_day, freq)
    if duration < 1:
        raise ConfigError(
            f"{func}: the holdout window {_iso(cal_day + 1)}..{_iso(hold_day)} does not reach "
            f"into the next {freq!r} period after calibration_end, so it is 0 periods long. "
            "Hint: choose a later holdout_end or an earlier calibration_end."
        )
    return duration


def calibration_holdout(
    transactions: pd.DataFrame | PreparedTransactions,
    *,
    calibration_end: Any,
    holdout_end: Any = None,
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    freq: Freq = "D",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
) -> pd.DataFrame:
    """Split a transaction log into a calibration summary and holdout purchase counts.

    The calibration window is every day up to and including `calibration_end`; the holdout
    window the days after it, up to and including `holdout_end`. Customers whose first
    purchase is in the holdout window are not in the table: a model fitted on the
    calibration window knows nothing about them. This is lifetimes'
    ``calibration_and_holdout_data`` (see Notes for the one difference).

    Parameters
    ----------
    transactions
        One row per order or order line (a DataFrame, not modified), prepared with
        :func:`kamseg.prepare_transactions` rules under the keywords below and
        ``as_of=holdout_end``; or a :class:`~kamseg.transactions.PreparedTransactions`,
        used as it is: its columns, `dropna` and `returns` hold, the keywords that set them
        are not read, and nothing is validated or warned again.
    calibration_end
        Last day of the calibration window (only the day counts; transactions dated on it
        are calibration purchases). Required.
    holdout_end
        Last day of the holdout window. Default: the latest date in the data (for prepared
        transactions, their `as_of`). Later transactions of a DataFrame are excluded,
        counted in the preparation's :class:`~kamseg.errors.KamsegWarning` (as rows "dated
        after as_of"); prepared transactions are cut off at it without a warning, and it
        must not be after their `as_of`.
    customer_col, date_col, amount_col
        Columns holding the customer id, the purchase date and the amount, as in
        :func:`kamseg.summarize` (DataFrame input only).
    freq
        Period of the BTYD columns and of the holdout counts: ``"D"`` days, ``"W"`` weeks
        (Monday to Sunday, as pandas' and lifetimes' ``"W"``) or ``"M"`` calendar months.
        A period is "a purchase period" when at least one transaction is dated in it; see
        `Returns` for how each column counts them.
    dropna
        Rows with a null customer id, date or amount raise
        :class:`~kamseg.errors.SchemaError` by default; with ``dropna=True`` they are
        dropped, counted in the preparation's warning (DataFrame input only).
    returns
        Policy for negative amounts, as in :func:`kamseg.prepare_transactions`: ``"net"``
        (default) nets them into the calibration totals and into the holdout spend;
        ``"exclude"`` drops them from both windows; ``"error"`` raises
        :class:`~kamseg.errors.SchemaError`. Netted and excluded rows of both windows are
        counted in the preparation's one warning (DataFrame input only).

    Returns
    -------
    DataFrame
        Indexed by customer id (index named after `customer_col`, sorted), one row per
        customer with at least one transaction on or before `calibration_end`; all
        columns float64:

        - ``frequency``, ``recency``, ``T``, ``monetary_value``: the calibration BTYD
          summary, exactly :func:`kamseg.summarize` of the calibration rows with
          ``as_of=calibration_end`` (repeat purchase periods; periods from the first to
          the last purchase; periods from the first purchase to the `calibration_end`
          period; mean spend per repeat period). Pass the table straight to
          :func:`kamseg.clv.fit`.
        - ``frequency_holdout``: the number of distinct periods holding at least one of
          the customer's transactions dated in the holdout window (after `calibration_end`,
          up to `holdout_end`). With ``"W"`` or ``"M"`` the period containing
          `calibration_end` counts when the customer bought in it after `calibration_end`.
        - ``monetary_value_holdout``: the customer's holdout spend divided by
          ``frequency_holdout``, i.e. the mean spend per holdout purchase period (the
          same per-period convention as ``monetary_value``); 0 without holdout purchases.
        - ``duration_holdout``: the holdout length in periods, ``period(holdout_end) -
          period(calibration_end)``: days for ``"D"``, Monday-to-Sunday week boundaries
          crossed for ``"W"``, calendar month boundaries crossed for ``"M"``. The same for
          every customer.

        ``attrs`` holds ``freq``, ``as_of`` (= ``calibration_end``, the date the
        calibration columns describe), ``calibration_end`` and ``holdout_end`` (ISO date
        text).

    Raises
    ------
    ColumnNotFoundError
        If a named column is missing.
    SchemaError
        On unparseable dates, non-numeric amounts, nulls (unless ``dropna=True``) or
        negative amounts with ``returns="error"``.
    ConfigError
        If `calibration_end` or `holdout_end` is not a date, if `calibration_end` is not
        before `holdout_end` (or the holdout window is shorter than one period), if
        `holdout_end` is after the `as_of` of prepared transactions, or on an unknown
        `freq` or `returns`.
    EmptyInputError
        If there are no transactions, or none on or before `calibration_end`.

    Notes
    -----
    ``frequency``, ``recency``, ``T``, ``monetary_value``, ``frequency_holdout`` and
    ``duration_holdout`` equal lifetimes' ``frequency_cal``, ``recency_cal``, ``T_cal``,
    ``monetary_value_cal``, ``frequency_holdout`` and ``duration_holdout`` (for ``"D"`` and
    ``"W"``; lifetimes rejects ``"M"``). lifetimes' ``monetary_value_holdout`` is the mean
    *per transaction row*, which disagrees with its own per-period ``monetary_value_cal``
    when a customer has several rows in one period; kamseg divides by the purchase periods
    in both windows. The two agree when there is one row per customer and period.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.clv._holdout import calibration_holdout
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
    >>> ch = calibration_holdout(
    ...     data.transactions, calibration_end="2023-12-31", freq="W"
    ... )
    >>> list(ch.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['frequency', 'recency', 'T', 'monetary_value', 'frequency_holdout',
     'monetary_value_holdout', 'duration_holdout']
    >>> float(ch.duration_holdout.iloc[0])  # 2024-01-01 .. 2024-12-31 in Monday weeks
    53.0
    >>> bool((ch["T"] >= ch["recency"]).all()), ch.attrs["holdout_end"]
    (True, '2024-12-31')

    Prepared once, the same transactions serve several splits without a second validation:

    >>> prepared = kamseg.prepare_transactions(data.transactions)
    >>> again = calibration_holdout(prepared, calibration_end="2023-12-31", freq="W")
    >>> again.equals(ch)
    True
    """
    func = "calibration_holdout"
    check_choice(freq, get_args(Freq), func=func, arg="freq")
    if calibration_end is None:
        raise ConfigError(
            f"{func}: `calibration_end` is required: the last day of the calibration window "
            "(e.g. '2024-06-30')."
        )
    cal_day = _day(calibration_end, func=func, arg="calibration_end")
    hold_day: int | None = None
    duration = 0
    if isinstance(transactions, PreparedTransactions):
        if holdout_end is None:
            hold_day = transactions.as_of_day
            shown_end = f"{_iso(hold_day)}, the as_of of the prepared transactions"
        else:
            hold_day = _day(holdout_end, func=func, arg="holdout_end")
            if hold_day > transactions.as_of_day:
                raise ConfigError(
                    f"{func}: `holdout_end` ({_iso(hold_day)}) is after the as_of of the "
                    f"prepared transactions ({_iso(transactions.as_of_day)}), whose later rows "
                    "were excluded. Hint: prepare the transactions with as_of=holdout_end."
                )
            shown_end = _iso(hold_day)
        duration = _holdout_periods(cal_day, hold_day, freq, func=func, shown_end=shown_end)
    elif holdout_end is not None:
        hold_day = _day(holdout_end, func=func, arg="holdout_end")
        duration = _holdout_periods(cal_day, hold_day, freq, func=func, shown_end=_iso(hold_day))

    prepared = as_prepared(
        transactions,
        func=func,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        as_of=None if hold_day is None else _iso(hold_day),
        dropna=dropna,
        returns=returns,
        stacklevel=6,  # warn -> _notify -> _prepare -> as_prepared -> here -> the caller
    )
    if hold_day is None:  # a DataFrame without holdout_end: its latest date
        hold_day = prepared.as_of_day
        duration = _holdout_periods(
            cal_day,
            hold_day,
            freq,
            func=func,
            shown_end=f"{_iso(hold_day)}, the latest date in the data",
        )

    # --- calibration: the summary of the rows up to calibration_end --------------------------
    calibration = prepared.until(_iso(cal_day))
    if calibration.n_rows == 0:
        first = _iso(int(prepared.day.min())) if prepared.n_rows else "none"
        raise EmptyInputError(
            f"{func}: no transactions on or before calibration_end {_iso(cal_day)} (the "
            f"first is dated {first}), so no customer can be calibrated. Hint: choose a "
            "later calibration_end."
        )
    customers = summarize(calibration, freq=freq)
    index = customers.index
    n = len(index)

    # --- holdout: distinct purchase periods and spend of the calibration customers ------------
    in_hold = prepared.day > cal_day
    code_pos = np.asarray(index.get_indexer(prepared.ids), dtype=np.int64)
    pos = code_pos[prepared.code[in_hold]]
    known = pos >= 0
    pos = pos[known]
    hold_days = prepared.day[in_hold][known]
    hold_amount = prepared.amount[in_hold][known]
    if pos.size:
        period = periods(hold_days, freq)
        pmin = int(period.min())
        span = int(period.max()) - pmin + 1
        pairs = np.unique(pos * span + (period - pmin))
        n_periods = np.bincount(pairs // span, minlength=n).astype(np.float64)
    else:
        warn(
            f"{func}: no customer of the calibration window bought in the holdout window "
            f"{_iso(cal_day + 1)}..{_iso(hold_day)}; frequency_holdout is 0 for everyone."
        )
        n_periods = np.zeros(n)
    spend = np.bincount(pos, weights=hold_amount, minlength=n)
    mean_spend = np.divide(spend, n_periods, out=np.zeros(n), where=n_periods > 0)

    result = pd.DataFrame(
        {
            "frequency": customers["frequency"].to_numpy(),
            "recency": customers["recency"].to_numpy(),
            "T": customers["T"].to_numpy(),
            "monetary_value": customers["monetary_value"].to_numpy(),
            "frequency_holdout": n_periods,
            "monetary_value_holdout": mean_spend,
            "duration_holdout": np.full(n, float(duration)),
        },
        index=index,
    )
    result.attrs = {
        "freq": freq,
        "as_of": _iso(cal_day),
        "calibration_end": _iso(cal_day),
        "holdout_end": _iso(hold_day),
    }
    return result


# --- evaluation ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class HoldoutReport:
    """How well a transaction model predicted the holdout purchases.

    Attributes
    ----------
    model
        Name of the evaluated model (``"bgnbd"``, ``"mbgnbd"`` or ``"pareto_nbd"``).
    metrics
        Series (float64) indexed by metric name:

        - ``customers``: number of customers compared;
        - ``actual``, ``predicted``: total holdout purchases, observed and expected;
        - ``mae``: mean absolute error per customer, ``mean(|predicted - actual|)``;
        - ``rmse``: root mean squared error per customer;
        - ``correlation``: Pearson correlation of predicted and actual (NaN when either is
          constant);
        - ``aggregate_error``: ``(sum predicted - sum actual) / sum actual``, a fraction
          (-0.05 is a 5 % under-forecast); NaN when nobody bought in the holdout.
    by_frequency
        The conditional-expectation table of the papers (e.g. Fader, Hardie & Lee 2005):
        indexed by calibration frequency bucket (ordered categorical ``"0"``, ``"1"``, ...,
        ``"<max_bucket>+"``), columns ``customers`` (int64), ``actual`` (mean holdout
        purchases) and ``predicted`` (mean conditional expectation), float64; NaN for an
        empty bucket.
    per_customer
        Indexed like the evaluated table: ``frequency`` (calibration), ``actual``
        (holdout purchase periods) and ``predicted`` (conditional expectation over
        ``duration_holdout``), float64.
    """

    model: str
    metrics: pd.Series
    by_frequency: pd.DataFrame
    per_customer: pd.DataFrame

    def __repr__(self) -> str:
        m = self.metrics
        return (
            f"HoldoutReport(model={self.model!r}, customers={int(m['customers'])}, "
            f"mae={m['mae']:.4g}, rmse={m['rmse']:.4g}, correlation={m['correlation']:.4g}, "
            f"aggregate_error={m['aggregate_error']:.4g})"
        )


def _conditional_expected(
    model: str, params: np.ndarray, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """E[purchases in the next t periods | x, t_x, T] under `model` (one horizon t)."""
    if model in ("bgnbd", "mbgnbd"):
        from kamseg.clv import _bgnbd

        return _bgnbd.conditional_expected_purchases(
            params, t, x, t_x, T, modified=model == "mbgnbd"
        )
    from kamseg.clv import _pareto_nbd

    return np.asarray(_pareto_nbd.conditional_expected_purchases(params, t, x, t_x, T))


def holdout_predictions(
    fitted: FitResult, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, duration: np.ndarray
) -> np.ndarray:
    """Conditional expected purchases of each customer over their own `duration`."""
    from kamseg.clv import _limits

    predicted = np.empty(x.size, dtype=np.float64)
    params = fitted.values()
    face = _limits.boundary_face(fitted)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in np.unique(duration):
            rows = duration == t
            if face is not None:
                predicted[rows] = _limits.conditional_expected_purchases(
                    face, params, float(t), x[rows], t_x[rows], T[rows]
                )
                continue
            predicted[rows] = _conditional_expected(
                fitted.model, params, float(t), x[rows], t_x[rows], T[rows]
            )
    return predicted


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    da = a - a.mean()
    db = b - b.mean()
    denom = math.sqrt(float(np.dot(da, da)) * float(np.dot(db, db)))
    return float(np.dot(da, db)) / denom if denom > 0 else math.nan


def evaluate_holdout(
    customers: pd.DataFrame,
    fitted: FitResult,
    *,
    frequency_col: Hashable = "frequency",
    recency_col: Hashable = "recency",
    T_col: Hashable = "T",
    frequency_holdout_col: Hashable = "frequency_holdout",
    duration_holdout_col: Hashable = "duration_holdout",
    max_bucket: int = 7,
) -> HoldoutReport:
    """Compare a transaction model's holdout predictions with the observed purchases.

    Each customer's prediction is the model's conditional expectation of their purchases
    in the next ``duration_holdout`` periods given their calibration history
    (``frequency``, ``recency``, ``T``), e.g. Fader, Hardie & Lee (2005), eq. 10 for
    BG/NBD. It is compared with ``frequency_holdout``, the purchase periods observed.

    Parameters
    ----------
    customers
        A calibration/holdout customer table, e.g. from :func:`calibration_holdout`, in the
        periods of the fit. Not modified.
    fitted
        A ``"bgnbd"``, ``"mbgnbd"`` or ``"pareto_nbd"`` fit from :func:`kamseg.clv.fit`,
        normally on the calibration columns of `customers`.
    frequency_col, recency_col, T_col
        Calibration columns.
    frequency_holdout_col, duration_holdout_col
        Holdout purchase periods, and holdout length in periods.
    max_bucket
        Customers with calibration frequency >= `max_bucket` share the last row
        (``"7+"`` by default, as in the papers) of ``by_frequency``; smaller frequencies
        (rounded down) get one row each.

    Returns
    -------
    HoldoutReport
        Frozen: ``model``, ``metrics`` (Series: customers, actual, predicted, mae, rmse,
        correlation, aggregate_error), ``by_frequency`` (DataFrame: customers, actual,
        predicted per calibration-frequency bucket) and ``per_customer`` (DataFrame:
        frequency, actual, predicted). See :class:`HoldoutReport`.

    Raises
    ------
    ColumnNotFoundError
        If a named column is missing.
    SchemaError
        On impossible values (nulls, negative counts or durations, recency > T).
    ConfigError
        If `fitted` is not a transaction model, was fitted on other periods than
        ``customers.attrs["freq"]``, or `max_bucket` is not an integer >= 1.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.clv._holdout import calibration_holdout, evaluate_holdout
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
    >>> ch = calibration_holdout(data.transactions, calibration_end="2023-12-31", freq="W")
    >>> report = evaluate_holdout(ch, kamseg.clv.fit(ch, model="bgnbd"), max_bucket=3)
    >>> report.by_frequency.index.tolist()
    ['0', '1', '2', '3+']
    >>> list(report.by_frequency.columns), list(report.per_customer.columns)
    (['customers', 'actual', 'predicted'], ['frequency', 'actual', 'predicted'])
    >>> int(report.metrics["customers"]) == len(ch)
    True
    """
    func = "evaluate_holdout"
    if not isinstance(fitted, FitResult) or fitted.model not in TRANSACTION_MODELS:
        raise ConfigError(
            f"{func}: `fitted` must be a transaction model fit (one of "
            f"{', '.join(TRANSACTION_MODELS)}); got {getattr(fitted, 'model', fitted)!r}."
        )
    max_bucket = check_int(max_bucket, func=func, arg="max_bucket", low=1)
    check_frame(customers, func=func, arg="customers")
    check_columns(
        customers,
        {
            "frequency_col": frequency_col,
            "recency_col": recency_col,
            "T_col": T_col,
            "frequency_holdout_col": frequency_holdout_col,
            "duration_holdout_col": duration_holdout_col,
        },
        func=func,
    )
    table_freq = customers.attrs.get("freq")
    if fitted.freq is not None and table_freq is not None and fitted.freq != table_freq:
        raise ConfigError(
            f"{func}: the model was fitted on {fitted.freq!r} periods but `customers` is in "
            f"{table_freq!r} periods. Hint: fit on the same table you evaluate."
        )
    x, t_x, T = _rfm_arrays(
        customers, func=func, frequency_col=frequency_col, recency_col=recency_col, T_col=T_col
    )
    actual = to_float(customers[frequency_holdout_col], func=func, col=str(frequency_holdout_col))
    duration = to_float(customers[duration_holdout_col], func=func, col=str(duration_holdout_col))
    for col, values in ((frequency_holdout_col, actual), (duration_holdout_col, duration)):
        bad = ~(values >= 0)
        if bad.any():
            raise SchemaError(
                f"{func}: column {col!r} has {int(bad.sum())} null or negative value(s); "
                f"examples (index): {examples(customers.index[bad])}. Hint: build the table "
                "with calibration_holdout."
            )

    predicted = holdout_predictions(fitted, x, t_x, T, duration)
    error = predicted - actual
    total_actual = float(actual.sum())
    total_predicted = float(predicted.sum())
    metrics = pd.Series(
        [
            float(x.size),
            total_actual,
            total_predicted,
            float(np.mean(np.abs(error))),
            math.sqrt(float(np.mean(error**2))),
            _correlation(predicted, actual),
            (total_predicted - total_actual) / total_actual if total_actual > 0 else math.nan,
        ],
        index=pd.Index(METRICS, name="metric"),
        name=fitted.model,
        dtype=np.float64,
    )

    labels = [str(i) for i in range(max_bucket)] + [f"{max_bucket}+"]
    bucket = np.minimum(np.floor(x), max_bucket).astype(np.int64)
    size = np.bincount(bucket, minlength=max_bucket + 1)

    def mean_by_bucket(values: np.ndarray) -> np.ndarray:
        sums = np.bincount(bucket, weights=values, minlength=max_bucket + 1)
        out: np.ndarray = np.divide(sums, size, out=np.full(sums.shape, np.nan), where=size > 0)
        return out

    by_frequency = pd.DataFrame(
        {
            "customers": size.astype(np.int64),
            "actual": mean_by_bucket(actual),
            "predicted": mean_by_bucket(predicted),
        },
        index=pd.CategoricalIndex(labels, categories=labels, ordered=True, name="frequency"),
    )
    per_customer = pd.DataFrame(
        {"frequency": x, "actual": actual, "predicted": predicted}, index=customers.index
    )
    return HoldoutReport(
        model=fitted.model, metrics=metrics, by_frequency=by_frequency, per_customer=per_customer
    )


# --- model comparison ------------------------------------------------------------------------


def compare_models(
    customers: pd.DataFrame,
    *,
    models: Sequence[str] = ("bgnbd", "mbgnbd", "pareto_nbd"),
    penalty: float = 0.0,
    frequency_col: Hashable = "frequency",
    recency_col: Hashable = "recency",
    T_col: Hashable = "T",
    frequency_holdout_col: Hashable = "frequency_holdout",
    duration_holdout_col: Hashable = "duration_holdout",
) -> pd.DataFrame:
    """Fit several transaction models on the calibration columns and score them on holdout.

    Parameters
    ----------
    customers
        A calibration/holdout customer table, e.g. from :func:`calibration_holdout`. Not
        modified.
    models
        Models to fit with :func:`kamseg.clv.fit`: any of ``"bgnbd"``, ``"mbgnbd"``,
        ``"pareto_nbd"`` (distinct).
    penalty
        L2 penalty passed to every fit (0 is plain maximum likelihood). The likelihood,
        AIC and BIC reported are those of the unpenalised model at the estimates.
    frequency_col, recency_col, T_col, frequency_holdout_col, duration_holdout_col
        Columns, as in :func:`evaluate_holdout`.

    Returns
    -------
    DataFrame
        Indexed by ``model`` (str), one row per model, sorted by AIC (best first; models
        whose fit failed last):

        - ``n_params`` (int64): number of parameters (of the limit model for a boundary
          fit);
        - ``log_likelihood``, ``aic``, ``bic`` (float64): of the calibration fit;
        - ``mae``, ``rmse``, ``correlation``, ``aggregate_error`` (float64): holdout
          metrics from :func:`evaluate_holdout`;
        - ``boundary`` (str): empty for an ordinary maximum; for a fit on the boundary of
          the parameter space, the limit model it returned (``FitResult.boundary``, e.g.
          ``"no dropout"``), whose parameters ``n_params`` counts;
        - ``dropout_identified`` (object: True, False, or None for a failed fit): whether
          the data identify dropout (``FitResult.dropout_identified``), i.e. whether the
          model's P(alive) can tell lapsed customers;
        - ``note`` (str): empty for a successful fit; for a fit that raised
          :class:`~kamseg.errors.ConvergenceError`, the reason (its other values are NaN).

    Warns
    -----
    KamsegWarning
        For each model whose fit did not converge, naming it; the fit's own warning for
        each boundary fit.

    Raises
    ------
    ColumnNotFoundError
        If a named column is missing.
    ConfigError
        On an unknown or repeated model, no models, or a negative penalty.
    SchemaError
        On impossible values in the table (as :func:`kamseg.clv.fit`).

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.clv._holdout import calibration_holdout, compare_models
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
    >>> ch = calibration_holdout(data.transactions, calibration_end="2023-12-31", freq="W")
    >>> table = compare_models(ch, models=("bgnbd", "mbgnbd"))
    >>> sorted(table.index), table.columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
    (['bgnbd', 'mbgnbd'], ['n_params', 'log_likelihood', 'aic', 'bic', 'mae', 'rmse',
     'correlation', 'aggregate_error', 'boundary', 'dropout_identified', 'note'])
    >>> bool(table.aic.is_monotonic_increasing)
    True
    """
    func = "compare_models"
    if isinstance(models, str):
        models = (models,)
    models = tuple(models)
    if not models:
        raise ConfigError(f"{func}: `models` is empty. Hint: e.g. models=('bgnbd', 'mbgnbd').")
    for model in models:
        check_choice(model, TRANSACTION_MODELS, func=func, arg="models")
    if len(set(models)) < len(models):
        raise ConfigError(f"{func}: `models` repeats a model: {models!r}.")
    check_frame(customers, func=func, arg="customers")
    columns = {
        "frequency_col": frequency_col,
        "recency_col": recency_col,
        "T_col": T_col,
        "frequency_holdout_col": frequency_holdout_col,
        "duration_holdout_col": duration_holdout_col,
    }
    check_columns(customers, columns, func=func)

    rows: list[dict[str, Any]] = []
    for model in models:
        row: dict[str, Any] = {"model": model, "n_params": len(_spec(model).param_names)}
        try:
            fitted = fit(
                customers,
                model=model,  # type: ignore[arg-type]
                penalty=penalty,
                frequency_col=frequency_col,
                recency_col=recency_col,
                T_col=T_col,
            )
        except ConvergenceError as exc:
            warn(f"{func}: the {model!r} fit did not converge; its row is NaN. {exc}")
            row.update(dict.fromkeys(("log_likelihood", "aic", "bic"), math.nan))
            row.update(dict.fromkeys(METRIC_COLUMNS, math.nan))
            row.update(boundary="", dropout_identified=None)
            row["note"] = f"did not converge: {exc}"
            rows.append(row)
            continue
        report = evaluate_holdout(
            customers,
            fitted,
            frequency_col=frequency_col,
            recency_col=recency_col,
            T_col=T_col,
            frequency_holdout_col=frequency_holdout_col,
            duration_holdout_col=duration_holdout_col,
        )
        row.update(
            n_params=fitted.n_params,
            log_likelihood=fitted.log_likelihood,
            aic=fitted.aic,
            bic=fitted.bic,
            **{name: float(report.metrics[name]) for name in METRIC_COLUMNS},
            boundary=fitted.boundary or "",
            dropout_identified=fitted.dropout_identified,
            note="",
        )
        rows.append(row)
    table = pd.DataFrame(rows).set_index("model")
    table["n_params"] = table["n_params"].astype(np.int64)
    table["dropout_identified"] = table["dropout_identified"].astype(object)
    return table.sort_values("aic", na_position="last", kind="stable")
