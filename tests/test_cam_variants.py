"""Layer-CAM, Eigen-CAM and Score-CAM: closed-form cases on synthetic activations and
hand-built networks, as tests/test_cam.py does for Grad-CAM."""
import numpy as np
import pytest

from course_utils import cam, cam_variants as cv


def test_layer_cam_is_grad_cam_when_gradients_are_positive_and_flat():
    rng = np.random.default_rng(0)
    act = rng.uniform(0, 1, (5, 5, 4)).astype("float32")
    grad = np.broadcast_to(np.array([0.5, 1.0, 2.0, 0.1], "float32"), (5, 5, 4))
    np.testing.assert_allclose(cv.layer_cam_from(act, grad), cam.grad_cam_from(act, grad), rtol=1e-5)


def test_layer_cam_keeps_positive_gradient_where_it_is():
    act = np.ones((2, 2, 1), "float32")
    grad = np.array([[[1.0], [-3.0]], [[0.0], [2.0]]], "float32")   # Grad-CAM's mean would be 0
    np.testing.assert_allclose(cv.layer_cam_from(act, grad), [[0.5, 0.0], [0.0, 1.0]])


def test_eigen_cam_of_a_rank_one_layer_is_its_spatial_pattern():
    rng = np.random.default_rng(1)
    pattern = rng.uniform(0, 1, (6, 6))
    act = (pattern[..., None] * rng.uniform(0.5, 1.5, 8)).astype("float32")   # every channel ∝ pattern
    expected = np.maximum(pattern - pattern.mean(), 0)
    np.testing.assert_allclose(cv.eigen_cam_from(act), expected / expected.max(), atol=1e-5)
    np.testing.assert_allclose(cv.eigen_cam_from(-act[..., ::-1] + 2 * act[..., ::-1]),   # sign fixed
                               expected / expected.max(), atol=1e-5)


@pytest.fixture(scope="module")
def two_sided():
    """Image channel 0 holds a 'cat' (left), channel 1 a 'dog' (right). Layer 'feat' copies them
    (1x1 identity conv + ReLU); class 0's logit is 4 × mean(cat) − 4 × mean(dog), class 1's the
    opposite (GAP + dense + softmax)."""
    import keras

    inputs = keras.Input((8, 8, 2))
    feat = keras.layers.Conv2D(2, 1, activation="relu", use_bias=False, name="feat")(inputs)
    logits = keras.layers.Dense(2, name="head")(keras.layers.GlobalAveragePooling2D()(feat))
    model = keras.Model(inputs, keras.layers.Activation("softmax")(logits))
    model.get_layer("feat").set_weights([np.eye(2, dtype="float32")[None, None]])
    model.get_layer("head").set_weights([np.array([[4.0, -4.0], [-4.0, 4.0]], "float32"), np.zeros(2, "float32")])
    return model


def cat_and_dog():
    x = np.zeros((8, 8, 2), "float32")
    x[2:6, 0:3, 0] = 1.0          # the cat, left
    x[1:7, 5:8, 1] = 0.8          # the dog, right
    return x


def side(heat):
    cols = heat.sum(axis=0)
    return "left" if cols[:4].sum() > cols[4:].sum() else "right"


def feature_maps(model, x):
    import keras

    return np.asarray(keras.Model(model.inputs, model.get_layer("feat").output)(x[None]))[0]


def test_score_cam_is_class_discriminative_eigen_cam_is_not(two_sided):
    x = cat_and_dog()
    assert side(cv.score_cam(two_sided, x, 0, "feat")) == "left"
    assert side(cv.score_cam(two_sided, x, 1, "feat")) == "right"
    assert side(cv.layer_cam(two_sided, x, 0, "feat")) == "left"
    assert side(cv.layer_cam(two_sided, x, 1, "feat")) == "right"
    eigen = cv.eigen_cam(two_sided, x, "feat")           # one map, whatever the class
    assert eigen.shape == (8, 8) and eigen.max() == pytest.approx(1.0)
    with pytest.raises(TypeError):
        cv.eigen_cam(two_sided, x, 0, "feat")             # there is no class to give


def test_score_cam_batched_equals_one_pass_per_channel(two_sided):
    x = cat_and_dog()
    for c in (0, 1):
        np.testing.assert_allclose(cv.score_cam(two_sided, x, c, "feat", batch_size=32),
                                   cv.score_cam(two_sided, x, c, "feat", batch_size=1), atol=1e-6)


def test_score_cam_weights_are_probability_gains_over_a_black_image(two_sided):
    """By hand: mask the image with each channel scaled to 0…1, read the class probability,
    subtract the black image's (0.5 here: equal logits)."""
    x = cat_and_dog()
    act = feature_maps(two_sided, x)
    black = float(np.asarray(two_sided(np.zeros_like(x)[None]))[0, 0])
    assert black == pytest.approx(0.5)
    weights = []
    for k in range(2):
        mask = (act[..., k] - act[..., k].min()) / (act[..., k].max() - act[..., k].min())
        weights.append(float(np.asarray(two_sided((x * mask[..., None])[None]))[0, 0]) - black)
    assert weights[0] > 0 > weights[1]
    raw = np.maximum(act @ np.array(weights, "float32"), 0)
    np.testing.assert_allclose(cv.score_cam(two_sided, x, 0, "feat"), raw / raw.max(), atol=1e-5)


def test_layer_cam_on_a_real_layer_matches_its_from_function(two_sided):
    (act,), (grad,), _ = cam.layer_gradients(two_sided, cat_and_dog(), 1, ["feat"])
    np.testing.assert_allclose(cv.layer_cam(two_sided, cat_and_dog(), 1, "feat"),
                               cv.layer_cam_from(act, grad))


@pytest.mark.parametrize("call, message", [
    (lambda m, x: cv.score_cam(m, x, 0, "nope"), "nope"),
    (lambda m, x: cv.score_cam(m, x, 0, "feat", batch_size=0), "batch_size"),
    (lambda m, x: cv.eigen_cam(m, x, "head"), "head"),
    (lambda m, x: cv.layer_cam(m, x, 5, "feat"), "class"),
])
def test_bad_arguments_are_named(two_sided, call, message):
    with pytest.raises((ValueError, KeyError, IndexError), match=message):
        call(two_sided, cat_and_dog())


def test_score_cams_shares_its_passes_and_matches_one_class_at_a_time(two_sided):
    x = cat_and_dog()
    both = cv.score_cams(two_sided, x, [0, 1], "feat")
    assert len(both) == 2 and side(both[0]) == "left" and side(both[1]) == "right"
    for c, heat in zip((0, 1), both):
        np.testing.assert_allclose(heat, cv.score_cam(two_sided, x, c, "feat", batch_size=1), atol=1e-6)


@pytest.mark.parametrize("classes", [[], 0, "cat"])
def test_score_cams_wants_a_list_of_classes(two_sided, classes):
    with pytest.raises(ValueError, match="list of classes"):
        cv.score_cams(two_sided, cat_and_dog(), classes, "feat")


def test_score_cams_names_a_bad_class(two_sided):
    with pytest.raises((ValueError, IndexError), match="class"):
        cv.score_cams(two_sided, cat_and_dog(), [0, 7], "feat")
