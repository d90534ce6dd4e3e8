"""rnnlib's RNN equals torch.nn.RNN(batch_first=True) to 1e-10 in float64."""

import itertools

import numpy as np
import pytest

from rnnlib import RNN

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: pip install torch"
)

B, T, D, H = 3, 7, 5, 4


def to_torch_name(key):
    """W_hx_l1_reverse -> weight_ih_l1_reverse; b_h -> bias_ih (bias_hh = 0)."""
    return (
        key.replace("W_hx", "weight_ih")
        .replace("W_hh", "weight_hh")
        .replace("b_h", "bias_ih")
    )


def torch_twin(rnn, activation):
    net = torch.nn.RNN(
        rnn.input_size,
        rnn.hidden_size,
        num_layers=rnn.num_layers,
        bidirectional=rnn.bidirectional,
        nonlinearity=activation,
        batch_first=True,
        dtype=torch.float64,
    )
    with torch.no_grad():
        for key, value in rnn.params.items():
            getattr(net, to_torch_name(key)).copy_(torch.from_numpy(value))
            if key.startswith("b_h"):
                getattr(net, to_torch_name(key).replace("bias_ih", "bias_hh")).zero_()
    return net


@pytest.mark.parametrize(
    "num_layers, bidirectional, activation, with_h0",
    list(itertools.product([1, 2, 3], [False, True], ["tanh", "relu"], [False, True])),
)
def test_rnn_matches_torch_outputs_and_gradients(
    num_layers, bidirectional, activation, with_h0
):
    rng = np.random.default_rng(num_layers * 10 + bidirectional)
    rnn = RNN(D, H, num_layers, bidirectional, activation=activation, seed=1)
    net = torch_twin(rnn, activation)
    dirs = 2 if bidirectional else 1
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((num_layers * dirs, B, H)) if with_h0 else None
    dout = rng.standard_normal((B, T, dirs * H))
    dh_n = rng.standard_normal((num_layers * dirs, B, H))

    out, h_n = rnn.forward(x, h0)
    dx, dh0 = rnn.backward(dout, dh_n)

    x_t = torch.tensor(x, requires_grad=True)
    h0_t = torch.tensor(
        h0 if with_h0 else np.zeros((num_layers * dirs, B, H)), requires_grad=True
    )
    out_t, h_n_t = net(x_t, h0_t)
    (out_t * torch.from_numpy(dout)).sum().add(
        (h_n_t * torch.from_numpy(dh_n)).sum()
    ).backward()

    assert np.abs(out - out_t.detach().numpy()).max() < 1e-10
    assert np.abs(h_n - h_n_t.detach().numpy()).max() < 1e-10
    assert np.abs(dx - x_t.grad.numpy()).max() < 1e-10
    assert np.abs(dh0 - h0_t.grad.numpy()).max() < 1e-10
    for key in rnn.params:
        torch_grad = getattr(net, to_torch_name(key)).grad.numpy()
        assert np.abs(rnn.grads[key] - torch_grad).max() < 1e-10, key
        if key.startswith("b_h"):  # one b_h stands for b_ih + b_hh
            hh = getattr(net, to_torch_name(key).replace("bias_ih", "bias_hh")).grad
            assert np.abs(rnn.grads[key] - hh.numpy()).max() < 1e-10


def test_functional_rnn_forward_matches_torch_rnn_cell():
    from rnnlib import rnn_forward

    rng = np.random.default_rng(3)
    cell = torch.nn.RNNCell(D, H, dtype=torch.float64)
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((B, H))
    W_hx, W_hh = cell.weight_ih.detach().numpy(), cell.weight_hh.detach().numpy()
    b_h = (cell.bias_ih + cell.bias_hh).detach().numpy()
    h, _ = rnn_forward(x, h0, W_hx, W_hh, b_h)
    h_t = torch.from_numpy(h0)
    for t in range(T):
        h_t = cell(torch.from_numpy(x[:, t]), h_t)
        assert np.abs(h[:, t] - h_t.detach().numpy()).max() < 1e-12
