"""DNA from a two-state hidden Markov model: CpG islands in background DNA.

A genome is mostly *background* DNA, with short stretches, *CpG islands*,
that are rich in C and G.  The toy model here has two hidden states,

    state 0 = background      bases A, C, G, T with probabilities (.36, .14, .14, .36)
    state 1 = island          bases A, C, G, T with probabilities (.14, .36, .36, .14)

and a Markov chain between them: at each base an island starts with
probability 1/16, and ends with probability 1/16, so stretches of either
kind are 16 bases long on average and the two states are equally common.
The emissions are weak on purpose: one base says little about the state,
so a tagger has to pool the evidence of its neighbours.  The islands are
short on purpose: a left-to-right reader notices a boundary only several
bases after it, while a reader that sees both sides can place it, so the
whole sequence is worth about 6 points of accuracy over its left part.

Because the model is known, the best possible taggers are known exactly:

- reading left to right, the best guess for state t uses P(s_t | x_1..t),
  the *filtering* distribution (the forward algorithm);
- seeing the whole sequence, it uses P(s_t | x_1..T), the *posterior*
  (the forward–backward algorithm).

Picking the more probable state at every base maximises the expected
number of correct tags, so these two accuracies bound what a
unidirectional and a bidirectional RNN tagger can reach.

    hmm = CpGHMM()
    x, s = hmm.sample(n=256, T=64, seed=0)        # x bases (n, T) in 0..3, s states
    filt = hmm.filter(x)                          # (n, T, 2), P(s_t | x_1..t)
    post = hmm.posterior(x)                       # (n, T, 2), P(s_t | x_1..T)
    one_hot(x)                                    # (n, T, 4) inputs for an RNN

Both algorithms are run with scaling (every alpha_t and beta_t renormalised),
vectorised over the batch, so they are exact and never underflow.
"""

import numpy as np

from ..checks import as_float_array
from ..init import as_rng

BASES = "ACGT"
STATES = ("background", "island")


def _check_distribution(name, p, shape):
    p = as_float_array(name, p, dtype=np.float64)
    if p.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {p.shape}")
    if (p < 0).any() or not np.allclose(p.sum(axis=-1), 1.0):
        raise ValueError(
            f"{name} must hold probabilities summing to 1 along its last axis"
        )
    return p


