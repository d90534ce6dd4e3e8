"""`coursekit.lms`: grades as a Canvas import, from both graders.

From coursekit.grade: a real grading run of the fixture exercises (three
students, one folder each) is turned into Canvas's CSV, whose numbers must
be the points of the parts each student passed; a second run grades a
Canvas download against Canvas's roster (missing, invalid, late, duplicate
and unknown students), and a Moodle roster gives Moodle's layout.  From nbgrader: the export
plugin reads an nbgrader gradebook database built here with nbgrader's API.
(tests/test_nbgrader_course.py runs the plugin through `nbgrader export`.)
"""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit import grade, lms
from coursekit.grading import lms_layout
from coursekit.notebooks import (
    grade_id,
    graded_parts,
    load_source,
    read_notebook,
    write_notebook,
)
from coursekit.publishing.exercises import make_exercise

SOURCE = Path(__file__).parent / "fixtures" / "grading" / "source"
ARITH, STRINGS = "fx01_arithmetic", "fx02_strings"
HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
ROOT = Path(__file__).resolve().parents[1]


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


# --------------------------------------------------------------------------
# The Canvas rows


def test_canvas_rows_have_canvas_columns_a_points_row_and_blanks():
    rows = lms_layout.canvas_rows(
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
    assert header == [*HEADER, ARITH, STRINGS, lms_layout.COMMENT]
    assert possible == ["Points Possible", "", "", "", "",
                        f"{sum(arith.values()):g}", f"{sum(strings.values()):g}",
                        "(read only)"]  # fmt: skip
    scores = {row[3]: row[5:] for row in people}
    assert scores == {
        "alice": [f"{sum(arith.values()):g}", f"{sum(strings.values()):g}", ""],
        "bob": ["0", f"{sum(strings.values()):g}", ""],
        # no roster says carol owed fx02: her cell stays blank
        "carol": [f"{arith['add_tests']:g}", "", ""],
    }
    assert sum(arith.values()) == 5 and arith["add_tests"] == 2


def test_roster_supplies_canvas_ids_sections_and_missing_students(
    gradebook, tmp_path, capsys
):
    roster = tmp_path / "roster.csv"
    with open(roster, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*HEADER, "Old assignment (123)", "Fx01 Arithmetic (111)"])
        writer.writerow(["Points Possible", "", "", "", "", "10", "5"])
        for i, login in enumerate(("alice", "bob", "carol", "dave")):
            writer.writerow(
                [f"{login.title()}, A", 100 + i, f"S{i}", login, "Sec 1", 7, 1]
            )
    out = tmp_path / "canvas.csv"
    assert lms.main([str(gradebook), "--roster", str(roster), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"no column for {STRINGS}" in err and "new assignment" in err
    header, possible, *rows = _read(out)
    # the roster's own column (and ID) for fx01; fx02 has none: its own name
    assert header == [*HEADER, "Fx01 Arithmetic (111)", STRINGS, lms_layout.COMMENT]
    assert possible == ["Points Possible", "", "", "", "", "5", "3", "(read only)"]
    assert rows == [
        ["Alice, A", "100", "S0", "alice", "Sec 1", "5", "3", ""],
        ["Bob, A", "101", "S1", "bob", "Sec 1", "0", "3", ""],
        ["Carol, A", "102", "S2", "carol", "Sec 1", "2", "0",
         f"{STRINGS}: no submission"],
        ["Dave, A", "103", "S3", "dave", "Sec 1", "0", "0",
         f"{ARITH}: no submission | {STRINGS}: no submission"],
    ]  # fmt: skip


def test_a_student_missing_from_the_roster_is_kept_and_named(
    gradebook, tmp_path, capsys
):
    roster = tmp_path / "roster.csv"
    roster.write_text(",".join(HEADER) + "\nAlice,1,S1,alice,Sec 1\n")
    args = [str(gradebook), "--roster", str(roster), "--out", str(tmp_path / "c.csv")]
    assert lms.main(args) == 0
    assert "not on the roster (the LMS will not find them): bob, carol" in (
        capsys.readouterr().err
    )
    rows = _read(tmp_path / "c.csv")[2:]
    assert [r[3] for r in rows] == ["alice", "bob", "carol"]
    assert rows[1][-1].startswith("not on the roster") and rows[1][5:7] == ["0", "3"]


def test_two_submissions_of_one_exercise_by_one_student_give_the_higher(tmp_path):
    book = tmp_path / "gradebook.csv"
    book.write_text(
        "submission,student,total,max_total,status,exercise,message\n"
        "subs/alice/fx01.ipynb,alice,2,5,ok,fx01,\n"
        "subs/alice/old/fx01.ipynb,alice,5,5,ok,fx01,\n"
    )
    grades, possible = lms.gradebook_grades(book)
    assert possible == {"fx01": 5.0}
    assert grades["alice"]["fx01"].points == 5.0
    assert grades["alice"]["fx01"].notes == [
        "two or more submissions: the highest score counts"
    ]


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
        [*HEADER, "ps1", "ps2", lms_layout.COMMENT],
        ["Points Possible", "", "", "", "", "5", "4", "(read only)"],
        ["Liddell, Alice", "9001", "", "alice", "", "3.5", "4", ""],
        ["bob", "", "", "bob", "", "3", "0", "ps2: no submission"],
    ]


# --------------------------------------------------------------------------
# A Canvas download against Canvas's roster, through both commands

CANVAS_ROSTER = [
    [*HEADER, "Fx01 Arithmetic (111)", "fx02_strings (112)", "Current Score"],
    ["Points Possible", "", "", "", "", "5", "3", "(read only)"],
    ["Smith, Alice", "12345", "S1", "asmith", "A", "", "", ""],
    ["Jones, Bob", "12346", "S2", "bjones", "A", "", "", ""],
    ["Lee, Carol", "12347", "S3", "clee", "B", "4", "", ""],  # an old value
    ["Diaz, Dave", "12348", "S4", "ddiaz", "B", "", "", ""],
    ["Ng, Erin", "12349", "S5", "eng", "B", "", "", ""],
]


@pytest.fixture(scope="module")
def canvas_class(tmp_path_factory):
    """Canvas's download of fx01 and fx02, graded with Canvas's roster:
    alice solves both; bob's fx01 is blank and his fx02 late; carol's fx01
    is no notebook; dave hands in nothing; erin hands in fx01 twice (a
    blank, then the solution); zed is not on the roster."""
    base = tmp_path_factory.mktemp("canvas")
    solved = {n: read_notebook(SOURCE / f"{n}.ipynb") for n in (ARITH, STRINGS)}
    blank = {n: make_exercise(load_source(SOURCE / f"{n}.ipynb")) for n in solved}
    download = base / "download"
    download.mkdir()
    for file, nb in {
        f"smithalice_12345_70001_{ARITH}.ipynb": solved[ARITH],
        f"smithalice_12345_70002_{STRINGS}.ipynb": solved[STRINGS],
        f"jonesbob_12346_70003_{ARITH}.ipynb": blank[ARITH],
        f"jonesbob_LATE_12346_70004_{STRINGS}.ipynb": solved[STRINGS],
        f"ngerin_12349_70005_{ARITH}.ipynb": blank[ARITH],
        f"ngerin_12349_70006_{ARITH}-1.ipynb": solved[ARITH],
        f"zed_99999_70007_{ARITH}.ipynb": solved[ARITH],
    }.items():
        write_notebook(nb, download / file)
    (download / f"leecarol_12347_70008_{ARITH}.ipynb").write_text("not a notebook")
    roster = base / "roster.csv"
    with open(roster, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(CANVAS_ROSTER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "coursekit.grade", "download", "--source", str(SOURCE),
         "--roster", "roster.csv", "--out", "gradebook.csv", "--jobs", "2"],
        cwd=base, capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    run = subprocess.run(
        [sys.executable, "-m", "coursekit.lms", "gradebook.csv", "--roster",
         "roster.csv", "--out", "canvas.csv"],
        cwd=base, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    return base, run


def test_canvas_import_reuses_the_rosters_assignment_columns(canvas_class):
    base, _ = canvas_class
    header, possible, *_ = _read(base / "canvas.csv")
    assert header == [*HEADER, "Fx01 Arithmetic (111)", "fx02_strings (112)",
                      lms_layout.COMMENT]  # fmt: skip
    assert possible == ["Points Possible", "", "", "", "", "5", "3", "(read only)"]


def test_canvas_import_carries_every_student_with_a_comment(canvas_class):
    base, run = canvas_class
    rows = {r[1]: r[5:] for r in _read(base / "canvas.csv")[2:]}
    assert list(rows) == ["12345", "12346", "12347", "12348", "12349", ""]
    assert rows["12345"] == ["5", "3", ""]
    assert rows["12346"][:2] == ["0", "3"]
    assert (
        rows["12346"][2]
        == f"{STRINGS}: jonesbob_LATE_12346_70004_{STRINGS}.ipynb: late"
    )
    # carol's unreadable notebook: 0 (her old 4 must go), and why
    assert rows["12347"][:2] == ["0", "0"]
    assert f"leecarol_12347_70008_{ARITH}.ipynb: invalid-notebook" in rows["12347"][2]
    assert f"{STRINGS}: no submission" in rows["12347"][2]
    assert rows["12348"] == ["0", "0",
                             f"{ARITH}: no submission | {STRINGS}: no submission"]  # fmt: skip
    # erin's two fx01: the solution counts, and the comment says there were two
    assert rows["12349"][0] == "5"
    assert "two or more submissions: the highest score counts" in rows["12349"][2]
    # zed is not on the roster: kept at the end, named on stderr
    zed = _read(base / "canvas.csv")[-1]
    assert (
        zed[3] == "99999" and zed[5] == "5" and zed[-1].startswith("not on the roster")
    )
    assert "not on the roster (the LMS will not find them): 99999" in run.stderr


def test_the_gradebook_flags_the_duplicate_and_the_late_file(canvas_class):
    base, _ = canvas_class
    with open(base / "gradebook.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    erin = [r for r in rows if r["student"] == "eng" and r["submission"]]
    assert len(erin) == 2 and all("also handed in" in r["message"] for r in erin)
    assert sorted(r["total"] for r in erin) == ["0", "5"]


# --------------------------------------------------------------------------
# Moodle's gradebook export as the roster

MOODLE_ROSTER = [
    ["First name", "Last name", "ID number", "Institution", "Department",
     "Email address", "Assignment: fx01 arithmetic (Real)", "Course total (Real)",
     "Last downloaded from this course"],
    ["Alice", "Smith", "A1", "", "", "alice@uni.example", "-", "-", "1765000000"],
    ["Bob", "Jones", "B2", "", "", "bob@uni.example", "-", "-", "1765000000"],
]  # fmt: skip


def test_moodle_roster_gives_moodles_columns_and_every_student(tmp_path, capsys):
    roster = tmp_path / "moodle.csv"
    with open(roster, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(MOODLE_ROSTER)
    book = tmp_path / "gradebook.csv"
    book.write_text(
        "submission,student,total,max_total,status,exercise,message\n"
        f"subs/A1/{ARITH}.ipynb,A1,4,5,ok,{ARITH},\n"
        f"subs/A1/{STRINGS}.ipynb,A1,3,3,ok,{STRINGS},\n"
    )
    out = tmp_path / "moodle_import.csv"
    assert lms.main([str(book), "--roster", str(roster), "--out", str(out)]) == 0
    assert f"no column for {STRINGS}" in capsys.readouterr().err
    assert _read(out) == [
        ["First name", "Last name", "ID number", "Institution", "Department",
         "Email address", "Assignment: fx01 arithmetic (Real)", STRINGS,
         lms_layout.COMMENT],
        ["Alice", "Smith", "A1", "", "", "alice@uni.example", "4", "3", ""],
        ["Bob", "Jones", "B2", "", "", "bob@uni.example", "0", "0",
         f"{ARITH}: no submission | {STRINGS}: no submission"],
    ]  # fmt: skip


def test_a_roster_of_no_known_lms_is_refused(tmp_path, capsys):
    roster = tmp_path / "r.csv"
    roster.write_text("student,name\nalice,Alice\n")
    book = tmp_path / "gradebook.csv"
    book.write_text(
        "submission,student,total,max_total,status,exercise,message\n"
        f"subs/alice/{ARITH}.ipynb,alice,4,5,ok,{ARITH},\n"
    )
    assert lms.main([str(book), "--roster", str(roster), "--out", "x.csv"]) == 2
    assert "neither Canvas's gradebook export" in capsys.readouterr().err
