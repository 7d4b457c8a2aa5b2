"""The preparation rules on every engine: cancellations, far dates, customer ids, overflow.

`kamseg.summarize` gives one table and one warning whatever computes it: pandas (the
reference, kamseg.transactions and summary/_pandas), DuckDB (Arrow tables and Parquet) and
Spark (local mode). Each case is a small table built by hand; the cancellation case is also
checked against values worked out by hand.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg
from kamseg.errors import KamsegWarning, SchemaError

pa = pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

from kamseg.engines import summarize_duckdb  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning",
)

ENGINES = ["duckdb", "spark"]


def _source(engine: str, df: pd.DataFrame, request: pytest.FixtureRequest) -> Any:
    if engine == "duckdb":
        return pa.Table.from_pandas(df, preserve_index=False)
    return request.getfixturevalue("spark").createDataFrame(df)


def _summarize(source: Any, **kw: Any) -> tuple[pd.DataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = kamseg.summarize(source, **kw)
    return result, [str(w.message) for w in caught if issubclass(w.category, KamsegWarning)]


def _same(
    engine: str, df: pd.DataFrame, request: pytest.FixtureRequest, **kw: Any
) -> tuple[pd.DataFrame, list[str]]:
    """The pandas result and warnings, checked equal to `engine`'s; returns them."""
    got, got_msgs = _summarize(_source(engine, df, request), **kw)
    expected, msgs = _summarize(df, **kw)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert got.attrs == expected.attrs
    assert got_msgs == msgs
    return expected, msgs


def _same_error(
    engine: str, df: pd.DataFrame, request: pytest.FixtureRequest, exc: type, **kw: Any
) -> str:
    source = _source(engine, df, request)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        with pytest.raises(exc) as got:
            kamseg.summarize(source, **kw)
        with pytest.raises(exc) as expected:
            kamseg.summarize(df, **kw)
    assert str(got.value) == str(expected.value)
    return str(got.value)


# --- cancellations and returns ----------------------------------------------------------


def _cancellations() -> pd.DataFrame:
    """Orders, cancellations and returns of three customers, worked by hand below.

    2024-01-01 is a Monday: weeks run Jan 1-7, 8-14, 15-21, 22-28, ..., Feb 19-25.
    """
    rows = [
        # customer, date, amount, order
        ("a", "2024-01-01", 100.0, "o1"),
        ("a", "2024-01-04", -100.0, "o1"),  # o1 cancelled three days later, same week
        ("a", "2024-01-09", 60.0, "o2"),
        ("a", "2024-01-09", -20.0, "o2"),  # part of o2 returned the same day
        ("a", "2024-01-22", 30.0, "o3"),
        ("a", "2024-02-05", -30.0, "o3"),  # o3 cancelled two weeks later
        ("b", "2024-01-10", 25.0, "o4"),
        ("b", "2024-01-10", -25.0, "o4"),  # b's only order, cancelled the same day
        ("c", "2024-01-15", 40.0, "o5"),
        ("c", "2024-01-17", -10.0, "o5"),  # part of o5 returned two days later
        ("c", "2024-02-20", 15.0, "o6"),  # the latest date: the default as_of
        ("d", "2024-01-03", 20.0, "o7"),
        ("d", "2024-01-12", -20.0, "o7"),  # d's only order, cancelled nine days later
        ("e", "2024-01-05", 0.1, "o8"),
        ("e", "2024-01-05", 0.2, "o8"),
        ("e", "2024-01-08", -0.3, "o8"),  # 0.1 + 0.2 - 0.3 is 5.6e-17, not 0, in floats
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "order_id"])
    return df.assign(date=pd.to_datetime(df["date"]), profit=df["amount"] / 4)


