"""The inputs every exercise notebook starts from: same model, same photo, same probes.

Everything is offline and deterministic, so the student's run, the solution's run and the
grader's reference run all see identical inputs.
"""
from __future__ import annotations

import numpy as np

EDGE_FILTERS = ("vertical edges", "horizontal edges", "red, not green", "diagonal edges")


def exercise_convnet():
    """Chapter 1's trained cats-vs-dogs convnet (raw 0-255 180x180 input, output P(dog))."""
    from ..small_convnet import load_small_convnet

    return load_small_convnet()


def exercise_image(size=(180, 180)) -> np.ndarray:
    """scikit-image's cat 'chelsea' as a float32 (1, 180, 180, 3) batch, 0-255: ships with skimage."""
    from ..images import chelsea, load_image

    return load_image(chelsea(), size)


def probe(shape, seed: int, relu: bool = False) -> np.ndarray:
    """A seeded float32 standard-normal array: a small, known input for testing a function."""
    values = np.random.default_rng(seed).standard_normal(shape).astype("float32")
    return np.maximum(values, 0) if relu else values


def pattern_start() -> np.ndarray:
    """The grey, slightly noisy (1, 32, 32, 3) image gradient ascent starts from."""
    return 0.5 + 0.1 * probe((1, 32, 32, 3), seed=2)


def edge_kernels(size: int = 5) -> np.ndarray:
    """Four hand-made 5x5 RGB kernels (5, 5, 3, 4), one per entry of EDGE_FILTERS."""
    ramp = np.linspace(-1.0, 1.0, size, dtype="float32")
    vertical = np.tile(ramp[None, :], (size, 1))          # dark left → bright right
    diagonal = (ramp[None, :] + ramp[:, None]) / 2
    kernels = np.zeros((size, size, 3, 4), dtype="float32")
    for c in range(3):
        kernels[:, :, c, 0] = vertical / 3
        kernels[:, :, c, 1] = vertical.T / 3
        kernels[:, :, c, 3] = diagonal / 3
    kernels[size // 2, size // 2, 0, 2], kernels[size // 2, size // 2, 1, 2] = 1.0, -1.0
    return kernels


def edge_model(size: int = 32):
    """A one-layer convnet whose four filters are known: `edges` = ReLU(conv(image, edge_kernels))."""
    import keras

    inputs = keras.Input((size, size, 3), name="image")
    conv = keras.layers.Conv2D(4, 5, activation="relu", name="edges")
    model = keras.Model(inputs, conv(inputs), name="edge_model")
    conv.set_weights([edge_kernels(), np.zeros(4, dtype="float32")])
    return model


def rank_pairs() -> list[tuple[np.ndarray, np.ndarray]]:
    """Five (a, b) map pairs that tell a rank correlation from a value correlation:
    a map and its cube (same ranks), two independent maps, a map and its negative,
    a map with many ties, and a constant map."""
    a, b = probe((6, 6), seed=8), probe((6, 6), seed=9)
    ties = np.round(a)  # only a few distinct values
    return [(a, a ** 3), (a, b), (a, -a), (ties, b), (np.ones((6, 6)), b)]
