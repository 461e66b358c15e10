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
    ### BEGIN SOLUTION
    return tf.reduce_mean(activation[:, 2:-2, 2:-2, filter_index])
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION

# %% grading={"check": "ex2_1"}

# %% [markdown] grading={"explanation": "ex2_1"}
# **Why.** Maximising the *mean* of one channel asks for an input that makes the filter fire
# everywhere at once, which is what a "pattern" is. Positions near the border see zero-padding or
# half a receptive field, and an ascent can exploit them with large values; leaving them out
# keeps the pattern about the filter, not about the image's edge.

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
    ### BEGIN SOLUTION
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = filter_loss(model(image, training=False), filter_index)
    grads = tf.math.l2_normalize(tape.gradient(loss, image))
    return image + learning_rate * grads
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION

# %% grading={"check": "ex2_2"}

# %% [markdown] grading={"explanation": "ex2_2"}
# **Why.** The gradient says in which direction each pixel should move to raise the filter's
# mean; its size depends on the layer and on where we are, which would make a fixed learning rate
# too big at one step and too small at the next. Normalising fixes the *length* of every step to
# the learning rate, so only the *direction* comes from the model.

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
### BEGIN SOLUTION
def ascend(blur):
    image = tf.constant(start_image)
    for _ in range(ASCENT_STEPS):
        image = gradient_ascent_step(image, 0, ASCENT_RATE)
        if blur:
            image = gaussian_blur(image, gaussian_kernel(BLUR_SIGMA))
    return np.asarray(image)[0]


def rough(pattern):
    grey = pattern.mean(axis=-1)
    return float((np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean()) / 2)


plain, blurred = ascend(False), ascend(True)
roughness = [rough(plain), rough(blurred)]
activation = [float(filter_loss(model(p[None]), 0)) for p in (plain, blurred)]
kept = activation[1] / activation[0]
print(f"roughness: plain {approx(roughness[0], '.3f')}, blurred {approx(roughness[1], '.3f')}")
print(f"filter 0 activation: plain {approx(activation[0])}, blurred {approx(activation[1])}: "
      f"the blur keeps {approx(100 * kept, '.0f')}% of it")
print(verdict(roughness[1] < roughness[0] / 2, "the blurred pattern is less than half as rough as the plain one"))
print(verdict(kept < 1, "the blur costs activation"))
print(verdict(kept < 0.5, "it costs more than half of it: the price is not small here"))
### STUB
plain = None        # YOUR CODE HERE: (32, 32, 3)
blurred = None      # YOUR CODE HERE: (32, 32, 3)
roughness = None    # YOUR CODE HERE: [r(plain), r(blurred)]
activation = None   # YOUR CODE HERE: [loss on plain, loss on blurred]
### END SOLUTION
if plain is not None and blurred is not None:   # your two patterns, side by side
    fig, axes = plt.subplots(1, 2, figsize=(5, 2.6))
    for ax, pattern, name in zip(axes, (plain, blurred), ("plain", "blurred")):
        shown = np.asarray(pattern, dtype="float64")
        ax.imshow((shown - shown.min()) / max(np.ptp(shown), 1e-12))
        ax.set(title=f"{name} ascent, filter 0", xticks=[], yticks=[])
    plt.show()

# %% grading={"check": "ex2_3"}

# %% [markdown] grading={"explanation": "ex2_3"}
# **Why.** A plain ascent is free to put energy into the highest spatial frequencies, since
# nothing in the loss forbids pixel-scale noise that happens to raise the filter. Blurring after
# every step removes those frequencies as fast as they appear, so the pattern keeps only the
# smooth, low-frequency stripes the filter actually prefers: the roughness falls. The price is
# a lower activation: the blurred pattern is a constrained optimum, so it cannot reach the
# activation of the unconstrained one. How large the price is, the printed share says: for this
# edge filter, whose ascent gains much of its activation from sharp pixel-scale contrast, the
# blur costs a large part of it (the third verdict line). Every rung of the ladder makes that
# trade, a more readable pattern for less activation; the numbers say what it costs.

# %% [markdown] grading={"statement": "ex2_4"}
# ## Exercise 2.4 (in words, read by your teacher) · What does the blur buy, and what does it cost?
#
# In two or three sentences, using your numbers: how did the blur change the roughness and the
# activation, and why? Which pattern would you rather show to someone to explain filter 0?

# %% grading={"solution": "ex2_4"}
### BEGIN SOLUTION
interpretation_2 = (
    f"The blur took the roughness from {approx(roughness[0], '.3f')} to {approx(roughness[1], '.3f')} and kept "
    f"{approx(100 * kept, '.0f')}% of filter 0's activation"
    + (", a large price" if kept < 0.5 else ", a moderate price")
    + ", because it removes the high-frequency contrast the plain ascent is free to add and the filter also "
    "rewards. I would show the blurred pattern: it shows the vertical-edge stripes without pixel noise."
)
print(textwrap.fill(interpretation_2, 99))
### STUB
interpretation_2 = None   # YOUR ANSWER HERE, as a string: "..."
### END SOLUTION

# %% grading={"check": "ex2_4"}
