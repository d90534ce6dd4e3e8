"""Generate the exercise notebooks from their solutions.

    python -m coursekit.exercises [--source solutions] [--dest exercises] [--check]

Each `solutions/NAME.ipynb` becomes `exercises/NAME.ipynb`:

- in a solution cell, each `### BEGIN SOLUTION` ... `### END SOLUTION` region
  becomes `# YOUR CODE HERE` / `raise NotImplementedError()` at the
  indentation of the BEGIN line (Markdown: "YOUR ANSWER HERE"); a solution
  cell without markers is replaced whole (nbgrader's convention);
- `### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS` regions are removed;
- outputs and execution counts are cleared; nbgrader metadata and cell ids
  are kept, so the grader can match a submission's cells to the source;
  as nbgrader does, nbgrader cells are made non-deletable and locked cells
  read-only in JupyterLab (`deletable`/`editable` cell metadata);
- every graded test cell, and every solution cell whose stub runs at the top
  level of the cell, is tagged `raises-exception`: in the exercise these
  cells raise NotImplementedError, and the tag lets `pytest --nbval-lax
  exercises/` (and JupyterLab's "Run All") go on past them.

Rule for authors: no other cell of an exercise may call a stub, directly or
through a function it calls (for example a demo cell that calls the learner's
`add` before the test cell).  Such a cell passes in solutions/ and fails in
exercises/ under nbval, which is how `make test` catches it.  Put such calls
in the graded test cell, or behind the learner's own code in a solution cell.

The output is byte-for-byte deterministic, so generating twice changes
nothing; notebooks in the destination that have no source are removed.
`--check` writes nothing and exits 1, naming the stale, missing and extra
files, when the destination is not what generation would write.

Nothing a learner wrote is lost: before an exercise file is overwritten or
removed, if it differs from the version committed in git (or git cannot
tell), a copy is saved as `mywork/backups/NAME-YYYYmmdd-HHMMSS.ipynb` and the
command says so.  (Learners are asked to work in copies under `mywork/`,
which git ignores; this is the safety net for those who did not.)
Beside the exercises it records, for every visible test of a graded
variant whose references are instructor-only (`coursekit/answers/`), the
answers that test compares with: `coursekit/checks/recorded/<topic>.json`
(`coursekit.publishing.recordings`).  A recording is rewritten only when it
is missing or differs from the live answers beyond its tolerance, so
generating on another machine rewrites nothing; `--check` names it stale.

The sources are validated first (see `coursekit.notebooks.validate_source`);
any problem stops the run with a message naming the notebook and the cell.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import subprocess
import sys
import time
from pathlib import Path

from coursekit.notebooks import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    CODE_STUB,
    END_HIDDEN,
    END_SOLUTION,
    TEXT_STUB,
    NotebookError,
    has_marker,
    is_locked,
    is_solution,
    is_test,
    load_source,
    notebook_text,
    replace_regions,
    source_notebooks,
    strip_outputs,
)
from coursekit.publishing import recordings

RAISES = "raises-exception"


def _add_tag(cell, tag: str) -> None:
    tags = list(cell.metadata.get("tags", []))
    if tag not in tags:
        tags.append(tag)
    cell.metadata["tags"] = tags


def _stub_at_top_level(source: str) -> bool:
    """Whether a generated cell raises NotImplementedError when run."""
    return any(line.startswith(CODE_STUB[1]) for line in source.split("\n"))


def make_exercise(solution_nb):
    """Return the exercise notebook for a (validated) solution notebook."""
    nb = copy.deepcopy(solution_nb)
    strip_outputs(nb)
    for cell in nb.cells:
        if cell.cell_type not in ("code", "markdown"):
            continue
        stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
        if is_solution(cell):
            if has_marker(cell.source, BEGIN_SOLUTION, END_SOLUTION):
                cell.source = replace_regions(
                    cell.source, BEGIN_SOLUTION, END_SOLUTION, stub
                )
            else:
                cell.source = "\n".join(stub)
            if cell.cell_type == "code" and _stub_at_top_level(cell.source):
                _add_tag(cell, RAISES)
        if is_test(cell):
            cell.source = replace_regions(cell.source, BEGIN_HIDDEN, END_HIDDEN, [])
            _add_tag(cell, RAISES)
        if "nbgrader" in cell.metadata:  # as nbgrader: JupyterLab honours these
            cell.metadata["deletable"] = False
            if is_locked(cell):
                cell.metadata["editable"] = False
    return nb


def exercise_text(solution_path: Path) -> str:
    """The exact text of the exercise generated from one solution notebook."""
    return notebook_text(make_exercise(load_source(solution_path)))


def plan(source: Path, dest: Path):
    """Compare dest with what generation would write.

    Returns (expected, stale, missing, extra): expected maps each destination
    path to its text; the others are lists of destination paths.  Raises
    NotebookError listing every problem of every source notebook.
    """
    expected, problems = {}, []
    for path in source_notebooks(source):
        try:
            expected[dest / path.name] = exercise_text(path)
        except NotebookError as exc:
            problems.append(str(exc))
    if problems:
        raise NotebookError("\n".join(problems))
    stale, missing = [], []
    for path, text in expected.items():
        if not path.exists():
            missing.append(path)
        elif path.read_bytes() != text.encode("utf-8"):
            stale.append(path)
    extra = [p for p in source_notebooks(dest) if p not in expected]
    return expected, stale, missing, extra


def _committed_bytes(path: Path):
    """The bytes of `path` as committed in git's HEAD, or None if unknown."""
    try:
        result = subprocess.run(
            ["git", "show", f"HEAD:./{path.name}"],
            cwd=path.parent,
            capture_output=True,
            check=False,
        )
    except OSError:
        return None
    return result.stdout if result.returncode == 0 else None