def _by_hand(freq: str) -> pd.DataFrame:
    """The customer table of _cancellations() with order_col, as_of 2024-02-20 (a Tuesday).

    Daily. a: Jan 1 nets +100 (a purchase day), Jan 4 -100 (no purchase: a negative row and
    net <= 0), Jan 9 60 - 20 = +40 (a purchase: net > 0), Jan 22 +30, Feb 5 -30 (no
    purchase). First purchase Jan 1, last Jan 22; 3 purchase days, frequency 2; repeat spend
    40 + 30 over 2 = 35; recency 21 days; T and tenure Jan 1 -> Feb 20 = 50 days;
    days_since_last Jan 22 -> Feb 20 = 29. Revenue 100 - 100 + 60 - 20 + 30 - 30 = 40.
    Orders: o1 nets 0 with a cancellation, o3 too; only o2 (+40) is an order.
    b: Jan 10 nets 0 with a cancellation: no purchase at all, so the first and last day of
    its rows (Jan 10) stand in; frequency 0, T 41 days; no order left: avg_order_value NaN.
    c: Jan 15 +40 (a purchase), Jan 17 -10 (no purchase), Feb 20 +15: frequency 1, repeat
    spend 15; recency and T 36 days. Orders o5 (+30) and o6: 2, average 45 / 2.
    d: Jan 3 +20, Jan 12 -20: Jan 3 is a purchase day, but d's only order is cancelled, so
    revenue 0 and no order. (Daily, Jan 3 is still a purchase day: first = last = Jan 3.)
    e: Jan 5 0.1 + 0.2, Jan 8 -0.3: revenue and order o8 net to exactly 0 (rounding error is
    0); Jan 5 nets 0.3: first = last = Jan 5, T 46.

    Weekly: the days (first and last purchase, tenure, days since last) are the daily ones;
    the periods follow the rule of weeks. a's first week (Jan 1-7) nets 0 with the
    cancellation: no purchase week; the first purchase week is week 2 (Jan 9), the last week
    4 (Jan 22), one repeat week (spend 30); recency 2, T = week 8 - week 2 = 6.
    b: week 2, T 6. c: week 3 (+30) and week 8 (+15): frequency 1, recency = T = 5.
    d: week 1 nets +20 (the cancellation is in week 2): T 7. e: week 1 nets 0.3: T 7.

    Monthly: a's January nets +70 (a purchase month, its purchase days Jan 1, 9, 22),
    February -30 (none): frequency 0, recency 0, T 1. c: January and February, frequency 1,
    repeat spend 15, recency 1, T 1. b: T 1. d and e: January nets 0 with a cancellation,
    no purchase month at all: first = last = the first day of their rows, T 1.
    """
    daily = {
        "first_purchase": ["2024-01-01", "2024-01-10", "2024-01-15", "2024-01-03", "2024-01-05"],
        "last_purchase": ["2024-01-22", "2024-01-10", "2024-02-20", "2024-01-03", "2024-01-05"],
        "days_since_last": [29, 41, 0, 48, 46],
        "tenure_days": [50, 41, 36, 48, 46],
        "frequency": [2.0, 0.0, 1.0, 0.0, 0.0],
        "recency": [21.0, 0.0, 36.0, 0.0, 0.0],
        "T": [50.0, 41.0, 36.0, 48.0, 46.0],
        "monetary_value": [35.0, 0.0, 15.0, 0.0, 0.0],
    }
    other = {
        "W": {
            "frequency": [1.0, 0.0, 1.0, 0.0, 0.0],
            "recency": [2.0, 0.0, 5.0, 0.0, 0.0],
            "T": [6.0, 6.0, 5.0, 7.0, 7.0],
            "monetary_value": [30.0, 0.0, 15.0, 0.0, 0.0],
        },
        "M": {
            "frequency": [0.0, 0.0, 1.0, 0.0, 0.0],
            "recency": [0.0, 0.0, 1.0, 0.0, 0.0],
            "T": [1.0, 1.0, 1.0, 1.0, 1.0],
            "monetary_value": [0.0, 0.0, 15.0, 0.0, 0.0],
        },
    }
    cols = {**daily, **other.get(freq, {})}
    table = pd.DataFrame(
        {
            "first_purchase": pd.to_datetime(cols["first_purchase"]).astype("datetime64[ns]"),
            "last_purchase": pd.to_datetime(cols["last_purchase"]).astype("datetime64[ns]"),
            "n_orders": np.array([1, 0, 2, 0, 0], dtype=np.int64),
            "revenue": [40.0, 0.0, 45.0, 0.0, 0.0],
            "avg_order_value": [40.0, np.nan, 22.5, np.nan, np.nan],
            "days_since_last": np.array(cols["days_since_last"], dtype=np.int64),
            "tenure_days": np.array(cols["tenure_days"], dtype=np.int64),
            "frequency": cols["frequency"],
            "recency": cols["recency"],
            "T": cols["T"],
            "monetary_value": cols["monetary_value"],
            "nonpositive_revenue": [False, True, False, True, True],
        },
        index=pd.Index(["a", "b", "c", "d", "e"], name="customer_id"),
    )
    table.attrs = {"as_of": "2024-02-20", "freq": freq}
    return table


