"""Chapters 2 and 3 run end to end on Xception, not only on the SqueezeNet that nbval checks.

Xception's ImageNet weights cannot be downloaded here (and the hash check rightly refuses a
fake file), so the chapters run with MODEL = "xception-random": the explicit random-weights
setting. The parameters cell is replaced papermill-style with small step counts, the notebook
is executed with nbclient, and its outputs must name the Xception walkthrough layers.
"""
import json

import pytest

from course_utils.notebooks import find_source, read_source, run

from conftest import needs_shared_mirror

SMALL_RUNS = {
    # 128 px still leaves block8 an 8x8 map; 160 px leaves the ladder's octaves (64 %) 6x6 at block6.
    "02": dict(MODEL="xception-random", STEPS=2, N_FILTERS=2, GRID_SIZE=128, LADDER_SIZE=160),
    "03": dict(MODEL="xception-random", RUN_TIMING=False),
}
EXPECTED = {
    "02": ["RANDOM weights", "model: xception", "block3_sepconv1", "block8_sepconv1", "block1_conv1 kernel tiles", "block6_sepconv1"],
    "03": ["RANDOM weights", "model: xception", "block14_sepconv2_act", "Grad-CAM walkthrough layer: block14_sepconv2_act"],
}


def with_parameters(nb, values: dict):
    """Replace the cell tagged 'parameters' by assignments of `values` (papermill's injection)."""
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, "a chapter must have exactly one cell tagged 'parameters'"
    known = {line.split("=")[0].strip() for line in cells[0].source.splitlines()
             if "=" in line and not line.lstrip().startswith("#")}
    unknown = set(values) - known
    assert not unknown, f"not parameters of this chapter: {sorted(unknown)}"
    cells[0].source = "\n".join(f"{k} = {v!r}" for k, v in values.items())
    return nb


def output_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") if "text" in out else json.dumps(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


@needs_shared_mirror("images/elephant.jpg")
@pytest.mark.parametrize("chapter", sorted(SMALL_RUNS))
def test_chapter_runs_on_xception(chapter, tmp_path):
    source = find_source(chapter)
    nb = with_parameters(read_source(source), SMALL_RUNS[chapter])
    # Raises CellExecutionError (with the failing cell and traceback) on any error.
    run(nb, source.parent, timeout=600)
    text = output_text(nb)
    for expected in EXPECTED[chapter]:
        assert expected in text, f"chapter {chapter} on Xception never printed {expected!r}"
