"""Customer satisfaction: a class per customer from surveys and complaints; NPS and CSAT.

- :func:`satisfaction_class` puts each customer in a satisfaction class (high / medium /
  low, or an explicit ``unknown`` when they never answered a survey), the fifth dimension of
  the source document on classifying core customers (seed 002), from their survey answers
  (NPS and/or CSAT) and their recent complaints;
- :func:`nps` and :func:`csat` compute the Net Promoter Score and the customer
  satisfaction score, overall or per segment.

Standard definitions, kept once in :mod:`kamseg.features` (the scales, the bands and the
scores that every module uses):

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
from collections.abc import Callable, Collection, Hashable
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._tables import customer_column, end_day, side_table
from kamseg._validation import (
    check_choice,
    check_columns,
    check_customers,
    check_frame,
    check_no_overwrite,
    examples,
    positions_in,
    warn,
)
from kamseg.actions import action_column
from kamseg.errors import ConfigError, EmptyInputError
from kamseg.features._surveys import (
    CSAT_BANDS,
    CSAT_SCALE,
    NPS_BANDS,
    NPS_SCALE,
    answers,
    band_counts,
    csat_band,
    csat_score,
    latest_answers,
    nps_band,
    nps_score,
    open_complaints,
    recent_complaints,
)
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


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _weighted(
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


# --------------------------------------------------------------------------------------
# satisfaction_class
# --------------------------------------------------------------------------------------


def satisfaction_class(
    customers: pd.DataFrame,
    *,
    surveys: pd.DataFrame,
    complaints: pd.DataFrame | None = None,
    customer_col: Hashable | None = None,
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
        Survey answers (keyword-only): `customer_col`, `date_col` and the answer columns. May
        be empty (every customer is then unknown). Not modified.
    complaints
        Optional complaints (keyword-only): `customer_col`, `date_col`, and optionally
        `severity_col` and `resolved_col`. Not modified.
    customer_col, date_col
        Customer id and date columns of `surveys` and `complaints`. `customer_col` defaults
        to the name of the index of `customers` (``"customer_id"`` when the index has no
        name).
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
        - ``satisfaction_action`` (category; only with ``action=True``):
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
    placed in its standard band (``kamseg.features.nps_band`` / ``csat_band``): NPS >= 9 is
    high (promoter), >= 7 medium (passive), below low (detractor); CSAT >= 4 is high
    (satisfied), >= 3 medium, below low. For whole answers these are exactly the standard
    definitions; a weighted mean of 8.6 is medium. When a customer has both measures the
    class is the **lower** of the two: someone who would not recommend you is not highly
    satisfied, however they rated the last delivery.

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
    >>> out = satisfaction_class(
    ...     customers, surveys=surveys, complaints=complaints, as_of="2024-06-30"
    ... )
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

    >>> zh = satisfaction_class(customers, surveys=surveys, labels="zh", action=True)
    >>> zh.loc["e", ["satisfaction_class", "satisfaction_action"]].tolist()
    ['未知', '在下次接触时开展满意度调查（NPS、CSAT）。']
    """
    func = "satisfaction_class"
    customers = check_customers(customers, func=func)
    customer_col = customer_column(customers, customer_col)
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
    end = end_day(as_of, customers, func=func)
    cols = {"customer_col": customer_col, "date_col": date_col}  # checked above
    rows, s_pos, s_day, s_end = side_table(
        sv, customers, end, arg="surveys", func=func, more={}, **cols
    )
    ref_day = s_end
    if cp is not None:
        c_rows, c_pos, c_day, c_end = side_table(
            cp, customers, end, arg="complaints", func=func, more={}, **cols
        )
        ref_day = max(s_end, c_end)  # without an as_of: the latest date of both tables

    # ---- survey answers: each measure's value, its band as a class, the lower class of all
    answered = np.zeros(len(rows), dtype=bool)
    values: list[np.ndarray] = []
    code = np.full(n, _HIGH + 1, dtype=np.int64)
    for col, (lo, hi), band in ((nps_col, NPS_SCALE, nps_band), (csat_col, CSAT_SCALE, csat_band)):
        if col is None:
            continue
        x = answers(rows[col], (lo, hi), func=func, col=col)
        answered |= ~np.isnan(x)
        if method == "latest":
            v = latest_answers(x, s_pos, s_day, n).value
        else:
            v = _weighted(x, s_pos, s_day, n, as_of_day=ref_day, half_life=float(half_life_days))
        b = band(v)  # 0 best .. 2 worst, -1 none
        code = np.minimum(code, np.where(b >= 0, _HIGH - b, _HIGH + 1))
        values.append((v - lo) / (hi - lo))
    code = np.where(code > _HIGH, _UNKNOWN, code)
    n_answers = np.bincount(s_pos[answered], minlength=n).astype(np.int64)
    stacked = np.vstack(values)
    has = ~np.isnan(stacked)
    count = has.sum(axis=0)
    score = np.divide(
        np.where(has, stacked, 0.0).sum(axis=0), count, out=np.full(n, np.nan), where=count > 0
    )

    # ---- complaints
    recent_count: np.ndarray | None = None
    if cp is not None:
        is_open = open_complaints(c_rows, resolved_col, func=func)
        if severity_col is None:
            is_severe = np.zeros(len(c_rows), dtype=bool)
        else:
            is_severe = c_rows[severity_col].isin(list(severe)).to_numpy(dtype=bool)

        def recent(where: np.ndarray | None = None) -> np.ndarray:
            return recent_complaints(
                c_pos, c_day, n, as_of_day=ref_day, days=float(complaint_days), where=where
            )

        recent_count = recent()
        low_cap = recent(is_open & is_severe) > 0
        cap = np.where(low_cap, _LOW, np.where(recent(is_open | is_severe) > 0, _MEDIUM, _HIGH))
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
        columns["satisfaction_action"] = pd.Series(
            action_column("satisfaction_class", SATISFACTION_CLASSES, code, labels=lang),
            index=customers.index,
        )
    return customers.assign(**columns)


