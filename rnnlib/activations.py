"""Activation functions and their derivatives.

Inside the RNN cell: tanh or ReLU.  At the output: sigmoid for a binary
target, softmax for several classes.

Each `*_derivative(z)` is d act(z) / dz, elementwise.  The backward passes
use the cheaper forms written with the *output* a = act(z), which they have
saved anyway:

    tanh'(z)    = 1 - a**2
    relu'(z)    = 1 if a > 0 else 0
    sigmoid'(z) = a * (1 - a)
"""

import numpy as np


def tanh(z):
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z), elementwise, in (-1, 1)."""
    return np.tanh(z)


def tanh_derivative(z):
    """d tanh(z) / dz = 1 - tanh(z)**2, elementwise, in (0, 1]."""
    a = np.tanh(z)
    return 1.0 - a * a


def relu(z):
    """relu(z) = max(z, 0), elementwise."""
    return np.maximum(z, 0)


def relu_derivative(z):
    """d relu(z) / dz = 1 where z > 0, else 0 (0 at z = 0, as PyTorch)."""
    return (z > 0).astype(np.result_type(z.dtype, np.float32))


def sigmoid(z):
    """sigmoid(z) = 1 / (1 + e^-z), elementwise, without overflow for any z."""
    z = np.asarray(z)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(
        np.result_type(z.dtype, np.float32), copy=False
    )


def sigmoid_derivative(z):
    """d sigmoid(z) / dz = sigmoid(z) * (1 - sigmoid(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def softmax(z, axis=-1):
    """softmax(z)_k = e^{z_k} / sum_j e^{z_j} along `axis` (stable for any z)."""
    z = np.asarray(z)
    shifted = z - z.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    """log softmax(z) = z - log sum_j e^{z_j} along `axis`, stable for any finite z."""
    z = np.asarray(z)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax_backward(dout, y, axis=-1):
    """Vector-Jacobian product of softmax: given y = softmax(z) and dL/dy,
    return dL/dz = y * (dL/dy - sum_k dL/dy_k y_k)."""
    return y * (dout - (dout * y).sum(axis=axis, keepdims=True))


# name -> (function, derivative written with the output a = act(z))
ACTIVATIONS = {
    "tanh": (np.tanh, lambda a: 1.0 - a * a),
    "relu": (relu, lambda a: (a > 0).astype(a.dtype)),
}
