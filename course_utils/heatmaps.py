"""Heatmap geometry: the one place that turns a method's output into a 2-D map and measures it.

Every explanation method (cam, occlusion, deconvnet, faithfulness, sanity) and every display
(overlay, widgets) goes through these functions, so "the map" means the same thing everywhere.

**Collapse rule.** A method that returns one value per pixel *and channel* (an input gradient,
guided backprop, guided Grad-CAM: (H, W, C)) becomes a 2-D map by the **sum of absolute values
over channels** (the L1 norm of each pixel's gradient). Why the sum and not the max: every
channel's evidence counts (a pixel that matters in red *and* green outranks one that matters in
red only), it is the rule the faithfulness and sanity measures were calibrated with, and a
sum has fewer exact ties than a max, so pixel rankings (deletion curves, rank similarity) are
less arbitrary. Signed 2-D maps are left signed; ``normalize`` is where the ReLU happens.

**High-frequency energy** is measured in cycles per pixel (Nyquist = 0.5) on the grey level
(mean over channels), mean removed: one definition, one unit, for filter patterns and
deconvnet projections alike.
"""
from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike

from . import validate

#: Largest aspect-ratio mismatch (|log of the ratio|) accepted when a small map is resized to an image.
ASPECT_TOLERANCE = 0.25

#: A box in image pixels: (x0, y0, x1, y1), x to the right, y down.
Box = tuple[int, int, int, int]


IMAGE_CHANNELS = (1, 3)  # a 3-D map whose last axis is one of these is a per-pixel colour gradient


def to_2d(saliency: ArrayLike, what: str = "heatmap") -> np.ndarray:
    """A float32 2-D map from a method's output: (h, w) as is; a per-pixel colour gradient
    (H, W, 1|3), also as a batch of one, by the sum of |channels| (see the module docstring).
    Refuses other shapes (a stack of maps is not one map) and NaN/inf."""
    m = validate.numeric(saliency, what).astype("float32")  # a string or ragged list: said so
    if m.ndim == 4 and m.shape[0] == 1:
        m = m[0]
    if m.ndim == 3 and m.shape[-1] in IMAGE_CHANNELS:
        m = np.abs(m).sum(axis=-1)
    if m.ndim != 2:
        raise ValueError(f"A {what} must be 2-D (rows, columns) or a colour gradient (H, W, 3); "
                         f"got shape {np.shape(saliency)}.")
    if m.size == 0:
        raise ValueError(f"The {what} is empty (shape {np.shape(saliency)}).")
    return validate.finite(m, what)


def normalize(raw: ArrayLike, what: str = "heatmap", warn: bool = True) -> np.ndarray:
    """ReLU, then divide by the maximum: [0, 1]. An all-zero (or all-negative) map stays zero,
    with a warning when `warn` (that layer or patch shows no positive evidence)."""
    heat = np.maximum(validate.finite(np.asarray(raw, dtype="float32"), what), 0)  # NaN would survive max
    top = float(heat.max()) if heat.size else 0.0
    if top <= 0:
        if warn:
            warnings.warn(f"The {what} is zero everywhere: it shows no positive evidence for the class.",
                          stacklevel=3)
        return np.zeros_like(heat)
    return heat / top


def upsample(heatmap: ArrayLike, shape_hw: tuple[int, int]) -> np.ndarray:
    """A 2-D map resized (bilinear, float precision) to `shape_hw` (H, W)."""
    from PIL import Image

    h, w = validate.shape_hw(shape_hw)
    img = Image.fromarray(np.ascontiguousarray(to_2d(heatmap), dtype="float32"))  # float32 → PIL mode "F"
    return np.asarray(img.resize((w, h), Image.BILINEAR), dtype="float32")


def at_image_size(heatmap: ArrayLike, shape_hw: tuple[int, int]) -> np.ndarray:
    """A map (2-D, or (H, W, C) collapsed by `to_2d`) at the image's (H, W), upsampled when it
    is a smaller map of the same aspect ratio (a Grad-CAM layer map); anything else is refused."""
    m = to_2d(heatmap)
    h, w = validate.shape_hw(shape_hw)
    if m.shape == (h, w):
        return m
    if m.shape[0] > h or m.shape[1] > w or abs(np.log((m.shape[0] / m.shape[1]) / (h / w))) > ASPECT_TOLERANCE:
        raise ValueError(f"Heatmap shape {m.shape} does not match the image ({h}x{w}): it must be {h}x{w} "
                         f"or a smaller map with the same aspect ratio (e.g. a Grad-CAM layer map).")
    return upsample(m, (h, w))


