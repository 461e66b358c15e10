"""load_image: every odd format in, (1, H, W, 3) float32 0-255 out; bad input → clear error."""
import numpy as np
import pytest
from PIL import Image

from course_utils.images import (ImageLoadError, cat_and_dog_image, chelsea, load_image,
                                 normalize_to_uint8, to_uint8, walkthrough_image)
from conftest import SHARED_MIRROR, needs_shared_mirror


def _check_batch(x, h, w):
    assert x.shape == (1, h, w, 3) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() <= 255


def test_rgb_jpeg_path_and_resize(tmp_path):
    path = tmp_path / "a.jpg"
    Image.new("RGB", (40, 30), (200, 100, 50)).save(path)
    _check_batch(load_image(path), 30, 40)
    x = load_image(str(path), size=(20, 10))
    _check_batch(x, 20, 10)
    assert np.allclose(x[0, 5, 5], [200, 100, 50], atol=3)
    _check_batch(load_image(path, size=16), 16, 16)


def test_grayscale_becomes_three_equal_channels(tmp_path):
    path = tmp_path / "g.png"
    Image.fromarray(np.full((8, 9), 77, dtype="uint8"), mode="L").save(path)
    x = load_image(path)
    _check_batch(x, 8, 9)
    assert np.all(x == 77)


def test_rgba_is_composited_on_white(tmp_path):
    rgba = np.zeros((4, 4, 4), dtype="uint8")
    rgba[..., 0] = 255  # red ...
    rgba[:2, :, 3] = 255  # ... opaque on top, fully transparent below
    path = tmp_path / "t.png"
    Image.fromarray(rgba, mode="RGBA").save(path)
    x = load_image(path)[0]
    assert np.allclose(x[0, 0], [255, 0, 0]) and np.allclose(x[3, 3], [255, 255, 255])


def test_palette_image(tmp_path):
    path = tmp_path / "p.gif"
    Image.new("RGB", (6, 6), (10, 200, 30)).convert("P", palette=Image.Palette.ADAPTIVE).save(path)
    x = load_image(path)
    _check_batch(x, 6, 6)
    assert np.allclose(x[0, 0, 0], [10, 200, 30], atol=8)


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 32768], [65535, 1000]], dtype="uint16")
    path = tmp_path / "d.png"
    Image.fromarray(values).save(path)  # PIL mode I;16
    x = load_image(path)[0, ..., 0]
    assert x[1, 0] == pytest.approx(255, abs=0.01)
    assert x[0, 1] == pytest.approx(127.5, abs=0.5)
    assert x[0, 0] == 0


def test_exif_rotation_is_applied(tmp_path):
    img = Image.new("RGB", (40, 20), (0, 0, 0))
    img.paste((255, 255, 255), (0, 0, 10, 20))  # white band on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = tmp_path / "phone.jpg"
    img.save(path, exif=exif.tobytes())
    x = load_image(path)
    _check_batch(x, 40, 20)  # displayed upright: portrait
    assert x[0, 2, :, 0].mean() > 100 > x[0, -2, :, 0].mean()  # the band is now on top


def test_array_inputs_are_not_mutated():
    a = np.random.RandomState(0).uniform(0, 255, (5, 6, 3)).astype("float32")
    before = a.copy()
    x = load_image(a)
    x += 1
    assert np.array_equal(a, before)
    _check_batch(load_image(a[None]), 5, 6)
    _check_batch(load_image(a[..., 0]), 5, 6)
    _check_batch(load_image((a / 255 * 65535).astype("uint16")), 5, 6)


def test_pil_image_input():
    _check_batch(load_image(Image.new("L", (3, 2))), 2, 3)


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="No image at .*nope.jpg.*asset name"):
        load_image(tmp_path / "nope.jpg")


