"""The ONE judge of every exercise, used by the in-notebook check AND the hidden grading.

`judge(exercise_id, answer)` recomputes what a right answer is from the exercise's fixed
inputs (or from the inputs the learner chose, e.g. their own photo) and returns a Verdict:
the fraction of the points earned and, for each part that is wrong, a hint. The notebook's
check says PASS exactly when the fraction is 1, and the grader gives fraction x points, so a
PASS in the notebook and full marks in grading are the same event. Hints say what to look at,
never the expected numbers or shapes.

Answers arrive in the form they cross the sandbox wall in (answers.py: dicts of arrays,
strings as 0-d arrays); `check` sends in-notebook answers through the same round trip.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from .. import heatmaps
from . import fixtures as fx


@dataclass
class Verdict:
    fraction: float
    hints: list = field(default_factory=list)   # one per failed part: what to look at
    summary: str = ""                           # what was found, for a PASS
    text: str | None = None                     # a free-text answer, shown to the teacher


class Wrong(Exception):
    """The answer has the wrong form; the message says how (without giving the answer away)."""


# ---------------------------------------------------------------- reading answers

def _array(value, name: str, shape=None) -> np.ndarray:
    if value is None:
        raise Wrong(f"`{name}` is still None")
    if hasattr(value, "numpy") and callable(value.numpy):
        value = value.numpy()
    try:
        array = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        raise Wrong(f"`{name}` should be numbers, not {type(value).__name__}") from None
    if not np.all(np.isfinite(array)):
        raise Wrong(f"`{name}` contains NaN or infinite values")
    if shape is not None and tuple(array.shape) != tuple(shape):
        raise Wrong(f"`{name}` has shape {tuple(array.shape)}, which is not the shape the statement asks for")
    return array


def _text(value, name: str) -> str:
    array = np.asarray(value)
    if array.ndim != 0 or array.dtype.kind not in "US":
        raise Wrong(f"`{name}` should be a string")
    return str(array.item())


def _entries(answer, keys) -> dict:
    if not isinstance(answer, dict) or not set(keys) <= set(answer):
        raise Wrong(f"the answer should be a dict with the keys {sorted(keys)}")
    return answer


def _batch(value) -> np.ndarray:
    """The learner's image as a (1, 180, 180, 3) batch of raw 0-255 pixels."""
    image = _array(value, "my_image")
    if image.shape == (180, 180, 3):
        image = image[None]
    if image.shape != (1, 180, 180, 3):
        raise Wrong("`my_image` should be one 180x180 RGB photo as a (1, 180, 180, 3) batch "
                    "(load_image(my_photo, IMAGE_SIZE) gives that)")
    if image.min() < 0 or image.max() > 255 or image.max() <= 1.0:
        raise Wrong("`my_image` should hold raw pixel values 0-255, as load_image returns them")
    return image.astype("float32")


def _photo(photo, value) -> np.ndarray:
    """The learner's own image: a real photo (`my_photo`, as read), loaded the course's way:
    RGB, the whole photo resized to 180x180 (no crop), raw 0-255 (no preprocessing)."""
    from ..images import load_image

    image = _batch(value)
    if photo is None:
        raise Wrong("`my_photo` is still None: set it to the photo you chose, as an (H, W, 3) array")
    raw = np.asarray(photo)
    if raw.ndim == 4 and raw.shape[0] == 1:  # chelsea() and load_image(path) give a batch of one
        raw = raw[0]
    if raw.ndim != 3 or raw.shape[-1] != 3 or raw.dtype.kind not in "uif":
        raise Wrong("`my_photo` should be your photo as read, an (H, W, 3) RGB array or a batch of one "
                    "(e.g. chelsea())")
    grey = raw.astype("float64").mean(-1)
    if grey.std() < 8 * (1 / 255 if grey.max() <= 1 else 1):
        raise Wrong("`my_photo` is (nearly) blank: choose a real photo")
    if heatmaps.pearson(grey[:, 1:], grey[:, :-1]) < 0.5:
        raise Wrong("`my_photo` looks like noise, not a photo: neighbouring pixels of a photo are alike")
    try:
        want = load_image(raw, image.shape[1:3])
    except (TypeError, ValueError) as exc:
        raise Wrong(f"`my_photo` cannot be loaded as an image: {str(exc)[:120]}") from None
    if not _close(image, want, rtol=0, atol=1.0):
        raise Wrong("`my_image` is not `my_photo` loaded the course's way: load_image(my_photo, IMAGE_SIZE) "
                    "keeps RGB order and resizes the whole photo (no crop, no preprocessing)")
    return image


