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
# # Chapter 3 — Where is the elephant? Class activation heatmaps
#
# A classifier says *"African elephant"*. Which pixels made it say so? A **class
# activation map** answers with a heatmap over the image: hot where the evidence for one class
# sits. We reproduce the Grad-CAM walkthrough (*Deep Learning with Python*, "Visualizing
# heatmaps of class activation") on Keras 3 and then test its claims with numbers:
#
# 1. the elephant photo and the model's top-3 predictions;
# 2. Grad-CAM, written out line by line, as a raw heatmap and over the photo;
# 3. **how much** of the heat falls on the mother and on the calf, and where the peak is;
# 4. class discrimination: other classes on the same photo, and a cat next to a dog;
# 5. the family: CAM (exact for global-average-pooled networks), Grad-CAM++, guided Grad-CAM;
# 6. Grad-CAM for every block of the network, from one forward and one backward pass.
#
# **Which network.** The walkthrough uses Xception. Its ImageNet weights (88 MB) are not part of
# this offline course, so we pin **SqueezeNet v1.1**, whose weights ship with the course. Every
# line below is the same for Xception; only the model name and the layer name change:
#
# ```python
# model = load_imagenet_model("xception")   # 299x299 input
# layer = "block14_sepconv2_act"            # Xception's last conv block: 10x10 heatmap
# ```

# %%
import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import numpy as np
import matplotlib.pyplot as plt
import keras
import tensorflow as tf

from course_utils import cam
from course_utils.images import cat_and_dog_image, to_uint8, walkthrough_image
from course_utils.models import imagenet_class_names, load_imagenet_model
from course_utils.overlay import (gradient_image, plot_heatmap, plot_heatmap_grid,
                                  plot_superimposed)

keras.utils.set_random_seed(0)  # same numbers on every run

# %% [markdown]
# ## The model
#
# SqueezeNet reaches AlexNet's accuracy with 1.2 M parameters: "fire" modules (1×1 squeeze,
# then 1×1 and 3×3 expand) and no dense layer at all. Its last conv layer, `conv10`, has one
# 13×13 map **per ImageNet class**; global average pooling turns each map into that class's
# logit, and a softmax turns the logits into probabilities. Keep that head in mind: it makes
# CAM exact below.

# %%
model = load_imagenet_model("squeezenet")   # pinned: Xception's weights are not shipped
print(model.name, "| ImageNet weights:", model.weights == "imagenet", "| input size:", model.input_size)
print("Grad-CAM layer of the walkthrough:", model.walkthrough_layers["cam"])
print("last layers:", [layer.name for layer in model.model.layers[-4:]])

# %% [markdown]
# ## The photo and the prediction
#
# Two African elephants, a mother and her calf, in the savannah. The course finds the photo
# through its asset mirror; without it the chapter continues on scikit-image's cat (the next
# cell says which photo you are looking at).

# %%
img, which_photo, is_elephant = walkthrough_image(model.input_size)
print(which_photo)
print("image batch:", img.shape, img.dtype, f"values {img.min():.0f}…{img.max():.0f}")
plt.imshow(to_uint8(img))
plt.axis("off")
plt.show()

# %%
preds = model.predict(img)
top = model.decode(preds, top=3)[0]
for rank, (index, name, p) in enumerate(top, 1):
    print(f"{rank}. {name:18s} (class {index:3d})  {p:.3f}")
target = model.class_index("African_elephant") if is_elephant else top[0][0]
print("explaining class", target, imagenet_class_names()[target])

# %% [markdown]
# SqueezeNet is less sure than the walkthrough's Xception, but it gets the species right:
# *African* elephant, ahead of the other two elephant classes, *tusker* and *Indian elephant*
# (their probabilities are printed in the class-discrimination section below).
#
# ## Grad-CAM, line by line
#
# Grad-CAM (Selvaraju et al., 2017) asks: if the class score went up, how much would each
# channel of a conv layer have to change? Take the gradient of the class **logit** (the input of
# the softmax, not the probability: the softmax mixes in every other class) with respect to the
# layer's output, average it over the map to get one weight per channel, and take the weighted
# sum of the channels. A ReLU keeps the positive evidence only.
#
# The walkthrough's key lines, on our model: one model with two outputs (the conv layer and
# the logits), one `GradientTape`.

