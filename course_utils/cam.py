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
Heatmaps are 2-D arrays in [0, 1] at the layer's own resolution; ``heatmaps`` resizes and
measures them, ``overlay`` displays them. The explained number is the class **logit**
(``targets.class_target``).
"""
from __future__ import annotations

import re
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import validate
from .heatmaps import normalize, to_2d, upsample
from .layers import LayerNameError, feature_extractor, is_spatial
from .model_io import (ModelLike, feeding_layer, final_layer, keras_model, network_input, only_output,
                       require_spatial_layer, spatial_conv_layers)
from .targets import ClassLike, class_target, logit_head, logit_model, two_class_logits


def _one_image_input(model: ModelLike, image) -> np.ndarray:
    """`network_input` for exactly one image: a heatmap explains one image at a time."""
    return network_input(model, image, one=True)


# ---------------------------------------------------------------- one forward + one backward pass

class LayerGradients(NamedTuple):
    """One forward + one backward pass: per named layer, its (h, w, c) activation and the
    gradient of the class logit with respect to it; and the image's logits (n_classes,)."""
    activations: list[np.ndarray]
    gradients: list[np.ndarray]
    logits: np.ndarray


def layer_gradients(model: ModelLike, image: ArrayLike, class_index: ClassLike,
                    layer_names: str | Sequence[str]) -> LayerGradients:
    """Activations and d(class logit)/d(activation) for every named layer, from one forward
    and one backward pass."""
    import tensorflow as tf

    net = keras_model(model)
    names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    for name in names:
        require_spatial_layer(net, name)
    target = class_target(model, class_index)
    batch = tf.constant(_one_image_input(model, image))
    head_name, to_logits = logit_head(net)
    extractor = feature_extractor(net, names + [head_name])
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(batch)  # records the forward pass; weight gradients are never computed
        *maps, head = extractor(batch, training=False)
        logits = to_logits(head)
        score = target(logits)[0]
    grads = tape.gradient(score, maps)
    for name, grad in zip(names, grads):
        if grad is None:
            raise LayerNameError(f"Layer {name!r} does not feed the class score of {net.name!r} "
                                 "(it is on a branch that the output does not use): pick a layer on the main path.")
    return LayerGradients([np.asarray(a)[0] for a in maps], [np.asarray(g)[0] for g in grads],
                          np.asarray(logits)[0])


def grad_cam_from(activation: np.ndarray, gradient: ArrayLike) -> np.ndarray:
    """Grad-CAM from one layer's (h, w, c) activation and gradient: channel weight = mean gradient."""
    weights = gradient.mean(axis=(0, 1))
    return normalize(activation @ weights, "Grad-CAM")


def grad_cam_plus_plus_from(activation: np.ndarray, gradient: ArrayLike) -> np.ndarray:
    """Grad-CAM++ weights: per-pixel alphas from the closed form with exp(logit) as the score,
    where the 2nd and 3rd derivatives become powers of the 1st (the network is piecewise linear)."""
    g2, g3 = gradient ** 2, gradient ** 3
    denominator = 2 * g2 + activation.sum(axis=(0, 1)) * g3
    alphas = g2 / np.where(denominator != 0, denominator, 1)
    weights = (alphas * np.maximum(gradient, 0)).sum(axis=(0, 1))
    return normalize(activation @ weights, "Grad-CAM++")


FROM_GRADIENTS = {"grad_cam": grad_cam_from, "grad_cam++": grad_cam_plus_plus_from}


def grad_cam(model: ModelLike, image: ArrayLike, class_index: ClassLike, layer_name: str) -> np.ndarray:
    """Grad-CAM heatmap (h, w) in [0, 1] for one class at one conv layer."""
    (act,), (grad,), _ = layer_gradients(model, image, class_index, [layer_name])
    return grad_cam_from(act, grad)


def grad_cam_plus_plus(model: ModelLike, image: ArrayLike, class_index: ClassLike, layer_name: str) -> np.ndarray:
    """Grad-CAM++ heatmap (h, w) in [0, 1] for one class at one conv layer."""
    (act,), (grad,), _ = layer_gradients(model, image, class_index, [layer_name])
    return grad_cam_plus_plus_from(act, grad)


# ---------------------------------------------------------------- per-layer gallery

_BLOCK = re.compile(r"^(block\d+|fire\d+|conv\d+)(?=_|$)")


def conv_block_layers(model: ModelLike) -> list[str]:
    """The last spatial layer of each named block ('block3_…', 'fire5_…', 'conv1…'), in model
    order; every spatial conv layer when the model has no block names."""
    net = keras_model(model)
    blocks: "OrderedDict[str, str]" = OrderedDict()
    for layer in net.layers:
        match = _BLOCK.match(layer.name)
        if match and is_spatial(layer):
            blocks[match.group(1)] = layer.name
    return list(blocks.values()) or spatial_conv_layers(net)