# --------------------------------------------------------------------------------------
# NPS and CSAT
# --------------------------------------------------------------------------------------


def _segments(
    surveys: pd.DataFrame,
    *,
    func: str,
    customers: pd.DataFrame | None,
    segment_col: Hashable | None,
    customer_col: Hashable | None,
    answered: np.ndarray,
) -> tuple[np.ndarray, pd.Index]:
    """Segment code of each survey row (-1: excluded) and the segment index.

    Exclusions are counted among the `answered` rows only.
    """
    if customers is not None and segment_col is None:
        raise ConfigError(
            f"{func}: `customers` is read for its segment column only, and `segment_col` is "
            "None. Hint: pass segment_col=<a column of customers>, or leave customers=None."
        )
    n = len(surveys)
    if customers is None and segment_col is not None:
        source, name, row = surveys[segment_col], segment_col, np.arange(n, dtype=np.int64)
    elif customers is not None and segment_col is not None:
        cust = check_customers(customers, func=func)
        check_columns(cust, {"segment_col": segment_col}, func=func)
        if customer_col is None:
            raise ConfigError(
                f"{func}: `segment_col` joins on the customer id; `customer_col` cannot be None."
            )
        ids = surveys[customer_col]
        row = positions_in(ids, cust.index)
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
    score_arg: str,
    scale: tuple[int, int],
    band: Callable[[np.ndarray], np.ndarray],
    bands: tuple[str, str, str],
    score: Callable[[np.ndarray], np.ndarray],
    customers: pd.DataFrame | None,
    segment_col: Hashable | None,
    customer_col: Hashable | None,
) -> pd.DataFrame:
    """The answers of `score_col` per segment: counts, band shares, the score (`func`)."""
    sv = check_frame(surveys, func=func, arg="surveys")
    in_surveys = segment_col if customers is None else None
    check_columns(
        sv,
        {score_arg: score_col, "segment_col": in_surveys, "customer_col": customer_col},
        func=func,
    )
    x = answers(sv[score_col], scale, func=func, col=score_col)
    codes, index = _segments(
        sv,
        func=func,
        customers=customers,
        segment_col=segment_col,
        customer_col=customer_col,
        answered=~np.isnan(x),
    )
    ok = (codes >= 0) & ~np.isnan(x)
    if not ok.any():
        raise EmptyInputError(
            f"{func}: no answers in column {score_col!r}"
            f"{' with a segment' if segment_col is not None else ''}. "
            "Hint: check the filter upstream."
        )
    k = len(index)
    g = codes[ok]
    counts = band_counts(band(x[ok]), g, k)
    responses = counts.sum(axis=1)
    shares = np.divide(
        counts, responses[:, None], out=np.full(counts.shape, np.nan), where=responses[:, None] > 0
    )
    columns: dict[str, Any] = {"responses": responses}
    if customer_col is not None:
        ids = pd.factorize(sv[customer_col].to_numpy()[ok])[0]
        pairs = np.unique(np.column_stack((g, ids)), axis=0)
        columns["respondents"] = np.bincount(pairs[:, 0], minlength=k).astype(np.int64)
    columns |= dict(zip(bands, shares.T, strict=True))
    columns[func] = score(counts)
    columns["mean_score"] = np.divide(
        np.bincount(g, weights=x[ok], minlength=k),
        responses,
        out=np.full(k, np.nan),
        where=responses > 0,
    )
    return pd.DataFrame(columns, index=index)


def nps(
    surveys: pd.DataFrame,
    *,
    segment_col: Hashable | None = None,
    customers: pd.DataFrame | None = None,
    nps_col: Hashable = "nps",
    customer_col: Hashable | None = "customer_id",
) -> pd.DataFrame:
    """Net Promoter Score, overall or per segment.

    Parameters
    ----------
    surveys
        Survey answers, one row per answer; `nps_col` holds 0..10 answers (nulls are
        skipped). Filter the period first: every answer given counts. Not modified.
    segment_col
        The column to compute the NPS per value of: a column of `surveys`, or, with
        `customers`, a column of `customers`.
    customers
        Optional customer table (indexed by customer id) holding `segment_col`, joined to
        the surveys on `customer_col`; answers of customers not in `customers` are
        excluded with a warning.
    nps_col
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
        If `customers` is given without `segment_col`.

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
    >>> nps(surveys, segment_col="region")[["responses", "nps"]]
            responses        nps
    region
    N               3  33.333333
    S               3 -33.333333
    """
    return _score_table(
        surveys,
        func="nps",
        score_col=nps_col,
        score_arg="nps_col",
        scale=NPS_SCALE,
        band=nps_band,
        bands=NPS_BANDS,
        score=nps_score,
        customers=customers,
        segment_col=segment_col,
        customer_col=customer_col,
    )


def csat(
    surveys: pd.DataFrame,
    *,
    segment_col: Hashable | None = None,
    customers: pd.DataFrame | None = None,
    csat_col: Hashable = "csat",
    customer_col: Hashable | None = "customer_id",
) -> pd.DataFrame:
    """Customer satisfaction score (CSAT), overall or per segment.

    Parameters are those of :func:`nps`, with `csat_col` (default ``"csat"``), the column of
    1..5 answers, in place of `nps_col`.

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
        score_col=csat_col,
        score_arg="csat_col",
        scale=CSAT_SCALE,
        band=csat_band,
        bands=CSAT_BANDS,
        score=csat_score,
        customers=customers,
        segment_col=segment_col,
        customer_col=customer_col,
    )
