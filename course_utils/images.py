"""Images in and out.

``load_image`` turns anything image-like (a path, an asset name, a PIL image, an array) into
the one shape every lesson uses: a float32 batch ``(1, H, W, 3)`` of 0-255 values.
``to_uint8`` / ``normalize_to_uint8`` turn any array back into something ``imshow`` shows,
always on a copy.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from . import validate


class ImageLoadError(ValueError):
    """The source exists but is not a readable image."""


_URL_PREFIXES = ("http://", "https://", "ftp://", "file://", "s3://", "gs://")


def _size_hw(size) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, str) or not isinstance(size, (int, np.integer, tuple, list)):
        raise TypeError(f"size must be an int or (height, width) of positive ints, got {size!r}")
    pair = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if len(pair) != 2:
        raise ValueError(f"size must be an int or (height, width) of positive ints, got {size!r}")
    try:
        return tuple(validate.whole_number(s, "size", minimum=1) for s in pair)
    except (TypeError, ValueError):
        raise ValueError(f"size must be an int or (height, width) of positive ints, got {size!r}") from None


def pixel_limit() -> int:
    """The course's largest image, in pixels: Pillow's decompression-bomb limit, read at call time
    (``PIL.Image.MAX_IMAGE_PIXELS``, about 89 million). Above it an image is refused, whether a
    file, a PIL image, an array or a requested `size`: Pillow itself only warns up to twice the
    limit, and a float32 copy of such an image already takes over a gigabyte."""
    return int(Image.MAX_IMAGE_PIXELS or 0) or 2 ** 62


def _check_pixel_count(height: int, width: int, what: str) -> None:
    limit = pixel_limit()
    if int(height) * int(width) > limit:
        raise ImageLoadError(
            f"{what} is {width}x{height} = {height * width / 1e6:.1f} million pixels, over the course's "
            f"limit of {limit / 1e6:.1f} million (Pillow's MAX_IMAGE_PIXELS, a guard against "
            f"decompression bombs). Downscale it first: img.thumbnail((4096, 4096)) on a PIL image, "
            f"array[::4, ::4] on an array, or an image editor; a few thousand pixels a side is plenty.")


def load_image(source: str | os.PathLike[str] | Image.Image | np.ndarray,
               size: int | tuple[int, int] | None = None) -> np.ndarray:
    """Return a float32 batch (1, H, W, 3) with values 0-255, resized to `size` (H, W) if given.

    Arrays follow the pixel rule of `validate.pixels`: 0-1 floats (plt.imread, scikit-image)
    are rescaled with a warning, uint16 is scaled by 255/65535, values outside 0-255 refused."""
    size = _size_hw(size)
    if size is not None:
        _check_pixel_count(*size, what="The requested size")
    if isinstance(source, Image.Image):
        _check_pixel_count(source.height, source.width, "The PIL image")
        rgb = _pil_to_rgb_array(source)
    elif isinstance(source, np.ndarray):
        if source.ndim >= 2:
            _check_pixel_count(*source.shape[-3:-1] if source.ndim >= 3 and source.shape[-1] in (1, 3, 4)
                               else source.shape[-2:], what="The image array")
        rgb = _array_to_rgb(source)
    elif isinstance(source, (str, os.PathLike)):  # any path object, not only pathlib's
        rgb = _read_file(source)
    else:
        raise TypeError(f"load_image takes a path, an asset name, a PIL image or an array, "
                        f"not {type(source).__name__}")
    if size is not None and rgb.shape[:2] != size:
        # PIL's float mode resizes each channel without 8-bit rounding.
        channels = [Image.fromarray(rgb[..., c]).resize((size[1], size[0]), Image.BILINEAR)
                    for c in range(3)]
        rgb = np.stack([np.asarray(c) for c in channels], axis=-1)
    return np.ascontiguousarray(rgb, dtype="float32")[None]


def _image_file(source) -> Path:
    """The regular file `source` names (a path or an asset name), checked without opening it."""
    text = os.fsdecode(source)
    if not text.strip():
        raise ValueError("The image path is empty: pass a file path or an asset name "
                         "such as 'elephant'.")
    if text.lower().startswith(_URL_PREFIXES):
        raise ValueError(f"{text!r} is a URL: load_image reads files only. Download it first, e.g. "
                         f"path = keras.utils.get_file(origin={text!r}), then pass the path.")
    if any(ord(c) < 32 for c in text):  # a line break or tab pasted along with the path
        raise ValueError(f"The image path {text!r} contains a line break or control character: "
                         f"strip it, e.g. load_image(path.strip()).")
    path = Path(source).expanduser()
    try:  # a folder above the file may refuse entry: stat() then raises before any check
        if path.is_symlink() and not path.exists():  # exists() says False for a loop; resolve() would raise
            raise FileNotFoundError(f"{path} is a symbolic link to nothing (a broken link or a loop of "
                                    f"links): point it at an image file, or pass the file's own path.")
        if not path.exists():
            from . import assets

            if text in assets.manifest():
                path = assets.asset_path(text)
            else:
                raise FileNotFoundError(
                    f"No image at {path.resolve()}. Check the path, or pass an asset name "
                    f"({', '.join(sorted(assets.manifest()))}).")
        if path.is_dir():
            raise ImageLoadError(f"{path} is a folder, not an image file.")
        if not path.is_file():  # a named pipe or device would block Image.open forever
            raise ImageLoadError(f"{path} is not a regular file (a pipe, socket or device): "
                                 f"save the image to a file and pass that path.")
        if not os.access(path, os.R_OK):  # else Image.open's PermissionError would read as "damaged"
            raise PermissionError(f"{path} cannot be read: permission denied. Make it readable "
                                  f"(chmod u+r) or copy it somewhere you can read.")
    except PermissionError as exc:
        if exc.errno is None:  # our own message, above
            raise
        raise PermissionError(f"{path} cannot be reached: permission denied on {exc.filename} (the file or "
                              f"a folder above it). Copy the image somewhere you can read.") from None
    return path


def _read_file(source) -> np.ndarray:
    """Decode the file once, fully, and close it (animated GIFs keep theirs open otherwise)."""
    path = _image_file(source)
    try:
        with warnings.catch_warnings():
            # Between 1x and 2x the limit Pillow only warns: the size check below refuses it instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
        with img:
            _check_pixel_count(img.height, img.width, str(path))  # from the header, before decoding
            img.load()  # decode now: truncated files fail here, not later in a plot
            return _pil_to_rgb_array(img)
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(f"{path} is too large to decode safely ({exc}): resize it with an image "
                             f"editor first (a few thousand pixels a side is plenty).") from None
    except UnidentifiedImageError as exc:
        raise ImageLoadError(f"{path} is not an image file Pillow can read "
                             f"(JPEG, PNG, GIF, BMP, TIFF, WebP …).") from exc
    except (OSError, SyntaxError) as exc:
        raise ImageLoadError(f"{path} is damaged or truncated ({exc}); download or copy it again.") from exc


def _pil_to_rgb_array(img: Image.Image) -> np.ndarray:
    img = ImageOps.exif_transpose(img)  # phone photos store rotation in EXIF
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit grayscale: convert("RGB") would clip at 255. Always 255/65535, whatever the
        # brightest pixel, so two files of one scene come out equally bright.
        values = np.asarray(img, dtype="float64")
        if values.min() < 0 or values.max() > 65535:
            raise ImageLoadError(f"A 32-bit integer image with values {values.min():.0f} … "
                                 f"{values.max():.0f}: save it as 8- or 16-bit.")
        return np.repeat((values * 255.0 / 65535.0)[..., None], 3, axis=-1).astype("float32")
    if img.mode == "F":
        return _array_to_rgb(np.asarray(img, dtype="float32"))
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img.convert("RGBA"))
    return np.asarray(img.convert("RGB"), dtype="float32")


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    a = np.asarray(array)
    if a.ndim == 2:
        a = a[..., None]
    # The pixel rule (0-1 floats, uint16, out-of-range, NaN, empty, batches) lives in validate.
    a = validate.pixels(a, "image array", channels=(1, 3, 4))
    if a.shape[-1] == 4:
        alpha = a[..., 3:] / 255.0
        a = a[..., :3] * alpha + 255.0 * (1 - alpha)
    if a.shape[-1] == 1:
        a = np.repeat(a, 3, axis=-1)
    return a


def to_uint8(image: np.ndarray) -> np.ndarray:
    """An image in 0-255 units (batch of one allowed) as uint8 for display: clipped, copied.
    NaN/inf are refused; 0-1 floats and uint16 follow the pixel rule of `validate.to_0_255`
    (rescaled, with a warning for 0-1), so they do not show as a black picture."""
    a = validate.finite(_as_numeric(image), "image")
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    in_0_1 = a.dtype.kind == "f" and a.size and float(a.min()) >= 0 and float(a.max()) <= 1
    a = validate.to_0_255(a, "image") if in_0_1 or a.dtype == np.uint16 else a.astype("float32")
    return np.clip(np.rint(a), 0, 255).astype("uint8")


def _as_numeric(array) -> np.ndarray:
    return validate.numeric(array, "array")


def normalize_to_uint8(array: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """Any array (activation, gradient, pattern) stretched min..max to 0..255 uint8, copied.
    A constant array becomes all zeros rather than noise."""
    a = np.asarray(_as_numeric(array), dtype="float32")
    if a.size == 0:
        raise ValueError(f"The array is empty (shape {a.shape}): nothing to show.")
    validate.finite(a, "array")
    lo, hi = float(a.min()), float(a.max())
    if hi - lo < eps:
        return np.zeros(a.shape, dtype="uint8")
    return np.clip(np.rint((a - lo) / (hi - lo) * 255.0), 0, 255).astype("uint8")


def chelsea() -> np.ndarray:
    """scikit-image's cat photo (shipped with the package, so always available offline)."""
    from skimage import data

    return load_image(data.chelsea())


