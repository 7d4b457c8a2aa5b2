"""Customer needs: the need level each customer buys at, and the categories they may need next.

The source document on classifying core customers (seed 002) sorts customers by their needs
into three classes, which kamseg reads from a product catalogue that assigns every product
(or every category) one of three need levels, after Kano:

==========  ========  ==============================================================
level       中文      products that serve ...
==========  ========  ==============================================================
basic       基本需求  must-be needs: what every customer expects (parts, consumables)
expected    期望需求  performance needs: more is better (better kit, added services)
latent      潜在需求  latent (delight) needs the customer did not state (new offers)
==========  ========  ==============================================================

Two functions:

- :func:`need_level` classifies each customer by the **highest** level they buy, on the
  order basic < expected < latent;
- :func:`latent_needs` suggests, for each customer, the categories that similar customers
  buy and this one does not (nearest neighbours, or category co-occurrence), as a long
  table of the top-k suggestions with scores.

Rules shared by both functions
------------------------------
**Customers** are the rows of `customers`, identified by its index (as in the customer
table from :func:`kamseg.summarize` or the customer master); the output keeps its index and
row order. Transactions are matched to customers through `customer_col`; transaction rows
of customers that are not in `customers` are excluded, with a
:class:`~kamseg.errors.KamsegWarning` that counts them.

**Catalogue matching.** With ``on="product"`` (the default) each transaction's
`product_col` is looked up in the catalogue's `product_col`, which gives its need level and
its category; with ``on="category"`` the transaction's own `category_col` is looked up in
the catalogue's `category_col` (which must then give one need level per category).
Transaction rows whose product (or category) is missing from the catalogue, or null, are
excluded with a warning giving their number and examples. A catalogue that lists a key twice
with different levels or categories raises :class:`~kamseg.errors.SchemaError`.

**Time.** With `as_of` (by default the ``attrs["as_of"]`` of the customer table, which
:func:`kamseg.summarize` sets), transactions dated after the `as_of` day are excluded with a
warning; without one, every transaction is used and `date_col` is not read.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._validation import as_of_day as day_of
from kamseg._validation import (
    check_choice,
    check_columns,
    check_frame,
    check_int,
    check_no_overwrite,
    examples,
    to_datetime,
    to_float,
    warn,
)
from kamseg.actions import recommended_action
from kamseg.errors import ConfigError, EmptyInputError, SchemaError
from kamseg.labels import NEED_LEVEL_LABELS, Language, check_language, translate_all

__all__ = [
    "LATENT_COLUMNS",
    "NEED_LEVELS",
    "Basis",
    "CatalogKey",
    "LatentMethod",
    "latent_needs",
    "need_level",
]

CatalogKey = Literal["product", "category"]
"""What the catalogue is keyed by: ``"product"`` or ``"category"``."""

LatentMethod = Literal["knn", "cooccurrence"]
"""How :func:`latent_needs` scores categories: nearest customers or category co-occurrence."""

Basis = Literal["spend", "orders", "binary"]
"""The customer profile compared by ``method="knn"``: spend shares, order shares, bought/not."""

#: The need levels, lowest first (the category order of ``need_level``).
NEED_LEVELS: tuple[str, str, str] = ("basic", "expected", "latent")

#: Columns of the table returned by :func:`latent_needs` (the first is named `customer_col`).
LATENT_COLUMNS: tuple[str, ...] = ("customer_id", "rank", "category", "score")

_CHUNK_CELLS = 1 << 22  # similarity cells computed at once (32 MB of float64)
_DEFAULT_REFERENCE = 5000


# --------------------------------------------------------------------------------------
# shared preparation
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Matched:
    """Transactions matched to customers and to catalogue entries (kept rows only)."""

    n_customers: int
    customer: np.ndarray  # int64 position in `customers`, per kept row
    entry: np.ndarray  # int64 catalogue entry, per kept row (-1: not in the catalogue)
    amount: np.ndarray | None  # float64 per kept row, when asked for
    level: np.ndarray | None  # int8 level code per catalogue entry
    category: np.ndarray | None  # int64 category code per row (-1: none)
    categories: list[Any]  # category names, sorted when sortable


def _positions(values: pd.Series, keys: pd.Index) -> np.ndarray:
    """Position of each value in the unique index `keys` (-1 when absent or null)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat_pos = np.append(keys.get_indexer(values.cat.categories), -1)
        codes = values.cat.codes.to_numpy(dtype=np.int64)
        return np.asarray(cat_pos[codes], dtype=np.int64)  # code -1 picks the appended -1
    return np.asarray(keys.get_indexer(pd.Index(values)), dtype=np.int64)


