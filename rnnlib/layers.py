"""Layers around the recurrence: a time-distributed `Dense` and an `Embedding`.

Functional pairs first (forward returns a cache, backward consumes it), then
thin classes that own `params` and `grads` dicts with the same keys.
"""

import numpy as np

from .checks import as_float_array, check_ndim, check_positive_int
from .init import as_rng, xavier_uniform


def dense_forward(h, W, b):
    """The same affine map at every time step: y_t = W h_t + b, for a batch

        y = h @ W.T + b

    h (..., H) e.g. (B, T, H) or (B, H); W (O, H) (the notes' W_yh); b (O,) (b_y).
    Returns y (..., O) and a cache for dense_backward.
    """
    h = as_float_array("h", h)
    W = as_float_array("W", W)
    b = as_float_array("b", b)
    check_ndim("W", W, 2, "(O, H)")
    O, H = W.shape
    if h.ndim < 1 or h.shape[-1] != H:
        raise ValueError(
            f"h must have shape (..., H) with H = W.shape[1] = {H}; got {h.shape}"
        )
    if b.shape != (O,):
        raise ValueError(f"b must have shape (O,) = {(O,)}; got {b.shape}")
    return h @ W.T + b, (h, W)


def dense_backward(dy, cache):
    """Backward of dense_forward, gradients summed over batch and time:

        dh = dy @ W,   dW = sum_{b,t} dy_t^T h_t,   db = sum_{b,t} dy_t

    dy (..., O). Returns dh (..., H), dW (O, H), db (O,).
    """
    h, W = cache
    dy = np.asarray(dy)
    if dy.shape != h.shape[:-1] + (W.shape[0],):
        raise ValueError(
            f"dy must have shape {h.shape[:-1] + (W.shape[0],)} (the forward's y); "
            f"got {dy.shape}"
        )
    dy_flat = dy.reshape(-1, W.shape[0])
    h_flat = h.reshape(-1, W.shape[1])
    return dy @ W, dy_flat.T @ h_flat, dy_flat.sum(axis=0)


class Dense:
    """A time-distributed linear layer, y_t = W h_t + b (W: W_yh, b: b_y).

    params: "W" (out_features, in_features), "b" (out_features,).
    forward(h (..., in)) -> (..., out); backward(dy) -> dh, fills grads.
    Computes in h's dtype (float32 in, float32 out); grads keep the
    parameters' dtype.
    """

    def __init__(self, in_features, out_features, seed=None, dtype=np.float64):
        check_positive_int("in_features", in_features)
        check_positive_int("out_features", out_features)
        self.params = {
            "W": xavier_uniform((out_features, in_features), as_rng(seed), dtype=dtype),
            "b": np.zeros(out_features, dtype=dtype),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._cache = None

    def forward(self, h):
        h = as_float_array("h", h)
        W, b = (self.params[k].astype(h.dtype, copy=False) for k in ("W", "b"))
        y, self._cache = dense_forward(h, W, b)
        return y

    def backward(self, dy):
        if self._cache is None:
            raise RuntimeError("call forward before backward")
        dh, dW, db = dense_backward(dy, self._cache)
        for key, grad in (("W", dW), ("b", db)):
            self.grads[key] = grad.astype(self.params[key].dtype, copy=False)
        return dh


def embedding_forward(ids, W):
    """Look up one row of W per token: e_t = W[ids_t].

    ids (B, T) ints in [0, V); W (V, E). Returns e (B, T, E) and a cache.
    (The same as a one-hot vector times W, without building the one-hot.)
    """
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"ids must be integer token ids; got dtype {ids.dtype}")
    V = W.shape[0]
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(
            f"ids must lie in [0, V) with V = W.shape[0] = {V};"
            f" got values from {ids.min()} to {ids.max()}"
        )
    return W[ids], (ids, W.shape)


def embedding_backward(de, cache):
    """dW[v] = sum of de_t over every position where ids_t == v.

    de (B, T, E). Returns dW (V, E).
    """
    ids, shape = cache
    dW = np.zeros(shape, dtype=de.dtype)
    np.add.at(dW, ids.reshape(-1), de.reshape(-1, shape[1]))
    return dW


class Embedding:
    """Token ids -> vectors. params: "W" (vocab_size, embed_dim), N(0, 1) init.

    forward(ids (B, T)) -> (B, T, E); backward(de) fills grads["W"] and
    returns None (token ids have no gradient).
    """

    def __init__(self, vocab_size, embed_dim, seed=None, dtype=np.float64):
        check_positive_int("vocab_size", vocab_size)
        check_positive_int("embed_dim", embed_dim)
        rng = as_rng(seed)
        self.params = {
            "W": rng.standard_normal((vocab_size, embed_dim)).astype(dtype)
            / np.sqrt(embed_dim)
        }
        self.grads = {"W": np.zeros_like(self.params["W"])}
        self._cache = None

    def forward(self, ids):
        e, self._cache = embedding_forward(ids, self.params["W"])
        return e

    def backward(self, de):
        if self._cache is None:
            raise RuntimeError("call forward before backward")
        self.grads["W"] = embedding_backward(np.asarray(de), self._cache)
        return None


class Composite:
    """A model made of named layers, e.g. {"embed": …, "rnn": …, "head": …}.

    Subclasses set `self.layers` (input to output).  `params` and `grads` are
    flat dicts with keys "layer.key" whose values are the layers' own arrays,
    so an optimiser built on `model.params` trains every layer in place.
    Change a parameter in place (`model.params["head.b"][:] = 0`); assigning
    a new array to the flat dict does not reach the layer.
    """

    layers = {}

    @property
    def params(self):
        return self._flat("params")

    @property
    def grads(self):
        """Like `params`, holding the gradients of the last backward pass."""
        return self._flat("grads")

    def _flat(self, attr):
        """{"layer.key": array} from every layer's dict `attr`."""
        return {
            f"{name}.{k}": v
            for name, layer in self.layers.items()
            for k, v in getattr(layer, attr).items()
        }

    @property
    def num_params(self):
        return int(sum(v.size for v in self.params.values()))
