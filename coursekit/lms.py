"""Export grades as a CSV that Canvas's gradebook imports.

    python -m coursekit.lms gradebook.csv [--out canvas.csv] [--root DIR]
        [--roster roster.csv]

reads the gradebook of `python -m coursekit.grade` and writes Canvas's
columns: Student, ID, SIS User ID, SIS Login ID, Section, then one column per
exercise with the points earned, and a second row "Points Possible" with
each exercise's maximum.  From nbgrader's database the same file comes from

    nbgrader export --exporter=coursekit.lms.CanvasExportPlugin [--to canvas.csv]

Who is the student of a gradebook row: its `student` column (the grader's
`coursekit.students.student_id`, or the roster's ID); where that is empty,
the first folder of its submission path below --root (default: the
submissions' common folder), so the layouts
`subs/<student>/<exercise>.ipynb` and nbgrader's
`submitted/<student>/<assignment>/<exercise>.ipynb` both work (give --root
when the guess cannot tell, e.g. a single student in nbgrader's layout).  Rows that
matched no exercise (status invalid-notebook) or record a missing submission
(status missing) are left out; two rows for the
same student and exercise are an error (grade each submission once).

Canvas matches a row to a learner by ID, SIS User ID or SIS Login ID.  With
--roster (Canvas's own gradebook export, or any CSV with those columns), each
student's row takes its Student, ID, SIS User ID, SIS Login ID and Section
from the roster line whose SIS Login ID (or SIS User ID, or ID) is the
student's name in the submissions; without it, the student's name fills
Student and SIS Login ID.  A student with no score for an exercise gets an
empty cell, which Canvas leaves unchanged on import.  Points are written as
in the gradebook: `2`, `1.5`.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path, PurePath

from coursekit.notebooks import format_points
from coursekit.students import RosterError
from coursekit.students import read_roster as read_roster_lines

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "Points Possible"
ROSTER_KEYS = ("SIS Login ID", "SIS User ID", "ID")


class ExportError(ValueError):
    """A gradebook or roster that cannot be exported as it stands."""


# --------------------------------------------------------------------------
# the Canvas file


def canvas_rows(scores: dict, possible: dict, people: dict | None = None):
    """The rows of a Canvas grade import.

    scores: {student: {assignment: points}}; possible: {assignment: max
    points}, whose order is the columns'; people: {student: {Canvas column:
    value}} from a roster.  Returns a list of rows, header first.
    """
    people = people or {}
    assignments = list(possible)
    rows = [[*CANVAS_COLUMNS, *assignments]]
    rows.append(
        [
            POINTS_POSSIBLE,
            "",
            "",
            "",
            "",
            *(format_points(possible[a]) for a in assignments),
        ]
    )
    for student in sorted(scores):
        person = people.get(student, {"Student": student, "SIS Login ID": student})
        mine = scores[student]
        rows.append(
            [person.get(column, "") for column in CANVAS_COLUMNS]
            + [format_points(mine[a]) if a in mine else "" for a in assignments]
        )
    return rows


def write_csv(path, rows) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def read_roster(path) -> dict:
    """{key: Canvas columns} for each roster line, under each non-empty key
    of ROSTER_KEYS (so a student can be found by any of them); the lines are
    read by `coursekit.students.read_roster`."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        found = csv.DictReader(f).fieldnames or []
    missing = [c for c in CANVAS_COLUMNS if c not in found]
    if missing:
        raise ExportError(
            f"roster {path} lacks the column(s) {', '.join(missing)}; "
            f"expected Canvas's {', '.join(CANVAS_COLUMNS)}"
        )
    try:
        entries = read_roster_lines(path)
    except RosterError as exc:
        raise ExportError(str(exc)) from None
    people = {}
    for entry in entries:
        line = entry["row"]
        person = {c: line[c] for c in CANVAS_COLUMNS}
        for key in reversed(ROSTER_KEYS):  # SIS Login ID wins a clash
            if line[key].strip():
                people[line[key].strip()] = person
    return people


# --------------------------------------------------------------------------
# from coursekit.grade's gradebook


def student_of(submission: str, root: PurePath) -> str:
    """The first folder of `submission` below `root`."""
    path = PurePath(submission)
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        raise ExportError(
            f"submission {submission} is not below --root {root}"
        ) from None
    if len(parts) < 2:
        raise ExportError(
            f"submission {submission} has no student folder below {root}: "
            "grade one folder per student (subs/<student>/<exercise>.ipynb), "
            "or give --root the folder that holds the student folders"
        )
    return parts[0]


