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
RUN_TIMING = True    # time the one-pass gallery against one model per layer

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
# **You will learn to** compute Grad-CAM by hand and read it over a photo; measure a heatmap
# (peak, mass in a box) instead of trusting your eyes; tell when Grad-CAM and CAM coincide and
# why the walkthrough reads the *last conv block*; and compare the Grad-CAM family.
#
# **Which network.** The walkthrough uses Xception. With `MODEL = "auto"` this chapter uses it
# whenever its ImageNet weights (88 MB) can be had — Keras's cache, the course mirror, or a
# download — and otherwise **SqueezeNet v1.1**, whose weights ship with the course. Every cell
# reads its layers from the model's row of `course_utils.models.CHAPTER_LAYERS`.

# %%
import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import numpy as np
import matplotlib.pyplot as plt
import keras
import tensorflow as tf

from course_utils import cam, heatmaps
from course_utils.measured import verdict
from course_utils.images import cat_and_dog_image, to_uint8, walkthrough_image
from course_utils.models import chapter_model, imagenet_class_names
from course_utils.overlay import (gradient_image, plot_heatmap, plot_heatmap_grid,
                                  plot_superimposed, superimpose)

keras.utils.set_random_seed(0)  # same numbers on every run

# %% [markdown]
# ## The model
#
# Both networks end in **global average pooling**. Xception's last conv block,
# `block14_sepconv2_act`, gives 2048 maps of 10×10; pooling makes them 2048 numbers and a dense
# layer turns those into 1000 class logits. SqueezeNet (AlexNet's accuracy with 1.2 M
# parameters: "fire" modules of 1×1 squeeze, then 1×1 and 3×3 expand) has no dense layer at
# all: its 1×1 conv `conv10` makes one 13×13 map **per ImageNet class**, and pooling turns each
# map into that class's logit. So SqueezeNet's *last conv block before the head* is
# `fire9_concat`; `conv10` is the head. Keep both heads in mind: they decide where CAM is exact.

# %%
model = chapter_model(MODEL)
L = model.chapter_layers
print("model:", model.name, "| ImageNet weights:", model.weights == "imagenet", "| input:", model.input_size)
print("Grad-CAM walkthrough layer:", L.cam, "| CAM reads:", L.cam_head)
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

# %%
elephants = [model.class_index(n) for n in ("African_elephant", "tusker", "Indian_elephant")]
ranks = {imagenet_class_names()[i]: int((preds[0] > preds[0, i]).sum()) + 1 for i in elephants}
print("rank of each elephant class:", ", ".join(f"{n} #{r}" for n, r in ranks.items()))
print("→ " + ("the species is right: African elephant ranks first." if ranks["African_elephant"] == 1
              else "African elephant is NOT the top class on this model."))

# %% [markdown]
# ## Grad-CAM, line by line
#
# Grad-CAM (Selvaraju et al., 2017) asks: if the class score went up, how much would each
# channel of a conv layer have to change? Take the gradient of the class **logit** (the input of
# the softmax, not the probability: the softmax mixes in every other class) with respect to the
# layer's output, average it over the map to get one weight per channel, and take the weighted
# sum of the channels. A ReLU keeps the positive evidence only.
#
# The walkthrough's key lines, on our model: one model with two outputs (the conv layer and
# the logits), one `GradientTape`, at the last conv block before the head.

# %%
layer_name = L.cam                     # Xception: block14_sepconv2_act; SqueezeNet: fire9_concat
net = model.model
grad_model = keras.Model(net.inputs, [net.get_layer(layer_name).output,
                                      net.get_layer("predictions_softmax").input])  # the logits

x = tf.constant(model.preprocess(img))                # never modifies img
with tf.GradientTape() as tape:
    conv_output, logits = grad_model(x, training=False)
    class_logit = logits[:, target]
grads = tape.gradient(class_logit, conv_output)        # (1, h, w, channels)

pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))   # one weight per channel
heatmap = tf.nn.relu(conv_output[0] @ pooled_grads[..., None])[..., 0]
heatmap = (heatmap / tf.reduce_max(heatmap)).numpy()
print(f"{layer_name}: output {tuple(conv_output.shape)}, "
      f"{int(np.count_nonzero(pooled_grads.numpy()))} channels with a non-zero weight")