def _close(value, reference, rtol=1e-4, atol=1e-4) -> bool:
    return value.shape == reference.shape and bool(np.allclose(value, reference, rtol=rtol, atol=atol))


def _measured(measure, *arrays, refused=None):
    """`measure` (a course_utils.heatmaps function) on the learner's arrays. heatmaps refuses an
    array it cannot measure (NaN, empty, odd shape) with a ValueError meant for a programmer;
    here that is just a wrong answer, so the refusal becomes `refused`, a value that fails
    every comparison (NaN for numbers, None for positions), and only that part loses its points."""
    try:
        return measure(*arrays)
    except ValueError:
        return refused


def _score(parts) -> Verdict:
    """parts: [(weight, ok, hint)] → Verdict with the hints of the failed parts."""
    total = sum(w for w, _, _ in parts)
    earned = sum(w for w, ok, _ in parts if ok)
    return Verdict(earned / total, [hint for _, ok, hint in parts if not ok])


# ---------------------------------------------------------------- shared inputs (cached)

@lru_cache(maxsize=1)
def _convnet():
    return fx.exercise_convnet()


@lru_cache(maxsize=1)
def _edges():
    return fx.edge_model()


@lru_cache(maxsize=1)
def _softmax_convnet():
    return fx.softmax_convnet(_convnet())


@lru_cache(maxsize=1)
def _cat():
    return fx.exercise_image()


@lru_cache(maxsize=1)
def _random_convnet():
    return fx.randomized_convnet(_convnet())


@lru_cache(maxsize=1)
def _occlusion(which: str) -> np.ndarray:
    return fx.occlusion_reference(_random_convnet() if which == "randomized" else _convnet(), _cat())


@lru_cache(maxsize=2)
def _pattern(blurred: bool) -> np.ndarray:
    return fx.ascent_pattern(_edges(), 0, fx.BLUR_SIGMA if blurred else None)


# ---------------------------------------------------------------- chapter 1

def ex1_1(answer: Any) -> Verdict:
    answer = _entries(answer, ("photo", "image", "zeros"))
    image, model = _photo(answer["photo"], answer["image"]), _convnet()
    names = fx.conv_names(model)
    zeros = _array(answer["zeros"], "zeros")
    if zeros.shape != (len(names),):
        raise Wrong("`zeros` should hold one fraction per Conv2D layer, in the order of `conv_layers`")
    want = np.array([float(np.mean(a == 0)) for a in fx.conv_activations(model, image, names)])
    ok = np.abs(zeros - want) <= 1e-3
    hint = ("some layers' fractions are not what the model gives for your image: count the values that are "
            "exactly 0 (after the ReLU) over the whole activation, and divide by its size")
    return Verdict(float(ok.mean()), [] if ok.all() else [hint],
                   "zero fractions " + ", ".join(f"{z:.2f}" for z in zeros))


def ex1_2(answer: Any) -> Verdict:
    from ..activations import input_similarity

    answer = _entries(answer, ("photo", "image", "likeness", "most_abstract"))
    image, model = _photo(answer["photo"], answer["image"]), _convnet()
    names = fx.conv_names(model)
    likeness = _array(answer["likeness"], "likeness")
    if likeness.shape != (len(names),):
        raise Wrong("`likeness` should hold one number per Conv2D layer, in the order of `conv_layers`")
    want = np.array([float(input_similarity(a, image).mean()) for a in fx.conv_activations(model, image, names)])
    abstract = _text(answer["most_abstract"], "most_abstract")
    likeness_ok = _close(likeness, want, rtol=1e-3, atol=1e-3)
    return _score([
        (0.7, likeness_ok,
         "`likeness` is not the mean over channels of input_similarity(activation, my_image) for every layer"),
        (0.3, likeness_ok and abstract == names[int(np.argmin(likeness))],
         "`most_abstract` should name the layer whose channels look least like your photo (by your numbers)"),
    ])


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype="float64"), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


TRAP_LOGIT_SPREAD = 1.2   # how far the median augmented call may sit from the inference logit


