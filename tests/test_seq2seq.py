"""EncoderDecoder: gradients, padding, training, greedy decoding."""

import numpy as np
import pytest
from gradients import assert_encoder_decoder_gradients_match

from rnnlib.datasets.numbers import encode_pairs
from rnnlib.seq2seq import EncoderDecoder, accuracy_by_length, exact_match
from rnnlib.train import train_encoder_decoder

SV, TV, E, H = 6, 5, 3, 4


def small_model(seed=0):
    return EncoderDecoder(SV, TV, E, H, bos_id=1, eos_id=2, seed=seed)


def toy_batch(rng):
    src = rng.integers(0, SV, size=(3, 5))
    src_mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0]], float)
    src = src * src_mask.astype(int)  # pad with 0
    tgt_in = rng.integers(0, TV, size=(3, 4))
    tgt_out = rng.integers(0, TV, size=(3, 4))
    tgt_mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 1, 0]], float)
    return src, src_mask, tgt_in, tgt_out, tgt_mask


def test_encoder_decoder_backward_matches_numerical_gradient(rng):
    model = small_model()
    assert_encoder_decoder_gradients_match(model, toy_batch(rng))


def test_encoder_decoder_param_keys_and_shapes(rng):
    model = small_model()
    assert (
        set(model.params)
        == set(model.grads)
        == {
            "src_embedding.W",
            "encoder.W_hx_l0",
            "encoder.W_hh_l0",
            "encoder.b_h_l0",
            "tgt_embedding.W",
            "decoder.W_hx_l0",
            "decoder.W_hh_l0",
            "decoder.b_h_l0",
            "output.W",
            "output.b",
        }
    )
    src, src_mask, tgt_in, *_ = toy_batch(rng)
    assert model.forward(src, tgt_in, src_mask).shape == (3, 4, TV)
    assert model.encode(src, src_mask).shape == (3, H)


def test_context_is_the_state_at_the_last_real_token(rng):
    model = small_model()
    src = rng.integers(1, SV, size=(1, 3))
    padded = np.concatenate([src, np.zeros((1, 4), int)], axis=1)
    mask = (np.arange(7) < 3).astype(float)[None]
    short = model.encode(src)
    assert np.allclose(model.encode(padded, mask), short, atol=1e-15)
    # without the mask the padding is read as tokens and changes the state
    assert not np.allclose(model.encode(padded), short)


def test_padding_does_not_change_the_loss(rng):
    model = small_model()
    src = rng.integers(1, SV, size=(1, 3))
    tgt_in, tgt_out = np.array([[1, 3, 4]]), np.array([[3, 4, 2]])
    alone, _ = model.loss(src, tgt_in, tgt_out)
    src_p = np.concatenate([src, [[0, 0]]], axis=1)
    mask_p = np.array([[1, 1, 1, 0, 0]], float)
    tin_p, tout_p = np.array([[1, 3, 4, 0]]), np.array([[3, 4, 2, 0]])
    tmask_p = np.array([[1, 1, 1, 0]], float)
    padded, _ = model.loss(src_p, tin_p, tout_p, mask_p, tmask_p)
    assert abs(alone - padded) < 1e-12


def test_src_mask_must_be_right_padded(rng):
    model = small_model()
    src = rng.integers(0, SV, size=(1, 3))
    with pytest.raises(ValueError, match="src_mask must be right-padded"):
        model.encode(src, np.array([[0, 1, 1]]))
    with pytest.raises(ValueError, match="at least one real token"):
        model.encode(src, np.array([[0, 0, 0]]))
    with pytest.raises(ValueError, match=r"src_mask must have shape \(B, T\)"):
        model.encode(src, np.ones((1, 4)))


def test_rejects_target_batch_mismatch(rng):
    model = small_model()
    with pytest.raises(
        ValueError, match=r"tgt_in must have shape \(B, T\) with B = src"
    ):
        model.forward(rng.integers(0, SV, size=(2, 3)), np.ones((3, 2), int))


def test_greedy_decode_agrees_with_teacher_forcing_on_its_own_output(rng):
    model = small_model(seed=3)
    src = rng.integers(0, SV, size=(4, 5))
    outputs = model.greedy_decode(src, max_len=6)
    for b, out in enumerate(outputs):
        tgt_in = np.array([[model.bos_id] + out])
        logits = model.forward(src[b : b + 1], tgt_in)
        predicted = logits[0].argmax(axis=-1).tolist()
        # the teacher-forced argmax reproduces every greedy token, then <eos>
        assert predicted[: len(out)] == out
        if len(out) < 6:
            assert predicted[len(out)] == model.eos_id


def test_training_loss_falls_and_learns_to_reverse():
    """Reverse 2-4 tokens from {3, 4, 5}: the source vocabulary and the target
    vocabulary use the same ids here (0 pad, 1 bos, 2 eos)."""
    rng = np.random.default_rng(0)

    class Split:
        def __init__(self, n):
            lengths = rng.integers(2, 5, size=n)
            self.seqs = [rng.integers(3, 6, size=L) for L in lengths]

        def __len__(self):
            return len(self.seqs)

        def batch(self, idx):
            seqs = [self.seqs[i] for i in idx]
            S = max(len(s) for s in seqs)
            src = np.zeros((len(seqs), S), int)
            src_mask = np.zeros((len(seqs), S))
            tgt_in = np.zeros((len(seqs), S + 1), int)
            tgt_out = np.zeros((len(seqs), S + 1), int)
            tgt_mask = np.zeros((len(seqs), S + 1))
            for i, s in enumerate(seqs):
                L = len(s)
                src[i, :L], src_mask[i, :L] = s, 1
                tgt_in[i, : L + 1] = [1, *s[::-1]]
                tgt_out[i, : L + 1] = [*s[::-1], 2]
                tgt_mask[i, : L + 1] = 1
            return src, src_mask, tgt_in, tgt_out, tgt_mask

    data = Split(300)
    model = EncoderDecoder(6, 6, 8, 24, seed=0)
    history = train_encoder_decoder(
        model, data, epochs=25, batch_size=20, lr=0.02, progress=False
    )
    assert history[-1] < 0.2 * history[0], history
    src, src_mask, *_ = data.batch(np.arange(50))
    outputs = model.greedy_decode(src, 6, src_mask)
    correct = [o == data.seqs[i][::-1].tolist() for i, o in enumerate(outputs)]
    assert np.mean(correct) > 0.9


def test_exact_match_compares_whole_outputs():
    data = encode_pairs([7, 42])

    class Fixed:
        def greedy_decode(self, src, max_len, src_mask=None):
            return [[3 + 7], [3 + 4]]  # "7" right; "4" instead of "42"

    assert exact_match(Fixed(), data).tolist() == [True, False]


def test_constructor_checks_special_ids():
    with pytest.raises(ValueError, match=r"eos_id must lie in \[0, tgt_vocab_size\)"):
        EncoderDecoder(5, 3, eos_id=3)


def test_accuracy_by_length_groups_and_filters():
    correct = np.array([1, 0, 1, 1, 1, 0], bool)
    lengths = np.array([2, 2, 3, 3, 3, 5])
    L, acc, n = accuracy_by_length(correct, lengths)
    assert L.tolist() == [2, 3, 5] and acc.tolist() == [0.5, 1.0, 0.0]
    assert n.tolist() == [2, 3, 1]
    L, acc, n = accuracy_by_length(correct, lengths, min_count=2)
    assert L.tolist() == [2, 3]
