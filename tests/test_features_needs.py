"""Tests for kamseg.features._needs: rows matched to the catalogue, and category profiles.

The profiles are checked against a plain pandas reference written from the documented rule
(each cell's net spend summed in ascending amount order, from 0.0; a net that is rounding
error of returns is 0), on amounts chosen so that the order of a floating-point sum changes
its bits.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg.errors import KamsegWarning
from kamseg.features import _needs as fn
from kamseg.features._needs import (
    Catalog,
    CatalogRows,
    catalog_rows,
    category_profile,
    read_catalog,
)

# sums of these depend on the order: 1e16 + 1.0 - 1e16 is 0.0, 1e16 - 1e16 + 1.0 is 1.0
AMOUNTS = [1e16, -1e16, 1.0, 0.1, 0.2, 0.3, 3.0, -0.0, 0.0, -2.5, 7.25]


def plain_profile(
    customer: np.ndarray, category: np.ndarray, amount: np.ndarray, n: int, n_cat: int
) -> tuple[np.ndarray, np.ndarray]:
    """Spend shares, one cell at a time: amounts sorted ascending, added from 0.0; a net
    within 1e-9 of the cell's absolute amounts (rounding error of returns) is 0, as
    kamseg.transactions.net_sums says of the customer's revenue."""
    spend = np.zeros((n, n_cat))
    frame = pd.DataFrame({"c": customer, "k": category, "a": amount})
    for (c, k), group in frame.groupby(["c", "k"]):
        total = 0.0
        for value in sorted(group["a"].tolist()):
            total += value
        if (amount < 0).any() and abs(total) <= 1e-9 * group["a"].abs().sum():
            total = 0.0
        spend[c, k] = max(total, 0.0)
    row_total = spend.sum(axis=1, keepdims=True)
    shares = np.divide(spend, row_total, out=np.zeros_like(spend), where=row_total > 0)
    return shares, spend > 0


def catalogue(n_cat: int) -> Catalog:
    """One catalogue entry per category (entry i is category i), plus one with none."""
    return Catalog(
        key_col="product",
        key_arg="product_col",
        keys=pd.Index([f"p{i}" for i in range(n_cat + 1)]),
        level=None,
        category=np.append(np.arange(n_cat), -1),
        categories=pd.Index([f"c{i}" for i in range(n_cat)]),
    )


@pytest.mark.parametrize("seed", range(6))
def test_spend_profile_is_the_plain_sum_in_ascending_order(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, n_cat, m = 40, 3, 600  # cells of 0 to ~15 rows: one, two, three and more
    customer = rng.integers(0, n, m)
    entry = rng.integers(0, n_cat, m)
    amount = rng.choice(AMOUNTS, m)
    rows = CatalogRows(n_customers=n, customer=customer, entry=entry, amount=amount)
    got = category_profile(rows, catalogue(n_cat), func="t")
    shares, bought = plain_profile(customer, entry, amount, n, n_cat)
    np.testing.assert_array_equal(got.profile, shares)  # equal bits, not close
    np.testing.assert_array_equal(got.bought, bought)
    # the row order cannot change a bit
    perm = rng.permutation(m)
    again = category_profile(
        CatalogRows(n, customer[perm], entry[perm], amount[perm]), catalogue(n_cat), func="t"
    )
    np.testing.assert_array_equal(again.profile, got.profile)


def test_rows_without_a_category_are_left_out() -> None:
    customer = np.array([0, 0, 1, 1, 1])
    entry = np.array([0, 2, 1, 1, 2])  # entry 2 has no category
    amount = np.array([5.0, 100.0, 1.0, 3.0, 100.0])
    rows = CatalogRows(n_customers=3, customer=customer, entry=entry, amount=amount)
    with pytest.warns(KamsegWarning, match="1 catalogue 'product' value.*2 transaction"):
        got = category_profile(rows, catalogue(2), func="t")
    np.testing.assert_array_equal(got.profile, [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(got.bought, [[True, False], [False, True], [False, False]])


@pytest.mark.parametrize("basis", ["orders", "binary"])
def test_count_profiles_by_hand(basis: str) -> None:
    # customer 0: 3 rows in c0, 1 in c1; customer 1: nothing
    rows = CatalogRows(
        n_customers=2,
        customer=np.array([0, 0, 0, 0]),
        entry=np.array([0, 1, 0, 0]),
        amount=np.array([1.0, -5.0, 2.0, 3.0]),
    )
    got = category_profile(rows, catalogue(2), basis=basis, func="t")
    expected = [[0.75, 0.25], [0.0, 0.0]] if basis == "orders" else [[1.0, 1.0], [0.0, 0.0]]
    np.testing.assert_array_equal(got.profile, expected)


def test_catalog_rows_keep_the_matched_rows_of_known_customers() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 9, 1, 2, 1],
            "date": pd.to_datetime(["2024-01-0" + str(d) for d in range(1, 7)]),
            "amount": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
            "product": ["a", "b", "a", "zz", "a", "b"],
        }
    )
    cat = read_catalog(
        pd.DataFrame({"product": ["b", "a"], "category": ["B", "A"]}),
        func="t",
        key_col="product",
        category_col="category",
    )
    prepared = kamseg.prepare_transactions(tx, product_col="product")
    index = pd.Index([2, 1], name="customer_id")
    with pytest.warns(KamsegWarning, match="1 customer id"):
        positions = prepared.positions(index, func="t")  # customer 9 is unknown
    with pytest.warns(KamsegWarning, match="excluded 1 transaction.*'zz'"):
        rows = catalog_rows(prepared, positions, 2, cat, func="t")
    # kept: rows 0, 1, 4, 5 (row 2: unknown customer; row 3: product not in the catalogue)
    assert rows.customer.tolist() == [1, 0, 0, 1]
    assert cat.keys[rows.entry].tolist() == ["a", "b", "a", "b"]
    assert rows.amount.tolist() == [10.0, 20.0, 50.0, 60.0]
    # every row matched: the arrays are the prepared rows, in order
    full = kamseg.prepare_transactions(tx.iloc[[0, 1, 4, 5]], product_col="product")
    all_rows = catalog_rows(full, full.positions(index, func="t"), 2, cat, func="t")
    assert all_rows.customer.tolist() == [1, 0, 0, 1]
    assert all_rows.amount.dtype == np.float64
    assert all_rows.amount.tolist() == [10.0, 20.0, 50.0, 60.0]


