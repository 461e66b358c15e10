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
    ### BEGIN SOLUTION
    covered = np.array(image, dtype="float32", copy=True)
    covered[:, top:top + patch, left:left + patch, :] = fill
    return covered
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION

# %% grading={"check": "ex4_1"}

# %% [markdown] grading={"explanation": "ex4_1"}
# **Why a copy.** NumPy slicing assignment writes into the array it is given. Without the copy
# the first occluded patch would stay grey in every later image of the loop, and the map would
# measure the effect of many patches at once.

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
    ### BEGIN SOLUTION
    rows, cols = image.shape[1] // OCCLUSION_PATCH, image.shape[2] // OCCLUSION_PATCH
    batch = np.concatenate([image] + [occlude(image, r * OCCLUSION_PATCH, c * OCCLUSION_PATCH, OCCLUSION_PATCH)
                                      for r in range(rows) for c in range(cols)])
    p_dog = net.predict(batch, verbose=0)[:, 0]
    p_class = p_dog if p_dog[0] >= 0.5 else 1 - p_dog
    return (p_class[0] - p_class[1:]).reshape(rows, cols)
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION


### BEGIN SOLUTION
trained_map = occlusion_map(model, image)
randomized_map = occlusion_map(random_model, image)
similarity = float(spearmanr(trained_map.ravel(), randomized_map.ravel())[0])
print("trained:\n", np.round(trained_map, 2), "\nrandomised:\n", np.round(randomized_map, 2))
print(f"rank similarity {approx(similarity)}")
print(verdict(similarity < 0.8, "the occlusion map changes with the learned weights (rank similarity below 0.8)"))
### STUB
trained_map = None      # YOUR CODE HERE
randomized_map = None   # YOUR CODE HERE
similarity = None       # YOUR CODE HERE
### END SOLUTION

# %% grading={"check": "ex4_2"}

# %% [markdown] grading={"explanation": "ex4_2"}
# **Why.** An explanation that is about *the model* must change when the model's learned weights
# are destroyed. Occlusion passes this test by construction: it only asks the model, so a
# different model gives a different map, and a low rank similarity is what we hope to see. A
# method whose map barely changes (high similarity) would be explaining the *image* (edges,
# contrast), not the model; that is what Adebayo et al. found for several gradient methods.

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
    ### BEGIN SOLUTION
    cols = image.shape[2] // OCCLUSION_PATCH
    covered, batch = np.array(image, dtype="float32", copy=True), [image]
    for index in patch_order:
        row, col = divmod(int(index), cols)
        covered = occlude(covered, row * OCCLUSION_PATCH, col * OCCLUSION_PATCH, OCCLUSION_PATCH)
        batch.append(covered)
    p_dog = net.predict(np.concatenate(batch), verbose=0)[:, 0]
    return p_dog if p_dog[0] >= 0.5 else 1 - p_dog
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION


### BEGIN SOLUTION
order = np.argsort(-trained_map.ravel(), kind="stable")
curve = deletion_curve(model, image, order)
random_curve = deletion_curve(model, image, random_order(16))
auc = [float(curve.mean()), float(random_curve.mean())]
print("by the map:", np.round(curve, 2), f"AUC {auc[0]:.3f}")
print("random:    ", np.round(random_curve, 2), f"AUC {auc[1]:.3f}")
print(verdict(auc[0] < auc[1], "deleting by the map lowers the score faster than a random order (smaller AUC)"))
print(verdict(curve[-1] < curve[0], "greying the whole image lowers P(predicted class)"))
fig, ax = plt.subplots(figsize=(5, 2.8))
ax.plot(curve, "o-", label="by the occlusion map")
ax.plot(random_curve, "s--", label="random order")
ax.set(xlabel="patches greyed", ylabel="P(predicted class)", ylim=(0, 1))
ax.legend()
plt.show()
### STUB
curve = None          # YOUR CODE HERE: 17 values
random_curve = None   # YOUR CODE HERE: 17 values
auc = None            # YOUR CODE HERE: [AUC of curve, AUC of random_curve]
### END SOLUTION

# %% grading={"check": "ex4_3"}

# %% [markdown] grading={"explanation": "ex4_3"}
# **Why.** If the map is faithful, the patches it ranks first are the ones the model needs, so
# deleting them first makes the probability fall fastest and the area under the deletion curve is
# *smaller* than for a random order. Both curves start at the same value (nothing deleted) and end
# at the same one (all 16 patches grey, the same image whatever the order), so only the order in
# between differs. Greying does not always lower the score: a grey image is one the model never
# saw, and its P(predicted class) can end above where it started (the second verdict line says
# which happens here). That is why a random baseline is needed: only the gap between the two
# areas, not the fall of one curve, is evidence for the map.

# %% [markdown] grading={"statement": "ex4_4"}
# ## Exercise 4.4 (in words, read by your teacher) · Is the occlusion map faithful?
#
# In two or three sentences, using your numbers: compare the two AUCs, say what the rank similarity
# of exercise 4.2 tells you, and name one limit of these tests (e.g. grey patches are images the
# model never saw in training).

# %% grading={"solution": "ex4_4"}
### BEGIN SOLUTION
interpretation_4 = (
    f"Deleting by the occlusion map gives an AUC of {auc[0]:.3f} against {auc[1]:.3f} for a random order, "
    + ("so the map does rank first the patches the model needs. " if auc[0] < auc[1]
       else "so here the map does not beat a random order. ")
    + f"Its rank similarity with the randomised model's map is {approx(similarity)}, "
    + ("well below 1: the map depends on the learned weights. " if similarity < 0.8
       else "high: the map depends little on the learned weights. ")
    + f"A limit: the all-grey image scores {curve[-1]:.2f} against {curve[0]:.2f} for the photo, so grey "
    "squares are not neutral; part of any drop comes from the unnatural patch, not the missing evidence."
)
print(textwrap.fill(interpretation_4, 99))
### STUB
interpretation_4 = None   # YOUR ANSWER HERE, as a string: "..."
### END SOLUTION

# %% grading={"check": "ex4_4"}
