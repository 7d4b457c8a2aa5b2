"""Calibration/holdout validation (kamseg.clv._holdout).

Reference values come from outside the module: lifetimes' ``calibration_and_holdout_data``
and its fitters' conditional expectations; the FHL (2005) CDNOW sample as published
(``cdnow_customers_summary.csv``, the per-bucket holdout means and Pareto/NBD conditional
expectations printed in the BTYD package vignette for the same sample and parameters);
and small examples worked by hand.
"""

from __future__ import annotations

import importlib.util
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg.clv import _bgnbd, _holdout
from kamseg.clv._holdout import (
    HOLDOUT_COLUMNS,
    HoldoutReport,
    calibration_holdout,
    compare_models,
    evaluate_holdout,
)
from kamseg.errors import (
    ColumnNotFoundError,
    ConfigError,
    ConvergenceError,
    EmptyInputError,
    KamsegWarning,
    SchemaError,
)

CAL_END, HOLD_END = "1997-09-30", "1998-06-30"


def _pareto_works() -> bool:
    """The Pareto/NBD module is written by another developer; use it only if it is usable."""
    if importlib.util.find_spec("kamseg.clv._pareto_nbd") is None:
        return False
    try:
        from kamseg.clv import _pareto_nbd

        p = np.array([0.5532, 10.578, 0.6062, 11.669])
        value = _pareto_nbd.conditional_expected_purchases(p, 39.0, 2.0, 30.0, 39.0)
        return bool(np.isfinite(value).all())
    except Exception:  # pragma: no cover - only while the module is being written
        return False


needs_pareto = pytest.mark.skipif(not _pareto_works(), reason="Pareto/NBD not available")


@pytest.fixture(scope="module")
def cdnow_weekly(cdnow: pd.DataFrame) -> pd.DataFrame:
    return calibration_holdout(cdnow, calibration_end=CAL_END, holdout_end=HOLD_END, freq="W")


@pytest.fixture(scope="module")
def bgnbd_weekly(cdnow_weekly: pd.DataFrame) -> kamseg.clv.FitResult:
    return kamseg.clv.fit(cdnow_weekly, model="bgnbd")


@pytest.fixture(scope="module")
def fhl_sample(cdnow: pd.DataFrame) -> pd.DataFrame:
    """The 2,357-customer CDNOW sample of FHL (2005), with its sample ids (1..2357)."""
    path = kamseg.datasets._lifetimes_file("CDNOW_sample.txt", func="test")
    raw = pd.read_csv(
        path,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "quantity", "amount"],
        dtype={"date": str},
    )
    return raw.assign(date=pd.to_datetime(raw["date"], format="%Y%m%d"))


@pytest.fixture(scope="module")
def fhl_table(fhl_sample: pd.DataFrame) -> pd.DataFrame:
    """FHL's data: days, expressed in weeks (days / 7), as in the paper."""
    daily = calibration_holdout(
        fhl_sample, calibration_end=CAL_END, holdout_end=HOLD_END, freq="D"
    )
    weekly = daily.assign(
        recency=daily["recency"] / 7,
        T=daily["T"] / 7,
        duration_holdout=daily["duration_holdout"] / 7,
    )
    weekly.attrs = {}
    return weekly


# --- calibration_holdout: equality with lifetimes -------------------------------------------


def _per_period_log(tx: pd.DataFrame, freq: str) -> pd.DataFrame:
    """One row per customer, period and window (calibration/holdout), amounts summed."""
    period = tx["date"].dt.to_period(freq)
    side = tx["date"] > pd.Timestamp(CAL_END)
    return (
        tx.assign(period=period, side=side)
        .groupby(["customer_id", "period", "side"], as_index=False)
        .agg(date=("date", "max"), amount=("amount", "sum"))
    )


