"""The gradient-ascent twin of a truncated model: the same function and weights, less work.

Filter-pattern ascent asks, 30 times per filter, for d(one filter's mean)/d(image). The full
model computes more than that answer needs; the twin (built by ``ascent_twin``, sharing the
original layers' variables) drops what it can without changing the result:

* the target layer is computed only for each image's own filter (``FilterHead``): the full layer
  makes all C maps (256 at Xception's block3_sepconv1) and the loss keeps one;
* a conv followed by BatchNormalization becomes one conv (``FoldedConv``): the BN's full-size
  multiply and add forward and its multiply backward disappear;
* a strided 1x1 conv (Xception's residual shortcuts) keeps every s-th pixel first, then
  multiplies (``SubsampledPointwise``): its input gradient is a matmul and a pad instead of
  TensorFlow's strided ``Conv2DBackpropInput``.

The largest gain is not here: oneDNN kernels (TF_ENABLE_ONEDNN_OPTS=1, which course_utils sets)
took the batched Xception ascent from 1.51 to 0.61 s per filter (MaxPoolGrad 92 → 28 ms and a
depthwise gradient 67 → 39 ms per batch of 8 at 97x97); the eager loop gained only 4.6 → 3.6 s.

Tried and dropped (bench/filter_patterns.py, Xception, 8 images, single-threaded CPU seconds):
max pooling as a max of shifted slices, to avoid ``MaxPoolGrad`` (about 20x its forward in the
profile), cost 1.7x more: TensorFlow's CPU slice/pad gradients are slower still;
``max_pool_with_argmax`` (its gradient is a scatter) is 3x slower than oneDNN's MaxPoolGrad; a 3x3
depthwise conv as nine shifted multiplies is 20x slower than the depthwise kernel; 8 images per
call instead of 16 gained 25% without oneDNN and nothing with it. Every other
layer is the original one. tests/test_ascent_graph.py checks values and input gradients of each
rewrite against the original model.
"""
from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import keras
import tensorflow as tf

if TYPE_CHECKING:
    from collections.abc import Callable

# Activations that act on each value alone, so slicing channels before them changes nothing.
_ELEMENTWISE = {"linear", "relu", "relu6", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid", "tanh",
                "swish", "silu", "hard_silu", "hard_swish", "leaky_relu", "softplus", "softsign",
                "exponential", "mish", "celu"}

_twins: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def ascent_twin(keras_model: keras.Model,
                layer_name: str) -> tuple[keras.Model, Callable[[tf.Tensor, tf.Tensor], tf.Tensor] | None]:
    """(body, head), cached per model and layer.

    body: a keras.Model, images of any size → the input of `layer_name` (or its output when
    the layer cannot be sliced per filter); head(x, filters) → (N, h, w): image i's map of
    filter filters[i] (``None`` head: take the channel from the body's output)."""
    per_model = _twins.setdefault(keras_model, {})
    if layer_name not in per_model:
        target = keras_model.get_layer(layer_name)
        head = FilterHead.for_layer(target)
        end = target.input if head is not None else target.output
        sub = keras.Model(keras_model.inputs[0], end)
        flexible = keras.Input(shape=(None, None) + tuple(keras_model.inputs[0].shape[3:]))
        body = keras.models.clone_model(sub, input_tensors=flexible, clone_function=_swapper(sub))
        per_model[layer_name] = (body, head)
    return per_model[layer_name]


# Which rewrites the twin applies (the benchmark switches them one by one).
SWAPS = {"fold_batchnorm", "strided_pointwise"}


def _swapper(sub):
    """clone_function for `sub`: folds each conv → BatchNormalization pair, then the rest."""
    folds = _batchnorm_folds(sub) if "fold_batchnorm" in SWAPS else {}
    folded_bns = {bn.name for bn in folds.values()}

    def swap(layer):
        if layer.name in folds:
            return FoldedConv(layer, folds[layer.name])
        if layer.name in folded_bns:
            return Folded(name=layer.name)
        return faster_gradient_layer(layer)
    return swap


def _producers(layer):
    """Layers whose outputs `layer` reads in its first (the model's own) call."""
    node = layer._inbound_nodes[0]
    return [t._keras_history.operation for t in node.input_tensors]


