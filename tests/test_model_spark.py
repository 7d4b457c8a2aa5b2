"""The whole job on Spark (kamseg.model_spark): equal to the pandas path on every column.

Local mode, small data. A PySpark input is fitted on the driver (collected through Arrow) and
labelled partition by partition in mapInPandas; these tests check that the result is the
pandas table, whatever the partitions, with side tables from pandas or Spark."""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg.errors import ColumnNotFoundError, KamsegWarning

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Spark needs java on PATH", allow_module_level=True)

from kamseg.model_spark import apply_spark, is_spark_frame

# mapInPandas runs Python workers: this interpreter (the one with kamseg installed)
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    # PySpark's own toPandas/createDataFrame call astype(copy=False), deprecated by pandas 3
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated and will be removed"),
]

CONFIG = kamseg.SegmentConfig(profit_col="profit", order_col="order_id")


@pytest.fixture(scope="module")
def data() -> Any:
    d = kamseg.datasets.make_transactions(n_customers=300, seed=11)
    # the product as text: Spark has no categorical type (the pandas path reads either)
    tx = d.transactions.assign(product=d.transactions["product"].astype(str))
    sides = {"master": d.master, "surveys": d.surveys, "complaints": d.complaints}
    return tx, {**sides, "catalog": d.catalog}


def _spark_side(spark: Any, table: pd.DataFrame) -> Any:
    """A side table as Spark sees it: ids as a column, categoricals as text."""
    flat = table.reset_index() if table.index.name else table
    cats = {c: flat[c].astype(str) for c in flat.columns if flat[c].dtype == "category"}
    return spark.createDataFrame(flat.assign(**cats))


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """Categoricals and text as Python objects (None for missing), for a comparison."""
    out = {}
    for col in table.columns:
        s = table[col]
        if s.dtype == "category" or s.dtype == object or pd.api.types.is_string_dtype(s):
            values = s.astype(object)
            out[col] = values.where(values.notna(), None)
        else:
            out[col] = s
    return pd.DataFrame(out, index=table.index)


def assert_same(got: Any, expected: pd.DataFrame) -> None:
    """A Spark result equals a pandas one: every column, classes exactly, floats to 1e-9."""
    assert is_spark_frame(got)
    frame = got.toPandas()
    index = expected.index.name
    assert frame[index].is_unique
    frame = frame.set_index(index).sort_index()
    expected = expected.sort_index()
    assert list(frame.columns) == list(expected.columns)
    assert frame.index.equals(expected.index)
    got_p, exp_p = _plain(frame), _plain(expected)
    for col in expected.columns:
        a, b = got_p[col], exp_p[col]
        if b.dtype.kind in "fiu" and a.dtype.kind in "fiu":
            np.testing.assert_allclose(
                a.to_numpy(float), b.to_numpy(float), rtol=1e-9, atol=1e-12, err_msg=col
            )
        elif b.dtype.kind == "M":
            assert a.astype("datetime64[us]").equals(b.astype("datetime64[us]")), col
        else:
            assert a.tolist() == b.tolist(), col


def test_segment_on_spark_equals_pandas(spark, data):
    tx, sides = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", KamsegWarning)  # no notice repeated by the partitions
        got = kamseg.segment(spark.createDataFrame(tx), config=CONFIG, **sides)
        expected = kamseg.segment(tx, config=CONFIG, **sides)
    assert_same(got, expected)
    prospects = sides["master"].index.difference(tx["customer_id"].unique())
    assert len(prospects) and prospects.isin(expected.index).all()  # there once each
    assert expected["churn_probability"].notna().any()  # every step ran, churn included


def test_apply_spark_later_as_of_with_spark_side_tables(spark, data):
    tx, sides = data
    early = tx[tx["date"] <= "2023-12-31"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)  # surveys after the fit's as_of
        model = kamseg.fit_segments(early, config=CONFIG, as_of="2023-12-31", **sides)
    spark_sides = {name: _spark_side(spark, table) for name, table in sides.items()}
    got = apply_spark(model, spark.createDataFrame(tx), as_of="2024-12-31", **spark_sides)
    expected = model.apply(tx, as_of="2024-12-31", **sides)
    assert_same(got, expected)
    # model.apply on a Spark DataFrame is apply_spark
    with pytest.warns(KamsegWarning, match="dated after as_of 2023-12-31"):
        assert is_spark_frame(model.apply(spark.createDataFrame(tx), **sides))


def test_notices_given_once_on_the_driver(spark, data):
    tx, sides = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)  # rows after the fit's as_of
        model = kamseg.fit_segments(tx, config=CONFIG, as_of="2024-03-31", **sides)
    with pytest.warns(KamsegWarning) as expected_w:
        expected = model.apply(tx, as_of="2024-06-30", **sides)
    with pytest.warns(KamsegWarning) as got_w:
        got = apply_spark(model, spark.createDataFrame(tx), as_of="2024-06-30", **sides)
        assert_same(got, expected)  # computing it gives no warning from the partitions
    messages = [str(w.message) for w in got_w if issubclass(w.category, KamsegWarning)]
    assert messages == [str(w.message) for w in expected_w if w.category is KamsegWarning]
    assert "dated after as_of 2024-06-30" in messages[0]


