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
# # Chapter 6 — The rest of the family: saliency, SmoothGrad, Integrated Gradients, Score-CAM, Layer-CAM, Eigen-CAM
#
# The libraries you will meet after this course (pytorch-grad-cam, Captum, tf-keras-vis,
# Xplique) ship more methods than chapters 3 and 4 computed. This chapter computes the six that
# are asked about most, each against something we already trust, with a number:
#
# 1. **Pixel gradients.** The plain gradient (Simonyan, Vedaldi & Zisserman 2014), SmoothGrad
#    (Smilkov et al. 2017) and Integrated Gradients (Sundararajan, Taly & Yan 2017).
# 2. **More class activation maps.** Score-CAM (Wang et al. 2020), Layer-CAM (Jiang et al.
#    2021) and Eigen-CAM (Muhammad & Yeasin 2020).
#
# **Learning objectives.** By the end of this chapter you can
#
# - say why a raw input gradient is noisy, and what SmoothGrad's two knobs (noise level,
#   samples) buy;
# - check Integrated Gradients' *completeness* (the attributions add up to f(x) − f(baseline))
#   and choose its number of steps by the gap;
# - show that Integrated Gradients depends on its baseline, with a rank similarity;
# - explain Score-CAM as the bridge between CAM and occlusion, and Layer-CAM as Grad-CAM with
#   per-position weights;
# - show that Eigen-CAM is class-agnostic: the same map for every class.
#
# **Model and budget.** SqueezeNet v1.1 again, on the walkthrough photo and chapter 4's boxes.
# The chapter runs in about two minutes on two CPU cores because of three choices, each stated
# where it is made: 16 to 32 noisy copies for SmoothGrad, at most 64 steps for Integrated
# Gradients, and Score-CAM at one layer for two images only (its cost is one forward pass per
# channel). Time: about 40 minutes.

# %%
# %matplotlib inline
import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import time

import numpy as np
import matplotlib.pyplot as plt
import keras

from course_utils import cam, cam_variants, heatmaps, saliency
from course_utils.faithfulness import blurred
from course_utils.images import cat_and_dog_image, walkthrough_image
from course_utils.layers import feature_extractor
from course_utils.measured import approx, verdict
from course_utils.models import load_imagenet_model
from course_utils.occlusion import occlusion_sensitivity
from course_utils.overlay import plot_superimposed
from course_utils.targets import class_scores
from course_utils.walkthrough import animal_boxes, box_mask

keras.utils.set_random_seed(0)      # same numbers on every run
chapter_start = time.perf_counter()

# %%
model = load_imagenet_model("squeezenet")   # pinned, as in chapters 4 and 5
img, which_photo, is_elephant = walkthrough_image(model.input_size)
print(which_photo)
H, W = model.input_size
probs = model.predict(img)
for index, name, p in model.decode(probs, top=3)[0]:
    print(f"  {name:18s} (class {index:3d})  {p:.3f}")
target = model.class_index("African_elephant") if is_elephant else int(np.argmax(probs[0]))
runner_up = [int(c) for c in np.argsort(-probs[0]) if c != target][0]   # the next class, for section 6
boxes = animal_boxes(is_elephant, (H, W))
on_animals = box_mask(boxes, (H, W))
print(f"explaining class {target}; the animals' boxes cover {on_animals.mean():.2f} of the image")


def show_map(ax, attribution, title):
    """A pixel attribution as a picture: |gradient| summed over colours, clipped at its 99th
    percentile (a few huge pixels would otherwise make the rest black)."""
    m = heatmaps.to_2d(attribution)
    ax.imshow(m, cmap="gray", vmin=0, vmax=np.percentile(m, 99))
    ax.set_title(title, fontsize=9)
    ax.axis("off")


# %% [markdown]
# ## 1. The plain gradient: where would a small change move the score?
#
# Simonyan et al.'s saliency map is the gradient of the class logit with respect to the input
# pixels, one number per pixel and colour; we show its absolute value summed over the colours.
# It answers a local question (which pixels, nudged, change the logit most), and a ReLU network
# answers it piece by piece: every unit that switches on or off changes the slope. So the map is
# speckled, and it changes when the photo changes by less than the eye can see. Measured: the
# same photo with Gaussian noise of two grey levels added. (The probability line shows that
# SqueezeNet itself notices such noise; the question is how much more the *map* moves.)

