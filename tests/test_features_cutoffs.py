"""Tests for kamseg.features._cutoffs: the churn features at one or many cut-offs.

The features are checked against an independent implementation with plain pandas
``groupby`` on a small random log (the reference), and ``features_at_cutoffs`` against
``features_at`` at each cut-off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg.errors import ConfigError, EmptyInputError, KamsegWarning
from kamseg.features._cutoffs import (
    CHURN_FEATURES,
    SPEND_WINDOW_DAYS,
    features_at,
    features_at_cutoffs,
)

CUTOFFS = ["2023-03-31", "2023-09-30", "2024-01-15", "2024-06-30"]


def random_log(seed: int = 3, n: int = 400) -> pd.DataFrame:
    """Customers buying on random days of 2023-2024, some twice a day, a few returns."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    days = rng.integers(0, 730, n)
    amount = rng.gamma(2.0, 40.0, n).round(2)
    amount[rng.random(n) < 0.05] *= -0.5
    ids = np.array([f"c{i:02d}" for i in rng.integers(0, 40, n)], dtype=object)
    # a burst of several lines on one day, and a customer buying once
    ids[:3], days[:3] = "c00", 100
    ids[3], days[3] = "solo", 400
    return pd.DataFrame(
        {
            "customer_id": ids,
            "date": start + pd.to_timedelta(days, unit="D"),
            "amount": amount,
        }
    )


def reference(tx: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """The churn features at `cutoff` with plain pandas, from the rules in the docs."""
    t = tx[tx["date"] <= cutoff]
    g = t.groupby("customer_id")
    # purchase days: days whose net is > 0 or that have no return
    daily = t.groupby(["customer_id", "date"], as_index=False)["amount"].agg(["sum", "min"])
    daily = daily[(daily["sum"] > 0) | (daily["min"] >= 0)].rename(columns={"sum": "amount"})
    bought = daily.groupby("customer_id")["date"]
    first = bought.min().reindex(g.size().index).fillna(g["date"].min())
    last = bought.max().reindex(g.size().index).fillna(first)  # no purchase: recency 0
    d = (cutoff - last).dt.days.astype(float)
    tenure = (cutoff - first).dt.days.astype(float)
    k = (bought.size().reindex(first.index, fill_value=0) - 1).clip(lower=0).astype(float)
    repeat = daily[daily["date"] > daily["customer_id"].map(first)]
    monetary = repeat.groupby("customer_id")["amount"].mean().reindex(first.index, fill_value=0.0)
    orders = (t["amount"] >= 0).groupby(t["customer_id"]).sum().astype(float)  # no returns
    # rhythm: own gap for repeat buyers, the median of theirs for the others
    gap = ((tenure - d) / k).where(k > 0).clip(lower=1.0)
    base = gap[k > 0].median() if (k > 0).any() else 90.0
    gap = gap.where(k > 0, base)
    age = (cutoff - t["date"]).dt.days

    def spend(days: int) -> pd.Series:
        inside = t[age < days]
        return inside.groupby("customer_id")["amount"].sum().reindex(first.index, fill_value=0.0)

    s90, s180 = spend(90), spend(180)
    out = pd.DataFrame(
        {
            "days_since_last": d,
            "n_orders": orders,
            "revenue": g["amount"].sum(),
            "avg_order_value": (g["amount"].sum() / orders).where(orders > 0),
            "tenure_days": tenure,
            "frequency": k,
            "recency": (last - first).dt.days.astype(float),
            "T": tenure,
            "monetary_value": monetary,
            "overdue_ratio": d / gap,
            "spend_90d": s90,
            "spend_180d": s180,
            "spend_ratio_90_180": (s90 / s180).where(s180 > 0),
        }
    )
    out.index.name = "customer_id"
    return out


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return random_log()


@pytest.fixture(scope="module")
def prepared(log: pd.DataFrame) -> kamseg.transactions.PreparedTransactions:
    with pytest.warns(KamsegWarning, match="negative amounts"):
        return kamseg.prepare_transactions(log)


def test_features_at_equals_reference(
    log: pd.DataFrame, prepared: kamseg.transactions.PreparedTransactions
) -> None:
    assert (log["amount"] < 0).any()
    for cutoff in CUTOFFS:
        got = features_at(prepared, cutoff)
        want = reference(log, pd.Timestamp(cutoff))
        assert list(got.columns) == list(CHURN_FEATURES)
        assert (got.dtypes == np.float64).all()
        assert got.attrs == {"as_of": cutoff}
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-10, atol=1e-9)