print("heatmap", heatmap.shape, f"min {heatmap.min():.3f} max {heatmap.max():.3f}")

library = cam.grad_cam(model, img, target, layer_name)   # the same thing, from course_utils
print("course_utils.cam.grad_cam agrees:", np.allclose(heatmap, library, atol=1e-5))

# %%
plot_heatmap(heatmap, f"Grad-CAM at {layer_name}, raw {heatmap.shape[0]}x{heatmap.shape[1]}")
print(f"raw heatmap: {heatmap.shape[0]}x{heatmap.shape[1]} cells")
plt.show()

# %% [markdown]
# ## Over the photo, with numbers
#
# Upsampled to the image, coloured with the `jet` colormap and blended at opacity 0.4. The
# walkthrough says the heatmap "lights up" the elephants, the calf in particular. Rather than
# trusting our eyes we draw a box around each animal (by hand, in image pixels) and measure:
#
# * **heat** (mass in a box): the share of the heatmap's total that falls inside it;
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
    return heatmaps.mass_in_mask(heat, inside)       # upsampled to the photo first

plot_superimposed(img, heatmap, alpha=0.4, boxes=boxes, title=f"Grad-CAM of '{top[0][1]}' at {layer_name}")
plt.show()
blended = superimpose(img, heatmap, alpha=0.4)   # the same picture as an array, to save or check
print("superimposed image:", blended.shape, blended.dtype)


# %%
def box_report(heat, boxes, label=""):
    row, col = heatmaps.peak_location(heat, (H, W))
    hits = [k for k, (x0, y0, x1, y1) in boxes.items() if x0 <= col < x1 and y0 <= row < y1]
    print(f"{label}peak at pixel (row {row}, col {col}) → inside: {', '.join(hits) or 'no box'}")
    for k, box in boxes.items():
        mass = heatmaps.mass_in_box(heat, box, (H, W))
        area = (box[2] - box[0]) * (box[3] - box[1]) / (H * W)
        print(f"{label}  {k:6s} box {box}: heat {mass:.3f}, area {area:.3f} "
              f"→ concentration {mass / area:.2f}")

def interpret(heat, boxes):
    """Sentences about the boxes, each printed only when the numbers say so."""
    row, col = heatmaps.peak_location(heat, (H, W))
    hits = [k for k, (x0, y0, x1, y1) in boxes.items() if x0 <= col < x1 and y0 <= row < y1]
    conc = {k: heatmaps.mass_in_box(heat, b, (H, W)) * H * W / ((b[2] - b[0]) * (b[3] - b[1]))
            for k, b in boxes.items()}
    print("→ the peak sits " + (f"in the {' and '.join(hits)} box" if hits else "outside both boxes") + ".")
    for k, c in conc.items():
        print(f"→ the {k} box gets {c:.1f}x the heat its area would get by chance"
              + (" (more than twice)." if c > 2 else "."))
    best = max(conc, key=conc.get)
    print(f"→ the heat is most concentrated on the {best} (the walkthrough, on Xception: the calf).")

if boxes:
    box_report(heatmap, boxes)
    interpret(heatmap, boxes)
else:
    print("Not the elephant photo: no boxes to measure.")

# %% [markdown]
# (The boxes overlap a little where the calf stands in front of the mother's legs.)
#
# ## Class discrimination
#
# A heatmap should depend on the class asked about. On the same photo we ask for *tusker* and
# *Indian elephant* (classes that share the elephants' evidence), and for the model's two best
# guesses that are not elephants, which have no animal of their own in the picture.

# %%
elephant_names = ["African_elephant", "tusker", "Indian_elephant"]
others = [n for _, n, _ in model.decode(preds, top=10)[0] if n not in elephant_names][:2]
classes = elephant_names + others
maps = {name: cam.grad_cam(model, img, name, layer_name) for name in classes}
for name, heat in maps.items():
    p = preds[0, model.class_index(name)]
    corr = heatmaps.correlation(heat, maps["African_elephant"])
    masses = "  ".join(f"{k} {heatmaps.mass_in_box(heat, b, (H, W)):.3f}" for k, b in boxes.items())
    print(f"{name:17s} p={p:.3f}  correlation with African_elephant {corr:.3f}  {masses}")
