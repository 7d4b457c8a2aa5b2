"""Tests of the sBG retention model: the published fits, hand formulas, DERL, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kamseg.clv import _sbg as sbg
from kamseg.clv._base import maximize
from kamseg.errors import ConfigError, EmptyInputError, SchemaError

# Fader & Hardie (2007), Table 1: customers still active at the start of years 0..12.
# The model is fitted to years 0-7; years 8-12 are the holdout the paper projects.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]
PUBLISHED = {"regular": (0.704, 1.182), "high_end": (0.668, 3.806)}
COHORTS = {"regular": REGULAR, "high_end": HIGH_END}


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _survival_by_hand(gamma: float, delta: float, t: int) -> float:
    """S(t) as the product of the retention rates (δ+i-1)/(γ+δ+i-1), i = 1..t."""
    s = 1.0
    for i in range(1, t + 1):
        s *= (delta + i - 1) / (gamma + delta + i - 1)
    return s


@pytest.fixture(scope="module", params=sorted(COHORTS))
def cohort(request: pytest.FixtureRequest):
    name = request.param
    fit = maximize(sbg.SPEC, sbg.prepare(COHORTS[name][:8]))
    return name, fit


# --- the published fits ---------------------------------------------------------------------


def test_fit_reproduces_published_estimates(cohort) -> None:
    name, fit = cohort
    gamma, delta = PUBLISHED[name]
    assert fit.model == "sbg"
    assert tuple(fit.params) == ("gamma", "delta")
    assert fit.params["gamma"] == pytest.approx(gamma, abs=5e-4)
    assert fit.params["delta"] == pytest.approx(delta, abs=5e-4)
    assert fit.n_obs == 1000
    assert all(math.isfinite(se) and se > 0 for se in fit.std_errors.values())


def test_published_fit_uses_the_eight_counts_of_years_0_to_7() -> None:
    # "years 1-7" of the paper are the 7 churn periods between the 8 counts of years 0-7;
    # reading them as 7 counts (years 0-6) gives other estimates (gamma 0.718, delta 1.208)
    fit = maximize(sbg.SPEC, sbg.prepare(REGULAR[:7]))
    assert fit.params["gamma"] != pytest.approx(0.704, abs=5e-3)
    assert len(sbg.prepare(REGULAR[:8]).weights) == 8  # 7 churn rows + the survivors


def test_log_likelihood_by_hand(cohort) -> None:
    name, fit = cohort
    gamma, delta = fit.params["gamma"], fit.params["delta"]
    s = COHORTS[name][:8]
    ll = 0.0
    for t in range(1, 8):
        p_t = math.exp(_log_beta(gamma + 1, delta + t - 1) - _log_beta(gamma, delta))
        ll += (s[t - 1] - s[t]) * math.log(p_t)
    ll += s[7] * math.log(_survival_by_hand(gamma, delta, 7))
    assert fit.log_likelihood == pytest.approx(ll, rel=1e-12)


def test_projection_by_hand_and_close_to_holdout(cohort) -> None:
    name, _ = cohort
    gamma, delta = PUBLISHED[name]
    years = np.arange(8, 13)
    projected = 1000 * sbg.survival((gamma, delta), years)
    by_hand = [
        1000 * math.exp(_log_beta(gamma, delta + t) - _log_beta(gamma, delta)) for t in years
    ]
    np.testing.assert_allclose(projected, by_hand, rtol=1e-12)
    np.testing.assert_allclose(
        projected, [1000 * _survival_by_hand(gamma, delta, int(t)) for t in years], rtol=1e-12
    )
    # the paper's point: 7 years of data project years 8-12 within a few percent
    observed = np.array(COHORTS[name][8:13])
    assert np.all(np.abs(projected / observed - 1) < 0.05)


def test_gradient_is_exact() -> None:
    data = sbg.prepare(REGULAR)
    for p in (np.array([0.7, 1.2]), np.array([3.0, 0.2]), np.array([1.0, 1.0])):
        numeric = []
        for e in np.eye(2):
            h = 1e-6 * float(p @ e)
            up = data.weights @ sbg.loglik(p + h * e, data)
            down = data.weights @ sbg.loglik(p - h * e, data)
            numeric.append((up - down) / (2 * h))
        np.testing.assert_allclose(sbg.gradient(p, data), numeric, rtol=1e-6)


# --- model functions ------------------------------------------------------------------------


def test_survival_retention_churn_are_consistent() -> None:
    params = PUBLISHED["regular"]
    t = np.arange(1, 30)
    s = sbg.survival(params, np.arange(0, 30))
    assert s[0] == 1.0
    np.testing.assert_allclose(sbg.retention_rate(params, t), s[1:] / s[:-1], rtol=1e-12)
    np.testing.assert_allclose(sbg.churn_probability(params, t), s[:-1] - s[1:], rtol=1e-10)


@pytest.mark.parametrize("params", [PUBLISHED["regular"], PUBLISHED["high_end"], (5.0, 0.5)])
def test_retention_rate_increases_with_tenure(params: tuple[float, float]) -> None:
    r = sbg.retention_rate(params, np.arange(1, 50))
    assert np.all(np.diff(r) > 0)
    assert np.all((r > 0) & (r < 1))


def test_retention_rate_by_hand() -> None:
    gamma, delta = PUBLISHED["regular"]
    assert float(sbg.retention_rate((gamma, delta), 1)) == pytest.approx(delta / (gamma + delta))
    assert float(sbg.retention_rate((gamma, delta), 5)) == pytest.approx(
        (delta + 4) / (gamma + delta + 4)
    )


def test_expected_lifetime() -> None:
    gamma, delta = 2.5, 4.0
    direct, s = 0.0, 1.0
    for t in range(1, 200_000):  # Σ_{t>=0} S(t), S built up from the retention rates
        direct += s
        s *= (delta + t - 1) / (gamma + delta + t - 1)
    assert sbg.expected_lifetime((gamma, delta)) == pytest.approx(direct, rel=1e-4)
    assert sbg.expected_lifetime((gamma, delta)) == pytest.approx((gamma + delta - 1) / 1.5)
    assert sbg.expected_lifetime(PUBLISHED["regular"]) == math.inf


def _derl_by_hand(gamma: float, delta: float, d: float, n: int, terms: int = 5000) -> float:
    """DERL = Σ_{t>=0} S(n+1+t)/S(n) / (1+d)^t (Fader & Hardie 2010), truncated."""

    def log_s(t: int) -> float:
        return _log_beta(gamma, delta + t) - _log_beta(gamma, delta)

    return sum(math.exp(log_s(n + 1 + t) - log_s(n)) * (1 + d) ** -t for t in range(terms))


@pytest.mark.parametrize("params", [PUBLISHED["regular"], PUBLISHED["high_end"], (3.0, 0.7)])
@pytest.mark.parametrize("d", [0.05, 0.1, 0.25])
def test_derl_against_truncated_sum(params: tuple[float, float], d: float) -> None:
    ns = [0, 1, 4, 20]
    got = sbg.derl(params, d, ns)
    expected = [_derl_by_hand(*params, d, n) for n in ns]
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_derl_grows_with_renewals_and_falls_with_discounting() -> None:
    params = PUBLISHED["high_end"]
    by_n = sbg.derl(params, 0.1, np.arange(10))
    assert np.all(np.diff(by_n) > 0)
    by_d = sbg.derl(params, [0.05, 0.1, 0.2], 3)
    assert np.all(np.diff(by_d) < 0)
    assert sbg.derl(params, [[0.1], [0.2]], [0, 1]).shape == (2, 2)


def test_derl_undiscounted() -> None:
    # γ > 1: expected further periods (δ+n)/(γ-1); γ <= 1: infinite
    assert float(sbg.derl((3.0, 2.0), 0.0, 4)) == pytest.approx((2.0 + 4) / 2.0)
    assert float(sbg.derl(PUBLISHED["regular"], 0.0)) == math.inf


def test_accepts_fit_result_and_mapping(cohort) -> None:
    _, fit = cohort
    np.testing.assert_array_equal(
        sbg.survival(fit, [1, 2]), sbg.survival(dict(fit.params), [1, 2])
    )


# --- prepare and bad input ------------------------------------------------------------------


def test_prepare_rows_and_weights() -> None:
    data = sbg.prepare(pd.Series([100, 60, 60, 50], index=list("abcd")), weights=2)
    assert data["t"].tolist() == [1, 2, 3, 3]
    assert data["churned"].tolist() == [1, 1, 1, 0]
    assert data.weights.tolist() == [80, 0, 20, 100]
    assert data.n_obs == 200


def test_prepare_does_not_mutate() -> None:
    counts = np.array([10, 7, 3])
    sbg.prepare(counts)
    assert counts.tolist() == [10, 7, 3]


def test_weights_change_the_likelihood_not_the_estimates() -> None:
    one = maximize(sbg.SPEC, sbg.prepare(REGULAR[:8]))
    ten = maximize(sbg.SPEC, sbg.prepare(REGULAR[:8], weights=10))
    assert ten.params["gamma"] == pytest.approx(one.params["gamma"], rel=1e-6)
    assert ten.log_likelihood == pytest.approx(10 * one.log_likelihood, rel=1e-9)


@pytest.mark.parametrize(
    ("survivors", "error", "match"),
    [
        ([], EmptyInputError, "empty"),
        ([1000], ConfigError, "at least two values"),
        ([[1000, 600], [1000, 500]], ConfigError, "one-dimensional"),
        ([1000, 600, 650, 400], SchemaError, r"must not increase.*600 -> 650 \(period 2\)"),
        ([1000, -5], SchemaError, r"1 value\(s\).*not non-negative integer counts.*-5"),
        ([1000, 600.5], SchemaError, r"not non-negative integer counts.*600\.5"),
        ([1000, np.nan], SchemaError, "not non-negative integer counts"),
        (["1000", "lots"], SchemaError, "'lots'"),
        ([0, 0], SchemaError, "cohort size"),
        ([True, False], SchemaError, "booleans"),
    ],
)
def test_prepare_rejects_bad_survivors(survivors: list, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        sbg.prepare(survivors)


@pytest.mark.parametrize("weights", [0, -1.0, math.nan, "2", True])
def test_prepare_rejects_bad_weights(weights: object) -> None:
    with pytest.raises(ConfigError, match="`weights` must be a positive number"):
        sbg.prepare([10, 5], weights=weights)  # type: ignore[arg-type]


def test_functions_reject_bad_arguments() -> None:
    params = PUBLISHED["regular"]
    with pytest.raises(ConfigError, match="`t` must be finite and >= 1"):
        sbg.retention_rate(params, 0)
    with pytest.raises(ConfigError, match="`t` must be finite and >= 0"):
        sbg.survival(params, [-1, 2])
    with pytest.raises(ConfigError, match="`t` must be finite and >= 1"):
        sbg.churn_probability(params, np.inf)
    with pytest.raises(ConfigError, match="`discount_rate`"):
        sbg.derl(params, -0.1)
    with pytest.raises(ConfigError, match="`n_renewals`"):
        sbg.derl(params, 0.1, -1)
    with pytest.raises(ConfigError, match="2 values"):
        sbg.survival((1.0, 2.0, 3.0), 1)
    with pytest.raises(ConfigError, match="positive and finite"):
        sbg.expected_lifetime((0.0, 1.0))
    with pytest.raises(ConfigError, match="lacks 'delta'"):
        sbg.survival({"gamma": 1.0}, 1)
