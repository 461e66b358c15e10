"""Tolerant comparisons shared by the in-notebook checks and the hidden tests.

Each returns (ok, message): the message says what was found and what was expected, so the
learner knows what to fix. Never pixel-exact: shapes, ranges, peaks and correlations.
"""
from __future__ import annotations

import numpy as np

from ..cam import peak_location


def as_array(value, name: str):
    """(array, None) or (None, message) for values that are not numeric arrays."""
    if value is None:
        return None, f"`{name}` is still None"
    if hasattr(value, "numpy") and callable(value.numpy):
        value = value.numpy()
    try:
        array = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        return None, f"`{name}` is a {type(value).__name__}, not an array of numbers"
    if not np.all(np.isfinite(array)):
        return None, f"`{name}` contains NaN or infinite values"
    return array, None


def same_shape(array, expected_shape, name: str, what: str):
    expected_shape = tuple(int(s) for s in expected_shape)
    if tuple(array.shape) == expected_shape:
        return True, ""
    return False, f"your {name} has shape {tuple(array.shape)}; {what} is {expected_shape}"


def in_unit_range(array, name: str, tol: float = 1e-3):
    lo, hi = float(array.min()), float(array.max())
    if lo >= -tol and hi <= 1 + tol:
        return True, ""
    return False, f"your {name} runs from {lo:.3g} to {hi:.3g}; it should lie in [0, 1] (ReLU, then divide by the maximum)"


def correlation(a, b) -> float:
    """Pearson correlation of two arrays of equal size; 1.0 when both are constant and equal."""
    a, b = np.ravel(a).astype("float64"), np.ravel(b).astype("float64")
    sa, sb = a.std(), b.std()
    if sa < 1e-12 or sb < 1e-12:
        return 1.0 if np.allclose(a, b, atol=1e-6) else 0.0
    return float(np.mean((a - a.mean()) * (b - b.mean())) / (sa * sb))


def correlated(array, reference, name: str, threshold: float):
    r = correlation(array, reference)
    if r >= threshold:
        return True, ""
    return False, f"your {name} correlates {r:.2f} with the reference (needs ≥ {threshold:.2f})"


def peak_near(array, reference, name: str, cells: int = 1):
    p, q = peak_location(array), peak_location(reference)
    if max(abs(i - j) for i, j in zip(p, q)) <= cells:
        return True, ""
    return False, f"your {name} peaks at {p}; the reference peaks at {q} (allowed: {cells} cell(s) away)"


def close(array, reference, name: str, rtol: float = 1e-3, atol: float = 1e-4):
    if array.shape == reference.shape and np.allclose(array, reference, rtol=rtol, atol=atol):
        return True, ""
    worst = float(np.max(np.abs(array - reference))) if array.shape == reference.shape else float("nan")
    return False, f"your {name} differs from the reference by up to {worst:.3g}"