def ex1_3(answer: Any) -> Verdict:
    answer = _entries(answer, ("inference", "other", "image", "training"))
    model, batch = _convnet(), fx.trap_batch()
    inference = _array(answer["inference"], "inference")
    other = _array(answer["other"], "predict_dog(other_net, trap_images)")
    want = np.asarray(model(batch, training=False))[:, 0]
    want_other = np.asarray(_random_convnet()(batch, training=False))[:, 0]
    inference_ok = _close(inference, np.stack([want, want]), atol=1e-4) and _close(other, want_other, atol=1e-4)
    image = _batch(answer["image"])
    p_image = float(np.asarray(model(image, training=False))[0, 0])
    training = _array(answer["training"], "training").ravel()
    # Augmented calls are random (and Keras's seeds do not make them repeatable), so they are
    # judged for plausibility: 8 different values in [0, 1], none the inference-mode value,
    # whose median lies near the model's inference-mode logit for this image.
    plausible = (training.size == 8 and training.min() >= 0 and training.max() <= 1
                 and len(np.unique(np.round(training, 4))) >= 4
                 and not np.any(np.abs(training - p_image) < 1e-5)
                 and abs(float(np.median(_logit(training))) - float(_logit(p_image))) <= TRAP_LOGIT_SPREAD)
    return _score([
        (0.6, inference_ok,
         "predict_dog should give P(dog) of the network it is handed (`net`, not the global `model`), "
         "in inference mode, the same on every call: which argument turns the random layers off?"),
        (0.4, inference_ok and plausible,
         "`training` should hold 8 P(dog) values from 8 plain calls trainer(my_image) on YOUR image "
         "(all different, none equal to the inference-mode value)"),
    ])


# ---------------------------------------------------------------- chapter 2

def ex2_1(answer: Any) -> Verdict:
    answer = _entries(answer, ("numpy", "tensor"))
    parts = []
    for key, probe, what in (("numpy", fx.probe((1, 12, 12, 4), seed=3), "a NumPy array"),
                             ("tensor", fx.tall_probe(), "a 9x14 tensor")):
        values = _array(answer[key], f"the filter losses on {what}", (4,))
        ok = bool(np.all(np.abs(values - probe[:, 2:-2, 2:-2, :].mean(axis=(0, 1, 2))) <= 1e-4))
        parts.append((0.5, ok, f"some losses on {what} are off: the mean of ONE channel, without a 2-pixel "
                               "border on every side (top, bottom, left and right)"))
    return _score(parts)


def _ascent_step(filter_index: int, learning_rate: float) -> np.ndarray:
    import tensorflow as tf

    image = tf.constant(fx.pattern_start())
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = tf.reduce_mean(_edges()(image, training=False)[:, 2:-2, 2:-2, filter_index])
    return np.asarray(image + learning_rate * tf.math.l2_normalize(tape.gradient(loss, image)))


ASCENT_PROBES = (("filter_1", 1, fx.ASCENT_RATE), ("filter_3", 3, 2.5))   # (key, filter, learning rate)


def ex2_2(answer: Any) -> Verdict:
    answer = _entries(answer, [key for key, _, _ in ASCENT_PROBES])
    start, parts = fx.pattern_start(), []
    for key, filter_index, rate in ASCENT_PROBES:
        out = _array(answer[key], f"the new image for filter {filter_index}", start.shape)
        step, want = out - start, _ascent_step(filter_index, rate) - start
        parts += [
            (0.25, _measured(heatmaps.pearson, step, want, refused=np.nan) > 0.999,
             f"the step for filter {filter_index} does not point along the gradient of that filter's loss "
             "(up the gradient, with respect to the image)"),
            (0.25, abs(np.linalg.norm(step) - np.linalg.norm(want)) < 1e-3 * np.linalg.norm(want),
             f"the step's length for learning rate {rate:g} is off: normalise the gradient to unit L2 norm, "
             "then scale by the learning rate"),
        ]
    return _score(parts)


def _same_pattern(pattern, reference) -> bool:
    """Same direction (correlation) and same scale (relative L2 error under 2%)."""
    error = np.linalg.norm(pattern - reference) / max(np.linalg.norm(reference), 1e-12)
    return _measured(heatmaps.pearson, pattern, reference, refused=np.nan) > 0.99 and error < 0.02


