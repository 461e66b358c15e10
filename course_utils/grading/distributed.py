"""Grading past one machine: each student is one task on a Dask distributed cluster.

`grade_on_cluster(submissions, scheduler)` makes the same rows, report and exit code as the local
pool (`harness.grade_folder`): the same `harness.plan_class` decides what runs, every notebook
still runs in its own sandbox (now on the worker) and is judged there by the worker's own copy of
the hidden tests, and the rows come back sorted the same way.

Reference solutions run once per chapter as tasks on the workers (not on the teacher's machine):
the teacher's login node need not be able to build a sandbox, and the students' tasks take the
reference's result as an input, so Dask ships it to every worker and nothing runs it twice.

A worker that dies mid-task (killed, out of memory, machine lost) makes the scheduler rerun the
task elsewhere (`distributed.scheduler.allowed-failures`, 3 by default); a task that still cannot
finish gives that student "could not grade" rows: no student is ever silently dropped.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .harness import (GradingError, GradingResult, Problem, ProblemKind, UidPool, _could_not_grade, _reference_problem,
                      check_sandbox, grader_failed_rows, judge_run, plan_class, reference_failed_rows,
                      reference_notebook, run_notebook, run_student)
from .sandbox import Isolation, Limits, prepare_course_copy

if TYPE_CHECKING:
    from distributed import Client

    from .harness import Row, Run

_worker_lock = threading.Lock()
_worker_state: dict = {}  # per worker process: the course copy, the uid pool, the sandbox check


def _worker_setup(level: Isolation) -> tuple[Path, UidPool, list[str]]:
    """Once per worker process: the stubbed course copy and a check that a sandbox can be built here."""
    with _worker_lock:
        if level not in _worker_state:
            # The hidden tests are imported before any submission runs on this worker.
            from .hidden import tests as _hidden_tests  # noqa: F401

            course_copy = Path(tempfile.mkdtemp(prefix="course-grading-course-"))
            missing = prepare_course_copy(course_copy)
            uids = UidPool()
            try:
                check_sandbox(uids, course_copy, level, where="worker")
            except GradingError:
                shutil.rmtree(course_copy, ignore_errors=True)
                raise
            _worker_state[level] = (course_copy, uids, missing)
        return _worker_state[level]


def reference_task(chapter: int, limits: Limits, level: Isolation) -> Run:
    """On a worker: the chapter's solved notebook run in a sandbox (a harness.Run)."""
    course_copy, uids, _ = _worker_setup(level)
    return run_notebook(reference_notebook(chapter), chapter, limits, uids.take(), course_copy, level)


def student_task(name: str, jobs: list, references: dict, ref_problems: dict, limits: Limits,
                 level: Isolation) -> tuple[list[Row], dict, list[str]]:
    """On a worker: one student's notebooks (one session, see harness.run_student), judged here.
    → (rows, runs, missing stubs)."""
    course_copy, uids, missing = _worker_setup(level)
    rows, runs = [], {}
    rows += [r for chapter, _, _ in jobs if ref_problems[chapter] for r in reference_failed_rows(name, chapter)]
    jobs = [job for job in jobs if not ref_problems[job[0]]]
    try:
        first_runs = run_student([(data, chapter) for chapter, _, data in jobs], limits, uids, course_copy, level,
                                 repr(name))
    except Exception as exc:  # noqa: BLE001 - as locally: the student gets a reason, the class goes on
        return rows + [r for chapter, _, _ in jobs for r in grader_failed_rows(name, chapter, exc)], runs, missing
    for (chapter, nb_name, data), run in zip(jobs, first_runs):
        try:
            def rerun():  # a fresh uid only if it is needed
                return run_notebook(data, chapter, limits, uids.take(), course_copy, level)
            chapter_rows, runs[(name, nb_name)] = judge_run(name, chapter, run, rerun, references[chapter], limits)
            rows += chapter_rows
        except Exception as exc:  # noqa: BLE001 - as locally: one notebook never stops the student's others
            rows += grader_failed_rows(name, chapter, exc)
    return rows, runs, missing


def _lost(name: str, jobs: list, exc: BaseException) -> list:
    why = f"the cluster lost this student's task ({type(exc).__name__}); grade them again"
    return [row for chapter, _, _ in jobs for row in _could_not_grade(name, chapter, why)]


def grade_on_cluster(submissions: Path, scheduler: str | Client, limits: Limits | None = None,
                     level: Isolation | None = None, retries: int = 1) -> GradingResult:
    """`grade_folder` on a Dask cluster. `scheduler`: an address ("tcp://host:8786") or a Client.
    `retries`: extra tries of a task that raised (a worker's death is retried by the scheduler)."""
    from distributed import Client

    start = time.monotonic()
    limits = limits or Limits()
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        level = level or cluster_isolation(client)
        rows, plans = plan_class(Path(submissions), level)
        needed = sorted({chapter for jobs in plans.values() for chapter, _, _ in jobs})
        ref_futures = {c: client.submit(reference_task, c, limits, level, pure=False, retries=retries,
                                        key=f"reference-{c}-{time.time_ns()}") for c in needed}
        # a Dask future has .result(), as _reference_problem expects
        ref_problems = {c: _reference_problem(c, f, limits) for c, f in ref_futures.items()}
        problems = [Problem(ProblemKind.REFERENCE_FAILED, p) for p in ref_problems.values() if p]
        references = {c: f for c, f in ref_futures.items() if not ref_problems[c]}  # futures: shipped by Dask
        futures = {name: client.submit(student_task, name, jobs, references, ref_problems, limits, level,
                                       pure=False, retries=retries)
                   for name, jobs in plans.items() if jobs}
        runs, missing = {}, set()
        for name, future in futures.items():
            try:
                student_rows, student_runs, student_missing = future.result()
                rows += student_rows
                runs.update(student_runs)
                missing.update(student_missing)
            except Exception as exc:  # noqa: BLE001 - KilledWorker, a worker that cannot sandbox, ...
                print(f"grading {name!r} on the cluster: {exc!r}", file=sys.stderr)
                rows += _lost(name, plans[name], exc)
        if missing:
            problems.insert(0, Problem(ProblemKind.STUBS_NOT_FOUND, "FORBIDDEN_IN_GRADING names not found (renamed?), "
                                       "left callable: " + ", ".join(sorted(missing))))
    finally:
        if client is not scheduler:
            client.close()
    rows.sort(key=lambda r: (r.student, r.chapter, r.exercise))
    return GradingResult(rows, time.monotonic() - start, level, runs, problems, [])


def _worker_level() -> str:
    from .sandbox import isolation_level

    return str(isolation_level())


def cluster_isolation(client: Client) -> Isolation:
    """The weakest isolation any of the cluster's workers can build (what the CLI checks before grading)."""
    levels = {Isolation(v) for v in client.run(_worker_level).values()}
    for level in (Isolation.NONE, Isolation.USERNS, Isolation.ROOT):
        if level in levels:
            return level
    raise GradingError("the Dask cluster has no workers; start some (dask worker ADDRESS) and try again.")


__all__ = ["cluster_isolation", "grade_on_cluster", "reference_task", "student_task"]
