"""Copies of a model whose ReLUs send gradients back by another rule.

Guided backpropagation (Springenberg et al. 2015) and the deconvnet (Zeiler & Fergus 2014)
differ from the plain gradient only in what a ReLU lets through on the way back:

=============  ==================================================
rule           gradient passed back through ``y = relu(x)``
=============  ==================================================
(plain)        ``dy`` where ``x > 0``
"guided"       ``dy`` where ``x > 0`` **and** ``dy > 0``
"deconvnet"    ``dy`` where ``dy > 0`` (the forward mask is ignored)
=============  ==================================================

``model_with_relu_rule(model, rule)`` returns a clone of the model (weights copied, forward
pass identical) in which every ReLU, whether a separate ``Activation("relu")`` / ``ReLU`` layer
or the ``activation="relu"`` of a conv or dense layer, uses that backward rule.
"""
from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

RULES = ("guided", "deconvnet")

_clones: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _backward_rule(rule: str):
    """A relu whose gradient follows `rule`, as a plain function Keras accepts as an activation."""
    import tensorflow as tf

    @tf.custom_gradient
    def relu_with_rule(x):
        y = tf.nn.relu(x)

        def grad(dy):
            passes = dy > 0
            if rule == "guided":
                passes = tf.logical_and(passes, x > 0)
            return tf.where(passes, dy, tf.zeros_like(dy))

        return y, grad

    relu_with_rule.__name__ = f"{rule}_relu"
    return relu_with_rule


def _check_rule(rule) -> None:
    if rule not in RULES:
        raise ValueError(f"Unknown ReLU rule {rule!r}. Choose one of {', '.join(map(repr, RULES))}: "
                         "'guided' for guided backpropagation, 'deconvnet' for Zeiler & Fergus projections.")


def _keras_model(model):
    """Accept an ImageNetModel wrapper (which holds its Keras model in `.model`) or a Keras model."""
    import keras

    inner = getattr(model, "model", None)
    if not isinstance(model, keras.Model) and isinstance(inner, keras.Model):
        return inner
    if not isinstance(model, keras.Model):
        raise TypeError(f"model_with_relu_rule needs a Keras model, not {type(model).__name__}.")
    return model


def _is_plain_relu_layer(layer) -> bool:
    from keras import layers as L

    if not isinstance(layer, L.ReLU):
        return False
    cfg = layer.get_config()
    if cfg.get("max_value") is not None or cfg.get("negative_slope", 0) or cfg.get("threshold", 0):
        raise NotImplementedError(
            f"Layer {layer.name!r} is a ReLU with max_value/negative_slope/threshold; guided and "
            "deconvnet rules are defined for the plain ReLU max(x, 0) only.")
    return True


def model_with_relu_rule(model: "keras.Model", rule: str, refresh: bool = False) -> "keras.Model":
    """A clone of `model` whose ReLUs pass gradients back by `rule` ("guided" or "deconvnet").

    The forward pass (predictions, activations) is unchanged. Clones are cached per
    (model, rule); weights are copied when the clone is made, so pass ``refresh=True`` after
    training the original. Nested sub-models are rewritten too.
    """
    import keras
    from keras import layers as L

    _check_rule(rule)
    model = _keras_model(model)
    per_model = _clones.setdefault(model, {})
    if rule in per_model:
        if refresh:
            per_model[rule].set_weights(model.get_weights())
        return per_model[rule]

    relu = _backward_rule(rule)
    replaced = []

    def clone_layer(layer):
        config = layer.get_config()
        if isinstance(layer, L.Activation) and config.get("activation") == "relu" or _is_plain_relu_layer(layer):
            replaced.append(layer.name)
            return L.Activation(relu, name=layer.name, dtype=layer.dtype_policy)
        if config.get("activation") == "relu":
            replaced.append(layer.name)
            config["activation"] = relu
            return layer.__class__.from_config(config)
        return layer.__class__.from_config(config)

    from .layers import model_inputs

    model_inputs(model)  # a never-called Sequential cannot be cloned with its shapes
    clone = keras.models.clone_model(model, clone_function=clone_layer, recursive=True)
    if not replaced:
        raise ValueError(f"Model {model.name!r} has no ReLU (no Activation('relu'), ReLU layer or "
                         f"activation='relu'): the {rule!r} rule would change nothing.")
    clone.set_weights(model.get_weights())
    clone.relu_rule = rule
    clone.relu_layers = tuple(replaced)
    per_model[rule] = clone
    return clone
