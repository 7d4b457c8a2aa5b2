"""Customer lifecycle stages: potential, new, growing, mature, declining and churned.

:func:`lifecycle_stage` places every customer in one stage of the customer lifecycle (the
lifecycle dimension of seed 002, with a *declining* stage between mature and churned) and
says why in ``lifecycle_reason``, with the numbers that decided it. The rules read:

- the customer's **own rhythm**: days since the last purchase against the customer's usual
  gap between purchases (the *overdue ratio*);
- the **spend trend** (from `transactions`, or the activity columns of an engine's table):
  net spend in the last 180 days against the 180 days before;
- **tenure**: days since the first purchase;
- optionally **P(alive)**, a ``p_alive`` column written by :func:`kamseg.clv.predict`.

The thresholds travel in a frozen :class:`LifecycleThresholds`; the defaults were set on
the synthetic data of :func:`kamseg.datasets.make_transactions`, whose true dropouts are
known, and rounded (see the module's tests for the precision and recall they reach).

Every stage carries the action recommended for it (:mod:`kamseg.actions`), as an optional
``lifecycle_action`` column, in English or Chinese.

:func:`fit_lifecycle_stage` learns what the stages take from the whole base (the base gap,
the P(alive) switch) into a :class:`LifecycleFit`, whose ``apply`` stages any customers
row by row; :func:`lifecycle_stage` is the two in one call.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Hashable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from kamseg._lifecycle_fit import Inputs as _Inputs
from kamseg._lifecycle_fit import learn as _learn
from kamseg._lifecycle_fit import read_inputs as _read_inputs
from kamseg._lifecycle_fit import stage_rows as _stage_rows
from kamseg._state import state
from kamseg._types import ReturnsPolicy
from kamseg._validation import as_of_day as day_of
from kamseg._validation import check_frame
from kamseg.actions import action_column
from kamseg.errors import ConfigError
from kamseg.features import FALLBACK_GAP_DAYS, MIN_TREND_ORDERS, TREND_WINDOW_DAYS
from kamseg.labels import LIFECYCLE_STAGE_LABELS, Language, check_language, translate_all
from kamseg.transactions import PreparedTransactions

__all__ = [
    "DEFAULT_THRESHOLDS",
    "LIFECYCLE_COLUMNS",
    "LIFECYCLE_STAGES",
    "LifecycleFit",
    "LifecycleThresholds",
    "fit_lifecycle_stage",
    "lifecycle_stage",
]

#: The stages in lifecycle order (the category order of ``lifecycle_stage``).
LIFECYCLE_STAGES: tuple[str, ...] = (
    "potential",
    "new",
    "growing",
    "mature",
    "declining",
    "churned",
)
#: Columns added by :func:`lifecycle_stage`, in order (``lifecycle_action`` on request).
LIFECYCLE_COLUMNS: tuple[str, ...] = (
    "usual_gap_days",
    "overdue_ratio",
    "spend_trend",
    "lifecycle_stage",
    "lifecycle_reason",
)

_DIMENSION = "lifecycle_stage"


# --------------------------------------------------------------------------------------
# thresholds
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LifecycleThresholds:
    """Thresholds of the lifecycle rules (see :func:`lifecycle_stage` for the rule table).

    All durations are in days. Invalid values raise :class:`~kamseg.errors.ConfigError`
    when the object is made; numbers are stored as ``float`` (whole-number fields as
    ``int``).

    Attributes
    ----------
    new_days : float
        Customers whose first purchase is fewer than this many days ago are new. Default 90.
    growing_days : float
        Repeat buyers whose first purchase is fewer than this many days ago are growing
        (unless an earlier rule matched). Default 365. At least `new_days`.
    churn_multiple : float
        Churned when the days since the last purchase exceed this multiple of the usual
        gap (and the minimum below). Default 3.
    min_churn_days : float
        No repeat buyer is churned by rhythm before this many days without a purchase,
        however short the usual gap. Default 180.
    min_churn_days_single : float
        The same minimum for customers with a single purchase: one purchase says nothing
        about the customer's own rhythm, so they get longer. Default 365.
    max_churn_days : float or None
        When set, everyone is churned by rhythm after this many days without a purchase,
        however long the usual gap (e.g. 730, two years). Default None: no cap. At least
        both minimums.
    decline_multiple : float
        Declining when the overdue ratio (days since the last purchase / usual gap)
        exceeds this. Default 2. At most `churn_multiple`.
    trend_window_days : int
        Length of the two spend windows: the last `trend_window_days` days up to
        ``as_of`` and as many days before. Default 180.
    decline_drop : float
        Declining when spend fell by more than this fraction from the previous window to
        the recent one (0.5: it more than halved). Default 0.5. In (0, 1].
    growth : float
        Growing when spend rose by more than this fraction (0.5: more than +50 %).
        Default 0.5.
    min_trend_orders : int
        The spend trend counts only for customers with at least this many transaction
        rows in the two windows together. Default 6 (three per window): with fewer, the
        trend is mostly chance. At least 1.
    churn_p_alive : float
        With P(alive) in use: churned when ``p_alive`` is below this. Default 0.2.
    decline_p_alive : float
        With P(alive) in use: declining when ``p_alive`` is below this, and a churn by
        rhythm needs ``p_alive`` below this to stand. Default 0.5. At least
        `churn_p_alive`.
    fallback_gap_days : float
        The usual gap of single-purchase customers when the base has no repeat buyer to
        take the median gap from. Default 90. Positive.

    Examples
    --------
    >>> from kamseg.lifecycle import LifecycleThresholds
    >>> LifecycleThresholds(new_days=60).new_days
    60.0
    >>> LifecycleThresholds(new_days=-1)
    Traceback (most recent call last):
    ...
    kamseg.errors.ConfigError: LifecycleThresholds: `new_days` must be a finite number >= 0; \
