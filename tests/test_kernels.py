"""The fast paths in rnnlib/kernels/ compute what the textbook loops of
rnnlib/rnn.py and rnnlib/lstm.py compute, to 1e-12 in float64: forward,
backward, read in reverse, with padding skipped, and in float32 to float32
precision.  The textbook loops are the independent computation here; they
are gradient-checked in tests/test_rnn.py and tests/test_lstm.py."""

import numpy as np
import pytest

from rnnlib import (
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
)
from rnnlib.kernels.lstm import lstm_backward_time_major, lstm_forward_time_major
from rnnlib.kernels.rnn import rnn_backward_time_major, rnn_forward_time_major

CELLS = ["rnn-tanh", "rnn-relu", "lstm"]
# (T, B, D, H): single steps, single sequences, and a few of each size
SHAPES = [(1, 1, 1, 1), (1, 4, 3, 2), (6, 1, 2, 3), (5, 3, 4, 6), (9, 2, 5, 3)]
SHAPES += [
    tuple(int(n) for n in np.random.default_rng(seed).integers(1, 8, size=4))
    for seed in range(3)
]
TOLERANCE = 1e-12
GRADIENTS = ("dx", "dh0", "dW_x", "dW_h", "db")  # dW_hx, dW_hh, db_h for the RNN


def difference(a, b):
    """Largest entrywise |a - b|, relative to the size of b's entries (at least 1)."""
    assert a.shape == b.shape, f"{a.shape} != {b.shape}"
    return np.abs(a - b).max() / max(1.0, np.abs(b).max())


def problem(cell, T, B, D, H, seed=0, dtype=np.float64):
    """Inputs (B, T, D), initial states, weights and upstream gradients dh
    (B, T, H), drawn from one seeded generator."""
    rng = np.random.default_rng(seed)
    gates = 4 if cell == "lstm" else 1
    x = rng.standard_normal((B, T, D))
    states = [
        rng.standard_normal((B, H)) * 0.5 for _ in range(2 if cell == "lstm" else 1)
    ]
    weights = [
        rng.standard_normal((gates * H, D)) / np.sqrt(D),
        rng.standard_normal((gates * H, H)) / np.sqrt(H),
        rng.standard_normal(gates * H) * 0.1,
    ]
    dh = rng.standard_normal((B, T, H))
    cast = [a.astype(dtype) for a in (x, *states, *weights, dh)]
    x, dh = cast[0], cast[-1]
    states, weights = cast[1 : 1 + len(states)], cast[1 + len(states) : -1]
    return x, states, weights, dh


def textbook(cell, x, states, weights, dh):
    """h (B, T, H) and the gradients (dx, dh0, dW..., db) of rnnlib/rnn.py or
    rnnlib/lstm.py."""
    if cell == "lstm":
        h, cache = lstm_forward(x, states[0], *weights, c0=states[1])
        return h, lstm_backward(dh, cache)
    h, cache = rnn_forward(x, states[0], *weights, activation=cell[4:])
    return h, rnn_backward(dh, cache)


def kernel(cell, x, states, weights, dh, reverse=False, skip=None):
    """The same from rnnlib/kernels/, batch first in and out; the LSTM's
    extra dc0 is left out so that both return the same gradients."""
    x_tm, dh_tm = np.ascontiguousarray(x.transpose(1, 0, 2)), dh.transpose(1, 0, 2)
    if cell == "lstm":
        h, _, cache = lstm_forward_time_major(x_tm, *states, *weights, reverse, skip)
        dx, dh0, _, *dweights = lstm_backward_time_major(dh_tm, cache)
    else:
        h, cache = rnn_forward_time_major(
            x_tm, *states, *weights, cell[4:], reverse, skip
        )
        dx, dh0, *dweights = rnn_backward_time_major(dh_tm, cache)
    return h.transpose(1, 0, 2), (dx.transpose(1, 0, 2), dh0, *dweights)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("cell", CELLS)
def test_kernel_forward_matches_the_textbook_loop(cell, shape):
    x, states, weights, dh = problem(cell, *shape)
    assert (
        difference(
            kernel(cell, x, states, weights, dh)[0],
            textbook(cell, x, states, weights, dh)[0],
        )
        < TOLERANCE
    )


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("cell", CELLS)
def test_kernel_backward_matches_the_textbook_loop(cell, shape):
    x, states, weights, dh = problem(cell, *shape)
    _, ours = kernel(cell, x, states, weights, dh)
    _, theirs = textbook(cell, x, states, weights, dh)
    for name, a, b in zip(GRADIENTS, ours, theirs, strict=True):
        assert difference(a, b) < TOLERANCE, name


