"""Optimisers and clipping, against hand computations and torch's conventions."""

import numpy as np
import pytest

from rnnlib import SGD, Adam, clip_grad_norm


def test_clip_grad_norm_scales_to_max_norm_and_returns_the_old_norm():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    total = clip_grad_norm(grads, 1.0)
    assert total == 5.0
    assert np.allclose(grads["a"], [0.6, 0.0]) and np.allclose(grads["b"], [[0.8]])
    new_norm = np.sqrt(sum((g**2).sum() for g in grads.values()))
    assert abs(new_norm - 1.0) < 1e-6  # torch's 1e-6 guard in the scale


def test_clip_grad_norm_leaves_small_gradients_alone():
    grads = {"a": np.array([0.3, 0.4])}
    assert abs(clip_grad_norm(grads, 1.0) - 0.5) < 1e-15
    assert np.array_equal(grads["a"], [0.3, 0.4])
    with pytest.raises(ValueError, match="max_norm must be > 0; got 0"):
        clip_grad_norm(grads, 0)


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    rng = np.random.default_rng(0)
    grads = {"a": rng.standard_normal((3, 4)) * 5, "b": rng.standard_normal(4)}
    params = [
        torch.zeros(3, 4, dtype=torch.float64),
        torch.zeros(4, dtype=torch.float64),
    ]
    for p, g in zip(params, grads.values(), strict=True):
        p.grad = torch.tensor(g)
    expected = float(torch.nn.utils.clip_grad_norm_(params, 2.0))
    assert abs(clip_grad_norm(grads, 2.0) - expected) < 1e-12
    assert np.abs(grads["a"] - params[0].grad.numpy()).max() < 1e-12


def test_sgd_updates_in_place_with_momentum():
    p = {"w": np.array([1.0, 2.0])}
    alias = p["w"]
    opt = SGD(p, lr=0.1, momentum=0.9)
    opt.step({"w": np.array([1.0, 1.0])})
    opt.step({"w": np.array([1.0, 1.0])})
    # v1 = 1, v2 = 0.9 + 1 = 1.9; p = p0 - 0.1 * (1 + 1.9)
    assert np.allclose(alias, [1.0 - 0.29, 2.0 - 0.29])


def test_adam_matches_torch_over_several_steps():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal(5)
    p = {"w": w0.copy()}
    opt = Adam(p, lr=0.01)
    wt = torch.tensor(w0, requires_grad=True)
    topt = torch.optim.Adam([wt], lr=0.01)
    for _ in range(5):
        g = rng.standard_normal(5)
        opt.step({"w": g})
        wt.grad = torch.tensor(g)
        topt.step()
    assert np.abs(p["w"] - wt.detach().numpy()).max() < 1e-12


def test_optimisers_refuse_mismatched_grads():
    opt = SGD({"w": np.zeros(2)}, lr=0.1)
    with pytest.raises(ValueError, match=r"missing \['w'\], extra \['v'\]"):
        opt.step({"v": np.zeros(2)})
    with pytest.raises(ValueError, match=r"grads\['w'\] must have shape \(2,\)"):
        opt.step({"w": np.zeros(3)})
