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

The functions here are the equations as written: `lstm_forward` is
`lstm_step_forward` in a loop over t, `lstm_backward` is `lstm_step_backward`
in a loop over t backwards (both with a padding mask and reading in
reverse, as plain loops).  The `LSTM` layer runs the same math through the
fast path in rnnlib/kernels/lstm.py, or these loops with `textbook=True`; a
test checks that both agree to 1e-12.
"""

import numbers
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
from .kernels.lstm import lstm_backward_time_major, lstm_forward_time_major
from .recurrent import RecurrentLayer, padding_keep, time_steps


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


class LSTMStepCache(NamedTuple):
    """What `lstm_step_backward` needs from `lstm_step_forward`."""

    x_t: np.ndarray  # (B, D)
    h_prev: np.ndarray  # (B, H)
    c_prev: np.ndarray  # (B, H)
    W_x: np.ndarray  # (4H, D)
    W_h: np.ndarray  # (4H, H)
    i: np.ndarray  # (B, H) input gate
    f: np.ndarray  # (B, H) forget gate
    g: np.ndarray  # (B, H) candidate
    o: np.ndarray  # (B, H) output gate
    tanh_c: np.ndarray  # (B, H) tanh(c_next)


class LSTMCache(NamedTuple):
    """What `lstm_backward` needs from `lstm_forward`: one cache per step."""

    steps: list  # of LSTMStepCache, in time order t = 0 … T-1
    shape: tuple  # (B, T, H) of the forward's h
    dtype: np.dtype
    c: np.ndarray | None = None  # (B, T, H) every cell state
    keep: np.ndarray | None = None  # (B, T, 1) bool, False at padding steps
    reverse: bool = False  # read from t = T-1 down to 0


# ---------------------------------------------------------------------------
# One step: the equations as written, to read and to check against.
# ---------------------------------------------------------------------------


def _step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    """lstm_step_forward without the input checks."""
    H = W_h.shape[1]
    a = x_t @ W_x.T + h_prev @ W_h.T + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H : 2 * H])
    g = np.tanh(a[:, 2 * H : 3 * H])
    o = sigmoid(a[:, 3 * H :])
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    h_next = o * tanh_c
    cache = LSTMStepCache(x_t, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh_c)
    return h_next, c_next, cache


def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    """One time step of an LSTM.

    a = x_t @ W_x.T + h_prev @ W_h.T + b, split into four (B, H) blocks,
    i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o),
    c_next = f * c_prev + i * g,  h_next = o * tanh(c_next).

    x_t (B, D), h_prev (B, H), c_prev (B, H), W_x (4H, D), W_h (4H, H), b (4H,)
    Returns h_next (B, H), c_next (B, H) and an LSTMStepCache for
    lstm_step_backward.
    """
    W_x, W_h, b = _check_weights(W_x, W_h, b)
    D, H = W_x.shape[1], W_h.shape[1]
    x_t = check_input("x_t", x_t, "(B, D)", D, "W_x.shape[1]")
    check_finite("x_t", x_t)
    B = x_t.shape[0]
    h_prev = check_state("h_prev", h_prev, B, H, x_t.dtype, default_zeros=False)
    c_prev = check_state("c_prev", c_prev, B, H, x_t.dtype, default_zeros=False)
    return _step_forward(x_t, h_prev, c_prev, W_x, W_h, b)


def _step_backward(dh_next, dc_next, cache):
    """lstm_step_backward without the input checks (dc_next an array)."""
    x_t, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh_c = cache
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
    dh_next = as_finite_array(
        "dh_next", dh_next, cache.tanh_c.shape, "(B, H)", "like h_next"
    )
    if dc_next is None:
        dc_next = np.zeros_like(cache.tanh_c)
    dc_next = as_finite_array(
        "dc_next", dc_next, cache.tanh_c.shape, "(B, H)", "like c_next"
    )
    return _step_backward(dh_next, dc_next, cache)


# ---------------------------------------------------------------------------
# Whole sequences: the step in a loop (the LSTM layer runs the same math
# through the fast path in rnnlib/kernels/lstm.py)
# ---------------------------------------------------------------------------


def lstm_forward(x, h0, W_x, W_h, b, c0=None, mask=None, reverse=False):
    """An LSTM over whole sequences, the same weights at every step.

    For t = 1 … T (see the module docstring for the gates):
        c_t = f_t * c_{t-1} + i_t * g_t,   h_t = o_t * tanh(c_t)

    x (B, T, D), h0 (B, H) or None for zeros, W_x (4H, D), W_h (4H, H),
    b (4H,), c0 (B, H) or None for zeros.  mask (B, T), optional: 1 for a
    real step, 0 for padding, where both states are carried over
    (h_t = h_{t-1}, c_t = c_{t-1}).  reverse=True reads the sequence from
    t = T down to 1 (h0 and c0 enter at t = T).
    Returns h (B, T, H), every hidden state, and an LSTMCache for
    lstm_backward.
    """
    W_x, W_h, b = _check_weights(W_x, W_h, b)
    D, H = W_x.shape[1], W_h.shape[1]
    x = check_sequence("x", x, D, "W_x.shape[1]")
    B, T, _ = x.shape
    h0 = check_state("h0", h0, B, H, x.dtype, default_zeros=True)
    c0 = check_state("c0", c0, B, H, x.dtype, default_zeros=True)
    keep = padding_keep(mask, B, T)
    dtype = np.result_type(x, h0, c0, W_x, W_h, b)
    x, W_x, W_h, b = (a.astype(dtype, copy=False) for a in (x, W_x, W_h, b))

    h, c = np.empty((B, T, H), dtype=dtype), np.empty((B, T, H), dtype=dtype)
    h_prev, c_prev = h0.astype(dtype, copy=False), c0.astype(dtype, copy=False)
    steps = [None] * T
    for t in time_steps(T, reverse):
        h_next, c_next, steps[t] = _step_forward(x[:, t], h_prev, c_prev, W_x, W_h, b)
        if keep is not None:  # padding: carry both states over
            h_next = np.where(keep[:, t], h_next, h_prev)
            c_next = np.where(keep[:, t], c_next, c_prev)
        h[:, t] = h_prev = h_next
        c[:, t] = c_prev = c_next
    return h, LSTMCache(steps, (B, T, H), dtype, c, keep, bool(reverse))


def _backward(dh, cache, dc_last=None):
    """lstm_backward without the input checks, from dL/dc of the last cell
    state read (dc_last, None for zeros); returns dc0 as well:
    dx, dh0, dc0, dW_x, dW_h, db."""
    B, T, H = cache.shape
    first = cache.steps[0]
    dx = np.empty((B, T, first.x_t.shape[1]), dtype=cache.dtype)
    dW_x, dW_h = np.zeros_like(first.W_x), np.zeros_like(first.W_h)
    db = np.zeros(4 * H, dtype=cache.dtype)
    dh_prev = np.zeros((B, H), dtype=cache.dtype)  # nothing comes from after T
    dc_prev = np.zeros((B, H), dtype=cache.dtype)
    if dc_last is not None:
        dc_prev = dc_prev + dc_last
    keep = cache.keep
    for t in reversed(time_steps(T, cache.reverse)):
        dh_t, dc_t = dh[:, t] + dh_prev, dc_prev
        if keep is None:
            through_h, through_c = dh_t, dc_t
        else:
            through_h = np.where(keep[:, t], dh_t, 0.0)
            through_c = np.where(keep[:, t], dc_t, 0.0)
        dx[:, t], dh_prev, dc_prev, dW_x_t, dW_h_t, db_t = _step_backward(
            through_h, through_c, cache.steps[t]
        )
        if keep is not None:  # padding: both gradients go straight through
            dh_prev = dh_prev + np.where(keep[:, t], 0.0, dh_t)
            dc_prev = dc_prev + np.where(keep[:, t], 0.0, dc_t)
        dW_x += dW_x_t
        dW_h += dW_h_t
        db += db_t
    return dx, dh_prev, dc_prev, dW_x, dW_h, db


def lstm_backward(dh, cache):
    """Backpropagation through time for `lstm_forward`.

    dh (B, T, H) is dL/dh_t from above each step (e.g. from the output layer).
    Walking the steps in the opposite order of the forward pass, each step
    receives dh[:, t] plus the dL/dh_t and dL/dc_t that the step read after
    it sent back, and passes dL/dh_{t-1}, dL/dc_{t-1} on; a padding step
    passes both on unchanged.
    Returns dx (B, T, D), dh0 (B, H), dW_x (4H, D), dW_h (4H, H), db (4H,);
    each weight gradient is summed over all T steps.  (The gradient of c0
    is what the LSTM layer's backward returns as dc0.)
    """
    B, T, H = cache.shape
    dh = as_finite_array("dh", dh, (B, T, H), "(B, T, H)", "like the forward's h")
    dx, dh0, _, dW_x, dW_h, db = _backward(dh.astype(cache.dtype, copy=False), cache)
    return dx, dh0, dW_x, dW_h, db


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

    textbook=True runs `lstm_forward` / `lstm_backward` instead of the fast
    path in rnnlib/kernels/lstm.py: the same numbers to 1e-12, slower.
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
        textbook=False,
    ):
        if isinstance(forget_bias, bool) or not isinstance(forget_bias, numbers.Real):
            raise TypeError(f"forget_bias must be a real number; got {forget_bias!r}")
        if not np.isfinite(forget_bias):
            raise ValueError(f"forget_bias must be finite; got {forget_bias}")
        self.forget_bias = float(forget_bias)
        super().__init__(
            input_size, hidden_size, num_layers, bidirectional, seed, dtype, textbook
        )

    def init_weights(self, input_size, rng):
        H = self.hidden_size
        b = np.zeros(4 * H, dtype=self.dtype)
        b[H : 2 * H] = self.forget_bias
        return {
            "W_x": gate_blocks(xavier_uniform, 4, (H, input_size), rng, self.dtype),
            "W_h": gate_blocks(orthogonal, 4, (H, H), rng, self.dtype),
            "b": b,
        }

    def direction_forward(self, x_tm, state0, weights, reverse, skip, reuse):
        h0, c0 = state0
        h, c, cache = lstm_forward_time_major(
            x_tm, h0, c0, *weights, reverse, skip, reuse
        )
        last = 0 if reverse else -1
        return h, (h[last], c[last]), cache

    def direction_backward(self, dh_tm, dstate_last, cache):
        dh_last, dc_last = dstate_last
        dx, dh0, dc0, *dweights = lstm_backward_time_major(
            dh_tm, cache, dh_last, dc_last
        )
        return dx, (dh0, dc0), dweights

    def textbook_forward(self, x_tm, state0, weights, reverse, mask):
        h0, c0 = state0
        x = x_tm.transpose(1, 0, 2)
        h, cache = lstm_forward(x, h0, *weights, c0=c0, mask=mask, reverse=reverse)
        # padding carries the states over, so the last step read holds h_n, c_n
        last = 0 if reverse else -1
        return h.transpose(1, 0, 2), (h[:, last], cache.c[:, last]), cache

    def textbook_backward(self, dh_tm, dstate_last, cache):
        dh_last, dc_last = dstate_last
        dh = dh_tm.transpose(1, 0, 2).copy()
        if dh_last is not None:
            dh[:, 0 if cache.reverse else -1] += dh_last  # h_n is the last h read
        dx, dh0, dc0, *dweights = _backward(dh, cache, dc_last)
        return dx.transpose(1, 0, 2), (dh0, dc0), dweights

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
