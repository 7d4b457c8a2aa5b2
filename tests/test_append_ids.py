"""kamseg._validation.append_ids and reindexed: a table or column reindexed to its ids and
new ones, made by appending instead of looking up every id."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamseg._validation import append_ids


def _reindexed(customers: pd.DataFrame, new_ids: pd.Index) -> pd.DataFrame:
    return customers.reindex(customers.index.append(new_ids).rename(customers.index.name))


def _table(ids: pd.Index) -> pd.DataFrame:
    n = len(ids)
    rng = np.random.default_rng(n)
    table = pd.DataFrame(
        {
            "int": rng.integers(0, 9, n),
            "uint8": rng.integers(0, 9, n).astype(np.uint8),
            "float": rng.random(n),
            "float32": rng.random(n).astype(np.float32),
            "bool": rng.random(n) > 0.5,
            "text": pd.array([f"x{i}" for i in range(n)], dtype="str"),
            "object": np.array([None, "a"] * (n // 2), dtype=object),
            "category": pd.Categorical(rng.choice(["a", "b"], n), categories=["a", "b", "z"]),
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 99, n), "D"),
            "days": pd.to_timedelta(rng.integers(0, 9, n), "D"),
            "nullable_bool": pd.array(rng.random(n) > 0.5, dtype="boolean"),
            "nullable_int": pd.array(rng.integers(0, 5, n), dtype="Int64"),
        },
        index=ids,
    )
    table.attrs["as_of"] = "2024-06-30"
    return table


@pytest.mark.parametrize(
    "new_ids",
    [pd.Index(["n1", "n2"]), pd.Index([], dtype=object), pd.Index(["n3"], name="other")],
)
def test_text_ids_every_column_type(new_ids: pd.Index) -> None:
    table = _table(pd.Index([f"c{i}" for i in range(200)], name="customer_id"))
    got = append_ids(table, new_ids)
    pd.testing.assert_frame_equal(got, _reindexed(table, new_ids), check_exact=True)
    assert got.index.name == "customer_id"
    assert got.attrs == {"as_of": "2024-06-30"}
    assert list(got.index[200:]) == list(new_ids)
    assert got.loc[got.index[200:], "float"].isna().all()


def test_integer_ids_and_the_input_kept() -> None:
    table = _table(pd.Index(np.arange(100, 300), name="cid"))
    before = table.copy()
    got = append_ids(table, pd.Index([7, 1_000]))
    pd.testing.assert_frame_equal(got, _reindexed(table, pd.Index([7, 1_000])), check_exact=True)
    assert got["int"].dtype == np.float64 and got["bool"].dtype == object  # room for NaN
    pd.testing.assert_frame_equal(table, before)  # not modified


def test_a_table_without_columns() -> None:
    table = pd.DataFrame(index=pd.Index(["a", "b"], name="id"))
    got = append_ids(table, pd.Index(["c"]))
    pd.testing.assert_frame_equal(got, _reindexed(table, pd.Index(["c"])))


@pytest.mark.parametrize("kind", ["float", "int", "bool"])
def test_a_column_reindexed_to_its_ids_and_prospects(kind: str) -> None:
    """kamseg._validation.reindexed: ``reindex``'s column, made by appending when the new
    index is the column's own ids followed by new ones (the classes' prospects)."""
    from kamseg._validation import reindexed

    rng = np.random.default_rng(5)
    values = {"float": rng.random(50), "int": rng.integers(0, 9, 50), "bool": rng.random(50) > 0.5}
    for ids, extra in [
        (pd.Index([f"c{i}" for i in range(50)], name="customer_id"), pd.Index(["p1", "p2"])),
        (pd.Index(np.arange(50) * 3, name="cid"), pd.Index([1_001, 1_002])),
    ]:
        column = pd.Series(values[kind], index=ids, name="frequency")
        longer = ids.append(extra).rename(ids.name)
        for index in (ids, longer, ids[::-1], ids[:10], longer[::-1]):
            got = reindexed(column, index)
            pd.testing.assert_series_equal(got, column.reindex(index), check_exact=True)


@pytest.mark.parametrize(
    "make",
    [
        lambda rng, n: rng.integers(-50, 50, n),  # dense, negative: marked in a table
        lambda rng, n: rng.integers(0, 60, n).astype(np.int32),  # one side int32
        lambda rng, n: rng.integers(0, 60, n) * 2**40,  # sparse: hashed
        lambda rng, n: rng.integers(0, 60, n).astype(np.uint64),  # unsigned: hashed
        lambda rng, n: np.array([f"c{i}" for i in rng.integers(0, 60, n)]),  # text
    ],
)
def test_both_in_equals_isin(make):
    from kamseg._validation import both_in

    rng = np.random.default_rng(3)
    for n, m in [(1, 1), (5, 40), (40, 5), (60, 60)]:
        a = pd.Index(pd.unique(make(rng, n)))
        b = pd.Index(pd.unique(rng.permutation(np.concatenate([make(rng, m), a[:2]]))))
        if b.dtype.kind == "i":
            b = b.astype(np.int64)  # the other side's width
        in_b, in_a = both_in(a, b)
        assert in_b.dtype == bool and in_a.dtype == bool
        np.testing.assert_array_equal(in_b, a.isin(b))
        np.testing.assert_array_equal(in_a, b.isin(a))
        assert in_b[:2].all() and in_a.any()  # some shared ids
