"""Tests of the BG/BB model: the published donations fit, lifetimes, brute force, bad input."""

from __future__ import annotations

import importlib.util
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kamseg.clv import _bgbb as bgbb
from kamseg.clv._base import collapse, maximize
from kamseg.errors import ColumnNotFoundError, ConfigError, EmptyInputError, SchemaError

needs_lifetimes = pytest.mark.skipif(
    importlib.util.find_spec("lifetimes") is None, reason="lifetimes not installed"
)

# Fader, Hardie & Shang (2010), donations data: estimates and log-likelihood.
PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
PUBLISHED_LL = -33225.6


@pytest.fixture(scope="module")
def donations() -> pd.DataFrame:
    """The 11,104 donors of the paper, as 22 (frequency, recency, periods, weights) rows."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or spec.origin is None:
        pytest.skip("lifetimes (which ships donations.csv) is not installed")
    return pd.read_csv(Path(spec.origin).parent / "datasets" / "donations.csv")


@pytest.fixture(scope="module")
def donations_fit(donations: pd.DataFrame):
    data = bgbb.prepare(donations, n_col="periods", weights_col="weights")
    return maximize(bgbb.SPEC, data)


@pytest.fixture
def reference(donations: pd.DataFrame):
    """lifetimes' BG/BB fitter holding the published parameters (no fit)."""
    from lifetimes import BetaGeoBetaBinomFitter

    fitter = BetaGeoBetaBinomFitter()
    fitter.params_ = pd.Series(PUBLISHED)
    fitter.data = pd.DataFrame(
        {
            "frequency": donations["frequency"],
            "recency": donations["recency"],
            "n_periods": donations["periods"],
            "weights": donations["weights"],
        }
    )
    return fitter


def _history_arrays(donations: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        donations["frequency"].to_numpy(),
        donations["recency"].to_numpy(),
        donations["periods"].to_numpy(),
    )


# --- the published fit ----------------------------------------------------------------------


def test_prepare_donations(donations: pd.DataFrame) -> None:
    data = bgbb.prepare(donations, n_col="periods", weights_col="weights")
    assert data.n_obs == 11104
    assert len(data.weights) == 22
    assert set(data.arrays) == {"x", "t_x", "n"}


def test_fit_reproduces_published_estimates(donations_fit) -> None:
    assert donations_fit.model == "bgbb"
    assert tuple(donations_fit.params) == ("alpha", "beta", "gamma", "delta")
    for name, value in PUBLISHED.items():
        # the paper reports 3 decimals; agree to 3 significant figures, and closely
        assert f"{donations_fit.params[name]:.3g}" == f"{value:.3g}", name
        assert donations_fit.params[name] == pytest.approx(value, rel=5e-4), name
    assert round(donations_fit.log_likelihood, 1) == PUBLISHED_LL
    assert donations_fit.n_obs == 11104
    assert all(math.isfinite(se) and se > 0 for se in donations_fit.std_errors.values())


@needs_lifetimes
def test_fit_agrees_with_lifetimes(donations: pd.DataFrame, donations_fit) -> None:
    from lifetimes import BetaGeoBetaBinomFitter

    ref = BetaGeoBetaBinomFitter().fit(
        donations["frequency"],
        donations["recency"],
        donations["periods"],
        weights=donations["weights"],
    )
    ref_ll = -ref._negative_log_likelihood_ * donations["weights"].sum()
    assert donations_fit.log_likelihood == pytest.approx(ref_ll, rel=1e-9, abs=1e-5)
    assert donations_fit.log_likelihood >= ref_ll - 1e-6
    for name in PUBLISHED:
        assert donations_fit.params[name] == pytest.approx(ref.params_[name], rel=1e-4)


def test_gradient_is_exact(donations: pd.DataFrame) -> None:
    data = bgbb.prepare(donations, n_col="periods", weights_col="weights")
    for params in ([1.2, 0.75, 0.66, 2.8], [0.3, 4.0, 2.5, 0.4], [5.0, 5.0, 1.0, 1.0]):
        p = np.array(params)
        analytic = bgbb.gradient(p, data)
        numeric = []
        for e in np.eye(4):
            h = 1e-6 * p @ e
            up = data.weights @ bgbb.loglik(p + h * e, data)
            down = data.weights @ bgbb.loglik(p - h * e, data)
            numeric.append((up - down) / (2 * h))
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-4)


