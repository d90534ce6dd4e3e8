"""Losses against a direct formula, their gradients, masks and stability."""

import numpy as np
import pytest

from rnnlib import bce_with_logits, numerical_gradient, softmax_cross_entropy
from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error

B, T, C = 3, 4, 5


def assert_loss_gradient_matches(loss, z, y, mask):
    """loss(z, y, mask) returns (loss, dz): dz against central differences."""
    _, dz = loss(z, y, mask)
    numeric = numerical_gradient(lambda _: loss(z, y, mask)[0], z)
    assert gradient_error(dz, numeric) < GRADIENT_TOLERANCE


def test_bce_equals_the_direct_formula_summed_over_time_averaged_over_batch(rng):
    z = rng.standard_normal((B, T))
    y = rng.integers(0, 2, (B, T)).astype(float)
    p = 1 / (1 + np.exp(-z))
    direct = -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum() / B
    loss, _ = bce_with_logits(z, y)
    assert abs(loss - direct) < 1e-12


def test_bce_gradient_matches_numerical(rng):
    z = rng.standard_normal((B, T, 2))
    y = rng.random((B, T, 2))
    mask = (rng.random((B, T)) > 0.3).astype(float)
    assert_loss_gradient_matches(bce_with_logits, z, y, mask)


def test_softmax_cross_entropy_equals_the_direct_formula(rng):
    z = rng.standard_normal((B, T, C))
    y = rng.integers(0, C, (B, T))
    p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    direct = -sum(np.log(p[b, t, y[b, t]]) for b in range(B) for t in range(T)) / B
    loss, _ = softmax_cross_entropy(z, y)
    assert abs(loss - direct) < 1e-12


@pytest.mark.parametrize("shape", [(B, T, C), (B, C)])
def test_softmax_cross_entropy_gradient_matches_numerical(rng, shape):
    z = rng.standard_normal(shape)
    y = rng.integers(0, C, shape[:-1])
    mask = (rng.random(shape[:-1]) > 0.3).astype(float)
    assert_loss_gradient_matches(softmax_cross_entropy, z, y, mask)


def test_mask_drops_padded_steps_exactly(rng):
    z = rng.standard_normal((B, T, C))
    y = rng.integers(0, C, (B, T))
    mask = np.ones((B, T))
    mask[0, 2:] = 0  # sequence 0 has length 2
    loss, dz = softmax_cross_entropy(z, y, mask)
    z_changed = z.copy()
    z_changed[0, 2:] = 1e3  # whatever sits in padding must not matter
    loss_changed, _ = softmax_cross_entropy(z_changed, y, mask)
    assert loss == loss_changed
    assert np.all(dz[0, 2:] == 0)
    per_sequence = [
        softmax_cross_entropy(
            z[b : b + 1, : 2 if b == 0 else T], y[b : b + 1, : 2 if b == 0 else T]
        )[0]
        for b in range(B)
    ]
    assert abs(loss - sum(per_sequence) / B) < 1e-12


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_losses_stay_finite_at_huge_logits(scale):
    z = np.array([[scale, -scale, 0.0]])
    loss, dz = bce_with_logits(z, np.array([[0.0, 1.0, 1.0]]))
    assert np.isfinite(loss) and np.all(np.isfinite(dz))
    expected = (2 * scale if scale > 0 else 0.0) + np.log(2)
    assert abs(loss - expected) < 1e-9
    z3 = np.array([[[scale, -scale, 0.0]]])
    loss, dz = softmax_cross_entropy(z3, np.array([[1]]))
    assert np.isfinite(loss) and np.all(np.isfinite(dz))
    expected = 2 * scale if scale > 0 else 0.0
    assert abs(loss - expected) < 1e-9


def test_perfect_predictions_give_zero_loss():
    loss, dz = bce_with_logits(np.array([[50.0, -50.0]]), np.array([[1.0, 0.0]]))
    assert loss < 1e-20 and np.abs(dz).max() < 1e-20


def test_losses_keep_float32():
    z = np.zeros((B, T, C), dtype=np.float32)
    _, dz = softmax_cross_entropy(z, np.zeros((B, T), dtype=int))
    assert dz.dtype == np.float32
    _, dz = bce_with_logits(z[..., 0], np.zeros((B, T)))
    assert dz.dtype == np.float32
