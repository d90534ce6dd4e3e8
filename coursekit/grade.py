"""Grade submitted exercise notebooks into a CSV gradebook.

    python -m coursekit.grade SUBMISSION.ipynb... [--out gradebook.csv]
        [--source solutions] [--timeout 300] [--cell-timeout 60]
        [--memory 2048] [--feedback DIR] [--roster CSV] [--jobs N]
        [--isolation auto|required|off] [--student-user NAME]

A SUBMISSION may also be a folder: every notebook below it is graded.

Matching a submission to its exercise (a notebook in --source):
1. by file name: the file's stem is the source's stem (`subs/alice/01_x.ipynb`,
   one folder per student, is the recommended layout), or the source's stem
   with a student prefix or suffix joined by '_', '-', '.' or ' '
   (`alice_01_x.ipynb`, `01_x-alice.ipynb`); the longest matching stem wins;
2. otherwise by its cells' grade_ids: the source sharing the most of them.
A notebook whose cells belong to another exercise than its name says, that
has no cell of any exercise, or that is not a readable notebook gets the
status `invalid-notebook` and a message saying why.

Grading a submission (coursekit/grading/judge.py):
- every graded test cell (hidden tests included) and every locked cell is
  restored from the source by grade_id; a deleted one is put back where it
  stands in the source (after the nearest cell above it that is still
  there), so editing, emptying or deleting a test cell gains nothing;
- the notebook's given and solution cells (and any cell the learner added)
  run in the student's process: an IPython shell in a sandbox, from an
  empty working folder, whose `rnnlib` lacks the references the exercise
  grades and whose `coursekit` checks are stand-ins
  (coursekit/grading/library.py);
- its graded test cells run in a separate judge process with the course's
  own code.  There, each name the source's solution cells define is the
  student's: calling it sends the arguments to the student's process and
  brings back the result, as plain data only (coursekit/grading/wire.py).
  No test cell ever enters the student's process, and the judge never runs
  the learner's code, so nothing the learner writes can change a test,
  see its source or fake its result;
- errors do not stop the run, so later parts still score; a part scores
  its points when its test cell runs without error, else 0; printed text
  is never read.  A part whose test stopped because it calls a function
  of an earlier part that fails that part's test
  (`coursekit.checks.upstream_first`) gets feedback saying to fix that
  part first.  Manually graded cells (Markdown answers, tasks) are left
  blank in the gradebook and not counted in max_total;
- limits: --cell-timeout seconds of the student's time per cell (past it
  the student's process is killed, started again with the cells it ran
  before, and the run goes on; the cell's part gets the timeout),
  --timeout for the whole notebook (the run is stopped; parts that already
  ran keep their score), --memory for the student's process's address
  space (RLIMIT_AS, so an allocation beyond it raises MemoryError) with a
  second guard on the resident memory of everything it started;
- status: ok, timeout, memory (a MemoryError or the guard fired),
  invalid-notebook, error (the student's process died, e.g. `os._exit`, a
  crash), or missing (a roster student who handed nothing in).

Output: a CSV row per submission, in the order given (submission, student,
total, max_total, status, one column per graded part, exercise, message).
The student ID comes from the file or folder name as Moodle, Canvas,
nbgrader/JupyterHub or a folder per student name it
(`coursekit.students`), below the class folder (the common folder of the
arguments).  With --roster, the ID is the roster's, a submission of someone
not on it says so, and each roster student gets a `missing` row (0 points)
for each exercise that someone handed in and they did not: one row per
student per exercise.  Two submissions of one exercise by one student are
both graded, each saying so in its message.  The
part columns are those of the exercises that some submission matched, in
the order of the source notebooks (by name) and of their cells; a grade_id
used by two exercises, or named like a fixed column, is written
`exercise:grade_id`.  A part of another exercise is left blank.
With --feedback DIR, one Markdown report per submission, at the
submission's path below the submissions' common folder, with `.md`.

Nothing is written into a submission or its folder: each runs from an
in-memory copy, in a temporary folder elsewhere.  One bad submission never
stops the others.  Exit status 0 once the gradebook is written; 2 for
misuse (bad arguments, no source notebooks, an invalid source).

Isolation (--isolation, coursekit/grading/sandbox.py): the student's
process runs in a bubblewrap sandbox, whether the grader is root or not:
its own user, PID, network and mount namespaces, the system and Python
read-only, its own library read-only, one writable tmpfs; no course
checkout, no --source, no class folder or other submission, no gradebook,
no network; it can see and signal no process outside it, and all it
started dies with it.  `auto` (the default) sandboxes when bubblewrap
works here and otherwise warns on stderr that the submissions run with
the grader's rights; `required` refuses to grade (exit 2, saying what to
install) without it; `off` never sandboxes.  Unsandboxed and run as root
(e.g. in a container where bubblewrap cannot make namespaces),
--student-user NAME runs the students' code as that unprivileged user.  tests/test_grade_tampering.py
shows the cheats it defeats.

The code: this file is the command line; the grading itself is in
coursekit/grading/ (see its __init__.py for which file does what).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from coursekit import students
from coursekit.grading import sandbox
from coursekit.grading.matching import (
    build_run_notebook,
    judge_cells,
    load_sources,
    match_source,
)
from coursekit.grading.report import add_students, write_feedback, write_gradebook
from coursekit.grading.results import Result
from coursekit.grading.scheduler import run_all, warm_up
from coursekit.notebooks import (
    NotebookError,
    read_notebook,
    source_notebooks,
)

STATUSES = ("ok", "timeout", "memory", "invalid-notebook", "error", "missing")


def _expand(paths: list[str]) -> list[Path]:
    found = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*.ipynb")
                if ".ipynb_checkpoints" not in p.parts and p.is_file()
            )
        else:
            found.append(path)
    return found


def _labels(paths: list[Path]) -> list[str]:
    """Each path below the paths' common folder, without the suffix."""
    absolute = [p.absolute() for p in paths]
    try:
        common = Path(os.path.commonpath([p.parent for p in absolute]))
    except ValueError:  # different drives
        return [p.with_suffix("").name for p in paths]
    labels = [p.relative_to(common).with_suffix("").as_posix() for p in absolute]
    seen = {}
    for i, label in enumerate(labels):  # the same file given twice
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            labels[i] = f"{label}-{seen[label]}"
    return labels


