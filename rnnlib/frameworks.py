"""Copy weights between rnnlib and PyTorch or Keras, and run the copies.

rnnlib keeps PyTorch's orientation and gate order, so most of the map is
renaming; Keras stores the same matrices transposed:

    rnnlib               PyTorch (nn.RNN / LSTM / GRU)     Keras 3 (SimpleRNN/LSTM/GRU)
    W_hx  (H, D)         weight_ih_l{k}  (H, D)            kernel            (D, H)
    W_hh  (H, H)         weight_hh_l{k}  (H, H)            recurrent_kernel  (H, H)
    b_h   (H,)           bias_ih_l{k} + bias_hh_l{k}       bias              (H,)
    W_x   (4H, D)        weight_ih_l{k}  (4H, D)           kernel            (D, 4H)
    W_h   (4H, H)        weight_hh_l{k}  (4H, H)           recurrent_kernel  (H, 4H)
    b     (4H,)          bias_ih_l{k} + bias_hh_l{k}       bias              (4H,)
    gates i, f, g, o     i, f, g, o                        i, f, c, o (c is g)
    GRU W_x (3H, D)      weight_ih_l{k}  (3H, D)           kernel            (D, 3H)
    GRU W_h (3H, H)      weight_hh_l{k}  (3H, H)           recurrent_kernel  (H, 3H)
    GRU b_x, b_h (3H,)   bias_ih_l{k}, bias_hh_l{k}        bias (2, 3H) = [b_x; b_h]
    gates r, z, n        r, z, n                           z, r, h (h is n)

The RNN and LSTM have one bias per layer where PyTorch has two: copying
*to* PyTorch puts b in bias_ih and zeros in bias_hh; copying *from* PyTorch
adds them.  The GRU cannot add them, since its hidden bias b_hn is
multiplied by the reset gate; it keeps both, as PyTorch does and as Keras
does with reset_after=True (its default), so they copy across unchanged
and only Keras's gate order z, r, h needs reordering.

TensorFlow 1's BasicRNNCell / BasicLSTMCell use yet another layout, one
kernel for the concatenation [x, h]; `tf1_weights` builds it.

Each function imports its framework only when called and, if it is
missing, raises an ImportError that says how to install it:

    to_torch(layer) / from_torch(module) / torch_forward(module, x, state)
    to_torch_cell(layer)                  nn.RNNCell / LSTMCell / GRUCell, one step
    to_keras(layer) / from_keras(layer)  / keras_forward(layer, x, state)
    tf1_weights(layer)                    NumPy only
    available("torch") / available("keras")
"""

import importlib
import importlib.util
import os

import numpy as np

from .gru import GRU
from .lstm import LSTM
from .rnn import RNN

INSTALL = {
    "torch": (
        "PyTorch is not installed. Install the CPU build with\n"
        "    pip install torch --index-url https://download.pytorch.org/whl/cpu\n"
        "or everything optional with  pip install -e '.[frameworks]'"
    ),
    "keras": (
        "Keras 3 is not installed. Install it with\n"
        "    pip install keras\n"
        "and a backend: PyTorch (pip install torch, then set KERAS_BACKEND=torch),\n"
        "TensorFlow (pip install tensorflow) or JAX (pip install jax);\n"
        "or everything optional with  pip install -e '.[frameworks]'"
    ),
}


def available(framework):
    """True if `framework` ("torch" or "keras") can be imported (without importing it)."""
    if framework not in INSTALL:
        raise ValueError(f"framework must be 'torch' or 'keras'; got {framework!r}")
    return importlib.util.find_spec(framework) is not None


def _import_torch():
    try:
        return importlib.import_module("torch")
    except ImportError as err:
        raise ImportError(INSTALL["torch"]) from err


def _import_keras():
    """Import Keras 3.  If no backend is chosen and TensorFlow is missing but
    PyTorch is installed, choose the PyTorch backend (KERAS_BACKEND=torch),
    which must happen before Keras is first imported."""
    if (
        "KERAS_BACKEND" not in os.environ
        and importlib.util.find_spec("keras") is not None
        and importlib.util.find_spec("tensorflow") is None
        and importlib.util.find_spec("torch") is not None
    ):
        os.environ["KERAS_BACKEND"] = "torch"
    try:
        keras = importlib.import_module("keras")
    except ImportError as err:
        raise ImportError(INSTALL["keras"]) from err
    if not hasattr(keras, "ops"):
        raise ImportError(
            f"rnnlib.frameworks needs Keras 3; found Keras {keras.__version__}.\n"
            + INSTALL["keras"]
        )
    return keras


