"""What each customer buys by catalogue entry: the measures under the need analyses.

A product catalogue gives each key (a product, or a category) a need level and a category.
The prepared transactions are matched to the customers and to the catalogue once
(:func:`catalog_rows`); from the matched rows come, per customer,

- :func:`highest_level`: the highest need level bought (the input of
  :func:`kamseg.need_level`);
- :func:`category_profile`: the share of net spend (or of rows) in each category, and
  which categories were bought (the input of :func:`kamseg.latent_needs`).

Everything is vectorised over rows and customers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from kamseg._tables import customer_column
from kamseg._types import (
    NEED_COLUMNS,
    NEED_NOTES_ATTR,
    NEED_SPEND_PREFIX,
    NeedMap,
    ReturnsPolicy,
)
from kamseg._validation import check_columns, check_frame, examples, positions_in, warn
from kamseg.errors import ConfigError, SchemaError
from kamseg.transactions import NET_TOLERANCE, PreparedTransactions

__all__ = [
    "NEED_LEVELS",
    "PROFILE_BASES",
    "Catalog",
    "CatalogRows",
    "CategoryProfile",
    "EngineNeed",
    "catalog_rows",
    "category_profile",
    "highest_level",
    "need_columns",
    "need_map",
    "prepared_with_key",
    "read_catalog",
    "table_need",
]

#: The need levels, lowest first (the category order of ``need_level``).
NEED_LEVELS: tuple[str, str, str] = ("basic", "expected", "latent")

#: The customer profiles of :func:`category_profile`.
PROFILE_BASES: tuple[str, str, str] = ("spend", "orders", "binary")

_KEY_BITS = 63  # the bits of the (cell, amount rank) sort key of _ascending_sums (int64)
_SAMPLE_ROWS = 1 << 16  # rows sampled to estimate the distinct amounts (_few_distinct)


def prepared_with_key(
    customers: pd.DataFrame,
    *,
    transactions: Any,
    func: str,
    key_col: Hashable,
    key_arg: str,
    as_of: Any = None,
    customer_col: Hashable | None = None,
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    stacklevel: int = 8,
) -> PreparedTransactions:
    """:func:`kamseg.features.prepared_for` with the catalogue key `key_col` as
    ``product_col``: the transactions up to `as_of` (default the customer table's
    ``attrs["as_of"]``).

    A :class:`~kamseg.transactions.PreparedTransactions` is used as it is; it must have been
    prepared with ``product_col=key_col`` (:class:`~kamseg.errors.ConfigError` otherwise).
    A DataFrame is prepared with the keyword options; its one warning names `func`;
    `customer_col` defaults to the name of the index of `customers`.
    """
    from kamseg.features import prepared_for  # here: kamseg.features may import this module

    customer_col = customer_column(customers, customer_col)
    if isinstance(transactions, PreparedTransactions):
        if transactions.product_code is None or transactions.product_col is None:
            raise ConfigError(
                f"{func}: the prepared `transactions` have no product column (they were "
                "prepared without product_col), so they cannot be matched to the catalogue. "
                f"Hint: prepare them with product_col={key_col!r}."
            )
        if transactions.product_col != key_col:
            raise ConfigError(
                f"{func}: the prepared `transactions` carry {transactions.product_col!r} "
                f"(product_col), but they are matched to the catalogue by {key_col!r} "
                f"({key_arg}). Hint: prepare them with product_col={key_col!r}, or pass "
                f"{key_arg}={transactions.product_col!r}."
            )
    else:
        tx = check_frame(transactions, func=func, arg="transactions", allow_empty=True)
        check_columns(tx, {"customer_col": customer_col, key_arg: key_col}, func=func)
    return prepared_for(
        customers,
        transactions=transactions,
        func=func,
        as_of=as_of,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        product_col=key_col,
        dropna=dropna,
        returns=returns,
        stacklevel=stacklevel,
    )


# --------------------------------------------------------------------------------------
# the catalogue
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class Catalog:
    """A validated catalogue: its distinct keys, and per key a need level and a category."""

    key_col: Hashable
    key_arg: str  # "product_col" or "category_col"
    keys: pd.Index
    level: np.ndarray | None  # int8 position in NEED_LEVELS per key, when levels were read
    category: np.ndarray | None  # int64 position in `categories` per key (-1: none)
    categories: pd.Index  # category names, sorted when sortable


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


def read_catalog(
    catalog: object,
    *,
    func: str,
    key_col: Hashable,
    key_arg: str = "product_col",
    level_col: Hashable | None = None,
    category_col: Hashable | None = None,
) -> Catalog:
    """Validate the catalogue and read its keys, their levels and their categories.

    `level_col` and `category_col` are read only when given. Raises
    :class:`~kamseg.errors.SchemaError` on null keys, values of `level_col` other than
    :data:`NEED_LEVELS`, or a key listed with two levels or two categories.
    """
    cat = check_frame(catalog, func=func, arg="catalog")
    check_columns(
        cat, {key_arg: key_col, "level_col": level_col, "category_col": category_col}, func=func
    )
    raw_keys = cat[key_col]
    if raw_keys.isna().any():
        raise SchemaError(
            f"{func}: {int(raw_keys.isna().sum())} row(s) of `catalog` have a null "
            f"{key_col!r}. Hint: drop them or fill them in."
        )
    key_codes, uniques = pd.factorize(_plain_index(raw_keys))
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

    level: np.ndarray | None = None
    if level_col is not None:
        raw = cat[level_col]
        lv = pd.Index(NEED_LEVELS).get_indexer(_plain_index(raw))
        bad = lv < 0
        if bad.any():
            raise SchemaError(
                f"{func}: {int(bad.sum())} value(s) of catalogue column {level_col!r} are not "
                f"need levels; examples: {examples(raw[bad])}. Hint: use "
                f"{', '.join(map(repr, NEED_LEVELS))}."
            )
        level = per_key(lv.astype(np.int64), "need level").astype(np.int8)

    categories: pd.Index = pd.Index([], dtype=object)
    category: np.ndarray | None = None
    if category_col is not None:
        cats = _plain_index(cat[category_col])
        if cats.notna().any():
            categories = _sorted_unique(cats[cats.notna()])
        codes = np.asarray(categories.get_indexer(cats), dtype=np.int64)
        category = per_key(codes, "category")
    return Catalog(
        key_col=key_col,
        key_arg=key_arg,
        keys=pd.Index(uniques),
        level=level,
        category=category,
        categories=categories,
    )


# --------------------------------------------------------------------------------------
# transactions matched to customers and to the catalogue
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class CatalogRows:
    """The prepared rows of known customers whose key is in the catalogue."""

    n_customers: int
    customer: np.ndarray  # int64 row of `customers`, per matched row
    entry: np.ndarray  # int64 position in Catalog.keys, per matched row
    amount: np.ndarray  # float64 amount, per matched row


def catalog_rows(
    prepared: PreparedTransactions,
    positions: np.ndarray,
    n_customers: int,
    catalog: Catalog,
    *,
    func: str,
    stacklevel: int = 4,
) -> CatalogRows:
    """Match the prepared rows to customers (`positions`: the customer table's row of each
    customer code, -1 when absent) and to catalogue entries.

    Rows of customers not in the table are left out (:meth:`PreparedTransactions.positions`
    has warned about them); rows whose key is null or not in the catalogue are left out with
    one :class:`~kamseg.errors.KamsegWarning` that counts them.
    """
    if prepared.product_code is None or prepared.products is None:  # pragma: no cover
        raise ConfigError(f"{func}: the prepared transactions have no product column.")
    customer = positions[prepared.code]
    known = customer >= 0
    # look up each distinct value once (read once by prepare_transactions; nulls: -1)
    codes, uniques = prepared.product_code, prepared.products
    entry_of = np.append(positions_in(pd.Series(uniques, dtype=object), catalog.keys), -1)
    entry = entry_of[codes]  # code -1 picks the appended -1
    missing = known & (entry < 0)
    if missing.any():
        miss = codes[missing]
        n_null = int((miss < 0).sum())
        seen = pd.unique(miss[miss >= 0])  # first-seen order
        warn(
            unmatched_notice(
                catalog,
                func=func,
                n_rows=int(missing.sum()),
                n_null=n_null,
                n_keys=seen.size,
                shown=examples(uniques[seen]),
                none_matched=not (known & (entry >= 0)).any(),
            ),
            stacklevel=stacklevel,
        )
    keep = known & (entry >= 0)
    amount = np.asarray(prepared.amount, dtype=np.float64)
    if not keep.all():  # (usually every row is kept: no copies then)
        customer, entry, amount = customer[keep], entry[keep], amount[keep]
    return CatalogRows(n_customers=n_customers, customer=customer, entry=entry, amount=amount)


# --------------------------------------------------------------------------------------
# per-customer measures
# --------------------------------------------------------------------------------------


def highest_level(rows: CatalogRows, catalog: Catalog) -> np.ndarray:
    """Highest need level bought by each customer: the position in :data:`NEED_LEVELS`
    (int64, one per customer row), -1 for customers with no matched row."""
    if catalog.level is None:
        raise ConfigError("highest_level: the catalogue was read without level_col.")
    out = np.full(rows.n_customers, -1, dtype=np.int64)
    np.maximum.at(out, rows.customer, catalog.level[rows.entry].astype(np.int64))
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class CategoryProfile:
    """Each customer's purchases by category (arrays of customers x categories).

    `profile` is, by `basis`: ``"spend"`` the share of the customer's net spend in each
    category (a category with net spend <= 0 counts 0 and as not bought); ``"orders"`` the
    share of its transaction rows; ``"binary"`` 1 where bought, else 0. Rows of customers
    who bought nothing categorised are all 0 (and `bought` all False).
    """

    basis: str
    categories: pd.Index
    profile: np.ndarray  # float64
    bought: np.ndarray  # bool


def category_profile(
    rows: CatalogRows,
    catalog: Catalog,
    *,
    basis: str = "spend",
    func: str,
    category_col: Hashable = "category",
    stacklevel: int = 4,
) -> CategoryProfile:
    """Spend or order shares (see :class:`CategoryProfile`) per customer and category.

    Rows whose catalogue key has no category are left out, with a
    :class:`~kamseg.errors.KamsegWarning`. Net spend is summed in a canonical order, so
    the row order of the input cannot change a bit of the result; a net that is only
    rounding error (returns that cancel the purchases) is 0, as the customer table's
    (:func:`kamseg.transactions.net_sums`).
    """
    if catalog.category is None:
        raise ConfigError(f"{func}: the catalogue was read without category_col.")
    if basis not in PROFILE_BASES:
        raise ConfigError(f"{func}: unknown basis {basis!r}.")
    n_cat = len(catalog.categories)
    size = rows.n_customers * n_cat
    shape = (rows.n_customers, n_cat)
    cell = rows.customer * n_cat
    cell += catalog.category[rows.entry]  # (in place: one array of rows less)
    amount = rows.amount
    if (catalog.category < 0).any():  # only then can a row lack a category
        no_cat = (catalog.category < 0)[rows.entry]
        if no_cat.any():
            n_keys = int(np.unique(rows.entry[no_cat]).size)
            warn(
                no_category_notice(
                    catalog,
                    func=func,
                    category_col=category_col,
                    n_keys=n_keys,
                    n_rows=int(no_cat.sum()),
                ),
                stacklevel=stacklevel,
            )
            cell, amount = cell[~no_cat], amount[~no_cat]
    if basis == "spend":
        spend = _ascending_sums(cell, amount, size)
        if (amount < 0).any():  # a cell that returns bring to rounding error nets to 0
            gross = np.bincount(cell, weights=np.abs(amount), minlength=size)
            spend[np.isfinite(spend) & (np.abs(spend) <= NET_TOLERANCE * gross)] = 0.0
        return spend_profile(spend.reshape(shape), catalog.categories)
    counts = np.bincount(cell, minlength=size).reshape(shape)
    bought = counts > 0
    values = counts.astype(np.float64) if basis == "orders" else bought.astype(np.float64)
    if basis != "binary":
        values = _shares(values)
    return CategoryProfile(
        basis=basis, categories=catalog.categories, profile=values, bought=bought
    )


def _ascending_sums(cell: np.ndarray, amount: np.ndarray, size: int) -> np.ndarray:
    """The sum of the amounts of each cell (`size` cells) in ascending amount order: the
    canonical order, which no row order of the input can change.

    np.bincount adds each row to its cell in the order given (from 0.0), so the rows are
    given to it in ascending amount order. Any ascending order gives the same sums: rows of
    equal amount add the same value whichever comes first (0.0 and -0.0 too: both leave a
    sum as it is, and a sum from 0.0 is never -0.0); and a cell of one or two rows has the
    same sum in any order (floating addition is commutative).

    When the amounts take few distinct values (prices, as usual), the rows are sorted as one
    int64 key each, the cell above the rank of the amount among the distinct amounts (found
    by hashing), with numpy's SIMD sort of plain values: about twice as fast as the argsort
    of the amounts and the gathers it needs, which the other inputs keep (hashing millions
    of distinct values would cost more than it saves).
    """
    amount = np.asarray(amount, dtype=np.float64)
    bits = 0
    if amount.size and _few_distinct(amount):
        # the hash table of the float bits (as int64, one value per bit pattern: -0.0 and
        # 0.0 apart, which the sort below keeps equal); about twice as fast as of floats
        codes, uniques = pd.factorize(amount.view(np.int64), size_hint=min(amount.size, 1 << 20))
        bits = int(uniques.size).bit_length()
    if bits == 0 or bits + max(int(size), 1).bit_length() > _KEY_BITS:
        # only the rows of cells with three or more are put in ascending order (the
        # unstable sort: SIMD quicksort, about 3x faster than the stable one)
        # (np.bincount of an empty array is int64 even with weights: hence the astype)
        spend = np.bincount(cell, weights=amount, minlength=size).astype(np.float64, copy=False)
        many = np.bincount(cell, minlength=size) > 2
        if many.any():
            multi = many[cell]
            m_cell, m_amount = cell[multi], amount[multi]
            order = np.argsort(m_amount)
            in_order = np.bincount(m_cell[order], weights=m_amount[order], minlength=size)
            spend = np.where(many, in_order, spend)
        return spend
    values = uniques.view(np.float64)
    by_value = np.argsort(values)
    rank = np.empty(values.size, dtype=np.int64)
    rank[by_value] = np.arange(values.size, dtype=np.int64)
    key = cell.astype(np.int64)  # a copy: `cell` is not changed
    key <<= bits
    key |= rank[codes]
    key.sort()
    in_order = values[by_value][key & ((1 << bits) - 1)]
    key >>= bits
    return np.bincount(key, weights=in_order, minlength=size)


def _few_distinct(amount: np.ndarray) -> bool:
    """Whether `amount` likely has at most 1/8 as many distinct values as rows (then
    :func:`_ascending_sums` hashes them), from the distinct share `r` of an even sample of
    `s` rows: `m` rows of `d` equally frequent values show ``r = d/s * (1 - exp(-s/d))``,
    which is ``(1 - exp(-x)) / x`` with ``x = 8 s / m`` at ``d = m / 8``; fewer distinct
    values (or a few frequent ones, as prices) show less."""
    sample = amount[:: max(1, amount.size // _SAMPLE_ROWS)]
    share = pd.unique(sample.view(np.int64)).size / sample.size
    x = 8.0 * sample.size / amount.size
    return bool(share <= -np.expm1(-x) / x)


def spend_profile(spend: np.ndarray, categories: pd.Index) -> CategoryProfile:
    """The ``"spend"`` profile of net spend per customer and category: a net <= 0 counts
    0 and as not bought; the rest as shares of the customer's spend."""
    values = np.maximum(spend, 0.0)
    return CategoryProfile(
        basis="spend", categories=categories, profile=_shares(values), bought=values > 0
    )


