"""Dense and Embedding: gradients, shapes, and agreement with direct formulas."""

import numpy as np

from rnnlib import (
    Dense,
    Embedding,
    check_layer_gradients,
    numerical_gradient,
)
from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error


def test_dense_is_the_same_affine_map_at_every_step(rng):
    dense = Dense(4, 3, seed=0)
    h = rng.standard_normal((2, 5, 4))
    y = dense.forward(h)
    W, b = dense.params["W"], dense.params["b"]
    assert y.shape == (2, 5, 3)
    assert np.abs(y[1, 3] - (W @ h[1, 3] + b)).max() < 1e-14


def test_dense_gradients_match_numerical(rng):
    errors = check_layer_gradients(Dense(4, 3, seed=0), rng.standard_normal((2, 5, 4)))
    assert max(errors.values()) < GRADIENT_TOLERANCE, errors


def test_embedding_gradient_adds_up_repeated_tokens(rng):
    emb = Embedding(6, 3, seed=0)
    ids = np.array([[1, 2, 1], [5, 1, 0]])
    e = emb.forward(ids)
    assert np.array_equal(e[0, 2], emb.params["W"][1])
    de = rng.standard_normal(e.shape)
    emb.backward(de)

    def f(_):
        return emb.forward(ids)

    numeric = numerical_gradient(f, emb.params["W"], de)
    assert gradient_error(emb.grads["W"], numeric) < GRADIENT_TOLERANCE
    assert np.allclose(emb.grads["W"][1], de[0, 0] + de[0, 2] + de[1, 1])
    assert np.all(emb.grads["W"][3] == 0)


def test_dense_float32_in_gives_float32_out_and_float64_grads(rng):
    dense = Dense(4, 3, seed=0)  # float64 parameters
    h = rng.standard_normal((2, 5, 4)).astype(np.float32)
    y = dense.forward(h)
    dh = dense.backward(np.ones_like(y))
    assert (y.dtype, dh.dtype) == (np.float32, np.float32)
    assert dense.grads["W"].dtype == dense.grads["b"].dtype == np.float64
    expected = h.astype(np.float64) @ dense.params["W"].T + dense.params["b"]
    assert np.abs(y - expected).max() < 1e-5
    assert np.abs(dense.grads["b"] - 10).max() < 1e-12  # 2 * 5 ones summed
