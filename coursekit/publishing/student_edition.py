"""Write the student edition of the course: everything but the solutions.

    python -m coursekit.publishing.student_edition build/student-edition

The instructor keeps this repository private: `solutions/` holds the
solution code and the hidden tests that `coursekit.grade` and nbgrader grade
with.  Learners get a copy without them — the notebooks, `rnnlib`, the
generated `exercises/` (visible tests only, which is all a learner's own
check runs) and the guides — published as a repository of its own.

What is published: the files of the last commit (`git archive HEAD`), never
the working tree, so nothing git does not track (a grading folder, a
roster, a learner's `mywork/`) can be in it, and uncommitted edits are not
either (stderr names both, so a change meant for learners can be committed
first).  Left out: `solutions/`; `coursekit/answers/`, the references and
mistake models of the graded variants (the visible tests read their
recorded values, `coursekit/checks/recorded/`); and the tests and
benchmarks that read either (they check or measure the solutions and the
references, and quote their lines).

Before anything is published the command checks its own work, and refuses
(exit 2, with every reason) if
- a line of a hidden test or a whole solution block of `solutions/`
  appears anywhere in the edition (see `secrets`), or a line of the code of
  `coursekit/answers/` (see `answer_lines`);
- a committed file holds class data (`class_data`): a roster or gradebook
  CSV (columns such as `SIS User ID`, `Email address`, `submission` and
  `total`), a feedback report, a notebook outside the course's folders.
The edition is written into a temporary folder beside the target and moved
into place only once it passes, so a refusal leaves nothing behind; a
target folder that is not empty is refused too, so nothing there is ever
overwritten.
"""

import argparse
import ast
import csv
import io
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import nbformat

from coursekit.notebooks import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    split_regions,
)

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = "coursekit/answers/"  # the graded variants' references: instructor-only
LEFT_OUT = ("solutions/", ANSWERS)
# the course's own tests and benchmarks that read solutions/ or import the
# answers (they check or measure them, and may quote their lines): left out
NEEDS_SOLUTIONS = re.compile(
    rb"""["']solutions["'/]|\bsolutions/|\bcoursekit[./]answers\b"""
)
MAINTAINERS_CODE = ("tests/", "benchmarks/")
# where the course keeps notebooks; a notebook elsewhere is someone's work
NOTEBOOK_FOLDERS = ("notebooks/", "exercises/", "tests/fixtures/")
# CSV columns that only a roster or a gradebook has
CLASS_COLUMNS = (
    "SIS User ID",
    "SIS Login ID",
    "Email address",
    "ID number",
    "student",
    "submission",
    "student_id",
)
NOTE = """\
> **Student edition.** This copy of the course has the notebooks, `rnnlib`,
> the exercises and their visible tests. The solutions and the hidden tests
> stay with your instructor.

"""


class EditionError(Exception):
    """The edition cannot be published as it stands."""


def _git(root, *args) -> bytes:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args], check=True, capture_output=True
        ).stdout
    except FileNotFoundError:
        raise EditionError("git is needed: the edition is built from git") from None
    except subprocess.CalledProcessError as exc:
        said = exc.stderr.decode(errors="replace").strip()
        raise EditionError(
            f"{root} is not a git checkout with a commit (git {args[0]}: {said})"
        ) from None


def course_files(root=ROOT):
    """The files of the last commit (what `git archive HEAD` holds)."""
    out = _git(root, "ls-tree", "-r", "-z", "--name-only", "HEAD").decode()
    return sorted(p for p in out.split("\0") if p)


def not_committed(root=ROOT):
    """(untracked, changed): files git does not track (and does not
    ignore), and tracked files whose working copy differs from the commit."""
    out = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    untracked, changed = [], []
    for entry in out.decode().split("\0"):
        if len(entry) > 3:
            (untracked if entry[:2] == "??" else changed).append(entry[3:])
    return sorted(untracked), sorted(changed)


