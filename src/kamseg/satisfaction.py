"""Customer satisfaction: a class per customer from surveys and complaints; NPS and CSAT.

- :func:`satisfaction_class` puts each customer in a satisfaction class (high / medium /
  low, or an explicit ``unknown`` when they never answered a survey), the fifth dimension of
  the source document on classifying core customers (seed 002), from their survey answers
  (NPS and/or CSAT) and their recent complaints;
- :func:`nps` and :func:`csat` compute the Net Promoter Score and the customer
  satisfaction score, overall or per segment.

Standard definitions (used everywhere here):

- **NPS** answers are 0..10: *promoters* answer 9-10, *passives* 7-8, *detractors* 0-6;
  NPS = % promoters - % detractors, from -100 to 100.
- **CSAT** answers are 1..5: *satisfied* answers 4-5, *neutral* 3, *dissatisfied* 1-2;
  CSAT = % satisfied answers, from 0 to 100.

Answers must be whole numbers within their scale: anything else raises
:class:`~kamseg.errors.SchemaError` with the count and examples. A null answer means the
question was not answered and is skipped.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._validation import as_of_day as day_of
from kamseg._validation import (
    check_choice,
    check_columns,
    check_frame,
    check_no_overwrite,
    examples,
    to_datetime,
    to_float,
    warn,
)
from kamseg.actions import recommended_action
from kamseg.errors import ConfigError, EmptyInputError, SchemaError
from kamseg.labels import SATISFACTION_CLASS_LABELS, Language, check_language, translate_all

__all__ = [
    "SATISFACTION_CLASSES",
    "SatisfactionMethod",
    "csat",
    "nps",
    "satisfaction_class",
]

SatisfactionMethod = Literal["latest", "weighted"]
"""How answers over time become one value: the latest answer, or a recency-weighted mean."""

#: The satisfaction classes, in category order (``unknown`` first, then worst to best).
SATISFACTION_CLASSES: tuple[str, str, str, str] = ("unknown", "low", "medium", "high")

_UNKNOWN, _LOW, _MEDIUM, _HIGH = 0, 1, 2, 3
_NPS_SCALE = (0, 10)
_CSAT_SCALE = (1, 5)


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _answers(values: pd.Series, scale: tuple[int, int], *, func: str, col: Hashable) -> np.ndarray:
    """Survey answers as float64 (NaN = not answered); whole numbers within `scale`."""
    x = to_float(values, func=func, col=str(col))
    lo, hi = scale
    bad = ~np.isnan(x) & ((x < lo) | (x > hi) | (x != np.round(x)))
    if bad.any():
        raise SchemaError(
            f"{func}: {int(bad.sum())} answer(s) in column {col!r} are not whole numbers from "
            f"{lo} to {hi}; examples: {examples(values[bad])}. Hint: check the scale of the "
            f"survey ({col!r} must be answered {lo}..{hi}) or pass another column."
        )
    return x


def _positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each customer id of `values` in `index` (-1 when absent)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat_pos = np.append(index.get_indexer(values.cat.categories), -1)
        return np.asarray(cat_pos[values.cat.codes.to_numpy(dtype=np.int64)], dtype=np.int64)
    return np.asarray(index.get_indexer(pd.Index(values)), dtype=np.int64)


def _check_customers(customers: object, *, func: str) -> pd.DataFrame:
    df = check_frame(customers, func=func, arg="customers")
    if not df.index.is_unique:
        raise SchemaError(
            f"{func}: the index of `customers` has duplicated ids, e.g. "
            f"{examples(df.index[df.index.duplicated()])}. Hint: aggregate to one row per "
            "customer first."
        )
    return df


def _day_numbers(frame: pd.DataFrame, date_col: Hashable, *, func: str, arg: str) -> np.ndarray:
    if len(frame) == 0:  # an empty column has no dates to parse, whatever its dtype
        return np.empty(0, dtype=np.int64)
    dates = to_datetime(frame[date_col], func=func, col=str(date_col))
    if dates.isna().any():
        raise SchemaError(
            f"{func}: {int(dates.isna().sum())} row(s) of `{arg}` have a null {date_col!r}. "
            "Hint: drop or fill them first."
        )
    return np.asarray(dates.to_numpy().astype("datetime64[D]").view(np.int64), dtype=np.int64)


def _as_of_day(
    as_of: Any, customers: pd.DataFrame, latest: int | None, *, func: str
) -> int | None:
    """`as_of`, else the customer table's (set by summarize), else `latest` (day numbers)."""
    day = day_of(customers.attrs.get("as_of") if as_of is None else as_of, func=func)
    return latest if day is None else day


