"""Tests for kamseg.needs: need levels and latent needs.

Expected values are worked out by hand in the comments, or by a simple second
implementation (plain numpy cosine similarity, brute force; scikit-learn's neighbours).
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import kamseg
from kamseg.actions import recommended_action
from kamseg.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    KamsegWarning,
    SchemaError,
)
from kamseg.labels import NEED_LEVEL_LABELS, translate
from kamseg.needs import NEED_LEVELS, latent_needs, need_level

LEVEL_OF = {"bolts": "basic", "oil": "basic", "sensors": "expected", "analytics": "latent"}


@pytest.fixture
def catalog() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product": ["bolts", "oil", "sensors", "analytics"],
            "category": ["parts", "fluids", "electronics", "software"],
            "need_level": ["basic", "basic", "expected", "latent"],
        }
    )


@pytest.fixture
def tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "c", "c", "e"],
            "date": pd.to_datetime(
                [
                    "2024-01-05",
                    "2024-02-01",
                    "2024-01-20",
                    "2024-03-01",
                    "2024-03-02",
                    "2024-06-30",
                    "2024-04-01",
                ]
            ),
            "product": ["bolts", "sensors", "oil", "analytics", "bolts", "sensors", "oil"],
            "amount": [10.0, 50.0, 5.0, 900.0, 20.0, 80.0, 7.0],
        }
    )


@pytest.fixture
def customers() -> pd.DataFrame:
    return pd.DataFrame(
        {"revenue": [60.0, 5.0, 1000.0, 0.0, 7.0]},
        index=pd.Index(["a", "b", "c", "d", "e"], name="customer_id"),
    )


def dated(tx: pd.DataFrame, date: str = "2024-06-30", amount: float = 1.0) -> pd.DataFrame:
    """`tx` with the date and amount columns that prepared transactions need, if missing."""
    extra = {k: v for k, v in (("date", date), ("amount", amount)) if k not in tx.columns}
    return tx.assign(**extra)


def levels(df: pd.DataFrame) -> list[object]:
    return [None if pd.isna(v) else v for v in df["need_level"]]


# --------------------------------------------------------------------------------------
# need_level: hand-worked cases
# --------------------------------------------------------------------------------------


def test_highest_level_bought(
    customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    out = need_level(customers, transactions=tx, catalog=catalog)
    # a: bolts (basic) + sensors (expected) -> expected; b: oil -> basic; c: a latent
    # product among others -> latent; d: no transaction -> missing; e: oil -> basic.
    assert levels(out) == ["expected", "basic", "latent", None, "basic"]
    cat = out["need_level"].dtype
    assert isinstance(cat, pd.CategoricalDtype) and cat.ordered
    assert list(cat.categories) == list(NEED_LEVELS) == ["basic", "expected", "latent"]
    assert out.index.equals(customers.index)
    assert out["revenue"].tolist() == customers["revenue"].tolist()
    assert out["need_level"].max() == "latent"  # ordered: basic < expected < latent


def test_chinese_labels_and_actions(
    customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    en = need_level(customers, transactions=tx, catalog=catalog, action=True)
    assert en.loc["a", "need_action"] == recommended_action("need_level", "expected")
    assert en.loc["c", "need_action"].startswith("Research and analyse")
    assert pd.isna(en.loc["d", "need_action"])
    zh = need_level(customers, transactions=tx, catalog=catalog, labels="zh", action=True)
    assert list(zh["need_level"].cat.categories) == ["基本需求", "期望需求", "潜在需求"]
    assert zh.loc["b", "need_level"] == translate("basic", labels="zh", table=NEED_LEVEL_LABELS)
    assert zh.loc["c", "need_action"] == recommended_action("need_level", "latent", labels="zh")
    assert "need_action" not in need_level(customers, transactions=tx, catalog=catalog)


def test_match_on_category(customers: pd.DataFrame, tx: pd.DataFrame) -> None:
    by_cat = pd.DataFrame(
        {"category": ["parts", "fluids", "electronics"], "need_level": ["basic"] * 2 + ["latent"]}
    )
    tx2 = tx.assign(category=tx["product"].map({"bolts": "parts", "oil": "fluids"}))
    tx2.loc[tx2["product"] == "sensors", "category"] = "electronics"
    # c's analytics row has no category: excluded with a warning
    with pytest.warns(KamsegWarning, match=r"excluded 1 transaction\(s\).*1 null"):
        out = need_level(customers, transactions=tx2, catalog=by_cat, on="category")
    assert levels(out) == ["latent", "basic", "latent", None, "basic"]
    # latent needs from the transactions' own categories
    with pytest.warns(KamsegWarning, match="1 null"):
        with_latent = need_level(
            customers, transactions=tx2, catalog=by_cat, on="category", latent_k=1
        )
    with pytest.warns(KamsegWarning, match="1 null"):
        long = latent_needs(customers, transactions=tx2, catalog=by_cat, on="category", k=1)
    assert with_latent["latent_needs"].dropna().to_dict() == dict(
        zip(long["customer_id"], long["category"], strict=True)
    )
    assert set(long["category"]) <= {"parts", "fluids", "electronics"}


def test_categorical_and_integer_ids(catalog: pd.DataFrame) -> None:
    tx = dated(
        pd.DataFrame(
            {
                "customer_id": [10, 10, 20],
                "product": pd.Categorical(
                    ["oil", "analytics", "bolts"], categories=list(LEVEL_OF)
                ),
            }
        )
    )
    customers = pd.DataFrame(index=pd.Index([20, 10, 30], name="customer_id"))
    assert levels(need_level(customers, transactions=tx, catalog=catalog)) == [
        "basic",
        "latent",
        None,
    ]


def test_catalogue_listing_a_product_twice(customers: pd.DataFrame, tx: pd.DataFrame) -> None:
    same = pd.DataFrame(
        {"product": ["bolts", "bolts", "oil", "sensors", "analytics"], "need_level": "basic"}
    )
    assert levels(need_level(customers, transactions=tx, catalog=same)) == ["basic"] * 3 + [
        None,
        "basic",
    ]
    clash = pd.DataFrame({"product": ["bolts", "bolts"], "need_level": ["basic", "latent"]})
    with pytest.raises(
        SchemaError, match=r"gives 1 'product' value\(s\) more than one need level"
    ):
        need_level(customers, transactions=tx, catalog=clash)


def test_bad_levels_in_catalogue(customers: pd.DataFrame, tx: pd.DataFrame) -> None:
    bad = pd.DataFrame(
        {"product": ["bolts", "oil", "sensors"], "need_level": ["basic", "Basic", "delight"]}
    )
    with pytest.raises(
        SchemaError, match=r"2 value\(s\) of catalogue column 'need_level'.*'Basic'"
    ):
        need_level(customers, transactions=tx, catalog=bad)
    nulls = pd.DataFrame({"product": ["bolts", None], "need_level": ["basic", "basic"]})
    with pytest.raises(SchemaError, match=r"1 row\(s\) of `catalog` have a null 'product'"):
        need_level(customers, transactions=tx, catalog=nulls)


def test_products_missing_from_catalogue_are_counted(
    customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    small = catalog[catalog["product"] != "analytics"]
    with pytest.warns(
        KamsegWarning,
        match=r"excluded 1 transaction\(s\) whose 'product' is not in the "
        r"catalogue \(1 products, e.g. 'analytics'\)",
    ):
        out = need_level(customers, transactions=tx, catalog=small)
    assert levels(out) == ["expected", "basic", "expected", None, "basic"]


def test_nothing_matches_gives_a_hint(customers: pd.DataFrame, catalog: pd.DataFrame) -> None:
    tx = dated(pd.DataFrame({"customer_id": ["a", "b"], "product": [1, 2]}))
    with pytest.warns(KamsegWarning, match="none matched; check that 'product' holds the same"):
        out = need_level(customers, transactions=tx, catalog=catalog)
    assert out["need_level"].isna().all()


def test_unknown_customers_are_counted(
    customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    extra = pd.DataFrame({"customer_id": ["x", "x", "y"], "product": ["analytics"] * 3})
    more = pd.concat([tx, dated(extra)])
    with pytest.warns(
        KamsegWarning,
        match=r"2 customer id\(s\) in `transactions` \(3 row\(s\)\) have no row in `customers`",
    ):
        out = need_level(customers, transactions=more, catalog=catalog)
    assert levels(out) == levels(need_level(customers, transactions=tx, catalog=catalog))


def test_as_of_excludes_later_transactions(
    customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    with pytest.warns(
        KamsegWarning, match=r"excluded 3 transaction\(s\) dated after as_of 2024-03-01"
    ):
        out = need_level(customers, transactions=tx, catalog=catalog, as_of="2024-03-01")
    # c keeps analytics (on as_of, included), not its later orders; e's April order goes
    assert levels(out) == ["expected", "basic", "latent", None, None]
    # the customer table's as_of (set by summarize) is the default
    dated = customers.copy()
    dated.attrs["as_of"] = "2024-02-15"
    with pytest.warns(KamsegWarning, match=r"excluded 4 transaction\(s\)"):
        out = need_level(dated, transactions=tx, catalog=catalog)
    assert levels(out) == ["expected", "basic", None, None, None]


def test_without_as_of_every_transaction_counts(
    customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    # as_of is then the latest date (2024-06-30): nothing is excluded, no warning
    out = need_level(customers, transactions=tx, catalog=catalog)
    assert levels(out) == ["expected", "basic", "latent", None, "basic"]
    # the transactions are prepared as everywhere: they need dates and amounts
    for col in ("date", "amount"):
        with pytest.raises(ColumnNotFoundError, match=f"{col}_col"):
            need_level(customers, transactions=tx.drop(columns=col), catalog=catalog)


def test_latent_k_column(customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame) -> None:
    out = need_level(customers, transactions=tx, catalog=catalog, latent_k=2)
    long = latent_needs(customers, transactions=tx, catalog=catalog, k=2)
    joined = long.groupby("customer_id", sort=False)["category"].agg("; ".join)
    expected = [joined.get(c) for c in customers.index]
    assert [None if pd.isna(v) else v for v in out["latent_needs"]] == expected
    assert out["latent_needs"].notna().any()


def test_overwrite_and_no_mutation(
    customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    before = (customers.copy(), tx.copy(), catalog.copy())
    once = need_level(customers, transactions=tx, catalog=catalog, action=True)
    for frame, copy in zip((customers, tx, catalog), before, strict=True):
        pd.testing.assert_frame_equal(frame, copy)
    with pytest.raises(ConfigError, match=r"already has column\(s\) 'need_level'.*overwrite=True"):
        need_level(once, transactions=tx, catalog=catalog)
    again = need_level(once, transactions=tx, catalog=catalog, action=True, overwrite=True)
    pd.testing.assert_frame_equal(again, once)


def test_demo_data() -> None:
    data = kamseg.datasets.make_transactions(n_customers=300, seed=3)
    out = need_level(data.master, transactions=data.transactions, catalog=data.catalog)
    prospects = data.master["is_prospect"]
    assert out.loc[prospects, "need_level"].isna().all()
    assert out.loc[~prospects, "need_level"].notna().all()
    # brute force: the highest level of each customer's products
    rank = {lv: i for i, lv in enumerate(NEED_LEVELS)}
    lv = data.transactions["product"].map(
        dict(zip(data.catalog["product"], data.catalog["need_level"].astype(str), strict=True))
    )
    best = (
        lv.map(rank)
        .groupby(data.transactions["customer_id"])
        .max()
        .map(dict(enumerate(NEED_LEVELS)))
    )
    assert out.loc[best.index, "need_level"].astype(str).tolist() == best.tolist()


# --------------------------------------------------------------------------------------
# need_level: bad input
# --------------------------------------------------------------------------------------


def test_missing_columns(customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame) -> None:
    with pytest.raises(
        ColumnNotFoundError, match=r"'products'.*product_col.*Did you mean 'product'"
    ):
        need_level(customers, transactions=tx, catalog=catalog, product_col="products")
    with pytest.raises(ColumnNotFoundError, match="level_col"):
        need_level(customers, transactions=tx, catalog=catalog.drop(columns="need_level"))
    with pytest.raises(ColumnNotFoundError, match="date_col"):
        need_level(
            customers, transactions=tx.drop(columns="date"), catalog=catalog, as_of="2024-12-31"
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"on": "sku"}, "`on` must be one of 'product', 'category'"),
        ({"labels": "fr"}, "`labels` must be one of"),
        ({"latent_k": 0}, "`latent_k` must be between 1"),
        ({"as_of": "someday"}, "`as_of` must be a date"),
    ],
)
def test_bad_options(
    customers: pd.DataFrame,
    tx: pd.DataFrame,
    catalog: pd.DataFrame,
    kwargs: dict[str, object],
    message: str,
) -> None:
    with pytest.raises(ConfigError, match=message):
        need_level(customers, transactions=tx, catalog=catalog, **kwargs)  # type: ignore[arg-type]


def test_bad_frames(customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame) -> None:
    with pytest.raises(EmptyInputError, match="`transactions` has no rows"):
        need_level(customers, transactions=tx.iloc[:0], catalog=catalog)
    with pytest.raises(EmptyInputError, match="`customers` has no rows"):
        need_level(customers.iloc[:0], transactions=tx, catalog=catalog)
    with pytest.raises(TypeError, match="`catalog` must be a pandas DataFrame"):
        need_level(customers, transactions=tx, catalog=catalog.to_dict())  # type: ignore[arg-type]
    dup = pd.concat([customers, customers.iloc[:1]])
    with pytest.raises(SchemaError, match=r"duplicated ids, e.g. 'a'"):
        need_level(dup, transactions=tx, catalog=catalog)
    nulls = tx.assign(customer_id=[None, *tx["customer_id"].tolist()[1:]])
    with pytest.raises(SchemaError, match=r"null values found \(1 in 'customer_id'\).*dropna"):
        need_level(customers, transactions=nulls, catalog=catalog)
    with pytest.raises(TypeError, match="`transactions` must be a pandas DataFrame"):
        need_level(customers, transactions=tx.to_dict(), catalog=catalog)


# --------------------------------------------------------------------------------------
# need_level: properties
# --------------------------------------------------------------------------------------

PRODUCTS = list(LEVEL_OF)

tx_rows = st.lists(
    st.tuples(st.integers(0, 7), st.sampled_from([*PRODUCTS, "unlisted"])), min_size=1, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(rows=tx_rows, seed=st.integers(0, 2**32 - 1))
def test_one_level_per_customer_order_free(rows: list[tuple[int, str]], seed: int) -> None:
    catalog = pd.DataFrame({"product": PRODUCTS, "need_level": [LEVEL_OF[p] for p in PRODUCTS]})
    tx = dated(pd.DataFrame(rows, columns=["customer_id", "product"]))
    customers = pd.DataFrame({"x": range(6)}, index=pd.Index(range(6), name="customer_id"))
    before = (tx.copy(), customers.copy())
    with (
        pytest.warns(KamsegWarning)
        if any(c >= 6 or p == "unlisted" for c, p in rows)
        else contextlib.nullcontext()
    ):
        out = need_level(customers, transactions=tx, catalog=catalog)
    pd.testing.assert_frame_equal(tx, before[0])
    pd.testing.assert_frame_equal(customers, before[1])
    # reference: the highest level among the customer's listed products
    for cid in customers.index:
        bought = [LEVEL_OF[p] for c, p in rows if c == cid and p in LEVEL_OF]
        expected = max(bought, key=NEED_LEVELS.index) if bought else None
        got = out.loc[cid, "need_level"]
        assert (None if pd.isna(got) else got) == expected
    # row order of both inputs does not matter
    rng = np.random.default_rng(seed)
    shuffled_tx = tx.iloc[rng.permutation(len(tx))]
    shuffled_c = customers.iloc[rng.permutation(len(customers))]
    with (
        pytest.warns(KamsegWarning)
        if any(c >= 6 or p == "unlisted" for c, p in rows)
        else contextlib.nullcontext()
    ):
        again = need_level(shuffled_c, transactions=shuffled_tx, catalog=catalog)
    pd.testing.assert_frame_equal(again.loc[out.index], out)


# --------------------------------------------------------------------------------------
# latent_needs: hand-worked cases
# --------------------------------------------------------------------------------------


def _frames(
    profiles: dict[str, dict[str, float]],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Customers, transactions (one row per bought category) and a catalogue."""
    cats = sorted({c for p in profiles.values() for c in p})
    rows = [(cid, f"p-{c}", amt) for cid, p in profiles.items() for c, amt in p.items()]
    tx = dated(pd.DataFrame(rows, columns=["customer_id", "product", "amount"]))
    catalog = pd.DataFrame({"product": [f"p-{c}" for c in cats], "category": cats})
    customers = pd.DataFrame(index=pd.Index(list(profiles), name="customer_id"))
    return customers, tx, catalog


