"""Saved outputs hold on every CPU, and still catch a real change (issue: portability).

Three parts work together (course_utils/measured.py explains why):
* nbval_precision: a decimal matches at its printed precision, ±1 in the last digit;
* the ``≈`` sanitizer: chaotic numbers are masked, so the verdict beside them carries the claim;
* prose: a chapter's markdown states no measured decimal (it would not follow the CPU's digits).
`make test-portable` runs nbval itself under each CPU setting.
"""
import os
import platform
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

from course_utils.measured import approx, verdict
from nbval_precision import within_printed_precision

ROOT = Path(__file__).resolve().parent.parent
SANITIZERS = get_sanitize_patterns((ROOT / "tests" / "nbval_sanitize.cfg").read_text(encoding="utf-8"))
NOTEBOOKS = sorted(p for folder in ("notebooks", "notebooks/exercises", "solutions")
                   for p in (ROOT / folder).glob("*.ipynb"))


def sanitized(text: str) -> str:
    for regex, replace in SANITIZERS:
        text = re.sub(regex, replace, text)
    return text


@pytest.mark.parametrize("saved, fresh", [
    ("P = 0.463", "P = 0.464"),                        # a rounding boundary on another CPU
    ("correlation 1.000", "correlation 0.999"),
    ("activation 1.96e+03", "activation 1.95e+03"),
    ("99.9% of it", "100.0% of it"),
    ("-0.00 at conv1", "0.00 at conv1"),
])
def test_a_last_digit_rounding_matches(saved, fresh):
    assert within_printed_precision(saved, fresh)


@pytest.mark.parametrize("saved, fresh", [
    ("P = 0.463", "P = 0.465"),                        # two units: a real change
    ("class 386 African_elephant", "class 385 African_elephant"),   # integers are exact
    ("19% blurred", "20% blurred"),
    ("the model says: cat", "the model says: dog"),
    ("✓ blur halves it", "✗ not here: blur halves it"),
    ("shape (1, 178, 178, 32)", "shape (1, 178, 178, 31)"),
    ("a 0.50", "a 0.5"),                                # written another way
    ("act 1.96e+03", "act 1.94e+03"),
    ("x 0.1 y 0.2", "x 0.1 y 0.2 z 0.3"),
])
def test_a_real_change_still_fails(saved, fresh):
    assert not within_printed_precision(saved, fresh)


def test_approx_numbers_are_masked_and_their_verdict_is_not():
    saved = f"Spearman {approx(0.13)}  {verdict(0.13 < 0.5, 'below 0.5')}"
    fresh = f"Spearman {approx(0.04)}  {verdict(0.04 < 0.5, 'below 0.5')}"
    assert saved != fresh and sanitized(saved) == sanitized(fresh)
    wrong = f"Spearman {approx(0.74)}  {verdict(0.74 < 0.5, 'below 0.5')}"
    assert sanitized(wrong) != sanitized(saved)
    # a table of ≈ numbers in aligned columns: widths change with the digits, the mask does not
    assert sanitized(f"{approx(-0.23):>8s}{approx(1.0):>8s}") == sanitized(f"{approx(0.4):>8s}{approx(1.0):>8s}")
    assert approx(float("nan")) == "≈nan" and sanitized("x ≈nan y") == sanitized("x ≈0.5 y")


def test_unmarked_numbers_are_not_masked():
    assert sanitized("P = 0.463") == "P = 0.463"


# A decimal in prose is a measurement unless it is a definition the code also uses, an exercise
# number, or one of these (each a definition, not a result of this run).
DEFINITIONS = {
    "0.05": "white noise's spectral concentration (the scale's lower end)",
    "1.25": "the octave's upsampling factor",
    "6.25": "one deletion step's share of the pixels (1/16)",
    "1.2": "SqueezeNet's parameter count in millions (the paper's)",
}
DECIMAL = re.compile(r"(?<![\w.:])\d+\.\d+(?![\w.])")
EXERCISE_ID = re.compile(r"^\d\.\d$")


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_prose_quotes_no_measured_number(ipynb):
    """A number that a run measures must be printed by the code, never typed into markdown: the
    printed one follows the model and the CPU, typed prose does not (and would contradict it)."""
    nb = nbformat.read(ipynb, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    quoted = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for number in DECIMAL.findall(cell.source):
            if number in DEFINITIONS or EXERCISE_ID.match(number) or re.search(rf"(?<![\w.]){re.escape(number)}(?![\w])", code):
                continue
            quoted.append(number)
    assert not quoted, (f"{ipynb.name}: markdown quotes measured numbers {quoted}; print them (and "
                        "the sentence they support) from a code cell instead")


def test_the_prose_check_can_fail(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("alpha = 0.4"),
                                         nbformat.v4.new_markdown_cell("opacity 0.4; it scores 0.83")])
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(AssertionError, match=r"\['0.83'\]"):
        test_prose_quotes_no_measured_number(path)


def _fake_python(tmp_path, fail_when=""):
    """A stand-in for the venv's python that records the kernel settings it was started with."""
    log = tmp_path / "calls.txt"
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\n"
                    f'echo "${{ONEDNN_MAX_CPU_ISA:-}}|${{TF_ENABLE_ONEDNN_OPTS:-}}|$*" >> {log}\n'
                    f'[ -z "{fail_when}" ] || [ "${{ONEDNN_MAX_CPU_ISA:-}}" != "{fail_when}" ]\n')
    fake.chmod(0o755)
    return fake, log


@pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="reads the CPU's flags")
def test_portable_runs_nbval_once_per_cpu_setting(tmp_path):
    fake, log = _fake_python(tmp_path)
    done = subprocess.run(["bash", str(ROOT / "tests" / "portable.sh"), str(fake), "-x"],
                          capture_output=True, text=True, cwd=ROOT,    # a caller's own setting is cleared
                          env={**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0"})
    assert done.returncode == 0, done.stdout + done.stderr
    calls = log.read_text().splitlines()
    assert all(c.endswith("|-m pytest notebooks solutions -x") for c in calls)
    settings = [c.rsplit("|", 1)[0] for c in calls]
    assert settings[0] == "|" and settings[-1] == "|0"            # the default first, oneDNN off last
    flags = f" {Path('/proc/cpuinfo').read_text()} "
    has_avx512 = " avx512f " in flags
    beyond_avx2 = any(f" {flag} " in flags for flag in ("avx512f", "avx_vnni", "amx_tile"))
    if platform.machine() == "x86_64":
        assert "AVX|1" in settings                          # an ISA cap needs oneDNN on
        assert ("AVX2|1" in settings) == beyond_avx2        # else AVX2 is the default run
        assert ("AVX512_CORE|1" in settings) == has_avx512
    assert "0 failed" in done.stdout


def test_portable_fails_when_one_setting_fails(tmp_path):
    if platform.machine() != "x86_64":
        pytest.skip("the ISA settings exist on x86 only")
    fake, log = _fake_python(tmp_path, fail_when="AVX")
    done = subprocess.run(["bash", str(ROOT / "tests" / "portable.sh"), str(fake)],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PORTABLE_SKIP_DEFAULT": "1"})
    assert done.returncode != 0
    assert done.stdout.rstrip().endswith(", 1 failed: ONEDNN_MAX_CPU_ISA=AVX")
    assert not any(c.startswith("||") for c in log.read_text().splitlines())   # default skipped
