"""The architecture models: gradients against central differences, masks,
shapes, a short training run, and the `fit` helper."""

import numpy as np
import pytest

from rnnlib import (
    Adam,
    SequenceClassifier,
    SequenceLabeler,
    numerical_gradient,
)
from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error
from rnnlib.models import BagOfWordsClassifier, fit, per_token_means

B, T, D, H, C, V = 3, 5, 4, 3, 3, 7


def float_batch(rng):
    return rng.standard_normal((B, T, D))


def id_batch(rng):
    return rng.integers(0, V, size=(B, T))


MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 0, 0, 0]], dtype=float)


def max_grad_error(model, x, y, mask=None):
    """Largest error between model.loss's grads and central differences."""
    _, grads = model.loss(x, y, mask)
    grads = {k: g.copy() for k, g in grads.items()}
    errors = {}
    for key, p in model.params.items():
        num = numerical_gradient(lambda _: model.loss(x, y, mask)[0], p, h=1e-5)
        errors[key] = gradient_error(grads[key], num)
    return max(errors.values()), errors


CONFIGS = [
    pytest.param({}, id="rnn"),
    pytest.param({"num_layers": 2}, id="rnn-2-layers"),
    pytest.param({"bidirectional": True}, id="birnn"),
    pytest.param({"num_layers": 2, "bidirectional": True}, id="birnn-2-layers"),
    pytest.param(
        {"cell": "lstm", "num_layers": 2, "bidirectional": True}, id="bilstm-2"
    ),
    pytest.param({"cell": "gru", "num_layers": 2, "bidirectional": True}, id="bigru-2"),
    pytest.param({"activation": "relu"}, id="relu"),
]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("use_mask", [False, True], ids=["no-mask", "mask"])
def test_labeler_gradients_match_numerical(rng, config, use_mask):
    model = SequenceLabeler(D, H, C, seed=0, **config)
    x, y = float_batch(rng), rng.integers(0, C, size=(B, T))
    err, errors = max_grad_error(model, x, y, MASK if use_mask else None)
    assert err < GRADIENT_TOLERANCE, errors


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("use_mask", [False, True], ids=["no-mask", "mask"])
def test_classifier_gradients_match_numerical(rng, config, use_mask):
    model = SequenceClassifier(D, H, C, seed=0, **config)
    x, y = float_batch(rng), rng.integers(0, C, size=B)
    err, errors = max_grad_error(model, x, y, MASK if use_mask else None)
    assert err < GRADIENT_TOLERANCE, errors


@pytest.mark.parametrize("model_class", [SequenceLabeler, SequenceClassifier])
def test_two_layer_bidirectional_masked_gradients_match_numerical(rng, model_class):
    model = model_class(D, H, C, num_layers=2, bidirectional=True, seed=0)
    x = float_batch(rng)
    y = rng.integers(0, C, size=(B, T) if model_class is SequenceLabeler else B)
    _, grads = model.loss(x, y, MASK)
    grads = {k: g.copy() for k, g in grads.items()}
    for key, p in model.params.items():
        num = numerical_gradient(lambda _: model.loss(x, y, MASK)[0], p, h=1e-5)
        assert gradient_error(grads[key], num) < GRADIENT_TOLERANCE, key


@pytest.mark.parametrize("model_class", [SequenceLabeler, SequenceClassifier])
def test_embedding_gradients_match_numerical(rng, model_class):
    model = model_class(D, H, C, vocab_size=V, num_layers=2, seed=0)
    y_shape = (B, T) if model_class is SequenceLabeler else (B,)
    err, errors = max_grad_error(
        model, id_batch(rng), rng.integers(0, C, y_shape), MASK
    )
    assert "embed.W" in errors
    assert err < GRADIENT_TOLERANCE, errors


def test_bag_of_words_gradients_match_numerical(rng):
    model = BagOfWordsClassifier(V, C, seed=0)
    err, errors = max_grad_error(model, id_batch(rng), rng.integers(0, C, B), MASK)
    assert err < GRADIENT_TOLERANCE, errors


def test_labeler_shapes_and_keys():
    model = SequenceLabeler(D, H, C, num_layers=2, bidirectional=True, seed=0)
    logits = model.forward(np.zeros((B, T, D)))
    assert logits.shape == (B, T, C)
    assert model.head.params["W"].shape == (C, 2 * H)
    assert {"rnn.W_hx_l1_reverse", "rnn.W_hh_l0", "head.W", "head.b"} <= set(
        model.params
    )
    assert model.params.keys() == model.grads.keys()


