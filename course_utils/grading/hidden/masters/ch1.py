# %% [markdown]
# # Exercises 1 · Intermediate activations
#
# Four exercises on chapter 1's trained cats-vs-dogs convnet, from easy to hard, on a photo
# **you** choose: how sparse each layer's activation is, how much each layer still looks like
# the photo, the inference-mode trap, and a few sentences in your own words.
#
# For each one: read the statement, fill in the cell marked `# YOUR CODE HERE`, run it, then
# run the check cell below it. The check prints **PASS** (full marks in grading too: the
# notebook's check and your teacher's grader use the same judge), **FAIL** with hints on what
# to look at, or **NOT YET** while the cell still leaves `None`. The last exercise is read by
# your teacher, not scored. Run the notebook top to bottom before you hand it in.
# While grading, the course's own versions of what an exercise asks you to write are switched
# off, so write them yourself (a notebook PASS that relies on them would not survive grading).

# %%
import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import numpy as np
import keras

from course_utils.activations import input_similarity, layer_activations
from course_utils.grading.checks import check
from course_utils.grading.fixtures import conv_names, exercise_convnet, trap_batch
from course_utils.images import chelsea, load_image
from course_utils.small_convnet import IMAGE_SIZE, training_graph

keras.utils.set_random_seed(0)
model = exercise_convnet()        # raw 0-255 pixels in, P(dog) out
trainer = training_graph(model)   # the same model with the training-time random augmentation in front
conv_layers = conv_names(model)   # the Conv2D layers, input to output
trap_images = trap_batch()        # two images for exercise 1.3
print("conv layers:", conv_layers)

# %% [markdown] grading={"statement": "ex1_1"}
# ## Exercise 1.1 (easy, 1 point) · How sparse is each layer on your photo?
#
# Choose a photo and load it as `my_image`, a `(1, 180, 180, 3)` batch of raw 0-255 pixels:
# `load_image(source, IMAGE_SIZE)` takes a file path or an array, e.g. `chelsea()` (a cat),
# `skimage.data.astronaut()` or `skimage.data.coffee()`, or a photo of your own.
#
# Then set `zeros` to a list with one number per layer of `conv_layers` (same order): the
# **fraction of the activation's values that are exactly zero** for your photo.
#
# *Hint:* `layer_activations(model, my_image, conv_layers)` gives all the activations from one
# forward pass, in inference mode.

# %% grading={"solution": "ex1_1"}
### BEGIN SOLUTION
my_image = load_image(chelsea(), IMAGE_SIZE)
acts = layer_activations(model, my_image, conv_layers)
zeros = [float(np.mean(acts[name] == 0)) for name in conv_layers]
for name, z in zip(conv_layers, zeros):
    print(f"{name:10s} {z:.2f} of the values are zero")
### STUB
my_image = None   # YOUR CODE HERE: (1, 180, 180, 3), values 0-255
zeros = None      # YOUR CODE HERE: one fraction per conv layer
### END SOLUTION

# %% grading={"check": "ex1_1"}
check("ex1_1", {"image": my_image, "zeros": zeros})

# %% [markdown] grading={"explanation": "ex1_1"}
# **Why.** After a ReLU every negative pre-activation becomes exactly 0, so the zero fraction
# says how many (position, channel) pairs did *not* find their pattern. It usually grows with
# depth: an early filter (an edge or a colour) matches almost everywhere, a late one (an
# eye-like or fur-like arrangement) only at a few places, and most of its map stays blank.
# Sparse codes are what make later activations *selective*.

# %% [markdown] grading={"statement": "ex1_2"}
# ## Exercise 1.2 (medium, 1 point) · How abstract is each layer?
#
# `input_similarity(activation, image)` gives, for each channel, how closely that channel's map
# follows the photo's brightness (|correlation| at the channel's resolution; a blank channel
# scores 0). Set `likeness` to a list with, per layer of `conv_layers`, the **mean over channels**
# of `input_similarity` for your photo, and `most_abstract` to the **name** of the layer whose
# channels look least like the photo (by your numbers).

