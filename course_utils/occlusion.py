"""Occlusion sensitivity (Zeiler & Fergus 2014): slide a grey patch over the image and record
how much the class score drops. Model-agnostic: it only needs forward passes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import validate
from . import heatmaps
from .model_io import ModelLike, image_batch
from .targets import ClassLike, class_scores, class_target

GREY = 127.5


def patch_positions(length: int, patch: int, stride: int) -> list[int]:
    """Top (or left) edges of the patches along one axis; the last one touches the far edge
    so every pixel is covered even when the stride does not divide the image."""
    check_patch((length, length), patch, stride)
    positions = list(range(0, length - patch + 1, stride))
    if positions[-1] != length - patch:
        positions.append(length - patch)
    return positions


def check_patch(shape_hw: tuple[int, int], patch: int, stride: int) -> None:
    for name, value in (("patch", patch), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"{name} must be a positive number of pixels, got {value!r}.")
    if patch > min(shape_hw):
        raise ValueError(f"patch={patch} is larger than the image ({shape_hw[0]}x{shape_hw[1]}): "
                         f"use a patch of at most {min(shape_hw)} pixels.")


@dataclass
class OcclusionGrid:
    """Score drop for each patch position: drops[i, j] is the patch at (ys[i], xs[j])."""
    drops: np.ndarray
    ys: list[int]
    xs: list[int]
    patch: int
    baseline_score: float


def occlusion_drops(model: ModelLike, image: ArrayLike, class_index: ClassLike, patch: int = 32, stride: int = 16,
                    fill: float = GREY, batch_size: int = 32, progress: bool = True,
                    score: str = "logit") -> OcclusionGrid:
    """Baseline score minus the score with a `fill`-valued patch at each position, batched."""
    from tqdm.auto import tqdm

    x = image_batch(image, model=model)  # the model's pixel rule, before any patch is painted
    fill, batch_size = validate.pixel_value(fill, "fill"), validate.whole_number(batch_size, "batch_size")
    h, w = x.shape[1:3]
    check_patch((h, w), patch, stride)
    cls = class_target(model, class_index)
    ys, xs = patch_positions(h, patch, stride), patch_positions(w, patch, stride)
    corners = [(y, xx) for y in ys for xx in xs]
    baseline = float(class_scores(model, x, cls, score=score)[0])
    drops = []
    with tqdm(total=len(corners), desc=f"occlusion {patch}px/{stride}", disable=not progress) as bar:
        for start in range(0, len(corners), batch_size):
            chunk = corners[start:start + batch_size]
            batch = np.repeat(x, len(chunk), axis=0)
            for b, (y, xx) in enumerate(chunk):
                batch[b, y:y + patch, xx:xx + patch, :] = fill
            drops.append(baseline - class_scores(model, batch, cls, batch_size, score))
            bar.update(len(chunk))
    return OcclusionGrid(np.concatenate(drops).reshape(len(ys), len(xs)), ys, xs, patch, baseline)


def grid_to_pixels(grid: OcclusionGrid, shape_hw: tuple[int, int]) -> np.ndarray:
    """Per pixel, the mean drop of every patch that covered it (full image resolution)."""
    total = np.zeros(shape_hw, dtype="float64")
    count = np.zeros(shape_hw, dtype="float64")
    p = grid.patch
    for i, y in enumerate(grid.ys):
        for j, xx in enumerate(grid.xs):
            total[y:y + p, xx:xx + p] += grid.drops[i, j]
            count[y:y + p, xx:xx + p] += 1
    return total / count


def occlusion_sensitivity(model: ModelLike, image: ArrayLike, class_index: ClassLike, patch: int = 32,
                          stride: int = 16, fill: float = GREY, batch_size: int = 32, progress: bool = True,
                          normalize: bool = True, score: str = "logit") -> np.ndarray:
    """Occlusion heatmap (H, W) at the image's resolution.

    The score is the class logit, as in Grad-CAM: with score="probability" a patch also
    "matters" when it merely helps a competing class, which blurs the comparison.

    normalize=True makes it comparable to Grad-CAM's: only drops count (a patch that raises
    the score is not evidence *for* the class), scaled to [0, 1]. normalize=False returns
    the signed per-pixel drop in score units.
    """
    x = image_batch(image, model=model)  # the model's pixel rule, before any patch is painted
    grid = occlusion_drops(model, x, class_index, patch, stride, fill, batch_size, progress, score)
    pixels = grid_to_pixels(grid, x.shape[1:3])
    if not normalize:
        return pixels
    return heatmaps.normalize(pixels, "occlusion map", warn=False).astype("float64")
