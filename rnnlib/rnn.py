"""The vanilla RNN: one step, a whole sequence, and the `RNN` layer.

The notes' equations, for one sequence:

    h_t = act(W_hh h_{t-1} + W_hx x_t + b_h)        act = tanh or relu

and for a batch (rows are sequences), as computed here:

    h_t = act(x_t @ W_hx.T + h_{t-1} @ W_hh.T + b_h)

Shapes: x (B, T, D), h0 (B, H), W_hx (H, D), W_hh (H, H), b_h (H,), h (B, T, H).
One set of weights serves every time step.

Backpropagation through time (BPTT) walks the steps backwards, carrying
dL/dh_{t-1} = (dL/dh_t * act'(a_t)) @ W_hh into the step before, and sums
each weight's gradient over all steps.
"""

import numpy as np

from .activations import ACTIVATIONS
from .checks import (
    as_float_array,
    check_choice,
    check_finite,
    check_input,
    check_ndim,
    check_shape,
    check_state,
)
from .init import orthogonal, xavier_uniform
from .recurrent import RecurrentLayer


def _check_weights(W_hx, W_hh, b_h):
    """Validate W_hx (H, D), W_hh (H, H), b_h (H,); return them as float arrays."""
    W_hx = as_float_array("W_hx", W_hx)
    W_hh = as_float_array("W_hh", W_hh)
    b_h = as_float_array("b_h", b_h)
    check_ndim("W_hx", W_hx, 2, "(H, D)")
    check_ndim("W_hh", W_hh, 2, "(H, H)")
    H = W_hx.shape[0]
    check_shape("W_hh", W_hh, (H, H), "(H, H)", f"with H = W_hx.shape[0] = {H}")
    check_shape("b_h", b_h, (H,), "(H,)", f"with H = W_hx.shape[0] = {H}")
    return W_hx, W_hh, b_h


def rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation="tanh"):
    """One time step of a vanilla RNN.

    h_next = act(x_t @ W_hx.T + h_prev @ W_hh.T + b_h)

    x_t (B, D), h_prev (B, H), W_hx (H, D), W_hh (H, H), b_h (H,)
    Returns h_next (B, H) and a cache for rnn_step_backward.
    """
    check_choice("activation", activation, tuple(ACTIVATIONS))
    W_hx, W_hh, b_h = _check_weights(W_hx, W_hh, b_h)
    H, D = W_hx.shape
    x_t = check_input("x_t", x_t, "(B, D)", D, "W_hx.shape[1]")
    check_finite("x_t", x_t)
    B = x_t.shape[0]
    h_prev = check_state("h_prev", h_prev, B, H, x_t.dtype, default_zeros=False)
    act, _ = ACTIVATIONS[activation]
    h_next = act(x_t @ W_hx.T + h_prev @ W_hh.T + b_h)
    return h_next, (x_t, h_prev, W_hx, W_hh, h_next, activation)


def rnn_step_backward(dh_next, cache):
    """Backward pass of one RNN step.

    With a = x_t @ W_hx.T + h_prev @ W_hh.T + b_h and h_next = act(a):
        da       = dh_next * act'(a)          (act' from the saved h_next)
        dx_t     = da @ W_hx        dh_prev = da @ W_hh
        dW_hx    = da.T @ x_t       dW_hh   = da.T @ h_prev     db_h = sum_B da

    dh_next (B, H). Returns dx_t (B, D), dh_prev (B, H), dW_hx (H, D),
    dW_hh (H, H), db_h (H,).
    """
    x_t, h_prev, W_hx, W_hh, h_next, activation = cache
    dh_next = as_float_array("dh_next", dh_next)
    check_shape("dh_next", dh_next, h_next.shape, "(B, H)", "like h_next")
    _, act_grad = ACTIVATIONS[activation]
    da = dh_next * act_grad(h_next)
    return da @ W_hx, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


# ---------------------------------------------------------------------------
# Whole sequences.  The work is done time-major, (T, B, ·), so that every
# step reads and writes one contiguous block; the public functions take and
# return batch-first arrays as views.
# ---------------------------------------------------------------------------


