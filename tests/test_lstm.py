"""Tests of rnnlib/lstm.py: numerical gradients, PyTorch, shapes and errors."""

from functools import partial

import numpy as np
import pytest
from gradients import assert_backward_matches, assert_gradients_match

from rnnlib import (
    LSTM,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)

B, T, D, H = 2, 4, 3, 4


def random_weights(rng, D=D, H=H, scale=0.5):
    return (
        scale * rng.standard_normal((4 * H, D)),
        scale * rng.standard_normal((4 * H, H)),
        scale * rng.standard_normal(4 * H),
    )


# -- numerical gradients ------------------------------------------------------


def test_lstm_step_backward_matches_numerical_gradient():
    rng = np.random.default_rng(0)
    x_t = rng.standard_normal((B, D))
    h_prev = rng.standard_normal((B, H))
    c_prev = rng.standard_normal((B, H))
    W_x, W_h, b = random_weights(rng)
    dh_next = rng.standard_normal((B, H))
    dc_next = rng.standard_normal((B, H))
    assert_backward_matches(
        lstm_step_forward,
        lstm_step_backward,
        (x_t, h_prev, c_prev, W_x, W_h, b),
        (dh_next, dc_next),
        ("x_t", "h_prev", "c_prev", "W_x", "W_h", "b"),
    )


def test_lstm_backward_matches_numerical_gradient():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((B, H))
    c0 = rng.standard_normal((B, H))
    W_x, W_h, b = random_weights(rng)
    dh = rng.standard_normal((B, T, H))
    assert_backward_matches(
        partial(lstm_forward, c0=c0),
        lstm_backward,
        (x, h0, W_x, W_h, b),
        (dh,),
        ("x", "h0", "W_x", "W_h", "b"),
    )


def test_lstm_layer_backward_matches_numerical_gradient():
    rng = np.random.default_rng(1)
    lstm = LSTM(D, H, num_layers=2, bidirectional=True, seed=0)
    L = 2 * 2
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((L, B, H))
    c0 = rng.standard_normal((L, B, H))
    dout = rng.standard_normal((B, T, 2 * H))
    dh_n = rng.standard_normal((L, B, H))
    dc_n = rng.standard_normal((L, B, H))

    def outputs():
        out, (h_n, c_n) = lstm.forward(x, (h0, c0))
        return out, h_n, c_n

    lstm.forward(x, (h0, c0))
    dx, (dh0, dc0) = lstm.backward(dout, (dh_n, dc_n))
    checks = [("x", x, dx), ("h0", h0, dh0), ("c0", c0, dc0)]
    checks += [(k, p, lstm.grads[k].copy()) for k, p in lstm.params.items()]
    assert len(checks) == 3 + 2 * 2 * 3
    assert_gradients_match(outputs, (dout, dh_n, dc_n), checks)


def test_lstm_step_forward_agrees_with_lstm_forward():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((B, H))
    c0 = rng.standard_normal((B, H))
    W_x, W_h, b = random_weights(rng)
    h_seq, _ = lstm_forward(x, h0, W_x, W_h, b, c0=c0)
    h, c = h0, c0
    for t in range(T):
        h, c, _ = lstm_step_forward(x[:, t], h, c, W_x, W_h, b)
        np.testing.assert_allclose(h, h_seq[:, t], rtol=0, atol=1e-14)


def test_lstm_backward_leaves_the_cache_reusable():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((B, T, D))
    h, cache = lstm_forward(x, None, *random_weights(rng))
    dh = rng.standard_normal(h.shape)
    first = lstm_backward(dh, cache)
    second = lstm_backward(dh, cache)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_lstm_is_stable_for_huge_preactivations():
    rng = np.random.default_rng(5)
    x = 1e4 * rng.standard_normal((B, T, D))
    W_x, W_h, b = random_weights(rng, scale=10.0)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        h, cache = lstm_forward(x, None, W_x, W_h, b)
        grads = lstm_backward(np.ones_like(h), cache)
        h1, c1, step_cache = lstm_step_forward(x[:, 0], h[:, 0], h[:, 0], W_x, W_h, b)
        step_grads = lstm_step_backward(np.ones_like(h1), None, step_cache)
    for a in (h, h1, c1, *grads, *step_grads):
        assert np.isfinite(a).all()
    assert np.abs(h).max() <= 1.0


