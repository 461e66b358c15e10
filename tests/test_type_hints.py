"""Every public function and method of course_utils has type hints on its parameters and return.

Read from the source (ast), so it costs nothing to run. A module listed in NOT_YET_HINTED is
still being annotated by its owner: the test fails once such a module is complete (take it off
the list) and for any gap in every other module, so the hinted part of the package only grows.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "course_utils"
NOT_YET_HINTED: set[str] = set()


def _modules() -> dict[str, Path]:
    return {".".join(p.relative_to(PACKAGE).with_suffix("").parts): p
            for p in sorted(PACKAGE.rglob("*.py")) if "hidden" not in p.parts}  # masters: notebook sources


def _gaps(path: Path) -> list[str]:
    """'function(parameter)' or 'function -> ?' for each missing hint of a public function or method."""
    tree = ast.parse(path.read_text())
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and not n.name.startswith("_")):
        functions += [n for n in cls.body if isinstance(n, ast.FunctionDef)]
    gaps = []
    for f in functions:
        if f.name.startswith("_") and f.name != "__call__":
            continue
        args = f.args.posonlyargs + f.args.args + f.args.kwonlyargs
        gaps += [f"{f.name}({a.arg})" for a in args if a.annotation is None and a.arg not in ("self", "cls")]
        if f.returns is None:
            gaps.append(f"{f.name} -> ?")
    return gaps


def test_the_not_yet_list_names_real_modules():
    assert NOT_YET_HINTED <= set(_modules()), NOT_YET_HINTED - set(_modules())


@pytest.mark.parametrize("module", sorted(_modules()))
def test_public_functions_have_type_hints(module):
    gaps = _gaps(_modules()[module])
    if module in NOT_YET_HINTED:
        assert gaps, f"course_utils.{module} is fully hinted now: take it off NOT_YET_HINTED"
    else:
        assert not gaps, f"course_utils.{module}: missing type hints: {', '.join(gaps)}"
