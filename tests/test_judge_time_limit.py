"""A judge that runs too long costs only that answer, in bounded time (issue 24, item 4)."""
from __future__ import annotations

import threading
import time

from course_utils.grading import judges


def test_a_slow_judge_gives_no_points_and_returns_in_time(monkeypatch):
    release = threading.Event()

    def stuck(answer):
        release.wait(30)   # a judge caught in a pathological answer
        return judges.Verdict(1.0)

    monkeypatch.setitem(judges.JUDGES, "ex3_1", stuck)
    monkeypatch.setattr(judges, "JUDGE_SECONDS", 0.5)
    start = time.monotonic()
    verdict = judges.judge("ex3_1", [1.0, 2.0])
    release.set()
    assert time.monotonic() - start < 5
    assert verdict.fraction == 0 and "longer than" in verdict.hints[0], verdict


def test_a_quick_judge_is_not_affected(monkeypatch):
    monkeypatch.setitem(judges.JUDGES, "ex3_1", lambda answer: judges.Verdict(1.0, [], "fine"))
    assert judges.judge("ex3_1", [1.0]).fraction == 1.0


def test_a_judge_that_raises_still_costs_only_its_answer(monkeypatch):
    def broken(answer):
        raise ZeroDivisionError("crafted")

    monkeypatch.setitem(judges.JUDGES, "ex3_1", broken)
    verdict = judges.judge("ex3_1", [1.0])
    assert verdict.fraction == 0 and "ZeroDivisionError" in verdict.hints[0]
