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
#
# **Learning objectives.** By the end of this chapter you can
#
# - build a Keras model that returns the activations of every layer of another model;
# - read a layer's feature maps: shape, what a channel responds to, what a blank channel means;
# - back the three classic claims (information kept, abstraction, sparsity) with numbers, and
#   say how much of each number is what chance alone would give.
#
# Looking at a trained network's intermediate feature maps to understand it goes back to
# Zeiler & Fergus (2014), *Visualizing and understanding convolutional networks*; the walkthrough
# itself is F. Chollet's. Time: about 45 minutes, then 30 for the exercises.

# %%
import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import numpy as np
import matplotlib.pyplot as plt
import keras

from course_utils import assets
from course_utils.measured import verdict
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
# layer inside divides by 255. Data augmentation (random flips, rotations and zooms) was applied
# only while training, outside the saved model, so calling the model never alters an image. It
# was trained once from scratch and committed to `data/` with its training record
# (`python -m course_utils train` retrains it; the record below says how long that took).

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
# ### The Keras 3 augmentation trap
#
# For training, the random augmentation goes *in front of* the model (`training_graph`). Call
# that graph the plain way and it augments: Keras 3's random preprocessing layers default to
# `training=True` when called, so the same cat gets a new flip, rotation and zoom, and a new
# P(dog), on every call. With `training=False` (or `predict`, which runs in inference mode) they
# are switched off: one image, one answer. That is why the saved model holds no augmentation.

# %%
from course_utils.small_convnet import training_graph

trainer = training_graph(model)
plain = [float(trainer(img_tensor)[0, 0]) for _ in range(2)]
inference = [float(trainer(img_tensor, training=False)[0, 0]) for _ in range(2)]
print("training graph, plain calls:       P(dog) =", ", ".join(f"{p:.3f}" for p in plain))
print("training graph, training=False:    P(dog) =", ", ".join(f"{p:.3f}" for p in inference))
print("the model itself (inference only): P(dog) =", f"{float(model(img_tensor)[0, 0]):.3f}")

# %% [markdown]
# A probability above 0.5 means *dog*. The model is still wrong on the share of test images its
# accuracy (printed above) leaves out, so read the verdict above as evidence, not truth;
# chapter 3's Grad-CAM shows *where* in the photo such a verdict comes from.
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
# Here is channel 5, the one the book shows, beside the channel that fires on the largest share
# of this cat. How much of each map is active (above zero) is printed: a channel that is almost
# blank is not broken, its filter simply found little of its pattern in this photo.

# %%
def active_share(channel_map):
    return float(np.mean(channel_map > 0))

first = first_layer_activation[0]
busiest = int(np.argmax([active_share(first[:, :, c]) for c in range(first.shape[-1])]))
fig, axes = plt.subplots(1, 2, figsize=(8, 4))
for ax, c in zip(axes, (5, busiest)):
    ax.matshow(first[:, :, c], cmap="viridis")
    ax.set_title(f"conv2d, channel {c}: {active_share(first[:, :, c]):.0%} active", fontsize=10)
    ax.axis("off")
plt.show()
shares = [active_share(first[:, :, c]) for c in range(first.shape[-1])]
peak = first[:, :, 5].max() + 0.0  # + 0.0: oneDNN's ReLU gives -0.0 for a negative input
print(f"channel 5: {shares[5]:.1%} of positions active, max {peak:.3g}")
print(f"all 32 channels: median {np.median(shares):.1%} active; "
      f"{np.mean(np.array(shares) < 0.05):.0%} of channels are active on under 5% of positions")

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
# dogs (leave-one-out nearest-centroid accuracy; 0.5 is chance, as the classes are balanced).
#
# How high can "best channel" get by luck? A small map has few positions, and the best of many
# channels is the luckiest one. The **chance** column answers it: the same best correlation
# after shuffling the positions of every map (20 shuffles, averaged), which keeps each
# channel's values but destroys any likeness to the picture.
#
# The 100 test images come from the cats-vs-dogs subset (Microsoft's 786 MB archive). Without it
# the column says so; set `FETCH_SUBSET = True` to fetch it here (a progress bar shows the
# download), or run `python -m course_utils assets --prefetch --all` in a terminal.

