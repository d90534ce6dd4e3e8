"""The checks of exercise 06 (solutions/06_encoder_decoder_exercises.ipynb).

Each check builds its reference, calls the learner's function (given as the
first argument) and raises with the usual mistake named:

- `check_teacher_forcing` (Part 1): `teacher_forcing_arrays` against the
  arrays of rnnlib's number-translation data (`encode_pairs`); the mistakes
  (`teacher_forcing_mistakes`): tgt_in and tgt_out swapped, no <eos>, a mask
  without the <eos> step;
- `check_encode` (Part 2): `encode` against rnnlib's `EncoderDecoder.encode`
  with the same weights; the mistakes: the state after the padding, after
  the first word, the mean over time, an off-by-one in time;
- `check_greedy` (Part 3): `greedy_decode` against rnnlib's
  `EncoderDecoder.greedy_decode` (mistakes: `greedy_decode_mistakes`).
"""

import numpy as np

import rnnlib
from rnnlib.datasets.numbers import TARGET_VOCAB, encode_pairs

from .mistakes_outputs import greedy_decode_mistakes
from .randomness import check_token_lists
from .values import check_array, check_returns, check_unchanged

NAMES = ("tgt_in", "tgt_out", "tgt_mask")


def teacher_forcing_mistakes(tgt_in, tgt_out, tgt_mask, eos_id, pad_id):
    """What common wrong versions of teacher_forcing_arrays return, by array
    name, for check_array."""
    no_eos_step = tgt_mask.copy()
    no_eos_step[np.arange(len(tgt_mask)), tgt_mask.sum(axis=1).astype(int) - 1] = 0
    no_eos = np.where(tgt_out == eos_id, pad_id, tgt_out)
    return {
        "tgt_in": {
            "tgt_in = tgt_out: the decoder reads the *previous* token, so tgt_in"
            " is tgt_out shifted right by one step, with <bos> in front": tgt_out,
        },
        "tgt_out": {
            "tgt_out = tgt_in: the decoder predicts the *next* token, so tgt_out"
            " is tgt_in shifted left by one step, ending with <eos>": tgt_in,
            "no <eos> at the end of tgt_out: the decoder must learn to stop": no_eos,
        },
        "tgt_mask": {
            "a mask without the <eos> step: predicting <eos> is part of the"
            " task, so that step counts": no_eos_step,
        },
    }


def check_teacher_forcing(teacher_forcing_arrays, numbers, eos_id, pad_id):
    """Check teacher_forcing_arrays on the digits of `numbers` against
    rnnlib's number-translation arrays; returns the targets (lists of ids)."""
    split = encode_pairs(numbers)
    targets = [TARGET_VOCAB.encode(list(str(n))) for n in numbers]
    before = [list(y) for y in targets]
    got = check_returns(
        "teacher_forcing_arrays", teacher_forcing_arrays(targets), NAMES
    )
    assert targets == before, "teacher_forcing_arrays changed the lists it was given"
    expected = (split.tgt_in, split.tgt_out, split.tgt_mask)
    mistakes = teacher_forcing_mistakes(*expected, eos_id, pad_id)
    for name, g, e in zip(NAMES, got, expected, strict=True):
        label = f"{name} for the numbers {numbers}"
        check_array(label, g, e, mistakes=mistakes[name], time_axis=1)
    for name, g in zip(NAMES[:2], got[:2], strict=True):
        assert np.asarray(g).dtype.kind in "iu", f"{name} must hold ints (token ids)"
    return targets


def encode_mistakes(h, src_mask):
    """What common wrong versions of encode return, given the encoder's
    states h (B, S, H) and the source mask (B, S)."""
    lengths, rows = src_mask.sum(axis=1).astype(int), np.arange(len(src_mask))
    mistakes = {
        "the state after the last step h[:, -1], which has read the padding:"
        " take each row's last real step, h[b, L_b - 1]": h[:, -1],
        "the state after the first word h[:, 0]: take each row's last real"
        " step, h[b, L_b - 1]": h[:, 0],
        "the mean of the states over time: take each row's last real step": (
            h.mean(axis=1)
        ),
        "an off-by-one in time: h[b, L_b - 2] is one step before the last real"
        " token, h[b, L_b - 1]": h[rows, lengths - 2],
    }
    if (lengths < src_mask.shape[1]).all():
        mistakes[
            "an off-by-one in time: h[b, L_b] has read one padding step; the last"
            " real token is h[b, L_b - 1]"
        ] = h[rows, lengths]
    return mistakes


def check_encode(encode, model, params, src, src_mask):
    """Check encode(src, src_mask, params) against model.encode, where
    `model` is an rnnlib EncoderDecoder holding `params`."""
    p = params
    e = p["E_src"][src]
    h, _ = rnnlib.rnn_forward(e, None, p["W_hx_enc"], p["W_hh_enc"], p["b_h_enc"])
    mistakes = encode_mistakes(h, src_mask)
    src_before, mask_before = src.copy(), src_mask.copy()
    c = encode(src, src_mask, params)
    expected = model.encode(src, src_mask)
    check_array(f"c for src of shape {src.shape}", c, expected, mistakes=mistakes)
    check_unchanged("src", src_before, src)
    check_unchanged("src_mask", mask_before, src_mask)


def check_greedy(greedy_decode, model, params, src, src_mask, max_len):
    """Check greedy_decode(context, params, max_len) against
    model.greedy_decode (model: an rnnlib EncoderDecoder holding `params`);
    returns the learner's token lists."""
    context = model.encode(src, src_mask)
    before = context.copy()
    got = greedy_decode(context, params, max_len)
    expected = model.greedy_decode(src, max_len, src_mask)
    check_token_lists(
        f"greedy_decode(context, params, max_len={max_len}) for {len(src)} sources",
        got,
        expected,
        mistakes=greedy_decode_mistakes(
            context, params, max_len, model.bos_id, model.eos_id
        ),
    )
    check_unchanged("context", before, context)
    return got
