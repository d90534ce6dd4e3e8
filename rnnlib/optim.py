"""Optimisers and gradient clipping.

Parameters and gradients are dicts of arrays with the same keys (a layer's
`params` and `grads`).  Optimisers update the parameter arrays in place, so
every layer that holds them sees the new values.
"""

import numpy as np


def _check_same_keys(params, grads):
    if params.keys() != grads.keys():
        missing = sorted(set(params) - set(grads))
        extra = sorted(set(grads) - set(params))
        raise ValueError(
            f"grads must have the same keys as params; missing {missing}, extra {extra}"
        )
    for k, p in params.items():
        if grads[k].shape != p.shape:
            raise ValueError(
                f"grads[{k!r}] must have shape {p.shape} like params[{k!r}];"
                f" got {grads[k].shape}"
            )


def clip_grad_norm(grads, max_norm):
    """Rescale all gradients together so their global L2 norm is <= max_norm.

        norm = sqrt(sum_k ||g_k||^2);  if norm > max_norm: g_k *= max_norm / norm

    The direction of the update is kept; only its length is capped (Pascanu
    et al., 2013).  Works in place; returns the norm *before* clipping, as
    torch.nn.utils.clip_grad_norm_ does.
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be > 0; got {max_norm}")
    total = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
    if total > max_norm:
        scale = max_norm / (total + 1e-6)  # the same guard as PyTorch
        for g in grads.values():
            g *= scale
    return total


class SGD:
    """Stochastic gradient descent with optional momentum.

    v <- momentum * v + g;   p <- p - lr * v       (v = g when momentum = 0)
    """

    def __init__(self, params, lr=0.1, momentum=0.0):
        if lr <= 0:
            raise ValueError(f"lr must be > 0; got {lr}")
        self.params, self.lr, self.momentum = params, lr, momentum
        self.velocity = {k: np.zeros_like(p) for k, p in params.items()}

    def step(self, grads):
        _check_same_keys(self.params, grads)
        for k, p in self.params.items():
            if self.momentum:
                v = self.velocity[k]
                v *= self.momentum
                v += grads[k]
                p -= self.lr * v
            else:
                p -= self.lr * grads[k]


class Adam:
    """Adam (Kingma & Ba, 2015): per-parameter steps from running moments.

    m <- b1 m + (1 - b1) g          v <- b2 v + (1 - b2) g^2
    p <- p - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t), ...
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        if lr <= 0:
            raise ValueError(f"lr must be > 0; got {lr}")
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.t = 0

    def step(self, grads):
        _check_same_keys(self.params, grads)
        self.t += 1
        b1, b2 = self.betas
        step_size = self.lr / (1 - b1**self.t)
        sqrt_correction2 = np.sqrt(1 - b2**self.t)
        for k, p in self.params.items():
            g = grads[k]
            m, v = self.m[k], self.v[k]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            p -= step_size * m / (np.sqrt(v) / sqrt_correction2 + self.eps)
