"""Tests for kamseg.cluster: data-driven segments, their names and profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamseg.cluster import cluster_customers, cluster_profile
from kamseg.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    KamsegWarning,
    SchemaError,
)

FEATURES = ["days_since_last", "n_orders", "revenue"]

# (days since last purchase, orders, revenue) at the centre of each blob
BLOBS = {
    "vip": (10.0, 30.0, 8000.0),  # recent, frequent, high spenders
    "new": (15.0, 1.0, 60.0),  # recent, occasional, low spenders
    "gone": (600.0, 2.0, 80.0),  # lapsed, occasional, low spenders
}


def blobs(sizes: tuple[int, int, int] = (40, 50, 60), seed: int = 1) -> pd.DataFrame:
    """Three well-separated groups (log-normal around the centres, spread ~20 %)."""
    rng = np.random.default_rng(seed)
    parts = []
    for (name, (d, f, m)), n in zip(BLOBS.items(), sizes, strict=True):
        parts.append(
            pd.DataFrame(
                {
                    "days_since_last": np.round(d * rng.lognormal(0, 0.2, n)),
                    "n_orders": np.round(f * rng.lognormal(0, 0.2, n)) + 1,
                    "revenue": m * rng.lognormal(0, 0.2, n),
                    "truth": name,
                },
                index=[f"{name}{i}" for i in range(n)],
            )
        )
    return pd.concat(parts).rename_axis("customer_id")


@pytest.fixture(scope="module")
def three() -> pd.DataFrame:
    return blobs()


def names_by_truth(out: pd.DataFrame) -> dict[str, str]:
    pairs = out.groupby("truth")["cluster_name"].agg(lambda s: set(s.astype(str)))
    assert all(len(v) == 1 for v in pairs)  # each true group lands in one cluster
    return {k: next(iter(v)) for k, v in pairs.items()}


# --------------------------------------------------------------------------------------
# choosing k, names, order
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_three_blobs_found_and_named(three: pd.DataFrame, method: str) -> None:
    out = cluster_customers(three, method=method, seed=0)  # type: ignore[arg-type]
    info = out.attrs["kamseg_cluster"]
    assert info["k"] == 3
    assert info["criterion"] == ("bic" if method == "gmm" else "silhouette")
    assert sorted(info["scores"]) == list(range(2, 9))
    best = (min if method == "gmm" else max)(info["scores"].values())
    assert info["scores"][3] == best
    assert names_by_truth(out) == {
        "vip": "recent frequent high spenders",
        "new": "recent occasional low spenders",
        "gone": "lapsed occasional low spenders",
    }
    # numbered by value: lapsed low spenders 0, recent low spenders 1, VIPs 2
    assert out.groupby("truth")["cluster"].first().to_dict() == {"gone": 0, "new": 1, "vip": 2}


def test_output_columns_and_dtypes(three: pd.DataFrame) -> None:
    three = three.copy()
    three.attrs = {"as_of": "2024-12-31"}
    before = three.copy()
    out = cluster_customers(three)
    pd.testing.assert_frame_equal(three, before)
    assert three.attrs == {"as_of": "2024-12-31"}
    assert out.attrs["as_of"] == "2024-12-31"
    assert list(out.columns) == [*three.columns, "cluster", "cluster_name"]
    assert out.index.equals(three.index)
    assert out["cluster"].dtype == np.int64
    cat = out["cluster_name"].dtype
    assert isinstance(cat, pd.CategoricalDtype) and cat.ordered
    assert (out["cluster_name"].cat.codes.to_numpy() == out["cluster"].to_numpy()).all()
    assert out.attrs["kamseg_cluster"]["features"] == FEATURES
    pd.testing.assert_frame_equal(out[three.columns], three)  # input columns unchanged


def test_k_given(three: pd.DataFrame) -> None:
    out = cluster_customers(three, k=2)
    assert out.attrs["kamseg_cluster"]["criterion"] is None
    assert out.attrs["kamseg_cluster"]["scores"] == {}
    assert names_by_truth(out)["vip"] == "recent frequent high spenders"
    assert out["cluster"].nunique() == 2
    # the two low-value blobs share the low-value cluster
    assert out.loc[out["truth"] != "vip", "cluster"].eq(0).all()


def test_duplicate_names_are_numbered_from_the_most_valuable() -> None:
    # four groups that differ only by revenue: two low, two high
    rng = np.random.default_rng(3)
    levels = [10.0, 100.0, 10_000.0, 100_000.0]
    df = pd.DataFrame(
        {
            "days_since_last": 30.0,
            "n_orders": 5.0,
            "revenue": np.repeat(levels, 20) * rng.lognormal(0, 0.05, 80),
        }
    )
    out = cluster_customers(df, k=4)
    first = out.groupby("cluster")["cluster_name"].first().astype(str).tolist()
    # constant recency and frequency sit at the average (z = 0): "recent", "occasional"
    assert first == [
        "recent occasional low spenders (2)",
        "recent occasional low spenders (1)",
        "recent occasional high spenders (2)",
        "recent occasional high spenders (1)",
    ]
    assert (out.groupby("cluster")["revenue"].mean().diff().dropna() > 0).all()


def test_labels_zh(three: pd.DataFrame) -> None:
    out = cluster_customers(three, labels="zh")
    assert names_by_truth(out) == {
        "vip": "近期高频高消费客户",
        "new": "近期低频低消费客户",
        "gone": "沉睡低频低消费客户",
    }


def test_names_without_monetary_and_with_extra(three: pd.DataFrame) -> None:
    out = cluster_customers(three, monetary_col=None, k=3)
    assert set(names_by_truth(out).values()) == {
        "recent frequent customers",
        "recent occasional customers",
        "lapsed occasional customers",
    }
    df = three.assign(profit=three["revenue"] * 0.2)
    out = cluster_customers(df, extra_cols=["profit"])
    assert out.attrs["kamseg_cluster"]["features"] == [*FEATURES, "profit"]
    assert out.attrs["kamseg_cluster"]["k"] == 3
    assert names_by_truth(out)["vip"] == "recent frequent high spenders"


# --------------------------------------------------------------------------------------
# reproducibility
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_same_seed_same_clusters_and_row_order_does_not_matter(method: str) -> None:
    df = blobs(seed=5)
    # blur the blobs so that the fit is not trivial
    df["revenue"] *= np.random.default_rng(0).lognormal(0, 0.8, len(df))
    a = cluster_customers(df, method=method, seed=7)  # type: ignore[arg-type]
    b = cluster_customers(df, method=method, seed=7)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(a, b)
    shuffled = df.sample(frac=1.0, random_state=11)
    c = cluster_customers(shuffled, method=method, seed=7)  # type: ignore[arg-type]
    assert c.index.equals(shuffled.index)  # row order kept
    pd.testing.assert_frame_equal(c.loc[a.index], a, check_like=False)


def test_sample_for_choosing_k(three: pd.DataFrame) -> None:
    out = cluster_customers(three, sample_size=60, seed=2)
    assert out.attrs["kamseg_cluster"]["k"] == 3
    assert len(names_by_truth(out)) == 3
    again = cluster_customers(three, sample_size=60, seed=2)
    assert out["cluster"].equals(again["cluster"])


# --------------------------------------------------------------------------------------
# awkward data
# --------------------------------------------------------------------------------------


def test_negative_revenue_uses_signed_log() -> None:
    df = pd.DataFrame(
        {
            "days_since_last": [5.0, 6, 7, 5, 6, 7],
            "n_orders": [3.0, 3, 3, 3, 3, 3],
            "revenue": [-500.0, -450, -480, 900, 950, 1000],
        }
    )
    out = cluster_customers(df, k=2)
    assert out["cluster"].tolist() == [0, 0, 0, 1, 1, 1]
    assert out["cluster_name"].astype(str).tolist()[-1].endswith("high spenders")


def test_identical_customers_make_one_cluster() -> None:
    df = pd.DataFrame({"days_since_last": [10.0] * 5, "n_orders": 2, "revenue": 100.0})
    with pytest.warns(KamsegWarning, match="only 1 distinct customer profile"):
        out = cluster_customers(df)
    assert out["cluster"].tolist() == [0] * 5
    assert out["cluster_name"].astype(str).tolist() == ["all customers"] * 5
    with pytest.raises(ConfigError, match="k=2 clusters but only 1 distinct"):
        cluster_customers(df, k=2)


def test_one_and_two_customers() -> None:
    one = pd.DataFrame({"days_since_last": [3.0], "n_orders": [1], "revenue": [10.0]})
    with pytest.warns(KamsegWarning, match="only 1 distinct"):
        assert cluster_customers(one)["cluster"].tolist() == [0]
    two = pd.DataFrame({"days_since_last": [3.0, 300], "n_orders": [9, 1], "revenue": [1e4, 5]})
    out = cluster_customers(two)  # too few to score models: k = 2, no warning
    assert out["cluster"].tolist() == [1, 0]
    assert out["cluster_name"].astype(str).tolist() == [
        "recent frequent high spenders",
        "lapsed occasional low spenders",
    ]


def test_overwrite(three: pd.DataFrame) -> None:
    out = cluster_customers(three, k=2)
    with pytest.raises(ConfigError, match="overwrite=True"):
        cluster_customers(out, k=3)
    again = cluster_customers(out, k=3, overwrite=True)
    assert again["cluster"].nunique() == 3


def test_errors(three: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match=r"`method`.*Did you mean 'gmm'"):
        cluster_customers(three, method="GMM")  # type: ignore[arg-type]
    with pytest.raises(ColumnNotFoundError, match=r"'revenu'.*Did you mean 'revenue'"):
        cluster_customers(three, monetary_col="revenu")
    with pytest.raises(ColumnNotFoundError, match="extra_cols"):
        cluster_customers(three, extra_cols=["profit"])
    for bad in [(1, 5), (3, 2), (2, 21), (2,), "2-8", (2.0, 8)]:
        with pytest.raises(ConfigError, match="`k_range`"):
            cluster_customers(three, k_range=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="`k`"):
        cluster_customers(three, k=0)
    with pytest.raises(ConfigError, match="`seed`"):
        cluster_customers(three, seed=-1)
    with pytest.raises(ConfigError, match="`extra_cols`"):
        cluster_customers(three, extra_cols="revenue")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="named twice"):
        cluster_customers(three, extra_cols=["revenue"])
    with pytest.raises(ConfigError, match="no feature"):
        cluster_customers(three, days_since_last_col=None, frequency_col=None, monetary_col=None)
    with pytest.raises(ConfigError, match="`labels`"):
        cluster_customers(three, labels="de")  # type: ignore[arg-type]
    with pytest.raises(EmptyInputError):
        cluster_customers(three.iloc[:0])
    with pytest.raises(SchemaError, match="not numbers"):
        cluster_customers(three, monetary_col="truth")
    with_nan = three.assign(revenue=three["revenue"].where(three.index != "vip3"))
    with pytest.raises(SchemaError, match=r"1 value.*null.*'vip3'"):
        cluster_customers(with_nan)


# --------------------------------------------------------------------------------------
# cluster_profile
# --------------------------------------------------------------------------------------


def test_profile_by_hand() -> None:
    df = pd.DataFrame(
        {
            "cluster": [1, 0, 1, 1],
            "cluster_name": ["big", "small", "big", "big"],
            "revenue": [100.0, 5.0, 200.0, 600.0],
            "n_orders": [2, 1, 4, 9],
        }
    )
    p = cluster_profile(df, feature_cols=["revenue", "n_orders"])
    assert p.index.tolist() == [0, 1] and p.index.name == "cluster"
    assert list(p.columns) == [
        "cluster_name",
        "size",
        "share",
        "revenue_mean",
        "revenue_median",
        "n_orders_mean",
        "n_orders_median",
    ]
    assert p["cluster_name"].tolist() == ["small", "big"]
    assert p["size"].tolist() == [1, 3] and p["size"].dtype == np.int64
    assert p["share"].tolist() == [0.25, 0.75]
    assert p["revenue_mean"].tolist() == [5.0, 300.0]
    assert p["revenue_median"].tolist() == [5.0, 200.0]
    assert p["n_orders_mean"].tolist() == [1.0, 5.0]
    assert p["n_orders_median"].tolist() == [1.0, 4.0]
    assert list(cluster_profile(df, feature_cols=["revenue"], name_col=None).columns[:2]) == [
        "size",
        "share",
    ]


def test_profile_of_clustered_frame(three: pd.DataFrame) -> None:
    out = cluster_customers(three)
    p = cluster_profile(out)  # features from attrs
    assert [c for c in p.columns if c.endswith("_mean")] == [f"{f}_mean" for f in FEATURES]
    assert p["size"].sum() == len(three) and p["share"].sum() == pytest.approx(1.0)
    assert p["cluster_name"].tolist() == list(out["cluster_name"].cat.categories)
    expected = out.groupby("cluster")["revenue"].median()
    assert np.allclose(p["revenue_median"], expected)
    plain = out.copy()
    plain.attrs = {}
    assert list(cluster_profile(plain).columns) == list(p.columns)  # default features


def test_profile_errors() -> None:
    df = pd.DataFrame({"cluster": [0, 0], "cluster_name": ["a", "b"], "revenue": [1.0, 2.0]})
    with pytest.raises(SchemaError, match="one name per cluster"):
        cluster_profile(df)
    with pytest.raises(ColumnNotFoundError, match="feature_cols"):
        cluster_profile(df, feature_cols=["profit"])
    with pytest.raises(ColumnNotFoundError, match="cluster_col"):
        cluster_profile(df, cluster_col="segment")
    with pytest.raises(SchemaError, match="null"):
        cluster_profile(df.assign(cluster=[0, None]), name_col=None)
    with pytest.raises(ConfigError, match="`feature_cols`"):
        cluster_profile(df, feature_cols="revenue")
