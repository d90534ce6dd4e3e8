"""rnnlib.frameworks: weights copied to PyTorch / Keras and back give the same
outputs; missing frameworks give an ImportError that says how to install."""

import builtins
import itertools

import numpy as np
import pytest

from rnnlib import LSTM, RNN, frameworks, lstm_step_forward, rnn_step_forward
from rnnlib.frameworks import tf1_weights

B, T, D, H = 3, 7, 5, 4


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ---------------------------------------------------------------------------
# Without any framework
# ---------------------------------------------------------------------------


def test_available_answers_for_torch_and_keras_only():
    assert isinstance(frameworks.available("torch"), bool)
    with pytest.raises(ValueError, match="torch"):
        frameworks.available("jax")


@pytest.fixture
def hide(monkeypatch):
    """hide(name): make `import name` fail, as if it were not installed."""
    real_import = builtins.__import__

    def hide_module(name):
        def fake_import(module, *args, **kwargs):
            if module == name or module.startswith(name + "."):
                raise ImportError(f"No module named {module!r}")
            return real_import(module, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", fake_import)
        monkeypatch.setattr(
            frameworks.importlib,
            "import_module",
            lambda module: fake_import(module),
        )

    return hide_module


def test_missing_torch_raises_import_error_with_install_hint(hide):
    hide("torch")
    with pytest.raises(ImportError, match="pip install torch"):
        frameworks.to_torch(RNN(D, H, seed=0))


def test_missing_keras_raises_import_error_with_install_hint(hide):
    hide("keras")
    with pytest.raises(ImportError, match="pip install keras"):
        frameworks.to_keras(RNN(D, H, seed=0))


def test_tf1_rnn_kernel_stacks_the_transposed_weights(rng):
    rnn = RNN(D, H, seed=1)
    kernel, bias = tf1_weights(rnn)
    assert kernel.shape == (D + H, H)
    x, h = rng.standard_normal((B, D)), rng.standard_normal((B, H))
    tf1_step = np.tanh(np.concatenate([x, h], axis=1) @ kernel + bias)
    expected, _ = rnn_step_forward(x, h, *rnn.params.values())
    np.testing.assert_allclose(tf1_step, expected, atol=1e-13)


def test_tf1_lstm_kernel_uses_gate_order_i_j_f_o_and_runtime_forget_bias(rng):
    lstm = LSTM(D, H, seed=1)
    lstm.params["b_l0"][:] = rng.standard_normal(4 * H)
    kernel, bias = tf1_weights(lstm, forget_bias=1.0)
    assert kernel.shape == (D + H, 4 * H)
    x = rng.standard_normal((B, 1, D))
    z = np.concatenate([x[:, 0], np.zeros((B, H))], axis=1) @ kernel + bias
    i, j, f, o = np.split(z, 4, axis=1)
    c = _sigmoid(i) * np.tanh(j)  # c_prev = 0, so sigmoid(f + 1) drops out
    h_tf1 = _sigmoid(o) * np.tanh(c)
    out, _ = lstm.forward(x)
    np.testing.assert_allclose(h_tf1, out[:, 0], atol=1e-13)
    # the stored bias of f is rnnlib's minus the forget_bias TF1 adds back
    np.testing.assert_allclose(
        bias[2 * H : 3 * H], lstm.params["b_l0"][H : 2 * H] - 1.0
    )


def test_tf1_weights_need_one_layer_one_direction():
    with pytest.raises(ValueError, match="one layer"):
        tf1_weights(RNN(D, H, num_layers=2, seed=0))


def test_to_torch_rejects_other_objects():
    with pytest.raises(TypeError, match="RNN or LSTM"):
        frameworks.to_torch(object())


# ---------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------

CONFIGS = list(
    itertools.product(["rnn-tanh", "rnn-relu", "lstm"], [1, 2], [False, True])
)


def make_layer(kind, num_layers, bidirectional, seed=1):
    if kind == "lstm":
        layer = LSTM(D, H, num_layers, bidirectional, seed=seed)
        for key in layer.params:  # non-zero biases, so a lost bias shows
            if key.startswith("b_"):
                layer.params[key][:] = np.linspace(-1, 1, 4 * H)
        return layer
    layer = RNN(D, H, num_layers, bidirectional, activation=kind[4:], seed=seed)
    for key in layer.params:
        if key.startswith("b_"):
            layer.params[key][:] = np.linspace(-0.5, 0.5, H)
    return layer


def assert_same_outputs(ours, theirs, atol=1e-12):
    out_a, final_a = ours
    out_b, final_b = theirs
    np.testing.assert_allclose(out_a, out_b, atol=atol)
    for a, b in zip(np.atleast_1d(final_a), np.atleast_1d(final_b), strict=True):
        np.testing.assert_allclose(a, b, atol=atol)


@pytest.mark.parametrize("kind, num_layers, bidirectional", CONFIGS)
def test_to_torch_gives_the_same_outputs(kind, num_layers, bidirectional, rng):
    pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch")
    layer = make_layer(kind, num_layers, bidirectional)
    module = frameworks.to_torch(layer)
    x = rng.standard_normal((B, T, D))
    dirs = 2 if bidirectional else 1
    h0 = rng.standard_normal((num_layers * dirs, B, H))
    state = (h0, 0.5 * h0) if kind == "lstm" else h0
    assert module.batch_first
    assert_same_outputs(
        layer.forward(x, state), frameworks.torch_forward(module, x, state)
    )


@pytest.mark.parametrize("kind, num_layers, bidirectional", CONFIGS)
def test_from_torch_adds_the_two_biases(kind, num_layers, bidirectional, rng):
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed: pip install torch"
    )
    torch.manual_seed(0)
    cls = torch.nn.LSTM if kind == "lstm" else torch.nn.RNN
    extra = {} if kind == "lstm" else {"nonlinearity": kind[4:]}
    module = cls(
        D, H, num_layers, bidirectional=bidirectional, batch_first=True, **extra
    ).double()
    layer = frameworks.from_torch(module)
    assert type(layer) is (LSTM if kind == "lstm" else RNN)
    np.testing.assert_allclose(
        next(v for k, v in layer.params.items() if k.startswith("b")),
        (module.bias_ih_l0 + module.bias_hh_l0).detach().numpy(),
    )
    x = rng.standard_normal((B, T, D))
    assert_same_outputs(layer.forward(x), frameworks.torch_forward(module, x))


