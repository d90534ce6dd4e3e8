"""One-to-many: a token-level RNN language model that writes sequences.

`SequenceGenerator` reads a sequence of token ids (notes of a melody,
characters of a text) and, at every step, scores the token that comes next:

    x_t = E[w_t]                                     Embedding  (V, E)
    h_t = tanh(W_hx x_t + W_hh h_{t-1} + b_h)         RNN
    y_t = W_yh h_t + b_y                             Dense      (V, H)
    p(w_{t+1} | w_1 … w_t) = softmax(y_t)

Training uses *teacher forcing*: the input at step t is the true token w_t,
never the model's own guess, and the loss is the cross-entropy of the true
next token, summed over the steps.  Generation (`sample`) feeds the model's
own samples back in, one step at a time; a *temperature* τ rescales the
scores first, softmax(y_t / τ): τ < 1 sharpens the distribution (safer,
more repetitive), τ > 1 flattens it (more surprising), τ = 0 takes the
most likely token every time.

`NGramModel` gives the baselines the RNN must beat: a unigram (how often
each token occurs) and a bigram (which token follows which), both with
add-α smoothing.  `train_generator` is the minibatch training loop.
"""

import numpy as np

from .checks import check_mask, check_positive_int
from .datasets.padding import pad_sequences
from .init import as_rng
from .layers import Composite, Dense, Embedding
from .losses import softmax_cross_entropy
from .models import fit, per_token_means
from .rnn import RNN, rnn_step_forward


def check_token_ids(name, ids, vocab_size, ndim=2, layout="(B, T)"):
    """Return `ids` as an integer array of `ndim` dimensions with values in [0, V)."""
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer token ids; got dtype {ids.dtype}")
    if ids.ndim != ndim:
        raise ValueError(f"{name} must have shape {layout}; got {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(
            f"{name} must lie in [0, V) with V = vocab_size = {vocab_size};"
            f" got values from {ids.min()} to {ids.max()}"
        )
    return ids


def sample_from_logits(logits, temperature, rng):
    """Draw one index per row of `logits` (B, V) from softmax(logits / temperature).

    temperature = 0 returns the argmax (greedy).  Uses one uniform number per
    row and the inverse of the cumulative distribution.
    """
    if temperature == 0:
        return logits.argmax(axis=1)
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    cdf = np.cumsum(p, axis=1)
    u = rng.random((logits.shape[0], 1)) * cdf[:, -1:]
    return np.minimum((cdf < u).sum(axis=1), logits.shape[1] - 1)


def _check_temperature(temperature):
    if not np.isscalar(temperature) or not np.isfinite(temperature) or temperature < 0:
        raise ValueError(
            f"temperature must be a finite number >= 0; got {temperature!r}"
        )
    return float(temperature)


def _start_array(start, vocab_size):
    """start: an int, a 1-D sequence (one prompt) or a 2-D (B, S) array."""
    arr = np.asarray(start)
    single = arr.ndim <= 1
    arr = np.atleast_2d(arr) if arr.ndim <= 1 else arr
    if arr.size == 0:
        raise ValueError("start must hold at least one token id")
    return check_token_ids(
        "start", arr, vocab_size, 2, "an int, (S,) or (B, S)"
    ), single


