"""Is a heatmap faithful to the model? Deletion and insertion curves (Petsiuk et al., RISE 2018).

Deletion: remove pixels in heatmap order (most important first) and watch the class score
fall; a faithful map makes it fall fast (small area under the curve). Insertion: start from
a blurred image, reveal pixels in heatmap order; a faithful map makes the score rise fast
(large area). A random order is the baseline every method has to beat.

"Removing" a pixel replaces it by the blurred image's pixel (not black): black specks are
themselves a strong, unnatural signal, so with a black fill a random order "wins" by
drowning the image in noise rather than by removing evidence.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import validate
from .heatmaps import at_image_size
from .model_io import ModelLike, image_batch
from .targets import ClassLike, class_scores, class_target


@dataclass
class Curve:
    """Class score after removing (deletion) or revealing (insertion) each fraction of pixels."""
    kind: str
    fractions: np.ndarray
    scores: np.ndarray

    @property
    def auc(self) -> float:
        """Area under the curve, x from 0 to 1 (trapezoids)."""
        return float(np.trapezoid(self.scores, self.fractions))

    @property
    def intact_score(self) -> float:
        """The score of the untouched image (first point of deletion, last of insertion)."""
        return float(self.scores[0] if self.kind == "deletion" else self.scores[-1])

    @property
    def relative_auc(self) -> float:
        """Area in units of the intact image's score, so that a confident and an unsure
        prediction weigh the same when images are averaged."""
        return self.auc / self.intact_score if self.intact_score > 0 else float("nan")


@dataclass(frozen=True)
class CurveAreas:
    """One map's two faithfulness areas: `deletion` (lower is better) and `insertion` (higher
    is better), in units of the intact image's score when `relative` (see Curve.relative_auc)."""
    deletion: float
    insertion: float
    relative: bool


def random_heatmap(shape_hw: tuple[int, int], seed: int = 0, cells: int | None = None) -> np.ndarray:
    """A random ordering of the pixels: the baseline. cells=n draws an n×n grid of random
    values upsampled to the image, i.e. random *blobs* of the size a Grad-CAM map has."""
    shape_hw = validate.shape_hw(shape_hw)
    rng = np.random.default_rng(validate.whole_number(seed, "seed", minimum=0))
    if cells is None:
        return rng.random(shape_hw).astype("float32")
    cells = validate.whole_number(cells, "cells")
    return at_image_size(rng.random((cells, cells)).astype("float32"), shape_hw)


def blurred(image: ArrayLike, sigma: float | None = None) -> np.ndarray:
    """A Gaussian-blurred copy (insertion's starting point): shapes gone, colours kept."""
    from scipy.ndimage import gaussian_filter

    x = image_batch(image)
    sigma = validate.positive_number(sigma, "sigma") if sigma is not None else max(x.shape[1:3]) / 20
    return gaussian_filter(x, sigma=(0, sigma, sigma, 0)).astype("float32")


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive int (the number of deletion steps), got {steps!r}.")
    return int(steps)


def _pixel_ranks(heatmap, shape_hw) -> np.ndarray:
    """Rank of each pixel, 0 = most important; ties keep reading order (stable sort)."""
    m = at_image_size(heatmap, shape_hw).ravel()
    order = np.argsort(-m, kind="stable")
    ranks = np.empty(order.size, dtype=np.int64)
    ranks[order] = np.arange(order.size)
    return ranks.reshape(shape_hw)


def _curve(model, image, heatmap, class_index, steps, replacement, kind, batch_size) -> Curve:
    x = image_batch(image, model=model)
    steps = _check_steps(steps)
    batch_size = validate.whole_number(batch_size, "batch_size")  # 0 would loop forever on range(…, 0)
    cls = class_target(model, class_index)
    h, w = x.shape[1:3]
    validate.whole_number(steps, "steps", maximum=h * w, why=f"the image has {h * w} pixels to remove")
    ranks = _pixel_ranks(heatmap, (h, w))
    counts = np.rint(np.linspace(0, h * w, steps + 1)).astype(np.int64)
    scores = []
    for start in range(0, steps + 1, batch_size):
        chosen = ranks[None] < counts[start:start + batch_size, None, None]  # (b, H, W)
        if kind == "deletion":  # chosen pixels are removed
            batch = np.where(chosen[..., None], replacement, x)
        else:  # chosen pixels are revealed on top of the blurred start
            batch = np.where(chosen[..., None], x, replacement)
        scores.append(class_scores(model, batch, cls, batch_size))
    return Curve(kind, counts / (h * w), np.concatenate(scores))


def _replacement(x, value) -> np.ndarray:
    """What removed pixels become: the blurred image, or `value` (a 0-255 number or an image)."""
    if value is None:
        return blurred(x)
    fill = validate.finite_array(value, "fill (or start)", min_ndim=0)
    try:
        return np.broadcast_to(fill, x.shape)
    except ValueError:
        raise ValueError(f"fill (or start) must be one pixel value or an image of the image's shape "
                         f"{x.shape[1:]}; got shape {fill.shape}.") from None


def deletion_curve(model: ModelLike, image: ArrayLike, heatmap: ArrayLike, class_index: ClassLike, steps: int = 16,
                   fill: ArrayLike | None = None, batch_size: int = 32) -> Curve:
    """Score as the most important pixels (per `heatmap`) are replaced by the blurred image
    (or by `fill`: 0 paints them black, as RISE does)."""
    x = image_batch(image, model=model)  # the model's pixel rule, before pixels are replaced
    return _curve(model, x, heatmap, class_index, steps, _replacement(x, fill), "deletion", batch_size)


def insertion_curve(model: ModelLike, image: ArrayLike, heatmap: ArrayLike, class_index: ClassLike,
                    steps: int = 16, start: ArrayLike | None = None, batch_size: int = 32) -> Curve:
    """Score as the most important pixels are revealed on a blurred copy (or on `start`)."""
    x = image_batch(image, model=model)
    return _curve(model, x, heatmap, class_index, steps, _replacement(x, start), "insertion", batch_size)


def deletion_insertion(model: ModelLike, image: ArrayLike, heatmap: ArrayLike, class_index: ClassLike,
                       steps: int = 16, batch_size: int = 32, relative: bool = True) -> CurveAreas:
    """Both areas as `CurveAreas`; relative=True divides each by the intact image's score."""
    x = image_batch(image, model=model)
    blur = blurred(x)  # both curves' replacement: blur once
    deletion = deletion_curve(model, x, heatmap, class_index, steps, fill=blur, batch_size=batch_size)
    insertion = insertion_curve(model, x, heatmap, class_index, steps, start=blur, batch_size=batch_size)
    if relative:
        return CurveAreas(deletion.relative_auc, insertion.relative_auc, relative=True)
    return CurveAreas(deletion.auc, insertion.auc, relative=False)
