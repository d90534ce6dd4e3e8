"""Numerical gradients, to check every backward pass by central differences.

    df/dx_i ≈ (f(x + h e_i) - f(x - h e_i)) / (2h)

The error of the central difference is O(h²); with h = 1e-6 in float64 an
exact analytic gradient agrees to a relative error of about 1e-9 or better.
"""

import numpy as np


def rel_error(x, y):
    """max |x - y| / max(1e-8, |x| + |y|), elementwise, the CS231n measure."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error needs equal shapes; got {x.shape} and {y.shape}")
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def numerical_gradient(f, x, df=None, h=1e-6):
    """Central-difference gradient of f at x, changing x in place and back.

    If f returns a scalar, returns df/dx.  If f returns an array, pass the
    upstream gradient df (same shape as f's output) and get
    sum(df * f(x))'s gradient, i.e. the vector-Jacobian product.
    x must be a float64 array (the one f reads).
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("x must be a float64 ndarray that f reads (changed in place)")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        diff = np.asarray(plus) - np.asarray(minus)
        grad[i] = (diff if df is None else np.sum(diff * df)) / (2 * h)
    return grad


def check_layer_gradients(layer, x, dout=None, seed=0, h=1e-6, **forward_kwargs):
    """Compare a layer's backward with numerical gradients of every parameter and x.

    Uses the scalar loss L = sum(dout * layer.forward(x)) with a random dout
    (so every output matters).  `layer` has forward(x, ...) returning an
    array (or a tuple whose first item is the output), backward(dout)
    returning dx (or a tuple starting with dx), and params/grads dicts.
    Returns {name: relative error} for "x" and every parameter key.
    """
    x = np.array(x, dtype=np.float64)

    def output(inp):
        out = layer.forward(inp, **forward_kwargs)
        return out[0] if isinstance(out, tuple) else out

    out = output(x)
    if dout is None:
        dout = np.random.default_rng(seed).standard_normal(out.shape)
    output(x)
    dx = layer.backward(dout)
    dx = dx[0] if isinstance(dx, tuple) else dx
    grads = {k: np.array(g) for k, g in layer.grads.items()}

    def loss(_):
        return np.sum(dout * output(x))

    errors = {"x": rel_error(dx, numerical_gradient(loss, x, h=h))}
    for key, p in layer.params.items():
        errors[key] = rel_error(grads[key], numerical_gradient(loss, p, h=h))
    return errors
