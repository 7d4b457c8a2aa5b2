"""The two halves of :func:`kamseg.lifecycle_stage`: what it learns from the customer base
(the base gap, the P(alive) switch) and the row-wise rules that apply them. Private to
:mod:`kamseg.lifecycle` (it imports nothing from it); :class:`kamseg.lifecycle.LifecycleFit`
holds what :func:`learn` returns and calls :func:`read_inputs` and :func:`stage_rows`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kamseg._lifecycle_reasons import POTENTIAL as _POTENTIAL
from kamseg._lifecycle_reasons import REASONS as _REASONS
from kamseg._lifecycle_reasons import VARIANT_STAGE as _VARIANT_STAGE
from kamseg._lifecycle_reasons import VARIANTS as _VARIANTS
from kamseg._lifecycle_reasons import reason_block as _reason_block
from kamseg._lifecycle_reasons import reason_fields as _reason_fields
from kamseg._lifecycle_reasons import reasons as _reasons
from kamseg._lifecycle_reasons import render as _render
from kamseg._tables import REASON_BLOCK
from kamseg._types import P_ALIVE_INFORMATIVE
from kamseg._validation import (
    as_of_day as day_of,
)
from kamseg._validation import (
    check_columns,
    check_no_overwrite,
    examples,
    match_master,
    to_float,
    warn,
)
from kamseg.errors import SchemaError
from kamseg.features import (
    WindowActivity,
    nonnegative_column,
    prepared_for,
    repeat_purchase_days,
    rhythm,
    table_activity,
    window_activity,
)
from kamseg.transactions import PreparedTransactions

__all__ = ["Inputs", "Learned", "Stages", "learn", "read_inputs", "stage_rows"]


@dataclasses.dataclass(frozen=True, eq=False, slots=True)
class Inputs:
    """The validated inputs of each customer row (arrays by row of `customers`)."""

    d: np.ndarray
    t: np.ndarray
    k: np.ndarray
    p_alive: np.ndarray | None
    in_master: np.ndarray
    new_ids: pd.Index | None
    prepared: PreparedTransactions | None
    positions: np.ndarray | None
    potential: np.ndarray
    bought: np.ndarray
    activity: WindowActivity | None = None


def read_inputs(
    customers: pd.DataFrame,
    *,
    func: str,
    transactions: Any,
    master: Any,
    as_of: Any,
    p_alive: bool | str,
    new_cols: Sequence[str] | None,
    overwrite: bool,
    customer_col: Hashable | None,
    date_col: Hashable,
    amount_col: Hashable,
    dropna: bool,
    returns: Any,
    days_since_last_col: Hashable,
    tenure_col: Hashable,
    frequency_col: Hashable,
    p_alive_col: Hashable,
    stacklevel: int,
    window: int | None = None,
) -> Inputs:
    """Check `customers` (and the side tables) and read the rule inputs of each row.

    `p_alive`: True requires `p_alive_col`, ``"auto"`` reads it when it exists, False
    ignores it. `new_cols`: the output columns to check against `overwrite` (None: no
    check). `stacklevel`: of the warnings given here, to point at the user's call.
    `window`: the trend window (days), to read the activity in it from the table's
    columns when an engine computed it (:func:`kamseg.features.table_activity`) and no
    `transactions` are given.
    """
    as_of_day = day_of(as_of, func=func)
    check_columns(
        customers,
        {
            "days_since_last_col": days_since_last_col,
            "tenure_col": tenure_col,
            "frequency_col": frequency_col,
        },
        func=func,
    )
    if p_alive is True:
        check_columns(customers, {"p_alive_col": p_alive_col}, func=func)
    with_p_alive = p_alive is True or (p_alive == "auto" and p_alive_col in customers.columns)
    if new_cols is not None:
        check_no_overwrite(customers, new_cols, func=func, overwrite=overwrite)

    n = len(customers)
    in_master = np.zeros(n, dtype=bool)
    new_ids: pd.Index | None = None
    if master is not None:
        if not customers.index.is_unique:
            raise SchemaError(
                f"{func}: the index of `customers` has duplicated ids, e.g. "
                f"{examples(customers.index[customers.index.duplicated()])}; the master is "
                "matched by id. Hint: aggregate to one row per customer first."
            )
        in_master, new_ids = match_master(customers, master, func=func)

    prepared = None
    if transactions is not None:
        summary_day = customers.attrs.get("as_of")
        summary_day = None if summary_day is None else day_of(summary_day, func=func)
        if as_of_day is not None and summary_day is not None and as_of_day != summary_day:
            warn(
                f"{func}: the spend windows end on as_of {np.datetime64(as_of_day, 'D')}, but "
                f"`customers` was summarised on {np.datetime64(summary_day, 'D')}; its day "
                "counts refer to that date. Hint: pass the as_of of the summary.",
                stacklevel=stacklevel,
            )
        if not customers.index.is_unique:
            raise SchemaError(
                f"{func}: the index of `customers` has duplicated ids, e.g. "
                f"{examples(customers.index[customers.index.duplicated()])}; transactions "
                "are matched by id. Hint: aggregate to one row per customer first."
            )
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
            stacklevel=stacklevel + 4,
        )
    d = nonnegative_column(customers, days_since_last_col, func=func)
    t = nonnegative_column(customers, tenure_col, func=func)
    positions = None if prepared is None else prepared.positions(customers.index, func=func)
    k = repeat_purchase_days(
        customers,
        transactions=prepared,
        frequency_col=frequency_col,
        func=func,
        positions=positions,
    )
    null = np.isnan(d) | np.isnan(t) | np.isnan(k)
    potential = np.isnan(d) & np.isnan(t) & np.isnan(k) & in_master
    bad = null & ~potential
    if bad.any():
        raise SchemaError(
            f"{func}: {int(bad.sum())} customer(s) have null values in "
            f"{days_since_last_col!r}, {tenure_col!r} or {frequency_col!r}; examples at index "
            f"{examples(customers.index[bad])}. Hint: fill them, or pass `master` when they "
            "are prospects without purchases."
        )
    bought = ~potential
    inverted = bought & (d > t)
    if inverted.any():
        raise SchemaError(
            f"{func}: {int(inverted.sum())} customer(s) have {days_since_last_col!r} greater than "
            f"{tenure_col!r} (last purchase before the first); examples at index "
            f"{examples(customers.index[inverted])}. Hint: check the column arguments."
        )

    p = None
    if with_p_alive:
        p = to_float(customers[p_alive_col], func=func, col=str(p_alive_col))
        bad_p = bought & ~((p >= 0) & (p <= 1))
        if bad_p.any():
            raise SchemaError(
                f"{func}: {int(bad_p.sum())} value(s) of column {p_alive_col!r} are null or "
                f"outside [0, 1]; examples: {examples(p[bad_p])}. Hint: pass "
                "use_p_alive=False to ignore the column."
            )
    return Inputs(
        d=d,
        t=t,
        k=k,
        p_alive=p,
        in_master=in_master,
        new_ids=new_ids,
        prepared=prepared,
        positions=positions,
        potential=potential,
        bought=bought,
        activity=None
        if prepared is not None or window is None
        else table_activity(customers, window),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Learned:
    """What the base teaches: its base gap (and how many repeat buyers it is the median
    of), and whether P(alive) is used."""

    base_gap: float
    n_repeat: int
    use_p_alive: bool


def _rhythm(x: Inputs, thresholds: Any, base_gap: float | None) -> tuple[Any, np.ndarray]:
    """The rhythm of the rows (:func:`kamseg.features.rhythm`) and their churn limits."""
    th, bought = thresholds, x.bought
    rhy = rhythm(
        np.where(bought, x.d, np.nan),
        np.where(bought, x.t, np.nan),
        np.where(bought, x.k, np.nan),
        fallback_gap_days=th.fallback_gap_days,
        base_gap=base_gap,
    )
    single = bought & ~(x.k > 0)
    floor = np.where(single, th.min_churn_days_single, th.min_churn_days)
    limit = np.maximum(th.churn_multiple * rhy.usual_gap_days, floor)
    if th.max_churn_days is not None:
        limit = np.minimum(limit, th.max_churn_days)
    return rhy, limit


def learn(
    customers: pd.DataFrame,
    x: Inputs,
    *,
    func: str,
    thresholds: Any,
    mode: bool | str,
    p_alive_col: Hashable,
    stacklevel: int,
) -> Learned:
    """The base gap of the base `customers` (the median usual gap of its repeat buyers, or
    the fallback gap) and the P(alive) switch: on when P(alive) was read, unless ``"auto"``
    meets a table whose model found no dropout (then a warning counts the customers whom
    the rhythm alone churns)."""
    rhy, limit = _rhythm(x, thresholds, None)
    n_repeat = int(np.count_nonzero(x.bought & (x.k > 0) & ~np.isnan(rhy.usual_gap_days)))
    use = x.p_alive is not None
    if use and mode == "auto" and customers.attrs.get(P_ALIVE_INFORMATIVE) is False:
        # the model found no dropout (kamseg.clv.predict says so in attrs): its P(alive)
        # tells nobody apart and must not veto the churn calls by rhythm
        by_rhythm = x.bought & (x.d > limit)
        warn(
            f"{func}: P(alive) not used: the purchase model behind {p_alive_col!r} found no "
            f"dropout in these data, so it cannot tell who left ({int(by_rhythm.sum())} "
            "customer(s) overdue by their rhythm are churned by rhythm alone). Hint: "
            "use_p_alive=True to use it anyway.",
            stacklevel=stacklevel,
        )
        use = False
    return Learned(rhy.base_gap, n_repeat, use)


@dataclasses.dataclass(frozen=True, eq=False, slots=True)
class Stages:
    """The output arrays of the rows (customer rows, then appended prospects)."""

    gap: np.ndarray
    ratio: np.ndarray
    trend: np.ndarray
    codes: np.ndarray
    reason: Any


def stage_rows(
    x: Inputs,
    *,
    thresholds: Any,
    base_gap: float,
    use_p_alive: bool,
    en: bool,
) -> Stages:
    """The rules, first match wins, for each row on its own (with the frozen `base_gap`
    and P(alive) switch); see :func:`kamseg.lifecycle_stage` for the rule table."""
    th = thresholds
    d, t, k, bought, potential = x.d, x.t, x.k, x.bought, x.potential
    n = len(d)
    p_alive = x.p_alive if use_p_alive and x.p_alive is not None else np.full(n, np.nan)

    # --- rhythm (kamseg.features.rhythm, the one definition) -------------------------------
    rhy, limit = _rhythm(x, th, base_gap)
    gap, ratio = rhy.usual_gap_days, rhy.overdue_ratio
    repeat = bought & (k > 0)
    single = bought & ~repeat

    # --- spend trend (kamseg.features: one eligibility rule) -------------------------------
    trend = np.full(n, np.nan)
    recent = previous = np.zeros(n)
    restart = np.zeros(n, dtype=bool)
    activity = x.activity
    if x.prepared is not None:
        assert x.positions is not None
        activity = window_activity(x.prepared, x.positions, n, window=th.trend_window_days)
    if activity is not None:
        recent, previous = activity.spend_recent, activity.spend_previous
        trend = np.where(bought, activity.spend_trend(th.min_trend_orders), np.nan)
        restart = bought & activity.restarted(th.min_trend_orders)

    # --- rules, first match wins ---------------------------------------------------------
    by_rhythm = bought & (d > limit)
    low_p = np.zeros(n, dtype=bool)
    very_low_p = np.zeros(n, dtype=bool)
    if use_p_alive:
        low_p = bought & (p_alive < th.decline_p_alive)
        very_low_p = bought & (p_alive < th.churn_p_alive)
        by_rhythm &= low_p  # the model confirms a churn by rhythm, or vetoes it
    overdue = bought & (ratio > th.decline_multiple)
    with np.errstate(invalid="ignore"):
        falling = trend < -th.decline_drop
        rising = trend > th.growth
    conditions: list[tuple[str, np.ndarray]] = [
        ("potential", potential),
        ("churned_gap", repeat & by_rhythm),
        ("churned_single", single & by_rhythm),
        ("churned_p_alive", very_low_p),
        ("new", bought & (t < th.new_days)),
        ("declining_gap", repeat & overdue),
        ("declining_single", single & overdue),
        ("declining_trend", falling),
        ("declining_p_alive", low_p),
        ("new_single", single),
        ("growing_trend", rising),
        ("growing_restart", restart),
        ("growing_young", repeat & (t < th.growing_days)),
        ("mature_trend", bought & ~np.isnan(trend)),
        ("mature", bought),
    ]
    variant = np.full(n, -1, dtype=np.int64)
    for name, mask in conditions:
        variant[(variant < 0) & mask] = _VARIANTS.index(name)
    # every row is potential or bought, and "mature" takes every bought row left
    stage_of_variant = np.array([_VARIANT_STAGE[v] for v in _VARIANTS], dtype=np.int8)
    codes = stage_of_variant[variant]

    # --- appended prospects ----------------------------------------------------------------
    m = 0 if x.new_ids is None else len(x.new_ids)
    if m:
        pad = np.full(m, np.nan)
        gap, ratio, trend = (np.concatenate((v, pad)) for v in (gap, ratio, trend))
        variant = np.concatenate((variant, np.full(m, _VARIANTS.index("potential"))))
        codes = np.concatenate((codes, np.full(m, _POTENTIAL, dtype=np.int8)))

    # --- reasons -----------------------------------------------------------------------------
    # in blocks of customers: the texts of one block are built (with their copies) while
    # the earlier blocks' are done (memory: at 10M customers 1.3 GB of texts)
    blocks = []
    for start in range(0, max(n + m, 1), REASON_BLOCK):
        stop = min(start + REASON_BLOCK, n + m)
        pieces: list[tuple[np.ndarray, Any]] = []
        for vi, name in enumerate(_VARIANTS):
            rows = np.flatnonzero(variant[start:stop] == vi) + start
            if rows.size:
                fields = _reason_fields(
                    rows,
                    name=name,
                    d=d,
                    t=t,
                    gap=gap,
                    ratio=ratio,
                    limit=limit,
                    p_alive=p_alive if use_p_alive else None,
                    trend=trend,
                    recent=recent,
                    previous=previous,
                    thresholds=th,
                    en=en,
                )
                text = _render(_REASONS[name][0 if en else 1], fields, rows.size)
                pieces.append((rows - start, text))
        blocks.append(_reason_block(pieces, stop - start))
    reason = _reasons(blocks)
    del blocks

    gap[codes == _POTENTIAL] = np.nan
    ratio[codes == _POTENTIAL] = np.nan
    return Stages(gap=gap, ratio=ratio, trend=trend, codes=codes, reason=reason)
