r"""Example data: a seeded synthetic B2B customer base, a messy invoice-line export, and
the real CDNOW data.

:func:`make_transactions` draws a customer base with known ground truth, so that every
analysis in kamseg can be checked against the values that generated the data.
:func:`make_invoice_lines` draws invoice lines shaped like the UCI "Online Retail" export
(cancellation invoices, guest lines, float ids, a mistyped date, ...) with the true segment
and net revenue of every customer (model in :mod:`kamseg._invoices`).
:func:`load_cdnow` and :func:`load_cdnow_summary` read the CDNOW music-CD data that the
``lifetimes`` package ships (install with ``pip install "kamseg[lifetimes]"``).

The generative model
--------------------
Time is measured in days. The window runs from `start` to `as_of` (both included); let
:math:`D` be the number of days from `start` to `as_of`. A share `prospect_share` of the
customer master are *prospects* (known to the CRM, never bought). Every other customer
:math:`i` is a buyer with

* **birth** (first purchase) at :math:`t_{0i} = D\,U_i^{k}`, :math:`U_i \sim U(0, 1)`, days
  after `start`; :math:`k` is `acquisition_skew` (1: uniform acquisition; above 1: more
  customers were acquired early in the window);
* **purchase rate** :math:`\lambda_i \sim \mathrm{Gamma}(r, \alpha)` (shape `r`, rate `alpha`,
  per day; mean :math:`r/\alpha`). While alive, purchases follow a Poisson process with rate
  :math:`\lambda_i`;
* **dropout probability** :math:`\theta_i \sim \mathrm{Beta}(a, b)`: right after each
  purchase, the first one included, the customer drops out for good with probability
  :math:`\theta_i`. This is the BG/NBD model of Fader, Hardie & Lee (2005), so a BG/NBD fit
  with daily periods recovers `r`, `alpha`, `a` and `b` (up to the day rounding of dates);
* **spend** per the Gamma-Gamma model of Fader & Hardie (2013) times an account-size
  factor: :math:`\nu_i \sim \mathrm{Gamma}(q, \gamma)` (shape `q`, rate `gamma`),
  :math:`s_i = \exp(\sigma Z_i - \sigma^2/2)`, :math:`Z_i \sim N(0, 1)`, :math:`\sigma` =
  `size_sigma` (so :math:`E[s_i] = 1`), and each order is worth
  :math:`z \sim \mathrm{Gamma}(p, \nu_i)\, s_i` (shape `p`, rate :math:`\nu_i`), rounded to
  cents. The customer's true mean order value is :math:`p\, s_i / \nu_i`. With
  ``size_sigma=0`` the spend is exactly Gamma-Gamma (a fit recovers `p`, `q`, `gamma`);
* **margin** :math:`m_i \sim \mathrm{Beta}(20\mu, 20(1-\mu))` with :math:`\mu` =
  `margin_mean`; every order line's profit is ``amount * m_i``;
* **annual cost to serve** `cost_to_serve_median` :math:`\cdot\, s_i^{0.4} \cdot e^{0.5 W_i}`,
  :math:`W_i \sim N(0, 1)`: big accounts cost more to serve, and many small accounts do not
  earn their cost to serve;
* **product** of each order drawn from the catalogue (:data:`CATALOG`): a "latent" need
  product with the customer's own probability :math:`\ell_i = 0.03 + 0.3\,B_i`,
  :math:`B_i \sim \mathrm{Beta}(1, 3)`, an "expected" need product with probability 0.35,
  otherwise a "basic" one; within a need level, by fixed popularity weights.

The purchase times are generated without a loop: with :math:`L_i = D + 1 - t_{0i}` days of
exposure, the number of purchases the customer would make without dropping out is
:math:`K_i = 1 + \mathrm{Poisson}(\lambda_i L_i)`, the number before dropout is
:math:`N_i \sim \mathrm{Geometric}(\theta_i)` on 1, 2, ..., and the customer makes
:math:`M_i = \min(N_i, K_i)` purchases. The repeat purchases are the first :math:`M_i - 1` of
:math:`K_i - 1` uniform order statistics on :math:`(t_{0i}, t_{0i} + L_i)`, built from
exponential spacings (one cumulative sum over all rows). The customer has dropped out by
`as_of` if :math:`N_i \le K_i`, on the day of the last purchase.

Side tables. A latent **satisfaction** score per buyer,
:math:`\eta_i = 0.8 \epsilon_i - 0.5\, z_i - 1.0\, [\text{dropped out}]`
(:math:`\epsilon_i \sim N(0, 1)`, :math:`z_i` the standardised :math:`\mathrm{logit}\,\theta_i`),
drives the survey answers (NPS
:math:`= \mathrm{round}(8.1 + 1.6\eta_i + 1.2\epsilon)` clipped to 0..10, CSAT
:math:`= \mathrm{round}(4.2 + 0.6\eta_i + 0.6\epsilon)` clipped to 1..5; a buyer answers
:math:`\mathrm{Poisson}(\text{survey\_rate} \cdot \text{years of relationship})` surveys, up
to 180 days after dropout) and the complaints
(:math:`\mathrm{Poisson}(\text{complaint\_rate} \cdot M_i\, e^{-0.6\eta_i})` per buyer, each
within 14 days after one of the buyer's orders; unhappy customers complain more and more
severely).

Dates are ``datetime64[us]`` at midnight, customer ids ``int64`` (1..n_customers). Nothing
reads the clock: the same arguments always give the same data.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from kamseg._invoices import (
    INVOICE_SEGMENTS,
    InvoiceData,
    check_day,
    check_number,
    make_invoice_lines,
)
from kamseg._validation import check_int
from kamseg.errors import ConfigError

__all__ = [
    "CATALOG",
    "INVOICE_SEGMENTS",
    "Dataset",
    "InvoiceData",
    "draw_bgnbd",
    "load_cdnow",
    "load_cdnow_summary",
    "make_invoice_lines",
    "make_transactions",
]

DateLike: TypeAlias = "str | _dt.date | pd.Timestamp | np.datetime64"

_FUNC = "make_transactions"
_UNIT = "datetime64[us]"
_US_PER_DAY = 86_400_000_000
_LIFETIMES_HINT = 'Hint: pip install "kamseg[lifetimes]".'

#: The product catalogue: (product, category, need_level, unit_price, popularity weight).
#: Need levels follow Kano: "basic" (must-be), "expected" (performance), "latent" (delight).
CATALOG: tuple[tuple[str, str, str, float, float], ...] = (
    ("fasteners", "components", "basic", 12.0, 5.0),
    ("bearings", "components", "basic", 38.0, 4.0),
    ("seals", "components", "basic", 9.5, 3.0),
    ("lubricants", "consumables", "basic", 24.0, 4.0),
    ("filters", "consumables", "basic", 31.0, 3.0),
    ("sensors", "electronics", "expected", 120.0, 4.0),
    ("controllers", "electronics", "expected", 480.0, 3.0),
    ("drives", "electronics", "expected", 950.0, 2.0),
    ("installation", "services", "expected", 300.0, 2.0),
    ("maintenance-contract", "services", "expected", 1200.0, 2.0),
    ("training", "services", "latent", 650.0, 2.0),
    ("remote-monitoring", "software", "latent", 200.0, 3.0),
    ("predictive-analytics", "software", "latent", 1500.0, 1.0),
    ("custom-engineering", "services", "latent", 2500.0, 1.0),
)
_NEED_LEVELS = ("basic", "expected", "latent")
_INDUSTRIES = (
    ("manufacturing", 0.26),
    ("retail", 0.14),
    ("logistics", 0.12),
    ("healthcare", 0.1),
    ("energy", 0.1),
    ("technology", 0.12),
    ("construction", 0.1),
    ("finance", 0.06),
)
_REGIONS = (("North", 0.22), ("South", 0.2), ("East", 0.25), ("West", 0.2), ("Central", 0.13))
_SIZE_TIERS = ("small", "medium", "large", "enterprise")
_TIER_EMPLOYEES = (50, 250, 1000)  # lower bounds of medium, large, enterprise
_COMPLAINT_CATEGORIES = (
    ("delivery", 0.3),
    ("quality", 0.25),
    ("billing", 0.2),
    ("service", 0.15),
    ("product", 0.1),
)
_SEVERITIES = ("low", "medium", "high")
_RESOLVED_PROB = (0.92, 0.8, 0.6)  # by severity
_SURVEY_AFTER_DROPOUT_DAYS = 180
_COMPLAINT_LAG_DAYS = 14


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A synthetic customer base with its ground truth, as made by :func:`make_transactions`.

    Attributes
    ----------
    transactions : DataFrame
        One row per order: `order_id` (int64, unique), `customer_id` (int64), `date`
        (datetime64[us], midnight), `product` (categorical, the catalogue's products),
        `amount` (float64, > 0) and `profit` (float64, ``amount * margin``). Sorted by date,
        then customer, then order; do not rely on that order.
    master : DataFrame
        One row per known customer, prospects included, indexed by `customer_id`: `industry`,
        `region` (categorical), `employees` (int64), `size_tier` (ordered categorical small <
        medium < large < enterprise), `market_influence` and `strategic_fit` (float64, 0..1),
        `cost_to_serve` (float64, per year), `acquisition_date` (datetime64[us]; the first
        purchase of a buyer, the CRM entry date of a prospect) and `is_prospect` (bool).
    surveys : DataFrame
        Survey answers: `customer_id`, `date`, `nps` (int64, 0..10), `csat` (int64, 1..5).
    complaints : DataFrame
        `customer_id`, `date`, `category` (categorical), `severity` (ordered categorical
        low < medium < high) and `resolved` (bool).
    catalog : DataFrame
        `product`, `category` (str), `need_level` (ordered categorical basic < expected <
        latent) and `unit_price` (float64).
    truth : DataFrame
        The values that generated the data, indexed by `customer_id` (every master row):
        `purchase_rate` (true λ, purchases per day), `dropout_prob` (θ), `mean_spend` (true
        mean order value) - these three are NaN for prospects -, `size_factor`, `margin`,
        `cost_to_serve`, `latent_share` (probability that an order is a latent-need product),
        `satisfaction` (latent score η, NaN for prospects), `first_purchase` and
        `dropout_date` (datetime64[us]; NaT for prospects, and `dropout_date` NaT when the
        customer is still alive at `as_of`), `alive` (bool; False for prospects),
        `n_transactions` (int64) and `is_prospect` (bool).
    as_of : Timestamp
        The end of the observation window; no row is dated after it.
    params : Mapping
        The generation parameters (read-only).
    """

    transactions: pd.DataFrame
    master: pd.DataFrame
    surveys: pd.DataFrame
    complaints: pd.DataFrame
    catalog: pd.DataFrame
    truth: pd.DataFrame
    as_of: pd.Timestamp
    params: Mapping[str, Any]

    def __repr__(self) -> str:
        n_prospects = int(self.truth["is_prospect"].sum())
        return (
            f"Dataset(transactions={len(self.transactions):,} rows, "
            f"customers={len(self.master):,} ({n_prospects:,} prospects), "
            f"surveys={len(self.surveys):,}, complaints={len(self.complaints):,}, "
            f"products={len(self.catalog)}, as_of={self.as_of.date().isoformat()})"
        )


