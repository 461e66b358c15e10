"""course_utils.filters / regularizers / widgets.filters: filter patterns by gradient ascent."""
import numpy as np
import pytest

from course_utils import filters as F
from course_utils import regularizers as R
from course_utils.heatmaps import high_frequency_energy
from course_utils.layers import LayerNameError
from course_utils.widgets.filters import filter_explorer, pattern_view

SIZE = 24


@pytest.fixture(scope="module")
def colour_model():
    """Hand-built: filter k of 'colour' (k < 3) IS colour channel k of the 0-255 input; filter 3 is
    their mean. 'pool' is not a conv layer; 'conv_b' reads 4 channels (not RGB)."""
    import keras
    from keras import layers

    inputs = keras.Input((SIZE, SIZE, 3))
    x = layers.Conv2D(4, 1, use_bias=False, name="colour")(inputs)
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.Conv2D(2, 3, name="conv_b")(x)
    outputs = layers.GlobalAveragePooling2D(name="gap")(x)
    model = keras.Model(inputs, outputs, name="colour_model")
    kernel = np.zeros((1, 1, 3, 4), "float32")
    kernel[0, 0, [0, 1, 2], [0, 1, 2]] = 1.0
    kernel[0, 0, :, 3] = 1 / 3
    model.get_layer("colour").set_weights([kernel])
    return model


@pytest.fixture(scope="module")
def squeeze():
    from course_utils.models import load_imagenet_model

    return load_imagenet_model("squeezenet")


# --- the ascent itself: known answers on the hand-built model ------------------------------

def test_each_image_climbs_only_its_own_filter(colour_model):
    """Linear filter k = channel k: every step adds lr/sqrt(#interior pixels) to channel k of
    the interior (the 2-px border does not count), in -1..1 units, and nothing elsewhere."""
    kw = dict(learning_rate=10.0, seed=1, progress=False)
    one = F.optimize_patterns(colour_model, "colour", [2, 0], steps=1, **kw)
    three = F.optimize_patterns(colour_model, "colour", [2, 0], steps=3, **kw)
    step = 10.0 / np.sqrt((SIZE - 4) ** 2) * 127.5  # in 0-255 pixel units
    expected = np.zeros_like(one)
    expected[0, 2:-2, 2:-2, 2] = 2 * step
    expected[1, 2:-2, 2:-2, 0] = 2 * step
    np.testing.assert_allclose(three - one, expected, atol=1e-2)


def test_filter_patterns_returns_cropped_uint8(colour_model):
    p = F.filter_patterns(colour_model, "colour", [0, 1, 3], steps=2, progress=False)
    crop = SIZE // 8
    assert p.dtype == np.uint8 and p.shape == (3, SIZE - 2 * crop, SIZE - 2 * crop, 3)


def test_reproducible_with_seed_and_independent_of_batch(colour_model):
    a = F.optimize_patterns(colour_model, "conv_b", [1], steps=5, seed=3, progress=False)
    b = F.optimize_patterns(colour_model, "conv_b", [0, 1], steps=5, seed=3, progress=False)
    c = F.optimize_patterns(colour_model, "conv_b", [1], steps=5, seed=4, progress=False)
    np.testing.assert_allclose(a[0], b[1], atol=1e-3)
    assert np.abs(a - c).max() > 1.0


def test_unknown_layer_lists_conv_layers(colour_model):
    with pytest.raises(LayerNameError, match=r"Did you mean 'colour'.*Valid choices: colour, conv_b"):
        F.filter_patterns(colour_model, "colr", [0], progress=False)


def test_non_conv_layer_says_which_are_conv(colour_model):
    with pytest.raises(LayerNameError, match=r"'pool' is not a convolution layer.*colour, conv_b"):
        F.filter_patterns(colour_model, "pool", [0], progress=False)


@pytest.mark.parametrize("bad", [4, -1, 1.5])
def test_filter_index_out_of_range_says_filter_count(colour_model, bad):
    with pytest.raises(ValueError, match=r"'colour' has 4 filters.*0 … 3"):
        F.filter_patterns(colour_model, "colour", [0, bad], progress=False)