# %%
vanilla = saliency.gradient_saliency(model, img, target)
nearby = np.clip(img + np.random.default_rng(1).normal(0.0, 2.0, img.shape), 0, 255).astype("float32")
vanilla_nearby = saliency.gradient_saliency(model, nearby, target)
print(f"gradient {vanilla.shape}; the nearby photo differs by at most {np.abs(nearby - img).max():.0f} "
      "grey levels")
print(f"P(class) {class_scores(model, img, target)[0]:.3f} → {class_scores(model, nearby, target)[0]:.3f}"
      " on the nearby photo")
vanilla_stable = heatmaps.rank_similarity(vanilla, vanilla_nearby)
print(f"rank similarity of the two gradient maps: {vanilla_stable:.2f}")
print(f"share of the gradient on the animals: {heatmaps.mass_in_mask(heatmaps.to_2d(vanilla), on_animals):.2f}")
print(verdict(vanilla_stable < 0.9, "an invisible change reorders the plain gradient map: rank similarity "
              "below 0.9"))

# %% [markdown]
# ## 2. SmoothGrad: average the gradient over noisy copies
#
# SmoothGrad takes the gradient at many copies of the photo, each with Gaussian noise added, and
# averages. Two knobs: the **noise level** (a standard deviation, as a share of the input's value
# range) and the number of **samples**. The speckle that depends on exactly which units are on
# averages out; what stays is evidence that holds in a neighbourhood of the photo. We use 16 or
# 32 samples (one gradient each, 16 per backward pass) and three noise levels.

# %%
NOISE, SAMPLES = 0.15, 32        # the paper's suggested range is 10-20 % noise
smooth = saliency.smoothgrad(model, img, target, samples=SAMPLES, noise=NOISE, seed=0)
smooth_nearby = saliency.smoothgrad(model, nearby, target, samples=SAMPLES, noise=NOISE, seed=0)
smooth_stable = heatmaps.rank_similarity(smooth, smooth_nearby)
print(f"SmoothGrad ({SAMPLES} samples, noise {NOISE}): rank similarity photo vs nearby photo "
      f"{smooth_stable:.2f}\n  (plain gradient {vanilla_stable:.2f})")
print(verdict(smooth_stable > vanilla_stable, "smoothing makes the map more stable under the invisible change"))

# Samples: two runs with different noise draws agree better the more samples they average.
by_seed = {}
for n in (8, SAMPLES):
    a, b = (saliency.smoothgrad(model, img, target, samples=n, noise=NOISE, seed=s) for s in (1, 2))
    by_seed[n] = heatmaps.rank_similarity(a, b)
    print(f"{n:2d} samples: two noise draws agree at rank similarity {by_seed[n]:.2f}")
print(verdict(by_seed[SAMPLES] > by_seed[8], "more samples, less dependence on the draw"))

# %%
levels = {}
for noise in (0.05, NOISE, 0.30):
    levels[noise] = smooth if noise == NOISE else saliency.smoothgrad(model, img, target, samples=16,
                                                                      noise=noise, seed=0)
    print(f"noise {noise:.2f}: rank similarity with the plain gradient "
          f"{heatmaps.rank_similarity(levels[noise], vanilla):.2f}, share on the animals "
          f"{heatmaps.mass_in_mask(heatmaps.to_2d(levels[noise]), on_animals):.2f}")
drift = [heatmaps.rank_similarity(levels[n], vanilla) for n in sorted(levels)]
print(verdict(drift[0] > drift[1] > drift[2], "the more noise, the further the map moves from the plain gradient"))
fig, axes = plt.subplots(1, 5, figsize=(16, 3.6))
axes[0].imshow(img[0].astype("uint8"))
axes[0].set_title("the photo", fontsize=9)
axes[0].axis("off")
show_map(axes[1], vanilla, "plain gradient")
for ax, (noise, m) in zip(axes[2:], sorted(levels.items())):
    show_map(ax, m, f"SmoothGrad, noise {noise:.2f}")
fig.tight_layout()
plt.show()

