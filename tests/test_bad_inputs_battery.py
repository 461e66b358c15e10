"""Issue 14, a second battery of bad inputs across the public API: each gets a clear error in the
course's words (the problem and the fix), or the right answer; never a raw NumPy/PIL/Keras error,
silent garbage or a hang. Grouped by class: the 0-255 rule on plain keras.Model paths, the pixel
limit, shapes and types, counts and numbers, heatmap geometry, classes and layers, files, the CLI."""
import os
import warnings

import numpy as np
import pytest
from PIL import Image

from course_utils import activations, cam, deconvnet, faithfulness, filters, heatmaps, images, model_io, models
from course_utils import occlusion, overlay, sanity, small_convnet, validate
from course_utils.__main__ import main as cli
from course_utils.images import ImageLoadError, load_image
from course_utils.layers import LayerNameError
from course_utils.widgets import activations as activation_widget
from course_utils.widgets import cam as cam_widget
from course_utils.widgets import compare as compare_widget
from ch4_models import SIZE, corner_image, corner_model

# Raw errors a learner must never see for these inputs (their messages point nowhere useful).
RAW = ("could not be broadcast", "unhashable", "object is not callable", "slice indices", "range() arg",
       "cannot convert float NaN", "not enough values to unpack", "Symlink loop", "is incompatible with the layer")


def pixel_model():
    """Chapter 1's shape in miniature: 0-255 pixels in, Rescaling(1/255), conv, one sigmoid unit."""
    import keras
    from keras import layers as L

    keras.utils.set_random_seed(3)
    inputs = keras.Input((SIZE, SIZE, 3), name="image")
    x = L.Rescaling(1 / 255, name="rescaling")(inputs)
    x = L.Conv2D(4, 3, activation="relu", name="conv")(x)
    x = L.Conv2D(4, 3, activation="relu", name="conv_b")(x)
    p = L.Dense(1, activation="sigmoid", name="p")(L.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, p, name="pixel_model")


@pytest.fixture(scope="module")
def px():
    return pixel_model()


@pytest.fixture(scope="module")
def net():
    return corner_model()


def photo(seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (SIZE, SIZE, 3)).astype("float32")


def _no_raw(exc_info):
    assert not any(r in str(exc_info.value) for r in RAW), str(exc_info.value)


# ---------------------------------------------------------------- the 0-255 rule on plain keras.Model paths

def test_takes_pixels_reads_the_models_own_rescaling(px, net):
    import keras
    from keras import layers as L

    assert model_io.takes_pixels(px) and not model_io.takes_pixels(net)
    augment = keras.Sequential([L.RandomFlip("horizontal")], name="augment")  # no units change
    inputs = keras.Input((SIZE, SIZE, 3))
    walkthrough = keras.Model(inputs, L.Conv2D(2, 3)(L.Rescaling(1 / 255)(augment(inputs))))
    assert model_io.takes_pixels(walkthrough)
    late = keras.Model(inputs, L.Rescaling(2.0)(L.Conv2D(2, 3)(inputs)))  # a conv sees the input first
    assert not model_io.takes_pixels(late)


@pytest.mark.parametrize("call", [
    lambda m, x: activations.layer_activations(m, x, ["conv"])["conv"],
    lambda m, x: small_convnet.predict_dog_probability(m, x),
    lambda m, x: cam.grad_cam(m, x, 1, "conv_b"),
    lambda m, x: cam.guided_backprop(m, x, 1),
    lambda m, x: occlusion.occlusion_sensitivity(m, x, 1, patch=4, stride=4, progress=False),
    lambda m, x: faithfulness.deletion_curve(m, x, np.ones((SIZE, SIZE)), 1, steps=4).scores,
    lambda m, x: deconvnet.filter_totals(m, x, "conv"),
], ids=["layer_activations", "predict_dog_probability", "grad_cam", "guided_backprop", "occlusion",
        "deletion_curve", "deconvnet"])
