"""Filter patterns: the seeds' per-filter eager loop versus one batched, compiled step.

Same model, layer, number of steps, image size and filters for both; prints seconds per filter
and the speed-up. Run: ``.venv/bin/python bench/filter_patterns.py [--filters 16] [--model xception]``
(``--model xception`` uses weights=None when its ImageNet weights are absent: same cost).
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from course_utils import assets, filters  # noqa: E402
from course_utils.layers import feature_extractor  # noqa: E402
from course_utils.models import load_imagenet_model  # noqa: E402


def seed_style_pattern(extractor, to_input, filter_index, steps, learning_rate, size, seed):
    """The walkthrough's loop, one filter at a time, eager: noise → L2-normalised ascent steps."""
    image = tf.constant(np.random.default_rng([seed, filter_index]).uniform(0.4, 0.6, (1,) + size + (3,)),
                        dtype=tf.float32)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(image)
            activation = extractor(to_input((image + 1.0) * 127.5), training=False)
            loss = tf.reduce_mean(activation[:, 2:-2, 2:-2, filter_index])
        grads = tf.math.l2_normalize(tape.gradient(loss, image))
        image = image + learning_rate * grads
    return filters.deprocess((image.numpy() + 1.0) * 127.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="squeezenet", choices=["squeezenet", "xception"])
    parser.add_argument("--layer", default=None, help="default: the model's walkthrough filter layer")
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    weights = "imagenet" if args.model == "squeezenet" or assets.is_available("xception_weights") else None
    wrapped = load_imagenet_model(args.model, weights=weights)
    layer = args.layer or wrapped.walkthrough_layers["filters"]
    size = tuple(wrapped.input_size)
    indices = list(range(args.filters))
    print(f"{wrapped.name} (weights={weights}), layer {layer}, {args.filters} filters, {args.steps} steps, "
          f"{size[0]}x{size[1]} px, {tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count()} threads")

    extractor = feature_extractor(wrapped.model, [layer])  # what the seed builds
    to_input = wrapped.preprocess_tensor

    def run_batched():
        return filters.filter_patterns(wrapped, layer, indices, steps=args.steps, size=size,
                                       seed=args.seed, progress=False)

    start = time.perf_counter()  # the first call traces the compiled step: a learner pays it once
    batched = run_batched()
    first_s = (time.perf_counter() - start) / len(indices)

    # The CPU may be shared: interleave the two methods over several rounds and keep each one's
    # best round (as timeit does). Each round times the eager loop on a different slice of filters.
    per_round = max(1, len(indices) // args.rounds)
    eager_times, batched_times, correlations = [], [], []
    for r in range(args.rounds):
        chunk = indices[r * per_round:(r + 1) * per_round] or indices[:per_round]
        start = time.perf_counter()
        eager = [seed_style_pattern(extractor, to_input, i, args.steps, 10.0, size, args.seed)[0] for i in chunk]
        eager_times.append((time.perf_counter() - start) / len(chunk))
        start = time.perf_counter()
        run_batched()
        batched_times.append((time.perf_counter() - start) / len(indices))
        # Not bit-identical: batch size changes the CPU kernels' rounding, which the steps amplify.
        correlations += [np.corrcoef(e.ravel().astype(float), batched[i].ravel().astype(float))[0, 1]
                         for e, i in zip(eager, chunk)]
    eager_s, steady_s = min(eager_times), min(batched_times)
    print(f"seed-style eager loop  : {eager_s:.3f} s per filter (best of {args.rounds} rounds of {per_round} filters)")
    print(f"batched, compiled      : {steady_s:.3f} s per filter (best of {args.rounds} rounds of {len(indices)} filters)")
    print(f"batched, first call    : {first_s:.3f} s per filter (tracing included)")
    print(f"speed-up               : {eager_s / steady_s:.1f}x ({eager_s / first_s:.1f}x counting the first call's tracing)")
    print(f"same pictures          : per-filter correlation median {np.median(correlations):.3f}, "
          f"min {np.min(correlations):.3f} ({len(correlations)} filters)")

if __name__ == "__main__":
    main()
