"""Architecture models built from the layers: many-to-many and many-to-one.

Each model is a few layers in a row, each owning its parameters:

    [Embedding]  ->  RNN or LSTM (num_layers, bidirectional)  ->  Dense head

    SequenceLabeler     many-to-many, equal lengths: one prediction per step,
                        logits_t = W_yh h_t + b_y              (B, T, C)
    SequenceClassifier  many-to-one: one prediction per sequence, from the
                        last hidden state, logits = W_yh h_T + b_y   (B, C);
                        bidirectional: h = [forward h_T ; backward h_1], the
                        top layer's h_n
    BagOfWordsClassifier  the order-blind baseline: logistic regression on
                        word counts, logits = W c + b            (B, C)

Inputs are float vectors x (B, T, D), or integer token ids (B, T) when the
model is built with `vocab_size=V` (an `Embedding(V, input_size)` comes
first).  Targets are integer class ids: y (B, T) for the labeler, y (B,)
for the classifiers.  A mask (B, T), 1 for real steps and 0 for padding
(see `rnnlib.datasets.pad_sequences`), makes padded steps not count.

The API is the same for every model (the notebooks and `fit` rely on it):

    model = SequenceLabeler(input_size, hidden_size, num_classes,
                            num_layers=1, bidirectional=False, cell="rnn",
                            vocab_size=None, activation="tanh",
                            forget_bias=1.0, seed=0)
    # activation: the RNN's tanh/relu; forget_bias: the LSTM's, see lstm.py
    logits = model.forward(x, mask=None)
    model.backward(dlogits)            # fills the layers' grads
    loss, grads = model.loss(x, y, mask=None)   # forward + backward
    model.params, model.grads          # flat dicts, same keys
    model.predict(x), model.predict_proba(x), model.accuracy(x, y, mask=None)

`params` and `grads` are flat dicts with prefixed keys, "embed.W",
"rnn.W_hx_l0", "rnn.W_hh_l0_reverse", …, "head.W", "head.b"; their values
*are* the layers' arrays (not copies), so an optimiser built on
`model.params` updates the layers in place.  `grads` is read after a
backward pass (it is rebuilt at every access, as the layers replace their
gradient arrays).

    history = fit(model, (x, y, mask), epochs=5, batch_size=64, lr=1e-2,
                  clip=5.0, seed=0)   # rnnlib/train.py: Adam by default

`cell="lstm"` uses `rnnlib.lstm.LSTM` (same layer API, its state is
(h, c)), `cell="gru"` `rnnlib.gru.GRU`: the one registry of cells is
`CELLS` in rnnlib/cells.py.

Padding: the mask also goes to the recurrent layer, where a padding step
carries every state over unchanged (see `RNN.forward`).  So padding changes
no real step's hidden state, in either direction: a bidirectional model
gives each sequence the same answer padded or alone.
"""

import numpy as np

from .activations import softmax
from .cells import CELLS, recurrent_layer
from .checks import (
    check_choice,
    check_input,
    check_mask,
    check_positive_int,
    right_padded_lengths,
)
from .init import as_rng
from .layers import Composite, Dense, Embedding
from .losses import softmax_cross_entropy

# `fit` and `per_token_means` live in rnnlib/train.py; `models.fit` and
# `models.per_token_means` stay importable from here for existing code
from .train import fit, per_token_means  # noqa: F401


def _check_targets(y, shape, layout):
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer class ids; got dtype {y.dtype}")
    if y.shape != tuple(shape):
        raise ValueError(f"y must have shape {layout} = {tuple(shape)}; got {y.shape}")
    return y


