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

TORCH_NAMES = {"W_hx": "weight_ih", "W_hh": "weight_hh", "b_h": "bias_ih"}
TORCH_NAMES |= {"W_x": "weight_ih", "W_h": "weight_hh", "b": "bias_ih"}


def torch_twin(layer):
    """The torch module with layer's weights (b split as bias_ih = b, bias_hh = 0)."""
    sizes = dict(
        input_size=layer.input_size,
        hidden_size=layer.hidden_size,
        num_layers=layer.num_layers,
        bidirectional=layer.bidirectional,
        batch_first=True,
        dtype=torch.float64,
    )
    if isinstance(layer, RNN):
        net = torch.nn.RNN(nonlinearity=layer.activation, **sizes)
    else:
        net = torch.nn.LSTM(**sizes)
    with torch.no_grad():
        for key, value in layer.params.items():
            name, rest = key.split("_l", 1)
            getattr(net, f"{TORCH_NAMES[name]}_l{rest}").copy_(torch.from_numpy(value))
            getattr(net, f"bias_hh_l{rest}").zero_()
    return net


def max_difference_to_packed_torch(layer, x, lengths, with_state, rng):
    """Run layer with a mask and its torch twin on the packed batch, forward
    and backward (random dout at the real steps, random final-state
    gradients); return the largest difference over the real outputs, the
    final states, dx, the initial-state gradients and every weight gradient."""
    B, T, _ = x.shape
    is_rnn = isinstance(layer, RNN)
    net = torch_twin(layer)
    mask = (np.arange(T) < lengths[:, None]).astype(float)
    dirs = 2 if layer.bidirectional else 1
    shape = (layer.num_layers * dirs, B, layer.hidden_size)
    states = [rng.standard_normal(shape) for _ in range(1 if is_rnn else 2)]
    dstates = [rng.standard_normal(shape) for _ in states]
    dout = rng.standard_normal((B, T, dirs * layer.hidden_size)) * mask[:, :, None]

    def pair(items):  # the RNN takes one state array, the LSTM a pair
        return items[0] if is_rnn else tuple(items)

    def as_tuple(value):
        return (value,) if is_rnn else value

    out, finals = layer.forward(x, pair(states) if with_state else None, mask=mask)
    dx, dstates0 = layer.backward(dout, pair(dstates))

    x_t = torch.tensor(x, requires_grad=True)
    states_t = [torch.tensor(s, requires_grad=True) for s in states]
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        x_t, torch.tensor(lengths), batch_first=True, enforce_sorted=False
    )
    packed_out, finals_t = net(packed, pair(states_t) if with_state else None)
    out_t, _ = torch.nn.utils.rnn.pad_packed_sequence(
        packed_out, batch_first=True, total_length=T
    )
    torch.autograd.backward(
        [out_t, *as_tuple(finals_t)], [torch.tensor(dout), *map(torch.tensor, dstates)]
    )

    real = mask == 1
    differences = [np.abs(out[real] - out_t.detach().numpy()[real]).max()]
    differences += [
        np.abs(ours - theirs.detach().numpy()).max()
        for ours, theirs in zip(as_tuple(finals), as_tuple(finals_t), strict=True)
    ]
    differences.append(np.abs(dx - x_t.grad.numpy()).max())  # 0 at padding in both
    if with_state:
        differences += [
            np.abs(ours - theirs.grad.numpy()).max()
            for ours, theirs in zip(as_tuple(dstates0), states_t, strict=True)
        ]
    for key, grad in layer.grads.items():
        name, rest = key.split("_l", 1)
        theirs = getattr(net, f"{TORCH_NAMES[name]}_l{rest}").grad.numpy()
        differences.append(np.abs(grad - theirs).max())
    return max(differences)


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("cell, num_layers, bidirectional", CONFIGS)
def test_masked_layer_equals_torch_packed_sequence(
    rng, cell, num_layers, bidirectional, with_state
):
    layer = make_layer(cell, num_layers, bidirectional, seed=1)
    x = rng.standard_normal((B, T, D))
    assert max_difference_to_packed_torch(layer, x, LENGTHS, with_state, rng) < 1e-10


@pytest.mark.parametrize("seed", range(40))
def test_random_sizes_and_lengths_equal_torch(seed):
    """Odd corners too: T = 1, B = 1, H = 1, every length equal, relu."""
    rng = np.random.default_rng(seed)
    B_, T_, D_, H_ = (int(n) for n in rng.integers(1, [5, 6, 4, 4], endpoint=True))
    num_layers, bidirectional = int(rng.integers(1, 3)), bool(rng.integers(2))
    if rng.integers(2):
        layer = RNN(D_, H_, num_layers, bidirectional, activation="relu", seed=seed)
    else:
        layer = LSTM(D_, H_, num_layers, bidirectional, seed=seed)
    lengths = rng.integers(1, T_, size=B_, endpoint=True)
    x = rng.standard_normal((B_, T_, D_))
    difference = max_difference_to_packed_torch(layer, x, lengths, True, rng)
    assert difference < 1e-10, (layer, B_, T_, lengths)
