"""Feedback never shows what a hidden case expects: while the grader runs a
test cell's hidden region (coursekit.notebooks.cell_pieces), the checks
name the mistake, the shape or the kind of error, but show no values
(coursekit.checks.hidden.values_withheld).  Otherwise a learner could read a
hidden case's answer in one grading's feedback and return it in the next."""

import numpy as np
import pytest

from coursekit.checks import check_array, check_gradient, check_token_lists
from coursekit.checks.hidden import WITHHELD, values_shown, values_withheld
from coursekit.notebooks import cell_pieces

EXPECTED = np.array([[0.125, -2.5], [3.75, 0.0625]])


def message(check, *args, **kwargs):
    with pytest.raises(AssertionError) as err:
        check(*args, **kwargs)
    return str(err.value)


def test_a_visible_failure_shows_the_values():
    text = message(check_array, "h", EXPECTED + [[0, 1], [0, 0]], EXPECTED)
    assert "expected:" in text and "-2.5" in text and WITHHELD not in text


@pytest.mark.parametrize(
    "check, args",
    [
        (check_array, ("h", EXPECTED + [[0, 1], [0, 0]], EXPECTED)),
        (check_array, ("loss", 7.25, 3.75)),
        (check_gradient, ("dW", EXPECTED * 1.5, EXPECTED)),
        (check_token_lists, ("tokens", [[4, 9, 2]], [[4, 3, 7, 2]])),
    ],
)
def test_a_hidden_failure_withholds_the_values(check, args):
    with values_withheld():
        text = message(check, *args)
    assert WITHHELD in text
    for value in ("-2.5", "3.75", "0.0625", "3, 7"):
        assert value not in text, (value, text)
    assert values_shown()  # only within the block


def test_a_hidden_failure_still_names_the_mistake_and_the_shape():
    transposed = EXPECTED.T.copy()
    with values_withheld():
        named = message(
            check_array, "h", transposed, EXPECTED, mistakes={"transposed": transposed}
        )
        shape = message(check_array, "h", EXPECTED[:1], EXPECTED)
    assert "transposed" in named and WITHHELD in named
    assert "expected shape (2, 2); got shape (1, 2)" in shape


def test_a_test_cell_runs_in_pieces_that_keep_its_line_numbers():
    source = "\n".join(
        [
            "a = 1",
            "### BEGIN HIDDEN TESTS",
            "b = 2",
            "### END HIDDEN TESTS",
            "c = 3",
            "### BEGIN HIDDEN TESTS",
            "d = 4",
            "### END HIDDEN TESTS",
        ]
    )
    pieces = cell_pieces(source)
    assert [hidden for hidden, _ in pieces] == [False, True, False, True]
    for (_, piece), line in zip(
        pieces, ["a = 1", "b = 2", "c = 3", "d = 4"], strict=True
    ):
        rows = piece.split("\n")
        assert len(rows) == 8 and [r for r in rows if r] == [line]
        assert rows.index(line) == source.split("\n").index(line)
    assert cell_pieces("x = 1") == [(False, "x = 1")]


# --------------------------------------------------------------------------
# through the grader


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The feedback of exercise 01 with Part 1's output off by 0.25: for one
    sequence only (the hidden cases' B = 1), and for every batch."""
    import nbformat
    from grading_runs import ROOT, grade

    from coursekit.notebooks import grade_id

    base = tmp_path_factory.mktemp("hidden_feedback")
    name = "01_forward_propagation_exercises.ipynb"
    wrong_when = {"hidden_only": "x_t.shape[0] == 1", "everywhere": "True"}
    for student, condition in wrong_when.items():
        nb = nbformat.read(ROOT / "solutions" / name, as_version=4)
        cell = next(c for c in nb.cells if grade_id(c) == "rnn_cell_forward")
        old = "    return h_next, y_hat_t\n"
        assert old in cell.source
        cell.source = cell.source.replace(
            old, f"    if {condition}:\n        y_hat_t = y_hat_t + 0.25\n{old}"
        )
        (base / student).mkdir()
        nbformat.write(nb, base / student / name)
    rows = grade(
        [base / s for s in wrong_when], base / "gb.csv", "--feedback", base / "fb"
    )
    scores = {r["student"]: r["test_rnn_cell_forward"] for r in rows}
    assert scores == {"hidden_only": "0", "everywhere": "0"}, rows
    report = name.replace(".ipynb", ".md")
    return {s: (base / "fb" / s / report).read_text() for s in wrong_when}


def _part_1(report):
    section = report.split("### `test_rnn_cell_forward`")[1]
    return section.split("### `")[0]


def test_the_grader_withholds_a_hidden_cases_values(reports):
    text = _part_1(reports["hidden_only"])
    assert "y_hat_t for B=1" in text or "B=1" in text, text
    assert WITHHELD in text, text
    assert "expected:" not in text and "largest difference" not in text, text


def test_the_grader_shows_a_visible_cases_values(reports):
    text = _part_1(reports["everywhere"])
    assert "expected:" in text and WITHHELD not in text, text


def test_a_hidden_region_inside_a_block_runs_whole_with_its_values_withheld():
    from coursekit.grading.judge import compiled_pieces

    source = "for k in range(2):\n    ### BEGIN HIDDEN TESTS\n    x = k\n    ### END HIDDEN TESTS\n"
    pieces = compiled_pieces(source, "<test t>")
    assert [hidden for hidden, _ in pieces] == [True]
    namespace = {}
    exec(pieces[0][1], namespace)
    assert namespace["x"] == 1
    top_level = "a = 1\n### BEGIN HIDDEN TESTS\nb = 2\n### END HIDDEN TESTS\n"
    assert [h for h, _ in compiled_pieces(top_level, "<t>")] == [False, True, False]
