"""The teacher's formats: points per exercise, feedback to hand back, Canvas and Gradescope CSVs."""
from __future__ import annotations

import csv
import io
import os

import pytest

from course_utils.grading.exercises import CHAPTERS, EXERCISES, of_chapter
from course_utils.grading.harness import GradingResult, Row, Status
from course_utils.grading.report import (CANVAS_COLUMNS, canvas_csv, feedback_file_name, gradescope_csv, points_csv,
                                         write_report)

NASTY = ["=cmd|'/c calc'!A1", "+1", "-2", "@SUM(1)", "a/../b", "line\nbreak", "..", "é名😀", "x" * 400, "%2e", "\\x0a"]


def _rows(students) -> list[Row]:
    rows = []
    for index, student in enumerate(students):
        for e in EXERCISES:
            got = e.points if (index + len(e.id)) % 2 else 0.0
            rows.append(Row(student, e.chapter, e.id, e.title if hasattr(e, "title") else e.id, got, e.points,
                            Status.CORRECT if got else Status.WRONG, f"=HYPERLINK(\"x\") for {student}"))
    rows.append(Row(students[0], 0, "notes.ipynb", "(ignored)", 0.0, 0, Status.IGNORED, "not an exercise notebook"))
    return rows


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_points_csv_has_one_row_per_student_and_one_column_per_exercise():
    rows = _rows(["alice", "bob"])
    table = _read(points_csv(rows))
    assert table[0] == ["student"] + [e.id for e in EXERCISES] + ["total", "max"]
    assert [line[0] for line in table[1:]] == ["alice", "bob"]
    for line in table[1:]:
        own = {r.exercise: r.points for r in rows if r.student == line[0] and r.status != Status.IGNORED}
        assert [float(v) for v in line[1:-2]] == [own[e.id] for e in EXERCISES]
        assert float(line[-2]) == pytest.approx(sum(own.values())) and int(line[-1]) == sum(e.points for e in EXERCISES)


def test_canvas_csv_has_canvas_columns_points_possible_and_chapter_totals():
    rows = _rows(["alice"])
    table = _read(canvas_csv(rows))
    assert table[0][:5] == CANVAS_COLUMNS and len(table[0]) == 5 + len(CHAPTERS)
    assert table[1][0] == "Points Possible"
    assert [int(v) for v in table[1][5:]] == [sum(e.points for e in of_chapter(c)) for c in CHAPTERS]
    alice = table[2]
    assert alice[0] == alice[3] == "alice"
    for c, value in zip(CHAPTERS, alice[5:]):
        assert float(value) == pytest.approx(sum(r.points for r in rows if r.chapter == c and r.status != Status.IGNORED))


def test_gradescope_csv_has_name_sid_email_and_total_score():
    rows = _rows(["bob"])
    table = _read(gradescope_csv(rows))
    assert table[0][:3] == ["Name", "SID", "Email"] and table[0][-1] == "Total Score"
    assert float(table[1][-1]) == pytest.approx(sum(r.points for r in rows))


@pytest.mark.parametrize("writer", [points_csv, canvas_csv, gradescope_csv])
def test_no_cell_is_a_formula_or_breaks_a_line(writer):
    for line in _read(writer(_rows(NASTY))):
        for cell in line:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r") and "\n" not in cell, cell


def test_feedback_file_names_are_safe_and_one_to_one():
    names = NASTY + ["a%2fb", "a/b", "A", "a", "x" * 401]
    files = [feedback_file_name(n) for n in names]
    assert len(set(files)) == len(names)
    for f in files:
        assert "/" not in f and "\0" not in f and "\n" not in f and not f.startswith((".", "-"))
        assert len(f.encode()) <= 255 and f.endswith(".md")


def test_write_report_writes_points_feedback_and_the_chosen_format(tmp_path):
    rows = _rows(NASTY)
    result = GradingResult(rows, 1.0, "userns", {})
    write_report(result, tmp_path, "canvas")
    assert {p.name for p in tmp_path.iterdir()} == {"grades.csv", "summary.md", "points.csv", "feedback", "canvas.csv"}
    feedback = sorted((tmp_path / "feedback").iterdir())
    assert len(feedback) == len(NASTY) and all(p.parent == tmp_path / "feedback" for p in feedback)
    text = (tmp_path / "feedback" / feedback_file_name("line\nbreak")).read_text()
    assert text.startswith("# Feedback for line\\\\x0abreak\n") and "\n#" not in text[1:]
    assert oct(os.stat(feedback[0]).st_mode & 0o777) == "0o600"
    with pytest.raises(ValueError, match="unknown grade format"):
        write_report(result, tmp_path, "moodle")


def test_a_planted_link_for_the_feedback_folder_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "feedback").symlink_to(elsewhere)
    with pytest.raises(OSError, match="symbolic link"):
        write_report(GradingResult(_rows(["alice"]), 1.0, "userns", {}), out)
    assert not list(elsewhere.iterdir())
