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
# # Chapter 4 — Beyond Grad-CAM: deconvnet projections, occlusion, and honest sanity checks
#
# Chapter 3 drew beautiful heatmaps. This chapter asks the uncomfortable question: **is a
# pretty heatmap an explanation of the model?** We meet three more ways of looking inside a
# convnet and then put every method on trial:
#
# 1. **Deconvnet projections** (Zeiler & Fergus 2014): what in the image made a filter fire?
# 2. **Occlusion sensitivity** (same paper): hide a patch, see the class score drop — no
#    gradients at all, so a good referee for Grad-CAM.
# 3. **Faithfulness**: delete (or reveal) pixels in heatmap order and watch the score; a map
#    that points at the real evidence makes the score fall (rise) fast.
# 4. **Sanity checks** (Adebayo et al. 2018): destroy the model layer by layer; a method whose
#    map does not change was never explaining the model.
#
# **Model and budget.** As in chapter 3 we pin **SqueezeNet v1.1** (Xception's weights are not
# shipped with this offline course). The whole chapter runs in a few minutes on two CPU cores
# because of four choices, each stated where it is made: occlusion patches of 48 px with a
# 16 px stride (169 forward passes per map), 16 deletion/insertion steps (17 passes per curve),
# six photos, and a randomisation cascade of ten steps (one per SqueezeNet module).

# %%
# %matplotlib inline
import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import time
import warnings

import numpy as np
import matplotlib.pyplot as plt
import keras
from skimage import data

from course_utils import assets, cam
from course_utils.images import walkthrough_image
from course_utils.deconvnet import footprint, project_filters, projection_to_uint8, top_filters
from course_utils.faithfulness import deletion_curve, deletion_insertion, insertion_curve, random_heatmap
from course_utils.layers import feature_extractor
from course_utils.models import load_imagenet_model
from course_utils.occlusion import class_scores, occlusion_drops, occlusion_sensitivity
from course_utils.overlay import plot_superimposed, superimpose
from course_utils.sanity import cascading_randomization, edge_map
from course_utils.widgets.compare import comparison_explorer

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
box_fractions = ({"calf": (0.17, 0.33, 0.55, 0.60), "mother": (0.45, 0.12, 1.00, 0.56)} if is_elephant
                 else {"cat": (0.10, 0.05, 0.90, 0.95)})
boxes = {k: (round(x0 * W), round(y0 * H), round(x1 * W), round(y1 * H)) for k, (x0, y0, x1, y1) in box_fractions.items()}
on_animals = np.zeros((H, W), bool)
for x0, y0, x1, y1 in boxes.values():
    on_animals[y0:y1, x0:x1] = True
print("boxes (x0, y0, x1, y1):", boxes)
print(f"the boxes cover {on_animals.mean():.2f} of the image")

def where(row, col):
    return ", ".join(k for k, (x0, y0, x1, y1) in boxes.items() if x0 <= col < x1 and y0 <= row < y1) or "no box"


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
    axes[row, 0].set_title(f"{depth}: {proj.layer}", fontsize=10)
    for col, (f, image) in enumerate(zip(proj.filters, proj.images), start=1):
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
    share = np.mean([energy(p)[on_animals].sum() / energy(p).sum() for p in projections[depth].images])
    measures[depth] = (extent, share)
    print(f"{depth:6s} {layer:16s} one unit sees ~{extent:5.1f} px   energy on the animals {share:.2f}")

# %%
fig, axes = plt.subplots(3, 4, figsize=(10, 7.8))
for row, (depth, proj) in enumerate(peaks.items()):
    half = int(max(8, measures[depth][0]))            # crop around each unit's projection
    for col, (f, image) in enumerate(zip(proj.filters, proj.images)):
        r, c = np.unravel_index(np.argmax(energy(image)), (H, W))
        r0, c0 = np.clip([r - half, c - half], 0, [H - 2 * half, W - 2 * half])
        crop = np.s_[r0:r0 + 2 * half, c0:c0 + 2 * half]
        axes[row, col].imshow(np.hstack([projection_to_uint8(image)[crop], img[0][crop].astype("uint8")]))
        axes[row, col].set_title(f"{proj.layer} #{f}", fontsize=8)
        axes[row, col].axis("off")
fig.suptitle("strongest unit of each filter: projection | the image patch it sees")
fig.tight_layout()
plt.show()

# %% [markdown]
# Both numbers move the way the seed says. The strongest `conv1` units project onto about two
# pixels — nothing bigger than a piece of edge or a corner fits in that — and the filters fire
# all over the grass and the sky: the animals get 0.17 of the energy although their boxes cover
# 0.32 of the image. By `fire5` a unit's projection spans about 20 pixels, room for a texture
# (wrinkled skin, grass), and 0.55 of the energy is on the animals; by `fire9` about 50 pixels,
# the size of a head or a leg at this resolution, with 0.72 on the animals.
#
# **Guided backpropagation for comparison.** The guided rule also blocks the signal where the
# forward pass was inactive. The same filters of the late layer, projected both ways:

