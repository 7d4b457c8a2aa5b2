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

:func:`fit_health_score` freezes what the score takes from the customer base (components,
weights, base gap, scaling of extra columns); :meth:`HealthFit.apply` scores any table row
by row with it, and :func:`health_score` is the two on one table.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal, cast, get_args

import numpy as np
import pandas as pd

from kamseg._health_fit import (
    DIRECT,
    TREND_COLS,
    ExtraFit,
    apply_as_of,
    as_of_timestamp,
    check_available,
    check_bands,
    check_extras,
    choose_components,
    learn_base_gap,
    new_columns,
    scored,
)
from kamseg._state import state
from kamseg._tables import check_range, float_column
from kamseg._types import ReturnsPolicy
from kamseg._validation import (
    check_columns,
    check_frame,
    check_int,
    check_no_overwrite,
)
from kamseg.errors import ConfigError
from kamseg.features import (
    MIN_TREND_ORDERS,
    TREND_WINDOW_DAYS,
    customer_activity,
    prepared_for,
    rhythm_columns,
    table_activity,
)
from kamseg.labels import Language, check_language
from kamseg.transactions import PreparedTransactions

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_WEIGHTS",
    "HEALTH_COMPONENTS",
    "ExtraScale",
    "HealthComponent",
    "HealthFit",
    "fit_health_score",
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
    fit, rows = _fit(
        customers,
        components=components,
        weights=weights,
        extra=extra,
        bands=bands,
        transactions=transactions,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        dropna=dropna,
        returns=returns,
        as_of=as_of,
        window_days=window_days,
        min_trend_orders=min_trend_orders,
        top_drivers=top_drivers,
        min_coverage=min_coverage,
        labels=labels,
        overwrite=overwrite,
        func="health_score",
        check_output=True,
    )
    return fit._apply(customers, transactions, func="health_score", rows=rows, base=True)


def fit_health_score(
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
) -> HealthFit:
    """Learn from a customer base what :func:`health_score` needs, to score customers later.

    Takes the arguments of :func:`health_score` (same meaning, same validation) and freezes
    everything the score depends on beyond each customer's own row: the components used
    (the default choice, with its warning, is made here: a ``p_alive`` marked as telling
    nobody apart, ``attrs["kamseg_p_alive_informative"] = False``, is left out), their
    weights, the bands, the base gap of the purchase rhythm (when ``overdue_ratio`` is
    computed from the summary columns, see :func:`kamseg.features.rhythm`), the scaling of
    each `extra` column (min and max; or the sorted values, for percentile ranks), and the
    `as_of` day (the one given; else, when `customers` has no ``attrs["as_of"]`` and the
    trends or the rhythm read `transactions`, their latest date).

    ``fit_health_score(base, ...).apply(base, transactions=...)`` equals
    ``health_score(base, ...)``, and :meth:`HealthFit.apply` is row-wise.

    Returns
    -------
    HealthFit
        The frozen settings; :meth:`HealthFit.apply` scores a customer table.

    Raises
    ------
    ColumnNotFoundError, SchemaError, ConfigError
        As :func:`health_score`.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.health import fit_health_score
    >>> base = pd.DataFrame(
    ...     {"p_alive": [0.9, 0.2, 0.6], "loyalty": [3.0, 1.0, 2.0]},
    ...     index=pd.Index(["a", "b", "c"], name="customer_id"),
    ... )
    >>> fit = fit_health_score(base, components=["p_alive"], extra={"loyalty": {"weight": 0.5}})
    >>> fit.weights
    {'p_alive': 0.5, 'loyalty': 0.5}
    >>> new = pd.DataFrame({"p_alive": [0.8], "loyalty": [2.5]},
    ...                    index=pd.Index(["d"], name="customer_id"))
    >>> fit.apply(new)[["health_score", "health_loyalty"]]
                 health_score  health_loyalty
    customer_id
    d                    73.33        0.666667

    ``d`` is new: its loyalty 2.5, added to the base's 1, 2, 3, ranks 3rd of 4, so its
    sub-score is ``(3 - 1) / (4 - 1) = 2/3`` and its score ``100 * (0.5 * 0.8 + 0.5 * 2/3)``.
    """
    fit, _ = _fit(
        customers,
        components=components,
        weights=weights,
        extra=extra,
        bands=bands,
        transactions=transactions,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        dropna=dropna,
        returns=returns,
        as_of=as_of,
        window_days=window_days,
        min_trend_orders=min_trend_orders,
        top_drivers=top_drivers,
        min_coverage=min_coverage,
        labels=labels,
        overwrite=overwrite,
        func="fit_health_score",
    )
    return fit