def ex2_3(answer: Any) -> Verdict:
    answer = _entries(answer, ("plain", "blurred", "roughness", "activation"))
    plain = _array(answer["plain"], "plain", (32, 32, 3))
    blurred = _array(answer["blurred"], "blurred", (32, 32, 3))
    rough = _array(answer["roughness"], "roughness", (2,))
    act = _array(answer["activation"], "activation", (2,))
    model = _edges()
    own_act = [float(np.asarray(model(p[None].astype("float32"), training=False))[0, 2:-2, 2:-2, 0].mean())
               for p in (plain, blurred)]
    plain_ok, blurred_ok = _same_pattern(plain, _pattern(False)), _same_pattern(blurred, _pattern(True))
    # The measurements count only on the right patterns: measuring a blank image earns nothing.
    return _score([
        (0.3, plain_ok, f"`plain` is not {fx.ASCENT_STEPS} normalised ascent steps for filter 0 from start_image"),
        (0.3, blurred_ok, "`blurred` is not the same ascent with the Gaussian blur applied after every step"),
        (0.2, plain_ok and blurred_ok and np.allclose(rough, [fx.roughness(plain), fx.roughness(blurred)],
                                                      rtol=1e-3, atol=1e-6),
         "`roughness` is not the mean absolute neighbour difference of the two patterns' grey level"),
        (0.2, plain_ok and blurred_ok and np.allclose(act, own_act, rtol=1e-3, atol=1e-5),
         "`activation` is not filter 0's loss (border left out) on the two patterns"),
    ])


# ---------------------------------------------------------------- chapter 3

def ex3_1(answer: Any) -> Verdict:
    probe = fx.probe((1, 6, 6, 8), seed=4)
    w = _array(answer, "the weights", (8,))
    ok = _close(w, probe.mean(axis=(0, 1, 2)).astype("float64"), atol=1e-5)
    return Verdict(float(ok), [] if ok else ["one weight per channel: average that channel's gradient "
                                             "over every position (batch, rows and columns)"])


def ex3_2(answer: Any) -> Verdict:
    act, weights = fx.probe((1, 6, 6, 8), seed=5, relu=True), fx.probe((8,), seed=6)
    h = _array(answer, "the heatmap", (6, 6))
    raw = np.maximum(act[0] @ weights, 0)
    ok = _close(h, raw / raw.max(), atol=1e-4)
    return Verdict(float(ok), [] if ok else ["weighted sum over channels, then keep only positive evidence, "
                                             "then scale so the largest value is 1"])


def ex3_3(answer: Any) -> Verdict:
    answer = _entries(answer, ("layer", "heatmap", "peak"))
    model = _softmax_convnet()
    layer = _text(answer["layer"], "layer")
    if layer not in fx.conv_names(model):
        raise Wrong("`my_layer` should be the name of one of the model's Conv2D layers (see `conv_layers`)")
    want = fx.grad_cam_reference(model, _cat(), layer)
    if want.max() <= 0:
        raise Wrong(f"at {layer} nothing speaks for the predicted class (the map is empty): choose a later layer")
    h = _array(answer["heatmap"], "heatmap")
    peak = _array(answer["peak"], "peak").ravel()
    good = (h.shape == want.shape and _measured(heatmaps.correlation, h, want, refused=np.nan) > 0.98
            and h.min() >= -1e-6 and abs(h.max() - 1) < 1e-3)
    own_peak = (peak.shape == (2,) and h.ndim == 2
                and tuple(int(p) for p in peak) == _measured(heatmaps.peak_location, h))
    return _score([
        (0.75, good, "the heatmap is not Grad-CAM of the predicted class at your layer: the gradient of the "
                     "class's logit (features @ kernel + bias, before the softmax: not its probability), "
                     "pooled per channel, weighted sum, ReLU, max 1; and call the model with training=False"),
        (0.25, bool(good and own_peak), "`peak` should be the (row, column) of your heatmap's largest value"),
    ])


# ---------------------------------------------------------------- chapter 4

def ex4_1(answer: Any) -> Verdict:
    answer = _entries(answer, ("occluded", "original"))
    probe = 255 * np.abs(fx.probe((1, 10, 12, 3), seed=7)).clip(0, 1)
    out = _array(answer["occluded"], "occluded", probe.shape)
    want = probe.copy()
    want[:, 2:6, 3:7, :] = fx.GREY
    occluded_ok = _close(out, want, atol=1e-3)
    return _score([
        (0.5, occluded_ok, "the occluded image is not the original with exactly that square "
                                             "(top row, left column, patch x patch) set to grey"),
        (0.5, occluded_ok and _close(_array(answer["original"], "original"), probe, atol=1e-3),
         "the original image changed: work on a copy"),
    ])


