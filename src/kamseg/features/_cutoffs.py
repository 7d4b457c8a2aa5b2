"""The churn features of every customer at one cut-off day, or at many in one call.

A cut-off is a day: the features of a customer at a cut-off come from its transactions on or
before that day only (:meth:`~kamseg.transactions.PreparedTransactions.until`), so they are
the same whether or not later transactions exist. Each feature is a measure defined once
elsewhere in kamseg: the daily customer table (:func:`kamseg.summarize`), the overdue ratio
(:func:`~kamseg.features.rhythm`) and the spend in two trailing windows
(:func:`~kamseg.features.window_activity`). :mod:`kamseg.churn` learns from them.

Many cut-offs are computed in one pass over the history (:class:`CutoffHistory`), not by
rebuilding the customer table at each: the purchase days are found once and sorted by
(customer, day), so a cut-off's counts, first and last purchase days are read with
:func:`numpy.searchsorted` and cumulative counts, and its sums are masked
:func:`numpy.bincount` passes over each customer's rows in input order, the order in which
the customer table adds them, in blocks of customers of about :data:`BLOCK_ROWS` rows (so
the memory of a pass stays small), and only for the customers asked for (a training sample
reads its own rows); most of the customers at one cut-off are summed in one pass over the
rows in input order instead (no gathering of each customer's rows: half the time). A churn
model's training reads the customers, labels and base gaps of all its cut-offs from one
more pass over the pairs (:func:`cutoff_labels`). The values
are exactly those of :func:`kamseg.summarize`, the rhythm and the window activity at each
cut-off (checked bit for bit against the former per-cut-off build, with returns and order
ids, sorted and shuffled rows).
"""

from __future__ import annotations

import collections
import functools
import itertools
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from kamseg import _threads
from kamseg._pairs import NET_TOLERANCE, narrow_int, placed_orders, purchase_periods, stable_order
from kamseg._validation import as_of_day
from kamseg.errors import ConfigError, EmptyInputError
from kamseg.features._rhythm import FALLBACK_GAP_DAYS, rhythm
from kamseg.transactions import PreparedTransactions

__all__ = [
    "CHURN_FEATURES",
    "SPEND_WINDOW_DAYS",
    "base_statistics",
    "features_at",
    "features_at_cutoffs",
]

_R = TypeVar("_R")

#: The churn features, in column order (all float64).
CHURN_FEATURES: tuple[str, ...] = (
    "days_since_last",
    "n_orders",
    "revenue",
    "avg_order_value",
    "tenure_days",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "overdue_ratio",
    "spend_90d",
    "spend_180d",
    "spend_ratio_90_180",
)

#: Length of the recent spend window of the churn features (``spend_90d``), in days; the
#: ``spend_180d`` window is twice as long.
SPEND_WINDOW_DAYS = 90

_SUMMARY_FEATURES = CHURN_FEATURES[:9]

#: A cut-off day, or one for each customer of an array of customer codes.
Day = int | np.ndarray

#: The history of each prepared table in use (see :func:`cutoff_history`).
_HISTORIES: weakref.WeakKeyDictionary[PreparedTransactions, CutoffHistory] = (
    weakref.WeakKeyDictionary()
)


def _check_prepared(prepared: object, *, func: str) -> PreparedTransactions:
    if not isinstance(prepared, PreparedTransactions):
        raise TypeError(
            f"{func}: `prepared` must be PreparedTransactions, got {type(prepared).__name__}. "
            "Hint: prepare the table with kamseg.prepare_transactions."
        )
    return prepared


def _cutoff_day(value: Any, prepared: PreparedTransactions, *, func: str) -> int:
    """Day number of a cut-off: a day number as is, a date parsed; None: the `as_of`."""
    if value is None:
        return prepared.as_of_day
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        day = int(value)
    else:
        try:
            parsed = as_of_day(value, func=func)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace("`as_of`", "the cut-off")) from exc
        assert parsed is not None  # value is not None
        day = parsed
    if day > prepared.as_of_day:
        raise ConfigError(
            f"{func}: the cut-off {np.datetime64(day, 'D')} is after the as_of of the "
            f"transactions ({prepared.as_of.date()}), whose later rows were excluded. Hint: "
            "prepare the transactions with a later as_of."
        )
    return day


def _id_rank(prepared: PreparedTransactions) -> np.ndarray:
    """Rank of each customer code in id order (code order when ids cannot be sorted)."""
    try:
        order = prepared.ids.argsort()
    except TypeError:
        return np.arange(len(prepared.ids), dtype=np.int64)
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size, dtype=np.int64)
    return rank


def _by_id(prepared: PreparedTransactions) -> np.ndarray:
    """The customer codes in id order."""
    return np.argsort(_id_rank(prepared), kind="stable")


