"""The (customer, period) pairs of transaction rows: purchases, nets and orders (layer 0).

Sorting and counting helpers shared by the preparation of the transactions, the customer
table, the features and the churn history (:mod:`kamseg.transactions` re-exports them):
one sort of the pair keys packed with the rows' positions gives the pairs and a stable
order at once; orders are counted without a sort when every order id is one customer's;
whole numbers are held as int32 where they fit (:func:`narrow_int`). numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "NET_TOLERANCE",
    "narrow_int",
    "net_sums",
    "placed_orders",
    "purchase_pairs",
    "purchase_periods",
    "stable_order",
]


#: Relative size below which a net sum is rounding error (a cancellation that offsets a
#: purchase exactly can leave ±1e-14 in floating point, depending on the order of the sum).
NET_TOLERANCE = 1e-9


def net_sums(groups: np.ndarray, amount: np.ndarray, n: int) -> np.ndarray:
    """Sums of `amount` by group (0..n-1), with sums that are only rounding error (below
    :data:`NET_TOLERANCE` times the sum of the absolute amounts) set to exactly 0, so that
    a fully cancelled order or customer nets to 0, not to ±1e-14."""
    net = np.bincount(groups, weights=amount, minlength=n)
    if (amount < 0).any():
        gross = np.bincount(groups, weights=np.abs(amount), minlength=n)
        net[np.isfinite(net) & (np.abs(net) <= NET_TOLERANCE * gross)] = 0.0
    return net


def purchase_periods(
    code: np.ndarray,
    period: np.ndarray,
    amount: np.ndarray | None,
    *,
    order: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct ``(customer code, period)`` pairs of rows, sorted, with each pair's net
    amount and whether it is a **purchase**.

    A period is a purchase unless returns bring its net to zero or below: a period with a
    negative row and a net <= 0 (a cancelled order, a credit note) is no purchase, so it
    counts neither as a repeat purchase nor as the last purchase. Periods without a
    negative row are purchases whatever their amount (a log without amounts, a free
    order). Returns ``(code, period, net, is_purchase)``.

    `order`, when the caller has it, holds the row positions sorted by (code, period).
    Otherwise, when a pair key and a row position fit in 63 bits together, one sort of the
    keys packed with the positions gives the keys in order and the rows sorted stably by
    them (:func:`stable_order`'s way; 1.0 s instead of 1.7 s at 10M rows); else numpy's
    quicksort of the pair keys gives the order (SIMD: several times faster than the sort
    of ``np.unique`` with its inverse). Any order of rows with equal keys gives the same
    pairs, and each pair's net is summed in row order whatever the order (the stable
    order's rows are in row order within a pair): the same result either way.
    """
    if code.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0), np.empty(0, dtype=bool)
    pmin = int(period.min())
    span = int(period.max()) - pmin + 1
    key = code * span + (period - pmin)
    if amount is None and order is None:  # the pairs alone: a sort of the keys
        uniq = _distinct(key)
        return uniq // span, uniq % span + pmin, np.zeros(uniq.size), np.ones(uniq.size, bool)
    packed = None if order is not None else _packed_sort(key, (int(code.max()) + 1) * span)
    if packed is not None:  # the keys sorted, and the rows in that order (stable)
        ranked, order = packed
    else:  # np.unique's values (and inverse, below), from the keys in order
        order = np.argsort(key) if order is None else order
        ranked = key[order]
    new = np.empty(ranked.size, dtype=bool)
    new[0], new[1:] = True, ranked[1:] != ranked[:-1]
    uniq = ranked[new]
    if amount is None:
        return uniq // span, uniq % span + pmin, np.zeros(uniq.size), np.ones(uniq.size, bool)
    if packed is not None:  # each pair's rows are in row order: sum them in sorted order
        groups, amount = np.cumsum(new) - 1, amount[order]
    else:
        groups = np.empty(ranked.size, dtype=np.int64)
        groups[order] = np.cumsum(new) - 1
    net = net_sums(groups, amount, uniq.size)
    negative = np.bincount(groups, weights=amount < 0, minlength=uniq.size) > 0
    return uniq // span, uniq % span + pmin, net, (net > 0) | ~negative


