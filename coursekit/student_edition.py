"""Write the student edition of the course: everything but the solutions.

    python -m coursekit.student_edition build/student-edition

The instructor keeps this repository private: `solutions/` holds the
solution code and the hidden tests that `coursekit.grade` and nbgrader grade
with.  Learners get a copy without them — the notebooks, `rnnlib`, the
generated `exercises/` (visible tests only, which is all a learner's own
check runs) and the guides — published as a repository of its own.

Left out: `solutions/` and the tests that need it (they check the solutions
themselves).  The command then checks its own work: no line of a hidden
test and no whole solution block of `solutions/` appears anywhere in the
edition (see `secrets`), and it refuses to write into a folder that is not empty, so nothing there
is ever overwritten.
"""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from .notebooks import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION

ROOT = Path(__file__).resolve().parents[1]
LEFT_OUT = ("solutions/", "tests/test_course_grading.py", "tests/test_exercises.py")
NOTE = """\
> **Student edition.** This copy of the course has the notebooks, `rnnlib`,
> the exercises and their visible tests. The solutions and the hidden tests
> stay with your instructor.

"""


def course_files(root=ROOT):
    """The course's files in `root`: what git tracks or would track (not
    what .gitignore leaves out, such as .venv/, build/ and mywork/)."""
    out = subprocess.run(
        [
            "git",
            "-C",
            str(root),
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return sorted({p for p in out.split("\0") if p and (Path(root) / p).is_file()})


def _split(source, begin, end):
    """(blocks, outside): the lines strictly between each begin/end marker
    pair, and every line outside the pairs (markers excluded)."""
    blocks, outside, inside = [], [], None
    for line in source.splitlines():
        if begin in line:
            inside = []
        elif end in line and inside is not None:
            blocks.append(inside)
            inside = None
        elif inside is not None:
            inside.append(line)
        else:
            outside.append(line)
    return blocks, outside


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
            inside, outside = _split(cell.source, BEGIN_HIDDEN, END_HIDDEN)
            hidden.update(filter(None, map(_distinctive, sum(inside, []))))
            visible.update(filter(None, map(_distinctive, outside)))
            for block in _split(cell.source, BEGIN_SOLUTION, END_SOLUTION)[0]:
                code = "\n".join(line.strip() for line in block if line.strip())
                if code.count("\n") >= 2:
                    blocks.add(code)
    return hidden - visible, blocks


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
    """Copy the course without its solutions into the new folder `out_dir`;
    return the number of files written."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(
            f"{out_dir} is not empty; give a new or empty folder (nothing in it"
            " is overwritten)"
        )
    files = [f for f in course_files(root) if not f.startswith(LEFT_OUT)]
    for rel in files:
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(root) / rel, target)
    readme = out_dir / "README.md"
    readme.write_text(NOTE + readme.read_text(encoding="utf-8"), encoding="utf-8")
    found = leaks(out_dir, *secrets(Path(root) / "solutions"))
    if found:
        shown = "\n".join(f"  {where}: {line}" for where, line in found[:10])
        raise RuntimeError(f"the student edition would reveal solutions:\n{shown}")
    return len(files)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, help="a new or empty folder")
    args = parser.parse_args(argv)
    try:
        count = write_edition(args.out_dir)
    except (FileExistsError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(
        f"wrote {count} files to {args.out_dir}: no solutions, no hidden tests.\n"
        "Publish it as a repository of its own, e.g.\n"
        f"  cd {args.out_dir} && git init && git add -A && git commit -m 'Course'"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
