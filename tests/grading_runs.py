"""How the grading tests run coursekit.grade and change solution notebooks.

One home for what test_course_grading, test_upstream_cascade,
test_gradescope, test_grade_attacks_found, test_grade_tampering and
test_sandbox share: grading submissions in a subprocess, a code cell
appended after solution cells (one that changes what some functions
return, say), and the rule for a test that needs the sandbox.
"""

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit.grading import sandbox
from coursekit.notebooks import grade_id, is_solution, read_notebook, write_notebook

ROOT = Path(__file__).resolve().parents[1]


def skip_or_fail(reason):
    """Skip a test that cannot run here, saying why; fail instead when
    COURSEKIT_REQUIRE_ISOLATION is set (as CI sets it)."""
    if os.environ.get("COURSEKIT_REQUIRE_ISOLATION"):
        pytest.fail(f"{reason} (COURSEKIT_REQUIRE_ISOLATION is set)")
    pytest.skip(reason)


def require_sandbox():
    """Skip (or fail, see skip_or_fail) where bubblewrap's sandbox is missing."""
    reason = sandbox.unavailable_reason()
    if reason:
        skip_or_fail(f"no sandbox here: {reason}")


def grade(submissions, out, *options, timeout=900):
    """The gradebook rows of `python -m coursekit.grade` run on submissions
    (folders or notebooks) against solutions/, two jobs, with options;
    the gradebook is written to out."""
    done = subprocess.run(
        [sys.executable, "-m", "coursekit.grade", *map(str, submissions)]
        + ["--out", str(out), "--source", str(ROOT / "solutions"), "--jobs", "2"]
        + [*map(str, options)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with open(out, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def submission(folder: Path, exercise: str, name: str, cells: dict) -> Path:
    """The solved notebook of `exercise` with the cells `cells` (by grade_id)
    replaced, as folder/name/exercise.ipynb."""
    nb = read_notebook(ROOT / "solutions" / f"{exercise}.ipynb")
    for cell in nb.cells:
        if grade_id(cell) in cells:
            cell.source = cells[grade_id(cell)]
    path = folder / name / f"{exercise}.ipynb"
    path.parent.mkdir(parents=True)
    write_notebook(nb, path)
    return path


def with_cell_after(path, make_source):
    """The notebook at path, as text, with a code cell after each solution
    cell whose source make_source(cell) gives (None or '': no cell)."""
    nb = read_notebook(path)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        source = make_source(cell) if is_solution(cell) else None
        if cell.cell_type == "code" and source:
            cells.append(nbformat.v4.new_code_cell(source))
    nb.cells = cells
    return nbformat.writes(nb)


def returns_changed(names, array, number):
    """The source of a cell that wraps each function of `names` (defined
    above it) so that every float it returns is changed: a float array
    `value` becomes the expression `array`, a Python or NumPy float `value`
    the expression `number`, inside tuples, named tuples, lists and dicts
    too; anything else is returned as it was.  NumPy is `_np` there."""
    return f"""\
import functools as _functools

import numpy as _np


def _changed(value):
    if isinstance(value, _np.ndarray) and value.dtype.kind == "f":
        return {array}
    if isinstance(value, float):
        return {number}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return type(value)(*(_changed(v) for v in value))
    if isinstance(value, tuple | list):
        return type(value)(_changed(v) for v in value)
    if isinstance(value, dict):
        return {{k: _changed(v) for k, v in value.items()}}
    return value


def _changing(func):
    @_functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _changed(func(*args, **kwargs))

    return wrapper


for _name in {list(names)!r}:
    globals()[_name] = _changing(globals()[_name])
"""
