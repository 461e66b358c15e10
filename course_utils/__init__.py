"""Helpers for the course "Seeing inside convnets".

One module per topic: assets (where files come from), images, layers, activations,
small_convnet (chapter 1's model), models (ImageNet models), filters, cam, widgets, grading.
The notebooks keep the teaching code visible; this package holds what would be copy-pasted.
"""
import os as _os
import sys as _sys

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# oneDNN kernels (off by default on CPUs without AVX-512): bench/filter_patterns.py measured the
# batched Xception ascent 2.5x faster with them (MaxPoolGrad and depthwise gradients above all),
# and chapter 1's model was trained with them. Read when TensorFlow loads: import course_utils first.
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with file descriptor 2 muted.

    TensorFlow's C++ start-up lines ("oneDNN custom operations are on", "Could not find cuda
    drivers", with timestamps) are written by absl before any log level applies, and Jupyter
    copies fd 2 into the notebook: they would clutter every chapter and break nbval's output
    comparison. Python exceptions and warnings are unaffected.
    """
    if "tensorflow" in _sys.modules:
        return
    try:
        saved = _os.dup(2)
    except OSError:
        return
    devnull = _os.open(_os.devnull, _os.O_WRONLY)
    try:
        _os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
        import keras  # noqa: F401
    except ImportError:
        pass  # reported properly by whichever module needs TensorFlow
    finally:
        _os.dup2(saved, 2)
        _os.close(saved)
        _os.close(devnull)


_import_tensorflow_quietly()