def ex4_2(answer: Any) -> Verdict:
    answer = _entries(answer, fx.RELU_RULES)
    x, dy = fx.relu_probes()
    hints = {"backprop": "`backprop` should pass dy back where the forward input x was positive (the plain "
                         "gradient of a ReLU)",
             "deconvnet": "`deconvnet` should pass back only the positive part of dy, whatever x was",
             "guided": "`guided` should pass dy back only where x was positive AND dy is positive"}
    parts = []
    for rule in fx.RELU_RULES:
        out = _array(answer[rule], f"the {rule} rule's output", dy.shape)
        parts.append((1 / 3, _close(out, fx._relu_backward_reference(rule, x, dy), atol=1e-6), hints[rule]))
    return _score(parts)


@lru_cache(maxsize=None)
def _projection(rule: str) -> np.ndarray:
    return fx.unit_projection_reference(rule)


def ex4_3(answer: Any) -> Verdict:
    answer = _entries(answer, fx.RELU_RULES)
    shape = fx.tiny_image().shape
    parts = []
    for rule, points in zip(fx.RELU_RULES, (0.3, 0.35, 0.35)):
        out = _array(answer[rule], f"the {rule} projection", None)
        if out.shape == shape:
            out = out[0, :, :, 0]
        parts.append((points, _close(out, _projection(rule), rtol=1e-4, atol=1e-4),
                      f"the {rule} projection is not the gradient of that ONE unit (channel, row, column of "
                      f"tiny_conv2's ReLU output) with respect to the image, with every ReLU passing it back by "
                      f"the {rule} rule (your relu_backward inside a tf.custom_gradient)"))
    return _score(parts)


# ---------------------------------------------------------------- chapter 5

def ex5_1(answer: Any) -> Verdict:
    answer = _entries(answer, ("trained", "randomized", "similarity"))
    trained = _array(answer["trained"], "trained")
    randomized = _array(answer["randomized"], "randomized")
    similarity = float(_array(answer["similarity"], "similarity").ravel()[0])
    # Only maps of one shape are compared here (rank_similarity would resize the smaller one).
    own = _measured(heatmaps.rank_similarity, trained, randomized, refused=np.nan) \
        if trained.shape == randomized.shape else np.nan
    hint = ("is not the drop in P(predicted class) per grid patch (patch {p}, stride {p}) for {what}")
    trained_ok = _close(trained, _occlusion("trained"), atol=1e-3)
    randomized_ok = _close(randomized, _occlusion("randomized"), atol=1e-3)
    return _score([
        (0.35, trained_ok, "`trained` " + hint.format(p=fx.OCCLUSION_PATCH, what="the trained model")),
        (0.35, randomized_ok, "`randomized` " + hint.format(
            p=fx.OCCLUSION_PATCH, what="random_model (its own predicted class)")),
        (0.3, bool(trained_ok and randomized_ok and np.isfinite(own) and abs(similarity - own) < 1e-3),
         "`similarity` is not the Spearman rank correlation of your two maps"),
    ])


def ex5_2(answer: Any) -> Verdict:
    answer = _entries(answer, ("curve", "random", "auc"))
    model, image = _convnet(), _cat()
    count = _occlusion("trained").size
    order = np.argsort(-_occlusion("trained").ravel(), kind="stable")
    curve = _array(answer["curve"], "curve")
    random_curve = _array(answer["random"], "random")
    auc = _array(answer["auc"], "auc").ravel()
    if curve.shape != (count + 1,) or random_curve.shape != (count + 1,):
        raise Wrong("each curve should have one value per number of deleted patches, from none to all")
    curve_ok = _close(curve, fx.deletion_reference(model, image, order), atol=1e-3)
    random_ok = _close(random_curve, fx.deletion_reference(model, image, fx.random_order(count)), atol=1e-3)
    return _score([
        (0.4, curve_ok,
         "`curve` should be P(predicted class) after greying the most important patches first, one more each step"),
        (0.4, random_ok,
         "`random` should delete the same patches in the order random_order(...) gives"),
        (0.2, curve_ok and random_ok and auc.shape == (2,) and np.allclose(auc, [curve.mean(), random_curve.mean()], atol=1e-4),
         "`auc` should be the mean of each of your two curves"),
    ])


