"""Tests for kamseg.features._windows: spend, purchase days and orders in two windows, by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg import _activity as activity_core
from kamseg.errors import ConfigError, KamsegWarning
from kamseg.features import _windows as windows
from kamseg.features._windows import window_activity
from kamseg.transactions import NET_TOLERANCE, purchase_pairs, purchase_periods


def test_window_activity_by_hand() -> None:
    # as_of 2024-12-31, windows of 10 days: recent = ages 0..9, previous = ages 10..19
    as_of = pd.Timestamp("2024-12-31")
    rows = [
        ("a", 0, 5.0),  # recent
        ("a", 3, 0.25),  # recent
        ("a", 3, -0.25),  # recent, a return: day 3 nets to 0, no purchase day
        ("a", 12, 7.0),  # previous
        ("a", 25, 100.0),  # before both windows: the tenure covers them
        ("b", 9, 2.0),  # recent
        ("b", 10, 4.0),  # previous
        ("b", 10, 1.5),  # previous, same day
        ("c", 30, 9.0),  # before both windows only
        ("zz", 1, 50.0),  # not a wanted customer
    ]
    tx = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": [as_of - pd.Timedelta(days=r[1]) for r in rows],
            "amount": [r[2] for r in rows],
        }
    )
    with pytest.warns(KamsegWarning, match="1 row.*negative amounts"):
        prepared = kamseg.prepare_transactions(tx, as_of=as_of)
    # output rows: b, a, c (zz is left out)
    index = pd.Index(["b", "a", "c"], name="customer_id")
    positions = np.asarray(index.get_indexer(prepared.ids), dtype=np.int64)
    act = window_activity(prepared, positions, 3, window=10)
    assert act.spend_recent.tolist() == [2.0, 5.0 + 0.25 - 0.25, 0.0]
    assert act.spend_previous.tolist() == [4.0 + 1.5, 7.0, 0.0]
    assert act.days_recent.tolist() == [1.0, 1.0, 0.0]  # a: day 0 (day 3 cancelled)
    assert act.days_previous.tolist() == [1.0, 1.0, 0.0]
    assert act.orders.tolist() == [3, 3, 0]  # rows >= 0 in the windows (no order ids)
    assert act.covers.tolist() == [False, True, True]
    assert act.spend_recent.dtype == act.spend_previous.dtype == np.float64


def test_window_activity_without_rows() -> None:
    tx = pd.DataFrame(
        {"customer_id": ["a"], "date": [pd.Timestamp("2020-01-01")], "amount": [1.0]}
    )
    prepared = kamseg.prepare_transactions(tx, as_of="2024-12-31")
    act = window_activity(prepared, np.array([0]), 1, window=30)
    assert act.spend_recent.tolist() == [0.0]
    assert act.spend_previous.tolist() == [0.0]
    assert act.spend_recent.dtype == np.float64
    assert act.covers.tolist() == [True]
    with pytest.raises(ConfigError, match="`window` must be >= 1 day"):
        window_activity(prepared, np.array([0]), 1, window=0)


def _by_unique(
    code: np.ndarray, period: np.ndarray, amount: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """purchase_periods as it was written with np.unique (a second implementation)."""
    pmin = int(period.min())
    span = int(period.max()) - pmin + 1
    uniq, inverse = np.unique(code * span + (period - pmin), return_inverse=True)
    net = np.bincount(inverse, weights=amount, minlength=uniq.size)
    gross = np.bincount(inverse, weights=np.abs(amount), minlength=uniq.size)
    net[np.isfinite(net) & (np.abs(net) <= NET_TOLERANCE * gross)] = 0.0
    negative = np.bincount(inverse, weights=amount < 0, minlength=uniq.size) > 0
    return uniq // span, uniq % span + pmin, net, (net > 0) | ~negative


@pytest.mark.parametrize("seed", range(3))
def test_periods_are_those_of_purchase_periods(seed: int) -> None:
    # the pairs read from the quicksort's order are those np.unique finds, with each
    # pair's net summed in row order: equal bits
    rng = np.random.default_rng(seed)
    m = 3000
    code = rng.integers(0, 80, m)
    period = rng.integers(-5, 40, m)
    amount = rng.choice([5.0, -5.0, 2.5, 0.1, 0.2, -0.3, 0.0, 1e16, -1e16], m)
    got = purchase_periods(code, period, amount)
    expected = _by_unique(code, period, amount)
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)
    assert (~got[3]).any()  # some pairs are cancelled by returns
    empty = purchase_periods(code[:0], period[:0], amount[:0])
    assert [a.size for a in empty] == [0, 0, 0, 0]


@pytest.mark.parametrize("returns", [True, False])
@pytest.mark.parametrize("seed", range(3))
def test_purchase_pairs_are_the_purchases_of_purchase_periods(seed: int, returns: bool) -> None:
    # without a negative amount they come from a sort of the keys alone: the same pairs
    rng = np.random.default_rng(seed)
    m = 3000
    code = rng.integers(0, 80, m)
    period = rng.integers(-5, 40, m)
    values = [5.0, -5.0, 2.5, 0.1, -0.3, 0.0] if returns else [5.0, 2.5, 0.1, 0.0]
    amount = rng.choice(values, m)
    got = purchase_pairs(code, period, amount)
    e_code, e_period, _, bought = _by_unique(code, period, amount)
    assert bool((~bought).any()) is returns
    for g, e in zip(got, (e_code[bought], e_period[bought]), strict=True):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)
    assert [a.size for a in purchase_pairs(code[:0], period[:0], amount[:0])] == [0, 0]


def _plain_activity(
    customer: list[int], age: list[int], amount: list[float], order: list[int] | None, window: int
) -> dict[str, list[float]]:
    """The window rules, one row at a time (customers 0..n-1 are wanted, -1 is not): spend
    summed in row order from 0.0; a (customer, day) or (customer, order) pair counts unless
    it has a negative row and a net <= 0 (a net within 1e-9 of its absolute amounts is 0);
    without order ids, each row >= 0 is an order; the tenure covers both windows when a row
    is at least two windows old."""
    n = max(customer) + 1
    out: dict[str, list[float]] = {
        k: [0.0] * n for k in ("spend_recent", "spend_previous", "days_recent", "days_previous")
    }
    out["orders"] = [0] * n  # type: ignore[list-item]
    out["covers"] = [False] * n  # type: ignore[list-item]
    pairs: dict[tuple[int, int, str], list[float]] = {}
    for i, (c, a, x) in enumerate(zip(customer, age, amount, strict=True)):
        if c < 0 or a < 0:
            continue
        if a >= 2 * window:
            out["covers"][c] = True  # type: ignore[call-overload]
            continue
        out["spend_recent" if a < window else "spend_previous"][c] += x
        pairs.setdefault((c, a, "day"), []).append(x)
        if order is not None:
            pairs.setdefault((c, order[i], "order"), []).append(x)
        elif x >= 0:
            out["orders"][c] += 1
    for (c, k, kind), xs in pairs.items():
        net = 0.0
        for x in xs:
            net += x
        if abs(net) <= 1e-9 * sum(abs(x) for x in xs):
            net = 0.0
        if net > 0 or min(xs) >= 0:
            if kind == "order":
                out["orders"][c] += 1
            else:
                out["days_recent" if k < window else "days_previous"][c] += 1.0
    return out


@pytest.mark.parametrize("seed", range(8))
def test_window_activity_is_the_plain_rule_in_any_chunks(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rows read a few at a time give what one pass over every row gives, with and without
    # returns (the days of a window without a return are counted without netting), with
    # and without order ids
    rng = np.random.default_rng(seed)
    m, n, window = 400, 12, 7
    as_of = pd.Timestamp("2024-06-30")
    customer = rng.integers(0, n + 2, m)  # the last two are not wanted
    age = rng.integers(0, 3 * window, m)
    amount = rng.choice([1.0, 2.5, 0.1, 0.2, 0.3, 1e16, 7.25], m)
    if seed % 2:  # returns: some cancel their day or their order in full
        amount = amount * rng.choice([1.0, 1.0, -1.0], m)
    order = rng.integers(0, 60, m)
    tx = pd.DataFrame(
        {
            "customer_id": customer,
            "date": as_of - pd.to_timedelta(age, unit="D"),
            "amount": amount,
            "order_id": order,
        }
    )
    with_orders = seed % 4 >= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)  # the returns' notice
        prepared = kamseg.prepare_transactions(
            tx, as_of=as_of, order_col="order_id" if with_orders else None
        )
    index = pd.Index(rng.permutation(n), name="customer_id")
    positions = np.asarray(index.get_indexer(prepared.ids), dtype=np.int64)
    monkeypatch.setattr(activity_core, "_CHUNK_ROWS", int(rng.integers(1, 50)))
    got = window_activity(prepared, positions, n, window=window)
    row = positions[prepared.code].tolist()
    expected = _plain_activity(
        row,
        (prepared.as_of_day - prepared.day).tolist(),
        prepared.amount.tolist(),
        prepared.order.tolist() if prepared.order is not None else None,
        window,
    )
    for name, values in expected.items():
        assert getattr(got, name).tolist() == values, name  # equal bits, not close
    assert got.days_recent.dtype == got.spend_recent.dtype == np.float64
    assert got.orders.dtype == np.int64
    assert got.covers.dtype == bool


def test_window_activity_with_many_customers_on_one_output_row() -> None:
    # positions need not be one-to-one: rows of two customers on one output row add up
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a", "c"],
            "date": pd.to_datetime(["2024-06-30", "2024-06-30", "2024-06-25", "2024-06-29"]),
            "amount": [1.0, 2.0, 4.0, 8.0],
        }
    )
    prepared = kamseg.prepare_transactions(tx, as_of="2024-06-30")
    positions = np.array([0, 0, -1])  # a and b on row 0, c not wanted
    got = window_activity(prepared, positions, 1, window=10)
    assert got.spend_recent.tolist() == [7.0]
    assert got.days_recent.tolist() == [2.0]  # one day shared by a and b, and day -5
    assert got.orders.tolist() == [3]


@pytest.mark.parametrize("history", [False, True])
@pytest.mark.parametrize("returns", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_repeat_days_by_a_plain_loop(returns, seed, history):
    """Repeat purchase days (distinct purchase days - 1; NaN without a row): by a loop
    over each customer's days, a day whose net returns bring to <= 0 being no purchase;
    with and without returns (the latter counts the distinct keys of one sort), and read
    from the churn's history of the purchase days when a job has built it."""
    from kamseg.features import repeat_days
    from kamseg.features._cutoffs import built_history, cutoff_history

    rng = np.random.default_rng(seed)
    n_rows = 3000
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 400, n_rows),
            "date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 60, n_rows), unit="D"),
            "amount": rng.integers(1, 50, n_rows).astype(float),
        }
    )
    if returns:  # some days cancelled in full, some partly
        back = tx.sample(frac=0.1, random_state=seed).assign(amount=lambda t: -t["amount"])
        tx = pd.concat([tx, back], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        prepared = kamseg.prepare_transactions(tx)
        ids = pd.Index([*range(0, 450, 3), 10_000])  # some customers, one without rows
        positions = prepared.positions(ids, func="test")  # (the others: a notice)
    if history:
        cutoff_history(prepared)
    assert (built_history(prepared) is not None) is history
    got = repeat_days(prepared, positions, len(ids))
    expected = []
    for c in ids:
        mine = tx[tx["customer_id"] == c]
        if mine.empty:
            expected.append(np.nan)
            continue
        days = 0
        for _, day in mine.groupby("date"):
            a = day["amount"]
            gross = a.abs().sum()
            net = a.sum() if abs(a.sum()) > NET_TOLERANCE * gross else 0.0
            days += bool(net > 0 or not (a < 0).any())
        expected.append(max(days - 1.0, 0.0))
    np.testing.assert_array_equal(got, np.array(expected))
    # several customers on one output row: their days together, as without the history
    merged = np.where(positions >= 0, positions // 2, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        fresh = kamseg.prepare_transactions(tx)  # no history built for it
    without = repeat_days(fresh, merged, len(ids))
    assert built_history(fresh) is None and not np.isnan(without).all()
    np.testing.assert_array_equal(repeat_days(prepared, merged, len(ids)), without)


def test_activity_of_most_customers_is_computed_once_with_the_same_bits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Most customers, one an output row (a job's lifecycle, health score and warnings):
    every customer's activity is computed once per prepared table and windows and picked,
    the same bits as the rows give for those output rows (returns, order ids, output rows
    without a customer); a few customers or two customers in one output row read the
    rows; the cache goes with the table."""
    import gc
    import weakref

    rng = np.random.default_rng(8)
    n_rows = 4_000
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 300, n_rows),
            "date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n_rows), unit="D"),
            "amount": np.where(
                rng.random(n_rows) < 0.07, -3.0, rng.gamma(2.0, 25.0, n_rows).round(2)
            ),
            "order_id": rng.integers(0, 1_500, n_rows),
        }
    )
    with pytest.warns(KamsegWarning, match="negative amounts"):
        prepared = kamseg.prepare_transactions(tx, order_col="order_id")
    n_ids = len(prepared.ids)
    computed: list[int] = []
    activity = windows._activity

    def counted(*args: object, **kwargs: object) -> windows.WindowActivity:
        computed.append(1)
        return activity(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(windows, "_activity", counted)
    fields = ("spend_recent", "spend_previous", "days_recent", "days_previous", "orders")

    def same(a: windows.WindowActivity, b: windows.WindowActivity) -> None:
        for f in (*fields, "covers"):
            x, y = getattr(a, f), getattr(b, f)
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), f

    # a job's tables: the customers shuffled, some left out, rows of prospects added
    for seed, keep in ((0, 1.0), (1, 0.8), (2, 0.6)):
        order = np.random.default_rng(seed).permutation(n_ids)[: int(keep * n_ids)]
        n = order.size + 25
        positions = np.full(n_ids, -1, dtype=np.int64)
        positions[order] = np.arange(order.size)
        for window in (30, 90):
            got = window_activity(prepared, positions, n, window=window)
            same(got, activity(prepared, positions, n, window=window, end=prepared.as_of_day))
    assert len(computed) == 2  # once per window, for every table
    # a few customers, or two in one output row: from their rows
    few = np.full(n_ids, -1, dtype=np.int64)
    few[:10] = np.arange(10)
    window_activity(prepared, few, 10, window=30)
    merged = np.zeros(n_ids, dtype=np.int64)  # every customer in output row 0
    window_activity(prepared, merged, 1, window=30)
    assert len(computed) == 4
    ref = weakref.ref(prepared)
    del prepared
    gc.collect()
    assert ref() is None  # the cache does not keep the table alive