def test_empty_filters_and_bad_steps(colour_model):
    with pytest.raises(ValueError, match="at least one filter"):
        F.filter_patterns(colour_model, "colour", [], progress=False)
    with pytest.raises(ValueError, match="steps"):
        F.filter_patterns(colour_model, "colour", [0], steps=0, progress=False)


def test_too_small_image_is_explained(colour_model):
    with pytest.raises(ValueError, match="larger size"):
        F.filter_patterns(colour_model, "conv_b", [0], size=8, progress=False)


def test_check_filters_normalises_indices(colour_model):
    assert F.check_filters(colour_model, "colour", np.int64(2)) == [2]
    assert F.check_filters(colour_model, "colour", np.arange(3)) == [0, 1, 2]


def test_pattern_extractor_any_size_same_weights(colour_model):
    extractor = F.pattern_extractor(colour_model, "conv_b")
    assert extractor is F.pattern_extractor(colour_model, "conv_b")  # cached
    assert extractor(np.zeros((2, 40, 30, 3), "float32")).shape == (2, 18, 13, 2)
    assert extractor.get_layer("conv_b") is colour_model.get_layer("conv_b")


def test_default_crop_is_one_eighth():
    assert F.default_crop((200, 200)) == 25 and F.default_crop((128, 96)) == 12


def test_conv_layer_names(colour_model, squeeze):
    from course_utils.model_io import spatial_conv_layers

    assert spatial_conv_layers(colour_model) == ["colour", "conv_b"]
    names = spatial_conv_layers(squeeze)
    assert names[0] == "conv1" and names[-1] == "conv10" and "fire2_concat" not in names


def test_pattern_activations_known_values(colour_model):
    images = np.zeros((2, SIZE, SIZE, 3), "float32")
    images[0, ..., 1] = 100.0
    images[1] = 30.0
    np.testing.assert_allclose(F.pattern_activations(colour_model, "colour", [1, 3], images), [100.0, 30.0],
                               rtol=1e-5)
    with pytest.raises(ValueError, match="one image per filter"):
        F.pattern_activations(colour_model, "colour", [1], images)


def test_deprocess_normalises_crops_and_copies():
    rng = np.random.default_rng(0)
    images = rng.normal(5.0, 0.01, (2, 40, 40, 3)).astype("float32")
    before = images.copy()
    out = F.deprocess(images)
    assert out.shape == (2, 30, 30, 3) and out.dtype == np.uint8
    assert abs(F.deprocess(images, crop=0).mean() - 128) < 2
    np.testing.assert_array_equal(images, before)


# --- the models of the course --------------------------------------------------------------

def test_squeezenet_patterns_any_size(squeeze):
    p = F.filter_patterns(squeeze, "fire3_expand3x3", [0, 63], steps=2, size=64, progress=False)
    assert p.shape == (2, 48, 48, 3)


def test_xception_walkthrough_layer_filter_2_runs_without_weights():
    from course_utils.models import load_imagenet_model

    xception = load_imagenet_model("xception", weights=None)  # cached: built once per session
    p = F.filter_patterns(xception, xception.walkthrough_layers["filters"], [2], steps=2, size=64, progress=False)
    assert p.shape == (1, 48, 48, 3)
    with pytest.raises(LayerNameError, match="block3_sepconv1"):
        F.filter_patterns(xception, "block14_sepconv2_act", [0], progress=False)


def test_small_convnet_last_conv_layer():
    from course_utils.small_convnet import build_small_convnet

    p = F.filter_patterns(build_small_convnet(), "conv2d_4", [0, 255], steps=2, progress=False)
    assert p.shape == (2, 180 - 2 * 22, 180 - 2 * 22, 3)


