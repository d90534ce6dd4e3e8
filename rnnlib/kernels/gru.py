"""The GRU's fast path: the math of rnnlib/gru.py, time-major, for whole sequences.

Read `gru_step_forward` / `gru_step_backward` in rnnlib/gru.py first; this
is the same recurrence,

    r_t = sigmoid(x_t W_ir^T + b_ir + h_{t-1} W_hr^T + b_hr)     reset gate
    z_t = sigmoid(x_t W_iz^T + b_iz + h_{t-1} W_hz^T + b_hz)     update gate
    n_t = tanh(x_t W_in^T + b_in + r_t * (h_{t-1} W_hn^T + b_hn))  candidate
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

rearranged for speed:

- the input projection x_t @ W_x.T + b_x does not depend on h, so it is one
  matrix product for all T steps before the loop; the loop keeps only
  h_{t-1} @ W_h.T;
- sigmoid(a) = 1 / (1 + exp(-a)) and tanh(v) = 2 / (1 + exp(-2v)) - 1:
  NumPy's exp is several times faster than its tanh in float64, and the
  factors -1 (r, z) and -2 (n) are folded into the weights and biases once
  (exact in floating point), so each step calls exp on the pre-activations
  as they come out of the products.  exp may overflow to inf for very
  large |a|, which gives the exact limits 0 and -1;
- the activations are stored gate by gate, (3, T, B, H), so that each
  step's r, z and n are contiguous (B, H) blocks: NumPy takes 2-3x as long
  over a strided slice of a (B, 3H) row;
- the backward pass computes each step's gate gradients while that step's
  arrays are in the CPU's cache; the weight gradients are sums over time,
  one matrix product over all steps each after the loop, as is dx;
- buffers are allocated once and the loop writes into them with `out=`;
  the layer hands the next call the buffers of the last (kernels/buffers.py).

Arrays are time-major, x_tm (T, B, D), h (T, B, H); W_x (3H, D), W_h (3H, H),
b_x (3H,), b_h (3H,), blocks in the order r, z, n (PyTorch's).  No input
checks: rnnlib/gru.py and the GRU layer validate at the public boundary.
"""

from typing import NamedTuple

import numpy as np

from .buffers import reuse_or_empty
from .steps import sum_h_prev_outer, time_order


class GRUKernelCache(NamedTuple):
    """What `gru_backward_time_major` needs from the forward pass."""

    x_tm: np.ndarray  # (T, B, D) the inputs
    h0: np.ndarray  # (B, H) the state before the first step read
    W_x: np.ndarray  # (3H, D)
    W_h: np.ndarray  # (3H, H)
    gates: np.ndarray  # (3, T, B, H) the activations r, z, n of every step
    hn: np.ndarray  # (T, B, H) -2 (h_{t-1} W_hn^T + b_hn), -2 times what r_t scales
    h: np.ndarray  # (T, B, H) every hidden state
    dg: np.ndarray  # (T, B, 4H) where the backward pass writes [da_n, dgh_t]
    reverse: bool  # read from t = T-1 down to 0
    skip: np.ndarray | None  # (T, B, 1) bool, True at padding steps


def _gate_scale(H, dtype):
    """Per-column factor of the 3H gate columns: -1 for the sigmoid gates r
    and z (sigmoid(a) = 1 / (1 + exp(-a))), -2 for the tanh candidate n
    (tanh(v) = 2 / (1 + exp(-2v)) - 1)."""
    scale = np.full(3 * H, -1.0, dtype=dtype)
    scale[2 * H :] = -2.0
    return scale


