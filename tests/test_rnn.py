"""The vanilla RNN: gradients against central differences, layout, dtypes."""

from functools import partial

import numpy as np
import pytest
from gradients import assert_backward_matches

from rnnlib import (
    RNN,
    check_layer_gradients,
    numerical_gradient,
    rel_error,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error

B, T, D, H = 3, 5, 4, 6
WEIGHT_NAMES = ("W_hx", "W_hh", "b_h")


def weights(rng, D=D, H=H):
    return (
        rng.standard_normal((H, D)) * 0.5,
        rng.standard_normal((H, H)) * 0.5,
        rng.standard_normal(H) * 0.1,
    )


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_rnn_step_forward_matches_the_equation(rng, activation):
    W_hx, W_hh, b_h = weights(rng)
    x_t, h_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H))
    h_next, _ = rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation)
    a = np.stack([W_hh @ h_prev[b] + W_hx @ x_t[b] + b_h for b in range(B)])
    expected = np.tanh(a) if activation == "tanh" else np.maximum(a, 0)
    assert np.abs(h_next - expected).max() < 1e-14


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize(
    "forward, backward, time",
    [
        pytest.param(rnn_step_forward, rnn_step_backward, (), id="step"),
        pytest.param(rnn_forward, rnn_backward, (T,), id="sequence"),
    ],
)
def test_rnn_backward_matches_numerical_gradient(
    rng, forward, backward, time, activation
):
    """One step (x_t (B, D), h_prev) or the sequence (x (B, T, D), h0)."""
    W_hx, W_hh, b_h = weights(rng)
    x, h = rng.standard_normal((B, *time, D)), rng.standard_normal((B, H))
    dh = rng.standard_normal((B, *time, H))
    assert_backward_matches(
        partial(forward, activation=activation),
        backward,
        (x, h, W_hx, W_hh, b_h),
        (dh,),
        ("x", "h", *WEIGHT_NAMES),
    )


def test_rnn_forward_equals_repeated_steps_with_shared_weights(rng):
    W_hx, W_hh, b_h = weights(rng)
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((B, H))
    h, _ = rnn_forward(x, h0, W_hx, W_hh, b_h)
    h_prev = h0
    for t in range(T):
        h_prev, _ = rnn_step_forward(x[:, t], h_prev, W_hx, W_hh, b_h)
        assert np.abs(h[:, t] - h_prev).max() < 1e-14


def test_rnn_forward_without_h0_starts_from_zeros(rng):
    W_hx, W_hh, b_h = weights(rng)
    x = rng.standard_normal((B, T, D))
    h_none, _ = rnn_forward(x, None, W_hx, W_hh, b_h)
    h_zero, _ = rnn_forward(x, np.zeros((B, H)), W_hx, W_hh, b_h)
    assert np.array_equal(h_none, h_zero)


def test_rnn_backward_sums_weight_gradients_over_time(rng):
    """dW_hx from the whole sequence equals the sum of the per-step gradients."""
    W_hx, W_hh, b_h = weights(rng)
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((B, H))
    h, cache = rnn_forward(x, h0, W_hx, W_hh, b_h)
    dh = np.zeros((B, T, H))
    dh[:, -1] = rng.standard_normal((B, H))  # loss on the last step only
    _, _, dW_hx, dW_hh, _ = rnn_backward(dh, cache)
    # walk the steps back by hand with rnn_step_backward and add up
    caches, h_prev = [], h0
    for t in range(T):
        h_prev, c = rnn_step_forward(x[:, t], h_prev, W_hx, W_hh, b_h)
        caches.append(c)
    carry, sum_hx, sum_hh = dh[:, -1], 0, 0
    for t in reversed(range(T)):
        _, carry, g_hx, g_hh, _ = rnn_step_backward(carry, caches[t])
        sum_hx, sum_hh = sum_hx + g_hx, sum_hh + g_hh
    assert rel_error(dW_hx, sum_hx) < 1e-12
    assert rel_error(dW_hh, sum_hh) < 1e-12


@pytest.mark.parametrize(
    "num_layers, bidirectional, activation",
    [(1, False, "tanh"), (2, False, "relu"), (1, True, "tanh"), (2, True, "tanh")],
)
def test_rnn_layer_gradients_match_numerical(num_layers, bidirectional, activation):
    rnn = RNN(D, H, num_layers, bidirectional, activation=activation, seed=0)
    x = np.random.default_rng(5).standard_normal((2, 4, D))
    errors = check_layer_gradients(rnn, x)
    assert set(errors) == {"x"} | set(rnn.params)
    assert max(errors.values()) < GRADIENT_TOLERANCE, errors