# %%
late = layers_by_depth["late"]
guided = project_filters(model, img, late, filters=projections["late"].filters, rule="guided")
fig, axes = plt.subplots(2, 4, figsize=(12, 6.4))
for col in range(4):
    for row, proj in enumerate((projections["late"], guided)):
        axes[row, col].imshow(projection_to_uint8(proj.images[col]))
        axes[row, col].set_title(f"{proj.rule}  filter {proj.filters[col]}", fontsize=9)
        axes[row, col].axis("off")
fig.tight_layout()
plt.show()
for proj in (projections["late"], guided):
    share = np.mean([energy(p)[on_animals].sum() / energy(p).sum() for p in proj.images])
    print(f"{proj.rule:9s} energy on the animals {share:.2f}")
similar = np.mean([np.corrcoef(energy(a).ravel(), energy(b).ravel())[0, 1]
                   for a, b in zip(projections["late"].images, guided.images)])
print(f"correlation of the two projections' energy: {similar:.2f}")

# %% [markdown]
# Guided backpropagation's pictures are cleaner — 0.91 of their energy sits on the animals
# against the deconvnet's 0.72 — because every ReLU on the way down vetoes what the forward pass
# did not use. Remember that cleanliness; section 4 asks whether it comes from the model or from
# the image.
#
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
LAYER = "fire9_concat"    # the last fire module (see section 3 for why not conv10)
grad = cam.upsample(cam.grad_cam(model, img, target, LAYER), (H, W))
print("occlusion grid:", grid.drops.shape, f"largest logit drop {grid.drops.max():.2f}, "
      f"largest rise {-grid.drops.min():.2f}")
for name, heat in [("Grad-CAM", grad), ("occlusion (logit)", occlusion), ("occlusion (probability)", occlusion_prob)]:
    row, col = np.unravel_index(np.argmax(heat), heat.shape)
    inside = [f"{k} {heat[y0:y1, x0:x1].sum() / heat.sum():.2f}" for k, (x0, y0, x1, y1) in boxes.items()]
    agreement = "" if heat is grad else f"  correlation with Grad-CAM {cam.heatmap_correlation(heat, grad):.2f}"
    print(f"{name:24s} peak (row {row:3d}, col {col:3d}) → {where(row, col):6s}  mass in boxes: {', '.join(inside)}{agreement}")

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
# the output while hiding parts of the photo — agree on the main point: both peaks lie on the
# calf, and the maps correlate at 0.81. The probability version shows why we score logits: a
# probability also falls when a *competitor* (water buffalo, hartebeest) gains, so that map
# answers a different question — its peak lies outside both boxes, in the sky, and it correlates
# with Grad-CAM at only 0.15.
#
# ## 3. Faithfulness: deletion and insertion
#
# Agreement between two methods is not proof. A more direct test (Petsiuk et al., RISE 2018):
#
# * **deletion** — replace pixels by a blurred copy of the photo, most important first (by the
#   heatmap's ranking), and track the class probability. A faithful map makes it collapse fast:
#   *small* area under the curve.
# * **insertion** — start from the blurred photo and reveal pixels, most important first: a
#   faithful map makes the probability climb fast: *large* area.
#
# Areas are divided by the intact image's probability, so a confident and an unsure prediction
# count the same (insertion can exceed 1 when a partial image scores higher than the whole).
# We use 16 steps (6.25 % of the pixels each): 17 forward passes per curve. Replacing pixels by
# *blur*, not black: scattered black pixels are a strong unnatural signal of their own.

# %%
STEPS = 16
random_order = random_heatmap((H, W), seed=0)
curves = {name: (deletion_curve(model, img, heat, target, steps=STEPS), insertion_curve(model, img, heat, target, steps=STEPS))
          for name, heat in [("Grad-CAM", grad), ("occlusion", occlusion), ("random", random_order)]}
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for name, (dele, ins) in curves.items():
    axes[0].plot(dele.fractions, dele.scores, marker=".", label=f"{name} (area {dele.relative_auc:.2f})")
    axes[1].plot(ins.fractions, ins.scores, marker=".", label=f"{name} (area {ins.relative_auc:.2f})")
    print(f"{name:9s} deletion {dele.relative_auc:.2f}   insertion {ins.relative_auc:.2f}")
for ax, title in zip(axes, ("deletion: lower is better", "insertion: higher is better")):
    ax.set(title=title, xlabel="fraction of pixels removed / revealed", ylabel="P(class)")
    ax.legend()
