"""Customer needs: the need level each customer buys at, and the categories they may need next.

The source document on classifying core customers (seed 002) sorts customers by their needs
into three classes, which kamseg reads from a product catalogue that assigns every product
(or every category) one of three need levels, after Kano:

==========  ========  ==============================================================
level       中文      products that serve ...
==========  ========  ==============================================================
basic       基本需求  must-be needs: what every customer expects (parts, consumables)
expected    期望需求  performance needs: more is better (better kit, added services)
latent      潜在需求  latent (delight) needs the customer did not state (new offers)
==========  ========  ==============================================================

Two functions:

- :func:`need_level` classifies each customer by the **highest** level they buy, on the
  order basic < expected < latent;
- :func:`latent_needs` suggests, for each customer, the categories that similar customers
  buy and this one does not (nearest neighbours, or category co-occurrence), as a long
  table of the top-k suggestions with scores.

What each customer buys, by catalogue entry, is measured in :mod:`kamseg.features`
(``highest_level``, ``category_profile``); this module classifies and scores.

Rules shared by both functions
------------------------------
**Transactions** are read through :mod:`kamseg.transactions`. Pass them prepared
(:func:`kamseg.prepare_transactions` with ``product_col=`` the column matched to the
catalogue), and they are used as they are: no second validation, no second warning. Pass a
DataFrame with `customer_col` (by default the name of the index of `customers`), `date_col`,
`amount_col` and that column, and it is prepared with the same rules: null ids, dates or
amounts raise unless ``dropna=True``; negative amounts follow `returns`; one
:class:`~kamseg.errors.KamsegWarning` counts every row dropped and every return netted.

**Customers** are the rows of `customers`, identified by its index (as in the customer
table from :func:`kamseg.summarize` or the customer master); the output keeps its index and
row order. Transactions are matched to customers by id; the rows of customers that are not
in `customers` are left out, with a warning that counts them.

**Catalogue matching.** With ``on="product"`` (the default) each transaction's
`product_col` is looked up in the catalogue's `product_col`, which gives its need level and
its category; with ``on="category"`` the transaction's own `category_col` is looked up in
the catalogue's `category_col` (which must then give one need level per category).
Transaction rows whose product (or category) is missing from the catalogue, or null, are
excluded with a warning giving their number and examples. A catalogue that lists a key twice
with different levels or categories raises :class:`~kamseg.errors.SchemaError`.

**Time.** `as_of` defaults to the ``attrs["as_of"]`` of the customer table (which
:func:`kamseg.summarize` sets), else to the latest date of the transactions. Transactions
dated after it are excluded (counted in the preparation's warning); prepared transactions
are cut at an earlier `as_of` without a warning.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from kamseg._needs_fit import (
    NeedLevelFit,
    profiles,
    top_suggestions,
)
from kamseg._needs_fit import (
    canonical_rank as _canonical_rank,
)
from kamseg._needs_latent import (
    cooccurrence_scores,
    knn_scores,
    reference_profiles,
    reference_rows,
)
from kamseg._types import ReturnsPolicy
from kamseg._validation import check_choice, check_customers, check_int, check_no_overwrite
from kamseg.errors import ConfigError
from kamseg.features._needs import (
    NEED_LEVELS,
    Catalog,
    CategoryProfile,
    catalog_rows,
    category_profile,
    need_measures,
    prepared_with_key,
    read_catalog,
)
from kamseg.labels import Language, check_language
from kamseg.transactions import PreparedTransactions

__all__ = [
    "LATENT_COLUMNS",
    "NEED_LEVELS",
    "Basis",
    "CatalogKey",
    "LatentMethod",
    "NeedLevelFit",
    "fit_and_label_need_level",
    "fit_need_level",
    "latent_needs",
    "need_level",
]

CatalogKey = Literal["product", "category"]
"""What the catalogue is keyed by: ``"product"`` or ``"category"``."""

LatentMethod = Literal["knn", "cooccurrence"]
"""How :func:`latent_needs` scores categories: nearest customers or category co-occurrence."""

Basis = Literal["spend", "orders", "binary"]
"""The customer profile compared by ``method="knn"``: spend shares, order shares, bought/not."""

#: Columns of the table returned by :func:`latent_needs` (the first is named `customer_col`).
LATENT_COLUMNS: tuple[str, ...] = ("customer_id", "rank", "category", "score")

_DEFAULT_REFERENCE = 5000
_N_NEIGHBORS = 20  # of the latent needs of need_level


# --------------------------------------------------------------------------------------
# shared preparation
# --------------------------------------------------------------------------------------


def _purchases(
    customers: pd.DataFrame,
    transactions: Any,
    catalog: object,
    *,
    func: str,
    on: str,
    customer_col: Hashable | None,
    product_col: Hashable,
    category_col: Hashable,
    level_col: Hashable | None,
    need_category: bool,
    date_col: Hashable,
    amount_col: Hashable,
    as_of: Any,
    dropna: bool,
    returns: ReturnsPolicy,
    stacklevel: int = 9,
) -> tuple[PreparedTransactions, Catalog]:
    """The catalogue, read, and the transactions, prepared with its key column."""
    check_choice(on, get_args(CatalogKey), func=func, arg="on")
    key_col, key_arg = (
        (product_col, "product_col") if on == "product" else (category_col, "category_col")
    )
    cat = read_catalog(
        catalog,
        func=func,
        key_col=key_col,
        key_arg=key_arg,
        level_col=level_col,
        category_col=category_col if need_category else None,
    )
    prepared = prepared_with_key(
        customers,
        transactions=transactions,
        func=func,
        key_col=key_col,
        key_arg=key_arg,
        as_of=as_of,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        dropna=dropna,
        returns=returns,
        stacklevel=stacklevel,
    )
    return prepared, cat


# --------------------------------------------------------------------------------------
# latent needs: scoring
# --------------------------------------------------------------------------------------


def _check_number(value: Any, *, func: str, arg: str, low: float, high: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(float(value))
        or not low <= float(value) <= high
    ):
        raise ConfigError(
            f"{func}: `{arg}` must be a number from {low:g} to {high:g}; got {value!r}."
        )
    return float(value)


def _latent_table(
    prof: CategoryProfile,
    customers: pd.DataFrame,
    *,
    k: int,
    method: str,
    n_neighbors: int,
    min_score: float,
    max_reference: int | None,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(customer position, rank, category code, score) of every suggestion, in row order."""
    who, x, bought = profiles(prof, rank=_canonical_rank(customers.index))
    empty = np.empty(0, dtype=np.int64)
    if who.size == 0:
        return empty, empty, empty, np.empty(0)
    if method == "knn":
        scores = knn_scores(
            x, bought, n_neighbors=n_neighbors, max_reference=max_reference, seed=seed
        )
    else:
        scores = cooccurrence_scores(bought)
    return top_suggestions(who, scores, k=k, min_score=min_score)