# %%
layer_name = model.walkthrough_layers["cam"]          # "conv10_relu" (Xception: "block14_sepconv2_act")
net = model.model
grad_model = keras.Model(net.inputs, [net.get_layer(layer_name).output,
                                      net.get_layer("predictions_softmax").input])  # the logits

x = tf.constant(model.preprocess(img))                # never modifies img
with tf.GradientTape() as tape:
    conv_output, logits = grad_model(x, training=False)
    class_logit = logits[:, target]
grads = tape.gradient(class_logit, conv_output)        # (1, 13, 13, 1000)

pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))   # one weight per channel
heatmap = tf.nn.relu(conv_output[0] @ pooled_grads[..., None])[..., 0]
heatmap = (heatmap / tf.reduce_max(heatmap)).numpy()
print("heatmap", heatmap.shape, f"min {heatmap.min():.3f} max {heatmap.max():.3f}")

library = cam.grad_cam(model, img, target, layer_name)   # the same thing, from course_utils
print("course_utils.cam.grad_cam agrees:", np.allclose(heatmap, library, atol=1e-5))

# %%
plot_heatmap(heatmap, f"Grad-CAM at {layer_name}, raw {heatmap.shape[0]}x{heatmap.shape[1]}")
plt.show()

# %% [markdown]
# ## Over the photo, with numbers
#
# Upsampled to the image, coloured with the `jet` colormap and blended at opacity 0.4. The
# walkthrough says the heatmap "lights up" the elephants, the calf in particular. Rather than
# trusting our eyes we draw a box around each animal (by hand, in image pixels) and measure:
#
# * **mass in a box**: the share of the heatmap's total that falls inside it;
# * **concentration**: that share divided by the box's share of the image area (1 = no better
#   than uniform heat);
# * **peak**: the hottest cell, in image pixels.

# %%
H, W = model.input_size
# (x0, y0, x1, y1) as fractions of the photo, read off the picture; converted to pixels below
box_fractions = {"calf": (0.17, 0.33, 0.55, 0.60), "mother": (0.45, 0.12, 1.00, 0.56)} if is_elephant else {}
boxes = {k: (round(x0 * W), round(y0 * H), round(x1 * W), round(y1 * H))
         for k, (x0, y0, x1, y1) in box_fractions.items()}

inside = np.zeros((H, W), bool)                      # pixels in either box
for x0, y0, x1, y1 in boxes.values():
    inside[y0:y1, x0:x1] = True

def mass_in_animals(heat):
    up = cam.upsample(heat, (H, W))
    return float(up[inside].sum() / up.sum()) if up.sum() > 0 else 0.0

blended, fig = plot_superimposed(img, heatmap, alpha=0.4, boxes=boxes,
                                 title=f"Grad-CAM of '{top[0][1]}' at {layer_name}")
plt.show()
print("superimposed image:", blended.shape, blended.dtype)


# %%
def box_report(heat, boxes, label=""):
    row, col = cam.peak_location(heat, (H, W))
    hits = [k for k, (x0, y0, x1, y1) in boxes.items() if x0 <= col < x1 and y0 <= row < y1]
    print(f"{label}peak at pixel (row {row}, col {col}) → inside: {', '.join(hits) or 'no box'}")
    for k, box in boxes.items():
        mass = cam.mass_in_box(heat, box, (H, W))
        area = (box[2] - box[0]) * (box[3] - box[1]) / (H * W)
        print(f"{label}  {k:7s} box {box}: {mass:.3f} of the heat on {area:.3f} of the image "
              f"→ concentration {mass / area:.2f}")

if boxes:
    box_report(heatmap, boxes)
else:
    print("Not the elephant photo: no boxes to measure.")

