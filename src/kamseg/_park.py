"""Columns of the job's table parked in files while the later steps run (memory).

The whole job holds one table of 50 to 90 columns per customer, and each step receives it
whole, though the steps after the key accounts read at most 20 of them
(:data:`STEP_READS`). On a large base (10M customers: 6-8 GB of columns) the job writes the
columns no later step reads to a private temporary folder as it goes, and puts them back
when the steps are done: the same table, in the same column order, with the same values and
dtypes, and a top of memory set by what the steps read and make, not by the whole table.

Each column is one file: the pickle of its values (exact round trip of every dtype,
categoricals and Arrow-backed text included; the customer ids are not repeated in it) in a
folder that only this process writes (``mkdtemp``, mode 0700, under ``TMPDIR``), read back
once and deleted; the folder is removed at the end, also when the job fails. The files are
written by one thread while the next step runs (a slow disk costs little time) and read
back by it while the columns before are put in place, one column at a time (the prospects
appended to each: no copy of the whole table). A folder that cannot be written (a full
disk) leaves the columns in memory, with one notice.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections import deque
from collections.abc import Collection, Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pandas as pd

from kamseg._types import ACTIVITY_COLUMNS
from kamseg._validation import extended, warn

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

#: Columns read back ahead of the one being put in place.
_READ_AHEAD = 2

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
        # each parked column: its file, the rows it was parked on, and its write (which
        # gives the values back if the file could not be written)
        self._files: dict[Hashable, tuple[str, pd.Index, Future[Any]]] = {}
        self._order: list[Hashable] = []
        self._failed = False

    def order(self, table: pd.DataFrame) -> list[Hashable]:
        """The columns of the whole table: those known at the last :meth:`park` (parked or
        still in `table`), then the columns `table` has gained since, in its order."""
        have = set(table.columns)
        known = set(self._order)
        kept = [c for c in self._order if c in have or c in self._files]
        return kept + [c for c in table.columns if c not in known]

    def set_order(self, order: Iterable[Hashable]) -> None:
        """Take `order` as the whole table's column order (a step that puts its new
        columns among the others, e.g. the need level after the lifecycle's)."""
        self._order = list(order)

    def park(self, table: pd.DataFrame, keep: Collection[Hashable]) -> pd.DataFrame:
        """`table` without its columns not in `keep` (nor :data:`KEPT`), which are written
        to files; `table` itself when there is nothing to park or no folder to park in."""
        cols: list[Hashable] = [c for c in table.columns if c not in keep and c not in KEPT]
        for _, _, write in self._files.values():  # the writes done so far: did one fail?
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
        for col in cols:
            path = os.path.join(self._folder, f"{len(self._files)}.pickle")
            write = self._pool.submit(_write, path, table[col].array)
            self._files[col] = (path, table.index, write)
        self._order = order
        narrow = table.drop(columns=cols)
        narrow.attrs = table.attrs
        return narrow

    def forget(self, columns: Iterable[Hashable]) -> None:
        """Leave `columns` out of the whole table (dropped by the job), parked or not."""
        gone = set(columns)
        for col in gone & set(self._files):
            self._check(self._files.pop(col)[2])
        self._order = [c for c in self._order if c not in gone]

    def restore(self, table: pd.DataFrame) -> pd.DataFrame:
        """The whole table: `table` with the parked columns put back in place, on its rows.
        The files are read once (by the park's thread, a few columns ahead) and deleted."""
        if not self._files:
            return table
        pool = self._pool
        assert pool is not None
        order = self.order(table)
        files = list(self._files.items())
        self._files.clear()
        ahead: deque[Future[Any]] = deque()

        def read(i: int) -> None:
            if i < len(files):
                path, _, write = files[i][1]
                ahead.append(pool.submit(_read, path, write))

        for i in range(_READ_AHEAD):
            read(i)
        fits: dict[int, str] = {}  # how each set of parked rows fits the table's rows
        parts: list[pd.DataFrame] = [table]
        for i, (col, (_, rows, write)) in enumerate(files):
            self._check(write)  # a write that failed: said once (the values are in memory)
            values = ahead.popleft().result()
            read(i + _READ_AHEAD)
            part = pd.Series(values, index=rows, name=col, copy=False).to_frame()
            del values  # only in `part` now
            parts.append(_on_rows(part, table.index, fits))
        whole = pd.concat(parts, axis=1)
        out = whole[order] if list(whole.columns) != order else whole
        out.attrs = table.attrs
        return out

    def _check(self, write: Future[Any]) -> None:
        """Say, once, that a `write` failed (then nothing more is parked); waits for the
        write if it is still running."""
        error = write.result()[1]
        if error is not None and not self._failed:
            self._fail(error)

    def _fail(self, exc: BaseException) -> None:
        self._failed = True
        reason = exc.strerror or exc if isinstance(exc, OSError) else exc
        warn(
            f"{self._func}: could not write columns to a temporary folder ({reason}); the "
            "whole table stays in memory. Hint: set TMPDIR to a folder with room for the "
            "table.",
            stacklevel=5,
        )

    def __enter__(self) -> ParkedColumns:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Wait for the writes, then remove the folder and any file left in it."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._files.clear()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def _write(path: str, values: Any) -> tuple[Any, OSError | None]:
    """Write a column's `values` to `path` (in the park's thread): ``(None, None)``, or
    ``(values, error)`` when the file cannot be written (the values stay in memory)."""
    try:
        with open(path, "wb") as f:
            pickle.dump(values, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            # on disk now, in this thread: pages still waiting to be written back read
            # several times slower (a 1 GB file on the 2-core test machine: 7.6 s, 1.6 s)
            os.fsync(f.fileno())
    except OSError as exc:
        return values, exc
    return None, None


def _read(path: str, write: Future[Any]) -> Any:
    """A parked column's values: read back from `path` (then deleted), or those kept in
    memory when the write failed."""
    kept, error = write.result()
    if error is not None:
        return kept
    with open(path, "rb") as f:
        values = pickle.load(f)
    os.remove(path)
    return values


def _on_rows(part: pd.DataFrame, index: pd.Index, fits: dict[int, str]) -> pd.DataFrame:
    """`part` (one parked column on the rows it was parked on) on the rows `index`: the
    same rows; those followed by the prospects the classes appended (the missing values
    and dtypes of :func:`~kamseg._validation.append_ids`); or any other (reindexed).
    `fits` keeps what was found of each set of parked rows (10M text ids compare slowly)."""
    rows = part.index
    fit = fits.get(id(rows))
    if fit is None:
        n = len(rows)
        same = index.equals(rows)
        fit = "same" if same else "prospects" if index[:n].equals(rows) else "other"
        fits[id(rows)] = fit
    if fit == "same":
        return part.set_axis(index)
    return part.reindex(index) if fit == "other" else extended(part, index)
