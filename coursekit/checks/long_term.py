"""The checks of exercise 08 (solutions/08_long_term_dependencies_exercises.ipynb).

Each check builds its test data and reference, calls the learner's function
(given as the first argument) and raises with the usual mistake named:

- `check_clip` (Part 1): `clip_grad_norm` against rnnlib.clip_grad_norm on
  copies (the arrays scaled in place, one factor for all; mistakes:
  `clip_grad_norm_mistakes`);
- `check_state_gradients` (Part 2): `state_gradients` against
  rnnlib.longterm.hidden_state_gradients (mistakes:
  `state_gradient_mistakes`), and against numerical gradients of the loss
  at chosen steps;
- `check_curve` (Part 3): `gradient_norm_curve`'s ratios and bound against
  rnnlib.longterm's (mistakes: `curve_mistakes`);
- `random_grads`, `random_rnn`, `reference_state_gradients`: test data and
  the reference of Part 2.
"""

import numpy as np

import rnnlib
from rnnlib.longterm import (
    gradient_norms_by_distance,
    hidden_state_gradients,
    singular_value_bound,
)

from .mistakes_rnn import clip_grad_norm_mistakes, state_gradient_mistakes
from .values import (
    MISTAKES,
    check_array,
    check_gradient,
    check_returns,
    check_scalar,
    check_unchanged,
    copies,
)

SHAPES = {"W_hx": (4, 3), "W_hh": (4, 4), "b_h": (4,), "W_yh": (2, 4), "b_y": (2,)}


def random_grads(shapes, scale, seed):
    """A dict of random gradient arrays with these shapes (test data)."""
    rng = np.random.default_rng(seed)
    return {name: scale * rng.standard_normal(shape) for name, shape in shapes.items()}


def random_rnn(B, T, D, H, gain, seed):
    """x (B, T, D), W_hx (H, D), W_hh (H, H) = gain * a random matrix, b_h (H,),
    dh_last (B, H): test data for a loss read at the last step."""
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((B, T, D)),
        rng.standard_normal((H, D)) / np.sqrt(D),
        gain * rng.standard_normal((H, H)) / np.sqrt(H),
        0.1 * rng.standard_normal(H),
        rng.standard_normal((B, H)),
    )


def reference_state_gradients(x, W_hx, W_hh, b_h, dh_last):
    """dL/dh_t for every t from rnnlib (rnnlib/longterm.py), batch first."""
    grads = hidden_state_gradients("rnn", (W_hx, W_hh, b_h), x, dh_last)
    return grads.transpose(1, 0, 2)  # (T, B, H) -> (B, T, H)


def check_clip(clip_grad_norm, shapes, scale, max_norm, seed):
    """Check clip_grad_norm(grads, max_norm) on random gradients against
    rnnlib.clip_grad_norm (rnnlib/optim.py) on copies; returns the learner's
    norm and the clipped grads."""
    grads = random_grads(shapes, scale, seed)
    before = {k: g.copy() for k, g in grads.items()}
    ids = {k: id(g) for k, g in grads.items()}
    expected = {k: g.copy() for k, g in grads.items()}
    expected_norm = rnnlib.clip_grad_norm(expected, max_norm)
    mistakes = clip_grad_norm_mistakes(before, max_norm)
    norm = clip_grad_norm(grads, max_norm)
    case = f"(scale {scale}, max_norm {max_norm})"
    check_scalar(
        f"the norm returned {case}", norm, expected_norm, mistakes=mistakes["norm"]
    )
    for k in shapes:
        assert id(grads[k]) == ids[k], (
            f"grads['{k}'] was replaced by a new array: multiply the arrays in"
            " place (g *= factor), so that the optimiser holding them sees the change"
        )
        # rnnlib divides by norm + 1e-6, as PyTorch does: a relative difference of ~1e-7
        check_array(
            f"grads['{k}'] after clipping {case}",
            grads[k],
            expected[k],
            rtol=1e-5,
            mistakes=mistakes["grads"][k],
        )
    return norm, grads