# --- predictions equal lifetimes' -----------------------------------------------------------


@needs_lifetimes
@pytest.mark.parametrize("m", [1, 2, 5, 10])
def test_p_alive_equals_lifetimes(donations: pd.DataFrame, reference, m: int) -> None:
    x, t_x, n = _history_arrays(donations)
    expected = reference.conditional_probability_alive(m, x, t_x, n)
    got = bgbb.p_alive(PUBLISHED, x, t_x, n, m_star=m)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    if m == 1:
        np.testing.assert_allclose(bgbb.p_alive(PUBLISHED, x, t_x, n), expected, rtol=1e-6)


@needs_lifetimes
@pytest.mark.parametrize("m", [1, 3, 5, 10, 50])
def test_conditional_expected_purchases_equal_lifetimes(
    donations: pd.DataFrame, reference, m: int
) -> None:
    x, t_x, n = _history_arrays(donations)
    expected = reference.conditional_expected_number_of_purchases_up_to_time(m, x, t_x, n)
    got = bgbb.conditional_expected_purchases(PUBLISHED, m, x, t_x, n)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@needs_lifetimes
@pytest.mark.parametrize("n", [3, 6, 10])
def test_purchase_distribution_equals_lifetimes(reference, n: int) -> None:
    table = reference.expected_number_of_transactions_in_first_n_periods(n)
    x = table.index.to_numpy()
    got = bgbb.probability_of_purchases(PUBLISHED, x, n) * 11104
    np.testing.assert_allclose(got, table["model"].to_numpy(), rtol=1e-6)


@needs_lifetimes
def test_expected_purchases_equal_lifetimes_histogram(reference) -> None:
    # donations has every x in 0..6, so lifetimes' histogram for n=6 gives E[X(6)]
    table = reference.expected_number_of_transactions_in_first_n_periods(6)
    assert list(table.index) == list(range(7))
    mean = float((table.index.to_numpy() * table["model"].to_numpy()).sum() / 11104)
    assert float(bgbb.expected_purchases(PUBLISHED, 6)) == pytest.approx(mean, rel=1e-6)


# --- independent hand and brute-force calculations ------------------------------------------


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _beta_moment(a: float, b: float, k: int, j: int) -> float:
    """E[u^k (1-u)^j] for u ~ Beta(a, b), by adaptive quadrature with the Beta weight."""
    from scipy.integrate import quad

    weight = {"weight": "alg", "wvar": (a - 1, b - 1), "epsabs": 0.0, "epsrel": 1e-13}
    moment = quad(lambda u: u**k * (1 - u) ** j, 0.0, 1.0, **weight)[0]
    return float(moment / quad(lambda u: 1.0, 0.0, 1.0, **weight)[0])


def _brute_force_likelihood(params: tuple[float, ...], y: tuple[int, ...]) -> float:
    """P(purchase sequence y) by summing over the last opportunity the customer is alive.

    Alive through opportunity tau (0..n): probability θ(1-θ)^tau, or (1-θ)^n for tau = n;
    then a Bernoulli(p) purchase at each opportunity 1..tau, none after. Averaged over
    p ~ Beta(α, β) and θ ~ Beta(γ, δ) by numerical integration (no beta-function algebra).
    """
    alpha, beta, gamma, delta = params
    n = len(y)
    total = 0.0
    for tau in range(n + 1):
        if any(y[tau:]):
            continue  # a purchase after dying is impossible
        buys = sum(y[:tau])
        p_part = _beta_moment(alpha, beta, buys, tau - buys)
        theta_part = (
            _beta_moment(gamma, delta, 0, n) if tau == n else _beta_moment(gamma, delta, 1, tau)
        )
        total += p_part * theta_part
    return total


PARAMS_TINY = (1.5, 0.6, 0.7, 3.2)


@pytest.mark.parametrize(
    "y",
    [(0, 0, 0), (1, 0, 0), (1, 0, 1, 0), (0, 1, 1, 1), (1, 1, 0, 0, 0), (0, 0, 0, 0, 1)],
)
def test_likelihood_matches_brute_force(y: tuple[int, ...]) -> None:
    x = sum(y)
    t_x = max((i + 1 for i, v in enumerate(y) if v), default=0)
    data = collapse({"x": np.array([x]), "t_x": np.array([t_x]), "n": np.array([len(y)])})
    got = float(np.exp(bgbb.loglik(np.array(PARAMS_TINY), data))[0])
    assert got == pytest.approx(_brute_force_likelihood(PARAMS_TINY, y), rel=1e-10)


