"""The plumbing every explanation method shares: input, classes, logits, conv layers."""
import keras
import numpy as np
import pytest
from keras import layers as L

from course_utils import model_io, targets


def sigmoid_model():
    inputs = keras.Input((4, 4, 3))
    x = L.Conv2D(2, 1, activation="relu", name="conv")(inputs)
    x = L.MaxPooling2D(2, name="pool")(x)
    return keras.Model(inputs, L.Dense(1, activation="sigmoid", name="p")(L.GlobalAveragePooling2D()(x)))


@pytest.fixture(scope="module")
def squeezenet():
    from course_utils.models import load_imagenet_model

    return load_imagenet_model("squeezenet", weights=None)


def test_network_input_takes_one_image_or_a_batch_and_always_copies():
    images = np.random.default_rng(0).uniform(0, 255, (3, 4, 4, 3)).astype("float32")
    batch = model_io.network_input(sigmoid_model(), images)
    assert batch.shape == (3, 4, 4, 3) and batch is not images and np.array_equal(batch, images)
    one = model_io.network_input(sigmoid_model(), images[1])
    assert one.shape == (1, 4, 4, 3) and np.array_equal(one[0], images[1])
    with pytest.raises(ValueError, match=r"\(H, W, C\) or a batch"):
        model_io.network_input(sigmoid_model(), images[0, 0])


def test_imagenet_model_input_is_preprocessed_on_a_copy(squeezenet):
    images = np.random.default_rng(1).uniform(0, 255, (2, 227, 227, 3)).astype("float32")
    before = images.copy()
    x = model_io.network_input(squeezenet, images)
    assert np.array_equal(images, before)
    np.testing.assert_allclose(x, squeezenet.preprocess(images))
    with pytest.raises(ValueError, match="takes 227x227 images, got 100x100"):
        model_io.network_input(squeezenet, images[:, :100, :100])


def test_one_sigmoid_unit_is_two_classes_with_logits_minus_z_and_z():
    net = sigmoid_model()
    assert targets.n_outputs(net) == 1 and targets.n_classes(net) == 2
    assert targets.resolve_class(net, np.int64(1)) == 1
    head, to_logits = targets.logit_head(net)
    assert head != "p"  # the logits are recomputed from the dense layer's input
    z = np.asarray(to_logits(np.array([[0.5, 2.0]], "float32")))
    kernel, bias = (np.asarray(w) for w in net.get_layer("p").get_weights())
    expected = np.array([[0.5, 2.0]]) @ kernel + bias
    np.testing.assert_allclose(z, np.concatenate([-expected, expected], axis=1), rtol=1e-6)


def test_resolve_class_errors_say_what_to_pass(squeezenet):
    net = sigmoid_model()
    with pytest.raises(ValueError, match="has 2 classes, so indices run from 0 to 1"):
        targets.resolve_class(net, 2)
    with pytest.raises(TypeError, match="need an ImageNetModel"):
        targets.resolve_class(net, "dog")
    with pytest.raises(TypeError, match="int index"):
        targets.resolve_class(net, 1.0)
    assert targets.resolve_class(squeezenet, "African elephant") == 386
    with pytest.raises(ValueError, match="has 1000 classes"):
        targets.resolve_class(squeezenet, 1000)


def test_spatial_conv_layers_unwrap_imagenet_models(squeezenet):
    assert model_io.spatial_conv_layers(sigmoid_model()) == ["conv"]
    names = model_io.spatial_conv_layers(squeezenet)
    assert names == model_io.spatial_conv_layers(squeezenet.model)
    assert names[0] == "conv1" and names[-1] == "conv10"
