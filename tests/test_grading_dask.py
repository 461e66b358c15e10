"""Grading on a Dask distributed cluster gives the local pool's report, and loses no student
when a worker dies mid-class (issue 24, item 2)."""
from __future__ import annotations

import csv
import os
import signal
import threading
import time

import nbformat
import pytest

distributed = pytest.importorskip("distributed")

from course_utils.grading.build import build_notebook  # noqa: E402
from course_utils.grading.distributed import grade_on_cluster  # noqa: E402
from course_utils.grading.exercises import notebook_name, of_chapter  # noqa: E402
from course_utils.grading.harness import grade_folder  # noqa: E402
from course_utils.grading.report import write_report  # noqa: E402
from course_utils.grading.sandbox import isolation_level  # noqa: E402

pytestmark = pytest.mark.skipif(isolation_level() == "none", reason="grading needs a sandbox (root or user namespaces)")


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    """Chapter 2 only (the cheapest): one solved, one untouched notebook, one file that is no notebook."""
    folder = tmp_path_factory.mktemp("dask-class")
    for student, solved in (("alice", True), ("bob", False)):
        (folder / student).mkdir()
        nbformat.write(build_notebook(2, solved=solved), folder / student / notebook_name(2))
    (folder / "erin.txt").write_text("not a notebook")
    return folder


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None) as c, \
            distributed.Client(c) as client:
        yield c, client


def _csv_rows(result, out):
    write_report(result, out)
    with open(out / "grades.csv", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def local_rows(small_class, tmp_path_factory):
    result = grade_folder(small_class, workers=2)
    return result, _csv_rows(result, tmp_path_factory.mktemp("local-report"))


def test_cluster_report_equals_local_report(small_class, cluster, local_rows, tmp_path):
    _, client = cluster
    local, rows = local_rows
    remote = grade_on_cluster(small_class, client)
    assert _csv_rows(remote, tmp_path) == rows
    assert [str(p) for p in remote.problems] == [str(p) for p in local.problems]
    assert set(remote.runs) == set(local.runs)
    assert set(local.runs) == {("alice", notebook_name(2)), ("bob", notebook_name(2))}
    alice = [r for r in remote.rows if r.student == "alice" and r.chapter == 2]
    assert [r.status for r in alice] == ["correct"] * len(of_chapter(2))  # not equal by both failing


def test_a_worker_killed_mid_class_loses_no_student(small_class, cluster, local_rows, tmp_path):
    c, client = cluster
    _, rows = local_rows
    pids = client.run(os.getpid)
    box = {}
    grading = threading.Thread(target=lambda: box.update(result=grade_on_cluster(small_class, client)))
    grading.start()
    killed = None
    deadline = time.monotonic() + 240
    while killed is None and grading.is_alive() and time.monotonic() < deadline:
        for address, keys in client.processing().items():
            if any("student_task" in str(key) for key in keys):  # a student is being graded there: kill it
                os.kill(pids[address], signal.SIGKILL)
                killed = address
                break
        time.sleep(0.2)
    grading.join(timeout=400)
    assert killed is not None, "no student task was seen running, so no worker was killed"
    assert "result" in box, "grading did not finish"
    got = _csv_rows(box["result"], tmp_path)
    # Every student keeps every row: retried to the same grade, or reported as could not grade.
    assert [(r["student"], r["chapter"], r["exercise"]) for r in got] == \
        [(r["student"], r["chapter"], r["exercise"]) for r in rows]
    for mine, theirs in zip(got, rows):
        assert mine == theirs or "could not grade" in mine["feedback"], (mine, theirs)