def peak_location(heatmap: ArrayLike, shape_hw: tuple[int, int] | None = None) -> tuple[int, int]:
    """(row, col) of the hottest cell (the first one in reading order on ties); with
    `shape_hw`, that cell's centre in image pixels."""
    heat = to_2d(heatmap)  # NaN/inf/empty refused: argmax would make up a peak
    row, col = np.unravel_index(int(np.argmax(heat)), heat.shape)
    if shape_hw is None:
        return int(row), int(col)
    shape_hw = validate.shape_hw(shape_hw)
    return (int((row + 0.5) * shape_hw[0] / heat.shape[0]), int((col + 0.5) * shape_hw[1] / heat.shape[1]))


def check_box(box: Box, shape_hw: tuple[int, int]) -> Box:
    """(x0, y0, x1, y1) as ints inside an image of `shape_hw`, or a ValueError that says the rule."""
    return validate.box(box, validate.shape_hw(shape_hw))


def mass_in_mask(heatmap: ArrayLike, mask: ArrayLike) -> float:
    """Fraction of the heatmap's total (upsampled to the mask's (H, W)) where `mask` is True;
    0 for a map with no positive total. Any region: a box, the union of boxes, a segmentation."""
    inside = np.asarray(mask)
    if inside.dtype != bool or inside.ndim != 2:
        raise ValueError(f"A mask is a 2-D boolean array (H, W), True inside the region; got "
                         f"{inside.dtype} of shape {inside.shape}.")
    heat = upsample(to_2d(heatmap), inside.shape)
    total = float(heat.sum())
    return float(heat[inside].sum()) / total if total > 0 else 0.0


def mass_in_box(heatmap: ArrayLike, box: Box, shape_hw: tuple[int, int]) -> float:
    """Fraction of the heatmap's total (upsampled to `shape_hw`) inside box (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = check_box(box, shape_hw)  # before the work: a wrong box is the likelier mistake
    inside = np.zeros((int(shape_hw[0]), int(shape_hw[1])), bool)
    inside[y0:y1, x0:x1] = True
    return mass_in_mask(heatmap, inside)


def _same_grid(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Both maps on one grid: the one with fewer cells is upsampled to the other's shape."""
    a, b = to_2d(a), to_2d(b)
    if a.shape != b.shape:
        big, small = (a, b) if a.size >= b.size else (b, a)
        return big, upsample(small, big.shape)
    return a, b


def pearson(a: ArrayLike, b: ArrayLike) -> float:
    """Pearson correlation of two arrays of one shape, value by value (maps, images, gradient
    steps); 0, not NaN, when either is constant: a constant array has no pattern to agree with."""
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    if a.shape != b.shape:
        raise ValueError(f"Correlation compares arrays of one shape; got {a.shape} and {b.shape}.")
    if a.size == 0 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def correlation(a: ArrayLike, b: ArrayLike) -> float:
    """Pearson correlation of two maps (the smaller resized to the larger's grid)."""
    return pearson(*_same_grid(a, b))


def rank_similarity(a: ArrayLike, b: ArrayLike) -> float:
    """Spearman rank correlation of two maps (the smaller resized to the larger's grid).
    A constant map carries no ranking, so its similarity to anything is 0 (not NaN)."""
    from scipy.stats import spearmanr

    a, b = _same_grid(a, b)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a.ravel(), b.ravel()).statistic)


def grey_power(images: ArrayLike) -> np.ndarray:
    """Spectral power (N, H, W) of each image's grey level (mean over channels), mean removed."""
    x = validate.finite_array(images, "images")
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4:
        raise ValueError(f"Expected images (N, H, W, C) or (H, W, C), got shape {np.shape(images)}.")
    grey = x.mean(axis=-1)
    grey = grey - grey.mean(axis=(1, 2), keepdims=True)
    return np.abs(np.fft.fft2(grey)) ** 2


def high_frequency_energy(images: ArrayLike, cutoff: float = 0.25) -> np.ndarray:
    """Share of each image's grey-level spectral power above `cutoff` cycles/pixel (Nyquist =
    0.5), shape (N,): about 0.8 for white noise, a few percent for photos and smooth blobs.
    Takes (N, H, W, C) or one (H, W, C) image (a 2-D map: pass ``m[..., None]``)."""
    cutoff = validate.number_between(cutoff, "cutoff", 0.0, 0.5, "0.25 cycles per pixel")
    power = grey_power(images)
    fy = np.fft.fftfreq(power.shape[1])[:, None]
    fx = np.fft.fftfreq(power.shape[2])[None, :]
    high = np.hypot(fx, fy) > cutoff
    total = power.sum(axis=(1, 2))
    return np.where(total > 0, (power * high).sum(axis=(1, 2)) / np.maximum(total, 1e-12), 0.0)
