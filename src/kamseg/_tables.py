"""Helpers for the columns of a customer table and for dated side tables (surveys, complaints).

Layer 0: used by the analyses that read such tables (health, alerts, ...), so that none of
them imports another; :func:`customer_column` is the one rule for the default customer id
column of the side tables (the name of the customer table's index).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kamseg._ids import align_ids
from kamseg._validation import (
    as_of_day,
    check_columns,
    check_frame,
    examples,
    to_datetime,
    to_float,
    warn,
)
from kamseg.errors import SchemaError

__all__ = [
    "DEFAULT_CUSTOMER_COL",
    "check_range",
    "customer_column",
    "end_day",
    "float_column",
    "join_text",
    "reasons_column",
    "side_table",
    "text_column",
]


#: The customer id column of side tables when `customers` has an unnamed index.
DEFAULT_CUSTOMER_COL = "customer_id"


def customer_column(customers: pd.DataFrame, customer_col: Hashable | None) -> Hashable:
    """The customer id column of the side tables (transactions, surveys, complaints, ...):
    `customer_col` when given, else the name of the index of `customers` (the column that
    :func:`kamseg.summarize` grouped by), else ``"customer_id"``."""
    if customer_col is not None:
        return customer_col
    name = customers.index.name if isinstance(customers, pd.DataFrame) else None
    return DEFAULT_CUSTOMER_COL if name is None else name


def float_column(customers: pd.DataFrame, col: str, *, func: str) -> np.ndarray:
    """A numeric column of `customers` as float64 (nulls NaN)."""
    return to_float(customers[col], func=func, col=col)


def check_range(
    values: np.ndarray,
    col: str,
    *,
    func: str,
    low: float = -math.inf,
    high: float = math.inf,
) -> None:
    """Raise SchemaError when a known value lies outside ``[low, high]``."""
    bad = ~np.isnan(values) & ((values < low) | (values > high))
    if bad.any():
        lo = "-inf" if math.isinf(low) else f"{low:g}"
        hi = "inf" if math.isinf(high) else f"{high:g}"
        raise SchemaError(
            f"{func}: {int(bad.sum())} value(s) of column {col!r} are outside [{lo}, {hi}]; "
            f"examples: {examples(values[bad])}. Hint: check which analysis wrote the column."
        )


def end_day(as_of: Any, customers: pd.DataFrame, *, func: str) -> int | None:
    """The `as_of` day, else the ``attrs["as_of"]`` of `customers`, else None."""
    day = as_of_day(as_of, func=func)
    if day is None and customers.attrs.get("as_of") is not None:
        day = as_of_day(customers.attrs["as_of"], func=func)
    return day


def side_table(
    frame: object,
    customers: pd.DataFrame,
    end: int | None,
    *,
    arg: str,
    customer_col: Hashable,
    date_col: Hashable,
    more: Mapping[str, Hashable | None],
    func: str,
    stacklevel: int = 4,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, int]:
    """Rows of a side table up to the end day: ``(rows, customer position, day, end)``.

    Rows after the end day and rows of customers that are not in `customers` are dropped
    with a warning (`stacklevel` as for :func:`kamseg._validation.warn`, counted from the
    caller of this function); null ids or dates raise. The end day defaults to the latest
    date.
    """
    df = check_frame(frame, func=func, arg=arg, allow_empty=True)
    check_columns(df, {"customer_col": customer_col, "date_col": date_col, **more}, func=func)
    if not customers.index.is_unique:
        raise SchemaError(
            f"{func}: the index of `customers` has duplicated ids, e.g. "
            f"{examples(customers.index[customers.index.duplicated()])}; `{arg}` is matched "
            "by id. Hint: aggregate to one row per customer first."
        )
    if len(df) == 0:
        empty = np.empty(0, dtype=np.int64)
        return df, empty, empty, (0 if end is None else end)
    ids = df[customer_col]
    dates = to_datetime(df[date_col], func=func, col=str(date_col))
    nulls = {str(customer_col): int(ids.isna().sum()), str(date_col): int(dates.isna().sum())}
    found = ", ".join(f"{v} in {k!r}" for k, v in nulls.items() if v)
    if found:
        raise SchemaError(
            f"{func}: `{arg}` has null values ({found}). Hint: drop or fill those rows first."
        )
    day = np.asarray(dates.to_numpy().astype("datetime64[D]").view(np.int64), dtype=np.int64)
    if end is None:
        end = int(day.max())
    keep = day <= end
    if not keep.all():
        warn(
            f"{func}: excluded {int((~keep).sum())} row(s) of `{arg}` dated after as_of "
            f"{np.datetime64(end, 'D')}.",
            stacklevel=stacklevel,
        )
    codes, uniques = pd.factorize(ids, sort=False)
    # ids of the customers' kind (17850 and "17850" are one customer), said once
    aligned, note = align_ids(pd.Index(uniques), customers.index, arg=arg)
    if note is not None:
        warn(f"{func}: {note}.", stacklevel=stacklevel)
    pos = np.asarray(customers.index.get_indexer(aligned), dtype=np.int64)[codes]
    unknown = keep & (pos < 0)
    if unknown.any():
        warn(
            f"{func}: excluded {int(unknown.sum())} row(s) of `{arg}` whose customer is not "
            f"in `customers`, e.g. {examples(ids[unknown])}. Hint: use the same customer "
            "base for both.",
            stacklevel=stacklevel,
        )
        keep &= ~unknown
    return df[keep], pos[keep], day[keep], end


def join_text(parts: Sequence[np.ndarray], sep: str) -> np.ndarray:
    """Row-wise join of equal-length object arrays of text, skipping empty strings."""
    if not parts:
        return np.array([], dtype=object)
    out = parts[0].copy()
    for part in parts[1:]:
        both = (out != "") & (part != "")
        out = np.where(both, out + sep + part, np.where(out == "", part, out))
    return np.asarray(out, dtype=object)


def text_column(values: np.ndarray, index: pd.Index) -> pd.Series:
    """A text column: pandas' default string dtype (``str`` on pandas 3, object on 2)."""
    return pd.Series(values, index=index, dtype=object).astype(str)


