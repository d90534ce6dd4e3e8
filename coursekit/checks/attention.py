"""What the usual wrong versions of attention return, for exercise 12.

Each `*_mistakes` function computes, with plain NumPy (the beam search's
with rnnlib's reference model), what a common wrong version of one part of
solutions/12_attention_exercises.ipynb returns, keyed by an explanation for
the learner, so `coursekit.checks.check_array` / `check_token_lists` can
name the mistake when the learner's result equals one of them:

    check_array("a", got, expected, mistakes=masked_softmax_mistakes(e, mask))
    # ... This is exactly what you get with padding not masked: ...

The usual mistakes: softmax over the wrong axis, padding not masked (or
masked after the softmax without renormalising), scores not scaled by
1/sqrt(d), beams not length-normalised.
"""

import numpy as np

from .values import MISTAKES

NOT_MASKED = (
    "padding not masked: the softmax also gave weight to the padded source"
    " steps. Set their scores to -inf (or leave them out) before the softmax,"
    " so that a[b, t, s] = 0 where mask[b, s] = 0"
)
MASKED_AFTER = (
    "the mask applied after the softmax without renormalising: the weights of"
    " the real steps no longer sum to 1. Mask the scores *before* the softmax"
)
NOT_SCALED = (
    "scores not scaled: the scaled dot product divides q . k by sqrt(d), the"
    " size of the vectors, so that it does not grow with d"
)
SCALED_BY_D = "scores divided by d instead of sqrt(d)"
NOT_NORMALISED = (
    "beams not length-normalised: finished hypotheses compared by their raw"
    " log-probability, which favours short outputs. Compare"
    " log p / length**alpha (length counting <eos>)"
)


def _softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def _masked_softmax(e, mask):
    real = (mask > 0) if e.ndim == 2 else (mask > 0)[:, None, :]
    return _softmax(np.where(real, e, -np.inf))


def additive_scores_mistakes(q, k, W_q, W_k, v):
    """Wrong additive scores e (B, T, S) for q (B, T, Dq), k (B, S, Dk)."""
    pq, pk = q @ W_q.T, k @ W_k.T
    summed = pq[:, :, None, :] + pk[:, None, :, :]
    mistakes = {
        "no tanh: e = v^T (W_q q_t + W_k k_s) is linear, and then the score"
        " of a key does not depend on the query at all; put tanh around the"
        " sum": summed @ v,
        "tanh applied to each projection apart: e = v^T (tanh(W_q q_t) +"
        " tanh(W_k k_s)); the tanh goes around the sum": (
            np.tanh(pq)[:, :, None, :] + np.tanh(pk)[:, None, :, :]
        )
        @ v,
    }
    if q.shape[1] == k.shape[1]:
        mistakes["scores (B, S, T) instead of (B, T, S): one row per query t"] = (
            np.tanh(summed) @ v
        ).transpose(0, 2, 1)
    return mistakes


def dot_scores_mistakes(q, k, scaled):
    """Wrong dot-product scores e (B, T, S) for q (B, T, D), k (B, S, D)."""
    e = q @ k.transpose(0, 2, 1)
    d = q.shape[-1]
    if scaled:
        return {NOT_SCALED: e, SCALED_BY_D: e / d}
    return {"scores scaled by 1/sqrt(d) although scaled=False": e / np.sqrt(d)}


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


def attention_step_mistakes(tokens, s_prev, keys, mask, params):
    """Wrong (log_probs, s_t, a_t) of one decoder step with attention.

    params with the notes' names: E_tgt, W_hx_dec, W_hh_dec, b_h_dec, W_q,
    W_k, v, W_yh, b_y.  Returns {"log_probs": {...}, "a": {...}}.
    """
    p = params
    x = p["E_tgt"][tokens]
    s = np.tanh(x @ p["W_hx_dec"].T + s_prev @ p["W_hh_dec"].T + p["b_h_dec"])

    def attend(query, use_mask=True):
        e = np.tanh((query @ p["W_q"].T)[:, None, :] + keys @ p["W_k"].T) @ p["v"]
        a = _masked_softmax(e, mask) if use_mask else _softmax(e)
        return a, np.einsum("bs,bsk->bk", a, keys)

    def log_probs(state, context):
        z = np.concatenate([state, context], axis=1) @ p["W_yh"].T + p["b_y"]
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    a_prev, c_prev = attend(s_prev)
    a_nomask, c_nomask = attend(s, use_mask=False)
    a, c = attend(s)
    z = np.concatenate([s, c], axis=1) @ p["W_yh"].T + p["b_y"]
    query_prev = (
        "the query s_{t-1}: attend with the *new* state s_t, after the RNN step"
    )
    return {
        "log_probs": {
            query_prev: log_probs(s, c_prev),
            NOT_MASKED: log_probs(s, c_nomask),
            "logits instead of log-probabilities: return log softmax of the scores": z,
            "probabilities instead of log-probabilities: return their log": (
                np.exp(log_probs(s, c))
            ),
        },
        "a": {query_prev: a_prev, NOT_MASKED: a_nomask},
    }


def beam_search_mistakes(model, src, max_len, beam_width, alpha):
    """What a beam search without length normalisation (or a greedy decoder)
    returns for one source src (1, S) of rnnlib's AttentionEncoderDecoder."""
    mistakes = {}
    if alpha > 0:
        raw = model.beam_search(src, max_len, beam_width, alpha=0.0)
        mistakes[NOT_NORMALISED] = raw.outputs
    if beam_width > 1:
        mistakes[
            "a beam of width 1, i.e. greedy decoding: keep the beam_width best"
            " prefixes at every step"
        ] = model.greedy_decode(src, max_len)
    return mistakes
