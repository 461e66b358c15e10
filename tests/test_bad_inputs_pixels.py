"""Issue 14, classes 3, 4, 5 and 7: pixels in the wrong units, NaN/inf, wrong shapes and types,
hostile files. Each bad input gets a clear error naming the fix, or the right answer."""
import os
import threading
import warnings

import numpy as np
import pytest
from PIL import Image

from course_utils import validate
from course_utils.images import ImageLoadError, load_image
from ch4_models import SIZE, corner_image, corner_model


@pytest.fixture(scope="module")
def net():
    return corner_model()


@pytest.fixture(scope="module")
def wrapped(net):
    """An ImageNetModel around the corner model: takes 0-255 images and preprocesses them."""
    from course_utils.models import ImageNetModel

    return ImageNetModel(name="corner", model=net, input_size=(SIZE, SIZE), weights=None,
                         chapter_layers=None, _preprocess=lambda x: np.asarray(x, "float32"))


# ---------------------------------------------------------------- class 3: 0-1 floats, 16-bit, >255

def test_zero_one_float_image_is_rescaled_with_a_warning():
    photo = np.random.default_rng(0).uniform(0, 255, (6, 7, 3)).astype("float32")
    with pytest.warns(validate.ZeroToOneImageWarning, match="0-1"):
        x = load_image(photo / 255.0)
    np.testing.assert_allclose(x[0], photo, atol=1e-3)


def test_plt_imread_rgba_keeps_its_colours_not_white(tmp_path):
    import matplotlib.pyplot as plt

    rgba = np.zeros((4, 4, 4), "uint8")
    rgba[..., 0], rgba[..., 3] = 200, 255  # opaque red
    path = tmp_path / "red.png"
    Image.fromarray(rgba, "RGBA").save(path)
    floats = plt.imread(path)  # float32 in 0-1, alpha too
    with pytest.warns(validate.ZeroToOneImageWarning):
        x = load_image(floats)
    np.testing.assert_allclose(x[0, 0, 0], [200, 0, 0], atol=0.6)


def test_sixteen_bit_always_scales_by_255_over_65535(tmp_path):
    """A dim 16-bit file must not come out 257x brighter than a bright one."""
    dim, bright = tmp_path / "dim.png", tmp_path / "bright.png"
    Image.fromarray(np.full((2, 2), 200, "uint16")).save(dim)  # every value below 256
    Image.fromarray(np.array([[200, 65535], [0, 0]], "uint16")).save(bright)
    assert load_image(dim)[0, 0, 0, 0] == pytest.approx(200 * 255 / 65535, abs=1e-3)
    assert load_image(bright)[0, 0, 0, 0] == pytest.approx(200 * 255 / 65535, abs=1e-3)


@pytest.mark.parametrize("values", [np.full((4, 4, 3), 300.0), np.full((4, 4, 3), -1.0)])
def test_values_outside_0_255_are_refused_with_the_fix(values):
    with pytest.raises(ValueError, match="outside 0-255.*preprocessed"):
        load_image(values)


def test_preprocessed_twice_is_refused_by_the_model_path(wrapped):
    img = corner_image()
    with pytest.raises(ValueError, match="outside 0-255"):
        wrapped.predict(img / 127.5 - 1.0)


def test_model_path_rescales_zero_one_images(wrapped):
    img = corner_image()
    with pytest.warns(validate.ZeroToOneImageWarning):
        p01 = wrapped.predict(img / 255.0)
    np.testing.assert_allclose(p01, wrapped.predict(img), atol=1e-5)


def test_superimpose_applies_the_pixel_rule():
    from course_utils.overlay import superimpose

    photo = np.full((8, 8, 3), 200.0)
    with pytest.warns(validate.ZeroToOneImageWarning):
        a = superimpose(photo / 255.0, np.ones((2, 2)))
    np.testing.assert_array_equal(a, superimpose(photo, np.ones((2, 2))))


# ---------------------------------------------------------------- class 4: NaN and inf

