"""Class heatmaps on hand-built networks whose right answer is known, and every bad input."""
import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import layers as L  # noqa: E402

from course_utils import cam, heatmaps, targets  # noqa: E402
from course_utils import model_io  # noqa: E402
from course_utils.layers import LayerNameError, feature_extractor  # noqa: E402

SIZE = 8


def two_colour_detector(head: str = "flatten"):
    """Channel 0 of 'conv' fires on red pixels, channel 1 on blue ones; class 0 reads channel 0,
    class 1 reads channel 1. So the evidence for a class sits exactly where its colour is."""
    inputs = keras.Input((SIZE, SIZE, 3))
    x = L.Conv2D(2, 1, activation="relu", name="conv")(inputs)
    if head == "flatten":
        x = L.Dense(2, name="scores")(L.Flatten(name="flatten")(x))
    else:
        x = L.Dense(2, name="scores")(L.GlobalAveragePooling2D(name="gap")(x))
    model = keras.Model(inputs, L.Activation("softmax", name="probs")(x), name=f"detector_{head}")
    model.get_layer("conv").set_weights([np.array([[[[1, 0], [0, 0], [0, 1]]]], "float32"), np.zeros(2, "float32")])
    if head == "flatten":
        kernel = np.zeros((SIZE * SIZE * 2, 2), "float32")
        kernel[0::2, 0] = 1  # flatten order is (row, col, channel): even entries are channel 0
        kernel[1::2, 1] = 1
    else:
        kernel = np.eye(2, dtype="float32")
    model.get_layer("scores").set_weights([kernel, np.zeros(2, "float32")])
    return model


def red_top_left_blue_bottom_right():
    image = np.zeros((SIZE, SIZE, 3), "float32")
    image[:2, :2, 0] = 1.0
    image[-3:, -3:, 2] = 0.5
    return image


@pytest.mark.parametrize("head", ["flatten", "gap"])
@pytest.mark.parametrize("method", [cam.grad_cam, cam.grad_cam_plus_plus])
def test_heatmap_peak_sits_where_the_class_evidence_is(head, method):
    model, image = two_colour_detector(head), red_top_left_blue_bottom_right()
    red = method(model, image, 0, "conv")
    blue = method(model, image, 1, "conv")
    assert red.shape == (SIZE, SIZE) and red.min() >= 0 and red.max() == pytest.approx(1.0)
    assert red[:2, :2].min() == pytest.approx(1.0) and red.sum() == pytest.approx(4.0)  # top-left only
    assert blue[-3:, -3:].min() == pytest.approx(1.0) and blue.sum() == pytest.approx(9.0)  # bottom-right only
    assert heatmaps.peak_location(red) == (0, 0)