plt.show()

# %% [markdown]
# Now the table: Grad-CAM, Grad-CAM++ and guided Grad-CAM (all at `fire9_concat`), occlusion
# (logit, 48/16), a **random** pixel order, and **random blobs** (a random 13 × 13 grid upsampled:
# a random map with the same blobby shape as a Grad-CAM map). Six photos: the elephants, the
# book's cat (`cat.1700.jpg`, when the course assets have it) and four photos that ship with
# scikit-image. Each photo is explained for its own top class.
#
# Why `fire9_concat` and not `conv10` (chapter 3's layer)? Behind `conv10` there is only global
# average pooling, so the gradient is the same at every position of the map, and Grad-CAM++'s
# per-position weights reduce exactly to Grad-CAM's: the two methods would print identical rows.

# %%
images = {"elephants" if is_elephant else "fallback": img}
if assets.is_available("cat_1700"):
    images["cat.1700"] = model.load(assets.asset_path("cat_1700", download=False))
else:
    print("cat.1700.jpg is not on this machine: the table uses the five other photos.")
for name in ("chelsea", "coffee", "astronaut", "rocket"):
    images[name] = model.load(getattr(data, name)())          # ship with scikit-image
classes = {name: (target if name == "elephants" else int(np.argmax(model.predict(x)[0]))) for name, x in images.items()}
for name, c in classes.items():
    p = model.predict(images[name])[0, c]
    print(f"{name:10s} → class {c:3d} {model.decode(np.eye(1000)[c][None], 1)[0][0][1]:18s} p = {p:.2f}")

# %%
METHODS = {
    "Grad-CAM": lambda x, c: cam.grad_cam(model, x, c, LAYER),
    "Grad-CAM++": lambda x, c: cam.grad_cam_plus_plus(model, x, c, LAYER),
    "guided Grad-CAM": lambda x, c: cam.heatmap(model, x, c, LAYER, "guided Grad-CAM"),
    "occlusion": lambda x, c: occlusion_sensitivity(model, x, c, patch=PATCH, stride=STRIDE, progress=False),
    "random": lambda x, c: random_heatmap(x.shape[1:3], seed=0),
    "random blobs": lambda x, c: random_heatmap(x.shape[1:3], seed=0, cells=13),
}

# %%
# NBVAL_IGNORE_OUTPUT
from tqdm.auto import tqdm

start = time.perf_counter()
maps, scores = {}, {}
for name in tqdm(images, desc="photos"):
    x, c = images[name], classes[name]
    maps[name] = {method: fn(x, c) for method, fn in METHODS.items()}
    scores[name] = {method: deletion_insertion(model, x, heat, c, steps=STEPS) for method, heat in maps[name].items()}
print(f"maps and curves for {len(images)} photos: {time.perf_counter() - start:.0f} s")


# %%
def print_table(metric):
    print(f"{metric:16s}" + "".join(f"{name:>11s}" for name in images) + f"{'mean':>8s}")
    for method in METHODS:
        values = [scores[name][method][metric] for name in images]
        print(f"{method:16s}" + "".join(f"{v:11.2f}" for v in values) + f"{np.mean(values):8.2f}")

print_table("deletion")      # lower is better
print()
print_table("insertion")     # higher is better

# %% [markdown]
# Read the table slowly; it is the chapter's lesson in miniature.
#
# * **Insertion** ranks the methods the way the pictures suggest: occlusion (mean 0.80; it
#   measures exactly this kind of evidence) and Grad-CAM (0.68) far ahead of the random order
#   (0.15) and the random blobs (0.34).
# * **Deletion** is dominated by *how* pixels are removed, not by *which*. Removing scattered
#   single pixels (the random order, and guided Grad-CAM's sharp speckles) turns the photo into
#   noise the network has never seen, and the probability collapses whatever was removed: guided
#   Grad-CAM "wins" with 0.04 and the random order ties Grad-CAM at 0.15. Random blobs, which
#   share Grad-CAM's blobby shape, do clearly worse (0.24); on the elephants, where the evidence
#   is spread over two animals, the random order is the worst of all (0.47).
# * So no single number certifies a heatmap: a metric has its own biases, and we should compare
#   methods only with maps of similar shape, or with both curves.
#
# ## 4. Sanity checks: does the map depend on the model at all?
#
# Adebayo et al. proposed the cleanest test: **randomise the model's weights**, from the top
# layer down, one block at a time, and recompute each map. If a map hardly changes after the
# network that produced it has been destroyed, it was explaining the *image*, not the model.
# The weights are re-drawn from each layer's own initialiser on a **clone**; the model above is
# untouched. Similarity is the Spearman rank correlation with the intact model's map. As a
# control we add an **edge detector**, a "saliency map" that never looks at the model. Ten steps:
# `conv10`, then fire9 … fire2 (each whole module at once), then `conv1`. Occlusion uses a 24-px
# stride here (81 passes per map) to keep the cascade quick.

