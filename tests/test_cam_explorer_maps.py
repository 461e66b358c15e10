"""Chapter 3's explorer precomputes every (class, layer, method) map when the cell runs, so each
widget change is a blend of cached pixels. The precomputed maps must be `cam.heatmap`'s own."""
import warnings

import numpy as np
import pytest

from course_utils import cam
from course_utils.overlay import superimpose
from course_utils.widgets.cam import cam_view


@pytest.fixture(scope="module")
def gap_model():
    """conv → conv → GAP → Dense: every method applies, CAM included."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    inputs = keras.Input((24, 24, 3))
    x = layers.Conv2D(6, 3, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(8, 3, activation="relu", name="conv2")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(4, activation="softmax", name="head")(x))


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(0).uniform(0, 255, (24, 24, 3)).astype("float32")


def test_precomputed_maps_equal_heatmap_for_every_method(gap_model, image):
    maps = cam.explorer_heatmaps(gap_model, image, [0, 2, 3], ["conv1", "conv2"])
    assert {k[2] for k in maps} == set(cam.METHODS)
    assert len(maps) == 3 * 2 * len(cam.METHODS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for (c, layer, method), heat in maps.items():
            np.testing.assert_allclose(heat, cam.heatmap(gap_model, image, c, layer, method), atol=1e-5,
                                       err_msg=f"{method} class {c} at {layer}")


def test_cam_left_out_without_a_pooled_head_and_heatmap_says_why(image):
    import keras
    from keras import layers

    inputs = keras.Input((24, 24, 3))
    x = layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    net = keras.Model(inputs, layers.Dense(3, activation="softmax")(layers.Flatten()(x)))
    maps = cam.explorer_heatmaps(net, image, [1], ["conv"])
    assert {k[2] for k in maps} == set(cam.METHODS) - {"CAM"}
    with pytest.raises(ValueError, match="CAM needs a head"):
        cam_view(net, image, 1, "conv", "CAM", 0.4, maps)


def test_cached_view_is_superimpose_at_every_opacity(gap_model, image):
    maps = cam.explorer_heatmaps(gap_model, image, [0], ["conv2"])
    for alpha in (0.0, 0.35, 0.4, 1.0):
        blended, caption = cam_view(gap_model, image, 0, "conv2", "Grad-CAM++", alpha, maps)
        np.testing.assert_array_equal(blended, superimpose(image, maps[0, "conv2", "Grad-CAM++"], alpha))
        assert f"opacity {alpha:.2f}" in caption
    with pytest.raises(ValueError, match="alpha is the heatmap's opacity"):
        cam_view(gap_model, image, 0, "conv2", "Grad-CAM++", 1.5, maps)
