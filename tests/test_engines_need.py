"""The need level on an engine's table: ``summarize_duckdb(need_map=)`` sums, in the
summary's own query, each customer's highest need level and net spend per category; they
equal :func:`kamseg.features.highest_level` and :func:`kamseg.features.category_profile` of
the same rows prepared in pandas (the one definition), and ``segment`` on a DuckDB input
labels the need level as the pandas job does, with the same notices."""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg import SegmentConfig
from kamseg.features._needs import (
    catalog_rows,
    category_profile,
    highest_level,
    need_map,
    read_catalog,
    table_need,
)
from kamseg.transactions import prepare_transactions

pa = pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

from kamseg.engines import summarize_duckdb  # noqa: E402

_NEED = ["need_level", "need_action", "latent_needs"]

pytestmark = pytest.mark.filterwarnings("ignore:.*negative amounts:kamseg.errors.KamsegWarning")


@pytest.fixture(scope="module")
def data() -> Any:
    return kamseg.datasets.make_transactions(n_customers=500, seed=4)


def _catalog(data: Any) -> Any:
    return read_catalog(
        data.catalog,
        func="test",
        key_col="product",
        level_col="need_level",
        category_col="category",
    )


def _messy(data: Any) -> pd.DataFrame:
    """Returns (half of 4 % of the rows, negative), products not in the catalogue and
    null products."""
    tx = data.transactions.assign(product=data.transactions["product"].astype(object))
    back = tx.sample(frac=0.04, random_state=2).assign(amount=lambda t: -0.5 * t["amount"])
    tx = pd.concat([tx, back], ignore_index=True)
    tx.loc[tx.index[:9], "product"] = "mystery"
    tx.loc[tx.index[9:12], "product"] = None
    return tx


def _no_examples(notice: str) -> str:
    return re.sub(r"e\.g\. [^;)]*", "e.g. ...", notice)


def _texts(s: pd.Series) -> pd.Series:
    return s.astype(object).fillna("<NA>").astype(str)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"freq": "W", "as_of": "2024-06-30"},
        {"returns": "exclude"},
        {"partitions": 3, "order_col": "order_id"},
    ],
)
def test_summary_need_columns_equal_the_pandas_measures(data, options, aggregation):
    tx = _messy(data)
    cat = _catalog(data)
    reading = {k: v for k, v in options.items() if k in ("as_of", "returns", "order_col")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = prepare_transactions(tx, product_col="product", **reading)
        table = summarize_duckdb(
            pa.Table.from_pandas(tx, preserve_index=False), need_map=need_map(cat), **options
        )
        customers = kamseg.summarize(prepared)
        rows = catalog_rows(
            prepared, prepared.positions(customers.index, func="t"), len(customers), cat, func="t"
        )
        profile = category_profile(rows, cat, func="t")
    assert table.index.equals(customers.index)
    need = table_need(table, need_map(cat))
    assert need is not None
    at = need.rows_of(customers.index)
    np.testing.assert_array_equal(need.highest_level(at), highest_level(rows, cat))
    got = need.profile(at, cat.categories)
    np.testing.assert_array_equal(got.bought, profile.bought)
    np.testing.assert_allclose(got.profile, profile.profile, rtol=1e-12, atol=1e-15)
    # the unmatched rows, counted as catalog_rows counts them
    assert need.notes["unmatched_rows"] == 12 and need.notes["null_rows"] == 3
    assert need.notes["unmatched_keys"] == 1 and need.notes["examples"] == ["mystery"]


def test_summary_need_columns_by_hand(aggregation):
    """Two customers, three products: a (basic, cat x), b (latent, cat y), c (expected, no
    category). Customer 1 buys a twice and returns one; customer 2 buys b and c and an
    unknown product; customer 3 buys only the unknown product."""
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 2, 3],
            "date": pd.to_datetime(["2024-01-01"] * 7),
            "amount": [10.0, 5.0, -5.0, 8.0, 2.0, 3.0, 4.0],
            "product": ["a", "a", "a", "b", "c", "zzz", "zzz"],
        }
    )
    catalog = pd.DataFrame(
        {
            "product": ["a", "b", "c"],
            "need_level": ["basic", "latent", "expected"],
            "category": ["x", "y", None],
        }
    )
    cat = read_catalog(
        catalog, func="t", key_col="product", level_col="need_level", category_col="category"
    )
    table = summarize_duckdb(pa.Table.from_pandas(tx), need_map=need_map(cat))
    assert table["need_highest"].tolist() == [0, 2, -1]  # basic, latent, none
    assert table["need_spend_0"].tolist() == [10.0, 0.0, 0.0]  # x: 10 + 5 - 5
    assert table["need_spend_1"].tolist() == [0.0, 8.0, 0.0]  # y
    need = table_need(table, need_map(cat))
    assert need is not None
    assert need.notes == {
        "unmatched_rows": 2,
        "null_rows": 0,
        "unmatched_keys": 1,
        "examples": ["zzz"],
        "no_category_rows": 1,
        "no_category_keys": 1,
    }
    shares = need.profile(need.rows_of(table.index), cat.categories)
    np.testing.assert_array_equal(shares.profile, [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])


