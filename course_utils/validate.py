"""One place for the checks every public function runs on what a learner passes in, so the
same mistake gets the same message everywhere: the problem, in the course's words, and the fix.

Rules (issue 14):

* **Pixels** (`pixels`): the course works in 0-255. A float image whose values all lie in
  [0, 1] (``plt.imread``, scikit-image) is read as 0-1 and multiplied by 255, with a warning
  saying so (an all-black image is the same either way). Integer arrays are never rescaled;
  uint16 is scaled by 255/65535. Values below 0 or above 255 are refused: the image was
  preprocessed (``preprocess_input``) or scaled twice. NaN/inf, empty images, channels-first
  (3, H, W), batches of more than one, strings, objects and complex numbers are refused.
* **Images for a model** (`batch`, applied by ``model_io.model_images``, the one entry every
  method that runs a model goes through): shape, channel count, size and NaN/inf against the
  model; the 0-255 rule above for every model that takes pixels (``model_io.takes_pixels``: an
  ImageNetModel, or a keras.Model with a Rescaling layer before its first weights, like
  chapter 1's). Any other keras.Model is given what it takes (a toy model may take noise).
* **Size**: no image (file, PIL image, array, requested size, heatmap size) above Pillow's
  decompression-bomb limit (``images.pixel_limit``); Pillow alone only warns up to 2x.
* **Heatmaps** (`heatmap_2d`): a non-empty, finite 2-D array (a batch of one is allowed).
* **Numbers** (`whole_number`, `positive_number`, `number_between`): an int where a count is
  meant (``2.5``, ``True`` and ``"3"`` are refused; ``3.0`` is 3), with a maximum where a huge
  count would run out of memory or time; a finite positive learning rate; fractions in range.
* **Geometry** (`shape_hw`, `box`): sizes of two whole numbers >= 1; boxes of four whole pixel
  numbers inside the image.
* **Names** (`names`, `functions`): a non-empty list of strings, never a bare string (split into
  letters); a dict label → function where methods are passed.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

ZERO_ONE_WARNING = ("{what} holds floats between 0 and 1 (as plt.imread or scikit-image give): "
                    "read as 0-1 and scaled to the course's 0-255. Pass a 0-255 image to silence this.")


class ZeroToOneImageWarning(UserWarning):
    """A 0-1 float image was rescaled to 0-255."""


def _as_array(image, what: str) -> np.ndarray:
    pictures = "image" in what or "pattern" in what  # else a map, activation, predictions …: no file hint
    if isinstance(image, (str, bytes)) or image is None:
        if not pictures:
            raise TypeError(f"The {what} must be a numeric array; got {type(image).__name__}.")
        raise TypeError(f"The {what} must be an image array (H, W, 3); got {type(image).__name__}. "
                        f"To read a file, use load_image(path).")
    try:
        a = np.asarray(image)
    except ValueError:  # a ragged list: numpy cannot make one array of it
        raise TypeError(f"The {what} is a list of arrays of different sizes: pass one "
                        f"{'image (H, W, 3)' if pictures else 'array'} as a NumPy array.") from None
    if a.dtype == object or a.dtype.kind in "USVcmM":  # also complex numbers and dates
        raise TypeError(f"The {what} must be a numeric array, got dtype {a.dtype}: images of different "
                        f"sizes in one list? Pass one image (H, W, 3) as a NumPy array.")
    if a.dtype == bool:
        a = a.astype("float32") * 255.0
    return a


def numeric(value: object, what: str) -> np.ndarray:
    """`value` as a numeric array (bools as 0/255); strings, None, ragged lists refused."""
    return _as_array(value, what)


def _check_shape(a: np.ndarray, shape, what: str, channels=(3,)) -> np.ndarray:
    if a.ndim == 4:
        if a.shape[0] != 1:
            raise ValueError(f"Expected one {what}; got shape {shape}, a batch of {a.shape[0]}: this takes "
                             f"one image at a time, pass images[i] (or images[i:i+1]).")
        a = a[0]
    if a.ndim != 3:
        raise ValueError(f"Expected one {what} of shape (H, W, 3) or (1, H, W, 3); got shape {shape}.")
    if a.shape[-1] not in channels and a.shape[0] in channels and a.shape[-1] > max(channels):
        raise ValueError(f"The {what} has its channels first (shape {shape}); the course uses channels "
                         f"last (H, W, 3): pass np.moveaxis(image, 0, -1).")
    if a.shape[-1] not in channels:
        raise ValueError(f"Expected the {what} to have {' or '.join(map(str, channels))} channels "
                         f"(last axis); got shape {shape}.")
    if 0 in a.shape:
        raise ValueError(f"The {what} is empty (shape {shape}): check the crop or the file it came from.")
    return a


def finite(a: np.ndarray, what: str) -> np.ndarray:
    if not np.all(np.isfinite(a)):
        raise ValueError(f"The {what} contains NaN or infinite values: it was computed from a division "
                         f"by zero or a broken file; fix it at its source (np.nan_to_num only hides it).")
    return a


def to_0_255(a: np.ndarray, what: str = "image") -> np.ndarray:
    """The pixel rule on any numeric array (float32 copy): 0-1 floats rescaled with a warning,
    uint16 scaled by 255/65535, values outside 0-255 refused."""
    a = np.asarray(a)
    if a.dtype == np.uint16:
        return a.astype("float32") * np.float32(255.0 / 65535.0)
    out = a.astype("float32")  # always a copy: the caller's array is never touched
    if out.size == 0:
        return out
    lo, hi = float(out.min()), float(out.max())
    if lo < 0 or hi > 255:
        raise ValueError(f"The {what}'s values run from {lo:.4g} to {hi:.4g}, outside 0-255: it looks "
                         f"preprocessed already (preprocess_input, or scaled twice). Pass the original "
                         f"0-255 image; the model preprocesses it itself.")
    if a.dtype.kind == "f" and 0 < hi <= 1.0:
        warnings.warn(ZERO_ONE_WARNING.format(what=f"The {what}"), ZeroToOneImageWarning, stacklevel=3)
        out = out * 255.0
    return out


def pixels(image: object, what: str = "image", channels: tuple[int, ...] = (3,)) -> np.ndarray:
    """One image as a float32 copy (H, W, C) in 0-255, every rule above applied."""
    a = _as_array(image, what)
    a = _check_shape(a, np.shape(image), what, channels)
    return to_0_255(finite(a, what), what)


def batch(images: object, what: str = "image", channels: int | None = None, one: bool = False,
          pixels: bool = False) -> np.ndarray:
    """Images for a model as a float32 copy (N, H, W, C): one image (H, W, C) becomes a batch of
    one. Strings, ragged lists, grey (H, W) arrays, channels-first, a wrong channel count (when
    the model's `channels` is known), empty and non-finite images are refused; `one=True` also
    refuses a batch of more than one. `pixels=True` adds the 0-255 rule (`to_0_255`): only for
    a model that takes pixels (see `model_io.takes_pixels`)."""
    a = _as_array(images, what)
    shape = np.shape(images)
    if a.ndim == 2:
        raise ValueError(f"Expected an {what} (H, W, C) or a batch of images (N, H, W, C); got a 2-D array "
                         f"of shape {shape}. A grey image? load_image(array) repeats it to (1, H, W, 3).")
    if a.ndim == 3:
        a = a[None]
    if a.ndim != 4:
        raise ValueError(f"Expected an {what} (H, W, C) or a batch of images (N, H, W, C); got shape {shape}.")
    if one and a.shape[0] != 1:
        raise ValueError(f"Expected one {what}; got shape {shape}, a batch of {a.shape[0]}: this takes "
                         f"one image at a time, pass images[i] (or images[i:i+1]).")
    if channels is not None and a.shape[-1] != channels:
        if a.shape[1] == channels and a.shape[-1] > 4:  # (N, 3, H, W); not (N, H, W, 2)
            raise ValueError(f"The {what} has its channels first (shape {shape}); the course uses channels "
                             f"last (H, W, {channels}): pass np.moveaxis(image, 0, -1) (a batch: axis 1).")
        fix = " (RGBA: load_image(array) lays it over white)" if a.shape[-1] == 4 and channels == 3 else ""
        raise ValueError(f"The model takes images with {channels} channels (last axis); the {what} has "
                         f"{a.shape[-1]} (shape {shape}){fix}.")
    if a.size == 0:
        raise ValueError(f"The {what} is empty (shape {shape}): check the crop or the file it came from.")
    finite(a, what)
    return to_0_255(a, what) if pixels else a.astype("float32")  # astype: always a copy


def heatmap_2d(heatmap: object, what: str = "heatmap") -> np.ndarray:
    """A finite, non-empty 2-D heatmap as float32 (a batch/channel of one is squeezed)."""
    a = _as_array(heatmap, what).astype("float32")
    shape = a.shape
    while a.ndim > 2 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim != 2:
        raise ValueError(f"A {what} is 2-D (height, width); got shape {shape}.")
    if a.size == 0:
        raise ValueError(f"The {what} is empty (shape {shape}).")
    return finite(a, what)


def whole_number(value: object, name: str, minimum: int = 1, maximum: int | None = None, why: str = "") -> int:
    """`value` as an int >= minimum (and <= maximum, `why` saying why); 2.5, True, "3" and None
    are refused with the fix."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a whole number (e.g. {max(minimum, 1) * 10}), "
                        f"not {type(value).__name__} {value!r}.")
    if isinstance(value, numbers.Integral):
        number = int(value)
    elif math.isfinite(float(value)) and float(value).is_integer():
        number = int(value)
    else:
        raise TypeError(f"{name} must be a whole number, got {value!r}: round it yourself "
                        f"(e.g. {name}={round(float(value)) if math.isfinite(float(value)) else minimum}).")
    if number < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {number}.")
    if maximum is not None and number > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {number}{': ' + why if why else ''}.")
    return number


