"""Attention functions: equal to PyTorch (float64, autograd) and to numerical
gradients; masking; clear errors for bad input."""

import numpy as np
import pytest

from rnnlib import attention
from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error, numerical_gradient

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: pip install torch"
)

B, T, S, DQ, DK, A = 3, 4, 5, 6, 7, 8
MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0]], float)


def t64(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=True)


def torch_masked_softmax(e, mask):
    real = torch.from_numpy(mask > 0)
    real = real if e.dim() == 2 else real[:, None, :]
    return torch.softmax(e.masked_fill(~real, float("-inf")), dim=-1)


def additive_inputs(rng):
    return (
        rng.standard_normal((B, T, DQ)),
        rng.standard_normal((B, S, DK)),
        rng.standard_normal((A, DQ)) * 0.5,
        rng.standard_normal((A, DK)) * 0.5,
        rng.standard_normal(A),
    )


# -- additive scores --------------------------------------------------------
def test_additive_scores_match_torch(rng):
    q, k, W_q, W_k, v = additive_inputs(rng)
    e, _ = attention.additive_scores_forward(q, k, W_q, W_k, v)
    tq, tk, tWq, tWk, tv = map(t64, (q, k, W_q, W_k, v))
    expected = torch.tanh((tq @ tWq.T)[:, :, None] + (tk @ tWk.T)[:, None]) @ tv
    assert e.shape == (B, T, S)
    assert np.abs(e - expected.detach().numpy()).max() < 1e-10


def test_additive_scores_backward_matches_torch_autograd(rng):
    q, k, W_q, W_k, v = additive_inputs(rng)
    de = rng.standard_normal((B, T, S))
    _, cache = attention.additive_scores_forward(q, k, W_q, W_k, v)
    grads = attention.additive_scores_backward(de, cache)
    tensors = list(map(t64, (q, k, W_q, W_k, v)))
    tq, tk, tWq, tWk, tv = tensors
    e = torch.tanh((tq @ tWq.T)[:, :, None] + (tk @ tWk.T)[:, None]) @ tv
    (e * torch.from_numpy(de)).sum().backward()
    for name, g, t in zip(("q", "k", "W_q", "W_k", "v"), grads, tensors, strict=True):
        assert np.abs(g - t.grad.numpy()).max() < 1e-10, name


def test_additive_scores_backward_matches_numerical_gradient(rng):
    inputs = additive_inputs(rng)
    de = rng.standard_normal((B, T, S))
    _, cache = attention.additive_scores_forward(*inputs)
    grads = attention.additive_scores_backward(de, cache)

    def scores(_):
        return attention.additive_scores_forward(*inputs)[0]

    for name, x, g in zip(("q", "k", "W_q", "W_k", "v"), inputs, grads, strict=True):
        err = gradient_error(g, numerical_gradient(scores, x, df=de))
        assert err < GRADIENT_TOLERANCE, f"{name}: gradient error {err:.1e}"


def test_additive_scores_of_one_step_equal_the_sequence_row(rng):
    q, k, W_q, W_k, v = additive_inputs(rng)
    e, _ = attention.additive_scores_forward(q, k, W_q, W_k, v)
    e_step, _ = attention.additive_scores_forward(q[:, 2], k, W_q, W_k, v)
    assert e_step.shape == (B, S)
    assert np.abs(e_step - e[:, 2]).max() < 1e-12


# -- dot-product scores ------------------------------------------------------
@pytest.mark.parametrize("scaled", [False, True])
def test_dot_scores_and_gradients_match_torch(rng, scaled):
    q, k = rng.standard_normal((B, T, DK)), rng.standard_normal((B, S, DK))
    de = rng.standard_normal((B, T, S))
    e, cache = attention.dot_scores_forward(q, k, scaled=scaled)
    dq, dk = attention.dot_scores_backward(de, cache)
    tq, tk = t64(q), t64(k)
    expected = tq @ tk.transpose(1, 2) / (np.sqrt(DK) if scaled else 1.0)
    (expected * torch.from_numpy(de)).sum().backward()
    assert np.abs(e - expected.detach().numpy()).max() < 1e-10
    assert np.abs(dq - tq.grad.numpy()).max() < 1e-10
    assert np.abs(dk - tk.grad.numpy()).max() < 1e-10