got -1.
    """

    new_days: float = 90.0
    growing_days: float = 365.0
    churn_multiple: float = 3.0
    min_churn_days: float = 180.0
    min_churn_days_single: float = 365.0
    max_churn_days: float | None = None
    decline_multiple: float = 2.0
    trend_window_days: int = TREND_WINDOW_DAYS
    decline_drop: float = 0.5
    growth: float = 0.5
    min_trend_orders: int = MIN_TREND_ORDERS
    churn_p_alive: float = 0.2
    decline_p_alive: float = 0.5
    fallback_gap_days: float = FALLBACK_GAP_DAYS

    def __post_init__(self) -> None:
        func = "LifecycleThresholds"

        def number(name: str, *, strict: bool = False, high: float = math.inf) -> None:
            value = getattr(self, name)
            ok = isinstance(value, int | float | np.number) and not isinstance(value, bool)
            x = float(value) if ok else math.nan
            if not (x > 0 if strict else x >= 0) or not x <= high or not math.isfinite(x):
                bound = "> 0" if strict else ">= 0"
                upper = f" and <= {high:g}" if math.isfinite(high) else ""
                raise ConfigError(
                    f"{func}: `{name}` must be a finite number {bound}{upper}; got {value!r}."
                )
            object.__setattr__(self, name, x)

        for name in ("new_days", "growing_days", "min_churn_days", "min_churn_days_single"):
            number(name)
        for name in ("churn_multiple", "decline_multiple", "growth", "fallback_gap_days"):
            number(name, strict=True)
        number("decline_drop", strict=True, high=1.0)
        number("churn_p_alive", high=1.0)
        number("decline_p_alive", high=1.0)
        for name in ("trend_window_days", "min_trend_orders"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ConfigError(f"{func}: `{name}` must be a whole number >= 1; got {value!r}.")
            object.__setattr__(self, name, int(value))
        pairs = [
            ("new_days", "growing_days"),
            ("decline_multiple", "churn_multiple"),
            ("churn_p_alive", "decline_p_alive"),
        ]
        if self.max_churn_days is not None:
            number("max_churn_days")
            pairs += [
                ("min_churn_days", "max_churn_days"),
                ("min_churn_days_single", "max_churn_days"),
            ]
        for low_name, high_name in pairs:
            low, high = getattr(self, low_name), getattr(self, high_name)
            if low > high:
                raise ConfigError(
                    f"{func}: `{low_name}` ({low:g}) must not exceed `{high_name}` "
                    f"({high:g}). Hint: the rules would never reach one of the stages."
                )


#: The default thresholds (an instance of :class:`LifecycleThresholds`).
DEFAULT_THRESHOLDS = LifecycleThresholds()


# --------------------------------------------------------------------------------------
# lifecycle_stage
# --------------------------------------------------------------------------------------


def lifecycle_stage(
    customers: pd.DataFrame,
    *,
    transactions: pd.DataFrame | PreparedTransactions | None = None,
    thresholds: LifecycleThresholds = DEFAULT_THRESHOLDS,
    use_p_alive: bool | Literal["auto"] = "auto",
    master: pd.DataFrame | pd.Series | pd.Index | Sequence[Any] | np.ndarray | None = None,
    customer_col: Hashable | None = None,
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    days_since_last_col: Hashable = "days_since_last",
    tenure_col: Hashable = "tenure_days",
    frequency_col: Hashable = "frequency",
    p_alive_col: Hashable = "p_alive",
    as_of: Any = None,
    labels: Language = "en",
    action: bool = False,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Place each customer in one lifecycle stage, with the reason in words and numbers.

    Parameters
    ----------
    customers
        One row per customer, e.g. from :func:`kamseg.summarize` with daily periods (the
        default). Not modified.
    transactions
        Optional transaction table, for the spend trend (see *Notes*). Without it the
        trend rules are skipped and ``spend_trend`` is NaN: stages come from rhythm,
        tenure and P(alive) only. Customer ids without a row in `customers` are counted
        in a :class:`~kamseg.errors.KamsegWarning` and ignored.
    thresholds
        A :class:`LifecycleThresholds`; default :data:`DEFAULT_THRESHOLDS`.
    use_p_alive
        ``"auto"`` (default): use `p_alive_col` when the column exists. ``True``: require
        it. ``False``: ignore it. See *Notes* for what it changes.
    master
        Optional customer master: a DataFrame indexed by customer id (e.g.
        ``Dataset.master``) or the ids (list, Series, Index, array). **Master ids without a row in
        `customers` are appended as new rows** (after the customers' rows, in master order,
        every input column missing) with stage potential. Customers not in the master are
        staged as usual and counted in a :class:`~kamseg.errors.KamsegWarning`. A row
        whose rhythm columns are all null is potential when its id is in the master (e.g.
        a prospect appended by :func:`kamseg.behaviour.behaviour_class`).
    customer_col, date_col, amount_col
        Columns of `transactions`: customer id, date, amount (net; returns negative).
        `customer_col` defaults to the name of the index of `customers` (as set by
        :func:`kamseg.summarize`; ``"customer_id"`` when the index has no name).
    days_since_last_col
        Days since the last purchase. Default ``"days_since_last"``.
    tenure_col
        Days since the first purchase. Default ``"tenure_days"``.
    frequency_col
        Number of repeat purchases: the BTYD ``frequency`` of a daily summary (purchase
        days minus one). Default ``"frequency"``.
    p_alive_col
        Probability that the customer is still active. Default ``"p_alive"``.
    as_of
        End of the recent spend window (included). Default ``customers.attrs["as_of"]``
        (set by :func:`kamseg.summarize`), else the latest date in `transactions`.
        Transactions after it are excluded with a warning. The rhythm columns are read
        as they are, so use the `as_of` of the summary.
    labels
        Language of the stage names, reasons and actions: ``"en"`` or ``"zh"``.
    action
        Add ``lifecycle_action``, the action recommended for each stage.
    overwrite
        Replace output columns that already exist in `customers` instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index and row order, plus appended prospects) with:

        - ``usual_gap_days`` (float64): the customer's usual gap between purchases,
          ``(tenure - days since last) / repeat purchases``; for single-purchase customers
          the base gap (see *Notes*); NaN for potential customers.
        - ``overdue_ratio`` (float64): days since the last purchase / ``usual_gap_days``.
        - ``spend_trend`` (float64): relative change of net spend from the previous
          window to the recent one (-0.4 is -40 %); NaN without `transactions`, and when
          the trend does not count (see *Notes*).
        - ``lifecycle_stage`` (ordered ``category``, lifecycle order ``potential < new <
          growing < mature < declining < churned``; in Chinese ``潜在期 < 初期 < 成长期 <
          成熟期 < 衰退期 < 流失``): exactly one stage per customer.
        - ``lifecycle_reason`` (str: ``str`` dtype on pandas 3, ``object`` on pandas 2):
          why, with the numbers, e.g. ``"no purchase for 412 days, 4.1× the usual gap of
          100 days (churned after 300 days)"``.
        - ``lifecycle_action`` (category): the recommended action; only with ``action=True``.

    Raises
    ------
    ColumnNotFoundError
        If a rhythm column is missing, `p_alive_col` is missing with
        ``use_p_alive=True``, or a transaction column is missing.
    SchemaError
        If a rhythm column is non-numeric, infinite, negative or null (null is allowed
        only for master ids), or days since last exceed tenure; if ``p_alive`` is null or
        outside [0, 1]; if transactions have unparseable or null values; if `customers`
        has a duplicated index when `master` or `transactions` is given.
    EmptyInputError
        If `customers` has no rows.
    ConfigError
        If an option is invalid, or an output column exists and `overwrite` is false.

    Notes
    -----
    With ``d`` = days since the last purchase, ``t`` = tenure (days since the first
    purchase), ``k`` = repeat purchases, ``g`` = usual gap and ``T`` the thresholds, the
    rules are tried in this order and the first match wins:

    =========  ============================================================================
    stage      rule
    =========  ============================================================================
    potential  in `master` without a purchase
    churned    **by rhythm**: ``d > L``, the churn limit
               ``L = max(T.churn_multiple * g, T.min_churn_days)`` (``T.min_churn_days_single``
               for a single purchase; at most ``T.max_churn_days`` when set). With P(alive):
               by rhythm *and* ``p_alive < T.decline_p_alive``, or ``p_alive <
               T.churn_p_alive``
    new        ``t < T.new_days``
    declining  overdue: ``d / g > T.decline_multiple``; or spend trend ``< -T.decline_drop``;
               or, with P(alive), ``p_alive < T.decline_p_alive``
    new        a single purchase (``k = 0``) not caught above: waiting for the second one
    growing    spend trend ``> T.growth``, or spend in the recent window after none in the
               previous one; or a repeat buyer with ``t < T.growing_days``
    mature     otherwise: buying on rhythm
    =========  ============================================================================

    With the defaults: churned after 3 usual gaps without a purchase, and never before
    180 days (365 for a single purchase); new for 90 days; declining when overdue by 2
    usual gaps or when spend more than halved; growing when spend rose by more than 50 %,
    or in the first year of a repeat buyer.

    **Usual gap.** ``g = (t - d) / k``: the days from the first to the last purchase over
    the number of gaps between purchase days (exact with a daily summary; at least 1
    day). A single-purchase customer (``k = 0``) has no gap of its own: it gets the *base
    gap*, the median usual gap of the repeat buyers in `customers` (or
    ``T.fallback_gap_days`` when there are none), so it is overdue when it has waited
    longer for its second purchase than a typical customer of the base waits between two.

    **Spend trend** (with `transactions`). Net spend in the recent window (the last
    ``T.trend_window_days`` days, `as_of` included) against the previous window of the
    same length: ``recent / previous - 1``. It counts only when the customer's tenure
    covers both windows (``t >= 2 * T.trend_window_days``), the previous spend is > 0 and
    the customer has at least ``T.min_trend_orders`` transaction rows in the two windows;
    otherwise ``spend_trend`` is NaN and the trend rules do not apply. A customer whose
    previous spend is <= 0 but recent spend > 0 (with enough orders) is growing. The
    windows take one pass over `transactions` (ids numbered once, sums by
    ``numpy.bincount``).

    **P(alive) switch.** A model's P(alive) (``p_alive``, e.g. from
    :func:`kamseg.clv.predict` with an MBG/NBD fit) knows the customer's rhythm too, and
    better, so when it is used it drives the churn call: it confirms or vetoes a churn by
    rhythm (vetoed customers, overdue but with ``p_alive >= T.decline_p_alive``, are
    declining), and a low ``p_alive`` makes a customer churned or declining whatever the
    rhythm. ``use_p_alive="auto"`` switches it on when the column exists, unless the
    table's ``attrs["kamseg_p_alive_informative"]`` is False (set by
    :func:`kamseg.clv.predict` when the model found no dropout, so its P(alive) cannot
    tell who left: then a warning says so and the rhythm decides); ``True`` requires it,
    ``False`` ignores it.

    **Validation.** On ``make_transactions(20000, seed=1)``, with its true dropouts
    (``truth.alive == False``, 39 % of the buyers), the defaults reach a precision of
    0.76 and a recall of 0.77 for churned (0.91 and 0.67 with the P(alive) of an MBG/NBD
    fit); churned or declining together catch 90 % of the dropouts.

    The reason names the first condition that matched, in the order of the table.

    **Fit and apply.** Only the base gap and the P(alive) switch come from the whole
    table; ``fit_lifecycle_stage(customers, ...).apply(customers, transactions=...,
    master=..., as_of=...)`` gives the same table (see :class:`LifecycleFit`).

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.lifecycle import lifecycle_stage
    >>> customers = pd.DataFrame(
    ...     {
    ...         "days_since_last": [412, 20, 250, 30, 45, 400, 150, 100],
    ...         "tenure_days": [1012, 50, 1050, 700, 300, 400, 150, 100],
    ...         "frequency": [6, 1, 8, 20, 4, 0, 0, 0],
    ...     },
    ...     index=pd.Index(list("abcdefgh"), name="customer_id"),
    ... )
    >>> out = lifecycle_stage(customers)
    >>> out[["usual_gap_days", "overdue_ratio", "lifecycle_stage"]].round(2)
                 usual_gap_days  overdue_ratio lifecycle_stage
    customer_id
    a                    100.00           4.12         churned
    b                     30.00           0.67             new
    c                    100.00           2.50       declining
    d                     33.50           0.90          mature
    e                     63.75           0.71         growing
    f                     63.75           6.27         churned
    g                     63.75           2.35       declining
    h                     63.75           1.57             new
    >>> for reason in out["lifecycle_reason"]:
    ...     print(reason)
    no purchase for 412 days, 4.1× the usual gap of 100 days (churned after 300 days)
    first purchase 50 days ago (under 90 days)
    no purchase for 250 days, 2.5× the usual gap of 100 days
    buying on rhythm: last purchase 30 days ago, usual gap 34 days
    repeat buyer, first purchase 300 days ago (under 365 days)
    single purchase 400 days ago, no second one (churned after 365 days; the base's usual \
gap is 64 days)
    single purchase 150 days ago, 2.4× the base's usual gap of 64 days
    single purchase 100 days ago, within 2× the base's usual gap of 64 days

    The single-purchase customers ``f``, ``g``, ``h`` get the base gap, the median of
    the repeat buyers' gaps (30, 33.5, 63.75, 100, 100). In Chinese:

    >>> print(lifecycle_stage(customers, labels="zh").loc["c", "lifecycle_reason"])
    已 250 天未购买，是平时购买间隔 100 天的 2.5 倍

    On the demo data, with the spend trend and the prospects of the customer master:

    >>> import kamseg
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
    >>> summary = kamseg.summarize(data.transactions, as_of=data.as_of)
    >>> staged = lifecycle_stage(summary, transactions=data.transactions, master=data.master)
    >>> staged["lifecycle_stage"].value_counts(sort=False).to_dict()
    {'potential': 30, 'new': 13, 'growing': 31, 'mature': 75, 'declining': 41, 'churned': 110}
    >>> trend = staged[staged["lifecycle_reason"].str.startswith("spend")]
    >>> for reason in trend["lifecycle_reason"].head(3):
    ...     print(reason)
    spend in the last 180 days up 123% on the 180 days before (2611 → 5819)
    spend in the last 180 days up 177% on the 180 days before (2095 → 5797)
    spend in the last 180 days up 171% on the 180 days before (1209 → 3281)
    """
    fit, inputs = _fit(
        customers,
        func="lifecycle_stage",
        transactions=transactions,
        thresholds=thresholds,
        use_p_alive=use_p_alive,
        master=master,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        dropna=dropna,
        returns=returns,
        days_since_last_col=days_since_last_col,
        tenure_col=tenure_col,
        frequency_col=frequency_col,
        p_alive_col=p_alive_col,
        as_of=as_of,
        labels=labels,
        action=action,
        overwrite=overwrite,
        outputs=True,
    )
    return _assemble(fit, customers, inputs)


