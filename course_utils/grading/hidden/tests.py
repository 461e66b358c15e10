"""Hidden tests: run in the grader process on the answers a submission exported.

Each test gets the submission's answer and the reference solution's answer (both loaded
from plain .npz files) and returns (fraction of the points earned, feedback).
"""
from __future__ import annotations

import numpy as np

from ..compare import as_array, close, correlated, in_unit_range, peak_near, same_shape


class Wrong(Exception):
    """The answer has the wrong form; the message says how."""


def _array(answer, name):
    array, why = as_array(answer, name)
    if why:
        raise Wrong(why)
    return array


def _entries(answer, keys, name):
    if not isinstance(answer, dict) or not set(keys) <= set(answer):
        raise Wrong(f"{name} should be a dict with keys {sorted(keys)}")
    return answer


def _scalar_text(value) -> str:
    array = np.asarray(value)
    return str(array.item()) if array.size == 1 else ""


def _heatmap_score(h, ref, name, threshold, cells):
    """Shape, range, then correlation and peak location against the reference heatmap."""
    for ok, msg in (same_shape(h, ref.shape, name, "the reference"), in_unit_range(h, name)):
        if not ok:
            return 0.0, msg
    if ref.max() <= 0:  # the layer has no positive evidence: the right answer is all zeros
        return (1.0, "") if h.max() <= 1e-6 else (0.0, f"{name} should be all zeros here")
    ok_corr, msg_corr = correlated(h, ref, name, threshold)
    ok_peak, msg_peak = peak_near(h, ref, name, cells)
    return 0.5 * ok_corr + 0.5 * ok_peak, "; ".join(m for m in (msg_corr, msg_peak) if m)


def ex1_1(answer, ref):
    answer = _entries(answer, ref.keys(), "`shapes`")
    wrong = [name for name in ref if tuple(np.ravel(answer[name]).astype(int)) != tuple(np.ravel(ref[name]).astype(int))]
    extra = sorted(set(answer) - set(ref))
    score = (len(ref) - len(wrong)) / len(ref) * (0.0 if extra else 1.0)
    msgs = [f"{name}: {tuple(np.ravel(answer[name]))} should be {tuple(np.ravel(ref[name]))}" for name in wrong]
    msgs += [f"not conv layers: {extra}"] if extra else []
    return score, "; ".join(msgs)


def ex1_2(answer, ref):
    answer = _entries(answer, ("act", "strongest"), "the answer")
    act, ref_act = _array(answer["act"], "act"), ref["act"]
    ok, msg = same_shape(act, ref_act.shape, "activation", "conv2d_2's activation")
    if not ok:
        return 0.0, msg
    ok_act, msg_act = correlated(act, ref_act, "activation", 0.99)
    top3 = np.argsort(ref_act.mean(axis=(0, 1, 2)))[::-1][:3]
    strongest = int(np.asarray(answer["strongest"]).ravel()[0])
    right = strongest == int(ref["strongest"])
    part = 0.5 if right else (0.25 if strongest in top3 else 0.0)
    msg_top = "" if right else f"strongest channel {strongest} is not the reference's {int(ref['strongest'])}"
    return 0.5 * ok_act + part, "; ".join(m for m in (msg_act, msg_top) if m)


def ex1_3(answer, ref):
    answer = _entries(answer, ("probe", "layer"), "the answer")
    score, msgs = 0.0, []
    for key, weight in (("probe", 0.5), ("layer", 0.5)):
        out, want = _array(answer[key], key), ref[key]
        ok, msg = same_shape(out, want.shape, f"pooled {key}", "MaxPooling2D(2)'s output")
        if ok:
            ok, msg = close(out, want, f"pooled {key}", rtol=1e-5, atol=1e-5)
        score += weight * ok
        msgs += [msg] if msg else []
    return score, "; ".join(msgs)


def ex2_1(answer, ref):
    values, want = _array(answer, "the filter losses").ravel(), np.ravel(ref)
    if values.shape != want.shape:
        return 0.0, f"expected {want.size} losses (one number per filter), got {values.size}"
    ok = np.abs(values - want) <= 1e-4 * np.maximum(1.0, np.abs(want))
    return float(ok.mean()), "" if ok.all() else f"filters {np.flatnonzero(~ok).tolist()} have the wrong loss"