def test_two_clusters() -> None:
    # Cluster A buys a1 and a2; some of them also a3. Cluster B buys b1 and b2; some b3.
    # The A customers without a3 should get a3 first and never a B category.
    profiles: dict[str, dict[str, float]] = {}
    for i in range(8):
        profiles[f"A{i}"] = {"a1": 10 + i, "a2": 20 - i} | ({"a3": 5.0} if i % 2 else {})
        profiles[f"B{i}"] = {"b1": 30 - i, "b2": 5 + 2 * i} | ({"b3": 4.0} if i < 5 else {})
    customers, tx, catalog = _frames(profiles)
    out = latent_needs(customers, transactions=tx, catalog=catalog, n_neighbors=5)
    top = out[out["rank"] == 1].set_index("customer_id")["category"]
    for i in range(8):
        if i % 2 == 0:
            assert top[f"A{i}"] == "a3"
        if i >= 5:
            assert top[f"B{i}"] == "b3"
    a_rows = out[out["customer_id"].str.startswith("A")]
    assert set(a_rows["category"]) == {"a3"}
    assert set(out[out["customer_id"].str.startswith("B")]["category"]) == {"b3"}
    # customers who already buy the cluster's extra category get nothing
    assert not set(out["customer_id"]) & {"A1", "A3", "B0", "B1"}


