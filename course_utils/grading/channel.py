"""The one-way pipe that carries answers and events out of the sandbox.

A pipe, not files: a notebook can delete or rewrite files in its own folder, but it cannot
take back what the runner already sent. Each frame is a 4-byte length, a JSON header and
an optional payload (`header["size"]` bytes). The reader caps the total and stops at the
first malformed frame, so junk written into the pipe only spoils what comes after it.
"""
from __future__ import annotations

import json
import os
import struct
import threading

MAX_TOTAL_BYTES = 128 * 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS_BYTES = 8 * 1024 * 1024  # all headers together (parsed JSON takes several times its size)
MAX_FRAMES = 20_000


def send(fd: int, header: dict, payload: bytes = b"") -> None:
    header = dict(header, size=len(payload))
    raw = json.dumps(header).encode()
    data = struct.pack(">I", len(raw)) + raw + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class Reader:
    """Reads frames on a background thread into `frames` [(header, payload)]; `problem` says why it stopped early."""

    def __init__(self, fd: int):
        self.fd, self.frames, self.problem, self._total, self._headers = fd, [], "", 0, 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _read(self, n: int) -> bytes | None:
        chunks, left = [], n
        while left:
            chunk = os.read(self.fd, min(left, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _run(self) -> None:
        try:
            while True:
                head = self._read(4)
                if head is None:
                    return
                (length,) = struct.unpack(">I", head)
                self._headers += length
                if length > MAX_HEADER_BYTES or self._headers > MAX_HEADERS_BYTES:
                    raise ValueError("oversized frame header")
                header = json.loads((self._read(length) or b"null").decode("utf-8", "replace"))
                size = header.get("size", 0) if isinstance(header, dict) else -1
                # headers count too: a flood of empty frames is as bounded as one big one
                if type(size) is not int or size < 0 or self._total + length + size > MAX_TOTAL_BYTES \
                        or len(self.frames) >= MAX_FRAMES:
                    raise ValueError("malformed or oversized frame")
                payload = self._read(size) if size else b""
                if payload is None:
                    return
                self._total += length + size
                self.frames.append((header, payload))
        except Exception as exc:  # noqa: BLE001 - crafted frames (deep JSON: RecursionError) end the reading, never the grader
            self.problem = f"the answer channel was corrupted ({type(exc).__name__})"
        finally:
            os.close(self.fd)

    def join(self, timeout: float) -> list:
        self.thread.join(timeout)
        return list(self.frames)
