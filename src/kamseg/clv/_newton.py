"""Newton iterations with a finite-difference Hessian of the gradient, and a central
finite-difference gradient: the fallbacks of :func:`kamseg.clv._base.maximize`."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["newton_polish", "numeric_gradient"]


def numeric_gradient(f: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray:
    """Central differences of `f` at `theta` (steps 1e-5, relative beyond 1)."""
    grad = np.empty_like(theta)
    for i in range(theta.size):
        h = 1e-5 * max(1.0, abs(theta[i]))
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


def newton_polish(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
    theta: np.ndarray,
    *,
    max_steps: int = 6,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Newton iterations on `objective` (value, gradient) from `theta`, with step halving."""
    value, grad = objective(theta)
    steps = 0
    for steps in range(1, max_steps + 1):  # noqa: B007 - the count is returned
        if float(np.max(np.abs(grad))) < 1e-8:
            break
        k = theta.size
        hess = np.empty((k, k))
        for i in range(k):
            h = 1e-6 * max(1.0, abs(theta[i]))
            up, down = theta.copy(), theta.copy()
            up[i] += h
            down[i] -= h
            hess[:, i] = (objective(up)[1] - objective(down)[1]) / (2 * h)
        hess = (hess + hess.T) / 2
        try:
            step = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or float(np.dot(step, grad)) >= 0:
            break  # Hessian not positive definite here: Newton would not descend
        for _ in range(30):
            new_value, new_grad = objective(theta + step)
            if new_value <= value + 1e-4 * float(np.dot(step, grad)):
                break
            step = step / 2
        else:
            break
        theta, value, grad = theta + step, new_value, new_grad
    return theta, grad, steps