@pytest.mark.parametrize("freq", ["D", "W"])
def test_calibration_holdout_equals_lifetimes(cdnow, freq):
    from lifetimes.utils import calibration_and_holdout_data

    ours = calibration_holdout(cdnow, calibration_end=CAL_END, holdout_end=HOLD_END, freq=freq)
    ref = calibration_and_holdout_data(
        cdnow,
        "customer_id",
        "date",
        calibration_period_end=CAL_END,
        observation_period_end=HOLD_END,
        freq=freq,
        monetary_value_col="amount",
    ).rename(columns=lambda c: c.removesuffix("_cal"))
    assert list(ours.columns) == list(HOLDOUT_COLUMNS)
    assert len(ours) == len(ref) == 23570
    pd.testing.assert_index_equal(ours.index, ref.index)
    same = ["frequency", "recency", "T", "monetary_value", "frequency_holdout"]
    same.append("duration_holdout")
    pd.testing.assert_frame_equal(ours[same], ref[same], check_exact=False, rtol=1e-12)
    assert ours.attrs == {
        "freq": freq,
        "as_of": CAL_END,
        "calibration_end": CAL_END,
        "holdout_end": HOLD_END,
    }

    # lifetimes averages the holdout spend per *row*; kamseg per purchase period. On a log
    # with one row per customer and period they agree (and lifetimes' calibration columns
    # do not change).
    ref_periods = calibration_and_holdout_data(
        _per_period_log(cdnow, freq),
        "customer_id",
        "date",
        calibration_period_end=CAL_END,
        observation_period_end=HOLD_END,
        freq=freq,
        monetary_value_col="amount",
    )
    np.testing.assert_allclose(
        ours["monetary_value_holdout"], ref_periods["monetary_value_holdout"], rtol=1e-12
    )
    np.testing.assert_allclose(ours["monetary_value"], ref_periods["monetary_value_cal"])
    # ... and on the raw log they differ exactly for customers with several rows in a
    # holdout period
    holdout = cdnow[cdnow["date"] > pd.Timestamp(CAL_END)]
    rows_per_period = holdout.groupby(["customer_id", holdout["date"].dt.to_period(freq)]).size()
    several = rows_per_period[rows_per_period > 1].index.get_level_values(0).unique()
    differs = ~np.isclose(ours["monetary_value_holdout"], ref["monetary_value_holdout"])
    assert set(ours.index[differs]) <= set(several)
    assert differs.sum() > 0


def test_calibration_matches_published_fhl_summary(fhl_sample):
    # FHL's published summary of the same 2,357 customers (weeks = days / 7, 2 decimals)
    daily = calibration_holdout(
        fhl_sample, calibration_end=CAL_END, holdout_end=HOLD_END, freq="D"
    )
    published = kamseg.datasets.load_cdnow_summary()
    pd.testing.assert_index_equal(daily.index, published.index, check_names=False)
    np.testing.assert_array_equal(daily["frequency"], published["frequency"])
    np.testing.assert_allclose(daily["recency"] / 7, published["recency"], atol=0.005)
    np.testing.assert_allclose(daily["T"] / 7, published["T"], atol=0.005)
    assert (daily["duration_holdout"] == 273).all()  # weeks 40..78: 39 weeks


# --- calibration_holdout: a small example worked by hand --------------------------------------


@pytest.fixture
def small_tx() -> pd.DataFrame:
    rows = [
        # customer a: calibration Mon 1 Jan (two lines), Mon 8 Jan; holdout Thu 11 Jan (two
        # lines), Sat 20 Jan, Sun 21 Jan
        ("a", "2024-01-01", 10.0),
        ("a", "2024-01-01", 20.0),
        ("a", "2024-01-08", 30.0),
        ("a", "2024-01-11", 5.0),
        ("a", "2024-01-11", 15.0),
        ("a", "2024-01-20", 40.0),
        ("a", "2024-01-21", 10.0),
        # customer b: calibration Tue 9 Jan; holdout Thu 29 Feb, Fri 1 Mar
        ("b", "2024-01-09", 50.0),
        ("b", "2024-02-29", 8.0),
        ("b", "2024-03-01", 12.0),
        # customer c: first purchase in the holdout window, so not in the table
        ("c", "2024-01-15", 100.0),
    ]
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


# calibration_end Wed 10 Jan 2024, holdout_end Fri 15 Mar 2024
# D: holdout = 21 + 29 + 15 = 65 days.
# W (Monday weeks): 10 Jan is in the week of 8 Jan, 15 Mar in the week of 11 Mar = 9 weeks
#    later. a's weeks: 1 Jan, 8 Jan | 8 Jan (11 Jan), 15 Jan (20 and 21 Jan); b's 29 Feb and
#    1 Mar share the week of 26 Feb.
# M: January -> March = 2 months; a bought only in January (calibration and holdout);
#    b in January | February, March.
HAND = {
    "D": {
        "a": [1, 7, 9, 30.0, 3, 70 / 3, 65],
        "b": [0, 0, 1, 0.0, 2, 10.0, 65],
    },
    "W": {
        "a": [1, 1, 1, 30.0, 2, 35.0, 9],
        "b": [0, 0, 0, 0.0, 1, 20.0, 9],
    },
    "M": {
        "a": [0, 0, 0, 0.0, 1, 70.0, 2],
        "b": [0, 0, 0, 0.0, 2, 10.0, 2],
    },
}


