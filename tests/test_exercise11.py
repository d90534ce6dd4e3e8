"""The references and feedback of exercise 11 (coursekit/checks/language_model.py):
each usual mistake is named, and the references agree with rnnlib, with a
plain loop (the GRU of Cho et al., which rnnlib does not hold) and with
numerical gradients.  Its backward pass is checked in the exercise itself
(tests/test_named_mistakes.py)."""

import numpy as np
import pytest

import rnnlib
from coursekit.answers import language_model as models
from coursekit.checks import MISTAKES, check_array, check_scalar, check_token_lists
from coursekit.checks import language_model as lm
from coursekit.checks import mistakes_language_model as lm_mistakes
from rnnlib.language_model import LanguageModel


def random_gru(B=3, D=4, H=5, seed=0):
    return list(lm.random_gru(B, D, H, seed))


# ---------------------------------------------------------------- references


def _gru_by_loops(x_t, h_prev, W_x, W_h, b_x, b_h):
    """Cho et al.'s GRU step, one example and one unit at a time."""
    B, H = h_prev.shape
    h_next = np.zeros((B, H))
    for b in range(B):
        x, h = x_t[b], h_prev[b]
        r = [
            1 / (1 + np.exp(-(W_x[i] @ x + b_x[i] + W_h[i] @ h + b_h[i])))
            for i in range(H)
        ]
        z = [
            1
            / (1 + np.exp(-(W_x[H + i] @ x + b_x[H + i] + W_h[H + i] @ h + b_h[H + i])))
            for i in range(H)
        ]
        rh = np.array(r) * h  # the reset gate before the product
        for i in range(H):
            k = 2 * H + i
            n = np.tanh(W_x[k] @ x + b_x[k] + W_h[k] @ rh + b_h[k])
            h_next[b, i] = (1 - z[i]) * n + z[i] * h[i]
    return h_next


def test_gru_reference_is_cho_et_al_s_gru_step():
    args = random_gru(seed=0)
    h_next, cache = models.gru_step_reference(*args)
    np.testing.assert_allclose(h_next, _gru_by_loops(*args), atol=1e-12)
    assert len(cache) == len(lm.GRU_CACHE)


def test_gru_reference_is_not_rnnlibs_gru_but_agrees_when_the_reset_gate_is_open():
    x_t, h_prev, W_x, W_h, b_x, b_h = random_gru(seed=1)
    theirs = rnnlib.gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h)[0]
    assert (
        np.abs(
            models.gru_step_reference(x_t, h_prev, W_x, W_h, b_x, b_h)[0] - theirs
        ).max()
        > 0.05
    )
    open_gate = b_x.copy()
    open_gate[:5] = 60.0  # r = 1: r before or after the product is the same
    np.testing.assert_allclose(
        models.gru_step_reference(x_t, h_prev, W_x, W_h, open_gate, b_h)[0],
        rnnlib.gru_step_forward(x_t, h_prev, W_x, W_h, open_gate, b_h)[0],
        atol=1e-12,
    )


def test_gru_numerical_gradients_are_those_of_the_reference():
    args = random_gru(B=2, D=3, H=2, seed=2)
    dh = np.random.default_rng(3).standard_normal((2, 2))
    num = models.gru_numerical_gradients(dh, args)
    assert [g.shape for g in num] == [np.shape(a) for a in args]
    # a step along dW_x changes L by about |dW_x|^2 * step
    step = 1e-6
    W_x = args[2] + step * num[2]
    moved = np.sum(dh * models.gru_step_reference(args[0], args[1], W_x, *args[3:])[0])
    before = np.sum(dh * models.gru_step_reference(*args)[0])
    np.testing.assert_allclose((moved - before) / step, np.sum(num[2] ** 2), rtol=1e-4)


