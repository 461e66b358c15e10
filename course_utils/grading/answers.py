"""Answers cross the sandbox wall as plain .npz bytes: numbers, arrays, strings, never pickles.

`answer_bytes` runs inside the sandbox (on whatever the notebook produced); `load_answer`
runs in the grader and trusts nothing: size cap, no pickle, no object arrays.
"""
from __future__ import annotations

import io
import zipfile

import numpy as np

MAX_ANSWER_BYTES = 32 * 1024 * 1024   # sent, and again after decompression
MAX_ENTRIES = 64
MAX_TEXT_CHARS = 4000                 # a free-text answer (shown to the teacher, escaped in reports)


class AnswerFormatError(ValueError):
    """An answer that cannot be stored or read back as plain numbers/strings."""


def _plain(value, where: str) -> np.ndarray:
    if hasattr(value, "numpy") and callable(value.numpy):  # tf / keras tensors
        value = value.numpy()
    if isinstance(value, (tuple, list)) and any(isinstance(v, (tuple, list, np.ndarray)) for v in value):
        shapes = {np.shape(v) for v in value}
        if len(shapes) != 1:
            raise AnswerFormatError(f"{where} is a list of pieces with different shapes {sorted(shapes)}.")
    try:
        array = np.asarray(value)
    except Exception as exc:  # ragged lists, odd objects
        raise AnswerFormatError(f"{where} could not be turned into an array: {exc}") from None
    if array.dtype == object:
        raise AnswerFormatError(f"{where} holds Python objects ({type(value).__name__}), not numbers or text.")
    return array


def _missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_missing(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_missing(v) for v in value)
    return False


def answer_bytes(value) -> bytes:
    """One answer as .npz bytes: a dict of str → (number | text | array) or a single such value."""
    if _missing(value):
        raise AnswerFormatError("the answer is still None: the stub has not been filled in.")
    if isinstance(value, dict):
        entries = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise AnswerFormatError(f"dictionary keys must be strings; got {key!r}.")
            entries["k:" + key] = _plain(item, f"entry {key!r}")
    else:
        entries = {"value": _plain(value, "the answer")}
    buffer = io.BytesIO()
    np.savez(buffer, **entries)
    return buffer.getvalue()


def load_answer(data: bytes):
    """Read what `answer_bytes` made; dicts come back as dicts of arrays. Anything else → AnswerFormatError."""
    if len(data) > MAX_ANSWER_BYTES:
        raise AnswerFormatError(f"the answer is {len(data) / 1e6:.0f} MB; the limit is {MAX_ANSWER_BYTES / 1e6:.0f} MB.")
    try:  # the sizes a zip declares bound what reading it can produce, so check them first
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception:  # noqa: BLE001 - not a zip at all: np.load below says what it is
        infos = []
    if len(infos) > MAX_ENTRIES or sum(info.file_size for info in infos) > MAX_ANSWER_BYTES:
        raise AnswerFormatError(f"the answer expands beyond {MAX_ANSWER_BYTES / 1e6:.0f} MB or "
                                f"{MAX_ENTRIES} entries.")
    try:
        loaded = np.load(io.BytesIO(data), allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise AnswerFormatError("the answer is not an .npz archive.")
        with loaded:
            entries = {name: loaded[name] for name in loaded.files}
    except AnswerFormatError:
        raise
    except Exception as exc:  # numpy raises many kinds on crafted input
        raise AnswerFormatError(f"the answer is unreadable ({type(exc).__name__}: {str(exc)[:120]}).") from None
    for array in entries.values():
        if array.dtype.kind in "US" and sum(len(str(x)) for x in np.ravel(array)) > MAX_TEXT_CHARS:
            raise AnswerFormatError(f"a text answer is longer than {MAX_TEXT_CHARS} characters.")
    if set(entries) == {"value"}:
        return entries["value"]
    if all(name.startswith("k:") for name in entries):
        return {name[2:]: array for name, array in entries.items()}
    raise AnswerFormatError("the stored answer has unexpected entries.")
