"""Every recurrent layer runs either the kernels (rnnlib/kernels/, the default)
or, with textbook=True, the textbook loops (rnn_forward, lstm_forward,
gru_forward and their backward passes, which take mask= and reverse= as
plain loops).  The two agree to 1e-12 in float64: forward and backward,
with padding, read in reverse, stacked and bidirectional."""

import numpy as np
import pytest

from rnnlib import (
    GRU,
    LSTM,
    RNN,
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)

TOLERANCE = 1e-12
B, T, D, H = 3, 6, 4, 5
MASK = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0], [1, 0, 0, 0, 0, 0]], float)
LAYERS = {
    "rnn-tanh": lambda **kw: RNN(D, H, **kw),
    "rnn-relu": lambda **kw: RNN(D, H, activation="relu", **kw),
    "lstm": lambda **kw: LSTM(D, H, **kw),
    "gru": lambda **kw: GRU(D, H, **kw),
}
SHAPES = {
    "one-layer": {},
    "stacked": {"num_layers": 2},
    "bidirectional": {"bidirectional": True},
    "stacked-bidirectional": {"num_layers": 3, "bidirectional": True},
}


def difference(a, b):
    """Largest entrywise |a - b|, relative to the size of b's entries (at least 1)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"{a.shape} != {b.shape}"
    return np.abs(a - b).max() / max(1.0, np.abs(b).max())


def flat(state):
    """A state (h_n, or the LSTM's (h_n, c_n)) as a tuple of arrays."""
    return state if isinstance(state, tuple) else (state,)


def run(layer, x, state0, mask, dout, dstate):
    out, state = layer.forward(x, state0, mask=mask)
    dx, dstate0 = layer.backward(dout, dstate)
    grads = {k: g.copy() for k, g in layer.grads.items()}
    return out, flat(state), dx, flat(dstate0), grads


@pytest.mark.parametrize("padded", [False, True], ids=["no-mask", "mask"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("cell", LAYERS)
def test_textbook_layer_gives_the_kernels_numbers(cell, shape, padded):
    rng = np.random.default_rng(0)
    kernels = LAYERS[cell](seed=1, **SHAPES[shape])
    textbook = LAYERS[cell](seed=1, textbook=True, **SHAPES[shape])
    assert not kernels.textbook and textbook.textbook
    L = kernels.num_layers * kernels.num_directions
    x = rng.standard_normal((B, T, D))
    states = tuple(0.5 * rng.standard_normal((L, B, H)) for _ in kernels.state_names)
    dout = rng.standard_normal((B, T, kernels.num_directions * H))
    dstates = tuple(rng.standard_normal((L, B, H)) for _ in kernels.state_names)
    state0, dstate = (states, dstates) if cell == "lstm" else (states[0], dstates[0])
    mask = MASK if padded else None

    expected = run(kernels, x, state0, mask, dout, dstate)
    got = run(textbook, x, state0, mask, dout, dstate)
    for name, a, b in zip(
        ("out", "state", "dx", "dstate0"), got[:4], expected[:4], strict=True
    ):
        for i, (u, v) in enumerate(zip(flat(a), flat(b), strict=True)):
            assert difference(u, v) < TOLERANCE, f"{name}[{i}]: {difference(u, v):.1e}"
    for key, g in expected[4].items():
        err = difference(got[4][key], g)
        assert err < TOLERANCE, f"{key}: {err:.1e}"


def test_the_switch_can_be_flipped_between_calls():
    rng = np.random.default_rng(1)
    layer = GRU(D, H, bidirectional=True, seed=0)
    x, dout = rng.standard_normal((B, T, D)), rng.standard_normal((B, T, 2 * H))
    out_kernels, _ = layer.forward(x, mask=MASK)
    dx_kernels, _ = layer.backward(dout)
    layer.textbook = True
    out_loops, _ = layer.forward(x, mask=MASK)
    dx_loops, _ = layer.backward(dout)
    assert difference(out_loops, out_kernels) < TOLERANCE
    assert difference(dx_loops, dx_kernels) < TOLERANCE
    with pytest.raises(TypeError, match="textbook must be True or False"):
        RNN(D, H, textbook="yes")


# --- the textbook loops themselves: mask= and reverse= against plain facts


def weights(cell, rng):
    if cell == "rnn":
        return (
            rng.standard_normal((H, D)),
            rng.standard_normal((H, H)) / 2,
            rng.standard_normal(H),
        )
    if cell == "lstm":
        return (
            rng.standard_normal((4 * H, D)),
            rng.standard_normal((4 * H, H)) / 2,
            rng.standard_normal(4 * H),
        )
    return (
        rng.standard_normal((3 * H, D)),
        rng.standard_normal((3 * H, H)) / 2,
        rng.standard_normal(3 * H),
        rng.standard_normal(3 * H),
    )  # fmt: skip


LOOPS = {
    "rnn": (rnn_forward, rnn_backward),
    "lstm": (lstm_forward, lstm_backward),
    "gru": (gru_forward, gru_backward),
}


@pytest.mark.parametrize("cell", LOOPS)
def test_textbook_reverse_is_the_forward_loop_over_the_flipped_sequence(cell):
    rng = np.random.default_rng(2)
    forward, backward = LOOPS[cell]
    w = weights(cell, rng)
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((B, H))
    dh = rng.standard_normal((B, T, H))
    h, cache = forward(x, h0, *w, reverse=True)
    h_flip, cache_flip = forward(x[:, ::-1], h0, *w)
    np.testing.assert_allclose(h, h_flip[:, ::-1], rtol=0, atol=TOLERANCE)
    grads, grads_flip = backward(dh, cache), backward(dh[:, ::-1].copy(), cache_flip)
    np.testing.assert_allclose(grads[0], grads_flip[0][:, ::-1], atol=TOLERANCE)
    for g, g_flip in zip(grads[1:], grads_flip[1:], strict=True):
        np.testing.assert_allclose(g, g_flip, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("cell", LOOPS)
def test_textbook_mask_gives_each_sequence_what_it_gives_alone(cell, reverse):
    """Padding changes no real step's state, and a padded step's gradient
    reaches no weight: each row equals its real steps run alone."""
    rng = np.random.default_rng(3)
    forward, backward = LOOPS[cell]
    w = weights(cell, rng)
    x = rng.standard_normal((B, T, D))
    x[MASK == 0] = 50.0  # padding values that would swamp the state
    dh = rng.standard_normal((B, T, H)) * MASK[:, :, None]
    h, cache = forward(x, None, *w, mask=MASK, reverse=reverse)
    dx, dh0, *dw = backward(dh, cache)
    totals = [np.zeros_like(g) for g in dw]
    for b, n in enumerate(MASK.sum(axis=1).astype(int)):
        h_b, cache_b = forward(x[b : b + 1, :n], None, *w, reverse=reverse)
        np.testing.assert_allclose(h[b, :n], h_b[0], rtol=0, atol=TOLERANCE)
        dx_b, dh0_b, *dw_b = backward(dh[b : b + 1, :n], cache_b)
        np.testing.assert_allclose(dx[b, :n], dx_b[0], rtol=0, atol=TOLERANCE)
        np.testing.assert_array_equal(dx[b, n:], 0.0)
        np.testing.assert_allclose(dh0[b], dh0_b[0], rtol=0, atol=TOLERANCE)
        totals = [t + g for t, g in zip(totals, dw_b, strict=True)]
    for g, total in zip(dw, totals, strict=True):
        np.testing.assert_allclose(g, total, rtol=0, atol=TOLERANCE)