def _shares(values: np.ndarray) -> np.ndarray:
    """Each row of `values` as shares of its total (rows summing to 0: all 0)."""
    total = values.sum(axis=1, keepdims=True)
    shares: np.ndarray = np.divide(values, total, out=np.zeros(values.shape), where=total > 0)
    return shares


def unmatched_notice(
    catalog: Catalog,
    *,
    func: str,
    n_rows: int,
    n_null: int,
    n_keys: int,
    shown: str,
    none_matched: bool,
) -> str:
    """The notice of the transactions whose key is null or not in the catalogue."""
    what = "products" if catalog.key_arg == "product_col" else "categories"
    hint = ""
    if none_matched:
        hint = (
            f" Hint: none matched; check that {catalog.key_col!r} holds the same kind of "
            "values in both tables."
        )
    return (
        f"{func}: excluded {n_rows} transaction(s) whose {catalog.key_col!r} is not in the "
        f"catalogue ({n_keys} {what}, e.g. {shown}{f'; {n_null} null' if n_null else ''})."
        f"{hint}"
    )


def no_category_notice(
    catalog: Catalog, *, func: str, category_col: Hashable, n_keys: int, n_rows: int
) -> str:
    """The notice of the matched transactions whose catalogue key has no category."""
    return (
        f"{func}: {n_keys} catalogue {catalog.key_col!r} value(s) have no {category_col!r}; "
        f"their {n_rows} transaction(s) are not used for latent needs."
    )


