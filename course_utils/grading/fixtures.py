"""The inputs every exercise notebook starts from: same model, same photo, same probes.

Everything is offline and deterministic, so the student's run, the solution's run and the
grader's reference run all see identical inputs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

EDGE_FILTERS = ("vertical edges", "horizontal edges", "red, not green", "diagonal edges")


def exercise_convnet() -> Any:
    """Chapter 1's trained cats-vs-dogs convnet (raw 0-255 180x180 input, output P(dog))."""
    from ..small_convnet import load_small_convnet

    return load_small_convnet()


def exercise_image(size: tuple[int, int] = (180, 180)) -> np.ndarray:
    """scikit-image's cat 'chelsea' as a float32 (1, 180, 180, 3) batch, 0-255: ships with skimage."""
    from ..images import chelsea, load_image

    return load_image(chelsea(), size)


def probe(shape: int | tuple[int, ...], seed: int, relu: bool = False) -> np.ndarray:
    """A seeded float32 standard-normal array: a small, known input for testing a function."""
    values = np.random.default_rng(seed).standard_normal(shape).astype("float32")
    return np.maximum(values, 0) if relu else values


def pattern_start() -> np.ndarray:
    """The grey, slightly noisy (1, 32, 32, 3) image gradient ascent starts from."""
    return 0.5 + 0.1 * probe((1, 32, 32, 3), seed=2)


