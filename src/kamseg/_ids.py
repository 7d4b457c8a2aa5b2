"""Customer ids, read one way everywhere: the transactions' and the side tables'.

Layer 0. :func:`normalise_ids` is the rule for the distinct ids of a table (stray spaces,
mixed types, whole-number floats); :func:`align_ids` makes a side table's ids (master,
surveys, complaints) the same kind as the customer table's, so that ``17850`` and
``"17850"`` name one customer whichever table they come from.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "align_ids",
    "compact_codes",
    "customer_codes",
    "id_kind",
    "id_text",
    "normalise_ids",
    "notice_mixed_ids",
    "notice_stripped_ids",
]

_WHOLE_NUMBER_TEXT = r"-?\d+(?:\.0+)?"
_INTEGER_TEXT = r"-?\d+"


def normalise_ids(index: pd.Index) -> tuple[pd.Index, list[str]]:
    """Distinct ids normalised, and the notices of what changed.

    - text ids lose surrounding spaces (``" 17850"`` is ``"17850"``), counted in a notice;
      an id of spaces only becomes missing;
    - ids of mixed types (``1`` and ``"1"``, as from concatenated exports) are all read as
      text (whole numbers without a fraction), counted in a notice;
    - whole-number floats (``17850.0``, what pandas makes of an integer id column with
      blanks) become integers, and text ids that all read as whole numbers, some with a
      ``.0`` (``"17850.0"``, or ``"17850"`` and ``"17850.0"`` from two exports), lose
      the ``.0``: all show as 17850.

    The result may hold duplicates (ids made equal) and missing values; the caller merges.
    """
    notices: list[str] = []
    if isinstance(index.dtype, pd.CategoricalDtype):  # the values, not the codes
        index = pd.Index(index.astype(index.dtype.categories.dtype), name=index.name)
    if index.dtype.kind == "f":
        values = index.to_numpy()
        known = values[~np.isnan(values)]
        if (
            known.size
            and bool((np.mod(known, 1) == 0).all() and (np.abs(known) < 2**53).all())
            and known.size == values.size
        ):
            index = pd.Index(values.astype(np.int64), name=index.name)
        return index, notices
    kind = pd.api.types.infer_dtype(index, skipna=True)
    if kind in ("mixed-integer", "mixed-integer-float", "mixed"):  # e.g. 1 and "1"
        types = sorted({type(v).__name__ for v in index if not pd.isna(v)})
        index = _as_text(index)
        notices.append(notice_mixed_ids(len(index), types))
        kind = "string"
    if kind == "string":
        text = index.str.strip()
        changed = int(np.sum(np.asarray(text != index, dtype=bool) & index.notna()))
        if changed:
            notices.append(notice_stripped_ids(changed))
        filled = text[text.notna() & (text != "")]
        if (
            len(filled)
            and bool(filled.str.contains(".0", regex=False).any())
            and bool(filled.str.fullmatch(_WHOLE_NUMBER_TEXT).all())
        ):
            text = text.str.replace(r"\.0+$", "", regex=True)
        blank = np.asarray(text == "", dtype=bool) & text.notna()
        index = text.where(~blank) if blank.any() else text
    return index, notices


def id_text(value: Any) -> str:
    """One id as text: whole numbers without a fraction (1.0 is "1")."""
    if isinstance(value, float | np.floating) and np.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value)


def _as_text(index: pd.Index) -> pd.Index:
    """Every id of `index` as text (:func:`id_text`); missing ones stay missing."""
    return pd.Index(
        [v if pd.isna(v) else id_text(v) for v in index], dtype=object, name=index.name
    )


def id_kind(index: pd.Index) -> str:
    """``"number"``, ``"text"`` or ``"other"``: the kind of a normalised id index."""
    if pd.api.types.is_numeric_dtype(index.dtype) and not pd.api.types.is_bool_dtype(index.dtype):
        return "number"
    kind = pd.api.types.infer_dtype(index, skipna=True)
    return "text" if kind in ("string", "empty") else "other"


def align_ids(values: pd.Index, like: pd.Index, *, arg: str) -> tuple[pd.Index, str | None]:
    """`values` (a side table's distinct ids) normalised and, when their kind differs from
    the customer ids `like`, converted to it where that is exact: integer text to integers
    for number ids, numbers to text for text ids. Returns the ids and a notice naming the
    mismatch and what the normalisation changed (None when nothing was said)."""
    values, changes = normalise_ids(values)
    said = "; ".join(f"{change} of `{arg}`" for change in changes) or None
    mine, theirs = id_kind(values), id_kind(like)
    if mine == theirs or len(values) == 0 or theirs == "other":
        return values, said
    if theirs == "number" and mine == "text":
        known = values[values.notna()]
        if not bool(known.str.fullmatch(_INTEGER_TEXT).all()):
            note = (
                f"the ids of `{arg}` are text and the customers' are numbers; the ids that "
                "are not whole numbers match no customer"
            )
            return values, "; ".join(x for x in (said, note) if x)
        numbers = pd.Series(values, dtype=object).map(lambda v: v if pd.isna(v) else int(v))
        converted = pd.Index(numbers, name=values.name)
    else:
        converted = _as_text(values)
    note = (
        f"the ids of `{arg}` are {mine} and the customers' are {theirs}: {len(values)} "
        f"id(s) of `{arg}` read as {theirs}"
    )
    return converted, "; ".join(x for x in (said, note) if x)


def notice_stripped_ids(n_ids: int) -> str:
    """The words for text ids with surrounding spaces, stripped."""
    return f"stripped surrounding spaces from {n_ids} customer id(s)"


def notice_mixed_ids(n_ids: int, types: list[str]) -> str:
    """The words for ids of mixed types, all read as text."""
    return (
        f"customer ids of mixed types ({', '.join(types)}): all {n_ids} read as text, so "
        "that 1 and '1' are one customer"
    )


def customer_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index, list[str]]:
    """Customer codes of each row (-1 for a missing id) in first-seen order, the distinct
    ids, and the notices of their normalisation.

    The ids are numbered in one hash pass; then the *distinct* ids are normalised, so the
    cost does not grow with the rows:

    - text ids lose surrounding spaces (``" 17850"`` is ``"17850"``), counted in a notice;
      an id of spaces only is missing;
    - ids of mixed types (``1`` and ``"1"``, as from concatenated exports) are all read as
      text, counted in a notice, so one customer is never two;
    - whole-number floats (``17850.0``, what pandas makes of an integer id column with
      blanks) become integers, and text ids that all read as whole-number floats
      (``"17850.0"``) lose the ``.0``: both show as 17850.

    Customers that become one id are merged (their codes joined).
    """
    codes, uniques = pd.factorize(values, sort=False)
    codes = codes.astype(np.int64, copy=False)
    index, notices = normalise_ids(pd.Index(uniques))
    # ids made equal (or missing) by the normalisation: one code each
    if len(index) and (not index.is_unique or index.hasnans):
        merged, index = pd.factorize(index, sort=False)
        merged = merged.astype(np.int64, copy=False)
        codes = np.where(codes >= 0, merged[np.maximum(codes, 0)], -1)
        index = pd.Index(index)
    return codes, index.rename(values.name), notices


def compact_codes(codes: np.ndarray, ids: pd.Index) -> tuple[np.ndarray, pd.Index]:
    """Codes renumbered to the ids that still have a row, in first-seen order of these
    rows (as if the kept rows alone had been numbered)."""
    renumbered, used = pd.factorize(codes, sort=False)
    return renumbered.astype(np.int64, copy=False), ids.take(used)
