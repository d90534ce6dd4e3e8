"""The gradient-check policy holds: a fast run of benchmarks/gradient_tolerance.py.

Correct float64 backward passes (rnnlib's and the reference solutions')
stay 100x below GRADIENT_TOLERANCE, and every named mistake of
coursekit/checks/ stays 100x above it, on the exercises' test inputs.
The full measurement (300 seeds, sizes up to 6, two CPU kernels) is in
docs/gradient_checks.md.
"""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

from rnnlib.gradcheck import (
    GRADIENT_STEP,
    GRADIENT_TOLERANCE,
    gradient_error,
    numerical_gradient,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
measure = importlib.import_module("gradient_tolerance")

MARGIN = 100


@pytest.fixture(scope="module")
def worst_correct():
    return measure.measure_correct(seeds=40, high=4)


@pytest.fixture(scope="module")
def smallest_mistake():
    return measure.measure_mistakes()


def test_numerical_gradient_steps_by_the_policys_step():
    # f(x) = x**3 at 1: the central difference is 3 + h**2 exactly
    x = np.array([1.0])
    got = numerical_gradient(lambda v: float(v[0] ** 3), x)
    assert GRADIENT_STEP == 1e-5
    assert abs(got[0] - (3 + GRADIENT_STEP**2)) < 1e-9


def test_gradient_error_is_the_largest_difference_over_the_largest_entries():
    a, n = np.array([1.0, -4.0, 0.0]), np.array([1.0, -3.0, 1e-3])
    assert gradient_error(a, n) == pytest.approx(1.0 / 7.0, rel=1e-12)
    assert gradient_error(a, a) == 0.0


@pytest.fixture(scope="module")
def variant_mistakes():
    return measure.measure_variant_mistakes()


def test_gradient_error_with_a_floor_measures_against_the_gradient_at_the_loss():
    a, n = np.array([1e-9, 0.0]), np.array([0.0, 1e-9])
    assert gradient_error(a, n) == pytest.approx(0.5, rel=1e-12)
    assert gradient_error(a, n, floor=1.0) == pytest.approx(1e-9, rel=1e-6)
    for floor in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="floor >= 0"):
            gradient_error(a, n, floor)


def test_the_graded_variants_named_mistakes_fail_their_checks_100x_over(
    variant_mistakes,
):
    """Exercises 02, 09, 11 and 12 grade variants rnnlib does not hold: each
    mistake their gradient checks name is 100x above the tolerance, each
    their value checks name 100x outside check_array's np.allclose band."""
    gradients, values = variant_mistakes
    assert sorted(gradients) == [
        "02 test_leaky_backward",
        "02 test_leaky_step_backward",
        "09 test_peephole_lstm_backward",
        "09 test_peephole_lstm_step_backward",
        "11 test_gru_step_backward",
        "12 test_masked_softmax",
    ]
    assert {"09 test_peephole_lstm_step_forward", "11 test_gru_step_forward"} <= set(
        values
    ) and "12 test_scores" in values
    too_close = {k: e for k, e in gradients.items() if e <= MARGIN * GRADIENT_TOLERANCE}
    assert not too_close, too_close
    too_close = {k: e for k, e in values.items() if e <= MARGIN}
    assert not too_close, too_close


def test_every_case_is_measured(worst_correct, smallest_mistake):
    assert len(worst_correct) == 23, sorted(worst_correct)
    assert len(smallest_mistake) == 12, sorted(smallest_mistake)


def test_correct_gradients_stay_100x_below_the_tolerance(worst_correct):
    too_close = {
        case: err
        for case, err in worst_correct.items()
        if MARGIN * err >= GRADIENT_TOLERANCE
    }
    assert not too_close, too_close
    assert max(worst_correct.values()) > 0  # the errors are measured, not zero


def test_named_mistakes_stay_100x_above_the_tolerance(smallest_mistake):
    too_close = {
        name: err
        for name, err in smallest_mistake.items()
        if err <= MARGIN * GRADIENT_TOLERANCE
    }
    assert not too_close, too_close


def test_a_transposed_recurrent_weight_fails_the_gradient_check():
    rng = np.random.default_rng(0)
    x, h0, W_hx, W_hh, b_h = measure.random_rnn(2, 4, 3, 3, seed=0)
    dh = rng.standard_normal((2, 4, 3))
    wrong = measure.checks.rnn_backward_mistakes(dh, x, h0, W_hx, W_hh, b_h)["dh0"]
    key = next(k for k in wrong if "W_hh.T" in k)

    def loss(_):
        return float(np.sum(dh * measure.rnnlib.rnn_forward(x, h0, W_hx, W_hh, b_h)[0]))

    err = gradient_error(wrong[key], numerical_gradient(loss, h0))
    assert err > MARGIN * GRADIENT_TOLERANCE
