"""The LSTM's fast path: the math of rnnlib/lstm.py, time-major, for whole
sequences.

Read `lstm_step_forward` / `lstm_forward` in rnnlib/lstm.py first; this is
the same recurrence, gate order i, f, g, o,

    a_t = x_t @ W_x.T + h_{t-1} @ W_h.T + b            (B, 4H): four gates
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)    g = tanh(a_g)
    c_t = f * c_{t-1} + i * g                          h_t = o * tanh(c_t)

rearranged for speed:

- the input projection x_t @ W_x.T + b does not depend on h, so it is one
  matrix product for all T steps before the loop; the loop keeps only
  h_{t-1} @ W_h.T;
- one exp call serves all four gates: sigmoid(z) = 1 / (1 + exp(-z)) and
  tanh(z) = 2 sigmoid(2z) - 1, so the i, f, o rows of the weights and of the
  bias are multiplied by -1 and the g rows by -2 once (exact in floating
  point), and tanh(c_t) = 2 sigmoid(2 c_t) - 1 the same way (NumPy's exp is
  faster than its tanh: 2-4x on the machines measured);
- the backward pass multiplies the upstream gradients into factors that
  depend only on saved activations, computed for all steps before the
  loop; the weight gradients are sums over time, one matrix product each
  after the loop, as is dx;
- buffers are allocated once; the loop writes into them with `out=`.

Arrays are time-major, x_tm (T, B, D), h and c (T, B, H); W_x (4H, D),
W_h (4H, H), b (4H,).  No input checks: rnnlib/lstm.py and the LSTM layer
validate at the public boundary.
"""

from typing import NamedTuple

import numpy as np


class LSTMKernelCache(NamedTuple):
    """What `lstm_backward_time_major` needs from the forward pass."""

    x_tm: np.ndarray  # (T, B, D) the inputs
    h0: np.ndarray  # (B, H) the states before the first step read
    c0: np.ndarray  # (B, H)
    W_x: np.ndarray  # (4H, D)
    W_h: np.ndarray  # (4H, H)
    gates: np.ndarray  # (T, B, 4H) the activations [i, f, g, o] of every step
    h: np.ndarray  # (T, B, H) every hidden state
    c: np.ndarray  # (T, B, H) every cell state
    tanh_c: np.ndarray  # (T, B, H) tanh(c_t)
    reverse: bool  # read from t = T-1 down to 0
    skip: np.ndarray | None  # (T, B, 1) bool, True at padding steps


def _gate_scale(H, dtype):
    """Per-column factor of the 4H gate columns: -1 for the sigmoid gates
    i, f, o and -2 for the candidate g, so that with a' = scale * a every
    gate is the one expression 1 / (1 + exp(a')): sigmoid(a) for i, f, o and
    sigmoid(2a) = (1 + tanh(a)) / 2 for g.  Scaling by -1 and -2 is exact in
    floating point."""
    scale = np.full(4 * H, -1.0, dtype=dtype)
    scale[2 * H : 3 * H] = -2.0
    return scale


def _time_order(T, reverse):
    """(first, later, earlier): the first step read, and the slices of the
    other steps and of the steps just before them in reading order."""
    if reverse:
        return T - 1, slice(0, T - 1), slice(1, T)
    return 0, slice(1, T), slice(0, T - 1)


def lstm_forward_time_major(x_tm, h0, c0, W_x, W_h, b, reverse=False, skip=None):
    """The LSTM over a whole sequence, time-major and without input checks.

    x_tm (T, B, D), h0 and c0 (B, H), W_x (4H, D), W_h (4H, H), b (4H,).
    With reverse=True the sequence is read from t = T-1 down to 0 (the
    backward half of a bidirectional LSTM); h0, c0 then enter at t = T-1.
    Returns h (T, B, H), c (T, B, H) and a cache.

    skip (T, B, 1) bool, optional, marks padding: at a skipped step both
    states are carried over unchanged (h_t = h_{t-1}, c_t = c_{t-1}).

    The input projection x_t @ W_x.T + b does not depend on h, so it is one
    matrix product for all T steps; only h_{t-1} @ W_h.T stays in the loop.
    """
    T, B, D = x_tm.shape
    H = W_h.shape[1]
    dtype = x_tm.dtype
    scale = _gate_scale(H, dtype)
    # gates[t] holds a'_t = scale * a_t, then, in place, the activations
    # [i, f, g, o]
    gates = np.matmul(x_tm.reshape(T * B, D), (W_x * scale[:, None]).T)
    gates += b * scale
    gates = gates.reshape(T, B, 4 * H)
    W_h_T = np.ascontiguousarray((W_h * scale[:, None]).T)  # (H, 4H)
    h = np.empty((T, B, H), dtype=dtype)
    c = np.empty((T, B, H), dtype=dtype)
    tanh_c = np.empty((T, B, H), dtype=dtype)
    recurrent = np.empty((B, 4 * H), dtype=dtype)
    ig = np.empty((B, H), dtype=dtype)
    h_prev, c_prev = h0, c0
    # exp(a') overflows to inf for z far below 0, and 1 / (1 + inf) = 0 is
    # then the right sigmoid: the warning says nothing useful
    with np.errstate(over="ignore"):
        for t in range(T - 1, -1, -1) if reverse else range(T):
            a = gates[t]
            np.matmul(h_prev, W_h_T, out=recurrent)
            a += recurrent
            np.exp(a, out=a)
            a += 1.0
            np.divide(1.0, a, out=a)  # sigmoid(z) for i, f, o; sigmoid(2z) for g
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            g *= 2.0
            g -= 1.0  # 2 sigmoid(2z) - 1 = tanh(z)
            c_t, h_t, tc_t = c[t], h[t], tanh_c[t]
            np.multiply(f, c_prev, out=c_t)
            np.multiply(i, g, out=ig)
            c_t += ig  # c_t = f * c_{t-1} + i * g
            np.multiply(c_t, -2.0, out=tc_t)
            np.exp(tc_t, out=tc_t)
            tc_t += 1.0
            np.divide(2.0, tc_t, out=tc_t)
            tc_t -= 1.0  # 2 sigmoid(2 c_t) - 1 = tanh(c_t)
            np.multiply(o, tc_t, out=h_t)  # h_t = o * tanh(c_t)
            if skip is not None:
                np.copyto(c_t, c_prev, where=skip[t])
                np.copyto(h_t, h_prev, where=skip[t])
            h_prev, c_prev = h_t, c_t
    cache = LSTMKernelCache(x_tm, h0, c0, W_x, W_h, gates, h, c, tanh_c, reverse, skip)
    return h, c, cache


