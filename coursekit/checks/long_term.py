"""The checks of exercise 08 (solutions/08_long_term_dependencies_exercises.ipynb).

Each check builds its test data and reference, calls the learner's function
(given as the first argument) and raises with the usual mistake named:

- `check_clip`, `direction_example` (Part 1): `clip_norm_per_array`, each
  array clipped by its own norm (as Keras's `clipnorm` in tf.keras and
  Keras 3; rnnlib's `clip_grad_norm` clips by the global norm, one factor
  for all), in place.  rnnlib does not hold it: its reference and the models
  of its usual mistakes (one global factor, each entry clipped, ...) are
  the instructor's, `coursekit/answers/long_term.py`, whose values for the
  visible tests' cases are recorded (`recordings.py`, ANSWERS:
  clip_answer, direction_answer); `clip_case`, `direction_case`: its test
  data;
- `check_state_gradients` (Part 2): `state_gradients` against
  rnnlib.longterm.hidden_state_gradients (mistakes:
  `state_gradient_mistakes`), and against numerical gradients of the loss
  at chosen steps;
- `check_curve` (Part 3): `gradient_norm_curve`'s ratios and bound against
  rnnlib.longterm's (mistakes: `curve_mistakes`);
- `random_grads`, `random_rnn`, `reference_state_gradients`: test data and
  the reference of Part 2.
"""

import numbers

import numpy as np

import rnnlib
from rnnlib.longterm import (
    gradient_norms_by_distance,
    hidden_state_gradients,
    singular_value_bound,
)

from .mistakes_rnn import state_gradient_mistakes
from .recordings import Answers
from .values import (
    MISTAKES,
    check_array,
    check_gradient,
    check_returns,
    check_same_keys,
    check_scalar,
    check_unchanged,
    copies,
)

# Part 1 grades what rnnlib does not hold: its reference and mistake models
# are the instructor's (coursekit/answers/long_term.py), recorded for the
# visible tests' cases (recordings.py)
ANSWERS = Answers("long_term")

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


def check_norms_returned(norms, grads, total):
    """The learner's return value is a dict with grads' keys (not one float:
    the global norm, or another number)."""
    if isinstance(norms, numbers.Real):
        which = (
            "the global norm of all the arrays"
            if np.isclose(norms, total, rtol=1e-6)
            else "one number"
        )
        raise AssertionError(
            f"clip_norm_per_array returned {which} ({float(norms):.6g}): return"
            " a dict name -> that array's norm before clipping, one float per"
            f" array, with the keys of grads {sorted(grads)}"
        )
    check_same_keys("the dict of norms returned", norms, grads)


def clip_case(shapes, scale, seed, zeros=()):
    """Test data of Part 1: random gradients (random_grads), the arrays named
    in `zeros` all zeros (norm 0: they stay as they are)."""
    grads = random_grads(shapes, scale, seed)
    for name in zeros:
        grads[name][...] = 0.0
    return grads


def direction_case():
    """The markdown's example: W [[3, 4]] (norm 5) and b [12] (norm 12)."""
    return {"W": np.array([[3.0, 4.0]]), "b": np.array([12.0])}


def _consistent(mistakes, got, close):
    """{name: {mistake: value}} restricted to the mistakes whose value
    `close(got[name], value)` finds equal for every name: a mistake is named
    only if it gives what the learner's code gave in all the arrays."""
    names = list(mistakes)
    if not names:
        return {}
    kept = [
        m
        for m in mistakes[names[0]]
        if all(close(got[k], mistakes[k][m]) for k in names)
    ]
    return {k: {m: mistakes[k][m] for m in kept} for k in names}


def _close(got, value):
    try:
        return bool(np.allclose(got, value, rtol=1e-6, atol=1e-8))
    except (TypeError, ValueError):  # not a number, or another shape
        return False


def check_clip(clip_norm_per_array, shapes, scale, max_norm, seed, zeros=()):
    """Check clip_norm_per_array(grads, max_norm) on random gradients (the
    arrays named in `zeros` all zeros: clip_case) against the reference,
    each array clipped by its own norm in place (answers: clip_answer);
    returns the learner's norms and the clipped grads."""
    grads = clip_case(shapes, scale, seed, zeros)
    answer = ANSWERS(
        "clip_answer",
        shapes=shapes,
        scale=scale,
        max_norm=max_norm,
        seed=seed,
        zeros=zeros,
    )
    return _check_clip_on(clip_norm_per_array, grads, max_norm, answer)


def _check_clip_on(clip_norm_per_array, grads, max_norm, answer):
    """Check clip_norm_per_array on these gradients (changed in place, as the
    learner's function changes them) against `answer` (clip_answer's data
    for them); returns (norms, grads)."""
    before = {k: g.copy() for k, g in grads.items()}
    ids = {k: id(g) for k, g in grads.items()}
    zero = [k for k, g in before.items() if not np.any(g)]
    try:
        norms = clip_norm_per_array(grads, max_norm)
    except (ZeroDivisionError, FloatingPointError) as err:
        if not zero:
            raise
        raise AssertionError(
            f"clip_norm_per_array raised {type(err).__name__} ({err}) on"
            f" gradients where grads['{zero[0]}'] is all zeros: an all-zero"
            " array has norm 0, which is not above max_norm, so it stays as it"
            " is (compare the norm with max_norm before dividing by it)"
        ) from err
    total = float(np.sqrt(sum(n * n for n in answer["norms"].values())))
    check_norms_returned(norms, before, total)
    mistakes = answer["mistakes"]
    norm_mistakes = _consistent(mistakes["norms"], norms, _close)
    grad_mistakes = _consistent(mistakes["grads"], grads, _close)
    case = f"(max_norm {max_norm:g})"
    for k in before:
        check_scalar(
            f"the norm returned for '{k}' {case}",
            norms[k],
            answer["norms"][k],
            mistakes=norm_mistakes[k],
        )
        assert id(grads[k]) == ids[k], (
            f"grads['{k}'] was replaced by a new array: multiply the arrays in"
            " place (g *= factor), so that the optimiser holding them sees the change"
        )
        check_array(
            f"grads['{k}'] after clipping {case}",
            grads[k],
            answer["grads"][k],
            mistakes=grad_mistakes[k],
        )
    return norms, grads


def direction_example(clip_norm_per_array):
    """The learner's clipping of {W: [[3, 4]], b: [12]} to 6.5, checked
    (answers: direction_answer), and the cosine between the gradient and the
    clipped one, all the arrays as one vector (103 / (13 sqrt(67.25)) =
    0.966; global clipping keeps it at 1: W [[1.5, 2]], b [6])."""
    grads = direction_case()
    before = np.concatenate([g.ravel() for g in grads.values()])
    answer = ANSWERS("direction_answer", max_norm=6.5)
    norms, grads = _check_clip_on(clip_norm_per_array, grads, 6.5, answer)
    after = np.concatenate([g.ravel() for g in grads.values()])
    cosine = before @ after / (np.linalg.norm(before) * np.linalg.norm(after))
    return norms, grads, float(cosine)


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
    # dL/dh_t by central differences; its error is measured against the size
    # of the gradient at the loss too (floor): a gradient that has vanished
    # through time leaves the loss's rounding as a large ratio of itself
    floor = float(np.max(np.abs(args[-1])))
    for t in numerical_steps:
        h_t = h[:, t].copy()
        num = rnnlib.numerical_gradient(lambda v, t=t: loss_from_step(*args, t, v), h_t)
        check_gradient(
            f"grads[:, {t}] ({size}), against the numerical gradient",
            grads[:, t],
            num,
            floor=floor,
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
