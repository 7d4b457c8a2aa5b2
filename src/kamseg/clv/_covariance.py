"""Covariances of maximum-likelihood estimates: the inverse of the information matrix, and
numeric second differences for models without an analytic gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["inverse_information", "numeric_covariances"]


def numeric_covariances(spec: Any, data: Any, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Covariances (natural, log scale) of a ``ModelSpec`` fitted to ``Prepared`` data, from
    second differences of the log-likelihood in log(params) (for
    models without an analytic gradient: differences of numeric gradients are too noisy).

    At a maximum the gradient vanishes, so the Hessian in log(params) is
    ``D H D`` with ``D = diag(params)``: the log-scale covariance is its negative inverse,
    the natural-scale one ``D cov_log D``.
    """
    k = params.size
    w = data.weights
    theta = np.log(params)
    h = 1e-4

    def ll(t: np.ndarray) -> float:
        return float(np.dot(w, spec.loglik(np.exp(t), data)))

    with np.errstate(all="ignore"):
        center = ll(theta)
        hess = np.empty((k, k))
        for i in range(k):
            for j in range(i, k):
                ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
                if i == j:
                    value = (ll(theta + ei) - 2 * center + ll(theta - ei)) / h**2
                else:
                    value = (
                        ll(theta + ei + ej)
                        - ll(theta + ei - ej)
                        - ll(theta - ei + ej)
                        + ll(theta - ei - ej)
                    ) / (4 * h**2)
                hess[i, j] = hess[j, i] = value
    log_cov = inverse_information(-hess)
    return log_cov * np.outer(params, params), log_cov


def inverse_information(info: np.ndarray) -> np.ndarray:
    """The covariance: the inverse of the information matrix, or NaN when that is not
    positive definite (no proper maximum) or the inverse is not finite."""
    k = info.shape[0]
    try:
        np.linalg.cholesky(info)
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.full((k, k), np.nan)
    return cov if np.all(np.isfinite(cov)) else np.full((k, k), np.nan)
