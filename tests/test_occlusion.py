"""Occlusion sensitivity on a tiny model whose evidence sits in one corner."""
import numpy as np
import pytest

from ch4_models import model  # noqa: F401  (the corner-model pytest fixture)
from ch4_models import CORNER, SIZE, corner_image
from course_utils.occlusion import occlusion_drops, occlusion_sensitivity, patch_positions
from course_utils.targets import class_scores


def test_peak_lies_in_the_evidence_corner(model):
    heat = occlusion_sensitivity(model, corner_image(), 1, patch=4, stride=2, progress=False)
    assert heat.shape == (SIZE, SIZE)
    assert heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    peak = np.unravel_index(np.argmax(heat), heat.shape)
    assert peak[0] < CORNER and peak[1] < CORNER
    # away from the corner a grey patch changes nothing
    assert heat[CORNER + 2:, CORNER + 2:].max() == 0


def test_drop_equals_the_score_change_of_one_occluded_image(model):
    img = corner_image()
    grid = occlusion_drops(model, img, 1, patch=4, stride=4, progress=False, score="probability")
    assert grid.drops.shape == (4, 4)
    occluded = img.copy()
    occluded[0, 0:4, 4:8] = 127.5
    by_hand = class_scores(model, img, 1)[0] - class_scores(model, occluded, 1)[0]
    assert grid.drops[0, 1] == pytest.approx(by_hand, abs=1e-6)
    corner = img.copy()
    corner[0, :4, :4] = 127.5
    assert grid.drops[0, 0] == pytest.approx(class_scores(model, img, 1)[0] - class_scores(model, corner, 1)[0], abs=1e-6)
    # grey halves the corner's red: logit 8 → 4 against class 0's constant 4
    assert grid.drops[0, 0] == pytest.approx(1 / (1 + np.exp(-4)) - 0.5, abs=1e-5)
    logit_grid = occlusion_drops(model, img, 1, patch=4, stride=4, progress=False)  # default: the logit
    assert logit_grid.drops[0, 0] == pytest.approx(4.0, abs=1e-4)  # 8 × (1 - 0.5)
    assert np.abs(logit_grid.drops.ravel()[1:]).max() < 1e-5


def test_batch_size_does_not_change_the_map(model):
    a = occlusion_sensitivity(model, corner_image(), 1, patch=6, stride=3, batch_size=1, progress=False)
    b = occlusion_sensitivity(model, corner_image(), 1, patch=6, stride=3, batch_size=64, progress=False)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_positions_cover_the_far_edge():
    assert patch_positions(16, 6, 4) == [0, 4, 8, 10]
    assert patch_positions(16, 16, 3) == [0]


@pytest.mark.parametrize("kwargs, message", [
    ({"patch": 17, "stride": 2}, "larger than the image"),
    ({"patch": 4, "stride": 0}, "stride must be a positive"),
    ({"patch": 4, "stride": -2}, "stride must be a positive"),
    ({"patch": 0, "stride": 2}, "patch must be a positive"),
])
def test_bad_patch_or_stride_is_explained(model, kwargs, message):
    with pytest.raises(ValueError, match=message):
        occlusion_sensitivity(model, corner_image(), 1, progress=False, **kwargs)


def test_bad_class_and_image_are_explained(model):
    with pytest.raises(ValueError, match="has 2 classes, so indices run from 0 to 1"):
        occlusion_sensitivity(model, corner_image(), 5, patch=4, stride=4, progress=False)
    with pytest.raises(ValueError, match="Expected one image"):
        occlusion_sensitivity(model, np.zeros((2, SIZE, SIZE, 3)), 1, patch=4, stride=4, progress=False)


def test_scores_of_a_single_sigmoid_unit_cover_both_classes():
    from course_utils.small_convnet import build_small_convnet

    net = build_small_convnet()
    images = np.random.default_rng(0).uniform(0, 255, (3, 180, 180, 3)).astype("float32")
    p_dog = class_scores(net, images, 1)
    np.testing.assert_allclose(class_scores(net, images, 0), 1 - p_dog, atol=1e-6)
    logit_dog = class_scores(net, images, 1, score="logit")
    np.testing.assert_allclose(1 / (1 + np.exp(-logit_dog)), p_dog, atol=1e-5)  # the sigmoid's input
    np.testing.assert_allclose(class_scores(net, images, 0, score="logit"), -logit_dog, atol=1e-6)
    with pytest.raises(ValueError, match="score must be one of 'probability', 'logit'"):
        class_scores(net, images, 1, score="margin")


def test_imagenet_model_wants_its_input_size():
    from course_utils.models import load_imagenet_model

    wrapped = load_imagenet_model("squeezenet", weights=None)
    with pytest.raises(ValueError, match="takes 227x227 images, got 100x100: load the image with model.load"):
        occlusion_sensitivity(wrapped, np.zeros((1, 100, 100, 3)), "African_elephant", progress=False)