def _packed_sort(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray] | None:
    """`values` (whole numbers in ``0 .. size - 1``) sorted, and the positions that sort
    them stably (equal values in position order), from one sort of the values shifted up
    with their positions in the low bits; None when both do not fit in 63 bits."""
    bits = max(int(values.size - 1).bit_length(), 1)
    if int(max(size, 1) - 1).bit_length() + bits > 63:
        return None
    packed = values.astype(np.int64) << bits
    packed |= np.arange(values.size, dtype=np.int64)
    packed.sort()
    order = packed & ((1 << bits) - 1)
    packed >>= bits
    return packed, order


def stable_order(values: np.ndarray, size: int) -> np.ndarray:
    """The positions that sort `values` (whole numbers in ``0 .. size - 1``) stably: equal
    values keep their order, as ``np.argsort(values, kind="stable")`` gives them.

    Values of up to 16 bits: one stable sort of 16-bit numbers, which numpy does by radix
    sort in linear time (a stable sort of 64-bit numbers is a merge sort). Wider values,
    when each value and its position fit in 63 bits together: one sort of the values
    shifted up with their positions in the low bits, the positions read back from it
    (:func:`_packed_sort`; equal values are then ordered by position). numpy sorts 64-bit
    numbers with SIMD instructions: the customer codes of 10M rows in 0.19 s, against 0.69
    s for two radix passes of 16 bits, which remain for the widest values.
    """
    if size > 1 << 16:
        packed = _packed_sort(values, size)
        if packed is not None:
            return packed[1]
    order: np.ndarray | None = None
    shift = 0
    while order is None or size > 1 << shift:
        part = values if order is None else values[order]
        step = np.argsort(((part >> shift) & 0xFFFF).astype(np.uint16), kind="stable")
        order = step if order is None else order[step]
        shift += 16
    return order


def placed_orders(code: np.ndarray, order: np.ndarray, amount: np.ndarray, n: int) -> np.ndarray:
    """The number of orders of each customer code ``0 .. n - 1``: its distinct order ids
    less the cancellation documents, by the rule of :func:`purchase_periods` (int64).

    `order` holds order codes (whole numbers from 0, as
    :class:`kamseg.transactions.PreparedTransactions` has them). When every order id
    belongs to one customer (the usual export), the (customer, order) pairs are the order
    ids themselves, counted without a sort; each order's net adds its rows in row order,
    as :func:`purchase_periods` adds them.
    """
    if code.size == 0:
        return np.zeros(n, dtype=np.int64)
    size = int(order.max()) + 1
    # arrays by order code of at most twice the rows' size (a subset of the rows with
    # orders spread over a wider range sorts its pairs faster: 0.12 s against 0.16 s for
    # 2M rows of 10M order codes)
    if size <= 2 * code.size + (1 << 16):
        owner = np.full(size, -1, dtype=np.int64)
        owner[order] = code  # some customer of each order id
        if bool((owner[order] == code).all()):
            net = net_sums(order, amount, size)
            negative = np.bincount(order, weights=amount < 0, minlength=size) > 0
            placed = (owner >= 0) & ((net > 0) | ~negative)
            return np.bincount(owner[placed], minlength=n).astype(np.int64)
    o_code, _, _, bought = purchase_periods(code, order, amount)
    return np.bincount(o_code[bought], minlength=n).astype(np.int64)


def purchase_pairs(
    code: np.ndarray, period: np.ndarray, amount: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``(customer code, period)`` pairs that are purchases, by the rule of
    :func:`purchase_periods`, sorted: ``(code, period)``, for callers that count purchase
    periods and need no nets.

    Without a negative amount every pair is a purchase, so one in-place sort of the pair
    keys gives them (no argsort, inverse or nets: at 10M rows about half the time).
    """
    if (amount < 0).any():
        codes, periods_, _, bought = purchase_periods(code, period, amount)
        return codes[bought], periods_[bought]
    if code.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    pmin = int(period.min())
    span = int(period.max()) - pmin + 1
    uniq = _distinct(code * span + (period - pmin))
    return uniq // span, uniq % span + pmin


def _distinct(key: np.ndarray) -> np.ndarray:
    """The distinct values of `key`, sorted (`key`, a temporary, is sorted in place)."""
    key.sort()
    first = np.empty(key.size, dtype=bool)
    first[:1] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    return key[first]


def narrow_int(x: np.ndarray) -> np.ndarray:
    """Signed whole numbers `x` as int32 when every one fits (half the memory; the same
    values, so the same sort order and sums), else `x` as it is (other dtypes too)."""
    if x.dtype.kind != "i":
        return x
    if x.size and (x.min() < -(2**31) or x.max() >= 2**31):
        return x
    return x.astype(np.int32)