def edge_kernels(size: int = 5) -> np.ndarray:
    """Four hand-made 5x5 RGB kernels (5, 5, 3, 4), one per entry of EDGE_FILTERS."""
    ramp = np.linspace(-1.0, 1.0, size, dtype="float32")
    vertical = np.tile(ramp[None, :], (size, 1))          # dark left → bright right
    diagonal = (ramp[None, :] + ramp[:, None]) / 2
    kernels = np.zeros((size, size, 3, 4), dtype="float32")
    for c in range(3):
        kernels[:, :, c, 0] = vertical / 3
        kernels[:, :, c, 1] = vertical.T / 3
        kernels[:, :, c, 3] = diagonal / 3
    kernels[size // 2, size // 2, 0, 2], kernels[size // 2, size // 2, 1, 2] = 1.0, -1.0
    return kernels


def edge_model(size: int = 32) -> Any:
    """A one-layer convnet whose four filters are known: `edges` = ReLU(conv(image, edge_kernels))."""
    import keras

    inputs = keras.Input((size, size, 3), name="image")
    conv = keras.layers.Conv2D(4, 5, activation="relu", name="edges")
    model = keras.Model(inputs, conv(inputs), name="edge_model")
    conv.set_weights([edge_kernels(), np.zeros(4, dtype="float32")])
    return model


# ---------------------------------------------------------------- exercise parameters, defined once
# Read by the masters' statements (through the notebooks' set-up cells), the references and the judges.
ASCENT_STEPS, ASCENT_RATE, BLUR_SIGMA = 30, 10.0, 1.0     # chapter 2
OCCLUSION_PATCH, GREY = 45, 127.5                         # chapter 4 (patch = stride: a 4x4 grid on 180x180)
RANDOM_ORDER_SEED = 0                                     # chapter 4's random deletion order


def conv_names(model: Any) -> list[str]:
    """The model's Conv2D layers, input to output."""
    import keras

    return [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def other_trainer(model: Any) -> Any:
    """Exercise 1.3's second network: a randomised copy of `model` with the augmentation in front.
    predict_dog must answer for the network it is handed, not for the global `model`."""
    from ..small_convnet import training_graph

    return training_graph(randomized_convnet(model))


def tall_probe() -> np.ndarray:
    """Exercise 2.1's second probe: not square, so a border cut on one axis only shows."""
    return probe((1, 9, 14, 4), seed=8)


CLASS_NAMES = ("dog", "cat", "neither")   # exercise 3.3's softmax head


def softmax_convnet(model: Any, seed: int = 11) -> Any:
    """Chapter 1's convnet with a 3-class softmax head (dog, cat, neither) on its features.

    dog and cat are the trained logit z and -z; "neither" is a seeded random direction, its bias
    set so that on the exercise photo it is a close second to the predicted class. With three
    classes, the gradient of a probability mixes in the other classes' gradients, so Grad-CAM
    of the probability is a different map from Grad-CAM of the logit (for one sigmoid output
    it is the same map, scaled)."""
    import keras

    dense = model.get_layer("dog_probability")
    kernel, bias = (np.asarray(w, dtype="float32") for w in dense.get_weights())
    other = (np.random.default_rng(seed).standard_normal(kernel.shape) * 8 * float(np.std(kernel))).astype("float32")
    features = np.asarray(keras.Model(model.inputs[0], dense.input)(exercise_image(), training=False))
    dog_logit, other_logit = float((features @ kernel + bias)[0, 0]), float((features @ other)[0, 0])
    best = abs(dog_logit)
    head = keras.layers.Dense(3, activation="softmax", name="class_probabilities")
    net = keras.Model(model.inputs[0], head(dense.input), name="softmax_convnet")
    head.set_weights([np.concatenate([kernel, -kernel, other], axis=1),
                      np.array([bias[0], -bias[0], best - other_logit - 0.5], dtype="float32")])
    return net


def trap_batch() -> np.ndarray:
    """Two images (chelsea and its mirror image) for the inference-mode trap of exercise 1.3."""
    cat = exercise_image()
    return np.concatenate([cat, cat[:, :, ::-1]]).astype("float32")


def randomized_convnet(model: Any, layer_names: Sequence[str] = ("conv2d_4", "dog_probability"),
                       seed: int = 0) -> Any:
    """A copy of `model` whose top layers get seeded random weights of the trained weights' scale:
    the model-randomisation test of Adebayo et al. (2018) on the two layers nearest the output."""
    import keras

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    rng = np.random.default_rng(seed)
    for name in layer_names:
        layer = clone.get_layer(name)
        layer.set_weights([(rng.standard_normal(w.shape) * (float(np.std(w)) or 0.05)).astype("float32")
                           for w in layer.get_weights()])
    return clone


# ---------------------------------------------------------------- references
# What a right answer computes, written independently of the course modules the exercises
# ask the learner to rebuild. The judges in judges.py compare against these.

def conv_activations(model: Any, image: np.ndarray, names: Sequence[str]) -> list[np.ndarray]:
    """The activations of `names` for one image, in inference mode."""
    import keras

    grab = keras.Model(model.inputs, [model.get_layer(n).output for n in names])
    outputs = grab([np.asarray(image, dtype="float32")], training=False)
    return [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]


def ascent_pattern(model: Any, filter_index: int, blur_sigma: float | None = None) -> np.ndarray:
    """ASCENT_STEPS normalised gradient-ascent steps from pattern_start(); optionally blurred after each."""
    import tensorflow as tf

    from ..regularizers import gaussian_blur, gaussian_kernel

    image = tf.constant(pattern_start())
    for _ in range(ASCENT_STEPS):
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = tf.reduce_mean(model(image, training=False)[:, 2:-2, 2:-2, filter_index])
        image = image + ASCENT_RATE * tf.math.l2_normalize(tape.gradient(loss, image))
        if blur_sigma:
            image = gaussian_blur(image, gaussian_kernel(blur_sigma))
    return np.asarray(image)[0]


def roughness(pattern: np.ndarray) -> float:
    """Mean absolute difference between neighbouring pixels of the grey pattern, along x and y."""
    grey = np.asarray(pattern, dtype="float64").mean(axis=-1)
    return float((np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean()) / 2)


def grad_cam_reference(model: Any, image: np.ndarray, layer_name: str, of_probability: bool = False) -> np.ndarray:
    """Grad-CAM (h, w) in [0, 1] of the predicted class's logit at `layer_name` of
    softmax_convnet (or of its probability: the mistake exercise 3.3 must refuse)."""
    import keras
    import tensorflow as tf

    dense = model.get_layer("class_probabilities")
    grab = keras.Model(model.inputs, [model.get_layer(layer_name).output, dense.input])
    with tf.GradientTape() as tape:
        act, features = grab([np.asarray(image, dtype="float32")], training=False)
        logits = features @ dense.kernel + dense.bias
        predicted = int(np.argmax(np.asarray(logits)[0]))
        score = (tf.nn.softmax(logits) if of_probability else logits)[0, predicted]
    weights = np.asarray(tape.gradient(score, act)).mean(axis=(0, 1, 2))
    heat = np.maximum(np.asarray(act)[0] @ weights, 0)
    return heat / heat.max() if heat.max() > 0 else heat


def _class_probability(p_dog: np.ndarray) -> np.ndarray:
    """P(predicted class of the first image) for every row."""
    return p_dog if p_dog[0] >= 0.5 else 1 - p_dog


def grey_patches(image: np.ndarray, patch_indices: Sequence[int], patch: int = OCCLUSION_PATCH) -> np.ndarray:
    """A copy of the batch `image` with the listed grid patches (row-major index) set to GREY."""
    covered = np.array(image, dtype="float32", copy=True)
    columns = covered.shape[2] // patch
    for index in patch_indices:
        row, col = divmod(int(index), columns)
        covered[:, row * patch:(row + 1) * patch, col * patch:(col + 1) * patch, :] = GREY
    return covered


def occlusion_reference(model: Any, image: np.ndarray, patch: int = OCCLUSION_PATCH) -> np.ndarray:
    """(rows, cols) drop of P(predicted class) when each grid patch is greyed out."""
    rows, cols = image.shape[1] // patch, image.shape[2] // patch
    batch = np.concatenate([image] + [grey_patches(image, [k], patch) for k in range(rows * cols)])
    p = _class_probability(np.asarray(model.predict(batch, verbose=0))[:, 0])
    return (p[0] - p[1:]).reshape(rows, cols)


def deletion_reference(model: Any, image: np.ndarray, order: Sequence[int]) -> np.ndarray:
    """P(predicted class) after greying the first k patches of `order`, k = 0 .. len(order)."""
    batch = np.concatenate([grey_patches(image, order[:k]) for k in range(len(order) + 1)])
    return _class_probability(np.asarray(model.predict(batch, verbose=0))[:, 0])


def random_order(count: int) -> np.ndarray:
    return np.random.default_rng(RANDOM_ORDER_SEED).permutation(count)


# ---------------------------------------------------------------- chapter 4: ReLU rules and a tiny net

RELU_RULES = ("backprop", "deconvnet", "guided")   # exercise 4.2's three backward rules
PROJECTED_UNIT = (1, 5, 5)                          # exercise 4.3's unit: (channel, row, column) of tiny_conv2


def relu_probes() -> tuple[np.ndarray, np.ndarray]:
    """Exercise 4.2's inputs: a ReLU's input x and the gradient dy arriving from above, both of mixed sign."""
    return probe((1, 4, 5, 3), seed=31), probe((1, 4, 5, 3), seed=32)


def tiny_net() -> tuple[Any, Any]:
    """Exercise 4.3's network: two 3x3 'same' convolutions (1 → 4 → 3 channels), seeded weights and
    no activation of their own; the learner puts a ReLU after each: relu(conv2(relu(conv1(x))))."""
    import keras

    conv1 = keras.layers.Conv2D(4, 3, padding="same", name="tiny_conv1")
    conv2 = keras.layers.Conv2D(3, 3, padding="same", name="tiny_conv2")
    conv1.build((None, None, None, 1))
    conv2.build((None, None, None, 4))
    conv1.set_weights([probe((3, 3, 1, 4), seed=21), 0.1 * probe((4,), seed=22)])
    conv2.set_weights([probe((3, 3, 4, 3), seed=23), 0.1 * probe((3,), seed=24)])
    return conv1, conv2


def tiny_image() -> np.ndarray:
    """Exercise 4.3's (1, 11, 11, 1) input."""
    return probe((1, 11, 11, 1), seed=25)


def _relu_backward_reference(rule: str, x: np.ndarray, upstream: np.ndarray) -> np.ndarray:
    x, upstream = np.asarray(x), np.asarray(upstream)
    passes = {"backprop": x > 0, "deconvnet": upstream > 0, "guided": (x > 0) & (upstream > 0)}[rule]
    return np.where(passes, upstream, 0).astype("float32")


def unit_projection_reference(rule: str, unit: tuple[int, int, int] = PROJECTED_UNIT) -> np.ndarray:
    """(11, 11) gradient of one unit of tiny_net with respect to its input, ReLUs passing it back by `rule`."""
    import tensorflow as tf

    @tf.custom_gradient
    def relu(x):
        return tf.nn.relu(x), lambda dy: tf.constant(_relu_backward_reference(rule, x, dy))

    conv1, conv2 = tiny_net()
    channel, row, col = unit
    image = tf.constant(tiny_image())
    with tf.GradientTape() as tape:
        tape.watch(image)
        value = relu(conv2(relu(conv1(image))))[0, row, col, channel]
    return np.asarray(tape.gradient(value, image))[0, :, :, 0]


# ---------------------------------------------------------------- chapter 5: sanity maps

TOP_SHARE = 0.1   # exercise 5.3: the share of a map's cells that counts as its "top"
SANITY_METHODS = ("Grad-CAM", "guided backprop")


def sanity_maps(model: Any, image: np.ndarray) -> dict[str, np.ndarray]:
    """Exercise 5.3's inputs: the Grad-CAM map at conv2d_4 (7x7) and the guided-backpropagation
    map (180x180, |gradient| max over colours) of the predicted class's logit, for `model`."""
    import keras
    import tensorflow as tf

    @tf.custom_gradient
    def guided(x):  # local on purpose: the sandbox stubs the course's own guided ReLU, not this
        return tf.nn.relu(x), lambda dy: tf.where((dy > 0) & (x > 0), dy, tf.zeros_like(dy))

    def last_conv_and_score(net, x):
        """conv2d_4's activation and the predicted class's logit (dog: z, cat: -z)."""
        dense = net.get_layer("dog_probability")
        act, features = keras.Model(net.inputs, [net.get_layer("conv2d_4").output, dense.input])(x, training=False)
        logit = (features @ dense.kernel + dense.bias)[0, 0]
        return act, (logit if float(logit) >= 0 else -logit)

    x = tf.constant(np.asarray(image, dtype="float32"))
    with tf.GradientTape() as tape:
        act, score = last_conv_and_score(model, x)
    weights = np.asarray(tape.gradient(score, act)).mean(axis=(0, 1, 2))
    grad_cam = np.maximum(np.asarray(act)[0] @ weights, 0)

    guided_net = keras.models.clone_model(model)
    guided_net.set_weights(model.get_weights())
    for layer in guided_net.layers:
        if getattr(layer, "activation", None) is keras.activations.relu:
            layer.activation = guided
    with tf.GradientTape() as tape:
        tape.watch(x)
        _, score = last_conv_and_score(guided_net, x)
    guided_map = np.abs(np.asarray(tape.gradient(score, x))[0]).max(axis=-1)
    return {"Grad-CAM": grad_cam, "guided backprop": guided_map}


def top_overlap_reference(a: np.ndarray, b: np.ndarray, share: float = TOP_SHARE) -> float:
    """The fraction of a's top `share` of cells (ties: first in row-major order) that are in b's top."""
    count = int(np.ceil(share * np.asarray(a).size))
    top_a = set(np.argsort(-np.asarray(a).ravel(), kind="stable")[:count].tolist())
    top_b = set(np.argsort(-np.asarray(b).ravel(), kind="stable")[:count].tolist())
    return len(top_a & top_b) / count


def overlap_probes() -> tuple[np.ndarray, np.ndarray]:
    """Exercise 5.3's probe maps (8x10, so the top 10% is 8 cells), with ties: a check of the rule."""
    a = np.round(np.abs(probe((8, 10), seed=41)), 1)
    b = np.round(0.5 * a + np.abs(probe((8, 10), seed=42)), 1)
    return a, b
