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


def assert_each_map_equals(maps, compute):
    """Every precomputed (class, layer, method) map equals `compute(class, layer, method)`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for (c, layer, method), heat in maps.items():
            np.testing.assert_allclose(heat, compute(c, layer, method), atol=1e-5,
                                       err_msg=f"{method} class {c} at {layer}")


def test_precomputed_maps_equal_heatmap_for_every_method(gap_model, image):
    maps = cam.explorer_heatmaps(gap_model, image, [0, 2, 3], ["conv1", "conv2"])
    assert {k[2] for k in maps} == set(cam.METHODS)
    assert len(maps) == 3 * 2 * len(cam.METHODS)
    assert_each_map_equals(maps, lambda c, layer, method: cam.heatmap(gap_model, image, c, layer, method))


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


# ---------------------------------------------------------------- chapter 6's methods too

def test_every_method_is_precomputed_and_equals_its_own_function(gap_model, image):
    from course_utils import explorer_maps

    maps, missing = explorer_maps.explorer_maps(gap_model, image, [0, 3], ["conv1", "conv2"], progress=False)
    assert missing == {}  # a tiny network: far inside the budgets
    assert {k[2] for k in maps} == set(explorer_maps.ALL_METHODS)
    assert len(maps) == 2 * 2 * len(explorer_maps.ALL_METHODS)
    assert_each_map_equals(maps, lambda c, layer, method: explorer_maps.method_map(gap_model, image, c, layer,
                                                                                    method))
    # what each kind of method ignores: Eigen-CAM the class, pixel maps the layer
    np.testing.assert_array_equal(maps[0, "conv2", "Eigen-CAM"], maps[3, "conv2", "Eigen-CAM"])
    assert maps[0, "conv1", "Eigen-CAM"].shape != maps[0, "conv2", "Eigen-CAM"].shape
    for method in explorer_maps.PIXEL_METHODS:
        assert maps[0, "conv1", method].shape == image.shape[:2]
        np.testing.assert_array_equal(maps[0, "conv1", method], maps[0, "conv2", method])
        assert not np.array_equal(maps[0, "conv1", method], maps[3, "conv1", method])


def test_score_cam_over_budget_is_left_out_and_the_view_says_how_to_get_it(gap_model, image, monkeypatch):
    from course_utils import explorer_maps

    # conv2 (the default, deepest) "costs" 1 s and conv1 50 s against a 10 s budget
    monkeypatch.setattr(explorer_maps, "score_cam_seconds", lambda model, img, names: {"conv1": 50.0, "conv2": 1.0})
    maps, missing = explorer_maps.explorer_maps(gap_model, image, [0, 1], ["conv1", "conv2"],
                                                score_cam_budget_s=10, progress=False)
    assert (0, "conv2", "Score-CAM") in maps and (0, "conv1", "Score-CAM") not in maps
    assert set(missing) == {(0, "conv1", "Score-CAM"), (1, "conv1", "Score-CAM")}
    assert "6 masked forward passes, about 50 s" in missing[0, "conv1", "Score-CAM"]
    assert "cam_variants.score_cam(model, img, class_index, 'conv1')" in missing[0, "conv1", "Score-CAM"]
    cache = {**maps, **{("missing",) + key: why for key, why in missing.items()}}
    with pytest.raises(ValueError, match="not precomputed"):
        cam_view(gap_model, image, 0, "conv1", "Score-CAM", 0.4, cache)
    assert (0, "conv1", "Score-CAM") not in cache  # not computed behind the learner's back
    _, caption = cam_view(gap_model, image, 0, "conv1", "SmoothGrad", 0.4, cache)
    assert "at the input pixels" in caption and "24x24 map" in caption


def test_pixel_maps_over_budget_are_left_out_but_the_plain_gradient_never(gap_model, image):
    from course_utils import explorer_maps

    maps, missing = explorer_maps.explorer_maps(gap_model, image, [2, 0], ["conv1", "conv2"], pixel_budget_s=0,
                                                progress=False)
    assert {(c, m) for c, _, m in maps if m in explorer_maps.PIXEL_METHODS} == {(2, "gradient"), (0, "gradient")}
    assert {(c, m) for c, _, m in missing} == {(c, m) for c in (2, 0) for m in ("SmoothGrad", "integrated gradients")}
    assert {layer for _, layer, _ in missing} == {"conv1", "conv2"}  # a pixel map is missing at every layer
    why = missing[0, "conv2", "SmoothGrad"]
    assert "25 gradient passes" in why and "explorer_maps.pixel_map(model, img, 0, 'SmoothGrad')" in why
    cache = {**maps, **{("missing",) + key: text for key, text in missing.items()}}
    with pytest.raises(ValueError, match="integrated gradients for class 2 was not precomputed"):
        cam_view(gap_model, image, 2, "conv1", "integrated gradients", 0.4, cache)


def test_score_cam_layers_are_the_deepest_that_fit_without_gaps():
    from course_utils import explorer_maps

    assert explorer_maps.score_cam_order(["a", "b", "c", "d"], "d") == ["d", "c", "b", "a"]
    assert explorer_maps.score_cam_order(["a", "b", "c", "d"], "b") == ["b", "d", "c", "a"]
