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
# # Chapter 5 — Can we trust a heatmap? Deletion, insertion and sanity checks
#
# Chapters 3 and 4 drew heatmaps four ways (Grad-CAM, Grad-CAM++, guided variants, occlusion),
# and they often agree. Agreement is not proof. This chapter puts every method on trial with
# two tests, together with six more that tools ship and [chapter 6](06_more_explanations.ipynb)
# explains (Layer-CAM, Eigen-CAM, Score-CAM, the plain gradient, SmoothGrad, integrated
# gradients; here each is just a function that returns a map, so you can read this chapter first):
#
# 1. **Faithfulness** (Petsiuk et al. 2018, *RISE*): delete (or reveal) pixels in heatmap order
#    and watch the score; a map that points at the real evidence makes the score fall (rise) fast.
# 2. **Sanity checks** (Adebayo et al. 2018, *Sanity checks for saliency maps*): destroy the model
#    layer by layer, or train it on shuffled labels; a method whose map does not change was
#    never explaining the model.
#
# **Learning objectives.** By the end of this chapter you can
#
# - compute deletion and insertion curves and their areas, and compare methods against random
#   baselines of the same shape;
# - explain why deletion with scattered pixels is biased, using a curve that *rises*;
# - run a cascading randomisation test and read a rank similarity (what a whole-map Spearman
#   correlation measures, and what it misses);
# - say which methods pass the sanity check and why guided backpropagation does not.
#
# **Model and budget.** SqueezeNet v1.1 again, on chapter 4's photo and boxes. The chapter runs
# in a few minutes on two CPU cores because of three choices, each stated where it is made: 16
# deletion/insertion steps (17 passes per curve), six photos, and a randomisation cascade of
# ten steps (one per SqueezeNet module). Time: about 45 minutes, then 20 for exercise 4.3.

# %%
# %matplotlib inline
import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import time
import warnings

import numpy as np
import matplotlib.pyplot as plt
import keras
from skimage import data

from course_utils import assets, cam, cam_variants, heatmaps, saliency
from course_utils.images import walkthrough_image
from course_utils.measured import approx, verdict
from course_utils.walkthrough import animal_boxes, boxes_at
from course_utils.faithfulness import (blurred, deletion_curve, deletion_insertion, insertion_curve,
                                      random_heatmap)
from course_utils.models import load_imagenet_model
from course_utils.occlusion import occlusion_sensitivity
from course_utils.overlay import superimpose
from course_utils.sanity import cascading_randomization, edge_map
from course_utils.widgets.compare import comparison_explorer

keras.utils.set_random_seed(0)      # same numbers on every run
chapter_start = time.perf_counter()

# %%
model = load_imagenet_model("squeezenet")   # pinned, as in chapter 4
img, which_photo, is_elephant = walkthrough_image(model.input_size)
H, W = model.input_size
target = model.class_index("African_elephant") if is_elephant else int(np.argmax(model.predict(img)[0]))
print(which_photo)
print(f"explaining class {target}, P = {model.predict(img)[0, target]:.3f}")
boxes = animal_boxes(is_elephant, (H, W))   # chapter 4's hand-drawn boxes, in pixels
print("boxes (x0, y0, x1, y1):", boxes)

def where(row, col):
    return boxes_at(boxes, row, col)


# %% [markdown]
# The two maps of chapter 4 we put on trial first: Grad-CAM at `fire9_concat` (the last fire
# module; section 1 says why not `conv10`) and occlusion (48-px patches, 16-px stride, logit).

# %%
# NBVAL_IGNORE_OUTPUT
LAYER = "fire9_concat"
PATCH, STRIDE = 48, 16
grad = heatmaps.upsample(cam.grad_cam(model, img, target, LAYER), (H, W))
occlusion = occlusion_sensitivity(model, img, target, patch=PATCH, stride=STRIDE)   # progress bar

# %%
print(f"correlation of occlusion with Grad-CAM: {heatmaps.correlation(occlusion, grad):.2f}")

# %% [markdown]
# ## 1. Faithfulness: deletion and insertion
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
# **A deletion curve that rises.** On the elephants the random order's deletion curve first goes
# *up*: blurring a scattered share of the pixels makes the model *more* sure of its class. How
# far, and what happens to the other classes at that point:

# %%
dele = curves["random"][0]
peak = int(np.argmax(dele.scores))
print(f"random-order deletion: P(class {target}) {dele.scores[0]:.2f} intact → "
      f"{dele.scores[peak]:.2f} with {dele.fractions[peak]:.0%} of the pixels blurred")
