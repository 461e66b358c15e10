"""One student's notebooks in one sandbox session (grading/session.py) against a student who
attacks it from their first notebook: what the next notebook sees must be what it would see
alone, and whatever the session cannot vouch for is run alone.

Each session here runs an attacker notebook, then an observer notebook that reports, as its
answer to exercise 1.4, what is left in the sandbox: files, processes, and whether it could reach
the template. Both are plain chapter-1 notebooks (the session does not care what they compute).
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils.grading import harness
from course_utils.grading.exercises import CHAPTERS
from course_utils.grading.sandbox import Limits, isolation_level, prepare_course_copy

OBSERVER = r'''
import json, os
def _left():
    found = {}
    for folder in ("/home/student", "/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        for root, dirs, files in os.walk(folder):
            found.update({os.path.join(root, n): 1 for n in dirs + files if "left" in n})
    me, parent = str(os.getpid()), str(os.getppid())
    procs = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
            if pid not in ("1", me, parent) and state != "Z":
                procs.append(open(f"/proc/{pid}/cmdline").read().replace("\0", " "))
        except OSError:
            pass
    shm = open("/proc/sysvipc/shm").read().splitlines()[1:]
    return {"files": sorted(found), "processes": procs, "shm": shm}
interpretation_1 = json.dumps(_left())
'''

LITTER = r'''
import ctypes, json, os, subprocess
os.makedirs(os.path.expanduser("~/left_dir/deep"), exist_ok=True)
for path in ("~/left_file", "/tmp/left_file", "/var/tmp/left_file", "/dev/shm/left_file", "~/left_dir/deep/left_x"):
    open(os.path.expanduser(path), "w").write("x")
os.chmod(os.path.expanduser("~/left_dir/deep"), 0o000)
os.chmod(os.path.expanduser("~/left_dir"), 0o500)
os.symlink("/course", "/tmp/left_link")
subprocess.Popen(["/bin/sh", "-c", "sleep 991.5"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import time
        while True:
            time.sleep(0.05)
    os._exit(0)
reached = {}
parent = os.getppid()
for what in (f"/proc/{parent}/mem", f"/proc/{parent}/environ"):
    try:
        open(what, "rb").read(16)
        reached[what] = True
    except OSError:
        reached[what] = False
try:
    os.listdir(f"/proc/{parent}/fd")
    reached["fd"] = True
except OSError:
    reached["fd"] = False
written = []
for fd in range(3, 200):
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
        os.write(fd, b"\x00\x00\x00\x02{}")
        written.append(target)
    except OSError:
        pass
interpretation_1 = json.dumps({"reached": reached, "written": written})
'''

KILL_TEMPLATE = ("import os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept OSError:\n    pass\n"
                 "interpretation_1 = 'attacker'\n")
STOP_TEMPLATE = "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\ninterpretation_1 = 'attacker'\n"
SHM_LEFT = ("import ctypes\nlibc = ctypes.CDLL(None)\nassert libc.shmget(0, 4096, 0o1600) >= 0\n"
            "interpretation_1 = 'attacker'\n")
CPU_HOG = ("import subprocess, sys\nhogs = [subprocess.Popen([sys.executable, '-c', 'while True: pass']) for _ in range(2)]\n"
           "[h.wait() for h in hogs]\ninterpretation_1 = 'attacker'\n")


def notebook(source: str) -> bytes:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["exercises"] = {"chapter": 1}
    return nbformat.writes(nb).encode()


@pytest.fixture(scope="module")
def course_copy():
    if isolation_level() == "none":
        pytest.skip("sessions need a sandbox (root or user namespaces)")
    with tempfile.TemporaryDirectory() as folder:
        prepare_course_copy(Path(folder))
        yield Path(folder)


def session(course_copy, *sources, limits=None):
    notebooks = [(notebook(source), 1) for source in sources]
    return harness.run_session(notebooks, limits or Limits(wall_seconds=60), harness.UidPool().take(), course_copy,
                               isolation_level())


def seen(run) -> dict:
    return json.loads(str(run.answers["ex1_4"]))


def test_a_notebook_after_an_attacker_sees_a_fresh_sandbox(course_copy):
    (attacker, observer), stopped = session(course_copy, LITTER, OBSERVER)
    assert not stopped, stopped
    assert attacker is not None and observer is not None
    attack = seen(attacker)
    assert attack["reached"] == {k: False for k in attack["reached"]}, "a notebook reached into the template"
    pipes = [target for target in attack["written"] if target.startswith("pipe:")]
    assert len(pipes) == 1, f"a notebook could write to a pipe not its own: {attack['written']}"  # its answer pipe
    assert seen(observer) == {"files": [], "processes": [], "shm": []}
    assert sorted(observer.answers) == ["ex1_4"] and observer.outcome.returncode == 0


def test_a_student_who_kills_the_template_gets_each_notebook_run_alone(course_copy):
    runs, stopped = session(course_copy, KILL_TEMPLATE, OBSERVER)
    assert runs == [None, None] and stopped
    alone = harness.run_student([(notebook(KILL_TEMPLATE), 1), (notebook(OBSERVER), 1)], Limits(wall_seconds=60),
                                harness.UidPool(), course_copy, isolation_level())
    assert str(alone[0].answers["ex1_4"]) == "attacker"
    assert seen(alone[1])["processes"] == []


def test_a_stopped_template_costs_only_the_sessions_time_limit(course_copy):
    limits = Limits(wall_seconds=5)
    runs, stopped = session(course_copy, STOP_TEMPLATE, OBSERVER, limits=limits)
    assert runs == [None, None] and "time limit" in stopped, stopped


def test_what_cannot_be_reset_ends_the_session(course_copy):
    (attacker, observer), stopped = session(course_copy, SHM_LEFT, OBSERVER)
    assert attacker is not None and str(attacker.answers["ex1_4"]) == "attacker"
    assert observer is None and "System V" in stopped, stopped


def test_each_notebook_keeps_its_own_cpu_budget_in_a_session(course_copy):
    limits = Limits(wall_seconds=60, student_cpu_seconds=6)
    (hog, observer), stopped = session(course_copy, CPU_HOG, OBSERVER, limits=limits)
    assert not stopped and hog is not None and observer is not None
    assert "6 s of CPU time" in harness._process_reason(hog.outcome, limits)
    assert seen(observer)["processes"] == []


def test_a_session_gives_the_answers_runs_alone_give(course_copy):
    """The reference solutions: every answer equal, whether run one after another or each alone."""
    notebooks = [(harness.reference_notebook(chapter), chapter) for chapter in CHAPTERS]
    uids, level = harness.UidPool(), isolation_level()
    together, stopped = harness.run_session(notebooks, Limits(), uids.take(), course_copy, level)
    assert not stopped and None not in together
    for (data, chapter), run in zip(notebooks, together):
        alone = harness.run_notebook(data, chapter, Limits(), uids.take(), course_copy, level)
        assert sorted(run.answers) == sorted(alone.answers) and len(run.answers) == 4
        for key, value in alone.answers.items():
            assert _equal(run.answers[key], value), (chapter, key)


def _equal(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return np.array_equal(np.asarray(a), np.asarray(b))