def gru_forward_time_major(
    x_tm, h0, W_x, W_h, b_x, b_h, reverse=False, skip=None, reuse=None
):
    """The GRU over a whole sequence, time-major and without input checks.

    x_tm (T, B, D), h0 (B, H), W_x (3H, D), W_h (3H, H), b_x (3H,), b_h (3H,),
    all of one dtype.  With reverse=True the sequence is read from t = T-1
    down to 0 (the backward half of a bidirectional GRU); h0 then enters at
    t = T-1.  skip (T, B, 1) bool, optional, marks padding: at a skipped
    step the state is carried over unchanged, h_t = h_{t-1}.  reuse,
    optional, is the cache of an earlier call that nothing needs any more:
    its arrays but h are written over where their shapes fit
    (kernels/buffers.py says why).

    Returns h (T, B, H), every hidden state, and a GRUKernelCache.
    """
    T, B, D = x_tm.shape
    H = W_h.shape[1]
    dtype = x_tm.dtype
    scale = _gate_scale(H, dtype)
    # gates[k, t] holds gate k's input part of the pre-activations (times -1
    # for r and z, their hidden biases b_hr, b_hz folded in, times -2 for n),
    # then, in place, the activations r, z, n: gate by gate, so that every
    # (B, H) block is contiguous
    gates = reuse_or_empty(reuse, "gates", (3, T, B, H), dtype)
    hn = reuse_or_empty(reuse, "hn", (T, B, H), dtype)
    dg = reuse_or_empty(reuse, "dg", (T, B, 4 * H), dtype)  # for the backward pass
    h = np.empty((T, B, H), dtype=dtype)
    W_x_T = (W_x * scale[:, None]).reshape(3, H, D).transpose(0, 2, 1)  # (3, D, H)
    np.matmul(x_tm.reshape(T * B, D), W_x_T, out=gates.reshape(3, T * B, H))
    bias = b_x.copy()
    bias[: 2 * H] += b_h[: 2 * H]
    gates += (bias * scale).reshape(3, 1, 1, H)
    W_h_T = np.ascontiguousarray(
        (W_h * scale[:, None]).reshape(3, H, H).transpose(0, 2, 1)
    )  # (3, H, H)
    b_hn = b_h[2 * H :] * scale[2 * H :]
    recurrent = np.empty((3, B, H), dtype=dtype)
    h_prev = h0
    with np.errstate(over="ignore"):  # exp(large) = inf gives the exact limits
        for t in range(T - 1, -1, -1) if reverse else range(T):
            rz, (r, z, n) = gates[:2, t], gates[:, t]
            np.matmul(h_prev, W_h_T, out=recurrent)
            rz += recurrent[:2]  # -a for r and z
            np.exp(rz, out=rz)
            rz += 1.0
            np.divide(1.0, rz, out=rz)  # 1 / (1 + exp(-a)) = sigmoid(a)
            hn_t = hn[t]
            np.add(recurrent[2], b_hn, out=hn_t)  # -2 (h W_hn^T + b_hn)
            h_t = h[t]
            np.multiply(r, hn_t, out=h_t)  # r * (...), h_t as scratch
            n += h_t  # -2 v
            np.exp(n, out=n)
            n += 1.0
            np.divide(2.0, n, out=n)
            n -= 1.0  # 2 / (1 + exp(-2v)) - 1 = tanh(v)
            np.subtract(h_prev, n, out=h_t)  # h_t = n + z (h_{t-1} - n)
            h_t *= z
            h_t += n
            if skip is not None:
                np.copyto(h_t, h_prev, where=skip[t])
            h_prev = h_t
    cache = GRUKernelCache(x_tm, h0, W_x, W_h, gates, hn, h, dg, reverse, skip)
    return h, cache


