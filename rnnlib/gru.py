"""The GRU: one step, a whole sequence, and the `GRU` layer.

The gated recurrent unit (Cho et al., 2014) keeps one state, like the
vanilla RNN, and gates it, like the LSTM.  For a batch (rows are
sequences), with PyTorch's gate order r, z, n:

    r_t = sigmoid(x_t W_ir^T + b_ir + h_{t-1} W_hr^T + b_hr)       reset gate
    z_t = sigmoid(x_t W_iz^T + b_iz + h_{t-1} W_hz^T + b_hz)       update gate
    n_t = tanh(x_t W_in^T + b_in + r_t * (h_{t-1} W_hn^T + b_hn))  candidate
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

The reset gate decides how much of the old state the candidate may read;
the update gate mixes old state and candidate.  Where z_t is near 1 the
state, and its gradient, pass through the step almost unchanged: the same
shortcut as the LSTM's cell, with one state instead of two.

Shapes: x (B, T, D), h0 (B, H), W_x (3H, D) = [W_ir; W_iz; W_in],
W_h (3H, H) = [W_hr; W_hz; W_hn], b_x (3H,), b_h (3H,), h (B, T, H).
The hidden bias sits inside the reset product (b_hn is multiplied by r_t),
so b_x and b_h are not interchangeable, and they are PyTorch's bias_ih and
bias_hh exactly: weights copy across unchanged.

The functions here are the equations as written, one step at a time, to
read and to check against (`gru_forward` takes a padding mask and reads in
reverse as plain loops).  The `GRU` layer runs the same math through the
fast path in rnnlib/kernels/gru.py, or these loops with `textbook=True`; a
test checks that both agree to 1e-12.
"""

from typing import NamedTuple

import numpy as np

from .activations import sigmoid
from .checks import (
    as_finite_array,
    as_float_array,
    check_finite,
    check_input,
    check_ndim,
    check_sequence,
    check_shape,
    check_state,
)
from .init import gate_blocks, orthogonal, xavier_uniform
from .kernels.gru import gru_backward_time_major, gru_forward_time_major
from .recurrent import HiddenStateLayer, padding_keep, time_steps


class GRUStepCache(NamedTuple):
    """What `gru_step_backward` needs from `gru_step_forward`."""

    x_t: np.ndarray  # (B, D)
    h_prev: np.ndarray  # (B, H)
    W_x: np.ndarray  # (3H, D)
    W_h: np.ndarray  # (3H, H)
    r: np.ndarray  # (B, H) reset gate
    z: np.ndarray  # (B, H) update gate
    n: np.ndarray  # (B, H) candidate
    hn: np.ndarray  # (B, H) h_prev W_hn^T + b_hn, the product r scales


class GRUCache(NamedTuple):
    """What `gru_backward` needs from `gru_forward`: one cache per step."""

    steps: list  # of GRUStepCache, in time order t = 0 … T-1
    shape: tuple  # (B, T, H) of the forward's h
    dtype: np.dtype
    keep: np.ndarray | None = None  # (B, T, 1) bool, False at padding steps
    reverse: bool = False  # read from t = T-1 down to 0


def _check_weights(W_x, W_h, b_x, b_h):
    """Validate W_x (3H, D), W_h (3H, H), b_x (3H,), b_h (3H,); return them as
    float arrays.  H is read from W_h.shape[1]; every other size must agree."""
    W_x = as_float_array("W_x", W_x)
    W_h = as_float_array("W_h", W_h)
    b_x = as_float_array("b_x", b_x)
    b_h = as_float_array("b_h", b_h)
    check_ndim("W_x", W_x, 2, "(3H, D)")
    check_ndim("W_h", W_h, 2, "(3H, H)")
    H = W_h.shape[1]
    note = f"with H = W_h.shape[1] = {H}"
    check_shape("W_h", W_h, (3 * H, H), "(3H, H)", note)
    check_shape("W_x", W_x, (3 * H, W_x.shape[1]), "(3H, D)", note)
    check_shape("b_x", b_x, (3 * H,), "(3H,)", note)
    check_shape("b_h", b_h, (3 * H,), "(3H,)", note)
    for name, value in (("W_x", W_x), ("W_h", W_h), ("b_x", b_x), ("b_h", b_h)):
        check_finite(name, value)
    return W_x, W_h, b_x, b_h


# ---------------------------------------------------------------------------
# One step
# ---------------------------------------------------------------------------


def _step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    """gru_step_forward without the input checks."""
    H = W_h.shape[1]
    gi = x_t @ W_x.T + b_x  # (B, 3H): the input's part of r, z, n
    gh = h_prev @ W_h.T + b_h  # (B, 3H): the state's part
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
    hn = gh[:, 2 * H :]
    n = np.tanh(gi[:, 2 * H :] + r * hn)
    h_next = (1.0 - z) * n + z * h_prev
    return h_next, GRUStepCache(x_t, h_prev, W_x, W_h, r, z, n, hn)


