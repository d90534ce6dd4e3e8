"""Padding masks in the RNN and LSTM layers: a padding step carries the state
over unchanged, so padding never reaches a real step, read either way.
Equal to PyTorch's pack_padded_sequence to 1e-10, and gradient-checked."""

import itertools

import numpy as np
import pytest
from gradients import assert_gradients_match

from rnnlib import LSTM, RNN

B, T, D, H = 3, 6, 4, 5
LENGTHS = np.array([6, 3, 1])
MASK = (np.arange(T) < LENGTHS[:, None]).astype(float)  # right padding

CONFIGS = list(itertools.product(["rnn", "lstm"], [1, 2], [False, True]))


def make_layer(cell, num_layers, bidirectional, seed=0):
    if cell == "rnn":
        return RNN(D, H, num_layers, bidirectional, seed=seed)
    return LSTM(D, H, num_layers, bidirectional, seed=seed)


def final_states(cell, result):
    _, states = result
    return (states,) if cell == "rnn" else states


@pytest.mark.parametrize("cell, num_layers, bidirectional", CONFIGS)
def test_padding_values_change_no_real_output_and_no_final_state(
    rng, cell, num_layers, bidirectional
):
    layer = make_layer(cell, num_layers, bidirectional)
    x = rng.standard_normal((B, T, D))
    other = x.copy()
    other[MASK == 0] = rng.standard_normal((int((MASK == 0).sum()), D)) * 10
    first, second = layer.forward(x, mask=MASK), layer.forward(other, mask=MASK)
    real = MASK == 1
    assert np.abs(first[0][real] - second[0][real]).max() < 1e-14
    for a, b in zip(final_states(cell, first), final_states(cell, second), strict=True):
        assert np.abs(a - b).max() < 1e-14


@pytest.mark.parametrize("cell, num_layers, bidirectional", CONFIGS)
def test_all_ones_mask_changes_nothing(rng, cell, num_layers, bidirectional):
    layer = make_layer(cell, num_layers, bidirectional)
    x = rng.standard_normal((B, T, D))
    plain, masked = layer.forward(x), layer.forward(x, mask=np.ones((B, T)))
    assert np.array_equal(plain[0], masked[0])


@pytest.mark.parametrize("cell, num_layers, bidirectional", CONFIGS)
def test_masked_layer_gradients_match_numerical(rng, cell, num_layers, bidirectional):
    """Padding anywhere (not only at the end), final-state gradients included."""
    layer = make_layer(cell, num_layers, bidirectional)
    mask = np.array([[1, 1, 0, 1, 1, 0], [0, 0, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0.0]])
    dirs = 2 if bidirectional else 1
    x = rng.standard_normal((B, T, D))
    dout = rng.standard_normal((B, T, dirs * H))
    dfinals = [
        rng.standard_normal((num_layers * dirs, B, H))
        for _ in range(1 + (cell == "lstm"))
    ]

    def outputs():
        out, finals = layer.forward(x, mask=mask)
        return (out, *final_states(cell, (out, finals)))

    outputs()
    dx, _ = layer.backward(dout, dfinals[0] if cell == "rnn" else tuple(dfinals))
    checks = [("x", x, dx)] + [
        (k, p, layer.grads[k].copy()) for k, p in layer.params.items()
    ]
    assert_gradients_match(outputs, (dout, *dfinals), checks)


def test_mask_is_checked():
    rnn = RNN(D, H, seed=0)
    with pytest.raises(ValueError, match=r"mask must have shape \(B, T\) = \(3, 6\)"):
        rnn.forward(np.zeros((B, T, D)), mask=np.ones((T, B)))
    with pytest.raises(ValueError, match=r"only 0 \(padding\) and 1 .*got also 2"):
        LSTM(D, H, seed=0).forward(np.zeros((B, T, D)), mask=2 * MASK)


# -- against PyTorch's packed sequences ------------------------------------------

torch = pytest.importorskip("torch", reason="PyTorch is not installed")


def torch_twin(layer, cell):
    """The torch module with layer's weights (b split as bias_ih = b, bias_hh = 0)."""
    module = torch.nn.RNN if cell == "rnn" else torch.nn.LSTM
    net = module(
        D,
        H,
        num_layers=layer.num_layers,
        bidirectional=layer.bidirectional,
        batch_first=True,
        dtype=torch.float64,
    )
    names = {"W_hx": "weight_ih", "W_hh": "weight_hh", "b_h": "bias_ih"}
    names |= {"W_x": "weight_ih", "W_h": "weight_hh", "b": "bias_ih"}
    with torch.no_grad():
        for key, value in layer.params.items():
            name, rest = key.split("_l", 1)
            getattr(net, f"{names[name]}_l{rest}").copy_(torch.from_numpy(value))
            getattr(net, f"bias_hh_l{rest}").zero_()
    return net, names


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("cell, num_layers, bidirectional", CONFIGS)
def test_masked_layer_equals_torch_packed_sequence(
    rng, cell, num_layers, bidirectional, with_state
):
    pack = torch.nn.utils.rnn.pack_padded_sequence
    unpack = torch.nn.utils.rnn.pad_packed_sequence
    layer = make_layer(cell, num_layers, bidirectional, seed=1)
    net, names = torch_twin(layer, cell)
    dirs = 2 if bidirectional else 1
    shape = (num_layers * dirs, B, H)
    x = rng.standard_normal((B, T, D))
    states = [rng.standard_normal(shape) for _ in range(1 if cell == "rnn" else 2)]
    dout = rng.standard_normal((B, T, dirs * H)) * MASK[:, :, None]
    dstates = [rng.standard_normal(shape) for _ in states]

    ours_state = (states[0] if cell == "rnn" else tuple(states)) if with_state else None
    out, finals = layer.forward(x, ours_state, mask=MASK)
    finals = (finals,) if cell == "rnn" else finals
    dx, dstate0 = layer.backward(dout, dstates[0] if cell == "rnn" else tuple(dstates))
    dstate0 = (dstate0,) if cell == "rnn" else dstate0

    x_t = torch.tensor(x, requires_grad=True)
    states_t = [torch.tensor(s, requires_grad=True) for s in states]
    packed = pack(x_t, torch.tensor(LENGTHS), batch_first=True, enforce_sorted=False)
    if with_state:
        packed_out, finals_t = net(
            packed, states_t[0] if cell == "rnn" else tuple(states_t)
        )
    else:
        packed_out, finals_t = net(packed)
    out_t, _ = unpack(packed_out, batch_first=True, total_length=T)
    finals_t = (finals_t,) if cell == "rnn" else finals_t
    torch.autograd.backward(
        [out_t, *finals_t], [torch.tensor(dout), *map(torch.tensor, dstates)]
    )

    real = MASK == 1
    assert np.abs(out[real] - out_t.detach().numpy()[real]).max() < 1e-10
    for ours, theirs in zip(finals, finals_t, strict=True):
        assert np.abs(ours - theirs.detach().numpy()).max() < 1e-10
    assert np.abs(dx - x_t.grad.numpy()).max() < 1e-10  # 0 at padding in both
    if with_state:
        for ours, theirs in zip(dstate0, states_t, strict=True):
            assert np.abs(ours - theirs.grad.numpy()).max() < 1e-10
    for key, grad in layer.grads.items():
        name, rest = key.split("_l", 1)
        theirs = getattr(net, f"{names[name]}_l{rest}").grad.numpy()
        assert np.abs(grad - theirs).max() < 1e-10, key
