"""The encoder-decoder with attention: no single-vector bottleneck.

The encoder (bidirectional by default) reads the source and keeps *all* its
states k_1 … k_S, each the two directions' states side by side.  The
decoder starts from the forward direction's last state, as in
rnnlib/seq2seq.py, and at every step t attends to the encoder states:

    s_t = tanh(W_hx^dec E_tgt[y_{t-1}] + W_hh^dec s_{t-1} + b^dec)
    e_{t,s} = v^T tanh(W_q s_t + W_k k_s)          (rnnlib/attention.py)
    a_{t,s} = softmax over the real source steps s of e_{t,s}
    c_t = sum_s a_{t,s} k_s
    p(y_t | y_<t, x) = softmax(W_yh [s_t; c_t] + b_y)

(the attention of Luong et al., 2015, with the additive scores of Bahdanau
et al., 2015).  The decoder's recurrence does not read c_t, so under teacher
forcing the decoder RNN runs over the whole target at once and attention is
one batched computation over (B, T, S).

Decoding: `greedy_decode` (the most likely token at each step) and
`beam_search` (the beam_width most likely prefixes, the finished ones
compared by log-probability per token, i.e. length-normalised).
"""

from typing import NamedTuple

import numpy as np

from .activations import log_softmax
from .attention import AdditiveAttention, attention_forward
from .checks import (
    as_float_array,
    check_mask,
    check_positive_int,
    check_token_ids,
)
from .init import as_rng
from .layers import Composite, Dense, Embedding
from .losses import softmax_cross_entropy
from .rnn import RNN, rnn_step_forward
from .seq2seq import (
    check_source,
    check_target,
    check_vocabularies,
    tokens_before_eos,
)


class DecoderState(NamedTuple):
    """What a decoder step needs about the source: keys (B, S, K) and mask (B, S)."""

    keys: np.ndarray
    mask: np.ndarray


class BeamResult(NamedTuple):
    """Beam search results for a batch of B sources.

    outputs: B lists of target ids (no <bos>, no <eos>);
    log_probs (B,): log p(outputs + <eos> | source), the chosen hypotheses'
    sequence log-probabilities; scores (B,): log_probs / length**alpha, what
    the search maximised (length counts <eos>).
    """

    outputs: list
    log_probs: np.ndarray
    scores: np.ndarray


