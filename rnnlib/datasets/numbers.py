"""English number words to digits: a small translation task.

    "three hundred and seven"                     -> "307"
    "forty-two thousand and nine"                 -> "42009"
    "nine hundred and ninety-nine thousand nine hundred and ninety-nine"
                                                  -> "999999"

The two sides have their own vocabularies (31 English words; the ten
digits) and their own lengths, and the order differs in places ("seven
hundred and twelve thousand" must be remembered until the digits are
written), which is what an encoder-decoder is for.  Numbers are written in
British English ("and" before the last two digits, hyphens inside tens,
which the tokeniser splits off: "forty-two" is the two words "forty", "two").

`make_number_translation` draws distinct numbers with a seed, the same
number of each digit count (so short and long inputs both occur), and
splits them *by number*: no test number is seen in training.
"""

from dataclasses import dataclass

import numpy as np

from ..checks import check_positive_int
from ..init import as_rng

ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
WORDS = tuple(ONES + TENS[2:] + ["hundred", "thousand", "and"])
DIGITS = tuple("0123456789")
SPECIALS = ("<pad>", "<bos>", "<eos>")
MAX_VALUE = 999_999


def _below_hundred(n):
    if n < 20:
        return ONES[n]
    tens, ones = divmod(n, 10)
    return TENS[tens] + (f"-{ONES[ones]}" if ones else "")


def _below_thousand(n):
    hundreds, rest = divmod(n, 100)
    if not hundreds:
        return _below_hundred(rest)
    words = f"{ONES[hundreds]} hundred"
    return words + (f" and {_below_hundred(rest)}" if rest else "")


