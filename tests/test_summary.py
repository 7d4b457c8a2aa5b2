"""Tests of kamseg.summarize: equality with lifetimes, hand-worked cases, bad input."""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamseg
from kamseg.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    KamsegWarning,
    SchemaError,
)

BTYD = ["frequency", "recency", "T", "monetary_value"]
needs_lifetimes = pytest.mark.skipif(
    importlib.util.find_spec("lifetimes") is None, reason="lifetimes not installed"
)


def _lifetimes_summary(tx: pd.DataFrame, freq: str, as_of=None, amount_col="amount"):
    from lifetimes.utils import summary_data_from_transaction_data

    return summary_data_from_transaction_data(
        tx,
        "customer_id",
        "date",
        monetary_value_col=amount_col,
        observation_period_end=as_of,
        freq=freq,
    )


def _quiet_summarize(tx, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        return kamseg.summarize(tx, **kw)


# --- equality with lifetimes ---------------------------------------------------------------


@needs_lifetimes
@pytest.mark.parametrize("freq", ["D", "W"])
@pytest.mark.parametrize("as_of", [None, "1998-06-28", "1998-12-31"])
def test_equals_lifetimes_on_full_cdnow(cdnow, freq, as_of):
    # 1998-06-28 is a Sunday: the end of a "W" period, where both libraries agree exactly.
    expected = _lifetimes_summary(cdnow, freq, as_of)
    got = _quiet_summarize(cdnow, freq=freq, as_of=as_of)
    assert len(got) == 23_570
    pd.testing.assert_frame_equal(got[BTYD], expected, check_exact=False, rtol=1e-12)


@needs_lifetimes
@pytest.mark.parametrize("freq", ["D", "W"])
def test_equals_lifetimes_on_synthetic(demo_data, freq):
    tx = demo_data.transactions
    expected = _lifetimes_summary(tx, freq)
    got = kamseg.summarize(tx, freq=freq)
    pd.testing.assert_frame_equal(got[BTYD], expected, check_exact=False, rtol=1e-12)


@needs_lifetimes
@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 5),
            st.integers(0, 90),
            st.floats(0, 500, allow_nan=False).map(lambda x: round(x, 2)),
        ),
        min_size=1,
        max_size=40,
    ),
    freq=st.sampled_from(["D", "W"]),
)
def test_equals_lifetimes_on_random_logs(rows, freq):
    # without returns; with them, kamseg's purchase rule differs (tested below)
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    tx["date"] = pd.Timestamp("2023-03-01") + pd.to_timedelta(tx["day"], unit="D")
    expected = _lifetimes_summary(tx, freq)
    got = _quiet_summarize(tx, freq=freq)
    pd.testing.assert_frame_equal(
        got[BTYD], expected, check_exact=False, rtol=1e-9, atol=1e-9, check_index_type=False
    )


# --- hand-worked cases ----------------------------------------------------------------------