# --------------------------------------------------------------------------------------
# fit once, apply anywhere
# --------------------------------------------------------------------------------------


def fit_lifecycle_stage(
    customers: pd.DataFrame,
    *,
    transactions: pd.DataFrame | PreparedTransactions | None = None,
    thresholds: LifecycleThresholds = DEFAULT_THRESHOLDS,
    use_p_alive: bool | Literal["auto"] = "auto",
    master: pd.DataFrame | pd.Series | pd.Index | Sequence[Any] | np.ndarray | None = None,
    customer_col: Hashable | None = None,
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    days_since_last_col: Hashable = "days_since_last",
    tenure_col: Hashable = "tenure_days",
    frequency_col: Hashable = "frequency",
    p_alive_col: Hashable = "p_alive",
    as_of: Any = None,
    labels: Language = "en",
    action: bool = False,
    overwrite: bool = False,
) -> LifecycleFit:
    """Learn from the customer base what :func:`lifecycle_stage` needs, for later use.

    The arguments are those of :func:`lifecycle_stage`, and checked the same way (the
    base is validated, but no column is written, so `overwrite` is only recorded).
    ``lifecycle_stage(customers, ...)`` is ``fit_lifecycle_stage(customers, ...).apply(
    customers, transactions=..., master=..., as_of=...)``.

    Two things are learned from the whole table; everything else is decided row by row:

    - the **base gap**: the median usual gap of the repeat buyers (``T.fallback_gap_days``
      when there are none), the usual gap of every single-purchase customer;
    - the **P(alive) switch**: ``use_p_alive="auto"`` resolves to on when `customers` has
      `p_alive_col`, off when it lacks it or its ``attrs["kamseg_p_alive_informative"]``
      is False (with the warning of :func:`lifecycle_stage`).

    Returns
    -------
    LifecycleFit
        The learned values and the options.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.lifecycle import fit_lifecycle_stage
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
    >>> summary = kamseg.summarize(data.transactions, as_of=data.as_of)
    >>> fit = fit_lifecycle_stage(summary, transactions=data.transactions)
    >>> round(fit.base_gap, 2), fit.n_repeat, fit.use_p_alive
    (37.91, 220, False)
    """
    return _fit(
        customers,
        func="fit_lifecycle_stage",
        transactions=transactions,
        thresholds=thresholds,
        use_p_alive=use_p_alive,
        master=master,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        dropna=dropna,
        returns=returns,
        days_since_last_col=days_since_last_col,
        tenure_col=tenure_col,
        frequency_col=frequency_col,
        p_alive_col=p_alive_col,
        as_of=as_of,
        labels=labels,
        action=action,
        overwrite=overwrite,
        outputs=False,
    )[0]


