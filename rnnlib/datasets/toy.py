"""Small tasks with a known answer, for the first notebooks.

Each generator is seeded (`seed=` an int or a np.random.Generator), works
offline in milliseconds and documents what it guarantees:

    motif_dataset(n, length, motif="TATA", region=None, seed=0)
        DNA strings, label 1 when the motif occurs anywhere.  Exactly
        n // 2 positives (the motif exactly once, wholly inside `region`)
        and n - n // 2 negatives (the motif nowhere).
    random_dna(n, lengths, seed=0)
        DNA strings of different lengths, as a list of int arrays.
    running_count(n, length, modulo=None, seed=0)
        random bits; target at step t = the number of ones so far (mod k).
    running_parity(n, length, seed=0)
        running_count with modulo=2: is the count of ones so far odd?
    echo_task(n, length, delay, seed=0)
        random bits; target at step t = the input `delay` steps earlier.

Bases are coded A, C, G, T = 0, 1, 2, 3 and one-hot encoded (D = 4) as in
`rnnlib/datasets/dna.py`; bit tasks have inputs (n, length, 1).  To pad
strings of different lengths into one array, use
`rnnlib.datasets.pad_sequences` (`rnnlib/datasets/padding.py`).
"""

from typing import NamedTuple

import numpy as np

from ..checks import check_positive_int
from ..init import as_rng
from .dna import BASES, one_hot


class MotifData(NamedTuple):
    """What `motif_dataset` returns (a tuple: `x, y, bases, start = data`).

    x (n, length, 4) one-hot float64; y (n,) float64 labels 0/1;
    bases (n, length) int codes 0..3; start (n,) the planted motif's first
    position, -1 for the negatives.
    """

    x: np.ndarray
    y: np.ndarray
    bases: np.ndarray
    start: np.ndarray


def encode_dna(strings):
    """DNA text -> int codes: "GATTACA" -> [2, 0, 3, 3, 0, 1, 0].

    A string gives a 1-D array; a list of equal-length strings a 2-D array.
    """
    if isinstance(strings, str):
        bad = sorted(set(strings) - set(BASES))
        if bad:
            raise ValueError(f"strings must hold only the bases {BASES}; got {bad}")
        return np.array([BASES.index(c) for c in strings], dtype=np.int64)
    return np.stack([encode_dna(s) for s in strings])


def decode_dna(bases):
    """Int codes -> DNA text: one string for a 1-D array, a list for 2-D."""
    bases = np.asarray(bases)
    if bases.ndim == 1:
        return "".join(BASES[int(b)] for b in bases)
    return [decode_dna(row) for row in bases]


