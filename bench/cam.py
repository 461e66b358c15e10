"""Per-layer Grad-CAM gallery: one forward + one backward pass vs one model per layer.

    .venv/bin/python bench/cam.py [--model squeezenet|xception] [--repeats 3]

Same image, class and layers for every contender. "One model per layer" is the walkthrough's
recipe repeated: build a grad model (layer output + logits) and run it, for each layer.
Goal (issue 4): the gallery costs at most 2x a single Grad-CAM. Xception runs with random
weights (its ImageNet weights are not shipped; the cost does not depend on them).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import course_utils  # noqa: E402,F401  first: the course's TensorFlow settings (oneDNN) before TF loads
import numpy as np  # noqa: E402


def walkthrough_grad_cam(net, x, index, layer_name, logit_layer):
    """The walkthrough's Grad-CAM, a fresh grad model per call."""
    import keras
    import tensorflow as tf

    grad_model = keras.Model(net.inputs, [net.get_layer(layer_name).output, net.get_layer(logit_layer).output])
    with tf.GradientTape() as tape:
        conv_output, logits = grad_model(x, training=False)
        score = logits[:, index]
    grads = tape.gradient(score, conv_output)
    weights = tf.reduce_mean(grads, axis=(0, 1, 2))
    heat = tf.nn.relu(conv_output[0] @ weights[:, None])[..., 0]
    return np.asarray(heat / tf.maximum(tf.reduce_max(heat), 1e-12))


def timed(fn, repeats):
    fn()  # warm-up: graph building and first-call costs are not what we compare
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="squeezenet", choices=["squeezenet", "xception"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import warnings

    from course_utils import cam
    from course_utils.targets import logit_head
    from course_utils.models import load_imagenet_model

    warnings.simplefilter("ignore")
    model = load_imagenet_model(args.model, weights="imagenet" if args.model == "squeezenet" else None)
    image = model.load(np.random.default_rng(0).uniform(0, 255, model.input_size + (3,)).astype("float32"))
    index = int(np.argmax(model.predict(image)))
    layers = cam.conv_block_layers(model)
    walkthrough_layer = model.walkthrough_layers["cam"]
    logit_layer = logit_head(model.model)[0]
    x = model.preprocess(image)

    single, _ = timed(lambda: cam.grad_cam(model, image, index, walkthrough_layer), args.repeats)
    gallery, maps = timed(lambda: cam.grad_cam_gallery(model, image, index, layers), args.repeats)
    per_layer, naive = timed(lambda: [walkthrough_grad_cam(model.model, x, index, n, logit_layer) for n in layers],
                             args.repeats)
    agree = max(float(np.abs(maps[n] - m).max()) for n, m in zip(layers, naive))

    print(f"{model.name}, {len(layers)} layers ({layers[0]} … {layers[-1]}), median of {args.repeats} runs")
    print(f"single Grad-CAM ({walkthrough_layer}): {single * 1000:8.1f} ms")
    print(f"gallery, one pass:               {gallery * 1000:8.1f} ms")
    print(f"one model per layer:             {per_layer * 1000:8.1f} ms")
    print(f"gallery / single Grad-CAM = {gallery / single:.2f}  (goal <= 2)")
    print(f"one-model-per-layer / gallery = {per_layer / gallery:.1f}")
    print(f"largest difference between the two galleries' heatmaps: {agree:.1e}")
    return 0 if gallery <= 2 * single else 1


if __name__ == "__main__":
    sys.exit(main())
