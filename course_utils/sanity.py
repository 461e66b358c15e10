"""Sanity checks for saliency maps (Adebayo et al., 2018): cascading model randomisation.

Re-initialise the weights layer by layer from the top of the network down and recompute each
method's map. A method that explains the *model* must change as the model is destroyed; a map
that stays the same (like an edge detector, which never looks at the model) explains the image.
All randomisation happens on clones: the caller's model is never touched.
"""
from __future__ import annotations

import copy
import os
import zlib
from dataclasses import dataclass, field

import numpy as np

from .faithfulness import heatmap_at_image
from .layers import describe_names
from .model_io import image_batch, keras_model, resolve_class


def randomizable_layers(model) -> list[str]:
    """Layers that hold weights, from the top (output) of the network down."""
    return [layer.name for layer in reversed(keras_model(model).layers) if layer.weights]


def _cascade_steps(model, steps) -> list[list[str]]:
    """Each step is a group of layer names randomised together (a fire module, say)."""
    valid = randomizable_layers(model)
    steps = [[name] for name in valid] if steps is None else \
        [[s] if isinstance(s, str) else list(s) for s in steps]
    if not steps:
        raise ValueError("steps is empty: give at least one layer (or group of layers) to randomise.")
    for group in steps:
        for name in group:
            if name not in valid:
                raise ValueError(f"Cannot randomise {name!r}: it is not a layer with weights of "
                                 f"{keras_model(model).name!r}. Valid names, top first: {describe_names(valid)}.")
    return steps


def randomize_layer(layer, seed: int) -> None:
    """Re-draw every weight of `layer` from the layer's own initialiser (its state at
    construction); weights without one get a normal draw with the old weights' spread."""
    import keras

    for i, var in enumerate(layer.weights):
        old = np.asarray(var)
        init = getattr(layer, f"{var.name.split('/')[-1]}_initializer", None)
        if init is not None:
            init = keras.initializers.get(init)
            if hasattr(init, "seed"):
                init = init.__class__.from_config({**init.get_config(), "seed": seed + i})
            new = np.asarray(init(old.shape, dtype=old.dtype))
        else:
            new = np.random.default_rng(seed + i).normal(0, old.std() or 1.0, old.shape)
        var.assign(new.astype(old.dtype))


def randomized_clone(model, layer_names, seed: int = 0):
    """A copy of `model` (keras.Model or ImageNetModel) with the named layers re-initialised.
    The same seed gives a layer the same random weights at every step of the cascade."""
    import keras

    net = keras_model(model)
    clone = keras.models.clone_model(net)
    clone.set_weights(net.get_weights())
    for name in layer_names:
        # crc32, unlike hash(), gives the same seed for a name in every process
        randomize_layer(clone.get_layer(name), seed + zlib.crc32(name.encode()) % 100_000)
    if net is model:
        return clone
    wrapper = copy.copy(model)
    wrapper.model = clone
    return wrapper


def as_map(saliency) -> np.ndarray:
    """A 2-D map from a method's output: colour gradients become the sum of |channels|."""
    m = np.asarray(saliency, dtype="float64")
    if m.ndim == 4 and m.shape[0] == 1:
        m = m[0]
    if m.ndim == 3:
        m = np.abs(m).sum(axis=-1)
    if m.ndim != 2:
        raise ValueError(f"A saliency map must be 2-D (or H×W×C); got shape {np.shape(saliency)}.")
    return m


def rank_similarity(a, b) -> float:
    """Spearman rank correlation of two maps (the smaller is resized to the larger).
    A constant map carries no ranking, so its similarity to anything is 0 (not NaN)."""
    from scipy.stats import spearmanr

    a, b = as_map(a), as_map(b)
    if a.shape != b.shape:
        big, small = (a, b) if a.size >= b.size else (b, a)
        small = heatmap_at_image(small.astype("float32"), big.shape)
        a, b = big, small
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a.ravel(), b.ravel()).statistic)


def edge_map(image) -> np.ndarray:
    """Sobel edge strength of the image: a 'saliency map' that never looks at the model."""
    from skimage.filters import sobel

    x = image_batch(image)[0]
    return sobel(x.mean(axis=-1))


@dataclass
class Cascade:
    """maps[method][0] is on the intact model; maps[method][i] after randomising steps[:i]."""
    steps: list
    maps: dict = field(default_factory=dict)
    similarity: dict = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        """'original', then one label per step: the layer, or its group's shared name prefix."""
        def label(group):
            prefix = os.path.commonprefix(group)
            prefix = prefix[:prefix.rindex("_")] if "_" in prefix else ""  # whole name parts only
            return group[0] if len(group) == 1 else (prefix or "+".join(group))
        return ["original"] + [label(g) for g in self.steps]


def cascading_randomization(model, image, class_index, methods: dict, steps=None, seed: int = 0,
                            progress: bool = True) -> Cascade:
    """Randomise `steps` (layer names or groups of names, top first; default: every layer with
    weights) cumulatively, each time on a fresh clone, and record each method's map and its
    rank similarity to the intact model's map.

    `methods` maps a label to fn(model, image, class_index) → 2-D map; `model` is the clone
    (of the same kind as the one passed: keras.Model or ImageNetModel).
    """
    from tqdm.auto import tqdm

    if not methods:
        raise ValueError("methods is empty: pass {'label': fn(model, image, class_index) → map}.")
    x = image_batch(image)
    cls = resolve_class(model, class_index)
    groups = _cascade_steps(model, steps)
    result = Cascade(groups, {name: [] for name in methods}, {name: [] for name in methods})
    variant = model
    for i in tqdm(range(len(groups) + 1), desc="cascading randomisation", disable=not progress):
        if i > 0:  # a fresh clone of the previous step's model, with one more group re-drawn
            variant = randomized_clone(variant, groups[i - 1], seed)
        for name, fn in methods.items():
            m = as_map(fn(variant, x, cls))
            result.maps[name].append(m)
            result.similarity[name].append(rank_similarity(result.maps[name][0], m))
    return result
