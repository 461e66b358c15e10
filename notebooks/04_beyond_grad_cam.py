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
# # Chapter 4 — What a unit detects: deconvnet projections and occlusion
#
# Chapter 3 drew heatmaps from gradients. This chapter meets two older ways of looking inside a
# convnet, both from Zeiler & Fergus (2014), *Visualizing and understanding convolutional
# networks*, and checks them against each other:
#
# 1. **Deconvnet projections**: what in the image made a filter fire? Together with guided
#    backpropagation (Springenberg et al. 2015, *Striving for simplicity*), both are gradients
#    with a changed ReLU rule.
# 2. **Occlusion sensitivity**: hide a patch, see the class score drop — no gradients at all, so
#    a good referee for Grad-CAM (Selvaraju et al. 2017).
#
# **Learning objectives.** By the end of this chapter you can
#
# - say how the deconvnet, guided backpropagation and the plain gradient differ (one ReLU rule);
# - project a filter's activation back to pixels and measure what one unit sees (its extent);
# - explain where the deconvnet's checkerboard texture comes from, with a number;
# - compute an occlusion map, choose its patch and stride by their cost, and compare it with
#   Grad-CAM using numbers instead of impressions.
#
# Whether any of these maps can be *trusted* is chapter 5's question.
#
# **Model and budget.** As in chapter 3 we pin **SqueezeNet v1.1** (Xception's weights are not
# shipped with this offline course). The chapter runs in a few minutes on two CPU cores because
# of two choices, each stated where it is made: four filters per layer, and occlusion patches
# of 48 px with a 16 px stride (169 forward passes per map). Time: about 40 minutes, then 25
# for exercises 4.1 and 4.2.

# %%
# %matplotlib inline
import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import time

import numpy as np
import matplotlib.pyplot as plt
import keras

from course_utils import cam, heatmaps
from course_utils.images import walkthrough_image
from course_utils.walkthrough import animal_boxes, box_mask, boxes_at
from course_utils.deconvnet import footprint, project_filters, projection_to_uint8, top_filters
from course_utils.layers import feature_extractor
from course_utils.measured import verdict
from course_utils.models import load_imagenet_model
from course_utils.occlusion import occlusion_drops, occlusion_sensitivity
from course_utils.targets import class_scores
from course_utils.overlay import plot_superimposed

keras.utils.set_random_seed(0)      # same numbers on every run
chapter_start = time.perf_counter()

# %%
model = load_imagenet_model("squeezenet")   # pinned: Xception's weights are not shipped
print(model.reason)
img, which_photo, is_elephant = walkthrough_image(model.input_size)
print(which_photo)
H, W = model.input_size
probs = model.predict(img)
for index, name, p in model.decode(probs, top=3)[0]:
    print(f"  {name:18s} (class {index:3d})  {p:.3f}")
target = model.class_index("African_elephant") if is_elephant else int(np.argmax(probs[0]))
print("explaining class", target)

# %% [markdown]
# The boxes of chapter 3 (drawn by hand around the calf and the mother, in image pixels) let us
# say *where* things are with numbers instead of adjectives.

# %%
boxes = animal_boxes(is_elephant, (H, W))
on_animals = box_mask(boxes, (H, W))
print("boxes (x0, y0, x1, y1):", boxes)
print(f"the boxes cover {on_animals.mean():.2f} of the image")

def where(row, col):
    return boxes_at(boxes, row, col)


# %% [markdown]
# ## 1. Deconvnet projections: what made a filter fire?
#
# Zeiler & Fergus attach a "deconvnet" to a layer and run it backwards: unpool with the
# switches recorded by max-pooling, rectify, apply the transposed filters. In a framework with
# automatic differentiation that *is* the gradient of the layer's activation with respect to the
# input, with one change: how the signal passes a ReLU on the way back. Three rules, three
# methods:

# %%
def relu_backward(dy, x, rule):
    # x: the ReLU's input in the forward pass; dy: the signal coming back from above
    if rule == "gradient":
        return dy * (x > 0)               # plain backprop: only where the unit was active
    if rule == "guided":
        return dy * (x > 0) * (dy > 0)    # guided backprop: active AND positive signal
    if rule == "deconvnet":
        return dy * (dy > 0)              # deconvnet: positive signal, forward mask ignored

x = np.array([-2.0, -1.0, 1.0, 2.0])
dy = np.array([1.0, -1.0, 1.0, -1.0])
for rule in ("gradient", "guided", "deconvnet"):
    print(f"{rule:9s}", relu_backward(dy, x, rule))

