"""Deconvnet projections (Zeiler & Fergus 2014): what in the image made a filter fire?

Take the layer's k most active filters on the image (by total activation), keep one filter's
activation map alone (every other channel zeroed) and send it back to pixel space. Max-pooling
gradients route through the recorded maxima (the paper's "switches"), conv gradients apply the
transposed filters, and each ReLU applies the deconvnet rule: pass only positive signals,
ignoring where the forward pass was active. With the guided rule (also require forward
activity) the same projection is guided backpropagation, for comparison.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .filters import check_filters
from . import validate
from .layers import require_layers
from .model_io import ModelLike, image_batch, keras_model, network_input, only_output, spatial_conv_layers


@dataclass
class Projections:
    """images[i] is filter filter_indices[i] of layer `layer_name` projected to the input
    (network-input units, H×W×C); totals[i] is that filter's total activation on the image."""
    layer_name: str
    rule: str
    filter_indices: np.ndarray
    totals: np.ndarray
    images: np.ndarray


class TopFilters(NamedTuple):
    """The k most active filters of a layer on an image (indices) and their total activations."""
    filter_indices: np.ndarray
    totals: np.ndarray


def _check_layer(model, layer_name: str) -> None:
    require_layers(keras_model(model), [layer_name], valid=spatial_conv_layers(model), what="conv layer")


def _layer_model(model, layer_name: str, rule: str | None):
    """input → layer output, on the ReLU-rule clone (rule=None: the model itself)."""
    from .layers import feature_extractor
    from .relu_rules import model_with_relu_rule

    net = keras_model(model)
    source = net if rule is None else model_with_relu_rule(net, rule)
    return feature_extractor(source, [layer_name])


def filter_totals(model: ModelLike, image: ArrayLike, layer_name: str) -> np.ndarray:
    """Total rectified activation of every filter of the layer on the image (channels,)."""
    _check_layer(model, layer_name)
    x = network_input(model, image, one=True)
    act = np.asarray(only_output(_layer_model(model, layer_name, None)(x, training=False)))
    return np.maximum(act[0], 0).sum(axis=(0, 1)).astype("float64")


def top_filters(model: ModelLike, image: ArrayLike, layer_name: str, k: int = 4) -> TopFilters:
    """Indices of the k filters with the largest total activation, and those totals."""
    totals = filter_totals(model, image, layer_name)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= totals.size:
        raise ValueError(f"k must be 1 … {totals.size} (layer {layer_name!r} has {totals.size} filters); got {k!r}.")
    order = np.argsort(-totals, kind="stable")[:k]
    return TopFilters(order, totals[order])


def project_filters(model: ModelLike, image: ArrayLike, layer_name: str, k: int = 4, rule: str = "deconvnet",
                    filter_indices: int | Sequence[int] | None = None, peak_only: bool = False) -> Projections:
    """Project each of the top-k filters (or the given `filter_indices`) alone back to the input.

    peak_only=True keeps only each filter's strongest position (the paper's figures project
    single top activations): the projection then shows that unit's receptive field.

    rule="deconvnet" is Zeiler & Fergus's projection, rule="guided" guided backpropagation.
    Works for any conv layer of a keras.Model or an ImageNetModel (images in 0-255; the
    projection is in the network's input units: show it with `projection_to_uint8`).
    All k projections are one batched backward pass.
    """
    import tensorflow as tf

    from .relu_rules import RULES

    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(map(repr, RULES))}, got {rule!r}.")
    x0 = image_batch(image, model=model)
    if filter_indices is None:
        filters, totals = top_filters(model, x0, layer_name, k)
    else:
        _check_layer(model, layer_name)  # the deconvnet's own wording for a bad layer, first
        filters = np.asarray(check_filters(model, layer_name, filter_indices))
        totals = filter_totals(model, x0, layer_name)[filters]
    extractor = _layer_model(model, layer_name, rule)
    x = tf.constant(np.repeat(network_input(model, x0), len(filters), axis=0))
    with tf.GradientTape() as tape:
        tape.watch(x)
        act = only_output(extractor(x, training=False))
        # Row i keeps only filter i's rectified map; all other channels are zero.
        keep = tf.one_hot(filters, act.shape[-1], dtype=act.dtype)[:, None, None, :]
        seed = tf.nn.relu(act) * keep
        if peak_only:  # zero everything but the (first) maximum of each row's filter
            flat = tf.reshape(seed, (tf.shape(seed)[0], -1))
            seed = tf.reshape(tf.one_hot(tf.argmax(flat, axis=1), tf.shape(flat)[1], dtype=act.dtype) * flat,
                              tf.shape(seed))
        seed = tf.stop_gradient(seed)
        objective = tf.reduce_sum(act * seed)
    grads = tape.gradient(objective, x)
    return Projections(layer_name, rule, np.asarray(filters), np.asarray(totals), np.asarray(grads))


def projection_to_uint8(projection: ArrayLike, percentile: float = 99.5) -> np.ndarray:
    """Show a projection like the paper: zero is mid-grey, ±(the `percentile` of |values|) is
    black/white (a few extreme pixels would otherwise leave everything else grey)."""
    p = validate.finite_array(projection, "projection")
    percentile = validate.number_between(percentile, "percentile", 0.0, 100.0, "99.5")
    top = float(np.percentile(np.abs(p), percentile)) or float(np.abs(p).max())
    if top == 0:
        return np.full(p.shape, 128, dtype="uint8")
    return np.clip(np.rint(128 + 127 * p / top), 0, 255).astype("uint8")


def footprint(projection: ArrayLike, mass: float = 0.5) -> float:
    """Fraction of the image's pixels that hold `mass` of the projection's energy (|p|² over
    channels): small for a part-like projection, large for one spread over the whole image."""
    mass = validate.number_between(mass, "mass", 0.0, 1.0, "0.5")
    energy = np.square(validate.finite_array(projection, "projection").astype("float64"))
    energy = energy.sum(axis=-1).ravel() if energy.ndim == 3 else energy.ravel()
    total = energy.sum()
    if total == 0:
        return 0.0
    cumulative = np.cumsum(np.sort(energy)[::-1]) / total
    return float((np.searchsorted(cumulative, mass) + 1) / energy.size)
