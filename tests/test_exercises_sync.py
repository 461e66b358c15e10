"""Student and solved exercise notebooks come from one master and cannot drift or leak.

The student notebook must equal the master with every solution block replaced by its stub;
the solved notebook the master with the solutions; and no line of a solution, of a hidden
test or of the master's markers may appear anywhere in a student notebook.
"""
from __future__ import annotations

import json

import nbformat
import pytest

from course_utils.grading.build import (BLOCK, SOLUTION_DIR, STUDENT_DIR, build_notebook, master, role, solution_blocks,
                                        solution_notebook_name, sources, student_source)
from course_utils.grading.exercises import CHAPTERS, EXERCISES, Kind, Level, notebook_name, of_chapter

CHAPTER_LIST = sorted(CHAPTERS)


def student(chapter):
    return nbformat.read(STUDENT_DIR / notebook_name(chapter), as_version=4)


def solved(chapter):
    return nbformat.read(SOLUTION_DIR / solution_notebook_name(chapter), as_version=4)


@pytest.mark.parametrize("chapter", CHAPTER_LIST)
def test_student_notebook_is_master_minus_solutions(chapter):
    assert sources(student(chapter)) == sources(build_notebook(chapter, solved=False))


@pytest.mark.parametrize("chapter", CHAPTER_LIST)
def test_solution_notebook_is_master_with_solutions(chapter):
    assert sources(solved(chapter)) == sources(build_notebook(chapter, solved=True))


def _meaningful_lines(text: str) -> list[str]:
    """Lines long enough to identify a solution (not `return None`, blank lines or comments)."""
    return [line.strip() for line in text.splitlines() if len(line.strip()) > 12 and not line.strip().startswith("#")]


@pytest.mark.parametrize("chapter", CHAPTER_LIST)
def test_no_solution_line_leaks_into_the_student_notebook(chapter):
    raw = nbformat.writes(student(chapter))
    text = json.dumps(raw)
    cells = master(chapter).cells
    lines = [line for c in cells if c.cell_type == "code" for block in solution_blocks(c.source + "\n")
             for line in _meaningful_lines(block)]
    assert len(lines) >= 3 * 2  # the check below has something to look for
    hints = " ".join(c.source for c in cells if "statement" in role(c))  # what a statement gives away on purpose
    leaked = [line for line in lines if (line in raw or line in text) and line not in hints]
    assert not leaked, leaked
    explanations = [c.source for c in cells if "explanation" in role(c)]
    assert len(explanations) >= 3 and not [e for e in explanations if e in raw or e in text]  # prose answers stay out
    assert "BEGIN SOLUTION" not in raw and "### STUB" not in raw


@pytest.mark.parametrize("chapter", CHAPTER_LIST)
def test_student_notebook_does_not_point_at_the_hidden_folder(chapter):
    raw = nbformat.writes(student(chapter))
    assert "grading.hidden" not in raw and "hidden/" not in raw and "masters" not in raw


def test_stripping_keeps_the_indentation_of_the_stub():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### STUB\n    return None\n    ### END SOLUTION\n"
    assert student_source(source) == "def f(x):\n    return None"
    assert BLOCK.search(source)


@pytest.mark.parametrize("chapter", CHAPTER_LIST)
def test_every_exercise_has_statement_stub_and_check(chapter):
    nb = student(chapter)
    roles = [(c.metadata.get("grading") or {}) for c in nb.cells]
    for exercise in of_chapter(chapter):
        assert {"statement": exercise.id} in roles and {"solution": exercise.id} in roles and {"check": exercise.id} in roles
    graded = [e for e in of_chapter(chapter) if e.kind is Kind.GRADED]
    assert [e.level for e in graded] == [Level.EASY, Level.MEDIUM, Level.HARD]
    assert [e.points for e in graded] == [1, 1, 2]
    assert [e.kind for e in of_chapter(chapter)].count(Kind.TEXT) >= 1  # one interpretation in words per chapter


@pytest.mark.parametrize("chapter", CHAPTER_LIST)
def test_check_cells_are_written_from_the_declaration(chapter):
    """The answer expression exists once (exercises.py): the masters' check cells are empty and
    both generated notebooks hold exactly `Exercise.check_source()`."""
    for cell in master(chapter).cells:
        if "check" in role(cell):
            assert not cell.source.strip(), cell.source
    for nb in (student(chapter), solved(chapter)):
        checks = {role(c)["check"]: c.source for c in nb.cells if "check" in role(c)}
        assert checks == {e.id: e.check_source() for e in of_chapter(chapter)}


def test_a_master_check_cell_with_its_own_expression_is_refused():
    import copy

    from course_utils.grading import build

    nb = copy.deepcopy(master(1))
    cell = next(c for c in nb.cells if "check" in role(c))
    cell.source = 'check("ex1_1", {"image": my_image})'
    with pytest.raises(AssertionError, match="leave the master's check cell empty"):
        build._validate(1, nb)


@pytest.mark.parametrize("chapter", CHAPTER_LIST)
def test_saved_outputs_say_not_done_for_students_and_passed_for_solutions(chapter):
    def check_outputs(nb):
        return {(c.metadata.get("grading") or {}).get("check"): "".join(o.get("text", "") for o in c.outputs)
                for c in nb.cells if (c.metadata.get("grading") or {}).get("check")}

    for exercise_id, text in check_outputs(student(chapter)).items():
        assert text.startswith(f"NOT YET {exercise_id}") and "not done yet" in text
    for exercise_id, text in check_outputs(solved(chapter)).items():
        assert text.startswith((f"PASS {exercise_id}", f"COLLECTED {exercise_id}")), text
    assert len(check_outputs(solved(chapter))) == len(of_chapter(chapter))


def test_registry_and_masters_agree():
    assert [e.id for e in EXERCISES] == [role(c)["statement"] for ch in CHAPTER_LIST for c in master(ch).cells
                                         if "statement" in role(c)]


@pytest.mark.parametrize("chapter", CHAPTER_LIST)
def test_solutions_explain_every_graded_exercise(chapter):
    explained = {role(c)["explanation"] for c in solved(chapter).cells if "explanation" in role(c)}
    assert {e.id for e in of_chapter(chapter) if e.kind is Kind.GRADED} <= explained
