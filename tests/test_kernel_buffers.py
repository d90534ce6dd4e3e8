"""The recurrent layers hand their previous forward pass's cache to the
next one, and the kernels write over its internal arrays
(rnnlib/kernels/buffers.py).  Nothing a caller holds may change, and every
result must be what a fresh layer computes, to the last bit."""

import numpy as np
import pytest

from rnnlib import GRU, LSTM, RNN
from rnnlib.kernels.buffers import reuse_or_empty
from rnnlib.kernels.gru import gru_forward_time_major
from rnnlib.kernels.lstm import lstm_forward_time_major
from rnnlib.kernels.rnn import rnn_forward_time_major

LAYERS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


def make(kind, **options):
    return LAYERS[kind](3, 4, seed=0, **options)


def run(layer, x, dout, mask=None):
    """out, final state(s), dx and a copy of every gradient."""
    out, final = layer.forward(x, mask=mask)
    dx, _ = layer.backward(dout)
    return out, final, dx, {k: g.copy() for k, g in layer.grads.items()}


def assert_same(a, b):
    """Two results of `run`, equal to the last bit."""
    for left, right in zip(a[:3], b[:3], strict=True):
        for u, v in zip(np.atleast_1d(left), np.atleast_1d(right), strict=True):
            np.testing.assert_array_equal(u, v)
    assert a[3].keys() == b[3].keys()
    for key in a[3]:
        np.testing.assert_array_equal(a[3][key], b[3][key], err_msg=key)


def problem(seed, B=2, T=5, dirs=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((B, T, 3)), rng.standard_normal((B, T, 4 * dirs))


@pytest.mark.parametrize("options", [{}, {"num_layers": 2, "bidirectional": True}])
@pytest.mark.parametrize("kind", LAYERS)
def test_a_second_call_gives_what_a_fresh_layer_gives(kind, options):
    dirs = 2 if options else 1
    x1, d1 = problem(1, dirs=dirs)
    x2, d2 = problem(2, dirs=dirs)
    used = make(kind, **options)
    first = run(used, x1, d1)
    kept = [np.copy(a) for a in (first[0], *np.atleast_1d(first[1]), first[2])]
    second = run(used, x2, d2)
    assert_same(second, run(make(kind, **options), x2, d2))
    # what the first call returned is untouched by the second
    for before, now in zip(
        kept, [first[0], *np.atleast_1d(first[1]), first[2]], strict=True
    ):
        np.testing.assert_array_equal(before, now)


@pytest.mark.parametrize("kind", LAYERS)
def test_calls_of_other_shapes_and_with_padding_in_between_change_nothing(kind):
    x, d = problem(3)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    fresh_plain, fresh_masked = run(make(kind), x, d), run(make(kind), x, d, mask)
    used = make(kind)
    for B, T in [(2, 5), (3, 5), (2, 7), (2, 5)]:
        run(used, *problem(4, B=B, T=T))
        assert_same(run(used, x, d, mask), fresh_masked)
        assert_same(run(used, x, d), fresh_plain)


@pytest.mark.parametrize("kind", LAYERS)
def test_backward_twice_after_one_forward_gives_the_same_gradients(kind):
    x, d = problem(5)
    layer = make(kind)
    layer.forward(x)
    dx1, _ = layer.backward(d)
    grads1 = {k: g.copy() for k, g in layer.grads.items()}
    dx2, _ = layer.backward(d)
    np.testing.assert_array_equal(dx1, dx2)
    for key, g in layer.grads.items():
        np.testing.assert_array_equal(g, grads1[key], err_msg=key)


def kernel_call(kind, rng, T=4, B=2, D=3, H=5):
    """A kernel's forward pass, as f(reuse) -> (h, cache)."""
    G = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    x, h0, c0 = (rng.standard_normal(s) for s in [(T, B, D), (B, H), (B, H)])
    W_x, W_h, b = (rng.standard_normal(s) for s in [(G * H, D), (G * H, H), (G * H,)])
    if kind == "rnn":
        return lambda reuse: rnn_forward_time_major(x, h0, W_x, W_h, b, reuse=reuse)
    if kind == "gru":
        return lambda reuse: gru_forward_time_major(x, h0, W_x, W_h, b, -b, reuse=reuse)

    def lstm(reuse):
        h, _, cache = lstm_forward_time_major(x, h0, c0, W_x, W_h, b, reuse=reuse)
        return h, cache

    return lstm


OWN_ARRAYS = {
    "rnn": ["da"],
    "lstm": ["gates", "c", "tanh_c", "da"],
    "gru": ["gates", "hn", "dg"],
}


@pytest.mark.parametrize("kind", LAYERS)
def test_a_kernel_writes_over_the_arrays_of_a_reused_cache_but_never_h(kind):
    call = kernel_call(kind, np.random.default_rng(6))
    h1, old = call(None)
    h2, new = call(old)
    for name in OWN_ARRAYS[kind]:
        assert getattr(new, name) is getattr(old, name), name
    assert h2 is not h1  # h is the output: always a new array
    np.testing.assert_array_equal(h1, h2)


def test_reuse_or_empty_takes_an_array_only_of_the_same_shape_and_dtype():
    class Cache:
        a = np.zeros((2, 3))

    assert reuse_or_empty(Cache, "a", (2, 3), np.float64) is Cache.a
    for shape, dtype in [((3, 2), np.float64), ((2, 3), np.float32)]:
        made = reuse_or_empty(Cache, "a", shape, dtype)
        assert made is not Cache.a and made.shape == shape and made.dtype == dtype
    assert reuse_or_empty(None, "a", (2, 3), np.float64).shape == (2, 3)
    assert reuse_or_empty(Cache, "missing", (1,), np.float64).shape == (1,)