def keep_learner_copy(path: Path, backups: Path = Path("mywork/backups")):
    """Copy `path` into `backups` unless it is exactly the committed version.

    Says so and returns the backup's path, or returns None when the file
    held nothing of a learner's (it equals what git has committed).
    """
    if path.read_bytes() == _committed_bytes(path):
        return None
    backups.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = backups / f"{path.stem}-{stamp}{path.suffix}"
    n = 1
    while target.exists():
        n += 1
        target = backups / f"{path.stem}-{stamp}-{n}{path.suffix}"
    shutil.copy2(path, target)
    print(f"{path} had changes that are not in git: saved a copy as {target}")
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.exercises",
        description="Write exercises/ from solutions/ (nbgrader markers).",
    )
    parser.add_argument("--source", default="solutions", help="default: solutions")
    parser.add_argument("--dest", default="exercises", help="default: exercises")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the destination is not current",
    )
    args = parser.parse_args(argv)
    source, dest = Path(args.source), Path(args.dest)
    if source.resolve() == dest.resolve():
        parser.error("--source and --dest are the same folder")

    if not source.is_dir() or not source_notebooks(source):
        state = "does not exist" if not source.is_dir() else "holds no notebook"
        print(f"{source}/ {state}: no exercise to generate, nothing to do")
        leftovers = source_notebooks(dest)
        if leftovers and source.is_dir():
            names = ", ".join(str(p) for p in leftovers)
            if args.check:
                print(f"{dest}/ is not current: extra (no source): {names}")
                return 1
            for path in leftovers:
                keep_learner_copy(path)
                path.unlink()
                print(f"removed {path} (no source in {source}/)")
        return 0

    try:
        expected, stale, missing, extra = plan(source, dest)
    except NotebookError as exc:
        print(f"invalid source notebook(s) in {source}/:\n{exc}", file=sys.stderr)
        return 1

    try:
        recorded, stale_recordings = recordings.plan(source)
    except RuntimeError as exc:
        print(f"cannot record the visible tests' answers:\n{exc}", file=sys.stderr)
        return 1

    if args.check:
        if stale or missing or extra or stale_recordings:
            print(f"{dest}/ is not current; run `make exercises` and commit:")
            for kind, paths in (("stale", stale), ("missing", missing)):
                for path in paths:
                    print(f"  {kind}: {path}")
            for path in extra:
                print(f"  extra: {path} (no source in {source}/)")
            for path, why in stale_recordings:
                print(f"  stale recording: {path} ({why})")
            return 1
        answers = (
            ", and so are the recorded answers of its visible tests"
            f" ({', '.join(sorted(p.name for p in recorded))})"
            if recorded
            else ""
        )
        print(f"{dest}/ is current ({len(expected)} notebooks){answers}")
        return 0

    dest.mkdir(parents=True, exist_ok=True)
    for path in stale + extra:
        keep_learner_copy(path)
    for path in stale + missing:
        path.write_bytes(expected[path].encode("utf-8"))
        print(f"wrote {path}")
    for path in extra:
        path.unlink()
        print(f"removed {path} (no source in {source}/)")
    for path, why in stale_recordings:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(recorded[path], encoding="utf-8")
        print(f"wrote {path} ({why})")
    unchanged = len(expected) - len(stale) - len(missing)
    print(
        f"{dest}/: {len(stale) + len(missing)} written, {unchanged} unchanged, "
        f"{len(extra)} removed ({len(expected)} notebooks)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