corrs = {n: heatmaps.correlation(maps[n], maps["African_elephant"]) for n in classes[1:]}
print(f"→ lowest correlation with African_elephant: {min(corrs, key=corrs.get)} ({min(corrs.values()):.2f})")
print("→ " + ("all maps look alike (every correlation > 0.8)." if min(corrs.values()) > 0.8
              else "the maps differ (some correlation ≤ 0.8)."))
plot_heatmap_grid(maps, img, columns=5)
plt.show()

# %% [markdown]
# When classes share the same evidence (a large dark animal in grass), their maps draw on the
# same regions: class discrimination shows up only when the classes live in *different* places.
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
        shares = "  ".join(f"{k} {heatmaps.mass_in_box(heat, b, (H, W)):.3f}" for k, b in halves.items())
        print(f"{name:15s} p={pet_preds[index]:.3f}  peak {heatmaps.peak_location(heat, (H, W))}  {shares}")
    cat_map, dog_map = pet_maps.values()
    cat_left = heatmaps.mass_in_box(cat_map, halves["left (cat)"], (H, W)) > 0.5
    dog_right = heatmaps.mass_in_box(dog_map, halves["right (dog)"], (H, W)) > 0.5
    print("→ " + ("each class puts most of its heat on its own animal: class-discriminative."
                  if cat_left and dog_right else
                  f"cat class mostly left: {cat_left}; dog class mostly right: {dog_right}."))
    plot_heatmap_grid(pet_maps, pets, columns=2)
    plt.show()

# %% [markdown]
# Grad-CAM is meant to be *class-discriminative*, which plain saliency methods are not (see
# guided backpropagation below); the line above says whether it was on this pair.
#
# ## Where CAM and Grad-CAM agree, and why the walkthrough layer is not the head
#
# CAM (Zhou et al., 2016), Grad-CAM's ancestor, needs a particular head: conv feature maps
# $A_k$ → global average pooling → a dense layer with weights $w_{k,c}$. Then the class logit is
# $\sum_k w_{k,c}\,\mathrm{mean}(A_k)$ and the map $\sum_k w_{k,c} A_k$ shows where it comes
# from, with no gradient at all. For that head the gradient of the logit with respect to $A_k$ is
# $w_{k,c}/(h\,w)$ at every position, so Grad-CAM's weights *are* the CAM weights up to a
# constant: **CAM = Grad-CAM** after normalisation.
#
# Xception has that head with a dense layer: CAM reads `block14_sepconv2_act`, the same layer
# as the walkthrough's Grad-CAM. SqueezeNet has it with $w$ the identity: class $c$'s CAM is
# channel $c$ of `conv10_relu`. There the gradient of class $c$'s logit touches channel $c$
# **only**, so the channel weighting Grad-CAM is about is invisible: Grad-CAM, Grad-CAM++ and
# CAM all return that one channel. That is why the walkthrough layer is the last conv block
# *before* the head (`fire9_concat` on SqueezeNet). The cell counts, at each layer, the channels
# whose pooled gradient is non-zero, and how close Grad-CAM there is to CAM.

# %%
class_map = cam.class_activation_map(model, img, target)
print("CAM reads layer:", cam.gap_head(model)[0], class_map.shape)
acts, layer_grads, _ = cam.layer_gradients(model, img, target, list(L.cam_compare))
with_cam = {}
for name, g in zip(L.cam_compare, layer_grads):
    grad_map = cam.grad_cam(model, img, target, name)
    g = np.asarray(g)
    weighted = int(np.count_nonzero(g.reshape(-1, g.shape[-1]).mean(axis=0)))  # pooled per channel
    same = grad_map.shape == class_map.shape and np.allclose(grad_map, class_map, atol=1e-5)
    with_cam[name] = heatmaps.correlation(grad_map, class_map)
    print(f"{name:20s} {str(grad_map.shape):9s} channels weighted {weighted:5d}  "
          f"corr. with CAM {with_cam[name]:.3f}  identical: {same}")
