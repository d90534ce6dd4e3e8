"""Many-to-many with different lengths: the RNN encoder-decoder.

An *encoder* RNN reads the source tokens x_1 … x_S; its last hidden state,
a fixed-size vector, is all the decoder learns about the source:

    e_s = E_src[x_s]
    h_s = tanh(W_hx^enc e_s + W_hh^enc h_{s-1} + b^enc),   h_0 = 0
    c   = h_S                                         (the "thought vector")

A *decoder* RNN starts from that state and writes the target y_1 … y_T one
token at a time, each step reading the token before (y_0 = <bos>):

    d_t = E_tgt[y_{t-1}]
    s_t = tanh(W_hx^dec d_t + W_hh^dec s_{t-1} + b^dec),   s_0 = c
    p(y_t | y_<t, x) = softmax(W_yh s_t + b_y)

Training uses teacher forcing (the decoder reads the *true* previous token);
`greedy_decode` feeds back its own most likely token until <eos>.

Padding: sources of different lengths are right-padded; `src_mask` (B, S)
marks the real tokens, and c is taken at each source's own last real step,
so padding never reaches the decoder.  Target padding is dropped from the
loss by `tgt_mask`.
"""

import numpy as np

from .checks import (
    check_mask,
    check_positive_int,
    check_token_id,
    check_token_ids,
    right_padded_lengths,
)
from .init import as_rng
from .layers import Composite, Dense, Embedding
from .losses import softmax_cross_entropy
from .rnn import RNN, rnn_step_forward


def _check_src_mask(src_mask, shape):
    """A (B, S) 0/1 mask, ones then zeros in each row, at least one 1."""
    mask = check_mask("src_mask", src_mask, shape)
    if mask is None:
        return np.ones(shape)
    right_padded_lengths("src_mask", mask, "token")
    return mask


def check_source(src, src_mask, src_vocab_size):
    """src (B, S) token ids below src_vocab_size, S >= 1, and its mask (see
    `_check_src_mask`; ones for None): what every encoder here reads."""
    src = check_token_ids("src", src, src_vocab_size, 2, "(B, S)")
    if src.shape[1] == 0:
        raise ValueError(f"src must hold at least one token; got {src.shape}")
    return src, _check_src_mask(src_mask, src.shape)


def check_target(tgt_in, tgt_vocab_size, B):
    """tgt_in (B, T) token ids below tgt_vocab_size, T >= 1, one row per
    source (B = src.shape[0]): what every decoder here reads."""
    tgt_in = check_token_ids("tgt_in", tgt_in, tgt_vocab_size, 2, "(B, T)")
    if tgt_in.shape[0] != B:
        raise ValueError(
            f"tgt_in must have shape (B, T) with B = src.shape[0] = {B};"
            f" got {tgt_in.shape}"
        )
    if tgt_in.shape[1] == 0:
        raise ValueError(f"tgt_in must hold at least one token; got {tgt_in.shape}")
    return tgt_in


def check_vocabularies(src_vocab_size, tgt_vocab_size, bos_id, eos_id):
    """Both vocabulary sizes ints >= 1, bos_id and eos_id ids of the target
    vocabulary: what every encoder-decoder here is built with."""
    check_positive_int("src_vocab_size", src_vocab_size)
    check_positive_int("tgt_vocab_size", tgt_vocab_size)
    for name, value in (("bos_id", bos_id), ("eos_id", eos_id)):
        check_token_id(name, value, tgt_vocab_size, "tgt_vocab_size")


def tokens_before_eos(row, eos_id):
    """How many tokens of a decoded row (1-D ids) come before its first
    eos_id: all of them when it has none."""
    ends = np.flatnonzero(row == eos_id)
    return int(ends[0]) if ends.size else len(row)