def test_scaled_dot_scores_are_the_dot_scores_over_sqrt_d(rng):
    q, k = rng.standard_normal((B, T, 16)), rng.standard_normal((B, S, 16))
    plain, _ = attention.dot_scores_forward(q, k)
    scaled, _ = attention.dot_scores_forward(q, k, scaled=True)
    assert np.abs(scaled * 4.0 - plain).max() < 1e-12


def test_dot_scores_backward_matches_numerical_gradient(rng):
    q, k = rng.standard_normal((B, T, DK)), rng.standard_normal((B, S, DK))
    de = rng.standard_normal((B, T, S))
    _, cache = attention.dot_scores_forward(q, k, scaled=True)
    dq, dk = attention.dot_scores_backward(de, cache)
    for name, x, g in (("q", q, dq), ("k", k, dk)):
        num = numerical_gradient(
            lambda _: attention.dot_scores_forward(q, k, scaled=True)[0], x, df=de
        )
        err = gradient_error(g, num)
        assert err < GRADIENT_TOLERANCE, f"{name}: gradient error {err:.1e}"


# -- masked softmax ----------------------------------------------------------
def test_masked_softmax_matches_torch_and_gives_padding_zero_weight(rng):
    e = rng.standard_normal((B, T, S)) * 3
    a, _ = attention.masked_softmax_forward(e, MASK)
    expected = torch_masked_softmax(t64(e), MASK).detach().numpy()
    assert np.abs(a - expected).max() < 1e-10
    assert (a[MASK[:, None, :].repeat(T, 1) == 0] == 0).all()
    assert np.abs(a.sum(axis=-1) - 1).max() < 1e-12


def test_masked_softmax_normalises_over_the_source_axis_not_the_batch(rng):
    e = rng.standard_normal((B, T, S))
    a, _ = attention.masked_softmax_forward(e)
    expected = np.exp(e) / np.exp(e).sum(axis=2, keepdims=True)
    assert np.abs(a - expected).max() < 1e-12


def test_masked_softmax_ignores_the_scores_of_padding(rng):
    e = rng.standard_normal((B, T, S))
    a, _ = attention.masked_softmax_forward(e, MASK)
    changed = e + 50.0 * (MASK[:, None, :] == 0)
    a_changed, _ = attention.masked_softmax_forward(changed, MASK)
    assert np.abs(a - a_changed).max() < 1e-15


def test_masked_softmax_is_stable_for_huge_scores(rng):
    e = rng.standard_normal((B, T, S)) * 1e4
    a, _ = attention.masked_softmax_forward(e, MASK)
    assert np.isfinite(a).all()
    assert np.abs(a.sum(axis=-1) - 1).max() < 1e-12


def test_masked_softmax_backward_matches_torch_autograd(rng):
    e = rng.standard_normal((B, T, S))
    da = rng.standard_normal((B, T, S))
    _, cache = attention.masked_softmax_forward(e, MASK)
    de = attention.masked_softmax_backward(da, cache)
    te = t64(e)
    (torch_masked_softmax(te, MASK) * torch.from_numpy(da)).sum().backward()
    assert np.abs(de - te.grad.numpy()).max() < 1e-10


def test_masked_softmax_backward_matches_numerical_gradient(rng):
    e = rng.standard_normal((B, S))
    da = rng.standard_normal((B, S))
    _, cache = attention.masked_softmax_forward(e, MASK)
    de = attention.masked_softmax_backward(da, cache)
    num = numerical_gradient(
        lambda _: attention.masked_softmax_forward(e, MASK)[0], e, df=da
    )
    assert gradient_error(de, num) < GRADIENT_TOLERANCE


def test_masked_softmax_refuses_a_fully_masked_row(rng):
    mask = MASK.copy()
    mask[1] = 0
    with pytest.raises(ValueError, match=r"rows \[1\] are all padding"):
        attention.masked_softmax_forward(rng.standard_normal((B, T, S)), mask)


def test_masked_softmax_names_a_mask_of_the_wrong_shape(rng):
    with pytest.raises(ValueError, match=r"mask must have shape \(B, T\) = \(3, 5\)"):
        attention.masked_softmax_forward(rng.standard_normal((B, T, S)), MASK[:, :4])


# -- context -----------------------------------------------------------------
def test_context_is_the_weighted_sum_of_the_values(rng):
    a, _ = attention.masked_softmax_forward(rng.standard_normal((B, T, S)), MASK)
    values = rng.standard_normal((B, S, DK))
    c, _ = attention.context_forward(a, values)
    loops = np.array(
        [
            [sum(a[b, t, s] * values[b, s] for s in range(S)) for t in range(T)]
            for b in range(B)
        ]
    )
    assert c.shape == (B, T, DK)
    assert np.abs(c - loops).max() < 1e-12


def test_context_backward_matches_torch_autograd(rng):
    a = rng.random((B, T, S))
    values = rng.standard_normal((B, S, DK))
    dc = rng.standard_normal((B, T, DK))
    _, cache = attention.context_forward(a, values)
    da, dvalues = attention.context_backward(dc, cache)
    ta, tv = t64(a), t64(values)
    ((ta @ tv) * torch.from_numpy(dc)).sum().backward()
    assert np.abs(da - ta.grad.numpy()).max() < 1e-10
    assert np.abs(dvalues - tv.grad.numpy()).max() < 1e-10


def test_context_backward_matches_numerical_gradient(rng):
    a = rng.random((B, S))
    values = rng.standard_normal((B, S, DK))
    dc = rng.standard_normal((B, DK))
    _, cache = attention.context_forward(a, values)
    da, dvalues = attention.context_backward(dc, cache)
    for name, x, g in (("a", a, da), ("values", values, dvalues)):
        num = numerical_gradient(
            lambda _: attention.context_forward(a, values)[0], x, df=dc
        )
        err = gradient_error(g, num)
        assert err < GRADIENT_TOLERANCE, f"{name}: gradient error {err:.1e}"


# -- the whole step ----------------------------------------------------------
def test_additive_attention_matches_torch_end_to_end(rng):
    q, k, W_q, W_k, v = additive_inputs(rng)
    dc = rng.standard_normal((B, T, DK))
    params = {"W_q": W_q, "W_k": W_k, "v": v}
    c, a, cache = attention.attention_forward(q, k, mask=MASK, params=params)
    dq, dk, dvalues, dparams = attention.attention_backward(dc, cache)
    tensors = list(map(t64, (q, k, W_q, W_k, v)))
    tq, tk, tWq, tWk, tv = tensors
    e = torch.tanh((tq @ tWq.T)[:, :, None] + (tk @ tWk.T)[:, None]) @ tv
    ta = torch_masked_softmax(e, MASK)
    tc = ta @ tk
    (tc * torch.from_numpy(dc)).sum().backward()
    assert dvalues is None  # the values are the keys: their gradient is in dk
    assert np.abs(c - tc.detach().numpy()).max() < 1e-10
    assert np.abs(a - ta.detach().numpy()).max() < 1e-10
    for name, g in (("q", dq), ("k", dk), *dparams.items()):
        t = dict(zip(("q", "k", "W_q", "W_k", "v"), tensors, strict=True))[name]
        assert np.abs(g - t.grad.numpy()).max() < 1e-10, name


