"""The count-based baseline of every language model: the n-gram model.

An n-gram model predicts a token from the n-1 tokens before it (its
*context*), by counting in the training sequences how often each token
followed each context, with add-α smoothing towards a prior q:

    p(c | ctx) = (count(ctx, c) + α V q(c)) / (count(ctx) + α V)

prior "uniform", q(c) = 1/V: plain add-α,
    p(c | ctx) = (count(ctx, c) + α) / (count(ctx) + α V);
prior "unigram", q(c) = the add-α unigram estimate: a context seen rarely
leans on how common c is overall, and a pair never seen gets the
unigram's share instead of zero.

order 1 is the unigram, p(c) = (count(c) + α) / (N + α V); order 2 the
bigram; order 3 the trigram, and so on.  As for the language model
(rnnlib/language_model.py), every token after the first of a sequence is
predicted; before the first, the context is filled with the boundary token
(a trigram reads ". ." before the first letter of a name).
"""

import numpy as np

from .checks import check_choice, check_positive_int, check_sequences
from .init import as_rng
from .sampling import (
    check_sample_args,
    collect_samples,
    prompt_array,
    sample_from_logits,
)


class NGramModel:
    """Add-α n-gram model over tokens: order 1 (unigram), 2 (bigram), 3 …

        model = NGramModel(vocab_size=27, order=3, alpha=0.1).fit(train_ids)
        model.cross_entropy(valid_ids)          nats per predicted token
        model.sample(start, length=30, temperature=1.0, seed=0, stop=None)

    `counts` has shape (V,) * order: counts[a, b, c] is how often c followed
    the context (a, b) in the training sequences.  `boundary` is the id
    that fills the context before a sequence's first token (0).  `prior`
    is "uniform" or "unigram" (see the module docstring).
    """

    def __init__(self, vocab_size, order=2, alpha=1.0, prior="uniform", boundary=0):
        check_positive_int("vocab_size", vocab_size)
        check_positive_int("order", order)
        if not np.isscalar(alpha) or not alpha > 0:
            raise ValueError(f"alpha must be a number > 0; got {alpha!r}")
        check_choice("prior", prior, ("uniform", "unigram"))
        self.vocab_size, self.order, self.alpha = int(vocab_size), order, float(alpha)
        self.prior, self.boundary = prior, int(boundary)
        self.counts = None

    def __repr__(self):
        return (
            f"NGramModel(order={self.order}, alpha={self.alpha:g}, "
            f"prior={self.prior!r})"
        )

    def _windows(self, s):
        """(len(s) - 1, order) windows: n-1 context tokens, then the target.

        Before the first token the context is filled with boundaries."""
        if self.order == 1:
            return s[1:, None]
        pad = np.full(self.order - 2, self.boundary, dtype=np.int64)
        padded = np.concatenate([pad, s])
        return np.lib.stride_tricks.sliding_window_view(padded, self.order)

    def fit(self, sequences):
        """Count the windows of the training sequences; returns self."""
        V = self.vocab_size
        counts = np.zeros((V,) * self.order)
        for s in check_sequences(sequences, V):
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
        if self.prior == "uniform" or self.order == 1:
            return np.log(self.counts + a) - np.log(total + a * V)
        unigram = self.counts.sum(axis=tuple(range(self.order - 1)))
        p_uni = (unigram + a) / (unigram.sum() + a * V)
        return np.log((self.counts + a * V * p_uni) / (total + a * V))

    def cross_entropy(self, sequences):
        """Mean -log p in nats over every predicted token (tokens 2 … T)."""
        logp = self.log_probs()
        total, count = 0.0, 0
        for s in check_sequences(sequences, self.vocab_size):
            total -= logp[tuple(self._windows(s).T)].sum()
            count += len(s) - 1
        return total / count

    def sample(self, start, length, temperature=1.0, seed=None, stop=None):
        """Like LanguageModel.sample, from the counted probabilities: up to
        `length` tokens after the prompt(s) `start`, each drawn from
        softmax(log p(· | context) / temperature)."""
        logp = self.log_probs()
        ids, single = prompt_array(start, self.vocab_size)
        temperature = check_sample_args(length, temperature, stop, self.vocab_size)
        rng = as_rng(seed)
        pad = np.full((len(ids), self.order - 1), self.boundary, dtype=np.int64)
        context = np.concatenate([pad, ids], axis=1)[:, ids.shape[1] :]
        draws, done = [], np.zeros(len(ids), dtype=bool)
        for _ in range(length):
            if self.order > 1:
                scores = logp[tuple(context.T)]
            else:
                scores = np.broadcast_to(logp, (len(ids), self.vocab_size))
            token = sample_from_logits(scores, temperature, rng)
            draws.append(token)
            context = np.concatenate([context[:, 1:], token[:, None]], axis=1)
            if stop is not None:
                done |= token == stop
                if done.all():
                    break
        return collect_samples(ids, draws, single, stop)
