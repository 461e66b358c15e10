"""Chapter 1's model: the small cats-vs-dogs convnet of the Keras-3 walkthrough.

Build it, train it once, load the committed copy. Class 0 = cat, class 1 = dog.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

IMAGE_SIZE = (180, 180)
CLASS_NAMES = ("cat", "dog")
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MODEL_PATH = DATA_DIR / "small_convnet.keras"
RECORD_PATH = DATA_DIR / "small_convnet_training.json"


def build_small_convnet(seed: int = 1337):
    """Functional model: raw 0-255 pixels in, P(dog) out (augmentation is a nested block)."""
    import keras
    from keras import layers

    augmentation = keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(0.1, seed=seed),
            layers.RandomZoom(0.2, seed=seed),
        ],
        name="data_augmentation",
    )
    inputs = keras.Input(shape=IMAGE_SIZE + (3,), name="image")
    x = augmentation(inputs)
    x = layers.Rescaling(1.0 / 255, name="rescaling")(x)
    x = layers.Conv2D(32, 3, activation="relu", name="conv2d")(x)
    x = layers.MaxPooling2D(2, name="max_pooling2d")(x)
    x = layers.Conv2D(64, 3, activation="relu", name="conv2d_1")(x)
    x = layers.MaxPooling2D(2, name="max_pooling2d_1")(x)
    x = layers.Conv2D(128, 3, activation="relu", name="conv2d_2")(x)
    x = layers.MaxPooling2D(2, name="max_pooling2d_2")(x)
    x = layers.Conv2D(256, 3, activation="relu", name="conv2d_3")(x)
    x = layers.MaxPooling2D(2, name="max_pooling2d_3")(x)
    x = layers.Conv2D(256, 3, activation="relu", name="conv2d_4")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.5, seed=seed, name="dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="dog_probability")(x)
    return keras.Model(inputs, outputs, name="small_convnet")


def load_split(root: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """All images of one split as (uint8 N×180×180×3, labels), sorted by file name."""
    from .images import load_image

    paths, labels = [], []
    for label, name in enumerate(CLASS_NAMES):
        folder = Path(root) / split / name
        files = sorted(folder.glob("*.jpg"))
        if not files:
            raise FileNotFoundError(f"No JPEGs in {folder}: is the cats_vs_dogs_small asset complete?")
        paths += files
        labels += [label] * len(files)
    images = np.stack([load_image(p, IMAGE_SIZE)[0].astype(np.uint8) for p in paths])
    return images, np.asarray(labels, dtype="float32")


def train_small_convnet(data_root: Path, epochs: int = 45, seed: int = 1337, patience: int = 12,
                        model_path: Path = MODEL_PATH, record_path: Path = RECORD_PATH,
                        verbose="auto") -> dict:
    """Train from scratch, keep the best epoch by validation loss, write model + JSON record.

    `verbose="auto"` shows Keras's per-epoch progress bar; early stopping ends the run when
    the validation loss has not improved for `patience` epochs.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    splits = {s: load_split(data_root, s) for s in ("train", "validation", "test")}

    def dataset(split, shuffle):
        ds = tf.data.Dataset.from_tensor_slices(splits[split])
        if shuffle:
            ds = ds.shuffle(len(splits[split][1]), seed=seed, reshuffle_each_iteration=True)
        return ds.batch(32).prefetch(2)

    model = build_small_convnet(seed)
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    tmp_path = Path(str(model_path) + ".partial.keras")
    callbacks = [
        keras.callbacks.ModelCheckpoint(tmp_path, monitor="val_loss", save_best_only=True),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience),
    ]
    start = time.time()
    history = model.fit(dataset("train", True), validation_data=dataset("validation", False),
                        epochs=epochs, callbacks=callbacks, verbose=verbose)
    wall = time.time() - start
    best = keras.models.load_model(tmp_path)
    test_loss, test_acc = best.evaluate(dataset("test", False), verbose=0)
    os.replace(tmp_path, model_path)
    hist = {k: [round(float(v), 4) for v in vals] for k, vals in history.history.items()}
    record = {
        "seed": seed,
        "epochs_run": len(hist["loss"]),
        "epochs_max": epochs,
        "best_epoch": int(np.argmin(hist["val_loss"])) + 1,
        "history": hist,
        "test_loss": round(float(test_loss), 4),
        "test_accuracy": round(float(test_acc), 4),
        "train_images": int(len(splits["train"][1])),
        "validation_images": int(len(splits["validation"][1])),
        "test_images": int(len(splits["test"][1])),
        "wall_time_seconds": round(wall, 1),
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
    }
    Path(record_path).write_text(json.dumps(record, indent=2) + "\n")
    return record


def load_small_convnet(path: Path = MODEL_PATH):
    """The committed, trained model (no training needed to follow the course)."""
    import keras

    if not Path(path).is_file():
        raise FileNotFoundError(
            f"The trained small convnet is missing at {path}. It ships with the course; restore it "
            f"with `git checkout -- data/` or retrain it (about 20 minutes on a laptop CPU) with "
            f"`python -m course_utils train` (needs the cats_vs_dogs_small asset).")
    return keras.models.load_model(path)


def training_record(path: Path = RECORD_PATH) -> dict:
    return json.loads(Path(path).read_text())


def predict_dog_probability(model, images) -> np.ndarray:
    """P(dog) for a batch of 0-255 images (class 0 = cat, class 1 = dog)."""
    return np.asarray(model.predict(np.asarray(images, dtype="float32"), verbose=0))[:, 0]
