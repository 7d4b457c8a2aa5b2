"""Files safely read and written: ids read as text, atomic and all-or-nothing writes,
spreadsheet-safe text.

- :func:`read_csv`: a CSV file whose id columns are text, with only empty cells missing.
- :func:`atomic_write`: one file, written to a hidden sibling and renamed over the target, so
  a failed write never leaves a partial file.
- :func:`staged_writes`: several files that appear together or not at all (the CLI's table,
  report and settings file): each is written to a hidden sibling at once, and all are renamed
  into place only when the block ends without an error.
- :func:`escape_formulas`: a copy of a table whose text cells cannot be taken for formulas
  by a spreadsheet (CSV injection).

Errors name the user's path, never the hidden temporary file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CSV_ENCODINGS",
    "FORMULA_STARTS",
    "StagedWrites",
    "atomic_write",
    "escape_formulas",
    "read_csv",
    "staged_writes",
]

#: pandas' default NA strings (``pandas.read_csv``), in case this pandas does not say them.
_DEFAULT_NA = frozenset(
    {
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    }
)


def _na_strings() -> list[str]:
    """The strings pandas reads as NA by default."""
    import importlib

    try:  # pandas' own list, where this version keeps it
        values = importlib.import_module("pandas._libs.parsers").STR_NA_VALUES
    except (ImportError, AttributeError):  # pragma: no cover - a pandas that moved it
        values = _DEFAULT_NA
    return sorted(str(v) for v in values)


#: The encodings a CSV file is read in, in order: UTF-8 (a byte-order mark allowed), then
#: Windows-1252 (Excel's "CSV" in Western Europe and America: Latin-1 with curly quotes,
#: the euro sign, ...), then Latin-1, which reads any bytes.
CSV_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def read_csv(
    path: str | os.PathLike[str], *, id_columns: Sequence[str] = (), func: str = "read_csv"
) -> pd.DataFrame:
    r"""Read a CSV file into pandas.

    The `id_columns` that the file has are read as text, and only their empty cells are
    missing: ids ``NA``, ``None``, ``null``, ``N/A``, ``nan`` are ids, ``007`` keeps its
    zeros. Every other column gets pandas' usual types and NA strings.

    The text is UTF-8 (with or without a byte-order mark). A file that is not (an export
    saved as Windows-1252 or Latin-1, such as the public "Online Retail" CSV with its
    ``£`` signs) is read in the first of :data:`CSV_ENCODINGS` that decodes it, with one
    :class:`~kamseg.errors.KamsegWarning` (named after `func`) that says which. Other
    errors are pandas' (``EmptyDataError``, ``ParserError``, ...).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "t.csv"
    ...     _ = path.write_text("id,x\nNA,NA\n007,1\n,2\n")
    ...     frame = read_csv(path, id_columns=["id"])
    >>> frame["id"].tolist(), frame["x"].isna().tolist()
    (['NA', '007', nan], [True, False, False])
    """
    for encoding in CSV_ENCODINGS:
        try:
            frame = _read_csv(path, id_columns, encoding)
        except UnicodeDecodeError as exc:
            if encoding == CSV_ENCODINGS[-1]:  # pragma: no cover - Latin-1 reads any byte
                raise
            if encoding == CSV_ENCODINGS[0]:
                first = exc
            continue
        if encoding != CSV_ENCODINGS[0]:
            from kamseg._validation import warn

            byte = first.object[first.start : first.start + 1].hex() if first.object else "?"
            name = {"cp1252": "Windows-1252", "latin-1": "Latin-1"}[encoding]
            warn(
                f"{func}: {str(path)!r} is not UTF-8 text (byte 0x{byte} at position "
                f"{first.start}); read as {name}. Hint: if its text looks wrong (e.g. a "
                "GBK file), save it as UTF-8 (in Excel: CSV UTF-8).",
                stacklevel=3,
            )
        return frame
    raise AssertionError("unreachable")  # pragma: no cover


def _read_csv(
    path: str | os.PathLike[str], id_columns: Sequence[str], encoding: str
) -> pd.DataFrame:
    import pandas as pd

    header = list(pd.read_csv(path, nrows=0, encoding=encoding).columns)
    ids = [c for c in dict.fromkeys(id_columns) if c in header]
    if not ids:
        return pd.read_csv(path, encoding=encoding)
    default = _na_strings()
    return pd.read_csv(
        path,
        encoding=encoding,
        dtype=dict.fromkeys(ids, str),
        keep_default_na=False,
        na_values={c: [""] if c in ids else default for c in header},
    )


def _temp_sibling(path: Path) -> Path:
    """A hidden, unique file name next to `path` (same folder, so the rename is atomic)."""
    folder = path.parent if str(path.parent) else Path(".")
    return folder / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"


def _naming_path(exc: BaseException, tmp: Path, path: Path) -> BaseException | None:
    """`exc` retold with `path` for the temporary file `tmp`; None when it does not name it.

    An OSError keeps its errno (and so its subclass: ``PermissionError``, ...)."""
    message = str(exc)
    if isinstance(exc, OSError) and exc.errno is not None and exc.strerror:
        return OSError(exc.errno, exc.strerror, os.fspath(path))
    if str(tmp) in message or tmp.name in message:
        told = message.replace(str(tmp), os.fspath(path)).replace(tmp.name, path.name)
        return OSError(told)
    return None


def _write_temp(path: Path, tmp: Path, write: Callable[[Path], object]) -> None:
    """``write(tmp)``; an error that names `tmp` is raised again naming `path`."""
    try:
        write(tmp)
    except Exception as exc:
        told = _naming_path(exc, tmp, path)
        if told is None:
            raise
        raise told from exc


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a hidden sibling of `path`, then rename it over `path`.

    The temporary file sits in the target folder (so the rename is atomic) and is created
    with the usual permissions (``mkstemp`` would give 0600). On any failure it is removed
    and the exception propagates (an ``OSError`` names `path`, not the temporary file); an
    existing `path` is left as it was.
    """
    path = Path(path)
    tmp = _temp_sibling(path)
    try:
        _write_temp(path, tmp, write)
        _replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _replace(tmp: Path, path: Path) -> None:
    try:
        os.replace(tmp, path)
    except OSError as exc:
        told = _naming_path(exc, tmp, path)
        if told is None:
            raise
        raise told from exc


