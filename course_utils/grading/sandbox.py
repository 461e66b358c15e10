"""Run one untrusted notebook in its own allowlisted, size-limited, throwaway world.

Grader side. `run_isolated(...)` starts `unshare` (mount, PID, network, IPC, UTS namespaces;
plus a user namespace when the teacher is not root, so it works the same without root) around
`isolation.py`, which builds a root filesystem holding only what the notebook needs and drops
all privileges. When the notebook's process ends, its PID namespace dies with it, so forks,
daemons and fork bombs cannot outlive it. Output goes to unnamed files only the grader holds.

Levels (`isolation_level()`): "root" (namespaces + throwaway uid), "userns" (unprivileged
user namespaces), "none" (no isolation at all: only with an explicit --no-isolation).

`FORBIDDEN_IN_GRADING` lists the course functions an exercise asks the learner to write: in the
sandbox's copy of course_utils their bodies are replaced by a stub that raises.
"""
from __future__ import annotations

import ast
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .isolation import SANDBOX_COURSE, SANDBOX_HOME

from ..paths import REPO_ROOT
MAX_SUBMISSION_BYTES = 20 * 1024 * 1024

# module → names the learner must implement themselves (the exercises helper keeps this list).
FORBIDDEN_IN_GRADING = {
    "course_utils.cam": ["grad_cam", "grad_cam_from", "grad_cam_plus_plus", "grad_cam_plus_plus_from",
                         "grad_cam_gallery", "layer_gradients", "heatmap", "guided_grad_cam"],
    "course_utils.occlusion": ["occlusion_drops", "occlusion_sensitivity", "grid_to_pixels"],
    "course_utils.heatmaps": ["rank_similarity"],
    "course_utils.filters": ["optimize_patterns", "filter_patterns", "regularizer_ladder", "_ascent_step"],
    "course_utils.faithfulness": ["deletion_curve", "deletion_insertion"],
    # The judges' own reference computations: calling them would hand over the answer.
    "course_utils.grading.fixtures": ["ascent_pattern", "roughness", "grad_cam_reference", "occlusion_reference",
                                      "deletion_reference", "grey_patches"],
    "course_utils.grading.compare": ["_ascent_step"],
}
STUB_MESSAGE = "not available while grading: this exercise asks you to write it yourself"


@dataclass
class Limits:
    wall_seconds: float = 150.0      # whole notebook
    cell_seconds: float = 40.0       # one cell or one answer; enforced by the runner
    cpu_seconds: int = 300
    memory_bytes: int = 4 * 1024**3  # address space per process; TensorFlow alone reserves ~2 GB
    file_bytes: int = 64 * 1024**2   # largest file (or output stream) the notebook may write
    processes: int = 128             # threads count too (TensorFlow uses ~10)
    open_files: int = 256
    tmp_bytes: int = 256 * 1024**2   # the private /tmp (/var/tmp and /dev/shm get a quarter each)
    work_bytes: int = 256 * 1024**2  # the home folder holding the notebook


@dataclass
class RunOutcome:
    returncode: int | None
    timed_out: bool
    seconds: float
    stderr_tail: str
    frames: list = field(default_factory=list)   # what the runner sent through the channel
    channel_problem: str = ""


def _works(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@functools.lru_cache(maxsize=None)
def isolation_level() -> str:
    """'root', 'userns' (both isolate fully) or 'none' (nothing works on this machine)."""
    if not (shutil.which("unshare") and os.path.exists("/usr/bin/setpriv")):
        return "none"
    if os.geteuid() == 0 and _works(["unshare", "--mount", "--pid", "--fork", "--net", "true"]):
        return "root"
    if _works(["unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--net", "true"]):
        return "userns"
    return "none"


NO_ISOLATION_WARNING = (
    "--no-isolation: submissions run as YOUR user with only resource limits. They can read and\n"
    "change your files (hidden tests, other students' work, the report) and can leave processes\n"
    "behind. Use it only for notebooks you trust.")


# ---------------------------------------------------------------- the course copy submissions see

def _stub_module(path: Path, names: set[str], depth: int = 0) -> set[str]:
    """Replace the top-level functions/classes in `names` of the module at `path` by stubs;
    names it only imports (`from .heatmaps import rank_similarity`) are stubbed where defined.
    Returns the names found."""
    tree = ast.parse(path.read_text())
    found = set()
    for index, node in enumerate(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in names:
            found.add(node.name)
            tree.body[index] = ast.parse(f"def {node.name}(*args, **kwargs):\n"
                                         f"    raise NotImplementedError({node.name + ': ' + STUB_MESSAGE!r})\n").body[0]
        elif isinstance(node, ast.ImportFrom) and node.level and depth < 3:
            imported = {alias.name for alias in node.names if alias.asname is None} & names
            source = path.parent.joinpath(*[".."] * (node.level - 1), *(node.module or "").split("."))
            if imported and source.with_suffix(".py").is_file():
                found |= _stub_module(source.with_suffix(".py").resolve(), imported, depth + 1)
    path.write_text(ast.unparse(tree))
    return found


def prepare_course_copy(dest: Path, forbidden: dict | None = None) -> list[str]:
    """Copy course_utils (no grading/hidden, no caches) into `dest`, stubbing forbidden names.
    Returns the forbidden names that do not exist (renamed?) so the teacher hears about them."""
    forbidden = FORBIDDEN_IN_GRADING if forbidden is None else forbidden
    package = dest / "course_utils"
    shutil.copytree(REPO_ROOT / "course_utils", package, symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "hidden"))
    shutil.rmtree(package / "grading" / "hidden", ignore_errors=True)
    missing = []
    for module, names in forbidden.items():
        path = dest.joinpath(*module.split(".")).with_suffix(".py")
        if not path.is_file():
            missing += [f"{module}.{name} (no such module)" for name in names]
            continue
        found = _stub_module(path, set(names))
        missing += [f"{module}.{name}" for name in names if name not in found]
    for folder, _, files in os.walk(dest):  # readable by the throwaway uid, writable by nobody
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    os.chmod(dest, 0o755)
    return missing


# ---------------------------------------------------------------- one run

def _sandbox_env() -> dict:
    """A clean environment: nothing of the grader's leaks in except what the course needs."""
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": SANDBOX_HOME, "USER": "student", "TMPDIR": "/tmp",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{SANDBOX_HOME}/.mpl", "KERAS_HOME": f"{SANDBOX_HOME}/.keras",
            "PYTHONPATH": SANDBOX_COURSE, "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "2",
            # checks.check stays quiet here: its judge needs the reference functions stubbed above.
            "COURSE_GRADED_RUN": "1"}