def _kind(layer):
    """'rnn', 'lstm' or 'gru' for an rnnlib layer, else a TypeError."""
    if isinstance(layer, LSTM):
        return "lstm"
    if isinstance(layer, RNN):
        return "rnn"
    if isinstance(layer, GRU):
        return "gru"
    raise TypeError(
        f"layer must be an rnnlib RNN or LSTM or GRU; got {type(layer).__name__}"
    )


def _torch_dtype(torch, dtype):
    return torch.float64 if np.dtype(dtype) == np.float64 else torch.float32


# ---------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------

# rnnlib weight name -> PyTorch parameter name (per layer and direction)
_TORCH_NAMES = {
    "rnn": {"W_hx": "weight_ih", "W_hh": "weight_hh", "b_h": "bias_ih"},
    "lstm": {"W_x": "weight_ih", "W_h": "weight_hh", "b": "bias_ih"},
    "gru": {
        "W_x": "weight_ih",
        "W_h": "weight_hh",
        "b_x": "bias_ih",
        "b_h": "bias_hh",
    },
}


def to_torch(layer):
    """An rnnlib RNN, LSTM or GRU -> torch.nn.RNN / LSTM / GRU with the same weights.

    The module is batch first (like rnnlib), has the layer's num_layers,
    bidirectional and (RNN) nonlinearity, and its dtype (float64 stays
    float64).  RNN, LSTM: b goes to bias_ih, bias_hh is zero.  GRU: b_x
    goes to bias_ih, b_h to bias_hh.  Returns the module.
    """
    kind = _kind(layer)
    torch = _import_torch()
    common = dict(
        num_layers=layer.num_layers,
        bidirectional=layer.bidirectional,
        batch_first=True,
        dtype=_torch_dtype(torch, layer.dtype),
    )
    if kind == "rnn":
        module = torch.nn.RNN(
            layer.input_size, layer.hidden_size, nonlinearity=layer.activation, **common
        )
    else:
        cls = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
        module = cls(layer.input_size, layer.hidden_size, **common)
    with torch.no_grad():
        for k in range(layer.num_layers):
            for suffix in layer.suffixes:
                if kind != "gru":  # the GRU copies its own bias_hh below
                    getattr(module, f"bias_hh_l{k}{suffix}").zero_()
                for ours, theirs in _TORCH_NAMES[kind].items():
                    value = torch.from_numpy(
                        np.asarray(layer.params[f"{ours}_l{k}{suffix}"])
                    )
                    getattr(module, f"{theirs}_l{k}{suffix}").copy_(value)
    return module


def to_torch_cell(layer):
    """A one-layer, one-direction rnnlib RNN, LSTM or GRU -> torch.nn.RNNCell /
    LSTMCell / GRUCell.

    A cell computes one step, like rnn_step_forward / lstm_step_forward /
    gru_step_forward: cell(x_t, h) -> h_next for the RNN and the GRU,
    cell(x_t, (h, c)) -> (h_next, c_next) for the LSTM, with x_t (B, D).
    Same weight names as the layers, without the _l0 suffix; b goes to
    bias_ih, bias_hh is zero (the GRU: b_x to bias_ih, b_h to bias_hh).
    """
    kind = _kind(layer)
    _one_layer(layer, "a PyTorch RNNCell/LSTMCell/GRUCell")
    torch = _import_torch()
    dtype = _torch_dtype(torch, layer.dtype)
    D, H = layer.input_size, layer.hidden_size
    if kind == "rnn":
        cell = torch.nn.RNNCell(D, H, nonlinearity=layer.activation, dtype=dtype)
    else:
        cls = torch.nn.LSTMCell if kind == "lstm" else torch.nn.GRUCell
        cell = cls(D, H, dtype=dtype)
    with torch.no_grad():
        cell.bias_hh.zero_()  # the GRU's is overwritten with b_h next
        for ours, theirs in _TORCH_NAMES[kind].items():
            value = np.asarray(layer.params[f"{ours}_l0"])
            getattr(cell, theirs).copy_(torch.from_numpy(value))
    return cell