# -- PyTorch ------------------------------------------------------------------


@pytest.fixture
def torch():
    return pytest.importorskip(
        "torch", reason="PyTorch is not installed: torch.nn.LSTM comparison skipped"
    )


def lstm_from_torch(torch_lstm):
    """An rnnlib LSTM holding torch_lstm's weights (b = bias_ih + bias_hh)."""
    lstm = LSTM(
        torch_lstm.input_size,
        torch_lstm.hidden_size,
        num_layers=torch_lstm.num_layers,
        bidirectional=torch_lstm.bidirectional,
        seed=0,
    )
    param = {n: p.detach().numpy() for n, p in torch_lstm.named_parameters()}
    for k in range(lstm.num_layers):
        for s in lstm.suffixes:
            lstm.params[f"W_x_l{k}{s}"] = param[f"weight_ih_l{k}{s}"].copy()
            lstm.params[f"W_h_l{k}{s}"] = param[f"weight_hh_l{k}{s}"].copy()
            lstm.params[f"b_l{k}{s}"] = (
                param[f"bias_ih_l{k}{s}"] + param[f"bias_hh_l{k}{s}"]
            )
    return lstm


def assert_matches(ours, theirs, name, tol=1e-10):
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape, f"{name}: shape {ours.shape} != {theirs.shape}"
    diff = np.max(np.abs(ours - theirs))
    assert diff < tol, f"{name}: max |difference| {diff:.2e} >= {tol:.0e}"


@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "state"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_lstm_matches_torch_forward_and_backward(
    torch, num_layers, bidirectional, with_state
):
    torch.manual_seed(num_layers)
    Bt, Tt, Dt, Ht = 3, 5, 4, 6
    dirs = 2 if bidirectional else 1
    ref = torch.nn.LSTM(
        Dt, Ht, num_layers=num_layers, bidirectional=bidirectional, batch_first=True
    ).double()
    lstm = lstm_from_torch(ref)

    rng = np.random.default_rng(10 * num_layers + dirs)
    x = rng.standard_normal((Bt, Tt, Dt))
    h0 = rng.standard_normal((num_layers * dirs, Bt, Ht))
    c0 = rng.standard_normal((num_layers * dirs, Bt, Ht))
    dout = rng.standard_normal((Bt, Tt, dirs * Ht))
    dh_n = rng.standard_normal((num_layers * dirs, Bt, Ht))
    dc_n = rng.standard_normal((num_layers * dirs, Bt, Ht))

    x_t = torch.tensor(x, requires_grad=True)
    h0_t = torch.tensor(h0, requires_grad=True)
    c0_t = torch.tensor(c0, requires_grad=True)
    if with_state:
        out, (h_n, c_n) = lstm.forward(x, (h0, c0))
        out_t, (h_n_t, c_n_t) = ref(x_t, (h0_t, c0_t))
    else:
        out, (h_n, c_n) = lstm.forward(x)
        out_t, (h_n_t, c_n_t) = ref(x_t)
    assert_matches(out, out_t, "out")
    assert_matches(h_n, h_n_t, "h_n")
    assert_matches(c_n, c_n_t, "c_n")

    dx, (dh0, dc0) = lstm.backward(dout, (dh_n, dc_n))
    torch.autograd.backward(
        [out_t, h_n_t, c_n_t],
        [torch.tensor(dout), torch.tensor(dh_n), torch.tensor(dc_n)],
    )
    assert_matches(dx, x_t.grad, "dx")
    if with_state:
        assert_matches(dh0, h0_t.grad, "dh0")
        assert_matches(dc0, c0_t.grad, "dc0")
    param = dict(ref.named_parameters())
    for k in range(num_layers):
        for s in lstm.suffixes:
            assert_matches(
                lstm.grads[f"W_x_l{k}{s}"],
                param[f"weight_ih_l{k}{s}"].grad,
                f"W_x_l{k}{s}",
            )
            assert_matches(
                lstm.grads[f"W_h_l{k}{s}"],
                param[f"weight_hh_l{k}{s}"].grad,
                f"W_h_l{k}{s}",
            )
            for torch_bias in ("bias_ih", "bias_hh"):
                assert_matches(
                    lstm.grads[f"b_l{k}{s}"],
                    param[f"{torch_bias}_l{k}{s}"].grad,
                    f"b_l{k}{s} vs {torch_bias}",
                )


