"""Exercise 01 (forward propagation): the checks its test cells call.

Each check computes its reference (`mistakes_rnn.rnn_cell_reference`, or
plain NumPy) before it calls the learner's function, on fresh copies of the
inputs, and names the usual mistakes (`mistakes_rnn`) when the result
matches one:

check_cell         rnn_cell_forward: h_next and y_hat_t against
                   rnn_cell_reference; the inputs left unchanged
check_forward      rnn_forward: h and y_hat against rnn_cell_reference
                   step by step, from h0 and from h0 = None (a zero state)
check_concat       concat_weights: W_h = [W_hh | W_hx]
check_step_concat  rnn_step_forward_concat: one product with W_h gives
                   rnnlib's step
"""

import numpy as np

import rnnlib

from .mistakes_rnn import (
    rnn_cell_reference,
    rnn_forward_mistakes,
    rnn_output_mistakes,
    rnn_step_mistakes,
)
from .values import check_array, check_returns, check_unchanged, copies

WRONG_BLOCKS = "the blocks in the wrong order, [W_hx | W_hh]: W_hh comes first"
WRONG_ORDER = "[x_t, h_prev] in this order: h_prev comes first, like W_hh in W_h"
NO_BIAS = "the bias b_h left out: add it after the product, as in Part 1"
CELL_ARGS = ("x_t", "h_prev", "W_hx", "W_hh", "b_h", "W_yh", "b_y")
FORWARD_ARGS = ("x", "h0", "W_hx", "W_hh", "b_h", "W_yh", "b_y")


def _sizes(**sizes):
    return ", ".join(f"{k}={v}" for k, v in sizes.items())


def check_cell(rnn_cell_forward, x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y):
    """h_next (B, H) and y_hat_t (B, O) of the learner's cell against
    rnn_cell_reference, the usual mistakes of the step and of its output
    named; no input changed in place."""
    args = (x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y)
    expected_h, expected_y = rnn_cell_reference(*args)
    h_mistakes = rnn_step_mistakes(x_t, h_prev, W_hx, W_hh, b_h)
    y_mistakes = rnn_output_mistakes(h_prev, expected_h, W_yh, b_y)
    given = copies(*args)
    got = rnn_cell_forward(*given)
    h_next, y_hat_t = check_returns("rnn_cell_forward", got, ("h_next", "y_hat_t"))
    (B, D), (O, H) = x_t.shape, W_yh.shape
    sizes = _sizes(B=B, D=D, H=H, O=O)
    check_array(f"h_next ({sizes})", h_next, expected_h, mistakes=h_mistakes)
    check_array(f"y_hat_t ({sizes})", y_hat_t, expected_y, mistakes=y_mistakes)
    for name, before, after in zip(CELL_ARGS, args, given, strict=True):
        check_unchanged(name, before, after)


def _reference_run(x, h0, W_hx, W_hh, b_h, W_yh, b_y):
    """h (B, T, H), y_hat (B, T, O) and the states before each step
    (B, T, H): rnn_cell_reference at t = 1 ... T."""
    B, T, _ = x.shape
    h_prev = np.zeros((B, W_hh.shape[0])) if h0 is None else h0
    h, y_hat, before = [], [], []
    for t in range(T):
        before.append(h_prev)
        h_prev, y_t = rnn_cell_reference(x[:, t], h_prev, W_hx, W_hh, b_h, W_yh, b_y)
        h.append(h_prev)
        y_hat.append(y_t)
    return tuple(np.stack(a, axis=1) for a in (h, y_hat, before))


def check_forward(rnn_forward, x, h0, W_hx, W_hh, b_h, W_yh, b_y):
    """h (B, T, H) and y_hat (B, T, O) of the learner's forward against
    rnn_cell_reference step by step, from h0 (the usual mistakes named; no
    input changed in place) and from h0 = None (zeros)."""
    (B, T, D), (O, H) = x.shape, W_yh.shape
    sizes = _sizes(B=B, T=T, D=D, H=H, O=O)
    for start in (h0, None):
        args = (x, start, W_hx, W_hh, b_h, W_yh, b_y)
        expected_h, expected_y, before = _reference_run(*args)
        h_mistakes = rnn_forward_mistakes(x, start, W_hx, W_hh, b_h)
        y_mistakes = rnn_output_mistakes(before, expected_h, W_yh, b_y)
        given = copies(*args)
        got = check_returns("rnn_forward", rnn_forward(*given), ("h", "y_hat"))
        note = "" if start is not None else ", h0=None"
        for name, got_value, expected, mistakes in (
            ("h", got[0], expected_h, h_mistakes),
            ("y_hat", got[1], expected_y, y_mistakes),
        ):
            check_array(
                f"{name} ({sizes}{note})",
                got_value,
                expected,
                mistakes=mistakes,
                time_axis=1,
            )
        for name, before_call, after in zip(FORWARD_ARGS, args, given, strict=True):
            if before_call is not None:
                check_unchanged(name, before_call, after)


def check_concat(concat_weights, W_hh, W_hx, name="W_h"):
    """W_h (H, H + D) of the learner's concat_weights against np.block."""
    expected, swapped = np.block([W_hh, W_hx]), np.block([W_hx, W_hh])
    got = concat_weights(*copies(W_hh, W_hx))
    check_array(name, got, expected, mistakes={WRONG_BLOCKS: swapped})


def check_step_concat(rnn_step_forward_concat, x_t, h_prev, W_hx, W_hh, b_h):
    """h_next (B, H) of the learner's one-product step, given W_h = [W_hh |
    W_hx], against rnnlib.rnn_step_forward (the blocks swapped and the bias
    left out named)."""
    W_h = np.concatenate([W_hh, W_hx], axis=1)
    expected, _ = rnnlib.rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h)
    mistakes = {
        WRONG_ORDER: np.tanh(np.concatenate([x_t, h_prev], axis=1) @ W_h.T + b_h),
        NO_BIAS: np.tanh(np.concatenate([h_prev, x_t], axis=1) @ W_h.T),
    }
    got = rnn_step_forward_concat(*copies(x_t, h_prev, W_h, b_h))
    check_array("h_next", got, expected, mistakes=mistakes)