def test_output_format_and_order() -> None:
    customers, tx, catalog = _frames(
        {
            "z": {"x": 1.0},
            "y": {"x": 1.0, "u": 1.0},
            "w": {"x": 1.0, "v": 1.0},
            "q": {"x": 1.0, "u": 1.0, "v": 1.0},
        }
    )
    out = latent_needs(customers, transactions=tx, catalog=catalog, k=2, n_neighbors=3)
    assert out.columns.tolist() == ["customer_id", "rank", "category", "score"]
    assert isinstance(out.index, pd.RangeIndex)
    assert out["rank"].dtype == np.int64 and out["score"].dtype == np.float64
    assert pd.api.types.is_string_dtype(out["category"].dtype)
    # rows follow the order of `customers`, then rank
    order = {c: i for i, c in enumerate(customers.index)}
    keys = [(order[c], r) for c, r in zip(out["customer_id"], out["rank"], strict=True)]
    assert keys == sorted(keys)
    assert (
        out.groupby("customer_id")["rank"].apply(list).map(lambda r: r == [1, 2][: len(r)]).all()
    )
    assert ((out["score"] > 0) & (out["score"] <= 1)).all()


def test_tied_neighbours_share_the_last_places() -> None:
    # Binary profiles. q buys {x}; p1 buys {x, y}; p2 and p3 buy {x, z}. All three have
    # cosine 1/sqrt(2) with q: with n_neighbors=2 the three tie and share the 2 places
    # (weight 2/3 each). Score of y: (2/3 * s) / (3 * 2/3 * s) = 1/3; of z: 2/3.
    customers, tx, catalog = _frames(
        {
            "q": {"x": 1.0},
            "p1": {"x": 1.0, "y": 1.0},
            "p2": {"x": 1.0, "z": 1.0},
            "p3": {"x": 1.0, "z": 1.0},
        }
    )
    out = latent_needs(customers, transactions=tx, catalog=catalog, n_neighbors=2, basis="binary")
    q = out[out["customer_id"] == "q"]
    assert q["category"].tolist() == ["z", "y"]
    np.testing.assert_allclose(q["score"], [2 / 3, 1 / 3])
    # p1's neighbours: q (cosine 1/sqrt 2), then p2 and p3 tie at 1/2 for the last place
    # (weight 1/2 each): z = (0.5 * 0.5 + 0.5 * 0.5) / (1/sqrt 2 + 0.5 * 0.5 + 0.5 * 0.5)
    p1 = out[out["customer_id"] == "p1"]
    assert p1["category"].tolist() == ["z"]
    np.testing.assert_allclose(p1["score"], [0.5 / (1 / math.sqrt(2) + 0.5)])
    # p2's neighbours: p3 (cosine 1) and q (1/sqrt 2) buy nothing p2 lacks
    assert "p2" not in set(out["customer_id"])