# %% [markdown]
# `course_utils.relu_rules` builds a copy of the model whose ReLUs follow one of these rules,
# and `project_filters` does the rest: for a chosen layer, take the **k = 4 filters with the
# largest total activation** on the image, keep one filter's map alone (all other channels
# zero), and send it back to pixel space — the four projections in one batched backward pass.
# Choosing the filters is two lines; we check them against the library:

# %%
layers_by_depth = {"early": "conv1", "middle": "fire5_expand3x3", "late": "fire9_expand3x3"}
for depth, layer in layers_by_depth.items():
    act = np.asarray(feature_extractor(model.model, [layer])(model.preprocess(img)))
    totals = np.maximum(act[0], 0).sum(axis=(0, 1))          # total (rectified) activation per filter
    by_hand = np.argsort(-totals, kind="stable")[:4]
    filters, _ = top_filters(model, img, layer, k=4)
    print(f"{depth:6s} {layer:16s} {act.shape[1]:3d}x{act.shape[2]:<3d} {act.shape[3]:3d} filters  "
          f"top-4 {by_hand.tolist()}  library agrees: {np.array_equal(by_hand, filters)}")

# %%
projections = {depth: project_filters(model, img, layer, k=4) for depth, layer in layers_by_depth.items()}
fig, axes = plt.subplots(3, 5, figsize=(15, 9.4))
for row, (depth, proj) in enumerate(projections.items()):
    axes[row, 0].imshow(img[0].astype("uint8"))
    axes[row, 0].set_title(f"{depth}: {proj.layer_name}", fontsize=10)
    for col, (f, image) in enumerate(zip(proj.filter_indices, proj.images), start=1):
        axes[row, col].imshow(projection_to_uint8(image))
        axes[row, col].set_title(f"filter {f}", fontsize=9)
for ax in axes.ravel():
    ax.axis("off")
fig.suptitle("deconvnet projections of the 4 most active filters of each layer (grey = 0)")
fig.tight_layout()
plt.show()


# %% [markdown]
# The seed's reading of such pictures is: *corners and edges early, textures in the middle,
# object parts late*. Two measured numbers test it instead of trusting the eye:
#
# * **the size of what one unit sees.** Project only each filter's *strongest* unit
#   (`peak_only=True`, as in the paper's figures) and measure the side of the square that would
#   hold 90 % of the projection's energy. A few pixels can only be an edge or a corner; a
#   patch of a few dozen pixels a texture; the better part of an animal an object part.
# * **how much of the energy lands on the animals**, compared with the share of the image that
#   the boxes cover (printed above).

# %%
def energy(projection):
    return np.square(projection).sum(axis=-1)

peaks = {depth: project_filters(model, img, layer, k=4, peak_only=True) for depth, layer in layers_by_depth.items()}
measures = {}
for depth, layer in layers_by_depth.items():
    extent = np.mean([np.sqrt(footprint(p, 0.9) * H * W) for p in peaks[depth].images])
    share = np.mean([heatmaps.mass_in_mask(energy(p), on_animals) for p in projections[depth].images])
    measures[depth] = (extent, share)
    print(f"{depth:6s} {layer:16s} one unit sees ~{extent:5.1f} px   energy on the animals {share:.2f}")
sees = {depth: m[0] for depth, m in measures.items()}
on_boxes = {depth: m[1] for depth, m in measures.items()}
print(verdict(sees["early"] < 5, "an early unit sees a few pixels: room for a piece of edge or a corner, no more"))
print(verdict(5 <= sees["middle"] < 35, "a middle unit sees a few dozen pixels: room for a texture"))
print(verdict(sees["late"] >= 35, "a late unit sees the size of a head or a leg: an object part"))
print(verdict(on_boxes["early"] < on_animals.mean(), "early filters fire all over the grass and the sky: "
              "less energy on the\n  animals than their boxes' share of the image"))
print(verdict(on_boxes["early"] < on_boxes["middle"] < on_boxes["late"], "with depth, more and more of the "
              "energy lands on the animals"))

# %%
fig, axes = plt.subplots(3, 4, figsize=(10, 7.8))
for row, (depth, proj) in enumerate(peaks.items()):
    half = int(max(8, measures[depth][0]))            # crop around each unit's projection
    for col, (f, image) in enumerate(zip(proj.filter_indices, proj.images)):
        r, c = heatmaps.peak_location(energy(image))
        r0, c0 = np.clip([r - half, c - half], 0, [H - 2 * half, W - 2 * half])
        crop = np.s_[r0:r0 + 2 * half, c0:c0 + 2 * half]
        axes[row, col].imshow(np.hstack([projection_to_uint8(image)[crop], img[0][crop].astype("uint8")]))
        axes[row, col].set_title(f"{proj.layer_name} #{f}", fontsize=8)
        axes[row, col].axis("off")