@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_calibration_holdout_by_hand(small_tx, freq):
    before = small_tx.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "dates after as_of" or any other warning
        out = calibration_holdout(
            small_tx, calibration_end="2024-01-10", holdout_end="2024-03-15", freq=freq
        )
    expected = pd.DataFrame.from_dict(
        HAND[freq], orient="index", columns=list(HOLDOUT_COLUMNS), dtype=float
    )
    expected.index.name = "customer_id"
    pd.testing.assert_frame_equal(out, expected, check_index_type=False)
    pd.testing.assert_frame_equal(small_tx, before)  # input not modified


def test_calibration_holdout_goes_straight_into_fit(demo_data):
    ch = calibration_holdout(demo_data.transactions, calibration_end="2023-12-31", freq="W")
    fitted = kamseg.clv.fit(ch, model="bgnbd")
    assert fitted.freq == "W"
    # the calibration columns are exactly summarize of the calibration rows
    tx = demo_data.transactions
    cal = kamseg.summarize(tx[tx["date"] <= "2023-12-31"], as_of="2023-12-31", freq="W")
    pd.testing.assert_frame_equal(
        ch[["frequency", "recency", "T", "monetary_value"]],
        cal[["frequency", "recency", "T", "monetary_value"]],
    )


def test_holdout_end_defaults_to_last_date(small_tx):
    out = calibration_holdout(small_tx, calibration_end="2024-01-10")
    assert out.attrs["holdout_end"] == "2024-03-01"
    assert (out["duration_holdout"] == 51).all()  # 10 Jan -> 1 Mar


def test_custom_column_names_and_string_ids(small_tx):
    tx = small_tx.rename(columns={"customer_id": "client", "date": "day", "amount": "eur"})
    tx["client"] = tx["client"].astype("string")
    out = calibration_holdout(
        tx,
        calibration_end="2024-01-10",
        holdout_end="2024-03-15",
        customer_col="client",
        date_col="day",
        amount_col="eur",
    )
    assert out.index.name == "client"
    assert out.loc["a", "frequency_holdout"] == 3


# --- calibration_holdout: bad input -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"calibration_end": "2024-03-15", "holdout_end": "2024-03-15"},
            ConfigError,
            r"`calibration_end` \(2024-03-15\) must be before `holdout_end` \(2024-03-15\)",
        ),
        (
            {"calibration_end": "2024-03-01"},
            ConfigError,
            r"must be before `holdout_end` \(2024-03-01, the latest date in the data\)",
        ),
        (
            {"calibration_end": "2024-01-10", "holdout_end": "2024-01-31", "freq": "M"},
            ConfigError,
            r"0 periods long",
        ),
        (
            {"calibration_end": "2023-12-31"},
            EmptyInputError,
            r"no transactions on or before calibration_end 2023-12-31 \(the first is dated "
            r"2024-01-01\)",
        ),
        ({"calibration_end": "soon"}, ConfigError, r"`calibration_end` must be a date"),
        ({"calibration_end": None}, ConfigError, r"`calibration_end` is required"),
        (
            {"calibration_end": "2024-01-10", "holdout_end": "later"},
            ConfigError,
            r"`holdout_end` must be a date",
        ),
        ({"calibration_end": "2024-01-10", "freq": "Q"}, ConfigError, r"`freq` must be one"),
        (
            {"calibration_end": "2024-01-10", "returns": "keep"},
            ConfigError,
            r"`returns` must be one",
        ),
        (
            {"calibration_end": "2024-01-10", "amount_col": "amont"},
            ColumnNotFoundError,
            r"column 'amont' \(argument `amount_col`\).*Did you mean 'amount'\?",
        ),
    ],
)
def test_calibration_holdout_bad_input(small_tx, kwargs, error, match):
    with pytest.raises(error, match=match):
        calibration_holdout(small_tx, **kwargs)


def test_calibration_holdout_empty_and_not_a_frame(small_tx):
    with pytest.raises(EmptyInputError, match="has no rows"):
        calibration_holdout(small_tx.iloc[:0], calibration_end="2024-01-10")
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        calibration_holdout(small_tx.to_dict(), calibration_end="2024-01-10")  # type: ignore[arg-type]


def test_rows_after_holdout_end_are_excluded_with_a_warning(small_tx):
    # holdout_end is the as_of of the preparation, whose warning counts the later rows
    with pytest.warns(
        KamsegWarning, match=r"excluded 2 transaction\(s\) dated after as_of 2024-02-01"
    ):
        out = calibration_holdout(small_tx, calibration_end="2024-01-10", holdout_end="2024-02-01")
    assert out.loc["b", "frequency_holdout"] == 0
    assert out.loc["a", "frequency_holdout"] == 3


