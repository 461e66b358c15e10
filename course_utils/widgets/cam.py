"""Chapter 3's explorer: pick a class (from the top-k), a layer, a method and an opacity
(`alpha`, as in `overlay.superimpose`), see the heatmap over the image."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import cam, validate
from ..heatmaps import peak_location
from ..model_io import ModelLike, keras_model, network_input
from ..overlay import superimpose
from ..targets import class_probabilities
from .box import explorer_box
from .picture import show

if TYPE_CHECKING:
    from collections.abc import Sequence

    import ipywidgets


def top_classes(model: ModelLike, image: np.ndarray, k: int = 5) -> list[tuple[str, int]]:
    """The model's k most likely classes as (label with probability, index), for a dropdown."""
    k = validate.whole_number(k, "k")
    if hasattr(model, "decode"):
        decoded = model.decode(model.predict(image), top=k)[0]
        return [(f"{name} ({p:.2f})", index) for index, name, p in decoded]
    outputs = keras_model(model)(network_input(model, image), training=False)
    probs = class_probabilities(model, outputs)[0]  # one sigmoid unit: (1 - p, p)
    order = np.argsort(-probs, kind="stable")[:k]
    return [(f"class {i} ({probs[i]:.2f})", int(i)) for i in order]


def cam_view(model: ModelLike, image: np.ndarray, class_index: int, layer_name: str, method: str = "Grad-CAM",
             alpha: float = 0.4, cache: dict | None = None) -> tuple[np.ndarray, str]:
    """The superimposed uint8 image and a caption. Plain function: the widget only calls it.
    `cache` (a dict, e.g. filled by `cam.explorer_heatmaps`) keeps heatmaps and their coloured,
    upsampled layers, so a cached choice or an opacity (`alpha`) change is only a blend."""
    if method not in cam.METHODS:
        raise ValueError(f"Unknown method {method!r}. Choose one of {', '.join(map(repr, cam.METHODS))}.")
    cache = {} if cache is None else cache
    key = (class_index, layer_name, method)
    if key not in cache:
        cache[key] = cam.heatmap(model, image, class_index, layer_name, method)
    heat = cache[key]
    if ("colour",) + key not in cache:  # upsample + colormap once per map, not per opacity
        photo = superimpose(image, heat, 0.0)  # validates the image and alpha rules once
        colour = superimpose(image, heat, 1.0)
        cache[("colour",) + key] = (photo.astype("float32"), colour.astype("float32"),
                                    peak_location(heat, np.shape(image)[-3:-1]))
    photo, colour, (row, col) = cache[("colour",) + key]
    if not isinstance(alpha, (int, float, np.number)) or isinstance(alpha, (bool, np.bool_)) \
            or not 0 <= float(alpha) <= 1:
        superimpose(image, heat, alpha)  # raises superimpose's own message
    at = f"{cam.gap_head(model)[0]} (CAM always reads the pooled layer)" if method == "CAM" else layer_name
    caption = (f"{method} for class {class_index} at {at}: {heat.shape[0]}x{heat.shape[1]} map, "
               f"peak at pixel (row {row}, col {col}), opacity {alpha:.2f}")
    return np.rint((1 - alpha) * photo + alpha * colour).astype("uint8"), caption  # superimpose's blend


def cam_explorer(model: ModelLike, image: np.ndarray, layers: Sequence[str] | None = None,
                 top: int = 5) -> "ipywidgets.VBox":
    """Dropdowns for class (top-k), layer and method, an opacity slider; returns the widget box."""
    import ipywidgets as widgets

    layers = list(layers) if layers is not None else cam.conv_block_layers(model)
    classes = top_classes(model, image, top)
    style = {"description_width": "initial"}  # full labels at any width
    klass = widgets.Dropdown(options=classes, value=classes[0][1], description="class", style=style)
    layer = widgets.Dropdown(options=layers, value=layers[-1], description="layer", style=style)
    method = widgets.Dropdown(options=list(cam.METHODS), value="Grad-CAM", description="method", style=style)
    opacity = widgets.FloatSlider(value=0.4, min=0.0, max=1.0, step=0.05, description="opacity",
                                  continuous_update=False, style=style,
                                  layout=widgets.Layout(width="420px"))
    # Every (class, layer, method) map up front (per class one pass for all layers): each later
    # change is a blend of cached pixels, well under the half second a learner notices.
    out, cache = widgets.Output(), cam.explorer_heatmaps(model, image, [i for _, i in classes], layers)

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            try:
                blended, caption = cam_view(model, image, klass.value, layer.value, method.value,
                                            opacity.value, cache)
            except ValueError as exc:  # e.g. CAM on a model without a pooled head: say why
                print(exc)
                return
            show(blended, caption)

    for control in (klass, layer, method, opacity):
        control.observe(redraw, names="value")
    redraw()
    return explorer_box(widgets.HBox([klass, layer]), widgets.HBox([method, opacity]), out)
