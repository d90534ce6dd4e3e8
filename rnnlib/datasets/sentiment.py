"""Short movie reviews from a grammar with negation, intensifiers and "but".

Every review is one or two clauses, and its sentiment is what the last
clause says:

    the movie was good                          positive
    the plot was very boring                    negative
    the acting was not good                     negative    (negation)
    it was not bad at all                       positive    (negation)
    the movie was good but boring               negative    (contrast)
    the music was not great but the ending was really clever   positive

A clause is  subject "was" ["not"] [intensifier] adjective ["at all" after "not"],
and "not" flips the adjective's polarity.  With "but", the two clauses
disagree and the second one wins; it may be a full clause or just an
adjective ("good but boring").

The grammar is built so that word counts cannot do the job: half the
clauses are negated, so "good" appears as often in negative reviews
("not good") as in positive ones, and "good but boring" has the same words
as "boring but good".  A bag-of-words model is near chance on the negated
reviews; a model that reads in order need not be.

    data = make_reviews(2000, seed=0)
    data.text[0]       'the plot was not bad at all'
    data.ids[0]        word ids (L,), 1..V-1 (0 is padding), see VOCAB
    data.label         (n,) 1 = positive, 0 = negative
    data.negated       (n,) bool: the review contains "not"
    data.contrast      (n,) bool: the review contains "but"
"""

from typing import NamedTuple

import numpy as np

from ..init import as_rng

SUBJECTS = ("the movie", "the plot", "the acting", "the ending", "the music", "it")
POSITIVE = ("good", "great", "fun", "clever", "moving", "brilliant")
NEGATIVE = ("bad", "boring", "dull", "awful", "weak", "silly")
INTENSIFIERS = ("very", "really", "so", "quite")
FUNCTION_WORDS = ("was", "not", "at", "all", "but")

PAD = 0
VOCAB = (
    ("<pad>",)
    + tuple(dict.fromkeys(w for phrase in SUBJECTS for w in phrase.split()))
    + FUNCTION_WORDS
    + INTENSIFIERS
    + POSITIVE
    + NEGATIVE
)
WORD_TO_ID = {w: i for i, w in enumerate(VOCAB)}
VOCAB_SIZE = len(VOCAB)
LABELS = ("negative", "positive")


class Reviews(NamedTuple):
    """n reviews: text (list of str), ids (list of int arrays), and (n,) arrays
    label (1 positive), negated and contrast (bool)."""

    text: list
    ids: list
    label: np.ndarray
    negated: np.ndarray
    contrast: np.ndarray


def encode(text):
    """'it was not bad' -> word ids (L,)."""
    try:
        return np.array([WORD_TO_ID[w] for w in text.split()], dtype=np.int64)
    except KeyError as err:
        raise ValueError(
            f"unknown word {err.args[0]!r}; the vocabulary is VOCAB"
        ) from None


def decode(ids):
    """Word ids -> text; padding is dropped."""
    return " ".join(VOCAB[int(i)] for i in np.asarray(ids).ravel() if i != PAD)


def _phrase(rng, positive, p_negate, p_intensify):
    """Words of an adjective phrase whose meaning is `positive`; and whether
    it is negated."""
    negated = rng.random() < p_negate
    adjectives = POSITIVE if positive != negated else NEGATIVE
    words = ["not"] if negated else []
    if rng.random() < p_intensify:
        words.append(INTENSIFIERS[rng.integers(len(INTENSIFIERS))])
    words.append(adjectives[rng.integers(len(adjectives))])
    if negated and rng.random() < 0.4:
        words += ["at", "all"]
    return words, negated


def _clause(rng, positive, p_negate, p_intensify):
    subject = SUBJECTS[rng.integers(len(SUBJECTS))].split()
    words, negated = _phrase(rng, positive, p_negate, p_intensify)
    return subject + ["was"] + words, negated


def make_reviews(n, seed=None, p_negate=0.3, p_contrast=0.3, p_intensify=0.3):
    """n reviews with balanced labels (each label drawn with probability 1/2).

    p_negate     chance that a clause is negated ("not ...")
    p_contrast   chance of a second, opposite clause after "but"
    p_intensify  chance of "very"/"really"/... before an adjective
    Returns Reviews(text, ids, label, negated, contrast).  Same seed, same data.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1; got {n}")
    rng = as_rng(seed)
    text, ids = [], []
    label = rng.integers(0, 2, size=n)
    negated = np.zeros(n, dtype=bool)
    contrast = np.zeros(n, dtype=bool)
    for i in range(n):
        positive = bool(label[i])
        if rng.random() < p_contrast:
            first, neg1 = _clause(rng, not positive, p_negate, p_intensify)
            if rng.random() < 0.5:
                second, neg2 = _clause(rng, positive, p_negate, p_intensify)
            else:
                second, neg2 = _phrase(rng, positive, p_negate, p_intensify)
            words = first + ["but"] + second
            negated[i] = neg1 or neg2
            contrast[i] = True
        else:
            words, negated[i] = _clause(rng, positive, p_negate, p_intensify)
        sentence = " ".join(words)
        text.append(sentence)
        ids.append(encode(sentence))
    return Reviews(text, ids, label.astype(np.int64), negated, contrast)
