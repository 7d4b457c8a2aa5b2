"""Customer health score.

Seed 004 (big-customer service) asks for a *customer health score* (and churn early
warnings, :mod:`kamseg.alerts`). :func:`health_score` is meant for the customer table of
:func:`kamseg.summarize`, annotated by the other analyses (:func:`kamseg.lifecycle_stage`,
:func:`kamseg.clv.predict`, :func:`kamseg.satisfaction_class`), whose columns it reads: it
adds ``health_score`` (0-100), ``health_band`` (red / amber / green by default),
``health_drivers`` (the components that pulled the score down most) and one sub-score
``health_<component>`` (0-1) per component used.

It reads columns, not modules: ``overdue_ratio`` (or the summary's ``days_since_last``,
``tenure_days`` and ``frequency``), ``spend_trend`` / ``frequency_trend`` (or
`transactions`, through :mod:`kamseg.features`), ``p_alive``, ``satisfaction_score``,
``recent_complaints``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._tables import check_range, float_column, join_text, text_column
from kamseg._types import P_ALIVE_INFORMATIVE, ReturnsPolicy
from kamseg._validation import (
    check_choice,
    check_columns,
    check_frame,
    check_int,
    check_no_overwrite,
    warn,
)
from kamseg.errors import ColumnNotFoundError, ConfigError
from kamseg.features import (
    MIN_TREND_ORDERS,
    TREND_WINDOW_DAYS,
    customer_activity,
    prepared_for,
    rhythm_columns,
)
from kamseg.labels import HEALTH_BAND_LABELS, Language, check_language
from kamseg.transactions import PreparedTransactions

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_WEIGHTS",
    "HEALTH_COMPONENTS",
    "ExtraScale",
    "HealthComponent",
    "health_score",
]

HealthComponent = Literal[
    "recency", "frequency_trend", "spend_trend", "p_alive", "satisfaction", "complaints"
]
"""A built-in health component (see :func:`health_score` for each one's input and rule)."""

ExtraScale = Literal["rank", "minmax", "unit"]
"""How an extra column becomes a 0-1 sub-score: percentile rank, min-max, or as is."""

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
_WEIGHT_TOLERANCE = 1e-6
_MINUS = "\N{MINUS SIGN}"


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
        check_range(values, col, func=func, low=0.0, high=1.0)
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
    transactions: pd.DataFrame | PreparedTransactions | None = None,
    customer_col: Hashable | None = None,
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    as_of: Any = None,
    window_days: int = TREND_WINDOW_DAYS,
    min_trend_orders: int = MIN_TREND_ORDERS,
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
        ``frequency_trend`` are not columns of `customers` (columns win): a
        :class:`~kamseg.transactions.PreparedTransactions` used as it is, or a DataFrame
        (columns `customer_col`, `date_col`, `amount_col`; not modified) prepared with
        `dropna` and `returns` as by :func:`kamseg.prepare_transactions`. `customer_col`
        defaults to the name of the index of `customers` (``"customer_id"`` when the
        index has no name).
    as_of, window_days, min_trend_orders
        The trends compare the last `window_days` days (up to `as_of`, included) with the
        `window_days` days before, under the one rule of :func:`kamseg.features.trends`
        (they count for customers whose first purchase is two windows old and who placed
        at least `min_trend_orders` orders in the two windows). `as_of` defaults to
        ``customers.attrs["as_of"]`` (set by :func:`kamseg.summarize`), else the latest
        transaction date; later transactions are excluded with a warning.
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
    the same rule (:func:`kamseg.features.rhythm`) from the summary columns
    ``days_since_last``, ``tenure_days`` and ``frequency`` (usual gap ``(tenure_days -
    days_since_last) / frequency``, at least one day; single-purchase customers get the
    median gap of the repeat buyers). A weekly or monthly summary's ``frequency`` counts
    periods, not days: the repeat purchase days are then counted from `transactions`.

    **Trends** from `transactions` (:func:`kamseg.features.trends`): ``spend_trend`` is
    net spend in the recent window over the previous window minus 1, ``frequency_trend``
    the same with the number of distinct purchase days; both are unknown (NaN) when the
    previous window is empty or the trend does not count (tenure under two windows, fewer
    than `min_trend_orders` orders in them). :func:`kamseg.lifecycle_stage` writes the
    same ``spend_trend``, so the score is the same whether or not it ran first.

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
    min_orders = check_int(min_trend_orders, func=func, arg="min_trend_orders", low=1)
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
        if c == "p_alive" and chosen is None and not p_alive_informative:
            return False  # a P(alive) that tells nobody apart is left out by default
        return direct[c] in customers

    p_alive_informative = customers.attrs.get(P_ALIVE_INFORMATIVE) is not False

    if chosen is None:
        used: list[str] = [c for c in HEALTH_COMPONENTS if available(c)]
        skipped = [c for c in HEALTH_COMPONENTS if c not in used]
        if skipped and (used or extras):
            needs = {
                "recency": "'overdue_ratio' or the summary columns",
                "frequency_trend": "'frequency_trend' or transactions=",
                "spend_trend": "'spend_trend' or transactions=",
                "p_alive": "'p_alive' (kamseg.clv.predict)"
                if p_alive_informative
                else "a 'p_alive' that tells customers apart: the purchase model found no dropout",
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
    need_windows = [c for c in used if c in trend_cols and trend_cols[c] not in customers]
    need_days = (
        "recency" in used
        and "overdue_ratio" not in customers
        and customers.attrs.get("freq", "D") != "D"
    )
    prepared = positions = None
    if transactions is not None and (need_windows or need_days):
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
    if "recency" in used:
        ratio = rhythm_columns(customers, transactions=prepared, func=func, positions=positions)[0]
        subs["recency"] = 1.0 / (1.0 + np.maximum(ratio - 1.0, 0.0))
    computed: dict[str, np.ndarray] = {}
    if need_windows and prepared is not None:
        activity = customer_activity(
            customers, transactions=prepared, window=window, func=func, positions=positions
        )
        computed = {
            "spend_trend": activity.spend_trend(min_orders),
            "frequency_trend": activity.frequency_trend(min_orders),
        }
    for c in ("frequency_trend", "spend_trend"):
        if c in used:
            g = float_column(customers, c, func=func) if c in customers else computed[c]
            subs[c] = np.clip(1.0 + g, 0.0, 1.0)
    for c in ("p_alive", "satisfaction"):
        if c in used:
            x = float_column(customers, direct[c], func=func)
            check_range(x, direct[c], func=func, low=0.0, high=1.0)
            subs[c] = x
    if "complaints" in used:
        x = float_column(customers, "recent_complaints", func=func)
        check_range(x, "recent_complaints", func=func, low=0.0)
        subs["complaints"] = 1.0 / (1.0 + x)
    for col, (direction, scale, _) in extras.items():
        x = float_column(customers, col, func=func)
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
    # each driver is (component, points) or nothing: the text is made once per distinct
    # combination of drivers (a few hundred) and taken for every customer
    combo = np.zeros(n, dtype=np.int64)
    idxs: list[np.ndarray] = []
    values: list[np.ndarray] = []
    points_: list[np.ndarray] = []
    for j in range(min(top, len(names))):
        idx = order[j]
        value = shortfall[idx, np.arange(n)]
        points = np.floor(value + 0.5).astype(np.int64)
        code, distinct = pd.factorize(np.where(value >= 0.5, points * len(names) + idx, -1))
        combo = pd.factorize(combo * len(distinct) + code)[0].astype(np.int64)
        idxs.append(idx)
        values.append(value)
        points_.append(points)
    n_combos = int(combo.max(initial=-1)) + 1
    rep = np.zeros(n_combos, dtype=np.int64)
    rep[combo] = np.arange(n)  # any customer of each combination: they share the text
    parts = []
    for idx, value, points in zip(idxs, values, points_, strict=True):
        idx, value, points = idx[rep], value[rep], points[rep]
        text = shown[idx] + f" {_MINUS}" + points.astype(str).astype(object)
        parts.append(np.where(value >= 0.5, text, ""))
    sep = "; " if lang == "en" else "；"
    texts = join_text(parts, sep) if parts else np.full(n_combos, "", dtype=object)
    by_combo = text_column(texts, pd.RangeIndex(n_combos))
    drivers = pd.Series(by_combo.array.take(combo), index=customers.index)

    columns: dict[str, Any] = {
        "health_score": score,
        "health_band": band,
        "health_drivers": drivers,
    }
    columns.update({f"health_{c}": subs[c].astype(np.float64) for c in names})
    out = customers.assign(**columns)
    out.attrs = {**customers.attrs, "kamseg_health_weights": {c: w_map[c] for c in names}}
    return out