@state("lifecycle.LifecycleFit")
@dataclasses.dataclass(frozen=True)
class LifecycleFit:
    """What :func:`fit_lifecycle_stage` learned from a customer base, and the options.

    :meth:`apply` stages customers **row by row**: each output row depends only on that
    customer's row (and its own transactions) and on this fit, so staging a subset gives
    exactly the subset's rows of staging everyone, and staging the base gives what
    :func:`lifecycle_stage` gives.

    Attributes
    ----------
    base_gap : float
        The usual gap (days) of single-purchase customers: the median usual gap of the
        base's repeat buyers (the fallback gap when it had none).
    n_repeat : int
        Number of repeat buyers the base gap is the median of (0: the fallback gap).
    use_p_alive : bool
        Whether P(alive) drives the churn calls (the base's resolved ``use_p_alive``):
        when True, :meth:`apply` requires `p_alive_col`; when False, it ignores it.
    thresholds : dict
        The fields of the :class:`LifecycleThresholds` in use.
    as_of : Timestamp or None
        The day the base was staged at, for the record (the end of its spend windows, else
        the summary's ``attrs["as_of"]``); :meth:`apply` stages at the day of its own data.
    labels, action, overwrite, days_since_last_col, tenure_col, frequency_col, \
p_alive_col, customer_col, date_col, amount_col, dropna, returns
        The options of :func:`lifecycle_stage`.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.lifecycle import fit_lifecycle_stage
    >>> data = kamseg.datasets.make_transactions(n_customers=300, seed=1)
    >>> summary = kamseg.summarize(data.transactions, as_of=data.as_of)
    >>> fit = fit_lifecycle_stage(summary)
    >>> one = fit.apply(summary.iloc[[1]])  # a single-purchase customer: the base gap
    >>> one.equals(fit.apply(summary).iloc[[1]])
    True
    >>> one[["frequency", "usual_gap_days", "lifecycle_stage"]].round(2)
                 frequency  usual_gap_days lifecycle_stage
    customer_id
    2                  0.0           37.91             new
    """

    base_gap: float
    n_repeat: int
    use_p_alive: bool
    thresholds: dict[str, Any]
    as_of: pd.Timestamp | None = None
    labels: Language = "en"
    action: bool = False
    overwrite: bool = False
    days_since_last_col: Hashable = "days_since_last"
    tenure_col: Hashable = "tenure_days"
    frequency_col: Hashable = "frequency"
    p_alive_col: Hashable = "p_alive"
    customer_col: Hashable | None = None
    date_col: Hashable = "date"
    amount_col: Hashable = "amount"
    dropna: bool = False
    returns: str = "net"

    def apply(
        self,
        customers: pd.DataFrame,
        *,
        transactions: pd.DataFrame | PreparedTransactions | None = None,
        master: pd.DataFrame | pd.Series | pd.Index | Sequence[Any] | np.ndarray | None = None,
        as_of: Any = None,
    ) -> pd.DataFrame:
        """Stage `customers` with the learned base gap and P(alive) switch.

        Parameters
        ----------
        customers, transactions, master
            As in :func:`lifecycle_stage` (read with the fitted column names and options).
        as_of
            End of the recent spend window; default the day of these data (their
            ``attrs["as_of"]``, else the latest date in `transactions`), as in
            :func:`lifecycle_stage`: pass a later date to stage later data.

        Returns
        -------
        DataFrame
            As :func:`lifecycle_stage` returns it.

        Examples
        --------
        A new customer with a single purchase 200 days ago gets the base gap:

        >>> import pandas as pd
        >>> from kamseg.lifecycle import fit_lifecycle_stage
        >>> base = pd.DataFrame(
        ...     {"days_since_last": [412, 20], "tenure_days": [1012, 50], "frequency": [6, 1]},
        ...     index=pd.Index(["a", "b"], name="customer_id"),
        ... )
        >>> fit = fit_lifecycle_stage(base)
        >>> fit.base_gap  # the median of the gaps 100 and 30
        65.0
        >>> new = pd.DataFrame(
        ...     {"days_since_last": [200], "tenure_days": [200], "frequency": [0]},
        ...     index=pd.Index(["z"], name="customer_id"),
        ... )
        >>> print(fit.apply(new).loc["z", "lifecycle_reason"])
        single purchase 200 days ago, 3.1× the base's usual gap of 65 days
        """
        check_frame(customers, func=(func := "LifecycleFit.apply"), arg="customers")
        inputs = _read_inputs(
            customers,
            func=func,
            transactions=transactions,
            master=master,
            as_of=as_of,
            p_alive=self.use_p_alive,
            new_cols=_new_columns(self.action),
            overwrite=self.overwrite,
            stacklevel=4,
            window=int(self.thresholds["trend_window_days"]),
            **self._reading(),
        )
        return _assemble(self, customers, inputs)

    def _reading(self) -> dict[str, Any]:
        """The options of :func:`kamseg._lifecycle_fit.read_inputs` that the fit holds."""
        names = ["customer_col", "date_col", "amount_col", "dropna", "returns"]
        names += ["days_since_last_col", "tenure_col", "frequency_col", "p_alive_col"]
        return {name: getattr(self, name) for name in names}


