"""The course's exercises as Gradescope autograders: one zip per exercise.

    python -m coursekit.gradescope OUT [EXERCISE ...] [--source solutions]
        [--timeout 480] [--cell-timeout 60] [--memory 2048]

writes OUT/<exercise>/autograder.zip for every notebook of `--source`
(EXERCISE selects some, by file name or stem).  Upload it as a
"Programming Assignment" autograder (docs/instructor_guide.md, "Gradescope").
Each zip holds, at its root (Gradescope unpacks it in /autograder/source):

    setup.sh          run once, as root, when Gradescope builds the image
    run_autograder    run for each submission, as root, in a fresh container
    course/           the course's package: pyproject.toml, rnnlib/, coursekit/
    exercise/<exercise>.ipynb   that exercise's source notebook (hidden tests)
    exercises.json    the grade_ids of every exercise (to tell another
                      exercise's notebook; the released notebooks show them)

`setup.sh` installs Python, bubblewrap and the course (in
/opt/coursekit/venv), adds the unprivileged user `coursekit-student`, and
makes /autograder (the source notebook, the course's files, later the
submission and results) and the installed rnnlib and coursekit readable by
root only: the student's process reads its own copy of the library
(`coursekit.grading.library`), nothing it could take the answers from.

`run_autograder` calls `python -m coursekit.gradescope --autograde`: it
finds the learner's notebook in /autograder/submission/ whatever its name
(`find_submission`), grades it with the course's judge as
`python -m coursekit.grade` would (`coursekit.grade.grade_notebooks`: the
student's code in a bubblewrap sandbox when one can be made in the
container, else as `coursekit-student`; the tests in the judge, as root),
and writes /autograder/results/results.json in Gradescope's format
(`results_json`): a test per graded part, with the feedback learners get
from `coursekit.grade`; a part whose test cell holds hidden tests shows
after the grades are published.  That file is always written: whatever
goes wrong, it says what, with a score of 0 (and `run_autograder` writes
one if Python itself cannot start).

The /autograder root is taken from COURSEKIT_AUTOGRADER_ROOT and
run_autograder's Python from COURSEKIT_AUTOGRADER_PYTHON: only the tests set
them (tests/test_gradescope.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from coursekit.notebooks import (
    BEGIN_HIDDEN,
    END_HIDDEN,
    NotebookError,
    format_points,
    grade_id,
    has_marker,
    is_test,
    read_notebook,
    source_notebooks,
)

ROOT = Path(__file__).resolve().parents[1]
ROOT_VARIABLE = "COURSEKIT_AUTOGRADER_ROOT"  # set by tests only
PYTHON_VARIABLE = "COURSEKIT_AUTOGRADER_PYTHON"  # set by tests only
STUDENT_USER = "coursekit-student"  # made by setup.sh; runs the learner's code
VENV = "/opt/coursekit/venv"
COURSE_FILES = ("pyproject.toml", "README.md", "LICENSE", "LICENSE-CONTENT.md")
COURSE_PACKAGES = ("rnnlib", "coursekit")
EXERCISES_FILE = "exercises.json"  # exercise_ids of the course, in the zip
DEFAULTS = {"timeout": 480.0, "cell_timeout": 60.0, "memory_mb": 2048}
PART_HEADING = re.compile(r"^#+\s*(Part\s+\d+\b.*?)\s*(\([^()]*points?\))?\s*$", re.M)

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
apt-get install -y --no-install-recommends \\
    python3 python3-venv python3-pip bubblewrap
# the course needs Python 3.11 or newer (Ubuntu 22.04's python3 is 3.10)
PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
    PYTHON=python3.11
fi

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
cd "$AUTOGRADER"
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


# building the zips ----------------------------------------------------------
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


def _select(sources: list[Path], wanted: list[str]) -> list[Path]:
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


# grading one submission -----------------------------------------------------
def _name_matches(stem: str, exercise: str) -> bool:
    return stem == exercise or any(
        stem.startswith(exercise + sep) or stem.endswith(sep + exercise)
        for sep in "_-. "
    )


def _overlap(path: Path, ids: set[str]) -> float:
    try:
        nb = read_notebook(path)
    except NotebookError:
        return 0.0
    found = {grade_id(c) for c in nb.cells if grade_id(c)}
    return len(found & ids) / len(found | ids) if found else 0.0


def find_submission(folder: Path, exercise: str, ids: set[str]):
    """(the notebook to grade or None, a note for the learner or "").

    One notebook below `folder`: that one, whatever its name.  Several: the
    one named like the exercise, else the one sharing the most grade_ids
    with it (`ids`)."""
    notebooks = sorted(
        p
        for p in folder.rglob("*.ipynb")
        if p.is_file()
        and ".ipynb_checkpoints" not in p.parts
        and "__MACOSX" not in p.parts
        and not p.name.startswith("._")
    )
    shown = [p.relative_to(folder).as_posix() for p in notebooks]
    if not notebooks:
        files = sorted(
            p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
        )
        received = ", ".join(files[:10]) + (", …" if len(files) > 10 else "")
        return None, (
            f"No notebook (.ipynb file) was found in your submission "
            f"(received: {received or 'nothing'}). Upload your "
            f"{exercise}.ipynb."
        )
    if len(notebooks) == 1:
        return notebooks[0], ""
    named = [p for p in notebooks if _name_matches(p.stem, exercise)]
    overlaps = {p: _overlap(p, ids) for p in notebooks}
    candidates = named or [p for p in notebooks if overlaps[p] > 0]
    if not candidates:
        return None, (
            f"Your submission holds {len(notebooks)} notebooks "
            f"({', '.join(shown)}) and none of them is {exercise}.ipynb "
            "(by its name or its cells). Upload that exercise's notebook."
        )
    chosen = max(candidates, key=lambda p: (overlaps[p], -len(p.parts)))
    others = ", ".join(s for p, s in zip(notebooks, shown, strict=True) if p != chosen)
    return chosen, (
        f"Your submission holds {len(notebooks)} notebooks: "
        f"{chosen.relative_to(folder).as_posix()} was graded ({others} not)."
    )


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


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def _user_exists(name: str) -> bool:
    try:
        import pwd

        pwd.getpwnam(name)
    except (ImportError, KeyError):
        return False
    return True


def _grade(root: Path, limits: dict, isolation: str, student_user):
    """The results.json of the submission in `root`/submission."""
    from coursekit.grade import grade_notebooks
    from coursekit.grading import sandbox
    from coursekit.grading.matching import load_sources

    started = time.monotonic()
    exercise_dir = root / "source" / "exercise"
    sources = load_sources(exercise_dir)
    if len(sources) != 1:
        return failed_json(
            f"The autograder holds {len(sources)} exercises instead of one: "
            "rebuild it with `python -m coursekit.gradescope`."
        )
    source = sources[0]
    path, note = find_submission(root / "submission", source.name, source.ids)
    if path is None:
        return failed_json(note, source)
    other = _other_exercise(path, source, root / "source" / EXERCISES_FILE)
    if other:
        return failed_json(
            f"{path.name} is the notebook of exercise {other}, and "
            f"this assignment is {source.name}. Submit that exercise's notebook.",
            source,
        )
    if student_user and not _user_exists(student_user):
        student_user = None  # outside Gradescope's image (the tests)
    reason = None if isolation == "off" else sandbox.unavailable_reason()
    if reason and isolation == "required":
        return failed_json(f"The autograder could not make its sandbox: {reason}")
    limits = {**limits, "sandboxed": reason is None and isolation != "off"}
    limits["student_user"] = student_user
    with tempfile.TemporaryDirectory(prefix="coursekit-submission-") as folder:
        # graded from a copy whose name says the exercise: the learner's
        # file name does not matter once find_submission chose it
        copy = Path(folder) / f"{source.name}.ipynb"
        shutil.copyfile(path, copy)
        (result,) = grade_notebooks([copy], sources, limits, jobs=1, root=Path(folder))
    result.shown = path.relative_to(root / "submission").as_posix()
    if result.status == "invalid-notebook" and result.source is None:
        result.message = _wrong_exercise(result.message, source.name)
    return results_json(result, source, limits, note, time.monotonic() - started)


def _other_exercise(path: Path, source, manifest: Path) -> str | None:
    """The exercise whose cells `path` shares more of than `source`'s, if
    any (as `coursekit.grade` matches against every exercise)."""
    try:
        known = json.loads(manifest.read_text(encoding="utf-8"))
        nb = read_notebook(path)
    except (OSError, ValueError, NotebookError):
        return None  # an unreadable notebook: the grader says why
    ids = {grade_id(c) for c in nb.cells if grade_id(c)}

    def overlap(name):
        theirs = set(known[name]) if name != source.name else source.ids
        return len(ids & theirs) / len(ids | theirs) if ids else 0.0

    best = max(known, key=overlap)
    if best != source.name and overlap(best) > overlap(source.name):
        return best
    return None


def _wrong_exercise(message: str, exercise: str) -> str:
    if "matches no exercise" in message or "holds none of its parts" in message:
        return (
            f"it is not the notebook of {exercise} (none of its cells is one of "
            "that exercise's parts): did you upload another exercise's notebook? "
            "Download the exercise again and copy your code into it"
        )
    return message


def autograde(
    root: Path, limits=None, isolation: str = "auto", student_user=None
) -> dict:
    """Grade `root`/submission/ with the exercise in `root`/source/ and write
    `root`/results/results.json, whatever happens; returns what it wrote."""
    limits = {**DEFAULTS, **(limits or {})}
    try:
        data = _grade(root, limits, isolation, student_user)
    except BaseException as exc:  # noqa: BLE001 (always write a result)
        traceback.print_exc()
        data = failed_json(
            f"The autograder failed while grading ({type(exc).__name__}: {exc}). "
            "Nothing was graded: tell your instructor."
        )
        _write_json(root / "results" / "results.json", data)
        if not isinstance(exc, Exception):
            raise
        return data
    _write_json(root / "results" / "results.json", data)
    return data


# the command line -------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    from coursekit.grade import positive

    parser = argparse.ArgumentParser(
        prog="python -m coursekit.gradescope",
        description="Write one Gradescope autograder.zip per exercise into OUT "
        "(or, with --autograde, grade a submission inside Gradescope's container).",
    )
    parser.add_argument("out", nargs="?", metavar="OUT", help="folder for the zips")
    parser.add_argument(
        "exercises", nargs="*", metavar="EXERCISE", help="default: every exercise"
    )
    parser.add_argument("--source", default=str(ROOT / "solutions"))
    parser.add_argument(
        "--timeout",
        type=positive(float),
        default=DEFAULTS["timeout"],
        help="seconds for a whole notebook (default %(default)g; keep it below "
        "the assignment's timeout on Gradescope, 10 minutes by default)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=positive(float),
        default=DEFAULTS["cell_timeout"],
        help="seconds for one cell (default %(default)g)",
    )
    parser.add_argument(
        "--memory",
        type=positive(int),
        default=DEFAULTS["memory_mb"],
        help="MB for the student's process (default %(default)d)",
    )
    parser.add_argument(
        "--autograde",
        action="store_true",
        help="inside the container (run_autograder): grade /autograder/submission",
    )
    parser.add_argument(
        "--isolation", choices=("auto", "required", "off"), default="auto"
    )
    parser.add_argument("--student-user", metavar="NAME", default=None)
    return parser


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    limits = {
        "timeout": args.timeout,
        "cell_timeout": args.cell_timeout,
        "memory_mb": args.memory,
    }
    if args.autograde:
        if args.out:
            parser.error("--autograde takes no OUT folder")
        root = Path(os.environ.get(ROOT_VARIABLE, "/autograder"))
        data = autograde(root, limits, args.isolation, args.student_user)
        print(data["output"])
        return 0
    if not args.out:
        parser.error("give the OUT folder for the zips")
    found = source_notebooks(args.source)
    if not found:
        parser.error(f"no source notebook in {args.source}/ (see --source)")
    try:
        chosen = _select(found, args.exercises)
    except ValueError as exc:
        parser.error(str(exc))
    out = Path(args.out)
    others = exercise_ids(found)
    for source in chosen:
        path = out / source.stem / "autograder.zip"
        write_autograder(path, source, limits, others=others)
        print(f"{path}  ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    from coursekit.gradescope import main as _main  # so worker processes import it

    sys.exit(_main())