_NETTED = (
    "summarize: 7 row(s) have negative amounts (returns), netted into customers' totals; "
    "3 customer(s) have net revenue <= 0."
)


@pytest.mark.parametrize("freq", ["D", "W", "M"])
@pytest.mark.parametrize("engine", ENGINES)
def test_cancellations_equal_the_table_worked_by_hand(engine, freq, request):
    tx = _cancellations().drop(columns="profit")
    got, msgs = _same(engine, tx, request, order_col="order_id", freq=freq)
    pd.testing.assert_frame_equal(got, _by_hand(freq))
    assert msgs == [_NETTED]


@pytest.mark.parametrize("engine", ENGINES)
def test_cancellations_without_order_ids_count_rows_of_amount_at_least_zero(engine, request):
    got, msgs = _same(engine, _cancellations(), request, profit_col="profit")
    # every row is an order: a's rows of 100, 60 and 30; b's 25; c's 40 and 15; d's 20;
    # e's 0.1 and 0.2
    assert got["n_orders"].tolist() == [3, 1, 2, 1, 2]
    assert got["avg_order_value"].tolist() == [40 / 3, 0.0, 22.5, 0.0, 0.0]
    assert got["profit"].tolist() == [10.0, 0.0, 11.25, 0.0, 0.0]  # a quarter of revenue
    by_hand = _by_hand("D").drop(columns=["n_orders", "avg_order_value"])
    pd.testing.assert_frame_equal(got[by_hand.columns], by_hand)
    assert msgs == [_NETTED]


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["a", " a", "b", "c"]),
            st.integers(0, 40),
            st.sampled_from([-40.0, -10.0, -0.3, 0.0, 0.1, 0.2, 10.0, 25.0, 40.0]),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=30,
    ),
    freq=st.sampled_from(["D", "W", "M"]),
    with_orders=st.booleans(),
)
def test_duckdb_equals_pandas_on_random_cancellations(rows, freq, with_orders):
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount", "order_id"])
    tx["date"] = pd.Timestamp("2024-01-25") + pd.to_timedelta(tx.pop("day"), unit="D")
    tx["profit"] = tx["amount"].abs() / 2 - 5  # negative profits without returns too
    kw: dict[str, Any] = {
        "freq": freq,
        "order_col": "order_id" if with_orders else None,
        "profit_col": "profit",
    }
    got, msgs = _summarize(pa.Table.from_pandas(tx), **kw)
    expected, expected_msgs = _summarize(tx, **kw)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, atol=1e-12)
    assert msgs == expected_msgs


