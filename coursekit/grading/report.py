"""The gradebook (CSV), the feedback reports (Markdown) and the student
IDs and roster rows of the results."""

from __future__ import annotations

import csv
from pathlib import Path

from coursekit import students
from coursekit.grading.matching import Source
from coursekit.grading.results import Result
from coursekit.notebooks import format_points

FIXED_COLUMNS = ("submission", "student", "total", "max_total", "status")
TAIL_COLUMNS = ("exercise", "message")


def _columns(sources: list[Source], used: list[Source]):
    """[(column name, source, grade_id)] for the graded parts of `used`."""
    count = {}
    for source in sources:
        for part in source.parts:
            count[part.grade_id] = count.get(part.grade_id, 0) + 1
    reserved = set(FIXED_COLUMNS) | set(TAIL_COLUMNS)
    columns = []
    for source in sorted(used, key=lambda s: s.name):
        for part in source.parts:
            gid = part.grade_id
            name = f"{source.name}:{gid}" if count[gid] > 1 or gid in reserved else gid
            columns.append((name, source, part))
    return columns


def write_gradebook(path: Path, results: list[Result], sources: list[Source]) -> None:
    used = list({id(r.source): r.source for r in results if r.source}.values())
    columns = _columns(sources, used)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([*FIXED_COLUMNS, *(c[0] for c in columns), *TAIL_COLUMNS])
        for r in results:
            row = [
                r.submission,
                r.student,
                format_points(r.total),
                format_points(r.source.max_total) if r.source else "",
                r.status,
            ]
            for _, source, part in columns:
                mine = r.source is source and part.auto
                row.append(format_points(r.earned(part)) if mine else "")
            row += [r.source.name if r.source else "", r.message]
            writer.writerow(row)


def feedback_text(result: Result, limits) -> str:
    lines = [f"# Feedback: {result.label}", ""]
    lines.append(f"Submission: `{result.shown or result.submission}`  ")
    if result.student:
        lines.append(f"Student: `{result.student}`  ")
    if result.source is None:
        lines += [
            "Exercise: not recognised  ",
            f"Status: **{result.status}**",
            "",
            f"This file could not be graded: {result.message}",
            "",
        ]
        return "\n".join(lines)
    source = result.source
    lines.append(f"Exercise: `{source.name}`  ")
    lines.append(
        f"Score: **{format_points(result.total)} / {format_points(source.max_total)}**"
        f"  (status: {result.status})"
    )
    lines.append("")
    if result.status != "ok":
        lines += [f"Note: {result.message}.", ""]
    lines += ["| Part | Points | Result |", "| --- | --- | --- |"]
    for part in source.parts:
        if not part.auto:
            lines.append(
                f"| `{part.grade_id}` | – / {format_points(part.points)} | "
                "graded by hand |"
            )
            continue
        earned = result.earned(part)
        if not result.failure(part, limits):
            verdict = "passed"
        elif result.outcome(part) is None:
            verdict = "not run"
        else:
            verdict = "failed"
        lines.append(
            f"| `{part.grade_id}` | {format_points(earned)} / "
            f"{format_points(part.points)} | {verdict} |"
        )
    failures = [(p, result.failure(p, limits)) for p in source.parts if p.auto]
    failures = [(p, text) for p, text in failures if text]
    if failures:
        lines += ["", "## What to fix", ""]
        for part, text in failures:
            lines += [f"### `{part.grade_id}`", "", text, ""]
    else:
        lines += ["", "Every automatically graded part passed. Well done!", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_feedback(folder: Path, results: list[Result], limits) -> None:
    for result in results:
        if result.status == "missing":  # a roster line: nothing was handed in
            continue
        path = folder / (result.label + ".md")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(feedback_text(result, limits), encoding="utf-8")


def add_students(results: list[Result], root: Path, roster=None) -> list[Result]:
    """Fill each result's student ID (`coursekit.students.student_id`); with
    a roster (`coursekit.students.read_roster`), write the roster's ID, say
    who is not on it, and add a `missing` row for each roster student without
    a submission of an exercise that someone handed in.  Two submissions of
    one exercise by one student are both kept, each saying so."""
    for r in results:
        exercise = r.source.name if r.source else None
        r.student = students.student_id(Path(r.submission).absolute(), root, exercise)
        if roster is not None:
            key = students.roster_key(roster, r.student)
            if key is None:
                r.add_note(f"student {r.student or '(no ID)'} is not on the roster")
            else:
                r.student = key
    seen = {}
    for r in results:
        if r.student and r.source:
            seen.setdefault((r.student, r.source.name), []).append(r)
    for (student, exercise), same in seen.items():
        for r in same if len(same) > 1 else ():
            others = ", ".join(o.shown for o in same if o is not r)
            r.add_note(f"{student} also handed in {exercise} as {others}")
    if roster is None:
        return results
    exercises = sorted({r.source.name: r.source for r in results if r.source}.items())
    missing = [
        Result(
            submission="",
            label="",
            source=source,
            student=student,
            status="missing",
            message="no submission",
        )
        for student in students.roster_ids(roster)
        for name, source in exercises
        if (student, name) not in seen
    ]
    return results + missing
