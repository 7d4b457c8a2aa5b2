"""Data-driven customer segments: k-means or a Gaussian mixture on RFM and value features.

- :func:`cluster_customers` groups customers by recency, frequency, monetary value (and
  optional extra value columns) into clusters, choosing their number by silhouette (k-means)
  or BIC (Gaussian mixture) when it is not given, and names each cluster from its profile,
  e.g. "recent frequent high spenders";
- :func:`cluster_profile` gives one row per cluster: size, share, mean and median of each
  feature, name.

Unlike RFM segments (fixed rules on scores), these segments follow the shape of the data;
unlike RFM, their number and boundaries change when the data change. The result does not
depend on the row order and is reproducible with `seed`.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._validation import (
    check_choice,
    check_columns,
    check_frame,
    check_int,
    check_no_overwrite,
    examples,
    to_float,
    warn,
)
from kamseg.errors import ConfigError, ConvergenceError, SchemaError
from kamseg.labels import Language, check_language

__all__ = [
    "CLUSTER_NAME_PARTS",
    "ClusterMethod",
    "cluster_customers",
    "cluster_profile",
]

ClusterMethod = Literal["kmeans", "gmm"]
"""Clustering algorithm: k-means, or a Gaussian mixture with full covariances."""

#: Words of the automatic cluster names: attribute -> (low word, high word) per language.
#: For recency "low" means few days since the last purchase (recent).
CLUSTER_NAME_PARTS: Mapping[str, Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "en": {
            "recency": ("recent", "lapsed"),
            "frequency": ("occasional", "frequent"),
            "monetary": ("low spenders", "high spenders"),
            "customers": ("customers", "customers"),
            "all": ("all customers", "all customers"),
        },
        "zh": {
            "recency": ("近期", "沉睡"),
            "frequency": ("低频", "高频"),
            "monetary": ("低消费客户", "高消费客户"),
            "customers": ("客户", "客户"),
            "all": ("全部客户", "全部客户"),
        },
    }
)

_ATTR = "kamseg_cluster"
_KMEANS_N_INIT = 10
_GMM_N_INIT = 3
_GMM_REG_COVAR = 0.05
_MAX_K = 20


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _feature_matrix(customers: pd.DataFrame, cols: Sequence[Hashable], *, func: str) -> np.ndarray:
    arrays = []
    for col in cols:
        x = to_float(customers[col], func=func, col=str(col))
        if np.isnan(x).any():
            raise SchemaError(
                f"{func}: {int(np.isnan(x).sum())} value(s) of column {col!r} are null, e.g. "
                f"for customer(s) {examples(customers.index[np.isnan(x)])}. Hint: fill them "
                "(e.g. 0 revenue) or drop those customers first."
            )
        arrays.append(x)
    return np.column_stack(arrays)


def _transform(x: np.ndarray, *, log: bool) -> np.ndarray:
    """Signed log1p (when `log`), then standardise each column (constant columns -> 0)."""
    z = np.sign(x) * np.log1p(np.abs(x)) if log else x.copy()
    varies = z.max(axis=0) > z.min(axis=0)  # (a constant's std may round above 0)
    sd = np.where(varies, z.std(axis=0), 1.0)
    out: np.ndarray = np.where(varies, (z - z.mean(axis=0)) / sd, 0.0)
    return out


def _n_distinct(x: np.ndarray) -> int:
    return int(np.unique(x, axis=0).shape[0])


def _fit(x: np.ndarray, k: int, method: str, seed: int) -> tuple[np.ndarray, float]:
    """Fit one model; return the labels and its BIC (NaN for k-means)."""
    from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    # One thread: on a busy machine OpenMP/BLAS threads can slow k-means down 100-fold.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        if method == "kmeans":
            from sklearn.cluster import KMeans  # type: ignore[import-untyped]

            km = KMeans(n_clusters=k, n_init=_KMEANS_N_INIT, random_state=seed).fit(x)
            return np.asarray(km.labels_, dtype=np.int64), float("nan")
        from sklearn.mixture import GaussianMixture  # type: ignore[import-untyped]

        gm = GaussianMixture(
            n_components=k,
            covariance_type="full",
            reg_covar=_GMM_REG_COVAR,
            n_init=_GMM_N_INIT,
            random_state=seed,
        ).fit(x)
    if not gm.converged_:
        raise ConvergenceError(
            f"cluster_customers: the Gaussian mixture with {k} components did not converge. "
            "Hint: try method='kmeans', fewer clusters, or log=True."
        )
    return np.asarray(gm.predict(x), dtype=np.int64), float(gm.bic(x))


def _choose_k(
    x: np.ndarray, k_range: tuple[int, int], method: str, seed: int, sample_size: int
) -> tuple[int, dict[int, float]]:
    """The number of clusters with the best criterion on a seeded sample of the rows."""
    n = x.shape[0]
    if n > sample_size:
        rng = np.random.default_rng(seed)
        x = x[np.sort(rng.choice(n, size=sample_size, replace=False))]
    lo, hi = k_range
    n_distinct = _n_distinct(x)
    limit = n_distinct if method == "gmm" else min(n_distinct, x.shape[0] - 1)
    candidates = list(range(lo, min(hi, limit) + 1))
    if not candidates:  # too few customers to compare models: as many clusters as allowed
        k = max(1, min(lo, n_distinct))
        if k < lo:
            warn(
                f"cluster_customers: only {n_distinct} distinct customer profile(s) "
                f"{'in the sample ' if n > sample_size else ''}to cluster, fewer than the "
                f"{lo} clusters of `k_range`; using {k} cluster(s).",
                stacklevel=4,
            )
        return k, {}
    scores: dict[int, float] = {}
    for k in candidates:
        labels, bic = _fit(x, k, method, seed)
        if method == "gmm":
            scores[k] = bic
        else:
            from sklearn.metrics import silhouette_score  # type: ignore[import-untyped]

            scores[k] = float(silhouette_score(x, labels))
    pick = min if method == "gmm" else max
    best = pick(scores.values())
    return min(k for k, s in scores.items() if s == best), scores


def _names(centroids: np.ndarray, roles: Sequence[str | None], lang: str) -> list[str]:
    """Descriptive, unique names from the cluster centroids (standardised scale)."""
    words = CLUSTER_NAME_PARTS[lang]
    if centroids.shape[0] == 1:
        return [words["all"][0]]
    names = []
    for row in centroids:
        parts = []
        for role in ("recency", "frequency", "monetary"):
            if role in roles:
                z = row[roles.index(role)]
                parts.append(words[role][int(z > 0)])
        if "monetary" not in roles:
            parts.append(words["customers"][0])
        names.append((" " if lang == "en" else "").join(parts))
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    # duplicates: numbered from the most valuable (the highest cluster number) down
    order: dict[str, int] = {}
    out = list(names)
    for i in range(len(names) - 1, -1, -1):
        if seen[names[i]] > 1:
            order[names[i]] = order.get(names[i], 0) + 1
            out[i] = f"{names[i]} ({order[names[i]]})"
    return out


# --------------------------------------------------------------------------------------
# cluster_customers
# --------------------------------------------------------------------------------------


def cluster_customers(
    customers: pd.DataFrame,
    *,
    days_since_last_col: Hashable | None = "days_since_last",
    frequency_col: Hashable | None = "n_orders",
    monetary_col: Hashable | None = "revenue",
    extra_cols: Sequence[Hashable] = (),
    method: ClusterMethod = "kmeans",
    k: int | None = None,
    k_range: tuple[int, int] = (2, 8),
    seed: int = 0,
    log: bool = True,
    sample_size: int = 5_000,
    labels: Language = "en",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Group customers into data-driven clusters and name each cluster from its profile.

    Parameters
    ----------
    customers
        One row per customer, e.g. from :func:`kamseg.summarize`. Not modified.
    days_since_last_col
        Days since the last purchase (RFM recency; smaller is better). Default
        ``"days_since_last"``.
    frequency_col
        Number of orders. Default ``"n_orders"``.
    monetary_col
        Customer value, e.g. net revenue. Default ``"revenue"``.
    extra_cols
        More value columns to cluster on (larger is better), e.g. ``("profit",)`` or a
        CLV column. They shape the clusters and their order, not the names.
        Any of the three named columns may be ``None``; at least one feature is needed.
    method
        ``"kmeans"`` (default) or ``"gmm"`` (a Gaussian mixture with full covariances; each
        customer goes to its most likely component).
    k
        Number of clusters (1..20). Default ``None``: chosen within `k_range`, by the
        highest silhouette for k-means, the lowest BIC for the mixture (ties: the smaller k).
    k_range
        Smallest and largest number of clusters tried when `k` is None, ``(2, 8)`` by
        default; inclusive, 2 <= low <= high <= 20.
    seed
        Seed of the sample, the k-means initialisations and the mixture initialisations
        (integer >= 0). The same seed and data give the same clusters.
    log
        Transform each feature with the signed log ``sign(x) * log1p(|x|)`` before
        standardising (default True). Counts, days and money are heavily skewed; without
        the log a few very large customers dominate the distances. The signed log keeps
        negative values (net returns) ordered instead of clipping them.
    sample_size
        When choosing `k`, the candidate models are fitted and scored on a seeded random
        sample of at most this many customers (default 5,000) for speed; the final model
        is fitted on every customer.
    labels
        Language of the cluster names: ``"en"`` or ``"zh"``.
    overwrite
        Replace existing ``cluster`` / ``cluster_name`` columns instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index and row order) with:

        - ``cluster`` (int64): 0 .. k - 1, numbered from the least to the most valuable
          cluster (see *Notes*), so the numbers do not depend on the algorithm's
          arbitrary label order;
        - ``cluster_name`` (ordered ``category``): the cluster's automatic name; the
          categories are the k names in cluster order, so ``cluster`` equals its codes.

        ``attrs["kamseg_cluster"]`` records the fit: ``features`` (list), ``method``,
        ``k``, ``criterion`` (``"silhouette"``, ``"bic"`` or None when `k` was given),
        ``scores`` (dict k -> criterion on the sample), ``log``, ``seed``.
        :func:`cluster_profile` reads ``features`` from it.

    Raises
    ------
    ColumnNotFoundError
        If a feature column is missing.
    SchemaError
        If a feature has nulls, non-numbers or infinite values.
    EmptyInputError
        If `customers` has no rows.
    ConfigError
        On an invalid option; if `k` exceeds the number of distinct customer profiles; if
        the output columns exist and `overwrite` is false.
    ConvergenceError
        If the Gaussian mixture does not converge.

    Notes
    -----
    **Features.** Each feature is log-transformed (see `log`) and standardised to mean 0
    and standard deviation 1 (a constant feature becomes 0 and plays no part). Rows are put
    in a canonical order (sorted by their features) before fitting, so the clusters do not
    depend on the row order of `customers`.

    **Choosing k.** Silhouette: the mean over customers of ``(b - a) / max(a, b)``, where
    ``a`` is the mean distance to the customer's own cluster and ``b`` to the nearest other
    cluster; higher is better. BIC: ``-2 log L + p log n``; lower is better. Only k up to
    the number of distinct customer profiles are tried; with fewer profiles than
    ``k_range[0]`` a :class:`~kamseg.errors.KamsegWarning` says how many clusters are used.

    **Order and names.** A cluster's *centroid* is the mean of its customers' standardised
    features; its *value* is the mean of the centroid coordinates with recency negated
    (fewer days is better). Clusters are numbered by increasing value. The name says, for
    each of recency, frequency and monetary value, whether the centroid is above or below
    the average customer on the standardised (log) scale: "recent" / "lapsed",
    "frequent" / "occasional", "high spenders" / "low spenders" (with ``log=True`` the
    average customer is about the geometric mean). Without a monetary column the name
    ends with "customers"; a single cluster is "all customers". Clusters that get the same
    name are numbered "(1)", "(2)", ... from the most valuable.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from kamseg.cluster import cluster_customers
    >>> rng = np.random.default_rng(0)
    >>> groups = {"vip": (10, 30, 8000), "new": (15, 1, 60), "gone": (600, 2, 80)}
    >>> customers = pd.concat(
    ...     pd.DataFrame(
    ...         {
    ...             "days_since_last": d * rng.lognormal(0, 0.2, 40),
    ...             "n_orders": np.round(f * rng.lognormal(0, 0.2, 40)) + 1,
    ...             "revenue": m * rng.lognormal(0, 0.2, 40),
    ...         },
    ...         index=[f"{g}{i}" for i in range(40)],
    ...     )
    ...     for g, (d, f, m) in groups.items()
    ... )
    >>> out = cluster_customers(customers, seed=0)
    >>> out.attrs["kamseg_cluster"]["k"]
    3
    >>> out.groupby("cluster_name", observed=True).size()
    cluster_name
    lapsed occasional low spenders    40
    recent occasional low spenders    40
    recent frequent high spenders     40
    dtype: int64
    >>> out.loc[["vip0", "new0", "gone0"], ["cluster", "cluster_name"]]
           cluster                    cluster_name
    vip0         2   recent frequent high spenders
    new0         1  recent occasional low spenders
    gone0        0  lapsed occasional low spenders
    """
    func = "cluster_customers"
    df = check_frame(customers, func=func, arg="customers")
    check_choice(method, get_args(ClusterMethod), func=func, arg="method")
    lang = check_language(labels, func=func)
    seed = check_int(seed, func=func, arg="seed", low=0)
    sample_size = check_int(sample_size, func=func, arg="sample_size", low=10)
    if not isinstance(log, bool):
        raise ConfigError(f"{func}: `log` must be True or False; got {log!r}.")
    if k is not None:
        k = check_int(k, func=func, arg="k", low=1, high=_MAX_K)
    if (
        not isinstance(k_range, Sequence)
        or isinstance(k_range, str)
        or len(k_range) != 2
        or any(isinstance(v, bool) or not isinstance(v, int | np.integer) for v in k_range)
        or not 2 <= k_range[0] <= k_range[1] <= _MAX_K
    ):
        raise ConfigError(
            f"{func}: `k_range` must be two integers (low, high) with "
            f"2 <= low <= high <= {_MAX_K}; got {k_range!r}. Hint: e.g. (2, 8)."
        )
    lo_hi = (int(k_range[0]), int(k_range[1]))
    if isinstance(extra_cols, str) or not isinstance(extra_cols, Sequence):
        raise ConfigError(
            f"{func}: `extra_cols` must be a list of column names; got {extra_cols!r}. "
            "Hint: extra_cols=['profit']."
        )
    named = {"recency": days_since_last_col, "frequency": frequency_col, "monetary": monetary_col}
    cols: list[Hashable] = [c for c in named.values() if c is not None] + list(extra_cols)
    roles: list[str | None] = [r for r, c in named.items() if c is not None]
    roles += [None] * len(extra_cols)
    if not cols:
        raise ConfigError(
            f"{func}: no feature to cluster on: `days_since_last_col`, `frequency_col` and "
            "`monetary_col` are None and `extra_cols` is empty."
        )
    if len(set(cols)) != len(cols):
        raise ConfigError(f"{func}: a column is named twice among the features: {cols!r}.")
    check_columns(df, {f"extra_cols[{i}]": c for i, c in enumerate(extra_cols)}, func=func)
    args = {"recency": "days_since_last_col", "frequency": "frequency_col"}
    args["monetary"] = "monetary_col"
    check_columns(df, {args[r]: c for r, c in named.items()}, func=func)
    check_no_overwrite(df, ["cluster", "cluster_name"], func=func, overwrite=overwrite)

    z = _transform(_feature_matrix(df, cols, func=func), log=log)
    canon = np.lexsort(z.T[::-1])  # canonical row order: sorted by the features
    zc = z[canon]
    n_distinct = _n_distinct(zc)
    scores: dict[int, float] = {}
    criterion: str | None = None
    if k is None:
        criterion = "bic" if method == "gmm" else "silhouette"
        k, scores = _choose_k(zc, lo_hi, method, seed, sample_size)
    elif k > n_distinct:
        raise ConfigError(
            f"{func}: k={k} clusters but only {n_distinct} distinct customer profile(s). "
            f"Hint: pass k <= {n_distinct}, or k=None to choose it."
        )
    raw = np.zeros(zc.shape[0], dtype=np.int64) if k == 1 else _fit(zc, k, method, seed)[0]
    labels_found = np.unique(raw)  # a mixture may leave a component empty
    raw = np.searchsorted(labels_found, raw)
    k_found = labels_found.size
    centroids = np.vstack([zc[raw == c].mean(axis=0) for c in range(k_found)])
    sign = np.array([-1.0 if r == "recency" else 1.0 for r in roles])
    value = (centroids * sign).mean(axis=1)
    order = np.lexsort((*centroids.T[::-1], value))  # by value; ties by centroid
    rank = np.empty(k_found, dtype=np.int64)
    rank[order] = np.arange(k_found)
    cluster = np.empty(zc.shape[0], dtype=np.int64)
    cluster[canon] = rank[raw]
    names = _names(centroids[order], roles, lang)

    out = df.assign(
        cluster=cluster,
        cluster_name=pd.Categorical.from_codes(cluster, categories=pd.Index(names), ordered=True),
    )
    out.attrs = {
        **df.attrs,
        _ATTR: {
            "features": list(cols),
            "method": method,
            "k": int(k_found),
            "criterion": criterion,
            "scores": scores,
            "log": log,
            "seed": seed,
        },
    }
    return out