def textbook_read(cell, x, states, weights, dh, reverse):
    """The textbook loop over the sequence in reading order: for reverse,
    over the flipped sequence, its h and dx flipped back."""
    if not reverse:
        return textbook(cell, x, states, weights, dh)
    h, (dx, *rest) = textbook(cell, x[:, ::-1], states, weights, dh[:, ::-1])
    return h[:, ::-1], (dx[:, ::-1], *rest)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("cell", CELLS)
def test_kernel_in_reverse_is_the_textbook_loop_over_the_flipped_sequence(cell, shape):
    x, states, weights, dh = problem(cell, *shape)
    h, grads = kernel(cell, x, states, weights, dh, reverse=True)
    h_flip, grads_flip = textbook_read(cell, x, states, weights, dh, reverse=True)
    assert difference(h, h_flip) < TOLERANCE
    for name, a, b in zip(GRADIENTS, grads, grads_flip, strict=True):
        assert difference(a, b) < TOLERANCE, name


# Padding anywhere: at the end, at the start, in the middle; one sequence full.
MASK = np.array(
    [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 0, 1], [0, 1, 0, 0, 0, 0]]
)


def textbook_over_real_steps(cell, x, states, weights, dh, reverse):
    """What a kernel that skips MASK's padding must give, from the textbook
    loop run on each sequence's real steps alone: h (B, T, H), where a
    padding step repeats the state before it, and the gradients, where the
    dh of a padding step goes to the real step before it (or to h0)."""
    B, T, _ = x.shape
    h = np.empty(dh.shape)
    dx = np.zeros(x.shape)
    dh0 = np.empty(states[0].shape)
    dweights = [np.zeros_like(w) for w in weights]
    order = np.arange(T)[::-1] if reverse else np.arange(T)
    for b in range(B):
        real = order[MASK[b, order] == 1]  # the real steps, in reading order
        owner = np.cumsum(MASK[b, order])[np.argsort(order)] - 1  # -1: before any
        dh_real = np.zeros((1, len(real), dh.shape[2]))
        for t in range(T):
            if owner[t] >= 0:
                dh_real[0, owner[t]] += dh[b, t]
        h_real, (dx_real, dh0_b, *dw) = textbook(
            cell, x[b : b + 1, real], [s[b : b + 1] for s in states], weights, dh_real
        )
        for t in range(T):
            h[b, t] = states[0][b] if owner[t] < 0 else h_real[0, owner[t]]
        dx[b, real] = dx_real[0]
        dh0[b] = dh0_b[0] + dh[b, owner < 0].sum(axis=0)
        for total, part in zip(dweights, dw, strict=True):
            total += part
    return h, (dx, dh0, *dweights)


