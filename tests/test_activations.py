"""layer_activations and friends, on tiny networks written three ways."""
import numpy as np
import pytest

import keras
from keras import layers

from course_utils.activations import (channel_grid, dead_channel_fraction, default_activation_layers,
                                      layer_activations, normalize_channel, sparsity_table)
from course_utils.layers import LayerNameError
from course_utils.widgets.activations import activation_explorer, channel_view

SHAPE = (16, 16, 3)


def _stack():
    return [layers.Rescaling(1 / 255.0, name="rescaling"),
            layers.Conv2D(4, 3, activation="relu", name="c1"),
            layers.MaxPooling2D(2, name="p1"),
            layers.Conv2D(8, 3, activation="relu", name="c2"),
            layers.Flatten(name="f"),
            layers.Dense(1, name="d")]


@pytest.fixture(scope="module")
def three_ways():
    """The same network as Sequential (never built), Functional, and with a nested block."""
    keras.utils.set_random_seed(0)
    sequential = keras.Sequential(_stack())
    sequential.build((None,) + SHAPE)
    weights = sequential.get_weights()
    inp = keras.Input(SHAPE)
    x = inp
    for layer in _stack():
        x = layer(x)
    functional = keras.Model(inp, x)
    inp = keras.Input(SHAPE)
    # Explicit names: Keras numbers auto-named layers per process, so "random_flip" would
    # become "random_flip_1" when another test built one first.
    augment = [layers.RandomFlip("horizontal", name="random_flip"), layers.RandomZoom(0.2, name="random_zoom")]
    x = keras.Sequential(augment, name="augment")(inp)
    for layer in _stack():
        x = layer(x)
    nested = keras.Model(inp, x)
    for m in (functional, nested):
        m.set_weights(weights)
    return sequential, functional, nested


@pytest.fixture(scope="module")
def image():
    return np.random.RandomState(1).uniform(0, 255, (1,) + SHAPE).astype("float32")


def test_same_activations_sequential_functional_nested(three_ways, image):
    results = [layer_activations(m, image) for m in three_ways]
    for r in results:
        assert list(r) == ["c1", "p1", "c2"]
        assert [v.shape for v in r.values()] == [(1, 14, 14, 4), (1, 7, 7, 4), (1, 5, 5, 8)]
    for other in results[1:]:
        for name in results[0]:
            np.testing.assert_allclose(results[0][name], other[name], rtol=1e-6, atol=1e-6)


def test_activations_match_a_manual_forward_pass(three_ways, image):
    sequential = three_ways[0]
    x = image / 255.0
    c1 = sequential.get_layer("c1")
    expected = np.maximum(0, keras.ops.convert_to_numpy(c1.convolution_op(x, c1.kernel) + c1.bias))
    np.testing.assert_allclose(layer_activations(sequential, image, ["c1"])["c1"], expected, atol=1e-5)


def test_unbuilt_sequential_is_built_on_first_use(image):
    model = keras.Sequential(_stack())  # never called, never built
    acts = layer_activations(model, image[0])  # a single (H, W, 3) image is accepted too
    assert acts["c2"].shape == (1, 5, 5, 8)


def test_augmentation_is_off_at_inference(three_ways, image):
    nested = three_ways[2]
    a, b = layer_activations(nested, image), layer_activations(nested, image)
    np.testing.assert_array_equal(a["c1"], b["c1"])


def test_wrong_layer_name_lists_valid_names(three_ways, image):
    with pytest.raises(LayerNameError) as err:
        layer_activations(three_ways[1], image, ["conv1"])
    assert "no layer named 'conv1'" in str(err.value)
    assert "c1, p1, c2" in str(err.value)
    with pytest.raises(LayerNameError, match="inside the nested sub-model 'augment'"):
        layer_activations(three_ways[2], image, ["random_flip"])


def test_default_layers_are_conv_and_pool(three_ways):
    assert default_activation_layers(three_ways[2]) == ["c1", "p1", "c2"]


def test_blank_channel_is_blank_not_noise():
    act = np.zeros((1, 4, 4, 3), dtype="float32")
    act[0, :, :, 1] = np.arange(16).reshape(4, 4)
    act[0, 0, 0, 2] = 1e-12  # numerically a constant: must not be stretched into noise
    grid = channel_grid(act, columns=3, gap=1)
    assert grid.shape == (4, 4 * 3 + 2)
    assert grid[:, :4].max() == 0 and grid[:, 10:].max() == 0
    assert grid[:, 5:9].max() > 200
    assert normalize_channel(np.full((3, 3), 7.0)).max() == 0


def test_grid_rows_and_bad_shape():
    assert channel_grid(np.ones((1, 2, 2, 5)), columns=2, gap=0).shape == (6, 4)
    with pytest.raises(ValueError, match="Expected an activation"):
        channel_grid(np.ones((2, 2)))


def test_sparsity_known_answer():
    act = np.ones((1, 2, 2, 4))
    act[..., :3] = 0
    assert dead_channel_fraction(act) == 0.75
    rows = sparsity_table({"x": act})
    assert rows == [{"layer": "x", "shape": (2, 2, 4), "blank_channels": 0.75, "zero_values": 0.75}]


def test_channel_view_callback(three_ways, image):
    acts = layer_activations(three_ways[1], image)
    channel_map, caption = channel_view(acts, "c2", 7)
    assert channel_map.shape == (5, 5)
    np.testing.assert_array_equal(channel_map, acts["c2"][0, :, :, 7])
    assert caption.startswith("c2, channel 7 of 8: 5×5")
    with pytest.raises(IndexError, match="0 … 7"):
        channel_view(acts, "c2", 8)
    with pytest.raises(KeyError, match="c1, p1, c2"):
        channel_view(acts, "dense", 0)
    dead = {"z": np.zeros((1, 3, 3, 2))}
    assert "blank" in channel_view(dead, "z", 1)[1]


def test_explorer_slider_follows_layer(three_ways, image):
    acts = layer_activations(three_ways[1], image)
    box = activation_explorer(acts)
    dropdown, slider = box.children[0].children
    assert slider.max == 3
    dropdown.value = "c2"
    assert slider.max == 7


def test_input_similarity_known_answer():
    from course_utils.activations import input_similarity

    image = np.zeros((1, 8, 8, 3), dtype="float32")
    image[0, :, 4:] = 255  # right half bright
    act = np.zeros((1, 8, 8, 3), dtype="float32")
    act[0, :, 4:, 0] = 1.0  # channel 0 copies the picture
    act[0, :, :4, 1] = 1.0  # channel 1 is its negative
    # channel 2 is blank
    sim = input_similarity(act, image)
    np.testing.assert_allclose(sim, [1.0, 1.0, 0.0], atol=1e-6)


def test_centroid_accuracy_separable_and_random():
    from course_utils.activations import centroid_accuracy

    rng = np.random.RandomState(0)
    labels = np.repeat([0, 1], 30)
    separable = rng.normal(size=(60, 5)) + labels[:, None] * 10
    assert centroid_accuracy(separable, labels) == 1.0
    assert 0.2 < centroid_accuracy(rng.normal(size=(60, 5)), labels) < 0.8
