"""What the RNN and LSTM layers share: stacking layers and directions.

A recurrent layer is a one-direction recurrence (rnn.py, lstm.py) run

- over num_layers layers, layer k > 0 reading layer k-1's outputs, and
- with bidirectional=True, once more over the reversed sequence, the two
  directions' outputs concatenated along the feature axis,

with the layout of torch.nn.RNN / nn.LSTM (batch_first=True): the final
states are stacked as (num_layers * dirs, B, H), index layer * dirs + dir.

forward(..., mask=m) with m (B, T), 1 for real steps and 0 for padding,
makes every layer and direction carry its state over unchanged at padding
steps: padding changes no real step's output, whichever way it is read, and
the final states are those after each sequence's real steps (like PyTorch's
pack_padded_sequence).

The RNN and the GRU, whose one state is h, share `HiddenStateLayer` below.
A subclass names its weights (`weight_names`) and its states (`state_names`:
("h0",) for the RNN, ("h0", "c0") for the LSTM) and implements
`init_weights`, and, on time-major arrays (T, B, ·), `direction_forward`
and `direction_backward` by calling its fast path in rnnlib/kernels/, and
`textbook_forward` and `textbook_backward` by calling the textbook loops
(`rnn_forward`, `lstm_forward`, `gru_forward` and their backward passes).

Both run the same math; the layer runs the kernels unless built with
`textbook=True` (or given `layer.textbook = True` later), and
tests/test_kernels.py checks that both give the same numbers to 1e-12.
"""

import numpy as np

from .checks import (
    as_finite_array,
    as_float_array,
    check_mask,
    check_positive_int,
    check_sequence,
    check_shape,
)
from .init import as_rng


def time_steps(T, reverse=False):
    """The order in which a recurrence reads the steps: 0 … T-1, or T-1 … 0."""
    return range(T - 1, -1, -1) if reverse else range(T)


def padding_keep(mask, B, T):
    """A padding mask (B, T) as bools (B, T, 1), True at real steps, or None.

    At a step where it is False, the textbook loops (`rnn_forward`,
    `lstm_forward`, `gru_forward`) carry every state over unchanged,
    h_t = h_{t-1}, and their backward passes send dL/dh_t straight on to
    h_{t-1}: padding reaches no real step, whichever way the sequence is read.
    """
    mask = check_mask("mask", mask, (B, T))
    return None if mask is None else (mask == 1)[:, :, None]


