"""Images in and out.

``load_image`` turns anything image-like (a path, an asset name, a PIL image, an array) into
the one shape every lesson uses: a float32 batch ``(1, H, W, 3)`` of 0-255 values.
``to_uint8`` / ``normalize_to_uint8`` turn any array back into something ``imshow`` shows,
always on a copy.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError


class ImageLoadError(ValueError):
    """The source exists but is not a readable image."""


def _size_hw(size) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, int):
        return (size, size)
    if len(size) != 2 or any(int(s) <= 0 for s in size):
        raise ValueError(f"size must be an int or (height, width) of positive ints, got {size!r}")
    return int(size[0]), int(size[1])


def load_image(source, size=None) -> np.ndarray:
    """Return a float32 batch (1, H, W, 3) with values 0-255, resized to `size` (H, W) if given."""
    size = _size_hw(size)
    if isinstance(source, Image.Image):
        rgb = _pil_to_rgb_array(source)
    elif isinstance(source, np.ndarray):
        rgb = _array_to_rgb(source)
    elif isinstance(source, (str, Path)):
        rgb = _pil_to_rgb_array(_open(source))
    else:
        raise TypeError(f"load_image takes a path, an asset name, a PIL image or an array, "
                        f"not {type(source).__name__}")
    if size is not None and rgb.shape[:2] != size:
        # PIL's float mode resizes each channel without 8-bit rounding.
        channels = [Image.fromarray(rgb[..., c]).resize((size[1], size[0]), Image.BILINEAR)
                    for c in range(3)]
        rgb = np.stack([np.asarray(c) for c in channels], axis=-1)
    return np.ascontiguousarray(rgb, dtype="float32")[None]


def _open(source) -> Image.Image:
    path = Path(source).expanduser()
    if not path.exists():
        from . import assets

        if str(source) in assets.manifest():
            path = assets.asset_path(str(source))
        else:
            raise FileNotFoundError(
                f"No image at {path.resolve()}. Check the path, or pass an asset name "
                f"({', '.join(sorted(assets.manifest()))}).")
    if path.is_dir():
        raise ImageLoadError(f"{path} is a folder, not an image file.")
    try:
        img = Image.open(path)
        img.load()  # decode now: truncated files fail here, not later in a plot
    except UnidentifiedImageError as exc:
        raise ImageLoadError(f"{path} is not an image file Pillow can read "
                             f"(JPEG, PNG, GIF, BMP, TIFF, WebP …).") from exc
    except (OSError, SyntaxError) as exc:
        raise ImageLoadError(f"{path} is damaged or truncated ({exc}); download or copy it again.") from exc
    return img


def _pil_to_rgb_array(img: Image.Image) -> np.ndarray:
    img = ImageOps.exif_transpose(img)  # phone photos store rotation in EXIF
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grayscale: convert("RGB") would clip at 255, so scale to 0-255 ourselves.
        values = np.asarray(img, dtype="float64")
        top = 65535.0 if values.max() > 255 else 255.0
        return np.repeat((values * 255.0 / top)[..., None], 3, axis=-1).astype("float32")
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
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[-1] not in (1, 3, 4):
        raise ValueError(f"An image array must be (H, W), (H, W, 1|3|4) or (1, H, W, 3); got shape {array.shape}.")
    if not np.all(np.isfinite(a)):
        raise ValueError("The image array contains NaN or infinite values.")
    if a.dtype == np.uint16:
        a = a.astype("float32") / 257.0
    elif a.dtype == bool:
        a = a.astype("float32") * 255.0
    a = a.astype("float32")  # always a copy or a new array: the caller's data is never touched
    if a.shape[-1] == 4:
        alpha = a[..., 3:] / 255.0
        a = a[..., :3] * alpha + 255.0 * (1 - alpha)
    if a.shape[-1] == 1:
        a = np.repeat(a, 3, axis=-1)
    return a


def to_uint8(image) -> np.ndarray:
    """An image in 0-255 units (batch of one allowed) as uint8 for display: clipped, copied."""
    a = np.asarray(image, dtype="float32")
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    return np.clip(np.rint(a), 0, 255).astype("uint8")


def normalize_to_uint8(array, eps: float = 1e-8) -> np.ndarray:
    """Any array (activation, gradient, pattern) stretched min..max to 0..255 uint8, copied.
    A constant array becomes all zeros rather than noise."""
    a = np.asarray(array, dtype="float32")
    lo, hi = float(a.min()), float(a.max())
    if hi - lo < eps:
        return np.zeros(a.shape, dtype="uint8")
    return np.clip(np.rint((a - lo) / (hi - lo) * 255.0), 0, 255).astype("uint8")


def chelsea() -> np.ndarray:
    """scikit-image's cat photo (shipped with the package, so always available offline)."""
    from skimage import data

    return load_image(data.chelsea())


def asset_photo(name: str, size, description: str) -> tuple[np.ndarray, str, bool]:
    """(image batch, one line saying which photo, found): the course asset `name` when the
    cache or mirror has it, else scikit-image's chelsea so the lesson still runs. Never downloads."""
    from . import assets

    if assets.is_available(name):
        return load_image(assets.asset_path(name, download=False), size), \
            f"Using {description} from the course assets.", True
    return load_image(chelsea()[0], size), \
        f"{description[0].upper() + description[1:]} is not on this machine: continuing on scikit-image's 'chelsea' cat.", False


def course_cat(size=(180, 180)) -> tuple[np.ndarray, str]:
    """Chapter 1's cat: the book's cat.1700.jpg when available, else chelsea; plus one line."""
    image, line, _ = asset_photo("cat_1700", size, "the book's cat.1700.jpg")
    return image, line


def walkthrough_image(size) -> tuple[np.ndarray, str, bool]:
    """The Grad-CAM walkthrough's photo: the two elephants when available, else chelsea."""
    return asset_photo("elephant", size, "the walkthrough's elephant photo")


def _tall_tile(path, size_hw) -> np.ndarray:
    """The central crop of a photo with the tile's aspect ratio, resized to (h, w)."""
    h, w = size_hw
    img = Image.open(path).convert("RGB")
    crop_w, crop_h = min(img.width, round(img.height * w / h)), min(img.height, round(img.width * h / w))
    x0, y0 = (img.width - crop_w) // 2, (img.height - crop_h) // 2
    return load_image(img.crop((x0, y0, x0 + crop_w, y0 + crop_h)), (h, w))[0]


def cat_and_dog_image(size, cat: str = "test/cat/cat.4504.jpg", dog: str = "test/dog/dog.4504.jpg"):
    """(image batch or None, one line): a cat (left half) next to a dog (right half), both from
    the course's cats-vs-dogs photos, for Grad-CAM's class-discrimination test. Never downloads."""
    from . import assets

    if not assets.is_available("cats_vs_dogs_small"):
        return None, "The cats-vs-dogs photos are not on this machine: skipping the cat-and-dog image."
    root = assets.asset_path("cats_vs_dogs_small", download=False)
    h, w = int(size[0]), int(size[1])
    left, right = _tall_tile(root / cat, (h, w // 2)), _tall_tile(root / dog, (h, w - w // 2))
    return np.concatenate([left, right], axis=1)[None], f"A cat ({cat}) left, a dog ({dog}) right."
