"""Hostile and broken submissions for the grader, generated from the chapter 2 master.

Each one is the solved chapter 2 notebook with the cell of exercise 2.3 replaced by an attack,
so exercises 2.1 and 2.2 stay right: a test can tell that an attack cost exactly the exercise
it sat in. The second item of each entry is a regular expression the grader's feedback for
exercise 2.3 must match.

    python tests/hostile_submissions/hostile.py OUT_DIR   # write them, e.g. to try `make grade`
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

TARGET = "ex2_3"
REPO = Path(__file__).resolve().parents[2]

# name → (code that replaces the exercise 2.3 cell, regular expression the feedback must match)
HOSTILE = {
    "infinite_loop": ("while True:\n    pass", "CellTimeout"),
    "exception": ("raise RuntimeError('my code is broken')", "RuntimeError"),
    "sys_exit": ("import sys\nsys.exit(3)", "SystemExit"),
    "os_exit": ("import os\nos._exit(0)", "ended its own process"),
    "kill_kernel": ("import ctypes\nctypes.string_at(0)  # segfault: the process running the notebook dies", "segfault"),
    "kill_everything": ("import os, signal\nfor target in (-1, os.getppid(), 1):\n    try:\n        os.kill(target, signal.SIGKILL)\n"
                        "    except OSError:\n        pass\nplain = blurred = roughness = activation = None", "still None"),
    "delete_files": ("import shutil, glob\nfor path in ['" + str(REPO) + "/course_utils', '" + str(REPO) + "/solutions', '"
                     + str(REPO) + "/tests', '/tmp'] + glob.glob('/tmp/course-grading-*'):\n"
                     "    shutil.rmtree(path, ignore_errors=True)\nplain = blurred = roughness = activation = None", "still None"),
    "rewrite_checker": ("from pathlib import Path\nimport course_utils.grading as g\nroot = Path(g.__file__).parent\n"
                        "for name in ['hidden/tests.py', 'checks.py', 'harness.py', 'runner.py', 'answers.py']:\n"
                        "    try:\n        (root / name).write_text('def grade(*a):\\n    return 1.0, \"hacked\"\\n')\n"
                        "    except OSError as exc:\n        print('blocked:', exc)\n"
                        "plain = blurred = np.zeros((32, 32, 3)); roughness = activation = [0.0, 0.0]", "normalised ascent steps"),
    "read_hidden_tests": ("from pathlib import Path\nimport json, course_utils.grading as g\nroot = Path(g.__file__).parent\n"
                          "plain = blurred = roughness = activation = None\nfor path in [root / 'hidden' / 'masters' / 'ch2.py', root / 'hidden' / 'tests.py',\n"
                          "             Path('" + str(REPO) + "/solutions/02_exercises_solutions.ipynb')]:\n"
                          "    try:\n        text = path.read_text()\n    except OSError:\n        continue\n"
                          "    cells = json.loads(text)['cells'] if path.suffix == '.ipynb' else []\n"
                          "    for cell in cells:\n        if cell.get('metadata', {}).get('grading', {}).get('solution') == 'ex2_3':\n"
                          "            exec(''.join(cell['source']))\n", "still None"),
    "forged_answer": ("import io, numpy as np, course_utils.grading.answers as answers\n"
                      "buffer = io.BytesIO()\nnp.save(buffer, np.array([{'pattern': 1}], dtype=object), allow_pickle=True)\n"
                      "answers.answer_bytes = lambda value: buffer.getvalue()   # the runner now sends a pickle\n"
                      "np.allclose = lambda *a, **k: True   # 'patch' numpy for the checker\n"
                      "plain = blurred = np.zeros((32, 32, 3)); roughness = activation = [0.0, 0.0]", "could not be read"),
    "garbage_in_channel": ("import os, sys\nos.write(int(sys.argv[-1]), b'\\xff' * 64)\nplain = blurred = roughness = activation = None",
                           "corrupted"),
    "huge_output": ("import os\nfor _ in range(200):\n    print('x' * 1_000_000)\nchunk = b'y' * 1_000_000\n"
                    "for _ in range(200):\n    os.write(1, chunk)\nplain = blurred = roughness = activation = None", "File too large"),
    "memory_bomb": ("hog = [np.ones(2 ** 27) for _ in range(64)]   # 1 GB each, touched\nplain = blurred = roughness = activation = None",
                    "MemoryError|CellTimeout"),  # the address-space limit, or the cell timer on a loaded machine
    "fork_bomb": ("import os, subprocess, time\nfor _ in range(1000):\n    if os.fork() == 0:\n        os.setsid()\n"
                  "        time.sleep(600)\n        os._exit(0)\n", "BlockingIOError"),
    "defeat_cell_timer": ("import signal, time\nfor which in (signal.SIGALRM, signal.SIGPROF):\n"
                          "    signal.signal(which, signal.SIG_IGN)\ntime.sleep(10 ** 5)", "time limit"),
    # Starve the neighbours: processes that each stay under the per-process CPU limit, together far over.
    "cpu_hog_processes": ("import os, time\nfor _ in range(6):\n    if os.fork() == 0:\n        os.setsid()\n"
                          "        while True:\n            pass\ntime.sleep(10 ** 5)", "CPU time"),
    # Exhaust the machine's memory: processes that each stay under the per-process limit.
    "memory_fork_bomb": ("import os, time\nfor _ in range(6):\n    if os.fork() == 0:\n"
                         "        hog = np.ones(2 ** 27)   # 1 GB, touched\n        time.sleep(600)\n        os._exit(0)\n"
                         "time.sleep(10 ** 5)", "memory"),
}


def hostile_notebook(code: str):
    from course_utils.grading.build import build_notebook

    nb = build_notebook(2, solved=True)
    for cell in nb.cells:
        if (cell.metadata.get("grading") or {}).get("solution") == TARGET:
            cell.source = code
    return nb


def write_submissions(folder: Path) -> dict[str, str]:
    """One student folder per attack, plus a corrupt notebook; returns name → expected phrase."""
    folder = Path(folder)
    expected = {}
    for name, (code, phrase) in HOSTILE.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        nbformat.write(hostile_notebook(code), folder / name / "02_exercises.ipynb")
        expected[name] = phrase
    (folder / "corrupt_notebook").mkdir(exist_ok=True)
    (folder / "corrupt_notebook" / "02_exercises.ipynb").write_text('{"cells": [this is not json')
    expected["corrupt_notebook"] = "could not be run.*NotJSONError"
    return expected


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    for name in write_submissions(Path(sys.argv[1])):
        print(name)
