"""The fitted need level (:func:`kamseg.needs.fit_need_level`): the frozen catalogue and the
latent-needs reference profiles, and how a customer table is labelled with them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd

from kamseg._needs_latent import query_scores
from kamseg._state import state
from kamseg._types import NeedMap
from kamseg._validation import check_customers, check_no_overwrite
from kamseg.actions import action_column
from kamseg.errors import ConfigError
from kamseg.features._needs import (
    NEED_LEVELS,
    Catalog,
    CatalogRows,
    CategoryProfile,
    EngineNeed,
    catalog_rows,
    category_profile,
    highest_level,
    need_map,
    prepared_with_key,
    read_catalog,
)
from kamseg.labels import NEED_LEVEL_LABELS, Language, translate_all

_TEXT = pd.Series(["text"]).dtype

__all__ = ["NeedLevelFit", "canonical_rank", "joined", "profiles", "top_suggestions"]


def canonical_rank(index: pd.Index) -> np.ndarray:
    """Rank of each customer id in sorted order (row order when ids cannot be sorted)."""
    n = len(index)
    if index.is_monotonic_increasing and index.is_unique:  # (summarize's sorted ids)
        return np.arange(n, dtype=np.int64)
    try:
        order = np.asarray(index.argsort(), dtype=np.int64)
    except TypeError:
        order = np.arange(n, dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    return rank


def increasing(a: np.ndarray) -> bool:
    """Whether `a` is strictly increasing (then its stable argsort is the identity)."""
    return bool((a[1:] > a[:-1]).all())


def profiles(
    prof: CategoryProfile, *, rank: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The customers with a categorised purchase (positions, in canonical id order), their
    profiles and what they bought."""
    who = np.flatnonzero(prof.bought.any(axis=1))
    if not increasing(rank[who]):
        who = who[np.argsort(rank[who], kind="stable")]
    return who, prof.profile[who], prof.bought[who]


