"""Run one untrusted notebook in its own allowlisted, size-limited, throwaway world.

Grader side. `run_isolated(...)` starts `unshare` (mount, PID, network, IPC, UTS and cgroup
namespaces; plus a user namespace when the teacher is not root, so it works the same without
root) around `isolation.py`, which builds a root filesystem holding only what the notebook needs
(host folders appear at neutral paths, /opt/python, /opt/venv, /course: see `python_layout`),
drops all privileges and stays on as the sandbox's PID 1. When the notebook's process ends,
or the grader stops it, the PID namespace dies, so forks, daemons and fork bombs cannot outlive
it. Where a cgroup can be made (root), each run gets one: memory and processes are limited per
student, not only per process (cgroup.py). Output goes to an in-memory file only the grader holds.

Levels (`isolation_level()`, an `Isolation`): ROOT (namespaces + throwaway uid), USERNS (unprivileged
user namespaces), NONE (no isolation at all: only with an explicit --no-isolation).

`FORBIDDEN_IN_GRADING` lists the course functions an exercise asks the learner to write: in the
sandbox's copy of course_utils their bodies are replaced by a stub that raises.
"""
from __future__ import annotations

import ast
import fnmatch
import functools
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from .cgroup import Group, join_prefix
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
    "course_utils.relu_rules": ["_backward_rule", "model_with_relu_rule"],
    "course_utils.deconvnet": ["_layer_model", "project_filters"],
    # The judges' own reference computations: calling them would hand over the answer.
    "course_utils.grading.fixtures": ["ascent_pattern", "roughness", "grad_cam_reference", "occlusion_reference",
                                      "deletion_reference", "grey_patches",
                                      "_relu_backward_reference", "unit_projection_reference", "top_overlap_reference"],
    # The judges themselves: outside grading they power check(); inside, where check() stays quiet,
    # they would be an oracle to search answers with (and some recompute the reference).
    "course_utils.grading.judges": ["_ascent_step", "_projection", "_sanity_table", "judge", "_judge_now", "free_text",
                                     "ex*_*"],
}
STUB_MESSAGE = "not available while grading: this exercise asks you to write it yourself"


@dataclass
class Limits:
    wall_seconds: float = 150.0      # whole notebook, wall clock (stops a notebook that sleeps)
    cell_seconds: float = 60.0       # CPU time (all threads) of one cell or one answer; enforced by the
                                     # runner in CPU time, so a busy neighbour cannot push a cell over it
    cpu_seconds: int = 300           # per process (rlimit)
    student_cpu_seconds: int = 120   # all of one run's processes together (the sandbox's init enforces it): an
                                     # honest notebook uses 10-20 s; a hog cannot starve neighbours for long
    memory_bytes: int = 4 * 1024**3  # address space per process; TensorFlow alone reserves ~2 GB
    file_bytes: int = 64 * 1024**2   # largest file (or output stream) the notebook may write
    processes: int = 128             # threads count too (TensorFlow uses ~10); per process, and per
                                     # student in a cgroup where one can be had
    student_memory_bytes: int = 4 * 1024**3  # one run's processes together: a cgroup where one can be had
                                             # (tmpfs files count too), else the sandbox's init (PSS)
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
    out_of_memory: bool = False                  # the student's cgroup hit its memory limit
    waiting_seconds: float | None = None         # when it timed out: how long its threads waited for a CPU
    other_channels: list = field(default_factory=list)  # (frames, problem) of each channel after the first


