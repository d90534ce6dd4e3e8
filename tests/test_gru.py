"""Tests of rnnlib/gru.py and rnnlib/kernels/gru.py: PyTorch, numerical
gradients, the textbook loop against the fast kernel, dtypes and errors."""

import itertools
import warnings

import numpy as np
import pytest
from gradients import assert_backward_matches, assert_gradients_match

from rnnlib import (
    GRU,
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
)
from rnnlib.kernels.gru import gru_backward_time_major, gru_forward_time_major

B, T, D, H = 3, 5, 4, 3
WEIGHT_NAMES = ("W_x", "W_h", "b_x", "b_h")
TORCH_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def random_weights(rng, D=D, H=H, scale=0.6):
    """W_x (3H, D), W_h (3H, H), b_x (3H,), b_h (3H,), biases non-zero so that
    a lost or misplaced bias (b_hn outside the reset product) shows."""
    return (
        scale * rng.standard_normal((3 * H, D)),
        scale * rng.standard_normal((3 * H, H)),
        scale * rng.standard_normal(3 * H),
        scale * rng.standard_normal(3 * H),
    )


def layer_with_biases(num_layers=1, bidirectional=False, seed=0, D=D, H=H):
    gru = GRU(D, H, num_layers, bidirectional, seed=seed)
    rng = np.random.default_rng(seed + 100)
    for key, value in gru.params.items():
        if key.startswith("b_"):
            value[:] = 0.5 * rng.standard_normal(value.shape)
    return gru


def max_difference(pairs):
    return max(float(np.abs(np.asarray(a) - np.asarray(b)).max()) for a, b in pairs)


# ---------------------------------------------------------------------------
# Against PyTorch (float64): outputs and every gradient
# ---------------------------------------------------------------------------


def torch_tensor(torch, a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def test_gru_step_forward_and_backward_equal_torch_gru_cell(rng):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    x_t, h_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H))
    weights = random_weights(rng)
    dh_next = rng.standard_normal((B, H))
    h_next, cache = gru_step_forward(x_t, h_prev, *weights)
    grads = gru_step_backward(dh_next, cache)

    cell = torch.nn.GRUCell(D, H, dtype=torch.float64)
    with torch.no_grad():
        for name, value in zip(TORCH_NAMES, weights, strict=True):
            getattr(cell, name).copy_(torch.from_numpy(value))
    x_tt, h_tt = torch_tensor(torch, x_t), torch_tensor(torch, h_prev)
    h_torch = cell(x_tt, h_tt)
    h_torch.backward(torch.from_numpy(dh_next))
    theirs = [x_tt.grad, h_tt.grad] + [getattr(cell, n).grad for n in TORCH_NAMES]
    assert max_difference([(h_next, h_torch.detach())]) < 1e-10
    assert max_difference(zip(grads, theirs, strict=True)) < 1e-10


