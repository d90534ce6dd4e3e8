"""The LSTM's fast path: the math of rnnlib/lstm.py, time-major, for whole
sequences.

Read `lstm_step_forward` / `lstm_forward` in rnnlib/lstm.py first; this is
the same recurrence, gate order i, f, g, o,

    a_t = x_t @ W_x.T + h_{t-1} @ W_h.T + b            (B, 4H): four gates
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)    g = tanh(a_g)
    c_t = f * c_{t-1} + i * g                          h_t = o * tanh(c_t)

rearranged for speed:

- the input projection x_t @ W_x.T does not depend on h, so it is one
  matrix product for all T steps before the loop; the loop adds
  h_{t-1} @ W_h.T + b;
- one exp call serves all four gates: sigmoid(z) = 1 / (1 + exp(-z)) and
  tanh(z) = 2 sigmoid(2z) - 1, so the i, f, o rows of the weights and of the
  bias are multiplied by -1 and the g rows by -2 once (exact in floating
  point), and tanh(c_t) = 2 sigmoid(2 c_t) - 1 the same way (NumPy's exp is
  faster than its tanh in float64: 2x on the machines measured);
- the backward pass computes each step's gate gradients while that step's
  arrays are in the CPU's cache; the weight gradients are sums over time,
  one matrix product each after the loop, as is dx;
- buffers are allocated once and the loop writes into them with `out=`;
  the layer hands the next call the buffers of the last (kernels/buffers.py).

Arrays are time-major, x_tm (T, B, D), h and c (T, B, H); W_x (4H, D),
W_h (4H, H), b (4H,).  No input checks: rnnlib/lstm.py and the LSTM layer
validate at the public boundary.
"""

from typing import NamedTuple

import numpy as np

from .buffers import reuse_or_empty


class LSTMKernelCache(NamedTuple):
    """What `lstm_backward_time_major` needs from the forward pass."""

    x_tm: np.ndarray  # (T, B, D) the inputs
    h0: np.ndarray  # (B, H) the states before the first step read
    c0: np.ndarray  # (B, H)
    W_x: np.ndarray  # (4H, D)
    W_h: np.ndarray  # (4H, H)
    gates: np.ndarray  # (T, B, 4H) [i, f, s_g, o] of every step, g = 2 s_g - 1
    h: np.ndarray  # (T, B, H) every hidden state
    c: np.ndarray  # (T, B, H) every cell state
    tanh_c: np.ndarray  # (T, B, H) tanh(c_t)
    da: np.ndarray  # (T, B, 4H) where the backward pass writes dL/da_t
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


def lstm_forward_time_major(
    x_tm, h0, c0, W_x, W_h, b, reverse=False, skip=None, reuse=None
):
    """The LSTM over a whole sequence, time-major and without input checks.

    x_tm (T, B, D), h0 and c0 (B, H), W_x (4H, D), W_h (4H, H), b (4H,).
    With reverse=True the sequence is read from t = T-1 down to 0 (the
    backward half of a bidirectional LSTM); h0, c0 then enter at t = T-1.
    Returns h (T, B, H), c (T, B, H) and a cache.

    skip (T, B, 1) bool, optional, marks padding: at a skipped step both
    states are carried over unchanged (h_t = h_{t-1}, c_t = c_{t-1}).

    reuse, optional, is the cache of an earlier call that nothing needs any
    more: its gates, c, tanh_c and da arrays are written over where their
    shapes fit (kernels/buffers.py says why).  The returned c is then one of
    them: the layer copies the final state out of it.

    The input projection x_t @ W_x.T + b does not depend on h, so it is one
    matrix product for all T steps; only h_{t-1} @ W_h.T stays in the loop.
    """
    T, B, D = x_tm.shape
    H = W_h.shape[1]
    dtype = x_tm.dtype
    scale = _gate_scale(H, dtype)
    # gates[t] holds x_t's part of a'_t = scale * a_t, then, in place, the
    # four sigmoids [i, f, s_g, o], where s_g = sigmoid(2 a_g) = (1 + g) / 2
    gates = reuse_or_empty(reuse, "gates", (T, B, 4 * H), dtype)
    c = reuse_or_empty(reuse, "c", (T, B, H), dtype)
    tanh_c = reuse_or_empty(reuse, "tanh_c", (T, B, H), dtype)
    da = reuse_or_empty(reuse, "da", (T, B, 4 * H), dtype)  # for the backward pass
    h = np.empty((T, B, H), dtype=dtype)
    np.matmul(
        x_tm.reshape(T * B, D),
        (W_x * scale[:, None]).T,
        out=gates.reshape(T * B, 4 * H),
    )
    W_h_T = np.ascontiguousarray((W_h * scale[:, None]).T)  # (H, 4H)
    b_scaled = b * scale
    recurrent = np.empty((B, 4 * H), dtype=dtype)
    g = np.empty((B, H), dtype=dtype)
    ig = np.empty((B, H), dtype=dtype)
    h_prev, c_prev = h0, c0
    # exp(a') overflows to inf for z far below 0, and 1 / (1 + inf) = 0 is
    # then the right sigmoid: the warning says nothing useful
    with np.errstate(over="ignore"):
        for t in range(T - 1, -1, -1) if reverse else range(T):
            s = gates[t]
            np.matmul(h_prev, W_h_T, out=recurrent)
            recurrent += b_scaled
            s += recurrent
            np.exp(s, out=s)
            s += 1.0
            np.divide(1.0, s, out=s)  # sigmoid(z) for i, f, o; sigmoid(2z) for g
            i, f, s_g, o = s[:, :H], s[:, H : 2 * H], s[:, 2 * H : 3 * H], s[:, 3 * H :]
            np.multiply(s_g, 2.0, out=g)
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
    cache = LSTMKernelCache(
        x_tm, h0, c0, W_x, W_h, gates, h, c, tanh_c, da, reverse, skip
    )
    return h, c, cache


