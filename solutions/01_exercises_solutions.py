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
# # Exercises 1 · Intermediate activations
#
# Four exercises on chapter 1's trained cats-vs-dogs convnet, from easy to hard, on a photo
# **you** choose: how sparse each layer's activation is, how much each layer still looks like
# the photo, the inference-mode trap, and a few sentences in your own words.
#
# For each one: read the statement, fill in the cell marked `# YOUR CODE HERE`, run it, then
# run the check cell below it. The check prints **PASS** (full marks in grading too: the
# notebook's check and your teacher's grader use the same judge), **FAIL** with hints on what
# to look at, or **NOT YET** while the cell still leaves `None`. The last exercise is read by
# your teacher, not scored. Run the notebook top to bottom before you hand it in.
# While grading, the course's own versions of what an exercise asks you to write are switched
# off, so write them yourself (a notebook PASS that relies on them would not survive grading).

# %%
import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import textwrap

import numpy as np
import keras

from course_utils.activations import input_similarity, layer_activations
from course_utils.grading.checks import check
import matplotlib.pyplot as plt

from course_utils.grading.fixtures import conv_names, exercise_convnet, other_trainer, trap_batch
from course_utils.images import chelsea, load_image
from course_utils.measured import approx, verdict
from course_utils.small_convnet import IMAGE_SIZE, training_graph

keras.utils.set_random_seed(0)
model = exercise_convnet()        # raw 0-255 pixels in, P(dog) out
trainer = training_graph(model)   # the same model with the training-time random augmentation in front
conv_layers = conv_names(model)   # the Conv2D layers, input to output
trap_images = trap_batch()        # two images for exercise 1.3
other_net = other_trainer(model)  # exercise 1.3's second network (randomised weights, augmentation in front)
print("conv layers:", conv_layers)

# %% [markdown] grading={"statement": "ex1_1"}
# ## Exercise 1.1 (easy, 1 point) · How sparse is each layer on your photo?
#
# Choose a photo: set `my_photo` to it as read, an `(H, W, 3)` RGB array (or a batch of one),
# e.g. `chelsea()` (a cat), `skimage.data.astronaut()`, `skimage.data.coffee()`, or `skimage.io.imread(path)` for a
# photo of your own. Load it as `my_image = load_image(my_photo, IMAGE_SIZE)`: a `(1, 180, 180, 3)`
# batch of raw 0-255 RGB pixels, the whole photo resized (no crop, no preprocessing, RGB order:
# the check compares the two).
#
# Then set `zeros` to a list with one number per layer of `conv_layers` (same order): the
# **fraction of the activation's values that are exactly zero** for your photo.
#
# *Hint:* `layer_activations(model, my_image, conv_layers)` gives all the activations from one
# forward pass, in inference mode.

# %% grading={"solution": "ex1_1"}
my_photo = chelsea()
my_image = load_image(my_photo, IMAGE_SIZE)
acts = layer_activations(model, my_image, conv_layers)
zeros = [float(np.mean(acts[name] == 0)) for name in conv_layers]
for name, z in zip(conv_layers, zeros):
    print(f"{name:10s} {z:.2f} of the values are zero")
rises = sum(b > a for a, b in zip(zeros, zeros[1:]))
print(verdict(rises == len(zeros) - 1, "the zero fraction rises at every step from the first conv layer to the last"))
print(verdict(zeros[-1] > zeros[0], "the last conv layer is sparser than the first"))

# %% grading={"check": "ex1_1"}
check("ex1_1", {"photo": my_photo, "image": my_image, "zeros": zeros})

# %% [markdown] grading={"explanation": "ex1_1"}
# **Why.** After a ReLU every negative pre-activation becomes exactly 0, so the zero fraction
# says how many (position, channel) pairs did *not* find their pattern. Whether it grows with
# depth is a property of the model and the photo, not a law: the two verdict lines above say
# what it does here (✓ or ✗ not here). A trained convnet is often sparsest near the top (a late
# filter, an eye-like or fur-like arrangement, matches at few places), but a layer right after a
# pooling step can be denser than the one before it, since each of its values sees a wider window.

# %% [markdown] grading={"statement": "ex1_2"}
# ## Exercise 1.2 (medium, 1 point) · How abstract is each layer?
#
# `input_similarity(activation, image)` gives, for each channel, how closely that channel's map
# follows the photo's brightness (|correlation| at the channel's resolution; a blank channel
# scores 0). Set `likeness` to a list with, per layer of `conv_layers`, the **mean over channels**
# of `input_similarity` for your photo, and `most_abstract` to the **name** of the layer whose
# channels look least like the photo (by your numbers).

# %% grading={"solution": "ex1_2"}
likeness = [float(input_similarity(acts[name], my_image).mean()) for name in conv_layers]
most_abstract = conv_layers[int(np.argmin(likeness))]
for name, value in zip(conv_layers, likeness):
    print(f"{name:10s} likeness {value:.3f}")
print("most abstract:", most_abstract)
print(verdict(likeness[-1] < likeness[0], "the last conv layer looks less like the photo than the first"))
print(verdict(most_abstract != conv_layers[0], "the most abstract layer is not the first one"))

