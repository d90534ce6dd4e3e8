"""A small multi-layer perceptron: the feed-forward baseline of notebook 00.

One input vector per example, no time axis.  With L layers:

    h_0 = x,   h_l = act(h_{l-1} @ W_l.T + b_l)   for l = 1 … L-1,
    scores = h_{L-1} @ W_L.T + b_L                (no activation: logits)

x (B, D); W_l (out_l, in_l) in the notes' orientation, b_l (out_l,).
A sequence must first be flattened to a fixed width, x (B, T*D): every
position gets its own weights, which is what the RNN avoids.

Functional pair (CS231n style) and a layer that owns its parameters:

    scores, cache = mlp_forward(x, params, activation="relu")
    dx, grads = mlp_backward(dscores, cache)
    net = MLP(input_size, hidden_sizes, output_size, seed=0)
    scores = net.forward(x);  dx = net.backward(dscores)    # fills net.grads
    loss, grads = net.loss(x, y)      # forward + backward, for models.fit
"""

import numpy as np

from .activations import ACTIVATIONS
from .checks import (
    as_float_array,
    check_choice,
    check_finite,
    check_input,
    check_positive_int,
)
from .init import as_rng, xavier_uniform
from .losses import bce_with_logits, softmax_cross_entropy


def _layer_count(params):
    n = 0
    while f"W{n + 1}" in params:
        n += 1
    if n == 0 or set(params) != {f"{p}{i}" for i in range(1, n + 1) for p in "Wb"}:
        raise ValueError(
            f"params must hold W1, b1, …, WL, bL and nothing else; got {sorted(params)}"
        )
    return n


def mlp_forward(x, params, activation="relu"):
    """Forward pass of an MLP; the last layer has no activation.

    x (B, D); params {"W1": (H1, D), "b1": (H1,), …, "WL": (O, H_{L-1}),
    "bL": (O,)}; activation "relu" or "tanh" between layers.
    Returns scores (B, O) and a cache for mlp_backward.
    """
    check_choice("activation", activation, tuple(ACTIVATIONS))
    L = _layer_count(params)
    x = check_input("x", x, "(B, D)", params["W1"].shape[1], "W1.shape[1]")
    check_finite("x", x)
    act, _ = ACTIVATIONS[activation]
    hs = [x]
    for l in range(1, L + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        if W.shape[1] != hs[-1].shape[1] or b.shape != (W.shape[0],):
            raise ValueError(
                f"W{l} must have shape (out, {hs[-1].shape[1]}) and b{l} (out,);"
                f" got {W.shape} and {b.shape}"
            )
        z = hs[-1] @ W.T + b
        hs.append(z if l == L else act(z))
    return hs[-1], (hs, params, activation)


def mlp_backward(dscores, cache):
    """Backward pass of mlp_forward.

    Going down from l = L: dW_l = dz_l.T @ h_{l-1}, db_l = sum_B dz_l,
    dh_{l-1} = dz_l @ W_l, and dz_{l-1} = dh_{l-1} * act'(h_{l-1}).
    dscores (B, O).  Returns dx (B, D) and grads (same keys as params).
    """
    hs, params, activation = cache
    L = len(hs) - 1
    dz = as_float_array("dscores", dscores)
    if dz.shape != hs[-1].shape:
        raise ValueError(
            f"dscores must have shape (B, O) = {hs[-1].shape} like the scores;"
            f" got {dz.shape}"
        )
    _, act_grad = ACTIVATIONS[activation]
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = dz.T @ hs[l - 1]
        grads[f"b{l}"] = dz.sum(axis=0)
        dh = dz @ params[f"W{l}"]
        dz = dh * act_grad(hs[l - 1]) if l > 1 else dh
    return dz, grads


class MLP:
    """A fully connected network x (B, D) -> scores (B, O).

    MLP(input_size, hidden_sizes, output_size, activation="relu", seed=None)
    hidden_sizes: a list of ints (or one int), e.g. [32] for one hidden layer.
    params: "W1", "b1", …, "WL", "bL" (Xavier-uniform weights, zero biases);
    grads: the same keys, filled by backward.
    """

    def __init__(
        self,
        input_size,
        hidden_sizes,
        output_size,
        activation="relu",
        seed=None,
        dtype=np.float64,
    ):
        check_choice("activation", activation, tuple(ACTIVATIONS))
        if isinstance(hidden_sizes, (int, np.integer)):
            hidden_sizes = [hidden_sizes]
        sizes = [input_size, *hidden_sizes, output_size]
        for name, s in zip(
            ["input_size", *["hidden_sizes"] * len(hidden_sizes), "output_size"],
            sizes,
            strict=True,
        ):
            check_positive_int(name, s)
        rng = as_rng(seed)
        self.activation = activation
        self.sizes = [int(s) for s in sizes]
        self.params = {}
        for l in range(1, len(sizes)):
            self.params[f"W{l}"] = xavier_uniform(
                (sizes[l], sizes[l - 1]), rng, dtype=dtype
            )
            self.params[f"b{l}"] = np.zeros(sizes[l], dtype=dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._cache = None

    def __repr__(self):
        return f"MLP(sizes={self.sizes}, activation={self.activation!r})"

    @property
    def num_params(self):
        """The number of trainable numbers (weights and biases)."""
        return int(sum(p.size for p in self.params.values()))

    def forward(self, x):
        """x (B, D) -> scores (B, O)."""
        scores, self._cache = mlp_forward(x, self.params, self.activation)
        return scores

    def backward(self, dscores):
        """dscores (B, O) -> dx (B, D); fills self.grads."""
        if self._cache is None:
            raise RuntimeError("call forward before backward")
        dx, grads = mlp_backward(dscores, self._cache)
        for k, g in grads.items():
            self.grads[k] = g
        return dx

    def loss(self, x, y):
        """Forward, loss and backward in one call (the API `rnnlib.models.fit` uses).

        output_size 1: binary cross-entropy of sigmoid(score), y (B,) in {0, 1};
        output_size C > 1: softmax cross-entropy, y (B,) int class ids.
        The loss is averaged over the batch.  Returns (loss, grads).
        """
        scores = self.forward(x)
        if scores.shape[1] == 1:
            loss, dz = bce_with_logits(scores[:, 0], y)
            dscores = dz[:, None]
        else:
            loss, dscores = softmax_cross_entropy(scores, y)
        self.backward(dscores)
        return loss, self.grads

    def predict(self, x):
        """Class predictions (B,): score > 0 for one output, else the argmax."""
        scores = self.forward(x)
        if scores.shape[1] == 1:
            return (scores[:, 0] > 0).astype(np.int64)
        return scores.argmax(axis=1)

    def accuracy(self, x, y):
        """Fraction of rows whose prediction equals y."""
        return float(np.mean(self.predict(x) == np.asarray(y)))