class _RecurrentModel(Composite):
    """What the models share: [Embedding] -> recurrent layer -> Dense head."""

    def __init__(
        self,
        input_size,
        hidden_size,
        num_classes,
        num_layers=1,
        bidirectional=False,
        cell="rnn",
        vocab_size=None,
        activation="tanh",
        forget_bias=1.0,
        seed=None,
        dtype=np.float64,
    ):
        check_choice("cell", cell, tuple(CELLS))
        check_positive_int("num_classes", num_classes)
        rng = as_rng(seed)
        self.cell = cell
        self.vocab_size = vocab_size
        self.input_size = input_size
        self.embed = None
        if vocab_size is not None:
            check_positive_int("vocab_size", vocab_size)
            self.embed = Embedding(vocab_size, input_size, seed=rng, dtype=dtype)
        # activation is the RNN's (tanh/relu); forget_bias the LSTM's (see lstm.py)
        self.rnn = recurrent_layer(
            cell,
            input_size,
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            activation=activation,
            forget_bias=forget_bias,
            seed=rng,
            dtype=dtype,
        )
        self.hidden_size = hidden_size
        self.num_directions = self.rnn.num_directions
        self.head = Dense(
            self.num_directions * hidden_size, num_classes, seed=rng, dtype=dtype
        )
        self.num_classes = num_classes

    def __repr__(self):
        return (
            f"{type(self).__name__}(input_size={self.input_size}, "
            f"hidden_size={self.hidden_size}, num_classes={self.num_classes}, "
            f"num_layers={self.rnn.num_layers}, bidirectional={self.rnn.bidirectional}, "
            f"cell={self.cell!r}, vocab_size={self.vocab_size})"
        )

    @property
    def layers(self):
        """{prefix: layer}, input to output (see `Composite`)."""
        named = {"embed": self.embed, "rnn": self.rnn, "head": self.head}
        return {k: v for k, v in named.items() if v is not None}

    def _check_x(self, x):
        if self.embed is not None:
            x = np.asarray(x)
            if x.dtype.kind not in "iu":
                raise TypeError(
                    f"x must hold integer token ids (B, T) for a model with vocab_size="
                    f"{self.vocab_size}; got dtype {x.dtype}"
                )
            if x.ndim != 2:
                raise ValueError(
                    f"x must have shape (B, T) of token ids; got {x.shape}"
                )
            return x
        return check_input("x", x, "(B, T, D)", self.input_size, "input_size")

    def _encode(self, x, mask=None):
        """x -> out (B, T, dirs*H), the top layer's hidden states; padding
        steps (mask 0) carry the states over."""
        x = self._check_x(x)
        e = self.embed.forward(x) if self.embed is not None else x
        out, _ = self.rnn.forward(e, mask=mask)
        return out

    def _encode_backward(self, dout):
        de, _ = self.rnn.backward(dout)
        if self.embed is not None:
            self.embed.backward(de)

    def predict_proba(self, x, mask=None):
        """Softmax of the logits: class probabilities."""
        return softmax(self.forward(x, mask))

    def predict(self, x, mask=None):
        """The most probable class (argmax of the logits)."""
        return self.forward(x, mask).argmax(axis=-1)


class SequenceLabeler(_RecurrentModel):
    """Many-to-many, equal lengths: a class for every time step.

        h_1..h_T = RNN(x_1..x_T)        (B, T, dirs*H)
        logits_t = W_yh h_t + b_y       (B, T, C), the same head at every step

    Trained with per-step softmax cross-entropy, summed over the (unmasked)
    steps and averaged over the batch.  See the module docstring for the
    constructor and the shared API.
    """

    def forward(self, x, mask=None):
        """x (B, T, D) floats or (B, T) token ids; mask (B, T) optional
        -> logits (B, T, C)."""
        return self.head.forward(self._encode(x, mask))

    def backward(self, dlogits):
        """dlogits (B, T, C) = dL/dlogits; fills every layer's grads."""
        self._encode_backward(self.head.backward(dlogits))

    def loss(self, x, y, mask=None):
        """Per-step cross-entropy of y (B, T) ints; mask (B, T) optional.

        Returns (loss, grads): runs forward and backward.
        """
        logits = self.forward(x, mask)
        y = _check_targets(y, logits.shape[:2], "(B, T)")
        mask = check_mask("mask", mask, logits.shape[:2])
        loss, dlogits = softmax_cross_entropy(logits, y, mask)
        self.backward(dlogits)
        return loss, self.grads

    def accuracy(self, x, y, mask=None):
        """Fraction of (unmasked) steps whose predicted class equals y."""
        pred = self.predict(x, mask)
        y = _check_targets(y, pred.shape, "(B, T)")
        right = (pred == y).astype(np.float64)
        mask = check_mask("mask", mask, pred.shape)
        if mask is None:
            return float(right.mean())
        return float((right * mask).sum() / mask.sum())