class RecurrentLayer:
    weight_names = ()
    state_names = ()

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bidirectional=False,
        seed=None,
        dtype=np.float64,
        textbook=False,
    ):
        check_positive_int("input_size", input_size)
        check_positive_int("hidden_size", hidden_size)
        check_positive_int("num_layers", num_layers)
        if not isinstance(bidirectional, (bool, np.bool_)):
            raise TypeError(
                f"bidirectional must be True or False; got {bidirectional!r}"
            )
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64; got {self.dtype}")
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bidirectional = bool(bidirectional)
        self.num_directions = 2 if bidirectional else 1
        if not isinstance(textbook, (bool, np.bool_)):
            raise TypeError(f"textbook must be True or False; got {textbook!r}")
        # True: run the textbook loops (rnn_forward, ...) instead of the kernels
        self.textbook = bool(textbook)
        rng = as_rng(seed)
        self.params = {}
        for layer in range(self.num_layers):
            layer_input = (
                input_size if layer == 0 else hidden_size * self.num_directions
            )
            for suffix in self.suffixes:
                for name, value in self.init_weights(layer_input, rng).items():
                    self.params[f"{name}_l{layer}{suffix}"] = value
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._caches = None

    @property
    def suffixes(self):
        return ("", "_reverse")[: self.num_directions]

    def keys(self, layer, suffix):
        """Parameter keys of one layer and direction, in `weight_names` order."""
        return [f"{name}_l{layer}{suffix}" for name in self.weight_names]

    def zero_grad(self):
        for g in self.grads.values():
            g.fill(0)

    def __repr__(self):
        return (
            f"{type(self).__name__}(input_size={self.input_size}, "
            f"hidden_size={self.hidden_size}, num_layers={self.num_layers}, "
            f"bidirectional={self.bidirectional})"
        )

    # -- subclass hooks --------------------------------------------------------
    def init_weights(self, input_size, rng):  # pragma: no cover - abstract
        raise NotImplementedError

    def direction_forward(self, x_tm, state0, weights, reverse, skip, reuse):
        raise NotImplementedError  # pragma: no cover

    def direction_backward(self, dout_tm, dstate_last, cache):  # pragma: no cover
        raise NotImplementedError

    def textbook_forward(self, x_tm, state0, weights, reverse, mask):
        raise NotImplementedError  # pragma: no cover

    def textbook_backward(self, dout_tm, dstate_last, cache):  # pragma: no cover
        raise NotImplementedError

    # -- the stacking ------------------------------------------------------------
    def _check_input(self, x):
        return check_sequence("x", x, self.input_size, "input_size")

    def _check_state(self, name, s, B, dtype):
        """A (num_layers*dirs, B, H) state, or zeros for None."""
        L, H = self.num_layers * self.num_directions, self.hidden_size
        if s is None:
            return np.zeros((L, B, H), dtype=dtype)
        note = f"with num_layers*dirs = {L}, B = {B}, H = {H}"
        s = as_finite_array(name, s, (L, B, H), "(num_layers*dirs, B, H)", note)
        return s.astype(dtype, copy=False)

    def run_forward(self, x, states, mask=None):
        """Run every layer and direction; return out (B, T, dirs*H) and the
        final states, a tuple of (num_layers*dirs, B, H) arrays.  Where the
        mask (B, T) is 0, every layer carries its states over unchanged."""
        x = self._check_input(x)
        dtype = x.dtype  # float32 in, float32 out
        states = [
            self._check_state(name, s, x.shape[0], dtype)
            for name, s in zip(self.state_names, states, strict=True)
        ]
        mask = check_mask("mask", mask, x.shape[:2])
        skip = None if mask is None else (mask.T == 0)[:, :, None]  # (T, B, 1)
        layer_input = np.ascontiguousarray(x.transpose(1, 0, 2))
        finals = [[] for _ in self.state_names]
        # the previous call's caches, which nothing needs any more: the
        # kernels write over their internal arrays (kernels/buffers.py)
        previous, self._caches = self._caches or [], []
        self._ran_textbook = self.textbook
        if self.textbook:
            previous = []  # the textbook caches hold no buffers to reuse
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(self.suffixes):
                index = layer * self.num_directions + direction
                weights = [
                    self.params[k].astype(dtype, copy=False)
                    for k in self.keys(layer, suffix)
                ]
                state0 = tuple(s[index] for s in states)
                reuse = previous[index] if index < len(previous) else None
                if self.textbook:
                    out_tm, final, cache = self.textbook_forward(
                        layer_input, state0, weights, direction == 1, mask
                    )
                else:
                    out_tm, final, cache = self.direction_forward(
                        layer_input, state0, weights, direction == 1, skip, reuse
                    )
                outputs.append(out_tm)
                self._caches.append(cache)
                for f, value in zip(finals, final, strict=True):
                    f.append(value)
            layer_input = (
                outputs[0] if len(outputs) == 1 else np.concatenate(outputs, 2)
            )
        self._shape = x.shape
        return layer_input.transpose(1, 0, 2), tuple(np.stack(f) for f in finals)

    def run_backward(self, dout, dstates):
        """Backward through every layer and direction, top to bottom.

        dout (B, T, dirs*H); dstates a tuple like the final states (entries
        may be None).  Fills self.grads; returns dx (B, T, D) and the
        gradients of the initial states.
        """
        if self._caches is None:
            raise RuntimeError("call forward before backward")
        B, T, _ = self._shape
        H, dirs = self.hidden_size, self.num_directions
        dout = as_float_array("dout", dout)
        check_shape("dout", dout, (B, T, dirs * H), "(B, T, dirs*H)", "like out")
        dstates = [
            None if d is None else self._check_state(f"d{name[0]}_n", d, B, dout.dtype)
            for name, d in zip(self.state_names, dstates, strict=True)
        ]
        d_above = dout.transpose(1, 0, 2)  # (T, B, dirs*H), a view
        dstate0 = [[None] * (self.num_layers * dirs) for _ in self.state_names]
        for layer in reversed(range(self.num_layers)):
            d_below = None
            for direction, suffix in enumerate(self.suffixes):
                index = layer * dirs + direction
                dlast = tuple(None if d is None else d[index] for d in dstates)
                backward = (
                    self.textbook_backward
                    if self._ran_textbook
                    else self.direction_backward
                )
                dx_tm, d0, dweights = backward(
                    d_above[:, :, direction * H : (direction + 1) * H],
                    dlast,
                    self._caches[index],
                )
                for key, g in zip(self.keys(layer, suffix), dweights, strict=True):
                    self.grads[key] = g.astype(self.params[key].dtype, copy=False)
                for slot, value in zip(dstate0, d0, strict=True):
                    slot[index] = value
                d_below = dx_tm if d_below is None else d_below + dx_tm
            d_above = d_below
        dx = d_above.transpose(1, 0, 2)
        return dx, tuple(np.stack(s) for s in dstate0)