def lstm_backward_time_major(dh_tm, cache, dh_last=None, dc_last=None):
    """BPTT for `lstm_forward_time_major`.

    dh_tm (T, B, H) is dL/dh_t from above each step (the output layer);
    dh_last and dc_last (B, H), optional, are dL/dh and dL/dc of the final
    state (h_n, c_n).  Returns dx (T, B, D), dh0 (B, H), dc0 (B, H),
    dW_x (4H, D), dW_h (4H, H), db (4H,).

    Per step, with dh = dh_tm[t] + (dL/dh_t from step t+1):
        dc      = dc_from_next + dh * [o (1 - tanh(c_t)**2)]
        da      = [dc, dc, dc, dh] * K_t,  K_t = [g i(1-i), c_{t-1} f(1-f),
                                                  i (1-g**2), tanh(c_t) o(1-o)]
        dh_prev = da @ W_h              dc_prev = dc * f
    The bracketed factors and K hold only saved activations, so they are
    computed for all steps before the loop.  The weight gradients are sums
    over time: one matrix product each after the loop.  A skipped (padding)
    step passes dh and dc straight to the step before, da_t = 0.
    """
    x_tm, h0, c0, W_x, W_h, gates, h, c, tanh_c, reverse, skip = cache
    T, B, D = x_tm.shape
    H = W_h.shape[1]
    dtype = gates.dtype
    first, later, earlier = _time_order(T, reverse)
    act = gates.reshape(T, B, 4, H)
    i, f, g, o = act[:, :, 0], act[:, :, 1], act[:, :, 2], act[:, :, 3]

    # K, overwritten step by step with da_t = dL/da_t
    da = np.empty((T, B, 4 * H), dtype=dtype)
    da4 = da.reshape(T, B, 4, H)
    np.subtract(1.0, gates, out=da)
    da *= gates  # s (1 - s): the sigmoid derivative of i, f, o
    da4[:, :, 0] *= g
    da4[later, :, 1] *= c[earlier]
    da4[first, :, 1] *= c0
    k_g = da4[:, :, 2]
    np.multiply(g, g, out=k_g)
    np.subtract(1.0, k_g, out=k_g)
    k_g *= i
    da4[:, :, 3] *= tanh_c
    dc_from_h = np.multiply(tanh_c, tanh_c)
    np.subtract(1.0, dc_from_h, out=dc_from_h)
    dc_from_h *= o  # dc_t / dh_t = o (1 - tanh(c_t)**2)

    dh_carry = np.zeros((B, H), dtype) if dh_last is None else np.array(dh_last, dtype)
    dc = np.zeros((B, H), dtype) if dc_last is None else np.array(dc_last, dtype)
    dh = np.empty((B, H), dtype=dtype)
    for t in range(T) if reverse else range(T - 1, -1, -1):
        np.add(dh_tm[t], dh_carry, out=dh)  # dL/dh_t: from above + from t+1
        if skip is not None:
            dc_skipped = dc.copy()
        d_t = dc_from_h[t]
        d_t *= dh
        dc += d_t  # dL/dc_t
        da_t = da4[t]
        da_t[:, :3] *= dc[:, None, :]  # i, f, g
        da_t[:, 3] *= dh  # o
        dc *= f[t]  # dL/dc_{t-1}
        if skip is not None:
            np.copyto(da[t], 0, where=skip[t])
            np.copyto(dc, dc_skipped, where=skip[t])
        np.matmul(da[t], W_h, out=dh_carry)  # dL/dh_{t-1}
        if skip is not None:
            np.copyto(dh_carry, dh, where=skip[t])
    dh0, dc0 = dh_carry, dc

    da_flat = da.reshape(T * B, 4 * H)
    dx = np.matmul(da_flat, W_x).reshape(T, B, D)
    dW_x = da_flat.T @ x_tm.reshape(T * B, D)
    # h_{t-1} is h[t-1] for every step but the first, where it is h0
    dW_h = da[first].T @ h0
    if T > 1:
        dW_h += da[later].reshape(-1, 4 * H).T @ h[earlier].reshape(-1, H)
    db = da_flat.sum(axis=0)
    return dx, dh0, dc0, dW_x, dW_h, db
