"""The checks of exercise 10 (solutions/10_from_rnnlib_to_frameworks_exercises.ipynb).

Each check builds its own test data and reference, calls the learner's
functions (given as arguments) and raises with the usual mistake named:

- `TorchChecks` (Part 1): `to_torch` checks `to_torch_state_dict` (PyTorch's
  names, b in bias_ih and zeros in bias_hh, copies, inputs unchanged);
  `from_torch` checks `from_torch_state_dict` (one bias, bias_ih + bias_hh);
  `with_torch` loads the converted weights into PyTorch, and PyTorch's into
  rnnlib, and compares the outputs (skipped without PyTorch);
- `check_keras` (Part 2): `lstm_to_keras` / `lstm_from_keras` (transposes,
  not reshapes; the gate blocks in place), and that Keras' step computes
  rnnlib's with them; `check_against_keras` compares with Keras' own weights;
- `check_tf1` (Part 3): `to_tf1_lstm` / `from_tf1_lstm` (joined kernel, input
  rows first, gate order i, j, f, o, forget_bias subtracted from b_f), and
  that TF1's step computes rnnlib's with them;
- `random_layer`, `check_copies`: the test data and the no-shared-memory check.
"""

import numpy as np

import rnnlib

from .values import check_array, check_returns, check_same_keys, check_unchanged

RNNLIB = {"rnn": ("W_hx", "W_hh", "b_h"), "lstm": ("W_x", "W_h", "b")}
KERAS = ("kernel", "recurrent_kernel", "bias")
RNNLIB_LSTM = ("W_x", "W_h", "b")
IGFO = (0, 2, 1, 3)  # rnnlib's gate blocks i, f, g, o in TF1's order i, j, f, o


def random_layer(kind, D, H, num_layers=1, bidirectional=False, seed=0):
    """An rnnlib RNN ("rnn") or LSTM ("lstm") with random weights AND biases."""
    cls = rnnlib.LSTM if kind == "lstm" else rnnlib.RNN
    layer = cls(D, H, num_layers=num_layers, bidirectional=bidirectional, seed=seed)
    rng = np.random.default_rng(seed + 1)
    for key, value in layer.params.items():
        if key.startswith("b"):
            value[...] = 0.5 * rng.standard_normal(value.shape)
    return layer


def check_copies(what, arrays, originals):
    """Assert that no array of the dict or list `arrays` shares memory with one
    of `originals`: changing a converted weight must not change the source."""
    items = arrays.items() if isinstance(arrays, dict) else enumerate(arrays)
    for key, a in items:
        if any(np.shares_memory(a, o) for o in originals):
            raise AssertionError(
                f"{what}[{key!r}] shares its memory with an input array: return"
                " copies (a.copy(), np.array(a)), so that changing one model's"
                " weights does not change the other's"
            )


def _expected_state_dict(params, kind, num_layers, suffixes):
    """PyTorch name -> array: what to_torch_state_dict(params) returns."""
    w_in, w_rec, bias = RNNLIB[kind]
    p, expected = params, {}
    for k in range(num_layers):
        for s in suffixes:
            expected[f"weight_ih_l{k}{s}"] = p[f"{w_in}_l{k}{s}"]
            expected[f"weight_hh_l{k}{s}"] = p[f"{w_rec}_l{k}{s}"]
            expected[f"bias_ih_l{k}{s}"] = p[f"{bias}_l{k}{s}"]
            expected[f"bias_hh_l{k}{s}"] = np.zeros_like(p[f"{bias}_l{k}{s}"])
    return expected


def _random_state_dict(kind, D, H, num_layers, bidirectional, seed, bias):
    """(a random PyTorch state_dict, the rnnlib parameters it converts to)."""
    rng = np.random.default_rng(seed)
    dirs = 2 if bidirectional else 1
    G = 4 * H if kind == "lstm" else H
    state, expected = {}, {}
    w_in, w_rec, b = RNNLIB[kind]
    for k in range(num_layers):
        for s in ("", "_reverse")[:dirs]:
            D_k = D if k == 0 else dirs * H
            state[f"weight_ih_l{k}{s}"] = rng.standard_normal((G, D_k))
            state[f"weight_hh_l{k}{s}"] = rng.standard_normal((G, H))
            expected[f"{w_in}_l{k}{s}"] = state[f"weight_ih_l{k}{s}"].copy()
            expected[f"{w_rec}_l{k}{s}"] = state[f"weight_hh_l{k}{s}"].copy()
            expected[f"{b}_l{k}{s}"] = np.zeros(G)
            if bias:
                state[f"bias_ih_l{k}{s}"] = rng.standard_normal(G)
                state[f"bias_hh_l{k}{s}"] = rng.standard_normal(G)
                expected[f"{b}_l{k}{s}"] = (
                    state[f"bias_ih_l{k}{s}"] + state[f"bias_hh_l{k}{s}"]
                )
    return state, expected


