"""The window activity on every engine: the DuckDB and Spark summaries' ``activity_window``
columns equal :func:`kamseg.features.window_activity` of the same rows prepared in pandas
(the one definition), and a hand-worked case."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg
from kamseg.errors import ConfigError
from kamseg.features import ACTIVITY_COLUMNS, table_activity, window_activity

pa = pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

from kamseg.engines import summarize_duckdb  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning",
    "ignore::kamseg.errors.KamsegWarning",
)

ENGINES = ["duckdb", "duckdb_sql", "spark"]  # duckdb_sql: the passes summed by DuckDB's query
FIELDS = ("spend_recent", "spend_previous", "days_recent", "days_previous", "orders", "covers")


def _engine_summary(engine: str, df: pd.DataFrame, request: Any, **kw: Any) -> pd.DataFrame:
    if engine.startswith("duckdb"):
        with _sql_passes(engine == "duckdb_sql"):
            return summarize_duckdb(pa.Table.from_pandas(df, preserve_index=False), **kw)
    from kamseg.engines import summarize_spark

    spark = request.getfixturevalue("spark")
    return summarize_spark(spark.createDataFrame(df), **kw)


@contextlib.contextmanager
def _sql_passes(on: bool) -> Iterator[None]:
    """With `on`, DuckDB's SQL query sums the passes of whole-number ids, not numpy."""
    from kamseg.summary import _duckdb

    if not on:
        yield
        return
    with mock.patch.object(_duckdb, "scannable", lambda *args: False):
        yield


def _check(table: pd.DataFrame, df: pd.DataFrame, window: int, **kw: Any) -> None:
    """`table`'s activity equals window_activity of `df` prepared in pandas."""
    prepared = kamseg.prepare_transactions(df, **kw)
    positions = prepared.positions(table.index, func="test")
    expected = window_activity(prepared, positions, len(table), window=window)
    got = table_activity(table, window)
    assert got is not None and got.end_day == expected.end_day
    for field in FIELDS:
        a, b = getattr(got, field), getattr(expected, field)
        assert a.dtype == b.dtype, field
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=field)


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    """Synthetic orders with returns (every 11th row half returned, one order of customer
    0 fully cancelled) and a few null order ids."""
    t = kamseg.datasets.make_transactions(n_customers=200, seed=5).transactions
    back = t.iloc[::11].assign(amount=lambda x: -0.5 * x["amount"])
    first = t[t["customer_id"] == t["customer_id"].iloc[0]].iloc[:1]
    t = pd.concat([t, back, first.assign(amount=-first["amount"])], ignore_index=True)
    order = t["order_id"].astype("float64")
    order[::37] = np.nan
    return t.assign(order_id=order)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("case", "kw"),
    [
        ("rows", {}),
        ("orders", {"order_col": "order_id", "dropna": True}),
        ("weekly", {"freq": "W"}),
        ("exclude", {"returns": "exclude"}),
        ("mid", {"as_of": "2023-09-30", "order_col": "order_id", "dropna": True}),
    ],
)
def test_equals_window_activity(engine, case, kw, tx, request):
    freq = kw.pop("freq", "D")
    for window in (30, 180):
        table = _engine_summary(engine, tx, request, freq=freq, activity_window=window, **kw)
        assert table.attrs["kamseg_activity_window"] == window
        _check(table, tx, window, **kw)
        # the summary itself is unchanged by the extra columns
        plain = kamseg.summarize(tx, freq=freq, **kw)
        pd.testing.assert_frame_equal(
            table.drop(columns=list(ACTIVITY_COLUMNS.values())),
            plain,
            check_exact=False,
            rtol=1e-12,
        )


def test_without_negative_amounts(request):
    t = kamseg.datasets.make_transactions(n_customers=150, seed=6).transactions
    table = _engine_summary("duckdb", t, request, order_col="order_id", activity_window=90)
    _check(table, t, 90, order_col="order_id")


