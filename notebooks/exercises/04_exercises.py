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
# # Exercises 4 · Occlusion, a model-randomisation test and a deletion curve
#
# Occlusion asks the model directly: hide part of the image and see how much the score drops.
# A model-randomisation test (Adebayo et al. 2018) asks whether an explanation depends on what
# the model learned. A deletion curve asks whether the explanation is faithful: deleting the
# pixels it calls important should make the score fall faster than deleting random ones.
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
from scipy.stats import spearmanr

from course_utils.grading.checks import check
from course_utils.grading.fixtures import (GREY, OCCLUSION_PATCH, exercise_convnet, exercise_image, probe,
                                           random_order, randomized_convnet)
from course_utils.measured import approx, verdict

keras.utils.set_random_seed(0)
model = exercise_convnet()               # raw 0-255 pixels in, P(dog) out
image = exercise_image()                 # the cat 'chelsea', (1, 180, 180, 3)
random_model = randomized_convnet(model)  # conv2d_4 and the output layer re-drawn at random
occ_probe = 255 * np.abs(probe((1, 10, 12, 3), seed=7)).clip(0, 1)   # a small test image
print("P(dog): trained", round(float(model(image, training=False)[0, 0]), 3),
      "| randomised", round(float(random_model(image, training=False)[0, 0]), 3))

# %% [markdown] grading={"statement": "ex4_1"}
# ## Exercise 4.1 (easy, 1 point) · Occlude one patch
#
# Write `occlude(image, top, left, patch, fill=GREY)`: return a **copy** of the batch `image`
# `(1, H, W, 3)` in which the `patch × patch` square whose top-left corner is at row `top`,
# column `left` is set to `fill` in every colour channel. The original must stay as it was: the
# occlusion loop builds many images from the same one.

# %% grading={"solution": "ex4_1"}
def occlude(image, top, left, patch, fill=GREY):
    # YOUR CODE HERE
    return None

# %% grading={"check": "ex4_1"}
check("ex4_1", {"occluded": occlude(occ_probe, 2, 3, 4), "original": occ_probe})


# %% [markdown] grading={"statement": "ex4_2"}
# ## Exercise 4.2 (medium, 1 point) · A model-randomisation test
#
# 1. Write `occlusion_map(net, image)`: cut the 180×180 image into a grid of `OCCLUSION_PATCH`-pixel
#    patches (stride = patch, so 4×4 patches); for each patch (row-major order) grey it out with
#    your `occlude`, and return a `(rows, columns)` array of how much the probability of **the
#    class `net` predicts for the whole image** drops: `p(original) - p(occluded)`. For this
#    one-output model the predicted class is dog if P(dog) ≥ 0.5 (probability P(dog)), else cat
#    (probability 1 − P(dog)). Score all images in one batch: `net.predict(batch, verbose=0)`.
# 2. `trained_map = occlusion_map(model, image)`, `randomized_map = occlusion_map(random_model, image)`,
#    and `similarity` = the Spearman rank correlation of the two flattened maps
#    (`spearmanr(a, b)[0]`, as a float).

# %% grading={"solution": "ex4_2"}
def occlusion_map(net, image):
    # YOUR CODE HERE
    return None


trained_map = None      # YOUR CODE HERE
randomized_map = None   # YOUR CODE HERE
similarity = None       # YOUR CODE HERE

# %% grading={"check": "ex4_2"}
check("ex4_2", {"trained": trained_map, "randomized": randomized_map, "similarity": similarity})


# %% [markdown] grading={"statement": "ex4_3"}
# ## Exercise 4.3 (hard, 2 points) · A deletion curve against a random baseline
#
# Delete (grey out) the 16 patches of the grid **one more at a time**, in two orders:
#
# - `order`: the patches by your `trained_map`, largest drop first
#   (`np.argsort(-trained_map.ravel(), kind="stable")`, row-major patch indices);
# - `baseline`: `random_order(16)`.
#
# For each order, `curve[k]` = P(predicted class of the original image) after the first `k`
# patches of the order are grey, for k = 0 … 16 (17 values; score them in one batch). Set
# `curve`, `random_curve`, and `auc = [mean of curve, mean of random_curve]` (the area under
# each curve, in units of the whole range).

# %% grading={"solution": "ex4_3"}
def deletion_curve(net, image, patch_order):
    # YOUR CODE HERE
    return None


curve = None          # YOUR CODE HERE: 17 values
random_curve = None   # YOUR CODE HERE: 17 values
auc = None            # YOUR CODE HERE: [AUC of curve, AUC of random_curve]

# %% grading={"check": "ex4_3"}
check("ex4_3", {"curve": curve, "random": random_curve, "auc": auc})

# %% [markdown] grading={"statement": "ex4_4"}
# ## Exercise 4.4 (in words, read by your teacher) · Is the occlusion map faithful?
#
# In two or three sentences, using your numbers: compare the two AUCs, say what the rank similarity
# of exercise 4.2 tells you, and name one limit of these tests (e.g. grey patches are images the
# model never saw in training).

# %% grading={"solution": "ex4_4"}
interpretation_4 = None   # YOUR ANSWER HERE, as a string: "..."

# %% grading={"check": "ex4_4"}
check("ex4_4", interpretation_4)
