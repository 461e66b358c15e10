"""How explorers draw: Pillow PNGs, not matplotlib figures.

A matplotlib figure costs ~0.2-0.3 s to lay out and render; a PNG of the same pixels from
Pillow a few milliseconds, which is most of a widget update's latency. Pictures are scaled up by
a whole factor (nearest neighbour), so every cell of a small map stays a sharp square.
"""
from __future__ import annotations

import io
import textwrap

import numpy as np

DISPLAY_PX = 300   # a picture's longer side is scaled up by a whole factor to at least this
LINE = 96          # printed captions wrap before JupyterLab does (mid-number) at ~100 characters


def png(rgb: np.ndarray, display_px: int = DISPLAY_PX) -> bytes:
    """(H, W, 3) uint8 pixels as PNG bytes, enlarged by a whole factor to about `display_px`."""
    from PIL import Image

    picture = Image.fromarray(np.ascontiguousarray(rgb, dtype="uint8"))
    scale = max(1, -(-display_px // max(picture.size)))
    buffer = io.BytesIO()
    picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST).save(
        buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def show(rgb: np.ndarray, caption: str = "", display_px: int = DISPLAY_PX) -> None:
    """Print `caption` (wrapped under 100 characters a line), then show the picture."""
    from IPython.display import Image, display

    for line in caption.splitlines():
        print(textwrap.fill(line, LINE, subsequent_indent="  "))
    display(Image(data=png(rgb, display_px)))


def colormapped(values: np.ndarray, cmap: str = "viridis") -> np.ndarray:
    """A 2-D array as (H, W, 3) uint8 through a matplotlib colormap, scaled min…max (a constant
    map takes the colormap's lowest colour, as matshow draws it)."""
    import matplotlib

    v = np.asarray(values, dtype="float64")
    span = float(v.max() - v.min()) if v.size else 0.0
    unit = (v - v.min()) / span if span > 0 else np.zeros_like(v)
    return (matplotlib.colormaps[cmap](unit)[..., :3] * 255).round().astype("uint8")


def side_by_side(pictures: list[np.ndarray], gap: int = 6) -> np.ndarray:
    """Equal-height (H, W, 3) uint8 pictures in one row, white gaps between them."""
    h = pictures[0].shape[0]
    spacer = np.full((h, gap, 3), 255, dtype="uint8")
    row = []
    for i, p in enumerate(pictures):
        row += ([spacer] if i else []) + [np.asarray(p, dtype="uint8")]
    return np.concatenate(row, axis=1)
