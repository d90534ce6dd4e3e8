"""`coursekit.lms`: grades as a Canvas import, from both graders.

From coursekit.grade: a real grading run of the fixture exercises (three
students, one folder each) is turned into Canvas's CSV, whose numbers must
be the points of the parts each student passed.  From nbgrader: the export
plugin reads an nbgrader gradebook database built here with nbgrader's API.
(tests/test_nbgrader_course.py runs the plugin through `nbgrader export`.)
"""

import csv
import os
import sys
from pathlib import Path

import pytest

from coursekit import grade, lms
from coursekit.exercises import make_exercise
from coursekit.notebooks import (
    grade_id,
    graded_parts,
    load_source,
    read_notebook,
    write_notebook,
)

SOURCE = Path(__file__).parent / "fixtures" / "grading" / "source"
ARITH, STRINGS = "fx01_arithmetic", "fx02_strings"
HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


# --------------------------------------------------------------------------
# The Canvas rows


def test_canvas_rows_have_canvas_columns_a_points_row_and_blanks():
    rows = lms.canvas_rows(
        {"bob": {"ex2": 3.0}, "alice": {"ex1": 1.5, "ex2": 0.0}},
        {"ex1": 5.0, "ex2": 3.0},
    )
    assert rows == [
        [*HEADER, "ex1", "ex2"],
        ["Points Possible", "", "", "", "", "5", "3"],
        ["alice", "", "", "alice", "", "1.5", "0"],
        ["bob", "", "", "bob", "", "", "3"],  # nothing for ex1: left blank
    ]


def test_student_is_the_first_folder_below_the_root():
    root = Path("course/submitted")
    path = "course/submitted/carol/01_x/01_x_exercises.ipynb"
    assert lms.student_of(path, root) == "carol"
    with pytest.raises(lms.ExportError, match="no student folder"):
        lms.student_of("course/submitted/01_x.ipynb", root)
    with pytest.raises(lms.ExportError, match="not below --root"):
        lms.student_of("elsewhere/carol/01_x.ipynb", root)


# --------------------------------------------------------------------------
# From coursekit.grade's gradebook


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    """A gradebook of alice (all solved), bob (fx01 blank, fx02 solved) and
    carol (fx01 with only `add` solved, no fx02)."""
    base = tmp_path_factory.mktemp("lms")
    solved = {n: read_notebook(SOURCE / f"{n}.ipynb") for n in (ARITH, STRINGS)}
    blank = {n: make_exercise(load_source(SOURCE / f"{n}.ipynb")) for n in solved}
    partial = make_exercise(load_source(SOURCE / f"{ARITH}.ipynb"))
    answer = {grade_id(c): c.source for c in solved[ARITH].cells}
    for cell in partial.cells:
        if grade_id(cell) == "add_solution":
            cell.source = answer["add_solution"]
    subs = {
        "alice": {ARITH: solved[ARITH], STRINGS: solved[STRINGS]},
        "bob": {ARITH: blank[ARITH], STRINGS: solved[STRINGS]},
        "carol": {ARITH: partial},
    }
    for student, notebooks in subs.items():
        for name, nb in notebooks.items():
            (base / "subs" / student).mkdir(parents=True, exist_ok=True)
            write_notebook(nb, base / "subs" / student / f"{name}.ipynb")
    out = base / "gradebook.csv"
    args = [str(base / "subs"), "--source", str(SOURCE), "--out", str(out)]
    assert grade.main([*args, "--jobs", "2"]) == 0
    return out


def _points(name):
    """{grade_id: points} of the autograded parts of a fixture exercise."""
    nb = load_source(SOURCE / f"{name}.ipynb")
    return {p.grade_id: p.points for p in graded_parts(nb) if p.auto}


def test_canvas_csv_from_the_gradebook_has_each_students_points(gradebook, capsys):
    out = gradebook.parent / "canvas.csv"
    assert lms.main([str(gradebook), "--out", str(out)]) == 0
    assert "3 student(s), 2 exercise(s)" in capsys.readouterr().out
    arith, strings = _points(ARITH), _points(STRINGS)
    header, possible, *people = _read(out)
    assert header == [*HEADER, ARITH, STRINGS]
    assert possible == ["Points Possible", "", "", "", "",
                        f"{sum(arith.values()):g}", f"{sum(strings.values()):g}"]  # fmt: skip
    scores = {row[3]: row[5:] for row in people}
    assert scores == {
        "alice": [f"{sum(arith.values()):g}", f"{sum(strings.values()):g}"],
        "bob": ["0", f"{sum(strings.values()):g}"],
        "carol": [f"{arith['add_tests']:g}", ""],  # no fx02 from carol
    }
    assert sum(arith.values()) == 5 and arith["add_tests"] == 2