def test_likelihood_of_all_sequences_sums_to_one() -> None:
    n = 5
    seqs = list(itertools.product((0, 1), repeat=n))
    x = np.array([sum(s) for s in seqs])
    t_x = np.array([max((i + 1 for i, v in enumerate(s) if v), default=0) for s in seqs])
    data = collapse({"x": x, "t_x": t_x, "n": np.full(len(seqs), n)})
    for params in (PUBLISHED.values(), (0.2, 3.0, 4.0, 0.3)):
        p = np.array(list(params))
        total = float(data.weights @ np.exp(bgbb.loglik(p, data)))
        assert total == pytest.approx(1.0, rel=1e-12)


def test_likelihood_hand_case() -> None:
    # α=β=γ=δ=1, n=1, no purchase: alive & no buy (1/2 · 1/2) + dead after 0 (1/2)
    data = collapse({"x": np.array([0, 1]), "t_x": np.array([0, 1]), "n": np.array([1, 1])})
    np.testing.assert_allclose(np.exp(bgbb.loglik(np.ones(4), data)), [0.75, 0.25])


def _sum_alive_direct(gamma: float, delta: float, start: int, m: int) -> float:
    return sum(
        math.exp(_log_beta(gamma, delta + start + i) - _log_beta(gamma, delta))
        for i in range(1, m + 1)
    )


@pytest.mark.parametrize("gamma", [0.4, 1.0 - 1e-6, 1.0, 1.0 + 1e-9, 1.7, 12.0])
def test_expected_purchases_against_direct_sum(gamma: float) -> None:
    alpha, beta, delta = 1.2, 0.8, 2.5
    for n in (1, 4, 25):
        direct = alpha / (alpha + beta) * _sum_alive_direct(gamma, delta, 0, n)
        got = float(bgbb.expected_purchases((alpha, beta, gamma, delta), n))
        assert got == pytest.approx(direct, rel=1e-6)


@pytest.mark.parametrize("gamma", [0.5, 1.0, 1.0 + 1e-8, 3.0])
def test_conditional_expected_purchases_against_direct_sum(gamma: float) -> None:
    alpha, beta, delta = 1.2, 0.8, 2.5
    x, t_x, n, m = 2, 3, 6, 7
    params = (alpha, beta, gamma, delta)
    data = collapse({"x": np.array([x]), "t_x": np.array([t_x]), "n": np.array([n])})
    likelihood = math.exp(bgbb.loglik(np.array(params), data)[0])
    direct = (
        math.exp(_log_beta(alpha + x + 1, beta + n - x) - _log_beta(alpha, beta))
        * _sum_alive_direct(gamma, delta, n, m)
        / likelihood
    )
    got = float(bgbb.conditional_expected_purchases(params, m, x, t_x, n))
    assert got == pytest.approx(direct, rel=1e-6)


def test_p_alive_hand_case() -> None:
    # α=β=γ=δ=1, x=t_x=0, n=1: alive at 2 and no buy = E[(1-p)] E[(1-θ)^2] = 1/2 · 1/3
    assert float(bgbb.p_alive(np.ones(4), 0, 0, 1)) == pytest.approx((1 / 6) / 0.75)


def test_predictions_broadcast_and_order() -> None:
    got = bgbb.p_alive(PUBLISHED, [[1], [6]], [[1], [6]], 6, m_star=[1, 2, 3])
    assert got.shape == (2, 3)
    assert np.all(np.diff(got, axis=1) < 0)  # less likely alive further out
    assert np.all(got[1] > got[0])  # a recent, frequent donor is more likely alive
    more = bgbb.conditional_expected_purchases(PUBLISHED, [1, 5, 20], 3, 6, 6)
    assert np.all(np.diff(more) > 0)


def test_probability_of_purchases_sums_to_one_and_zero_beyond_n() -> None:
    p = bgbb.probability_of_purchases((0.3, 2.0, 0.9, 1.1), np.arange(12), 10)
    assert p[-1] == 0.0
    assert float(p.sum()) == pytest.approx(1.0, rel=1e-12)


