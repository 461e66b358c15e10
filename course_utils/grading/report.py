"""Write the grading results: a per-student, per-exercise CSV and a readable Markdown summary."""
from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import asdict, fields
from pathlib import Path

from .harness import GradingResult, Row


def write_csv(rows: list[Row], path: Path) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(Row)])
        writer.writeheader()
        writer.writerows(asdict(row) for row in rows)
    return path


def totals(rows: list[Row]) -> dict[str, tuple[float, int]]:
    """student → (points, max points)."""
    sums = defaultdict(lambda: [0.0, 0])
    for row in rows:
        sums[row.student][0] += row.points
        sums[row.student][1] += row.max_points
    return {student: (round(p, 2), m) for student, (p, m) in sums.items()}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_markdown(result: GradingResult) -> str:
    rows = result.rows
    student_totals = totals(rows)
    lines = ["# Grading summary", "",
             f"{len(student_totals)} students, {len(result.runs)} notebooks run in {result.seconds:.0f} s "
             f"(isolation: {result.isolation}).", "", "| student | points | of |", "|---|---:|---:|"]
    lines += [f"| {_cell(s)} | {p:g} | {m} |" for s, (p, m) in sorted(student_totals.items())]
    by_student = defaultdict(list)
    for row in rows:
        by_student[row.student].append(row)
    marks = {"correct": "✅", "partial": "◐", "wrong": "❌", "missing": "⏳", "ignored": "·"}
    for student, student_rows in sorted(by_student.items()):
        p, m = student_totals[student]
        lines += ["", f"## {student}: {p:g} / {m}", ""]
        shown_missing = set()
        for r in student_rows:
            if r.feedback.startswith("no notebook for chapter"):  # one line per chapter, not per exercise
                if r.chapter not in shown_missing:
                    shown_missing.add(r.chapter)
                    lines.append(f"- {marks['missing']} chapter {r.chapter}: {r.feedback}")
                continue
            lines.append(f"- {marks.get(r.status, '?')} **{r.exercise}** {r.title} — {r.points:g}/{r.max_points}: "
                         f"{_cell(r.feedback)}")
    return "\n".join(lines) + "\n"


def write_report(result: GradingResult, out_dir: Path) -> tuple[Path, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = write_csv(result.rows, out_dir / "grades.csv")
    summary = out_dir / "summary.md"
    summary.write_text(summary_markdown(result))
    return csv_path, summary
