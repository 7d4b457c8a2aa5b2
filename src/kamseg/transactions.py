"""Transactions, prepared once: one contract for every step that reads transaction rows.

:func:`prepare_transactions` validates and normalises a transaction table under one set of
rules (columns, dates, nulls, dates after `as_of`, returns) and returns an immutable
:class:`PreparedTransactions`: the kept rows as arrays (customer codes, day numbers,
amounts, ...), the `as_of` day, the options used, and what was dropped and why. Every public
function of kamseg that reads transactions accepts one (``transactions=prepared``) and uses
it as it is: no second validation, no second warning. Given a DataFrame instead, it prepares
it itself with the same rules. :func:`kamseg.segment` prepares once and hands the same
object to every step, so an option given once (``dropna``, ``returns``, ``as_of``) holds in
every step and each notice is given once.

The rules (DESIGN.md, "Bad input"):

- a missing column: :class:`~kamseg.errors.ColumnNotFoundError` with a close-match hint;
- unparseable or mixed-time-zone dates, non-numeric or infinite amounts (and profits):
  :class:`~kamseg.errors.SchemaError` with the count and examples;
- null customer ids, dates, amounts (or profits): :class:`~kamseg.errors.SchemaError` by
  default; ``dropna=True`` drops those rows;
- customer ids: stray spaces stripped, mixed types read as text, whole-number floats as
  integers (:func:`customer_codes`), each counted;
- rows dated after `as_of` (default: the latest date, unless a few dates lie far beyond
  the rest, or a few latest ones well after it, warned: :func:`default_as_of_per_day`)
  are excluded;
- negative amounts (returns, cancellations): netted into the customers' totals, a period
  they bring to <= 0 being no purchase (``returns="net"``, :func:`purchase_periods`),
  dropped (``"exclude"``: gross sales) or refused (``"error"``);
- nothing left: :class:`~kamseg.errors.EmptyInputError`.

Every row dropped, and every return netted, is counted in **one**
:class:`~kamseg.errors.KamsegWarning`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from typing import Any, get_args

import numpy as np
import pandas as pd

from kamseg._far_dates import (
    FAR_DATE_DAYS,
    FAR_DATE_MAX_SHARE,
    FAR_DATE_WARN_DAYS,
    FAR_DATE_WARN_SHARE,
    DefaultAsOf,
    default_as_of,
    default_as_of_per_day,
    notice_distant_dates,
    notice_far_dates,
)
from kamseg._ids import (
    compact_codes,
    customer_codes,
    notice_mixed_ids,
    notice_stripped_ids,
)
from kamseg._pairs import (
    NET_TOLERANCE,
    net_sums,
    placed_orders,
    purchase_pairs,
    purchase_periods,
    stable_order,
)
from kamseg._types import ReturnsPolicy
from kamseg._validation import as_of_day as day_of
from kamseg._validation import (
    check_choice,
    check_columns,
    check_frame,
    examples,
    to_datetime,
    to_float,
    warn,
)
from kamseg.errors import ConfigError, EmptyInputError, SchemaError

__all__ = [
    "FAR_DATE_DAYS",
    "FAR_DATE_MAX_SHARE",
    "FAR_DATE_WARN_DAYS",
    "FAR_DATE_WARN_SHARE",
    "NET_TOLERANCE",
    "DefaultAsOf",
    "PreparedTransactions",
    "ReturnsPolicy",
    "as_prepared",
    "check_line_items",
    "compact_codes",
    "customer_codes",
    "default_as_of",
    "default_as_of_per_day",
    "net_sums",
    "notice_after_as_of",
    "notice_distant_dates",
    "notice_excluded_returns",
    "notice_far_dates",
    "notice_mixed_ids",
    "notice_netted_returns",
    "notice_nulls",
    "notice_stripped_ids",
    "notify",
    "placed_orders",
    "prepare_transactions",
    "purchase_pairs",
    "purchase_periods",
    "stable_order",
]

_FUNC = "prepare_transactions"


def _frozen(values: np.ndarray) -> np.ndarray:
    values.flags.writeable = False
    return values


@dataclasses.dataclass(frozen=True, eq=False)
class PreparedTransactions:
    """Transactions validated and normalised once (see :func:`prepare_transactions`).

    The arrays hold the **kept** rows, in input order, one element per row; they are
    read-only. Customers are numbered by ``code``: ``ids[code]`` is a row's customer id.

    Attributes
    ----------
    code : ndarray of int64
        Customer code of each row, an index into `ids`.
    day : ndarray of int64
        Purchase day of each row, in days since 1970-01-01 (the date's calendar day).
    amount : ndarray of float64
        Amount of each row (negative for returns kept by ``returns="net"``).
    profit : ndarray of float64 or None
        Profit of each row, when `profit_col` was given.
    order : ndarray of int64 or None
        Order code of each row (whole numbers from 0; rows share a code exactly when they
        share an order id), when `order_col` was given.
    product_code : ndarray of int32 or None
        Product of each row, when `product_col` was given, as a code into `products`
        (-1: null). The distinct products are read once, here: a step that matches them to
        a catalogue looks each one up once.
    products : Index or None
        The distinct products, in the order they first appear.
    rows : ndarray of int64 or None
        Position in the input table of each kept row; None when every row was kept.
    ids : Index
        Customer ids in the order they first appear, named after `customer_col`. Each has
        at least one row, except after :meth:`until`.
    as_of_day : int
        The observation day ("now"), days since 1970-01-01; every kept row is on or before
        it.
    customer_col, date_col, amount_col, profit_col, order_col, product_col : Hashable
        The input's column names (None for optional columns not given).
    quantity_col, price_col : Hashable or None
        For line items, the columns whose product is the amount (then `amount_col` only
        names the amount in :meth:`frame`).
    dropna : bool
    returns : str
        The options used.
    n_input : int
        Rows of the input table.
    dropped : dict
        Rows dropped, by reason: ``"null"``, ``"far_dates"`` (with the default `as_of`),
        ``"after_as_of"``, ``"returns"`` (with ``returns="exclude"``); only reasons that
        dropped rows.
    n_returns : int
        Rows with a negative amount that were kept and netted (``returns="net"``).
    """

    code: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    profit: np.ndarray | None
    order: np.ndarray | None
    product_code: np.ndarray | None
    products: pd.Index | None
    rows: np.ndarray | None
    ids: pd.Index
    as_of_day: int
    customer_col: Hashable
    date_col: Hashable
    amount_col: Hashable
    profit_col: Hashable | None
    order_col: Hashable | None
    product_col: Hashable | None
    quantity_col: Hashable | None
    price_col: Hashable | None
    dropna: bool
    returns: str
    n_input: int
    dropped: dict[str, int]
    n_returns: int

    @property
    def as_of(self) -> pd.Timestamp:
        """The observation day as a Timestamp."""
        return pd.Timestamp(np.datetime64(self.as_of_day, "D"))

    @property
    def n_rows(self) -> int:
        """Number of kept rows."""
        return int(self.code.size)

    @property
    def product(self) -> np.ndarray | None:
        """Product of each row (values as in the input, None for a null), when
        `product_col` was given."""
        if self.product_code is None or self.products is None:
            return None
        values = np.empty(len(self.products) + 1, dtype=object)  # the last one: None
        values[:-1] = np.asarray(self.products, dtype=object)
        return np.asarray(values[self.product_code])  # code -1 picks the last

    def __len__(self) -> int:
        return self.n_rows

    def __repr__(self) -> str:
        drops = ", ".join(f"{k} {v}" for k, v in self.dropped.items()) or "none"
        return (
            f"PreparedTransactions({self.n_rows} rows of {self.n_input}, "
            f"{len(self.ids)} customers, as_of {self.as_of.date()}, returns={self.returns!r}, "
            f"dropped: {drops})"
        )

    def until(self, as_of: Any) -> PreparedTransactions:
        """The rows dated on or before `as_of` (an earlier cut-off), without a warning.

        Customer codes and `ids` are unchanged, so results at several cut-offs align.

        Raises
        ------
        ConfigError
            If `as_of` is after this object's `as_of`, whose later rows are gone.
        """
        day = day_of(as_of, func="PreparedTransactions.until")
        if day is None or day == self.as_of_day:
            return self
        if day > self.as_of_day:
            raise ConfigError(
                f"PreparedTransactions.until: as_of {np.datetime64(day, 'D')} is after the "
                f"as_of of these transactions ({self.as_of.date()}), whose later rows were "
                "excluded. Hint: prepare the transactions again with the later as_of."
            )
        keep = self.day <= day

        def sub(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else _frozen(values[keep])

        return dataclasses.replace(
            self,
            code=_frozen(self.code[keep]),
            day=_frozen(self.day[keep]),
            amount=_frozen(self.amount[keep]),
            profit=sub(self.profit),
            order=sub(self.order),
            product_code=sub(self.product_code),
            rows=_frozen(
                (np.flatnonzero(keep) if self.rows is None else self.rows[keep]).astype(np.int64)
            ),
            as_of_day=day,
        )

    def positions(self, index: pd.Index, *, func: str, arg: str = "customers") -> np.ndarray:
        """Position in `index` of each customer code (-1 when absent), for aligning results.

        Warns with the count of customers (and their rows) that `index` does not hold.
        Raises :class:`~kamseg.errors.SchemaError` if `index` has duplicated ids.
        """
        if not index.is_unique:
            raise SchemaError(
                f"{func}: the index of `{arg}` has duplicated ids, e.g. "
                f"{examples(index[index.duplicated()])}; transactions are matched by id. "
                "Hint: aggregate to one row per customer first."
            )
        pos = np.asarray(index.get_indexer(self.ids), dtype=np.int64)
        unknown = pos < 0
        if unknown.any():
            per_code = np.bincount(self.code, minlength=len(self.ids))
            unknown &= per_code > 0
        if unknown.any():
            warn(
                f"{func}: {int(unknown.sum())} customer id(s) in `transactions` "
                f"({int(per_code[unknown].sum())} row(s)) have no row in `{arg}`, e.g. "
                f"{examples(self.ids[unknown])}; they are ignored. Hint: summarise the same "
                "transactions, with the same as_of.",
                stacklevel=4,
            )
        return pos

    def frame(self) -> pd.DataFrame:
        """The kept rows as a DataFrame with the input's column names (dates as datetime64).

        Order ids are not kept (only their codes), so `order_col` is not a column here.
        """
        data: dict[Hashable, Any] = {
            self.customer_col: self.ids.take(self.code),
            self.date_col: self.day.astype("datetime64[D]").astype("datetime64[ns]"),
            self.amount_col: self.amount,
        }
        if self.profit_col is not None and self.profit is not None:
            data[self.profit_col] = self.profit
        if self.product_col is not None and self.product is not None:
            data[self.product_col] = self.product
        index = None if self.rows is None else pd.Index(self.rows)
        return pd.DataFrame({k: np.asarray(v) for k, v in data.items()}, index=index)


def prepare_transactions(
    transactions: pd.DataFrame,
    *,
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    profit_col: Hashable | None = None,
    order_col: Hashable | None = None,
    product_col: Hashable | None = None,
    quantity_col: Hashable | None = None,
    price_col: Hashable | None = None,
    as_of: Any = None,
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
) -> PreparedTransactions:
    """Validate and normalise a transaction table once, for every step that reads it.

    Parameters
    ----------
    transactions
        One row per order or order line. Not modified.
    customer_col, date_col, amount_col
        Columns of the customer id, the purchase date (``datetime64``, ``date`` objects or
        ISO 8601 text; time-zone-aware dates are taken in their own wall-clock time) and the
        amount (numbers; negative amounts are returns, see `returns`).
    profit_col, order_col, product_col
        Optional columns: profit per row, order id (lines of one order count as one
        order), product (for the need level with a catalog).
    quantity_col, price_col
        Line items: give both, and each row's amount is quantity × unit price (`amount_col`
        is then not read; it names the amount in :meth:`PreparedTransactions.frame`). A
        negative quantity (a cancellation or return line) gives a negative amount, handled
        by `returns`. A null quantity or price is a null amount.
    as_of
        The observation date ("now"). Default: the latest date in the data, unless a few
        dates lie far beyond the rest (typos: excluded, counted in the warning; see
        :func:`default_as_of_per_day`). Only its day counts; later rows are excluded.
    dropna
        Rows with a null customer id, date, amount (or profit) raise
        :class:`~kamseg.errors.SchemaError` by default; with ``dropna=True`` they are
        dropped.
    returns
        Negative amounts (returns, cancellations): ``"net"`` (default) keeps them,
        netted into the customers' totals, and a period they bring to <= 0 is no purchase
        (:func:`purchase_periods`); ``"exclude"`` drops them, so the totals are gross
        sales; ``"error"`` raises :class:`~kamseg.errors.SchemaError`.

    Returns
    -------
    PreparedTransactions
        The kept rows and how they were chosen. One
        :class:`~kamseg.errors.KamsegWarning` counts every row dropped (by reason) and
        every return netted, with the number of customers whose net revenue is <= 0.

    Raises
    ------
    ColumnNotFoundError
        If a named column is missing.
    SchemaError
        On unparseable dates, mixed time zones, non-numeric or infinite amounts, nulls
        (unless ``dropna=True``), or negative amounts with ``returns="error"``.
    EmptyInputError
        If there are no rows, or none left after filtering.
    ConfigError
        On an unknown `returns`, an unparseable `as_of`, or only one of `quantity_col` and
        `price_col`.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> import kamseg
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "b"],
    ...     "date": ["2024-01-01", "2024-01-09", "2024-01-05", "2024-02-01"],
    ...     "amount": [10.0, -4.0, 8.0, 5.0],
    ... })
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     prepared = kamseg.prepare_transactions(tx, as_of="2024-01-31")
    >>> print(caught[0].message)
    prepare_transactions: excluded 1 transaction(s) dated after as_of 2024-01-31; 1 row(s) \
