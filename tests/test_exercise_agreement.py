"""The in-notebook check and the hidden grading agree on every exercise, and trivial answers fail.

A matrix of answers (right, partly right, six trivial kinds: all-zero, constant, random, the
input itself, right shape with wrong values, transposed; and for every graded exercise the
plausible MISTAKES a learner makes, e.g. a BGR photo or Grad-CAM of the probability) goes
through both the notebook's `feedback` (what `check` prints) and the grader's `grade` (on the
answer after its trip through the sandbox wall). PASS must mean full marks, FAIL fewer; right
answers must PASS, everything else FAIL. The right answers are computed here by the fixtures'
references, never typed in.
"""
from __future__ import annotations

import numpy as np
import pytest

from course_utils.grading import fixtures as fx
from course_utils.grading.answers import answer_bytes, load_answer
from course_utils.grading.checks import feedback
from course_utils.grading.exercises import EXERCISES, Kind
from course_utils.grading.hidden.tests import grade

GRADED = [e.id for e in EXERCISES if e.kind is Kind.GRADED]
TEXTS = [e.id for e in EXERCISES if e.kind is Kind.TEXT]
TRIVIAL = ("all_zero", "constant", "random", "input_itself", "wrong_values", "transposed")


@pytest.fixture(scope="module")
def ctx():
    from skimage import data

    model = fx.exercise_convnet()
    return {"model": model, "cat": fx.exercise_image(), "edges": fx.edge_model(), "photo": data.chelsea(),
            "softmax": fx.softmax_convnet(model)}


_RIGHT: dict = {}


def right_answer(exercise_id, ctx):
    """(answer, the exercise's input) as a correct solution would produce them; computed once per
    exercise (occlusion references take seconds) and handed out as copies."""
    import copy

    if exercise_id not in _RIGHT:
        _RIGHT[exercise_id] = _right_answer(exercise_id, ctx)
    return copy.deepcopy(_RIGHT[exercise_id])


def _right_answer(exercise_id, ctx):
    from scipy.stats import spearmanr

    from course_utils.activations import input_similarity
    from course_utils.small_convnet import training_graph

    model, cat, photo = ctx["model"], ctx["cat"], ctx["photo"]
    names = fx.conv_names(model)
    if exercise_id in ("ex1_1", "ex1_2"):
        return photo_answer(exercise_id, ctx, photo, cat), cat
    if exercise_id == "ex1_3":
        trap = fx.trap_batch()
        p = np.asarray(model(trap, training=False))[:, 0]
        other = np.asarray(fx.randomized_convnet(model)(trap, training=False))[:, 0]
        trainer = training_graph(model)
        return {"inference": [p, p], "other": other, "image": cat,
                "training": [float(trainer(cat)[0, 0]) for _ in range(8)]}, trap
    if exercise_id == "ex2_1":
        probe = fx.probe((1, 12, 12, 4), seed=3)
        return {"numpy": [float(probe[:, 2:-2, 2:-2, k].mean()) for k in range(4)],
                "tensor": [float(fx.tall_probe()[:, 2:-2, 2:-2, k].mean()) for k in range(4)]}, probe
    if exercise_id == "ex2_2":
        from course_utils.grading.judges import _ascent_step

        return {"filter_1": _ascent_step(1, fx.ASCENT_RATE), "filter_3": _ascent_step(3, 2.5)}, fx.pattern_start()
    if exercise_id == "ex2_3":
        plain, blurred = fx.ascent_pattern(ctx["edges"], 0), fx.ascent_pattern(ctx["edges"], 0, fx.BLUR_SIGMA)
        act = [float(np.asarray(ctx["edges"](p[None]))[0, 2:-2, 2:-2, 0].mean()) for p in (plain, blurred)]
        return {"plain": plain, "blurred": blurred, "roughness": [fx.roughness(plain), fx.roughness(blurred)],
                "activation": act}, fx.pattern_start()[0]
    if exercise_id == "ex3_1":
        probe = fx.probe((1, 6, 6, 8), seed=4)
        return probe.mean(axis=(0, 1, 2)), probe
    if exercise_id == "ex3_2":
        act, weights = fx.probe((1, 6, 6, 8), seed=5, relu=True), fx.probe((8,), seed=6)
        raw = np.maximum(act[0] @ weights, 0)
        return raw / raw.max(), act[0, :, :, 0]
    if exercise_id == "ex3_3":
        heat = fx.grad_cam_reference(ctx["softmax"], cat, "conv2d_3")
        peak = np.unravel_index(int(np.argmax(heat)), heat.shape)
        return {"layer": "conv2d_3", "heatmap": heat, "peak": [int(peak[0]), int(peak[1])]}, cat[0, :18, :18, 0] / 255
    if exercise_id == "ex4_1":
        probe = 255 * np.abs(fx.probe((1, 10, 12, 3), seed=7)).clip(0, 1)
        occluded = probe.copy()
        occluded[:, 2:6, 3:7, :] = fx.GREY
        return {"occluded": occluded, "original": probe}, probe
    if exercise_id == "ex4_2":
        x, dy = fx.relu_probes()
        keep = {"backprop": x > 0, "deconvnet": dy > 0, "guided": (x > 0) & (dy > 0)}
        return {rule: np.where(keep[rule], dy, 0) for rule in fx.RELU_RULES}, dy
    if exercise_id == "ex4_3":
        return {rule: _projection(rule) for rule in fx.RELU_RULES}, fx.tiny_image()
    if exercise_id == "ex5_3":
        return _sanity_answer(ctx, spearman=True), fx.overlap_probes()[0]
    trained = fx.occlusion_reference(model, cat)
    if exercise_id == "ex5_1":
        randomized = fx.occlusion_reference(fx.randomized_convnet(model), cat)
        return {"trained": trained, "randomized": randomized,
                "similarity": float(spearmanr(trained.ravel(), randomized.ravel())[0])}, cat[0, :4, :4, 0] / 255
    order = np.argsort(-trained.ravel(), kind="stable")
    curve, rand = fx.deletion_reference(model, cat, order), fx.deletion_reference(model, cat, fx.random_order(16))
    return {"curve": curve, "random": rand, "auc": [curve.mean(), rand.mean()]}, cat[0, 0, :17, 0] / 255


