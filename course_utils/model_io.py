"""How explanation methods talk to a model: unwrap an ImageNetModel, turn 0-255 images into
network input, resolve a class by index or name, find the logits, list the spatial conv layers.

``model`` is an ``ImageNetModel`` (0-255 images, which it preprocesses; classes may be names
such as "African_elephant") or any ``keras.Model`` (given what the model takes). Chapters 3
and 4 (cam, occlusion, deconvnet, faithfulness, sanity) all go through these functions, so
every method reads the same logits and refuses bad input with the same messages.
"""
from __future__ import annotations

import numpy as np

from .layers import LayerNameError, describe_names, feature_extractor, is_spatial, layer_kinds, require_layers

SQUASHES = ("softmax", "sigmoid")  # final activations whose input is the logit
SCORES = ("probability", "logit")


# ---------------------------------------------------------------- model

def _is_wrapper(model) -> bool:
    return hasattr(model, "preprocess") and hasattr(model, "model")


def keras_model(model):
    """The keras.Model inside an ImageNetModel, or the model itself."""
    return model.model if _is_wrapper(model) else model


def final_layer(net):
    """The layer that produces the model's (first) output."""
    return net.outputs[0]._keras_history.operation


def feeding_layer(layer):
    """The layer whose output is `layer`'s input."""
    return layer.input._keras_history.operation


def only_output(outputs):
    """The one output of a one-output extractor, whether Keras returned it bare or in a list."""
    return outputs[0] if isinstance(outputs, (list, tuple)) else outputs


# ---------------------------------------------------------------- images

