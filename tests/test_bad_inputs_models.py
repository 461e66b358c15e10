"""Issue 14, class 6: model shapes the methods cannot explain as they stand get the course's
message (or, for a final Softmax layer, the right answer: the logit is read, not the probability)."""
import numpy as np
import pytest

X = np.random.default_rng(0).uniform(0, 255, (1, 16, 16, 3)).astype("float32")


def _head_models():
    """The same network ending in Activation("softmax") and in a keras.layers.Softmax layer."""
    import keras
    from keras import layers

    inp = keras.Input((16, 16, 3))
    h = layers.Conv2D(4, 3, activation="relu", name="c1")(inp)
    logits = layers.Dense(3, name="logits")(layers.GlobalAveragePooling2D()(h))
    as_activation = keras.Model(inp, layers.Activation("softmax", name="act")(logits))
    as_layer = keras.Model(inp, layers.Softmax(name="sm")(logits))
    return as_activation, as_layer


def test_softmax_layer_is_read_through_to_the_logit():
    from course_utils.cam import grad_cam
    from course_utils.targets import logit_head

    as_activation, as_layer = _head_models()
    assert logit_head(as_layer)[0] == "logits"
    np.testing.assert_allclose(grad_cam(as_layer, X, 1, "c1"), grad_cam(as_activation, X, 1, "c1"), atol=1e-5)


def test_unbuilt_sequential_gets_build_it_message():
    import keras
    from keras import layers

    from course_utils.cam import grad_cam
    from course_utils.filters import filter_patterns

    for call in (lambda m: grad_cam(m, X, 1, "sc1"),
                 lambda m: filter_patterns(m, "sc1", [0], steps=2, progress=False)):
        seq = keras.Sequential([layers.Conv2D(4, 3, name="sc1"), layers.GlobalAveragePooling2D(), layers.Dense(2)])
        with pytest.raises(ValueError, match=r"has not been built.*keras.Input"):
            call(seq)


def test_model_without_conv_layers_in_the_gallery():
    import keras
    from keras import layers

    from course_utils.cam import grad_cam_gallery

    dense_only = keras.Sequential([keras.Input((16, 16, 3)), layers.Flatten(), layers.Dense(2)])
    with pytest.raises(ValueError, match="has no spatial conv layers"):
        grad_cam_gallery(dense_only, X, 1)


def test_two_input_model_is_named():
    import keras
    from keras import layers

    from course_utils.cam import grad_cam

    a, b = keras.Input((16, 16, 3)), keras.Input((4,))
    h = layers.GlobalAveragePooling2D()(layers.Conv2D(2, 3, name="tc")(a))
    two = keras.Model([a, b], layers.Dense(2)(layers.Concatenate()([h, b])))
    with pytest.raises(ValueError, match="takes 2 inputs"):
        grad_cam(two, X, 1, "tc")


def test_input_layer_is_not_a_grad_cam_layer():
    from course_utils.cam import grad_cam
    from course_utils.layers import LayerNameError

    as_activation, _ = _head_models()
    with pytest.raises(LayerNameError, match="is the model's input.*Spatial conv layers: c1"):
        grad_cam(as_activation, X, 1, as_activation.layers[0].name)


def test_too_small_size_aborted_by_onednn_gets_use_a_larger_size():
    """oneDNN reports some too-small inputs as AbortedError, not InvalidArgumentError."""
    import tensorflow as tf

    from course_utils import filters

    def aborts(*args, **kwargs):
        raise tf.errors.AbortedError(None, None, "Operation received an exception: oneDNN")

    with pytest.raises(ValueError, match="Use a larger size"):
        filters._layer_map(aborts, "c1", np.zeros((1, 5, 5, 3), "float32"))


def test_truncated_small_convnet_says_damaged_restore_with_git(tmp_path):
    from course_utils.small_convnet import MODEL_PATH, load_small_convnet

    if not MODEL_PATH.is_file():
        pytest.skip(f"{MODEL_PATH} is not in this checkout")
    cut = tmp_path / "small_convnet.keras"
    cut.write_bytes(MODEL_PATH.read_bytes()[:50_000])
    with pytest.raises(OSError, match="is damaged.*restore it with `git checkout") as err:
        load_small_convnet(cut)
    assert not isinstance(err.value, FileNotFoundError)


def test_too_small_pattern_size_is_refused_before_onednn_can_kill_the_kernel():
    """With oneDNN on, SqueezeNet's 3x3 max pooling on a 1x1 map dies with SIGFPE: no Python
    error, a dead kernel. Keras's shape rules must refuse such sizes before any kernel runs.
    Run in a fresh interpreter, so a crash fails this test instead of killing pytest."""
    import os
    import subprocess
    import sys

    probe = (
        "import numpy as np, course_utils\n"
        "from course_utils import filters\n"
        "from course_utils.models import load_imagenet_model\n"
        "m = load_imagenet_model('squeezenet', weights=None)\n"
        "calls = [lambda s: filters.optimize_patterns(m, 'fire3_expand3x3', [0], steps=1, size=s, progress=False),\n"
        "         lambda s: filters.pattern_activations(m, 'fire3_expand3x3', [0], np.zeros((1, s, s, 3)))]\n"
        "for s in (3, 4):\n"
        "    for call in calls:\n"
        "        try:\n"
        "            call(s)\n"
        "            print('no error', s)\n"
        "        except ValueError as exc:\n"
        "            print('refused', s, 'Use a larger size' in str(exc))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "TF_ENABLE_ONEDNN_OPTS": "1"})
    assert out.returncode == 0, f"the interpreter died (exit {out.returncode}): {out.stderr[-1500:]}"
    assert out.stdout.split("\n")[-5:-1] == ["refused 3 True", "refused 3 True", "refused 4 True", "refused 4 True"], out.stdout