def test_no_holdout_purchases_warns(small_tx):
    tx = small_tx[small_tx["date"] <= "2024-01-10"]
    with pytest.warns(KamsegWarning, match="frequency_holdout is 0 for everyone"):
        out = calibration_holdout(tx, calibration_end="2024-01-09", holdout_end="2024-01-31")
    assert (out["frequency_holdout"] == 0).all()
    assert (out["monetary_value_holdout"] == 0).all()


def test_nulls(small_tx):
    tx = small_tx.copy()
    tx.loc[3, "amount"] = np.nan
    with pytest.raises(SchemaError, match=r"null values found \(1 in 'amount'\)"):
        calibration_holdout(tx, calibration_end="2024-01-10")
    with pytest.warns(KamsegWarning, match=r"dropped 1 row\(s\) with null values"):
        out = calibration_holdout(
            tx, calibration_end="2024-01-10", holdout_end="2024-03-15", dropna=True
        )
    assert out.loc["a", "frequency_holdout"] == 3  # 11 Jan still has its 15.0 line
    assert out.loc["a", "monetary_value_holdout"] == pytest.approx(65 / 3)


def test_returns_policies(small_tx):
    tx = pd.concat(
        [small_tx, pd.DataFrame({"customer_id": ["b"], "date": ["2024-03-01"], "amount": [-2.0]})],
        ignore_index=True,
    )
    kwargs = {"calibration_end": "2024-01-10", "holdout_end": "2024-03-15"}
    with pytest.raises(SchemaError, match=r"1 row\(s\) have negative 'amount'"):
        calibration_holdout(tx, returns="error", **kwargs)
    with pytest.warns(KamsegWarning, match=r"excluded 1 row\(s\) with negative amounts"):
        excluded = calibration_holdout(tx, returns="exclude", **kwargs)
    assert excluded.loc["b", "monetary_value_holdout"] == 10.0
    with pytest.warns(
        KamsegWarning, match=r"1 row\(s\) have negative amounts \(returns\), netted"
    ):
        net = calibration_holdout(tx, returns="net", **kwargs)
    assert net.loc["b", "frequency_holdout"] == 2
    assert net.loc["b", "monetary_value_holdout"] == 9.0  # (8 + 12 - 2) / 2


# --- calibration_holdout: prepared transactions ----------------------------------------------


