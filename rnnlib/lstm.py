"""The LSTM: one step, a whole sequence, and the `LSTM` layer.

The notes' equations, for a batch (rows are sequences), as computed here:

    a_t = x_t @ W_x.T + h_{t-1} @ W_h.T + b            (B, 4H): four gates
    i_t = sigmoid(a_t[:, 0H:1H])      input gate     how much to write
    f_t = sigmoid(a_t[:, 1H:2H])      forget gate    how much to keep
    g_t = tanh(a_t[:, 2H:3H])         candidate      what to write
    o_t = sigmoid(a_t[:, 3H:4H])      output gate    how much to show
    c_t = f_t * c_{t-1} + i_t * g_t                    cell state (memory)
    h_t = o_t * tanh(c_t)                              hidden state (output)

Shapes: x (B, T, D), h0 and c0 (B, H), W_x (4H, D), W_h (4H, H), b (4H,),
h (B, T, H).  The gate order i, f, g, o and the weight orientation are
PyTorch's, so weights copy across unchanged; one `b` stands for PyTorch's
bias_ih + bias_hh.

Backpropagation through time carries two gradients into the step before:
dL/dh_{t-1} through W_h, and dL/dc_{t-1} = dL/dc_t * f_t through the cell.
The second path has no weight matrix and no squashing: when f_t is near 1
the gradient crosses many steps almost unchanged, which is why the LSTM
learns long-range dependencies that a vanilla RNN forgets.
"""

import numbers

import numpy as np

from .activations import sigmoid
from .checks import (
    as_float_array,
    check_finite,
    check_input,
    check_ndim,
    check_shape,
    check_state,
)
from .init import orthogonal, xavier_uniform
from .recurrent import RecurrentLayer


def _check_weights(W_x, W_h, b):
    """Validate W_x (4H, D), W_h (4H, H), b (4H,); return them as float arrays.

    H is read from W_h.shape[1]; every other size must agree with it.
    """
    W_x = as_float_array("W_x", W_x)
    W_h = as_float_array("W_h", W_h)
    b = as_float_array("b", b)
    check_ndim("W_x", W_x, 2, "(4H, D)")
    check_ndim("W_h", W_h, 2, "(4H, H)")
    H = W_h.shape[1]
    note = f"with H = W_h.shape[1] = {H}"
    check_shape("W_h", W_h, (4 * H, H), "(4H, H)", note)
    check_shape("W_x", W_x, (4 * H, W_x.shape[1]), "(4H, D)", note)
    check_shape("b", b, (4 * H,), "(4H,)", note)
    return W_x, W_h, b


# ---------------------------------------------------------------------------
# One step: the equations as written, to read and to check against.
# ---------------------------------------------------------------------------


def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    """One time step of an LSTM.

    a = x_t @ W_x.T + h_prev @ W_h.T + b, split into four (B, H) blocks,
    i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o),
    c_next = f * c_prev + i * g,  h_next = o * tanh(c_next).

    x_t (B, D), h_prev (B, H), c_prev (B, H), W_x (4H, D), W_h (4H, H), b (4H,)
    Returns h_next (B, H), c_next (B, H) and a cache for lstm_step_backward.
    """
    W_x, W_h, b = _check_weights(W_x, W_h, b)
    D, H = W_x.shape[1], W_h.shape[1]
    x_t = check_input("x_t", x_t, "(B, D)", D, "W_x.shape[1]")
    check_finite("x_t", x_t)
    B = x_t.shape[0]
    h_prev = check_state("h_prev", h_prev, B, H, x_t.dtype, default_zeros=False)
    c_prev = check_state("c_prev", c_prev, B, H, x_t.dtype, default_zeros=False)

    a = x_t @ W_x.T + h_prev @ W_h.T + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H : 2 * H])
    g = np.tanh(a[:, 2 * H : 3 * H])
    o = sigmoid(a[:, 3 * H :])
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    h_next = o * tanh_c
    cache = (x_t, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh_c)
    return h_next, c_next, cache