def asset_photo(name: str, size: int | tuple[int, int] | None, description: str) -> tuple[np.ndarray, str, bool]:
    """(image batch, one line saying which photo, found): the course asset `name` when the
    cache or mirror has it, else scikit-image's chelsea so the lesson still runs. Never downloads."""
    from . import assets

    if assets.is_available(name):
        return load_image(assets.asset_path(name, download=False), size), \
            f"Using {description} from the course assets.", True
    why = assets.why_missing(name)  # a wrong mirror/cache setting is named here
    return load_image(chelsea()[0], size), \
        (f"{description[0].upper() + description[1:]} is not on this machine ({why}): "
         f"continuing on scikit-image's 'chelsea' cat."), False


def course_cat(size: int | tuple[int, int] | None = (180, 180)) -> tuple[np.ndarray, str]:
    """Chapter 1's cat: the book's cat.1700.jpg when available, else chelsea; plus one line."""
    image, line, _ = asset_photo("cat_1700", size, "the book's cat.1700.jpg")
    return image, line


def walkthrough_image(size: int | tuple[int, int] | None) -> tuple[np.ndarray, str, bool]:
    """The Grad-CAM walkthrough's photo: the two elephants when available, else chelsea."""
    return asset_photo("elephant", size, "the walkthrough's elephant photo")


