"""Filter patterns: the seeds' per-filter eager loop versus one batched, compiled step.

Same layer, number of steps, image size and filters for both; prints seconds per filter, the
speed-up, and achieved/peak: the ascent's conv FLOPs (forward to the layer + input gradient,
counted from the truncated model's conv layers) per second, over the dense float32 conv rate of
this machine measured with one large conv in the same run. The course's batched ascent climbs
the model's ascent twin (course_utils.ascent_graph: BN folded into convs, strided 1x1 shortcut as
subsample + matmul, the target layer computed for each image's own filter only), so it does less
work than the FLOPs counted here: achieved/peak is "nominal" (the same count for every row).
Other rows: the whole ascent in one compiled call on the ORIGINAL layers (the twin's baseline),
XLA (jit_compile, --xla) and half the batch per call.
Last, a roofline-style table of the ascent's conv layers on the course's batch: per layer its
work, arithmetic intensity (FLOP per byte of the least memory traffic), whether the roofline
(min(peak, intensity x memory bandwidth), both measured in the same run) bounds it by compute or
by memory, and the rate it reaches alone; then one ascent step against the sum of the layers and
against the roofline's bound. A layer above 100 % of its roof is no error: its data stays in the
caches (the bandwidth is DRAM streaming), or oneDNN's Winograd 3x3 kernels do fewer multiplies
than the direct-convolution FLOPs counted. ``ONEDNN_MAX_CPU_ISA=AVX2`` caps oneDNN at AVX2 on an
AVX-512 machine, so both rows of the issue are measured on one CPU.
Run: ``.venv/bin/python bench/filter_patterns.py [--filters 32] [--models squeezenet xception]``
(Xception with weights=None when its ImageNet weights are absent: the same cost).
The machine may be shared: absolute times are noisy; ratios measured in the same run hold.
oneDNN kernels are on, as in the course (course_utils sets TF_ENABLE_ONEDNN_OPTS=1 unless told
otherwise); ``TF_ENABLE_ONEDNN_OPTS=0`` measures TensorFlow's own kernels for comparison.
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import course_utils  # noqa: E402  first: sets the course's TF_ENABLE_ONEDNN_OPTS default before TensorFlow loads
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from course_utils import assets, filters  # noqa: E402
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


def conv_layers(extractor):
    """(layer, input shape, output shape, forward FLOPs for one image) of every conv in the
    truncated model (`keras_model_at`'s fixed-size rebuild)."""
    import keras

    rows = []
    for layer in extractor.layers:
        if not isinstance(layer, (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D)):
            continue
        # Layers are shared with the full model: its LAST node is this fixed-size rebuild's call.
        node = layer._inbound_nodes[-1]
        in_shape, out_shape = tuple(node.input_tensors[0].shape[1:]), tuple(node.output_tensors[0].shape[1:])
        h, w, c_out = out_shape
        c_in = in_shape[-1]
        kh, kw = layer.kernel_size
        if isinstance(layer, keras.layers.SeparableConv2D):  # depthwise then 1x1 pointwise
            flops = 2 * h * w * (kh * kw * c_in + c_in * c_out)
        elif isinstance(layer, keras.layers.DepthwiseConv2D):
            flops = 2 * h * w * kh * kw * c_in
        else:
            flops = 2 * h * w * kh * kw * c_in * c_out
        rows.append((layer, in_shape, out_shape, float(flops)))
    return rows


def memory_bandwidth(rounds: int = 5) -> float:
    """Bytes/s of a streaming update of a 256 MB float32 array (read once, written once), best
    of rounds: the roofline's slope for work that cannot stay in the caches."""
    x = tf.random.normal((64 * 2 ** 20,))
    scale = tf.function(lambda a: a * 1.0001)
    scale(x).numpy()
    best = min(_timed(lambda: scale(x).numpy()) for _ in range(rounds))
    return 2 * 4 * x.shape[0] / best


def layer_step(layer):
    """One layer's share of an ascent step, compiled: its forward pass and its input gradient."""
    @tf.function
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=False)
        return tape.gradient(y, x, output_gradients=tf.ones_like(y))
    return run


