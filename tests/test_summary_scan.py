"""Tests of kamseg.summary._scan: the DuckDB summary's passes read by DuckDB and summed in
numpy give the pandas path's table, bit for bit."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg.errors import KamsegWarning

duckdb = pytest.importorskip("duckdb")
pa = pytest.importorskip("pyarrow")

from kamseg.summary import _duckdb, _scan  # noqa: E402


def _returns_of_low_ids(n_customers: int = 400) -> pd.DataFrame:
    """Transactions whose returns (every 7th row) are all among the lowest third of the
    ids, with several rows per customer and day (so that sums of three or more rows
    depend on the order they are added in)."""
    tx = kamseg.datasets.make_transactions(n_customers=n_customers, seed=11).transactions
    tx = pd.concat([tx, tx.assign(amount=tx["amount"] * 0.37)]).sort_values("date")
    tx = tx.reset_index(drop=True)
    low = tx["customer_id"] < tx["customer_id"].quantile(0.3)
    back = low & (np.arange(len(tx)) % 7 == 3)
    tx.loc[back, "amount"] = -tx.loc[back, "amount"] * 0.5
    tx["order_id"] = np.arange(len(tx)) // 2  # two rows per order
    return tx


@pytest.mark.parametrize("ids", ["int", "text"])
@pytest.mark.parametrize("partitions", [1, 3, 6])
@pytest.mark.parametrize("freq", ["D", "W"])
def test_the_pandas_path_s_bits(tmp_path: Path, partitions: int, freq: str, ids: str) -> None:
    """Each customer's amounts are added in row order, as the pandas path adds them, and
    passes without a return still net as the whole table does. Text ids come out in the
    pandas path's order (by code point: "C10" before "C9", "Z" before "a", "é" last)."""
    tx = _returns_of_low_ids()
    if ids == "text":
        names = np.array(["C", "c", "Z", "é", " C"])  # " C": stripped, then "C"
        number = tx["customer_id"].astype(np.int64)
        tx["customer_id"] = names[number % 5] + number.astype(str)
    path = tmp_path / "tx.parquet"
    tx.to_parquet(path, index=False)
    kw: dict[str, Any] = {"profit_col": "profit", "order_col": "order_id", "freq": freq}
    with warnings.catch_warnings(record=True) as on_duckdb:
        warnings.simplefilter("always")
        got = _duckdb.summarize_duckdb(str(path), partitions=partitions, **kw)
    with warnings.catch_warnings(record=True) as on_pandas:
        warnings.simplefilter("always")
        expected = kamseg.summarize(tx, **kw)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.attrs == expected.attrs
    assert [str(w.message) for w in on_duckdb] == [str(w.message) for w in on_pandas]
    assert issubclass(on_pandas[0].category, KamsegWarning)


def test_the_passes_are_the_rows_numpy_sums(tmp_path: Path, duckdb_queries: list[str]):
    """Whole-number ids: the passes ask DuckDB for rows, not for the SQL summary."""
    tx = _returns_of_low_ids(60)
    path = tmp_path / "tx.parquet"
    tx.to_parquet(path, index=False)
    seen = duckdb_queries
    with pytest.warns(KamsegWarning):
        _duckdb.summarize_duckdb(str(path), partitions=3)
    passes = [q for q in seen if q.startswith(_scan.PASS_TAG)]
    assert len(passes) == 3
    assert not [q for q in seen if "GROUP BY c" in q]
    # fractional order ids: the SQL summary
    seen.clear()
    tx.assign(order_id=tx["order_id"] + 0.5).to_parquet(path, index=False)
    with pytest.warns(KamsegWarning):
        _duckdb.summarize_duckdb(str(path), partitions=3, order_col="order_id")
    assert not [q for q in seen if q.startswith(_scan.PASS_TAG)]
    assert len([q for q in seen if "per_cust AS" in q]) == 3


@pytest.mark.parametrize("kind", ["Int64", "string"])
def test_order_ids_with_nulls_or_text(tmp_path: Path, kind: str) -> None:
    """Order ids that are text, or whole numbers with missing ones (one more order per
    customer, as the pandas path counts them), with the windows' activity."""
    tx = _returns_of_low_ids(80)
    order = pd.array(tx["order_id"], dtype="Int64")
    order[::9] = pd.NA
    tx["order_id"] = order.astype(kind)
    kw: dict[str, Any] = {"order_col": "order_id", "freq": "W"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        got = _duckdb.summarize_duckdb(pa.Table.from_pandas(tx), activity_window=60, **kw)
        expected = kamseg.summarize(tx, **kw)
    assert _scan.scannable(
        duckdb.from_arrow(pa.Table.from_pandas(tx)), '"customer_id"', '"order_id"'
    )
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_exact=True)
    from kamseg.features import table_activity, window_activity

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        prepared = kamseg.prepare_transactions(tx, order_col="order_id")
    positions = prepared.positions(got.index, func="test")
    want = window_activity(prepared, positions, len(got), window=60)
    have = table_activity(got, 60)
    assert have is not None and want.orders.sum() > 0
    for field in ("spend_recent", "spend_previous", "days_recent", "orders", "covers"):
        np.testing.assert_array_equal(getattr(have, field), getattr(want, field), err_msg=field)


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        ({"c": pa.int64()}, True),
        ({"c": pa.int8(), "o": pa.uint64()}, True),
        ({"c": pa.uint32(), "o": pa.int32()}, True),
        ({"c": pa.string()}, True),
        ({"c": pa.int64(), "o": pa.string()}, True),  # text order ids: Arrow's hash
        ({"c": pa.int64(), "o": pa.float64()}, False),
        ({"c": pa.float64()}, False),
        ({"c": pa.decimal128(20, 0)}, False),
    ],
)
def test_scannable(types: dict[str, Any], expected: bool) -> None:
    table = pa.table({name: pa.array([1]).cast(t) for name, t in types.items()})
    rel = duckdb.connect().from_arrow(table)
    assert _scan.scannable(rel, '"c"', '"o"' if "o" in types else None) is expected