def _needing_solutions(archive) -> set[str]:
    """The tests and benchmarks that read solutions/, and those that import
    one of them (tests/test_gradient_policy.py runs a benchmark)."""
    code = {
        m.name: archive.extractfile(m).read()
        for m in archive.getmembers()
        if m.isfile() and m.name.startswith(MAINTAINERS_CODE) and m.name.endswith(".py")
    }
    out = {name for name, text in code.items() if NEEDS_SOLUTIONS.search(text)}
    while True:
        stems = [Path(name).stem for name in out]
        more = {
            name
            for name, text in code.items()
            if name not in out
            and any(re.search(rb"\b%s\b" % stem.encode(), text) for stem in stems)
        }
        if not more:
            return out
        out |= more


def _export(root, dest: Path) -> list[str]:
    """Unpack the last commit, without LEFT_OUT and the code that needs
    solutions/, into `dest`; return the files written."""
    archive = tarfile.open(fileobj=io.BytesIO(_git(root, "archive", "HEAD")))
    needing = _needing_solutions(archive)
    members = [
        m
        for m in archive.getmembers()
        if m.isfile() and not m.name.startswith(LEFT_OUT) and m.name not in needing
    ]
    if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: refuse odd paths
        archive.extractall(dest, members=members, filter="data")
    else:
        archive.extractall(dest, members=members)
    return sorted(m.name for m in members)


def class_data(edition_dir) -> list[tuple[str, str]]:
    """(file, why) for each file of the edition that looks like class data."""
    found = []
    for path in sorted(Path(edition_dir).rglob("*")):
        if not path.is_file():
            continue
        where = path.relative_to(edition_dir).as_posix()
        if path.suffix == ".ipynb" and not where.startswith(NOTEBOOK_FOLDERS):
            found.append((where, "a notebook outside the course's folders"))
        elif path.suffix == ".csv":
            with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
                header = next(csv.reader(f), [])
            named = [c for c in CLASS_COLUMNS if c in header]
            if named:
                found.append((where, f"a roster or gradebook ({', '.join(named)})"))
        elif path.suffix == ".md":
            with open(path, encoding="utf-8", errors="replace") as f:
                if f.readline().startswith("# Feedback:"):
                    found.append((where, "a feedback report"))
    return found


def _distinctive(line):
    text = line.strip()
    return text if len(text) >= 40 and not text.startswith("#") else None


def secrets(solutions_dir):
    """What the edition must not hold: (hidden-test lines, solution blocks).

    A hidden-test line counts only if it is distinctive (long, not a
    comment) and appears nowhere in the visible part of any solution
    notebook (a visible test may share a set-up line with a hidden one).
    A solution block counts whole: the exercises' own scaffolding and
    rnnlib may repeat single lines of it, but not all of it.
    """
    hidden, visible, blocks = set(), set(), set()
    for path in sorted(Path(solutions_dir).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            inside, outside = split_regions(cell.source, BEGIN_HIDDEN, END_HIDDEN)
            hidden.update(filter(None, map(_distinctive, sum(inside, []))))
            visible.update(filter(None, map(_distinctive, outside)))
            for block in split_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION)[0]:
                code = "\n".join(line.strip() for line in block if line.strip())
                if code.count("\n") >= 2:
                    blocks.add(code)
    return hidden - visible, blocks


def _code_lines(text: str) -> list[str]:
    """The lines of a module's code that compute: without its docstrings,
    imports and comments, and without the lines that call a name it imports
    from `coursekit.checks` (the visible test data an answer is built from,
    which the checks build the same way)."""
    tree = ast.parse(text)
    skip, shared = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            skip.update(range(node.lineno, node.end_lineno + 1))
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "coursekit.checks"
            ):
                shared |= {alias.asname or alias.name for alias in node.names}
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant):  # a docstring
                skip.update(range(body[0].lineno, body[0].end_lineno + 1))
    names = "|".join(map(re.escape, sorted(shared))) or "$^"
    calls_shared = re.compile(rf"\b({names})\(")
    return [
        line
        for number, line in enumerate(text.split("\n"), start=1)
        if number not in skip and not calls_shared.search(line)
    ]


