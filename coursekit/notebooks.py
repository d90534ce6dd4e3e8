"""Notebook helpers shared by publishing (`coursekit.publishing`) and grading.

Reading and writing notebooks deterministically, the nbgrader cell metadata
(schema version 3) that marks solution and test cells, and the checks that a
source notebook in `solutions/` must pass before exercises are generated from
it or submissions are graded against it.

A cell's nbgrader metadata, as written by nbgrader's "Create Assignment" tool:

    {"grade": bool, "solution": bool, "locked": bool, "grade_id": str,
     "points": number, "schema_version": 3}

- solution cell (`solution: true`): the learner writes here.  Code between
  `### BEGIN SOLUTION` and `### END SOLUTION` is replaced in the exercise;
  a solution cell without markers is replaced whole.
- graded test cell (`grade: true, solution: false`, code, locked): scored by
  running it; may hold `### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS`.
- manually graded answer (`grade: true, solution: true`; every Markdown
  answer is one) and task cell (`task: true`, Markdown, with points): points
  are given by hand, not by `coursekit.grade`.
- locked cell (`locked: true`): restored from the source before grading.
"""

from __future__ import annotations

import hashlib
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

BEGIN_SOLUTION = "BEGIN SOLUTION"
END_SOLUTION = "END SOLUTION"
BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
END_HIDDEN = "END HIDDEN TESTS"

# nbgrader's stubs for Python
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
TEXT_STUB = ["YOUR ANSWER HERE"]

SCHEMA_VERSION = 3
REQUIRED_KEYS = ("grade", "solution", "locked", "grade_id", "schema_version")
OPTIONAL_KEYS = ("points", "task", "cell_type", "checksum")
GRADE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")


class NotebookError(Exception):
    """A notebook that cannot be read, or whose nbgrader metadata is wrong."""


# --------------------------------------------------------------------------
# reading and writing


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat 4, with stable cell ids.

    Raises NotebookError (saying why) for a file that is missing, not JSON,
    or not a valid notebook.  Cells that lack an id get one derived from the
    file name and the cell's position, so reading twice gives the same ids.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotebookError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError(f"{path}: cannot read the file ({exc})") from None
    return reads_notebook(text, name=path.name, label=str(path))