#: Customers whose reason texts are made at a time (memory): the warnings'
#: (:func:`reasons_column`) and the lifecycle's.
REASON_BLOCK = 1 << 20


def reasons_column(
    flags: np.ndarray, makers: Sequence[Any], index: pd.Index, sep: str
) -> pd.Series:
    """The text column of each customer's raised flags' texts, joined by `sep` in the
    flags' order ("" when none is raised).

    `flags` is (checks, customers) bool; ``makers[i](at)`` gives check i's texts of the
    customers at the sorted positions `at`, all flagged (None for a check that flags no
    one). The texts are made and joined a block of :data:`REASON_BLOCK` customers at a
    time, each block turned into the column's dtype before the next is made, so that the
    Python strings of one block alone are held (the same texts as one pass: each is made
    from its own customer's values).
    """
    n = flags.shape[1]
    n_flags = flags.sum(axis=0)
    blocks = []
    for a in range(0, max(n, 1), REASON_BLOCK):
        b = min(a + REASON_BLOCK, n)
        parts = []
        for flag, make in zip(flags[:, a:b], makers, strict=True):
            text = np.full(b - a, "", dtype=object)
            at = np.flatnonzero(flag)
            if at.size:
                text[at] = make(at + a)
            parts.append(text)
        # a customer with one flag has its text as it is; two or more are joined
        k = n_flags[a:b]
        reasons = np.full(b - a, "", dtype=object)
        for flag, text in zip(flags[:, a:b], parts, strict=True):
            one = flag & (k == 1)
            reasons[one] = text[one]
        several = np.flatnonzero(k > 1)
        reasons[several] = join_text([t[several] for t in parts], sep)
        del parts
        blocks.append(text_column(reasons, pd.RangeIndex(a, b)))
    out = blocks[0] if len(blocks) == 1 else pd.concat(blocks)
    out.index = index
    return out


# --------------------------------------------------------------------------------------
# health score
# --------------------------------------------------------------------------------------
