"""The vanilla RNN's fast path: the math of rnnlib/rnn.py, time-major, for
whole sequences.

Read `rnn_step_forward` / `rnn_forward` in rnnlib/rnn.py first; this is the
same recurrence,

    h_t = act(x_t @ W_hx.T + h_{t-1} @ W_hh.T + b_h)        act = tanh or relu

rearranged for speed:

- the input projection x_t @ W_hx.T + b_h does not depend on h, so it is one
  matrix product for all T steps before the loop; the loop keeps only
  h_{t-1} @ W_hh.T;
- the weight gradients are sums over time, dW_hx = sum_t da_t.T @ x_t and
  dW_hh = sum_t da_t.T @ h_{t-1}: one matrix product each after the loop,
  as is dx;
- tanh(a) = 2 / (1 + exp(-2a)) - 1, with the weights and bias multiplied
  by -2 once (exact in floating point): NumPy's exp is faster than its
  tanh (2-4x on the machines measured);
- buffers are allocated once; the loop writes into them with `out=`.

Arrays are time-major, x_tm (T, B, D), h (T, B, H), so every step reads and
writes one contiguous block; W_hx (H, D), W_hh (H, H), b_h (H,).  No input
checks: rnnlib/rnn.py and the RNN layer validate at the public boundary.
"""

from typing import NamedTuple

import numpy as np

from .buffers import reuse_or_empty
from .steps import time_order


class RNNKernelCache(NamedTuple):
    """What `rnn_backward_time_major` needs from the forward pass."""

    x_tm: np.ndarray  # (T, B, D) the inputs
    h0: np.ndarray  # (B, H) the state before the first step read
    h: np.ndarray  # (T, B, H) every hidden state
    W_hx: np.ndarray  # (H, D)
    W_hh: np.ndarray  # (H, H)
    da: np.ndarray  # (T, B, H) where the backward pass writes dL/da_t
    activation: str  # "tanh" or "relu"
    reverse: bool  # read from t = T-1 down to 0
    skip: np.ndarray | None  # (T, B, 1) bool, True at padding steps


def rnn_forward_time_major(
    x_tm, h0, W_hx, W_hh, b_h, activation="tanh", reverse=False, skip=None, reuse=None
):
    """The RNN over a whole sequence, time-major and without input checks.

    x_tm (T, B, D), h0 (B, H), W_hx (H, D), W_hh (H, H), b_h (H,), all of one
    dtype.  With reverse=True the sequence is read from t = T-1 down to 0
    (the backward half of a bidirectional RNN); h0 then enters at t = T-1.
    skip (T, B, 1) bool, optional, marks padding: at a skipped step the
    state is carried over unchanged, h_t = h_{t-1}, so padding reaches no
    real step's state, whichever way the sequence is read.  reuse,
    optional, is the cache of an earlier call that nothing needs any more:
    its da array is written over if its shape fits (kernels/buffers.py).

    Returns h (T, B, H), every hidden state, and an RNNKernelCache.
    """
    T, B, D = x_tm.shape
    H = W_hh.shape[0]
    scale = -2.0 if activation == "tanh" else 1.0
    # h[t] holds scale * (x_t @ W_hx.T + b_h), then, in place, h_t
    h = np.matmul(x_tm.reshape(T * B, D), (scale * W_hx).T).reshape(T, B, H)
    h += scale * b_h
    W_hh_T = np.ascontiguousarray((scale * W_hh).T)
    recurrent = np.empty((B, H), dtype=h.dtype)
    h_prev = h0
    # exp(-2a) overflows to inf for a far below 0, and 2 / (1 + inf) - 1 = -1
    # is then the right tanh: the warning says nothing useful
    with np.errstate(over="ignore"):
        for t in range(T - 1, -1, -1) if reverse else range(T):
            h_t = h[t]
            np.matmul(h_prev, W_hh_T, out=recurrent)
            h_t += recurrent
            if activation == "tanh":
                np.exp(h_t, out=h_t)
                h_t += 1.0
                np.divide(2.0, h_t, out=h_t)
                h_t -= 1.0
            else:
                np.maximum(h_t, 0, out=h_t)
            if skip is not None:
                np.copyto(h_t, h_prev, where=skip[t])
            h_prev = h_t
    da = reuse_or_empty(reuse, "da", (T, B, H), h.dtype)  # for the backward pass
    return h, RNNKernelCache(x_tm, h0, h, W_hx, W_hh, da, activation, reverse, skip)


def rnn_backward_time_major(dh_tm, cache, dh_last=None):
    """BPTT for `rnn_forward_time_major`.

    dh_tm (T, B, H) is dL/dh_t from above each step (the output layer);
    dh_last (B, H), optional, is dL/dh of the final state (h_n).  Returns
    dx (T, B, D), dh0 (B, H), dW_hx (H, D), dW_hh (H, H), db_h (H,).

    Per step, with dh = dh_tm[t] + (dL/dh_t from step t+1):
        da_t = dh * act'(a_t)        dL/dh_{t-1} = da_t @ W_hh
    act'(a_t) depends only on the saved h_t, so it is computed for all steps
    before the loop and overwritten with da_t step by step.  A skipped
    (padding) step passes dh straight to h_{t-1}, da_t = 0.
    """
    x_tm, h0, h, W_hx, W_hh, da, activation, reverse, skip = cache
    T, B, D = x_tm.shape
    H = W_hh.shape[0]
    dtype = h.dtype
    # act'(a_t) from the saved h_t, for every step, then overwritten with da_t:
    # 1 - h_t**2 for tanh, 1 where h_t > 0 for relu (as activations.ACTIVATIONS)
    if activation == "tanh":
        np.multiply(h, h, out=da)
        np.subtract(1.0, da, out=da)
    else:
        np.greater(h, 0, out=da)
    carry = np.zeros((B, H), dtype) if dh_last is None else np.array(dh_last, dtype)
    total = np.empty((B, H), dtype=dtype)
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
    # h_{t-1} is h[t-1] for every step but the first read, where it is h0
    first, later, earlier = time_order(T, reverse)
    dW_hh = da[first].T @ h0
    if T > 1:
        dW_hh += da[later].reshape(-1, H).T @ h[earlier].reshape(-1, H)
    db_h = da_flat.sum(axis=0)
    return dx, dh0, dW_hx, dW_hh, db_h
