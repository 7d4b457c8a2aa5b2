"""Validation helpers shared by every public function.

Messages name the function, the argument, what was found, and end with a hint.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kamseg.errors import ColumnNotFoundError, ConfigError, EmptyInputError, SchemaError

__all__ = [
    "append_ids",
    "as_of_day",
    "check_choice",
    "check_columns",
    "check_customers",
    "check_frame",
    "check_int",
    "check_no_overwrite",
    "customer_ids",
    "examples",
    "extended",
    "match_master",
    "positions_in",
    "to_datetime",
    "to_float",
    "warn",
]

_N_EXAMPLES = 3
_TZ_MIX = re.compile(r"tz-aware|tz-naive|timezone|time zone|utc=True", re.IGNORECASE)


def warn(message: str, *, stacklevel: int = 3) -> None:
    """Issue a :class:`~kamseg.errors.KamsegWarning` pointing at the caller's caller."""
    from kamseg.errors import KamsegWarning

    warnings.warn(message, KamsegWarning, stacklevel=stacklevel)


def examples(values: Iterable[Any], n: int = _N_EXAMPLES) -> str:
    """Return a short, readable list of the first `n` distinct values (numpy scalars as
    the Python values they hold: -9.9, not np.float64(-9.9))."""
    seen: list[str] = []
    for v in values:
        r = repr(v.item() if isinstance(v, np.generic) else v)
        if r not in seen:
            seen.append(r)
        if len(seen) == n:
            break
    return ", ".join(seen)


def check_frame(obj: object, *, func: str, arg: str, allow_empty: bool = False) -> pd.DataFrame:
    """Check that `obj` is a pandas DataFrame (and, by default, not empty)."""
    if not isinstance(obj, pd.DataFrame):
        kind = type(obj)
        where = kind.__module__.split(".")[0]
        name = kind.__name__ if where == "builtins" else f"{where}.{kind.__name__}"
        hint = (
            f"convert it with .{'toPandas' if hasattr(obj, 'toPandas') else 'to_pandas'}() "
            "first (kamseg.summarize and kamseg.segment take it as it is)"
            if hasattr(obj, "to_pandas") or hasattr(obj, "toPandas")
            else "build one with pandas.read_csv or pandas.read_parquet"
        )
        raise TypeError(f"{func}: `{arg}` must be a pandas DataFrame, got {name}. Hint: {hint}.")
    if not allow_empty and len(obj) == 0:
        raise EmptyInputError(f"{func}: `{arg}` has no rows. Hint: check the filter upstream.")
    return obj


def check_columns(df: pd.DataFrame, columns: Mapping[str, Hashable | None], *, func: str) -> None:
    """Check that each column named by an argument exists in `df`.

    Parameters
    ----------
    columns
        Mapping of argument name to column name; ``None`` values are skipped.
    """
    existing = [str(c) for c in df.columns]
    for arg, col in columns.items():
        if col is None or col in df.columns:
            continue
        close = difflib.get_close_matches(str(col), existing, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else f" Pass {arg}=<one of these>."
        shown = ", ".join(repr(c) for c in existing[:20]) + (" ..." if len(existing) > 20 else "")
        raise ColumnNotFoundError(
            f"{func}: column {col!r} (argument `{arg}`) is not in the data; "
            f"columns are {shown}.{hint}"
        )


def check_choice(value: Any, choices: Collection[Any], *, func: str, arg: str) -> None:
    """Check that `value` is one of `choices`."""
    if value not in choices:
        by_case = [str(c) for c in choices if str(c).lower() == str(value).lower()]
        close = by_case or difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"{func}: `{arg}` must be one of {', '.join(repr(c) for c in choices)}; "
            f"got {value!r}.{hint}"
        )