def test_ties_beyond_the_nearest_candidates() -> None:
    # q buys x; five customers buy x and one other category each, all at cosine 1/sqrt 2:
    # with n_neighbors=2 the five share 2 places (2/5 each), so every category scores 1/5.
    profiles = {"q": {"x": 1.0}} | {f"p{c}": {"x": 1.0, c: 1.0} for c in "abcde"}
    customers, tx, catalog = _frames(profiles)
    for basis in ("binary", "spend"):
        out = latent_needs(
            customers, transactions=tx, catalog=catalog, k=5, n_neighbors=2, basis=basis
        )
        q = out[out["customer_id"] == "q"]
        assert q["category"].tolist() == list("abcde")  # ties broken by category name
        np.testing.assert_allclose(q["score"], [0.2] * 5)


def test_identical_profiles_give_no_suggestion() -> None:
    # a, b, c buy only x (identical spend-share profiles); d buys x and y.
    customers, tx, catalog = _frames(
        {"a": {"x": 5.0}, "b": {"x": 7.0}, "c": {"x": 1.0}, "d": {"x": 1.0, "y": 1.0}}
    )
    # the two nearest neighbours of a, b, c are the other two (cosine 1): nothing new
    assert latent_needs(customers, transactions=tx, catalog=catalog, n_neighbors=2).empty
    # with three neighbours d is reached: y = (1/sqrt 2) / (1 + 1 + 1/sqrt 2)
    wide = latent_needs(customers, transactions=tx, catalog=catalog, n_neighbors=3).set_index(
        "customer_id"
    )
    assert wide.index.tolist() == ["a", "b", "c"]
    assert (wide["category"] == "y").all()
    np.testing.assert_allclose(wide["score"], (1 / math.sqrt(2)) / (2 + 1 / math.sqrt(2)))
    # co-occurrence suggests y all the same: 1 of the 3 other buyers of x buys y
    co = latent_needs(customers, transactions=tx, catalog=catalog, method="cooccurrence")
    np.testing.assert_allclose(co["score"], [1 / 3] * 3)


def test_cooccurrence_hand_worked() -> None:
    customers, tx, catalog = _frames(
        {
            "a": {"parts": 1.0, "fluids": 1.0},
            "b": {"parts": 1.0, "fluids": 1.0},
            "c": {"parts": 1.0, "fluids": 1.0, "electronics": 1.0},
            "d": {"parts": 1.0},
        }
    )
    out = latent_needs(
        customers, transactions=tx, catalog=catalog, method="cooccurrence"
    ).set_index("customer_id")
    # a: electronics. Other buyers of parts: b, c, d -> 1 of 3 buys electronics; other
    # buyers of fluids: b, c -> 1 of 2. Mean: (1/3 + 1/2) / 2 = 5/12.
    assert math.isclose(out.loc["a", "score"], 5 / 12)
    # d: other buyers of parts a, b, c: fluids 3/3, electronics 1/3.
    d = out.loc[["d"]]
    assert d["category"].tolist() == ["fluids", "electronics"]
    np.testing.assert_allclose(d["score"], [1.0, 1 / 3])
    assert "c" not in out.index  # buys everything


def test_k_and_min_score() -> None:
    customers, tx, catalog = _frames(
        {
            "a": {"parts": 1.0, "fluids": 1.0},
            "c": {"parts": 1.0, "fluids": 1.0, "electronics": 1.0},
            "d": {"parts": 1.0},
        }
    )
    full = latent_needs(customers, transactions=tx, catalog=catalog, method="cooccurrence")
    one = latent_needs(customers, transactions=tx, catalog=catalog, method="cooccurrence", k=1)
    assert one["rank"].eq(1).all() and len(one) == full["customer_id"].nunique()
    high = latent_needs(
        customers, transactions=tx, catalog=catalog, method="cooccurrence", min_score=0.75
    )
    assert (high["score"] >= 0.75).all()
    assert len(high) == int((full["score"] >= 0.75).sum())


