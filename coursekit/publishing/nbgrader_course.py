"""Lay out the course's exercises as an nbgrader course directory.

    python -m coursekit.nbgrader_course DIR [--source solutions]
        [--course-id rnn-course] [--cell-timeout 60] [--startup-timeout 120]
        [EXERCISE ...]

writes, into DIR (created; it must not exist or be empty):

    DIR/nbgrader_config.py
    DIR/source/<assignment>/<exercise>.ipynb     one assignment per exercise

where <exercise> is a notebook of `solutions/` (e.g.
`01_forward_propagation_exercises`) and <assignment> is its name without
`_exercises` (`01_forward_propagation`).  EXERCISE selects some of them (by
file name, stem or assignment name); default: all.  The notebooks are
copied unchanged: their cells already carry nbgrader's metadata (schema 3),
so from DIR the instructor's usual commands work:

    nbgrader generate_assignment 01_forward_propagation   # -> release/
    nbgrader collect / autograde / generate_feedback / export

`nbgrader_config.py` sets explicit execution limits for autograding
(`ExecutePreprocessor.timeout` per cell, the kernel's start-up time) and makes
`generate_feedback` hide the hidden tests (`### BEGIN HIDDEN TESTS`): their
code is removed from the feedback, and so is the traceback of a graded cell
that holds hidden tests (only the error's name and message remain).

An existing non-empty DIR is never written into (exit status 2), so an
instructor's course directory is never overwritten.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from coursekit.notebooks import (
    BEGIN_HIDDEN,
    END_HIDDEN,
    NotebookError,
    has_marker,
    is_test,
    load_source,
    replace_regions,
    source_notebooks,
)

DEFAULT_COURSE_ID = "rnn-course"
SUFFIX = "_exercises"

CONFIG = '''\
"""nbgrader configuration of the RNN course ({course_id}).

