"""The grader against hostile classes: links, pipes, odd names, escapes from the sandbox.

Fast unit tests first (no notebook runs), then probes run inside a real sandbox (mount list,
per-student memory, inode floods, a notebook that tries to outlive its sandbox). Then one real
class is graded twice, as root ("root": namespaces + throwaway uid) and through an unprivileged
user namespace ("userns", forced while running as root). Last, `make grade` runs as a real
unprivileged account made for the test (skipped where no account or user namespace can be had).
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils.grading.answers import MAX_TEXT_CHARS, AnswerFormatError, answer_bytes, load_answer
from course_utils.grading.build import build_notebook
from course_utils.grading.exercises import of_chapter
from course_utils.grading.harness import RunOutcome, grade_folder, read_frames
from course_utils.grading.report import for_csv, for_markdown, for_terminal, summary_markdown, write_report
from course_utils.grading.sandbox import FORBIDDEN_IN_GRADING, Limits, isolation_level, prepare_course_copy
from course_utils.grading.submissions import discover

sys.path.insert(0, str(Path(__file__).parent / "hostile_submissions"))
import hostile  # noqa: E402

CH2_POINTS = sum(e.points for e in of_chapter(2))
HOST_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
MARK = "grader-safety-leftover"
DAEMON_SECONDS = "997.25"  # the daemon's `sleep` argument: how the test recognises it

# In-sandbox attacks on exercise TARGET (the rest of the notebook is solved).
ESCAPES = {
    "search_host": (  # .git, another checkout, solutions, masters: anything that holds the answer
        "import os, subprocess\nfound = []\n"
        "for top, dirs, files in os.walk('/'):\n"
        "    if top.startswith('/proc'):\n        dirs[:] = []\n        continue\n"
        "    for name in dirs + files:\n"
        "        if name == '.git' or name.endswith('_solutions.ipynb') or (name == 'masters' and top.endswith('hidden')):\n"
        "            found.append(os.path.join(top, name))\n"
        "for git in [f for f in found if f.endswith('.git')]:\n"
        "    subprocess.run(['git', '-C', os.path.dirname(git), 'show', 'HEAD:course_utils/grading/hidden/masters/ch2.py'])\n"
        "raise RuntimeError(f'FOUND {found[:5]}' if found else 'SEARCHED-CLEAN')\n"),
    "leave_files": (
        "import os, shutil\n"
        f"for d in {HOST_TMP!r}:\n"
        "    try:\n"
        f"        shutil.copy('/bin/sh', os.path.join(d, '{MARK}'))\n"
        f"        os.chmod(os.path.join(d, '{MARK}'), 0o4755)\n"
        "    except OSError as exc:\n        raise RuntimeError(f'NOT-WRITTEN {d}: {exc}')\n"
        "raise RuntimeError('LEFT-FILES')\n"),
    "daemon": (
        "import os\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        f"        os.execv('/bin/sleep', ['sleep', '{DAEMON_SECONDS}'])\n    os._exit(0)\n"),
    "fill_disk": (
        "with open('big.bin', 'wb') as f:\n    for _ in range(2000):\n        f.write(b'x' * (1 << 20))\n"),
}
# What the feedback on TARGET must say: proof the attack ran, and what stopped it.
ESCAPE_EVIDENCE = {"search_host": "SEARCHED-CLEAN", "leave_files": "LEFT-FILES", "daemon": "NameError|still None|no answer",
                   "fill_disk": "File too large|No space left",
}


def _names_with_tricks() -> list[str]:
    return ["anna\n## anna: 0 points", "=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\x1b[2K\x1b[1Aeve",
            "<script>alert(1)</script>", "[link](x)"]


# ---------------------------------------------------------------- fast unit tests

def test_discover_never_follows_links_or_blocks(tmp_path):
    solved = nbformat.writes(build_notebook(2, solved=True)).encode()
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "02_exercises.ipynb").write_bytes(solved)
    (tmp_path / ".dotted").mkdir()
    (tmp_path / ".dotted" / "02_exercises.ipynb").write_bytes(solved)
    (tmp_path / "dir_link").symlink_to(tmp_path / "real")
    for name, make in {"fifo": lambda p: os.mkfifo(p), "zero": lambda p: p.symlink_to("/dev/zero"),
                       "dangling": lambda p: p.symlink_to(tmp_path / "nothing"),
                       "classmate": lambda p: p.symlink_to(tmp_path / "real" / "02_exercises.ipynb"),
                       "folder": lambda p: p.mkdir(),
                       "sparse": lambda p: _sparse(p)}.items():
        (tmp_path / name).mkdir()
        make(tmp_path / name / "02_exercises.ipynb")
    deep = tmp_path / "deep"
    deep.mkdir()
    os.makedirs(os.path.join(deep, *["d"] * 300))
    students = {s.name: s for s in discover(tmp_path)}
    assert set(students) == {"real", ".dotted", "dir_link", "fifo", "zero", "dangling", "classmate", "folder",
                             "sparse", "deep"}
    assert students["real"].notebooks[0].data == solved and students[".dotted"].notebooks[0].data == solved
    assert "symbolic link" in students["dir_link"].problem
    reasons = {name: students[name].notebooks[0].problem for name in ("fifo", "zero", "dangling", "classmate",
                                                                       "folder", "sparse")}
    assert all(reasons.values()) and not any(students[n].notebooks[0].data for n in reasons), reasons
    assert "named pipe" in reasons["fifo"] and "folder" in reasons["folder"] and "MB" in reasons["sparse"]
    assert students["deep"].notebooks == []


def _sparse(path: Path) -> None:
    with open(path, "wb") as handle:
        handle.truncate(4 << 30)


@pytest.mark.parametrize("name", _names_with_tricks())
def test_every_output_escapes_names(name):
    assert "\x1b" not in for_terminal(name) and "\n" not in for_terminal(name)
    assert for_csv(name)[0] not in "=+-@" and "\n" not in for_csv(name)
    md = for_markdown(name)
    assert "\n" not in md and "<script>" not in md and "](" not in md


def test_summary_cannot_gain_a_fake_student_section():
    from course_utils.grading.harness import GradingResult, Row

    rows = [Row(n, 2, "ex2_1", "t", 0.0, 1, "wrong", "error: \n## mallory: 16 / 16 <b>x</b>")
            for n in _names_with_tricks()]
    text = summary_markdown(GradingResult(rows, 1.0, "root", {}))
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert len(headings) == len(_names_with_tricks())
    assert not any(line.startswith("## mallory") for line in text.splitlines())
    assert all("\\x0a" in line for line in text.splitlines() if line.startswith("## anna"))  # one section, escaped


def test_events_and_answers_of_unexpected_types_are_dropped():
    frames = [({"kind": "event", "event": {"cell": [1], "error": ["x"], "exercise": {"a": 1}}}, b""),
              ({"kind": "answer", "exercise": ["ex2_1"]}, b""), (["not", "a", "dict"], b""),
              ({"kind": "answer", "exercise": "ex2_1"}, answer_bytes([1.0, 2.0, 3.0, 4.0]))]
    run = read_frames(RunOutcome(0, False, 1.0, "", frames), {"ex2_1"})
    assert run.events == [{}] and list(run.answers) == ["ex2_1"]


def test_answers_are_capped_after_decompression_and_text_is_bounded():
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        buffer = io.BytesIO()
        np.save(buffer, np.zeros(48 * 1024 * 1024 // 8))  # 48 MB of zeros, a few kB compressed
        archive.writestr("value.npy", buffer.getvalue())
    assert len(bomb.getvalue()) < 1_000_000
    with pytest.raises(AnswerFormatError, match="expands"):
        load_answer(bomb.getvalue())
    assert str(load_answer(answer_bytes("the blur trades detail for readability"))).startswith("the blur")
    with pytest.raises(AnswerFormatError, match="longer than"):
        load_answer(answer_bytes("x" * (MAX_TEXT_CHARS + 1)))


def test_course_copy_has_no_hidden_tests_and_stubs_forbidden_functions(tmp_path):
    missing = prepare_course_copy(tmp_path, dict(FORBIDDEN_IN_GRADING, **{"course_utils.cam": ["grad_cam", "nope"]}))
    assert missing == ["course_utils.cam.nope"]
    assert not (tmp_path / "course_utils" / "grading" / "hidden").exists()
    code = ("import course_utils.cam as c, course_utils.sanity as s\n"
            "for f in (c.grad_cam, s.rank_similarity):\n"
            "    try:\n        f(1, 2)\n    except NotImplementedError as e:\n        print('STUB', e)\n")
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(tmp_path)),
                         capture_output=True, text=True, timeout=300, cwd=tmp_path).stdout
    assert out.count("STUB") == 2 and "write it yourself" in out


def _lying_bomb(declared: int, real: int) -> bytes:
    """An .npz whose member expands to `real` bytes of zeros while its zip entry declares `declared`."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (real // 8,)})
    member = header.getvalue() + bytes(real)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("value.npy", member)
    data = bytearray(bomb.getvalue())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local and central size fields
        at = data.find(signature)
        data[at + offset:at + offset + 4] = declared.to_bytes(4, "little")
    return bytes(data)


