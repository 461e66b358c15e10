"""Class activation heatmaps: where in the image is the evidence for one class?

* ``grad_cam``: Grad-CAM (Selvaraju et al. 2017). Weight each channel of a conv layer's output
  by the mean gradient of the class **logit** over the map, sum, ReLU.
* ``grad_cam_plus_plus``: Grad-CAM++ (Chattopadhay et al. 2018), per-pixel weights that let
  several instances of a class share the credit.
* ``class_activation_map``: CAM (Zhou et al. 2016) for networks that end in global average
  pooling (+ dense): no gradient, just the head's weights. Exact on SqueezeNet's ``conv10``.
* ``guided_backprop`` / ``guided_grad_cam``: the input gradient through "guided" ReLUs, and
  that gradient masked by the upsampled Grad-CAM.
* ``grad_cam_gallery``: Grad-CAM for many layers from ONE forward and ONE backward pass.

``model`` is an ``ImageNetModel`` (give 0-255 images; it preprocesses, and classes may be
names such as "African_elephant") or any ``keras.Model`` (give what the model takes).
Heatmaps are 2-D arrays in [0, 1] at the layer's own resolution; ``overlay`` displays them.
"""
from __future__ import annotations

import re
import warnings
from collections import OrderedDict

import numpy as np

from .layers import LayerNameError, feature_extractor, is_spatial
# The model/image/class plumbing lives in model_io; tests and bench also call n_classes,
# spatial_conv_layers and logit_head as cam.<name>.
from .model_io import (feeding_layer, final_layer, is_single_sigmoid, keras_model, logit_head,  # noqa: F401
                       n_classes, network_input, only_output, require_spatial_layer, resolve_class,
                       spatial_conv_layers)


def _one_image_input(model, image) -> np.ndarray:
    """`network_input` for exactly one image: a heatmap explains one image at a time."""
    shape = np.shape(image)
    if len(shape) not in (3, 4) or (len(shape) == 4 and shape[0] != 1):
        raise ValueError(f"Heatmaps explain one image at a time: pass (H, W, C) or (1, H, W, C), "
                         f"got shape {shape}.")
    return network_input(model, image)


# ---------------------------------------------------------------- one forward + one backward pass

def layer_gradients(model, image, class_index, layer_names):
    """Activations and d(class logit)/d(activation) for every named layer, from one forward
    and one backward pass. Returns (activations, gradients, logits), activations and
    gradients as lists of (h, w, c) arrays."""
    import tensorflow as tf

    net = keras_model(model)
    names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    for name in names:
        require_spatial_layer(net, name)
    index = resolve_class(model, class_index)
    batch = tf.constant(_one_image_input(model, image))
    head_name, to_logits = logit_head(net)
    extractor = feature_extractor(net, names + [head_name])
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(batch)  # records the forward pass; weight gradients are never computed
        *maps, head = extractor(batch, training=False)
        logits = to_logits(head)
        score = logits[0, index]
    grads = tape.gradient(score, maps)
    for name, grad in zip(names, grads):
        if grad is None:
            raise LayerNameError(f"Layer {name!r} does not feed the class score of {net.name!r} "
                                 "(it is on a branch that the output does not use): pick a layer on the main path.")
    return ([np.asarray(a)[0] for a in maps], [np.asarray(g)[0] for g in grads], np.asarray(logits)[0])


def normalize_heatmap(raw, what: str = "heatmap") -> np.ndarray:
    """ReLU, then divide by the maximum: [0, 1]. All-zero maps stay zero, with a warning."""
    heat = np.maximum(np.asarray(raw, dtype="float32"), 0)
    top = float(heat.max())
    if top <= 0:
        warnings.warn(f"The {what} is zero everywhere: this layer shows no positive evidence for the class.",
                      stacklevel=3)
        return np.zeros_like(heat)
    return heat / top


def grad_cam_from(activation, gradient) -> np.ndarray:
    """Grad-CAM from one layer's (h, w, c) activation and gradient: channel weight = mean gradient."""
    weights = gradient.mean(axis=(0, 1))
    return normalize_heatmap(activation @ weights, "Grad-CAM")