@pytest.mark.parametrize(
    "values",
    [
        np.array([5, 3, 5, 9, 3, 4], dtype=np.int64),  # dense
        np.array([-7, 2, -7, 0], dtype=np.int32),  # negative
        np.array([3, 2**40, 3, -(2**40), 17], dtype=np.int64),  # sparse: numpy.unique
        np.array([2**64 - 1, 2**64 - 3, 2**64 - 1], dtype=np.uint64),  # beyond int64
        np.array([-128, 127, 0, -128], dtype=np.int8),  # the whole range of the type
        np.array([42], dtype=np.int16),
        np.random.default_rng(0).integers(-50, 10_000, size=3_000),
    ],
)
def test_dense_codes_equal_numpy_unique(values: np.ndarray) -> None:
    codes, distinct = _scan.dense_codes(values)
    expected_distinct, expected_codes = np.unique(values, return_inverse=True)
    assert distinct.dtype == values.dtype
    np.testing.assert_array_equal(distinct, expected_distinct)
    np.testing.assert_array_equal(codes, expected_codes)
    assert codes.dtype == np.int64


def _need_map(keys: tuple[Any, ...]) -> Any:
    from kamseg._types import NeedMap

    n = len(keys)
    return NeedMap(
        product_col="product",
        keys=keys,
        level=tuple(i % 3 for i in range(n)),
        category=tuple((i % 2) - (i == n - 1) for i in range(n)),  # the last: no category
        categories=("x", "y"),
    )


@pytest.mark.parametrize(
    ("column", "keys", "expected"),
    [
        # text: exact text keys; a number never equals a text
        (pa.array(["b", None, "a", "zz", "5"]), ("a", "b", 5), [1, -1, 0, -1, -1]),
        (pa.array(["b", "a", "b"]).dictionary_encode(), ("a", "b"), [1, 0, 1]),
        # numbers: by value (5 and 5.0 one key), no text, no bool, nothing between integers
        (pa.array([5, 7, None, 1], type=pa.int32()), (5.0, "7", True, 7.5, 1), [0, -1, -1, 4]),
        (pa.array([5.0, 7.5, 2.0]), (5, 7.5, "2"), [0, 1, -1]),
        (pa.array([1, 2], type=pa.date32()), ("a", 1), [-1, -1]),
    ],
)
def test_need_entries_match_as_the_sql(column: Any, keys: tuple[Any, ...], expected: list[int]):
    np.testing.assert_array_equal(_scan.need_entries(column, _need_map(keys)), expected)
    # the SQL twin's join on the same values
    from kamseg.summary._sql import need_map_sql

    con = duckdb.connect()
    con.register("rows", pa.table({"k": column}))
    kind = str(con.sql("SELECT k FROM rows").types[0])
    sql = (
        f"WITH {need_map_sql(_need_map(keys), kind)} SELECT list(m.lvl ORDER BY r) FROM "
        "(SELECT k, row_number() OVER () AS r FROM rows) t LEFT JOIN need_map m ON t.k = m.key"
    )
    if not kind.startswith(("DATE",)):
        levels = con.sql(sql).fetchall()[0][0]
        want = [None if e < 0 else _need_map(keys).level[e] for e in expected]
        assert levels == want


def test_need_sums_by_hand() -> None:
    """Customer 0 buys entry 0 (level 0, category x) and returns all of it, then entry 3
    (level 0, category y); customer 1 buys entry 2 (level 2, category x) and entry 4 (level
    1, no category); customer 2 buys nothing in the catalogue."""
    need = _need_map(("a", "b", "c", "d", "e"))
    codes = np.array([0, 0, 0, 1, 1, 2])
    amount = np.array([0.1 + 0.2, -0.3, 4.0, 5.0, 6.0, 7.0])
    entries = np.array([0, 0, 3, 2, 4, -1])
    got = _scan.need_sums(codes, amount, entries, need, 3)
    np.testing.assert_array_equal(got["need_highest"], [0, 2, -1])
    np.testing.assert_array_equal(got["need_spend_0"], [0.0, 5.0, 0.0])  # 0.1 + 0.2 - 0.3: 0
    np.testing.assert_array_equal(got["need_spend_1"], [4.0, 0.0, 0.0])


@pytest.mark.parametrize(
    "column",
    [
        pa.array([7, None, 7, 2, None, 2**40], type=pa.int64()),  # missing: below the rest
        pa.array([None, None], type=pa.int64()),  # all missing: one order
        pa.array([-(2**63), None, 5], type=pa.int64()),  # no room below: Arrow's hash
        pa.array([3, 1, 3], type=pa.uint8()),
        pa.array(["a", None, "b", "a", None]),
        pa.chunked_array([[5, None], [5, 6]]),
    ],
)
def test_order_codes_share_exactly_when_the_ids_do(column: Any) -> None:
    codes = _scan.order_codes(column)
    ids = column.to_pylist()
    assert codes.dtype == np.int64 and len(codes) == len(ids)
    for i in range(len(ids)):
        for j in range(len(ids)):
            assert (codes[i] == codes[j]) == (ids[i] == ids[j]), (ids[i], ids[j])