fig.suptitle("strongest unit of each filter: projection | the image patch it sees")
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the two columns against the seed's reading; the lines under them say, from the numbers,
# which parts of it hold on this photo. A unit that sees a few pixels can only answer "edge or
# corner?"; one that sees a few dozen pixels can answer for a texture (wrinkled skin, grass); one
# that sees fifty, at this resolution, for a head or a leg.
#
# **Guided backpropagation for comparison.** The guided rule also blocks the signal where the
# forward pass was inactive. The same filters of the late layer, projected both ways:

# %%
late = layers_by_depth["late"]
guided = project_filters(model, img, late, filter_indices=projections["late"].filter_indices, rule="guided")
fig, axes = plt.subplots(2, 4, figsize=(12, 6.4))
for col in range(4):
    for row, proj in enumerate((projections["late"], guided)):
        axes[row, col].imshow(projection_to_uint8(proj.images[col]))
        axes[row, col].set_title(f"{proj.rule}  filter {proj.filter_indices[col]}", fontsize=9)
        axes[row, col].axis("off")
fig.tight_layout()
plt.show()
rule_share = {}
for proj in (projections["late"], guided):
    rule_share[proj.rule] = np.mean([heatmaps.mass_in_mask(energy(p), on_animals) for p in proj.images])
    print(f"{proj.rule:9s} energy on the animals {rule_share[proj.rule]:.2f}")
similar = np.mean([heatmaps.correlation(energy(a), energy(b)) for a, b in zip(projections["late"].images, guided.images)])
print(f"correlation of the two projections' energy: {similar:.2f}")
print(verdict(rule_share["guided"] > rule_share["deconvnet"],
              "guided backpropagation puts more of its energy on the animals than the deconvnet"))

# %% [markdown]
# Guided backpropagation's pictures are cleaner (compare the two shares above) because every
# ReLU on the way down vetoes what the forward pass did not use. Remember that cleanliness;
# chapter 5's sanity checks ask whether it comes from the model or from the image.

# %% [markdown]
# **The checkerboard.** Look closely at the deconvnet pictures: many show a fine grid of
# brighter and darker pixels. It comes from the way back, not from the photo. SqueezeNet's
# `conv1` (3×3, stride 2) and its max-pooling layers (3×3, stride 2) overlap unevenly: on the
# way back each unit spreads its signal over a 3×3 patch every 2 pixels, so pixels on the
# overlaps collect from two or four units and the others from one (Odena, Dumoulin & Olah 2016,
# *Deconvolution and checkerboard artifacts*, Distill). Measured: the share of each projection's
# energy on the four pixel parities (even/odd row × even/odd column). Without a grid each would
# hold about a quarter.

# %%
def parity_shares(projection):
    e = energy(projection)
    return [e[r::2, c::2].sum() / e.sum() for r in (0, 1) for c in (0, 1)]

uneven = {}   # largest minus smallest parity share, per projection set
print(f"{'':26s} energy on rows,cols =  even,even  even,odd  odd,even  odd,odd")
for proj in list(projections.values()) + [guided]:
    shares = np.mean([parity_shares(p) for p in proj.images], axis=0)
    print(f"{proj.rule:9s} {proj.layer_name:16s} {'':22s}" + "".join(f"{s:10.2f}" for s in shares))
    uneven[proj.rule, proj.layer_name] = max(shares) - min(shares)
print(verdict(uneven["deconvnet", "conv1"] > 0.05, "the deconvnet's conv1 projections are uneven over "
              "the parities (a grid):\n  the largest and smallest share differ by more than 0.05"))


# %% [markdown]
# ## 2. Occlusion: hide a patch, watch the score
#
# Occlusion needs nothing but forward passes. Slide a grey square over the image; at each
# position record how much the **elephant logit** drops (the logit, like Grad-CAM: a probability
# also drops when a patch merely helps a competing class). A drop means the patch held evidence.
# Each position is one forward pass, so the cost is set by patch and stride: a 48-px patch with a
# 16-px stride gives 13 × 13 = 169 occluded images, sent through the network 32 at a time.
# One position by hand:

