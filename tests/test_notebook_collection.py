"""`make test` fails when a notebook folder holds a notebook nbval did not
collect, and passes when a notebook folder is simply empty (root conftest.py)."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def run_pytest(project, *args):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )


def make_project(tmp_path):
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_one.py").write_text("def test_one():\n    assert 1\n")
    (tmp_path / "notebooks").mkdir()
    return tmp_path


def test_a_notebook_that_yields_no_test_fails_the_run(tmp_path):
    project = make_project(tmp_path)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("prose only: nothing for nbval")]
    nbformat.write(nb, project / "notebooks" / "silent.ipynb")
    result = run_pytest(project, "--nbval-lax", "tests", "notebooks")
    assert result.returncode != 0
    assert "nbval collected no cells from: notebooks/silent.ipynb" in result.stdout


def test_a_notebook_that_is_not_json_fails_the_run(tmp_path):
    project = make_project(tmp_path)
    (project / "notebooks" / "broken.ipynb").write_text("{ not json")
    result = run_pytest(project, "--nbval-lax", "tests", "notebooks")
    assert result.returncode != 0
    assert "broken.ipynb" in result.stdout


def test_an_empty_notebook_folder_does_not_fail_the_run(tmp_path):
    project = make_project(tmp_path)
    result = run_pytest(project, "--nbval-lax", "tests", "notebooks")
    assert result.returncode == 0, result.stdout
    assert "1 passed" in result.stdout


def test_a_good_notebook_is_collected_and_run(tmp_path):
    project = make_project(tmp_path)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("assert 1 + 1 == 2")]
    nbformat.write(nb, project / "notebooks" / "good.ipynb")
    result = run_pytest(
        project, "--nbval-lax", "--nbval-current-env", "tests", "notebooks"
    )
    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout
