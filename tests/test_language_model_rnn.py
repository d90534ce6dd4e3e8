"""The language model with a stack of RNN layers (rnnlib/language_model.py):
gradients, training, sampling, and the sampling helper (rnnlib/sampling.py)."""

import numpy as np
import pytest
from gradients import assert_model_gradients_match

from rnnlib import Adam, numerical_gradient, softmax_cross_entropy
from rnnlib.datasets.padding import pad_sequences
from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error
from rnnlib.language_model import LanguageModel
from rnnlib.sampling import sample_from_logits
from rnnlib.train import train_language_model

V, E, H = 7, 3, 5
# The loss sums cross-entropies over steps (about 10 here), so central
# differences at h = 1e-5 keep both rounding and truncation error near 1e-9.


def small_model(num_layers=1, seed=0):
    return LanguageModel(V, E, H, num_layers=num_layers, seed=seed)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_generator_backward_matches_numerical_gradient(rng, num_layers):
    gen = small_model(num_layers)
    ids = rng.integers(0, V, size=(3, 6))
    mask = np.ones(ids.shape)
    mask[1, 4:] = 0  # a padded sequence

    gen.loss(ids, mask)

    def loss():
        logits, _ = gen.forward(ids[:, :-1])
        return softmax_cross_entropy(logits, ids[:, 1:], mask[:, 1:])[0]

    assert_model_gradients_match(gen, loss)


def test_generator_dh0_matches_numerical_gradient(rng):
    gen = small_model(num_layers=2)
    ids = rng.integers(0, V, size=(2, 4))
    h0 = rng.standard_normal((2, 2, H)) * 0.5
    dlogits = rng.standard_normal((2, 4, V))
    dh_n = rng.standard_normal((2, 2, H))

    def loss(h):
        logits, h_n = gen.forward(ids, h)
        return np.sum(dlogits * logits) + np.sum(dh_n * h_n)

    gen.forward(ids, h0)
    dh0 = gen.backward(dlogits, dh_n)
    err = gradient_error(dh0, numerical_gradient(loss, h0))
    assert err < GRADIENT_TOLERANCE, f"dh0: gradient error {err:.2e}"


def test_generator_forward_shapes_and_param_keys(rng):
    gen = small_model(num_layers=2)
    logits, h_n = gen.forward(rng.integers(0, V, size=(4, 9)))
    assert logits.shape == (4, 9, V)
    assert h_n.shape == (2, 4, H)
    assert (
        set(gen.params)
        == set(gen.grads)
        == {
            "embedding.W",
            "rnn.W_hx_l0",
            "rnn.W_hh_l0",
            "rnn.b_h_l0",
            "rnn.W_hx_l1",
            "rnn.W_hh_l1",
            "rnn.b_h_l1",
            "output.W",
            "output.b",
        }
    )
    assert gen.params["output.W"].shape == (V, H)


def test_generator_params_can_be_reassigned(rng):
    gen = small_model()
    ids = rng.integers(0, V, size=(2, 3))
    gen.params["output.b"][:] = np.full(V, 100.0) * (np.arange(V) == 4)
    logits, _ = gen.forward(ids)
    assert (logits.argmax(axis=-1) == 4).all()


def test_generator_mask_drops_padded_steps(rng):
    gen = small_model()
    a, b = rng.integers(0, V, size=6), rng.integers(0, V, size=4)
    ids, mask = pad_sequences([a, b])
    both = gen.loss(ids, mask)[0] * 2
    alone = gen.loss(a[None])[0] + gen.loss(b[None])[0]
    assert abs(both - alone) < 1e-12


def test_generator_rejects_bad_token_ids():
    gen = small_model()
    with pytest.raises(
        ValueError, match=r"ids must lie in \[0, V\) with V = vocab_size = 7"
    ):
        gen.forward(np.array([[0, 7]]))
    with pytest.raises(TypeError, match="ids must hold integer token ids"):
        gen.forward(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"ids must have shape \(B, T\)"):
        gen.forward(np.array([1, 2, 3]))


def test_generator_training_loss_falls_and_learns_a_cycle():
    cycle = np.array([0, 1, 2, 3, 4, 5, 6] * 4)
    gen = LanguageModel(V, 8, 16, seed=0)
    history = train_language_model(
        gen, [cycle] * 8, epochs=30, batch_size=8, lr=0.05, progress=False
    )
    assert history[-1] < 0.1 * history[0], history
    sample = gen.sample(0, 13, temperature=0)
    assert sample.tolist() == [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6]


def test_generator_sample_returns_prompt_then_new_tokens():
    gen = small_model()
    out = gen.sample([3, 1], length=5, seed=0)
    assert out.shape == (7,) and out[:2].tolist() == [3, 1]
    batch = gen.sample(np.array([[3], [4]]), length=5, seed=0)
    assert batch.shape == (2, 6) and batch[:, 0].tolist() == [3, 4]
    assert ((batch >= 0) & (batch < V)).all()


def test_generator_sample_is_seeded():
    gen = small_model()
    a = gen.sample(2, 20, temperature=1.5, seed=1)
    assert np.array_equal(a, gen.sample(2, 20, temperature=1.5, seed=1))
    assert not np.array_equal(a, gen.sample(2, 20, temperature=1.5, seed=2))


def test_generator_sample_matches_teacher_forced_argmax(rng):
    """Greedy sampling step by step agrees with a forward pass over its own output."""
    gen = small_model(num_layers=2)
    out = gen.sample([1, 2], 6, temperature=0)
    logits, _ = gen.forward(out[None, :-1])
    assert np.array_equal(logits[0, 1:].argmax(axis=-1), out[2:])


def test_generator_sample_rejects_bad_temperature():
    with pytest.raises(ValueError, match="temperature must be a finite number >= 0"):
        small_model().sample(0, 3, temperature=-1)


def test_sample_from_logits_follows_the_softmax():
    rng = np.random.default_rng(0)
    logits = np.log(np.array([[0.1, 0.2, 0.7]])).repeat(20000, axis=0)
    freq = np.bincount(sample_from_logits(logits, 1.0, rng), minlength=3) / 20000
    assert np.abs(freq - [0.1, 0.2, 0.7]).max() < 0.015
    # temperature 0.5 squares the probabilities (then renormalises)
    sharp = np.bincount(sample_from_logits(logits, 0.5, rng), minlength=3) / 20000
    expected = np.array([0.01, 0.04, 0.49]) / 0.54
    assert np.abs(sharp - expected).max() < 0.015


def test_generator_trains_with_adam_in_place():
    gen = small_model()
    before = {k: v.copy() for k, v in gen.params.items()}
    gen.loss(np.array([[1, 2, 3, 4]]))
    Adam(gen.params, lr=0.1).step(gen.grads)
    assert all(not np.array_equal(before[k], gen.params[k]) for k in before)
    assert gen.params["rnn.W_hh_l0"] is gen.rnn.params["W_hh_l0"]


def test_generator_trains_with_the_shared_fit_helper():
    from rnnlib import fit

    ids = np.tile(np.arange(V), (6, 3))
    gen = small_model()
    losses = fit(
        gen, (ids, np.ones(ids.shape)), epochs=30, batch_size=6, lr=0.05, progress=False
    )
    assert losses[-1] < 0.5 * losses[0]
