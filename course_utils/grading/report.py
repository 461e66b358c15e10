"""Write the grading results: a per-student, per-exercise CSV and a readable Markdown summary;
for the teacher also points.csv (one row per student, one column per exercise), a feedback file
per student to hand back (feedback/<name>.md) and, on request, a Canvas or Gradescope import CSV.

Every string that came from a submission (student and notebook names, feedback quoting a
student's error or answer) is escaped for the output it lands in: `for_csv` (no spreadsheet
formulas, no control characters), `for_markdown` (no new lines, headings, HTML or links),
`for_terminal` (no ANSI escapes or other control characters). Reports go outside the checkout.
"""
from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections import defaultdict
from dataclasses import asdict, fields
from pathlib import Path

from .exercises import CHAPTERS, EXERCISES
from .harness import GradingResult, Row, Status
from ..paths import REPO_ROOT

DEFAULT_REPORT_DIR = Path(os.environ.get("COURSE_GRADING_REPORTS") or Path.home() / "course-grading-reports")
MAX_FIELD_CHARS = 2000


def _visible(text) -> str:
    """Control and format characters (newlines, ESC, bidi overrides, ...) shown as \\xNN / \\uNNNN,
    and a backslash doubled, so no name can pose as the escaped form of another."""
    out = []
    for char in str(text)[:MAX_FIELD_CHARS]:
        if char == "\\":
            out.append("\\\\")
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def for_terminal(text: str) -> str:
    return _visible(text)