@lru_cache(maxsize=1)
def _sanity_table() -> dict[str, tuple[float, float]]:
    from scipy.stats import spearmanr

    trained, randomized = fx.sanity_maps(_convnet(), _cat()), fx.sanity_maps(_random_convnet(), _cat())
    return {name: (float(spearmanr(trained[name].ravel(), randomized[name].ravel())[0]),
                   fx.top_overlap_reference(trained[name], randomized[name])) for name in fx.SANITY_METHODS}


def ex5_3(answer: Any) -> Verdict:
    answer = _entries(answer, ("overlap_probe", "table", "fails"))
    a, b = fx.overlap_probes()
    probe = _array(answer["overlap_probe"], "the top_overlap values on the probe maps", (2,))
    probe_ok = bool(np.allclose(probe, [fx.top_overlap_reference(a, b, share) for share in (fx.TOP_SHARE, 0.25)],
                                atol=1e-6))
    table = _array(answer["table"], "table")
    if table.shape != (len(fx.SANITY_METHODS), 2):
        raise Wrong("`table` should have one row per method of SANITY_METHODS (same order): "
                    "[rank similarity, top overlap]")
    want = _sanity_table()
    rank_ok = all(abs(row[0] - want[name][0]) < 1e-3 for row, name in zip(table, fx.SANITY_METHODS))
    overlap_ok = all(abs(row[1] - want[name][1]) < 1e-3 for row, name in zip(table, fx.SANITY_METHODS))
    fails = _text(answer["fails"], "fails")
    survivor = max(fx.SANITY_METHODS, key=lambda name: want[name][0])
    return _score([
        (0.3, probe_ok, "top_overlap is off on the probe maps: take each map's top `share` of cells (the "
                        "ceil(share x size) largest, ties in row-major order) and divide the number both tops "
                        "share by that count"),
        (0.25, rank_ok, "a rank similarity in `table` is off: the Spearman correlation of the trained and the "
                        "randomised model's maps, flattened"),
        (0.25, probe_ok and overlap_ok, "a top overlap in `table` is off: your top_overlap of the trained and "
                                        "the randomised model's maps"),
        (0.2, rank_ok and fails == survivor, "`fails` should name the method whose map stays (nearly) the same when the "
                                 "model's top layers are randomised"),
    ])


def free_text(answer: Any) -> Verdict:
    text = _text(answer, "your answer").strip()
    if len(text.split()) < 8 or "YOUR ANSWER" in text.upper():
        raise Wrong("write two or three sentences of your own, backed by the numbers above")
    return Verdict(1.0, [], "collected for your teacher (not scored)", text=text[:2000])


JUDGES = {"ex1_1": ex1_1, "ex1_2": ex1_2, "ex1_3": ex1_3,
          "ex2_1": ex2_1, "ex2_2": ex2_2, "ex2_3": ex2_3,
          "ex3_1": ex3_1, "ex3_2": ex3_2, "ex3_3": ex3_3,
          "ex4_1": ex4_1, "ex4_2": ex4_2, "ex4_3": ex4_3,
          "ex5_1": ex5_1, "ex5_2": ex5_2, "ex5_3": ex5_3}


JUDGE_SECONDS = 60.0   # per answer: a crafted answer must not stall the class's grading or a learner's kernel


def judge(exercise_id: str, answer: Any) -> Verdict:
    """The verdict on one answer, within JUDGE_SECONDS. Never raises on a malformed answer: it
    costs only this exercise."""
    import threading

    result: list[Verdict] = []
    worker = threading.Thread(target=lambda: result.append(_judge_now(exercise_id, answer)), daemon=True,
                              name=f"judge-{exercise_id}")
    worker.start()
    worker.join(JUDGE_SECONDS)
    if not result:  # a thread cannot be killed: it is left to finish in the background, unheard
        return Verdict(0.0, [f"checking this answer took longer than {JUDGE_SECONDS:.0f} s, so it gets no "
                             "points: hand in an answer of the size and form the statement asks for"])
    return result[0]


def _judge_now(exercise_id: str, answer: Any) -> Verdict:
    from .exercises import Kind, by_id

    function = free_text if by_id(exercise_id).kind is Kind.TEXT else JUDGES[exercise_id]
    try:
        verdict = function(answer)
    except Wrong as exc:
        return Verdict(0.0, [str(exc)])
    except Exception as exc:  # whatever a crafted answer triggers
        return Verdict(0.0, [f"the answer has an unexpected form ({type(exc).__name__}: {str(exc)[:160]})"])
    verdict.fraction = max(0.0, min(1.0, float(verdict.fraction)))
    return verdict
