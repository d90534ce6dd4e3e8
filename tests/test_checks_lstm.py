"""coursekit.checks.lstm, the checks of exercise 09 (the peephole LSTM)."""

import numpy as np
import pytest

import rnnlib
from coursekit.checks import lstm as tests09


def direct_step(x_t, h_prev, c_prev, W_x, W_h, p, b):
    """The peephole step written from the equations, to test the reference."""
    H = h_prev.shape[1]
    a = x_t @ W_x.T + h_prev @ W_h.T + b
    i = rnnlib.sigmoid(a[:, :H] + p[0] * c_prev)
    f = rnnlib.sigmoid(a[:, H : 2 * H] + p[1] * c_prev)
    c_next = f * c_prev + i * np.tanh(a[:, 2 * H : 3 * H])
    o = rnnlib.sigmoid(a[:, 3 * H :] + p[2] * c_next)
    return o * np.tanh(c_next), c_next


def test_the_reference_step_is_the_peephole_equations():
    args = tests09.random_lstm(B=3, D=2, H=4, seed=0)
    h, c, cache = tests09.reference_step(*args)
    expected_h, expected_c = direct_step(*args)
    np.testing.assert_allclose(h, expected_h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c, expected_c, rtol=1e-12, atol=1e-14)
    assert len(cache) == len(tests09.CACHE_NAMES) == 12


def test_with_p_zero_the_reference_step_is_rnnlibs_plain_lstm():
    args = tests09.random_lstm(B=2, D=3, H=2, seed=1, peepholes=False)
    h, c, _ = tests09.reference_step(*args)
    x_t, h_prev, c_prev, W_x, W_h, _, b = args
    plain_h, plain_c, _ = rnnlib.lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b)
    np.testing.assert_allclose(h, plain_h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c, plain_c, rtol=1e-12, atol=1e-14)


def test_the_peepholes_change_the_step():
    args = tests09.random_lstm(B=2, D=3, H=4, seed=2)
    h, _, _ = tests09.reference_step(*args)
    h_plain, _, _ = tests09.reference_step(*args[:5], 0 * args[5], args[6])
    assert np.abs(h - h_plain).max() > 1e-2


def test_a_correct_step_passes_and_an_output_gate_on_c_prev_is_named():
    def output_gate_on_c_prev(x_t, h_prev, c_prev, W_x, W_h, p, b):
        h, c, cache = tests09.reference_step(x_t, h_prev, c_prev, W_x, W_h, p, b)
        H = h_prev.shape[1]
        a_o = (x_t @ W_x.T + h_prev @ W_h.T + b)[:, 3 * H :]
        return rnnlib.sigmoid(a_o + p[2] * c_prev) * np.tanh(c), c, cache

    tests09.check_step_forward(tests09.reference_step, B=2, D=3, H=4, seed=0)
    with pytest.raises(AssertionError, match="an output gate that peeps at c_prev"):
        tests09.check_step_forward(output_gate_on_c_prev, B=2, D=3, H=4, seed=0)


@pytest.mark.parametrize("with_dc", [True, False])
def test_the_backward_check_rejects_gate_blocks_in_another_order(with_dc):
    """A right gradient passes; the same with the f and g blocks swapped in
    dW_x fails and is named, from numerical gradients alone."""
    B, D, H, seed = 2, 3, 2, 4
    dh_next, dc_next, cache, args = tests09.backward_case(B, D, H, seed, with_dc)
    dc = np.zeros((B, H)) if dc_next is None else dc_next
    arrays = list(args)

    def loss(_):
        h, c, _ = tests09.reference_step(*arrays)
        return np.sum(dh_next * h) + np.sum(dc * c)

    right = tuple(rnnlib.numerical_gradient(loss, a) for a in arrays)
    tests09.check_step_backward(lambda *_: right, B, D, H, seed, with_dc)
    blocks = np.split(right[3], 4)
    swapped = np.concatenate([blocks[0], blocks[2], blocks[1], blocks[3]])
    wrong = (*right[:3], swapped, *right[4:])
    with pytest.raises(
        AssertionError, match="stacked the gate gradients as i, g, f, o"
    ):
        tests09.check_step_backward(lambda *_: wrong, B, D, H, seed, with_dc)


def test_the_bptt_check_rejects_a_gradient_not_summed_over_time():
    B, T, D, H, seed = 2, 3, 2, 2, 5
    dh, caches, args = tests09.bptt_case(B, T, D, H, seed)
    arrays = list(args)

    def loss(_):
        return np.sum(dh * tests09.reference_run(*arrays)[0])

    right = tuple(rnnlib.numerical_gradient(loss, a) for a in arrays)
    tests09.check_bptt(lambda *_: right, B, T, D, H, seed)
    wrong = (*right[:5], right[5] / T, right[6])
    with pytest.raises(AssertionError, match="dp .* against the numerical gradient"):
        tests09.check_bptt(lambda *_: wrong, B, T, D, H, seed)


def test_a_state_not_carried_is_named_in_the_sequence_check():
    def no_cell_carried(x, h0, c0, W_x, W_h, p, b):
        h, c, caches = tests09.reference_run(x, h0, c0, W_x, W_h, p, b, carry_c=False)
        return h, c, caches

    with pytest.raises(AssertionError, match="a cell state that is not carried"):
        tests09.check_sequence(no_cell_carried, B=2, T=4, D=3, H=2, seed=0)
