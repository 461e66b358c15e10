"""Every map chapter 3's explorer offers, computed before the first redraw.

Chapter 3 teaches the first four methods (`cam.METHODS`); chapter 6 adds six more
(`MORE_METHODS`). The explorer offers all ten, and a learner's change of class, layer or method
must answer in well under a second, so every map is computed up front, where it costs least:

* Grad-CAM, Grad-CAM++, CAM, guided Grad-CAM: `cam.explorer_heatmaps` (one pass per class).
* Layer-CAM and Eigen-CAM: from one more forward + backward pass per class for all layers
  (Eigen-CAM takes no class: one map per layer, shown for every class).
* gradient, SmoothGrad, integrated gradients: maps in the input's pixels, one per class; the
  layer does not apply, so the same map is kept under every layer.
* Score-CAM: one masked forward pass per channel of the layer, shared by all classes
  (`cam_variants.score_cams`). That is seconds per layer on SqueezeNet and minutes on
  Xception's 728-2048-channel blocks, so it is computed for the layers that fit a time budget
  (`SCORE_CAM_BUDGET_S`): the explorer's default layer first, then from the deepest down until
  one does not fit, each layer's cost estimated from a timed batch and the layers already done. For the others
  `missing_reason` says what the map would cost and how to compute it.
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import cam, cam_variants, saliency, validate
from .heatmaps import normalize, to_2d
from .model_io import ModelLike, keras_model, model_images

LAYER_METHODS = ("Layer-CAM", "Eigen-CAM", "Score-CAM")
PIXEL_METHODS = ("gradient", "SmoothGrad", "integrated gradients")
MORE_METHODS = LAYER_METHODS + PIXEL_METHODS   # chapter 6's methods
ALL_METHODS = tuple(cam.METHODS) + MORE_METHODS

# Score-CAM's masked passes may add this much to the explorer's cell. SqueezeNet's ten layers
# take ~40 s on 2 cores: the deepest five or six fit; Xception's last block alone takes minutes.
SCORE_CAM_BUDGET_S = 30.0
SCORE_CAM_BATCH = 32


def pixel_map(model: ModelLike, image: ArrayLike, class_index: int, method: str) -> np.ndarray:
    """One input-space method as an (H, W) map in [0, 1]: sum of |attribution| over colours."""
    if method == "gradient":
        pixels = saliency.gradient_saliency(model, image, class_index)
    elif method == "SmoothGrad":
        pixels = saliency.smoothgrad(model, image, class_index)
    elif method == "integrated gradients":
        pixels = saliency.integrated_gradients(model, image, class_index).attributions
    else:
        raise ValueError(f"Unknown pixel method {method!r}. Choose one of {', '.join(map(repr, PIXEL_METHODS))}.")
    return normalize(to_2d(pixels), method)


def method_map(model: ModelLike, image: ArrayLike, class_index: int, layer_name: str, method: str) -> np.ndarray:
    """One map of any method in ALL_METHODS by name, computed now: `explorer_maps` holds them
    all; this is for a choice it does not hold (and what the tests check it against)."""
    if method in cam.METHODS:
        return cam.heatmap(model, image, class_index, layer_name, method)
    if method in PIXEL_METHODS:
        return pixel_map(model, image, class_index, method)
    if method == "Layer-CAM":
        return cam_variants.layer_cam(model, image, class_index, layer_name)
    if method == "Eigen-CAM":
        return cam_variants.eigen_cam(model, image, layer_name)
    if method == "Score-CAM":
        return cam_variants.score_cam(model, image, class_index, layer_name)
    raise ValueError(f"Unknown method {method!r}. Choose one of {', '.join(map(repr, ALL_METHODS))}.")


def score_cam_seconds(model: ModelLike, image: ArrayLike, layer_names: Sequence[str]) -> dict[str, float]:
    """A first estimate of Score-CAM's seconds per layer: its channel count × one masked pass,
    timed here on one batch (after a warm-up batch, so no compile is counted). It leaves out
    the masks' upsampling: `explorer_maps` corrects it with what the layers done so far took."""
    net = keras_model(model)
    x = model_images(model, image, one=True)[0].astype("float32")
    batch = np.repeat(x[None], SCORE_CAM_BATCH, axis=0)
    net.predict_on_batch(batch)  # warm-up
    start = time.perf_counter()
    net.predict_on_batch(batch)
    per_pass = (time.perf_counter() - start) / SCORE_CAM_BATCH
    return {name: channels(model, name) * per_pass for name in layer_names}


