"""AttentionEncoderDecoder: gradients end to end, padding, greedy decoding,
beam search against exhaustive search, training, bad input."""

import itertools

import numpy as np
import pytest
from gradients import assert_encoder_decoder_gradients_match

from rnnlib import log_softmax
from rnnlib.attention_seq2seq import AttentionEncoderDecoder
from rnnlib.datasets.numbers import SOURCE_VOCAB, TARGET_VOCAB, make_number_translation
from rnnlib.seq2seq import exact_match
from rnnlib.train import train_encoder_decoder

SV, TV, E, H = 6, 5, 3, 4
SRC_MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0]], float)
TGT_MASK = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 1, 0]], float)


def small_model(seed=0, bidirectional=True):
    return AttentionEncoderDecoder(
        SV, TV, E, H, attention_size=3, bidirectional=bidirectional, seed=seed
    )


def toy_batch(rng):
    src = rng.integers(3, SV, size=(3, 5)) * SRC_MASK.astype(int)
    tgt_in = rng.integers(0, TV, size=(3, 4))
    tgt_out = rng.integers(0, TV, size=(3, 4))
    return src, SRC_MASK, tgt_in, tgt_out, TGT_MASK


@pytest.mark.parametrize("bidirectional", [True, False])
def test_attention_model_backward_matches_numerical_gradient(rng, bidirectional):
    model = small_model(bidirectional=bidirectional)
    assert_encoder_decoder_gradients_match(model, toy_batch(rng))


def test_attention_model_param_keys_and_shapes():
    model = AttentionEncoderDecoder(SV, TV, E, H, attention_size=3, seed=0)
    shapes = {k: v.shape for k, v in model.params.items()}
    assert shapes["attention.W_q"] == (3, H)
    assert shapes["attention.W_k"] == (3, 2 * H)  # keys: both directions
    assert shapes["output.W"] == (TV, H + 2 * H)  # [s_t; c_t]
    assert shapes["encoder.W_hx_l0_reverse"] == (H, E)
    assert set(model.grads) == set(model.params)


def test_attention_weights_sum_to_one_over_the_real_source_words(rng):
    model = small_model()
    src, src_mask, tgt_in, *_ = toy_batch(rng)
    model.forward(src, tgt_in, src_mask)
    a = model.attention_weights
    assert a.shape == (3, 4, 5)
    assert np.abs(a.sum(axis=2) - 1).max() < 1e-12
    assert (a[np.broadcast_to(src_mask[:, None] == 0, a.shape)] == 0).all()


def test_padding_changes_no_logit(rng):
    model = small_model()
    src, src_mask, tgt_in, *_ = toy_batch(rng)
    batched = model.forward(src, tgt_in, src_mask)
    for b in range(3):
        S = int(src_mask[b].sum())
        alone = model.forward(src[b : b + 1, :S], tgt_in[b : b + 1])
        assert np.abs(alone[0] - batched[b]).max() < 1e-12, f"row {b}"


def test_decode_step_equals_the_teacher_forced_forward(rng):
    model = small_model()
    src, src_mask, tgt_in, *_ = toy_batch(rng)
    expected = log_softmax(model.forward(src, tgt_in, src_mask))
    weights = model.attention_weights
    keys, mask, s = model.encode(src, src_mask)
    for t in range(tgt_in.shape[1]):
        log_p, s, a = model.decode_step(tgt_in[:, t], s, keys, mask)
        assert np.abs(log_p - expected[:, t]).max() < 1e-12, f"step {t}"
        assert np.abs(a - weights[:, t]).max() < 1e-12, f"step {t}"


def test_greedy_decode_takes_the_argmax_of_each_step(rng):
    model = small_model(seed=3)
    src, src_mask, *_ = toy_batch(rng)
    outputs, attention = model.greedy_decode(src, 4, src_mask, return_attention=True)
    for b, out in enumerate(outputs):
        prefix = [model.bos_id] + out
        row = src[b : b + 1], np.array([prefix]), src_mask[b : b + 1]
        log_p = log_softmax(model.forward(*row))[0]
        written = out + ([model.eos_id] if len(out) < 4 else [])
        assert log_p.argmax(axis=1)[: len(written)].tolist() == written
        assert attention[b].shape == (len(written), 5)