def answer_lines(root=ROOT) -> set[str]:
    """The distinctive lines (long, not a comment) of the code of
    `coursekit/answers/` (`_code_lines`), which no file of the edition may
    hold."""
    lines = set()
    for path in sorted((Path(root) / ANSWERS).glob("*.py")):
        code = _code_lines(path.read_text(encoding="utf-8"))
        lines.update(filter(None, map(_distinctive, code)))
    return lines


def answer_leaks(edition_dir, lines) -> list[tuple[str, str]]:
    """(file, line) for each line of `lines` that a Python file, notebook or
    text of the edition holds (a reference copied out of the answers)."""
    found = []
    for path in sorted(Path(edition_dir).rglob("*")):
        if path.suffix not in (".py", ".ipynb", ".md") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            nb = nbformat.reads(text, as_version=4)
            text = "\n".join(c.source for c in nb.cells)
        where = path.relative_to(edition_dir).as_posix()
        found += [(where, t.strip()) for t in text.splitlines() if t.strip() in lines]
    return found


def leaks(edition_dir, hidden_lines, solution_blocks):
    """(file, what) for each hidden-test line or whole solution block found
    in the edition's notebooks and texts (where the course's exercise
    material lives; rnnlib's own tests may share a set-up line with a
    hidden test and reveal nothing by it)."""
    found = []
    for path in sorted(Path(edition_dir).rglob("*")):
        if path.suffix not in (".ipynb", ".md") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            nb = nbformat.reads(text, as_version=4)
            text = "\n".join(c.source for c in nb.cells)
        where = str(path.relative_to(edition_dir))
        found += [
            (where, line.strip())
            for line in text.splitlines()
            if line.strip() in hidden_lines
        ]
        flat = "\n".join(line.strip() for line in text.splitlines() if line.strip())
        found += [
            (where, block.splitlines()[0] + " ...")
            for block in solution_blocks
            if block in flat
        ]
    return found


def write_edition(out_dir, root=ROOT):
    """Write the edition of the last commit into the new folder `out_dir`;
    return the number of files written.  Raises FileExistsError for a
    folder that is not empty and EditionError (writing nothing) when the
    edition would reveal solutions or class data."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(
            f"{out_dir} is not empty; give a new or empty folder (nothing in it"
            " is overwritten)"
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        files = _export(root, work)
        readme = work / "README.md"
        readme.write_text(NOTE + readme.read_text(encoding="utf-8"), encoding="utf-8")
        found = [
            (where, f"solution: {line}")
            for where, line in leaks(work, *secrets(Path(root) / "solutions"))
        ]
        found += [
            (where, f"instructor's answer: {line}")
            for where, line in answer_leaks(work, answer_lines(root))
        ]
        found += [(where, f"class data: {why}") for where, why in class_data(work)]
        if found:
            shown = "\n".join(f"  {where}: {what}" for where, what in found[:20])
            more = f"\n  ... and {len(found) - 20} more" if len(found) > 20 else ""
            raise EditionError(
                "the student edition would publish what learners must not see "
                f"(nothing was written):\n{shown}{more}\n"
                "Remove it from the repository (git rm --cached, keep class data "
                "outside the course repository) and commit."
            )
        if out_dir.exists():
            out_dir.rmdir()  # empty: checked above
        work.rename(out_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return len(files)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, help="a new or empty folder")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the course's git checkout"
    )
    args = parser.parse_args(argv)
    try:
        count = write_edition(args.out_dir, args.root)
        untracked, changed = not_committed(args.root)
    except (FileExistsError, EditionError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for what, names in (
        ("not tracked by git", untracked),
        ("changed since the last commit", changed),
    ):
        if names:
            shown = ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
            print(f"not published ({what}): {shown}", file=sys.stderr)
    print(
        f"wrote {count} files of the last commit to {args.out_dir}: no solutions, "
        "no hidden tests, no references of graded variants, no class data.\n"
        "Publish it as a repository of its own, e.g.\n"
        f"  cd {args.out_dir} && git init && git add -A && git commit -m 'Course'"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