def grad_cam_plus_plus_from(activation, gradient) -> np.ndarray:
    """Grad-CAM++ weights: per-pixel alphas from the closed form with exp(logit) as the score,
    where the 2nd and 3rd derivatives become powers of the 1st (the network is piecewise linear)."""
    g2, g3 = gradient ** 2, gradient ** 3
    denominator = 2 * g2 + activation.sum(axis=(0, 1)) * g3
    alphas = g2 / np.where(denominator != 0, denominator, 1)
    weights = (alphas * np.maximum(gradient, 0)).sum(axis=(0, 1))
    return normalize_heatmap(activation @ weights, "Grad-CAM++")


FROM_GRADIENTS = {"grad_cam": grad_cam_from, "grad_cam++": grad_cam_plus_plus_from}


def grad_cam(model, image, class_index, layer_name) -> np.ndarray:
    """Grad-CAM heatmap (h, w) in [0, 1] for one class at one conv layer."""
    (act,), (grad,), _ = layer_gradients(model, image, class_index, [layer_name])
    return grad_cam_from(act, grad)


def grad_cam_plus_plus(model, image, class_index, layer_name) -> np.ndarray:
    """Grad-CAM++ heatmap (h, w) in [0, 1] for one class at one conv layer."""
    (act,), (grad,), _ = layer_gradients(model, image, class_index, [layer_name])
    return grad_cam_plus_plus_from(act, grad)


# ---------------------------------------------------------------- per-layer gallery

_BLOCK = re.compile(r"^(block\d+|fire\d+|conv\d+)(?=_|$)")


def conv_block_layers(model) -> list[str]:
    """The last spatial layer of each named block ('block3_…', 'fire5_…', 'conv1…'), in model
    order; every spatial conv layer when the model has no block names."""
    net = keras_model(model)
    blocks: "OrderedDict[str, str]" = OrderedDict()
    for layer in net.layers:
        match = _BLOCK.match(layer.name)
        if match and is_spatial(layer):
            blocks[match.group(1)] = layer.name
    return list(blocks.values()) or spatial_conv_layers(net)


