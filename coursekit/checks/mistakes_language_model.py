"""The usual mistakes of exercise 11's first two parts (the embedding's
backward, the masked loss), written with plain NumPy and independently of
the learner's code, for the checks in `language_model.py`; the names of the
GRU's cache and gradients.  The references and mistake models of the parts
that grade a variant rnnlib does not hold (the GRU step of Cho et al., the
training epoch, the sampling loop) are the instructor's:
`coursekit/answers/language_model.py`, recorded for the visible tests.
"""

import numpy as np

from .mistakes_outputs import masked_cross_entropy_mistakes

OVERWRITTEN = (
    "ids overwritten instead of accumulated: dW[ids] = de (or dW[ids] += de,"
    " which NumPy buffers the same way) keeps only one row per repeated id."
    " Every position that read row v adds its gradient to dW[v]:"
    " np.add.at(dW, ids, de)"
)


GRU_CACHE = ("x_t", "h_prev", "W_x", "W_h", "r", "z", "n")
GRU_GRADIENTS = ("dx_t", "dh_prev", "dW_x", "dW_h", "db_x", "db_h")


def embedding_backward_mistakes(de, ids, vocab_size):
    """{mistake: dW (V, E)} for the usual wrong embedding backward passes.

    de (B, T, E), ids (B, T).  The right one: dW[v] = sum of de[b, t] over
    every (b, t) with ids[b, t] == v.
    """
    de = np.asarray(de, dtype=np.float64)
    ids = np.asarray(ids)
    E = de.shape[-1]
    overwritten = np.zeros((vocab_size, E))
    overwritten[ids.reshape(-1)] = de.reshape(-1, E)
    first_row = np.zeros((vocab_size, E))
    first_row[ids[0]] = de[0]
    return {
        OVERWRITTEN: overwritten,
        "only the first sequence of the batch: dW sums over every sequence"
        " and every step": first_row,
    }


def temporal_loss_mistakes(logits, targets, mask):
    """The wrong masked softmax losses of coursekit.checks, plus a mask applied
    to the loss but not to its gradient.  Returns {"loss": {...}, "dlogits": {...}}."""
    out = masked_cross_entropy_mistakes(logits, targets, mask)
    z = np.asarray(logits, dtype=np.float64)
    B, _, C = z.shape
    shifted = z - z.max(axis=-1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
    loss_only = (
        "the mask applied to the loss but not to dlogits: padded steps"
        " must get zero gradient too"
    )
    out["dlogits"][loss_only] = (p - np.eye(C)[targets]) / B
    return out
