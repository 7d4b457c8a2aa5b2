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
from collections.abc import Callable, Hashable
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
    "need_measures",
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
_CHUNK_ROWS = 1 << 20  # rows read at once: the temporaries of a chunk stay small
_MAX_CENTS_AMOUNT = 1e12  # amounts ranked by their cents are below this (in size)


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
        return spend_profile(_net_spend(cell, amount, size).reshape(shape), catalog.categories)
    counts = np.bincount(cell, minlength=size).reshape(shape)
    bought = counts > 0
    values = counts.astype(np.float64) if basis == "orders" else bought.astype(np.float64)
    if basis != "binary":
        values = _shares(values)
    return CategoryProfile(
        basis=basis, categories=catalog.categories, profile=values, bought=bought
    )


def _net_spend(cell: np.ndarray, amount: np.ndarray, size: int) -> np.ndarray:
    """The net spend of each cell (:func:`_ascending_sums`; `cell` is overwritten), a net
    that returns bring to rounding error being 0, as the customer table's
    (:func:`kamseg.transactions.net_sums`)."""
    gross = None
    if (amount < 0).any():  # (in row order, before `cell` is sorted)
        gross = np.bincount(cell, weights=np.abs(amount), minlength=size)
    spend = _ascending_sums(cell, amount, size, overwrite=True)
    if gross is not None:
        spend[np.isfinite(spend) & (np.abs(spend) <= NET_TOLERANCE * gross)] = 0.0
    return spend


def need_measures(
    prepared: PreparedTransactions,
    positions: np.ndarray,
    n_customers: int,
    catalog: Catalog,
    *,
    func: str,
    spend: bool,
    category_col: Hashable = "category",
    stacklevel: int = 4,
) -> tuple[np.ndarray, CategoryProfile | None]:
    """:func:`highest_level` and (with `spend`) the ``"spend"`` :func:`category_profile` of
    the rows :func:`catalog_rows` matches, with the notices of both, in that order.

    The same values, read chunk by chunk: no array of every row is made but the cells
    and amounts of the categorised rows (:func:`catalog_rows` makes three).
    """
    if prepared.product_code is None or prepared.products is None:  # pragma: no cover
        raise ConfigError(f"{func}: the prepared transactions have no product column.")
    if catalog.level is None:
        raise ConfigError("highest_level: the catalogue was read without level_col.")
    if spend and catalog.category is None:
        raise ConfigError(f"{func}: the catalogue was read without category_col.")
    n_cat = len(catalog.categories)
    codes, uniques = prepared.product_code, prepared.products
    entry_of = np.append(positions_in(pd.Series(uniques, dtype=object), catalog.keys), -1)
    level = catalog.level.astype(np.int64)
    category = catalog.category if spend and catalog.category is not None else None
    has_no_category = category is not None and bool((category < 0).any())
    highest = np.full(n_customers, -1, dtype=np.int64)
    n_rows = codes.size
    cell = np.empty(n_rows if spend else 0, dtype=np.int64)  # pages only as filled
    amount: np.ndarray | None = None  # a copy only once a row is left out
    filled = n_missing = n_null = n_no_cat = 0
    matched = False
    missing_keys: list[np.ndarray] = []
    no_cat_entries: list[np.ndarray] = []
    for start in range(0, n_rows, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n_rows)
        pos = positions[prepared.code[start:stop]]
        product = codes[start:stop]
        entry = entry_of[product]  # code -1 picks the appended -1
        known = pos >= 0
        keep = known & (entry >= 0)
        if not keep.all():
            missing = known & (entry < 0)
            miss = product[missing]
            n_missing += miss.size
            n_null += int((miss < 0).sum())
            missing_keys.append(pd.unique(miss[miss >= 0]))  # first-seen order
            pos, entry = pos[keep], entry[keep]
        matched = matched or pos.size > 0
        np.maximum.at(highest, pos, level[entry])
        if category is None:
            continue
        cat = category[entry]
        rows = np.flatnonzero(keep)
        if has_no_category:
            no_cat = cat < 0
            if no_cat.any():
                n_no_cat += int(no_cat.sum())
                no_cat_entries.append(np.unique(entry[no_cat]))
                pos, cat, rows = pos[~no_cat], cat[~no_cat], rows[~no_cat]
        part = cell[filled : filled + pos.size]
        np.multiply(pos, n_cat, out=part)
        part += cat
        if amount is None and (filled < start or rows.size < stop - start):
            amount = np.empty(n_rows, dtype=np.float64)  # the rows so far were all kept
            amount[:filled] = prepared.amount[:filled]
        if amount is not None:
            amount[filled : filled + rows.size] = prepared.amount[start:stop][rows]
        filled += pos.size
    if n_missing:
        seen = pd.unique(np.concatenate(missing_keys))
        warn(
            unmatched_notice(
                catalog,
                func=func,
                n_rows=n_missing,
                n_null=n_null,
                n_keys=seen.size,
                shown=examples(uniques[seen]),
                none_matched=not matched,
            ),
            stacklevel=stacklevel,
        )
    if category is None:
        return highest, None
    if n_no_cat:
        warn(
            no_category_notice(
                catalog,
                func=func,
                category_col=category_col,
                n_keys=int(np.unique(np.concatenate(no_cat_entries)).size),
                n_rows=n_no_cat,
            ),
            stacklevel=stacklevel,
        )
    amounts = np.asarray(prepared.amount, dtype=np.float64) if amount is None else amount
    size = n_customers * n_cat
    spend_sums = _net_spend(cell[:filled], amounts[:filled], size)
    return highest, spend_profile(spend_sums.reshape(n_customers, n_cat), catalog.categories)