def test_zero_one_floats_are_rescaled_on_a_plain_model_that_takes_pixels(px, call):
    """plt.imread gives 0-1 floats: the same answer as the 0-255 image, with a warning (not a black picture)."""
    x = photo(1)[None]
    expected = call(px, x)
    with pytest.warns(validate.ZeroToOneImageWarning):
        got = call(px, x / 255.0)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("call", [
    lambda m, x: activations.layer_activations(m, x),
    lambda m, x: small_convnet.predict_dog_probability(m, x),
    lambda m, x: cam.grad_cam(m, x, 0, "conv"),
    lambda m, x: faithfulness.deletion_insertion(m, x, np.ones((SIZE, SIZE)), 1, steps=2),
    lambda m, x: sanity.cascading_randomization(m, x, 1, {"g": lambda mm, xx, c: cam.grad_cam(mm, xx, c, "conv")},
                                                progress=False),
])
def test_preprocessed_images_are_refused_on_a_plain_model_that_takes_pixels(px, call):
    with pytest.raises(ValueError, match="outside 0-255.*preprocessed"):
        call(px, photo()[None] / 127.5 - 1.0)


def test_uint16_into_a_plain_pixel_model_is_scaled_like_a_16_bit_file(px):
    eight = np.rint(photo(2)).astype("uint8")
    sixteen = eight.astype("uint16") * 257  # 255 * 257 = 65535: the same picture in 16 bits
    np.testing.assert_allclose(small_convnet.predict_dog_probability(px, sixteen),
                               small_convnet.predict_dog_probability(px, eight), rtol=1e-5)


