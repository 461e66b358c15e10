"""`python -m course_utils.grading SUBMISSIONS_DIR [--out REPORT_DIR]`: grade a whole class.

Every notebook runs in its own sandbox (namespaces as root, unprivileged user namespaces
otherwise). The report (grades.csv, summary.md) goes to ~/course-grading-reports unless --out
(or $COURSE_GRADING_REPORTS) names another folder outside the checkout and the submissions;
with it points.csv, feedback/<student>.md and, with --format, canvas.csv or gradescope.csv.
With --scheduler ADDRESS each student is one task on that Dask distributed cluster (each notebook
still in its own sandbox, on the worker); without it, a local pool of --workers.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .harness import GradingError, ProblemKind, grade_folder
from .report import DEFAULT_REPORT_DIR, FORMATS, check_report_dir, for_terminal, totals, write_report
from .sandbox import NO_ISOLATION_WARNING, Isolation, Limits, isolation_level


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", type=Path, help="folder of <student>/NN_exercises.ipynb or <student>.ipynb")
    parser.add_argument("--out", type=Path, default=DEFAULT_REPORT_DIR,
                        help=f"where grades.csv and summary.md go (default {DEFAULT_REPORT_DIR})")
    parser.add_argument("--timeout", type=float, default=Limits.wall_seconds, help="seconds per notebook (wall clock)")
    parser.add_argument("--cell-timeout", type=float, default=Limits.cell_seconds, help="seconds per cell")
    parser.add_argument("--workers", type=int, default=2, help="notebooks graded at the same time")
    parser.add_argument("--no-isolation", action="store_true",
                        help="grade even where no sandbox is possible (submissions run as you: trusted work only)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="grade on this Dask distributed scheduler (e.g. tcp://host:8786), one task per student")
    parser.add_argument("--format", choices=sorted(FORMATS), help="also write an importable CSV for this gradebook")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder of submissions.")
    try:
        out_dir = check_report_dir(args.out, args.submissions)
    except ValueError as exc:
        parser.error(str(exc))
    client = None
    if args.scheduler:
        try:
            from distributed import Client

            from .distributed import cluster_isolation

            client = Client(args.scheduler, timeout=30)
            level = cluster_isolation(client)  # the workers run the notebooks: their isolation counts
        except (OSError, TimeoutError, GradingError, ImportError) as exc:
            print(f"cannot use the Dask scheduler {for_terminal(args.scheduler)}: {for_terminal(exc)}\n"
                  "(is `dask scheduler` running there, and `distributed` installed?)", file=sys.stderr)
            if client is not None:
                client.close()
            return 2
    else:
        level = isolation_level()
    if level is Isolation.NONE:
        if not args.no_isolation:
            print("cannot isolate submissions here: not root, and unprivileged user namespaces do not work\n"
                  "(`unshare --user --map-root-user true` fails; enable kernel.unprivileged_userns_clone or\n"
                  "grade as root). Refusing to run untrusted notebooks. To grade trusted notebooks anyway,\n"
                  "pass --no-isolation.", file=sys.stderr)
            if client is not None:
                client.close()
            return 2
        print(NO_ISOLATION_WARNING, file=sys.stderr)
    print(f"isolation: {level}", file=sys.stderr)
    limits = Limits(wall_seconds=args.timeout, cell_seconds=args.cell_timeout)
    try:
        if client is not None:
            from .distributed import grade_on_cluster

            with client:
                result = grade_on_cluster(args.submissions, client, limits, level=level)
        else:
            result = grade_folder(args.submissions, limits, workers=args.workers, level=level)
    except GradingError as exc:
        print(f"grading failed: {for_terminal(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # the submissions folder itself cannot be read: nobody can be graded
        print(f"grading failed: {for_terminal(exc)}", file=sys.stderr)
        return 2
    try:
        csv_path, summary = write_report(result, out_dir, args.format)
    except OSError as exc:
        print(f"the report could not be written to {for_terminal(out_dir)}: {for_terminal(exc.strerror or exc)}; "
              "pick a folder you can write with --out", file=sys.stderr)
        return 2
    for problem in result.problems:
        print(f"grader problem: {for_terminal(problem)}", file=sys.stderr)
    for student, (points, maximum) in sorted(totals(result.rows).items()):
        print(f"{for_terminal(student)}: {points:g} / {maximum}")
    print(f"{csv_path} and {summary} written in {result.seconds:.0f} s.")
    return 1 if any(p.kind is ProblemKind.REFERENCE_FAILED for p in result.problems) else 0


if __name__ == "__main__":
    sys.exit(main())
