"""Churn early warnings: flags, with the reasons in words and numbers.

Seed 004 (big-customer service) asks for *churn early warnings*. :func:`early_warnings`
adds boolean flags (spend down, overdue, became a detractor, open complaints),
``warning_reasons`` with the numbers behind them and ``n_warnings``. It reads columns, not
modules: ``spend_trend`` (or `transactions`, or an engine's activity columns),
``overdue_ratio`` (or the summary's columns), each defined once in :mod:`kamseg.features`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable
from typing import Any, Literal, cast, get_args

import numpy as np
import pandas as pd

from kamseg._health_fit import (
    SUMMARY_COLUMNS,
    WARN_TEXT,
    apply_as_of,
    as_of_timestamp,
    day_text,
    fill,
    fmt,
    latest_day,
    learn_base_gap,
    ratio_text,
)
from kamseg._state import state
from kamseg._tables import (
    customer_column,
    end_day,
    float_column,
    reasons_column,
    side_table,
)
from kamseg._types import ReturnsPolicy
from kamseg._validation import (
    as_of_day,
    check_choice,
    check_frame,
    check_int,
    check_no_overwrite,
    warn,
)
from kamseg.errors import ColumnNotFoundError, ConfigError
from kamseg.features import (
    MIN_TREND_ORDERS,
    NPS_SCALE,
    TREND_WINDOW_DAYS,
    answers,
    customer_activity,
    is_detractor,
    latest_answers,
    open_complaints,
    prepared_for,
    rhythm_columns,
    table_activity,
)
from kamseg.labels import Language, check_language
from kamseg.transactions import PreparedTransactions

__all__ = [
    "WARNING_COLUMNS",
    "DetractorRule",
    "EarlyWarningFit",
    "early_warnings",
    "fit_early_warnings",
]

_WARN_TEXT, _fill, _fmt, _ratio_text = WARN_TEXT, fill, fmt, ratio_text  # the old names

DetractorRule = Literal["became", "latest"]
"""When the latest NPS answer raises ``warn_detractor`` (see :func:`early_warnings`)."""

#: Columns added by :func:`early_warnings`, in order.
WARNING_COLUMNS: tuple[str, ...] = (
    "warn_spend_drop",
    "warn_overdue",
    "warn_detractor",
    "warn_open_complaint",
    "warning_reasons",
    "n_warnings",
)


def early_warnings(
    customers: pd.DataFrame,
    *,
    transactions: pd.DataFrame | PreparedTransactions | None = None,
    surveys: pd.DataFrame | None = None,
    complaints: pd.DataFrame | None = None,
    spend_drop: float = 0.3,
    overdue_multiple: float = 2.0,
    window_days: int = TREND_WINDOW_DAYS,
    min_trend_orders: int = MIN_TREND_ORDERS,
    detractor: DetractorRule = "became",
    customer_col: Hashable | None = None,
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    nps_col: Hashable = "nps",
    resolved_col: Hashable | None = "resolved",
    as_of: Any = None,
    labels: Language = "en",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Flag customers showing early signs of churn, with the reasons in words and numbers.

    ========================  ===========================================================
    flag                      raised when
    ========================  ===========================================================
    ``warn_spend_drop``       spend fell by more than `spend_drop` (0.3: more than 30 %):
                              ``spend_trend < -spend_drop``
    ``warn_overdue``          ``overdue_ratio > overdue_multiple``: no purchase for more
                              than `overdue_multiple` usual gaps
    ``warn_detractor``        the latest NPS answer, given in the last `window_days` days,
                              is a detractor's (0-6) and, with ``detractor="became"``,
                              the answer before it (if any) was not
    ``warn_open_complaint``   the customer has an open (unresolved) complaint
    ========================  ===========================================================

    Parameters
    ----------
    customers
        One row per customer, indexed by customer id (e.g. from :func:`kamseg.summarize`).
        Not modified.
    transactions
        Transactions for the spend trend when ``spend_trend`` is not a column of
        `customers` (the column wins): prepared (:func:`kamseg.prepare_transactions`) or a
        DataFrame (`customer_col`, `date_col`, `amount_col`) prepared with `dropna` and
        `returns`. Net spend in the last `window_days` days (up to `as_of`, included) over
        the `window_days` days before, minus 1, under the one rule of
        :func:`kamseg.features.trends` (unknown when the previous window has no spend, the
        first purchase is less than two windows old or the two windows hold fewer than
        `min_trend_orders` orders).
    surveys
        Survey answers (`customer_col`, `date_col`, `nps_col` with whole answers 0-10; null
        answers are skipped). Several answers on one day count as their mean.
    complaints
        Complaints (`customer_col`, `date_col`, and `resolved_col`, boolean, null = open).
        With ``resolved_col=None`` every complaint of the last `window_days` days counts as
        open.
    spend_drop
        Fraction in (0, 1]. Default 0.3.
    overdue_multiple
        Positive number of usual gaps. Default 2. The overdue ratio is the column
        ``overdue_ratio`` (from :func:`kamseg.lifecycle_stage`) or is computed from
        ``days_since_last``, ``tenure_days`` and ``frequency`` by the same rule.
    window_days
        Length of the spend windows, and how recent an NPS answer must be. Default 180.
    min_trend_orders
        Orders needed in the two spend windows for the trend to count. Default 6.
    detractor
        ``"became"`` (default): a detractor answer raises the flag only when it is the
        customer's first answer or follows a non-detractor answer (a change, not a
        customer known to be unhappy); ``"latest"``: any recent detractor answer.
    customer_col, date_col
        Customer id and date columns of the side tables (`transactions` given as a
        DataFrame, `surveys`, `complaints`). `customer_col` defaults to the name of the
        index of `customers` (``"customer_id"`` when the index has no name).
    amount_col, dropna, returns
        How `transactions` given as a DataFrame are read (see
        :func:`kamseg.prepare_transactions`).
    nps_col, resolved_col
        The NPS answer column of `surveys` and the resolved flag of `complaints`.
    as_of
        The observation day. Default ``customers.attrs["as_of"]`` (set by
        :func:`kamseg.summarize`), else the latest date of each side table. Later rows are
        excluded with a warning.
    labels
        Language of ``warning_reasons``: ``"en"`` or ``"zh"``.
    overwrite
        Replace output columns that already exist instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index and row order) with the columns of
        :data:`WARNING_COLUMNS`:

        - ``warn_spend_drop``, ``warn_overdue``, ``warn_detractor``,
          ``warn_open_complaint`` (bool);
        - ``warning_reasons`` (str, ``object`` on pandas 2): one clause per raised flag,
          with its numbers, joined by ``"; "``; empty when no flag is raised;
        - ``n_warnings`` (int64): the number of flags raised.

        A check whose input is missing (no ``spend_trend`` column and no `transactions`, no
        `surveys`, no `complaints`) is not made: its flag is False, a
        :class:`~kamseg.errors.KamsegWarning` says so, and ``attrs["kamseg_warnings_checked"]``
        lists the checks that were made.

    Raises
    ------
    ColumnNotFoundError
        If a column named by an argument is missing.
    SchemaError
        On non-numeric or out-of-range inputs, NPS answers that are not whole numbers
        0-10, null ids or dates in a side table, duplicated customer ids.
    ConfigError
        On an invalid option, or if an output column exists and `overwrite` is false.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.alerts import early_warnings
    >>> customers = pd.DataFrame(
    ...     {"overdue_ratio": [0.5, 2.6, 1.0], "usual_gap_days": [30.0, 30.0, 60.0],
    ...      "days_since_last": [15, 78, 60], "spend_trend": [0.1, -0.45, -0.1]},
    ...     index=pd.Index(["a", "b", "c"], name="customer_id"),
    ... )
    >>> surveys = pd.DataFrame(
    ...     {"customer_id": ["a", "a", "c"], "date": ["2024-03-01", "2024-11-02", "2024-10-01"],
    ...      "nps": [9, 4, 3]}
    ... )
    >>> complaints = pd.DataFrame(
    ...     {"customer_id": ["b", "b", "c"], "date": ["2024-08-01", "2024-12-01", "2024-12-05"],
    ...      "resolved": [False, False, True]}
    ... )
    >>> out = early_warnings(customers, surveys=surveys, complaints=complaints,
    ...                      as_of="2024-12-31")
    >>> flags = ["warn_spend_drop", "warn_overdue", "warn_detractor", "warn_open_complaint"]
    >>> out[flags].astype(int).rename(columns=lambda c: c.removeprefix("warn_"))
                 spend_drop  overdue  detractor  open_complaint
    customer_id
    a                     0        0          1               0
    b                     1        1          0               1
    c                     0        0          1               0
    >>> for text in out["warning_reasons"]:
    ...     print(text)
    NPS 4 on 2024-11-02 (was 9)
    spend down 45% on the previous period; no purchase for 78 days, 2.6× the usual gap \
of 30 days; 2 open complaints, oldest 2024-08-01
    NPS 3 on 2024-10-01 (first answer)
    """
    fit, rows = _fit(
        customers,
        transactions=transactions,
        surveys=surveys,
        complaints=complaints,
        spend_drop=spend_drop,
        overdue_multiple=overdue_multiple,
        window_days=window_days,
        min_trend_orders=min_trend_orders,
        detractor=detractor,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        dropna=dropna,
        returns=returns,
        nps_col=nps_col,
        resolved_col=resolved_col,
        as_of=as_of,
        labels=labels,
        overwrite=overwrite,
        func="early_warnings",
        check_output=True,
    )
    return fit._apply(
        customers, transactions, surveys, complaints, func="early_warnings", prepared_rows=rows
    )


