"""Chapter 4's comparison: pick an image and some methods, see their maps and faithfulness scores."""
from __future__ import annotations

import numpy as np

from ..faithfulness import heatmap_at_image


def comparison_view(images, maps, scores, image_name: str, methods) -> tuple[list, str]:
    """Panels and a caption for one image and the chosen methods.

    images: name → (1, H, W, 3) 0-255; maps: name → {method: heatmap}; scores: name →
    {method: {"deletion": …, "insertion": …}}. Returns ([(title, map at image size)], caption),
    methods ordered best deletion score first. Plain function: the widget only calls it.
    """
    if image_name not in images:
        raise KeyError(f"No image named {image_name!r}; choose one of: {', '.join(images)}.")
    methods = list(methods)
    if not methods:
        raise ValueError("Choose at least one method to compare.")
    known = maps.get(image_name, {})
    unknown = [m for m in methods if m not in known]
    if unknown:
        raise KeyError(f"No map for {', '.join(map(repr, unknown))} on {image_name!r}; "
                       f"available: {', '.join(known)}.")
    shape = np.shape(images[image_name])[-3:-1]
    ranked = sorted(methods, key=lambda m: scores[image_name][m]["deletion"])
    panels = [(f"{m}\ndeletion {scores[image_name][m]['deletion']:.2f} · "
               f"insertion {scores[image_name][m]['insertion']:.2f}",
               heatmap_at_image(known[m], shape)) for m in ranked]
    caption = (f"{image_name}: most faithful by deletion (lower is better) is {ranked[0]}"
               + (f", least {ranked[-1]}" if len(ranked) > 1 else "") + ".")
    return panels, caption


def comparison_explorer(images, maps, scores, alpha: float = 0.4):
    """Image dropdown + method multi-select wired to `comparison_view`; returns the widget box."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from ..images import to_uint8
    from ..overlay import superimpose

    names = list(images)
    all_methods = list(next(iter(maps.values())))
    image = widgets.Dropdown(options=names, value=names[0], description="image")
    chosen = widgets.SelectMultiple(options=all_methods, value=tuple(all_methods[:3]), description="methods",
                                    rows=min(6, len(all_methods)))
    out = widgets.Output()

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            if not chosen.value:
                print("Choose at least one method.")
                return
            panels, caption = comparison_view(images, maps, scores, image.value, chosen.value)
            fig, axes = plt.subplots(1, len(panels) + 1, figsize=(3 * (len(panels) + 1), 3.4))
            shown = to_uint8(images[image.value])
            axes[0].imshow(shown)
            axes[0].set_title(image.value, fontsize=9)
            for ax, (title, heat) in zip(axes[1:], panels):
                ax.imshow(superimpose(shown, heat / max(float(heat.max()), 1e-12), alpha))
                ax.set_title(title, fontsize=8)
            for ax in axes:
                ax.axis("off")
            fig.suptitle(caption, fontsize=9)
            plt.show()

    image.observe(redraw, names="value")
    chosen.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([image, chosen]), out])