def test_params_are_the_layers_own_arrays():
    model = SequenceLabeler(D, H, C, vocab_size=V, seed=0)
    params = model.params
    assert params["rnn.W_hh_l0"] is model.rnn.params["W_hh_l0"]
    assert params["embed.W"] is model.embed.params["W"]
    params["head.b"] += 1.0  # an optimiser's in-place update reaches the layer
    assert np.all(model.head.params["b"] == 1.0)


def test_classifier_summary_is_h_n_of_the_top_layer(rng):
    model = SequenceClassifier(D, H, C, num_layers=2, bidirectional=True, seed=0)
    x = float_batch(rng)
    summary = model.summarize(x)
    _, h_n = model.rnn.forward(x)
    assert np.allclose(summary, np.concatenate([h_n[2], h_n[3]], axis=1))


def test_classifier_ignores_padding_after_the_last_real_step(rng):
    model = SequenceClassifier(D, H, C, seed=0)
    x = float_batch(rng)
    noisy = x + (1 - MASK)[..., None] * rng.standard_normal(x.shape)
    assert np.allclose(model.forward(x, MASK), model.forward(noisy, MASK))
    # each row equals the model run on the unpadded sequence alone
    n = int(MASK[1].sum())
    assert np.allclose(model.forward(x, MASK)[1], model.forward(x[1:2, :n])[0])


def test_labeler_loss_ignores_padded_steps(rng):
    model = SequenceLabeler(D, H, C, seed=0)
    x, y = float_batch(rng), rng.integers(0, C, size=(B, T))
    y2 = np.where(MASK == 1, y, (y + 1) % C)  # change only the padded targets
    assert model.loss(x, y, MASK)[0] == pytest.approx(model.loss(x, y2, MASK)[0])


def test_lstm_cell_is_used(rng):
    model = SequenceLabeler(D, H, C, cell="lstm", seed=0)
    assert model.params["rnn.W_x_l0"].shape == (4 * H, D)


def test_bad_inputs_name_the_argument():
    model = SequenceLabeler(D, H, C, seed=0)
    with pytest.raises(ValueError, match="x must have shape"):
        model.forward(np.zeros((B, T, D + 1)))
    with pytest.raises(ValueError, match="y must have shape"):
        model.loss(np.zeros((B, T, D)), np.zeros((B, T + 1), dtype=int))
    with pytest.raises(ValueError, match="mask must have shape"):
        model.loss(np.zeros((B, T, D)), np.zeros((B, T), dtype=int), np.ones((B, 2)))
    with pytest.raises(
        ValueError, match=r"only 0 \(padding\) and 1 .*got also 0.5, nan"
    ):
        mask = np.ones((B, T))
        mask[0, :2] = 0.5, np.nan
        model.loss(np.zeros((B, T, D)), np.zeros((B, T), dtype=int), mask)
    with pytest.raises(ValueError, match="cell must be one of 'rnn', 'lstm', 'gru'"):
        SequenceLabeler(D, H, C, cell="transformer")
    with pytest.raises(TypeError, match="token ids"):
        SequenceLabeler(D, H, C, vocab_size=V).forward(np.zeros((B, T)))
    with pytest.raises(ValueError, match="right padding"):
        SequenceClassifier(D, H, C).forward(np.zeros((B, T, D)), MASK[:, ::-1])


def test_readout_steps_last_step_is_the_prediction(rng):
    model = SequenceClassifier(D, H, C, seed=0)
    x = float_batch(rng)
    steps = model.readout_steps(x)
    assert steps.shape == (B, T, C)
    assert np.allclose(steps[:, -1], model.predict_proba(x))
    with pytest.raises(ValueError, match="unidirectional"):
        SequenceClassifier(D, H, C, bidirectional=True).readout_steps(x)


def test_labeler_training_lowers_the_loss():
    # the task: tag each step with the sign of the input summed so far
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 8, 1))
    y = (np.cumsum(x[..., 0], axis=1) > 0).astype(int)
    model = SequenceLabeler(1, 8, 2, seed=0)
    history = fit(model, (x, y), epochs=10, batch_size=32, lr=0.02, progress=False)
    assert len(history) == 40
    assert np.mean(history[-4:]) < 0.5 * np.mean(history[:4])
    assert model.accuracy(x, y) > 0.85


def test_classifier_training_lowers_the_loss():
    # the task: is the first token of the sequence a 1?
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(128, 6))
    y = (x[:, 0] == 1).astype(int)
    model = SequenceClassifier(4, 8, 2, vocab_size=3, seed=0)
    history = fit(
        model, (x, y), epochs=10, batch_size=32, lr=0.03, clip=5.0, progress=False
    )
    assert np.mean(history[-4:]) < 0.3 * np.mean(history[:4])
    assert model.accuracy(x, y) > 0.95


