"""Churn early warnings: flags, with the reasons in words and numbers.

Seed 004 (big-customer service) asks for *churn early warnings*. :func:`early_warnings`
adds boolean flags (spend down, overdue, became a detractor, open complaints),
``warning_reasons`` with the numbers behind them and ``n_warnings``. It reads columns, not
modules: ``spend_trend`` (or `transactions`), ``overdue_ratio`` (or the summary's
``days_since_last``, ``tenure_days`` and ``frequency``), through the one definition of
each in :mod:`kamseg.features`.
"""

from __future__ import annotations

import math
import string
from collections.abc import Hashable, Mapping
from types import MappingProxyType
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._tables import (
    customer_column,
    end_day,
    float_column,
    join_text,
    side_table,
    text_column,
)
from kamseg._types import ReturnsPolicy
from kamseg._validation import (
    check_choice,
    check_frame,
    check_int,
    check_no_overwrite,
    warn,
)
from kamseg.errors import ConfigError
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
)
from kamseg.labels import Language, check_language
from kamseg.transactions import PreparedTransactions

__all__ = ["WARNING_COLUMNS", "DetractorRule", "early_warnings"]

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

_WARN_TEXT: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "spend": (
            "spend in the last {w} days down {pct}% on the {w} days before ({a} → {b})",
            "近 {w} 天消费额比之前 {w} 天下降 {pct}%（{a} → {b}）",
        ),
        "spend_col": (
            "spend down {pct}% on the previous period",
            "消费额比上一期下降 {pct}%",
        ),
        "overdue": (
            "no purchase for {d} days, {r}× the usual gap of {g} days",
            "已 {d} 天未购买，是平时购买间隔 {g} 天的 {r} 倍",
        ),
        "overdue_ratio": (
            "{r}× the usual gap without a purchase",
            "未购买时长是平时购买间隔的 {r} 倍",
        ),
        "detractor_was": ("NPS {x} on {day} (was {prev})", "NPS 评分 {x}（{day}），此前为 {prev}"),
        "detractor_first": ("NPS {x} on {day} (first answer)", "NPS 评分 {x}（{day}，首次回答）"),
        "complaint": (
            "{k} open complaint{s}, oldest {day}",
            "{k} 条未解决投诉，最早于 {day}",
        ),
    }
)


def _fmt(x: np.ndarray) -> list[str]:
    """Each number with no decimals, as ``f"{x:.0f}"``, formatted once per distinct text.

    ``f"{x:.0f}"`` rounds the exact value half to even, as :func:`numpy.rint` does, so it
    is the text of ``rint(x)``; negative zeros (``"-0"``) and NaN are set apart.
    """
    r = np.rint(np.asarray(x, dtype=np.float64))
    neg_zero = (r == 0) & np.signbit(r)
    codes, distinct = pd.factorize(np.where(neg_zero, np.nan, r))  # NaN and -0: code -1
    texts = np.array([f"{v:.0f}" for v in distinct.tolist()] + ["nan"], dtype=object)
    out = texts[codes]
    out[neg_zero] = "-0"
    result: list[str] = out.tolist()
    return result


#: ``f"{k / 10:.1f}"`` for k = 0..100: the one-decimal texts of 0.0 to 10.0.
_TENTHS = np.array([f"{k / 10:.1f}" for k in range(101)], dtype=object)


def _ratio_text(r: np.ndarray) -> np.ndarray:
    """Each ratio as ``f"{v:.1f}" if v < 10 else f"{v:.0f}"`` (object array).

    From 0 to 10 (a positive sign), ``f"{v:.1f}"`` is the text of round(10 v) tenths:
    ``rint(10 * v)`` is that integer unless ``10 * v`` lies within 1e-6 of a half, where
    its rounding could cross it, and those few values (and the rest: negative, NaN) are
    formatted one by one.
    """
    r = np.asarray(r, dtype=np.float64)
    out = np.empty(r.size, dtype=object)
    small = r < 10
    big = np.flatnonzero(~small)  # NaN too: "nan", as f"{nan:.0f}"
    out[big] = _fmt(r[big])
    with np.errstate(invalid="ignore", over="ignore"):  # NaN, huge: formatted by _fmt
        t = 10.0 * r
        near_half = np.abs(t - np.floor(t) - 0.5) < 1e-6
    tenths = small & (r >= 0) & ~np.signbit(r) & ~near_half
    out[tenths] = _TENTHS[np.rint(t[tenths]).astype(np.int64)]
    rest = np.flatnonzero(small & ~tenths)
    out[rest] = [f"{v:.1f}" for v in r[rest].tolist()]
    return out


