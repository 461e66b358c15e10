"""Inside the sandbox: run a notebook cell by cell and store each exercise's answer.

No Jupyter kernel: IPython's shell runs the cells in this process, so a cell that raises
only loses its own work, a cell that runs too long is interrupted and the next cell runs,
and each answer is sent to the grader (through a pipe, see channel.py) right before its
check cell, so a notebook that kills itself or deletes its files later keeps the answers it
had. Everything here may be tampered with by the notebook itself; the grader only takes
plain arrays from the pipe, and checks them.
"""
from __future__ import annotations

import io
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

MAX_OUTPUT_CHARS = 20_000


class CellTimeout(BaseException):
    """Raised by the alarm when one cell or one answer takes too long."""


class CappedStream(io.TextIOBase):
    """stdout/stderr that keeps the first MAX_OUTPUT_CHARS and drops the rest."""

    def __init__(self):
        self.kept, self.dropped = [], 0

    def write(self, text: str) -> int:
        used = sum(map(len, self.kept))
        room = max(0, MAX_OUTPUT_CHARS - used)
        self.kept.append(text[:room])
        self.dropped += max(0, len(text) - room)
        return len(text)

    def flush(self) -> None:
        pass


def _alarm(seconds: float):
    """Interrupt the cell after `seconds` of this process's CPU time (all threads): CPU time, not
    wall time, so a cell slowed down by a busy neighbour is not cut short. A cell that sleeps
    uses none; the grader's wall-clock limit on the whole notebook stops that."""
    def handler(signum, frame):
        raise CellTimeout(f"used more than {seconds:.0f} s of CPU time")
    signal.signal(signal.SIGPROF, handler)
    signal.setitimer(signal.ITIMER_PROF, seconds)


def _disarm():
    signal.setitimer(signal.ITIMER_PROF, 0)


class Log:
    """Sends events and answers to the grader through the pipe it gave us."""

    def __init__(self, fd: int):
        self.fd = fd

    def write(self, **event: object) -> None:
        from course_utils.grading.channel import send

        send(self.fd, {"kind": "event", "event": event})

    def answer(self, exercise_id: str, payload: bytes) -> None:
        from course_utils.grading.channel import send

        send(self.fd, {"kind": "answer", "exercise": exercise_id}, payload)


def collect(shell: Any, exercise: dict, log: Log, cell_seconds: float) -> None:
    from course_utils.grading.answers import answer_bytes

    try:
        _alarm(cell_seconds)
        value = eval(exercise["answer"], shell.user_ns)
        payload = answer_bytes(value)
        _disarm()
        log.answer(exercise["id"], payload)
        log.write(exercise=exercise["id"], collected=True)
    except BaseException as exc:  # SystemExit, timeouts, anything the notebook throws
        _disarm()
        log.write(exercise=exercise["id"], collected=False, error=f"{type(exc).__name__}: {exc}"[:500])


def run(notebook: Path, job: dict, log: Log) -> None:
    import nbformat
    from IPython.core.interactiveshell import InteractiveShell

    nb = nbformat.read(notebook, as_version=4)
    shell = InteractiveShell.instance()
    by_check = {ex["id"]: ex for ex in job["exercises"]}
    collected = set()
    cell_seconds = float(job["cell_seconds"])
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        check_of = (cell.metadata.get("grading") or {}).get("check")
        if check_of in by_check:
            collect(shell, by_check[check_of], log, cell_seconds)
            collected.add(check_of)
        stream = CappedStream()
        sys.stdout = sys.stderr = stream
        try:
            _alarm(cell_seconds)
            result = shell.run_cell(cell.source, store_history=False, silent=False)
            _disarm()
            error = result.error_in_exec or result.error_before_exec
        except BaseException as exc:  # SystemExit escapes run_cell in some IPython versions
            _disarm()
            error = exc
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        if error is not None:
            log.write(cell=index, error=f"{type(error).__name__}: {error}"[:500])
        if stream.dropped:
            log.write(cell=index, output_dropped=stream.dropped)
    for exercise in job["exercises"]:
        if exercise["id"] not in collected:
            collect(shell, exercise, log, cell_seconds)
    log.write(finished=True)


def main() -> None:
    notebook, job_path, channel_fd = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    job = json.loads(job_path.read_text())
    log = Log(channel_fd)
    try:
        run(notebook, job, log)
    except BaseException as exc:
        log.write(runner_error=f"{type(exc).__name__}: {exc}"[:300])
        raise


if __name__ == "__main__":
    main()
