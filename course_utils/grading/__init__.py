"""Exercises and grading: declared once, checked in the notebook, graded in a sandbox.

Where this code runs (five places) and what each module is:

1. **Authoring** (a developer, `python -m course_utils.grading.build --execute`):
   `exercises.py` declares every exercise (id, chapter, level, points, the answer expression);
   `hidden/masters/chN.py` hold each chapter's statements, solutions (`### BEGIN SOLUTION` …
   `### STUB` … `### END SOLUTION`), explanations and figures; `build.py` writes the learner's
   notebook (`notebooks/exercises/`) and the solved one (`solutions/`) from them, generating every
   check cell from the declaration (`Exercise.check_source`).
2. **The learner's kernel**: a check cell calls `checks.check(id, answer)`; it sends the answer
   through the same round trip as grading (`answers.py`) and asks `judges.judge`, which holds
   the one judge of every exercise (`judges.JUDGES`), written against the independent
   references in `fixtures.py` (which also builds the exercises' models, photo and probes).
   PASS there means full marks in grading: the same judge decides both.
3. **The teacher's grader** (`python -m course_utils.grading SUBMISSIONS`, `__main__.py`):
   `submissions.py` reads the class's notebooks without following links; `harness.py` runs each
   student's notebooks in one sandbox session (and each chapter's reference solution in a
   sandbox of its own), reads the answers back,
   judges them with `hidden/tests.py` (→ `judges.judge`) and makes one `Row` per exercise with a
   typed `Status`; `report.py` writes grades.csv and summary.md, escaped for where they land.
4. **Sandbox set-up** (grader side, `sandbox.py`, `cgroup.py`): a copy of `course_utils` without
   `hidden/` and with the learner-written functions stubbed (`FORBIDDEN_IN_GRADING`), `Limits`,
   and `unshare` around `isolation.py` at an `Isolation` level (ROOT, USERNS, or NONE only on
   the teacher's explicit `--no-isolation`).
5. **Inside the sandbox**: `isolation.py` (standard library only) builds the allowlisted root
   filesystem, drops privileges and stays PID 1; `session.py` imports TensorFlow and the course
   once and forks one child per notebook, resetting the sandbox between them (whatever it cannot
   reset sends the rest of the student's notebooks to sandboxes of their own); `runner.py` runs the notebook's cells in
   IPython, evaluates each exercise's answer expression before its check cell and sends it
   through `channel.py` (framed bytes on a pipe). Inside, `check` says only "handed in": the
   judges are stubbed there, so they cannot be used as an oracle.

One notebook's path: master (1) → `notebooks/exercises/0N_exercises.ipynb` → the learner fills
it in and sees `check` verdicts (2) → hands it in → the grader finds its chapter from metadata or
name and runs it in the student's session, a fresh child in a reset sandbox (3, 4) → the runner sends each answer out as plain .npz
bytes (5) → the grader judges each answer with the same judge as (2) → a Row in the report.
"""
