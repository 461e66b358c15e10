"""Which number do we explain? One class target, used by every method.

``class_target(model, class_index)`` resolves a class (an index, or a name for ImageNet
models) into a ``ClassTarget``: a score function on the model's **logits** (the input of a
final softmax/sigmoid), like pytorch-grad-cam's ``ClassifierOutputTarget`` or tf-keras-vis's
``CategoricalScore``. Grad-CAM, CAM, guided backprop, occlusion, deletion/insertion, sanity
checks and the widgets all read their number through it.

Why the logit, not the probability: the softmax couples the classes, so a probability also
moves when the evidence for a *competing* class changes; the logit is this class's own evidence.

One sigmoid unit p = sigmoid(z) (chapter 1's cat 0 / dog 1 model) scores two classes: its
logits are (-z, z), so class 0's logit is -z and its probability 1 - p.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Union

import numpy as np
from numpy.typing import ArrayLike

from . import validate
from .layers import feature_extractor
from .model_io import (ModelLike, feeding_layer, final_layer, keras_model, model_images, network_input,
                       only_output)

ArrayOrTensor = Any  # a numpy array or a backend tensor (inside a GradientTape)
SQUASHES = ("softmax", "sigmoid")  # final activations whose input is the logit
SCORES = ("probability", "logit")


def _squash(net) -> str | None:
    if type(final_layer(net)).__name__ == "Softmax":  # keras.layers.Softmax: its input is the logit
        return "softmax"
    return getattr(getattr(final_layer(net), "activation", None), "__name__", None)


def n_outputs(net: ModelLike) -> int:
    """Width of the model's (first) output."""
    return int(keras_model(net).outputs[0].shape[-1])


def is_single_sigmoid(net: ModelLike) -> bool:
    """True for one sigmoid unit p, which scores two classes: 0 (1 - p) and 1 (p)."""
    net = keras_model(net)
    return _squash(net) == "sigmoid" and n_outputs(net) == 1


def n_classes(model: ModelLike) -> int:
    """Number of classes: the output width, or 2 for a single sigmoid unit."""
    net = keras_model(model)
    return 2 if is_single_sigmoid(net) else n_outputs(net)


def resolve_class(model: ModelLike, class_index: ClassLike) -> int:
    """An int in range; names need an ImageNetModel, which knows the 1000 class names."""
    net = keras_model(model)
    n = n_classes(net)
    if isinstance(class_index, str):
        if not hasattr(model, "class_index"):
            raise TypeError(f"Class names such as {class_index!r} need an ImageNetModel "
                            f"(load_imagenet_model); for {net.name!r} pass an index 0 … {n - 1}.")
        index = int(model.class_index(class_index))  # ValueError with close names
        if not 0 <= index < n:  # an ImageNet name on a model with fewer outputs
            raise ValueError(f"{class_index!r} is ImageNet class {index}, but {net.name!r} has {n} classes "
                             f"(indices 0 to {n - 1}): pass one of those indices.")
        return index
    if isinstance(class_index, bool) or not isinstance(class_index, (int, np.integer)):
        raise TypeError(f"A class is an int index (or a name for ImageNet models), not {class_index!r}.")
    if not 0 <= int(class_index) < n:
        raise ValueError(f"Class index {class_index} is out of range: {net.name!r} has {n} classes, "
                         f"so indices run from 0 to {n - 1}.")
    return int(class_index)


def two_class_logits(z: ArrayOrTensor) -> ArrayOrTensor:
    """The logits (-z, z) of one sigmoid unit's logit z (last axis): numpy in, numpy out."""
    if isinstance(z, np.ndarray):
        return np.concatenate([-z, z], axis=-1)
    from keras import ops

    return ops.concatenate([-z, z], axis=-1)


class LogitHead(NamedTuple):
    """Where the logits come from: the layer whose output feeds them, and that output → logits."""
    layer_name: str
    to_logits: Callable