# %% [markdown]
# Too little noise leaves the speckle; too much blurs the photo's own detail away and the map
# drifts towards "anything elephant-sized in the middle". The paper's range is a middle ground,
# and more samples only make the estimate of that average steadier: they do not change what
# is averaged.
#
# ## 3. Integrated Gradients: completeness, and a baseline you must choose
#
# A gradient is a slope at one point. Integrated Gradients walks the straight path from a
# **baseline** x' (an image that "has no evidence", black by default) to the photo x, averages
# the gradient along it and multiplies by x − x'. Its promise, *completeness*: the attributions
# add up to f(x) − f(x'), the logit's change from baseline to photo. The integral is a sum over
# `steps` points (the trapezoid rule), so the promise holds up to a gap that shrinks as steps
# grow. Measured: the gap for 8 to 64 steps (steps + 1 gradients each).

# %%
gaps = {}
for steps in (8, 16, 32, 64):
    ig = saliency.integrated_gradients(model, img, target, baseline=0.0, steps=steps)
    gaps[steps] = ig.completeness_gap
    print(f"{steps:2d} steps: sum of attributions {ig.attributions.sum(dtype='float64'):6.2f}   "
          f"f(x) − f(black) = {ig.logit:.2f} − {ig.baseline_logit:.2f} = {ig.logit - ig.baseline_logit:.2f}   "
          f"gap {approx(ig.completeness_gap)}")
rise = ig.logit - ig.baseline_logit
sizes = [abs(g) for g in gaps.values()]
print(verdict(all(a >= b for a, b in zip(sizes, sizes[1:])), "the gap shrinks as the steps grow"))
print(verdict(sizes[-1] < 0.02 * rise, "at 64 steps the attributions add up to f(x) − f(baseline) "
              "within 2 %"))

# %% [markdown]
# The gap does not go to zero by itself: every ReLU that switches along the path bends the
# curve, and a finite sum cuts the corners. Choose the steps by the printed gap, not by a
# habit; here we keep 32 for the comparisons below.
#
# **Which baseline?** Black is one choice of "no evidence". Two others are common: a blurred
# copy of the photo (no detail, same colours) and random noise. Each asks a different question
# (what does the photo add to black? to its own blur? to noise?), and the map follows the
# question.

# %%
baselines = {"black": 0.0, "blurred": blurred(img)[0],
             "noise": np.random.default_rng(0).uniform(0, 255, img.shape[1:]).astype("float32")}
ig_maps = {}
for name, baseline in baselines.items():
    ig = saliency.integrated_gradients(model, img, target, baseline=baseline, steps=32)
    ig_maps[name] = ig.attributions
    print(f"{name:8s} baseline: f(baseline) {ig.baseline_logit:5.2f}   sum of attributions "
          f"{ig.attributions.sum(dtype='float64'):6.2f}   share on the animals "
          f"{heatmaps.mass_in_mask(heatmaps.to_2d(ig.attributions), on_animals):.2f}")
pairs = [("black", "blurred"), ("black", "noise"), ("blurred", "noise")]
between = {pair: heatmaps.rank_similarity(ig_maps[pair[0]], ig_maps[pair[1]]) for pair in pairs}
for (a, b), s in between.items():
    print(f"rank similarity {a:7s} vs {b:7s} {s:.2f}")
print(verdict(max(between.values()) < 0.8, "the baseline changes the map: no two baselines agree at rank "
              "similarity 0.8 or more"))
fig, axes = plt.subplots(1, 4, figsize=(13, 3.6))
axes[0].imshow(img[0].astype("uint8"))
axes[0].set_title("the photo", fontsize=9)
axes[0].axis("off")
for ax, (name, attribution) in zip(axes[1:], ig_maps.items()):
    show_map(ax, attribution, f"Integrated Gradients, {name} baseline")
fig.tight_layout()
plt.show()

