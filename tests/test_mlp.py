"""The MLP baseline: gradients against central differences, and it learns."""

import numpy as np
import pytest
from gradients import assert_model_gradients_match

from rnnlib import MLP, Adam, mlp_backward, mlp_forward, numerical_gradient
from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_mlp_backward_matches_numerical_gradient(rng, activation):
    net = MLP(5, [7, 6], 3, activation=activation, seed=0)
    x = rng.standard_normal((4, 5))
    dscores = rng.standard_normal((4, 3))
    net.forward(x)
    dx = net.backward(dscores)

    def loss():
        return np.sum(net.forward(x) * dscores)

    numeric = numerical_gradient(lambda _: loss(), x)
    assert gradient_error(dx, numeric) < GRADIENT_TOLERANCE
    assert_model_gradients_match(net, loss)


def test_mlp_forward_matches_the_formula(rng):
    net = MLP(3, 4, 2, seed=1)
    x = rng.standard_normal((5, 3))
    p = net.params
    h = np.maximum(x @ p["W1"].T + p["b1"], 0)
    assert np.abs(net.forward(x) - (h @ p["W2"].T + p["b2"])).max() < 1e-14


def test_mlp_functional_pair_agrees_with_the_layer(rng):
    net = MLP(3, [4], 2, activation="tanh", seed=2)
    x = rng.standard_normal((5, 3))
    scores, cache = mlp_forward(x, net.params, "tanh")
    assert np.array_equal(scores, net.forward(x))
    d = rng.standard_normal(scores.shape)
    dx, grads = mlp_backward(d, cache)
    assert np.array_equal(dx, net.backward(d))
    assert all(np.array_equal(grads[k], net.grads[k]) for k in grads)


def test_mlp_binary_loss_gradient_matches_numerical_gradient(rng):
    net = MLP(4, [5], 1, activation="tanh", seed=3)
    x = rng.standard_normal((6, 4))
    y = (rng.random(6) < 0.5).astype(float)
    _, grads = net.loss(x, y)
    grads = {k: g.copy() for k, g in grads.items()}
    for key, p in net.params.items():
        num = numerical_gradient(lambda _: net.loss(x, y)[0], p)
        assert gradient_error(grads[key], num) < GRADIENT_TOLERANCE, key


def test_mlp_params_count_and_keys():
    net = MLP(80, [32], 1, seed=0)
    assert list(net.params) == ["W1", "b1", "W2", "b2"]
    assert net.params["W1"].shape == (32, 80)
    assert net.num_params == 80 * 32 + 32 + 32 + 1


def test_mlp_is_seeded():
    a, b, c = MLP(3, 4, 2, seed=0), MLP(3, 4, 2, seed=0), MLP(3, 4, 2, seed=1)
    assert np.array_equal(a.params["W1"], b.params["W1"])
    assert not np.array_equal(a.params["W1"], c.params["W1"])


def test_mlp_learns_xor():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    net = MLP(2, [8], 1, activation="tanh", seed=0)
    opt = Adam(net.params, lr=0.05)
    first, _ = net.loss(x, y)
    for _ in range(300):
        loss, grads = net.loss(x, y)
        opt.step(grads)
    assert loss < 0.05 * first
    assert net.accuracy(x, y) == 1.0


def test_mlp_softmax_loss_for_several_classes(rng):
    net = MLP(3, [4], 3, seed=0)
    x = rng.standard_normal((5, 3))
    loss, grads = net.loss(x, np.array([0, 1, 2, 1, 0]))
    assert loss > 0 and grads["W2"].shape == (3, 4)


def test_mlp_refuses_inputs_of_the_wrong_width():
    net = MLP(4, [3], 1, seed=0)
    with pytest.raises(
        ValueError, match=r"x must have shape \(B, D\) with D = W1.shape\[1\] = 4"
    ):
        net.forward(np.zeros((2, 5)))


def test_mlp_backward_before_forward_raises():
    with pytest.raises(RuntimeError, match="forward"):
        MLP(2, [2], 1).backward(np.zeros((1, 1)))