# %% grading={"solution": "ex1_2"}
### BEGIN SOLUTION
likeness = [float(input_similarity(acts[name], my_image).mean()) for name in conv_layers]
most_abstract = conv_layers[int(np.argmin(likeness))]
for name, value in zip(conv_layers, likeness):
    print(f"{name:10s} likeness {value:.3f}")
print("most abstract:", most_abstract)
### STUB
likeness = None        # YOUR CODE HERE: one number per conv layer
most_abstract = None   # YOUR CODE HERE: a layer name
### END SOLUTION

# %% grading={"check": "ex1_2"}
check("ex1_2", {"image": my_image, "likeness": likeness, "most_abstract": most_abstract})

# %% [markdown] grading={"explanation": "ex1_2"}
# **Why.** The first layer's channels are close to filtered copies of the picture (edges,
# colours), so they correlate with its brightness. Each further conv + pool step combines
# neighbouring features over a wider window and throws away *where exactly* and *what colour*,
# keeping *what*: the maps stop looking like the photo. That is the abstraction the chapter
# describes: information about the visual input falls, information about the class rises.

# %% [markdown] grading={"statement": "ex1_3"}
# ## Exercise 1.3 (hard, 2 points) · The inference-mode trap
#
# `trainer` is `model` with the random flips, rotations, zooms and shifts used in training in
# front of it. In Keras 3 those layers **augment on every plain call** `trainer(x)`.
#
# 1. Write `predict_dog(net, images)` that returns P(dog) as a 1-D NumPy array, **the same on
#    every call**, for any of `model` or `trainer`. (The check calls it twice on `trainer`.)
# 2. Set `training_calls` to a list of **8** values of P(dog) for your photo from 8 **plain**
#    calls `trainer(my_image)`, to see the trap happen.

# %% grading={"solution": "ex1_3"}
def predict_dog(net, images):
    ### BEGIN SOLUTION
    return np.asarray(net(np.asarray(images, dtype="float32"), training=False))[:, 0]
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION


### BEGIN SOLUTION
training_calls = [float(trainer(my_image)[0, 0]) for _ in range(8)]
print("plain calls:    ", np.round(training_calls, 3))
print("inference mode: ", np.round(predict_dog(trainer, my_image), 3), np.round(predict_dog(model, my_image), 3))
### STUB
training_calls = None   # YOUR CODE HERE: 8 values of P(dog) from plain calls trainer(my_image)
### END SOLUTION

# %% grading={"check": "ex1_3"}
check("ex1_3", {"inference": [predict_dog(trainer, trap_images), predict_dog(trainer, trap_images)], "training": training_calls})

# %% [markdown] grading={"explanation": "ex1_3"}
# **Why.** Keras 3's random preprocessing layers (`RandomFlip`, `RandomRotation`, ...) default to
# `training=True` when called, so a plain `trainer(x)` draws a new flip, rotation and zoom on
# every call and P(dog) jumps around. `net(x, training=False)` (or `net.predict(x)`, which runs
# in inference mode) switches them, and dropout, off: one image, one answer. The course's saved
# model has no augmentation inside for exactly this reason; augmentation is added in front only
# for training.

# %% [markdown] grading={"statement": "ex1_4"}
# ## Exercise 1.4 (in words, read by your teacher) · What did you see?
#
# In two or three sentences, using your numbers above: how do sparsity and likeness change with
# depth on your photo, what does that say about what deep layers encode, and why did the plain
# calls of `trainer` give different probabilities?

# %% grading={"solution": "ex1_4"}
### BEGIN SOLUTION
interpretation_1 = (
    "On my photo the zero fraction mostly rises from the first conv layer to the last while the likeness "
    "to the photo mostly falls, so deep layers keep a sparse code of which parts are present rather than a copy of the "
    "picture. The plain calls of trainer differ because its random augmentation layers run in training "
    "mode by default, so each call sees a differently flipped, rotated and zoomed cat."
)
### STUB
interpretation_1 = None   # YOUR ANSWER HERE, as a string: "..."
### END SOLUTION

# %% grading={"check": "ex1_4"}
check("ex1_4", interpretation_1)