def number_to_words(n):
    """0 <= n <= 999,999 in British English words: 307 -> 'three hundred and seven'.

    "and" comes before the tens and units ("one hundred and five",
    "two thousand and five"); tens and units are joined by a hyphen.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an int; got {n!r}")
    if not 0 <= n <= MAX_VALUE:
        raise ValueError(f"n must lie in [0, {MAX_VALUE}]; got {n}")
    n = int(n)
    thousands, rest = divmod(n, 1000)
    if not thousands:
        return _below_thousand(rest)
    words = f"{_below_thousand(thousands)} thousand"
    if rest == 0:
        return words
    return words + (
        f" and {_below_hundred(rest)}" if rest < 100 else f" {_below_thousand(rest)}"
    )


def tokenize(words):
    """'forty-two thousand' -> ['forty', 'two', 'thousand'] (split on spaces and hyphens)."""
    return words.replace("-", " ").split()


class Vocab:
    """Token strings <-> ids.  Ids 0, 1, 2 are <pad>, <bos>, <eos>; then `tokens`.

    encode(tokens) -> list of ids; decode(ids) -> list of tokens, stopping at
    the first <eos> and skipping <pad> and <bos>.
    """

    pad_id, bos_id, eos_id = 0, 1, 2

    def __init__(self, tokens):
        self.tokens = list(SPECIALS) + list(tokens)
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError("tokens must be distinct and differ from the specials")
        self.index = {t: i for i, t in enumerate(self.tokens)}

    def __len__(self):
        return len(self.tokens)

    def __repr__(self):
        return f"Vocab({len(self)} tokens: {' '.join(self.tokens[:8])} …)"

    def encode(self, tokens):
        missing = [t for t in tokens if t not in self.index]
        if missing:
            raise ValueError(f"tokens not in the vocabulary: {missing[:5]}")
        return [self.index[t] for t in tokens]

    def decode(self, ids):
        out = []
        for i in ids:
            i = int(i)
            if i == self.eos_id:
                break
            if i not in (self.pad_id, self.bos_id):
                out.append(self.tokens[i])
        return out


SOURCE_VOCAB = Vocab(WORDS)
TARGET_VOCAB = Vocab(DIGITS)


@dataclass
class TranslationSplit:
    """One split of the task, as text and as padded id arrays.

    numbers (N,); sources: the words; targets: the digit strings.
    src (N, S) word ids padded with 0, src_mask (N, S) 1 for real words;
    tgt_in (N, T) = <bos> d_1 … d_n (the decoder's inputs under teacher
    forcing); tgt_out (N, T) = d_1 … d_n <eos> (what it must predict);
    tgt_mask (N, T) 1 for real targets.  T = the longest target + 1.
    """

    numbers: np.ndarray
    sources: list
    targets: list
    src: np.ndarray
    src_mask: np.ndarray
    tgt_in: np.ndarray
    tgt_out: np.ndarray
    tgt_mask: np.ndarray

    def __len__(self):
        return len(self.numbers)

    @property
    def src_lengths(self):
        """Number of words in each source, (N,)."""
        return self.src_mask.sum(axis=1).astype(int)

    def batch(self, index):
        """The arrays of the examples at `index` (a slice or an int array),
        trimmed to the longest source and target among them."""
        mask = self.src_mask[index]
        S = int(mask.sum(axis=1).max())
        T = int(self.tgt_mask[index].sum(axis=1).max())
        return (
            self.src[index][:, :S],
            mask[:, :S],
            self.tgt_in[index][:, :T],
            self.tgt_out[index][:, :T],
            self.tgt_mask[index][:, :T],
        )


def encode_pairs(numbers):
    """Build a TranslationSplit for the given numbers (in that order)."""
    numbers = np.asarray(numbers, dtype=np.int64)
    sources = [number_to_words(int(n)) for n in numbers]
    targets = [str(int(n)) for n in numbers]
    src_ids = [SOURCE_VOCAB.encode(tokenize(s)) for s in sources]
    tgt_ids = [TARGET_VOCAB.encode(list(t)) for t in targets]
    N = len(numbers)
    S = max(len(s) for s in src_ids)
    T = max(len(t) for t in tgt_ids) + 1
    src = np.zeros((N, S), dtype=np.int64)
    src_mask = np.zeros((N, S))
    tgt_in = np.zeros((N, T), dtype=np.int64)
    tgt_out = np.zeros((N, T), dtype=np.int64)
    tgt_mask = np.zeros((N, T))
    for i, (s, t) in enumerate(zip(src_ids, tgt_ids, strict=True)):
        src[i, : len(s)] = s
        src_mask[i, : len(s)] = 1
        tgt_in[i, : len(t) + 1] = [Vocab.bos_id] + t
        tgt_out[i, : len(t) + 1] = t + [Vocab.eos_id]
        tgt_mask[i, : len(t) + 1] = 1
    return TranslationSplit(
        numbers, sources, targets, src, src_mask, tgt_in, tgt_out, tgt_mask
    )


def sample_numbers(count, max_digits=6, seed=None):
    """`count` distinct numbers, about the same number with each digit count 1 … max_digits.

    A digit count with fewer numbers than its share (there are only ten
    1-digit numbers) gives all of them, and the rest goes to longer ones.
    Returned grouped by digit count, shortest first (shuffle them yourself).
    """
    check_positive_int("count", count)
    check_positive_int("max_digits", max_digits)
    if max_digits > 6:
        raise ValueError(
            f"max_digits must be <= 6 (numbers up to {MAX_VALUE}); got {max_digits}"
        )
    rng = as_rng(seed)
    sizes = [10] + [9 * 10 ** (d - 1) for d in range(2, max_digits + 1)]
    if count > sum(sizes):
        raise ValueError(
            f"count must be <= {sum(sizes)} for max_digits={max_digits}; got {count}"
        )
    picked, left = [], count
    for d, size in enumerate(sizes):
        share = min(size, -(-left // (len(sizes) - d)))  # ceil of an even share
        low = 0 if d == 0 else 10**d
        picked.append(low + rng.choice(size, size=share, replace=False))
        left -= share
    return np.concatenate(picked)


def make_number_translation(n_train=4000, n_test=500, max_digits=6, seed=0):
    """The number-words task: (train, test) TranslationSplits, split by number.

    n_train + n_test distinct numbers are drawn (seeded) with each digit
    count 1 … max_digits about equally common, shuffled, and the first
    n_test become the test set.  The vocabularies are SOURCE_VOCAB (words)
    and TARGET_VOCAB (digits).  Same seed, same data.
    """
    check_positive_int("n_train", n_train)
    check_positive_int("n_test", n_test)
    rng = as_rng(seed)
    numbers = sample_numbers(n_train + n_test, max_digits, rng)
    numbers = numbers[rng.permutation(len(numbers))]
    return encode_pairs(numbers[n_test:]), encode_pairs(numbers[:n_test])
