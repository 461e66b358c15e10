"""Gradient saliency, SmoothGrad and integrated gradients, checked against hand-built networks
whose answers are known in closed form."""
import numpy as np
import pytest

from course_utils import saliency


@pytest.fixture(scope="module")
def linear():
    """logit_c = w_c · x + b_c on a 4x4x3 image: every gradient is w_c, IG from 0 is w_c * x."""
    import keras

    inputs = keras.Input((4, 4, 3))
    out = keras.layers.Dense(2, name="logits")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, out)
    rng = np.random.default_rng(0)
    w = rng.normal(size=(48, 2)).astype("float32")
    model.get_layer("logits").set_weights([w, np.array([0.5, -1.0], "float32")])
    return model, w[:, 1].reshape(4, 4, 3)


@pytest.fixture(scope="module")
def small_convnet():
    import keras

    keras.utils.set_random_seed(1)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(3, 3, activation="tanh")(x)
    out = keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, out)


def image(shape, seed=2):
    return np.random.default_rng(seed).uniform(0, 1, shape).astype("float32")


def test_gradient_of_a_linear_logit_is_its_weights(linear):
    model, w = linear
    np.testing.assert_allclose(saliency.gradient_saliency(model, image((4, 4, 3)), 1), w, rtol=1e-5, atol=1e-6)


def test_smoothgrad_of_a_linear_logit_is_its_weights_whatever_the_noise(linear):
    model, w = linear
    np.testing.assert_allclose(saliency.smoothgrad(model, image((4, 4, 3)), 1, samples=7, noise=0.5),
                               w, rtol=1e-5, atol=1e-6)


def test_integrated_gradients_of_a_linear_logit_from_zero_is_weights_times_input(linear):
    model, w = linear
    x = image((4, 4, 3))
    result = saliency.integrated_gradients(model, x, 1, baseline=0.0, steps=4)
    np.testing.assert_allclose(result.attributions, w * x, rtol=1e-5, atol=1e-6)
    assert abs(result.completeness_gap) < 1e-4
    assert result.baseline_logit == pytest.approx(-1.0)           # the bias alone


def test_integrated_gradients_are_complete_on_a_nonlinear_net(small_convnet):
    x = image((8, 8, 3))
    coarse = saliency.integrated_gradients(small_convnet, x, 0, steps=4)
    fine = saliency.integrated_gradients(small_convnet, x, 0, steps=256)
    gap = abs(fine.logit - fine.baseline_logit)
    assert gap > 1e-3                                               # a test with something to add up
    assert abs(fine.completeness_gap) < 0.01 * gap + 1e-5
    assert abs(fine.completeness_gap) <= abs(coarse.completeness_gap) + 1e-6


def test_integrated_gradients_depend_on_the_baseline(small_convnet):
    x = image((8, 8, 3))
    same = saliency.integrated_gradients(small_convnet, x, 0, baseline=x, steps=8)
    assert np.all(same.attributions == 0) and same.logit == pytest.approx(same.baseline_logit)
    black = saliency.integrated_gradients(small_convnet, x, 0, baseline=0.0, steps=8).attributions
    other = saliency.integrated_gradients(small_convnet, x, 0, baseline=image((8, 8, 3), seed=9), steps=8).attributions
    assert not np.allclose(black, other)


def test_batched_gradients_equal_one_at_a_time(small_convnet):
    xs = np.stack([image((8, 8, 3), seed=s) for s in range(5)])
    batched, logits = saliency.input_gradients(small_convnet, xs, 2, batch_size=2)
    for i in range(5):
        np.testing.assert_allclose(batched[i], saliency.gradient_saliency(small_convnet, xs[i], 2),
                                   rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(logits, np.asarray(small_convnet(xs))[:, 2], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda m, x: saliency.integrated_gradients(m, x, 0, steps=0), "steps"),
    (lambda m, x: saliency.integrated_gradients(m, x, 0, steps=10 ** 6), "steps"),
    (lambda m, x: saliency.integrated_gradients(m, x, 0, baseline=np.zeros((5, 5, 3))), "same size"),
    (lambda m, x: saliency.smoothgrad(m, x, 0, noise=3.0), "noise"),
    (lambda m, x: saliency.smoothgrad(m, x, 0, samples=0), "samples"),
    (lambda m, x: saliency.gradient_saliency(m, x, 7), "class"),
])
def test_bad_arguments_are_named(small_convnet, call, message):
    with pytest.raises((ValueError, IndexError, TypeError, KeyError), match=message):
        call(small_convnet, image((8, 8, 3)))