def test_fit_accepts_a_list_of_batches_and_an_optimizer(rng):
    model = SequenceClassifier(D, H, C, seed=0)
    batches = [(float_batch(rng), rng.integers(0, C, B), MASK) for _ in range(3)]
    optimizer = Adam(model.params, lr=1e-2)
    before = model.params["rnn.W_hh_l0"].copy()
    history = fit(model, batches, epochs=2, optimizer=optimizer, progress=False)
    assert len(history) == 6
    assert optimizer.t == 6
    assert not np.allclose(before, model.params["rnn.W_hh_l0"])


def test_fit_is_deterministic_with_a_seed():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 4, D)), rng.integers(0, C, (40, 4))
    runs = []
    for _ in range(2):
        model = SequenceLabeler(D, H, C, seed=1)
        runs.append(fit(model, (x, y), epochs=2, batch_size=8, seed=3, progress=False))
    assert runs[0] == runs[1]


def test_fit_with_make_batch_sees_the_same_shuffled_batches_as_arrays():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((21, 4, D)), rng.integers(0, C, (21, 4))
    seen = []

    def make_batch(idx):
        seen.append(len(idx))
        return x[idx], y[idx]

    runs = []
    for kwargs in ({"data": (x, y)}, {"data": list(x), "make_batch": make_batch}):
        model = SequenceLabeler(D, H, C, seed=1)
        runs.append(
            fit(model, epochs=2, batch_size=8, seed=3, progress=False, **kwargs)
        )
    assert runs[0] == runs[1] and len(runs[0]) == 6
    assert seen == [8, 8, 5] * 2  # 21 examples in batches of 8, twice


def test_fit_clips_the_gradient_norm_before_each_step():
    class Steep:  # a "model" whose gradient is always 30 long
        params = {"w": np.zeros(4)}

        def loss(self):
            return 0.0, {"w": np.full(4, 15.0)}

    class Record:
        def step(self, grads):
            self.norm = np.linalg.norm(grads["w"])

    optimizer = Record()
    fit(Steep(), [()], optimizer=optimizer, clip=2.0, progress=False)
    assert optimizer.norm == pytest.approx(2.0, rel=1e-6)
    fit(Steep(), [()], optimizer=optimizer, progress=False)
    assert optimizer.norm == pytest.approx(30.0)


def test_per_token_means_weigh_each_step_by_its_examples_and_tokens():
    losses = [2.0, 4.0, 1.0, 3.0]  # each the mean over its batch's examples
    weights = [(2, 5), (1, 2), (2, 4), (1, 1)]  # (examples, tokens) per step
    means = per_token_means(losses, weights, epochs=2)
    assert means == pytest.approx([(2 * 2 + 4 * 1) / 7, (1 * 2 + 3 * 1) / 5])
    with pytest.raises(ValueError, match="one \\(B, tokens\\) per step"):
        per_token_means(losses, weights[:3], epochs=2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"data": {"x": 1}}, TypeError, "tuple of arrays or a list of batches"),
        ({"data": (np.zeros(3),)}, ValueError, "got 1 arrays"),
        ({"data": (np.zeros(3), np.zeros(2))}, ValueError, "same length"),
        ({"data": [], "batch_size": 0}, ValueError, "batch_size"),
    ],
)
def test_fit_says_what_data_it_expected(kwargs, error, match):
    with pytest.raises(error, match=match):
        fit(SequenceLabeler(D, H, C, seed=0), progress=False, **kwargs)


def test_classifier_passes_forget_bias_to_the_lstm():
    H = 3
    model = SequenceClassifier(2, H, 2, cell="lstm", forget_bias=4.0, seed=0)
    b = model.params["rnn.b_l0"]
    assert (
        np.all(b[H : 2 * H] == 4.0) and np.all(b[:H] == 0) and np.all(b[2 * H :] == 0)
    )


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("model_class", [SequenceLabeler, SequenceClassifier])
def test_bidirectional_model_answers_the_same_padded_or_alone(rng, model_class, cell):
    model = model_class(D, H, C, num_layers=2, bidirectional=True, cell=cell, seed=0)
    x = float_batch(rng)
    x[MASK == 0] = 100.0  # padding values that would swamp the reverse direction
    for b, length in enumerate(MASK.sum(axis=1).astype(int)):
        padded = model.predict_proba(x, MASK)[b]
        alone = model.predict_proba(x[b : b + 1, :length])[0]
        if model_class is SequenceLabeler:
            padded = padded[:length]
        assert np.abs(padded - alone).max() < 1e-12