def for_csv(value: object) -> object:
    """A cell a spreadsheet shows as text: no formula (= + - @ tab CR first), no control chars."""
    if not isinstance(value, str):
        return value
    text = _visible(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r", "'") else text


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def for_markdown(text: str) -> str:
    """Inline Markdown that renders as the literal text: escapes markup, HTML and line breaks."""
    text = _visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def csv_text(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[f.name for f in fields(Row)])
    writer.writeheader()
    writer.writerows({k: for_csv(v) for k, v in asdict(row).items()} for row in rows)
    return buffer.getvalue()


def totals(rows: list[Row]) -> dict[str, tuple[float, int]]:
    """student → (points, max points)."""
    sums = defaultdict(lambda: [0.0, 0])
    for row in rows:
        sums[row.student][0] += row.points
        sums[row.student][1] += row.max_points
    return {student: (round(p, 2), m) for student, (p, m) in sums.items()}


def summary_markdown(result: GradingResult) -> str:
    rows = result.rows
    student_totals = totals(rows)
    lines = ["# Grading summary", "",
             f"{len(student_totals)} students, {len(result.runs)} notebooks run in {result.seconds:.0f} s "
             f"(isolation: {result.isolation}).", ""]
    lines += [f"- grader problem: {for_markdown(str(p))}" for p in getattr(result, "problems", [])]
    lines += ["", "| student | points | of |", "|---|---:|---:|"]
    lines += [f"| {for_markdown(s)} | {p:g} | {m} |" for s, (p, m) in sorted(student_totals.items())]
    by_student = defaultdict(list)
    for row in rows:
        by_student[row.student].append(row)
    marks = {Status.CORRECT: "✅", Status.PARTIAL: "◐", Status.WRONG: "❌", Status.MISSING: "⏳",
             Status.NOT_SUBMITTED: "⏳", Status.IGNORED: "·", Status.ERROR: "⚠"}
    for student, student_rows in sorted(by_student.items()):
        p, m = student_totals[student]
        lines += ["", f"## {for_markdown(student)}: {p:g} / {m}", ""]
        shown = set()
        for r in student_rows:
            if Status(r.status).whole_chapter:  # one line per chapter
                if (r.chapter, r.feedback) not in shown:
                    shown.add((r.chapter, r.feedback))
                    lines.append(f"- {marks.get(r.status, '?')} chapter {r.chapter}: {for_markdown(r.feedback)}")
                continue
            lines.append(f"- {marks.get(r.status, '?')} **{for_markdown(r.exercise)}** {for_markdown(r.title)} — "
                         f"{r.points:g}/{r.max_points}: {for_markdown(r.feedback)}")
    return "\n".join(lines) + "\n"


def check_report_dir(out_dir: Path, submissions: Path | None = None) -> Path:
    """The report folder, refused inside the checkout or the submissions (both are read later)."""
    out_dir = Path(out_dir).expanduser().resolve()
    for inside, what in ((REPO_ROOT, "the course checkout (the next class's submissions could read it)"),
                         (submissions, "the submissions folder")):
        if inside is not None and (out_dir == Path(inside).resolve() or Path(inside).resolve() in out_dir.parents):
            raise ValueError(f"the report folder {out_dir} is inside {what}; pick another with --out.")
    return out_dir


def _write_private(path: Path, text: str) -> None:
    """Create/replace `path` without following a link planted there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
        handle.write(text)


def _table(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([for_csv(v) for v in row] for row in rows)
    return buffer.getvalue()


def _points(rows: list[Row]) -> dict[str, dict[str, float]]:
    """student → exercise id → points (ignored files are no exercise)."""
    table = defaultdict(dict)
    for row in rows:
        table[row.student]  # every student gets a line, even one with only ignored files
        if row.status != Status.IGNORED:
            table[row.student][row.exercise] = row.points
    return table


def points_csv(rows: list[Row]) -> str:
    """One row per student, one column per exercise (points), then total and max."""
    maximum = sum(e.points for e in EXERCISES)
    lines = [[s] + [f"{got.get(e.id, 0.0):g}" for e in EXERCISES] + [f"{round(sum(got.values()), 2):g}", maximum]
             for s, got in sorted(_points(rows).items())]
    return _table(["student"] + [e.id for e in EXERCISES] + ["total", "max"], lines)


CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def canvas_csv(rows: list[Row], assignment: str = "Seeing inside convnets") -> str:
    """Canvas gradebook import: its five student columns, then one assignment column per chapter and a
    "Points Possible" row. Canvas matches a row by ID, SIS User ID or SIS Login ID: the folder name is
    put in "SIS Login ID" (name the folders by login, or fill in the IDs before importing)."""
    chapter_max = {c: sum(e.points for e in EXERCISES if e.chapter == c) for c in CHAPTERS}
    header = CANVAS_COLUMNS + [f"{assignment}: chapter {c}" for c in CHAPTERS]
    lines = [["Points Possible", "", "", "", ""] + [chapter_max[c] for c in CHAPTERS]]
    chapter_of = {e.id: e.chapter for e in EXERCISES}
    for student, got in sorted(_points(rows).items()):
        by_chapter = [round(sum(p for e_id, p in got.items() if chapter_of.get(e_id) == c), 2) for c in CHAPTERS]
        lines.append([student, "", "", student, ""] + [f"{v:g}" for v in by_chapter])
    return _table(header, lines)


def gradescope_csv(rows: list[Row]) -> str:
    """Gradescope score upload: Name, SID, Email, one column per exercise, Total Score. Gradescope
    matches rows by Email or SID: the folder name goes in SID (fill in emails if the roster uses them)."""
    lines = [[s, s, ""] + [f"{got.get(e.id, 0.0):g}" for e in EXERCISES] + [f"{round(sum(got.values()), 2):g}"]
             for s, got in sorted(_points(rows).items())]
    return _table(["Name", "SID", "Email"] + [e.id for e in EXERCISES] + ["Total Score"], lines)


FORMATS = {"canvas": canvas_csv, "gradescope": gradescope_csv}
_UNSAFE_IN_FILE_NAMES = re.compile(r"[^\w\- ]|^[ -]")


def feedback_file_name(student: str) -> str:
    """A file name for any student name (newlines, slashes, dots, unicode): the escaped name with
    every other character as %XXXX (one to one, so two students never share a file), capped in length."""
    name = _UNSAFE_IN_FILE_NAMES.sub(lambda m: f"%{ord(m.group()):06x}", _visible(student)) or "%"
    if len(name.encode()) > 200:  # file names are at most 255 bytes: a digest keeps long names apart
        import hashlib

        name = name.encode()[:180].decode("utf-8", "ignore") + "~" + hashlib.sha256(student.encode()).hexdigest()[:16]
    return name + ".md"


def feedback_markdown(student: str, rows: list[Row]) -> str:
    """What one student gets back: their points per exercise and the grader's words."""
    own = [r for r in rows if r.student == student]
    points, maximum = totals(own).get(student, (0, 0))
    lines = [f"# Feedback for {for_markdown(student)}", "", f"Total: {points:g} / {maximum} points.", ""]
    shown = set()
    for r in own:
        if Status(r.status).whole_chapter:
            if (r.chapter, r.feedback) not in shown:
                shown.add((r.chapter, r.feedback))
                lines.append(f"- chapter {r.chapter}: {for_markdown(r.feedback)}")
        elif r.status == Status.IGNORED:
            lines.append(f"- file {for_markdown(r.exercise)}: ignored, {for_markdown(r.feedback)}")
        else:
            lines.append(f"- **{for_markdown(r.exercise)}** {for_markdown(r.title)}: {r.points:g} / {r.max_points}"
                         f" ({Status(r.status)}): {for_markdown(r.feedback)}")
    return "\n".join(lines) + "\n"


def write_report(result: GradingResult, out_dir: Path, fmt: str | None = None) -> tuple[Path, Path]:
    """grades.csv, summary.md, points.csv, feedback/<student>.md and, with `fmt`, canvas.csv or gradescope.csv."""
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown grade format {fmt!r}; use one of {sorted(FORMATS)} (or none).")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    csv_path, summary = out_dir / "grades.csv", out_dir / "summary.md"
    _write_private(csv_path, csv_text(result.rows))
    _write_private(summary, summary_markdown(result))
    _write_private(out_dir / "points.csv", points_csv(result.rows))
    feedback = out_dir / "feedback"
    if feedback.is_symlink():  # a planted link would send the files elsewhere
        raise OSError(f"{feedback} is a symbolic link; remove it or pick another --out")
    feedback.mkdir(exist_ok=True, mode=0o700)
    for student in sorted({r.student for r in result.rows}):
        _write_private(feedback / feedback_file_name(student), feedback_markdown(student, result.rows))
    if fmt is not None:
        _write_private(out_dir / f"{fmt}.csv", FORMATS[fmt](result.rows))
    return csv_path, summary