def _projection(rule, unit=fx.PROJECTED_UNIT, whole_channel=False):
    """Exercise 4.3 computed here, independently: the gradient of one unit (or of its whole channel,
    a plausible mistake) through relu(conv2(relu(conv1(x)))) with the rule's ReLU."""
    import tensorflow as tf


    @tf.custom_gradient
    def relu(x):
        def backward(dy):
            keep = {"backprop": x > 0, "deconvnet": dy > 0, "guided": (x > 0) & (dy > 0)}[rule]
            return tf.where(keep, dy, tf.zeros_like(dy))
        return tf.nn.relu(x), backward

    conv1, conv2 = fx.tiny_net()
    channel, row, col = unit
    image = tf.constant(fx.tiny_image())
    with tf.GradientTape() as tape:
        tape.watch(image)
        out = relu(conv2(relu(conv1(image))))
        value = tf.reduce_sum(out[..., channel]) if whole_channel else out[0, row, col, channel]
    return np.asarray(tape.gradient(value, image))


def _top(a, share, largest=True):
    count = int(np.ceil(share * a.size))
    order = np.argsort(-a.ravel() if largest else a.ravel(), kind="stable")
    return set(order[:count].tolist()), count


def _overlap(a, b, share=fx.TOP_SHARE, largest=True):
    (top_a, count), (top_b, _) = _top(np.asarray(a), share, largest), _top(np.asarray(b), share, largest)
    return len(top_a & top_b) / count


def _sanity_answer(ctx, spearman=True, largest=True):
    from scipy.stats import spearmanr

    from course_utils.heatmaps import pearson

    a, b = fx.overlap_probes()
    trained = fx.sanity_maps(ctx["model"], ctx["cat"])
    randomized = fx.sanity_maps(fx.randomized_convnet(ctx["model"]), ctx["cat"])
    similarity = (lambda p, q: float(spearmanr(p.ravel(), q.ravel())[0])) if spearman else pearson
    table = [[similarity(trained[m], randomized[m]), _overlap(trained[m], randomized[m], largest=largest)]
             for m in fx.SANITY_METHODS]
    fails = fx.SANITY_METHODS[int(np.argmax([row[0] for row in table]))]
    return {"overlap_probe": [_overlap(a, b, share, largest) for share in (fx.TOP_SHARE, 0.25)],
            "table": table, "fails": fails}


