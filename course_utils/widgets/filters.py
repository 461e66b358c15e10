"""Chapter 2's explorer: pick a layer, a filter, steps, learning rate and regulariser; see its pattern."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from .. import filters, regularizers
from ..model_io import keras_model as _keras_model
from ..model_io import spatial_conv_layers
from .box import explorer_box
from .picture import png

if TYPE_CHECKING:
    from collections.abc import Sequence

    import ipywidgets

    from ..model_io import ModelLike


# The explorer's default run: answers within 2 s on 2 CPU cores even on a layer not run before
# (make test-browser measures it). The chapter's own cells show the book's 30 steps.
EXPLORER_STEPS = 20


def pattern_view(model: ModelLike, layer: str, filter_index: int, steps: int = 30, learning_rate: float = 10.0,
                 regularizer: str = "plain", size: int | tuple[int, int] | None = None, seed: int = 0,
                 progress: bool = True) -> tuple[np.ndarray, str]:
    """One filter's pattern (uint8 h×w×3) and a caption with what it achieves.

    Plain function (the widget only calls it), so it is unit-tested without a browser.
    One step per compiled call: for a single image that costs little per step, and a layer's
    first run compiles in about a second instead of the ~15 s of the grids' 10-step chunks.
    """
    ladder = filters.regularizer_ladder(model, layer, [filter_index], rungs=(regularizer,), steps=steps,
                                        learning_rate=learning_rate, size=size, seed=seed, progress=progress,
                                        steps_per_call=1)
    result = ladder[regularizer]
    pattern = result["patterns"]
    activation, high = float(result["activation"][0]), float(result["high_frequency"][0])
    caption = (f"{layer} filter {int(filter_index)}, {regularizer}, {int(steps)} steps, lr {learning_rate:.3g}: "
               f"activation {activation:.3g}, high-frequency energy {high:.2f}")
    return pattern[0], caption


def prepare_pattern_view(model: ModelLike, layer: str, regularizer: str = "plain",
                         size: int | tuple[int, int] | None = None) -> None:
    """Do now what the first Run of (layer, regulariser) would pay for: the layer's ascent model,
    its compiled step and its compiled measurement (one step on filter 0, as a Run does it). The
    explorer calls it in the background as soon as a layer or rung is chosen, so the compiles are
    done by the time Run is pressed."""
    pattern_view(model, layer, 0, steps=1, regularizer=regularizer, size=size, progress=False)


def filter_explorer(model: ModelLike, layers: Sequence[str] | None = None, size: int | tuple[int, int] | None = None,
                    seed: int = 0) -> ipywidgets.VBox:
    """Controls wired to `pattern_view`; runs on the button (ascent takes seconds).

    No progress bar inside the explorer: a bar opened and closed in the widget's own Output before
    the browser drew it left "Error displaying widget: model not found" behind.
    """
    import ipywidgets as widgets
    from IPython.display import Image, display

    names = list(layers) if layers is not None else spatial_conv_layers(model)
    keras_model = _keras_model(model)

    def filter_count(name):
        return keras_model.get_layer(name).output.shape[-1]

    style, wide = {"description_width": "initial"}, widgets.Layout(width="420px")  # never "learning r…"
    layer = widgets.Dropdown(options=names, value=names[0], description="layer", style=style)
    index = widgets.BoundedIntText(value=0, min=0, max=filter_count(names[0]) - 1, description="filter",
                                   style=style)
    steps = widgets.IntSlider(value=EXPLORER_STEPS, min=1, max=120, description="steps", continuous_update=False,
                              style=style, layout=wide)
    rate = widgets.FloatLogSlider(value=10.0, base=10, min=-1, max=2, description="learning rate",
                                  continuous_update=False, style=style, layout=wide)
    rung = widgets.Dropdown(options=list(regularizers.LADDER), value="plain", description="regulariser",
                            style=style)
    run = widgets.Button(description="Run", button_style="primary")
    out = widgets.Output()
    preparing: list[threading.Thread] = []  # at most one background compile at a time, in order

    def prepare(*_):
        previous = preparing.pop() if preparing else None
        chosen = (layer.value, rung.value)

        def work():
            if previous is not None:
                previous.join()
            try:
                prepare_pattern_view(model, *chosen, size=size)
            except Exception:  # noqa: BLE001 - the Run that follows says why, in words
                pass

        thread = threading.Thread(target=work, name="filter-explorer-prepare", daemon=True)
        preparing.append(thread)
        thread.start()

    def on_layer(change):
        index.max = filter_count(change["new"]) - 1
        index.value = min(index.value, index.max)
        prepare()

    def on_run(_):
        run.disabled, run.description = True, "Running…"  # outside `out`: the old picture stays
        try:
            if preparing:  # never two threads building the same layer's caches at once
                preparing[-1].join()
            with out:
                out.clear_output(wait=True)
                try:
                    pattern, caption = pattern_view(model, layer.value, index.value, steps.value,
                                                    rate.value, rung.value, size=size, seed=seed,
                                                    progress=False)
                except (ValueError, TypeError) as exc:  # e.g. octaves shrink a deep layer to nothing
                    print(f"Cannot run this combination: {exc}")
                    return
                print(caption.replace(": activation", ":\nactivation"))  # two short lines
                display(Image(data=png(pattern)))
        finally:
            run.disabled, run.description = False, "Run"

    layer.observe(on_layer, names="value")
    rung.observe(prepare, names="value")
    run.on_click(on_run)
    on_run(None)
    return explorer_box(widgets.HBox([layer, index, rung]), widgets.HBox([steps, rate, run]), out)
