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
# # Exercises 4 · Occlusion and the three ReLU rules
#
# Chapter 4 explained a prediction two ways beyond Grad-CAM. Occlusion asks the model directly:
# hide part of the image and see how much the score drops. Guided backpropagation and the
# deconvnet send a gradient back to the pixels like the plain gradient does, except for one
# thing: what each ReLU lets through on the way back. You will write those three rules and
# project one unit of a tiny network down to its input by each of them.
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
from course_utils.grading.fixtures import (GREY, PROJECTED_UNIT, RELU_RULES, probe, relu_probes, tiny_image,
                                           tiny_net)
from course_utils.measured import verdict

keras.utils.set_random_seed(0)
occ_probe = 255 * np.abs(probe((1, 10, 12, 3), seed=7)).clip(0, 1)   # a small test image (exercise 4.1)
relu_x, relu_dy = relu_probes()          # a ReLU's input and the gradient arriving from above (4.2)
conv1, conv2 = tiny_net()                # two 3x3 convolutions, 1 -> 4 -> 3 channels (4.3)
tiny_image = tiny_image()                # its (1, 11, 11, 1) input
print("rules:", RELU_RULES, "| unit (channel, row, column):", PROJECTED_UNIT)

# %% [markdown] grading={"statement": "ex4_1"}
# ## Exercise 4.1 (easy, 1 point) · Occlude one patch
#
# Write `occlude(image, top, left, patch, fill=GREY)`: return a **copy** of the batch `image`
# `(1, H, W, 3)` in which the `patch × patch` square whose top-left corner is at row `top`,
# column `left` is set to `fill` in every colour channel. The original must stay as it was: the
# occlusion loop builds many images from the same one.

# %% grading={"solution": "ex4_1"}
def occlude(image, top, left, patch, fill=GREY):
    covered = np.array(image, dtype="float32", copy=True)
    covered[:, top:top + patch, left:left + patch, :] = fill
    return covered

# %% grading={"check": "ex4_1"}
check("ex4_1", {"occluded": occlude(occ_probe, 2, 3, 4), "original": occ_probe})


# %% [markdown] grading={"explanation": "ex4_1"}
# **Why a copy.** NumPy slicing assignment writes into the array it is given. Without the copy
# the first occluded patch would stay grey in every later image of the loop, and the map would
# measure the effect of many patches at once.

# %% [markdown] grading={"statement": "ex4_2"}
# ## Exercise 4.2 (medium, 1 point) · The three ReLU rules on the way back
#
# On the way forward a ReLU computes `y = max(x, 0)`. On the way back it receives `dy`, the
# gradient arriving from the layer above, and passes something back to `x`. Write
# `relu_backward(rule, x, dy)` returning what it passes back, an array of `dy`'s shape, for
#
# - `"backprop"`: the plain gradient: `dy` where the forward input `x` was positive, else 0;
# - `"deconvnet"` (Zeiler & Fergus): `dy` where `dy` is positive, else 0, whatever `x` was;
# - `"guided"` (Springenberg et al.): `dy` only where `x` was positive **and** `dy` is positive.
#
# It must work on NumPy arrays and on tensors (exercise 4.3 hands it tensors): `np.asarray`
# turns either into an array.

# %% grading={"solution": "ex4_2"}
def relu_backward(rule, x, dy):
    x, dy = np.asarray(x), np.asarray(dy)
    passes = {"backprop": x > 0, "deconvnet": dy > 0, "guided": (x > 0) & (dy > 0)}
    if rule not in passes:
        raise ValueError(f"unknown rule {rule!r}; choose one of {RELU_RULES}")
    return np.where(passes[rule], dy, 0).astype("float32")


for rule in RELU_RULES:
    kept = relu_backward(rule, relu_x, relu_dy) != 0
    print(f"{rule:9s} passes back {kept.mean():.0%} of the values of dy")
print(verdict(np.all((relu_backward("guided", relu_x, relu_dy) != 0)
                     <= (relu_backward("backprop", relu_x, relu_dy) != 0)),
              "guided passes back nothing that the plain gradient does not"))

# %% grading={"check": "ex4_2"}
check("ex4_2", {rule: relu_backward(rule, relu_x, relu_dy) for rule in RELU_RULES})


# %% [markdown] grading={"explanation": "ex4_2"}
# **Why.** The plain gradient asks *which inputs would change this output*: a ReLU that was off
# (x ≤ 0) passes nothing back, whatever arrives. The deconvnet ignores the forward pass at the
# ReLU and keeps only the positive part of what arrives, so it reconstructs *what would
# excite* the unit. Guided backpropagation applies both masks: only paths that were on *and*
# that push the output up. Two masks let through less than one: the printed shares show it.

