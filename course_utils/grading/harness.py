"""Grade a folder of submissions: one sandbox session per student, hidden tests in this process.

Layout: SUBMISSIONS/<student>/*.ipynb (one notebook per chapter), or SUBMISSIONS/<student>.ipynb
(read by submissions.py: no links followed, nothing blocks). The chapter of a notebook comes from
its metadata (written by the generator) or its file name. The reference answers come from the
solution notebooks run through the same machinery, each in its own sandbox. A student's notebooks
run one after another in one session (`run_student`, see session.py: the imports are paid once);
a notebook the session gives no trustworthy result for runs again alone, in a fresh sandbox. Every
per-student step is caught: a student the grader cannot handle gets "could not grade: <reason>".
"""
from __future__ import annotations

import itertools
import json
import pwd
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path

from .answers import AnswerFormatError, load_answer
from .exercises import CHAPTERS, of_chapter
from .isolation import BUDGET_EXIT_CODES
from ..paths import REPO_ROOT
from .sandbox import Isolation, Limits, RunOutcome, exposure_problem, isolation_level, prepare_course_copy, run_isolated
from .submissions import Student, discover, read_regular

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
HIDDEN_DIR = Path(__file__).resolve().parent / "hidden"


class Status(StrEnum):
    """What happened to one exercise of one student (the CSV's `status` column)."""
    CORRECT = "correct"
    PARTIAL = "partial"
    WRONG = "wrong"
    MISSING = "missing"              # the notebook ran but this answer did not come back
    NOT_SUBMITTED = "not submitted"  # no notebook for the chapter (a whole-chapter row)
    ERROR = "error"                  # the chapter could not be graded (a whole-chapter row)
    IGNORED = "ignored"              # a file that is no exercise notebook, or a second one

    @property
    def whole_chapter(self) -> bool:
        """Rows the summary shows once per chapter, not once per exercise."""
        return self in (Status.NOT_SUBMITTED, Status.ERROR)


class ProblemKind(Enum):
    STUBS_NOT_FOUND = "stubs not found"        # a FORBIDDEN_IN_GRADING name was renamed
    REFERENCE_FAILED = "reference failed"      # a chapter's solution did not run: its class is ungraded


@dataclass(frozen=True)
class Problem:
    """Something the grader itself could not do, for the teacher (not a student's fault)."""
    kind: ProblemKind
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Row:
    student: str
    chapter: int
    exercise: str
    title: str
    points: float
    max_points: int
    status: Status
    feedback: str


@dataclass
class Run:
    """What one sandboxed notebook run left behind, read defensively."""
    outcome: RunOutcome
    answers: dict = field(default_factory=dict)      # exercise id → answer
    owners: dict = field(default_factory=dict)       # cell index → exercise id (from the cells' metadata)
    unreadable: dict = field(default_factory=dict)   # exercise id → why not
    events: list = field(default_factory=list)


class GradingError(RuntimeError):
    """The grader itself cannot work (e.g. the reference solutions fail)."""


# ---------------------------------------------------------------- reading a notebook (as data)

