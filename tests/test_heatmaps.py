"""Heatmap geometry on maps whose answer is known by hand: one rule for every method."""
import warnings

import numpy as np
import pytest

from course_utils import heatmaps


def test_mass_in_box_peak_and_correlation_on_known_maps():
    heat = np.zeros((4, 4), "float32")
    heat[0, 3] = 1.0
    assert heatmaps.peak_location(heat) == (0, 3)
    assert heatmaps.peak_location(heat, (40, 40)) == (5, 35)
    uniform = np.ones((4, 4), "float32")
    assert heatmaps.mass_in_box(uniform, (0, 0, 20, 40), (40, 40)) == pytest.approx(0.5)
    assert heatmaps.mass_in_box(heat, (20, 0, 40, 20), (40, 40)) > 0.9
    assert heatmaps.correlation(heat, heat) == pytest.approx(1.0)
    assert heatmaps.correlation(heat, 1 - heat) == pytest.approx(-1.0)
    assert heatmaps.correlation(heat, uniform) == 0.0  # a constant map has no pattern: 0, not NaN
    with pytest.raises(ValueError, match="0 <= x0 < x1 <= 40"):
        heatmaps.mass_in_box(heat, (30, 0, 10, 20), (40, 40))


def test_collapse_rule_is_the_sum_of_absolute_channels():
    gradient = np.zeros((2, 2, 3), "float32")
    gradient[0, 0] = [1.0, -2.0, 0.5]  # sum of |c| 3.5, max |c| 2
    gradient[1, 1] = [0.0, 3.0, 0.0]   # sum of |c| 3, max |c| 3
    m = heatmaps.to_2d(gradient)
    np.testing.assert_allclose(m, [[3.5, 0.0], [0.0, 3.0]])
    assert heatmaps.peak_location(m) == (0, 0)  # the pixel that matters in every channel wins
    np.testing.assert_allclose(heatmaps.to_2d(gradient[None]), m)  # a batch of one
    with pytest.raises(ValueError, match="must be 2-D"):
        heatmaps.to_2d(np.zeros((2, 8, 8)))  # a stack of maps is not one map
    with pytest.raises(ValueError, match="NaN"):
        heatmaps.to_2d(np.full((2, 2), np.inf))


def test_normalize_is_relu_over_max_and_warns_on_empty_maps():
    np.testing.assert_allclose(heatmaps.normalize([[-1.0, 2.0], [1.0, 4.0]]), [[0, 0.5], [0.25, 1]])
    with pytest.warns(UserWarning, match="Grad-CAM is zero everywhere"):
        assert not heatmaps.normalize(-np.ones((3, 3)), "Grad-CAM").any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        heatmaps.normalize(np.zeros((3, 3)), warn=False)


def test_at_image_size_upsamples_small_maps_and_refuses_other_shapes():
    small = np.arange(16, dtype="float32").reshape(4, 4)
    big = heatmaps.at_image_size(small, (16, 16))
    assert big.shape == (16, 16) and big[0, 0] == pytest.approx(0) and big[-1, -1] == pytest.approx(15)
    with pytest.raises(ValueError, match="does not match the image"):
        heatmaps.at_image_size(np.zeros((4, 8)), (16, 16))


def test_rank_similarity_resizes_the_smaller_map():
    ramp = np.arange(16, dtype="float32").reshape(4, 4)
    assert heatmaps.rank_similarity(ramp, ramp ** 3) == pytest.approx(1.0)
    assert heatmaps.rank_similarity(np.repeat(np.repeat(ramp, 2, 0), 2, 1), ramp) > 0.9


def grating(cycles_per_pixel: float, size: int = 64) -> np.ndarray:
    x = np.arange(size)
    return np.tile(np.cos(2 * np.pi * cycles_per_pixel * x), (size, 1))[..., None].repeat(3, axis=-1)


def test_high_frequency_energy_is_in_cycles_per_pixel():
    # one unit for filter patterns and deconvnet projections: the cutoff is cycles/pixel (Nyquist 0.5)
    below, above = grating(0.1875), grating(0.3125)  # 12 and 20 cycles over 64 pixels: exact bins
    values = heatmaps.high_frequency_energy(np.stack([below, above]))
    np.testing.assert_allclose(values, [0.0, 1.0], atol=1e-6)
    assert heatmaps.high_frequency_energy(above, cutoff=0.4)[0] == pytest.approx(0.0, abs=1e-6)


def test_pearson_is_one_definition_for_maps_images_and_steps():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 5, 5, 3)), rng.normal(size=(2, 5, 5, 3))  # not maps: no collapse, no resize
    assert heatmaps.pearson(a, b) == pytest.approx(np.corrcoef(a.ravel(), b.ravel())[0, 1])
    assert heatmaps.pearson(a, 2 * a + 1) == pytest.approx(1.0)
    assert heatmaps.pearson(a, np.ones_like(a)) == 0.0  # constant: no pattern, 0 not NaN
    with pytest.raises(ValueError, match="arrays of one shape"):
        heatmaps.pearson(a, b[0])
    small = rng.random((4, 4)).astype("float32")  # correlation = pearson on one grid
    assert heatmaps.correlation(small, heatmaps.upsample(small, (8, 8))) == pytest.approx(
        heatmaps.pearson(heatmaps.upsample(small, (8, 8)), heatmaps.upsample(small, (8, 8))))


def test_mass_in_mask_is_mass_in_box_for_a_box_and_takes_any_region():
    rng = np.random.default_rng(2)
    heat = rng.random((5, 5)).astype("float32")
    box = np.zeros((40, 40), bool)
    box[8:30, 4:20] = True
    assert heatmaps.mass_in_mask(heat, box) == pytest.approx(heatmaps.mass_in_box(heat, (4, 8, 20, 30), (40, 40)))
    ring = np.ones((5, 5), bool)
    ring[1:4, 1:4] = False  # not a box: the border cells of the map itself
    assert heatmaps.mass_in_mask(heat, ring) == pytest.approx(heat[ring].sum() / heat.sum(), rel=1e-5)
    gradient = rng.normal(size=(5, 5, 3))  # collapsed by the course's rule, sum of |channels|
    assert heatmaps.mass_in_mask(gradient, ring) == pytest.approx(
        np.abs(gradient).sum(-1)[ring].sum() / np.abs(gradient).sum(), rel=1e-5)
    assert heatmaps.mass_in_mask(np.zeros((5, 5)), ring) == 0.0
    with pytest.raises(ValueError, match="2-D boolean array"):
        heatmaps.mass_in_mask(heat, ring.astype(int))
