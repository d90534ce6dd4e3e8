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

The functions here are the equations as written: `rnn_forward` is
`rnn_step_forward` in a loop over t (with a padding mask and reading in
reverse, as plain loops), `rnn_backward` is `rnn_step_backward` in a loop
over t backwards.  The `RNN` layer runs the same math through the fast path
in rnnlib/kernels/rnn.py, or these loops with `textbook=True`; a test checks
that both agree to 1e-12.
"""

from typing import NamedTuple

import numpy as np

from .activations import ACTIVATIONS
from .checks import (
    as_finite_array,
    as_float_array,
    check_choice,
    check_finite,
    check_input,
    check_ndim,
    check_sequence,
    check_shape,
    check_state,
)
from .init import orthogonal, xavier_uniform
from .kernels.rnn import rnn_backward_time_major, rnn_forward_time_major
from .recurrent import HiddenStateLayer, padding_keep, time_steps


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


class RNNStepCache(NamedTuple):
    """What `rnn_step_backward` needs from `rnn_step_forward`."""

    x_t: np.ndarray  # (B, D)
    h_prev: np.ndarray  # (B, H)
    W_hx: np.ndarray  # (H, D)
    W_hh: np.ndarray  # (H, H)
    h_next: np.ndarray  # (B, H) = act(a), act'(a) is read from it
    activation: str  # "tanh" or "relu"


class RNNCache(NamedTuple):
    """What `rnn_backward` needs from `rnn_forward`: one cache per step."""

    steps: list  # of RNNStepCache, in time order t = 0 … T-1
    shape: tuple  # (B, T, H) of the forward's h
    dtype: np.dtype
    keep: np.ndarray | None = None  # (B, T, 1) bool, False at padding steps
    reverse: bool = False  # read from t = T-1 down to 0


# ---------------------------------------------------------------------------
# One step: the equations as written
# ---------------------------------------------------------------------------


def _step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation):
    """rnn_step_forward without the input checks."""
    act, _ = ACTIVATIONS[activation]
    h_next = act(x_t @ W_hx.T + h_prev @ W_hh.T + b_h)
    return h_next, RNNStepCache(x_t, h_prev, W_hx, W_hh, h_next, activation)


def rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation="tanh"):
    """One time step of a vanilla RNN.

    h_next = act(x_t @ W_hx.T + h_prev @ W_hh.T + b_h)

    x_t (B, D), h_prev (B, H), W_hx (H, D), W_hh (H, H), b_h (H,)
    Returns h_next (B, H) and an RNNStepCache for rnn_step_backward.
    """
    check_choice("activation", activation, tuple(ACTIVATIONS))
    W_hx, W_hh, b_h = _check_weights(W_hx, W_hh, b_h)
    H, D = W_hx.shape
    x_t = check_input("x_t", x_t, "(B, D)", D, "W_hx.shape[1]")
    check_finite("x_t", x_t)
    B = x_t.shape[0]
    h_prev = check_state("h_prev", h_prev, B, H, x_t.dtype, default_zeros=False)
    return _step_forward(x_t, h_prev, W_hx, W_hh, b_h, activation)


def _step_backward(dh_next, cache):
    """rnn_step_backward without the input checks."""
    x_t, h_prev, W_hx, W_hh, h_next, activation = cache
    _, act_grad = ACTIVATIONS[activation]
    da = dh_next * act_grad(h_next)
    return da @ W_hx, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


def rnn_step_backward(dh_next, cache):
    """Backward pass of one RNN step.

    With a = x_t @ W_hx.T + h_prev @ W_hh.T + b_h and h_next = act(a):
        da       = dh_next * act'(a)          (act' from the saved h_next)
        dx_t     = da @ W_hx        dh_prev = da @ W_hh
        dW_hx    = da.T @ x_t       dW_hh   = da.T @ h_prev     db_h = sum_B da

    dh_next (B, H). Returns dx_t (B, D), dh_prev (B, H), dW_hx (H, D),
    dW_hh (H, H), db_h (H,).
    """
    dh_next = as_finite_array(
        "dh_next", dh_next, cache.h_next.shape, "(B, H)", "like h_next"
    )
    return _step_backward(dh_next, cache)


# ---------------------------------------------------------------------------
# Whole sequences: the step in a loop (the RNN layer runs the same math
# through the fast path in rnnlib/kernels/rnn.py)
# ---------------------------------------------------------------------------


def rnn_forward(x, h0, W_hx, W_hh, b_h, activation="tanh", mask=None, reverse=False):
    """A vanilla RNN over whole sequences, the same weights at every step.

    h_t = act(x_t @ W_hx.T + h_{t-1} @ W_hh.T + b_h),  t = 1 … T

    x (B, T, D), h0 (B, H) or None for zeros, W_hx (H, D), W_hh (H, H), b_h (H,)
    mask (B, T), optional: 1 for a real step, 0 for padding; at a padding
    step the state is carried over, h_t = h_{t-1}.  reverse=True reads the
    sequence from t = T down to 1 (the backward half of a bidirectional
    RNN); h0 then enters at t = T.
    Returns h (B, T, H), every hidden state, and an RNNCache for rnn_backward.
    """
    check_choice("activation", activation, tuple(ACTIVATIONS))
    W_hx, W_hh, b_h = _check_weights(W_hx, W_hh, b_h)
    H, D = W_hx.shape
    x = check_sequence("x", x, D, "W_hx.shape[1]")
    B, T, _ = x.shape
    h0 = check_state("h0", h0, B, H, x.dtype, default_zeros=True)
    keep = padding_keep(mask, B, T)
    dtype = np.result_type(x, h0, W_hx, W_hh, b_h)
    x, W_hx, W_hh, b_h = (a.astype(dtype, copy=False) for a in (x, W_hx, W_hh, b_h))

    h = np.empty((B, T, H), dtype=dtype)
    h_prev = h0.astype(dtype, copy=False)
    steps = [None] * T
    for t in time_steps(T, reverse):
        h_next, steps[t] = _step_forward(x[:, t], h_prev, W_hx, W_hh, b_h, activation)
        if keep is not None:  # padding: carry the state over
            h_next = np.where(keep[:, t], h_next, h_prev)
        h[:, t] = h_prev = h_next
    return h, RNNCache(steps, (B, T, H), dtype, keep, bool(reverse))


def rnn_backward(dh, cache):
    """Backpropagation through time for `rnn_forward`.

    dh (B, T, H) is dL/dh_t from above each step (e.g. from the output layer).
    Walking the steps in the opposite order of the forward pass (t = T … 1,
    or 1 … T for reverse=True), each step receives dh[:, t] plus the dL/dh_t
    that the step read after it sent back, and passes dL/dh_{t-1} on.  A
    padding step (mask 0) passes it on unchanged and adds nothing else.
    Returns dx (B, T, D), dh0 (B, H), dW_hx (H, D), dW_hh (H, H), db_h (H,);
    each weight gradient is summed over all T steps.
    """
    B, T, H = cache.shape
    dh = as_finite_array("dh", dh, (B, T, H), "(B, T, H)", "like the forward's h")
    dh = dh.astype(cache.dtype, copy=False)
    first = cache.steps[0]
    dx = np.empty((B, T, first.x_t.shape[1]), dtype=cache.dtype)
    dW_hx, dW_hh = np.zeros_like(first.W_hx), np.zeros_like(first.W_hh)
    db_h = np.zeros(H, dtype=cache.dtype)
    dh_prev = np.zeros((B, H), dtype=cache.dtype)  # nothing comes from after T
    keep = cache.keep
    for t in reversed(time_steps(T, cache.reverse)):
        dh_t = dh[:, t] + dh_prev
        through = dh_t if keep is None else np.where(keep[:, t], dh_t, 0.0)
        dx[:, t], dh_prev, dW_hx_t, dW_hh_t, db_h_t = _step_backward(
            through, cache.steps[t]
        )
        if keep is not None:  # padding: dL/dh_t goes straight to h_{t-1}
            dh_prev = dh_prev + np.where(keep[:, t], 0.0, dh_t)
        dW_hx += dW_hx_t
        dW_hh += dW_hh_t
        db_h += db_h_t
    return dx, dh_prev, dW_hx, dW_hh, db_h


class RNN(HiddenStateLayer):
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

    textbook=True runs `rnn_forward` / `rnn_backward` (the loops above)
    instead of the fast path in rnnlib/kernels/rnn.py: the same numbers to
    1e-12, slower.
    """

    weight_names = ("W_hx", "W_hh", "b_h")

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bidirectional=False,
        activation="tanh",
        seed=None,
        dtype=np.float64,
        textbook=False,
    ):
        check_choice("activation", activation, tuple(ACTIVATIONS))
        self.activation = activation
        super().__init__(
            input_size, hidden_size, num_layers, bidirectional, seed, dtype, textbook
        )

    def init_weights(self, input_size, rng):
        H = self.hidden_size
        return {
            "W_hx": xavier_uniform((H, input_size), rng, dtype=self.dtype),
            "W_hh": orthogonal((H, H), rng, dtype=self.dtype),
            "b_h": np.zeros(H, dtype=self.dtype),
        }

    def kernel_forward(self, x_tm, h0, weights, reverse, skip, reuse):
        return rnn_forward_time_major(
            x_tm, h0, *weights, self.activation, reverse, skip, reuse
        )

    def kernel_backward(self, dh_tm, cache, dh_last):
        return rnn_backward_time_major(dh_tm, cache, dh_last)

    def loop_forward(self, x, h0, weights, reverse, mask):
        return rnn_forward(x, h0, *weights, self.activation, mask, reverse)

    def loop_backward(self, dh, cache):
        return rnn_backward(dh, cache)
