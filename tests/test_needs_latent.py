"""Tests for kamseg._needs_latent: the KD-tree search gives the brute force's scores.

The brute force (:func:`kamseg._needs_latent._knn_kernel`, every query against every
reference) is the definition; the KD-tree path (:func:`_tree_kernel`, used above
``_TREE_CELLS`` query x reference pairs) must give the same bits, ties included. Both are
also checked against a plain loop written here, on data full of exact ties.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamseg import _needs_latent as nl
from kamseg.needs import latent_needs


def plain_knn(x: np.ndarray, ref_rows: np.ndarray, n_neighbors: int) -> np.ndarray:
    """One customer at a time: similarity q.r / |r| to every other reference customer,
    the n nearest, those tied with the n-th sharing its remaining places equally."""
    bought = x > 0
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        pool = ref_rows[ref_rows != i]
        sim = np.array([x[i] @ x[j] / np.sqrt(x[j] @ x[j]) for j in pool])
        if pool.size <= n_neighbors:
            w = np.ones(pool.size)
        else:
            t = np.sort(sim)[::-1][n_neighbors - 1]  # the n-th highest similarity
            above, tied = sim > t, sim == t
            w = above + tied * (n_neighbors - above.sum()) / tied.sum()
        num = (w * sim) @ bought[pool]
        den = (w * sim).sum()
        out[i] = num / den if den > 0 else 0.0
    out[bought] = 0.0
    return out


def tied_profiles(rng: np.random.Generator, n: int, n_cat: int, basis: str) -> np.ndarray:
    """Profiles from few values: many customers share a profile, or a similarity."""
    x = (rng.random((n, n_cat)) < 0.4).astype(np.float64)
    x[np.arange(n), rng.integers(0, n_cat, n)] = 1.0  # never empty
    if basis == "spend":
        x *= rng.choice([1.0, 2.0, 3.0], size=(n, n_cat))
        x /= x.sum(axis=1, keepdims=True)
    return x


def both_paths(
    monkeypatch: pytest.MonkeyPatch, x: np.ndarray, **kw: object
) -> tuple[np.ndarray, np.ndarray]:
    """knn_scores by brute force, then by the KD-tree path."""
    monkeypatch.setattr(nl, "_TREE_CELLS", 1 << 62)
    brute = nl.knn_scores(x, x > 0, **kw)  # type: ignore[arg-type]
    monkeypatch.setattr(nl, "_TREE_CELLS", 0)
    tree = nl.knn_scores(x, x > 0, **kw)  # type: ignore[arg-type]
    return brute, tree


def test_tree_path_uses_both_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    # tied profiles: some queries are answered from the KD-tree candidates, others (ties)
    # by the brute force; count the rows sent to the brute force
    sent: list[int] = []
    kernel = nl._knn_kernel

    def spy(queries: np.ndarray, *args: object, **kw: object) -> np.ndarray:
        sent.append(queries.shape[0])
        return kernel(queries, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(nl, "_knn_kernel", spy)
    monkeypatch.setattr(nl, "_TREE_CELLS", 0)
    x = tied_profiles(np.random.default_rng(0), 1500, 6, "spend")
    n_queries = np.unique(np.column_stack((x, np.ones(len(x)))), axis=0).shape[0]
    nl.knn_scores(x, x > 0, n_neighbors=5, max_reference=None, seed=0)
    assert len(sent) == 1
    assert 0 < sent[0] < n_queries


@pytest.mark.parametrize("basis", ["binary", "spend"])
@pytest.mark.parametrize(("n_neighbors", "max_reference"), [(5, 400), (20, None), (3, 40)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tree_path_is_the_brute_force_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch,
    basis: str,
    n_neighbors: int,
    max_reference: int | None,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    x = tied_profiles(rng, 1500, 4 + seed, basis)
    kw = {"n_neighbors": n_neighbors, "max_reference": max_reference, "seed": seed}
    brute, tree = both_paths(monkeypatch, x, **kw)
    np.testing.assert_array_equal(tree, brute)  # not close: equal, ties included


def test_tree_path_on_continuous_profiles(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    x = rng.gamma(1.0, 1.0, (3000, 6)) * (rng.random((3000, 6)) < 0.5)
    x[np.arange(3000), rng.integers(0, 6, 3000)] += 1.0
    x /= x.sum(axis=1, keepdims=True)
    brute, tree = both_paths(monkeypatch, x, n_neighbors=20, max_reference=1000, seed=3)
    np.testing.assert_array_equal(tree, brute)
    assert (tree > 0).any()


@pytest.mark.parametrize(("n_neighbors", "max_reference"), [(4, None), (6, 120), (2, 30)])
def test_both_paths_match_a_plain_loop_with_ties(
    monkeypatch: pytest.MonkeyPatch, n_neighbors: int, max_reference: int | None
) -> None:
    # binary profiles: every dot product is an exact integer and every norm the square
    # root of one, so equal similarities are equal bits in the loop as in the kernels
    rng = np.random.default_rng(n_neighbors)
    x = tied_profiles(rng, 300, 5, "binary")
    kw = {"n_neighbors": n_neighbors, "max_reference": max_reference, "seed": 4}
    brute, tree = both_paths(monkeypatch, x, **kw)
    if max_reference is None:
        ref_rows = np.arange(300)
    else:  # the draw of knn_scores: rows in canonical order
        ref_rows = np.sort(np.random.default_rng(4).choice(300, size=max_reference, replace=False))
    expected = plain_knn(x, ref_rows, n_neighbors)
    np.testing.assert_allclose(brute, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(tree, brute)


def test_fractional_weights_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    # categories (A, B, C); the query q = (1, 0, 0) buys A only. References: r1 = (1, 1, 0)
    # and r2 = (1, 0, 1) both have similarity 1/sqrt(2) to q; r3 = (0, 1, 1) has 0. With
    # n_neighbors=1, r1 and r2 tie for the one place and get weight 1/2 each: B scores
    # (1/2 * s) / (1/2 * s + 1/2 * s) = 1/2, C the same. Padded with copies of r3 (below
    # every other similarity), so the KD-tree path runs with more references than places.
    q = [[1.0, 0.0, 0.0]]
    refs = [[1.0, 1.0, 0.0], [1.0, 0.0, 1.0]] + [[0.0, 1.0, 1.0]] * 6
    x = np.array(q + refs)
    brute, tree = both_paths(monkeypatch, x, n_neighbors=1, max_reference=None, seed=0)
    np.testing.assert_array_equal(tree, brute)
    np.testing.assert_allclose(brute[0], [0.0, 0.5, 0.5], rtol=1e-15)


def test_tree_candidates_flag_near_ties() -> None:
    # unit reference profiles at angles 0, 0.5, 0.5, 1.0 and 1.2 radians from the query;
    # the two at 0.5 lie in different planes, at exactly the same distance from it
    c, s = np.cos, np.sin
    ref = np.array(
        [
            [1.0, 0.0, 0.0],
            [c(0.5), s(0.5), 0.0],
            [c(0.5), 0.0, s(0.5)],
            [c(1.0), s(1.0), 0.0],
            [c(1.2), s(1.2), 0.0],
        ]
    )
    query = np.array([[1.0, 0.0, 0.0]])
    norm = np.sqrt((ref * ref).sum(axis=1))
    own = np.array([-1])
    count = np.ones(5, dtype=np.int64)
    # width 2: the nearest are 0 (angle 0), then 1 and 2 tie for the second place
    cand, safe = nl._tree_candidates(query, own, ref, count, norm, 2)
    assert not safe[0]
    # width 3: the nearest three are 0, 1, 2; the next (angle 1.0) is clearly farther
    cand, safe = nl._tree_candidates(query, own, ref, count, norm, 3)
    assert safe[0]
    # nearest first: 0, then 1 and 2 (tied, in either order)
    assert cand[0][0] == 0
    assert sorted(cand[0].tolist()) == [0, 1, 2]
    # the query's own lone profile (reference 0) is left out of its candidates; the next
    # one (angle 1.2, distance 2 sin 0.6 = 1.129) is farther than the last (2 sin 0.5)
    cand, safe = nl._tree_candidates(query, np.array([0]), ref, count, norm, 3)
    assert sorted(cand[0][:2].tolist()) == [1, 2]
    assert cand[0][2] == 3
    assert safe[0]


def test_distinct_rows() -> None:
    a = np.array([[1.0, 0.0], [2.0, 1.0], [1.0, -0.0], [2.0, 1.0], [0.5, 0.5]])
    first, inverse = nl._distinct_rows(a)
    # rows 0 and 2 are equal (0.0 == -0.0), rows 1 and 3 too
    assert first.tolist() == [0, 1, 4]
    assert inverse.tolist() == [0, 1, 0, 1, 2]


def test_latent_needs_same_through_either_path(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    n, cats = 600, ["a", "b", "c", "d", "e"]
    i = rng.integers(0, n, 4000)
    tx = pd.DataFrame(
        {
            "customer_id": i,
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, 4000), "D"),
            "product": rng.choice(cats, 4000, p=[0.4, 0.3, 0.15, 0.1, 0.05]),
            "amount": rng.choice([10.0, 20.0, 30.0], 4000),
        }
    )
    catalog = pd.DataFrame({"product": cats, "category": [c.upper() for c in cats]})
    customers = pd.DataFrame(index=pd.Index(range(n), name="customer_id"))
    kw = {"transactions": tx, "catalog": catalog, "max_reference": 200, "as_of": "2024-12-31"}
    monkeypatch.setattr(nl, "_TREE_CELLS", 1 << 62)
    brute = latent_needs(customers, **kw)  # type: ignore[arg-type]
    monkeypatch.setattr(nl, "_TREE_CELLS", 0)
    tree = latent_needs(customers, **kw)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(tree, brute, check_exact=True)
    assert len(brute) > 0


@pytest.mark.parametrize("n_cat", [2, 3, 5, 7])
def test_block_products_are_the_full_products(n_cat: int) -> None:
    # the property the KD-tree path relies on (checked once per category count by
    # _exact_products): an entry of q @ r.T is the same bits in the brute force's chunked
    # product and in the product of any two or more rows of q with two or more rows of r
    if not nl._exact_products(n_cat):
        pytest.skip("this BLAS rounds small products by their shape: both paths sum by category")
    rng = np.random.default_rng(n_cat)
    q = rng.dirichlet(np.ones(n_cat), 2000)
    r = rng.dirichlet(np.ones(n_cat), 3000)
    step = nl._CHUNK_CELLS // 3000
    full = np.vstack([q[s : s + step] @ r.T for s in range(0, 2000, step)])
    for b, w in [(2, 2), (2, 21), (5, 7), (64, 22), (256, 150), (256, 900), (1000, 31)]:
        qi = rng.choice(2000, b, replace=False)
        rj = np.sort(rng.choice(3000, w, replace=False))
        np.testing.assert_array_equal(q[qi] @ r[rj].T, full[np.ix_(qi, rj)])


def test_many_categories_keep_the_brute_force(monkeypatch: pytest.MonkeyPatch) -> None:
    # from 8 categories on, BLAS kernels sum a dot product differently for different
    # shapes: no KD-tree path, whatever the size
    assert not nl._exact_products(8)
    called: list[int] = []
    monkeypatch.setattr(nl, "_tree_kernel", lambda *a, **k: called.append(1))
    monkeypatch.setattr(nl, "_TREE_CELLS", 0)
    x = tied_profiles(np.random.default_rng(1), 200, 9, "spend")
    out = nl.knn_scores(x, x > 0, n_neighbors=5, max_reference=None, seed=0)
    assert called == []
    assert out.shape == (200, 9)


def test_last_row() -> None:
    a = np.array([[1.0, 2.0, 0.0], [3.0, 0.0, 1.0], [3.0, 1.0, 0.0], [3.0, 1.0, -0.5]])
    # sorted rows: (1, 2, 0), (3, 0, 1), (3, 1, -0.5), (3, 1, 0): the last is row 2
    assert nl._last_row(a) == 2
    assert nl._last_row(a[:2]) == 1


def test_a_last_chunk_of_one_row(monkeypatch: pytest.MonkeyPatch) -> None:
    # the brute force computes its last distinct query alone when the chunks leave one
    # row (numpy may then use a matrix-vector product, which can round differently); the
    # KD-tree path computes that query alone too
    rng = np.random.default_rng(9)
    x = rng.gamma(1.0, 1.0, (700, 5)) * (rng.random((700, 5)) < 0.6)
    x[np.arange(700), rng.integers(0, 5, 700)] += 1.0
    x /= x.sum(axis=1, keepdims=True)
    n_q = np.unique(np.column_stack((x, np.ones(700))), axis=0).shape[0]
    n_r = np.unique(x, axis=0).shape[0]
    step = 8 if n_q % 8 == 1 else next(k for k in range(9, n_q) if n_q % k == 1)
    monkeypatch.setattr(nl, "_CHUNK_CELLS", step * n_r)
    brute, tree = both_paths(monkeypatch, x, n_neighbors=7, max_reference=None, seed=0)
    np.testing.assert_array_equal(tree, brute)


def test_distinct_rows_match_a_plain_dictionary() -> None:
    # first-seen order, 0.0 equal to -0.0 (as Python's == and hash have it)
    rng = np.random.default_rng(3)
    a = rng.choice([0.0, -0.0, 0.25, 0.5, 1.0], size=(500, 4))
    seen: dict[tuple[float, ...], int] = {}
    first: list[int] = []
    inverse: list[int] = []
    for i, row in enumerate(a.tolist()):
        if tuple(row) not in seen:
            seen[tuple(row)] = len(seen)
            first.append(i)
        inverse.append(seen[tuple(row)])
    got_first, got_inverse = nl._distinct_rows(a)
    assert got_first.tolist() == first
    assert got_inverse.tolist() == inverse
    assert len(first) < 500  # the draw repeats rows


def test_distinct_rows_fall_back_on_a_key_collision(monkeypatch: pytest.MonkeyPatch) -> None:
    # a multiplier of 0 folds every row into the same key: the check finds the collision
    # and the rows are grouped one column at a time, with the same answer
    monkeypatch.setattr(nl, "_MIX", np.uint64(0))
    a = np.array([[1.0, 0.0], [2.0, 1.0], [1.0, -0.0], [2.0, 1.0], [0.5, 0.5]])
    first, inverse = nl._distinct_rows(a)
    assert first.tolist() == [0, 1, 4]
    assert inverse.tolist() == [0, 1, 0, 1, 2]


def test_weights_sort_only_the_rows_out_of_order() -> None:
    # each row's candidates come out by similarity, highest first, equal similarities in
    # the given order (Python's sort is stable), whether or not the row was in order
    cs = np.array(
        [
            [0.9, 0.5, 0.4, 0.1],  # in order
            [0.4, 0.9, 0.1, 0.5],  # not
            [0.5, 0.9, 0.5, 0.2],  # a tie
            [0.9, 0.9, 0.3, -1.0],  # a tie, then the own lone profile
        ]
    )
    cand = np.array([[3, 1, 0, 2], [0, 3, 2, 1], [1, 2, 3, 0], [2, 0, 1, 3]])
    own = np.array([-1, -1, 0, 3])
    count = np.array([1.0, 2.0, 1.0, 1.0])
    expect = [sorted(range(4), key=lambda j, r=r: -cs[r, j]) for r in range(4)]
    for rows in ([0, 1, 2, 3], [1, 2], [0], [1]):  # some rows in order, all, none
        got_cand, got_cs, w, thr, _ = nl._weights(cand[rows], cs[rows], own[rows], count, 2)
        for i, r in enumerate(rows):
            assert got_cand[i].tolist() == cand[r, expect[r]].tolist()
            assert got_cs[i].tolist() == cs[r, expect[r]].tolist()
    # row 0 by hand: neighbours 3 (count 1, s 0.9) and 1 (count 2, s 0.5) fill the 2 places
    # at threshold 0.5: reference 3 weighs 0.9 and reference 1 shares the last place, 0.5
    _, _, w, thr, _ = nl._weights(cand[:1], cs[:1], own[:1], count, 2)
    assert thr[0] == 0.5
    np.testing.assert_allclose(w[0], [0.9, 2 * 0.5 * 0.5, 0.0, 0.0])
    # the inputs are not modified
    assert cs[1].tolist() == [0.4, 0.9, 0.1, 0.5]


def test_tree_candidates_in_chunks_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    # the KD-tree is searched a chunk of queries at a time; the chunks change nothing
    rng = np.random.default_rng(11)
    x = rng.gamma(1.0, 1.0, (900, 5)) * (rng.random((900, 5)) < 0.6)
    x[np.arange(900), rng.integers(0, 5, 900)] += 1.0
    x /= x.sum(axis=1, keepdims=True)
    ref, count = np.unique(x[:300], axis=0, return_counts=True)
    norm = np.sqrt((ref * ref).sum(axis=1))
    own = np.full(900, -1)
    own[:300] = [int(np.flatnonzero((ref == row).all(axis=1))[0]) for row in x[:300]]
    whole = nl._tree_candidates(x, own, ref, count, norm, 6)
    monkeypatch.setattr(nl, "_CHUNK_CELLS", 4 * 8 * 50)  # chunks of 50 queries
    chunked = nl._tree_candidates(x, own, ref, count, norm, 6)
    np.testing.assert_array_equal(chunked[1], whole[1])
    safe = whole[1]
    assert safe.sum() > 600  # most rows have a clear candidate set
    # the candidate sets of safe rows are the same (ties inside may come in either order)
    np.testing.assert_array_equal(
        np.sort(chunked[0][safe], axis=1), np.sort(whole[0][safe], axis=1)
    )
    # and they are the 6 most similar references (brute force, own lone profile left out)
    sim = (x @ ref.T) / norm
    lone = (own >= 0) & (count[np.maximum(own, 0)] == 1)
    sim[np.flatnonzero(lone), own[lone]] = -np.inf
    top = np.sort(np.argsort(-sim, axis=1, kind="stable")[:, :6], axis=1)
    np.testing.assert_array_equal(np.sort(whole[0][safe], axis=1), top[safe])


@pytest.mark.parametrize("tree", [False, True])
def test_customers_who_buy_every_category_are_not_scored(
    monkeypatch: pytest.MonkeyPatch, tree: bool
) -> None:
    # every score of a customer who buys every category is 0: their queries are not sent
    # to the kernels, and the other customers' scores are those of the plain loop
    sent: list[int] = []
    kernel = nl._knn_kernel if not tree else nl._tree_kernel
    name = "_knn_kernel" if not tree else "_tree_kernel"

    def spy(queries: np.ndarray, *args: object, **kw: object) -> np.ndarray:
        sent.append(queries.shape[0])
        return kernel(queries, *args, **kw)  # type: ignore[operator]

    monkeypatch.setattr(nl, name, spy)
    monkeypatch.setattr(nl, "_TREE_CELLS", 0 if tree else 1 << 62)
    x = tied_profiles(np.random.default_rng(11), 300, 4, "binary")
    full = x.all(axis=1)
    assert full.any()
    assert not full.all()
    out = nl.knn_scores(x, x > 0, n_neighbors=4, max_reference=None, seed=0)
    # every customer is a reference one: one query per distinct profile
    assert sent == [np.unique(x[~full], axis=0).shape[0]]
    np.testing.assert_allclose(out, plain_knn(x, np.arange(300), 4), rtol=1e-12, atol=1e-15)
    assert (out[full] == 0.0).all()
    sent.clear()  # nobody left to score: no kernel at all
    np.testing.assert_array_equal(
        nl.knn_scores(x[full], x[full] > 0, n_neighbors=4, max_reference=None, seed=0), 0.0
    )
    assert sent == []


@pytest.mark.parametrize("blas", [True, False])
@pytest.mark.parametrize("seed", range(3))
def test_tree_kernel_in_small_chunks_is_the_brute_force(
    monkeypatch: pytest.MonkeyPatch, seed: int, blas: bool
) -> None:
    # the KD-tree path, its queries in grid order, a few at a time (searched, weighed and
    # gathered in pieces), gives the brute force's scores bit for bit: no query's scores
    # depend on the others it goes through with. With the BLAS product where this CPU's
    # kernels allow it, and with the sums category by category (blas=False) that other
    # CPUs' kernels need (OpenBLAS's AVX-512 ones round small products by their shape)
    if not blas:
        monkeypatch.setattr(nl, "_exact_products", lambda n_cat: False)
    rng = np.random.default_rng(seed)
    x = rng.gamma(1.0, 1.0, (700, 5)) * (rng.random((700, 5)) < 0.6)
    x[np.arange(700), rng.integers(0, 5, 700)] += 1.0
    x[:100] = tied_profiles(rng, 100, 5, "spend")  # and shared profiles, ties
    x /= x.sum(axis=1, keepdims=True)
    ref, inv, count = nl.reference_profiles(x[:250])
    own = np.full(700, -1)
    own[:250] = inv  # reference customers, some with a lone profile
    assert (count[inv] == 1).any()
    bought = ref > 0
    keep = ~(x > 0).all(axis=1)
    queries, self_col = np.ascontiguousarray(x[keep]), own[keep]
    brute = nl._knn_kernel(queries, self_col, ref, count, bought, 6)
    monkeypatch.setattr(nl, "_CHUNK_CELLS", 7 * 5 * 40)  # chunks of 40 queries
    monkeypatch.setattr(nl, "_GATHER_CELLS", 7 * 5 * 3)  # flags of 3 queries at a time
    monkeypatch.setattr(nl, "_BLOCK", 8)
    slow: list[int] = []
    knn = nl._knn_kernel

    def spy(q: np.ndarray, *args: object) -> np.ndarray:
        slow.append(q.shape[0])
        return knn(q, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(nl, "_knn_kernel", spy)
    tree = nl._tree_kernel(queries, self_col, ref, count, bought, 6)
    np.testing.assert_array_equal(tree.view(np.int64), brute.view(np.int64))
    assert sum(slow) < queries.shape[0] // 2  # most went through the KD-tree path


def test_distinct_rows_with_an_id_column(monkeypatch: pytest.MonkeyPatch) -> None:
    # rows of floats with an int64 column beside them: first-seen order, 0.0 equal to
    # -0.0, as a dict of tuples has it; and the same after a key collision
    rng = np.random.default_rng(8)
    a = rng.choice([0.0, -0.0, 0.5, 1.0], size=(400, 2))
    ids = rng.integers(-1, 3, 400)
    seen: dict[tuple[float, float, int], int] = {}
    first: list[int] = []
    inverse: list[int] = []
    for i, (row, k) in enumerate(zip(a.tolist(), ids.tolist(), strict=True)):
        key = (row[0], row[1], k)
        if key not in seen:
            seen[key] = len(seen)
            first.append(i)
        inverse.append(seen[key])
    monkeypatch.setattr(nl, "_CHUNK_ROWS_DISTINCT", 7)
    got_first, got_inverse = nl._distinct_rows(a, ids)
    assert got_first.tolist() == first
    assert got_inverse.tolist() == inverse
    monkeypatch.setattr(nl, "_MIX", np.uint64(0))  # every row on one key: found, redone
    got_first, got_inverse = nl._distinct_rows(a, ids)
    assert got_first.tolist() == first
    assert got_inverse.tolist() == inverse


def test_grid_order_puts_each_cell_together() -> None:
    # a permutation of the queries in which the queries of a grid cell are contiguous
    rng = np.random.default_rng(2)
    unit = rng.dirichlet(np.ones(3), 500)
    unit /= np.sqrt((unit * unit).sum(axis=1, keepdims=True))
    order = nl._grid_order(unit)
    assert sorted(order.tolist()) == list(range(500))
    cells = [tuple(c) for c in np.minimum((unit[order] * nl._GRID).astype(int), nl._GRID - 1)]
    runs = [c for i, c in enumerate(cells) if i == 0 or c != cells[i - 1]]
    assert len(runs) == len(set(cells))
