"""Heatmap display: colours, blending arithmetic, upsampling, figures, and bad input."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import overlay  # noqa: E402

JET = matplotlib.colormaps["jet"]


def _jet_uint8(value):
    return np.rint(np.array(JET(value)[:3]) * 255).astype("uint8")


def test_colorize_uses_jet_by_default_and_clips():
    coloured = overlay.colorize(np.array([[0.0, 1.0], [-1.0, 2.0]]))
    assert coloured.shape == (2, 2, 3) and coloured.dtype == np.uint8
    assert np.array_equal(coloured[0, 0], _jet_uint8(0.0)) and np.array_equal(coloured[1, 0], _jet_uint8(0.0))
    assert np.array_equal(coloured[0, 1], _jet_uint8(1.0)) and np.array_equal(coloured[1, 1], _jet_uint8(1.0))
    viridis = overlay.colorize(np.array([[1.0]]), "viridis")[0, 0]
    assert not np.array_equal(viridis, _jet_uint8(1.0))


def test_superimpose_blends_at_alpha_after_upsampling_and_leaves_inputs_alone():
    image = np.full((1, 8, 8, 3), 100.0, "float32")
    heat = np.zeros((2, 2), "float32")
    before = image.copy(), heat.copy()
    out = overlay.superimpose(image, heat)  # alpha 0.4 by default
    assert out.shape == (8, 8, 3) and out.dtype == np.uint8
    expected = np.rint(0.6 * 100 + 0.4 * _jet_uint8(0.0).astype("float32"))
    assert np.all(out == expected.astype("uint8"))
    assert np.array_equal(image, before[0]) and np.array_equal(heat, before[1])
    assert np.array_equal(overlay.superimpose(image, heat, alpha=0.0), np.full((8, 8, 3), 100, "uint8"))


def test_a_hot_corner_stays_in_its_corner_after_upsampling():
    heat = np.zeros((4, 4), "float32")
    heat[0, 0] = 1.0
    out = overlay.superimpose(np.zeros((40, 40, 3)), heat, alpha=1.0).astype(int)
    red_minus_blue = out[..., 0] - out[..., 2]
    assert red_minus_blue[:5, :5].mean() > 0 > red_minus_blue[-10:, -10:].mean()


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="opacity, between 0 and 1"):
        overlay.superimpose(np.zeros((8, 8, 3)), np.zeros((2, 2)), alpha=40)
    with pytest.raises(ValueError, match="Did you mean 'jet'"):
        overlay.colorize(np.zeros((2, 2)), "jett")
    with pytest.raises(ValueError, match="2-D array.*gradient_image"):
        overlay.colorize(np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="RGB image"):
        overlay.superimpose(np.zeros((8, 8)), np.zeros((2, 2)))


def test_plots_return_the_figure_that_shows_the_blended_array():
    image = np.random.default_rng(0).uniform(0, 255, (16, 16, 3))
    heat = np.random.default_rng(1).uniform(size=(4, 4)).astype("float32")
    fig = overlay.plot_superimposed(image, heat, boxes={"calf": (2, 2, 8, 8)})
    assert isinstance(fig, plt.Figure)
    assert np.array_equal(fig.axes[0].images[0].get_array(), overlay.superimpose(image, heat))
    assert len(fig.axes[0].patches) == 1
    _, ax = plt.subplots()
    assert overlay.plot_superimposed(image, heat, ax=ax) is ax.figure  # drawn into the caller's axes
    raw = overlay.plot_heatmap(heat)
    assert np.array_equal(raw.axes[0].images[0].get_array(), heat)  # matshow of the raw grid
    grid = overlay.plot_heatmap_grid({"a": heat, "b": heat, "c": heat}, image, columns=2)
    assert len(grid.axes) == 4 and sum(len(ax.images) for ax in grid.axes) == 3
    plt.close("all")
    with pytest.raises(ValueError, match="at least one"):
        overlay.plot_heatmap_grid({})


def test_gradient_image_centres_on_grey_and_keeps_the_sign():
    assert np.all(overlay.gradient_image(np.zeros((3, 3, 3))) == 128)
    g = np.zeros((3, 3, 3), "float32")
    g[0, 0] = 1.0
    g[2, 2] = -1.0
    shown = overlay.gradient_image(g)
    assert shown[0, 0, 0] > 128 > shown[2, 2, 0] and shown[1, 1, 0] == 128