def test_a_model_without_rescaling_is_given_what_it_takes(net):
    """The other half of the rule: a toy model fed noise around 0 is not second-guessed."""
    noise = np.random.default_rng(0).normal(size=(SIZE, SIZE, 3)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error", validate.ZeroToOneImageWarning)
        a = activations.layer_activations(net, noise, ["conv"])["conv"]
    np.testing.assert_allclose(a, np.asarray(net.get_layer("conv")(noise[None])), rtol=1e-5, atol=1e-6)


def test_to_uint8_shows_a_zero_one_image_instead_of_a_black_one():
    x = photo(3)
    with pytest.warns(validate.ZeroToOneImageWarning):
        shown = images.to_uint8(x / 255.0)
    np.testing.assert_array_equal(shown, images.to_uint8(x))
    with pytest.raises(ValueError, match="NaN"):
        images.to_uint8(np.full((2, 2, 3), np.nan))
    with pytest.raises(ValueError, match="NaN"):
        images.normalize_to_uint8(np.array([1.0, np.nan]))


# ---------------------------------------------------------------- the pixel limit

@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    return 1000


def test_a_file_between_one_and_two_times_the_limit_is_refused_with_its_size(tmp_path, small_limit):
    path = tmp_path / "big.png"
    Image.new("RGB", (40, 40)).save(path)  # 1600 pixels: Pillow alone only warns
    with pytest.raises(ImageLoadError, match=r"40x40 = 0\.0 million pixels.*Downscale"):
        load_image(path)


@pytest.mark.parametrize("source", [Image.new("RGB", (40, 30)), np.zeros((30, 40, 3), "uint8"),
                                    np.zeros((30, 40), "uint8")], ids=["pil", "array", "grey array"])
def test_pil_images_and_arrays_over_the_limit_are_refused_too(source, small_limit):
    with pytest.raises(ImageLoadError, match="40x30.*over the course's limit"):
        load_image(source)


def test_a_huge_requested_size_is_refused_before_anything_is_allocated():
    with pytest.raises(ImageLoadError, match="requested size.*100000x100000"):
        load_image(np.zeros((4, 4, 3), "uint8"), size=(100_000, 100_000))


def test_an_image_at_the_limit_loads(tmp_path, small_limit):
    path = tmp_path / "ok.png"
    Image.new("RGB", (40, 25), (10, 20, 30)).save(path)  # exactly 1000 pixels
    assert load_image(path)[0, 0, 0].tolist() == [10, 20, 30]


# ---------------------------------------------------------------- shapes and types of images

@pytest.mark.parametrize("image, message", [
    (np.zeros((SIZE, SIZE)), "2-D array.*load_image"),
    (np.zeros((SIZE, SIZE, 4)), "3 channels.*has 4.*over white"),
    (np.zeros((1, 3, SIZE, SIZE)), "channels first"),
    (np.zeros((SIZE + 4, SIZE, 3)), r"takes 16x16 images, got 20x16.*size=\(16, 16\)"),
    (np.zeros((1, 1, SIZE, SIZE, 3)), r"\(H, W, C\) or a batch"),
    (None, "must be an image array"),
    ([[1, 2], [3]], "different sizes"),
], ids=["grey", "rgba", "channels-first batch", "wrong size", "5-D", "None", "ragged"])
def test_image_shapes_are_named_against_the_model(net, image, message):
    for call in (lambda: cam.grad_cam(net, image, 1, "conv2"),
                 lambda: activations.layer_activations(net, image)):
        with pytest.raises((ValueError, TypeError), match=message) as info:
            call()
        _no_raw(info)


def test_int64_lists_and_bool_images_get_the_right_answer(net):
    img = np.rint(corner_image()[0])
    expected = cam.grad_cam(net, img, 1, "conv2")
    np.testing.assert_allclose(cam.grad_cam(net, img.astype("int64"), 1, "conv2"), expected, atol=1e-6)
    np.testing.assert_allclose(cam.grad_cam(net, img.tolist(), 1, "conv2"), expected, atol=1e-6)
    mask = np.zeros((2, 2), bool)
    mask[0, 0] = True
    assert load_image(mask)[0, :, :, 0].tolist() == [[255, 0], [0, 0]]


# ---------------------------------------------------------------- counts and numbers

@pytest.mark.parametrize("call, error, message", [
    (lambda a: activations.channel_grid(a, columns=2.5), TypeError, "columns must be a whole number"),
    (lambda a: activations.channel_grid(a, columns="4"), TypeError, "columns must be a whole number"),
    (lambda a: activations.channel_grid(a, gap=-1), ValueError, "gap must be at least 0"),
    (lambda a: activations.channel_grid(np.where(a > 0, np.nan, a)), ValueError, "NaN"),
    (lambda a: activations.zero_fraction(np.full_like(a, np.inf)), ValueError, "NaN"),
    (lambda a: activations.sparsity_table([a]), TypeError, "dict layer name"),
    (lambda a: activation_widget.channel_view({"conv": a}, "conv", 2.5), TypeError, "channel must be a whole"),
    (lambda a: activation_widget.channel_view({"conv": a}, "conv", True), TypeError, "channel must be a whole"),
    (lambda a: activation_widget.channel_view({"conv": a}, ["conv"], 0), KeyError, "choose one of: conv"),
])
def test_activation_helpers_refuse_bad_numbers(call, error, message):
    act = np.random.default_rng(0).normal(size=(1, 6, 6, 5)).astype("float32")
    with pytest.raises(error, match=message) as info:
        call(act)
    _no_raw(info)


@pytest.mark.parametrize("features, labels, message", [
    (np.ones((4, 2)), [0, 0, 0, 0], "two classes"),
    (np.ones((4, 2)), [0, 0, 1], r"features \(4, 2\) and labels \(3,\)"),
    (np.ones((3, 2)), [0, 0, 1], "two images each"),
    (np.full((4, 2), np.nan), [0, 0, 1, 1], "NaN"),
])
def test_centroid_accuracy_needs_two_classes_of_two(features, labels, message):
    with pytest.raises(ValueError, match=message):
        activations.centroid_accuracy(features, labels)


@pytest.mark.parametrize("top, error", [(2.5, TypeError), (0, ValueError), (-1, ValueError), (True, TypeError)])
def test_decode_top_is_a_positive_whole_number(top, error):
    with pytest.raises(error, match="top"):
        models.decode(np.full(1000, 1e-3), top=top)


def test_decode_refuses_nan_predictions():
    p = np.full(1000, 1e-3)
    p[7] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        models.decode(p)


@pytest.mark.parametrize("k", [0, 2.5])
def test_top_classes_k_is_checked(net, k):
    with pytest.raises((ValueError, TypeError), match="k must be"):
        cam_widget.top_classes(net, corner_image(), k)


def test_deletion_batch_size_zero_and_bad_fills_are_named(net):
    img, heat = corner_image(), np.ones((SIZE, SIZE))
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        faithfulness.deletion_curve(net, img, heat, 1, steps=4, batch_size=0)
    with pytest.raises(ValueError, match="NaN"):
        faithfulness.deletion_curve(net, img, heat, 1, steps=4, fill=np.nan)
    with pytest.raises(ValueError, match="one pixel value or an image") as info:
        faithfulness.insertion_curve(net, img, heat, 1, steps=4, start=np.zeros((3, 3, 3)))
    _no_raw(info)


def test_numpy_integers_are_counts(net):
    a = occlusion.occlusion_sensitivity(net, corner_image(), np.int64(1), patch=np.int64(4), stride=np.int64(4),
                                        progress=False)
    np.testing.assert_allclose(a, occlusion.occlusion_sensitivity(net, corner_image(), 1, patch=4, stride=4,
                                                                  progress=False))


def test_sanity_methods_must_be_functions_and_seed_a_whole_number(net):
    grad = {"g": lambda m, x, c: cam.grad_cam(m, x, c, "conv2")}
    with pytest.raises(TypeError, match=r"methods\['g'\] must be a function"):
        sanity.cascading_randomization(net, corner_image(), 1, {"g": 3}, progress=False)
    with pytest.raises(TypeError, match="seed must be a whole number"):
        sanity.cascading_randomization(net, corner_image(), 1, grad, seed=2.5, progress=False)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"seed": "a"}, TypeError, "seed must be a whole number"),
    ({"filter_indices": [True]}, ValueError, "a filter index must be 0"),
    ({"filter_indices": ["1"]}, ValueError, "a filter index must be 0"),
    ({"crop": 8}, ValueError, "crop=8 leaves nothing"),
    ({"crop": 1.5}, TypeError, "crop must be a whole number"),
])
def test_filter_patterns_arguments(net, kwargs, error, message):
    args = {"layer_name": "conv", "filter_indices": [0], "steps": 1, "size": 16, "progress": False, **kwargs}
    with pytest.raises(error, match=message):
        filters.filter_patterns(net, **args)