def lstm_step_backward(dh_next, dc_next, cache):
    """Backward pass of one LSTM step.

    dh_next (B, H) = dL/dh_next; dc_next (B, H) = dL/dc_next from the step
    after (None for zeros).  With the saved activations:
        dc   = dc_next + dh_next * o * (1 - tanh(c_next)**2)
        da_i = dc * g * i (1 - i)           da_f = dc * c_prev * f (1 - f)
        da_g = dc * i * (1 - g**2)          da_o = dh_next * tanh(c_next) * o (1 - o)
        da   = [da_i, da_f, da_g, da_o]     (B, 4H)
        dx_t = da @ W_x    dh_prev = da @ W_h    dc_prev = dc * f
        dW_x = da.T @ x_t  dW_h = da.T @ h_prev  db = sum_B da

    Returns dx_t (B, D), dh_prev (B, H), dc_prev (B, H), dW_x (4H, D),
    dW_h (4H, H), db (4H,).
    """
    x_t, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh_c = cache
    dh_next = as_float_array("dh_next", dh_next)
    check_shape("dh_next", dh_next, tanh_c.shape, "(B, H)", "like h_next")
    if dc_next is None:
        dc_next = np.zeros_like(tanh_c)
    dc_next = as_float_array("dc_next", dc_next)
    check_shape("dc_next", dc_next, tanh_c.shape, "(B, H)", "like c_next")

    dc = dc_next + dh_next * o * (1.0 - tanh_c * tanh_c)
    da = np.concatenate(
        [
            dc * g * i * (1.0 - i),
            dc * c_prev * f * (1.0 - f),
            dc * i * (1.0 - g * g),
            dh_next * tanh_c * o * (1.0 - o),
        ],
        axis=1,
    )
    dx_t = da @ W_x
    dh_prev = da @ W_h
    dc_prev = dc * f
    return dx_t, dh_prev, dc_prev, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


# ---------------------------------------------------------------------------
# Whole sequences.  The work is done time-major, (T, B, ·), so that every
# step reads and writes one contiguous block; the public functions take and
# return batch-first arrays as views.
#
# Two tricks keep the loop short:
# - sigmoid(z) = 0.5 + 0.5 * tanh(z / 2).  Scaling the i, f, o rows of the
#   weights by 0.5 (exact in floating point) lets one tanh serve all four
#   gates; it never overflows, whatever |z|.
# - The backward pass multiplies the upstream gradients into factors that
#   depend only on saved activations, computed for all T steps at once
#   before the loop.
# ---------------------------------------------------------------------------


def _gate_affine(H, dtype):
    """Per-column (scale, shift) of the 4H gate columns: 0.5, 0.5 for the
    sigmoid gates i, f, o and 1, 0 for the tanh candidate g."""
    scale = np.full(4 * H, 0.5, dtype=dtype)
    scale[2 * H : 3 * H] = 1.0
    shift = np.full(4 * H, 0.5, dtype=dtype)
    shift[2 * H : 3 * H] = 0.0
    return scale, shift


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
    scale, shift = _gate_affine(H, dtype)
    # gates[t] holds a_t (its i, f, o columns halved), then, in place, the
    # activations [i, f, g, o]
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
    for t in range(T - 1, -1, -1) if reverse else range(T):
        a = gates[t]
        np.matmul(h_prev, W_h_T, out=recurrent)
        a += recurrent
        np.tanh(a, out=a)  # tanh(z/2) for i, f, o; tanh(z) for g
        a *= scale
        a += shift  # 0.5 + 0.5 tanh(z/2) = sigmoid(z) for i, f, o
        c_t, h_t, tc_t = c[t], h[t], tanh_c[t]
        np.multiply(a[:, H : 2 * H], c_prev, out=c_t)  # f * c_{t-1}
        np.multiply(a[:, :H], a[:, 2 * H : 3 * H], out=ig)  # i * g
        c_t += ig
        np.tanh(c_t, out=tc_t)
        np.multiply(a[:, 3 * H :], tc_t, out=h_t)  # o * tanh(c_t)
        if skip is not None:
            np.copyto(c_t, c_prev, where=skip[t])
            np.copyto(h_t, h_prev, where=skip[t])
        h_prev, c_prev = h_t, c_t
    return h, c, (x_tm, h0, c0, W_x, W_h, gates, h, c, tanh_c, reverse, skip)


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


