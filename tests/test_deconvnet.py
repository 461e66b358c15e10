"""Deconvnet projections and guided backpropagation on models whose answer is known by hand."""
import numpy as np
import pytest

from ch4_models import model  # noqa: F401  (the corner-model pytest fixture)
from ch4_models import CORNER, corner_image, two_relu_model
from course_utils.deconvnet import (footprint, project_filters,
                                    projection_to_uint8, top_filters)
from course_utils.heatmaps import high_frequency_energy
from course_utils.layers import LayerNameError
from course_utils.model_io import spatial_conv_layers


def test_top_filters_are_the_brightest_colour_channels(model):
    img = corner_image()
    # conv is a per-colour identity (/255), so a filter's total is its colour's sum / 255
    sums = img[0].sum(axis=(0, 1)) / 255
    expected = np.argsort(-np.append(sums, 0.0), kind="stable")[:3]
    filters, totals = top_filters(model, img, "conv", k=3)
    np.testing.assert_array_equal(filters, expected)
    np.testing.assert_allclose(totals, np.append(sums, 0.0)[expected], rtol=1e-5)


def test_projection_of_the_red_filter_is_the_red_corner(model):
    img = corner_image()
    proj = project_filters(model, img, "conv", filter_indices=[0])
    red_back = proj.images[0]
    assert red_back.shape == img.shape[1:]
    # seed = red activation (1 in the corner, 0 elsewhere), sent back through kernel 1/255
    expected = np.zeros_like(red_back)
    expected[:CORNER, :CORNER, 0] = 1 / 255
    np.testing.assert_allclose(red_back, expected, atol=1e-7)


def test_deconvnet_ignores_the_forward_mask_and_guided_does_not():
    net = two_relu_model()
    x = np.where(np.arange(16).reshape(1, 4, 4, 1) % 2 == 0, 1.0, -1.0).astype("float32")
    deconv = project_filters(net, x, "c2", k=1).images[0, ..., 0]
    guided = project_filters(net, x, "c2", k=1, rule="guided").images[0, ..., 0]
    c2 = np.maximum(x[0, ..., 0], 0) + 5  # the layer's activation = the projected seed
    np.testing.assert_allclose(deconv, c2, atol=1e-6)  # passes c1's ReLU even where x < 0
    np.testing.assert_allclose(guided, np.where(x[0, ..., 0] > 0, c2, 0), atol=1e-6)


def test_top_k_projections_through_pooling_and_relu(model):
    proj = project_filters(model, corner_image(), "conv2", k=2)
    assert proj.images.shape == (2, 16, 16, 3) and proj.rule == "deconvnet"
    # each projection lands in its own colour channel only (the convs are identities)
    for f, image in zip(proj.filter_indices, proj.images):
        others = [c for c in range(3) if c != f]
        assert np.abs(image[..., others]).max() == 0 and np.abs(image[..., f]).max() > 0


def test_works_on_chapter_one_small_convnet():
    from course_utils.small_convnet import build_small_convnet

    net = build_small_convnet()
    img = np.random.default_rng(0).uniform(0, 255, (1, 180, 180, 3)).astype("float32")
    proj = project_filters(net, img, "conv2d_1", k=4)
    assert proj.images.shape == (4, 180, 180, 3)
    assert np.all(np.diff(proj.totals) <= 0)
    assert all(np.abs(p).max() > 0 for p in proj.images)


def test_display_and_measures():
    p = np.zeros((8, 8, 3), "float32")
    assert np.all(projection_to_uint8(p) == 128)
    p[2, 3, 0] = -2.0
    assert projection_to_uint8(p, percentile=100)[2, 3, 0] == 1  # -max → 128 - 127
    shown = projection_to_uint8(p)  # scaled by the 99.5th percentile: the outlier saturates
    assert shown[2, 3, 0] == 0 and shown[0, 0, 0] == 128
    assert footprint(p) == pytest.approx(1 / 64)
    stripes = np.tile([1.0, -1.0], (8, 4))  # the finest possible pattern
    assert high_frequency_energy(stripes[..., None])[0] == pytest.approx(1.0)
    assert high_frequency_energy(np.outer(np.hanning(32), np.hanning(32))[..., None])[0] < 0.05


def test_bad_layer_and_k_are_explained(model):
    img = corner_image()
    with pytest.raises(LayerNameError, match="no conv layer named 'conv3'.*Valid choices: conv, conv2"):
        project_filters(model, img, "conv3")
    with pytest.raises(LayerNameError, match="'pool' is not a conv layer"):
        project_filters(model, img, "pool")
    with pytest.raises(ValueError, match="k must be 1 … 4 .*has 4 filters"):
        top_filters(model, img, "conv", k=5)
    with pytest.raises(ValueError, match="has 3 filters, so a filter index must be 0 … 2; got 3"):
        project_filters(model, img, "conv2", filter_indices=[3])
    with pytest.raises(ValueError, match="filter_indices is empty"):
        project_filters(model, img, "conv2", filter_indices=[])
    with pytest.raises(ValueError, match="rule must be"):
        project_filters(model, img, "conv", rule="plain")
    assert spatial_conv_layers(model) == ["conv", "conv2"]
