"""Tests for kamseg.datasets.make_invoice_lines: a messy "Online Retail"-like export.

Every expectation is worked out from the lines themselves with plain pandas (amounts,
dates, invoice numbers), not read back from the generator's own bookkeeping.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
import pytest

from kamseg.datasets import INVOICE_SEGMENTS, InvoiceData, make_invoice_lines
from kamseg.errors import ConfigError

COLUMNS = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]
START = pd.Timestamp("2010-12-01")
END = pd.Timestamp("2011-12-09")


@pytest.fixture(scope="module")
def data() -> InvoiceData:
    return make_invoice_lines(2000, seed=3)


@pytest.fixture(scope="module")
def text_data() -> InvoiceData:
    return make_invoice_lines(1000, seed=4, id_dtype="text")


def amount(lines: pd.DataFrame) -> pd.Series:
    return lines["Quantity"] * lines["UnitPrice"]


def customer_ids(lines: pd.DataFrame) -> pd.Series:
    """The customer of each line as int64 (NaN-free rows only), from float or text ids."""
    ids = lines["CustomerID"].dropna()
    if ids.dtype != np.float64:
        ids = ids.str.strip().astype(np.float64)
    assert (ids == ids.round()).all()
    return ids.astype(np.int64)


def customer_lines(d: InvoiceData) -> pd.DataFrame:
    """The lines with a customer id, with `cid` (int64), `amount`, `is_cancel`, `day`."""
    lines = d.lines.loc[d.lines["CustomerID"].notna()]
    return lines.assign(
        cid=customer_ids(lines),
        amount=amount(lines),
        is_cancel=lines["InvoiceNo"].str.startswith("C"),
        day=lines["InvoiceDate"].dt.normalize(),
    )


def purchase_days(d: InvoiceData, segment: str) -> pd.DataFrame:
    """Distinct purchase-invoice days (no cancellations, no mistyped date) of a segment."""
    lines = customer_lines(d)
    ids = d.truth.index[d.truth["segment"] == segment]
    keep = (
        lines["cid"].isin(ids)
        & ~lines["is_cancel"]
        & (lines["InvoiceDate"] <= END + pd.Timedelta(days=1))
    )
    return lines.loc[keep, ["cid", "day"]].drop_duplicates().sort_values(["cid", "day"])


# ----------------------------------------------------------------------------- shape


def test_columns_and_dtypes(data: InvoiceData) -> None:
    lines = data.lines
    assert lines.columns.tolist() == COLUMNS
    for col in ("InvoiceNo", "StockCode", "Description", "Country"):
        assert pd.api.types.is_string_dtype(lines[col]), col
        assert lines[col].notna().all()
    assert lines["Quantity"].dtype == np.int64
    assert lines["UnitPrice"].dtype == np.float64
    assert lines["CustomerID"].dtype == np.float64  # as pandas reads the real file
    assert lines["InvoiceDate"].dtype == np.dtype("datetime64[us]")
    assert (lines["Quantity"] != 0).all()
    assert (lines["UnitPrice"] >= 0).all()
    np.testing.assert_allclose(lines["UnitPrice"] * 100, (lines["UnitPrice"] * 100).round())
    # ids look like the real file's: whole numbers from 12346 on, as floats (17850.0)
    ids = lines["CustomerID"].dropna()
    assert (ids == ids.round()).all()
    assert ids.min() >= 12346
    # each StockCode has one description
    assert lines.groupby("StockCode")["Description"].nunique().eq(1).all()


def test_dates_to_the_minute_in_the_window(data: InvoiceData) -> None:
    dates = data.lines["InvoiceDate"]
    real = dates[dates.dt.year < 2099]
    assert real.min() >= START
    assert real.max() < END + pd.Timedelta(days=1)
    assert real.max().normalize() == END  # the log reaches its last day
    assert (dates.dt.second == 0).all()
    assert (dates != dates.dt.normalize()).any()  # times of day
    hours = dates.dt.hour
    assert hours.min() >= 7


def test_lines_in_invoice_number_order(data: InvoiceData) -> None:
    number = data.lines["InvoiceNo"].str.lstrip("C").astype(np.int64)
    assert number.is_monotonic_increasing
    assert number.min() == 536365
    # numbers count up in time order, cancellations included (the typo line aside)
    first = (
        data.lines.assign(number=number)
        .loc[lambda df: df["InvoiceDate"].dt.year < 2099]
        .groupby("number")["InvoiceDate"]
        .min()
    )
    assert first.is_monotonic_increasing
    # one date, one customer and one country per invoice
    per_invoice = data.lines.loc[data.lines["InvoiceDate"].dt.year < 2099].groupby("InvoiceNo")
    assert per_invoice["InvoiceDate"].nunique().eq(1).all()
    assert per_invoice["Country"].nunique().eq(1).all()
    assert per_invoice["CustomerID"].nunique(dropna=False).eq(1).all()


def test_repr_and_frozen(data: InvoiceData) -> None:
    text = repr(data)
    assert text.startswith("InvoiceData(")
    assert f"lines={len(data.lines):,} rows" in text
    assert "customers=2,000" in text
    assert "as_of=2011-12-09" in text
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.lines = data.lines  # type: ignore[misc]
    with pytest.raises(TypeError):
        data.params["seed"] = 1  # type: ignore[index]
    assert data.params["n_customers"] == 2000
    assert data.as_of == END


# ----------------------------------------------------------------------------- determinism


def test_same_seed_gives_equal_frames() -> None:
    x = make_invoice_lines(300, seed=5)
    y = make_invoice_lines(300, seed=5)
    pd.testing.assert_frame_equal(x.lines, y.lines)
    pd.testing.assert_frame_equal(x.truth, y.truth)
    assert dict(x.params) == dict(y.params)


def test_different_seed_gives_different_data() -> None:
    x = make_invoice_lines(300, seed=5)
    y = make_invoice_lines(300, seed=6)
    assert not x.truth.index.equals(y.truth.index) or not x.truth["net_revenue"].equals(
        y.truth["net_revenue"]
    )


def test_fast() -> None:
    best = np.inf
    for _ in range(3):
        tick = time.perf_counter()
        d = make_invoice_lines(5000, seed=1)
        best = min(best, time.perf_counter() - tick)
    assert len(d.truth) == 5000
    assert best < 1.0


# ----------------------------------------------------------------------------- truth


def test_truth_net_revenue_is_the_sum_of_quantity_times_price(data: InvoiceData) -> None:
    lines = customer_lines(data)
    net = lines.groupby("cid")["amount"].sum()
    gross = lines.loc[lines["amount"] > 0].groupby("cid")["amount"].sum()
    truth = data.truth
    assert truth.index.name == "CustomerID"
    assert truth.index.dtype == np.int64
    assert truth.index.is_monotonic_increasing
    assert net.index.equals(truth.index)  # every customer has lines
    np.testing.assert_allclose(truth["net_revenue"], net, rtol=0, atol=1e-6)
    np.testing.assert_allclose(truth["gross_revenue"], gross.reindex(truth.index), atol=1e-6)
    assert truth["nonpositive"].equals(truth["net_revenue"] <= 0)


def test_truth_counts_and_dates(data: InvoiceData) -> None:
    lines = customer_lines(data)
    truth = data.truth
    invoices = lines.groupby(["cid", "is_cancel"])["InvoiceNo"].nunique().unstack(fill_value=0)
    assert invoices[False].reindex(truth.index).equals(truth["n_invoices"].rename(False))
    assert (
        invoices[True]
        .reindex(truth.index, fill_value=0)
        .equals(truth["n_cancellations"].rename(True))
    )
    real = lines.loc[~lines["is_cancel"] & (lines["InvoiceDate"].dt.year < 2099)]
    first = real.groupby("cid")["InvoiceDate"].min()
    assert first.reindex(truth.index).equals(truth["first_purchase"].rename("InvoiceDate"))
    # the last purchase invoice, at its true date (the mistyped line's invoice has others
    # or the truth keeps its real date)
    last = real.groupby("cid")["InvoiceDate"].max().reindex(truth.index)
    typo = truth["has_typo_date"]
    assert last[~typo].equals(truth.loc[~typo, "last_purchase"].rename("InvoiceDate"))
    silent = (END - truth["last_purchase"].dt.normalize()).dt.days
    assert silent.equals(truth["days_silent"])
    assert (truth["first_purchase"] <= truth["last_purchase"]).all()


def test_segments_present_in_documented_numbers(data: InvoiceData) -> None:
    counts = data.truth["segment"].value_counts(sort=False)
    assert counts.index.tolist() == list(INVOICE_SEGMENTS)
    # floor(share * 2000): no_dropout 10 %, churned_overdue 10 %, fully_cancelled 1 %,
    # one_off 30 %, regular the rest
    assert counts.to_dict() == {
        "regular": 980,
        "no_dropout": 200,
        "churned_overdue": 200,
        "fully_cancelled": 20,
        "one_off": 600,
    }
    assert dict(data.params["segment_counts"]) == counts.to_dict()


@pytest.mark.parametrize(("n", "seed"), [(10, 0), (11, 1), (37, 2), (500, 3)])
def test_every_segment_present_at_any_size(n: int, seed: int) -> None:
    d = make_invoice_lines(n, seed=seed)
    counts = d.truth["segment"].value_counts()
    assert (counts >= 1).all()
    assert counts["fully_cancelled"] >= 2
    assert len(d.truth) == n
    net = customer_lines(d).groupby("cid")["amount"].sum()
    np.testing.assert_allclose(d.truth["net_revenue"], net, atol=1e-6)


def test_custom_shares() -> None:
    d = make_invoice_lines(100, seed=0, shares={"one_off": 0.5, "no_dropout": 0.0})
    counts = d.truth["segment"].value_counts()
    assert counts["one_off"] == 50
    assert counts["no_dropout"] == 1  # at least one of each
    assert counts["regular"] == 100 - 50 - 1 - 10 - 2


# ----------------------------------------------------------------------------- segments


def test_fully_cancelled_net_exactly_zero(data: InvoiceData) -> None:
    truth = data.truth
    cancelled = truth[truth["segment"] == "fully_cancelled"]
    assert (cancelled["net_revenue"] == 0).all()
    assert (cancelled["gross_revenue"] > 0).all()
    assert (cancelled["n_cancellations"] == cancelled["n_invoices"]).all()
    # nobody else is at or below zero
    assert truth.loc[truth["segment"] != "fully_cancelled", "net_revenue"].gt(0).all()
    # in cents, every stock code of theirs cancels out exactly
    lines = customer_lines(data)
    own = lines[lines["cid"].isin(cancelled.index)]
    cents = (own["Quantity"] * (own["UnitPrice"] * 100).round()).groupby(own["cid"]).sum()
    assert (cents == 0).all()


def test_the_largest_cancelled_case(data: InvoiceData) -> None:
    # like customer 16446 of the real file: 80,995 x 2.08 and a small line, cancelled the
    # same (last) day minutes later
    truth = data.truth
    big = truth["gross_revenue"].idxmax()
    assert truth.loc[big, "segment"] == "fully_cancelled"
    assert truth.loc[big, "gross_revenue"] == pytest.approx(80_995 * 2.08 + 2 * 1.45)
    assert truth.loc[big, "net_revenue"] == 0
    lines = customer_lines(data)
    own = lines[lines["cid"] == big]
    assert own["day"].eq(END).all()
    assert sorted(own["Quantity"].tolist()) == [-80_995, -2, 2, 80_995]
    assert set(own.loc[own["Quantity"].abs() == 80_995, "UnitPrice"]) == {2.08}
    assert (
        own.loc[own["is_cancel"], "InvoiceDate"].min()
        > own.loc[~own["is_cancel"], "InvoiceDate"].max()
    )
    # the second large case: 74,215 x 1.04 (customer 12346 of the real file)
    second = truth.loc[truth["segment"] == "fully_cancelled", "gross_revenue"]
    assert (second == 74_215 * 1.04).sum() == 1


def test_no_dropout_buy_steadily_to_the_end(data: InvoiceData) -> None:
    days = purchase_days(data, "no_dropout")
    truth = data.truth
    gap_truth = truth.loc[truth["segment"] == "no_dropout", "usual_gap_days"]
    per = days.groupby("cid")["day"]
    first, last = per.min(), per.max()
    assert ((first - START).dt.days <= 21).all()
    assert ((END - last).dt.days <= 1.2 * gap_truth + 1).all()
    gaps = days.groupby("cid")["day"].diff().dt.days.dropna()
    ratio = gaps / days.loc[gaps.index, "cid"].map(gap_truth)
    assert ratio.between(0.5, 1.5).all()  # about the gap, jittered by +-0.2 gap
    assert gap_truth.between(10, 30).all()
    assert truth.loc[gap_truth.index, "alive"].all()


def test_overdue_buyers_bought_every_few_weeks_then_stopped(data: InvoiceData) -> None:
    days = purchase_days(data, "churned_overdue")
    per = days.groupby("cid")["day"]
    assert per.size().min() >= 5  # months of buying
    gaps = per.diff().dt.days.dropna()
    assert gaps.between(14 - 4, 28 + 4).all()  # every 2-4 weeks, +-2 days
    silent = (END - per.max()).dt.days
    assert silent.between(240, 255).all()
    # nothing of theirs after the last purchase (no cancellation, no other line)
    lines = customer_lines(data)
    last_line = lines.groupby("cid")["day"].max().reindex(silent.index)
    assert last_line.equals(per.max().rename("day"))
    truth = data.truth.loc[silent.index]
    assert (truth["days_silent"] == silent).all()
    assert not truth["alive"].any()


def test_one_off_and_regular(data: InvoiceData) -> None:
    lines = customer_lines(data)
    invoices = lines.groupby("cid")["InvoiceNo"].nunique()
    truth = data.truth
    one_off = truth.index[truth["segment"] == "one_off"]
    assert (invoices[one_off] == 1).all()
    assert not lines.loc[lines["cid"].isin(one_off), "is_cancel"].any()
    regular = truth.index[truth["segment"] == "regular"]
    purchases = lines.loc[~lines["is_cancel"]].groupby("cid")["InvoiceNo"].nunique()
    assert (purchases[regular] >= 2).all()
    assert 0.2 < truth.loc[regular, "alive"].mean() < 0.9


# ----------------------------------------------------------------------------- cancellations


def test_cancellations_cancel_earlier_purchases(data: InvoiceData) -> None:
    lines = customer_lines(data)
    cancel = lines[lines["is_cancel"]]
    assert (cancel["Quantity"] < 0).all()
    assert (lines.loc[~lines["is_cancel"], "Quantity"] > 0).all()
    assert (data.lines.loc[data.lines["CustomerID"].isna(), "Quantity"] > 0).all()
    # each cancellation line matches an earlier purchase line of the same customer, stock
    # code and unit price with at least that quantity
    buys = lines.loc[
        ~lines["is_cancel"], ["cid", "StockCode", "UnitPrice", "Quantity", "InvoiceDate"]
    ]
    pairs = cancel.reset_index().merge(
        buys, on=["cid", "StockCode", "UnitPrice"], suffixes=("", "_buy")
    )
    ok = (pairs["InvoiceDate_buy"] < pairs["InvoiceDate"]) & (
        pairs["Quantity_buy"] >= -pairs["Quantity"]
    )
    assert ok.groupby(pairs["index"]).any().reindex(cancel.index, fill_value=False).all()
    # some on the same day, some on a later day (the purchase day is gone by then)
    same_day = pairs["InvoiceDate_buy"].dt.normalize() == pairs["day"]
    by_line = (ok & same_day).groupby(pairs["index"]).any()
    assert 0.3 < by_line.mean() < 0.9


def test_cancellations_in_part_and_in_full(data: InvoiceData) -> None:
    lines = customer_lines(data)
    cancel_lines = lines[lines["is_cancel"]]
    n_cancel = cancel_lines["InvoiceNo"].nunique()
    truth = data.truth
    eligible = truth["segment"].isin(["regular", "no_dropout"])
    chances = (truth.loc[eligible, "n_invoices"] - 1).sum()  # never the first invoice
    by_chance = truth.loc[eligible, "n_cancellations"].sum()
    assert by_chance / chances == pytest.approx(0.1, abs=0.02)
    assert n_cancel == truth["n_cancellations"].sum()
    # partial cancellations leave positive net revenue for regular and no-dropout buyers
    net = lines.groupby("cid")["amount"].sum()
    assert net[truth.index[eligible]].gt(0).all()
    cancelled = -cancel_lines.groupby("cid")["amount"].sum()
    gross = lines.loc[~lines["is_cancel"]].groupby("cid")["amount"].sum()
    share = (cancelled / gross).dropna()[lambda s: s.index.isin(truth.index[eligible])]
    assert len(share) > 0
    assert share.between(0, 1, inclusive="neither").all()
    # a full cancellation repeats every line of a purchase invoice with its whole quantity
    lines = lines[lines["cid"].isin(truth.index[eligible])]

    def content(df: pd.DataFrame) -> frozenset[tuple[str, int]]:
        return frozenset(zip(df["StockCode"], df["Quantity"].abs(), strict=True))

    bought: dict[int, set[frozenset[tuple[str, int]]]] = {}
    for (cid, _), inv in lines[~lines["is_cancel"]].groupby(["cid", "InvoiceNo"]):
        bought.setdefault(int(cid), set()).add(content(inv))
    full = [
        content(inv) in bought[int(cid)]
        for (cid, _), inv in lines[lines["is_cancel"]].groupby(["cid", "InvoiceNo"])
    ]
    assert 0.25 < np.mean(full) < 0.75  # 40 % in full, and partial ones that take all


# ----------------------------------------------------------------------------- guests, mess


@pytest.mark.parametrize("guest_share", [0.0, 0.25, 0.5])
def test_guest_share(guest_share: float) -> None:
    d = make_invoice_lines(1000, seed=9, guest_share=guest_share)
    share = float(d.lines["CustomerID"].isna().mean())
    assert share == pytest.approx(guest_share, abs=0.01)


def test_default_guest_share_like_the_real_file(data: InvoiceData) -> None:
    # the real export: 135,080 of 541,909 lines (24.9 %) without a CustomerID
    assert data.lines["CustomerID"].isna().mean() == pytest.approx(0.25, abs=0.01)


def test_messy_faults(data: InvoiceData) -> None:
    lines = data.lines
    late = lines[lines["InvoiceDate"] > END + pd.Timedelta(days=1)]
    assert len(late) == 1
    assert late["InvoiceDate"].iloc[0].normalize() == pd.Timestamp("2099-01-01")
    typo_customer = int(late["CustomerID"].iloc[0])
    assert data.truth.index[data.truth["has_typo_date"]].tolist() == [typo_customer]
    assert data.truth.loc[typo_customer, "segment"] == "regular"
    n = len(lines)
    assert 0.004 < (lines["UnitPrice"] == 0).mean() < 0.007
    n_dup = int(lines.duplicated().sum())
    assert 0.008 * n < n_dup < 0.012 * n
    # the duplicates and free items are purchase lines, never of the segments under test
    odd = lines[lines.duplicated(keep=False) | (lines["UnitPrice"] == 0)]
    assert (odd["Quantity"] > 0).all()
    segments = odd["CustomerID"].dropna().astype(np.int64).map(data.truth["segment"])
    assert set(segments) <= {"regular", "no_dropout"}


def test_tidy_lines_without_messy() -> None:
    d = make_invoice_lines(1000, seed=2, messy=False, id_dtype="text")
    lines = d.lines
    assert lines["InvoiceDate"].max() < END + pd.Timedelta(days=1)
    assert (lines["UnitPrice"] > 0).all()
    assert not lines.duplicated().any()
    ids = lines["CustomerID"].dropna()
    assert (ids == ids.str.strip()).all()
    assert not d.truth["has_typo_date"].any()
    # still cancellations and guests
    assert lines["InvoiceNo"].str.startswith("C").any()
    assert lines["CustomerID"].isna().mean() == pytest.approx(0.25, abs=0.01)


def test_text_ids_with_stray_spaces(text_data: InvoiceData) -> None:
    ids = text_data.lines["CustomerID"]
    assert pd.api.types.is_string_dtype(ids)
    present = ids.dropna()
    assert present.str.strip().str.fullmatch(r"\d+").all()  # "17850", not "17850.0"
    spaced = present[present != present.str.strip()]
    assert 1 <= len(spaced) <= 20  # a few rows
    assert spaced.str.fullmatch(r" \d+|\d+ ").all()
    # the same customers also appear without the space: one customer, two spellings
    clean = set(present[present == present.str.strip()])
    assert set(spaced.str.strip()) <= clean
    assert set(present.str.strip()) == set(text_data.truth.index.astype(str))
    lines = customer_lines(text_data)
    net = lines.groupby("cid")["amount"].sum()
    np.testing.assert_allclose(text_data.truth["net_revenue"], net, atol=1e-6)


def test_float_and_text_ids_give_the_same_customers() -> None:
    x = make_invoice_lines(300, seed=8, messy=False)
    y = make_invoice_lines(300, seed=8, messy=False, id_dtype="text")
    pd.testing.assert_frame_equal(x.truth, y.truth)
    as_text = x.lines["CustomerID"].map(lambda v: str(int(v)), na_action="ignore")
    assert as_text.fillna("-").tolist() == y.lines["CustomerID"].fillna("-").tolist()


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_customers": 9}, r"`n_customers` must be between 10 and inf; got 9"),
        ({"n_customers": 2.5}, r"`n_customers` must be an integer"),
        ({"seed": -1}, r"`seed`"),
        ({"start": "not a date"}, r"make_invoice_lines: `start` must be a date"),
        ({"end": 20111209}, r"`end` must be a date"),
        ({"end": "2011-06-30"}, r"has 211 days; it needs at least 330"),
        ({"start": "2012-01-01"}, r"needs at least 330"),
        ({"messy": "yes"}, r"`messy` must be True or False"),
        ({"id_dtype": "int"}, r"`id_dtype` must be one of 'float', 'text'"),
        ({"id_dtype": "Text"}, r"Did you mean 'text'\?"),
        ({"guest_share": 0.95}, r"`guest_share` must be a number in \[0, 0.9\]"),
        ({"guest_share": -0.1}, r"`guest_share`"),
        ({"cancel_share": 1.5}, r"`cancel_share` must be a number in \[0, 1\]"),
        ({"shares": {"vip": 0.1}}, r"`shares` must be one of"),
        ({"shares": {"one_off": 1.2}}, r"`shares\['one_off'\]`"),
        ({"shares": {"one_off": 0.6, "no_dropout": 0.3}}, r"add up to 1.01"),
        ({"shares": [0.1]}, r"`shares` must be a mapping"),
    ],
)
def test_argument_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        make_invoice_lines(**kwargs)  # type: ignore[arg-type]


def test_no_room_for_regular_customers() -> None:
    with pytest.raises(ConfigError, match="leave no regular customer"):
        make_invoice_lines(10, shares={"one_off": 0.6, "no_dropout": 0.2})