def test_gru_forward_and_backward_equal_torch_gru(rng):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((B, H))
    weights = random_weights(rng)
    dh = rng.standard_normal((B, T, H))
    h, cache = gru_forward(x, h0, *weights)
    grads = gru_backward(dh, cache)

    net = torch.nn.GRU(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for name, value in zip(TORCH_NAMES, weights, strict=True):
            getattr(net, f"{name}_l0").copy_(torch.from_numpy(value))
    x_t, h0_t = torch_tensor(torch, x), torch_tensor(torch, h0[None])
    h_torch, _ = net(x_t, h0_t)
    h_torch.backward(torch.from_numpy(dh))
    theirs = [x_t.grad, h0_t.grad[0]]
    theirs += [getattr(net, f"{n}_l0").grad for n in TORCH_NAMES]
    assert max_difference([(h, h_torch.detach())]) < 1e-10
    assert max_difference(zip(grads, theirs, strict=True)) < 1e-10


def torch_twin(torch, gru):
    """torch.nn.GRU(batch_first=True) in float64 holding gru's weights."""
    net = torch.nn.GRU(
        gru.input_size,
        gru.hidden_size,
        gru.num_layers,
        bidirectional=gru.bidirectional,
        batch_first=True,
        dtype=torch.float64,
    )
    with torch.no_grad():
        for k in range(gru.num_layers):
            for suffix in gru.suffixes:
                for ours, theirs in zip(WEIGHT_NAMES, TORCH_NAMES, strict=True):
                    value = torch.from_numpy(gru.params[f"{ours}_l{k}{suffix}"])
                    getattr(net, f"{theirs}_l{k}{suffix}").copy_(value)
    return net


def max_difference_to_torch(gru, x, with_state, rng, lengths=None):
    """Run gru and its torch twin forward and backward (random dout, random
    dh_n; with lengths, torch on the packed batch and gru with the mask);
    return the largest difference over out (real steps), h_n, dx, dh0 (when
    h0 is given) and every weight gradient."""
    import torch

    B_, T_, _ = x.shape
    dirs, H_ = gru.num_directions, gru.hidden_size
    mask = None if lengths is None else (np.arange(T_) < lengths[:, None]) * 1.0
    real = np.ones((B_, T_), bool) if mask is None else mask == 1
    h0 = rng.standard_normal((gru.num_layers * dirs, B_, H_))
    dh_n = rng.standard_normal(h0.shape)
    dout = rng.standard_normal((B_, T_, dirs * H_)) * real[:, :, None]

    out, h_n = gru.forward(x, h0 if with_state else None, mask=mask)
    dx, dh0 = gru.backward(dout, dh_n)

    net = torch_twin(torch, gru)
    x_t, h0_t = torch_tensor(torch, x), torch_tensor(torch, h0)
    inputs = x_t
    if lengths is not None:
        inputs = torch.nn.utils.rnn.pack_padded_sequence(
            x_t, torch.tensor(lengths), batch_first=True, enforce_sorted=False
        )
    out_t, h_n_t = net(inputs, h0_t if with_state else None)
    if lengths is not None:
        out_t, _ = torch.nn.utils.rnn.pad_packed_sequence(
            out_t, batch_first=True, total_length=T_
        )
    torch.autograd.backward(
        [out_t, h_n_t], [torch.from_numpy(dout), torch.from_numpy(dh_n)]
    )
    pairs = [(out[real], out_t.detach().numpy()[real]), (h_n, h_n_t.detach())]
    pairs.append((dx, x_t.grad))
    if with_state:
        pairs.append((dh0, h0_t.grad))
    for k in range(gru.num_layers):
        for suffix in gru.suffixes:
            for ours, theirs in zip(WEIGHT_NAMES, TORCH_NAMES, strict=True):
                grad = getattr(net, f"{theirs}_l{k}{suffix}").grad
                pairs.append((gru.grads[f"{ours}_l{k}{suffix}"], grad))
    return max_difference(pairs)


LAYER_CONFIGS = list(itertools.product([1, 2, 3], [False, True], [False, True]))


@pytest.mark.parametrize("num_layers, bidirectional, with_state", LAYER_CONFIGS)
def test_gru_layer_equals_torch_gru(rng, num_layers, bidirectional, with_state):
    pytest.importorskip("torch", reason="PyTorch is not installed")
    gru = layer_with_biases(num_layers, bidirectional, seed=num_layers)
    x = rng.standard_normal((B, T, D))
    assert max_difference_to_torch(gru, x, with_state, rng) < 1e-10


@pytest.mark.parametrize("B_, T_", [(1, T), (B, 1), (1, 1)])
def test_gru_layer_equals_torch_gru_for_one_step_or_one_sequence(rng, B_, T_):
    pytest.importorskip("torch", reason="PyTorch is not installed")
    gru = layer_with_biases(2, True, seed=7)
    x = rng.standard_normal((B_, T_, D))
    assert max_difference_to_torch(gru, x, True, rng) < 1e-10


MASK_CONFIGS = list(itertools.product([1, 2], [False, True], [False, True]))


@pytest.mark.parametrize("num_layers, bidirectional, with_state", MASK_CONFIGS)
def test_masked_gru_layer_equals_torch_packed_sequence(
    rng, num_layers, bidirectional, with_state
):
    pytest.importorskip("torch", reason="PyTorch is not installed")
    gru = layer_with_biases(num_layers, bidirectional, seed=3)
    x = rng.standard_normal((B, T, D))
    lengths = np.array([T, 2, 1])
    assert max_difference_to_torch(gru, x, with_state, rng, lengths) < 1e-10


@pytest.mark.parametrize("seed", range(12))
def test_masked_gru_layer_equals_torch_for_random_sizes_and_lengths(seed):
    """Odd corners too: T = 1, B = 1, H = 1, every length equal."""
    pytest.importorskip("torch", reason="PyTorch is not installed")
    rng = np.random.default_rng(seed)
    B_, T_, D_, H_ = (int(n) for n in rng.integers(1, [5, 6, 4, 4], endpoint=True))
    num_layers, bidirectional = int(rng.integers(1, 3)), bool(rng.integers(2))
    gru = layer_with_biases(num_layers, bidirectional, seed=seed, D=D_, H=H_)
    lengths = rng.integers(1, T_, size=B_, endpoint=True)
    x = rng.standard_normal((B_, T_, D_))
    difference = max_difference_to_torch(gru, x, True, rng, lengths)
    assert difference < 1e-10, (gru, B_, T_, lengths)


# ---------------------------------------------------------------------------
# The textbook loop and the fast kernel agree
# ---------------------------------------------------------------------------


def kernel_run(x, h0, weights, dh, dh_last, reverse=False, skip=None):
    """gru_forward_time_major + backward on batch-first arrays."""
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2))
    h_tm, cache = gru_forward_time_major(x_tm, h0, *weights, reverse, skip)
    dx_tm, *grads = gru_backward_time_major(dh.transpose(1, 0, 2), cache, dh_last)
    return h_tm.transpose(1, 0, 2), (dx_tm.transpose(1, 0, 2), *grads)