class EncoderDecoder(Composite):
    """An RNN encoder and an RNN decoder joined by the encoder's last state.

        model = EncoderDecoder(src_vocab_size, tgt_vocab_size, embed_dim=16,
                               hidden_size=64, seed=0)
        logits = model.forward(src, tgt_in, src_mask)    (B, T, tgt_vocab_size)
        model.backward(dlogits)                           fills model.grads
        loss, grads = model.loss(src, tgt_in, tgt_out, src_mask, tgt_mask)
        outputs = model.greedy_decode(src, max_len=8, src_mask=src_mask)

    `params` / `grads` keys: "src_embedding.W", "encoder.W_hx_l0",
    "encoder.W_hh_l0", "encoder.b_h_l0", "tgt_embedding.W", "decoder.W_hx_l0",
    "decoder.W_hh_l0", "decoder.b_h_l0", "output.W" (W_yh), "output.b" (b_y).
    Both RNNs have one layer of `hidden_size` units.  bos_id / eos_id: the
    target vocabulary's start and end tokens (1 and 2 in rnnlib.datasets).
    """

    def __init__(
        self,
        src_vocab_size,
        tgt_vocab_size,
        embed_dim=16,
        hidden_size=64,
        bos_id=1,
        eos_id=2,
        activation="tanh",
        seed=None,
        dtype=np.float64,
    ):
        check_vocabularies(src_vocab_size, tgt_vocab_size, bos_id, eos_id)
        rng = as_rng(seed)
        self.src_vocab_size, self.tgt_vocab_size = (
            int(src_vocab_size),
            int(tgt_vocab_size),
        )
        self.bos_id, self.eos_id = int(bos_id), int(eos_id)
        self.hidden_size = int(hidden_size)
        self.src_embedding = Embedding(src_vocab_size, embed_dim, seed=rng, dtype=dtype)
        self.encoder = RNN(
            embed_dim, hidden_size, activation=activation, seed=rng, dtype=dtype
        )
        self.tgt_embedding = Embedding(tgt_vocab_size, embed_dim, seed=rng, dtype=dtype)
        self.decoder = RNN(
            embed_dim, hidden_size, activation=activation, seed=rng, dtype=dtype
        )
        self.output = Dense(hidden_size, tgt_vocab_size, seed=rng, dtype=dtype)
        self.layers = {
            "src_embedding": self.src_embedding,
            "encoder": self.encoder,
            "tgt_embedding": self.tgt_embedding,
            "decoder": self.decoder,
            "output": self.output,
        }
        self._cache = None

    def __repr__(self):
        return (
            f"EncoderDecoder(src_vocab_size={self.src_vocab_size}, "
            f"tgt_vocab_size={self.tgt_vocab_size}, "
            f"embed_dim={self.src_embedding.params['W'].shape[1]}, "
            f"hidden_size={self.hidden_size})"
        )

    def encode(self, src, src_mask=None):
        """Run the encoder; return c (B, H), each source's state at its last real token."""
        src, mask = check_source(src, src_mask, self.src_vocab_size)
        h, _ = self.encoder.forward(self.src_embedding.forward(src))
        last = mask.sum(axis=1).astype(int) - 1
        self._enc = (h.shape, last)
        return h[np.arange(src.shape[0]), last]

    def forward(self, src, tgt_in, src_mask=None):
        """Teacher-forced pass: src (B, S) and tgt_in (B, T) token ids.

        tgt_in is the target shifted right: <bos>, y_1, …, y_{T-1}.
        Returns logits (B, T, tgt_vocab_size), the scores of y_1 … y_T.
        """
        context = self.encode(src, src_mask)
        tgt_in = check_target(tgt_in, self.tgt_vocab_size, context.shape[0])
        s, _ = self.decoder.forward(self.tgt_embedding.forward(tgt_in), context[None])
        self._cache = True
        return self.output.forward(s)

    def backward(self, dlogits):
        """Backward from dlogits (B, T, V): through the output layer, the
        decoder (BPTT), into the context c, and from there through the
        encoder (BPTT) and both embeddings.  Fills self.grads; returns None
        (token ids have no gradient)."""
        if self._cache is None:
            raise RuntimeError("call forward before backward")
        ds = self.output.backward(dlogits)
        dd, dcontext = self.decoder.backward(ds)
        self.tgt_embedding.backward(dd)
        shape, last = self._enc
        dh = np.zeros(shape, dtype=dcontext.dtype)
        dh[np.arange(shape[0]), last] = dcontext[0]
        de, _ = self.encoder.backward(dh)
        self.src_embedding.backward(de)

    def loss(self, src, tgt_in, tgt_out, src_mask=None, tgt_mask=None):
        """Forward, softmax cross-entropy against tgt_out (B, T) with tgt_mask
        (padding dropped), backward.  Returns (loss, grads): the loss summed
        over target steps and averaged over the batch, and self.grads."""
        logits = self.forward(src, tgt_in, src_mask)
        tgt_out = check_token_ids("tgt_out", tgt_out, self.tgt_vocab_size, 2, "(B, T)")
        tgt_mask = check_mask("tgt_mask", tgt_mask, tgt_out.shape)
        loss, dlogits = softmax_cross_entropy(logits, tgt_out, tgt_mask)
        self.backward(dlogits)
        return loss, self.grads

    def greedy_decode(self, src, max_len, src_mask=None):
        """Translate by always taking the most likely next token.

        Starts the decoder from c with <bos>, feeds each argmax back in, and
        stops a row at <eos> (or after max_len tokens).  Returns a list of B
        lists of target ids, without <bos> and <eos>.
        """
        check_positive_int("max_len", max_len)
        context = self.encode(src, src_mask)
        W_emb = self.params["tgt_embedding.W"]
        W_out, b_out = self.params["output.W"], self.params["output.b"]
        weights = [self.params[f"decoder.{w}_l0"] for w in ("W_hx", "W_hh", "b_h")]
        B = context.shape[0]
        token = np.full(B, self.bos_id)
        s = context
        out = np.zeros((B, max_len), dtype=np.int64)
        done = np.zeros(B, dtype=bool)
        for t in range(max_len):
            s, _ = rnn_step_forward(W_emb[token], s, *weights, self.decoder.activation)
            token = (s @ W_out.T + b_out).argmax(axis=1)
            out[:, t] = token
            done |= token == self.eos_id
            if done.all():
                break
        return [row[: tokens_before_eos(row, self.eos_id)].tolist() for row in out]


