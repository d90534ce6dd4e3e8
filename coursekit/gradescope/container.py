"""Grading one submission inside Gradescope's container (run_autograder's
`python -m coursekit.gradescope --autograde`): find the learner's notebook,
grade it as `python -m coursekit.grade` would, and always write
/autograder/results/results.json."""

from __future__ import annotations

import shutil
import tempfile
import time
import traceback
from pathlib import Path

from coursekit.gradescope.autograder_zip import DEFAULTS, EXERCISES_FILE
from coursekit.gradescope.results import failed_json, results_json, write_json
from coursekit.gradescope.submission import (
    find_submission,
    other_exercise,
    wrong_exercise_message,
)


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
    other = other_exercise(path, source, root / "source" / EXERCISES_FILE)
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
        result.message = wrong_exercise_message(result.message, source.name)
    return results_json(result, source, limits, note, time.monotonic() - started)


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
        write_json(root / "results" / "results.json", data)
        if not isinstance(exc, Exception):
            raise
        return data
    write_json(root / "results" / "results.json", data)
    return data