def reference_run(x, h0, weights, dh, dh_last, reverse=False, keep=None):
    """The same from gru_step_forward / gru_step_backward, one step at a time:
    the sequence read backwards for reverse=True, and where keep[:, t] is 0
    (padding) the state carried over and the gradient passed straight back."""
    T_ = x.shape[1]
    keep = np.ones(x.shape[:2]) if keep is None else keep
    order = list(range(T_ - 1, -1, -1) if reverse else range(T_))
    h = np.empty(dh.shape)
    caches, h_prev = {}, h0
    for t in order:
        h_next, caches[t] = gru_step_forward(x[:, t], h_prev, *weights)
        k = keep[:, t, None]
        h_prev = h[:, t] = k * h_next + (1 - k) * h_prev
    dx = np.empty(x.shape)
    dweights = [np.zeros_like(w) for w in weights]
    carry = dh_last
    for t in reversed(order):
        k = keep[:, t, None]
        total = dh[:, t] + carry
        dx_t, dh_prev, *dw = gru_step_backward(k * total, caches[t])
        dx[:, t] = dx_t
        carry = dh_prev + (1 - k) * total
        dweights = [a + b for a, b in zip(dweights, dw, strict=True)]
    return h, (dx, carry, *dweights)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("with_skip", [False, True])
def test_kernel_equals_the_step_by_step_gru(rng, reverse, with_skip):
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((B, H))
    weights = random_weights(rng)
    dh, dh_last = rng.standard_normal((B, T, H)), rng.standard_normal((B, H))
    keep = np.array([[1, 0, 1, 1, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 1.0]])
    skip = (keep.T == 0)[:, :, None] if with_skip else None
    h_k, grads_k = kernel_run(x, h0, weights, dh, dh_last, reverse, skip)
    h_r, grads_r = reference_run(
        x, h0, weights, dh, dh_last, reverse, keep if with_skip else None
    )
    assert max_difference([(h_k, h_r)]) < 1e-12
    assert max_difference(zip(grads_k, grads_r, strict=True)) < 1e-12


def test_gru_forward_and_backward_equal_the_kernel(rng):
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((B, H))
    weights = random_weights(rng)
    dh = rng.standard_normal((B, T, H))
    h, cache = gru_forward(x, h0, *weights)
    grads = gru_backward(dh, cache)
    h_k, grads_k = kernel_run(x, h0, weights, dh, None)
    assert max_difference([(h, h_k)]) < 1e-12
    assert max_difference(zip(grads, grads_k, strict=True)) < 1e-12


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_saturates_to_the_exact_limits_without_warnings(rng, dtype):
    """Pre-activations of size 1e4 overflow exp inside the kernel to inf,
    which must give gates of exactly 0 or 1 and a candidate of exactly ±1,
    like the textbook functions, with finite gradients and no warning."""
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((B, H))
    weights = [(1e4 * w).astype(dtype) for w in random_weights(rng)]
    x, h0 = x.astype(dtype), h0.astype(dtype)
    dh = rng.standard_normal((B, T, H)).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h_k, grads_k = kernel_run(x, h0, weights, dh, None)
        h, cache = gru_forward(x, h0, *weights)
        grads = gru_backward(dh, cache)
    assert np.abs(h_k).max() <= np.abs(h0).max() + 1
    assert max_difference([(h_k, h)]) < 1e-6
    for a, b in zip(grads_k, grads, strict=True):
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())


def test_kernel_backward_can_run_twice_on_one_cache(rng):
    x_tm, h0 = rng.standard_normal((T, B, D)), rng.standard_normal((B, H))
    _, cache = gru_forward_time_major(x_tm, h0, *random_weights(rng))
    dh_tm = rng.standard_normal((T, B, H))
    first = gru_backward_time_major(dh_tm, cache)
    second = gru_backward_time_major(dh_tm, cache)
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a, b)


# ---------------------------------------------------------------------------
# Numerical gradients (the course's policy: gradient_error < GRADIENT_TOLERANCE)
# ---------------------------------------------------------------------------


def test_gru_step_backward_matches_numerical_gradient():
    rng = np.random.default_rng(0)
    x_t, h_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H))
    weights = random_weights(rng)
    dh_next = rng.standard_normal((B, H))
    assert_backward_matches(
        gru_step_forward,
        gru_step_backward,
        (x_t, h_prev, *weights),
        (dh_next,),
        ("x_t", "h_prev", *WEIGHT_NAMES),
    )


def test_gru_backward_matches_numerical_gradient():
    rng = np.random.default_rng(1)
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((B, H))
    weights = random_weights(rng)
    dh = rng.standard_normal((B, T, H))
    assert_backward_matches(
        gru_forward, gru_backward, (x, h0, *weights), (dh,), ("x", "h0", *WEIGHT_NAMES)
    )


@pytest.mark.parametrize("masked", [False, True])
def test_two_layer_bidirectional_gru_matches_numerical_gradient(masked):
    """Every parameter, x and h0, with gradients into out and h_n; the mask
    pads anywhere, not only at the end."""
    rng = np.random.default_rng(2)
    gru = layer_with_biases(2, True, seed=2)
    mask = np.array([[1, 1, 0, 1, 1], [0, 0, 1, 1, 1], [1, 0, 0, 0, 0.0]])
    mask = mask if masked else None
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((4, B, H))
    dout, dh_n = rng.standard_normal((B, T, 2 * H)), rng.standard_normal((4, B, H))

    def outputs():
        return gru.forward(x, h0, mask=mask)

    outputs()
    dx, dh0 = gru.backward(dout, dh_n)
    checks = [("x", x, dx), ("h0", h0, dh0)]
    checks += [(k, p, gru.grads[k].copy()) for k, p in gru.params.items()]
    assert_gradients_match(outputs, (dout, dh_n), checks)


# ---------------------------------------------------------------------------
# Layer behaviour
# ---------------------------------------------------------------------------


def test_gru_layer_has_the_documented_parameters():
    gru = GRU(D, H, num_layers=2, bidirectional=True, seed=0)
    for suffix in ("", "_reverse"):
        assert gru.params[f"W_x_l0{suffix}"].shape == (3 * H, D)
        assert gru.params[f"W_x_l1{suffix}"].shape == (3 * H, 2 * H)
        for k in (0, 1):
            assert gru.params[f"W_h_l{k}{suffix}"].shape == (3 * H, H)
            assert gru.params[f"b_x_l{k}{suffix}"].shape == (3 * H,)
            assert gru.params[f"b_h_l{k}{suffix}"].shape == (3 * H,)
    assert len(gru.params) == 16
    assert gru.grads.keys() == gru.params.keys()


def test_gru_layer_initialises_orthogonal_recurrent_blocks_and_zero_biases():
    gru = GRU(D, H, seed=0)
    for block in np.split(gru.params["W_h_l0"], 3):
        np.testing.assert_allclose(block @ block.T, np.eye(H), atol=1e-12)
    bound = np.sqrt(6 / (D + H))
    assert np.abs(gru.params["W_x_l0"]).max() <= bound
    assert not gru.params["b_x_l0"].any() and not gru.params["b_h_l0"].any()


def test_gru_layer_with_the_same_seed_has_the_same_weights():
    first, second = GRU(D, H, seed=5), GRU(D, H, seed=5)
    for key, value in first.params.items():
        assert np.array_equal(value, second.params[key])


def test_gru_padding_changes_no_real_output_and_no_final_state(rng):
    gru = layer_with_biases(2, True, seed=4)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0.0]])
    x = rng.standard_normal((B, T, D))
    other = x.copy()
    other[mask == 0] = 10 * rng.standard_normal((int((mask == 0).sum()), D))
    (out_a, h_n_a), (out_b, h_n_b) = (
        gru.forward(x, mask=mask),
        gru.forward(other, mask=mask),
    )
    assert np.abs(out_a[mask == 1] - out_b[mask == 1]).max() < 1e-14
    assert np.abs(h_n_a - h_n_b).max() < 1e-14


def test_gru_layer_keeps_float32(rng):
    gru = GRU(D, H, num_layers=2, bidirectional=True, seed=0, dtype=np.float32)
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    out, h_n = gru.forward(x)
    dx, dh0 = gru.backward(np.ones_like(out))
    assert {out.dtype, h_n.dtype, dx.dtype, dh0.dtype} == {np.dtype(np.float32)}
    assert {g.dtype for g in gru.grads.values()} == {np.dtype(np.float32)}
    reference = GRU(D, H, num_layers=2, bidirectional=True, seed=0)
    np.testing.assert_allclose(out, reference.forward(x.astype(float))[0], atol=1e-5)


def test_gru_functions_keep_float32(rng):
    weights = [w.astype(np.float32) for w in random_weights(rng)]
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    h, cache = gru_forward(x, None, *weights)
    grads = gru_backward(np.ones_like(h), cache)
    h_next, step_cache = gru_step_forward(x[:, 0], h[:, 0], *weights)
    step_grads = gru_step_backward(np.ones_like(h_next), step_cache)
    dtypes = {a.dtype for a in (h, h_next, *grads, *step_grads)}
    assert dtypes == {np.dtype(np.float32)}


# ---------------------------------------------------------------------------
# Bad input: a clear error naming the argument and the shapes
# ---------------------------------------------------------------------------


@pytest.fixture
def step_args(rng):
    return [rng.standard_normal((B, D)), rng.standard_normal((B, H))] + list(
        random_weights(rng)
    )


