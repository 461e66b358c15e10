"""Every map chapter 3's explorer offers, computed before the first redraw.

Chapter 3 teaches the first four methods (`cam.METHODS`); chapter 6 adds six more
(`MORE_METHODS`). The explorer offers all ten, and a learner's change of class, layer or method
must answer in well under a second, so every map is computed up front, where it costs least:

* Grad-CAM, Grad-CAM++, CAM, guided Grad-CAM: `cam.explorer_heatmaps` (one pass per class).
* Layer-CAM and Eigen-CAM: from the same forward + backward pass per class (Eigen-CAM takes
  no class: the same map for every class).
* gradient, SmoothGrad, integrated gradients: maps in the input's pixels, one per class; the
  layer does not apply, so the same map is kept under every layer. The plain gradient is one
  backward pass per class; SmoothGrad and integrated gradients take 25 and 33, so they are
  computed, top class first, while they fit `PIXEL_BUDGET_S`.
* Score-CAM: one masked forward pass per channel of the layer, shared by all classes
  (`cam_variants.score_cams`). That is seconds per layer on SqueezeNet and minutes on
  Xception's 728-2048-channel blocks, so it is computed while it fits `SCORE_CAM_BUDGET_S`:
  the explorer's default layer first, then from the deepest down.

Each cost is estimated before it is paid, from a timed pass and from what the maps already
done took; the first map that does not fit ends that kind of work. For every map left out,
`explorer_maps` returns one line saying what it would cost and which call computes it.
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

# What the slow maps may add to the explorer's cell, on top of the ~5 s of the others. SqueezeNet
# on 2 cores: Score-CAM's ten layers take ~40 s (the deepest five fit), its pixel maps ~10 s (all
# fit). Xception: Score-CAM's last block alone takes minutes; SmoothGrad + IG of the top class fit.
SCORE_CAM_BUDGET_S = 30.0
PIXEL_BUDGET_S = 15.0
SCORE_CAM_BATCH = 32
SMOOTHGRAD_SAMPLES = 25
IG_STEPS = 32
PIXEL_PASSES = {"gradient": 1, "SmoothGrad": SMOOTHGRAD_SAMPLES, "integrated gradients": IG_STEPS + 1}


def pixel_map(model: ModelLike, image: ArrayLike, class_index: int, method: str) -> np.ndarray:
    """One input-space method as an (H, W) map in [0, 1]: sum of |attribution| over colours."""
    if method == "gradient":
        pixels = saliency.gradient_saliency(model, image, class_index)
    elif method == "SmoothGrad":
        pixels = saliency.smoothgrad(model, image, class_index, samples=SMOOTHGRAD_SAMPLES)
    elif method == "integrated gradients":
        pixels = saliency.integrated_gradients(model, image, class_index, steps=IG_STEPS).attributions
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


def score_cam_missing(model: ModelLike, layer_name: str, seconds: float, budget_s: float) -> str:
    """What the learner reads for a Score-CAM map that was not precomputed."""
    return (f"Score-CAM at {layer_name} was not precomputed: {channels(model, layer_name)} masked forward "
            f"passes, about {seconds:.0f} s on this machine, over what was left of the explorer's "
            f"{budget_s:.0f} s budget for Score-CAM. Compute it in a cell: "
            f"cam_variants.score_cam(model, img, class_index, {layer_name!r}).")


def pixel_missing(class_index: int, method: str, seconds: float, budget_s: float) -> str:
    """What the learner reads for a SmoothGrad or integrated-gradients map not precomputed."""
    return (f"{method} for class {class_index} was not precomputed: {PIXEL_PASSES[method]} gradient passes, "
            f"about {seconds:.0f} s on this machine, over what was left of the explorer's {budget_s:.0f} s "
            f"budget for pixel maps. Compute it in a cell: "
            f"explorer_maps.pixel_map(model, img, {class_index}, {method!r}).")


Maps = dict[tuple[int, str, str], np.ndarray]


def explorer_maps(model: ModelLike, image: ArrayLike, class_indices: Sequence[int], layer_names: Sequence[str],
                  default_layer: str | None = None, score_cam_budget_s: float = SCORE_CAM_BUDGET_S,
                  pixel_budget_s: float = PIXEL_BUDGET_S,
                  progress: bool = True) -> tuple[Maps, dict[tuple[int, str, str], str]]:
    """(class, layer, method) → (h, w) map for every method in ALL_METHODS, and, under the same
    keys, why each map over its budget was left out. A progress bar per kind of work."""
    names = validate.names(layer_names, "layer_names")
    default_layer = names[-1] if default_layer is None else default_layer
    classes = list(class_indices)
    missing: dict[tuple[int, str, str], str] = {}
    with warnings.catch_warnings():  # an all-zero map is kept silently, as in cam.explorer_heatmaps
        warnings.simplefilter("ignore")
        maps = cam.explorer_heatmaps(model, image, classes, names, from_activations={
            "Layer-CAM": cam_variants.layer_cam_from,
            "Eigen-CAM": lambda activation, _: cam_variants.eigen_cam_from(activation)})  # no class used
        _pixel_maps(model, image, classes, names, maps, missing, pixel_budget_s, progress)
        _score_cams(model, image, classes, names, default_layer, maps, missing, score_cam_budget_s, progress)
    return maps, missing


def _pixel_maps(model, image, classes, names, maps, missing, budget_s, progress):
    from tqdm.auto import tqdm

    start = time.perf_counter()
    for c in classes:  # the plain gradient: one pass per class, always
        heat = pixel_map(model, image, c, "gradient")
        maps.update({(c, name, "gradient"): heat for name in names})
    per_pass = {method: (time.perf_counter() - start) / len(classes) for method in PIXEL_PASSES}
    spent, stopped = 0.0, False
    work = [(c, m) for c in classes for m in ("SmoothGrad", "integrated gradients")]  # top class first
    for c, method in tqdm(work, desc="SmoothGrad and integrated gradients per class", disable=not progress):
        estimate = PIXEL_PASSES[method] * per_pass[method]
        stopped = stopped or spent + estimate > budget_s  # the first that does not fit ends the work
        if stopped:
            missing.update({(c, name, method): pixel_missing(c, method, estimate, budget_s) for name in names})
            continue
        began = time.perf_counter()
        heat = pixel_map(model, image, c, method)
        took = time.perf_counter() - began
        spent += took
        per_pass[method] = took / PIXEL_PASSES[method]  # batched passes cost less than one alone
        maps.update({(c, name, method): heat for name in names})


def _score_cams(model, image, classes, names, default_layer, maps, missing, budget_s, progress):
    from tqdm.auto import tqdm

    estimates = score_cam_seconds(model, image, names)
    spent, done_channels, stopped = 0.0, 0, False
    for name in tqdm(score_cam_order(names, default_layer), desc="Score-CAM per layer (all classes)",
                     disable=not progress):
        if done_channels:  # what the layers so far really took per channel, if more than estimated
            estimates[name] = max(estimates[name], spent / done_channels * channels(model, name))
        stopped = stopped or spent + estimates[name] > budget_s  # the deepest layers that fit, no gaps
        if stopped:
            missing.update({(c, name, "Score-CAM"): score_cam_missing(model, name, estimates[name], budget_s)
                            for c in classes})
            continue
        began = time.perf_counter()
        for c, heat in zip(classes, cam_variants.score_cams(model, image, classes, name, SCORE_CAM_BATCH)):
            maps[c, name, "Score-CAM"] = heat
        spent += time.perf_counter() - began
        done_channels += channels(model, name)