def test_cutoffs_equal_features_at(
    log: pd.DataFrame, prepared: kamseg.transactions.PreparedTransactions
) -> None:
    # unordered, with a duplicate and a day number: sorted, counted once
    day = int(np.datetime64("2023-09-30", "D").view(np.int64))
    many = features_at_cutoffs(prepared, [CUTOFFS[3], CUTOFFS[0], day, *CUTOFFS[1:3]])
    assert many.index.names == ["cutoff", "customer_id"]
    assert many.index.get_level_values("cutoff").dtype == "datetime64[ns]"
    assert many.index.get_level_values("cutoff").unique().tolist() == [
        pd.Timestamp(c) for c in CUTOFFS
    ]
    assert list(many.columns) == list(CHURN_FEATURES)
    for cutoff in CUTOFFS:
        one = features_at(prepared, cutoff)
        block = many.xs(pd.Timestamp(cutoff), level="cutoff")
        pd.testing.assert_frame_equal(block, one, check_exact=True, check_flags=False)
        pd.testing.assert_frame_equal(
            block, reference(log, pd.Timestamp(cutoff)), check_exact=False, rtol=1e-10
        )
    # customers who had not bought yet at the first cut-off have no row there
    assert len(many.xs(pd.Timestamp(CUTOFFS[0]), level="cutoff")) < len(prepared.ids)


def test_rules_by_hand() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "b", "c"],
            "date": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-03-01",
                    "2024-02-01",
                    "2024-02-11",
                    "2024-04-01",
                    "2024-04-10",
                ]
            ),
            "amount": [10.0, 20.0, 5.0, 5.0, 40.0, 7.0],
        }
    )
    f = features_at(kamseg.prepare_transactions(tx), "2024-04-10")
    # a: 2024-01-01 and 2024-03-01 (60 days apart), 40 days before the cut-off: gap 60
    # b: 2024-02-01 to 2024-04-01, 60 days over 2 gaps: 30; 9 days before the cut-off
    # c: one purchase on the cut-off day: the base gap, the median of 60 and 30 = 45
    assert f["overdue_ratio"].tolist() == pytest.approx([40 / 60, 9 / 30, 0 / 45])
    # a's 2024-01-01 purchase is 100 days old: outside the last 90 days, inside 180
    assert f.loc["a", ["spend_90d", "spend_180d", "spend_ratio_90_180"]].tolist() == [
        20.0,
        30.0,
        pytest.approx(2 / 3),
    ]
    assert SPEND_WINDOW_DAYS == 90
    # nobody bought twice: every customer gets the fallback gap of features.rhythm (90)
    once = features_at(kamseg.prepare_transactions(tx.drop_duplicates("customer_id")), None)
    assert once["overdue_ratio"].tolist() == pytest.approx(
        (once["days_since_last"] / kamseg.features.FALLBACK_GAP_DAYS).tolist()
    )


def test_bad_cutoffs(prepared: kamseg.transactions.PreparedTransactions) -> None:
    with pytest.raises(ConfigError, match="after the as_of"):
        features_at(prepared, "2025-01-01")
    with pytest.raises(EmptyInputError, match="features_at: no transaction on or before"):
        features_at(prepared, "2022-12-31")
    with pytest.raises(ConfigError, match="the cut-off must be a date"):
        features_at(prepared, "not a date")
    with pytest.raises(ConfigError, match="empty"):
        features_at_cutoffs(prepared, [])
    with pytest.raises(ConfigError, match="list of cut-offs"):
        features_at_cutoffs(prepared, "2024-01-01")
    with pytest.raises(EmptyInputError, match="features_at_cutoffs: no transaction"):
        features_at_cutoffs(prepared, ["2022-06-30", "2024-01-01"])
    with pytest.raises(TypeError, match="prepare_transactions"):
        features_at(random_log(), "2024-01-01")  # type: ignore[arg-type]


