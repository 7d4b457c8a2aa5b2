"""Customer health score and churn early warnings.

Seed 004 (big-customer service) asks for a *customer health score* and *churn early
warnings*. Two functions, meant for the customer table of :func:`kamseg.summarize`,
annotated by the other analyses (:func:`kamseg.lifecycle_stage`, :func:`kamseg.clv.predict`,
:func:`kamseg.satisfaction_class`), whose columns they read:

- :func:`health_score` adds ``health_score`` (0-100), ``health_band`` (red / amber / green
  by default), ``health_drivers`` (the components that pulled the score down most) and one
  sub-score ``health_<component>`` (0-1) per component used;
- :func:`early_warnings` adds boolean flags (spend down, overdue, became a detractor,
  open complaints), ``warning_reasons`` with the numbers behind them and ``n_warnings``.

Both read columns, not modules: ``overdue_ratio`` (or the summary's ``days_since_last``,
``tenure_days`` and ``frequency``), ``spend_trend`` / ``frequency_trend`` (or
`transactions`), ``p_alive``, ``satisfaction_score``, ``recent_complaints``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._validation import (
    as_of_day,
    check_choice,
    check_columns,
    check_frame,
    check_int,
    check_no_overwrite,
    examples,
    to_datetime,
    to_float,
    warn,
)
from kamseg.errors import ColumnNotFoundError, ConfigError, SchemaError
from kamseg.labels import HEALTH_BAND_LABELS, Language, check_language

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_WEIGHTS",
    "HEALTH_COMPONENTS",
    "WARNING_COLUMNS",
    "DetractorRule",
    "ExtraScale",
    "HealthComponent",
    "early_warnings",
    "health_score",
]

HealthComponent = Literal[
    "recency", "frequency_trend", "spend_trend", "p_alive", "satisfaction", "complaints"
]
"""A built-in health component (see :func:`health_score` for each one's input and rule)."""

ExtraScale = Literal["rank", "minmax", "unit"]
"""How an extra column becomes a 0-1 sub-score: percentile rank, min-max, or as is."""

DetractorRule = Literal["became", "latest"]
"""When the latest NPS answer raises ``warn_detractor`` (see :func:`early_warnings`)."""

#: The built-in components, in the order of their sub-score columns.
HEALTH_COMPONENTS: tuple[HealthComponent, ...] = get_args(HealthComponent)

#: Default weights of the built-in components (they sum to 1).
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "recency": 0.25,
        "frequency_trend": 0.10,
        "spend_trend": 0.15,
        "p_alive": 0.20,
        "satisfaction": 0.20,
        "complaints": 0.10,
    }
)

#: Default bands: band name -> lower bound of its score interval, worst band first.
DEFAULT_BANDS: Mapping[str, float] = MappingProxyType({"red": 0.0, "amber": 40.0, "green": 70.0})

#: Columns added by :func:`early_warnings`, in order.
WARNING_COLUMNS: tuple[str, ...] = (
    "warn_spend_drop",
    "warn_overdue",
    "warn_detractor",
    "warn_open_complaint",
    "warning_reasons",
    "n_warnings",
)

# Display names (local tables: the lead may move them to kamseg.labels).
_COMPONENT_NAMES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "recency": {"en": "recency", "zh": "购买节奏"},
        "frequency_trend": {"en": "frequency trend", "zh": "购买频次趋势"},
        "spend_trend": {"en": "spend trend", "zh": "消费额趋势"},
        "p_alive": {"en": "P(alive)", "zh": "存活概率"},
        "satisfaction": {"en": "satisfaction", "zh": "满意度"},
        "complaints": {"en": "complaints", "zh": "投诉"},
    }
)
_FALLBACK_GAP_DAYS = 90.0
_WEIGHT_TOLERANCE = 1e-6
_MINUS = "\N{MINUS SIGN}"


# --------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------


def _column(customers: pd.DataFrame, col: str, *, func: str) -> np.ndarray:
    return to_float(customers[col], func=func, col=col)


def _check_range(
    values: np.ndarray,
    col: str,
    *,
    func: str,
    low: float = -math.inf,
    high: float = math.inf,
) -> None:
    bad = ~np.isnan(values) & ((values < low) | (values > high))
    if bad.any():
        lo = "-inf" if math.isinf(low) else f"{low:g}"
        hi = "inf" if math.isinf(high) else f"{high:g}"
        raise SchemaError(
            f"{func}: {int(bad.sum())} value(s) of column {col!r} are outside [{lo}, {hi}]; "
            f"examples: {examples(values[bad])}. Hint: check which analysis wrote the column."
        )