def test_hand_worked_daily(tiny_tx):
    c = kamseg.summarize(tiny_tx, profit_col="profit", as_of="2024-01-31")
    assert list(c.index) == ["a", "b"]
    assert c.index.name == "customer_id"
    # a: orders on Jan 1 (10 + 5) and Jan 10 (30); b: one order of 8 on Jan 5.
    assert c["n_orders"].tolist() == [3, 1]
    assert c["revenue"].tolist() == [45.0, 8.0]
    assert c["profit"].tolist() == [9.0, -1.0]
    assert c["avg_order_value"].tolist() == [15.0, 8.0]
    assert c["days_since_last"].tolist() == [21, 26]
    assert c["tenure_days"].tolist() == [30, 26]
    assert c["frequency"].tolist() == [1.0, 0.0]
    assert c["recency"].tolist() == [9.0, 0.0]
    assert c["T"].tolist() == [30.0, 26.0]
    assert c["monetary_value"].tolist() == [30.0, 0.0]
    assert c["first_purchase"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-05")]
    assert c["last_purchase"].tolist() == [pd.Timestamp("2024-01-10"), pd.Timestamp("2024-01-05")]
    assert c.attrs == {"as_of": "2024-01-31", "freq": "D"}
    assert list(c.columns) == list(kamseg.summary.CUSTOMER_COLUMNS)


def test_hand_worked_weekly(tiny_tx):
    # Weeks run Monday..Sunday. 2024-01-01 is a Monday. a's purchases fall in weeks 0 and 1
    # (Jan 10 is in the week of Monday Jan 8); as_of Jan 31 is in the week of Monday Jan 29.
    c = kamseg.summarize(tiny_tx, as_of="2024-01-31", freq="W")
    assert c["frequency"].tolist() == [1.0, 0.0]
    assert c["recency"].tolist() == [1.0, 0.0]
    assert c["T"].tolist() == [4.0, 4.0]
    assert c["monetary_value"].tolist() == [30.0, 0.0]


def test_hand_worked_monthly():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2],
            "date": ["2024-01-31", "2024-02-01", "2024-02-20", "2024-05-03", "2024-06-30"],
            "amount": [10.0, 20.0, 40.0, 5.0, 7.0],
        }
    )
    c = kamseg.summarize(tx, freq="M", as_of="2024-06-30")
    # customer 1 buys in months Jan, Feb (twice), May: 3 months -> frequency 2; repeat months
    # spend Feb 60 and May 5 -> monetary 32.5; recency Jan->May = 4; T Jan->Jun = 5.
    assert c.loc[1, ["frequency", "recency", "T", "monetary_value"]].tolist() == [2, 4, 5, 32.5]
    assert c.loc[2, ["frequency", "recency", "T", "monetary_value"]].tolist() == [0, 0, 0, 0]


def _monthly_reference(tx: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """A second, plain-pandas implementation of the monthly BTYD summary."""
    t = tx.assign(period=tx["date"].dt.to_period("M"))
    per = t.groupby(["customer_id", "period"])["amount"].sum().reset_index()
    first = per.groupby("customer_id")["period"].transform("min")
    per["repeat"] = per["period"] != first
    g = per.groupby("customer_id")
    end = as_of.to_period("M")
    out = pd.DataFrame(
        {
            "frequency": g["repeat"].sum().astype(float),
            "recency": g["period"].agg(lambda p: (p.max() - p.min()).n).astype(float),
            "T": g["period"].agg(lambda p: (end - p.min()).n).astype(float),
            "monetary_value": per[per["repeat"]].groupby("customer_id")["amount"].mean(),
        }
    )
    out["monetary_value"] = out["monetary_value"].fillna(0.0)
    return out


def test_monthly_matches_plain_pandas(demo_data):
    tx = demo_data.transactions
    got = kamseg.summarize(tx, freq="M", as_of=demo_data.as_of)
    expected = _monthly_reference(tx, demo_data.as_of)
    pd.testing.assert_frame_equal(got[BTYD], expected, check_exact=False, rtol=1e-12)


def test_order_col_counts_distinct_orders():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2],
            "order": ["o1", "o1", "o2", "o3", "o3"],
            "date": pd.to_datetime(["2024-01-01"] * 3 + ["2024-01-02"] * 2),
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    c = kamseg.summarize(tx, order_col="order")
    assert c["n_orders"].tolist() == [2, 1]
    assert c["avg_order_value"].tolist() == [3.0, 9.0]


def test_one_customer_and_one_row():
    tx = pd.DataFrame({"customer_id": [9], "date": ["2024-03-01"], "amount": [5.0]})
    c = kamseg.summarize(tx)
    assert len(c) == 1
    assert c.iloc[0][["frequency", "recency", "T", "days_since_last"]].tolist() == [0, 0, 0, 0]


def test_accepts_dates_as_objects_text_and_aware(tiny_tx):
    ref = kamseg.summarize(tiny_tx, as_of="2024-01-31")
    as_text = tiny_tx.assign(date=tiny_tx["date"].dt.strftime("%Y-%m-%d"))
    as_dates = tiny_tx.assign(date=tiny_tx["date"].dt.date)
    aware = tiny_tx.assign(date=tiny_tx["date"].dt.tz_localize("Asia/Shanghai"))
    for variant in (as_text, as_dates, aware):
        pd.testing.assert_frame_equal(kamseg.summarize(variant, as_of="2024-01-31"), ref)


