"""Generate the exercise notebooks from the master sources, so student and solved versions cannot drift.

    python -m course_utils.grading.build --execute   # writes notebooks/exercises/ and solutions/, runs them

A master code cell marks its solution like this; the student gets the STUB part, the solved
notebook the SOLUTION part, and the markers disappear from both:

    ### BEGIN SOLUTION
    ...solution lines...
    ### STUB
    ...stub lines...
    ### END SOLUTION
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import nbformat

from .exercises import CHAPTERS, by_id, notebook_name, of_chapter

REPO = Path(__file__).resolve().parents[2]
STUDENT_DIR = REPO / "notebooks" / "exercises"
SOLUTION_DIR = REPO / "solutions"
BLOCK = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n(.*?)^[ \t]*### STUB\n(.*?)^[ \t]*### END SOLUTION\n?", re.S | re.M)


def student_source(source: str) -> str:
    return BLOCK.sub(lambda m: m.group(3), source).rstrip("\n")


def solution_source(source: str) -> str:
    return BLOCK.sub(lambda m: m.group(2), source).rstrip("\n")


def solution_blocks(source: str) -> list[str]:
    """The solution parts of a master cell (what must never reach the student)."""
    return [m.group(2) for m in BLOCK.finditer(source)]


def master(chapter: int):
    return importlib.import_module(f"course_utils.grading.hidden.masters.ch{chapter}")


def solution_notebook_name(chapter: int) -> str:
    return f"{chapter:02d}_exercises_solutions.ipynb"


def _validate(chapter: int, module) -> None:
    ids = [e[0] for e in module.EXERCISES]
    assert ids == [e.id for e in of_chapter(chapter)], f"chapter {chapter}: masters {ids} vs registry"
    for exercise_id, _, stub, check_src in module.EXERCISES:
        expected = f'check("{exercise_id}", {by_id(exercise_id).answer}'
        assert check_src.startswith(expected), f"{exercise_id}: check cell must start with {expected}"
        assert BLOCK.search(stub), f"{exercise_id}: stub cell has no solution block"


def build_notebook(chapter: int, solved: bool) -> nbformat.NotebookNode:
    module = master(chapter)
    _validate(chapter, module)
    strip = solution_source if solved else student_source
    v4 = nbformat.v4
    cells = [v4.new_markdown_cell(module.INTRO), v4.new_code_cell(module.SETUP)]
    for exercise_id, statement, stub, check_src in module.EXERCISES:
        cells.append(v4.new_markdown_cell(statement, metadata={"grading": {"statement": exercise_id}}))
        cells.append(v4.new_code_cell(strip(stub), metadata={"grading": {"solution": exercise_id}}))
        cells.append(v4.new_code_cell(check_src, metadata={"grading": {"check": exercise_id}}))
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["exercises"] = {"chapter": chapter, "title": CHAPTERS[chapter], "solved": solved}
    return nb


def sources(nb) -> list[tuple[str, str]]:
    """(cell type, source) of every cell: what the sync test compares."""
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def execute(path: Path, timeout: int = 600) -> None:
    """Run a notebook in place, as nbconvert --execute would."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)


def write_all() -> list[Path]:
    STUDENT_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for chapter in CHAPTERS:
        for solved, path in ((False, STUDENT_DIR / notebook_name(chapter)),
                             (True, SOLUTION_DIR / solution_notebook_name(chapter))):
            nbformat.write(build_notebook(chapter, solved), path)
            written.append(path)
    return written


if __name__ == "__main__":
    import sys

    for path in write_all():
        if "--execute" in sys.argv:
            execute(path)
        print(path.relative_to(REPO))