def _latent_args(
    *,
    func: str,
    k: Any,
    method: Any,
    basis: Any,
    n_neighbors: Any,
    min_score: Any,
    max_reference: Any,
    seed: Any,
) -> tuple[int, int, float, int | None, int]:
    k_ = check_int(k, func=func, arg="k", low=1)
    check_choice(method, get_args(LatentMethod), func=func, arg="method")
    check_choice(basis, get_args(Basis), func=func, arg="basis")
    nn = check_int(n_neighbors, func=func, arg="n_neighbors", low=1)
    ms = _check_number(min_score, func=func, arg="min_score", low=0.0, high=1.0)
    mr = (
        None
        if max_reference is None
        else check_int(max_reference, func=func, arg="max_reference", low=1)
    )
    sd = check_int(seed, func=func, arg="seed", low=0)
    return k_, nn, ms, mr, sd


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------


def need_level(
    customers: pd.DataFrame,
    *,
    transactions: pd.DataFrame | PreparedTransactions,
    catalog: pd.DataFrame,
    on: CatalogKey = "product",
    customer_col: Hashable | None = None,
    product_col: Hashable = "product",
    category_col: Hashable = "category",
    level_col: Hashable = "need_level",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    as_of: Any = None,
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    latent_k: int | None = None,
    labels: Language = "en",
    action: bool = False,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Classify each customer by the highest need level of the products they buy.

    Parameters
    ----------
    customers
        One row per customer, indexed by customer id (e.g. from :func:`kamseg.summarize`,
        or the customer master). Not modified.
    transactions
        Prepared transactions (:func:`kamseg.prepare_transactions` with
        ``product_col=product_col``, or ``category_col`` with ``on="category"``), used as
        they are (their own columns and options then apply, not `customer_col`,
        `date_col`, `amount_col`, `dropna`, `returns`); or a DataFrame, one row per order
        or order line, with `customer_col`, `date_col`, `amount_col` and `product_col` (or
        `category_col` with ``on="category"``), prepared with `dropna` and `returns`.
        Not modified.
    catalog
        The product catalogue: `product_col` (or `category_col`) and `level_col`, whose
        values are ``"basic"``, ``"expected"`` or ``"latent"``. Not modified.
    on
        ``"product"`` (default): match transactions to the catalogue by product;
        ``"category"``: by category (the catalogue then needs one level per category).
    customer_col, product_col, category_col, level_col, date_col, amount_col
        Column names. `category_col` is read in the catalogue only with ``on="category"``
        or `latent_k`. Amounts count only for `latent_k` (spend shares; see
        :func:`latent_needs`). `customer_col` (of the transactions) defaults to the name of
        the index of `customers` (``"customer_id"`` when the index has no name).
    as_of
        The observation date; default the ``attrs["as_of"]`` of `customers` (set by
        :func:`kamseg.summarize`), else the latest date. Later transactions are excluded.
    dropna, returns
        How a DataFrame of transactions is prepared (see
        :func:`kamseg.prepare_transactions`): ``dropna=True`` drops rows with a null id,
        date or amount instead of raising; negative amounts are netted (``"net"``),
        dropped (``"exclude"``) or refused (``"error"``).
    latent_k
        When given, also add ``latent_needs``: the top `latent_k` categories of
        :func:`latent_needs` with its defaults (``method="knn"``, ``basis="spend"``).
    labels
        Language of the level names (``"en"`` or ``"zh"``) and of the actions.
    action
        Also add ``need_action``: the action the source document recommends for the level.
    overwrite
        Replace output columns that already exist in `customers` instead of raising.

    Returns
    -------
    DataFrame
        A copy of `customers` (same index, same row order) with the columns:

        - ``need_level`` (ordered ``category``: basic < expected < latent, or their Chinese
          names): the highest level among the customer's transactions matched to the
          catalogue. **Missing (NaN)** for customers with no such transaction (prospects,
          customers who bought only products the catalogue lacks): the data says nothing
          about their needs.
        - ``need_action`` (category; only with ``action=True``): see
          :func:`kamseg.actions.recommended_action`; missing where ``need_level`` is.
        - ``latent_needs`` (str, ``object`` on pandas 2; only with `latent_k`): the
          suggested categories, best first, joined with ``"; "``; missing when there is no
          suggestion.

    Raises
    ------
    ColumnNotFoundError
        If a column named by an argument is missing.
    SchemaError
        If `customers` has duplicated ids; the transactions are invalid (see
        :func:`kamseg.prepare_transactions`); the catalogue has null keys, levels other
        than the three, or gives a key two levels.
    EmptyInputError
        If `customers`, `transactions` or `catalog` has no rows.
    ConfigError
        On an invalid option; if an output column exists and `overwrite` is false; if
        prepared transactions carry no product column, or another one than the catalogue
        key.

    Notes
    -----
    **Why "highest".** The levels are ordered basic < expected < latent: a customer who
    buys expected-level products also buys to basic needs, and one who buys products made
    for latent (unstated, Kano "delight") needs has shown needs beyond the expected ones.
    So a customer who has bought at least one latent-level product is ``latent``: the
    document's action for them is to keep researching their unstated needs and to offer new
    products. One matched transaction is enough to reach a level.

    Warnings (:class:`~kamseg.errors.KamsegWarning`) count the transactions excluded: those
    of customers not in `customers`, those whose product (or category) the catalogue lacks,
    and (one warning of the preparation, not given again for prepared transactions) those
    after `as_of` or dropped for nulls or returns.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.needs import need_level
    >>> catalog = pd.DataFrame(
    ...     {
    ...         "product": ["bolts", "sensors", "analytics"],
    ...         "category": ["parts", "electronics", "software"],
    ...         "need_level": ["basic", "expected", "latent"],
    ...     }
    ... )
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": ["a", "a", "b", "c", "c"],
    ...         "date": ["2024-01-05", "2024-02-01", "2024-01-20", "2024-03-01", "2024-03-02"],
    ...         "product": ["bolts", "sensors", "bolts", "bolts", "analytics"],
    ...         "amount": [10.0, 50.0, 5.0, 20.0, 900.0],
    ...     }
    ... )
    >>> customers = pd.DataFrame(index=pd.Index(["a", "b", "c", "d"], name="customer_id"))
    >>> need_level(customers, transactions=tx, catalog=catalog)["need_level"].tolist()
    ['expected', 'basic', 'latent', nan]
    >>> out = need_level(customers, transactions=tx, catalog=catalog, labels="zh", action=True)
    >>> out.loc["b", ["need_level", "need_action"]].tolist()
    ['基本需求', '保障基本需求：质量可靠、及时交付、价格合理。']
    """
    func = "need_level"
    opts = _NeedOptions(
        on=on,
        customer_col=customer_col,
        product_col=product_col,
        category_col=category_col,
        level_col=level_col,
        date_col=date_col,
        amount_col=amount_col,
        as_of=as_of,
        dropna=dropna,
        returns=returns,
        latent_k=latent_k,
        labels=labels,
        action=action,
        overwrite=overwrite,
    )
    customers, prepared, cat, fields = _read_base(customers, transactions, catalog, opts, func)
    positions = prepared.positions(customers.index, func=func)  # warns about unknown ids
    fit, measured = _fit_base(customers, prepared, positions, cat, fields, func)
    return fit.label(customers, None, cat, func=func, stacklevel=5, **measured)


def fit_need_level(
    customers: pd.DataFrame,
    *,
    transactions: pd.DataFrame | PreparedTransactions,
    catalog: pd.DataFrame,
    on: CatalogKey = "product",
    customer_col: Hashable | None = None,
    product_col: Hashable = "product",
    category_col: Hashable = "category",
    level_col: Hashable = "need_level",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    as_of: Any = None,
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    latent_k: int | None = None,
    labels: Language = "en",
    action: bool = False,
    overwrite: bool = False,
) -> NeedLevelFit:
    """Learn what :func:`need_level` needs from a customer base, to label customers later.

    Parameters are those of :func:`need_level`. :func:`need_level` is
    ``fit_need_level(...).apply(customers, transactions=...)`` on the same data.

    Returns
    -------
    NeedLevelFit
        The options, the catalogue (its keys, their need levels and categories: the model
        means these levels, and the latent profiles are vectors over these categories, so
        :meth:`~NeedLevelFit.apply` needs no catalogue unless it is given a newer one), and,
        with `latent_k`, the reference customers: those the base searched for neighbours
        (every customer with a categorised purchase, or 5,000 of them drawn with seed 0 in
        the order of their ids), as their ids and spend-share profiles (float64, each
        distinct profile once). :meth:`~NeedLevelFit.apply` finds a customer's neighbours
        among these reference customers other than itself (its own id left out), so on the
        base it gives :func:`need_level`'s output, and on any subset the same rows. Size:
        ``8 * (n_categories + 2)`` bytes per distinct reference profile plus ``4 + 8`` per
        reference customer (at most 5,000 of them).

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
        As in :func:`need_level`.

    Examples
    --------
    >>> import kamseg
    >>> from kamseg.needs import fit_need_level, need_level
    >>> data = kamseg.datasets.make_transactions(n_customers=80, seed=1)
    >>> customers = kamseg.summarize(data.transactions)
    >>> kw = dict(transactions=data.transactions, catalog=data.catalog, latent_k=2)
    >>> fit = fit_need_level(customers, **kw)
    >>> fit.apply(customers, transactions=data.transactions).equals(need_level(customers, **kw))
    True
    """
    func = "need_level"
    opts = _NeedOptions(
        on=on,
        customer_col=customer_col,
        product_col=product_col,
        category_col=category_col,
        level_col=level_col,
        date_col=date_col,
        amount_col=amount_col,
        as_of=as_of,
        dropna=dropna,
        returns=returns,
        latent_k=latent_k,
        labels=labels,
        action=action,
        overwrite=overwrite,
    )
    customers, prepared, cat, fields = _read_base(customers, transactions, catalog, opts, func)
    positions = prepared.positions(customers.index, func=func)  # warns about unknown ids
    return _fit_base(customers, prepared, positions, cat, fields, func)[0]


@dataclasses.dataclass(frozen=True)
class _NeedOptions:  # the options of need_level, with its defaults
    on: Any = "product"
    customer_col: Hashable | None = None
    product_col: Hashable = "product"
    category_col: Hashable = "category"
    level_col: Hashable = "need_level"
    date_col: Hashable = "date"
    amount_col: Hashable = "amount"
    as_of: Any = None
    dropna: bool = False
    returns: Any = "net"
    latent_k: Any = None
    labels: Any = "en"
    action: bool = False
    overwrite: bool = False


def fit_and_label_need_level(
    customers: pd.DataFrame,
    *,
    transactions: pd.DataFrame | PreparedTransactions,
    catalog: pd.DataFrame,
    stacklevel: int = 5,
    **options: Any,
) -> tuple[NeedLevelFit, pd.DataFrame]:
    """``(fit, table)``: :func:`fit_need_level` and its :meth:`~NeedLevelFit.apply` to the
    same customers in one pass (`options`: those of :func:`need_level`)."""
    func = "need_level"
    opts = _NeedOptions(**options)
    customers, prepared, cat, fields = _read_base(customers, transactions, catalog, opts, func)
    positions = prepared.positions(customers.index, func=func)  # warns about unknown ids
    fit, measured = _fit_base(customers, prepared, positions, cat, fields, func)
    return fit, fit.label(customers, None, cat, func=func, stacklevel=stacklevel, **measured)


def _read_base(
    customers: pd.DataFrame, transactions: Any, catalog: object, o: _NeedOptions, func: str
) -> tuple[pd.DataFrame, PreparedTransactions, Catalog, dict[str, Any]]:
    """Validate the options, read the catalogue and prepare the transactions."""
    customers = check_customers(customers, func=func)
    lang = check_language(o.labels, func=func)
    latent_k = o.latent_k
    if latent_k is not None:
        latent_k = check_int(latent_k, func=func, arg="latent_k", low=1)
    new_cols = ["need_level"] + (["need_action"] if o.action else [])
    new_cols += ["latent_needs"] if latent_k is not None else []
    check_no_overwrite(customers, new_cols, func=func, overwrite=o.overwrite)
    prepared, cat = _purchases(
        customers,
        transactions,
        catalog,
        func=func,
        on=o.on,
        customer_col=o.customer_col,
        product_col=o.product_col,
        category_col=o.category_col,
        level_col=o.level_col,
        need_category=latent_k is not None,
        date_col=o.date_col,
        amount_col=o.amount_col,
        as_of=o.as_of,
        dropna=o.dropna,
        returns=o.returns,
        stacklevel=10,
    )
    fields = dataclasses.asdict(o) | {
        "latent_k": latent_k,
        "labels": lang,
        "dropna": bool(o.dropna),
        "action": bool(o.action),
        "overwrite": bool(o.overwrite),
    }
    return customers, prepared, cat, fields


def _fit_base(
    customers: pd.DataFrame,
    prepared: PreparedTransactions,
    positions: np.ndarray,
    cat: Catalog,
    fields: dict[str, Any],
    func: str,
) -> tuple[NeedLevelFit, dict[str, Any]]:
    """The fit, and the base's highest levels and profiles as :meth:`NeedLevelFit.label`
    takes them (read once, warned about once)."""
    measured = {"spend": fields["latent_k"] is not None, "category_col": fields["category_col"]}
    levels, prof = need_measures(
        prepared, positions, len(customers), cat, func=func, stacklevel=5, **measured
    )
    n_cat = len(cat.categories)
    ref = np.zeros((0, n_cat))
    ids: np.ndarray = np.empty(0, dtype=np.int64)
    own = count = np.empty(0, dtype=np.int64)
    if prof is not None:
        who, x, _ = profiles(prof, rank=_canonical_rank(customers.index))
        at = reference_rows(who.size, max_reference=_DEFAULT_REFERENCE, seed=0)
        ref, own, count = reference_profiles(x[at])
        ids = customers.index[who[at]].to_numpy()
        own, count = own.astype(np.int32), count.astype(np.int32)  # < 2**31 customers
    fit = NeedLevelFit(
        **fields,
        catalog_keys=cat.keys.to_numpy(),
        catalog_level=cat.level if cat.level is not None else np.empty(0, dtype=np.int8),
        catalog_category=cat.category,
        categories=cat.categories.to_numpy(),
        n_neighbors=_N_NEIGHBORS,
        ref_ids=ids,
        ref_own=own,
        ref_profiles=ref,
        ref_count=count,
    )
    return fit, {"levels": levels, "prof": prof}


def latent_needs(
    customers: pd.DataFrame,
    *,
    transactions: pd.DataFrame | PreparedTransactions,
    catalog: pd.DataFrame,
    k: int = 3,
    method: LatentMethod = "knn",
    basis: Basis = "spend",
    n_neighbors: int = 20,
    min_score: float = 0.0,
    max_reference: int | None = _DEFAULT_REFERENCE,
    seed: int = 0,
    on: CatalogKey = "product",
    customer_col: Hashable | None = None,
    product_col: Hashable = "product",
    category_col: Hashable = "category",
    amount_col: Hashable = "amount",
    date_col: Hashable = "date",
    as_of: Any = None,
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
) -> pd.DataFrame:
    """Suggest, per customer, the categories that similar customers buy and they do not.

    Parameters
    ----------
    customers
        One row per customer, indexed by customer id. Not modified.
    transactions
        Prepared transactions or a DataFrame, as in :func:`need_level`. Not modified.
    catalog
        Gives each product its `category_col` (``on="product"``), or lists the known
        categories (``on="category"``: the transactions carry `category_col`). Every
        category of the catalogue is a candidate. Not modified.
    k
        Number of suggestions per customer (at most), default 3.
    method
        ``"knn"`` (default): nearest customers; ``"cooccurrence"``: category co-occurrence.
        See *Notes*.
    basis
        The profile compared by ``"knn"``: ``"spend"`` (default; share of the customer's net
        spend in each category, from `amount_col`; a category whose net spend is <= 0 counts
        as not bought), ``"orders"`` (share of the customer's transaction rows) or
        ``"binary"`` (bought or not). ``"cooccurrence"`` always uses bought or not.
    n_neighbors
        Number of nearest customers for ``"knn"``, default 20.
    min_score
        Suggestions need a score of at least this (from 0 to 1); a score of 0 is never
        suggested.
    max_reference
        For ``"knn"``: when more customers than this have bought, neighbours are searched
        among this many of them drawn at random (with `seed`), which bounds the cost; with
        fewer customers, or ``None``, among all of them (exact). Default 5000.
    seed
        Seed of the reference sample (only used when it is drawn).
    on, customer_col, product_col, category_col, amount_col, date_col, as_of, dropna, returns
        As in :func:`need_level`; amounts count only with ``basis="spend"``.

    Returns
    -------
    DataFrame
        One row per suggestion, with a default ``RangeIndex``, ordered as the rows of
        `customers`, then by rank:

        - `customer_col` (the customer column of the transactions, as prepared; the dtype
          of the index of `customers`): the customer id;
        - ``rank`` (int64): 1 for the best suggestion, then 2, 3, ... up to `k`;
        - ``category`` (the catalogue's dtype, str for text): the suggested category;
        - ``score`` (float64, in (0, 1]): see *Notes*.

        Customers with no suggestion have no row: those who bought nothing categorised,
        those who already buy every category, and those whose neighbours buy nothing else.

    Raises
    ------
    ColumnNotFoundError, SchemaError, EmptyInputError, ConfigError
        As in :func:`need_level`.

    Notes
    -----
    **Nearest neighbours** (``method="knn"``). Each customer with a purchase gets a profile
    over the catalogue's categories (see `basis`). Similarity is the cosine of two profiles.
    The neighbours of a customer are the `n_neighbors` other customers with the highest
    similarity; customers tied with the last of them share its remaining places equally
    (fractional weights), so the result never depends on row order. The score of a category
    the customer does not buy is the similarity-weighted share of the neighbours who buy
    it: ``sum(w_j * sim_j * buys_j) / sum(w_j * sim_j)``, from 0 (no neighbour buys it) to 1
    (all do). A customer whose profile many others share exactly (e.g. everyone who buys one
    category only) has those as nearest neighbours, who by definition buy nothing else,
    and so gets no suggestion; ``method="cooccurrence"`` still suggests for them.

    The search is exact over the distinct profiles. Small inputs compare every profile
    with every reference profile (vectorised in chunks); large ones take each profile's
    nearest reference profiles from a KD-tree over the unit profiles, then compute their
    similarities and weights exactly as the full comparison does, which still decides the
    few profiles with a near tie at the edge of the neighbours or equal similarities among
    them: the two routes give the same scores, bit for bit. With ``max_reference=5000``,
    900,000 customers over 5 categories take a few seconds.

    **Co-occurrence** (``method="cooccurrence"``). For a category ``c`` the customer does
    not buy, the score is the mean, over the categories ``c'`` they do buy, of the share of
    the other buyers of ``c'`` who also buy ``c``: ``n(c and c') / (n(c') - 1)``, a
    leave-one-out conditional probability (a term whose ``c'`` has no other buyer counts 0).

    Ties in score are broken by category name. No randomness is used unless the reference
    sample is drawn.

    Examples
    --------
    >>> import pandas as pd
    >>> from kamseg.needs import latent_needs
    >>> catalog = pd.DataFrame(
    ...     {
    ...         "product": ["bolts", "oil", "sensors"],
    ...         "category": ["parts", "fluids", "electronics"],
    ...     }
    ... )
    >>> tx = pd.DataFrame(
    ...     {
    ...         "customer_id": ["a", "a", "b", "b", "c", "c", "c", "d"],
    ...         "date": "2024-06-30",
    ...         "product": ["bolts", "oil", "bolts", "oil", "bolts", "oil", "sensors", "bolts"],
    ...         "amount": [10.0, 10.0, 12.0, 8.0, 10.0, 10.0, 5.0, 9.0],
    ...     }
    ... )
    >>> customers = pd.DataFrame(index=pd.Index(list("abcd"), name="customer_id"))
    >>> latent_needs(customers, transactions=tx, catalog=catalog, n_neighbors=2)
      customer_id  rank     category     score
    0           a     1  electronics  0.490181
    1           b     1  electronics  0.485281
    2           d     1       fluids  1.000000

    Customer ``a``'s nearest customers are ``b`` (cosine 0.981) and ``c`` (0.943); only
    ``c`` buys electronics, so its score is 0.943 / (0.981 + 0.943). ``c`` buys every
    category; ``d``'s neighbours ``b`` and ``a`` both buy fluids. Co-occurrence also
    suggests electronics to ``d`` (1 of the 3 other buyers of parts buys it):

    >>> co = latent_needs(customers, transactions=tx, catalog=catalog, method="cooccurrence")
    >>> co.query("customer_id == 'd'")
      customer_id  rank     category     score
    2           d     1       fluids  1.000000
    3           d     2  electronics  0.333333
    """
    func = "latent_needs"
    customers = check_customers(customers, func=func)
    k_, nn, ms, mr, sd = _latent_args(
        func=func,
        k=k,
        method=method,
        basis=basis,
        n_neighbors=n_neighbors,
        min_score=min_score,
        max_reference=max_reference,
        seed=seed,
    )
    prepared, cat = _purchases(
        customers,
        transactions,
        catalog,
        func=func,
        on=on,
        customer_col=customer_col,
        product_col=product_col,
        category_col=category_col,
        level_col=None,
        need_category=True,
        date_col=date_col,
        amount_col=amount_col,
        as_of=as_of,
        dropna=dropna,
        returns=returns,
    )
    positions = prepared.positions(customers.index, func=func)  # warns about unknown ids
    rows = catalog_rows(prepared, positions, len(customers), cat, func=func)
    prof = category_profile(
        rows,
        cat,
        basis=basis if method == "knn" else "binary",
        func=func,
        category_col=category_col,
    )
    pos, ranks, codes, scores = _latent_table(
        prof,
        customers,
        k=k_,
        method=method,
        n_neighbors=nn,
        min_score=ms,
        max_reference=mr,
        seed=sd,
    )
    return pd.DataFrame(
        {
            prepared.customer_col: customers.index[pos].to_numpy(),
            "rank": ranks,
            "category": prof.categories[codes].to_numpy(),
            "score": scores,
        }
    )