if L.cam in with_cam:
    below = list(with_cam)[list(with_cam).index(L.cam) + 1:]
    print(verdict(with_cam[L.cam] > 0.95 and all(with_cam[n] < with_cam[L.cam] - 0.2 for n in below),
                  f"{L.cam} stays close to CAM; the layers below it drift apart"))

# %% [markdown]
# Where only a per-pixel linear map (a 1×1 conv, a ReLU) separates a layer from the head,
# Grad-CAM stays close to CAM; lower down, layers mix neighbouring pixels and the maps drift
# apart (read the correlation column).
#
# ## Grad-CAM++ and guided Grad-CAM
#
# We compare the family at the walkthrough layer, where many channels carry weight.
#
# * **Grad-CAM++** (Chattopadhay et al., 2018) weights each *position* of the gradient, not
#   just its average, so that several instances of a class share the credit instead of the
#   strongest one taking it all.
# * **Guided backpropagation** (Springenberg et al., 2015) sends the gradient back to the
#   pixels but lets through ReLUs only what is positive both forward and backward: a sharp,
#   edge-like picture, but not class-specific. **Guided Grad-CAM** multiplies it by the
#   upsampled Grad-CAM: sharp details, only where the class is.

# %%
family_layer = layer_name
grad_map = cam.grad_cam(model, img, target, family_layer)
plus_map = cam.grad_cam_plus_plus(model, img, target, family_layer)
guided = cam.guided_backprop(model, img, target)                 # (H, W, 3), signed
guided_cam = cam.guided_grad_cam(model, img, target, family_layer)

print(f"at {family_layer}: Grad-CAM++ vs Grad-CAM correlation {heatmaps.correlation(plus_map, grad_map):.3f}")
if boxes:
    box_report(grad_map, boxes, "Grad-CAM    ")
    box_report(plus_map, boxes, "Grad-CAM++  ")
if boxes:
    inside_share = {}
    for label, g in [("guided backprop", guided), ("guided Grad-CAM", guided_cam)]:
        inside_share[label] = heatmaps.mass_in_mask(g, inside)
        print(f"{label:16s}: {inside_share[label]:.3f} of the gradient magnitude "
              f"inside the boxes ({inside.mean():.3f} of the image)")
    print(verdict(inside_share["guided Grad-CAM"] > inside_share["guided backprop"],
                  "multiplied by Grad-CAM, guided backprop keeps more of itself on the animals"))

fig, axes = plt.subplots(1, 4, figsize=(16, 4.2))
plot_superimposed(img, grad_map, title=f"Grad-CAM, {family_layer}", ax=axes[0])
plot_superimposed(img, plus_map, title=f"Grad-CAM++, {family_layer}", ax=axes[1])
for ax, g, title in [(axes[2], guided, "guided backprop"), (axes[3], guided_cam, "guided Grad-CAM")]:
    ax.imshow(gradient_image(g))
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# Compare the box masses of Grad-CAM and Grad-CAM++: the position-wise weights can move
# credit between the two animals. Guided backpropagation is sharp — it traces outlines, ears
# and tusks, where the image has structure — but it would draw almost the same picture for any
# class; multiplied by Grad-CAM it becomes class-specific (compare the two "inside the boxes"
# shares above).
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

blocks = cam.conv_block_layers(model)

def seconds(fn):
    fn()                                   # the first call builds the graph: not counted
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start

def one_model_per_layer():
    for name in blocks:                    # the walkthrough's recipe, once per layer
        per_layer = keras.Model(net.inputs, [net.get_layer(name).output,
                                             net.get_layer("predictions_softmax").input])
        with tf.GradientTape() as tape:
            out, logits = per_layer(x, training=False)
            score = logits[:, target]
        tape.gradient(score, out)

if RUN_TIMING:
    single = seconds(lambda: cam.grad_cam(model, img, target, layer_name))
    one_pass = seconds(lambda: cam.grad_cam_gallery(model, img, target))
    naive = seconds(one_model_per_layer)
    print(f"{len(blocks)} layers | one Grad-CAM {single:.2f} s | gallery in one pass {one_pass:.2f} s "
          f"({one_pass / single:.1f}x one Grad-CAM)")
    print(f"one model per layer {naive:.2f} s ({naive / one_pass:.1f}x the gallery)")

