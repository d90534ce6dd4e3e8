"""rnnlib.frameworks and the GRU: weights copied to torch.nn.GRU / GRUCell and
to a Keras GRU (reset_after=True), and back, give the same outputs."""

import itertools

import numpy as np
import pytest

from rnnlib import GRU, frameworks, gru_step_forward
from rnnlib.frameworks import tf1_weights

B, T, D, H = 3, 7, 5, 4


def make_gru(num_layers=1, bidirectional=False, seed=1, dtype=np.float64):
    """A GRU with distinct non-zero biases, so that a lost, swapped or added
    bias (b_x and b_h are not interchangeable) changes the outputs."""
    gru = GRU(D, H, num_layers, bidirectional, seed=seed, dtype=dtype)
    for key, value in gru.params.items():
        if key.startswith("b_x"):
            value[:] = np.linspace(-1, 1, 3 * H)
        elif key.startswith("b_h"):
            value[:] = np.linspace(0.8, -0.6, 3 * H) ** 2
    return gru


def max_difference(ours, theirs):
    (out_a, h_n_a), (out_b, h_n_b) = ours, theirs
    return max(np.abs(out_a - out_b).max(), np.abs(h_n_a - h_n_b).max())


# ---------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------

CONFIGS = list(itertools.product([1, 2], [False, True]))


@pytest.mark.parametrize("num_layers, bidirectional", CONFIGS)
def test_to_torch_gru_gives_the_same_outputs(num_layers, bidirectional, rng):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    gru = make_gru(num_layers, bidirectional)
    module = frameworks.to_torch(gru)
    assert isinstance(module, torch.nn.GRU) and module.batch_first
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((num_layers * (1 + bidirectional), B, H))
    ours, theirs = gru.forward(x, h0), frameworks.torch_forward(module, x, h0)
    assert max_difference(ours, theirs) < 1e-12


def test_to_torch_keeps_the_two_gru_biases_apart():
    pytest.importorskip("torch", reason="PyTorch is not installed")
    gru = make_gru()
    module = frameworks.to_torch(gru)
    np.testing.assert_array_equal(
        module.bias_ih_l0.detach().numpy(), gru.params["b_x_l0"]
    )
    np.testing.assert_array_equal(
        module.bias_hh_l0.detach().numpy(), gru.params["b_h_l0"]
    )


@pytest.mark.parametrize("num_layers, bidirectional", CONFIGS)
def test_from_torch_gru_gives_the_same_outputs(num_layers, bidirectional, rng):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    torch.manual_seed(0)
    module = torch.nn.GRU(
        D, H, num_layers, bidirectional=bidirectional, batch_first=True
    ).double()
    gru = frameworks.from_torch(module)
    assert type(gru) is GRU
    assert (gru.num_layers, gru.bidirectional) == (num_layers, bidirectional)
    x = rng.standard_normal((B, T, D))
    assert max_difference(gru.forward(x), frameworks.torch_forward(module, x)) < 1e-12


def test_from_torch_gru_without_bias_has_zero_biases(rng):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    torch.manual_seed(0)
    module = torch.nn.GRU(D, H, bias=False, batch_first=True).double()
    gru = frameworks.from_torch(module)
    assert not gru.params["b_x_l0"].any() and not gru.params["b_h_l0"].any()
    x = rng.standard_normal((B, T, D))
    assert max_difference(gru.forward(x), frameworks.torch_forward(module, x)) < 1e-12


def test_torch_round_trip_keeps_every_gru_parameter():
    pytest.importorskip("torch", reason="PyTorch is not installed")
    gru = make_gru(2, True)
    back = frameworks.from_torch(frameworks.to_torch(gru))
    assert back.params.keys() == gru.params.keys()
    for key, value in gru.params.items():
        np.testing.assert_array_equal(back.params[key], value)


def test_to_torch_gru_keeps_float32(rng):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    gru = make_gru(dtype=np.float32)
    module = frameworks.to_torch(gru)
    assert module.weight_hh_l0.dtype == torch.float32
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    out, _ = frameworks.torch_forward(module, x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, gru.forward(x)[0], atol=1e-5)