def _notebook_json(data: bytes) -> dict:
    """A notebook's JSON read defensively: {} when it is too large, unreadable or not an object."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        return {}
    try:
        parsed = json.loads(data.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def chapter_of(data: bytes, name: str) -> int | None:
    """Chapter of a notebook from its metadata or its file name; None if neither says."""
    try:
        chapter = _notebook_json(data).get("metadata", {}).get("exercises", {}).get("chapter")
        if type(chapter) is int and chapter in CHAPTERS:  # exact: True is no chapter
            return chapter
    except (AttributeError, TypeError):
        pass
    match = re.search(r"0?([1-9])_exercises", name.rsplit("/", 1)[-1])
    return int(match.group(1)) if match and int(match.group(1)) in CHAPTERS else None


def notebook_chapter(path: Path) -> int | None:
    """`chapter_of` for a file the teacher names (read without following links)."""
    import os

    fd = os.open(Path(path).parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        data = read_regular(fd, Path(path).name)
    except (OSError, ValueError):
        data = b""
    finally:
        os.close(fd)
    return chapter_of(data, Path(path).name)


def cell_owners(data: bytes) -> dict[int, str]:
    """Which exercise each cell belongs to (its stub or check cell), read as plain JSON."""
    try:
        owners = {}
        for index, cell in enumerate(_notebook_json(data).get("cells", [])):
            role = (cell.get("metadata") or {}).get("grading") or {}
            owner = role.get("solution") or role.get("check")
            if isinstance(owner, str):
                owners[index] = owner
        return owners
    except (AttributeError, TypeError):
        return {}


# ---------------------------------------------------------------- one run

class UidPool:
    """Throwaway uids (no account, no files) so no two runs share one, even across graders
    running at once (a random start in a range no account uses); `taken` lists them."""

    def __init__(self, start: int | None = None):
        import secrets

        self._next = itertools.count(start if start is not None else 1_000_000 + secrets.randbelow(1 << 30))
        self._lock = threading.Lock()
        self.taken: list[int] = []

    def take(self) -> int:
        with self._lock:
            while True:
                uid = next(self._next)
                try:
                    pwd.getpwuid(uid)
                except KeyError:
                    self.taken.append(uid)
                    return uid


def runner_job(chapter: int, limits: Limits) -> dict:
    """What runner.run needs for one notebook of `chapter`: its cell limit and the answer expressions."""
    return {"cell_seconds": limits.cell_seconds,
            "exercises": [{"id": e.id, "answer": e.answer} for e in of_chapter(chapter)]}


def run_notebook(data: bytes, chapter: int, limits: Limits, uid: int, course_copy: Path, level: Isolation) -> Run:
    """Run the notebook `data` in a fresh sandbox and read back what it sent."""
    workdir = Path(tempfile.mkdtemp(prefix="course-grading-"))  # private (0700): only the grader reads it
    exercises = of_chapter(chapter)
    try:
        (workdir / "submission.ipynb").write_bytes(data)
        (workdir / "job.json").write_text(json.dumps(runner_job(chapter, limits)))
        files = {name: workdir / name for name in ("submission.ipynb", "job.json")}
        outcome = run_isolated(["-m", "course_utils.grading.runner", "submission.ipynb", "job.json"], files, limits,
                               uid, course_copy, level)
        run = read_frames(outcome, {e.id for e in exercises})
        run.owners = cell_owners(data)
        return run
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# A session's own allowance on top of its notebooks' limits: the template's imports (~4 CPU s).
SESSION_START_SECONDS = 30


def _session_limits(limits: Limits, count: int) -> Limits:
    """The whole session's limits: each notebook keeps its own inside (the template enforces them)."""
    from dataclasses import replace

    return replace(limits, wall_seconds=count * limits.wall_seconds + SESSION_START_SECONDS,
                   student_cpu_seconds=count * limits.student_cpu_seconds + SESSION_START_SECONDS,
                   cpu_seconds=max(limits.cpu_seconds, SESSION_START_SECONDS))


def _trusted(report: dict) -> bool:
    """A notebook the session reported on that needs no run alone: it ended by itself, timed out
    (its waiting time decides a second run, as alone), or went over its CPU budget. A kill by
    SIGKILL may have been the student's cgroup running out of memory: alone, the grader can say so."""
    code = report.get("returncode")
    return report.get("timed_out") is True or (type(code) is int and code != -int(signal.SIGKILL))


def run_session(notebooks: list[tuple[bytes, int]], limits: Limits, uid: int, course_copy: Path,
                level: Isolation) -> tuple[list[Run | None], str]:
    """Run one student's notebooks [(bytes, chapter)] in one sandbox, one after another, from a
    pre-imported template (session.py). → (a Run per notebook, or None where the session gave no
    trustworthy result and the notebook must run alone; why the session stopped early, or '')."""
    workdir = Path(tempfile.mkdtemp(prefix="course-grading-"))
    try:
        entries, files = [], {}
        for index, (data, chapter) in enumerate(notebooks):
            name = f"submission-{index}.ipynb"
            (workdir / name).write_bytes(data)
            files[name] = workdir / name
            entries.append({"file": name, "job": runner_job(chapter, limits)})
        session = {"notebooks": entries, "limits": {"wall_seconds": limits.wall_seconds,
                   "student_cpu_seconds": limits.student_cpu_seconds, "cpu_exit_code": BUDGET_EXIT_CODES["cpu"]}}
        (workdir / "session.json").write_text(json.dumps(session))
        files["session.json"] = workdir / "session.json"
        whole = _session_limits(limits, len(notebooks))
        outcome = run_isolated(["-m", "course_utils.grading.session", "session.json"], files, whole, uid,
                               course_copy, level, channels=1 + len(notebooks))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    reports, stopped = {}, ""
    for header, _ in outcome.frames:  # the control channel: only the template writes to it
        if isinstance(header, dict) and type(header.get("notebook")) is int:
            if "dirty" in header:
                stopped = f"the sandbox could not be reset after a notebook: {str(header['dirty'])[:200]}"
            else:
                reports[header["notebook"]] = header
    runs = []
    for index, (data, chapter) in enumerate(notebooks):
        report = reports.get(index)
        if report is None or not _trusted(report):
            runs.append(None)
            continue
        frames, problem = outcome.other_channels[index]
        waiting = report.get("waiting_seconds")
        one = RunOutcome(None if report.get("timed_out") else report["returncode"], report.get("timed_out") is True,
                         float(report.get("seconds", 0)), outcome.stderr_tail, frames, problem, False,
                         waiting if isinstance(waiting, (int, float)) else None)
        run = read_frames(one, {e.id for e in of_chapter(chapter)})
        run.owners = cell_owners(data)
        runs.append(run)
    if not stopped and None in runs:
        stopped = _process_reason(outcome, whole) or outcome.channel_problem or "the session ended early"
    return runs, stopped


