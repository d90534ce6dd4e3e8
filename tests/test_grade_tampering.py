"""Submissions that try to fool coursekit.grade on exercise 01 score nothing.

Each one returns zeros of the right shape from every function (worth 0 of
8 points) and attacks the checks another way: numpy's comparisons replaced,
the check functions shadowed, patched in their module, their code swapped,
or the course checkout's `coursekit/checks.py` rewritten for the students
graded after it.  The grader runs from a copy of the course (its own
`rnnlib`, `coursekit` and `solutions/`), so the last attack is real and the
test can show that the copy ends exactly as it began.
"""

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.exercises import make_exercise
from coursekit.notebooks import grade_id, load_source, read_notebook, write_notebook

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = "01_forward_propagation_exercises"

ZEROS = {  # right shapes, wrong values: every part's test must fail
    "rnn_step_forward": (
        "def rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h):\n"
        "    return np.zeros((x_t.shape[0], W_hh.shape[0]))"
    ),
    "rnn_forward": (
        "def rnn_forward(x, h0, W_hx, W_hh, b_h):\n"
        "    return np.zeros((x.shape[0], x.shape[1], W_hh.shape[0]))"
    ),
    "concat_weights": (
        "def concat_weights(W_hh, W_hx):\n"
        "    return np.zeros((W_hh.shape[0], W_hh.shape[1] + W_hx.shape[1]))"
    ),
    "rnn_step_forward_concat": (
        "def rnn_step_forward_concat(x_t, h_prev, W_h, b_h):\n"
        "    return np.zeros((x_t.shape[0], W_h.shape[0]))"
    ),
}
CHECKS = ("check_array", "check_not_calling", "check_upstream")

ATTACKS = {
    "zeros": "",
    "numpy": (
        "for name in ('allclose', 'array_equal', 'isclose', 'all', 'any'):\n"
        "    setattr(np, name, lambda *a, **k: True)\n"
        "np.testing.assert_allclose = lambda *a, **k: None"
    ),
    "shadowed": "\n".join(f"def {name}(*a, **k):\n    pass" for name in CHECKS),
    "patched": (
        "import coursekit.checks\n"
        + "\n".join(
            f"coursekit.checks.{n} = {n} = lambda *a, **k: None" for n in CHECKS
        )
    ),
    "code_swapped": "\n".join(
        f"{name}.__code__ = (lambda *a, **k: None).__code__" for name in CHECKS
    ),
    # rewrites the checkout's checks (and its own copy) for everyone after it
    "rewrites_checkout": (
        "import coursekit.checks\n"
        "evil = '\\n' + '\\n'.join(f'def {n}(*a, **k):\\n    pass' for n in CHECKS)\n"
        "for path in (CHECKOUT, coursekit.checks.__file__):\n"
        "    with open(path, 'a') as f:\n"
        "        f.write(evil)\n"
        "import importlib\n"
        "importlib.reload(coursekit.checks)"
    ),
    "graded_after": "",
}


def submission(attack: str, course: Path):
    nb = make_exercise(load_source(course / "solutions" / f"{EXERCISE}.ipynb"))
    code = (
        ATTACKS[attack]
        .replace("CHECKS", repr(CHECKS))
        .replace("CHECKOUT", repr(str(course / "coursekit" / "checks.py")))
    )
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in ZEROS:
            # the attack sits in the first solution cell, before the tests run
            first = gid == "rnn_step_forward"
            cell.source = ((code + "\n\n") if first and code else "") + ZEROS[gid]
    return nb


def digest(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("tampering")
    course = base / "course"
    ignore = shutil.ignore_patterns("__pycache__")
    for name in ("rnnlib", "coursekit"):
        shutil.copytree(ROOT / name, course / name, ignore=ignore)
    (course / "solutions").mkdir()
    shutil.copy(ROOT / "solutions" / f"{EXERCISE}.ipynb", course / "solutions")
    subs = base / "class"
    solved = read_notebook(course / "solutions" / f"{EXERCISE}.ipynb")
    for name in [*ATTACKS, "solved"]:
        (subs / name).mkdir(parents=True)
        nb = solved if name == "solved" else submission(name, course)
        write_notebook(nb, subs / name / f"{EXERCISE}.ipynb")
    before = {"course": digest(course), "class": digest(subs)}

    order = [subs / name / f"{EXERCISE}.ipynb" for name in [*ATTACKS, "solved"]]
    run = subprocess.run(
        [sys.executable, "-m", "coursekit.grade", *map(str, order),
         "--source", "solutions", "--out", str(base / "gradebook.csv"),
         "--jobs", "1", "--timeout", "120", "--cell-timeout", "30"],
        cwd=course, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(course)},  # the copy's coursekit
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    with open(base / "gradebook.csv", newline="", encoding="utf-8") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    return {"rows": rows, "before": before, "course": course, "subs": subs}


def test_an_honest_solution_still_scores_full_marks(graded):
    solved = graded["rows"]["solved"]
    assert (solved["total"], solved["max_total"], solved["status"]) == ("8", "8", "ok")


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_tampering_scores_zero(graded, attack):
    row = graded["rows"][attack]
    assert row["status"] == "ok", row["message"]
    assert row["total"] == "0", row


def test_the_rewritten_checkout_is_put_back_and_named(graded):
    assert digest(graded["course"]) == graded["before"]["course"]
    message = graded["rows"]["rewrites_checkout"]["message"]
    assert "coursekit/checks.py" in message and "put back" in message
    assert graded["rows"]["graded_after"]["message"] == ""


def test_submissions_are_left_as_they_were(graded):
    assert digest(graded["subs"]) == graded["before"]["class"]