# -- dtypes, initialisation, state handling -------------------------------------


def test_lstm_layer_float32_in_float32_out():
    rng = np.random.default_rng(6)
    lstm = LSTM(D, H, num_layers=2, bidirectional=True, seed=0)
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    out, (h_n, c_n) = lstm.forward(x)
    assert out.dtype == h_n.dtype == c_n.dtype == np.float32
    dx, (dh0, dc0) = lstm.backward(np.ones(out.shape, dtype=np.float32))
    assert dx.dtype == dh0.dtype == dc0.dtype == np.float32
    assert all(g.dtype == np.float64 for g in lstm.grads.values())  # like params


def test_lstm_forward_float32_in_float32_out():
    rng = np.random.default_rng(7)
    W_x, W_h, b = (w.astype(np.float32) for w in random_weights(rng))
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    h, cache = lstm_forward(x, None, W_x, W_h, b)
    assert h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in lstm_backward(np.ones_like(h), cache))
    h1, c1, _ = lstm_step_forward(x[:, 0], h[:, 0], h[:, 0], W_x, W_h, b)
    assert h1.dtype == c1.dtype == np.float32


def test_lstm_dtype_float32_makes_float32_params():
    lstm = LSTM(D, H, dtype=np.float32, seed=0)
    assert all(p.dtype == np.float32 for p in lstm.params.values())


@pytest.mark.parametrize("forget_bias", [1.0, 0.0, 2.5])
def test_lstm_forget_bias_sets_the_forget_slice_only(forget_bias):
    lstm = LSTM(D, H, num_layers=2, bidirectional=True, seed=0, forget_bias=forget_bias)
    for k in range(2):
        for s in ("", "_reverse"):
            b = lstm.params[f"b_l{k}{s}"]
            assert b.shape == (4 * H,)
            np.testing.assert_array_equal(b[H : 2 * H], forget_bias)
            np.testing.assert_array_equal(np.delete(b, np.s_[H : 2 * H]), 0.0)


def test_lstm_default_forget_bias_is_one():
    np.testing.assert_array_equal(LSTM(D, H, seed=0).params["b_l0"][H : 2 * H], 1.0)


def test_lstm_init_shapes_and_orthogonal_recurrent_blocks():
    lstm = LSTM(D, H, num_layers=2, bidirectional=True, seed=0)
    assert lstm.params["W_x_l0"].shape == (4 * H, D)
    assert lstm.params["W_x_l1_reverse"].shape == (4 * H, 2 * H)
    for k in range(2):
        W_h = lstm.params[f"W_h_l{k}"]
        assert W_h.shape == (4 * H, H)
        for gate in range(4):
            block = W_h[gate * H : (gate + 1) * H]
            np.testing.assert_allclose(block @ block.T, np.eye(H), atol=1e-12)


def test_lstm_is_seeded():
    a, b = LSTM(D, H, seed=3), LSTM(D, H, seed=3)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])


def test_lstm_missing_state_entries_mean_zeros():
    rng = np.random.default_rng(8)
    lstm = LSTM(D, H, seed=0)
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((1, B, H))
    zeros = np.zeros((1, B, H))
    out_a, (h_a, c_a) = lstm.forward(x, (h0, None))
    out_b, (h_b, c_b) = lstm.forward(x, (h0, zeros))
    np.testing.assert_array_equal(out_a, out_b)
    np.testing.assert_array_equal(c_a, c_b)
    dx_a, (dh0_a, dc0_a) = lstm.backward(np.ones_like(out_b), (None, c_b))
    dx_b, (dh0_b, dc0_b) = lstm.backward(np.ones_like(out_b), (zeros, c_b))
    np.testing.assert_array_equal(dx_a, dx_b)
    np.testing.assert_array_equal(dc0_a, dc0_b)