@pytest.mark.parametrize("partitions", [1, 3])
def test_cancellations_in_partitioned_duckdb_passes(partitions, tmp_path):
    tx = _cancellations()
    tx.to_parquet(tmp_path / "tx.parquet", index=False)
    kw: dict[str, Any] = {"order_col": "order_id", "profit_col": "profit", "freq": "W"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = summarize_duckdb(str(tmp_path / "tx.parquet"), partitions=partitions, **kw)
    msgs = [str(w.message) for w in caught]
    expected, expected_msgs = _summarize(tx, **kw)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert msgs == expected_msgs == [_NETTED]


def test_excluded_returns_leave_the_gross_table():
    tx = _cancellations()
    got, msgs = _summarize(pa.Table.from_pandas(tx), order_col="order_id", returns="exclude")
    expected, _ = _summarize(tx, order_col="order_id", returns="exclude")
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert got["revenue"].tolist() == [190.0, 25.0, 55.0, 20.0, 0.1 + 0.2]  # positive amounts
    assert msgs == ["summarize: excluded 7 row(s) with negative amounts (returns)."]


# --- a date far beyond the rest -------------------------------------------------------------


def _far_dates() -> pd.DataFrame:
    """201 rows of 2011, two of them dated decades later (one a return); three ids with
    stray spaces; one null amount; every 17th amount a return. Of the 200 rows with an
    amount, 99 % (198) lie in 2011: the two far ones are left out."""
    rng = np.random.default_rng(5)
    n = 201
    dates = pd.Timestamp("2011-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    dates = dates.to_numpy().copy()
    dates[10] = np.datetime64("2099-01-01")
    dates[11] = np.datetime64("2098-06-30")
    ids = [f"c{i % 25}" for i in range(n)]
    ids[3], ids[4], ids[5] = " c3", "c4 ", "\u00a0c5"
    amount = rng.integers(5, 100, n).astype(float)
    amount[::17] *= -1
    amount[11] = -7.0
    amount[20] = np.nan
    return pd.DataFrame({"customer_id": ids, "date": dates, "amount": amount})


@pytest.mark.parametrize("engine", ENGINES)
def test_far_dates_do_not_move_as_of_with_one_warning_in_order(engine, request):
    tx = _far_dates()
    got, msgs = _same(engine, tx, request, dropna=True, freq="W")
    kept = tx.dropna()
    as_of = kept["date"][kept["date"] < "2012-01-01"].max()
    assert got.attrs["as_of"] == str(as_of.date())
    n_returns = int((kept["amount"] < 0).sum()) - 1  # the far return is excluded
    assert len(msgs) == 1
    notices = [
        "summarize: stripped surrounding spaces from 3 customer id(s); ",
        "dropped 1 row(s) with null values (1 in 'amount'); ",
        "excluded 2 transaction(s) dated more than 365 days after the rest of the data "
        f"(latest 2099-01-01), taken for typos; as_of is {as_of.date()}, ",
        f"; {n_returns} row(s) have negative amounts",
    ]
    at = [msgs[0].find(notice) for notice in notices]
    assert at[0] == 0 and sorted(at) == at  # all there, in this order
    assert got.index.tolist() == sorted(f"c{i}" for i in range(25))


def test_far_dates_rule_edges_on_duckdb():
    tx = _far_dates().dropna()
    # an explicit as_of is the user's: the usual exclusion, in the same words
    for kw in ({"as_of": "2011-12-31"}, {"as_of": "2099-01-01"}):
        got, msgs = _summarize(pa.Table.from_pandas(tx), **kw)
        expected, expected_msgs = _summarize(tx, **kw)
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
        assert msgs == expected_msgs
    # one far date in 99 rows: the 99th percentile is not checked (fewer than 100 rows), the
    # gap rule is (1 row of 99 after a gap of decades): left out all the same
    one_far = tx.drop(index=11)
    small = one_far.iloc[:99]
    got, msgs = _summarize(pa.Table.from_pandas(small))
    expected, expected_msgs = _summarize(small)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert msgs == expected_msgs and "excluded 1 transaction(s) dated more" in msgs[0]
    assert got.attrs["as_of"] == "2011-10-27"
    # in 100 rows: checked (the bulk is the 99th smallest day, in 2011)
    hundred = one_far.iloc[:100]
    got, msgs = _summarize(pa.Table.from_pandas(hundred))
    expected, expected_msgs = _summarize(hundred)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert msgs == expected_msgs and "excluded 1 transaction(s) dated more" in msgs[0]
    # three far dates in 100 rows: more than 1 % (the percentile rule), at most 5 % after a
    # gap of decades (the gap rule): left out
    three_far = pd.concat([tx.iloc[:99], tx.iloc[[11]]], ignore_index=True)
    got, msgs = _summarize(pa.Table.from_pandas(three_far))
    assert got.attrs["as_of"] == "2011-10-27" == _summarize(three_far)[0].attrs["as_of"]
    assert "excluded 3 transaction(s) dated more" in msgs[0]


# --- customer ids -----------------------------------------------------------------------


def _ids_table(ids: list[Any]) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "date": pd.date_range("2024-01-01", periods=n, freq="D"),
            "amount": np.arange(1.0, n + 1),
        }
    )


