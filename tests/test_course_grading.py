"""The course's own exercises, graded as a class would be.

Every generated exercise (unsolved) must score 0 and every solution full
marks: this is what tells an instructor that the grader and the exercise
notebooks agree.  One grading run serves all the tests of this module.
"""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))

pytestmark = pytest.mark.skipif(
    not SOLUTIONS, reason="solutions/ holds no exercise notebook yet"
)


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    out = tmp_path_factory.mktemp("grading") / "gradebook.csv"
    # solutions and exercises share file names: grade them as two "students"
    subs = tmp_path_factory.mktemp("subs")
    for label, paths in (("solved", SOLUTIONS), ("unsolved", EXERCISES)):
        (subs / label).mkdir()
        for path in paths:
            (subs / label / path.name).write_bytes(path.read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "coursekit.grade", str(subs), "--out", str(out)]
        + ["--source", str(ROOT / "solutions"), "--jobs", "2", "--timeout", "600"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    with out.open() as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def test_every_exercise_has_its_generated_copy():
    assert [p.name for p in EXERCISES] == [p.name for p in SOLUTIONS]


@pytest.mark.parametrize("name", [p.name for p in SOLUTIONS])
def test_solution_scores_full_marks(gradebook, name):
    row = next(
        r
        for s, r in gradebook.items()
        if s.endswith(f"solved/{name}") and "unsolved" not in s
    )
    assert row["status"] == "ok", row.get("message")
    assert float(row["max_total"]) > 0
    assert float(row["total"]) == float(row["max_total"]), row


@pytest.mark.parametrize("name", [p.name for p in EXERCISES])
def test_unsolved_exercise_scores_zero(gradebook, name):
    row = next(r for s, r in gradebook.items() if s.endswith(f"unsolved/{name}"))
    assert row["status"] == "ok", row.get("message")
    assert float(row["total"]) == 0, row