def test_custom_column_names(tiny_tx):
    renamed = tiny_tx.rename(columns={"customer_id": "kunde", "date": "tag", "amount": "betrag"})
    c = kamseg.summarize(renamed, customer_col="kunde", date_col="tag", amount_col="betrag")
    assert c.index.name == "kunde"
    assert c["revenue"].tolist() == [45.0, 8.0]


# --- invariants ----------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["x", "y", "z", "w"]), st.integers(0, 400), st.floats(0, 1e4)),
        min_size=1,
        max_size=30,
    ),
    seed=st.integers(0, 2**32 - 1),
    freq=st.sampled_from(["D", "W", "M"]),
)
def test_one_row_per_customer_order_free_and_no_mutation(rows, seed, freq):
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    tx["date"] = pd.Timestamp("2022-01-01") + pd.to_timedelta(tx["day"], unit="D")
    before = tx.copy(deep=True)
    # as_of given: a last row far after the others is no typo here (no far-date notice)
    as_of = tx["date"].max()
    got = kamseg.summarize(tx, freq=freq, as_of=as_of)
    pd.testing.assert_frame_equal(tx, before)
    assert got.index.is_unique
    assert set(got.index) == set(tx["customer_id"])
    assert got["n_orders"].sum() == len(tx)
    np.testing.assert_allclose(got["revenue"].sum(), tx["amount"].sum(), rtol=1e-9)
    shuffled = tx.sample(frac=1.0, random_state=seed % (2**32))
    again = kamseg.summarize(shuffled, freq=freq, as_of=as_of)
    pd.testing.assert_frame_equal(again, got, rtol=1e-12)


# --- bad input (DESIGN.md's table) ---------------------------------------------------------


def test_missing_column_names_function_argument_and_hint(tiny_tx):
    with pytest.raises(
        ColumnNotFoundError,
        match=r"summarize: column 'amt' \(argument `amount_col`\).*Did you mean 'amount'",
    ):
        kamseg.summarize(tiny_tx, amount_col="amt")
    with pytest.raises(ColumnNotFoundError, match="profit_col"):
        kamseg.summarize(tiny_tx, profit_col="margin")


def test_unparseable_dates(tiny_tx):
    bad = tiny_tx.assign(date=["2024-01-01", "not a date", "2024-13-45", "2024-01-05"])
    with pytest.raises(
        SchemaError, match=r"2 value\(s\) of column 'date' are not dates.*'not a date'"
    ):
        kamseg.summarize(bad)


def test_numeric_dates_are_refused(tiny_tx):
    with pytest.raises(SchemaError, match="holds numbers"):
        kamseg.summarize(tiny_tx.assign(date=[20240101, 20240101, 20240110, 20240105]))


def test_mixed_time_zones(tiny_tx):
    mixed = tiny_tx.assign(
        date=pd.Series(
            [
                pd.Timestamp("2024-01-01", tz="UTC"),
                pd.Timestamp("2024-01-01", tz="Asia/Shanghai"),
                pd.Timestamp("2024-01-10", tz="UTC"),
                pd.Timestamp("2024-01-05"),
            ],
            dtype=object,
        )
    )
    with pytest.raises(SchemaError, match="time zone"):
        kamseg.summarize(mixed)


@pytest.mark.parametrize(
    ("amounts", "match"),
    [
        (["10", "x", "30", "8"], r"1 value\(s\) of column 'amount' are not numbers.*'x'"),
        ([10.0, np.inf, 30.0, 8.0], r"1 value\(s\) of column 'amount' are infinite"),
        ([True, False, True, True], "are not numbers"),
    ],
)
def test_bad_amounts(tiny_tx, amounts, match):
    with pytest.raises(SchemaError, match=match):
        kamseg.summarize(tiny_tx.assign(amount=amounts))


def test_numeric_text_amounts_are_accepted(tiny_tx):
    c = kamseg.summarize(tiny_tx.assign(amount=["10", "5", "30", "8"]))
    assert c["revenue"].tolist() == [45.0, 8.0]


