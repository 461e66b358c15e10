"""In-notebook checks: `check("ex1_2", answer, **context)` prints specific feedback.

These are the public checks a learner runs while working; they test what can be tested
without the solution (shapes, ranges, self-consistency, small known inputs). The grader
runs stricter hidden tests against the reference solution's numbers.
"""
from __future__ import annotations

import numpy as np

from ..cam import peak_location
from ..model_io import spatial_conv_layers
from . import compare
from .answers import _missing
from .exercises import by_id

DONE, TODO, FAIL = "✅", "⏳", "❌"


def _activation_shape(model, name):
    """(1, height, width, channels): the layer's activation for one image."""
    return (1,) + tuple(int(s) for s in model.get_layer(name).output.shape[1:])


def _ex1_1(shapes, model):
    if not isinstance(shapes, dict):
        return [f"`shapes` should be a dict {{layer name: shape}}, not a {type(shapes).__name__}"]
    conv = spatial_conv_layers(model)
    problems = [f"missing conv layer {name!r}" for name in conv if name not in shapes]
    problems += [f"{name!r} is not a Conv2D layer of the model" for name in shapes if name not in conv]
    for name in conv:
        if name in shapes:
            expected = _activation_shape(model, name)
            got = tuple(int(s) for s in np.shape(shapes[name])) if np.ndim(shapes[name]) > 1 else \
                tuple(int(s) for s in shapes[name])
            if got != expected:
                problems.append(f"{name}: you have {got}; the layer's activation for one image is {expected}")
    return problems or f"all {len(conv)} conv layer shapes are right"


def _ex1_2(answer, model):
    act, why = compare.as_array(answer["act"], "act")
    if why:
        return [why]
    expected = _activation_shape(model, "conv2d_2")
    ok, msg = compare.same_shape(act, expected, "activation", "conv2d_2's activation for one image")
    if not ok:
        return [msg]
    problems = []
    if act.min() < 0:
        problems.append(f"`act` has negative values ({act.min():.3g}); conv2d_2 ends in a ReLU, so read its output")
    strongest = answer["strongest"]
    if not isinstance(strongest, (int, np.integer)) or isinstance(strongest, bool):
        return problems + [f"`strongest` should be an int channel index, not {type(strongest).__name__}"]
    means = act.mean(axis=(0, 1, 2))
    if int(np.argmax(means)) != int(strongest):
        problems.append(f"channel {strongest} has mean {means[strongest]:.3f} in your `act`, but channel "
                        f"{int(np.argmax(means))} has {means.max():.3f}: average over the batch, rows and columns")
    return problems or f"`act` has shape {expected} and channel {strongest} is its strongest (mean {means.max():.3f})"


def _ex1_3(answer, probe):
    import keras

    out, why = compare.as_array(answer["probe"], "max_pool_2x2(pool_probe)")
    if why:
        return [why]
    expected = np.asarray(keras.layers.MaxPooling2D(2)(probe))
    ok, msg = compare.same_shape(out, expected.shape, "pooled probe", f"MaxPooling2D(2) of a {probe.shape} input "
                                 "(a leftover odd row or column is dropped)")
    if not ok:
        return [msg]
    ok, msg = compare.close(out, expected, "pooled probe", rtol=1e-5, atol=1e-6)
    if not ok:
        return [msg + " (each output is the max of one 2x2 block, per channel)"]
    layer, why = compare.as_array(answer["layer"], "max_pool_2x2(conv2d_2_act)")
    if why:
        return [why]
    return f"matches MaxPooling2D(2) on the {probe.shape} probe; conv2d_2 pools to {tuple(layer.shape)}"


def _ex2_1(values, probe):
    arrays = [compare.as_array(v, f"filter_loss(loss_probe, {k})") for k, v in enumerate(values)]
    for array, why in arrays:
        if why:
            return [why]
    for k, (array, _) in enumerate(arrays):
        if array.size != 1:
            return [f"filter_loss returned shape {array.shape} for filter {k}; it must return one number"]
        expected = float(probe[:, 2:-2, 2:-2, k].mean())
        if abs(float(array) - expected) > 1e-4 * max(1.0, abs(expected)):
            hint = " (that is the mean over the whole map: drop the 2-pixel border)" \
                if abs(float(array) - float(probe[..., k].mean())) < 1e-5 else ""
            return [f"filter {k}: you return {float(array):.4f}, expected {expected:.4f}{hint}"]
    return "the loss is right for all 4 filters of the probe"