def test_attention_layers_backward_match_numerical_gradient(rng):
    q = rng.standard_normal((B, T, DK))
    keys = rng.standard_normal((B, S, DK))
    dc = rng.standard_normal((B, T, DK))
    for layer in (
        attention.AdditiveAttention(DK, DK, A, seed=0),
        attention.DotProductAttention(scaled=True),
    ):
        layer.forward(q, keys, MASK)
        dq, dkeys = layer.backward(dc)

        def context(_, layer=layer):
            return layer.forward(q, keys, MASK)[0]

        checks = [("q", q, dq), ("keys", keys, dkeys)]
        checks += [(key, p, layer.grads[key]) for key, p in layer.params.items()]
        for name, x, g in checks:
            err = gradient_error(g, numerical_gradient(context, x, df=dc))
            assert err < GRADIENT_TOLERANCE, f"{layer} {name}: gradient error {err:.1e}"


def test_padding_keys_do_not_change_the_context(rng):
    layer = attention.AdditiveAttention(DQ, DK, A, seed=0)
    q, keys = rng.standard_normal((B, T, DQ)), rng.standard_normal((B, S, DK))
    c, _ = layer.forward(q, keys, MASK)
    noisy = keys + 100.0 * (MASK == 0)[:, :, None]
    c_noisy, _ = layer.forward(q, noisy, MASK)
    assert np.abs(c - c_noisy).max() < 1e-12


# -- bad input ---------------------------------------------------------------
def test_additive_scores_name_a_query_of_the_wrong_size(rng):
    q, k, W_q, W_k, v = additive_inputs(rng)
    with pytest.raises(
        ValueError,
        match=r"q must have shape .* Dq = W_q.shape\[1\] = 6; got \(3, 4, 5\)",
    ):
        attention.additive_scores_forward(q[..., :5], k, W_q, W_k, v)


def test_additive_scores_name_keys_of_another_batch(rng):
    q, k, W_q, W_k, v = additive_inputs(rng)
    with pytest.raises(
        ValueError,
        match=r"k must have shape \(B, S, D\) with B = q.shape\[0\] = 3.*got \(2, 5, 7\)",
    ):
        attention.additive_scores_forward(q, k[:2], W_q, W_k, v)


def test_additive_scores_name_a_weight_of_the_wrong_shape(rng):
    q, k, W_q, W_k, v = additive_inputs(rng)
    with pytest.raises(
        ValueError,
        match=r"W_k must have shape \(A, Dk\) with A = v.shape\[0\] = 8; got \(7, 7\)",
    ):
        attention.additive_scores_forward(q, k, W_q, W_k[:7], v)


def test_dot_scores_name_keys_of_another_size(rng):
    with pytest.raises(
        ValueError, match=r"k must have shape .*D = q.shape\[-1\] = 6; got \(3, 5, 7\)"
    ):
        attention.dot_scores_forward(
            rng.standard_normal((B, T, 6)), rng.standard_normal((B, S, 7))
        )


def test_context_names_values_of_another_length(rng):
    with pytest.raises(
        ValueError, match=r"values must have shape \(B, S, D\) .*S = 5; got \(3, 4, 7\)"
    ):
        attention.context_forward(
            rng.random((B, T, S)), rng.standard_normal((B, 4, DK))
        )


def test_attention_forward_names_an_unknown_score(rng):
    with pytest.raises(
        ValueError,
        match="score must be one of 'additive', 'dot', 'scaled_dot'; got 'cosine'",
    ):
        attention.attention_forward(
            rng.standard_normal((B, DK)),
            rng.standard_normal((B, S, DK)),
            score="cosine",
        )


def test_backward_names_an_upstream_gradient_of_the_wrong_shape(rng):
    _, cache = attention.masked_softmax_forward(rng.standard_normal((B, T, S)), MASK)
    with pytest.raises(
        ValueError, match=r"da must have the shape of a, \(3, 4, 5\); got \(3, 5, 4\)"
    ):
        attention.masked_softmax_backward(np.zeros((B, S, T)), cache)