@pytest.mark.parametrize("col", ["customer_id", "date", "amount"])
def test_nulls_raise_by_default_and_drop_with_warning(tiny_tx, col):
    values = tiny_tx[col].astype(object).copy()
    values.iloc[2] = None
    bad = tiny_tx.assign(**{col: values})
    with pytest.raises(SchemaError, match=rf"null values found \(1 in '{col}'\).*dropna=True"):
        kamseg.summarize(bad)
    with pytest.warns(KamsegWarning, match=r"dropped 1 row\(s\) with null values"):
        c = kamseg.summarize(bad, dropna=True, as_of="2024-01-31")
    # the dropped row is a's purchase of 30 on Jan 10
    assert c.loc["a", "revenue"] == 15.0
    assert c.loc["a", "frequency"] == 0.0


def test_negative_amounts_net_by_default_with_counts(tiny_tx):
    tx = tiny_tx.assign(amount=[10.0, 5.0, 30.0, -8.0])
    with pytest.warns(
        KamsegWarning,
        match=r"1 row\(s\) have negative amounts.*1 customer\(s\) have net revenue <= 0",
    ):
        c = kamseg.summarize(tx)
    assert c["revenue"].tolist() == [45.0, -8.0]
    assert c["nonpositive_revenue"].tolist() == [False, True]


def test_negative_amounts_exclude_and_error(tiny_tx):
    tx = tiny_tx.assign(amount=[10.0, -5.0, 30.0, 8.0])
    with pytest.warns(KamsegWarning, match=r"excluded 1 row\(s\) with negative amounts"):
        c = kamseg.summarize(tx, returns="exclude")
    assert c.loc["a", "revenue"] == 40.0
    assert c.loc["a", "n_orders"] == 2
    with pytest.raises(SchemaError, match=r"1 row\(s\) have negative 'amount'.*-5.0"):
        kamseg.summarize(tx, returns="error")


def test_dates_after_as_of_are_excluded_with_count(tiny_tx):
    with pytest.warns(
        KamsegWarning, match=r"excluded 2 transaction\(s\) dated after as_of 2024-01-04"
    ):
        c = kamseg.summarize(tiny_tx, as_of="2024-01-04")
    assert list(c.index) == ["a"]
    assert c.loc["a", "revenue"] == 15.0


def test_as_of_day_is_inclusive(tiny_tx):
    # a purchase at 15:00 on the as_of day is included; only the day of as_of counts
    tx = tiny_tx.assign(date=tiny_tx["date"] + pd.Timedelta(hours=15))
    c = kamseg.summarize(tx, as_of="2024-01-10")
    assert c.loc["a", "days_since_last"] == 0


def test_empty_input(tiny_tx):
    with pytest.raises(EmptyInputError, match="no rows"):
        kamseg.summarize(tiny_tx.iloc[:0])
    with pytest.warns(KamsegWarning), pytest.raises(EmptyInputError, match="no transactions left"):
        kamseg.summarize(tiny_tx, as_of="2023-12-31")


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"freq": "Q"}, r"`freq` must be one of 'D', 'W', 'M'; got 'Q'"),
        ({"freq": "w"}, "Did you mean 'W'"),
        ({"returns": "drop"}, "`returns` must be one of"),
        ({"as_of": "yesterday"}, "`as_of` must be a date"),
    ],
)
def test_bad_options(tiny_tx, kw, match):
    with pytest.raises(ConfigError, match=match):
        kamseg.summarize(tiny_tx, **kw)


def test_not_a_dataframe():
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        kamseg.summarize([1, 2, 3])


# --- routing to engines -------------------------------------------------------------------


def test_summarize_routes_arrow_and_parquet_to_duckdb(tiny_tx, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pytest.importorskip("duckdb")
    ref = kamseg.summarize(tiny_tx, as_of="2024-01-31")
    pd.testing.assert_frame_equal(
        kamseg.summarize(pa.Table.from_pandas(tiny_tx, preserve_index=False), as_of="2024-01-31"),
        ref,
        check_index_type=False,
    )
    path = tmp_path / "tx.parquet"
    tiny_tx.to_parquet(path)
    pd.testing.assert_frame_equal(
        kamseg.summarize(str(path), as_of="2024-01-31"), ref, check_index_type=False
    )


def test_unknown_input_type_is_refused():
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        kamseg.summarize({"customer_id": [1]})


def _cancellations() -> pd.DataFrame:
    """Invoices with cancellations (worked by hand in the test below)."""
    rows = [
        # customer, day of January 2024 (the 1st is a Monday), amount, order
        ("a", 1, 100.0, "o1"),
        ("a", 3, -100.0, "C1"),  # o1 cancelled two days later
        ("a", 10, 50.0, "o2"),
        ("a", 20, 30.0, "o3"),
        ("a", 20, -10.0, "C2"),  # part of o3 returned the same day
        ("b", 5, 40.0, "o4"),
        ("b", 6, -40.0, "C3"),  # everything b bought, cancelled
        ("c", 2, 10.0, "o5"),
        ("c", 2, -10.0, "C4"),  # cancelled the same day
    ]
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": [pd.Timestamp(2024, 1, r[1]) for r in rows],
            "amount": [r[2] for r in rows],
            "order_id": [r[3] for r in rows],
        }
    )