class SequenceClassifier(_RecurrentModel):
    """Many-to-one: one class per sequence, from the last hidden state.

        h_1..h_T = RNN(x_1..x_T)
        logits   = W_yh h_T + b_y                           (B, C)

    Bidirectional: the summary is [forward h_T ; backward h_1], the two
    directions' final states, i.e. the top layer's h_n.  With a mask (B, T)
    (ones then zeros), the forward direction is read at each sequence's
    last real step, and the padding changes neither direction.
    """

    def _lengths(self, mask, B, T):
        if mask is None:
            return np.full(B, T)
        return right_padded_lengths("mask", check_mask("mask", mask, (B, T)))

    def summarize(self, x, mask=None):
        """The sequence representation (B, dirs*H): the last hidden state."""
        out = self._encode(x, mask)
        B, T, _ = out.shape
        H = self.hidden_size
        lengths = self._lengths(mask, B, T)
        rows = np.arange(B)
        summary = out[rows, lengths - 1].copy()
        if self.num_directions == 2:
            summary[:, H:] = out[:, 0, H:]  # the reverse direction ends at t = 1
        self._summary_cache = (out.shape, lengths)
        return summary

    def forward(self, x, mask=None):
        """x (B, T, D) floats or (B, T) ids; mask (B, T) optional -> logits (B, C)."""
        return self.head.forward(self.summarize(x, mask))

    def backward(self, dlogits):
        """dlogits (B, C) = dL/dlogits; fills every layer's grads."""
        dsummary = self.head.backward(dlogits)
        shape, lengths = self._summary_cache
        H = self.hidden_size
        dout = np.zeros(shape, dtype=dsummary.dtype)
        rows = np.arange(shape[0])
        dout[rows, lengths - 1, :H] = dsummary[:, :H]
        if self.num_directions == 2:
            dout[:, 0, H:] = dsummary[:, H:]
        self._encode_backward(dout)

    def loss(self, x, y, mask=None):
        """Cross-entropy of y (B,) ints; mask (B, T) marks the real steps.

        Returns (loss, grads): runs forward and backward.
        """
        logits = self.forward(x, mask)
        y = _check_targets(y, logits.shape[:1], "(B,)")
        loss, dlogits = softmax_cross_entropy(logits, y)
        self.backward(dlogits)
        return loss, self.grads

    def accuracy(self, x, y, mask=None):
        """Fraction of sequences whose predicted class equals y."""
        pred = self.predict(x, mask)
        y = _check_targets(y, pred.shape, "(B,)")
        return float((pred == y).mean())

    def readout_steps(self, x):
        """What the classifier would answer if each sequence stopped at step t.

        The head applied to every hidden state h_t: probabilities (B, T, C).
        This is how the hidden state moves as a sequence is read.  Only for
        unidirectional models (a reverse state at t has seen the future).
        """
        if self.num_directions != 1:
            raise ValueError(
                "readout_steps needs a unidirectional model (bidirectional=False)"
            )
        out = self._encode(x)
        return softmax(self.head.forward(out))

    def hidden_states(self, x):
        """The top layer's hidden states h_1..h_T, (B, T, dirs*H)."""
        return self._encode(x)


class BagOfWordsClassifier(Composite):
    """The order-blind baseline: logistic regression on word counts.

        c_v = number of times token v occurs in the (unmasked) sequence
        logits = W c + b        W (C, V), b (C,)

    "good but boring" and "boring but good" have the same counts, so this
    model cannot tell them apart; nor "not good" from "good ... not".
    Same API as the recurrent models: forward(ids, mask=None), backward,
    loss, params ("head.W", "head.b"), grads, predict, accuracy.
    """

    def __init__(self, vocab_size, num_classes, seed=None, dtype=np.float64):
        check_positive_int("vocab_size", vocab_size)
        self.vocab_size = vocab_size
        self.num_classes = num_classes
        self.head = Dense(vocab_size, num_classes, seed=seed, dtype=dtype)
        self.layers = {"head": self.head}

    def __repr__(self):
        return f"BagOfWordsClassifier(vocab_size={self.vocab_size}, num_classes={self.num_classes})"

    def counts(self, x, mask=None):
        """Token ids (B, T) -> counts (B, V)."""
        x = np.asarray(x)
        if x.dtype.kind not in "iu" or x.ndim != 2:
            raise ValueError(
                f"x must be integer token ids of shape (B, T); got {x.dtype} {x.shape}"
            )
        if x.size and (x.min() < 0 or x.max() >= self.vocab_size):
            raise ValueError(f"x must lie in [0, V) with V = {self.vocab_size}")
        B, T = x.shape
        weights = np.ones((B, T)) if mask is None else check_mask("mask", mask, (B, T))
        c = np.zeros((B, self.vocab_size))
        np.add.at(c, (np.repeat(np.arange(B), T), x.ravel()), weights.ravel())
        return c

    def forward(self, x, mask=None):
        return self.head.forward(self.counts(x, mask))

    def backward(self, dlogits):
        self.head.backward(dlogits)

    def loss(self, x, y, mask=None):
        logits = self.forward(x, mask)
        y = _check_targets(y, logits.shape[:1], "(B,)")
        loss, dlogits = softmax_cross_entropy(logits, y)
        self.backward(dlogits)
        return loss, self.grads

    def predict_proba(self, x, mask=None):
        return softmax(self.forward(x, mask))

    def predict(self, x, mask=None):
        return self.forward(x, mask).argmax(axis=-1)

    def accuracy(self, x, y, mask=None):
        pred = self.predict(x, mask)
        y = _check_targets(y, pred.shape, "(B,)")
        return float((pred == y).mean())
