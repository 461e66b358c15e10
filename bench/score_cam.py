"""Score-CAM: its masked forward passes in batches vs one pass per channel (the paper's loop).

    .venv/bin/python bench/score_cam.py [--layer fire9_concat] [--repeats 2]

Score-CAM costs one forward pass per channel of the layer (512 at SqueezeNet's fire9_concat),
so batching the masked images is what makes it usable. Same image, class and layer for both;
the maps must agree. Prints each one's time and the speed-up, measured in the same run.
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


def timed(fn, repeats):
    fn()                                   # warm-up: traces and caches the forward pass
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", default="fire9_concat")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()

    from course_utils.cam_variants import score_cam
    from course_utils.images import walkthrough_image
    from course_utils.models import load_imagenet_model

    model = load_imagenet_model("squeezenet")
    img, which, is_elephant = walkthrough_image(model.input_size)
    target = model.class_index("African_elephant") if is_elephant else int(np.argmax(model.predict(img)[0]))
    channels = model.model.get_layer(args.layer).output.shape[-1]
    print(f"SqueezeNet {args.layer}: {channels} channels = {channels} masked forward passes; class {target}")
    one, map_one = timed(lambda: score_cam(model, img, target, args.layer, batch_size=1), args.repeats)
    batched, map_batched = timed(lambda: score_cam(model, img, target, args.layer, batch_size=args.batch),
                                 args.repeats)
    agree = float(np.abs(map_one - map_batched).max())
    print(f"one pass per channel   {one:7.2f} s")
    print(f"{args.batch:3d} masked images/pass {batched:7.2f} s")
    print(f"speed-up {one / batched:.1f}x   (largest difference between the two maps: {agree:.1e})")


if __name__ == "__main__":
    main()