# --------------------------------------------------------------------------------------
# cluster_profile
# --------------------------------------------------------------------------------------


def cluster_profile(
    customers: pd.DataFrame,
    *,
    feature_cols: Sequence[Hashable] | None = None,
    cluster_col: Hashable = "cluster",
    name_col: Hashable | None = "cluster_name",
) -> pd.DataFrame:
    """Profile each cluster: size, share, mean and median of each feature, name.

    Parameters
    ----------
    customers
        One row per customer with a cluster column, e.g. from :func:`cluster_customers`.
        Not modified.
    feature_cols
        Columns to describe. Default: the features recorded by :func:`cluster_customers`
        in ``attrs["kamseg_cluster"]``, else those of ``days_since_last``, ``n_orders``,
        ``revenue`` that exist.
    cluster_col
        The cluster number column. Default ``"cluster"``.
    name_col
        The cluster name column (one name per cluster), or ``None``. Default
        ``"cluster_name"``.

    Returns
    -------
    DataFrame
        One row per cluster, indexed by the sorted cluster values (named after
        `cluster_col`), with:

        - ``cluster_name`` (str; only with `name_col`): the cluster's name;
        - ``size`` (int64): number of customers;
        - ``share`` (float64): ``size`` / all customers;
        - ``<feature>_mean``, ``<feature>_median`` (float64) for each feature, in order.

    Raises
    ------
    ColumnNotFoundError
        If a column is missing.
    SchemaError
        If the cluster column has nulls, a feature has non-numbers or infinite values, or
        a cluster has more than one name.
    EmptyInputError
        If `customers` has no rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.cluster import cluster_profile
    >>> df = pd.DataFrame(
    ...     {
    ...         "cluster": [0, 0, 1],
    ...         "cluster_name": ["low spenders", "low spenders", "high spenders"],
    ...         "revenue": [10.0, 30.0, 500.0],
    ...     }
    ... )
    >>> cluster_profile(df, feature_cols=["revenue"])
              cluster_name  size     share  revenue_mean  revenue_median
    cluster
    0         low spenders     2  0.666667          20.0            20.0
    1        high spenders     1  0.333333         500.0           500.0
    """
    func = "cluster_profile"
    df = check_frame(customers, func=func, arg="customers")
    check_columns(df, {"cluster_col": cluster_col, "name_col": name_col}, func=func)
    if feature_cols is None:
        info = df.attrs.get(_ATTR)
        if isinstance(info, dict) and "features" in info:
            feature_cols = list(info["features"])
        else:
            feature_cols = [c for c in ("days_since_last", "n_orders", "revenue") if c in df]
    elif isinstance(feature_cols, str) or not isinstance(feature_cols, Sequence):
        raise ConfigError(
            f"{func}: `feature_cols` must be a list of column names; got {feature_cols!r}. "
            "Hint: feature_cols=['revenue']."
        )
    check_columns(df, {f"feature_cols[{i}]": c for i, c in enumerate(feature_cols)}, func=func)
    group = df[cluster_col]
    if group.isna().any():
        raise SchemaError(
            f"{func}: {int(group.isna().sum())} value(s) of column {cluster_col!r} are null. "
            "Hint: drop the customers without a cluster first."
        )
    codes, uniques = pd.factorize(group, sort=True)
    n_c = len(uniques)
    size = np.bincount(codes, minlength=n_c).astype(np.int64)
    columns: dict[str, Any] = {}
    if name_col is not None:
        names = df[name_col].astype(object).to_numpy()
        pairs = pd.DataFrame({"c": codes, "n": names}).drop_duplicates()
        if len(pairs) != n_c or pairs["n"].isna().any():
            bad = pairs["c"][pairs["c"].duplicated(keep=False)]
            raise SchemaError(
                f"{func}: column {name_col!r} must give one name per cluster; cluster(s) "
                f"{examples(uniques[bad.unique()])} have several or none. Hint: pass "
                "name_col=None."
            )
        first = np.unique(codes, return_index=True)[1]
        columns[str(name_col)] = [str(n) for n in names[first]]
    columns["size"] = size
    columns["share"] = size / size.sum()
    for col in feature_cols:
        x = to_float(df[col], func=func, col=str(col))
        s = pd.Series(x).groupby(codes)
        columns[f"{col}_mean"] = s.mean().reindex(range(n_c)).to_numpy(dtype=np.float64)
        columns[f"{col}_median"] = s.median().reindex(range(n_c)).to_numpy(dtype=np.float64)
    index = pd.Index(uniques, name=cluster_col)
    return pd.DataFrame(columns, index=index)
