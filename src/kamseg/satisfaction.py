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

import dataclasses
from collections.abc import Callable, Collection, Hashable
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._classes_fit import (
    SATISFACTION_CLASSES,
    SideTables,
    apply_inputs,
    check_options,
    check_side_columns,
    latest_day,
    new_columns,
    satisfaction_columns,
    side_frames,
    side_tables,
)
from kamseg._state import state
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
    nps_band,
    nps_score,
)
from kamseg.labels import Language, check_language

__all__ = [
    "SATISFACTION_CLASSES",
    "SatisfactionClassFit",
    "SatisfactionMethod",
    "csat",
    "fit_satisfaction_class",
    "nps",
    "satisfaction_class",
]

SatisfactionMethod = Literal["latest", "weighted"]
"""How answers over time become one value: the latest answer, or a recency-weighted mean."""


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
    fit, sv, cp, end = _fit(
        customers,
        func=func,
        surveys=surveys,
        complaints=complaints,
        customer_col=customer_col,
        date_col=date_col,
        nps_col=nps_col,
        csat_col=csat_col,
        as_of=as_of,
        method=method,
        half_life_days=half_life_days,
        complaint_days=complaint_days,
        severity_col=severity_col,
        severe=severe,
        resolved_col=resolved_col,
        labels=labels,
        action=action,
        overwrite=overwrite,
        read=True,
    )
    # read here, so that the notices point at the caller
    cols: dict[str, Any] = {"customer_col": fit.customer_col, "date_col": fit.date_col}
    s_rows = side_table(sv, customers, end, arg="surveys", func=func, more={}, **cols)
    c_rows = (
        None
        if cp is None
        else side_table(cp, customers, end, arg="complaints", func=func, more={}, **cols)
    )
    return _classify(fit, customers, side_tables(s_rows, c_rows), func=func)


# --------------------------------------------------------------------------------------
# fit and apply
# --------------------------------------------------------------------------------------


@state("satisfaction.SatisfactionClassFit")
@dataclasses.dataclass(frozen=True)
class SatisfactionClassFit:
    """What :func:`satisfaction_class` learns from the customer base: its `as_of` day.

    Made by :func:`fit_satisfaction_class`. The class of a customer depends only on that
    customer's survey answers and complaints, the options, and the `as_of` day (the end of
    the rows read, the age of the weighted answers, the window of recent complaints). When
    `as_of` is not given, :func:`satisfaction_class` takes it from the customer table or
    the latest date of the side tables: the fit freezes that day, so :meth:`apply` reads
    every customer's rows up to the same day, and applying the fit to the data it was
    fitted on gives :func:`satisfaction_class`'s result exactly. Nothing else is learned
    from the base; the rest of the fit is the options.

    Attributes
    ----------
    as_of
        The `as_of` day (midnight); None when it could not be known (no `as_of`, no
        ``attrs["as_of"]`` and no dated rows), in which case :meth:`apply` needs one.
    customer_col
        The customer id column of the side tables (resolved: the name of the fitted
        table's index when not given).
    date_col, nps_col, csat_col, method, half_life_days, complaint_days, severity_col, \
severe, resolved_col, labels, action, overwrite
        The options of :func:`satisfaction_class` (`severe` as a tuple).

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.satisfaction import fit_satisfaction_class
    >>> base = pd.DataFrame(index=pd.Index(["a", "b"], name="customer_id"))
    >>> surveys = pd.DataFrame(
    ...     {"customer_id": ["a", "b"], "date": ["2024-05-01", "2024-06-30"], "nps": [9, 4]}
    ... )
    >>> fit = fit_satisfaction_class(base, surveys=surveys, csat_col=None)
    >>> fit.as_of  # the latest survey date
    Timestamp('2024-06-30 00:00:00')
    >>> fit.apply(base.iloc[[0]], surveys=surveys[:1])["satisfaction_class"].tolist()
    ['high']
    """

    as_of: pd.Timestamp | None
    customer_col: Hashable
    date_col: Hashable
    nps_col: Hashable | None
    csat_col: Hashable | None
    method: SatisfactionMethod
    half_life_days: float
    complaint_days: float
    severity_col: Hashable | None
    severe: tuple[Any, ...]
    resolved_col: Hashable | None
    labels: Language
    action: bool
    overwrite: bool

    def apply(
        self,
        customers: pd.DataFrame,
        *,
        surveys: pd.DataFrame,
        complaints: pd.DataFrame | None = None,
        as_of: Any = None,
    ) -> pd.DataFrame:
        """Classify each customer of `customers` from their surveys and complaints.

        `customers` (indexed by customer id, may be empty), `surveys` and `complaints` are
        as in :func:`satisfaction_class`, which gives the columns and the errors (and a
        ConfigError when the fit has no `as_of`, none is given and there are dated rows).
        `as_of` defaults to the fitted one (pass a later date to score later data); the
        ``attrs["as_of"]`` of `customers` is not read. Each row depends only on that
        customer, their rows of the side tables and the fit.
        """
        func = "satisfaction_class"
        customers = check_frame(customers, func=func, arg="customers", allow_empty=True)
        sv, cp, end = apply_inputs(self, customers, surveys, complaints, as_of, func=func)
        # notices: the caller
        cols: dict[str, Any] = {"customer_col": self.customer_col, "date_col": self.date_col}
        s_rows = side_table(sv, customers, end, arg="surveys", func=func, more={}, **cols)
        c_rows = (
            None
            if cp is None
            else side_table(cp, customers, end, arg="complaints", func=func, more={}, **cols)
        )
        return _classify(self, customers, side_tables(s_rows, c_rows), func=func)