def rnn_forward_time_major(
    x_tm, h0, W_hx, W_hh, b_h, activation="tanh", reverse=False, skip=None
):
    """The RNN over a whole sequence, time-major and without input checks.

    x_tm (T, B, D), h0 (B, H).  With reverse=True the sequence is read from
    t = T-1 down to 0 (the backward half of a bidirectional RNN); h0 then
    enters at t = T-1.  Returns h (T, B, H) and a cache.

    skip (T, B, 1) bool, optional, marks padding: at a skipped step the
    state is carried over unchanged, h_t = h_{t-1}, so padding reaches no
    real step's state, whichever way the sequence is read.

    The input projection x_t @ W_hx.T + b_h does not depend on h, so it is
    one matrix product for all T steps; only h_{t-1} @ W_hh.T stays in the
    loop.
    """
    T, B, D = x_tm.shape
    H = W_hh.shape[0]
    h = np.matmul(x_tm.reshape(T * B, D), W_hx.T).reshape(T, B, H)
    h += b_h
    W_hh_T = W_hh.T
    recurrent = np.empty((B, H), dtype=h.dtype)
    h_prev = h0
    for t in range(T - 1, -1, -1) if reverse else range(T):
        h_t = h[t]
        np.matmul(h_prev, W_hh_T, out=recurrent)
        h_t += recurrent
        if activation == "tanh":
            np.tanh(h_t, out=h_t)
        else:
            np.maximum(h_t, 0, out=h_t)
        if skip is not None:
            np.copyto(h_t, h_prev, where=skip[t])
        h_prev = h_t
    return h, (x_tm, h0, h, W_hx, W_hh, activation, reverse, skip)


def rnn_backward_time_major(dh_tm, cache, dh_last=None):
    """BPTT for `rnn_forward_time_major`.

    dh_tm (T, B, H) is dL/dh_t from above each step (the output layer);
    dh_last (B, H), optional, is dL/dh of the final state (h_n).  Returns
    dx (T, B, D), dh0 (B, H), dW_hx (H, D), dW_hh (H, H), db_h (H,).

    The loop only carries the gradient back through W_hh; the weight
    gradients are sums over time, so they are one matrix product each
    after the loop:
        dW_hx = sum_t da_t.T @ x_t       dW_hh = sum_t da_t.T @ h_{t-1}
    A skipped (padding) step passes dL/dh_t straight to h_{t-1}, da_t = 0.
    """
    x_tm, h0, h, W_hx, W_hh, activation, reverse, skip = cache
    T, B, D = x_tm.shape
    H = W_hh.shape[0]
    _, act_grad = ACTIVATIONS[activation]
    da = act_grad(h)  # act'(a_t) for every step, then overwritten with da_t
    carry = np.zeros((B, H), dtype=h.dtype) if dh_last is None else dh_last.copy()
    total = np.empty((B, H), dtype=h.dtype)
    for t in range(T) if reverse else range(T - 1, -1, -1):
        np.add(dh_tm[t], carry, out=total)  # dL/dh_t: from above + from t+1
        da_t = da[t]
        da_t *= total
        if skip is not None:
            np.copyto(da_t, 0, where=skip[t])
        np.matmul(da_t, W_hh, out=carry)  # dL/dh_{t-1}
        if skip is not None:
            np.copyto(carry, total, where=skip[t])
    dh0 = carry

    da_flat = da.reshape(T * B, H)
    dx = np.matmul(da_flat, W_hx).reshape(T, B, D)
    dW_hx = da_flat.T @ x_tm.reshape(T * B, D)
    first, later, earlier = (
        (T - 1, slice(0, T - 1), slice(1, T))
        if reverse
        else (
            0,
            slice(1, T),
            slice(0, T - 1),
        )
    )
    # h_{t-1} is h[t-1] for every step but the first, where it is h0
    dW_hh = da[first].T @ h0
    if T > 1:
        dW_hh += da[later].reshape(-1, H).T @ h[earlier].reshape(-1, H)
    db_h = da_flat.sum(axis=0)
    return dx, dh0, dW_hx, dW_hh, db_h


def rnn_forward(x, h0, W_hx, W_hh, b_h, activation="tanh"):
    """A vanilla RNN over whole sequences, the same weights at every step.

    h_t = act(x_t @ W_hx.T + h_{t-1} @ W_hh.T + b_h),  t = 1 … T

    x (B, T, D), h0 (B, H) or None for zeros, W_hx (H, D), W_hh (H, H), b_h (H,)
    Returns h (B, T, H), every hidden state, and a cache for rnn_backward.
    """
    check_choice("activation", activation, tuple(ACTIVATIONS))
    W_hx, W_hh, b_h = _check_weights(W_hx, W_hh, b_h)
    H, D = W_hx.shape
    x = check_input("x", x, "(B, T, D)", D, "W_hx.shape[1]")
    check_finite("x", x)
    h0 = check_state("h0", h0, x.shape[0], H, x.dtype, default_zeros=True)
    dtype = np.result_type(x, h0, W_hx, W_hh, b_h)
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=dtype)
    h, cache = rnn_forward_time_major(
        x_tm, h0.astype(dtype, copy=False), W_hx, W_hh, b_h, activation
    )
    return h.transpose(1, 0, 2), cache