ID_CASES = {
    # text ids: spaces stripped (4 distinct ids changed), spaces only is no id, and all
    # read as whole-number floats: the ".0" goes
    "text_spaces_and_dot_zero": (
        [" 17850.0", "17850.0", "13047.0 ", "  ", "12000.00", "\t13047.0"],
        ["12000", "13047", "17850"],
        "stripped surrounding spaces from 4 customer id(s); dropped 1 row(s) with null "
        "values (1 in 'customer_id')",
    ),
    # whole-number floats (an integer column with a blank, as pandas reads it) are integers
    "whole_floats": (
        [17850.0, np.nan, 13047.0, 17850.0],
        [13047, 17850],
        "dropped 1 row(s) with null values (1 in 'customer_id')",
    ),
    # not all whole: floats they stay
    "fractional_floats": ([1.5, 2.0, 1.5], [1.5, 2.0], None),
    # not all of the form 17850.0: text as it is, spaces stripped
    "text_not_all_dot_zero": (["17850.0", "abc", " x", "x"], ["17850.0", "abc", "x"], None),
    # whole numbers, some with ".0" (two exports of one column): one customer each
    "text_with_and_without_dot_zero": (
        ["17850", "17850.0", "13047.00", "13047", "7"],
        ["13047", "17850", "7"],
        None,
    ),
}


# Spark runs the same rules as DuckDB; its tests are kept few
ID_RUNS = [("duckdb", case) for case in ID_CASES] + [
    ("spark", "text_spaces_and_dot_zero"),
    ("spark", "whole_floats"),
    ("spark", "text_with_and_without_dot_zero"),
]


@pytest.mark.parametrize(("engine", "case"), ID_RUNS)
def test_customer_ids_are_normalised_as_in_pandas(engine, case, request):
    ids, expected_ids, notice = ID_CASES[case]
    got, msgs = _same(engine, _ids_table(ids), request, dropna=True)
    assert got.index.tolist() == expected_ids
    if isinstance(expected_ids[0], int):  # integers, not floats
        assert got.index.dtype == np.int64
    if case == "text_not_all_dot_zero":
        assert msgs == ["summarize: stripped surrounding spaces from 1 customer id(s)."]
        assert got.loc["x", "n_orders"] == 2  # " x" and "x" are one customer
    else:
        assert msgs == ([] if notice is None else [f"summarize: {notice}."])


def test_empty_text_id_is_a_null_id_on_duckdb(request):
    tx = _ids_table(["a", "", "b", " "])
    message = _same_error("duckdb", tx, request, SchemaError)
    assert "null values found (2 in 'customer_id')" in message


def test_whitespace_is_what_python_strips():
    from kamseg.summary._sql import WHITESPACE

    assert set(WHITESPACE) == {c for c in map(chr, range(0x110000)) if c.isspace()}


# --- totals that overflow ---------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_totals_that_overflow_are_refused(engine, request):
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02"]),
            "amount": [1e308, 1e308, 1.0],
        }
    )
    message = _same_error(engine, tx, request, SchemaError)
    assert "the revenue of 1 customer(s) overflows" in message


def test_an_overflow_with_returns_is_refused_too_on_duckdb():
    # the sum of the absolute amounts overflows as well: an infinite net is no rounding
    # error to set to 0 (the pandas path's net_sums sets it to 0; see the engines' _snap)
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "amount": [1e308, 1e308, -1.0],
        }
    )
    with (
        pytest.warns(KamsegWarning, match=r"1 row\(s\) have negative amounts"),
        pytest.raises(SchemaError, match=r"the revenue of 1 customer\(s\) overflows"),
    ):
        summarize_duckdb(pa.Table.from_pandas(tx))


@pytest.mark.parametrize("partitions", [None, 3])
def test_parquet_source_equals_arrow(tmp_path: Path, partitions: int | None):
    """The rules hold for Parquet files too (their types are Arrow's), and in hash
    partitions of the normalised ids (" c3" and "c3" in one pass)."""
    tx = _far_dates()
    tx.to_parquet(tmp_path / "far.parquet", index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = str(tmp_path / "far.parquet")
        got = summarize_duckdb(path, dropna=True, freq="M", partitions=partitions)
    msgs = [str(w.message) for w in caught]
    expected, expected_msgs = _summarize(tx, dropna=True, freq="M")
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert msgs == expected_msgs
