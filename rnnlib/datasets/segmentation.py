"""Word segmentation of unspaced text, tagged B/I/E/S, from a small lexicon.

Chinese and Japanese are written without spaces between words; a first step
in reading them is to find where the words are.  A standard way to pose it
is sequence labelling: tag every character with

    B  begins a word        I  inside a word
    E  ends a word          S  a single-character word

    text   t h e c a t s a t o n a m a t
    tags   B I E B I E B I E B E S B I E      "the cat sat on a mat"

Here the text is English with its spaces removed, built from a tiny
grammar and a lexicon this course wrote (below): sentences such as "the lazy
cat slept under my old hat", sometimes two of them joined by "while".

No word of the lexicon is the beginning of another ("a" but no "and"),
so a reader going left to right can always tell where a word ends once it
has read its last letter: a unidirectional tagger can be perfect, if it
learns the lexicon.  (`is_prefix_free` checks this.)

    data = make_segmentation(1000, seed=0)
    data.text[0]              'the lazy cat slept under my old hat'
    data.ids[0]               character ids (L,), 1..26 for a..z (0 is padding)
    data.tags[0]              tag ids (L,), 0..3 for B, I, E, S
    x, mask = pad_sequences(data.ids)     # (n, T_max), see padding.py
"""

from typing import NamedTuple

import numpy as np

from ..init import as_rng

PAD = 0
ALPHABET = "abcdefghijklmnopqrstuvwxyz"
CHARS = "_" + ALPHABET  # index 0 is padding
VOCAB_SIZE = len(CHARS)
TAGS = "BIES"

LEXICON = {
    "det": ("the", "a", "my", "her", "our"),
    "adj": ("big", "small", "red", "old", "lazy", "happy", "tiny", "brave"),
    "noun": (
        "cat",
        "dog",
        "bird",
        "fox",
        "frog",
        "owl",
        "mouse",
        "king",
        "queen",
        "pig",
        "hat",
        "tree",
    ),
    "verb": ("sat", "ran", "slept", "sang", "jumped", "hid", "danced", "waited"),
    "prep": ("on", "under", "near", "behind", "by", "beside"),
    "conj": ("while",),
}


class Segmentation(NamedTuple):
    """n examples: `text` spaced strings, `ids` and `tags` lists of int arrays."""

    text: list
    ids: list
    tags: list


def is_prefix_free(words):
    """True if no word is the beginning of another (e.g. not both 'the', 'then')."""
    words = sorted(set(words))
    return not any(b.startswith(a) for a, b in zip(words, words[1:], strict=False))


def encode_chars(text):
    """'thecat' -> character ids (L,), 1..26; spaces are not allowed."""
    try:
        return np.array([CHARS.index(c) for c in text], dtype=np.int64)
    except ValueError:
        raise ValueError(
            f"text must hold only the letters a..z; got {text!r}"
        ) from None


def decode_chars(ids):
    """Character ids -> string; padding (0) is dropped."""
    return "".join(CHARS[int(i)] for i in np.asarray(ids).ravel() if i != PAD)


def bies_tags(words):
    """Tag ids for the characters of `words` written without spaces.

    ['the', 'a', 'cat'] -> B I E S B I E as ids [0, 1, 2, 3, 0, 1, 2].
    """
    tags = []
    for w in words:
        if len(w) == 1:
            tags.append(3)
        else:
            tags.extend([0] + [1] * (len(w) - 2) + [2])
    return np.array(tags, dtype=np.int64)


def segment(ids, tags):
    """Put the spaces back: a space after every character tagged E or S."""
    out = []
    for c, t in zip(
        decode_chars(ids), np.asarray(tags)[: len(decode_chars(ids))], strict=True
    ):
        out.append(c)
        if t in (2, 3):
            out.append(" ")
    return "".join(out).strip()


def format_tags(tags):
    """Tag ids -> 'BIEBIE…' string."""
    return "".join(TAGS[int(t)] for t in np.asarray(tags).ravel())


def _clause(rng, lexicon):
    def pick(kind):
        options = lexicon[kind]
        return options[rng.integers(len(options))]

    words = [pick("det")]
    if rng.random() < 0.5:
        words.append(pick("adj"))
    words += [pick("noun"), pick("verb")]
    if rng.random() < 0.7:
        words += [pick("prep"), pick("det")]
        if rng.random() < 0.5:
            words.append(pick("adj"))
        words.append(pick("noun"))
    return words


def make_sentence(seed=None, lexicon=None, p_two=0.4):
    """One sentence as a list of words; with probability p_two, two clauses
    joined by the conjunction ("the cat sat while a dog ran")."""
    rng = as_rng(seed)
    lexicon = LEXICON if lexicon is None else lexicon
    words = _clause(rng, lexicon)
    if rng.random() < p_two:
        words += list(lexicon["conj"][:1]) + _clause(rng, lexicon)
    return words


def make_segmentation(n, seed=None, lexicon=None, p_two=0.4):
    """n unspaced sentences with their B/I/E/S tags (lengths vary, ~10–70).

    Returns Segmentation(text, ids, tags): spaced strings, character ids
    (1..26), tag ids (0..3 for B, I, E, S).  Same seed, same data.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1; got {n}")
    rng = as_rng(seed)
    text, ids, tags = [], [], []
    for _ in range(n):
        words = make_sentence(rng, lexicon, p_two)
        text.append(" ".join(words))
        ids.append(encode_chars("".join(words)))
        tags.append(bies_tags(words))
    return Segmentation(text, ids, tags)