def tree_waiting_seconds(root_pid: int) -> float | None:
    """Time the threads of `root_pid` and of every process below it spent runnable but waiting for a
    CPU (the kernel's /proc/<pid>/task/<tid>/schedstat), read from the host's side of the sandbox's
    PID namespace. A starved run waits a lot; a run that sleeps or blocks does not. None where the
    kernel does not keep the figure."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    parents[int(entry)] = int(handle.read().rsplit(b")", 1)[1].split()[1])  # the name may hold ')'
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
    tree, frontier = set(), {root_pid}
    while frontier:
        tree |= frontier
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - tree
    waited, seen = 0, False
    for pid in tree:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as handle:
                    waited += int(handle.read().split()[1])   # on CPU, waiting on the run queue (ns), slices
                    seen = True
            except (OSError, IndexError, ValueError):
                continue
    return waited / 1e9 if seen else None


def _works(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class Isolation(StrEnum):
    """How submissions are isolated (a str, so it crosses into isolation.py's JSON config as is)."""
    ROOT = "root"        # namespaces + a throwaway uid + a cgroup per student
    USERNS = "userns"    # unprivileged user namespaces: the same walls, rlimits instead of a cgroup
    NONE = "none"        # no isolation at all: only with an explicit --no-isolation


@functools.lru_cache(maxsize=None)
def isolation_level() -> Isolation:
    """ROOT, USERNS (both isolate fully) or NONE (nothing works on this machine)."""
    if not (shutil.which("unshare") and os.path.exists("/usr/bin/setpriv")):
        return Isolation.NONE
    if os.geteuid() == 0 and _works(["unshare", "--mount", "--pid", "--fork", "--net", "true"]):
        return Isolation.ROOT
    if _works(["unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--net", "true"]):
        return Isolation.USERNS
    return Isolation.NONE


NO_ISOLATION_WARNING = (
    "--no-isolation: submissions run as YOUR user with only resource limits. They can read and\n"
    "change your files (hidden tests, other students' work, the report) and can leave processes\n"
    "behind. Use it only for notebooks you trust.")


# ---------------------------------------------------------------- the course copy submissions see

def _stub_module(path: Path, names: set[str], depth: int = 0) -> set[str]:
    """Replace the top-level functions/classes in `names` (or matching a pattern in it, `ex*_*`)
    of the module at `path` by stubs; names it only imports (`from .heatmaps import rank_similarity`) are stubbed where defined.
    Returns the names found."""
    tree = ast.parse(path.read_text())
    found = set()
    for index, node in enumerate(tree.body):
        hit = {n for n in names if n == getattr(node, "name", None)
               or ("*" in n and fnmatch.fnmatchcase(getattr(node, "name", ""), n))}
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and hit:
            found |= hit
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


SANDBOX_PYTHON, SANDBOX_VENV = "/opt/python", "/opt/venv"


def _names_checkout(path: str) -> bool:
    """True for a small file whose bytes name the checkout (editable-install files, scripts)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return str(REPO_ROOT).encode() in os.read(fd, 1 << 20)
    finally:
        os.close(fd)


@functools.lru_cache(maxsize=None)
def python_layout() -> tuple[tuple, str, tuple]:
    """(trees, the Python to run inside, extra environment) for this grader's own Python.

    The installation goes to /opt/python (left at its place when it lives under /usr, which is
    bound anyway) and the venv to /opt/venv, whose top layer points pyvenv.cfg and the python
    links at /opt/python and blanks the few files that name the checkout."""
    base, prefix = os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)
    base_exe = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    in_usr = base == "/usr" or base.startswith("/usr/")
    python_inside = base if in_usr else SANDBOX_PYTHON
    python_exe = os.path.join(python_inside, os.path.relpath(base_exe, base))
    trees = [] if in_usr else [{"source": base, "target": SANDBOX_PYTHON, "replace": _course_copies(base)}]
    env = () if in_usr else (("LD_LIBRARY_PATH", f"{SANDBOX_PYTHON}/lib"),)  # libpython's RUNPATH names the host
    if prefix == base:
        return tuple(trees), python_exe, env
    replace = {**_course_copies(prefix), "pyvenv.cfg": f"home = {os.path.dirname(python_exe)}\ninclude-system-site-packages = "
                             f"{str(_venv_setting(prefix, 'include-system-site-packages') or 'false')}\n"
                             f"version = {'.'.join(map(str, sys.version_info[:3]))}\n"}
    for name in ("python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"):
        replace[f"bin/{name}"] = {"symlink": python_exe}
    site_packages = os.path.relpath(sysconfig.get_path("purelib"), sys.prefix)
    suspects = [os.path.join("bin", n) for n in _listdir(os.path.join(prefix, "bin"))]
    suspects += [os.path.join(site_packages, n) for n in _listdir(os.path.join(prefix, site_packages))
                 if n.endswith((".pth", ".egg-link")) or n.startswith("__editable__")]
    suspects += [os.path.join(site_packages, n, "direct_url.json")
                 for n in _listdir(os.path.join(prefix, site_packages)) if n.endswith(".dist-info")]
    for relative in suspects:  # an editable install's files exist only to point at a checkout
        if relative not in replace and (os.path.basename(relative).startswith("__editable__")
                                        or _names_checkout(os.path.join(prefix, relative))):
            replace[relative] = ""
    trees.append({"source": prefix, "target": SANDBOX_VENV, "replace": replace})
    return tuple(trees), f"{SANDBOX_VENV}/bin/python{sys.version_info[0]}", env


def _course_copies(prefix: str) -> dict:
    """Top-layer entries hiding other copies of the course inside a Python tree: an installed
    (non-editable) course_utils would carry grading/hidden, and a venv's src/ holds `pip install -e
    git+...` checkouts with their .git. A file in the top layer hides the whole folder below it."""
    hidden = {}
    for lib in ("lib", "lib64"):
        for version in _listdir(os.path.join(prefix, lib)):
            for packages in ("site-packages", "dist-packages"):
                relative = os.path.join(lib, version, packages, "course_utils")
                if os.path.isdir(os.path.join(prefix, relative)):
                    hidden[relative] = ""
    if os.path.isdir(os.path.join(prefix, "src")):
        hidden["src"] = ""
    return hidden


def exposure_problem() -> str:
    """Why the sandbox cannot be built safely here ('' when it can): what it shows read-only
    (/usr, the Python installation, the venv) must not hold the checkout or hidden tests."""
    trees, _, _ = python_layout()
    repo = os.path.realpath(REPO_ROOT)
    for shown in ["/usr", *(tree["source"] for tree in trees)]:
        if repo == shown or repo.startswith(shown.rstrip("/") + "/"):
            return (f"the course checkout {repo} lies inside {shown}, which every sandbox shows; "
                    "move the checkout (or the Python environment) elsewhere")
    for pattern in ("lib/python3*/*-packages/course_utils/grading/hidden", "local/lib/python3*/*-packages/course_utils"):
        for found in Path("/usr").glob(pattern):
            return (f"a copy of the course with its hidden tests is installed at {found.parent.parent.parent}, "
                    "which every sandbox shows; uninstall it")
    return ""


def _listdir(folder: str) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def _venv_setting(prefix: str, key: str) -> str | None:
    try:
        for line in Path(prefix, "pyvenv.cfg").read_text().splitlines():
            name, _, value = line.partition("=")
            if name.strip() == key:
                return value.strip()
    except OSError:
        pass
    return None


def _binds() -> list[tuple[str, str]]:
    """(host path, path inside) bound read-only at the same place: system files only."""
    binds = [("/usr", "/usr"), ("/etc/ld.so.cache", "/etc/ld.so.cache"), ("/etc/localtime", "/etc/localtime")]
    binds += [(f"/dev/{name}", f"/dev/{name}") for name in ("null", "zero", "full", "random", "urandom")]
    return binds


def _trees(course_copy: Path) -> list[dict]:
    """Host folders shown read-only at neutral paths (overlays named by descriptors)."""
    trees, _, _ = python_layout()
    return [*trees, {"source": str(course_copy / "course_utils"), "target": f"{SANDBOX_COURSE}/course_utils"},
            {"source": str(REPO_ROOT / "data"), "target": f"{SANDBOX_COURSE}/data"}]


def _command(level: Isolation, config: dict) -> tuple[list[str], dict]:
    import json

    namespaces = ["--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--net", "--ipc", "--uts", "--cgroup"]
    if level == Isolation.USERNS:
        namespaces = ["--user", "--map-root-user", *namespaces]
    # isolation.py runs as a plain script (-I -S: standard library only): importing the course
    # package would load TensorFlow on the host side, slow, and leave caches in the host's /tmp.
    argv = ["unshare", *namespaces, sys.executable, "-I", "-S", str(Path(__file__).with_name("isolation.py")),
            json.dumps(config)]
    return argv, {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}


def _tail(fd: int, size: int = 4000) -> str:
    end = os.lseek(fd, 0, os.SEEK_END)
    return os.pread(fd, size, max(0, end - size)).decode("utf-8", "replace")


def run_isolated(runner_args: list[str], files: dict[str, Path], limits: Limits, uid: int, course_copy: Path,
                 level: Isolation, channels: int = 1) -> RunOutcome:
    """Run the notebook runner on `files` (name → host file, copied into the sandbox's home).
    The runner gets the write ends of `channels` pipes; their numbers are appended to its arguments
    (the first channel's frames are `frames`, the others' `other_channels`).
    Never raises on the notebook's misbehaviour."""
    from .channel import Reader

    scratch, group = None, None
    if level == Isolation.NONE:
        scratch = Path(tempfile.mkdtemp(prefix="course-grading-unisolated-"))
        for name, path in files.items():
            shutil.copyfile(path, scratch / name)
    else:
        group = Group.create(limits.student_memory_bytes, limits.processes)
    pipes = [os.pipe() for _ in range(channels)]
    write_ends = [write_end for _, write_end in pipes]
    fd_args = [str(fd) for fd in write_ends]
    # stdout+stderr: an unnamed in-memory file only the grader holds. Nothing inside can swap it
    # for a link or a pipe, nothing lands on the host's disk, and the file-size limit caps it.
    output = os.memfd_create("sandbox-output", os.MFD_CLOEXEC)
    try:
        if level == Isolation.NONE:
            command = [sys.executable, "-s", *runner_args, *fd_args]
            env = dict(_sandbox_env(), HOME=str(scratch), MPLCONFIGDIR=str(scratch / ".mpl"),
                       PYTHONPATH=str(course_copy), KERAS_HOME=str(scratch / ".keras"))
            argv, cwd = command, str(scratch)

            def preexec():
                from .isolation import apply_limits
                apply_limits(asdict(limits))
        else:
            _, python, extra_env = python_layout()
            config = {"mode": level, "uid": uid, "limits": asdict(limits), "env": dict(_sandbox_env(), **dict(extra_env)),
                      "command": [python, "-s", *runner_args, *fd_args], "binds": _binds(),
                      "trees": _trees(course_copy), "files": {k: str(v) for k, v in files.items()},
                      "file_cap": MAX_SUBMISSION_BYTES, "cgroup": group is not None}
            argv, env = _command(level, config)
            # `timeout` outlives a grader that is itself killed: the sandbox never runs unsupervised
            # for long. The cgroup is joined before unshare, so it holds the whole sandbox.
            argv = ["timeout", "-s", "KILL", str(int(limits.wall_seconds) + 30), *join_prefix(group), *argv]
            cwd, preexec = "/", None
        start = time.monotonic()
        try:
            proc = subprocess.Popen(argv, stdout=output, stderr=output, stdin=subprocess.DEVNULL, cwd=cwd,
                                    env=env, preexec_fn=preexec, start_new_session=True, pass_fds=tuple(write_ends))
        except OSError:
            for read_end, _ in pipes:
                os.close(read_end)
            raise
        finally:
            for fd in write_ends:
                os.close(fd)  # only the child holds them now, so the readers see EOF when the child is gone
        readers = [Reader(read_end) for read_end, _ in pipes]
        timed_out, waiting = False, None
        try:
            proc.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            waiting = tree_waiting_seconds(proc.pid)   # starved by neighbours, or asleep?
        finally:
            try:  # the process group; the PID namespace (and the cgroup) take everything else with it
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
        received = [(reader.join(timeout=10), reader.problem) for reader in readers]
        out_of_memory = group is not None and group.hit_memory_limit()
        code = proc.returncode
        if level != Isolation.NONE and code is not None and 128 < code <= 128 + 64:
            code = 128 - code  # the sandbox's init reports a signal as 128 + N (see isolation.INIT)
        (frames, problem), *others = received
        return RunOutcome(None if timed_out else code, timed_out, time.monotonic() - start,
                          _tail(output), frames, problem, out_of_memory, waiting, others)
    finally:
        os.close(output)
        if group is not None:
            group.remove()
        if scratch is not None:
            remove_tree(scratch)


def remove_tree(path: Path) -> None:
    """rm -rf without recursion in Python (a 3000-deep tree must not raise RecursionError)."""
    subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=120, check=False)
