"""Real first names for a character-level language model.

The names are the US Census 1990 lists of first names (male and female)
that ship with the PyPI package `names` (MIT licence; `pip install names`),
read from the files the package installs: nothing is downloaded.

`load_names()` gives the distinct names, lower case, letters a-z only,
sorted.  `make_name_dataset(seed=0)` splits them at random (seeded) into
training, validation and test names, so that no name is in two splits, and
builds the vocabulary:

    "."  (id 0)   the boundary token: it starts and it ends every name
    "a" … "z"     (ids 1 … 26)

A name is encoded with a boundary on each side, as in makemore:
"emma" -> ".emma." -> [0, 5, 13, 13, 1, 0].  A model reads ".emma" and
must predict "emma.": the first letter from the start token, and at the
end, the boundary, which is how it learns to stop.  `data.batch(names)`
pads encoded names into one (B, T) array with a (B, T) mask
(`rnnlib/datasets/padding.py`); the padding uses id 0 as well, so only
the mask tells a boundary from padding.
"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..checks import check_positive_int
from ..init import as_rng
from .padding import pad_sequences

BOUNDARY = "."
LETTERS = "abcdefghijklmnopqrstuvwxyz"
VOCAB = (BOUNDARY,) + tuple(LETTERS)
NAME_FILES = {"male": "dist.male.first", "female": "dist.female.first"}


def _names_folder():
    spec = importlib.util.find_spec("names")
    if spec is None or spec.origin is None:
        raise ImportError(
            "the first names come from the package `names` (US Census 1990"
            " lists, MIT licence), which is not installed: pip install names"
        )
    return Path(spec.origin).parent


def load_names(lists=("male", "female")):
    """The distinct first names of the Census lists, lower case, sorted.

    lists: which files to read, a subset of ("male", "female").  A line of
    a file reads "MARY  2.629  2.629  1" (name, frequency in percent,
    cumulative frequency, rank); only the name is kept.  Names with a
    character other than a-z are left out.  Returns a list of str.
    """
    if isinstance(lists, str):
        lists = (lists,)
    unknown = [k for k in lists if k not in NAME_FILES]
    if unknown or not lists:
        raise ValueError(
            f"lists must be a non-empty subset of {tuple(NAME_FILES)}; got {lists!r}"
        )
    folder = _names_folder()
    found = set()
    for key in lists:
        path = folder / NAME_FILES[key]
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing: reinstall the package with pip install names"
            )
        for line in path.read_text(encoding="ascii").splitlines():
            if line.strip():
                name = line.split()[0].lower()
                if name and all(c in LETTERS for c in name):
                    found.add(name)
    return sorted(found)


def encode_name(name):
    """'emma' -> array([0, 5, 13, 13, 1, 0]): the boundary, the letters, the boundary."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {type(name).__name__}")
    bad = sorted({c for c in name if c not in LETTERS})
    if bad:
        raise ValueError(
            f"name must hold only the letters a-z; {name!r} holds {''.join(bad)!r}"
        )
    ids = [0] + [LETTERS.index(c) + 1 for c in name] + [0]
    return np.array(ids, dtype=np.int64)


def decode_name(ids):
    """The inverse of encode_name: ids (T,) -> the letters up to the first
    boundary after the start ('.emma.' -> 'emma'; a leading '.' is skipped)."""
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be a 1-D array of ints (T,); got {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= len(VOCAB)):
        raise ValueError(
            f"ids must lie in [0, {len(VOCAB)}); got values from"
            f" {ids.min()} to {ids.max()}"
        )
    ids = ids[1:] if ids.size and ids[0] == 0 else ids
    letters = []
    for i in ids:
        if i == 0:
            break
        letters.append(VOCAB[i])
    return "".join(letters)


@dataclass
class NameData:
    """Names split into train / valid / test (lists of str) and the vocabulary.

    vocab      ("." , "a", …, "z"): id 0 is the boundary
    encode     'emma' -> [0, 5, 13, 13, 1, 0]; decode the inverse
    batch      a list of names -> ids (B, T), mask (B, T)
    """

    train: list
    valid: list
    test: list
    vocab: tuple = VOCAB

    @property
    def vocab_size(self):
        return len(self.vocab)

    @staticmethod
    def encode(name):
        return encode_name(name)

    @staticmethod
    def decode(ids):
        return decode_name(ids)

    @staticmethod
    def batch(names):
        """Encoded names padded into ids (B, T) int64 and mask (B, T) float64,
        T = the longest name + 2, 1.0 on every real token (boundaries included)."""
        if isinstance(names, str) or len(names) == 0:
            raise ValueError("names must be a non-empty list of names (str)")
        return pad_sequences([encode_name(n) for n in names], dtype=np.int64)

    def encoded(self, split):
        """The names of one split ("train", "valid" or "test") as id arrays."""
        if split not in ("train", "valid", "test"):
            raise ValueError(f"split must be 'train', 'valid' or 'test'; got {split!r}")
        return [encode_name(n) for n in getattr(self, split)]


def make_name_dataset(n_valid=500, n_test=500, seed=0, lists=("male", "female")):
    """All distinct first names, shuffled (seeded) and split three ways.

    The first n_valid shuffled names are the validation split, the next
    n_test the test split, the rest the training split; each split is
    sorted alphabetically.  The same seed gives the same split.
    Returns a NameData.
    """
    check_positive_int("n_valid", n_valid)
    check_positive_int("n_test", n_test)
    everyone = load_names(lists)
    if n_valid + n_test >= len(everyone):
        raise ValueError(
            f"n_valid + n_test must be below the number of names ({len(everyone)});"
            f" got {n_valid} + {n_test}"
        )
    order = as_rng(seed).permutation(len(everyone))
    shuffled = [everyone[i] for i in order]
    return NameData(
        train=sorted(shuffled[n_valid + n_test :]),
        valid=sorted(shuffled[:n_valid]),
        test=sorted(shuffled[n_valid : n_valid + n_test]),
    )