# %%
PATCH, STRIDE = 48, 16
occluded = img.copy()
occluded[0, 64:64 + PATCH, 64:64 + PATCH] = 127.5          # a grey square over the calf
before = class_scores(model, img, target, score="logit")[0]
after = class_scores(model, occluded, target, score="logit")[0]
print(f"logit {before:.2f} → {after:.2f} with the calf's body hidden: drop {before - after:.2f}")

# %%
# NBVAL_IGNORE_OUTPUT
start = time.perf_counter()
occlusion = occlusion_sensitivity(model, img, target, patch=PATCH, stride=STRIDE)   # progress bar
occlusion_prob = occlusion_sensitivity(model, img, target, patch=PATCH, stride=STRIDE, score="probability")
grid = occlusion_drops(model, img, target, patch=PATCH, stride=STRIDE, progress=False)
print(f"occlusion maps: {time.perf_counter() - start:.1f} s")

# %%
LAYER = "fire9_concat"    # the last fire module (chapter 5 says why not conv10)
grad = heatmaps.upsample(cam.grad_cam(model, img, target, LAYER), (H, W))
print("occlusion grid:", grid.drops.shape, f"largest logit drop {grid.drops.max():.2f}, "
      f"largest rise {-grid.drops.min():.2f}")
peak_in, with_grad = {}, {}
for name, heat in [("Grad-CAM", grad), ("occlusion (logit)", occlusion), ("occlusion (probability)", occlusion_prob)]:
    row, col = heatmaps.peak_location(heat)
    peak_in[name] = where(row, col)
    inside = [f"{k} {heatmaps.mass_in_box(heat, box, (H, W)):.2f}" for k, box in boxes.items()]
    print(f"{name:24s} peak (row {row:3d}, col {col:3d}) → {peak_in[name]:6s}  mass in boxes: {', '.join(inside)}")
    if heat is not grad:  # on its own line: lines over 100 characters wrap mid-number
        with_grad[name] = heatmaps.correlation(heat, grad)
        print(f"{'':24s} correlation with Grad-CAM {with_grad[name]:.2f}")
print(verdict(peak_in["Grad-CAM"] == peak_in["occlusion (logit)"] != "no box",
              "Grad-CAM and occlusion (logit) peak on the same animal"))
print(verdict(with_grad["occlusion (logit)"] > 0.5, "the two maps correlate clearly (above 0.5)"))
print(verdict(with_grad["occlusion (probability)"] < with_grad["occlusion (logit)"] - 0.3,
              "scored by probability, occlusion answers another question: it correlates far\n"
              "  less with Grad-CAM"))

# %%
fig, axes = plt.subplots(1, 4, figsize=(16, 4.4))
axes[0].imshow(img[0].astype("uint8"))
axes[0].set_title("the photo")
axes[0].axis("off")
for ax, (title, heat) in zip(axes[1:], [("Grad-CAM (fire9_concat)", grad), ("occlusion, logit drop", occlusion),
                                        ("occlusion, probability drop", occlusion_prob)]):
    plot_superimposed(img, heat, alpha=0.5, title=title, boxes=boxes, ax=ax)
fig.tight_layout()
plt.show()

# %% [markdown]
# Two very different methods — one reads gradients inside the network, the other only watches
# the output while hiding parts of the photo — agree on the main point when the lines above say
# so: the same animal under both peaks, and a clear correlation. The probability version shows
# why we score logits: a probability also falls when a *competitor* (water buffalo, hartebeest)
# gains, so that map answers a different question, and its peak and correlation show it.
#
# ## Summary
#
# * Deconvnet projections and guided backpropagation are gradients with a changed ReLU rule.
#   They show *what a filter responds to*, and what one unit sees grows with depth, from a
#   few pixels (edges, corners) to most of an animal (object parts).
# * The deconvnet's checkerboard is an artefact of strided layers run backwards, not a pattern
#   in the photo: the parity shares above say how strong it is.
# * Occlusion needs no gradients and agrees with Grad-CAM on where the evidence is, at the cost
#   of one forward pass per patch position; score logits, not probabilities.
#
# **Exercises:** [`exercises/04_exercises.ipynb`](exercises/04_exercises.ipynb): occlude one
# patch (4.1), the three ReLU rules on the way back (4.2), and one unit projected down to the
# pixels by each rule (4.3).
#
# **Next:** [chapter 5](05_trusting_heatmaps.ipynb) puts every method on trial: can we trust a
# heatmap?

# %%
# NBVAL_IGNORE_OUTPUT
print(f"chapter run time: {time.perf_counter() - chapter_start:.0f} s")
