"""Reading and checking the inputs of kamseg.pareto (no analysis imports).

Cut-offs and shares, value columns and 1-D values (no nulls), the negative-value policy
and the zero total; for the pyramid, `inactive_days`, the inactive customers and the
prospects (found by id, then appended as rows).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from kamseg._validation import check_columns, check_frame, customer_ids, examples, to_float, warn
from kamseg.errors import ConfigError, EmptyInputError, SchemaError

# Public names of kamseg.pareto, defined here so that kamseg._pareto_fit (which kamseg.pareto
# imports) can use them too; kamseg.pareto re-exports them.

PyramidKind = Literal["value", "profit"]
"""``"value"``: Top / Big / Medium / Small by customer share on a value column;
``"profit"``: Platinum / Gold / Iron / Lead on profit."""

NegativePolicy = Literal["clip", "error"]
"""What to do with negative values where shares need non-negative values."""

#: Default ABC cut-offs: cumulative value shares ending class A and class B.
ABC_CUTOFFS: tuple[float, float] = (0.8, 0.95)
#: Default value-pyramid cut-offs: cumulative customer shares ending Top, Big and Medium.
VALUE_PYRAMID_CUTOFFS: tuple[float, float, float] = (0.01, 0.05, 0.20)
#: Default profit-pyramid cut-offs: cumulative customer shares ending Platinum and Gold.
PROFIT_PYRAMID_CUTOFFS: tuple[float, float] = (0.05, 0.20)
#: Columns added by :func:`pareto_table`, in order.
PARETO_COLUMNS: tuple[str, ...] = (
    "value_rank",
    "value_share",
    "cum_value_share",
    "cum_customer_share",
    "abc_class",
)

_VALUE_TIERS = ("Small", "Medium", "Big", "Top")
_PROFIT_TIERS = ("Lead", "Iron", "Gold", "Platinum")


# --------------------------------------------------------------------------------------
# cut-offs and shares
# --------------------------------------------------------------------------------------


def _check_cutoffs(
    cutoffs: object,
    size: int,
    *,
    func: str,
    example: tuple[float, ...],
    arg: str = "cutoffs",
) -> np.ndarray:
    """Return `size` strictly increasing cumulative shares in (0, 1] as a float array.

    `example` is the valid value the error message suggests.
    """
    ok = (
        isinstance(cutoffs, Sequence | np.ndarray)
        and not isinstance(cutoffs, str | bytes)
        and len(cutoffs) == size
        and all(
            isinstance(c, int | float | np.number) and not isinstance(c, bool) for c in cutoffs
        )
    )
    arr = np.asarray(cutoffs, dtype=np.float64) if ok else np.empty(0)
    if (
        not ok
        or not np.isfinite(arr).all()
        or (arr <= 0).any()
        or (arr > 1).any()
        or (np.diff(arr) <= 0).any()
    ):
        raise ConfigError(
            f"{func}: `{arg}` must be {size} strictly increasing cumulative shares in (0, 1]; "
            f"got {cutoffs!r}. Hint: e.g. {example}."
        )
    return arr


def _check_shares(values: object, *, func: str, arg: str) -> list[float]:
    ok = (
        isinstance(values, Sequence | np.ndarray)
        and not isinstance(values, str | bytes)
        and len(values) > 0
        and all(isinstance(s, int | float | np.number) and not isinstance(s, bool) for s in values)
    )
    arr = np.asarray(values, dtype=np.float64) if ok else np.empty(0)
    if not ok or not np.isfinite(arr).all() or (arr <= 0).any() or (arr > 1).any():
        shown = values[0] if arg == "target" and isinstance(values, list) else values
        raise ConfigError(
            f"{func}: `{arg}` must be {'a share' if arg == 'target' else 'shares'} in (0, 1]; "
            f"got {shown!r}. Hint: 0.2 means 20 %."
        )
    return [float(s) for s in arr]


# --------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------


def _column(df: pd.DataFrame, col: Hashable, *, func: str) -> np.ndarray:
    """A numeric column as float64, refusing nulls."""
    x = to_float(df[col], func=func, col=str(col))
    nulls = np.isnan(x)
    if nulls.any():
        raise SchemaError(
            f"{func}: {int(nulls.sum())} value(s) of column {col!r} are null; examples at "
            f"index {examples(df.index[nulls])}. Hint: fill them (e.g. with 0) or drop those "
            "customers first."
        )
    return x


def _values_from(
    data: object, value_col: Hashable, *, func: str, arg: str, col_arg: str
) -> tuple[np.ndarray, str]:
    """Values from a DataFrame column, a Series or a 1-D array; no nulls, not empty.

    Returns the values as float64 and their name (for messages).
    """
    if isinstance(data, pd.DataFrame):
        check_frame(data, func=func, arg=arg)
        check_columns(data, {col_arg: value_col}, func=func)
        return _column(data, value_col, func=func), str(value_col)
    if isinstance(data, pd.Series):
        series = data
    else:
        arr = np.asarray(data)
        if arr.ndim != 1:
            raise TypeError(
                f"{func}: `{arg}` must be a DataFrame, a Series or a 1-D array of values; got "
                f"{type(data).__name__} with {arr.ndim} dimension(s). Hint: pass the customer "
                "table and the column name."
            )
        series = pd.Series(arr)
    if len(series) == 0:
        raise EmptyInputError(f"{func}: `{arg}` has no values. Hint: check the filter upstream.")
    name = str(series.name) if series.name is not None else "value"
    x = to_float(series, func=func, col=name)
    nulls = np.isnan(x)
    if nulls.any():
        raise SchemaError(
            f"{func}: {int(nulls.sum())} value(s) of {name!r} are null. Hint: fill them (e.g. "
            "with 0) or drop those customers first."
        )
    return x, name


def _clip_negative(
    x: np.ndarray, policy: str, *, func: str, col: str, stacklevel: int | None = 4
) -> np.ndarray:
    """Apply the negative-value policy (see the docstring of kamseg.pareto).

    Call it from the public function itself (or pass the `stacklevel` of ``warnings.warn``
    that names the public function's caller): its warning names the caller's caller.
    ``stacklevel=None`` clips without a warning (the caller has given it already).
    """
    negative = x < 0
    n_negative = int(negative.sum())
    if not n_negative:
        return x
    if policy == "error":
        raise SchemaError(
            f"{func}: {n_negative} customer(s) have a negative {col!r}; examples: "
            f"{examples(x[negative])}. Value shares need non-negative values. Hint: pass "
            "negative='clip' to count them as 0, or use whale_curve for profits."
        )
    if stacklevel is None:
        return np.where(negative, 0.0, x)
    warn(
        f"{func}: {n_negative} customer(s) have a negative {col!r} (together "
        f"{float(x[negative].sum()):.6g}); they count as 0 in the value shares "
        "(negative='clip'). Hint: pass negative='error' to refuse them; whale_curve shows "
        "loss-making customers.",
        stacklevel=stacklevel,
    )
    return np.where(negative, 0.0, x)


def _check_total(total: float, *, func: str, col: str) -> None:
    if np.isinf(total):
        raise SchemaError(
            f"{func}: the values of {col!r} sum beyond the float range ({total:g}), so value "
            "shares are undefined. Hint: check the column for absurd amounts (e.g. 1e308)."
        )
    if not total > 0:
        raise SchemaError(
            f"{func}: the values of {col!r} sum to {total:g} (negative values counted as 0), "
            "so value shares are undefined. Hint: check the column; a value column needs "
            "some positive values."
        )


# --------------------------------------------------------------------------------------
# the pyramid's inactive customers and prospects
# --------------------------------------------------------------------------------------


def _check_inactive_days(inactive_days: object, *, func: str) -> None:
    if inactive_days is not None and (
        isinstance(inactive_days, bool)
        or not isinstance(inactive_days, int | float | np.number)
        or not math.isfinite(inactive_days)
        or inactive_days < 0
    ):
        raise ConfigError(
            f"{func}: `inactive_days` must be a non-negative number of days or None; got "
            f"{inactive_days!r}. Hint: e.g. 365 for customers without a purchase in a year."
        )


def _inactive(
    customers: pd.DataFrame,
    inactive_days: float | None,
    days_since_last_col: Hashable,
    active_col: Hashable | None,
    *,
    func: str,
) -> np.ndarray:
    """Which customers are inactive: by `inactive_days` since the last purchase, or
    `active_col` False."""
    inactive = np.zeros(len(customers), dtype=bool)
    if inactive_days is not None:
        inactive |= _column(customers, days_since_last_col, func=func) > inactive_days
    if active_col is not None:
        flag = customers[active_col]
        if not pd.api.types.is_bool_dtype(flag.dtype) or flag.isna().any():
            raise SchemaError(
                f"{func}: column {active_col!r} (argument `active_col`) must be boolean "
                f"without nulls; got dtype {flag.dtype}. Hint: e.g. pass a column computed "
                "as customers['p_alive'] > 0.5."
            )
        inactive |= ~flag.to_numpy(dtype=bool)
    return inactive


def _new_prospects(customers: pd.DataFrame, prospects: object, *, func: str) -> pd.Index:
    """The ids of `prospects` (a master frame or ids) that have no row in `customers`."""
    ids = customer_ids(prospects, func=func, arg="prospects")
    if not customers.index.is_unique:
        raise SchemaError(
            f"{func}: the index of `customers` has duplicated ids, e.g. "
            f"{examples(customers.index[customers.index.duplicated()])}; prospects are "
            "matched by id. Hint: aggregate to one row per customer first."
        )
    known = ids.isin(customers.index)
    numeric = pd.api.types.is_numeric_dtype
    if len(ids) and not known.any() and numeric(ids.dtype) != numeric(customers.index.dtype):
        raise ConfigError(
            f"{func}: none of the ids in `prospects` ({ids.dtype}) is in the index of "
            f"`customers` ({customers.index.dtype}). Hint: convert the ids to one type."
        )
    return ids[~known]


def _with_tiers(
    customers: pd.DataFrame,
    codes: np.ndarray,
    names: list[str],
    new_ids: pd.Index | None,
    value_cols: Sequence[Hashable],
) -> pd.DataFrame:
    """`customers` with the ``pyramid_tier`` of `codes` (categories `names`), then one
    Prospect row (code 0) per id of `new_ids`, if any.

    In the new rows the numeric (not boolean) `value_cols` are 0, other columns missing.
    """
    if new_ids is None or len(new_ids) == 0:
        tier = pd.Categorical.from_codes(codes, categories=pd.Index(names), ordered=True)
        return customers.assign(pyramid_tier=tier)
    m = len(new_ids)
    out = customers.reindex(customers.index.append(new_ids).rename(customers.index.name))
    for col in dict.fromkeys(value_cols):
        if col in customers.columns and pd.api.types.is_numeric_dtype(customers[col].dtype):
            if pd.api.types.is_bool_dtype(customers[col].dtype):
                continue
            filled = customers[col].to_numpy(dtype=np.float64, na_value=np.nan)
            out[col] = np.concatenate((filled, np.zeros(m)))
    all_codes = np.concatenate((codes, np.zeros(m, dtype=np.int64)))  # Prospect is code 0
    out["pyramid_tier"] = pd.Categorical.from_codes(
        all_codes, categories=pd.Index(names), ordered=True
    )
    return out
