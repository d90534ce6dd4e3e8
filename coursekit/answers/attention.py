"""Exercise 12's answers: the additive score with a bias inside the tanh,
Luong's general score scaled by 1/sqrt(Dk), one decoder step with that
additive score, beam search with Wu et al.'s length penalty, and the usual
mistakes of each, with plain NumPy (beam search with rnnlib's reference
model).  Instructor-only (see `coursekit.answers`).

The functions the checks of `coursekit.checks.attention` ask for, one per
check, take the case the check was given and return plain data:

    additive_answer(B, T, S, Dq, Dk, A, seed)
        e, {mistake: e}
    general_answer(B, T, S, Dq, Dk, scaled, seed)
        e, {mistake: e}
    decoder_step_answer(lengths, seed, **sizes)
        log_probs, s, a, and {"log_probs": {...}, "a": {...}}
    beam_answer(seed, max_len, beam_width, alpha, eos_bias, **sizes)
        tokens, score, {mistake: [tokens, score]}
"""

import numpy as np

from coursekit.checks.attention import (
    additive_case,
    beam_case,
    decoder_case,
    general_case,
)
from coursekit.checks.mistakes_attention import NOT_MASKED, _masked_softmax, _softmax

NOT_NORMALISED = (
    "beams not length-normalised: finished hypotheses compared by their raw"
    " log-probability, which favours short outputs. Compare"
    " log p / ((5 + length) / 6)**alpha (length counting <eos>)"
)


NO_BIAS = (
    "the bias b_a left out (rnnlib's additive_scores_forward has none): here"
    " e = v^T tanh(W_q q_t + W_k k_s + b_a), with b_a inside the tanh"
)


def additive_scores_reference(q, k, W_q, W_k, b_a, v):
    """Additive scores with a bias, e[b, t, s] = v^T tanh(W_q q_t + W_k k_s + b_a),
    for q (B, T, Dq), k (B, S, Dk), W_q (A, Dq), W_k (A, Dk), b_a (A,), v (A,).
    Returns e (B, T, S)."""
    summed = (q @ W_q.T)[:, :, None, :] + (k @ W_k.T)[:, None, :, :]
    return np.tanh(summed + b_a) @ v


def additive_scores_mistakes(q, k, W_q, W_k, b_a, v):
    """Wrong additive scores e (B, T, S) for q (B, T, Dq), k (B, S, Dk)."""
    pq, pk = q @ W_q.T, k @ W_k.T
    summed = pq[:, :, None, :] + pk[:, None, :, :] + b_a
    mistakes = {
        NO_BIAS: additive_scores_reference(q, k, W_q, W_k, 0 * b_a, v),
        "the bias b_a outside the tanh: e = v^T (tanh(W_q q_t + W_k k_s) + b_a);"
        " it goes inside, with the projections": (np.tanh(summed - b_a) + b_a) @ v,
        "no tanh: e = v^T (W_q q_t + W_k k_s + b_a) is linear, and then the"
        " scores of a query differ only by a constant; put tanh around the"
        " sum": summed @ v,
        "tanh applied to each projection apart: e = v^T (tanh(W_q q_t) +"
        " tanh(W_k k_s + b_a)); the tanh goes around the sum": (
            np.tanh(pq)[:, :, None, :] + np.tanh(pk + b_a)[:, None, :, :]
        )
        @ v,
    }
    if q.shape[1] == k.shape[1]:
        mistakes["scores (B, S, T) instead of (B, T, S): one row per query t"] = (
            np.tanh(summed) @ v
        ).transpose(0, 2, 1)
    return mistakes


def general_scores_reference(q, k, W_a, scaled=True):
    """Luong's general scores e[b, t, s] = q_t^T W_a k_s, divided by sqrt(Dk)
    if scaled, for q (B, T, Dq), k (B, S, Dk), W_a (Dq, Dk).  Returns e (B, T, S)."""
    e = q @ W_a @ k.transpose(0, 2, 1)
    return e / np.sqrt(k.shape[-1]) if scaled else e