def test_hand_worked_case():
    """as_of 2024-12-31, windows of 10 days: recent (Dec 22, Dec 31], previous (Dec 12, 22]."""
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "a", "b", "b", "c"],
            "date": [
                "2024-11-01",  # a: before both windows (covers)
                "2024-12-15",  # a: previous
                "2024-12-15",  # a: previous, same day
                "2024-12-30",  # a: recent
                "2024-12-30",  # a: the day's purchase fully returned: no purchase day
                "2024-12-20",  # b: previous
                "2024-12-31",  # b: recent
                "2024-12-25",  # c: recent only
            ],
            "amount": [5.0, 10.0, 20.0, 7.0, -7.0, 3.0, 4.0, 9.0],
        }
    )
    table = summarize_duckdb(pa.Table.from_pandas(tx), as_of="2024-12-31", activity_window=10)
    cols = table[list(ACTIVITY_COLUMNS.values())]
    cols.columns = list(ACTIVITY_COLUMNS)
    expected = pd.DataFrame(
        {
            "spend_recent": [0.0, 4.0, 9.0],
            "spend_previous": [30.0, 3.0, 0.0],
            "days_recent": [0.0, 1.0, 1.0],
            "days_previous": [1.0, 1.0, 0.0],
            "orders": [3, 2, 1],  # rows >= 0 in the two windows
            "covers": [True, False, False],
        },
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(cols, expected)


def test_other_window_or_no_columns_is_none():
    tx = kamseg.datasets.make_transactions(n_customers=50, seed=1).transactions
    table = summarize_duckdb(pa.Table.from_pandas(tx), activity_window=60)
    assert table_activity(table, 60) is not None
    assert table_activity(table, 61) is None
    assert table_activity(kamseg.summarize(tx), 60) is None
    with pytest.raises(ConfigError, match="activity_window"):
        summarize_duckdb(pa.Table.from_pandas(tx), activity_window=0)


_ROWS = st.lists(
    st.tuples(
        st.integers(0, 5),  # customer
        st.integers(0, 60),  # day
        st.sampled_from([-3.0, -1.5, 0.0, 1.5, 2.0, 3.0, 10.0]),
        st.integers(0, 6),  # order
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(rows=_ROWS, window=st.integers(1, 25), orders=st.booleans(), sql=st.booleans())
def test_property_duckdb_equals_pandas(rows, window, orders, sql):
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount", "order_id"])
    tx["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx.pop("day"), unit="D")
    kw: dict[str, Any] = {"order_col": "order_id"} if orders else {}
    with warnings.catch_warnings(), _sql_passes(sql):
        warnings.simplefilter("ignore")
        table = summarize_duckdb(
            pa.Table.from_pandas(tx, preserve_index=False), activity_window=window, **kw
        )
        _check(table, tx, window, **kw)


@pytest.mark.parametrize("freq", ["W", "M", "D"])
@pytest.mark.parametrize(
    "kw", [{}, {"order_col": "order_id", "dropna": True}, {"order_col": "order_int"}]
)
def test_job_columns_equal_the_daily_table_and_churn_features(tx, freq, kw, aggregation):
    """The job columns of a (weekly) DuckDB summary are the daily summary's frequency,
    recency and monetary value, and the churn features' 90- and 180-day spend."""
    from kamseg.features import features_at

    # whole-number order ids (numpy sums the passes; float ids with nulls go to the SQL)
    tx = tx.assign(order_int=tx["order_id"].fillna(-1).astype(np.int64))

    source = pa.Table.from_pandas(tx, preserve_index=False)
    table = summarize_duckdb(source, freq=freq, activity_window=60, job_columns=True, **kw)
    daily = kamseg.summarize(tx, **kw)
    for col in ("frequency", "recency", "monetary_value"):
        np.testing.assert_allclose(table[f"daily_{col}"], daily[col], rtol=1e-12, err_msg=col)
    feats = features_at(kamseg.prepare_transactions(tx, **kw))
    for days in (90, 180):
        np.testing.assert_allclose(
            table[f"churn_spend_{days}d"], feats[f"spend_{days}d"], rtol=1e-12, atol=1e-9
        )
    with pytest.raises(ConfigError, match="job_columns"):
        summarize_duckdb(source, job_columns=True)


def test_rows_appended_without_activity():
    """Prospects appended to the table (NaN in every column: `covers` becomes object) have
    no activity; a nullable boolean `covers` reads alike."""
    tx = kamseg.datasets.make_transactions(n_customers=50, seed=1).transactions
    table = summarize_duckdb(pa.Table.from_pandas(tx), activity_window=60)
    base = table_activity(table, 60)
    assert base is not None and base.covers.any() and not base.covers.all()
    wider = table.reindex([*table.index, "p1", "p2"])
    wider.attrs = table.attrs
    assert wider["activity_covers"].dtype == object
    nullable = wider.assign(activity_covers=wider["activity_covers"].astype("boolean"))
    for got in (table_activity(wider, 60), table_activity(nullable, 60)):
        assert got is not None
        for field in FIELDS:
            values = getattr(got, field)
            assert values.dtype == getattr(base, field).dtype, field
            np.testing.assert_array_equal(values[:-2], getattr(base, field), err_msg=field)
            assert not values[-2:].any(), field
    # pd.NA among the values of an object column (its truth is ambiguous): not covered
    with_na = wider["activity_covers"].where(wider.index != "p1", pd.NA)
    got = table_activity(wider.assign(activity_covers=with_na), 60)
    assert got is not None
    np.testing.assert_array_equal(got.covers, np.append(base.covers, [False, False]))
