# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercises 2 · Filter patterns
#
# Gradient ascent in input space, on a convnet small enough to understand completely: one conv
# layer, `edges`, whose four 5×5 filters were set by hand (0: vertical edges, 1: horizontal edges,
# 2: red-not-green, 3: diagonal edges). Because we know what each filter detects, we can tell
# whether the pattern you generate is right, and everything runs in a few seconds.
#
# For each exercise: fill in the cell marked `# YOUR CODE HERE`, run it, then run the check
# cell. **PASS** = full marks in grading too (the check and the grader use the same judge),
# **FAIL** = hints on what to look at, **NOT YET** = the cell still leaves `None`. The last
# exercise is read by your teacher, not scored.
# While grading, the course's own versions of what an exercise asks you to write are switched
# off, so write them yourself (a notebook PASS that relies on them would not survive grading).

# %%
import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import textwrap

import numpy as np
import keras
import matplotlib.pyplot as plt
import tensorflow as tf

from course_utils.grading.checks import check
from course_utils.grading.fixtures import (ASCENT_RATE, ASCENT_STEPS, BLUR_SIGMA, EDGE_FILTERS, edge_model,
                                           pattern_start, probe)
from course_utils.grading import fixtures
from course_utils.measured import approx, verdict
from course_utils.regularizers import gaussian_blur, gaussian_kernel

keras.utils.set_random_seed(0)
model = edge_model()                            # (1, 32, 32, 3) image → (1, 28, 28, 4) `edges` activation
loss_probe = probe((1, 12, 12, 4), seed=3)      # a made-up activation to test your loss on (NumPy)
tall_probe = fixtures.tall_probe()                # another one, 9x14: the check passes it as a tensor
start_image = pattern_start()                   # grey with a little noise: where the ascent starts
print(dict(enumerate(EDGE_FILTERS)))
print(f"steps {ASCENT_STEPS}, learning rate {ASCENT_RATE}, blur sigma {BLUR_SIGMA}")

# %% [markdown] grading={"statement": "ex2_1"}
# ## Exercise 2.1 (easy, 1 point) · The filter loss
#
# Write `filter_loss(activation, filter_index)`: the **mean** of channel `filter_index` of an
# activation of shape `(1, h, w, channels)`, **leaving out a 2-pixel border** on every side
# (so border artefacts don't dominate). It must return one number and work on NumPy arrays and
# on tensors (`tf.reduce_mean` of a slice does both): the check tries it on a 12×12 NumPy array
# and on a 9×14 tensor.

# %% grading={"solution": "ex2_1"}
def filter_loss(activation, filter_index):
    # YOUR CODE HERE
    return None

# %% grading={"check": "ex2_1"}
check("ex2_1", {"numpy": [filter_loss(loss_probe, k) for k in range(4)], "tensor": [filter_loss(tf.constant(tall_probe), k) for k in range(4)]})


# %% [markdown] grading={"statement": "ex2_2"}
# ## Exercise 2.2 (medium, 1 point) · One step of gradient ascent, by hand
#
# Write `gradient_ascent_step(image, filter_index, learning_rate)`:
#
# 1. under a `tf.GradientTape` (call `tape.watch(image)`), compute the `filter_loss` of `model(image)`;
# 2. take the gradient of the loss with respect to the image;
# 3. **normalise** it to unit L2 norm over the whole tensor (`tf.math.l2_normalize`);
# 4. return `image + learning_rate * gradient`.
#
# The check takes one step for filter 1 with `ASCENT_RATE` and one for filter 3 with rate 2.5.

# %% grading={"solution": "ex2_2"}
def gradient_ascent_step(image, filter_index, learning_rate):
    # YOUR CODE HERE
    return None

# %% grading={"check": "ex2_2"}
check("ex2_2", {"filter_1": gradient_ascent_step(tf.constant(start_image), 1, ASCENT_RATE), "filter_3": gradient_ascent_step(tf.constant(start_image), 3, 2.5)})

# %% [markdown] grading={"statement": "ex2_3"}
# ## Exercise 2.3 (hard, 2 points) · A regulariser from the ladder, and its effect
#
# 1. `plain`: from `start_image`, apply `ASCENT_STEPS` of your `gradient_ascent_step` for
#    **filter 0** with `ASCENT_RATE`; keep the result as a `(32, 32, 3)` NumPy array.
# 2. `blurred`: the same, but after **every** step blur the image with the ladder's *blur* rung:
#    `image = gaussian_blur(image, gaussian_kernel(BLUR_SIGMA))`.
# 3. Measure both: `roughness` = `[r(plain), r(blurred)]`, where `r` is the mean absolute
#    difference between neighbouring pixels of the grey level (mean over colours), averaged over
#    the x and y directions; and `activation` = `[filter_loss(model(p[None]), 0) for p in (plain, blurred)]`
#    as floats.

# %% grading={"solution": "ex2_3"}
plain = None        # YOUR CODE HERE: (32, 32, 3)
blurred = None      # YOUR CODE HERE: (32, 32, 3)
roughness = None    # YOUR CODE HERE: [r(plain), r(blurred)]
activation = None   # YOUR CODE HERE: [loss on plain, loss on blurred]
if plain is not None and blurred is not None:   # your two patterns, side by side
    fig, axes = plt.subplots(1, 2, figsize=(5, 2.6))
    for ax, pattern, name in zip(axes, (plain, blurred), ("plain", "blurred")):
        shown = np.asarray(pattern, dtype="float64")
        ax.imshow((shown - shown.min()) / max(np.ptp(shown), 1e-12))
        ax.set(title=f"{name} ascent, filter 0", xticks=[], yticks=[])
    plt.show()

# %% grading={"check": "ex2_3"}
check("ex2_3", {"plain": plain, "blurred": blurred, "roughness": roughness, "activation": activation})

# %% [markdown] grading={"statement": "ex2_4"}
# ## Exercise 2.4 (in words, read by your teacher) · What does the blur buy, and what does it cost?
#
# In two or three sentences, using your numbers: how did the blur change the roughness and the
# activation, and why? Which pattern would you rather show to someone to explain filter 0?

# %% grading={"solution": "ex2_4"}
interpretation_2 = None   # YOUR ANSWER HERE, as a string: "..."

# %% grading={"check": "ex2_4"}
check("ex2_4", interpretation_2)
