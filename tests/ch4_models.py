"""Tiny hand-built models with known answers, shared by chapter 4's tests."""
import numpy as np
import pytest

SIZE = 16
CORNER = 4  # the evidence for class 1 sits in the top-left CORNER×CORNER pixels


def corner_model():
    """16×16 RGB (0-255) → softmax over 2 classes. The class-1 logit is 8 × the red in the
    top-left 4×4 corner (scaled to 0-1); nothing else in the image matters.

    conv: 1×1 identity per colour / 255 (+ a dead 4th filter); pool: 2×2 max;
    conv2: 1×1 identity; logits: dense reading conv2's red channel in pooled cells (0..1, 0..1).
    """
    import keras
    from keras import layers

    inputs = keras.Input((SIZE, SIZE, 3), name="image")
    x = layers.Conv2D(4, 1, activation="relu", name="conv")(inputs)
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.Conv2D(3, 1, activation="relu", name="conv2")(x)
    x = layers.Flatten(name="flatten")(x)
    logits = layers.Dense(2, name="logits")(x)
    outputs = layers.Activation("softmax", name="predictions_softmax")(logits)
    model = keras.Model(inputs, outputs, name="corner_model")

    k1 = np.zeros((1, 1, 3, 4), "float32")
    k1[0, 0, [0, 1, 2], [0, 1, 2]] = 1 / 255
    model.get_layer("conv").set_weights([k1, np.zeros(4, "float32")])
    k2 = np.zeros((1, 1, 4, 3), "float32")
    k2[0, 0, [0, 1, 2], [0, 1, 2]] = 1.0
    model.get_layer("conv2").set_weights([k2, np.zeros(3, "float32")])
    half = SIZE // 2
    dense = np.zeros((half, half, 3, 2), "float32")
    dense[: CORNER // 2, : CORNER // 2, 0, 1] = 8.0 / 4  # 4 pooled cells → logit up to 8
    model.get_layer("logits").set_weights([dense.reshape(-1, 2), np.array([4.0, 0.0], "float32")])
    return model


def corner_image(seed=0):
    """Red top-left corner, dim green/blue noise elsewhere (no red outside the corner)."""
    rng = np.random.default_rng(seed)
    img = np.zeros((1, SIZE, SIZE, 3), "float32")
    img[0, ..., 1:] = rng.uniform(0, 60, (SIZE, SIZE, 2))
    img[0, :CORNER, :CORNER] = (255.0, 0.0, 0.0)
    return img


def corner_mask():
    """The perfect heatmap for the corner model: 1 on the evidence, 0 elsewhere."""
    m = np.zeros((SIZE, SIZE), "float32")
    m[:CORNER, :CORNER] = 1.0
    return m


def two_relu_model():
    """4×4×1 → c1 = relu(x) → c2 = relu(c1 + 5). Projecting c2 back: the deconvnet rule
    passes the positive signal through c1's ReLU everywhere; the guided rule only where x > 0."""
    import keras
    from keras import layers

    inputs = keras.Input((4, 4, 1), name="image")
    c1 = layers.Conv2D(1, 1, activation="relu", name="c1")(inputs)
    c2 = layers.Conv2D(1, 1, activation="relu", name="c2")(c1)
    model = keras.Model(inputs, c2, name="two_relu")
    model.get_layer("c1").set_weights([np.ones((1, 1, 1, 1), "float32"), np.zeros(1, "float32")])
    model.get_layer("c2").set_weights([np.ones((1, 1, 1, 1), "float32"), np.full(1, 5.0, "float32")])
    return model


@pytest.fixture(scope="module")
def model():
    """The corner model, built once per test module (import this fixture by name)."""
    return corner_model()
