"""`python -m coursekit.nbgrader_course`: the exercises as an nbgrader course.

Every graded test cell ends in a statement with no value (nbgrader reads a
test cell's shown value as its points).  The end-to-end tests run
nbgrader's own commands on every exercise, one course each:
generate_assignment, four submissions under submitted/<student>/ (correct,
partial, broken by a syntax error, blank), autograde and export, and grade
the same submissions with coursekit.grade: the two graders' points must be
equal part by part.  Exercise 01's course also gets generate_feedback
(which must not show hidden tests) and the Canvas export plugin.
"""

import ast
import copy
import csv
import html
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from coursekit.notebooks import (
    BEGIN_HIDDEN,
    END_HIDDEN,
    grade_id,
    is_solution,
    is_test,
    read_notebook,
    source_notebooks,
)
from coursekit.publishing import nbgrader_course

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISE = "01_forward_propagation_exercises"
ASSIGNMENT = "01_forward_propagation"


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


# nbgrader, end to end: every exercise


STUDENTS = ("correct", "partial", "broken", "blank")
# the shared fixture runs 48 notebooks in nbgrader and 48 in coursekit.grade:
# 11-14 min on the 2-core development machine under a load of 11-20, PyTorch
# installed (2026-12-07)
ROUND_TRIP = pytest.mark.timeout(1800)
# seconds per cell, in both graders, as nbval's in `make test`
CELL_TIMEOUT = 300


def _nbgrader(course, *args):
    bindir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    run = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert run.returncode == 0, " ".join(args) + "\n" + run.stdout + run.stderr
    return run


def _submissions(solved, blank):
    """{student: notebook} for one exercise.

    correct: the solution; blank: the released exercise; partial: the
    exercise with the solution cells above its first graded test answered;
    broken: the solution whose last solution cell ends in a syntax error.
    """
    answers = {grade_id(c): c.source for c in solved.cells}
    partial = copy.deepcopy(blank)
    for cell in partial.cells:
        if is_test(cell):
            break
        if is_solution(cell) and cell.cell_type == "code":
            cell.source = answers[grade_id(cell)]
    broken = copy.deepcopy(solved)
    last = [c for c in broken.cells if is_solution(c) and c.cell_type == "code"][-1]
    last.source += "\ndef oops(:\n    pass"
    return {"correct": solved, "partial": partial, "broken": broken, "blank": blank}