def run_student(notebooks: list[tuple[bytes, int]], limits: Limits, uids: UidPool, course_copy: Path,
                level: Isolation, who: str = "") -> list[Run]:
    """A Run for each of one student's notebooks: together in one session where that saves the
    imports, and alone (a fresh sandbox each) for every notebook the session gave no result for."""
    runs: list[Run | None] = [None] * len(notebooks)
    if len(notebooks) > 1 and level != Isolation.NONE:
        runs, stopped = run_session(notebooks, limits, uids.take(), course_copy, level)
        if stopped:
            print(f"grading {who or 'a student'}: {sum(r is None for r in runs)} notebook(s) again, each alone: "
                  f"{stopped}", file=sys.stderr)
    return [run if run is not None else run_notebook(data, chapter, limits, uids.take(), course_copy, level)
            for run, (data, chapter) in zip(runs, notebooks)]


# The only event fields the grader uses, with the type each must have (anything else is dropped).
EVENT_FIELDS = {"cell": int, "error": str, "exercise": str, "collected": bool, "finished": bool,
                "runner_error": str, "output_dropped": int}


def _clean_event(event: dict) -> dict:
    clean = {}
    for key, kind in EVENT_FIELDS.items():
        value = event.get(key)
        if type(value) is kind:  # exact: a bool is no cell number, a list no message
            clean[key] = value[:500] if kind is str else value
    return clean


def read_frames(outcome: RunOutcome, wanted: set[str]) -> Run:
    """Answers and events from the channel; the last answer sent for an exercise counts."""
    run = Run(outcome)
    for header, payload in outcome.frames:
        if not isinstance(header, dict):
            continue
        exercise = header.get("exercise")
        if header.get("kind") == "event" and isinstance(header.get("event"), dict):
            run.events.append(_clean_event(header["event"]))
        elif header.get("kind") == "answer" and isinstance(exercise, str) and exercise in wanted:
            try:
                run.answers[exercise] = load_answer(payload)
                run.unreadable.pop(exercise, None)
            except AnswerFormatError as exc:
                run.answers.pop(exercise, None)
                run.unreadable[exercise] = str(exc)
    return run


# ---------------------------------------------------------------- feedback

SIGNAL_REASONS = {signal.SIGXCPU: "it used up its CPU-time limit", signal.SIGXFSZ: "it wrote a file larger than the limit",
                  signal.SIGKILL: "it was killed (memory, process or time limit)", signal.SIGSEGV: "it crashed (segfault)"}


def _process_reason(outcome: RunOutcome, limits: Limits) -> str:
    if getattr(outcome, "out_of_memory", False):  # first: a run whose processes the cgroup killed may time out after
        return (f"the notebook's processes together went over the {limits.student_memory_bytes / 2**30:.0f} GB "
                "memory limit (files written count too) and were stopped")
    if outcome.timed_out:
        return f"the notebook ran past the {limits.wall_seconds:.0f} s time limit and was stopped"
    code = outcome.returncode
    if code == BUDGET_EXIT_CODES["cpu"]:
        return (f"the notebook's processes together used more than {limits.student_cpu_seconds} s of CPU time "
                "and were stopped")
    if code == BUDGET_EXIT_CODES["memory"]:
        return (f"the notebook's processes together went over the {limits.student_memory_bytes / 2**30:.0f} GB "
                "memory limit and were stopped")
    if code is not None and code < 0:
        return f"the notebook's process died: {SIGNAL_REASONS.get(-code, f'signal {-code}')}"
    if code:
        return f"the notebook ended its own process (exit code {code}), e.g. os._exit or a crash"
    return ""


