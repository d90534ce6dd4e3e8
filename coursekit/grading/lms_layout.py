"""Grades in the layout of an LMS's gradebook import (Canvas or Moodle).

What each student earned (`Entry`), the roster an LMS exports
(`read_roster`), and the rows of the CSV that its import reads
(`canvas_rows` without a roster, `export_rows` in the roster's own layout).
`coursekit.lms` (the command, and nbgrader's export plugin) fills them from
a gradebook; its docstring says how rows, columns and comments are chosen.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from coursekit import students
from coursekit.notebooks import format_points
from coursekit.students import RosterError

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "Points Possible"
READ_ONLY = "(read only)"
COMMENT = "coursekit comment"
CANVAS_ASSIGNMENT = re.compile(r"^(?P<name>.*\S)\s+\((?P<id>\d+)\)$")
MOODLE_ITEM = re.compile(
    r"^(?P<module>[^:]+):\s*(?P<name>.+?)\s+\((?:Real|Percentage|Letter|Range)\)$"
)
# Moodle's user columns that a grade import can skip
MOODLE_SKIP = ("Last downloaded from this course",)


class ExportError(ValueError):
    """A gradebook or roster that cannot be exported as it stands."""


def plain_name(name: str) -> str:
    """An assignment or exercise name, for matching one to the other:
    `01_Forward-propagation exercises` -> `01 forward propagation`."""
    words = re.sub(r"[^0-9a-z]+", " ", name.lower()).split()
    if words and words[-1] == "exercises":
        words = words[:-1]
    return " ".join(words)


# --------------------------------------------------------------------------
# what each student earned


@dataclass
class Entry:
    """A student's result for one exercise: points (None: none to give) and
    comments."""

    points: float | None = None
    notes: list[str] = field(default_factory=list)
    graded: list[float] = field(default_factory=list)


def add_entry(grades: dict, student: str, exercise: str) -> Entry:
    """The Entry of `student` for `exercise` in `grades`, added if new."""
    return grades.setdefault(student, {}).setdefault(exercise, Entry())


# --------------------------------------------------------------------------
# the roster


@dataclass
class Roster:
    """An LMS's gradebook export: its kind ("canvas" or "moodle"), the
    columns that say who a student is, its assignment columns
    ({column: plain name}), and its students ([{"ids": set, "row": dict}])."""

    kind: str
    people_columns: list[str]
    assignments: dict[str, str]
    entries: list[dict]

    def column_for(self, exercise: str) -> str | None:
        """The roster's column of an exercise, or None."""
        wanted = plain_name(exercise)
        found = [c for c, name in self.assignments.items() if name == wanted]
        return found[0] if found else None

    def find(self, student: str) -> dict | None:
        for entry in self.entries:
            if student in entry["ids"]:
                return entry
        return None