# --------------------------------------------------------------------------- validation

# the argument checks are shared with make_invoice_lines, one module down
_check_float = functools.partial(check_number, func=_FUNC)
_check_day = functools.partial(check_day, func=_FUNC)


# --------------------------------------------------------------------------- generator


def _draw_categories(
    rng: np.random.Generator, table: tuple[tuple[str, float], ...], size: int
) -> pd.Categorical:
    names = [name for name, _ in table]
    weights = np.array([w for _, w in table], dtype=np.float64)
    codes = rng.choice(len(names), size=size, p=weights / weights.sum()).astype(np.int8)
    return _categorical(codes, names)


def _categorical(
    codes: np.ndarray, names: list[str] | tuple[str, ...], *, ordered: bool = False
) -> pd.Categorical:
    """A categorical from integer codes into `names`."""
    dtype = pd.CategoricalDtype(pd.Index(list(names), dtype="str"), ordered=ordered)
    return pd.Categorical.from_codes(codes, dtype=dtype)


def _to_dates(start_us: int, days: np.ndarray) -> np.ndarray:
    """Day offsets from `start` -> datetime64[us] values."""
    return (days.astype(np.int64) * _US_PER_DAY + start_us).view(_UNIT)


def _sort_by_day(days: np.ndarray) -> np.ndarray:
    """Stable order by day (rows that are already in customer order stay so within a day)."""
    key = days.astype(np.uint16) if days.size and days.max() < 2**16 else days
    return np.argsort(key, kind="stable")