def _finished(run: Run) -> bool:
    return any(event.get("finished") for event in run.events)


def _missing_reason(exercise_id: str, run: Run, limits: Limits) -> str:
    if exercise_id in run.unreadable:
        return f"the answer could not be read: {run.unreadable[exercise_id]}"
    for event in run.events:
        if "runner_error" in event:
            return f"the notebook could not be run; its runner reported: {_quoted(event['runner_error'])}"
        if event.get("exercise") == exercise_id and event.get("collected") is False:
            error = str(event.get("error", ""))[:300]
            if error.startswith("AnswerFormatError: the answer is still None"):
                return "not done: the answer is still None (the stub was not filled in)"
            return f"the answer could not be computed; the notebook reported: {_quoted(error)}"
    why = run.outcome.channel_problem or _process_reason(run.outcome, limits) or (
        "the notebook stopped before this answer was collected" if _finished(run)
        else "the notebook ended its own process early (exit code 0, e.g. os._exit(0))")
    return f"no answer: {why}"


def _quoted(text) -> str:
    """Text a submission sent (error messages), marked as its words, not the grader's."""
    return "«" + str(text)[:300].replace("«", "‹").replace("»", "›") + "»"


def _cell_errors(run: Run, exercise_id: str, limit: int = 3) -> str:
    """Errors raised in this exercise's own cells, or in cells that belong to no exercise (set-up)."""
    errors = [f"cell {e['cell']}: {_quoted(str(e['error'])[:160])}" for e in run.events
              if "error" in e and "cell" in e and run.owners.get(e["cell"], exercise_id) == exercise_id]
    return ("; errors while running: " + " | ".join(errors[:limit])) if errors else ""


def grade_chapter(student: str, chapter: int, run: Run, reference: Run, limits: Limits) -> list[Row]:
    from .hidden.tests import grade

    rows = []
    for exercise in of_chapter(chapter):
        if exercise.id in run.answers:
            try:
                fraction, message = grade(exercise.id, run.answers[exercise.id], reference.answers[exercise.id])
                fraction = min(1.0, max(0.0, float(fraction)))
                status = Status.CORRECT if fraction >= 1 else (Status.PARTIAL if fraction > 0 else Status.WRONG)
            except Exception as exc:  # noqa: BLE001 - an answer of a form the hidden test did not expect
                fraction, status = 0.0, Status.WRONG
                message = f"could not grade: the answer has an unexpected form ({type(exc).__name__})"
        else:
            fraction, message, status = 0.0, _missing_reason(exercise.id, run, limits), Status.MISSING
        if status is not Status.CORRECT:
            message += _cell_errors(run, exercise.id)
        rows.append(Row(student, chapter, exercise.id, exercise.title, round(fraction * exercise.points, 3),
                        exercise.points, status, message))
    return rows


def _rows_for_all(student: str, chapter: int, status: Status, message: str) -> list[Row]:
    return [Row(student, chapter, e.id, e.title, 0.0, e.points, status, message) for e in of_chapter(chapter)]


# ---------------------------------------------------------------- a whole class

@dataclass
class GradingResult:
    rows: list[Row]
    seconds: float
    isolation: str
    runs: dict  # (student, notebook name) → seconds
    problems: list[Problem] = field(default_factory=list)  # for the teacher: what the grader itself could not do
    uids: list = field(default_factory=list)      # the throwaway uids the runs used (root mode)


def _could_not_grade(student: str, chapter: int, reason: str) -> list[Row]:
    return _rows_for_all(student, chapter, Status.ERROR, f"could not grade: {reason}")