class TorchChecks:
    """Part 1's checks of the learner's `to_torch_state_dict` and
    `from_torch_state_dict`; `torch` is the module, or None without PyTorch."""

    def __init__(self, to_torch_state_dict, from_torch_state_dict, torch):
        self.to_state_dict = to_torch_state_dict
        self.from_state_dict = from_torch_state_dict
        self.torch = torch

    def to_torch(self, kind, D, H, num_layers, bidirectional, seed):
        """Check to_torch_state_dict on a random layer; returns the layer."""
        layer = random_layer(kind, D, H, num_layers, bidirectional, seed)
        before = {k: v.copy() for k, v in layer.params.items()}
        expected = _expected_state_dict(before, kind, num_layers, layer.suffixes)
        state = self.to_state_dict(layer.params)
        check_same_keys("the state_dict", state, expected)
        for key, value in expected.items():
            b = expected[key.replace("bias_hh", "bias_ih")]
            mistakes = {
                "b in both biases: PyTorch adds bias_ih + bias_hh, so with b in"
                " bias_ih, bias_hh must be zeros": b,
                "b / 2 in each bias: that sums to b, but the exact split is b"
                " and zeros": b / 2,
            }
            check_array(
                f"state['{key}'] ({kind})", state[key], value, mistakes=mistakes
            )
        check_copies("state", state, list(layer.params.values()))
        for key, value in before.items():
            check_unchanged(f"params['{key}']", value, layer.params[key])
        return layer

    def from_torch(self, kind, D, H, num_layers, bidirectional, seed, bias=True):
        """Check from_torch_state_dict on a random state_dict (with or
        without bias entries)."""
        args = (kind, D, H, num_layers, bidirectional, seed, bias)
        state, expected = _random_state_dict(*args)
        before = {k: v.copy() for k, v in state.items()}
        params = self.from_state_dict(state, kind)
        check_same_keys(f"the parameters ({kind})", params, expected)
        for key, value in expected.items():
            rest = key.split("_l", 1)[1]
            mistakes = {}
            if bias:
                one = "only: rnnlib's one bias is bias_ih + bias_hh"
                mistakes = {
                    f"bias_ih {one}": state[f"bias_ih_l{rest}"],
                    f"bias_hh {one}": state[f"bias_hh_l{rest}"],
                }
            label = f"params['{key}'] ({kind})"
            check_array(label, params[key], value, mistakes=mistakes)
        check_copies("params", params, list(state.values()))
        for key, value in before.items():
            check_unchanged(f"state_dict['{key}']", value, state[key])

    def with_torch(self, kind, D, H, num_layers, bidirectional, seed):
        """Load the learner's state_dict into PyTorch, and a PyTorch one into
        rnnlib: the outputs must agree (skipped without PyTorch)."""
        torch = self.torch
        if torch is None:
            print("PyTorch check skipped: PyTorch is not available.")
            return
        layer = random_layer(kind, D, H, num_layers, bidirectional, seed)
        cls = torch.nn.LSTM if kind == "lstm" else torch.nn.RNN
        opts = dict(
            num_layers=num_layers, bidirectional=bidirectional, batch_first=True
        )
        module = cls(D, H, dtype=torch.float64, **opts)
        state = self.to_state_dict(layer.params)
        try:
            module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
        except RuntimeError as err:
            raise AssertionError(
                f"PyTorch does not accept your state_dict: {err}"
            ) from None
        x = np.random.default_rng(seed).standard_normal((2, 5, D))
        out, _ = layer.forward(x)
        check_array(
            f"PyTorch's output with your weights ({kind})",
            rnnlib.frameworks.torch_forward(module, x)[0],
            out,
        )
        torch.manual_seed(seed)
        module = cls(D, H, dtype=torch.float64, **opts)  # PyTorch's random weights
        state = {k: v.detach().numpy() for k, v in module.state_dict().items()}
        mine = random_layer(kind, D, H, num_layers, bidirectional, seed)
        for key, value in self.from_state_dict(state, kind).items():
            mine.params[key][...] = value
        check_array(
            f"rnnlib's output with PyTorch's weights ({kind})",
            mine.forward(x)[0],
            rnnlib.frameworks.torch_forward(module, x)[0],
        )
        print(f"PyTorch check ({kind}, num_layers={num_layers}): the outputs agree.")