def _nbgrader_round_trip(base, stem):
    """One nbgrader course per exercise: generate, submit, autograde, export.

    Returns the course folder.  Exercise 01's course also gets feedback and
    the Canvas export plugin's file.
    """
    assignment = nbgrader_course.assignment_name(stem)
    course = base / assignment
    # a loaded CI machine can take a minute to import PyTorch (exercise 10)
    nbgrader_course.write_course(course, SOLUTIONS, [stem], cell_timeout=CELL_TIMEOUT)
    _nbgrader(course, "generate_assignment", assignment)
    name = f"{stem}.ipynb"
    subs = _submissions(
        read_notebook(course / "source" / assignment / name),
        read_notebook(course / "release" / assignment / name),
    )
    for student, nb in subs.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / name)
        (folder / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    _nbgrader(course, "autograde", assignment)
    _nbgrader(course, "export", "--to", "grades.csv")
    if stem == EXERCISE:
        _nbgrader(course, "generate_feedback", assignment)
        _nbgrader(
            course,
            "export",
            "--exporter=coursekit.lms.CanvasExportPlugin",
            "--to",
            "canvas.csv",
        )
    return course


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """Every exercise through nbgrader, and the same submissions through
    coursekit.grade: {exercise stem: course folder}, coursekit's gradebook."""
    pytest.importorskip("nbgrader", reason="optional: pip install nbgrader")
    base = tmp_path_factory.mktemp("nbgrader")
    stems = [p.stem for p in source_notebooks(SOLUTIONS)]
    assert len(stems) == 12
    # one course (and database) per exercise, so two nbgrader runs at a time
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = pool.map(lambda stem: _nbgrader_round_trip(base, stem), stems)
        courses = dict(zip(stems, done, strict=True))
    gradebook = base / "coursekit_gradebook.csv"
    run = subprocess.run(
        [sys.executable, "-m", "coursekit.grade",
         *(str(c / "submitted") for c in courses.values()),
         "--source", str(SOLUTIONS), "--out", str(gradebook), "--jobs", "2",
         "--cell-timeout", str(CELL_TIMEOUT), "--timeout", "1200"],
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    return courses, gradebook


def _nbgrader_parts(course, stem):
    """{student: {grade_id: points}} of the graded test cells, from
    nbgrader's database."""
    from nbgrader.api import Gradebook

    assignment = nbgrader_course.assignment_name(stem)
    source = read_notebook(course / "source" / assignment / f"{stem}.ipynb")
    tests = [grade_id(c) for c in source.cells if is_test(c)]
    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in STUDENTS:
            nb = gb.find_submission_notebook(stem, assignment, student)
            grades = {g.name: g.score for g in nb.grades}
            found[student] = {gid: float(grades[gid]) for gid in tests}
    return found


def _nbgrader_totals(course):
    with open(course / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {r["student_id"]: (float(r["score"]), float(r["max_score"])) for r in rows}


def _coursekit_parts(gradebook, courses):
    """{stem: {student: {grade_id: points}}}, and {stem: {student: (total,
    max_total)}}, from coursekit.grade's gradebook."""
    with open(gradebook, newline="") as f:
        rows = list(csv.DictReader(f))
    parts, totals = {}, {}
    for row in rows:
        stem = row["exercise"]
        assert row["status"] == "ok", row
        student = Path(row["submission"]).relative_to(courses[stem]).parts[1]
        assignment = nbgrader_course.assignment_name(stem)
        source = read_notebook(courses[stem] / "source" / assignment / f"{stem}.ipynb")
        mine = {}
        for cell in source.cells:
            if is_test(cell):
                gid = grade_id(cell)
                column = gid if gid in row else f"{stem}:{gid}"
                mine[gid] = float(row[column])
        parts.setdefault(stem, {})[student] = mine
        totals.setdefault(stem, {})[student] = (
            float(row["total"]),
            float(row["max_total"]),
        )
    return parts, totals


@ROUND_TRIP
def test_every_exercise_scores_the_same_part_by_part_in_nbgrader(round_trip):
    courses, gradebook = round_trip
    ours, our_totals = _coursekit_parts(gradebook, courses)
    assert sorted(ours) == sorted(courses)
    differ = []
    for stem, course in courses.items():
        theirs = _nbgrader_parts(course, stem)
        assert sorted(ours[stem]) == sorted(STUDENTS), stem
        for student in STUDENTS:
            if theirs[student] != ours[stem][student]:
                differ.append(
                    f"{stem} {student}: nbgrader {theirs[student]}, "
                    f"coursekit {ours[stem][student]}"
                )
        # the totals nbgrader exports are those of coursekit.grade too
        assert _nbgrader_totals(course) == our_totals[stem], stem
    assert not differ, "\n".join(differ)


@ROUND_TRIP
def test_the_submissions_score_what_they_hold(round_trip):
    courses, gradebook = round_trip
    _, totals = _coursekit_parts(gradebook, courses)
    for stem, scores in totals.items():
        full = scores["correct"][1]
        assert full > 0, stem
        assert scores["correct"] == (full, full), stem
        assert scores["blank"] == (0.0, full), stem
        # the first part answered scores, the rest does not
        assert 0 < scores["partial"][0] < full, (stem, scores["partial"])
        # a syntax error in the last solution cell costs at least its part
        assert scores["broken"][0] < full, (stem, scores["broken"])


@ROUND_TRIP
def test_feedback_shows_the_visible_tests_and_hides_the_hidden_ones(round_trip):
    courses, _ = round_trip
    course = courses[EXERCISE]
    source = read_notebook(course / "source" / ASSIGNMENT / f"{EXERCISE}.ipynb")
    release = read_notebook(course / "release" / ASSIGNMENT / f"{EXERCISE}.ipynb")
    visible = {line.strip() for c in release.cells for line in c.source.splitlines()}
    hidden = {
        line.strip()
        for c in source.cells
        for region in _hidden_regions(c.source)
        for line in region.splitlines()
        if len(line.strip()) > 12 and line.strip() not in visible
    }
    # a hidden line that a visible one contains (the same code before its
    # comment) is on the page through the visible test, not a leak
    hidden = {h for h in hidden if not any(h in v for v in visible)}
    assert len(hidden) > 10
    shown = {  # the control: the visible tests are on the page
        line.strip()
        for c in release.cells
        if is_test(c)
        for line in c.source.splitlines()
        if len(line.strip()) > 12
    }
    for student in STUDENTS:
        page = course / "feedback" / student / ASSIGNMENT / f"{EXERCISE}.html"
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{student}'s feedback shows hidden tests: {leaked[:3]}"
        assert "BEGIN HIDDEN" not in text
        missing = [line for line in shown if line not in text]
        assert len(shown) > 10 and not missing, missing[:5]


@ROUND_TRIP
def test_canvas_export_plugin_writes_nbgraders_scores(round_trip):
    courses, _ = round_trip
    course = courses[EXERCISE]
    with open(course / "canvas.csv", newline="") as f:
        rows = list(csv.reader(f))
    header, possible, *people = rows
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                      ASSIGNMENT, "coursekit comment"]  # fmt: skip
    assert possible[0] == "Points Possible" and float(possible[5]) == 8
    totals = _nbgrader_totals(course)
    assert {r[3]: float(r[5]) for r in people} == {
        s: score for s, (score, _) in totals.items()
    }
    assert totals["correct"] == (8.0, 8.0) and totals["blank"] == (0.0, 8.0)
