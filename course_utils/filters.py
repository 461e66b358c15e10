"""What each filter responds to: patterns by gradient ascent, and the raw first-layer kernels.

The seed recipe (Chollet, *Deep Learning with Python*): start from low-amplitude noise,
repeatedly step the image along the L2-normalised gradient of the filter's mean activation
(a 2-pixel border excluded), then normalise, clip, crop and convert to uint8. Here all
requested filters are optimised together, one image per filter in one batch, by a single
compiled (``tf.function``) step.

Images are optimised in "unit" space (-1..1, what Xception takes), mapped to 0-255 pixels and
then through the model's own preprocessing, so one learning rate means the same for every
model: Xception, SqueezeNet (Caffe BGR), and chapter 1's small convnet (raw 0-255 pixels).
"""
from __future__ import annotations

import numbers
import weakref
from typing import TYPE_CHECKING

import numpy as np

from . import validate
from . import regularizers as reg
from .heatmaps import grey_power, high_frequency_energy
from .layers import require_layers
from .model_io import keras_model as _keras_model
from .model_io import spatial_conv_layers, symbolic_output_shape

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from .model_io import ModelLike

BORDER = 2  # activation pixels ignored at each edge: padding artefacts live there


def _unwrap(model):
    """(keras model, pixels→input function, default size) for a keras.Model or ImageNetModel."""
    net = _keras_model(model)
    if net is not model:
        # The plain function (not a bound method): a stable key for the compiled-step cache.
        return net, model._preprocess_tensor, tuple(model.input_size)
    shape = model.inputs[0].shape if getattr(model, "inputs", None) else (None, None, None)
    size = tuple(shape[1:3]) if None not in tuple(shape[1:3]) else (200, 200)
    return model, _identity, size  # plain Keras models here take 0-255 pixels


def check_filters(model: ModelLike, layer_name: str, filter_indices: int | Sequence[int]) -> list[int]:
    """Validate a request; returns the indices as ints. Errors name the valid choices."""
    keras_model = _keras_model(model)
    require_layers(keras_model, [layer_name], valid=spatial_conv_layers(keras_model), what="convolution layer")
    count = keras_model.get_layer(layer_name).output.shape[-1]
    if filter_indices is None or isinstance(filter_indices, (str, bytes)):
        raise TypeError(f"filter_indices is a filter number or a list of them, e.g. [0, 1, 2]; got {filter_indices!r}.")
    indices = [filter_indices] if np.isscalar(filter_indices) else list(filter_indices)
    if not indices:
        raise ValueError("filter_indices is empty: ask for at least one filter.")
    for i in indices:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, numbers.Real) or not float(i).is_integer() \
                or not 0 <= int(i) < count:  # True, "3" and 2.7 are not filter numbers
            raise ValueError(f"Layer {layer_name!r} has {count} filters, so a filter index must be "
                             f"0 … {count - 1}; got {i!r}.")
    return [int(i) for i in indices]


_extractors: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def pattern_extractor(model: ModelLike, layer_name: str) -> Any:
    """A cached model: images of ANY size → the layer's output (same layers, same weights)."""
    import keras

    keras_model = _keras_model(model)
    per_model = _extractors.setdefault(keras_model, {})
    if layer_name not in per_model:
        sub = keras.Model(keras_model.inputs[0], keras_model.get_layer(layer_name).output)
        flexible_input = keras.Input(shape=(None, None, 3))
        per_model[layer_name] = keras.models.clone_model(sub, input_tensors=flexible_input,
                                                         clone_function=lambda layer: layer)
    return per_model[layer_name]


def _layer_map(extractor, layer_name, inputs):
    """The layer's output for `inputs`; it must keep some pixels once the border is excluded,
    else the mean is NaN."""
    return _checked_map(extractor, layer_name, inputs, values=True)


