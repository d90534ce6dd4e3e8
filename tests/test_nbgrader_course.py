"""`python -m coursekit.nbgrader_course`: the exercises as an nbgrader course.

The end-to-end tests run nbgrader's own commands on a course made from
`solutions/01_forward_propagation_exercises.ipynb`: generate_assignment,
three submissions (solved, blank, partial with a crash) under
submitted/<student>/, autograde, generate_feedback and export.  The scores
must be the points of the parts that pass, the same as coursekit.grade
gives the same submissions, and the feedback must not show hidden tests.
"""

import ast
import copy
import csv
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit import nbgrader_course
from coursekit.notebooks import (
    BEGIN_HIDDEN,
    END_HIDDEN,
    grade_id,
    is_test,
    points,
    read_notebook,
)

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISE = "01_forward_propagation_exercises"
ASSIGNMENT = "01_forward_propagation"
# carol solves these two parts, and her rnn_forward cell crashes
CAROL_SOLVES = ("rnn_step_forward", "concat_weights")
CAROL_CRASHES = "rnn_forward"


def _hidden_regions(source):
    pattern = rf"### {BEGIN_HIDDEN}\n(.*?)### {END_HIDDEN}"
    return re.findall(pattern, source, re.S)


# --------------------------------------------------------------------------
# Graded test cells give nbgrader no value to read as points


def bare_result(source):
    """The last statement of a cell if Jupyter would show its value, else None.

    nbgrader reads a graded cell's shown value (its execute_result) as the
    points it scored, so a test cell ending in `check_not_calling(...)`,
    which returns a norm, scores that norm instead of its points.
    `print(...)` shows nothing (it prints); `x = ...` and `...;` neither.
    """
    tree = ast.parse(source)
    if not tree.body or source.rstrip().endswith(";"):
        return None
    last = tree.body[-1]
    if not isinstance(last, ast.Expr):
        return None
    call = last.value
    if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "print":
        return None
    return ast.get_source_segment(source, last)


def test_bare_result_finds_a_value_jupyter_would_show():
    assert bare_result("x = 1\ncheck_not_calling(f, [], args=())") == (
        "check_not_calling(f, [], args=())"
    )
    assert bare_result("check(\n    1,\n)\n### END HIDDEN TESTS") == "check(\n    1,\n)"
    assert bare_result("_ = check_not_calling(f, [])") is None
    assert bare_result("check(1);") is None
    assert bare_result('print("ok")') is None
    assert bare_result("for i in range(2):\n    check(i)") is None


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_no_graded_test_cell_ends_in_a_value_nbgrader_reads_as_points(folder):
    notebooks = sorted((ROOT / folder).glob("*.ipynb"))
    assert len(notebooks) == 12
    found = [
        f"{path.name} {grade_id(cell)}: {value.splitlines()[0]}"
        for path in notebooks
        for cell in read_notebook(path).cells
        if is_test(cell) and (value := bare_result(cell.source))
    ]
    assert not found, "assign the value to `_` or end with a print:\n" + "\n".join(
        found
    )


# --------------------------------------------------------------------------
# The layout


def test_layout_has_config_and_one_assignment_per_exercise(tmp_path):
    course = tmp_path / "course"
    names = [f"{EXERCISE}.ipynb", "02_backprop_through_time"]
    written = nbgrader_course.write_course(course, SOLUTIONS, names)
    assert [p.relative_to(course).as_posix() for p in written] == [
        f"source/{ASSIGNMENT}/{EXERCISE}.ipynb",
        "source/02_backprop_through_time/02_backprop_through_time_exercises.ipynb",
    ]
    for path in written:  # copied unchanged: the metadata is nbgrader's already
        assert path.read_bytes() == (SOLUTIONS / path.name).read_bytes()
    config = (course / "nbgrader_config.py").read_text()
    assert "c.ExecutePreprocessor.timeout = 60\n" in config
    assert "c.ExecutePreprocessor.startup_timeout = 120\n" in config
    assert 'c.CourseDirectory.course_id = "rnn-course"' in config
    compile(config, "nbgrader_config.py", "exec")