def channels(model: ModelLike, layer_name: str) -> int:
    return int(keras_model(model).get_layer(layer_name).output.shape[-1])


def score_cam_order(layer_names: Sequence[str], default_layer: str) -> list[str]:
    """The explorer's default layer first, then the others from the deepest down (the layers
    class evidence is read at)."""
    return [default_layer] + [n for n in reversed(list(layer_names)) if n != default_layer]


def missing_reason(model: ModelLike, layer_name: str, seconds: float, budget_s: float) -> str:
    """What the learner reads for a Score-CAM map that was not precomputed."""
    return (f"Score-CAM at {layer_name} was not precomputed: {channels(model, layer_name)} masked forward "
            f"passes, about {seconds:.0f} s on this machine, over what was left of the explorer's "
            f"{budget_s:.0f} s budget. Compute it in a cell: "
            f"cam_variants.score_cam(model, img, class_index, {layer_name!r}).")


def explorer_maps(model: ModelLike, image: ArrayLike, class_indices: Sequence[int], layer_names: Sequence[str],
                  default_layer: str | None = None, budget_s: float = SCORE_CAM_BUDGET_S,
                  progress: bool = True) -> tuple[dict[tuple[int, str, str], np.ndarray], dict[str, str]]:
    """(class, layer, method) → (h, w) map for every method in ALL_METHODS, and layer → the
    reason its Score-CAM is missing (layers over the budget). A progress bar per kind of work."""
    names = validate.names(layer_names, "layer_names")
    default_layer = names[-1] if default_layer is None else default_layer
    classes = list(class_indices)
    with warnings.catch_warnings():  # an all-zero map is kept silently, as in cam.explorer_heatmaps
        warnings.simplefilter("ignore")
        maps, missing = _all_maps(model, image, classes, names, default_layer, budget_s, progress)
    return maps, missing


def _all_maps(model, image, classes, names, default_layer, budget_s, progress):
    from tqdm.auto import tqdm

    maps = cam.explorer_heatmaps(model, image, classes, names)
    eigen: dict[str, np.ndarray] = {}  # Eigen-CAM takes no class: one map per layer
    for c in tqdm(classes, desc="Layer-CAM, Eigen-CAM and pixel maps per class", disable=not progress):
        acts, grads, _ = cam.layer_gradients(model, image, c, names)
        for name, a, g in zip(names, acts, grads):
            maps[c, name, "Layer-CAM"] = cam_variants.layer_cam_from(a, g)
            if name not in eigen:
                eigen[name] = cam_variants.eigen_cam_from(a)
            maps[c, name, "Eigen-CAM"] = eigen[name]
        for method in PIXEL_METHODS:
            heat = pixel_map(model, image, c, method)
            for name in names:
                maps[c, name, method] = heat
    estimates = score_cam_seconds(model, image, names)
    spent, done_channels, missing = 0.0, 0, {}
    bar = tqdm(total=len(names), desc="Score-CAM per layer (all classes)", disable=not progress)
    for name in score_cam_order(names, default_layer):
        if done_channels:  # what the layers so far really took per channel, if more than estimated
            estimates[name] = max(estimates[name], spent / done_channels * channels(model, name))
        if missing or spent + estimates[name] > budget_s:  # the deepest layers that fit, no gaps
            missing[name] = missing_reason(model, name, estimates[name], budget_s)
        else:
            start = time.perf_counter()
            for c, heat in zip(classes, cam_variants.score_cams(model, image, classes, name, SCORE_CAM_BATCH)):
                maps[c, name, "Score-CAM"] = heat
            spent += time.perf_counter() - start
            done_channels += channels(model, name)
        bar.update(1)
    bar.close()
    return maps, missing
