"""Finding layers by name and reading their outputs, with errors that list the valid names."""
from __future__ import annotations

import difflib
import weakref
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    import keras


class LayerNameError(ValueError):
    """A layer name that the model does not have, or a layer of the wrong kind."""


def layer_kinds(layer: "keras.Layer") -> set[str]:
    """Coarse kinds of a layer: 'conv', 'pool', 'dense', 'model' (nested), 'other'."""
    from keras import layers as L

    import keras

    kinds = set()
    if isinstance(layer, (L.Conv2D, L.SeparableConv2D, L.DepthwiseConv2D, L.Conv2DTranspose)):
        kinds.add("conv")
    if isinstance(layer, (L.MaxPooling2D, L.AveragePooling2D)):
        kinds.add("pool")
    if isinstance(layer, (L.GlobalAveragePooling2D, L.GlobalMaxPooling2D)):
        kinds.add("global_pool")
    if isinstance(layer, L.Dense):
        kinds.add("dense")
    if isinstance(layer, keras.Model):
        kinds.add("model")
    return kinds or {"other"}


def is_spatial(layer: "keras.Layer") -> bool:
    """True when the layer's output is a 4-D feature map (batch, h, w, channels)."""
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return False
    return len(shape) == 4


def _nested_owner(model, name: str) -> str | None:
    for layer in model.layers:
        if "model" in layer_kinds(layer):
            if any(sub.name == name for sub in layer.layers) or _nested_owner(layer, name):
                return layer.name
    return None


def describe_names(names: Iterable[str], limit: int = 60) -> str:
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


def require_layers(model: "keras.Model", names: Iterable[str], valid: Iterable[str] | None = None,
                   what: str = "layer") -> None:
    """Raise LayerNameError unless every name is a top-level layer of `model` (and in `valid`)."""
    all_names = [layer.name for layer in model.layers]
    valid = list(valid) if valid is not None else all_names
    for name in names:
        if name in valid:
            continue
        if name in all_names:
            raise LayerNameError(f"Layer {name!r} is not a {what}. Valid choices: {describe_names(valid)}.")
        owner = _nested_owner(model, name)
        where = f" It is inside the nested sub-model {owner!r}, whose inner layers cannot be read from outside." if owner else ""
        close = difflib.get_close_matches(str(name), valid, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise LayerNameError(f"Model {model.name!r} has no {what} named {name!r}.{where}{hint} "
                             f"Valid choices: {describe_names(valid)}.")


def model_inputs(model: "keras.Model", example: ArrayLike | None = None) -> list:
    """`model.inputs`, building a Sequential model first if it has never been called."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        if example is None:
            raise ValueError(f"Model {model.name!r} has not been built yet: call it on an image first.")
        model(np.asarray(example, dtype="float32"))
        inputs = model.inputs
    return inputs


_extractors: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def feature_extractor(model: "keras.Model", names: Sequence[str], example: ArrayLike | None = None) -> "keras.Model":
    """A cached Functional model: the model's inputs → the outputs of the named layers."""
    import keras

    per_model = _extractors.setdefault(model, {})
    key = tuple(names)
    if key not in per_model:
        inputs = model_inputs(model, example)
        outputs = [model.get_layer(n).output for n in names]
        inputs = inputs[0] if len(inputs) == 1 else inputs  # avoids a Keras structure warning
        per_model[key] = keras.Model(inputs=inputs, outputs=outputs)
    return per_model[key]
