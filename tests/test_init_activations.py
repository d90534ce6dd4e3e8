"""Initialisers and activations."""

import numpy as np

from rnnlib import (
    numerical_gradient,
    orthogonal,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softmax,
    softmax_backward,
    tanh_derivative,
    xavier_uniform,
)
from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error


def test_orthogonal_has_unit_singular_values_and_is_seeded():
    W = orthogonal((6, 6), seed=0)
    assert np.allclose(np.linalg.svd(W, compute_uv=False), 1.0)
    assert np.array_equal(W, orthogonal((6, 6), seed=0))
    assert not np.array_equal(W, orthogonal((6, 6), seed=1))
    assert np.allclose(
        orthogonal((3, 5), seed=0) @ orthogonal((3, 5), seed=0).T, np.eye(3)
    )


def test_xavier_uniform_bound():
    W = xavier_uniform((200, 300), seed=0)
    bound = np.sqrt(6 / 500)
    assert np.abs(W).max() <= bound and np.abs(W).max() > 0.95 * bound


def test_derivatives_match_numerical(rng):
    z = rng.uniform(-2, 2, 7)
    for f, df in ((np.tanh, tanh_derivative), (sigmoid, sigmoid_derivative)):
        numeric = numerical_gradient(lambda _, f=f: f(z), z, np.ones(7))
        assert gradient_error(df(z), numeric) < GRADIENT_TOLERANCE
    assert np.array_equal(relu_derivative(np.array([-1.0, 0.0, 2.0])), [0, 0, 1])


def test_sigmoid_is_stable_and_softmax_sums_to_one():
    with np.errstate(over="raise"):
        s = sigmoid(np.array([-1e4, 0.0, 1e4]))
    assert np.array_equal(s, [0.0, 0.5, 1.0])
    p = softmax(np.array([[1e4, 0.0, -1e4]]))
    assert np.allclose(p.sum(-1), 1) and np.all(np.isfinite(p))


def test_softmax_backward_matches_numerical(rng):
    z, dout = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    numeric = numerical_gradient(lambda _: softmax(z), z, dout)
    assert (
        gradient_error(softmax_backward(dout, softmax(z)), numeric) < GRADIENT_TOLERANCE
    )