def fit_early_warnings(
    customers: pd.DataFrame,
    *,
    transactions: pd.DataFrame | PreparedTransactions | None = None,
    surveys: pd.DataFrame | None = None,
    complaints: pd.DataFrame | None = None,
    spend_drop: float = 0.3,
    overdue_multiple: float = 2.0,
    window_days: int = TREND_WINDOW_DAYS,
    min_trend_orders: int = MIN_TREND_ORDERS,
    detractor: DetractorRule = "became",
    customer_col: Hashable | None = None,
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    nps_col: Hashable = "nps",
    resolved_col: Hashable | None = "resolved",
    as_of: Any = None,
    labels: Language = "en",
    overwrite: bool = False,
) -> EarlyWarningFit:
    """Freeze what :func:`early_warnings` takes from the base, to flag customers later.

    Takes the arguments of :func:`early_warnings` (same meaning, same validation). The
    flags are rules on each customer's own values, so little is learned: the options, and

    - the **base gap** of the purchase rhythm (the median usual gap of the repeat buyers,
      see :func:`kamseg.features.rhythm`) when the overdue ratio is computed from the
      summary columns, i.e. when `customers` has no ``overdue_ratio`` column (as in
      :func:`kamseg.segment`, where the lifecycle wrote it, nothing is learned here);
    - the **observation day** when neither `as_of` nor ``customers.attrs["as_of"]`` gives
      one: the latest date of the transactions, of `surveys` and of `complaints`, each
      the day that table's checks end at (with a table from :func:`kamseg.summarize`,
      nothing is learned here either).

    ``fit_early_warnings(base, ...).apply(base, ...)`` equals ``early_warnings(base, ...)``
    and :meth:`EarlyWarningFit.apply` is row-wise.

    Returns
    -------
    EarlyWarningFit
        The frozen settings; :meth:`EarlyWarningFit.apply` flags a customer table.

    Raises
    ------
    ColumnNotFoundError, SchemaError, ConfigError
        As :func:`early_warnings`.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.alerts import fit_early_warnings
    >>> base = pd.DataFrame(
    ...     {"days_since_last": [10, 200, 50], "tenure_days": [310, 200, 650],
    ...      "frequency": [3, 0, 2], "spend_trend": [0.0, -0.5, 0.1]},
    ...     index=pd.Index(["a", "b", "c"], name="customer_id"),
    ... )
    >>> none = {"surveys": pd.DataFrame(columns=["customer_id", "date", "nps"]),
    ...         "complaints": pd.DataFrame(columns=["customer_id", "date", "resolved"])}
    >>> fit = fit_early_warnings(base, **none)
    >>> fit.base_gap
    200.0

    The usual gaps of the repeat buyers ``a`` and ``c`` are ``(310 - 10) / 3 = 100`` and
    ``(650 - 50) / 2 = 300`` days; their median, 200, is the gap of single-purchase
    customers, in the base (``b``) and later:

    >>> new = pd.DataFrame(
    ...     {"days_since_last": [500], "tenure_days": [500], "frequency": [0],
    ...      "spend_trend": [0.0]},
    ...     index=pd.Index(["d"], name="customer_id"),
    ... )
    >>> fit.apply(new, **none).loc["d", "warning_reasons"]
    'no purchase for 500 days, 2.5× the usual gap of 200 days'
    """
    return _fit(
        customers,
        transactions=transactions,
        surveys=surveys,
        complaints=complaints,
        spend_drop=spend_drop,
        overdue_multiple=overdue_multiple,
        window_days=window_days,
        min_trend_orders=min_trend_orders,
        detractor=detractor,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        dropna=dropna,
        returns=returns,
        nps_col=nps_col,
        resolved_col=resolved_col,
        as_of=as_of,
        labels=labels,
        overwrite=overwrite,
        func="fit_early_warnings",
    )[0]


