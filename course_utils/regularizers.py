"""The regulariser ladder for filter patterns: what each rung adds to plain gradient ascent.

Cumulative, so each rung shows what one more idea buys:

- ``plain``   the seed recipe: pixels, L2-normalised gradient steps;
- ``jitter``  + the image is shifted by a few random pixels before every step (Mordvintsev et
  al., DeepDream): a pattern must work at every position, so pixel-exact noise stops paying;
- ``blur``    + a light Gaussian blur every few steps (Yosinski et al. 2015): removes the
  highest frequencies the gradient keeps adding;
- ``octaves`` + multi-scale: start small, upsample, continue (coarse structure first);
- ``fourier`` jitter on a decorrelated parametrisation (Olah et al. 2017, Lucid): the
  optimiser moves Fourier coefficients scaled by 1/frequency and decorrelated colours, so
  each step changes low frequencies as easily as high ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

LADDER = ("plain", "jitter", "blur", "octaves", "fourier")

# Lucid's colour correlation of ImageNet (square root of its SVD), columns scaled to norm <= 1.
_COLOR_SQRT = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], dtype="float32")
COLOR_DECORRELATION = _COLOR_SQRT / np.max(np.linalg.norm(_COLOR_SQRT, axis=0))


@dataclass(frozen=True)
class Regularizer:
    name: str
    jitter: int = 0          # max shift in pixels per step
    blur_every: int = 0      # blur the image every n steps (0: never)
    blur_sigma: float = 0.0
    octaves: int = 1         # number of scales, each 1/octave_scale of the next
    octave_scale: float = 1.25
    fourier: bool = False
    fourier_learning_rate: float = 0.0  # Fourier step in coefficient units at learning_rate=10 (scales with it)


def regularizer(name: str) -> Regularizer:
    """The ladder rung called `name` (see LADDER)."""
    rungs = {
        "plain": Regularizer("plain"),
        "jitter": Regularizer("jitter", jitter=4),
        "blur": Regularizer("blur", jitter=4, blur_every=4, blur_sigma=1.0),
        "octaves": Regularizer("octaves", jitter=4, blur_every=4, blur_sigma=1.0, octaves=3),
        "fourier": Regularizer("fourier", jitter=4, fourier=True, fourier_learning_rate=4.0),
    }
    if isinstance(name, Regularizer):
        return name
    if name not in rungs:
        raise ValueError(f"Unknown regulariser {name!r}. Choose one of: {', '.join(LADDER)}.")
    return rungs[name]


def jitter_shifts(steps: int, max_shift: int, seed: int) -> np.ndarray:
    """(steps, 2) integer shifts in [-max_shift, max_shift], the same for every filter of a batch."""
    rng = np.random.default_rng([int(seed), 1])
    return rng.integers(-max_shift, max_shift + 1, size=(steps, 2)).astype("int32")


def gaussian_kernel(sigma: float) -> np.ndarray:
    """A normalised 2-D Gaussian, radius 2 sigma (at least 1), shaped for a depthwise conv."""
    radius = max(1, int(round(2 * sigma)))
    x = np.arange(-radius, radius + 1, dtype="float32")
    g = np.exp(-0.5 * (x / sigma) ** 2)
    k2 = np.outer(g, g) / np.sum(g) ** 2
    return np.repeat(k2[:, :, None, None], 3, axis=2).astype("float32")  # (k, k, 3, 1)


def gaussian_blur(images: Any, kernel: np.ndarray) -> Any:  # Any: a TensorFlow tensor
    """Blur a (N, H, W, 3) tensor channel by channel; edges are padded by reflection."""
    import tensorflow as tf

    r = kernel.shape[0] // 2
    padded = tf.pad(images, [[0, 0], [r, r], [r, r], [0, 0]], mode="REFLECT")
    return tf.nn.depthwise_conv2d(padded, kernel, strides=[1, 1, 1, 1], padding="VALID")


def octave_schedule(size: tuple[int, int], steps: int, octaves: int, scale: float) -> list[tuple[tuple[int, int], int]]:
    """[(image size, steps at that size)], smallest first; the steps add up to `steps`."""
    sizes = [tuple(int(round(s / scale ** k)) for s in size) for k in reversed(range(octaves))]
    counts = [steps // octaves + (1 if k < steps % octaves else 0) for k in range(octaves)]
    return [(s, c) for s, c in zip(sizes, counts) if c > 0]


def fourier_scale(height: int, width: int, decay: float = 1.0) -> np.ndarray:
    """1/frequency weights of the rfft2 coefficients (Lucid's fft_image), shape (H, W//2+1)."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    freq = np.sqrt(fx ** 2 + fy ** 2)
    return (1.0 / np.maximum(freq, 1.0 / max(height, width)) ** decay).astype("float32")


def fourier_init(count: int, height: int, width: int, seed_for: Callable[[int], int]) -> np.ndarray:
    """Small random spectra (count, 3, H, W//2+1, 2), one seeded stream per filter."""
    shape = (3, height, width // 2 + 1, 2)
    return np.stack([np.random.default_rng(seed_for(i)).normal(0, 0.01, shape) for i in range(count)]).astype("float32")


def fourier_to_unit_image(spectra: Any, height: int, width: int) -> Any:  # Any: a TensorFlow tensor
    """Spectra → images in -1..1 (N, H, W, 3): inverse FFT, colour correlation, sigmoid."""
    import tensorflow as tf

    scale = tf.constant(fourier_scale(height, width))
    complex_spectra = tf.complex(spectra[..., 0], spectra[..., 1]) * tf.cast(scale, tf.complex64)
    planes = tf.signal.irfft2d(complex_spectra, fft_length=[height, width])  # (N, 3, H, W)
    decorrelated = tf.transpose(planes, [0, 2, 3, 1]) * (float(np.sqrt(height * width)) / 4.0)
    correlated = tf.tensordot(decorrelated, tf.constant(COLOR_DECORRELATION.T), axes=1)
    return 2.0 * tf.sigmoid(correlated) - 1.0
