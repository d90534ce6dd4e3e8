"""Exercise 08's Part 1, clipping each array by its own norm: the solution
passes every test, each usual mistake submitted is named (one global factor,
rnnlib's clip_grad_norm, and each entry clipped, Keras's clipvalue, among
them), an all-zero array that divides by zero is said to be one, and the
reference of the part (coursekit/answers/long_term.py, recorded for the
visible tests) is the per-array clipping of Keras's clipnorm, not the global
one of PyTorch."""

import sys

import numpy as np
import pytest
from test_named_mistakes import mistaken, run_part

import rnnlib
from coursekit.answers import long_term as answers08
from coursekit.checks import long_term as tests08
from coursekit.checks.recordings import decode, read_recording
from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error

PART1 = "test_clip_norm_per_array"
SCALE_UP = "if norms[name] > max_norm:"
CLIP = "g *= max_norm / norms[name]"
RETURN = "return norms"
GLOBAL_FACTOR = """def clip_norm_per_array(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    norms = {name: float(np.sqrt(np.sum(g * g))) for name, g in grads.items()}
    if total > max_norm:
        for g in grads.values():
            g *= max_norm / total
    return norms
"""
RNNLIB_PER_ARRAY = """def clip_norm_per_array(grads, max_norm):
    from rnnlib import clip_grad_norm

    return {name: clip_grad_norm({name: g}, max_norm) for name, g in grads.items()}
"""
TOTAL = "float(np.sqrt(sum(n * n for n in norms.values())))"
ROW_BY_ROW = """def clip_norm_per_array(grads, max_norm):
    norms = {}
    for name, g in grads.items():
        norms[name] = float(np.sqrt(np.sum(g * g)))
        for row in g.reshape(-1, g.shape[-1]):  # a view: changed in place
            n = np.sqrt(np.sum(row * row))
            if n > max_norm:
                row *= max_norm / n
    return norms
"""


def test_the_solution_passes_part_1_hidden_tests_included():
    assert run_part("08", PART1, visible_only=False) is None


def test_global_clipping_keeps_the_direction_per_array_clipping_turns_it():
    """The markdown's example, {W: [[3, 4]], b: [12]} clipped to 6.5."""
    grads = {"W": np.array([[3.0, 4.0]]), "b": np.array([12.0])}
    clipped, norms = answers08.clip_per_array_reference(grads, 6.5)
    assert norms == {"W": 5.0, "b": 12.0}
    assert clipped["W"].tolist() == [[3.0, 4.0]] and clipped["b"].tolist() == [6.5]
    assert grads["b"].tolist() == [12.0]  # the reference works on new arrays
    assert rnnlib.clip_grad_norm(grads, 6.5) == 13.0
    np.testing.assert_allclose(grads["W"], [[1.5, 2.0]], rtol=1e-6)
    np.testing.assert_allclose(grads["b"], [6.0], rtol=1e-6)
    norms, _, cosine = tests08.direction_example(run_solution())
    assert norms == {"W": 5.0, "b": 12.0}
    assert cosine == pytest.approx(103 / (13 * np.sqrt(67.25)), rel=1e-12)


def run_solution():
    assert run_part("08", PART1) is None
    from test_named_mistakes import NAMESPACE

    return NAMESPACE["clip_norm_per_array"]


