"""One cgroup per sandboxed run, so limits hold for everything a student starts, together.

rlimits bound each process on its own (three children of 2 GB each fit under a 4 GB address
space limit); a cgroup bounds the student's whole process tree: memory (including what the
notebook writes into its tmpfs folders, which lives in memory) and the number of processes.

The cgroup is made inside the grader's own cgroup, so a class never escapes the limits the
grader itself runs under. Used: cgroup v1 `memory` + `pids` hierarchies, or cgroup v2 with both
controllers, wherever the grader may create cgroups (as root, or with systemd delegation).
Where it may not (a teacher without root and without delegation), `Group.create` returns None
and the per-process rlimits and tmpfs sizes remain the only limits.
"""
from __future__ import annotations

import itertools
import os
import signal
import time
from dataclasses import dataclass, field

_counter = itertools.count()


def _own_cgroups() -> dict[str, str]:
    """controller ('memory', 'pids', or '' for v2) → this process's cgroup path."""
    found = {}
    with open("/proc/self/cgroup") as handle:
        for line in handle:
            number, controllers, path = line.rstrip("\n").split(":", 2)
            for name in (controllers.split(",") if controllers else [""]):
                found[name] = path
    return found


def _mounts() -> dict[str, str]:
    """controller ('memory', 'pids', '' for v2) → where its hierarchy is mounted (its root)."""
    found = {}
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            left, _, right = line.partition(" - ")
            fields, extra = left.split(), right.split()
            if len(fields) < 5 or len(extra) < 3 or fields[3] != "/":
                continue
            if extra[0] == "cgroup2":
                found.setdefault("", fields[4])
            elif extra[0] == "cgroup":
                for option in extra[2].split(","):
                    if option in ("memory", "pids"):
                        found.setdefault(option, fields[4])
    return found


def _write(path: str, value) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
    try:
        os.write(fd, str(value).encode())
    finally:
        os.close(fd)


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""


@dataclass
class Group:
    """The cgroup folder(s) of one run: v1 has one per controller, v2 one for both."""
    folders: list = field(default_factory=list)
    version: int = 1

    @classmethod
    def create(cls, memory_bytes: int, processes: int) -> "Group | None":
        """A new cgroup with these limits, or None where none can be made here."""
        try:
            own, mounts = _own_cgroups(), _mounts()
        except OSError:
            return None
        name = f"course-grading-{os.getpid()}-{next(_counter)}"
        group = None
        try:
            if "memory" in mounts and "pids" in mounts and "memory" in own and "pids" in own:
                group = cls([], 1)
                for controller in ("memory", "pids"):
                    folder = os.path.join(mounts[controller] + own[controller], name)
                    os.mkdir(folder, 0o700)
                    group.folders.append(folder)
                memory, pids = group.folders
                _write(f"{memory}/memory.limit_in_bytes", memory_bytes)
                if os.path.exists(f"{memory}/memory.memsw.limit_in_bytes"):  # swap counts too
                    _write(f"{memory}/memory.memsw.limit_in_bytes", memory_bytes)
                _write(f"{pids}/pids.max", processes)
            elif "" in mounts and "" in own:
                parent = os.path.join(mounts[""] + own[""])
                if not {"memory", "pids"} <= set(_read(f"{parent}/cgroup.subtree_control").split()):
                    return None  # enabling them here would need this cgroup to hold no process
                group = cls([os.path.join(parent, name)], 2)
                os.mkdir(group.folders[0], 0o700)
                _write(f"{group.folders[0]}/memory.max", memory_bytes)
                if os.path.exists(f"{group.folders[0]}/memory.swap.max"):
                    _write(f"{group.folders[0]}/memory.swap.max", 0)
                _write(f"{group.folders[0]}/pids.max", processes)
            return group
        except OSError:
            if group is not None:
                group.remove()
            return None

    @property
    def procs_files(self) -> list[str]:
        return [f"{folder}/cgroup.procs" for folder in self.folders]

    def hit_memory_limit(self) -> bool:
        """True when the kernel had to kill a process of this group for memory."""
        for folder in self.folders:
            text = _read(f"{folder}/memory.oom_control") or _read(f"{folder}/memory.events")
            for line in text.splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and value.strip().isdigit() and int(value) > 0:
                    return True
        return False

    def _pids(self) -> set[int]:
        return {int(p) for f in self.procs_files for p in _read(f).split() if p.isdigit()}

    def remove(self, wait: float = 10.0) -> None:
        """Kill whatever is still in the group, then delete it (retrying while the kernel reaps)."""
        deadline = time.monotonic() + wait
        for folder in self.folders:
            while True:
                for pid in self._pids():
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.1)


# Joins the cgroup(s) named before `--`, then becomes the command after it: the sandbox and
# everything it starts are counted from their first instruction.
JOIN_SCRIPT = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


def join_prefix(group: "Group | None") -> list[str]:
    if group is None:
        return []
    return ["/bin/sh", "-c", JOIN_SCRIPT, "sh", *group.procs_files, "--"]
