"""Answers cross the sandbox wall as plain .npz bytes: numbers, arrays, strings, never pickles.

`answer_bytes` runs inside the sandbox (on whatever the notebook produced); `load_answer`
runs in the grader and trusts nothing: size caps before and after decompression, no pickle,
no object arrays.
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


def answer_bytes(value: object) -> bytes:
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


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> np.ndarray:
    """One .npy member, decompressed as a stream that is never allowed past `budget` bytes.

    The array's size comes from its header and is checked against the budget before anything
    is allocated; then exactly that many bytes are read, so a member whose zip entry lies about
    its size (a bomb) is refused after at most `budget` + 1 bytes, never expanded in full."""
    with archive.open(info) as stream:
        version = np.lib.format.read_magic(stream)
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise AnswerFormatError(f"entry {info.filename!r} is not a plain array.")
        header = (np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = header(stream, max_header_size=4096)
        if dtype.hasobject:
            raise AnswerFormatError(f"entry {info.filename!r} holds Python objects, not numbers or text.")
        count = 1
        for size in shape:
            count *= int(size)
        nbytes = count * dtype.itemsize
        if nbytes > budget:
            raise AnswerFormatError(f"the answer expands beyond {MAX_ANSWER_BYTES / 1e6:.0f} MB.")
        data = bytearray()
        while len(data) <= nbytes:  # one byte more than promised: a longer stream is refused
            chunk = stream.read(min(1 << 20, nbytes + 1 - len(data)))
            if not chunk:
                break
            data += chunk
        if len(data) != nbytes:
            raise AnswerFormatError(f"entry {info.filename!r} does not hold the {nbytes} bytes its header declares.")
        array = np.frombuffer(bytes(data), dtype=dtype, count=count)
        return array.reshape(shape, order="F" if fortran else "C")


def _pickled_npy(data: bytes) -> bool:
    """A lone .npy whose header says object dtype (a pickle); read from the header only."""
    try:
        stream = io.BytesIO(data[:8192])
        version = np.lib.format.read_magic(stream)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        return header(stream, max_header_size=4096)[2].hasobject
    except Exception:  # noqa: BLE001 - not an .npy at all
        return False


def load_answer(data: bytes) -> np.ndarray | dict[str, np.ndarray]:
    """Read what `answer_bytes` made; dicts come back as dicts of arrays. Anything else → AnswerFormatError.

    Bounded before it costs anything: the bytes received, the number of entries, and the size
    after decompression (counted while decompressing, not taken from what the zip declares)."""
    if len(data) > MAX_ANSWER_BYTES:
        raise AnswerFormatError(f"the answer is {len(data) / 1e6:.0f} MB; the limit is {MAX_ANSWER_BYTES / 1e6:.0f} MB.")
    if not data.startswith(b"PK"):
        raise AnswerFormatError("the answer is unreadable (it holds pickled Python objects)." if _pickled_npy(data)
                                else "the answer is not an .npz archive.")
    entries, budget = {}, MAX_ANSWER_BYTES
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ENTRIES:
                raise AnswerFormatError(f"the answer has more than {MAX_ENTRIES} entries.")
            for info in infos:
                name = info.filename[:-4] if info.filename.endswith(".npy") else None
                if not name or name in entries:
                    raise AnswerFormatError("the stored answer has unexpected entries.")
                entries[name] = _read_member(archive, info, budget)
                budget -= entries[name].nbytes
    except AnswerFormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile and numpy raise many kinds on crafted input
        raise AnswerFormatError(f"the answer is unreadable ({type(exc).__name__}: {str(exc)[:120]}).") from None
    for array in entries.values():
        if array.dtype.kind in "US" and sum(len(str(x)) for x in np.ravel(array)) > MAX_TEXT_CHARS:
            raise AnswerFormatError(f"a text answer is longer than {MAX_TEXT_CHARS} characters.")
    if set(entries) == {"value"}:
        return entries["value"]
    if entries and all(name.startswith("k:") for name in entries):
        return {name[2:]: array for name, array in entries.items()}
    raise AnswerFormatError("the stored answer has unexpected entries.")