# %% [markdown]
# The peak sits on the calf, and the calf's box holds more than twice the heat its area would
# get by chance (concentration > 2). The mother gets a larger share of the total mass, being
# larger, but at a lower concentration: the network finds "African elephant" most clearly in the
# calf's head and ear, as the walkthrough noted for Xception. (The boxes overlap a little where
# the calf stands in front of the mother's legs.)
#
# ## Class discrimination
#
# A heatmap should depend on the class asked about. On the same photo we ask for *tusker* and
# *Indian elephant* (classes that share the elephants' evidence), and for *water buffalo* and
# *hartebeest*, SqueezeNet's 2nd and 3rd guesses, which have no animal of their own in the picture.

# %%
classes = ["African_elephant", "tusker", "Indian_elephant", "water_buffalo", "hartebeest"]
maps = {name: cam.grad_cam(model, img, name, layer_name) for name in classes}
for name, heat in maps.items():
    p = preds[0, model.class_index(name)]
    corr = cam.heatmap_correlation(heat, maps["African_elephant"])
    masses = "  ".join(f"{k} {cam.mass_in_box(heat, b, (H, W)):.3f}" for k, b in boxes.items())
    print(f"{name:17s} p={p:.3f}  correlation with African_elephant {corr:.3f}  {masses}")
plot_heatmap_grid(maps, img, columns=5)
plt.show()

# %% [markdown]
# All five maps look alike (compare the correlations): on this photo SqueezeNet's 13×13 maps
# mostly say "large dark animal in grass", and the three elephant classes, but also the buffalo
# and the hartebeest it confuses them with, draw on the same regions. Hartebeest, the
# least elephant-like of the five, differs most. Class discrimination shows up only when the
# classes live in *different* places.
#
# So a sharper test puts two different objects side by side: a cat (left) and a dog (right),
# two photos from chapter 1's cats-vs-dogs set. We explain the best cat class and the best dog
# class, and measure how much heat falls in each half.