def test_accepts_fit_result(donations_fit) -> None:
    by_fit = bgbb.p_alive(donations_fit, [2, 3], [2, 6], 6)
    by_values = bgbb.p_alive(list(donations_fit.params.values()), [2, 3], [2, 6], 6)
    np.testing.assert_array_equal(by_fit, by_values)


# --- bad input ------------------------------------------------------------------------------


def _frame(**overrides: list[float]) -> pd.DataFrame:
    base = {"frequency": [0, 1, 2], "recency": [0, 2, 3], "n_periods": [4, 4, 4]}
    base.update(overrides)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"frequency": [0, -1, 2]}, r"1 value\(s\) of 'frequency' are not non-negative int"),
        ({"recency": [0, 2.5, 3]}, r"'recency' are not non-negative integers.*2\.5"),
        ({"recency": [0, 2, 5]}, r"1 row\(s\) have 'recency' > 'n_periods'.*\(2, 5, 4\)"),
        ({"frequency": [0, 3, 2]}, r"1 row\(s\) have 'frequency' > 'recency'.*\(3, 2, 4\)"),
        ({"recency": [1, 2, 3]}, r"'frequency' == 0 but 'recency' != 0.*\(0, 1, 4\)"),
        ({"n_periods": [4, None, 4]}, r"1 value\(s\) of column 'n_periods' are missing"),
        ({"n_periods": [4, np.inf, 4]}, r"infinite"),
        ({"frequency": ["0", "one", "2"]}, r"not numbers.*'one'"),
    ],
)
def test_prepare_rejects_bad_values(overrides: dict[str, list[float]], match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        bgbb.prepare(_frame(**overrides))


def test_prepare_rejects_bad_weights() -> None:
    frame = _frame().assign(w=[1.0, -2.0, 1.0])
    with pytest.raises(SchemaError, match=r"1 weight\(s\) in column 'w' are missing or neg"):
        bgbb.prepare(frame, weights_col="w")
    with pytest.raises(SchemaError, match="sum to 0"):
        bgbb.prepare(frame.assign(w=0.0), weights_col="w")


def test_prepare_missing_column_and_empty() -> None:
    with pytest.raises(ColumnNotFoundError, match=r"'periods'.*Did you mean 'n_periods'"):
        bgbb.prepare(_frame(), n_col="periods")
    with pytest.raises(EmptyInputError):
        bgbb.prepare(_frame().iloc[:0])
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        bgbb.prepare({"frequency": [1]})  # type: ignore[arg-type]


def test_prepare_does_not_mutate_and_collapses() -> None:
    frame = _frame(frequency=[1, 1, 0], recency=[2, 2, 0])
    before = frame.copy()
    data = bgbb.prepare(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert data.weights.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    "params",
    [(1.0, 1.0, 1.0), (1.0, -1.0, 1.0, 1.0), (1.0, np.nan, 1.0, 1.0), {"alpha": 1.0}],
)
def test_predictions_reject_bad_params(params: object) -> None:
    with pytest.raises(ConfigError, match="params"):
        bgbb.p_alive(params, 1, 1, 2)  # type: ignore[arg-type]


def test_predictions_reject_bad_histories() -> None:
    with pytest.raises(SchemaError, match=r"`t_x` > `n`"):
        bgbb.p_alive(PUBLISHED, 1, 5, 4)
    with pytest.raises(SchemaError, match="not non-negative integers"):
        bgbb.conditional_expected_purchases(PUBLISHED, 2, 0.5, 1, 4)
    with pytest.raises(ConfigError, match="m_star"):
        bgbb.conditional_expected_purchases(PUBLISHED, -1, 1, 1, 4)
    with pytest.raises(ConfigError, match="broadcast"):
        bgbb.p_alive(PUBLISHED, [1, 2], [1, 2, 3], 4)
    with pytest.raises(SchemaError, match="non-negative"):
        bgbb.expected_purchases(PUBLISHED, -1)


def test_rejects_fit_of_another_model(donations_fit) -> None:
    from dataclasses import replace

    other = replace(donations_fit, model="bgnbd")
    with pytest.raises(ConfigError, match="not 'bgbb'"):
        bgbb.expected_purchases(other, 3)
