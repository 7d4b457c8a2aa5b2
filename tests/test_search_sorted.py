"""kamseg._validation.search_sorted: numpy's positions, found by sorting many keys first."""

from __future__ import annotations

import numpy as np
import pytest

from kamseg._validation import search_sorted


@pytest.mark.parametrize("n_keys", [10, 40_000, 100_000])
@pytest.mark.parametrize("kind", ["float", "int", "mixed"])
def test_the_positions_of_numpy(n_keys: int, kind: str) -> None:
    rng = np.random.default_rng(n_keys)
    a = np.sort(rng.integers(0, 5_000, 50_000)).astype(np.float64 if kind != "int" else np.int64)
    keys = rng.integers(-10, 5_010, n_keys)
    v = keys.astype(np.float64) if kind != "int" else keys
    if kind == "float":
        v[::97] = np.nan  # NaN sorts last, as numpy searches it
        v[::89] = np.inf
    if kind == "mixed":
        v = v + 0.5 * (keys % 2)  # floats between the integers of an integer array
        a = a.astype(np.int64)
    left, right = search_sorted(a, v, "left", "right")
    np.testing.assert_array_equal(left, np.searchsorted(a, v, side="left"))
    np.testing.assert_array_equal(right, np.searchsorted(a, v, side="right"))
    (default,) = search_sorted(a, v)
    np.testing.assert_array_equal(default, left)


def test_text_keys_are_searched_as_numpy_does() -> None:
    a = np.array(sorted(f"c{i:06d}" for i in range(50_000)), dtype=object)
    v = np.array([f"c{i:06d}" for i in range(49_999, -1, -1)] + ["zz", "a"], dtype=object)
    np.testing.assert_array_equal(search_sorted(a, v)[0], np.searchsorted(a, v))
