"""Master source of the chapter 3 exercises (solutions between the SOLUTION markers)."""

INTRO = r"""# Exercises 3 · Grad-CAM

You will rebuild Grad-CAM in three steps: pool the gradients into one weight per channel,
combine the channels into a heatmap, then the whole method on chapter 1's trained convnet.

For each exercise: fill in the cell marked `# YOUR CODE HERE`, run it, then run the check cell.
✅ = passes the notebook's checks, ❌ = what to fix, ⏳ = not done yet. Hidden tests grade more
strictly: shape, value range, peak location and correlation with the reference heatmap."""

SETUP = r"""import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import numpy as np
import keras
import tensorflow as tf

from course_utils.grading.checks import check
from course_utils.grading.fixtures import exercise_convnet, exercise_image, probe

keras.utils.set_random_seed(0)
model = exercise_convnet()    # raw 0-255 pixels in, P(dog) out (one sigmoid unit)
image = exercise_image()      # the cat 'chelsea', (1, 180, 180, 3)
grads_probe = probe((1, 6, 6, 8), seed=4)             # a made-up gradient for exercise 3.1
act_probe = probe((1, 6, 6, 8), seed=5, relu=True)    # a made-up ReLU activation for exercise 3.2
weights_probe = probe((8,), seed=6)                   # made-up channel weights for exercise 3.2
print("P(dog) =", round(float(model(image)[0, 0]), 3))
print({layer.name: tuple(layer.output.shape[1:]) for layer in model.layers if "conv2d" in layer.name})"""

EXERCISES = [
    ("ex3_1", r"""## Exercise 3.1 (easy) · Pool the gradients into channel weights

Grad-CAM gives each channel `k` of the layer one weight: the **mean of the gradient** of the class
score over the channel's whole map. Write `pool_gradients(grads)` that takes a gradient of shape
`(1, h, w, channels)` and returns the weights, shape `(channels,)`.""",
     r"""def pool_gradients(grads):
    ### BEGIN SOLUTION
    return np.asarray(grads).mean(axis=(0, 1, 2))
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION""",
     r"""check("ex3_1", pool_gradients(grads_probe), probe=grads_probe)"""),
    ("ex3_2", r"""## Exercise 3.2 (medium) · The weighting step

Write `weight_and_combine(activation, weights)`: from an activation `(1, h, w, channels)` and
`weights` `(channels,)`, return the **2-D** heatmap `(h, w)`: the weighted sum of the channels,
then a ReLU (keep only positive evidence), then divided by its maximum so it lies in [0, 1]
(leave an all-zero map as zeros).""",
     r"""def weight_and_combine(activation, weights):
    ### BEGIN SOLUTION
    heat = np.maximum(np.asarray(activation)[0] @ np.asarray(weights), 0)
    return heat / heat.max() if heat.max() > 0 else heat
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION""",
     r"""check("ex3_2", weight_and_combine(act_probe, weights_probe), act=act_probe, weights=weights_probe)"""),
    ("ex3_3", r"""## Exercise 3.3 (hard) · Grad-CAM from scratch for the predicted class

Write `my_grad_cam(model, image, layer_name)`, the Grad-CAM heatmap `(h, w)` of layer
`layer_name` for **the class the model predicts** for `image`.

The model has one sigmoid output, P(dog). Grad-CAM differentiates the **logit** (the input of the
sigmoid), not the probability: `logit = features @ kernel + bias` of the last layer,
`model.get_layer("dog_probability")` (its input is `dense.input`). The dog score is the logit;
the cat score is **minus** the logit. Use the dog score if P(dog) ≥ 0.5, else the cat score.

Steps: a `keras.Model(model.inputs, [layer output, dense.input])`; a `tf.GradientTape` around
the forward pass; the gradient of the score with respect to the layer output; then your
`pool_gradients` and `weight_and_combine`. The check computes it at `conv2d_3` and `conv2d_4`.""",
     r"""def my_grad_cam(model, image, layer_name):
    ### BEGIN SOLUTION
    dense = model.get_layer("dog_probability")
    grab = keras.Model(model.inputs, [model.get_layer(layer_name).output, dense.input])
    with tf.GradientTape() as tape:
        act, features = grab([image], training=False)
        logit = (features @ dense.kernel + dense.bias)[0, 0]
        score = logit if float(logit) >= 0 else -logit   # P(dog) >= 0.5 exactly when logit >= 0
    grads = tape.gradient(score, act)
    return weight_and_combine(act, pool_gradients(grads))
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION""",
     r"""check("ex3_3", {name: my_grad_cam(model, image, name) for name in ("conv2d_3", "conv2d_4")}, model=model)"""),
]