def test_roster_supplies_canvas_ids_and_sections(gradebook, tmp_path):
    roster = tmp_path / "roster.csv"
    with open(roster, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*HEADER, "Old assignment (123)"])
        writer.writerow(["Points Possible", "", "", "", "", "10"])
        for i, login in enumerate(("alice", "bob", "carol", "dave")):
            writer.writerow(
                [f"{login.title()}, A", 100 + i, f"S{i}", login, "Sec 1", 7]
            )
    out = tmp_path / "canvas.csv"
    assert lms.main([str(gradebook), "--roster", str(roster), "--out", str(out)]) == 0
    rows = _read(out)[2:]
    assert [r[:5] for r in rows] == [
        ["Alice, A", "100", "S0", "alice", "Sec 1"],
        ["Bob, A", "101", "S1", "bob", "Sec 1"],
        ["Carol, A", "102", "S2", "carol", "Sec 1"],
    ]  # dave submitted nothing: no row, Canvas keeps his grades


def test_a_student_missing_from_the_roster_is_named(gradebook, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(",".join(HEADER) + "\nAlice,1,S1,alice,Sec 1\n")
    args = [str(gradebook), "--roster", str(roster), "--out", str(tmp_path / "c.csv")]
    assert lms.main(args) == 2
    assert "not in the roster" in capsys.readouterr().err
    assert not (tmp_path / "c.csv").exists()


def test_two_submissions_of_one_exercise_by_one_student_are_refused(tmp_path):
    book = tmp_path / "gradebook.csv"
    book.write_text(
        "submission,total,max_total,status,exercise,message\n"
        "subs/alice/fx01.ipynb,2,5,ok,fx01,\n"
        "subs/alice/old/fx01.ipynb,5,5,ok,fx01,\n"
    )
    with pytest.raises(lms.ExportError, match="two submissions of fx01 for alice"):
        lms.gradebook_scores(book)


def test_a_csv_that_is_not_a_gradebook_is_refused(tmp_path, capsys):
    other = tmp_path / "other.csv"
    other.write_text("name,score\nalice,3\n")
    assert lms.main([str(other), "--out", str(tmp_path / "c.csv")]) == 2
    assert "not a coursekit.grade gradebook" in capsys.readouterr().err


# --------------------------------------------------------------------------
# From nbgrader's database


def test_canvas_export_plugin_reads_nbgraders_gradebook(tmp_path, monkeypatch):
    api = pytest.importorskip("nbgrader.api", reason="optional: pip install nbgrader")
    bindir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    monkeypatch.setenv("PATH", bindir + os.pathsep + os.environ.get("PATH", ""))
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with api.Gradebook(url) as gb:
        for name, cells in (("ps1", {"a": 2, "b": 3}), ("ps2", {"c": 4})):
            gb.add_assignment(name)
            gb.add_notebook("nb", name)
            for cell, points in cells.items():
                gb.add_grade_cell(cell, "nb", name, max_score=points, cell_type="code")
        gb.add_student("alice", first_name="Alice", last_name="Liddell",
                       lms_user_id="9001")  # fmt: skip
        gb.add_student("bob")
        earned = {("ps1", "alice"): {"a": 2, "b": 1.5}, ("ps1", "bob"): {"a": 0, "b": 3},
                  ("ps2", "alice"): {"c": 4}}  # fmt: skip
        for (assignment, student), cells in earned.items():
            gb.add_submission(assignment, student)
            for cell, points in cells.items():
                gb.find_grade(cell, "nb", assignment, student).auto_score = points
        gb.db.commit()

        out = tmp_path / "canvas.csv"
        plugin = lms.CanvasExportPlugin(to=str(out))
        plugin.export(gb)
    assert _read(out) == [
        [*HEADER, "ps1", "ps2"],
        ["Points Possible", "", "", "", "", "5", "4"],
        ["Liddell, Alice", "9001", "", "alice", "", "3.5", "4"],
        ["bob", "", "", "bob", "", "3", ""],  # bob sent nothing for ps2
    ]
