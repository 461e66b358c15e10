"""Every public `plot_*` function of course_utils returns the matplotlib Figure it drew.

The functions are found by walking the package, so a new `plot_*` that returns something else
(a tuple, an Axes, None) fails here; one without a sample call below fails too, asking for one.
"""
import importlib
import inspect
import pkgutil

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import course_utils  # noqa: E402

_rng = np.random.default_rng(0)
IMAGE = _rng.uniform(0, 255, (16, 16, 3))
HEAT = _rng.uniform(size=(4, 4)).astype("float32")
ACTIVATION = _rng.uniform(size=(1, 6, 6, 4)).astype("float32")

# "module.plot_name" → (args, kwargs) of one honest call.
SAMPLE_CALLS = {
    "course_utils.activations.plot_channel_grid": (("conv", ACTIVATION), {"columns": 2}),
    "course_utils.overlay.plot_heatmap": ((HEAT,), {"title": "raw"}),
    "course_utils.overlay.plot_superimposed": ((IMAGE, HEAT), {"boxes": {"box": (2, 2, 8, 8)}}),
    "course_utils.overlay.plot_heatmap_grid": (({"a": HEAT, "b": HEAT},), {"image": IMAGE}),
}


def _plot_functions() -> dict:
    """'module.plot_x' → function, for every plot_* defined (not imported) in a course_utils module."""
    found = {}
    for info in pkgutil.walk_packages(course_utils.__path__, "course_utils."):
        if ".hidden" in info.name:
            continue  # exercise masters: notebook sources, not library modules
        module = importlib.import_module(info.name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("plot_") and fn.__module__ == info.name:
                found[f"{info.name}.{name}"] = fn
    return found


PLOTS = _plot_functions()


def test_the_walk_finds_the_known_plot_functions():
    assert set(SAMPLE_CALLS) <= set(PLOTS), "a sample call names a plot_* function that no longer exists"


@pytest.mark.parametrize("qualified", sorted(PLOTS))
def test_plot_function_returns_its_figure(qualified):
    assert qualified in SAMPLE_CALLS, f"{qualified} has no sample call: add one to SAMPLE_CALLS in this file"
    args, kwargs = SAMPLE_CALLS[qualified]
    try:
        result = PLOTS[qualified](*args, **kwargs)
        assert isinstance(result, plt.Figure), \
            f"{qualified} returned {type(result).__name__}; every plot_* returns the matplotlib Figure it drew"
        if "ax" in inspect.signature(PLOTS[qualified]).parameters:
            _, ax = plt.subplots()
            assert PLOTS[qualified](*args, ax=ax, **kwargs) is ax.figure, \
                f"{qualified}(ax=...) should return the figure of the axes it drew into"
    finally:
        plt.close("all")