def _spy_on_hashing(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the arrays `_ascending_sums` hashes (pd.factorize), as it calls it."""
    hashing: list[int] = []
    factorize = pd.factorize

    def spy(values: np.ndarray, **kw: object) -> tuple[np.ndarray, np.ndarray]:
        hashing.append(values.size)
        return factorize(values, **kw)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(fn.pd, "factorize", spy)
    return hashing


def _sums_in_ascending_order(cell: np.ndarray, amount: np.ndarray, size: int) -> np.ndarray:
    """Each cell's amounts added one by one in ascending order, from 0.0 (a plain loop)."""
    expected = np.zeros(size)
    for c in range(size):
        total = 0.0
        for value in sorted(amount[cell == c].tolist()):
            total += value
        expected[c] = total
    return expected


@pytest.mark.parametrize(
    ("distinct", "key_bits"),
    [(40, 63), (40, 0), (None, 63)],  # key_bits 0: hashed, but the key never fits
)
@pytest.mark.parametrize("seed", range(4))
def test_ascending_sums_are_the_plain_sums(
    monkeypatch: pytest.MonkeyPatch,
    distinct: int | None,
    key_bits: int,
    seed: int,
) -> None:
    # both routes of _ascending_sums (the amounts hashed and sorted with their cells, or
    # argsorted) against a plain loop (each cell's amounts sorted, added from 0.0), on
    # amounts whose sums depend on the order: few values (ties, 0.0 and -0.0) mixed with
    # random floats, few of them (prices) or all distinct
    monkeypatch.setattr(fn, "_KEY_BITS", key_bits)
    rng = np.random.default_rng(seed)
    size, m = 50, 900
    cell = rng.integers(0, size, m)
    noise = rng.normal(0.0, 1e3, m if distinct is None else distinct)
    amount = np.where(rng.random(m) < 0.5, rng.choice(AMOUNTS, m), rng.choice(noise, m))
    assert fn._few_distinct(amount) is (distinct is not None)
    hashing = _spy_on_hashing(monkeypatch)
    expected = _sums_in_ascending_order(cell, amount, size)
    got = fn._ascending_sums(cell, amount, size)
    assert bool(hashing) is (distinct is not None)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got.view(np.int64), expected.view(np.int64))  # bits
    perm = rng.permutation(m)
    again = fn._ascending_sums(cell[perm], amount[perm], size)
    np.testing.assert_array_equal(again.view(np.int64), got.view(np.int64))


