"""Tests for kamseg.accounts: multi-criteria scores, key-account selection and review.

Expected values come from published examples (cited at each test) or are worked out by hand
in the comments, never copied from the code's output.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import kamseg
from kamseg.accounts import (
    DECISIONS,
    SAATY_RANDOM_INDEX,
    ahp_weights,
    review_key_accounts,
    score_accounts,
    select_key_accounts,
)
from kamseg.errors import (
    ColumnNotFoundError,
    ConfigError,
    EmptyInputError,
    KamsegWarning,
    SchemaError,
)
from kamseg.labels import ACCOUNT_DECISION_LABELS

# --------------------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------------------


@pytest.fixture
def four() -> pd.DataFrame:
    """Four accounts, worked by hand below."""
    return pd.DataFrame(
        {
            "revenue": [900.0, 400.0, 150.0, 650.0],
            "profit": [90.0, 80.0, 15.0, 60.0],
            "cost_to_serve": [300.0, 50.0, 80.0, 120.0],
            "region": ["N", "S", "E", "W"],
        },
        index=pd.Index(["a", "b", "c", "d"], name="customer_id"),
    )


CRIT = {
    "revenue": 0.4,
    "profit": 0.4,
    "cost_to_serve": {"weight": 0.2, "direction": "min"},
}

# Hwang & Yoon (1981), Multiple Attribute Decision Making, the fighter-aircraft example
# (also in Yoon & Hwang 1995): 4 aircraft, 6 attributes, weights .2 .1 .1 .1 .2 .3;
# acquisition cost (column 4) is a cost attribute. Qualitative ratings on the 1-9 scale
# (low 3, average 5, high 7, very high 9).
AIRCRAFT = pd.DataFrame(
    {
        "max_speed": [2.0, 2.5, 1.8, 2.2],
        "ferry_range": [1500.0, 2700.0, 2000.0, 1800.0],
        "max_payload": [20000.0, 18000.0, 21000.0, 20000.0],
        "cost": [5.5, 6.5, 4.5, 5.0],
        "reliability": [5.0, 3.0, 7.0, 5.0],
        "maneuverability": [9.0, 5.0, 7.0, 5.0],
    },
    index=pd.Index(["A1", "A2", "A3", "A4"], name="aircraft"),
)
AIRCRAFT_CRITERIA = {
    "max_speed": 0.2,
    "ferry_range": 0.1,
    "max_payload": 0.1,
    "cost": {"weight": 0.1, "direction": "min"},
    "reliability": 0.2,
    "maneuverability": 0.3,
}

# The "choosing a leader" example of AHP (Wikipedia, "Analytic hierarchy process - leader
# example"): criteria experience, education, charisma, age; published priorities
# .547, .127, .270, .056 and consistency ratio 0.044.
LEADER = [
    [1, 4, 3, 7],
    [1 / 4, 1, 1 / 3, 3],
    [1 / 3, 3, 1, 5],
    [1 / 7, 1 / 3, 1 / 5, 1],
]


def frame(values: np.ndarray, prefix: str = "c") -> pd.DataFrame:
    cols = {f"{prefix}{j}": values[:, j] for j in range(values.shape[1])}
    return pd.DataFrame(cols, index=pd.RangeIndex(values.shape[0], name="customer_id"))


def topsis_reference(x: np.ndarray, w: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """Textbook TOPSIS, step by step (vector normalisation)."""
    r = x / np.sqrt((x**2).sum(axis=0))
    v = r * w
    best = np.where(benefit, v.max(axis=0), v.min(axis=0))
    worst = np.where(benefit, v.min(axis=0), v.max(axis=0))
    s_best = np.sqrt(((v - best) ** 2).sum(axis=1))
    s_worst = np.sqrt(((v - worst) ** 2).sum(axis=1))
    with np.errstate(invalid="ignore"):  # 0 / 0 when all alternatives are equal
        out: np.ndarray = s_worst / (s_best + s_worst)
    return out


# --------------------------------------------------------------------------------------
# AHP
# --------------------------------------------------------------------------------------


def test_saaty_random_index_table() -> None:
    # Saaty (1980), random index of reciprocal matrices of order 1..10.
    assert dict(SAATY_RANDOM_INDEX) == {
        1: 0.0,
        2: 0.0,
        3: 0.58,
        4: 0.90,
        5: 1.12,
        6: 1.24,
        7: 1.32,
        8: 1.41,
        9: 1.45,
        10: 1.49,
    }


def test_ahp_leader_example_published_weights_and_cr() -> None:
    res = ahp_weights(LEADER, criteria=["experience", "education", "charisma", "age"])
    published = {"experience": 0.547, "education": 0.127, "charisma": 0.270, "age": 0.056}
    for name, value in published.items():
        assert res.weights[name] == pytest.approx(value, abs=1e-3)
    assert res.consistency_ratio == pytest.approx(0.044, abs=5e-4)
    assert res.random_index == 0.90
    assert res.is_consistent
    assert res.weights.sum() == pytest.approx(1.0)
    assert res.weights.dtype == np.float64


def test_ahp_three_by_three_closed_form() -> None:
    # For a 3 x 3 reciprocal matrix the principal eigenvector is the vector of row
    # geometric means, and lambda_max = 1 + c**(1/3) + c**(-1/3) with c = a12 a23 / a13.
    # Classic matrix [[1, 3, 5], [1/3, 1, 3], [1/5, 1/3, 1]]: c = 9 / 5.
    m = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    g = [(1 * 3 * 5) ** (1 / 3), (1 / 3 * 1 * 3) ** (1 / 3), (1 / 5 * 1 / 3 * 1) ** (1 / 3)]
    expected = [v / sum(g) for v in g]  # 0.637, 0.258, 0.105
    c = 3 * 3 / 5
    lam = 1 + c ** (1 / 3) + c ** (-1 / 3)  # 3.0385
    ci = (lam - 3) / 2
    res = ahp_weights(m)
    assert res.weights.tolist() == pytest.approx(expected, abs=1e-12)
    assert res.weights.round(3).tolist() == [0.637, 0.258, 0.105]
    assert res.lambda_max == pytest.approx(lam, abs=1e-12)
    assert res.consistency_index == pytest.approx(ci, abs=1e-12)
    assert res.consistency_ratio == pytest.approx(ci / 0.58, abs=1e-12)
    assert round(res.consistency_ratio, 3) == 0.033
    assert list(res.weights.index) == [0, 1, 2]


@pytest.mark.parametrize("n", range(1, 11))
def test_ahp_consistent_matrix_gives_its_weights(n: int) -> None:
    # a_ij = w_i / w_j is perfectly consistent: the eigenvector is w, lambda_max = n, CR = 0.
    w = np.linspace(1.0, 3.0, n)  # ratios stay within Saaty's scale
    w /= w.sum()
    res = ahp_weights(np.outer(w, 1 / w))
    assert res.weights.to_numpy() == pytest.approx(w, abs=1e-12)
    assert res.lambda_max == pytest.approx(n, abs=1e-9)
    assert res.consistency_ratio == pytest.approx(0.0, abs=1e-9)


def test_ahp_two_by_two_is_always_consistent() -> None:
    res = ahp_weights([[1, 7], [1 / 7, 1]])
    assert res.weights.tolist() == pytest.approx([7 / 8, 1 / 8])
    assert res.consistency_ratio == 0.0


def test_ahp_dataframe_labels_and_rounded_reciprocals() -> None:
    labels = ["revenue", "profit", "fit"]
    m = pd.DataFrame([[1, 3, 5], [0.33, 1, 3], [0.2, 0.33, 1]], index=labels, columns=labels).loc[
        :, ["fit", "revenue", "profit"]
    ]  # columns are aligned with the rows by label
    res = ahp_weights(m)
    assert list(res.weights.index) == labels
    assert res.weights.round(2).tolist() == [0.64, 0.26, 0.10]
    assert "consistency_ratio" in repr(res)


@pytest.mark.parametrize(
    ("matrix", "match"),
    [
        ([[1, 2, 3], [0.5, 1, 2]], "square"),
        ([], "square"),
        ([[1, -3], [-1 / 3, 1]], "positive"),
        ([[1, 0], [0, 1]], "positive"),
        ([[2, 3], [1 / 3, 2]], "diagonal"),
        ([[1, 3], [3, 1]], "not reciprocal"),
        ([[1, 10], [0.1, 1]], "Saaty's scale"),
        ([["a", "b"], ["c", "d"]], "matrix of numbers"),
        (np.ones((11, 11)), "limited to 10"),
        ([[1, np.nan], [np.nan, 1]], "finite"),
    ],
)
def test_ahp_bad_matrices(matrix: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ahp_weights(matrix)


def test_ahp_dataframe_with_other_criteria_is_refused() -> None:
    m = pd.DataFrame([[1, 2], [0.5, 1]], index=["a", "b"], columns=["a", "c"])
    with pytest.raises(ConfigError, match="same criteria"):
        ahp_weights(m)
    with pytest.raises(ConfigError, match="criteria"):
        ahp_weights([[1, 2], [0.5, 1]], criteria=["a"])


# --------------------------------------------------------------------------------------
# score_accounts: hand-worked weighted sums
# --------------------------------------------------------------------------------------


def test_weighted_minmax_by_hand(four: pd.DataFrame) -> None:
    out = score_accounts(four, criteria=CRIT)
    # revenue (x - 150) / 750 -> 1, 1/3, 0, 2/3; profit (x - 15) / 75 -> 1, 13/15, 0, 3/5;
    # cost (300 - x) / 250 -> 0, 1, 0.88, 0.72.
    rev = np.array([1, 1 / 3, 0, 2 / 3]) * 0.4
    pro = np.array([1, 13 / 15, 0, 3 / 5]) * 0.4
    cost = np.array([0, 1, 0.88, 0.72]) * 0.2
    assert out["score_revenue"].to_numpy() == pytest.approx(rev)
    assert out["score_profit"].to_numpy() == pytest.approx(pro)
    assert out["score_cost_to_serve"].to_numpy() == pytest.approx(cost)
    assert out["account_score"].to_numpy() == pytest.approx(rev + pro + cost)  # .8 .68 .176 .6507
    assert out["account_rank"].tolist() == [1, 2, 4, 3]
    assert out["account_rank"].dtype == np.int64
    assert out["account_score"].dtype == np.float64
    # index, row order and the other columns are kept; the input is untouched
    assert out.index.equals(four.index)
    assert out["region"].tolist() == ["N", "S", "E", "W"]
    assert list(out.columns[-5:]) == [
        "account_score",
        "account_rank",
        "score_revenue",
        "score_profit",
        "score_cost_to_serve",
    ]
    assert "account_score" not in four.columns
    attrs = out.attrs["kamseg_account_scoring"]
    assert attrs["weights"] == {"revenue": 0.4, "profit": 0.4, "cost_to_serve": 0.2}
    assert attrs["directions"]["cost_to_serve"] == "min"
    assert attrs["consistency_ratio"] is None


def test_weighted_rank_normalisation_with_ties() -> None:
    df = pd.DataFrame({"x": [10.0, 20.0, 20.0, 5.0], "y": [1.0, 2.0, 3.0, 4.0]})
    out = score_accounts(
        df, criteria={"x": 0.5, "y": {"weight": 0.5, "direction": "min"}}, normalize="rank"
    )
    # x average ranks 2, 3.5, 3.5, 1 -> (r - 1) / 3 = 1/3, 5/6, 5/6, 0
    # y reversed (smaller is better): ranks 4, 3, 2, 1 -> 1, 2/3, 1/3, 0
    assert out["score_x"].to_numpy() == pytest.approx(np.array([1 / 3, 5 / 6, 5 / 6, 0]) / 2)
    assert out["score_y"].to_numpy() == pytest.approx(np.array([1, 2 / 3, 1 / 3, 0]) / 2)
    assert out["account_rank"].tolist() == [2, 1, 3, 4]  # 2/3, 3/4, 7/12, 0


def test_weighted_zscore_by_hand() -> None:
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "cost": [10.0, 10.0, 40.0]})
    out = score_accounts(
        df, criteria={"x": "max", "cost": "min"}, weights=[0.5, 0.5], normalize="zscore"
    )
    # x: mean 2, population sd sqrt(2/3) -> -1.2247, 0, 1.2247
    # cost: mean 20, sd sqrt(200) -> -0.7071, -0.7071, 1.4142; negated for "min"
    zx = np.array([-1, 0, 1]) / math.sqrt(2 / 3)
    zc = -np.array([-10, -10, 20]) / math.sqrt(200)
    assert out["account_score"].to_numpy() == pytest.approx(0.5 * zx + 0.5 * zc)
    assert out["account_rank"].tolist() == [3, 1, 2]  # -0.259, 0.354, -0.095


def test_all_equal_and_single_account_get_the_middle() -> None:
    df = pd.DataFrame({"x": [3.0, 3.0, 3.0], "y": [1.0, 2.0, 3.0]})
    out = score_accounts(df, criteria={"x": 0.5, "y": 0.5})
    assert out["score_x"].tolist() == [0.25, 0.25, 0.25]  # 0.5 * weight
    assert out["account_rank"].tolist() == [3, 2, 1]
    for normalize in ("minmax", "rank"):
        one = score_accounts(df.head(1), criteria={"x": 0.5, "y": 0.5}, normalize=normalize)
        assert one["account_score"].tolist() == [0.5]
        assert one["account_rank"].tolist() == [1]
    z = score_accounts(df.head(1), criteria=["x"], weights="equal", normalize="zscore")
    assert z["account_score"].tolist() == [0.0]
    t = score_accounts(df.head(1), criteria=["x", "y"], weights="equal", method="topsis")
    assert t["account_score"].tolist() == [0.5]


def test_ties_share_the_smallest_rank() -> None:
    df = pd.DataFrame({"x": [1.0, 5.0, 5.0, 3.0, 5.0]})
    out = score_accounts(df, criteria={"x": 1.0})
    assert out["account_rank"].tolist() == [5, 1, 1, 4, 1]


def test_int_and_non_string_column_names() -> None:
    df = pd.DataFrame({0: [1, 2, 3], 1: [3, 1, 2]})
    out = score_accounts(df, criteria={0: 0.5, 1: 0.5})
    assert {"score_0", "score_1"} <= set(out.columns)
    # column 0 -> 0, 1/2, 1; column 1 -> 1, 0, 1/2
    assert out["account_score"].to_numpy() == pytest.approx([0.5, 0.25, 0.75])


# --------------------------------------------------------------------------------------
# score_accounts: TOPSIS
# --------------------------------------------------------------------------------------


def test_topsis_fighter_aircraft_published_closeness() -> None:
    out = score_accounts(AIRCRAFT, criteria=AIRCRAFT_CRITERIA, method="topsis")
    # Hwang & Yoon (1981): C* = 0.643, 0.268, 0.613, 0.312; A1 > A3 > A4 > A2. The book
    # rounds intermediate steps, so compare to within 1e-3.
    assert out["account_score"].to_numpy() == pytest.approx([0.643, 0.268, 0.613, 0.312], abs=1e-3)
    assert out["account_rank"].tolist() == [1, 4, 2, 3]
    ref = topsis_reference(
        AIRCRAFT.to_numpy(),
        np.array([0.2, 0.1, 0.1, 0.1, 0.2, 0.3]),
        np.array([True, True, True, False, True, True]),
    )
    assert out["account_score"].to_numpy() == pytest.approx(ref, abs=1e-12)
    # contributions are the weighted normalised matrix: w_j x_ij / ||x_j||
    speed = AIRCRAFT["max_speed"].to_numpy()
    assert out["score_max_speed"].to_numpy() == pytest.approx(
        0.2 * speed / np.sqrt((speed**2).sum())
    )


def test_topsis_ideal_points_of_the_mcda_package_example() -> None:
    # R package MCDA, TOPSIS help page: cars Corsa, Clio, Fiesta; purchase price (min),
    # economy, aesthetics, boot capacity (max); weights .35 .25 .25 .15. It lists the
    # positive and negative ideal solutions of the weighted normalised matrix.
    cars = pd.DataFrame(
        {
            "price": [5490, 6500, 6489],
            "economy": [51.4, 70.6, 54.3],
            "aesthetics": [8.5, 7.0, 7.5],
            "boot": [285, 288, 290],
        },
        index=["Corsa", "Clio", "Fiesta"],
    )
    crit = {"price": {"weight": 0.35, "direction": "min"}, "economy": 0.25}
    crit |= {"aesthetics": 0.25, "boot": 0.15}
    out = score_accounts(cars, criteria=crit, method="topsis")
    v = out[["score_price", "score_economy", "score_aesthetics", "score_boot"]]
    pis = [0.179573776, 0.171636015, 0.159499658, 0.087302767]
    nis = [0.212610118, 0.124958799, 0.131352659, 0.085797547]
    ideal = [v["score_price"].min(), *v.drop(columns="score_price").max()]
    anti = [v["score_price"].max(), *v.drop(columns="score_price").min()]
    assert ideal == pytest.approx(pis, abs=1e-9)
    assert anti == pytest.approx(nis, abs=1e-9)


def test_topsis_extremes() -> None:
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [10.0, 20.0, 30.0], "c": [3.0, 2.0, 1.0]})
    crit = {"x": "max", "y": "max", "c": "min"}
    for normalize in ("vector", "minmax", "rank", "zscore"):
        out = score_accounts(
            df, criteria=crit, weights="equal", method="topsis", normalize=normalize
        )
        # the last account is best on every criterion, the first worst on every one
        assert out["account_score"].tolist() == pytest.approx([0.0, 0.5, 1.0])
    same = pd.DataFrame({"x": [2.0, 2.0]})
    out = score_accounts(same, criteria={"x": 1.0}, method="topsis")
    assert out["account_score"].tolist() == [0.5, 0.5]
    zeros = pd.DataFrame({"x": [0.0, 0.0], "y": [1.0, 2.0]})
    out = score_accounts(zeros, criteria=["x", "y"], weights="equal", method="topsis")
    assert out["score_x"].tolist() == [0.0, 0.0]
    assert out["account_rank"].tolist() == [2, 1]


# --------------------------------------------------------------------------------------
# score_accounts: weights
# --------------------------------------------------------------------------------------


def test_ahp_weights_in_score_accounts(four: pd.DataFrame) -> None:
    m = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    crit = {"revenue": "max", "profit": "max", "cost_to_serve": "min"}
    out = score_accounts(four, criteria=crit, ahp=m)
    w = ahp_weights(m).weights.to_numpy()
    direct = score_accounts(
        four,
        criteria={
            "revenue": w[0],
            "profit": w[1],
            "cost_to_serve": {"weight": w[2], "direction": "min"},
        },
    )
    assert out["account_score"].to_numpy() == pytest.approx(direct["account_score"].to_numpy())
    attrs = out.attrs["kamseg_account_scoring"]
    assert attrs["consistency_ratio"] == pytest.approx(ahp_weights(m).consistency_ratio)
    # a DataFrame matrix is aligned to the criteria by label
    labels = ["cost_to_serve", "revenue", "profit"]
    mdf = pd.DataFrame([[1, 1 / 5, 1 / 3], [5, 1, 3], [3, 1 / 3, 1]], index=labels, columns=labels)
    by_label = score_accounts(four, criteria=crit, ahp=mdf)
    assert by_label["account_score"].to_numpy() == pytest.approx(out["account_score"].to_numpy())


def test_inconsistent_ahp_is_refused_unless_max_cr_is_raised(four: pd.DataFrame) -> None:
    # a cycle: revenue >> profit >> cost >> revenue
    cyc = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    res = ahp_weights(cyc)
    assert res.consistency_ratio > 1 and not res.is_consistent
    crit = ["revenue", "profit", "cost_to_serve"]
    with pytest.raises(ConfigError, match=r"CR = \d+\.\d+ > max_cr = 0\.1.*max_cr="):
        score_accounts(four, criteria=crit, ahp=cyc)
    with pytest.raises(ConfigError, match=r"'revenue' vs 'profit': given 9, the weights imply 1"):
        score_accounts(four, criteria=crit, ahp=cyc)
    out = score_accounts(four, criteria=crit, ahp=cyc, max_cr=10.0)
    assert out["account_score"].notna().all()
    with pytest.raises(ConfigError, match="3 criteria"):
        score_accounts(four, criteria=crit, ahp=LEADER)
    other = pd.DataFrame(np.ones((3, 3)), index=list("xyz"), columns=list("xyz"))
    with pytest.raises(ConfigError, match="compares"):
        score_accounts(four, criteria=crit, ahp=other)


def test_entropy_weights_by_hand() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 0.0, 6.0], "c": [4.0, 4.0, 4.0]})
    out = score_accounts(df, criteria=["a", "b", "c"], weights="entropy")
    # shares of a: 1/6, 1/3, 1/2; of b: 0, 0, 1 (entropy 0); of c: 1/3 each (entropy 1)
    e_a = -sum(p * math.log(p) for p in (1 / 6, 1 / 3, 1 / 2)) / math.log(3)
    d = [1 - e_a, 1.0, 0.0]
    expected = [v / sum(d) for v in d]
    got = out.attrs["kamseg_account_scoring"]["weights"]
    assert [got["a"], got["b"], got["c"]] == pytest.approx(expected, abs=1e-12)
    assert out.attrs["kamseg_account_scoring"]["weights_from"] == "entropy"


def test_entropy_weights_refuse_negative_values_and_fall_back_when_flat() -> None:
    df = pd.DataFrame({"profit": [-5.0, 10.0, 20.0], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(SchemaError, match=r"non-negative.*'profit'"):
        score_accounts(df, criteria=["profit", "x"], weights="entropy")
    flat = pd.DataFrame({"x": [2.0, 2.0], "y": [0.0, 0.0]})
    with pytest.warns(KamsegWarning, match="equal weights"):
        out = score_accounts(flat, criteria=["x", "y"], weights="entropy")
    assert out.attrs["kamseg_account_scoring"]["weights"] == {"x": 0.5, "y": 0.5}


def test_weight_forms_agree(four: pd.DataFrame) -> None:
    base = score_accounts(four, criteria=CRIT)["account_score"].to_numpy()
    crit = {"revenue": "max", "profit": "max", "cost_to_serve": "min"}
    as_list = score_accounts(four, criteria=crit, weights=[0.4, 0.4, 0.2])
    as_map = score_accounts(
        four, criteria=crit, weights={"cost_to_serve": 0.2, "profit": 0.4, "revenue": 0.4}
    )
    scaled = score_accounts(four, criteria=crit, weights=[2, 2, 1], normalize_weights=True)
    for out in (as_list, as_map, scaled):
        assert out["account_score"].to_numpy() == pytest.approx(base)
    eq = score_accounts(four, criteria=["revenue", "profit"], weights="equal")
    assert eq.attrs["kamseg_account_scoring"]["weights"] == {"revenue": 0.5, "profit": 0.5}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"criteria": {"revenue": 0.7, "profit": 0.7}}, "sum to 1.4.*normalize_weights=True"),
        ({"criteria": {"revenue": 0.5, "profit": 0.4}}, "Did you mean to normalise"),
        ({"criteria": {"revenue": 1.5, "profit": -0.5}}, "non-negative.*direction='min'"),
        ({"criteria": {"revenue": 0.0, "profit": 0.0}}, "all zero"),
        ({"criteria": {"revenue": 0.5, "profit": True}}, "must be a weight"),
        ({"criteria": ["revenue", "profit"], "weights": [0.5, "0.5"]}, "must be numbers"),
        ({"criteria": {"revenue": float("nan"), "profit": 0.5}}, "finite"),
        ({"criteria": ["revenue", "profit"]}, "no weights given"),
        ({"criteria": {"revenue": 0.5, "profit": 0.5}, "weights": "equal"}, "given twice"),
        ({"criteria": ["revenue"], "weights": "equal", "ahp": [[1]]}, "given twice"),
        ({"criteria": ["revenue", "profit"], "weights": [1.0]}, "1 value"),
        ({"criteria": ["revenue", "profit"], "weights": {"revenue": 1.0}}, "one entry"),
        ({"criteria": ["revenue", "profit"], "weights": "equl"}, "Did you mean 'equal'"),
        ({"criteria": ["revenue", "profit"], "weights": 3}, "must be a list"),
        ({"criteria": {"revenue": 0.5, "profit": "mn"}}, "Did you mean 'min'"),
        ({"criteria": {"revenue": 1.0, "profit": {"wieght": 1}}}, "unknown key"),
        ({"criteria": {"revenue": 1.0, "profit": None}}, "but not for 'profit'"),
        ({"criteria": {"revenue": 1.0, "profit": [1]}}, "must be a weight"),
        ({"criteria": "revenue"}, r"Hint: for one column write \['revenue'\]"),
        ({"criteria": []}, "empty"),
        ({"criteria": ["revenue", "revenue"], "weights": "equal"}, "twice"),
        ({"criteria": {"revenue": 1.0}, "method": "TOPSIS"}, "Did you mean 'topsis'"),
        ({"criteria": {"revenue": 1.0}, "normalize": "min-max"}, "Did you mean 'minmax'"),
        ({"criteria": {"revenue": 1.0}, "normalize": "vector"}, "only used with"),
        ({"criteria": {"revenue": 1.0}, "missing": "drop"}, "missing"),
        ({"criteria": {"revenue": 1.0}, "max_cr": -1}, "max_cr"),
    ],
)
def test_bad_configuration(four: pd.DataFrame, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        score_accounts(four, **kwargs)  # type: ignore[arg-type]


def test_bad_data(four: pd.DataFrame) -> None:
    with pytest.raises(ColumnNotFoundError, match=r"'revenu'.*Did you mean 'revenue'"):
        score_accounts(four, criteria={"revenu": 1.0})
    with pytest.raises(SchemaError, match="not numbers"):
        score_accounts(four, criteria={"region": 1.0})
    inf = four.assign(revenue=[1.0, np.inf, 2.0, 3.0])
    with pytest.raises(SchemaError, match="infinite"):
        score_accounts(inf, criteria={"revenue": 1.0})
    with pytest.raises(EmptyInputError):
        score_accounts(four.iloc[:0], criteria={"revenue": 1.0})
    with pytest.raises(TypeError, match="DataFrame"):
        score_accounts(four.to_dict(), criteria={"revenue": 1.0})  # type: ignore[arg-type]


def test_nulls_raise_or_get_the_worst_value(four: pd.DataFrame) -> None:
    holes = four.assign(
        revenue=[900.0, np.nan, 150.0, 650.0], cost_to_serve=[300.0, 50.0, np.nan, 120.0]
    )
    crit = {"revenue": 0.5, "cost_to_serve": {"weight": 0.5, "direction": "min"}}
    with pytest.raises(SchemaError, match=r"1 value.*'revenue' are null.*'b'.*missing='worst'"):
        score_accounts(holes, criteria=crit)
    with pytest.warns(KamsegWarning, match="worst observed value") as rec:
        out = score_accounts(holes, criteria=crit, missing="worst")
    assert len(rec) == 2
    # b gets the lowest revenue (150), c the highest cost (300)
    assert out.loc["b", "score_revenue"] == 0.0
    assert out.loc["c", "score_cost_to_serve"] == 0.0
    all_null = four.assign(revenue=np.nan)
    with pytest.raises(SchemaError, match="null"):
        score_accounts(all_null, criteria={"revenue": 1.0}, missing="worst")


def test_refuses_to_overwrite(four: pd.DataFrame) -> None:
    once = score_accounts(four, criteria=CRIT)
    with pytest.raises(ConfigError, match="overwrite=True"):
        score_accounts(once, criteria=CRIT)
    twice = score_accounts(once, criteria=CRIT, overwrite=True)
    pd.testing.assert_frame_equal(twice, once)


def test_input_is_not_mutated(four: pd.DataFrame) -> None:
    before = four.copy(deep=True)
    score_accounts(four, criteria=CRIT, method="topsis")
    pd.testing.assert_frame_equal(four, before)


# --------------------------------------------------------------------------------------
# score_accounts: properties
# --------------------------------------------------------------------------------------

values = st.integers(min_value=-1000, max_value=1000).map(float)


@st.composite
def decision_matrix(draw: st.DrawFn, min_rows: int = 2, max_cols: int = 4) -> np.ndarray:
    m = draw(st.integers(min_value=min_rows, max_value=12))
    k = draw(st.integers(min_value=1, max_value=max_cols))
    data = draw(st.lists(values, min_size=m * k, max_size=m * k))
    return np.asarray(data, dtype=np.float64).reshape(m, k)


@st.composite
def weight_vector(draw: st.DrawFn, k: int) -> list[float]:
    w = draw(st.lists(st.integers(min_value=0, max_value=10), min_size=k, max_size=k))
    assume(sum(w) > 0)
    return [float(v) for v in w]


def same_ranking(a: np.ndarray, b: np.ndarray) -> None:
    """Scores equal up to rounding, so the order is the same except for near-ties."""
    assert np.allclose(a, b, rtol=0, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(decision_matrix(), st.data())
def test_minmax_ranking_is_invariant_to_scaling_a_criterion(
    x: np.ndarray, data: st.DataObject
) -> None:
    k = x.shape[1]
    w = data.draw(weight_vector(k))
    dirs = data.draw(st.lists(st.sampled_from(["max", "min"]), min_size=k, max_size=k))
    j = data.draw(st.integers(min_value=0, max_value=k - 1))
    scale = data.draw(st.floats(min_value=1e-3, max_value=1e3))
    shift = data.draw(st.floats(min_value=-1e4, max_value=1e4))
    crit = {f"c{i}": {"weight": w[i], "direction": dirs[i]} for i in range(k)}
    y = x.copy()
    y[:, j] = y[:, j] * scale + shift
    for method in ("weighted", "topsis"):
        kw = {"criteria": crit, "method": method, "normalize": "minmax", "normalize_weights": True}
        a = score_accounts(frame(x), **kw)  # type: ignore[arg-type]
        b = score_accounts(frame(y), **kw)  # type: ignore[arg-type]
        same_ranking(a["account_score"].to_numpy(), b["account_score"].to_numpy())


@settings(max_examples=40, deadline=None)
@given(decision_matrix(), st.data())
def test_vector_topsis_is_invariant_to_positive_scaling(
    x: np.ndarray, data: st.DataObject
) -> None:
    x = np.abs(x) + 1  # the textbook's positive data
    k = x.shape[1]
    w = data.draw(weight_vector(k))
    scale = data.draw(st.floats(min_value=1e-3, max_value=1e3))
    j = data.draw(st.integers(min_value=0, max_value=k - 1))
    y = x.copy()
    y[:, j] *= scale
    crit = [f"c{i}" for i in range(k)]
    kw = {"criteria": crit, "weights": w, "method": "topsis", "normalize_weights": True}
    a = score_accounts(frame(x), **kw)  # type: ignore[arg-type]
    b = score_accounts(frame(y), **kw)  # type: ignore[arg-type]
    same_ranking(a["account_score"].to_numpy(), b["account_score"].to_numpy())
    ref = topsis_reference(x, np.asarray(w) / sum(w), np.ones(k, dtype=bool))
    ref = np.where(np.isnan(ref), 0.5, ref)  # all accounts equal: 0 / 0
    assert a["account_score"].to_numpy() == pytest.approx(ref, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(decision_matrix(), st.data())
def test_rank_normalisation_is_invariant_to_increasing_transforms(
    x: np.ndarray, data: st.DataObject
) -> None:
    k = x.shape[1]
    w = data.draw(weight_vector(k))
    y = x**3 + 5 * x  # strictly increasing
    crit = [f"c{i}" for i in range(k)]
    kw = {"criteria": crit, "weights": w, "normalize": "rank", "normalize_weights": True}
    a = score_accounts(frame(x), **kw)  # type: ignore[arg-type]
    b = score_accounts(frame(y), **kw)  # type: ignore[arg-type]
    assert a["account_score"].tolist() == b["account_score"].tolist()


@settings(max_examples=60, deadline=None)
@given(decision_matrix(), st.data())
def test_permuting_criteria_and_rows_is_consistent(x: np.ndarray, data: st.DataObject) -> None:
    k = x.shape[1]
    w = data.draw(weight_vector(k))
    method = data.draw(st.sampled_from(["weighted", "topsis"]))
    normalize = data.draw(st.sampled_from(["minmax", "rank", "zscore"]))
    perm = data.draw(st.permutations(range(k)))
    crit = {f"c{i}": w[i] for i in range(k)}
    crit_perm = {f"c{i}": w[i] for i in perm}
    kw = {"method": method, "normalize": normalize, "normalize_weights": True}
    a = score_accounts(frame(x), criteria=crit, **kw)  # type: ignore[arg-type]
    b = score_accounts(frame(x), criteria=crit_perm, **kw)  # type: ignore[arg-type]
    same_ranking(a["account_score"].to_numpy(), b["account_score"].to_numpy())
    for i in range(k):
        assert a[f"score_c{i}"].to_numpy() == pytest.approx(b[f"score_c{i}"].to_numpy())
    rows = np.asarray(data.draw(st.permutations(range(x.shape[0]))))
    c = score_accounts(frame(x).iloc[rows], criteria=crit, **kw)  # type: ignore[arg-type]
    same_ranking(
        a["account_score"].to_numpy()[rows],
        c.loc[frame(x).index[rows], "account_score"].to_numpy(),
    )


@settings(max_examples=60, deadline=None)
@given(decision_matrix(), st.data())
def test_scores_are_bounded_and_contributions_add_up(x: np.ndarray, data: st.DataObject) -> None:
    k = x.shape[1]
    w = data.draw(weight_vector(k))
    dirs = data.draw(st.lists(st.sampled_from(["max", "min"]), min_size=k, max_size=k))
    normalize = data.draw(st.sampled_from(["minmax", "rank"]))
    crit = {f"c{i}": {"weight": w[i], "direction": dirs[i]} for i in range(k)}
    out = score_accounts(frame(x), criteria=crit, normalize=normalize, normalize_weights=True)
    s = out["account_score"].to_numpy()
    assert ((s >= -1e-12) & (s <= 1 + 1e-12)).all()
    parts = out[[f"score_c{i}" for i in range(k)]].sum(axis=1).to_numpy()
    assert parts == pytest.approx(s)
    t = score_accounts(frame(x), criteria=crit, method="topsis", normalize_weights=True)
    ts = t["account_score"].to_numpy()
    assert ((ts >= -1e-12) & (ts <= 1 + 1e-12)).all()
    # ranks: 1 for the best; a higher score never has a worse rank
    r = out["account_rank"].to_numpy()
    assert r.min() == 1
    order = np.argsort(-s, kind="stable")
    assert (np.diff(r[order]) >= 0).all()


@settings(max_examples=60, deadline=None)
@given(decision_matrix(), st.data())
def test_adding_a_dominated_account_keeps_the_weighted_order(
    x: np.ndarray, data: st.DataObject
) -> None:
    # A new account dominated by an existing one and within the observed ranges leaves
    # every min-max scale, hence every other account's score, unchanged.
    m, k = x.shape
    w = data.draw(weight_vector(k))
    dirs = data.draw(st.lists(st.sampled_from(["max", "min"]), min_size=k, max_size=k))
    r = data.draw(st.integers(min_value=0, max_value=m - 1))
    u = np.asarray(data.draw(st.lists(st.floats(0, 1), min_size=k, max_size=k)))
    worst = np.where(np.asarray(dirs) == "max", x.min(axis=0), x.max(axis=0))
    new = worst + u * (x[r] - worst)
    crit = {f"c{i}": {"weight": w[i], "direction": dirs[i]} for i in range(k)}
    a = score_accounts(frame(x), criteria=crit, normalize_weights=True)
    b = score_accounts(frame(np.vstack([x, new])), criteria=crit, normalize_weights=True)
    same_ranking(a["account_score"].to_numpy(), b["account_score"].to_numpy()[:m])
    assert b["account_score"].iloc[m] <= a["account_score"].iloc[r] + 1e-9


# --------------------------------------------------------------------------------------
# select_key_accounts
# --------------------------------------------------------------------------------------


def ranked(scores: list[float]) -> pd.DataFrame:
    s = pd.Series(scores, index=pd.Index([f"k{i}" for i in range(len(scores))], name="id"))
    return pd.DataFrame(
        {"account_score": s, "account_rank": s.rank(ascending=False, method="min").astype(int)}
    )


def keys(df: pd.DataFrame) -> list[str]:
    return df.index[df["is_key_account"]].tolist()


def test_select_takes_the_top_accounts() -> None:
    df = ranked([float(v) for v in range(30, 0, -1)])  # k0 best ... k29 worst
    out = select_key_accounts(df)
    assert keys(out) == [f"k{i}" for i in range(25)]
    assert out["is_key_account"].dtype == bool
    assert out.index.equals(df.index)
    small = select_key_accounts(df.head(3))
    assert keys(small) == ["k0", "k1", "k2"]  # fewer than min_accounts: all of them


def test_select_min_score_and_its_override() -> None:
    df = ranked([0.9, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2])
    assert keys(select_key_accounts(df, min_accounts=2, min_score=0.55)) == ["k0", "k1", "k2"]
    with pytest.warns(KamsegWarning, match=r"min_score=0\.85.*'k1', 'k2'"):
        out = select_key_accounts(df, min_accounts=3, min_score=0.85)
    assert keys(out) == ["k0", "k1", "k2"]


def test_select_tie_group_is_kept_or_dropped_whole() -> None:
    # ranks 1, 2, 3, 3, 3, 6
    df = ranked([0.9, 0.8, 0.5, 0.5, 0.5, 0.1])
    assert keys(select_key_accounts(df, min_accounts=1, max_accounts=4)) == ["k0", "k1"]
    assert keys(select_key_accounts(df, min_accounts=1, max_accounts=5)) == [
        "k0",
        "k1",
        "k2",
        "k3",
        "k4",
    ]
    # dropping the tie leaves fewer than min_accounts: split it in row order, with a warning
    with pytest.warns(KamsegWarning, match=r"3 accounts tie at rank 3.*'k4'"):
        out = select_key_accounts(df, min_accounts=4, max_accounts=4)
    assert keys(out) == ["k0", "k1", "k2", "k3"]


def test_select_all_equal_scores() -> None:
    df = ranked([1.0] * 30)
    with pytest.warns(KamsegWarning, match="30 accounts tie"):
        out = select_key_accounts(df)
    assert keys(out) == ["k0", "k1", "k2", "k3", "k4"]
    assert keys(select_key_accounts(df.head(10), max_accounts=10)) == df.index[:10].tolist()


def test_select_bad_input() -> None:
    df = ranked([0.9, 0.5])
    with pytest.raises(ConfigError, match="larger than `max_accounts`"):
        select_key_accounts(df, min_accounts=10, max_accounts=5)
    with pytest.raises(ConfigError, match="max_accounts"):
        select_key_accounts(df, max_accounts=0)
    with pytest.raises(ConfigError, match="min_score"):
        select_key_accounts(df, min_score="high")  # type: ignore[arg-type]
    with pytest.raises(ColumnNotFoundError, match="account_rank"):
        select_key_accounts(df.drop(columns="account_rank"))
    with pytest.raises(ColumnNotFoundError, match="account_score"):
        select_key_accounts(df.drop(columns="account_score"), min_score=0.5)
    with pytest.raises(SchemaError, match="null"):
        select_key_accounts(df.assign(account_rank=[1, np.nan]))
    once = select_key_accounts(df)
    with pytest.raises(ConfigError, match="overwrite=True"):
        select_key_accounts(once)
    assert keys(select_key_accounts(once, overwrite=True)) == ["k0", "k1"]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=40),
    st.integers(min_value=0, max_value=10),
    st.integers(min_value=1, max_value=15),
    st.none() | st.integers(min_value=0, max_value=6),
)
def test_select_properties(raw: list[int], lo: int, span: int, min_score: int | None) -> None:
    df = ranked([float(v) for v in raw])
    hi = lo + span
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        out = select_key_accounts(df, min_accounts=lo, max_accounts=hi, min_score=min_score)
    chosen = out["is_key_account"].to_numpy()
    assert min(lo, len(df)) <= chosen.sum() <= hi
    rank = df["account_rank"].to_numpy()
    if chosen.any():  # every account ranked strictly better than a chosen one is chosen
        assert chosen[rank < rank[chosen].max()].all()
    if min_score is not None:  # accounts below min_score only to reach min_accounts
        above = chosen & (df["account_score"].to_numpy() >= min_score)
        if (chosen & ~above).any():
            assert above.sum() < min(lo, len(df))


# --------------------------------------------------------------------------------------
# review_key_accounts
# --------------------------------------------------------------------------------------


def review_frames(
    was: list[bool], below: list[int], ranks: list[int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = pd.Index([f"k{i}" for i in range(len(was))], name="customer_id")
    prev = pd.DataFrame({"is_key_account": was, "periods_below": below}, index=ids)
    scored = pd.DataFrame({"account_rank": ranks}, index=ids[: len(ranks)])
    return prev, scored


def test_review_rules_by_hand() -> None:
    prev, scored = review_frames(
        was=[True, True, True, True, False, False],
        below=[0, 0, 1, 3, 0, 0],
        ranks=[25, 31, 40, 2, 20, 21],
    )
    out = review_key_accounts(scored, previous=prev)  # enter 20, exit 30, patience 2
    assert out["decision"].tolist() == ["kept", "watch", "removed", "kept", "added", "not key"]
    assert out["reason"].tolist() == [
        "rank 25 <= exit rank 30",
        "rank 31 > exit rank 30 for 1 of 2 periods",
        "rank 40 > exit rank 30 for 2 periods",
        "rank 2 <= exit rank 30",
        "rank 20 <= entry rank 20",
        "rank 21 > entry rank 20",
    ]
    assert out["is_key_account"].tolist() == [True, True, False, True, True, False]
    assert out["was_key_account"].tolist() == [True, True, True, True, False, False]
    assert out["periods_below"].tolist() == [0, 1, 2, 0, 0, 0]
    assert out["periods_below"].dtype == np.int64
    assert out["is_key_account"].dtype == bool
    assert out.index.name == "customer_id"
    cat = out["decision"].dtype
    assert isinstance(cat, pd.CategoricalDtype) and cat.ordered
    assert list(cat.categories) == list(DECISIONS)


def test_review_patience_one_removes_at_once_and_counts() -> None:
    prev, scored = review_frames([True, True], [0, 0], [31, 3])
    out = review_key_accounts(scored, previous=prev, enter_rank=1, exit_rank=30, patience=1)
    assert out["decision"].tolist() == ["removed", "kept"]
    assert out["reason"].iloc[0] == "rank 31 > exit rank 30 for 1 period"
    out3 = review_key_accounts(scored, previous=prev, enter_rank=1, exit_rank=30, patience=3)
    assert out3["reason"].iloc[0] == "rank 31 > exit rank 30 for 1 of 3 periods"


def test_review_lost_and_new_accounts() -> None:
    prev, _ = review_frames([True, False, True], [0, 0, 1], [])
    scored = pd.DataFrame({"account_rank": [1, 50]}, index=pd.Index(["k2", "new"]))
    out = review_key_accounts(scored, previous=prev)
    assert out.index.tolist() == ["k2", "new", "k0", "k1"]
    assert out["decision"].tolist() == ["kept", "not key", "removed", "not key"]
    assert out["reason"].tolist()[2:] == ["no longer in the data"] * 2
    assert out["is_key_account"].tolist() == [True, False, False, False]
    assert out["periods_below"].tolist() == [0, 0, 0, 0]
    assert out.index.name == "customer_id"  # from `previous` when `scored` has none


def test_review_with_score_thresholds() -> None:
    ids = pd.Index(list("abcd"))
    prev = pd.DataFrame({"is_key_account": [True, True, False, False]}, index=ids)
    scored = pd.DataFrame(
        {"account_rank": [1, 2, 3, 4], "account_score": [0.9, 0.55, 0.75, 0.65]}, index=ids
    )
    out = review_key_accounts(
        scored, previous=prev, enter_rank=None, exit_rank=None, enter_score=0.7, exit_score=0.6
    )
    assert out["decision"].tolist() == ["kept", "watch", "added", "not key"]
    assert out["reason"].tolist() == [
        "score 0.9 >= exit score 0.6",
        "score 0.55 < exit score 0.6 for 1 of 2 periods",
        "score 0.75 >= entry score 0.7",
        "score 0.65 < entry score 0.7",
    ]
    both = review_key_accounts(scored, previous=prev, enter_rank=3, exit_rank=3, enter_score=0.8)
    assert both["reason"].iloc[2] == "score 0.75 < entry score 0.8"
    assert both["reason"].iloc[0] == "rank 1 <= exit rank 3"


def test_review_capacity_priority() -> None:
    # 4 incumbents (k0, k1 kept; k2, k3 on watch) and 2 newcomers clearing entry; room for 4.
    prev, scored = review_frames(
        was=[True, True, True, True, False, False],
        below=[0, 0, 0, 0, 0, 0],
        ranks=[3, 6, 7, 8, 1, 2],
    )
    out = review_key_accounts(scored, previous=prev, enter_rank=2, exit_rank=6, max_accounts=4)
    # places: kept (k0, k1), then watch (k2, k3); the newcomers wait
    assert out["is_key_account"].tolist() == [True, True, True, True, False, False]
    assert out["decision"].tolist() == ["kept", "kept", "watch", "watch", "not key", "not key"]
    assert out["reason"].iloc[4] == (
        "rank 1 <= entry rank 2, but the list is full (max_accounts=4)"
    )
    # incumbents alone overflow a smaller list: the worst-placed one is removed, with a warning
    with pytest.warns(KamsegWarning, match=r"1 of them were key accounts.*'k3'"):
        tight = review_key_accounts(
            scored, previous=prev, enter_rank=2, exit_rank=6, max_accounts=3
        )
    assert tight["is_key_account"].tolist() == [True, True, True, False, False, False]
    assert tight["decision"].tolist()[3] == "removed"
    assert tight["reason"].iloc[3] == (
        "rank 8 > exit rank 6 for 1 of 2 periods, but the list is full (max_accounts=3)"
    )
    # a newcomer gets a place once an incumbent leaves by the rules
    later = review_key_accounts(
        scored.assign(account_rank=[3, 6, 7, 8, 1, 2]),
        previous=out,
        enter_rank=2,
        exit_rank=6,
        max_accounts=4,
    )
    assert later["decision"].tolist() == ["kept", "kept", "removed", "removed", "added", "added"]


def test_review_output_feeds_the_next_period() -> None:
    ids = [f"k{i}" for i in range(6)]
    first = select_key_accounts(
        ranked([6.0, 5, 4, 3, 2, 1]).set_axis(ids), min_accounts=2, max_accounts=2
    )
    history = [[3, 1, 2, 4, 5, 6], [4, 2, 1, 3, 5, 6], [5, 2, 1, 3, 4, 6]]
    prev = first
    decisions = []
    for ranks in history:
        scored = pd.DataFrame({"account_rank": ranks}, index=pd.Index(ids))
        prev = review_key_accounts(
            scored, previous=prev, enter_rank=2, exit_rank=2, max_accounts=3
        )
        decisions.append(prev["decision"].tolist()[:3])
    # k0 drops below the exit rank: watch in the first period, removed in the second
    assert decisions == [
        ["watch", "kept", "added"],
        ["removed", "kept", "kept"],
        ["not key", "kept", "kept"],
    ]


def test_review_labels_zh() -> None:
    prev, scored = review_frames([True, False], [0, 0], [1, 50])
    out = review_key_accounts(scored, previous=prev, labels="zh")
    zh = [ACCOUNT_DECISION_LABELS[d]["zh"] for d in DECISIONS]
    assert list(out["decision"].cat.categories) == zh
    assert out["decision"].tolist() == ["保留", "非重点"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"enter_rank": None}, "no entry threshold"),
        ({"exit_rank": None}, "no exit threshold"),
        ({"enter_rank": 30, "exit_rank": 20}, "at least as loose"),
        ({"enter_rank": None, "enter_score": 0.5}, "at least as loose"),
        ({"enter_score": 0.5, "exit_score": 0.6}, "at most the entry score"),
        ({"exit_score": 0.6}, "at most the entry score"),
        ({"patience": 0}, "patience"),
        ({"max_accounts": 10}, "admits more accounts"),
        ({"enter_rank": 2.5}, "integer"),
        ({"enter_score": float("inf"), "exit_score": 0.1}, "finite"),
        ({"labels": "fr"}, "labels"),
    ],
)
def test_review_bad_configuration(kwargs: dict[str, object], match: str) -> None:
    prev, scored = review_frames([True], [0], [1])
    with pytest.raises(ConfigError, match=match):
        review_key_accounts(scored, previous=prev, **kwargs)  # type: ignore[arg-type]


def test_review_bad_data() -> None:
    prev, scored = review_frames([True, False], [0, 0], [1, 2])
    with pytest.raises(ColumnNotFoundError, match="is_key_account"):
        review_key_accounts(scored, previous=prev.drop(columns="is_key_account"))
    with pytest.raises(SchemaError, match="True/False"):
        review_key_accounts(scored, previous=prev.assign(is_key_account=["yes", "no"]))
    with pytest.raises(SchemaError, match="True/False"):
        review_key_accounts(scored, previous=prev.assign(is_key_account=[True, None]))
    with pytest.raises(SchemaError, match="counts"):
        review_key_accounts(scored, previous=prev.assign(periods_below=[-1, 0]))
    with pytest.raises(SchemaError, match="duplicate"):
        review_key_accounts(pd.concat([scored, scored]), previous=prev)
    with pytest.raises(ColumnNotFoundError, match="account_score"):
        review_key_accounts(scored, previous=prev, enter_score=0.5, exit_score=0.4)
    with pytest.raises(EmptyInputError):
        review_key_accounts(scored.iloc[:0], previous=prev)
    # 0/1 flags and a missing counter are accepted; an empty previous list too
    ok = review_key_accounts(
        scored, previous=prev.assign(is_key_account=[1, 0]).drop(columns="periods_below")
    )
    assert ok["decision"].tolist() == ["kept", "added"]
    first = review_key_accounts(scored, previous=prev.iloc[:0])
    assert first["decision"].tolist() == ["added", "added"]


@st.composite
def review_case(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, int, int, int]:
    n = draw(st.integers(min_value=1, max_value=30))
    patience = draw(st.integers(min_value=1, max_value=4))
    enter = draw(st.integers(min_value=1, max_value=n))
    exit_ = draw(st.integers(min_value=enter, max_value=n + 5))
    was = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    below = draw(
        st.lists(st.integers(min_value=0, max_value=patience - 1), min_size=n, max_size=n)
    )
    ranks = draw(st.lists(st.integers(min_value=1, max_value=n), min_size=n, max_size=n))
    prev, scored = review_frames(
        was, [b if w else 0 for b, w in zip(below, was, strict=True)], ranks
    )
    return prev, scored, enter, exit_, patience


@settings(max_examples=100, deadline=None)
@given(review_case())
def test_review_properties(case: tuple[pd.DataFrame, pd.DataFrame, int, int, int]) -> None:
    prev, scored, enter, exit_, patience = case
    out = review_key_accounts(
        scored,
        previous=prev,
        enter_rank=enter,
        exit_rank=exit_,
        patience=patience,
        max_accounts=None,
    )
    rank = scored["account_rank"].to_numpy()
    was = prev["is_key_account"].to_numpy()
    below = prev["periods_below"].to_numpy()
    is_key = out["is_key_account"].to_numpy()
    decision = np.asarray(out["decision"].tolist())
    # an account clearing the entry threshold is always key afterwards
    assert is_key[rank <= enter].all()
    # a key account clearing the exit threshold is kept
    assert (decision[was & (rank <= exit_)] == "kept").all()
    # no removal in the period an account first drops below the exit threshold
    first_drop = was & (rank > exit_) & (below == 0)
    if patience > 1:
        assert (decision[first_drop] == "watch").all()
    else:
        assert (decision[first_drop] == "removed").all()
    # status and decision agree; non-key accounts below entry stay out
    assert (is_key == np.isin(decision, ["added", "kept", "watch"])).all()
    assert (decision[~was & (rank > enter)] == "not key").all()
    assert (out["periods_below"].to_numpy()[~was] == 0).all()


@settings(max_examples=60, deadline=None)
@given(review_case(), st.integers(min_value=1, max_value=30))
def test_review_never_exceeds_max_accounts(
    case: tuple[pd.DataFrame, pd.DataFrame, int, int, int], cap: int
) -> None:
    prev, scored, enter, exit_, patience = case
    assume(enter <= cap)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KamsegWarning)
        out = review_key_accounts(
            scored,
            previous=prev,
            enter_rank=enter,
            exit_rank=exit_,
            patience=patience,
            max_accounts=cap,
        )
    assert out["is_key_account"].sum() <= cap


# --------------------------------------------------------------------------------------
# demo data
# --------------------------------------------------------------------------------------


def test_demo_data_end_to_end(demo_data: kamseg.datasets.Dataset) -> None:
    customers = kamseg.summarize(
        demo_data.transactions, as_of=demo_data.as_of, profit_col="profit"
    )
    table = customers.join(
        demo_data.master[["market_influence", "strategic_fit", "cost_to_serve"]]
    )
    crit = {
        "revenue": 0.3,
        "profit": 0.3,
        "market_influence": 0.15,
        "strategic_fit": 0.1,
        "cost_to_serve": {"weight": 0.15, "direction": "min"},
    }
    scored = score_accounts(table, criteria=crit)
    assert scored.index.equals(table.index)
    assert scored["account_rank"].min() == 1
    chosen = select_key_accounts(scored)
    assert 5 <= chosen["is_key_account"].sum() <= 25
    top = scored["account_rank"].idxmin()
    assert chosen.loc[top, "is_key_account"]
    review = review_key_accounts(scored, previous=chosen)
    assert set(review["decision"].astype(str)) <= set(DECISIONS)