def _new_columns(action: bool) -> list[str]:
    return [*LIFECYCLE_COLUMNS] + (["lifecycle_action"] if action else [])


def _fit(
    customers: pd.DataFrame,
    *,
    func: str,
    thresholds: LifecycleThresholds,
    use_p_alive: bool | str,
    as_of: Any,
    labels: Language,
    action: bool,
    overwrite: bool,
    outputs: bool,
    transactions: Any,
    master: Any,
    **reading: Any,
) -> tuple[LifecycleFit, _Inputs]:
    """The fit, and the inputs read from the base (`outputs`: check the output columns)."""
    check_frame(customers, func=func, arg="customers")
    lang = check_language(labels, func=func)
    if not isinstance(thresholds, LifecycleThresholds):
        raise ConfigError(
            f"{func}: `thresholds` must be a LifecycleThresholds; got "
            f"{type(thresholds).__name__}. Hint: LifecycleThresholds(new_days=60)."
        )
    day_of(as_of, func=func)
    if not (
        isinstance(use_p_alive, bool | np.bool_)
        or (isinstance(use_p_alive, str) and use_p_alive == "auto")
    ):
        raise ConfigError(
            f"{func}: `use_p_alive` must be 'auto', True or False; got {use_p_alive!r}."
        )
    if not isinstance(action, bool | np.bool_):
        raise ConfigError(f"{func}: `action` must be True or False; got {action!r}.")
    mode: bool | str = use_p_alive if isinstance(use_p_alive, str) else bool(use_p_alive)
    inputs = _read_inputs(
        customers,
        func=func,
        transactions=transactions,
        master=master,
        as_of=as_of,
        p_alive=mode,
        new_cols=_new_columns(bool(action)) if outputs else None,
        overwrite=overwrite,
        stacklevel=5,
        window=thresholds.trend_window_days,
        **reading,
    )
    learned = _learn(
        customers,
        inputs,
        func=func,
        thresholds=thresholds,
        mode=mode,
        p_alive_col=reading["p_alive_col"],
        stacklevel=5,
    )
    # the base's day, for the record: the end of its spend windows, else the summary's
    day: pd.Timestamp | None = None if inputs.prepared is None else inputs.prepared.as_of
    if day is None:
        with contextlib.suppress(ConfigError):  # attrs the summary did not set
            known = day_of(as_of if as_of is not None else customers.attrs.get("as_of"), func=func)
            day = None if known is None else pd.Timestamp(np.datetime64(known, "D"))
    fit = LifecycleFit(
        base_gap=learned.base_gap,
        n_repeat=learned.n_repeat,
        use_p_alive=learned.use_p_alive,
        thresholds=dataclasses.asdict(thresholds),
        as_of=day,
        labels=lang,
        action=bool(action),
        overwrite=bool(overwrite),
        **reading,
    )
    return fit, inputs