def grad_cam_gallery(model: ModelLike, image: ArrayLike, class_index: ClassLike,
                     layer_names: str | Sequence[str] | None = None,
                     method: str = "grad_cam") -> "OrderedDict[str, np.ndarray]":
    """Layer name → heatmap for every conv block (or the given layers), all from one forward
    and one backward pass: the gradient reaches every layer on its single way down."""
    if method not in FROM_GRADIENTS:
        raise ValueError(f"method must be one of {', '.join(map(repr, FROM_GRADIENTS))}, got {method!r}.")
    names = conv_block_layers(model) if layer_names is None else validate.names(layer_names, "layer_names")
    if not names:  # a model without conv layers has no grid to put heat on
        raise ValueError(f"{keras_model(model).name!r} has no spatial conv layers: class heatmaps need one.")
    acts, grads, _ = layer_gradients(model, image, class_index, names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an all-zero early layer is part of the story, not a problem
        return OrderedDict((n, FROM_GRADIENTS[method](a, g)) for n, a, g in zip(names, acts, grads))


# ---------------------------------------------------------------- CAM for global-average-pooled heads

class GapHead(NamedTuple):
    """Where CAM reads: the layer feeding global average pooling, and the head's class weights
    (channels, classes), or None when each channel already is one class's map (SqueezeNet)."""
    layer_name: str
    weights: np.ndarray | None


def gap_head(model: ModelLike) -> GapHead:
    """The `GapHead` of a network ending feature map → GAP → [Dropout] → [Dense] → softmax.

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
    return GapHead(feeding_layer(layer).name, weights)


def class_activation_map(model: ModelLike, image: ArrayLike, class_index: ClassLike) -> np.ndarray:
    """CAM (h, w) in [0, 1]: sum_k w[k, class] * A_k at the layer feeding global average pooling."""
    net = keras_model(model)
    target = class_target(model, class_index)
    layer_name, weights = gap_head(net)
    features = only_output(feature_extractor(net, [layer_name])(_one_image_input(model, image), training=False))
    features = np.asarray(features)[0]
    per_class = features if weights is None else features @ weights  # (h, w, outputs)
    if target.single_sigmoid and per_class.shape[-1] == 1:
        per_class = two_class_logits(per_class)  # class 0 reads -z, class 1 reads z
    raw = np.asarray(target(per_class))
    return normalize(raw, "CAM")


# ---------------------------------------------------------------- guided backpropagation

def guided_backprop(model: ModelLike, image: ArrayLike, class_index: ClassLike) -> np.ndarray:
    """d(class logit)/d(input) through guided ReLUs: (H, W, C), signed, not normalised."""
    import tensorflow as tf

    from .relu_rules import model_with_relu_rule

    target = class_target(model, class_index)
    to_logits = logit_model(model_with_relu_rule(keras_model(model), "guided"))
    batch = tf.constant(_one_image_input(model, image))
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(batch)
        score = target(to_logits(batch))[0]
    return np.asarray(tape.gradient(score, batch))[0]


def guided_grad_cam(model: ModelLike, image: ArrayLike, class_index: ClassLike, layer_name: str) -> np.ndarray:
    """Guided backprop × upsampled Grad-CAM: pixel-sharp detail, only where the class is."""
    saliency = guided_backprop(model, image, class_index)
    heat = upsample(grad_cam(model, image, class_index, layer_name), saliency.shape[:2])
    return saliency * heat[..., None]


# ---------------------------------------------------------------- one entry point for widgets

METHODS = ("Grad-CAM", "Grad-CAM++", "CAM", "guided Grad-CAM")


def heatmap(model: ModelLike, image: ArrayLike, class_index: ClassLike, layer_name: str,
            method: str = "Grad-CAM") -> np.ndarray:
    """Any method by name. CAM ignores `layer_name` (it always uses the pooled layer); guided
    Grad-CAM returns its (H, W) magnitude (``heatmaps.to_2d``: sum of |channels|) in [0, 1]
    so it can be shown like the others."""
    if method == "Grad-CAM":
        return grad_cam(model, image, class_index, layer_name)
    if method == "Grad-CAM++":
        return grad_cam_plus_plus(model, image, class_index, layer_name)
    if method == "CAM":
        return class_activation_map(model, image, class_index)
    if method == "guided Grad-CAM":
        return normalize(to_2d(guided_grad_cam(model, image, class_index, layer_name)), "guided Grad-CAM")
    raise ValueError(f"Unknown method {method!r}. Choose one of {', '.join(map(repr, METHODS))}.")


# ---------------------------------------------------------------- every explorer map up front

def explorer_heatmaps(model: ModelLike, image: ArrayLike, class_indices: Sequence[int],
                      layer_names: Sequence[str],
                      from_activations: Mapping[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] | None = None,
                      ) -> dict[tuple[int, str, str], np.ndarray]:
    """(class, layer, method) → `heatmap(model, image, class, layer, method)` for every class,
    layer and method: per class one forward + backward pass for all layers, one guided pass and
    one CAM read. (One image per pass, as `heatmap` runs it: a batch of copies changes the conv
    arithmetic enough to move an early layer's near-cancelling Grad-CAM by ~1e-3.) CAM is left
    out when the model has no pooled head (`heatmap` then says why); an all-zero map is kept
    silently, as in `grad_cam_gallery`. `from_activations`: more methods by name, each a
    function of one layer's (activation, gradient), computed from the same pass."""
    names = validate.names(layer_names, "layer_names")
    out: dict[tuple[int, str, str], np.ndarray] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for c in class_indices:
            acts, grads, _ = layer_gradients(model, image, c, names)
            saliency = guided_backprop(model, image, c)
            try:
                cam_map = class_activation_map(model, image, c)
            except ValueError:  # no GAP head
                cam_map = None
            for name, a, g in zip(names, acts, grads):
                out[c, name, "Grad-CAM"] = grad_cam_from(a, g)
                out[c, name, "Grad-CAM++"] = grad_cam_plus_plus_from(a, g)
                heat = upsample(out[c, name, "Grad-CAM"], saliency.shape[:2])
                out[c, name, "guided Grad-CAM"] = normalize(to_2d(saliency * heat[..., None]), "guided Grad-CAM")
                if cam_map is not None:
                    out[c, name, "CAM"] = cam_map
                for method, from_pass in (from_activations or {}).items():
                    out[c, name, method] = from_pass(a, g)
    return out