have negative amounts (returns), netted into customers' totals; 0 customer(s) have net \
revenue <= 0.
    >>> prepared
    PreparedTransactions(3 rows of 4, 2 customers, as_of 2024-01-31, returns='net', \
dropped: after_as_of 1)
    >>> kamseg.summarize(prepared)[["n_orders", "revenue"]]  # no second warning
                 n_orders  revenue
    customer_id
    a                   1      6.0
    b                   1      8.0

    The return is no order: ``a`` placed one order of 10 and returned 4 of it.
    """
    return _prepare(
        transactions,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        profit_col=profit_col,
        order_col=order_col,
        product_col=product_col,
        quantity_col=quantity_col,
        price_col=price_col,
        as_of=as_of,
        dropna=dropna,
        returns=returns,
        func=_FUNC,
        stacklevel=5,
    )


def as_prepared(
    transactions: Any,
    *,
    func: str,
    customer_col: Hashable = "customer_id",
    date_col: Hashable = "date",
    amount_col: Hashable = "amount",
    profit_col: Hashable | None = None,
    order_col: Hashable | None = None,
    product_col: Hashable | None = None,
    quantity_col: Hashable | None = None,
    price_col: Hashable | None = None,
    as_of: Any = None,
    dropna: bool = False,
    returns: ReturnsPolicy = "net",
    stacklevel: int = 6,
    copy: bool = True,
) -> PreparedTransactions:
    """`transactions` prepared: a :class:`PreparedTransactions` as it is, restricted to an
    earlier `as_of` if one is given; a DataFrame prepared with the other keywords (errors
    and warnings name `func`; the default `stacklevel` points the warning at the caller of a
    public function that calls this one directly). ``copy=False`` lets the prepared arrays
    share the memory of a table that kamseg read itself and nobody else holds."""
    if isinstance(transactions, PreparedTransactions):
        if as_of is None:
            return transactions
        day = day_of(as_of, func=func)
        if day is not None and day > transactions.as_of_day:
            raise ConfigError(
                f"{func}: as_of {np.datetime64(day, 'D')} is after the as_of of the prepared "
                f"transactions ({transactions.as_of.date()}), whose later rows were excluded. "
                "Hint: prepare the transactions with the later as_of."
            )
        return transactions.until(as_of)
    return _prepare(
        transactions,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        profit_col=profit_col,
        order_col=order_col,
        product_col=product_col,
        quantity_col=quantity_col,
        price_col=price_col,
        as_of=as_of,
        dropna=dropna,
        returns=returns,
        func=func,
        stacklevel=stacklevel,
        copy=copy,
    )


def check_line_items(
    quantity_col: Hashable | None, price_col: Hashable | None, *, func: str
) -> bool:
    """Whether line items are given (both columns); only one of them is a ConfigError."""
    if (quantity_col is None) != (price_col is None):
        given, missing = (
            ("quantity_col", "price_col") if price_col is None else ("price_col", "quantity_col")
        )
        raise ConfigError(
            f"{func}: `{given}` is given without `{missing}`; line items need both (the "
            "amount is quantity x unit price). Hint: pass both, or amount_col alone."
        )
    return quantity_col is not None


def _amount_name(
    amount_col: Hashable, quantity_col: Hashable | None, price_col: Hashable | None, items: bool
) -> str:
    return f"{quantity_col} x {price_col}" if items else str(amount_col)


def _own(values: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """`values`, copied if they share memory with a column of `frame`."""
    shared = any(
        np.shares_memory(values, frame[c].to_numpy())
        for c in frame.columns
        if frame[c].dtype == values.dtype
    )
    return values.copy() if shared else values


def _order_codes(values: pd.Series) -> np.ndarray:
    """The order code of each row: whole numbers from 0, one per order id (a null is an id).

    Whole-number ids (a numpy integer column) that span fewer than twice the rows, or
    65,536, are their offset from the smallest id, without hashing them (pandas' factorize
    takes about 1 s for 10M integer ids); other ids are numbered by :func:`pandas.factorize`.
    Either way rows share a code exactly when they share an id, which is all the codes are
    used for (counting distinct orders)."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu" and len(values):
        ids = values.to_numpy()
        lo, hi = int(ids.min()), int(ids.max())
        if hi < 2**63 and hi - lo < max(2 * ids.size, 1 << 16):
            return ids.astype(np.int64) - np.int64(lo)
    codes, _ = pd.factorize(values, sort=False, use_na_sentinel=False)
    return codes.astype(np.int64, copy=False)