def random_gap_net(head: str, classes: int = 5, channels: int = 4, seed: int = 0):
    """conv → ReLU → GAP → head, random weights with both signs (so softmax ≠ logit gradients)."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6, 6, 3))
    if head == "identity":  # SqueezeNet's head: one conv channel per class, no dense
        x = L.Conv2D(classes, 3, padding="same", name="conv")(inputs)
        x = L.GlobalAveragePooling2D()(L.Activation("relu", name="conv_relu")(x))
        return keras.Model(inputs, L.Activation("softmax")(x)), "conv_relu"
    x = L.Conv2D(channels, 3, padding="same", activation="relu", name="conv")(inputs)
    x = L.Dropout(0.3)(L.GlobalAveragePooling2D()(x))
    if head == "dense_softmax":
        return keras.Model(inputs, L.Dense(classes, activation="softmax")(x)), "conv"
    return keras.Model(inputs, L.Activation("softmax")(L.Dense(classes)(x))), "conv"


@pytest.mark.parametrize("head", ["identity", "dense_softmax", "dense_then_softmax"])
def test_cam_equals_grad_cam_on_the_logit_for_gap_heads(head):
    model, layer = random_gap_net(head)
    image = np.random.default_rng(1).normal(size=(6, 6, 3)).astype("float32")
    activation = np.asarray(feature_extractor(model, [layer])(image[None]))[0]
    for index in range(5):
        class_map = cam.class_activation_map(model, image, index)
        assert np.allclose(class_map, cam.grad_cam(model, image, index, layer), atol=1e-5)
        if head == "identity":
            expected = np.maximum(activation[..., index], 0)
        else:
            expected = np.maximum(activation @ cam.gap_head(model)[1][:, index], 0)
        if expected.max() > 0:
            assert np.allclose(class_map, expected / expected.max(), atol=1e-5)


def test_grad_cam_plus_plus_matches_the_closed_form_on_a_gap_head():
    model, layer = random_gap_net("dense_then_softmax", channels=3)
    image = np.random.default_rng(2).normal(size=(6, 6, 3)).astype("float32")
    activation = np.asarray(feature_extractor(model, [layer])(image[None]))[0]
    kernel = cam.gap_head(model)[1]
    for index in range(5):
        g = kernel[:, index] / 36.0  # d logit / d A_k(i, j): constant over the 6x6 map
        alpha = g ** 2 / np.where(2 * g ** 2 + activation.sum(axis=(0, 1)) * g ** 3 != 0,
                                  2 * g ** 2 + activation.sum(axis=(0, 1)) * g ** 3, 1)
        expected = np.maximum(activation @ (36 * alpha * np.maximum(g, 0)), 0)
        if expected.max() > 0:
            got = cam.grad_cam_plus_plus(model, image, index, layer)
            assert np.allclose(got, expected / expected.max(), atol=1e-4)


def test_gallery_equals_separate_grad_cams_from_one_forward_pass(monkeypatch):
    keras.utils.set_random_seed(2)  # a seed where every layer has some positive evidence for class 2
    model = keras.Sequential([keras.Input((12, 12, 3)),
                              L.Conv2D(4, 3, activation="relu", name="block1_conv"),
                              L.Conv2D(4, 3, activation="relu", name="block1_conv_b"),
                              L.MaxPooling2D(name="block1_pool"),
                              L.Conv2D(3, 3, activation="relu", name="block2_conv"),
                              L.GlobalAveragePooling2D(), L.Dense(3), L.Activation("softmax")])
    image = np.random.default_rng(3).uniform(size=(12, 12, 3)).astype("float32")
    assert cam.conv_block_layers(model) == ["block1_pool", "block2_conv"]
    layers = ["block1_conv", "block1_conv_b", "block2_conv"]
    separate = {n: cam.grad_cam(model, image, 2, n) for n in layers}
    assert all(m.max() == pytest.approx(1.0) for m in separate.values())  # nothing trivially zero
    calls = []
    real = cam.feature_extractor

    def counting(net, names, example=None):
        extractor = real(net, names, example)
        return lambda *a, **k: calls.append(names) or extractor(*a, **k)

    monkeypatch.setattr(cam, "feature_extractor", counting)
    gallery = cam.grad_cam_gallery(model, image, 2, layers)
    assert len(calls) == 1
    assert list(gallery) == layers
    for name in layers:
        assert np.allclose(gallery[name], separate[name], atol=1e-6)
    plus = cam.grad_cam_gallery(model, image, 2, layers, method="grad_cam++")
    assert np.allclose(plus["block2_conv"], cam.grad_cam_plus_plus(model, image, 2, "block2_conv"), atol=1e-6)


def test_conv_block_layers_fall_back_to_every_conv_layer():
    model = two_colour_detector()
    assert cam.conv_block_layers(model) == ["conv"] == model_io.spatial_conv_layers(model)


def test_guided_backprop_is_zero_where_the_input_is_negative_and_known_elsewhere():
    # 1x1 conv (weight 2) → guided ReLU → GAP → dense weight 3: gradient 2*3/16 where x > 0
    inputs = keras.Input((4, 4, 1))
    x = L.Conv2D(1, 1, activation="relu", name="conv")(inputs)
    x = L.Dense(1, activation="sigmoid", name="score")(L.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, x)
    model.get_layer("conv").set_weights([np.full((1, 1, 1, 1), 2.0, "float32"), np.zeros(1, "float32")])
    model.get_layer("score").set_weights([np.full((1, 1), 3.0, "float32"), np.zeros(1, "float32")])
    image = np.random.default_rng(4).normal(size=(4, 4, 1)).astype("float32")
    saliency = cam.guided_backprop(model, image, 1)  # class 1: the logit z itself
    assert saliency.shape == (4, 4, 1)
    assert np.allclose(saliency, np.where(image > 0, 6.0 / 16, 0.0))
    # class 0 scores -z: its gradient is negative everywhere, and guided ReLUs pass none of it
    assert np.all(cam.guided_backprop(model, image, 0) == 0)


def test_one_sigmoid_unit_scores_two_classes_like_chapter_1s_cat_dog_model():
    inputs = keras.Input((SIZE, SIZE, 3))
    x = L.Conv2D(2, 1, activation="relu", name="conv")(inputs)
    model = keras.Model(inputs, L.Dense(1, activation="sigmoid", name="p")(L.GlobalAveragePooling2D()(x)))
    model.get_layer("conv").set_weights([np.array([[[[1, 0], [0, 0], [0, 1]]]], "float32"), np.zeros(2, "float32")])
    model.get_layer("p").set_weights([np.array([[1.0], [-1.0]], "float32"), np.zeros(1, "float32")])
    image = red_top_left_blue_bottom_right()  # z = mean(red) - mean(blue): red says 1, blue says 0
    assert targets.n_classes(model) == 2
    assert heatmaps.peak_location(cam.grad_cam(model, image, 1, "conv")) == (0, 0)
    assert heatmaps.peak_location(cam.grad_cam(model, image, 0, "conv")) == (5, 5)
    assert np.allclose(cam.grad_cam(model, image, 0, "conv"), cam.class_activation_map(model, image, 0))
    with pytest.raises(ValueError, match="has 2 classes"):
        cam.grad_cam(model, image, 2, "conv")


def test_guided_grad_cam_keeps_detail_only_where_grad_cam_is_hot():
    model, image = two_colour_detector(), red_top_left_blue_bottom_right()
    image[4, 0, 0] = 0.01  # a faint red pixel far from the corner: tiny heat, tiny detail
    detail = cam.guided_grad_cam(model, image, 0, "conv")
    heat = heatmaps.upsample(cam.grad_cam(model, image, 0, "conv"), (SIZE, SIZE))
    assert detail.shape == (SIZE, SIZE, 3)
    assert np.all(detail[heat == 0] == 0)
    assert np.abs(detail[:2, :2]).max() > 0
    assert np.abs(detail[-3:, -3:]).max() == 0  # the blue corner is no evidence for class 0


def test_heatmap_dispatches_every_method_to_a_2d_map_in_0_1():
    model, image = two_colour_detector("gap"), red_top_left_blue_bottom_right()
    for method in cam.METHODS:
        heat = cam.heatmap(model, image, 0, "conv", method)
        assert heat.shape == (SIZE, SIZE) and 0 <= heat.min() and heat.max() == pytest.approx(1.0)
        assert heatmaps.peak_location(heat) == (0, 0)
    with pytest.raises(ValueError, match="'Grad-CAM'"):
        cam.heatmap(model, image, 0, "conv", "gradcam")


def test_no_positive_evidence_gives_zeros_and_says_so():
    model = two_colour_detector()
    image = np.zeros((SIZE, SIZE, 3), "float32")
    image[..., 0] = 1.0  # all red: nothing blue for class 1
    with pytest.warns(UserWarning, match="zero everywhere"):
        heat = cam.grad_cam(model, image, 1, "conv")
    assert np.all(heat == 0)


# ---------------------------------------------------------------- bad input

def test_dense_layer_is_refused_with_the_spatial_conv_layers_listed():
    with pytest.raises(LayerNameError, match=r"'scores' is a dense layer.*Spatial conv layers: conv"):
        cam.grad_cam(two_colour_detector(), red_top_left_blue_bottom_right(), 0, "scores")


def test_global_pooling_layer_is_refused():
    with pytest.raises(LayerNameError, match=r"'gap' is a global pooling layer.*no spatial grid"):
        cam.grad_cam(two_colour_detector("gap"), red_top_left_blue_bottom_right(), 0, "gap")


def test_unknown_layer_lists_close_and_valid_names():
    with pytest.raises(LayerNameError, match=r"no layer named 'con'.*Did you mean 'conv'"):
        cam.grad_cam(two_colour_detector(), red_top_left_blue_bottom_right(), 0, "con")
    with pytest.raises(TypeError, match="layer's name"):
        cam.grad_cam(two_colour_detector(), red_top_left_blue_bottom_right(), 0, 3)


@pytest.mark.parametrize("index", [2, -1, 1000])
def test_class_index_out_of_range_says_how_many_classes(index):
    with pytest.raises(ValueError, match="has 2 classes, so indices run from 0 to 1"):
        cam.grad_cam(two_colour_detector(), red_top_left_blue_bottom_right(), index, "conv")


def test_class_name_on_a_plain_keras_model_or_a_non_class_is_refused():
    with pytest.raises(TypeError, match="need an ImageNetModel"):
        cam.grad_cam(two_colour_detector(), red_top_left_blue_bottom_right(), "cat", "conv")
    with pytest.raises(TypeError, match="int index"):
        cam.grad_cam(two_colour_detector(), red_top_left_blue_bottom_right(), True, "conv")


def test_a_batch_of_two_images_is_refused():
    with pytest.raises(ValueError, match="one image at a time"):
        cam.grad_cam(two_colour_detector(), np.zeros((2, SIZE, SIZE, 3)), 0, "conv")


def test_layer_off_the_score_path_is_refused():
    inputs = keras.Input((SIZE, SIZE, 3))
    trunk = L.Conv2D(2, 1, name="trunk")(inputs)
    side = L.Conv2D(2, 1, name="side")(inputs)
    model = keras.Model(inputs, [L.Dense(2)(L.Flatten()(trunk)), side])
    with pytest.raises(LayerNameError, match="does not feed the class score"):
        cam.grad_cam(model, red_top_left_blue_bottom_right(), 0, "side")


def test_cam_without_a_gap_head_points_to_grad_cam():
    with pytest.raises(ValueError, match=r"ends probs ← scores ← flatten.*Use grad_cam"):
        cam.class_activation_map(two_colour_detector(), red_top_left_blue_bottom_right(), 0)


def test_gallery_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="'grad_cam', 'grad_cam\\+\\+'"):
        cam.grad_cam_gallery(two_colour_detector(), red_top_left_blue_bottom_right(), 0, method="cam")


# ---------------------------------------------------------------- ImageNet wrapper (random weights)

@pytest.fixture(scope="module")
def squeezenet():
    from course_utils.models import load_imagenet_model

    return load_imagenet_model("squeezenet", weights=None)


def test_imagenet_model_takes_names_0_255_images_and_teaches_on_bad_ones(squeezenet):
    image = np.random.default_rng(5).uniform(0, 255, size=(1, 227, 227, 3)).astype("float32")
    before = image.copy()
    by_name = cam.grad_cam(squeezenet, image, "African_elephant", "fire9_concat")
    assert np.array_equal(image, before)  # preprocessing worked on a copy
    assert by_name.shape == (13, 13)
    assert np.allclose(by_name, cam.grad_cam(squeezenet, image, 386, "fire9_concat"))
    assert np.allclose(cam.class_activation_map(squeezenet, image, 386),
                       cam.grad_cam(squeezenet, image, 386, "conv10"), atol=1e-5)
    with pytest.raises(ValueError, match="African_elephant"):
        cam.grad_cam(squeezenet, image, "African_elefant", "fire9_concat")
    with pytest.raises(ValueError, match="load the image with model.load"):
        cam.grad_cam(squeezenet, image[:, :200], 386, "fire9_concat")
    with pytest.raises(LayerNameError, match="global pooling.*fire9_expand3x3"):
        cam.grad_cam(squeezenet, image, 386, "avg_pool")
    assert cam.conv_block_layers(squeezenet) == ["conv1_relu"] + [f"fire{i}_concat" for i in range(2, 10)] + ["conv10_relu"]


# ---------------------------------------------------------------- measuring and the photo

# ---------------------------------------------------------------- the widget's callback

def test_cam_view_overlays_the_chosen_class_and_caches_heatmaps(monkeypatch):
    from course_utils.widgets import cam as cam_widget

    model, image = two_colour_detector("gap"), red_top_left_blue_bottom_right() * 255
    calls = []
    real = cam.heatmap
    monkeypatch.setattr(cam, "heatmap", lambda *a: calls.append(a[2:]) or real(*a))
    cache = {}
    blended, caption = cam_widget.cam_view(model, image, 1, "conv", "Grad-CAM", 0.4, cache)
    assert blended.shape == (SIZE, SIZE, 3) and blended.dtype == np.uint8
    assert "Grad-CAM for class 1 at conv" in caption and "(row 5, col 5)" in caption  # first cell of the blue corner
    unchanged, _ = cam_widget.cam_view(model, image, 1, "conv", "Grad-CAM", 0.0, cache)
    assert np.array_equal(unchanged, np.rint(image).astype("uint8")) and len(calls) == 1  # opacity: no recompute
    _, caption = cam_widget.cam_view(model, image, 0, "conv", "CAM", 0.5, cache)
    assert "CAM always reads the pooled layer" in caption and "(row 0, col 0)" in caption
    with pytest.raises(ValueError, match="'Grad-CAM++'"):
        cam_widget.cam_view(model, image, 0, "conv", "gradcam")


def test_top_classes_and_the_explorer_wiring():
    from course_utils.widgets import cam as cam_widget

    model, image = two_colour_detector(), red_top_left_blue_bottom_right()
    image[-3:, -3:, 2] = 5.0  # more blue than red: class 1 first
    classes = cam_widget.top_classes(model, image, k=2)
    assert [index for _, index in classes] == [1, 0] and classes[0][0].startswith("class 1 (")
    box = cam_widget.cam_explorer(model, image)
    klass, layer = box.children[0].children
    method, opacity = box.children[1].children
    assert klass.value == 1 and layer.value == "conv" and opacity.value == pytest.approx(0.4)
    method.value = "CAM"  # no GAP head: the explorer prints the reason instead of failing
    opacity.value = 0.8


def test_top_classes_of_one_sigmoid_unit_offers_both_classes():
    from course_utils.widgets import cam as cam_widget

    inputs = keras.Input((SIZE, SIZE, 3))
    model = keras.Model(inputs, L.Dense(1, activation="sigmoid", kernel_initializer="ones")(L.Flatten()(inputs)))
    classes = cam_widget.top_classes(model, np.full((SIZE, SIZE, 3), 0.01, "float32"))
    assert [index for _, index in classes] == [1, 0]  # sigmoid(1.92) = 0.87 for class 1
    assert classes[0][0] == "class 1 (0.87)" and classes[1][0] == "class 0 (0.13)"