def test_torch_round_trip_keeps_every_parameter():
    pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch")
    layer = make_layer("lstm", 2, True)
    back = frameworks.from_torch(frameworks.to_torch(layer))
    assert back.params.keys() == layer.params.keys()
    for key, value in layer.params.items():
        np.testing.assert_array_equal(back.params[key], value)


def test_torch_forward_handles_a_time_major_module(rng):
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed: pip install torch"
    )
    torch.manual_seed(1)
    module = torch.nn.LSTM(D, H, batch_first=False).double()
    layer = frameworks.from_torch(module)
    x = rng.standard_normal((B, T, D))
    assert_same_outputs(layer.forward(x), frameworks.torch_forward(module, x))


def test_to_torch_keeps_float32(rng):
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed: pip install torch"
    )
    layer = RNN(D, H, seed=0, dtype=np.float32)
    module = frameworks.to_torch(layer)
    assert module.weight_hh_l0.dtype == torch.float32
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    out, _ = frameworks.torch_forward(module, x)
    np.testing.assert_allclose(out, layer.forward(x)[0], atol=1e-5)


def test_lstm_gradients_match_torch_autograd(rng):
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed: pip install torch"
    )
    layer = make_layer("lstm", 1, False)
    module = frameworks.to_torch(layer)
    x = rng.standard_normal((B, T, D))
    dout = rng.standard_normal((B, T, H))
    layer.forward(x)
    dx, _ = layer.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    out, _ = module(xt)
    (out * torch.tensor(dout)).sum().backward()
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(
        layer.grads["W_x_l0"], module.weight_ih_l0.grad.numpy(), atol=1e-12
    )
    np.testing.assert_allclose(
        layer.grads["W_h_l0"], module.weight_hh_l0.grad.numpy(), atol=1e-12
    )
    np.testing.assert_allclose(
        layer.grads["b_l0"], module.bias_ih_l0.grad.numpy(), atol=1e-12
    )


