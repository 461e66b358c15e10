"""The outer box every explorer shares: after a reopen it says what to do, not broken links.

A learner's saved notebook keeps the explorers' widget state (`make lab` sets saveState), so
JupyterLab redraws them from it when the notebook is reopened. Their kernel-side models are gone
by then, and ipywidgets marks every view "disconnected": a red broken-link icon on each control,
and controls that do nothing. A small style sheet, saved with the box, turns that into one line
on the box itself and dims the controls; the last picture stays visible.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ipywidgets

EXPLORER_CLASS = "course-explorer"
RECONNECT_HINT = "This explorer is not connected to a running kernel: run this cell (after the cells above) to use it."
# ipywidgets adds .jupyter-widgets-disconnected to each view whose model has no live kernel and
# draws its icon as that element's ::before; the box's own ::before carries the hint instead.
_STYLE = f"""<style>
.{EXPLORER_CLASS} .jupyter-widgets-disconnected::before {{ display: none; }}
.{EXPLORER_CLASS}.jupyter-widgets-disconnected::before {{
  content: "{RECONNECT_HINT}"; display: block; font: inherit; color: var(--jp-warn-color0, #b45f06);
  padding: 2px 0 6px 0;
}}
.{EXPLORER_CLASS}.jupyter-widgets-disconnected .widget-hbox {{ opacity: 0.45; pointer-events: none; }}
</style>"""


def explorer_box(*rows: "ipywidgets.Widget") -> "ipywidgets.VBox":
    """A VBox of `rows` (control rows, then the output) that explains itself when disconnected.

    The style sheet goes last, so `box.children[i]` is still the i-th row."""
    import ipywidgets as widgets

    style = widgets.HTML(_STYLE, layout=widgets.Layout(display="none"))  # a <style> applies unseen
    box = widgets.VBox([*rows, style])
    box.add_class(EXPLORER_CLASS)
    return box