def test_periods_that_returns_bring_to_zero_or_below_are_no_purchases() -> None:
    tx = _cancellations()
    with pytest.warns(KamsegWarning, match="9 row|4 row.s. have negative amounts"):
        daily = kamseg.summarize(tx, order_col="order_id")
    # a: purchase days 1, 10, 20 (day 3 nets -100; day 20 nets +20 > 0): 2 repeat days,
    #    repeat spend (50 + 20) / 2 = 35; revenue 100 - 100 + 50 + 30 - 10 = 70; orders o1,
    #    o2, o3 (the cancellation documents C1, C2 are no orders).
    # b: one purchase day (5); day 6 nets -40: no purchase, so b's last purchase is day 5.
    # c: day 2 nets 0 with a cancellation: no purchase day at all; the first and last day of
    #    its rows stand in, and it is flagged with b (net revenue <= 0).
    expected = pd.DataFrame(
        {
            "first_purchase": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02"]),
            "last_purchase": pd.to_datetime(["2024-01-20", "2024-01-05", "2024-01-02"]),
            "n_orders": [3, 1, 1],
            "revenue": [70.0, 0.0, 0.0],
            "avg_order_value": [70 / 3, 0.0, 0.0],
            "days_since_last": [0, 15, 18],
            "tenure_days": [19, 15, 18],
            "frequency": [2.0, 0.0, 0.0],
            "recency": [19.0, 0.0, 0.0],
            "T": [19.0, 15.0, 18.0],
            "monetary_value": [35.0, 0.0, 0.0],
            "nonpositive_revenue": [False, True, True],
        },
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(daily, expected, check_dtype=False)
    # weekly: a's first week (days 1-7) nets 0 with the cancellation, so a's first purchase
    # week is week 2 (day 10); week 3 nets +20: one repeat week, spend 20. The days are
    # the daily ones whatever the period (day 1 is a purchase day).
    with pytest.warns(KamsegWarning):
        weekly = kamseg.summarize(tx, order_col="order_id", freq="W")
    a = weekly.loc["a"]
    assert (a["frequency"], a["recency"], a["T"], a["monetary_value"]) == (1, 1, 1, 20.0)
    day_columns = ["first_purchase", "last_purchase", "days_since_last", "tenure_days"]
    pd.testing.assert_frame_equal(weekly[day_columns], daily[day_columns])
    assert a["revenue"] == 70.0


def test_without_returns_the_purchase_rule_changes_nothing() -> None:
    tx = _cancellations()
    gross = tx[tx["amount"] > 0]
    with pytest.warns(KamsegWarning, match="excluded 4 row"):
        excluded = kamseg.summarize(tx, order_col="order_id", returns="exclude")
    pd.testing.assert_frame_equal(excluded, kamseg.summarize(gross, order_col="order_id"))
    assert excluded["revenue"].tolist() == [180.0, 40.0, 10.0]  # gross sales


def test_totals_that_overflow_are_refused() -> None:
    tx = pd.DataFrame({"customer_id": ["a", "a"], "date": ["2024-01-01"] * 2, "amount": 1e308})
    with pytest.raises(SchemaError, match=r"revenue of 1 customer.s. overflows"):
        kamseg.summarize(tx)


def _reference_with_returns(tx: pd.DataFrame, freq: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """The purchase rule with returns, written plainly with pandas groupby."""

    def period(dates: pd.Series) -> pd.Series:
        return dates.dt.to_period(freq)

    tx = tx.assign(period=period(tx["date"]), neg=tx["amount"] < 0)
    p = tx.groupby(["customer_id", "period"]).agg(net=("amount", "sum"), neg=("neg", "any"))
    p["buy"] = (p["net"] > 0) | ~p["neg"]
    d = tx.groupby(["customer_id", "date"]).agg(net=("amount", "sum"), neg=("neg", "any"))
    d["buy"] = (d["net"] > 0) | ~d["neg"]
    d = d.reset_index()
    d["period"] = period(d["date"])
    d = d.join(p["buy"].rename("pbuy"), on=["customer_id", "period"])
    ok = d[d["buy"]]  # purchase days by the rule of days
    out = {}
    for cid, rows in tx.groupby("customer_id"):
        mine = ok[ok["customer_id"] == cid]
        first = mine["date"].min() if len(mine) else rows["date"].min()
        last = mine["date"].max() if len(mine) else first  # no purchase: recency 0
        periods = p.loc[cid]
        bought = periods[periods["buy"]]  # purchase periods by the rule of periods
        freq_ = max(len(bought) - 1, 0)
        first_p = bought.index.min() if len(bought) else first.to_period(freq)
        last_p = bought.index.max() if len(bought) else first_p
        repeat = bought[bought.index != first_p]["net"].sum()
        out[cid] = {
            "frequency": float(freq_),
            "recency": float((last_p - first_p).n),
            "T": float((as_of.to_period(freq) - first_p).n),
            "monetary_value": repeat / freq_ if freq_ else 0.0,
            "days_since_last": (as_of - last).days,
            "revenue": rows["amount"].sum(),
        }
    return pd.DataFrame.from_dict(out, orient="index")


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 4),
            st.integers(0, 60),
            st.sampled_from([-40.0, -10.0, 0.0, 10.0, 25.0, 40.0]),
        ),
        min_size=1,
        max_size=30,
    ),
    freq=st.sampled_from(["D", "W"]),
)
def test_purchase_rule_with_returns_equals_a_plain_reference(rows, freq):
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    tx["date"] = pd.Timestamp("2023-03-01") + pd.to_timedelta(tx["day"], unit="D")
    got = _quiet_summarize(tx, freq=freq)
    expected = _reference_with_returns(tx, freq, tx["date"].max())
    cols = list(expected.columns)
    pd.testing.assert_frame_equal(
        got[cols], expected.loc[got.index], check_dtype=False, check_names=False, atol=1e-9
    )