@pytest.mark.parametrize("kind", ["rnn-tanh", "rnn-relu", "lstm"])
def test_to_torch_cell_computes_one_step(kind, rng):
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed: pip install torch"
    )
    layer = make_layer(kind, 1, False)
    cell = frameworks.to_torch_cell(layer)
    x_t, h = rng.standard_normal((B, D)), rng.standard_normal((B, H))
    weights = list(layer.params.values())
    with torch.no_grad():
        if kind == "lstm":
            c = rng.standard_normal((B, H))
            h_t, c_t = cell(torch.tensor(x_t), (torch.tensor(h), torch.tensor(c)))
            h_ref, c_ref, _ = lstm_step_forward(x_t, h, c, *weights)
            np.testing.assert_allclose(c_t.numpy(), c_ref, atol=1e-13)
        else:
            h_t = cell(torch.tensor(x_t), torch.tensor(h))
            h_ref, _ = rnn_step_forward(x_t, h, *weights, activation=layer.activation)
    np.testing.assert_allclose(h_t.numpy(), h_ref, atol=1e-13)


def test_torch_forward_fills_a_missing_half_of_the_lstm_state(rng):
    pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch")
    layer = make_layer("lstm", 1, False)
    module = frameworks.to_torch(layer)
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((1, B, H))
    assert_same_outputs(
        layer.forward(x, (h0, None)), frameworks.torch_forward(module, x, (h0, None))
    )


def test_from_torch_rejects_a_projected_lstm():
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed: pip install torch"
    )
    with pytest.raises(ValueError, match="proj_size"):
        frameworks.from_torch(torch.nn.LSTM(D, H, proj_size=2))


# ---------------------------------------------------------------------------
# Keras 3 (skipped when it is not installed)
# ---------------------------------------------------------------------------


@pytest.fixture
def keras():
    """Keras imported as rnnlib.frameworks imports it (choosing the PyTorch
    backend when TensorFlow is missing).  A plain `import keras` before that
    fails without TensorFlow, so importorskip would skip instead of testing."""
    if not frameworks.available("keras"):
        pytest.skip("Keras is not installed: pip install keras")
    return frameworks._import_keras()


@pytest.mark.parametrize("kind", ["rnn-tanh", "rnn-relu", "lstm"])
def test_to_keras_gives_the_same_outputs(keras, kind, rng):
    layer = make_layer(kind, 1, False)
    k = frameworks.to_keras(layer)
    kernel = k.get_weights()[0]
    assert kernel.shape == ((D, 4 * H) if kind == "lstm" else (D, H))
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((1, B, H))
    state = (h0, 0.5 * h0) if kind == "lstm" else h0
    # Keras 3 promotes float64 matmuls to float32 on the PyTorch backend
    # (its JAX-style dtype rules: result_type("float64", "float64") is
    # "float32"), so SimpleRNN agrees to float32 precision; its LSTM runs
    # torch's own kernel in float64 and agrees to 1e-10.
    atol = 1e-10 if kind == "lstm" else 1e-6
    assert_same_outputs(
        layer.forward(x, state), frameworks.keras_forward(k, x, state), atol=atol
    )


@pytest.mark.parametrize("kind", ["rnn-tanh", "lstm"])
def test_keras_mask_equals_rnnlib_mask(keras, kind, rng):
    """Both carry the state over padding: same real outputs, same final states."""
    layer = make_layer(kind, 1, False)
    x = rng.standard_normal((B, T, D))
    mask = (np.arange(T) < np.array([T, 2, 1])[:B, None]).astype(float)
    (out, final), (k_out, k_final) = (
        layer.forward(x, mask=mask),
        frameworks.keras_forward(frameworks.to_keras(layer), x, mask=mask),
    )
    real = mask == 1
    # with a mask Keras's LSTM, too, runs its own step loop, in float32
    # matmuls (see test_to_keras_gives_the_same_outputs)
    np.testing.assert_allclose(out[real], k_out[real], atol=1e-6)
    for a, b in zip(np.atleast_1d(final), np.atleast_1d(k_final), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("kind", ["rnn-tanh", "lstm"])
def test_keras_round_trip_keeps_every_parameter(keras, kind):
    layer = make_layer(kind, 1, False)
    back = frameworks.from_keras(frameworks.to_keras(layer))
    for key, value in layer.params.items():
        np.testing.assert_allclose(back.params[key], value)


def test_to_keras_needs_one_layer_one_direction():
    with pytest.raises(ValueError, match="one layer"):
        frameworks.to_keras(LSTM(D, H, bidirectional=True, seed=0))