# %% [markdown]
# Completeness holds for every baseline, and the maps still differ: completeness says how much
# there is to hand out, not to whom. From a black baseline, bright pixels have far to travel
# and collect much; from the blurred photo, only detail (edges, texture) differs, so that is
# where the attributions go. A reported Integrated Gradients map without its baseline is
# half a result.
#
# ## 4. Score-CAM: CAM's sum, occlusion's weights
#
# CAM and Grad-CAM (chapter 3) draw a weighted sum of a layer's channels, with weights from the
# head or the gradient. Occlusion (chapter 4) needs no gradient: it hides patches and watches
# the score. Score-CAM takes the sum from the first and the weights from the second: each
# channel, upsampled and scaled to 0…1, is a soft mask that *keeps* the part of the photo that
# channel fires on, and the channel's weight is how much the class probability of that masked
# photo exceeds a black image's. By hand for the 32 most active channels at `fire9_concat`
# (chapter 4's layer), one batch of 32 masked photos, and a look at the channel that scores best:

# %%
LAYER = "fire9_concat"
act = np.asarray(feature_extractor(model.model, [LAYER])(model.preprocess(img)))[0]   # (13, 13, 512)
active = np.argsort(-act.mean(axis=(0, 1)), kind="stable")[:32]
masks = np.stack([heatmaps.upsample((act[..., k] - act[..., k].min()) / np.ptp(act[..., k]), (H, W))
                  for k in active])
kept = img * masks[..., None]                                  # 32 soft occluders: keep, don't hide
black_p = class_scores(model, np.zeros_like(img), target)[0]
weights = class_scores(model, kept, target) - black_p
best = int(np.argmax(weights))
print(f"{LAYER}: {act.shape[-1]} channels, so {act.shape[-1]} masked forward passes per map")
print(f"P(class): black image {black_p:.3f}; best of the 32 masked photos {weights[best] + black_p:.3f} "
      f"(channel {active[best]})")
print(f"median weight of the 32 channels {approx(np.median(weights), '.1e')}")
fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
for ax, picture, title in zip(axes, (img[0], masks[best], kept[best]),
                              ("the photo", f"channel {active[best]}, scaled to 0…1", "the photo masked by it")):
    ax.imshow(picture.astype("uint8") if picture.ndim == 3 else picture, cmap="gray")
    ax.set_title(title, fontsize=9)
    ax.axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# Even the best channel keeps only a patch of the photo, and a mostly black photo rarely looks
# like an elephant to SqueezeNet: the weights are small probabilities, and the map rests on
# their differences. (That is why some implementations weigh by the logit or use smoother
# masks.)
#
# The library does this for every channel, 32 masked photos per forward pass, and for two
# classes at once (`score_cams`: each masked photo's output holds every class's probability;
# section 6 needs the runner-up class). We compare it with its two parents.

# %%
# NBVAL_IGNORE_OUTPUT
score_elephant, score_runner_up = cam_variants.score_cams(model, img, [target, runner_up], LAYER)
occlusion = occlusion_sensitivity(model, img, target, patch=48, stride=16)   # chapter 4's; progress bar

# %%
grad = cam.grad_cam(model, img, target, LAYER)
parents = {"Grad-CAM": grad, "occlusion": occlusion}
for name, heat in [("Score-CAM", score_elephant), *parents.items()]:
    print(f"{name:10s} share on the animals {heatmaps.mass_in_mask(heatmaps.upsample(heat, (H, W)), on_animals):.2f}")
with_parent = {name: heatmaps.correlation(score_elephant, heat) for name, heat in parents.items()}
for name, c in with_parent.items():
    print(f"Score-CAM vs {name:9s} correlation {c:.2f}")
print(f"Grad-CAM  vs occlusion correlation {heatmaps.correlation(grad, occlusion):.2f}")
print(verdict(min(with_parent.values()) > 0.5, "Score-CAM agrees clearly with both parents: correlation above "
              "0.5 with each"))
fig, axes = plt.subplots(1, 3, figsize=(12, 4.2))
for ax, (title, heat) in zip(axes, [("Score-CAM", score_elephant), ("Grad-CAM", grad),
                                    ("occlusion (48 px, stride 16)", occlusion)]):
    plot_superimposed(img, heat, alpha=0.5, title=title, boxes=boxes, ax=ax)
fig.tight_layout()
plt.show()

