"""Chapter 5's comparison: pick an image and some methods, see their maps and faithfulness scores."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..heatmaps import at_image_size, normalize
from .box import explorer_box
from .picture import show, side_by_side

if TYPE_CHECKING:
    import ipywidgets


def comparison_view(images: dict, maps: dict, scores: dict, image_name: str,
                    methods: Sequence[str]) -> tuple[list[tuple[str, np.ndarray]], str]:
    """Panels and a caption for one image and the chosen methods.

    images: name → (1, H, W, 3) 0-255; maps: name → {method: heatmap}; scores: name →
    {method: faithfulness.CurveAreas} (what `deletion_insertion` returns). Returns
    ([(title, map at image size)], caption), methods in the order chosen: chapter 5 shows that
    deletion alone is biased (random pixels tie Grad-CAM), so no single score crowns a method
    here. Plain function: the widget only calls it.
    """
    if image_name not in images:
        raise KeyError(f"No image named {image_name!r}; choose one of: {', '.join(images)}.")
    if isinstance(methods, str):  # a bare name would be split into letters
        methods = [methods]
    methods = list(methods)
    if not methods:
        raise ValueError("Choose at least one method to compare.")
    known = maps.get(image_name, {})
    unknown = [m for m in methods if m not in known]
    if unknown:
        raise KeyError(f"No map for {', '.join(map(repr, unknown))} on {image_name!r}; "
                       f"available: {', '.join(known)}.")
    missing = [m for m in methods if m not in scores.get(image_name, {})]
    if missing:
        raise KeyError(f"No deletion/insertion scores for {', '.join(map(repr, missing))} on {image_name!r}; "
                       f"scores has: {', '.join(scores.get(image_name, {})) or 'none'}.")
    shape = np.shape(images[image_name])[-3:-1]
    panels = [(f"{m}\ndeletion {scores[image_name][m].deletion:.2f} · "
               f"insertion {scores[image_name][m].insertion:.2f}",
               at_image_size(known[m], shape)) for m in methods]
    caption = (f"{image_name}: deletion area (lower = faster drop), insertion area (higher = faster rise).\n"
               "Neither score alone certifies a map: compare each with 'random blobs'.")
    return panels, caption


def comparison_explorer(images: dict, maps: dict, scores: dict, alpha: float = 0.4) -> "ipywidgets.VBox":
    """Image dropdown + method multi-select wired to `comparison_view`; returns the widget box."""
    import ipywidgets as widgets

    from ..images import to_uint8
    from ..overlay import superimpose

    names = list(images)
    all_methods = list(next(iter(maps.values())))
    style = {"description_width": "initial"}  # labels in full, never "meth…"
    image = widgets.Dropdown(options=names, value=names[0], description="image", style=style)
    chosen = widgets.SelectMultiple(options=all_methods, value=tuple(all_methods[:3]), description="methods",
                                    rows=min(13, len(all_methods)), style=style)  # every method in view, no scrolling
    out = widgets.Output()

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            if not chosen.value:
                print("Choose at least one method.")
                return
            panels, caption = comparison_view(images, maps, scores, image.value, chosen.value)
            shown = to_uint8(images[image.value])
            pictures = [shown] + [superimpose(shown, normalize(heat, warn=False), alpha) for _, heat in panels]
            titles = [image.value] + [title.replace("\n", ": ") for title, _ in panels]
            # one line per panel, left to right, then the pictures in that order
            show(side_by_side(pictures), caption + "\n" + "\n".join(
                f"{i}. {t}" for i, t in enumerate(titles, 1)), display_px=0)

    image.observe(redraw, names="value")
    chosen.observe(redraw, names="value")
    redraw()
    return explorer_box(widgets.HBox([image, chosen]), out)