def general_scores_mistakes(q, k, W_a, scaled):
    """Wrong general scores e (B, T, S) for q (B, T, Dq), k (B, S, Dk)."""
    e = general_scores_reference(q, k, W_a, scaled=False)
    Dq, Dk = W_a.shape
    out = {}
    if scaled:
        out[
            "scores not scaled: scaled=True divides q_t^T W_a k_s by sqrt(Dk),"
            " the size of the keys, so that it does not grow with Dk"
        ] = e
        out["scores divided by Dk instead of sqrt(Dk)"] = e / Dk
        if Dq != Dk:
            out[
                "scores divided by sqrt(Dq): scale by sqrt(Dk), the size of the keys"
            ] = e / np.sqrt(Dq)
    else:
        out["scores scaled by 1/sqrt(Dk) although scaled=False"] = e / np.sqrt(Dk)
    scale = np.sqrt(Dk) if scaled else 1.0
    if Dq == Dk:
        out["W_a transposed: the score is q_t^T W_a k_s, with W_a (Dq, Dk)"] = (
            q @ W_a.T @ k.transpose(0, 2, 1) / scale
        )
        out[
            "W_a left out: q_t . k_s is the plain dot product (rnnlib's"
            " dot_scores_forward); the general score puts W_a between them"
        ] = q @ k.transpose(0, 2, 1) / scale
    return out


def _decoder_state(tokens, s_prev, params):
    p = params
    x = p["E_tgt"][tokens]
    return np.tanh(x @ p["W_hx_dec"].T + s_prev @ p["W_hh_dec"].T + p["b_h_dec"])


def _attend(query, keys, mask, params, use_mask=True, bias=True):
    """(a (N, S), c (N, K)) of additive attention with the bias b_a."""
    p = params
    b_a = p["b_a"] if bias else 0.0
    e = np.tanh((query @ p["W_q"].T)[:, None, :] + keys @ p["W_k"].T + b_a) @ p["v"]
    a = _masked_softmax(e, mask) if use_mask else _softmax(e)
    return a, np.einsum("bs,bsk->bk", a, keys)


def _log_probs(state, context, params):
    z = np.concatenate([state, context], axis=1) @ params["W_yh"].T + params["b_y"]
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def decoder_step_reference(tokens, s_prev, keys, mask, params):
    """One decoder step with additive attention with a bias (exercise 12, Part 4):

    s = tanh(E_tgt[tokens] @ W_hx_dec.T + s_prev @ W_hh_dec.T + b_h_dec)
    e_s = v^T tanh(W_q s + W_k k_s + b_a),  a = masked softmax(e),  c = sum_s a_s k_s
    log_probs = log softmax([s, c] @ W_yh.T + b_y)

    Returns log_probs (N, V), s (N, H), a (N, S).
    """
    s = _decoder_state(tokens, s_prev, params)
    a, c = _attend(s, keys, mask, params)
    return _log_probs(s, c, params), s, a


def attention_step_mistakes(tokens, s_prev, keys, mask, params):
    """Wrong (log_probs, s_t, a_t) of one decoder step with attention.

    params with the notes' names: E_tgt, W_hx_dec, W_hh_dec, b_h_dec, W_q,
    W_k, b_a, v, W_yh, b_y.  Returns {"log_probs": {...}, "a": {...}}.
    """
    p = params
    s = _decoder_state(tokens, s_prev, p)
    a_prev, c_prev = _attend(s_prev, keys, mask, p)
    a_nomask, c_nomask = _attend(s, keys, mask, p, use_mask=False)
    a_nobias, c_nobias = _attend(s, keys, mask, p, bias=False)
    a, c = _attend(s, keys, mask, p)
    z = np.concatenate([s, c], axis=1) @ p["W_yh"].T + p["b_y"]
    query_prev = (
        "the query s_{t-1}: attend with the *new* state s_t, after the RNN step"
    )
    no_bias = NO_BIAS + " (rnnlib's decode_step has none)"
    return {
        "log_probs": {
            query_prev: _log_probs(s, c_prev, p),
            NOT_MASKED: _log_probs(s, c_nomask, p),
            no_bias: _log_probs(s, c_nobias, p),
            "logits instead of log-probabilities: return log softmax of the scores": z,
            "probabilities instead of log-probabilities: return their log": (
                np.exp(_log_probs(s, c, p))
            ),
        },
        "a": {query_prev: a_prev, NOT_MASKED: a_nomask, no_bias: a_nobias},
    }


def length_penalty(length, alpha, penalty="gnmt"):
    """What a hypothesis's log-probability is divided by: ((5 + length) / 6)
    ** alpha (Wu et al., 2016, "gnmt"), or length ** alpha ("length", rnnlib's)."""
    if penalty == "gnmt":
        return ((5 + length) / 6) ** alpha
    return length**alpha


