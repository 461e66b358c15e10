"""conda and pip users get the same course; the README's two commands are the real ones."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _normalise(spec: str) -> str:
    return re.sub(r"\s+", "", spec).lower().replace("_", "-")


def pip_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_normalise(d) for d in project["dependencies"]}


def conda_pip_dependencies() -> set[str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    deps = set()
    for line in lines[start + 1:]:
        m = re.match(r"^\s{4,}-\s+(.+?)\s*(#.*)?$", line)
        if not m:
            break
        deps.add(_normalise(m.group(1)))
    return deps


def test_environment_yml_and_pyproject_name_the_same_packages():
    pip, conda = pip_dependencies(), conda_pip_dependencies()
    assert pip, "no dependencies parsed from pyproject.toml"
    assert pip == conda, f"only in pyproject: {sorted(pip - conda)}; only in environment.yml: {sorted(conda - pip)}"


def test_design_card_packages_are_declared():
    names = {re.split(r"[<>=~!\[]", d)[0] for d in pip_dependencies()}
    for needed in ("jupyterlab", "tensorflow", "keras", "numpy", "matplotlib", "ipywidgets", "nbval", "pillow"):
        assert needed in names, needed


def test_readme_commands_exist_in_makefile_and_ci():
    readme, makefile = (ROOT / "README.md").read_text(), (ROOT / "Makefile").read_text()
    for target in ("lab", "test"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_notebook_is_saved_executed():
    import json

    notebooks = sorted((ROOT / "notebooks").rglob("*.ipynb")) + sorted((ROOT / "solutions").rglob("*.ipynb"))
    assert notebooks
    for nb_path in notebooks:
        if ".ipynb_checkpoints" in nb_path.parts:
            continue
        cells = [c for c in json.loads(nb_path.read_text())["cells"] if c["cell_type"] == "code"]
        unexecuted = [i for i, c in enumerate(cells) if c["source"] and c.get("execution_count") is None]
        assert not unexecuted, f"{nb_path.name}: code cells {unexecuted} were saved without running"