def test_train_epoch_reference_matches_rnnlib_clip_grad_norm_loop():
    sequences = [np.array([0, 3, 1, 4, 0]), np.array([0, 2, 0]), np.array([0, 5, 5, 0])]
    a, b = (LanguageModel(6, 3, 4, seed=0) for _ in range(2))
    models.train_epoch_reference(
        a, sequences, 2, rnnlib.SGD(a.params, lr=0.5), 0.3, np.random.default_rng(0)
    )
    opt, order = rnnlib.SGD(b.params, lr=0.5), np.random.default_rng(0).permutation(3)
    for i in (0, 2):
        ids, mask = rnnlib.datasets.pad_sequences(
            [sequences[j] for j in order[i : i + 2]]
        )
        _, grads = b.loss(ids, mask)
        assert rnnlib.clip_grad_norm(grads, 0.3) > 0.3  # clipping happens
        opt.step(grads)
    for key in a.params:  # rnnlib's clip divides by norm + 1e-6
        np.testing.assert_allclose(a.params[key], b.params[key], rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------- named mistakes


def test_embedding_ids_overwritten_is_named():
    rng = np.random.default_rng(0)
    ids, de = np.array([[1, 2, 1], [0, 1, 2]]), rng.standard_normal((2, 3, 2))
    wrong = np.zeros((3, 2))
    wrong[ids] += de  # the buffered update: repeated ids are not summed
    right = rnnlib.embedding_backward(de, (ids, (3, 2)))
    with pytest.raises(AssertionError, match="overwritten instead of accumulated"):
        check_array(
            "dW",
            wrong,
            right,
            mistakes=lm_mistakes.embedding_backward_mistakes(de, ids, 3),
        )


def test_loss_without_the_mask_is_named():
    rng = np.random.default_rng(1)
    logits, targets = rng.standard_normal((2, 4, 3)), rng.integers(0, 3, (2, 4))
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0.0]])
    unmasked, _ = rnnlib.softmax_cross_entropy(logits, targets)
    right, dright = rnnlib.softmax_cross_entropy(logits, targets, mask)
    mistakes = lm_mistakes.temporal_loss_mistakes(logits, targets, mask)
    with pytest.raises(AssertionError, match="mask left out"):
        check_scalar("loss", unmasked, right, mistakes=mistakes["loss"])
    _, dunmasked = rnnlib.softmax_cross_entropy(logits, targets)
    with pytest.raises(AssertionError, match="not to dlogits"):
        check_array("dlogits", dunmasked, dright, mistakes=mistakes["dlogits"])


def test_gru_gates_swapped_is_named():
    args = random_gru(seed=5)
    x_t, h_prev, W_x, W_h, b_x, b_h = args
    H = 5
    swap = np.r_[H : 2 * H, 0:H, 2 * H : 3 * H]  # r and z blocks exchanged
    wrong, _ = models.gru_step_reference(
        x_t, h_prev, W_x[swap], W_h[swap], b_x[swap], b_h[swap]
    )
    with pytest.raises(AssertionError, match="r and z swapped"):
        check_array(
            "h_next",
            wrong,
            models.gru_step_reference(*args)[0],
            mistakes=models.gru_step_mistakes(*args),
        )


def test_clipping_per_parameter_is_named():
    sequences = [np.array([0, 3, 1, 4, 0]), np.array([0, 2, 0]), np.array([0, 5, 5, 0])]

    def make_model():
        return LanguageModel(6, 3, 4, seed=0)

    def make_optimizer(params):
        return rnnlib.SGD(params, lr=0.5)

    right, wrong = make_model(), make_model()
    models.train_epoch_reference(
        right, sequences, 2, make_optimizer(right.params), 0.3, np.random.default_rng(0)
    )
    models.train_epoch_reference(
        wrong, sequences, 2, make_optimizer(wrong.params), 0.3,
        np.random.default_rng(0), clipping="per_parameter",
    )  # fmt: skip
    variants = models.train_epoch_variants(
        make_model, make_optimizer, sequences, 2, 0.3, 0
    )
    with pytest.raises(AssertionError, match="clipping per parameter"):
        check_array(
            "output.W",
            wrong.params["output.W"],
            right.params["output.W"],
            mistakes={m: v[0]["output.W"] for m, v in variants.items()},
        )


def test_state_not_carried_in_sampling_is_named():
    rng = np.random.default_rng(0)
    params = {
        "W_emb": rng.standard_normal((6, 3)),
        "W_hx": rng.standard_normal((5, 3)) / np.sqrt(3),
        "W_hh": 1.5 * rng.standard_normal((5, 5)) / np.sqrt(5),
        "b_h": 0.2 * rng.standard_normal(5),
        "W_yh": 2 * rng.standard_normal((6, 5)) / np.sqrt(5),
        "b_y": 0.3 * rng.standard_normal(6) + np.r_[1.0, 0, 0, 0, 0, 0],
    }
    right = models.sample_names_reference(params, 6, 1.0, np.random.default_rng(0), 10)
    wrong = models.sample_names_reference(
        params, 6, 1.0, np.random.default_rng(0), 10, False
    )
    assert right != wrong
    assert all(row[-1] == 0 or len(row) == 10 for row in right)
    with pytest.raises(AssertionError, match="not carried to the next step"):
        check_token_lists(
            "names",
            wrong,
            right,
            mistakes=models.sample_names_mistakes(params, 6, 1.0, 0, 10),
        )
    assert "state_not_carried" in MISTAKES


# -------------------------------------------------------------- the helpers


def test_check_not_using_finds_a_call_to_the_reference():
    def cheat(*args):
        return models.gru_step_reference(*args)

    def honest(x):
        return np.tanh(x)

    with pytest.raises(AssertionError, match="gru_step_reference"):
        lm.check_not_using(cheat, ["gru_step_reference"])
    assert lm.check_not_using(honest, ["gru_step_reference"])