def beam_search_reference(
    step, s0, max_len, beam_width, alpha=1.0, bos_id=1, eos_id=2, penalty="gnmt"
):
    """Beam search for one source, as exercise 12, Part 5 asks.

    step(tokens (N,), states (N, H)) -> (log_probs (N, V), states (N, H)).
    Keeps the beam_width best prefixes; an <eos> among the beam_width best
    extensions finishes its prefix with score total / length_penalty(t + 1)
    (the length counts <eos>); stops when beam_width are finished, or after
    max_len steps (the live prefixes then count too, by their own length).
    Returns (tokens, score) of the best hypothesis.
    """
    k = beam_width
    prefixes, totals = [[]], np.zeros(1)
    states, tokens = s0, np.array([bos_id])
    finished = []
    for t in range(max_len):
        log_p, new_states = step(tokens, states)
        V = log_p.shape[1]
        candidates = (totals[:, None] + log_p).ravel()
        beam, beam_totals, rows, words = [], [], [], []
        for rank, i in enumerate(np.argsort(-candidates, kind="stable")):
            r, w = divmod(int(i), V)
            if w == eos_id:
                if rank < k:
                    lp = length_penalty(t + 1, alpha, penalty)
                    finished.append((candidates[i] / lp, prefixes[r]))
                continue
            beam.append(prefixes[r] + [w])
            beam_totals.append(candidates[i])
            rows.append(r)
            words.append(w)
            if len(beam) == k:
                break
        if len(finished) >= k:
            break
        prefixes, totals = beam, np.array(beam_totals)
        states, tokens = new_states[rows], np.array(words)
    else:
        finished += [
            (total / length_penalty(len(p), alpha, penalty), p)
            for p, total in zip(prefixes, totals, strict=True)
        ]
    score, best = max(finished, key=lambda f: f[0])
    return best, float(score)


def beam_search_mistakes(step, s0, max_len, beam_width, alpha):
    """{mistake: (tokens, score)} of the usual wrong beam searches: rnnlib's
    normalisation by length ** alpha, none at all, a beam of width 1."""
    mistakes = {
        "the length normalisation of rnnlib's beam_search, log p / length**alpha:"
        " here the penalty is Wu et al.'s, log p / ((5 + length) / 6)**alpha": (
            beam_search_reference(
                step, s0, max_len, beam_width, alpha, penalty="length"
            )
        ),
    }
    if alpha > 0:
        mistakes[NOT_NORMALISED] = beam_search_reference(
            step, s0, max_len, beam_width, 0.0
        )
    if beam_width > 1:
        mistakes[
            "a beam of width 1, i.e. greedy decoding: keep the beam_width best"
            " prefixes at every step"
        ] = beam_search_reference(step, s0, max_len, 1, alpha)
    return mistakes


# ---------------------------------------------------------------------------
# the answers the checks ask for, one case each


def additive_answer(B, T, S, Dq, Dk, A, seed):
    """Part 1: the additive scores with a bias, and the mistakes'."""
    args = additive_case(B, T, S, Dq, Dk, A, seed)
    return {
        "e": additive_scores_reference(*args),
        "mistakes": additive_scores_mistakes(*args),
    }


def general_answer(B, T, S, Dq, Dk, scaled, seed):
    """Part 1: Luong's general scores, and the mistakes'."""
    q, k, W_a = general_case(B, T, S, Dq, Dk, seed)
    return {
        "e": general_scores_reference(q, k, W_a, scaled),
        "mistakes": general_scores_mistakes(q, k, W_a, scaled),
    }


def decoder_step_answer(lengths, seed, **sizes):
    """Part 4: log_probs, s and a of one decoder step, and the mistakes'."""
    args = decoder_case(lengths, seed, **sizes)
    log_probs, s, a = decoder_step_reference(*args)
    return {
        "log_probs": log_probs,
        "s": s,
        "a": a,
        "mistakes": attention_step_mistakes(*args),
    }


def beam_answer(seed, max_len, beam_width, alpha, eos_bias=0.0, **sizes):
    """Part 5: the tokens and score of the best hypothesis, and the mistakes'."""
    args = beam_case(seed, max_len, beam_width, alpha, eos_bias, **sizes)
    tokens, score = beam_search_reference(*args)
    return {
        "tokens": tokens,
        "score": score,
        "mistakes": beam_search_mistakes(*args),
    }