def test_cli_sets_the_timeouts_it_is_given(tmp_path, capsys):
    course = tmp_path / "c"
    args = [str(course), ASSIGNMENT, "--cell-timeout", "45", "--startup-timeout", "90"]
    assert nbgrader_course.main(args) == 0
    config = (course / "nbgrader_config.py").read_text()
    assert "c.ExecutePreprocessor.timeout = 45\n" in config
    assert "c.Execute.startup_timeout = 90\n" in config
    assert f"source/{ASSIGNMENT}/{EXERCISE}.ipynb" in capsys.readouterr().out


def test_an_existing_non_empty_folder_is_never_written_into(tmp_path, capsys):
    course = tmp_path / "course"
    course.mkdir()
    mine = course / "nbgrader_config.py"
    mine.write_text("c = get_config()  # the instructor's own\n")
    assert nbgrader_course.main([str(course)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert mine.read_text() == "c = get_config()  # the instructor's own\n"
    assert sorted(p.name for p in course.iterdir()) == ["nbgrader_config.py"]


def test_an_empty_folder_is_used(tmp_path):
    (tmp_path / "empty").mkdir()
    assert nbgrader_course.main([str(tmp_path / "empty"), ASSIGNMENT]) == 0
    assert (tmp_path / "empty" / "nbgrader_config.py").is_file()


def test_a_file_is_not_a_course_folder(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("x")
    assert nbgrader_course.main([str(path)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    assert path.read_text() == "x"


def test_an_unknown_exercise_is_named_with_the_known_ones(tmp_path, capsys):
    assert nbgrader_course.main([str(tmp_path / "c"), "99_nothing"]) == 2
    err = capsys.readouterr().err
    assert "no such exercise: 99_nothing" in err and ASSIGNMENT in err
    assert not (tmp_path / "c").exists()


def test_hide_hidden_tests_drops_the_code_and_the_traceback():
    nb = read_notebook(SOLUTIONS / f"{EXERCISE}.ipynb")
    test = next(c for c in nb.cells if is_test(c) and _hidden_regions(c.source))
    (hidden,) = _hidden_regions(test.source)
    test.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="AssertionError",
            evalue="h_next is wrong",
            traceback=[f"Traceback\n{hidden}", "AssertionError: h_next is wrong"],
        )
    ]
    visible = test.source.replace(hidden, "")
    out = nbgrader_course.hide_hidden_tests(copy.deepcopy(nb))
    cell = next(c for c in out.cells if grade_id(c) == grade_id(test))
    assert BEGIN_HIDDEN not in cell.source and hidden.strip() not in cell.source
    assert cell.outputs[0]["traceback"] == ["AssertionError: h_next is wrong"]
    kept = [line for line in visible.splitlines() if "HIDDEN" not in line]
    assert all(line in cell.source for line in kept)


# --------------------------------------------------------------------------
# nbgrader, end to end


def _nbgrader(course, *args):
    bindir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    run = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert run.returncode == 0, " ".join(args) + "\n" + run.stdout + run.stderr
    return run


def _submissions(course):
    """{student: notebook}: solved, blank, partial with a crash."""
    name = f"{EXERCISE}.ipynb"
    solved = read_notebook(course / "source" / ASSIGNMENT / name)
    blank = read_notebook(course / "release" / ASSIGNMENT / name)
    partial = copy.deepcopy(blank)
    answers = {grade_id(c): c.source for c in solved.cells}
    for cell in partial.cells:
        if grade_id(cell) in CAROL_SOLVES:
            cell.source = answers[grade_id(cell)]
        elif grade_id(cell) == CAROL_CRASHES:
            cell.source = 'raise RuntimeError("my code crashed")'
    return {"alice": solved, "bob": blank, "carol": partial}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course run through every nbgrader step, and coursekit.grade."""
    pytest.importorskip("nbgrader", reason="optional: pip install nbgrader")
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    nbgrader_course.write_course(course, SOLUTIONS, [ASSIGNMENT])
    _nbgrader(course, "generate_assignment", ASSIGNMENT)
    subs = _submissions(course)
    for student, nb in subs.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{EXERCISE}.ipynb")
        (folder / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    _nbgrader(course, "autograde", ASSIGNMENT)
    _nbgrader(course, "generate_feedback", ASSIGNMENT)
    _nbgrader(course, "export", "--to", "grades.csv")
    _nbgrader(
        course,
        "export",
        "--exporter=coursekit.lms.CanvasExportPlugin",
        "--to",
        "canvas.csv",
    )
    gradebook = course / "coursekit_gradebook.csv"
    run = subprocess.run(
        [sys.executable, "-m", "coursekit.grade", str(course / "submitted"),
         "--source", str(SOLUTIONS), "--out", str(gradebook), "--jobs", "2"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    return course, subs, gradebook


def _expected(subs):
    """Each student's points: those of the test cells whose part passes."""
    source = subs["alice"]
    tests = {grade_id(c): points(c) for c in source.cells if is_test(c)}
    carol = {f"test_{gid}" for gid in CAROL_SOLVES}
    return {
        "alice": sum(tests.values()),
        "bob": 0.0,
        "carol": sum(p for gid, p in tests.items() if gid in carol),
    }


def _nbgrader_scores(course):
    with open(course / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {r["student_id"]: (float(r["score"]), float(r["max_score"])) for r in rows}


def test_nbgrader_scores_are_the_points_of_the_passing_parts(graded):
    course, subs, _ = graded
    expected = _expected(subs)
    assert expected["alice"] == 8 and expected["carol"] == 3  # 2 + 1 of 8
    scores = _nbgrader_scores(course)
    assert {s: score for s, (score, _) in scores.items()} == expected
    assert {m for _, m in scores.values()} == {expected["alice"]}


def test_nbgrader_and_coursekit_grade_give_the_same_scores(graded):
    course, _, gradebook = graded
    with open(gradebook, newline="") as f:
        rows = list(csv.DictReader(f))
    ours = {
        Path(r["submission"]).relative_to(course / "submitted").parts[0]: (
            float(r["total"]),
            float(r["max_total"]),
        )
        for r in rows
    }
    assert {r["exercise"] for r in rows} == {EXERCISE}
    assert ours == _nbgrader_scores(course)


def test_feedback_shows_the_visible_tests_and_hides_the_hidden_ones(graded):
    course, subs, _ = graded
    release = read_notebook(course / "release" / ASSIGNMENT / f"{EXERCISE}.ipynb")
    visible = {line.strip() for c in release.cells for line in c.source.splitlines()}
    hidden = {
        line.strip()
        for c in subs["alice"].cells
        for region in _hidden_regions(c.source)
        for line in region.splitlines()
        if len(line.strip()) > 12 and line.strip() not in visible
    }
    assert len(hidden) > 10
    shown = {  # the control: the visible tests are on the page
        line.strip()
        for c in release.cells
        if is_test(c)
        for line in c.source.splitlines()
        if len(line.strip()) > 12
    }
    for student in subs:
        page = course / "feedback" / student / ASSIGNMENT / f"{EXERCISE}.html"
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{student}'s feedback shows hidden tests: {leaked[:3]}"
        assert "BEGIN HIDDEN" not in text
        missing = [line for line in shown if line not in text]
        assert len(shown) > 10 and not missing, missing[:5]


def test_canvas_export_plugin_writes_nbgraders_scores(graded):
    course, subs, _ = graded
    with open(course / "canvas.csv", newline="") as f:
        rows = list(csv.reader(f))
    header, possible, *people = rows
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                      ASSIGNMENT]  # fmt: skip
    assert possible[0] == "Points Possible" and float(possible[-1]) == 8
    expected = _expected(subs)
    assert {r[3]: float(r[-1]) for r in people} == expected