def _check_size(extractor, layer_name, size) -> None:
    _checked_map(extractor, layer_name, np.zeros((1,) + tuple(size) + (3,), "float32"), values=False)


def _checked_map(extractor, layer_name, inputs, values: bool):
    """Refuse `inputs` whose map at the layer is no larger than the border; return the map when
    `values` (else None). Keras's shape rules answer first: a real call on a too-small image can
    kill the process (oneDNN). The real call answers when they cannot tell (nested blocks)."""
    import tensorflow as tf

    shape = _output_shape(extractor, tuple(inputs.shape))
    activations = None
    if shape is None or (values and min(shape[1], shape[2]) > 2 * BORDER):
        try:
            activations = _compiled_forward(extractor)(inputs)
            shape = activations.shape
        except (tf.errors.InvalidArgumentError, tf.errors.AbortedError, ValueError):  # oneDNN aborts
            shape = (1, 0, 0)  # shrunk to nothing before reaching the layer
    if min(shape[1], shape[2]) <= 2 * BORDER:
        size = inputs.shape[1:3]
        raise ValueError(f"A {size[0]}x{size[1]} image gives layer {layer_name!r} a {shape[1]}x{shape[2]} map: "
                         f"nothing is left after excluding a {BORDER}-pixel border. Use a larger size "
                         f"(the octaves regulariser starts at 64 % of the size).")
    return activations


def _output_shape(extractor, input_shape):
    """`symbolic_output_shape`, remembered per input shape on the extractor (it costs ~15 ms of
    Keras shape rules, and an explorer's Run asks it twice for the same shape)."""
    shapes = extractor.__dict__.setdefault("_course_output_shapes", {})
    if input_shape not in shapes:
        shapes[input_shape] = symbolic_output_shape(extractor, input_shape)
    return shapes[input_shape]


def _compiled_forward(extractor):
    """The extractor's forward pass as one compiled call: eager Keras walks its ~60 layers in
    Python (~0.1 s for SqueezeNet), which was a third of an explorer Run's time."""
    import tensorflow as tf

    if "_course_forward" not in extractor.__dict__:
        _quiet_expected_retracing()
        extractor.__dict__["_course_forward"] = tf.function(
            lambda inputs: extractor(inputs, training=False), reduce_retracing=True)
    return extractor.__dict__["_course_forward"]


def _filter_means(activations, filters):
    """Mean activation of each image's own filter, border excluded: (N,) from (N, h, w, C)."""
    import tensorflow as tf

    inner = activations[:, BORDER:-BORDER, BORDER:-BORDER, :]
    return tf.reduce_mean(tf.gather(inner, filters, axis=3, batch_dims=1), axis=[1, 2])


# Steps per compiled call: a whole chunk runs as one graph loop (no return to Python between
# steps, which the benchmark measured as the largest cost), yet the progress bar still moves.
# The price is a trace per layer about 15x slower than a one-step trace (SqueezeNet conv10:
# ~17 s against ~1 s): worth it for a grid of 64 filters, not for one filter in an explorer,
# which passes steps_per_call=1.
STEPS_PER_CALL = 10


class _ExpectedRetracing:
    """Drops TensorFlow's 'triggered tf.function retracing' warning: one trace per layer and
    image size is by design here (a chapter asks a few calls of each), not a bug."""

    def filter(self, record) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def _quiet_expected_retracing() -> None:
    import tensorflow as tf

    logger = tf.get_logger()
    if not any(isinstance(f, _ExpectedRetracing) for f in logger.filters):
        logger.addFilter(_ExpectedRetracing())


def _own_filter_means(twin, inputs, filters):
    """Each image's mean on its own filter, border excluded: (N,), through the ascent twin
    (`ascent_graph`): the same numbers as `_filter_means` on the full layer, less work."""
    import tensorflow as tf

    body, head = twin
    features = body(inputs, training=False)
    if head is None:
        return _filter_means(features, filters)
    maps = head(features, filters)
    return tf.reduce_mean(maps[:, BORDER:-BORDER, BORDER:-BORDER], axis=[1, 2])


