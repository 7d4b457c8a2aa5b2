"""Tests of the Spark summary: equal to kamseg.summarize on pandas, same warnings and errors.

The preparation rules (cancellations, far dates, customer ids, overflow) on every engine are
tested in test_engines_rules.py."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg.errors import ColumnNotFoundError, EmptyInputError, KamsegWarning, SchemaError

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Spark needs java on PATH", allow_module_level=True)

from pyspark.errors import AnalysisException

from kamseg.engines import read_parquet_for_spark, summarize_spark

pytestmark = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning",
)


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    """The synthetic transactions (dates datetime64[us], ids int64), product as text."""
    t = kamseg.datasets.make_transactions(n_customers=300, seed=3).transactions
    return t.assign(product=t["product"].astype(str))


@pytest.fixture(scope="module")
def tx_returns(tx: pd.DataFrame) -> pd.DataFrame:
    """Every 13th row a return; customer 0's first rows all returns (net revenue <= 0)."""
    t = tx.copy()
    t.loc[t.index[::13], "amount"] *= -0.5
    first = t["customer_id"] == t["customer_id"].iloc[0]
    t.loc[first, "amount"] = -t.loc[first, "amount"].abs()
    return t


def _to_spark(spark: Any, df: pd.DataFrame) -> Any:
    return spark.createDataFrame(df)