def reads_notebook(text: str, name: str = "", label: str = "notebook"):
    """Parse notebook JSON text; see read_notebook."""
    try:
        nb = nbformat.reader.reads(text)
    except Exception as exc:  # JSON errors, not a notebook at all
        raise NotebookError(f"{label}: not a valid notebook file ({exc})") from None
    try:
        nb = nbformat.convert(nb, 4)
    except Exception as exc:
        raise NotebookError(f"{label}: cannot read this notebook ({exc})") from None
    if not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{label}: not a valid notebook file (no cell list)")
    ensure_cell_ids(nb, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        message = str(exc).splitlines()[0]
        raise NotebookError(f"{label}: not a valid notebook ({message})") from None
    return nb


def ensure_cell_ids(nb, name: str = "") -> None:
    """Give every cell a unique id (nbformat 4.5), deterministically.

    Existing unique ids are kept; a missing or repeated id is replaced by
    one derived from `name` and the cell's position.
    """
    if nb.nbformat == 4 and nb.nbformat_minor < 5:
        nb.nbformat_minor = 5
    seen = set()
    for index, cell in enumerate(nb.cells):
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not cell_id or cell_id in seen:
            digest = hashlib.sha1(f"{name}:{index}".encode()).hexdigest()
            cell_id = digest[:8]
            while cell_id in seen:
                digest = hashlib.sha1(digest.encode()).hexdigest()
                cell_id = digest[:8]
            cell["id"] = cell_id
        seen.add(cell_id)


def notebook_text(nb) -> str:
    """The notebook as nbformat writes it (sorted keys), ending in a newline."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def write_notebook(nb, path: str | Path) -> None:
    Path(path).write_bytes(notebook_text(nb).encode("utf-8"))


def strip_outputs(nb) -> None:
    """Clear outputs, execution counts and execution timing metadata."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)


def first_line(cell, width: int = 40) -> str:
    """The first non-blank line of a cell, shortened, to name it in messages."""
    for line in cell.source.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= width else line[: width - 1] + "…"
    return "(empty)"


# --------------------------------------------------------------------------
# nbgrader metadata


def nbgrader_meta(cell) -> dict:
    """The cell's nbgrader metadata ({} when it has none or it is not a dict)."""
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def grade_id(cell) -> str | None:
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def is_solution(cell) -> bool:
    return nbgrader_meta(cell).get("solution") is True


def is_grade(cell) -> bool:
    return nbgrader_meta(cell).get("grade") is True


def is_locked(cell) -> bool:
    return nbgrader_meta(cell).get("locked") is True


def is_test(cell) -> bool:
    """An autograded test cell: graded, code, not a solution."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def is_task(cell) -> bool:
    return nbgrader_meta(cell).get("task") is True


def is_scored(cell) -> bool:
    """A cell with points: graded (test or answer) or a task."""
    return is_grade(cell) or is_task(cell)


def points(cell) -> float:
    value = nbgrader_meta(cell).get("points", 0)
    return float(value) if _is_number(value) else 0.0


def _is_number(value) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


@dataclass(frozen=True)
class Part:
    """A graded cell of a source notebook."""

    grade_id: str
    points: float
    auto: bool  # scored by running its test cell; False: graded by hand
    solution_id: str | None  # the nearest solution cell above it, if any


def graded_parts(nb) -> list[Part]:
    """The graded cells of a notebook, in order."""
    parts, last_solution = [], None
    for cell in nb.cells:
        if is_solution(cell) and grade_id(cell):
            last_solution = grade_id(cell)
        if is_scored(cell) and grade_id(cell):
            parts.append(
                Part(grade_id(cell), points(cell), is_test(cell), last_solution)
            )
    return parts


def format_points(value: float) -> str:
    """3.0 -> '3', 1.5 -> '1.5'."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# --------------------------------------------------------------------------
# markers


def marked_lines(source: str, begin: str, end: str):
    """Yield (index, line, kind) for each line of a cell source, where kind
    is 'begin' or 'end' for a marker line, 'inside' for a line of a marked
    region and 'outside' for any other line.

    As in nbgrader, a line is a marker when it contains the marker text.
    This is the one reader of marked regions: the exercises, the nbgrader
    feedback, the Gradescope zips and the student edition's leak check all
    go through it (by the functions below).
    """
    inside = False
    for index, line in enumerate(source.split("\n")):
        if begin in line:
            inside, kind = True, "begin"
        elif end in line:
            inside, kind = False, "end"
        else:
            kind = "inside" if inside else "outside"
        yield index, line, kind


def cell_pieces(source: str) -> list[tuple[bool, str]]:
    """(hidden, code) for each run of a test cell's lines, in order, the
    hidden regions apart (the judge runs those with the checks' values
    withheld: coursekit.checks.hidden).  Each piece keeps the cell's line
    numbers (the other lines blank)."""
    runs: list[tuple[bool, list[int]]] = []
    for index, _, kind in marked_lines(source, BEGIN_HIDDEN, END_HIDDEN):
        if kind in ("begin", "end"):
            continue
        inside = kind == "inside"
        if not runs or runs[-1][0] != inside:
            runs.append((inside, []))
        runs[-1][1].append(index)
    text, pieces = source.split("\n"), []
    for inside, indices in runs:
        keep = set(indices)
        piece = "\n".join(line if i in keep else "" for i, line in enumerate(text))
        pieces.append((inside, piece))
    return pieces


def _marker_lines(source: str, begin: str, end: str):
    """Yield (line_index, kind) for each begin/end marker line."""
    for index, _, kind in marked_lines(source, begin, end):
        if kind in ("begin", "end"):
            yield index, kind


def marker_problems(source: str, begin: str, end: str) -> list[str]:
    """Problems with the begin/end markers in a cell source ([] if balanced)."""
    problems, open_at = [], None
    for index, kind in _marker_lines(source, begin, end):
        if kind == "begin":
            if open_at is not None:
                problems.append(
                    f"'{begin}' on line {index + 1} inside the region opened on "
                    f"line {open_at + 1} (regions cannot nest)"
                )
            open_at = index
        elif open_at is None:
            problems.append(f"'{end}' on line {index + 1} without a '{begin}' above")
        else:
            open_at = None
    if open_at is not None:
        problems.append(f"'{begin}' on line {open_at + 1} has no '{end}' below")
    return problems


def has_marker(source: str, begin: str, end: str) -> bool:
    return any(True for _ in _marker_lines(source, begin, end))


def replace_regions(source: str, begin: str, end: str, stub: list[str]) -> str:
    """Replace each begin...end region (markers included) by `stub`, indented
    like the begin marker.  An empty stub removes the region.  Assumes the
    markers are balanced (see marker_problems)."""
    out = []
    for _, line, kind in marked_lines(source, begin, end):
        if kind == "begin":
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + s for s in stub)
        elif kind == "outside":
            out.append(line)
    return "\n".join(out)


def split_regions(source: str, begin: str, end: str):
    """(regions, outside): the lines of each begin...end region (markers
    excluded), and every line outside the regions."""
    regions, outside = [], []
    for _, line, kind in marked_lines(source, begin, end):
        if kind == "begin":
            regions.append([])
        elif kind == "inside":
            regions[-1].append(line)
        elif kind == "outside":
            outside.append(line)
    return regions, outside


# --------------------------------------------------------------------------
# validation of a source notebook