def from_torch(module):
    """torch.nn.RNN / LSTM / GRU -> an rnnlib RNN / LSTM / GRU with the same weights.

    RNN, LSTM: b = bias_ih + bias_hh.  GRU: b_x = bias_ih, b_h = bias_hh.
    The layer's dtype follows the module's weights (float64 or float32).
    LSTMs with proj_size > 0 have no rnnlib twin.
    """
    torch = _import_torch()
    if isinstance(module, torch.nn.LSTM):
        kind = "lstm"
        if getattr(module, "proj_size", 0):
            raise ValueError("an nn.LSTM with proj_size > 0 has no rnnlib equivalent")
    elif isinstance(module, torch.nn.RNN):
        kind = "rnn"
    elif isinstance(module, torch.nn.GRU):
        kind = "gru"
    else:
        raise TypeError(
            "module must be a torch.nn.RNN, nn.LSTM or nn.GRU; "
            f"got {type(module).__name__}"
        )
    dtype = np.float64 if module.weight_hh_l0.dtype == torch.float64 else np.float32
    args = (
        module.input_size,
        module.hidden_size,
        module.num_layers,
        module.bidirectional,
    )
    if kind == "rnn":
        layer = RNN(*args, activation=module.nonlinearity, seed=0, dtype=dtype)
    elif kind == "lstm":
        layer = LSTM(*args, seed=0, dtype=dtype)
    else:
        layer = GRU(*args, seed=0, dtype=dtype)

    def read(name):
        return getattr(module, name).detach().cpu().numpy()

    for k in range(layer.num_layers):
        for suffix in layer.suffixes:
            for ours, theirs in _TORCH_NAMES[kind].items():
                key = f"{ours}_l{k}{suffix}"
                if theirs.startswith("bias") and not module.bias:
                    layer.params[key][...] = 0.0
                elif theirs == "bias_ih" and kind != "gru":
                    # one bias = PyTorch's two, added
                    layer.params[key][...] = read(f"bias_ih_l{k}{suffix}") + read(
                        f"bias_hh_l{k}{suffix}"
                    )
                else:
                    layer.params[key][...] = read(f"{theirs}_l{k}{suffix}")
    return layer


def torch_forward(module, x, state=None):
    """Run a torch.nn.RNN / LSTM / GRU on NumPy input; return NumPy arrays.

    x (B, T, D) batch first, whatever the module's batch_first (a time-major
    module gets x transposed to (T, B, D), and its output transposed back).
    state: h0, or (h0, c0) for an LSTM, each (num_layers*dirs, B, H), or None.
    Returns out (B, T, dirs*H) and h_n, or (h_n, c_n) for an LSTM: what the
    rnnlib layer's forward returns.
    """
    torch = _import_torch()
    dtype = module.weight_hh_l0.dtype
    xt = torch.as_tensor(np.asarray(x), dtype=dtype)
    if not module.batch_first:
        xt = xt.transpose(0, 1)  # (T, B, D): time-major

    def tensor(a):
        return None if a is None else torch.as_tensor(np.asarray(a), dtype=dtype)

    is_lstm = isinstance(module, torch.nn.LSTM)
    if is_lstm and state is not None:
        h0, c0 = state
        if h0 is None and c0 is None:
            state = None
        else:
            shape = np.shape(h0 if h0 is not None else c0)
            h0 = np.zeros(shape) if h0 is None else h0
            c0 = np.zeros(shape) if c0 is None else c0
            state = (tensor(h0), tensor(c0))
    else:
        state = tensor(state)
    with torch.no_grad():
        out, final = module(xt, state)
    if not module.batch_first:
        out = out.transpose(0, 1)
    if is_lstm:
        return out.numpy(), (final[0].numpy(), final[1].numpy())
    return out.numpy(), final.numpy()


# ---------------------------------------------------------------------------
# Keras 3
# ---------------------------------------------------------------------------


def _one_layer(layer, what="a Keras SimpleRNN/LSTM/GRU layer"):
    if layer.num_layers != 1 or layer.bidirectional:
        raise ValueError(
            f"{what} holds one layer and one direction; got "
            f"num_layers={layer.num_layers}, bidirectional={layer.bidirectional}. "
            "Copy each layer separately."
        )


def _keras_gru_order(H):
    """Column order that swaps the first two gate blocks: rnnlib's r, z, n
    to Keras's z, r, h and, being its own inverse, back."""
    r, z, n = (np.arange(g * H, (g + 1) * H) for g in range(3))
    return np.concatenate([z, r, n])