def _plain_index(values: pd.Series) -> pd.Index:
    """An Index of the values of `values` (categoricals as their plain values)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        plain: pd.Index = pd.Index(np.asarray(values.astype(object), dtype=object))
    else:
        plain = pd.Index(values)
    return plain


def _sorted_unique(values: pd.Index) -> pd.Index:
    uniq = values.unique()
    try:
        return uniq.sort_values()
    except TypeError:  # mixed, unorderable names: keep first-seen order
        return uniq


def _resolve_as_of(as_of: Any, customers: pd.DataFrame, *, func: str) -> pd.Timestamp | None:
    """`as_of`, else the customer table's (set by summarize), else None; day resolution."""
    day = day_of(customers.attrs.get("as_of") if as_of is None else as_of, func=func)
    return None if day is None else pd.Timestamp(day, unit="D")


def _check_customers(customers: object, *, func: str) -> pd.DataFrame:
    df = check_frame(customers, func=func, arg="customers")
    if not df.index.is_unique:
        raise SchemaError(
            f"{func}: the index of `customers` has duplicated ids, e.g. "
            f"{examples(df.index[df.index.duplicated()])}. Hint: aggregate to one row per "
            "customer first (e.g. with kamseg.summarize)."
        )
    return df


def _catalog_entries(
    catalog: pd.DataFrame,
    *,
    func: str,
    key_col: Hashable,
    level_col: Hashable | None,
    category_col: Hashable | None,
) -> tuple[pd.Index, np.ndarray | None, np.ndarray | None, list[Any]]:
    """Unique catalogue keys, their level codes and category codes, and category names."""
    keys = catalog[key_col]
    if keys.isna().any():
        raise SchemaError(
            f"{func}: {int(keys.isna().sum())} row(s) of `catalog` have a null {key_col!r}. "
            "Hint: drop them or fill them in."
        )
    key_codes, uniques = pd.factorize(_plain_index(keys))
    n_keys = len(uniques)

    def per_key(codes: np.ndarray, what: str) -> np.ndarray:
        lo = np.full(n_keys, np.iinfo(np.int64).max, dtype=np.int64)
        hi = np.full(n_keys, -2, dtype=np.int64)
        np.minimum.at(lo, key_codes, codes)
        np.maximum.at(hi, key_codes, codes)
        clash = lo != hi
        if clash.any():
            raise SchemaError(
                f"{func}: `catalog` gives {int(clash.sum())} {key_col!r} value(s) more than one "
                f"{what}, e.g. {examples(uniques[clash])}. Hint: list each once, or match on "
                "the other key (on='product' or on='category')."
            )
        return hi

    levels: np.ndarray | None = None
    if level_col is not None:
        raw = catalog[level_col]
        lv = pd.Index(NEED_LEVELS).get_indexer(_plain_index(raw))
        bad = lv < 0
        if bad.any():
            shown = raw[bad]
            raise SchemaError(
                f"{func}: {int(bad.sum())} value(s) of catalogue column {level_col!r} are not "
                f"need levels; examples: {examples(shown)}. Hint: use "
                f"{', '.join(map(repr, NEED_LEVELS))}."
            )
        levels = per_key(lv.astype(np.int64), "need level").astype(np.int8)

    categories: list[Any] = []
    cat_of_key: np.ndarray | None = None
    if category_col is not None:
        cats = _plain_index(catalog[category_col])
        names = _sorted_unique(cats[cats.notna()])
        categories = list(names)
        codes = np.asarray(names.get_indexer(cats), dtype=np.int64)
        cat_of_key = per_key(codes, "category")
    return pd.Index(uniques), levels, cat_of_key, categories