Written by `python -m coursekit.nbgrader_course`.  The grading environment
(the grader's JupyterHub server, or the instructor's machine) needs the
course installed: `pip install -e /path/to/course` gives the exercises
`rnnlib` and `coursekit.checks`, and the hidden tests `coursekit.answers`.
Students' servers install the student edition, which has no
`coursekit.answers`.  See docs/nbgrader.md.
"""

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from coursekit.publishing.nbgrader_course import HideHiddenTests

c = get_config()  # noqa: F821 (given by nbgrader)

c.CourseDirectory.course_id = "{course_id}"
# One assignment per exercise notebook, in source/<assignment>/: {assignments}.
# generate_assignment adds an assignment to the database, autograde a student.

# sqlite is fine for a small class; for a large one give a server database:
# c.CourseDirectory.db_url = "postgresql://nbgrader:...@db-host/rnn_course"

# Execution limits when autograding: seconds per cell, the kernel's start-up.
c.ExecutePreprocessor.timeout = {cell_timeout}
c.ExecutePreprocessor.startup_timeout = {startup_timeout}
c.ExecutePreprocessor.interrupt_on_timeout = True
c.Execute.timeout = {cell_timeout}
c.Execute.startup_timeout = {startup_timeout}

# Feedback never shows the hidden tests (their code or their tracebacks).
c.GenerateFeedback.preprocessors = [
    GetGrades,
    CSSHTMLHeaderPreprocessor,
    HideHiddenTests,
]
'''


class CourseLayoutError(Exception):
    """DIR cannot hold a new course, or the sources are invalid."""


def assignment_name(exercise_stem: str) -> str:
    """`01_forward_propagation_exercises` -> `01_forward_propagation`."""
    return exercise_stem.removesuffix(SUFFIX) or exercise_stem


def select(sources: list[Path], wanted: list[str]) -> list[Path]:
    """The sources named in `wanted` (file name, stem or assignment name)."""
    if not wanted:
        return sources
    names = {}
    for path in sources:
        for name in (path.name, path.stem, assignment_name(path.stem)):
            names[name] = path
    unknown = [w for w in wanted if w not in names]
    if unknown:
        known = ", ".join(assignment_name(p.stem) for p in sources)
        raise CourseLayoutError(
            f"no such exercise: {', '.join(unknown)} (known: {known})"
        )
    return sorted({names[w] for w in wanted})


def check_target(target: Path) -> None:
    """Raise CourseLayoutError unless `target` is absent or an empty folder."""
    if target.exists() and not target.is_dir():
        raise CourseLayoutError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        raise CourseLayoutError(
            f"{target} is not empty: give a new or empty folder "
            "(an existing course directory is never overwritten)"
        )


def write_course(
    target: Path,
    source: Path = Path("solutions"),
    exercises: list[str] | None = None,
    course_id: str = DEFAULT_COURSE_ID,
    cell_timeout: int = 60,
    startup_timeout: int = 120,
) -> list[Path]:
    """Write the course directory; return the notebooks written."""
    target, source = Path(target), Path(source)
    check_target(target)
    paths = select(source_notebooks(source), list(exercises or []))
    if not paths:
        raise CourseLayoutError(f"no exercise notebook in {source}/")
    for path in paths:  # validate every source before writing anything
        try:
            load_source(path)
        except NotebookError as exc:
            raise CourseLayoutError(str(exc)) from None
    assignments = ", ".join(assignment_name(p.stem) for p in paths)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CourseLayoutError(f"cannot create {target}: {exc}") from None
    written = []
    for path in paths:
        folder = target / "source" / assignment_name(path.stem)
        folder.mkdir(parents=True)
        shutil.copy(path, folder / path.name)
        written.append(folder / path.name)
    (target / "nbgrader_config.py").write_text(
        CONFIG.format(
            course_id=course_id,
            assignments=assignments,
            cell_timeout=int(cell_timeout),
            startup_timeout=int(startup_timeout),
        ),
        encoding="utf-8",
    )
    return written


# --------------------------------------------------------------------------
# the feedback preprocessor


def hide_hidden_tests(nb):
    """Remove hidden tests from every graded test cell of `nb` (in place).

    The code between the markers goes; an error in a cell that held hidden
    tests keeps its name and message but loses its traceback, which would
    quote the hidden line that failed.
    """
    for cell in nb.cells:
        if cell.cell_type != "code" or not is_test(cell):
            continue
        if not has_marker(cell.source, BEGIN_HIDDEN, END_HIDDEN):
            continue
        cell.source = replace_regions(cell.source, BEGIN_HIDDEN, END_HIDDEN, [])
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["traceback"] = [f"{out.get('ename', '')}: {out.get('evalue', '')}"]
    return nb


def _preprocessor_base():
    try:
        from nbgrader.preprocessors import NbGraderPreprocessor
    except ImportError:  # nbgrader is optional for the rest of coursekit
        from nbconvert.preprocessors import Preprocessor as NbGraderPreprocessor
    return NbGraderPreprocessor


class HideHiddenTests(_preprocessor_base()):
    """nbgrader/nbconvert preprocessor: see `hide_hidden_tests`."""

    def preprocess(self, nb, resources):
        return hide_hidden_tests(nb), resources


# --------------------------------------------------------------------------
# command line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.nbgrader_course",
        description="Write an nbgrader course directory from solutions/.",
    )
    parser.add_argument("dir", type=Path, help="a new (or empty) folder")
    parser.add_argument(
        "exercises", nargs="*", help="exercises to include (default: all)"
    )
    parser.add_argument("--source", type=Path, default=Path("solutions"))
    parser.add_argument("--course-id", default=DEFAULT_COURSE_ID)
    parser.add_argument(
        "--cell-timeout",
        type=int,
        default=60,
        help="seconds per cell when autograding (default 60)",
    )
    parser.add_argument(
        "--startup-timeout",
        type=int,
        default=120,
        help="seconds for a kernel to start when autograding (default 120)",
    )
    args = parser.parse_args(argv)
    if args.cell_timeout <= 0 or args.startup_timeout <= 0:
        parser.error("timeouts must be > 0 seconds")
    try:
        written = write_course(
            args.dir,
            args.source,
            args.exercises,
            args.course_id,
            args.cell_timeout,
            args.startup_timeout,
        )
    except CourseLayoutError as exc:
        print(f"nbgrader_course: {exc}", file=sys.stderr)
        return 2
    print(f"nbgrader course in {args.dir}/: {len(written)} assignment(s)")
    for path in written:
        print(f"  {path.relative_to(args.dir)}")
    activate = Path(sys.executable).parent / "activate"
    print(
        f"next: source {activate} && cd {args.dir} && "
        "nbgrader generate_assignment ASSIGNMENT"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
