"""How explanation methods talk to a model: unwrap an ImageNetModel, turn 0-255 images into
network input, list the spatial conv layers. Which class score to explain lives in `targets`.

``model`` is an ``ImageNetModel`` (0-255 images, which it preprocesses; classes may be names
such as "African_elephant") or any ``keras.Model`` (given what the model takes). Chapters 3
and 4 (cam, occlusion, deconvnet, faithfulness, sanity) all go through these functions, so
every method reads the same logits and refuses bad input with the same messages.
"""
from __future__ import annotations

import numpy as np

from typing import TYPE_CHECKING, Protocol, Union, runtime_checkable

from . import validate
from .layers import LayerNameError, describe_names, is_spatial, layer_kinds, require_layers

if TYPE_CHECKING:
    from typing import Any

    import keras


@runtime_checkable
class ImageNetLike(Protocol):
    """What explanation methods need from a wrapped model (``models.ImageNetModel``)."""
    model: "keras.Model"
    name: str
    input_size: tuple

    def preprocess(self, images: np.ndarray) -> np.ndarray: ...

    def preprocess_tensor(self, pixels: Any) -> Any: ...

    def class_index(self, name_or_index: str | int) -> int: ...


#: "An ImageNetModel (0-255 images, class names) or any keras.Model (given what it takes)".
ModelLike = Union[ImageNetLike, "keras.Model"]


# ---------------------------------------------------------------- model

def is_wrapper(model: object) -> bool:
    """True for an ImageNetModel-like wrapper (it preprocesses 0-255 images itself)."""
    return hasattr(model, "preprocess") and hasattr(model, "model")


def keras_model(model: ModelLike) -> "keras.Model":
    """The keras.Model inside an ImageNetModel, or the model itself (built, one input)."""
    net = model.model if is_wrapper(model) else model
    _require_one_input(net)
    return net


def _require_one_input(net) -> None:
    """The methods read layer outputs of a built model fed one image: say so in the course's words."""
    if not hasattr(net, "layers"):
        raise TypeError(f"Expected a keras.Model or an ImageNetModel, not {type(net).__name__}.")
    try:
        inputs = net.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(f"Model {net.name!r} has not been built, so its layers have no outputs yet: "
                         f"start it with keras.Input((H, W, 3)), or call it once on an image.")
    if len(inputs) != 1:
        raise ValueError(f"Model {net.name!r} takes {len(inputs)} inputs; these methods explain a model "
                         f"fed one image. Make a keras.Model from the image input to the output to explain.")


def final_layer(net: "keras.Model") -> "keras.Layer":
    """The layer that produces the model's (first) output."""
    return net.outputs[0]._keras_history.operation


def feeding_layer(layer: "keras.Layer") -> "keras.Layer":
    """The layer whose output is `layer`'s input."""
    return layer.input._keras_history.operation


def only_output(outputs: Any) -> Any:
    """The one output of a one-output extractor, whether Keras returned it bare or in a list."""
    return outputs[0] if isinstance(outputs, (list, tuple)) else outputs


# ---------------------------------------------------------------- images

def takes_pixels(model: ModelLike) -> bool:
    """True when the model's input is 0-255 pixels, so the pixel rule of `validate` applies
    (0-1 floats rescaled with a warning, values outside 0-255 refused): an ImageNetModel, or a
    keras.Model that rescales its input itself, i.e. has a Rescaling layer before its first layer
    with weights (chapter 1's model; augmentation layers before it do not change the units).
    Any other keras.Model is given what it takes (a toy model may take noise around 0)."""
    if is_wrapper(model):
        return True
    from keras import layers as L

    def first_decisive(layers):
        for layer in layers:
            if isinstance(layer, L.Rescaling):
                return True
            if hasattr(layer, "layers"):  # a nested block (augmentation, a sub-model): look inside
                found = first_decisive(layer.layers)
                if found is not None:
                    return found
            elif layer.weights:
                return False
        return None

    return bool(first_decisive(getattr(model, "layers", [])))


def _input_shape(model: ModelLike):
    """(H, W, C) the keras model takes, entries None where any size goes; None when unbuilt."""
    net = model.model if is_wrapper(model) else model
    try:
        inputs = net.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs or len(inputs) != 1 or len(inputs[0].shape) != 4:
        return None
    return tuple(inputs[0].shape[1:])