def _ex2_2(new_image, start, model):
    out, why = compare.as_array(new_image, "gradient_ascent_step(...)")
    if why:
        return [why]
    ok, msg = compare.same_shape(out, start.shape, "new image", "the input image's shape")
    if not ok:
        return [msg]
    step = float(np.linalg.norm(out - start))
    if abs(step - 10.0) > 0.2:
        return [f"your step moved the image by {step:.3f} (L2 norm); with normalised gradients and "
                f"learning_rate=10 it moves by 10.0"]
    before = float(np.asarray(model(start))[..., 1].mean())
    after = float(np.asarray(model(out.astype("float32")))[..., 1].mean())
    if after <= before:
        return [f"filter 1's mean activation went from {before:.3f} to {after:.3f}: ascend, don't descend"]
    return f"a step of length {step:.1f} raises filter 1's mean activation from {before:.3f} to {after:.3f}"


def _ex2_3(answer, start, model):
    pattern, why = compare.as_array(answer["pattern"], "pattern")
    if why:
        return [why]
    pattern = pattern.reshape(pattern.shape[-3:]) if pattern.ndim == 4 and pattern.shape[0] == 1 else pattern
    ok, msg = compare.same_shape(pattern, start.shape[1:], "pattern", "one 32x32 RGB image")
    if not ok:
        return [msg]
    before = float(np.asarray(model(start))[0, 2:-2, 2:-2, 0].mean())
    after = float(np.asarray(model(pattern[None].astype("float32")))[0, 2:-2, 2:-2, 0].mean())
    problems = []
    if after < 10 * max(before, 1e-3):
        problems.append(f"filter 0 responds {after:.2f} to your pattern vs {before:.2f} to the start: "
                        "30 steps of learning_rate=10 should raise it far more")
    if answer["orientation"] not in ("vertical", "horizontal"):
        problems.append(f"`orientation` should be 'vertical' or 'horizontal', not {answer['orientation']!r}")
    return problems or f"filter 0 responds {after:.1f} to your pattern (start: {before:.2f})"


def _ex3_1(weights, probe):
    w, why = compare.as_array(weights, "pool_gradients(grads_probe)")
    if why:
        return [why]
    ok, msg = compare.same_shape(w, (probe.shape[-1],), "weights", f"one weight per channel for a {probe.shape} gradient")
    if not ok:
        return [msg]
    ok, msg = compare.close(w, probe.mean(axis=(0, 1, 2)), "weights", rtol=1e-4, atol=1e-5)
    return [msg + " (average the gradient over the batch, rows and columns)"] if not ok else \
        f"{w.size} channel weights, each the mean gradient of its channel"


def _ex3_2(heatmap, act, weights):
    h, why = compare.as_array(heatmap, "weight_and_combine(act_probe, weights_probe)")
    if why:
        return [why]
    ok, msg = compare.same_shape(h, act.shape[1:3], "heatmap", "one value per position of the map")
    if not ok:
        return [msg]
    ok, msg = compare.in_unit_range(h, "heatmap")
    if not ok:
        return [msg]
    if h.max() > 0 and abs(h.max() - 1) > 1e-3:
        return [f"your heatmap's maximum is {h.max():.3f}; divide by the maximum so it is 1"]
    raw = np.maximum((act[0] * weights).sum(-1), 0)
    ok, msg = compare.correlated(h, raw, "heatmap", 0.99)
    return [msg + " (weighted sum of channels, then ReLU)"] if not ok else \
        f"shape {h.shape}, in [0, 1], peak at {peak_location(h)}"


def _ex3_3(heatmaps, model):
    problems = []
    for name, heat in heatmaps.items():
        h, why = compare.as_array(heat, f"my_grad_cam(model, image, {name!r})")
        if why:
            problems.append(why)
            continue
        ok, msg = compare.same_shape(h, _activation_shape(model, name)[1:3], "heatmap", f"Grad-CAM at {name}")
        if ok:
            ok, msg = compare.in_unit_range(h, f"{name} heatmap")
        if not ok:
            problems.append(msg)
    return problems or "; ".join(f"{n}: shape {np.shape(h)}, peak at {peak_location(h)}"
                                 for n, h in heatmaps.items())