def _catalog_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product": pd.array([row[0] for row in CATALOG], dtype="str"),
            "category": pd.array([row[1] for row in CATALOG], dtype="str"),
            "need_level": pd.Categorical(
                [row[2] for row in CATALOG], categories=list(_NEED_LEVELS), ordered=True
            ),
            "unit_price": np.array([row[3] for row in CATALOG], dtype=np.float64),
        }
    )


def _draw_products(
    rng: np.random.Generator, latent_share: np.ndarray, expected_share: float
) -> np.ndarray:
    """Catalogue codes (int8) for orders whose latent-need probabilities are given."""
    u = rng.random(latent_share.size)
    level = np.zeros(latent_share.size, dtype=np.int8)  # basic
    level[u < latent_share + expected_share] = 1
    level[u < latent_share] = 2
    v = rng.random(latent_share.size)
    codes = np.empty(latent_share.size, dtype=np.int8)
    for lvl, name in enumerate(_NEED_LEVELS):
        members = np.array([i for i, row in enumerate(CATALOG) if row[2] == name])
        weights = np.array([CATALOG[i][4] for i in members], dtype=np.float64)
        cum = np.cumsum(weights) / weights.sum()
        mask = level == lvl
        pick = np.searchsorted(cum, v[mask], side="right")
        codes[mask] = members[np.minimum(pick, members.size - 1)]
    return codes


