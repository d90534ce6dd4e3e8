"""Tests for coursekit.students: the student ID in an exported file's name."""

import pytest

from coursekit.students import RosterError, read_roster, roster_ids, student_id

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