def _gate_blocks(a, order):
    """The 4 gate blocks of the last axis of a, in the given order."""
    blocks = np.split(a, 4, axis=-1)
    return np.concatenate([blocks[k] for k in order], axis=-1)


def check_keras(lstm_to_keras, lstm_from_keras, keras_lstm_step, D, H, seed):
    """Part 2: the learner's Keras conversions of a random LSTM, both ways,
    and Keras' step (`keras_lstm_step`) with them computes rnnlib's step.
    Returns the layer."""
    layer = random_layer("lstm", D, H, seed=seed)
    W_x, W_h, b = (layer.params[k] for k in ("W_x_l0", "W_h_l0", "b_l0"))
    before = [W_x.copy(), W_h.copy(), b.copy()]
    weights = check_returns("lstm_to_keras", lstm_to_keras(W_x, W_h, b), KERAS)
    expected = [before[0].T, before[1].T, before[2]]
    reshaped = [before[0].reshape(D, 4 * H), before[1].reshape(H, 4 * H), before[2]]
    for k, (name, got, e) in enumerate(zip(KERAS, weights, expected, strict=True)):
        mistakes = {
            "a reshape where a transpose belongs: reshape keeps the memory order"
            " and scrambles the weights; the transpose is W.T": reshaped[k],
            "the gate blocks reordered: Keras' i, f, c, o is rnnlib's i, f, g, o,"
            " block for block": _gate_blocks(e, (0, 1, 3, 2)),
        }
        check_array(f"{name} (D={D}, H={H})", got, e, mistakes=mistakes)
    # what Keras computes with them is what rnnlib computes
    rng = np.random.default_rng(seed)
    x_t, h, c = (rng.standard_normal((2, n)) for n in (D, H, H))
    h_keras, c_keras = keras_lstm_step(x_t, h, c, *weights)
    h_lib, c_lib, _ = rnnlib.lstm_step_forward(x_t, h, c, W_x, W_h, b)
    check_array("h of Keras' step with your weights", h_keras, h_lib)
    check_array("c of Keras' step with your weights", c_keras, c_lib)
    # and back
    back = check_returns("lstm_from_keras", lstm_from_keras(*weights), RNNLIB_LSTM)
    wrong_back = [weights[0].reshape(4 * H, D), weights[1].reshape(4 * H, H), b]
    for k, (name, got, e) in enumerate(zip(RNNLIB_LSTM, back, before, strict=True)):
        mistake = {"a reshape where a transpose belongs: use kernel.T": wrong_back[k]}
        check_array(f"{name} from Keras (D={D}, H={H})", got, e, mistakes=mistake)
    check_copies("lstm_to_keras(...)", weights, [W_x, W_h, b])
    check_copies("lstm_from_keras(...)", back, weights)
    for name, b4, now in zip(RNNLIB_LSTM, before, (W_x, W_h, b), strict=True):
        check_unchanged(name, b4, now)
    return layer


def check_against_keras(lstm_to_keras, layer):
    """With Keras installed: the learner's weights are Keras' own
    (rnnlib.frameworks.to_keras)."""
    if not rnnlib.frameworks.available("keras"):
        print("Keras check skipped (not installed).")
        return
    try:
        k = rnnlib.frameworks.to_keras(layer)
    except Exception as err:  # noqa: BLE001 -- Keras without a backend, ...
        print(f"Keras check skipped: Keras does not run here ({type(err).__name__}).")
        return
    p = layer.params
    mine = lstm_to_keras(p["W_x_l0"], p["W_h_l0"], p["b_l0"])
    for name, got, theirs in zip(KERAS, mine, k.get_weights(), strict=True):
        check_array(f"{name} against Keras' own", got, theirs)
    print("Keras check: the weights agree.")


