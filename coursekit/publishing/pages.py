"""A lecture notebook as the slides and the book show it.

Widgets need a live kernel, so an `interact` becomes a note saying so and
other widgets go; `# NBVAL_...` markers are for the tests, not the audience;
a page's title is the notebook's first heading.
"""

import re
import sys
from pathlib import Path

import nbformat

LECTURES = Path("notebooks")

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_NOTE = (
    '<p class="coursekit-widget-note">An interactive widget goes here: '
    "run this notebook in JupyterLab (<code>make lab</code>) to use it.</p>"
)


def notebook_title(nb, default):
    """The text of the notebook's first Markdown heading, else `default`."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        match = re.search(r"^#{1,6}\s+(.+?)\s*#*\s*$", cell.source, re.M)
        if match:
            return re.sub(r"[*_`]", "", match.group(1)).strip()
    return default


_NBVAL_MARKER = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+[ \t]*\n?", re.M)


def drop_nbval_markers(nb):
    """`# NBVAL_CHECK_OUTPUT` and friends are for the tests, not the audience."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = _NBVAL_MARKER.sub("", cell.source)


def replace_widget_views(nb):
    """Widgets need a live kernel. An `interact` becomes a note saying so
    (instead of its text form, `interactive(children=...)`); other widgets,
    such as tqdm's progress bars, are dropped."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})

    def is_interact(view):
        model = state.get(view.get("model_id"))
        if model is None:  # no saved state: it may well be an interact
            return True
        return "widget-interact" in model.get("state", {}).get("_dom_classes", [])

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                outputs.append(out)
            elif is_interact(view):
                note = {"text/html": WIDGET_NOTE}
                outputs.append(nbformat.v4.new_output("display_data", data=note))
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)


def lectures(given, prog):
    """The lecture notebooks a command was given, else every LECTURES/*.ipynb;
    [] (and a line on stderr saying so) when there are none."""
    notebooks = list(given) or sorted(LECTURES.glob("*.ipynb"))
    if not notebooks:
        print(f"{prog}: no notebook given and none in {LECTURES}/", file=sys.stderr)
    return notebooks