def _plan(student: Student, rows: list[Row]) -> list[tuple[int, str, bytes]]:
    """(chapter, notebook name, bytes) to run for one student; rows for what cannot be run."""
    if student.problem:
        for chapter in CHAPTERS:
            rows += _could_not_grade(student.name, chapter, student.problem)
        return []
    jobs, seen, unreadable = [], set(), []
    for notebook in student.notebooks:
        chapter = chapter_of(notebook.data, notebook.name)
        if notebook.problem:
            if chapter is not None and chapter not in seen:
                seen.add(chapter)
                rows += _could_not_grade(student.name, chapter, notebook.problem)
            else:
                unreadable.append(notebook.problem)
            continue
        if chapter is None or chapter in seen:
            what = "not an exercise notebook" if chapter is None else f"a second notebook for chapter {chapter}"
            rows.append(Row(student.name, 0, notebook.name, "(ignored)", 0.0, 0, Status.IGNORED, what))
            continue
        seen.add(chapter)
        jobs.append((chapter, notebook.name, notebook.data))
    for chapter in CHAPTERS:
        if chapter not in seen:
            why = ("could not grade: " + "; ".join(unreadable)[:400]) if unreadable else \
                f"no notebook for chapter {chapter} was submitted"
            rows += _rows_for_all(student.name, chapter, Status.ERROR if unreadable else Status.NOT_SUBMITTED, why)
    return jobs


def reference_notebook(chapter: int) -> bytes:
    """The solved notebook built from the hidden master now, so it always matches EXERCISES."""
    import nbformat

    from .build import build_notebook

    return nbformat.writes(build_notebook(chapter, solved=True)).encode()


def _reference_runs(chapters, pool, limits, uids, course_copy, level) -> dict:
    futures = {}
    for chapter in chapters:
        data = reference_notebook(chapter)
        futures[chapter] = pool.submit(run_notebook, data, chapter, limits, uids.take(), course_copy, level)
    return futures


def _reference_problem(chapter: int, future, limits: Limits) -> str:
    try:
        ref = future.result()
    except Exception as exc:  # noqa: BLE001 - reported to the teacher, grading goes on
        return f"the reference solution of chapter {chapter} could not be run: {exc}"
    missing = [e.id for e in of_chapter(chapter) if e.id not in ref.answers]
    if missing:
        return (f"the reference solution of chapter {chapter} did not produce {missing}: "
                f"{_process_reason(ref.outcome, limits)} {ref.events[-3:]} {ref.outcome.stderr_tail[-800:]}")
    return ""


def check_sandbox(uids: UidPool, course_copy: Path, level: Isolation, where: str = "machine") -> None:
    """One empty sandbox before any notebook: a machine (or worker) that cannot build one says why, once."""
    if level == Isolation.NONE:
        return
    empty = run_isolated(["-c", "pass"], {}, Limits(wall_seconds=60), uids.take(), course_copy, level)
    if empty.returncode != 0:
        raise GradingError(f"no sandbox can be built on this {where}: "
                           + (empty.stderr_tail.strip()[-600:] or f"exit code {empty.returncode}"))


def reference_failed_rows(name: str, chapter: int) -> list[Row]:
    return _could_not_grade(name, chapter, f"the reference solution of chapter {chapter} failed; see the grader's console")


def grader_failed_rows(name: str, chapter: int, exc: BaseException) -> list[Row]:
    """One notebook the grader itself failed on: the teacher sees the traceback, the student a reason."""
    print(f"grading {name!r} chapter {chapter}: {traceback.format_exc(limit=3)}", file=sys.stderr)
    return _could_not_grade(name, chapter, f"the grader failed on this notebook ({type(exc).__name__})")


def judge_run(name: str, chapter: int, run: Run, rerun: Callable[[], Run], reference: Run,
              limits: Limits) -> tuple[list[Row], float]:
    """Rows and seconds of one student's notebook from its first run; `rerun()` runs it again, alone,
    if that run was starved (the same step for the local pool and a cluster worker)."""
    if was_starved(run.outcome, limits):  # once more, alone, before it costs
        print(f"grading {name!r} chapter {chapter} again, alone: it timed out while it waited "
              f"{run.outcome.waiting_seconds or 0:.0f} s for a CPU", file=sys.stderr)
        run = rerun()
    return grade_chapter(name, chapter, run, reference, limits), round(run.outcome.seconds, 1)


STARVED_WAIT_SHARE = 0.1  # a timed-out run whose threads waited this share of the limit for a CPU was starved


def was_starved(outcome: RunOutcome, limits: Limits) -> bool:
    """A run stopped at the wall-clock limit while its threads queued for a CPU: a busy neighbour may
    have slowed it, so it gets one more run alone before it costs points. A run that slept or blocked
    is not run again (that would only cost the class another full time limit). Where the kernel keeps
    no run-queue figures, every timed-out run is given the second chance."""
    if not outcome.timed_out:
        return False
    waited = getattr(outcome, "waiting_seconds", None)
    return waited is None or waited >= STARVED_WAIT_SHARE * limits.wall_seconds