class CpGHMM:
    """A two-state HMM over DNA bases (background = 0, island = 1).

    transition (2, 2): transition[i, j] = P(s_t = j | s_{t-1} = i)
    emission (2, 4):   emission[i, k] = P(x_t = BASES[k] | s_t = i)
    initial (2,):      P(s_1); default: the chain's stationary distribution.
    """

    def __init__(
        self,
        p_enter=1 / 16,
        p_leave=1 / 16,
        background=(0.36, 0.14, 0.14, 0.36),
        island=(0.14, 0.36, 0.36, 0.14),
        initial=None,
    ):
        for name, p in (("p_enter", p_enter), ("p_leave", p_leave)):
            if not 0 < p < 1:
                raise ValueError(f"{name} must lie strictly between 0 and 1; got {p}")
        self.transition = np.array([[1 - p_enter, p_enter], [p_leave, 1 - p_leave]])
        self.emission = np.stack(
            [
                _check_distribution("background", background, (4,)),
                _check_distribution("island", island, (4,)),
            ]
        )
        if initial is None:
            initial = np.array([p_leave, p_enter]) / (p_enter + p_leave)
        self.initial = _check_distribution("initial", initial, (2,))

    def __repr__(self):
        p_enter, p_leave = self.transition[0, 1], self.transition[1, 0]
        return f"CpGHMM(p_enter={p_enter:.4g}, p_leave={p_leave:.4g})"

    def sample(self, n, T, seed=None):
        """Draw n sequences of length T.

        Returns x (n, T) int bases in 0..3 (A, C, G, T) and s (n, T) int
        hidden states (0 background, 1 island).
        """
        if n < 1 or T < 1:
            raise ValueError(f"n and T must be >= 1; got n={n}, T={T}")
        rng = as_rng(seed)
        s = np.empty((n, T), dtype=np.int64)
        s[:, 0] = rng.random(n) < self.initial[1]
        u = rng.random((n, T))
        for t in range(1, T):
            p_island = self.transition[s[:, t - 1], 1]
            s[:, t] = u[:, t] < p_island
        # a base per step from its state's emission distribution
        cdf = np.cumsum(self.emission, axis=1)[s]  # (n, T, 4)
        x = (rng.random((n, T, 1)) > cdf).sum(axis=2)
        return np.minimum(x, 3).astype(np.int64), s

    def _check_x(self, x):
        x = np.asarray(x)
        if x.dtype.kind not in "iu":
            raise TypeError(f"x must hold integer bases 0..3; got dtype {x.dtype}")
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2:
            raise ValueError(f"x must have shape (n, T) or (T,); got {x.shape}")
        if x.size and (x.min() < 0 or x.max() > 3):
            raise ValueError(f"x must hold bases 0..3; got values {x.min()}..{x.max()}")
        return x

    def _forward(self, x):
        """Scaled forward pass: alpha[:, t] = P(s_t | x_1..t), and the scales
        c_t = P(x_t | x_1..t-1) whose logs sum to log P(x_1..T)."""
        n, T = x.shape
        e = self.emission[:, x].transpose(1, 2, 0)  # (n, T, 2): P(x_t | s_t)
        alpha = np.empty((n, T, 2))
        scale = np.empty((n, T))
        a = self.initial * e[:, 0]
        for t in range(T):
            if t > 0:
                a = (alpha[:, t - 1] @ self.transition) * e[:, t]
            scale[:, t] = a.sum(axis=1)
            alpha[:, t] = a / scale[:, t, None]
        return alpha, scale, e

    def filter(self, x):
        """P(s_t | x_1..t) for every t, the forward algorithm.

        alpha_1 ∝ initial * e(x_1);  alpha_t ∝ (alpha_{t-1} @ transition) * e(x_t)
        x (n, T) or (T,) ints.  Returns (n, T, 2).
        """
        return self._forward(self._check_x(x))[0]

    def posterior(self, x):
        """P(s_t | x_1..T) for every t, the forward–backward algorithm.

        beta_T = 1;  beta_t ∝ transition @ (e(x_{t+1}) * beta_{t+1});
        posterior_t ∝ alpha_t * beta_t.
        x (n, T) or (T,) ints.  Returns (n, T, 2).
        """
        x = self._check_x(x)
        alpha, scale, e = self._forward(x)
        n, T = x.shape
        beta = np.ones((n, T, 2))
        for t in range(T - 2, -1, -1):
            b = (e[:, t + 1] * beta[:, t + 1]) @ self.transition.T
            beta[:, t] = b / scale[:, t + 1, None]
        post = alpha * beta
        return post / post.sum(axis=2, keepdims=True)

    def log_likelihood(self, x):
        """log P(x_1..T) for each sequence, (n,)."""
        return np.log(self._forward(self._check_x(x))[1]).sum(axis=1)


def one_hot(x, depth=4, dtype=np.float64):
    """Integer bases (n, T) -> one-hot vectors (n, T, depth), the RNN's input."""
    x = np.asarray(x)
    if x.dtype.kind not in "iu":
        raise TypeError(f"x must hold integers; got dtype {x.dtype}")
    return np.eye(depth, dtype=dtype)[x]


def decode_accuracy(probs, states, mask=None):
    """Per-base accuracy of argmax decoding: mean of argmax(probs) == states.

    probs (n, T, 2) e.g. filter() or posterior() or a model's softmax;
    states (n, T); mask (n, T) optional, 1 for the bases that count.
    """
    pred = np.asarray(probs).argmax(axis=-1)
    states = np.asarray(states)
    if pred.shape != states.shape:
        raise ValueError(
            f"states must have shape {pred.shape} (probs without the last axis);"
            f" got {states.shape}"
        )
    right = (pred == states).astype(np.float64)
    if mask is None:
        return float(right.mean())
    mask = np.asarray(mask, dtype=np.float64)
    return float((right * mask).sum() / mask.sum())


def bases_to_str(x):
    """A row of integer bases as a string, e.g. [0, 1, 2, 3] -> 'ACGT'."""
    return "".join(BASES[int(b)] for b in np.asarray(x).ravel())