def _assemble(fit: LifecycleFit, customers: pd.DataFrame, inputs: _Inputs) -> pd.DataFrame:
    """The output table: `customers` (plus the appended prospects) with the stage columns."""
    lang = fit.labels
    stages = _stage_rows(
        inputs,
        thresholds=LifecycleThresholds(**fit.thresholds),
        base_gap=fit.base_gap,
        use_p_alive=fit.use_p_alive,
        en=lang == "en",
    )
    out = customers
    if inputs.new_ids is not None and len(inputs.new_ids):
        out = customers.reindex(
            customers.index.append(inputs.new_ids).rename(customers.index.name)
        )
    names = translate_all(LIFECYCLE_STAGES, labels=lang, table=LIFECYCLE_STAGE_LABELS)
    codes = stages.codes
    columns: dict[str, Any] = {
        "usual_gap_days": stages.gap,
        "overdue_ratio": stages.ratio,
        "spend_trend": stages.trend,
        "lifecycle_stage": pd.Categorical.from_codes(
            codes, categories=pd.Index(names), ordered=True
        ),
        "lifecycle_reason": stages.reason,
    }
    if fit.action:
        columns["lifecycle_action"] = action_column(
            _DIMENSION, LIFECYCLE_STAGES, codes, labels=lang
        )
    return out.assign(**columns)
