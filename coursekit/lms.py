"""Export grades as a CSV that Canvas's (or Moodle's) gradebook imports.

    python -m coursekit.lms gradebook.csv [--out canvas.csv] [--root DIR]
        [--roster roster.csv]

reads the gradebook of `python -m coursekit.grade` and writes one row per
student, one column per exercise with the points earned, and a last column
`coursekit comment` saying what the points do not: a missing submission, a
notebook that could not be graded, a late one, two of one exercise.  From
nbgrader's database the same file comes from

    nbgrader export --exporter=coursekit.lms.CanvasExportPlugin [--to canvas.csv]

Without --roster the columns are Canvas's (Student, ID, SIS User ID, SIS
Login ID, Section), the exercises named by their notebook, and a second row
"Points Possible" with each exercise's maximum.

With --roster, the LMS's own gradebook export, the file has the roster's
layout, so the import updates the assignments that exist instead of
creating new ones:
- Canvas (columns Student, ID, SIS User ID, SIS Login ID, Section; an
  assignment is a column `Name (123)`): those five columns, then for each
  exercise the roster's column whose name is the exercise's (ignoring case,
  `_`, spaces and a trailing "exercises": `01 Forward propagation (111)`
  for `01_forward_propagation_exercises`), with its ID; the comment column
  is marked "(read only)" on the Points Possible row, so Canvas does not
  import it as an assignment;
- Moodle (a gradebook export: First name, Last name, ID number, ...,
  `Assignment: Name (Real)`): the roster's user columns and its grade item
  columns, matched the same way; map the comment column to "Feedback" (or
  ignore it) in Moodle's CSV import.
An exercise that has no column in the roster gets its own (named as
without a roster), and stderr says the LMS will create a new assignment.

Who is who: a gradebook row's `student` column (the grader's
`coursekit.students.student_id`, or the roster's ID); where that is empty,
the first folder of its submission path below --root (default: the
submissions' common folder).  A roster student is found by any of its IDs
(`coursekit.students.read_roster`).  The file carries every roster student
and every student of the gradebook:
- a roster student without a submission of an exercise gets 0 and the
  comment "no submission";
- a notebook that could not be graded (status invalid-notebook) gets 0 for
  the exercise its file name names (if none, only the comment);
- a late submission (Canvas's `_LATE_`) keeps its points, commented "late";
- two submissions of one exercise by one student: the higher score, with
  a comment naming both;
- a student not on the roster is added at the end, commented so (stderr
  names them: the LMS will not find them).
Points are written as in the gradebook: `2`, `1.5`.

This module reads the grades (a gradebook, nbgrader's database) and runs
the command; `coursekit.grading.lms_layout` lays them out as the LMS wants.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path, PurePath

from coursekit import students
from coursekit.grading.lms_layout import (
    POINTS_POSSIBLE,
    Entry,
    ExportError,
    add_entry,
    canvas_rows,
    export_rows,
    read_roster,
    write_csv,
)

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


def _named_exercise(submission: str, exercises) -> str | None:
    """The exercise whose name the file's name holds (the longest), or None."""
    stem = students.without_copy_suffix(PurePath(submission).stem)
    found = [e for e in exercises if e in stem]
    return max(found, key=len) if found else None


