"""Grade a folder of submissions: one sandboxed run per notebook, hidden tests in this process.

Layout: SUBMISSIONS/<student>/*.ipynb (one notebook per chapter), or SUBMISSIONS/<student>.ipynb.
The chapter of a notebook comes from its metadata (written by the generator) or its file name.
The reference answers come from running the solution notebooks through the same machinery.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .answers import AnswerFormatError, load_answer
from .build import SOLUTION_DIR, solution_notebook_name
from .exercises import CHAPTERS, of_chapter
from .sandbox import REPO, Limits, RunOutcome, isolation_level, run_isolated

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
HIDDEN_DIR = Path(__file__).resolve().parent / "hidden"


@dataclass
class Row:
    student: str
    chapter: int
    exercise: str
    title: str
    points: float
    max_points: int
    status: str
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


# ---------------------------------------------------------------- discovery

def _notebook_json(path: Path) -> dict:
    """A notebook's JSON read defensively: {} when it is too large, unreadable or not an object."""
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return {}
        data = json.loads(path.read_text(errors="replace"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def notebook_chapter(path: Path) -> int | None:
    """Chapter of a notebook from its metadata or its name; None if neither says."""
    try:
        chapter = _notebook_json(path).get("metadata", {}).get("exercises", {}).get("chapter")
        if chapter in CHAPTERS:
            return int(chapter)
    except (AttributeError, TypeError):
        pass
    match = re.search(r"0?([1-9])_exercises", path.name)
    return int(match.group(1)) if match and int(match.group(1)) in CHAPTERS else None


def discover(folder: Path) -> dict[str, list[Path]]:
    """student → notebooks, sorted; hidden files and checkpoints skipped."""
    students: dict[str, list[Path]] = {}
    for entry in sorted(Path(folder).iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            found = sorted(p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            students[entry.name] = found
        elif entry.suffix == ".ipynb":
            students.setdefault(entry.stem, []).append(entry)
    return students


# ---------------------------------------------------------------- one run

class UidPool:
    """Throwaway uids (no account, no files) so no two runs share one."""

    def __init__(self, start: int = 62000):
        self._next = itertools.count(start)
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            while True:
                uid = next(self._next)
                try:
                    pwd.getpwuid(uid)
                except KeyError:
                    return uid


def run_notebook(notebook: Path, chapter: int, limits: Limits, uid: int, hide: list[Path]) -> Run:
    """Copy the notebook into a fresh folder, run it sandboxed, read back what it exported."""
    workdir = Path(tempfile.mkdtemp(prefix="course-grading-"))
    exercises = of_chapter(chapter)
    try:
        shutil.copyfile(notebook, workdir / "submission.ipynb")
        job = {"cell_seconds": limits.cell_seconds, "exercises": [{"id": e.id, "answer": e.answer} for e in exercises]}
        (workdir / "job.json").write_text(json.dumps(job))
        command = [sys.executable, "-m", "course_utils.grading.runner", "submission.ipynb", "job.json"]
        outcome = run_isolated(command, workdir, limits, uid, hide)
        run = read_frames(outcome, {e.id for e in exercises})
        run.owners = cell_owners(notebook)
        return run
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def cell_owners(notebook: Path) -> dict[int, str]:
    """Which exercise each cell belongs to (its stub or check cell), read as plain JSON."""
    try:
        cells = _notebook_json(notebook).get("cells", [])
        owners = {}
        for index, cell in enumerate(cells):
            role = (cell.get("metadata") or {}).get("grading") or {}
            owner = role.get("solution") or role.get("check")
            if isinstance(owner, str):
                owners[index] = owner
        return owners
    except (AttributeError, TypeError):
        return {}


def read_frames(outcome: RunOutcome, wanted: set[str]) -> Run:
    """Answers and events from the channel; the last answer sent for an exercise counts."""
    run = Run(outcome)
    for header, payload in outcome.frames:
        if header.get("kind") == "event" and isinstance(header.get("event"), dict):
            run.events.append(header["event"])
        elif header.get("kind") == "answer" and header.get("exercise") in wanted:
            try:
                run.answers[header["exercise"]] = load_answer(payload)
                run.unreadable.pop(header["exercise"], None)
            except AnswerFormatError as exc:
                run.answers.pop(header["exercise"], None)
                run.unreadable[header["exercise"]] = str(exc)
    return run


# ---------------------------------------------------------------- feedback

SIGNAL_REASONS = {signal.SIGXCPU: "it used up its CPU-time limit", signal.SIGXFSZ: "it wrote a file larger than the limit",
                  signal.SIGKILL: "it was killed (memory, process or time limit)", signal.SIGSEGV: "it crashed (segfault)"}


def _process_reason(outcome: RunOutcome, limits: Limits) -> str:
    if outcome.timed_out:
        return f"the notebook ran past the {limits.wall_seconds:.0f} s time limit and was stopped"
    code = outcome.returncode
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
            return f"the notebook could not be run: {str(event['runner_error'])[:300]}"
        if event.get("exercise") == exercise_id and event.get("collected") is False:
            error = str(event.get("error", ""))[:300]
            if "still None" in error:
                return "not done: the answer is still None (the stub was not filled in)"
            return f"the answer could not be computed: {error}"
    why = run.outcome.channel_problem or _process_reason(run.outcome, limits) or (
        "the notebook stopped before this answer was collected" if _finished(run)
        else "the notebook ended its own process early (exit code 0, e.g. os._exit(0))")
    return f"no answer: {why}"


def _cell_errors(run: Run, exercise_id: str, limit: int = 3) -> str:
    """Errors raised in this exercise's own cells, or in cells that belong to no exercise (set-up)."""
    errors = [f"cell {e['cell']}: {str(e['error'])[:160]}" for e in run.events
              if "error" in e and "cell" in e and run.owners.get(e["cell"], exercise_id) == exercise_id]
    return ("; errors while running: " + " | ".join(errors[:limit])) if errors else ""


def grade_chapter(student: str, chapter: int, run: Run, reference: Run, limits: Limits) -> list[Row]:
    from .hidden.tests import grade

    rows = []
    for exercise in of_chapter(chapter):
        if exercise.id in run.answers:
            fraction, message = grade(exercise.id, run.answers[exercise.id], reference.answers[exercise.id])
            status = "correct" if fraction >= 1 else ("partial" if fraction > 0 else "wrong")
        else:
            fraction, message, status = 0.0, _missing_reason(exercise.id, run, limits), "missing"
        if status != "correct":
            message += _cell_errors(run, exercise.id)
        rows.append(Row(student, chapter, exercise.id, exercise.title, round(fraction * exercise.points, 3),
                        exercise.points, status, message))
    return rows


def _rows_for_all(student: str, chapter: int, status: str, message: str) -> list[Row]:
    return [Row(student, chapter, e.id, e.title, 0.0, e.points, status, message) for e in of_chapter(chapter)]


# ---------------------------------------------------------------- a whole class

@dataclass
class GradingResult:
    rows: list[Row]
    seconds: float
    isolation: str
    runs: dict  # (student, notebook name) → seconds


def grade_folder(submissions: Path, limits: Limits | None = None, workers: int = 2) -> GradingResult:
    """Grade every notebook in `submissions`; hostile notebooks only ever cost their own points."""
    start = time.monotonic()
    limits = limits or Limits()
    submissions = Path(submissions).resolve()
    if submissions == REPO or submissions in REPO.parents:
        raise GradingError(f"{submissions} contains the course itself; put the submissions in a folder of their own.")
    students = discover(submissions)
    hide = [HIDDEN_DIR, SOLUTION_DIR, submissions]
    uids = UidPool()
    # The hidden tests are imported now, before any submission runs, so nothing can swap them later.
    from .hidden import tests as _hidden_tests  # noqa: F401

    jobs, rows, runs = [], [], {}
    for student, notebooks in students.items():
        seen = set()
        for notebook in notebooks:
            chapter = notebook_chapter(notebook)
            if chapter is None or chapter in seen:
                what = "not an exercise notebook" if chapter is None else f"a second notebook for chapter {chapter}"
                rows.append(Row(student, 0, notebook.name, "(ignored)", 0.0, 0, "ignored", what))
                continue
            seen.add(chapter)
            jobs.append((student, chapter, notebook))
        for chapter in CHAPTERS:
            if chapter not in seen:
                rows += _rows_for_all(student, chapter, "missing", f"no notebook for chapter {chapter} was submitted")
    needed = sorted({chapter for _, chapter, _ in jobs})
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        ref_futures = {c: pool.submit(run_notebook, SOLUTION_DIR / solution_notebook_name(c), c, limits, uids.take(), hide)
                       for c in needed}
        futures = [(s, c, nb, pool.submit(run_notebook, nb, c, limits, uids.take(), hide)) for s, c, nb in jobs]
        references = {c: f.result() for c, f in ref_futures.items()}
        for chapter, ref in references.items():
            missing = [e.id for e in of_chapter(chapter) if e.id not in ref.answers]
            if missing:
                raise GradingError(f"The reference solution of chapter {chapter} did not produce {missing}: "
                                   f"{_process_reason(ref.outcome, limits)} {ref.events[-3:]} {ref.outcome.stderr_tail[-800:]}")
        for student, chapter, notebook, future in futures:
            run = future.result()
            runs[(student, notebook.name)] = round(run.outcome.seconds, 1)
            rows += grade_chapter(student, chapter, run, references[chapter], limits)
    rows.sort(key=lambda r: (r.student, r.chapter, r.exercise))
    return GradingResult(rows, time.monotonic() - start, isolation_level(), runs)