def _class_folder(given: list[str]) -> Path:
    """The folder the submissions were given in: the common folder of the
    folders given and of the given notebooks' folders."""
    folders = [
        Path(g).absolute() if Path(g).is_dir() else Path(g).absolute().parent
        for g in given
    ]
    try:
        return Path(os.path.commonpath(folders))
    except ValueError:  # different drives
        return folders[0]


def _shown(path: Path, root: Path) -> str:
    try:
        return path.absolute().relative_to(root).as_posix()
    except ValueError:
        return path.name


def positive(kind):
    """An argparse type: `kind` of the text, which must be above 0."""

    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def _sandboxed(isolation: str) -> bool:
    """Whether the students' processes run in a sandbox (warning when
    `auto` cannot have one)."""
    if isolation == "off":
        return False
    reason = sandbox.unavailable_reason()
    if reason and isolation == "auto":
        print(
            f"warning: the submissions run unsandboxed, with your user's rights "
            f"({reason})",
            file=sys.stderr,
        )
    return reason is None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.grade",
        description="Grade submitted exercise notebooks into a CSV gradebook.",
    )
    parser.add_argument("submissions", nargs="+", help="notebooks or folders of them")
    parser.add_argument("--out", default="gradebook.csv", help="default: gradebook.csv")
    parser.add_argument("--source", default="solutions", help="default: solutions")
    parser.add_argument(
        "--timeout",
        type=positive(float),
        default=300.0,
        help="seconds for a whole notebook (default 300)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=positive(float),
        default=60.0,
        help="seconds for one cell (default 60)",
    )
    parser.add_argument(
        "--memory",
        type=positive(int),
        default=2048,
        help="MB of address space for the kernel (default 2048)",
    )
    parser.add_argument(
        "--feedback", metavar="DIR", help="write a report per submission"
    )
    parser.add_argument(
        "--roster",
        metavar="CSV",
        help="the students expected (a `student` column, or Canvas's export)",
    )
    parser.add_argument(
        "--isolation",
        choices=("auto", "required", "off"),
        default="auto",
        help="run each student's code in a bubblewrap sandbox "
        "(coursekit/grading/sandbox.py): auto (default) when possible, else with "
        "a warning; required: refuse to grade without it; off",
    )
    parser.add_argument(
        "--student-user",
        metavar="NAME",
        help="unsandboxed and run as root (a container), run the students' code "
        "as this unprivileged user (e.g. one made for it)",
    )
    parser.add_argument(
        "--jobs",
        type=positive(int),
        default=os.cpu_count() or 1,
        help="notebooks graded at once (default: number of cores)",
    )
    return parser


