"""Building the autograder zips: one per exercise, in Gradescope's format.

Each zip holds, at its root (Gradescope unpacks it in /autograder/source):

    setup.sh          run once, as root, when Gradescope builds the image
    run_autograder    run for each submission, as root, in a fresh container
    course/           the course's package: pyproject.toml, rnnlib/, coursekit/
    exercise/<exercise>.ipynb   that exercise's source notebook (hidden tests)
    exercises.json    the grade_ids of every exercise (to tell another
                      exercise's notebook; the released notebooks show them)

The same input gives the same bytes.  The /autograder root is taken from
ROOT_VARIABLE and run_autograder's Python from PYTHON_VARIABLE: only the
tests set them (tests/test_gradescope.py).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from coursekit.notebooks import grade_id, read_notebook, source_notebooks

ROOT = Path(__file__).resolve().parents[2]
ROOT_VARIABLE = "COURSEKIT_AUTOGRADER_ROOT"  # set by tests only
PYTHON_VARIABLE = "COURSEKIT_AUTOGRADER_PYTHON"  # set by tests only
STUDENT_USER = "coursekit-student"  # made by setup.sh; runs the learner's code
VENV = "/opt/coursekit/venv"
COURSE_FILES = ("pyproject.toml", "README.md", "LICENSE", "LICENSE-CONTENT.md")
COURSE_PACKAGES = ("rnnlib", "coursekit")
EXERCISES_FILE = "exercises.json"  # exercise_ids of the course, in the zip
DEFAULTS = {"timeout": 480.0, "cell_timeout": 60.0, "memory_mb": 2048}

SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image
# (its Ubuntu base), with this zip unpacked in /autograder/source.
# Written by `python -m coursekit.gradescope`.
set -euo pipefail
AUTOGRADER="${{{root_variable}:-/autograder}}"
SOURCE="$AUTOGRADER/source"
export DEBIAN_FRONTEND=noninteractive

apt-get update
apt-get install -y --no-install-recommends bubblewrap
# Python 3.11 or newer, called by its full name: Gradescope's own harness
# runs the system python3, which stays as it is (Ubuntu 22.04's is 3.10).
# One already there that can make a venv, else Ubuntu's package (22.04:
# python3.11 from universe; 24.04: its python3.12).
PYTHON=
for version in 3.13 3.12 3.11; do
    if "python$version" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        PYTHON="python$version"
        break
    fi
done
if [ -z "$PYTHON" ]; then
    for version in 3.13 3.12 3.11; do
        if apt-cache show "python$version-venv" >/dev/null 2>&1; then
            apt-get install -y --no-install-recommends \\
                "python$version" "python$version-venv"
            PYTHON="python$version"
            break
        fi
    done
fi
if [ -z "$PYTHON" ]; then
    echo "setup.sh: the course needs Python 3.11 or newer, and apt has none" \\
        "here: choose the Ubuntu 22.04 base image or newer" >&2
    exit 1
fi
"$PYTHON" --version

# the course, installed (not editable) in a virtual environment
"$PYTHON" -m venv {venv}
{venv}/bin/python -m pip install --no-cache-dir --upgrade pip
{venv}/bin/python -m pip install --no-cache-dir "$SOURCE/course" \\
    psutil nbformat

# the learner's code runs as this user, which owns nothing and logs in nowhere
id -u {user} >/dev/null 2>&1 || \\
    useradd --system --no-create-home --shell /usr/sbin/nologin {user}

# root only: the source notebook (hidden tests), the course's files, and
# the installed rnnlib and coursekit (the student's process imports its own
# copy of the library, written while grading)
chown -R root:root "$SOURCE"
chmod -R go-rwx "$SOURCE"
chmod 700 "$AUTOGRADER"
SITE=$({venv}/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
chmod 700 "$SITE/rnnlib" "$SITE/coursekit"
{venv}/bin/python -c 'import rnnlib, coursekit.grade'
"""

RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for each submission, as root, in a fresh container
# built by setup.sh.  It grades /autograder/submission/ and always leaves
# /autograder/results/results.json.  Written by `python -m coursekit.gradescope`.
AUTOGRADER="${{{root_variable}:-/autograder}}"
PYTHON="${{{python_variable}:-{venv}/bin/python}}"
mkdir -p "$AUTOGRADER/results"
chmod 700 "$AUTOGRADER" "$AUTOGRADER/results"
export {root_variable}="$AUTOGRADER"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
cd "$AUTOGRADER" || true  # if not, Python below says what is wrong
"$PYTHON" -m coursekit.gradescope --autograde --student-user {user} \\
    --timeout {timeout} --cell-timeout {cell_timeout} --memory {memory_mb}
status=$?
if [ ! -s "$AUTOGRADER/results/results.json" ]; then
    printf '{{"score": 0, "output": "%s (exit status %s). Nothing was graded: tell your instructor.", "tests": []}}\\n' \\
        "The autograder could not start" "$status" \\
        > "$AUTOGRADER/results/results.json"
fi
exit 0
"""


def _course_files(course: Path):
    """(path inside course/, file) of the package: pyproject.toml and the
    files it names, rnnlib/ and coursekit/ without caches."""
    for name in COURSE_FILES:
        yield name, course / name
    for package in COURSE_PACKAGES:
        for path in sorted((course / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                if path.suffix in (".pyc", ".pyo"):
                    continue
                yield path.relative_to(course).as_posix(), path


def _script(template: str, limits: dict) -> str:
    return template.format(
        root_variable=ROOT_VARIABLE,
        python_variable=PYTHON_VARIABLE,
        venv=VENV,
        user=STUDENT_USER,
        timeout=f"{limits['timeout']:g}",
        cell_timeout=f"{limits['cell_timeout']:g}",
        memory_mb=limits["memory_mb"],
    )


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def exercise_ids(sources: list[Path]) -> dict[str, list[str]]:
    """{exercise: its cells' grade_ids} of the course's exercises (what the
    released notebooks show too): an autograder tells another exercise's
    notebook by them."""
    found = {}
    for path in sources:
        nb = read_notebook(path)
        found[path.stem] = sorted({grade_id(c) for c in nb.cells if grade_id(c)})
    return found


def write_autograder(
    path: Path, source: Path, limits=None, course: Path = ROOT, others=None
):
    """Write the autograder zip of the exercise whose source notebook is
    `source` to `path` (same input, same bytes).  `others`: `exercise_ids`
    of the course's exercises (default: those beside `source`)."""
    limits = {**DEFAULTS, **(limits or {})}
    if others is None:
        others = exercise_ids(source_notebooks(source.parent))
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        _add(archive, "setup.sh", _script(SETUP, limits).encode(), 0o755)
        _add(archive, "run_autograder", _script(RUN, limits).encode(), 0o755)
        for name, file in _course_files(course):
            _add(archive, f"course/{name}", file.read_bytes(), 0o644)
        _add(archive, f"exercise/{source.name}", source.read_bytes(), 0o644)
        manifest = json.dumps(others, indent=1, sort_keys=True) + "\n"
        _add(archive, EXERCISES_FILE, manifest.encode(), 0o644)


def select_exercises(sources: list[Path], wanted: list[str]) -> list[Path]:
    if not wanted:
        return sources
    chosen = []
    for name in wanted:
        found = [s for s in sources if name in (s.name, s.stem)]
        if not found:
            names = ", ".join(s.stem for s in sources)
            raise ValueError(f"no exercise {name!r} (there are: {names})")
        chosen += [s for s in found if s not in chosen]
    return chosen
