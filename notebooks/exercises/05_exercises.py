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
# # Exercises 5 · Can we trust a heatmap? Randomisation, deletion and overlap
#
# Chapter 5 put every method on trial. A model-randomisation test (Adebayo et al. 2018) asks
# whether an explanation depends on what the model learned. A deletion curve asks whether it
# is faithful: deleting the pixels it calls important should make the score fall faster than
# deleting random ones. And how you *measure* "the map stayed the same" matters: a whole-map
# rank correlation and the overlap of the top 10% can tell different stories.
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
from course_utils.grading.fixtures import (GREY, OCCLUSION_PATCH, SANITY_METHODS, TOP_SHARE, exercise_convnet,
                                           exercise_image, overlap_probes, random_order, randomized_convnet,
                                           sanity_maps)
from course_utils.measured import approx, verdict

keras.utils.set_random_seed(0)
model = exercise_convnet()               # raw 0-255 pixels in, P(dog) out
image = exercise_image()                 # the cat 'chelsea', (1, 180, 180, 3)
random_model = randomized_convnet(model)  # conv2d_4 and the output layer re-drawn at random
print("P(dog): trained", round(float(model(image, training=False)[0, 0]), 3),
      "| randomised", round(float(random_model(image, training=False)[0, 0]), 3))

# %% [markdown]
# Exercises 5.1 and 5.2 grey out patches of the photo. Bring your `occlude` from exercise 4.1:

# %%
def occlude(image, top, left, patch, fill=GREY):
    # YOUR CODE HERE: your solution of exercise 4.1 (a copy of `image` with the square set to `fill`)
    return None

# %% [markdown] grading={"statement": "ex5_1"}
# ## Exercise 5.1 (easy, 1 point) · A model-randomisation test
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

# %% grading={"solution": "ex5_1"}
def occlusion_map(net, image):
    # YOUR CODE HERE
    return None


trained_map = None      # YOUR CODE HERE
randomized_map = None   # YOUR CODE HERE
similarity = None       # YOUR CODE HERE

# %% grading={"check": "ex5_1"}
check("ex5_1", {"trained": trained_map, "randomized": randomized_map, "similarity": similarity})


# %% [markdown] grading={"statement": "ex5_2"}
# ## Exercise 5.2 (medium, 1 point) · A deletion curve against a random baseline
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

# %% grading={"solution": "ex5_2"}
def deletion_curve(net, image, patch_order):
    # YOUR CODE HERE
    return None


curve = None          # YOUR CODE HERE: 17 values
random_curve = None   # YOUR CODE HERE: 17 values
auc = None            # YOUR CODE HERE: [AUC of curve, AUC of random_curve]
if curve is not None and random_curve is not None:   # your two deletion curves
    fig, ax = plt.subplots(figsize=(5, 2.8))
    ax.plot(curve, "o-", label="by the occlusion map")
    ax.plot(random_curve, "s--", label="random order")
    ax.set(xlabel="patches greyed", ylabel="P(predicted class)", ylim=(0, 1))
    ax.legend()
    plt.show()

# %% grading={"check": "ex5_2"}
check("ex5_2", {"curve": curve, "random": random_curve, "auc": auc})


# %% [markdown] grading={"statement": "ex5_3"}
# ## Exercise 5.3 (hard, 2 points) · Which map survives randomisation: rank similarity vs top overlap
#
# `sanity_maps(net, image)` gives two maps of the predicted class for a network: Grad-CAM at
# `conv2d_4` and guided backpropagation (see `SANITY_METHODS`). A method passes the
# model-randomisation test if its map *changes* when the model's top layers are randomised.
#
# 1. Write `top_overlap(a, b, share=TOP_SHARE)`: the fraction of `a`'s top `share` of cells that
#    are also among `b`'s top `share`. The top of a map is its `ceil(share × size)` largest
#    values, ties broken by row-major order (`np.argsort(-a.ravel(), kind="stable")`).
# 2. For each method of `SANITY_METHODS`, in that order, compare its map for `model`
#    (`trained_maps[method]`, drawn below) with its map for `random_model`
#    (`randomized_maps[method]`): `table` = one row `[rank similarity, top overlap]` per
#    method, rank similarity being the Spearman correlation of the flattened maps.
# 3. `fails` = the name of the method whose map survives the randomisation (stays most alike).

# %% grading={"solution": "ex5_3"}
def top_overlap(a, b, share=TOP_SHARE):
    # YOUR CODE HERE
    return None


overlap_a, overlap_b = overlap_probes()   # two small maps the check tries your top_overlap on (two shares)
trained_maps, randomized_maps = sanity_maps(model, image), sanity_maps(random_model, image)
fig, axes = plt.subplots(2, 2, figsize=(5.5, 5.5))   # the maps you compare
for row, m in enumerate(SANITY_METHODS):
    for col, (maps, who) in enumerate(((trained_maps, "trained"), (randomized_maps, "randomised"))):
        axes[row, col].imshow(maps[m], cmap="inferno")
        axes[row, col].set(title=f"{m}, {who}", xticks=[], yticks=[])
plt.show()
table = None   # YOUR CODE HERE: [[rank similarity, top overlap] for each method of SANITY_METHODS]
fails = None   # YOUR CODE HERE: a method's name

# %% grading={"check": "ex5_3"}
check("ex5_3", {"overlap_probe": [top_overlap(overlap_a, overlap_b, share) for share in (TOP_SHARE, 0.25)], "table": table, "fails": fails})

# %% [markdown] grading={"statement": "ex5_4"}
# ## Exercise 5.4 (in words, read by your teacher) · Is the occlusion map faithful, and guided backprop?
#
# In two or three sentences, using your numbers: compare the two AUCs of exercise 5.2, say what
# the rank similarities of exercises 5.1 and 5.3 tell you about occlusion and guided
# backpropagation, and name one limit of these tests (e.g. grey patches are images the model
# never saw in training).

# %% grading={"solution": "ex5_4"}
interpretation_5 = None   # YOUR ANSWER HERE, as a string: "..."

# %% grading={"check": "ex5_4"}
check("ex5_4", interpretation_5)
