"""Build a chapter notebook from its source file (a CELLS list) and execute it in place.

    python tests/notebook_sources/build.py 01_intermediate_activations

Executed with the environment of `make test` (mirror, seeds), so the saved outputs are the
ones nbval checks.
"""
import importlib.util
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def build(stem: str, execute: bool = True) -> Path:
    spec = importlib.util.spec_from_file_location(stem, Path(__file__).with_name(f"{stem}.py"))
    source = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(source)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, text in source.CELLS:
        text = text.strip("\n")
        nb.cells.append(nbformat.v4.new_markdown_cell(text) if kind == "md" else nbformat.v4.new_code_cell(text))
    out = ROOT / "notebooks" / f"{stem}.ipynb"
    if execute:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("PYTHONHASHSEED", "0")
        NotebookClient(nb, timeout=1800, kernel_name="python3",
                       resources={"metadata": {"path": str(out.parent)}}).execute()
    nbformat.write(nb, out)
    return out


if __name__ == "__main__":
    for stem in sys.argv[1:]:
        print("built", build(stem))