def test_nan_is_refused_by_predict_and_grad_cam(wrapped, net):
    from course_utils.cam import grad_cam

    bad = corner_image().copy()
    bad[0, 3, 3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        wrapped.predict(bad)
    with pytest.raises(ValueError, match="NaN"):
        grad_cam(net, bad, 1, "conv2")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_heatmaps_are_refused_where_heatmaps_enter(bad):
    from course_utils.heatmaps import mass_in_box, peak_location
    from course_utils.overlay import superimpose

    heat = np.ones((4, 4), "float32")
    heat[1, 1] = bad
    with pytest.raises(ValueError, match="NaN"):
        peak_location(heat)
    with pytest.raises(ValueError, match="NaN"):
        mass_in_box(heat, (0, 0, 2, 2), (8, 8))
    with pytest.raises(ValueError, match="NaN"):
        superimpose(np.zeros((8, 8, 3)), heat)


# ---------------------------------------------------------------- class 5: shapes and types

@pytest.mark.parametrize("image, message", [
    (np.zeros((3, 8, 8)), "channels first"),
    (np.zeros((0, 0, 3)), "empty"),
    (np.zeros((2, 8, 8, 3)), "batch of 2"),
    ("a string", "must be an image array"),
    ([np.zeros((4, 4, 3)), np.zeros((5, 5, 3))], "different sizes"),
])
def test_pixel_shapes_get_the_courses_words(image, message):
    with pytest.raises((ValueError, TypeError), match=message):
        validate.pixels(image)


def test_empty_image_is_refused_not_invented():
    with pytest.raises(ValueError, match="empty"):
        load_image(np.zeros((0, 0, 3), "uint8"))
    with pytest.raises(ValueError, match="empty"):
        load_image(np.zeros((0, 0, 3), "uint8"), size=(8, 8))


@pytest.mark.parametrize("value, ok", [(3, 3), (3.0, 3), (np.int64(4), 4)])
def test_whole_numbers_accept_ints(value, ok):
    assert validate.whole_number(value, "steps") == ok


@pytest.mark.parametrize("value", [2.5, "3", True, None, float("nan"), [2]])
def test_whole_numbers_refuse_the_rest(value):
    with pytest.raises(TypeError, match="steps must be a whole number"):
        validate.whole_number(value, "steps")


def test_zero_where_at_least_one_is_needed():
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        validate.whole_number(0, "batch_size")


@pytest.mark.parametrize("rate", [-10.0, 0.0, float("nan"), float("inf")])
def test_learning_rate_must_be_positive_and_finite(rate):
    with pytest.raises(ValueError, match="positive number"):
        validate.positive_number(rate, "learning_rate")


def test_names_refuse_a_bare_string_and_an_empty_list():
    with pytest.raises(TypeError, match=r"list of layer names, e.g. \['conv'\]"):
        validate.names("conv", "layer_names")
    with pytest.raises(ValueError, match="empty"):
        validate.names([], "layer_names")


def test_occlusion_refuses_grey_as_a_word_and_batch_size_zero(net):
    from course_utils.occlusion import occlusion_sensitivity

    with pytest.raises(TypeError, match="fill is a pixel value between 0 and 255"):
        occlusion_sensitivity(net, corner_image(), 1, patch=4, stride=4, fill="grey", progress=False)
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        occlusion_sensitivity(net, corner_image(), 1, patch=4, stride=4, batch_size=0, progress=False)


def test_class_scores_refuse_batch_size_zero(net):
    from course_utils.targets import class_scores

    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        class_scores(net, corner_image(), 1, batch_size=0)


def test_sanity_methods_must_be_a_dict_and_groups_not_letters(net):
    from course_utils.cam import grad_cam
    from course_utils.sanity import cascading_randomization

    fn = lambda m, x, c: grad_cam(m, x, c, "conv2")  # noqa: E731
    with pytest.raises(TypeError, match="methods maps a label to a function"):
        cascading_randomization(net, corner_image(), 1, [fn], progress=False)
    with pytest.raises(ValueError, match="Cannot randomise 'nope'"):
        cascading_randomization(net, corner_image(), 1, {"g": fn}, layer_groups="nope", progress=False)


def test_empty_layer_names_are_refused(net):
    from course_utils.activations import layer_activations
    from course_utils.cam import grad_cam_gallery

    with pytest.raises(ValueError, match="layer_names is empty"):
        layer_activations(net, corner_image(), [])
    with pytest.raises(ValueError, match="layer_names is empty"):
        grad_cam_gallery(net, corner_image(), 1, [])


@pytest.mark.parametrize("kwargs, error, message", [
    ({"steps": 2.5}, TypeError, "steps must be a whole number"),
    ({"learning_rate": -10.0}, ValueError, "learning_rate must be a positive number"),
    ({"learning_rate": float("nan")}, ValueError, "learning_rate must be a positive number"),
    ({"size": 0}, ValueError, "size must be at least 1"),
])
def test_filter_patterns_refuse_bad_numbers(net, kwargs, error, message):
    from course_utils.filters import filter_patterns

    with pytest.raises(error, match=message):
        filter_patterns(net, "conv2", [0], progress=False, **kwargs)


# ---------------------------------------------------------------- class 7: files

def test_named_pipe_is_refused_without_opening(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    result = {}

    def read():
        try:
            load_image(fifo)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            result["exc"] = exc

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # unblock the reader so the test run can end, then fail
        with open(fifo, "wb"):
            pass
        pytest.fail("load_image hung on a named pipe")
    assert isinstance(result["exc"], ImageLoadError) and "not a regular file" in str(result["exc"])


@pytest.mark.parametrize("url", ["https://example.com/cat.jpg", "http://x/y.png"])
def test_url_is_refused_with_download_it_first(url):
    with pytest.raises(ValueError, match="is a URL.*Download it first"):
        load_image(url)


@pytest.mark.parametrize("empty", ["", "   "])
def test_empty_path_is_named(empty):
    with pytest.raises(ValueError, match="image path is empty"):
        load_image(empty)


def test_decompression_bomb_is_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    Image.new("L", (200, 200)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 40 000 px > 2 x limit: a "bomb"
    with pytest.raises(ImageLoadError, match="too large to decode safely"):
        load_image(path)


def test_animated_gif_file_is_closed(tmp_path):
    path = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        x = load_image(path)
    assert x.shape == (1, 8, 8, 3)
    fd_dir = f"/proc/{os.getpid()}/fd"
    open_files = [os.readlink(os.path.join(fd_dir, fd)) for fd in os.listdir(fd_dir)
                  if os.path.exists(os.path.join(fd_dir, fd))]
    assert str(path) not in open_files