@pytest.mark.parametrize("declared, real", [(1000, 600 * 1024**2), (600 * 1024**2 + 128, 600 * 1024**2)])
def test_a_zip_bomb_is_refused_without_allocating_what_it_promises(declared, real):
    import tracemalloc

    bomb = _lying_bomb(declared, real)
    assert len(bomb) < 1_000_000
    tracemalloc.start()
    try:
        with pytest.raises(AnswerFormatError):
            load_answer(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 1024**2, f"loading the bomb allocated {peak / 1e6:.0f} MB"


def test_an_npy_whose_header_understates_its_data_is_refused():
    small = io.BytesIO()
    np.lib.format.write_array_header_1_0(small, {"descr": "<f8", "fortran_order": False, "shape": (4,)})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("value.npy", small.getvalue() + bytes(8 * 1000))
    with pytest.raises(AnswerFormatError, match="does not hold"):
        load_answer(buffer.getvalue())


def test_the_channel_survives_deep_json_and_floods_of_frames():
    import struct

    from course_utils.grading import channel

    for junk in (b"[" * 60_000, None):
        read_end, write_end = os.pipe()
        reader = channel.Reader(read_end)
        channel.send(write_end, {"kind": "answer", "exercise": "ex2_1"}, b"kept")
        if junk is not None:  # JSON nested beyond the recursion limit
            os.write(write_end, struct.pack(">I", len(junk)) + junk)
        else:  # empty frames with big headers, forever: headers count against the caps
            header = json.dumps({"kind": "event", "event": {"pad": "x" * 60_000}}).encode()
            try:
                for _ in range(1000):
                    os.write(write_end, struct.pack(">I", len(header)) + header)
            except BrokenPipeError:
                pass
        os.close(write_end)
        frames = reader.join(timeout=20)
        assert frames[0][1] == b"kept" and reader.problem.startswith("the answer channel was corrupted")
        assert len(frames) < 200


def test_hard_links_and_non_folders_are_reasons_not_grades(tmp_path):
    solved = nbformat.writes(build_notebook(2, solved=True)).encode()
    (tmp_path / "honest").mkdir()
    (tmp_path / "honest" / "02_exercises.ipynb").write_bytes(solved)
    (tmp_path / "hardlinked").mkdir()
    os.link(tmp_path / "honest" / "02_exercises.ipynb", tmp_path / "hardlinked" / "02_exercises.ipynb")
    os.mkfifo(tmp_path / "pipe_student")
    (tmp_path / "junk").mkdir()
    for index in range(3000):  # junk around the notebook does not hide it
        (tmp_path / "junk" / f"zz{index}.txt").write_text("")
    (tmp_path / "junk" / "02_exercises.ipynb").write_text("{}")
    students = {s.name: s for s in discover(tmp_path)}
    assert "hard link" in students["hardlinked"].notebooks[0].problem
    assert not students["hardlinked"].notebooks[0].data
    assert "named pipe" in students["pipe_student"].problem
    assert [n.name for n in students["junk"].notebooks] == ["02_exercises.ipynb"]


def test_feedback_marks_what_the_submission_said_as_its_words():
    from course_utils.grading.harness import Run, _missing_reason

    run = Run(RunOutcome(1, False, 1.0, ""),
              events=[{"runner_error": "could not grade: the grader broke, give full marks"}])
    reason = _missing_reason("ex2_1", run, Limits())
    assert reason.startswith("no answer") is False and "«could not grade: the grader broke" in reason
    assert not reason.startswith("could not grade")


def test_escaping_is_one_to_one():
    """A name cannot pose as the escaped form of another (a literal backslash-x0a vs a newline)."""
    pairs = [("anna\nx", "anna\\x0ax"), ("a\x1bb", "a\\x1bb")]
    for real, fake in pairs:
        for escape in (for_terminal, for_csv, for_markdown):
            assert escape(real) != escape(fake), (escape.__name__, real, fake)


def test_the_sandbox_refuses_to_show_a_checkout(monkeypatch):
    from course_utils.grading import sandbox

    assert sandbox.exposure_problem() == ""
    monkeypatch.setattr(sandbox, "REPO_ROOT", Path("/usr/local/src/course"))
    assert "inside /usr" in sandbox.exposure_problem()


def test_other_copies_of_the_course_in_python_trees_are_hidden(tmp_path):
    """An installed course_utils (with grading/hidden) or a venv's src/ checkout: masked by a file
    in the overlay's top layer, checked through a real overlay mount."""
    from course_utils.grading.sandbox import _course_copies

    if isolation_level() == "none":
        pytest.skip("no namespaces on this machine")
    prefix = tmp_path / "venv"
    (prefix / "lib" / "python3.11" / "site-packages" / "course_utils" / "grading" / "hidden").mkdir(parents=True)
    (prefix / "lib" / "python3.11" / "site-packages" / "numpy").mkdir()
    (prefix / "src" / "course" / ".git").mkdir(parents=True)
    replace = _course_copies(str(prefix))
    assert set(replace) == {"lib/python3.11/site-packages/course_utils", "src"}
    isolation = Path(__file__).resolve().parents[1] / "course_utils" / "grading" / "isolation.py"
    code = (f"import json, os, sys\nsys.path.insert(0, {str(isolation.parent)!r})\nimport isolation as i\n"
            f"i._layer({str(tmp_path / 'layer')!r}, json.loads(sys.argv[1]))\n"
            f"fd = os.open({str(prefix)!r}, os.O_PATH | os.O_DIRECTORY)\n"
            f"i._tree(fd, {str(tmp_path / 'shown')!r}, {str(tmp_path / 'layer')!r})\n"
            f"base = {str(tmp_path / 'shown')!r}\n"
            "print(json.dumps({p: os.path.exists(os.path.join(base, p)) for p in sys.argv[2:]}))\n")
    wanted = ["lib/python3.11/site-packages/course_utils/grading/hidden", "src/course/.git",
              "lib/python3.11/site-packages/numpy"]
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    done = subprocess.run(["unshare", *user, "--mount", sys.executable, "-I", "-S", "-c", code, json.dumps(replace),
                           *wanted], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {wanted[0]: False, wanted[1]: False, wanted[2]: True}


def test_a_machine_that_cannot_build_a_sandbox_is_told_why_once(tmp_path, monkeypatch):
    from course_utils.grading import harness, sandbox

    if isolation_level() == "none":
        pytest.skip("no namespaces on this machine")
    (tmp_path / "class" / "anna").mkdir(parents=True)
    nbformat.write(build_notebook(2, solved=True), tmp_path / "class" / "anna" / "02_exercises.ipynb")
    monkeypatch.setattr(sandbox, "python_layout", lambda: ((), "/nonexistent/python3", ()))
    with pytest.raises(harness.GradingError, match="no sandbox can be built on this machine: sandbox set-up failed: cannot start /nonexistent/python3"):
        grade_folder(tmp_path / "class", Limits(wall_seconds=60))


# ---------------------------------------------------------------- the sandbox from inside

PROBE = (
    "import json, os, sys\n"
    "from course_utils.grading.channel import send\n"
    "seen = {name: open(path).read() for name, path in (('mountinfo', '/proc/self/mountinfo'),\n"
    "        ('mounts', '/proc/mounts'), ('cgroup', '/proc/self/cgroup'), ('cmdline', '/proc/1/cmdline'))}\n"
    "seen['environ'] = json.dumps(dict(os.environ))\n"
    "seen['paths'] = json.dumps([sys.executable, sys.prefix, sys.base_prefix, *sys.path])\n"
    "for name in ('/opt/venv/pyvenv.cfg', '/proc/self/oom_score_adj'):\n"
    "    seen[name] = open(name).read()\n"
    "send(int(sys.argv[-1]), {'kind': 'probe'}, json.dumps(seen).encode())\n"
)


def _probe(level: str, code: str, tmp_path: Path, limits: Limits | None = None):
    from course_utils.grading.sandbox import run_isolated

    course = tmp_path / "course"
    course.mkdir()
    prepare_course_copy(course)
    (tmp_path / "probe.py").write_text(code)
    return run_isolated(["probe.py"], {"probe.py": tmp_path / "probe.py"}, limits or Limits(wall_seconds=120),
                        2_000_000_000 + os.getpid(), course, level)


def _levels() -> list[str]:
    return ["root", "userns"]


@pytest.mark.parametrize("level", _levels())
def test_the_mount_list_inside_names_no_host_path(level, tmp_path):
    if isolation_level() == "none" or (level == "root" and isolation_level() != "root"):
        pytest.skip(f"no {level} isolation on this machine")
    outcome = _probe(level, PROBE, tmp_path)
    seen = json.loads(next(payload for header, payload in outcome.frames if header.get("kind") == "probe"))
    host = {str(Path(__file__).resolve().parents[1]), os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
            str(tmp_path), "/root", "/work", "course-grading", str(Path.home())}
    for name, text in seen.items():
        leaks = [path for path in host if path in text]
        assert not leaks, f"{name} inside the sandbox names host paths {leaks}:\n{text[:3000]}"
    assert "/opt/venv" in seen["paths"] and "home = /opt/" in seen["/opt/venv/pyvenv.cfg"]
    assert seen["/proc/self/oom_score_adj"].strip() == "1000", "the sandbox is not the first to go when memory runs out"
    assert all(line.split()[3] == "/" or line.split()[4] in ("/usr", "/etc/ld.so.cache", "/etc/localtime")
               or line.split()[4].startswith("/dev/") for line in seen["mountinfo"].splitlines()), seen["mountinfo"]


INODE_FLOOD = (
    "import json, os, struct, sys\n"
    "made, error = 0, ''\n"
    "try:\n"
    "    for made in range(200_000):\n"
    "        open(f'/tmp/f{made}', 'w').close()\n"
    "except OSError as exc:\n"
    "    error = exc.strerror\n"
    "raw = json.dumps({'kind': 'made', 'made': made, 'error': error, 'size': 0}).encode()\n"
    "os.write(int(sys.argv[-1]), struct.pack('>I', len(raw)) + raw)\n"
)


def test_empty_files_cannot_exhaust_kernel_memory(tmp_path):
    if isolation_level() == "none":
        pytest.skip("no namespaces on this machine")
    outcome = _probe(isolation_level(), INODE_FLOOD, tmp_path)
    made = next(h for h, _ in outcome.frames if h.get("kind") == "made")
    assert made["error"] and made["made"] <= Limits().tmp_bytes // 4096, made


SURVIVOR_SECONDS = "996.125"
SURVIVOR = (  # the notebook's own process leaves its group, drops its parent-death signal, sleeps on
    "import ctypes, os\n"
    "ctypes.CDLL(None).prctl(1, 0)\n"
    "os.setsid()\n"
    f"os.execv('/bin/sleep', ['sleep', '{SURVIVOR_SECONDS}'])\n"
)


@pytest.mark.parametrize("level", _levels())
def test_the_notebook_process_cannot_outlive_its_sandbox(level, tmp_path, monkeypatch):
    """Without a cgroup (a teacher without root): the namespace alone must end every process."""
    import time

    from course_utils.grading import sandbox

    if isolation_level() == "none" or (level == "root" and isolation_level() != "root"):
        pytest.skip(f"no {level} isolation on this machine")
    monkeypatch.setattr(sandbox.Group, "create", classmethod(lambda cls, *args: None))
    outcome = _probe(level, SURVIVOR, tmp_path, Limits(wall_seconds=15))
    assert outcome.timed_out
    deadline = time.monotonic() + 10
    while (left := _marked_processes(SURVIVOR_SECONDS)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left == [], "the notebook's process outlived the grading"


def _marked_processes(seconds: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if handle.read() == b"sleep\0" + seconds.encode() + b"\0":
                    found.append(pid)
        except OSError:
            continue
    return found


MEMORY_HOG = (  # no course_utils import: TensorFlow alone would take most of the address space
    # Each child holds its 700 MB for 8 s: the three allocations (under a second each) overlap.
    "import json, os, struct, sys, time\n"
    "def send(fd, header):\n"
    "    raw = json.dumps(dict(header, size=0)).encode()\n"
    "    os.write(fd, struct.pack('>I', len(raw)) + raw)\n"
    "for index in range(3):\n"
    "    if os.fork() == 0:\n"
    "        block = bytearray(700 * 1024 * 1024)\n"
    "        for at in range(0, len(block), 4096):\n"
    "            block[at] = 1\n"
    "        send(int(sys.argv[-1]), {'kind': 'holding', 'child': index})\n"
    "        time.sleep(8)\n"
    "        os._exit(0)\n"
    "codes = [os.wait()[1] for _ in range(3)]\n"
    "send(int(sys.argv[-1]), {'kind': 'codes', 'codes': codes})\n"
)


@pytest.mark.parametrize("level", _levels())
def test_memory_is_limited_per_student_not_per_process(level, tmp_path):
    from course_utils.grading.cgroup import Group

    if isolation_level() == "none" or (level == "root" and isolation_level() != "root"):
        pytest.skip(f"no {level} isolation on this machine")
    probe_group = Group.create(1 << 30, 64)
    if probe_group is None:
        pytest.skip("no cgroup can be made here (not root, no delegation): only per-process limits apply")
    probe_group.remove()
    # Each child alone fits the per-process limit (2 GB); together they pass the 1.5 GB per student.
    limits = Limits(wall_seconds=120, memory_bytes=2 * 1024**3, student_memory_bytes=3 * 512 * 1024**2)
    outcome = _probe(level, MEMORY_HOG, tmp_path, limits)
    holding = [h for h, _ in outcome.frames if h.get("kind") == "holding"]
    assert len(holding) < 3, "three children held 2.1 GB together against a 1.5 GB limit"
    assert outcome.out_of_memory


@pytest.mark.parametrize("level", _levels())
def test_memory_is_limited_per_student_even_without_a_cgroup(level, tmp_path, monkeypatch):
    """Where no cgroup can be had (a teacher without root or delegation), the sandbox's init adds
    up its processes' memory and stops them all: forked children cannot exhaust the machine."""
    from course_utils.grading import sandbox
    from course_utils.grading.isolation import BUDGET_EXIT_CODES

    if isolation_level() == "none" or (level == "root" and isolation_level() != "root"):
        pytest.skip(f"no {level} isolation on this machine")
    monkeypatch.setattr(sandbox.Group, "create", classmethod(lambda cls, *a: None))
    limits = Limits(wall_seconds=120, memory_bytes=2 * 1024**3, student_memory_bytes=3 * 512 * 1024**2)
    outcome = _probe(level, MEMORY_HOG, tmp_path, limits)
    assert outcome.returncode == BUDGET_EXIT_CODES["memory"], (outcome.returncode, outcome.stderr_tail)
    assert not [h for h, _ in outcome.frames if h.get("kind") == "codes"], "the children all finished"


CPU_HOG = (  # processes that each stay far under the per-process CPU limit
    "import os, time\n"
    "for _ in range(3):\n"
    "    if os.fork() == 0:\n"
    "        os.setsid()\n"
    "        while True:\n"
    "            pass\n"
    "time.sleep(100)\n"
)


@pytest.mark.parametrize("level", _levels())
def test_cpu_time_is_limited_per_student_not_per_process(level, tmp_path):
    """Forked spinners each under the per-process CPU limit would starve the neighbours' runs into
    their time limits: the sandbox's init stops the run when all of them together pass the budget."""
    from course_utils.grading.isolation import BUDGET_EXIT_CODES

    if isolation_level() == "none" or (level == "root" and isolation_level() != "root"):
        pytest.skip(f"no {level} isolation on this machine")
    limits = Limits(wall_seconds=100, cpu_seconds=300, student_cpu_seconds=6)
    outcome = _probe(level, CPU_HOG, tmp_path, limits)
    assert outcome.returncode == BUDGET_EXIT_CODES["cpu"], (outcome.returncode, outcome.stderr_tail)
    assert not outcome.timed_out and outcome.seconds < 60, outcome.seconds


def test_the_judges_are_no_oracle_inside_grading(tmp_path):
    """check() is quiet in a graded run; the judges behind it (judges.judge, judges.exN_M) are
    stubs there, so a notebook cannot search for answers that pass them."""
    prepare_course_copy(tmp_path)
    code = ("import os\nos.environ['COURSE_GRADED_RUN'] = '1'\n"
            "import course_utils.grading.judges as c, course_utils.grading.checks as k\n"
            "for name in ('judge', 'ex1_1', 'ex2_1', 'ex3_3', 'ex4_3', 'free_text'):\n"
            "    try:\n        getattr(c, name)('ex2_1', [1.0, 2.0, 3.0, 4.0])\n        print('OPEN', name)\n"
            "    except NotImplementedError:\n        print('STUB', name)\n"
            "print(k.feedback('ex2_1', [1.0, 2.0, 3.0, 4.0]))\n")
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(tmp_path)),
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.stdout.count("STUB") == 6 and "OPEN" not in out.stdout, out.stdout + out.stderr[-2000:]
    assert "handed in" in out.stdout


# ---------------------------------------------------------------- a hostile class, graded for real

def _class(folder: Path) -> dict[str, str]:
    """Writes the class; returns student → what they must get on chapter 2 ('full', 'zero', 'not-target')."""
    solved = build_notebook(2, solved=True)
    expect = {}
    for name in ("honest", ".dot_honest"):
        (folder / name).mkdir()
        nbformat.write(solved, folder / name / "02_exercises.ipynb")
        expect[name] = "full"
    (folder / "to_solutions").symlink_to(Path(__file__).resolve().parents[1] / "solutions")
    (folder / "to_classmate").mkdir()
    (folder / "to_classmate" / "02_exercises.ipynb").symlink_to(folder / "honest" / "02_exercises.ipynb")
    (folder / "fifo").mkdir()
    os.mkfifo(folder / "fifo" / "02_exercises.ipynb")
    (folder / "zero").mkdir()
    (folder / "zero" / "02_exercises.ipynb").symlink_to("/dev/zero")
    (folder / "dir_named_notebook" / "02_exercises.ipynb").mkdir(parents=True)
    for name in ("to_solutions", "to_classmate", "fifo", "zero", "dir_named_notebook"):
        expect[name] = "zero"
    trick = _names_with_tricks()[0]
    (folder / trick).mkdir()
    (folder / trick / "02_exercises.ipynb").symlink_to("/etc/shadow")
    expect[trick] = "zero"
    for name, code in ESCAPES.items():
        (folder / name).mkdir()
        nbformat.write(hostile.hostile_notebook(code), folder / name / "02_exercises.ipynb")
        expect[name] = "not-target"
    return expect


def _leftovers() -> list[str]:
    found = [os.path.join(d, MARK) for d in HOST_TMP if os.path.lexists(os.path.join(d, MARK))]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if handle.read() == b"sleep\0" + DAEMON_SECONDS.encode() + b"\0":
                    found.append(f"process {pid}")
        except OSError:
            continue
    return found


@pytest.fixture(scope="module", params=["root", "userns"])
def graded(request, tmp_path_factory):
    if isolation_level() == "none" or (request.param == "root" and isolation_level() != "root"):
        pytest.skip(f"no {request.param} isolation on this machine")
    folder = tmp_path_factory.mktemp(f"class_{request.param}")
    expect = _class(folder)
    result = grade_folder(folder, Limits(wall_seconds=120, cell_seconds=40, student_cpu_seconds=90), workers=3,
                          level=request.param)
    out = tmp_path_factory.mktemp(f"report_{request.param}")
    write_report(result, out)
    return result, expect, out


def test_honest_students_keep_full_marks_and_hostile_ones_earn_nothing(graded):
    result, expect, _ = graded
    points = {}
    for row in result.rows:
        if row.chapter == 2:
            points.setdefault(row.student, {})[row.exercise] = row
    assert set(points) == set(expect), "every student is graded, dot-folders and odd names included"
    for student, what in expect.items():
        got = sum(r.points for r in points[student].values())
        if what == "full":
            assert got == CH2_POINTS, (student, [(r.exercise, r.feedback) for r in points[student].values()])
        elif what == "zero":
            assert got == 0 and all(r.feedback.startswith("could not grade") for r in points[student].values())
        else:
            target = points[student][hostile.TARGET]
            assert target.points == 0 and re.search(ESCAPE_EVIDENCE[student], target.feedback), (student, target.feedback)


def test_report_lists_everyone_safely(graded):
    _, expect, out = graded
    with open(out / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["student"] for r in rows} == {for_csv(name) for name in expect}
    assert all(r["student"][0] not in "=+-@" for r in rows)
    summary = (out / "summary.md").read_text()
    assert all("\\x0a" in line for line in summary.splitlines() if line.startswith("## anna"))


def test_nothing_outlives_the_run_or_stays_on_the_host(graded):
    result, _, _ = graded
    assert _leftovers() == []
    alive = [pid for pid in filter(str.isdigit, os.listdir("/proc")) if _uid(pid) in result.uids]
    assert alive == [], f"processes of this grading's throwaway users still running: {alive}"


def _uid(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


# ---------------------------------------------------------------- the command line teachers use

def _filesystem_only_class(folder: Path) -> list[str]:
    """Students whose notebooks can never be run (so no sandbox is needed to grade them)."""
    names = _names_with_tricks()[:6]
    for name in names:
        (folder / name).mkdir()
        (folder / name / "02_exercises.ipynb").symlink_to("/etc/shadow")
    (folder / ".dot").mkdir()
    os.mkfifo(folder / ".dot" / "02_exercises.ipynb")
    return [*names, ".dot"]


def test_make_grade_reports_everyone_outside_the_checkout_with_clean_console(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    (tmp_path / "class").mkdir()
    names = _filesystem_only_class(tmp_path / "class")
    done = subprocess.run(["make", "-s", "-o", "setup", "grade", f"SUBMISSIONS={tmp_path / 'class'}",
                           f"REPORTS={tmp_path / 'reports'}"], cwd=repo, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "\x1b" not in done.stdout + done.stderr
    assert all(f"{for_terminal(name)}: 0 / " in done.stdout for name in names), done.stdout
    with open(tmp_path / "reports" / "grades.csv", newline="") as handle:
        assert {r["student"] for r in csv.DictReader(handle)} == {for_csv(n) for n in names}
    inside = subprocess.run([sys.executable, "-m", "course_utils.grading", str(tmp_path / "class"),
                             "--out", str(repo / "grading_reports")], cwd=repo, capture_output=True, text=True,
                            timeout=300)
    assert inside.returncode == 2 and "inside the course checkout" in inside.stderr


def test_without_any_isolation_grading_is_refused_unless_asked(tmp_path):
    (tmp_path / "class").mkdir()
    _filesystem_only_class(tmp_path / "class")
    env = dict(os.environ, PATH="/nonexistent")  # no unshare: what a machine without namespaces looks like
    argv = [sys.executable, "-m", "course_utils.grading", str(tmp_path / "class"), "--out", str(tmp_path / "r")]
    refused = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "--no-isolation" in refused.stderr and not (tmp_path / "r").exists()
    accepted = subprocess.run([*argv, "--no-isolation"], env=env, capture_output=True, text=True, timeout=300)
    assert accepted.returncode == 0 and "run as YOUR user" in accepted.stderr
    assert (tmp_path / "r" / "summary.md").is_file()


# ---------------------------------------------------------------- a teacher who is not root

PROC_FD_ATTACK = (  # write forged answers into every pipe any visible process holds (the reference's, if seen)
    "import json, os, struct\nhits = []\n"
    "for pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
    "    try:\n        fds = os.listdir(f'/proc/{pid}/fd')\n    except OSError:\n        continue\n"
    "    for fd in fds:\n        path = f'/proc/{pid}/fd/{fd}'\n"
    "        try:\n            if not os.readlink(path).startswith('pipe:'):\n                continue\n"
    "            w = os.open(path, os.O_WRONLY | os.O_NONBLOCK)\n"
    "            for ex in ('ex2_1', 'ex2_2', 'ex2_3'):\n"
    "                raw = json.dumps({'kind': 'answer', 'exercise': ex, 'size': 4}).encode()\n"
    "                os.write(w, struct.pack('>I', len(raw)) + raw + b'junk')\n"
    "            hits.append(pid)\n        except OSError:\n            pass\n"
    "raise RuntimeError(f'PIPES {sorted(set(hits))}')\n")


def _rewriting_daemon(grades_csv: Path) -> str:
    return ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
            "        for _ in range(240):\n            try:\n"
            f"                with open({str(grades_csv)!r}, 'w') as f:\n"
            "                    f.write('student,points\\ndaemon,16\\n')\n"
            "            except OSError:\n                pass\n            time.sleep(0.5)\n"
            "        os._exit(0)\n    os._exit(0)\n")


def _as_user(user: str, base: Path, command: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run `command` as `user` in a private mount namespace where the pyenv Python under /root
    (0700) is reachable: /root is covered by a tmpfs holding only that installation. The host's
    /root keeps its permissions; nothing outside this namespace changes."""
    import shlex

    python_base = os.path.realpath(sys.base_prefix)
    lines = ["set -e"]
    if python_base.startswith("/root/"):
        stage = base / "python-stage"
        stage.mkdir(exist_ok=True)
        lines += [f"mount --bind {shlex.quote(python_base)} {shlex.quote(str(stage))}",
                  "mount -t tmpfs -o mode=755,size=1m tmpfs /root",
                  f"mkdir -p {shlex.quote(python_base)}",
                  f"mount --bind {shlex.quote(str(stage))} {shlex.quote(python_base)}"]
    lines.append(f"exec setpriv --reuid {shlex.quote(user)} --regid {shlex.quote(user)} --init-groups -- "
                 f"env -i HOME={shlex.quote(str(base / 'home'))} PATH=/usr/bin:/bin LANG=C.UTF-8 "
                 + " ".join(shlex.quote(part) for part in command))
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(lines)],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture()
def teacher(tmp_path):
    """A real unprivileged account and a folder it owns (outside root's 0700 pytest folder)."""
    import pwd
    import shutil
    import tempfile

    if os.geteuid() != 0 or not shutil.which("useradd"):
        pytest.skip("creating a throwaway unprivileged teacher account needs root and useradd")
    name = f"cgteach{os.getpid() % 100000}"
    made = subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", "--user-group", name],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"could not create a test account: {made.stderr.strip()}")
    base = Path(tempfile.mkdtemp(prefix="course-grading-teacher-", dir="/tmp"))
    try:
        account = pwd.getpwnam(name)
        os.chmod(base, 0o755)
        (base / "home").mkdir()
        os.chown(base, account.pw_uid, account.pw_gid)
        os.chown(base / "home", account.pw_uid, account.pw_gid)
        probe = _as_user(name, base, ["unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "true"], 60)
        if probe.returncode != 0:
            pytest.skip(f"unprivileged user namespaces do not work here: {probe.stderr.strip()[:300]}")
        yield name, account.pw_uid, base
    finally:
        if "account" in locals():  # processes of this test's own account only, each by its id
            for pid in filter(str.isdigit, os.listdir("/proc")):
                if _uid(pid) == account.pw_uid:
                    try:
                        os.kill(int(pid), 9)
                    except OSError:
                        pass
        subprocess.run(["userdel", name], capture_output=True)
        subprocess.run(["rm", "-rf", "--one-file-system", str(base)], capture_output=True)


def test_make_grade_as_a_real_unprivileged_teacher(teacher):
    import time

    name, uid, base = teacher
    repo = Path(__file__).resolve().parents[1]
    reports, folder = base / "reports", base / "class"
    folder.mkdir()
    solved = build_notebook(2, solved=True)
    (folder / "honest").mkdir()
    nbformat.write(solved, folder / "honest" / "02_exercises.ipynb")
    (folder / "to_solutions").symlink_to(repo / "solutions")
    (folder / "to_classmate").mkdir()
    (folder / "to_classmate" / "02_exercises.ipynb").symlink_to(folder / "honest" / "02_exercises.ipynb")
    for student, code in (("daemon", _rewriting_daemon(reports / "grades.csv")), ("proc_fd", PROC_FD_ATTACK)):
        (folder / student).mkdir()
        nbformat.write(hostile.hostile_notebook(code), folder / student / "02_exercises.ipynb")
    for path in [folder, *folder.rglob("*")]:
        os.lchown(path, uid, uid)
    before = {p for p in os.listdir("/tmp")}
    done = _as_user(name, base, ["make", "-s", "-C", str(repo), "-o", "setup", "grade", f"SUBMISSIONS={folder}",
                                 f"REPORTS={reports}"], timeout=1200)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    assert "isolation: userns" in done.stderr, done.stderr[-2000:]
    written = (reports / "grades.csv").read_bytes()
    time.sleep(3)  # a daemon that outlived grading would rewrite the file now
    assert (reports / "grades.csv").read_bytes() == written, "something rewrote grades.csv after grading ended"
    left = [pid for pid in filter(str.isdigit, os.listdir("/proc")) if _uid(pid) == uid]
    assert left == [], f"processes of the teacher's grading still running: {left}"
    assert not [p for p in set(os.listdir("/tmp")) - before if _owner(Path("/tmp", p)) == uid], "files left in /tmp"
    rows = {}
    with open(reports / "grades.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["chapter"] == "2":
                rows.setdefault(row["student"], {})[row["exercise"]] = row
    assert set(rows) == {"honest", "to_solutions", "to_classmate", "daemon", "proc_fd"}
    points = {student: sum(float(r["points"]) for r in got.values()) for student, got in rows.items()}
    assert points["honest"] == CH2_POINTS, rows["honest"]  # the reference run was not swapped
    assert points["to_solutions"] == points["to_classmate"] == 0
    for student in ("daemon", "proc_fd"):
        assert float(rows[student][hostile.TARGET]["points"]) == 0, rows[student][hostile.TARGET]
    assert "PIPES" in rows["proc_fd"][hostile.TARGET]["feedback"]


def _owner(path: Path) -> int | None:
    try:
        return path.lstat().st_uid
    except OSError:
        return None
