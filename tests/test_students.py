"""Tests for coursekit.students: the student ID in an exported file's name."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.notebooks import load_source, read_notebook, write_notebook
from coursekit.publishing.exercises import make_exercise
from coursekit.students import (
    RosterError,
    read_roster,
    roster_ids,
    student_id,
    without_copy_suffix,
)

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path(__file__).parent / "fixtures" / "grading" / "source"

EXERCISE = "01_forward_propagation_exercises"
FILE = EXERCISE + ".ipynb"


@pytest.mark.parametrize(
    "path, expected",
    [
        # Moodle: a folder per submission, or its name as the file's prefix
        (f"Alice Smith_12345_assignsubmission_file_/{FILE}", "12345"),
        (f"Alice Smith_12345_assignsubmission_file_{FILE}", "12345"),
        # Canvas: name, (LATE), user ID, attachment ID, the learner's file name
        (f"smithalice_12345_67890_{FILE}", "12345"),
        (f"smithalice_LATE_12345_67890_{FILE}", "12345"),
        (f"smithalice_late_12345_67890_{EXERCISE}-1.ipynb", "12345"),
        # nbgrader's exchange and JupyterHub: <step>/<student>/<assignment>/
        (f"submitted/alice/ps1/{FILE}", "alice"),
        (f"autograded/bob/ps1/{FILE}", "bob"),
        # a student prefix or suffix around the exercise's name
        (f"alice_{FILE}", "alice"),
        (f"{EXERCISE}-bob.ipynb", "bob"),
        (f"{EXERCISE} carol.ipynb", "carol"),
        # one folder per student
        (f"alice/{FILE}", "alice"),
        (f"section-a/alice/{FILE}", "section-a"),
        # nothing to go by
        (FILE, ""),
        # copies: Jupyter's, a file manager's, a browser's; never an ID
        (f"trent/{EXERCISE}-Copy1.ipynb", "trent"),
        (f"trent/{EXERCISE}-Copy2-Copy1.ipynb", "trent"),
        (f"trent/{EXERCISE} - Copy.ipynb", "trent"),
        (f"trent/{EXERCISE} - Copy (2).ipynb", "trent"),
        (f"trent/{EXERCISE} (1).ipynb", "trent"),
        (f"alice_{EXERCISE}-Copy1.ipynb", "alice"),
        (f"{EXERCISE}-bob - Copy.ipynb", "bob"),
        (f"smithalice_12345_67890_{EXERCISE}-Copy1.ipynb", "12345"),
        (f"{EXERCISE}-Copy1.ipynb", ""),
    ],
)
def test_student_id_from_the_names_platforms_give(path, expected):
    assert student_id(f"/class/{path}", "/class", EXERCISE) == expected


def test_student_id_without_an_exercise_uses_the_folder():
    assert student_id("/c/dave/renamed.ipynb", "/c") == "dave"
    assert student_id("/c/renamed.ipynb", "/c") == ""


def test_roster_reads_our_column_and_canvas_export(tmp_path):
    ours = tmp_path / "ours.csv"
    ours.write_text("student,email\nalice,a@x\n\nbob,b@x\n")
    assert roster_ids(read_roster(ours)) == ["alice", "bob"]
    canvas = tmp_path / "canvas.csv"
    canvas.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section\n"
        "Points Possible,,,,\n"
        "Smith Alice,12345,900,asmith,A\n"
        "Jones Bob,12346,,,A\n",
        encoding="utf-8-sig",  # Excel's byte order mark
    )
    students = read_roster(canvas)
    assert roster_ids(students) == ["asmith", "12346"]
    assert students[0]["ids"] == {"12345", "900", "asmith"}


def test_roster_without_an_id_column_says_what_it_expected(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nAlice,a@x\n")
    with pytest.raises(RosterError, match="expected one of student, SIS Login ID"):
        read_roster(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("student\n")
    with pytest.raises(RosterError, match="lists no student"):
        read_roster(empty)


@pytest.mark.parametrize(
    "stem, expected",
    [
        ("01_x-Copy1", "01_x"),
        ("01_x - Copy (3)", "01_x"),
        ("01_x copy 2", "01_x"),
        ("01_x (1)", "01_x"),
        ("01_x-alice", "01_x-alice"),  # a student suffix stays
        ("copycat_01_x", "copycat_01_x"),
        ("Copy1", "Copy1"),  # nothing would be left: the name stays
    ],
)
def test_copy_suffixes_come_off_and_nothing_else(stem, expected):
    assert without_copy_suffix(stem) == expected


def test_a_copy_of_ones_own_notebook_is_graded_as_ones_own_and_flagged(tmp_path):
    """trent hands in his notebook and a Jupyter copy of it: both rows are
    trent's, each scored for what it holds, each naming the other."""
    name = "fx01_arithmetic"
    solved = read_notebook(SOURCE / f"{name}.ipynb")
    blank = make_exercise(load_source(SOURCE / f"{name}.ipynb"))
    for student in ("trent", "ursula"):
        (tmp_path / "class" / student).mkdir(parents=True)
    write_notebook(blank, tmp_path / "class" / "trent" / f"{name}.ipynb")
    write_notebook(solved, tmp_path / "class" / "trent" / f"{name}-Copy1.ipynb")
    write_notebook(solved, tmp_path / "class" / "ursula" / f"{name}.ipynb")
    run = subprocess.run(
        [sys.executable, "-m", "coursekit.grade", "class", "--source", str(SOURCE),
         "--out", "gradebook.csv", "--jobs", "2"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    with open(tmp_path / "gradebook.csv", newline="", encoding="utf-8") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    copy = rows[f"class/trent/{name}-Copy1.ipynb"]
    own = rows[f"class/trent/{name}.ipynb"]
    other = rows[f"class/ursula/{name}.ipynb"]
    assert [r["student"] for r in (copy, own, other)] == ["trent", "trent", "ursula"]
    assert copy["total"] == copy["max_total"] and float(copy["total"]) > 0
    assert own["total"] == "0"
    assert f"trent also handed in {name} as trent/{name}.ipynb" in copy["message"]
    assert f"as trent/{name}-Copy1.ipynb" in own["message"]
    assert "also handed in" not in other["message"]
