"""Build a notebook from its jupytext source and execute it, so the saved outputs are fresh.

    python -m course_utils notebooks 03          # notebooks/03_*.py -> notebooks/03_*.ipynb, executed
    python -m course_utils notebooks --all       # every chapter
    make notebooks                               # the same as --all

Every chapter is authored as a percent-format `.py` (edit that one) paired with the `.ipynb`
beside it (what learners open, saved with outputs; nbval checks those outputs). Run it with
the environment of `make test` (the asset mirror, PYTHONHASHSEED=0), as the outputs assume it.
"""
from __future__ import annotations

import os
from pathlib import Path

from .paths import REPO_ROOT

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
PAIRED_FORMATS = "ipynb,py:percent"


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


def read_source(source: Path):
    """The notebook a percent source describes (no outputs), with its pairing recorded."""
    import jupytext

    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata.setdefault("jupytext", {})["formats"] = PAIRED_FORMATS
    nb.metadata["jupytext"].pop("text_representation", None)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def build(source: Path, execute: bool = True, timeout: int = 1800) -> Path:
    """Write `source`'s `.ipynb` beside it, executed top to bottom with nbclient."""
    import nbformat
    from nbclient import NotebookClient

    source = Path(source)
    nb = read_source(source)
    out = source.with_suffix(".ipynb")
    if execute:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("PYTHONHASHSEED", "0")
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(out.parent)}}).execute()
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, out)  # a failed or interrupted run never leaves half a notebook
    return out


def cell_texts(nb) -> list[tuple[str, str]]:
    """(cell type, source) of every cell: what a `.py` and its `.ipynb` must agree on."""
    return [(cell.cell_type, cell.source.strip("\n")) for cell in nb.cells]
