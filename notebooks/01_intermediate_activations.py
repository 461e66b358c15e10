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
# # Chapter 1 — What a small convnet sees in a cat
#
# A convnet turns an image into a stack of *feature maps*: each layer answers the question
# "where in the picture is my pattern?" for each of its filters (its **channels**). Looking at
# those maps — the **intermediate activations** — is the most direct way to watch a convnet work.
#
# We reproduce the classic walkthrough (*Deep Learning with Python*, "Visualizing intermediate
# activations") on Keras 3:
#
# 1. a small convnet trained from scratch on 2,000 cats-vs-dogs images (it ships with the course);
# 2. a cat photo the model never saw;
# 3. one channel of the first layer, then every channel of every convolution and pooling layer;
# 4. numbers for each claim the walkthrough makes: the first layer keeps almost all the
#    information, deeper layers are more abstract, and activations get sparser with depth.

# %%
import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import numpy as np
import matplotlib.pyplot as plt
import keras

from course_utils import assets
from course_utils.images import course_cat, chelsea, load_image, to_uint8
from course_utils.small_convnet import (CLASS_NAMES, IMAGE_SIZE, load_small_convnet,
                                        predict_dog_probability, training_record)
from course_utils.activations import (layer_activations, plot_channel_grid, sparsity_table,
                                      input_similarity, centroid_accuracy)

keras.utils.set_random_seed(0)  # same numbers on every run

# %% [markdown]
# ## The model
#
# Five `Conv2D` layers (32 → 64 → 128 → 256 → 256 filters, 3×3, ReLU) with `MaxPooling2D`
# between them, then `Flatten`, `Dropout(0.5)` and one sigmoid unit: the probability that the
# image is a **dog** (class 1; class 0 is cat). The model takes raw 0–255 pixels: a `Rescaling`
# layer inside divides by 255, and a data-augmentation block (random flips, rotations and zooms)
# is active only during training. It was trained once from scratch and committed to `data/`
# with its training record (`python -m course_utils train` retrains it in ~20 minutes).

# %%
model = load_small_convnet()
model.summary()

# %%
record = training_record()
print(f"trained {record['epochs_run']} epochs (best: epoch {record['best_epoch']}), seed {record['seed']}")
print(f"held-out test accuracy: {record['test_accuracy']:.3f} on {record['test_images']} images never used in training")

# %% [markdown]
# ## A cat the model never saw
#
# The book uses `cat.1700.jpg` from the test part of the Dogs-vs-Cats data. The course finds it
# through its asset mirror (`$COURSE_ASSET_MIRROR`); without it, scikit-image's `chelsea` cat
# (installed with the course) stands in. The next cell says which one you are looking at.

# %%
img_tensor, which_cat = course_cat(size=IMAGE_SIZE)
print(which_cat)
print("image batch:", img_tensor.shape, img_tensor.dtype, f"values {img_tensor.min():.0f}…{img_tensor.max():.0f}")
plt.imshow(to_uint8(img_tensor))
plt.axis("off")
plt.show()

# %%
p_dog = predict_dog_probability(model, img_tensor)[0]
print(f"P(dog) = {p_dog:.3f}  →  the model says: {CLASS_NAMES[int(p_dog > 0.5)]}")

p_chelsea = predict_dog_probability(model, load_image(chelsea(), IMAGE_SIZE))[0]
print(f"scikit-image's chelsea: P(dog) = {p_chelsea:.3f}  →  {CLASS_NAMES[int(p_chelsea > 0.5)]}")

# %% [markdown]
# A probability above 0.5 means *dog*. A model that is right on about four test images out of
# five is wrong on the fifth, so read the verdict above as evidence, not truth; chapter 3's
# Grad-CAM shows *where* in the photo such a verdict comes from.
#
# ## One model in, many outputs out
#
# To read what a layer computes, build a second model that shares the first one's layers and
# returns the outputs of every convolution and pooling layer. Keras 3 note: use
# `model.inputs` — `model.input` fails on `Sequential` models.

# %%
layer_outputs = []
layer_names = []
for layer in model.layers:
    if isinstance(layer, (keras.layers.Conv2D, keras.layers.MaxPooling2D)):
        layer_outputs.append(layer.output)
        layer_names.append(layer.name)
activation_model = keras.Model(inputs=model.inputs, outputs=layer_outputs)

activations = activation_model.predict(img_tensor, verbose=0)
first_layer_activation = activations[0]
print(first_layer_activation.shape)

# %% [markdown]
# 178×178 (a 3×3 convolution without padding loses one pixel on each side) with 32 channels.
# Here is channel 5:

# %%
plt.matshow(first_layer_activation[0, :, :, 5], cmap="viridis")
plt.title("conv2d, channel 5")
plt.show()

# %% [markdown]
# The course's `layer_activations` does the same in one call (for Sequential, Functional and
# nested models alike) and keeps the layer names. It gives exactly the same numbers:

# %%
acts = layer_activations(model, img_tensor)
for name, ours in zip(layer_names, activations):
    print(f"{name:16s} {str(acts[name].shape):22s} identical: {np.array_equal(acts[name], ours)}")