def roofline(convs, size, batch, step_s, peak, bandwidth, rounds=3):
    """Per conv layer of the ascent: work, arithmetic intensity, the roofline's bound
    (min(peak, intensity x bandwidth)) and the rate it reaches alone, on the course's batch.

    Bytes are the least traffic a forward + input-gradient pass needs (input, output and weights
    read or written twice, float32): intensity above peak/bandwidth means compute-bound."""
    ridge = peak / bandwidth
    print(f"\nroofline, batch of {batch} at {size[0]}x{size[1]} px: peak {peak / 1e9:.1f} GFLOP/s, memory "
          f"{bandwidth / 1e9:.1f} GB/s, ridge {ridge:.1f} FLOP/byte")
    print(f"{'layer':22s} {'kind':10s} {'GFLOP':>7s} {'FLOP/B':>7s} {'bound':>7s} {'roof GF/s':>9s} "
          f"{'reached':>8s} {'of roof':>7s} {'ms':>7s}")
    total_s = bound_s = total_flops = 0.0
    for layer, in_shape, out_shape, flops in convs:
        flops *= 2 * batch  # forward + input gradient, the whole batch
        weights = sum(int(np.prod(v.shape)) for v in layer.weights)
        bytes_moved = 2 * 4 * (batch * (np.prod(in_shape) + np.prod(out_shape)) + weights)
        intensity = flops / bytes_moved
        roof = min(peak, intensity * bandwidth)
        x = tf.random.uniform((batch,) + in_shape)
        run = layer_step(layer)
        run(x).numpy()
        seconds = min(_timed(lambda: run(x).numpy()) for _ in range(rounds))
        total_s, bound_s, total_flops = total_s + seconds, bound_s + flops / roof, total_flops + flops
        print(f"{layer.name:22s} {type(layer).__name__[:10]:10s} {flops / 1e9:7.2f} {intensity:7.1f} "
              f"{'compute' if intensity >= ridge else 'memory':>7s} {roof / 1e9:9.1f} {flops / seconds / 1e9:8.1f} "
              f"{roof and flops / seconds / roof:7.0%} {seconds * 1e3:7.1f}")
    print(f"{'all conv layers':22s} {'':10s} {total_flops / 1e9:7.2f} {'':7s} {'':7s} "
          f"{total_flops / bound_s / 1e9:9.1f} {total_flops / total_s / 1e9:8.1f} {bound_s / total_s:7.0%} "
          f"{total_s * 1e3:7.1f}")
    print(f"one ascent step of the course (batched, measured above): {step_s * 1e3:.1f} ms = the conv layers "
          f"alone x {step_s / total_s:.2f}; the roofline's bound for their work is {bound_s * 1e3:.1f} ms, "
          f"so the step runs at {bound_s / step_s:.0%} of its roofline (the rest: BN, ReLU, adds, "
          f"pooling, the gradient's L2 norm, the call itself)")


def peak_conv_rate(rounds: int = 5) -> float:
    """FLOP/s of one large dense float32 3x3 conv (the machine's practical ceiling), best of rounds."""
    x = tf.random.normal((8, 56, 56, 256))
    k = tf.random.normal((3, 3, 256, 256))
    conv = tf.function(lambda a, b: tf.nn.conv2d(a, b, 1, "SAME"))
    conv(x, k).numpy()
    best = min(_timed(lambda: conv(x, k).numpy()) for _ in range(rounds))
    return 2 * 8 * 56 * 56 * 3 * 3 * 256 * 256 / best


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def whole_ascent(extractor, to_input, steps, jit):
    """All steps in ONE compiled call (no host round trip per step), optionally XLA-compiled."""
    @tf.function(jit_compile=jit)
    def run(images, filter_ids, learning_rate):
        for _ in range(steps):  # unrolled in the graph
            with tf.GradientTape() as tape:
                tape.watch(images)
                act = extractor(to_input((images + 1.0) * 127.5), training=False)
                inner = act[:, 2:-2, 2:-2, :]
                loss = tf.reduce_sum(tf.reduce_mean(tf.gather(inner, filter_ids, axis=3, batch_dims=1), axis=[1, 2]))
            grads = tf.math.l2_normalize(tape.gradient(loss, images), axis=[1, 2, 3])
            images = images + learning_rate * grads
        return images
    return run


