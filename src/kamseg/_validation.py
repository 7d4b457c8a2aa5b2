"""Validation helpers shared by every public function.

Messages name the function, the argument, what was found, and end with a hint.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Collection, Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from kamseg.errors import ColumnNotFoundError, ConfigError, EmptyInputError, SchemaError

__all__ = [
    "check_choice",
    "check_columns",
    "check_frame",
    "check_int",
    "check_no_overwrite",
    "examples",
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
    """Return a short, readable list of the first `n` distinct values."""
    seen: list[str] = []
    for v in values:
        r = repr(v)
        if r not in seen:
            seen.append(r)
        if len(seen) == n:
            break
    return ", ".join(seen)


def check_frame(obj: object, *, func: str, arg: str, allow_empty: bool = False) -> pd.DataFrame:
    """Check that `obj` is a pandas DataFrame (and, by default, not empty)."""
    if not isinstance(obj, pd.DataFrame):
        raise TypeError(
            f"{func}: `{arg}` must be a pandas DataFrame, got {type(obj).__name__}. "
            "Hint: build one with pandas.read_csv or pandas.read_parquet."
        )
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

    Accepts ``datetime64`` of any unit, ``datetime.date``/``datetime`` objects and ISO 8601
    strings. Time-zone-aware values with one zone are converted to that zone's wall-clock
    time and made naive. Nulls are kept as ``NaT`` (callers decide on them).

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
        raise SchemaError(
            f"{func}: {int(bad.sum())} value(s) of column {col!r} are not dates; examples: "
            f"{examples(s[bad])}. Hint: use ISO 8601 text (2024-01-31) or datetime values."
        )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    return parsed


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