def rnn_backward(dh, cache):
    """Backpropagation through time for `rnn_forward`.

    dh (B, T, H) is dL/dh_t from above each step (e.g. from the output layer).
    Returns dx (B, T, D), dh0 (B, H), dW_hx (H, D), dW_hh (H, H), db_h (H,);
    each weight gradient is summed over all T steps.
    """
    x_tm, h0, h = cache[:3]
    T, B, _ = h.shape
    dh = as_float_array("dh", dh)
    check_shape("dh", dh, (B, T, h.shape[2]), "(B, T, H)", "like the forward's h")
    dx, dh0, dW_hx, dW_hh, db_h = rnn_backward_time_major(dh.transpose(1, 0, 2), cache)
    return dx.transpose(1, 0, 2), dh0, dW_hx, dW_hh, db_h


class RNN(RecurrentLayer):
    """A (multi-layer, optionally bidirectional) vanilla RNN layer.

    Laid out like torch.nn.RNN(batch_first=True): layer k > 0 reads the
    outputs of layer k-1 (both directions concatenated); the reverse
    direction reads the sequence from the end.

        out, h_n = rnn.forward(x, h0=None)   x (B, T, D) -> out (B, T, dirs*H),
                                             h_n (num_layers*dirs, B, H)
        dx, dh0 = rnn.backward(dout, dh_n=None)    fills rnn.grads

    Parameters (rnn.params, plain arrays you may assign), per layer k:
        W_hx_l{k} (H, D_k), W_hh_l{k} (H, H), b_h_l{k} (H,)
    and the same with "_reverse" appended for the reverse direction.
    b_h stands for PyTorch's b_ih + b_hh.  Initialisation: W_hx Xavier
    uniform, W_hh orthogonal, b_h zero.
    """

    weight_names = ("W_hx", "W_hh", "b_h")
    state_names = ("h0",)

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bidirectional=False,
        activation="tanh",
        seed=None,
        dtype=np.float64,
    ):
        check_choice("activation", activation, tuple(ACTIVATIONS))
        self.activation = activation
        super().__init__(
            input_size, hidden_size, num_layers, bidirectional, seed, dtype
        )

    def init_weights(self, input_size, rng):
        H = self.hidden_size
        return {
            "W_hx": xavier_uniform((H, input_size), rng, dtype=self.dtype),
            "W_hh": orthogonal((H, H), rng, dtype=self.dtype),
            "b_h": np.zeros(H, dtype=self.dtype),
        }

    def direction_forward(self, x_tm, state0, weights, reverse, skip):
        (h0,) = state0
        h, cache = rnn_forward_time_major(
            x_tm, h0, *weights, self.activation, reverse, skip
        )
        return h, (h[0] if reverse else h[-1],), cache

    def direction_backward(self, dh_tm, dstate_last, cache):
        (dh_last,) = dstate_last
        dx, dh0, *dweights = rnn_backward_time_major(dh_tm, cache, dh_last)
        return dx, (dh0,), dweights

    def forward(self, x, h0=None, mask=None):
        """x (B, T, D), h0 (num_layers*dirs, B, H) or None for zeros.

        Returns out (B, T, dirs*H), the top layer's hidden states, and
        h_n (num_layers*dirs, B, H), every layer's and direction's last state.

        mask (B, T), optional: 1 for a real step, 0 for padding.  At a
        padding step every state is carried over unchanged, so padding
        (anywhere, read in either direction) changes no real step's output,
        and h_n holds each sequence's state after its last real step (for
        the reverse direction: after its first).  This is what PyTorch's
        pack_padded_sequence gives; out at padding steps repeats the state.
        """
        out, (h_n,) = self.run_forward(x, (h0,), mask)
        return out, h_n

    def backward(self, dout, dh_n=None):
        """dout (B, T, dirs*H) = dL/dout; dh_n like h_n, or None.

        Fills self.grads (same keys as self.params) and returns
        dx (B, T, D) and dh0 (num_layers*dirs, B, H).
        """
        dx, (dh0,) = self.run_backward(dout, (dh_n,))
        return dx, dh0
