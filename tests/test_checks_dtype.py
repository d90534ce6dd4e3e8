"""Numeric checks judge a result within the rounding of its dtype: a right
answer computed in float32 passes, and a float32 answer they reject says
that its dtype was taken into account."""

import numpy as np
import pytest

import rnnlib
from coursekit.checks import check_array, check_scalar
from coursekit.checks.values import LOW_PRECISION_TOL, dtype_tolerance


def _rnn(seed, dtype):
    rng = np.random.default_rng(seed)
    B, T, D, H = 3, 8, 4, 5
    x, h0 = rng.normal(size=(B, T, D)), rng.normal(size=(B, H))
    W_hx, W_hh, b_h = (
        rng.normal(size=(H, D)),
        rng.normal(size=(H, H)),
        rng.normal(size=H),
    )
    args = [a.astype(dtype) for a in (x, h0, W_hx, W_hh, b_h)]
    return rnnlib.rnn_forward(*args)[0], args


@pytest.mark.parametrize("seed", range(5))
def test_a_right_rnn_forward_in_float32_passes(seed):
    expected, _ = _rnn(seed, np.float64)
    got, _ = _rnn(seed, np.float32)
    assert got.dtype == np.float32
    # float64's tolerance would refuse it: the test is not empty
    assert not np.allclose(got, expected, atol=1e-8, rtol=1e-6)
    assert check_array("h", got, expected) is True


def test_the_issues_float32_answer_passes_and_float64_keeps_its_tolerance():
    expected = np.array([0.1, -0.25, 0.5])
    got = (expected + np.array([1.5e-7, 0.0, 0.0])).astype(np.float32)
    assert check_array("h_next", got, expected) is True
    with pytest.raises(AssertionError) as err:  # the same numbers in float64
        check_array("h_next", got.astype(np.float64), expected)
    text = str(err.value)
    assert "expected 0.1, got 0.10000015" in text  # digits that differ
    assert "float32" not in text


def test_a_float32_scalar_passes():
    # the mean of x**3 is near 0, so float32's rounding is large beside it
    # (here 3.3e-8 of 0.0049: float64's tolerance would refuse it)
    x = np.random.default_rng(28).normal(size=(64, 32))
    mean32 = (x.astype(np.float32) ** 3).sum() / np.float32(x.size)
    assert mean32.dtype == np.float32
    assert check_scalar("mean", mean32, float((x**3).mean())) is True


def test_a_float32_mistake_is_still_named():
    expected, (x, h0, W_hx, W_hh, b_h) = _rnn(0, np.float64)
    transposed = rnnlib.rnn_forward(x, h0, W_hx, W_hh.T, b_h)[0]
    with pytest.raises(AssertionError, match="transposed weights"):
        check_array(
            "h",
            transposed.astype(np.float32),
            expected,
            mistakes={"transposed": transposed},
        )


def test_a_rejected_float32_answer_says_its_dtype_was_allowed_for():
    expected = np.array([1.0, 2.0, 3.0])
    got = (expected * (1 + 1e-3)).astype(np.float32)
    with pytest.raises(AssertionError) as err:
        check_array("y", got, expected)
    text = str(err.value)
    assert "Your values are float32 (the expected ones float64)" in text
    assert "about 7 significant digits" in text and "1e-04" in text
    assert "compute in float64" in text


def test_float16_is_too_coarse_and_the_message_says_so():
    expected = np.array([0.3, 0.7, 1.1])
    got = expected.astype(np.float16)  # the best float16 can do
    with pytest.raises(AssertionError) as err:
        check_array("y", got, expected)
    assert "float16 is too coarse for this check" in str(err.value)


def test_dtype_tolerance_widens_only_low_precision_floats():
    expected = np.array([-20.0, 3.0])
    assert dtype_tolerance(np.float64, expected, 1e-8, 1e-6) == (1e-8, 1e-6)
    assert dtype_tolerance(np.int64, expected, 1e-8, 1e-6) == (1e-8, 1e-6)
    atol, rtol = dtype_tolerance(np.float32, expected, 1e-8, 1e-6)
    assert rtol == LOW_PRECISION_TOL and atol == pytest.approx(20 * LOW_PRECISION_TOL)
    # a looser tolerance the caller gives is kept
    assert dtype_tolerance(np.float32, expected, 1.0, 0.5) == (1.0, 0.5)
