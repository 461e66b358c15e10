"""The grader: sandboxed runs, hidden tests, reports, and hostile submissions.

Two grading runs are shared by all tests (session fixtures): a class of two students (the
solved notebooks, the untouched student notebooks) and a batch of hostile submissions next
to one honest student.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from course_utils.grading import channel
from course_utils.grading.answers import AnswerFormatError, answer_bytes, load_answer
import nbformat

from course_utils.grading.build import build_notebook
from course_utils.grading.checks import feedback
from course_utils.grading.exercises import CHAPTERS, EXERCISES, notebook_name, of_chapter
from course_utils.grading.harness import grade_folder, notebook_chapter
from course_utils.grading.hidden.tests import grade
from course_utils.grading.report import summary_markdown, totals, write_report
from course_utils.grading.sandbox import Limits, isolation_level

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent / "hostile_submissions"))
import hostile  # noqa: E402

MAX_POINTS = sum(e.points for e in EXERCISES)
HOSTILE_BATCH_SECONDS = 600  # 19 sandboxed notebooks, 3 at a time, on a loaded 2-core machine (the
                             # sleepers that time out are not run again: they did not wait for a CPU)


def tree_digest(*folders: Path) -> dict[str, str]:
    """path → SHA-256 of every file (so a change can be named, not only detected)."""
    return {str(path): hashlib.sha256(path.read_bytes()).hexdigest()
            for folder in folders for path in sorted(folder.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts}


# ---------------------------------------------------------------- unit tests (fast)

def test_answers_round_trip_numbers_text_and_dicts():
    value = {"act": np.arange(6, dtype="float32").reshape(2, 3), "strongest": 4, "orientation": "vertical"}
    back = load_answer(answer_bytes(value))
    assert back["act"].shape == (2, 3) and int(back["strongest"]) == 4 and str(back["orientation"]) == "vertical"
    assert np.allclose(load_answer(answer_bytes([1.0, 2.0])), [1, 2])


@pytest.mark.parametrize("value, phrase", [(None, "still None"), ({"a": None}, "still None"),
                                           (object(), "Python objects"), ([np.zeros(2), np.zeros(3)], "different shapes")])
def test_answers_refuse_what_is_not_plain_data(value, phrase):
    with pytest.raises(AnswerFormatError, match=phrase):
        answer_bytes(value)


def test_load_answer_refuses_pickles_and_non_archives():
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(AnswerFormatError, match="unreadable"):
        load_answer(pickled.getvalue())
    plain = io.BytesIO()
    np.save(plain, np.zeros(3))
    with pytest.raises(AnswerFormatError, match="not an .npz"):
        load_answer(plain.getvalue())
    with pytest.raises(AnswerFormatError):
        load_answer(b"garbage")


def test_channel_keeps_frames_sent_before_garbage():
    read_end, write_end = os.pipe()
    reader = channel.Reader(read_end)
    channel.send(write_end, {"kind": "answer", "exercise": "ex1_1"}, b"payload")
    os.write(write_end, b"\xff" * 16)
    os.close(write_end)
    frames = reader.join(timeout=5)
    assert frames == [({"kind": "answer", "exercise": "ex1_1", "size": 7}, b"payload")]
    assert "corrupted" in reader.problem


def _filter_losses(border: int = 2) -> dict:
    from course_utils.grading.fixtures import probe, tall_probe

    def losses(p):
        inner = p[:, border:p.shape[1] - border, border:p.shape[2] - border, :]
        return [float(inner[..., k].mean()) for k in range(4)]
    return {"numpy": losses(probe((1, 12, 12, 4), seed=3)), "tensor": losses(tall_probe())}


def test_check_feedback_says_not_yet_fail_or_pass_in_words_without_the_answer():
    whole_map, right = _filter_losses(border=0), _filter_losses()
    text = feedback("ex2_1", whole_map)
    assert text.startswith("FAIL ex2_1") and "2-pixel border" in text
    assert not any(f"{v:.3f}" in text for v in right["numpy"] + right["tensor"])  # no expected value
    assert feedback("ex2_1", right).startswith("PASS ex2_1")
    assert feedback("ex2_1", None).startswith("NOT YET ex2_1")


def test_hidden_grade_is_the_notebook_judge():
    right = _filter_losses()
    assert grade("ex2_1", right) == (1.0, "correct")
    half = dict(right, tensor=[v + 1 for v in right["tensor"]])
    assert grade("ex2_1", half)[0] == 0.5
    assert grade("ex2_1", {"not": "an array"})[0] == 0.0
    assert grade("ex2_1", right["numpy"])[0] == 0.0  # the old list form: the tensor part is missing


def test_chapter_comes_from_metadata_then_name(tmp_path):
    from course_utils.grading.build import build_notebook
    import nbformat

    nbformat.write(build_notebook(3, solved=False), tmp_path / "my_work.ipynb")
    (tmp_path / "02_exercises.ipynb").write_text("not json")
    (tmp_path / "notes.ipynb").write_text("{}")
    assert notebook_chapter(tmp_path / "my_work.ipynb") == 3
    assert notebook_chapter(tmp_path / "02_exercises.ipynb") == 2
    assert notebook_chapter(tmp_path / "notes.ipynb") is None


# ---------------------------------------------------------------- a class: solutions and untouched notebooks

@pytest.fixture(scope="session")
def class_result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    # Built from the masters now (the saved .ipynb may lag behind while exercises change).
    for student, solved in (("alice", True), ("bob", False)):
        (folder / student).mkdir()
        for chapter in CHAPTERS:
            nbformat.write(build_notebook(chapter, solved=solved), folder / student / notebook_name(chapter))
    result = grade_folder(folder, workers=2)
    write_report(result, folder / "report")
    return result, folder / "report"


def test_solutions_score_full_marks(class_result):
    result, _ = class_result
    alice = [r for r in result.rows if r.student == "alice"]
    assert len(alice) == len(EXERCISES)
    assert all(r.status == "correct" for r in alice), [(r.exercise, r.feedback) for r in alice if r.status != "correct"]
    assert totals(result.rows)["alice"] == (MAX_POINTS, MAX_POINTS)


def test_untouched_notebooks_score_zero_with_helpful_messages(class_result):
    result, _ = class_result
    bob = [r for r in result.rows if r.student == "bob"]
    assert len(bob) == len(EXERCISES) and totals(result.rows)["bob"] == (0, MAX_POINTS)
    assert all("not done: the answer is still None" in r.feedback for r in bob)


def test_report_has_one_csv_row_per_student_and_exercise(class_result):
    import csv

    _, report = class_result
    with open(report / "grades.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["student"], r["exercise"]) for r in rows} == {(s, e.id) for s in ("alice", "bob") for e in EXERCISES}
    summary = (report / "summary.md").read_text()
    assert f"| alice | {MAX_POINTS} | {MAX_POINTS} |" in summary and "## bob: 0 /" in summary


# ---------------------------------------------------------------- hostile submissions

@pytest.fixture(scope="session")
def hostile_result(tmp_path_factory):
    if isolation_level() == "none":  # without namespaces an attack could really rewrite the repository
        pytest.skip("hostile submissions are only run with isolation (root or user namespaces)")
    folder = tmp_path_factory.mktemp("hostile")
    expected = hostile.write_submissions(folder)
    (folder / "carol").mkdir()
    nbformat.write(build_notebook(2, solved=True), folder / "carol" / notebook_name(2))
    # This feature's own files (other folders change under parallel work, which would make this flaky).
    guarded = [REPO / "course_utils" / "grading", REPO / "solutions", REPO / "notebooks" / "exercises",
               REPO / "tests" / "hostile_submissions"]
    before = tree_digest(*guarded)
    start = time.monotonic()
    # The wall limit leaves room for a loaded 2-core machine; the cell limit is what the attacks meet.
    result = grade_folder(folder, Limits(wall_seconds=90, cell_seconds=10, student_cpu_seconds=60), workers=3)
    seconds = time.monotonic() - start
    summary_markdown(result)
    after = tree_digest(*guarded)
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    return result, expected, seconds, changed


def test_at_least_ten_hostile_submissions_graded_in_bounded_time(hostile_result):
    result, expected, seconds, _ = hostile_result
    assert len(expected) >= 10
    graded = {r.student for r in result.rows if r.chapter == 2}
    assert set(expected) <= graded
    assert seconds < HOSTILE_BATCH_SECONDS, f"hostile batch took {seconds:.0f} s"


def test_each_attack_costs_exactly_its_own_exercise_with_a_reason(hostile_result):
    result, expected, _, _ = hostile_result
    rows = {(r.student, r.exercise): r for r in result.rows}
    for name, phrase in expected.items():
        target = rows[(name, hostile.TARGET)]
        assert target.points == 0 and re.search(phrase, target.feedback), (name, target.feedback)
        if name != "corrupt_notebook":  # an unreadable notebook has nothing to grade
            for other in ("ex2_1", "ex2_2"):
                assert rows[(name, other)].status == "correct", (name, other, rows[(name, other)].feedback)


def test_hostile_neighbours_cost_the_honest_student_nothing(hostile_result):
    result, _, _, _ = hostile_result
    carol = [r for r in result.rows if r.student == "carol" and r.chapter == 2]
    assert [r.status for r in carol] == ["correct"] * len(of_chapter(2))


def test_hostile_submissions_leave_the_repository_and_no_processes_behind(hostile_result):
    result, _, _, changed = hostile_result
    assert not changed, f"files in the repository changed while grading: {changed[:10]}"
    def sandbox_processes():
        found = {}
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if os.stat(f"/proc/{pid}").st_uid in result.uids:  # only this grading's throwaway users
                    found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:120]
            except OSError:
                continue
        return found

    # A killed process can take a moment to be reaped; a daemon that escaped is still there after 10 s.
    deadline = time.monotonic() + 10
    while (leftovers := sandbox_processes()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not leftovers, f"sandbox processes still running: {leftovers}"


def test_a_starved_run_is_run_again_alone_and_a_sleeping_one_is_not(tmp_path, monkeypatch):
    """A busy neighbour can slow an honest run past the wall-clock limit: the grader runs a
    timed-out notebook whose threads queued for a CPU once more, after the others, before it costs
    the student anything. One that slept through the limit is not run again: it keeps its timeout."""
    from course_utils.grading import harness

    if isolation_level() == "none":
        pytest.skip("sandboxed runs only")
    for student in ("dave", "erin"):
        (tmp_path / student).mkdir()
        notebook = build_notebook(3, solved=True)
        notebook.metadata["student"] = student   # not byte-identical to the reference run
        nbformat.write(notebook, tmp_path / student / notebook_name(3))
    real, calls = harness.run_notebook, []
    waited = {b'"student": "dave"': 120.0, b'"student": "erin"': 0.0}   # seconds queued for a CPU

    def timed_out_once(data, chapter, limits, *rest):
        run = real(data, chapter, limits, *rest)
        calls.append(data)
        for marker, seconds in waited.items():
            if marker in data and calls.count(data) == 1:
                run.answers.clear()   # what a run stopped at the wall-clock limit brings back
                run.outcome.timed_out, run.outcome.returncode, run.outcome.waiting_seconds = True, None, seconds
        return run

    monkeypatch.setattr(harness, "run_notebook", timed_out_once)
    result = grade_folder(tmp_path, Limits(wall_seconds=120), workers=2)
    assert not result.problems, result.problems
    rows = {s: [r for r in result.rows if r.student == s and r.chapter == 3] for s in ("dave", "erin")}
    assert [r.status for r in rows["dave"]] == ["correct"] * len(of_chapter(3)), [r.feedback for r in rows["dave"]]
    assert all(r.points == 0 and "time limit" in r.feedback for r in rows["erin"]), [r.feedback for r in rows["erin"]]
    assert [sum(marker in d for d in calls) for marker in waited] == [2, 1]


def test_run_queue_wait_tells_a_starved_process_from_a_sleeping_one():
    """The figure was_starved reads: processes that compete for one CPU wait; one that sleeps does not."""
    import subprocess
    import sys
    import time

    from course_utils.grading.sandbox import tree_waiting_seconds

    if tree_waiting_seconds(os.getpid()) is None:
        pytest.skip("this kernel keeps no run-queue figures (schedstat)")
    busy = ("import os, sys, time; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "end = time.monotonic() + 3\nwhile time.monotonic() < end: pass\n")
    cases = {"busy": [sys.executable, "-c", "import subprocess, sys; "
                      f"ps = [subprocess.Popen([sys.executable, '-c', {busy!r}]) for _ in range(4)]; "
                      "[p.wait() for p in ps]"],
             "asleep": [sys.executable, "-c", "import time; time.sleep(4)"]}
    waited = {}
    for name, argv in cases.items():
        proc = subprocess.Popen(argv)
        time.sleep(2.5)
        waited[name] = tree_waiting_seconds(proc.pid)
        proc.wait()
    # four processes on one CPU for ~2 s: together they queued for ~1.5 s or more
    assert waited["busy"] > 1.0 > 0.2 > waited["asleep"], waited