def _tall_tile(path, size_hw) -> np.ndarray:
    """The central crop of a photo with the tile's aspect ratio, resized to (h, w)."""
    h, w = size_hw
    with Image.open(path) as opened:
        img = opened.convert("RGB")
    crop_w, crop_h = min(img.width, round(img.height * w / h)), min(img.height, round(img.width * h / w))
    x0, y0 = (img.width - crop_w) // 2, (img.height - crop_h) // 2
    return load_image(img.crop((x0, y0, x0 + crop_w, y0 + crop_h)), (h, w))[0]


def cat_and_dog_image(size: int | tuple[int, int] | None, cat: str = "test/cat/cat.4504.jpg",
                      dog: str = "test/dog/dog.4504.jpg") -> tuple[np.ndarray | None, str]:
    """(image batch or None, one line): a cat (left half) next to a dog (right half), both from
    the course's cats-vs-dogs photos, for Grad-CAM's class-discrimination test. Never downloads."""
    from . import assets

    if not assets.is_available("cats_vs_dogs_small"):
        return None, "The cats-vs-dogs photos are not on this machine: skipping the cat-and-dog image."
    root = assets.asset_path("cats_vs_dogs_small", download=False)
    h, w = int(size[0]), int(size[1])
    left, right = _tall_tile(root / cat, (h, w // 2)), _tall_tile(root / dog, (h, w - w // 2))
    return np.concatenate([left, right], axis=1)[None], f"A cat ({cat}) left, a dog ({dog}) right."
