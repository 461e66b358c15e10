"""Master source of the chapter 1 exercises (solutions between the SOLUTION markers)."""

INTRO = r"""# Exercises 1 · Intermediate activations

Three exercises, from easy to hard, on chapter 1's trained cats-vs-dogs convnet.
For each one: read the statement, fill in the cell marked `# YOUR CODE HERE`, run it, then run
the check cell below it. The check prints ✅ when your answer passes the notebook's own checks,
❌ with what to fix, or ⏳ while the cell still leaves `None`.

Your teacher grades the notebook with stricter hidden tests (the same quantities, compared with
tolerances to the reference solution), so a ✅ here is a very good sign but not yet the grade.
Run the notebook top to bottom before you hand it in."""

SETUP = r"""import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import numpy as np
import keras

from course_utils.activations import layer_activations
from course_utils.grading.checks import check
from course_utils.grading.fixtures import exercise_convnet, exercise_image, probe

keras.utils.set_random_seed(0)
model = exercise_convnet()   # raw 0-255 pixels in, P(dog) out
image = exercise_image()     # the cat 'chelsea', (1, 180, 180, 3), values 0-255
conv2d_2_act = layer_activations(model, image, ["conv2d_2"])["conv2d_2"]  # used in exercise 1.3
pool_probe = probe((1, 9, 7, 3), seed=1)                                   # a small odd-sized test input
print("image:", image.shape, image.dtype, "| P(dog) =", round(float(model(image)[0, 0]), 3))
print("layers:", [layer.name for layer in model.layers])"""

EXERCISES = [
    ("ex1_1", r"""## Exercise 1.1 (easy) · The shape of every conv layer's activation

Build a dict `shapes` that maps the name of **every `Conv2D` layer** of `model` to the shape of its
activation for `image`, as a tuple `(1, height, width, channels)`.

*Hint:* `layer_activations(model, image, names)` returns all the activations you ask for from a
single forward pass. Why do the maps shrink by 2 pixels at each conv layer and halve at each pool?""",
     r"""conv_names = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
### BEGIN SOLUTION
activations = layer_activations(model, image, conv_names)
shapes = {name: tuple(act.shape) for name, act in activations.items()}
### STUB
shapes = None  # YOUR CODE HERE: {layer name: (1, height, width, channels)}
### END SOLUTION""",
     r"""check("ex1_1", shapes, model=model)"""),
    ("ex1_2", r"""## Exercise 1.2 (medium) · The strongest channel of `conv2d_2`

Set `act` to the activation of layer `conv2d_2` for `image` (a NumPy array of shape
`(1, height, width, channels)`), and `strongest` to the index (an `int`) of the channel whose
**mean activation over the whole map** is the largest.

*Why it matters:* a channel's mean tells how much of the image it "recognises"; the strongest
channel is the first one to look at when you ask what this layer sees in the cat.""",
     r"""### BEGIN SOLUTION
act = layer_activations(model, image, ["conv2d_2"])["conv2d_2"]
strongest = int(np.argmax(act.mean(axis=(0, 1, 2))))
### STUB
act = None        # YOUR CODE HERE
strongest = None  # YOUR CODE HERE
### END SOLUTION""",
     r"""check("ex1_2", {"act": act, "strongest": strongest}, model=model)"""),
    ("ex1_3", r"""## Exercise 1.3 (hard) · Max pooling by hand

Write `max_pool_2x2(act)` in **NumPy only** (no Keras): it takes an activation of shape
`(1, h, w, c)` and returns what `keras.layers.MaxPooling2D(2)` returns: the maximum of each
non-overlapping 2×2 block, per channel. When `h` or `w` is odd, the last row or column is dropped,
so the output has shape `(1, h // 2, w // 2, c)`.

The check runs it on the odd-sized `pool_probe` (1, 9, 7, 3) and on `conv2d_2_act`.

*Hint:* crop to even sizes, then `reshape` to `(1, h//2, 2, w//2, 2, c)` and take the max over two axes.""",
     r"""def max_pool_2x2(act):
    ### BEGIN SOLUTION
    act = np.asarray(act)
    n, h, w, c = act.shape
    blocks = act[:, : h // 2 * 2, : w // 2 * 2, :].reshape(n, h // 2, 2, w // 2, 2, c)
    return blocks.max(axis=(2, 4))
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION""",
     r"""check("ex1_3", {"probe": max_pool_2x2(pool_probe), "layer": max_pool_2x2(conv2d_2_act)}, probe=pool_probe)"""),
]