def test_blur_rung_lowers_high_frequency_energy(squeeze):
    ladder = F.regularizer_ladder(squeeze, "fire6_expand3x3", [0, 5], rungs=("plain", "blur"), size=96,
                                  progress=False)
    assert set(ladder) == {"plain", "blur"}
    assert ladder["plain"]["patterns"].shape == ladder["blur"]["patterns"].shape == (2, 72, 72, 3)
    assert np.all(ladder["blur"]["high_frequency"] < ladder["plain"]["high_frequency"] - 0.1)
    assert np.all(ladder["plain"]["activation"] > 0)


def test_every_rung_runs(colour_model):
    for rung in R.LADDER:
        p = F.filter_patterns(colour_model, "conv_b", [0, 1], steps=3, size=32, regularizer=rung, progress=False)
        assert p.shape == (2, 24, 24, 3), rung


def test_first_layer_is_simpler_than_last(squeeze):
    """The hierarchy claim, measured: conv1's patterns concentrate their power in few frequencies."""
    early = F.filter_patterns(squeeze, "conv1", range(4), size=96, progress=False)
    late = F.filter_patterns(squeeze, "fire9_expand3x3", range(4), size=96, progress=False)
    assert F.spectral_concentration(early).mean() > 2 * F.spectral_concentration(late).mean()


# --- measurements and display --------------------------------------------------------------

def _grating(period=8, size=64):
    x = np.sin(2 * np.pi * np.arange(size) / period)
    return np.repeat((128 + 100 * np.tile(x, (size, 1)))[..., None], 3, axis=-1)


def test_high_frequency_energy_known_images():
    checker = (np.indices((32, 32)).sum(axis=0) % 2 * 255.0)[..., None].repeat(3, -1)
    noise = np.random.default_rng(0).uniform(0, 255, (128, 128, 3))
    smooth = _grating(period=32)
    values = high_frequency_energy(np.stack([checker[:32, :32], noise[:32, :32], smooth[:32, :32]]))
    assert values[0] == pytest.approx(1.0) and values[2] < 0.01
    assert high_frequency_energy(noise)[0] == pytest.approx(1 - np.pi * 0.25 ** 2, abs=0.03)
    assert high_frequency_energy(np.full((8, 8, 3), 7.0))[0] == 0.0
    with pytest.raises(ValueError):
        high_frequency_energy(np.zeros((8, 8)))


def test_spectral_concentration_known_images():
    assert F.spectral_concentration(_grating())[0] > 0.99
    noise = np.random.default_rng(0).uniform(0, 255, (64, 64, 3))
    assert F.spectral_concentration(noise)[0] < 0.1
    with pytest.raises(ValueError):
        F.spectral_concentration(noise, top=0)


def test_pattern_grid_places_tiles():
    patterns = np.stack([np.full((2, 2, 3), v, "uint8") for v in (10, 20, 30)])
    grid = F.pattern_grid(patterns, columns=2, gap=1)
    assert grid.shape == (5, 5, 3)
    assert grid[0, 0, 0] == 10 and grid[0, 3, 0] == 20 and grid[3, 0, 0] == 30 and grid[2, 2, 0] == 0
    with pytest.raises(ValueError):
        F.pattern_grid(np.zeros((2, 2, 3)))


def test_first_layer_kernels_known_tiles(colour_model):
    tiles = F.first_layer_kernels(colour_model)
    assert tiles.shape == (4, 1, 1, 3)
    np.testing.assert_array_equal(tiles[1, 0, 0], [128, 255, 128])  # the green filter
    np.testing.assert_array_equal(tiles[3, 0, 0], [255, 255, 255])
    with pytest.raises(ValueError, match="colour"):
        F.first_layer_kernels(colour_model, "conv_b")  # reads 4 channels, not RGB


def test_first_layer_kernels_flip_caffe_bgr_to_rgb(squeeze):
    tiles = F.first_layer_kernels(squeeze).astype(float)
    kernel = squeeze.model.get_layer("conv1").get_weights()[0]
    red_weights = kernel[:, :, 2, 0]  # Caffe order: channel 2 is red
    assert np.corrcoef(tiles[0, :, :, 0].ravel(), red_weights.ravel())[0, 1] > 0.99


# --- regularizers --------------------------------------------------------------------------