def _caught(func, *args, **kwargs):
    """Call func, returning its result and every warning it emitted."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = func(*args, **kwargs)
    return out, caught


@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_prepared_and_frame_give_the_same_table(small_tx, freq):
    kwargs = {"calibration_end": "2024-01-10", "holdout_end": "2024-03-15", "freq": freq}
    from_frame = calibration_holdout(small_tx, **kwargs)
    prepared = kamseg.prepare_transactions(small_tx, as_of="2024-03-15")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_prepared = calibration_holdout(prepared, **kwargs)
        default_end = calibration_holdout(
            prepared, calibration_end="2024-01-10", freq=freq
        )  # holdout_end: the prepared as_of, not the latest row (1 Mar)
    pd.testing.assert_frame_equal(from_prepared, from_frame)
    assert from_prepared.attrs == from_frame.attrs
    pd.testing.assert_frame_equal(default_end, from_frame)
    assert default_end.attrs["holdout_end"] == "2024-03-15"


def test_prepared_cdnow_gives_the_published_table(cdnow, cdnow_weekly):
    prepared = kamseg.prepare_transactions(cdnow, as_of=HOLD_END)
    out = calibration_holdout(prepared, calibration_end=CAL_END, freq="W")
    pd.testing.assert_frame_equal(out, cdnow_weekly)
    assert out.attrs == cdnow_weekly.attrs
    # prepared up to a later as_of, it is cut at holdout_end, silently; by default its
    # holdout window runs to that as_of
    later = kamseg.prepare_transactions(cdnow, as_of="1998-12-31")
    cut = calibration_holdout(later, calibration_end=CAL_END, holdout_end=HOLD_END, freq="W")
    pd.testing.assert_frame_equal(cut, cdnow_weekly)
    longer = calibration_holdout(later, calibration_end=CAL_END, freq="W")
    assert longer.attrs["holdout_end"] == "1998-12-31"
    assert (longer["duration_holdout"] == 65).all()  # 39 weeks + 26 more
    pd.testing.assert_frame_equal(
        longer.drop(columns="duration_holdout"), cdnow_weekly.drop(columns="duration_holdout")
    )


def test_prepared_with_custom_columns(small_tx):
    tx = small_tx.rename(columns={"customer_id": "client", "date": "day", "amount": "eur"})
    prepared = kamseg.prepare_transactions(
        tx, customer_col="client", date_col="day", amount_col="eur"
    )
    # the keywords that the preparation fixed are not read again
    out = calibration_holdout(prepared, calibration_end="2024-01-10", amount_col="ignored")
    assert out.index.name == "client"
    expected = calibration_holdout(
        tx, calibration_end="2024-01-10", customer_col="client", date_col="day", amount_col="eur"
    )
    pd.testing.assert_frame_equal(out, expected)


def test_prepared_holdout_end_after_its_as_of(small_tx):
    prepared, _ = _caught(kamseg.prepare_transactions, small_tx, as_of="2024-02-01")
    with pytest.raises(
        ConfigError,
        match=r"`holdout_end` \(2024-03-15\) is after the as_of of the prepared transactions "
        r"\(2024-02-01\)",
    ):
        calibration_holdout(prepared, calibration_end="2024-01-10", holdout_end="2024-03-15")
    with pytest.raises(
        ConfigError,
        match=r"must be before `holdout_end` \(2024-02-01, the as_of of the prepared",
    ):
        calibration_holdout(prepared, calibration_end="2024-02-01")


@pytest.fixture
def tx_with_returns(small_tx) -> pd.DataFrame:
    """small_tx with a return in each window and a row after holdout_end."""
    extra = pd.DataFrame(
        {
            "customer_id": ["a", "b", "b"],
            "date": ["2024-01-08", "2024-03-01", "2024-04-02"],
            "amount": [-6.0, -2.0, 9.0],
        }
    )
    return pd.concat([small_tx, extra], ignore_index=True)


@pytest.mark.parametrize("returns", ["net", "exclude"])
def test_negative_amounts_warn_once_for_a_frame_and_never_for_prepared(tx_with_returns, returns):
    kwargs = {"calibration_end": "2024-01-10", "holdout_end": "2024-03-15", "freq": "W"}
    from_frame, caught = _caught(calibration_holdout, tx_with_returns, returns=returns, **kwargs)
    assert len(caught) == 1, [str(w.message) for w in caught]
    assert issubclass(caught[0].category, KamsegWarning)
    assert caught[0].filename == __file__  # points at the caller
    message = str(caught[0].message)
    assert message.startswith("calibration_holdout: ")
    assert "excluded 1 transaction(s) dated after as_of 2024-03-15" in message
    if returns == "net":
        assert "2 row(s) have negative amounts (returns), netted" in message
    else:
        assert "excluded 2 row(s) with negative amounts (returns)" in message

    prepared, caught = _caught(
        kamseg.prepare_transactions, tx_with_returns, as_of="2024-03-15", returns=returns
    )
    assert len(caught) == 1
    from_prepared, caught = _caught(calibration_holdout, prepared, **kwargs)
    assert caught == []
    pd.testing.assert_frame_equal(from_prepared, from_frame)
    # netted into both windows, or dropped from both
    if returns == "net":
        assert from_frame.loc["a", "monetary_value"] == 24.0  # 30 - 6 on 8 Jan
        assert from_frame.loc["b", "monetary_value_holdout"] == 18.0  # 8 + 12 - 2
    else:
        assert from_frame.loc["a", "monetary_value"] == 30.0
        assert from_frame.loc["b", "monetary_value_holdout"] == 20.0


def test_dropna_end_to_end(demo_data):
    tx = demo_data.transactions.copy()
    rng = np.random.default_rng(3)
    rows = rng.choice(len(tx), size=30, replace=False)
    amount_col = tx.columns.get_loc("amount")
    tx.iloc[rows[:20], amount_col] = np.nan
    tx.iloc[rows[20:25], tx.columns.get_loc("date")] = pd.NaT
    tx.iloc[rows[25:], tx.columns.get_loc("customer_id")] = None
    kwargs = {"calibration_end": "2023-12-31", "freq": "W"}
    with pytest.raises(SchemaError, match=r"null values found \(5 in 'customer_id'"):
        calibration_holdout(tx, **kwargs)

    out, caught = _caught(calibration_holdout, tx, dropna=True, **kwargs)
    assert len(caught) == 1
    assert "dropped 30 row(s) with null values" in str(caught[0].message)
    clean = tx.drop(index=tx.index[rows])
    pd.testing.assert_frame_equal(out, calibration_holdout(clean, **kwargs))
    # and through the prepared object: no second warning
    prepared, _ = _caught(kamseg.prepare_transactions, tx, dropna=True)
    again, caught = _caught(calibration_holdout, prepared, **kwargs)
    assert caught == []
    pd.testing.assert_frame_equal(again, out)
    # the table goes on into a fit and a holdout evaluation
    fitted = kamseg.clv.fit(out, model="bgnbd")
    report = evaluate_holdout(out, fitted)
    assert int(report.metrics["customers"]) == len(out)
    assert np.isfinite(report.per_customer["predicted"]).all()


# --- evaluate_holdout -------------------------------------------------------------------------


def test_metrics_by_hand(monkeypatch, bgnbd_weekly):
    table = pd.DataFrame(
        {
            "frequency": [0.0, 1.0, 2.0, 5.0],
            "recency": [0.0, 3.0, 5.0, 9.0],
            "T": [10.0, 10.0, 10.0, 10.0],
            "frequency_holdout": [0.0, 2.0, 1.0, 3.0],
            "duration_holdout": [5.0, 5.0, 5.0, 5.0],
        },
        index=pd.Index(list("pqrs"), name="customer_id"),
    )
    predicted = np.array([1.0, 2.0, 0.5, 0.0])
    monkeypatch.setattr(_holdout, "holdout_predictions", lambda *args: predicted)
    report = evaluate_holdout(table, bgnbd_weekly, max_bucket=2)
    # errors predicted - actual: 1, 0, -0.5, -3
    m = report.metrics
    assert m["customers"] == 4
    assert m["actual"] == 6.0
    assert m["predicted"] == 3.5
    assert m["mae"] == pytest.approx(4.5 / 4)
    assert m["rmse"] == pytest.approx(math.sqrt(10.25 / 4))
    # deviations from the means 0.875 and 1.5: products sum to -0.75; squares 2.1875 and 5
    assert m["correlation"] == pytest.approx(-0.75 / math.sqrt(2.1875 * 5))
    assert m["aggregate_error"] == pytest.approx((3.5 - 6) / 6)
    assert list(m.index) == [
        "customers",
        "actual",
        "predicted",
        "mae",
        "rmse",
        "correlation",
        "aggregate_error",
    ]
    by = report.by_frequency
    assert by.index.tolist() == ["0", "1", "2+"]
    assert by.index.ordered
    assert by["customers"].tolist() == [1, 1, 2]
    assert by["actual"].tolist() == [0.0, 2.0, 2.0]
    assert by["predicted"].tolist() == [1.0, 2.0, 0.25]
    assert report.per_customer.loc["s"].tolist() == [5.0, 3.0, 0.0]


def test_degenerate_metrics(monkeypatch, bgnbd_weekly):
    table = pd.DataFrame(
        {
            "frequency": [0.0, 0.0],
            "recency": [0.0, 0.0],
            "T": [4.0, 4.0],
            "frequency_holdout": [0.0, 0.0],
            "duration_holdout": [3.0, 3.0],
        }
    )
    monkeypatch.setattr(_holdout, "holdout_predictions", lambda *args: np.array([0.2, 0.2]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = evaluate_holdout(table, bgnbd_weekly, max_bucket=1)
    assert math.isnan(report.metrics["correlation"])  # both constant
    assert math.isnan(report.metrics["aggregate_error"])  # nobody bought
    assert report.by_frequency["customers"].tolist() == [2, 0]
    assert math.isnan(report.by_frequency.loc["1+", "actual"])  # empty bucket


def test_predictions_use_each_customers_duration(bgnbd_weekly):
    table = pd.DataFrame(
        {
            "frequency": [2.0, 2.0, 0.0],
            "recency": [30.0, 30.0, 0.0],
            "T": [39.0, 39.0, 20.0],
            "frequency_holdout": [1.0, 1.0, 0.0],
            "duration_holdout": [39.0, 13.0, 39.0],
        }
    )
    report = evaluate_holdout(table, bgnbd_weekly)
    p = bgnbd_weekly.values()
    expected = [
        _bgnbd.conditional_expected_purchases(p, t, np.array([x]), np.array([tx]), np.array([T]))[
            0
        ]
        for x, tx, T, t in [(2, 30, 39, 39), (2, 30, 39, 13), (0, 0, 20, 39)]
    ]
    np.testing.assert_allclose(report.per_customer["predicted"], expected, rtol=1e-12)


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_predicted_equals_lifetimes(cdnow_weekly, model):
    from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter

    fitted = kamseg.clv.fit(cdnow_weekly, model=model)
    ref = BetaGeoFitter() if model == "bgnbd" else ModifiedBetaGeoFitter()
    ref.params_ = pd.Series(dict(fitted.params))
    report = evaluate_holdout(cdnow_weekly, fitted)
    theirs = ref.conditional_expected_number_of_purchases_up_to_time(
        39.0, cdnow_weekly["frequency"], cdnow_weekly["recency"], cdnow_weekly["T"]
    )
    np.testing.assert_allclose(report.per_customer["predicted"], theirs, rtol=1e-6)
    np.testing.assert_array_equal(report.per_customer["actual"], cdnow_weekly["frequency_holdout"])


@needs_pareto
def test_pareto_predicted_equals_lifetimes(cdnow_weekly):
    from lifetimes import ParetoNBDFitter

    fitted = kamseg.clv.fit(cdnow_weekly, model="pareto_nbd")
    ref = ParetoNBDFitter()
    ref.params_ = pd.Series(dict(fitted.params))
    report = evaluate_holdout(cdnow_weekly, fitted)
    theirs = ref.conditional_expected_number_of_purchases_up_to_time(
        39.0, cdnow_weekly["frequency"], cdnow_weekly["recency"], cdnow_weekly["T"]
    )
    np.testing.assert_allclose(report.per_customer["predicted"], theirs, rtol=1e-6)


# Holdout means per calibration-frequency bucket of the FHL sample, and the Pareto/NBD
# conditional expectations with FHL's parameters, as printed in the BTYD vignette
# (Dziurzynski, Wadsworth & McCarthy, "BTYD: Implementing Buy 'Til You Die Models").
BTYD_BINS = [1411, 439, 214, 100, 62, 38, 29, 64]
BTYD_ACTUAL = [0.2367116, 0.6970387, 1.392523, 1.560000, 2.532258, 2.947368, 3.862069, 6.359375]
BTYD_PNBD_EXPECTED = [0.138, 0.600, 1.196, 1.714, 2.399, 2.907, 3.819, 6.403]


def test_by_frequency_actuals_match_published_fhl_sample(fhl_table):
    fitted = kamseg.clv.fit(fhl_table, model="bgnbd")  # FHL's r 0.2426, α 4.4136, ...
    assert fitted.log_likelihood == pytest.approx(-9582.43, abs=0.01)
    report = evaluate_holdout(fhl_table, fitted)
    by = report.by_frequency
    assert by.index.tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert by["customers"].tolist() == BTYD_BINS
    np.testing.assert_allclose(by["actual"], BTYD_ACTUAL, rtol=1e-6)
    assert report.metrics["actual"] == 1882  # repeat purchase days in weeks 40-78
    # FHL's own fit under-forecasts this holdout by about 12 %: the bound used on the full
    # log below (15 %) is set from the published model on the published data.
    assert -0.15 < report.metrics["aggregate_error"] < -0.05


@needs_pareto
def test_pareto_by_frequency_matches_published(fhl_table):
    fitted = kamseg.clv.fit(fhl_table, model="pareto_nbd")
    report = evaluate_holdout(fhl_table, fitted)
    np.testing.assert_allclose(report.by_frequency["predicted"], BTYD_PNBD_EXPECTED, atol=2e-3)


def test_by_frequency_cdnow_weekly(cdnow_weekly, bgnbd_weekly):
    report = evaluate_holdout(cdnow_weekly, bgnbd_weekly)
    by = report.by_frequency
    assert by["customers"].sum() == len(cdnow_weekly) == 23570
    assert by.index.tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    # the published pattern: predictions rise with calibration frequency and track the
    # actual means; on FHL's sample their own model misses buckets 0-4 by up to 0.37
    assert by["predicted"].is_monotonic_increasing
    assert by["actual"].is_monotonic_increasing
    diff = (by["predicted"] - by["actual"]).abs()
    assert (diff.iloc[:5] < 0.4).all()
    assert (diff.iloc[5:] / by["actual"].iloc[5:] < 0.1).all()
    m = report.metrics
    assert -0.15 < m["aggregate_error"] < 0.15
    assert m["correlation"] > 0.5
    assert m["mae"] < m["rmse"] < 2.0
    assert isinstance(report, HoldoutReport)
    assert "model='bgnbd'" in repr(report)


def test_evaluate_holdout_bad_input(cdnow_weekly, bgnbd_weekly, demo_data):
    small = cdnow_weekly.head(50)
    with pytest.raises(ConfigError, match="must be a transaction model fit"):
        evaluate_holdout(small, "bgnbd")  # type: ignore[arg-type]
    spend = kamseg.clv.fit(kamseg.summarize(demo_data.transactions), model="gamma_gamma")
    with pytest.raises(ConfigError, match="got 'gamma_gamma'"):
        evaluate_holdout(small, spend)
    with pytest.raises(ConfigError, match="`max_bucket` must be between 1"):
        evaluate_holdout(small, bgnbd_weekly, max_bucket=0)
    with pytest.raises(ColumnNotFoundError, match="argument `duration_holdout_col`"):
        evaluate_holdout(small.drop(columns="duration_holdout"), bgnbd_weekly)
    bad = small.copy()
    bad.iloc[0, bad.columns.get_loc("frequency_holdout")] = -1.0
    with pytest.raises(SchemaError, match="'frequency_holdout' has 1 null or negative"):
        evaluate_holdout(bad, bgnbd_weekly)
    daily = small.copy()
    daily.attrs = {**small.attrs, "freq": "D"}
    with pytest.raises(ConfigError, match="fitted on 'W' periods but `customers` is in 'D'"):
        evaluate_holdout(daily, bgnbd_weekly)


# --- compare_models ---------------------------------------------------------------------------

COMPARE_COLUMNS = [
    "n_params",
    "log_likelihood",
    "aic",
    "bic",
    "mae",
    "rmse",
    "correlation",
    "aggregate_error",
    "boundary",
    "dropout_identified",
    "note",
]


def test_compare_models(cdnow_weekly, bgnbd_weekly):
    models = ("bgnbd", "mbgnbd", "pareto_nbd") if _pareto_works() else ("bgnbd", "mbgnbd")
    table = compare_models(cdnow_weekly, models=models)
    assert table.columns.tolist() == COMPARE_COLUMNS
    assert sorted(table.index) == sorted(models)
    assert table.index.name == "model"
    assert table["aic"].is_monotonic_increasing
    assert (table["n_params"] == 4).all()
    assert (table["note"] == "").all()
    assert (table["boundary"] == "").all()  # CDNOW: ordinary maxima
    assert table["dropout_identified"].tolist() == [True] * len(models)
    row = table.loc["bgnbd"]
    assert row["log_likelihood"] == pytest.approx(bgnbd_weekly.log_likelihood)
    assert row["aic"] == pytest.approx(2 * 4 - 2 * bgnbd_weekly.log_likelihood)
    assert row["bic"] == pytest.approx(bgnbd_weekly.bic)
    metrics = evaluate_holdout(cdnow_weekly, bgnbd_weekly).metrics
    for name in ("mae", "rmse", "correlation", "aggregate_error"):
        assert row[name] == pytest.approx(metrics[name])


def test_compare_models_reports_a_failing_fit(monkeypatch, cdnow_weekly):
    real_fit = _holdout.fit

    def flaky_fit(data, *, model, **kwargs):
        if model == "mbgnbd":
            raise ConvergenceError("fit('mbgnbd') did not converge: gradient [1.0]")
        return real_fit(data, model=model, **kwargs)

    monkeypatch.setattr(_holdout, "fit", flaky_fit)
    with pytest.warns(KamsegWarning, match=r"the 'mbgnbd' fit did not converge"):
        table = compare_models(cdnow_weekly.head(3000), models=("mbgnbd", "bgnbd"))
    assert table.index.tolist() == ["bgnbd", "mbgnbd"]  # the failed fit sorts last
    failed = table.loc["mbgnbd"]
    assert failed[["log_likelihood", "aic", "bic", "mae", "rmse"]].isna().all()
    assert failed["n_params"] == 4
    assert "did not converge" in failed["note"]
    assert failed["boundary"] == "" and failed["dropout_identified"] is None
    assert table.loc["bgnbd", "note"] == ""


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"models": ("bgnbd", "gamma_gamma")}, ConfigError, r"`models` must be one of"),
        ({"models": ("bgnd",)}, ConfigError, r"Did you mean 'bgnbd'\?"),
        ({"models": ()}, ConfigError, r"`models` is empty"),
        ({"models": ("bgnbd", "bgnbd")}, ConfigError, r"repeats a model"),
        ({"recency_col": "recent"}, ColumnNotFoundError, r"argument `recency_col`"),
        ({"penalty": -1.0}, ConfigError, r"`penalty` must be a finite number >= 0"),
    ],
)
def test_compare_models_bad_input(cdnow_weekly, kwargs, error, match):
    with pytest.raises(error, match=match):
        compare_models(cdnow_weekly.head(100), **kwargs)


def test_compare_models_accepts_one_name(cdnow_weekly):
    table = compare_models(cdnow_weekly.head(3000), models="bgnbd")
    assert table.index.tolist() == ["bgnbd"]
