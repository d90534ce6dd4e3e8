"""Exercise 01's answers: the RNN cell with its sigmoid output (a tanh step,
then y_hat_t = sigmoid(h_next @ W_yh.T + b_y)), which rnnlib does not hold
as one function, its loop over time, and the usual mistakes of the output,
with plain NumPy.  The mistakes of the tanh step itself are the shared ones
of `coursekit.checks.mistakes_rnn` (rnnlib's step).  Instructor-only (see
`coursekit.answers`).

The functions the checks of `coursekit.checks.forward_propagation` ask for,
one per check, take the case the check was given and return plain data:

    cell_answer(B, D, H, O, seed, scale=1.0, zero_state=False)
        h_next, y_hat_t, {"h_next": {mistake: h_next},
        "y_hat_t": {mistake: y_hat_t}}
    forward_answer(B, T, D, H, O, seed)
        for the run from h0 and the run from zeros (h0=None): h, y_hat,
        {"h": {mistake: h}, "y_hat": {mistake: y_hat}}
"""

import numpy as np

from coursekit.checks.forward_propagation import cell_case, forward_case
from coursekit.checks.mistakes_rnn import (
    _step,
    rnn_forward_mistakes,
    rnn_step_mistakes,
)
from coursekit.checks.values import MISTAKES
from rnnlib import softmax


def _sigmoid(z):
    """1 / (1 + e^-z), without overflow for any finite z."""
    return np.exp(-np.logaddexp(0.0, -z))


def rnn_cell_reference(x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y):
    """Exercise 01's graded cell: one tanh RNN step and its sigmoid output.

    h_next = tanh(x_t @ W_hx.T + h_prev @ W_hh.T + b_h)
    y_hat_t = sigmoid(h_next @ W_yh.T + b_y)

    x_t (B, D), h_prev (B, H), W_hx (H, D), W_hh (H, H), b_h (H,),
    W_yh (O, H), b_y (O,).  Returns h_next (B, H) and y_hat_t (B, O).
    """
    h_next = _step(x_t, h_prev, W_hx, W_hh, b_h)
    return h_next, _sigmoid(h_next @ W_yh.T + b_y)


def rnn_output_mistakes(h_prev, h_next, W_yh, b_y):
    """What common wrong outputs of a tanh RNN cell with a sigmoid output
    return, y_hat = sigmoid(h_next @ W_yh.T + b_y) being the right one.

    h_prev, h_next (..., H): the states before and after the step (for a
    sequence, (B, T, H) each, h_prev[:, t] the state before step t).
    Returns {mistake: y_hat (..., O)}: a softmax instead of the sigmoid,
    the sigmoid left out, the output read from h_prev, the bias b_y left
    out, and a transposed W_yh (only when O == H).
    """
    z = h_next @ W_yh.T + b_y
    out = {
        "a softmax instead of the sigmoid: the O outputs are independent"
        " yes/no answers, each its own probability sigmoid(z); a softmax makes"
        " them compete and sum to 1": softmax(z),
        "the sigmoid left out: h_next @ W_yh.T + b_y are the logits; y_hat_t"
        " = sigmoid(logits) is a probability in (0, 1)": z,
        "the output read from h_prev: y_hat_t reads the new state, h_next ="
        " tanh(...) computed in this step": _sigmoid(h_prev @ W_yh.T + b_y),
        "the output's bias b_y left out: y_hat_t = sigmoid(h_next @ W_yh.T"
        " + b_y)": _sigmoid(h_next @ W_yh.T),
    }
    if W_yh.shape[0] == W_yh.shape[1]:
        out[
            MISTAKES["transposed"] + " (here h_next @ W_yh instead of h_next @ W_yh.T)"
        ] = _sigmoid(h_next @ W_yh + b_y)
    return out


def rnn_forward_reference(x, h0, W_hx, W_hh, b_h, W_yh, b_y):
    """rnn_cell_reference at t = 1 ... T, from h0 (zeros if None).

    x (B, T, D).  Returns h (B, T, H), y_hat (B, T, O) and the states
    before each step (B, T, H).
    """
    h_prev = np.zeros((x.shape[0], W_hh.shape[0])) if h0 is None else h0
    h, y_hat, before = [], [], []
    for t in range(x.shape[1]):
        before.append(h_prev)
        h_prev, y_t = rnn_cell_reference(x[:, t], h_prev, W_hx, W_hh, b_h, W_yh, b_y)
        h.append(h_prev)
        y_hat.append(y_t)
    return tuple(np.stack(a, axis=1) for a in (h, y_hat, before))


def cell_answer(B, D, H, O, seed, scale=1.0, zero_state=False):
    """Part 1: h_next and y_hat_t of the cell, and the mistakes' of each."""
    x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y = cell_case(
        B, D, H, O, seed, scale, zero_state
    )
    h_next, y_hat_t = rnn_cell_reference(x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y)
    return {
        "h_next": h_next,
        "y_hat_t": y_hat_t,
        "mistakes": {
            "h_next": rnn_step_mistakes(x_t, h_prev, W_hx, W_hh, b_h),
            "y_hat_t": rnn_output_mistakes(h_prev, h_next, W_yh, b_y),
        },
    }


def forward_answer(B, T, D, H, O, seed):
    """Part 2: h and y_hat over the sequence, and the mistakes' of each, from
    h0 ("from h0") and from zeros ("from zeros", h0=None)."""
    x, h0, W_hx, W_hh, b_h, W_yh, b_y = forward_case(B, T, D, H, O, seed)
    out = {}
    for run, start in (("from h0", h0), ("from zeros", None)):
        h, y_hat, before = rnn_forward_reference(x, start, W_hx, W_hh, b_h, W_yh, b_y)
        out[run] = {
            "h": h,
            "y_hat": y_hat,
            "mistakes": {
                "h": rnn_forward_mistakes(x, start, W_hx, W_hh, b_h),
                "y_hat": rnn_output_mistakes(before, h, W_yh, b_y),
            },
        }
    return out
