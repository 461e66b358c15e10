"""Chapter 3's explorer: pick a class (from the top-k), a layer, a method (chapter 3's four and
chapter 6's six) and an opacity (`alpha`, as in `overlay.superimpose`), see the heatmap over the
image."""
from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np

from .. import cam, explorer_maps, validate
from ..heatmaps import peak_location
from ..model_io import ModelLike, keras_model, network_input
from ..overlay import superimpose
from ..targets import class_probabilities
from .box import explorer_box
from .picture import LINE, show

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


def _where(model: ModelLike, layer_name: str, method: str) -> str:
    """Where the caption says a map was read."""
    if method == "CAM":
        return f"{cam.gap_head(model)[0]} (CAM always reads the pooled layer)"
    if method in explorer_maps.PIXEL_METHODS:
        return "the input pixels (no layer: the same map at every layer)"
    if method == "Eigen-CAM":
        return f"{layer_name} (Eigen-CAM takes no class: the same map for every class)"
    return layer_name


def cam_view(model: ModelLike, image: np.ndarray, class_index: int, layer_name: str, method: str = "Grad-CAM",
             alpha: float = 0.4, cache: dict | None = None) -> tuple[np.ndarray, str]:
    """The superimposed uint8 image and a caption. Plain function: the widget only calls it.
    `cache` (a dict, e.g. filled by `explorer_maps.explorer_maps`) keeps heatmaps and their
    coloured, upsampled layers, so a cached choice or an opacity (`alpha`) change is only a
    blend. A key ("missing", class, layer, method) in it holds why that map was left out: raised
    as is."""
    if method not in explorer_maps.ALL_METHODS:
        raise ValueError(f"Unknown method {method!r}. Choose one of {', '.join(map(repr, explorer_maps.ALL_METHODS))}.")
    cache = {} if cache is None else cache
    key = (class_index, layer_name, method)
    if key not in cache and ("missing",) + key in cache:
        raise ValueError(cache[("missing",) + key])
    if key not in cache:
        cache[key] = explorer_maps.method_map(model, image, class_index, layer_name, method)
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
    caption = (f"{method} for class {class_index} at {_where(model, layer_name, method)}: "
               f"{heat.shape[0]}x{heat.shape[1]} map, "
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
    method = widgets.Dropdown(options=list(explorer_maps.ALL_METHODS), value="Grad-CAM", description="method",
                              style=style)
    opacity = widgets.FloatSlider(value=0.4, min=0.0, max=1.0, step=0.05, description="opacity",
                                  continuous_update=False, style=style,
                                  layout=widgets.Layout(width="420px"))
    # Every (class, layer, method) map up front (explorer_maps: the cheapest way for each method,
    # Score-CAM within a time budget): each later change is a blend of cached pixels, well under
    # the half second a learner notices.
    maps, missing = explorer_maps.explorer_maps(model, image, [i for _, i in classes], layers, layers[-1])
    cache: dict = {**maps, **{("missing",) + key: why for key, why in missing.items()}}
    out = widgets.Output()

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            try:
                blended, caption = cam_view(model, image, klass.value, layer.value, method.value,
                                            opacity.value, cache)
            except ValueError as exc:  # CAM without a pooled head, Score-CAM over budget: say why
                print(textwrap.fill(str(exc), LINE))
                return
            show(blended, caption)

    for control in (klass, layer, method, opacity):
        control.observe(redraw, names="value")
    redraw()
    return explorer_box(widgets.HBox([klass, layer]), widgets.HBox([method, opacity]), out)