def skipping_and_real_steps(cell, reverse, seed):
    """(h, grads) of the kernel told to skip MASK's padding, and of the
    textbook loop over each sequence's real steps, on one seeded problem."""
    x, states, weights, dh = problem(cell, 6, 4, 3, 5, seed=seed)
    skip = (MASK.T == 0)[:, :, None]
    return (
        kernel(cell, x, states, weights, dh, reverse, skip),
        textbook_over_real_steps(cell, x, states, weights, dh, reverse),
    )


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("cell", CELLS)
def test_kernel_skipping_padding_gives_the_states_of_the_real_steps(cell, reverse):
    (h, _), (expected, _) = skipping_and_real_steps(cell, reverse, seed=1)
    assert difference(h, expected) < TOLERANCE


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("cell", CELLS)
def test_kernel_skipping_padding_gives_the_gradients_of_the_real_steps(cell, reverse):
    (_, grads), (_, expected) = skipping_and_real_steps(cell, reverse, seed=2)
    for name, a, b in zip(GRADIENTS, grads, expected, strict=True):
        assert difference(a, b) < TOLERANCE, name


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("cell", CELLS)
def test_kernel_in_float32_stays_float32_and_agrees_to_float32_precision(
    cell, shape, reverse
):
    x, states, weights, dh = problem(cell, *shape, dtype=np.float32)
    h, grads = kernel(cell, x, states, weights, dh, reverse)
    assert h.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    wide = [a.astype(np.float64) for a in (x, *states, *weights, dh)]
    x64, dh64 = wide[0], wide[-1]
    states64, weights64 = wide[1 : 1 + len(states)], wide[1 + len(states) : -1]
    h64, grads64 = textbook_read(cell, x64, states64, weights64, dh64, reverse)
    assert difference(h, h64) < 1e-5  # float32 carries about 7 digits
    for name, a, b in zip(GRADIENTS, grads, grads64, strict=True):
        assert difference(a, b) < 1e-5, name


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_lstm_kernel_cell_states_and_final_state_gradients_match_the_steps(shape):
    """c (T, B, H), dc0 and the gradients of h_n, c_n, which the textbook
    lstm_forward/lstm_backward do not expose: against lstm_step_forward and
    lstm_step_backward in a loop."""
    x, (h0, c0), weights, dh = problem("lstm", *shape, seed=3)
    T, B, _, H = shape
    rng = np.random.default_rng(4)
    dh_last, dc_last = rng.standard_normal((2, B, H))
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2))
    _, c, cache = lstm_forward_time_major(x_tm, h0, c0, *weights)
    _, dh0, dc0, *dweights = lstm_backward_time_major(
        dh.transpose(1, 0, 2), cache, dh_last, dc_last
    )

    h_t, c_t, steps, c_steps = h0, c0, [], []
    for t in range(T):
        h_t, c_t, step = lstm_step_forward(x[:, t], h_t, c_t, *weights)
        steps.append(step)
        c_steps.append(c_t)
    assert difference(c, np.stack(c_steps)) < TOLERANCE
    d_h, d_c, totals = dh_last, dc_last, [np.zeros_like(w) for w in weights]
    for t in reversed(range(T)):
        _, d_h, d_c, *dw = lstm_step_backward(dh[:, t] + d_h, d_c, steps[t])
        for total, part in zip(totals, dw, strict=True):
            total += part
    assert difference(dh0, d_h) < TOLERANCE
    assert difference(dc0, d_c) < TOLERANCE
    for name, a, b in zip(GRADIENTS[2:], dweights, totals, strict=True):
        assert difference(a, b) < TOLERANCE, name


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_rnn_kernel_final_state_gradient_adds_to_the_last_steps_dh(shape, activation):
    x, (h0,), weights, dh = problem("rnn", *shape, seed=5)
    dh_last = np.random.default_rng(6).standard_normal(h0.shape)
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2))
    _, cache = rnn_forward_time_major(x_tm, h0, *weights, activation)
    ours = rnn_backward_time_major(dh.transpose(1, 0, 2), cache, dh_last)
    dh_plus = dh.copy()
    dh_plus[:, -1] += dh_last  # h_n is h_T
    _, theirs = textbook(f"rnn-{activation}", x, [h0], weights, dh_plus)
    assert difference(ours[0].transpose(1, 0, 2), theirs[0]) < TOLERANCE
    for name, a, b in zip(GRADIENTS[1:], ours[1:], theirs[1:], strict=True):
        assert difference(a, b) < TOLERANCE, name


@pytest.mark.parametrize("block_steps", [1, 2, 3])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_lstm_backward_in_blocks_of_steps_matches_the_textbook_loop(
    monkeypatch, block_steps, reverse
):
    """The LSTM's backward pass computes its factors a block of steps at a
    time (kernels/lstm.py, BLOCK_BYTES); small blocks put block edges
    everywhere, at the first step read too, with and without padding."""
    import rnnlib.kernels.lstm as lstm_kernel

    T, B, D, H = 6, 4, 3, 5
    x, states, weights, dh = problem("lstm", T, B, D, H, seed=block_steps)
    step_bytes = B * 4 * H * x.itemsize
    monkeypatch.setattr(lstm_kernel, "BLOCK_BYTES", block_steps * step_bytes)
    _, grads = kernel("lstm", x, states, weights, dh, reverse)
    _, expected = textbook_read("lstm", x, states, weights, dh, reverse)
    for name, a, b in zip(GRADIENTS, grads, expected, strict=True):
        assert difference(a, b) < TOLERANCE, name
    skip = (MASK.T == 0)[:, :, None]
    _, grads = kernel("lstm", x, states, weights, dh, reverse, skip)
    _, expected = textbook_over_real_steps("lstm", x, states, weights, dh, reverse)
    for name, a, b in zip(GRADIENTS, grads, expected, strict=True):
        assert difference(a, b) < TOLERANCE, name
