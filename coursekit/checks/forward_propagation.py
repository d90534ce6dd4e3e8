"""Exercise 01 (forward propagation): the checks its test cells call.

The cell with its sigmoid output (Parts 1 and 2) is a variant rnnlib does
not hold as one function: its reference and the mistakes of its output are
the instructor's (`coursekit/answers/forward_propagation.py`), recorded for
the visible tests' cases (`recordings.py`, ANSWERS); the mistakes of the
tanh step are rnnlib's step's (`mistakes_rnn`).  Part 3 is compared with
rnnlib's step.  Each check builds its test data from the case it is given
(sizes and a seed), and calls the learner's function on fresh copies:

check_cell         rnn_cell_forward: h_next and y_hat_t against the
                   reference (answers: cell_answer); the inputs left
                   unchanged; the two returned in the wrong order named
check_forward      rnn_forward: h and y_hat against the reference step by
                   step (answers: forward_answer), from h0 and from h0 =
                   None (a zero state)
check_concat       concat_weights: W_h = [W_hh | W_hx]
check_step_concat  rnn_step_forward_concat: one product with W_h gives
                   rnnlib's step
"""

import numpy as np

import rnnlib

from .bptt import random_rnn
from .recordings import Answers
from .values import _matches, check_array, check_returns, check_unchanged, copies

# Parts 1 and 2: the instructor's references, recorded for the visible cases
ANSWERS = Answers("forward_propagation")

WRONG_BLOCKS = "the blocks in the wrong order, [W_hx | W_hh]: W_hh comes first"
WRONG_ORDER = "[x_t, h_prev] in this order: h_prev comes first, like W_hh in W_h"
NO_BIAS = "the bias b_h left out: add it after the product, as in Part 1"
CELL_ARGS = ("x_t", "h_prev", "W_hx", "W_hh", "b_h", "W_yh", "b_y")
FORWARD_ARGS = ("x", "h0", "W_hx", "W_hh", "b_h", "W_yh", "b_y")
# the errors a check passes on as they are: the grader's, not the learner's
PASSED_ON = ("StudentDied", "WireError")


def _sizes(**sizes):
    return ", ".join(f"{k}={v}" for k, v in sizes.items())


def random_output(H, O, seed=0):
    """Test data for the output: W_yh (O, H), b_y (O,), from a stream of its own."""
    rng = np.random.default_rng([seed, 1])
    return rng.standard_normal((O, H)) / np.sqrt(H), 0.5 * rng.standard_normal(O)


def cell_case(B, D, H, O, seed, scale=1.0, zero_state=False):
    """Test data of Part 1: x_t (B, D), h_prev (B, H), W_hx (H, D), W_hh
    (H, H), b_h (H,), W_yh (O, H), b_y (O,), as the exercise's random_rnn
    (one step) and random_output make them; x_t and W_yh times `scale`
    (3.0: tanh and the sigmoid saturate), h_prev zeros if `zero_state`."""
    x, h0, W_hx, W_hh, b_h = random_rnn(B, 1, D, H, seed)
    W_yh, b_y = random_output(H, O, seed)
    h_prev = 0 * h0 if zero_state else h0
    return scale * x[:, 0], h_prev, W_hx, W_hh, b_h, scale * W_yh, b_y


def forward_case(B, T, D, H, O, seed):
    """Test data of Part 2: x (B, T, D), h0 (B, H), W_hx, W_hh, b_h, W_yh,
    b_y, as random_rnn and random_output make them."""
    return (*random_rnn(B, T, D, H, seed), *random_output(H, O, seed))


def _check_order(function, got, expected, names):
    """Fail with one message when the two arrays `function` returned are the
    expected ones in the wrong order: their shapes swapped, or, where the
    two have one shape, their values."""
    first, second = expected
    shapes = tuple(np.shape(g) if isinstance(g, np.ndarray) else None for g in got)
    if first.shape != second.shape:
        swapped = shapes == (second.shape, first.shape)
    else:
        swapped = _matches(got[0], second, 1e-8, 1e-6) and _matches(
            got[1], first, 1e-8, 1e-6
        )
    if swapped:
        raise AssertionError(
            f"{function} returned {names[1]} first and {names[0]} second, the"
            f" wrong order: return {names[0]}, {names[1]}, in that order."
            f" Expected {names[0]} of shape {first.shape}, then {names[1]} of"
            f" shape {second.shape}."
        )