def count_occurrences(bases, motif):
    """How often `motif` (a string or int codes) occurs in each row of `bases`.

    bases (n, T) int codes.  Overlapping occurrences count separately
    ("TATATA" holds "TATA" twice).  Returns (n,) ints.
    """
    bases = np.atleast_2d(np.asarray(bases))
    m = encode_dna(motif) if isinstance(motif, str) else np.asarray(motif)
    if bases.shape[1] < len(m):
        return np.zeros(bases.shape[0], dtype=np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(bases, len(m), axis=1)
    return (windows == m).all(axis=2).sum(axis=1)


def motif_dataset(n, length, motif="TATA", region=None, seed=None):
    """DNA strings labelled 1 if `motif` occurs anywhere in them, else 0.

    Balanced and exact: the first n // 2 draws are positives and hold the
    motif exactly once, placed wholly inside `region = (lo, hi)` (positions
    lo … hi-1, default the whole string) at a uniformly drawn start; the
    other n - n // 2 hold it nowhere.  The rows are then shuffled.  All
    other bases are uniform over A, C, G, T (rows breaking these rules are
    redrawn), so the only difference between the classes is the motif.

    Train with region=(0, length // 2) and test with
    region=(length // 2, length): a model that shares one detector across
    positions transfers, one with a weight per position does not.

    Returns MotifData(x (n, length, 4), y (n,), bases (n, length), start (n,)).
    """
    check_positive_int("n", n)
    check_positive_int("length", length)
    m = encode_dna(motif)
    lo, hi = (0, length) if region is None else region
    if not (0 <= lo and hi <= length and hi - lo >= len(m)):
        raise ValueError(
            f"region must be (lo, hi) with 0 <= lo, hi <= length = {length} and "
            f"room for the motif ({len(m)} bases); got {region}"
        )
    rng = as_rng(seed)
    n_pos = n // 2
    start = np.full(n, -1, dtype=np.int64)
    start[:n_pos] = rng.integers(lo, hi - len(m) + 1, size=n_pos)
    bases = np.empty((n, length), dtype=np.int64)
    todo = np.arange(n)
    while todo.size:  # draw, plant, redraw the rows that break the rules
        bases[todo] = rng.integers(0, 4, size=(todo.size, length))
        pos = todo[start[todo] >= 0]
        bases[pos[:, None], start[pos, None] + np.arange(len(m))] = m
        wanted = (start[todo] >= 0).astype(np.int64)
        todo = todo[count_occurrences(bases[todo], m) != wanted]
    order = rng.permutation(n)
    bases, start = bases[order], start[order]
    y = (start >= 0).astype(np.float64)
    return MotifData(one_hot(bases), y, bases, start)


def random_dna(n, lengths, seed=None):
    """n DNA strings (int codes) whose lengths are drawn uniformly from
    `lengths = (shortest, longest)`, both included; returns a list of arrays."""
    check_positive_int("n", n)
    shortest, longest = lengths
    if not 1 <= shortest <= longest:
        raise ValueError(
            f"lengths must be (shortest, longest) with 1 <= shortest "
            f"<= longest; got {lengths}"
        )
    rng = as_rng(seed)
    sizes = rng.integers(shortest, longest + 1, size=n)
    return [rng.integers(0, 4, size=int(s)) for s in sizes]


def _random_bits(n, length, p, seed):
    check_positive_int("n", n)
    check_positive_int("length", length)
    if not 0 < p < 1:
        raise ValueError(f"p must lie strictly between 0 and 1; got {p}")
    return (as_rng(seed).random((n, length)) < p).astype(np.float64)


def running_count(n, length, modulo=None, p=0.5, seed=None):
    """Random bits; the target at step t counts the ones seen so far.

        y_t = x_1 + … + x_t            (mod `modulo`, if given)

    Each bit is 1 with probability p.  Returns x (n, length, 1) float64
    and y (n, length) int64.
    """
    bits = _random_bits(n, length, p, seed)
    y = np.cumsum(bits, axis=1).astype(np.int64)
    if modulo is not None:
        check_positive_int("modulo", modulo)
        y %= modulo
    return bits[..., None], y


def running_parity(n, length, p=0.5, seed=None):
    """Random bits; the target at step t is 1 when the count of ones so far is odd.

    y_t = (x_1 + … + x_t) mod 2.  Balanced: with p = 1/2, every y_t is 1
    with probability exactly 1/2 (the first bit alone is a fair coin).
    Returns x (n, length, 1) and y (n, length), both float64 (y is 0/1,
    ready for `bce_with_logits`).
    """
    x, y = running_count(n, length, modulo=2, p=p, seed=seed)
    return x, y.astype(np.float64)


def echo_task(n, length, delay, p=0.5, seed=None):
    """Random bits; the target at step t is the input `delay` steps earlier.

        y_t = x_{t - delay}   for t >= delay;   no target before that.

    Balanced: bits are 1 with probability p (1/2 by default), targets too.
    Returns x (n, length, 1), y (n, length) float64 (0 for the first
    `delay` steps) and mask (n, length): 0 for those first steps, 1 after,
    to pass to the loss as `mask=`.
    """
    if isinstance(delay, bool) or not isinstance(delay, (int, np.integer)):
        raise TypeError(f"delay must be an int >= 0; got {delay!r}")
    if not 0 <= delay < length:
        raise ValueError(
            f"delay must satisfy 0 <= delay < length = {length}; got {delay}"
        )
    bits = _random_bits(n, length, p, seed)
    y = np.zeros_like(bits)
    y[:, delay:] = bits[:, : length - delay]
    mask = np.zeros_like(bits)
    mask[:, delay:] = 1.0
    return bits[..., None], y, mask
