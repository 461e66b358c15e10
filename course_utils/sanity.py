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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from . import validate
from .heatmaps import rank_similarity, to_2d
from .layers import describe_names
from .model_io import ModelLike, image_batch, keras_model
from .targets import ClassLike, class_target

if TYPE_CHECKING:
    import keras


def randomizable_layers(model: ModelLike) -> list[str]:
    """Layers that hold weights, from the top (output) of the network down."""
    return [layer.name for layer in reversed(keras_model(model).layers) if layer.weights]


def _layer_groups(model, layer_groups) -> list[list[str]]:
    """Each group is a list of layer names randomised together (a fire module, say)."""
    valid = randomizable_layers(model)
    layer_groups = [layer_groups] if isinstance(layer_groups, str) else layer_groups  # not its letters
    groups = [[name] for name in valid] if layer_groups is None else \
        [[g] if isinstance(g, str) else list(g) for g in layer_groups]
    if not groups:
        raise ValueError("layer_groups is empty: give at least one layer (or group of layers) to randomise.")
    for group in groups:
        for name in group:
            if name not in valid:
                raise ValueError(f"Cannot randomise {name!r}: it is not a layer with weights of "
                                 f"{keras_model(model).name!r}. Valid names, top first: {describe_names(valid)}.")
    return groups


def randomize_layer(layer: "keras.Layer", seed: int) -> None:
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


def randomized_clone(model: ModelLike, layer_names: Sequence[str], seed: int = 0) -> ModelLike:
    """A copy of `model` (keras.Model or ImageNetModel) with the named layers re-initialised.
    The same seed gives a layer the same random weights at every step of the cascade."""
    import keras

    net = keras_model(model)
    layer_names = [layer_names] if isinstance(layer_names, str) else list(layer_names)  # not its letters
    _layer_groups(net, [layer_names])  # unknown or weightless names: the list of valid ones
    seed = validate.whole_number(seed, "seed", minimum=0)
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


def edge_map(image: ArrayLike) -> np.ndarray:
    """Sobel edge strength of the image: a 'saliency map' that never looks at the model."""
    from skimage.filters import sobel

    x = image_batch(image)[0]
    return sobel(x.mean(axis=-1))


@dataclass
class Cascade:
    """maps[method][0] is on the intact model; maps[method][i] after randomising layer_groups[:i]."""
    layer_groups: list
    maps: dict = field(default_factory=dict)
    similarity: dict = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        """'original', then one label per step: the layer, or its group's shared name prefix."""
        def label(group):
            prefix = os.path.commonprefix(group)
            prefix = prefix[:prefix.rindex("_")] if "_" in prefix else ""  # whole name parts only
            return group[0] if len(group) == 1 else (prefix or "+".join(group))
        return ["original"] + [label(g) for g in self.layer_groups]


def cascading_randomization(model: ModelLike, image: ArrayLike, class_index: ClassLike, methods: dict,
                            layer_groups: Sequence[str | Sequence[str]] | None = None, seed: int = 0,
                            progress: bool = True) -> Cascade:
    """Randomise `layer_groups` (layer names or groups of names, top first; default: every layer
    with weights) cumulatively, each time on a fresh clone, and record each method's map and its
    rank similarity to the intact model's map.

    `methods` maps a label to fn(model, image, class_index) → 2-D map; `model` is the clone
    (of the same kind as the one passed: keras.Model or ImageNetModel).
    """
    from tqdm.auto import tqdm

    # e.g. [fn]: each method needs a label for the plots; each value must be callable
    validate.functions(methods, "methods", "{'Grad-CAM': fn(model, image, class_index) → map}")
    seed = validate.whole_number(seed, "seed", minimum=0)
    x = image_batch(image, model=model)
    cls = class_target(model, class_index).index
    groups = _layer_groups(model, layer_groups)
    result = Cascade(groups, {name: [] for name in methods}, {name: [] for name in methods})
    variant = model
    for i in tqdm(range(len(groups) + 1), desc="cascading randomisation", disable=not progress):
        if i > 0:  # a fresh clone of the previous step's model, with one more group re-drawn
            variant = randomized_clone(variant, groups[i - 1], seed)
        for name, fn in methods.items():
            m = to_2d(fn(variant, x, cls), f"{name} map")
            result.maps[name].append(m)
            result.similarity[name].append(rank_similarity(result.maps[name][0], m))
    return result
