"""The language model: an RNN, LSTM or GRU that scores the next token.

A language model reads a sequence of token ids (the notes of a melody, the
characters of a name) and, at every step, gives every token of the
vocabulary a probability of coming next:

    x_t = E[w_t]                               Embedding (V, E)
    h_t = cell(x_t, h_{t-1})                   RNN, LSTM or GRU (H)
    y_t = W_yh h_t + b_y                       Dense (V, H)
    p(w_{t+1} | w_1 … w_t) = softmax(y_t)

Training uses *teacher forcing*: the input at step t is the true token w_t,
never the model's own guess (read ids[:, :-1], predict ids[:, 1:]), and the
loss is the cross-entropy of the true next token, summed over the steps, a
mask dropping the padding.  The model is judged by its cross-entropy per
predicted token (nats), the negative log-likelihood

    NLL = -(1/N) sum_{sequences} sum_{t >= 2} log p(w_t | w_1 … w_{t-1})

over the N predicted tokens.  Generation (`sample`, rnnlib/sampling.py)
feeds the model's own draws back in, one step at a time.  The count-based
baselines it must beat are in rnnlib/ngram.py; `train_language_model`
(rnnlib/train.py) is its training loop.
"""

import numpy as np

from .cells import recurrent_layer
from .checks import check_mask, check_positive_int, check_sequences, check_token_ids
from .datasets.padding import pad_sequences
from .init import as_rng
from .layers import Composite, Dense, Embedding
from .losses import softmax_cross_entropy
from .sampling import (
    check_sample_args,
    collect_samples,
    prompt_array,
    sample_from_logits,
)


class LanguageModel(Composite):
    """Embedding -> RNN/LSTM/GRU -> Dense: a next-token model.

        model = LanguageModel(vocab_size, embed_dim=16, hidden_size=64,
                              cell="lstm", seed=0)
        logits, state = model.forward(ids)      ids (B, T) -> logits (B, T, V)
        model.backward(dlogits)                 fills model.grads
        loss, grads = model.loss(ids, mask)     teacher forcing, forward + backward
        model.cross_entropy(sequences)          nats per predicted token
        model.sample(start, length=30, temperature=0.8, seed=0, stop=None)

    cell is "rnn", "lstm" or "gru" (rnnlib/cells.py); num_layers stacks
    layers; activation ("tanh" or "relu") is the RNN's.

    params/grads keys: "embedding.W" (V, E), "rnn.<layer keys>" (e.g.
    "rnn.W_hx_l0" for the RNN, "rnn.W_x_l0" for the LSTM and the GRU),
    "output.W" (V, H) = W_yh, "output.b" (V,) = b_y.  The arrays are the
    layers' own, so an optimiser updating `model.params` in place trains the
    model.  `state` is what the recurrent layer returns: h_n
    (num_layers, B, H), or (h_n, c_n) for the LSTM.
    """

    def __init__(
        self,
        vocab_size,
        embed_dim=16,
        hidden_size=64,
        *,
        cell="rnn",
        num_layers=1,
        activation="tanh",
        seed=None,
        dtype=np.float64,
    ):
        check_positive_int("vocab_size", vocab_size)
        rng = as_rng(seed)
        self.vocab_size, self.cell = int(vocab_size), cell
        self.embedding = Embedding(vocab_size, embed_dim, seed=rng, dtype=dtype)
        self.rnn = recurrent_layer(
            cell,
            embed_dim,
            hidden_size,
            num_layers=num_layers,
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
            f"LanguageModel(vocab_size={self.vocab_size}, "
            f"embed_dim={self.embedding.params['W'].shape[1]}, "
            f"hidden_size={self.rnn.hidden_size}, cell={self.cell!r}, "
            f"num_layers={self.rnn.num_layers})"
        )

    def forward(self, ids, state=None):
        """ids (B, T) token ids; state from a previous call, or None for zeros.

        Returns logits (B, T, V), the scores of the next token after each
        step, and the final state of the recurrent layer (to continue from).
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

    def backward(self, dlogits, dstate=None):
        """dlogits (B, T, V) = dL/dlogits; dstate like the final state, or None.

        Backpropagates through Dense, the recurrent layer (BPTT) and the
        Embedding, fills self.grads and returns the gradient of the initial
        state (like the state: dh0, or (dh0, dc0) for the LSTM).
        """
        if not self._forwarded:
            raise RuntimeError("call forward before backward")
        dh = self.output.backward(dlogits)
        dx, dstate0 = self.rnn.backward(dh, dstate)
        self.embedding.backward(dx)
        return dstate0

    def loss(self, ids, mask=None):
        """Teacher forcing on whole sequences: read ids[:, :-1], predict ids[:, 1:].

        ids (B, T) with T >= 2; mask (B, T), 1 for real tokens and 0 for
        padding (a prediction counts when the token it predicts is real).
        Returns (loss, grads): the cross-entropy summed over steps and
        averaged over the batch (as softmax_cross_entropy), and self.grads,
        filled by the backward pass.
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
        return loss, self.grads

    def cross_entropy(self, sequences, batch_size=512):
        """Mean cross-entropy in nats per predicted token of `sequences`
        (a list of 1-D id arrays; tokens 2 … T of each are predicted)."""
        sequences = check_sequences(sequences, self.vocab_size)
        check_positive_int("batch_size", batch_size)
        total, count = 0.0, 0.0
        for i in range(0, len(sequences), batch_size):
            ids, mask = pad_sequences(sequences[i : i + batch_size], dtype=np.int64)
            logits, _ = self.forward(ids[:, :-1])
            loss, _ = softmax_cross_entropy(logits, ids[:, 1:], mask[:, 1:])
            total += loss * len(ids)
            count += mask[:, 1:].sum()
        return total / count

    def sample(self, start, length, temperature=1.0, seed=None, stop=None):
        """Generate up to `length` tokens after `start`, feeding each draw back in.

        start: one token id, a prompt (S,) of ids, or a batch of prompts
        (B, S), read first.  At each step the next token is drawn from
        softmax(logits / temperature) (temperature 0: the most likely).
        Returns the prompt followed by the new tokens: (S + length,) for one
        prompt, (B, S + length) for a batch.  With `stop` (a token id, e.g.
        the boundary that ends a name), each sequence ends after its first
        drawn `stop`, and a list of B arrays comes back (one array for one
        prompt); drawing ends when every sequence has stopped.
        """
        ids, single = prompt_array(start, self.vocab_size)
        temperature = check_sample_args(length, temperature, stop, self.vocab_size)
        rng = as_rng(seed)
        logits, state = self.forward(ids)
        draws, done = [], np.zeros(len(ids), dtype=bool)
        for step in range(length):
            token = sample_from_logits(logits[:, -1], temperature, rng)
            draws.append(token)
            if stop is not None:
                done |= token == stop
                if done.all():
                    break
            if step + 1 < length:
                logits, state = self.forward(token[:, None], state)
        self._forwarded = False  # the caches are those of one step
        return collect_samples(ids, draws, single, stop)
