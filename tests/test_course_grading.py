"""The course's own exercises, graded as a class would be.

Every generated exercise (unsolved) must score 0 and every solution full
marks: this is what tells an instructor that the grader and the exercise
notebooks agree.  The solutions must keep full marks when every float
their functions return is off by a relative 1e-10 (what another CPU or
BLAS kernel may give), and a part that calls a wrong function of an
earlier part must say so.  One grading run serves all the tests of this
module.
"""

import ast
from pathlib import Path

import pytest
from grading_runs import grade, returns_changed, with_cell_after

from coursekit.notebooks import grade_id

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
# every solution must keep full marks when its floats move by 1e-10
PERTURBED = SOLUTIONS

# Appended after each solution cell: every function the cell defines returns
# its floats changed by a relative 1e-10, in alternating directions.
PERTURBED_ARRAY = (
    "value * (1 + 1e-10 * _np.where(_np.arange(value.size) % 2, 1.0, -1.0)"
    ".reshape(value.shape)).astype(value.dtype)"
)
PERTURBED_NUMBER = "type(value)(value * (1 + 1e-10))"

# Exercise 09 with Part 2 wrong (dc_prev scaled): Part 4 calls it.
WRONG_PART_2 = """\
_right_step_backward = peephole_lstm_step_backward


def peephole_lstm_step_backward(dh_next, dc_next, cache):
    *grads, = _right_step_backward(dh_next, dc_next, cache)
    grads[2] = 1.5 * grads[2]
    return tuple(grads)
"""

# Exercise 01 with W_hx used untransposed: with D != H a shape error, which
# the feedback must explain as the transposed-weights mistake.
TRANSPOSED = """\
def rnn_cell_forward(x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y):
    h_next = np.tanh(x_t @ W_hx + h_prev @ W_hh.T + b_h)
    return h_next, sigmoid(h_next @ W_yh.T + b_y)
"""


def perturbation_cell(cell):
    names = [
        node.name
        for node in ast.parse(cell.source).body
        if isinstance(node, ast.FunctionDef)
    ]
    return returns_changed(names, PERTURBED_ARRAY, PERTURBED_NUMBER) if names else None


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
    (subs / "perturbed").mkdir()
    for path in PERTURBED:
        text = with_cell_after(path, perturbation_cell)
        (subs / "perturbed" / path.name).write_text(text, encoding="utf-8")
    (subs / "upstream").mkdir()
    lstm = ROOT / "solutions" / "09_lstm_exercises.ipynb"
    text = with_cell_after(
        lstm,
        lambda c: (
            WRONG_PART_2 if grade_id(c) == "peephole_lstm_step_backward" else None
        ),
    )
    (subs / "upstream" / lstm.name).write_text(text, encoding="utf-8")
    (subs / "transposed").mkdir()
    forward = ROOT / "solutions" / "01_forward_propagation_exercises.ipynb"
    text = with_cell_after(
        forward,
        lambda c: TRANSPOSED if grade_id(c) == "rnn_cell_forward" else None,
    )
    (subs / "transposed" / forward.name).write_text(text, encoding="utf-8")
    feedback = out.parent / "feedback"
    graded = grade([subs], out, "--timeout", "600", "--feedback", feedback)
    rows = {row["submission"]: row for row in graded}
    return {"rows": rows, "feedback": feedback}


def test_every_exercise_has_its_generated_copy():
    assert [p.name for p in EXERCISES] == [p.name for p in SOLUTIONS]


@pytest.mark.parametrize("name", [p.name for p in SOLUTIONS])
def test_solution_scores_full_marks(gradebook, name):
    row = next(
        r
        for s, r in gradebook["rows"].items()
        if s.endswith(f"solved/{name}") and "unsolved" not in s
    )
    assert row["status"] == "ok", row.get("message")
    assert float(row["max_total"]) > 0
    assert float(row["total"]) == float(row["max_total"]), row


@pytest.mark.parametrize("name", [p.name for p in EXERCISES])
def test_unsolved_exercise_scores_zero(gradebook, name):
    row = next(
        r for s, r in gradebook["rows"].items() if s.endswith(f"unsolved/{name}")
    )
    assert row["status"] == "ok", row.get("message")
    assert float(row["total"]) == 0, row


@pytest.mark.parametrize("name", [p.name for p in PERTURBED])
def test_solution_keeps_full_marks_when_its_floats_move_by_1e_10(gradebook, name):
    row = next(
        r for s, r in gradebook["rows"].items() if s.endswith(f"perturbed/{name}")
    )
    assert row["status"] == "ok", row.get("message")
    assert float(row["total"]) == float(row["max_total"]), row


def test_a_wrong_earlier_part_is_named_in_the_later_parts_feedback(gradebook):
    row = next(
        r
        for s, r in gradebook["rows"].items()
        if s.endswith("upstream/09_lstm_exercises.ipynb")
    )
    scores = {
        k: row[k]
        for k in (
            "test_peephole_lstm_step_forward",
            "test_peephole_lstm_step_backward",
            "test_peephole_lstm_forward",
            "test_peephole_lstm_backward",
        )
    }
    assert scores == {
        "test_peephole_lstm_step_forward": "3",
        "test_peephole_lstm_step_backward": "0",
        "test_peephole_lstm_forward": "2",
        "test_peephole_lstm_backward": "0",
    }, scores
    report = (gradebook["feedback"] / "upstream" / "09_lstm_exercises.md").read_text()
    later = report.split("### `test_peephole_lstm_backward`")[1]
    assert (
        "This part calls your `peephole_lstm_step_backward` from Part 2"
        " (`test_peephole_lstm_step_backward`), which does not pass its tests yet:"
        " fix Part 2 (`peephole_lstm_step_backward`) first." in later
    )
    assert "Part 2's test says: dc_prev" in later
    assert "calls your" not in report.split("### `test_peephole_lstm_backward`")[0]


def test_a_shape_error_is_explained_as_the_mistake_behind_it(gradebook):
    row = next(
        r
        for s, r in gradebook["rows"].items()
        if s.endswith("transposed/01_forward_propagation_exercises.ipynb")
    )
    assert (row["status"], row["test_rnn_cell_forward"]) == ("ok", "0"), row
    assert row["test_concat_weights"] == "1"  # the other parts still score
    report = gradebook["feedback"] / "transposed"
    text = (report / "01_forward_propagation_exercises.md").read_text()
    part1 = text.split("### `test_rnn_cell_forward`")[1].split("### ")[0]
    assert "The error was ValueError: matmul" in part1
    assert "The usual cause is transposed weights" in part1
    assert "x_t @ W_hx.T" in part1
    assert "Fix the solution cell `rnn_cell_forward`." in part1