def sequence_scores(model, src, max_len, alpha):
    """Every output the search may return, scored by brute force."""
    scores = {}
    tokens = [t for t in range(model.tgt_vocab_size) if t != model.eos_id]
    for n in range(max_len + 1):
        for seq in itertools.product(tokens, repeat=n):
            ended = n < max_len
            tgt_in = np.array([[model.bos_id, *seq]])
            log_p = log_softmax(model.forward(src, tgt_in))[0]
            targets = list(seq) + [model.eos_id]
            total = sum(log_p[t, y] for t, y in enumerate(targets[: n + ended]))
            scores[seq] = total / (n + ended) ** alpha
    return scores


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_wide_beam_search_finds_the_best_sequence(rng, alpha):
    model = small_model(seed=1)
    src = rng.integers(3, SV, size=(1, 4))
    max_len = 3
    scores = sequence_scores(model, src, max_len, alpha)
    best = max(scores, key=scores.get)
    result = model.beam_search(src, max_len, beam_width=4**max_len, alpha=alpha)
    assert result.outputs[0] == list(best)
    assert abs(result.scores[0] - scores[best]) < 1e-12


def test_beam_of_width_one_is_greedy_decoding(rng):
    model = small_model(seed=2)
    src, src_mask, *_ = toy_batch(rng)
    greedy = model.greedy_decode(src, 6, src_mask)
    assert model.beam_search(src, 6, beam_width=1, src_mask=src_mask).outputs == greedy


def test_beam_search_log_probs_are_the_sequence_log_probs(rng):
    model = small_model(seed=4)
    src, src_mask, *_ = toy_batch(rng)
    result = model.beam_search(src, 8, beam_width=3, src_mask=src_mask)
    ended = [len(o) < 8 for o in result.outputs]
    assert all(ended)  # so every log-prob includes <eos>
    log_p = model.sequence_log_prob(src, result.outputs, src_mask)
    assert np.abs(result.log_probs - log_p).max() < 1e-12
    lengths = np.array([len(o) + 1 for o in result.outputs])
    assert np.abs(result.scores - log_p / lengths).max() < 1e-12


def test_sequence_log_prob_sums_the_step_log_probs(rng):
    model = small_model(seed=5)
    src, src_mask, *_ = toy_batch(rng)
    outputs = [[3, 4], [4], []]
    keys, mask, s = model.encode(src, src_mask)
    expected = np.zeros(3)
    for b, out in enumerate(outputs):
        token, state = np.array([model.bos_id]), s[b : b + 1]
        for y in out + [model.eos_id]:
            log_p, state, _ = model.decode_step(
                token, state, keys[b : b + 1], mask[b : b + 1]
            )
            expected[b] += log_p[0, y]
            token = np.array([y])
    got = model.sequence_log_prob(src, outputs, src_mask)
    assert np.abs(got - expected).max() < 1e-12


def test_attention_model_learns_numbers_below_a_hundred():
    train, test = make_number_translation(n_train=80, n_test=20, max_digits=2, seed=0)
    model = AttentionEncoderDecoder(
        len(SOURCE_VOCAB), len(TARGET_VOCAB), embed_dim=8, hidden_size=16, seed=0
    )
    history = train_encoder_decoder(
        model, train, epochs=40, batch_size=16, lr=0.01, progress=False
    )
    assert history[-1] < history[0] / 10, f"{history[0]:.2f} -> {history[-1]:.2f}"
    assert exact_match(model, train).mean() >= 0.9


# -- bad input ---------------------------------------------------------------
def test_attention_model_names_a_target_batch_of_another_size(rng):
    model = small_model()
    src, src_mask, tgt_in, *_ = toy_batch(rng)
    with pytest.raises(
        ValueError,
        match=r"tgt_in must have shape \(B, T\) with B = src.shape\[0\] = 3; got \(2, 4\)",
    ):
        model.forward(src, tgt_in[:2], src_mask)


def test_attention_model_refuses_a_source_of_only_padding(rng):
    model = small_model()
    src, src_mask, tgt_in, *_ = toy_batch(rng)
    mask = src_mask.copy()
    mask[2] = 0
    with pytest.raises(ValueError, match="src_mask must mark at least one real token"):
        model.forward(src, tgt_in, mask)


def test_attention_model_names_token_ids_out_of_range(rng):
    model = small_model()
    src, src_mask, tgt_in, *_ = toy_batch(rng)
    with pytest.raises(
        ValueError, match=r"src must lie in \[0, V\) with V = vocab_size = 6"
    ):
        model.forward(src + 6, tgt_in, src_mask)


def test_beam_search_refuses_a_width_below_one(rng):
    model = small_model()
    src, src_mask, *_ = toy_batch(rng)
    with pytest.raises(ValueError, match="beam_width must be an int >= 1; got 0"):
        model.beam_search(src, 5, beam_width=0, src_mask=src_mask)


def test_sequence_log_prob_names_outputs_of_another_batch(rng):
    model = small_model()
    src, src_mask, *_ = toy_batch(rng)
    with pytest.raises(
        ValueError, match=r"outputs must hold B = src.shape\[0\] = 3 sequences; got 2"
    ):
        model.sequence_log_prob(src, [[3], [4]], src_mask)
