"""course_utils.ascent_graph: the ascent twin computes what the original layers compute.

Each rewrite (BatchNormalization folded into its conv, strided 1x1 conv as subsample + matmul,
the target layer computed only for each image's own filter) is checked against the original
model on values AND on the input gradient the ascent climbs."""
import numpy as np
import pytest

from course_utils import ascent_graph as AG
from course_utils import filters as F

SIZE = 29  # odd on purpose: stride-2 layers then see an odd edge


def _randomise_batchnorms(model, seed=0):
    """BN statistics far from the identity, so a wrong fold cannot pass by accident."""
    import keras

    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 2, gamma.shape), rng.normal(0, 1, beta.shape),
                               rng.normal(0, 1, mean.shape), rng.uniform(0.5, 2, var.shape)])


@pytest.fixture(scope="module")
def net():
    """Every rewrite once: conv+bias → BN, separable → BN, strided 1x1 shortcut → BN, a conv
    whose output is read twice (must NOT be folded), then targets of each kind."""
    import keras
    from keras import layers as L

    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 3))
    a = L.Conv2D(8, 3, strides=2, name="stem")(inputs)
    a = L.BatchNormalization(name="stem_bn")(a)
    a = L.Activation("relu", name="stem_act")(a)
    b = L.SeparableConv2D(16, 3, padding="same", use_bias=False, name="sep")(a)
    b = L.BatchNormalization(name="sep_bn")(b)
    b = L.MaxPooling2D(3, strides=2, padding="same", name="pool")(b)
    s = L.Conv2D(16, 1, strides=2, padding="same", use_bias=False, name="shortcut")(a)
    s = L.BatchNormalization(name="shortcut_bn")(s)
    x = L.Add(name="add")([b, s])
    shared = L.Conv2D(12, 1, name="shared")(x)  # read by a BN and by the Add below: no fold
    y = L.BatchNormalization(name="shared_bn")(shared)
    x = L.Concatenate(name="cat")([y, shared])
    k3 = L.Conv2D(10, 3, padding="same", activation="relu", name="target_3x3")(x)
    k1 = L.Conv2D(10, 1, name="target_1x1")(x)
    t = L.SeparableConv2D(10, 3, padding="same", name="target_sep")(x)
    t = L.Conv2D(5, 1, activation="softmax", name="target_softmax")(t)
    model = keras.Model(inputs, [k3, k1, t], name="net")
    _randomise_batchnorms(model)
    return model


def _compare(model, layer, filters, size=SIZE, seed=1):
    """(max relative value error, relative L2 gradient error): twin vs the original layer."""
    import tensorflow as tf

    x = tf.random.uniform((len(filters), size, size, 3), -1, 1, seed=seed)
    ids = tf.constant(filters, dtype=tf.int32)
    full = F.pattern_extractor(model, layer)
    twin = AG.ascent_twin(model, layer)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        want = F._filter_means(full(x, training=False), ids)
        got = F._own_filter_means(twin, x, ids)
        total_want, total_got = tf.reduce_sum(want), tf.reduce_sum(got)
    g_want, g_got = tape.gradient(total_want, x), tape.gradient(total_got, x)
    value = np.abs(got - want).max() / (np.abs(want).max() + 1e-12)
    # L2 over the whole gradient: a pixel whose ReLU sits at 0 can flip on rounding alone
    grad = np.linalg.norm(g_got - g_want) / (np.linalg.norm(g_want) + 1e-12)
    return value, grad


@pytest.mark.parametrize("layer", ["target_3x3", "target_1x1", "target_sep", "target_softmax", "add", "sep"])
def test_twin_equals_original_values_and_gradients(net, layer):
    count = net.get_layer(layer).output.shape[-1]
    filters = [count - 1, 0, 3, 3]  # the same filter twice in one batch is allowed
    value, grad = _compare(net, layer, filters)
    assert value < 1e-5 and grad < 1e-5, (layer, value, grad)


def test_which_layers_are_rewritten(net):
    body, head = AG.ascent_twin(net, "target_3x3")
    kinds = {layer.name: type(layer).__name__ for layer in body.layers}
    assert kinds["stem"] == kinds["sep"] == "FoldedConv"
    assert kinds["stem_bn"] == kinds["sep_bn"] == kinds["shortcut_bn"] == "Folded"
    assert kinds["shortcut"] == "FoldedConv"  # strided 1x1 AND folded
    assert kinds["shared"] == "Conv2D" and kinds["shared_bn"] == "BatchNormalization"  # read twice
    assert "target_3x3" not in kinds and head is not None  # the head computes it
    assert AG.FilterHead.for_layer(net.get_layer("target_softmax")) is None  # softmax mixes channels
    assert AG.FilterHead.for_layer(net.get_layer("add")) is None


def test_strided_pointwise_without_batchnorm(net, monkeypatch):
    """The subsample + matmul rewrite alone (no fold to hide behind)."""
    monkeypatch.setattr(AG, "SWAPS", {"strided_pointwise"})
    monkeypatch.setattr(AG, "_twins", type(AG._twins)())
    body, _ = AG.ascent_twin(net, "add")
    assert type(body.get_layer("shortcut")).__name__ == "SubsampledPointwise"
    for size in (SIZE, SIZE + 1):  # odd and even edges
        value, grad = _compare(net, "add", [0, 5], size=size)
        assert value < 1e-5 and grad < 1e-5, (size, value, grad)


def test_fold_follows_new_weights(net):
    """The fold is recomputed from the variables each call: new BN statistics are seen."""
    AG.ascent_twin(net, "target_1x1")
    _randomise_batchnorms(net, seed=5)
    try:
        value, grad = _compare(net, "target_1x1", [1, 2])
    finally:
        _randomise_batchnorms(net)
    assert value < 1e-5 and grad < 1e-5


def test_xception_walkthrough_layer_twin():
    """The walkthrough's own layer: BN folds, strided shortcut and sliced separable head agree
    with the full Xception (random weights, random BN statistics, a small image)."""
    from course_utils.models import load_imagenet_model

    model = load_imagenet_model("xception", weights=None).model
    import keras

    keras.utils.set_random_seed(0)  # clone_model draws fresh random weights: the same ones every run
    clone = keras.models.clone_model(model)  # the cached model is shared: randomise a copy
    _randomise_batchnorms(clone)
    value, grad = _compare(clone, "block3_sepconv1", [2, 255, 7], size=96)
    # float32 through three blocks, with the folds reordering sums, flips a few ReLU kinks: a wrong
    # fold or slice gives errors of order 1, rounding gives about 1e-4.
    assert value < 1e-5 and grad < 1e-3, (value, grad)
