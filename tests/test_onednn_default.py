"""The course turns TensorFlow's oneDNN kernels on (the ascent is 2.5x faster), unless told not to.

Each case runs in a fresh interpreter: TensorFlow reads TF_ENABLE_ONEDNN_OPTS once, when it loads.
"""
import os
import subprocess
import sys

import pytest

PROBE = ("import course_utils\n"
         "from tensorflow.python.util import _pywrap_util_port as port\n"
         "print('onednn', port.IsMklEnabled())\n")


def _onednn_in_fresh_python(setting):
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    if setting is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = setting
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return [line for line in out.stdout.splitlines() if line.startswith("onednn ")][-1]


@pytest.mark.parametrize("setting, expected", [(None, "onednn True"), ("1", "onednn True"),
                                               ("0", "onednn False")])
def test_import_course_utils_turns_onednn_on_unless_the_learner_chose(setting, expected):
    assert _onednn_in_fresh_python(setting) == expected
