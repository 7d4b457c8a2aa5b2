"""The latent-needs kernels: nearest-neighbour and co-occurrence scores of categories.

Numpy on customer x category profiles (see :func:`kamseg.features._needs.category_profile`),
with scipy's KD-tree to find the candidate neighbours of many profiles;
:func:`kamseg.latent_needs` turns the scores into suggestions.

The brute force (:func:`_knn_kernel`) defines the scores, ties included; the KD-tree path
(:func:`_tree_kernel`, at most 7 categories) gives the same bits. Both compute their
similarities with :func:`_products`, whose every entry is the same bits whatever the other
rows and columns: the BLAS matrix product where it has that property (OpenBLAS's kernels for
fewer than 8 categories on some CPUs: a fused multiply-add chain over the categories;
:func:`_exact_products` checks it at run time), else a sum category by category.

Every score of a query is the same bits whatever the other queries computed with it (the
fitted need model, :mod:`kamseg._needs_fit`, relies on it to score any subset of customers
as the whole table scores them): no product is ever computed for one row alone (numpy would
use a matrix-vector product, which rounds differently), and every reduction is per row.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

__all__ = [
    "cooccurrence_scores",
    "knn_scores",
    "query_scores",
    "reference_profiles",
    "reference_rows",
]

_CHUNK_CELLS = 1 << 22  # similarity cells computed at once (32 MB of float64)
_TREE_CELLS = 1 << 26  # above this many query x reference pairs, search with a KD-tree
_BLOCK = 256  # queries whose candidate similarities are computed in one product
_GATHER_CELLS = 1 << 16  # bought flags gathered at once (512 kB of float64)
_CHUNK_ROWS_DISTINCT = 1 << 16  # rows checked at once against the first of their key
_TREE_MAX_CATEGORIES = 7  # the KD-tree path only with this many categories at most
_GRID = 16  # steps per category of the grid that orders the KD-tree queries
# Distance gap (between unit profiles) that makes the KD-tree candidates certain. The
# similarities and the distances are each rounded to ~1e-16 relative, and the distance
# d = sqrt(2 - 2 cos) turns an error of e in the cosine into at most sqrt(2 e) ~ 1e-7.
_MARGIN = 1e-6
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier (2**64 / golden ratio) folding rows


def _weights(
    cand: np.ndarray, cs: np.ndarray, own: np.ndarray, count: np.ndarray, n_neighbors: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Neighbour weights of each row's candidate reference profiles.

    `cand` holds candidate columns of the references and `cs` their similarities (the
    query's own lone profile at -1); returns the candidates sorted by similarity (ties
    kept in the given order), their weights, the threshold similarity and which
    candidates are tied with it.
    """
    b = cand.shape[0]
    rows = np.arange(b)
    # a row already strictly descending is its own stable sort: sort only the others
    # (the KD-tree gives its candidates nearest first, so nearly every row is)
    unsorted = np.flatnonzero(~(cs[:, 1:] < cs[:, :-1]).all(axis=1))
    if unsorted.size == b:
        order = np.argsort(-cs, axis=1, kind="stable")
        cand = np.take_along_axis(cand, order, axis=1)
        cs = np.take_along_axis(cs, order, axis=1)
    elif unsorted.size:
        cand, cs = cand.copy(), cs.copy()
        order = np.argsort(-cs[unsorted], axis=1, kind="stable")
        cand[unsorted] = np.take_along_axis(cand[unsorted], order, axis=1)
        cs[unsorted] = np.take_along_axis(cs[unsorted], order, axis=1)
    cc = count[cand] - (cand == own[:, None])
    cc[cs < 0] = 0.0
    cum = np.cumsum(cc, axis=1)
    full = cum[:, -1] >= n_neighbors
    at = np.argmax(cum >= n_neighbors, axis=1)
    thr = np.where(full, cs[rows, at], -0.5)  # -0.5: take everyone (too few customers)
    gt = cs > thr[:, None]
    eq = cs == thr[:, None]
    n_gt = (cc * gt).sum(axis=1)
    n_eq = (cc * eq).sum(axis=1)
    frac = np.divide(n_neighbors - n_gt, n_eq, out=np.zeros(b), where=n_eq > 0)
    w = cc * cs * (gt + eq * frac[:, None])
    return cand, cs, w, thr, eq


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.divide(num, den[:, None], out=np.zeros(num.shape), where=den[:, None] > 0)
    return out


