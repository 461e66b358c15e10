"""Every notebook's source is the jupytext `.py` beside it: the two must say the same thing."""
from pathlib import Path

import nbformat
import pytest

from course_utils import notebooks

ROOT = Path(__file__).resolve().parent.parent
PAIRED = sorted(p for folder in ("notebooks", "notebooks/exercises", "solutions")
                for p in (ROOT / folder).glob("*.ipynb"))


def test_every_chapter_has_a_percent_source():
    chapters = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert chapters, "no chapter notebooks found"
    missing = [p.name for p in chapters if not p.with_suffix(".py").is_file()]
    assert not missing, f"chapters without a .py source: {missing}"


@pytest.mark.parametrize("ipynb", [p for p in PAIRED if p.with_suffix(".py").is_file()],
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_py_and_ipynb_agree_on_code_and_markdown(ipynb):
    from_py = notebooks.cell_texts(notebooks.read_source(ipynb.with_suffix(".py")))
    saved = notebooks.cell_texts(nbformat.read(ipynb, as_version=4))
    assert from_py == saved, (f"{ipynb.name} is out of date with its .py source: run "
                              f"`python -m course_utils notebooks {ipynb.stem[:2]}`")
    assert "jupytext" in nbformat.read(ipynb, as_version=4).metadata, "pairing not recorded"


def test_a_changed_source_is_detected(tmp_path):
    """The agreement check above can fail: an edited cell makes the texts differ."""
    source = ROOT / "notebooks" / "01_intermediate_activations.py"
    edited = tmp_path / "01_edited.py"
    edited.write_text(source.read_text().replace("# %% [markdown]\n# # Chapter 1", "# %% [markdown]\n# # Chapter One", 1))
    saved = notebooks.cell_texts(nbformat.read(source.with_suffix(".ipynb"), as_version=4))
    assert notebooks.cell_texts(notebooks.read_source(edited)) != saved


def test_build_writes_the_notebook_beside_its_source(tmp_path):
    source = tmp_path / "99_tiny.py"
    source.write_text("# %% [markdown]\n# # Tiny\n\n# %%\nprint(6 * 7)\n")
    out = notebooks.build(source, execute=True, timeout=120)
    nb = nbformat.read(out, as_version=4)
    assert out == tmp_path / "99_tiny.ipynb"
    assert nb.cells[1].outputs[0]["text"] == "42\n"
    assert nb.metadata["jupytext"]["formats"] == "ipynb,py:percent"


SOURCE = """# %% [markdown]
# # A chapter
# {prose}

# %%
print({value})
"""


def test_refresh_prose_keeps_outputs_and_refuses_changed_code(tmp_path):
    source = tmp_path / "09_demo.py"
    source.write_text(SOURCE.format(prose="old words", value=1))
    nb = notebooks.read_source(source)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nbformat.write(nb, source.with_suffix(".ipynb"))

    source.write_text(SOURCE.format(prose="new words", value=1))
    notebooks.refresh_prose(source)
    saved = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    assert "new words" in saved.cells[0].source
    assert saved.cells[1].outputs[0]["text"] == "1\n"

    source.write_text(SOURCE.format(prose="new words", value=2))
    with pytest.raises(SystemExit, match="code cells changed"):
        notebooks.refresh_prose(source)
    assert nbformat.read(source.with_suffix(".ipynb"), as_version=4).cells[1].source == "print(1)"