def test_non_image_file(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is text, not a JPEG")
    with pytest.raises(ImageLoadError, match="not an image file"):
        load_image(path)


def test_truncated_jpeg(tmp_path):
    path = tmp_path / "cut.jpg"
    Image.fromarray(np.random.RandomState(0).randint(0, 255, (64, 64, 3), dtype="uint8")).save(path)
    path.write_bytes(path.read_bytes()[:600])
    with pytest.raises(ImageLoadError, match="damaged or truncated"):
        load_image(path)


def test_folder_and_bad_types(tmp_path):
    with pytest.raises(ImageLoadError, match="is a folder"):
        load_image(tmp_path)
    with pytest.raises(TypeError, match="takes a path"):
        load_image(42)
    with pytest.raises(ValueError, match="got shape"):
        load_image(np.zeros((2, 3, 4, 5)))
    with pytest.raises(ValueError, match="NaN"):
        load_image(np.full((2, 2, 3), np.nan))
    with pytest.raises(ValueError, match="size must be"):
        load_image(np.zeros((2, 2, 3)), size=(0, 4))


def test_display_helpers_copy_and_clip():
    a = np.array([[[-5.0, 100.4, 300.0]]], dtype="float32")
    u = to_uint8(a)
    assert u.dtype == np.uint8 and u.tolist() == [[[0, 100, 255]]]
    assert a[0, 0, 0] == -5.0
    assert normalize_to_uint8(np.ones((3, 3))).max() == 0  # constant → blank, not noise
    n = normalize_to_uint8(np.array([1.0, 2.0, 3.0]))
    assert n.tolist() == [0, 128, 255]


def test_chelsea_is_available_offline():
    _check_batch(chelsea(), 300, 451)


@needs_shared_mirror("images/elephant.jpg")
def test_asset_name_loads_from_mirror(isolated_cache):
    _check_batch(load_image("elephant", size=(299, 299)), 299, 299)


def test_asset_photo_falls_back_to_chelsea_with_one_line(isolated_cache, monkeypatch):
    from course_utils.images import asset_photo, course_cat

    monkeypatch.delenv("COURSE_ASSET_MIRROR", raising=False)
    image, line, found = asset_photo("elephant", (30, 40), "the walkthrough's elephant photo")
    _check_batch(image, 30, 40)
    assert not found
    assert line == ("The walkthrough's elephant photo is not on this machine (no mirror folder set "
                    "($COURSE_ASSET_MIRROR)): continuing on scikit-image's 'chelsea' cat.")
    np.testing.assert_array_equal(image, load_image(chelsea(), (30, 40)))
    assert course_cat((8, 8))[1].startswith("The book's cat.1700.jpg is not on this machine")


@needs_shared_mirror("images/cat.1700.jpg")
def test_course_cat_uses_the_book_cat_from_the_mirror(isolated_cache):
    from course_utils.images import course_cat

    image, line = course_cat((180, 180))
    assert line == "Using the book's cat.1700.jpg from the course assets."
    np.testing.assert_array_equal(image, load_image(SHARED_MIRROR / "images/cat.1700.jpg", (180, 180)))


# ---------------------------------------------------------------- the chapters' photos

def test_without_the_elephant_the_chapter_continues_on_chelsea(isolated_cache, monkeypatch):
    monkeypatch.delenv("COURSE_ASSET_MIRROR", raising=False)
    image, line, is_elephant = walkthrough_image((50, 60))
    assert image.shape == (1, 50, 60, 3) and not is_elephant
    assert "not on this machine" in line and "\n" not in line


@needs_shared_mirror("images/elephant.jpg")
def test_with_the_mirror_the_chapter_uses_the_elephants():
    image, line, is_elephant = walkthrough_image((227, 227))
    assert is_elephant and image.shape == (1, 227, 227, 3) and "elephant" in line


def test_cat_and_dog_image_is_skipped_with_one_line_when_the_photos_are_missing(isolated_cache, monkeypatch):
    monkeypatch.delenv("COURSE_ASSET_MIRROR", raising=False)
    image, line = cat_and_dog_image((20, 30))
    assert image is None and "skipping" in line and "\n" not in line


@needs_shared_mirror("cats_vs_dogs_small/test/cat/cat.4504.jpg", "cats_vs_dogs_small/test/dog/dog.4504.jpg")
def test_cat_and_dog_image_puts_the_cat_left_and_the_dog_right():
    from PIL import Image

    image, line = cat_and_dog_image((227, 227))
    assert image.shape == (1, 227, 227, 3) and "cat" in line
    assert not np.array_equal(image[0, :, :113], image[0, :, 114:227])
    # the left tile is the central crop of the cat photo: same colours on average
    cat = np.asarray(Image.open(f"{SHARED_MIRROR}/cats_vs_dogs_small/test/cat/cat.4504.jpg").convert("RGB"), "float32")
    assert abs(image[0, :, :113].mean() - cat[:, cat.shape[1] // 4: 3 * cat.shape[1] // 4].mean()) < 20