def whole_numbers(values: object, name: str, minimum: int = 0) -> list[int]:
    """A non-empty list of whole numbers (e.g. filter indices)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        values = [values]
    out = [whole_number(v, f"each of {name}", minimum) for v in values]
    if not out:
        raise ValueError(f"{name} is empty: give at least one.")
    return out


def positive_number(value: object, name: str) -> float:
    """A finite number > 0 (a learning rate, a step size)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number such as 10.0, not {type(value).__name__} {value!r}.")
    if not math.isfinite(float(value)) or float(value) <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}: a negative one walks "
                         f"down the gradient instead of up, and NaN/inf break every step.")
    return float(value)


def names(values: object, name: str, what: str = "layer names") -> list[str]:
    """A non-empty list of strings; a bare string is refused (it would be split into letters)."""
    if isinstance(values, str):
        raise TypeError(f"{name} must be a list of {what}, e.g. [{values!r}], not a bare string.")
    try:
        out = list(values)
    except TypeError:
        raise TypeError(f"{name} must be a list of {what}, not {type(values).__name__}.") from None
    if not out:
        raise ValueError(f"{name} is empty: give at least one of the {what}.")
    bad = [v for v in out if not isinstance(v, str)]
    if bad:
        raise TypeError(f"{name} must hold {what} (strings); got {bad[0]!r} ({type(bad[0]).__name__}).")
    return out


