"""Chapters 4 and 5's shared start: the hand-drawn boxes around the animals of the walkthrough
photo, so a chapter can say *where* a map points with numbers instead of adjectives."""
from __future__ import annotations

import numpy as np

from . import validate
from .heatmaps import Box

# (x0, y0, x1, y1) as fractions of the width and height, drawn by hand in chapter 3.
ELEPHANT_BOXES = {"calf": (0.17, 0.33, 0.55, 0.60), "mother": (0.45, 0.12, 1.00, 0.56)}
FALLBACK_BOXES = {"cat": (0.10, 0.05, 0.90, 0.95)}  # the registry photo used without the elephants


def animal_boxes(is_elephant: bool, shape_hw: tuple[int, int]) -> dict[str, Box]:
    """The boxes of the photo in use, in pixels of an image of `shape_hw` (height, width)."""
    h, w = validate.shape_hw(shape_hw)
    fractions = ELEPHANT_BOXES if is_elephant else FALLBACK_BOXES
    return {k: (round(x0 * w), round(y0 * h), round(x1 * w), round(y1 * h))
            for k, (x0, y0, x1, y1) in fractions.items()}


def box_mask(boxes: dict[str, Box], shape_hw: tuple[int, int]) -> np.ndarray:
    """True inside any box."""
    shape_hw = validate.shape_hw(shape_hw)
    mask = np.zeros(shape_hw, bool)
    for x0, y0, x1, y1 in (validate.box(b, shape_hw) for b in boxes.values()):
        mask[y0:y1, x0:x1] = True
    return mask


def boxes_at(boxes: dict, row: int, col: int) -> str:
    """The names of the boxes holding pixel (row, col), or 'no box'."""
    return ", ".join(k for k, (x0, y0, x1, y1) in ((k, validate.box(b)) for k, b in boxes.items())
                     if x0 <= col < x1 and y0 <= row < y1) or "no box"
