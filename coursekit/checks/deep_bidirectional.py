"""The checks of exercise 07 (solutions/07_deep_and_bidirectional_exercises.ipynb).

`Checks(random_direction, reference_layer)` holds the set-up cell's test
weights and reference (an rnnlib.RNN holding given weights); each method
calls the learner's function (its first argument) on random data, compares
with the reference and raises with the usual mistake named:

- `forward` (Part 1): bidirectional_forward's out and h_n (mistakes:
  `bidirectional_forward_mistakes`), x unchanged, the cache a pair;
- `backward` (Part 2): bidirectional_backward's dx, dh0 and both
  directions' weight gradients (mistakes: `bidirectional_backward_mistakes`)
  and, when asked, against numerical gradients of `bidirectional_loss`;
- `stacked` (Part 3): stacked_forward's out and h_n of a stack (mistakes:
  the first layer's output, h0 for the first layer only, h_n grouped by
  direction).
"""

import numpy as np

import rnnlib

from .mistakes_rnn import (
    bidirectional_backward_mistakes,
    bidirectional_forward_mistakes,
)
from .values import check_array, check_gradient, check_returns, check_unchanged, copies

WEIGHTS = ("dW_hx", "dW_hh", "db_h")
H0_FIRST_ONLY = (
    "h0 used for the first layer only: layer k starts from its own"
    " h0[k * dirs : (k + 1) * dirs]"
)


def bidirectional_loss(x, h0, wf, wb, dout, dh_n):
    """L = sum(dout * out) + sum(dh_n * h_n), computed with rnn_forward."""
    h_f, _ = rnnlib.rnn_forward(x, h0[0], *wf)
    h_b = rnnlib.rnn_forward(x[:, ::-1], h0[1], *wb)[0][:, ::-1]
    out = np.concatenate([h_f, h_b], axis=2)
    h_n = np.stack([h_f[:, -1], h_b[:, 0]])
    return np.sum(dout * out) + (0 if dh_n is None else np.sum(dh_n * h_n))


def _check_numerically(x, h0, wf, wb, dout, dh_n, got, size):
    """The learner's gradients (dx, dh0, grads_f, grads_b) against numerical
    gradients of bidirectional_loss."""
    dx, _, grads_f, grads_b = got
    arrays = {"dx": x, "dW_hx_f": wf[0], "dW_hh_f": wf[1], "db_h_b": wb[2]}
    arrays.update(dW_hx_b=wb[0], dW_hh_b=wb[1])
    mine = {"dx": dx, "dW_hx_f": grads_f[0], "dW_hh_f": grads_f[1]}
    mine.update(dW_hx_b=grads_b[0], dW_hh_b=grads_b[1], db_h_b=grads_b[2])
    for name, array in arrays.items():
        num = rnnlib.numerical_gradient(
            lambda _: bidirectional_loss(x, h0, wf, wb, dout, dh_n), array
        )
        label = f"{name} ({size}), against the numerical gradient"
        check_gradient(label, mine[name], num)


def _stack_mistakes(rnn, layers, x, h0, bidirectional, reference_layer):
    """(out mistakes, h_n mistakes) of stacked_forward, by explanation."""
    dirs, num_layers = (2 if bidirectional else 1), len(layers)
    first_out, _ = reference_layer(layers[:1], bidirectional).forward(
        x, None if h0 is None else h0[:dirs]
    )
    out_mistakes = {"the first layer's output: out is the top layer's": first_out}
    h_n_mistakes = {}
    if num_layers > 1 and h0 is not None:
        h0_first_only = h0.copy()
        h0_first_only[dirs:] = 0
        wrong_out, wrong_h_n = rnn.forward(x, h0_first_only)
        out_mistakes[H0_FIRST_ONLY] = wrong_out
        h_n_mistakes[H0_FIRST_ONLY] = wrong_h_n
    if bidirectional and num_layers > 1:
        _, expected_h_n = rnn.forward(x, h0)
        order = [d * num_layers + k for k in range(num_layers) for d in range(dirs)]
        h_n_mistakes[
            "h_n grouped by direction: PyTorch's order is by layer, then"
            " direction, h_n[layer * dirs + direction]"
        ] = expected_h_n[np.argsort(order)]
    return out_mistakes, h_n_mistakes


