"""Grading a class: one sandbox per notebook (the path before sessions) vs one session per student.

    .venv/bin/python bench/grading.py [--students 20] [--chapters 1 2 3 4] [--workers 2] [--alone-students 3]

Honest students (the solved notebooks, each made unique by its student's name) are graded by
`grade_folder` with sessions (a pre-imported template forks one child per notebook, see
grading/session.py). The baseline, measured in the same run, runs `--alone-students` of them
with every notebook in a fresh sandbox of its own, as before. Prints the cost per notebook of
both (wall and CPU seconds), the ratio, and the whole class's time against the issue's goal
(20 students x 4 chapters under 5 minutes on 2 cores). Every notebook must score full marks.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL_SECONDS = 300


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def write_class(folder: Path, students: int, chapters: list[int]) -> None:
    import nbformat

    from course_utils.grading.build import build_notebook, notebook_name

    for chapter in chapters:
        solved = build_notebook(chapter, solved=True)
        for index in range(students):
            solved.metadata["student"] = f"student{index:02d}"   # not byte-identical to the reference
            (folder / f"student{index:02d}").mkdir(exist_ok=True)
            nbformat.write(solved, folder / f"student{index:02d}" / notebook_name(chapter))


def alone(folder: Path, students: int, workers: int) -> tuple[float, float, int]:
    """The baseline: every notebook of the first `students` in its own fresh sandbox."""
    from course_utils.grading import harness, sandbox

    course = Path(tempfile.mkdtemp(prefix="bench-grading-course-"))
    sandbox.prepare_course_copy(course)
    level, uids, limits = sandbox.isolation_level(), harness.UidPool(), sandbox.Limits()
    jobs = [(path.read_bytes(), harness.notebook_chapter(path)) for student in sorted(folder.iterdir())[:students]
            for path in sorted(student.glob("*.ipynb"))]
    cpu, start = children_cpu(), time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        runs = list(pool.map(lambda job: harness.run_notebook(*job, limits, uids.take(), course, level), jobs))
    wall, cpu = time.monotonic() - start, children_cpu() - cpu
    sandbox.remove_tree(course)
    complete = sum(len(run.answers) == 4 for run in runs)
    return wall, cpu, len(jobs) if complete == len(jobs) else -complete


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--chapters", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--alone-students", type=int, default=3)
    args = parser.parse_args()

    from course_utils.grading.harness import grade_folder
    from course_utils.grading.sandbox import isolation_level

    print(f"isolation: {isolation_level()}; {args.students} honest students x chapters {args.chapters}, "
          f"{args.workers} workers, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as folder:
        folder = Path(folder) / "class"
        folder.mkdir()
        write_class(folder, args.students, args.chapters)
        base_wall, base_cpu, base_count = alone(folder, args.alone_students, args.workers)
        if base_count < 0:
            sys.exit(f"the baseline runs lost answers ({-base_count} complete)")
        cpu, start = children_cpu(), time.monotonic()
        result = grade_folder(folder, workers=args.workers)
        wall, cpu = time.monotonic() - start, children_cpu() - cpu
    notebooks = args.students * len(args.chapters)
    wrong = [r for r in result.rows if r.status != "correct" and r.chapter in args.chapters]
    if wrong:
        sys.exit(f"{len(wrong)} exercises not correct, e.g. {wrong[0]}")
    # the class's time includes its reference runs (one sandbox per chapter): per notebook it is an upper bound
    print(f"{'':28s}{'wall s/notebook':>16s}{'CPU s/notebook':>16s}")
    print(f"{'one sandbox per notebook':28s}{base_wall / base_count:16.2f}{base_cpu / base_count:16.2f}"
          f"   ({base_count} notebooks)")
    print(f"{'one session per student':28s}{wall / notebooks:16.2f}{cpu / notebooks:16.2f}"
          f"   ({notebooks} notebooks + {len(args.chapters)} references)")
    print(f"speed-up per notebook: wall {base_wall / base_count / (wall / notebooks):.1f}x, "
          f"CPU {base_cpu / base_count / (cpu / notebooks):.1f}x")
    estimate = base_wall / base_count * notebooks
    print(f"whole class: {wall:.0f} s with sessions (one sandbox per notebook: ~{estimate:.0f} s, from the baseline); "
          f"goal {GOAL_SECONDS} s: {'met' if wall < GOAL_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