def _side_rows(
    frame: pd.DataFrame,
    customers: pd.DataFrame,
    days: np.ndarray,
    as_of_day: int | None,
    *,
    func: str,
    arg: str,
    customer_col: Hashable,
) -> tuple[np.ndarray, np.ndarray]:
    """(customer position, kept-row mask) of a side table, with the exclusions warned."""
    ids = frame[customer_col]
    if ids.isna().any():
        raise SchemaError(
            f"{func}: {int(ids.isna().sum())} row(s) of `{arg}` have a null {customer_col!r}. "
            "Hint: drop or fill them first."
        )
    keep = np.ones(len(frame), dtype=bool)
    if as_of_day is not None:
        late = days > as_of_day
        if late.any():
            warn(
                f"{func}: excluded {int(late.sum())} row(s) of `{arg}` dated after as_of "
                f"{np.datetime64(as_of_day, 'D')}.",
                stacklevel=4,
            )
            keep &= ~late
    pos = _positions(ids, customers.index)
    unknown = keep & (pos < 0)
    if unknown.any():
        who = ids[unknown]
        warn(
            f"{func}: excluded {int(unknown.sum())} row(s) of `{arg}` for {who.nunique()} "
            f"customer(s) that are not in `customers`, e.g. {examples(who)}.",
            stacklevel=4,
        )
        keep &= ~unknown
    return pos, keep


def _measure(
    value: np.ndarray,
    cust: np.ndarray,
    day: np.ndarray,
    n: int,
    *,
    method: str,
    as_of_day: int,
    half_life: float,
) -> np.ndarray:
    """One value per customer (NaN when none) from the answers of one measure."""
    ok = ~np.isnan(value)
    v, c, d = value[ok], cust[ok], day[ok]
    if method == "latest":
        last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(last, c, d)
        on_last = d == last[c]
        v, c = v[on_last], c[on_last]
        w = np.ones(v.size)
    else:
        w = np.exp2(-(as_of_day - d) / half_life)
    total = np.bincount(c, weights=w, minlength=n)
    out: np.ndarray = np.divide(
        np.bincount(c, weights=w * v, minlength=n),
        total,
        out=np.full(n, np.nan),
        where=total > 0,
    )
    return out


def _band(x: np.ndarray, high: float, medium: float) -> np.ndarray:
    """Class code of each value (unknown for NaN): >= high, >= medium, or low."""
    out = np.full(x.shape, _UNKNOWN, dtype=np.int64)
    known = ~np.isnan(x)
    out[known] = np.where(x[known] >= high, _HIGH, np.where(x[known] >= medium, _MEDIUM, _LOW))
    return out


def _flags(frame: pd.DataFrame, resolved_col: Hashable | None, *, func: str) -> np.ndarray:
    """Unresolved complaints (True; a null resolution counts as unresolved)."""
    if resolved_col is None:
        return np.ones(len(frame), dtype=bool)
    s = frame[resolved_col]
    if not pd.api.types.is_bool_dtype(s.dtype) and not (
        s.dtype == object and all(isinstance(v, bool | np.bool_) for v in s.dropna())
    ):
        raise SchemaError(
            f"{func}: column {resolved_col!r} (argument `resolved_col`) must be boolean; got "
            f"{s.dtype}, e.g. {examples(s.dropna())}. Hint: pass resolved_col=None to treat "
            "every complaint as open."
        )
    resolved = s.eq(True).to_numpy(dtype=bool, na_value=False)
    return ~resolved


# --------------------------------------------------------------------------------------
# satisfaction_class
# --------------------------------------------------------------------------------------