def _classify(
    fit: SatisfactionClassFit, customers: pd.DataFrame, tables: SideTables, *, func: str
) -> pd.DataFrame:
    columns = satisfaction_columns(fit, customers.index, tables, func=func)
    return customers.assign(**columns)


def _fit(
    customers: pd.DataFrame,
    *,
    func: str,
    surveys: pd.DataFrame,
    complaints: pd.DataFrame | None,
    customer_col: Hashable | None,
    date_col: Hashable,
    nps_col: Hashable | None,
    csat_col: Hashable | None,
    as_of: Any,
    method: SatisfactionMethod,
    half_life_days: float,
    complaint_days: float,
    severity_col: Hashable | None,
    severe: Collection[Any],
    resolved_col: Hashable | None,
    labels: Language,
    action: bool,
    overwrite: bool,
    read: bool,
) -> tuple[SatisfactionClassFit, pd.DataFrame, pd.DataFrame | None, int | None]:
    customers = check_customers(customers, func=func)
    customer_col = customer_column(customers, customer_col)
    sv, cp = side_frames(surveys, complaints, func=func)
    check_choice(method, get_args(SatisfactionMethod), func=func, arg="method")
    lang = check_language(labels, func=func)
    check_options(nps_col, csat_col, half_life_days, complaint_days, severe, func=func)
    fit = SatisfactionClassFit(
        as_of=None,
        customer_col=customer_col,
        date_col=date_col,
        nps_col=nps_col,
        csat_col=csat_col,
        method=method,
        half_life_days=float(half_life_days),
        complaint_days=float(complaint_days),
        severity_col=severity_col,
        severe=tuple(severe),
        resolved_col=resolved_col,
        labels=lang,
        action=bool(action),
        overwrite=bool(overwrite),
    )
    check_side_columns(fit, sv, cp, func=func)
    if read:  # satisfaction_class: the errors in the order they always came
        new_cols = new_columns(cp is not None, bool(action))
        check_no_overwrite(customers, new_cols, func=func, overwrite=overwrite)
    end = end_day(as_of, customers, func=func)
    if read:  # satisfaction_class reads the tables up to `end` (None: each one's latest date)
        return fit, sv, cp, end
    if end is None:  # the day it would find, without reading (and warning about) the rows
        end = latest_day((sv, cp), fit.date_col, func=func)
    day = None if end is None else pd.Timestamp(np.datetime64(end, "D"))
    return dataclasses.replace(fit, as_of=day), sv, cp, end


def fit_satisfaction_class(
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
) -> SatisfactionClassFit:
    """Freeze the `as_of` day and the options of :func:`satisfaction_class`.

    Parameters are those of :func:`satisfaction_class`. When `as_of` is neither given nor
    in ``customers.attrs["as_of"]``, it is the latest date of `surveys` and `complaints`
    (their rows are otherwise read, checked and warned about by
    :meth:`SatisfactionClassFit.apply`).

    Returns
    -------
    SatisfactionClassFit
        The `as_of` day and the options (`customer_col` resolved).

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
        As :func:`satisfaction_class` (answers are checked by
        :meth:`SatisfactionClassFit.apply`).

    Notes
    -----
    Nothing else is learned from the base: the class of a customer comes from their own
    answers and complaints, with fixed bands. Which measures are read (`nps_col`,
    `csat_col`) is an option, kept in the fit.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.satisfaction import fit_satisfaction_class, satisfaction_class
    >>> data = kamseg.datasets.make_transactions(n_customers=200, seed=0)
    >>> customers = kamseg.summarize(data.transactions, as_of=data.as_of)
    >>> sides = {"surveys": data.surveys, "complaints": data.complaints}
    >>> fit = fit_satisfaction_class(customers, **sides)
    >>> fit.as_of  # from customers.attrs["as_of"], set by summarize
    Timestamp('2024-12-31 00:00:00')
    >>> fit.apply(customers, **sides).equals(satisfaction_class(customers, **sides))
    True
    """
    fit, _, _, _ = _fit(
        customers,
        func="fit_satisfaction_class",
        surveys=surveys,
        complaints=complaints,
        customer_col=customer_col,
        date_col=date_col,
        nps_col=nps_col,
        csat_col=csat_col,
        as_of=as_of,
        method=method,
        half_life_days=half_life_days,
        complaint_days=complaint_days,
        severity_col=severity_col,
        severe=severe,
        resolved_col=resolved_col,
        labels=labels,
        action=action,
        overwrite=overwrite,
        read=False,
    )
    return fit


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
