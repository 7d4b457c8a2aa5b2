r"""A messy invoice-line export with known ground truth (:func:`make_invoice_lines`).

Shaped like the public UCI "Online Retail" export (Chen, Sain & Guo 2012: 541,909 lines of
a UK online retailer from 2010-12-01 to 2011-12-09), with the same columns and the same
kinds of trouble: cancellation invoices, guest lines without a customer id, float ids,
unit prices of 0, duplicate lines and, on request, a mistyped date and ids with stray
spaces. Every customer belongs to one segment with a known behaviour, and the true
per-customer values come back with the lines, so that a whole job can be checked on it.

Also home of the argument checks shared by the generators of :mod:`kamseg.datasets`
(this module sits below it).

The generative model
--------------------
Days are counted from `start` (day 0) to `end` (day :math:`D`). Customer ids are distinct
integers drawn from 12346 upwards (as in the real export); each customer has a country
(mostly the United Kingdom) and an account-size factor
:math:`s_i = \exp(0.9 Z_i - 0.405)` (mean 1) that multiplies the quantities of its lines.
The customers are split into five segments (counts ``floor(share * n_customers)``, at
least one each and two fully cancelled customers; "regular" takes the rest):

* ``"regular"`` - BG/NBD repeat buyers: first invoice on day :math:`t_0 \sim U(0, D-14)`,
  purchase rate :math:`\lambda \sim \mathrm{Gamma}(2, \text{mean } 1/40)` a day, dropout
  probability :math:`\theta \sim \mathrm{Beta}(1.5, 10)` after each invoice from the
  second on; at least two purchase invoices. They are `alive` when they had not dropped
  out by `end`.
* ``"no_dropout"`` - first invoice in the first three weeks, then one every :math:`g` days,
  :math:`g \sim U(10, 30)` (each jittered by up to :math:`\pm 0.2 g`), to the end: the last
  purchase is at most :math:`1.2 g` days before `end`.
* ``"churned_overdue"`` - first invoice in the first two weeks, then one every 14 to 28
  days (a fixed gap per customer, :math:`\pm 2` days) for months, then silent: the last
  invoice is 240 to 255 days before `end`.
* ``"fully_cancelled"`` - one or two purchase invoices, each cancelled in full by a
  cancellation invoice (same day or up to 30 days later): net revenue exactly 0. The first
  of them is the real export's largest case: 80,995 x "PAPER CRAFT , LITTLE BIRDIE" at
  2.08 and 2 x 1.45 on the last day, cancelled minutes later (gross 168,472.50, net 0; in
  the real file one small line stayed, net 2.90). The second buys 74,215 x 1.04
  (77,183.60) and cancels it the same day.
* ``"one_off"`` - a single purchase invoice on a uniform day, never cancelled.

Invoices of customers have :math:`1 + \mathrm{Poisson}(G)` lines,
:math:`G \sim \mathrm{Gamma}(2, \text{mean } 7)`, at most 23: the products of a small
catalogue, each at most once per invoice (the first by popularity, then in random strides);
the quantity is a typical pack size (1 to 48) times :math:`s_i`, rounded; the unit price is
the catalogue price, 15 % off from 12 pieces, in whole pence. Times of day are uniform from
07:00 to 20:00, to the minute.

A share `cancel_share` of the purchase invoices of regular and no-dropout customers (never
a customer's first invoice, so their net revenue stays positive) is cancelled by a "C"
invoice: in full (40 %) or in part (each line with probability 0.5, at least one, 1 to all
of its quantity), the same day (60 %: 5 minutes to 3 hours later) or 1 to 30 days later
(at most on `end`). Cancellation lines repeat the stock code and unit price with a negative
quantity. Invoice numbers count up from 536365 in time order, cancellations included,
which carry a "C" prefix ("C536379").

Guest invoices (no customer id, :math:`1 + \mathrm{Poisson}(G)` lines with mean
:math:`G` 16, at most 23; small quantities; mostly the United Kingdom) are added until
their lines are `guest_share` of the customers' and guests' lines. With ``messy=True``:
0.5 % more lines copy a purchase line of a guest or a regular or no-dropout customer with
unit price 0 (a free item); 1 % more lines are exact duplicates of such lines; one line of
a regular customer has its date mistyped as 2099-01-01 (its time of day kept); and with
``id_dtype="text"``, one line of each of about 1 % of the regular and no-dropout customers
(at least one) has the id with a leading or trailing space.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import math
import types
from collections.abc import Mapping
from typing import Any, Literal, TypeAlias, get_args

import numpy as np
import pandas as pd

from kamseg._validation import check_choice, check_int
from kamseg.errors import ConfigError

__all__ = [
    "INVOICE_SEGMENTS",
    "IdDtype",
    "InvoiceData",
    "check_day",
    "check_number",
    "make_invoice_lines",
]

DateLike: TypeAlias = "str | _dt.date | pd.Timestamp | np.datetime64"
IdDtype = Literal["float", "text"]

_FUNC = "make_invoice_lines"
_UNIT = "datetime64[us]"
_US_PER_MINUTE = 60_000_000
_MINUTES_PER_DAY = 1440

#: The segments of :func:`make_invoice_lines`, in the order of the `segment` categories.
INVOICE_SEGMENTS: tuple[str, ...] = (
    "regular",
    "no_dropout",
    "churned_overdue",
    "fully_cancelled",
    "one_off",
)
_REGULAR, _NO_DROPOUT, _OVERDUE, _CANCELLED, _ONE_OFF = range(5)
#: Default shares of the segments other than "regular" (which takes the rest).
_DEFAULT_SHARES: Mapping[str, float] = types.MappingProxyType(
    {"no_dropout": 0.10, "churned_overdue": 0.10, "fully_cancelled": 0.01, "one_off": 0.30}
)
_MIN_WINDOW_DAYS = 330  # room for months of buying and 255 silent days
_FIRST_ID = 12346
_ID_RANGE = 5942  # ids 12346..18287 as in the real export (wider for more customers)
_FIRST_INVOICE = 536365
_TYPO_DATE = np.datetime64("2099-01-01", "us")

#: (StockCode, Description, unit price, popularity weight); weight 0: the large cases only.
_CATALOG: tuple[tuple[str, str, float, float], ...] = (
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55, 8.0),
    ("71053", "WHITE METAL LANTERN", 3.39, 3.0),
    ("84406B", "CREAM CUPID HEARTS COAT HANGER", 2.75, 3.0),
    ("84029G", "KNITTED UNION FLAG HOT WATER BOTTLE", 3.39, 3.0),
    ("84029E", "RED WOOLLY HOTTIE WHITE HEART.", 3.39, 3.0),
    ("22752", "SET 7 BABUSHKA NESTING BOXES", 7.65, 2.0),
    ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 4.25, 2.0),
    ("22633", "HAND WARMER UNION JACK", 1.85, 4.0),
    ("22632", "HAND WARMER RED POLKA DOT", 1.85, 3.0),
    ("84879", "ASSORTED COLOUR BIRD ORNAMENT", 1.69, 6.0),
    ("22745", "POPPY'S PLAYHOUSE BEDROOM", 2.10, 2.0),
    ("22748", "POPPY'S PLAYHOUSE KITCHEN", 2.10, 2.0),
    ("84969", "BOX OF 6 ASSORTED COLOUR TEASPOONS", 4.25, 2.0),
    ("22623", "BOX OF VINTAGE JIGSAW BLOCKS", 4.95, 2.0),
    ("22423", "REGENCY CAKESTAND 3 TIER", 12.75, 5.0),
    ("85099B", "JUMBO BAG RED RETROSPOT", 2.08, 7.0),
    ("47566", "PARTY BUNTING", 4.95, 5.0),
    ("20725", "LUNCH BAG RED RETROSPOT", 1.65, 5.0),
    ("22720", "SET OF 3 CAKE TINS PANTRY DESIGN", 4.95, 3.0),
    ("21212", "PACK OF 72 RETROSPOT CAKE CASES", 0.55, 5.0),
    ("22197", "SMALL POPCORN HOLDER", 0.85, 4.0),
    ("23084", "RABBIT NIGHT LIGHT", 2.08, 4.0),
    ("POST", "POSTAGE", 18.00, 1.0),
    ("23843", "PAPER CRAFT , LITTLE BIRDIE", 2.08, 0.0),
    ("23166", "MEDIUM CERAMIC TOP STORAGE JAR", 1.04, 0.0),
)
_BIRDIE, _JAR, _BIRD_ORNAMENT = 23, 24, 9  # _BIRDIE: products drawn by chance
_PACKS = np.array([1, 2, 3, 4, 6, 8, 10, 12, 24, 48], dtype=np.float64)
_PACK_WEIGHTS = np.array([12, 10, 8, 8, 14, 6, 6, 20, 10, 6], dtype=np.float64)
_GUEST_PACKS = np.array([1, 2, 3, 4, 6], dtype=np.float64)
_GUEST_PACK_WEIGHTS = np.array([40, 20, 10, 10, 20], dtype=np.float64)
_BULK_FROM, _BULK_PRICE = 12, 0.85
_COUNTRIES: tuple[tuple[str, float], ...] = (
    ("United Kingdom", 0.89),
    ("Germany", 0.025),
    ("France", 0.02),
    ("EIRE", 0.012),
    ("Spain", 0.008),
    ("Netherlands", 0.007),
    ("Belgium", 0.007),
    ("Switzerland", 0.006),
    ("Portugal", 0.005),
    ("Australia", 0.004),
    ("Norway", 0.004),
    ("Italy", 0.004),
    ("Channel Islands", 0.004),
    ("Finland", 0.004),
)
_GUEST_UK = 0.97
_ZERO_PRICE_SHARE = 0.005
_DUPLICATE_SHARE = 0.01
_SPACED_CUSTOMER_SHARE = 0.01


# --------------------------------------------------------------------------- checks


def check_number(
    value: Any,
    *,
    func: str,
    arg: str,
    low: float,
    high: float = math.inf,
    low_inclusive: bool = False,
    high_inclusive: bool = False,
) -> float:
    """Check that `value` is a real number in the given interval; return it as ``float``."""
    lo = "[" if low_inclusive else "("
    hi = "]" if high_inclusive else ")"
    interval = f"{lo}{low:g}, {high:g}{hi}"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"{func}: `{arg}` must be a number in {interval}; got {value!r}.")
    x = float(value)
    ok = (x >= low if low_inclusive else x > low) and (x <= high if high_inclusive else x < high)
    if not ok or math.isnan(x):
        raise ConfigError(
            f"{func}: `{arg}` must be a number in {interval}; got {value!r}. "
            "Hint: see the parameter list in the docstring."
        )
    return x


def check_day(value: Any, *, func: str, arg: str) -> pd.Timestamp:
    """Parse a date argument into a naive, midnight Timestamp with microsecond unit."""
    if isinstance(value, bool | int | float | np.number):
        raise ConfigError(
            f"{func}: `{arg}` must be a date; got the number {value!r}. "
            "Hint: use ISO 8601 text such as '2024-12-31'."
        )
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"{func}: `{arg}` must be a date; got {value!r} ({exc}). "
            "Hint: use ISO 8601 text such as '2024-12-31'."
        ) from exc
    if pd.isna(ts):
        raise ConfigError(f"{func}: `{arg}` must be a date; got {value!r}.")
    if ts.tzinfo is not None:
        raise ConfigError(
            f"{func}: `{arg}` must be a naive date (no time zone); got {value!r}. "
            "Hint: pass the local calendar date, e.g. '2024-12-31'."
        )
    return ts.normalize().as_unit("us")


def _segment_counts(n: int, shares: Mapping[str, float] | None) -> np.ndarray:
    """Customers per segment, in :data:`INVOICE_SEGMENTS` order."""
    given = dict(_DEFAULT_SHARES)
    if shares is not None:
        if not isinstance(shares, Mapping):
            raise ConfigError(
                f"{_FUNC}: `shares` must be a mapping of segment to share; got {shares!r}."
            )
        for name, share in shares.items():
            check_choice(name, tuple(_DEFAULT_SHARES), func=_FUNC, arg="shares")
            given[name] = check_number(
                share, func=_FUNC, arg=f"shares[{name!r}]", low=0.0, high=1.0, low_inclusive=True
            )
    if sum(given.values()) >= 1.0:
        raise ConfigError(
            f"{_FUNC}: the shares of {', '.join(given)} add up to {sum(given.values()):g}; "
            "they must leave room for the regular customers (sum < 1)."
        )
    counts = np.zeros(len(INVOICE_SEGMENTS), dtype=np.int64)
    for name, share in given.items():
        least = 2 if name == "fully_cancelled" else 1
        counts[INVOICE_SEGMENTS.index(name)] = max(least, math.floor(share * n))
    counts[_REGULAR] = n - counts.sum()
    if counts[_REGULAR] < 1:
        raise ConfigError(
            f"{_FUNC}: {n} customers leave no regular customer with these shares. "
            "Hint: ask for more customers or smaller shares."
        )
    return counts


# --------------------------------------------------------------------------- container


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class InvoiceData:
    """Invoice lines and their ground truth, as made by :func:`make_invoice_lines`.

    Attributes
    ----------
    lines : DataFrame
        One row per invoice line, in invoice-number order, with the columns of the UCI
        "Online Retail" export: `InvoiceNo` (str; "C" prefix on cancellations), `StockCode`
        and `Description` (str), `Quantity` (int64; negative on cancellation lines),
        `InvoiceDate` (datetime64[us], to the minute), `UnitPrice` (float64, in pounds,
        whole pence; 0 on free items), `CustomerID` (float64 with NaN for guests, as
        pandas reads the real file: 17850.0; with ``id_dtype="text"``: str such as
        "17850", missing for guests) and `Country` (str). The amount of a line is
        ``Quantity * UnitPrice``.
    truth : DataFrame
        One row per customer, indexed by `CustomerID` (int64, sorted): `segment`
        (categorical, :data:`INVOICE_SEGMENTS`), `country` (str), `n_invoices` (int64,
        purchase invoices), `n_cancellations` (int64, cancellation invoices),
        `first_purchase` and `last_purchase` (datetime64[us]: the first and last purchase
        invoice, at their true dates), `days_silent` (int64: days from the last purchase
        invoice to `as_of`), `usual_gap_days` (float64: the generating gap of no-dropout
        and overdue customers, NaN otherwise), `gross_revenue` (float64: sum of
        ``Quantity * UnitPrice`` over the customer's lines with a positive quantity),
        `net_revenue` (float64: the same sum over every line of the customer, exact to the
        penny; every line counts as it is in `lines`: duplicates twice, the mistyped line
        too), `nonpositive` (bool: ``net_revenue <= 0``; exactly the fully cancelled
        customers), `alive` (bool: still buying at `end`; True for no-dropout customers,
        False for overdue, fully cancelled and one-off customers) and `has_typo_date`
        (bool: one of the customer's lines carries the mistyped date).
    as_of : Timestamp
        The real last day of the log (`end`, midnight); only the mistyped line is later.
    params : Mapping
        The generation parameters (read-only), with the segment counts.
    """

    lines: pd.DataFrame
    truth: pd.DataFrame
    as_of: pd.Timestamp
    params: Mapping[str, Any]

    def __repr__(self) -> str:
        counts = self.truth["segment"].value_counts(sort=False)
        parts = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        return (
            f"InvoiceData(lines={len(self.lines):,} rows, customers={len(self.truth):,} "
            f"({parts}), as_of={self.as_of.date().isoformat()})"
        )


# --------------------------------------------------------------------------- helpers


def _within(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., c-1 for each count c, concatenated (the position inside each group)."""
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    out: np.ndarray = np.arange(total, dtype=np.int64) - np.repeat(starts, counts)
    return out


def _pick(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with probabilities proportional to `weights`."""
    cum = np.cumsum(weights) / weights.sum()
    return np.minimum(np.searchsorted(cum, rng.random(size), side="right"), weights.size - 1)


def _products(rng: np.random.Generator, weights: np.ndarray, n_lines: np.ndarray) -> np.ndarray:
    """Distinct products on each invoice of `n_lines` lines (at most ``weights.size``, a
    prime): the first by popularity, then in steps of a random stride modulo the size."""
    size = weights.size
    first = np.repeat(_pick(rng, weights, n_lines.size), n_lines)
    stride = np.repeat(rng.integers(1, size, n_lines.size), n_lines)
    return (first + _within(n_lines) * stride) % size


def _str_column(values: Any, codes: np.ndarray) -> pd.Series:
    """A str column of ``values[codes]`` (codes -1: missing)."""
    table = pd.Index(np.asarray(values, dtype=object), dtype="str")
    return pd.Series(table.take(codes, allow_fill=True, fill_value=None).array, copy=False)


def _regular_days(
    rng: np.random.Generator, n: int, n_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BG/NBD invoice days of `n` regular customers: (counts, days, alive)."""
    t0 = rng.random(n) * (n_days - 14)
    exposure = (n_days + 1) - t0
    lam = rng.gamma(2.0, 1 / 80, n)  # mean 1/40 a day
    theta = rng.beta(1.5, 10.0, n)
    k_total = 2 + rng.poisson(lam * exposure)  # invoices without dropout, at least 2
    n_before = 1 + rng.geometric(theta)  # invoices before dropout, at least 2
    m = np.minimum(n_before, k_total)
    alive = n_before > k_total
    # the m-1 repeat days are the first of k_total-1 uniform order statistics on the
    # exposure, from exponential spacings: S_j / S_K
    reps = m - 1
    spacing = rng.standard_exponential(int(reps.sum()))
    cum = np.cumsum(spacing)
    starts = np.cumsum(reps) - reps
    cum -= np.repeat(cum[starts] - spacing[starts], reps)
    last = np.cumsum(reps) - 1
    s_total = cum[last] + rng.standard_gamma((k_total - m + 1).astype(np.float64))
    repeat = np.repeat(t0, reps) + cum * np.repeat(exposure / s_total, reps)
    days = np.empty(int(m.sum()), dtype=np.float64)
    first = np.cumsum(m) - m
    days[first] = t0
    mask = np.ones(days.size, dtype=bool)
    mask[first] = False
    days[mask] = repeat
    return m, np.minimum(np.floor(days), n_days).astype(np.int64), alive


# --------------------------------------------------------------------------- generator


def make_invoice_lines(
    n_customers: int = 500,
    *,
    seed: int = 0,
    start: DateLike = "2010-12-01",
    end: DateLike = "2011-12-09",
    messy: bool = True,
    id_dtype: IdDtype = "float",
    guest_share: float = 0.25,
    cancel_share: float = 0.1,
    shares: Mapping[str, float] | None = None,
) -> InvoiceData:
    r"""Generate a messy invoice-line export, like UCI "Online Retail", with its truth.

    Five kinds of customers with known behaviour (see the ``Notes``), cancellation
    invoices that cancel earlier invoices in part or in full, guest lines without a
    customer id and, with ``messy=True`` (the default), the other faults of the real file.
    With the defaults about 40 lines per customer (about 27,000 lines for 500 customers,
    a quarter of them guest lines); 5,000 customers take well under a second.

    Parameters
    ----------
    n_customers : int, default 500
        Customers with an id (at least 10, so that every segment is present).
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the same arguments give the same data.
    start, end : date-like, default "2010-12-01", "2011-12-09"
        First and last day of the log (the real export's), at least 330 days apart. Times
        of day are dropped. Every line is dated in ``[start, end]`` except the mistyped one.
    messy : bool, default True
        Add the faults of the real file: unit price 0 on 0.5 % more lines, 1 % duplicate
        lines, one line dated 2099-01-01, and (text ids only) ids with a stray space. With
        False the lines still have cancellations and guest lines (the shape of the data),
        and nothing else.
    id_dtype : {"float", "text"}, default "float"
        `CustomerID` as float64 with NaN (as pandas reads the real file) or as text ("17850";
        with ``messy=True`` a few rows read " 17850" or "17850 ", for the same customer).
    guest_share : float, default 0.25
        Share of the purchase and cancellation lines without a customer id, in [0, 0.9]
        (the real file: 24.9 %); the messy lines spread over guests and customers alike.
    cancel_share : float, default 0.1
        Share of the regular and no-dropout customers' purchase invoices (other than
        their first) cancelled in part or in full, in [0, 1].
    shares : mapping, optional
        Shares of the customers in the segments "no_dropout", "churned_overdue",
        "fully_cancelled" and "one_off" (defaults 0.10, 0.10, 0.01, 0.30; "regular" takes
        the rest). Each segment gets ``floor(share * n_customers)`` customers, at least 1
        (2 fully cancelled).

    Returns
    -------
    InvoiceData
        A frozen container with `lines`, `truth` (one row per customer: segment, true net
        revenue, ...), `as_of` (the real last day) and `params`; see :class:`InvoiceData`.

    Raises
    ------
    ConfigError
        If `n_customers` < 10, `seed` < 0, a date cannot be parsed or the window is
        shorter than 330 days, `id_dtype` is unknown, a share is out of range or the
        segment shares leave no regular customer.

    Notes
    -----
    The segments: **regular** (BG/NBD repeat buyers, two or more invoices), **no_dropout**
    (an invoice every 10 to 30 days from the first weeks to the end), **churned_overdue**
    (an invoice every 2 to 4 weeks for months, then silent for 240 to 255 days before
    `end`), **fully_cancelled** (every purchase cancelled: net revenue exactly 0,
    including one customer with a gross of 168,472.50 on the last day) and **one_off**
    (one invoice). The module :mod:`kamseg._invoices` describes the model in full.

    Examples
    --------
    >>> from kamseg.datasets import make_invoice_lines
    >>> data = make_invoice_lines(n_customers=200, seed=0)
    >>> data.lines.columns.tolist()
    ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice',
     'CustomerID', 'Country']
    >>> data.truth["segment"].value_counts(sort=False).to_dict()
    {'regular': 98, 'no_dropout': 20, 'churned_overdue': 20, 'fully_cancelled': 2, 'one_off': 60}
    >>> amount = data.lines["Quantity"] * data.lines["UnitPrice"]
    >>> net = amount.groupby(data.lines["CustomerID"]).sum()
    >>> bool(abs(net - data.truth["net_revenue"].to_numpy()).max() < 1e-6)
    True
    >>> data.as_of, data.lines["InvoiceDate"].max()
    (Timestamp('2011-12-09 00:00:00'), Timestamp('2099-01-01 ...'))
    """
    n = check_int(n_customers, func=_FUNC, arg="n_customers", low=10)
    seed = check_int(seed, func=_FUNC, arg="seed", low=0)
    start_ts = check_day(start, func=_FUNC, arg="start")
    end_ts = check_day(end, func=_FUNC, arg="end")
    n_days = int((end_ts - start_ts).days)
    if n_days < _MIN_WINDOW_DAYS:
        raise ConfigError(
            f"{_FUNC}: the window from `start` ({start_ts.date()}) to `end` ({end_ts.date()}) "
            f"has {n_days} days; it needs at least {_MIN_WINDOW_DAYS} (months of buying "
            "before 240 silent days). Hint: widen the window."
        )
    if not isinstance(messy, bool | np.bool_):
        raise ConfigError(f"{_FUNC}: `messy` must be True or False; got {messy!r}.")
    check_choice(id_dtype, get_args(IdDtype), func=_FUNC, arg="id_dtype")
    share = functools.partial(
        check_number, func=_FUNC, low=0.0, low_inclusive=True, high_inclusive=True
    )
    guest_share = share(guest_share, arg="guest_share", high=0.9)
    cancel_share = share(cancel_share, arg="cancel_share", high=1.0)
    counts = _segment_counts(n, shares)
    rng = np.random.default_rng(seed)

    # ---- customers
    segment = np.repeat(np.arange(len(INVOICE_SEGMENTS), dtype=np.int8), counts)
    segment = segment[rng.permutation(n)]
    ids = _FIRST_ID + np.sort(rng.choice(max(_ID_RANGE, 2 * n), size=n, replace=False))
    size = np.exp(0.9 * rng.standard_normal(n) - 0.405)
    country_names = np.array([c for c, _ in _COUNTRIES], dtype=object)
    country_w = np.array([w for _, w in _COUNTRIES])
    country = _pick(rng, country_w, n)
    members = [np.flatnonzero(segment == k) for k in range(len(INVOICE_SEGMENTS))]
    alive = np.zeros(n, dtype=bool)
    gap = np.full(n, np.nan)

    # ---- purchase invoices of customers: (customer, day), per segment
    inv_cust: list[np.ndarray] = []
    inv_day: list[np.ndarray] = []

    regular = members[_REGULAR]
    m, days, alive_r = _regular_days(rng, regular.size, n_days)
    alive[regular] = alive_r
    inv_cust.append(np.repeat(regular, m))
    inv_day.append(days)

    steady = members[_NO_DROPOUT]
    t0 = rng.random(steady.size) * 21
    g = 10 + 20 * rng.random(steady.size)
    m = np.floor((n_days - t0) / g).astype(np.int64) + 1
    k = _within(m)
    g_rep = np.repeat(g, m)
    jitter = np.where(k > 0, (rng.random(k.size) - 0.5) * 0.4 * g_rep, 0.0)
    days = np.clip(np.repeat(t0, m) + k * g_rep + jitter, 0, n_days)
    alive[steady] = True
    gap[steady] = g
    inv_cust.append(np.repeat(steady, m))
    inv_day.append(np.floor(days).astype(np.int64))

    overdue = members[_OVERDUE]
    silence = rng.integers(240, 256, overdue.size)
    start_day = rng.integers(0, 15, overdue.size)
    span = (n_days - silence) - start_day
    lo = np.maximum(2, np.ceil(span / 28)).astype(np.int64)
    hi = np.floor(span / 14).astype(np.int64)
    n_gaps = lo + np.floor(rng.random(overdue.size) * (hi - lo + 1)).astype(np.int64)
    g = span / n_gaps
    m = n_gaps + 1
    k = _within(m)
    interior = (k > 0) & (k < np.repeat(n_gaps, m))
    days = np.repeat(start_day, m) + np.round(k * np.repeat(g, m))
    days = days + np.where(interior, rng.integers(-2, 3, k.size), 0)
    gap[overdue] = g
    inv_cust.append(np.repeat(overdue, m))
    inv_day.append(days.astype(np.int64))

    cancelled = members[_CANCELLED]
    m = 1 + (rng.random(cancelled.size) < 0.5).astype(np.int64)
    m[:2] = 1  # the two large cases buy once
    days = np.floor(rng.random(int(m.sum())) * (n_days + 1)).astype(np.int64)
    days[0] = n_days  # the largest case buys (and cancels) on the last day
    inv_cust.append(np.repeat(cancelled, m))
    inv_day.append(days)

    one_off = members[_ONE_OFF]
    inv_cust.append(one_off)
    inv_day.append(np.floor(rng.random(one_off.size) * (n_days + 1)).astype(np.int64))

    cust_inv = np.concatenate(inv_cust).astype(np.int64)
    cust_day = np.concatenate(inv_day)
    n_cust_inv = cust_inv.size
    cust_minute = 420 + np.floor(rng.random(n_cust_inv) * 780).astype(np.int64)
    big = int(np.flatnonzero(cust_inv == cancelled[0])[0])
    second = int(np.flatnonzero(cust_inv == cancelled[1])[0])
    cust_minute[big] = 9 * 60 + 15
    # a customer's first invoice (by time) is never cancelled by chance
    key = cust_day * _MINUTES_PER_DAY + cust_minute
    order = np.lexsort((key, cust_inv))
    is_first = np.zeros(n_cust_inv, dtype=bool)
    is_first[order[np.r_[True, cust_inv[order][1:] != cust_inv[order][:-1]]]] = True

    # ---- lines of the customers' invoices
    weights = np.array([row[3] for row in _CATALOG[:_BIRDIE]])  # the large cases: by hand
    n_lines = np.minimum(1 + rng.poisson(rng.gamma(2.0, 3.5, n_cust_inv)), weights.size)
    n_lines[[big, second]] = (2, 1)
    line_inv = np.repeat(np.arange(n_cust_inv), n_lines)
    product = _products(rng, weights, n_lines)
    pack = _PACKS[_pick(rng, _PACK_WEIGHTS, line_inv.size)]
    qty = np.maximum(1, np.round(pack * size[cust_inv[line_inv]])).astype(np.int64)
    b0 = int(np.flatnonzero(line_inv == big)[0])
    s0 = int(np.flatnonzero(line_inv == second)[0])
    product[[b0, b0 + 1, s0]] = (_BIRDIE, _BIRD_ORNAMENT, _JAR)
    qty[[b0, b0 + 1, s0]] = (80_995, 2, 74_215)

    # ---- guest invoices, until guest lines are `guest_share` of all lines
    n_cancel_guess = cancel_share * 0.7 * n_lines.sum()  # lines of C invoices, roughly
    target = round(guest_share / (1 - guest_share) * (n_lines.sum() + n_cancel_guess))
    g_lines = np.zeros(0, dtype=np.int64)
    while g_lines.sum() < target:
        more = 1 + rng.poisson(rng.gamma(2.0, 8.0, max(8, int(target / 15 * 1.2))))
        more = np.minimum(more, weights.size)
        g_lines = np.concatenate([g_lines, more])
    if target > 0:
        stop = int(np.searchsorted(np.cumsum(g_lines), target))
        g_lines = g_lines[: stop + 1]
        g_lines[-1] -= int(g_lines.sum() - target)
    else:
        g_lines = g_lines[:0]
    n_guest_inv = g_lines.size
    g_day = np.floor(rng.random(n_guest_inv) * (n_days + 1)).astype(np.int64)
    g_minute = 420 + np.floor(rng.random(n_guest_inv) * 780).astype(np.int64)
    g_line_inv = n_cust_inv + np.repeat(np.arange(n_guest_inv), g_lines)
    g_product = _products(rng, weights, g_lines)
    g_qty = _GUEST_PACKS[_pick(rng, _GUEST_PACK_WEIGHTS, g_line_inv.size)].astype(np.int64)
    g_country = np.where(
        rng.random(n_guest_inv) < _GUEST_UK, 0, _pick(rng, country_w, n_guest_inv)
    )

    # all purchase invoices: customers' then guests'
    p_cust = np.concatenate([cust_inv, np.full(n_guest_inv, -1, dtype=np.int64)])
    p_day = np.concatenate([cust_day, g_day])
    p_minute = np.concatenate([cust_minute, g_minute])
    p_country = np.concatenate([country[cust_inv], g_country])
    line_inv = np.concatenate([line_inv, g_line_inv])
    product = np.concatenate([product, g_product])
    qty = np.concatenate([qty, g_qty])
    catalog_cents = np.round(np.array([row[2] for row in _CATALOG]) * 100).astype(np.int64)
    cents = catalog_cents[product]
    cents = np.where(qty >= _BULK_FROM, np.round(cents * _BULK_PRICE), cents).astype(np.int64)
    cents[[b0, b0 + 1, s0]] = (208, 145, 104)
    line_pos = _within(np.concatenate([n_lines, g_lines]))

    # ---- cancellation invoices
    seg_of_inv = segment[cust_inv]
    by_chance = np.isin(seg_of_inv, (_REGULAR, _NO_DROPOUT)) & ~is_first
    by_chance &= rng.random(n_cust_inv) < cancel_share
    full_cancel = seg_of_inv == _CANCELLED
    chosen = np.flatnonzero(by_chance | full_cancel)
    full = full_cancel[chosen] | (rng.random(chosen.size) < 0.4)
    c_index = np.full(n_cust_inv, -1, dtype=np.int64)
    c_index[chosen] = np.arange(chosen.size)
    n_purchase_inv = n_cust_inv + n_guest_inv
    on_chosen = np.flatnonzero(line_inv < n_cust_inv)
    on_chosen = on_chosen[c_index[line_inv[on_chosen]] >= 0]
    which = c_index[line_inv[on_chosen]]
    take = full[which] | (rng.random(on_chosen.size) < 0.5) | (line_pos[on_chosen] == 0)
    src = on_chosen[take]
    which = which[take]
    c_qty = np.where(
        full[which],
        qty[src],
        1 + np.floor(rng.random(src.size) * qty[src]).astype(np.int64),
    )
    bought = cust_day[chosen] * _MINUTES_PER_DAY + cust_minute[chosen]
    same_day = (rng.random(chosen.size) < 0.6) | np.isin(chosen, (big, second))
    later_day = np.minimum(cust_day[chosen] + 1 + rng.integers(0, 30, chosen.size), n_days)
    later = later_day * _MINUTES_PER_DAY + 420 + rng.integers(0, 780, chosen.size)
    soon = cust_day[chosen] * _MINUTES_PER_DAY + np.minimum(
        cust_minute[chosen] + 5 + rng.integers(0, 176, chosen.size), _MINUTES_PER_DAY - 1
    )
    c_time = np.where(same_day, soon, np.maximum(later, bought + 5))

    # ---- every invoice, numbered in time order
    inv_time = np.concatenate([p_day * _MINUTES_PER_DAY + p_minute, c_time])
    inv_cust_all = np.concatenate([p_cust, cust_inv[chosen]])
    inv_country = np.concatenate([p_country, p_country[chosen]])
    is_cancel = np.zeros(inv_time.size, dtype=bool)
    is_cancel[n_purchase_inv:] = True
    rank = np.empty(inv_time.size, dtype=np.int64)
    rank[np.argsort(inv_time, kind="stable")] = np.arange(inv_time.size)
    numbers = (_FIRST_INVOICE + rank).astype(str).astype(object)
    numbers[is_cancel] = "C" + numbers[is_cancel]

    # ---- every line: purchases, cancellations, then the messy ones
    all_inv = np.concatenate([line_inv, n_purchase_inv + which])
    all_product = np.concatenate([product, product[src]])
    all_qty = np.concatenate([qty, -c_qty])
    all_cents = np.concatenate([cents, cents[src]])
    all_pos = np.concatenate([line_pos, line_pos[src]])
    copy_no = np.zeros(all_inv.size, dtype=np.int64)
    typo_line = -1
    if messy:
        line_cust = inv_cust_all[all_inv]
        seg_line = np.where(line_cust >= 0, segment[np.maximum(line_cust, 0)], -1)
        plain = (all_qty > 0) & np.isin(seg_line, (-1, _REGULAR, _NO_DROPOUT))
        pool = np.flatnonzero(plain)
        n_base = all_inv.size
        zero = rng.choice(pool, size=max(1, round(_ZERO_PRICE_SHARE * n_base)), replace=False)
        dup = rng.choice(pool, size=max(1, round(_DUPLICATE_SHARE * n_base)), replace=False)
        extra = np.concatenate([zero, dup])
        zero_product = _pick(rng, weights, zero.size)
        all_inv = np.concatenate([all_inv, all_inv[extra]])
        all_product = np.concatenate([all_product, zero_product, all_product[dup]])
        all_qty = np.concatenate([all_qty, all_qty[extra]])
        all_cents = np.concatenate([all_cents, np.zeros(zero.size, np.int64), all_cents[dup]])
        all_pos = np.concatenate([all_pos, all_pos[extra]])
        copy_no = np.concatenate([copy_no, np.full(zero.size, 1), np.full(dup.size, 2)])
        regular_lines = np.flatnonzero((seg_line == _REGULAR) & (all_qty[:n_base] > 0))
        typo_line = int(rng.choice(regular_lines))

    order = np.lexsort((copy_no, all_pos, rank[all_inv]))
    all_inv = all_inv[order]
    all_product = all_product[order]
    all_qty = all_qty[order]
    all_cents = all_cents[order]
    line_cust = inv_cust_all[all_inv]
    typo_at = int(np.flatnonzero(order == typo_line)[0]) if typo_line >= 0 else -1

    start_min = int(np.datetime64(start_ts.date(), "m").astype(np.int64))
    stamp = (inv_time[all_inv] + start_min) * _US_PER_MINUTE
    dates = stamp.view(_UNIT)
    if typo_at >= 0:
        minute_of_day = int(inv_time[all_inv[typo_at]] % _MINUTES_PER_DAY)
        dates[typo_at] = _TYPO_DATE + np.timedelta64(minute_of_day * _US_PER_MINUTE, "us")

    codes = np.array([row[0] for row in _CATALOG], dtype=object)
    names = np.array([row[1] for row in _CATALOG], dtype=object)
    if id_dtype == "float":
        customer_col: pd.Series | np.ndarray = np.where(
            line_cust >= 0, ids[np.maximum(line_cust, 0)].astype(np.float64), np.nan
        )
    else:
        text = np.array([str(i) for i in ids], dtype=object)[np.maximum(line_cust, 0)]
        text[line_cust < 0] = np.nan
        if messy:
            eligible = np.isin(segment, (_REGULAR, _NO_DROPOUT))
            candidates = np.flatnonzero(eligible)
            n_spaced = max(1, round(_SPACED_CUSTOMER_SHARE * n))
            spaced = rng.choice(candidates, size=min(n_spaced, candidates.size), replace=False)
            rows = np.flatnonzero(np.isin(line_cust, spaced))
            rows = rows[rng.permutation(rows.size)]
            _, first_row = np.unique(line_cust[rows], return_index=True)
            rows = rows[first_row]
            lead = rng.random(rows.size) < 0.5
            text[rows] = np.where(lead, " " + text[rows], text[rows] + " ")
        customer_col = pd.Series(text, dtype="str")
    lines = pd.DataFrame(
        {
            "InvoiceNo": _str_column(numbers, all_inv),
            "StockCode": _str_column(codes, all_product),
            "Description": _str_column(names, all_product),
            "Quantity": all_qty,
            "InvoiceDate": dates,
            "UnitPrice": all_cents / 100.0,
            "CustomerID": customer_col,
            "Country": _str_column(country_names, inv_country[all_inv]),
        },
        copy=False,
    )

    # ---- truth, from the lines as they are
    own = line_cust >= 0
    who = line_cust[own]
    amount_cents = (all_qty * all_cents)[own].astype(np.float64)  # exact below 2**53
    net = np.bincount(who, weights=amount_cents, minlength=n) / 100.0
    gross = np.bincount(who, weights=np.where(amount_cents > 0, amount_cents, 0.0), minlength=n)
    purchase_time = cust_day * _MINUTES_PER_DAY + cust_minute
    first_time = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_time, cust_inv, purchase_time)
    last_time = np.full(n, -1)
    np.maximum.at(last_time, cust_inv, purchase_time)
    has_typo = np.zeros(n, dtype=bool)
    if typo_at >= 0:
        has_typo[line_cust[typo_at]] = True

    def when(minutes: np.ndarray) -> np.ndarray:
        return ((minutes + start_min) * _US_PER_MINUTE).view(_UNIT)

    truth = pd.DataFrame(
        {
            "segment": pd.Categorical.from_codes(
                segment, dtype=pd.CategoricalDtype(pd.Index(INVOICE_SEGMENTS, dtype="str"))
            ),
            "country": _str_column(country_names, country).to_numpy(),
            "n_invoices": np.bincount(cust_inv, minlength=n).astype(np.int64),
            "n_cancellations": np.bincount(cust_inv[chosen], minlength=n).astype(np.int64),
            "first_purchase": when(first_time),
            "last_purchase": when(last_time),
            "days_silent": (n_days - last_time // _MINUTES_PER_DAY).astype(np.int64),
            "usual_gap_days": gap,
            "gross_revenue": gross / 100.0,
            "net_revenue": net,
            "nonpositive": net <= 0,
            "alive": alive,
            "has_typo_date": has_typo,
        },
        index=pd.Index(ids.astype(np.int64), name="CustomerID"),
    )
    params: dict[str, Any] = {
        "n_customers": n,
        "seed": seed,
        "start": start_ts,
        "end": end_ts,
        "messy": bool(messy),
        "id_dtype": id_dtype,
        "guest_share": guest_share,
        "cancel_share": cancel_share,
        "segment_counts": types.MappingProxyType(
            dict(zip(INVOICE_SEGMENTS, counts.tolist(), strict=True))
        ),
    }
    return InvoiceData(
        lines=lines, truth=truth, as_of=end_ts, params=types.MappingProxyType(params)
    )
