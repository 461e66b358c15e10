"""One class target: which number every method explains (the logit), checked by hand."""
import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import layers as L  # noqa: E402

from course_utils import cam, targets  # noqa: E402
from course_utils.occlusion import occlusion_drops  # noqa: E402


def softmax_model():
    inputs = keras.Input((4, 4, 3))
    x = L.Conv2D(2, 1, name="conv", kernel_initializer="ones")(inputs)
    x = L.GlobalAveragePooling2D()(x)
    out = L.Dense(3, activation="softmax", name="head",
                  kernel_initializer=keras.initializers.Constant([[1.0, -1.0, 0.5], [0.0, 2.0, 0.5]]),
                  bias_initializer=keras.initializers.Constant([0.1, 0.2, 0.3]))(x)
    return keras.Model(inputs, out)


def sigmoid_model():
    inputs = keras.Input((4, 4, 3))
    x = L.Conv2D(1, 1, activation="relu", name="conv", kernel_initializer="ones")(inputs)
    out = L.Dense(1, activation="sigmoid", kernel_initializer="ones")(L.Flatten()(x))
    return keras.Model(inputs, out)


def test_softmax_target_reads_the_pre_softmax_logit():
    net, image = softmax_model(), np.full((4, 4, 3), 0.25, "float32")
    pooled = np.array([0.75, 0.75])  # every conv channel sums the three 0.25s
    logits = pooled @ np.array([[1.0, -1.0, 0.5], [0.0, 2.0, 0.5]]) + [0.1, 0.2, 0.3]
    target = targets.class_target(net, 1)
    assert (target.index, target.n_classes, target.single_sigmoid) == (1, 3, False)
    assert targets.class_scores(net, image[None], target, score="logit")[0] == pytest.approx(logits[1], rel=1e-5)
    probability = np.exp(logits) / np.exp(logits).sum()
    assert targets.class_scores(net, image[None], 1)[0] == pytest.approx(probability[1], rel=1e-5)
    np.testing.assert_allclose(np.asarray(targets.logit_model(net)(image[None])), [logits], rtol=1e-5)


def test_single_sigmoid_is_two_classes_minus_z_and_z():
    net, image = sigmoid_model(), np.full((4, 4, 3), 0.01, "float32")
    z = 16 * 3 * 0.01  # relu(sum of channels) summed over 16 pixels
    p = 1 / (1 + np.exp(-z))
    for index, logit, probability in ((0, -z, 1 - p), (1, z, p)):
        target = targets.class_target(net, index)
        assert target.single_sigmoid and target.n_classes == 2
        assert targets.class_scores(net, image[None], index, score="logit")[0] == pytest.approx(logit, rel=1e-5)
        assert targets.class_scores(net, image[None], index)[0] == pytest.approx(probability, rel=1e-5)
    np.testing.assert_allclose(targets.class_probabilities(net, [[p]]), [[1 - p, p]])


def test_every_method_explains_the_same_number():
    # Class 0 of one sigmoid unit scores -z: its input gradient is minus class 1's, and an
    # occluding patch that lowers z raises class 0's score (a negative drop).
    net, image = sigmoid_model(), np.random.default_rng(0).random((4, 4, 3)).astype("float32")
    g0, g1 = cam.guided_backprop(net, image, 0), cam.guided_backprop(net, image, 1)
    assert np.abs(g1).max() > 0 and np.all(g0 <= 0)  # guided: only positive signals pass back
    d0 = occlusion_drops(net, image, 0, patch=2, stride=2, fill=0.0, progress=False).drops
    d1 = occlusion_drops(net, image, 1, patch=2, stride=2, fill=0.0, progress=False).drops
    np.testing.assert_allclose(d0, -d1, rtol=1e-5)
    assert np.all(d1 > 0)


def test_a_target_is_checked_against_the_model_it_is_used_with():
    # (index errors are tested with resolve_class in test_model_io)
    three = targets.class_target(softmax_model(), 2)
    with pytest.raises(ValueError, match="has 2 classes, so indices run from 0 to 1"):
        targets.class_target(sigmoid_model(), three)
    net = sigmoid_model()
    with pytest.raises(ValueError, match="score must be one of"):
        targets.class_scores(net, np.zeros((1, 4, 4, 3)), 0, score="margin")
