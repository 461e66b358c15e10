"""What a learner sees of the widgets: bars that survive a save, an explorer that answers fast
and says why a choice cannot run (the browser side is `make test-browser`)."""
import ast
from pathlib import Path

import numpy as np
import pytest

from course_utils import filters as F
from course_utils.widgets.filters import EXPLORER_STEPS, filter_explorer, pattern_view

COURSE = Path(F.__file__).resolve().parent


@pytest.fixture(scope="module")
def small_model():
    """Two 1x1 / 3x3 convs around a pool: at 16 px the octaves' first scale (64 %) leaves
    'conv_b' a 3x3 map, nothing once its 2-pixel border is excluded."""
    import keras
    from keras import layers

    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(4, 1, name="colour")(inputs)
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.Conv2D(2, 3, name="conv_b")(x)
    return keras.Model(inputs, layers.GlobalAveragePooling2D()(x))


def test_no_course_progress_bar_closes_its_widget():
    """tqdm's notebook bar with leave=False closes its widget when done, but the output stays:
    after a save and reopen it reads "Error displaying widget: model not found"."""
    offenders = []
    for path in sorted(COURSE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "leave" and not (
                    isinstance(node.value, ast.Constant) and node.value.value is True):
                offenders.append(f"{path.relative_to(COURSE.parent)}:{node.value.lineno}")
    assert not offenders, f"progress bars that may close their widget (use the default leave=True): {offenders}"


def test_a_finished_notebook_bar_keeps_its_widget(small_model, monkeypatch):
    """The same, run: the bar optimize_patterns shows in a notebook is still a live widget at the end."""
    import tqdm.auto
    import tqdm.notebook

    bars = []

    class Recorded(tqdm.notebook.tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            bars.append(self)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorded)
    F.optimize_patterns(small_model, "colour", [0, 1], steps=3, size=16, progress=True)
    assert len(bars) == 1 and bars[0].n == 3
    assert bars[0].container.comm is not None, "the finished bar closed its widget model"


def test_explorer_ascent_compiles_one_step_per_call_and_the_grids_ten(small_model, monkeypatch):
    """A layer's first Run compiles one step (about a second on SqueezeNet), not a 10-step
    chunk (~15 s): the explorer must answer within 2 s."""
    calls = []
    real = F._run_chunk
    monkeypatch.setattr(F, "_run_chunk", lambda *args: calls.append(args[-1]) or real(*args))
    pattern_view(small_model, "conv_b", 1, steps=12, size=16, progress=False)
    assert calls == [1] * 12
    calls.clear()
    F.optimize_patterns(small_model, "conv_b", [0, 1], steps=12, size=16, progress=False)
    assert calls == [F.STEPS_PER_CALL, 12 - F.STEPS_PER_CALL]
    with pytest.raises(TypeError, match="steps_per_call must be a whole number"):
        F.optimize_patterns(small_model, "conv_b", [0], steps=2, size=16, progress=False, steps_per_call=1.5)


def test_explorer_says_why_a_choice_cannot_run_and_stays_usable(small_model, capsys):
    box = filter_explorer(small_model, size=16)
    (layer, index, rung), (steps, _, run) = box.children[0].children, box.children[1].children
    assert steps.value == EXPLORER_STEPS
    capsys.readouterr()
    layer.value, rung.value = "conv_b", "octaves"
    run.click()
    printed = capsys.readouterr().out  # outside a kernel the Output's text goes to stdout
    assert "Cannot run this combination" in printed and "Use a larger size" in printed
    assert "Traceback" not in printed
    assert run.description == "Run" and not run.disabled
    rung.value = "plain"
    run.click()  # and the next choice runs
    assert "Cannot run" not in capsys.readouterr().out


def test_explorer_caption_rounds_the_learning_rate(small_model):
    _, caption = pattern_view(small_model, "colour", 0, steps=2, learning_rate=10 ** 1.1, size=16,
                              progress=False)
    assert "lr 12.6:" in caption and np.isfinite(float(caption.split("activation ")[1].split(",")[0]))


def test_choosing_a_layer_compiles_its_step_before_run_is_pressed(small_model, capsys):
    """The explorer prepares a newly chosen layer (or rung) in the background, so the Run that
    follows only runs steps: its compiled step is traced once, during the preparation."""
    import threading

    from course_utils import ascent_graph

    box = filter_explorer(small_model, size=16)
    (layer, _, rung), (_, _, run) = box.children[0].children, box.children[1].children
    layer.value = "conv_b"
    for thread in [t for t in threading.enumerate() if t.name == "filter-explorer-prepare"]:
        thread.join(timeout=60)
    body = ascent_graph.ascent_twin(small_model, "conv_b")[0]
    step = body.__dict__["_course_ascent_steps"][(F._identity, F._identity)]
    traced = step.experimental_get_tracing_count()
    assert traced >= 1, "choosing the layer did not compile its ascent step"
    run.click()
    assert step.experimental_get_tracing_count() == traced, "Run compiled again"
    printed = capsys.readouterr().out
    assert "conv_b filter 0, plain" in printed and "Cannot run" not in printed
    assert max(len(line) for line in printed.splitlines()) < 100


def test_every_explorer_is_a_box_that_explains_a_lost_kernel(small_model):
    """After a reopen (no live models) JupyterLab marks views disconnected; the explorer's own
    style sheet shows the re-run line on its box and hides the per-control broken-link icons.
    The browser half (the line shown, no icon) is checked by `make test-browser`."""
    import ipywidgets

    from course_utils.widgets import activations, box, cam, compare, filters as filter_widgets

    made = filter_widgets.filter_explorer(small_model, layers=["conv_b"], size=16)
    assert box.EXPLORER_CLASS in made._dom_classes
    style = made.children[-1]
    assert isinstance(style, ipywidgets.HTML) and style.layout.display == "none"
    assert box.RECONNECT_HINT in style.value and ".jupyter-widgets-disconnected::before" in style.value
    assert isinstance(made.children[0], ipywidgets.HBox)          # rows first, as before
    # every chapter's explorer module builds its box with explorer_box
    for module in (activations, cam, compare, filter_widgets):
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert "return explorer_box(" in source and "widgets.VBox(" not in source, module.__name__


def test_explorer_pictures_are_pillow_pngs_enlarged_by_whole_pixels():
    import io

    from PIL import Image

    from course_utils.widgets import picture

    ramp = picture.colormapped(np.arange(49.0).reshape(7, 7))
    assert ramp.shape == (7, 7, 3) and ramp.dtype == np.uint8
    assert not np.array_equal(ramp[0, 0], ramp[-1, -1])                       # min and max differ
    assert np.array_equal(picture.colormapped(np.zeros((3, 3)))[0, 0], ramp[0, 0])   # blank = lowest colour
    shown = Image.open(io.BytesIO(picture.png(ramp)))
    assert shown.size == (301, 301) and shown.size[0] % 7 == 0             # 43 × 7 px: whole pixels
    assert picture.side_by_side([ramp, ramp], gap=6).shape == (7, 20, 3)