# %% [markdown]
# Score-CAM has no gradient, so it cannot be fooled by a gradient that is locally flat or
# noisy; the price is a forward pass per channel, where Grad-CAM needs one backward pass.
# (`bench/score_cam.py` measures what batching the masked passes saves.)
#
# ## 5. Layer-CAM: per-position weights, fine maps from early layers
#
# Grad-CAM pools a channel's gradient into one weight. At the last conv layer that is fine; at
# an early layer a channel (an edge or colour detector) fires all over the photo, the pooled
# gradient weighs all of it the same, and the map shows texture. Layer-CAM keeps the gradient
# where it is: weight = positive part of the gradient *at each position*. Measured at three
# depths, with Grad-CAM at the same layers:

# %%
depths = ["fire2_concat", "fire5_concat", LAYER]
both = {}
for layer in depths:
    both[layer] = (cam.grad_cam(model, img, target, layer), cam_variants.layer_cam(model, img, target, layer))
    on = [heatmaps.mass_in_mask(heatmaps.upsample(m, (H, W)), on_animals) for m in both[layer]]
    with_occ = [heatmaps.correlation(m, occlusion) for m in both[layer]]
    print(f"{layer:13s} {both[layer][0].shape[0]:2d}x{both[layer][0].shape[1]:<2d} Grad-CAM / Layer-CAM: "
          f"share on the animals {on[0]:.2f} / {on[1]:.2f}\n{'':20s}correlation with occlusion "
          f"{with_occ[0]:5.2f} / {with_occ[1]:.2f}")
early_on = [heatmaps.mass_in_mask(heatmaps.upsample(m, (H, W)), on_animals) for m in both["fire2_concat"]]
print(verdict(early_on[1] > max(early_on[0], on_animals.mean()) + 0.2, "at fire2_concat Layer-CAM is on the "
              "animals, Grad-CAM is not (more than\n  0.2 apart, and Layer-CAM above the boxes' share)"))
print(verdict(heatmaps.correlation(*both[LAYER]) > 0.8, f"at {LAYER} the two nearly agree (correlation above 0.8)"))
fig, axes = plt.subplots(2, 3, figsize=(11, 7.4))
for col, layer in enumerate(depths):
    for row, (method, heat) in enumerate(zip(("Grad-CAM", "Layer-CAM"), both[layer])):
        plot_superimposed(img, heat, alpha=0.5, title=f"{method}, {layer} ({heat.shape[0]}x{heat.shape[1]})",
                          boxes=boxes, ax=axes[row, col])
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 6. Eigen-CAM: no class, so no class discrimination
#
# Eigen-CAM needs neither gradient nor score: it projects the layer's activations on their first
# principal component, the spatial pattern that explains most of the layer's variance. That
# makes it cheap and often pretty, and *class-agnostic* by construction: `eigen_cam` takes no
# class, so every class gets the same map. First on the elephants, against the runner-up class
# (whose evidence, chapter 3 found, sits on the same animals):

# %%
eigen = cam_variants.eigen_cam(model, img, LAYER)
name_of = {target: model.decode(probs, top=1)[0][0][1] if is_elephant else str(target),
           runner_up: [n for i, n, _ in model.decode(probs, top=5)[0] if i == runner_up][0]}
print(f"classes {target} ({name_of[target]}) and {runner_up} ({name_of[runner_up]})")
two_class = {"Grad-CAM": heatmaps.rank_similarity(grad, cam.grad_cam(model, img, runner_up, LAYER)),
             "Score-CAM": heatmaps.rank_similarity(score_elephant, score_runner_up),
             "Eigen-CAM": heatmaps.rank_similarity(eigen, eigen)}     # one map serves both classes
for name, s in two_class.items():
    print(f"{name:9s} rank similarity of the two classes' maps {s:.2f}")
print(f"Eigen-CAM vs Grad-CAM ({name_of[target]}): rank similarity {heatmaps.rank_similarity(eigen, grad):.2f}")
print(verdict(two_class["Eigen-CAM"] > 0.9999 > max(two_class["Grad-CAM"], two_class["Score-CAM"]),
              "Eigen-CAM's two maps are identical; Grad-CAM's and Score-CAM's differ"))

# %% [markdown]
# On this photo the difference is small for every method: both classes' evidence is on the same
# animals. Chapter 3's sharper test puts two animals side by side, a cat left and a dog right,
# and asks how much of each class's map falls on its own animal. Score-CAM again explains both
# classes from one set of masked passes.

