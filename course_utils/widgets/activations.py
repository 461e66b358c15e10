"""Chapter 1's explorer: pick a layer and a channel, see that channel's activation."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import validate
from .box import explorer_box
from .picture import colormapped, show

if TYPE_CHECKING:
    from collections.abc import Mapping

    import ipywidgets


def channel_view(activations: Mapping[str, np.ndarray], layer: str, channel: int) -> tuple[np.ndarray, str]:
    """The 2-D map of one channel and a caption with its statistics.

    Plain function (the widget only calls it), so it is unit-tested without a browser.
    """
    if not isinstance(layer, str) or layer not in activations:
        raise KeyError(f"No activation for layer {layer!r}; choose one of: {', '.join(activations)}.")
    act = np.asarray(activations[layer])
    if act.ndim != 4 or act.shape[0] != 1:
        raise ValueError(f"The activation of {layer!r} has shape {act.shape}; expected (1, h, w, channels) "
                         f"for one image, as layer_activations gives.")
    n = act.shape[-1]
    channel = validate.whole_number(channel, "channel", minimum=0)  # 2.5, True, "3" refused
    if not channel < n:
        raise IndexError(f"Layer {layer!r} has {n} channels: channel must be 0 … {n - 1}, got {channel}.")
    channel_map = act[0, :, :, int(channel)]
    active = float(np.mean(channel_map > 0))
    caption = (f"{layer}, channel {int(channel)} of {n}: {channel_map.shape[0]}×{channel_map.shape[1]}, "
               f"max {channel_map.max():.3g}, {active:.0%} of positions active"
               + ("\n(blank: this filter does not fire on this image)" if channel_map.max() == 0 else ""))
    return channel_map, caption


def activation_explorer(activations: Mapping[str, np.ndarray], cmap: str = "viridis") -> ipywidgets.VBox:
    """Dropdown of layers + channel slider wired to `channel_view`; returns the widget box."""
    import ipywidgets as widgets

    names = list(activations)
    # Wide enough at 1440 px that one arrow-key step or a small drag reaches any of 256 channels.
    label = {"description_width": "initial"}
    layer = widgets.Dropdown(options=names, value=names[0], description="layer", style=label,
                             layout=widgets.Layout(width="260px"))
    channel = widgets.IntSlider(value=0, min=0, max=activations[names[0]].shape[-1] - 1,
                                description="channel", continuous_update=False, style=label,
                                layout=widgets.Layout(width="560px"))
    out = widgets.Output()

    def redraw(*_):
        channel.max = activations[layer.value].shape[-1] - 1
        channel_map, caption = channel_view(activations, layer.value, min(channel.value, channel.max))
        with out:
            out.clear_output(wait=True)
            show(colormapped(channel_map, cmap), caption)

    layer.observe(redraw, names="value")
    channel.observe(redraw, names="value")
    redraw()
    return explorer_box(widgets.HBox([layer, channel]), out)
