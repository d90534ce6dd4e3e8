"""The text datasets (word segmentation, sentiment reviews) and padding."""

import numpy as np
import pytest

from rnnlib.datasets.padding import lengths_from_mask, pad_sequences, unpad
from rnnlib.datasets.segmentation import (
    LEXICON,
    VOCAB_SIZE,
    bies_tags,
    decode_chars,
    encode_chars,
    format_tags,
    is_prefix_free,
    make_segmentation,
    segment,
)
from rnnlib.datasets.sentiment import (
    NEGATIVE,
    POSITIVE,
    VOCAB,
    decode,
    encode,
    make_reviews,
)

# -- padding -------------------------------------------------------------------


def test_pad_sequences_writes_left_aligned_rows_and_a_mask():
    x, mask = pad_sequences([[5, 2, 7], [3, 1], [4]])
    assert x.tolist() == [[5, 2, 7], [3, 1, 0], [4, 0, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 1, 0], [1, 0, 0]]
    assert x.dtype.kind == "i" and mask.dtype == np.float64


def test_pad_sequences_of_vectors_and_a_fixed_length():
    seqs = [np.ones((2, 3)), np.ones((1, 3))]
    x, mask = pad_sequences(seqs, pad_value=-1.0, max_len=4)
    assert x.shape == (2, 4, 3)
    assert (x[1, 1:] == -1).all()
    assert lengths_from_mask(mask).tolist() == [2, 1]


def test_unpad_inverts_pad_sequences():
    seqs = [np.array([1, 2, 3]), np.array([4]), np.array([5, 6])]
    back = unpad(*pad_sequences(seqs))
    assert all(np.array_equal(a, b) for a, b in zip(seqs, back, strict=True))


def test_pad_sequences_rejects_bad_input():
    with pytest.raises(ValueError, match="max_len"):
        pad_sequences([[1, 2, 3]], max_len=2)
    with pytest.raises(ValueError, match="trailing shape"):
        pad_sequences([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="non-empty"):
        pad_sequences([])


# -- segmentation ----------------------------------------------------------------


def test_bies_tags_and_segment_round_trip():
    words = ["the", "a", "cat", "on"]
    ids = encode_chars("".join(words))
    tags = bies_tags(words)
    assert format_tags(tags) == "BIESBIEBE"
    assert segment(ids, tags) == "the a cat on"
    assert decode_chars(ids) == "theacaton"


def test_lexicon_is_prefix_free():
    assert is_prefix_free([w for words in LEXICON.values() for w in words])
    assert not is_prefix_free(["the", "then"])


def test_segmentation_is_seeded_and_consistent():
    a, b, c = (make_segmentation(50, seed=s) for s in (0, 0, 1))
    assert a.text == b.text and a.text != c.text
    for text, ids, tags in zip(a.text, a.ids, a.tags, strict=True):
        assert len(ids) == len(tags) == len(text.replace(" ", ""))
        assert segment(ids, tags) == text
        assert ids.min() >= 1 and ids.max() < VOCAB_SIZE


def test_segmentation_has_every_tag_and_varied_lengths():
    data = make_segmentation(500, seed=0)
    tags = np.concatenate(data.tags)
    assert set(np.unique(tags)) == {0, 1, 2, 3}
    lengths = [len(i) for i in data.ids]
    assert min(lengths) < 20 and max(lengths) > 50
    assert np.mean(["while" in t for t in data.text]) == pytest.approx(0.4, abs=0.06)


def test_encode_chars_refuses_spaces():
    with pytest.raises(ValueError, match="a..z"):
        encode_chars("the cat")


# -- sentiment ---------------------------------------------------------------------


def clause_sentiment(words):
    """The rule the grammar promises: "not" flips the adjective."""
    adjective = next(w for w in words if w in POSITIVE + NEGATIVE)
    return (adjective in POSITIVE) != ("not" in words)


def test_review_labels_follow_the_last_clause():
    data = make_reviews(300, seed=0)
    for text, label in zip(data.text, data.label, strict=True):
        last = text.split(" but ")[-1].split()
        assert clause_sentiment(last) == bool(label), text


def test_reviews_with_but_disagree_between_clauses():
    data = make_reviews(300, seed=0)
    for text in np.array(data.text)[data.contrast]:
        first, second = text.split(" but ")
        assert clause_sentiment(first.split()) != clause_sentiment(second.split()), text


def test_review_flags_match_the_text():
    data = make_reviews(300, seed=0)
    assert data.negated.tolist() == [" not " in f" {t} " for t in data.text]
    assert data.contrast.tolist() == [" but " in t for t in data.text]


def test_reviews_are_balanced_and_seeded():
    a, b, c = (make_reviews(2000, seed=s) for s in (0, 0, 1))
    assert a.text == b.text and a.text != c.text
    assert a.label.mean() == pytest.approx(0.5, abs=0.03)
    # "not" alone says nothing about the label
    assert a.label[a.negated].mean() == pytest.approx(0.5, abs=0.05)
    assert a.negated.mean() == pytest.approx(0.4, abs=0.05)
    assert a.contrast.mean() == pytest.approx(0.3, abs=0.03)


def test_good_but_boring_has_the_same_words_as_boring_but_good():
    # what a bag of words cannot see: the order decides the label
    data = make_reviews(3000, seed=0)
    bags = {}
    for text, label in zip(data.text, data.label, strict=True):
        bags.setdefault(tuple(sorted(text.split())), set()).add(int(label))
    assert any(len(labels) == 2 for labels in bags.values())


def test_encode_decode_round_trip():
    text = "the plot was not bad at all"
    ids = encode(text)
    assert decode(ids) == text
    assert ids.min() >= 1 and ids.max() < len(VOCAB)
    with pytest.raises(ValueError, match="unknown word"):
        encode("the plot was meh")