class AttentionEncoderDecoder(Composite):
    """An RNN encoder, an RNN decoder, and additive attention between them.

        model = AttentionEncoderDecoder(src_vocab_size, tgt_vocab_size,
                                        embed_dim=16, hidden_size=64, seed=0)
        logits = model.forward(src, tgt_in, src_mask)    (B, T, tgt_vocab_size)
        model.backward(dlogits)                           fills model.grads
        loss, grads = model.loss(src, tgt_in, tgt_out, src_mask, tgt_mask)
        outputs = model.greedy_decode(src, max_len=8, src_mask=src_mask)
        result = model.beam_search(src, max_len=8, beam_width=4, src_mask=src_mask)

    After forward, `model.attention_weights` (B, T, S) holds a_{t,s}.
    Sizes: encoder `hidden_size` per direction (keys of K = dirs *
    hidden_size), decoder `hidden_size`, attention `attention_size`
    (default hidden_size).  `params` / `grads` keys: "src_embedding.W",
    "encoder.W_hx_l0", "encoder.W_hh_l0", "encoder.b_h_l0" (+ "_reverse"),
    "tgt_embedding.W", "decoder.W_hx_l0", "decoder.W_hh_l0",
    "decoder.b_h_l0", "attention.W_q" (A, H), "attention.W_k" (A, K),
    "attention.v" (A,), "output.W" (V, H + K), "output.b" (V,).
    """

    def __init__(
        self,
        src_vocab_size,
        tgt_vocab_size,
        embed_dim=16,
        hidden_size=64,
        attention_size=None,
        bidirectional=True,
        bos_id=1,
        eos_id=2,
        seed=None,
        dtype=np.float64,
    ):
        check_vocabularies(src_vocab_size, tgt_vocab_size, bos_id, eos_id)
        check_positive_int("embed_dim", embed_dim)
        check_positive_int("hidden_size", hidden_size)
        attention_size = hidden_size if attention_size is None else attention_size
        check_positive_int("attention_size", attention_size)
        rng = as_rng(seed)
        self.src_vocab_size = int(src_vocab_size)
        self.tgt_vocab_size = int(tgt_vocab_size)
        self.bos_id, self.eos_id = int(bos_id), int(eos_id)
        self.hidden_size = int(hidden_size)
        self.src_embedding = Embedding(src_vocab_size, embed_dim, seed=rng, dtype=dtype)
        self.encoder = RNN(
            embed_dim, hidden_size, bidirectional=bidirectional, seed=rng, dtype=dtype
        )
        self.key_size = self.encoder.num_directions * self.hidden_size
        self.tgt_embedding = Embedding(tgt_vocab_size, embed_dim, seed=rng, dtype=dtype)
        self.decoder = RNN(embed_dim, hidden_size, seed=rng, dtype=dtype)
        self.attention = AdditiveAttention(
            hidden_size, self.key_size, attention_size, seed=rng, dtype=dtype
        )
        self.output = Dense(
            hidden_size + self.key_size, tgt_vocab_size, seed=rng, dtype=dtype
        )
        self.layers = {
            "src_embedding": self.src_embedding,
            "encoder": self.encoder,
            "tgt_embedding": self.tgt_embedding,
            "decoder": self.decoder,
            "attention": self.attention,
            "output": self.output,
        }
        self.attention_weights = None
        self._cache = None

    def __repr__(self):
        return (
            f"AttentionEncoderDecoder(src_vocab_size={self.src_vocab_size}, "
            f"tgt_vocab_size={self.tgt_vocab_size}, "
            f"embed_dim={self.src_embedding.params['W'].shape[1]}, "
            f"hidden_size={self.hidden_size}, "
            f"attention_size={self.attention.params['v'].shape[0]}, "
            f"bidirectional={self.encoder.bidirectional})"
        )

    # -- the encoder --------------------------------------------------------
    def encode(self, src, src_mask=None):
        """Run the encoder over src (B, S) with src_mask (B, S).

        Returns the keys (B, S, K), every source step's states (padding
        steps are masked out of attention), the mask, and s_0 (B, H), the
        forward direction's state after each source's last real token.
        """
        src, mask = check_source(src, src_mask, self.src_vocab_size)
        keys, h_n = self.encoder.forward(self.src_embedding.forward(src), mask=mask)
        return keys, mask, h_n[0]

    # -- teacher forcing ----------------------------------------------------
    def forward(self, src, tgt_in, src_mask=None):
        """Teacher-forced pass: src (B, S), tgt_in (B, T) = <bos> y_1 … y_{T-1}.

        Returns logits (B, T, tgt_vocab_size), the scores of y_1 … y_T, and
        keeps the attention weights (B, T, S) in self.attention_weights.
        """
        keys, mask, s0 = self.encode(src, src_mask)
        tgt_in = check_target(tgt_in, self.tgt_vocab_size, keys.shape[0])
        s, _ = self.decoder.forward(self.tgt_embedding.forward(tgt_in), s0[None])
        context, self.attention_weights = self.attention.forward(s, keys, mask)
        self._cache = s.shape
        return self.output.forward(np.concatenate([s, context], axis=2))

    def backward(self, dlogits):
        """Backward from dlogits (B, T, V): output layer -> [s_t; c_t];
        attention -> s_t and the keys; decoder BPTT -> s_0; encoder BPTT
        (from the keys and, through s_0, its forward final state) -> both
        embeddings.  Fills self.grads; returns None."""
        if self._cache is None:
            raise RuntimeError("call forward before backward")
        H = self._cache[2]
        dcat = self.output.backward(dlogits)
        dq, dkeys = self.attention.backward(dcat[..., H:])
        dd, ds0 = self.decoder.backward(dcat[..., :H] + dq)
        self.tgt_embedding.backward(dd)
        dh_n = np.zeros((self.encoder.num_directions,) + ds0.shape[1:], ds0.dtype)
        dh_n[0] = ds0[0]
        de, _ = self.encoder.backward(dkeys, dh_n)
        self.src_embedding.backward(de)

    def loss(self, src, tgt_in, tgt_out, src_mask=None, tgt_mask=None):
        """Forward, masked softmax cross-entropy against tgt_out (B, T),
        backward.  Returns (loss, grads): the loss summed over target steps
        and averaged over the batch, and self.grads."""
        logits = self.forward(src, tgt_in, src_mask)
        tgt_out = check_token_ids("tgt_out", tgt_out, self.tgt_vocab_size, 2, "(B, T)")
        if tgt_out.shape != logits.shape[:2]:
            raise ValueError(
                f"tgt_out must have shape (B, T) = {logits.shape[:2]} like tgt_in;"
                f" got {tgt_out.shape}"
            )
        tgt_mask = check_mask("tgt_mask", tgt_mask, tgt_out.shape)
        loss, dlogits = softmax_cross_entropy(logits, tgt_out, tgt_mask)
        self.backward(dlogits)
        return loss, self.grads

    # -- one step at a time -------------------------------------------------
    def decode_step(self, tokens, s_prev, keys, mask):
        """One decoder step with attention, for decoding.

            s_t = tanh(W_hx E_tgt[y_{t-1}] + W_hh s_{t-1} + b)
            c_t, a_t = attention(s_t, keys, mask)
            log p(y_t | y_<t, x) = log softmax(W_yh [s_t; c_t] + b_y)

        tokens (N,) the previous tokens, s_prev (N, H), keys (N, S, K),
        mask (N, S).  Returns log_probs (N, V), s_t (N, H), a_t (N, S).
        """
        p = self.params
        tokens = check_token_ids("tokens", tokens, self.tgt_vocab_size, 1, "(N,)")
        s, _ = rnn_step_forward(
            p["tgt_embedding.W"][tokens],
            s_prev,
            p["decoder.W_hx_l0"],
            p["decoder.W_hh_l0"],
            p["decoder.b_h_l0"],
        )
        attention = {k: p[f"attention.{k}"] for k in ("W_q", "W_k", "v")}
        context, a, _ = attention_forward(s, keys, None, mask, "additive", attention)
        logits = np.concatenate([s, context], axis=1) @ p["output.W"].T
        return log_softmax(logits + p["output.b"]), s, a

    def greedy_decode(self, src, max_len, src_mask=None, return_attention=False):
        """Translate by always taking the most likely next token.

        Stops a row at <eos> (or after max_len tokens).  Returns a list of B
        lists of target ids, without <bos> and <eos>; with
        return_attention=True also a list of B arrays (len(output) + 1, S),
        the weights of each written token (and of <eos>, if written).
        """
        check_positive_int("max_len", max_len)
        keys, mask, s = self.encode(src, src_mask)
        B = keys.shape[0]
        token = np.full(B, self.bos_id)
        out = np.zeros((B, max_len), dtype=np.int64)
        weights = np.zeros((B, max_len, keys.shape[1]))
        done = np.zeros(B, dtype=bool)
        for t in range(max_len):
            log_probs, s, a = self.decode_step(token, s, keys, mask)
            token = log_probs.argmax(axis=1)
            out[:, t], weights[:, t] = token, a
            done |= token == self.eos_id
            if done.all():
                break
        outputs, attention = [], []
        for row, w in zip(out, weights, strict=True):
            n = tokens_before_eos(row, self.eos_id)
            outputs.append(row[:n].tolist())
            attention.append(w[: min(n + 1, max_len)])
        return (outputs, attention) if return_attention else outputs

    def beam_search(self, src, max_len, beam_width=4, src_mask=None, alpha=1.0):
        """Translate with beam search, all sources of the batch at once.

        For each source, keeps the beam_width most likely prefixes (by
        log-probability).  A prefix whose <eos> ranks among the beam_width
        best extensions becomes a finished hypothesis with the length-normalised score
        log p(y, <eos> | x) / length**alpha (length counts <eos>; alpha = 0
        compares raw log-probabilities, which favour short outputs).  A
        source's search stops when beam_width hypotheses are finished or
        after max_len tokens (its unfinished prefixes then count too, scored
        by their own length).  beam_width = 1 is greedy decoding.

        Returns a BeamResult: outputs (B lists of ids, no <bos>/<eos>),
        log_probs (B,) and scores (B,) of the best hypotheses.
        """
        check_positive_int("max_len", max_len)
        check_positive_int("beam_width", beam_width)
        alpha = float(as_float_array("alpha", alpha))
        if alpha < 0:
            raise ValueError(f"alpha must be >= 0; got {alpha}")
        keys, mask, s = self.encode(src, src_mask)
        B, k = keys.shape[0], beam_width
        prefixes = [[[]] for _ in range(B)]  # the live prefixes of each source
        totals = [np.zeros(1) for _ in range(B)]  # and their log-probabilities
        finished = [[] for _ in range(B)]  # (score, log_prob, sequence)
        owner = np.arange(B)  # the source of each row of s
        tokens = np.full(B, self.bos_id)
        for t in range(max_len):
            log_p, s_new, _ = self.decode_step(tokens, s, keys[owner], mask[owner])
            V = log_p.shape[1]
            rows, next_tokens, next_owner = [], [], []
            first = 0
            for b in dict.fromkeys(owner.tolist()):  # active sources, in order
                n = len(prefixes[b])
                candidates = (totals[b][:, None] + log_p[first : first + n]).ravel()
                live, live_totals, live_rows, live_tokens = [], [], [], []
                # the best 2k candidates hold k prefixes: one <eos> per row
                best = np.argsort(-candidates, kind="stable")[: 2 * k]
                for rank, flat in enumerate(best):
                    row, token = divmod(int(flat), V)
                    total = float(candidates[flat])
                    if token == self.eos_id:
                        if rank >= k:  # not in the beam: too unlikely to keep
                            continue
                        score = total / (t + 1) ** alpha
                        finished[b].append((score, total, prefixes[b][row]))
                        continue
                    live.append(prefixes[b][row] + [token])
                    live_totals.append(total)
                    live_rows.append(first + row)
                    live_tokens.append(token)
                    if len(live) == k:
                        break
                first += n
                if len(finished[b]) >= k:
                    prefixes[b], totals[b] = [], np.zeros(0)  # done
                    continue
                prefixes[b], totals[b] = live, np.array(live_totals)
                rows += live_rows
                next_tokens += live_tokens
                next_owner += [b] * len(live)
            if not rows:
                break
            s, tokens, owner = s_new[rows], np.array(next_tokens), np.array(next_owner)
        for b in range(B):  # sources still searching after max_len tokens
            finished[b] += [
                (total / len(p) ** alpha, total, p)
                for p, total in zip(prefixes[b], totals[b], strict=True)
            ]
        best = [max(f, key=lambda h: h[0]) for f in finished]
        return BeamResult(
            [seq for _, _, seq in best],
            np.array([lp for _, lp, _ in best]),
            np.array([score for score, _, _ in best]),
        )

    def sequence_log_prob(self, src, outputs, src_mask=None):
        """log p(y, <eos> | x) for given outputs, by teacher forcing.

        src (B, S); outputs: B lists of target ids (as greedy_decode and
        beam_search return them).  Returns (B,) log-probabilities, so two
        decoders' answers can be compared on the model's own terms.
        """
        src, _ = check_source(src, src_mask, self.src_vocab_size)
        if len(outputs) != src.shape[0]:
            raise ValueError(
                f"outputs must hold B = src.shape[0] = {src.shape[0]} sequences;"
                f" got {len(outputs)}"
            )
        T = max(len(o) for o in outputs) + 1
        B = src.shape[0]
        tgt_in = np.zeros((B, T), dtype=np.int64)
        tgt_out = np.zeros((B, T), dtype=np.int64)
        tgt_mask = np.zeros((B, T))
        for i, o in enumerate(outputs):
            tgt_in[i, : len(o) + 1] = [self.bos_id] + list(o)
            tgt_out[i, : len(o) + 1] = list(o) + [self.eos_id]
            tgt_mask[i, : len(o) + 1] = 1
        log_p = log_softmax(self.forward(src, tgt_in, src_mask))
        picked = np.take_along_axis(log_p, tgt_out[..., None], axis=2)[..., 0]
        return (picked * tgt_mask).sum(axis=1)