# %%
gallery = cam.grad_cam_gallery(model, img, target)      # every conv block, one pass
for name, heat in gallery.items():
    row, col = heatmaps.peak_location(heat, (H, W))
    masses = "  ".join(f"{k} {heatmaps.mass_in_box(heat, b, (H, W)):.3f}" for k, b in boxes.items())
    both = f"either box {mass_in_animals(heat):.3f}" if boxes else ""
    print(f"{name:20s} {heat.shape[0]:3d}x{heat.shape[1]:<3d} peak ({row:3d}, {col:3d})  {masses}  {both}")
if boxes:
    chance = inside.mean()
    late = [n for n, h in gallery.items() if mass_in_animals(h) > 2 / 3]
    print(f"chance level (the boxes' share of the image): {chance:.3f}")
    print("→ layers with more than two thirds of the heat inside the boxes: " + (", ".join(late) or "none"))
plot_heatmap_grid(gallery, img, columns=5)
plt.show()

# %% [markdown]
# Compare the "either box" column with the chance level printed under it. Early layers respond
# to contrast and texture, and a very early layer can score above chance for a low-level
# reason: the dark elephants against bright grass and sky are the strongest edges in the photo.
# Where the late layers are the ones listed above, class evidence is assembled late, which is
# why Grad-CAM reads the last conv block.
#
# ## Explore
#
# Pick a class among the top 5, a layer, a method and the opacity. (Interactive: it needs a
# running kernel.) The method list holds this chapter's four and the six of chapter 6:
# Layer-CAM, Eigen-CAM (it takes no class: the same map for every class), Score-CAM, and three
# maps in the input's pixels (gradient, SmoothGrad, integrated gradients: the same at every
# layer). The cell computes every map first, so each change answers at once; that takes about
# a minute, with progress bars. The slow ones have a budget: Score-CAM pays one forward pass per
# channel of its layer, so it is computed for the deepest layers that fit in 30 s; SmoothGrad
# and integrated gradients (25 and 33 gradient passes) for the top classes that fit in 15 s. A
# map left out says what it would cost and which call computes it.

# %%
# NBVAL_IGNORE_OUTPUT
from course_utils.widgets.cam import cam_explorer

cam_explorer(model, img)

# %% [markdown]
# ## What we measured
#
# The cell below collects this chapter's numbers in one place.

# %%
print(f"model: {model.name} | Grad-CAM layer {layer_name} | CAM layer {cam.gap_head(model)[0]}")
if boxes:
    row, col = heatmaps.peak_location(heatmap, (H, W))
    print(f"top-3: " + ", ".join(f"{n} {p:.3f}" for _, n, p in top))
    print(f"Grad-CAM peak at pixel (row {row}, col {col}) of {H}x{W}")
    for k, b in boxes.items():
        print(f"heat in the {k} box: {heatmaps.mass_in_box(heatmap, b, (H, W)):.3f}")
    print(f"CAM vs Grad-CAM at {layer_name}: correlation {heatmaps.correlation(class_map, heatmap):.3f}")
    print(f"heat inside either box ({inside.mean():.3f} of the image): {mass_in_animals(heatmap):.3f}")

# %% [markdown]
# ## Summary and next steps
#
# * Grad-CAM weights each channel of the last conv block by the pooled gradient of the class
#   logit: a coarse map of where the evidence for that class sits.
# * Measure heatmaps — peak, mass in a box, concentration — instead of trusting the colours.
# * CAM is exact at a global-average-pooled head; when the head is itself one map per class
#   (SqueezeNet's `conv10`), Grad-CAM must read the block before it.
# * Class evidence is assembled late; guided backpropagation is sharp but not class-specific.
#
# **Next:** practise in `notebooks/exercises/03_exercises.ipynb`, then go on to chapter 4,
# `04_beyond_grad_cam.ipynb`: deconvnets, occlusion, and whether a heatmap can be trusted.