def test_lstm_forward_shapes():
    lstm = LSTM(D, H, num_layers=3, bidirectional=True, seed=0)
    x = np.zeros((B, T, D))
    out, (h_n, c_n) = lstm.forward(x)
    assert out.shape == (B, T, 2 * H)
    assert h_n.shape == c_n.shape == (3 * 2, B, H)
    dx, (dh0, dc0) = lstm.backward(np.zeros_like(out))
    assert dx.shape == x.shape
    assert dh0.shape == dc0.shape == (6, B, H)


# -- bad input -------------------------------------------------------------------

_rng = np.random.default_rng(9)
_W_x, _W_h, _b = random_weights(_rng)
_x = _rng.standard_normal((B, T, D))
_state = np.zeros((B, H))


def _nan_x():
    x = _x.copy()
    x[0, 1, 2] = np.nan
    return x


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: lstm_forward(_x[0], None, _W_x, _W_h, _b),
            ValueError,
            r"x must have shape \(B, T, D\) with D = W_x.shape\[1\] = 3; got \(4, 3\)",
        ),
        (
            lambda: lstm_forward(np.zeros((B, T, 5)), None, _W_x, _W_h, _b),
            ValueError,
            r"x must have shape \(B, T, D\) .* = 3; got \(2, 4, 5\)",
        ),
        (
            lambda: lstm_forward(np.zeros((B, 0, D)), None, _W_x, _W_h, _b),
            ValueError,
            r"x must hold at least one time step; got \(2, 0, 3\)",
        ),
        (
            lambda: lstm_forward(_nan_x(), None, _W_x, _W_h, _b),
            ValueError,
            r"x must be finite; it holds 1 NaN or inf",
        ),
        (
            lambda: lstm_forward(_x, None, _W_x, _W_h[:12], _b),
            ValueError,
            r"W_h must have shape \(4H, H\) = \(16, 4\) with H = W_h.shape\[1\] = 4"
            r"; got \(12, 4\)",
        ),
        (
            lambda: lstm_forward(_x, None, _W_x[:12], _W_h, _b),
            ValueError,
            r"W_x must have shape \(4H, D\) = \(16, 3\) with H = .* = 4; got \(12, 3\)",
        ),
        (
            lambda: lstm_forward(_x, None, _W_x[0], _W_h, _b),
            ValueError,
            r"W_x must have 2 dimensions \(4H, D\); got shape \(3,\)",
        ),
        (
            lambda: lstm_forward(_x, None, _W_x, _W_h, _b[:4]),
            ValueError,
            r"b must have shape \(4H,\) = \(16,\) with H = .* = 4; got \(4,\)",
        ),
        (
            lambda: lstm_forward(_x, np.zeros((B, H + 1)), _W_x, _W_h, _b),
            ValueError,
            r"h0 must have shape \(B, H\) = \(2, 4\) with B = 2, H = 4; got \(2, 5\)",
        ),
        (
            lambda: lstm_forward(_x, None, _W_x, _W_h, _b, c0=np.zeros((H,))),
            ValueError,
            r"c0 must have shape \(B, H\) = \(2, 4\) .*; got \(4,\)",
        ),
        (
            lambda: lstm_forward(_x, None, _W_x.astype(str), _W_h, _b),
            TypeError,
            r"W_x must hold real numbers",
        ),
        (
            lambda: lstm_step_forward(_x, _state, _state, _W_x, _W_h, _b),
            ValueError,
            r"x_t must have shape \(B, D\) with D = W_x.shape\[1\] = 3; got \(2, 4, 3\)",
        ),
        (
            lambda: lstm_step_forward(_x[:, 0], None, _state, _W_x, _W_h, _b),
            ValueError,
            r"h_prev must be an array of shape \(B, H\) = \(2, 4\); got None",
        ),
        (
            lambda: lstm_step_forward(_x[:, 0], _state, _state.T, _W_x, _W_h, _b),
            ValueError,
            r"c_prev must have shape \(B, H\) = \(2, 4\) .*; got \(4, 2\)",
        ),
    ],
    ids=[
        "x-ndim",
        "x-D",
        "x-no-steps",
        "x-nan",
        "W_h-4H",
        "W_x-4H",
        "W_x-ndim",
        "b-4H",
        "h0-shape",
        "c0-shape",
        "W_x-dtype",
        "x_t-shape",
        "h_prev-None",
        "c_prev-shape",
    ],
)
def test_lstm_functions_reject_bad_input_clearly(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_lstm_backward_rejects_wrong_dh_shape():
    h, cache = lstm_forward(_x, None, _W_x, _W_h, _b)
    with pytest.raises(
        ValueError, match=r"dh must have shape \(B, T, H\) = \(2, 4, 4\)"
    ):
        lstm_backward(h[:, :-1], cache)
    _, _, step_cache = lstm_step_forward(_x[:, 0], _state, _state, _W_x, _W_h, _b)
    with pytest.raises(
        ValueError, match=r"dc_next must have shape \(B, H\) = \(2, 4\)"
    ):
        lstm_step_backward(_state, _state[:1], step_cache)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda m: m.forward(_x[..., :2]),
            ValueError,
            r"x must have shape \(B, T, D\) with D = input_size = 3; got \(2, 4, 2\)",
        ),
        (
            lambda m: m.forward(_x, (np.zeros((1, B, H)), None)),
            ValueError,
            r"h0 must have shape \(num_layers\*dirs, B, H\) = \(4, 2, 4\)"
            r" with num_layers\*dirs = 4, B = 2, H = 4; got \(1, 2, 4\)",
        ),
        (
            lambda m: m.forward(_x, (None, np.zeros((4, B, H + 1)))),
            ValueError,
            r"c0 must have shape \(num_layers\*dirs, B, H\) = \(4, 2, 4\).*got \(4, 2, 5\)",
        ),
        (
            lambda m: m.forward(_x, np.zeros((4, B, H))),
            TypeError,
            r"state must be None or a pair \(h0, c0\)",
        ),
        (
            lambda m: m.backward(np.zeros((B, T, H))),
            RuntimeError,
            r"call forward before backward",
        ),
    ],
    ids=["x-D", "h0-shape", "c0-shape", "state-not-pair", "backward-first"],
)
def test_lstm_layer_rejects_bad_input_clearly(call, error, match):
    lstm = LSTM(D, H, num_layers=2, bidirectional=True, seed=0)
    with pytest.raises(error, match=match):
        call(lstm)


