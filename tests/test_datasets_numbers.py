"""English number words to digits: the words, the vocabularies, the splits."""

import numpy as np
import pytest

from rnnlib.datasets.numbers import (
    SOURCE_VOCAB,
    TARGET_VOCAB,
    Vocab,
    encode_pairs,
    make_number_translation,
    number_to_words,
    sample_numbers,
    tokenize,
)


@pytest.mark.parametrize(
    "n, words",
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (20, "twenty"),
        (42, "forty-two"),
        (100, "one hundred"),
        (105, "one hundred and five"),
        (307, "three hundred and seven"),
        (1000, "one thousand"),
        (2005, "two thousand and five"),
        (12345, "twelve thousand three hundred and forty-five"),
        (700012, "seven hundred thousand and twelve"),
        (999999, "nine hundred and ninety-nine thousand nine hundred and ninety-nine"),
    ],
)
def test_number_to_words(n, words):
    assert number_to_words(n) == words


def test_number_to_words_rejects_bad_numbers():
    with pytest.raises(ValueError, match=r"n must lie in \[0, 999999\]"):
        number_to_words(1_000_000)
    with pytest.raises(TypeError, match="n must be an int"):
        number_to_words(3.0)


def test_every_word_is_in_the_source_vocabulary():
    for n in list(range(0, 1200)) + [123456, 999999, 40040, 5001]:
        SOURCE_VOCAB.encode(tokenize(number_to_words(n)))
    assert len(SOURCE_VOCAB) == 3 + 31 and len(TARGET_VOCAB) == 3 + 10


def test_vocab_decode_stops_at_eos_and_skips_specials():
    v = Vocab("abc")
    ids = v.encode(list("cab"))
    assert v.decode([v.bos_id, *ids, v.eos_id, *ids, v.pad_id]) == list("cab")
    with pytest.raises(ValueError, match="not in the vocabulary"):
        v.encode(["d"])


def test_encode_pairs_builds_shifted_padded_targets():
    data = encode_pairs([307, 5])
    assert data.sources == ["three hundred and seven", "five"]
    assert data.src_lengths.tolist() == [4, 1]
    assert data.src_mask.tolist() == [[1, 1, 1, 1], [1, 0, 0, 0]]
    bos, eos = Vocab.bos_id, Vocab.eos_id
    digits = [TARGET_VOCAB.index[d] for d in "307"]
    assert data.tgt_in[0].tolist() == [bos, *digits]
    assert data.tgt_out[0].tolist() == [*digits, eos]
    assert data.tgt_mask[1].tolist() == [1, 1, 0, 0]
    assert TARGET_VOCAB.decode(data.tgt_out[1]) == ["5"]


def test_batch_trims_to_the_longest_example():
    data = encode_pairs([307, 5, 12])
    src, src_mask, tgt_in, tgt_out, tgt_mask = data.batch(np.array([1, 2]))
    assert src.shape == (2, 1) and tgt_in.shape == (2, 3)


def test_sample_numbers_balances_digit_counts():
    numbers = sample_numbers(400, max_digits=4, seed=0)
    assert len(set(numbers.tolist())) == 400
    digits = np.array([len(str(n)) for n in numbers])
    counts = np.bincount(digits, minlength=5)[1:]
    assert counts[0] == 10 and counts[1] == 90  # all the short ones there are
    assert abs(counts[2] - counts[3]) <= 1


def test_translation_splits_are_seeded_and_disjoint():
    tr, te = make_number_translation(300, 100, max_digits=4, seed=0)
    tr2, te2 = make_number_translation(300, 100, max_digits=4, seed=0)
    tr3, _ = make_number_translation(300, 100, max_digits=4, seed=1)
    assert len(tr) == 300 and len(te) == 100
    assert np.array_equal(tr.numbers, tr2.numbers) and np.array_equal(te.src, te2.src)
    assert not np.array_equal(tr.numbers, tr3.numbers)
    assert not set(tr.numbers.tolist()) & set(te.numbers.tolist())
    assert tr.numbers.max() < 10_000
    for n, target in zip(te.numbers, te.targets, strict=True):
        assert target == str(n)


def test_translation_inputs_span_many_lengths():
    tr, _ = make_number_translation(2000, 100, max_digits=6, seed=0)
    lengths = set(tr.src_lengths.tolist())
    assert {1, 2, 4, 5, 6, 7, 8, 9, 10, 11} <= lengths
