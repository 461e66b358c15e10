"""In-notebook checks: `check("ex1_2", answer)` prints PASS, NOT YET or FAIL with a reason.

The check and the hidden grading call the same judge (judges.judge) on the same form of the
answer (the round trip through answers.py that the grader's copy takes), so PASS here means
full marks there, and FAIL means fewer. Failing feedback gives hints, never the expected values.
"""
from __future__ import annotations

import os
import textwrap
from enum import StrEnum

from .answers import AnswerFormatError, _missing, answer_bytes, load_answer
from .judges import judge
from .exercises import Kind, by_id


class Shown(StrEnum):
    """The first word of a check's feedback."""
    PASS = "PASS"              # full marks in grading too
    NOT_YET = "NOT YET"        # the cell still leaves None, or a text answer is too short
    FAIL = "FAIL"              # fewer marks; hints follow
    COLLECTED = "COLLECTED"    # a free-text answer, for the teacher


PASS, NOT_YET, FAIL, COLLECTED = Shown.PASS, Shown.NOT_YET, Shown.FAIL, Shown.COLLECTED
LINE_WIDTH = 99  # JupyterLab at 1440 px wraps longer printed lines, often in the middle of a number


def _fit(text: str) -> str:
    """Each line wrapped at spaces to LINE_WIDTH; continuation lines indented under their text."""
    lines = []
    for line in text.splitlines():
        body = line.lstrip(" -")
        indent = " " * (len(line) - len(body))
        lines.append(textwrap.fill(line, LINE_WIDTH, subsequent_indent=indent or "  ",
                                   break_long_words=False, break_on_hyphens=False))
    return "\n".join(lines)


def feedback(exercise_id: str, answer: object) -> str:
    """The feedback line(s) `check` prints, as a string, each under LINE_WIDTH characters."""
    return _fit(_verdict_text(exercise_id, answer))


def _verdict_text(exercise_id: str, answer: object) -> str:
    exercise = by_id(exercise_id)
    title = f"{exercise_id} ({exercise.title})"
    if os.environ.get("COURSE_GRADED_RUN") == "1":
        # Inside the grading sandbox the judge's reference functions are switched off (a learner
        # could call them for the answer); the grader judges this answer outside, with the same judge.
        return f"{title}: handed in; the grader checks it outside this run."
    if _missing(answer):
        return f"{NOT_YET} {title}: not done yet. Fill in the cell above (it still leaves None), run it, then this check."
    try:
        as_graded = load_answer(answer_bytes(answer))
    except AnswerFormatError as exc:
        return f"{FAIL} {title}: the grader could not store this answer: {exc}"
    verdict = judge(exercise_id, as_graded)
    if exercise.kind is Kind.TEXT:
        if verdict.fraction >= 1:
            return f"{COLLECTED} {title}: your answer will be shown to your teacher (not scored)."
        return f"{NOT_YET} {title}: " + "; ".join(verdict.hints) + "."
    if verdict.fraction >= 1:
        return f"{PASS} {title}: full marks in grading too." + (f" ({verdict.summary})" if verdict.summary else "")
    part = f" (partly right: {verdict.fraction:.0%} of the points)" if verdict.fraction > 0 else ""
    return f"{FAIL} {title}{part}:\n" + "\n".join(f"   - {hint}." for hint in verdict.hints)


def check(exercise_id: str, answer: object) -> None:
    """Print the verdict on one exercise: the same judge the grader uses."""
    print(feedback(exercise_id, answer))