def test_spend_basis_nets_returns_and_orders_basis() -> None:
    tx = dated(
        pd.DataFrame(
            {
                "customer_id": ["a", "a", "a", "b", "b", "c", "c"],
                "product": ["p-x", "p-y", "p-y", "p-x", "p-y", "p-x", "p-y"],
                "amount": [10.0, 5.0, -5.0, 10.0, 3.0, 1.0, 9.0],
            }
        )
    )
    catalog = pd.DataFrame({"product": ["p-x", "p-y"], "category": ["x", "y"]})
    customers = pd.DataFrame(index=pd.Index(["a", "b", "c"], name="customer_id"))
    with pytest.warns(KamsegWarning, match=r"1 row\(s\) have negative amounts") as caught:
        prepared = kamseg.prepare_transactions(tx, product_col="product")
    assert len(caught) == 1
    # a returned all its y spend: y counts as not bought, and is suggested by spend
    spend = latent_needs(customers, transactions=prepared, catalog=catalog, n_neighbors=2)
    assert spend.set_index("customer_id").loc["a", "category"] == "y"
    # by orders a bought y (two rows), so nothing is left to suggest
    orders = latent_needs(
        customers, transactions=prepared, catalog=catalog, n_neighbors=2, basis="orders"
    )
    assert "a" not in set(orders["customer_id"])
    # returns="exclude" drops the return: a keeps 5.0 of y and buys both categories
    with pytest.warns(KamsegWarning, match=r"excluded 1 row\(s\) with negative amounts"):
        kept = latent_needs(
            customers, transactions=tx, catalog=catalog, n_neighbors=2, returns="exclude"
        )
    assert "a" not in set(kept["customer_id"])
    with pytest.raises(SchemaError, match="negative"):
        latent_needs(customers, transactions=tx, catalog=catalog, returns="error")


def test_products_without_category_are_counted() -> None:
    customers, tx, catalog = _frames({"a": {"x": 1.0}, "b": {"x": 1.0, "y": 2.0}})
    catalog.loc[catalog["category"] == "y", "category"] = None
    with pytest.warns(KamsegWarning, match=r"1 catalogue 'product' value\(s\) have no 'category'"):
        out = latent_needs(customers, transactions=tx, catalog=catalog)
    assert out.empty  # y is no longer a category
    assert out.columns.tolist() == ["customer_id", "rank", "category", "score"]


def test_demo_data_runs_with_every_method() -> None:
    data = kamseg.datasets.make_transactions(n_customers=400, seed=5)
    n_cat = data.catalog["category"].nunique()
    for basis in ("spend", "orders", "binary"):
        out = latent_needs(
            data.master, transactions=data.transactions, catalog=data.catalog, basis=basis
        )
        assert out["rank"].between(1, 3).all() and out["category"].nunique() <= n_cat
    co = latent_needs(
        data.master, transactions=data.transactions, catalog=data.catalog, method="cooccurrence"
    )
    prospects = data.master.index[data.master["is_prospect"]]
    assert not set(co["customer_id"]) & set(prospects)
    # a suggestion is never a category the customer already buys
    cat_of = dict(zip(data.catalog["product"], data.catalog["category"], strict=True))
    bought = set(
        zip(
            data.transactions["customer_id"], data.transactions["product"].map(cat_of), strict=True
        )
    )
    assert not any(
        (c, k) in bought for c, k in zip(co["customer_id"], co["category"], strict=True)
    )


# --------------------------------------------------------------------------------------
# latent_needs: against a simple second implementation
# --------------------------------------------------------------------------------------


def reference_knn(x: np.ndarray, n_neighbors: int) -> np.ndarray:
    """Brute force: cosine similarity, top n others, similarity-weighted share who buy."""
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    sim = unit @ unit.T
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        others = np.delete(np.arange(x.shape[0]), i)
        nearest = others[np.argsort(-sim[i, others], kind="stable")[:n_neighbors]]
        w = sim[i, nearest]
        out[i] = (w @ (x[nearest] > 0)) / w.sum()
        out[i, x[i] > 0] = 0.0
    return out


def random_profiles(rng: np.random.Generator, n: int, n_cat: int) -> np.ndarray:
    x = rng.gamma(1.0, 1.0, (n, n_cat)) * (rng.random((n, n_cat)) < 0.45)
    x[np.arange(n), rng.integers(0, n_cat, n)] += rng.gamma(2.0, 1.0, n)  # never empty
    return x