def photo_answer(exercise_id, ctx, photo, image):
    """Exercise 1.1's or 1.2's answer, computed correctly on whatever `image` the learner loaded."""
    from course_utils.activations import input_similarity

    names = fx.conv_names(ctx["model"])
    acts = fx.conv_activations(ctx["model"], image, names)
    if exercise_id == "ex1_1":
        return {"photo": photo, "image": image, "zeros": [float(np.mean(a == 0)) for a in acts]}
    likeness = [float(input_similarity(a, image).mean()) for a in acts]
    return {"photo": photo, "image": image, "likeness": likeness, "most_abstract": names[int(np.argmin(likeness))]}


def _centre_crop(photo, size=180):
    from PIL import Image

    h, w = photo.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = Image.fromarray(photo[top:top + side, left:left + side]).resize((size, size), Image.BILINEAR)
    return np.asarray(square, dtype="float32")[None]


def _mistakes():
    """exercise id → {mistake: answer(right, ctx)}: what a learner plausibly hands in instead."""
    from course_utils.grading.judges import _ascent_step

    def with_image(exercise_id, make):
        return lambda right, ctx: photo_answer(exercise_id, ctx, ctx["photo"], make(ctx))

    def rgb_as_bgr(ctx):
        return ctx["cat"][..., ::-1].copy()

    def cropped(ctx):
        return _centre_crop(ctx["photo"])

    def unnormalised(filter_index, rate):
        import tensorflow as tf

        image = tf.constant(fx.pattern_start())
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = tf.reduce_mean(ctx_edges()(image)[:, 2:-2, 2:-2, filter_index])
        return np.asarray(image + rate * tape.gradient(loss, image))

    def probability_cam(right, ctx):
        return dict(right, heatmap=fx.grad_cam_reference(ctx["softmax"], ctx["cat"], "conv2d_3", of_probability=True))

    def one_sided(right, ctx):
        probes = {"numpy": fx.probe((1, 12, 12, 4), seed=3), "tensor": fx.tall_probe()}
        return {k: [float(p[:, 2:, 2:, c].mean()) for c in range(4)] for k, p in probes.items()}

    return {
        "ex1_1": {"bgr_photo": with_image("ex1_1", rgb_as_bgr), "centre_crop": with_image("ex1_1", cropped)},
        "ex1_2": {"bgr_photo": with_image("ex1_2", rgb_as_bgr), "centre_crop": with_image("ex1_2", cropped)},
        "ex1_3": {
            "ignores_net": lambda right, ctx: dict(right, other=right["inference"][0]),
            "training_false_calls": lambda right, ctx: dict(right, training=[right["inference"][0][0]] * 8),
            "any_8_numbers": lambda right, ctx: dict(right, training=[0.5, 0.6, 0.7, 0.8, 0.55, 0.65, 0.75, 0.85]),
            "calls_on_another_photo": lambda right, ctx: dict(right, training=_plain_calls(ctx, "coffee")),
        },
        "ex2_1": {"border_on_one_side": one_sided},
        "ex2_2": {"filter_always_1": lambda right, ctx: dict(right, filter_3=_ascent_step(1, 2.5)),
                  "gradient_not_normalised": lambda right, ctx: {"filter_1": unnormalised(1, fx.ASCENT_RATE),
                                                                 "filter_3": unnormalised(3, 2.5)}},
        "ex2_3": {"no_blur": lambda right, ctx: dict(right, blurred=right["plain"],
                                                     roughness=[right["roughness"][0]] * 2,
                                                     activation=[right["activation"][0]] * 2)},
        "ex3_1": {"sum_not_mean": lambda right, ctx: right * 36},
        "ex3_2": {"no_relu": lambda right, ctx: _no_relu()},
        "ex3_3": {"probability_not_logit": probability_cam},
        "ex4_1": {"changed_the_original": lambda right, ctx: dict(right, original=right["occluded"])},
        "ex4_2": {"deconvnet_uses_the_forward_mask": lambda right, ctx: dict(right, deconvnet=right["backprop"]),
                  "guided_with_one_mask": lambda right, ctx: dict(right, guided=right["deconvnet"])},
        "ex4_3": {"plain_relu_for_every_rule": lambda right, ctx: {r: right["backprop"] for r in fx.RELU_RULES},
                  "whole_channel_not_one_unit": lambda right, ctx: {
                      r: _projection(r, whole_channel=True) for r in fx.RELU_RULES}},
        "ex5_1": {"drop_of_p_dog": lambda right, ctx: dict(right, trained=-right["trained"],
                                                           randomized=-right["randomized"])},
        "ex5_2": {"p_dog_not_predicted_class": lambda right, ctx: {
            "curve": 1 - right["curve"], "random": 1 - right["random"],
            "auc": [1 - right["auc"][0], 1 - right["auc"][1]]}},
        "ex5_3": {"bottom_not_top": lambda right, ctx: _sanity_answer(ctx, largest=False),
                  "pearson_not_spearman": lambda right, ctx: _sanity_answer(ctx, spearman=False),
                  "names_the_method_that_passes": lambda right, ctx: dict(right, fails="Grad-CAM")},
    }