def _where(label: str, index: int, cell) -> str:
    gid = grade_id(cell)
    name = f"grade_id '{gid}'" if gid else repr(first_line(cell))
    return f"{label}, cell {index + 1} ({name})"


def _meta_problems(cell) -> list[str]:
    meta = cell.metadata.get("nbgrader")
    if not isinstance(meta, dict):
        return ["metadata.nbgrader must be a dict"]
    problems = []
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        problems.append("nbgrader metadata lacks " + ", ".join(missing))
    unknown = sorted(set(meta) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        problems.append("unknown nbgrader metadata keys: " + ", ".join(unknown))
    if "schema_version" in meta and meta["schema_version"] != SCHEMA_VERSION:
        problems.append(
            f"nbgrader schema_version must be {SCHEMA_VERSION}, "
            f"got {meta['schema_version']!r}"
        )
    for key in ("grade", "solution", "locked", "task"):
        if key in meta and not isinstance(meta[key], bool):
            problems.append(
                f"nbgrader '{key}' must be true or false, got {meta[key]!r}"
            )
    if "grade_id" in meta:
        gid = meta["grade_id"]
        if not isinstance(gid, str) or not GRADE_ID_PATTERN.match(gid):
            problems.append(
                "grade_id must be a non-empty string of letters, digits, '_' "
                f"and '-', got {gid!r}"
            )
    if meta.get("grade") is True or meta.get("task") is True:
        if "points" not in meta:
            problems.append(
                f"a {'task' if meta.get('task') else 'graded'} cell needs 'points'"
            )
        elif not _is_number(meta["points"]) or meta["points"] < 0:
            problems.append(f"points must be a number >= 0, got {meta['points']!r}")
    elif "points" in meta and meta["points"] not in (0, None):
        problems.append(
            f"points {meta['points']!r} on a cell that is not graded "
            "(set 'grade': true or remove 'points')"
        )
    if problems:
        return problems
    grade, solution, locked = meta["grade"], meta["solution"], meta["locked"]
    if meta.get("task"):
        if cell.cell_type != "markdown":
            problems.append("a task cell must be a Markdown cell")
    elif cell.cell_type == "markdown" and grade != solution:
        problems.append(
            "a Markdown cell that is graded must also be a solution cell, and "
            "the other way round (a manually graded answer)"
        )
    if solution and locked:
        problems.append("a solution cell cannot be locked (the learner writes there)")
    if cell.cell_type == "code" and grade and not solution and not locked:
        problems.append(
            "a graded test cell must be locked (set 'locked': true) so that "
            "grading restores it from the source"
        )
    return problems


# (begin, end, the cells they belong in, what to say when they are elsewhere)
MARKER_RULES = (
    (
        BEGIN_SOLUTION,
        END_SOLUTION,
        is_solution,
        "solution markers in a cell that is not a solution cell "
        "(set metadata.nbgrader.solution to true)",
    ),
    (
        BEGIN_HIDDEN,
        END_HIDDEN,
        is_test,
        "hidden-test markers outside a graded test cell "
        "(grade true, solution false, code)",
    ),
)


def validate_source(nb, label: str) -> list[str]:
    """Check a source notebook; return one clear message per problem.

    Checks the nbgrader schema (version 3) of every cell that has nbgrader
    metadata, unique grade_ids, points on graded cells, graded test cells
    locked, balanced solution and hidden-test markers in the right kind of
    cell, and that the notebook has at least one graded cell.
    """
    problems, seen = [], {}
    for index, cell in enumerate(nb.cells):
        where = _where(label, index, cell)
        if "nbgrader" in cell.metadata:
            problems += [f"{where}: {p}" for p in _meta_problems(cell)]
            gid = grade_id(cell)
            if gid is not None:
                if gid in seen:
                    problems.append(
                        f"{where}: grade_id '{gid}' is also used by "
                        f"cell {seen[gid] + 1}"
                    )
                else:
                    seen[gid] = index
        if cell.cell_type not in ("code", "markdown"):
            continue
        for begin, end, belongs, misplaced in MARKER_RULES:
            if has_marker(cell.source, begin, end):
                problems += [
                    f"{where}: {p}" for p in marker_problems(cell.source, begin, end)
                ]
                if not belongs(cell):
                    problems.append(f"{where}: {misplaced}")
    if not any(is_scored(cell) for cell in nb.cells):
        problems.append(
            f"{label}: no graded cell (metadata.nbgrader.grade true): "
            "nothing would be scored"
        )
    return problems


def load_source(path: str | Path) -> nbformat.NotebookNode:
    """Read and validate a source notebook; NotebookError lists every problem."""
    nb = read_notebook(path)
    problems = validate_source(nb, str(path))
    if problems:
        raise NotebookError("\n".join(problems))
    return nb


def source_notebooks(folder: str | Path) -> list[Path]:
    """The notebooks directly in `folder`, sorted by name ([] if it is missing)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file())