class HiddenStateLayer(RecurrentLayer):
    """A recurrent layer whose one state is h: the RNN and the GRU (the LSTM
    carries c as well).  A subclass names its fast path (rnnlib/kernels/):
    `kernel_forward(x_tm, h0, weights, reverse, skip, reuse) -> h, cache` and
    `kernel_backward(dh_tm, cache, dh_last) -> dx, dh0, *dweights`."""

    state_names = ("h0",)

    def kernel_forward(self, x_tm, h0, weights, reverse, skip, reuse):
        raise NotImplementedError  # pragma: no cover

    def kernel_backward(self, dh_tm, cache, dh_last):  # pragma: no cover
        raise NotImplementedError

    def direction_forward(self, x_tm, state0, weights, reverse, skip, reuse):
        (h0,) = state0
        h, cache = self.kernel_forward(x_tm, h0, weights, reverse, skip, reuse)
        return h, (h[0] if reverse else h[-1],), cache

    def direction_backward(self, dh_tm, dstate_last, cache):
        (dh_last,) = dstate_last
        dx, dh0, *dweights = self.kernel_backward(dh_tm, cache, dh_last)
        return dx, (dh0,), dweights

    # the textbook loops: loop_forward(x, h0, weights, reverse, mask) -> h, cache
    # (batch-first, e.g. rnn_forward) and loop_backward(dh, cache) -> dx, dh0, *dweights
    def loop_forward(self, x, h0, weights, reverse, mask):
        raise NotImplementedError  # pragma: no cover

    def loop_backward(self, dh, cache):  # pragma: no cover
        raise NotImplementedError

    def textbook_forward(self, x_tm, state0, weights, reverse, mask):
        (h0,) = state0
        h, cache = self.loop_forward(
            x_tm.transpose(1, 0, 2), h0, weights, reverse, mask
        )
        # padding carries the state over, so the last step read holds h_n
        return h.transpose(1, 0, 2), (h[:, 0] if reverse else h[:, -1],), cache

    def textbook_backward(self, dh_tm, dstate_last, cache):
        (dh_last,) = dstate_last
        dh = dh_tm.transpose(1, 0, 2).copy()
        if dh_last is not None:
            dh[:, 0 if cache.reverse else -1] += dh_last  # h_n is the last h read
        dx, dh0, *dweights = self.loop_backward(dh, cache)
        return dx.transpose(1, 0, 2), (dh0,), dweights

    def forward(self, x, h0=None, mask=None):
        """x (B, T, D), h0 (num_layers*dirs, B, H) or None for zeros.

        Returns out (B, T, dirs*H), the top layer's hidden states, and
        h_n (num_layers*dirs, B, H), every layer's and direction's last state.

        mask (B, T), optional: 1 for a real step, 0 for padding.  At a
        padding step every state is carried over unchanged, so padding
        (anywhere, read in either direction) changes no real step's output,
        and h_n holds each sequence's state after its last real step (for
        the reverse direction: after its first).  This is what PyTorch's
        pack_padded_sequence gives; out at padding steps repeats the state.
        """
        out, (h_n,) = self.run_forward(x, (h0,), mask)
        return out, h_n

    def backward(self, dout, dh_n=None):
        """dout (B, T, dirs*H) = dL/dout; dh_n like h_n, or None.

        Fills self.grads (same keys as self.params) and returns
        dx (B, T, D) and dh0 (num_layers*dirs, B, H).
        """
        dx, (dh0,) = self.run_backward(dout, (dh_n,))
        return dx, dh0
