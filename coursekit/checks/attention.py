"""Checks for exercise 12, attention.  The masked softmax and the context
are compared with rnnlib's (their usual mistakes in `mistakes_attention.py`);
the scores, the decoder step and beam search grade variants rnnlib does not
hold, whose references and mistake models are the instructor's
(`coursekit/answers/attention.py`), recorded for the visible tests' cases
(`recordings.py`, ANSWERS).

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
                                 additive score (answers: decoder_step_answer), with
                                 the weights of rnnlib's AttentionEncoderDecoder
    check_beam                   Part 5: beam search with Wu et al.'s length
                                 penalty (answers: beam_answer; rnnlib's
                                 divides by length ** alpha)
"""

import numpy as np

from .mistakes_attention import (
    context_mistakes,
    masked_softmax_backward_mistakes,
    masked_softmax_mistakes,
)
from .randomness import check_token_lists
from .recordings import Answers
from .values import (
    _fail,
    check_array,
    check_gradient,
    check_returns,
    check_scalar,
    check_unchanged,
    copies,
)

# Parts 1, 4 and 5: the instructor's references, recorded for the visible cases
ANSWERS = Answers("attention")

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


def additive_case(B, T, S, Dq, Dk, A, seed):
    """Test data of Part 1's additive scores: q (B, T, Dq), k (B, S, Dk),
    W_q (A, Dq), W_k (A, Dk), b_a (A,), v (A,)."""
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal((B, T, Dq)), rng.standard_normal((B, S, Dk))
    shapes = ((A, Dq), (A, Dk), (A,), (A,))
    W_q, W_k, b_a, v = (rng.standard_normal(s) for s in shapes)
    return q, k, W_q, W_k, b_a, v


def check_additive(additive_scores, B, T, S, Dq, Dk, A, seed):
    """Part 1: the learner's additive_scores (with the bias b_a) against the
    reference (answers: additive_answer), inputs left unchanged.  Returns its
    arguments."""
    args = additive_case(B, T, S, Dq, Dk, A, seed)
    answer = ANSWERS("additive_answer", B=B, T=T, S=S, Dq=Dq, Dk=Dk, A=A, seed=seed)
    q, k = args[:2]
    before = [x.copy() for x in args]
    check_array(
        f"additive_scores for q {q.shape}, k {k.shape}",
        additive_scores(*args),
        answer["e"],
        mistakes=answer["mistakes"],
    )
    names = ("q", "k", "W_q", "W_k", "b_a", "v")
    for name, b, x in zip(names, before, args, strict=True):
        check_unchanged(name, b, x)
    return args


def general_case(B, T, S, Dq, Dk, seed):
    """Test data of Part 1's general scores: q (B, T, Dq), k (B, S, Dk),
    W_a (Dq, Dk)."""
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal((B, T, Dq)), rng.standard_normal((B, S, Dk))
    return q, k, rng.standard_normal((Dq, Dk))


