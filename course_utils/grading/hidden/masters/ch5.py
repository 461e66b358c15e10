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
    ### BEGIN SOLUTION
    covered = np.array(image, dtype="float32", copy=True)
    covered[:, top:top + patch, left:left + patch, :] = fill
    return covered
    ### STUB
    # YOUR CODE HERE: your solution of exercise 4.1 (a copy of `image` with the square set to `fill`)
    return None
    ### END SOLUTION

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

# %% grading={"check": "ex5_1"}

# %% [markdown] grading={"explanation": "ex5_1"}
# **Why.** An explanation that is about *the model* must change when the model's learned weights
# are destroyed. Occlusion passes this test by construction: it only asks the model, so a
# different model gives a different map, and a low rank similarity is what we hope to see. A
# method whose map barely changes (high similarity) would be explaining the *image* (edges,
# contrast), not the model; that is what Adebayo et al. found for several gradient methods.

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
### STUB
curve = None          # YOUR CODE HERE: 17 values
random_curve = None   # YOUR CODE HERE: 17 values
auc = None            # YOUR CODE HERE: [AUC of curve, AUC of random_curve]
### END SOLUTION
if curve is not None and random_curve is not None:   # your two deletion curves
    fig, ax = plt.subplots(figsize=(5, 2.8))
    ax.plot(curve, "o-", label="by the occlusion map")
    ax.plot(random_curve, "s--", label="random order")
    ax.set(xlabel="patches greyed", ylabel="P(predicted class)", ylim=(0, 1))
    ax.legend()
    plt.show()

# %% grading={"check": "ex5_2"}

# %% [markdown] grading={"explanation": "ex5_2"}
# **Why.** If the map is faithful, the patches it ranks first are the ones the model needs, so
# deleting them first makes the probability fall fastest and the area under the deletion curve is
# *smaller* than for a random order. Both curves start at the same value (nothing deleted) and end
# at the same one (all 16 patches grey, the same image whatever the order), so only the order in
# between differs. Greying does not always lower the score: a grey image is one the model never
# saw, and its P(predicted class) can end above where it started (the second verdict line says
# which happens here). That is why a random baseline is needed: only the gap between the two
# areas, not the fall of one curve, is evidence for the map.

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
    ### BEGIN SOLUTION
    a, b = np.asarray(a), np.asarray(b)
    count = int(np.ceil(share * a.size))
    top_a = np.argsort(-a.ravel(), kind="stable")[:count]
    top_b = np.argsort(-b.ravel(), kind="stable")[:count]
    return len(np.intersect1d(top_a, top_b)) / count
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION


overlap_a, overlap_b = overlap_probes()   # two small maps the check tries your top_overlap on (two shares)
trained_maps, randomized_maps = sanity_maps(model, image), sanity_maps(random_model, image)
fig, axes = plt.subplots(2, 2, figsize=(5.5, 5.5))   # the maps you compare
for row, m in enumerate(SANITY_METHODS):
    for col, (maps, who) in enumerate(((trained_maps, "trained"), (randomized_maps, "randomised"))):
        axes[row, col].imshow(maps[m], cmap="inferno")
        axes[row, col].set(title=f"{m}, {who}", xticks=[], yticks=[])
plt.show()
### BEGIN SOLUTION
table = [[float(spearmanr(trained_maps[m].ravel(), randomized_maps[m].ravel())[0]),
          top_overlap(trained_maps[m], randomized_maps[m])] for m in SANITY_METHODS]
fails = SANITY_METHODS[int(np.argmax([row[0] for row in table]))]
for m, (rank, overlap) in zip(SANITY_METHODS, table):
    print(f"{m:16s} rank similarity {rank:+.2f}   top-{TOP_SHARE:.0%} overlap {overlap:.2f}")
print("fails the test:", fails)
print(verdict(table[1][0] > 0.8, "guided backpropagation's map barely changes (rank similarity above 0.8)"))
print(verdict(table[0][0] < 0.5, "Grad-CAM's map changes with the learned weights (rank similarity below 0.5)"))
print(verdict(table[0][1] > table[0][0], "for Grad-CAM the top overlap says 'more alike' than the rank similarity"))
### STUB
table = None   # YOUR CODE HERE: [[rank similarity, top overlap] for each method of SANITY_METHODS]
fails = None   # YOUR CODE HERE: a method's name
### END SOLUTION

# %% grading={"check": "ex5_3"}

# %% [markdown] grading={"explanation": "ex5_3"}
# **Why.** Guided backpropagation's picture is mostly made by the image and the lower layers'
# ReLU masks (edges, contrast), so re-drawing the top layers barely moves it: that is Adebayo
# et al.'s finding, and why it fails the test. Grad-CAM's map is built from the top layer's
# activations and gradients, so it changes. The two measures answer different questions: the
# rank correlation scores the whole map, the background included, where a small change of the
# many low cells can dominate; the top overlap scores only where the map points. On a 7×7 map
# the top 10% is five cells, so one cell more or less moves the overlap by a fifth: read it
# against chance, the share itself.

# %% [markdown] grading={"statement": "ex5_4"}
# ## Exercise 5.4 (in words, read by your teacher) · Is the occlusion map faithful, and guided backprop?
#
# In two or three sentences, using your numbers: compare the two AUCs of exercise 5.2, say what
# the rank similarities of exercises 5.1 and 5.3 tell you about occlusion and guided
# backpropagation, and name one limit of these tests (e.g. grey patches are images the model
# never saw in training).

# %% grading={"solution": "ex5_4"}
### BEGIN SOLUTION
interpretation_5 = (
    f"Deleting by the occlusion map gives an AUC of {auc[0]:.3f} against {auc[1]:.3f} for a random order, "
    + ("so the map does rank first the patches the model needs. " if auc[0] < auc[1]
       else "so here the map does not beat a random order. ")
    + f"Its rank similarity with the randomised model's map is {approx(similarity)}, "
    + ("well below 1: the map depends on the learned weights. " if similarity < 0.8
       else "high: the map depends little on the learned weights. ")
    + f"Guided backpropagation's map keeps a rank similarity of {table[1][0]:.2f} after the same "
    + ("randomisation, so it fails the test: it shows the image more than the model. "
       if fails == "guided backprop" else "randomisation. ")
    + f"A limit: the all-grey image scores {curve[-1]:.2f} against {curve[0]:.2f} for the photo, so grey "
    "squares are not neutral; part of any drop comes from the unnatural patch, not the missing evidence."
)
print(textwrap.fill(interpretation_5, 99))
### STUB
interpretation_5 = None   # YOUR ANSWER HERE, as a string: "..."
### END SOLUTION

# %% grading={"check": "ex5_4"}
