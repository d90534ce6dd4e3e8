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
- the backward pass multiplies the upstream gradients into factors that
  depend only on saved activations, computed a block of steps at a time
  before the steps that use them (few NumPy calls, and the block stays in
  the CPU's cache); the weight gradients are sums over time, one matrix
  product each after the loop, as is dx;
- buffers are allocated once and the loop writes into them with `out=`;
  the layer hands the next call the buffers of the last (kernels/buffers.py).

Arrays are time-major, x_tm (T, B, D), h and c (T, B, H); W_x (4H, D),
W_h (4H, H), b (4H,).  No input checks: rnnlib/lstm.py and the LSTM layer
validate at the public boundary.
"""

from typing import NamedTuple

import numpy as np

from .buffers import reuse_or_empty
from .steps import sum_h_prev_outer


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


# The backward pass computes the factors K of a block of steps at once (few
# NumPy calls: what short sequences and small batches need) whose da stays in
# the CPU's cache until the steps use it (what large ones need).  1 MiB, the
# L2 cache of the machines measured, was fastest at every benchmark size.
BLOCK_BYTES = 1024 * 1024


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
    The bracketed factor and K hold only saved activations, so they are
    computed before the steps that use them, a block of steps at a time
    (`_factors`), and K is then overwritten with da step by step.  The
    weight gradients are sums over time: one matrix product each after the
    loop, as is dx.  A skipped (padding) step passes dh and dc straight to
    the step before, da_t = 0.
    """
    x_tm, h0, c0, W_x, W_h, gates, h, c, tanh_c, da, reverse, skip = cache
    T, B, D = x_tm.shape
    H = W_h.shape[1]
    dtype = gates.dtype
    f = gates.reshape(T, B, 4, H)[:, :, 1]
    da4 = da.reshape(T, B, 4, H)
    steps = max(1, BLOCK_BYTES // (B * 4 * H * gates.itemsize))
    dc_from_h = np.empty((min(steps, T), B, H), dtype=dtype)
    dh_carry = np.zeros((B, H), dtype) if dh_last is None else np.array(dh_last, dtype)
    dc = np.zeros((B, H), dtype) if dc_last is None else np.array(dc_last, dtype)
    dh = np.empty((B, H), dtype=dtype)
    for lo, hi in _blocks(T, steps, reverse):
        _factors(cache, lo, hi, dc_from_h)
        for t in range(lo, hi) if reverse else range(hi - 1, lo - 1, -1):
            np.add(dh_tm[t], dh_carry, out=dh)  # dL/dh_t: from above + from t+1
            if skip is not None:
                dc_skipped = dc.copy()
            d_t = dc_from_h[t - lo]
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
    # x.T @ da and h.T @ da, transposed, are the products BLAS does fastest
    dW_x = np.ascontiguousarray((x_tm.reshape(T * B, D).T @ da_flat).T)
    dW_hT = sum_h_prev_outer(h0, h, da, reverse)
    db = da_flat.sum(axis=0)
    return dx, dh0, dc0, dW_x, np.ascontiguousarray(dW_hT.T), db


def _blocks(T, steps, reverse):
    """(lo, hi) of blocks of at most `steps` steps, in the order the
    backward pass reads them (t = T-1 down to 0, or up for reverse)."""
    if reverse:
        return [(lo, min(T, lo + steps)) for lo in range(0, T, steps)]
    return [(max(0, hi - steps), hi) for hi in range(T, 0, -steps)]


def _factors(cache, lo, hi, dc_from_h):
    """K_t into cache.da[t] and o (1 - tanh(c_t)**2) into dc_from_h[t - lo],
    for the steps lo <= t < hi.  The forward pass saved the four sigmoids
    s = [i, f, s_g, o], g = 2 s_g - 1, so K_t = s (1 - s) * [g, c_{t-1}, 4 i,
    tanh(c_t)]: for g's block 1 - g**2 = 4 s_g (1 - s_g)."""
    _, _, c0, _, _, gates, _, c, tanh_c, da, reverse, _ = cache
    s, k, tc = gates[lo:hi], da[lo:hi], tanh_c[lo:hi]
    n, B, H = tc.shape
    act, k4 = s.reshape(n, B, 4, H), k.reshape(n, B, 4, H)
    np.subtract(1.0, s, out=k)
    k *= s  # s (1 - s), every block
    g = dc_from_h[:n]  # as scratch first
    np.multiply(act[:, :, 2], 2.0, out=g)
    g -= 1.0
    k4[:, :, 0] *= g
    _times_previous_c(k4[:, :, 1], c, c0, lo, hi, reverse)
    k4[:, :, 2] *= act[:, :, 0]
    k4[:, :, 2] *= 4.0
    k4[:, :, 3] *= tc
    out = dc_from_h[:n]
    np.multiply(tc, tc, out=out)
    np.subtract(1.0, out, out=out)
    out *= act[:, :, 3]  # dc_t / dh_t = o (1 - tanh(c_t)**2)


def _times_previous_c(k_f, c, c0, lo, hi, reverse):
    """k_f (hi - lo, B, H) *= c_{t-1} of the steps lo <= t < hi, where the
    state before the first step read is c0."""
    T = len(c)
    if not reverse and lo == 0:
        k_f[0] *= c0
        k_f[1:] *= c[: hi - 1]
    elif not reverse:
        k_f *= c[lo - 1 : hi - 1]
    elif hi == T:
        k_f[-1] *= c0
        k_f[:-1] *= c[lo + 1 :]
    else:
        k_f *= c[lo + 1 : hi + 1]