class SequenceGenerator(Composite):
    """Embedding → RNN → Dense, a next-token model (see the module docstring).

        gen = SequenceGenerator(vocab_size, embed_dim=16, hidden_size=64, seed=0)
        logits, h_n = gen.forward(ids)        ids (B, T) ints -> logits (B, T, V)
        dh0 = gen.backward(dlogits)            fills gen.grads
        loss = gen.loss_and_grads(ids, mask)   teacher forcing, forward + backward
        melody = gen.sample(start, length=32, temperature=1.0, seed=0)

    `params` and `grads` are flat dicts with the same keys, named after the
    part they belong to: "embedding.W", "rnn.W_hx_l0", "rnn.W_hh_l0",
    "rnn.b_h_l0" (…_l1 for a second layer), "output.W" (W_yh), "output.b" (b_y).
    The arrays are the layers' own arrays, so an optimiser updating
    `gen.params` in place trains the model.
    """

    def __init__(
        self,
        vocab_size,
        embed_dim=16,
        hidden_size=64,
        num_layers=1,
        activation="tanh",
        seed=None,
        dtype=np.float64,
    ):
        check_positive_int("vocab_size", vocab_size)
        rng = as_rng(seed)
        self.vocab_size = int(vocab_size)
        self.embedding = Embedding(vocab_size, embed_dim, seed=rng, dtype=dtype)
        self.rnn = RNN(
            embed_dim,
            hidden_size,
            num_layers,
            activation=activation,
            seed=rng,
            dtype=dtype,
        )
        self.output = Dense(hidden_size, vocab_size, seed=rng, dtype=dtype)
        self.layers = {
            "embedding": self.embedding,
            "rnn": self.rnn,
            "output": self.output,
        }
        self._forwarded = False

    def __repr__(self):
        return (
            f"SequenceGenerator(vocab_size={self.vocab_size}, "
            f"embed_dim={self.embedding.params['W'].shape[1]}, "
            f"hidden_size={self.rnn.hidden_size}, num_layers={self.rnn.num_layers})"
        )

    def forward(self, ids, h0=None):
        """ids (B, T) token ids; h0 (num_layers, B, H) or None for zeros.

        Returns logits (B, T, V), the scores of the token after each step,
        and h_n (num_layers, B, H), the last hidden state (to continue from).
        """
        ids = check_token_ids("ids", ids, self.vocab_size)
        if ids.shape[1] == 0:
            raise ValueError(f"ids must hold at least one time step; got {ids.shape}")
        x = self.embedding.forward(ids)
        h, h_n = self.rnn.forward(x, h0)
        logits = self.output.forward(h)
        self._forwarded = True
        return logits, h_n

    def backward(self, dlogits, dh_n=None):
        """dlogits (B, T, V) = dL/dlogits; dh_n like h_n, or None.

        Backpropagates through Dense, the RNN (BPTT) and the Embedding,
        fills self.grads and returns dh0 (num_layers, B, H).
        """
        if not self._forwarded:
            raise RuntimeError("call forward before backward")
        dh = self.output.backward(dlogits)
        dx, dh0 = self.rnn.backward(dh, dh_n)
        self.embedding.backward(dx)
        return dh0

    def loss_and_grads(self, ids, mask=None):
        """Teacher forcing on whole sequences: read ids[:, :-1], predict ids[:, 1:].

        ids (B, T) with T >= 2; mask (B, T), 1 for real tokens and 0 for
        padding (a prediction counts when the token it predicts is real).
        Returns the loss (cross-entropy summed over steps, averaged over
        the batch) and fills self.grads.
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

    def loss(self, ids, mask=None):
        """(loss, grads) for `rnnlib.fit`: loss_and_grads(ids, mask) and self.grads."""
        return self.loss_and_grads(ids, mask), self.grads

    def cross_entropy(self, sequences):
        """Mean cross-entropy in nats per predicted token over `sequences`.

        sequences: a list of 1-D id arrays; every token after the first is
        predicted from the ones before it (the first is given).
        """
        ids, mask = pad_sequences(sequences)
        self._check_lengths(mask)
        logits, _ = self.forward(ids[:, :-1])
        loss, _ = softmax_cross_entropy(logits, ids[:, 1:], mask[:, 1:])
        return loss * len(sequences) / mask[:, 1:].sum()

    @staticmethod
    def _check_lengths(mask):
        if (mask.sum(axis=1) < 2).any():
            raise ValueError("every sequence must hold at least 2 tokens")

    def _step_params(self):
        layers = []
        for k in range(self.rnn.num_layers):
            layers.append(
                tuple(self.params[f"rnn.{w}_l{k}"] for w in ("W_hx", "W_hh", "b_h"))
            )
        return layers

    def sample(self, start, length, temperature=1.0, seed=None):
        """Generate `length` tokens after `start`, feeding each sample back in.

        start: one token id, a prompt (S,) of ids, or a batch of prompts
        (B, S).  At each step the next token is drawn from
        softmax(logits / temperature) (temperature 0: the most likely).
        Returns the prompt followed by the new tokens: (S + length,) for one
        prompt, (B, S + length) for a batch.
        """
        ids, single = _start_array(start, self.vocab_size)
        check_positive_int("length", length)
        temperature = _check_temperature(temperature)
        rng = as_rng(seed)
        layers = self._step_params()
        W_emb, W_out, b_out = (
            self.params[k] for k in ("embedding.W", "output.W", "output.b")
        )
        B = ids.shape[0]
        hs = [np.zeros((B, self.rnn.hidden_size), dtype=W_out.dtype) for _ in layers]
        out = [ids[:, t] for t in range(ids.shape[1])]
        token = None
        for t in range(ids.shape[1] + length - 1):
            token = out[t]
            x = W_emb[token]
            for k, weights in enumerate(layers):
                hs[k], _ = rnn_step_forward(x, hs[k], *weights, self.rnn.activation)
                x = hs[k]
            if t + 1 >= ids.shape[1]:
                out.append(sample_from_logits(x @ W_out.T + b_out, temperature, rng))
        result = np.stack(out, axis=1).astype(np.int64)
        return result[0] if single else result


class NGramModel:
    """The count-based baselines: a unigram (order=1) or bigram (order=2) model.

    unigram:  p(b)     = (c(b) + α) / (N + α V)
    bigram:   p(b | a) = (c(a, b) + α V p_uni(b)) / (c(a) + α V)

    c counts tokens (or pairs) in the training sequences; the bigram is
    smoothed towards the unigram, so a pair never seen gets the unigram's
    share instead of zero.  As for the RNN, every token after the first of a
    sequence is predicted.
    """

    def __init__(self, vocab_size, order=2, alpha=1.0):
        check_positive_int("vocab_size", vocab_size)
        if order not in (1, 2):
            raise ValueError(f"order must be 1 (unigram) or 2 (bigram); got {order!r}")
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0; got {alpha!r}")
        self.vocab_size, self.order, self.alpha = int(vocab_size), order, float(alpha)
        self.log_probs = None

    def fit(self, sequences):
        """Count the training sequences (a list of 1-D id arrays); returns self."""
        V, a = self.vocab_size, self.alpha
        unigram = np.zeros(V)
        pairs = np.zeros((V, V))
        for s in sequences:
            s = check_token_ids("sequence", s, V, 1, "(T,)")
            np.add.at(unigram, s[1:], 1)
            np.add.at(pairs, (s[:-1], s[1:]), 1)
        p_uni = (unigram + a) / (unigram.sum() + a * V)
        if self.order == 1:
            self.log_probs = np.tile(np.log(p_uni), (V, 1))
        else:
            p = (pairs + a * V * p_uni) / (pairs.sum(axis=1, keepdims=True) + a * V)
            self.log_probs = np.log(p)
        return self

    def _check_fitted(self):
        if self.log_probs is None:
            raise RuntimeError("call fit before using the model")

    def cross_entropy(self, sequences):
        """Mean cross-entropy in nats per predicted token (tokens 2 … T)."""
        self._check_fitted()
        total, count = 0.0, 0
        for s in sequences:
            s = check_token_ids("sequence", s, self.vocab_size, 1, "(T,)")
            total -= self.log_probs[s[:-1], s[1:]].sum()
            count += len(s) - 1
        return total / count

    def sample(self, start, length, temperature=1.0, seed=None):
        """Like SequenceGenerator.sample, from the unigram/bigram probabilities."""
        self._check_fitted()
        ids, single = _start_array(start, self.vocab_size)
        check_positive_int("length", length)
        temperature = _check_temperature(temperature)
        rng = as_rng(seed)
        out = [ids[:, t] for t in range(ids.shape[1])]
        for _ in range(length):
            out.append(sample_from_logits(self.log_probs[out[-1]], temperature, rng))
        result = np.stack(out, axis=1).astype(np.int64)
        return result[0] if single else result


def train_generator(
    model,
    sequences,
    epochs=20,
    batch_size=16,
    lr=1e-2,
    clip=5.0,
    seed=0,
    progress=True,
):
    """Train `model` with teacher forcing, Adam and gradient clipping.

    sequences: a list of 1-D id arrays (they are padded and masked per
    batch).  `rnnlib.fit` runs the loop: each epoch shuffles the sequences
    (seeded) and takes one Adam step per minibatch, after clipping the
    gradients' global norm to `clip`.  Returns the mean training
    cross-entropy per token of every epoch (nats), a list of length `epochs`.
    """
    weights = []  # (B, predicted tokens) of every step, for per_token_means

    def make_batch(idx):
        ids, mask = pad_sequences([sequences[j] for j in idx])
        weights.append((len(idx), mask[:, 1:].sum()))
        return ids, mask

    losses = fit(
        model, sequences, epochs, batch_size=batch_size, lr=lr, clip=clip,
        seed=seed, progress=progress, make_batch=make_batch,
    )  # fmt: skip
    return per_token_means(losses, weights, epochs)