@pytest.mark.parametrize("call, message", [
    (lambda: overlay.superimpose(np.zeros((8, 8, 3)), np.ones((2, 2)), alpha="0.5"), "opacity"),
    (lambda: overlay.plot_heatmap_grid({"a": np.ones((2, 2))}, columns=0), "columns must be at least 1"),
    (lambda: overlay.gradient_image(np.full((4, 4, 3), np.nan)), "NaN"),
    (lambda: deconvnet.projection_to_uint8(np.ones((4, 4, 3)), percentile=150), "percentile must be"),
    (lambda: deconvnet.projection_to_uint8(np.full((4, 4, 3), np.inf)), "NaN"),
    (lambda: deconvnet.footprint(np.ones((4, 4, 3)), mass=2), "mass must be"),
    (lambda: heatmaps.high_frequency_energy(np.ones((8, 8, 3)), cutoff=np.nan), "cutoff must be"),
    (lambda: heatmaps.high_frequency_energy(np.full((8, 8, 3), np.nan)), "NaN"),
    (lambda: heatmaps.normalize(np.array([[1.0, np.nan]])), "NaN"),
])
def test_display_and_measure_helpers_refuse_bad_numbers(call, message):
    with pytest.raises((ValueError, TypeError), match=message) as info:
        call()
    _no_raw(info)