def gradebook_scores(path, root=None):
    """(scores, possible) read from a coursekit.grade gradebook CSV."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        needed = ("submission", "total", "max_total", "exercise")
        missing = [c for c in needed if c not in (reader.fieldnames or [])]
        if missing:
            raise ExportError(
                f"{path} is not a coursekit.grade gradebook: no column(s) "
                f"{', '.join(missing)}"
            )
        # rows that matched an exercise and were handed in (not `missing`)
        rows = [r for r in reader if r["exercise"] and r["submission"]]
    if not rows:
        raise ExportError(f"{path}: no graded submission (every row is invalid)")
    if root is None:  # the common folder, above every submission's folder
        folders = {PurePath(r["submission"]).parent for r in rows}
        root = PurePath(os.path.commonpath([str(f) for f in folders]))
        while root in folders and root != root.parent:
            root = root.parent
    root = PurePath(root)
    scores, possible = {}, {}
    for row in sorted(rows, key=lambda r: r["exercise"]):
        exercise = row["exercise"]
        possible.setdefault(exercise, float(row["max_total"]))
        # the grader's own student column; a gradebook without it: the folder
        student = (row.get("student") or "").strip() or student_of(
            row["submission"], root
        )
        mine = scores.setdefault(student, {})
        if exercise in mine:
            raise ExportError(
                f"{path}: two submissions of {exercise} for {student}; "
                "grade each submission once"
            )
        mine[exercise] = float(row["total"])
    return scores, possible


# --------------------------------------------------------------------------
# from nbgrader's database


def nbgrader_scores(gradebook, students=(), assignments=()):
    """(scores, possible, people) from an nbgrader Gradebook."""
    from nbgrader.api import MissingEntry

    chosen = [
        a for a in gradebook.assignments if not assignments or a.name in assignments
    ]
    possible = {a.name: a.max_score for a in sorted(chosen, key=lambda a: a.name)}
    scores, people = {}, {}
    for student in gradebook.students:
        if students and student.id not in students:
            continue
        name = ", ".join(n for n in (student.last_name, student.first_name) if n)
        people[student.id] = {
            "Student": name or student.id,
            "ID": student.lms_user_id or "",
            "SIS Login ID": student.id,
        }
        mine = scores.setdefault(student.id, {})
        for assignment in possible:
            try:
                submission = gradebook.find_submission(assignment, student.id)
            except MissingEntry:  # nothing submitted
                continue
            mine[assignment] = submission.score
    return scores, possible, people


def _export_plugin_base():
    try:
        from nbgrader.plugins import ExportPlugin
    except ImportError:  # nbgrader is optional for the rest of coursekit

        class ExportPlugin:  # the same attributes, so the class still imports
            to, student, assignment = "", [], []

    return ExportPlugin


class CanvasExportPlugin(_export_plugin_base()):
    """`nbgrader export --exporter=coursekit.lms.CanvasExportPlugin`:
    writes `--to` (default canvas_grades.csv) in Canvas's import format."""

    def export(self, gradebook) -> None:
        dest = self.to or "canvas_grades.csv"
        scores, possible, people = nbgrader_scores(
            gradebook, list(self.student), list(self.assignment)
        )
        write_csv(dest, canvas_rows(scores, possible, people))
        print(f"Canvas grades written to {dest}")


# --------------------------------------------------------------------------
# command line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.lms",
        description="Turn a coursekit.grade gradebook into a Canvas grade import.",
    )
    parser.add_argument("gradebook", type=Path, help="the CSV of coursekit.grade")
    parser.add_argument("--out", type=Path, default=Path("canvas_grades.csv"))
    parser.add_argument(
        "--root", help="the folder holding one folder per student (default: guessed)"
    )
    parser.add_argument("--roster", type=Path, help="Canvas's gradebook export")
    args = parser.parse_args(argv)
    if not args.gradebook.is_file():
        parser.error(f"no such gradebook: {args.gradebook}")
    try:
        scores, possible = gradebook_scores(args.gradebook, args.root)
        people = {}
        if args.roster:
            roster = read_roster(args.roster)
            unknown = sorted(s for s in scores if s not in roster)
            if unknown:
                raise ExportError(
                    f"not in the roster {args.roster}: {', '.join(unknown)}"
                )
            people = {s: roster[s] for s in scores}
    except (ExportError, OSError) as exc:
        print(f"lms: {exc}", file=sys.stderr)
        return 2
    write_csv(args.out, canvas_rows(scores, possible, people))
    print(f"lms: {len(scores)} student(s), {len(possible)} exercise(s) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
