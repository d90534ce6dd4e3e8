"""Tests for coursekit.publishing.exercises: generating exercises/ from solutions/."""

import copy
import importlib
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from coursekit.notebooks import (
    NotebookError,
    graded_parts,
    load_source,
    read_notebook,
    source_notebooks,
    validate_source,
    write_notebook,
)
from coursekit.publishing import exercises

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "grading" / "source"
ARITH = "fx01_arithmetic.ipynb"


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A folder with solutions/ holding the fixture notebooks, as cwd."""
    shutil.copytree(FIXTURES, tmp_path / "solutions")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cells_by_id(path):
    nb = read_notebook(path)
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def generate(*args):
    return exercises.main(list(args))


# --------------------------------------------------------------------------
# what generation writes


def test_solution_regions_become_stubs_at_their_indentation(course):
    assert generate() == 0
    cells = cells_by_id(course / "exercises" / ARITH)
    assert cells["add_solution"].source == (
        "def add(a, b):\n"
        '    """Return the sum of a and b."""\n'
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()"
    )
    assert cells["squares_solution"].source.endswith(
        "# YOUR CODE HERE\nraise NotImplementedError()"
    )
    assert "return a + b" not in (course / "exercises" / ARITH).read_text()


def test_markdown_solution_region_becomes_your_answer_here(course):
    generate()
    answer = cells_by_id(course / "exercises" / ARITH)["explain_mean"].source
    assert answer == "Why does `mean` need a non-empty list?\n\nYOUR ANSWER HERE"


def test_hidden_tests_are_removed_and_visible_tests_kept(course):
    generate()
    text = (course / "exercises" / ARITH).read_text()
    assert "HIDDEN" not in text and "add(-1, 1)" not in text
    test = cells_by_id(course / "exercises" / ARITH)["add_tests"].source
    assert test == (
        "# Check yourself: add works on small integers.\n"
        'assert add(2, 3) == 5, f"add(2, 3) should be 5, got {add(2, 3)}"'
    )


def test_test_cells_and_top_level_stubs_are_tagged_raises_exception(course):
    generate()
    cells = cells_by_id(course / "exercises" / ARITH)
    tagged = {
        gid
        for gid, c in cells.items()
        if "raises-exception" in c.metadata.get("tags", [])
    }
    # add/mean stubs sit inside a def: defining them raises nothing
    assert tagged == {"add_tests", "mean_tests", "squares_tests", "squares_solution"}


def test_outputs_cleared_and_nbgrader_metadata_kept(course):
    source = read_notebook(course / "solutions" / ARITH)
    for cell in source.cells:
        if cell.cell_type == "code":
            cell.execution_count = 7
            cell.outputs = [nbformat.v4.new_output("stream", text="secret output\n")]
    write_notebook(source, course / "solutions" / ARITH)
    generate()
    exercise = read_notebook(course / "exercises" / ARITH)
    code = [c for c in exercise.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    meta = {c.metadata["nbgrader"]["grade_id"]: c.metadata for c in code}
    assert meta["add_tests"]["nbgrader"]["points"] == 2
    assert meta["add_tests"]["editable"] is False  # locked: read-only in JupyterLab
    assert meta["add_solution"]["deletable"] is False
    assert "editable" not in meta["add_solution"]
    assert [c.id for c in exercise.cells] == [c.id for c in source.cells]


def test_generation_is_deterministic_and_idempotent(course, capsys):
    generate()
    first = {p.name: p.read_bytes() for p in source_notebooks("exercises")}
    shutil.rmtree("exercises")
    generate()
    second = {p.name: p.read_bytes() for p in source_notebooks("exercises")}
    assert first == second
    assert all(text.endswith(b"}\n") for text in first.values())
    capsys.readouterr()
    generate()
    assert "0 written, 2 unchanged" in capsys.readouterr().out


def test_cells_without_ids_get_the_same_ids_every_time(course):
    # an nbformat 4.4 source has no cell ids: they must not be random
    source = read_notebook(course / "solutions" / ARITH)
    source.nbformat_minor = 4
    for cell in source.cells:
        del cell["id"]
    (course / "solutions" / ARITH).write_text(nbformat.writes(source, version=4))
    generate()
    first = (course / "exercises" / ARITH).read_bytes()
    (course / "exercises" / ARITH).unlink()
    generate()
    assert (course / "exercises" / ARITH).read_bytes() == first
    nbformat.validate(nbformat.reads(first.decode(), as_version=4))


def test_generated_exercise_passes_nbval_lax(course):
    # the tags let every stub raise; tests/ must run this like `make test`
    generate()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--nbval-lax", "--nbval-current-env", "exercises/" + ARITH],
        cwd=course, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


# --------------------------------------------------------------------------
# --check, and empty or missing folders


def test_check_passes_when_current(course, capsys):
    generate()
    capsys.readouterr()
    assert generate("--check") == 0
    assert capsys.readouterr().out.strip() == "exercises/ is current (2 notebooks)"


def test_check_names_stale_missing_and_extra_files(course, capsys):
    generate()
    stale = course / "exercises" / ARITH
    stale.write_bytes(stale.read_bytes().replace(b"YOUR CODE HERE", b"my code"))
    (course / "exercises" / "fx02_strings.ipynb").unlink()
    shutil.copy(stale, course / "exercises" / "old_name.ipynb")
    capsys.readouterr()
    assert generate("--check") == 1
    out = capsys.readouterr().out
    assert "stale: exercises/fx01_arithmetic.ipynb" in out
    assert "missing: exercises/fx02_strings.ipynb" in out
    assert "extra: exercises/old_name.ipynb" in out
    # --check writes nothing; generation repairs all three
    assert not (course / "exercises" / "fx02_strings.ipynb").exists()
    assert generate() == 0
    assert sorted(p.name for p in source_notebooks("exercises")) == [
        ARITH,
        "fx02_strings.ipynb",
    ]
    assert generate("--check") == 0


def test_check_detects_a_changed_solution(course):
    generate()
    path = course / "solutions" / ARITH
    path.write_text(path.read_text().replace("return a + b", "return b + a"))
    assert generate("--check") == 0  # solution code never reaches the exercise
    path.write_text(path.read_text().replace("small integers", "integers"))
    assert generate("--check") == 1


@pytest.mark.parametrize("make_folder", [False, True])
def test_missing_or_empty_solutions_is_nothing_to_do(
    tmp_path, monkeypatch, capsys, make_folder
):
    monkeypatch.chdir(tmp_path)
    if make_folder:
        (tmp_path / "solutions").mkdir()
    assert generate() == 0
    assert generate("--check") == 0
    assert "nothing to do" in capsys.readouterr().out
    assert not (tmp_path / "exercises").exists()


def test_source_and_dest_must_differ(course):
    with pytest.raises(SystemExit) as exit_info:
        generate("--dest", "solutions")
    assert exit_info.value.code == 2


def test_check_runs_as_a_module_like_make_test(course):
    run = subprocess.run(
        [sys.executable, "-m", "coursekit.exercises", "--check"],
        cwd=course, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert run.returncode == 1
    assert "missing: exercises/fx01_arithmetic.ipynb" in run.stdout


# --------------------------------------------------------------------------
# validation of the sources


def broken(change):
    """The arithmetic fixture with `change(cells_by_grade_id)` applied."""
    nb = read_notebook(FIXTURES / ARITH)
    change({c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells})
    return validate_source(nb, "solutions/x.ipynb")


def test_fixture_sources_are_valid():
    for path in source_notebooks(FIXTURES):
        assert validate_source(read_notebook(path), str(path)) == []


def test_a_task_cell_with_points_is_valid_and_graded_by_hand():
    nb = read_notebook(FIXTURES / ARITH)
    task = nbformat.v4.new_markdown_cell("Plot `squares` and describe it.")
    task.metadata["nbgrader"] = {
        "grade": False, "solution": False, "locked": True, "task": True,
        "grade_id": "plot_task", "points": 2, "schema_version": 3,
    }  # fmt: skip
    nb.cells.append(task)
    assert validate_source(nb, "s.ipynb") == []
    parts = {p.grade_id: p for p in graded_parts(nb)}
    assert (parts["plot_task"].points, parts["plot_task"].auto) == (2, False)
    assert parts["squares_tests"].solution_id == "squares_solution"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda c: c["add_solution"].__setitem__(
                "source", c["add_solution"].source.replace("### END SOLUTION", "")
            ),
            "cell 3 (grade_id 'add_solution'): 'BEGIN SOLUTION' on line 3 has no "
            "'END SOLUTION' below",
        ),
        (
            lambda c: c["add_tests"].__setitem__(
                "source", "### END HIDDEN TESTS\n" + c["add_tests"].source
            ),
            "cell 4 (grade_id 'add_tests'): 'END HIDDEN TESTS' on line 1 without a "
            "'BEGIN HIDDEN TESTS' above",
        ),
        (
            lambda c: c["mean_tests"].metadata.nbgrader.__setitem__(
                "grade_id", "add_tests"
            ),
            "cell 6 (grade_id 'add_tests'): grade_id 'add_tests' is also used by "
            "cell 4",
        ),
        (
            lambda c: c["add_tests"].metadata.nbgrader.pop("points"),
            "cell 4 (grade_id 'add_tests'): a graded cell needs 'points'",
        ),
        (
            lambda c: c["add_tests"].metadata.nbgrader.__setitem__("locked", False),
            "cell 4 (grade_id 'add_tests'): a graded test cell must be locked",
        ),
        (
            lambda c: c["add_tests"].metadata.nbgrader.__setitem__("schema_version", 1),
            "nbgrader schema_version must be 3, got 1",
        ),
        (
            lambda c: c["add_tests"].metadata.nbgrader.__setitem__("points", "two"),
            "points must be a number >= 0, got 'two'",
        ),
        (
            lambda c: c["add_solution"].metadata.nbgrader.__setitem__(
                "solution", False
            ),
            "cell 3 (grade_id 'add_solution'): solution markers in a cell that is "
            "not a solution cell",
        ),
        (
            lambda c: c["setup"].__setitem__(
                "source", "### BEGIN HIDDEN TESTS\nx = 1\n### END HIDDEN TESTS"
            ),
            "cell 2 (grade_id 'setup'): hidden-test markers outside a graded test cell",
        ),
        (
            lambda c: c["setup"].metadata.nbgrader.pop("grade_id"),
            "cell 2 ('import math'): nbgrader metadata lacks grade_id",
        ),
        (
            lambda c: c["setup"].metadata.nbgrader.__setitem__("grade_id", "a b"),
            "grade_id must be a non-empty string of letters, digits",
        ),
        (
            lambda c: c["setup"].metadata.nbgrader.__setitem__("points", 3),
            "points 3 on a cell that is not graded",
        ),
    ],
)
def test_invalid_source_gives_a_message_naming_notebook_and_cell(change, expected):
    problems = broken(change)
    assert len(problems) == 1, problems
    assert problems[0].startswith("solutions/x.ipynb")
    assert expected in problems[0]


def test_a_notebook_without_graded_cells_is_rejected():
    nb = read_notebook(FIXTURES / ARITH)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    problems = validate_source(nb, "s.ipynb")
    assert problems[-1] == (
        "s.ipynb: no graded cell (metadata.nbgrader.grade true): "
        "nothing would be scored"
    )


def test_invalid_source_stops_generation_and_names_it(course, capsys):
    path = course / "solutions" / ARITH
    path.write_text(path.read_text().replace("### END SOLUTION", "", 1))
    assert generate() == 1
    err = capsys.readouterr().err
    assert "solutions/fx01_arithmetic.ipynb, cell 3 (grade_id 'add_solution')" in err
    assert not (course / "exercises").exists()
    assert generate("--check") == 1


def test_a_file_that_is_not_a_notebook_is_named(course, capsys):
    (course / "solutions" / "broken.ipynb").write_text("{ not json")
    assert generate() == 1
    assert (
        "solutions/broken.ipynb: not a valid notebook file" in capsys.readouterr().err
    )
    with pytest.raises(NotebookError, match="broken.ipynb"):
        load_source(course / "solutions" / "broken.ipynb")


# --------------------------------------------------------------------------
# nbgrader compatibility and the course's own solutions/


def test_nbgrader_generate_assignment_writes_the_same_cells(tmp_path):
    try:
        import nbgrader  # noqa: F401
    except ImportError as exc:
        pytest.skip(
            f"nbgrader is not installed (optional: pip install nbgrader): {exc}"
        )
    course = tmp_path / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    shutil.copy(FIXTURES / ARITH, course / "source" / "ps1" / ARITH)
    bindir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    run = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", "ps1",
         f"--CourseDirectory.root={course}"],
        cwd=course, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    theirs = read_notebook(course / "release" / "ps1" / ARITH)
    ours = exercises.make_exercise(load_source(FIXTURES / ARITH))
    assert [c.source for c in ours.cells] == [c.source for c in theirs.cells]
    for mine, other in zip(ours.cells, theirs.cells, strict=True):
        their_meta = copy.deepcopy(other.metadata.get("nbgrader", {}))
        their_meta.pop("checksum", None)
        their_meta.pop("cell_type", None)
        assert mine.metadata.get("nbgrader", {}) == their_meta
        for key in ("editable", "deletable"):
            assert mine.metadata.get(key) == other.metadata.get(key), key


SOLUTIONS = source_notebooks(ROOT / "solutions")


@pytest.mark.skipif(not SOLUTIONS, reason="solutions/ holds no notebook yet")
@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_course_solutions_have_valid_nbgrader_metadata(path):
    problems = validate_source(read_notebook(path), f"solutions/{path.name}")
    assert not problems, "\n".join(problems)


def test_regenerating_keeps_a_copy_of_a_learners_edits(tmp_path, monkeypatch):
    """Nothing a learner wrote is lost when exercises/ is regenerated."""
    monkeypatch.chdir(tmp_path)
    source = Path(__file__).parent / "fixtures" / "grading" / "source"
    shutil.copytree(source, tmp_path / "solutions")
    assert exercises.main(["--source", "solutions", "--dest", "exercises"]) == 0
    target = sorted((tmp_path / "exercises").glob("*.ipynb"))[0]
    learner_text = target.read_text().replace(
        "raise NotImplementedError()", "return 42"
    )
    target.write_text(learner_text)
    assert exercises.main(["--source", "solutions", "--dest", "exercises"]) == 0
    backups = list((tmp_path / "mywork" / "backups").glob("*.ipynb"))
    assert len(backups) == 1 and backups[0].read_text() == learner_text
    assert "raise NotImplementedError()" in target.read_text()  # regenerated


# --------------------------------------------------------------------------
# every named mistake fails, even 1e-10 away (another CPU's last bits)

MISTAKE_EXERCISES = [p for p in SOLUTIONS if "01" <= p.name[:2] <= "09"]


def _nudged(value):
    """value changed by a relative 1e-10, in alternating directions."""
    a = np.asarray(value, dtype=np.float64)
    signs = np.where(np.arange(a.size) % 2, 1.0, -1.0).reshape(a.shape)
    return a * (1 + 1e-10 * signs)


def _checks_modules():
    """Every submodule of coursekit.checks (the exercises' modules of checks
    among them), imported."""
    from coursekit import checks as course_checks

    return [
        importlib.import_module(f"coursekit.checks.{info.name}")
        for info in pkgutil.iter_modules(course_checks.__path__)
    ]


@pytest.mark.parametrize("path", MISTAKE_EXERCISES, ids=lambda p: p.name)
def test_every_named_mistake_fails_its_check_when_nudged_by_1e_10(path, monkeypatch):
    """Run the solution's cells in-process with check_array and check_gradient
    watched: every mistake a test cell names, nudged by 1e-10, must fail the
    check it is named in (so its part scores 0), while the solution passes.
    They are watched in the notebook, in `coursekit.checks` and in each of its
    modules but `values` (their home), where an exercise's checks call them."""
    import importlib
    import pkgutil

    from coursekit import checks as course_checks

    tried, failed_as_it_should = [], []

    def watch(check):
        def watched(name, got, expected, *args, mistakes=None, **kwargs):
            for key, wrong in (mistakes or {}).items():
                same_shape = wrong is not None and np.shape(wrong) == np.shape(expected)
                if not same_shape or course_checks._matches(
                    wrong, expected, 1e-8, 1e-6
                ):
                    continue  # not a mistake on this input
                tried.append((name, key))
                try:
                    check(name, _nudged(wrong), expected, *args, **kwargs)
                except AssertionError:
                    failed_as_it_should.append((name, key))
            return check(name, got, expected, *args, mistakes=mistakes, **kwargs)

        return watched

    originals = {
        n: getattr(course_checks, n) for n in ("check_array", "check_gradient")
    }
    watched = {n: watch(check) for n, check in originals.items()}
    modules = [course_checks] + [
        importlib.import_module(f"coursekit.checks.{m.name}")
        for m in pkgutil.iter_modules(course_checks.__path__)
        if m.name != "values"
    ]
    for module in modules:
        for name, original in originals.items():
            if getattr(module, name, None) is original:
                monkeypatch.setattr(module, name, watched[name])
    namespace = {"__name__": "__main__"}
    for cell in read_notebook(path).cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, path.name, "exec"), namespace)
        for name, original in originals.items():
            if namespace.get(name) is original:
                namespace[name] = watched[name]
    assert tried, "no named mistake was checked"
    passed = sorted(set(tried) - set(failed_as_it_should))
    assert not passed, f"{len(passed)} of {len(tried)} passed: {passed[:3]}"
