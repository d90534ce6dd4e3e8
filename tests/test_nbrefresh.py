"""coursekit.publishing.nbrefresh keeps exactly the outputs that nbval should compare."""

import subprocess
import sys
from pathlib import Path

import nbformat

from coursekit.publishing.nbrefresh import refresh


def test_refresh_keeps_only_checked_outputs_and_strips_the_rest(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A lecture"),
        nbformat.v4.new_code_cell("x = 2 ** 10\nprint('not kept', x)"),
        nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(f'{x / 3:.2f}')"),
    ]
    nb.cells[1].metadata["keep_output"] = True  # a stale mark is removed
    path = tmp_path / "lecture.ipynb"
    nbformat.write(nb, path)

    assert refresh(path) == 1

    out = nbformat.read(path, as_version=4)
    plain, checked = out.cells[1], out.cells[2]
    assert plain.outputs == [] and "keep_output" not in plain.metadata
    assert checked.metadata["keep_output"] is True
    assert [o["text"] for o in checked.outputs] == ["341.33\n"]
    assert all(c.get("execution_count") is None for c in out.cells[1:])
    assert all("execution" not in c.metadata for c in out.cells)
    verify = subprocess.run(
        [sys.executable, "-m", "nbstripout", "--verify", str(path)],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_nbval_compares_the_kept_output(tmp_path):
    """A changed number in a checked cell fails the notebook's test."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(round(1 / 3, 3))")
    ]
    path = tmp_path / "checked.ipynb"
    nbformat.write(nb, path)
    refresh(path)
    (tmp_path / "conftest.py").write_text(
        (Path(__file__).parents[1] / "conftest.py").read_text()
    )

    def nbval():
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
            + ["--nbval-lax", "--nbval-current-env", path.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert nbval().returncode == 0
    path.write_text(path.read_text().replace("0.333", "0.334"))
    assert nbval().returncode != 0