def to_keras(layer):
    """An rnnlib RNN, LSTM or GRU (one layer, one direction) -> keras
    SimpleRNN / LSTM / GRU.

    The Keras layer is built for inputs (B, T, D), returns the whole sequence
    and the final state(s) (return_sequences=True, return_state=True) and
    holds the transposed weights: kernel = W.T (D, ·), recurrent_kernel =
    W_hh.T or W_h.T, bias = b.  Keras' LSTM gate order i, f, c, o is
    rnnlib's i, f, g, o, so the gate blocks need no reordering.  The Keras
    GRU has reset_after=True (the reset gate scales the recurrent product
    and its bias, as in rnnlib and PyTorch), gate order z, r, h (rnnlib's
    z, r, n: the first two blocks swap) and bias = [b_x; b_h] (2, 3H).
    """
    kind = _kind(layer)
    _one_layer(layer)
    keras = _import_keras()
    H, D = layer.hidden_size, layer.input_size
    opts = dict(
        return_sequences=True, return_state=True, dtype=str(np.dtype(layer.dtype))
    )
    if kind == "rnn":
        k = keras.layers.SimpleRNN(H, activation=layer.activation, **opts)
        weights = [
            layer.params["W_hx_l0"],
            layer.params["W_hh_l0"],
            layer.params["b_h_l0"],
        ]
    elif kind == "lstm":
        k = keras.layers.LSTM(
            H, activation="tanh", recurrent_activation="sigmoid", **opts
        )
        weights = [layer.params["W_x_l0"], layer.params["W_h_l0"], layer.params["b_l0"]]
    else:
        k = keras.layers.GRU(
            H,
            activation="tanh",
            recurrent_activation="sigmoid",
            reset_after=True,
            **opts,
        )
        order = _keras_gru_order(H)
        W_x, W_h, b_x, b_h = (layer.params[f"{name}_l0"] for name in GRU.weight_names)
        k.build((None, None, D))
        k.set_weights([W_x[order].T, W_h[order].T, np.stack([b_x, b_h])[:, order]])
        return k
    k.build((None, None, D))
    k.set_weights([weights[0].T, weights[1].T, weights[2]])
    return k


def from_keras(k):
    """keras SimpleRNN / LSTM / GRU -> an rnnlib RNN / LSTM / GRU with the same
    weights.

    W = kernel.T, W_hh (W_h) = recurrent_kernel.T, b = bias (zeros when
    use_bias=False).  The LSTM and the GRU must use tanh and a sigmoid
    recurrent activation (Keras' defaults), as rnnlib's do; the GRU must
    have reset_after=True (Keras's default), and its gate blocks z, r, h
    are reordered to rnnlib's r, z, n, its bias (2, 3H) split into b_x, b_h.
    """
    keras = _import_keras()
    if isinstance(k, (keras.layers.LSTM, keras.layers.GRU)):
        kind = "lstm" if isinstance(k, keras.layers.LSTM) else "gru"
        act = getattr(k.activation, "__name__", str(k.activation))
        rec = getattr(k.recurrent_activation, "__name__", str(k.recurrent_activation))
        if (act, rec) != ("tanh", "sigmoid"):
            raise ValueError(
                f"the Keras {kind.upper()} must use activation='tanh' and "
                f"recurrent_activation='sigmoid'; got {act!r} and {rec!r}"
            )
        if kind == "gru" and not k.reset_after:
            raise ValueError(
                "the Keras GRU must have reset_after=True (the reset gate after "
                "the recurrent product, as rnnlib and PyTorch compute it); "
                "got reset_after=False"
            )
    elif isinstance(k, keras.layers.SimpleRNN):
        kind = "rnn"
        act = getattr(k.activation, "__name__", str(k.activation))
        if act not in ("tanh", "relu"):
            raise ValueError(f"the Keras SimpleRNN must use tanh or relu; got {act!r}")
    else:
        raise TypeError(
            f"k must be a keras.layers.SimpleRNN, LSTM or GRU; got {type(k).__name__}"
        )
    if not k.built:
        raise ValueError(
            "the Keras layer has no weights yet: build it or call it once first"
        )
    weights = [np.asarray(w) for w in k.get_weights()]
    kernel, recurrent = weights[0], weights[1]
    D, H = kernel.shape[0], recurrent.shape[0]
    dtype = np.float64 if kernel.dtype == np.float64 else np.float32
    if kind == "gru":
        order = _keras_gru_order(H)
        bias = weights[2] if len(weights) > 2 else np.zeros((2, 3 * H), kernel.dtype)
        layer = GRU(D, H, seed=0, dtype=dtype)
        values = (kernel.T[order], recurrent.T[order], bias[0, order], bias[1, order])
        for name, value in zip(GRU.weight_names, values, strict=True):
            layer.params[f"{name}_l0"][...] = value
        return layer
    bias = (
        weights[2] if len(weights) > 2 else np.zeros(recurrent.shape[1], kernel.dtype)
    )
    if kind == "rnn":
        layer = RNN(D, H, activation=act, seed=0, dtype=dtype)
        names = ("W_hx_l0", "W_hh_l0", "b_h_l0")
    else:
        layer = LSTM(D, H, seed=0, dtype=dtype)
        names = ("W_x_l0", "W_h_l0", "b_l0")
    for name, value in zip(names, (kernel.T, recurrent.T, bias), strict=True):
        layer.params[name][...] = value
    return layer


