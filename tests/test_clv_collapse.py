"""kamseg.clv._collapse and the fit machinery around it (issue 14, item 4).

References are independent of the code under test: a pandas groupby of the rows for the
collapse, ``np.unique`` for factorising, the paper's P(alive) formula written with powers,
and Newton iterations run to a much smaller gradient for the optimiser's early stop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import digamma, gammaln

import kamseg
from kamseg.clv import _bgnbd, _limits, _pareto_integral
from kamseg.clv._base import Prepared, _make_objective, _newton_polish, collapse, maximize
from kamseg.clv._collapse import SKIP_SHARE, _key_codes, factorize, unique_levels, unique_rows

# values with ties, whole numbers, tiny and large floats (no NaN: the fit data never hold
# any)
_ROW_VALUES = st.sampled_from([0.0, 1.0, 2.0, 7.0, 0.5, 2.25, 1e-9, 364.75, 1e6 + 0.5, -3.5])


def _groupby_reference(table: np.ndarray, weights: np.ndarray) -> pd.DataFrame:
    """Distinct rows and summed weights by a plain pandas groupby, sorted by the rows."""
    frame = pd.DataFrame(table, columns=["x", "t_x", "T"]).assign(w=weights)
    return frame.groupby(["x", "t_x", "T"], sort=True)["w"].sum().reset_index()


def _sorted_rows(data: Prepared) -> pd.DataFrame:
    frame = pd.DataFrame({k: data[k] for k in ("x", "t_x", "T")}).assign(w=data.weights)
    return frame.sort_values(["x", "t_x", "T"], kind="stable").reset_index(drop=True)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(st.tuples(_ROW_VALUES, _ROW_VALUES, _ROW_VALUES), min_size=1, max_size=60),
    integral=st.booleans(),
)
def test_collapse_equals_pandas_groupby(rows: list[tuple[float, ...]], integral: bool) -> None:
    table = np.array(rows, dtype=np.float64).reshape(-1, 3)
    if integral:
        table = np.floor(np.abs(table))
    columns = {"x": table[:, 0], "t_x": table[:, 1], "T": table[:, 2]}
    weights = np.arange(1.0, len(table) + 1)
    data = collapse(columns, weights)
    ref = _groupby_reference(table, weights)
    got = _sorted_rows(data)
    if len(got) == len(ref):  # collapsed (or every row distinct)
        pd.testing.assert_frame_equal(got, ref, check_names=False)
    else:  # skipped: one column nearly all distinct; the rows are the input rows
        assert len(data.weights) == len(table)
        np.testing.assert_array_equal(data.weights, weights)
        assert max(len(np.unique(c)) for c in columns.values()) > SKIP_SHARE * len(table)
    # every input row maps to its own values, and the levels rebuild the rows
    _, inverse = unique_rows(columns)
    for name in columns:
        np.testing.assert_array_equal(unique_rows(columns)[0][name][inverse], columns[name])
        values, codes = data.extra["levels"][name]
        np.testing.assert_array_equal(values[codes], data[name])
        np.testing.assert_array_equal(values, np.unique(columns[name]))


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 12),
            st.integers(0, 40),
            st.sampled_from([0.0, 1.0, 3.0, 2.5, -1.0, 7.0]),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_unique_rows_of_small_whole_numbers_equal_pandas_groupby(
    rows: list[tuple[int, int, float]],
) -> None:
    table = np.array(rows, dtype=np.float64).reshape(-1, 3)
    columns = {"x": table[:, 0], "T": table[:, 1], "z": table[:, 2]}
    got, inverse = unique_rows(columns)
    # the reference: distinct rows sorted by their values, from a plain pandas groupby
    frame = pd.DataFrame(columns)
    ref = frame.groupby(["x", "T", "z"], sort=True).size().reset_index()
    if len(got["x"]) != len(ref) or not np.array_equal(got["x"], ref["x"].to_numpy()):
        # only a sorted result is promised for the shortcut (whole numbers >= 0)
        assert (table[:, 2] < 0).any() or (table[:, 2] % 1 != 0).any()
        got = {k: v[np.lexsort([got["z"], got["T"], got["x"]])] for k, v in got.items()}
    for name in columns:
        np.testing.assert_array_equal(got[name], ref[name].to_numpy())
        np.testing.assert_array_equal(unique_rows(columns)[0][name][inverse], columns[name])


def test_unique_rows_shortcut_matches_the_general_path() -> None:
    from kamseg.clv._collapse import _small_whole_rows

    rng = np.random.default_rng(5)
    columns = {"x": rng.integers(0, 50, 5000).astype(float), "T": rng.integers(0, 90, 5000)}
    fast = _small_whole_rows(columns)
    assert fast is not None
    rows, inverse, _ = unique_levels(columns)
    for name in columns:
        np.testing.assert_array_equal(fast[0][name], rows[name])
    np.testing.assert_array_equal(fast[1], inverse)
    # not whole, negative, NaN, or a key too wide: the general path
    for bad in (np.full(5000, 0.5), np.full(5000, -1.0), np.full(5000, np.nan)):
        assert _small_whole_rows({"x": bad, "T": columns["T"]}) is None
    assert _small_whole_rows({"x": columns["x"], "T": np.full(5000, 10.0**6)}) is None


def test_collapse_merges_repeated_rows_of_a_daily_table() -> None:
    rng = np.random.default_rng(3)
    n = 50_000
    x = rng.integers(0, 8, n).astype(np.float64)
    T = rng.integers(1, 400, n).astype(np.float64)
    t_x = np.floor(T * rng.uniform(0, 1, n)) * (x > 0)
    table = np.column_stack([x, t_x, T])
    data = collapse({"x": x, "t_x": t_x, "T": T})
    ref = _groupby_reference(table, np.ones(n))
    assert len(data.weights) == len(ref) < n
    pd.testing.assert_frame_equal(_sorted_rows(data), ref, check_names=False)


@pytest.mark.parametrize("high", [2**20, 2**45, 2**62])
def test_key_codes_hashing_and_sorting_paths_match_np_unique(high: int) -> None:
    # 2**45 and 2**62 are too wide to carry a row position: hashed (pandas.factorize)
    rng = np.random.default_rng(high % 1009)
    keys = rng.integers(0, high, 20_000, dtype=np.int64)
    keys[:5000] = keys[5000:10_000]  # ties
    n_distinct, codes = _key_codes(keys)
    ref_uniq, ref_inverse = np.unique(keys, return_inverse=True)
    assert n_distinct == len(ref_uniq)
    # the same partition of the elements, whatever the numbering
    first = np.empty(n_distinct, dtype=np.int64)
    first[codes] = keys
    np.testing.assert_array_equal(first[codes], keys)
    assert len(np.unique(np.column_stack([codes, ref_inverse.reshape(-1)]), axis=0)) == len(
        ref_uniq
    )


def test_unique_rows_wide_keys_renumber_prefixes() -> None:
    # four columns of 100k distinct values each: the packed key would pass 2**62
    rng = np.random.default_rng(5)
    cols = {k: rng.permutation(100_000).astype(np.float64) + 0.5 for k in "abcd"}
    for k in "abcd":
        cols[k][:10] = cols[k][10:20]
    rows, inverse = unique_rows(cols)
    table = np.column_stack(list(cols.values()))
    ref_rows = np.unique(table, axis=0)
    got = np.column_stack(list(rows.values()))
    assert len(got) == len(ref_rows) == 100_000 - 10
    np.testing.assert_array_equal(got[np.lexsort(got.T[::-1])], ref_rows)
    np.testing.assert_array_equal(got[inverse], table)


@pytest.mark.parametrize("high", [3, 10**6, 2**40, 2**61])
def test_factorize_integer_keys_match_np_unique(high: int) -> None:
    values = np.random.default_rng(high % 97).integers(0, high, 5000)
    uniq, inverse = factorize(values)
    ref_uniq, ref_inverse = np.unique(values, return_inverse=True)
    np.testing.assert_array_equal(uniq, ref_uniq)
    np.testing.assert_array_equal(inverse, ref_inverse)


def _bgnbd_table(n: int, seed: int, *, daily: bool) -> dict[str, np.ndarray]:
    """Histories drawn from the BG/NBD process (days; continuous or whole days)."""
    T = np.random.default_rng(seed).uniform(30.0, 700.0, n)
    d = kamseg.datasets.draw_bgnbd(T, r=0.75, alpha=27.0, a=1.2, b=20.0, seed=seed)
    x, t_x = d["frequency"].to_numpy(copy=True), d["recency"].to_numpy(copy=True)
    if daily:
        T, t_x = np.ceil(T), np.floor(t_x)
    return {"x": x, "t_x": t_x, "T": T}


def test_skipping_the_collapse_gives_the_same_fit() -> None:
    columns = _bgnbd_table(6000, seed=8, daily=False)
    for k in columns:  # 2 % repeated rows
        columns[k][:120] = columns[k][120:240]
    skipped = collapse(columns)
    assert len(skipped.weights) == 6000  # T is 98 % distinct: rows kept as they are
    rows, inverse, levels = unique_levels(columns)
    merged = Prepared(rows, np.bincount(inverse).astype(np.float64), {"levels": levels})
    assert len(merged.weights) < 6000 - 100
    a = maximize(_bgnbd.BGNBD, skipped)
    b = maximize(_bgnbd.BGNBD, merged)
    np.testing.assert_allclose(a.values(), b.values(), rtol=1e-7)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-12)


def test_early_stop_ends_at_the_optimum() -> None:
    # large enough for the warm start (>= 100k customers) and the stop inside BFGS's line
    # search; reference: Newton iterations from the result down to a gradient of 1e-13
    columns = _bgnbd_table(150_000, seed=21, daily=True)
    scale = columns["T"].max()
    data = collapse({"x": columns["x"], "t_x": columns["t_x"] / scale, "T": columns["T"] / scale})
    fit = maximize(_bgnbd.BGNBD, data)
    objective, _ = _make_objective(_bgnbd.BGNBD, data, 0.0)
    theta = np.log(fit.values())
    assert float(np.max(np.abs(objective(theta)[1]))) <= 1e-8
    ref, grad, _ = _newton_polish(objective, theta + 1e-6)  # start off the result
    assert float(np.max(np.abs(grad))) < 1e-11
    np.testing.assert_allclose(fit.values(), np.exp(ref), rtol=1e-7)


def test_p_alive_matches_the_paper_formula() -> None:
    rng = np.random.default_rng(4)
    n = 2000
    T = rng.uniform(1.0, 300.0, n)
    x = rng.integers(0, 40, n).astype(np.float64)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    r, alpha, a, b = 0.6, 25.0, 1.3, 21.0
    got = _bgnbd.p_alive(np.array([r, alpha, a, b]), x, t_x, T)
    # Fader, Hardie & Lee (2005) eq. (A.13), with powers instead of logarithms
    odds = a / (b + x - 1.0) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    ref = np.where(x > 0, 1.0 / (1.0 + odds), 1.0)
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_pareto_integral_in_two_halves_equals_one_piece() -> None:
    rng = np.random.default_rng(6)
    n = 5 * (1 << 15)  # above in_halves' threshold
    T = rng.uniform(0.05, 1.0, n)
    x = rng.integers(0, 30, n).astype(np.float64)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    args = (0.9, 0.03, 0.8, 0.4)
    log_i, mom = _pareto_integral._log_integral(*args, x, t_x, T, moments=True)
    ref_i, ref_mom = _pareto_integral._log_integral_rows(*args, x, t_x, T, moments=True)
    np.testing.assert_array_equal(log_i, ref_i)
    assert mom is not None and ref_mom is not None
    np.testing.assert_array_equal(mom, ref_mom)


# --- terms computed once per distinct value ---------------------------------------------------


@pytest.mark.parametrize(
    ("purchase", "dropout", "params"),
    [
        ("gamma", "mixed", [0.63, 24.8, 1.27, 22.7]),
        ("gamma", "none", [0.7, 30.0]),
        ("point", "none", [0.05]),
        ("gamma", "point", [0.7, 30.0, 0.05]),
        ("gamma", "split", [0.7, 30.0, 0.3]),
    ],
)
@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_limit_terms_per_distinct_x_equal_row_by_row(
    model: str, purchase: str, dropout: str, params: list[float]
) -> None:
    # above 4096 rows Γ and B are looked up per distinct x; in slices of 1000 rows they
    # are computed row by row: the same numbers, bit for bit
    columns = _bgnbd_table(6000, seed=2, daily=True)
    x, t_x, T = columns["x"], columns["t_x"], columns["T"]
    face = _limits.Face(model, purchase, dropout)
    values = np.array(params)
    whole = _limits.loglik(face, values, x, t_x, T)
    alive = _limits.p_alive(face, values, x, t_x, T)
    rows = [slice(i, i + 1000) for i in range(0, 6000, 1000)]
    np.testing.assert_array_equal(
        whole, np.concatenate([_limits.loglik(face, values, x[s], t_x[s], T[s]) for s in rows])
    )
    np.testing.assert_array_equal(
        alive, np.concatenate([_limits.p_alive(face, values, x[s], t_x[s], T[s]) for s in rows])
    )


@pytest.mark.parametrize("daily", [True, False])
def test_nbd_value_and_gradient_match_the_row_formulas(daily: bool) -> None:
    columns = _bgnbd_table(5000, seed=9, daily=daily)
    data = collapse(columns)
    r, alpha = 0.7, 30.0
    ll, grad = _limits._nbd_value_and_grad(np.array([r, alpha]), data)
    x, T, w = data["x"], data["T"], data.weights
    # the NBD likelihood per customer (Fader, Hardie & Lee 2005, eq. 2 without dropout)
    ll_rows = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + T)
    g_r = digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + T)
    g_alpha = r / alpha - (r + x) / (alpha + T)
    assert ll == pytest.approx(float(np.sum(w * ll_rows)), rel=1e-13)
    np.testing.assert_allclose(grad, [np.sum(w * g_r), np.sum(w * g_alpha)], rtol=1e-11)