def read_roster(path) -> Roster:
    """Read a Canvas or Moodle gradebook export (`Roster`)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        columns = csv.DictReader(f).fieldnames or []
    try:
        entries = students.read_roster(path)
    except RosterError as exc:
        raise ExportError(str(exc)) from None
    if all(c in columns for c in CANVAS_COLUMNS):
        assignments = {
            c: plain_name(m["name"])
            for c in columns
            if (m := CANVAS_ASSIGNMENT.match(c)) and c not in CANVAS_COLUMNS
        }
        return Roster("canvas", list(CANVAS_COLUMNS), assignments, entries)
    if "Email address" in columns or "ID number" in columns:
        assignments = {
            c: plain_name(m["name"]) for c in columns if (m := MOODLE_ITEM.match(c))
        }
        people = [
            c
            for c in columns
            if c not in assignments
            and c not in MOODLE_SKIP
            and not c.startswith(("Course total", "Category total"))
        ]
        return Roster("moodle", people, assignments, entries)
    if any(c in CANVAS_COLUMNS for c in columns):
        missing = [c for c in CANVAS_COLUMNS if c not in columns]
        raise ExportError(
            f"roster {path} lacks the column(s) {', '.join(missing)}; "
            f"expected Canvas's {', '.join(CANVAS_COLUMNS)}"
        )
    raise ExportError(
        f"roster {path} is neither Canvas's gradebook export (columns "
        f"{', '.join(CANVAS_COLUMNS)}) nor Moodle's (First name, Last name, "
        f"ID number, Email address); found {', '.join(columns) or 'no column'}"
    )


# --------------------------------------------------------------------------
# the file


def canvas_rows(
    scores: dict,
    possible: dict,
    people: dict | None = None,
    comments: dict | None = None,
):
    """The rows of a Canvas grade import without a roster.

    scores: {student: {assignment: points}}; possible: {assignment: max
    points}, whose order is the columns'; people: {student: {Canvas column:
    value}}; comments: {student: text}, the last, read-only column (left
    out when None).  Returns a list of rows, header first.
    """
    people = people or {}
    assignments = list(possible)
    tail = [COMMENT] if comments is not None else []
    rows = [[*CANVAS_COLUMNS, *assignments, *tail]]
    rows.append(
        [
            POINTS_POSSIBLE,
            "",
            "",
            "",
            "",
            *(format_points(possible[a]) for a in assignments),
            *([READ_ONLY] if tail else []),
        ]
    )
    for student in sorted(scores):
        person = people.get(student, {"Student": student, "SIS Login ID": student})
        mine = scores[student]
        rows.append(
            [person.get(column, "") for column in CANVAS_COLUMNS]
            + [format_points(mine[a]) if a in mine else "" for a in assignments]
            + ([comments.get(student, "")] if tail else [])
        )
    return rows


def write_csv(path, rows) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def _comment(mine: dict, order: list[str]) -> str:
    said = []
    for exercise in order:
        entry = mine.get(exercise)
        if entry and entry.notes:
            said.append(f"{exercise}: {'; '.join(entry.notes)}")
    return " | ".join(said)


def export_rows(grades: dict, possible: dict, roster: Roster | None = None):
    """(rows, warnings): the file for `grades` ({student: {exercise: Entry}})
    and `possible` ({exercise: max points}), in the roster's layout if any."""
    order = sorted(possible)
    warnings = []
    if roster is None:
        scores = {
            s: {e: x.points for e, x in mine.items() if x.points is not None}
            for s, mine in grades.items()
        }
        comments = {s: _comment(mine, order) for s, mine in grades.items()}
        return canvas_rows(scores, {e: possible[e] for e in order}, None, comments), []
    columns = {}
    for exercise in order:
        column = roster.column_for(exercise)
        if column is None:
            column = exercise
            warnings.append(
                f"the roster has no column for {exercise}: the LMS will create "
                f"a new assignment {column!r} (rename the column to the "
                "assignment's to update it instead)"
            )
        columns[exercise] = column
    header = [*roster.people_columns, *columns.values(), COMMENT]
    rows = [header]
    if roster.kind == "canvas":
        rows.append(
            [POINTS_POSSIBLE]
            + [""] * (len(roster.people_columns) - 1)
            + [format_points(possible[e]) for e in order]
            + [READ_ONLY]
        )
    placed = set()
    for entry in roster.entries:
        mine = {}
        for student in entry["ids"]:
            if student in grades:
                placed.add(student)
                for exercise, got in grades[student].items():
                    mine.setdefault(exercise, Entry()).notes += got.notes
                    if got.points is not None:
                        have = mine[exercise].points
                        mine[exercise].points = max(have or 0.0, got.points)
        for exercise in order:
            if exercise not in mine or mine[exercise].points is None:
                slot = mine.setdefault(exercise, Entry())
                if not slot.notes:
                    slot.notes.append("no submission")
                slot.points = 0.0
        rows.append(
            [entry["row"].get(c, "") for c in roster.people_columns]
            + [format_points(mine[e].points) for e in order]
            + [_comment(mine, order)]
        )
    strangers = sorted(s for s in grades if s not in placed)
    if strangers:
        warnings.append(
            f"not on the roster (the LMS will not find them): {', '.join(strangers)}"
        )
    for student in strangers:
        mine = grades[student]
        person = {c: "" for c in roster.people_columns}
        key = "SIS Login ID" if roster.kind == "canvas" else roster.people_columns[0]
        person[key] = student
        if roster.kind == "canvas":
            person["Student"] = student
        rows.append(
            list(person.values())
            + [
                format_points(mine[e].points)
                if e in mine and mine[e].points is not None
                else ""
                for e in order
            ]
            + ["not on the roster | " + _comment(mine, order)]
        )
    return rows, warnings