def check_int(
    value: Any, *, func: str, arg: str, low: int | None = None, high: int | None = None
) -> int:
    """Check that `value` is an integer within ``[low, high]``; return it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ConfigError(f"{func}: `{arg}` must be an integer; got {value!r}.")
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else str(low)
        hi = "inf" if high is None else str(high)
        raise ConfigError(f"{func}: `{arg}` must be between {lo} and {hi}; got {value}.")
    return int(value)


def check_no_overwrite(
    df: pd.DataFrame, new_columns: Iterable[str], *, func: str, overwrite: bool
) -> None:
    """Refuse to replace existing columns unless ``overwrite=True``."""
    if overwrite:
        return
    clash = [c for c in new_columns if c in df.columns]
    if clash:
        raise ConfigError(
            f"{func}: the input already has column(s) {', '.join(map(repr, clash))}. "
            "Hint: pass overwrite=True to replace them, or drop them first."
        )


def to_datetime(values: pd.Series, *, func: str, col: str) -> pd.Series:
    """Parse a column of dates into naive ``datetime64`` values.

    Accepts ``datetime64`` of any unit, ``datetime.date``/``datetime`` objects, ISO 8601
    strings and the numeric dates of spreadsheet exports ("12/1/2010 8:26", "01.12.2010":
    day and month in the one order that every value fits). Time-zone-aware values with
    one zone are converted to that zone's wall-clock time and made naive. Nulls are kept
    as ``NaT`` (callers decide on them).

    Raises
    ------
    SchemaError
        If some values cannot be parsed, or if they mix time zones or aware and naive values.
    """
    s = values
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        naive: pd.Series = s.dt.tz_localize(None)
        return naive
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return s
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise SchemaError(
            f"{func}: column {col!r} holds numbers ({s.dtype}), not dates; examples: "
            f"{examples(s.dropna())}. Hint: convert with pandas.to_datetime(..., format=...)."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(s, format="ISO8601")
        except (ValueError, TypeError, OverflowError) as exc:
            if _TZ_MIX.search(str(exc)):
                raise SchemaError(
                    f"{func}: column {col!r} mixes time zones, or aware and naive dates. "
                    "Hint: convert all dates to one time zone first."
                ) from exc
            parsed = pd.to_datetime(s, errors="coerce", format="ISO8601")
    bad = parsed.isna() & s.notna()
    if bad.any():
        numeric = _numeric_dates(s, func=func, col=col)
        if numeric is not None:
            return numeric
        raise SchemaError(
            f"{func}: {int(bad.sum())} value(s) of column {col!r} are not dates; examples: "
            f"{examples(s[bad])}. Hint: use ISO 8601 text (2024-01-31) or datetime values."
        )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    return parsed


#: Day, month and four-digit year in either order, separated by "/", "." or "-", with an
#: optional time (the dates of spreadsheet exports: "12/1/2010 8:26", "01.12.2010").
_NUMERIC_DATE = (
    r"^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*$"
)


def _numeric_dates(s: pd.Series, *, func: str, col: str) -> pd.Series | None:
    """Text dates of spreadsheet exports (see :data:`_NUMERIC_DATE`), every value in one
    order: month first when some second number is above 12 ("12/13/2010"), day first when
    some first number is ("13/12/2010"). None when a value is of another form or no order
    fits; :class:`SchemaError` when both orders fit and they differ (every number at most
    12: "03/04/2024" is March or April)."""
    present = s[s.notna()]
    if not len(present) or not all(isinstance(v, str) for v in present.iloc[:1000]):
        return None
    uniq = pd.Index(pd.unique(present.to_numpy(dtype=object)))
    if not all(isinstance(v, str) for v in uniq):
        return None
    parts = pd.Series(uniq, dtype=object).str.extract(_NUMERIC_DATE)
    if parts[0].isna().any():
        return None
    first, second = parts[0].astype(np.int64), parts[2].astype(np.int64)
    month_first, day_first = bool((first <= 12).all()), bool((second <= 12).all())
    if month_first and day_first and not (first == second).all():
        shown = examples(uniq[(first != second).to_numpy()])
        raise SchemaError(
            f"{func}: the dates of column {col!r} could be month/day or day/month (no "
            f"number above 12), e.g. {shown}. Hint: convert them to ISO 8601 text "
            "(2024-01-31) or to datetime values first."
        )
    if not (month_first or day_first):
        return None
    month, day = (first, second) if month_first else (second, first)
    seconds = parts[6].fillna("0").astype(np.int64).to_numpy()
    fraction = pd.to_numeric(parts[7].fillna("0").str.lstrip(".").str.ljust(9, "0"))
    stamps = pd.to_datetime(
        pd.DataFrame(
            {
                "year": parts[3].astype(np.int64),
                "month": month,
                "day": day,
                "hour": parts[4].fillna("0").astype(np.int64),
                "minute": parts[5].fillna("0").astype(np.int64),
                "second": seconds,
                "ns": fraction.astype(np.int64),
            }
        ),
        errors="coerce",
    )
    if stamps.isna().any():  # e.g. 31/02/2024, 25:00
        return None
    at = uniq.get_indexer(present.to_numpy(dtype=object))
    out = pd.Series(pd.NaT, index=s.index, dtype=stamps.dtype)
    out[s.notna().to_numpy()] = stamps.to_numpy()[at]
    return out


def to_float(values: pd.Series, *, func: str, col: str) -> np.ndarray:
    """Return a numeric column as a float64 array; nulls become NaN.

    Raises
    ------
    SchemaError
        If values are not numbers, or are infinite.
    """
    s = values
    if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & s.notna()
        if pd.api.types.is_bool_dtype(s.dtype) or bad.any():
            shown = s[bad] if bad.any() else s
            raise SchemaError(
                f"{func}: {int(bad.sum()) or len(s)} value(s) of column {col!r} are not "
                f"numbers; examples: {examples(shown)}. Hint: clean the column or pass "
                "another column name."
            )
        s = num
    arr = s.to_numpy(dtype=np.float64, na_value=np.nan)
    inf = np.isinf(arr)
    if inf.any():
        raise SchemaError(
            f"{func}: {int(inf.sum())} value(s) of column {col!r} are infinite. "
            "Hint: replace them with real amounts or drop those rows."
        )
    return arr


def as_of_day(as_of: Any, *, func: str) -> int | None:
    """Day number (days since 1970-01-01) of an `as_of` date; None stays None.

    Only the day counts: times of day are dropped, aware dates use their wall-clock day.
    """
    if as_of is None:
        return None
    if isinstance(as_of, bool | int | float | np.number):
        raise ConfigError(f"{func}: `as_of` must be a date (e.g. '2024-12-31'); got {as_of!r}.")
    try:
        ts = pd.Timestamp(as_of)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{func}: `as_of` must be a date (e.g. '2024-12-31'); got {as_of!r}."
        ) from exc
    if pd.isna(ts):
        raise ConfigError(
            f"{func}: `as_of` must be a date, not NaT. Hint: pass None for the latest date."
        )
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return int((ts.normalize() - pd.Timestamp(0)).days)


def customer_ids(master: object, *, func: str, arg: str = "master") -> pd.Index:
    """The distinct customer ids of a master table (its index) or of a list of ids."""
    if isinstance(master, pd.DataFrame):
        ids = master.index
    elif isinstance(master, pd.Index):
        ids = master
    elif isinstance(master, pd.Series | np.ndarray | Sequence) and not isinstance(
        master, str | bytes
    ):
        ids = pd.Index(master if isinstance(master, pd.Series) else np.asarray(master))
    else:
        raise ConfigError(
            f"{func}: `{arg}` must be a customer master DataFrame (its index holds the "
            f"ids) or a list of customer ids; got {type(master).__name__}."
        )
    if ids.hasnans:
        raise SchemaError(
            f"{func}: `{arg}` holds {int(np.count_nonzero(ids.isna()))} null customer id(s). "
            "Hint: drop them first."
        )
    return ids.unique()


def match_master(
    customers: pd.DataFrame, master: object, *, func: str, arg: str = "master"
) -> tuple[np.ndarray, pd.Index]:
    """Match the customer table with the master.

    Returns whether each customer row is in the master, and the master ids without a
    row (the prospects, in master order). Warns with the count of customers that the
    master does not know.
    """
    ids = customer_ids(master, func=func, arg=arg)
    index = customers.index
    if not index.is_unique:
        raise SchemaError(
            f"{func}: the index of `customers` has duplicated ids, e.g. "
            f"{examples(index[index.duplicated()])}; the master is matched by id. Hint: "
            "aggregate to one row per customer first."
        )
    in_master, known = both_in(index, ids)
    numeric = pd.api.types.is_numeric_dtype
    if len(ids) and not known.any() and numeric(ids.dtype) != numeric(index.dtype):
        raise ConfigError(
            f"{func}: none of the ids in `{arg}` ({ids.dtype}) is in the index of "
            f"`customers` ({index.dtype}). Hint: convert the ids to one type."
        )
    n_unknown = int(np.count_nonzero(~in_master))
    if n_unknown:
        warn(
            f"{func}: {n_unknown} of {len(index)} customer(s) are not in `{arg}`, e.g. "
            f"{examples(index[~in_master])}; they are handled from their purchases as usual. "
            "Hint: check that the customer table and the master come from the same source.",
            stacklevel=4,
        )
    return in_master, ids[~known]


def both_in(a: pd.Index, b: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """``a.isin(b)`` and ``b.isin(a)`` (bool arrays). Whole-number ids spanning a range of
    at most a few times their count are marked in a table of the range instead of hashed
    (10M ids and 11.1M: 0.27 s against 1.06 s); other ids are hashed by pandas."""
    x, y = a.to_numpy(), b.to_numpy()
    if x.dtype.kind == "i" and y.dtype.kind == "i" and x.size and y.size:
        lo = min(int(x.min()), int(y.min()))
        span = max(int(x.max()), int(y.max())) - lo + 1
        if span <= 4 * (x.size + y.size) + (1 << 16):
            x, y = x.astype(np.int64) - lo, y.astype(np.int64) - lo  # 0 .. span - 1
            in_y = np.zeros(span, dtype=bool)
            in_y[y] = True
            in_x = np.zeros(span, dtype=bool)
            in_x[x] = True
            return in_y[x], in_x[y]
    return np.asarray(a.isin(b), dtype=bool), np.asarray(b.isin(a), dtype=bool)


def append_ids(customers: pd.DataFrame, new_ids: pd.Index) -> pd.DataFrame:
    """`customers` with one empty row per new id appended (index name kept): what
    ``customers.reindex(customers.index.append(new_ids))`` gives, each column's type made
    able to hold the missing values as reindexing makes it (int to float, bool to object),
    without looking up every existing id (about 1.5 s a million rows with 80 columns)."""
    name = customers.index.name
    empty = customers.iloc[:0].reindex(pd.Index(new_ids))  # the reindexed column types
    if empty.empty and not len(customers.columns):  # no columns: the index is the table
        return customers.reindex(customers.index.append(new_ids).rename(name))
    out = pd.concat([customers, empty], axis=0)
    out.index = out.index.rename(name)
    return out


def extended(customers: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """`customers` on `index`, which is its ids followed by new ones: the rows, missing
    values and column types of :func:`append_ids`, with `index` as the index (not built
    again by appending)."""
    empty = customers.iloc[:0].reindex(index[len(customers) :])
    both = [customers.reset_index(drop=True), empty.reset_index(drop=True)]
    return pd.concat(both, ignore_index=True).set_axis(index)


def reindexed(values: pd.Series, index: pd.Index) -> pd.Series:
    """``values.reindex(index)``, without looking up every id when `index` is the values'
    own ids or those followed by new ones (the prospects the classes append): 10M text
    ids take seconds to look up."""
    n = len(values)
    if len(index) >= n and index[:n].equals(values.index):
        return extended(values.to_frame(), index)[values.name]
    return values.reindex(index)


def check_customers(customers: object, *, func: str, arg: str = "customers") -> pd.DataFrame:
    """Check that `customers` is a non-empty DataFrame whose index (customer ids) is unique."""
    df = check_frame(customers, func=func, arg=arg)
    if not df.index.is_unique:
        raise SchemaError(
            f"{func}: the index of `{arg}` has duplicated ids, e.g. "
            f"{examples(df.index[df.index.duplicated()])}. Hint: aggregate to one row per "
            "customer first (e.g. with kamseg.summarize)."
        )
    return df


#: Numeric queries from this many on are sorted before they are looked up in a sorted
#: array of this size or more (:func:`search_sorted`).
_SORT_QUERIES_FROM = 1 << 15


def search_sorted(a: np.ndarray, v: np.ndarray, *sides: str) -> tuple[np.ndarray, ...]:
    """``np.searchsorted(a, v, side)`` for each of `sides` (default ``"left"``): the same
    positions, found faster for many numeric queries. Binary searches of unsorted keys in a
    large array miss the cache at every step (10M in 10M: 11 s); numpy's search of sorted
    keys starts each from the last one's bounds, so the keys are sorted once, searched and
    put back in place (1.5 s). Each position depends only on its key: same result."""
    sides = sides or ("left",)
    v = np.asarray(v)
    numeric = a.dtype.kind in "iuf" and v.dtype.kind in "iuf"
    if not numeric or v.ndim != 1 or min(a.size, v.size) < _SORT_QUERIES_FROM:
        return tuple(np.searchsorted(a, v, side=side) for side in sides)  # type: ignore[call-overload]
    order = np.argsort(v)
    keys = v[order]
    out = []
    for side in sides:
        at = np.empty(v.size, dtype=np.intp)
        at[order] = np.searchsorted(a, keys, side=side)  # type: ignore[call-overload]
        out.append(at)
    return tuple(out)


def positions_in(values: pd.Series, keys: pd.Index) -> np.ndarray:
    """Position of each value of `values` in the unique index `keys` (-1: absent or null)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat_pos = np.append(keys.get_indexer(values.cat.categories), -1)
        codes = values.cat.codes.to_numpy(dtype=np.int64)
        return np.asarray(cat_pos[codes], dtype=np.int64)  # code -1 picks the appended -1
    return np.asarray(keys.get_indexer(pd.Index(values)), dtype=np.int64)