def _ex4_1(answer, probe):
    out, why = compare.as_array(answer["occluded"], "occlude(occ_probe, 2, 3, 4)")
    if why:
        return [why]
    ok, msg = compare.same_shape(out, probe.shape, "occluded image", "the input's shape")
    if not ok:
        return [msg]
    problems = []
    if not np.allclose(out[:, 2:6, 3:7, :], 127.5):
        problems.append("the 4x4 square at rows 2-5, columns 3-6 is not all 127.5")
    outside = np.ones(out.shape[1:3], bool)
    outside[2:6, 3:7] = False
    if not np.allclose(out[:, outside], answer["original"][:, outside]):
        problems.append("pixels outside the square changed")
    if np.allclose(answer["original"][:, 2:6, 3:7, :], 127.5):
        problems.append("the original image was changed too: work on a copy (np.array(image, copy=True))")
    return problems or "one grey 4x4 square, everything else (and the original) untouched"


def _ex4_2(heat, image):
    h, why = compare.as_array(heat, "occlusion_map(model, image)")
    if why:
        return [why]
    steps = (image.shape[1] - 45) // 45 + 1, (image.shape[2] - 45) // 45 + 1
    ok, msg = compare.same_shape(h, steps, "occlusion map", "one value per patch position of a 45-pixel patch, stride 45,")
    if not ok:
        return [msg]
    if h.min() < -1 or h.max() > 1:
        return [f"your drops run from {h.min():.3f} to {h.max():.3f}; a drop in probability lies in [-1, 1]"]
    return f"shape {h.shape}, largest drop {h.max():.3f} at patch {peak_location(h)}"


def _ex4_3(values, pairs):
    from scipy.stats import spearmanr

    got = []
    for k, value in enumerate(values):
        v, why = compare.as_array(value, f"rank_similarity of pair {k}")
        if why or v.size != 1:
            return [why or f"pair {k}: return one number, not shape {v.shape}"]
        got.append(float(v))
    if abs(got[0] - 1) > 1e-6:
        return [f"a map and its cube have the same ranks, so their similarity is 1.0; you return {got[0]:.3f} "
                "(did you correlate the values instead of their ranks?)"]
    if got[4] != 0:
        return [f"a constant map has no ranking: return 0.0, not {got[4]}"]
    for k in (1, 2, 3):
        want = float(spearmanr(np.ravel(pairs[k][0]), np.ravel(pairs[k][1]))[0])
        if abs(got[k] - want) > 1e-3:
            return [f"pair {k}: you return {got[k]:.3f}, the Spearman correlation is {want:.3f}"
                    + (" (ties must share their average rank)" if k == 3 else "")]
    return "right on all 5 pairs, ties and the constant map included"


CHECKS = {"ex1_1": _ex1_1, "ex1_2": _ex1_2, "ex1_3": _ex1_3, "ex2_1": _ex2_1, "ex2_2": _ex2_2, "ex2_3": _ex2_3,
          "ex3_1": _ex3_1, "ex3_2": _ex3_2, "ex3_3": _ex3_3, "ex4_1": _ex4_1, "ex4_2": _ex4_2, "ex4_3": _ex4_3}


def feedback(exercise_id: str, answer, **context) -> str:
    """The feedback line(s) `check` prints, as a string."""
    title = f"{exercise_id} ({by_id(exercise_id).title})"
    if _missing(answer):
        return f"{TODO} {title}: not done yet. Fill in the cell above (it still leaves None), run it, then run this check."
    result = CHECKS[exercise_id](answer, **context)
    if isinstance(result, str):
        return f"{DONE} {title}: passed the notebook check. {result}."
    return f"{FAIL} {title}:\n" + "\n".join(f"   - {p}." for p in result)


def check(exercise_id: str, answer, **context) -> None:
    """Print feedback on one exercise (hidden tests grade more strictly at the end)."""
    print(feedback(exercise_id, answer, **context))
