"""Shared fixtures: an isolated asset cache and a throw-away mirror with a tiny manifest."""
import hashlib
import json
import os
from pathlib import Path

# First, before any test module imports keras: the course's TensorFlow settings (oneDNN kernels,
# quiet start-up) apply only when they are in place as TensorFlow loads.
import course_utils  # noqa: E402,F401

import matplotlib
import numpy as np
import pytest
from PIL import Image

# Unit tests never open windows. Not via $MPLBACKEND: nbval's notebook kernels would inherit it
# and lose their inline figures.
matplotlib.use("Agg")

SHARED_MIRROR = Path(os.environ.get("COURSE_ASSET_MIRROR", "")).expanduser() if os.environ.get("COURSE_ASSET_MIRROR") else None


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch):
    """Point the project cache at an empty temporary folder."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_ASSET_CACHE", str(cache))
    return cache


@pytest.fixture
def tiny_assets(tmp_path, monkeypatch, isolated_cache):
    """A manifest with one small PNG asset 'tiny' (known SHA-256) and an empty mirror folder."""
    from course_utils import asset_files, assets

    png = tmp_path / "src" / "tiny.png"
    png.parent.mkdir()
    Image.fromarray(np.arange(48, dtype="uint8").reshape(4, 4, 3)).save(png)
    digest = hashlib.sha256(png.read_bytes()).hexdigest()
    manifest = {"tiny": {"file": "tiny.png", "sha256": digest, "mirror_paths": ["images/tiny.png"],
                         "urls": [png.as_uri()], "license": "test"}}
    manifest_path = tmp_path / "assets.json"
    manifest_path.write_text(json.dumps(manifest))
    monkeypatch.setattr(assets, "MANIFEST_PATH", manifest_path)
    mirror = tmp_path / "mirror"
    (mirror / "images").mkdir(parents=True)
    monkeypatch.setenv("COURSE_ASSET_MIRROR", str(mirror))
    asset_files._verified.clear()
    return {"png": png, "digest": digest, "mirror": mirror, "cache": isolated_cache,
            "manifest_path": manifest_path}


def needs_shared_mirror(*relative):
    """Skip unless the course mirror ($COURSE_ASSET_MIRROR) holds these files (CI always has it)."""
    ok = SHARED_MIRROR is not None and all((SHARED_MIRROR / r).exists() for r in relative)
    return pytest.mark.skipif(not ok, reason=f"needs $COURSE_ASSET_MIRROR with {', '.join(relative)}")