def _fill(template: str, n: int, **fields: Any) -> np.ndarray:
    """``template.format(**row)`` for each of `n` rows, whose fields are given as arrays
    of text (or one text for every row), with no format specs: whole columns of text are
    joined piece by piece instead of formatting each row."""
    out = np.full(n, "", dtype=object)
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if literal:
            out = out + literal
        if name is not None:
            if spec or conversion:  # pragma: no cover - the templates have none
                raise ValueError(f"_fill: {template!r} has a format spec")
            value = fields[name]
            out = out + (value if isinstance(value, str) else np.asarray(value, dtype=object))
    return out


def _day_text(days: np.ndarray) -> np.ndarray:
    """ISO date of each day number, formatted once per distinct day."""
    distinct, inverse = np.unique(days, return_inverse=True)
    text = np.array([str(np.datetime64(int(d), "D")) for d in distinct.tolist()], dtype=object)
    out: np.ndarray = text[inverse.reshape(-1)]
    return out


def _filled(n: int, at: np.ndarray, texts: list[str] | np.ndarray) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    out[at] = texts
    return out


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
    func = "early_warnings"
    check_frame(customers, func=func, arg="customers")
    customer_col = customer_column(customers, customer_col)
    lang = check_language(labels, func=func)
    en = lang == "en"
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
    check_no_overwrite(customers, WARNING_COLUMNS, func=func, overwrite=overwrite)
    n = len(customers)
    end = end_day(as_of, customers, func=func)
    checked: list[str] = []
    skipped: list[str] = []
    lang_i = 0 if en else 1
    empty = np.full(n, "", dtype=object)

    # --- spend drop ----------------------------------------------------------------------
    spend_flag = np.zeros(n, dtype=bool)
    spend_text = empty
    prepared = positions = None
    needs_days = customers.attrs.get("freq", "D") != "D" and "overdue_ratio" not in customers
    if transactions is not None and ("spend_trend" not in customers or needs_days):
        prepared = prepared_for(
            customers,
            transactions=transactions,
            func=func,
            as_of=as_of,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            dropna=dropna,
            returns=returns,
        )
        positions = prepared.positions(customers.index, func=func)
    if "spend_trend" in customers or prepared is not None:
        checked.append("spend_drop")
        if "spend_trend" in customers:
            trend = float_column(customers, "spend_trend", func=func)
            recent = previous = None
        else:
            assert prepared is not None
            activity = customer_activity(
                customers, transactions=prepared, window=window, func=func, positions=positions
            )
            recent, previous = activity.spend_recent, activity.spend_previous
            trend = activity.spend_trend(min_orders)
        with np.errstate(invalid="ignore"):
            spend_flag = trend < -float(spend_drop)
        at = np.flatnonzero(spend_flag)
        pcts = _fmt(-100.0 * trend[at])
        if recent is None or previous is None:
            drops = _fill(_WARN_TEXT["spend_col"][lang_i], at.size, pct=pcts)
        else:
            drops = _fill(
                _WARN_TEXT["spend"][lang_i],
                at.size,
                w=str(window),
                pct=pcts,
                a=_fmt(previous[at]),
                b=_fmt(recent[at]),
            )
        spend_text = _filled(n, at, drops)
    else:
        skipped.append("spend_drop (needs 'spend_trend' or transactions=)")

    # --- overdue -------------------------------------------------------------------------
    overdue_flag = np.zeros(n, dtype=bool)
    overdue_text = empty
    has_rhythm = "overdue_ratio" in customers or all(
        c in customers for c in ("days_since_last", "tenure_days", "frequency")
    )
    if has_rhythm:
        checked.append("overdue")
        ratio, days, gap = rhythm_columns(
            customers, transactions=prepared, func=func, positions=positions
        )
        with np.errstate(invalid="ignore"):
            overdue_flag = ratio > float(overdue_multiple)
        at = np.flatnonzero(overdue_flag)
        bare = np.isnan(days[at]) | np.isnan(gap[at])
        r_text = _ratio_text(ratio[at])
        gaps = _fill(
            _WARN_TEXT["overdue"][lang_i],
            at.size,
            d=_fmt(days[at]),
            r=r_text,
            g=_fmt(gap[at]),
        )
        gaps[bare] = _fill(_WARN_TEXT["overdue_ratio"][lang_i], int(bare.sum()), r=r_text[bare])
        overdue_text = _filled(n, at, gaps)
    else:
        skipped.append("overdue (needs 'overdue_ratio' or the summary columns)")

    # --- detractor -----------------------------------------------------------------------
    detractor_flag = np.zeros(n, dtype=bool)
    detractor_text = empty
    if surveys is not None:
        checked.append("detractor")
        rows, pos, day, s_end = side_table(
            surveys,
            customers,
            end,
            arg="surveys",
            customer_col=customer_col,
            date_col=date_col,
            more={"nps_col": nps_col},
            func=func,
        )
        x = answers(rows[nps_col], NPS_SCALE, func=func, col=nps_col) if len(rows) else np.empty(0)
        latest = latest_answers(x, pos, day, n)
        with np.errstate(invalid="ignore"):
            is_det = is_detractor(latest.value) & (s_end - latest.day < window)
        if detractor == "became":
            is_det &= ~is_detractor(latest.previous)  # a first answer (NaN) counts too
        detractor_flag = is_det
        at = np.flatnonzero(is_det)
        first = _WARN_TEXT["detractor_first"][lang_i].format
        was = _WARN_TEXT["detractor_was"][lang_i].format
        prev = latest.previous[at]
        texts = [
            first(x=f"{x:g}", day=day) if p != p else was(x=f"{x:g}", day=day, prev=f"{p:g}")
            for x, day, p in zip(
                latest.value[at].tolist(),
                _day_text(latest.day[at]).tolist(),
                prev.tolist(),
                strict=True,
            )
        ]
        detractor_text = _filled(n, at, texts)
    else:
        skipped.append("detractor (needs surveys=)")

    # --- open complaints ---------------------------------------------------------------
    complaint_flag = np.zeros(n, dtype=bool)
    complaint_text = empty
    if complaints is not None:
        checked.append("open_complaint")
        rows, pos, day, c_end = side_table(
            complaints,
            customers,
            end,
            arg="complaints",
            customer_col=customer_col,
            date_col=date_col,
            more={"resolved_col": resolved_col},
            func=func,
        )
        if resolved_col is None:
            is_open = c_end - day < window
        else:
            is_open = open_complaints(rows, resolved_col, func=func)
        count = np.bincount(pos[is_open], minlength=n)
        oldest = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(oldest, pos[is_open], day[is_open])
        complaint_flag = count > 0
        at = np.flatnonzero(complaint_flag)
        tmpl = _WARN_TEXT["complaint"][lang_i].format
        texts = [
            tmpl(k=k, s="" if k == 1 else "s", day=day)
            for k, day in zip(count[at].tolist(), _day_text(oldest[at]).tolist(), strict=True)
        ]
        complaint_text = _filled(n, at, texts)
    else:
        skipped.append("open_complaint (needs complaints=)")

    if skipped:
        warn(f"{func}: check(s) not made, their flags are False: {'; '.join(skipped)}.")
    flags = np.vstack([spend_flag, overdue_flag, detractor_flag, complaint_flag])
    # a raised flag always has a text: a customer with one flag has that text as it is,
    # and only those with two or more flags need their texts joined
    parts = (spend_text, overdue_text, detractor_text, complaint_text)
    n_flags = flags.sum(axis=0)
    reasons = np.full(n, "", dtype=object)
    for flag, text in zip(flags, parts, strict=True):
        one = flag & (n_flags == 1)
        reasons[one] = text[one]
    several = np.flatnonzero(n_flags > 1)
    reasons[several] = join_text([t[several] for t in parts], "; " if en else "；")
    out = customers.assign(
        warn_spend_drop=spend_flag,
        warn_overdue=overdue_flag,
        warn_detractor=detractor_flag,
        warn_open_complaint=complaint_flag,
        warning_reasons=text_column(reasons, customers.index),
        n_warnings=n_flags.astype(np.int64),
    )
    out.attrs = {**customers.attrs, "kamseg_warnings_checked": checked}
    return out