def model_images(model: ModelLike, images: np.ndarray, what: str = "image", one: bool = False) -> np.ndarray:
    """The one entry check for images given to a model, before anything is done with them: a
    float32 copy (N, H, W, C) (`one=True`: exactly one image). Shape, channels, size, NaN/inf
    are checked against the model; a model that `takes_pixels` gets the 0-255 rule."""
    shape = _input_shape(model)
    batch = validate.batch(images, what, channels=None if shape is None else shape[-1], one=one,
                           pixels=takes_pixels(model))
    if is_wrapper(model):
        if tuple(batch.shape[1:3]) != tuple(model.input_size):
            raise ValueError(f"{model.name} takes {model.input_size[0]}x{model.input_size[1]} images, got "
                             f"{batch.shape[1]}x{batch.shape[2]}: load the image with model.load(source).")
    elif shape is not None and None not in shape[:2] and tuple(batch.shape[1:3]) != tuple(shape[:2]):
        raise ValueError(f"Model {model.name!r} takes {shape[0]}x{shape[1]} images, got {batch.shape[1]}x"
                         f"{batch.shape[2]}: load the image at its size with load_image(source, size="
                         f"({shape[0]}, {shape[1]})).")
    elif shape is not None and None in shape[:2]:  # any size goes: but not any small size
        _require_large_enough(model, batch.shape)
    return batch


def symbolic_output_shape(net: "keras.Model", input_shape: tuple[int, ...]) -> tuple | None:
    """The output shape of `net` for `input_shape`, from Keras's shape rules alone (no kernel
    runs): (1, 0, 0) when its layers shrink the input to nothing, None when the rules cannot
    tell. Ask this before a real call on an odd size: oneDNN's pooling dies with SIGFPE (a dead
    kernel, no Python error) on a 1x1 map under a 3x3 window."""
    import keras

    try:
        spec = net.compute_output_spec(keras.KerasTensor(tuple(input_shape), dtype="float32"))
    except ValueError as exc:
        if any(word in str(exc) for word in ("negative", "zero", "empty")):
            return (1, 0, 0)
        return None
    except Exception:  # noqa: BLE001 - a layer without a shape rule: no verdict here
        return None
    spec = spec[0] if isinstance(spec, (list, tuple)) else spec
    return tuple(spec.shape)


def _require_large_enough(net, shape) -> None:
    """A model that takes any size still shrinks the image layer by layer: a too-small image
    would die in TensorFlow's C++ ("Computed output size would be negative", a oneDNN abort
    or SIGFPE). Keras's shape rules answer first, in the course's words."""
    out = symbolic_output_shape(net, (1,) + tuple(shape[1:]))
    if out is not None and 0 in out[1:3]:
        raise ValueError(f"A {shape[1]}x{shape[2]} image is too small for model {net.name!r}: its conv and "
                         f"pooling layers shrink it to nothing. Use a larger image, e.g. "
                         f"load_image(source, size=(224, 224)).")


def image_batch(image: np.ndarray, what: str = "image", model: ModelLike | None = None) -> np.ndarray:
    """A copy of one `image` as float32 (1, H, W, C): the one shape these methods work on.
    Given the `model`, every check of `model_images` (the 0-255 rule for models that take pixels)."""
    if model is None:
        return validate.batch(image, what, one=True)
    return model_images(model, image, what, one=True)


def network_input(model: ModelLike, images: np.ndarray, one: bool = False) -> np.ndarray:
    """One image (H, W, C) or a batch (N, H, W, C) as the float32 batch the keras model takes,
    always a copy, checked by `model_images`; ImageNetModels preprocess the 0-255 images."""
    batch = model_images(model, images, one=one)
    if is_wrapper(model):
        batch = model.preprocess(batch)
    return np.asarray(batch, dtype="float32")


# ---------------------------------------------------------------- spatial conv layers

def spatial_conv_layers(model: ModelLike) -> list[str]:
    """Top-level conv layers whose output is a feature map, input to output: the layers
    Grad-CAM can read and deconvnet can project."""
    return [layer.name for layer in keras_model(model).layers if "conv" in layer_kinds(layer) and is_spatial(layer)]


def require_spatial_layer(net: keras.Model, name: str) -> None:
    """Raise LayerNameError unless `name` is a layer whose output is a (batch, h, w, c) map."""
    if not isinstance(name, str):
        raise TypeError(f"layer_name must be a layer's name (str), not {type(name).__name__}.")
    require_layers(net, [name])
    layer = net.get_layer(name)
    if type(layer).__name__ == "InputLayer":  # its "map" is the image's brightness, not evidence
        raise LayerNameError(f"Layer {name!r} is the model's input, not a conv layer: a heatmap there "
                             f"shows the image's brightness. Spatial conv layers: "
                             f"{describe_names(spatial_conv_layers(net))}.")
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
