"""Chapter 3's explorer: pick a class (from the top-k), a layer, a method and an opacity,
see the heatmap over the image."""
from __future__ import annotations

import numpy as np

from .. import cam
from ..model_io import n_classes, network_input
from ..overlay import superimpose


def top_classes(model, image, k: int = 5) -> list[tuple[str, int]]:
    """The model's k most likely classes as (label with probability, index), for a dropdown."""
    if hasattr(model, "decode"):
        decoded = model.decode(model.predict(image), top=k)[0]
        return [(f"{name} ({p:.2f})", index) for index, name, p in decoded]
    probs = np.asarray(model(network_input(model, image), training=False))[0]
    if n_classes(model) == 2 and probs.shape == (1,):  # one sigmoid unit: P(class 1)
        probs = np.array([1 - probs[0], probs[0]])
    order = np.argsort(-probs, kind="stable")[:k]
    return [(f"class {i} ({probs[i]:.2f})", int(i)) for i in order]


def cam_view(model, image, class_index, layer_name: str, method: str = "Grad-CAM", opacity: float = 0.4,
             cache: dict | None = None) -> tuple[np.ndarray, str]:
    """The superimposed uint8 image and a caption. Plain function: the widget only calls it.
    `cache` (a dict) keeps computed heatmaps so moving the opacity slider is instant."""
    if method not in cam.METHODS:
        raise ValueError(f"Unknown method {method!r}. Choose one of {', '.join(map(repr, cam.METHODS))}.")
    key = (class_index, layer_name, method)
    if cache is not None and key in cache:
        heat = cache[key]
    else:
        heat = cam.heatmap(model, image, class_index, layer_name, method)
        if cache is not None:
            cache[key] = heat
    at = f"{cam.gap_head(model)[0]} (CAM always reads the pooled layer)" if method == "CAM" else layer_name
    row, col = cam.peak_location(heat, np.shape(image)[-3:-1])
    caption = (f"{method} for class {class_index} at {at}: {heat.shape[0]}x{heat.shape[1]} map, "
               f"peak at pixel (row {row}, col {col}), opacity {opacity:.2f}")
    return superimpose(image, heat, opacity), caption


def cam_explorer(model, image, layers=None, top: int = 5):
    """Dropdowns for class (top-k), layer and method, an opacity slider; returns the widget box."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    layers = list(layers) if layers is not None else cam.conv_block_layers(model)
    classes = top_classes(model, image, top)
    klass = widgets.Dropdown(options=classes, value=classes[0][1], description="class")
    layer = widgets.Dropdown(options=layers, value=layers[-1], description="layer")
    method = widgets.Dropdown(options=list(cam.METHODS), value="Grad-CAM", description="method")
    opacity = widgets.FloatSlider(value=0.4, min=0.0, max=1.0, step=0.05, description="opacity",
                                  continuous_update=False)
    out, cache = widgets.Output(), {}

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            try:
                blended, caption = cam_view(model, image, klass.value, layer.value, method.value,
                                            opacity.value, cache)
            except ValueError as exc:  # e.g. CAM on a model without a pooled head: say why
                print(exc)
                return
            fig, ax = plt.subplots(figsize=(5, 5))
            ax.imshow(blended)
            ax.set_title(caption, fontsize=8, wrap=True)
            ax.axis("off")
            plt.show()

    for control in (klass, layer, method, opacity):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([klass, layer]), widgets.HBox([method, opacity]), out])