def test_a_full_cancellation_nets_to_exactly_zero_whatever_the_order_of_the_sum() -> None:
    # 0.1 + 0.2 - 0.3 is 5.6e-17 in floating point, and -2.8e-17 in another order
    tx = pd.DataFrame(
        {
            "customer_id": ["a"] * 3 + ["b"] * 3,
            "date": ["2024-01-01", "2024-01-01", "2024-01-02"] * 2,
            "amount": [0.1, 0.2, -0.3, 0.2, 0.1, -0.3],
        }
    )
    assert 0.1 + 0.2 - 0.3 > 0
    with pytest.warns(KamsegWarning, match="2 customer.s. have net revenue <= 0"):
        out = kamseg.summarize(tx)
    assert out["revenue"].tolist() == [0.0, 0.0]
    assert out["nonpositive_revenue"].all()
    # same-day cancellation: the day nets to 0 and is no purchase
    same_day = tx.assign(date="2024-01-01")
    with pytest.warns(KamsegWarning):
        out = kamseg.summarize(same_day)
    assert out["frequency"].tolist() == [0.0, 0.0] and out["recency"].tolist() == [0.0, 0.0]


def test_an_overflow_is_refused_even_with_returns_and_categorical_ids_are_stripped() -> None:
    tx = pd.DataFrame(
        {"customer_id": [1, 1, 1], "date": ["2024-01-01"] * 3, "amount": [1e308, 1e308, -1.0]}
    )
    with pytest.raises(SchemaError, match="overflows"), warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        kamseg.summarize(tx)
    ids = pd.DataFrame(
        {"customer_id": pd.Categorical([" a", "a", "b"]), "date": ["2024-01-01"] * 3}
    ).assign(amount=1.0)
    with pytest.warns(KamsegWarning, match="stripped surrounding spaces from 1 customer id"):
        assert kamseg.summarize(ids).index.tolist() == ["a", "b"]