# %%
# NBVAL_IGNORE_OUTPUT
pets, which_pets = cat_and_dog_image(model.input_size)
if pets is not None:
    pet_probs = model.predict(pets)[0]
    cat_class = 281 + int(np.argmax(pet_probs[281:286]))   # ImageNet's domestic cats: 281-285
    dog_class = 151 + int(np.argmax(pet_probs[151:269]))   # its dogs: 151-268
    pet_score = dict(zip((cat_class, dog_class), cam_variants.score_cams(model, pets, [cat_class, dog_class], LAYER)))

# %%
print(which_pets)
if pets is not None:
    left = (0, 0, W // 2, H)                 # the cat's half, in pixels
    pet_eigen = cam_variants.eigen_cam(model, pets, LAYER)
    pet_maps = {}
    for method in ("Grad-CAM", "Score-CAM", "Eigen-CAM"):
        for c in (cat_class, dog_class):
            pet_maps[method, c] = {"Grad-CAM": lambda: cam.grad_cam(model, pets, c, LAYER),
                                   "Score-CAM": lambda: pet_score[c], "Eigen-CAM": lambda: pet_eigen}[method]()
    on_cat = {key: heatmaps.mass_in_box(heat, left, (H, W)) for key, heat in pet_maps.items()}
    print(f"share of each map on the cat's half (cat class {cat_class}, dog class {dog_class}):")
    for method in ("Grad-CAM", "Score-CAM", "Eigen-CAM"):
        print(f"  {method:9s} cat class {on_cat[method, cat_class]:.2f}   dog class {on_cat[method, dog_class]:.2f}"
              f"   rank similarity of the two {heatmaps.rank_similarity(pet_maps[method, cat_class], pet_maps[method, dog_class]):.2f}")
    for method in ("Grad-CAM", "Score-CAM"):
        print(verdict(on_cat[method, cat_class] > on_cat[method, dog_class] + 0.1,
                      f"{method} moves its heat to the animal asked about (cat class: more on the cat)"))
    print(verdict(on_cat["Eigen-CAM", cat_class] == on_cat["Eigen-CAM", dog_class],
                  "Eigen-CAM gives the cat and the dog class one and the same map"))
    print(verdict(on_cat["Eigen-CAM", cat_class] < 0.5, "so for the cat class it points mostly at the dog"))
    fig, axes = plt.subplots(2, 3, figsize=(11, 7.4))
    for col, method in enumerate(("Grad-CAM", "Score-CAM", "Eigen-CAM")):
        for row, c in enumerate((cat_class, dog_class)):
            plot_superimposed(pets, pet_maps[method, c], alpha=0.5, ax=axes[row, col],
                              title=f"{method}, {'cat' if c == cat_class else 'dog'} class {c}")
    fig.tight_layout()
    plt.show()

# %% [markdown]
# Eigen-CAM answers "what does this layer respond to most?", a question about the image and the
# layer, never about a class. Use it to look at a layer, not to explain a decision.
#
# ## Summary
#
# * The plain gradient is a local slope of a piecewise-linear function: speckled and unstable
#   under invisible changes. SmoothGrad averages it over noisy copies: noise level sets how far
#   it looks around the photo, samples only how steady the average is.
# * Integrated Gradients' attributions add up to f(x) − f(baseline) up to a gap you can print and
#   shrink with more steps; the map depends on the baseline, so report it.
# * Score-CAM weighs CAM's channels by occlusion-style forward passes, one per channel; Layer-CAM
#   keeps Grad-CAM's gradient per position and so gives fine maps from early layers; Eigen-CAM
#   takes no class and cannot tell a cat from a dog.
#
# **Chapter 5 tested these six too**: its deletion/insertion table, the model-randomisation
# cascade and the shuffled-label test include them ([chapter 5](05_trusting_heatmaps.ipynb),
# sections 1-3). **This is the last chapter.** The [start page](00_start_here.ipynb) lists the
# papers behind every method, to read next.

# %%
# NBVAL_IGNORE_OUTPUT
print(f"chapter run time: {time.perf_counter() - chapter_start:.0f} s")