def _ascending_sums(
    cell: np.ndarray, amount: np.ndarray, size: int, *, overwrite: bool = False
) -> np.ndarray:
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
    of distinct values would cost more than it saves). The keys are made and read back in
    chunks (:func:`_sorted_key_sums`); with `overwrite`, they are made in the memory of
    `cell` (an int64 array the caller no longer needs).
    """
    amount = np.asarray(amount, dtype=np.float64)
    own = overwrite and cell.dtype == np.int64 and cell.flags.writeable
    size_bits = max(int(size), 1).bit_length()
    cents = _whole_cents(amount)
    if cents is not None and cents[1] + size_bits <= _KEY_BITS:
        # whole cents (prices, as usual): each row's cents rank it, without hashing
        least, bits = cents
        key = cell if own else cell.astype(np.int64)  # (a copy: `cell` is not changed)
        for start in range(0, key.size, _CHUNK_ROWS):  # no temporary the size of all rows
            part = key[start : start + _CHUNK_ROWS]
            part <<= bits
            part |= _cents(amount[start : start + _CHUNK_ROWS]) - least
        key.sort()
        return _sorted_key_sums(key, bits, size, lambda low: (low + least) / 100.0)
    bits = 0
    if amount.size and _few_distinct(amount):
        # the hash table of the float bits (as int64, one value per bit pattern: -0.0 and
        # 0.0 apart, which the sort below keeps equal); about twice as fast as of floats
        codes, uniques = pd.factorize(amount.view(np.int64), size_hint=min(amount.size, 1 << 20))
        bits = int(uniques.size).bit_length()
    if bits == 0 or bits + size_bits > _KEY_BITS:
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
    key = cell if own else cell.astype(np.int64)  # (a copy: `cell` is not changed)
    for start in range(0, key.size, _CHUNK_ROWS):  # no temporary the size of all rows
        part = key[start : start + _CHUNK_ROWS]
        part <<= bits
        part |= rank[codes[start : start + _CHUNK_ROWS]]
    del codes
    key.sort()
    ordered = values[by_value]
    return _sorted_key_sums(key, bits, size, lambda low: ordered[low])


def _cents(amount: np.ndarray) -> np.ndarray:
    """``rint(100 * amount)`` as int64."""
    scaled = amount * 100.0
    np.rint(scaled, out=scaled)
    return scaled.astype(np.int64)


def _whole_cents(amount: np.ndarray) -> tuple[int, int] | None:
    """When every amount is a whole number of cents, ``amount == rint(100 * amount) / 100``
    (prices and sums of prices usually are), the least number of cents and the bits of the
    cents above it; else None.

    Then the cents order the amounts as the amounts do (a different number of cents is a
    different amount, below 1e12), and ``cents / 100`` gives each amount back: its value
    (-0.0 as 0.0, which adds the same to any sum).
    """
    if amount.size == 0:
        return None
    least, most = 0, 0
    for start in range(0, amount.size, _CHUNK_ROWS):
        part = amount[start : start + _CHUNK_ROWS]
        if not (np.abs(part) < _MAX_CENTS_AMOUNT).all():
            return None
        cents = part * 100.0
        np.rint(cents, out=cents)
        back = cents / 100.0
        if not np.array_equal(back, part):
            return None
        low, high = int(cents.min()), int(cents.max())
        least, most = (low, high) if start == 0 else (min(least, low), max(most, high))
    return least, (most - least).bit_length()


def _sorted_key_sums(
    key: np.ndarray, bits: int, size: int, value: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """``np.bincount(key >> bits, weights=value(key & mask), minlength=size)`` of the
    sorted keys (`value`: the amount of each rank in the low `bits`), read in chunks of whole
    cells: each cell's rows are added in the same order, from 0.0, by one bincount, and put
    in its place (a sum from 0.0 is never -0.0, so adding it to the 0.0 there leaves its
    bits)."""
    out = np.zeros(size)
    mask = (1 << bits) - 1
    start = 0
    while start < key.size:
        stop = min(start + _CHUNK_ROWS, key.size)
        if stop < key.size:  # back to the first row of the cell at `stop`
            stop = int(np.searchsorted(key, (key[stop] >> bits) << bits, side="left"))
            if stop <= start:  # one cell fills the chunk: to the end of that cell
                stop = int(np.searchsorted(key, ((key[start] >> bits) + 1) << bits))
        part = key[start:stop]
        first = int(part[0] >> bits)
        cells = part >> bits
        cells -= first
        sums = np.bincount(cells, weights=value(part & mask))
        out[first : first + sums.size] += sums
        start = stop
    return out


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
    bought = values > 0
    return CategoryProfile(
        basis="spend", categories=categories, profile=_shares(values, own=True), bought=bought
    )


def _shares(values: np.ndarray, *, own: bool = False) -> np.ndarray:
    """Each row of `values` (>= 0) as shares of its total (rows summing to 0: all 0); with
    `own`, in the memory of `values` (a temporary of the caller)."""
    total = values.sum(axis=1, keepdims=True)
    if not own:
        shares: np.ndarray = np.divide(values, total, out=np.zeros(values.shape), where=total > 0)
        return shares
    np.divide(values, total, out=values, where=total > 0)
    values[total[:, 0] <= 0] = 0.0  # (all 0 already, but for -0.0)
    return values


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
