"""What the usual wrong versions of exercise 12's masked softmax, its
backward pass and the context return, with plain NumPy, for the checks in
`attention.py` (these parts are graded as rnnlib computes them).

Each `*_mistakes` function computes what a common wrong version of one part
of solutions/12_attention_exercises.ipynb returns, keyed by an explanation
for the learner, so `coursekit.checks.check_array` can name the mistake when
the learner's result equals one of them:

    check_array("a", got, expected, mistakes=masked_softmax_mistakes(e, mask))
    # ... This is exactly what you get with padding not masked: ...

The usual mistakes: softmax over the wrong axis, padding not masked (or
masked after the softmax without renormalising).  The references and mistake
models of the parts that grade a variant rnnlib does not hold (the scores, a
decoder step, beam search) are the instructor's:
`coursekit/answers/attention.py`, recorded for the visible tests.
"""

import numpy as np

from .values import (
    MISTAKES,
)

NOT_MASKED = (
    "padding not masked: the softmax also gave weight to the padded source"
    " steps. Set their scores to -inf (or leave them out) before the softmax,"
    " so that a[b, t, s] = 0 where mask[b, s] = 0"
)


MASKED_AFTER = (
    "the mask applied after the softmax without renormalising: the weights of"
    " the real steps no longer sum to 1. Mask the scores *before* the softmax"
)


def _softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def _masked_softmax(e, mask):
    real = (mask > 0) if e.ndim == 2 else (mask > 0)[:, None, :]
    return _softmax(np.where(real, e, -np.inf))


def masked_softmax_mistakes(e, mask):
    """Wrong attention weights for scores e (B, T, S) and mask (B, S)."""
    m = mask[:, None, :] if e.ndim == 3 else mask
    plain = _softmax(e)
    mistakes = {NOT_MASKED: plain, MASKED_AFTER: plain * m}
    if e.ndim == 3 and e.shape[1] > 1:
        wrong_axis = _softmax(np.where(m > 0, e, -1e300), axis=1) * m
        mistakes[
            MISTAKES["softmax_axis"].replace(
                "over the classes, the last axis (axis=-1)",
                "over the source steps s, the last axis (axis=-1), not over"
                " the decoder steps t",
            )
        ] = wrong_axis
    return mistakes


def masked_softmax_backward_mistakes(da, a):
    """Wrong de for upstream da and weights a of the same shape."""
    return {
        "de = a * da: the softmax Jacobian also has the term"
        " -a_s sum_s' a_s' da_s' (every weight depends on every score)": a * da,
        "de = da: the gradient must go through the softmax,"
        " de = a * (da - sum_s a * da)": da,
        "the sum in the softmax backward taken over the wrong axis: sum over"
        " the source steps s (axis=-1)": a * (da - (a * da).sum(axis=0, keepdims=True)),
    }


def context_mistakes(a, values):
    """Wrong contexts c (B, T, Dv) for weights a (B, T, S) and values (B, S, Dv)."""
    S = values.shape[1]
    mistakes = {
        "the plain mean of the values: weigh each v_s by a_{t,s}": np.broadcast_to(
            values.mean(axis=1, keepdims=True), a.shape[:-1] + values.shape[-1:]
        ),
        "the sum of the values without weights: c_t = sum_s a_{t,s} v_s": (
            np.broadcast_to(
                values.sum(axis=1, keepdims=True), a.shape[:-1] + values.shape[-1:]
            )
        ),
    }
    if a.ndim == 3 and a.shape[1] == S:
        mistakes["a transposed: c = a^T @ values uses a[b, s, t]"] = (
            a.transpose(0, 2, 1) @ values
        )
    return mistakes