def top_suggestions(
    who: np.ndarray, scores: np.ndarray, *, k: int, min_score: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(customer position, rank, category code, score) of every suggestion, in row order:
    categories by score, ties by category order; only scores > 0 and >= `min_score`."""
    if not increasing(who):
        back = np.argsort(who, kind="stable")
        who, scores = who[back], scores[back]
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    top_scores = np.take_along_axis(scores, top, axis=1)
    ok = (top_scores > 0) & (top_scores >= min_score)
    r_idx, c_idx = np.nonzero(ok)
    ranks = (c_idx + 1).astype(np.int64)
    return who[r_idx], ranks, top[r_idx, c_idx].astype(np.int64), top_scores[r_idx, c_idx]


def joined(
    pos: np.ndarray, ranks: np.ndarray, cat: np.ndarray, names: pd.Index, n: int
) -> np.ndarray:
    """The suggestions of each customer as text, best first, joined with "; " (None: none).

    Ranks of a customer run 1, 2, ... without gaps, so rank r extends the text of rank r-1.
    """
    text = np.full(n, None, dtype=object)
    labels = np.array([str(c) for c in names], dtype=object)
    for r in range(1, int(ranks.max(initial=0)) + 1):
        at = ranks == r
        who, name = pos[at], labels[cat[at]]
        text[who] = name if r == 1 else text[who] + "; " + name
    return text


@state("needs.NeedLevelFit")
@dataclasses.dataclass(frozen=True, eq=False)
class NeedLevelFit:
    """What :func:`kamseg.needs.need_level` learned from a customer base (see
    :func:`kamseg.needs.fit_need_level`): its options, the catalogue, and (with
    `latent_k`) the reference customers of the latent needs.

    The reference customers are those the base searched for neighbours (all customers with
    a categorised purchase, or a sample of ``max_reference`` of them): their ids
    (`ref_ids`), the distinct profile of each (`ref_own`, a row of `ref_profiles`: spend
    shares over `categories`, float64 as fitted: float32 would change the scores' bits)
    and how many reference customers have each profile (`ref_count`).
    """

    on: str
    customer_col: Hashable | None
    product_col: Hashable
    category_col: Hashable
    level_col: Hashable
    date_col: Hashable
    amount_col: Hashable
    as_of: Any
    dropna: bool
    returns: str
    latent_k: int | None
    labels: Language
    action: bool
    overwrite: bool
    catalog_keys: np.ndarray
    catalog_level: np.ndarray
    catalog_category: np.ndarray | None
    categories: np.ndarray
    n_neighbors: int
    ref_ids: np.ndarray
    ref_own: np.ndarray
    ref_profiles: np.ndarray
    ref_count: np.ndarray

    @property
    def _key(self) -> tuple[Hashable, str]:
        if self.on == "product":
            return self.product_col, "product_col"
        return self.category_col, "category_col"

    def _catalog(self, catalog: object, *, func: str) -> Catalog:
        """The fitted catalogue, or `catalog` read with the fitted options (its categories
        put in the fitted order; categories the fit has not seen raise)."""
        key_col, key_arg = self._key
        categories = pd.Index(self.categories)
        if catalog is None:
            return Catalog(
                key_col=key_col,
                key_arg=key_arg,
                keys=pd.Index(self.catalog_keys),
                level=self.catalog_level,
                category=self.catalog_category,
                categories=categories,
            )
        with_cat = self.latent_k is not None
        cat = read_catalog(
            catalog,
            func=func,
            key_col=key_col,
            key_arg=key_arg,
            level_col=self.level_col,
            category_col=self.category_col if with_cat else None,
        )
        if not with_cat or cat.category is None:
            return cat
        where = np.asarray(categories.get_indexer(cat.categories), dtype=np.int64)
        if (where < 0).any():
            new = [str(c) for c in cat.categories[where < 0]]
            raise ConfigError(
                f"{func}: `catalog` has categories the model was not fitted with: "
                f"{new[:5]}. Hint: refit with this catalogue, or pass catalog=None to use "
                "the fitted one."
            )
        category = np.where(cat.category >= 0, where[np.maximum(cat.category, 0)], -1)
        return dataclasses.replace(cat, category=category, categories=categories)

    def apply(
        self, customers: pd.DataFrame, *, transactions: Any, catalog: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Label `customers` with the fitted catalogue and reference (row-wise).

        Parameters
        ----------
        customers
            One row per customer, indexed by customer id. Not modified.
        transactions
            Prepared transactions or a DataFrame, as in :func:`kamseg.needs.need_level`.
        catalog
            The catalogue; default the fitted one. A catalogue given here must not add
            categories when the fit has latent needs.

        Returns
        -------
        DataFrame
            As :func:`kamseg.needs.need_level`. Each row depends only on that customer's
            transactions and the fit: a customer's neighbours are the fitted reference
            customers other than itself (its own id left out, whatever it buys now).

        Examples
        --------
        >>> import kamseg
        >>> from kamseg.needs import fit_need_level
        >>> data = kamseg.datasets.make_transactions(n_customers=60, seed=0)
        >>> customers = kamseg.summarize(data.transactions)
        >>> fit = fit_need_level(
        ...     customers, transactions=data.transactions, catalog=data.catalog, latent_k=2
        ... )
        >>> tx = data.transactions
        >>> mine = tx[tx["customer_id"] == customers.index[3]]  # one customer's rows
        >>> one = fit.apply(customers.iloc[[3]], transactions=mine)
        >>> one.equals(fit.apply(customers, transactions=tx).iloc[[3]])
        True
        """
        func = "need_level"
        customers = check_customers(customers, func=func)
        check_no_overwrite(customers, self.new_columns, func=func, overwrite=self.overwrite)
        cat = self._catalog(catalog, func=func)
        key_col, key_arg = self._key
        prepared = prepared_with_key(
            customers,
            transactions=transactions,
            func=func,
            key_col=key_col,
            key_arg=key_arg,
            as_of=self.as_of,
            customer_col=self.customer_col,
            date_col=self.date_col,
            amount_col=self.amount_col,
            dropna=self.dropna,
            returns=self.returns,  # type: ignore[arg-type]
            stacklevel=8,
        )
        positions = prepared.positions(customers.index, func=func)
        rows = catalog_rows(prepared, positions, len(customers), cat, func=func)
        return self.label(customers, rows, cat, func=func, stacklevel=4)

    @property
    def new_columns(self) -> list[str]:
        """The columns :meth:`apply` adds."""
        cols = ["need_level"] + (["need_action"] if self.action else [])
        return cols + (["latent_needs"] if self.latent_k is not None else [])

    def label(
        self,
        customers: pd.DataFrame,
        rows: CatalogRows | None,
        cat: Catalog,
        *,
        func: str,
        stacklevel: int,
        prof: CategoryProfile | None = None,
        levels: np.ndarray | None = None,
    ) -> pd.DataFrame:
        """The output columns from the matched rows (and the highest levels and profiles,
        if computed: then `rows` may be None)."""

        def spend_profile() -> CategoryProfile:
            if prof is not None:
                return prof
            assert rows is not None
            return category_profile(
                rows,
                cat,
                basis="spend",
                func=func,
                category_col=self.category_col,
                stacklevel=stacklevel + 3,  # label, _labelled, spend_profile
            )

        if levels is None:
            assert rows is not None
            levels = highest_level(rows, cat)
        return self._labelled(customers, levels, spend_profile)

    def engine_map(self) -> NeedMap:
        """The fitted catalogue as an engine matches rows to it (:func:`kamseg.segment` on
        a DuckDB input: ``summarize_duckdb(need_map=)``)."""
        return need_map(self._catalog(None, func="need_level"))

    def label_engine(self, customers: pd.DataFrame, need: EngineNeed) -> pd.DataFrame:
        """:meth:`apply` from what an engine's summary computed of each customer's rows
        (:func:`kamseg.features.table_need`) instead of the rows: the same columns (the
        category sums may differ in the last bits: the engine adds in another order), with
        the same notices of unmatched rows."""
        func = "need_level"
        customers = check_customers(customers, func=func)
        check_no_overwrite(customers, self.new_columns, func=func, overwrite=self.overwrite)
        need.warn_unmatched(
            self._catalog(None, func=func),
            func=func,
            category_col=self.category_col,
            stacklevel=4,
        )
        at = need.rows_of(customers.index)
        return self._labelled(
            customers,
            need.highest_level(at),
            lambda: need.profile(at, pd.Index(self.categories)),
        )

    def _labelled(
        self,
        customers: pd.DataFrame,
        level_codes: np.ndarray,
        spend_profile: Callable[[], CategoryProfile],
    ) -> pd.DataFrame:
        """`customers` with the need columns: the highest level bought (-1: none) and, with
        latent needs, the suggestions from the spend profiles (made only then)."""
        names = translate_all(NEED_LEVELS, labels=self.labels, table=NEED_LEVEL_LABELS)
        out = customers.assign(
            need_level=pd.Categorical.from_codes(
                level_codes, categories=pd.Index(names), ordered=True
            )
        )
        if self.action:
            out["need_action"] = pd.Series(
                action_column("need_level", NEED_LEVELS, level_codes, labels=self.labels),
                index=out.index,
            )
        if self.latent_k is not None:
            prof = spend_profile()
            text = np.full(len(customers), None, dtype=object)
            who, x, bought = profiles(prof, rank=canonical_rank(customers.index))
            if who.size and self.ref_profiles.shape[0]:
                at = pd.Index(self.ref_ids).get_indexer(customers.index[who].to_numpy())
                own = np.where(at >= 0, self.ref_own[np.maximum(at, 0)], -1).astype(np.int64)
                scores = query_scores(
                    x,
                    bought,
                    own,
                    self.ref_profiles,
                    self.ref_count,
                    n_neighbors=self.n_neighbors,
                )
                pos, ranks, codes, _ = top_suggestions(who, scores, k=self.latent_k, min_score=0.0)
                text = joined(pos, ranks, codes, prof.categories, len(customers))
            # the dtype pandas gives text (str on pandas 3, object on 2), also when no row
            # of this table has a suggestion: a subset's column has the whole table's dtype
            out["latent_needs"] = pd.Series(text, index=out.index, dtype=_TEXT)
        return out