def test_history_built_once_per_prepared_table_and_dropped_with_it() -> None:
    """The cut-off history is shared by every call on one prepared table (the churn model,
    then the scoring at as_of), is another for another table, and dies with its table."""
    import gc
    import weakref

    from kamseg.features._cutoffs import _HISTORIES, cutoff_history

    with pytest.warns(KamsegWarning, match="returns"):
        prepared = kamseg.prepare_transactions(random_log())
        other = kamseg.prepare_transactions(random_log(seed=4))
    hist = cutoff_history(prepared)
    assert cutoff_history(prepared) is hist
    assert cutoff_history(other) is not hist
    # a cached history gives what a fresh one gives
    pd.testing.assert_frame_equal(
        features_at(prepared, CUTOFFS[1]), features_at(prepared, CUTOFFS[1])
    )
    gone = weakref.ref(prepared)
    n_before = len(_HISTORIES)
    del prepared, hist
    gc.collect()
    assert gone() is None
    assert len(_HISTORIES) == n_before - 1


@pytest.mark.parametrize("with_orders", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_features_of_some_customers_are_bits_of_all(with_orders: bool, seed: int) -> None:
    """The churn model computes features for its training sample only
    (`rows_features`, with the cut-off's base gap): each column equals, to the bit, that
    of every customer at the cut-off, taken at the same positions (returns, order ids
    spanning days, shuffled rows, any subset)."""
    from kamseg.features._cutoffs import CutoffHistory, _base_gap, rows_features

    rng = np.random.default_rng(seed)
    log = random_log(seed=seed + 10, n=600).sample(frac=1.0, random_state=seed)
    if with_orders:
        log["order"] = rng.integers(0, 150, len(log))
    with pytest.warns(KamsegWarning, match="negative amounts"):
        prepared = kamseg.prepare_transactions(log, order_col="order" if with_orders else None)
    hist = CutoffHistory(prepared)
    for cutoff in CUTOFFS:
        day = int(np.datetime64(cutoff, "D").view(np.int64))
        codes, full = hist.features(day, func="test")
        gap = _base_gap(hist, day)
        # a third of the customers and a tenth
        for share in (3, 10):
            size = max(codes.size // share, 1)
            only = np.sort(rng.choice(codes.size, size=size, replace=False))
            at = np.full(size, day, dtype=np.int64)
            some = rows_features(hist, codes[only], at, np.full(size, gap))
            for name in CHURN_FEATURES:
                np.testing.assert_array_equal(some[name], full[name][only], err_msg=name)
                assert some[name].tobytes() == full[name][only].tobytes(), name


@pytest.mark.parametrize("high", [5, 70_000, 2**33 + 5, 2**50 - 3])
def test_stable_order_is_a_stable_argsort(high: int) -> None:
    """The stable order sorts as numpy's stable sort, ties in their order: one radix pass
    of 16 bits, the values packed with their positions, and radix passes of 16 bits for
    values too wide to pack (four passes)."""
    from kamseg.transactions import stable_order

    rng = np.random.default_rng(high % 97)
    values = rng.integers(0, high, 50_000)
    values[::7] = values[0]  # many ties
    np.testing.assert_array_equal(stable_order(values, high), np.argsort(values, kind="stable"))


@pytest.mark.parametrize("with_amounts", [False, True])
def test_purchase_periods_in_every_order_are_np_uniques(
    with_amounts: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The purchase periods, from the packed sort of the keys with the rows' positions,
    from a given stable order, from numpy's quicksort order and when the keys are too wide
    to pack, are np.unique's pairs with each pair's rows summed in row order, to the bit
    (returns, shuffled rows)."""
    import kamseg._pairs as pairs
    from kamseg.transactions import net_sums, purchase_periods, stable_order

    log = random_log(seed=31, n=900).sample(frac=1.0, random_state=2)
    with pytest.warns(KamsegWarning, match="negative amounts"):
        prepared = kamseg.prepare_transactions(log)
    code, day = prepared.code, prepared.day
    amount = prepared.amount if with_amounts else None
    span = int(day.max() - day.min()) + 1
    key = code * span + (day - day.min())
    uniq, inverse = np.unique(key, return_inverse=True)
    if amount is None:
        net, bought = np.zeros(uniq.size), np.ones(uniq.size, dtype=bool)
    else:
        net = net_sums(inverse, amount, uniq.size)
        bought = (net > 0) | ~(np.bincount(inverse, weights=amount < 0) > 0)
    expected = (uniq // span, uniq % span + day.min(), net, bought)
    runs = {
        "packed": purchase_periods(code, day, amount),
        "stable order": purchase_periods(
            code, day, amount, order=stable_order(key, len(prepared.ids) * span)
        ),
        "quicksort order": purchase_periods(code, day, amount, order=np.argsort(key)),
    }
    monkeypatch.setattr(pairs, "_packed_sort", lambda values, size: None)
    runs["too wide to pack"] = purchase_periods(code, day, amount)
    for name, got in runs.items():
        for a, b in zip(expected, got, strict=True):
            assert a.tobytes() == b.astype(a.dtype).tobytes(), name


@pytest.mark.parametrize("kind", ["one customer per order", "orders shared by customers"])
def test_placed_orders_are_the_purchase_periods_of_orders(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The orders of each customer without a sort (each order id one customer's) and with
    one (an id shared by customers) are the placed (customer, order) pairs of
    purchase_periods: cancellation documents, orders brought to zero, orders that span
    days, and a customer with no order."""
    from kamseg.transactions import placed_orders, purchase_periods

    rng = np.random.default_rng(4)
    n_rows, n = 2_000, 150
    code = rng.integers(0, n - 1, n_rows)  # the last customer has no row
    if kind == "one customer per order":
        order = code * 7 + rng.integers(0, 7, n_rows)
    else:
        order = rng.integers(0, 300, n_rows)
    amount = rng.gamma(2.0, 20.0, n_rows).round(2)
    amount[rng.random(n_rows) < 0.1] *= -1.0  # returns, some cancelling their order
    first = np.unique(order, return_index=True)[1][:20]
    amount[first] = -amount[first]  # orders whose first line is a return
    # an order of customer 3 cancelled to exactly zero: 10 then -10
    code = np.append(code, [3, 3])
    order = np.append(order, [5_000, 5_000])
    amount = np.append(amount, [10.0, -10.0])
    o_code, _, _, bought = purchase_periods(code, order, amount)
    expected = np.bincount(o_code[bought], minlength=n)
    if kind == "one customer per order":  # counted without purchase_periods' sort

        def no_sort(*args: object, **kwargs: object) -> None:
            raise AssertionError("sorted")

        monkeypatch.setattr(kamseg._pairs, "purchase_periods", no_sort)
    got = placed_orders(code, order, amount, n)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)
    assert got[-1] == 0 and 0 < expected.sum() < np.unique(np.c_[code, order], axis=0).shape[0]


def test_sums_in_small_blocks_are_the_same_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The row sums run in blocks of customers (about BLOCK_ROWS rows each): blocks of a
    few rows give the same bits as one block, and match the plain pandas reference."""
    import kamseg.features._cutoffs as cutoffs

    log = random_log(seed=21, n=800)
    log["order"] = np.random.default_rng(2).integers(0, 200, len(log))
    with pytest.warns(KamsegWarning, match="negative amounts"):
        prepared = kamseg.prepare_transactions(log, order_col="order")
    one = features_at(prepared, CUTOFFS[2])
    monkeypatch.setattr(cutoffs, "BLOCK_ROWS", 7)
    assert len(cutoffs._blocks(cutoffs.cutoff_history(prepared), np.arange(40))) > 10
    many = features_at(prepared, CUTOFFS[2])
    for name in CHURN_FEATURES:
        assert many[name].to_numpy().tobytes() == one[name].to_numpy().tobytes(), name
    with pytest.warns(KamsegWarning, match="negative amounts"):
        plain = kamseg.prepare_transactions(log.drop(columns="order"))
    pd.testing.assert_frame_equal(
        features_at(plain, CUTOFFS[2]),
        reference(log, pd.Timestamp(CUTOFFS[2])),
        check_exact=False,
        rtol=1e-10,
        check_flags=False,
    )


@pytest.mark.parametrize(
    "orders", ["none", "one customer each", "shared by customers", "one shared far apart"]
)
@pytest.mark.parametrize("sum_by_day", [None, True, False])
def test_input_order_sums_are_the_bits_of_the_customer_blocks(
    orders: str, sum_by_day: bool | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many customers at one cut-off are summed in one pass over the rows in input order
    (``_input_order_sums``, chunks of PASS_ROWS rows added into one total); the blocks of
    customers (``_row_sums`` over each customer's gathered rows) give the same bits, at
    cut-offs before and after the first return, with order ids of one customer each
    (cancelled in full, 0.1 + 0.2 - 0.3 = 5.6e-17 included, or in part, on a later day)
    and ids shared by customers (the blocks count their (customer, order) pairs), even by
    two rows in different chunks only."""
    import kamseg.features._cutoffs as cutoffs

    rng = np.random.default_rng(5)
    log = random_log(seed=31, n=900).sample(frac=1.0, random_state=2)
    if orders != "none":  # orders of 1-3 lines, a customer's own ids
        log["order"] = log["customer_id"] + "-" + (np.arange(len(log)) // 3).astype(str)
        # a full and a partial cancellation of two orders, days after them
        for i, share in ((0, -1.0), (7, -0.25)):
            row = log.iloc[[i]].assign(amount=log["amount"].iloc[i] * share)
            log = pd.concat([log, row.assign(date=row["date"] + pd.Timedelta(days=5))])
        lines = log.iloc[[1, 1, 1]].assign(amount=[0.1, 0.2, -0.3], order="tenths")
        log = pd.concat([log.iloc[:400], lines, log.iloc[400:]])
    if orders == "shared by customers":
        log["order"] = rng.integers(0, 150, len(log)).astype(str)
    elif orders == "one shared far apart":  # the last row's order is the first row's
        other = log["customer_id"] != log["customer_id"].iloc[0]
        last = np.flatnonzero(other.to_numpy())[-1]
        log.iloc[last, log.columns.get_loc("order")] = log["order"].iloc[0]
    with pytest.warns(KamsegWarning, match="negative amounts"):
        prepared = kamseg.prepare_transactions(
            log, order_col=None if orders == "none" else "order"
        )
    hist = cutoffs.CutoffHistory(prepared)
    assert hist.first_return_day is not None
    # before and on the first return's day, then later (orders shared at the last only)
    days = [hist.first_return_day - 1, hist.first_return_day, hist.first_return_day + 60]
    days.append(int(np.datetime64(CUTOFFS[-1], "D").view(np.int64)))
    monkeypatch.setattr(cutoffs, "BLOCK_ROWS", 64)  # 15 blocks of customers
    monkeypatch.setattr(cutoffs, "PASS_ROWS", 64)  # and 15 chunks of rows
    for day in days:
        codes = hist.customers_at(day)
        one_pass = cutoffs._input_order_sums(hist, day, codes, sum_by_day)
        if one_pass is None:  # an order id of two customers up to `day`: the blocks
            assert orders.startswith("shared") or orders.startswith("one shared")
            continue
        blocks_of = cutoffs._blocks(hist, codes)
        parts = [cutoffs._row_sums(hist, day, codes[b], sum_by_day) for b in blocks_of]
        assert len(parts) > 1
        for i, name in enumerate(["revenue", "n_orders", "spend_90d", "before", "repeat"]):
            blocks = np.concatenate([part[i] for part in parts])  # type: ignore[index]
            assert one_pass[i].tobytes() == blocks.tobytes(), (day, name)
    if orders in ("shared by customers", "one shared far apart"):
        assert one_pass is None
    # features_at takes the one pass for most customers of the table
    taken: list[tuple[object, ...]] = []  # (the spy returns None: the blocks sum them)
    monkeypatch.setattr(cutoffs, "_input_order_sums", lambda *args: taken.append(args))
    features_at(prepared, CUTOFFS[-1])
    assert len(taken) == 1 and taken[0][2].size == len(prepared.ids)


@pytest.mark.parametrize("seed", [0, 1])
def test_base_gap_is_the_median_of_the_features_usual_gaps(seed: int) -> None:
    """The base gap the training sample's features use (from the repeat buyers' purchase
    days alone) is rhythm's over the features of every customer at the cut-off, to the
    bit; before any customer's second purchase day, the fallback gap."""
    from kamseg.features import rhythm
    from kamseg.features._cutoffs import CutoffHistory, _base_gap
    from kamseg.features._rhythm import FALLBACK_GAP_DAYS

    log = random_log(seed=seed + 20, n=500)
    with pytest.warns(KamsegWarning, match="negative amounts"):
        prepared = kamseg.prepare_transactions(log)
    hist = CutoffHistory(prepared)
    for cutoff in [*CUTOFFS, "2023-01-20", "2024-12-30"]:
        day = int(np.datetime64(cutoff, "D").view(np.int64))
        f = features_at(prepared, cutoff)
        expected = rhythm(f["days_since_last"], f["tenure_days"], f["frequency"]).base_gap
        assert (f["frequency"] > 0).any() or expected == FALLBACK_GAP_DAYS
        assert _base_gap(hist, day) == expected, cutoff
    first_day = int(hist.dmin)
    assert _base_gap(hist, first_day) == FALLBACK_GAP_DAYS  # one purchase day each, at most


@pytest.mark.parametrize("window", [1, 30, 90, 400])
def test_labels_at_every_cutoff_from_one_pass(window: int) -> None:
    """The training's customers, labels and base gaps at many cut-offs, read in one pass
    over the purchase-day pairs, are those of each cut-off on its own: the customers with
    a row by then, churned when no row (a return, a zero amount or a purchase) is dated in
    the window after it (plain pandas), and the base gap of the features there. Cut-offs
    out of order, one at a window's end of another, windows past the last row."""
    from kamseg.features import rhythm
    from kamseg.features._cutoffs import CutoffHistory, cutoff_labels

    log = random_log(seed=7, n=600)
    log.loc[log.index[10:14], "amount"] = 0.0  # a day of zero amounts is a day with a row
    with pytest.warns(KamsegWarning, match="negative amounts"):
        prepared = kamseg.prepare_transactions(log)
    hist = CutoffHistory(prepared)
    stamps = ["2024-06-30", "2023-03-31", "2024-12-20", "2023-01-05"]
    stamps.append(str((pd.Timestamp(stamps[1]) + pd.Timedelta(days=window)).date()))
    days = [int(np.datetime64(s, "D").view(np.int64)) for s in stamps]
    codes_at, labels, gaps = cutoff_labels(hist, days, window, func="t")
    assert len(codes_at) == len(labels) == len(gaps) == len(days)
    for stamp, codes, churned, gap in zip(stamps, codes_at, labels, gaps, strict=True):
        cut = pd.Timestamp(stamp)
        f = features_at(prepared, cut)
        ids = prepared.ids.take(codes)
        assert list(ids) == list(f.index), stamp  # the customers by then, in id order
        inside = log[(log["date"] > cut) & (log["date"] <= cut + pd.Timedelta(days=window))]
        expected = ~ids.isin(inside["customer_id"])
        assert churned.dtype == bool
        np.testing.assert_array_equal(churned, expected, err_msg=stamp)
        rhythm_gap = rhythm(f["days_since_last"], f["tenure_days"], f["frequency"]).base_gap
        assert gap == rhythm_gap, stamp
    # some churned and some not at the middle cut-off: the test reads both kinds
    assert 0 < labels[0].sum() < labels[0].size


def test_labels_refuse_a_cutoff_before_every_row() -> None:
    from kamseg.features._cutoffs import CutoffHistory, cutoff_labels

    with pytest.warns(KamsegWarning, match="negative amounts"):
        prepared = kamseg.prepare_transactions(random_log(seed=1, n=100))
    hist = CutoffHistory(prepared)
    early = int(np.datetime64("2022-12-31", "D").view(np.int64))
    with pytest.raises(EmptyInputError, match="no transaction on or before 2022-12-31"):
        cutoff_labels(hist, [early + 400, early], 30, func="t")


@pytest.mark.parametrize("with_orders", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_features_of_rows_at_many_cutoffs_are_bits_of_each_cutoff(
    with_orders: bool, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The training sample's features, one pass over (customer, cut-off) rows in any
    order, with a customer at several cut-offs and cut-offs before and after the first
    return (which changes how the repeat spend is summed), are each cut-off's features of
    every customer, to the bit; in blocks of a few rows too."""
    from kamseg.features import _cutoffs
    from kamseg.features._cutoffs import CutoffHistory, _base_gap, rows_features

    rng = np.random.default_rng(seed)
    log = random_log(seed=seed + 30, n=700).sample(frac=1.0, random_state=seed)
    # a customer whose repeat spend is not the same bits summed by row and by day:
    # (0.1 + 0.2) + 0.3 by row, 0.1 + (0.2 + 0.3) by day, before the first return
    start = log["date"].min()
    z = pd.DataFrame(
        {
            "customer_id": "z",
            "date": start + pd.to_timedelta([0, 1, 2, 2], unit="D"),
            "amount": [1.0, 0.1, 0.2, 0.3],
        }
    )
    log = pd.concat([log, z], ignore_index=True)
    if with_orders:
        log["order"] = rng.integers(0, 150, len(log))
    with pytest.warns(KamsegWarning, match="negative amounts"):
        prepared = kamseg.prepare_transactions(log, order_col="order" if with_orders else None)
    hist = CutoffHistory(prepared)
    returned = hist.first_return_day
    assert returned is not None
    assert returned > hist.dmin + 3  # a cut-off before the first return, after z's rows
    cutoff_days = [int(np.datetime64(c, "D").view(np.int64)) for c in CUTOFFS]
    days = [hist.dmin + 2, returned - 1, returned, returned + 1, *cutoff_days]
    full = {day: hist.features(day, func="t") for day in days}
    # rows: random (cut-off, customer) pairs, a customer repeated at several cut-offs
    picks = [(day, int(i)) for day in days for i in rng.choice(full[day][0].size, 12)]
    z_code = prepared.ids.get_loc("z")
    picks += [(day, int(np.flatnonzero(full[day][0] == z_code)[0])) for day in days]
    picks = [picks[i] for i in rng.permutation(len(picks))]
    codes = np.array([full[day][0][i] for day, i in picks])
    at = np.array([day for day, _ in picks], dtype=np.int64)
    gaps = np.array([_base_gap(hist, day) for day, _ in picks])
    assert np.unique(codes).size < codes.size  # some customer at several cut-offs
    for block_rows in (_cutoffs.BLOCK_ROWS, 5):
        monkeypatch.setattr(_cutoffs, "BLOCK_ROWS", block_rows)
        got = rows_features(hist, codes, at, gaps)
        for name in CHURN_FEATURES:
            want = np.array([full[day][1][name][i] for day, i in picks])
            assert got[name].tobytes() == want.tobytes(), (name, block_rows)
