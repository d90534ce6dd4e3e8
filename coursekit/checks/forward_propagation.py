"""Exercise 01 (forward propagation): the checks its test cells call.

Each check computes its reference with rnnlib (or plain NumPy) before it
calls the learner's function, on fresh copies of the inputs, and names the
usual mistakes (`mistakes_rnn`) when the result matches one:

check_step         rnn_step_forward: h_next against rnnlib's step
check_forward      rnn_forward: h against rnnlib's forward, from h0 and from
                   h0 = None (a zero state)
check_concat       concat_weights: W_h = [W_hh | W_hx]
check_step_concat  rnn_step_forward_concat: one product with W_h gives
                   rnnlib's step
"""

import numpy as np

import rnnlib

from .mistakes_rnn import rnn_forward_mistakes, rnn_step_mistakes
from .values import check_array, copies

WRONG_BLOCKS = "the blocks in the wrong order, [W_hx | W_hh]: W_hh comes first"
WRONG_ORDER = "[x_t, h_prev] in this order: h_prev comes first, like W_hh in W_h"
NO_BIAS = "the bias b_h left out: add it after the product, as in Part 1"


def check_step(rnn_step_forward, x_t, h_prev, W_hx, W_hh, b_h):
    """h_next (B, H) of the learner's step against rnnlib.rnn_step_forward."""
    expected, _ = rnnlib.rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h)
    mistakes = rnn_step_mistakes(x_t, h_prev, W_hx, W_hh, b_h)
    got = rnn_step_forward(*copies(x_t, h_prev, W_hx, W_hh, b_h))
    check_array("h_next", got, expected, mistakes=mistakes)


def check_forward(rnn_forward, x, h0, W_hx, W_hh, b_h):
    """h (B, T, H) of the learner's forward against rnnlib.rnn_forward, from
    h0 (the usual mistakes named) and from h0 = None (zeros)."""
    expected, _ = rnnlib.rnn_forward(x, h0, W_hx, W_hh, b_h)
    mistakes = rnn_forward_mistakes(x, h0, W_hx, W_hh, b_h)
    got = rnn_forward(*copies(x, h0, W_hx, W_hh, b_h))
    check_array("h", got, expected, mistakes=mistakes, time_axis=1)
    expected, _ = rnnlib.rnn_forward(x, None, W_hx, W_hh, b_h)
    got = rnn_forward(*copies(x, None, W_hx, W_hh, b_h))
    check_array("h with h0=None", got, expected, time_axis=1)


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