def exact_match(model, data, max_len=None, batch_size=64):
    """Greedy-decode every source of `data`; return a bool array (N,), True
    where the output equals the target exactly (every token, and the length)."""
    targets = [
        row[m > 0][:-1].tolist()
        for row, m in zip(data.tgt_out, data.tgt_mask, strict=True)
    ]
    max_len = max_len or int(data.tgt_mask.sum(axis=1).max()) + 2
    correct = []
    for i in range(0, len(data), batch_size):
        idx = np.arange(i, min(i + batch_size, len(data)))
        src, src_mask, *_ = data.batch(idx)
        outputs = model.greedy_decode(src, max_len, src_mask)
        correct += [o == targets[j] for o, j in zip(outputs, idx, strict=True)]
    return np.array(correct)


def accuracy_by_length(correct, lengths, min_count=1):
    """Exact-match accuracy for each input length.

    correct (N,) bools (from `exact_match`), lengths (N,) ints (e.g. the
    number of source tokens).  Lengths with fewer than `min_count` examples
    are left out.  Returns lengths (K,), accuracy (K,) and counts (K,).
    """
    correct = np.asarray(correct, dtype=bool)
    lengths = np.asarray(lengths)
    if correct.shape != lengths.shape or correct.ndim != 1:
        raise ValueError(
            f"correct and lengths must be 1-D of the same length; got "
            f"{correct.shape} and {lengths.shape}"
        )
    values, counts = np.unique(lengths, return_counts=True)
    keep = counts >= min_count
    values, counts = values[keep], counts[keep]
    accuracy = np.array([correct[lengths == v].mean() for v in values])
    return values, accuracy, counts