def logit_head(net: ModelLike) -> LogitHead:
    """The `LogitHead` of a model.

    A final ``Activation("softmax"|"sigmoid")`` → its input is the logits; a final ``Dense``
    with a softmax/sigmoid → the logits are recomputed from its kernel and bias; otherwise the
    model's raw output is used as the score. One sigmoid unit gives the two logits (-z, z).
    """
    from keras import layers as L
    from keras import ops

    net = keras_model(net)
    last = final_layer(net)
    if _squash(net) not in SQUASHES or not isinstance(last, (L.Activation, L.Dense, L.Softmax)):
        return LogitHead(last.name, lambda x: x)
    two_sided = is_single_sigmoid(net)

    def logits(x):
        if isinstance(last, L.Dense):
            x = ops.matmul(x, last.kernel) + last.bias if last.use_bias else ops.matmul(x, last.kernel)
        return two_class_logits(x) if two_sided else x

    return LogitHead(feeding_layer(last).name, logits)


def class_probabilities(model: ModelLike, outputs: ArrayLike) -> np.ndarray:
    """The model's outputs (N, width) as one column per class: a single sigmoid p becomes (1 - p, p)."""
    out = np.asarray(outputs)
    out = out.reshape(len(out), -1)
    return np.concatenate([1.0 - out, out], axis=1) if is_single_sigmoid(model) else out


@dataclass(frozen=True)
class ClassTarget:
    """One class of one model: ``target(logits)`` is its score, column `index` of the logits
    (for one sigmoid unit the logits are (-z, z), see ``logit_head``)."""
    index: int
    n_classes: int
    single_sigmoid: bool

    def __call__(self, logits: ArrayOrTensor) -> ArrayOrTensor:
        """The class's score from logits with classes on the last axis ((N, n_classes) → (N,),
        or per-cell maps (h, w, n_classes) → (h, w)). Works on numpy arrays and on backend
        tensors (inside a GradientTape)."""
        return logits[..., self.index]

    def probability(self, model: ModelLike, outputs: ArrayLike) -> np.ndarray:
        """The class's probability from the model's own outputs (N, width): shape (N,)."""
        return class_probabilities(model, outputs)[:, self.index]


#: A class to explain: its index, its name (ImageNet models only), or a resolved ClassTarget.
ClassLike = Union[int, str, ClassTarget]


def class_target(model: ModelLike, class_index: ClassLike) -> ClassTarget:
    """The target for a class index (or name, for ImageNet models); errors list the valid range."""
    if isinstance(class_index, ClassTarget):
        return class_target(model, class_index.index)
    return ClassTarget(resolve_class(model, class_index), n_classes(model), is_single_sigmoid(model))


def logit_model(model: ModelLike) -> Callable:
    """A function: network input batch → class logits (N, n_classes), as a backend tensor."""
    net = keras_model(model)
    head_name, to_logits = logit_head(net)
    extractor = feature_extractor(net, [head_name])
    return lambda x, training=False: to_logits(only_output(extractor(x, training=training)))


def class_scores(model: ModelLike, images: ArrayLike, class_index: ClassLike, batch_size: int = 32,
                 score: str = "probability") -> np.ndarray:
    """Score of one class for each image (N,), float64: the probability (softmax, or 1 - p for
    class 0 of a single sigmoid unit) or, score="logit", the class's logit (see `ClassTarget`)."""
    if score not in SCORES:
        raise ValueError(f"score must be one of {', '.join(map(repr, SCORES))}, got {score!r}.")
    batch_size = validate.whole_number(batch_size, "batch_size")
    target = class_target(model, class_index)
    forward = keras_model(model) if score == "probability" else logit_model(model)
    images = model_images(model, images)  # checked once, before batching (the pixel rule, NaN, shape)
    scores = []
    for start in range(0, len(images), batch_size):
        out = only_output(forward(network_input(model, images[start:start + batch_size]), training=False))
        out = np.asarray(out).reshape(len(out), -1)
        scores.append(target.probability(model, out) if score == "probability" else target(out))
    return np.concatenate(scores).astype("float64")
