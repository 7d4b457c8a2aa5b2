"""Private helpers of the classification dimensions' fits (split off to keep modules small).

The row-wise core of :class:`kamseg.satisfaction.SatisfactionClassFit`: from the survey and
complaint rows of each customer (as read by ``kamseg._tables.side_table``) to a class code,
a score and counts. Every result of a customer depends on that customer's rows only, the
fitted `as_of` day and the options.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from kamseg._validation import (
    as_of_day,
    check_columns,
    check_frame,
    check_no_overwrite,
    to_datetime,
)
from kamseg.actions import action_column
from kamseg.errors import ConfigError
from kamseg.features._surveys import (
    CSAT_SCALE,
    NPS_SCALE,
    answers,
    csat_band,
    latest_answers,
    nps_band,
    open_complaints,
    recent_complaints,
)
from kamseg.labels import SATISFACTION_CLASS_LABELS, Language, translate_all

__all__ = [
    "SATISFACTION_CLASSES",
    "SatisfactionOptions",
    "SideRows",
    "SideTables",
    "apply_inputs",
    "check_options",
    "check_side_columns",
    "latest_day",
    "new_columns",
    "satisfaction_columns",
    "side_frames",
    "side_tables",
    "weighted",
]

#: The satisfaction classes, in category order (``unknown`` first, then worst to best).
SATISFACTION_CLASSES: tuple[str, str, str, str] = ("unknown", "low", "medium", "high")
UNKNOWN, LOW, MEDIUM, HIGH = 0, 1, 2, 3  # class codes: positions in SATISFACTION_CLASSES

# rows of a side table up to as_of, their customer positions and days
SideRows = tuple[pd.DataFrame, np.ndarray, np.ndarray]
# the surveys' rows, the complaints' rows (None without complaints), the as_of day
SideTables = tuple[SideRows, SideRows | None, int]


class SatisfactionOptions(Protocol):
    """The options of a satisfaction fit that the helpers read."""

    @property
    def customer_col(self) -> Hashable: ...
    @property
    def date_col(self) -> Hashable: ...
    @property
    def nps_col(self) -> Hashable | None: ...
    @property
    def csat_col(self) -> Hashable | None: ...
    @property
    def method(self) -> str: ...
    @property
    def half_life_days(self) -> float: ...
    @property
    def complaint_days(self) -> float: ...
    @property
    def severity_col(self) -> Hashable | None: ...
    @property
    def severe(self) -> tuple[Any, ...]: ...
    @property
    def resolved_col(self) -> Hashable | None: ...
    @property
    def labels(self) -> Language: ...
    @property
    def action(self) -> bool: ...


def check_options(
    nps_col: Hashable | None,
    csat_col: Hashable | None,
    half_life_days: object,
    complaint_days: object,
    severe: object,
    *,
    func: str,
) -> None:
    """Check the options of ``satisfaction_class`` that are not choices."""
    if nps_col is None and csat_col is None:
        raise ConfigError(
            f"{func}: `nps_col` and `csat_col` are both None. Hint: name at least one answer "
            "column."
        )
    for arg, value in (("half_life_days", half_life_days), ("complaint_days", complaint_days)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float | np.integer | np.floating)
            or not math.isfinite(float(value))
            or float(value) <= 0
        ):
            raise ConfigError(f"{func}: `{arg}` must be a positive number of days; got {value!r}.")
    if isinstance(severe, str) or not isinstance(severe, Collection):
        raise ConfigError(
            f"{func}: `severe` must be a collection of severity values, e.g. ('high',); got "
            f"{severe!r}."
        )


def side_frames(
    surveys: object, complaints: object, *, func: str
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    sv = check_frame(surveys, func=func, arg="surveys", allow_empty=True)
    cp = (
        None
        if complaints is None
        else check_frame(complaints, func=func, arg="complaints", allow_empty=True)
    )
    return sv, cp


def check_side_columns(
    fit: SatisfactionOptions, sv: pd.DataFrame, cp: pd.DataFrame | None, *, func: str
) -> None:
    ids = {"customer_col": fit.customer_col, "date_col": fit.date_col}
    check_columns(sv, {**ids, "nps_col": fit.nps_col, "csat_col": fit.csat_col}, func=func)
    if cp is not None:
        more = {"severity_col": fit.severity_col, "resolved_col": fit.resolved_col}
        check_columns(cp, {**ids, **more}, func=func)


def new_columns(with_complaints: bool, action: bool) -> list[str]:
    new_cols = ["satisfaction_class", "satisfaction_score", "n_answers"]
    new_cols += ["recent_complaints"] if with_complaints else []
    new_cols += ["satisfaction_action"] if action else []
    return new_cols


def latest_day(
    frames: Sequence[pd.DataFrame | None], date_col: Hashable, *, func: str
) -> int | None:
    """The latest day of the dated rows of `frames` (None: no dated row), as
    ``kamseg._tables.side_table`` finds the end day of a table without an as_of."""
    last: int | None = None
    for frame in frames:
        if frame is None or len(frame) == 0:
            continue
        dates = to_datetime(frame[date_col], func=func, col=str(date_col)).dropna()
        if len(dates):
            day = int(dates.to_numpy().astype("datetime64[D]").view(np.int64).max())
            last = day if last is None else max(last, day)
    return last


def side_tables(
    surveys: tuple[pd.DataFrame, np.ndarray, np.ndarray, int],
    complaints: tuple[pd.DataFrame, np.ndarray, np.ndarray, int] | None,
) -> SideTables:
    """The rows ``kamseg._tables.side_table`` read, and the as_of day: the end day it was
    given, else the latest date of both tables."""
    rows, pos, day, end = surveys
    if complaints is None:
        return (rows, pos, day), None, end
    c_rows, c_pos, c_day, c_end = complaints
    return (rows, pos, day), (c_rows, c_pos, c_day), max(end, c_end)


class _Fitted(SatisfactionOptions, Protocol):
    @property
    def as_of(self) -> pd.Timestamp | None: ...
    @property
    def overwrite(self) -> bool: ...


def apply_inputs(
    fit: _Fitted,
    customers: pd.DataFrame,
    surveys: object,
    complaints: object,
    as_of: Any,
    *,
    func: str,
) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
    """The checked side tables of an apply, and its as_of day (`as_of`, else the fit's)."""
    sv, cp = side_frames(surveys, complaints, func=func)
    check_side_columns(fit, sv, cp, func=func)
    new_cols = new_columns(cp is not None, fit.action)
    check_no_overwrite(customers, new_cols, func=func, overwrite=fit.overwrite)
    end = as_of_day(as_of, func=func)
    if end is None and fit.as_of is not None:
        end = as_of_day(fit.as_of, func=func)
    if end is None:
        if len(sv) or (cp is not None and len(cp)):
            raise ConfigError(
                f"{func}: the fit has no as_of (it was fitted without dates) and none is "
                "given. Hint: pass as_of=."
            )
        end = 0  # no rows: any day
    return sv, cp, end


def satisfaction_columns(
    opts: SatisfactionOptions, index: pd.Index, tables: SideTables, *, func: str
) -> dict[str, Any]:
    """The output columns of ``satisfaction_class`` for the customers `index`."""
    (rows, s_pos, s_day), c_read, ref_day = tables
    n = len(index)
    code, score, n_answers = _survey_classes(
        rows,
        s_pos,
        s_day,
        n,
        func=func,
        nps_col=opts.nps_col,
        csat_col=opts.csat_col,
        method=opts.method,
        as_of_day=ref_day,
        half_life=opts.half_life_days,
    )
    recent_count: np.ndarray | None = None
    if c_read is not None:
        code, recent_count = _complaint_caps(
            code,
            *c_read,
            n,
            func=func,
            severity_col=opts.severity_col,
            severe=opts.severe,
            resolved_col=opts.resolved_col,
            as_of_day=ref_day,
            days=opts.complaint_days,
        )
    names = translate_all(
        SATISFACTION_CLASSES, labels=opts.labels, table=SATISFACTION_CLASS_LABELS
    )
    columns: dict[str, Any] = {
        "satisfaction_class": pd.Categorical.from_codes(
            code, categories=pd.Index(names), ordered=True
        ),
        "satisfaction_score": score,
        "n_answers": n_answers,
    }
    if recent_count is not None:
        columns["recent_complaints"] = recent_count
    if opts.action:
        columns["satisfaction_action"] = pd.Series(
            action_column("satisfaction_class", SATISFACTION_CLASSES, code, labels=opts.labels),
            index=index,
        )
    return columns


def weighted(
    value: np.ndarray,
    customer: np.ndarray,
    day: np.ndarray,
    n: int,
    *,
    as_of_day: int,
    half_life: float,
) -> np.ndarray:
    """Each customer's answers averaged with weights ``0.5 ** (age / half_life)`` (NaN: none;
    customer -1 skipped)."""
    ok = ~np.isnan(value) & (customer >= 0)
    c = customer[ok]
    w = np.exp2(-(as_of_day - day[ok]) / half_life)
    total = np.bincount(c, weights=w, minlength=n)
    out: np.ndarray = np.divide(
        np.bincount(c, weights=w * value[ok], minlength=n),
        total,
        out=np.full(n, np.nan),
        where=total > 0,
    )
    return out


def _survey_classes(
    rows: pd.DataFrame,
    pos: np.ndarray,
    day: np.ndarray,
    n: int,
    *,
    func: str,
    nps_col: Hashable | None,
    csat_col: Hashable | None,
    method: str,
    as_of_day: int,
    half_life: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class code (int64), score (float64) and answered rows (int64) of each customer.

    Each measure's value (latest or weighted) falls in its band; the class is the lower
    band of the measures the customer answered (UNKNOWN: none); the score is the mean of
    those values on the 0..1 scale.
    """
    answered = np.zeros(len(rows), dtype=bool)
    values: list[np.ndarray] = []
    code = np.full(n, HIGH + 1, dtype=np.int64)
    for col, (lo, hi), band in ((nps_col, NPS_SCALE, nps_band), (csat_col, CSAT_SCALE, csat_band)):
        if col is None:
            continue
        x = answers(rows[col], (lo, hi), func=func, col=col)
        answered |= ~np.isnan(x)
        if method == "latest":
            v = latest_answers(x, pos, day, n).value
        else:
            v = weighted(x, pos, day, n, as_of_day=as_of_day, half_life=half_life)
        b = band(v)  # 0 best .. 2 worst, -1 none
        code = np.minimum(code, np.where(b >= 0, HIGH - b, HIGH + 1))
        values.append((v - lo) / (hi - lo))
    code = np.where(code > HIGH, UNKNOWN, code)
    n_answers = np.bincount(pos[answered], minlength=n).astype(np.int64)
    stacked = np.vstack(values)
    has = ~np.isnan(stacked)
    count = has.sum(axis=0)
    score = np.divide(
        np.where(has, stacked, 0.0).sum(axis=0), count, out=np.full(n, np.nan), where=count > 0
    )
    return code, score, n_answers


def _complaint_caps(
    code: np.ndarray,
    rows: pd.DataFrame,
    pos: np.ndarray,
    day: np.ndarray,
    n: int,
    *,
    func: str,
    severity_col: Hashable | None,
    severe: Collection[object],
    resolved_col: Hashable | None,
    as_of_day: int,
    days: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The class codes lowered by recent complaints, and each customer's recent complaints.

    A recent complaint that is open or severe caps the class at MEDIUM, open and severe at
    LOW; an UNKNOWN customer becomes LOW only with an open, severe recent complaint.
    """
    is_open = open_complaints(rows, resolved_col, func=func)
    if severity_col is None:
        is_severe = np.zeros(len(rows), dtype=bool)
    else:
        is_severe = rows[severity_col].isin(list(severe)).to_numpy(dtype=bool)

    def recent(where: np.ndarray | None = None) -> np.ndarray:
        return recent_complaints(pos, day, n, as_of_day=as_of_day, days=days, where=where)

    recent_count = recent()
    low_cap = recent(is_open & is_severe) > 0
    cap = np.where(low_cap, LOW, np.where(recent(is_open | is_severe) > 0, MEDIUM, HIGH))
    code = np.where(code == UNKNOWN, np.where(low_cap, LOW, UNKNOWN), np.minimum(code, cap))
    return code, recent_count