class Checks:
    """The checks of exercise 07, with the set-up cell's `random_direction`
    (test weights) and `reference_layer` (the rnnlib.RNN they compare with)."""

    def __init__(self, random_direction, reference_layer):
        self.random_direction = random_direction
        self.reference_layer = reference_layer

    def forward(self, bidirectional_forward, B, T, D, H, seed, with_h0=True):
        """Check bidirectional_forward on random data; returns its arguments."""
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((B, T, D))
        h0 = rng.standard_normal((2, B, H)) if with_h0 else None
        wf = self.random_direction(D, H, seed + 1)
        wb = self.random_direction(D, H, seed + 2)
        x_before = x.copy()
        out, h_n, cache = check_returns(
            "bidirectional_forward",
            bidirectional_forward(x, h0, wf, wb),
            ("out", "h_n", "cache"),
        )
        check_unchanged("x", x_before, x)
        reference = self.reference_layer([(wf, wb)], True)
        expected_out, expected_h_n = reference.forward(x, h0)
        mistakes = bidirectional_forward_mistakes(x, h0, wf, wb)
        size = f"B={B}, T={T}, D={D}, H={H}, h0={'given' if with_h0 else 'None'}"
        check_array(f"out ({size})", out, expected_out, mistakes=mistakes["out"])
        check_array(f"h_n ({size})", h_n, expected_h_n, mistakes=mistakes["h_n"])
        assert isinstance(cache, tuple | list) and len(cache) == 2, (
            "return cache = (cache_f, cache_b): the two caches rnn_forward returned"
        )
        return x, h0, wf, wb

    def backward(
        self, bidirectional_backward, B, T, D, H, seed, with_dh_n=True, numerical=False
    ):
        """Check bidirectional_backward on random data against the reference
        (and numerical gradients if `numerical`); returns its arguments."""
        rng = np.random.default_rng(seed)
        x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((2, B, H))
        wf = self.random_direction(D, H, seed + 1)
        wb = self.random_direction(D, H, seed + 2)
        dout = rng.standard_normal((B, T, 2 * H))
        dh_n = rng.standard_normal((2, B, H)) if with_dh_n else None
        cache = (
            rnnlib.rnn_forward(x, h0[0], *wf)[1],
            rnnlib.rnn_forward(x[:, ::-1], h0[1], *wb)[1],
        )
        dout_before = dout.copy()
        got = check_returns(
            "bidirectional_backward",
            bidirectional_backward(dout, dh_n, cache),
            ("dx", "dh0", "grads_f", "grads_b"),
        )
        check_unchanged("dout", dout_before, dout)
        grads_f = check_returns("grads_f", got[2], WEIGHTS)
        grads_b = check_returns("grads_b", got[3], WEIGHTS)
        rnn = self.reference_layer([(wf, wb)], True)
        rnn.forward(x, h0)
        dx, dh0 = rnn.backward(dout, dh_n)
        mistakes = bidirectional_backward_mistakes(dout, dh_n, x, h0, wf, wb)
        size = f"B={B}, T={T}, D={D}, H={H}"
        check_array(f"dx ({size})", got[0], dx, mistakes=mistakes["dx"], time_axis=1)
        check_array(f"dh0 ({size})", got[1], dh0, mistakes=mistakes["dh0"])
        for name, g in zip(WEIGHTS, grads_f, strict=True):
            label = f"{name} of the forward direction ({size})"
            check_array(label, g, rnn.grads[name[1:] + "_l0"])
        for name, g in zip(WEIGHTS, grads_b, strict=True):
            check_array(
                f"{name} of the reverse direction ({size})",
                g,
                rnn.grads[name[1:] + "_l0_reverse"],
                mistakes=mistakes[name + "_reverse"],
            )
        if numerical:
            got = (got[0], got[1], grads_f, grads_b)
            _check_numerically(x, h0, wf, wb, dout, dh_n, got, size)
        return dout, dh_n, cache

    def random_stack(self, D, H, num_layers, bidirectional, seed):
        """The weights of a random stack, as reference_layer takes them."""
        dirs = 2 if bidirectional else 1
        layers = []
        for k in range(num_layers):
            D_k = D if k == 0 else dirs * H
            seeds = [seed + 10 * k + d for d in range(dirs)]
            weights = [self.random_direction(D_k, H, s) for s in seeds]
            layers.append(tuple(weights) if bidirectional else weights[0])
        return layers

    def stacked(
        self, stacked_forward, B, T, D, H, num_layers, bidirectional, seed, with_h0=True
    ):
        """Check stacked_forward on a random stack; returns its arguments."""
        dirs = 2 if bidirectional else 1
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((B, T, D))
        h0 = rng.standard_normal((num_layers * dirs, B, H)) if with_h0 else None
        layers = self.random_stack(D, H, num_layers, bidirectional, seed)
        out, h_n = check_returns(
            "stacked_forward",
            stacked_forward(*copies(x, layers, h0, bidirectional)),
            ("out", "h_n"),
        )
        rnn = self.reference_layer(layers, bidirectional)
        expected_out, expected_h_n = rnn.forward(x, h0)
        out_mistakes, h_n_mistakes = _stack_mistakes(
            rnn, layers, x, h0, bidirectional, self.reference_layer
        )
        size = f"{num_layers} layers, {'bidirectional' if bidirectional else 'one-way'}"
        check_array(f"out ({size})", out, expected_out, mistakes=out_mistakes)
        check_array(f"h_n ({size})", h_n, expected_h_n, mistakes=h_n_mistakes)
        return x, layers, h0, bidirectional