def _plain_calls(ctx, photo_name: str, count: int = 8) -> list:
    """8 plain (augmenting) calls of the trainer on another photo than the one handed in."""
    from skimage import data

    from course_utils.images import load_image
    from course_utils.small_convnet import training_graph

    image, trainer = load_image(getattr(data, photo_name)(), (180, 180)), training_graph(ctx["model"])
    return [float(trainer(image)[0, 0]) for _ in range(count)]


def ctx_edges():
    return fx.edge_model()


def _no_relu():
    act, weights = fx.probe((1, 6, 6, 8), seed=5, relu=True), fx.probe((8,), seed=6)
    raw = act[0] @ weights
    return raw / raw.max()


MISTAKES = _mistakes()


def _numeric(value) -> bool:
    return not isinstance(value, str)


def _trivial(kind: str, value, source):
    array = np.asarray(value, dtype="float64")
    rng = np.random.default_rng(5)
    if kind == "all_zero":
        return np.zeros_like(array)
    if kind == "constant":
        return np.full_like(array, 0.5)
    if kind == "random":
        return rng.random(array.shape) * max(1.0, float(np.abs(array).max()))
    if kind == "input_itself":
        return source
    if kind == "wrong_values":
        return array * 1.5 + 0.1 * rng.standard_normal(array.shape)
    if array.ndim == 0:
        return array
    return np.swapaxes(array, -1, -2) if array.ndim >= 2 else array[::-1].copy()


def trivial_answer(kind, right, source):
    if isinstance(right, dict):
        return {k: (_trivial(kind, v, source) if _numeric(v) else v) for k, v in right.items()}
    return _trivial(kind, right, source)