def _ascent_step(twin, to_input, to_unit):
    """Compiled gradient ascent for a whole batch, `count` steps per call (built once per
    model/layer/parametrisation)."""
    import tensorflow as tf

    # Kept on the twin's model itself, so it lives and dies with it (an id() key could be reused).
    steps = twin[0].__dict__.setdefault("_course_ascent_steps", {})
    key = (to_input, to_unit)
    if key in steps:
        return steps[key]
    _quiet_expected_retracing()

    def one_step(params, filters, learning_rate, shift):
        with tf.GradientTape() as tape:
            tape.watch(params)
            unit = tf.roll(to_unit(params), shift=shift, axis=[1, 2])  # jitter (shift 0: none)
            # images independent: the sum's gradient is each image's own
            loss = tf.reduce_sum(_own_filter_means(twin, to_input((unit + 1.0) * 127.5), filters))
        grads = tape.gradient(loss, params)
        grads = tf.math.l2_normalize(grads, axis=list(range(1, len(params.shape))))  # per image
        return params + learning_rate * grads

    @tf.function(reduce_retracing=True)
    def run(params, filters, learning_rate, shifts, count):
        # Unrolled (`count` is a Python int: one trace per chunk length): the benchmark measured
        # a tf.while_loop here no faster than one call per step; the unrolled graph 2.5x faster.
        for t in range(count):
            params = one_step(params, filters, learning_rate, shifts[t])
        return params

    steps[key] = run
    return run


def _run_chunk(step, params, filters, rate, shifts, start, n):
    """`n` steps from global step `start` in one call (one trace per distinct chunk length)."""
    import tensorflow as tf

    return step(params, filters, rate, tf.constant(shifts[start:start + n]), int(n))