@pytest.mark.parametrize(
    "index, bad, message",
    [
        (0, np.zeros((B, T, D)), r"x_t must have shape \(B, D\) with D = "),
        (0, np.zeros((B, D + 1)), r"W_x.shape\[1\] = 4; got \(3, 5\)"),
        (1, np.zeros((B, H + 1)), r"h_prev must have shape \(B, H\) = \(3, 3\)"),
        (1, None, r"h_prev must be an array of shape \(B, H\) = \(3, 3\); got None"),
        (2, np.zeros((3 * H, D, 1)), r"W_x must have 2 dimensions \(3H, D\)"),
        (2, np.zeros((4 * H, D)), r"W_x must have shape \(3H, D\) = \(9, 4\)"),
        (3, np.zeros((3 * H, H + 1)), r"W_h must have shape \(3H, H\) = \(12, 4\)"),
        (4, np.zeros(H), r"b_x must have shape \(3H,\) = \(9,\) .*; got \(3,\)"),
        (5, np.zeros((1, 3 * H)), r"b_h must have shape \(3H,\) = \(9,\)"),
    ],
)
def test_gru_step_forward_names_the_wrong_argument(step_args, index, bad, message):
    step_args[index] = bad
    with pytest.raises(ValueError, match=message):
        gru_step_forward(*step_args)


def test_gru_step_forward_rejects_nan(step_args):
    step_args[0][0, 0] = np.nan
    with pytest.raises(ValueError, match="x_t must be finite; it holds 1 NaN"):
        gru_step_forward(*step_args)


def test_gru_step_backward_checks_dh_next(step_args):
    _, cache = gru_step_forward(*step_args)
    with pytest.raises(
        ValueError, match=r"dh_next must have shape \(B, H\) = \(3, 3\)"
    ):
        gru_step_backward(np.zeros((B, H + 1)), cache)


def test_gru_forward_rejects_an_empty_sequence(rng):
    with pytest.raises(ValueError, match="x must hold at least one time step"):
        gru_forward(np.zeros((B, 0, D)), None, *random_weights(rng))


def test_gru_forward_names_x_and_h0(rng):
    weights = random_weights(rng)
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, D\) with D = "):
        gru_forward(np.zeros((B, D)), None, *weights)
    with pytest.raises(ValueError, match=r"h0 must have shape \(B, H\) = \(3, 3\)"):
        gru_forward(np.zeros((B, T, D)), np.zeros((1, B, H)), *weights)
    x = np.zeros((B, T, D))
    x[1, 2, 3] = np.inf
    with pytest.raises(ValueError, match="x must be finite"):
        gru_forward(x, None, *weights)


def test_gru_forward_rejects_nan_weights(rng):
    W_x, W_h, b_x, b_h = random_weights(rng)
    b_h[4] = np.nan
    with pytest.raises(ValueError, match="b_h must be finite"):
        gru_forward(np.zeros((B, T, D)), None, W_x, W_h, b_x, b_h)


def test_gru_backward_checks_dh(rng):
    _, cache = gru_forward(np.zeros((B, T, D)), None, *random_weights(rng))
    with pytest.raises(
        ValueError, match=r"dh must have shape \(B, T, H\) = \(3, 5, 3\)"
    ):
        gru_backward(np.zeros((B, T - 1, H)), cache)


def test_gru_layer_names_bad_input():
    gru = GRU(D, H, num_layers=2, seed=0)
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, D\) with D = "):
        gru.forward(np.zeros((B, T, D + 1)))
    with pytest.raises(ValueError, match="x must hold at least one time step"):
        gru.forward(np.zeros((B, 0, D)))
    with pytest.raises(ValueError, match=r"h0 must have shape \(num_layers\*dirs, B"):
        gru.forward(np.zeros((B, T, D)), np.zeros((1, B, H)))
    with pytest.raises(ValueError, match=r"mask must have shape \(B, T\) = \(3, 5\)"):
        gru.forward(np.zeros((B, T, D)), mask=np.ones((T, B)))


def test_gru_layer_backward_checks_its_arguments():
    gru = GRU(D, H, seed=0)
    with pytest.raises(RuntimeError, match="call forward before backward"):
        gru.backward(np.zeros((B, T, H)))
    gru.forward(np.zeros((B, T, D)))
    with pytest.raises(ValueError, match=r"dout must have shape \(B, T, dirs\*H\)"):
        gru.backward(np.zeros((B, T, 2 * H)))
    with pytest.raises(ValueError, match=r"dh_n must have shape"):
        gru.backward(np.zeros((B, T, H)), np.zeros((B, H)))