def _match(
    customers: pd.DataFrame,
    transactions: object,
    catalog: object,
    *,
    func: str,
    on: str,
    customer_col: Hashable,
    product_col: Hashable,
    category_col: Hashable,
    level_col: Hashable | None,
    need_category: bool,
    amount_col: Hashable | None,
    date_col: Hashable,
    as_of: Any,
) -> _Matched:
    tx = check_frame(transactions, func=func, arg="transactions")
    cat = check_frame(catalog, func=func, arg="catalog")
    check_choice(on, get_args(CatalogKey), func=func, arg="on")
    cutoff = _resolve_as_of(as_of, customers, func=func)
    key_col = product_col if on == "product" else category_col
    key_arg = "product_col" if on == "product" else "category_col"
    tx_cols: dict[str, Hashable | None] = {"customer_col": customer_col, key_arg: key_col}
    if amount_col is not None:
        tx_cols["amount_col"] = amount_col
    if cutoff is not None:
        tx_cols["date_col"] = date_col
    check_columns(tx, tx_cols, func=func)
    cat_cols: dict[str, Hashable | None] = {key_arg: key_col, "level_col": level_col}
    if need_category:
        cat_cols["category_col"] = category_col
    check_columns(cat, cat_cols, func=func)

    keys, levels, cat_of_key, categories = _catalog_entries(
        cat,
        func=func,
        key_col=key_col,
        level_col=level_col,
        category_col=category_col if need_category else None,
    )

    ids = tx[customer_col]
    null_ids = ids.isna().to_numpy()
    if null_ids.any():
        raise SchemaError(
            f"{func}: {int(null_ids.sum())} transaction(s) have a null {customer_col!r}. "
            "Hint: drop or fill them first."
        )
    keep = np.ones(len(tx), dtype=bool)
    if cutoff is not None:
        dates = to_datetime(tx[date_col], func=func, col=str(date_col))
        if dates.isna().any():
            raise SchemaError(
                f"{func}: {int(dates.isna().sum())} transaction(s) have a null {date_col!r}. "
                "Hint: drop or fill them first."
            )
        late = (dates >= cutoff + pd.Timedelta(days=1)).to_numpy()
        if late.any():
            warn(
                f"{func}: excluded {int(late.sum())} transaction(s) dated after as_of "
                f"{cutoff.date().isoformat()}.",
                stacklevel=4,
            )
            keep &= ~late
    amount = (
        None if amount_col is None else to_float(tx[amount_col], func=func, col=str(amount_col))
    )
    if amount is not None and np.isnan(amount).any():
        raise SchemaError(
            f"{func}: {int(np.isnan(amount).sum())} value(s) of {amount_col!r} are null. "
            "Hint: fill or drop them, or use basis='orders'."
        )

    customer = _positions(ids, customers.index)
    unknown = keep & (customer < 0)
    if unknown.any():
        who = ids[unknown]
        warn(
            f"{func}: excluded {int(unknown.sum())} transaction(s) of {who.nunique()} "
            f"customer(s) that are not in `customers`, e.g. {examples(who)}.",
            stacklevel=4,
        )
        keep &= ~unknown

    entry = _positions(tx[key_col], keys)
    missing = keep & (entry < 0)
    if missing.any():
        vals = tx[key_col][missing]
        n_null = int(vals.isna().sum())
        what = "products" if on == "product" else "categories"
        hint = ""
        if not (keep & (entry >= 0)).any():
            hint = (
                f" Hint: none matched; check that {key_col!r} holds the same kind of values "
                "in both tables."
            )
        warn(
            f"{func}: excluded {int(missing.sum())} transaction(s) whose {key_col!r} is not in "
            f"the catalogue ({vals.nunique()} {what}, e.g. {examples(vals.dropna())}"
            f"{f'; {n_null} null' if n_null else ''}).{hint}",
            stacklevel=4,
        )
        keep &= ~missing

    category: np.ndarray | None = None
    if need_category and cat_of_key is not None:
        category = np.where(entry >= 0, cat_of_key[np.maximum(entry, 0)], -1)
        no_cat = keep & (category < 0)
        if no_cat.any():
            n_keys = int(np.unique(entry[no_cat]).size)
            warn(
                f"{func}: {n_keys} catalogue {key_col!r} value(s) have no {category_col!r}; "
                f"their {int(no_cat.sum())} transaction(s) are not used for latent needs.",
                stacklevel=4,
            )
        category = category[keep]

    return _Matched(
        n_customers=len(customers),
        customer=customer[keep],
        entry=entry[keep],
        amount=None if amount is None else amount[keep],
        level=levels,
        category=category,
        categories=categories,
    )


# --------------------------------------------------------------------------------------
# latent needs: scoring
# --------------------------------------------------------------------------------------


