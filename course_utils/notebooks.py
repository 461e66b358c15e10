"""Build a notebook from its jupytext source and execute it, so the saved outputs are fresh.

    python -m course_utils notebooks 03          # notebooks/03_*.py -> notebooks/03_*.ipynb, executed
    python -m course_utils notebooks --all       # every chapter
    python -m course_utils notebooks 03 --prose-only   # markdown edits only: outputs kept
    make notebooks                               # the same as --all

Every chapter is authored as a percent-format `.py` (edit that one) paired with the `.ipynb`
beside it (what learners open, saved with outputs; nbval checks those outputs). Run it with
the environment of `make test` (the asset mirror, PYTHONHASHSEED=0), as the outputs assume it.

Saved notebooks carry no live-widget outputs (`strip_widget_outputs`): a widget view only
draws while its kernel-side model exists, so a saved one reads "Error displaying widget: model
not found" after a reopen, or as raw `VBox(children=...` text in an untrusted notebook or on a
static viewer. Finished progress bars are dropped; an explorer becomes one line saying to run
the cell. A learner's own saves keep widget state instead: `make lab` installs
`LAB_OVERRIDES` (saveState) into the environment (`python -m course_utils.notebooks lab-settings`).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .paths import REPO_ROOT

if TYPE_CHECKING:
    from nbformat import NotebookNode

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
PAIRED_FORMATS = "ipynb,py:percent"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
EXPLORER_NOTE = "[interactive explorer: run this cell (after the cells above) to use it]"
# tqdm's text fallback of a notebook bar: "desc:  40%|████      | 12/30 [00:01<00:02, ...]"
_TQDM_BAR = re.compile(r"\d+%\|.*\|\s*\d+/\d+")
# JupyterLab setting that makes a learner's saves carry the widgets' state (off by default).
LAB_OVERRIDES = {"@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True}}


def chapter_sources(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """The percent sources of the chapters (every `.py` beside an `.ipynb` of the same stem)."""
    return sorted(p for p in Path(folder).glob("*.py") if p.with_suffix(".ipynb").exists()
                  or _is_percent_source(p))


def _is_percent_source(path: Path) -> bool:
    head = path.read_text(encoding="utf-8")[:400]
    return "format_name: percent" in head


def find_source(selector: str, folder: Path = NOTEBOOK_DIR) -> Path:
    """`03`, `03_class_activation_maps` or a path -> the chapter's `.py` source."""
    as_path = Path(selector)
    if as_path.suffix in (".py", ".ipynb") and as_path.exists():
        return as_path.with_suffix(".py")
    matches = [p for p in chapter_sources(folder) if p.stem.startswith(selector)]
    if len(matches) != 1:
        names = ", ".join(p.stem for p in chapter_sources(folder))
        why = "matches nothing" if not matches else "matches several"
        raise SystemExit(f"'{selector}' {why}; choose one of: {names}")
    return matches[0]


def read_source(source: Path) -> "NotebookNode":
    """The notebook a percent source describes (no outputs), with its pairing recorded."""
    import jupytext

    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata.setdefault("jupytext", {})["formats"] = PAIRED_FORMATS
    nb.metadata["jupytext"].pop("text_representation", None)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(nb.cells):  # jupytext draws random ids: every rebuild was a diff
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        cell.id = f"c{index:03d}-{digest}"
    return nb


def build(source: Path, execute: bool = True, timeout: int = 1800) -> Path:
    """Write `source`'s `.ipynb` beside it, executed top to bottom with nbclient."""
    import nbformat

    source = Path(source)
    nb = read_source(source)
    out = source.with_suffix(".ipynb")
    if execute:
        run(nb, out.parent, timeout)
    strip_widget_outputs(nb)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, out)  # a failed or interrupted run never leaves half a notebook
    return out


def refresh_prose(source: Path) -> Path:
    """Rewrite `source`'s `.ipynb` with the new markdown, keeping every code cell's saved outputs.
    Only for edits of prose: if any code cell differs from the saved one, nothing is written."""
    import nbformat

    source = Path(source)
    out = source.with_suffix(".ipynb")
    nb, saved = read_source(source), nbformat.read(out, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    saved_code = [c for c in saved.cells if c.cell_type == "code"]
    if [c.source for c in code] != [c.source for c in saved_code]:
        raise SystemExit(f"{source.name}: code cells changed, so the saved outputs are stale; "
                         f"rebuild it with `python -m course_utils notebooks {source.stem[:2]}`.")
    for new, old in zip(code, saved_code):
        new.outputs, new.execution_count = old.outputs, old.execution_count
    nb.metadata["language_info"] = saved.metadata.get("language_info", nb.metadata["language_info"])
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, out)
    return out


def run(nb: "NotebookNode", folder: Path, timeout: int = 1800) -> "NotebookNode":
    """Execute `nb` top to bottom in place with nbclient, in `folder`, with `make test`'s settings."""
    from nbclient import NotebookClient

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    # record_timing=False: no execution timestamps in the saved file (noise in every diff)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(folder)}})
    # nbclient plays a frontend for ipywidgets' Output widget (every explorer has one): it sends
    # comm messages on the shell channel while it waits there for the cell's reply, and that race
    # loses the reply (nbclient issue 312): builds of chapters 2 and 5 stalled, kernel and client
    # both idle, in three runs out of four. Without the widget classes nbclient only records what
    # the kernel prints; an explorer cell is saved as one note anyway (`strip_widget_outputs`).
    client.widget_registry = {}
    client.execute()
    return nb


def cell_texts(nb: "NotebookNode") -> list[tuple[str, str]]:
    """(cell type, source) of every cell: what a `.py` and its `.ipynb` must agree on."""
    return [(cell.cell_type, cell.source.strip("\n")) for cell in nb.cells]


def strip_widget_outputs(nb: "NotebookNode") -> "NotebookNode":
    """Drop outputs that need a live widget model; keep everything else. Returns `nb`.

    A progress bar's saved text is frozen at 0% (captured when it was first shown), so it goes;
    a cell that shows an explorer keeps only a static line. The widget state in the metadata goes too.
    """
    import nbformat

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_MIME not in data:
                kept.append(output)
            elif not _TQDM_BAR.search(str(data.get("text/plain", ""))):
                # An explorer: what its first draw printed (run without a frontend, it lands in
                # the cell, not in the widget) goes with it.
                kept = [nbformat.v4.new_output("display_data", data={"text/plain": EXPLORER_NOTE})]
                break
        cell["outputs"] = kept
    nb.metadata.pop("widgets", None)
    return nb


def install_lab_settings(prefix: str | Path = sys.prefix) -> Path:
    """Write `LAB_OVERRIDES` into `<prefix>/share/jupyter/lab/settings/overrides.json`, merged."""
    path = Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    try:
        current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise SystemExit(f"{path} is not valid JSON ({exc}): fix it or delete it, then re-run "
                         "`python -m course_utils.notebooks lab-settings`.") from None
    for plugin, values in LAB_OVERRIDES.items():
        current.setdefault(plugin, {}).update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":  # python -m course_utils.notebooks lab-settings
    if sys.argv[1:] != ["lab-settings"]:
        raise SystemExit("usage: python -m course_utils.notebooks lab-settings")
    print(f"JupyterLab will save widget state: {install_lab_settings()}")
