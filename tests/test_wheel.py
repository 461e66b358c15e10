"""`pip install .` (not editable) gives a working course: build the wheel from a copy of the
checkout, install it into a fresh venv and import every module from there, offline.

The fresh venv sees the already-installed dependencies through a plain path line in a .pth
file (not .venv's own .pth files, so .venv's editable install of this checkout stays out).
"""
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_FILES = ("assets.json", "small_convnet.keras", "small_convnet_training.json")

IMPORT_ALL = r"""
import importlib, pathlib, pkgutil, sys
import course_utils
from course_utils import paths

home = pathlib.Path(course_utils.__file__).resolve().parent
assert home.is_relative_to(pathlib.Path(sys.prefix).resolve()), f"imported {home}, not the wheel"
names = [m.name for m in pkgutil.walk_packages(course_utils.__path__, "course_utils.")
         if ".masters" not in m.name]  # masters are jupytext notebook sources, run by the grader
for name in names:
    importlib.import_module(name)
assert paths.DATA_DIR == pathlib.Path(sys.prefix) / "share" / "seeing-inside-convnets" / "data", paths.DATA_DIR
print(len(names), "modules;", ",".join(sorted(p.name for p in paths.DATA_DIR.iterdir())))
"""


def run(*argv, cwd=None):
    done = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(map(str, argv))} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_wheel_installs_every_module_and_the_data(tmp_path):
    source = tmp_path / "src"  # a copy: building in place would leave build/ in the checkout
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source / "pyproject.toml")
    for folder in ("course_utils", "data"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
        "-w", tmp_path / "dist", source)
    wheel = next((tmp_path / "dist").glob("seeing_inside_convnets-*.whl"))
    listed = zipfile.ZipFile(wheel).namelist()
    for needed in ("course_utils/widgets/cam.py", "course_utils/grading/hidden/tests.py",
                   "course_utils/grading/hidden/masters/ch3.py", "course_utils/heatmaps.py"):
        assert needed in listed, f"{needed} is missing from the wheel"
    assert sum(name.endswith(tuple(f"share/seeing-inside-convnets/data/{f}" for f in DATA_FILES))
               for name in listed) == len(DATA_FILES)

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    (site / "installed_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel)
    out = run(python, "-c", IMPORT_ALL, cwd=tmp_path)  # cwd outside the checkout: no accidental import
    assert ",".join(sorted(DATA_FILES)) in out, out