def _batchnorm_folds(sub) -> dict:
    """{conv name: its BatchNormalization} where the BN reads the conv's output (channels last,
    inference) and nothing else in `sub` does, and the conv has no activation of its own:
    then BN(conv(x)) is one conv with a rescaled kernel and a new bias."""
    L = keras.layers
    try:
        readers: dict = {}
        for layer in sub.layers:
            for producer in _producers(layer) if layer._inbound_nodes else []:
                readers.setdefault(producer.name, []).append(layer)
    except (AttributeError, IndexError):  # Keras internals moved: no folding, same results
        return {}
    folds = {}
    for layer in sub.layers:
        if type(layer) not in (L.Conv2D, L.SeparableConv2D) or layer.data_format != "channels_last":
            continue
        users = readers.get(layer.name, [])
        if (len(users) == 1 and type(users[0]) is L.BatchNormalization and users[0].axis in (-1, 3)
                and keras.activations.serialize(layer.activation) == "linear"
                and getattr(layer, "groups", 1) == 1):
            folds[layer.name] = users[0]
    return folds


def faster_gradient_layer(layer: keras.layers.Layer) -> keras.layers.Layer:
    """The layer itself, or a layer computing the same output whose input gradient is fast."""
    L = keras.layers
    channels_last = getattr(layer, "data_format", "channels_last") == "channels_last"
    if not channels_last:
        return layer
    if (type(layer) is L.Conv2D and tuple(layer.kernel_size) == (1, 1) and tuple(layer.strides) != (1, 1)
            and "strided_pointwise" in SWAPS and layer.groups == 1 and tuple(layer.dilation_rate) == (1, 1)):
        return SubsampledPointwise(layer)
    return layer


def _every_nth(x, step: int, axis: int, start: int = 0, count=None):
    """x[start::step] along `axis` (1 or 2) of a 4-D tensor, `count` elements (default: all),
    by pad + reshape + contiguous slice: its gradient is a pad, not TensorFlow's StridedSliceGrad.
    Rows past the end are padded with zeros; callers never read them."""
    n = tf.shape(x)[axis]
    if count is None:
        count = (n - start + step - 1) // step
    if step == 1:
        return _slice_axis(x, axis, start, count)
    # Rows start, start+step, …: reshape (…, m, step, …) and take phase `start % step`.
    blocks = start // step + count
    x = _pad_axis(x, axis, 0, tf.maximum(blocks * step - n, 0))
    x = _slice_axis(x, axis, 0, blocks * step)
    shape = tf.shape(x)
    split = tf.concat([shape[:axis], [blocks, step], shape[axis + 1:]], axis=0)
    x = tf.reshape(x, split)
    begin = [0] * 5
    begin[axis], begin[axis + 1] = start // step, start % step
    size = [-1] * 5
    size[axis], size[axis + 1] = count, 1
    x = tf.slice(x, begin, size)
    return tf.squeeze(x, axis + 1)


def _slice_axis(x, axis, start, count):
    begin, size = [0, 0, 0, 0], [-1, -1, -1, -1]
    begin[axis], size[axis] = start, count
    return tf.slice(x, begin, size)


def _pad_axis(x, axis, before, after):
    pads = [[0, 0], [0, 0], [0, 0], [0, 0]]
    pads[axis] = [before, after]
    return tf.pad(x, pads)