def lstm_forward(x, h0, W_x, W_h, b, c0=None):
    """An LSTM over whole sequences, the same weights at every step.

    For t = 1 … T (see the module docstring for the gates):
        c_t = f_t * c_{t-1} + i_t * g_t,   h_t = o_t * tanh(c_t)

    x (B, T, D), h0 (B, H) or None for zeros, W_x (4H, D), W_h (4H, H),
    b (4H,), c0 (B, H) or None for zeros.
    Returns h (B, T, H), every hidden state, and a cache for lstm_backward.
    """
    W_x, W_h, b = _check_weights(W_x, W_h, b)
    D, H = W_x.shape[1], W_h.shape[1]
    x = check_input("x", x, "(B, T, D)", D, "W_x.shape[1]")
    if x.shape[1] == 0:
        raise ValueError(f"x must hold at least one time step; got {x.shape}")
    check_finite("x", x)
    B = x.shape[0]
    h0 = check_state("h0", h0, B, H, x.dtype, default_zeros=True)
    c0 = check_state("c0", c0, B, H, x.dtype, default_zeros=True)
    dtype = np.result_type(x, h0, c0, W_x, W_h, b)
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=dtype)
    h, _, cache = lstm_forward_time_major(
        x_tm,
        h0.astype(dtype, copy=False),
        c0.astype(dtype, copy=False),
        W_x.astype(dtype, copy=False),
        W_h.astype(dtype, copy=False),
        b.astype(dtype, copy=False),
    )
    return h.transpose(1, 0, 2), cache


def lstm_backward(dh, cache):
    """Backpropagation through time for `lstm_forward`.

    dh (B, T, H) is dL/dh_t from above each step (e.g. from the output layer).
    Returns dx (B, T, D), dh0 (B, H), dW_x (4H, D), dW_h (4H, H), db (4H,);
    each weight gradient is summed over all T steps.  (The gradient of c0
    is what the LSTM layer's backward returns as dc0.)
    """
    h = cache[6]
    T, B, H = h.shape
    dh = as_float_array("dh", dh)
    check_shape("dh", dh, (B, T, H), "(B, T, H)", "like the forward's h")
    check_finite("dh", dh)
    dx, dh0, _, dW_x, dW_h, db = lstm_backward_time_major(
        dh.astype(h.dtype, copy=False).transpose(1, 0, 2), cache
    )
    return dx.transpose(1, 0, 2), dh0, dW_x, dW_h, db