# %% [markdown] grading={"statement": "ex4_3"}
# ## Exercise 4.3 (hard, 2 points) · Project one unit down to the pixels, by each rule
#
# The tiny network is `relu(conv2(relu(conv1(x))))`: `conv1` and `conv2` are Keras layers with
# no activation of their own. Write `project_unit(rule, image, channel, row, col)`: the gradient
# of ONE unit, `[0, row, col, channel]` of the network's output, with respect to `image`, where
# both ReLUs pass the gradient back by `rule`. Build that ReLU with `tf.custom_gradient`: its
# forward is `tf.nn.relu(x)`, its backward your `relu_backward(rule, x, dy)` (wrap the result
# in `tf.constant`). Compute under a `tf.GradientTape` that watches the image, and return the
# gradient as a NumPy array of the image's shape. The check projects `PROJECTED_UNIT` by each rule.

# %% grading={"solution": "ex4_3"}
def relu_with_rule(rule):
    @tf.custom_gradient
    def relu(x):
        return tf.nn.relu(x), lambda dy: tf.constant(relu_backward(rule, x, dy))

    return relu


def project_unit(rule, image, channel, row, col):
    relu, x = relu_with_rule(rule), tf.constant(image)
    with tf.GradientTape() as tape:
        tape.watch(x)
        unit = relu(conv2(relu(conv1(x))))[0, row, col, channel]
    return tape.gradient(unit, x).numpy()


projections = {rule: project_unit(rule, tiny_image, *PROJECTED_UNIT)[0, :, :, 0] for rule in RELU_RULES}
for rule, p in projections.items():
    print(f"{rule:9s} {np.count_nonzero(p):3d} of {p.size} pixels reached, "
          f"{np.mean(p > 0):.0%} positive, largest |value| {np.abs(p).max():.2f}")
print(verdict(not np.allclose(projections["guided"], projections["backprop"]),
              "guided backpropagation gives another picture than the plain gradient"))
print(verdict(not np.allclose(projections["guided"], projections["deconvnet"]),
              "and another one than the deconvnet"))
drawn = {rule: project_unit(rule, tiny_image, *PROJECTED_UNIT) for rule in RELU_RULES}
if all(p is not None for p in drawn.values()):   # your three projections beside the input
    fig, axes = plt.subplots(1, 4, figsize=(9, 2.6))
    axes[0].imshow(tiny_image[0, :, :, 0], cmap="gray")
    axes[0].plot(PROJECTED_UNIT[2], PROJECTED_UNIT[1], "r+", markersize=14)
    axes[0].set(title="input, + = the unit", xticks=[], yticks=[])
    for ax, (rule, p) in zip(axes[1:], drawn.items()):
        p = np.asarray(p).reshape(tiny_image.shape[1:3])
        limit = max(float(np.abs(p).max()), 1e-12)
        ax.imshow(p, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set(title=rule, xticks=[], yticks=[])
    plt.show()

# %% grading={"check": "ex4_3"}
check("ex4_3", {rule: project_unit(rule, tiny_image, *PROJECTED_UNIT) for rule in RELU_RULES})

# %% [markdown] grading={"explanation": "ex4_3"}
# **Why.** All three pictures are zero outside the unit's receptive field: two 3×3 convolutions
# see a 5×5 window. Inside it they differ only by the ReLU masks of exercise 4.2. The deconvnet
# and guided backpropagation drop every negative gradient at each ReLU, so less cancels on the
# way down; their pictures still hold negative pixels, because the last step back goes through
# `conv1`'s weights, which have both signs and no ReLU after the image. Guided also drops the
# paths that were off in the forward pass, so it reaches no more pixels than the plain gradient.
# On real networks this is why guided pictures look like clean edges and raw gradients like
# noise. Cleaner is not more faithful: chapter 5 shows how little of guided backpropagation's
# picture depends on the model.

# %% [markdown] grading={"statement": "ex4_4"}
# ## Exercise 4.4 (in words, read by your teacher) · What each rule lets through
#
# In two or three sentences, using your numbers: how many pixels and what share of positive
# values does each projection of exercise 4.3 have, which ReLU mask explains each difference,
# and why does a cleaner picture not prove that the method explains the model?

# %% grading={"solution": "ex4_4"}
shares = {rule: float(np.mean(p > 0)) for rule, p in projections.items()}
interpretation_4 = (
    f"The plain gradient reaches {np.count_nonzero(projections['backprop'])} pixels with "
    f"{shares['backprop']:.0%} of them positive, the deconvnet {np.count_nonzero(projections['deconvnet'])} with "
    f"{shares['deconvnet']:.0%} and guided backpropagation {np.count_nonzero(projections['guided'])} with "
    f"{shares['guided']:.0%}: the deconvnet and guided keep only the positive part of the gradient at each "
    "ReLU, and guided also drops the paths whose ReLU was off in the forward pass. A cleaner, more positive "
    "picture shows what would excite the unit, not that the model uses it; that needs a test such as "
    "chapter 5's randomisation."
)
print(textwrap.fill(interpretation_4, 99))

# %% grading={"check": "ex4_4"}
check("ex4_4", interpretation_4)