# ---------------------------------------------------------------- heatmap geometry

@pytest.mark.parametrize("box, message", [
    ((0, 0, 4), "four numbers"),
    ((0, 0, np.nan, 4), "whole number"),
    ((0, 0, 2.7, 4), "whole number"),
    ("0,0,4,4", "four numbers"),
    ((4, 0, 2, 4), r"0 <= x0 < x1 <= 8"),
])
def test_wrong_boxes_say_the_rule(box, message):
    with pytest.raises(ValueError, match=message) as info:
        heatmaps.mass_in_box(np.ones((2, 2)), box, (8, 8))
    _no_raw(info)


@pytest.mark.parametrize("call", [
    lambda h: heatmaps.mass_in_box(h, (0, 0, 1, 1), (0, 8)),
    lambda h: heatmaps.peak_location(h, (8,)),
    lambda h: heatmaps.upsample(h, (-1, 5)),
    lambda h: heatmaps.at_image_size(h, ("8", "8")),
])
def test_wrong_image_sizes_for_heatmaps_are_named(call):
    with pytest.raises((ValueError, TypeError), match="shape_hw|size") as info:
        call(np.ones((2, 2), "float32"))
    _no_raw(info)


# ---------------------------------------------------------------- classes and layers

@pytest.mark.parametrize("index, error, message", [
    (1000, ValueError, "0 to 999"), (-1, ValueError, "0 to 999"), (3.0, TypeError, "not float"),
    ("Afrikan elefant", ValueError, "Close names"),
])
def test_imagenet_class_indices(index, error, message):
    with pytest.raises(error, match=message):
        models.class_index(index)
    assert models.class_index(np.int64(386)) == models.class_index(" African elephant ") == 386


def test_class_and_layer_mistakes_on_a_plain_model(net, px):
    img = corner_image()
    np.testing.assert_allclose(cam.grad_cam(net, img, np.int64(1), "conv2"), cam.grad_cam(net, img, 1, "conv2"))
    with pytest.raises(TypeError, match="need an ImageNetModel"):
        cam.grad_cam(net, img, "dog", "conv2")
    with pytest.raises(LayerNameError, match="Did you mean .*'conv2'.*Valid choices"):
        cam.grad_cam(net, img, 1, "conv3")
    with pytest.raises(LayerNameError, match="no layer named 'nope'.*Valid choices: image, rescaling, conv"):
        activations.layer_activations(px, photo(), ["nope"])
    with pytest.raises(KeyError, match="No map for 'Grad-CAM'"):  # a bare string is one name, not letters
        compare_widget.comparison_view({"a": img}, {"a": {"occlusion": np.ones((2, 2))}},
                                       {"a": {}}, "a", "Grad-CAM")


# ---------------------------------------------------------------- files

def test_a_path_with_a_line_break_is_named(tmp_path):
    path = tmp_path / "cat.png"
    Image.new("RGB", (2, 2)).save(path)
    with pytest.raises(ValueError, match="line break.*strip"):
        load_image(f"{path}\n")