def gradebook_grades(path, root=None):
    """(grades, possible) from a coursekit.grade gradebook CSV: grades is
    {student: {exercise: Entry}}, possible {exercise: max points}."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        needed = ("submission", "total", "max_total", "exercise")
        missing = [c for c in needed if c not in (reader.fieldnames or [])]
        if missing:
            raise ExportError(
                f"{path} is not a coursekit.grade gradebook: no column(s) "
                f"{', '.join(missing)}"
            )
        rows = list(reader)
    possible = {}
    for row in rows:
        if row["exercise"] and row["max_total"]:
            possible.setdefault(row["exercise"], float(row["max_total"]))
    if not possible:
        raise ExportError(f"{path}: no graded submission (every row is invalid)")
    handed = [r for r in rows if r["submission"]]
    if root is None and handed:  # the common folder, above every submission's
        folders = {PurePath(r["submission"]).parent for r in handed}
        root = PurePath(os.path.commonpath([str(f) for f in folders]))
        while root in folders and root != root.parent:
            root = root.parent
    grades = {}
    for row in sorted(rows, key=lambda r: (r["exercise"], r["submission"])):
        student = (row.get("student") or "").strip()
        if not student:
            student = student_of(row["submission"], PurePath(root))
        status = row.get("status", "ok")
        exercise = row["exercise"]
        if status == "missing":
            add_entry(grades, student, exercise).points = 0.0
            add_entry(grades, student, exercise).notes.append("no submission")
            continue
        shown = PurePath(row["submission"]).name
        if not exercise:
            exercise = _named_exercise(row["submission"], possible)
            if exercise is None:  # no column to give a 0 in: say so
                add_entry(grades, student, "").notes.append(
                    f"{shown} could not be graded ({status}): it names no exercise"
                )
                continue
        entry = add_entry(grades, student, exercise)
        points = 0.0 if status == "invalid-notebook" else float(row["total"])
        entry.graded.append(points)
        entry.points = max(entry.graded)
        if status != "ok":
            entry.notes.append(f"{shown}: {status}")
        if students.is_late(row["submission"]):
            entry.notes.append(f"{shown}: late")
        if len(entry.graded) == 2:
            entry.notes.append("two or more submissions: the highest score counts")
    for mine in grades.values():  # notes that belong to no exercise
        if "" in mine:
            loose = mine.pop("")
            first = mine.setdefault(sorted(possible)[0], Entry())
            first.notes += loose.notes
    return grades, possible


def gradebook_scores(path, root=None):
    """(scores, possible) read from a coursekit.grade gradebook CSV:
    scores is {student: {exercise: points}} (see `gradebook_grades`)."""
    grades, possible = gradebook_grades(path, root)
    scores = {
        s: {e: x.points for e, x in mine.items() if x.points is not None}
        for s, mine in grades.items()
    }
    return scores, possible


# --------------------------------------------------------------------------
# from nbgrader's database


def nbgrader_scores(gradebook, students=(), assignments=()):
    """(scores, possible, people, comments) from an nbgrader Gradebook; a
    student without a submission of an assignment gets 0, commented."""
    from nbgrader.api import MissingEntry

    chosen = [
        a for a in gradebook.assignments if not assignments or a.name in assignments
    ]
    possible = {a.name: a.max_score for a in sorted(chosen, key=lambda a: a.name)}
    scores, people, comments = {}, {}, {}
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
        notes = []
        for assignment in possible:
            try:
                submission = gradebook.find_submission(assignment, student.id)
            except MissingEntry:  # nothing submitted
                mine[assignment] = 0.0
                notes.append(f"{assignment}: no submission")
                continue
            mine[assignment] = submission.score
            if (submission.total_seconds_late or 0) > 0:
                notes.append(f"{assignment}: late")
        comments[student.id] = " | ".join(notes)
    return scores, possible, people, comments


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
        scores, possible, people, comments = nbgrader_scores(
            gradebook, list(self.student), list(self.assignment)
        )
        write_csv(dest, canvas_rows(scores, possible, people, comments))
        print(f"Canvas grades written to {dest}")


# --------------------------------------------------------------------------
# command line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.lms",
        description="Turn a coursekit.grade gradebook into a Canvas or Moodle "
        "grade import.",
    )
    parser.add_argument("gradebook", type=Path, help="the CSV of coursekit.grade")
    parser.add_argument("--out", type=Path, default=Path("canvas_grades.csv"))
    parser.add_argument(
        "--root", help="the folder holding one folder per student (default: guessed)"
    )
    parser.add_argument(
        "--roster", type=Path, help="the LMS's gradebook export (Canvas or Moodle)"
    )
    args = parser.parse_args(argv)
    if not args.gradebook.is_file():
        parser.error(f"no such gradebook: {args.gradebook}")
    try:
        grades, possible = gradebook_grades(args.gradebook, args.root)
        roster = read_roster(args.roster) if args.roster else None
        rows, warnings = export_rows(grades, possible, roster)
    except (ExportError, OSError) as exc:
        print(f"lms: {exc}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"lms: warning: {warning}", file=sys.stderr)
    write_csv(args.out, rows)
    people = len(rows) - 1 - (rows[1][0] == POINTS_POSSIBLE)
    print(f"lms: {people} student(s), {len(possible)} exercise(s) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
