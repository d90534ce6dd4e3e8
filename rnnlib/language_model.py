"""A character-level language model and its count-based baselines.

Names (or any text) are sequences of token ids that begin and end with a
boundary token (id 0, "." in `rnnlib/datasets/names.py`).  A language
model gives every token after the first a probability from the ones before
it, and is judged by its negative log-likelihood per character (nats):

    NLL = -(1/N) sum_{names} sum_{t >= 2} log p(w_t | w_1 … w_{t-1})

over the N predicted tokens (every letter and the closing boundary).

`CharNGram` counts: p(w_t | the n-1 tokens before) with add-α smoothing,

    p(c | ctx) = (count(ctx, c) + α) / (count(ctx) + α V),

the context padded with boundaries before the start (a trigram predicts
the first letter from "..").  `CharLanguageModel` learns:

    x_t = E[w_t]                               Embedding (V, E)
    h_t = cell(x_t, h_{t-1})                   RNN, LSTM or GRU (H)
    y_t = W_yh h_t + b_y                       Dense (V, H)
    p(w_{t+1} | w_1 … w_t) = softmax(y_t)

trained with teacher forcing (read ids[:, :-1], predict ids[:, 1:]) and a
mask for the padding; `sample` feeds its own draws back in until it draws
the boundary.
"""

import numpy as np

from .checks import check_choice, check_mask, check_positive_int
from .datasets.padding import pad_sequences
from .generator import _check_temperature, check_token_ids, sample_from_logits
from .gru import GRU
from .init import as_rng
from .layers import Composite, Dense, Embedding
from .losses import softmax_cross_entropy
from .lstm import LSTM
from .rnn import RNN

CELLS = ("rnn", "lstm", "gru")


def _check_sequences(sequences, vocab_size):
    if isinstance(sequences, np.ndarray) or len(sequences) == 0:
        raise ValueError("sequences must be a non-empty list of 1-D id arrays")
    checked = [check_token_ids("sequence", s, vocab_size, 1, "(T,)") for s in sequences]
    for s in checked:
        if len(s) < 2:
            raise ValueError(
                f"every sequence must hold at least 2 tokens; got {len(s)}"
            )
    return checked


class CharNGram:
    """Add-α n-gram model over tokens: order 1 (unigram), 2 (bigram), 3 …

        model = CharNGram(vocab_size=27, order=3, alpha=0.1).fit(train_ids)
        model.nll_per_char(valid_ids)        nats per predicted token
        model.sample(10, temperature=1.0, rng=0)

    `counts` has shape (V,) * order: counts[a, b, c] is how often c followed
    the context (a, b) in the training sequences.  `boundary` is the id that
    starts and ends every sequence (0).
    """

    def __init__(self, vocab_size, order=2, alpha=1.0, boundary=0):
        check_positive_int("vocab_size", vocab_size)
        check_positive_int("order", order)
        if not np.isscalar(alpha) or not alpha > 0:
            raise ValueError(f"alpha must be a number > 0; got {alpha!r}")
        self.vocab_size, self.order, self.alpha = int(vocab_size), order, float(alpha)
        self.boundary = int(boundary)
        self.counts = None

    def __repr__(self):
        return f"CharNGram(order={self.order}, alpha={self.alpha:g})"

    def _windows(self, s):
        """(len(s) - 1, order) windows: n-1 context tokens, then the target.

        s starts with the boundary; before it, the context is filled with
        more boundaries (a trigram reads ". ." before the first letter).
        """
        if self.order == 1:
            return s[1:, None]
        pad = np.full(self.order - 2, self.boundary, dtype=np.int64)
        padded = np.concatenate([pad, s])
        return np.lib.stride_tricks.sliding_window_view(padded, self.order)

    def fit(self, sequences):
        """Count the windows of the training sequences; returns self."""
        V = self.vocab_size
        counts = np.zeros((V,) * self.order)
        for s in _check_sequences(sequences, V):
            np.add.at(counts, tuple(self._windows(s).T), 1)
        self.counts = counts
        return self

    def _check_fitted(self):
        if self.counts is None:
            raise RuntimeError("call fit before using the model")

    def log_probs(self):
        """log p(c | ctx), an array like counts, summing to 1 over the last axis."""
        self._check_fitted()
        a, V = self.alpha, self.vocab_size
        total = self.counts.sum(axis=-1, keepdims=True)
        return np.log(self.counts + a) - np.log(total + a * V)

    def nll_per_char(self, sequences):
        """Mean -log p in nats over every predicted token (tokens 2 … T)."""
        logp = self.log_probs()
        total, count = 0.0, 0
        for s in _check_sequences(sequences, self.vocab_size):
            total -= logp[tuple(self._windows(s).T)].sum()
            count += len(s) - 1
        return total / count

    def sample(self, n, temperature=1.0, rng=None, max_len=30):
        """n sequences drawn token by token, each from the boundary until the
        boundary comes again (or max_len tokens after the start).
        Returns a list of n id arrays, starting with the boundary."""
        check_positive_int("n", n)
        check_positive_int("max_len", max_len)
        temperature = _check_temperature(temperature)
        rng = as_rng(rng)
        logp = self.log_probs()
        context = np.full((n, self.order - 1), self.boundary, dtype=np.int64)
        draws = []
        for _ in range(max_len):
            scores = logp[tuple(context.T)] if self.order > 1 else np.tile(logp, (n, 1))
            token = sample_from_logits(scores, temperature, rng)
            draws.append(token)
            context = np.concatenate([context[:, 1:], token[:, None]], axis=1)
        return _cut_at_boundary(np.stack(draws, axis=1), self.boundary)


