"""Losses for sequences: summed over time steps, averaged over the batch.

The notes' loss for one sequence is the sum of the per-step losses,
L = sum_t L_t(ŷ_t, y_t).  For a batch of B sequences we average that sum:

    loss = (1/B) * sum_b sum_t mask[b, t] * L_t[b]

An optional `mask` (1 for a real step, 0 for padding; numbers or booleans,
nothing else) drops padded steps.
Both functions take *logits* (the scores before sigmoid/softmax) and return
`(loss, dlogits)`: the loss as a float and dL/dlogits shaped like the logits.
They are written so that no logit, however large, gives NaN or inf.
"""

import numpy as np

from .checks import as_float_array, as_mask, check_finite, check_shape


def _check_mask(mask, shape):
    """mask must match the leading axes of the logits, (B,) or (B, T), and
    hold only 0 and 1 (numbers or booleans)."""
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.ndim == 0 or mask.shape != shape[: mask.ndim]:
        raise ValueError(
            f"mask must have the leading shape of the logits, (B, T) = {shape[:2]}"
            f" or (B,) = {shape[:1]}; got {mask.shape}"
        )
    mask = as_mask("mask", mask, finite=True)
    return mask.reshape(mask.shape + (1,) * (len(shape) - mask.ndim))


def bce_with_logits(logits, targets, mask=None):
    """Binary cross-entropy of sigmoid(logits), summed over time, averaged over B.

    Per element, with z the logit and y in [0, 1] the target:
        L = -[y log σ(z) + (1 - y) log(1 - σ(z))]
          = max(z, 0) - z y + log(1 + e^{-|z|})        (the stable form)
        dL/dz = σ(z) - y

    logits (B, T) or (B, T, O) or (B,) ...; targets the same shape;
    mask (B, T) or (B,), optional.  Returns (loss, dlogits) with
    dlogits = mask * (σ(z) - y) / B.
    """
    z = as_float_array("logits", logits)
    if z.ndim == 0:
        raise ValueError(f"logits must have a batch axis (B, ...); got shape {z.shape}")
    check_finite("logits", z)
    y = as_float_array("targets", targets, dtype=z.dtype)
    check_shape("targets", y, z.shape, "like logits")
    check_finite("targets", y)
    if ((y < 0) | (y > 1)).any():
        raise ValueError(
            "targets must lie in [0, 1] for binary cross-entropy; "
            f"got values from {y.min():g} to {y.max():g}"
        )
    m = _check_mask(mask, z.shape)
    B = z.shape[0]
    per_element = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    dz = sig - y
    if m is not None:
        per_element = per_element * m
        dz = dz * m
    return float(per_element.sum() / B), (dz / B).astype(z.dtype, copy=False)


def softmax_cross_entropy(logits, targets, mask=None):
    """Softmax cross-entropy, summed over time, averaged over the batch.

    Per step, with scores z over C classes and the true class k:
        L = -log softmax(z)_k = logsumexp(z) - z_k
        dL/dz = softmax(z) - onehot(k)

    logits (B, T, C) or (B, C); targets int (B, T) or (B,), values in
    [0, C); mask (B, T) or (B,), optional.  Returns (loss, dlogits).
    """
    z = as_float_array("logits", logits)
    if z.ndim < 2:
        raise ValueError(f"logits must have shape (B, T, C) or (B, C); got {z.shape}")
    check_finite("logits", z)
    targets = np.asarray(targets)
    if targets.dtype.kind not in "iu":
        raise TypeError(
            f"targets must be integer class indices; got dtype {targets.dtype}"
        )
    check_shape(
        "targets",
        targets,
        z.shape[:-1],
        "(B, T)" if z.ndim == 3 else "(B,)",
        "the logits' shape without the class axis",
    )
    C = z.shape[-1]
    if targets.size and (targets.min() < 0 or targets.max() >= C):
        raise ValueError(
            f"targets must lie in [0, C) with C = logits.shape[-1] = {C};"
            f" got values from {targets.min()} to {targets.max()}"
        )
    m = _check_mask(mask, z.shape)
    B = z.shape[0]
    shifted = z - z.max(axis=-1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    log_probs = shifted - log_sum
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)
    dz = np.exp(log_probs)
    np.put_along_axis(
        dz, targets[..., None], np.take_along_axis(dz, targets[..., None], -1) - 1, -1
    )
    per_step = -picked
    if m is not None:
        per_step = per_step * m
        dz = dz * m
    return float(per_step.sum() / B), (dz / B).astype(z.dtype, copy=False)
