"""Deletion and insertion curves: a perfect heatmap must beat a random order."""
import numpy as np
import pytest

from ch4_models import model  # noqa: F401  (the corner-model pytest fixture)
from ch4_models import SIZE, corner_image, corner_mask
from course_utils.faithfulness import (CurveAreas, blurred, deletion_curve, deletion_insertion, insertion_curve,
                                      random_heatmap)
from course_utils.heatmaps import at_image_size
from course_utils.targets import class_scores


def test_curve_ends_are_the_intact_and_the_emptied_image(model):
    img = corner_image()
    curve = deletion_curve(model, img, corner_mask(), 1, steps=8, fill=0)
    assert curve.fractions[0] == 0 and curve.fractions[-1] == 1 and len(curve.scores) == 9
    assert curve.scores[0] == pytest.approx(class_scores(model, img, 1)[0], abs=1e-6)
    assert curve.scores[-1] == pytest.approx(class_scores(model, np.zeros_like(img), 1)[0], abs=1e-6)
    ins = insertion_curve(model, img, corner_mask(), 1, steps=8)
    assert ins.scores[0] == pytest.approx(class_scores(model, blurred(img), 1)[0], abs=1e-6)
    assert ins.scores[-1] == pytest.approx(curve.scores[0], abs=1e-6)
    assert ins.intact_score == curve.intact_score and curve.relative_auc == pytest.approx(curve.auc / curve.scores[0])
    blur_curve = deletion_curve(model, img, corner_mask(), 1, steps=8)  # default: replace by the blurred image
    assert blur_curve.scores[-1] == pytest.approx(ins.scores[0], abs=1e-6)


def test_perfect_heatmap_deletes_faster_and_inserts_faster_than_random(model):
    img = corner_image()
    randoms = [random_heatmap((SIZE, SIZE), seed=s) for s in range(3)]
    # black fill: this toy's max-pooling still finds the corner's red in a blurred copy
    perfect = deletion_curve(model, img, corner_mask(), 1, steps=16, fill=0).auc
    assert perfect < min(deletion_curve(model, img, r, 1, steps=16, fill=0).auc for r in randoms) - 0.3
    # insertion from black, for the same reason
    best_random = max(insertion_curve(model, img, r, 1, steps=16, start=0).auc for r in randoms)
    assert insertion_curve(model, img, corner_mask(), 1, steps=16, start=0).auc > best_random + 0.05
    # removing the 16 corner pixels first (1/16 of the image) kills the class at the first step
    assert deletion_curve(model, img, corner_mask(), 1, steps=16, fill=0).scores[1] < 0.05


def test_batching_and_low_resolution_maps_give_the_same_curve(model):
    img = corner_image()
    small = corner_mask()[::4, ::4]  # 4×4 map, like a Grad-CAM layer map
    a = deletion_curve(model, img, small, 1, steps=10, batch_size=3).scores
    b = deletion_curve(model, img, small, 1, steps=10, batch_size=64).scores
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert at_image_size(small, (SIZE, SIZE)).shape == (SIZE, SIZE)


def test_relative_areas_are_areas_over_the_intact_score(model):
    img, heat = corner_image(), random_heatmap((SIZE, SIZE), seed=1)
    areas = deletion_insertion(model, img, heat, 1, steps=8)
    raw = deletion_insertion(model, img, heat, 1, steps=8, relative=False)
    intact = class_scores(model, img, 1)[0]
    assert areas.relative and not raw.relative
    assert (areas.deletion, areas.insertion) == pytest.approx((raw.deletion / intact, raw.insertion / intact))
    curve = deletion_curve(model, img, heat, 1, steps=8)  # same blurred fill as deletion_insertion's
    assert raw.deletion == pytest.approx(curve.auc)


def test_random_blobs_are_reproducible_and_image_sized():
    a, b = random_heatmap((SIZE, SIZE), seed=3, cells=4), random_heatmap((SIZE, SIZE), seed=3, cells=4)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (SIZE, SIZE) and not np.array_equal(a, random_heatmap((SIZE, SIZE), seed=4, cells=4))


@pytest.mark.parametrize("heatmap, message", [
    (np.zeros((SIZE, SIZE // 2)), "does not match the image"),
    (np.zeros((2 * SIZE, 2 * SIZE)), "does not match the image"),
    (np.zeros((2, SIZE, SIZE)), "must be 2-D"),
    (np.full((SIZE, SIZE), np.nan), "NaN"),
])
def test_heatmap_shape_mismatch_is_explained(model, heatmap, message):
    with pytest.raises(ValueError, match=message):
        deletion_curve(model, corner_image(), heatmap, 1)


def test_bad_steps_are_explained(model):
    with pytest.raises(ValueError, match="steps must be a positive int"):
        insertion_curve(model, corner_image(), corner_mask(), 1, steps=0)


def test_comparison_widget_callback_keeps_the_learners_order_and_crowns_no_method():
    from course_utils.widgets.compare import comparison_view

    images = {"corner": corner_image()}
    maps = {"corner": {"perfect": corner_mask(), "coarse": corner_mask()[::4, ::4],
                       "random": random_heatmap((SIZE, SIZE))}}
    scores = {"corner": {"perfect": CurveAreas(0.1, 0.9, True), "coarse": CurveAreas(0.3, 0.7, True),
                         "random": CurveAreas(0.8, 0.2, True)}}
    panels, caption = comparison_view(images, maps, scores, "corner", ["random", "coarse", "perfect"])
    assert [title.split("\n")[0] for title, _ in panels] == ["random", "coarse", "perfect"]
    assert panels[2][0].endswith("deletion 0.10 · insertion 0.90")
    assert all(heat.shape == (SIZE, SIZE) for _, heat in panels)  # coarse map upsampled
    assert caption.startswith("corner: deletion area") and "most faithful" not in caption
    assert all(len(line) < 100 for line in caption.splitlines())
    with pytest.raises(KeyError, match="choose one of: corner"):
        comparison_view(images, maps, scores, "cat", ["perfect"])
    with pytest.raises(KeyError, match="No map for 'occlusion'.*available: perfect, coarse, random"):
        comparison_view(images, maps, scores, "corner", ["occlusion"])
    with pytest.raises(ValueError, match="at least one method"):
        comparison_view(images, maps, scores, "corner", [])
