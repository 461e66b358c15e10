"""Hidden grading: run in the grader process on the answers a submission exported.

The verdict comes from judges.judge, the same function the notebooks' check cells call, so a
notebook PASS and full marks here cannot disagree. The reference solution's answer is not
needed for the judgement (the judge recomputes what is right from the exercise's inputs); it
is kept in the signature the harness calls.
"""
from __future__ import annotations

from ..judges import judge


def grade(exercise_id: str, answer, reference=None) -> tuple[float, str]:
    """(fraction in [0, 1], feedback). Never raises on a malformed answer.

    For a free-text exercise the feedback is the learner's text, for the teacher to read."""
    verdict = judge(exercise_id, answer)
    if verdict.text is not None:
        return verdict.fraction, f"answer: {verdict.text}"
    return verdict.fraction, "; ".join(verdict.hints) or "correct"