_Rows = tuple[PreparedTransactions, np.ndarray]


def _fit(
    customers: pd.DataFrame,
    *,
    components: Sequence[HealthComponent] | None,
    weights: Mapping[str, float] | None,
    extra: Mapping[str, Mapping[str, Any]] | None,
    bands: Mapping[str, float] | None,
    transactions: pd.DataFrame | PreparedTransactions | None,
    customer_col: Hashable | None,
    date_col: Hashable,
    amount_col: Hashable,
    dropna: bool,
    returns: ReturnsPolicy,
    as_of: Any,
    window_days: int,
    min_trend_orders: int,
    top_drivers: int,
    min_coverage: float,
    labels: Language,
    overwrite: bool,
    func: str,
    check_output: bool = False,
) -> tuple[HealthFit, _Rows | None]:
    """The fit, and the transactions it prepared (with their positions) if it did."""
    check_frame(customers, func=func, arg="customers")
    lang = check_language(labels, func=func)
    top = check_int(top_drivers, func=func, arg="top_drivers", low=1)
    window = check_int(window_days, func=func, arg="window_days", low=1)
    min_orders = check_int(min_trend_orders, func=func, arg="min_trend_orders", low=1)
    ok = isinstance(min_coverage, int | float | np.number) and not isinstance(min_coverage, bool)
    coverage = float(min_coverage) if ok else math.nan
    if not 0.0 < coverage <= 1.0:
        raise ConfigError(f"{func}: `min_coverage` must be in (0, 1]; got {min_coverage!r}.")
    extras = check_extras(
        extra, customers, builtin=HEALTH_COMPONENTS, scales=get_args(ExtraScale), func=func
    )
    band_names, band_lows = check_bands(bands, lang, default=DEFAULT_BANDS, func=func)

    used, w_map, p_alive_informative = choose_components(
        customers,
        components,
        weights,
        extras,
        # the trends come from the rows, or from an engine's activity columns
        transactions if transactions is not None else table_activity(customers, window),
        builtin=HEALTH_COMPONENTS,
        default_weights=DEFAULT_WEIGHTS,
        func=func,
    )
    if check_output:  # health_score: its errors in their order before the split
        check_no_overwrite(
            customers, new_columns([*used, *extras]), func=func, overwrite=overwrite
        )

    # --- what is learned from the base -------------------------------------------------
    given = as_of_timestamp(as_of, func=func)
    no_day = given is None and customers.attrs.get("as_of") is None
    need_windows = any(c in TREND_COLS and TREND_COLS[c] not in customers for c in used)
    rhythm_from_summary = "recency" in used and "overdue_ratio" not in customers
    need_days = rhythm_from_summary and customers.attrs.get("freq", "D") != "D"
    rows: _Rows | None = None
    if transactions is not None and (need_days or (need_windows and no_day)):
        prepared = prepared_for(
            customers,
            transactions=transactions,
            func=func,
            as_of=given,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            dropna=dropna,
            returns=returns,
            stacklevel=8,
        )
        rows = (prepared, prepared.positions(customers.index, func=func))
    base_gap = None
    if rhythm_from_summary:
        base_gap = learn_base_gap(
            customers,
            transactions=None if rows is None else rows[0],
            positions=None if rows is None else rows[1],
            func=func,
        )
    scaled = tuple(
        ExtraFit.learn(
            float_column(customers, col, func=func) if scale != "unit" else np.empty(0),
            customers.index,
            col,
            direction,
            scale,
            w,
        )
        for col, (direction, scale, w) in extras.items()
    )
    fit = HealthFit(
        components=tuple(used),
        weights=w_map,
        extras=scaled,
        band_names=tuple(band_names),
        band_lows=tuple(float(x) for x in band_lows),
        base_gap=base_gap,
        p_alive_informative=p_alive_informative,
        as_of=given,
        fitted_as_of=rows[0].as_of if rows is not None and no_day else None,
        window_days=window,
        min_trend_orders=min_orders,
        top_drivers=top,
        min_coverage=coverage,
        labels=lang,
        overwrite=bool(overwrite),
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        dropna=bool(dropna),
        returns=str(returns),
    )
    return fit, rows


