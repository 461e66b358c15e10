"""Showing a class heatmap: upsample it to the image, colour it, lay it over the photo.

The array helpers (``colorize``, ``superimpose``, ``gradient_image``) return uint8 images, for
checking or saving; every ``plot_*`` draws and returns its matplotlib ``Figure`` (like
``activations.plot_channel_grid``), so a caller that wants the pixels asks the array helper.
Inputs are never modified.
"""
from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from . import validate
from .heatmaps import Box, upsample
from .images import to_uint8

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap
    from matplotlib.figure import Figure


def _heatmap_2d(heatmap) -> np.ndarray:
    heat = np.asarray(heatmap, dtype="float32")
    if heat.ndim != 2:
        raise ValueError(f"A heatmap is a 2-D array (h, w); got shape {heat.shape}. "
                         "For a guided-backprop gradient (H, W, 3) use gradient_image.")
    return validate.heatmap_2d(heat)  # NaN/inf/empty refused where heatmaps enter


def colormap(name: str) -> "Colormap":
    """A matplotlib colormap by name, with a close-name hint when it does not exist."""
    import matplotlib

    try:
        return matplotlib.colormaps[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(matplotlib.colormaps), n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"Unknown colormap {name!r}.{hint} Common choices: 'jet', 'viridis', 'inferno'.") from None


def colorize(heatmap: ArrayLike, cmap: str = "jet") -> np.ndarray:
    """A [0, 1] heatmap as an RGB uint8 image through a colormap (values outside are clipped)."""
    rgba = colormap(cmap)(np.clip(_heatmap_2d(heatmap), 0, 1))
    return np.rint(rgba[..., :3] * 255).astype("uint8")


def superimpose(image: ArrayLike, heatmap: ArrayLike, alpha: float = 0.4, cmap: str = "jet") -> np.ndarray:
    """The image with the coloured heatmap blended in: (1 - alpha) * image + alpha * colour.

    `image` is 0-255, (H, W, 3) or a batch of one; the heatmap is upsampled (bilinear) to it.
    (The Keras walkthrough adds ``0.4 * heatmap`` to the image and rescales; blending keeps
    the photo's brightness and gives the same picture.)"""
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (int, float, np.number)) \
            or not 0 <= float(alpha) <= 1:  # "0.5" or NaN: refused here, not deep in numpy
        raise ValueError(f"alpha is the heatmap's opacity, between 0 and 1; got {alpha!r}.")
    photo = to_uint8(validate.pixels(image, "RGB image")).astype("float32")  # the pixel rule
    if photo.ndim != 3 or photo.shape[-1] != 3:
        raise ValueError(f"Expected an RGB image (H, W, 3) or (1, H, W, 3); got shape {np.shape(image)}.")
    colour = colorize(upsample(_heatmap_2d(heatmap), photo.shape[:2]), cmap).astype("float32")
    return np.rint((1 - alpha) * photo + alpha * colour).astype("uint8")


def gradient_image(gradient: ArrayLike) -> np.ndarray:
    """A signed input gradient (H, W, 3) as uint8: centred on grey, ±3 std to black/white."""
    g = validate.finite_array(gradient, "gradient")
    std = float(g.std())
    if std < 1e-12:
        return np.full(g.shape, 128, dtype="uint8")
    return np.clip(np.rint(128 + (g - g.mean()) / std * 128 / 3), 0, 255).astype("uint8")


def _draw_boxes(ax, boxes) -> None:
    from matplotlib.patches import Rectangle

    height, width = (int(v) for v in ax.images[-1].get_array().shape[:2])  # the picture just drawn
    for label, box in (boxes or {}).items():
        x0, y0, x1, y1 = validate.box(box, (height, width))  # a wrong box says the rule, not "unpack"
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="white", linewidth=2))
        ax.text(x0 + 2, y0 + 2, label, color="white", va="top", fontsize=9, weight="bold")


def plot_heatmap(heatmap: ArrayLike, title: str | None = None, ax: "Axes | None" = None) -> "Figure":
    """The raw heatmap at its own resolution with ``matshow`` (one square per cell). Returns the figure."""
    import matplotlib.pyplot as plt

    heat = _heatmap_2d(heatmap)
    if ax is None:
        fig, ax = plt.subplots(figsize=(3.5, 3.5))
    ax.matshow(heat, cmap="jet", vmin=0, vmax=1)
    ax.set_title(title or f"heatmap {heat.shape[0]}x{heat.shape[1]}")
    ax.axis("off")
    return ax.figure


def plot_superimposed(image: ArrayLike, heatmap: ArrayLike, alpha: float = 0.4, cmap: str = "jet",
                      title: str | None = None, boxes: dict[str, Box] | None = None,
                      ax: "Axes | None" = None) -> "Figure":
    """Show `superimpose(image, heatmap, alpha, cmap)`, optionally with labelled boxes
    {label: (x0, y0, x1, y1)}. Returns the figure (the blended pixels: call `superimpose`)."""
    import matplotlib.pyplot as plt

    blended = superimpose(image, heatmap, alpha, cmap)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 5))
    ax.imshow(blended)
    _draw_boxes(ax, boxes)
    ax.set_title(title or f"heatmap over the image (alpha {alpha})")
    ax.axis("off")
    return ax.figure


def plot_heatmap_grid(heatmaps: dict, image: ArrayLike | None = None, columns: int = 5, alpha: float = 0.4,
                      cmap: str = "jet") -> "Figure":
    """Title → heatmap, in a grid: superimposed on `image` when given, else raw. Returns the figure."""
    import matplotlib.pyplot as plt

    if not hasattr(heatmaps, "items"):
        raise TypeError(f"plot_heatmap_grid takes a dict title → heatmap, not {type(heatmaps).__name__}.")
    items = list(heatmaps.items())
    if not items:
        raise ValueError("plot_heatmap_grid needs at least one heatmap.")
    columns = min(validate.whole_number(columns, "columns"), len(items))
    rows = -(-len(items) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3.3 * rows), squeeze=False)
    for ax in axes.ravel()[len(items):]:
        ax.axis("off")
    for ax, (title, heat) in zip(axes.ravel(), items):
        shape = np.shape(heat)
        if image is None:
            plot_heatmap(heat, title, ax=ax)
        else:
            plot_superimposed(image, heat, alpha, cmap, title=title, ax=ax)
        ax.set_title(f"{title}\n{shape[0]}x{shape[1]}", fontsize=9)
    fig.tight_layout()
    return fig
