"""Padding: a batch of sequences of different lengths as one array and a mask.

An RNN layer takes a rectangular array (B, T, ...).  Sequences of lengths
L_1 … L_B are written left-aligned into an array of T = max L_i steps, the
rest filled with `pad_value`, and a mask says which steps are real:

    seqs = [[5, 2, 7], [3, 1], [4]]
    x, mask = pad_sequences(seqs)
    x    = [[5, 2, 7],          mask = [[1, 1, 1],
            [3, 1, 0],                  [1, 1, 0],
            [4, 0, 0]]                  [1, 0, 0]]

The losses take the mask and drop the padded steps; `unpad` undoes the
padding.  (This "right padding" is what torch.nn.utils.rnn.pad_sequence
does with batch_first=True.)
"""

import numpy as np


def pad_sequences(seqs, pad_value=0, max_len=None, dtype=None):
    """Stack sequences of different lengths into one array, plus a mask.

    seqs     a list of B sequences, each (L_i,) or (L_i, D) (lists or arrays;
             all with the same trailing shape)
    max_len  T, default max L_i; longer sequences raise a ValueError
    Returns padded (B, T) or (B, T, D), with the dtype of the sequences
    unless `dtype` is given, and mask (B, T) float64: 1.0 for real steps.
    """
    if isinstance(seqs, np.ndarray) and seqs.dtype != object:
        seqs = list(seqs)
    if not isinstance(seqs, (list, tuple)) or len(seqs) == 0:
        raise ValueError("seqs must be a non-empty list of sequences")
    arrays = [np.asarray(s) for s in seqs]
    trailing = arrays[0].shape[1:]
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise ValueError(
                f"seqs[{i}] must be a sequence (L,) or (L, D); got a scalar"
            )
        if a.shape[1:] != trailing:
            raise ValueError(
                f"every sequence must have trailing shape {trailing} like seqs[0];"
                f" seqs[{i}] has shape {a.shape}"
            )
    lengths = np.array([len(a) for a in arrays])
    T = int(lengths.max()) if max_len is None else int(max_len)
    if lengths.max() > T:
        raise ValueError(
            f"max_len = {T} is shorter than the longest sequence ({lengths.max()})"
        )
    if dtype is None:
        dtype = np.result_type(*arrays)
    padded = np.full((len(arrays), T) + trailing, pad_value, dtype=dtype)
    for i, a in enumerate(arrays):
        padded[i, : len(a)] = a
    mask = (np.arange(T) < lengths[:, None]).astype(np.float64)
    return padded, mask


def lengths_from_mask(mask):
    """Lengths (B,) ints from a (B, T) right-padding mask."""
    return np.asarray(mask).sum(axis=1).astype(np.int64)


def unpad(padded, mask):
    """The inverse of pad_sequences: a list of B arrays, each cut to its length."""
    padded = np.asarray(padded)
    mask = np.asarray(mask)
    if mask.shape != padded.shape[:2]:
        raise ValueError(
            f"mask must have shape (B, T) = {padded.shape[:2]} like padded; got {mask.shape}"
        )
    return [padded[i, :n] for i, n in enumerate(lengths_from_mask(mask))]