def _binds(course_copy: Path) -> list[tuple[str, str]]:
    """(host path, path inside) for everything the sandbox may see; all read-only."""
    binds = [("/usr", "/usr"), ("/etc/ld.so.cache", "/etc/ld.so.cache"), ("/etc/localtime", "/etc/localtime")]
    binds += [(f"/dev/{name}", f"/dev/{name}") for name in ("null", "zero", "full", "random", "urandom")]
    for prefix in {sys.base_prefix, sys.prefix}:  # the Python installation and the venv on top of it
        if not prefix.startswith("/usr"):
            binds.append((prefix, prefix))
    binds += [(str(course_copy / "course_utils"), f"{SANDBOX_COURSE}/course_utils"),
              (str(REPO_ROOT / "data"), f"{SANDBOX_COURSE}/data")]
    return binds


def _command(level: str, config: dict) -> tuple[list[str], dict]:
    import json

    namespaces = ["--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--net", "--ipc", "--uts"]
    if level == "userns":
        namespaces = ["--user", "--map-root-user", *namespaces]
    argv = ["unshare", *namespaces, sys.executable, "-s", "-m", "course_utils.grading.isolation",
            json.dumps(config)]
    return argv, {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT), "PYTHONDONTWRITEBYTECODE": "1"}


def run_isolated(runner_args: list[str], files: dict[str, Path], limits: Limits, uid: int, course_copy: Path,
                 level: str) -> RunOutcome:
    """Run the notebook runner on `files` (name → host file, copied into the sandbox's home).
    The runner gets the write end of a pipe; its number is appended to its arguments.
    Never raises on the notebook's misbehaviour."""
    from .channel import Reader

    read_end, write_end = os.pipe()
    command = [sys.executable, "-s", *runner_args, str(write_end)]
    scratch = None
    if level == "none":
        scratch = Path(tempfile.mkdtemp(prefix="course-grading-unisolated-"))
        for name, path in files.items():
            shutil.copyfile(path, scratch / name)
        env = dict(_sandbox_env(), HOME=str(scratch), MPLCONFIGDIR=str(scratch / ".mpl"), PYTHONPATH=str(course_copy),
                   KERAS_HOME=str(scratch / ".keras"))
        argv, cwd = command, str(scratch)

        def preexec():
            from .isolation import apply_limits
            apply_limits(asdict(limits))
    else:
        config = {"mode": level, "uid": uid, "limits": asdict(limits), "env": _sandbox_env(), "command": command,
                  "binds": _binds(course_copy), "files": {k: str(v) for k, v in files.items()},
                  "file_cap": MAX_SUBMISSION_BYTES}
        argv, env = _command(level, config)
        # `timeout` outlives a grader that is itself killed: the sandbox never runs unsupervised for long.
        argv = ["timeout", "-s", "KILL", str(int(limits.wall_seconds) + 30), *argv]
        cwd, preexec = "/", None
    start = time.monotonic()
    # Unnamed files: nothing inside the sandbox can swap them for a link or a pipe.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                                    preexec_fn=preexec, start_new_session=True, pass_fds=(write_end,))
        except OSError:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)  # only the child holds it now, so the reader sees EOF when the child is gone
        reader = Reader(read_end)
        timed_out = False
        try:
            proc.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            try:  # the process group; the PID namespace takes everything else with it
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
        frames = reader.join(timeout=10)
        return RunOutcome(None if timed_out else proc.returncode, timed_out, time.monotonic() - start,
                          _tail(err), frames, reader.problem)


def _tail(handle, size: int = 2000) -> str:
    handle.seek(0, os.SEEK_END)
    handle.seek(max(0, handle.tell() - size))
    return handle.read(size).decode("utf-8", "replace")