def test_a_symlink_loop_is_named_not_a_runtime_error(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(FileNotFoundError, match="symbolic link to nothing"):
        load_image(a)


@pytest.mark.parametrize("locked", ["file", "folder above"])
def test_an_unreadable_file_says_permission_not_damaged(locked):
    """Root reads any file, so as root the check runs in a child process as user nobody."""
    import shutil
    import subprocess
    import sys
    import tempfile

    top = tempfile.mkdtemp(prefix="h14-locked-")  # under /tmp, which anyone may enter
    try:
        os.chmod(top, 0o755)
        folder = os.path.join(top, "photos")
        os.mkdir(folder)
        path = os.path.join(folder, "locked.png")
        Image.new("RGB", (2, 2)).save(path)
        os.chmod(path if locked == "file" else folder, 0)
        if os.geteuid() != 0:
            with pytest.raises(PermissionError, match="permission denied"):
                load_image(path)
            return
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: no way to be a user the file refuses")
        code = ("from course_utils.images import load_image\n"
                f"try:\n    load_image({path!r})\nexcept PermissionError as e:\n    print('refused:', e)\n")
        repo = os.path.dirname(os.path.dirname(os.path.abspath(images.__file__)))
        done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                               code], capture_output=True, text=True, timeout=300, cwd="/",
                              env={**os.environ, "PYTHONPATH": repo, "HOME": "/tmp"})
        out = done.stdout
        assert "refused:" in out and "permission denied" in out and "Errno" not in out, out + done.stderr[-2000:]
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(top)


@pytest.mark.parametrize("make, message", [
    (lambda p: p.mkdir(), "is a folder"),
    (lambda p: p.write_bytes(b""), "damaged.*restore it"),
    (lambda p: p.write_bytes(b"PK\x03\x04" + os.urandom(200)), "damaged.*restore it"),
], ids=["folder", "empty", "garbage zip"])
def test_load_small_convnet_on_a_wrong_file(tmp_path, make, message):
    path = tmp_path / "small_convnet.keras"
    make(path)
    with pytest.raises(OSError, match=message):
        small_convnet.load_small_convnet(path)


# ---------------------------------------------------------------- the assets CLI

def test_cli_to_a_file_an_empty_path_or_an_uncreatable_folder_is_one_line(tiny_assets, tmp_path, capsys):
    a_file = tmp_path / "f"
    a_file.write_text("")
    for to, message in ((str(a_file), "is a file, not a folder"), ("", "empty path"),
                        (str(a_file / "sub"), "cannot create that folder")):
        assert cli(["assets", "--to", to, "tiny"]) == 2, to
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1 and "Errno" not in err, err


def test_cli_names_given_twice_are_reported_once(tiny_assets, capsys):
    (tiny_assets["mirror"] / "images" / "tiny.png").write_bytes(tiny_assets["png"].read_bytes())
    assert cli(["assets", "tiny", "tiny"]) == 0
    assert [ln.split()[:2] for ln in capsys.readouterr().out.splitlines()] == [["ok", "tiny"]]


# ---------------------------------------------------------------- more entry points that take pixels or counts

@pytest.fixture(scope="module")
def wrapped(net):
    """An ImageNetModel around the corner model (0-255 in, identity preprocessing)."""
    return models.ImageNetModel(name="corner", model=net, input_size=(SIZE, SIZE), weights=None,
                                chapter_layers=None, _preprocess=lambda x: np.asarray(x, "float32"))


def test_imagenet_preprocess_called_directly_applies_the_pixel_rule(wrapped):
    img = corner_image()
    with pytest.warns(validate.ZeroToOneImageWarning):
        np.testing.assert_allclose(wrapped.preprocess(img / 255.0), wrapped.preprocess(img), atol=1e-3)
    with pytest.raises(ValueError, match="outside 0-255"):
        wrapped.preprocess(img * 2)


def test_pattern_activations_read_patterns_as_0_255_pixels(net):
    patterns = np.rint(photo(4))[None]
    expected = filters.pattern_activations(net, "conv", [0], patterns)
    with pytest.warns(validate.ZeroToOneImageWarning):
        np.testing.assert_allclose(filters.pattern_activations(net, "conv", [0], patterns / 255.0), expected,
                                   rtol=1e-5)
    with pytest.raises(ValueError, match="NaN"):
        filters.pattern_activations(net, "conv", [0], np.full((1, SIZE, SIZE, 3), np.nan))