def keras_forward(k, x, state=None, mask=None):
    """Run a Keras SimpleRNN / LSTM / GRU made by `to_keras` on NumPy input.

    x (B, T, D); state: h0, or (h0, c0) for an LSTM, shaped like rnnlib's
    (1, B, H), or None; mask (B, T) of 1/0 or None, passed to Keras as its
    boolean `mask` (Keras, like rnnlib, carries the state over masked steps).
    Returns what the rnnlib layer's forward returns:
    out (B, T, H) and h_n, or (h_n, c_n), each (1, B, H).
    """
    keras = _import_keras()
    if not (k.return_sequences and k.return_state):
        raise ValueError(
            "k must have return_sequences=True and return_state=True (see to_keras)"
        )
    is_lstm = isinstance(k, keras.layers.LSTM)
    initial = None
    if state is not None:
        parts = list(state) if is_lstm else [state]
        if any(p is not None for p in parts):
            B, H = np.asarray(x).shape[0], k.units
            initial = [
                np.zeros((B, H), k.dtype) if p is None else np.asarray(p, k.dtype)[0]
                for p in parts
            ]
    if mask is not None:
        mask = np.asarray(mask) == 1
    outputs = k(np.asarray(x, dtype=k.dtype), initial_state=initial, mask=mask)
    out, *finals = [keras.ops.convert_to_numpy(t) for t in outputs]
    finals = [f[None] for f in finals]  # (B, H) -> (1, B, H), rnnlib's h_n layout
    return (out, (finals[0], finals[1])) if is_lstm else (out, finals[0])


# ---------------------------------------------------------------------------
# TensorFlow 1 (tf.compat.v1.nn.rnn_cell), for reading old code
# ---------------------------------------------------------------------------


def tf1_weights(layer, forget_bias=1.0):
    """The weights as TF1's BasicRNNCell / BasicLSTMCell would hold them.

    TF1 cells multiply one kernel with the concatenation [x_t, h_{t-1}]:
        BasicRNNCell:   h_t = tanh([x_t, h_{t-1}] @ kernel + bias),
                        kernel = [W_hx.T ; W_hh.T]  ((D + H), H)
        BasicLSTMCell:  [i, j, f, o] = [x_t, h_{t-1}] @ kernel + bias, gate
                        order i, j (the candidate, rnnlib's g), f, o, and
                        f = sigmoid(f + forget_bias): the forget bias is
                        added at run time, not stored in `bias`.
    For one layer and one direction; returns (kernel, bias).
    """
    kind = _kind(layer)
    if kind == "gru":
        raise TypeError(
            "TF1's GRUCell applies the reset gate before the recurrent product "
            "(Keras's reset_after=False); rnnlib's GRU, like PyTorch's, applies "
            "it after, so no TF1 weights compute it"
        )
    _one_layer(layer, "a TF1 BasicRNNCell/BasicLSTMCell")
    if kind == "rnn":
        W_x, W_h, b = (layer.params[k] for k in ("W_hx_l0", "W_hh_l0", "b_h_l0"))
        return np.concatenate([W_x.T, W_h.T]), b.copy()
    W_x, W_h, b = (layer.params[k] for k in ("W_x_l0", "W_h_l0", "b_l0"))
    H = layer.hidden_size
    i, f, g, o = (slice(n * H, (n + 1) * H) for n in range(4))
    order = np.r_[i, g, f, o]  # rnnlib i, f, g, o -> TF1 i, j, f, o
    bias = b[order].copy()
    bias[2 * H : 3 * H] -= forget_bias
    return np.concatenate([W_x.T, W_h.T])[:, order], bias