@state("health.HealthFit")
@dataclasses.dataclass(frozen=True)
class HealthFit:
    """What :func:`fit_health_score` learned; :meth:`apply` scores customers with it.

    Attributes
    ----------
    components
        The built-in components used, in the order of their sub-score columns.
    weights
        Weight of every component (built-in, then extra columns), summing to 1.
    extras
        The frozen scaling of each extra column (:class:`kamseg._health_fit.ExtraFit`).
    band_names, band_lows
        The band labels (in the fitted language) and the lower bound of each.
    base_gap
        The usual gap (days) of single-purchase customers when ``overdue_ratio`` is
        computed from the summary columns; None when the base had ``overdue_ratio`` (then
        the tables scored need it too) or recency is not used.
    p_alive_informative
        Whether the base's ``p_alive`` told customers apart (if not, it was left out).
    as_of, fitted_as_of
        The `as_of` day given, and the day learned from the base's transactions when
        neither it nor ``attrs["as_of"]`` was given (used only in the same case).
    window_days, min_trend_orders, top_drivers, min_coverage, labels, overwrite, \
customer_col, date_col, amount_col, dropna, returns
        The options of :func:`health_score`.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.health import fit_health_score
    >>> base = pd.DataFrame({"overdue_ratio": [0.5, 3.0]}, index=pd.Index(["a", "b"]))
    >>> fit = fit_health_score(base, components=["recency"])
    >>> fit.apply(base.iloc[[1]])["health_score"].round(2).tolist()
    [33.33]
    """

    components: tuple[str, ...]
    weights: dict[str, float]
    extras: tuple[ExtraFit, ...]
    band_names: tuple[str, ...]
    band_lows: tuple[float, ...]
    base_gap: float | None
    p_alive_informative: bool
    as_of: pd.Timestamp | None
    fitted_as_of: pd.Timestamp | None
    window_days: int
    min_trend_orders: int
    top_drivers: int
    min_coverage: float
    labels: str
    overwrite: bool
    customer_col: Any
    date_col: Any
    amount_col: Any
    dropna: bool
    returns: str

    def apply(
        self,
        customers: pd.DataFrame,
        *,
        transactions: pd.DataFrame | PreparedTransactions | None = None,
    ) -> pd.DataFrame:
        """Score `customers` as :func:`health_score` does, with the frozen settings.

        Row-wise: each row depends only on the customer's own row, its own transactions
        and the fit. A rank-scaled extra column scores a customer as if its value replaced
        its own value in the base (an id not in the base: as if added to it), every other
        base customer keeping its value; a min-max one is clipped to [0, 1]. The trends
        and the rhythm end at the fit's `as_of`, else at ``customers.attrs["as_of"]``,
        else at the day learned by the fit (else the latest transaction date).

        Parameters
        ----------
        customers
            One row per customer with the inputs of the fitted components. Not modified.
        transactions
            As in :func:`health_score`, for the trends (and for the rhythm of a weekly or
            monthly summary).

        Returns
        -------
        DataFrame
            `customers` with the columns of :func:`health_score`.

        Raises
        ------
        ColumnNotFoundError
            If a fitted component's input is missing (a fit that read ``overdue_ratio``
            needs it: it learned no base gap for the summary columns).
        SchemaError, ConfigError
            As :func:`health_score` (e.g. an output column exists and `overwrite` is false).

        Examples
        --------
        >>> import kamseg
        >>> data = kamseg.datasets.make_transactions(n_customers=200, seed=0)
        >>> base = kamseg.summarize(data.transactions, as_of=data.as_of)
        >>> fit = kamseg.health.fit_health_score(
        ...     base, components=["recency", "spend_trend"], transactions=data.transactions
        ... )
        >>> tx = data.transactions
        >>> one = base.iloc[[5]]  # one customer, with its own transactions only
        >>> mine = fit.apply(one, transactions=tx[tx["customer_id"].isin(one.index)])
        >>> mine.equals(fit.apply(base, transactions=tx).iloc[[5]])
        True
        """
        return self._apply(customers, transactions, func="HealthFit.apply")

    def _apply(
        self,
        customers: pd.DataFrame,
        transactions: pd.DataFrame | PreparedTransactions | None,
        *,
        func: str,
        rows: _Rows | None = None,
        base: bool = False,
    ) -> pd.DataFrame:
        """`rows`: the transactions the fit prepared for this very table; `base`: the table
        is the fitted one (each row's own base value is its value)."""
        check_frame(customers, func=func, arg="customers")
        lang = self.labels
        names = [*self.components, *(e.column for e in self.extras)]
        activity = None
        if transactions is None:  # an engine's activity columns, if any
            activity = table_activity(customers, self.window_days)
        check_available(
            self.components,
            customers,
            transactions if activity is None else activity,
            base_gap=self.base_gap,
            func=func,
        )
        for e in self.extras:
            check_columns(customers, {f"extra[{e.column!r}]": e.column}, func=func)
        check_no_overwrite(customers, new_columns(names), func=func, overwrite=self.overwrite)

        # --- sub-scores ----------------------------------------------------------------
        subs: dict[str, np.ndarray] = {}
        used = self.components
        need_windows = [c for c in used if c in TREND_COLS and TREND_COLS[c] not in customers]
        need_days = (
            "recency" in used
            and "overdue_ratio" not in customers
            and customers.attrs.get("freq", "D") != "D"
        )
        prepared = positions = None
        if transactions is not None and (need_windows or need_days):
            if rows is None:
                prepared = prepared_for(
                    customers,
                    transactions=transactions,
                    func=func,
                    as_of=apply_as_of(self.as_of, self.fitted_as_of, customers),
                    customer_col=self.customer_col,
                    date_col=self.date_col,
                    amount_col=self.amount_col,
                    dropna=self.dropna,
                    returns=cast(ReturnsPolicy, self.returns),
                    stacklevel=8,
                )
                positions = prepared.positions(customers.index, func=func)
            else:
                prepared, positions = rows
        if "recency" in used:
            ratio = rhythm_columns(
                customers,
                transactions=prepared,
                func=func,
                positions=positions,
                base_gap=self.base_gap,
            )[0]
            subs["recency"] = 1.0 / (1.0 + np.maximum(ratio - 1.0, 0.0))
        computed: dict[str, np.ndarray] = {}
        if need_windows and prepared is not None:
            activity = customer_activity(
                customers,
                transactions=prepared,
                window=self.window_days,
                func=func,
                positions=positions,
            )
        if need_windows and activity is not None:
            computed = {
                "spend_trend": activity.spend_trend(self.min_trend_orders),
                "frequency_trend": activity.frequency_trend(self.min_trend_orders),
            }
        for c in ("frequency_trend", "spend_trend"):
            if c in used:
                g = float_column(customers, c, func=func) if c in customers else computed[c]
                subs[c] = np.clip(1.0 + g, 0.0, 1.0)
        for c in ("p_alive", "satisfaction"):
            if c in used:
                x = float_column(customers, DIRECT[c], func=func)
                check_range(x, DIRECT[c], func=func, low=0.0, high=1.0)
                subs[c] = x
        if "complaints" in used:
            x = float_column(customers, "recent_complaints", func=func)
            check_range(x, "recent_complaints", func=func, low=0.0)
            subs["complaints"] = 1.0 / (1.0 + x)
        for e in self.extras:
            x = float_column(customers, e.column, func=func)
            if e.scale == "unit":
                check_range(x, e.column, func=func, low=0.0, high=1.0)
            own = None
            if e.scale == "rank":
                own = x if base else e.own_values(customers.index)
            subs[e.column] = e.scores(x, own)
        return scored(
            customers,
            subs,
            names,
            w_map=self.weights,
            min_coverage=self.min_coverage,
            band_names=self.band_names,
            band_lows=self.band_lows,
            top_drivers=self.top_drivers,
            lang=lang,
        )