# %%
steps = [["conv10"]] + [[f"fire{i}_squeeze1x1", f"fire{i}_expand1x1", f"fire{i}_expand3x3"] for i in range(9, 1, -1)] + [["conv1"]]
SANITY_METHODS = {
    "Grad-CAM": lambda m, x, c: cam.grad_cam(m, x, c, LAYER),
    "guided backprop": lambda m, x, c: cam.guided_backprop(m, x, c),
    "guided Grad-CAM": lambda m, x, c: cam.guided_grad_cam(m, x, c, LAYER),
    "occlusion": lambda m, x, c: occlusion_sensitivity(m, x, c, patch=PATCH, stride=24, progress=False),
    "edge detector": lambda m, x, c: edge_map(x),
}

# %%
# NBVAL_IGNORE_OUTPUT
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")    # an all-zero Grad-CAM of a destroyed model is expected, not a problem
    cascade = cascading_randomization(model, img, target, SANITY_METHODS, steps=steps, seed=0)
print(f"cascade: {time.perf_counter() - start:.0f} s")

# %%
print(f"{'randomised down to':16s}" + "".join(f"{label:>9s}" for label in cascade.labels))
for method, values in cascade.similarity.items():
    print(f"{method:16s}" + "".join(f"{v:9.2f}" for v in values))

# %%
shown = [0, 1, 2, 4, 6, 8, 10]
fig, axes = plt.subplots(len(SANITY_METHODS), len(shown), figsize=(2.2 * len(shown), 2.3 * len(SANITY_METHODS)))
for row, method in enumerate(SANITY_METHODS):
    for col, step in enumerate(shown):
        heat = cascade.maps[method][step]
        scale = max(float(np.percentile(heat, 99)), 1e-12)     # sparse maps (guided) stay visible
        axes[row, col].imshow(superimpose(img, np.clip(heat / scale, 0, 1), alpha=0.6))
        axes[row, col].axis("off")
        if row == 0:
            axes[row, col].set_title(cascade.labels[step], fontsize=9)
    axes[row, 0].text(-10, H / 2, method, rotation=90, va="center", ha="right", fontsize=10)
fig.suptitle("cascading randomisation: each column destroys one more block (top of the network first)")
fig.tight_layout()
plt.show()

fig, ax = plt.subplots(figsize=(9, 3.8))
for method, values in cascade.similarity.items():
    ax.plot(cascade.labels, values, marker="o", label=method)
ax.axhline(0, color="grey", linewidth=0.8)
ax.set(ylabel="rank correlation with the intact model's map", xlabel="randomised down to")
ax.legend(fontsize=8)
plt.xticks(rotation=45)
plt.show()

# %% [markdown]
# The edge detector's similarity stays at exactly 1.00: it ignores the model, and the test
# exposes it at once. Grad-CAM and occlusion lose most of their ranking the moment the classifier
# `conv10` is re-drawn (0.40 and 0.41), stay at or below 0.5 from there on apart from one
# occlusion step (0.83 at fire8), and end near zero: their maps depend on what the network has learned,
# which is what an explanation must do. Guided backpropagation barely moves: 0.99 after `conv10`,
# still above 0.9 with four fire modules destroyed, 0.72 with six. Its crisp pictures come
# largely from the image and the architecture (the ReLU masks, the pooling switches), not from
# what the model learned — Adebayo et al.'s central finding, measured here. Guided Grad-CAM
# inherits part of that insensitivity from its guided-backprop factor (0.76 after `conv10`).
#
# ## 5. Compare for yourself
#
# Pick a photo and some methods: the maps over the photo, each with its deletion and insertion
# areas from the table, best deletion first. (The maps were computed above, so the widget
# answers instantly.)

# %%
# NBVAL_IGNORE_OUTPUT
comparison_explorer(images, maps, scores)

# %%
# NBVAL_IGNORE_OUTPUT
print(f"chapter run time: {time.perf_counter() - chapter_start:.0f} s")

# %% [markdown]
# ## What to take away
#
# * Deconvnet projections and guided backpropagation are gradients with a changed ReLU rule.
#   They show *what a filter responds to*, and their receptive fields grow with depth, from a
#   few pixels (edges, corners) to most of an animal (object parts).
# * Occlusion needs no gradients and agrees with Grad-CAM on where the evidence is, at the cost
#   of one forward pass per patch position.
# * Deletion and insertion turn "faithful" into a number, but each metric has its own bias:
#   check a method against random baselines *of the same shape*.
# * The sanity check is the one to remember: if destroying the model leaves the map unchanged,
#   the map was never about the model.