def make_transactions(
    n_customers: int = 1000,
    *,
    seed: int = 0,
    start: DateLike = "2022-01-01",
    as_of: DateLike = "2024-12-31",
    prospect_share: float = 0.1,
    r: float = 0.75,
    alpha: float = 27.0,
    a: float = 1.2,
    b: float = 20.0,
    p: float = 6.0,
    q: float = 4.0,
    gamma: float = 250.0,
    size_sigma: float = 0.8,
    acquisition_skew: float = 1.5,
    margin_mean: float = 0.25,
    cost_to_serve_median: float = 150.0,
    survey_rate: float = 0.5,
    complaint_rate: float = 0.04,
) -> Dataset:
    r"""Generate a synthetic B2B customer base with known ground truth.

    Purchases follow BG/NBD, order values Gamma-Gamma times a lognormal account-size factor;
    see the module docstring for the full model. With the defaults a buying customer makes
    about 10 purchases over the three-year window (median 5, a long tail beyond 50), about
    40 % of the buyers have dropped out by `as_of`, about a third of the buyers do not earn
    their cost to serve, and the top 20 % of the buyers bring about three quarters of the
    revenue.

    Parameters
    ----------
    n_customers : int, default 1000
        Rows of the customer master, prospects included (at least 1).
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same data.
    start, as_of : date-like, default "2022-01-01", "2024-12-31"
        First and last day of the window (times of day are dropped). Customers are acquired
        in ``[start, as_of)``; no row is dated after `as_of`.
    prospect_share : float, default 0.1
        Share of the master that never bought, in [0, 1); their number is
        ``floor(n_customers * prospect_share)``, so there is always at least one buyer.
    r, alpha : float, default 0.75, 27.0
        Shape and rate of the gamma distribution of purchase rates λ (per day); the mean rate
        ``r / alpha`` is about 0.028 a day, 10 a year.
    a, b : float, default 1.2, 20.0
        Beta distribution of the dropout probability θ after each purchase (mean 0.057).
    p, q, gamma : float, default 6.0, 4.0, 250.0
        Gamma-Gamma spend: order value ~ Gamma(shape `p`, rate ν), ν ~ Gamma(shape `q`, rate
        `gamma`); mean order value ``p * gamma / (q - 1)`` = 500 (times the size factor).
    size_sigma : float, default 0.8
        Log-scale standard deviation of the account-size factor (mean 1); 0 turns it off.
    acquisition_skew : float, default 1.5
        Birth at ``start + D * U**acquisition_skew`` days; 1 is uniform acquisition, larger
        values acquire more customers early.
    margin_mean : float, default 0.25
        Mean of the beta-distributed profit margin, in (0, 1).
    cost_to_serve_median : float, default 150.0
        Median annual cost to serve an account of average size (>= 0).
    survey_rate : float, default 0.5
        Survey answers per customer and year of relationship (>= 0).
    complaint_rate : float, default 0.04
        Complaints per order of a customer with average satisfaction (>= 0).

    Returns
    -------
    Dataset
        A frozen container with `transactions`, `master`, `surveys`, `complaints`, `catalog`,
        `truth`, `as_of` and `params`; see :class:`Dataset` for every column.

    Raises
    ------
    ConfigError
        If `n_customers` < 1, `seed` < 0, a date cannot be parsed or ``start >= as_of``, a
        share is outside [0, 1) or a model parameter is out of range.

    Notes
    -----
    Fully vectorised: about 10 million transactions (one million customers) take a few
    seconds and under 2 GB of memory.

    Examples
    --------
    >>> from kamseg.datasets import make_transactions
    >>> data = make_transactions(n_customers=200, seed=0)
    >>> len(data.master), int(data.truth.is_prospect.sum())
    (200, 20)
    >>> data.transactions.columns.tolist()
    ['order_id', 'customer_id', 'date', 'product', 'amount', 'profit']
    >>> bool(data.transactions.date.max() <= data.as_of)
    True
    >>> data.as_of
    Timestamp('2024-12-31 00:00:00')
    """
    n = check_int(n_customers, func=_FUNC, arg="n_customers", low=1)
    seed = check_int(seed, func=_FUNC, arg="seed", low=0)
    start_ts = _check_day(start, arg="start")
    as_of_ts = _check_day(as_of, arg="as_of")
    if start_ts >= as_of_ts:
        raise ConfigError(
            f"{_FUNC}: `start` ({start_ts.date()}) must be before `as_of` "
            f"({as_of_ts.date()}). Hint: swap them or widen the window."
        )
    prospect_share = _check_float(
        prospect_share, arg="prospect_share", low=0.0, high=1.0, low_inclusive=True
    )
    r = _check_float(r, arg="r", low=0.0)
    alpha = _check_float(alpha, arg="alpha", low=0.0)
    a = _check_float(a, arg="a", low=0.0)
    b = _check_float(b, arg="b", low=0.0)
    p = _check_float(p, arg="p", low=0.0)
    q = _check_float(q, arg="q", low=0.0)
    gamma = _check_float(gamma, arg="gamma", low=0.0)
    size_sigma = _check_float(size_sigma, arg="size_sigma", low=0.0, low_inclusive=True)
    acquisition_skew = _check_float(acquisition_skew, arg="acquisition_skew", low=0.0)
    margin_mean = _check_float(margin_mean, arg="margin_mean", low=0.0, high=1.0)
    cost_to_serve_median = _check_float(
        cost_to_serve_median, arg="cost_to_serve_median", low=0.0, low_inclusive=True
    )
    survey_rate = _check_float(survey_rate, arg="survey_rate", low=0.0, low_inclusive=True)
    complaint_rate = _check_float(
        complaint_rate, arg="complaint_rate", low=0.0, low_inclusive=True
    )
    params: dict[str, Any] = {
        "n_customers": n,
        "seed": seed,
        "start": start_ts,
        "as_of": as_of_ts,
        "prospect_share": prospect_share,
        "r": r,
        "alpha": alpha,
        "a": a,
        "b": b,
        "p": p,
        "q": q,
        "gamma": gamma,
        "size_sigma": size_sigma,
        "acquisition_skew": acquisition_skew,
        "margin_mean": margin_mean,
        "cost_to_serve_median": cost_to_serve_median,
        "survey_rate": survey_rate,
        "complaint_rate": complaint_rate,
    }

    rng = np.random.default_rng(seed)
    n_days = int((as_of_ts - start_ts).days)  # D: as_of is day D, start is day 0
    start_us = int(np.datetime64(start_ts.date(), "us").astype(np.int64))  # since the epoch

    # ---- customers: who is a prospect, and the traits every account has
    is_prospect = np.zeros(n, dtype=bool)
    is_prospect[rng.choice(n, size=int(n * prospect_share), replace=False)] = True
    buyers = np.flatnonzero(~is_prospect)
    nb = buyers.size
    z_size = rng.standard_normal(n)
    size = np.exp(size_sigma * z_size - size_sigma**2 / 2)
    margin = rng.beta(20 * margin_mean, 20 * (1 - margin_mean), n)
    cost_to_serve = np.round(
        cost_to_serve_median * size**0.4 * np.exp(0.5 * rng.standard_normal(n)), 2
    )
    latent_share = 0.03 + 0.3 * rng.beta(1.0, 3.0, n)

    # ---- buyers: BG/NBD purchase process
    lam = rng.gamma(r, 1 / alpha, nb)
    theta = np.clip(rng.beta(a, b, nb), 1e-12, 1 - 1e-12)
    t0 = n_days * rng.random(nb) ** acquisition_skew
    exposure = (n_days + 1) - t0
    k_total = 1 + rng.poisson(lam * exposure)
    n_before_dropout = rng.geometric(theta)
    n_tx = np.minimum(n_before_dropout, k_total)
    dropped = n_before_dropout <= k_total
    total = int(n_tx.sum())
    offsets = np.cumsum(n_tx) - n_tx  # first row of each buyer
    last = offsets + n_tx - 1

    # Exponential spacings; the k-th repeat purchase sits at S_k / S_K of the exposure.
    spacing = rng.standard_exponential(total)
    spacing[offsets] = 0.0
    cum = np.cumsum(spacing)
    del spacing
    cum -= np.repeat(cum[offsets], n_tx)
    s_total = cum[last] + rng.standard_gamma((k_total - n_tx + 1).astype(np.float64))
    cum *= np.repeat(exposure / s_total, n_tx)
    cum += np.repeat(t0, n_tx)
    day = np.minimum(np.floor(cum), n_days).astype(np.int32)
    del cum
    birth_day = day[offsets]
    dropout_day = np.where(dropped, day[last], -1)

    # ---- spend, margin, product per order
    nu = rng.gamma(q, 1 / gamma, nb)
    spend_scale = size[buyers] / nu
    mean_spend = p * spend_scale
    amount = rng.standard_gamma(p, total)
    amount *= np.repeat(spend_scale, n_tx)
    amount = np.maximum(np.round(amount, 2), 0.01)
    codes = _draw_products(rng, np.repeat(latent_share[buyers], n_tx), 0.35)

    # ---- latent satisfaction of buyers
    logit = np.log(theta) - np.log1p(-theta)
    logit_sd = float(logit.std())
    logit_z = (logit - logit.mean()) / (logit_sd if logit_sd > 0 else 1.0)
    satisfaction = 0.8 * rng.standard_normal(nb) - 0.5 * logit_z - 1.0 * dropped

    # ---- surveys
    end_day = np.where(
        dropped, np.minimum(dropout_day + _SURVEY_AFTER_DROPOUT_DAYS, n_days), n_days
    )
    span = end_day - birth_day + 1
    n_surveys = rng.poisson(survey_rate * span / 365.25)
    s_owner = np.repeat(np.arange(nb), n_surveys)
    s_day = np.repeat(birth_day, n_surveys) + np.floor(
        rng.random(s_owner.size) * np.repeat(span, n_surveys)
    ).astype(np.int64)
    eta = satisfaction[s_owner]
    nps = np.clip(np.round(8.1 + 1.6 * eta + 1.2 * rng.standard_normal(eta.size)), 0, 10)
    csat = np.clip(np.round(4.2 + 0.6 * eta + 0.6 * rng.standard_normal(eta.size)), 1, 5)
    order = _sort_by_day(s_day)
    surveys = pd.DataFrame(
        {
            "customer_id": (buyers[s_owner[order]] + 1).astype(np.int64),
            "date": _to_dates(start_us, s_day[order]),
            "nps": nps[order].astype(np.int64),
            "csat": csat[order].astype(np.int64),
        },
        copy=False,
    )

    # ---- complaints: each within a few days after one of the buyer's orders
    n_complaints = rng.poisson(complaint_rate * n_tx * np.exp(-0.6 * satisfaction))
    c_owner = np.repeat(np.arange(nb), n_complaints)
    c_row = np.repeat(offsets, n_complaints) + np.floor(
        rng.random(c_owner.size) * np.repeat(n_tx, n_complaints)
    ).astype(np.int64)
    c_day = np.minimum(day[c_row] + rng.integers(0, _COMPLAINT_LAG_DAYS + 1, c_owner.size), n_days)
    p_high = 0.5 / (1 + np.exp(1.0 + 0.8 * satisfaction[c_owner]))
    u = rng.random(c_owner.size)
    severity = np.where(u < p_high, 2, np.where(u < p_high + 0.35, 1, 0)).astype(np.int8)
    resolved = rng.random(c_owner.size) < np.asarray(_RESOLVED_PROB)[severity]
    category = _draw_categories(rng, _COMPLAINT_CATEGORIES, c_owner.size)
    order = _sort_by_day(c_day)
    complaints = pd.DataFrame(
        {
            "customer_id": (buyers[c_owner[order]] + 1).astype(np.int64),
            "date": _to_dates(start_us, c_day[order]),
            "category": category[order],
            "severity": _categorical(severity[order], _SEVERITIES, ordered=True),
            "resolved": resolved[order],
        },
        copy=False,
    )

    # ---- master
    industry = _draw_categories(rng, _INDUSTRIES, n)
    region = _draw_categories(rng, _REGIONS, n)
    employees = np.maximum(
        np.round(np.exp(np.log(80.0) + 1.3 * z_size + 0.6 * rng.standard_normal(n))), 1
    ).astype(np.int64)
    tier = np.searchsorted(np.asarray(_TIER_EMPLOYEES), employees, side="right")
    influence = 1 / (1 + np.exp(-(0.9 * z_size + 0.7 * rng.standard_normal(n) - 0.8)))
    fit = rng.beta(2.5, 2.5, n)
    acquisition_day = rng.integers(0, n_days + 1, n)  # CRM entry date of prospects
    acquisition_day[buyers] = birth_day
    customer_id = pd.Index(np.arange(1, n + 1, dtype=np.int64), name="customer_id")
    master = pd.DataFrame(
        {
            "industry": industry,
            "region": region,
            "employees": employees,
            "size_tier": _categorical(tier.astype(np.int8), _SIZE_TIERS, ordered=True),
            "market_influence": np.round(influence, 2),
            "strategic_fit": np.round(fit, 2),
            "cost_to_serve": cost_to_serve,
            "acquisition_date": _to_dates(start_us, acquisition_day),
            "is_prospect": is_prospect,
        },
        index=customer_id,
        copy=False,
    )

    # ---- truth
    def per_customer(values: np.ndarray, fill: float = np.nan) -> np.ndarray:
        out = np.full(n, fill, dtype=np.float64)
        out[buyers] = values
        return out

    first_purchase = np.full(n, np.datetime64("NaT"), dtype=_UNIT)
    first_purchase[buyers] = _to_dates(start_us, birth_day)
    dropout_date = np.full(n, np.datetime64("NaT"), dtype=_UNIT)
    dropout_date[buyers[dropped]] = _to_dates(start_us, dropout_day[dropped])
    alive = np.zeros(n, dtype=bool)
    alive[buyers] = ~dropped
    n_transactions = np.zeros(n, dtype=np.int64)
    n_transactions[buyers] = n_tx
    truth = pd.DataFrame(
        {
            "purchase_rate": per_customer(lam),
            "dropout_prob": per_customer(theta),
            "mean_spend": per_customer(mean_spend),
            "size_factor": size,
            "margin": margin,
            "cost_to_serve": cost_to_serve.copy(),
            "latent_share": latent_share,
            "satisfaction": per_customer(satisfaction),
            "first_purchase": first_purchase,
            "dropout_date": dropout_date,
            "alive": alive,
            "n_transactions": n_transactions,
            "is_prospect": is_prospect.copy(),
        },
        index=customer_id.copy(),
        copy=False,
    )

    # ---- transactions, sorted by date then customer (then purchase order)
    owner = np.repeat(buyers, n_tx)
    order = _sort_by_day(day)
    day = day[order]
    owner = owner[order]
    tx_amount = amount[order]
    del amount
    transactions = pd.DataFrame(
        {
            "order_id": np.arange(1, total + 1, dtype=np.int64),
            "customer_id": owner + 1,
            "date": _to_dates(start_us, day),
            "product": _categorical(codes[order], [row[0] for row in CATALOG]),
            "amount": tx_amount,
            "profit": tx_amount * margin[owner],
        },
        copy=False,
    )
    return Dataset(
        transactions=transactions,
        master=master,
        surveys=surveys,
        complaints=complaints,
        catalog=_catalog_frame(),
        truth=truth,
        as_of=as_of_ts,
        params=types.MappingProxyType(params),
    )


