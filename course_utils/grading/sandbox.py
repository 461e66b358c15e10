"""Run one untrusted notebook in its own locked-down process tree.

Grader side: `run_isolated(...)` starts the child and enforces the wall-clock limit.
Child side (`python -m course_utils.grading.sandbox ...`, as root inside fresh mount, PID,
network and IPC namespaces made by `unshare`): hide the secret folders behind empty
tmpfs mounts, make the repository read-only, give the child a private /tmp, set resource
limits, drop to a throwaway uid, then exec the notebook runner. When the runner dies, the
PID namespace dies with it, so forks, daemons and fork bombs cannot outlive a submission.
Without root (no namespaces, no uid switch) it still gets limits, a private working
directory and a process-group kill, and `isolation_level()` says so.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Limits:
    wall_seconds: float = 150.0      # whole notebook
    cell_seconds: float = 40.0       # one cell or one answer; enforced by the runner
    cpu_seconds: int = 300
    memory_bytes: int = 4 * 1024**3  # address space; TensorFlow alone reserves ~2 GB
    file_bytes: int = 64 * 1024**2   # largest file the notebook may write
    processes: int = 128             # threads count too (TensorFlow uses ~10)
    open_files: int = 256
    tmp_bytes: int = 256 * 1024**2   # the private /tmp


@dataclass
class RunOutcome:
    returncode: int | None
    timed_out: bool
    seconds: float
    stderr_tail: str
    frames: list = field(default_factory=list)   # what the runner sent through the channel
    channel_problem: str = ""


def isolation_level() -> str:
    """'full' (namespaces + throwaway uid) when root and unshare work, else 'basic'."""
    if os.geteuid() == 0 and all(shutil.which(tool) for tool in ("unshare", "mount", "timeout")):
        return "full"
    return "basic"


def _apply_limits(limits: Limits) -> None:
    pairs = [
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_NPROC, limits.processes),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ]
    for which, value in pairs:
        resource.setrlimit(which, (value, value))


def _no_new_privileges() -> None:
    PR_SET_NO_NEW_PRIVS = 38
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


SANDBOX_WORKDIR = Path("/tmp/work")  # where the submission's folder appears inside the sandbox


def _sandbox_env(workdir: Path) -> dict:
    """A clean environment: nothing of the grader's leaks in except what the course needs."""
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "COURSE_ASSET_MIRROR") if k in os.environ}
    keep.update({
        "HOME": str(workdir), "TMPDIR": "/tmp", "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(workdir / ".mpl"),
        "KERAS_HOME": str(workdir / ".keras"), "PYTHONPATH": str(REPO), "PYTHONHASHSEED": "0",
        "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "2",
    })
    return keep


def run_isolated(command: list[str], workdir: Path, limits: Limits, uid: int, hide: list[Path]) -> RunOutcome:
    """Run `command` (the notebook runner) as an untrusted child; never raises on its misbehaviour.
    The child gets the write end of a pipe; its number is appended to `command`."""
    from .channel import Reader

    workdir = Path(workdir)
    read_end, write_end = os.pipe()
    command = [*command, str(write_end)]
    stdout_path, stderr_path = workdir / "stdout.txt", workdir / "stderr.txt"
    level = isolation_level()
    child_env = _sandbox_env(SANDBOX_WORKDIR if level == "full" else workdir)
    if level == "full":
        os.chown(workdir, uid, uid)
        for path in workdir.rglob("*"):
            os.chown(path, uid, uid)
        config = {"uid": uid, "workdir": str(workdir), "hide": [str(p) for p in hide if Path(p).exists()],
                  "limits": limits.__dict__, "env": child_env, "command": command}
        # `timeout` outlives a grader that is itself killed: the sandbox never runs unsupervised for long.
        argv = ["timeout", "-s", "KILL", str(int(limits.wall_seconds) + 30),
                "unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--net", "--ipc",
                sys.executable, "-m", "course_utils.grading.sandbox", json.dumps(config)]
        preexec, popen_env, cwd = None, {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)}, str(REPO)
    else:
        argv, popen_env, cwd = command, child_env, str(workdir)

        def preexec():
            _apply_limits(limits)
    start = time.monotonic()
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        try:
            proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, env=popen_env,
                                    preexec_fn=preexec, start_new_session=True, pass_fds=(write_end,))
        finally:
            os.close(write_end)  # only the child holds it now, so the reader sees EOF when the child is gone
        reader = Reader(read_end)
        timed_out = False
        try:
            proc.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            try:  # the whole process group; in 'full' mode the PID namespace takes the rest
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
    frames = reader.join(timeout=10)
    return RunOutcome(None if timed_out else proc.returncode, timed_out, time.monotonic() - start,
                      _tail(stderr_path), frames, reader.problem)