def gru_backward_time_major(dh_tm, cache, dh_last=None):
    """BPTT for `gru_forward_time_major`.

    dh_tm (T, B, H) is dL/dh_t from above each step (the output layer);
    dh_last (B, H), optional, is dL/dh of the final state (h_n).  Returns
    dx (T, B, D), dh0 (B, H), dW_x (3H, D), dW_h (3H, H), db_x (3H,), db_h (3H,).

    Per step, with dh = dh_tm[t] + (dL/dh_t from step t+1), the gradients of
    the input part gi = x_t W_x^T + b_x and the hidden part gh = h W_h^T + b_h
    of the pre-activations (see gru_step_backward):
        da_n = dh (1 - z)(1 - n**2)
        da_r = da_n hn r (1 - r)          (hn = h_{t-1} W_hn^T + b_hn)
        da_z = dh (h_{t-1} - n) z (1 - z)
        dgi = [da_r, da_z, da_n]          dgh = [da_r, da_z, da_n r]
        dh_prev = dh * z + dgh @ W_h
    The loop computes them while the step's arrays are in the CPU's cache.
    dgi and dgh share their r and z blocks, so one array holds both:
    dg_t = [da_n, da_r, da_z, da_n r], whose first three blocks are dgi_t
    (in the order n, r, z) and last three dgh_t.  The weight gradients and
    dx are then one matrix product over all steps each.
    A skipped (padding) step passes dh straight to the step before,
    dgi = dgh = 0.
    """
    x_tm, h0, W_x, W_h, gates, hn, h, dg, reverse, skip = cache
    T, B, D = x_tm.shape
    H = W_h.shape[1]
    dtype = gates.dtype
    first = time_order(T, reverse)[0]
    carry = np.zeros((B, H), dtype) if dh_last is None else np.array(dh_last, dtype)
    dh = np.empty((B, H), dtype=dtype)
    da_n = np.empty((B, H), dtype=dtype)
    scratch = np.empty((B, H), dtype=dtype)
    da_rz = np.empty((2, B, H), dtype=dtype)  # da_r and da_z of one step
    for t in range(T) if reverse else range(T - 1, -1, -1):
        rz, (r, z, n) = gates[:2, t], gates[:, t]
        dg_t = dg[t]
        dg_by_block = dg_t.reshape(B, 4, H).transpose(1, 0, 2)  # (4, B, H) view
        h_prev = h0 if t == first else h[t + 1 if reverse else t - 1]
        np.add(dh_tm[t], carry, out=dh)  # from above + from step t+1
        np.multiply(n, n, out=da_n)
        np.subtract(1.0, da_n, out=da_n)
        da_n *= dh
        np.subtract(1.0, z, out=scratch)
        da_n *= scratch  # dh (1 - z)(1 - n**2)
        np.subtract(1.0, rz, out=da_rz)
        da_rz *= rz  # r (1 - r) and z (1 - z)
        np.multiply(da_n, hn[t], out=scratch)
        scratch *= -0.5  # hn[t] holds -2 hn
        da_rz[0] *= scratch  # da_r
        np.subtract(h_prev, n, out=scratch)
        scratch *= dh
        da_rz[1] *= scratch  # da_z
        dg_by_block[0] = da_n
        dg_by_block[1:3] = da_rz
        np.multiply(da_n, r, out=dg_by_block[3])
        if skip is not None:
            np.copyto(dg_t, 0, where=skip[t])
        np.matmul(dg_t[:, H:], W_h, out=carry)  # dgh_t @ W_h
        np.multiply(dh, z, out=scratch)
        carry += scratch  # dL/dh_{t-1}
        if skip is not None:
            np.copyto(carry, dh, where=skip[t])
    dx, dW_x, dW_h, db_x, db_h = _weight_gradients(cache)
    return dx, carry, dW_x, dW_h, db_x, db_h


def _weight_gradients(cache):
    """dx, dW_x, dW_h, db_x, db_h of `gru_backward_time_major` from the
    dg_t = [da_n, dgh_t] (T, B, 4H) of every step: one matrix product over
    all steps each.  dgi comes in the block order n, r, z, so its products
    use W_x's blocks in that order and give dW_x's, db_x's that way round
    (x.T @ dgi and h.T @ dgh, transposed, are the products BLAS does
    fastest)."""
    x_tm, h0, W_x, W_h, gates, _, h, dg, reverse, _ = cache
    T, B, D = x_tm.shape
    H = W_h.shape[1]
    dg_flat = dg.reshape(T * B, 4 * H)
    dgi_nrz = dg_flat[:, : 3 * H]
    dx = np.matmul(dgi_nrz, np.concatenate([W_x[2 * H :], W_x[: 2 * H]]))
    dW_x_nrz = (x_tm.reshape(T * B, D).T @ dgi_nrz).T
    dW_x = np.concatenate([dW_x_nrz[H:], dW_x_nrz[:H]])
    sums = dg_flat.sum(axis=0)
    db_x = np.concatenate([sums[H : 3 * H], sums[:H]])
    db_h = sums[H:]
    dW_hT = sum_h_prev_outer(h0, h, dg[:, :, H:], reverse)
    return dx.reshape(T, B, D), dW_x, np.ascontiguousarray(dW_hT.T), db_x, db_h