# %%
FETCH_SUBSET = False  # True: download and build the cats-vs-dogs subset if it is missing

def chance_similarity(activation, image, shuffles=20, seed=0):
    """Mean best-channel |correlation| with the picture once every map's positions are shuffled."""
    rng = np.random.default_rng(seed)
    _, h, w, n = activation.shape
    flat = activation.reshape(h * w, n)
    return float(np.mean([input_similarity(flat[rng.permutation(h * w)].reshape(1, h, w, n), image).max()
                          for _ in range(shuffles)]))

similarity = {name: input_similarity(a, img_tensor) for name, a in acts.items()}
chance = {name: chance_similarity(a, img_tensor) for name, a in acts.items()}

batch_acts = None
if assets.is_available("cats_vs_dogs_small") or FETCH_SUBSET:
    from course_utils.small_convnet import load_split
    test_images, test_labels = load_split(assets.asset_path("cats_vs_dogs_small"), "test")
    pick = np.r_[0:50, 500:550]  # the first 50 cats and the first 50 dogs of the test split
    batch_acts = layer_activations(model, test_images[pick].astype("float32"))
    separability = {n: f"{centroid_accuracy(a.mean(axis=(1, 2)), test_labels[pick]):.2f}"
                    for n, a in batch_acts.items()}
else:
    print("The cats-vs-dogs subset is not on this machine, so the separability column is empty.")
    print("To fill it: set FETCH_SUBSET = True above and re-run this cell (786 MB download),")
    print("or run `python -m course_utils assets --prefetch --all` in a terminal.")
    separability = {n: "(no subset)" for n in acts}

print(f"{'layer':16s} {'looks like the picture':>31s}   {'separates cats/dogs':>20s}")
print(f"{'':16s} {'best channel':>13s} {'chance':>8s} {'median':>8s}   {'(chance 0.50)':>20s}")
for name in acts:
    s = similarity[name]
    print(f"{name:16s} {s.max():13.2f} {chance[name]:8.2f} {np.median(s):8.2f}   {separability[name]:>20s}")
first_name, last_name = list(acts)[0], list(acts)[-1]
lead = {name: similarity[name].max() - chance[name] for name in acts}    # likeness above luck
print(verdict(lead[first_name] > 0.5, f"{first_name} has a near-copy of the picture, far above chance"))
print(verdict(lead[last_name] < lead[first_name] / 2, "with depth the best channel's lead over chance "
              f"shrinks (to under half by {last_name})"))
if batch_acts is not None:
    print(f"cats/dogs from channel averages: {separability[first_name]} at {first_name}, "
          f"{separability[last_name]} at {last_name}")
    print(verdict(float(separability[last_name]) > float(separability[first_name]),
                  "the channel averages tell cats from dogs better at the last layer than at the first"))

# %% [markdown]
# Read the table top to bottom, comparing each best channel with its chance level. The first
# layer has channels that are almost a copy of the picture, far above chance (shuffled maps of
# 178×178 positions correlate with nothing). With depth the best channel's lead over chance
# shrinks: the last maps are only 7×7, and with 49 positions and 256 channels luck alone already
# gives a sizeable best correlation, so only the part above the chance column is likeness.
# Meanwhile the channels' averages tell cats from dogs better at the last layer than at the
# first. The lines under the table say, from the numbers, whether each of these holds for your
# run. That is what "more abstract" means: less about *this* image's pixels, more about its class.
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
trends = {}
for key, label in (("blank_channels", "blank-channel fraction"), ("zero_values", "zero-value fraction")):
    trends[key] = spearmanr(range(len(conv_rows)), [r[key] for r in conv_rows]).statistic
    print(f"{label}, first conv → last conv: {conv_rows[0][key]:.3f} → {conv_rows[-1][key]:.3f}; "
          f"rank correlation with depth {trends[key]:+.2f}")