@pytest.mark.parametrize("call, message", [
    (lambda: filters.deprocess(np.full((1, 8, 8, 3), np.nan)), "NaN"),
    (lambda: filters.deprocess(np.ones((1, 8, 8, 3)), crop=2.5), "crop must be a whole number"),
    (lambda: filters.pattern_grid(np.zeros((2, 4, 4, 3), "uint8"), columns=2.5), "columns must be a whole number"),
    (lambda: filters.pattern_grid(np.zeros((2, 4, 4, 3), "uint8"), gap=-1), "gap must be at least 0"),
    (lambda: filters.spectral_concentration(np.ones((1, 8, 8, 3)), top=np.nan), "top must be"),
    (lambda: faithfulness.random_heatmap((0, 5)), "at least 1"),
    (lambda: faithfulness.random_heatmap((8, 8), cells=0), "cells must be at least 1"),
    (lambda: faithfulness.random_heatmap((8, 8), seed=1.5), "seed must be a whole number"),
    (lambda: faithfulness.blurred(np.ones((8, 8, 3)), sigma=-1), "sigma must be a positive number"),
    (lambda: __import__("course_utils.walkthrough").walkthrough.animal_boxes(True, (0, 10)), "at least 1"),
    (lambda: __import__("course_utils.walkthrough").walkthrough.box_mask({"a": (0, 0, 9, 2)}, (4, 4)), "0 <= x0"),
])
def test_pattern_and_baseline_helpers_refuse_bad_numbers(call, message):
    with pytest.raises((ValueError, TypeError), match=message) as info:
        call()
    _no_raw(info)


def test_randomized_clone_takes_one_name_as_one_layer_and_lists_valid_ones(net):
    clone = sanity.randomized_clone(net, "conv2", seed=1)  # a bare name, not its letters
    assert not np.allclose(clone.get_layer("conv2").get_weights()[0], net.get_layer("conv2").get_weights()[0])
    np.testing.assert_array_equal(clone.get_layer("conv").get_weights()[0], net.get_layer("conv").get_weights()[0])
    with pytest.raises(ValueError, match="Cannot randomise 'nope'.*Valid names"):
        sanity.randomized_clone(net, ["nope"])


def test_train_cli_mistakes_are_one_line(tiny_assets, capsys):
    assert cli(["train", "--epochs", "0"]) == 2
    assert "--epochs must be at least 1" in capsys.readouterr().err
    assert cli(["train", "--epochs", "1"]) == 2  # the tiny manifest has no cats-vs-dogs photos
    err = capsys.readouterr().err
    assert err.startswith("error: training needs the cats-vs-dogs photos") and "Traceback" not in err


def test_layer_activations_of_an_imagenet_model_read_its_layers_on_its_input(wrapped, net):
    img = corner_image()
    got = activations.layer_activations(wrapped, img, ["conv2"])["conv2"]
    np.testing.assert_allclose(got, activations.layer_activations(net, img, ["conv2"])["conv2"])


def test_complex_images_and_non_path_models_are_refused():
    with pytest.raises(TypeError, match="numeric array"):
        load_image(np.ones((4, 4, 3), complex))
    with pytest.raises(TypeError, match="path of a .keras file"):
        small_convnet.load_small_convnet(123)


def test_a_wrong_box_on_a_plot_says_the_rule():
    import matplotlib

    matplotlib.use("Agg")
    with pytest.raises(ValueError, match="four numbers"):
        overlay.plot_superimposed(np.zeros((8, 8, 3)), np.ones((2, 2)), boxes={"cat": (1, 2, 3)})


@pytest.mark.parametrize("call, message", [
    (lambda m: filters.filter_patterns(m, "conv", [0], steps=10 ** 6, progress=False), "steps must be at most 10000"),
    (lambda m: filters.filter_patterns(m, "conv", [0, 1], steps=1, size=100_000, progress=False),
     "million pixels in one batch"),
    (lambda m: faithfulness.deletion_curve(m, corner_image(), np.ones((SIZE, SIZE)), 1, steps=10 ** 9),
     "steps must be at most 256, got 1000000000: the image has 256 pixels"),
    (lambda m: faithfulness.random_heatmap((10 ** 6, 10 ** 6)), "over the course's limit"),
])
def test_huge_counts_are_refused_before_anything_is_allocated(net, call, message):
    """Each of these was an out-of-memory kill or hours of work."""
    with pytest.raises(ValueError, match=message):
        call(net)