# --------------------------------------------------------------------------------------
# the same measures from an engine's customer table (no rows in pandas)
# --------------------------------------------------------------------------------------


def need_map(catalog: Catalog) -> NeedMap:
    """The catalogue as an engine matches rows to it (``summarize_duckdb(need_map=)``)."""
    n = len(catalog.keys)
    level = catalog.level if catalog.level is not None else np.full(n, -1)
    category = catalog.category if catalog.category is not None else np.full(n, -1)
    return NeedMap(
        product_col=str(catalog.key_col),
        keys=tuple(catalog.keys.tolist()),
        level=tuple(int(v) for v in level),
        category=tuple(int(v) for v in category),
        categories=tuple(catalog.categories.tolist()),
    )


@dataclasses.dataclass(frozen=True, eq=False)
class EngineNeed:
    """What an engine's summary with a :class:`~kamseg._types.NeedMap` holds for the need
    level (:func:`table_need`): per customer of `index`, the highest need level bought
    (-1: none) and the net spend in each of `categories`; and the summary's counts of
    unmatched rows (:func:`kamseg.summary._duckdb._need_notes`)."""

    index: pd.Index
    highest: np.ndarray  # int64
    spend: np.ndarray  # float64, customers x categories
    categories: pd.Index
    notes: dict[str, Any]

    def rows_of(self, index: pd.Index) -> np.ndarray:
        """The row of each customer of `index` (-1: not in the engine's table)."""
        return np.asarray(self.index.get_indexer(index), dtype=np.int64)

    def highest_level(self, at: np.ndarray) -> np.ndarray:
        """:func:`highest_level` of the customers at rows `at` (-1: none)."""
        return np.where(at >= 0, self.highest[np.maximum(at, 0)], -1).astype(np.int64)

    def profile(self, at: np.ndarray, categories: pd.Index) -> CategoryProfile:
        """:func:`category_profile` (spend shares) of the customers at rows `at`, over
        `categories` (the fitted order; a category the engine did not see counts 0)."""
        where = np.asarray(self.categories.get_indexer(categories), dtype=np.int64)
        shape = (at.size, len(categories))
        spend = np.zeros(shape)
        rows, cols = at >= 0, where >= 0
        if rows.any() and cols.any():
            spend[np.ix_(rows, cols)] = self.spend[np.ix_(at[rows], where[cols])]
        return spend_profile(spend, categories)

    def warn_unmatched(
        self, catalog: Catalog, *, func: str, category_col: Hashable, stacklevel: int
    ) -> None:
        """The notices :func:`catalog_rows` and :func:`category_profile` give of the same
        rows (the examples are the first keys in sorted order, not in the rows' order)."""
        notes = self.notes
        if notes.get("unmatched_rows"):
            text = unmatched_notice(
                catalog,
                func=func,
                n_rows=int(notes["unmatched_rows"]),
                n_null=int(notes["null_rows"]),
                n_keys=int(notes["unmatched_keys"]),
                shown=examples(notes["examples"]),
                none_matched=not (self.highest >= 0).any(),
            )
            warn(text, stacklevel=stacklevel)
        if notes.get("no_category_rows"):
            text = no_category_notice(
                catalog,
                func=func,
                category_col=category_col,
                n_keys=int(notes["no_category_keys"]),
                n_rows=int(notes["no_category_rows"]),
            )
            warn(text, stacklevel=stacklevel)


def table_need(customers: pd.DataFrame, map_: NeedMap) -> EngineNeed | None:
    """The need inputs an engine's summary computed with `map_` (None: not there)."""
    if NEED_COLUMNS[0] not in customers.columns:
        return None
    spend_cols = [f"{NEED_SPEND_PREFIX}{i}" for i in range(len(map_.categories))]
    spend = np.empty((len(customers), len(spend_cols)))
    for j, col in enumerate(spend_cols):
        spend[:, j] = customers[col].to_numpy(dtype=np.float64)
    return EngineNeed(
        index=customers.index,
        highest=customers[NEED_COLUMNS[0]].to_numpy(dtype=np.int64),
        spend=spend,
        categories=pd.Index(list(map_.categories)),
        notes=dict(customers.attrs.get(NEED_NOTES_ATTR, {})),
    )


def need_columns(customers: pd.DataFrame) -> list[str]:
    """The columns of `customers` that an engine added for the need level."""
    return [
        c
        for c in customers.columns
        if c in NEED_COLUMNS or (isinstance(c, str) and c.startswith(NEED_SPEND_PREFIX))
    ]
