"""Who handed a submission in: the student ID in its file or folder name.

    student_id(path, root, exercise) -> "12345", "alice" or ""

The gradebook of `python -m coursekit.grade` has a `student` column filled
from the names that learning platforms give the files they export, tried in
this order:

| platform | what its download looks like | student ID |
|---|---|---|
| Moodle | `Alice Smith_12345_assignsubmission_file_/01_x.ipynb` (a folder per student, or that name as the file's prefix) | `12345` |
| Canvas | `smithalice_12345_67890_01_x.ipynb`, `smithalice_LATE_12345_67890_01_x.ipynb` | `12345` (Canvas's user ID) |
| nbgrader, JupyterHub | `submitted/alice/ps1/01_x.ipynb` (also `autograded/`, `feedback/`) | `alice` |
| a prefix or suffix | `alice_01_x.ipynb`, `01_x-alice.ipynb` | `alice` |
| a folder per student | `subs/alice/01_x.ipynb` | `alice` (the first folder below the class folder) |

A name that fits none (a single notebook given on its own) gives "".
Copy suffixes are never part of an ID: Jupyter's "Duplicate" and "Make a
Copy" (`01_x-Copy1.ipynb`), a file manager's (`01_x - Copy.ipynb`,
`01_x - Copy (2).ipynb`, `01_x copy 2.ipynb`) and a browser's download
(`01_x (1).ipynb`) are taken off the name first, so `trent/01_x-Copy1.ipynb`
is trent's (a second notebook of the exercise, which the grader flags).
A roster (`read_roster`) lists the students expected: each is found by any
of its IDs, so a Canvas export (ID, SIS User ID, SIS Login ID), a Moodle
gradebook export (ID number, Email address) or grading worksheet
(Identifier "Participant 12345", whose number is in Moodle's file names) or
a plain CSV with a `student` column all work.  `is_late` tells whether
Canvas marked a submission late (`_LATE_` in its name).
"""

from __future__ import annotations

import csv
import re
from pathlib import PurePath

MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assign(?:submission|feedback)_")
CANVAS = re.compile(r"^(?P<name>[^_]+)(?:_late)?_(?P<id>\d+)_(?P<file>\d+)_", re.I)
NBGRADER_STEPS = ("submitted", "autograded", "feedback")
# what Jupyter, file managers and browsers add to a copy's name, at its end
COPY_SUFFIX = re.compile(
    r"(?:-Copy\d*|[ _-]+-?[ _]*copy(?:[ _]*\(?\d+\)?)?|[ _]?\(\d+\))+$", re.I
)
AFFIX_SEPARATORS = "_-. "
# roster columns that can hold a student's ID: ours, Canvas's, then Moodle's
# (its gradebook export, and its grading worksheet's "Participant 12345")
ROSTER_ID_COLUMNS = (
    "student",
    "SIS Login ID",
    "SIS User ID",
    "ID",
    "Identifier",
    "ID number",
    "Username",
    "Email address",
)
MOODLE_PARTICIPANT = re.compile(r"^Participant\s+(\d+)$", re.I)


def student_id(path, root, exercise: str | None = None) -> str:
    """The ID of the student who handed in `path`, found below `root`.

    path, root: the submission and the class folder (the folder given to the
    grader, or the submissions' common folder); exercise: the stem of the
    exercise notebook it was matched to (e.g. "01_forward_propagation_exercises"),
    used to tell a student prefix or suffix from the exercise's own name.
    """
    path, root = PurePath(path), PurePath(root)
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        parts = path.parts
    folders, name = parts[:-1], PurePath(parts[-1]).stem if parts else ""
    name = without_copy_suffix(name)
    for part in (*folders, name):
        found = MOODLE.match(part)
        if found:
            return found["id"]
    found = CANVAS.match(name)
    if found:
        return found["id"]
    for step in NBGRADER_STEPS:
        if step in folders:
            after = folders[folders.index(step) + 1 :]
            if after:
                return after[0]
    if exercise and name != exercise:
        for sep in AFFIX_SEPARATORS:
            if name.startswith(exercise + sep):
                return name[len(exercise + sep) :]
            if name.endswith(sep + exercise):
                return name[: -len(sep + exercise)]
    return folders[0] if folders else ""


def without_copy_suffix(stem: str) -> str:
    """`01_x-Copy1`, `01_x - Copy (2)`, `01_x copy`, `01_x (1)` -> `01_x`."""
    return COPY_SUFFIX.sub("", stem) or stem


def is_late(path) -> bool:
    """Whether the platform marked the submission late in its name (Canvas's
    `smithalice_LATE_12345_67890_01_x.ipynb`)."""
    name = PurePath(path).name
    found = CANVAS.match(name)
    return bool(found) and "_late_" in name[: found.end("id") + 1].lower()


class RosterError(ValueError):
    """A roster file that cannot be read as one."""


def read_roster(path) -> list[dict]:
    """The students of a roster CSV: [{"ids": {...}, "row": {column: value}}].

    The file needs at least one of ROSTER_ID_COLUMNS; a student's IDs are the
    non-empty values of those columns (Canvas's "Points Possible" line is
    skipped).
    """
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = [c for c in ROSTER_ID_COLUMNS if c in (reader.fieldnames or [])]
        if not columns:
            found = ", ".join(reader.fieldnames or []) or "none"
            raise RosterError(
                f"roster {path} has no column of student IDs: expected one of "
                f"{', '.join(ROSTER_ID_COLUMNS)}, found {found}"
            )
        students = []
        for row in reader:
            if (row.get("Student") or "").strip() == "Points Possible":
                continue
            ids = {_id(row[c]) for c in columns if (row[c] or "").strip()}
            if ids:
                students.append({"ids": ids, "row": row})
    if not students:
        raise RosterError(f"roster {path} lists no student")
    return students


def _id(value: str) -> str:
    """A roster cell as an ID: Moodle's "Participant 12345" is 12345."""
    value = value.strip()
    found = MOODLE_PARTICIPANT.match(value)
    return found[1] if found else value


def roster_key(students: list[dict], student: str) -> str | None:
    """The roster's first ID column value for `student`, or None if absent."""
    for entry in students:
        if student in entry["ids"]:
            return _first_id(entry)
    return None


def _first_id(entry: dict) -> str:
    for column in ROSTER_ID_COLUMNS:
        value = _id(entry["row"].get(column) or "")
        if value:
            return value
    raise AssertionError("a roster entry has at least one ID")  # read_roster


def roster_ids(students: list[dict]) -> list[str]:
    """Each roster student's ID, in roster order (its first ID column)."""
    return [_first_id(entry) for entry in students]