def _rhythm(customers: pd.DataFrame, *, func: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(overdue_ratio, days_since_last, usual_gap_days)`` per customer.

    ``overdue_ratio`` comes from its column when present; otherwise it is computed from the
    summary's ``days_since_last`` ``d``, ``tenure_days`` ``t`` and ``frequency`` ``k`` with
    the rule of :func:`kamseg.lifecycle_stage`: usual gap ``max((t - d) / k, 1)`` for repeat
    buyers, the median gap of the repeat buyers for single-purchase customers (90 days
    when there is none), ratio ``d / gap``. Unknown values are NaN.
    """
    n = len(customers)
    nan = np.full(n, np.nan)
    days = (
        _column(customers, "days_since_last", func=func) if "days_since_last" in customers else nan
    )
    gap = _column(customers, "usual_gap_days", func=func) if "usual_gap_days" in customers else nan
    if "overdue_ratio" in customers:
        ratio = _column(customers, "overdue_ratio", func=func)
        _check_range(ratio, "overdue_ratio", func=func, low=0.0)
        return ratio, days, gap
    needed = ("days_since_last", "tenure_days", "frequency")
    if not all(c in customers for c in needed):
        missing = [c for c in needed if c not in customers]
        raise ColumnNotFoundError(
            f"{func}: the recency component needs column 'overdue_ratio' (from "
            f"kamseg.lifecycle_stage) or the summary columns {', '.join(map(repr, needed))}; "
            f"{', '.join(map(repr, missing))} missing. Hint: start from kamseg.summarize."
        )
    t = _column(customers, "tenure_days", func=func)
    k = _column(customers, "frequency", func=func)
    for name, x in (("days_since_last", days), ("tenure_days", t), ("frequency", k)):
        _check_range(x, name, func=func, low=0.0)
    repeat = k > 0
    gap = np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap[repeat] = np.maximum((t[repeat] - days[repeat]) / k[repeat], 1.0)
    known = repeat & ~np.isnan(gap)
    base = float(np.median(gap[known])) if known.any() else _FALLBACK_GAP_DAYS
    gap[(k == 0)] = base
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = days / gap
    return ratio, days, gap


def _end_day(as_of: Any, customers: pd.DataFrame, *, func: str) -> int | None:
    """The `as_of` day, else the ``attrs["as_of"]`` of `customers`, else None."""
    day = as_of_day(as_of, func=func)
    if day is None and customers.attrs.get("as_of") is not None:
        day = as_of_day(customers.attrs["as_of"], func=func)
    return day


def _side_table(
    frame: object,
    customers: pd.DataFrame,
    end: int | None,
    *,
    arg: str,
    customer_col: Hashable,
    date_col: Hashable,
    more: Mapping[str, Hashable | None],
    func: str,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, int]:
    """Rows of a side table up to the end day: ``(rows, customer position, day, end)``.

    Rows after the end day and rows of customers that are not in `customers` are dropped
    with a warning; null ids or dates raise. The end day defaults to the latest date.
    """
    df = check_frame(frame, func=func, arg=arg, allow_empty=True)
    check_columns(df, {"customer_col": customer_col, "date_col": date_col, **more}, func=func)
    if not customers.index.is_unique:
        raise SchemaError(
            f"{func}: the index of `customers` has duplicated ids, e.g. "
            f"{examples(customers.index[customers.index.duplicated()])}; `{arg}` is matched "
            "by id. Hint: aggregate to one row per customer first."
        )
    if len(df) == 0:
        empty = np.empty(0, dtype=np.int64)
        return df, empty, empty, (0 if end is None else end)
    ids = df[customer_col]
    dates = to_datetime(df[date_col], func=func, col=str(date_col))
    nulls = {str(customer_col): int(ids.isna().sum()), str(date_col): int(dates.isna().sum())}
    found = ", ".join(f"{v} in {k!r}" for k, v in nulls.items() if v)
    if found:
        raise SchemaError(
            f"{func}: `{arg}` has null values ({found}). Hint: drop or fill those rows first."
        )
    day = np.asarray(dates.to_numpy().astype("datetime64[D]").view(np.int64), dtype=np.int64)
    if end is None:
        end = int(day.max())
    keep = day <= end
    if not keep.all():
        warn(
            f"{func}: excluded {int((~keep).sum())} row(s) of `{arg}` dated after as_of "
            f"{np.datetime64(end, 'D')}.",
            stacklevel=4,
        )
    codes, uniques = pd.factorize(ids, sort=False)
    pos = np.asarray(customers.index.get_indexer(uniques), dtype=np.int64)[codes]
    unknown = keep & (pos < 0)
    if unknown.any():
        warn(
            f"{func}: excluded {int(unknown.sum())} row(s) of `{arg}` whose customer is not "
            f"in `customers`, e.g. {examples(ids[unknown])}. Hint: use the same customer "
            "base for both.",
            stacklevel=4,
        )
        keep &= ~unknown
    return df[keep], pos[keep], day[keep], end


def _windows(
    customers: pd.DataFrame,
    transactions: object,
    end: int | None,
    *,
    window: int,
    customer_col: Hashable,
    date_col: Hashable,
    amount_col: Hashable,
    func: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Spend and purchase days per customer in the recent and the previous window.

    The recent window is the `window` days ending on the end day (included), the previous
    one the `window` days before. Returns ``(recent_spend, previous_spend, recent_days,
    previous_days)`` aligned with `customers`; purchase days count distinct dates.
    """
    rows, pos, day, end = _side_table(
        transactions,
        customers,
        end,
        arg="transactions",
        customer_col=customer_col,
        date_col=date_col,
        more={"amount_col": amount_col},
        func=func,
    )
    n = len(customers)
    amount = (
        to_float(rows[amount_col], func=func, col=str(amount_col)) if len(rows) else np.empty(0)
    )
    if np.isnan(amount).any():
        raise SchemaError(
            f"{func}: `transactions` has {int(np.isnan(amount).sum())} null value(s) in "
            f"{amount_col!r}. Hint: drop or fill those rows first."
        )
    age = end - day
    used = age < 2 * window
    pos, age, amount = pos[used], age[used], amount[used]
    recent = age < window
    spend_recent = np.bincount(pos[recent], weights=amount[recent], minlength=n)
    spend_previous = np.bincount(pos[~recent], weights=amount[~recent], minlength=n)
    key = np.unique(pos * (2 * window) + age)  # distinct (customer, day) pairs
    k_pos, k_age = key // (2 * window), key % (2 * window)
    days_recent = np.bincount(k_pos[k_age < window], minlength=n).astype(np.float64)
    days_previous = np.bincount(k_pos[k_age >= window], minlength=n).astype(np.float64)
    return spend_recent, spend_previous, days_recent, days_previous


def _trend(recent: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """``recent / previous - 1`` where ``previous > 0``, else NaN."""
    out = np.full(recent.shape, np.nan)
    ok = previous > 0
    out[ok] = recent[ok] / previous[ok] - 1.0
    return out


def _join(parts: Sequence[np.ndarray], sep: str) -> np.ndarray:
    """Row-wise join of equal-length object arrays of text, skipping empty strings."""
    if not parts:
        return np.array([], dtype=object)
    out = parts[0].copy()
    for part in parts[1:]:
        both = (out != "") & (part != "")
        out = np.where(both, out + sep + part, np.where(out == "", part, out))
    return np.asarray(out, dtype=object)


def _text_column(values: np.ndarray, index: pd.Index) -> pd.Series:
    """A text column: pandas' default string dtype (``str`` on pandas 3, object on 2)."""
    return pd.Series(values, index=index, dtype=object).astype(str)


# --------------------------------------------------------------------------------------
# health score
# --------------------------------------------------------------------------------------


def _check_weights(
    weights: object, names: Sequence[str], *, func: str, arg: str = "weights"
) -> dict[str, float]:
    if not isinstance(weights, Mapping):
        raise ConfigError(
            f"{func}: `{arg}` must be a mapping of component name to weight; got "
            f"{type(weights).__name__}. Hint: {{'recency': 0.5, 'p_alive': 0.5}}."
        )
    out: dict[str, float] = {}
    for name, w in weights.items():
        if name not in names:
            check_choice(name, names, func=func, arg=f"{arg} key")
        ok = isinstance(w, int | float | np.number) and not isinstance(w, bool)
        if not ok or not math.isfinite(float(w)) or float(w) < 0:
            raise ConfigError(
                f"{func}: the weight of {name!r} must be a finite number >= 0; got {w!r}."
            )
        out[str(name)] = float(w)
    return out


def _extras(
    extra: object, customers: pd.DataFrame, *, func: str
) -> dict[str, tuple[str, str, float]]:
    """Validated extra components: column -> (direction, scale, weight)."""
    if extra is None:
        return {}
    if not isinstance(extra, Mapping):
        raise ConfigError(
            f"{func}: `extra` must map a column name to a spec such as "
            f"{{'direction': 'max', 'weight': 0.1}}; got {type(extra).__name__}."
        )
    out: dict[str, tuple[str, str, float]] = {}
    for col, spec in extra.items():
        if col in HEALTH_COMPONENTS:
            raise ConfigError(
                f"{func}: extra column {col!r} has the name of a built-in component. "
                "Hint: rename the column."
            )
        if not isinstance(spec, Mapping):
            raise ConfigError(
                f"{func}: the spec of extra column {col!r} must be a mapping with keys "
                f"'direction', 'weight' and optionally 'scale'; got {spec!r}."
            )
        unknown = set(spec) - {"direction", "weight", "scale"}
        if unknown:
            raise ConfigError(
                f"{func}: unknown key(s) {', '.join(map(repr, sorted(map(str, unknown))))} in "
                f"the spec of extra column {col!r}. Hint: use 'direction', 'weight', 'scale'."
            )
        if "weight" not in spec:
            raise ConfigError(
                f"{func}: the spec of extra column {col!r} needs a 'weight'. Hint: "
                "{'direction': 'max', 'weight': 0.1}."
            )
        direction = spec.get("direction", "max")
        check_choice(direction, ("max", "min"), func=func, arg=f"extra[{col!r}]['direction']")
        scale = spec.get("scale", "rank")
        check_choice(scale, get_args(ExtraScale), func=func, arg=f"extra[{col!r}]['scale']")
        weight = _check_weights({col: spec["weight"]}, [col], func=func, arg="extra")[str(col)]
        check_columns(customers, {f"extra[{col!r}]": col}, func=func)
        out[str(col)] = (str(direction), str(scale), weight)
    return out


def _scaled(values: np.ndarray, scale: str, direction: str, col: str, *, func: str) -> np.ndarray:
    ok = ~np.isnan(values)
    s = np.full(values.shape, np.nan)
    if scale == "unit":
        _check_range(values, col, func=func, low=0.0, high=1.0)
        s = values.copy()
    elif ok.any():
        x = values[ok]
        if scale == "minmax":
            lo, hi = float(x.min()), float(x.max())
            s[ok] = (x - lo) / (hi - lo) if hi > lo else 1.0
        else:
            m = x.size
            ranks = pd.Series(x).rank(method="average").to_numpy()
            s[ok] = (ranks - 1.0) / (m - 1.0) if m > 1 else 1.0
            if m > 1 and np.all(x == x[0]):
                s[ok] = 1.0
    return 1.0 - s if direction == "min" else s


def _bands(bands: object, lang: str, *, func: str) -> tuple[list[str], np.ndarray]:
    if bands is None:
        bands = DEFAULT_BANDS
    if not isinstance(bands, Mapping) or len(bands) == 0:
        raise ConfigError(
            f"{func}: `bands` must map band names (worst first) to the lower bound of "
            f"their score interval, e.g. {{'red': 0, 'amber': 40, 'green': 70}}; got {bands!r}."
        )
    names = [str(k) for k in bands]
    lows = []
    for name, low in bands.items():
        ok = isinstance(low, int | float | np.number) and not isinstance(low, bool)
        if not ok or not math.isfinite(float(low)):
            raise ConfigError(
                f"{func}: the lower bound of band {name!r} must be a number; got {low!r}."
            )
        lows.append(float(low))
    if lows[0] != 0.0:
        raise ConfigError(
            f"{func}: the first band ({names[0]!r}) must start at 0, so that the bands cover "
            f"0-100; it starts at {lows[0]:g}."
        )
    if any(b <= a for a, b in itertools.pairwise(lows)) or lows[-1] > 100.0:
        raise ConfigError(
            f"{func}: the lower bounds of `bands` must increase strictly from 0 and not "
            f"exceed 100; got {', '.join(f'{lo:g}' for lo in lows)}."
        )
    if len(set(names)) != len(names):
        raise ConfigError(f"{func}: band names must be distinct; got {names!r}.")
    shown = [HEALTH_BAND_LABELS.get(n, {}).get(lang, n) for n in names]
    return shown, np.asarray(lows)


def health_score(
    customers: pd.DataFrame,
    *,
    components: Sequence[HealthComponent] | None = None,
    weights: Mapping[str, float] | None = None,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
    bands: Mapping[str, float] | None = None,
    transactions: pd.DataFrame | None = None,
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    as_of: Any = None,
    window_days: int = 180,
    top_drivers: int = 2,
    min_coverage: float = 0.5,
    labels: Language = "en",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Score each customer's health from 0 to 100, with a band and the main drivers.

    Each *component* turns one input into a sub-score from 0 to 1 (1 = healthy); the
    score is ``100 * sum(w_i * s_i)`` over the components, with weights that sum to 1.

    ===================  ==========================================  =====================
    component            input column(s)                             sub-score ``s``
    ===================  ==========================================  =====================
    ``recency``          ``overdue_ratio`` ``r`` (or computed, see   ``1 / (1 + max(r - 1,
                         Notes)                                      0))``
    ``frequency_trend``  ``frequency_trend`` ``f`` (or from          ``clip(1 + f, 0, 1)``
                         `transactions`)
    ``spend_trend``      ``spend_trend`` ``g`` (or from              ``clip(1 + g, 0, 1)``
                         `transactions`)
    ``p_alive``          ``p_alive`` (from :func:`kamseg.clv.predict`) as is
    ``satisfaction``     ``satisfaction_score`` (from                as is
                         :func:`kamseg.satisfaction_class`)
    ``complaints``       ``recent_complaints`` ``c`` (idem)          ``1 / (1 + c)``
    extra column         any numeric column                          see `extra`
    ===================  ==========================================  =====================

    So a customer buying on their usual rhythm scores 1 on recency, 0.5 when overdue by two
    usual gaps, 0.25 by four; a stable or growing trend scores 1 and a fall of 30 % 0.7;
    one recent complaint halves the complaints sub-score.

    Parameters
    ----------
    customers
        One row per customer (e.g. from :func:`kamseg.summarize`, annotated). Not modified.
    components
        The built-in components to use. Default: every built-in component whose input is
        available, with a :class:`~kamseg.errors.KamsegWarning` naming those skipped.
        Components named here (or in `weights`) must have their input.
    weights
        Component name -> weight, for the built-in components (each >= 0). When given, its
        keys are the components used (`components`, if also given, must name the same
        ones), and together with the weights of `extra` they must sum to 1
        (:class:`~kamseg.errors.ConfigError` otherwise). Default: :data:`DEFAULT_WEIGHTS`
        (recency 0.25, frequency trend 0.10, spend trend 0.15, P(alive) 0.20,
        satisfaction 0.20, complaints 0.10) rescaled over the components used so that
        they sum to ``1 - sum of the extra weights``.
    extra
        Further components from columns of `customers`: ``{column: {"direction": "max" or
        "min", "weight": w, "scale": "rank" | "minmax" | "unit"}}``. ``direction="max"``:
        higher is healthier. ``scale="rank"`` (default): percentile rank among the
        customers, ``(rank - 1) / (n - 1)`` with ties sharing their mean rank;
        ``"minmax"``: ``(x - min) / (max - min)``; ``"unit"``: the values as they are
        (they must lie in [0, 1]). All-equal values score 1. NaN stays unknown.
    bands
        Band name -> lower bound of its score interval, worst band first, e.g. the
        default :data:`DEFAULT_BANDS` ``{"red": 0, "amber": 40, "green": 70}``: red is
        ``[0, 40)``, amber ``[40, 70)``, green ``[70, 100]``. The first bound must be 0 and
        the bounds must increase strictly up to at most 100, so that every score from 0 to
        100 falls in exactly one band.
    transactions
        Optional transactions, for the trend components when ``spend_trend`` or
        ``frequency_trend`` are not columns of `customers` (columns win). Columns
        `customer_col`, `date_col`, `amount_col`. Not modified.
    as_of, window_days
        The trends compare the last `window_days` days (up to `as_of`, included) with the
        `window_days` days before. `as_of` defaults to ``customers.attrs["as_of"]`` (set by
        :func:`kamseg.summarize`), else the latest transaction date; later transactions
        are excluded with a warning.
    top_drivers
        How many components ``health_drivers`` names at most (>= 1).
    min_coverage
        The least total weight (in (0, 1], default 0.5) the components known for a
        customer must carry for a score; below it the score is NaN (see Notes).
    labels
        Language of the default band names and of the component names in
        ``health_drivers``: ``"en"`` or ``"zh"`` (红灯 / 黄灯 / 绿灯). Custom band names are
        kept as given.
    overwrite
        Replace output columns that already exist instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index and row order) with:

        - ``health_score`` (float64, 0..100): ``100 * sum(w_i * s_i) / sum(w_i)`` over the
          components whose sub-score is known for the customer; NaN when their weights
          add up to less than `min_coverage` (then ``health_band`` is NaN too);
        - ``health_band`` (ordered ``category``, worst band first);
        - ``health_drivers`` (str, ``object`` on pandas 2): up to `top_drivers`
          components with the largest shortfall ``100 * w_i * (1 - s_i) / sum(w_i)``
          (points lost), largest first, shortfalls below 0.5 points left out, e.g.
          ``"recency −24; satisfaction −9"``; empty when none. The shortfalls of all
          components add up to ``100 - health_score``;
        - ``health_<component>`` (float64, 0..1, NaN when unknown): one sub-score per
          component used, built-in ones first in the order of the table.

        ``attrs["kamseg_health_weights"]`` holds the weight of every component used.

    Raises
    ------
    ColumnNotFoundError
        If a component named in `components`, `weights` or `extra` lacks its input.
    SchemaError
        If an input is not numeric, infinite or outside its range (P(alive) and
        satisfaction in [0, 1], ratios and counts >= 0).
    ConfigError
        On invalid weights (negative, unknown names, not summing to 1), bands, options,
        or if an output column exists and `overwrite` is false.

    Notes
    -----
    **Recency** uses ``overdue_ratio`` (days since the last purchase over the usual gap,
    from :func:`kamseg.lifecycle_stage`) when it is a column; otherwise it is computed by
    the same rule from the summary columns ``days_since_last``, ``tenure_days`` and
    ``frequency`` (usual gap ``(tenure_days - days_since_last) / frequency``, at least one
    day; single-purchase customers get the median gap of the repeat buyers).

    **Trends** from `transactions`: ``spend_trend`` is net spend in the recent window over
    the previous window minus 1, ``frequency_trend`` the same with the number of distinct
    purchase days; both are unknown (NaN) when the previous window is empty.

    **Unknown inputs.** A component whose input is NaN for a customer (no survey answer,
    no previous spend, ...) is left out *for that customer* and the other weights are
    rescaled to sum to 1: an unknown satisfaction neither helps nor hurts. When the known
    components carry less than `min_coverage` of the weight, too little is known and the
    score is NaN: e.g. a prospect of the customer master with no purchase, whose only
    known input is its zero complaints.

    The score is non-decreasing in every sub-score, so it rises with P(alive),
    satisfaction and the trends and falls with the overdue ratio and complaints.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.health import health_score
    >>> customers = pd.DataFrame(
    ...     {
    ...         "overdue_ratio": [0.8, 3.0, 1.5],
    ...         "p_alive": [0.95, 0.30, 0.80],
    ...         "satisfaction_score": [0.9, 0.4, None],
    ...         "recent_complaints": [0, 2, 1],
    ...     },
    ...     index=pd.Index(["a", "b", "c"], name="customer_id"),
    ... )
    >>> out = health_score(customers, components=["recency", "p_alive", "satisfaction",
    ...                                           "complaints"])
    >>> out[["health_score", "health_band", "health_drivers"]].round(2)
                 health_score health_band                health_drivers
    customer_id
    a                   96.00       green  satisfaction −3; P(alive) −1
    b                   34.22         red     recency −22; P(alive) −19
    c                   68.48       amber    recency −15; complaints −9

    The four weights 0.25, 0.20, 0.20, 0.10 are rescaled to sum to 1 (1/3, 4/15, 4/15,
    2/15). ``a``: ``100 * (1/3 + 4/15 * 0.95 + 4/15 * 0.9 + 2/15) = 96``. ``b`` is overdue
    by three usual gaps (recency sub-score 1/3, shortfall ``100 * 1/3 * 2/3 = 22``), has
    P(alive) 0.3 and two recent complaints. ``c`` never answered a survey, so its score
    is rescaled over the other three components (weights 0.25, 0.20, 0.10 out of 0.55):
    ``100 * (5/11 / 1.5 + 4/11 * 0.8 + 2/11 / 2) = 68.48``.

    >>> out[["health_recency", "health_complaints"]].loc["b"].round(3).tolist()
    [0.333, 0.333]
    >>> out.attrs["kamseg_health_weights"]
    {'recency': 0.3333333333333333, 'p_alive': 0.26666666666666666, \
'satisfaction': 0.26666666666666666, 'complaints': 0.13333333333333333}
    """
    func = "health_score"
    check_frame(customers, func=func, arg="customers")
    lang = check_language(labels, func=func)
    top = check_int(top_drivers, func=func, arg="top_drivers", low=1)
    window = check_int(window_days, func=func, arg="window_days", low=1)
    ok = isinstance(min_coverage, int | float | np.number) and not isinstance(min_coverage, bool)
    coverage = float(min_coverage) if ok else math.nan
    if not 0.0 < coverage <= 1.0:
        raise ConfigError(f"{func}: `min_coverage` must be in (0, 1]; got {min_coverage!r}.")
    extras = _extras(extra, customers, func=func)
    band_names, band_lows = _bands(bands, lang, func=func)

    # --- which components -------------------------------------------------------------
    chosen: list[str] | None = None
    if components is not None:
        if isinstance(components, str) or not isinstance(components, Sequence):
            raise ConfigError(
                f"{func}: `components` must be a list of component names, e.g. "
                f"['recency', 'p_alive']; got {components!r}."
            )
        for c in components:
            check_choice(c, HEALTH_COMPONENTS, func=func, arg="components")
        if len(set(components)) != len(components):
            raise ConfigError(f"{func}: `components` names a component twice: {components!r}.")
        chosen = list(components)
    user_weights: dict[str, float] | None = None
    if weights is not None:
        user_weights = _check_weights(weights, HEALTH_COMPONENTS, func=func)
        if chosen is not None and set(chosen) != set(user_weights):
            raise ConfigError(
                f"{func}: `weights` must give a weight to exactly the components in "
                f"`components` ({', '.join(map(repr, chosen))}); it has "
                f"{', '.join(map(repr, user_weights))}."
            )
        chosen = [c for c in HEALTH_COMPONENTS if c in user_weights]
    trend_cols = {"frequency_trend": "frequency_trend", "spend_trend": "spend_trend"}
    direct = {
        "p_alive": "p_alive",
        "satisfaction": "satisfaction_score",
        "complaints": "recent_complaints",
    }

    def available(c: str) -> bool:
        if c == "recency":
            return "overdue_ratio" in customers or all(
                x in customers for x in ("days_since_last", "tenure_days", "frequency")
            )
        if c in trend_cols:
            return trend_cols[c] in customers or transactions is not None
        return direct[c] in customers

    if chosen is None:
        used: list[str] = [c for c in HEALTH_COMPONENTS if available(c)]
        skipped = [c for c in HEALTH_COMPONENTS if c not in used]
        if skipped and (used or extras):
            needs = {
                "recency": "'overdue_ratio' or the summary columns",
                "frequency_trend": "'frequency_trend' or transactions=",
                "spend_trend": "'spend_trend' or transactions=",
                "p_alive": "'p_alive' (kamseg.clv.predict)",
                "satisfaction": "'satisfaction_score' (kamseg.satisfaction_class)",
                "complaints": "'recent_complaints' (kamseg.satisfaction_class with complaints)",
            }
            warn(
                f"{func}: skipped the component(s) whose input is missing: "
                + "; ".join(f"{c} (needs {needs[c]})" for c in skipped)
                + ". Hint: pass components=[...] to choose them and silence this warning."
            )
    else:
        used = chosen
        for name in used:
            if not available(name):
                col = "overdue_ratio" if name == "recency" else {**trend_cols, **direct}[name]
                hint = " or pass transactions=" if name in trend_cols else ""
                raise ColumnNotFoundError(
                    f"{func}: component {name!r} needs column {col!r}, which is not in "
                    f"`customers`. Hint: add it{hint}, or leave the component out."
                )
    if not used and not extras:
        raise ConfigError(
            f"{func}: no component has its input in `customers`. Hint: start from "
            "kamseg.summarize, or name `extra` columns."
        )

    # --- weights ---------------------------------------------------------------------
    extra_total = math.fsum(w for _, _, w in extras.values())
    if user_weights is not None:
        w_map: dict[str, float] = {c: user_weights[c] for c in used}
        total = math.fsum([*w_map.values(), extra_total])
        if abs(total - 1.0) > _WEIGHT_TOLERANCE:
            raise ConfigError(
                f"{func}: the weights (with those of `extra`) must sum to 1; they sum to "
                f"{total:.6g}. Hint: divide each weight by their sum."
            )
    else:
        if extra_total > 1.0 + _WEIGHT_TOLERANCE or (not used and abs(extra_total - 1) > 1e-6):
            raise ConfigError(
                f"{func}: the weights of `extra` sum to {extra_total:.6g}; they must sum to "
                "at most 1 (exactly 1 with no built-in component)."
            )
        base = math.fsum(DEFAULT_WEIGHTS[c] for c in used)
        rest = max(1.0 - extra_total, 0.0)
        w_map = {c: DEFAULT_WEIGHTS[c] / base * rest for c in used} if base > 0 else {}
    w_map.update({col: w for col, (_, _, w) in extras.items()})
    names = [*used, *extras]
    new_cols = ["health_score", "health_band", "health_drivers"]
    new_cols += [f"health_{c}" for c in names]
    check_no_overwrite(customers, new_cols, func=func, overwrite=overwrite)

    # --- sub-scores --------------------------------------------------------------------
    n = len(customers)
    subs: dict[str, np.ndarray] = {}
    if "recency" in used:
        ratio = _rhythm(customers, func=func)[0]
        subs["recency"] = 1.0 / (1.0 + np.maximum(ratio - 1.0, 0.0))
    need_windows = [c for c in used if c in trend_cols and trend_cols[c] not in customers]
    if need_windows:
        if not customers.index.is_unique:
            raise SchemaError(
                f"{func}: the index of `customers` has duplicated ids, e.g. "
                f"{examples(customers.index[customers.index.duplicated()])}; transactions "
                "are matched by id. Hint: aggregate to one row per customer first."
            )
        sr, sp, dr, dp = _windows(
            customers,
            transactions,
            _end_day(as_of, customers, func=func),
            window=window,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            func=func,
        )
        computed = {"spend_trend": _trend(sr, sp), "frequency_trend": _trend(dr, dp)}
    for c in ("frequency_trend", "spend_trend"):
        if c in used:
            g = _column(customers, c, func=func) if c in customers else computed[c]
            subs[c] = np.clip(1.0 + g, 0.0, 1.0)
    for c in ("p_alive", "satisfaction"):
        if c in used:
            x = _column(customers, direct[c], func=func)
            _check_range(x, direct[c], func=func, low=0.0, high=1.0)
            subs[c] = x
    if "complaints" in used:
        x = _column(customers, "recent_complaints", func=func)
        _check_range(x, "recent_complaints", func=func, low=0.0)
        subs["complaints"] = 1.0 / (1.0 + x)
    for col, (direction, scale, _) in extras.items():
        x = _column(customers, col, func=func)
        subs[col] = _scaled(x, scale, direction, col, func=func)

    # --- score, rescaled over the known sub-scores -------------------------------------
    s = np.vstack([subs[c] for c in names]) if names else np.empty((0, n))
    w = np.asarray([w_map[c] for c in names])[:, None]
    known = ~np.isnan(s)
    w_known = np.where(known, w, 0.0)
    w_sum = w_known.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        w_eff = w_known / w_sum
        score = 100.0 * np.where(known, w_eff * s, 0.0).sum(axis=0)
        shortfall = 100.0 * np.where(known, w_eff * (1.0 - s), 0.0)
    enough = (w_sum > 0) & (w_sum >= coverage - _WEIGHT_TOLERANCE)
    score = np.where(enough, np.clip(score, 0.0, 100.0), np.nan)
    shortfall = np.where(enough, shortfall, 0.0)

    band_code = np.searchsorted(band_lows, np.nan_to_num(score, nan=0.0), side="right") - 1
    band_code = np.where(np.isnan(score), -1, band_code)
    band = pd.Categorical.from_codes(band_code, categories=pd.Index(band_names), ordered=True)

    # --- drivers -----------------------------------------------------------------------
    shown = np.array(
        [_COMPONENT_NAMES.get(c, {}).get(lang, c) for c in names] or [""], dtype=object
    )
    order = np.argsort(-shortfall, axis=0, kind="stable")
    parts = []
    for j in range(min(top, len(names))):
        idx = order[j]
        value = shortfall[idx, np.arange(n)]
        points = np.floor(value + 0.5).astype(np.int64)
        text = shown[idx] + f" {_MINUS}" + points.astype(str).astype(object)
        parts.append(np.where(value >= 0.5, text, ""))
    sep = "; " if lang == "en" else "；"
    drivers = _join(parts, sep) if parts else np.full(n, "", dtype=object)

    columns: dict[str, Any] = {
        "health_score": score,
        "health_band": band,
        "health_drivers": _text_column(drivers, customers.index),
    }
    columns.update({f"health_{c}": subs[c].astype(np.float64) for c in names})
    out = customers.assign(**columns)
    out.attrs = {**customers.attrs, "kamseg_health_weights": {c: w_map[c] for c in names}}
    return out


# --------------------------------------------------------------------------------------
# early warnings
# --------------------------------------------------------------------------------------

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


def _fmt(x: float, digits: int = 0) -> str:
    return f"{x:.{digits}f}"


def _ratio_text(r: float) -> str:
    return f"{r:.1f}" if r < 10 else f"{r:.0f}"


def early_warnings(
    customers: pd.DataFrame,
    *,
    transactions: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    complaints: pd.DataFrame | None = None,
    spend_drop: float = 0.3,
    overdue_multiple: float = 2.0,
    window_days: int = 180,
    detractor: DetractorRule = "became",
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
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
        Transactions (`customer_col`, `date_col`, `amount_col`) for the spend trend when
        ``spend_trend`` is not a column of `customers` (the column wins). Net spend in the
        last `window_days` days (up to `as_of`, included) over the `window_days` days before,
        minus 1; unknown when the previous window has no spend.
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
    detractor
        ``"became"`` (default): a detractor answer raises the flag only when it is the
        customer's first answer or follows a non-detractor answer (a change, not a
        customer known to be unhappy); ``"latest"``: any recent detractor answer.
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
    >>> from kamseg.health import early_warnings
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
    lang = check_language(labels, func=func)
    en = lang == "en"
    check_choice(detractor, get_args(DetractorRule), func=func, arg="detractor")
    window = check_int(window_days, func=func, arg="window_days", low=1)
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
    end = _end_day(as_of, customers, func=func)
    checked: list[str] = []
    skipped: list[str] = []
    lang_i = 0 if en else 1
    empty = np.full(n, "", dtype=object)

    # --- spend drop ----------------------------------------------------------------------
    spend_flag = np.zeros(n, dtype=bool)
    spend_text = empty
    if "spend_trend" in customers or transactions is not None:
        checked.append("spend_drop")
        if "spend_trend" in customers:
            trend = _column(customers, "spend_trend", func=func)
            recent = previous = None
        else:
            recent, previous, _, _ = _windows(
                customers,
                transactions,
                end,
                window=window,
                customer_col=customer_col,
                date_col=date_col,
                amount_col=amount_col,
                func=func,
            )
            trend = _trend(recent, previous)
        with np.errstate(invalid="ignore"):
            spend_flag = trend < -float(spend_drop)
        spend_text = empty.copy()
        for i in np.flatnonzero(spend_flag):
            pct = _fmt(-100.0 * trend[i])
            if recent is None or previous is None:
                spend_text[i] = _WARN_TEXT["spend_col"][lang_i].format(pct=pct)
            else:
                spend_text[i] = _WARN_TEXT["spend"][lang_i].format(
                    w=window, pct=pct, a=_fmt(previous[i]), b=_fmt(recent[i])
                )
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
        ratio, days, gap = _rhythm(customers, func=func)
        with np.errstate(invalid="ignore"):
            overdue_flag = ratio > float(overdue_multiple)
        overdue_text = empty.copy()
        for i in np.flatnonzero(overdue_flag):
            r = _ratio_text(ratio[i])
            if np.isnan(days[i]) or np.isnan(gap[i]):
                overdue_text[i] = _WARN_TEXT["overdue_ratio"][lang_i].format(r=r)
            else:
                overdue_text[i] = _WARN_TEXT["overdue"][lang_i].format(
                    d=_fmt(days[i]), r=r, g=_fmt(gap[i])
                )
    else:
        skipped.append("overdue (needs 'overdue_ratio' or the summary columns)")

    # --- detractor -----------------------------------------------------------------------
    detractor_flag = np.zeros(n, dtype=bool)
    detractor_text = empty
    if surveys is not None:
        checked.append("detractor")
        rows, pos, day, s_end = _side_table(
            surveys,
            customers,
            end,
            arg="surveys",
            customer_col=customer_col,
            date_col=date_col,
            more={"nps_col": nps_col},
            func=func,
        )
        x = to_float(rows[nps_col], func=func, col=str(nps_col)) if len(rows) else np.empty(0)
        bad = ~np.isnan(x) & ((x < 0) | (x > 10) | (x != np.round(x)))
        if bad.any():
            raise SchemaError(
                f"{func}: {int(bad.sum())} answer(s) in column {nps_col!r} are not whole "
                f"numbers from 0 to 10; examples: {examples(x[bad])}. Hint: check the scale."
            )
        answered = ~np.isnan(x)
        per_day = (
            pd.DataFrame({"pos": pos[answered], "day": day[answered], "x": x[answered]})
            .groupby(["pos", "day"], sort=True)["x"]
            .mean()
            .reset_index()
        )
        p = per_day["pos"].to_numpy(dtype=np.int64)
        d = per_day["day"].to_numpy(dtype=np.int64)
        v = per_day["x"].to_numpy(dtype=np.float64)
        last = np.ones(p.size, dtype=bool)
        last[:-1] = p[1:] != p[:-1]
        has_prev = np.zeros(p.size, dtype=bool)
        has_prev[1:] = p[1:] == p[:-1]
        latest = np.flatnonzero(last)
        prev_value = np.full(p.size, np.nan)
        prev_value[1:] = v[:-1]
        is_det = v[latest] <= 6
        recent_answer = s_end - d[latest] < window
        prev = np.where(has_prev[latest], prev_value[latest], np.nan)
        if detractor == "became":
            with np.errstate(invalid="ignore"):
                is_det &= np.isnan(prev) | (prev > 6)
        hit = latest[is_det & recent_answer]
        detractor_flag[p[hit]] = True
        detractor_text = empty.copy()
        for j in hit:
            day_text = str(np.datetime64(int(d[j]), "D"))
            answer = f"{v[j]:g}"
            if has_prev[j]:
                detractor_text[p[j]] = _WARN_TEXT["detractor_was"][lang_i].format(
                    x=answer, day=day_text, prev=f"{prev_value[j]:g}"
                )
            else:
                detractor_text[p[j]] = _WARN_TEXT["detractor_first"][lang_i].format(
                    x=answer, day=day_text
                )
    else:
        skipped.append("detractor (needs surveys=)")

    # --- open complaints ---------------------------------------------------------------
    complaint_flag = np.zeros(n, dtype=bool)
    complaint_text = empty
    if complaints is not None:
        checked.append("open_complaint")
        rows, pos, day, c_end = _side_table(
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
            s = rows[resolved_col]
            if (
                len(s)
                and not pd.api.types.is_bool_dtype(s.dtype)
                and not (
                    s.dtype == object and all(isinstance(b, bool | np.bool_) for b in s.dropna())
                )
            ):
                raise SchemaError(
                    f"{func}: column {resolved_col!r} (argument `resolved_col`) must be "
                    f"boolean; got {s.dtype}, e.g. {examples(s.dropna())}. Hint: pass "
                    "resolved_col=None to count the recent complaints as open."
                )
            is_open = ~s.eq(True).to_numpy(dtype=bool, na_value=False)
        count = np.bincount(pos[is_open], minlength=n)
        oldest = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(oldest, pos[is_open], day[is_open])
        complaint_flag = count > 0
        complaint_text = empty.copy()
        for i in np.flatnonzero(complaint_flag):
            complaint_text[i] = _WARN_TEXT["complaint"][lang_i].format(
                k=int(count[i]),
                s="" if count[i] == 1 else "s",
                day=str(np.datetime64(int(oldest[i]), "D")),
            )
    else:
        skipped.append("open_complaint (needs complaints=)")

    if skipped:
        warn(f"{func}: check(s) not made, their flags are False: {'; '.join(skipped)}.")
    flags = np.vstack([spend_flag, overdue_flag, detractor_flag, complaint_flag])
    reasons = _join(
        [spend_text, overdue_text, detractor_text, complaint_text], "; " if en else "；"
    )
    out = customers.assign(
        warn_spend_drop=spend_flag,
        warn_overdue=overdue_flag,
        warn_detractor=detractor_flag,
        warn_open_complaint=complaint_flag,
        warning_reasons=_text_column(reasons, customers.index),
        n_warnings=flags.sum(axis=0).astype(np.int64),
    )
    out.attrs = {**customers.attrs, "kamseg_warnings_checked": checked}
    return out
