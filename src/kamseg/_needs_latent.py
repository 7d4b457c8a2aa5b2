"""The latent-needs kernels: nearest-neighbour and co-occurrence scores of categories.

Pure numpy on customer x category profiles (see :func:`kamseg.features._needs.category_profile`);
:func:`kamseg.latent_needs` turns the scores into suggestions.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cooccurrence_scores", "knn_scores"]

_CHUNK_CELLS = 1 << 22  # similarity cells computed at once (32 MB of float64)


def _knn_kernel(
    queries: np.ndarray,
    self_col: np.ndarray,
    ref: np.ndarray,
    ref_count: np.ndarray,
    ref_bought: np.ndarray,
    n_neighbors: int,
) -> np.ndarray:
    """Neighbour scores of each category for each query profile.

    `ref` holds distinct reference profiles, `ref_count` how many customers have each;
    `self_col` is the reference profile of the query customer itself (-1 when the query is
    not a reference customer): one copy of it is not a neighbour. The neighbours are the
    `n_neighbors` reference customers of highest cosine similarity; reference customers
    tied with the last of them share its remaining places equally (fractional weights).
    Score = sum(w * sim * bought) / sum(w * sim).
    """
    n_q, n_cat = queries.shape
    n_r = ref.shape[0]
    norm = np.sqrt(np.einsum("ij,ij->i", ref, ref))
    count = ref_count.astype(np.float64)
    bought = ref_bought.astype(np.float64)
    width = min(n_neighbors + 1, n_r)
    out = np.zeros((n_q, n_cat))
    step = max(1, _CHUNK_CELLS // n_r)
    for start in range(0, n_q, step):
        stop = min(start + step, n_q)
        b = stop - start
        rows = np.arange(b)
        # within a row, raw dot / reference norm is proportional to the cosine similarity,
        # and the query norm cancels out of the score; binary profiles stay exact
        sim = queries[start:stop] @ ref.T
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
        order = np.argsort(-cs, axis=1, kind="stable")
        cand = np.take_along_axis(cand, order, axis=1)
        cs = np.take_along_axis(cs, order, axis=1)
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
            num[idx] = weights @ bought
            den[idx] = weights.sum(axis=1)
        out[start:stop] = np.divide(
            num, den[:, None], out=np.zeros((b, n_cat)), where=den[:, None] > 0
        )
    return out


def knn_scores(
    x: np.ndarray, bought: np.ndarray, *, n_neighbors: int, max_reference: int | None, seed: int
) -> np.ndarray:
    """Neighbour score of each category for each customer (rows of `x`, its profiles).

    Neighbours are searched among all customers, or among `max_reference` of them drawn
    with `seed` (rows in canonical order, so the draw does not depend on input row order).
    Categories the customer buys (`bought`) score 0.
    """
    n = x.shape[0]
    if max_reference is None or n <= max_reference:
        ref_rows = np.arange(n)
    else:
        rng = np.random.default_rng(seed)
        ref_rows = np.sort(rng.choice(n, size=max_reference, replace=False))
    ref, ref_inv, ref_count = np.unique(
        x[ref_rows], axis=0, return_inverse=True, return_counts=True
    )
    in_ref = np.zeros(n, dtype=np.float64)
    in_ref[ref_rows] = 1.0
    queries, q_inv = np.unique(np.column_stack((x, in_ref)), axis=0, return_inverse=True)
    q_inv = q_inv.reshape(-1)
    self_col = np.full(queries.shape[0], -1, dtype=np.int64)
    self_col[q_inv[ref_rows]] = ref_inv.reshape(-1)
    scores = _knn_kernel(queries[:, :-1], self_col, ref, ref_count, ref > 0, n_neighbors)
    out: np.ndarray = scores[q_inv]
    out[bought] = 0.0
    return out


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