# --------------------------------------------------------------------------- CDNOW


def draw_bgnbd(
    T: np.ndarray, *, r: float, alpha: float, a: float, b: float, seed: int = 0
) -> pd.DataFrame:
    r"""Customer histories drawn from the BG/NBD model (Fader, Hardie & Lee 2005).

    Customer i is watched for ``T[i]`` time units after a first purchase at 0: it buys at
    the rate :math:`\lambda_i \sim \mathrm{Gamma}(r, \alpha)` (shape, rate) while alive
    and, right after each repeat purchase, drops out for good with the probability
    :math:`p_i \sim \mathrm{Beta}(a, b)`. Times are continuous (round them for periods).

    Returns a DataFrame with ``frequency`` (repeat purchases), ``recency`` (time of the
    last one, 0 without any) and ``T``, one row per element of `T`.

    Examples
    --------
    >>> import numpy as np
    >>> d = draw_bgnbd(np.full(20_000, 365.0), r=0.5, alpha=20.0, a=1.0, b=9.0, seed=1)
    >>> bool((d["recency"] <= d["T"]).all()), round(float(d["frequency"].mean()), 1)
    (True, 5.0)
    """
    T = np.asarray(T, dtype=np.float64)
    n = T.size
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1.0 / alpha, n)
    drop = rng.beta(a, b, n)
    x, t_x, t = np.zeros(n), np.zeros(n), np.zeros(n)
    alive = np.ones(n, dtype=bool)
    while alive.any():  # one purchase more for every customer still buying
        idx = np.flatnonzero(alive)
        t[idx] += rng.exponential(1.0 / rate[idx])
        bought = t[idx] < T[idx]
        alive[idx[~bought]] = False
        buy = idx[bought]
        x[buy] += 1
        t_x[buy] = t[buy]
        alive[buy[rng.random(buy.size) < drop[buy]]] = False
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T})