def check_general(general_scores, B, T, S, Dq, Dk, scaled, seed):
    """Part 1: the learner's general_scores against the reference (answers:
    general_answer).  Returns its arguments."""
    q, k, W_a = general_case(B, T, S, Dq, Dk, seed)
    answer = ANSWERS(
        "general_answer", B=B, T=T, S=S, Dq=Dq, Dk=Dk, scaled=scaled, seed=seed
    )
    check_array(
        f"general_scores(scaled={scaled}) for q {q.shape}, k {k.shape}",
        general_scores(*copies(q, k, W_a), scaled=scaled),
        answer["e"],
        mistakes=answer["mistakes"],
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
    name = f"a for e {e.shape} and source lengths {lengths}"
    got = masked_softmax(e, mask)
    check_array(name, got, expected, mistakes=masked_softmax_mistakes(*before))
    # the docstring's "0 at padding" is exact: a weight of 1e-6 there is
    # within check_array's tolerance, yet attends to padding
    got = np.asarray(got, dtype=np.float64)
    padded = np.broadcast_to((before[1] == 0)[:, None, :], got.shape)
    at_padding = np.abs(got[padded])
    if at_padding.size and at_padding.max() > 0:
        _fail(
            name,
            [
                f"the weights at padded steps must be exactly 0; yours reach"
                f" {at_padding.max():.2g}. A finite fill (e.g. the row's maximum"
                " minus a constant) leaves some weight there: set the padded"
                " scores to -np.inf with np.where, as the text says.",
            ],
        )
    check_unchanged("e", before[0], e)
    check_unchanged("mask", before[1], mask)
    return e, mask


def check_softmax_backward(masked_softmax_backward, lengths, T, seed, numerical=True):
    """Part 2: the learner's masked_softmax_backward against the numerical
    gradient of L = sum(da * masked_softmax(e, mask)), or with
    numerical=False against rnnlib's masked_softmax_backward (for a case
    too large for a numerical gradient).  Returns (da, a)."""
    import rnnlib
    from rnnlib.gradcheck import numerical_gradient

    e, mask = _scores_and_mask(lengths, T, seed, 1.0)
    a, _ = rnnlib.masked_softmax_forward(e, mask)
    da = np.random.default_rng(seed + 100).standard_normal(a.shape)
    got = masked_softmax_backward(*copies(da, a))
    what = f"de for e {e.shape} and source lengths {lengths}"
    mistakes = masked_softmax_backward_mistakes(da, a)
    if not numerical:
        check_array(what, got, rnnlib.masked_softmax_backward(da, a), mistakes=mistakes)
        return da, a
    numeric = numerical_gradient(
        lambda _: rnnlib.masked_softmax_forward(e, mask)[0], e, df=da
    )
    check_gradient(what, got, numeric, mistakes=mistakes)
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


def decoder_case(lengths, seed, **sizes):
    """Test data of Part 4: (tokens, s_prev, keys, mask, params), a batch of
    sources of the given lengths encoded by an rnnlib model of the given
    sizes, random previous tokens, and the model's decoder weights."""
    rng = np.random.default_rng(seed)
    model = reference_model(seed=seed, **sizes)
    src, src_mask = padded_batch(rng, lengths, model.src_vocab_size)
    keys, mask, s_prev = model.encode(src, src_mask)
    tokens = rng.integers(0, model.tgt_vocab_size, size=len(lengths))
    return tokens, s_prev, keys, mask, params_of(model, seed)


def check_decoder_step(attention_decoder_step, lengths, seed, **sizes):
    """Part 4: log_probs, s and a of the learner's attention_decoder_step
    against the reference's (answers: decoder_step_answer), with the weights of an
    rnnlib model and a random attention bias.  Returns its arguments."""
    args = decoder_case(lengths, seed, **sizes)
    answer = ANSWERS("decoder_step_answer", lengths=lengths, seed=seed, **sizes)
    names = ("log_probs", "s", "a")
    got = check_returns(
        "attention_decoder_step", attention_decoder_step(*copies(*args)), names
    )
    for name, g in zip(names, got, strict=True):
        check_array(
            f"{name} for sources of lengths {lengths}",
            g,
            answer[name],
            mistakes=answer["mistakes"].get(name),
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


def beam_case(seed, max_len, beam_width, alpha, eos_bias=0.0, **sizes):
    """Test data of Part 5: beam_search's arguments (step, s0, max_len,
    beam_width, alpha), step and s0 of an rnnlib model of the given sizes
    (its <eos> logit raised by eos_bias) for one random source."""
    rng = np.random.default_rng(seed)
    model = reference_model(seed=seed, **sizes)
    model.params["output.b"][EOS] += eos_bias
    src = rng.integers(3, model.src_vocab_size, size=(1, int(rng.integers(1, 6))))
    return (*decoder_of(model, src), max_len, beam_width, alpha)


def check_beam(beam_search, seed, max_len, beam_width, alpha, eos_bias=0.0, **sizes):
    """Part 5: the tokens and score of the learner's beam_search against the
    reference's (answers: beam_answer), decoding one random source with an rnnlib
    model.  Returns its arguments."""
    args = beam_case(seed, max_len, beam_width, alpha, eos_bias, **sizes)
    answer = ANSWERS(
        "beam_answer",
        seed=seed,
        max_len=max_len,
        beam_width=beam_width,
        alpha=alpha,
        eos_bias=eos_bias,
        **sizes,
    )
    mistakes = answer["mistakes"]
    got = check_returns("beam_search", beam_search(*args), ("tokens", "score"))
    where = f"beam_search(max_len={max_len}, beam_width={beam_width}, alpha={alpha})"
    check_token_lists(
        f"the tokens of {where}",
        [got[0]],
        [answer["tokens"]],
        mistakes={k: [v[0]] for k, v in mistakes.items()},
    )
    check_scalar(
        f"the score of {where}",
        got[1],
        answer["score"],
        mistakes={k: v[1] for k, v in mistakes.items()},
    )
    return args