class StagedWrites:
    """The files of one :func:`staged_writes` block: written now, moved into place at its end."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []  # (temporary file, target)

    def write(self, path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
        """Call ``write(tmp)`` on a hidden sibling of `path` now; return `path`.

        The file is moved over `path` when the block ends without an error, and removed
        otherwise. An error names `path`, never the temporary file.
        """
        target = Path(path)
        if any(target == staged for _, staged in self._staged):
            raise ValueError(f"staged_writes: {os.fspath(target)!r} is written twice.")
        tmp = _temp_sibling(target)
        self._staged.append((tmp, target))  # first: a partial temporary file is removed too
        _write_temp(target, tmp, write)
        return target

    @property
    def paths(self) -> list[Path]:
        """The target paths, in the order they were written."""
        return [target for _, target in self._staged]

    def _commit(self) -> None:
        while self._staged:
            tmp, target = self._staged[0]
            _replace(tmp, target)
            self._staged.pop(0)

    def _discard(self) -> None:
        for tmp, _ in self._staged:
            tmp.unlink(missing_ok=True)
        self._staged.clear()


@contextmanager
def staged_writes() -> Iterator[StagedWrites]:
    """All-or-nothing writes: files written in the block appear only if the block succeeds.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = Path(folder) / "a.txt"
    ...     try:
    ...         with staged_writes() as stage:
    ...             _ = stage.write(out, lambda tmp: tmp.write_text("a"))
    ...             raise RuntimeError("the second file failed")
    ...     except RuntimeError:
    ...         pass
    ...     out.exists(), os.listdir(folder)
    (False, [])

    Each file is written at once to a hidden sibling of its target (so a full disk shows up
    while the block runs); when the block ends without an error they are renamed over
    their targets, one atomic rename each, in the order written. On an error in the block
    (or in a write) every temporary file is removed and no target is touched.
    """
    stage = StagedWrites()
    try:
        yield stage
        stage._commit()
    finally:
        stage._discard()


#: First characters that make a spreadsheet read a text cell as a formula (OWASP, CSV
#: injection): ``=``, ``+``, ``-``, ``@``, tab and carriage return.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def _escaped(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _escaped_items(values: pd.Series | pd.Index) -> list[Any] | None:
    """The values with their formula-like text escaped; None when none is."""
    items = list(values)
    escaped = [_escaped(v) for v in items]
    return None if all(a is b for a, b in zip(escaped, items, strict=True)) else escaped


def _is_text(dtype: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype))


def _escape_column(column: pd.Series) -> pd.Series | None:
    """`column` with its formula-like text escaped; None when none is."""
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = list(column.cat.categories)
        renamed = [_escaped(c) for c in categories]
        if renamed == categories:
            return None
        if len(set(renamed)) == len(renamed):  # order and codes stay as they were
            return column.cat.rename_categories(renamed)
        column = column.astype(object)
    elif not _is_text(column.dtype):
        return None  # numbers, dates, booleans: never text
    escaped = _escaped_items(column)
    if escaped is None:
        return None
    return pd.Series(escaped, index=column.index, name=column.name, dtype=column.dtype)


def _escape_index(index: pd.Index) -> pd.Index:
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        levels = [_escape_index(index.get_level_values(i)) for i in range(index.nlevels)]
        return pd.MultiIndex.from_arrays(levels, names=[_escaped(n) for n in index.names])
    name = _escaped(index.name)
    text = _is_text(index.dtype) or isinstance(index, pd.CategoricalIndex)
    escaped = _escaped_items(index) if text else None
    if escaped is None:
        renamed: pd.Index = index.rename(name)
        return renamed
    dtype = object if isinstance(index, pd.CategoricalIndex) else index.dtype
    result: pd.Index = pd.Index(escaped, name=name, dtype=dtype)
    return result


def escape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` safe to open in a spreadsheet: text that could run as a formula is
    prefixed with ``'``.

    A text cell, index value (e.g. a customer id), column name or index name that starts
    with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``
    (OWASP's advice against CSV injection), so Excel, LibreOffice and Google Sheets show
    it as text. Numbers, dates and booleans are never changed (a negative number stays a
    number); categorical columns keep their categories' order. `df` is not modified.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"name": ["=1+1", "Ann", "-x"], "n": [-1, 2, 3]},
    ...                   index=pd.Index(["@a", "b", "c"], name="id"))
    >>> escape_formulas(df)
          name  n
    id
    '@a  '=1+1 -1
    b      Ann  2
    c      '-x  3
    """
    out = df.copy(deep=False)
    out.columns = _escape_index(df.columns)
    for i in range(df.shape[1]):
        escaped = _escape_column(df.iloc[:, i])
        if escaped is not None:
            out.isetitem(i, escaped.array)
    out.index = _escape_index(df.index)
    return out