def partly_right(right):
    """The right answer with one part spoilt: half of an array, or the last entry of a dict."""
    def spoil(value):
        array = np.array(value, dtype="float64", copy=True)
        flat = array.reshape(-1)
        flat[: max(1, flat.size // 2)] += 1.0
        return array
    if isinstance(right, dict):
        key = [k for k, v in right.items() if _numeric(v)][-1]
        return dict(right, **{key: spoil(right[key])})
    return spoil(right)


def both(exercise_id, answer):
    """(the notebook's verdict word, the grader's fraction) for one answer."""
    text = feedback(exercise_id, answer)
    fraction, _ = grade(exercise_id, load_answer(answer_bytes(answer)))
    return text.split(" ex")[0], fraction, text


MATRIX = [(e, kind) for e in GRADED for kind in ("right", "partly_right") + TRIVIAL]
MISTAKE_CASES = [(e, m) for e in GRADED for m in MISTAKES.get(e, {})]


def test_every_graded_exercise_has_a_plausible_mistake_in_the_matrix():
    assert set(GRADED) <= set(MISTAKES) and all(MISTAKES[e] for e in GRADED)
    assert set(MISTAKES) <= set(GRADED)


@pytest.mark.parametrize("exercise_id, mistake", MISTAKE_CASES, ids=[f"{e}-{m}" for e, m in MISTAKE_CASES])
def test_a_plausible_mistake_fails_in_the_notebook_and_in_grading(exercise_id, mistake, ctx):
    right, _ = right_answer(exercise_id, ctx)
    word, fraction, text = both(exercise_id, MISTAKES[exercise_id][mistake](right, ctx))
    assert word == "FAIL" and fraction < 1.0, text
    assert "\n   - " in text and max(map(len, text.splitlines())) < 100, text


@pytest.mark.parametrize("layer", ["conv2d", "conv2d_1", "conv2d_2", "conv2d_3", "conv2d_4"])
def test_grad_cam_of_the_probability_fails_at_every_layer(layer, ctx):
    """Exercise 3.3 lets the learner choose the layer: the logit/probability lesson holds at each."""
    heat = fx.grad_cam_reference(ctx["softmax"], ctx["cat"], layer)
    peak = np.unravel_index(int(np.argmax(heat)), heat.shape)
    for of_probability, want in ((False, "PASS"), (True, "FAIL")):
        answer = {"layer": layer, "peak": [int(peak[0]), int(peak[1])],
                  "heatmap": fx.grad_cam_reference(ctx["softmax"], ctx["cat"], layer, of_probability)}
        if of_probability:
            wrong = answer["heatmap"]
            answer["peak"] = list(np.unravel_index(int(np.argmax(wrong)), wrong.shape))
        assert both("ex3_3", answer)[0] == want, (layer, of_probability)


@pytest.mark.parametrize("exercise_id, kind", MATRIX, ids=[f"{e}-{k}" for e, k in MATRIX])
def test_notebook_check_and_grading_agree(exercise_id, kind, ctx):
    right, source = right_answer(exercise_id, ctx)
    answer = right if kind == "right" else partly_right(right) if kind == "partly_right" else \
        trivial_answer(kind, right, source)
    word, fraction, text = both(exercise_id, answer)
    assert (word == "PASS") == (fraction == 1.0), (word, fraction, text)
    if kind == "right":
        assert word == "PASS", text
    else:
        assert word == "FAIL" and fraction < 1.0, text
    if kind in TRIVIAL:  # no credit at all, not even for measuring a trivial answer consistently
        assert fraction == 0.0, text
    if word == "FAIL":
        assert "\n   - " in text  # a reason, as words
    assert max(map(len, text.splitlines())) < 100, text  # JupyterLab at 1440 px does not wrap it


def test_partial_credit_exists_where_an_answer_has_parts(ctx):
    partial = [e for e in GRADED if 0 < both(e, partly_right(right_answer(e, ctx)[0]))[1] < 1]
    assert len(partial) >= 6, partial


TEXT_CASES = [("words", True), ("", False), ("YOUR ANSWER HERE", False), ("7", False), (None, False)]


@pytest.mark.parametrize("exercise_id", TEXTS)
@pytest.mark.parametrize("text, collected", TEXT_CASES, ids=[c[0] or "empty" for c in TEXT_CASES])
def test_free_text_is_collected_not_scored(exercise_id, text, collected):
    if text == "words":
        text = "Deeper layers are sparser and look less like the photo, as the numbers above show."
    shown = feedback(exercise_id, text)
    assert shown.startswith("COLLECTED" if collected else "NOT YET"), shown
    if text is not None:
        fraction, message = grade(exercise_id, load_answer(answer_bytes(text)))
        assert (fraction == 1.0) == collected
        assert not collected or message == f"answer: {text}"  # the teacher sees the text itself


def test_feedback_never_gives_the_expected_numbers(ctx):
    right, _ = right_answer("ex3_1", ctx)
    text = feedback("ex3_1", right * 2)
    assert text.startswith("FAIL") and not any(f"{v:.3f}" in text for v in right)


def test_matrix_size():
    """answers x exercises, as reported in the closing note."""
    assert len(MATRIX) == len(GRADED) * (2 + len(TRIVIAL)) and len(GRADED) >= 12
    assert len(MISTAKE_CASES) >= len(GRADED)