@pytest.mark.parametrize("kind", ["int", "mismatch"])
def test_numeric_product_keys_match_as_in_pandas(data, kind, aggregation):
    """Integer product codes match integer (or float) catalogue keys by value; text keys
    match no integer, in pandas as in SQL (the same 'none matched' notice)."""
    codes = {p: i for i, p in enumerate(data.catalog["product"])}
    tx = data.transactions.assign(product=data.transactions["product"].map(codes).astype(int))
    keys = [float(codes[p]) for p in data.catalog["product"]]
    if kind == "mismatch":
        keys = [str(codes[p]) for p in data.catalog["product"]]
    catalog = data.catalog.assign(product=keys)
    config = SegmentConfig(steps=("classes",))
    tables, notices = [], []
    for source in (tx, pa.Table.from_pandas(tx, preserve_index=False)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tables.append(kamseg.segment(source, catalog=catalog, config=config))
        notices.append([str(w.message) for w in caught])
    # the same counts; the examples are the first keys seen in pandas, the first in sorted
    # order in SQL (rows have no order there)
    assert [_no_examples(n) for n in notices[0]] == [_no_examples(n) for n in notices[1]]
    if kind == "mismatch":
        assert len(notices[0]) == 1 and "none matched" in notices[0][0]
    else:
        assert notices[0] == []
    for col in _NEED:
        assert _texts(tables[0][col]).equals(_texts(tables[1][col])), col


def test_segment_on_duckdb_labels_need_with_the_pandas_notices(data, tmp_path):
    tx = _messy(data)
    catalog = data.catalog.copy()
    catalog.loc[catalog.index[0], "category"] = None  # a product without a category
    path = tmp_path / "tx.parquet"
    tx.to_parquet(path)
    config = SegmentConfig(steps=("rfm", "classes"), order_col="order_id")
    tables, notices = [], []
    for engine in ("pandas", "duckdb"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tables.append(
                kamseg.segment(path, catalog=catalog, config=config.replace(engine=engine))
            )
        notices.append([str(w.message) for w in caught])
    assert notices[0] == notices[1]
    assert any("whose 'product' is not in the catalogue (1 products" in n for n in notices[0])
    assert any("have no 'category'" in n for n in notices[0])
    pd.testing.assert_frame_equal(tables[1], tables[0])


def test_need_labelled_in_blocks_of_customers_as_at_once(data, tmp_path, monkeypatch):
    """An engine job labels the need level of its customers in blocks (memory): the table,
    its attrs and the notices (each once) are those of one block."""
    from kamseg import _job

    tx = _messy(data)
    path = tmp_path / "tx.parquet"
    tx.to_parquet(path)
    config = SegmentConfig(steps=("rfm", "classes"), order_col="order_id", engine="duckdb")
    runs = []
    for block in (1_000_000, 97):
        monkeypatch.setattr(_job, "_NEED_BLOCK", block)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = kamseg.segment(path, catalog=data.catalog, config=config)
        runs.append((table, [str(w.message) for w in caught]))
    (whole, said), (blocks, said_blocks) = runs
    assert said_blocks == said
    assert any("not in the catalogue" in n for n in said)
    pd.testing.assert_frame_equal(blocks, whole, check_exact=True)
    assert blocks.attrs == whole.attrs
    assert whole["latent_needs"].notna().sum() > 50


def test_a_model_labels_need_on_an_engine_input(data):
    """A model fitted in pandas, applied to an Arrow table (read by DuckDB): the need level
    from the engine's sums equals the model applied to the rows in pandas."""
    config = SegmentConfig(steps=("rfm", "classes"))
    model = kamseg.fit_segments(data.transactions, catalog=data.catalog, config=config)
    on_rows = model.apply(data.transactions)
    on_engine = model.apply(pa.Table.from_pandas(data.transactions, preserve_index=False))
    assert on_engine.attrs["kamseg_limited"] == on_rows.attrs["kamseg_limited"]
    for col in _NEED:
        assert _texts(on_engine[col]).equals(_texts(on_rows[col])), col
    assert on_engine["latent_needs"].notna().sum() > 50


def test_an_engine_input_without_the_product_column(data):
    """No product column: the need level is skipped with the pandas job's note."""
    tx = data.transactions.drop(columns=["product"])
    config = SegmentConfig(steps=("classes",))
    got = kamseg.segment(pa.Table.from_pandas(tx), catalog=data.catalog, config=config)
    expected = kamseg.segment(tx, catalog=data.catalog, config=config)
    assert got.attrs["kamseg_limited"] == expected.attrs["kamseg_limited"]
    assert "need_level" not in got.columns


def test_a_category_that_returns_cancel_is_not_bought_on_either_engine(aggregation):
    """0.1 + 0.2 - 0.3 is 2.8e-17 in floating point (in ascending order): rounding error of
    a cancelled purchase, so the category counts as not bought, in pandas as in SQL (as
    the customer's revenue is 0)."""
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
            ),
            "amount": [0.1, 0.2, -0.3, 5.0, 1.0],
            "product": ["a", "a", "a", "a", "b"],
        }
    )
    catalog = pd.DataFrame(
        {"product": ["a", "b"], "need_level": ["basic", "expected"], "category": ["x", "y"]}
    )
    cat = read_catalog(
        catalog, func="t", key_col="product", level_col="need_level", category_col="category"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = prepare_transactions(tx, product_col="product")
        customers = kamseg.summarize(prepared)
        table = summarize_duckdb(pa.Table.from_pandas(tx), need_map=need_map(cat))
    rows = catalog_rows(prepared, prepared.positions(customers.index, func="t"), 2, cat, func="t")
    profile = category_profile(rows, cat, func="t")
    need = table_need(table, need_map(cat))
    assert need is not None
    got = need.profile(need.rows_of(customers.index), cat.categories)
    np.testing.assert_array_equal(profile.bought, [[False, False], [True, True]])
    np.testing.assert_array_equal(got.bought, profile.bought)
    np.testing.assert_array_equal(got.profile, profile.profile)
    assert customers.loc[1, "revenue"] == 0.0


def test_a_need_labelling_problem_leaves_the_other_classes(data, monkeypatch):
    """A data problem while labelling the need level from the engine's sums skips the need
    level only (said in kamseg_limited, one notice); the other classes stay."""
    from kamseg._needs_fit import NeedLevelFit
    from kamseg.errors import KamsegWarning, SchemaError

    def broken(self, customers, need):
        raise SchemaError("need_level: a problem in the data")

    monkeypatch.setattr(NeedLevelFit, "label_engine", broken)
    table = pa.Table.from_pandas(data.transactions, preserve_index=False)
    with pytest.warns(KamsegWarning, match=r"skipped need \(need_level: a problem"):
        out = kamseg.segment(table, catalog=data.catalog, config=SegmentConfig(steps=("classes",)))
    assert "need_level" not in out.columns and out["lifecycle_stage"].notna().all()
    assert "skipped need (need_level: a problem" in out.attrs["kamseg_limited"]["classes"]
    assert "classes" in out.attrs["kamseg_steps"]