def _lifetimes_file(name: str, *, func: str) -> Path:
    """Path of a data file shipped in ``lifetimes/datasets``, without importing lifetimes."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("lifetimes")
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise ImportError(
            f"{func} needs the data shipped with the 'lifetimes' package, which is not "
            f"installed. {_LIFETIMES_HINT}"
        )
    for location in locations:
        path = Path(location) / "datasets" / name
        if path.is_file():
            return path
    raise ImportError(
        f"{func}: the installed 'lifetimes' package has no datasets/{name}. "
        f'Hint: reinstall it with pip install --force-reinstall "kamseg[lifetimes]".'
    )


def load_cdnow() -> pd.DataFrame:
    """Load the full CDNOW transaction log (Fader & Hardie's music-CD purchases).

    69,659 purchases by 23,570 customers who first bought in the first quarter of 1997,
    followed until 1998-06-30. Read from ``CDNOW_master.txt`` shipped by the ``lifetimes``
    package (the package itself is not imported).

    Returns
    -------
    DataFrame
        One row per purchase line: `customer_id` (int64), `date` (datetime64[us]),
        `quantity` (int64, number of CDs) and `amount` (float64, US dollars), in file order.

    Raises
    ------
    ImportError
        If lifetimes is not installed; ``pip install "kamseg[lifetimes]"`` fixes it.

    Examples
    --------
    >>> from kamseg.datasets import load_cdnow
    >>> cdnow = load_cdnow()
    >>> cdnow.shape, cdnow.customer_id.nunique()
    ((69659, 4), 23570)
    >>> cdnow.date.min().date(), cdnow.date.max().date()
    (datetime.date(1997, 1, 1), datetime.date(1998, 6, 30))
    """
    path = _lifetimes_file("CDNOW_master.txt", func="load_cdnow")
    raw = pd.read_csv(
        path,
        sep=r"\s+",
        dtype={"customer_id": "int64", "date": "str", "number_of_cds": "int64"},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].to_numpy(dtype=np.int64),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d").to_numpy().astype(_UNIT),
            "quantity": raw["number_of_cds"].to_numpy(dtype=np.int64),
            "amount": raw["dollar_value"].to_numpy(dtype=np.float64),
        }
    )


def load_cdnow_summary() -> pd.DataFrame:
    """Load the CDNOW BTYD summary of 2,357 customers used by Fader, Hardie & Lee (2005).

    Weekly periods over the papers' 39-week calibration window, which ends on 1997-09-30
    (customers first bought in the first quarter of 1997). Read from
    ``cdnow_customers_summary.csv`` shipped by ``lifetimes``.

    Returns
    -------
    DataFrame
        Indexed by `customer_id` (int64) with `frequency` (repeat purchases), `recency`
        (weeks from the first to the last purchase) and `T` (weeks from the first purchase
        to the end of the window), all float64.

    Raises
    ------
    ImportError
        If lifetimes is not installed; ``pip install "kamseg[lifetimes]"`` fixes it.

    Examples
    --------
    >>> from kamseg.datasets import load_cdnow_summary
    >>> summary = load_cdnow_summary()
    >>> summary.shape
    (2357, 3)
    >>> summary.loc[1].tolist()
    [2.0, 30.43, 38.86]
    """
    path = _lifetimes_file("cdnow_customers_summary.csv", func="load_cdnow_summary")
    raw = pd.read_csv(path, dtype={"ID": "int64"})
    index = pd.Index(raw["ID"].to_numpy(dtype=np.int64), name="customer_id")
    return pd.DataFrame(
        {col: raw[col].to_numpy(dtype=np.float64) for col in ("frequency", "recency", "T")},
        index=index,
    )