def ex2_2(answer, ref):
    from ..fixtures import pattern_start

    out, start = _array(answer, "the new image"), pattern_start().astype("float64")
    ok, msg = same_shape(out, ref.shape, "new image", "the input's shape")
    if not ok:
        return 0.0, msg
    step, want = out - start, ref - start
    length = float(np.linalg.norm(step))
    ok_len = abs(length - float(np.linalg.norm(want))) <= 0.05 * float(np.linalg.norm(want))
    ok_dir, msg_dir = correlated(step, want, "step direction", 0.95)
    msg_len = "" if ok_len else f"your step has length {length:.3f}; the normalised step has {np.linalg.norm(want):.3f}"
    return 0.5 * ok_len + 0.5 * ok_dir, "; ".join(m for m in (msg_len, msg_dir) if m)


def ex2_3(answer, ref):
    answer = _entries(answer, ("pattern", "orientation"), "the answer")
    pattern, want = _array(answer["pattern"], "pattern"), np.asarray(ref["pattern"], dtype="float64")
    pattern, want = pattern.reshape(-1, *pattern.shape[-3:])[0], want.reshape(-1, *want.shape[-3:])[0]
    ok, msg = same_shape(pattern, want.shape, "pattern", "one 32x32 RGB image")
    score, msgs = 0.0, []
    if ok:
        ok, msg = correlated(pattern, want, "pattern", 0.9)
    score += 0.6 * ok
    msgs += [msg] if msg else []
    if _scalar_text(answer["orientation"]) == _scalar_text(ref["orientation"]):
        score += 0.4
    else:
        msgs.append(f"orientation {_scalar_text(answer['orientation'])!r} is not what filter 0's pattern shows")
    return score, "; ".join(msgs)


def ex3_1(answer, ref):
    w = _array(answer, "the weights")
    ok, msg = same_shape(w, ref.shape, "weights", "one weight per channel")
    if ok:
        ok, msg = close(w, ref, "weights", rtol=1e-4, atol=1e-5)
    return float(ok), msg


def ex3_2(answer, ref):
    return _heatmap_score(_array(answer, "the heatmap"), ref, "heatmap", 0.99, 0)


def ex3_3(answer, ref):
    answer = _entries(answer, ref.keys(), "the answer")
    results = [_heatmap_score(_array(answer[name], name), ref[name], f"{name} heatmap", 0.9, 2) for name in ref]
    return float(np.mean([s for s, _ in results])), "; ".join(m for _, m in results if m)


def ex4_1(answer, ref):
    answer = _entries(answer, ("occluded", "original"), "the answer")
    out = _array(answer["occluded"], "occluded image")
    ok, msg = same_shape(out, ref["occluded"].shape, "occluded image", "the input's shape")
    if ok:
        ok, msg = close(out, ref["occluded"], "occluded image", rtol=1e-5, atol=1e-3)
    kept, msg_kept = close(_array(answer["original"], "original"), ref["original"], "original after the call", atol=1e-3)
    return 0.5 * ok + 0.5 * kept, "; ".join(m for m in (msg, msg_kept and msg_kept + " (work on a copy)") if m)


def ex4_2(answer, ref):
    h = _array(answer, "occlusion map")
    ok, msg = same_shape(h, ref.shape, "occlusion map", "the reference map")
    if not ok:
        return 0.0, msg
    ok_close, msg_close = close(h, ref, "occlusion map", rtol=0.05, atol=0.02)
    ok_peak, msg_peak = peak_near(h, ref, "occlusion map", 0)
    return 0.5 * ok_close + 0.5 * ok_peak, "; ".join(m for m in (msg_close, msg_peak) if m)


def ex4_3(answer, ref):
    values, want = _array(answer, "the similarities").ravel(), np.ravel(ref)
    if values.shape != want.shape:
        return 0.0, f"expected {want.size} similarities (one per pair), got {values.size}"
    ok = np.abs(values - want) <= 1e-3
    return float(ok.mean()), "" if ok.all() else f"pairs {np.flatnonzero(~ok).tolist()} are wrong"


TESTS = {"ex1_1": ex1_1, "ex1_2": ex1_2, "ex1_3": ex1_3, "ex2_1": ex2_1, "ex2_2": ex2_2, "ex2_3": ex2_3,
         "ex3_1": ex3_1, "ex3_2": ex3_2, "ex3_3": ex3_3, "ex4_1": ex4_1, "ex4_2": ex4_2, "ex4_3": ex4_3}


def grade(exercise_id: str, answer, reference) -> tuple[float, str]:
    """(fraction in [0, 1], feedback). Never raises on a malformed answer."""
    try:
        score, message = TESTS[exercise_id](answer, reference)
    except Wrong as exc:
        return 0.0, str(exc)
    except Exception as exc:  # whatever a crafted answer triggers, it costs only this exercise
        return 0.0, f"the answer has an unexpected form ({type(exc).__name__}: {str(exc)[:200]})"
    return max(0.0, min(1.0, float(score))), message or "correct"
