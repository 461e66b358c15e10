"""Inside the sandbox: one student's notebooks, one after another, from a pre-imported template.

Importing TensorFlow, Keras, Matplotlib and the course costs ~4 CPU s, most of a notebook's
run. This process (the template) imports them once, never runs any student code, and forks one
child per notebook; each child runs `runner.run` on its notebook with the modules already loaded.
Between two notebooks the template puts the sandbox back to a fresh state, so a notebook sees
what it would see alone:

- every process the notebook left is killed (`kill(-1)` spares only the sandbox's init and the
  template), and none may remain;
- the home folder and every writable tmpfs (/tmp, /var/tmp, /dev/shm, /run/lock) are emptied,
  whatever the notebook did to their permissions, and must be empty;
- no System V IPC object may remain (the IPC namespace is the session's).

What cannot be put back is reported as a `dirty` frame and the template stops: the grader runs
that student's remaining notebooks alone, each in a sandbox of its own (today's path), as it does
for every notebook this session did not report on (the template killed or stopped by a notebook).

Why a notebook cannot reach the template or another notebook's answers: the template is not
dumpable (no ptrace, no /proc/<pid>/mem or fd of it from the same uid); each child gets only its
own answer pipe (the template closes the control pipe and the other notebooks' pipes in the child
before any of its code runs); the notebooks are read into memory and their files removed before
the first child starts. A notebook can still signal the template (same uid): killing or stopping
it only ends the session, and the grader's wall-clock limit on the whole session stays.

The template enforces each notebook's limits as the sandbox's init does for a whole sandbox: its
wall-clock limit, and the CPU time of all its processes together (the init still enforces the
session's total). Reports go to the grader on the control pipe, one frame per notebook.

Run as `python -m course_utils.grading.session SESSION_JSON CONTROL_FD CHANNEL_FD...`.
"""
from __future__ import annotations

import ctypes
import importlib
import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

# What the exercise notebooks import; a module that fails here is simply imported by the child.
PRELOAD = ("numpy", "scipy.stats", "tensorflow", "keras", "matplotlib.pyplot", "PIL.Image", "nbformat",
           "IPython.core.interactiveshell", "course_utils", "course_utils.activations", "course_utils.images",
           "course_utils.measured", "course_utils.overlay", "course_utils.regularizers", "course_utils.small_convnet",
           "course_utils.cam", "course_utils.occlusion", "course_utils.heatmaps", "course_utils.filters",
           "course_utils.faithfulness", "course_utils.relu_rules", "course_utils.deconvnet", "course_utils.sanity",
           "course_utils.grading.runner", "course_utils.grading.answers", "course_utils.grading.checks",
           "course_utils.grading.fixtures")
WRITABLE = ("/home/student", "/tmp", "/var/tmp", "/dev/shm", "/run/lock")
POLL_SECONDS = 0.1
PR_SET_DUMPABLE = 4
TICK = os.sysconf("SC_CLK_TCK")


class Dirty(Exception):
    """The sandbox could not be put back to a fresh state."""


def _stat_fields(pid: str) -> list[bytes]:
    with open(f"/proc/{pid}/stat", "rb") as handle:
        return handle.read().rsplit(b")", 1)[1].split()   # a process name may hold ')'


def cpu_seconds() -> float:
    """CPU time of every process of the sandbox, reaped ones included (through their parents'
    cutime/cstime), without the init's and the template's own watching."""
    total, me = 0.0, str(os.getpid())
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = _stat_fields(pid)
            own = 0 if pid in ("1", me) else int(fields[11]) + int(fields[12])
            total += (own + int(fields[13]) + int(fields[14])) / TICK
        except (OSError, IndexError, ValueError):
            continue  # it ended while we looked
    return total


def others() -> list[str]:
    """Live processes other than the init and the template (zombies wait for the init to reap them)."""
    me, found = str(os.getpid()), []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if pid not in ("1", me) and _stat_fields(pid)[0] != b"Z":
                found.append(pid)
        except (OSError, IndexError):
            continue
    return found