def check_cell(rnn_cell_forward, B, D, H, O, seed, scale=1.0, zero_state=False):
    """Part 1: h_next (B, H) and y_hat_t (B, O) of the learner's cell against
    the reference (answers: cell_answer), the usual mistakes of the step and
    of its output named; no input changed in place.  Returns its arguments."""
    args = cell_case(B, D, H, O, seed, scale, zero_state)
    case = {"B": B, "D": D, "H": H, "O": O, "seed": seed}
    if scale != 1.0:
        case["scale"] = scale
    if zero_state:
        case["zero_state"] = True
    answer = ANSWERS("cell_answer", **case)
    expected = answer["h_next"], answer["y_hat_t"]
    given = copies(*args)
    got = rnn_cell_forward(*given)
    got = check_returns("rnn_cell_forward", got, ("h_next", "y_hat_t"))
    _check_order("rnn_cell_forward", got, expected, ("h_next", "y_hat_t"))
    sizes = _sizes(B=B, D=D, H=H, O=O)
    for name, value, right in zip(("h_next", "y_hat_t"), got, expected, strict=True):
        mistakes = answer["mistakes"][name]
        check_array(f"{name} ({sizes})", value, right, mistakes=mistakes)
    for name, before, after in zip(CELL_ARGS, args, given, strict=True):
        check_unchanged(name, before, after)
    return args


def _run_from_zeros(rnn_forward, given, B, H):
    """rnn_forward(*given) for h0=None: the learner's error, if it raises,
    said as a failure of the run from zeros."""
    try:
        return rnn_forward(*given)
    except AssertionError:
        raise
    except Exception as err:
        if isinstance(err, EOFError | OSError) or type(err).__name__ in PASSED_ON:
            raise
        if hasattr(err, "ename"):  # raised in the student's process
            what = f"{err.ename}: {err.evalue}"
        else:
            what = f"{type(err).__name__}: {err}"
        raise AssertionError(
            f"rnn_forward failed with h0=None (start from zeros, (B, H) ="
            f" ({B}, {H})), after it passed with the given h0. It raised {what}"
        ) from None


def check_forward(rnn_forward, B, T, D, H, O, seed):
    """Part 2: h (B, T, H) and y_hat (B, T, O) of the learner's forward
    against the reference step by step (answers: forward_answer), from h0
    (the usual mistakes named; no input changed in place) and from h0 =
    None (zeros).  Returns the arguments of the run from h0."""
    x, h0, *weights = forward_case(B, T, D, H, O, seed)
    answer = ANSWERS("forward_answer", B=B, T=T, D=D, H=H, O=O, seed=seed)
    sizes = _sizes(B=B, T=T, D=D, H=H, O=O)
    for start, run in ((h0, "from h0"), (None, "from zeros")):
        args = (x, start, *weights)
        expected = answer[run]["h"], answer[run]["y_hat"]
        given = copies(*args)
        if start is None:
            got = _run_from_zeros(rnn_forward, given, B, H)
        else:
            got = rnn_forward(*given)
        got = check_returns("rnn_forward", got, ("h", "y_hat"))
        _check_order("rnn_forward", got, expected, ("h", "y_hat"))
        note = "" if start is not None else ", h0=None"
        for name, value, right in zip(("h", "y_hat"), got, expected, strict=True):
            check_array(
                f"{name} ({sizes}{note})",
                value,
                right,
                mistakes=answer[run]["mistakes"][name],
                time_axis=1,
            )
        for name, before_call, after in zip(FORWARD_ARGS, args, given, strict=True):
            if before_call is not None:
                check_unchanged(name, before_call, after)
    return (x, h0, *weights)


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