def test_few_distinct_amounts() -> None:
    # an eighth as many distinct values as rows is the limit, estimated from a sample
    rng = np.random.default_rng(0)
    for m in (1000, 200_000):
        for d, few in ((m // 40, True), (m // 3, False), (m, False)):
            amount = rng.choice(rng.normal(0.0, 1.0, d), m) if d < m else rng.normal(0, 1, m)
            assert fn._few_distinct(amount) is few


def test_ascending_sums_of_no_rows() -> None:
    got = fn._ascending_sums(np.empty(0, dtype=np.int64), np.empty(0), 3)
    assert got.dtype == np.float64
    assert got.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("seed", range(4))
def test_ascending_sums_of_whole_cents(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    # amounts in whole cents (prices) are ordered by their cents, without hashing, and read
    # back in chunks of whole cells (one cell longer than a chunk): the plain sums, bit for
    # bit, from any row order
    monkeypatch.setattr(fn, "_CHUNK_ROWS", 7)
    rng = np.random.default_rng(seed)
    size, m = 30, 500
    cell = np.where(rng.random(m) < 0.1, 4, rng.integers(0, size, m))  # cell 4: ~60 rows
    prices = [0.1, 0.2, 0.3, -0.3, 22.89, -0.0, 0.0, 1234.56, -7.25, 1e9 + 0.01]
    amount = np.where(
        rng.random(m) < 0.5, rng.choice(prices, m), np.round(rng.normal(0, 500, m), 2)
    )
    hashing = _spy_on_hashing(monkeypatch)
    expected = _sums_in_ascending_order(cell, amount, size)
    got = fn._ascending_sums(cell, amount, size)
    assert not hashing
    np.testing.assert_array_equal(got.view(np.int64), expected.view(np.int64))
    perm = rng.permutation(m)
    key = cell[perm].astype(np.int64)
    again = fn._ascending_sums(key, amount[perm], size, overwrite=True)
    np.testing.assert_array_equal(again.view(np.int64), got.view(np.int64))


def test_whole_cents() -> None:
    # the least number of cents and the bits of the span above it: -1.50 .. 2.00 is
    # -150 .. 200 cents, 350 above the least, 9 bits
    assert fn._whole_cents(np.array([0.25, -1.5, 2.0, -0.0])) == (-150, 9)
    assert fn._whole_cents(np.array([3.0, 3.0])) == (300, 0)
    assert fn._whole_cents(np.array([0.1, 0.125])) is None  # an eighth of a cent more
    assert fn._whole_cents(np.array([0.1, 1e12])) is None  # too large to rank by cents
    assert fn._whole_cents(np.array([1.0, np.inf])) is None
    assert fn._whole_cents(np.empty(0)) is None


@pytest.mark.parametrize("chunk", [3, 1 << 20])
def test_need_measures_are_highest_level_and_category_profile(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    # read a few rows at a time, the same levels, profiles and notices as the rows matched
    # once (catalog_rows), their highest level and their profile
    monkeypatch.setattr(fn, "_CHUNK_ROWS", chunk)
    rng = np.random.default_rng(4)
    m = 300
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 25, m),
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, m), "D"),
            "amount": rng.choice([5.0, -5.0, 2.5, 0.1, 0.2, 0.3, 19.99], m),
            "product": rng.choice(["a", "b", "c", "nocat", "unknown", None], m),
        }
    )
    catalog = pd.DataFrame(
        {
            "product": ["a", "b", "c", "nocat"],
            "category": ["A", "B", "A", None],
            "need_level": ["basic", "latent", "expected", "latent"],
        }
    )
    cat = read_catalog(
        catalog, func="t", key_col="product", level_col="need_level", category_col="category"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        prepared = kamseg.prepare_transactions(tx, product_col="product", dropna=True)
        index = pd.Index(np.arange(22), name="customer_id")  # 22, 23, 24: not in the table
        positions = prepared.positions(index, func="t")
    with warnings.catch_warnings(record=True) as expected_notices:
        warnings.simplefilter("always")
        rows = catalog_rows(prepared, positions, 22, cat, func="t")
        expected = category_profile(rows, cat, func="t")
    with warnings.catch_warnings(record=True) as notices:
        warnings.simplefilter("always")
        levels, got = fn.need_measures(prepared, positions, 22, cat, func="t", spend=True)
    assert [str(w.message) for w in notices] == [str(w.message) for w in expected_notices]
    assert len(notices) == 2  # unknown products (and nulls), products without a category
    np.testing.assert_array_equal(levels, fn.highest_level(rows, cat))
    assert got is not None
    np.testing.assert_array_equal(got.profile.view(np.int64), expected.profile.view(np.int64))
    np.testing.assert_array_equal(got.bought, expected.bought)
    with pytest.warns(KamsegWarning, match="excluded 85 transaction"):  # the first notice only
        levels_only, none = fn.need_measures(prepared, positions, 22, cat, func="t", spend=False)
    assert none is None
    np.testing.assert_array_equal(levels_only, levels)