def _canonical_rank(index: pd.Index) -> np.ndarray:
    """Rank of each customer id in sorted order (row order when ids cannot be sorted)."""
    n = len(index)
    try:
        order = np.asarray(index.argsort(), dtype=np.int64)
    except TypeError:
        order = np.arange(n, dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    return rank


def _profiles(
    m: _Matched, *, basis: str, rank: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customer x category profiles of the customers with a purchase.

    Returns the customers' positions (in canonical id order), their profiles (float64) and
    what they bought (bool).
    """
    assert m.category is not None  # set by _match(need_category=True)
    n_cat = len(m.categories)
    ok = m.category >= 0
    cust = m.customer[ok]
    cat = m.category[ok]
    cell = cust * n_cat + cat
    size = m.n_customers * n_cat
    if basis == "spend":
        assert m.amount is not None
        amount = m.amount[ok]
        # sum in a canonical order, so that the row order of the input cannot change a bit
        order = np.lexsort((amount, cell))
        spend = np.bincount(cell[order], weights=amount[order], minlength=size)
        values = np.maximum(spend, 0.0).reshape(m.n_customers, n_cat)
        bought = values > 0
    else:
        counts = np.bincount(cell, minlength=size).reshape(m.n_customers, n_cat)
        bought = counts > 0
        values = counts.astype(np.float64) if basis == "orders" else bought.astype(np.float64)
    total = values.sum(axis=1)
    who = np.flatnonzero(total > 0)
    who = who[np.argsort(rank[who], kind="stable")]
    x = values[who]
    if basis != "binary":
        x = x / total[who, None]
    return who, x, bought[who]


def _knn_kernel(
    queries: np.ndarray,
    self_col: np.ndarray,
    ref: np.ndarray,
    ref_count: np.ndarray,
    ref_bought: np.ndarray,
    n_neighbors: int,
) -> np.ndarray:
    """Neighbour scores of each category for each query profile.

    `ref` holds distinct reference profiles, `ref_count` how many customers have each;
    `self_col` is the reference profile of the query customer itself (-1 when the query is
    not a reference customer): one copy of it is not a neighbour. The neighbours are the
    `n_neighbors` reference customers of highest cosine similarity; reference customers
    tied with the last of them share its remaining places equally (fractional weights).
    Score = sum(w * sim * bought) / sum(w * sim).
    """
    n_q, n_cat = queries.shape
    n_r = ref.shape[0]
    norm = np.sqrt(np.einsum("ij,ij->i", ref, ref))
    count = ref_count.astype(np.float64)
    bought = ref_bought.astype(np.float64)
    width = min(n_neighbors + 1, n_r)
    out = np.zeros((n_q, n_cat))
    step = max(1, _CHUNK_CELLS // n_r)
    for start in range(0, n_q, step):
        stop = min(start + step, n_q)
        b = stop - start
        rows = np.arange(b)
        # within a row, raw dot / reference norm is proportional to the cosine similarity,
        # and the query norm cancels out of the score; binary profiles stay exact
        sim = queries[start:stop] @ ref.T
        sim /= norm
        own = self_col[start:stop]
        has_own = own >= 0
        lone = np.zeros(b, dtype=bool)
        lone[has_own] = ref_count[own[has_own]] == 1
        sim[rows[lone], own[lone]] = -1.0  # the only copy of the own profile is not a neighbour

        if width < n_r:
            cand = np.argpartition(sim, n_r - width, axis=1)[:, n_r - width :]
        else:
            cand = np.broadcast_to(np.arange(n_r), (b, n_r)).copy()
        cs = np.take_along_axis(sim, cand, axis=1)
        order = np.argsort(-cs, axis=1, kind="stable")
        cand = np.take_along_axis(cand, order, axis=1)
        cs = np.take_along_axis(cs, order, axis=1)
        cc = count[cand] - (cand == own[:, None])
        cc[cs < 0] = 0.0
        cum = np.cumsum(cc, axis=1)
        full = cum[:, -1] >= n_neighbors
        at = np.argmax(cum >= n_neighbors, axis=1)
        thr = np.where(full, cs[rows, at], -0.5)  # -0.5: take everyone (too few customers)
        gt = cs > thr[:, None]
        eq = cs == thr[:, None]
        n_gt = (cc * gt).sum(axis=1)
        n_eq = (cc * eq).sum(axis=1)
        frac = np.divide(n_neighbors - n_gt, n_eq, out=np.zeros(b), where=n_eq > 0)
        w = cc * cs * (gt + eq * frac[:, None])
        num = np.einsum("bl,blc->bc", w, bought[cand])
        den = w.sum(axis=1)

        # rows whose tie at the threshold reaches beyond the candidates: use the whole row
        wide = np.count_nonzero(sim == thr[:, None], axis=1) > eq.sum(axis=1)
        if wide.any():
            idx = np.flatnonzero(wide)
            s = sim[idx]
            c = np.tile(count, (idx.size, 1))
            o = own[idx]
            c[np.flatnonzero(o >= 0), o[o >= 0]] -= 1.0
            c[s < 0] = 0.0
            t = thr[idx, None]
            g = s > t
            e = s == t
            ng = (c * g).sum(axis=1)
            ne = (c * e).sum(axis=1)
            fr = np.divide(n_neighbors - ng, ne, out=np.zeros(idx.size), where=ne > 0)
            weights = c * s * (g + e * fr[:, None])
            num[idx] = weights @ bought
            den[idx] = weights.sum(axis=1)
        out[start:stop] = np.divide(
            num, den[:, None], out=np.zeros((b, n_cat)), where=den[:, None] > 0
        )
    return out


def _knn_scores(
    x: np.ndarray, bought: np.ndarray, *, n_neighbors: int, max_reference: int | None, seed: int
) -> np.ndarray:
    n = x.shape[0]
    if max_reference is None or n <= max_reference:
        ref_rows = np.arange(n)
    else:
        rng = np.random.default_rng(seed)
        ref_rows = np.sort(rng.choice(n, size=max_reference, replace=False))
    ref, ref_inv, ref_count = np.unique(
        x[ref_rows], axis=0, return_inverse=True, return_counts=True
    )
    in_ref = np.zeros(n, dtype=np.float64)
    in_ref[ref_rows] = 1.0
    queries, q_inv = np.unique(np.column_stack((x, in_ref)), axis=0, return_inverse=True)
    q_inv = q_inv.reshape(-1)
    self_col = np.full(queries.shape[0], -1, dtype=np.int64)
    self_col[q_inv[ref_rows]] = ref_inv.reshape(-1)
    scores = _knn_kernel(queries[:, :-1], self_col, ref, ref_count, ref > 0, n_neighbors)
    out: np.ndarray = scores[q_inv]
    out[bought] = 0.0
    return out


def _cooccurrence_scores(bought: np.ndarray) -> np.ndarray:
    """Mean over the bought categories c' of P(buys c | buys c'), leaving the customer out."""
    b = bought.astype(np.float64)
    co = b.T @ b  # exact integer counts
    n_c = np.diag(co).copy()
    cond = np.divide(co, (n_c - 1)[:, None], out=np.zeros_like(co), where=(n_c > 1)[:, None])
    k = b.sum(axis=1)
    out: np.ndarray = np.divide(b @ cond, k[:, None], out=np.zeros_like(b), where=k[:, None] > 0)
    out[bought] = 0.0
    return out


def _check_number(value: Any, *, func: str, arg: str, low: float, high: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(float(value))
        or not low <= float(value) <= high
    ):
        raise ConfigError(
            f"{func}: `{arg}` must be a number from {low:g} to {high:g}; got {value!r}."
        )
    return float(value)


def _latent_table(
    m: _Matched,
    customers: pd.DataFrame,
    *,
    k: int,
    method: str,
    basis: str,
    n_neighbors: int,
    min_score: float,
    max_reference: int | None,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(customer position, rank, category code, score) of every suggestion, in row order."""
    rank = _canonical_rank(customers.index)
    who, x, bought = _profiles(m, basis=basis if method == "knn" else "binary", rank=rank)
    empty = np.empty(0, dtype=np.int64)
    if who.size == 0:
        return empty, empty, empty, np.empty(0)
    if method == "knn":
        scores = _knn_scores(
            x, bought, n_neighbors=n_neighbors, max_reference=max_reference, seed=seed
        )
    else:
        scores = _cooccurrence_scores(bought)
    # customers back in row order; categories by score, ties by category order
    back = np.argsort(who, kind="stable")
    who, scores = who[back], scores[back]
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    top_scores = np.take_along_axis(scores, top, axis=1)
    ok = (top_scores > 0) & (top_scores >= min_score)
    r_idx, c_idx = np.nonzero(ok)
    ranks = (c_idx + 1).astype(np.int64)
    return who[r_idx], ranks, top[r_idx, c_idx].astype(np.int64), top_scores[r_idx, c_idx]


def _latent_args(
    *,
    func: str,
    k: Any,
    method: Any,
    basis: Any,
    n_neighbors: Any,
    min_score: Any,
    max_reference: Any,
    seed: Any,
) -> tuple[int, int, float, int | None, int]:
    k_ = check_int(k, func=func, arg="k", low=1)
    check_choice(method, get_args(LatentMethod), func=func, arg="method")
    check_choice(basis, get_args(Basis), func=func, arg="basis")
    nn = check_int(n_neighbors, func=func, arg="n_neighbors", low=1)
    ms = _check_number(min_score, func=func, arg="min_score", low=0.0, high=1.0)
    mr = (
        None
        if max_reference is None
        else check_int(max_reference, func=func, arg="max_reference", low=1)
    )
    sd = check_int(seed, func=func, arg="seed", low=0)
    return k_, nn, ms, mr, sd


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------


def need_level(
    customers: pd.DataFrame,
    transactions: pd.DataFrame,
    catalog: pd.DataFrame,
    *,
    on: CatalogKey = "product",
    customer_col: Hashable = "customer_id",
    product_col: Hashable = "product",
    category_col: Hashable = "category",
    level_col: Hashable = "need_level",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    as_of: Any = None,
    latent_k: int | None = None,
    labels: Language = "en",
    action: bool = False,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Classify each customer by the highest need level of the products they buy.

    Parameters
    ----------
    customers
        One row per customer, indexed by customer id (e.g. from :func:`kamseg.summarize`,
        or the customer master). Not modified.
    transactions
        One row per order or order line, with `customer_col` and `product_col` (or
        `category_col` with ``on="category"``). Not modified.
    catalog
        The product catalogue: `product_col` (or `category_col`) and `level_col`, whose
        values are ``"basic"``, ``"expected"`` or ``"latent"``. Not modified.
    on
        ``"product"`` (default): match transactions to the catalogue by product;
        ``"category"``: by category (the catalogue then needs one level per category).
    customer_col, product_col, category_col, level_col
        Column names. `category_col` is read only with ``on="category"`` or `latent_k`.
    date_col, as_of
        The transactions' date column and the observation date. `as_of` defaults to the
        ``attrs["as_of"]`` of `customers` (set by :func:`kamseg.summarize`); transactions
        dated after it are excluded with a warning. Without either, all transactions count
        and `date_col` is not read.
    amount_col
        Spend per row, read only with `latent_k` (spend shares; see :func:`latent_needs`).
    latent_k
        When given, also add ``latent_needs``: the top `latent_k` categories of
        :func:`latent_needs` with its defaults (``method="knn"``, ``basis="spend"``).
    labels
        Language of the level names (``"en"`` or ``"zh"``) and of the actions.
    action
        Also add ``need_action``: the action the source document recommends for the level.
    overwrite
        Replace output columns that already exist in `customers` instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index, same row order) with the columns:

        - ``need_level`` (ordered ``category``: basic < expected < latent, or their Chinese
          names): the highest level among the customer's transactions matched to the
          catalogue. **Missing (NaN)** for customers with no such transaction (prospects,
          customers who bought only products the catalogue lacks): the data says nothing
          about their needs.
        - ``need_action`` (str, ``object`` on pandas 2; only with ``action=True``): see
          :func:`kamseg.actions.recommended_action`; missing where ``need_level`` is.
        - ``latent_needs`` (str, ``object`` on pandas 2; only with `latent_k`): the
          suggested categories, best first, joined with ``"; "``; missing when there is no
          suggestion.

    Raises
    ------
    ColumnNotFoundError
        If a column named by an argument is missing.
    SchemaError
        If `customers` has duplicated ids; transactions have null customer ids (or null or
        unparseable dates when `as_of` applies); the catalogue has null keys, levels other
        than the three, or gives a key two levels.
    EmptyInputError
        If `customers`, `transactions` or `catalog` has no rows.
    ConfigError
        On an invalid option, or if an output column exists and `overwrite` is false.

    Notes
    -----
    **Why "highest".** The levels are ordered basic < expected < latent: a customer who
    buys expected-level products also buys to basic needs, and one who buys products made
    for latent (unstated, Kano "delight") needs has shown needs beyond the expected ones.
    So a customer who has bought at least one latent-level product is ``latent``: the
    document's action for them is to keep researching their unstated needs and to offer new
    products. One matched transaction is enough to reach a level.

    Warnings (:class:`~kamseg.errors.KamsegWarning`) count the transactions excluded: those
    of customers not in `customers`, those whose product (or category) the catalogue lacks,
    and those after `as_of`.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.needs import need_level
    >>> catalog = pd.DataFrame(
    ...     {
    ...         "product": ["bolts", "sensors", "analytics"],
    ...         "category": ["parts", "electronics", "software"],
    ...         "need_level": ["basic", "expected", "latent"],
    ...     }
    ... )
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": ["a", "a", "b", "c", "c"],
    ...         "product": ["bolts", "sensors", "bolts", "bolts", "analytics"],
    ...     }
    ... )
    >>> customers = pd.DataFrame(index=pd.Index(["a", "b", "c", "d"], name="customer_id"))
    >>> need_level(customers, tx, catalog)["need_level"].tolist()
    ['expected', 'basic', 'latent', nan]
    >>> out = need_level(customers, tx, catalog, labels="zh", action=True)
    >>> out.loc["b", ["need_level", "need_action"]].tolist()
    ['基本需求', '保障基本需求：质量可靠、及时交付、价格合理。']
    """
    func = "need_level"
    customers = _check_customers(customers, func=func)
    lang = check_language(labels, func=func)
    if latent_k is not None:
        latent_k = check_int(latent_k, func=func, arg="latent_k", low=1)
    new_cols = ["need_level"] + (["need_action"] if action else [])
    new_cols += ["latent_needs"] if latent_k is not None else []
    check_no_overwrite(customers, new_cols, func=func, overwrite=overwrite)
    m = _match(
        customers,
        transactions,
        catalog,
        func=func,
        on=on,
        customer_col=customer_col,
        product_col=product_col,
        category_col=category_col,
        level_col=level_col,
        need_category=latent_k is not None,
        amount_col=amount_col if latent_k is not None else None,
        date_col=date_col,
        as_of=as_of,
    )
    assert m.level is not None
    ok = m.entry >= 0
    level_codes = np.full(m.n_customers, -1, dtype=np.int64)
    np.maximum.at(level_codes, m.customer[ok], m.level[m.entry[ok]].astype(np.int64))
    names = translate_all(NEED_LEVELS, labels=lang, table=NEED_LEVEL_LABELS)
    out = customers.assign(
        need_level=pd.Categorical.from_codes(level_codes, categories=pd.Index(names), ordered=True)
    )
    if action:
        acts = np.array(
            [recommended_action("need_level", lv, labels=lang) for lv in NEED_LEVELS] + [None],
            dtype=object,
        )
        out["need_action"] = pd.Series(acts[level_codes], index=out.index)
    if latent_k is not None:
        pos, _, cat, _ = _latent_table(
            m,
            customers,
            k=latent_k,
            method="knn",
            basis="spend",
            n_neighbors=20,
            min_score=0.0,
            max_reference=_DEFAULT_REFERENCE,
            seed=0,
        )
        text = np.full(m.n_customers, None, dtype=object)
        for p, c in zip(pos.tolist(), cat.tolist(), strict=True):
            name = str(m.categories[c])
            text[p] = name if text[p] is None else f"{text[p]}; {name}"
        out["latent_needs"] = pd.Series(text, index=out.index)
    return out


def latent_needs(
    customers: pd.DataFrame,
    transactions: pd.DataFrame,
    catalog: pd.DataFrame,
    *,
    k: int = 3,
    method: LatentMethod = "knn",
    basis: Basis = "spend",
    n_neighbors: int = 20,
    min_score: float = 0.0,
    max_reference: int | None = _DEFAULT_REFERENCE,
    seed: int = 0,
    on: CatalogKey = "product",
    customer_col: Hashable = "customer_id",
    product_col: Hashable = "product",
    category_col: Hashable = "category",
    amount_col: Hashable = "amount",
    date_col: Hashable = "date",
    as_of: Any = None,
) -> pd.DataFrame:
    """Suggest, per customer, the categories that similar customers buy and they do not.

    Parameters
    ----------
    customers
        One row per customer, indexed by customer id. Not modified.
    transactions
        One row per order or order line. Not modified.
    catalog
        Gives each product its `category_col` (``on="product"``), or lists the known
        categories (``on="category"``: the transactions carry `category_col`). Every
        category of the catalogue is a candidate. Not modified.
    k
        Number of suggestions per customer (at most), default 3.
    method
        ``"knn"`` (default): nearest customers; ``"cooccurrence"``: category co-occurrence.
        See *Notes*.
    basis
        The profile compared by ``"knn"``: ``"spend"`` (default; share of the customer's net
        spend in each category, from `amount_col`; a category whose net spend is <= 0 counts
        as not bought), ``"orders"`` (share of the customer's transaction rows) or
        ``"binary"`` (bought or not). ``"cooccurrence"`` always uses bought or not.
    n_neighbors
        Number of nearest customers for ``"knn"``, default 20.
    min_score
        Suggestions need a score of at least this (from 0 to 1); a score of 0 is never
        suggested.
    max_reference
        For ``"knn"``: when more customers than this have bought, neighbours are searched
        among this many of them drawn at random (with `seed`), which bounds the cost; with
        fewer customers, or ``None``, among all of them (exact). Default 5000.
    seed
        Seed of the reference sample (only used when it is drawn).
    on, customer_col, product_col, category_col, amount_col, date_col, as_of
        As in :func:`need_level`; `amount_col` is read only with ``basis="spend"``.

    Returns
    -------
    DataFrame
        One row per suggestion, with a default ``RangeIndex``, ordered as the rows of
        `customers`, then by rank:

        - `customer_col` (the dtype of the index of `customers`): the customer id;
        - ``rank`` (int64): 1 for the best suggestion, then 2, 3, ... up to `k`;
        - ``category`` (the catalogue's dtype, str for text): the suggested category;
        - ``score`` (float64, in (0, 1]): see *Notes*.

        Customers with no suggestion have no row: those who bought nothing categorised,
        those who already buy every category, and those whose neighbours buy nothing else.

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
        As in :func:`need_level`.

    Notes
    -----
    **Nearest neighbours** (``method="knn"``). Each customer with a purchase gets a profile
    over the catalogue's categories (see `basis`). Similarity is the cosine of two profiles.
    The neighbours of a customer are the `n_neighbors` other customers with the highest
    similarity; customers tied with the last of them share its remaining places equally
    (fractional weights), so the result never depends on row order. The score of a category
    the customer does not buy is the similarity-weighted share of the neighbours who buy
    it: ``sum(w_j * sim_j * buys_j) / sum(w_j * sim_j)``, from 0 (no neighbour buys it) to 1
    (all do). A customer whose profile many others share exactly (e.g. everyone who buys one
    category only) has those as nearest neighbours, who by definition buy nothing else,
    and so gets no suggestion; ``method="cooccurrence"`` still suggests for them.

    The search is exact brute force over the distinct profiles, vectorised in chunks; its
    cost grows as (customers x reference customers). With ``max_reference=5000`` 100,000
    customers over 20 categories take a few seconds.

    **Co-occurrence** (``method="cooccurrence"``). For a category ``c`` the customer does
    not buy, the score is the mean, over the categories ``c'`` they do buy, of the share of
    the other buyers of ``c'`` who also buy ``c``: ``n(c and c') / (n(c') - 1)``, a
    leave-one-out conditional probability (a term whose ``c'`` has no other buyer counts 0).

    Ties in score are broken by category name. No randomness is used unless the reference
    sample is drawn.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.needs import latent_needs
    >>> catalog = pd.DataFrame(
    ...     {
    ...         "product": ["bolts", "oil", "sensors"],
    ...         "category": ["parts", "fluids", "electronics"],
    ...     }
    ... )
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": ["a", "a", "b", "b", "c", "c", "c", "d"],
    ...         "product": ["bolts", "oil", "bolts", "oil", "bolts", "oil", "sensors", "bolts"],
    ...         "amount": [10.0, 10.0, 12.0, 8.0, 10.0, 10.0, 5.0, 9.0],
    ...     }
    ... )
    >>> customers = pd.DataFrame(index=pd.Index(list("abcd"), name="customer_id"))
    >>> latent_needs(customers, tx, catalog, n_neighbors=2)
      customer_id  rank     category     score
    0           a     1  electronics  0.490181
    1           b     1  electronics  0.485281
    2           d     1       fluids  1.000000

    Customer ``a``'s nearest customers are ``b`` (cosine 0.981) and ``c`` (0.943); only
    ``c`` buys electronics, so its score is 0.943 / (0.981 + 0.943). ``c`` buys every
    category; ``d``'s neighbours ``b`` and ``a`` both buy fluids. Co-occurrence also
    suggests electronics to ``d`` (1 of the 3 other buyers of parts buys it):

    >>> latent_needs(customers, tx, catalog, method="cooccurrence").query("customer_id == 'd'")
      customer_id  rank     category     score
    2           d     1       fluids  1.000000
    3           d     2  electronics  0.333333
    """
    func = "latent_needs"
    customers = _check_customers(customers, func=func)
    k_, nn, ms, mr, sd = _latent_args(
        func=func,
        k=k,
        method=method,
        basis=basis,
        n_neighbors=n_neighbors,
        min_score=min_score,
        max_reference=max_reference,
        seed=seed,
    )
    m = _match(
        customers,
        transactions,
        catalog,
        func=func,
        on=on,
        customer_col=customer_col,
        product_col=product_col,
        category_col=category_col,
        level_col=None,
        need_category=True,
        amount_col=amount_col if basis == "spend" and method == "knn" else None,
        date_col=date_col,
        as_of=as_of,
    )
    if m.category is None:  # pragma: no cover - need_category=True always sets it
        raise EmptyInputError(f"{func}: no categories.")
    pos, ranks, cat, scores = _latent_table(
        m,
        customers,
        k=k_,
        method=method,
        basis=basis,
        n_neighbors=nn,
        min_score=ms,
        max_reference=mr,
        seed=sd,
    )
    names = pd.Index(m.categories) if m.categories else pd.Index([], dtype=object)
    return pd.DataFrame(
        {
            customer_col: customers.index[pos].to_numpy(),
            "rank": ranks,
            "category": names[cat].to_numpy(),
            "score": scores,
        }
    )