def bench_model(name, n_filters, steps, seed, rounds, peak, xla=False):
    weights = "imagenet" if name == "squeezenet" or assets.is_available("xception_weights") else None
    wrapped = load_imagenet_model(name, weights=weights)
    layer = wrapped.chapter_layers.filters
    size = (wrapped.chapter_layers.filter_size,) * 2     # the walkthrough's size (Xception: 200 px)
    indices = list(range(n_filters))
    extractor = filters.pattern_extractor(wrapped, layer)
    to_input = wrapped.preprocess_tensor
    convs = conv_layers(keras_model_at(extractor, size))
    flops_per_filter = steps * 2 * sum(flops for *_, flops in convs)  # forward + input gradient
    print(f"\n{wrapped.name} (weights={weights}), layer {layer}, {n_filters} filters, {steps} steps, "
          f"{size[0]}x{size[1]} px")
    print(f"conv work per filter: {flops_per_filter / 1e9:.2f} GFLOP (forward + input gradient, x{steps})")

    def run_batched(idx=indices):
        return filters.optimize_patterns(wrapped, layer, idx, steps=steps, size=size, seed=seed, progress=False)

    start_images = tf.constant(np.stack([np.random.default_rng([seed, i]).uniform(0.4, 0.6, size + (3,))
                                         for i in indices]).astype("float32"))
    ids = tf.constant(indices, dtype=tf.int32)
    variants = {"one call, original": whole_ascent(extractor, to_input, steps, jit=False)}
    if xla:  # measured 0.2-0.3x of the graph variant here: off by default, it takes minutes
        variants["one call, original, XLA"] = whole_ascent(extractor, to_input, steps, jit=True)
    first_s = _timed(run_batched) / n_filters  # traces the per-step function
    for fn in variants.values():
        fn(start_images, ids, tf.constant(10.0)).numpy()  # compile once, not timed
    half = indices[: max(1, n_filters // 2)]
    run_batched(half)

    # Interleaved rounds, best of each (timeit's rule): the CPU is shared with other work.
    per_round = max(1, n_filters // rounds)
    times = {k: [] for k in ["eager loop", "batched (course)", f"batched, {len(half)} per call",
                             *variants]}
    batched = run_batched()
    correlations = []
    for r in range(rounds):
        chunk = indices[r * per_round:(r + 1) * per_round] or indices[:per_round]
        start = time.perf_counter()
        eager = [seed_style_pattern(extractor, to_input, i, steps, 10.0, size, seed)[0] for i in chunk]
        times["eager loop"].append((time.perf_counter() - start) / len(chunk))
        times["batched (course)"].append(_timed(run_batched) / n_filters)
        times[f"batched, {len(half)} per call"].append(
            sum(_timed(lambda c=c: run_batched(c)) for c in (half, indices[len(half):]) if c) / n_filters)
        for k, fn in variants.items():
            times[k].append(_timed(lambda fn=fn: fn(start_images, ids, tf.constant(10.0)).numpy()) / n_filters)
        peak = max(peak, peak_conv_rate(rounds=2))  # re-measured each round: the load varies
        pats = filters.deprocess((batched + 0.0))
        correlations += [np.corrcoef(e.ravel().astype(float), pats[i].ravel().astype(float))[0, 1]
                         for e, i in zip(eager, chunk)]
    eager_s = min(times["eager loop"])
    for k, ts in times.items():
        best = min(ts)
        rate = flops_per_filter / best
        print(f"{k:24s} {best:7.3f} s/filter  speed-up {eager_s / best:5.1f}x  "
              f"{rate / 1e9:6.1f} GFLOP/s = {rate / peak:4.0%} of peak")
    print(f"first call (tracing)     {first_s:7.3f} s/filter  speed-up {eager_s / first_s:5.1f}x")
    print(f"(peak = best one-conv rate over this model's rounds: {peak / 1e9:.1f} GFLOP/s)")
    print(f"same pictures: per-filter correlation eager vs batched, median {np.median(correlations):.3f}")
    roofline(convs, size, n_filters, min(times["batched (course)"]) * n_filters / steps, peak,
             memory_bandwidth())


def keras_model_at(extractor, size):
    """The extractor rebuilt for a fixed input size, so every layer has a known output shape."""
    import keras

    fixed = keras.Input(shape=size + (3,))
    return keras.models.clone_model(extractor, input_tensors=fixed, clone_function=lambda layer: layer)


def cpu_vector_units() -> str:
    """The widest vector units this CPU reports (Linux /proc/cpuinfo), for the table's reader."""
    try:
        flags = next(line for line in open("/proc/cpuinfo") if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return "unknown"
    return ", ".join(f for f in ("avx512f", "avx512_bf16", "amx_tile", "avx2", "fma", "avx") if f in flags)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["squeezenet", "xception"], choices=["squeezenet", "xception"])
    parser.add_argument("--filters", type=int, default=16)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--xla", action="store_true", help="also time an XLA (jit_compile) variant")
    args = parser.parse_args()
    threads = tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count()
    peak = peak_conv_rate()
    print(f"CPU: {cpu_vector_units()}; oneDNN ISA cap ONEDNN_MAX_CPU_ISA="
          f"{os.environ.get('ONEDNN_MAX_CPU_ISA', '(unset: the best the CPU has)')}")
    print(f"{threads} threads; peak dense float32 conv rate (one 3x3 conv, 8x56x56x256): {peak / 1e9:.1f} GFLOP/s")
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    print(f"oneDNN kernels: {'on' if onednn.lower() in ('1', 'true') else 'off'} (TF_ENABLE_ONEDNN_OPTS={onednn}; "
          f"the course's default is 1, set it to 0 to measure TensorFlow's own kernels)")
    print("Shared machine: absolute numbers are noisy; ratios within this run hold.")
    for name in args.models:
        bench_model(name, args.filters, args.steps, args.seed, args.rounds, peak, args.xla)


if __name__ == "__main__":
    main()
