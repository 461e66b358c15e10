"""The judges measure learners' maps with course_utils.heatmaps, and a map heatmaps refuses is a
wrong answer for that part (with that part's hint), never a crash of the whole exercise."""
import numpy as np
import pytest

from course_utils import heatmaps
from course_utils.grading import judges

UNEXPECTED = "unexpected form"  # what judge says when a judge raised instead of grading


def test_a_refused_measurement_becomes_the_refused_value_and_other_errors_still_raise():
    assert np.isnan(judges._measured(heatmaps.peak_location, np.zeros((0, 3)), refused=np.nan))
    assert judges._measured(heatmaps.rank_similarity, np.zeros(16), np.ones(16)) is None  # 1-D: not a map
    assert judges._measured(heatmaps.peak_location, np.eye(3)) == (0, 0)
    with pytest.raises(TypeError):  # a bug in the judge is not a learner's wrong answer
        judges._measured(heatmaps.peak_location)


def test_an_empty_heatmap_costs_its_parts_with_their_hints():
    verdict = judges.judge("ex3_3", {"layer": np.asarray("conv2d_3"), "heatmap": np.zeros((0, 3)),
                                      "peak": np.asarray([0, 0])})
    assert verdict.fraction == 0 and len(verdict.hints) == 2
    assert not any(UNEXPECTED in hint for hint in verdict.hints), verdict.hints
    assert "not Grad-CAM" in verdict.hints[0] and "`peak`" in verdict.hints[1]


def test_flattened_occlusion_maps_cost_their_parts_with_their_hints():
    flat = np.linspace(0, 1, 16)
    verdict = judges.judge("ex5_1", {"trained": flat, "randomized": flat[::-1], "similarity": np.asarray(-1.0)})
    assert verdict.fraction == 0 and len(verdict.hints) == 3
    assert not any(UNEXPECTED in hint for hint in verdict.hints), verdict.hints
    assert "Spearman" in verdict.hints[2]


def test_a_nan_heatmap_is_named_as_such():
    heat = np.full((6, 6), np.nan)
    verdict = judges.judge("ex3_3", {"layer": np.asarray("conv2d_3"), "heatmap": heat, "peak": np.asarray([0, 0])})
    assert verdict.fraction == 0 and verdict.hints == ["`heatmap` contains NaN or infinite values"]
