"""pytest plugin: nbval compares a printed decimal number at the precision it was printed with.

nbval compares outputs character by character. A float printed as 0.463 on the machine that
saved the notebook can print 0.464 on another CPU (oneDNN's AVX2, AVX-512 and AMX kernels, or
TensorFlow's own, round differently in the last bits), and nothing the chapter says has changed.
So, after nbval's sanitizers (`tests/nbval_sanitize.cfg`, which masks the ``≈`` numbers of
`course_utils.measured`), two output texts count as equal when

* everything but their decimal numbers is identical (words, integers, class indices, shapes,
  verdict lines, layout), and
* each decimal number is written the same way (digits after the point, exponent) and differs
  from the saved one by at most one unit of its last digit (0.463 vs 0.464; 1.000 vs 0.999).

A real regression moves a number further than that, or changes a word, an integer or a verdict,
and still fails. Loaded for every pytest run by `-p nbval_precision` in pyproject.toml.
"""
from __future__ import annotations

import re

from nbval import plugin as nbval_plugin

# A decimal number: digits, a point, digits, an optional exponent (integers are compared exactly).
DECIMAL = re.compile(r"(?<![\w.])([-+]?\d+\.(\d+))(?:e([-+]?\d+))?(?![\w])")
NOT_TEXT = ("image/png", "image/jpeg", "image/svg+xml")


def within_printed_precision(saved: str, fresh: str) -> bool:
    """True when `fresh` reads as `saved` up to one unit in the last digit of each decimal."""
    if saved == fresh:
        return True
    saved_parts, fresh_parts = DECIMAL.split(saved), DECIMAL.split(fresh)
    if len(saved_parts) != len(fresh_parts):
        return False
    # re.split with 3 groups: [text, number, decimals, exponent, text, number, ...]
    for i in range(0, len(saved_parts), 4):
        if saved_parts[i] != fresh_parts[i]:
            return False
        if i + 3 >= len(saved_parts):
            break
        (a, a_decimals, a_exp), (b, b_decimals, b_exp) = saved_parts[i + 1:i + 4], fresh_parts[i + 1:i + 4]
        if len(a_decimals) != len(b_decimals) or (a_exp is None) != (b_exp is None):
            return False
        a_value = float(a) * 10.0 ** int(a_exp or 0)
        b_value = float(b) * 10.0 ** int(b_exp or 0)
        unit = 10.0 ** (int(a_exp or 0) - len(a_decimals))
        if abs(a_value - b_value) > unit * (1 + 1e-9):
            return False
    return True


def _aligned(cell, fresh, saved):
    """`fresh` with each text that matches `saved` at printed precision replaced by `saved`."""
    if isinstance(fresh, dict) and isinstance(saved, dict):
        return type(fresh)({key: (value if key in NOT_TEXT or key not in saved
                                  else _aligned(cell, value, saved[key]))
                            for key, value in fresh.items()})
    if isinstance(fresh, str) and isinstance(saved, str) and fresh != saved:
        if within_printed_precision(cell.sanitize(saved), cell.sanitize(fresh)):
            return saved
    return fresh


_compare_outputs = nbval_plugin.IPyNbCell.compare_outputs


def _same_kind(fresh, saved) -> bool:
    return all(fresh.get(key) == saved.get(key) for key in ("output_type", "name"))


def compare_outputs(self, test, ref, skip_compare=None):
    """nbval's comparison, after fresh texts equal to the saved ones at printed precision are
    replaced by the saved ones (outputs paired in order; streams are already coalesced)."""
    if len(test) == len(ref):
        test = [_aligned(self, fresh, saved) if _same_kind(fresh, saved) else fresh
                for fresh, saved in zip(test, ref)]
    return _compare_outputs(self, test, ref, skip_compare)


nbval_plugin.IPyNbCell.compare_outputs = compare_outputs
