"""The references and feedback of exercise 11 (coursekit/checks/language_model.py):
each usual mistake is named, and the references agree with PyTorch and with
numerical gradients."""

import numpy as np
import pytest

import rnnlib
from coursekit.checks import MISTAKES, check_array, check_scalar, check_token_lists
from coursekit.checks import language_model as lm
from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error, numerical_gradient
from rnnlib.language_model import LanguageModel


def random_gru(B=3, D=4, H=5, seed=0):
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((B, D)),
        rng.standard_normal((B, H)),
        rng.standard_normal((3 * H, D)) / np.sqrt(D),
        rng.standard_normal((3 * H, H)) / np.sqrt(H),
        0.5 * rng.standard_normal(3 * H),
        0.5 * rng.standard_normal(3 * H),
    ]


# ---------------------------------------------------------------- references


def test_gru_reference_matches_pytorch_gru_cell():
    torch = pytest.importorskip("torch")
    x_t, h_prev, W_x, W_h, b_x, b_h = random_gru()
    h_next, _ = lm.gru_step_reference(x_t, h_prev, W_x, W_h, b_x, b_h)
    cell = torch.nn.GRUCell(4, 5).double()
    with torch.no_grad():
        for p, v in zip(cell.parameters(), (W_x, W_h, b_x, b_h), strict=True):
            p.copy_(torch.tensor(v))
        expected = cell(torch.tensor(x_t), torch.tensor(h_prev)).numpy()
    np.testing.assert_allclose(h_next, expected, atol=1e-12)


def test_gru_backward_reference_matches_numerical_gradients():
    args = random_gru(seed=1)
    dh = np.random.default_rng(2).standard_normal((3, 5))
    _, cache = lm.gru_step_reference(*args)
    grads = lm.gru_step_backward_reference(dh, cache)

    def loss(_):
        return np.sum(dh * lm.gru_step_reference(*args)[0])

    for value, grad in zip(args, grads, strict=True):
        assert (
            gradient_error(grad, numerical_gradient(loss, value)) < GRADIENT_TOLERANCE
        )


def test_rnnlib_gru_step_agrees_with_the_exercise_reference():
    args = random_gru(seed=3)
    dh = np.random.default_rng(4).standard_normal((3, 5))
    np.testing.assert_allclose(
        lm.gru_expected(*args), lm.gru_step_reference(*args)[0], atol=1e-12
    )
    ref = lm.gru_step_backward_reference(dh, lm.gru_step_reference(*args)[1])
    for got, expected in zip(lm.gru_backward_expected(dh, args), ref, strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-12)


def test_train_epoch_reference_matches_rnnlib_clip_grad_norm_loop():
    sequences = [np.array([0, 3, 1, 4, 0]), np.array([0, 2, 0]), np.array([0, 5, 5, 0])]
    a, b = (LanguageModel(6, 3, 4, seed=0) for _ in range(2))
    lm.train_epoch_reference(
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
            "dW", wrong, right, mistakes=lm.embedding_backward_mistakes(de, ids, 3)
        )


def test_loss_without_the_mask_is_named():
    rng = np.random.default_rng(1)
    logits, targets = rng.standard_normal((2, 4, 3)), rng.integers(0, 3, (2, 4))
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0.0]])
    unmasked, _ = rnnlib.softmax_cross_entropy(logits, targets)
    right, dright = rnnlib.softmax_cross_entropy(logits, targets, mask)
    mistakes = lm.temporal_loss_mistakes(logits, targets, mask)
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
    wrong, _ = lm.gru_step_reference(
        x_t, h_prev, W_x[swap], W_h[swap], b_x[swap], b_h[swap]
    )
    with pytest.raises(AssertionError, match="r and z swapped"):
        check_array(
            "h_next",
            wrong,
            lm.gru_step_reference(*args)[0],
            mistakes=lm.gru_step_mistakes(*args),
        )


def test_gru_backward_without_the_direct_path_is_named():
    args = random_gru(seed=6)
    dh = np.random.default_rng(7).standard_normal((3, 5))
    _, cache = lm.gru_step_reference(*args)
    dx, dh_prev, *_ = lm.gru_step_backward_reference(dh, cache)
    z = cache[5]
    with pytest.raises(AssertionError, match="direct path left out"):
        check_array(
            "dh_prev",
            dh_prev - dh * z,
            dh_prev,
            mistakes=lm.gru_step_backward_mistakes(dh, cache)["dh_prev"],
        )


def test_clipping_per_parameter_is_named():
    sequences = [np.array([0, 3, 1, 4, 0]), np.array([0, 2, 0]), np.array([0, 5, 5, 0])]

    def make_model():
        return LanguageModel(6, 3, 4, seed=0)

    def make_optimizer(params):
        return rnnlib.SGD(params, lr=0.5)

    right, wrong = make_model(), make_model()
    lm.train_epoch_reference(
        right, sequences, 2, make_optimizer(right.params), 0.3, np.random.default_rng(0)
    )
    lm.train_epoch_reference(
        wrong, sequences, 2, make_optimizer(wrong.params), 0.3,
        np.random.default_rng(0), clipping="per_parameter",
    )  # fmt: skip
    variants = lm.train_epoch_variants(make_model, make_optimizer, sequences, 2, 0.3, 0)
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
    right = lm.sample_names_reference(params, 6, 1.0, np.random.default_rng(0), 10)
    wrong = lm.sample_names_reference(
        params, 6, 1.0, np.random.default_rng(0), 10, False
    )
    assert right != wrong
    assert all(row[-1] == 0 or len(row) == 10 for row in right)
    with pytest.raises(AssertionError, match="not carried to the next step"):
        check_token_lists(
            "names",
            wrong,
            right,
            mistakes=lm.sample_names_mistakes(params, 6, 1.0, 0, 10),
        )
    assert "state_not_carried" in MISTAKES


# -------------------------------------------------------------- the helpers


def test_check_not_using_finds_a_call_to_the_reference():
    def cheat(*args):
        return lm.gru_step_reference(*args)

    def honest(x):
        return np.tanh(x)

    with pytest.raises(AssertionError, match="gru_step_reference"):
        lm.check_not_using(cheat, ["gru_step_reference"])
    assert lm.check_not_using(honest, ["gru_step_reference"])