class LSTM(RecurrentLayer):
    """A (multi-layer, optionally bidirectional) LSTM layer.

    Laid out like torch.nn.LSTM(batch_first=True): layer k > 0 reads the
    outputs of layer k-1 (both directions concatenated); the reverse
    direction reads the sequence from the end.

        out, (h_n, c_n) = lstm.forward(x, state=None)
            x (B, T, D) -> out (B, T, dirs*H); h_n, c_n (num_layers*dirs, B, H)
        dx, (dh0, dc0) = lstm.backward(dout, dstate=None)    fills lstm.grads

    state = (h0, c0) and dstate = (dh_n, dc_n), each entry an array of shape
    (num_layers*dirs, B, H) or None for zeros.

    Parameters (lstm.params, plain arrays you may assign), per layer k:
        W_x_l{k} (4H, D_k), W_h_l{k} (4H, H), b_l{k} (4H,)
    and the same with "_reverse" appended for the reverse direction; gate
    order i, f, g, o, and b stands for PyTorch's bias_ih + bias_hh.

    Initialisation, gate by gate: each (H, D_k) block of W_x Xavier uniform,
    each (H, H) block of W_h orthogonal, b zero except the forget gate's
    slice b[H:2H] = forget_bias.  With forget_bias = 1 the forget gate starts
    near sigmoid(1) = 0.73 instead of 0.5: the cell keeps most of its memory
    from step to step, so gradients reach far back from the first update on
    (Gers et al., 2000; Jozefowicz et al., 2015).  With 0 the untrained
    cell halves its memory at every step and long dependencies are hard
    to start learning.
    """

    weight_names = ("W_x", "W_h", "b")
    state_names = ("h0", "c0")

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bidirectional=False,
        seed=None,
        forget_bias=1.0,
        dtype=np.float64,
    ):
        if isinstance(forget_bias, bool) or not isinstance(forget_bias, numbers.Real):
            raise TypeError(f"forget_bias must be a real number; got {forget_bias!r}")
        if not np.isfinite(forget_bias):
            raise ValueError(f"forget_bias must be finite; got {forget_bias}")
        self.forget_bias = float(forget_bias)
        super().__init__(
            input_size, hidden_size, num_layers, bidirectional, seed, dtype
        )

    def init_weights(self, input_size, rng):
        H = self.hidden_size
        b = np.zeros(4 * H, dtype=self.dtype)
        b[H : 2 * H] = self.forget_bias
        return {
            "W_x": np.concatenate(
                [
                    xavier_uniform((H, input_size), rng, dtype=self.dtype)
                    for _ in range(4)
                ]
            ),
            "W_h": np.concatenate(
                [orthogonal((H, H), rng, dtype=self.dtype) for _ in range(4)]
            ),
            "b": b,
        }

    def direction_forward(self, x_tm, state0, weights, reverse, skip):
        h0, c0 = state0
        h, c, cache = lstm_forward_time_major(x_tm, h0, c0, *weights, reverse, skip)
        last = 0 if reverse else -1
        return h, (h[last], c[last]), cache

    def direction_backward(self, dh_tm, dstate_last, cache):
        dh_last, dc_last = dstate_last
        dx, dh0, dc0, *dweights = lstm_backward_time_major(
            dh_tm, cache, dh_last, dc_last
        )
        return dx, (dh0, dc0), dweights

    @staticmethod
    def _pair(name, pair, first, second):
        """(a, b) from None or a 2-tuple/list, else a clear TypeError."""
        if pair is None:
            return None, None
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(
                f"{name} must be None or a pair ({first}, {second}), each an array "
                f"of shape (num_layers*dirs, B, H) or None; got {type(pair).__name__}"
                + (f" of length {len(pair)}" if isinstance(pair, (tuple, list)) else "")
            )
        return tuple(pair)

    def forward(self, x, state=None, mask=None):
        """x (B, T, D); state = (h0, c0), each (num_layers*dirs, B, H) or None.
        mask (B, T), optional: 1 for a real step, 0 for padding (see RNN.forward).

        Returns out (B, T, dirs*H), the top layer's hidden states, and
        (h_n, c_n), each (num_layers*dirs, B, H), every layer's and
        direction's last hidden and cell state.
        """
        state = self._pair("state", state, "h0", "c0")
        out, (h_n, c_n) = self.run_forward(x, state, mask)
        return out, (h_n, c_n)

    def backward(self, dout, dstate=None):
        """dout (B, T, dirs*H) = dL/dout; dstate = (dh_n, dc_n), entries like
        h_n and c_n or None.

        Fills self.grads (same keys as self.params) and returns
        dx (B, T, D) and (dh0, dc0), each (num_layers*dirs, B, H).
        """
        dstate = self._pair("dstate", dstate, "dh_n", "dc_n")
        dx, (dh0, dc0) = self.run_backward(dout, dstate)
        return dx, (dh0, dc0)
