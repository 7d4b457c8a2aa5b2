"""Columns of the job's table parked in files while the later steps run (memory).

The whole job holds one table of 50 to 90 columns per customer, and each step receives it
whole, though the steps after the key accounts read at most 20 of them
(:data:`STEP_READS`). On a large base (10M customers: 6-8 GB of columns) the job writes the
columns no later step reads to a private temporary folder as it goes, and puts them back
when the steps are done: the same table, in the same column order, with the same values and
dtypes, and a top of memory set by what the steps read and make, not by the whole table.

Each column is one file: the pickles of its values in pieces of :data:`PIECE_ROWS` rows
(exact round trip of every dtype, categoricals and Arrow-backed text included; the customer
ids are not repeated in it) in a folder that only this process writes (``mkdtemp``, mode
0700, under ``TMPDIR``); the folder is removed at the end, also when the job fails. A
Parquet file of the whole table can be written from the pieces a row group at a time
(:meth:`ParkedColumns.write_parquet`), without the whole table in memory. The files are
written by one thread while the next step runs (a slow disk costs little time) and read
back by it while the columns before are put in place, one column at a time (the prospects
appended to each: no copy of the whole table). A folder that cannot be written (a full
disk) leaves the columns in memory, with one notice. Other values the job keeps for later
go to the same folder: arrays of one row per customer (:meth:`ParkedColumns.park_arrays`)
and single objects, such as the fitted parts that only the model reads again
(:meth:`ParkedColumns.park_object`).
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Collection, Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kamseg._types import ACTIVITY_COLUMNS
from kamseg._validation import extended, warn

__all__ = ["KEPT", "LATER_STEPS", "PARK_FROM", "PIECE_ROWS", "STEP_READS", "ParkedColumns"]

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

#: Rows of each piece of a parked column: the row groups of a Parquet file that pyarrow
#: writes by default (at most 1024 * 1024 rows), so that :meth:`ParkedColumns.write_parquet`
#: reads one piece of each column per row group and writes the file ``to_parquet`` writes.
PIECE_ROWS = 1 << 20

#: Columns never parked: the flags the job fills for the prospects after the classes.
KEPT = frozenset({"is_key_account", "nonpositive_revenue", "negative_profit"})


@dataclass(frozen=True)
class _Parked:
    """One parked column: its file, the rows it was parked on, its write (which gives the
    values back if the file could not be written, else where each piece starts) and its
    first value (its dtype on other rows, without reading the file)."""

    path: str
    rows: pd.Index
    write: Future[Any]
    first: Any


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
        self._files: dict[Hashable, _Parked] = {}
        self._order: list[Hashable] = []
        self._failed = False
        self._others: list[ParkedColumns] = []
        self._parent: ParkedColumns | None = None  # the park of other() (one notice)
        self._n_objects = 0  # the files of park_object so far

    def other(self) -> ParkedColumns:
        """A park for another table of the same job, closed with this one; a folder that
        cannot be written is said once for both, and then neither parks."""
        park = ParkedColumns(self._func)
        park._parent = self
        park._failed = self._failed
        self._others.append(park)
        return park

    def park_arrays(self, index: pd.Index, arrays: dict[str, Any]) -> Callable[[], dict[str, Any]]:
        """Park numpy `arrays` of one row per id of `index` (1-d, or 2-d by their columns);
        a function that reads them back (each as it was: the same dtype, values and shape,
        C-contiguous). The function holds nothing of `arrays`."""

        spec: list[tuple[str, int, Any]] = []  # (name, columns or -1 for 1-d, dtype)
        data: dict[int, Any] = {}
        for name, a in arrays.items():
            cols = [a] if a.ndim == 1 else [a[:, j] for j in range(a.shape[1])]
            spec.append((name, -1 if a.ndim == 1 else a.shape[1], a.dtype))
            for c in cols:
                data[len(data)] = c
        narrow = self.park(pd.DataFrame(data, index=index, copy=False), keep=())
        del data, cols, a

        def back() -> dict[str, Any]:
            whole = self.restore(narrow)
            out: dict[str, Any] = {}
            at = 0
            for name, width, dtype in spec:
                if width < 0:
                    out[name] = whole[at].to_numpy(dtype=dtype)
                    at += 1
                    continue
                out[name] = np.empty((len(whole), width), dtype=dtype)
                for j in range(width):
                    out[name][:, j] = whole[at + j].to_numpy(dtype=dtype)
                at += width
            return out

        return back

    def park_object(self, value: Any) -> Callable[[], Any]:
        """Park one picklable `value` (e.g. a fitted part no later step reads) in a file;
        a function that reads it back, once (an equal copy; `value` itself when it could
        not be written, e.g. it does not pickle or there is no folder)."""
        folder = self._folder_or_none()
        if folder is None:
            return lambda: value
        assert self._pool is not None
        path = os.path.join(folder, f"object-{self._n_objects}.pickle")
        self._n_objects += 1
        write = self._pool.submit(_dump, path, value)  # it holds `value` until written

        def back() -> Any:
            kept, error = write.result()
            if error is not None:
                return kept
            with open(path, "rb") as f:
                out = pickle.load(f)
            os.remove(path)
            return out

        return back

    @property
    def parked(self) -> bool:
        """Whether any column is parked."""
        return bool(self._files)

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
        for parked in self._files.values():  # the writes done so far: did one fail?
            if parked.write.done():
                self._check(parked.write)
        if not cols or self._failed:
            return table
        order = self.order(table)
        folder = self._folder_or_none()
        if folder is None:
            return table
        assert self._pool is not None
        for col in cols:
            path = os.path.join(folder, f"{len(self._files)}.pickle")
            values = table[col].array
            write = self._pool.submit(_write, path, values)
            # a copy of the first value alone (a slice would hold the whole buffer)
            first = pickle.loads(pickle.dumps(values[:1], protocol=pickle.HIGHEST_PROTOCOL))
            self._files[col] = _Parked(path, table.index, write, first)
        self._order = order
        narrow = table.drop(columns=cols)
        if _holds_any(narrow, [table[c] for c in cols]):
            # a kept column that is a view of a block it shares with parked ones (columns
            # built together) would hold the whole block in memory: its own copy instead
            narrow = narrow.copy()
        narrow.attrs = table.attrs
        return narrow

    def forget(self, columns: Iterable[Hashable]) -> None:
        """Leave `columns` out of the whole table (dropped by the job), parked or not."""
        gone = set(columns)
        for col in gone & set(self._files):
            self._check(self._files.pop(col).write)
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
                parked = files[i][1]
                ahead.append(pool.submit(_read, parked.path, parked.write))

        for i in range(_READ_AHEAD):
            read(i)
        fits: dict[int, str] = {}  # how each set of parked rows fits the table's rows
        parts: list[pd.DataFrame] = [table]
        for i, (col, parked) in enumerate(files):
            self._check(parked.write)  # a write that failed: said once (values in memory)
            values = ahead.popleft().result()
            read(i + _READ_AHEAD)
            part = pd.Series(values, index=parked.rows, name=col, copy=False).to_frame()
            del values  # only in `part` now
            parts.append(_on_rows(part, table.index, fits, parked.rows))
        whole = pd.concat(parts, axis=1)
        out = whole[order] if list(whole.columns) != order else whole
        out.attrs = table.attrs
        return out

    def dtypes(self, table: pd.DataFrame) -> dict[Hashable, Any] | None:
        """The whole table's dtypes (:meth:`restore`'s), in its column order, without
        reading a file; None when a parked column does not sit on the table's first rows
        (then only :meth:`restore` tells)."""
        fits: dict[int, str] = {}
        out: dict[Hashable, Any] = {}
        for col in self.order(table):
            parked = self._files.get(col)
            if parked is None:
                out[col] = table[col].dtype
                continue
            fit = _fit(parked.rows, table.index, fits)
            if fit == "other":
                return None
            out[col] = _final_dtype(parked, table.index, fit)
        return out

    def select(self, table: pd.DataFrame, columns: Iterable[Hashable]) -> pd.DataFrame:
        """The whole table's `columns` (those it has, in its order), the parked ones read
        back (their files are kept); with `table`'s attrs."""
        wanted = set(columns)
        fits: dict[int, str] = {}
        parts = []
        for col in self.order(table):
            if col not in wanted:
                continue
            parked = self._files.get(col)
            if parked is None:
                parts.append(table[[col]])
                continue
            values = _joined([_read_piece(parked, i) for i in range(_n_pieces(len(parked.rows)))])
            part = pd.Series(values, index=parked.rows, name=col, copy=False).to_frame()
            parts.append(_on_rows(part, table.index, fits, parked.rows))
        out = pd.concat(parts, axis=1) if parts else table[[]]
        out.attrs = table.attrs
        return out

    def write_parquet(self, table: pd.DataFrame, path: str | os.PathLike[str]) -> bool:
        """Write the whole table (:meth:`restore`'s) to a Parquet file at `path`, as
        ``to_parquet`` writes it (the index, ``attrs``, snappy, row groups of
        :data:`PIECE_ROWS` rows), a row group at a time: one piece of each parked column is
        read per row group and the whole table is never in memory. The files are kept.
        False, and nothing written, when a parked column does not sit on the table's first
        rows (then :meth:`restore` puts it in place)."""
        import json

        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        dtypes = self.dtypes(table)
        if dtypes is None:
            return False
        schema = None
        writer = None
        starts = range(0, max(len(table), 1), PIECE_ROWS)
        parked_now = {col: p for col, p in self._files.items() if col in dtypes}

        def pieces(i: int) -> dict[Hashable, Any]:  # row group i's pieces, in the park's thread
            return {col: _read_piece(p, i) for col, p in parked_now.items()}

        pool = self._pool
        ahead = pool.submit(pieces, 0) if pool is not None else None
        try:
            for i, start in enumerate(starts):
                index = table.index[start : start + PIECE_ROWS]
                read = ahead.result() if ahead is not None else {}
                # the next row group's pieces are read while this one is written
                ahead = pool.submit(pieces, i + 1) if pool and i + 1 < len(starts) else None
                data: dict[Hashable, Any] = {}
                for col, dtype in dtypes.items():
                    if col not in parked_now:
                        data[col] = table[col].array[start : start + PIECE_ROWS]
                        continue
                    # the piece's rows are the first of the row group's (checked by
                    # dtypes): the prospects, if any, follow them
                    values = read.pop(col)
                    placed = pd.Series(values, index=index[: len(values)], copy=False)
                    if len(values) < len(index):
                        placed = extended(placed.to_frame(), index).iloc[:, 0]
                    data[col] = (placed if placed.dtype == dtype else placed.astype(dtype)).array
                frame = pd.DataFrame(data, index=index, copy=False)
                frame.attrs = table.attrs  # pyarrow keeps them in the pandas metadata
                group = pa.Table.from_pandas(frame, schema=schema)
                if writer is None:  # the first row group's schema, with the table's attrs
                    meta = dict(group.schema.metadata or {})
                    if table.attrs:  # as pandas' to_parquet stores them
                        meta[b"PANDAS_ATTRS"] = json.dumps(table.attrs).encode()
                    schema = group.schema.with_metadata(meta)
                    writer = pq.ParquetWriter(os.fspath(path), schema, compression="snappy")
                writer.write_table(group)
        finally:
            if ahead is not None:
                ahead.cancel()
            if writer is not None:
                writer.close()
        return True

    def _folder_or_none(self) -> str | None:
        """The park's folder and thread, made on first use; None when no folder can be
        made (said once) or a write failed."""
        if self._failed:
            return None
        if self._folder is None:
            try:
                self._folder = tempfile.mkdtemp(prefix="kamseg-park-")
            except OSError as exc:
                self._fail(exc)
                return None
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="kamseg-park")
        return self._folder

    def _check(self, write: Future[Any]) -> None:
        """Say, once, that a `write` failed (then nothing more is parked); waits for the
        write if it is still running."""
        error = write.result()[1]
        if error is not None and not self._failed:
            self._fail(error)

    def _fail(self, exc: BaseException) -> None:
        said = self._failed or (self._parent is not None and self._parent._failed)
        self._failed = True
        if self._parent is not None:
            self._parent._failed = True
        if said:
            return
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
        """Wait for the writes, then remove the folder and any file left in it (and those
        of :meth:`other`'s parks)."""
        for park in self._others:
            park.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._files.clear()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def _write(path: str, values: Any) -> tuple[Any, OSError | None, list[int]]:
    """Write a column's `values` to `path` in pieces of :data:`PIECE_ROWS` rows (in the
    park's thread): ``(None, None, offsets)``, where each piece starts and the file ends,
    or ``(values, error, [])`` when the file cannot be written (the values stay in memory)."""
    offsets = []
    try:
        with open(path, "wb") as f:
            for start in range(0, max(len(values), 1), PIECE_ROWS):
                offsets.append(f.tell())
                piece = values[start : start + PIECE_ROWS]
                pickle.dump(piece, f, protocol=pickle.HIGHEST_PROTOCOL)
            offsets.append(f.tell())
            f.flush()
            # on disk now, in this thread: pages still waiting to be written back read
            # several times slower (a 1 GB file on the 2-core test machine: 7.6 s, 1.6 s)
            os.fsync(f.fileno())
    except OSError as exc:
        return values, exc, []
    return None, None, offsets