def _products(queries: np.ndarray, ref_t: np.ndarray) -> np.ndarray:
    """``queries @ ref_t``: each entry the same bits whatever the other rows (two or more).

    With :func:`_exact_products` the BLAS product has this property; otherwise (8
    categories or more, or another BLAS) each entry is summed category by category,
    rounded at each step, which no other row can change.
    """
    if _exact_products(queries.shape[1]):
        out: np.ndarray = queries @ ref_t
        return out
    out = np.multiply.outer(queries[:, 0], ref_t[0])
    tmp = np.empty_like(out)
    for j in range(1, queries.shape[1]):
        np.multiply.outer(queries[:, j], ref_t[j], out=tmp)
        out += tmp
    return out


def _chunks(n: int, step: int) -> list[tuple[int, int]]:
    """Chunks of `step` rows of `n`, none of one row alone (unless `n` is 1): a last chunk of
    one row takes the row before it too (computed twice, with the same bits)."""
    bounds = [(start, min(start + step, n)) for start in range(0, n, step)]
    if n > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-1] = (n - 2, n)
    return bounds


def _knn_kernel(
    queries: np.ndarray,
    self_col: np.ndarray,
    ref: np.ndarray,
    ref_count: np.ndarray,
    ref_bought: np.ndarray,
    n_neighbors: int,
    norm: np.ndarray | None = None,
) -> np.ndarray:
    """Neighbour scores of each category for each query profile (brute force).

    `ref` holds distinct reference profiles, `ref_count` how many customers have each;
    `self_col` is the reference profile of the query customer itself (-1 when the query is
    not a reference customer): one copy of it is not a neighbour. The neighbours are the
    `n_neighbors` reference customers of highest cosine similarity; reference customers
    tied with the last of them share its remaining places equally (fractional weights).
    Score = sum(w * sim * bought) / sum(w * sim). `norm`: the norms of `ref` rows.
    """
    n_q, n_cat = queries.shape
    n_r = ref.shape[0]
    if norm is None:
        norm = np.sqrt(np.einsum("ij,ij->i", ref, ref))
    count = ref_count.astype(np.float64)
    bought = ref_bought.astype(np.float64)
    width = min(n_neighbors + 1, n_r)
    if n_q == 1:  # never a product of one row: a copy of it pads the query
        padded = _knn_kernel(
            np.vstack([queries, queries]),
            np.append(self_col, self_col),
            ref,
            ref_count,
            ref_bought,
            n_neighbors,
            norm,
        )
        return padded[:1]
    out = np.zeros((n_q, n_cat))
    step = max(2, _CHUNK_CELLS // n_r)
    ref_t = np.ascontiguousarray(ref.T)
    for start, stop in _chunks(n_q, step):
        b = stop - start
        rows = np.arange(b)
        # within a row, raw dot / reference norm is proportional to the cosine similarity,
        # and the query norm cancels out of the score; binary profiles stay exact
        sim = _products(queries[start:stop], ref_t)
        sim /= norm
        own = self_col[start:stop]
        has_own = own >= 0
        lone = np.zeros(b, dtype=bool)
        lone[has_own] = ref_count[own[has_own]] == 1
        sim[rows[lone], own[lone]] = -1.0  # the only copy of the own profile is not a neighbour

        if width < n_r:
            cand = np.argpartition(sim, n_r - width, axis=1)[:, n_r - width :]
        else:
            cand = np.broadcast_to(np.arange(n_r), (b, n_r)).copy()
        cs = np.take_along_axis(sim, cand, axis=1)
        cand, cs, w, thr, eq = _weights(cand, cs, own, count, n_neighbors)
        num = np.einsum("bl,blc->bc", w, bought[cand])
        den = w.sum(axis=1)

        # rows whose tie at the threshold reaches beyond the candidates: use the whole row.
        # The other reference profiles are no more similar than the least similar candidate
        # (argpartition), so only rows whose threshold is not above it can have such a tie.
        wide = np.zeros(b, dtype=bool)
        check = np.flatnonzero(thr <= cs.min(axis=1, initial=np.inf))
        if check.size:
            in_row = np.count_nonzero(sim[check] == thr[check, None], axis=1)
            wide[check] = in_row > eq[check].sum(axis=1)
        if wide.any():
            idx = np.flatnonzero(wide)
            s = sim[idx]
            c = np.tile(count, (idx.size, 1))
            o = own[idx]
            c[np.flatnonzero(o >= 0), o[o >= 0]] -= 1.0
            c[s < 0] = 0.0
            t = thr[idx, None]
            g = s > t
            e = s == t
            ng = (c * g).sum(axis=1)
            ne = (c * e).sum(axis=1)
            fr = np.divide(n_neighbors - ng, ne, out=np.zeros(idx.size), where=ne > 0)
            weights = c * s * (g + e * fr[:, None])
            num[idx] = np.einsum("br,rc->bc", weights, bought)  # per row, unlike BLAS
            den[idx] = weights.sum(axis=1)
        out[start:stop] = _ratio(num, den)
    return out


def _tree_candidates(
    queries: np.ndarray,
    self_col: np.ndarray,
    ref: np.ndarray,
    ref_count: np.ndarray,
    norm: np.ndarray,
    width: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The `width` reference profiles nearest to each query, nearest first, from a KD-tree
    over the unit profiles (the query's own lone profile left out), and whether they are
    certainly the `width` of highest similarity (False: a near tie at the edge; brute
    force decides): :func:`_tree_search` of the queries, a chunk at a time.
    """
    from kamseg._threads import thread_budget

    tree = _unit_tree(ref, norm)
    workers = thread_budget()  # the job's n_jobs
    n_q = queries.shape[0]
    cand = np.empty((n_q, width), dtype=np.intp)
    safe = np.empty(n_q, dtype=bool)
    # in chunks of queries: the search's arrays stay small and their memory is reused
    step = max(1, _CHUNK_CELLS // (4 * (width + 2)))
    for start in range(0, n_q, step):
        q = queries[start : start + step]
        unit = q / np.sqrt(np.einsum("ij,ij->i", q, q))[:, None]
        cand[start : start + step], safe[start : start + step] = _tree_search(
            tree, unit, self_col[start : start + step], ref_count, width, workers
        )
    return cand, safe


def _tree_search(
    tree: Any,
    unit: np.ndarray,
    own: np.ndarray,
    ref_count: np.ndarray,
    width: int,
    workers: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The `width` reference profiles nearest to each unit query, nearest first, from the
    KD-tree over the unit reference profiles (the query's own lone profile left out), and
    whether they are certainly the `width` of highest similarity (False: a near tie at the
    edge; brute force decides).

    Cosine order is the order of Euclidean distance between unit vectors. The set is safe
    when the next reference is farther than the last candidate by more than `_MARGIN`,
    far above the rounding of either measure. Only the queries whose own profile is lone
    (one reference customer) ask for one neighbour more, to leave it out.
    """
    n = unit.shape[0]
    has_own = own >= 0
    lone = np.zeros(n, dtype=bool)
    lone[has_own] = ref_count[own[has_own]] == 1
    cand = np.empty((n, width), dtype=np.intp)
    safe = np.empty(n, dtype=bool)
    # k: the candidates and the first one left out (and room for the own lone profile)
    for rows, k in ((np.flatnonzero(~lone), width + 1), (np.flatnonzero(lone), width + 2)):
        if rows.size == 0:
            continue
        dist, idx = tree.query(unit[rows], k=k, workers=workers)
        if k > width + 1:  # move the own lone profile (if found) last, keeping the order
            drop = idx == own[rows, None]
            keep = np.argsort(drop, axis=1, kind="stable")
            idx = np.take_along_axis(idx, keep, axis=1)
            dist = np.take_along_axis(dist, keep, axis=1)
        # the candidates are the first `width` kept entries; the next one is at `width`
        safe[rows] = dist[:, width] > dist[:, width - 1] + _MARGIN
        cand[rows] = idx[:, :width]
    return cand, safe


def _unit_tree(ref: np.ndarray, norm: np.ndarray) -> Any:
    """scipy's KD-tree over the unit reference profiles, split at the middle of each
    node's extent (``balanced_tree=False``) rather than at its median: the same exact
    neighbours and distances (bit for bit), found in half the time on these profiles (1.3
    against 2.6 s for 200,000 queries of 22 neighbours among 5,000 references in 7
    categories); neighbours at equal distances may come in another order, which the
    kernel does not depend on (a near tie at the edge or equal similarities go to the
    brute force)."""
    from scipy.spatial import cKDTree

    return cKDTree(ref / norm[:, None], balanced_tree=False)


def _grid_order(unit: np.ndarray) -> np.ndarray:
    """An order of the unit queries in which neighbours come close together: by the cell
    of a grid of `_GRID` steps per category (the KD-tree search then finds its nodes in
    the cache: about a quarter faster than in the rows' order)."""
    cell = np.minimum((unit * _GRID).astype(np.int64), _GRID - 1)
    key = np.zeros(unit.shape[0], dtype=np.int64)
    for j in range(unit.shape[1]):  # < _GRID ** (_TREE_MAX_CATEGORIES + 1) < 2**63
        key *= _GRID
        key += cell[:, j]
    return np.argsort(key)


def _tree_kernel(
    queries: np.ndarray,
    self_col: np.ndarray,
    ref: np.ndarray,
    ref_count: np.ndarray,
    ref_bought: np.ndarray,
    n_neighbors: int,
) -> np.ndarray:
    """:func:`_knn_kernel`'s scores, found without comparing every query to every reference.

    A KD-tree gives each query its `n_neighbors` + 1 nearest reference profiles (those
    the brute force keeps). Their similarities are computed by the brute force's product,
    :func:`_products` (each entry the same bits whatever the other rows and columns), for
    blocks of queries sharing one nearest profile, and weighed
    by the same code. Rows whose candidate set is not certain (a near tie at its edge),
    or with equal similarities among the candidates, go through the brute force.

    The queries go through in chunks, in the order of :func:`_grid_order`: each chunk's
    arrays stay small, and no query's scores depend on the others in its chunk.
    """
    from kamseg._threads import thread_budget

    n_q, n_cat = queries.shape
    norm = np.sqrt(np.einsum("ij,ij->i", ref, ref))
    count = ref_count.astype(np.float64)
    bought = ref_bought.astype(np.float64)
    width = n_neighbors + 1
    tree = _unit_tree(ref, norm)
    workers = thread_budget()  # the job's n_jobs
    unit = queries / np.sqrt(np.einsum("ij,ij->i", queries, queries))[:, None]
    order = _grid_order(unit)
    out = np.zeros((n_q, n_cat))
    step = max(2, _CHUNK_CELLS // (width * max(n_cat, 1)))
    # the bought flags of the candidates of a few rows at a time, gathered into one reused
    # buffer that stays in the cache
    part = max(2, _GATHER_CELLS // (width * max(n_cat, 1)))
    gathered = np.empty((min(part, n_q), width, n_cat))
    exact = _exact_products(n_cat)  # the BLAS product, else sums category by category
    ref_t = np.ascontiguousarray(ref.T)
    seen = np.zeros(ref.shape[0], dtype=bool)
    at = np.zeros(ref.shape[0], dtype=np.int64)
    slow: list[np.ndarray] = []
    for start, stop in _chunks(n_q, step):
        rows = order[start:stop]
        own = self_col[rows]
        cand, safe = _tree_search(tree, unit[rows], own, ref_count, width, workers)
        fast = np.flatnonzero(safe)
        if fast.size == 1:  # one row alone would be a matrix-vector product: brute force
            safe[fast] = False
            fast = fast[:0]
        if exact:
            # blocks of queries close together (sorted by their nearest reference), so the
            # references of a block are few: one BLAS product per block, each entry exact
            # (any order of the rows gives the same bits: the unstable, faster sort will do)
            fast = fast[np.argsort(cand[fast, 0])]
            c_fast = cand[fast]
            cs = _block_products(queries[rows[fast]], ref, c_fast, norm, seen, at)
        else:  # summed category by category: the candidate pairs alone
            c_fast = cand[fast]
            cs = _pair_products(queries[rows[fast]], ref_t, c_fast)
            cs /= norm[c_fast]
        # The own lone profile is never a candidate here, and every other reference is
        # less similar than the last candidate: the threshold is a candidate's similarity
        # and no tie reaches beyond the candidates (the brute force's "wide" rows cannot
        # occur). Rows with equal similarities among their candidates go through the
        # brute force too: it sums tied neighbours in the order of its partition, which
        # only it can reproduce.
        tied = ~safe
        if fast.size:
            c, s, w, _, _ = _weights(c_fast, cs, own[fast], count, n_neighbors)
            num = np.empty((fast.size, n_cat))
            for first, last in _chunks(fast.size, part):
                flags = np.take(bought, c[first:last], axis=0, out=gathered[: last - first])
                num[first:last] = np.einsum("bl,blc->bc", w[first:last], flags)
            out[rows[fast]] = _ratio(num, w.sum(axis=1))
            tied[fast] = (s[:, 1:] == s[:, :-1]).any(axis=1)
        slow.append(rows[tied])
    brute = np.sort(np.concatenate(slow)) if slow else np.empty(0, dtype=np.int64)
    if brute.size:
        out[brute] = _knn_kernel(
            queries[brute], self_col[brute], ref, ref_count, ref_bought, n_neighbors, norm
        )
    return out


def _block_products(
    q: np.ndarray,
    ref: np.ndarray,
    cand: np.ndarray,
    norm: np.ndarray,
    seen: np.ndarray,
    at: np.ndarray,
) -> np.ndarray:
    """The similarities (dot / reference norm) of each query `q` with its candidates
    `cand` (queries sorted by their nearest candidate), as the brute force's BLAS product
    gives them: one product per block of queries with the block's references. `seen` and
    `at` are scratch arrays of one entry per reference (`seen` all False)."""
    cs = np.empty(cand.shape)
    n = q.shape[0]
    for first in range(0, n, _BLOCK):
        # never a product of one row (numpy would use a matrix-vector product, which
        # rounds differently): a last block of one row takes the row before it too
        first = max(0, min(first, n - 2))
        c = cand[first : first + _BLOCK]
        seen[c] = True
        cols = np.flatnonzero(seen)  # the block's references, in reference order
        seen[cols] = False
        at[cols] = np.arange(cols.size)
        sim = q[first : first + _BLOCK] @ ref[cols].T
        sim /= norm[cols]
        cs[first : first + _BLOCK] = np.take_along_axis(sim, at[c], axis=1)
    return cs


def _pair_products(q: np.ndarray, ref_t: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """The dot product of each query `q` with each of its candidates `cand` (columns of
    `ref_t`, the references by category), summed category by category as
    :func:`_products` sums them without the BLAS: the same bits, for the pairs alone."""
    out: np.ndarray = q[:, :1] * np.take(ref_t[0], cand)
    for j in range(1, q.shape[1]):
        out += q[:, j : j + 1] * np.take(ref_t[j], cand)
    return out


def _last_row(a: np.ndarray) -> int:
    """The position of a row of `a` that is last in lexicographic order (as sorted by
    ``np.unique(a, axis=0)``), in one pass per column."""
    rows = np.arange(a.shape[0])
    for j in range(a.shape[1]):
        col = a[rows, j]
        rows = rows[col == col.max()]
    return int(rows[0])


@functools.cache
def _exact_products(n_cat: int) -> bool:
    """Whether the KD-tree path can reproduce the brute force's similarities bit for bit
    with `n_cat` categories: each entry of a BLAS matrix product must be the same whatever
    the other rows and columns. OpenBLAS computes a dot product of fewer than 8 terms as
    one fused multiply-add chain in every matrix kernel (checked here on random data, for
    the shapes of both paths); from 8 terms on, its kernels split the sum differently for
    different shapes, so large catalogues keep the brute force."""
    if n_cat > _TREE_MAX_CATEGORIES:
        return False
    rng = np.random.default_rng(0)
    q = rng.dirichlet(np.ones(n_cat), 600)
    r = rng.dirichlet(np.ones(n_cat), 1500)
    step = max(1, _CHUNK_CELLS // r.shape[0])
    full = np.vstack([q[s : s + step] @ r.T for s in range(0, q.shape[0], step)])
    for b, w in [(2, 2), (2, 23), (3, 40), (17, 5), (256, 61), (255, 300), (600, 1500)]:
        qi = rng.choice(q.shape[0], b, replace=False)
        rj = np.sort(rng.choice(r.shape[0], w, replace=False))
        if not np.array_equal(q[qi] @ r[rj].T, full[np.ix_(qi, rj)]):
            return False
    return True


def _distinct_rows(a: np.ndarray, *more: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of `a` (float64 values, no NaN; 0.0 equal to -0.0, as in
    ``np.unique``), with the columns `more` (int64, one value per row) beside it: the
    position of the first of each, in first-seen order, and each row's distinct row.

    Hashing, not sorting: linear in the rows. Each row is folded into one 64-bit key, a
    column at a time, and the keys are factorised once; the rows are then checked against
    the first row of their key, a chunk at a time, and a collision (two different rows, one
    key) falls back to one factorisation per column. No copy of `a` is made.
    """
    import pandas as pd

    n = a.shape[0]
    columns = [a[:, j] for j in range(a.shape[1])] + list(more)
    key = np.zeros(n, dtype=np.uint64)
    for col in columns:
        if col.dtype.kind == "f":  # -0.0 + 0.0 is 0.0: equal bits
            bits = (np.asarray(col, dtype=np.float64) + 0.0).view(np.uint64)
        else:
            bits = np.asarray(col, dtype=np.int64).view(np.uint64)
        key ^= bits
        key *= _MIX  # wraps around
        key ^= key >> np.uint64(29)
    codes, found = pd.factorize(key)
    first = np.full(len(found), n, dtype=np.int64)
    np.minimum.at(first, codes, np.arange(n))
    of_first = first[codes]
    for start in range(0, n, _CHUNK_ROWS_DISTINCT):
        rows = slice(start, start + _CHUNK_ROWS_DISTINCT)
        at = of_first[rows]
        for col in columns:  # (==: 0.0 equal to -0.0)
            if not np.array_equal(col[at], col[rows]):
                return _distinct_rows_by_column(columns)
    return first, np.asarray(codes, dtype=np.int64)


def _distinct_rows_by_column(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_distinct_rows` with one factorisation per column (no collisions)."""
    import pandas as pd

    n = columns[0].size
    codes = np.zeros(n, dtype=np.int64)
    n_codes = 1
    for col in columns:
        if col.dtype.kind == "f":
            col = col + 0.0  # (pandas hashes 0.0 and -0.0 alike too)
        values, uniques = pd.factorize(col)
        codes, found = pd.factorize(codes * len(uniques) + values)  # < n_codes * n_rows
        n_codes = len(found)
    first = np.full(n_codes, n, dtype=np.int64)
    np.minimum.at(first, codes, np.arange(n))
    return first, np.asarray(codes, dtype=np.int64)


def reference_rows(n: int, *, max_reference: int | None, seed: int) -> np.ndarray:
    """The rows (of `n` customers in canonical order) whose profiles are the reference: all,
    or `max_reference` of them drawn with `seed`, sorted."""
    if max_reference is None or n <= max_reference:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=max_reference, replace=False))


def reference_profiles(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct reference profiles (sorted), each reference customer's one (int64) and
    how many customers have each (int64)."""
    ref, inv, count = np.unique(x, axis=0, return_inverse=True, return_counts=True)
    return ref, inv.reshape(-1).astype(np.int64), count.astype(np.int64)


def query_scores(
    x: np.ndarray,
    bought: np.ndarray,
    own: np.ndarray,
    ref: np.ndarray,
    ref_count: np.ndarray,
    *,
    n_neighbors: int,
) -> np.ndarray:
    """Neighbour score of each category for each customer (rows of `x`) against the
    reference profiles `ref` (`ref_count` customers each).

    `own` is the reference profile of each customer's own reference row (-1: not a
    reference customer), of which one copy is not a neighbour; it may differ from the
    customer's profile in `x` (a reference customer whose purchases changed since). Each
    row's scores depend only on that row and the reference. Categories the customer buys
    (`bought`) score 0.
    """
    n = x.shape[0]
    big = (
        n * ref.shape[0] > _TREE_CELLS
        and ref.shape[0] > n_neighbors + 2
        and x.shape[1] <= _TREE_MAX_CATEGORIES
    )
    out = np.zeros(x.shape)
    # a customer who buys every category scores 0 in each: only the customers with a
    # category left to suggest are scored (a query's scores do not depend on the other
    # queries, so leaving some out changes no bit of the others)
    todo = np.flatnonzero(~bought.all(axis=1))
    if todo.size == 0:
        return out
    if todo.size < n:
        x, own = x[todo], own[todo]
    # one query per distinct (profile, own reference row); ordered as the rows (profile,
    # in reference) the scores were first defined on, which `own` does not reorder
    if big:  # the query order does not matter to the KD-tree search: hash, not sort
        first, q_inv = _distinct_rows(x, own)
        queries = np.ascontiguousarray(x[first])
        self_col = own[first]
    else:
        keyed = np.column_stack((x, own >= 0, own))
        uniq, q_inv = np.unique(keyed, axis=0, return_inverse=True)
        queries = np.ascontiguousarray(uniq[:, :-2])
        self_col = uniq[:, -1].astype(np.int64)
    if big:
        scores = _tree_kernel(queries, self_col, ref, ref_count, ref > 0, n_neighbors)
    else:
        scores = _knn_kernel(queries, self_col, ref, ref_count, ref > 0, n_neighbors)
    out[todo] = scores[q_inv.reshape(-1)]
    out[bought] = 0.0
    return out


def knn_scores(
    x: np.ndarray, bought: np.ndarray, *, n_neighbors: int, max_reference: int | None, seed: int
) -> np.ndarray:
    """Neighbour score of each category for each customer (rows of `x`, its profiles).

    Neighbours are searched among all customers, or among `max_reference` of them drawn
    with `seed` (rows in canonical order, so the draw does not depend on input row order).
    Categories the customer buys (`bought`) score 0.
    """
    ref_rows = reference_rows(x.shape[0], max_reference=max_reference, seed=seed)
    ref, ref_inv, ref_count = reference_profiles(x[ref_rows])
    own = np.full(x.shape[0], -1, dtype=np.int64)
    own[ref_rows] = ref_inv
    return query_scores(x, bought, own, ref, ref_count, n_neighbors=n_neighbors)


def cooccurrence_scores(bought: np.ndarray) -> np.ndarray:
    """Mean over the bought categories c' of P(buys c | buys c'), leaving the customer out."""
    b = bought.astype(np.float64)
    co = b.T @ b  # exact integer counts
    n_c = np.diag(co).copy()
    cond = np.divide(co, (n_c - 1)[:, None], out=np.zeros_like(co), where=(n_c > 1)[:, None])
    k = b.sum(axis=1)
    out: np.ndarray = np.divide(b @ cond, k[:, None], out=np.zeros_like(b), where=k[:, None] > 0)
    out[bought] = 0.0
    return out
