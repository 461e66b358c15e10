"""Write the grading results: a per-student, per-exercise CSV and a readable Markdown summary.

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


def write_report(result: GradingResult, out_dir: Path) -> tuple[Path, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    csv_path, summary = out_dir / "grades.csv", out_dir / "summary.md"
    _write_private(csv_path, csv_text(result.rows))
    _write_private(summary, summary_markdown(result))
    return csv_path, summary
