"""Tests for kamseg.datasets: the synthetic generator and the CDNOW loaders."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kamseg
from kamseg.datasets import Dataset, load_cdnow, load_cdnow_summary, make_transactions
from kamseg.errors import ConfigError

AS_OF = pd.Timestamp("2024-12-31")
START = pd.Timestamp("2022-01-01")
N_DAYS = (AS_OF - START).days  # the window's last day, counted from start (day 0)


@pytest.fixture(scope="module")
def data() -> Dataset:
    return make_transactions(20_000, seed=7)


@pytest.fixture(scope="module")
def big() -> Dataset:
    return make_transactions(60_000, seed=11)


def buyers_of(d: Dataset) -> pd.DataFrame:
    return d.truth[~d.truth["is_prospect"]]


# ----------------------------------------------------------------------------- determinism


def test_same_seed_gives_equal_frames() -> None:
    x = make_transactions(500, seed=3)
    y = make_transactions(500, seed=3)
    for name in ("transactions", "master", "surveys", "complaints", "catalog", "truth"):
        pd.testing.assert_frame_equal(getattr(x, name), getattr(y, name))
    assert x.as_of == y.as_of
    assert dict(x.params) == dict(y.params)


def test_different_seed_gives_different_data() -> None:
    x = make_transactions(500, seed=3)
    y = make_transactions(500, seed=4)
    assert not x.truth["purchase_rate"].equals(y.truth["purchase_rate"])
    assert len(x.transactions) != len(y.transactions) or not x.transactions["amount"].equals(
        y.transactions["amount"]
    )


# ----------------------------------------------------------------------------- shape and types


def test_sizes_and_prospects(data: Dataset) -> None:
    # 20,000 customers with prospect_share 0.1 -> floor(2,000.0) = 2,000 prospects.
    assert len(data.master) == 20_000
    assert len(data.truth) == 20_000
    assert int(data.master["is_prospect"].sum()) == 2_000
    assert data.master.index.equals(data.truth.index)
    assert data.master.index.is_unique
    assert data.master.index.tolist() == list(range(1, 20_001))
    prospects = data.master.index[data.master["is_prospect"]]
    tx_customers = pd.Index(data.transactions["customer_id"].unique())
    assert tx_customers.intersection(prospects).empty
    assert tx_customers.isin(data.master.index).all()
    # every non-prospect bought at least once
    assert len(tx_customers) == 18_000
    assert data.truth["is_prospect"].equals(data.master["is_prospect"])


def test_prospect_count_is_floor_of_share() -> None:
    d = make_transactions(7, seed=0, prospect_share=0.5)  # floor(3.5) = 3
    assert int(d.truth["is_prospect"].sum()) == 3
    one = make_transactions(1, seed=0, prospect_share=0.9)  # floor(0.9) = 0: one buyer
    assert not one.truth["is_prospect"].any()
    assert len(one.transactions) >= 1
    none = make_transactions(50, seed=0, prospect_share=0.0)
    assert not none.master["is_prospect"].any()


def test_dtypes(data: Dataset) -> None:
    tx = data.transactions
    assert tx.columns.tolist() == [
        "order_id",
        "customer_id",
        "date",
        "product",
        "amount",
        "profit",
    ]
    assert tx["order_id"].dtype == np.int64
    assert tx["customer_id"].dtype == np.int64
    assert tx["date"].dtype == np.dtype("datetime64[us]")
    assert isinstance(tx["product"].dtype, pd.CategoricalDtype)
    assert tx["amount"].dtype == np.float64
    assert tx["profit"].dtype == np.float64
    assert tx["order_id"].is_unique
    for frame in (data.master, data.truth):
        assert frame.index.name == "customer_id"
        assert frame.index.dtype == np.int64
    for frame in (data.surveys, data.complaints):
        assert frame["customer_id"].dtype == np.int64
        assert frame["date"].dtype == np.dtype("datetime64[us]")
    assert data.surveys["nps"].dtype == np.int64
    assert data.surveys["csat"].dtype == np.int64
    assert data.complaints["resolved"].dtype == bool
    assert data.complaints["severity"].cat.ordered
    assert data.complaints["severity"].cat.categories.tolist() == ["low", "medium", "high"]
    assert data.master["size_tier"].cat.categories.tolist() == [
        "small",
        "medium",
        "large",
        "enterprise",
    ]
    assert data.master["acquisition_date"].dtype == np.dtype("datetime64[us]")
    assert data.truth["dropout_date"].dtype == np.dtype("datetime64[us]")
    assert data.truth["alive"].dtype == bool
    assert isinstance(data.as_of, pd.Timestamp)
    assert data.as_of == AS_OF


def test_dates_midnight_and_inside_window(data: Dataset) -> None:
    for frame in (data.transactions, data.surveys, data.complaints):
        dates = frame["date"]
        assert dates.min() >= START
        assert dates.max() <= AS_OF
        assert (dates == dates.dt.normalize()).all()
    acq = data.master["acquisition_date"]
    assert acq.min() >= START
    assert acq.max() <= AS_OF


def test_sorted_by_date_then_customer(data: Dataset) -> None:
    tx = data.transactions
    key = tx[["date", "customer_id"]]
    assert key.equals(key.sort_values(["date", "customer_id"], kind="stable"))
    assert tx["order_id"].tolist() == list(range(1, len(tx) + 1))


def test_custom_window() -> None:
    d = make_transactions(300, seed=1, start="2020-03-15", as_of=dt.date(2020, 6, 30))
    assert d.transactions["date"].min() >= pd.Timestamp("2020-03-15")
    assert d.transactions["date"].max() <= pd.Timestamp("2020-06-30")
    assert d.as_of == pd.Timestamp("2020-06-30")
    # a time of day is dropped
    e = make_transactions(50, seed=1, as_of="2024-12-31 17:45")
    assert e.as_of == AS_OF


def test_one_day_window() -> None:
    d = make_transactions(40, seed=2, start="2024-12-30", as_of="2024-12-31")
    dates = d.transactions["date"]
    assert dates.min() >= pd.Timestamp("2024-12-30")
    assert dates.max() <= pd.Timestamp("2024-12-31")


# ----------------------------------------------------------------------------- catalogue


def test_catalog(data: Dataset) -> None:
    cat = data.catalog
    assert cat.columns.tolist() == ["product", "category", "need_level", "unit_price"]
    assert cat["product"].is_unique
    assert {"basic", "expected"} <= set(cat["need_level"].astype(str))
    assert set(cat["need_level"].astype(str)) <= {"basic", "expected", "latent"}
    assert (cat["unit_price"] > 0).all()
    used = set(data.transactions["product"].astype(str))
    assert used <= set(cat["product"])
    assert set(data.transactions["product"].cat.categories) == set(cat["product"])
    levels = data.transactions["product"].map(cat.set_index("product")["need_level"])
    assert {"basic", "expected", "latent"} <= set(levels.astype(str))


# ----------------------------------------------------------------------------- money


def top_share(revenue: np.ndarray, share: float = 0.2) -> float:
    """Share of the total made by the top `share` of customers (simple reference)."""
    values = sorted(revenue.tolist(), reverse=True)
    k = round(len(values) * share)
    return math.fsum(values[:k]) / math.fsum(values)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_top_20_percent_make_most_revenue(seed: int) -> None:
    d = make_transactions(10_000, seed=seed)
    revenue = d.transactions.groupby("customer_id")["amount"].sum().to_numpy()
    assert len(revenue) == 9_000
    assert 0.6 <= top_share(revenue) <= 0.9


def test_amounts_profit_and_margin(data: Dataset) -> None:
    tx = data.transactions
    assert (tx["amount"] > 0).all()
    assert np.allclose(tx["amount"], tx["amount"].round(2), rtol=0, atol=1e-9)
    margin = tx["customer_id"].map(data.truth["margin"])
    np.testing.assert_allclose(tx["profit"], tx["amount"] * margin, rtol=1e-12)
    assert data.truth["margin"].between(0, 1, inclusive="neither").all()
    assert 0.2 < data.truth["margin"].mean() < 0.3


def test_mean_order_value_matches_truth(big: Dataset) -> None:
    # Gamma-Gamma: E[order value | customer] = mean_spend, so amount / mean_spend averages 1.
    tx = big.transactions
    ratio = tx["amount"] / tx["customer_id"].map(big.truth["mean_spend"])
    assert ratio.mean() == pytest.approx(1.0, abs=0.02)
    # population mean order value p * gamma / (q - 1) = 6 * 250 / 3 = 500
    assert tx["amount"].mean() == pytest.approx(500.0, rel=0.1)


def test_some_customers_do_not_earn_their_cost_to_serve(data: Dataset) -> None:
    buyers = buyers_of(data)
    profit = data.transactions.groupby("customer_id")["profit"].sum()
    years = ((AS_OF - buyers["first_purchase"]).dt.days + 1) / 365.25
    net = profit.reindex(buyers.index) - buyers["cost_to_serve"] * years
    share_unprofitable = float((net < 0).mean())
    assert 0.05 < share_unprofitable < 0.6
    assert data.master["cost_to_serve"].gt(0).all()
    assert data.master["cost_to_serve"].equals(data.truth["cost_to_serve"])


# ----------------------------------------------------------------------------- purchase process


def test_mean_transactions_per_buyer_is_about_ten(data: Dataset) -> None:
    counts = data.transactions.groupby("customer_id").size()
    assert 8 <= counts.mean() <= 12
    assert counts.max() > 5 * counts.mean()  # heavy tail
    assert counts.reindex(buyers_of(data).index).equals(buyers_of(data)["n_transactions"])


def test_alive_consistent_with_dropout_date(data: Dataset) -> None:
    truth = data.truth
    buyers = buyers_of(data)
    expected_alive = buyers["dropout_date"].isna() | (buyers["dropout_date"] > data.as_of)
    assert buyers["alive"].equals(expected_alive)
    assert (buyers["dropout_date"].dropna() <= data.as_of).all()
    prospects = truth[truth["is_prospect"]]
    assert not prospects["alive"].any()
    assert prospects["dropout_date"].isna().all()
    assert prospects["first_purchase"].isna().all()
    assert prospects["purchase_rate"].isna().all()
    assert buyers["purchase_rate"].notna().all()
    # both states occur
    assert 0.1 < buyers["alive"].mean() < 0.95


def test_no_purchase_after_dropout(data: Dataset) -> None:
    tx = data.transactions
    last = tx.groupby("customer_id")["date"].max()
    first = tx.groupby("customer_id")["date"].min()
    buyers = buyers_of(data)
    dead = buyers[~buyers["alive"]]
    assert (last.reindex(dead.index) <= dead["dropout_date"]).all()
    # the customer drops out right after the last purchase
    assert last.reindex(dead.index).equals(dead["dropout_date"].rename("date"))
    assert first.reindex(buyers.index).equals(buyers["first_purchase"].rename("date"))
    assert first.reindex(buyers.index).equals(
        data.master.loc[buyers.index, "acquisition_date"].rename("date")
    )


def test_share_alive_matches_bgnbd(big: Dataset) -> None:
    # Given λ, θ and exposure L: K = 1 + Poisson(λL) purchases without dropout, and the
    # customer survives all of them with probability E[(1-θ)^K] = (1-θ) exp(-λLθ).
    buyers = buyers_of(big)
    exposure = (big.as_of - buyers["first_purchase"]).dt.days + 0.5
    lam, theta = buyers["purchase_rate"], buyers["dropout_prob"]
    expected = float(((1 - theta) * np.exp(-lam * exposure * theta)).sum())
    assert buyers["alive"].sum() == pytest.approx(expected, rel=0.03)


def test_repeat_rate_of_alive_customers_matches_truth(big: Dataset) -> None:
    buyers = buyers_of(big)
    alive = buyers[buyers["alive"]]
    exposure = (big.as_of - alive["first_purchase"]).dt.days + 0.5  # mid-day birth
    repeats = alive["n_transactions"] - 1
    lam, theta = alive["purchase_rate"], alive["dropout_prob"]
    # loose: the empirical rate of alive customers is close to the true rate λ
    assert (repeats / exposure).mean() == pytest.approx(lam.mean(), rel=0.15)
    # exact in expectation: survivors' counts are Poisson(λL(1-θ)) (tilted by (1-θ)^K)
    assert repeats.sum() == pytest.approx(float((lam * exposure * (1 - theta)).sum()), rel=0.03)


def test_true_parameters_follow_their_priors(big: Dataset) -> None:
    buyers = buyers_of(big)
    assert buyers["purchase_rate"].mean() == pytest.approx(0.75 / 27.0, rel=0.05)
    assert buyers["dropout_prob"].mean() == pytest.approx(1.2 / 21.2, rel=0.05)
    assert big.truth["size_factor"].mean() == pytest.approx(1.0, rel=0.05)


# ----------------------------------------------------------------------------- side tables


def test_surveys_in_range_and_churned_less_satisfied(big: Dataset) -> None:
    s = big.surveys
    assert s["nps"].between(0, 10).all()
    assert s["csat"].between(1, 5).all()
    assert s["customer_id"].isin(buyers_of(big).index).all()
    alive = s["customer_id"].map(big.truth["alive"])
    assert s.loc[alive, "nps"].mean() > s.loc[~alive, "nps"].mean() + 1
    assert s.loc[alive, "csat"].mean() > s.loc[~alive, "csat"].mean() + 0.3
    first = s["customer_id"].map(big.truth["first_purchase"])
    assert (s["date"] >= first).all()


def test_complaints(big: Dataset) -> None:
    c = big.complaints
    assert c.columns.tolist() == ["customer_id", "date", "category", "severity", "resolved"]
    assert len(c) > 0
    assert c["customer_id"].isin(buyers_of(big).index).all()
    first = c["customer_id"].map(big.truth["first_purchase"])
    assert (c["date"] >= first).all()
    assert set(c["severity"].astype(str)) == {"low", "medium", "high"}
    assert 0.5 < c["resolved"].mean() < 1
    # unhappy customers complain more per order
    per_order = c.groupby("customer_id").size().reindex(buyers_of(big).index, fill_value=0)
    per_order = per_order / buyers_of(big)["n_transactions"]
    unhappy = buyers_of(big)["satisfaction"] < 0
    assert per_order[unhappy].mean() > per_order[~unhappy].mean()


def test_master_attributes(data: Dataset) -> None:
    m = data.master
    for col in ("market_influence", "strategic_fit"):
        assert m[col].between(0, 1).all()
    assert (m["employees"] >= 1).all()
    tiers = pd.cut(
        m["employees"],
        [0, 49, 249, 999, np.inf],
        labels=["small", "medium", "large", "enterprise"],
    )
    assert (tiers.astype(str) == m["size_tier"].astype(str)).all()
    assert m["industry"].nunique() > 3
    assert m["region"].nunique() > 3


# ----------------------------------------------------------------------------- container


def test_frozen_container(data: Dataset) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.transactions = data.transactions  # type: ignore[misc]
    with pytest.raises(TypeError):
        data.params["seed"] = 1  # type: ignore[index]
    assert data.params["n_customers"] == 20_000
    assert data.params["seed"] == 7
    assert data.params["as_of"] == AS_OF


def test_repr_is_a_summary(data: Dataset) -> None:
    text = repr(data)
    assert text.startswith("Dataset(")
    assert f"transactions={len(data.transactions):,} rows" in text
    assert "customers=20,000 (2,000 prospects)" in text
    assert "as_of=2024-12-31" in text
    assert "\n" not in text


# ----------------------------------------------------------------------------- argument errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_customers": 0}, r"`n_customers` must be between 1 and inf; got 0"),
        ({"n_customers": -5}, r"`n_customers`"),
        ({"n_customers": 2.5}, r"`n_customers` must be an integer"),
        ({"n_customers": True}, r"`n_customers` must be an integer"),
        ({"seed": -1}, r"`seed`"),
        ({"start": "not a date"}, r"`start` must be a date"),
        ({"as_of": "2024-13-45"}, r"`as_of` must be a date"),
        ({"as_of": 20241231}, r"`as_of` must be a date"),
        ({"as_of": None}, r"`as_of` must be a date"),
        ({"as_of": "2024-12-31T00:00+01:00"}, r"`as_of` must be a naive date"),
        ({"start": "2024-12-31"}, r"`start` \(2024-12-31\) must be before `as_of`"),
        ({"start": "2025-01-01"}, r"must be before `as_of`"),
        ({"prospect_share": 1.0}, r"`prospect_share` must be a number in \[0, 1\)"),
        ({"prospect_share": -0.1}, r"`prospect_share`"),
        ({"prospect_share": float("nan")}, r"`prospect_share`"),
        ({"prospect_share": "10%"}, r"`prospect_share`"),
        ({"r": 0}, r"`r` must be a number in \(0, inf\)"),
        ({"alpha": -1.0}, r"`alpha`"),
        ({"b": float("inf")}, r"`b`"),
        ({"margin_mean": 1.0}, r"`margin_mean`"),
        ({"size_sigma": -0.5}, r"`size_sigma`"),
        ({"survey_rate": -1}, r"`survey_rate`"),
    ],
)
def test_argument_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        make_transactions(**kwargs)  # type: ignore[arg-type]


def test_config_error_is_value_error() -> None:
    with pytest.raises(ValueError, match="n_customers"):
        make_transactions(0)


def test_zero_rates_and_pure_gamma_gamma() -> None:
    d = make_transactions(300, seed=5, survey_rate=0, complaint_rate=0, size_sigma=0)
    assert d.surveys.empty
    assert d.complaints.empty
    assert d.surveys["nps"].dtype == np.int64
    assert (d.truth["size_factor"] == 1.0).all()


# ----------------------------------------------------------------------------- CDNOW


def lifetimes_file(name: str) -> Path:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("lifetimes is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / name


def test_load_cdnow() -> None:
    path = lifetimes_file("CDNOW_master.txt")
    cd = load_cdnow()
    assert cd.columns.tolist() == ["customer_id", "date", "quantity", "amount"]
    assert len(cd) == 69_659
    assert cd["customer_id"].nunique() == 23_570
    assert cd["date"].min() == pd.Timestamp("1997-01-01")
    assert cd["date"].max() == pd.Timestamp("1998-06-30")
    assert cd["customer_id"].dtype == np.int64
    assert cd["date"].dtype == np.dtype("datetime64[us]")
    assert cd["quantity"].dtype == np.int64
    assert cd["amount"].dtype == np.float64
    # independent reading of the file
    with open(path, encoding="ascii") as fh:
        rows = [line.split() for line in fh.readlines()[1:] if line.strip()]
    assert len(rows) == 69_659
    assert math.fsum(cd["amount"]) == math.fsum(float(r[3]) for r in rows)
    assert int(cd["quantity"].sum()) == sum(int(r[2]) for r in rows)
    assert cd["customer_id"].iloc[0] == int(rows[0][0])
    assert cd["date"].iloc[-1] == pd.Timestamp(rows[-1][1])


def test_load_cdnow_summary() -> None:
    path = lifetimes_file("cdnow_customers_summary.csv")
    s = load_cdnow_summary()
    assert s.shape == (2_357, 3)
    assert s.index.name == "customer_id"
    assert s.index.dtype == np.int64
    assert s.columns.tolist() == ["frequency", "recency", "T"]
    assert (s.dtypes == np.float64).all()
    # Fader, Hardie & Lee (2005): customer 1 made x=2 repeats, t_x=30.43, T=38.86 weeks
    assert s.loc[[1]].to_numpy().tolist() == [[2.0, 30.43, 38.86]]
    with open(path, newline="", encoding="ascii") as fh:
        rows = list(csv.DictReader(fh))
    assert math.fsum(s["frequency"]) == math.fsum(float(r["frequency"]) for r in rows)
    assert math.fsum(s["T"]) == math.fsum(float(r["T"]) for r in rows)


@pytest.mark.parametrize("loader", [load_cdnow, load_cdnow_summary])
def test_cdnow_without_lifetimes(monkeypatch: pytest.MonkeyPatch, loader: object) -> None:
    real = importlib.util.find_spec

    def fake(name: str, package: str | None = None) -> object:
        return None if name == "lifetimes" else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", fake)
    with pytest.raises(ImportError, match=r'pip install "kamseg\[lifetimes\]"'):
        loader()  # type: ignore[operator]


def test_imports_stay_light() -> None:
    code = (
        "import sys, kamseg.datasets as d\n"
        "d.make_transactions(50, seed=0)\n"
        "d.make_invoice_lines(50, seed=0)\n"
        "heavy = {'lifetimes', 'scipy', 'sklearn', 'matplotlib'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    if importlib.util.find_spec("lifetimes") is not None:
        code += "d.load_cdnow(); d.load_cdnow_summary()\nassert 'lifetimes' not in sys.modules\n"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_draw_bgnbd_matches_the_model() -> None:
    """BG/NBD draws: the mean number of repeat purchases is the model's E[X(T)] (closed
    form with the Gaussian hypergeometric function, Fader, Hardie & Lee 2005, eq. 9) within
    4 standard errors, and a BG/NBD fit recovers the parameters."""
    from scipy.special import hyp2f1

    r, alpha, a, b, t = 0.6, 25.0, 1.5, 8.0, 400.0
    d = kamseg.datasets.draw_bgnbd(np.full(60_000, t), r=r, alpha=alpha, a=a, b=b, seed=3)
    assert list(d.columns) == ["frequency", "recency", "T"]
    assert (d["recency"] <= d["T"]).all() and (d.loc[d["frequency"] == 0, "recency"] == 0).all()
    expected = (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    )
    se = d["frequency"].std() / np.sqrt(len(d))
    assert abs(d["frequency"].mean() - expected) < 4 * se
    fitted = kamseg.clv.fit(d, model="bgnbd").params
    for name, true in {"r": r, "alpha": alpha, "a": a, "b": b}.items():
        assert fitted[name] == pytest.approx(true, rel=0.1), name