def loss_from_step(x, W_hx, W_hh, b_h, dh_last, t, h_t):
    """L = sum(dh_last * h_T) as a function of the state h_t (Python index t)."""
    if t == x.shape[1] - 1:
        return np.sum(dh_last * h_t)
    h, _ = rnnlib.rnn_forward(x[:, t + 1 :], h_t, W_hx, W_hh, b_h)
    return np.sum(dh_last * h[:, -1])


def check_state_gradients(state_gradients, B, T, D, H, gain, seed, numerical_steps=()):
    """Check state_gradients on a random RNN against rnnlib, and at the steps
    `numerical_steps` against numerical gradients; returns its arguments."""
    args = random_rnn(B, T, D, H, gain, seed)
    grads = state_gradients(*copies(*args))
    expected = reference_state_gradients(*args)
    size = f"B={B}, T={T}, D={D}, H={H}"
    mistakes = state_gradient_mistakes(*args)
    check_array(f"grads ({size})", grads, expected, mistakes=mistakes, time_axis=1)
    h, _ = rnnlib.rnn_forward(*args[:1], None, *args[1:4])
    for t in numerical_steps:  # dL/dh_t by central differences
        h_t = h[:, t].copy()
        num = rnnlib.numerical_gradient(lambda v, t=t: loss_from_step(*args, t, v), h_t)
        check_gradient(
            f"grads[:, {t}] ({size}), against the numerical gradient", grads[:, t], num
        )
    return args


def curve_mistakes(grads, W_hh, expected_ratios, expected_bound):
    """(ratios mistakes, bound mistakes) of gradient_norm_curve, by explanation."""
    T = grads.shape[1]
    norms = np.linalg.norm(grads, axis=2)
    rho = np.abs(np.linalg.eigvals(W_hh)).max()
    ratios = {
        "the ratios in time order: ratios[k] is k steps back from the loss,"
        " so ratios[0] is the last step (reverse the time axis)": (
            expected_ratios[::-1]
        ),
        "the norms averaged over the batch before the ratio: take the ratio"
        " for each sequence, then average": (norms.mean(axis=0) / norms[:, -1].mean())[
            ::-1
        ],
        "norms taken over the whole batch at once: take one norm per sequence"
        " (over the H units), a ratio per sequence, then the mean": (
            np.linalg.norm(grads, axis=(0, 2)) / np.linalg.norm(grads[:, -1])
        )[::-1],
    }
    bound = {
        "the spectral radius max|eigenvalue| instead of the largest singular"
        " value: the norm bound needs sigma_max": rho ** np.arange(T),
        "the Frobenius norm instead of the largest singular value: use"
        " np.linalg.norm(W_hh, ord=2)": np.linalg.norm(W_hh) ** np.arange(T),
        MISTAKES["off_by_one"] + " (bound[0] is sigma_max**0 = 1)": (
            expected_bound * np.linalg.norm(W_hh, ord=2)
        ),
    }
    return ratios, bound


def check_curve(gradient_norm_curve, B, T, D, H, gain, seed):
    """Check gradient_norm_curve(grads, W_hh) on the state gradients of a
    random RNN; returns (grads, W_hh, ratios, bound)."""
    x, W_hx, W_hh, b_h, dh_last = random_rnn(B, T, D, H, gain, seed)
    grads = reference_state_gradients(x, W_hx, W_hh, b_h, dh_last)
    grads_before = grads.copy()
    ratios, bound = check_returns(
        "gradient_norm_curve", gradient_norm_curve(grads, W_hh), ("ratios", "bound")
    )
    check_unchanged("grads", grads_before, grads)
    expected_ratios = gradient_norms_by_distance(grads.transpose(1, 0, 2))
    expected_bound = singular_value_bound(W_hh, np.arange(T))
    ratio_mistakes, bound_mistakes = curve_mistakes(
        grads, W_hh, expected_ratios, expected_bound
    )
    size = f"B={B}, T={T}, H={H}"
    check_array(
        f"ratios ({size})", ratios, expected_ratios, rtol=1e-6, mistakes=ratio_mistakes
    )
    check_array(f"bound ({size})", bound, expected_bound, mistakes=bound_mistakes)
    assert np.all(expected_ratios <= expected_bound * (1 + 1e-9)), "the bound fails?"
    return grads, W_hh, ratios, bound
