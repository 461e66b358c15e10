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
        self.fd, self.frames, self.problem, self._total = fd, [], "", 0
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
                if length > MAX_HEADER_BYTES:
                    raise ValueError("oversized frame header")
                header = json.loads(self._read(length) or b"null")
                size = int(header.get("size", 0)) if isinstance(header, dict) else -1
                if size < 0 or self._total + size > MAX_TOTAL_BYTES:
                    raise ValueError("malformed or oversized frame")
                payload = self._read(size) if size else b""
                if payload is None:
                    return
                self._total += size
                self.frames.append((header, payload))
        except (ValueError, TypeError, OSError, struct.error) as exc:
            self.problem = f"the answer channel was corrupted ({exc})"
        finally:
            os.close(self.fd)

    def join(self, timeout: float) -> list:
        self.thread.join(timeout)
        return list(self.frames)