class SubsampledPointwise(keras.layers.Layer):
    """A strided 1x1 Conv2D as: keep every stride-th pixel, then the same 1x1 conv (a matmul).

    Equal by construction (a 1x1 window at stride s reads exactly those pixels, and SAME pads
    nothing for a 1x1 window). Uses the original layer's kernel, bias and activation."""

    def __init__(self, conv, **kwargs):
        super().__init__(name=conv.name, **kwargs)
        self.conv = conv

    def call(self, x: tf.Tensor) -> tf.Tensor:
        sh, sw = self.conv.strides
        x = _every_nth(_every_nth(x, sh, axis=1), sw, axis=2)
        y = tf.einsum("bhwc,cd->bhwd", x, self.conv.kernel[0, 0])
        if self.conv.use_bias:
            y = y + self.conv.bias
        return self.conv.activation(y)

    def compute_output_shape(self, shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        sizes = [None if n is None else -(-n // s) for n, s in zip(shape[1:3], self.conv.strides)]
        return (shape[0], *sizes, self.conv.filters)


class FoldedConv(keras.layers.Layer):
    """conv → BatchNormalization (inference) as one conv: kernel x gamma/sqrt(var + eps) per
    output channel, bias (b - mean) x that + beta. Saves the BN's full-size multiply and add
    forward and its multiply backward; the fold is recomputed from the live variables on
    every call, so it follows any change of weights."""

    def __init__(self, conv, bn, **kwargs):
        super().__init__(name=conv.name, **kwargs)
        self.conv, self.bn = conv, bn

    def call(self, x: tf.Tensor, **kwargs) -> tf.Tensor:
        conv, bn = self.conv, self.bn
        scale = tf.math.rsqrt(bn.moving_variance + bn.epsilon)
        if bn.scale:
            scale = scale * bn.gamma
        bias = conv.bias if conv.use_bias else 0.0
        shift = (bias - bn.moving_mean) * scale + (bn.beta if bn.center else 0.0)
        strides, dilations = (1, *conv.strides, 1), tuple(conv.dilation_rate)
        if type(conv) is keras.layers.SeparableConv2D:
            y = tf.nn.separable_conv2d(x, conv.depthwise_kernel, conv.pointwise_kernel * scale, strides,
                                       conv.padding.upper(), dilations=dilations)
        else:
            y = tf.nn.conv2d(x, conv.kernel * scale, strides, conv.padding.upper(), dilations=dilations)
        return tf.nn.bias_add(y, shift)

    def compute_output_shape(self, shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return self.conv.compute_output_shape(shape)


class Folded(keras.layers.Layer):
    """Stands where a BatchNormalization folded into its conv was: passes its input through."""

    def call(self, x: tf.Tensor, **kwargs) -> tf.Tensor:  # the BN's own call arguments (training, mask) are ignored
        return x

    def compute_output_shape(self, shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return shape


class FilterHead:
    """A conv layer's output for one filter per image: (N, h, w) from the layer's input.

    The full layer computes all C filters for every image and the loss then keeps one: C-1
    wasted maps forward and backward. Here each image meets only its own filter's kernel
    (a batched matvec for 1x1 and separable convs, the N requested filters for a k x k conv)."""

    def __init__(self, layer, separable: bool):
        self.layer, self.separable = layer, separable

    @classmethod
    def for_layer(cls, layer: keras.layers.Layer) -> FilterHead | None:
        """A head for a channels-last Conv2D / SeparableConv2D with an elementwise activation,
        else None (the caller then keeps the whole layer and takes the channel)."""
        L = keras.layers
        if type(layer) not in (L.Conv2D, L.SeparableConv2D) or layer.data_format != "channels_last":
            return None
        if getattr(layer, "groups", 1) != 1 or isinstance(layer.input, (list, tuple)):
            return None
        if keras.activations.serialize(layer.activation) not in _ELEMENTWISE:
            return None
        return cls(layer, separable=type(layer) is L.SeparableConv2D)

    def __call__(self, x: tf.Tensor, filters: tf.Tensor) -> tf.Tensor:
        layer = self.layer
        strides = (1, *layer.strides, 1)
        padding = layer.padding.upper()
        if self.separable:  # depthwise for all channels (each filter needs them all), pointwise sliced
            x = tf.nn.depthwise_conv2d(x, layer.depthwise_kernel, strides, padding,
                                       dilations=tuple(layer.dilation_rate))
            y = tf.einsum("bhwc,cb->bhw", x, tf.gather(layer.pointwise_kernel[0, 0], filters, axis=1))
        elif tuple(layer.kernel_size) == (1, 1) and strides == (1, 1, 1, 1):
            y = tf.einsum("bhwc,cb->bhw", x, tf.gather(layer.kernel[0, 0], filters, axis=1))
        else:  # the N requested filters for every image, then image i keeps its own (N/C of the work)
            maps = tf.nn.conv2d(x, tf.gather(layer.kernel, filters, axis=3), strides, padding,
                                dilations=tuple(layer.dilation_rate))
            y = tf.gather(maps, tf.range(tf.shape(maps)[0]), axis=3, batch_dims=1)
        if layer.use_bias:
            y = y + tf.gather(layer.bias, filters)[:, None, None]
        return layer.activation(y)