def pixel_value(value: object, name: str) -> float:
    """One 0-255 pixel value (an occlusion patch's fill, a background)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} is a pixel value between 0 and 255 (127.5 is grey), "
                        f"not {type(value).__name__} {value!r}.")
    if not math.isfinite(float(value)) or not 0 <= float(value) <= 255:
        raise ValueError(f"{name} is a pixel value between 0 and 255 (127.5 is grey), got {value!r}.")
    return float(value)


def number_between(value: object, name: str, low: float, high: float, example: str) -> float:
    """A finite number in [low, high] (an opacity, a fraction, a percentile)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number between {low:g} and {high:g} (e.g. {example}), "
                        f"not {type(value).__name__} {value!r}.")
    if not math.isfinite(float(value)) or not low <= float(value) <= high:
        raise ValueError(f"{name} must be a number between {low:g} and {high:g} (e.g. {example}), got {value!r}.")
    return float(value)


def shape_hw(value: object, name: str = "shape_hw") -> tuple[int, int]:
    """An image size (height, width) of two whole numbers >= 1, e.g. image.shape[1:3]."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise TypeError(f"{name} is an image size (height, width), e.g. image.shape[1:3]; got {value!r}.")
    h, w = (whole_number(v, f"each side of {name}") for v in value)
    from .images import pixel_limit  # the one size limit (Pillow's), also for arrays made here

    if h * w > pixel_limit():
        raise ValueError(f"{name} {h}x{w} is over the course's limit of {pixel_limit() / 1e6:.1f} million "
                         f"pixels: use the image's own size, e.g. image.shape[1:3].")
    return h, w


def box(value: object, size_hw: tuple[int, int] | None = None) -> tuple[int, int, int, int]:
    """A box (x0, y0, x1, y1) of whole pixel numbers with 0 <= x0 < x1 <= width, 0 <= y0 < y1 <= height
    (with `size_hw` unknown: four whole numbers >= 0)."""
    h, w = size_hw if size_hw is not None else ("height", "width")
    rule = f"A box is (x0, y0, x1, y1) in pixels with 0 <= x0 < x1 <= {w} and 0 <= y0 < y1 <= {h}"
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__") or len(value) != 4:
        raise ValueError(f"{rule}: four numbers; got {value!r}.")
    try:
        x0, y0, x1, y1 = (whole_number(v, "each box corner", minimum=0) for v in value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{rule}; got {tuple(value)!r}: {exc}") from None
    if size_hw is None:
        return x0, y0, x1, y1
    if not (x0 < x1 <= w and y0 < y1 <= h):
        raise ValueError(f"{rule}; got {tuple(value)}.")
    return x0, y0, x1, y1


def functions(value: object, name: str, example: str) -> dict:
    """A non-empty dict label → function (a bare list has no labels for the plots)."""
    if not isinstance(value, dict):
        raise TypeError(f"{name} maps a label to a function, e.g. {example}; got {type(value).__name__}.")
    if not value:
        raise ValueError(f"{name} is empty: give at least one, e.g. {example}.")
    for label, fn in value.items():
        if not callable(fn):
            raise TypeError(f"{name}[{label!r}] must be a function, e.g. {example}; got {type(fn).__name__}.")
    return value


def finite_array(value: object, what: str, min_ndim: int = 1) -> np.ndarray:
    """A non-empty, finite numeric array (an activation, a map, features) as float32."""
    a = _as_array(value, what)
    if a.ndim < min_ndim:
        raise ValueError(f"The {what} must have at least {min_ndim} dimensions; got shape {a.shape}.")
    if a.size == 0:
        raise ValueError(f"The {what} is empty (shape {a.shape}).")
    return finite(a.astype("float32"), what)