def kill_the_rest() -> None:
    for _ in range(50):
        try:
            os.kill(-1, signal.SIGKILL)   # every process this uid may signal but the init and the template
        except ProcessLookupError:
            pass
        if not others():
            return
        time.sleep(0.02)
    raise Dirty(f"processes survived being killed: {others()[:5]}")


def wipe() -> None:
    for folder in WRITABLE:
        if not os.path.isdir(folder):
            continue
        entries = [os.path.join(folder, name) for name in os.listdir(folder)]
        if entries:  # coreutils: no recursion limit, no links followed; chmod first, a notebook may lock its folders
            for tool in (["/usr/bin/chmod", "-R", "u+rwx", "--"], ["/usr/bin/rm", "-rf", "--one-file-system", "--"]):
                subprocess.run(tool + entries, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
                               check=False)
        if os.listdir(folder):
            raise Dirty(f"{folder} could not be emptied")
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as handle:
                if len(handle.read().splitlines()) > 1:
                    raise Dirty(f"a System V IPC object ({kind}) remains")
        except FileNotFoundError:
            pass


def preload() -> None:
    warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the child imports it again and meets the same error where the notebook can see it
            pass


def _child(path: Path, job: dict, channel: int, close: list[int]) -> None:
    """In the forked child: drop what belongs to the template, then run the notebook (never returns)."""
    code = 0
    try:
        for fd in close:
            os.close(fd)
        ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 1)
        from course_utils.grading.runner import Log, run

        log = Log(channel)
        try:
            run(path, job, log)
        except BaseException as exc:  # noqa: BLE001 - as runner.main: the grader hears why
            log.write(runner_error=f"{type(exc).__name__}: {exc}"[:300])
            code = 1
    finally:
        sys.stdout.flush()
        os._exit(code)


def run_one(index: int, notebook: dict, data: bytes, limits: dict, control: int, channels: list[int]) -> dict:
    """Fork the child for one notebook, watch its limits, clean up after it; its report."""
    from course_utils.grading.sandbox import tree_waiting_seconds

    path = Path(WRITABLE[0]) / notebook["file"]
    path.write_bytes(data)
    start, base = time.monotonic(), cpu_seconds()
    child = os.fork()
    if child == 0:  # the control pipe and the later notebooks' pipes (earlier ones are closed already)
        _child(path, notebook["job"], channels[index], [control, *channels[index + 1:]])
    os.close(channels[index])
    report = {"notebook": index, "timed_out": False, "over": "", "waiting_seconds": None}
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            report["returncode"] = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() - start > limits["wall_seconds"]:
            report.update(timed_out=True, returncode=None, waiting_seconds=tree_waiting_seconds(child))
        elif cpu_seconds() - base > limits["student_cpu_seconds"]:
            report.update(over="cpu", returncode=limits["cpu_exit_code"])
        else:
            time.sleep(POLL_SECONDS)
            continue
        kill_the_rest()
        os.waitpid(child, 0)
        break
    report["seconds"] = time.monotonic() - start
    return report


def main() -> None:
    from course_utils.grading.channel import send

    session = json.loads(Path(sys.argv[1]).read_text())
    control, channels = int(sys.argv[2]), [int(fd) for fd in sys.argv[3:]]
    notebooks = session["notebooks"]
    data = [(Path(WRITABLE[0]) / nb["file"]).read_bytes() for nb in notebooks]
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0)
    preload()
    for index, notebook in enumerate(notebooks):
        try:
            kill_the_rest()   # what the previous notebook left behind
            wipe()
            report = run_one(index, notebook, data[index], session["limits"], control, channels)
        except Dirty as exc:
            send(control, {"dirty": str(exc)[:300], "notebook": index})
            return
        send(control, report)
    send(control, {"done": True})


if __name__ == "__main__":
    main()