def lstm_backward_time_major(dh_tm, cache, dh_last=None, dc_last=None):
    """BPTT for `lstm_forward_time_major`.

    dh_tm (T, B, H) is dL/dh_t from above each step (the output layer);
    dh_last and dc_last (B, H), optional, are dL/dh and dL/dc of the final
    state (h_n, c_n).  Returns dx (T, B, D), dh0 (B, H), dc0 (B, H),
    dW_x (4H, D), dW_h (4H, H), db (4H,).

    Per step, with dh = dh_tm[t] + (dL/dh_t from step t+1):
        dc      = dc_from_next + dh * o (1 - tanh(c_t)**2)
        da      = [dc g, dc c_{t-1}, dc i, dh tanh(c_t)] * [i(1-i), f(1-f), 1-g**2, o(1-o)]
        dh_prev = da @ W_h              dc_prev = dc * f
    The forward pass saved the four sigmoids s = [i, f, s_g, o], with
    g = 2 s_g - 1, so the second factor is s (1 - s) for the whole row but
    for g's block, where 1 - g**2 = 4 s_g (1 - s_g).  Each step's factors
    are computed in the loop, while the step's arrays are in the CPU's
    cache, and the blocks are multiplied in place into da_t.  The weight
    gradients are sums over time: one matrix product each after the loop,
    as is dx.  A skipped (padding) step passes dh and dc straight to the
    step before, da_t = 0.
    """
    x_tm, h0, c0, W_x, W_h, gates, h, c, tanh_c, da, reverse, skip = cache
    T, B, D = x_tm.shape
    H = W_h.shape[1]
    dtype = gates.dtype
    first, later, earlier = _time_order(T, reverse)
    act = gates.reshape(T, B, 4, H)
    da4 = da.reshape(T, B, 4, H)
    dh_carry = np.zeros((B, H), dtype) if dh_last is None else np.array(dh_last, dtype)
    dc = np.zeros((B, H), dtype) if dc_last is None else np.array(dc_last, dtype)
    dh = np.empty((B, H), dtype=dtype)
    scratch = np.empty((B, H), dtype=dtype)
    for t in range(T) if reverse else range(T - 1, -1, -1):
        s, tc, da_t = gates[t], tanh_c[t], da[t]
        i, f, s_g, o = act[t].transpose(1, 0, 2)
        d_i, d_f, d_g, d_o = da4[t].transpose(1, 0, 2)
        c_prev = c0 if t == first else c[t + 1 if reverse else t - 1]
        np.add(dh_tm[t], dh_carry, out=dh)  # dL/dh_t: from above + from t+1
        if skip is not None:
            dc_skipped = dc.copy()
        np.multiply(tc, tc, out=scratch)
        np.subtract(1.0, scratch, out=scratch)
        scratch *= o
        scratch *= dh
        dc += scratch  # dL/dc_t
        np.subtract(1.0, s, out=da_t)
        da_t *= s  # s (1 - s), every block
        np.multiply(s_g, dc, out=scratch)
        scratch *= 2.0
        scratch -= dc
        d_i *= scratch  # dc g, g = 2 s_g - 1
        np.multiply(c_prev, dc, out=scratch)
        d_f *= scratch  # dc c_{t-1}
        np.multiply(i, dc, out=scratch)
        scratch *= 4.0
        d_g *= scratch  # dc i 4 s_g (1 - s_g) = dc i (1 - g**2)
        np.multiply(tc, dh, out=scratch)
        d_o *= scratch  # dh tanh(c_t)
        dc *= f  # dL/dc_{t-1}
        if skip is not None:
            np.copyto(da_t, 0, where=skip[t])
            np.copyto(dc, dc_skipped, where=skip[t])
        np.matmul(da_t, W_h, out=dh_carry)  # dL/dh_{t-1}
        if skip is not None:
            np.copyto(dh_carry, dh, where=skip[t])
    dh0, dc0 = dh_carry, dc

    da_flat = da.reshape(T * B, 4 * H)
    dx = np.matmul(da_flat, W_x).reshape(T, B, D)
    # x.T @ da and h.T @ da, transposed, are the products BLAS does fastest
    dW_x = np.ascontiguousarray((x_tm.reshape(T * B, D).T @ da_flat).T)
    # h_{t-1} is h[t-1] for every step but the first, where it is h0
    dW_hT = h0.T @ da[first]
    if T > 1:
        dW_hT += h[earlier].reshape(-1, H).T @ da[later].reshape(-1, 4 * H)
    db = da_flat.sum(axis=0)
    return dx, dh0, dc0, dW_x, np.ascontiguousarray(dW_hT.T), db