def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    """One time step of a GRU.

    gi = x_t @ W_x.T + b_x and gh = h_prev @ W_h.T + b_h, each split into
    three (B, H) blocks r, z, n:
        r = sigmoid(gi_r + gh_r),  z = sigmoid(gi_z + gh_z)
        n = tanh(gi_n + r * gh_n)
        h_next = (1 - z) * n + z * h_prev

    x_t (B, D), h_prev (B, H), W_x (3H, D), W_h (3H, H), b_x (3H,), b_h (3H,)
    Returns h_next (B, H) and a GRUStepCache for gru_step_backward.
    """
    W_x, W_h, b_x, b_h = _check_weights(W_x, W_h, b_x, b_h)
    D, H = W_x.shape[1], W_h.shape[1]
    x_t = check_input("x_t", x_t, "(B, D)", D, "W_x.shape[1]")
    check_finite("x_t", x_t)
    h_prev = check_state(
        "h_prev", h_prev, x_t.shape[0], H, x_t.dtype, default_zeros=False
    )
    return _step_forward(x_t, h_prev, W_x, W_h, b_x, b_h)


def _step_backward(dh_next, cache):
    """gru_step_backward without the input checks."""
    x_t, h_prev, W_x, W_h, r, z, n, hn = cache
    dn = dh_next * (1.0 - z)
    da_n = dn * (1.0 - n * n)  # through the tanh
    da_r = da_n * hn * r * (1.0 - r)
    da_z = dh_next * (h_prev - n) * z * (1.0 - z)
    dgi = np.concatenate([da_r, da_z, da_n], axis=1)
    dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)
    dx_t = dgi @ W_x
    dh_prev = dh_next * z + dgh @ W_h
    return (
        dx_t,
        dh_prev,
        dgi.T @ x_t,
        dgh.T @ h_prev,
        dgi.sum(axis=0),
        dgh.sum(axis=0),
    )


def gru_step_backward(dh_next, cache):
    """Backward pass of one GRU step.

    dh_next (B, H) = dL/dh_next.  With the saved r, z, n and gh_n:
        da_n = dh_next * (1 - z) * (1 - n**2)          (the candidate's input)
        da_r = da_n * gh_n * r (1 - r)
        da_z = dh_next * (h_prev - n) * z (1 - z)
        dgi  = [da_r, da_z, da_n]        dgh = [da_r, da_z, da_n * r]
        dx_t = dgi @ W_x                 dh_prev = dh_next * z + dgh @ W_h
        dW_x = dgi.T @ x_t               dW_h = dgh.T @ h_prev
        db_x = sum_B dgi                 db_h = sum_B dgh

    Returns dx_t (B, D), dh_prev (B, H), dW_x (3H, D), dW_h (3H, H),
    db_x (3H,), db_h (3H,).
    """
    dh_next = as_finite_array(
        "dh_next", dh_next, cache.z.shape, "(B, H)", "like h_next"
    )
    return _step_backward(dh_next, cache)


# ---------------------------------------------------------------------------
# Whole sequences: the CS231n loop over the steps
# ---------------------------------------------------------------------------


def gru_forward(x, h0, W_x, W_h, b_x, b_h, mask=None, reverse=False):
    """A GRU over whole sequences, the same weights at every step.

    h_t = (1 - z_t) * n_t + z_t * h_{t-1},  t = 1 … T  (see gru_step_forward)

    x (B, T, D), h0 (B, H) or None for zeros, W_x (3H, D), W_h (3H, H),
    b_x (3H,), b_h (3H,).  mask (B, T), optional: 1 for a real step, 0 for
    padding, where the state is carried over, h_t = h_{t-1}.  reverse=True
    reads the sequence from t = T down to 1 (h0 enters at t = T).
    Returns h (B, T, H), every hidden state, and a GRUCache for gru_backward.
    """
    W_x, W_h, b_x, b_h = _check_weights(W_x, W_h, b_x, b_h)
    D, H = W_x.shape[1], W_h.shape[1]
    x = check_sequence("x", x, D, "W_x.shape[1]")
    B, T, _ = x.shape
    h0 = check_state("h0", h0, B, H, x.dtype, default_zeros=True)
    keep = padding_keep(mask, B, T)
    dtype = np.result_type(x, h0, W_x, W_h, b_x, b_h)
    W_x, W_h, b_x, b_h = (a.astype(dtype, copy=False) for a in (W_x, W_h, b_x, b_h))
    h = np.empty((B, T, H), dtype=dtype)
    h_prev = h0.astype(dtype, copy=False)
    steps = [None] * T
    for t in time_steps(T, reverse):
        h_next, steps[t] = _step_forward(
            x[:, t].astype(dtype, copy=False), h_prev, W_x, W_h, b_x, b_h
        )
        if keep is not None:  # padding: carry the state over
            h_next = np.where(keep[:, t], h_next, h_prev)
        h[:, t] = h_prev = h_next
    return h, GRUCache(steps, (B, T, H), dtype, keep, bool(reverse))


