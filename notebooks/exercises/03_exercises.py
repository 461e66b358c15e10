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
# # Exercises 3 · Grad-CAM
#
# You will rebuild Grad-CAM in three steps: pool the gradients into one weight per channel,
# combine the channels into a heatmap, then the whole method on chapter 1's trained convnet,
# given a three-class softmax head, at a layer you choose, and say where it peaks.
#
# For each exercise: fill in the cell marked `# YOUR CODE HERE`, run it, then run the check
# cell. **PASS** = full marks in grading too (the check and the grader use the same judge),
# **FAIL** = hints on what to look at, **NOT YET** = the cell still leaves `None`. The last
# exercise is read by your teacher, not scored. Write Grad-CAM yourself: the course's own
# Grad-CAM functions are switched off when your notebook is graded.

# %%
import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import textwrap

import numpy as np
import keras
import matplotlib.pyplot as plt
import tensorflow as tf

from course_utils.grading.checks import check
from course_utils.grading.fixtures import CLASS_NAMES, conv_names, exercise_convnet, exercise_image, probe, softmax_convnet
from course_utils.measured import verdict
from course_utils.overlay import superimpose

keras.utils.set_random_seed(0)
model = softmax_convnet(exercise_convnet())   # raw 0-255 pixels in, softmax over CLASS_NAMES out
image = exercise_image()      # the cat 'chelsea', (1, 180, 180, 3)
conv_layers = conv_names(model)
grads_probe = probe((1, 6, 6, 8), seed=4)             # a made-up gradient for exercise 3.1
act_probe = probe((1, 6, 6, 8), seed=5, relu=True)    # a made-up ReLU activation for exercise 3.2
weights_probe = probe((8,), seed=6)                   # made-up channel weights for exercise 3.2
print("P:", ", ".join(f"{name} {p:.3f}" for name, p in zip(CLASS_NAMES, np.asarray(model(image, training=False))[0])))
for name in conv_layers:
    print(f"{name:9} output {tuple(model.get_layer(name).output.shape[1:])}")

# %% [markdown] grading={"statement": "ex3_1"}
# ## Exercise 3.1 (easy, 1 point) · Pool the gradients into channel weights
#
# Grad-CAM gives each channel `k` of the layer one weight: the **mean of the gradient** of the
# class score over the channel's whole map. Write `pool_gradients(grads)` that takes a gradient
# of shape `(1, h, w, channels)` and returns the weights, shape `(channels,)`.

# %% grading={"solution": "ex3_1"}
def pool_gradients(grads):
    # YOUR CODE HERE
    return None

# %% grading={"check": "ex3_1"}
check("ex3_1", pool_gradients(grads_probe))


# %% [markdown] grading={"statement": "ex3_2"}
# ## Exercise 3.2 (medium, 1 point) · The weighting step
#
# Write `weight_and_combine(activation, weights)`: from an activation `(1, h, w, channels)` and
# `weights` `(channels,)`, return the **2-D** heatmap `(h, w)`: the weighted sum of the channels,
# then a ReLU (keep only positive evidence), then divided by its maximum so it lies in [0, 1]
# (leave an all-zero map as zeros).

# %% grading={"solution": "ex3_2"}
def weight_and_combine(activation, weights):
    # YOUR CODE HERE
    return None

# %% grading={"check": "ex3_2"}
check("ex3_2", weight_and_combine(act_probe, weights_probe))

# %% [markdown] grading={"statement": "ex3_3"}
# ## Exercise 3.3 (hard, 2 points) · Grad-CAM from scratch at a layer of your choice
#
# 1. Choose a layer: set `my_layer` to one of `conv_layers`.
# 2. Write `my_grad_cam(model, image, layer_name)`: the Grad-CAM heatmap `(h, w)` of that layer
#    for **the class the model predicts**. The model ends in a softmax over three classes
#    (`CLASS_NAMES`); Grad-CAM differentiates the class's **logit**, not its probability:
#    `logits = features @ kernel + bias` of the last layer
#    `dense = model.get_layer("class_probabilities")`, whose input is `dense.input`; the predicted
#    class is the largest logit. Build `keras.Model(model.inputs, [layer output, dense.input])`,
#    call it **in inference mode** under a `tf.GradientTape`, then use your `pool_gradients` and
#    `weight_and_combine`. (With three classes the probability's gradient mixes in the other
#    classes' gradients, so its map is a different one: the check tells them apart.)
# 3. Set `my_heatmap = my_grad_cam(model, image, my_layer)` and `my_peak` to the `(row, column)`
#    of its largest value, and print where that is on the 180×180 photo.

# %% grading={"solution": "ex3_3"}
my_layer = None   # YOUR CODE HERE: one of conv_layers


def my_grad_cam(model, image, layer_name):
    # YOUR CODE HERE
    return None


my_heatmap = None   # YOUR CODE HERE
my_peak = None      # YOUR CODE HERE: (row, column)
if my_heatmap is not None and my_peak is not None:   # your map over the photo, + at your peak
    step = 180 / np.shape(my_heatmap)[0]
    fig, axes = plt.subplots(1, 2, figsize=(5.6, 2.8))
    axes[0].imshow(image[0].astype("uint8"))
    axes[0].plot((my_peak[1] + 0.5) * step, (my_peak[0] + 0.5) * step, "r+", markersize=14)
    axes[1].imshow(superimpose(image[0], np.asarray(my_heatmap)))
    for ax, title in zip(axes, ("photo, + = your peak", f"your Grad-CAM at {my_layer}")):
        ax.set(title=title, xticks=[], yticks=[])
    plt.show()

# %% grading={"check": "ex3_3"}
check("ex3_3", {"layer": my_layer, "heatmap": my_heatmap, "peak": my_peak})

# %% [markdown] grading={"statement": "ex3_4"}
# ## Exercise 3.4 (in words, read by your teacher) · Where does the model look?
#
# In two or three sentences: where on the photo is your heatmap's peak (use `my_peak` and the
# printed pixel position), is that a part you would use to recognise the class, and how would the
# map change at an earlier or a later layer?

# %% grading={"solution": "ex3_4"}
interpretation_3 = None   # YOUR ANSWER HERE, as a string: "..."

# %% grading={"check": "ex3_4"}
check("ex3_4", interpretation_3)