_Rows = tuple[PreparedTransactions, np.ndarray]


def _fit(
    customers: pd.DataFrame,
    *,
    transactions: pd.DataFrame | PreparedTransactions | None,
    surveys: pd.DataFrame | None,
    complaints: pd.DataFrame | None,
    spend_drop: float,
    overdue_multiple: float,
    window_days: int,
    min_trend_orders: int,
    detractor: DetractorRule,
    customer_col: Hashable | None,
    date_col: Hashable,
    amount_col: Hashable,
    dropna: bool,
    returns: ReturnsPolicy,
    nps_col: Hashable,
    resolved_col: Hashable | None,
    as_of: Any,
    labels: Language,
    overwrite: bool,
    func: str,
    check_output: bool = False,
) -> tuple[EarlyWarningFit, _Rows | None]:
    """The fit, and the transactions it prepared (with their positions) if it did."""
    check_frame(customers, func=func, arg="customers")
    side_col = customer_column(customers, customer_col)
    lang = check_language(labels, func=func)
    check_choice(detractor, get_args(DetractorRule), func=func, arg="detractor")
    window = check_int(window_days, func=func, arg="window_days", low=1)
    min_orders = check_int(min_trend_orders, func=func, arg="min_trend_orders", low=1)
    for arg, value, high in (
        ("spend_drop", spend_drop, 1.0),
        ("overdue_multiple", overdue_multiple, math.inf),
    ):
        ok = isinstance(value, int | float | np.number) and not isinstance(value, bool)
        if not ok or not 0 < float(value) <= high or not math.isfinite(float(value)):
            bound = "in (0, 1]" if high == 1.0 else "a positive number"
            raise ConfigError(f"{func}: `{arg}` must be {bound}; got {value!r}.")
    if check_output:  # early_warnings: its errors in their order before the split
        check_no_overwrite(customers, WARNING_COLUMNS, func=func, overwrite=overwrite)
    given = as_of_timestamp(as_of, func=func)
    no_day = end_day(as_of, customers, func=func) is None

    # the base gap, and the observation day when none is given
    needs_days = customers.attrs.get("freq", "D") != "D" and "overdue_ratio" not in customers
    from_summary = "overdue_ratio" not in customers and set(SUMMARY_COLUMNS) <= set(customers)
    rows: _Rows | None = None
    wants = transactions is not None and ("spend_trend" not in customers or needs_days)
    if wants and (no_day or (needs_days and from_summary)):
        prepared = prepared_for(
            customers,
            transactions=transactions,
            func=func,
            as_of=given,
            customer_col=side_col,
            date_col=date_col,
            amount_col=amount_col,
            dropna=dropna,
            returns=returns,
            stacklevel=8,
        )
        rows = (prepared, prepared.positions(customers.index, func=func))
    base_gap = None
    if from_summary:
        base_gap = learn_base_gap(
            customers,
            transactions=None if rows is None else rows[0],
            positions=None if rows is None else rows[1],
            func=func,
        )
    ends = {}
    for arg, frame in (("surveys", surveys), ("complaints", complaints)):
        ends[arg] = (
            latest_day(frame, arg=arg, customer_col=side_col, date_col=date_col, func=func)
            if no_day and frame is not None
            else None
        )
    fit = EarlyWarningFit(
        spend_drop=float(spend_drop),
        overdue_multiple=float(overdue_multiple),
        window_days=window,
        min_trend_orders=min_orders,
        detractor=str(detractor),
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        dropna=bool(dropna),
        returns=str(returns),
        nps_col=nps_col,
        resolved_col=resolved_col,
        labels=lang,
        overwrite=bool(overwrite),
        base_gap=base_gap,
        as_of=given,
        fitted_as_of=rows[0].as_of if rows is not None and no_day else None,
        surveys_as_of=ends["surveys"],
        complaints_as_of=ends["complaints"],
    )
    return fit, rows


