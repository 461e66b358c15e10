"""Find and read a class's submissions without ever following a link or blocking on a pipe.

Layout: SUBMISSIONS/<student>/*.ipynb (also one sub-folder deep), or SUBMISSIONS/<student>.ipynb.
Every name is looked at with lstat and opened relative to its folder's descriptor with
O_NOFOLLOW | O_NONBLOCK, checked to be a regular file (fstat) and read up to a size cap, so
symlinks (to solutions, to a classmate, to /dev/zero, dangling), hard links, folders named like
notebooks, FIFOs and devices become a reason for that student, never a hang or someone else's file.
Dot-folders are students too. The grader keeps the bytes; the sandbox gets a copy.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from .sandbox import MAX_SUBMISSION_BYTES

MAX_ENTRIES = 2000          # notebooks and sub-folders looked at per folder
MAX_SCANNED = 100_000       # directory entries read per folder, at most
MAX_NOTEBOOKS = 12          # notebooks read per student


@dataclass
class Notebook:
    name: str
    data: bytes = b""
    problem: str = ""        # non-empty: could not be read, and why


@dataclass
class Student:
    name: str
    notebooks: list = field(default_factory=list)
    problem: str = ""        # non-empty: nothing of this student can be graded, and why


def _kind(mode: int) -> str:
    for test, what in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "not a regular file"


def read_regular(dir_fd: int, name: str, cap: int = MAX_SUBMISSION_BYTES) -> bytes:
    """The bytes of `name` in the folder `dir_fd`; OSError/ValueError with a reason otherwise."""
    info = os.lstat(name, dir_fd=dir_fd)
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"it is {_kind(info.st_mode)}, not a notebook file")
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=dir_fd)
    try:
        info = os.fstat(fd)  # the file actually opened (it may have been swapped since lstat)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"it is {_kind(info.st_mode)}, not a notebook file")
        if info.st_nlink > 1:  # a hard link is a second name of some other file: a classmate's, the course's
            raise ValueError(f"it is a hard link ({info.st_nlink} names for one file); links are never followed: "
                             "submit a copy")
        if info.st_size > cap:
            raise ValueError(f"it is {info.st_size / 1e6:.1f} MB; the limit is {cap / 1e6:.0f} MB")
        chunks, left = [], cap + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > cap:
            raise ValueError(f"it is larger than the {cap / 1e6:.0f} MB limit")
        return data
    finally:
        os.close(fd)


def _read_notebook(dir_fd: int, name: str, shown: str) -> Notebook:
    try:
        return Notebook(shown, read_regular(dir_fd, name))
    except (OSError, ValueError) as exc:
        why = str(exc) if isinstance(exc, ValueError) else (exc.strerror or type(exc).__name__)
        return Notebook(shown, problem=f"{shown} could not be read: {why}")


def _open_dir(name: str, dir_fd: int) -> int:
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)


def _student_notebooks(dir_fd: int, prefix: str = "", depth: int = 0) -> list[Notebook]:
    found = []
    with os.scandir(dir_fd) as entries:  # junk files around the notebook are skipped, not counted
        relevant = (e.name for _, e in zip(range(MAX_SCANNED), entries)
                    if e.name.endswith(".ipynb") or (depth == 0 and e.is_dir(follow_symlinks=False)))
        names = sorted(name for _, name in zip(range(MAX_ENTRIES), relevant))
    for name in names:
        if len(found) >= MAX_NOTEBOOKS:
            break
        shown = prefix + name
        if name.endswith(".ipynb"):
            found.append(_read_notebook(dir_fd, name, shown))
            continue
        if depth == 0 and name != ".ipynb_checkpoints":
            try:
                if stat.S_ISDIR(os.lstat(name, dir_fd=dir_fd).st_mode):
                    sub = _open_dir(name, dir_fd)
                    try:
                        found += _student_notebooks(sub, shown + "/", depth + 1)
                    finally:
                        os.close(sub)
            except OSError:
                continue
    return found


def discover(folder: str | os.PathLike[str]) -> list[Student]:
    """Every student of `folder`, sorted by name; problems are recorded, never raised."""
    top = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    students: dict[str, Student] = {}
    try:
        with os.scandir(top) as entries:
            names = sorted(entry.name for _, entry in zip(range(MAX_ENTRIES * 5), entries))
        for name in names:
            try:
                mode = os.lstat(name, dir_fd=top).st_mode
            except OSError:
                continue
            if stat.S_ISDIR(mode):
                student = students.setdefault(name, Student(name))
                try:
                    sub = _open_dir(name, top)
                    try:
                        student.notebooks += _student_notebooks(sub)
                    finally:
                        os.close(sub)
                except OSError as exc:
                    student.problem = f"the student folder could not be read: {exc.strerror}"
            elif name.endswith(".ipynb"):
                student = students.setdefault(name[:-len(".ipynb")], Student(name[:-len(".ipynb")]))
                student.notebooks.append(_read_notebook(top, name, name))
            elif stat.S_ISLNK(mode):
                students.setdefault(name, Student(name)).problem = (
                    "the student folder is a symbolic link; links are never followed: submit a real folder")
            elif not stat.S_ISREG(mode):  # a pipe or device where a student folder belongs: said, not dropped
                students.setdefault(name, Student(name)).problem = (
                    f"the student folder is {_kind(mode)}; submit a real folder")
    finally:
        os.close(top)
    return [students[name] for name in sorted(students)]