def image_batch(image, what: str = "image") -> np.ndarray:
    """A copy of `image` as float32 (1, H, W, C): the one shape these methods work on."""
    a = np.array(image, dtype="float32", copy=True)
    if a.ndim == 3:
        a = a[None]
    if a.ndim != 4 or a.shape[0] != 1:
        raise ValueError(f"Expected one {what} of shape (H, W, C) or (1, H, W, C); got shape {np.shape(image)}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"The {what} contains NaN or infinite values.")
    return a


def network_input(model, images) -> np.ndarray:
    """One image (H, W, C) or a batch (N, H, W, C) as the float32 batch the keras model takes,
    always a copy: ImageNetModels check the size and preprocess 0-255 images."""
    batch = np.array(images, dtype="float32", copy=True)
    if batch.ndim == 3:
        batch = batch[None]
    if batch.ndim != 4:
        raise ValueError(f"Expected an image (H, W, C) or a batch of images (N, H, W, C); "
                         f"got shape {np.shape(images)}.")
    if _is_wrapper(model):
        if tuple(batch.shape[1:3]) != tuple(model.input_size):
            raise ValueError(f"{model.name} takes {model.input_size[0]}x{model.input_size[1]} images, got "
                             f"{batch.shape[1]}x{batch.shape[2]}: load the image with model.load(source).")
        batch = model.preprocess(batch)
    return np.asarray(batch, dtype="float32")


# ---------------------------------------------------------------- classes and logits

def n_outputs(net) -> int:
    return int(net.outputs[0].shape[-1])


def is_single_sigmoid(net) -> bool:
    """True for one sigmoid unit p, which scores two classes: 0 (1 - p) and 1 (p)."""
    last = final_layer(net)
    return getattr(getattr(last, "activation", None), "__name__", None) == "sigmoid" and n_outputs(net) == 1


def n_classes(net) -> int:
    """Number of classes: the output width, or 2 for a single sigmoid unit."""
    net = keras_model(net)
    return 2 if is_single_sigmoid(net) else n_outputs(net)


def resolve_class(model, class_index) -> int:
    """An int in range; names need an ImageNetModel, which knows the 1000 class names."""
    net = keras_model(model)
    n = n_classes(net)
    if isinstance(class_index, str):
        if not hasattr(model, "class_index"):
            raise TypeError(f"Class names such as {class_index!r} need an ImageNetModel "
                            f"(load_imagenet_model); for {net.name!r} pass an index 0 … {n - 1}.")
        return int(model.class_index(class_index))  # ValueError with close names
    if isinstance(class_index, bool) or not isinstance(class_index, (int, np.integer)):
        raise TypeError(f"A class is an int index (or a name for ImageNet models), not {class_index!r}.")
    if not 0 <= int(class_index) < n:
        raise ValueError(f"Class index {class_index} is out of range: {net.name!r} has {n} classes, "
                         f"so indices run from 0 to {n - 1}.")
    return int(class_index)


def logit_head(net):
    """(name of the layer whose output feeds the logits, function: that output → class logits).

    A final ``Activation("softmax"|"sigmoid")`` → its input is the logits; a final ``Dense``
    with a softmax/sigmoid → the logits are recomputed from its kernel and bias; otherwise the
    model's raw output is used as the score. One sigmoid unit p = sigmoid(z) scores two
    classes, as chapter 1's cat (0) / dog (1) model does: logits (-z, z).
    """
    from keras import layers as L
    from keras import ops

    last = final_layer(net)
    squash = getattr(getattr(last, "activation", None), "__name__", None)
    if squash not in SQUASHES or not isinstance(last, (L.Activation, L.Dense)):
        return last.name, lambda x: x
    two_sided = is_single_sigmoid(net)

    def logits(x):
        if isinstance(last, L.Dense):
            x = ops.matmul(x, last.kernel) + last.bias if last.use_bias else ops.matmul(x, last.kernel)
        return ops.concatenate([-x, x], axis=-1) if two_sided else x

    return feeding_layer(last).name, logits


def _scorer(model, score: str):
    """The keras model for `score`: the model itself, or input → class logits (the input of a
    final softmax/sigmoid, found by `logit_head`)."""
    if score not in SCORES:
        raise ValueError(f"score must be one of {', '.join(map(repr, SCORES))}, got {score!r}.")
    net = keras_model(model)
    if score == "probability":
        return net, lambda out: out
    head_name, to_logits = logit_head(net)
    extractor = feature_extractor(net, [head_name])
    return (lambda x, training=False: extractor(x, training=training)), to_logits


def class_scores(model, images, class_index: int, batch_size: int = 32, score: str = "probability") -> np.ndarray:
    """Score of one class for each image (N,): the softmax probability (or, score="logit", the
    logit) for ImageNet models; the model's output column otherwise (1 - p for class 0 of a
    single sigmoid unit)."""
    net, head = _scorer(model, score)
    images = np.asarray(images, dtype="float32")
    scores = []
    for start in range(0, len(images), batch_size):
        out = net(network_input(model, images[start:start + batch_size]), training=False)
        out = np.asarray(head(only_output(out)))
        out = out.reshape(len(out), -1)
        if out.shape[1] == 1:  # one sigmoid unit: class 0 is its complement
            flip = (lambda v: 1.0 - v) if score == "probability" else (lambda v: -v)
            scores.append(out[:, 0] if class_index == 1 else flip(out[:, 0]))
        else:
            scores.append(out[:, class_index])
    return np.concatenate(scores).astype("float64")


# ---------------------------------------------------------------- spatial conv layers

def spatial_conv_layers(model) -> list[str]:
    """Top-level conv layers whose output is a feature map, input to output: the layers
    Grad-CAM can read and deconvnet can project."""
    return [layer.name for layer in keras_model(model).layers if "conv" in layer_kinds(layer) and is_spatial(layer)]


def require_spatial_layer(net, name) -> None:
    """Raise LayerNameError unless `name` is a layer whose output is a (batch, h, w, c) map."""
    if not isinstance(name, str):
        raise TypeError(f"layer_name must be a layer's name (str), not {type(name).__name__}.")
    require_layers(net, [name])
    layer = net.get_layer(name)
    if is_spatial(layer):
        return
    kinds = layer_kinds(layer) - {"other"}
    kind = {"dense": "a dense layer", "global_pool": "a global pooling layer", "pool": "a pooling layer",
            "model": "a nested model"}.get(next(iter(kinds), ""), f"a {type(layer).__name__} layer")
    raise LayerNameError(
        f"Layer {name!r} is {kind} with output shape {tuple(layer.output.shape)}: it has no spatial grid, "
        f"so there is nowhere to put the heat. Class heatmaps need a conv layer whose output is a "
        f"feature map (batch, height, width, channels), usually the last one. Spatial conv layers: "
        f"{describe_names(spatial_conv_layers(net))}.")