def _prepare(paths, root, sources) -> tuple[list[Result], dict[int, str]]:
    """A Result per submission, in order, and the cells the judge runs for
    each one that matched an exercise (by the result's index)."""
    results, notebooks = [], {}
    for i, (path, label) in enumerate(zip(paths, _labels(paths), strict=True)):
        result = Result(submission=str(path), label=label, shown=_shown(path, root))
        results.append(result)
        try:
            submission = read_notebook(path)
            result.source = match_source(path, submission, sources)
        except NotebookError as exc:
            message = str(exc)
            if message.startswith(f"{path}: "):  # the submission column says it
                message = message[len(f"{path}: ") :]
            result.status, result.message = "invalid-notebook", message
            continue
        run_nb, result.tests = build_run_notebook(result.source.nb, submission)
        result.cells = run_nb.cells
        notebooks[i] = judge_cells(run_nb, result.tests, result.source.nb)
    return results, notebooks


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    source_dir = Path(args.source)
    if not source_notebooks(source_dir):
        parser.error(f"no source notebook in {source_dir}/ (see --source)")
    try:
        sources = load_sources(source_dir)
    except NotebookError as exc:
        print(f"invalid source notebook(s) in {source_dir}/:\n{exc}", file=sys.stderr)
        return 2
    paths = _expand(args.submissions)
    if not paths:
        parser.error("no submission notebook found")
    roster = None
    if args.roster:
        try:
            roster = students.read_roster(args.roster)
        except (OSError, students.RosterError) as exc:
            parser.error(str(exc))
    root = _class_folder(args.submissions)
    out = Path(args.out)
    if any(out.absolute() == p.absolute() for p in paths):
        parser.error(f"--out {out} is a submission: it would be overwritten")
    if args.isolation == "required" and sandbox.unavailable_reason():
        print(
            f"cannot grade in a sandbox: {sandbox.unavailable_reason()}",
            file=sys.stderr,
        )
        return 2
    limits = {
        "timeout": args.timeout,
        "cell_timeout": args.cell_timeout,
        "memory_mb": args.memory,
        "sandboxed": _sandboxed(args.isolation),
        "student_user": args.student_user,
    }
    results = grade_notebooks(paths, sources, limits, args.jobs, root, progress=True)
    results = add_students(results, root, roster)
    write_gradebook(out, results, sources)
    if args.feedback:
        write_feedback(Path(args.feedback), results, limits)
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    print(f"graded {len(results)} submission(s): {summary}; gradebook: {out}")
    return 0


def grade_notebooks(
    paths: list[Path], sources, limits, jobs: int = 1, root=None, progress=False
) -> list[Result]:
    """Grade the notebooks at `paths` against `sources`
    (`coursekit.grading.matching.load_sources`): a Result per path, in
    order (its student ID not yet added: `report.add_students`).

    `limits`: timeout, cell_timeout (seconds), memory_mb, sandboxed (bool),
    student_user (a user name or None), as `main` builds them; `root`: the
    class folder the paths are shown below (default: their common folder);
    `progress`: show a progress bar on stderr."""
    paths = [Path(p) for p in paths]
    warm_up()  # the judges' forkserver loads while the notebooks are read
    if root is None:
        root = _class_folder([str(p) for p in paths])
    results, notebooks = _prepare(paths, root, sources)
    with tqdm(
        total=len(results), desc="grading", unit="notebook", disable=not progress
    ) as bar:
        bar.update(len(results) - len(notebooks))
        run_all(results, notebooks, limits, jobs, bar)
    return results


if __name__ == "__main__":
    from coursekit.grade import main as _main  # so worker processes import it

    sys.exit(_main())