def test_rnn_layer_h0_and_h_n_gradients_match_numerical(rng):
    rnn = RNN(D, H, num_layers=2, bidirectional=True, seed=0)
    x = rng.standard_normal((2, 4, D))
    h0 = rng.standard_normal((4, 2, H))
    dout, dh_n = rng.standard_normal((2, 4, 2 * H)), rng.standard_normal((4, 2, H))

    def loss(_):
        out, h_n = rnn.forward(x, h0)
        return np.sum(out * dout) + np.sum(h_n * dh_n)

    rnn.forward(x, h0)
    _, dh0 = rnn.backward(dout, dh_n)
    assert gradient_error(dh0, numerical_gradient(loss, h0)) < GRADIENT_TOLERANCE


def test_rnn_layer_shapes_follow_torch_layout(rng):
    rnn = RNN(D, H, num_layers=3, bidirectional=True, seed=0)
    out, h_n = rnn.forward(rng.standard_normal((B, T, D)))
    assert out.shape == (B, T, 2 * H)
    assert h_n.shape == (3 * 2, B, H)
    # top layer: forward direction ends at t = T-1, reverse direction at t = 0
    assert np.array_equal(h_n[4], out[:, -1, :H])
    assert np.array_equal(h_n[5], out[:, 0, H:])
    assert set(rnn.params) == {
        f"{w}_l{k}{s}"
        for w in ("W_hx", "W_hh", "b_h")
        for k in range(3)
        for s in ("", "_reverse")
    }
    assert rnn.params["W_hx_l1"].shape == (H, 2 * H)


def test_rnn_layer_is_deterministic_given_a_seed(rng):
    a, b, c = RNN(D, H, seed=7), RNN(D, H, seed=7), RNN(D, H, seed=8)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert not np.array_equal(a.params["W_hh_l0"], c.params["W_hh_l0"])


def test_float32_in_gives_float32_out(rng):
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    W_hx, W_hh, b_h = (w.astype(np.float32) for w in weights(rng))
    h, cache = rnn_forward(x, None, W_hx, W_hh, b_h)
    assert h.dtype == np.float32
    grads = rnn_backward(np.ones_like(h), cache)
    assert all(g.dtype == np.float32 for g in grads)
    rnn = RNN(D, H, seed=0)  # float64 parameters, float32 data
    out, h_n = rnn.forward(x)
    dx, dh0 = rnn.backward(np.ones_like(out))
    assert out.dtype == h_n.dtype == dx.dtype == np.float32
    out64, _ = rnn.forward(x.astype(np.float64))
    assert np.abs(out - out64).max() < 1e-5


def test_parameters_can_be_assigned(rng):
    rnn = RNN(D, H, seed=0)
    rnn.params["W_hh_l0"][...] = 0
    rnn.params["W_hx_l0"][...] = 0
    rnn.params["b_h_l0"][...] = 0.5
    out, _ = rnn.forward(rng.standard_normal((B, T, D)))
    assert np.allclose(out, np.tanh(0.5))


def test_rnn_forward_refuses_zero_time_steps_like_lstm_forward(rng):
    W_hx, W_hh, b_h = weights(rng)
    with pytest.raises(
        ValueError, match=r"x must hold at least one time step; got \(3, 0, 4\)"
    ):
        rnn_forward(np.zeros((B, 0, D)), None, W_hx, W_hh, b_h)


def test_rnn_backward_refuses_dh_unlike_the_forwards_h(rng):
    W_hx, W_hh, b_h = weights(rng)
    h, cache = rnn_forward(rng.standard_normal((B, T, D)), None, W_hx, W_hh, b_h)
    with pytest.raises(
        ValueError,
        match=r"dh must have shape \(B, T, H\) = \(3, 5, 6\) like the forward's h; "
        r"got \(3, 4, 6\)",
    ):
        rnn_backward(h[:, :-1], cache)


def test_rnn_backward_refuses_non_finite_dh(rng):
    W_hx, W_hh, b_h = weights(rng)
    h, cache = rnn_forward(rng.standard_normal((B, T, D)), None, W_hx, W_hh, b_h)
    dh = np.ones_like(h)
    dh[1, 2, 3] = np.inf
    with pytest.raises(ValueError, match="dh must be finite; it holds 1 NaN or inf"):
        rnn_backward(dh, cache)