def _both(spark: Any, df: pd.DataFrame, **kw: Any) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Both results, checked equal with equal warning messages; returns the warnings."""
    sdf = _to_spark(spark, df)
    with warnings.catch_warnings(record=True) as got_w:
        warnings.simplefilter("always", KamsegWarning)
        got = summarize_spark(sdf, **kw)
    with warnings.catch_warnings(record=True) as exp_w:
        warnings.simplefilter("always", KamsegWarning)
        expected = kamseg.summarize(df, **kw)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)
    assert got.attrs == expected.attrs
    got_msgs = [str(w.message) for w in got_w if issubclass(w.category, KamsegWarning)]
    exp_msgs = [str(w.message) for w in exp_w if issubclass(w.category, KamsegWarning)]
    assert got_msgs == exp_msgs
    return got, expected, got_msgs


def _same_error(spark: Any, df: pd.DataFrame, exc: type[Exception], **kw: Any) -> str:
    """Both paths raise `exc` with the same message; returns it."""
    sdf = _to_spark(spark, df)
    with pytest.raises(exc) as got:
        summarize_spark(sdf, **kw)
    with pytest.raises(exc) as expected:
        kamseg.summarize(df, **kw)
    assert str(got.value) == str(expected.value)
    return str(got.value)


# --- equality with the pandas path ------------------------------------------------------------


@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_equals_pandas_per_freq(spark, tx, freq):
    got, _, msgs = _both(spark, tx, freq=freq)
    assert len(got) > 200 and msgs == []
    assert got.attrs == {"as_of": "2024-12-31", "freq": freq}


def test_profit_and_order_col(spark, tx):
    # two lines per order for some orders: n_orders counts distinct order ids
    doubled = pd.concat([tx, tx.iloc[::5]], ignore_index=True)
    got, _, _ = _both(spark, doubled, profit_col="profit", order_col="order_id", freq="W")
    assert "profit" in got.columns


def test_mid_data_as_of_excludes_later_rows_with_warning(spark, tx):
    got, _, msgs = _both(spark, tx, as_of="2023-06-15 17:00", freq="M")
    n_late = int((tx["date"] >= "2023-06-16").sum())
    assert msgs == [f"summarize: excluded {n_late} transaction(s) dated after as_of 2023-06-15."]
    assert got["last_purchase"].max() <= pd.Timestamp("2023-06-15")


@pytest.mark.parametrize("returns", ["net", "exclude"])
def test_returns_policies(spark, tx_returns, returns):
    got, _, msgs = _both(spark, tx_returns, returns=returns, freq="W")
    assert len(msgs) == 1
    if returns == "net":
        assert got["nonpositive_revenue"].any()


def test_returns_error(spark, tx_returns):
    msg = _same_error(spark, tx_returns, SchemaError, returns="error")
    assert "have negative 'amount' (returns)" in msg


def test_text_ids_text_dates_and_times_near_midnight(spark):
    # ISO text dates, and timestamps late in the day: the calendar day must survive
    df = pd.DataFrame(
        {
            "customer_id": ["b", "a", "a", "a", "b"],
            "date": pd.to_datetime(
                [
                    "2024-01-01 23:59:59",
                    "2024-01-01 00:00:01",
                    "2024-01-07 23:30:00",
                    "2024-01-08 00:30:00",
                    "2024-02-29 23:00:00",
                ]
            ),
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    for freq in ("D", "W", "M"):
        _both(spark, df, freq=freq, as_of="2024-03-01")
    text = df.assign(date=df["date"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    got, _, _ = _both(spark, text, freq="W")
    assert got.index.tolist() == ["a", "b"]


# --- Parquet written by pandas ------------------------------------------------------------


def test_parquet_with_nanosecond_timestamps(spark, tx, tmp_path: Path):
    naive = tx.assign(date=tx["date"].astype("datetime64[ns]") + pd.Timedelta(hours=23))
    path = str(tmp_path / "tx.parquet")
    naive.to_parquet(path)  # pandas writes TIMESTAMP(NANOS): Spark alone refuses it
    with pytest.raises(AnalysisException, match="NANOS"):
        spark.read.parquet(path).collect()
    sdf = read_parquet_for_spark(spark, path)
    assert dict(sdf.dtypes)["date"] == "timestamp_ntz"
    expected = kamseg.summarize(naive, freq="W", profit_col="profit")
    got = summarize_spark(sdf, freq="W", profit_col="profit")
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)

    # aware timestamps: taken in their own zone's wall-clock day, as in pandas
    aware = naive.assign(date=naive["date"].dt.tz_localize("Asia/Tokyo"))
    aware.to_parquet(path)
    got = summarize_spark(read_parquet_for_spark(spark, path))
    pd.testing.assert_frame_equal(got, kamseg.summarize(aware), rtol=1e-12)

    # microsecond files (pandas 3's default, or coerce_timestamps="us") read as usual
    naive.to_parquet(path, coerce_timestamps="us", allow_truncated_timestamps=True)
    got = summarize_spark(read_parquet_for_spark(spark, path), freq="W", profit_col="profit")
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)


# --- bad input ----------------------------------------------------------------------------


def test_missing_column(spark, tx):
    msg = _same_error(spark, tx, ColumnNotFoundError, amount_col="amout")
    assert "Did you mean 'amount'?" in msg


@pytest.mark.parametrize("col", ["customer_id", "date", "amount"])
def test_nulls_raise_or_drop_with_warning(spark, tx, col):
    df = tx.head(400).copy()
    df["customer_id"] = df["customer_id"].astype("float64")  # nullable in pandas
    df.loc[df.index[[3, 50]], col] = None
    _same_error(spark, df, SchemaError)
    _, _, msgs = _both(spark, df, dropna=True)
    assert msgs[0].startswith(f"summarize: dropped 2 row(s) with null values (2 in '{col}')")


def test_bad_amounts_and_empty(spark, tx):
    small = tx.head(20)
    text = small.assign(amount=small["amount"].astype(str).where(small.index != 4, "abc"))
    assert "are not numbers" in _same_error(spark, text, SchemaError)
    numeric_text = small.assign(amount=small["amount"].astype(str))
    _both(spark, numeric_text)
    infinite = small.assign(amount=small["amount"].where(small.index != 2, np.inf))
    assert "infinite" in _same_error(spark, infinite, SchemaError)
    with pytest.raises(SchemaError, match="not numbers"):
        summarize_spark(_to_spark(spark, small.assign(amount=True)))
    empty = spark.createDataFrame([], "customer_id long, date date, amount double")
    with pytest.raises(EmptyInputError, match="has no rows"):
        summarize_spark(empty)
    with pytest.raises(TypeError, match="PySpark DataFrame"):
        summarize_spark(small)  # type: ignore[arg-type]


def test_line_items_equal_the_pandas_path(spark: Any, tx_returns: pd.DataFrame) -> None:
    qty = np.where(tx_returns["amount"] < 0, -2, 3)
    lines = tx_returns.assign(qty=qty, unit=(tx_returns["amount"].abs() / 3).round(2))
    lines = lines.drop(columns="amount")
    lines.loc[lines.index[:2], "unit"] = np.nan
    _, expected, messages = _both(
        spark, lines, quantity_col="qty", price_col="unit", dropna=True, freq="M"
    )
    assert len(messages) == 1 and "2 in 'unit'" in messages[0]
    assert expected["revenue"].sum() == pytest.approx((lines["qty"] * lines["unit"]).sum())
    _same_error(spark, lines, SchemaError, quantity_col="qty", price_col="unit")