class CutoffHistory:
    """What every cut-off reads, computed once from the whole history.

    The purchase days are the (customer, day) pairs of :func:`~kamseg.transactions.\
purchase_periods`, sorted once: whether a day is a purchase (returns that bring it to a net
    <= 0 cancel it) depends on that day's rows only, all on the same side of any cut-off, so
    the pairs of a customer on or before a cut-off are a prefix of its block, found by
    :func:`numpy.searchsorted`, and their counts, first and last days are read from
    cumulative arrays. The sums of amounts up to a cut-off (revenue, spend in the windows,
    repeat spend) are masked :func:`numpy.bincount` passes over each customer's rows in
    input order (:meth:`rows_of`): added in the order of the customer table's own sums, so
    the values are exactly those of
    :func:`kamseg.summarize` and :func:`~kamseg.features.window_activity`.
    """

    def __init__(self, prepared: PreparedTransactions) -> None:
        # a weak reference: the cache of histories (cutoff_history) is keyed weakly by
        # the prepared table, which a strong reference here would keep alive for ever
        self._prepared = weakref.ref(prepared)
        self.n = n = len(prepared.ids)
        code, day, amount = prepared.code, prepared.day, prepared.amount
        self.empty = day.size == 0
        self.first_row_day = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(self.first_row_day, code, day)
        self.dmin = int(day.min()) if day.size else 0
        self.span = (int(day.max()) - self.dmin + 2) if day.size else 2
        negative = amount < 0
        # the day of the first return: before it, the customer table sums rows, not days
        self.first_return_day = int(day[negative].min()) if negative.any() else None
        # the (customer, day) pairs, from one sort of their keys packed with the rows'
        # positions (purchase_periods)
        d_code, d_day, d_net, d_buy = purchase_periods(code, day, amount)
        # positions and days held as int32 where they fit (half the memory, same values)
        self.d_day = narrow_int(d_day)
        self.d_key = d_code * self.span + (d_day - self.dmin)
        self.d_start = np.searchsorted(d_code, np.arange(n), side="left")
        self.d_bounds = np.append(self.d_start, d_code.size)  # customer c: [c], [c + 1]
        self.d_end = self.d_bounds[1:]
        del d_code, d_day  # the pairs' customers are the ranges of d_bounds
        # rows grouped by customer (see rows_of), built on first use
        self._row_order: np.ndarray | None = None
        self._row_start: np.ndarray | None = None
        self.d_buys = narrow_int(np.concatenate(([0], np.cumsum(d_buy))))
        idx = np.arange(d_buy.size, dtype=np.int64)
        # the latest purchase pair at or before each pair (-1: none), the earliest at or
        # after it (size: none)
        self.buy_before = narrow_int(
            np.maximum.accumulate(np.where(d_buy, idx, -1)) if idx.size else idx
        )
        after = np.where(d_buy, idx, d_buy.size)[::-1]
        self.buy_after = narrow_int(
            np.append(np.minimum.accumulate(after)[::-1] if idx.size else idx, d_buy.size)
        )
        del idx, after
        # the net of the purchase days after each customer's first one (the repeat spend
        # with returns)
        first_buy = np.zeros(d_buy.size, dtype=bool)
        firsts = self.buy_after[self.d_start]
        first_buy[firsts[firsts < d_buy.size]] = True
        self.d_repeat = np.where(d_buy & ~first_buy, d_net, 0.0)
        # what every cut-off's base gap reads of each customer: its purchase days before
        # its first pair (none) and its first purchase day (0: none)
        self.buys_before = self.d_buys[self.d_start]
        self.first_buy_day = np.zeros(n, dtype=self.d_day.dtype)
        bought = firsts < d_buy.size
        self.first_buy_day[bought] = self.d_day[firsts[bought]]
        self.customers = np.arange(n, dtype=np.int64)
        self.by_id = _by_id(prepared)
        self._first_by_id = self.first_row_day[self.by_id]  # read by every customers_at
        self._ahead: dict[
            Hashable, _threads.Prefetched[Any]
        ] = {}  # results computed ahead (ahead)

    @property
    def prepared(self) -> PreparedTransactions:
        """The prepared transactions of this history (alive while it is used)."""
        prepared = self._prepared()
        if prepared is None:  # pragma: no cover - the callers hold the prepared table
            raise RuntimeError("the prepared transactions of this history are gone")
        return prepared

    def ahead(self, makes: dict[Hashable, Callable[[], Any]]) -> None:
        """Compute each of `makes` ahead, one after the other in a thread of its own
        (:class:`~kamseg._threads.Prefetched`), for the :meth:`taken` of its key that will
        ask for it: pure functions of this history that say nothing."""
        keys = list(makes)
        computed = _threads.Prefetched(
            lambda: {key: makes[key]() for key in keys},
            background=self.prepared.n_rows >= _threads.BACKGROUND_MIN_ROWS,
        )
        for key in keys:
            self._ahead[key] = computed

    def taken(self, key: Hashable, make: Callable[[], _R]) -> _R:
        """What :meth:`ahead` computes for `key` (once: then forgotten), else `make()`."""
        found = self._ahead.pop(key, None)
        return make() if found is None else found.result().pop(key)

    def features_makes(
        self, *at: tuple[int, float | None, bool | None]
    ) -> dict[Hashable, Callable[[], Any]]:
        """The keys and computations of :meth:`features` at each ``(day, base_gap,
        sum_by_day)`` of `at`, for :meth:`ahead`."""
        return {
            ("features", *options): functools.partial(_features_now, self, *options)
            for options in at
        }

    def check(self, day: int, *, func: str) -> None:
        """Raise EmptyInputError if no row is dated on or before `day`."""
        if self.empty or self.dmin > day:
            raise EmptyInputError(
                f"{func}: no transaction on or before {np.datetime64(day, 'D')}. Hint: "
                "choose a later cut-off."
            )

    def customers_at(self, day: int) -> np.ndarray:
        """The codes of the customers with a row on or before `day`, in id order."""
        return np.asarray(self.by_id[self._first_by_id <= day])

    def features(
        self,
        day: int,
        *,
        func: str,
        base_gap: float | None = None,
        sum_by_day: bool | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The customers of :meth:`customers_at` and their features at `day` (the
        :data:`CHURN_FEATURES`, float64 arrays); `base_gap` and `sum_by_day` as in
        :func:`features_at`. A training sample's rows: :func:`rows_features`."""
        return _arrays(self, day, func=func, base_gap=base_gap, sum_by_day=sum_by_day)

    def rows_of(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows of the customers `codes`, grouped by customer in the order of `codes`
        and in input order within each, and the position in `codes` of each row's
        customer. A sum over them in this order adds each customer's rows in the order of
        a sum over all rows, so it gives the same bits."""
        order, start = self._rows()
        picked = _ranges(start[codes], start[codes + 1])
        return order[picked], _owners(start, codes)

    def row_counts(self, codes: np.ndarray) -> np.ndarray:
        """The number of rows of each customer of `codes`."""
        start = self._rows()[1]
        return np.asarray(start[codes + 1] - start[codes])

    def _rows(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows grouped by customer (a stable sort of the codes) and where each
        customer's rows start in it (built on first use)."""
        if self._row_order is None or self._row_start is None:
            code = self.prepared.code
            self._row_order = narrow_int(stable_order(code, self.n))
            counts = np.bincount(code, minlength=self.n)
            self._row_start = np.concatenate(([0], np.cumsum(counts)))
        return self._row_order, self._row_start

    def pairs_of(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The purchase-day pairs of the customers `codes` (in pair order, grouped as
        `codes`), and the position in `codes` of each pair's customer."""
        return _ranges(self.d_start[codes], self.d_end[codes]), _owners(self.d_bounds, codes)

    def repeat_days(self, positions: np.ndarray, n: int) -> np.ndarray:
        """:func:`kamseg.features.repeat_days` from the sorted pairs, with the same values:
        each customer's purchase days are the count of its purchase pairs (every pair is
        dated on or before the table's `as_of`). `positions`: the output row of each
        customer code (-1: none)."""
        buys = self.d_buys[self.d_end] - self.d_buys[self.d_start]
        out = np.full(n, np.nan)
        keep = (positions >= 0) & (self.d_end > self.d_start)  # a row, bought or not
        out[positions[keep]] = np.maximum(buys[keep] - 1.0, 0.0)
        return out

    def pairs_until(self, day: Day, codes: np.ndarray | None = None) -> np.ndarray:
        """End (exclusive) of each customer's purchase-day pairs dated on or before `day`:
        of every customer, or of the customers `codes` (a search for each of them only;
        `day` may then be a day for each)."""
        offset = np.clip(np.asarray(day) - self.dmin, -1, self.span - 1)
        keys = (self.customers if codes is None else codes) * self.span + offset
        return np.asarray(np.searchsorted(self.d_key, keys, side="right"))


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The positions ``starts[i] .. ends[i] - 1`` for each i, concatenated."""
    lengths = ends - starts
    total = int(lengths.sum())
    shift = starts - np.concatenate(([0], np.cumsum(lengths)[:-1]))
    return np.repeat(shift, lengths) + np.arange(total, dtype=np.int64)


def _owners(bounds: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """For the items of customers `codes` (item ranges ``bounds[c] .. bounds[c + 1]``,
    concatenated in the order of `codes`), the position in `codes` of each item's owner."""
    lengths = bounds[codes + 1] - bounds[codes]
    return np.repeat(np.arange(codes.size, dtype=np.int64), lengths)


def cutoff_history(prepared: PreparedTransactions) -> CutoffHistory:
    """The :class:`CutoffHistory` of `prepared`, built once while `prepared` is alive.

    A job scores the cut-offs of the churn model, then the customers at `as_of`, from the
    same prepared transactions: the sort of the purchase days is done once. The history
    is only read, so sharing it is safe; it is dropped with `prepared` (a weak key).
    """
    hist = _HISTORIES.get(prepared)
    if hist is None:
        hist = _HISTORIES[prepared] = CutoffHistory(prepared)
    return hist


def whole_history(prepared: PreparedTransactions) -> CutoffHistory:
    """A new :class:`CutoffHistory` of `prepared` with its rows grouped by customer (what
    the churn step reads of it, built at once), for :func:`adopt_history`: numpy work
    that says nothing, which a job runs in a thread of its own while the steps before
    the classes run (:class:`kamseg._threads.Prefetched`)."""
    hist = CutoffHistory(prepared)
    hist._rows()
    return hist


def adopt_history(prepared: PreparedTransactions, hist: CutoffHistory) -> CutoffHistory:
    """The history :func:`cutoff_history` gives for `prepared` from now on: `hist` (built
    by :func:`whole_history`), unless one is built already."""
    if hist.prepared is not prepared:
        raise ValueError("adopt_history: the history of other transactions")
    return _HISTORIES.setdefault(prepared, hist)


def built_history(prepared: PreparedTransactions) -> CutoffHistory | None:
    """The :class:`CutoffHistory` of `prepared` if :func:`cutoff_history` has built it
    (a job with a churn step builds it before the classes, which read their purchase days
    from it), else None: nothing is built here."""
    return _HISTORIES.get(prepared)


def _purchase_days(
    hist: CutoffHistory, day: Day, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first and last purchase day and the repeat purchase days (frequency, float64) of
    the customers `codes` at `day` (one day, or one for each)."""
    d_lo = hist.d_start[codes]
    # a few customers: a search for each; many: the searches of every customer, in code
    # order (sorted keys: each search starts from the last one's bounds), then picked
    few = 4 * codes.size < hist.n or np.ndim(day) > 0
    d_hi = hist.pairs_until(day, codes) if few else hist.pairs_until(day)[codes]
    n_days = hist.d_buys[d_hi] - hist.d_buys[d_lo]
    bought = n_days > 0
    first_buy = np.where(bought, hist.buy_after[d_lo], 0)
    last_buy = np.where(bought, hist.buy_before[np.maximum(d_hi - 1, 0)], 0)
    first_day = np.where(bought, hist.d_day[first_buy], hist.first_row_day[codes])
    last_day = np.where(bought, hist.d_day[last_buy], first_day)
    return first_day, last_day, np.maximum(n_days - 1, 0).astype(np.float64)


def _base_gap(hist: CutoffHistory, day: int, d_hi: np.ndarray | None = None) -> float:
    """The base gap of the overdue ratio at `day`: the median usual gap of the repeat
    buyers among the customers with a row on or before `day` (:func:`~kamseg.features.\
rhythm`), from their purchase days alone.

    A repeat buyer has two or more purchase days by `day` (a customer without a row by
    then has none), and its usual gap is ``max((last - first) / (days - 1), 1)``: the
    operations and values of :func:`rhythm`'s ``(tenure - days since last) / frequency``,
    whose difference of whole days is exact. The customers are read in code order, not id
    order (a median does not depend on the order of its values), so the number is the one
    the features of every customer use. Only each customer's last pair and count of days
    are found for every customer (at 1M customers 125 ms a cut-off, against 170 ms for the
    features' own columns). `d_hi`: :meth:`CutoffHistory.pairs_until` of `day`, when the
    caller has it.
    """
    if d_hi is None:
        d_hi = hist.pairs_until(day)
    n_days = hist.d_buys[d_hi] - hist.buys_before
    repeat = np.flatnonzero(n_days > 1)
    if repeat.size == 0:
        return FALLBACK_GAP_DAYS
    first = hist.first_buy_day[repeat].astype(np.float64)
    last = hist.d_day[hist.buy_before[d_hi[repeat] - 1]].astype(np.float64)
    gap = np.maximum((last - first) / (n_days[repeat] - 1).astype(np.float64), 1.0)
    return float(np.median(gap))


def _ends_by_day(hist: CutoffHistory, days: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """:meth:`CutoffHistory.pairs_until` of every customer at each of `days` (ascending,
    distinct), in that order, from one pass over the pairs: each pair is put in the bucket
    of the first day on or after it (a radix pass groups the buckets), and a day's ends
    are the last day's plus a count of its bucket's pairs by customer."""
    offsets = np.clip(days - hist.dmin, -1, hist.span - 1)
    owner = np.repeat(narrow_int(hist.customers), hist.d_end - hist.d_start)
    bucket = narrow_int(np.searchsorted(offsets, hist.d_day - hist.dmin, side="left"))
    cuts = np.concatenate(([0], np.cumsum(np.bincount(bucket, minlength=days.size + 1))))
    owner = owner[stable_order(bucket, days.size + 1)]
    del bucket
    ends = hist.d_start
    for j, day in enumerate(days.tolist()):
        ends = ends + np.bincount(owner[cuts[j] : cuts[j + 1]], minlength=hist.n)
        yield day, ends


def cutoff_labels(
    hist: CutoffHistory, days: Sequence[int], window: int, *, func: str
) -> tuple[list[np.ndarray], list[np.ndarray], list[float]]:
    """What a churn model's training reads of every customer at each cut-off of `days`:
    the customers with a row on or before it (codes in id order, :meth:`CutoffHistory.\
customers_at`), whether each churned (no row in the `window` days after it) and the base
    gap there (:func:`_base_gap`).

    Every cut-off and window end is read from one pass over the purchase-day pairs
    (:func:`_ends_by_day`), in day order; a cut-off's ends are held until its window's end
    is reached. A customer churned at a cut-off when its pairs dated on or before it are
    all its pairs dated on or before the window's end: a pair is a day with a row, so that
    is "no row in the window", read without a pass over the rows (the labels of
    :func:`~kamseg._churn_eval.labels_at`).
    """
    for day in days:
        hist.check(day, func=func)
    cutoffs = set(days)
    closing: dict[int, list[int]] = collections.defaultdict(list)  # window end: cut-offs
    for day in cutoffs:
        closing[day + window].append(day)
    wanted = np.array(sorted(cutoffs | set(closing)), dtype=np.int64)
    held: dict[int, np.ndarray] = {}
    at: dict[int, tuple[np.ndarray, np.ndarray, float]] = {}  # codes, labels, base gap
    for day, ends in _ends_by_day(hist, wanted):
        if day in cutoffs:
            held[day] = ends
        for cutoff in closing.get(day, []):
            codes, before = hist.customers_at(cutoff), held.pop(cutoff)
            churned = np.asarray(ends[codes] == before[codes])
            at[cutoff] = codes, churned, _base_gap(hist, cutoff, before)
    return [at[day][0] for day in days], [at[day][1] for day in days], [at[day][2] for day in days]


def _arrays(
    hist: CutoffHistory,
    day: int,
    *,
    func: str,
    base_gap: float | None = None,
    sum_by_day: bool | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Customer codes with a row on or before `day`, in id order, and their features
    (computed ahead, if :meth:`CutoffHistory.ahead` did)."""
    hist.check(day, func=func)
    make = functools.partial(_features_now, hist, day, base_gap, sum_by_day)
    return hist.taken(("features", day, base_gap, sum_by_day), make)


def _features_now(
    hist: CutoffHistory, day: int, base_gap: float | None, sum_by_day: bool | None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """:func:`_arrays`, computed (`day` checked)."""
    codes = hist.customers_at(day)
    return codes, _features_of(hist, codes, day, base_gap, sum_by_day)


def rows_features(
    hist: CutoffHistory, codes: np.ndarray, days: np.ndarray, base_gaps: np.ndarray
) -> dict[str, np.ndarray]:
    """The features of customer `codes[i]` at cut-off `days[i]` for each i, with the base
    gap `base_gaps[i]`, in one pass over their rows (a customer may come at several
    cut-offs): the values of :meth:`CutoffHistory.features` at each cut-off, to the bit.
    Each cut-off must have a row on or before it (:func:`cutoff_labels` checks)."""
    return _features_of(hist, codes, days, base_gaps, None)


def _features_of(
    hist: CutoffHistory,
    codes: np.ndarray,
    day: Day,
    base_gap: float | np.ndarray | None,
    sum_by_day: bool | None,
) -> dict[str, np.ndarray]:
    """The features of the customers `codes` at `day` (one day, or one for each, with a
    base gap for each)."""
    # the purchase days up to `day`: how many, the first and the last (the base gap of the
    # overdue ratio is a median over all the customers, unless given)
    first_day, last_day, frequency = _purchase_days(hist, day, codes)
    days_since_last = (day - last_day).astype(np.float64)
    tenure_days = (day - first_day).astype(np.float64)
    if isinstance(base_gap, np.ndarray):  # the rows of each base gap (cut-off) in turn
        overdue_ratio = np.empty(codes.size)
        for gap in np.unique(base_gap).tolist():
            at = base_gap == gap
            overdue_ratio[at] = rhythm(
                days_since_last[at], tenure_days[at], frequency[at], base_gap=gap
            ).overdue_ratio
    else:
        overdue_ratio = rhythm(
            days_since_last, tenure_days, frequency, base_gap=base_gap
        ).overdue_ratio

    # the sums: many customers at one day, in one pass over the rows in input order;
    # else over the rows of `codes` in blocks of customers (each customer's rows in input
    # order, so the same bits as a sum over every row; a block bounds the memory)
    sums: _Sums | None = None
    if np.ndim(day) == 0 and 4 * codes.size >= hist.n:
        sums = _input_order_sums(hist, int(day), codes, sum_by_day)
    if sums is None:
        parts = [
            _row_sums(hist, day if np.ndim(day) == 0 else day[b], codes[b], sum_by_day)  # type: ignore[index]
            for b in _blocks(hist, codes)
        ]
        joined = [
            np.concatenate([p[i] for p in parts]) if parts else np.empty(0) for i in range(5)
        ]
        sums = (joined[0], joined[1], joined[2], joined[3], joined[4])
    revenue, n_orders, s90, s_before, repeat_amount = sums
    s180 = s90 + s_before
    out: dict[str, np.ndarray] = {}
    out["days_since_last"] = days_since_last
    out["n_orders"] = n_orders
    out["revenue"] = revenue
    with np.errstate(divide="ignore", invalid="ignore"):  # no order left: NaN
        out["avg_order_value"] = np.where(n_orders > 0, revenue / np.maximum(n_orders, 1), np.nan)
        out["monetary_value"] = np.where(
            frequency > 0, repeat_amount / np.maximum(frequency, 1), 0.0
        )
    out["tenure_days"] = tenure_days
    out["frequency"] = frequency
    out["recency"] = (last_day - first_day).astype(np.float64)
    out["T"] = tenure_days.copy()
    out["overdue_ratio"] = overdue_ratio
    ratio = np.full(codes.size, np.nan)
    ok = s180 > 0
    ratio[ok] = s90[ok] / s180[ok]
    out["spend_90d"] = s90
    out["spend_180d"] = s180
    out["spend_ratio_90_180"] = ratio
    return {name: out[name] for name in CHURN_FEATURES}


#: Transaction rows summed in one pass by :func:`_row_sums` (at most; a customer is never
#: split): the temporary arrays of a pass stay small whatever the size of the history.
BLOCK_ROWS = 1 << 21


#: Transaction rows read at once by :func:`_input_order_sums` (its temporaries stay small).
PASS_ROWS = 1 << 20


def _blocks(hist: CutoffHistory, codes: np.ndarray) -> list[slice]:
    """Consecutive slices of `codes` holding about :data:`BLOCK_ROWS` rows each."""
    if codes.size == 0:
        return []
    counts = hist.row_counts(codes)
    ends = np.searchsorted(np.cumsum(counts), np.arange(BLOCK_ROWS, counts.sum(), BLOCK_ROWS))
    cuts = np.unique(np.concatenate(([0], ends + 1, [codes.size])).clip(0, codes.size))
    return [slice(int(lo), int(hi)) for lo, hi in itertools.pairwise(cuts)]


#: Net revenue, orders, spend in the last window and the one before, and the spend after
#: the first purchase day of some customers (the arrays of :func:`_row_sums`).
_Sums = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _row_sums(
    hist: CutoffHistory, day: Day, codes: np.ndarray, sum_by_day: bool | None = None
) -> _Sums:
    """Net revenue, orders, spend in the last window and the one before, and the spend
    after the first purchase day of the customers `codes` at `day` (one day, or one for
    each), from their rows (`sum_by_day`: see :func:`features_at`)."""
    prepared = hist.prepared
    rows, owner = hist.rows_of(codes)
    size = codes.size
    per_code = np.ndim(day) > 0

    def total(weights: np.ndarray, keep: np.ndarray) -> np.ndarray:
        return np.bincount(owner, weights=np.where(keep, weights, 0.0), minlength=size)

    r_day, amount = prepared.day[rows], prepared.amount[rows]
    row_day = day[owner] if per_code else day  # type: ignore[index]
    up_to = r_day <= row_day
    negative = up_to & (amount < 0)
    # net revenue (rounding error of fully returned spend set to 0, as net_sums: a customer
    # without a return has gross == revenue, so only a 0 is "set") and orders
    revenue = total(amount, up_to)
    if negative.any():
        gross = total(np.abs(amount), up_to)
        revenue[np.isfinite(revenue) & (np.abs(revenue) <= NET_TOLERANCE * gross)] = 0.0
    if prepared.order is None:
        n_orders = total(np.ones(amount.size), up_to & (amount >= 0))
    else:  # order ids, less the cancellation documents (an order may span days)
        order = prepared.order[rows][up_to]
        n_orders = placed_orders(owner[up_to], order, amount[up_to], size).astype(np.float64)
    # net spend in the last window and the one before it (the rows of window_activity)
    age = row_day - r_day
    s90 = total(amount, up_to & (age < SPEND_WINDOW_DAYS))
    s_before = total(amount, (age >= SPEND_WINDOW_DAYS) & (age < 2 * SPEND_WINDOW_DAYS))
    # the spend after the first purchase day: the customer table of a history with a
    # return sums the purchase days, else the rows (the same number, not always the same
    # bits); a customer with a return of its own is always summed by day
    by_table = _by_day(hist, day, sum_by_day)  # the rule of the table, at each day
    by_day = (np.bincount(owner[negative], minlength=size) > 0) | by_table
    repeat_amount: np.ndarray = np.zeros(size)
    if by_day.any():
        pairs, p_owner = hist.pairs_of(codes)
        pair_day = day[p_owner] if per_code else day  # type: ignore[index]
        weights = np.where(hist.d_day[pairs] <= pair_day, hist.d_repeat[pairs], 0.0)
        repeat_amount = np.bincount(p_owner, weights=weights, minlength=size)
    if not by_day.all():
        later = r_day != hist.first_row_day[prepared.code[rows]]  # after the first day
        by_rows = total(amount, up_to & later)
        repeat_amount = np.where(by_day, repeat_amount, by_rows)
    return revenue, n_orders, s90, s_before, repeat_amount


def _by_day(hist: CutoffHistory, day: Day, sum_by_day: bool | None) -> bool | np.ndarray:
    """Whether the repeat spend of every customer at `day` (one day, or one for each: then
    an array) adds its purchase days' nets (else its rows, but for the customers with a
    return of their own): the rule of :func:`features_at`'s `sum_by_day`."""
    if sum_by_day is not None:
        return bool(sum_by_day)
    returned = hist.first_return_day
    if returned is None:
        return False
    return np.asarray(returned <= day) if np.ndim(day) else bool(returned <= day)


def _input_order_sums(
    hist: CutoffHistory, day: int, codes: np.ndarray, sum_by_day: bool | None
) -> _Sums | None:
    """:func:`_row_sums` of the customers `codes` at one `day`, the same bits, from the rows
    read in input order, :data:`PASS_ROWS` at a time: no gathering of each customer's
    rows. Each sum adds a customer's rows in input order across the blocks
    (:func:`numpy.add.at` into one total), as a :func:`numpy.bincount` over its grouped
    rows adds them. With order ids, each order's net is summed the same way when every
    order id is one customer's (:func:`~kamseg.transactions.placed_orders`' rule without
    a sort); else None (the blocks of customers count the (customer, order) pairs)."""
    prepared = hist.prepared
    size = codes.size
    pos = np.full(hist.n, -1, dtype=np.int64)  # each customer's place in `codes`
    pos[codes] = np.arange(size)
    revenue, gross = np.zeros(size), np.zeros(size)
    s90, s_before, by_rows = np.zeros(size), np.zeros(size), np.zeros(size)
    returned = np.zeros(size, dtype=bool)  # a return of its own up to `day`
    count = np.zeros(size, dtype=np.int64)  # rows that are no return (without order ids)
    order = prepared.order
    n_order = int(order.max()) + 1 if order is not None and order.size else 0
    # each order's customer (a place in `codes`; int32: half the memory of order codes)
    o_owner: np.ndarray = np.full(n_order, -1, dtype=np.int32 if size < 2**31 else np.int64)
    o_net, o_gross = np.zeros(n_order), np.zeros(n_order)
    o_returned = np.zeros(n_order, dtype=bool)
    # with a return up to `day`, the gross sums too (nets of returned spend snapped to 0)
    any_return = hist.first_return_day is not None and hist.first_return_day <= day
    all_by_day = _by_day(hist, day, sum_by_day)  # no repeat spend by rows
    for lo in range(0, prepared.day.size, PASS_ROWS):
        rows = slice(lo, lo + PASS_ROWS)
        r_day, code = prepared.day[rows], prepared.code[rows]
        owner = pos[code]
        amount = prepared.amount[rows]
        mine = (r_day <= day) & (owner >= 0)
        every = bool(mine.all())
        if not every:
            owner, code, r_day, amount = owner[mine], code[mine], r_day[mine], amount[mine]
        negative = amount < 0
        np.add.at(revenue, owner, amount)
        if any_return:
            np.add.at(gross, owner, np.abs(amount))
            returned[owner[negative]] = True
        age = day - r_day
        recent = age < SPEND_WINDOW_DAYS
        np.add.at(s90, owner[recent], amount[recent])
        before = ~recent & (age < 2 * SPEND_WINDOW_DAYS)
        np.add.at(s_before, owner[before], amount[before])
        if not all_by_day:  # the rows after the customer's first day
            later = r_day != hist.first_row_day[code]
            np.add.at(by_rows, owner[later], amount[later])
        if order is None:
            count += np.bincount(owner[amount >= 0], minlength=size)
            continue
        o = order[rows] if every else order[rows][mine]
        seen = o_owner[o]
        o_owner[o] = owner
        if bool(((seen >= 0) & (seen != owner)).any()) or not bool((o_owner[o] == owner).all()):
            return None  # an order id of several customers
        np.add.at(o_net, o, amount)
        if any_return:
            np.add.at(o_gross, o, np.abs(amount))
            o_returned[o[negative]] = True
    if any_return:  # rounding error of fully returned spend set to 0, as net_sums
        revenue[np.isfinite(revenue) & (np.abs(revenue) <= NET_TOLERANCE * gross)] = 0.0
    if order is None:
        n_orders = count.astype(np.float64)
    else:  # the orders whose net returns do not bring to zero or below
        o_net[np.isfinite(o_net) & (np.abs(o_net) <= NET_TOLERANCE * o_gross)] = 0.0
        placed = (o_owner >= 0) & ((o_net > 0) | ~o_returned)
        n_orders = np.bincount(o_owner[placed], minlength=size).astype(np.float64)
    # the spend after the first purchase day: the purchase days' nets (their pairs in
    # (customer, day) order, each customer's in day order) or the rows
    by_day = returned | all_by_day
    repeat_amount = by_rows
    if by_day.any():
        counts = hist.d_end - hist.d_start
        pair_owner = np.repeat(pos, counts)
        keep = (hist.d_day <= day) & (pair_owner >= 0)
        by_pairs = np.bincount(pair_owner[keep], weights=hist.d_repeat[keep], minlength=size)
        repeat_amount = np.where(by_day, by_pairs, by_rows)
    return revenue, n_orders, s90, s_before, repeat_amount


def features_at(
    prepared: PreparedTransactions,
    day: Any = None,
    *,
    func: str = "features_at",
    base_gap: float | None = None,
    sum_by_day: bool | None = None,
) -> pd.DataFrame:
    """The churn features of each customer with a purchase on or before `day`.

    Parameters
    ----------
    prepared
        The transactions, prepared (:func:`kamseg.prepare_transactions`).
    day
        The cut-off (included): a date, or a day number (days since 1970-01-01, as
        ``prepared.day``). Default: the `as_of` of `prepared`. Later rows are left out,
        silently.
    func
        The function named in error messages.
    base_gap
        The usual gap given to single-purchase customers (days). Default (None): the
        median usual gap of the repeat buyers of `prepared` at `day`; a number learned
        from the base (:func:`base_statistics`) makes each row depend on its customer only.
    sum_by_day
        How ``monetary_value`` adds up the spend after the first purchase day, the same
        number with possibly different rounding: True, over the purchase days' nets (the
        rule of a customer table with returns); False, over the rows, except for customers
        with a return of their own up to `day` (always by day). Default (None): the rule
        of :func:`kamseg.summarize` for the table, by day for everyone when any row up to
        `day` is a return. A value learned from the base (:func:`base_statistics`) makes
        each row depend on its customer only.

    Returns
    -------
    DataFrame
        Indexed by customer id (sorted, as the customer table; named after the customer
        column), one row per customer with a row on or before `day`; the
        :data:`CHURN_FEATURES` columns, all float64:

        - ``days_since_last``, ``n_orders``, ``revenue``, ``avg_order_value``,
          ``tenure_days``, ``frequency``, ``recency``, ``T``, ``monetary_value``: the
          columns of :func:`kamseg.summarize` at `day`, in daily periods (``n_orders``
          counts rows, or distinct order ids when `prepared` has an order column);
        - ``overdue_ratio``: ``days_since_last`` over the usual gap between purchases, the
          rule of :func:`~kamseg.features.rhythm` (a single-purchase customer gets the base
          gap: the median usual gap of the repeat buyers at `day`);
        - ``spend_90d``, ``spend_180d``: net spend in the last 90 and 180 days up to `day`
          (included);
        - ``spend_ratio_90_180``: ``spend_90d / spend_180d``; NaN when ``spend_180d <= 0``.

        ``attrs["as_of"]`` holds `day` (ISO text).

    Raises
    ------
    EmptyInputError
        If no row is dated on or before `day`.
    ConfigError
        If `day` is after the `as_of` of `prepared` (its later rows are gone), or is not a
        date.

    Examples
    --------
    >>> import pandas as pd
    >>> import kamseg
    >>> from kamseg.features._cutoffs import features_at
    >>> tx = pd.DataFrame(
    ...     {"customer_id": ["a", "a", "a", "b", "c", "c"],
    ...      "date": ["2024-01-01", "2024-05-01", "2024-06-20", "2024-03-01",
    ...               "2024-02-01", "2024-06-30"],
    ...      "amount": [100.0, 50.0, 30.0, 20.0, 10.0, 10.0]}
    ... )
    >>> prepared = kamseg.prepare_transactions(tx)
    >>> f = features_at(prepared, "2024-06-30")
    >>> cols = ["days_since_last", "tenure_days", "frequency", "overdue_ratio", "spend_90d"]
    >>> f[cols].round(3)
                 days_since_last  tenure_days  frequency  overdue_ratio  spend_90d
    customer_id
    a                       10.0        181.0        2.0          0.117       80.0
    b                      121.0        121.0        0.0          1.028        0.0
    c                        0.0        150.0        1.0          0.000       10.0

    ``a`` bought on three days: its usual gap is ``(181 - 10) / 2 = 85.5`` days, and it is
    ``10 / 85.5`` gaps overdue. ``b`` bought once and gets the base gap, the median usual
    gap of the repeat buyers ``a`` and ``c``: ``(85.5 + 150) / 2 = 117.75`` days, so
    ``121 / 117.75``.
    """
    prepared = _check_prepared(prepared, func=func)
    cutoff = _cutoff_day(day, prepared, func=func)
    codes, columns = cutoff_history(prepared).features(
        cutoff, func=func, base_gap=base_gap, sum_by_day=sum_by_day
    )
    out = pd.DataFrame(columns, index=prepared.ids.take(codes), copy=False)
    out.attrs = {"as_of": str(np.datetime64(cutoff, "D"))}
    return out


def base_statistics(
    prepared: PreparedTransactions, day: Any = None, *, func: str = "base_statistics"
) -> tuple[float, bool]:
    """What :func:`features_at` learns from the whole table at `day`: the base gap and
    whether the spend after the first purchase day is summed by day.

    Passed back to :func:`features_at` as `base_gap` and `sum_by_day`, they give the
    features of the same table bit for bit, and the features of any other table (a subset
    of the customers, later transactions) row by row: each row then depends on its own
    customer's transactions only.

    Examples
    --------
    >>> import pandas as pd
    >>> import kamseg
    >>> from kamseg.features._cutoffs import base_statistics, features_at
    >>> tx = pd.DataFrame(
    ...     {"customer_id": ["a", "a", "a", "b", "c", "c"],
    ...      "date": ["2024-01-01", "2024-05-01", "2024-06-20", "2024-03-01",
    ...               "2024-02-01", "2024-06-30"],
    ...      "amount": [100.0, 50.0, 30.0, 20.0, 10.0, 10.0]}
    ... )
    >>> prepared = kamseg.prepare_transactions(tx)
    >>> base_statistics(prepared)
    (117.75, False)

    ``b`` alone, without the base's statistics, would get the fallback gap of 90 days (it
    is no repeat buyer); with them, its overdue ratio is that of the whole table:

    >>> b = kamseg.prepare_transactions(tx[tx.customer_id == "b"], as_of="2024-06-30")
    >>> [round(float(features_at(b, **kw).loc["b", "overdue_ratio"]), 3)
    ...  for kw in ({}, {"base_gap": 117.75, "sum_by_day": False})]
    [1.344, 1.028]
    """
    prepared = _check_prepared(prepared, func=func)
    cutoff = _cutoff_day(day, prepared, func=func)
    hist = cutoff_history(prepared)
    hist.check(cutoff, func=func)
    base_gap = _base_gap(hist, cutoff)
    by_day = hist.first_return_day is not None and hist.first_return_day <= cutoff
    return base_gap, by_day


def features_at_cutoffs(
    prepared: PreparedTransactions, days: Iterable[Any], *, func: str = "features_at_cutoffs"
) -> pd.DataFrame:
    """The churn features at each of several cut-offs, in one table.

    The rows of one cut-off are exactly those of :func:`features_at` at that cut-off.

    Parameters
    ----------
    prepared
        The transactions, prepared (:func:`kamseg.prepare_transactions`).
    days
        The cut-offs: dates, or day numbers (days since 1970-01-01). Duplicates count once.
    func
        The function named in error messages.

    Returns
    -------
    DataFrame
        Indexed by (``cutoff``, customer id): the cut-off (datetime64[ns]) and the customer
        id (named after the customer column), cut-offs in ascending order and the customers
        of each in the order of ``prepared.ids``; the :data:`CHURN_FEATURES` columns
        (float64), as in :func:`features_at`.

    Raises
    ------
    EmptyInputError
        If a cut-off has no row on or before it.
    ConfigError
        If there is no cut-off, or one is after the `as_of` of `prepared` or not a date.

    Examples
    --------
    >>> import pandas as pd
    >>> import kamseg
    >>> from kamseg.features._cutoffs import features_at_cutoffs
    >>> tx = pd.DataFrame(
    ...     {"customer_id": ["a", "a", "b"],
    ...      "date": ["2024-01-01", "2024-02-15", "2024-01-20"],
    ...      "amount": [10.0, 20.0, 5.0]}
    ... )
    >>> prepared = kamseg.prepare_transactions(tx, as_of="2024-02-29")
    >>> f = features_at_cutoffs(prepared, ["2024-01-31", "2024-02-29"])
    >>> f[["n_orders", "revenue", "spend_90d"]]
                           n_orders  revenue  spend_90d
    cutoff     customer_id
    2024-01-31 a                1.0     10.0       10.0
               b                1.0      5.0        5.0
    2024-02-29 a                2.0     30.0       30.0
               b                1.0      5.0        5.0
    """
    prepared = _check_prepared(prepared, func=func)
    if isinstance(days, str) or not isinstance(days, Iterable):
        raise ConfigError(f"{func}: `days` must be a list of cut-offs; got {days!r}.")
    cutoffs = sorted({_cutoff_day(d, prepared, func=func) for d in days})
    if not cutoffs:
        raise ConfigError(f"{func}: `days` is empty. Hint: pass at least one cut-off.")
    codes: list[np.ndarray] = []
    parts: list[dict[str, np.ndarray]] = []
    hist = cutoff_history(prepared)
    for cutoff in cutoffs:
        c, columns = hist.features(cutoff, func=func)
        codes.append(c)
        parts.append(columns)
    sizes = [c.size for c in codes]
    when = np.repeat(np.asarray(cutoffs, dtype=np.int64), sizes)
    index = pd.MultiIndex.from_arrays(
        [
            pd.DatetimeIndex(when.astype("datetime64[D]").astype("datetime64[ns]")),
            prepared.ids.take(np.concatenate(codes)),
        ],
        names=["cutoff", prepared.ids.name],
    )
    data = {name: np.concatenate([p[name] for p in parts]) for name in CHURN_FEATURES}
    return pd.DataFrame(data, index=index, copy=False)