def _tail(path: Path, size: int = 2000) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - size))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"sandbox set-up failed: mount {' '.join(args)}: {done.stderr.strip()}")


def _bind_fd(handle: int, target: str) -> None:
    """Bind-mount the folder open as `handle` onto `target` (the kernel follows the fd itself;
    mount(8) would resolve the path again and find the new, empty folder instead)."""
    MS_BIND = 4096
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(f"/proc/self/fd/{handle}".encode(), target.encode(), None, MS_BIND, None) != 0:
        raise SystemExit(f"sandbox set-up failed: bind to {target}: {os.strerror(ctypes.get_errno())}")


def _blocked_ancestor(path: Path) -> Path | None:
    """The top-most folder above `path` that other users cannot enter (e.g. /root), if any."""
    for parent in reversed(path.parents):
        if not parent.exists():
            return None  # created afresh below, world-readable
        if not os.stat(parent).st_mode & 0o001:
            return parent
    return None


def _expose(handle: int, path: str) -> None:
    """Make the folder open as `handle` reachable again at `path` for the throwaway user.

    Needed when `path` vanished under the fresh /tmp (a checkout in /tmp) or sits in a private
    home (pyenv under /root): such a home is covered with an empty tmpfs first."""
    blocked = _blocked_ancestor(Path(path))
    if blocked is not None:
        _mount("-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(blocked))
    os.makedirs(path, mode=0o755, exist_ok=True)
    if blocked is not None:
        for parent in Path(path).parents:
            if parent == blocked:
                break
            os.chmod(parent, 0o755)
    _bind_fd(handle, path)


def _enter(config: dict) -> None:
    """Child side, as root in new namespaces: lock the filesystem down, drop privileges, exec."""
    limits = Limits(**config["limits"])
    # Opened before /tmp is replaced, so each stays reachable even if it lives under /tmp.
    handle = os.open(config["workdir"], os.O_RDONLY | os.O_DIRECTORY)
    python_home = os.open(sys.base_prefix, os.O_RDONLY | os.O_DIRECTORY)
    repo = os.open(REPO, os.O_RDONLY | os.O_DIRECTORY)
    _mount("--make-rprivate", "/")
    _mount("-t", "tmpfs", "-o", f"size={limits.tmp_bytes},mode=1777", "tmpfs", "/tmp")
    _expose(python_home, sys.base_prefix)
    _expose(repo, str(REPO))
    for fd in (python_home, repo):
        os.close(fd)
    _mount("-o", "remount,bind,ro", str(REPO))
    for path in config["hide"]:
        if not os.path.isdir(path):  # e.g. it was under /tmp, which is already a fresh, empty tmpfs
            continue
        _mount("-t", "tmpfs", "-o", "ro,size=4k,mode=0555", "tmpfs", path)
    os.makedirs(SANDBOX_WORKDIR)
    _bind_fd(handle, str(SANDBOX_WORKDIR))
    os.close(handle)
    uid = int(config["uid"])
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    _no_new_privileges()
    _apply_limits(limits)
    os.chdir(SANDBOX_WORKDIR)
    command = config["command"]
    os.execve(command[0], command, config["env"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config")
    _enter(json.loads(parser.parse_args().config))
