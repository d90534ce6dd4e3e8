"""Gradescope's results.json of a graded submission: a test per graded
part, with the feedback learners get from `coursekit.grade`; a part whose
test cell holds hidden tests shows after the grades are published."""

from __future__ import annotations

import json
import re
from pathlib import Path

from coursekit.notebooks import (
    BEGIN_HIDDEN,
    END_HIDDEN,
    format_points,
    grade_id,
    has_marker,
    is_test,
)

PART_HEADING = re.compile(r"^#+\s*(Part\s+\d+\b.*?)\s*(\([^()]*points?\))?\s*$", re.M)


def part_titles(source_nb) -> dict[str, str]:
    """{grade_id: "Part 1 — One RNN step"} of each test cell: the nearest
    Markdown heading above it that starts with "Part"."""
    titles, heading = {}, None
    for cell in source_nb.cells:
        if cell.cell_type == "markdown":
            found = PART_HEADING.search(cell.source)
            if found:
                heading = found.group(1).strip()
        elif is_test(cell) and grade_id(cell) and heading:
            titles[grade_id(cell)] = heading
    return titles


def hidden_parts(source_nb) -> set[str]:
    """The grade_ids of the test cells that hold hidden tests."""
    return {
        grade_id(c)
        for c in source_nb.cells
        if is_test(c) and has_marker(c.source, BEGIN_HIDDEN, END_HIDDEN)
    }


def _test_name(part, titles) -> str:
    title = titles.get(part.grade_id)
    return f"{part.grade_id} ({title})" if title else part.grade_id


def results_json(result, source, limits, note: str = "", seconds=None) -> dict:
    """Gradescope's results.json of one graded submission (a
    `coursekit.grading.results.Result`) of the exercise `source`."""
    titles, hidden = part_titles(source.nb), hidden_parts(source.nb)
    tests = []
    for number, part in enumerate((p for p in source.parts if p.auto), start=1):
        graded = result.source is source
        failure = result.failure(part, limits) if graded else ""
        if not graded:
            failure = f"Not graded: {result.message}"
        earned = result.earned(part) if graded else 0.0
        tests.append(
            {
                "name": _test_name(part, titles),
                "number": str(number),
                "score": earned,
                "max_score": part.points,
                "status": "passed" if graded and not failure else "failed",
                "output": failure or "Passed.",
                "visibility": (
                    "after_published" if part.grade_id in hidden else "visible"
                ),
            }
        )
    score = result.total if result.source is source else 0.0
    maximum = source.max_total
    lines = [f"Exercise {source.name}: {format_points(score)} / "]
    lines[0] += f"{format_points(maximum)} points (status: {result.status})."
    if note:
        lines.append(note)
    if result.status == "invalid-notebook":
        lines.append(f"Your notebook could not be graded: {result.message}.")
    elif result.status != "ok":
        lines.append(f"Note: {result.message}.")
    if result.source is source and any(not p.auto for p in source.parts):
        lines.append("Some parts are graded by hand; their points come later.")
    data = {
        "score": score,
        "output": "\n\n".join(lines),
        "output_format": "md",
        "test_output_format": "md",
        "tests": tests,
        "extra_data": {
            "exercise": source.name,
            "status": result.status,
            "submission": result.shown,
        },
    }
    if seconds is not None:
        data["execution_time"] = round(seconds)
    return data


def failed_json(reason: str, source=None) -> dict:
    """A results.json with a score of 0 that says why nothing was graded."""
    tests = []
    if source is not None:
        titles = part_titles(source.nb)
        tests = [
            {
                "name": _test_name(part, titles),
                "number": str(number),
                "score": 0.0,
                "max_score": part.points,
                "status": "failed",
                "output": f"Not graded: {reason}",
                "visibility": "visible",
            }
            for number, part in enumerate((p for p in source.parts if p.auto), start=1)
        ]
    return {"score": 0.0, "output": reason, "output_format": "md", "tests": tests}


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)
