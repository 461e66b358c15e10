"""Chapters 4 and 5's boxes: pixels from fractions, the mask, and naming where a pixel is."""
import numpy as np

from course_utils.walkthrough import animal_boxes, box_mask, boxes_at


def test_boxes_scale_with_the_image_and_name_the_pixel():
    boxes = animal_boxes(True, (100, 200))
    assert boxes["calf"] == (34, 33, 110, 60)          # x from the width, y from the height
    assert boxes_at(boxes, 40, 50) == "calf"
    assert boxes_at(boxes, 40, 100) == "calf, mother"   # the boxes overlap there
    assert boxes_at(boxes, 95, 5) == "no box"
    assert boxes_at(boxes, 60, 50) == "no box"          # y1 is exclusive, as in slicing


def test_mask_is_the_union_of_the_boxes():
    boxes = {"a": (0, 0, 2, 2), "b": (1, 1, 3, 3)}
    mask = box_mask(boxes, (4, 4))
    assert mask.sum() == 7 and mask.dtype == bool
    assert np.array_equal(mask[3], [False] * 4)
    assert list(animal_boxes(False, (10, 10))) == ["cat"]  # the photo used without the elephants