def test_regularizer_lookup():
    assert R.regularizer("blur").blur_every > 0 and R.regularizer("plain").jitter == 0
    with pytest.raises(ValueError, match="plain, jitter, blur, octaves, fourier"):
        R.regularizer("dropout")


def test_jitter_shifts_bounded_and_seeded():
    a = R.jitter_shifts(50, 4, seed=1)
    assert a.shape == (50, 2) and np.abs(a).max() <= 4 and len(np.unique(a)) > 3
    np.testing.assert_array_equal(a, R.jitter_shifts(50, 4, seed=1))


def test_octave_schedule_sums_steps():
    schedule = R.octave_schedule((100, 100), 31, 3, 1.4)
    assert [s for s, _ in schedule] == [(51, 51), (71, 71), (100, 100)]
    assert sum(c for _, c in schedule) == 31


def test_gaussian_blur_keeps_constants_and_smooths():
    k = R.gaussian_kernel(1.0)
    np.testing.assert_allclose(k.sum(axis=(0, 1)), 1.0, rtol=1e-5)
    flat = np.full((1, 10, 10, 3), 0.5, "float32")
    np.testing.assert_allclose(np.asarray(R.gaussian_blur(flat, k)), flat, atol=1e-6)
    noise = np.random.default_rng(0).normal(size=(1, 20, 20, 3)).astype("float32")
    assert np.asarray(R.gaussian_blur(noise, k)).std() < 0.6 * noise.std()


def test_fourier_scale_is_one_over_frequency():
    scale = R.fourier_scale(16, 20)
    assert scale.shape == (16, 11) and scale[0, 0] == pytest.approx(20.0)  # DC capped at 1/(1/20)
    assert scale[0, 1] == pytest.approx(20.0) and scale[0, 10] == pytest.approx(2.0)  # f = 1/20, 1/2


def test_fourier_image_is_bounded():
    spectra = R.fourier_init(2, 16, 20, lambda i: [0, i])
    image = np.asarray(R.fourier_to_unit_image(spectra * 100, 16, 20))
    assert image.shape == (2, 16, 20, 3) and np.abs(image).max() <= 1.0


# --- the widget's callback -----------------------------------------------------------------

def test_pattern_view_returns_image_and_measured_caption(colour_model):
    image, caption = pattern_view(colour_model, "colour", 0, steps=3, regularizer="jitter", progress=False)
    assert image.shape == (SIZE - 2 * (SIZE // 8),) * 2 + (3,) and image.dtype == np.uint8
    assert image[..., 0].mean() > image[..., 1].mean()  # the red filter's pattern is red
    assert caption.startswith("colour filter 0, jitter, 3 steps") and "activation" in caption
    with pytest.raises(ValueError, match="4 filters"):
        pattern_view(colour_model, "colour", 9, progress=False)


def test_filter_explorer_builds(colour_model):
    box = filter_explorer(colour_model)
    layer, index, _ = box.children[0].children
    assert list(layer.options) == ["colour", "conv_b"] and index.max == 3
    layer.value = "conv_b"
    assert index.max == 1


def test_chunks_end_on_blur_steps_and_cover_every_step():
    # steps 10..19 with a blur every 4 steps: calls must end at 12 and 16 (blur points)
    assert F._chunks(10, 10, 4) == [2, 4, 4]
    assert F._chunks(0, 30, 0) == [F.STEPS_PER_CALL] * (30 // F.STEPS_PER_CALL)
    assert sum(F._chunks(3, 25, 7)) == 25


def test_chunked_ascent_equals_one_step_at_a_time(colour_model, monkeypatch):
    many = F.optimize_patterns(colour_model, "colour", [2, 0], steps=5, regularizer="blur", progress=False)
    monkeypatch.setattr(F, "STEPS_PER_CALL", 1)
    single = F.optimize_patterns(colour_model, "colour", [2, 0], steps=5, regularizer="blur", progress=False)
    np.testing.assert_allclose(many, single, rtol=1e-5, atol=1e-3)
