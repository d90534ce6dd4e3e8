"""The course's exercises as Gradescope autograders: one zip per exercise.

    python -m coursekit.gradescope OUT [EXERCISE ...] [--source solutions]
        [--timeout 480] [--cell-timeout 60] [--memory 2048]

writes OUT/<exercise>/autograder.zip for every notebook of `--source`
(EXERCISE selects some, by file name or stem).  Upload it as a
"Programming Assignment" autograder (docs/instructor_guide.md, "Gradescope").

`setup.sh` installs bubblewrap, a Python 3.11 or newer and the course (in
/opt/coursekit/venv), adds the unprivileged user `coursekit-student`, and
makes /autograder (the source notebook, the course's files, later the
submission and results) and the installed rnnlib and coursekit readable by
root only: the student's process reads its own copy of the library
(`coursekit.grading.library`), nothing it could take the answers from.

`run_autograder` calls `python -m coursekit.gradescope --autograde`: it
finds the learner's notebook in /autograder/submission/ whatever its name,
grades it with the course's judge as `python -m coursekit.grade` would
(the student's code in a bubblewrap sandbox when one can be made in the
container, else as `coursekit-student`; the tests in the judge, as root),
and writes /autograder/results/results.json in Gradescope's format.  That
file is always written: whatever goes wrong, it says what, with a score of
0 (and `run_autograder` writes one if Python itself cannot start).

Which file does what:

autograder_zip.py  the zip: setup.sh, run_autograder, the course, the exercise
submission.py      which notebook of a submission is graded; another exercise's
results.py         Gradescope's results.json of a graded submission
container.py       one submission, inside the container (`--autograde`)
command.py         the command line
"""

from coursekit.gradescope.autograder_zip import (
    DEFAULTS,
    EXERCISES_FILE,
    PYTHON_VARIABLE,
    ROOT_VARIABLE,
    STUDENT_USER,
    exercise_ids,
    write_autograder,
)
from coursekit.gradescope.command import main
from coursekit.gradescope.container import autograde
from coursekit.gradescope.results import (
    failed_json,
    hidden_parts,
    part_titles,
    results_json,
)
from coursekit.gradescope.submission import find_submission

__all__ = [
    "DEFAULTS",
    "EXERCISES_FILE",
    "PYTHON_VARIABLE",
    "ROOT_VARIABLE",
    "STUDENT_USER",
    "autograde",
    "exercise_ids",
    "failed_json",
    "find_submission",
    "hidden_parts",
    "main",
    "part_titles",
    "results_json",
    "write_autograder",
]
