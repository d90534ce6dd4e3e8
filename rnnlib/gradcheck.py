"""Numerical gradients, to check every backward pass by central differences.

    df/dx_i ≈ (f(x + h e_i) - f(x - h e_i)) / (2h)

The course's one gradient-check policy (docs/gradient_checks.md), used by the
tests, the notebooks, the exercises and their graders alike:

    gradient_error(analytic, numerical_gradient(f, x)) < GRADIENT_TOLERANCE

- step GRADIENT_STEP = 1e-5: the central difference is off by O(h²) from
  truncation and by about 1e-16 |f| / h from rounding; 1e-5 balances the two;
- measure `gradient_error`, the largest entry of |analytic - numeric| over
  the largest entry of |analytic| + |numeric| (one scale for the whole
  array, so an entry near zero cannot turn rounding noise into a large
  ratio, as the entrywise `rel_error` can: that is what failed a correct
  RNN test at 1.09e-07 > 1e-07, and a correct exercise 09, on CPUs other
  than the one the old bound was tuned on);
- bound GRADIENT_TOLERANCE = 5e-5, measured by
  benchmarks/gradient_tolerance.py over 300 random seeds and sizes (B, T,
  D, H from 1 to 6, tanh and ReLU) of every reference backward pass, on
  OpenBLAS's Haswell kernels (AVX2) and on its Sandybridge kernels with
  NumPy's AVX2 code switched off: correct float64 gradients reach at most
  3.1e-07 (160x below the bound: a small gradient of a large loss, or one
  that vanishes through time, where the rounding of the loss sets the
  error), and the smallest error any named mistake gives on the exercises'
  inputs is 1.4e-02 (280x above it).
"""

import numpy as np

GRADIENT_STEP = 1e-5
GRADIENT_TOLERANCE = 5e-5  # measured: see the module docstring


def gradient_error(analytic, numeric, floor=0.0):
    """max |a - n| / max(1e-12, max |a| + max |n| + floor): 0 when equal, about
    1 when unrelated.  The error measure of the gradient-check policy.

    floor >= 0 (default 0): a scale below which the gradient counts as
    vanished, e.g. max |dL/dh_T| for the gradient at an earlier state h_t.
    A central difference carries the loss's rounding, about 1e-16 |L| / h,
    whatever the gradient's size: next to a gradient that has vanished
    through time that noise is a large ratio, next to the gradient at the
    loss it is not (docs/gradient_checks.md)."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(
            f"gradient_error needs equal shapes; got {a.shape} and {n.shape}"
        )
    if not (np.isfinite(floor) and floor >= 0):
        raise ValueError(f"gradient_error needs a floor >= 0; got {floor!r}")
    if a.size == 0:
        return 0.0
    scale = max(1e-12, float(np.max(np.abs(a)) + np.max(np.abs(n)) + floor))
    return float(np.max(np.abs(a - n))) / scale


def rel_error(x, y):
    """max |x - y| / max(1e-8, |x| + |y|), elementwise, the CS231n measure."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error needs equal shapes; got {x.shape} and {y.shape}")
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def numerical_gradient(f, x, df=None, h=GRADIENT_STEP):
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


def check_layer_gradients(
    layer, x, dout=None, seed=0, h=GRADIENT_STEP, **forward_kwargs
):
    """Compare a layer's backward with numerical gradients of every parameter and x.

    Uses the scalar loss L = sum(dout * layer.forward(x)) with a random dout
    (so every output matters).  `layer` has forward(x, ...) returning an
    array (or a tuple whose first item is the output), backward(dout)
    returning dx (or a tuple starting with dx), and params/grads dicts.
    Returns {name: gradient_error(analytic, numeric)} for "x" and every
    parameter key: the policy's measure, so each value is compared with
    GRADIENT_TOLERANCE (not the entrywise `rel_error`).
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

    errors = {"x": gradient_error(dx, numerical_gradient(loss, x, h=h))}
    for key, p in layer.params.items():
        errors[key] = gradient_error(grads[key], numerical_gradient(loss, p, h=h))
    return errors