# %% grading={"check": "ex1_2"}
check("ex1_2", {"photo": my_photo, "image": my_image, "likeness": likeness, "most_abstract": most_abstract})


# %% [markdown] grading={"explanation": "ex1_2"}
# **Why.** The first layer's channels are close to filtered copies of the picture (edges,
# colours), so they correlate with its brightness. Each further conv + pool step combines
# neighbouring features over a wider window and throws away *where exactly* and *what colour*,
# keeping *what*, so the maps tend to stop looking like the photo; the verdict lines above say
# whether they do on your photo. That is the abstraction the chapter describes: information
# about the visual input falls, information about the class rises.

# %% [markdown] grading={"statement": "ex1_3"}
# ## Exercise 1.3 (hard, 2 points) · The inference-mode trap
#
# `trainer` is `model` with the random flips, rotations, zooms and shifts used in training in
# front of it. In Keras 3 those layers **augment on every plain call** `trainer(x)`.
#
# 1. Write `predict_dog(net, images)` that returns P(dog) of **the network `net` it is handed**
#    as a 1-D NumPy array, **the same on every call**, for any of `model`, `trainer` or
#    `other_net`. (The check calls it twice on `trainer` and once on `other_net`.)
# 2. Set `training_calls` to a list of **8** values of P(dog) for your photo from 8 **plain**
#    calls `trainer(my_image)`, to see the trap happen. (They are random, so the check only asks
#    that they are 8 different values that this model can give for your photo.)

# %% grading={"solution": "ex1_3"}
def predict_dog(net, images):
    return np.asarray(net(np.asarray(images, dtype="float32"), training=False))[:, 0]


training_calls = [float(trainer(my_image)[0, 0]) for _ in range(8)]
steady = predict_dog(trainer, my_image)[0]
print("inference mode: ", np.round(predict_dog(trainer, my_image), 3), np.round(predict_dog(model, my_image), 3))
print(verdict(len(set(np.round(training_calls, 6))) == 8, "the 8 plain calls gave 8 different values of P(dog)"))
print(verdict(all(np.round(predict_dog(trainer, my_image), 6) == np.round(steady, 6)),
              "in inference mode trainer gives the same P(dog) again, and model gives it too"))
if training_calls is not None and predict_dog(trainer, my_image) is not None:   # what you measured, drawn
    fig, ax = plt.subplots(figsize=(5, 1.6))
    ax.plot(training_calls, np.zeros(len(training_calls)), "o", alpha=0.6, label="plain calls trainer(my_image)")
    ax.axvline(predict_dog(trainer, my_image)[0], color="k", label="inference mode")
    ax.set(xlim=(0, 1), yticks=[], xlabel="P(dog)")
    ax.legend(loc="upper right", fontsize=7)
    plt.show()

# %% grading={"check": "ex1_3"}
check("ex1_3", {"inference": [predict_dog(trainer, trap_images), predict_dog(trainer, trap_images)], "other": predict_dog(other_net, trap_images), "image": my_image, "training": training_calls})

# %% [markdown] grading={"explanation": "ex1_3"}
# **Why.** Keras 3's random preprocessing layers (`RandomFlip`, `RandomRotation`, ...) default to
# `training=True` when called, so a plain `trainer(x)` draws a new flip, rotation and zoom on
# every call and P(dog) jumps around. `net(x, training=False)` (or `net.predict(x)`, which runs
# in inference mode) switches them, and dropout, off: one image, one answer. The course's saved
# model has no augmentation inside for exactly this reason; augmentation is added in front only
# for training.

# %% [markdown] grading={"statement": "ex1_4"}
# ## Exercise 1.4 (in words, read by your teacher) · What did you see?
#
# In two or three sentences, using your numbers above: how do sparsity and likeness change with
# depth on your photo, what does that say about what deep layers encode, and why did the plain
# calls of `trainer` give different probabilities?

# %% grading={"solution": "ex1_4"}
sparser, less_alike = zeros[-1] > zeros[0], likeness[-1] < likeness[0]
interpretation_1 = (
    f"On my photo the zero fraction goes from {zeros[0]:.2f} at {conv_layers[0]} to {zeros[-1]:.2f} at "
    f"{conv_layers[-1]} ({'sparser' if sparser else 'not sparser'} at the top), and the likeness to the photo "
    f"from {likeness[0]:.3f} to {likeness[-1]:.3f} ({'falling' if less_alike else 'not falling'}); "
    + ("so the deep layers keep a sparse code of which parts are present rather than a copy of the picture. "
       if sparser and less_alike else "so on this photo depth does not simply mean sparser and less alike. ")
    + f"The 8 plain calls of trainer gave P(dog) from {approx(min(training_calls))} to {approx(max(training_calls))} "
    "because its random augmentation layers run in training mode by default, so each call sees a "
    "differently flipped, rotated and zoomed image."
)
print(textwrap.fill(interpretation_1, 99))

# %% grading={"check": "ex1_4"}
check("ex1_4", interpretation_1)