# %%
pets, which_pets = cat_and_dog_image(model.input_size)
print(which_pets)
if pets is not None:
    pet_preds = model.predict(pets)[0]
    cat_class = 281 + int(np.argmax(pet_preds[281:286]))   # ImageNet's domestic cats: 281-285
    dog_class = 151 + int(np.argmax(pet_preds[151:269]))   # its dogs: 151-268
    halves = {"left (cat)": (0, 0, W // 2, H), "right (dog)": (W // 2, 0, W, H)}
    pet_maps = {}
    for index in (cat_class, dog_class):
        name = imagenet_class_names()[index]
        pet_maps[name] = heat = cam.grad_cam(model, pets, index, layer_name)
        shares = "  ".join(f"{k} {cam.mass_in_box(heat, b, (H, W)):.3f}" for k, b in halves.items())
        print(f"{name:15s} p={pet_preds[index]:.3f}  peak {cam.peak_location(heat, (H, W))}  {shares}")
    plot_heatmap_grid(pet_maps, pets, columns=2)
    plt.show()

# %% [markdown]
# The cat class puts most of its heat on the left half, the dog class most of its heat on the
# right half, and each peak sits on its own animal: the same image, two classes, two different
# maps. Grad-CAM is *class-discriminative*, which plain saliency methods are not (see guided
# backpropagation below).
#
# ## CAM and Grad-CAM agree on SqueezeNet
#
# CAM (Zhou et al., 2016), Grad-CAM's ancestor, needs a particular head: conv feature maps
# $A_k$ → global average pooling → a dense layer with weights $w_{k,c}$. Then the class logit is
# $\sum_k w_{k,c}\,\mathrm{mean}(A_k)$ and the map $\sum_k w_{k,c} A_k$ shows where it comes
# from, with no gradient at all. For that head the gradient of the logit with respect to $A_k$ is
# $w_{k,c}/(h\,w)$ at every position, so Grad-CAM's weights *are* the CAM weights up to a
# constant: **CAM = Grad-CAM** after normalisation.
#
# SqueezeNet has that head with $w$ the identity: class $c$'s CAM is channel $c$ of `conv10_relu`.
# So at `conv10_relu` (and at `conv10`, just before its ReLU) the two must agree exactly; further
# down they may differ.

# %%
class_map = cam.class_activation_map(model, img, target)
print("CAM reads layer:", cam.gap_head(model)[0], class_map.shape)
for name in ["conv10_relu", "conv10", "fire9_concat", "fire8_concat", "fire7_concat"]:
    grad_map = cam.grad_cam(model, img, target, name)
    same = grad_map.shape == class_map.shape and np.allclose(grad_map, class_map, atol=1e-5)
    print(f"Grad-CAM at {name:13s} {str(grad_map.shape):9s} correlation with CAM "
          f"{cam.heatmap_correlation(grad_map, class_map):.3f}   identical: {same}")

# %% [markdown]
# Exact at `conv10_relu` and `conv10`, and nearly so at `fire9_concat`: between `fire9` and the
# logits there is only the 1×1 `conv10`, a per-pixel linear map, so Grad-CAM there is CAM minus
# the conv bias. Lower down the fire modules mix neighbouring pixels and the maps drift apart.
#
# ## Grad-CAM++ and guided Grad-CAM
#
# One layer below `conv10` the methods start to differ: at `conv10_relu` the gradient of class
# $c$'s logit touches channel $c$ only, so Grad-CAM, Grad-CAM++ and CAM all return that one
# channel. We compare the family at `fire9_concat`, the last fire module (512 channels, 13×13),
# the analogue of Xception's `block14_sepconv2_act`.
#
# * **Grad-CAM++** (Chattopadhay et al., 2018) weights each *position* of the gradient, not
#   just its average, so that several instances of a class share the credit instead of the
#   strongest one taking it all.
# * **Guided backpropagation** (Springenberg et al., 2015) sends the gradient back to the
#   pixels but lets through ReLUs only what is positive both forward and backward: a sharp,
#   edge-like picture, but not class-specific. **Guided Grad-CAM** multiplies it by the
#   upsampled Grad-CAM: sharp details, only where the class is.

# %%
family_layer = "fire9_concat"
grad_map = cam.grad_cam(model, img, target, family_layer)
plus_map = cam.grad_cam_plus_plus(model, img, target, family_layer)
guided = cam.guided_backprop(model, img, target)                 # (227, 227, 3), signed
guided_cam = cam.guided_grad_cam(model, img, target, family_layer)

print(f"at {family_layer}: Grad-CAM++ vs Grad-CAM correlation {cam.heatmap_correlation(plus_map, grad_map):.3f}")
if boxes:
    box_report(grad_map, boxes, "Grad-CAM    ")
    box_report(plus_map, boxes, "Grad-CAM++  ")
if boxes:
    for label, g in [("guided backprop", guided), ("guided Grad-CAM", guided_cam)]:
        energy = np.abs(g).sum(axis=-1)
        print(f"{label:16s}: {energy[inside].sum() / energy.sum():.3f} of the gradient magnitude "
              f"inside the boxes ({inside.mean():.3f} of the image)")

fig, axes = plt.subplots(1, 4, figsize=(16, 4.2))
plot_superimposed(img, grad_map, title=f"Grad-CAM, {family_layer}", ax=axes[0])
plot_superimposed(img, plus_map, title=f"Grad-CAM++, {family_layer}", ax=axes[1])
for ax, g, title in [(axes[2], guided, "guided backprop"), (axes[3], guided_cam, "guided Grad-CAM")]:
    ax.imshow(gradient_image(g))
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# Grad-CAM++ redistributes some of the credit between the two animals (compare the box
# masses), while keeping the same overall picture. Guided backpropagation is sharp: it traces
# the elephants' outlines, ears and tusks, and most of its magnitude is already on the animals,
# because that is where the image has structure; but it would draw almost the same picture for
# any class. Multiplied by Grad-CAM, even more of it lands inside the boxes and it becomes
# class-specific.
#
# ## Grad-CAM for every block, in one pass
#
# Which depth holds the class evidence? The walkthrough builds one gradient model per layer.
# But one backward pass from the logit already goes through every layer on its way down, so
# `grad_cam_gallery` reads all of them from a **single** forward and backward pass. The timing
# cell below compares it with one Grad-CAM and with the walkthrough's one-model-per-layer loop
# (timings vary from machine to machine, so nbval does not check that cell; `bench/cam.py` is
# the full benchmark).

# %%
# NBVAL_IGNORE_OUTPUT
import time

def seconds(fn):
    fn()                                   # the first call builds the graph: not counted
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start

blocks = cam.conv_block_layers(model)

def one_model_per_layer():
    for name in blocks:                    # the walkthrough's recipe, once per layer
        per_layer = keras.Model(net.inputs, [net.get_layer(name).output,
                                             net.get_layer("predictions_softmax").input])
        with tf.GradientTape() as tape:
            out, logits = per_layer(x, training=False)
            score = logits[:, target]
        tape.gradient(score, out)

single = seconds(lambda: cam.grad_cam(model, img, target, layer_name))
one_pass = seconds(lambda: cam.grad_cam_gallery(model, img, target))
naive = seconds(one_model_per_layer)
print(f"{len(blocks)} layers | one Grad-CAM {single:.2f} s | gallery in one pass {one_pass:.2f} s "
      f"({one_pass / single:.1f}x one Grad-CAM) | one model per layer {naive:.2f} s ({naive / one_pass:.1f}x the gallery)")

# %%
gallery = cam.grad_cam_gallery(model, img, target)      # every conv block, one pass
for name, heat in gallery.items():
    row, col = cam.peak_location(heat, (H, W))
    masses = "  ".join(f"{k} {cam.mass_in_box(heat, b, (H, W)):.3f}" for k, b in boxes.items())
    both = f"either box {mass_in_animals(heat):.3f}" if boxes else ""
    print(f"{name:13s} {heat.shape[0]:3d}x{heat.shape[1]:<3d} peak (row {row:3d}, col {col:3d})  {masses}  {both}")
plot_heatmap_grid(gallery, img, columns=5)
plt.show()

# %% [markdown]
# Compare the "either box" column with the boxes' share of the image (0.321): `fire2` to
# `fire5` stay close to that chance level, their peaks land anywhere (grass, sky, image border),
# and their maps look like texture. `conv1` scores higher but for a low-level reason: its
# channels respond to contrast, and the dark elephants against bright grass and sky are the
# strongest edges in the photo (its heat traces their outlines). `fire6` and `fire7` heat the
# grass around and below the elephants: context that goes with elephants. Only `fire8` to
# `conv10` put about two thirds or more of the heat inside the boxes, with the peak on the calf: class evidence is assembled late, which is why Grad-CAM reads the last conv layers.
#
# ## Explore
#
# Pick a class among the top 5, a layer, a method and the opacity. (Interactive: it needs a
# running kernel.)

# %%
# NBVAL_IGNORE_OUTPUT
from course_utils.widgets.cam import cam_explorer

cam_explorer(model, img)

# %% [markdown]
# ## What we measured
#
# The cell below collects this chapter's numbers in one place.

# %%
if boxes:
    row, col = cam.peak_location(heatmap, (H, W))
    print(f"top-3: " + ", ".join(f"{n} {p:.3f}" for _, n, p in top))
    print(f"Grad-CAM peak at pixel (row {row}, col {col}) of {H}x{W}")
    for k, b in boxes.items():
        print(f"heat in the {k} box: {cam.mass_in_box(heatmap, b, (H, W)):.3f}")
    print(f"CAM vs Grad-CAM at {layer_name}: correlation {cam.heatmap_correlation(class_map, heatmap):.3f}")
    print(f"heat inside either box ({inside.mean():.3f} of the image): {mass_in_animals(heatmap):.3f}")