def test_more_partitions_than_customers(spark, data):
    tx, sides = data
    model = kamseg.fit_segments(tx, config=CONFIG, **sides)
    small = tx[tx["customer_id"] < 40]
    master = sides["master"].loc[sides["master"].index < 60]  # 40..59: prospects
    subset = {**sides, "master": master}
    with pytest.warns(KamsegWarning) as expected_w:
        expected = model.apply(small, **subset)
    with pytest.warns(KamsegWarning) as got_w:
        got = apply_spark(model, spark.createDataFrame(small), partitions=64, **subset)
    assert_same(got, expected)  # empty partitions give no rows; prospects come once
    # the survey rows of customers neither labelled nor prospects: counted once, as on pandas
    messages = [str(w.message) for w in got_w if w.category is KamsegWarning]
    assert messages == [str(w.message) for w in expected_w if w.category is KamsegWarning]
    assert "whose customer is not in `customers`" in messages[0]


def test_above_pandas_max_rows_fits_on_a_sample(spark, data):
    tx, sides = data
    config = kamseg.SegmentConfig(profit_col="profit", order_col="order_id", pandas_max_rows=900)
    sdf = spark.createDataFrame(tx)
    with pytest.warns(KamsegWarning, match="fitted on a sample") as caught:
        model = kamseg.fit_segments(sdf, config=config, **sides)
    (message,) = [str(w.message) for w in caught if w.category is KamsegWarning]
    assert "more than pandas_max_rows (900)" in message
    assert model.limited["fit"] in message and "customers chosen by a hash" in message
    assert model.as_of == pd.Timestamp(tx["date"].max().date())  # all rows' latest date
    with pytest.warns(KamsegWarning, match="fitted on a sample"):
        again = kamseg.fit_segments(sdf, config=config, **sides)
    assert again.limited == model.limited  # the same sample: deterministic
    labelled = apply_spark(model, sdf, **sides).toPandas()
    assert labelled["customer_id"].is_unique
    assert len(labelled) == len(sides["master"].index.union(tx["customer_id"].unique()))


def _close_but(got: pd.DataFrame, expected: pd.DataFrame, skip: list[str]) -> None:
    """Every column but `skip` of the pandas job on every row: classes exactly, numbers to
    1e-9 (1e-6 absolute: the lifetime profit nets a cost to serve, and Spark's aggregates
    sum in another order)."""
    assert list(got.columns) == list(expected.columns)
    shared = [c for c in expected.columns if c not in skip]
    got_p, exp_p = _plain(got[shared]), _plain(expected[shared])
    for col in shared:
        if pd.api.types.is_float_dtype(exp_p[col]):
            np.testing.assert_allclose(got_p[col], exp_p[col], rtol=1e-9, atol=1e-6, err_msg=col)
        else:
            assert got_p[col].astype(str).equals(exp_p[col].astype(str)), col


def test_above_pandas_max_rows_every_other_part_from_all_rows(spark, data):
    """Above pandas_max_rows the job runs on Spark's aggregates of every row: every column
    but the need level and the churn probability is the pandas job's on every row (ranks,
    shares, thresholds, models and trends of every customer), not a sample's estimate."""
    tx, sides = data
    config = CONFIG.replace(pandas_max_rows=900)
    with pytest.warns(KamsegWarning, match="fitted on a sample"):
        model = kamseg.fit_segments(spark.createDataFrame(tx), config=config, **sides)
    assert model.steps == kamseg.fit_segments(tx, config=CONFIG, **sides).steps
    assert model.skipped == {} and set(model.limited) == {"fit"}
    assert model.parts["classes"].need is not None and "churn" in model.parts
    got = apply_spark(model, spark.createDataFrame(tx), **sides).toPandas()
    got = got.set_index("customer_id").sort_index()
    expected = kamseg.segment(tx, config=CONFIG, **sides).sort_index()
    _close_but(got, expected, ["need_level", "latent_needs", "churn_probability"])
    # the sample's need level and churn model: estimates, close to the full fit's
    same_need = got["need_level"].astype(str) == expected["need_level"].astype(str)
    assert same_need.mean() >= 0.85  # 113 of the 300 customers in the sample
    churn = [t["churn_probability"].fillna(0) for t in (got, expected)]
    assert np.corrcoef(*churn)[0, 1] > 0.8


def test_above_pandas_max_rows_without_row_steps_is_the_pandas_job(spark, data):
    """No step learns from rows: the job runs on Spark's aggregates alone (no sample, no
    warning) and equals the pandas job on every column."""
    tx, sides = data
    config = CONFIG.replace(pandas_max_rows=900, steps=("rfm", "clv", "pareto", "health"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", KamsegWarning)
        got = kamseg.segment(spark.createDataFrame(tx), config=config, master=sides["master"])
    expected = kamseg.segment(tx, config=config, master=sides["master"]).sort_index()
    _close_but(got.toPandas().set_index("customer_id").sort_index(), expected, [])


def test_missing_column_same_error_as_pandas(spark, data):
    tx, _ = data
    bad = tx.drop(columns="amount")
    with pytest.raises(ColumnNotFoundError) as expected:
        kamseg.segment(bad, config=CONFIG)
    with pytest.raises(ColumnNotFoundError) as got:
        kamseg.segment(spark.createDataFrame(bad), config=CONFIG)
    assert str(got.value) == str(expected.value)
    model = kamseg.fit_segments(tx, config=CONFIG)
    with pytest.raises(ColumnNotFoundError) as expected:
        model.apply(bad)
    with pytest.raises(ColumnNotFoundError) as got:
        apply_spark(model, spark.createDataFrame(bad))
    assert str(got.value) == str(expected.value)
