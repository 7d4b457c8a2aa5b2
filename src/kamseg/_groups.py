"""Per-class sums, counts and means for the summary tables (layer 0, no analysis imports)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamseg.errors import SchemaError

__all__ = ["Groups", "groups_of"]


@dataclass(frozen=True)
class Groups:
    """Integer codes of each row's class, and the classes in their (category) order."""

    codes: np.ndarray
    index: pd.CategoricalIndex

    @property
    def n(self) -> int:
        return len(self.index)

    def counts(self) -> np.ndarray:
        """Rows per class (int64), every class included."""
        return np.bincount(self.codes, minlength=self.n).astype(np.int64)

    def sums(self, x: np.ndarray) -> np.ndarray:
        """Sum of `x` per class (float64)."""
        return np.bincount(self.codes, weights=x, minlength=self.n).astype(np.float64)

    def means(self, x: np.ndarray) -> np.ndarray:
        """Mean of `x` per class; NaN for empty classes."""
        count = self.counts()
        out: np.ndarray = np.divide(
            self.sums(x), count, out=np.full(self.n, np.nan), where=count > 0
        )
        return out

    def shares(self, x: np.ndarray) -> np.ndarray:
        """Each class's share of the total of `x`; NaN for every class when it is <= 0."""
        sums = self.sums(x)
        total = float(sums.sum())
        return sums / total if total > 0 else np.full(self.n, np.nan)


def groups_of(values: pd.Series, *, func: str, col: Hashable, hint: str) -> Groups:
    """Classes of a label column: categories in their order (all of them, empty ones too),
    or the sorted distinct values of a plain column. Nulls are a SchemaError."""
    if values.isna().any():
        raise SchemaError(
            f"{func}: {int(values.isna().sum())} value(s) of column {col!r} are null. Hint: {hint}"
        )
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = pd.Categorical(values)
    else:
        cat = pd.Categorical(values, ordered=True)
    index = pd.CategoricalIndex(
        cat.categories, categories=cat.categories, ordered=cat.ordered, name=col
    )
    return Groups(np.asarray(cat.codes, dtype=np.int64), index)
