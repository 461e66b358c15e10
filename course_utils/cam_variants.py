"""Three more class activation maps, each a different answer to "how much does channel k count?"

* ``layer_cam``: Layer-CAM (Jiang et al. 2021). Grad-CAM pools the gradient into one weight
  per channel; Layer-CAM keeps it per *position* (its positive part), so a layer far below the
  head still gives a sharp map.
* ``eigen_cam``: Eigen-CAM (Muhammad & Yeasin 2020). No gradient and no class: the layer's
  activations projected on their first principal component. Class-agnostic by construction,
  so it cannot be class-discriminative.
* ``score_cam``: Score-CAM (Wang et al. 2020). No gradient either: each channel, upsampled and
  scaled to 0…1, masks the image, and the channel's weight is how much the class probability
  of that masked image exceeds the one of a black image. The bridge between CAM (a weighted
  sum of channels) and occlusion (weights from forward passes only). Its cost grows with the
  number of channels, so the masked images go through the network in batches
  (`bench/score_cam.py` measures the speed-up over one pass per channel), and ``score_cams``
  explains several classes from one set of passes.

Arguments and results as in ``course_utils.cam``: (h, w) maps in [0, 1] at the layer's size.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import validate
from .cam import layer_gradients
from .heatmaps import normalize, upsample
from .layers import feature_extractor
from .model_io import ModelLike, keras_model, model_images, network_input, only_output, require_spatial_layer
from .targets import ClassLike, class_probabilities, class_target


def layer_cam_from(activation: np.ndarray, gradient: ArrayLike) -> np.ndarray:
    """Layer-CAM from one layer's (h, w, c) activation and gradient: per-position weights."""
    return normalize((np.maximum(np.asarray(gradient), 0) * activation).sum(axis=-1), "Layer-CAM")


def layer_cam(model: ModelLike, image: ArrayLike, class_index: ClassLike, layer_name: str) -> np.ndarray:
    """Layer-CAM heatmap (h, w) in [0, 1] for one class at one conv layer."""
    (act,), (grad,), _ = layer_gradients(model, image, class_index, [layer_name])
    return layer_cam_from(act, grad)


def eigen_cam_from(activation: np.ndarray) -> np.ndarray:
    """The (h, w, c) activation's positions projected on its first principal component (centred),
    signed so that the map agrees with the summed activation (an SVD's sign is arbitrary)."""
    h, w, c = activation.shape
    flat = activation.reshape(h * w, c).astype("float64")
    centred = flat - flat.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    projection = centred @ vt[0]
    if np.dot(projection, flat.sum(axis=1) - flat.sum(axis=1).mean()) < 0:
        projection = -projection
    return normalize(projection.reshape(h, w), "Eigen-CAM")


def _layer_activation(model: ModelLike, image: ArrayLike, layer_name: str) -> np.ndarray:
    net = keras_model(model)
    require_spatial_layer(net, layer_name)
    extractor = feature_extractor(net, [layer_name])
    return np.asarray(only_output(extractor(network_input(model, image, one=True), training=False)))[0]


def eigen_cam(model: ModelLike, image: ArrayLike, layer_name: str) -> np.ndarray:
    """Eigen-CAM heatmap (h, w) in [0, 1] at one conv layer. It takes no class: every class gets
    this same map."""
    return eigen_cam_from(_layer_activation(model, image, layer_name))


def _probabilities(model: ModelLike, images: np.ndarray, batch_size: int) -> np.ndarray:
    """The model's class probabilities (N, n_classes) for images as the model takes them (0-255)."""
    net = keras_model(model)
    out = [np.asarray(only_output(net(network_input(model, images[start:start + batch_size]), training=False)))
           for start in range(0, len(images), batch_size)]
    return class_probabilities(model, np.concatenate(out)).astype("float64")


def score_cams(model: ModelLike, image: ArrayLike, class_indices: Sequence[ClassLike], layer_name: str,
               batch_size: int = 32) -> list[np.ndarray]:
    """Score-CAM heatmaps (h, w) in [0, 1], one per class, from one set of masked forward passes:
    the passes are the cost, and each masked image's output holds every class's probability."""
    batch_size = validate.whole_number(batch_size, "batch_size")
    if isinstance(class_indices, (str, int)) or not len(class_indices):
        raise ValueError(f"score_cams takes a list of classes, e.g. [386, 346]; got {class_indices!r} "
                         "(for one class, call score_cam).")
    columns = [class_target(model, c).index for c in class_indices]
    act = _layer_activation(model, image, layer_name)                       # (h, w, c)
    x = model_images(model, image, one=True)[0].astype("float32")           # as given: 0-255 for ImageNet models
    size = x.shape[:2]
    baseline = _probabilities(model, np.zeros_like(x)[None], 1)[0, columns]
    lows, highs = act.min(axis=(0, 1)), act.max(axis=(0, 1))
    live = np.flatnonzero(highs > lows)                                     # a flat channel masks nothing
    weights = np.zeros((act.shape[-1], len(columns)), dtype="float64")
    for start in range(0, len(live), batch_size):
        chosen = live[start:start + batch_size]
        masks = np.stack([upsample((act[..., k] - lows[k]) / (highs[k] - lows[k]), size) for k in chosen])
        masked = x[None] * np.clip(masks, 0, 1)[..., None]
        weights[chosen] = _probabilities(model, masked, batch_size)[:, columns] - baseline
    return [normalize(act @ w.astype("float32"), "Score-CAM") for w in weights.T]


def score_cam(model: ModelLike, image: ArrayLike, class_index: ClassLike, layer_name: str,
              batch_size: int = 32) -> np.ndarray:
    """Score-CAM heatmap (h, w) in [0, 1]: channel weights from the class probability of the
    image masked by each channel (upsampled, scaled to 0…1), less that of a black image.
    `batch_size` masked images per forward pass (1 = the paper's one pass per channel).
    For several classes of one image, `score_cams` shares the passes."""
    return score_cams(model, image, [class_index], layer_name, batch_size)[0]
