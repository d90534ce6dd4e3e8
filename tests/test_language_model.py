"""The language model with each cell (rnnlib/language_model.py) and the
embedding layer it reads with."""

import numpy as np
import pytest
from gradients import assert_model_gradients_match

from rnnlib import embedding_backward, embedding_forward, softmax_cross_entropy
from rnnlib.datasets.padding import pad_sequences
from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error, numerical_gradient
from rnnlib.language_model import LanguageModel

V, E, H = 6, 3, 4
CELLS = ["rnn", "lstm", "gru"]


# ----------------------------------------------------------------- embedding


def test_embedding_backward_accumulates_repeated_ids():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((5, 3))
    ids = np.array([[1, 3, 1], [1, 0, 3]])  # id 1 three times, id 3 twice
    de = rng.standard_normal((2, 3, 3))
    _, cache = embedding_forward(ids, W)
    dW = embedding_backward(de, cache)
    numeric = numerical_gradient(lambda w: np.sum(de * embedding_forward(ids, w)[0]), W)
    assert gradient_error(dW, numeric) < GRADIENT_TOLERANCE
    np.testing.assert_allclose(dW[1], de[0, 0] + de[0, 2] + de[1, 0], atol=1e-12)
    np.testing.assert_array_equal(dW[[2, 4]], 0.0)  # ids never read


# --------------------------------------------------------- the neural model


def padded_batch(rng):
    ids, mask = pad_sequences([rng.integers(0, V, n) for n in (6, 4, 3)])
    return ids, mask


@pytest.mark.parametrize("cell", CELLS)
def test_loss_grads_match_numerical_gradients(cell):
    rng = np.random.default_rng(1)
    model = LanguageModel(V, E, H, cell=cell, seed=0)
    ids, mask = padded_batch(rng)
    model.loss(ids, mask)

    def loss():
        logits, _ = model.forward(ids[:, :-1])
        return softmax_cross_entropy(logits, ids[:, 1:], mask[:, 1:])[0]

    assert_model_gradients_match(model, loss, label=f"{cell} ")


@pytest.mark.parametrize("cell", CELLS)
def test_padding_does_not_change_the_loss(cell):
    rng = np.random.default_rng(2)
    model = LanguageModel(V, E, H, cell=cell, seed=0)
    seqs = [rng.integers(0, V, n) for n in (6, 4, 3)]
    ids, mask = pad_sequences(seqs)
    batched, _ = model.loss(ids, mask)
    alone = [model.loss(s[None, :])[0] for s in seqs]
    assert batched == pytest.approx(np.mean(alone), rel=1e-12)


def test_cross_entropy_counts_only_predicted_tokens():
    rng = np.random.default_rng(3)
    model = LanguageModel(V, E, H, cell="rnn", seed=0)
    seqs = [rng.integers(0, V, n) for n in (6, 4, 3)]
    total = sum(model.loss(s[None, :])[0] for s in seqs)
    assert model.cross_entropy(seqs, batch_size=2) == pytest.approx(
        total / (5 + 3 + 2), rel=1e-12
    )


def test_rnn_language_model_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    model = LanguageModel(V, E, H, cell="rnn", seed=0)
    ids = rng.integers(0, V, (2, 5))
    logits, _ = model.forward(ids)
    p = {k: torch.tensor(v) for k, v in model.params.items()}
    with torch.no_grad():
        x = p["embedding.W"][torch.tensor(ids)]
        rnn = torch.nn.RNN(E, H, batch_first=True).double()
        rnn.weight_ih_l0.copy_(p["rnn.W_hx_l0"])
        rnn.weight_hh_l0.copy_(p["rnn.W_hh_l0"])
        rnn.bias_ih_l0.copy_(p["rnn.b_h_l0"])
        rnn.bias_hh_l0.zero_()
        h, _ = rnn(x)
        expected = h @ p["output.W"].T + p["output.b"]
    np.testing.assert_allclose(logits, expected.numpy(), atol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_greedy_sample_follows_the_argmax_of_the_forward_pass(cell):
    model = LanguageModel(V, E, H, cell=cell, seed=5)
    name = model.sample(0, 8, temperature=0, stop=0)
    assert name[0] == 0
    # each drawn token is the argmax after reading all tokens before it
    logits, _ = model.forward(name[None, :-1])
    np.testing.assert_array_equal(name[1:], logits[0].argmax(axis=1))


def test_samples_stop_at_the_boundary_and_repeat_per_seed():
    model = LanguageModel(V, E, H, cell="lstm", seed=6)
    a = model.sample([[0]] * 30, 12, temperature=1.0, seed=7, stop=0)
    b = model.sample([[0]] * 30, 12, temperature=1.0, seed=7, stop=0)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert all(0 not in s[1:-1] and len(s) <= 13 for s in a)
    assert sum(s[-1] == 0 for s in a) >= 1


def test_first_sampled_token_follows_the_softmax():
    model = LanguageModel(V, E, H, cell="rnn", seed=8)
    logits, _ = model.forward(np.zeros((1, 1), dtype=np.int64))
    p = np.exp(logits[0, 0] - logits[0, 0].max())
    p /= p.sum()
    first = model.sample([[0]] * 4000, 1, seed=9)[:, 1]
    freq = np.bincount(first, minlength=V) / len(first)
    # 4000 draws: standard error below 0.008 per class; 0.04 is 5 of them
    np.testing.assert_allclose(freq, p, atol=0.04)


def test_language_model_refuses_bad_input():
    model = LanguageModel(V, E, H, seed=0)
    with pytest.raises(ValueError, match="cell must be one of"):
        LanguageModel(V, E, H, cell="transformer")
    with pytest.raises(ValueError, match="at least 2 time steps"):
        model.loss(np.zeros((2, 1), dtype=np.int64))
    with pytest.raises(ValueError, match=r"mask must have shape \(B, T\) = \(2, 3\)"):
        model.loss(np.zeros((2, 3), dtype=np.int64), np.ones((2, 4)))
    with pytest.raises(TypeError, match="integer token ids"):
        model.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="temperature must be"):
        model.sample(0, 2, temperature=-1)


# ---------------------------------------------------------------- figures


def test_model_comparison_draws_one_labelled_bar_per_model():
    from rnnlib.viz import plot_model_comparison

    fig = plot_model_comparison({"bigram": 2.36, "trigram": 2.12, "LSTM": 1.97})
    ax = fig.axes[0]
    assert [p.get_height() for p in ax.patches] == [2.36, 2.12, 1.97]
    assert [t.get_text() for t in ax.texts] == ["2.36", "2.12", "1.97"]


def test_unit_over_text_colours_each_character_by_its_value():
    from rnnlib.viz import plot_unit_over_text

    values = np.array([-1.0, 0.0, 0.5, 1.0])
    fig = plot_unit_over_text(".ann", values, unit=3)
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array()[0], values)
    assert [t.get_text() for t in ax.texts] == [".", "a", "n", "n"]
    assert ax.get_title() == "hidden unit 3"
    with pytest.raises(ValueError, match=r"values must have shape \(len\(text\),\)"):
        plot_unit_over_text(".ann", values[:3])
