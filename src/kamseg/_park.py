"""Columns of the job's table parked in files while the later steps run (memory).

The whole job holds one table of 50 to 90 columns per customer, and each step receives it
whole, though the steps after the key accounts read at most 20 of them
(:data:`STEP_READS`). On a large base (10M customers: 6-8 GB of columns) the job writes the
columns no later step reads to a private temporary folder as it goes, and puts them back
when the steps are done: the same table, in the same column order, with the same values and
dtypes, and a top of memory set by what the steps read and make, not by the whole table.

The files are pickles of pandas columns (exact round trip of every dtype, categoricals and
Arrow-backed text included) in a folder that only this process writes (``mkdtemp``, mode
0700, under ``TMPDIR``), read back once and deleted; the folder is removed at the end, also
when the job fails. They are written by one thread while the next step runs (a slow disk
costs little time), and each set of columns is let go once written. A folder that cannot be
written (a full disk) leaves the columns in memory, with one notice.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections.abc import Collection, Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import pandas as pd

from kamseg._types import ACTIVITY_COLUMNS
from kamseg._validation import append_ids, warn

__all__ = ["KEPT", "LATER_STEPS", "PARK_FROM", "STEP_READS", "ParkedColumns"]

#: Customers from which the job parks columns (below, the files would cost more time
#: than the memory they save is worth).
PARK_FROM = 2_000_000

_ACTIVITY = frozenset(ACTIVITY_COLUMNS.values())

#: The steps after the key accounts, in the job's order.
LATER_STEPS = ("classes", "health", "warnings", "churn")

#: The table columns each step after the key accounts reads: those
#: ``benchmarks/step_reads.py`` finds (pandas and DuckDB; daily, weekly and monthly periods),
#: and the columns a step falls back on when another is missing, which that search (one
#: column left out at a time) cannot see: health and warnings read the lifecycle's
#: ``overdue_ratio`` and trends, else the summary's columns, the activity or the rows.
#: The churn step reads the customer ids (the index) only.
_RHYTHM = frozenset({"days_since_last", "tenure_days", "frequency"})  # features.rhythm
STEP_READS: dict[str, frozenset[str]] = {
    "classes": _RHYTHM | {"n_orders", "revenue", "profit", "p_alive"} | _ACTIVITY,
    "health": _RHYTHM
    | {"p_alive", "satisfaction_score", "recent_complaints"}
    | {"overdue_ratio", "usual_gap_days", "frequency_trend", "spend_trend"}
    | _ACTIVITY,
    "warnings": _RHYTHM | {"overdue_ratio", "usual_gap_days", "spend_trend"} | _ACTIVITY,
    "churn": frozenset(),
}

#: Columns never parked: the flags the job fills for the prospects after the classes.
KEPT = frozenset({"is_key_account", "nonpositive_revenue", "negative_profit"})


class ParkedColumns:
    """The columns of one job's table held in files, and the table's whole column order.

    :meth:`park` writes the columns a table need not keep and gives the table without
    them; :meth:`order` is the column order the whole table would have; :meth:`restore`
    gives the whole table back (the parked columns on the table's rows, prospects appended
    by the classes included, as :func:`~kamseg._validation.append_ids` appends them)."""

    def __init__(self, func: str) -> None:
        self._func = func
        self._folder: str | None = None
        self._pool: ThreadPoolExecutor | None = None
        # each set of parked columns: its file, and the write (the columns if it failed)
        self._files: list[tuple[str, Future[pd.DataFrame | None]]] = []
        self._reads: list[Future[pd.DataFrame]] = []  # started by prefetch()
        self._parked: set[Hashable] = set()
        self._order: list[Hashable] = []
        self._failed = False

    @property
    def active(self) -> bool:
        """Whether some columns are parked."""
        return bool(self._parked)

    def order(self, table: pd.DataFrame) -> list[Hashable]:
        """The columns of the whole table: those known at the last :meth:`park` (parked or
        still in `table`), then the columns `table` has gained since, in its order."""
        have = set(table.columns)
        known = set(self._order)
        kept = [c for c in self._order if c in have or c in self._parked]
        return kept + [c for c in table.columns if c not in known]

    def set_order(self, order: Iterable[Hashable]) -> None:
        """Take `order` as the whole table's column order (a step that puts its new
        columns among the others, e.g. the need level after the lifecycle's)."""
        self._order = list(order)

    def park(self, table: pd.DataFrame, keep: Collection[Hashable]) -> pd.DataFrame:
        """`table` without its columns not in `keep` (nor :data:`KEPT`), which are written
        to a file; `table` itself when there is nothing to park or no folder to park in."""
        cols: list[Hashable] = [c for c in table.columns if c not in keep and c not in KEPT]
        for _, write in self._files:  # the writes done so far: did one fail?
            if write.done():
                self._check(write)
        if not cols or self._failed:
            return table
        order = self.order(table)
        try:
            if self._folder is None:
                self._folder = tempfile.mkdtemp(prefix="kamseg-park-")
        except OSError as exc:
            self._fail(exc)
            return table
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="kamseg-park")
        path = os.path.join(self._folder, f"{len(self._files)}.pickle")
        self._files.append((path, self._pool.submit(_write, path, table[cols])))
        self._parked.update(cols)
        self._order = order
        narrow = table.drop(columns=cols)
        narrow.attrs = table.attrs
        return narrow

    def forget(self, columns: Iterable[Hashable]) -> None:
        """Leave `columns` out of the whole table (dropped by the job), parked or not."""
        gone = set(columns)
        self._parked -= gone
        self._order = [c for c in self._order if c not in gone]

    def restore(self, table: pd.DataFrame) -> pd.DataFrame:
        """The whole table: `table` with the parked columns put back in place, on its rows.
        The files are read once and deleted."""
        if not self._files:
            return table
        order = self.order(table)
        parts: list[pd.DataFrame] = [table]
        index = table.index
        reads: list[Future[pd.DataFrame] | None] = [*self._reads] or [None] * len(self._files)
        for (path, write), read in zip(self._files, reads, strict=True):
            self._check(write)  # a write that failed: said once (its columns are in memory)
            part = _read(path, write) if read is None else read.result()
            part = part[[c for c in part.columns if c in self._parked]]
            n = len(part)
            if index.equals(part.index):
                part.index = index
            elif len(index) >= n and index[:n].equals(part.index):
                part = append_ids(part, index[n:]).set_axis(index)  # the prospects
            else:
                part = part.reindex(index)
            parts.append(part)
        self._files.clear()
        self._reads.clear()
        self._parked.clear()
        whole = pd.concat(parts, axis=1)
        out = whole[order] if list(whole.columns) != order else whole
        out.attrs = table.attrs
        return out

    def prefetch(self) -> None:
        """Start reading the parked columns back, in the park's thread after its writes,
        for :meth:`restore`: the reading then overlaps the job's last steps."""
        if self._pool is not None and not self._reads:
            self._reads = [self._pool.submit(_read, path, write) for path, write in self._files]

    def _check(self, write: Future[pd.DataFrame | None]) -> pd.DataFrame | None:
        """The columns of a finished `write` that failed (then a notice and no more
        parking), else None; waits for the write if it is still running."""
        failed = write.result()
        if failed is not None and not self._failed:
            self._fail(failed.attrs.get(_ERROR_ATTR))
        return failed

    def _fail(self, exc: BaseException | None) -> None:
        self._failed = True
        reason = exc if not isinstance(exc, OSError) else exc.strerror or exc
        warn(
            f"{self._func}: could not write columns to a temporary folder ({reason}); the "
            "whole table stays in memory. Hint: set TMPDIR to a folder with room for the "
            "table.",
            stacklevel=5,
        )

    def close(self) -> None:
        """Wait for the writes, then remove the folder and any file left in it."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._files.clear()
        self._reads.clear()
        self._parked.clear()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


_ERROR_ATTR = "kamseg_park_error"


def _write(path: str, columns: pd.DataFrame) -> pd.DataFrame | None:
    """Write `columns` to `path` (in the park's thread): None, or `columns` back (with the
    error in their attrs) when the file cannot be written."""
    try:
        with open(path, "wb") as f:
            pickle.dump(columns, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            # on disk now, in this thread: pages still waiting to be written back read
            # several times slower (a 1 GB file on the 2-core test machine: 7.6 s, 1.6 s)
            os.fsync(f.fileno())
    except OSError as exc:
        columns.attrs = {**columns.attrs, _ERROR_ATTR: exc}
        return columns
    return None


def _read(path: str, write: Future[pd.DataFrame | None]) -> pd.DataFrame:
    """The columns of `write`: read back from `path` (then deleted), or those kept in
    memory when the write failed."""
    failed = write.result()
    if failed is not None:
        return failed
    with open(path, "rb") as f:
        part: pd.DataFrame = pickle.load(f)
    os.remove(path)
    return part
