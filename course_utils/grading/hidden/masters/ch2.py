"""Master source of the chapter 2 exercises (solutions between the SOLUTION markers)."""

INTRO = r"""# Exercises 2 · Filter patterns

Gradient ascent in input space, on a convnet small enough to understand completely: one conv
layer, `edges`, whose four 5×5 filters were set by hand (0: vertical edges, 1: horizontal edges,
2: red-not-green, 3: diagonal edges). Because we know what each filter detects, we can tell
whether the pattern you generate is right, and everything runs in a second.

For each exercise: fill in the cell marked `# YOUR CODE HERE`, run it, then run the check cell.
✅ = passes the notebook's checks, ❌ = what to fix, ⏳ = not done yet. Hidden tests grade more strictly."""

SETUP = r"""import course_utils  # first: keeps TensorFlow's C++ start-up lines out of the outputs
import numpy as np
import keras
import tensorflow as tf

from course_utils.grading.checks import check
from course_utils.grading.fixtures import EDGE_FILTERS, edge_model, pattern_start, probe

keras.utils.set_random_seed(0)
model = edge_model()                            # (1, 32, 32, 3) image → (1, 28, 28, 4) `edges` activation
loss_probe = probe((1, 12, 12, 4), seed=3)      # a made-up activation to test your loss on
start_image = pattern_start()                   # grey with a little noise: where the ascent starts
print(dict(enumerate(EDGE_FILTERS)))
print("edges output:", tuple(model.output.shape), "| start image:", start_image.shape,
      "mean", round(float(start_image.mean()), 3))"""

EXERCISES = [
    ("ex2_1", r"""## Exercise 2.1 (easy) · The filter loss

Write `filter_loss(activation, filter_index)`: the **mean** of channel `filter_index` of an
activation of shape `(1, h, w, channels)`, **leaving out a 2-pixel border** on every side
(the walkthrough does this so border artefacts don't dominate). It must return one number
(a float or a scalar tensor) and work on NumPy arrays and on tensors (use `tf.reduce_mean`
or `keras.ops.mean` on a slice).""",
     r"""def filter_loss(activation, filter_index):
    ### BEGIN SOLUTION
    return tf.reduce_mean(activation[:, 2:-2, 2:-2, filter_index])
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION""",
     r"""check("ex2_1", [filter_loss(loss_probe, k) for k in range(4)], probe=loss_probe)"""),
    ("ex2_2", r"""## Exercise 2.2 (medium) · One step of gradient ascent

Write `gradient_ascent_step(image, filter_index, learning_rate)`:

1. record, with `tf.GradientTape` (call `tape.watch(image)`), the `filter_loss` of `model(image)`;
2. take the gradient of the loss with respect to the image;
3. **normalise** it to unit L2 norm over the whole tensor (`tf.math.l2_normalize(grads)`), so every
   step has the same length whatever the scale of the gradient;
4. return `image + learning_rate * grads`.

The check runs one step of length 10 for filter 1 and measures the step and the loss.""",
     r"""def gradient_ascent_step(image, filter_index, learning_rate):
    ### BEGIN SOLUTION
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = filter_loss(model(image), filter_index)
    grads = tf.math.l2_normalize(tape.gradient(loss, image))
    return image + learning_rate * grads
    ### STUB
    # YOUR CODE HERE
    return None
    ### END SOLUTION""",
     r"""check("ex2_2", gradient_ascent_step(tf.constant(start_image), 1, 10.0), start=start_image, model=model)"""),
    ("ex2_3", r"""## Exercise 2.3 (hard) · A filter's pattern and its orientation

Starting from `start_image`, apply **30** steps of your `gradient_ascent_step` for **filter 0**
with `learning_rate=10.0`, and store the result as `pattern`, a `(32, 32, 3)` NumPy array.

Then measure it: compute the mean absolute difference between neighbouring pixels **along x**
(columns) and **along y** (rows) of the pattern's grey level (mean over the colour axis), and
set `orientation` to `"vertical"` if the pattern changes more along x (its stripes run up and
down), else `"horizontal"`. Does the answer match what filter 0 was built to detect?""",
     r"""### BEGIN SOLUTION
image_var = tf.constant(start_image)
for _ in range(30):
    image_var = gradient_ascent_step(image_var, 0, 10.0)
pattern = np.asarray(image_var)[0]
grey = pattern.mean(axis=-1)
along_x = np.abs(np.diff(grey, axis=1)).mean()
along_y = np.abs(np.diff(grey, axis=0)).mean()
orientation = "vertical" if along_x > along_y else "horizontal"
print(f"change along x {along_x:.3f}, along y {along_y:.3f} → {orientation}")
### STUB
pattern = None      # YOUR CODE HERE: (32, 32, 3)
orientation = None  # YOUR CODE HERE: "vertical" or "horizontal"
### END SOLUTION""",
     r"""check("ex2_3", {"pattern": pattern, "orientation": orientation}, start=start_image, model=model)"""),
]