def _chunks(start: int, count: int, every: int, per_call: int | None = None) -> list[int]:
    """Step counts per compiled call for steps start … start+count-1: at most `per_call`
    (default STEPS_PER_CALL), and each chunk ends where the global step count reaches a
    multiple of `every` (blur)."""
    per_call = STEPS_PER_CALL if per_call is None else per_call
    sizes, t, end = [], start, start + count
    while t < end:
        stop = min(end, t + per_call)
        if every:
            stop = min(stop, (t // every + 1) * every)
        sizes.append(stop - t)
        t = stop
    return sizes


def _seed_for(seed, filter_index):
    return lambda i: [int(seed), int(filter_index[i])]


def optimize_patterns(model: ModelLike, layer_name: str, filter_indices: int | Sequence[int], steps: int = 30,
                      learning_rate: float = 10.0, size: int | tuple[int, int] | None = None,
                      seed: int = 0, regularizer: str = "plain", progress: bool = True,
                      steps_per_call: int | None = None) -> np.ndarray:
    """Gradient ascent for all filters at once → float images (N, H, W, 3) in 0-255 pixel units.

    Each filter's starting noise depends only on (seed, filter index), so a filter's pattern
    does not depend on which other filters share its batch. `steps_per_call`: steps per
    compiled call (default STEPS_PER_CALL; 1 compiles a new layer fastest).
    """
    import tensorflow as tf
    from tqdm.auto import tqdm

    from . import ascent_graph  # imports Keras: only when patterns are asked for

    steps, learning_rate = validate.whole_number(steps, "steps"), validate.positive_number(learning_rate, "learning_rate")
    seed = validate.whole_number(seed, "seed", minimum=0)  # 2.5 would silently become 2
    indices = check_filters(model, layer_name, filter_indices)
    keras_model, to_input, default_size = _unwrap(model)
    size = tuple(default_size if size is None else ((size, size) if np.isscalar(size) else size))
    size = tuple(validate.whole_number(s, "size") for s in size)  # size=0, 2.5, 'big' refused
    _check_budget(steps, len(indices), size)
    rung = reg.regularizer(regularizer)
    if steps_per_call is not None:
        steps_per_call = validate.whole_number(steps_per_call, "steps_per_call")
    extractor = pattern_extractor(keras_model, layer_name)
    schedule = reg.octave_schedule(size, steps, rung.octaves, rung.octave_scale)
    first = schedule[0][0]
    _check_size(extractor, layer_name, first)
    twin = ascent_graph.ascent_twin(keras_model, layer_name)  # same function, cheaper gradient
    filters = tf.constant(indices, dtype=tf.int32)
    shifts = reg.jitter_shifts(steps, rung.jitter, seed) if rung.jitter else np.zeros((steps, 2), "int32")
    seed_for = _seed_for(seed, indices)
    bar = tqdm(total=int(steps), desc=f"{layer_name} × {len(indices)} filters", disable=not progress)
    # leave=True (the default): a notebook bar closed on finishing leaves an output whose widget
    # model is gone, drawn as "Error displaying widget: model not found" after a save + reopen.

    if rung.fourier:
        h, w = size
        to_unit = _fourier_to_unit(h, w)
        params = tf.constant(reg.fourier_init(len(indices), h, w, seed_for))
        step = _ascent_step(twin, to_input, to_unit)
        # Coefficients are not pixels: the rung's own step, scaled like the pixel learning rate.
        rate = tf.constant(rung.fourier_learning_rate * float(learning_rate) / 10.0)
        t = 0
        for n in _chunks(0, steps, 0, steps_per_call):
            params = _run_chunk(step, params, filters, rate, shifts, t, n)
            t += n
            bar.update(n)
        bar.close()
        return ((to_unit(params).numpy() + 1.0) * 127.5).astype("float32")

    # The seed's start: uniform noise in 0.4..0.6 of the -1..1 range (low amplitude, light grey).
    images = tf.constant(np.stack([np.random.default_rng(seed_for(i)).uniform(0.4, 0.6, first + (3,))
                                   for i in range(len(indices))]).astype("float32"))
    step = _ascent_step(twin, to_input, _identity)
    kernel = tf.constant(reg.gaussian_kernel(rung.blur_sigma)) if rung.blur_every else None
    rate = tf.constant(float(learning_rate))
    t = 0
    for octave_size, count in schedule:
        if tuple(images.shape[1:3]) != octave_size:
            images = tf.image.resize(images, octave_size, method="bicubic")
        for n in _chunks(t, count, rung.blur_every, steps_per_call):
            images = _run_chunk(step, images, filters, rate, shifts, t, n)
            t += n
            if kernel is not None and t % rung.blur_every == 0:
                images = reg.gaussian_blur(images, kernel)
            bar.update(n)
    bar.close()
    return ((images.numpy() + 1.0) * 127.5).astype("float32")


# Beyond these a call does not finish in a lesson, or does not fit in a laptop's memory: refused
# with the numbers, before anything is allocated (a huge size was an out-of-memory kill).
MAX_STEPS = 10_000
MAX_BATCH_PIXELS = 2 ** 24  # filters x height x width: 64 filters of 512x512


def _check_budget(steps, n_filters, size) -> None:
    validate.whole_number(steps, "steps", maximum=MAX_STEPS, why="a few hundred steps already converge")
    if len(size) != 2:
        raise ValueError(f"size is one number or (height, width); got {size}.")
    pixels = n_filters * size[0] * size[1]
    if pixels > MAX_BATCH_PIXELS:
        raise ValueError(f"{n_filters} filters of {size[0]}x{size[1]} pixels are {pixels / 1e6:.1f} million pixels "
                         f"in one batch, over the {MAX_BATCH_PIXELS / 1e6:.1f} million that fit in memory: "
                         f"use a smaller size or fewer filters per call.")


def _identity(params):
    return params


_fourier_fns: dict = {}


def _fourier_to_unit(h, w):
    if (h, w) not in _fourier_fns:  # one function object per size, so compiled steps are reused
        _fourier_fns[(h, w)] = lambda spectra: reg.fourier_to_unit_image(spectra, h, w)
    return _fourier_fns[(h, w)]


def default_crop(size: Sequence[int]) -> int:
    """The seed crops 25 px of a 200 px pattern: one eighth of the smaller side."""
    return int(min(size)) // 8


def deprocess(images: np.ndarray, crop: int | None = None) -> np.ndarray:
    """The seed's display step on copies: mean 128, 64 per std, clip, crop the border, uint8."""
    x = validate.batch(images, "pattern")  # a float32 copy; NaN, empty and 2-D refused
    crop = default_crop(x.shape[1:3]) if crop is None else validate.whole_number(crop, "crop", minimum=0)
    axes = (1, 2, 3)
    x = (x - x.mean(axis=axes, keepdims=True)) / (x.std(axis=axes, keepdims=True) + 1e-5) * 64 + 128
    x = np.clip(x, 0, 255).astype("uint8")
    return x[:, crop:x.shape[1] - crop, crop:x.shape[2] - crop, :] if crop else x


def filter_patterns(model: ModelLike, layer_name: str, filter_indices: int | Sequence[int], steps: int = 30,
                    learning_rate: float = 10.0, size: int | tuple[int, int] | None = None, seed: int = 0,
                    regularizer: str = "plain", progress: bool = True, crop: int | None = None) -> np.ndarray:
    """uint8 images (N, h, w, 3), one per filter: what most excites each filter of the layer.

    `model`: a keras.Model taking 0-255 pixels (chapter 1's convnet) or an ImageNetModel.
    `size`: optimised image size (default: the model's input size); the display crops
    `crop` pixels (default size // 8) off each edge, as the seed does.
    """
    if crop is not None:
        crop = validate.whole_number(crop, "crop", minimum=0)
    images = optimize_patterns(model, layer_name, filter_indices, steps, learning_rate, size, seed,
                               regularizer, progress)
    if crop is not None and 2 * crop >= min(images.shape[1:3]):
        raise ValueError(f"crop={crop} leaves nothing of a {images.shape[1]}x{images.shape[2]} pattern: "
                         f"crop less than half the size (default: size // 8).")
    return deprocess(images, crop)


def pattern_activations(model: ModelLike, layer_name: str, filter_indices: int | Sequence[int],
                        images: np.ndarray) -> np.ndarray:
    """Mean activation (border excluded) each image reaches on its own filter: (N,) floats.

    Measured on the images as given (e.g. the uint8 patterns you see, normalised to the same
    contrast), so a higher number means the picture on screen drives the filter harder."""
    import tensorflow as tf

    indices = check_filters(model, layer_name, filter_indices)
    x = validate.batch(images, "pattern", channels=3, pixels=True)  # 0-255 pixels, as the patterns are
    if len(x) != len(indices):
        raise ValueError(f"Got {len(x)} images for {len(indices)} filters: pass one image per filter.")
    _, to_input, _ = _unwrap(model)
    activations = _layer_map(pattern_extractor(model, layer_name), layer_name, to_input(tf.constant(x)))
    return _filter_means(activations, tf.constant(indices, dtype=tf.int32)).numpy()


def spectral_concentration(images: np.ndarray, top: float = 0.01) -> np.ndarray:
    """Share of each image's (grey-level, mean-removed) spectral power held by its strongest
    `top` fraction of spatial frequencies: near 1 for a pure grating (one edge orientation and
    spacing repeated), small when the power is spread over many frequencies (complex patterns)."""
    x = validate.batch(images, "pattern")
    top = validate.number_between(top, "top", 0.0, 1.0, "0.01")
    if x.ndim != 4 or not 0 < top <= 1:
        raise ValueError(f"Expected images (N, H, W, 3) and 0 < top <= 1, got shape {np.shape(images)}, top={top}.")
    power = grey_power(x).reshape(len(x), -1)
    k = max(1, int(round(top * power.shape[1])))
    strongest = -np.sort(-power, axis=1)[:, :k].sum(axis=1)
    total = power.sum(axis=1)
    return np.where(total > 0, strongest / np.maximum(total, 1e-12), 0.0)


def regularizer_ladder(model: ModelLike, layer_name: str, filter_indices: int | Sequence[int],
                       rungs: Sequence[str] = reg.LADDER, steps: int = 30, learning_rate: float = 10.0,
                       size: int | tuple[int, int] | None = None, seed: int = 0, progress: bool = True,
                       steps_per_call: int | None = None) -> dict:
    """Rung name → {"patterns": uint8 (N,h,w,3), "activation": (N,), "high_frequency": (N,)}.

    The same filters, steps and seed on every rung; both numbers are measured on the pictures
    as displayed, so they compare what the learner actually sees."""
    ladder = {}
    for rung in rungs:
        images = optimize_patterns(model, layer_name, filter_indices, steps, learning_rate, size, seed,
                                   rung, progress, steps_per_call)
        patterns = deprocess(images)
        ladder[rung] = {"patterns": patterns,
                        # measured before the crop: a small crop may leave a deep layer no pixels
                        "activation": pattern_activations(model, layer_name, filter_indices, deprocess(images, 0)),
                        "high_frequency": high_frequency_energy(patterns)}
    return ladder


def pattern_grid(patterns: np.ndarray, columns: int = 8, gap: int = 4) -> np.ndarray:
    """Tile uint8 patterns (N, h, w, 3) into one image with `gap` black pixels between them."""
    p = np.asarray(patterns)
    if p.ndim != 4:
        raise ValueError(f"Expected patterns (N, h, w, channels), got shape {p.shape}.")
    n, h, w, c = p.shape
    columns = min(validate.whole_number(columns, "columns"), n)
    gap = validate.whole_number(gap, "gap", minimum=0)
    rows = -(-n // columns)
    grid = np.zeros((rows * (h + gap) - gap, columns * (w + gap) - gap, c), dtype=p.dtype)
    for i in range(n):
        r, col = divmod(i, columns)
        grid[r * (h + gap): r * (h + gap) + h, col * (w + gap): col * (w + gap) + w] = p[i]
    return grid


def first_layer_kernels(model: ModelLike, layer_name: str | None = None) -> np.ndarray:
    """The first conv layer's kernels as RGB tiles (filters, k, k, 3), uint8.

    Each tile is stretched on its own, symmetrically: 128 is a zero weight, so grey = ignores
    that pixel/colour. Caffe-trained kernels (SqueezeNet) expect BGR and are flipped to RGB."""
    keras_model = _keras_model(model)
    names = spatial_conv_layers(keras_model)
    if not names:
        raise ValueError(f"Model {keras_model.name!r} has no convolution layer.")
    layer_name = layer_name or names[0]
    require_layers(keras_model, [layer_name], valid=names, what="convolution layer")
    kernel = np.asarray(keras_model.get_layer(layer_name).get_weights()[0])  # (k, k, in, out)
    if kernel.ndim != 4 or kernel.shape[2] != 3:
        raise ValueError(f"Layer {layer_name!r} does not read the 3 colour channels (its kernel is "
                         f"{kernel.shape}); only the first conv layer can be shown as RGB tiles: {names[0]!r}.")
    if getattr(model, "input_channels", "RGB") == "BGR":
        kernel = kernel[:, :, ::-1, :]
    tiles = np.moveaxis(kernel, -1, 0)
    scale = np.abs(tiles).max(axis=(1, 2, 3), keepdims=True)
    return np.clip(np.rint(128 + 127 * tiles / np.maximum(scale, 1e-12)), 0, 255).astype("uint8")
