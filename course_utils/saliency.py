"""Pixel attributions from input gradients: where in the *pixels* is the evidence for a class?

* ``gradient_saliency``: the plain gradient of the class logit with respect to the input
  (Simonyan, Vedaldi & Zisserman 2014, *Deep inside convolutional networks*).
* ``smoothgrad``: the gradient averaged over noisy copies of the image (Smilkov et al. 2017).
* ``integrated_gradients``: (input − baseline) × the gradient averaged along the straight path
  from the baseline to the input (Sundararajan, Taly & Yan 2017). Its attributions add up to
  logit(input) − logit(baseline) (*completeness*), up to the path integral's discretisation;
  the result carries both sides so a learner can print the check.

All three rest on one core, ``input_gradients``: d(class logit)/d(input) for a batch of images
in as few backward passes as the batch size allows. ``model`` and ``image`` are as in
``course_utils.cam``: an ``ImageNetModel`` with 0-255 pixels (gradients are taken in the
network's own input units, after its preprocessing), or a ``keras.Model`` with what it takes.
Attributions are (H, W, C), signed, unnormalised; ``heatmaps.to_2d`` turns them into a map.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import validate
from .model_io import ModelLike, network_input
from .targets import ClassLike, class_target, logit_model

MAX_SAMPLES = 1024  # SmoothGrad samples / IG steps: far past where the estimates stop moving


def input_gradients(model: ModelLike, images: ArrayLike, class_index: ClassLike,
                    batch_size: int = 16, as_network_input: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(gradients, logits) for a batch: d(class logit)/d(input) (N, H, W, C) and the class logit (N,).

    `as_network_input=True`: `images` are already what the keras model takes (no preprocessing).
    Each image's logit depends on that image only, so one backward pass of the batch's summed
    logits gives every image's own gradient.
    """
    import tensorflow as tf

    batch_size = validate.whole_number(batch_size, "batch_size")
    target = class_target(model, class_index)
    to_logits = logit_model(model)
    x = np.asarray(images, dtype="float32") if as_network_input else network_input(model, images)
    grads, scores = [], []
    for start in range(0, len(x), batch_size):
        part = tf.constant(x[start:start + batch_size])
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(part)
            score = target(to_logits(part))
        grads.append(np.asarray(tape.gradient(score, part)))
        scores.append(np.asarray(score, dtype="float64"))
    return np.concatenate(grads), np.concatenate(scores)


def gradient_saliency(model: ModelLike, image: ArrayLike, class_index: ClassLike) -> np.ndarray:
    """d(class logit)/d(input) for one image: (H, W, C), signed."""
    return input_gradients(model, network_input(model, image, one=True), class_index,
                           as_network_input=True)[0][0]


def smoothgrad(model: ModelLike, image: ArrayLike, class_index: ClassLike, samples: int = 25,
               noise: float = 0.15, seed: int = 0, batch_size: int = 16) -> np.ndarray:
    """The gradient averaged over `samples` copies of the image with Gaussian noise whose
    standard deviation is `noise` × the image's value range (in the network's input units)."""
    samples = validate.whole_number(samples, "samples", maximum=MAX_SAMPLES)
    noise = validate.number_between(noise, "noise", 0.0, 1.0, "0.15 (15 % of the value range)")
    x = network_input(model, image, one=True)
    sigma = noise * float(x.max() - x.min())
    rng = np.random.default_rng(seed)
    noisy = x + rng.normal(0.0, sigma, (samples,) + x.shape[1:]).astype("float32")
    grads, _ = input_gradients(model, noisy, class_index, batch_size, as_network_input=True)
    return grads.mean(axis=0)


class IntegratedGradients(NamedTuple):
    """Attributions (H, W, C) and the two logits completeness says they add up to the gap of."""
    attributions: np.ndarray
    logit: float            # the class logit at the image
    baseline_logit: float   # ... and at the baseline

    @property
    def completeness_gap(self) -> float:
        """sum(attributions) − (logit − baseline_logit): near 0, shrinking as steps grow."""
        return float(self.attributions.sum(dtype="float64") - (self.logit - self.baseline_logit))


def integrated_gradients(model: ModelLike, image: ArrayLike, class_index: ClassLike,
                         baseline: ArrayLike | float = 0.0, steps: int = 32,
                         batch_size: int = 16) -> IntegratedGradients:
    """Integrated gradients from `baseline` (a number for a flat image, e.g. 0 = black, 127.5 =
    grey for 0-255 models; or an image of the same shape) to `image`, with the trapezoid rule
    on `steps` intervals (steps + 1 gradients)."""
    steps = validate.whole_number(steps, "steps", maximum=MAX_SAMPLES)
    x = network_input(model, image, one=True)
    if np.ndim(baseline) == 0:
        flat = np.full(np.shape(image)[-3:], float(baseline), dtype="float32")
        base = network_input(model, flat, one=True)
    else:
        if np.shape(baseline)[-3:] != np.shape(image)[-3:]:
            raise ValueError(f"baseline has shape {np.shape(baseline)}, the image {np.shape(image)}: give an "
                             "image of the same size, or one number for a flat baseline (e.g. 0 = black).")
        base = network_input(model, baseline, one=True)
    alphas = np.linspace(0.0, 1.0, steps + 1, dtype="float32")[:, None, None, None]
    path = base + alphas * (x - base)                              # (steps + 1, H, W, C)
    grads, logits = input_gradients(model, path, class_index, batch_size, as_network_input=True)
    mean_grad = (grads[:-1] + grads[1:]).sum(axis=0) / (2 * steps)   # trapezoid rule
    return IntegratedGradients((x[0] - base[0]) * mean_grad, float(logits[-1]), float(logits[0]))
