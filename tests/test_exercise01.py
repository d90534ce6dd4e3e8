"""The reference and feedback of exercise 01's cell with its sigmoid output
(coursekit/answers/forward_propagation.py), which rnnlib does not hold as
one function: it is rnnlib's step, Dense and sigmoid, keeps large logits
finite, and its output's usual mistakes are named."""

import numpy as np
import pytest

import rnnlib
from coursekit.answers import forward_propagation as models
from coursekit.checks import check_array
from coursekit.checks import forward_propagation as fp


@pytest.fixture
def cell_args():
    """x_t (2, 3), h_prev (2, 4), W_hx, W_hh, b_h, W_yh (3, 4), b_y (3,)."""
    return fp.cell_case(B=2, D=3, H=4, O=3, seed=5, scale=3.0)


def test_rnn_cell_reference_is_rnnlibs_step_dense_and_sigmoid(cell_args):
    x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y = cell_args
    h_next, y_hat_t = models.rnn_cell_reference(*cell_args)
    expected_h, _ = rnnlib.rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h)
    logits, _ = rnnlib.dense_forward(expected_h, W_yh, b_y)
    np.testing.assert_allclose(h_next, expected_h, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(y_hat_t, rnnlib.sigmoid(logits), rtol=1e-12)
    assert y_hat_t.shape == (2, 3) and np.all((y_hat_t > 0) & (y_hat_t < 1))


def test_rnn_cell_reference_keeps_large_logits_finite(cell_args):
    *step, W_yh, b_y = cell_args
    _, y_hat_t = models.rnn_cell_reference(*step, 1e4 * W_yh, b_y)
    assert np.isfinite(y_hat_t).all()
    assert set(np.round(y_hat_t.ravel(), 12)) <= {0.0, 1.0}


def test_rnn_output_mistakes_recognise_a_softmax_and_an_output_from_h_prev(
    cell_args,
):
    _, h_prev, *_, W_yh, b_y = cell_args
    h_next, expected = models.rnn_cell_reference(*cell_args)
    mistakes = models.rnn_output_mistakes(h_prev, h_next, W_yh, b_y)
    softmax = rnnlib.softmax(h_next @ W_yh.T + b_y)
    with pytest.raises(AssertionError, match="a softmax instead of the sigmoid"):
        check_array("y_hat_t", softmax, expected, mistakes=mistakes)
    from_prev = rnnlib.sigmoid(h_prev @ W_yh.T + b_y)
    with pytest.raises(AssertionError, match="the output read from h_prev"):
        check_array("y_hat_t", from_prev, expected, mistakes=mistakes)
    assert not any("W_yh instead" in k for k in mistakes)  # O != H


def test_the_forward_answer_is_the_cell_step_by_step_from_h0_and_from_zeros():
    x, h0, W_hx, W_hh, b_h, W_yh, b_y = fp.forward_case(B=2, T=4, D=3, H=5, O=2, seed=7)
    answer = models.forward_answer(B=2, T=4, D=3, H=5, O=2, seed=7)
    for run, start in (("from h0", h0), ("from zeros", np.zeros((2, 5)))):
        h, _ = rnnlib.rnn_forward(x, start, W_hx, W_hh, b_h)
        np.testing.assert_allclose(answer[run]["h"], h, rtol=1e-12, atol=1e-15)
        y_hat = rnnlib.sigmoid(h @ W_yh.T + b_y)
        np.testing.assert_allclose(answer[run]["y_hat"], y_hat, rtol=1e-12)
    assert np.abs(answer["from h0"]["h"] - answer["from zeros"]["h"]).max() > 0.1
    assert "state_not_carried" in answer["from zeros"]["mistakes"]["h"]


def test_the_cell_answer_of_a_zero_state_starts_from_zeros():
    x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y = fp.cell_case(
        B=3, D=2, H=4, O=2, seed=9, zero_state=True
    )
    assert not h_prev.any()
    answer = models.cell_answer(B=3, D=2, H=4, O=2, seed=9, zero_state=True)
    np.testing.assert_allclose(answer["h_next"], np.tanh(x_t @ W_hx.T + b_h))
    assert set(answer["mistakes"]) == {"h_next", "y_hat_t"}