# %% [markdown]
# ## Every channel of every layer
#
# Each tile is one channel, normalised on its own (mean to mid-grey, ±1 std to ±64 levels) so
# that weak and strong channels are equally visible. A channel that is zero everywhere (its
# filter found nothing in this image) stays **blank** — it is not stretched into noise.

# %%
for name, activation in acts.items():
    plot_channel_grid(name, activation, columns=16)
    plt.show()

# %% [markdown]
# ## The walkthrough's claims, measured
#
# **1. "The first layer keeps almost all the information in the picture."** For each channel we
# measure how much it still *looks like the picture*: the correlation of the channel with the
# image's brightness, at the channel's resolution.
#
# **2. "Deeper layers are more abstract."** Less and less like the picture, more and more about
# the class. The second number is measured on 100 held-out test images (50 cats, 50 dogs): average
# each channel over the image, then ask how well those per-channel averages separate cats from
# dogs (leave-one-out nearest-centroid accuracy; 0.5 is chance).

# %%
similarity = {name: input_similarity(a, img_tensor) for name, a in acts.items()}

if assets.is_available("cats_vs_dogs_small"):
    from course_utils.small_convnet import load_split
    test_images, test_labels = load_split(assets.asset_path("cats_vs_dogs_small", download=False), "test")
    pick = np.r_[0:50, 500:550]  # the first 50 cats and the first 50 dogs of the test split
    batch_acts = layer_activations(model, test_images[pick].astype("float32"))
    separability = {n: centroid_accuracy(a.mean(axis=(1, 2)), test_labels[pick]) for n, a in batch_acts.items()}
else:
    print("cats_vs_dogs_small is not on this machine: skipping the cat-vs-dog separability column.")
    separability = {n: float("nan") for n in acts}

print(f"{'layer':16s} {'looks like the picture':>24s} {'':>8s} {'separates cats/dogs':>20s}")
print(f"{'':16s} {'best channel':>14s} {'median':>9s} {'':>8s} {'(chance 0.50)':>20s}")
for name in acts:
    s = similarity[name]
    print(f"{name:16s} {s.max():14.2f} {np.median(s):9.2f} {'':>8s} {separability[name]:20.2f}")

# %% [markdown]
# Read the table top to bottom: the first layer has channels that are almost a copy of the
# picture (a best correlation close to 1), and that likeness fades with depth (the last maps are
# only 7×7: with 49 positions, a best correlation around 0.5 among 256 channels is what chance
# alone gives). Meanwhile the channels' averages say more and more about *cat or dog*. That is
# what "more abstract" means: less about *this* image's pixels, more about its class.
#
# **3. "Activations get sparser with depth."** Count the channels that are zero everywhere for this
# cat (blank tiles above), and the fraction of all activation values that are exactly zero:

# %%
table = sparsity_table(acts)
print(f"{'layer':16s} {'shape':>16s} {'blank channels':>15s} {'zero values':>12s}")
for row in table:
    print(f"{row['layer']:16s} {str(row['shape']):>16s} {row['blank_channels']:15.3f} {row['zero_values']:12.3f}")

from scipy.stats import spearmanr
conv_rows = [r for r in table if r["layer"].startswith("conv")]
print("blank-channel fraction, first conv → last conv:", conv_rows[0]["blank_channels"], "→", conv_rows[-1]["blank_channels"])
trend = spearmanr(range(len(conv_rows)), [r["blank_channels"] for r in conv_rows]).statistic
print(f"rank correlation of blank-channel fraction with conv depth: {trend:+.2f}  (+1 = grows at every layer)")

# %%
depth = np.arange(len(table))
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(depth, [r["blank_channels"] for r in table], "o-", label="blank channels")
ax.plot(depth, [r["zero_values"] for r in table], "s-", label="zero values")
ax.set_xticks(depth, [r["layer"] for r in table], rotation=45, ha="right")
ax.set_ylabel("fraction")
ax.set_title("Sparsity by depth (this cat)")
ax.legend()
plt.show()

# %% [markdown]
# Early filters (edges, colours) fire somewhere in almost any photo; deep filters encode
# patterns such as "cat ear" or "dog snout" that are simply absent from most images, so more
# of them stay silent. The trend is not perfectly monotonic (the rank correlation says how
# close it is), and it is measured on one image: try another in the exercises. A max-pooling
# layer keeps every blank channel blank, but its share of zero values drops, because each output
# keeps the largest of four neighbours.
#
# ## Explore
#
# Pick a layer and a channel. The widget calls `course_utils.widgets.activations.channel_view`,
# a plain function you can also call yourself.

# %%
# NBVAL_IGNORE_OUTPUT
from course_utils.widgets.activations import activation_explorer, channel_view
activation_explorer(acts)

# %%
channel_map, caption = channel_view(acts, "conv2d_4", 0)
print(caption)

# %% [markdown]
# ## What to take away
#
# - A convnet's layers can be read one by one: build a model from `model.inputs` to the layer outputs.
# - The first layer is a bank of edge and colour detectors that keep almost everything visible in the photo.
# - With depth, maps get smaller, less like the picture, more about the class, and sparser.
#
# Next chapter: instead of asking what a filter does *on one image*, we ask which image a filter
# likes best.