def test_to_torch_cell_computes_one_gru_step(rng):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    gru = make_gru()
    cell = frameworks.to_torch_cell(gru)
    assert isinstance(cell, torch.nn.GRUCell)
    x_t, h = rng.standard_normal((B, D)), rng.standard_normal((B, H))
    with torch.no_grad():
        h_torch = cell(torch.tensor(x_t), torch.tensor(h)).numpy()
    h_ours, _ = gru_step_forward(x_t, h, *gru.params.values())
    assert np.abs(h_torch - h_ours).max() < 1e-13


def test_from_torch_names_the_accepted_modules():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    with pytest.raises(TypeError, match=r"nn.RNN, nn.LSTM or nn.GRU; got Linear"):
        frameworks.from_torch(torch.nn.Linear(D, H))


def test_tf1_weights_refuse_the_gru():
    with pytest.raises(TypeError, match="reset gate before the recurrent product"):
        tf1_weights(make_gru())


# ---------------------------------------------------------------------------
# Keras 3 (skipped when it is not installed)
# ---------------------------------------------------------------------------


@pytest.fixture
def keras():
    """Keras imported as rnnlib.frameworks imports it (the PyTorch backend
    when TensorFlow is missing), as in tests/test_frameworks.py."""
    if not frameworks.available("keras"):
        pytest.skip("Keras is not installed: pip install keras")
    return frameworks._import_keras()


def test_to_keras_gru_has_keras_layout(keras):
    gru = make_gru()
    k = frameworks.to_keras(gru)
    assert isinstance(k, keras.layers.GRU) and k.reset_after
    kernel, recurrent, bias = k.get_weights()
    assert (kernel.shape, recurrent.shape, bias.shape) == (
        (D, 3 * H),
        (H, 3 * H),
        (2, 3 * H),
    )
    # Keras's first block is the update gate z, rnnlib's second
    np.testing.assert_array_equal(kernel[:, :H], gru.params["W_x_l0"][H : 2 * H].T)
    np.testing.assert_array_equal(bias[1, H : 2 * H], gru.params["b_h_l0"][:H])


def test_to_keras_gru_gives_the_same_outputs(keras, rng):
    gru = make_gru()
    k = frameworks.to_keras(gru)
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((1, B, H))
    # without a mask Keras 3 runs torch's own GRU kernel in float64, as for
    # its LSTM (see tests/test_frameworks.py)
    ours, theirs = gru.forward(x, h0), frameworks.keras_forward(k, x, h0)
    assert max_difference(ours, theirs) < 1e-10
    # and not by accident: without the state the outputs differ
    assert max_difference(gru.forward(x), theirs) > 1e-3


def test_keras_mask_equals_rnnlib_mask_for_the_gru(keras, rng):
    """Both carry the state over padding: same real outputs, same final state."""
    gru = make_gru()
    x = rng.standard_normal((B, T, D))
    mask = (np.arange(T) < np.array([T, 2, 1])[:, None]).astype(float)
    out, h_n = gru.forward(x, mask=mask)
    k_out, k_h_n = frameworks.keras_forward(frameworks.to_keras(gru), x, mask=mask)
    real = mask == 1
    # with a mask Keras runs its own step loop, in float32 matrix products
    assert np.abs(out[real] - k_out[real]).max() < 1e-6
    assert np.abs(h_n - k_h_n).max() < 1e-6


def test_from_keras_gru_gives_the_same_outputs(keras, rng):
    k = keras.layers.GRU(
        H,
        return_sequences=True,
        return_state=True,
        bias_initializer="random_normal",
        dtype="float64",
    )
    k.build((None, None, D))
    gru = frameworks.from_keras(k)
    assert type(gru) is GRU
    x = rng.standard_normal((B, T, D))
    assert max_difference(gru.forward(x), frameworks.keras_forward(k, x)) < 1e-10


def test_keras_round_trip_keeps_every_gru_parameter(keras):
    gru = make_gru()
    back = frameworks.from_keras(frameworks.to_keras(gru))
    for key, value in gru.params.items():
        np.testing.assert_array_equal(back.params[key], value)


def test_from_keras_refuses_a_gru_with_reset_before(keras):
    k = keras.layers.GRU(H, reset_after=False)
    k.build((None, None, D))
    with pytest.raises(ValueError, match="reset_after=True"):
        frameworks.from_keras(k)


def test_to_keras_needs_one_gru_layer_one_direction():
    with pytest.raises(ValueError, match="one layer and one direction"):
        frameworks.to_keras(make_gru(bidirectional=True))