def _cut_at_boundary(draws, boundary):
    """draws (n, L) -> n arrays: the boundary, then the draws up to and with
    the first boundary (or all L draws if none)."""
    out = []
    for row in draws:
        stops = np.flatnonzero(row == boundary)
        end = stops[0] + 1 if stops.size else len(row)
        out.append(np.concatenate([[boundary], row[:end]]).astype(np.int64))
    return out


def recurrent_layer(cell, input_size, hidden_size, seed=None, dtype=np.float64):
    """An RNN, LSTM or GRU layer (cell "rnn", "lstm" or "gru"), one layer."""
    check_choice("cell", cell, CELLS)
    if cell == "rnn":
        return RNN(input_size, hidden_size, seed=seed, dtype=dtype)
    if cell == "lstm":
        return LSTM(input_size, hidden_size, seed=seed, dtype=dtype)
    return GRU(input_size, hidden_size, seed=seed, dtype=dtype)


class CharLanguageModel(Composite):
    """Embedding -> RNN/LSTM/GRU -> Dense: a next-character model.

        model = CharLanguageModel(27, embed_dim=16, hidden_size=64, cell="lstm", seed=0)
        logits, state = model.forward(ids)      ids (B, T) -> logits (B, T, V)
        model.backward(dlogits)                 fills model.grads
        loss = model.loss_and_grads(ids, mask)  teacher forcing, forward + backward
        model.nll_per_char(sequences)           nats per predicted character
        model.sample(10, temperature=0.8, rng=0)

    params/grads keys: "embedding.W" (V, E), "rnn.<layer keys>" (e.g.
    "rnn.W_hx_l0" for the RNN, "rnn.W_x_l0" for the LSTM and the GRU),
    "output.W" (V, H), "output.b" (V,).  `state` is what the recurrent layer
    returns: h_n (1, B, H), or (h_n, c_n) for the LSTM.
    """

    def __init__(
        self,
        vocab_size,
        embed_dim=16,
        hidden_size=64,
        cell="rnn",
        boundary=0,
        seed=None,
        dtype=np.float64,
    ):
        check_positive_int("vocab_size", vocab_size)
        rng = as_rng(seed)
        self.vocab_size, self.cell, self.boundary = int(vocab_size), cell, boundary
        self.embedding = Embedding(vocab_size, embed_dim, seed=rng, dtype=dtype)
        self.rnn = recurrent_layer(cell, embed_dim, hidden_size, seed=rng, dtype=dtype)
        self.output = Dense(hidden_size, vocab_size, seed=rng, dtype=dtype)
        self.layers = {
            "embedding": self.embedding,
            "rnn": self.rnn,
            "output": self.output,
        }
        self._forwarded = False

    def __repr__(self):
        return (
            f"CharLanguageModel(vocab_size={self.vocab_size}, "
            f"embed_dim={self.embedding.params['W'].shape[1]}, "
            f"hidden_size={self.rnn.hidden_size}, cell={self.cell!r})"
        )

    def forward(self, ids, state=None):
        """ids (B, T) token ids; state from a previous call, or None for zeros.

        Returns logits (B, T, V), the scores of the next token after each
        step, and the final state of the recurrent layer.
        """
        ids = check_token_ids("ids", ids, self.vocab_size)
        if ids.shape[1] == 0:
            raise ValueError(f"ids must hold at least one time step; got {ids.shape}")
        h, state = self.rnn.forward(self.embedding.forward(ids), state)
        logits = self.output.forward(h)
        self._forwarded = True
        return logits, state

    def hidden_states(self, ids):
        """The recurrent layer's outputs h (B, T, H) for ids (B, T)."""
        ids = check_token_ids("ids", ids, self.vocab_size)
        h, _ = self.rnn.forward(self.embedding.forward(ids))
        return h

    def backward(self, dlogits):
        """dlogits (B, T, V) = dL/dlogits: backpropagates through Dense, the
        recurrent layer (BPTT) and the Embedding, and fills self.grads."""
        if not self._forwarded:
            raise RuntimeError("call forward before backward")
        dh = self.output.backward(dlogits)
        dx, _ = self.rnn.backward(dh)
        self.embedding.backward(dx)

    def loss_and_grads(self, ids, mask=None):
        """Teacher forcing: read ids[:, :-1], predict ids[:, 1:].

        ids (B, T), T >= 2; mask (B, T) from the padding, 1 for real tokens
        (a prediction counts when the token it predicts is real).  Returns
        the loss, the cross-entropy summed over steps and averaged over the
        batch (as softmax_cross_entropy), and fills self.grads.
        """
        ids = check_token_ids("ids", ids, self.vocab_size)
        if ids.shape[1] < 2:
            raise ValueError(f"ids must hold at least 2 time steps; got {ids.shape}")
        mask = check_mask("mask", mask, ids.shape)
        logits, _ = self.forward(ids[:, :-1])
        loss, dlogits = softmax_cross_entropy(
            logits, ids[:, 1:], None if mask is None else mask[:, 1:]
        )
        self.backward(dlogits)
        return loss

    def nll_per_char(self, sequences, batch_size=512):
        """Mean -log p in nats over every predicted token of `sequences`
        (a list of 1-D id arrays; tokens 2 … T of each are predicted)."""
        sequences = _check_sequences(sequences, self.vocab_size)
        check_positive_int("batch_size", batch_size)
        total, count = 0.0, 0.0
        for i in range(0, len(sequences), batch_size):
            ids, mask = pad_sequences(sequences[i : i + batch_size], dtype=np.int64)
            logits, _ = self.forward(ids[:, :-1])
            loss, _ = softmax_cross_entropy(logits, ids[:, 1:], mask[:, 1:])
            total += loss * len(ids)
            count += mask[:, 1:].sum()
        return total / count

    def sample(self, n, temperature=1.0, rng=None, max_len=30):
        """n sequences, generated together: from the boundary, draw each next
        token from softmax(logits / temperature) and feed it back in, until
        the boundary is drawn (or after max_len tokens).  temperature 0 takes
        the most likely token.  Returns a list of n id arrays that start with
        the boundary."""
        check_positive_int("n", n)
        check_positive_int("max_len", max_len)
        temperature = _check_temperature(temperature)
        rng = as_rng(rng)
        token = np.full((n, 1), self.boundary, dtype=np.int64)
        state, draws, done = None, [], np.zeros(n, dtype=bool)
        for _ in range(max_len):
            logits, state = self.forward(token, state)
            token = sample_from_logits(logits[:, 0], temperature, rng)[:, None]
            draws.append(token[:, 0])
            done |= token[:, 0] == self.boundary
            if done.all():
                break
        self._forwarded = False  # the caches are those of one step
        return _cut_at_boundary(np.stack(draws, axis=1), self.boundary)
