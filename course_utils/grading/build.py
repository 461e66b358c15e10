"""Generate the exercise notebooks from the master sources, so student and solved versions cannot drift.

    python -m course_utils.grading.build --execute   # writes notebooks/exercises/ and solutions/, runs them

Each master (hidden/masters/chN.py) is a jupytext percent notebook. Cell metadata `grading`
marks an exercise's statement, solution and check cells, and its `explanation` (prose answers,
solutions only). A master's check cell is left empty: its source is generated from the
exercise's declaration (`Exercise.check_source`, exercises.py), the one place the answer
expression is written. Each output is a percent `.py` paired with its `.ipynb`.
A master code cell marks its solution like this; the student gets the STUB part, the solved
notebook the SOLUTION part, and the markers disappear from both:

    ### BEGIN SOLUTION
    ...solution lines...
    ### STUB
    ...stub lines...
    ### END SOLUTION
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from .exercises import CHAPTERS, by_id, notebook_name, of_chapter

from ..paths import REPO_ROOT
STUDENT_DIR = REPO_ROOT / "notebooks" / "exercises"
SOLUTION_DIR = REPO_ROOT / "solutions"
BLOCK = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n(.*?)^[ \t]*### STUB\n(.*?)^[ \t]*### END SOLUTION\n?", re.S | re.M)


def student_source(source: str) -> str:
    return BLOCK.sub(lambda m: m.group(3), source).rstrip("\n")


def solution_source(source: str) -> str:
    return BLOCK.sub(lambda m: m.group(2), source).rstrip("\n")


def solution_blocks(source: str) -> list[str]:
    """The solution parts of a master cell (what must never reach the student)."""
    return [m.group(2) for m in BLOCK.finditer(source)]


MASTER_DIR = Path(__file__).resolve().parent / "hidden" / "masters"


def master_path(chapter: int) -> Path:
    return MASTER_DIR / f"ch{chapter}.py"


def master(chapter: int) -> nbformat.NotebookNode:
    """The chapter's master notebook (jupytext percent source, solutions and explanations inside)."""
    import jupytext

    return jupytext.read(master_path(chapter), fmt="py:percent")


def role(cell: nbformat.NotebookNode) -> dict:
    return cell.metadata.get("grading") or {}


def solution_notebook_name(chapter: int) -> str:
    return f"{chapter:02d}_exercises_solutions.ipynb"


def _validate(chapter: int, nb) -> None:
    ids = [role(c)["statement"] for c in nb.cells if "statement" in role(c)]
    assert ids == [e.id for e in of_chapter(chapter)], f"chapter {chapter}: master {ids} vs registry"
    for cell in nb.cells:
        if "check" in role(cell):
            by_id(role(cell)["check"])  # a check cell of an undeclared exercise is a KeyError here
            assert not cell.source.strip(), (f"{role(cell)['check']}: leave the master's check cell empty; "
                                             "build.py writes it from the exercise's declaration")
        if "solution" in role(cell):
            assert BLOCK.search(cell.source + "\n"), f"{role(cell)['solution']}: solution cell has no solution block"


def build_notebook(chapter: int, solved: bool) -> nbformat.NotebookNode:
    """The student (solved=False) or solved notebook of a chapter, made from its master."""
    nb = master(chapter)
    _validate(chapter, nb)
    strip = solution_source if solved else student_source
    cells = []
    for cell in nb.cells:
        if "explanation" in role(cell) and not solved:
            continue  # the prose answers go to the solutions only
        cell = nbformat.from_dict(dict(cell))
        if cell.cell_type == "code":
            cell.source = strip(cell.source + "\n")
        if "check" in role(cell):
            cell.source = by_id(role(cell)["check"]).check_source()
        cells.append(cell)
    nb.cells = cells
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "exercises": {"chapter": chapter, "title": CHAPTERS[chapter], "solved": solved}}
    return nb


def sources(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(cell type, source) of every cell: what the sync test compares."""
    return [(cell.cell_type, cell.source.strip("\n")) for cell in nb.cells]


def execute(path: Path, timeout: int = 600) -> None:
    """Run a notebook in place, as nbconvert --execute would."""
    from ..notebooks import run

    nb = nbformat.read(path, as_version=4)
    nbformat.write(run(nb, path.parent, timeout), path)


def write_pair(nb: nbformat.NotebookNode, path: Path) -> Path:
    """Write the percent `.py` and, from it, the `.ipynb` beside it (so the pair test sees them agree)."""
    import jupytext

    from ..notebooks import read_source

    exercises = nb.metadata["exercises"]
    nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    jupytext.write(nb, path.with_suffix(".py"), fmt="py:percent")
    paired = read_source(path.with_suffix(".py"))
    paired.metadata["exercises"] = exercises
    nbformat.write(paired, path)
    return path


def write_all() -> list[Path]:
    STUDENT_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for chapter in CHAPTERS:
        for solved, path in ((False, STUDENT_DIR / notebook_name(chapter)),
                             (True, SOLUTION_DIR / solution_notebook_name(chapter))):
            write_pair(build_notebook(chapter, solved), path)
            written.append(path)
    return written


if __name__ == "__main__":
    import sys

    for path in write_all():
        if "--execute" in sys.argv:
            execute(path)
        print(path.relative_to(REPO_ROOT))
