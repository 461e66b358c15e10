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
    return np.asarray(grads).mean(axis=(0, 1, 2))

# %% grading={"check": "ex3_1"}
check("ex3_1", pool_gradients(grads_probe))


# %% [markdown] grading={"explanation": "ex3_1"}
# **Why.** The pooled gradient says how much the class score rises, on average over the image,
# when channel `k` fires a little more everywhere: it is the channel's importance for this class.
# Averaging over positions makes the weight independent of *where* the channel fires; the
# heatmap puts the *where* back in the next step.

# %% [markdown] grading={"statement": "ex3_2"}
# ## Exercise 3.2 (medium, 1 point) · The weighting step
#
# Write `weight_and_combine(activation, weights)`: from an activation `(1, h, w, channels)` and
# `weights` `(channels,)`, return the **2-D** heatmap `(h, w)`: the weighted sum of the channels,
# then a ReLU (keep only positive evidence), then divided by its maximum so it lies in [0, 1]
# (leave an all-zero map as zeros).

# %% grading={"solution": "ex3_2"}
def weight_and_combine(activation, weights):
    heat = np.maximum(np.asarray(activation)[0] @ np.asarray(weights), 0)
    return heat / heat.max() if heat.max() > 0 else heat

# %% grading={"check": "ex3_2"}
check("ex3_2", weight_and_combine(act_probe, weights_probe))

# %% [markdown] grading={"explanation": "ex3_2"}
# **Why.** Each position gets the sum of its channels' activations, each counted by how much
# that channel matters for the class. Negative totals are evidence *against* the class (or for
# the other one); the ReLU drops them so the map shows only where the class is seen. Dividing by
# the maximum makes maps of different layers and images comparable on one colour scale.

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
my_layer = "conv2d_3"


def my_grad_cam(model, image, layer_name):
    return grad_cam_of(model, image, layer_name, probability=False)


def grad_cam_of(model, image, layer_name, probability):
    dense = model.get_layer("class_probabilities")
    grab = keras.Model(model.inputs, [model.get_layer(layer_name).output, dense.input])
    with tf.GradientTape() as tape:
        act, features = grab([image], training=False)
        logits = features @ dense.kernel + dense.bias
        predicted = int(np.argmax(logits[0]))
        score = (tf.nn.softmax(logits) if probability else logits)[0, predicted]
    grads = tape.gradient(score, act)
    return weight_and_combine(act, pool_gradients(grads))


my_heatmap = my_grad_cam(model, image, my_layer)
my_peak = tuple(int(i) for i in np.unravel_index(np.argmax(my_heatmap), my_heatmap.shape))
cell = 180 / my_heatmap.shape[0]
peak_pixel = (round((my_peak[0] + 0.5) * cell), round((my_peak[1] + 0.5) * cell))
print(f"{my_layer}: map {my_heatmap.shape}, peak at cell {my_peak}, i.e. around pixel {peak_pixel} of the photo")
of_probability = grad_cam_of(model, image, my_layer, probability=True)
agreement = float(np.corrcoef(my_heatmap.ravel(), of_probability.ravel())[0, 1])
print(f"correlation of the logit's map with the probability's map: {agreement:.2f}")
print(verdict(agreement < 0.98, "on this softmax head the probability gives a different map from the logit"))
fig, ax = plt.subplots(figsize=(2.8, 2.8))
ax.imshow(superimpose(image[0], of_probability))
ax.set(title="of the probability (wrong)", xticks=[], yticks=[])
plt.show()
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

# %% [markdown] grading={"explanation": "ex3_3"}
# **Why.** The logit, not the probability. With one sigmoid output the two give the *same*
# max-normalised map: the probability's gradient is the logit's times p(1 − p), one number, which
# the division by the maximum removes (only its size shrinks towards P = 0 or 1). With a softmax,
# the gradient of p_c is p_c times (∇z_c − Σ_j p_j ∇z_j): it subtracts what raises the *other*
# classes, so the map shows "more c than the rest" instead of "evidence for c". The printed
# correlation and verdict line show how different that map is here. Inference mode: the model must
# give the same answer on every call (chapter 1's trap), or the map changes from run to run. A
# later layer gives a coarser map (fewer cells) of more class-specific features; an early layer a
# finer map of generic edges, which often says little about the class.

# %% [markdown] grading={"statement": "ex3_4"}
# ## Exercise 3.4 (in words, read by your teacher) · Where does the model look?
#
# In two or three sentences: where on the photo is your heatmap's peak (use `my_peak` and the
# printed pixel position), is that a part you would use to recognise the class, and how would the
# map change at an earlier or a later layer?

# %% grading={"solution": "ex3_4"}
predicted = CLASS_NAMES[int(np.argmax(np.asarray(model(image, training=False))[0]))]
interpretation_3 = (
    f"At {my_layer} the Grad-CAM of '{predicted}' peaks at cell {my_peak} of a {my_heatmap.shape[0]}x"
    f"{my_heatmap.shape[1]} map, around pixel {peak_pixel} of the photo; I check on the figure whether "
    "that falls on the cat's head or on the background. Its map and the probability's correlate at "
    f"{agreement:.2f}, so on this softmax head the logit matters. An earlier layer would give a finer but "
    "noisier map of generic edges, a later one a coarser map of more class-specific parts."
)
print(textwrap.fill(interpretation_3, 99))

# %% grading={"check": "ex3_4"}
check("ex3_4", interpretation_3)
