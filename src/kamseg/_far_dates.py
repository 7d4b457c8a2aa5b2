"""The default "now" of a transaction log: dates far beyond the rest are no "now".

Layer 0, re-exported by :mod:`kamseg.transactions`. When `as_of` is not given it is the
latest date, unless a few dates lie far beyond the rest (a typo such as 2099-01-01 in a log
of 2024): :func:`default_as_of_per_day` is the one rule, on the rows per distinct day, for
every engine. pandas counts them with one bincount (:func:`default_as_of`); DuckDB and Spark
count them in their validation pass (:func:`kamseg.summary._sql.far_dates_per_day`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = [
    "FAR_DATE_DAYS",
    "FAR_DATE_MAX_SHARE",
    "FAR_DATE_WARN_DAYS",
    "FAR_DATE_WARN_SHARE",
    "DefaultAsOf",
    "default_as_of",
    "default_as_of_per_day",
    "notice_distant_dates",
    "notice_far_dates",
]

#: When `as_of` is not given, rows dated more than this many days beyond the rest are taken
#: for typos: beyond the 99th percentile of the dates, or across a gap between two dates
#: (see :func:`default_as_of_per_day`). They do not become "now".
FAR_DATE_DAYS = 365
#: The largest share of the rows that the dates after such a gap may hold to be typos.
FAR_DATE_MAX_SHARE = 0.05
#: The latest dates after a gap of more than this many days (that stands out) are warned
#: about, not excluded, when they hold at most :data:`FAR_DATE_WARN_SHARE` of the rows, or
#: one row; after a gap of more than :data:`FAR_DATE_DAYS`, at most half of the rows.
FAR_DATE_WARN_DAYS = 90
FAR_DATE_WARN_SHARE = 0.01
#: Such a gap stands out when it is more than this many times every earlier gap, after at
#: least this many distinct days (a handful of purchases is no pattern to stand out from).
_STANDS_OUT = 2
_WARN_MIN_DAYS = 10
#: Day numbers spanning fewer days than this are counted by a bincount (32 MB at most).
_BINCOUNT_SPAN = 2**22


@dataclasses.dataclass(frozen=True)
class DefaultAsOf:
    """The default "now" (:func:`default_as_of_per_day`).

    Attributes
    ----------
    as_of_day : int
        The observation day, days since 1970-01-01.
    n_far : int
        Rows dated after it: far dates, taken for typos and excluded.
    far_day : int or None
        The latest far day (None when no row is far).
    notices : tuple of str
        What to say (:func:`notice_far_dates`, :func:`notice_distant_dates`), in order.
    """

    as_of_day: int
    n_far: int
    far_day: int | None
    notices: tuple[str, ...]


def default_as_of(days: np.ndarray) -> DefaultAsOf:
    """The default "now" of the rows' day numbers (int64, days since 1970-01-01, at least
    one): :func:`default_as_of_per_day` of their distinct days, counted with one bincount
    (with np.unique when they span millions of days).

    >>> days = np.array([0, 1, 1, 2] * 25 + [47117])  # 1970-01-01..03 and a 2099-01-01
    >>> rule = default_as_of(days)
    >>> rule.as_of_day, rule.n_far, rule.far_day
    (2, 1, 47117)
    """
    lo, hi = int(days.min()), int(days.max())
    if hi - lo >= max(_BINCOUNT_SPAN, days.size):
        return default_as_of_per_day(*np.unique(days, return_counts=True))
    shift = lo < 0 or hi >= _BINCOUNT_SPAN  # else counted from day 0: no shifted copy
    counts = np.bincount(days - lo) if shift else np.bincount(days)[lo:]
    day = np.flatnonzero(counts)
    return default_as_of_per_day(day + lo, counts[day])


def default_as_of_per_day(day: np.ndarray, rows: np.ndarray) -> DefaultAsOf:
    """The default "now" of distinct day numbers `day` (sorted, at least one) holding
    `rows` rows each: the one rule of every engine.

    Days are **far**, taken for typos, when they lie

    1. more than :data:`FAR_DATE_DAYS` after the 99th percentile of the rows' days (the
       earliest day on or before which at least 99 % of the rows lie; checked from 100
       rows), or
    2. after a gap of more than :data:`FAR_DATE_DAYS` between two consecutive days with
       at least two days before it and at most :data:`FAR_DATE_MAX_SHARE` of the rows
       after it (the earliest such gap: the most days).

    The far rows are excluded with one notice (:func:`notice_far_dates`) and "now" is the
    latest other day. Of the days left, the latest few may still lie well after the rest:
    after a gap that stands out (more than twice every earlier gap, with at least ten days
    before it) and is either longer than :data:`FAR_DATE_WARN_DAYS` with at most
    :data:`FAR_DATE_WARN_SHARE` of the rows (or one row) after it, or longer than
    :data:`FAR_DATE_DAYS` with at most half of the rows after it (the earliest such gap).
    They stay (one of them is "now"), with a notice (:func:`notice_distant_dates`).

    >>> day = np.array([19723, 19724, 19725, 47117])  # 2024-01-01..03, 2099-01-01
    >>> default_as_of_per_day(day, np.array([10, 20, 9, 2])).as_of_day  # 2 of 41 rows
    19725
    >>> default_as_of_per_day(day, np.array([10, 20, 9, 3])).as_of_day  # 3 of 42: > 5 %
    47117
    """
    cum = np.cumsum(rows)
    n = int(cum[-1])
    cut = _after_gap(day, cum, FAR_DATE_DAYS, FAR_DATE_MAX_SHARE * n, min_days=2)
    k = -(-99 * n // 100)  # the rank of the 99th percentile, ceil(0.99 n), 1-based
    if k < n:
        edge = int(day[np.searchsorted(cum, k)]) + FAR_DATE_DAYS
        cut = min(cut, int(np.searchsorted(day, edge, side="right")))
    n_near, as_of_day = int(cum[cut - 1]), int(day[cut - 1])
    n_far = n - n_near
    far_day = int(day[-1]) if n_far else None
    notices = [] if far_day is None else [notice_far_dates(n_far, far_day, as_of_day)]
    near, cum_near = day[:cut], cum[:cut]
    few = max(1.0, FAR_DATE_WARN_SHARE * n_near)
    late = min(
        _after_gap(near, cum_near, FAR_DATE_WARN_DAYS, few, _WARN_MIN_DAYS, _STANDS_OUT),
        _after_gap(near, cum_near, FAR_DATE_DAYS, n_near / 2, _WARN_MIN_DAYS, _STANDS_OUT),
    )
    if late < cut:
        rest, first = int(day[late - 1]), int(day[late])
        n_late = n_near - int(cum[late - 1])
        notices.append(notice_distant_dates(n_late, first, as_of_day, rest))
    return DefaultAsOf(as_of_day, n_far, far_day, tuple(notices))


def _after_gap(
    day: np.ndarray,
    cum: np.ndarray,
    gap_days: int,
    max_rows: float,
    min_days: int,
    stands_out: int = 0,
) -> int:
    """The index of the first day after the earliest gap of more than `gap_days` days
    between consecutive `day`s (and, given `stands_out`, more than `stands_out` times every
    earlier gap) with at least `min_days` days before it and at most `max_rows` rows after
    it (`cum`: the rows up to each day); ``day.size`` when there is none."""
    gap = np.diff(day)
    found = (gap > gap_days) & (cum[-1] - cum[:-1] <= max_rows)
    if stands_out:
        found[1:] &= gap[1:] > stands_out * np.maximum.accumulate(gap[:-1])
    found[: min_days - 1] = False  # too few days before the gap to call them the bulk
    at = np.flatnonzero(found)
    return int(at[0]) + 1 if at.size else int(day.size)


def _date(day: int) -> str:
    return str(np.datetime64(day, "D"))


def notice_far_dates(n_rows: int, far_day: int, as_of_day: int) -> str:
    """The words for rows dated far beyond the rest, left out of the default `as_of`."""
    return (
        f"excluded {n_rows} transaction(s) dated more than {FAR_DATE_DAYS} days after the "
        f"rest of the data (latest {_date(far_day)}), taken for typos; as_of is "
        f"{_date(as_of_day)}, the latest other date. Hint: pass as_of (--as-of) "
        "to set the observation date yourself"
    )


def notice_distant_dates(n_rows: int, first_day: int, as_of_day: int, rest_day: int) -> str:
    """The words for the few latest rows, kept, that lie well after the rest (from
    `first_day` to `as_of_day`; the latest other day: `rest_day`)."""
    dated = _date(first_day)
    if first_day != as_of_day:
        dated += f" to {_date(as_of_day)}"
    return (
        f"as_of is {_date(as_of_day)}, the latest date, although {n_rows} transaction(s) "
        f"dated {dated} lie {first_day - rest_day} days after the rest of the data (latest "
        f"{_date(rest_day)}); check them for typos. Hint: pass as_of (--as-of) to set the "
        "observation date yourself"
    )