def plan_class(submissions: Path, level: Isolation) -> tuple[list[Row], dict[str, list]]:
    """What grading a class runs, the same for the local pool and a cluster: rows for what cannot
    be run, and student name → [(chapter, notebook name, bytes)]. Refuses unsafe set-ups."""
    submissions = Path(submissions).resolve()
    if submissions == REPO_ROOT or submissions in REPO_ROOT.parents or REPO_ROOT in submissions.parents:
        raise GradingError(f"{submissions} overlaps the course checkout; put the submissions in a folder of their own.")
    if level != Isolation.NONE and (problem := exposure_problem()):
        raise GradingError(problem)
    students = discover(submissions)
    # The hidden tests are imported now, before any submission runs, so nothing can swap them later.
    from .hidden import tests as _hidden_tests  # noqa: F401

    rows, plans = [], {}
    for student in students:
        try:
            plans[student.name] = _plan(student, rows)
        except Exception as exc:  # noqa: BLE001
            rows += [r for c in CHAPTERS for r in _could_not_grade(student.name, c, f"internal error {exc!r}"[:300])]
    return rows, plans


def grade_folder(submissions: Path, limits: Limits | None = None, workers: int = 2,
                 level: Isolation | None = None) -> GradingResult:
    """Grade every notebook in `submissions`; hostile notebooks only ever cost their own points.
    `level`: isolation_level() by default; Isolation.NONE only when the teacher asked for no isolation."""
    start = time.monotonic()
    limits = limits or Limits()
    level = level or isolation_level()
    rows, plans = plan_class(submissions, level)
    uids = UidPool()
    runs, problems = {}, []
    course_copy = Path(tempfile.mkdtemp(prefix="course-grading-course-"))
    try:
        missing = prepare_course_copy(course_copy)
        if missing:
            problems.append(Problem(ProblemKind.STUBS_NOT_FOUND, "FORBIDDEN_IN_GRADING names not found (renamed?), "
                                    "left callable: " + ", ".join(missing)))
        needed = sorted({chapter for jobs in plans.values() for chapter, _, _ in jobs})
        if needed:
            check_sandbox(uids, course_copy, level)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            # The reference solutions run before any submission: no student can slow them past their limit.
            ref_futures = _reference_runs(needed, pool, limits, uids, course_copy, level)
            ref_problems = {c: _reference_problem(c, f, limits) for c, f in ref_futures.items()}
            problems += [Problem(ProblemKind.REFERENCE_FAILED, p) for p in ref_problems.values() if p]
            rows += [r for name, jobs in plans.items() for chapter, _, _ in jobs if ref_problems[chapter]
                     for r in reference_failed_rows(name, chapter)]
            gradable = {name: [job for job in jobs if not ref_problems[job[0]]] for name, jobs in plans.items()}
            futures = {name: pool.submit(run_student, [(data, chapter) for chapter, _, data in jobs], limits, uids,
                                         course_copy, level, repr(name))
                       for name, jobs in gradable.items() if jobs}
            finished = []
            for name, future in futures.items():
                try:
                    finished += [(name, chapter, nb_name, data, run)
                                 for (chapter, nb_name, data), run in zip(gradable[name], future.result())]
                except Exception as exc:  # noqa: BLE001 - one student never stops the class
                    rows += [r for chapter, _, _ in gradable[name] for r in grader_failed_rows(name, chapter, exc)]
        for name, chapter, nb_name, data, run in finished:
            try:
                def rerun():  # a fresh uid only if it is needed
                    return run_notebook(data, chapter, limits, uids.take(), course_copy, level)
                chapter_rows, runs[(name, nb_name)] = judge_run(name, chapter, run, rerun,
                                                                ref_futures[chapter].result(), limits)
                rows += chapter_rows
            except Exception as exc:  # noqa: BLE001 - one student never stops the class
                rows += grader_failed_rows(name, chapter, exc)
    finally:
        shutil.rmtree(course_copy, ignore_errors=True)
    rows.sort(key=lambda r: (r.student, r.chapter, r.exercise))
    return GradingResult(rows, time.monotonic() - start, level, runs, problems, uids.taken)