print("(+1 = grows at every conv layer, 0 = no trend)")
steady = [label for key, label in (("blank_channels", "blank channels"), ("zero_values", "zero values"))
          if trends[key] >= 0.8]
print("On this cat, sparsity grows steadily with depth by:", ", ".join(steady) if steady else "neither measure;")
if not steady:
    print("the walkthrough's claim holds only loosely here (see the many-photo check below).")

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
# The walkthrough's explanation of sparsity: deep filters encode patterns such as "cat ear" or
# "dog snout" that are simply absent from most images, while early filters (edges, colours)
# should find *something* in almost any photo. One cat is a small sample, and the table shows
# blank first-layer channels on it. So check the explanation on many photos: for each conv
# layer, the share of its channels that fire somewhere in at least 90 of the 100 test photos,
# and the share that stay blank on all of them (a filter that never fires: dead, not selective).

# %%
if batch_acts is None:
    print("Needs the cats-vs-dogs subset (see the separability cell above).")
else:
    print(f"{'conv layer':16s} {'blank on this cat':>18s} {'fire in ≥90% of photos':>23s} "
          f"{'blank on all 100':>17s}")
    for row in conv_rows:
        fires = batch_acts[row["layer"]].max(axis=(1, 2)) > 0        # (photos, channels)
        in_photos = fires.mean(axis=0)                                # per channel
        print(f"{row['layer']:16s} {row['blank_channels']:18.2f} {np.mean(in_photos >= 0.9):23.2f} "
              f"{np.mean(in_photos == 0):17.2f}")
    blank_here = acts[conv_rows[0]["layer"]][0].max(axis=(0, 1)) == 0
    fires_elsewhere = batch_acts[conv_rows[0]["layer"]].max(axis=(1, 2)).max(axis=0) > 0
    print(f"{conv_rows[0]['layer']}: of its {blank_here.sum()} channels blank on this cat, "
          f"{(blank_here & fires_elsewhere).sum()} fire on at least one of the 100 photos")
    always = [np.mean((batch_acts[r["layer"]].max(axis=(1, 2)) > 0).mean(axis=0) >= 0.9) for r in conv_rows]
    print(f"fire in ≥90% of photos, first conv → last conv: {always[0]:.2f} → {always[-1]:.2f} "
          f"(rank correlation with depth {spearmanr(range(len(always)), always).statistic:+.2f})")

# %% [markdown]
# Read the columns against the claim. A channel blank on this cat but not on all 100 photos is
# *selective* (its pattern is missing from this photo), not dead (a filter training left
# unused). So "early filters fire in almost any photo" holds for the first-layer channels in the
# "≥90%" column, not for all: the blank tiles of the first layer are the others. The last
# printed line compares the first and last conv layers and says how steadily the share of
# always-on channels falls with depth (a negative rank correlation) for this model: the
# walkthrough's trend is a tendency to measure, not a law. A max-pooling layer keeps every blank
# channel blank, but its share of zero
# values drops, because each output keeps the largest of four neighbours.
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
# ## Summary
#
# - A convnet's layers can be read one by one: build a model from `model.inputs` to the layer
#   outputs (Keras 3: `model.input` fails on `Sequential`).
# - The first layer is a bank of edge and colour detectors: its best channels are near-copies of
#   the picture, well above what chance gives; some of its channels are blank, and the
#   100-photo count says whether they are dead or selective.
# - With depth, maps get smaller and less like the picture (closer to the chance level), and
#   their averages say more about the class. Whether they also get sparser, and how steadily,
#   is measured above on this cat and on 100 photos rather than assumed.
#
# **Exercises:** [`exercises/01_exercises.ipynb`](exercises/01_exercises.ipynb) — sparsity and
# likeness per layer on a photo you choose, and the inference-mode trap.
#
# **Next:** [chapter 2](02_filter_patterns.ipynb) turns the question around: instead of asking
# what a filter does *on one image*, it asks which image a filter likes best.