def grad_cam_gallery(model, image, class_index, layer_names=None, method: str = "grad_cam"):
    """Layer name → heatmap for every conv block (or the given layers), all from one forward
    and one backward pass: the gradient reaches every layer on its single way down."""
    if method not in FROM_GRADIENTS:
        raise ValueError(f"method must be one of {', '.join(map(repr, FROM_GRADIENTS))}, got {method!r}.")
    names = conv_block_layers(model) if layer_names is None else list(layer_names)
    acts, grads, _ = layer_gradients(model, image, class_index, names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an all-zero early layer is part of the story, not a problem
        return OrderedDict((n, FROM_GRADIENTS[method](a, g)) for n, a, g in zip(names, acts, grads))


# ---------------------------------------------------------------- CAM for global-average-pooled heads

def gap_head(model):
    """(feature layer name, class weights (channels, classes) or None for identity).

    Recognises feature map → GlobalAveragePooling2D → [Dropout] → [Dense] → softmax; with
    no Dense (SqueezeNet) each channel of the feature map already is one class's map.
    """
    from keras import layers as L

    net = keras_model(model)
    layer, dense = final_layer(net), None
    chain = [layer.name]
    if isinstance(layer, L.Activation):
        layer = feeding_layer(layer)
        chain.append(layer.name)
    while isinstance(layer, (L.Dense, L.Dropout)):
        if isinstance(layer, L.Dense):
            if dense is not None:
                break
            dense = layer
        layer = feeding_layer(layer)
        chain.append(layer.name)
    if not isinstance(layer, L.GlobalAveragePooling2D):
        raise ValueError(
            f"CAM needs a head 'conv features → GlobalAveragePooling2D → (Dense) → softmax', but "
            f"{net.name!r} ends {' ← '.join(chain)}. Use grad_cam, which works with any head.")
    weights = None if dense is None else np.asarray(dense.kernel)
    return feeding_layer(layer).name, weights


def class_activation_map(model, image, class_index) -> np.ndarray:
    """CAM (h, w) in [0, 1]: sum_k w[k, class] * A_k at the layer feeding global average pooling."""
    net = keras_model(model)
    index = resolve_class(model, class_index)
    layer_name, weights = gap_head(net)
    features = only_output(feature_extractor(net, [layer_name])(_one_image_input(model, image), training=False))
    features = np.asarray(features)[0]
    if weights is not None and is_single_sigmoid(net):  # class 1 scores z, class 0 scores -z
        weights = np.concatenate([-weights, weights], axis=1)
    raw = features[..., index] if weights is None else features @ weights[:, index]
    return normalize_heatmap(raw, "CAM")


# ---------------------------------------------------------------- guided backpropagation

def guided_backprop(model, image, class_index) -> np.ndarray:
    """d(class logit)/d(input) through guided ReLUs: (H, W, C), signed, not normalised."""
    import tensorflow as tf

    from .relu_rules import model_with_relu_rule

    index = resolve_class(model, class_index)
    guided = model_with_relu_rule(keras_model(model), "guided")
    head_name, to_logits = logit_head(guided)
    batch = tf.constant(_one_image_input(model, image))
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(batch)
        score = to_logits(only_output(feature_extractor(guided, [head_name])(batch, training=False)))[0, index]
    return np.asarray(tape.gradient(score, batch))[0]


def upsample(heatmap, shape_hw) -> np.ndarray:
    """A 2-D map resized (bilinear, float precision) to (H, W)."""
    from PIL import Image

    h, w = int(shape_hw[0]), int(shape_hw[1])
    img = Image.fromarray(np.ascontiguousarray(heatmap, dtype="float32"))  # float32 → PIL mode "F"
    return np.asarray(img.resize((w, h), Image.BILINEAR), dtype="float32")


def guided_grad_cam(model, image, class_index, layer_name) -> np.ndarray:
    """Guided backprop × upsampled Grad-CAM: pixel-sharp detail, only where the class is."""
    saliency = guided_backprop(model, image, class_index)
    heat = upsample(grad_cam(model, image, class_index, layer_name), saliency.shape[:2])
    return saliency * heat[..., None]


# ---------------------------------------------------------------- one entry point for widgets

METHODS = ("Grad-CAM", "Grad-CAM++", "CAM", "guided Grad-CAM")


def heatmap(model, image, class_index, layer_name, method: str = "Grad-CAM") -> np.ndarray:
    """Any method by name. CAM ignores `layer_name` (it always uses the pooled layer); guided
    Grad-CAM returns a (H, W) magnitude in [0, 1] so it can be shown like the others."""
    if method == "Grad-CAM":
        return grad_cam(model, image, class_index, layer_name)
    if method == "Grad-CAM++":
        return grad_cam_plus_plus(model, image, class_index, layer_name)
    if method == "CAM":
        return class_activation_map(model, image, class_index)
    if method == "guided Grad-CAM":
        detail = np.abs(guided_grad_cam(model, image, class_index, layer_name)).max(axis=-1)
        return normalize_heatmap(detail, "guided Grad-CAM")
    raise ValueError(f"Unknown method {method!r}. Choose one of {', '.join(map(repr, METHODS))}.")


# ---------------------------------------------------------------- measuring a heatmap

def _check_box(box, shape_hw):
    x0, y0, x1, y1 = (int(v) for v in box)
    h, w = shape_hw
    if not (0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h):
        raise ValueError(f"A box is (x0, y0, x1, y1) in pixels with 0 <= x0 < x1 <= {w} and "
                         f"0 <= y0 < y1 <= {h}; got {tuple(box)}.")
    return x0, y0, x1, y1


def mass_in_box(heatmap, box, shape_hw) -> float:
    """Fraction of the heatmap's total (upsampled to `shape_hw`) inside box (x0, y0, x1, y1)."""
    heat = upsample(heatmap, shape_hw)
    x0, y0, x1, y1 = _check_box(box, shape_hw)
    total = float(heat.sum())
    return float(heat[y0:y1, x0:x1].sum()) / total if total > 0 else 0.0


def peak_location(heatmap, shape_hw=None) -> tuple[int, int]:
    """(row, col) of the hottest cell; with `shape_hw`, the cell's centre in image pixels."""
    heat = np.asarray(heatmap)
    row, col = np.unravel_index(int(np.argmax(heat)), heat.shape)
    if shape_hw is None:
        return int(row), int(col)
    return (int((row + 0.5) * shape_hw[0] / heat.shape[0]), int((col + 0.5) * shape_hw[1] / heat.shape[1]))


def heatmap_correlation(a, b) -> float:
    """Pearson correlation of two heatmaps (upsampled to the larger one's grid if they differ)."""
    a, b = np.asarray(a, dtype="float32"), np.asarray(b, dtype="float32")
    if a.shape != b.shape:
        shape = max(a.shape, b.shape)
        a, b = upsample(a, shape), upsample(b, shape)
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


