"""The long-gap task: remember the sign of the first input across noise.

Each sequence starts with a signal, +1 or -1, followed by `gap - 1` steps of
Gaussian noise; the label, read out after the last step, is the sign of the
signal (1 for +1, 0 for -1):

    t        0     1        2        …   gap-1
    value   ±1   N(0,σ²)  N(0,σ²)   …   N(0,σ²)      label = [value_0 > 0]
    marker   1     0        0        …     0

The second channel marks the first step, so a model can tell the signal
from the noise by *when* it arrives, as in the adding problem of Hochreiter
& Schmidhuber (1997).  Nothing in between matters, so a model that solves
the task must carry one bit across `gap` steps of distraction: the answer
depends on something far back.  Chance is 50 %.  The default noise,
σ = 1.5, is larger than the signal: the first input is not the largest
value in the sequence, only the first.
"""

import numpy as np

from ..checks import check_positive_int
from ..init import as_rng


def long_gap(num_sequences, gap, noise_std=1.5, seed=None, dtype=np.float64):
    """Sequences whose label is the sign of their first input.

    num_sequences sequences of length `gap`; x[:, 0, 0] = ±1, the value
    channel holds N(0, noise_std²) noise at every later step, and the marker
    channel x[:, :, 1] is 1 at t = 0 only.  Balanced: exactly
    num_sequences // 2 sequences of each label (one more of label 0 when
    num_sequences is odd), in a random order.

    Returns x (num_sequences, gap, 2) and y (num_sequences,) int64 in {0, 1}.
    Same seed, same data.
    """
    check_positive_int("num_sequences", num_sequences)
    check_positive_int("gap", gap)
    if not np.isfinite(noise_std) or noise_std < 0:
        raise ValueError(f"noise_std must be a finite number >= 0; got {noise_std}")
    rng = as_rng(seed)
    y = rng.permutation(np.arange(num_sequences) % 2)
    x = np.zeros((num_sequences, gap, 2), dtype=dtype)
    x[:, 1:, 0] = noise_std * rng.standard_normal((num_sequences, gap - 1))
    x[:, 0, 0] = 2 * y - 1
    x[:, 0, 1] = 1
    return x, y.astype(np.int64)