@pytest.mark.parametrize(
    "old, new, named",
    [
        (
            None,
            GLOBAL_FACTOR,
            "This is exactly what you get with one factor for all the arrays,"
            " from their global norm (rnnlib's clip_grad_norm",
        ),
        (
            SCALE_UP,
            "if True:",
            "This is exactly what you get with a rescale although the array's"
            " norm was already below max_norm",
        ),
        (
            CLIP,
            "g *= norms[name] / max_norm",
            "This is exactly what you get with the factor upside down",
        ),
        (
            RETURN,
            "return {k: float(np.linalg.norm(g)) for k, g in grads.items()}",
            "This is exactly what you get with the norms returned after clipping",
        ),
        (
            RETURN,
            f"return {{k: {TOTAL} for k in norms}}",
            "This is exactly what you get with the global norm returned for every"
            " array",
        ),
        (
            "float(np.sqrt(np.sum(g * g)))",
            "float(np.sum(g * g))",
            "This is exactly what you get with the squared norm",
        ),
        (
            "for name, g in grads.items():",
            "for name, g in {k: v.copy() for k, v in grads.items()}.items():",
            "This is exactly what you get with the arrays left as they were: an"
            " array whose norm over all its entries exceeds max_norm must be"
            " scaled by max_norm / ||G||; if you did, scale the caller's arrays"
            " in place",
        ),
        (
            CLIP,
            "np.clip(g, -max_norm, max_norm, out=g)",
            "This is exactly what you get with each entry clipped to [-max_norm,"
            " max_norm] (np.clip, Keras's clipvalue)",
        ),
        (
            None,
            ROW_BY_ROW,
            "This is exactly what you get with each row clipped by its own norm",
        ),
        (
            f"{SCALE_UP}\n            {CLIP}",
            "g *= min(1, max_norm / norms[name])",
            "clip_norm_per_array raised ZeroDivisionError (float division by"
            " zero) on gradients where grads['b_h'] is all zeros: an all-zero"
            " array has norm 0",
        ),
        (
            CLIP,
            "grads[name] = g * (max_norm / norms[name])",
            "grads['W_hx'] was replaced by a new array: multiply the arrays in place",
        ),
        (
            RETURN,
            f"return {TOTAL}",
            "clip_norm_per_array returned the global norm of all the arrays (5.3",
        ),
        (
            RETURN,
            "return len(norms)",
            "clip_norm_per_array returned one number (5): return a dict name ->",
        ),
        (
            None,
            RNNLIB_PER_ARRAY,
            "uses rnnlib's clip_grad_norm",
        ),
    ],
)
def test_exercise_08_part_1_names_the_usual_mistakes(old, new, named):
    wrong = new if old is None else mistaken("08", "clip_norm_per_array", old, new)
    message = run_part("08", PART1, wrong)
    assert message is not None and message.startswith("AssertionError: ")
    assert named in message, message
    if "left as they were" not in named:  # the arrays changed: not that one
        assert "left as they were" not in message, message


def test_the_visible_tests_of_part_1_read_recorded_answers(monkeypatch):
    """As in the student edition, where coursekit/answers is absent: the
    solution passes the visible tests, and a mistake is still named."""
    for name in ("coursekit.answers", "coursekit.answers.long_term"):
        monkeypatch.setitem(sys.modules, name, None)
    assert run_part("08", PART1) is None
    wrong = mistaken("08", "clip_norm_per_array", CLIP, "g *= norms[name] / max_norm")
    assert "the factor upside down" in run_part("08", PART1, wrong)
    recorded = read_recording("long_term")
    assert len(recorded) == 4 and "direction_answer(max_norm=6.5)" in recorded
    example = decode(recorded["direction_answer(max_norm=6.5)"])
    assert example["norms"] == {"W": 5.0, "b": 12.0}
    assert example["grads"]["b"].tolist() == [6.5]


def test_the_mistake_models_differ_from_the_answer_where_they_are_checked():
    """On the visible test's gradients every mistake model of the arrays
    differs from the reference in some array, every one of the norms in
    some norm (else the test could not name it)."""
    grads = tests08.random_grads(tests08.SHAPES, 1.0, 0)
    right, norms = answers08.clip_per_array_reference(grads, 2.0)
    mistakes = answers08.clip_per_array_mistakes(grads, 2.0)
    for mistake in mistakes["grads"]["W_hx"]:
        assert any(
            not np.allclose(mistakes["grads"][k][mistake], right[k])
            or not np.isclose(mistakes["norms"][k][mistake], norms[k])
            for k in grads
        ), mistake


def test_a_vanished_state_gradient_is_measured_against_the_gradient_at_the_loss():
    """Exercise 08's Part 2 compares dL/dh_t with a numerical gradient whose
    error is measured with the floor max |dh_last|: at gain 3, five steps
    back, the gradient has vanished (|dL/dh_0| < 1e-10) and the loss's
    rounding is the whole of the central difference, so without the floor a
    correct walk back would be 1.0 off."""
    args = tests08.random_rnn(1, 6, 2, 2, gain=3.0, seed=37)
    right = tests08.reference_state_gradients(*args)
    h, _ = rnnlib.rnn_forward(args[0], None, *args[1:4])
    numeric = rnnlib.numerical_gradient(
        lambda v: tests08.loss_from_step(*args, 0, v), h[:, 0].copy()
    )
    assert np.max(np.abs(right[:, 0])) < 1e-10 < np.max(np.abs(args[-1]))
    assert gradient_error(right[:, 0], numeric) > 100 * GRADIENT_TOLERANCE
    floor = np.max(np.abs(args[-1]))
    assert gradient_error(right[:, 0], numeric, floor) < GRADIENT_TOLERANCE / 100
    assert run_part("08", "test_state_gradients") is None
    from test_named_mistakes import NAMESPACE

    tests08.check_state_gradients(
        NAMESPACE["state_gradients"], 1, 6, 2, 2, 3.0, 37, numerical_steps=(0, 5)
    )
