"""The references and feedback of exercise 12 (coursekit/checks/attention.py):
the two scores and the decoder step it grades, which rnnlib does not hold,
agree with rnnlib where they meet it (no bias, W_a = I) and with a plain
loop, and their usual mistakes are named."""

import numpy as np
import pytest

import rnnlib
from coursekit.answers import attention as models
from coursekit.checks import attention as att
from coursekit.checks import check_array


def random_scores_case(B=2, T=3, S=4, Dq=5, Dk=6, A=7, seed=0):
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal((B, T, Dq)), rng.standard_normal((B, S, Dk))
    W_q, W_k = rng.standard_normal((A, Dq)), rng.standard_normal((A, Dk))
    return q, k, W_q, W_k, rng.standard_normal(A), rng.standard_normal(A)


def test_additive_reference_is_the_score_with_the_bias_inside_the_tanh():
    q, k, W_q, W_k, b_a, v = random_scores_case()
    e = models.additive_scores_reference(q, k, W_q, W_k, b_a, v)
    for b, t, s in np.ndindex(e.shape):
        expected = v @ np.tanh(W_q @ q[b, t] + W_k @ k[b, s] + b_a)
        assert abs(e[b, t, s] - expected) < 1e-12
    without, _ = rnnlib.additive_scores_forward(q, k, W_q, W_k, v)
    np.testing.assert_allclose(
        models.additive_scores_reference(q, k, W_q, W_k, 0 * b_a, v),
        without,
        atol=1e-12,
    )
    assert np.abs(e - without).max() > 0.1  # the bias changes the scores


@pytest.mark.parametrize("scaled", [True, False])
def test_general_reference_with_the_identity_is_rnnlibs_dot_product(scaled):
    q, k, *_ = random_scores_case(Dq=4, Dk=4, seed=1)
    expected, _ = rnnlib.dot_scores_forward(q, k, scaled=scaled)
    got = models.general_scores_reference(q, k, np.eye(4), scaled)
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_general_reference_puts_W_a_between_query_and_key():
    q, k, *_ = random_scores_case(Dq=3, Dk=5, seed=2)
    W_a = np.random.default_rng(3).standard_normal((3, 5))
    e = models.general_scores_reference(q, k, W_a, scaled=True)
    assert abs(e[1, 2, 3] - q[1, 2] @ W_a @ k[1, 3] / np.sqrt(5)) < 1e-12


def test_decoder_step_reference_without_the_bias_is_rnnlibs_decode_step():
    model = att.reference_model(seed=4)
    src, src_mask = att.padded_batch(np.random.default_rng(4), [4, 2, 3])
    keys, mask, s_prev = model.encode(src, src_mask)
    tokens = np.array([1, 5, 3])
    params = att.params_of(model, seed=4)
    params["b_a"][:] = 0.0
    expected = model.decode_step(tokens, s_prev, keys, mask)
    got = models.decoder_step_reference(tokens, s_prev, keys, mask, params)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, atol=1e-12)


def test_scores_without_the_bias_are_named():
    args = random_scores_case(seed=5)
    wrong, _ = rnnlib.additive_scores_forward(*args[:4], args[5])
    with pytest.raises(AssertionError, match="the bias b_a left out"):
        check_array(
            "e",
            wrong,
            models.additive_scores_reference(*args),
            mistakes=models.additive_scores_mistakes(*args),
        )


def test_general_scores_without_W_a_are_named():
    q, k, *_ = random_scores_case(Dq=4, Dk=4, seed=6)
    W_a = np.random.default_rng(6).standard_normal((4, 4))
    wrong, _ = rnnlib.dot_scores_forward(q, k, scaled=True)
    with pytest.raises(AssertionError, match="W_a left out"):
        check_array(
            "e",
            wrong,
            models.general_scores_reference(q, k, W_a, True),
            mistakes=models.general_scores_mistakes(q, k, W_a, True),
        )


@pytest.mark.parametrize(
    "seed, beam_width, alpha, eos_bias",
    [(0, 4, 1.0, 0.0), (1, 3, 0.7, 1.0), (2, 2, 1.0, -50.0), (3, 1, 1.0, 1.0)],
)
def test_beam_reference_with_rnnlibs_penalty_is_rnnlibs_beam_search(
    seed, beam_width, alpha, eos_bias
):
    model = att.reference_model(seed=seed)
    model.params["output.b"][att.EOS] += eos_bias
    src = np.random.default_rng(seed).integers(3, model.src_vocab_size, size=(1, 4))
    step, s0 = att.decoder_of(model, src)
    expected = model.beam_search(src, 6, beam_width, alpha=alpha)
    tokens, score = models.beam_search_reference(
        step, s0, 6, beam_width, alpha, penalty="length"
    )
    assert tokens == expected.outputs[0]
    assert abs(score - expected.scores[0]) < 1e-12


def test_the_length_penalty_of_wu_et_al():
    assert models.length_penalty(1, 0.7) == 1.0
    assert abs(models.length_penalty(7, 1.0) - 2.0) < 1e-15
    assert models.length_penalty(7, 1.0, penalty="length") == 7.0


def _softmax_with_fill(e, mask, dtype):
    """A masked softmax whose padded scores are the row's maximum minus 12:
    exp(-12) = 6e-6 of weight stays at padding."""
    fill = e.max(axis=-1, keepdims=True) - 12.0
    scores = np.where(mask[:, None, :] > 0, e, fill)
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (w / w.sum(axis=-1, keepdims=True)).astype(dtype)


def test_weight_left_at_padding_fails_even_within_float32s_tolerance():
    def right(e, mask):
        return rnnlib.masked_softmax_forward(e, mask)[0].astype(np.float32)

    att.check_softmax(right, [4, 2, 3], 3, 0)  # float32 itself is accepted
    with pytest.raises(AssertionError, match="padded steps must be exactly 0"):
        att.check_softmax(
            lambda e, m: _softmax_with_fill(e, m, np.float32), [4, 2, 3], 3, 0
        )
    with pytest.raises(AssertionError, match="not right"):  # float64: too far
        att.check_softmax(
            lambda e, m: _softmax_with_fill(e, m, np.float64), [4, 2, 3], 3, 0
        )