def test_lstm_layer_backward_rejects_bad_gradients():
    lstm = LSTM(D, H, num_layers=2, bidirectional=True, seed=0)
    out, (h_n, c_n) = lstm.forward(_x)
    with pytest.raises(
        ValueError, match=r"dout must have shape \(B, T, dirs\*H\) = \(2, 4, 8\)"
    ):
        lstm.backward(out[..., :H])
    with pytest.raises(
        ValueError, match=r"dc_n must have shape .* = \(4, 2, 4\).*got \(2, 4\)"
    ):
        lstm.backward(out, (None, c_n[0]))
    with pytest.raises(
        TypeError, match=r"dstate must be None or a pair \(dh_n, dc_n\)"
    ):
        lstm.backward(out, (h_n,))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"forget_bias": "1"}, TypeError, "forget_bias must be a real number"),
        ({"forget_bias": np.inf}, ValueError, "forget_bias must be finite"),
        ({"hidden_size": 0}, ValueError, "hidden_size must be an int >= 1"),
        ({"num_layers": 1.5}, TypeError, "num_layers must be an int >= 1"),
    ],
)
def test_lstm_constructor_rejects_bad_arguments(kwargs, error, match):
    args = {"input_size": D, "hidden_size": H, **kwargs}
    with pytest.raises(error, match=match):
        LSTM(**args)


def test_lstm_backward_refuses_non_finite_dh():
    h, cache = lstm_forward(_x, None, _W_x, _W_h, _b)
    dh = np.ones_like(h)
    dh[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match="dh must be finite; it holds 1 NaN or inf"):
        lstm_backward(dh, cache)
