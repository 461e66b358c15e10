"""Secret part of the grading: master sources (with solutions) and hidden tests.

The sandbox mounts an empty folder over this package, so a submission cannot read it.
"""
