"""Where the course's own files are: the one place that knows the repository layout."""
from __future__ import annotations

import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: The checkout (editable install). A wheel install has no checkout: see DATA_DIR.
REPO_ROOT = PACKAGE_DIR.parent


def _data_dir() -> Path:
    """`data/` of the checkout, else the copy a wheel installs under `<prefix>/share/`."""
    in_checkout = REPO_ROOT / "data"
    if (in_checkout / "assets.json").is_file():
        return in_checkout
    return Path(sys.prefix) / "share" / "seeing-inside-convnets" / "data"


DATA_DIR = _data_dir()


def cache_folder(name: str) -> Path:
    """`.cache/<name>` of the checkout: the one place the course keeps files it fetched."""
    return REPO_ROOT / ".cache" / name