def as_frames(x: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n, n_cat = x.shape
    cats = [f"c{j:02d}" for j in range(n_cat)]
    i, j = np.nonzero(x)
    tx = dated(pd.DataFrame({"customer_id": i, "product": np.array(cats)[j], "amount": x[i, j]}))
    catalog = pd.DataFrame({"product": cats, "category": cats})
    customers = pd.DataFrame(index=pd.Index(range(n), name="customer_id"))
    return customers, tx, catalog


def to_matrix(long: pd.DataFrame, n: int, n_cat: int) -> np.ndarray:
    out = np.zeros((n, n_cat))
    cols = long["category"].str[1:].astype(int).to_numpy()
    out[long["customer_id"].to_numpy(), cols] = long["score"].to_numpy()
    return out


@pytest.mark.parametrize(("n", "n_cat", "n_neighbors"), [(60, 6, 5), (150, 12, 20), (40, 3, 39)])
def test_knn_matches_brute_force_reference(n: int, n_cat: int, n_neighbors: int) -> None:
    rng = np.random.default_rng(n)
    x = random_profiles(rng, n, n_cat)
    customers, tx, catalog = as_frames(x)
    out = latent_needs(
        customers, transactions=tx, catalog=catalog, k=n_cat, n_neighbors=n_neighbors
    )
    expected = reference_knn(x / x.sum(axis=1, keepdims=True), n_neighbors)
    np.testing.assert_allclose(to_matrix(out, n, n_cat), expected, rtol=1e-9, atol=1e-12)


def test_knn_neighbours_agree_with_scikit_learn() -> None:
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(11)
    n, n_cat, n_nb = 120, 8, 7
    x = random_profiles(rng, n, n_cat)
    shares = x / x.sum(axis=1, keepdims=True)
    nn = NearestNeighbors(n_neighbors=n_nb, metric="cosine", algorithm="brute").fit(shares)
    dist, idx = nn.kneighbors()  # excludes each point itself
    w = 1.0 - dist
    expected = np.einsum("ik,ikc->ic", w, (shares[idx] > 0).astype(float)) / w.sum(axis=1)[:, None]
    expected[shares > 0] = 0.0
    customers, tx, catalog = as_frames(x)
    out = latent_needs(customers, transactions=tx, catalog=catalog, k=n_cat, n_neighbors=n_nb)
    np.testing.assert_allclose(to_matrix(out, n, n_cat), expected, rtol=1e-9, atol=1e-12)


def test_reference_sample() -> None:
    rng = np.random.default_rng(2)
    x = random_profiles(rng, 300, 6)
    customers, tx, catalog = as_frames(x)
    exact = latent_needs(customers, transactions=tx, catalog=catalog, max_reference=None)
    # as many reference customers as customers: the same exact search
    pd.testing.assert_frame_equal(
        latent_needs(customers, transactions=tx, catalog=catalog, max_reference=300), exact
    )
    a = latent_needs(customers, transactions=tx, catalog=catalog, max_reference=100, seed=1)
    b = latent_needs(customers, transactions=tx, catalog=catalog, max_reference=100, seed=1)
    c = latent_needs(customers, transactions=tx, catalog=catalog, max_reference=100, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    # brute force against the same sample: the sample is drawn in customer-id order
    ref = np.sort(np.random.default_rng(1).choice(300, size=100, replace=False))
    shares = x / x.sum(axis=1, keepdims=True)
    unit = shares / np.linalg.norm(shares, axis=1, keepdims=True)
    expected = np.zeros_like(x)
    for i in range(300):
        pool = ref[ref != i]
        sim = unit[pool] @ unit[i]
        top = np.argsort(-sim, kind="stable")[:20]
        expected[i] = (sim[top] @ (shares[pool[top]] > 0)) / sim[top].sum()
    expected[shares > 0] = 0.0
    top3 = np.sort(expected, axis=1)[:, ::-1][:, :3]
    got = to_matrix(a, 300, 6)
    np.testing.assert_allclose(np.sort(got, axis=1)[:, ::-1][:, :3], top3, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------------------
# latent_needs: properties and bad input
# --------------------------------------------------------------------------------------

profile_rows = st.lists(
    st.tuples(
        st.integers(0, 9), st.sampled_from(["u", "v", "w", "x"]), st.sampled_from([1.0, 2.5, 4.0])
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(
    rows=profile_rows,
    method=st.sampled_from(["knn", "cooccurrence"]),
    basis=st.sampled_from(["spend", "orders", "binary"]),
    n_neighbors=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
)
# every row in one (customer, category) cell of three or more: the found CI failure
# (an all-empty np.bincount is int64, and float spend was added into it)
@example(rows=[(0, "u", 1.0)] * 3, method="knn", basis="spend", n_neighbors=1, seed=0)
def test_latent_needs_row_order_and_no_mutation(
    rows: list[tuple[int, str, float]], method: str, basis: str, n_neighbors: int, seed: int
) -> None:
    tx = dated(pd.DataFrame(rows, columns=["customer_id", "product", "amount"]))
    catalog = pd.DataFrame({"product": ["u", "v", "w", "x"], "category": ["U", "V", "W", "X"]})
    customers = pd.DataFrame(index=pd.Index(range(10), name="customer_id"))
    before = tx.copy()
    kw = {"method": method, "basis": basis, "n_neighbors": n_neighbors, "k": 4}
    out = latent_needs(customers, transactions=tx, catalog=catalog, **kw)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(tx, before)
    rng = np.random.default_rng(seed)
    again = latent_needs(
        customers.iloc[rng.permutation(10)],
        transactions=tx.iloc[rng.permutation(len(tx))],
        catalog=catalog,
        **kw,  # type: ignore[arg-type]
    )

    def canon(df: pd.DataFrame) -> pd.DataFrame:
        return df.sort_values(["customer_id", "rank"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(canon(again), canon(out))
    # never suggests what the customer buys; ranks are 1..m; scores decrease
    bought = set(zip(tx["customer_id"], tx["product"].str.upper(), strict=True))
    assert not any(
        (c, k) in bought for c, k in zip(out["customer_id"], out["category"], strict=True)
    )
    for _, g in out.groupby("customer_id"):
        assert g["rank"].tolist() == list(range(1, len(g) + 1))
        assert (np.diff(g["score"].to_numpy()) <= 0).all()
    assert out["score"].between(0, 1, inclusive="right").all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "`k` must be between 1"),
        ({"k": 2.5}, "`k` must be an integer"),
        ({"method": "svd"}, "`method` must be one of 'knn', 'cooccurrence'"),
        ({"basis": "Spend"}, "Did you mean 'spend'"),
        ({"n_neighbors": 0}, "`n_neighbors` must be between 1"),
        ({"min_score": 1.5}, "`min_score` must be a number from 0 to 1"),
        ({"min_score": float("nan")}, "`min_score`"),
        ({"max_reference": 0}, "`max_reference` must be between 1"),
        ({"seed": -1}, "`seed` must be between 0"),
    ],
)
def test_latent_bad_options(kwargs: dict[str, object], message: str) -> None:
    customers, tx, catalog = _frames({"a": {"x": 1.0}})
    with pytest.raises(ConfigError, match=message):
        latent_needs(customers, transactions=tx, catalog=catalog, **kwargs)  # type: ignore[arg-type]


def test_latent_bad_input() -> None:
    customers, tx, catalog = _frames({"a": {"x": 1.0}, "b": {"x": 1.0, "y": 1.0}})
    with pytest.raises(ColumnNotFoundError, match="category_col"):
        latent_needs(customers, transactions=tx, catalog=catalog.drop(columns="category"))
    with pytest.raises(ColumnNotFoundError, match="amount_col"):
        latent_needs(customers, transactions=tx.drop(columns="amount"), catalog=catalog)
    with pytest.raises(SchemaError, match=r"null values found \(1 in 'amount'\)"):
        latent_needs(customers, transactions=tx.assign(amount=[1.0, None, 2.0]), catalog=catalog)
    with pytest.raises(SchemaError, match="not numbers"):
        latent_needs(customers, transactions=tx.assign(amount=["1", "x", "2"]), catalog=catalog)
    two = pd.DataFrame({"product": ["p-x", "p-x"], "category": ["x", "z"]})
    with pytest.raises(SchemaError, match="more than one category"):
        latent_needs(customers, transactions=tx, catalog=two)
    with pytest.warns(KamsegWarning, match=r"1 customer id\(s\) in `transactions` \(1 row"):
        latent_needs(customers.iloc[:1], transactions=tx.iloc[:2], catalog=catalog)


# --------------------------------------------------------------------------------------
# transactions read through the shared preparation
# --------------------------------------------------------------------------------------


def test_side_tables_are_keyword_only(
    customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    with pytest.raises(TypeError):
        need_level(customers, tx, catalog)  # type: ignore[misc]
    with pytest.raises(TypeError):
        latent_needs(customers, tx, catalog)  # type: ignore[misc]


def test_prepared_and_frame_give_identical_results(
    customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    prepared = kamseg.prepare_transactions(tx, product_col="product")
    kw: dict[str, Any] = {"latent_k": 2, "action": True}
    from_frame = need_level(customers, transactions=tx, catalog=catalog, **kw)
    from_prepared = need_level(customers, transactions=prepared, catalog=catalog, **kw)
    pd.testing.assert_frame_equal(from_prepared, from_frame)
    # hand-worked above: the highest level of each customer's products
    assert levels(from_prepared) == ["expected", "basic", "latent", None, "basic"]
    for method, basis in (("knn", "spend"), ("knn", "orders"), ("cooccurrence", "binary")):
        kw = {"method": method, "basis": basis, "n_neighbors": 2}
        pd.testing.assert_frame_equal(
            latent_needs(customers, transactions=prepared, catalog=catalog, **kw),
            latent_needs(customers, transactions=tx, catalog=catalog, **kw),
        )
    # co-occurrence by hand: the other buyer of a's parts and electronics (c) buys software
    co = latent_needs(customers, transactions=prepared, catalog=catalog, method="cooccurrence")
    a = co[co["customer_id"] == "a"]
    assert a["category"].tolist() == ["software"] and a["score"].tolist() == [1.0]


def test_prepared_and_frame_agree_on_demo_data() -> None:
    data = kamseg.datasets.make_transactions(n_customers=300, seed=4)
    prepared = kamseg.prepare_transactions(data.transactions, product_col="product")
    customers = kamseg.summarize(prepared)
    cases: list[tuple[Callable[..., pd.DataFrame], dict[str, Any]]] = [
        (need_level, {"latent_k": 3}),
        (latent_needs, {"k": 2}),
    ]
    for func, kw in cases:
        got = func(customers, transactions=prepared, catalog=data.catalog, **kw)
        want = func(customers, transactions=data.transactions, catalog=data.catalog, **kw)
        pd.testing.assert_frame_equal(got, want)


def test_prepared_on_category(customers: pd.DataFrame, tx: pd.DataFrame) -> None:
    by_cat = pd.DataFrame(
        {
            "category": ["parts", "fluids", "electronics", "software"],
            "need_level": LEVEL_OF.values(),
        }
    )
    tx2 = tx.assign(
        category=tx["product"].map(
            {"bolts": "parts", "oil": "fluids", "sensors": "electronics", "analytics": "software"}
        )
    )
    prepared = kamseg.prepare_transactions(tx2, product_col="category")
    got = need_level(customers, transactions=prepared, catalog=by_cat, on="category")
    want = need_level(customers, transactions=tx2, catalog=by_cat, on="category")
    pd.testing.assert_frame_equal(got, want)
    assert levels(got) == ["expected", "basic", "latent", None, "basic"]


def test_prepared_without_the_catalogue_key(
    customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    bare = kamseg.prepare_transactions(tx)
    with pytest.raises(ConfigError, match=r"prepared without product_col.*product_col='product'"):
        need_level(customers, transactions=bare, catalog=catalog)
    with pytest.raises(ConfigError, match=r"product_col='product'"):
        latent_needs(customers, transactions=bare, catalog=catalog)
    by_product = kamseg.prepare_transactions(tx, product_col="product")
    by_cat = pd.DataFrame({"category": ["parts"], "need_level": ["basic"]})
    with pytest.raises(ConfigError, match=r"prepare them with product_col='category'"):
        need_level(customers, transactions=by_product, catalog=by_cat, on="category")


def test_null_amounts_with_dropna(
    customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    holes = tx.copy()
    holes.loc[3, "amount"] = np.nan  # c's analytics row
    with pytest.raises(SchemaError, match=r"null values found \(1 in 'amount'\).*dropna=True"):
        need_level(customers, transactions=holes, catalog=catalog)
    with pytest.warns(KamsegWarning, match=r"dropped 1 row\(s\) with null values") as caught:
        out = need_level(customers, transactions=holes, catalog=catalog, dropna=True)
    assert len(caught) == 1
    # c keeps bolts (basic) and sensors (expected): expected, no longer latent
    assert levels(out) == ["expected", "basic", "expected", None, "basic"]
    # a's co-occurrence suggestion came from c's software, which is dropped with the row
    with pytest.warns(KamsegWarning, match="dropped 1 row") as caught:
        co = latent_needs(
            customers, transactions=holes, catalog=catalog, method="cooccurrence", dropna=True
        )
    assert len(caught) == 1
    assert co.empty  # a and c buy the same; b and e the same: nothing new for anyone
    # the same as the rows without the null, prepared by hand
    pd.testing.assert_frame_equal(
        out, need_level(customers, transactions=tx.drop(index=3), catalog=catalog)
    )


def test_rows_after_as_of_one_warning(
    customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    # after 2024-03-01: c's bolts (03-02) and sensors (06-30), e's oil (04-01)
    with pytest.warns(KamsegWarning) as caught:
        out = need_level(
            customers, transactions=tx, catalog=catalog, as_of="2024-03-01", latent_k=1
        )
    assert len(caught) == 1
    assert re.search(
        r"excluded 3 transaction\(s\) dated after as_of 2024-03-01", str(caught[0].message)
    )
    assert caught[0].filename == __file__  # points at the caller
    assert levels(out) == ["expected", "basic", "latent", None, None]
    # the customer table's as_of is the default; prepared rows are cut to it, silently
    dated_customers = customers.copy()
    dated_customers.attrs["as_of"] = "2024-03-01"
    with pytest.warns(KamsegWarning) as caught:
        from_frame = latent_needs(dated_customers, transactions=tx, catalog=catalog)
    assert len(caught) == 1 and "excluded 3 transaction(s)" in str(caught[0].message)
    prepared = kamseg.prepare_transactions(tx, product_col="product")  # up to 2024-06-30
    from_prepared = latent_needs(dated_customers, transactions=prepared, catalog=catalog)
    pd.testing.assert_frame_equal(from_prepared, from_frame)
    pd.testing.assert_frame_equal(
        need_level(customers, transactions=prepared, catalog=catalog, as_of="2024-03-01"),
        out.drop(columns="latent_needs"),
    )
    # prepared rows cannot be extended past their own as_of
    early = kamseg.prepare_transactions(tx.iloc[:3], product_col="product")  # up to 02-01
    with pytest.raises(ConfigError, match="after the as_of of the prepared"):
        need_level(customers, transactions=early, catalog=catalog, as_of="2024-06-30")


def test_catalogue_warnings_point_at_the_caller(
    customers: pd.DataFrame, tx: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    small = catalog[catalog["product"] != "analytics"]
    with pytest.warns(KamsegWarning, match="not in the catalogue") as caught:
        need_level(customers, transactions=tx, catalog=small)
    assert [w.filename for w in caught] == [__file__]


# --------------------------------------------------------------------------------------
# the per-customer measures (kamseg.features._needs) against plain pandas
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("basis", ["spend", "orders", "binary"])
def test_category_profile_matches_pandas(basis: str) -> None:
    from kamseg.features._needs import catalog_rows, category_profile, read_catalog

    data = kamseg.datasets.make_transactions(n_customers=200, seed=6)
    tx = data.transactions.copy()
    tx.loc[tx.index[::7], "amount"] *= -0.5  # some returns, netted
    with pytest.warns(KamsegWarning, match="negative amounts"):
        prepared = kamseg.prepare_transactions(tx, product_col="product")
    customers = data.master
    cat = read_catalog(data.catalog, func="t", key_col="product", category_col="category")
    positions = prepared.positions(customers.index, func="t")
    rows = catalog_rows(prepared, positions, len(customers), cat, func="t")
    prof = category_profile(rows, cat, basis=basis, func="t")
    # reference: a pivot of the transactions by customer and category
    category = (
        tx["product"]
        .astype(str)
        .map(dict(zip(data.catalog["product"], data.catalog["category"].astype(str), strict=True)))
    )
    spend = tx.assign(category=category).pivot_table(
        index="customer_id", columns="category", values="amount", aggfunc="sum", fill_value=0.0
    )
    n_rows = tx.assign(category=category).pivot_table(
        index="customer_id", columns="category", values="amount", aggfunc="size", fill_value=0
    )
    spend = spend.reindex(index=customers.index, columns=prof.categories, fill_value=0.0)
    n_rows = n_rows.reindex(index=customers.index, columns=prof.categories, fill_value=0)
    if basis == "spend":
        values = spend.clip(lower=0.0)
    elif basis == "orders":
        values = n_rows.astype(float)
    else:
        values = (n_rows > 0).astype(float)
    bought = (values > 0).to_numpy()
    if basis != "binary":
        values = values.div(values.sum(axis=1), axis=0).fillna(0.0)
    np.testing.assert_array_equal(prof.bought, bought)
    np.testing.assert_allclose(prof.profile, values.to_numpy(), rtol=1e-12, atol=1e-12)
    if basis != "spend":  # by spend, customers whose rows are all returns bought nothing
        assert bought.any(axis=1).sum() == int((~data.master["is_prospect"]).sum())


def test_canonical_rank_by_hand() -> None:
    from kamseg.needs import _canonical_rank

    # sorted ids: the rank is the row (the shortcut); otherwise each id's place in sorted
    # order; ids that cannot be sorted keep their row order
    assert _canonical_rank(pd.Index([2, 5, 9])).tolist() == [0, 1, 2]
    assert _canonical_rank(pd.Index([9, 2, 5])).tolist() == [2, 0, 1]
    assert _canonical_rank(pd.Index(["b", "c", "a"])).tolist() == [1, 2, 0]
    assert _canonical_rank(pd.Index([1, "a", 2.5])).tolist() == [0, 1, 2]


def test_latent_needs_do_not_depend_on_the_customer_order() -> None:
    # sorted ids take the shortcut (no sort); shuffled ids are sorted: same suggestions
    rng = np.random.default_rng(8)
    n, cats = 300, ["a", "b", "c", "d"]
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, n, 2500),
            "date": pd.Timestamp("2024-01-01"),
            "product": rng.choice(cats, 2500, p=[0.4, 0.3, 0.2, 0.1]),
            "amount": rng.choice([5.0, 10.0, 25.0], 2500),
        }
    )
    catalog = pd.DataFrame({"product": cats, "category": [c.upper() for c in cats]})
    ids = pd.Index(range(n), name="customer_id")
    kw: dict[str, Any] = {"transactions": tx, "catalog": catalog, "max_reference": 100}
    in_order = latent_needs(pd.DataFrame(index=ids), **kw)
    shuffled = latent_needs(pd.DataFrame(index=ids[rng.permutation(n)]), **kw)
    key = ["customer_id", "rank"]
    pd.testing.assert_frame_equal(
        shuffled.sort_values(key).reset_index(drop=True),
        in_order.sort_values(key).reset_index(drop=True),
        check_exact=True,
    )
    assert len(in_order) > 0
