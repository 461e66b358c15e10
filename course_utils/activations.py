"""What each layer of a convnet computes for one image: activations, channel grids, sparsity."""
from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from . import validate
from .layers import feature_extractor, layer_kinds, require_layers
from .model_io import is_wrapper, network_input

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import keras
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .model_io import ModelLike


def default_activation_layers(model: keras.Model) -> list[str]:
    """Every top-level conv and pooling layer, in model order."""
    return [layer.name for layer in model.layers if layer_kinds(layer) & {"conv", "pool"}]


def layer_activations(model: ModelLike, image: np.ndarray,
                      layer_names: Sequence[str] | None = None) -> "OrderedDict[str, np.ndarray]":
    """Layer name → activation (1, h, w, channels) for one image, from one forward pass.

    Works the same for Sequential, Functional and models with nested sub-models (such as
    an augmentation block), and for an ImageNetModel (its layers, on its preprocessed input);
    inference mode, so augmentation and dropout are off.
    """
    net = model.model if is_wrapper(model) else model
    if layer_names is None:
        names = default_activation_layers(net)
    else:
        names = [layer_names] if isinstance(layer_names, str) else validate.names(layer_names, "layer_names")
    require_layers(net, names)
    # one image or a batch, checked against the model (the pixel rule for a model taking pixels)
    batch = network_input(model, image)
    extractor = feature_extractor(net, names, example=batch)
    outputs = extractor(batch, training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    # + 0.0 turns -0.0 into 0.0: oneDNN's ReLU keeps the sign of a zeroed negative, which
    # would print as "max -0" for a blank channel.
    return OrderedDict((n, np.asarray(o) + 0.0) for n, o in zip(names, outputs))


def _activation(activation, what: str = "activation") -> np.ndarray:
    """An activation (1, h, w, channels) or (h, w, channels): finite, non-empty, float32."""
    act = validate.finite_array(activation, what)
    if act.ndim == 4 and act.shape[0] == 1:
        act = act[0]
    if act.ndim != 3:
        raise ValueError(f"Expected an {what} of shape (1, h, w, channels) for one image, as "
                         f"layer_activations gives; got shape {np.shape(activation)}.")
    return act


def normalize_channel(channel: np.ndarray) -> np.ndarray:
    """Per-channel display normalisation of the walkthrough (mean 128, 64 per std), uint8.
    A constant channel (a ReLU that never fired) stays blank instead of becoming noise."""
    c = np.asarray(channel, dtype="float32")
    std = float(c.std())
    if std < 1e-8:
        return np.zeros(c.shape, dtype="uint8")
    return np.clip((c - c.mean()) / std * 64 + 128, 0, 255).astype("uint8")


def channel_grid(activation: np.ndarray, columns: int = 16, gap: int = 1) -> np.ndarray:
    """All channels of one activation (1, h, w, n) tiled into one uint8 image, row by row."""
    act = _activation(activation)
    h, w, n = act.shape
    columns = min(validate.whole_number(columns, "columns"), n)
    gap = validate.whole_number(gap, "gap", minimum=0)
    rows = -(-n // columns)
    grid = np.zeros((rows * (h + gap) - gap, columns * (w + gap) - gap), dtype="uint8")
    for i in range(n):
        r, c = divmod(i, columns)
        grid[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = normalize_channel(act[..., i])
    return grid


def dead_channel_fraction(activation: np.ndarray) -> float:
    """Fraction of channels that are all zero for this input (the walkthrough's 'blank' tiles)."""
    act = validate.finite_array(activation, "activation")
    act = act.reshape(-1, act.shape[-1])
    return float(np.mean(np.all(act == 0, axis=0)))


def zero_fraction(activation: np.ndarray) -> float:
    """Fraction of all activation values that are exactly zero."""
    return float(np.mean(validate.finite_array(activation, "activation") == 0))


def sparsity_table(activations: Mapping[str, np.ndarray]) -> list[dict]:
    """One row per layer: name, shape, blank-channel fraction and zero-value fraction."""
    if not hasattr(activations, "items"):
        raise TypeError(f"sparsity_table takes the dict layer name → activation that layer_activations "
                        f"returns, not {type(activations).__name__}.")
    return [
        {"layer": name, "shape": tuple(int(s) for s in act.shape[1:]),
         "blank_channels": round(dead_channel_fraction(act), 3),
         "zero_values": round(zero_fraction(act), 3)}
        for name, act in activations.items()
    ]


def plot_channel_grid(name: str, activation: np.ndarray, columns: int = 16, ax: Axes | None = None) -> "Figure":
    """The grid of one layer as a matplotlib figure (returns the figure)."""
    import matplotlib.pyplot as plt

    grid = channel_grid(activation, columns)
    if ax is None:
        scale = 1.0 / activation.shape[2]
        fig, ax = plt.subplots(figsize=(max(4, scale * grid.shape[1]), max(1.5, scale * grid.shape[0])))
    else:
        fig = ax.figure
    ax.imshow(grid, aspect="auto", cmap="viridis")
    ax.set_title(f"{name}  {tuple(activation.shape[1:])}")
    ax.axis("off")
    return fig


def input_similarity(activation: np.ndarray, image: np.ndarray) -> np.ndarray:
    """|Pearson correlation| of each channel with the input's luminance at the channel's resolution.

    High values mean the channel still looks like the picture (a near-copy of its edges or
    colours); a blank channel scores 0.
    """
    from PIL import Image

    act = _activation(activation).astype("float64")
    h, w, n = act.shape
    gray = validate.batch(image, "image", one=True)[0].mean(axis=-1)  # correlation: any units will do
    small = np.asarray(Image.fromarray(gray).resize((w, h), Image.BILINEAR), dtype="float64").ravel()
    small = (small - small.mean()) / (small.std() + 1e-12)
    flat = act.reshape(-1, n)
    std = flat.std(axis=0)
    centred = (flat - flat.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return np.abs(centred.T @ small / len(small)) * (std > 0)


def centroid_accuracy(features: np.ndarray, labels: np.ndarray) -> float:
    """Leave-one-out nearest-class-centroid accuracy: how well these features separate the classes."""
    x = validate.finite_array(features, "features", min_ndim=2).astype("float64")
    y = validate.finite_array(labels, "labels").ravel()
    if x.ndim != 2 or len(x) != len(y) or not np.all(y == np.round(y)):
        raise ValueError(f"centroid_accuracy takes features (N, d) and N whole-number labels; got "
                         f"features {np.shape(features)} and labels {np.shape(labels)}.")
    y = y.astype(int)
    classes, counts_ = np.unique(y, return_counts=True)
    if len(classes) < 2 or counts_.min() < 2:  # leave-one-out needs two classes of two or more
        raise ValueError(f"centroid_accuracy needs at least two classes with two images each; got "
                         f"{dict(zip(classes.tolist(), counts_.tolist()))} (label: count).")
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-12)
    sums = {c: x[y == c].sum(axis=0) for c in classes}
    counts = {c: int(np.sum(y == c)) for c in classes}
    correct = 0
    for i in range(len(x)):
        dists = []
        for c in classes:
            own = y[i] == c
            centroid = (sums[c] - (x[i] if own else 0)) / (counts[c] - own)
            dists.append(np.sum((x[i] - centroid) ** 2))
        correct += classes[int(np.argmin(dists))] == y[i]
    return correct / len(x)
