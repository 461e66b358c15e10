"""Saved notebooks read cleanly without a kernel; `make lab`'s JupyterLab keeps widget state.

The real-browser check is `make test-browser` (tests/browser/run_chapters.py); these are the
parts that need no browser.
"""
import json
import re
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
    work = nbformat.v4.new_code_cell("x")
    printed = nbformat.v4.new_output("stream", name="stdout", text="accuracy 0.83\n")
    picture = nbformat.v4.new_output("display_data", data={"image/png": "iVBO", "text/plain": "<Figure>"})
    work.outputs = [_widget("conv1 × 64 filters:   0%|          | 0/30 [00:00<?, ?it/s]"), printed, picture]
    explorer = nbformat.v4.new_code_cell("explorer(acts)")
    # run without a frontend (notebooks.run), the explorer's first draw lands in the cell
    first_draw = nbformat.v4.new_output("stream", name="stdout", text="conv2d_4, channel 0\n")
    explorer.outputs = [_widget("VBox(children=(HBox(children=(Dropdown(description='layer',"), first_draw,
                        nbformat.v4.new_output("display_data", data={"image/png": "iVBO", "text/plain": "<Figure>"})]
    nb = nbformat.v4.new_notebook(cells=[work, explorer, nbformat.v4.new_markdown_cell("VBox(children= in prose")])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}

    nbs.strip_widget_outputs(nb)

    texts = [[o.get("data", {}).get("text/plain", o.get("text")) for o in c.outputs] for c in nb.cells[:2]]
    assert texts == [["accuracy 0.83\n", "<Figure>"], [nbs.EXPLORER_NOTE]]
    assert "widgets" not in nb.metadata
    assert nb.cells[2].source == "VBox(children= in prose"  # markdown is never touched
    nbformat.validate(nb)


def test_run_executes_a_widget_cell_and_the_next(tmp_path):
    """notebooks.run does not play the Output widget's frontend (the race that lost replies)."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import ipywidgets as w\nout = w.Output()\nwith out:\n    print('drawn')\nout"),
        nbformat.v4.new_code_cell("print('next cell')")])
    nbs.run(nb, tmp_path, timeout=120)
    assert "drawn" in "".join(o.get("text", "") for o in nb.cells[0].outputs)   # in the cell, not a widget
    assert nb.cells[1].outputs[0]["text"] == "next cell\n"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")),
                         ids=lambda p: p.name)
def test_committed_chapters_carry_no_widget_views(path):
    nb = nbformat.read(path, as_version=4)
    views = [i for i, c in enumerate(nb.cells) for o in c.get("outputs", [])
             if nbs.WIDGET_MIME in o.get("data", {})]
    assert not views, (f"{path.name} cells {views} hold widget views that cannot be redrawn after a "
                       f"reopen: rebuild it with `python -m course_utils notebooks {path.name[:2]}`")


MAX_LINE = 99  # a 1440 px JupyterLab shows ~100 monospace characters before wrapping mid-number


def printed_lines(nb):
    """(cell index, line) of every line a learner reads as printed text: streams, and plain-text
    results that have no picture or HTML to show instead. Terminal colour codes do not count."""
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if output.get("output_type") == "stream":
                text = output.get("text", "")
            elif "text/plain" in data and not any(k.startswith("image/") or k == "text/html" for k in data):
                text = data["text/plain"]
            else:
                continue
            for line in _ANSI.sub("", text).splitlines():
                yield i, line


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def test_printed_lines_counts_visible_characters_of_text_outputs_only():
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="short\n" + "x" * 120 + "\n"),
                    nbformat.v4.new_output("display_data", data={"image/png": "iVBO", "text/plain": "y" * 300}),
                    nbformat.v4.new_output("execute_result", data={"text/plain": "\x1b[1m" + "z" * 99 + "\x1b[0m"},
                                           execution_count=1)]
    nb = nbformat.v4.new_notebook(cells=[cell])
    assert [len(line) for _, line in printed_lines(nb)] == [5, 120, 99]


LEARNER_NOTEBOOKS = sorted([*(ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"),
                            *(ROOT / "notebooks" / "exercises").glob("*.ipynb"), *(ROOT / "solutions").glob("*.ipynb")])


@pytest.mark.parametrize("path", LEARNER_NOTEBOOKS, ids=lambda p: p.name)
def test_committed_chapters_print_lines_under_100_characters(path):
    long = [(i, line) for i, line in printed_lines(nbformat.read(path, as_version=4)) if len(line) > MAX_LINE]
    assert not long, (f"{path.name}: printed lines wrap in a 1440 px window (keep them under "
                      f"{MAX_LINE + 1} characters; print tables in two parts or shorten labels):\n"
                      + "\n".join(f"  cell {i}, {len(line)} chars: {line[:80]}…" for i, line in long[:5]))


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
