"""Tests for kamseg.transactions: one preparation, one set of rules, one warning."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    KamsegWarning,
    SchemaError,
)
from kamseg.transactions import PreparedTransactions, as_prepared, prepare_transactions


@pytest.fixture
def tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["b", "a", "a", "c", "b", "a"],
            "date": [
                "2024-01-05",
                "2024-01-01",
                "2024-01-09",
                "2024-02-01",
                "2024-01-20",
                "2024-03-01",
            ],
            "amount": [8.0, 10.0, -4.0, 5.0, 2.0, 7.0],
            "order": ["o1", "o2", "o3", "o4", "o5", "o2"],
            "product": ["p", "q", "p", "r", "q", "q"],
        }
    )


def test_kept_rows_codes_and_days(tx: pd.DataFrame) -> None:
    with pytest.warns(KamsegWarning) as caught:
        p = prepare_transactions(tx, as_of="2024-02-15", order_col="order", product_col="product")
    assert len(caught) == 1  # one notice for the late row and the netted return together
    message = str(caught[0].message)
    assert message.startswith("prepare_transactions: excluded 1 transaction(s) dated after")
    assert "1 row(s) have negative amounts (returns), netted" in message
    assert caught[0].filename == __file__  # points at the caller
    # ids in first-seen order; codes index them; rows in input order, 2024-03-01 dropped
    assert list(p.ids) == ["b", "a", "c"] and p.ids.name == "customer_id"
    assert p.code.tolist() == [0, 1, 1, 2, 0]
    days = (pd.to_datetime(tx["date"]) - pd.Timestamp(0)).dt.days.to_numpy()
    assert p.day.tolist() == days[:5].tolist()
    assert p.amount.tolist() == [8.0, 10.0, -4.0, 5.0, 2.0]
    assert p.rows is not None and p.rows.tolist() == [0, 1, 2, 3, 4]
    assert p.product is not None and p.product.tolist() == ["p", "q", "p", "r", "q"]
    assert p.order is not None and len(set(p.order.tolist())) == 5
    assert p.as_of == pd.Timestamp("2024-02-15") and p.as_of_day == int(days[3]) + 14
    assert p.dropped == {"after_as_of": 1} and p.n_returns == 1 and p.n_input == 6
    assert len(p) == 5 and p.n_rows == 5
    assert "5 rows of 6, 3 customers" in repr(p)


def test_arrays_read_only_input_untouched(tx: pd.DataFrame) -> None:
    before = tx.copy()
    with pytest.warns(KamsegWarning):
        p = prepare_transactions(tx)
    pd.testing.assert_frame_equal(tx, before)
    for values in (p.code, p.day, p.amount):
        with pytest.raises(ValueError, match="read-only"):
            values[0] = 0
    with pytest.raises(AttributeError):
        p.as_of_day = 0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("returns", "kept", "dropped", "match"),
    [
        ("net", 6, {}, "netted into customers' totals; 0 customer"),
        ("exclude", 5, {"returns": 1}, r"excluded 1 row\(s\) with negative amounts"),
    ],
)
def test_returns_policies(
    tx: pd.DataFrame, returns: str, kept: int, dropped: dict[str, int], match: str
) -> None:
    with pytest.warns(KamsegWarning, match=match) as caught:
        p = prepare_transactions(tx, returns=returns)  # type: ignore[arg-type]
    assert len(caught) == 1
    assert p.n_rows == kept and p.dropped == dropped
    with pytest.raises(SchemaError, match=r"1 row\(s\) have negative 'amount'.*-4\.0"):
        prepare_transactions(tx, returns="error")
    with pytest.raises(ConfigError, match="`returns`"):
        prepare_transactions(tx, returns="drop")  # type: ignore[arg-type]


def test_nulls_raise_or_drop_in_one_notice(tx: pd.DataFrame) -> None:
    bad = tx.assign(amount=tx["amount"].abs())
    bad.loc[0, "amount"] = np.nan
    bad.loc[1, "customer_id"] = None
    with pytest.raises(SchemaError, match=r"null values found \(1 in 'customer_id', 1 in"):
        prepare_transactions(bad)
    with pytest.warns(KamsegWarning) as caught:
        p = prepare_transactions(bad, dropna=True, as_of="2024-02-15")
    assert len(caught) == 1
    assert str(caught[0].message) == (
        "prepare_transactions: dropped 2 row(s) with null values (1 in 'customer_id', "
        "1 in 'amount'); excluded 1 transaction(s) dated after as_of 2024-02-15."
    )
    assert p.dropped == {"null": 2, "after_as_of": 1}
    assert p.rows is not None and p.rows.tolist() == [2, 3, 4]
    with pytest.raises(ConfigError, match="`dropna` must be True or False"):
        prepare_transactions(bad, dropna="yes")  # type: ignore[arg-type]


def test_errors(tx: pd.DataFrame) -> None:
    with pytest.raises(ColumnNotFoundError, match=r"'amt' \(argument `amount_col`\)"):
        prepare_transactions(tx, amount_col="amt")
    with pytest.raises(ColumnNotFoundError, match="product_col"):
        prepare_transactions(tx, product_col="sku")
    with pytest.raises(EmptyInputError, match="no rows"):
        prepare_transactions(tx.iloc[:0])
    with (
        pytest.warns(KamsegWarning, match="excluded 6 transaction"),
        pytest.raises(EmptyInputError, match="no transactions left"),
    ):
        prepare_transactions(tx, as_of="2023-01-01")
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        prepare_transactions(tx.to_dict())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="`as_of` must be a date"):
        prepare_transactions(tx, as_of="soon")


def test_until_and_as_prepared(tx: pd.DataFrame) -> None:
    with pytest.warns(KamsegWarning):
        p = prepare_transactions(tx)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        early = p.until("2024-01-09")  # no warning: a deliberate cut-off
        same = as_prepared(p, func="f")  # as it is
        cut = as_prepared(p, func="f", as_of="2024-01-09", returns="error")  # options not read
    assert same is p
    assert early.code.tolist() == [0, 1, 1] and early.as_of == pd.Timestamp("2024-01-09")
    assert cut.code.tolist() == early.code.tolist()
    assert list(early.ids) == list(p.ids)  # codes stay aligned across cut-offs
    assert p.until(None) is p
    with pytest.raises(ConfigError, match="after the as_of"):
        p.until("2025-01-01")
    with pytest.raises(ConfigError, match="f: as_of 2025-01-01 is after"):
        as_prepared(p, func="f", as_of="2025-01-01")


def test_positions_and_frame(tx: pd.DataFrame) -> None:
    with pytest.warns(KamsegWarning):
        p = prepare_transactions(tx, product_col="product", as_of="2024-02-15")
    index = pd.Index(["c", "a", "z"], name="customer_id")
    with pytest.warns(KamsegWarning, match=r"1 customer id\(s\) in `transactions` \(2 row"):
        pos = p.positions(index, func="f")
    assert pos.tolist() == [-1, 1, 0]  # b, a, c
    with pytest.raises(SchemaError, match="duplicated ids"):
        p.positions(pd.Index(["a", "a"]), func="f")
    frame = p.frame()
    assert list(frame.columns) == ["customer_id", "date", "amount", "product"]
    assert frame["customer_id"].tolist() == ["b", "a", "a", "c", "b"]
    assert frame["date"].dt.strftime("%Y-%m-%d").tolist() == tx["date"].iloc[:5].tolist()
    assert frame.index.tolist() == [0, 1, 2, 3, 4]


def test_summary_of_prepared_equals_summary_of_frame(tx: pd.DataFrame) -> None:
    for freq in ("D", "W", "M"):
        with pytest.warns(KamsegWarning) as from_frame:
            a = kamseg.summarize(tx, order_col="order", freq=freq, as_of="2024-02-15")
        with pytest.warns(KamsegWarning):
            p = prepare_transactions(tx, order_col="order", as_of="2024-02-15")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no second notice
            b = kamseg.summarize(p, freq=freq)
        assert len(from_frame) == 1
        pd.testing.assert_frame_equal(a, b)
        assert a.attrs == b.attrs


def test_summary_after_until_has_only_customers_with_rows(tx: pd.DataFrame) -> None:
    with pytest.warns(KamsegWarning):
        p = prepare_transactions(tx)
    early = kamseg.summarize(p.until("2024-01-09"))
    # a hand count: a bought 10 on 01-01 and -4 on 01-09; b 8 on 01-05; c not yet
    assert list(early.index) == ["a", "b"]
    assert early["revenue"].tolist() == [6.0, 8.0]
    # the return on 01-09 is no purchase: a's last purchase is 01-01
    assert early["days_since_last"].tolist() == [8, 4]
    assert early.attrs["as_of"] == "2024-01-09"


def test_ids_of_mixed_types_are_read_as_text_once_each() -> None:
    tx = pd.DataFrame(
        {"customer_id": [2, "x", 1, "1", 2.0], "date": ["2024-01-01"] * 5, "amount": 1.0}
    )
    with pytest.warns(KamsegWarning, match=r"mixed types \(int, str\): all 4 read as text"):
        p = prepare_transactions(tx)
    # 1 and "1" are one customer, and so are 2 and 2.0
    assert list(p.ids) == ["2", "x", "1"] and p.code.tolist() == [0, 1, 2, 2, 0]


def test_stray_spaces_in_ids_are_stripped_with_a_count() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", " a", "a ", "b", "  "],
            "date": ["2024-01-01"] * 5,
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    with pytest.raises(SchemaError, match="1 in 'customer_id'"):  # spaces only: no id
        prepare_transactions(tx)
    with pytest.warns(KamsegWarning) as caught:
        p = prepare_transactions(tx, dropna=True)
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "stripped surrounding spaces from 3 customer id(s)" in text
    assert "dropped 1 row(s) with null values (1 in 'customer_id')" in text
    assert list(p.ids) == ["a", "b"] and p.code.tolist() == [0, 0, 0, 1]
    assert kamseg.summarize(p)["revenue"].to_dict() == {"a": 6.0, "b": 4.0}


def test_whole_number_float_ids_show_as_integers() -> None:
    as_float = pd.DataFrame(
        {"customer_id": [17850.0, np.nan, 13047.0], "date": ["2024-01-01"] * 3, "amount": 1.0}
    )
    with pytest.warns(KamsegWarning, match="dropped 1 row"):
        p = prepare_transactions(as_float, dropna=True)
    assert p.ids.tolist() == [17850, 13047] and p.ids.dtype == np.int64
    as_text = as_float.assign(customer_id=["17850.0", "", "13047.0"])
    with pytest.warns(KamsegWarning, match="dropped 1 row"):
        p = prepare_transactions(as_text, dropna=True)
    assert p.ids.tolist() == ["17850", "13047"]
    kept = as_float.assign(customer_id=[1.5, 2.0, 1.5])  # not whole: stay floats
    assert prepare_transactions(kept).ids.tolist() == [1.5, 2.0]


def test_a_date_far_beyond_the_rest_does_not_move_as_of() -> None:
    days = pd.date_range("2011-01-01", periods=200, freq="D")
    tx = pd.DataFrame(
        {
            "customer_id": np.arange(200) % 20,
            "date": [*days[:-1], pd.Timestamp("2099-01-01")],
            "amount": 1.0,
        }
    )
    with pytest.warns(KamsegWarning) as caught:
        p = prepare_transactions(tx)
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "excluded 1 transaction(s) dated more than 365 days after the rest" in text
    assert "latest 2099-01-01" in text and "as_of is 2011-07-18" in text
    assert "pass as_of" in text
    assert p.as_of == pd.Timestamp("2011-07-18") and p.dropped == {"far_dates": 1}
    # an explicit as_of is the user's: the usual exclusion only
    with pytest.warns(KamsegWarning, match="excluded 1 transaction.s. dated after as_of"):
        assert prepare_transactions(tx, as_of="2012-01-01").n_rows == 199
    # fewer than 100 rows: the 99th percentile is not checked, the gap rule is (1 row of 99
    # after a gap of decades); a late but near date is not a typo: "now", with a notice
    with pytest.warns(KamsegWarning, match="excluded 1 transaction"):
        assert prepare_transactions(tx.iloc[101:]).as_of == pd.Timestamp("2011-07-18")
    near = tx.assign(date=[*days[:-1], pd.Timestamp("2012-06-01")])
    with pytest.warns(KamsegWarning, match="as_of is 2012-06-01, the latest date, although 1"):
        assert prepare_transactions(near).as_of == pd.Timestamp("2012-06-01")


def test_public_names() -> None:
    assert kamseg.prepare_transactions is prepare_transactions
    assert kamseg.PreparedTransactions is PreparedTransactions


def test_prepared_rows_do_not_share_the_input_memory(tx: pd.DataFrame) -> None:
    frame = tx.assign(amount=tx["amount"].abs(), profit=tx["amount"].abs() / 2)
    p = prepare_transactions(frame, profit_col="profit", product_col="product")
    before = (p.amount.copy(), p.profit.copy() if p.profit is not None else None)
    frame.loc[0, "amount"] = 999.0  # the user changes the table afterwards
    frame.loc[0, "profit"] = 999.0
    frame.loc[0, "product"] = "zzz"
    assert p.amount.tolist() == before[0].tolist()
    assert p.profit is not None and before[1] is not None
    assert p.profit.tolist() == before[1].tolist()
    assert p.product is not None and p.product[0] == "p"


def test_line_items_amount_is_quantity_times_price() -> None:
    lines = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b"],
            "date": ["2024-01-01", "2024-01-03", "2024-01-02", "2024-01-02"],
            "qty": [2, -1, 3, 4],  # a cancels one of its two items
            "unit_price": [5.0, 5.0, 2.5, None],
        }
    )
    with pytest.raises(SchemaError, match=r"null values found \(1 in 'unit_price'\)"):
        prepare_transactions(lines, quantity_col="qty", price_col="unit_price")
    with pytest.warns(KamsegWarning) as caught:
        p = prepare_transactions(lines, quantity_col="qty", price_col="unit_price", dropna=True)
    assert len(caught) == 1
    assert "dropped 1 row(s) with null values (1 in 'unit_price')" in str(caught[0].message)
    assert "1 row(s) have negative amounts (returns), netted" in str(caught[0].message)
    assert p.amount.tolist() == [10.0, -5.0, 7.5]  # worked by hand
    assert (p.quantity_col, p.price_col) == ("qty", "unit_price")
    assert list(p.frame().columns) == ["customer_id", "date", "amount"]
    table = kamseg.summarize(p)
    assert table["revenue"].tolist() == [5.0, 7.5]
    with (
        pytest.warns(KamsegWarning, match="dropped 1 row"),  # said before the error
        pytest.raises(SchemaError, match=r"negative 'qty x unit_price' \(returns\)"),
    ):
        prepare_transactions(
            lines, quantity_col="qty", price_col="unit_price", dropna=True, returns="error"
        )
    with pytest.raises(ConfigError, match="`quantity_col` is given without `price_col`"):
        prepare_transactions(lines, quantity_col="qty")
    with pytest.raises(ColumnNotFoundError, match="price_col"):
        prepare_transactions(lines, quantity_col="qty", price_col="price")


@pytest.mark.parametrize("dtype", [object, "category", "str"])
def test_products_read_once_as_codes(dtype: object) -> None:
    """The product column is read once: a code per row into the distinct products (first
    seen first; null: -1), whatever the column's dtype; `product` gives the values back
    (None for a null), also after `until`."""
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 1, 3, 2],
            "date": ["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-09", "2024-01-10"],
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
            "product": pd.Series(["p", "q", None, "p", "r"], dtype=dtype),  # type: ignore[call-overload]
        }
    )
    p = prepare_transactions(tx, product_col="product")
    assert p.product_code is not None and p.products is not None
    assert p.product_code.tolist() == [0, 1, -1, 0, 2]
    assert [str(v) for v in p.products] == ["p", "q", "r"]
    assert p.product is not None and p.product.tolist() == ["p", "q", None, "p", "r"]
    early = p.until("2024-01-05")
    assert early.product is not None and early.product.tolist() == ["p", "q", None]
    assert prepare_transactions(tx).product_code is None


@pytest.mark.parametrize(
    "kind", ["text", "dense ints", "negative ints", "sparse ints", "uint", "nullable ints"]
)
def test_order_codes_share_a_code_exactly_when_rows_share_an_id(kind: str) -> None:
    """Whole-number order ids within a small range are their offsets from the smallest
    (no hashing), others are factorized: either way a code per id, from 0, and the same
    order counts, with returns and orders that span days."""
    rng = np.random.default_rng(5)
    n = 3_000
    raw = rng.integers(0, 700, n)  # orders spanning customers and days
    ids: pd.Series = {
        "text": pd.Series([f"o{v}" for v in raw]),
        "dense ints": pd.Series(raw + 10_000),
        "negative ints": pd.Series(raw - 350),
        "sparse ints": pd.Series(raw * 10**12),
        "uint": pd.Series(raw.astype(np.uint64)),
        "nullable ints": pd.Series(raw, dtype="Int64"),
    }[kind]
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 200, n),
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D"),
            "amount": np.where(rng.random(n) < 0.05, -5.0, rng.gamma(2.0, 30.0, n).round(2)),
            "order_id": ids,
        }
    )
    with pytest.warns(KamsegWarning, match="negative amounts"):
        prepared = kamseg.prepare_transactions(tx, order_col="order_id")
    code = prepared.order
    assert code is not None and code.dtype == np.int64 and code.min() == 0
    # one code per id and one id per code
    pairs = pd.DataFrame({"id": raw, "code": code}).drop_duplicates()
    assert pairs["id"].is_unique and pairs["code"].is_unique
    if kind in ("dense ints", "negative ints", "uint"):  # offsets, not hashed
        np.testing.assert_array_equal(code, raw - raw.min())
    else:  # numbered in order of first appearance
        np.testing.assert_array_equal(code, pd.factorize(raw)[0])
    with pytest.warns(KamsegWarning, match="negative amounts"):
        text = kamseg.prepare_transactions(
            tx.assign(order_id=[f"o{v}" for v in raw]), order_col="order_id"
        )
    for freq in ("D", "W"):
        pd.testing.assert_series_equal(
            kamseg.summarize(prepared, freq=freq)["n_orders"],
            kamseg.summarize(text, freq=freq)["n_orders"],
        )