def _shift_forget(bias, H, block, amount):
    """bias with `amount` added to its gate block number `block`."""
    out = bias.copy()
    out[block * H : (block + 1) * H] += amount
    return out


def _tf1_mistakes(W_x, W_h, b, H, forget_bias):
    """(kernel mistakes, bias mistakes) of to_tf1_lstm, by explanation."""
    rnnlib_order = (
        "the gate blocks left in rnnlib's order i, f, g, o: TF1's is i, j, f, o,"
        " with j the candidate (rnnlib's g) second"
    )
    kernel = {
        rnnlib_order: np.concatenate([W_x.T, W_h.T], axis=0),
        "the blocks stacked [W_h.T ; W_x.T]: TF1 computes [x_t, h_prev] @ kernel,"
        " so the input's rows W_x.T come first": _gate_blocks(
            np.concatenate([W_h.T, W_x.T], axis=0), IGFO
        ),
    }
    if not forget_bias:
        return kernel, {rnnlib_order: b}
    ordered = _gate_blocks(b, IGFO)
    bias = {
        "forget_bias not subtracted: TF1 adds it to f at run time, so the stored"
        " bias holds b_f - forget_bias": ordered,
        "forget_bias added: TF1 adds it at run time, so subtract it here": (
            _shift_forget(ordered, H, 2, forget_bias)
        ),
        rnnlib_order: _shift_forget(b, H, 1, -forget_bias),
    }
    return kernel, bias


def check_tf1(to_tf1_lstm, from_tf1_lstm, tf1_lstm_step, D, H, forget_bias, seed):
    """Part 3: the learner's TF1 conversions of a random LSTM, both ways, and
    TF1's step (`tf1_lstm_step`) with them computes rnnlib's step.
    Returns the arguments given to to_tf1_lstm."""
    layer = random_layer("lstm", D, H, seed=seed)
    W_x, W_h, b = (layer.params[k] for k in ("W_x_l0", "W_h_l0", "b_l0"))
    before = [W_x.copy(), W_h.copy(), b.copy()]
    kernel, bias = check_returns(
        "to_tf1_lstm", to_tf1_lstm(W_x, W_h, b, forget_bias), ("kernel", "bias")
    )
    expected_kernel, expected_bias = rnnlib.frameworks.tf1_weights(layer, forget_bias)
    kernel_mistakes, bias_mistakes = _tf1_mistakes(*before, H, forget_bias)
    case = f"D={D}, H={H}, forget_bias={forget_bias}"
    check_array(f"kernel ({case})", kernel, expected_kernel, mistakes=kernel_mistakes)
    check_array(f"bias ({case})", bias, expected_bias, mistakes=bias_mistakes)
    # the TF1 cell with these weights computes rnnlib's step
    rng = np.random.default_rng(seed)
    x_t, h, c = (rng.standard_normal((3, n)) for n in (D, H, H))
    h_tf1, c_tf1 = tf1_lstm_step(x_t, h, c, kernel, bias, forget_bias)
    h_lib, c_lib, _ = rnnlib.lstm_step_forward(x_t, h, c, W_x, W_h, b)
    check_array("h of TF1's step with your weights", h_tf1, h_lib)
    check_array("c of TF1's step with your weights", c_tf1, c_lib)
    for name, b4, now in zip(RNNLIB_LSTM, before, (W_x, W_h, b), strict=True):
        check_unchanged(name, b4, now)
    # and back, from rnnlib's own TF1 weights
    back = check_returns(
        "from_tf1_lstm",
        from_tf1_lstm(expected_kernel, expected_bias, D, forget_bias),
        RNNLIB_LSTM,
    )
    unordered = "the gate blocks left in TF1's order i, j, f, o"
    back_mistakes = [
        {unordered: expected_kernel.T[:, :D]},
        {unordered: expected_kernel.T[:, D:]},
        {
            "forget_bias not added back to the f block: TF1's stored bias is"
            " b_f - forget_bias": _shift_forget(before[2], H, 1, -forget_bias)
        }
        if forget_bias
        else {},
    ]
    for name, got, e, m in zip(RNNLIB_LSTM, back, before, back_mistakes, strict=True):
        check_array(f"{name} from TF1 ({case})", got, e, mistakes=m)
    check_copies("from_tf1_lstm(...)", back, [expected_kernel, expected_bias])
    return W_x, W_h, b, forget_bias