@pytest.mark.parametrize("call, error, message", [
    (lambda: occlusion.patch_positions(10, 20, 4), ValueError, "larger than the image"),
    (lambda: occlusion.patch_positions(10, 2, 0), ValueError, "stride must be a positive number"),
    (lambda: filters.check_filters(corner_model(), "conv", None), TypeError, "a filter number or a list"),
    (lambda: overlay.plot_heatmap_grid([np.ones((2, 2))]), TypeError, "dict title"),
    (lambda: heatmaps.to_2d("abc"), TypeError, "numeric array"),
    (lambda: heatmaps.to_2d([np.ones(2), np.ones(3)]), TypeError, "different sizes"),
    (lambda: models.decode("abc"), TypeError, "predictions must be a numeric array"),
    (lambda: activation_widget.channel_view({"c": np.ones((2, 2, 3))}, "c", 0), ValueError, r"\(1, h, w, channels\)"),
    (lambda: compare_widget.comparison_view({"a": corner_image()}, {"a": {"m": np.ones((SIZE, SIZE))}}, {"a": {}},
                                            "a", ["m"]), KeyError, "No deletion/insertion scores for 'm'"),
    (lambda: __import__("course_utils.walkthrough").walkthrough.boxes_at({"a": (1, 2)}, 0, 0), ValueError,
     "four numbers"),
    (lambda: load_image(np.zeros((4, 4, 2))), ValueError, "Expected the image array to have 1 or 3 or 4 channels"),
])
def test_more_raw_errors_now_in_the_courses_words(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    _no_raw(info)
    assert "list index out of range" not in str(info.value) and "not iterable" not in str(info.value)


def test_an_imagenet_class_name_on_a_smaller_model_is_named(wrapped):
    with pytest.raises(ValueError, match="'tabby' is ImageNet class 281, but 'corner_model' has 2 classes"):
        cam.grad_cam(wrapped, corner_image(), "tabby", "conv2")


def test_any_path_object_is_a_path(tmp_path):
    class PathObject:  # e.g. a py.path or a project's own path class
        def __init__(self, path):
            self.path = path

        def __fspath__(self):
            return str(self.path)

    path = tmp_path / "grey.png"
    Image.new("RGB", (3, 2), (9, 9, 9)).save(path)
    assert load_image(PathObject(path)).shape == (1, 2, 3, 3)


@pytest.mark.parametrize("side", [1, 4, 7])
def test_a_too_small_image_for_a_model_of_any_size_is_named(side):
    """A model built for any size still shrinks the image: TensorFlow's C++ error is answered first."""
    import keras
    from keras import layers as L

    inputs = keras.Input((None, None, 3))
    x = L.Conv2D(2, 3, activation="relu", name="conv")(L.Rescaling(1 / 255)(inputs))
    x = L.Conv2D(2, 3, activation="relu", name="conv2")(L.MaxPooling2D(2)(x))
    model = keras.Model(inputs, L.Dense(2, activation="softmax")(L.GlobalAveragePooling2D()(x)), name="any_size")
    image = np.full((side, side, 3), 100.0, "float32")
    for call in (lambda: cam.grad_cam(model, image, 1, "conv2"), lambda: activations.layer_activations(model, image)):
        with pytest.raises(ValueError, match=f"A {side}x{side} image is too small for model 'any_size'"):
            call()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # random weights may show no evidence: the shape is the point
        assert cam.grad_cam(model, np.full((12, 12, 3), 100.0, "float32"), 1, "conv2").shape == (3, 3)
