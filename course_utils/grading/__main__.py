"""`python -m course_utils.grading SUBMISSIONS_DIR --out REPORT_DIR`: grade a whole class."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .harness import GradingError, grade_folder
from .report import totals, write_report
from .sandbox import Limits, isolation_level


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.grading", description=__doc__)
    parser.add_argument("submissions", type=Path, help="folder of <student>/NN_exercises.ipynb or <student>.ipynb")
    parser.add_argument("--out", type=Path, default=Path("grading_reports"), help="where grades.csv and summary.md go")
    parser.add_argument("--timeout", type=float, default=Limits.wall_seconds, help="seconds per notebook (wall clock)")
    parser.add_argument("--cell-timeout", type=float, default=Limits.cell_seconds, help="seconds per cell")
    parser.add_argument("--workers", type=int, default=2, help="notebooks graded at the same time")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder of submissions.")
    if isolation_level() != "full":
        print("warning: not running as root, so submissions cannot be moved into their own namespaces "
              "and user: they run with resource limits only and could read the hidden tests.", file=sys.stderr)
    try:
        result = grade_folder(args.submissions, Limits(wall_seconds=args.timeout, cell_seconds=args.cell_timeout),
                              workers=args.workers)
    except GradingError as exc:
        print(f"grading failed: {exc}", file=sys.stderr)
        return 2
    csv_path, summary = write_report(result, args.out)
    for student, (points, maximum) in sorted(totals(result.rows).items()):
        print(f"{student}: {points:g} / {maximum}")
    print(f"{csv_path} and {summary} written in {result.seconds:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
