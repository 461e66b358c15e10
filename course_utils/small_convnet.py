"""Chapter 1's model: the small cats-vs-dogs convnet of the Keras-3 walkthrough.

Build it, train it once, load the committed copy. Class 0 = cat, class 1 = dog.

Keras 3 trap, decided here once: random augmentation layers augment on every plain
``model(x)`` call unless ``training=False`` is passed. So the committed model holds **no**
augmentation: ``load_small_convnet()`` returns a deterministic inference model, and the
augmentation block (``build_augmentation``) lives beside it and is stacked in front only for
training (``training_graph``). Chapter 1 shows the trap with ``training_graph``.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .paths import DATA_DIR

if TYPE_CHECKING:
    import keras

IMAGE_SIZE = (180, 180)
CLASS_NAMES = ("cat", "dog")
MODEL_PATH = DATA_DIR / "small_convnet.keras"
RECORD_PATH = DATA_DIR / "small_convnet_training.json"


def build_augmentation(seed: int = 1337) -> keras.Sequential:
    """The random flips, rotations, zooms and shifts used while training (never at inference)."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(0.1, seed=seed),
            # Zoom in further than out: the course's test cats are close-up faces.
            layers.RandomZoom((-0.3, 0.2), seed=seed),
            layers.RandomTranslation(0.1, 0.1, seed=seed),
        ],
        name="data_augmentation",
    )


def build_small_convnet(seed: int = 1337) -> keras.Model:
    """Functional inference model: raw 0-255 pixels in, P(dog) out. Deterministic on every call."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=IMAGE_SIZE + (3,), name="image")
    x = layers.Rescaling(1.0 / 255, name="rescaling")(inputs)
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


def training_graph(model: keras.Model, augmentation: keras.Model | None = None,
                   seed: int = 1337) -> keras.Model:
    """Augmentation stacked in front of `model`, as the walkthrough builds it for training.

    Calling this graph without ``training=False`` augments: two calls on one image give two
    answers. That is what training needs and what inference must never do.
    """
    import keras

    augmentation = augmentation if augmentation is not None else build_augmentation(seed)
    inputs = keras.Input(shape=IMAGE_SIZE + (3,), name="image")
    return keras.Model(inputs, model(augmentation(inputs)), name="small_convnet_training")


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


def _save_best_inner_model(model, path: Path):
    """Keras callback: save `model` (the inference part) whenever val_loss improves."""
    import keras

    class SaveBest(keras.callbacks.Callback):
        best = np.inf

        def on_epoch_end(self, epoch, logs=None):
            val_loss = (logs or {}).get("val_loss", np.inf)
            if val_loss < self.best:
                self.best = val_loss
                model.save(path)

    return SaveBest()


def train_small_convnet(data_root: Path, epochs: int = 100, seed: int = 1337,
                        learning_rate: float = 1e-3, model_path: Path = MODEL_PATH,
                        record_path: Path = RECORD_PATH, verbose: str | int = "auto") -> dict:
    """Train from scratch, keep the best epoch by validation loss, write model + JSON record.

    Recipe: the walkthrough's (augmentation, dropout 0.5, RMSprop, batch 32) for `epochs`
    epochs with a cosine-decayed learning rate; the saved model is the inference part only.
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
    trainer = training_graph(model, build_augmentation(seed))
    steps = epochs * int(np.ceil(len(splits["train"][1]) / 32))
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps, alpha=0.02)
    trainer.compile(loss="binary_crossentropy", optimizer=keras.optimizers.RMSprop(schedule),
                    metrics=["accuracy"])
    tmp_path = Path(f"{model_path}.{os.getpid()}.partial.keras")
    start = time.time()
    history = trainer.fit(dataset("train", True), validation_data=dataset("validation", False),
                          epochs=epochs, callbacks=[_save_best_inner_model(model, tmp_path)],
                          verbose=verbose)
    wall = time.time() - start
    best = keras.models.load_model(tmp_path)
    best.compile(loss="binary_crossentropy", metrics=["accuracy"])
    test_loss, test_acc = best.evaluate(dataset("test", False), verbose=0)
    os.replace(tmp_path, model_path)
    hist = {k: [round(float(v), 4) for v in vals] for k, vals in history.history.items()}
    record = {
        "seed": seed,
        "recipe": {"augmentation": [layer.__class__.__name__ for layer in build_augmentation(seed).layers],
                   "optimizer": "RMSprop", "learning_rate": learning_rate,
                   "schedule": "cosine decay to 2%", "batch_size": 32, "selection": "best val_loss"},
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
        # oneDNN (off by default on AVX2-only CPUs) changes the speed and the last bits, not the model file.
        "tf_enable_onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", ""),
    }
    Path(record_path).write_text(json.dumps(record, indent=2) + "\n")
    return record


def load_small_convnet(path: Path = MODEL_PATH) -> keras.Model:
    """The committed, trained inference model (no augmentation inside; no training needed)."""
    import keras

    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_small_convnet takes the path of a .keras file, not {type(path).__name__}.")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; load_small_convnet takes the model file itself, "
                                f"e.g. {MODEL_PATH.name} (the default when no path is given).")
    if not path.is_file():
        raise FileNotFoundError(
            f"The trained small convnet is missing at {path}. It ships with the course; restore it "
            f"with `git checkout -- data/` or retrain it (about an hour on a laptop CPU) with "
            f"`python -m course_utils train` (needs the cats_vs_dogs_small asset).")
    try:
        return keras.models.load_model(path)
    except Exception as exc:  # zip, h5 or config errors: all mean the file is not a whole model
        raise OSError(
            f"The trained small convnet at {path} is damaged ({type(exc).__name__}); restore it "
            f"with `git checkout -- {path.name if path.parent == DATA_DIR else path}` or retrain "
            f"it with `python -m course_utils train`.") from None


def training_record(path: Path = RECORD_PATH) -> dict:
    return json.loads(Path(path).read_text())


def predict_dog_probability(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """P(dog) for a batch of 0-255 images (class 0 = cat, class 1 = dog), in inference mode."""
    from .model_io import network_input

    # predict() runs in inference mode and in batches (a whole test split would not fit at once).
    return np.asarray(model.predict(network_input(model, images), batch_size=32, verbose=0))[:, 0]
