"""Child side of the sandbox: build an allowlisted root filesystem, drop every privilege, exec.

Runs as `python -I -S isolation.py CONFIG_JSON` (standard library only) inside fresh mount, PID, network,
IPC, UTS and cgroup namespaces made by `unshare` (plus a user namespace when the teacher is not
root). The new root is an empty tmpfs holding only:

    /usr (+ /bin, /lib, /lib64 links)  read-only bind   the system libraries Python links against
    /opt/python, /opt/venv             read-only tree   the Python installation and the venv
    /course/course_utils               read-only tree   the grader's copy: no grading/hidden, stubs
    /course/data                       read-only tree   the course data the exercises load
    /home/student                      tmpfs            the one notebook + job, copied in from memory
    /tmp /var/tmp /dev/shm /run/lock   tmpfs            private, size-limited, gone with the run
    /dev/{null,zero,full,random,urandom}, a /proc of the run's own PID namespace, /etc/passwd

A "tree" is a read-only overlay whose layers are named by open descriptors (/proc/self/fd/N),
so the mount list inside (/proc/self/mountinfo) shows neither the checkout nor any host path;
its top layer can replace files (the venv's pyvenv.cfg and python links point at /opt/python,
editable-install files that name the checkout are blanked). The old root is detached
(pivot_root), so no other host path (.git, solutions/, submissions, reports, other checkouts)
exists inside. Then capabilities are dropped for good (setpriv: empty bounding set,
no_new_privs) and, as real root, the uid becomes a throwaway one.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import stat
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
SYS_PIVOT_ROOT = 155  # x86_64

SANDBOX_HOME = "/home/student"
SANDBOX_COURSE = "/course"
_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(SystemExit):
    pass


def _mount(source, target: str, fstype, flags: int, data: str | None = None) -> None:
    if _libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(), flags,
                   data and data.encode()) != 0:
        raise SetupError(f"sandbox set-up failed: mount {source} on {target}: {os.strerror(ctypes.get_errno())}")


def _tmpfs(target: str, size: int, mode: str = "1777", extra: str = "") -> None:
    """A size-limited tmpfs; its inode count is limited too (one per 4 kB, at least 1024): empty
    files cost kernel memory that `size` does not count."""
    os.makedirs(target, exist_ok=True)
    inodes = max(1024, int(size) // 4096)
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},nr_inodes={inodes},mode={mode}{extra}")


def _locked_flags(target: str) -> int:
    """Flags a remount must keep (in a user namespace the kernel refuses to clear them)."""
    st = os.statvfs(target).f_flag
    flags = st & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME)
    return flags | (MS_RELATIME if st & 4096 else 0)


def _bind_ro(fd: int, target: str, is_dir: bool) -> None:
    """Bind what `fd` is open on (never re-resolving a path) onto `target`, read-only, nosuid."""
    if is_dir:
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(f"/proc/self/fd/{fd}", target, None, MS_BIND)
    nodev = 0 if stat.S_ISCHR(os.stat(target).st_mode) else MS_NODEV  # /dev/null and friends stay usable
    _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | nodev | _locked_flags(target))


def _open_sources(binds: list) -> list:
    """Open every allowed host path first, while the host filesystem is still visible."""
    opened = []
    for source, target in binds:
        if not os.path.exists(source):
            continue
        is_dir = os.path.isdir(source)
        fd = os.open(source, os.O_PATH | (os.O_DIRECTORY if is_dir else 0))
        opened.append((fd, target, is_dir))
    return opened


def _read_capped(path: str, cap: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        return os.read(fd, cap + 1)[:cap]
    finally:
        os.close(fd)


def _layer(folder: str, entries: dict) -> None:
    """A small overlay layer: relative path → file text, or {"symlink": target}."""
    os.makedirs(folder, 0o755, exist_ok=True)
    for relative, what in entries.items():
        path = os.path.join(folder, relative)
        os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
        if isinstance(what, dict):
            os.symlink(what["symlink"], path)
        else:
            with open(path, "w") as handle:
                handle.write(what)
            os.chmod(path, 0o644)


def _tree(below: int, target: str, layer: str) -> None:
    """The folder open as `below`, read-only at `target` through an overlay whose layers are
    descriptors: the mount list then names /proc/self/fd/N, never the host path. `layer`
    (on top) replaces files. (Overlay needs two layers when it has no writable one.)"""
    top = os.open(layer, os.O_PATH | os.O_DIRECTORY)
    try:
        os.makedirs(target, exist_ok=True)
        _mount("sandbox", target, "overlay", MS_RDONLY | MS_NOSUID | MS_NODEV,
               f"lowerdir=/proc/self/fd/{top}:/proc/self/fd/{below}")
    finally:
        os.close(top)


def build_root(config: dict) -> None:
    limits = config["limits"]
    uid = int(config["uid"]) if config["mode"] == "root" else 0
    opened = _open_sources(config["binds"])
    files = {name: _read_capped(path, int(config["file_cap"])) for name, path in config["files"].items()}
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    # A scratch tmpfs over the host's /tmp holds the new root and the trees' top layers until
    # pivot_root; the host /tmp is still reachable through the descriptors opened above.
    trees = [(os.open(t["source"], os.O_PATH | os.O_DIRECTORY), t) for t in config.get("trees", [])
             if os.path.isdir(t["source"])]
    _tmpfs("/tmp", 8 << 20, "0755")
    root = "/tmp/root"
    _tmpfs(root, 8 << 20, "0755")
    # The writable tmpfs first, the read-only binds after: a course or venv that lives under /tmp
    # (a CI clone, say) is then bound inside the private /tmp instead of being hidden by it.
    home = root + SANDBOX_HOME
    _tmpfs(home, int(limits["work_bytes"]), "0700", f",uid={uid},gid={uid}")
    for name, data in files.items():
        with open(os.path.join(home, name), "wb") as handle:
            handle.write(data)
        os.chown(os.path.join(home, name), uid, uid)
    for path, size in (("/tmp", limits["tmp_bytes"]), ("/var/tmp", limits["tmp_bytes"] // 4),
                       ("/dev/shm", limits["tmp_bytes"] // 4), ("/run/lock", 1 << 20)):
        _tmpfs(root + path, int(size))
    for fd, target, is_dir in opened:
        _bind_ro(fd, root + target, is_dir)
        os.close(fd)
    for index, (fd, tree) in enumerate(trees):
        layer = f"/tmp/layers/{index}"
        _layer(layer, tree.get("replace", {}))
        _tree(fd, root + tree["target"], layer)
        os.close(fd)
    for link, to in (("bin", "usr/bin"), ("lib", "usr/lib"), ("lib64", "usr/lib64"), ("sbin", "usr/sbin")):
        if not os.path.exists(root + "/" + link):
            os.symlink(to, root + "/" + link)
    os.makedirs(root + "/etc", exist_ok=True)
    with open(root + "/etc/passwd", "w") as handle:
        handle.write(f"student:x:{uid}:{uid}:student:{SANDBOX_HOME}:/bin/sh\n")
    with open(root + "/etc/group", "w") as handle:
        handle.write(f"student:x:{uid}:\n")
    os.makedirs(root + "/proc", exist_ok=True)
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)  # the skeleton itself
    os.chdir(root)
    if _libc.syscall(SYS_PIVOT_ROOT, b".", b".") != 0:
        raise SetupError(f"sandbox set-up failed: pivot_root: {os.strerror(ctypes.get_errno())}")
    _libc.umount2(b".", MNT_DETACH)  # the old root, and with it every other host path
    os.chdir(SANDBOX_HOME)


def apply_limits(limits: dict) -> None:
    for which, value in ((resource.RLIMIT_CPU, limits["cpu_seconds"]), (resource.RLIMIT_AS, limits["memory_bytes"]),
                         (resource.RLIMIT_FSIZE, limits["file_bytes"]), (resource.RLIMIT_NPROC, limits["processes"]),
                         (resource.RLIMIT_NOFILE, limits["open_files"]), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(which, (int(value), int(value)))


def _first_to_go() -> None:
    """Make every process of the sandbox the kernel's first choice when memory runs out, before
    the grader or anything else of the teacher's (inherited by children; raising it needs no
    privilege, lowering it would). Matters most where no cgroup bounds the student's memory."""
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass


# The sandbox's PID 1 (run with the sandbox's own Python, so /proc/1/cmdline names no host path).
# The notebook never runs as PID 1 itself: PID 1 is the one process whose death ends the
# namespace, and a notebook running as it could clear its parent-death signal and leave its
# process group, surviving the grader. This init keeps nothing of the student's, cannot be
# signalled or traced from inside, dies with `unshare` (parent-death signal, kept across exec)
# and exits as soon as the notebook's process does, taking every other process of the run along.
#
# It is also the student's budget keeper. Rlimits bound each process, not a student: 100 forked
# processes could each spin for the per-process CPU limit, starving the neighbours' runs into
# their time limits, or each fill the per-process memory limit. So every WATCH_SECONDS it adds
# up the CPU time of every process in the namespace (its own processes only: a PID namespace
# shows nothing else; reaped children count through their parent's cutime/cstime) and, where
# no cgroup does it, their memory (PSS, so forked copies are not counted twice). Over budget, it
# kills them all and exits with BUDGET_EXIT_CODES[what], which the grader reports.
BUDGET_EXIT_CODES = {"cpu": 101, "memory": 102}
WATCH_SECONDS = 0.2
INIT = """
import ctypes, json, os, sys, time
command, env, budget = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
child = os.fork()
if child == 0:
    try:
        os.execve(command[0], command, env)
    finally:
        os._exit(127)
ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
os.closerange(3, 1 << 16)  # the answer channel too: its reader sees EOF when the notebook is gone
TICK = os.sysconf("SC_CLK_TCK")

def used():
    cpu, memory = 0.0, 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            cpu += sum(int(v) for v in fields[11:15]) / TICK  # utime stime cutime cstime
            if budget["memory_bytes"]:
                with open(f"/proc/{name}/smaps_rollup", "rb") as handle:
                    for line in handle:
                        if line.startswith(b"Pss:"):
                            memory += int(line.split()[1]) * 1024
                            break
        except (OSError, IndexError, ValueError):
            continue  # it ended while we looked
    return cpu, memory

status, over = None, None
while status is None:
    try:
        while True:  # reap every process that ended: the notebook's, and orphans (init's duty)
            pid, code = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            if pid == child:
                status = code
    except ChildProcessError:
        break
    except InterruptedError:
        continue
    if status is not None:
        break
    cpu, memory = used()
    if cpu > budget["cpu_seconds"]:
        over = "cpu"
    elif budget["memory_bytes"] and memory > budget["memory_bytes"]:
        over = "memory"
    if over:
        os.kill(-1, 9)  # as PID 1 of the namespace: every other process in it
        sys.stderr.write(f"sandbox: the notebook's processes went over their {over} budget and were stopped\\n")
        os._exit(budget["exit_codes"][over])
    time.sleep(budget["watch_seconds"])
code = os.waitstatus_to_exitcode(status) if status is not None else 0
os._exit(code if code >= 0 else 128 - code)  # a signal as a shell reports it: PID 1 cannot re-raise it
"""


