"""model_with_relu_rule: hand-built nets whose guided / deconvnet gradients are known by hand."""
import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
from keras import layers as L  # noqa: E402

from course_utils.relu_rules import model_with_relu_rule  # noqa: E402

W = np.array([[1.0], [-1.0], [1.0], [-1.0]], dtype="float32")
X = np.array([[1.0, 2.0, -1.0, -2.0]], dtype="float32")
# y = sum_i W_i relu(x_i); the gradient w.r.t. x_i, worked out by hand for each rule:
EXPECTED = {
    None: [1.0, -1.0, 0.0, 0.0],       # plain: W_i where x_i > 0
    "guided": [1.0, 0.0, 0.0, 0.0],    # W_i where x_i > 0 and W_i > 0
    "deconvnet": [1.0, 0.0, 1.0, 0.0],  # W_i where W_i > 0, whatever x_i
}


def _input_gradient(model, x):
    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = tf.reduce_sum(model(t))
    return tape.gradient(y, t).numpy()


def _relu_then_linear(relu_layer):
    inputs = keras.Input((4,))
    outputs = L.Dense(1, use_bias=False, name="score")(relu_layer(inputs))
    model = keras.Model(inputs, outputs)
    model.get_layer("score").set_weights([W])
    return model


@pytest.mark.parametrize("make_relu", [lambda: L.Activation("relu", name="act"), lambda: L.ReLU(name="act")],
                         ids=["Activation", "ReLU"])
@pytest.mark.parametrize("rule", ["guided", "deconvnet"])
def test_separate_relu_layers_follow_the_rule(make_relu, rule):
    model = _relu_then_linear(make_relu())
    assert np.allclose(_input_gradient(model, X)[0], EXPECTED[None])  # the original is untouched
    clone = model_with_relu_rule(model, rule)
    assert clone.relu_layers == ("act",)
    assert np.allclose(_input_gradient(clone, X)[0], EXPECTED[rule])
    assert np.allclose(clone(X), model(X))


@pytest.mark.parametrize("rule", ["guided", "deconvnet"])
def test_relu_inside_a_dense_layer_follows_the_rule(rule):
    # identity dense with activation="relu" (x -> relu(x)), then the fixed linear read-out
    inputs = keras.Input((4,))
    hidden = L.Dense(4, activation="relu", name="hidden")(inputs)
    model = keras.Model(inputs, L.Dense(1, use_bias=False, name="score")(hidden))
    model.get_layer("hidden").set_weights([np.eye(4, dtype="float32"), np.zeros(4, "float32")])
    model.get_layer("score").set_weights([W])
    clone = model_with_relu_rule(model, rule)
    assert clone.relu_layers == ("hidden",)
    assert np.allclose(_input_gradient(clone, X)[0], EXPECTED[rule])


def test_guided_gradient_is_zero_where_the_input_is_negative_in_an_image_net():
    rng = np.random.default_rng(0)
    image = rng.normal(size=(1, 6, 6, 1)).astype("float32")
    inputs = keras.Input((6, 6, 1))
    x = L.Activation("relu", name="act")(inputs)
    x = L.Conv2D(2, 3, padding="same", activation="relu", name="conv")(x)
    model = keras.Model(inputs, L.Dense(1)(L.Flatten()(x)))
    guided = _input_gradient(model_with_relu_rule(model, "guided"), image)
    deconv = _input_gradient(model_with_relu_rule(model, "deconvnet"), image)
    assert np.all(guided[image <= 0] == 0)
    assert np.all(guided >= 0)  # only positive gradient survives the first ReLU
    assert np.any(deconv[image <= 0] != 0)  # the deconvnet ignores the forward mask
    assert np.count_nonzero(guided[image > 0]) > 0


def test_nested_sub_model_relus_are_rewritten_and_forward_pass_is_identical():
    block = keras.Sequential([keras.Input((5, 5, 2)), L.Conv2D(3, 3, activation="relu", name="inner")],
                             name="block")
    inputs = keras.Input((5, 5, 2))
    model = keras.Model(inputs, L.Dense(2)(L.GlobalAveragePooling2D()(block(inputs))))
    clone = model_with_relu_rule(model, "guided")
    assert "inner" in clone.relu_layers
    x = np.random.default_rng(1).normal(size=(2, 5, 5, 2)).astype("float32")
    assert np.allclose(clone(x), model(x), atol=1e-6)


def test_clones_are_cached_per_model_and_rule_and_refresh_copies_new_weights():
    model = _relu_then_linear(L.Activation("relu", name="act"))
    guided = model_with_relu_rule(model, "guided")
    assert model_with_relu_rule(model, "guided") is guided
    assert model_with_relu_rule(model, "deconvnet") is not guided
    model.get_layer("score").set_weights([-W])
    assert np.allclose(guided(X), -model(X))  # a snapshot until refreshed
    assert model_with_relu_rule(model, "guided", refresh=True) is guided
    assert np.allclose(guided(X), model(X))


def test_imagenet_style_wrapper_is_unwrapped():
    class Wrapper:
        def __init__(self, model):
            self.model = model

    model = _relu_then_linear(L.Activation("relu", name="act"))
    assert model_with_relu_rule(Wrapper(model), "guided") is model_with_relu_rule(model, "guided")


def test_unknown_rule_is_named_with_the_valid_ones():
    model = _relu_then_linear(L.Activation("relu"))
    with pytest.raises(ValueError, match="'guided'.*'deconvnet'"):
        model_with_relu_rule(model, "guidance")


def test_model_without_relu_says_the_rule_changes_nothing():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, L.Dense(1, activation="tanh")(inputs))
    with pytest.raises(ValueError, match="no ReLU"):
        model_with_relu_rule(model, "guided")


def test_leaky_relu_layer_is_refused_clearly():
    model = _relu_then_linear(L.ReLU(negative_slope=0.1))
    with pytest.raises(NotImplementedError, match="plain ReLU"):
        model_with_relu_rule(model, "deconvnet")


def test_not_a_model_is_refused():
    with pytest.raises(TypeError, match="Keras model"):
        model_with_relu_rule("xception", "guided")