def satisfaction_class(
    customers: pd.DataFrame,
    surveys: pd.DataFrame,
    complaints: pd.DataFrame | None = None,
    *,
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    nps_col: Hashable | None = "nps",
    csat_col: Hashable | None = "csat",
    as_of: Any = None,
    method: SatisfactionMethod = "latest",
    half_life_days: float = 180.0,
    complaint_days: float = 90.0,
    severity_col: Hashable | None = "severity",
    severe: Collection[Any] = ("high",),
    resolved_col: Hashable | None = "resolved",
    labels: Language = "en",
    action: bool = False,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Classify each customer's satisfaction as high, medium, low or unknown.

    Parameters
    ----------
    customers
        One row per customer, indexed by customer id (e.g. from :func:`kamseg.summarize`,
        or the customer master). Not modified.
    surveys
        Survey answers: `customer_col`, `date_col` and the answer columns. May be empty (every
        customer is then unknown). Not modified.
    complaints
        Optional complaints: `customer_col`, `date_col`, and optionally `severity_col` and
        `resolved_col`. Not modified.
    customer_col, date_col
        Customer id and date columns of `surveys` and `complaints`.
    nps_col, csat_col
        The NPS (0..10) and CSAT (1..5) answer columns; pass ``None`` for a measure the
        surveys do not have (at least one is needed).
    as_of
        The observation date. Default: the ``attrs["as_of"]`` of `customers` (set by
        :func:`kamseg.summarize`), else the latest date in `surveys` and `complaints`.
        Rows dated after the `as_of` day are excluded with a warning.
    method
        ``"latest"`` (default): each measure's most recent answer (the mean of that day's
        answers if there are several). ``"weighted"``: the mean of all answers weighted by
        ``0.5 ** (age_days / half_life_days)``, so an answer `half_life_days` old counts half
        as much as one given on `as_of`.
    half_life_days
        Half-life of the weights of ``method="weighted"`` in days (> 0), default 180.
    complaint_days
        Complaints dated less than this many days before `as_of` (and not after it) are
        *recent* and can lower the class (see *Notes*). Default 90.
    severity_col, severe
        The complaints' severity column and the values that count as severe (default
        ``("high",)``). ``severity_col=None``: no complaint is severe.
    resolved_col
        Boolean column, True when the complaint is resolved; a null value counts as open.
        ``None``: every complaint counts as open.
    labels
        Language of the class names (``"en"`` or ``"zh"``) and of the actions.
    action
        Also add ``satisfaction_action``: the action the source document recommends.
    overwrite
        Replace output columns that already exist in `customers` instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index, same row order) with the columns:

        - ``satisfaction_class`` (ordered ``category``: unknown < low < medium < high, or
          their Chinese names); every customer gets exactly one class;
        - ``satisfaction_score`` (float64, 0..1): the mean of the customer's measures on a
          common scale, NPS / 10 and (CSAT - 1) / 4; NaN when they have no answer.
          Complaints do not change it;
        - ``n_answers`` (int64): the customer's survey rows up to `as_of` with at least one
          answer;
        - ``recent_complaints`` (int64; only with `complaints`): complaints in the last
          `complaint_days` days;
        - ``satisfaction_action`` (str, ``object`` on pandas 2; only with ``action=True``):
          see :func:`kamseg.actions.recommended_action`.

    Raises
    ------
    ColumnNotFoundError
        If a column named by an argument is missing.
    SchemaError
        If answers are not whole numbers within their scale (with the count and examples);
        on null customer ids or dates, unparseable dates, a non-boolean `resolved_col`; if
        `customers` has duplicated ids.
    EmptyInputError
        If `customers` has no rows.
    ConfigError
        On an invalid option, or if an output column exists and `overwrite` is false.

    Notes
    -----
    **From answers to a class.** Each measure's value (latest or weighted, see `method`) is
    placed in its standard band: NPS >= 9 is high (promoter), >= 7 medium (passive), below
    low (detractor); CSAT >= 4 is high (satisfied), >= 3 medium, below low. For whole answers
    these are exactly the standard definitions; a weighted mean of 8.6 is medium. When a
    customer has both measures the class is the **lower** of the two: someone who would not
    recommend you is not highly satisfied, however they rated the last delivery.

    **Complaints** lower the class. A recent complaint that is open *or* severe caps the
    class at medium; a recent complaint that is open *and* severe caps it at low. A customer
    with no answer stays unknown, except that an open, severe recent complaint makes them
    low: a lesser complaint does not tell how satisfied they are.

    **Unknown** customers are those with no answer up to `as_of` (and no open severe
    complaint); their score is NaN. Warnings (:class:`~kamseg.errors.KamsegWarning`) count
    the survey and complaint rows excluded because they are dated after `as_of` or belong to
    customers that are not in `customers`.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.satisfaction import satisfaction_class
    >>> customers = pd.DataFrame(index=pd.Index(list("abcde"), name="customer_id"))
    >>> surveys = pd.DataFrame(
    ...     {
    ...         "customer_id": ["a", "a", "b", "c", "d"],
    ...         "date": ["2024-01-10", "2024-06-01", "2024-05-01", "2024-05-01", "2024-03-01"],
    ...         "nps": [3, 10, 9, 9, 8],
    ...         "csat": [2, 5, 3, 5, 4],
    ...     }
    ... )
    >>> complaints = pd.DataFrame(
    ...     {
    ...         "customer_id": ["c"],
    ...         "date": ["2024-06-15"],
    ...         "severity": ["low"],
    ...         "resolved": [False],
    ...     }
    ... )
    >>> out = satisfaction_class(customers, surveys, complaints, as_of="2024-06-30")
    >>> out[["satisfaction_class", "satisfaction_score", "n_answers"]]
                satisfaction_class  satisfaction_score  n_answers
    customer_id
    a                         high               1.000          2
    b                       medium               0.700          1
    c                       medium               0.950          1
    d                       medium               0.775          1
    e                      unknown                 NaN          0
    >>> out["recent_complaints"].tolist()
    [0, 0, 1, 0, 0]

    ``a``'s latest answer counts; ``b`` is a promoter but neutral on CSAT (the lower
    class); ``c``'s open complaint caps them at medium; ``e`` never answered.

    >>> zh = satisfaction_class(customers, surveys, labels="zh", action=True)
    >>> zh.loc["e", ["satisfaction_class", "satisfaction_action"]].tolist()
    ['未知', '在下次接触时开展满意度调查（NPS、CSAT）。']
    """
    func = "satisfaction_class"
    customers = _check_customers(customers, func=func)
    sv = check_frame(surveys, func=func, arg="surveys", allow_empty=True)
    cp = (
        None
        if complaints is None
        else check_frame(complaints, func=func, arg="complaints", allow_empty=True)
    )
    check_choice(method, get_args(SatisfactionMethod), func=func, arg="method")
    lang = check_language(labels, func=func)
    if nps_col is None and csat_col is None:
        raise ConfigError(
            f"{func}: `nps_col` and `csat_col` are both None. Hint: name at least one answer "
            "column."
        )
    for arg, value, low in (
        ("half_life_days", half_life_days, 0.0),
        ("complaint_days", complaint_days, 0.0),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float | np.integer | np.floating)
            or not math.isfinite(float(value))
            or float(value) <= low
        ):
            raise ConfigError(f"{func}: `{arg}` must be a positive number of days; got {value!r}.")
    if isinstance(severe, str) or not isinstance(severe, Collection):
        raise ConfigError(
            f"{func}: `severe` must be a collection of severity values, e.g. ('high',); got "
            f"{severe!r}."
        )
    check_columns(
        sv,
        {
            "customer_col": customer_col,
            "date_col": date_col,
            "nps_col": nps_col,
            "csat_col": csat_col,
        },
        func=func,
    )
    if cp is not None:
        check_columns(
            cp,
            {
                "customer_col": customer_col,
                "date_col": date_col,
                "severity_col": severity_col,
                "resolved_col": resolved_col,
            },
            func=func,
        )
    new_cols = ["satisfaction_class", "satisfaction_score", "n_answers"]
    new_cols += ["recent_complaints"] if cp is not None else []
    new_cols += ["satisfaction_action"] if action else []
    check_no_overwrite(customers, new_cols, func=func, overwrite=overwrite)

    n = len(customers)
    nps_x = None if nps_col is None else _answers(sv[nps_col], _NPS_SCALE, func=func, col=nps_col)
    csat_x = (
        None if csat_col is None else _answers(sv[csat_col], _CSAT_SCALE, func=func, col=csat_col)
    )
    s_day = _day_numbers(sv, date_col, func=func, arg="surveys")
    c_day = None if cp is None else _day_numbers(cp, date_col, func=func, arg="complaints")
    latest = [int(d.max()) for d in (s_day, c_day) if d is not None and d.size]
    as_of_day = _as_of_day(as_of, customers, max(latest) if latest else None, func=func)

    # ---- survey answers
    s_pos, s_keep = _side_rows(
        sv, customers, s_day, as_of_day, func=func, arg="surveys", customer_col=customer_col
    )
    ref_day = 0 if as_of_day is None else as_of_day
    answered = np.zeros(len(sv), dtype=bool)
    values: list[np.ndarray] = []
    classes: list[np.ndarray] = []
    for x, scale, (hi, med) in ((nps_x, _NPS_SCALE, (9, 7)), (csat_x, _CSAT_SCALE, (4, 3))):
        if x is None:
            continue
        answered |= ~np.isnan(x)
        v = _measure(
            x[s_keep],
            s_pos[s_keep],
            s_day[s_keep],
            n,
            method=method,
            as_of_day=ref_day,
            half_life=float(half_life_days),
        )
        classes.append(_band(v, hi, med))
        values.append((v - scale[0]) / (scale[1] - scale[0]))
    n_answers = np.bincount(s_pos[s_keep & answered], minlength=n).astype(np.int64)
    stacked = np.vstack(values)
    has = ~np.isnan(stacked)
    count = has.sum(axis=0)
    score = np.divide(
        np.where(has, stacked, 0.0).sum(axis=0), count, out=np.full(n, np.nan), where=count > 0
    )
    cls_all = np.vstack(classes)
    code = np.where(cls_all == _UNKNOWN, _HIGH + 1, cls_all).min(axis=0)
    code = np.where(code > _HIGH, _UNKNOWN, code)

    # ---- complaints
    recent_count: np.ndarray | None = None
    if cp is not None and c_day is not None:
        c_pos, c_keep = _side_rows(
            cp, customers, c_day, as_of_day, func=func, arg="complaints", customer_col=customer_col
        )
        recent = c_keep & (ref_day - c_day < complaint_days)
        is_open = _flags(cp, resolved_col, func=func)
        if severity_col is None:
            is_severe = np.zeros(len(cp), dtype=bool)
        else:
            is_severe = cp[severity_col].isin(list(severe)).to_numpy(dtype=bool)
        recent_count = np.bincount(c_pos[recent], minlength=n).astype(np.int64)
        cap = np.full(n, _HIGH, dtype=np.int64)
        cap[c_pos[recent & (is_open | is_severe)]] = _MEDIUM
        low_cap = np.zeros(n, dtype=bool)
        low_cap[c_pos[recent & is_open & is_severe]] = True
        cap[low_cap] = _LOW
        code = np.where(code == _UNKNOWN, np.where(low_cap, _LOW, _UNKNOWN), np.minimum(code, cap))

    names = translate_all(SATISFACTION_CLASSES, labels=lang, table=SATISFACTION_CLASS_LABELS)
    columns: dict[str, Any] = {
        "satisfaction_class": pd.Categorical.from_codes(
            code, categories=pd.Index(names), ordered=True
        ),
        "satisfaction_score": score,
        "n_answers": n_answers,
    }
    if recent_count is not None:
        columns["recent_complaints"] = recent_count
    if action:
        acts = np.array(
            [
                recommended_action("satisfaction_class", c, labels=lang)
                for c in SATISFACTION_CLASSES
            ],
            dtype=object,
        )
        columns["satisfaction_action"] = pd.Series(acts[code], index=customers.index)
    return customers.assign(**columns)


# --------------------------------------------------------------------------------------
# NPS and CSAT
# --------------------------------------------------------------------------------------


def _segments(
    surveys: pd.DataFrame,
    *,
    func: str,
    by: Hashable | None,
    customers: pd.DataFrame | None,
    segment_col: Hashable | None,
    customer_col: Hashable | None,
    answered: np.ndarray,
) -> tuple[np.ndarray, pd.Index]:
    """Segment code of each survey row (-1: excluded) and the segment index.

    Exclusions are counted among the `answered` rows only.
    """
    if by is not None and segment_col is not None:
        raise ConfigError(
            f"{func}: pass either `by` (a column of the surveys) or `segment_col` (a column of "
            "`customers`), not both."
        )
    if (segment_col is None) != (customers is None):
        raise ConfigError(
            f"{func}: `segment_col` and `customers` go together: `segment_col` names a column "
            "of `customers`, joined to the surveys on the customer id. Hint: for a column of "
            "the surveys themselves, use `by`."
        )
    n = len(surveys)
    if by is not None:
        source, name, row = surveys[by], by, np.arange(n, dtype=np.int64)
    elif customers is not None and segment_col is not None:
        cust = _check_customers(customers, func=func)
        check_columns(cust, {"segment_col": segment_col}, func=func)
        if customer_col is None:
            raise ConfigError(
                f"{func}: `segment_col` joins on the customer id; `customer_col` cannot be None."
            )
        ids = surveys[customer_col]
        row = _positions(ids, cust.index)
        unknown = answered & (row < 0)
        if unknown.any():
            warn(
                f"{func}: excluded {int(unknown.sum())} answer(s) of "
                f"{ids[unknown].nunique()} customer(s) that are not in `customers`, e.g. "
                f"{examples(ids[unknown])}.",
                stacklevel=5,
            )
        source, name = cust[segment_col], segment_col
    else:
        return np.zeros(n, dtype=np.int64), pd.Index(["all"])
    if isinstance(source.dtype, pd.CategoricalDtype):
        src = source.cat.codes.to_numpy(dtype=np.int64)
        cats = source.cat.categories
        index: pd.Index = pd.CategoricalIndex(
            cats, categories=cats, ordered=source.cat.ordered, name=name
        )
    else:
        try:
            src, uniques = pd.factorize(source, sort=True)
        except TypeError:  # unorderable mixed values: first-seen order
            src, uniques = pd.factorize(source, sort=False)
        index = pd.Index(uniques, name=name)
    src = np.append(np.asarray(src, dtype=np.int64), -1)  # row -1 picks the appended -1
    codes = src[row]
    missing = answered & (row >= 0) & (codes < 0)
    if missing.any():
        warn(
            f"{func}: excluded {int(missing.sum())} answer(s) whose segment {name!r} is missing.",
            stacklevel=5,
        )
    return codes, index


def _score_table(
    surveys: pd.DataFrame,
    *,
    func: str,
    score_col: Hashable,
    scale: tuple[int, int],
    bands: tuple[str, str, str],
    cuts: tuple[int, int],
    headline: str,
    by: Hashable | None,
    customers: pd.DataFrame | None,
    segment_col: Hashable | None,
    customer_col: Hashable | None,
) -> pd.DataFrame:
    sv = check_frame(surveys, func=func, arg="surveys")
    check_columns(sv, {"score_col": score_col, "by": by, "customer_col": customer_col}, func=func)
    x = _answers(sv[score_col], scale, func=func, col=score_col)
    codes, index = _segments(
        sv,
        func=func,
        by=by,
        customers=customers,
        segment_col=segment_col,
        customer_col=customer_col,
        answered=~np.isnan(x),
    )
    ok = (codes >= 0) & ~np.isnan(x)
    if not ok.any():
        raise EmptyInputError(
            f"{func}: no answers in column {score_col!r}"
            f"{' with a segment' if len(index) > 1 or by is not None else ''}. "
            "Hint: check the filter upstream."
        )
    k = len(index)
    g, v = codes[ok], x[ok]
    responses = np.bincount(g, minlength=k).astype(np.int64)

    def share(mask: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.divide(
            np.bincount(g[mask], minlength=k),
            responses,
            out=np.full(k, np.nan),
            where=responses > 0,
        )
        return out

    top, bottom = v >= cuts[0], v < cuts[1]
    good, middle, bad = share(top), share(~top & ~bottom), share(bottom)
    columns: dict[str, Any] = {"responses": responses}
    if customer_col is not None:
        ids = pd.factorize(sv[customer_col].to_numpy()[ok])[0]
        pairs = np.unique(np.column_stack((g, ids)), axis=0)
        columns["respondents"] = np.bincount(pairs[:, 0], minlength=k).astype(np.int64)
    columns |= {bands[0]: good, bands[1]: middle, bands[2]: bad}
    columns[headline] = 100 * (good - bad) if headline == "nps" else 100 * good
    columns["mean_score"] = np.divide(
        np.bincount(g, weights=v, minlength=k),
        responses,
        out=np.full(k, np.nan),
        where=responses > 0,
    )
    return pd.DataFrame(columns, index=index)


def nps(
    surveys: pd.DataFrame,
    *,
    by: Hashable | None = None,
    customers: pd.DataFrame | None = None,
    segment_col: Hashable | None = None,
    score_col: Hashable = "nps",
    customer_col: Hashable | None = "customer_id",
) -> pd.DataFrame:
    """Net Promoter Score, overall or per segment.

    Parameters
    ----------
    surveys
        Survey answers, one row per answer; `score_col` holds 0..10 answers (nulls are
        skipped). Filter the period first: every answer given counts. Not modified.
    by
        A column of `surveys` to compute the NPS per value of.
    customers, segment_col
        Or a segment column of `customers` (indexed by customer id), joined to the surveys
        on `customer_col`; answers of customers not in `customers` are excluded with a
        warning.
    score_col
        The 0..10 answer column. Default ``"nps"``.
    customer_col
        Customer id column of `surveys`, used for ``respondents`` and the join; ``None``
        when the answers are anonymous (no ``respondents`` column then).

    Returns
    -------
    DataFrame
        One row per segment, indexed by the segment (all the categories, in order, for a
        categorical segment column; otherwise the values sorted), or a single row ``"all"``:

        - ``responses`` (int64): number of answers;
        - ``respondents`` (int64): number of distinct customers who answered;
        - ``promoters``, ``passives``, ``detractors`` (float64, 0..1): shares of the answers
          9-10, 7-8 and 0-6;
        - ``nps`` (float64, -100..100): ``100 * (promoters - detractors)``;
        - ``mean_score`` (float64): the mean answer.

        Segments without answers have ``responses`` 0 and NaN elsewhere.

    Raises
    ------
    ColumnNotFoundError
        If a column is missing.
    SchemaError
        If answers are not whole numbers from 0 to 10 (count and examples given).
    EmptyInputError
        If there are no answers.
    ConfigError
        If both `by` and `segment_col` are given, or only one of `segment_col` and
        `customers`.

    Notes
    -----
    Every answer counts, as in the standard definition: a customer who answered twice in
    the period counts twice in ``responses`` and once in ``respondents``. Answers whose
    segment is missing are excluded with a :class:`~kamseg.errors.KamsegWarning`.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.satisfaction import nps
    >>> surveys = pd.DataFrame(
    ...     {
    ...         "customer_id": [1, 2, 3, 4, 5, 5],
    ...         "region": ["N", "N", "N", "S", "S", "S"],
    ...         "nps": [10, 9, 3, 7, 6, 8],
    ...     }
    ... )
    >>> nps(surveys)
         responses  respondents  promoters  passives  detractors   nps  mean_score
    all          6            5   0.333333  0.333333    0.333333   0.0    7.166667
    >>> nps(surveys, by="region")[["responses", "nps"]]
            responses        nps
    region
    N               3  33.333333
    S               3 -33.333333
    """
    return _score_table(
        surveys,
        func="nps",
        score_col=score_col,
        scale=_NPS_SCALE,
        bands=("promoters", "passives", "detractors"),
        cuts=(9, 7),
        headline="nps",
        by=by,
        customers=customers,
        segment_col=segment_col,
        customer_col=customer_col,
    )


def csat(
    surveys: pd.DataFrame,
    *,
    by: Hashable | None = None,
    customers: pd.DataFrame | None = None,
    segment_col: Hashable | None = None,
    score_col: Hashable = "csat",
    customer_col: Hashable | None = "customer_id",
) -> pd.DataFrame:
    """Customer satisfaction score (CSAT), overall or per segment.

    Parameters are those of :func:`nps`; `score_col` (default ``"csat"``) holds 1..5
    answers.

    Returns
    -------
    DataFrame
        One row per segment (or ``"all"``), as in :func:`nps`, with:

        - ``responses``, ``respondents`` (int64): answers and distinct customers;
        - ``satisfied``, ``neutral``, ``dissatisfied`` (float64, 0..1): shares of the
          answers 4-5, 3 and 1-2;
        - ``csat`` (float64, 0..100): the percentage of satisfied answers,
          ``100 * satisfied``;
        - ``mean_score`` (float64): the mean answer, 1..5.

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
        As in :func:`nps` (answers must be whole numbers from 1 to 5).

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.satisfaction import csat
    >>> surveys = pd.DataFrame({"customer_id": [1, 2, 3, 4], "csat": [5, 4, 3, 1]})
    >>> csat(surveys)[["responses", "satisfied", "neutral", "dissatisfied", "csat"]]
         responses  satisfied  neutral  dissatisfied  csat
    all          4        0.5     0.25          0.25  50.0
    """
    return _score_table(
        surveys,
        func="csat",
        score_col=score_col,
        scale=_CSAT_SCALE,
        bands=("satisfied", "neutral", "dissatisfied"),
        cuts=(4, 3),
        headline="csat",
        by=by,
        customers=customers,
        segment_col=segment_col,
        customer_col=customer_col,
    )
