"""Seeded weight initialisers.

rnnlib keeps no global random state: everything random takes `seed=` (an int,
None for fresh entropy) or an `np.random.Generator`, turned into a Generator
by `as_rng`.
"""

import numpy as np


def as_rng(seed=None):
    """Return a np.random.Generator from an int seed, None, or a Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if (
        seed is None
        or isinstance(seed, (int, np.integer))
        and not isinstance(seed, bool)
    ):
        return np.random.default_rng(seed)
    raise TypeError(
        f"seed must be an int, None or a np.random.Generator; got {type(seed).__name__}"
    )


def xavier_uniform(shape, seed=None, gain=1.0, dtype=np.float64):
    """Glorot/Xavier uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    shape (fan_out, fan_in), the orientation of W_hx (H, D) and W_yh (O, H).
    Keeps the variance of activations roughly equal going forward and back.
    """
    fan_out, fan_in = shape
    bound = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return as_rng(seed).uniform(-bound, bound, size=shape).astype(dtype)


def orthogonal(shape, seed=None, gain=1.0, dtype=np.float64):
    """A (semi-)orthogonal matrix times `gain` (Saxe et al., 2014).

    For W_hh (H, H): every singular value equals `gain`, so repeated
    multiplication by W_hh neither shrinks nor grows a vector.
    """
    rows, cols = shape
    a = as_rng(seed).standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # make the decomposition unique (uniform over O(n))
    if rows < cols:
        q = q.T
    return (gain * q[:rows, :cols]).astype(dtype)


def uniform(shape, bound, seed=None, dtype=np.float64):
    """U(-bound, bound); PyTorch's RNN default is bound = 1 / sqrt(hidden_size)."""
    return as_rng(seed).uniform(-bound, bound, size=shape).astype(dtype)


def gate_blocks(init, gates, shape, seed=None, dtype=np.float64):
    """`gates` blocks of `shape` (H, ·) from `init` (xavier_uniform or
    orthogonal), stacked along the rows: (gates*H, ·).

    A gated cell's W_x and W_h hold one block per gate (i, f, g, o for the
    LSTM, r, z, n for the GRU), each initialised as a weight of its own.
    """
    rng = as_rng(seed)
    return np.concatenate([init(shape, rng, dtype=dtype) for _ in range(gates)])