ranks = np.argsort(np.argsort(-random_order.ravel(), kind="stable")).reshape(H, W)  # as deletion does
partly = np.where((ranks < round(dele.fractions[peak] * H * W))[None, ..., None], blurred(img), img)
for label, x in [("intact", img), (f"{dele.fractions[peak]:.0%} blurred", partly), ("all blurred", blurred(img))]:
    top = ", ".join(f"{name} {p:.2f}" for _, name, p in model.decode(model.predict(x), top=3)[0])
    print(f"{label:14s} {top}")

# %% [markdown]
# A probability is a share of 1,000 classes. Replacing scattered pixels by their blurred
# version softens fine texture everywhere, and the top-3 lines show which classes lose share
# when it does; the class we explain can gain even though no evidence *for* it was added (the
# same reason chapter 4 scores occlusion with logits). So a deletion curve mixes two things:
# which pixels the map chose, and how the network reacts to a partly blurred, speckled photo it
# never saw in training. Keep that in mind for the table.
#
# Now the table: Grad-CAM, Grad-CAM++, guided Grad-CAM, Layer-CAM and Eigen-CAM (all at
# `fire9_concat`), Score-CAM (at `fire9_squeeze1x1`, for speed), occlusion (logit, 48/16), the three pixel-gradient maps (plain gradient,
# SmoothGrad with 16 noisy copies, integrated gradients with 16 steps from black; each pixel's
# |gradient| summed over the colours), a **random** pixel order, and **random blobs** (a random 13 × 13 grid upsampled:
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
SCORE_LAYER = "fire9_squeeze1x1"
METHODS = {
    "Grad-CAM": lambda x, c: cam.grad_cam(model, x, c, LAYER),
    "Grad-CAM++": lambda x, c: cam.grad_cam_plus_plus(model, x, c, LAYER),
    "guided Grad-CAM": lambda x, c: cam.heatmap(model, x, c, LAYER, "guided Grad-CAM"),
    "Layer-CAM": lambda x, c: cam_variants.layer_cam(model, x, c, LAYER),
    "Eigen-CAM": lambda x, c: cam_variants.eigen_cam(model, x, LAYER),          # takes no class
    # Score-CAM pays one forward pass per channel: fire9's squeeze layer (64 channels, 13 × 13)
    # instead of fire9_concat (512) makes it eight times cheaper
    "Score-CAM": lambda x, c: cam_variants.score_cam(model, x, c, SCORE_LAYER, batch_size=64),
    "occlusion": lambda x, c: occlusion_sensitivity(model, x, c, patch=PATCH, stride=STRIDE, progress=False),
    # pixel gradients are (H, W, 3) and signed: to_2d sums |gradient| over the colours
    "gradient": lambda x, c: heatmaps.to_2d(saliency.gradient_saliency(model, x, c)),
    "SmoothGrad": lambda x, c: heatmaps.to_2d(saliency.smoothgrad(model, x, c, samples=16)),
    "integrated gradients": lambda x, c: heatmaps.to_2d(saliency.integrated_gradients(model, x, c, steps=16).attributions),
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
    print(f"{metric:21s}" + "".join(f"{name:>10s}" for name in images) + f"{'mean':>7s}")
    for method in METHODS:
        values = [getattr(scores[name][method], metric) for name in images]   # a CurveAreas
        print(f"{method:21s}" + "".join(f"{v:10.2f}" for v in values) + f"{np.mean(values):7.2f}")

print_table("deletion")      # lower is better
print()
print_table("insertion")     # higher is better

# The reading of the table, line by line, from its means (the sentences below refer to these).
mean = {metric: {method: np.mean([getattr(scores[name][method], metric) for name in images]) for method in METHODS}
        for metric in ("deletion", "insertion")}
ins, dele = mean["insertion"], mean["deletion"]
on_elephants = {method: scores[next(iter(images))][method].deletion for method in METHODS}
print()
print(verdict(min(ins["occlusion"], ins["Grad-CAM"]) > max(ins["random"], ins["random blobs"]) + 0.2,
              "insertion: occlusion and Grad-CAM far ahead of both random baselines (by 0.2 or more)"))
print(verdict(dele["guided Grad-CAM"] == min(dele.values()),
              "deletion: guided Grad-CAM's scattered speckles \"win\" (the lowest mean)"))
print(verdict(abs(dele["random"] - dele["Grad-CAM"]) < 0.05,
              "deletion: the random pixel order about ties Grad-CAM (means within 0.05)"))
print(verdict(dele["random blobs"] > dele["Grad-CAM"] + 0.05,
              "deletion: random blobs, Grad-CAM's shape, do clearly worse than Grad-CAM"))
print(verdict(on_elephants["random"] == max(on_elephants.values()),
              f"deletion on the {next(iter(images))}: the random order is the worst of all"))
# the six newer methods
print(verdict(min(ins["Layer-CAM"], ins["Score-CAM"]) > ins["random blobs"],
              "insertion: Layer-CAM and Score-CAM beat random blobs of their own shape"))
print(verdict(ins["Eigen-CAM"] < max(ins["Grad-CAM"], ins["Score-CAM"]),
              "insertion: Eigen-CAM, blind to the class, trails the best class-specific CAM"))
print(verdict(max(dele[m] for m in ("gradient", "SmoothGrad", "integrated gradients")) < dele["random blobs"],
              "deletion: the scattered pixel-gradient maps all \"beat\" random blobs, as the speckles do"))
print(verdict(ins["SmoothGrad"] > ins["gradient"],
              "insertion: SmoothGrad's averaged gradient does better than the plain gradient"))

# %% [markdown]
# Read the table slowly; it is the chapter's lesson in miniature.
#
# * **Insertion** ranks the methods the way the pictures suggest: occlusion (it measures exactly
#   this kind of evidence) and Grad-CAM far ahead of the random order and the random blobs.
# * **Deletion** is dominated by *how* pixels are removed, not by *which*. Removing scattered
#   single pixels (the random order, and guided Grad-CAM's sharp speckles) turns the photo into
#   noise the network has never seen, and the probability collapses whatever was removed: guided
#   Grad-CAM "wins", and the random order can tie Grad-CAM. The plain gradient, SmoothGrad and
#   integrated gradients are speckled too, and profit from the same bias. Random blobs, which share Grad-CAM's
#   blobby shape, do worse; on the elephants, where the evidence is spread over two animals, the
#   random order can even be the worst of all.
# * Each of these readings is a line under the table, printed with ✓ only if this run's means
#   support it; a ✗ says where your run differs.
# * So no single number certifies a heatmap: a metric has its own biases, and we should compare
#   methods only with maps of similar shape, or with both curves.
#
# ## 2. Sanity checks: does the map depend on the model at all?
#
# Adebayo et al. proposed the cleanest test: **randomise the model's weights**, from the top
# layer down, one block at a time, and recompute each map. If a map hardly changes after the
# network that produced it has been destroyed, it was explaining the *image*, not the model.
# The weights are re-drawn from each layer's own initialiser on a **clone**; the model above is
# untouched. Similarity is the Spearman rank correlation with the intact model's map. As a
# control we add an **edge detector**, a "saliency map" that never looks at the model. Ten steps:
# `conv10`, then fire9 … fire2 (each whole module at once), then `conv1`. Occlusion uses a 24-px
# stride here (81 passes per map) to keep the cascade quick. All eleven methods of the table
# take part (the random baselines do not: they ignore the model by design); SmoothGrad and
# integrated gradients with 8 samples / steps here, as each runs eleven times.

# %%
layer_groups = [["conv10"]] + [[f"fire{i}_squeeze1x1", f"fire{i}_expand1x1", f"fire{i}_expand3x3"] for i in range(9, 1, -1)] + [["conv1"]]
SANITY_METHODS = {
    "Grad-CAM": lambda m, x, c: cam.grad_cam(m, x, c, LAYER),
    "guided backprop": lambda m, x, c: cam.guided_backprop(m, x, c),
    "guided Grad-CAM": lambda m, x, c: cam.guided_grad_cam(m, x, c, LAYER),
    "Layer-CAM": lambda m, x, c: cam_variants.layer_cam(m, x, c, LAYER),
    "Eigen-CAM": lambda m, x, c: cam_variants.eigen_cam(m, x, LAYER),
    "Score-CAM": lambda m, x, c: cam_variants.score_cam(m, x, c, SCORE_LAYER, batch_size=64),
    "occlusion": lambda m, x, c: occlusion_sensitivity(m, x, c, patch=PATCH, stride=24, progress=False),
    "gradient": lambda m, x, c: saliency.gradient_saliency(m, x, c),
    "SmoothGrad": lambda m, x, c: saliency.smoothgrad(m, x, c, samples=8),          # half the table's,
    "integrated gradients": lambda m, x, c: saliency.integrated_gradients(m, x, c, steps=8).attributions,  # ×11
    "edge detector": lambda m, x, c: edge_map(x),
}

# %%
# NBVAL_IGNORE_OUTPUT
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")    # an all-zero Grad-CAM of a destroyed model is expected, not a problem
    cascade = cascading_randomization(model, img, target, SANITY_METHODS, layer_groups=layer_groups, seed=0)
print(f"cascade: {time.perf_counter() - start:.0f} s")

# %%
# A randomised network's map is largely noise, and so is its similarity to anything: its digits
# change from CPU to CPU (≈). What holds everywhere is printed under the table, from the numbers.
widths = [max(7, len(label) + 1) for label in cascade.labels]   # narrow: 11 columns in 100 characters
print(f"{'randomised to':20s}" + "".join(f"{label:>{w}s}" for label, w in zip(cascade.labels, widths)))
for method, values in cascade.similarity.items():
    cells = [f"{values[0]:.2f}"] + [approx(v) for v in values[1:]]   # column 0: the intact model itself
    print(f"{method:20s}" + "".join(f"{c:>{w}s}" for c, w in zip(cells, widths)))
sim = cascade.similarity
at = {label: i for i, label in enumerate(cascade.labels)}          # column of each randomisation step
print()
print(verdict(min(sim["edge detector"]) > 0.999, "the edge detector never changes: it ignores the model"))
print(verdict(max(sim["Grad-CAM"][at["conv10"]], sim["occlusion"][at["conv10"]]) < 0.6,
              "Grad-CAM and occlusion lose most of their ranking once conv10 is re-drawn (< 0.6)"))
print(verdict(all(abs(v) < 0.4 for m in ("Grad-CAM", "occlusion") for v in sim[m][-3:]),
              "…and end near zero (within ±0.4 over the last three steps)"))
print(verdict(sim["guided backprop"][at["conv10"]] > 0.9 and sim["guided backprop"][at["fire6"]] > 0.8,
              "guided backprop barely moves: above 0.9 after conv10, above 0.8 with four\n"
              "  fire modules destroyed"))
print(verdict(sim["guided Grad-CAM"][at["conv10"]] > sim["Grad-CAM"][at["conv10"]] + 0.2,
              "guided Grad-CAM inherits part of that: after conv10 it stays well above Grad-CAM"))
# the six newer methods
print(verdict(sim["Eigen-CAM"][at["conv10"]] > 0.999 and sim["Eigen-CAM"][at["fire9"]] < 0.9,
              "Eigen-CAM ignores conv10, the layer that makes the class: unchanged after it is\n"
              "  re-drawn, changed once fire9 (its own layer) is"))
print(verdict(all(abs(v) < 0.5 for m in ("Layer-CAM", "Score-CAM") for v in sim[m][-3:]),
              "Layer-CAM and Score-CAM end near zero, like Grad-CAM (within ±0.5, last three steps)"))
print(verdict(all(abs(v) < 0.5 for m in ("gradient", "SmoothGrad", "integrated gradients") for v in sim[m][-3:]),
              "the pixel-gradient maps end near zero too (within ±0.5, last three steps)"))

# %% [markdown]
# **What a whole-map Spearman measures.** The similarity is the Spearman rank correlation over
# *every* pixel: it asks whether the two maps put all pixels in the same order, from the
# hottest to the coldest. Most pixels of a Grad-CAM map are cold background whose order is
# close to noise, so a map whose hot spot stays on the calf can still score low. A second
# measure looks only at the hot spot: the overlap (intersection over union) of the two maps'
# hottest 10 % of pixels, and where each map's peak lies, after randomising `conv10`:

# %%
def hottest(heat, share=0.10):
    m = heatmaps.at_image_size(heat, (H, W))
    return m >= np.quantile(m, 1 - share)

for method in ("Grad-CAM", "guided backprop", "occlusion"):
    intact, after = cascade.maps[method][0], cascade.maps[method][1]
    a, b = hottest(intact), hottest(after)
    peaks = [where(*heatmaps.peak_location(m, (H, W))) for m in (intact, after)]
    print(f"{method:16s} Spearman {approx(cascade.similarity[method][1]):>6s}   hottest-10% overlap "
          f"{approx((a & b).sum() / (a | b).sum())}   peak: {peaks[0]} → {peaks[1]}")

# %% [markdown]
# Why can a Grad-CAM map still point at the calf once `conv10` is random? Grad-CAM at
# `fire9_concat` is a weighted sum of that layer's channels, ReLU'd. Randomising `conv10` (the
# classifier *above* the layer) re-draws the weights, but the channels themselves are untouched:
# they are still strongest where the animals are, so many random weightings still peak there.
# The whole-map Spearman and the hottest-pixel overlap are both low because the *rest* of the
# ranking changed, and that is what the test should see: the map no longer explains the class.
# The peak alone would have hidden it; guided backpropagation keeps even its hottest pixels.

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
# Read the lines under the table (each ✓ was earned by this run's numbers). The edge detector
# ignores the model, and the test exposes it at once. Grad-CAM and occlusion lose most of their
# ranking the moment the classifier `conv10` is re-drawn and end near zero: their maps depend on
# what the network has learned, which is what an explanation must do. Guided backpropagation
# barely moves. Its crisp pictures come largely from the image and the architecture (the ReLU
# masks, the pooling switches), not from what the model learned — Adebayo et al.'s central
# finding, measured here. Guided Grad-CAM inherits part of that insensitivity from its
# guided-backprop factor. Eigen-CAM shows the test's other edge: it never reads the class
# layer, so re-drawing `conv10` cannot move it; it is a map of what `fire9` sees, for every
# class alike.
#
# ## 3. Data randomisation: a model that learnt nothing
#
# Adebayo et al.'s second test keeps the architecture and the training, and destroys the
# *labels*: the training photos get their cat/dog labels in a random order (a fixed seed), so
# the only way to fit them is to memorise each photo. Two small convnets (chapter 1's pattern of
# conv/pool blocks at 64 × 64 pixels, 500 training photos) were trained the same way, once on
# the true labels and once on the shuffled ones, and ship with the course
# (`course_utils/label_randomization.py`; the record is `data/label_randomization_training.json`).
# Their record first: the shuffled-label model must fit its training labels and be at chance on
# the validation photos, or it would not be the test.

# %%
from course_utils import label_randomization
from course_utils.images import course_cat

record = label_randomization.training_record()
for variant, r in record["models"].items():
    print(f"{variant:16s} train accuracy {r['final_train_accuracy']:.2f}   "
          f"validation accuracy {r['final_validation_accuracy']:.2f}")
trained = record["models"]
print(verdict(trained["shuffled_labels"]["final_train_accuracy"] > 0.9
              and abs(trained["shuffled_labels"]["final_validation_accuracy"] - 0.5) < 0.05,
              "the shuffled-label model memorised its training labels and is at chance on new photos"))
print(verdict(trained["true_labels"]["final_validation_accuracy"] > 0.6,
              "the true-label model learnt something that holds on new photos"))

# %% [markdown]
# Now both models explain the same held-out photo (the book's cat, from the test split, which
# neither model saw). Each has a single sigmoid output, P(dog); every method explains that one
# output, with the CAMs at `conv2d_2` (12 × 12) and occlusion with 16-px patches. The question
# per method: is the map of the model that learnt cats and dogs different from the map of the
# model that learnt nothing? Similarity is again the whole-map Spearman rank correlation.

# %%
small = {variant: label_randomization.load_model(variant) for variant in label_randomization.VARIANTS}
cat64, cat_source = course_cat(label_randomization.IMAGE_SIZE)
print(cat_source)
SMALL_LAYER = "conv2d_2"
DATA_METHODS = {
    "Grad-CAM": lambda m, x: cam.grad_cam(m, x, 0, SMALL_LAYER),
    "Grad-CAM++": lambda m, x: cam.grad_cam_plus_plus(m, x, 0, SMALL_LAYER),
    "Layer-CAM": lambda m, x: cam_variants.layer_cam(m, x, 0, SMALL_LAYER),
    "Eigen-CAM": lambda m, x: cam_variants.eigen_cam(m, x, SMALL_LAYER),
    "Score-CAM": lambda m, x: cam_variants.score_cam(m, x, 0, SMALL_LAYER),
    "occlusion": lambda m, x: occlusion_sensitivity(m, x, 0, patch=16, stride=8, progress=False),
    "guided backprop": lambda m, x: cam.guided_backprop(m, x, 0),
    "gradient": lambda m, x: saliency.gradient_saliency(m, x, 0),
    "SmoothGrad": lambda m, x: saliency.smoothgrad(m, x, 0, samples=16),
    "integrated gradients": lambda m, x: saliency.integrated_gradients(m, x, 0, steps=16).attributions,
    "edge detector": lambda m, x: edge_map(x),
}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")    # a flat map of the shuffled model is possible, and fine
    label_maps = {variant: {method: heatmaps.to_2d(fn(m, cat64)) for method, fn in DATA_METHODS.items()}
                  for variant, m in small.items()}
label_similarity = {method: heatmaps.rank_similarity(label_maps["true_labels"][method],
                                                     label_maps["shuffled_labels"][method])
                    for method in DATA_METHODS}
for variant, m in small.items():
    print(f"{variant:16s} P(dog) for the cat: {approx(float(m(cat64, training=False)[0, 0]))}")
print()
print(f"{'method':21s} rank similarity, true vs shuffled labels")
for method, value in label_similarity.items():
    print(f"{method:21s} {approx(value)}")
print()
# A method passes if its map changes with what the model learnt (rank similarity below 0.5).
for method, value in label_similarity.items():
    print(verdict(value < 0.5, f"{method}: the map changes when the labels are shuffled") if method != "edge detector"
          else verdict(value > 0.999, "edge detector: the same map for both models (it fails, as it must)"))

# %%
fig, axes = plt.subplots(2, len(DATA_METHODS), figsize=(1.6 * len(DATA_METHODS), 3.6))
for row, variant in enumerate(label_randomization.VARIANTS):
    for col, method in enumerate(DATA_METHODS):
        heat = heatmaps.at_image_size(label_maps[variant][method], label_randomization.IMAGE_SIZE)
        scale = max(float(np.percentile(heat, 99)), 1e-12)
        axes[row, col].imshow(superimpose(cat64, np.clip(heat / scale, 0, 1), alpha=0.6))
        axes[row, col].axis("off")
        if row == 0:
            axes[row, col].set_title(method, fontsize=8)
    axes[row, 0].text(-4, 32, variant.replace("_", "\n"), rotation=90, va="center", ha="right", fontsize=8)
fig.suptitle("the same cat, explained by a model trained on true (top) and shuffled (bottom) labels")
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the verdict lines: each ✓ says the method's map depends on what the model learnt; a ✗
# says the map survives the destruction of the labels, so it shows the photo and the
# architecture rather than the model's knowledge. The edge detector is the control again.
# Compare the ✗ lines with section 2: guided backpropagation, which barely moved when the
# weights were re-drawn, is judged here by the other side of the same question, and so is each
# method whose map follows the photo's edges rather than the model. The two tests,
# cascade and labels, ask the same question from two sides, and a method worth trusting must
# pass both.
#
# ## 4. Compare for yourself
#
# Pick a photo and some methods: the maps over the photo, each with its deletion and insertion
# areas from the table, for all thirteen maps of section 1. Neither number alone certifies a
# map (section 1): read both, against the random baselines of the same shape. (The maps were
# computed above, so the widget answers instantly, the slow ones too.)

# %%
# NBVAL_IGNORE_OUTPUT
comparison_explorer(images, maps, scores)

# %%
# NBVAL_IGNORE_OUTPUT
print(f"chapter run time: {time.perf_counter() - chapter_start:.0f} s")

# %% [markdown]
# ## Summary
#
# * Deletion and insertion turn "faithful" into a number, but each metric has its own bias:
#   deleting scattered pixels can even *raise* a class probability. Compare a method with random
#   baselines *of the same shape*, and read both curves.
# * A whole-map Spearman correlation weighs every pixel's rank, the cold background too; a hot
#   spot that survives randomisation can hide behind a low score, so look at the hottest pixels
#   as well.
# * The sanity check is the one to remember: if destroying the model leaves the map unchanged
#   (the edge detector, and nearly guided backpropagation), the map was never about the model.
#   Shuffling the training labels asks the same question from the data side: a map that looks
#   the same for a model that learnt nothing fails.
#
# **Exercises:** [`exercises/05_exercises.ipynb`](exercises/05_exercises.ipynb): a
# model-randomisation test with occlusion maps (5.1), a deletion curve against a random order
# (5.2), and rank similarity against top-10% overlap, where guided backpropagation fails the
# sanity check (5.3).
#
# **Next:** [chapter 6](06_more_explanations.ipynb) opens the six newer methods of the table:
# what each computes, and what it promises. The [start page](00_start_here.ipynb) lists the
# papers behind every method.
