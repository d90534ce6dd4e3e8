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

The test cells call one check per part, each on its own random data:

    check_additive               Part 1: additive scores with a bias inside
                                 the tanh (rnnlib's have none)
    check_general                Part 1: Luong's general score q^T W_a k,
                                 scaled by 1/sqrt(Dk) (rnnlib has the plain
                                 dot product)
    check_softmax                Part 2: the masked softmax against rnnlib's
    check_softmax_backward       Part 2: its backward pass against the
                                 numerical gradient
    check_context                Part 3: the context vector
    check_decoder_step           Part 4: one decoder step with the biased
                                 additive score (decoder_step_reference), with
                                 the weights of rnnlib's AttentionEncoderDecoder
    check_beam                   Part 5: beam search with Wu et al.'s length
                                 penalty (beam_search_reference; rnnlib's
                                 divides by length ** alpha)
"""

import numpy as np

from .randomness import check_token_lists
from .values import (
    MISTAKES,
    check_array,
    check_gradient,
    check_returns,
    check_scalar,
    check_unchanged,
    copies,
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
NOT_SCALED = (
    "scores not scaled: the scaled dot product divides q . k by sqrt(d), the"
    " size of the vectors, so that it does not grow with d"
)
SCALED_BY_D = "scores divided by d instead of sqrt(d)"
NOT_NORMALISED = (
    "beams not length-normalised: finished hypotheses compared by their raw"
    " log-probability, which favours short outputs. Compare"
    " log p / ((5 + length) / 6)**alpha (length counting <eos>)"
)


def _softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def _masked_softmax(e, mask):
    real = (mask > 0) if e.ndim == 2 else (mask > 0)[:, None, :]
    return _softmax(np.where(real, e, -np.inf))


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
# test data and the check of each part, for the test cells of exercise 12

PAD, BOS, EOS = 0, 1, 2  # the target vocabulary's <pad>, <bos>, <eos>
MODEL_KEYS = {  # the notes' names -> the keys of rnnlib's AttentionEncoderDecoder
    "E_tgt": "tgt_embedding.W",
    "W_hx_dec": "decoder.W_hx_l0",
    "W_hh_dec": "decoder.W_hh_l0",
    "b_h_dec": "decoder.b_h_l0",
    "W_q": "attention.W_q",
    "W_k": "attention.W_k",
    "v": "attention.v",
    "W_yh": "output.W",
    "b_y": "output.b",
}


def reference_model(V_src=8, V_tgt=7, E=4, H=5, A=6, seed=0):
    """An untrained rnnlib AttentionEncoderDecoder (the tests compare with it)."""
    import rnnlib

    return rnnlib.AttentionEncoderDecoder(
        V_src, V_tgt, embed_dim=E, hidden_size=H, attention_size=A, seed=seed
    )


def params_of(model, seed=0):
    """The decoder's weights of an rnnlib model, with the notes' names, and
    a random attention bias b_a (A,), which rnnlib's model does not have."""
    params = {name: model.params[key].copy() for name, key in MODEL_KEYS.items()}
    A = params["v"].shape[0]
    params["b_a"] = 0.5 * np.random.default_rng(seed + 1000).standard_normal(A)
    return params


def padded_batch(rng, lengths, V_src=8):
    """Random source ids (B, S), right-padded with 0, and their mask (B, S)."""
    S = max(lengths)
    mask = (np.arange(S) < np.array(lengths)[:, None]).astype(float)
    src = rng.integers(3, V_src, size=(len(lengths), S)) * mask.astype(int)
    return src, mask


def check_additive(additive_scores, B, T, S, Dq, Dk, A, seed):
    """Part 1: the learner's additive_scores (with the bias b_a) against
    additive_scores_reference, inputs left unchanged.  Returns its arguments."""
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal((B, T, Dq)), rng.standard_normal((B, S, Dk))
    shapes = ((A, Dq), (A, Dk), (A,), (A,))
    W_q, W_k, b_a, v = (rng.standard_normal(s) for s in shapes)
    args = (q, k, W_q, W_k, b_a, v)
    before = [x.copy() for x in args]
    check_array(
        f"additive_scores for q {q.shape}, k {k.shape}",
        additive_scores(*args),
        additive_scores_reference(*before),
        mistakes=additive_scores_mistakes(*before),
    )
    names = ("q", "k", "W_q", "W_k", "b_a", "v")
    for name, b, x in zip(names, before, args, strict=True):
        check_unchanged(name, b, x)
    return args


def check_general(general_scores, B, T, S, Dq, Dk, scaled, seed):
    """Part 1: the learner's general_scores against general_scores_reference.
    Returns its arguments."""
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal((B, T, Dq)), rng.standard_normal((B, S, Dk))
    W_a = rng.standard_normal((Dq, Dk))
    check_array(
        f"general_scores(scaled={scaled}) for q {q.shape}, k {k.shape}",
        general_scores(*copies(q, k, W_a), scaled=scaled),
        general_scores_reference(q, k, W_a, scaled),
        mistakes=general_scores_mistakes(q, k, W_a, scaled),
    )
    return q, k, W_a, scaled


def _scores_and_mask(lengths, T, seed, scale):
    rng = np.random.default_rng(seed)
    B, S = len(lengths), max(lengths)
    e = rng.standard_normal((B, T, S)) * scale
    mask = (np.arange(S) < np.array(lengths)[:, None]).astype(float)
    return e, mask


def check_softmax(masked_softmax, lengths, T, seed, scale=1.0):
    """Part 2: the learner's masked_softmax against rnnlib's, for sources of
    the given lengths, inputs left unchanged.  Returns (e, mask)."""
    import rnnlib

    e, mask = _scores_and_mask(lengths, T, seed, scale)
    before = e.copy(), mask.copy()
    expected, _ = rnnlib.masked_softmax_forward(e, mask)
    check_array(
        f"a for e {e.shape} and source lengths {lengths}",
        masked_softmax(e, mask),
        expected,
        mistakes=masked_softmax_mistakes(*before),
    )
    check_unchanged("e", before[0], e)
    check_unchanged("mask", before[1], mask)
    return e, mask


def check_softmax_backward(masked_softmax_backward, lengths, T, seed):
    """Part 2: the learner's masked_softmax_backward against the numerical
    gradient of L = sum(da * masked_softmax(e, mask)).  Returns (da, a)."""
    import rnnlib
    from rnnlib.gradcheck import numerical_gradient

    e, mask = _scores_and_mask(lengths, T, seed, 1.0)
    a, _ = rnnlib.masked_softmax_forward(e, mask)
    da = np.random.default_rng(seed + 100).standard_normal(a.shape)
    numeric = numerical_gradient(
        lambda _: rnnlib.masked_softmax_forward(e, mask)[0], e, df=da
    )
    check_gradient(
        f"de for e {e.shape} and source lengths {lengths}",
        masked_softmax_backward(*copies(da, a)),
        numeric,
        mistakes=masked_softmax_backward_mistakes(da, a),
    )
    return da, a


def check_context(context, B, T, S, Dv, seed):
    """Part 3: the learner's context against rnnlib's.  Returns its arguments."""
    import rnnlib

    rng = np.random.default_rng(seed)
    a = rng.dirichlet(np.ones(S), size=(B, T))
    values = rng.standard_normal((B, S, Dv))
    expected, _ = rnnlib.context_forward(a, values)
    check_array(
        f"c for a {a.shape}, values {values.shape}",
        context(*copies(a, values)),
        expected,
        mistakes=context_mistakes(a, values),
    )
    return a, values


def check_decoder_step(attention_decoder_step, lengths, seed, **sizes):
    """Part 4: log_probs, s and a of the learner's attention_decoder_step
    against decoder_step_reference, with the weights of an rnnlib model and a
    random attention bias.  Returns its arguments."""
    rng = np.random.default_rng(seed)
    model = reference_model(seed=seed, **sizes)
    src, src_mask = padded_batch(rng, lengths, model.src_vocab_size)
    keys, mask, s_prev = model.encode(src, src_mask)
    tokens = rng.integers(0, model.tgt_vocab_size, size=len(lengths))
    args = (tokens, s_prev, keys, mask, params_of(model, seed))
    expected = decoder_step_reference(*args)
    mistakes = attention_step_mistakes(*args)
    names = ("log_probs", "s", "a")
    got = check_returns(
        "attention_decoder_step", attention_decoder_step(*copies(*args)), names
    )
    for name, g, e in zip(names, got, expected, strict=True):
        check_array(
            f"{name} for sources of lengths {lengths}",
            g,
            e,
            mistakes=mistakes.get(name),
        )
    return args


def decoder_of(model, src):
    """step and s0 for one source src (1, S) of an rnnlib model."""
    keys, mask, s0 = model.encode(src)

    def step(tokens, states):
        n = len(tokens)
        log_p, s, _ = model.decode_step(
            tokens, states, np.repeat(keys, n, axis=0), np.repeat(mask, n, axis=0)
        )
        return log_p, s

    return step, s0


def check_beam(beam_search, seed, max_len, beam_width, alpha, eos_bias=0.0, **sizes):
    """Part 5: the tokens and score of the learner's beam_search against
    beam_search_reference, decoding one random source with an rnnlib model.
    Returns its arguments."""
    rng = np.random.default_rng(seed)
    model = reference_model(seed=seed, **sizes)
    model.params["output.b"][EOS] += eos_bias
    src = rng.integers(3, model.src_vocab_size, size=(1, int(rng.integers(1, 6))))
    step, s0 = decoder_of(model, src)
    args = (step, s0, max_len, beam_width, alpha)
    tokens, score = beam_search_reference(*args)
    mistakes = beam_search_mistakes(*args)
    got = check_returns("beam_search", beam_search(*args), ("tokens", "score"))
    where = f"beam_search(max_len={max_len}, beam_width={beam_width}, alpha={alpha})"
    check_token_lists(
        f"the tokens of {where}",
        [got[0]],
        [tokens],
        mistakes={k: [v[0]] for k, v in mistakes.items()},
    )
    check_scalar(
        f"the score of {where}",
        got[1],
        score,
        mistakes={k: v[1] for k, v in mistakes.items()},
    )
    return args
