"""Adebayo et al.'s data randomisation test: one model trained on true labels, one on shuffled labels.

Both are chapter 1's small-convnet pattern (conv/pool blocks, one sigmoid unit; class 0 = cat,
class 1 = dog) shrunk to 64×64 pixels and trained the same way on the same subset of
cats_vs_dogs_small, so the only difference is the labels. The shuffled-label model can only
memorise: it reaches high train accuracy and chance validation accuracy. A saliency method
whose map for it still looks like the true-label model's map is not explaining what the model
learnt. ``python -m course_utils.label_randomization`` trains both and writes
data/label_randomization_*.keras and data/label_randomization_training.json.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from .paths import DATA_DIR
from .small_convnet import CLASS_NAMES

if TYPE_CHECKING:
    import keras

IMAGE_SIZE = (64, 64)
TRAIN_PER_CLASS = 250  # small enough to memorise random labels in minutes on a laptop CPU
VARIANTS = ("true_labels", "shuffled_labels")
RECORD_PATH = DATA_DIR / "label_randomization_training.json"


def model_path(variant: str) -> Path:
    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant {variant!r}; choose one of {VARIANTS}.")
    return DATA_DIR / f"label_randomization_{variant}.keras"


def build_model(seed: int = 1337) -> keras.Model:
    """Chapter 1's block pattern at 64×64, without dropout (memorising must be possible)."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=IMAGE_SIZE + (3,), name="image")
    x = layers.Rescaling(1.0 / 255, name="rescaling")(inputs)
    for i, filters in enumerate((32, 64, 128)):
        x = layers.Conv2D(filters, 3, activation="relu", name=f"conv2d_{i}")(x)
        x = layers.MaxPooling2D(2, name=f"max_pooling2d_{i}")(x)
    x = layers.Conv2D(128, 3, activation="relu", name="conv2d_last")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="dog_probability")(x)
    return keras.Model(inputs, outputs, name="label_randomization_convnet")


def load_subset(root: Path, split: str, per_class: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The first `per_class` photos of each class (sorted by name) at 64×64, uint8, with labels."""
    from .images import load_image

    images, labels = [], []
    for label, name in enumerate(CLASS_NAMES):
        folder = Path(root) / split / name
        files = sorted(folder.glob("*.jpg"))[:per_class]
        if not files:
            raise FileNotFoundError(f"No JPEGs in {folder}: is the cats_vs_dogs_small asset complete?")
        images += [load_image(p, IMAGE_SIZE)[0].astype(np.uint8) for p in files]
        labels += [label] * len(files)
    return np.stack(images), np.asarray(labels, dtype="float32")


def shuffled(labels: np.ndarray, seed: int) -> np.ndarray:
    """The same labels in a fixed random order: same class balance, no link to the image."""
    return np.random.default_rng(seed).permutation(labels)


def _train_one(train, validation, labels, epochs, seed, path, log) -> dict:
    import keras

    model = build_model(seed)
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    start = time.time()

    class Progress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            log(f"  epoch {epoch + 1}/{epochs}: acc {logs.get('accuracy', 0):.3f} "
                f"val_acc {logs.get('val_accuracy', 0):.3f} ({time.time() - start:.0f} s)")

    history = model.fit(train[0], labels, validation_data=validation, epochs=epochs, batch_size=32,
                        shuffle=True, verbose=0, callbacks=[Progress()])
    wall = time.time() - start
    model.save(path)
    train_loss, train_acc = model.evaluate(train[0], labels, verbose=0)
    val_loss, val_acc = model.evaluate(*validation, verbose=0)
    return {
        "history": {k: [round(float(v), 4) for v in vals] for k, vals in history.history.items()},
        "final_train_accuracy": round(float(train_acc), 4),  # on the labels it was trained on
        "final_validation_accuracy": round(float(val_acc), 4),  # on the true labels
        "final_train_loss": round(float(train_loss), 4),
        "final_validation_loss": round(float(val_loss), 4),
        "wall_time_seconds": round(wall, 1),
        "file_bytes": Path(path).stat().st_size,
    }


def train_both(data_root: Path, epochs: int = 60, seed: int = 1337, label_seed: int = 0,
               record_path: Path = RECORD_PATH, log: Callable[[str], object] = print) -> dict:
    """Train the true-label and the shuffled-label model the same way; write both and the record."""
    import keras
    import tensorflow as tf

    train = load_subset(data_root, "train", TRAIN_PER_CLASS)
    validation = load_subset(data_root, "validation", None)
    labels = {"true_labels": train[1], "shuffled_labels": shuffled(train[1], label_seed)}
    record = {
        "purpose": "Adebayo et al. 2018 data randomisation test (chapter 5)",
        "image_size": list(IMAGE_SIZE), "train_images": int(len(train[1])),
        "validation_images": int(len(validation[1])), "seed": seed, "label_seed": label_seed,
        "labels_agreeing_after_shuffle": round(float(np.mean(labels["shuffled_labels"] == train[1])), 4),
        "recipe": {"optimizer": "Adam", "learning_rate": 1e-3, "batch_size": 32, "epochs": epochs,
                   "augmentation": None, "dropout": None, "selection": "last epoch"},
        "keras_version": keras.__version__, "tensorflow_version": tf.__version__,
        "tf_enable_onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", ""),
        "models": {},
    }
    for variant in VARIANTS:
        log(f"training {variant} ({epochs} epochs, {len(train[1])} images)")
        record["models"][variant] = _train_one(train, validation, labels[variant], epochs, seed,
                                               model_path(variant), log)
        Path(record_path).write_text(json.dumps(record, indent=2) + "\n")
    return record


def load_model(variant: str) -> keras.Model:
    import keras

    path = model_path(variant)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; it ships with the course. Restore it with "
                                f"`git checkout -- data/` or retrain with `python -m course_utils.label_randomization`.")
    return keras.models.load_model(path)


def training_record(path: Path = RECORD_PATH) -> dict:
    return json.loads(Path(path).read_text())


if __name__ == "__main__":
    from .assets import asset_path

    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    rec = train_both(asset_path("cats_vs_dogs_small"), epochs=epochs,
                     log=lambda line: print(line, flush=True))
    print(json.dumps({v: {k: m[k] for k in ("final_train_accuracy", "final_validation_accuracy")}
                      for v, m in rec["models"].items()}))