def _dump(path: str, value: Any) -> tuple[Any, BaseException | None]:
    """Pickle `value` to `path` (in the park's thread): ``(None, None)``, or
    ``(value, error)`` when it cannot be (a full disk, a value that does not pickle)."""
    try:
        with open(path, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        return value, exc
    return None, None


def _read(path: str, write: Future[Any]) -> Any:
    """A parked column's values: read back from `path` (then deleted), or those kept in
    memory when the write failed."""
    kept, error, offsets = write.result()
    if error is not None:
        return kept
    with open(path, "rb") as f:
        pieces = [pickle.load(f) for _ in offsets[1:]]
    os.remove(path)
    return _joined(pieces)


def _joined(pieces: list[Any]) -> Any:
    """A parked column's values from its pieces (in order)."""
    return pieces[0] if len(pieces) == 1 else type(pieces[0])._concat_same_type(pieces)


def _holds_any(table: pd.DataFrame, columns: list[pd.Series]) -> bool:
    """Whether a column of `table` is a view of the memory of one of `columns` (the same
    underlying buffer: rows of one block of columns built together)."""
    gone = {id(_owner(c)) for c in columns} - {id(None)}
    return any(id(_owner(table[c])) in gone for c in table.columns)


def _owner(column: pd.Series) -> object:
    """The object owning the memory of `column`'s numpy array, found without a copy (the
    end of the array's chain of bases); None for other arrays."""
    if not isinstance(column.dtype, np.dtype) or column.dtype == object:
        return None
    values: Any = column.to_numpy(copy=False)
    while isinstance(values, np.ndarray) and values.base is not None:
        values = values.base
    return values


def _read_piece(parked: _Parked, i: int) -> Any:
    """Piece `i` of a parked column's values (empty past its last row)."""
    kept, error, offsets = parked.write.result()
    if error is not None:
        return kept[i * PIECE_ROWS : (i + 1) * PIECE_ROWS]
    if i + 1 >= len(offsets):
        return parked.first[:0]
    with open(parked.path, "rb") as f:
        f.seek(offsets[i])
        return pickle.load(f)


def _on_rows(
    part: pd.DataFrame, index: pd.Index, fits: dict[int, str], rows: pd.Index
) -> pd.DataFrame:
    """`part` (one parked column on the rows `rows` it was parked on: the index object
    the park holds) on the rows `index`: the same rows; those followed by the prospects the
    classes appended (the missing values and dtypes of
    :func:`~kamseg._validation.append_ids`); or any other (reindexed). `fits` keeps what
    was found of each set of parked rows (10M text ids compare slowly), by the identity of
    `rows`, which lives as long as the park (``part.index`` may be a new object each time,
    whose identity a later one can take)."""
    fit = _fit(rows, index, fits)
    if fit == "same":
        return part.set_axis(index)
    return part.reindex(index) if fit == "other" else extended(part, index)


def _fit(rows: pd.Index, index: pd.Index, fits: dict[int, str]) -> str:
    """How parked `rows` sit on the table's rows `index`: ``"same"``, ``"prospects"`` (the
    first rows of `index`) or ``"other"``; kept in `fits` (10M text ids compare slowly)."""
    fit = fits.get(id(rows))
    if fit is None:
        same = index.equals(rows)
        fit = "same" if same else "prospects" if index[: len(rows)].equals(rows) else "other"
        fits[id(rows)] = fit
    return fit


def _final_dtype(parked: _Parked, index: pd.Index, fit: str) -> Any:
    """The dtype of a parked column put back on the table's rows `index` (``"same"`` or
    ``"prospects"``), found from its first value (the file is not read)."""
    first = pd.Series(parked.first, index=parked.rows[: len(parked.first)], copy=False)
    if fit == "same" or len(index) == len(parked.rows):
        return first.dtype
    one = index[: len(first)].append(index[len(parked.rows) : len(parked.rows) + 1])
    return extended(first.to_frame(), one).dtypes.iloc[0]


def _n_pieces(n_rows: int) -> int:
    """The pieces of a column of `n_rows` values (one, empty, for no value)."""
    return max(1, -(-n_rows // PIECE_ROWS))
