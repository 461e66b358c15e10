"""Exercises and grading: in-notebook checks, master sources → notebooks, a sandboxed grader.

Public: `checks.check` (used in the exercise notebooks), `exercises.EXERCISES`,
`harness.grade_folder` and the CLI `python -m course_utils.grading SUBMISSIONS --out REPORT`.
The `hidden` subpackage (masters with solutions, hidden tests) is never visible to submissions.
"""