def budget(config: dict) -> dict:
    """What init enforces for the whole student: CPU always, memory where no cgroup does it."""
    limits = config["limits"]
    return {"cpu_seconds": limits["student_cpu_seconds"], "exit_codes": BUDGET_EXIT_CODES,
            "memory_bytes": 0 if config.get("cgroup") else limits["student_memory_bytes"],
            "watch_seconds": WATCH_SECONDS}


def main(config: dict) -> None:
    build_root(config)
    _first_to_go()
    apply_limits(config["limits"])  # inherited by the notebook's process and all it starts
    drop = ["/usr/bin/setpriv", "--no-new-privs", "--bounding-set", "-all", "--inh-caps", "-all"]
    if config["mode"] == "root":
        uid = str(int(config["uid"]))
        drop += ["--reuid", uid, "--regid", uid, "--clear-groups"]
    command, python = [*drop, "--", *config["command"]], config["command"][0]
    try:
        os.execve(python, [python, "-I", "-S", "-c", INIT, json.dumps(command), json.dumps(config["env"]),
                           json.dumps(budget(config))], config["env"])
    except OSError as exc:
        raise SetupError(f"sandbox set-up failed: cannot start {python}: {exc.strerror}") from None


if __name__ == "__main__":
    try:
        main(json.loads(sys.argv[1]))
    except SetupError:
        raise
    except Exception as exc:  # noqa: BLE001 - one line for the teacher, not a traceback
        raise SetupError(f"sandbox set-up failed: {type(exc).__name__}: {exc}") from None