def _prepare(
    transactions: Any,
    *,
    customer_col: Hashable,
    date_col: Hashable,
    amount_col: Hashable,
    profit_col: Hashable | None,
    order_col: Hashable | None,
    product_col: Hashable | None,
    quantity_col: Hashable | None = None,
    price_col: Hashable | None = None,
    as_of: Any,
    dropna: bool,
    returns: str,
    func: str,
    stacklevel: int,
    copy: bool = True,
) -> PreparedTransactions:
    tx = check_frame(transactions, func=func, arg="transactions", allow_empty=True)
    check_choice(returns, get_args(ReturnsPolicy), func=func, arg="returns")
    if not isinstance(dropna, bool | np.bool_):
        raise ConfigError(f"{func}: `dropna` must be True or False; got {dropna!r}.")
    line_items = check_line_items(quantity_col, price_col, func=func)
    check_columns(
        tx,
        {
            "customer_col": customer_col,
            "date_col": date_col,
            "amount_col": None if line_items else amount_col,
            "quantity_col": quantity_col,
            "price_col": price_col,
            "profit_col": profit_col,
            "order_col": order_col,
            "product_col": product_col,
        },
        func=func,
    )
    parsed_as_of = day_of(as_of, func=func)
    n_input = len(tx)
    if n_input == 0:
        raise EmptyInputError(
            f"{func}: `transactions` has no rows. Hint: check the filter upstream."
        )

    ids = tx[customer_col]
    dates = to_datetime(tx[date_col], func=func, col=str(date_col))
    quantity = price = None
    if line_items:  # line items: the amount is quantity x unit price
        quantity = to_float(tx[quantity_col], func=func, col=str(quantity_col))
        price = to_float(tx[price_col], func=func, col=str(price_col))
        with np.errstate(invalid="ignore", over="ignore"):
            amount = quantity * price
    else:
        amount = to_float(tx[amount_col], func=func, col=str(amount_col))
    profit = (
        None if profit_col is None else to_float(tx[profit_col], func=func, col=str(profit_col))
    )

    notices: list[str] = []
    dropped: dict[str, int] = {}

    # --- ids: numbered once; the distinct ids normalised (spaces, types, 17850.0) --------
    code, uniques, id_notices = customer_codes(tx[customer_col])
    del ids
    notices.extend(id_notices)

    # --- nulls -------------------------------------------------------------------------
    null_parts = {
        str(customer_col): (code < 0) if (code < 0).any() else None,
        str(date_col): np.asarray(dates.isna().to_numpy(), dtype=bool),
    }
    if quantity is not None and price is not None:
        null_parts[str(quantity_col)] = np.isnan(quantity)
        null_parts[str(price_col)] = np.isnan(price)
        del quantity, price
    else:
        null_parts[str(amount_col)] = np.isnan(amount)
    if profit is not None:
        null_parts[str(profit_col)] = np.isnan(profit)
    keep: np.ndarray | None = None
    counts = {}
    for col, mask in null_parts.items():
        if mask is not None and mask.any():
            counts[col] = int(mask.sum())
            keep = ~mask if keep is None else keep & ~mask
    check_nulls(counts, dropna=dropna, func=func)
    if counts:
        n_null = 0 if keep is None else int((~keep).sum())
        dropped["null"] = n_null
        notices.append(notice_nulls(n_null, counts))

    days = dates.to_numpy().astype("datetime64[D]").view(np.int64)
    del dates
    if keep is not None and not keep.any():
        notify(func, notices, stacklevel=stacklevel)
        raise EmptyInputError(f"{func}: no rows left after dropping nulls.")
    if parsed_as_of is None:
        # "now" is the latest date, unless a few dates lie far beyond the rest (typos)
        rule = default_as_of(days if keep is None else days[keep])
        as_of_day = rule.as_of_day
        notices.extend(rule.notices)  # the far rows are the rows after it, dropped below
    else:
        as_of_day = parsed_as_of

    # --- after as_of (far dates, with the default as_of), returns ------------------------
    late = days > as_of_day
    if keep is not None:
        late &= keep
    n_late = int(late.sum())
    if n_late:
        dropped["after_as_of" if parsed_as_of is not None else "far_dates"] = n_late
        if parsed_as_of is not None:
            notices.append(notice_after_as_of(n_late, as_of_day))
        keep = ~late if keep is None else keep & ~late

    negative = amount < 0
    if keep is not None:
        negative &= keep
    n_negative = int(negative.sum())
    n_returns = 0
    if n_negative:
        if returns == "error":
            notify(func, notices, stacklevel=stacklevel)
            raise SchemaError(
                f"{func}: {n_negative} row(s) have negative "
                f"{_amount_name(amount_col, quantity_col, price_col, line_items)!r} (returns); "
                f"examples: {examples(amount[negative])}. Hint: returns='net' nets them into "
                "the customers' totals, returns='exclude' drops them."
            )
        if returns == "exclude":
            dropped["returns"] = n_negative
            notices.append(notice_excluded_returns(n_negative))
            keep = ~negative if keep is None else keep & ~negative
        else:
            n_returns = n_negative

    rows: np.ndarray | None = None
    if keep is not None:
        if not keep.any():
            notify(func, notices, stacklevel=stacklevel)
            raise EmptyInputError(
                f"{func}: no transactions left on or before as_of "
                f"{np.datetime64(as_of_day, 'D')} after filtering."
            )
        rows = np.flatnonzero(keep).astype(np.int64)
        code, uniques = compact_codes(code[keep], uniques)
        days = days[keep]
        amount = amount[keep]
        profit = None if profit is None else profit[keep]
    elif copy:  # numbers read from the input may share its memory: the object owns its rows
        amount = _own(amount, tx)
        profit = None if profit is None else _own(profit, tx)

    if n_returns:
        revenue = net_sums(code, amount, len(uniques))
        notices.append(notice_netted_returns(n_returns, int((revenue <= 0).sum())))
    notify(func, notices, stacklevel=stacklevel)

    order = None
    if order_col is not None:
        order = _order_codes(tx[order_col] if keep is None else tx[order_col][keep])
    product_code, products = None, None
    if product_col is not None:
        values = tx[product_col] if keep is None else tx[product_col][keep]
        codes, found = pd.factorize(values, sort=False)  # nulls: -1
        product_code = codes.astype(np.int32 if found.size < 2**31 else np.int64)
        products = pd.Index(found)

    def frozen(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else _frozen(values)

    return PreparedTransactions(
        code=_frozen(code),
        day=_frozen(np.asarray(days, dtype=np.int64)),
        amount=_frozen(amount),
        profit=frozen(profit),
        order=frozen(order),
        product_code=frozen(product_code),
        products=products,
        rows=frozen(rows),
        ids=uniques.rename(customer_col),
        as_of_day=as_of_day,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        profit_col=profit_col,
        order_col=order_col,
        product_col=product_col,
        quantity_col=quantity_col if line_items else None,
        price_col=price_col if line_items else None,
        dropna=bool(dropna),
        returns=str(returns),
        n_input=n_input,
        dropped=dropped,
        n_returns=n_returns,
    )


def notify(func: str, notices: list[str], *, stacklevel: int) -> None:
    """Give the one warning of a preparation (every drop and every netted return), then
    forget the notices. The engines' SQL twins of the rules give the same one warning."""
    if notices:
        warn(f"{func}: {'; '.join(notices)}.", stacklevel=stacklevel)
        notices.clear()


def check_nulls(counts: dict[str, int], *, dropna: bool, func: str) -> None:
    """Raise SchemaError when columns hold null values (`counts`: column -> nulls, the
    columns with some) and `dropna` does not allow dropping their rows."""
    if counts and not dropna:
        desc = ", ".join(f"{n} in {c!r}" for c, n in counts.items())
        raise SchemaError(
            f"{func}: null values found ({desc}). Hint: pass dropna=True (--dropna)"
            " to drop those rows with a warning, or fill them first."
        )


def notice_nulls(n_rows: int, counts: dict[str, int]) -> str:
    """The words for rows dropped for null values (`counts`: column -> nulls)."""
    desc = ", ".join(f"{n} in {c!r}" for c, n in counts.items())
    return f"dropped {n_rows} row(s) with null values ({desc})"


def notice_after_as_of(n_rows: int, as_of_day: int) -> str:
    """The words for rows excluded for being dated after `as_of`."""
    return f"excluded {n_rows} transaction(s) dated after as_of {np.datetime64(as_of_day, 'D')}"


def notice_excluded_returns(n_rows: int) -> str:
    """The words for returns dropped by ``returns="exclude"``."""
    return f"excluded {n_rows} row(s) with negative amounts (returns)"


def notice_netted_returns(n_rows: int, n_nonpositive: int) -> str:
    """The words for returns netted by ``returns="net"``."""
    return (
        f"{n_rows} row(s) have negative amounts (returns), netted into customers' totals; "
        f"{n_nonpositive} customer(s) have net revenue <= 0"
    )
