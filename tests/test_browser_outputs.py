"""Saved notebooks read cleanly without a kernel; `make lab`'s JupyterLab keeps widget state.

The real-browser check is `make test-browser` (tests/browser/run_chapters.py); these are the
parts that need no browser.
"""
import json
from pathlib import Path

import nbformat
import pytest

from course_utils import notebooks as nbs

ROOT = Path(__file__).resolve().parent.parent


def _widget(text):
    return nbformat.v4.new_output("display_data", data={
        nbs.WIDGET_MIME: {"model_id": "abc", "version_major": 2, "version_minor": 0},
        "text/plain": text})


def test_strip_drops_bars_replaces_explorers_keeps_the_rest():
    cell = nbformat.v4.new_code_cell("x")
    printed = nbformat.v4.new_output("stream", name="stdout", text="accuracy 0.83\n")
    picture = nbformat.v4.new_output("display_data", data={"image/png": "iVBO", "text/plain": "<Figure>"})
    cell.outputs = [_widget("conv1 × 64 filters:   0%|          | 0/30 [00:00<?, ?it/s]"), printed,
                    _widget("VBox(children=(HBox(children=(Dropdown(description='layer',"), picture]
    nb = nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_markdown_cell("VBox(children= in prose")])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}

    nbs.strip_widget_outputs(nb)

    assert [o.get("data", {}).get("text/plain", o.get("text")) for o in cell.outputs] == [
        "accuracy 0.83\n", nbs.EXPLORER_NOTE, "<Figure>"]
    assert "widgets" not in nb.metadata
    assert nb.cells[1].source == "VBox(children= in prose"  # markdown is never touched
    nbformat.validate(nb)


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")),
                         ids=lambda p: p.name)
def test_committed_chapters_carry_no_widget_views(path):
    nb = nbformat.read(path, as_version=4)
    views = [i for i, c in enumerate(nb.cells) for o in c.get("outputs", [])
             if nbs.WIDGET_MIME in o.get("data", {})]
    assert not views, (f"{path.name} cells {views} hold widget views that cannot be redrawn after a "
                       f"reopen: rebuild it with `python -m course_utils notebooks {path.name[:2]}`")


def test_lab_settings_turn_on_save_state_and_keep_other_overrides(tmp_path):
    existing = tmp_path / "share/jupyter/lab/settings/overrides.json"
    existing.parent.mkdir(parents=True)
    existing.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}))

    path = nbs.install_lab_settings(tmp_path)

    settings = json.loads(path.read_text())
    assert settings["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is True
    assert settings["@jupyterlab/apputils-extension:themes"]["theme"] == "JupyterLab Dark"


def test_lab_settings_name_a_broken_overrides_file(tmp_path):
    broken = tmp_path / "share/jupyter/lab/settings/overrides.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json")
    with pytest.raises(SystemExit, match="not valid JSON.*fix it or delete it"):
        nbs.install_lab_settings(tmp_path)
    assert broken.read_text() == "{not json"  # left as it was for the user to look at