def gru_backward(dh, cache):
    """Backpropagation through time for `gru_forward`.

    dh (B, T, H) is dL/dh_t from above each step (e.g. from the output layer).
    Walking the steps in the opposite order of the forward pass, each step
    receives dh[:, t] plus the dL/dh_t that the step read after it sent
    back, and passes dL/dh_{t-1} on; a padding step passes it on unchanged.
    Returns dx (B, T, D), dh0 (B, H), dW_x (3H, D), dW_h (3H, H), db_x (3H,),
    db_h (3H,); each weight gradient is summed over all T steps.
    """
    B, T, H = cache.shape
    dh = as_finite_array("dh", dh, (B, T, H), "(B, T, H)", "like the forward's h")
    dh = dh.astype(cache.dtype, copy=False)
    D = cache.steps[0].x_t.shape[1]
    dx = np.empty((B, T, D), dtype=cache.dtype)
    dweights = None
    dh_carry = np.zeros((B, H), dtype=cache.dtype)
    keep = cache.keep
    for t in reversed(time_steps(T, cache.reverse)):
        dh_t = dh[:, t] + dh_carry
        through = dh_t if keep is None else np.where(keep[:, t], dh_t, 0.0)
        dx[:, t], dh_carry, *dw = _step_backward(through, cache.steps[t])
        if keep is not None:  # padding: dL/dh_t goes straight to h_{t-1}
            dh_carry = dh_carry + np.where(keep[:, t], 0.0, dh_t)
        dweights = (
            dw
            if dweights is None
            else [a + b for a, b in zip(dweights, dw, strict=True)]
        )
    return (dx, dh_carry, *dweights)


# ---------------------------------------------------------------------------
# The layer
# ---------------------------------------------------------------------------


class GRU(HiddenStateLayer):
    """A (multi-layer, optionally bidirectional) GRU layer.

    Laid out like torch.nn.GRU(batch_first=True): layer k > 0 reads the
    outputs of layer k-1 (both directions concatenated); the reverse
    direction reads the sequence from the end.

        gru = GRU(input_size, hidden_size, num_layers=1, bidirectional=False,
                  seed=None, dtype=np.float64, textbook=False)
        out, h_n = gru.forward(x, h0=None, mask=None)
            x (B, T, D) -> out (B, T, dirs*H), h_n (num_layers*dirs, B, H)
        dx, dh0 = gru.backward(dout, dh_n=None)    fills gru.grads

    Parameters (gru.params, plain arrays you may assign), per layer k:
        W_x_l{k} (3H, D_k), W_h_l{k} (3H, H), b_x_l{k} (3H,), b_h_l{k} (3H,)
    and the same with "_reverse" appended for the reverse direction; gate
    blocks r, z, n; b_x and b_h are PyTorch's bias_ih and bias_hh.

    Initialisation, seeded, gate by gate: each (H, D_k) block of W_x Xavier
    uniform, each (H, H) block of W_h orthogonal, both biases zero.  (PyTorch
    draws everything from U(-1/sqrt(H), 1/sqrt(H)); the orthogonal blocks
    keep the untrained state from shrinking or growing through W_h.)  With
    zero biases the untrained gates sit at sigmoid(0) = 0.5.

    textbook=True runs `gru_forward` / `gru_backward` instead of the fast
    path in rnnlib/kernels/gru.py: the same numbers to 1e-12, slower.
    """

    weight_names = ("W_x", "W_h", "b_x", "b_h")

    def init_weights(self, input_size, rng):
        H = self.hidden_size
        return {
            "W_x": gate_blocks(xavier_uniform, 3, (H, input_size), rng, self.dtype),
            "W_h": gate_blocks(orthogonal, 3, (H, H), rng, self.dtype),
            "b_x": np.zeros(3 * H, dtype=self.dtype),
            "b_h": np.zeros(3 * H, dtype=self.dtype),
        }

    def kernel_forward(self, x_tm, h0, weights, reverse, skip, reuse):
        return gru_forward_time_major(x_tm, h0, *weights, reverse, skip, reuse)

    def kernel_backward(self, dh_tm, cache, dh_last):
        return gru_backward_time_major(dh_tm, cache, dh_last)

    def loop_forward(self, x, h0, weights, reverse, mask):
        return gru_forward(x, h0, *weights, mask, reverse)

    def loop_backward(self, dh, cache):
        return gru_backward(dh, cache)