@state("alerts.EarlyWarningFit")
@dataclasses.dataclass(frozen=True)
class EarlyWarningFit:
    """What :func:`fit_early_warnings` froze; :meth:`apply` flags customers with it.

    Attributes
    ----------
    spend_drop, overdue_multiple, window_days, min_trend_orders, detractor, customer_col, \
date_col, amount_col, dropna, returns, nps_col, resolved_col, labels, overwrite
        The options of :func:`early_warnings`.
    base_gap
        The usual gap (days) of single-purchase customers for the overdue ratio computed
        from the summary columns; None when the base had ``overdue_ratio`` (or neither).
    as_of
        The `as_of` day given (None: ``customers.attrs["as_of"]`` of each table scored).
    fitted_as_of, surveys_as_of, complaints_as_of
        With no `as_of` and no ``attrs["as_of"]``: the latest date of the base's
        transactions, surveys and complaints (else None), for tables that give no day.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.alerts import fit_early_warnings
    >>> base = pd.DataFrame({"overdue_ratio": [0.5, 3.0], "spend_trend": [0.1, -0.4]},
    ...                     index=pd.Index(["a", "b"], name="customer_id"))
    >>> none = {"surveys": pd.DataFrame(columns=["customer_id", "date", "nps"]),
    ...         "complaints": pd.DataFrame(columns=["customer_id", "date", "resolved"])}
    >>> fit = fit_early_warnings(base, **none)
    >>> fit.base_gap is None, fit.spend_drop, fit.overdue_multiple
    (True, 0.3, 2.0)
    >>> fit.apply(base.iloc[[1]], **none)["n_warnings"].tolist()
    [2]
    """

    spend_drop: float
    overdue_multiple: float
    window_days: int
    min_trend_orders: int
    detractor: str
    customer_col: Any
    date_col: Any
    amount_col: Any
    dropna: bool
    returns: str
    nps_col: Any
    resolved_col: Any
    labels: str
    overwrite: bool
    base_gap: float | None
    as_of: pd.Timestamp | None
    fitted_as_of: pd.Timestamp | None
    surveys_as_of: pd.Timestamp | None
    complaints_as_of: pd.Timestamp | None

    def apply(
        self,
        customers: pd.DataFrame,
        *,
        transactions: pd.DataFrame | PreparedTransactions | None = None,
        surveys: pd.DataFrame | None = None,
        complaints: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Flag `customers` as :func:`early_warnings` does, with the frozen settings.

        Row-wise: each row depends only on the customer's own row, its own rows of the
        side tables, and the fit. A check is made when its input is given (a
        :class:`~kamseg.errors.KamsegWarning` names those not made), as in
        :func:`early_warnings`.

        Parameters
        ----------
        customers
            One row per customer, indexed by id. Not modified.
        transactions, surveys, complaints
            As in :func:`early_warnings`.

        Returns
        -------
        DataFrame
            `customers` with the columns of :data:`WARNING_COLUMNS`.

        Raises
        ------
        ColumnNotFoundError, SchemaError, ConfigError
            As :func:`early_warnings`; also when the overdue ratio would be computed from
            the summary columns but the fit learned no base gap (it read ``overdue_ratio``).

        Examples
        --------
        >>> import kamseg
        >>> data = kamseg.datasets.make_transactions(n_customers=200, seed=0)
        >>> base = kamseg.summarize(data.transactions, as_of=data.as_of)
        >>> side = {"transactions": data.transactions, "surveys": data.surveys,
        ...         "complaints": data.complaints}
        >>> fit = kamseg.alerts.fit_early_warnings(base, **side)
        >>> round(fit.base_gap, 2)  # the median usual gap of the repeat buyers, in days
        45.57
        >>> one = base.iloc[[3]]
        >>> mine = {k: v[v["customer_id"].isin(one.index)] for k, v in side.items()}
        >>> fit.apply(one, **mine).equals(fit.apply(base, **side).iloc[[3]])
        True
        """
        return self._apply(
            customers, transactions, surveys, complaints, func="EarlyWarningFit.apply"
        )

    def _apply(
        self,
        customers: pd.DataFrame,
        transactions: pd.DataFrame | PreparedTransactions | None,
        surveys: pd.DataFrame | None,
        complaints: pd.DataFrame | None,
        *,
        func: str,
        prepared_rows: _Rows | None = None,
    ) -> pd.DataFrame:
        """`prepared_rows`: the transactions the fit prepared for this very table."""
        check_frame(customers, func=func, arg="customers")
        customer_col = customer_column(customers, self.customer_col)
        lang = self.labels
        en = lang == "en"
        window, min_orders = self.window_days, self.min_trend_orders
        spend_drop, overdue_multiple = self.spend_drop, self.overdue_multiple
        date_col, nps_col, resolved_col = self.date_col, self.nps_col, self.resolved_col
        check_no_overwrite(customers, WARNING_COLUMNS, func=func, overwrite=self.overwrite)
        end = end_day(self.as_of, customers, func=func)
        n = len(customers)
        checked: list[str] = []
        skipped: list[str] = []
        lang_i = 0 if en else 1

        # --- spend drop ----------------------------------------------------------------------
        spend_flag = np.zeros(n, dtype=bool)
        # each check's texts are made for the customers it flags, a block at a time
        # (reasons_column): the texts of the whole table are never held as Python strings
        makers: list[Any] = [None] * 4  # spend, overdue, detractor, complaint
        prepared = positions = None
        needs_days = customers.attrs.get("freq", "D") != "D" and "overdue_ratio" not in customers
        if prepared_rows is not None:
            prepared, positions = prepared_rows
        elif transactions is not None and ("spend_trend" not in customers or needs_days):
            prepared = prepared_for(
                customers,
                transactions=transactions,
                func=func,
                as_of=apply_as_of(self.as_of, self.fitted_as_of, customers),
                customer_col=customer_col,
                date_col=date_col,
                amount_col=self.amount_col,
                dropna=self.dropna,
                returns=cast(ReturnsPolicy, self.returns),
                stacklevel=8,
            )
            positions = prepared.positions(customers.index, func=func)
        activity = table_activity(customers, window) if prepared is None else None  # engine
        if prepared is not None and "spend_trend" not in customers:
            activity = customer_activity(
                customers, transactions=prepared, window=window, func=func, positions=positions
            )
        if "spend_trend" in customers or activity is not None:
            checked.append("spend_drop")
            if "spend_trend" in customers:
                trend = float_column(customers, "spend_trend", func=func)
                recent = previous = None
            else:
                assert activity is not None
                recent, previous = activity.spend_recent, activity.spend_previous
                trend = activity.spend_trend(min_orders)
            with np.errstate(invalid="ignore"):
                spend_flag = trend < -float(spend_drop)

            def spend_text(at: np.ndarray) -> Any:
                pcts = fmt(-100.0 * trend[at])
                if recent is None or previous is None:
                    return fill(WARN_TEXT["spend_col"][lang_i], at.size, pct=pcts)
                return fill(
                    WARN_TEXT["spend"][lang_i],
                    at.size,
                    w=str(window),
                    pct=pcts,
                    a=fmt(previous[at]),
                    b=fmt(recent[at]),
                )

            makers[0] = spend_text
        else:
            skipped.append("spend_drop (needs 'spend_trend' or transactions=)")

        # --- overdue -------------------------------------------------------------------------
        overdue_flag = np.zeros(n, dtype=bool)
        has_rhythm = "overdue_ratio" in customers or all(c in customers for c in SUMMARY_COLUMNS)
        if has_rhythm:
            if "overdue_ratio" not in customers and self.base_gap is None:
                raise ColumnNotFoundError(
                    f"{func}: the overdue check needs column 'overdue_ratio': the fit read "
                    "that column, so it learned no base gap for the summary columns. Hint: "
                    "add it (kamseg.lifecycle_stage), or fit on a table without it."
                )
            checked.append("overdue")
            ratio, days, gap = rhythm_columns(
                customers,
                transactions=prepared,
                func=func,
                positions=positions,
                base_gap=self.base_gap,
            )
            with np.errstate(invalid="ignore"):
                overdue_flag = ratio > float(overdue_multiple)

            def overdue_text(at: np.ndarray) -> Any:
                bare = np.isnan(days[at]) | np.isnan(gap[at])
                r_text = ratio_text(ratio[at])
                gaps = fill(
                    WARN_TEXT["overdue"][lang_i],
                    at.size,
                    d=fmt(days[at]),
                    r=r_text,
                    g=fmt(gap[at]),
                )
                gaps[bare] = fill(
                    WARN_TEXT["overdue_ratio"][lang_i], int(bare.sum()), r=r_text[bare]
                )
                return gaps

            makers[1] = overdue_text
        else:
            skipped.append("overdue (needs 'overdue_ratio' or the summary columns)")

        # --- detractor -----------------------------------------------------------------------
        detractor_flag = np.zeros(n, dtype=bool)
        if surveys is not None:
            checked.append("detractor")
            rows, pos, day, s_end = side_table(
                surveys,
                customers,
                as_of_day(self.surveys_as_of, func=func) if end is None else end,
                arg="surveys",
                customer_col=customer_col,
                date_col=date_col,
                more={"nps_col": nps_col},
                func=func,
                stacklevel=5,
            )
            x = (
                answers(rows[nps_col], NPS_SCALE, func=func, col=nps_col)
                if len(rows)
                else np.empty(0)
            )
            latest = latest_answers(x, pos, day, n)
            with np.errstate(invalid="ignore"):
                is_det = is_detractor(latest.value) & (s_end - latest.day < window)
            if self.detractor == "became":
                is_det &= ~is_detractor(latest.previous)  # a first answer (NaN) counts too
            detractor_flag = is_det
            first = WARN_TEXT["detractor_first"][lang_i].format
            was = WARN_TEXT["detractor_was"][lang_i].format

            def detractor_text(at: np.ndarray) -> Any:
                return [
                    first(x=f"{x:g}", day=d) if p != p else was(x=f"{x:g}", day=d, prev=f"{p:g}")
                    for x, d, p in zip(
                        latest.value[at].tolist(),
                        day_text(latest.day[at]).tolist(),
                        latest.previous[at].tolist(),
                        strict=True,
                    )
                ]

            makers[2] = detractor_text
        else:
            skipped.append("detractor (needs surveys=)")

        # --- open complaints ---------------------------------------------------------------
        complaint_flag = np.zeros(n, dtype=bool)
        if complaints is not None:
            checked.append("open_complaint")
            rows, pos, day, c_end = side_table(
                complaints,
                customers,
                as_of_day(self.complaints_as_of, func=func) if end is None else end,
                arg="complaints",
                customer_col=customer_col,
                date_col=date_col,
                more={"resolved_col": resolved_col},
                func=func,
                stacklevel=5,
            )
            if resolved_col is None:
                is_open = c_end - day < window
            else:
                is_open = open_complaints(rows, resolved_col, func=func)
            count = np.bincount(pos[is_open], minlength=n)
            oldest = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(oldest, pos[is_open], day[is_open])
            complaint_flag = count > 0
            tmpl = WARN_TEXT["complaint"][lang_i].format

            def complaint_text(at: np.ndarray) -> Any:
                return [
                    tmpl(k=k, s="" if k == 1 else "s", day=d)
                    for k, d in zip(count[at].tolist(), day_text(oldest[at]).tolist(), strict=True)
                ]

            makers[3] = complaint_text
        else:
            skipped.append("open_complaint (needs complaints=)")

        if skipped:
            warn(
                f"{func}: check(s) not made, their flags are False: {'; '.join(skipped)}.",
                stacklevel=4,
            )
        flags = np.vstack([spend_flag, overdue_flag, detractor_flag, complaint_flag])
        reasons = reasons_column(flags, makers, customers.index, "; " if en else "；")
        n_flags = flags.sum(axis=0)
        out = customers.assign(
            warn_spend_drop=spend_flag,
            warn_overdue=overdue_flag,
            warn_detractor=detractor_flag,
            warn_open_complaint=complaint_flag,
            warning_reasons=reasons,
            n_warnings=n_flags.astype(np.int64),
        )
        out.attrs = {**customers.attrs, "kamseg_warnings_checked": checked}
        return out
