"""How the chapters print measured numbers, so that what they claim holds on every CPU.

TensorFlow picks its kernels by CPU (oneDNN's AVX2, AVX-512 or AMX code, or TensorFlow's own
kernels with `TF_ENABLE_ONEDNN_OPTS=0`), so float results differ in their last bits from one
machine to the next. Most printed numbers do not care. Two kinds do:

* **chaotic numbers**: thirty steps of gradient ascent amplify a last-bit difference into a
  different picture (its activation, its correlation with another run's);
* **noise numbers**: a map of a randomised network is mostly noise, so its rank similarity to
  anything is noise too.

The chapters print such a number with `approx` (a leading ``≈``). The saved notebooks are
checked by nbval, which masks every ``≈`` number (`tests/nbval_sanitize.cfg`), so the claim a
learner relies on is printed beside it with `verdict`, from the numbers, and *that* line is
compared word for word: it fails when the claim stops holding. Every other number is compared
at the precision it is printed with, one unit of its last digit either way
(`tests/nbval_tolerance.py`).
"""
from __future__ import annotations

APPROX = "≈"
HOLDS, FAILS = "✓ ", "✗ not here: "


def approx(value: float, spec: str = ".2f") -> str:
    """`value` formatted with `spec` behind a ``≈``: its last digits depend on the CPU.

    >>> approx(0.99912, ".3f")
    '≈0.999'
    """
    return APPROX + format(float(value), spec)


def verdict(holds: bool, sentence: str) -> str:
    """``✓ sentence`` when the numbers support it, else ``✗ not here: sentence``."""
    return (HOLDS if holds else FAILS) + sentence
