"""Chapter 5's data randomisation test: the two committed models and their training record."""
import numpy as np
import pytest

from course_utils import label_randomization as lr
from course_utils.images import chelsea, load_image


@pytest.fixture(scope="module")
def record():
    return lr.training_record()


def test_record_describes_a_fair_comparison(record):
    """Same images, seed and recipe for both; only the labels differ."""
    assert set(record["models"]) == set(lr.VARIANTS)
    assert record["image_size"] == list(lr.IMAGE_SIZE)
    assert record["train_images"] == 2 * lr.TRAIN_PER_CLASS
    # a shuffle that kept most labels would not destroy the link to the image
    assert 0.4 < record["labels_agreeing_after_shuffle"] < 0.6
    epochs = record["recipe"]["epochs"]
    for variant, r in record["models"].items():
        assert len(r["history"]["loss"]) == len(r["history"]["val_accuracy"]) == epochs, variant


def test_shuffled_model_memorised_and_is_at_chance(record):
    r = record["models"]["shuffled_labels"]
    assert r["final_train_accuracy"] > 0.9, "it must fit its random labels, or the test says nothing"
    assert abs(r["final_validation_accuracy"] - 0.5) < 0.05, "it must know nothing about new photos"


def test_true_label_model_generalises_better(record):
    true, shuffled = record["models"]["true_labels"], record["models"]["shuffled_labels"]
    assert true["final_train_accuracy"] > 0.9
    assert true["final_validation_accuracy"] > shuffled["final_validation_accuracy"] + 0.08


def test_committed_models_are_small_and_match_the_architecture(record):
    reference = lr.build_model()
    for variant in lr.VARIANTS:
        path = lr.model_path(variant)
        assert path.stat().st_size < 5_000_000, f"{path.name} is over 5 MB"
        model = lr.load_model(variant)
        assert [w.shape for w in model.weights] == [w.shape for w in reference.weights]
        assert model.input_shape == (None,) + lr.IMAGE_SIZE + (3,)


def test_models_differ_on_a_photo():
    """Two distinct trained models, not one file saved twice."""
    x = load_image(chelsea(), lr.IMAGE_SIZE)
    p = [float(lr.load_model(v)(x, training=False)[0, 0]) for v in lr.VARIANTS]
    assert p[0] != p[1]


def test_shuffle_is_a_fixed_permutation():
    labels = np.repeat([0.0, 1.0], 50)
    a, b = lr.shuffled(labels, 0), lr.shuffled(labels, 0)
    assert np.array_equal(a, b) and sorted(a) == sorted(labels) and not np.array_equal(a, labels)


def test_unknown_variant_and_missing_file_say_what_to_do(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="true_labels"):
        lr.model_path("random")
    monkeypatch.setattr(lr, "DATA_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match="retrain"):
        lr.load_model("true_labels")
