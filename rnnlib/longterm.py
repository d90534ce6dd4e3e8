"""The long-term dependency problem, measured.

Backpropagation through time carries dL/dh_t one step back with

    dL/dh_{t-1} = (dL/dh_t * tanh'(a_t)) @ W_hh            (a_t: pre-activation)

so, k steps back from the loss, the gradient has been multiplied k times by
W_hh and by tanh' <= 1.  Its size is therefore bounded by

    ||dL/dh_{T-k}|| <= sigma_max(W_hh)^k * ||dL/dh_T||,

sigma_max the largest singular value: below 1 the gradient *must* vanish
exponentially with the distance; above 1 it *may* explode.  This module
measures that, shows the cliff in the loss that an exploding gradient
falls off (and what clipping does), and runs the experiment in which the
vanishing gradient costs a vanilla RNN the task and an LSTM does not:

    recurrent_matrix(H, radius)               radius * an orthogonal matrix
    hidden_state_gradients(cell, weights, x)  dL/dh_t (or dL/dc_t) for every step t
    gradient_norms_by_distance(grads)         ||dL/dh_{T-1-k}|| / ||dL/dh_{T-1}||
    rnn_gradient_norms(W_hh, ...)             the two above for a random RNN
    singular_value_bound(W_hh, distances)     sigma_max^k
    one_unit_rnn_loss(w, b, ...)              the loss surface of h_t = tanh(w h_{t-1} + b)
    gradient_descent_path(start, ...)         plain or clipped descent on it
    train_long_gap(cell, gap, seed, ...)      one many-to-one model on the long-gap task
    long_gap_sweep(cell, gaps, seeds, ...)    accuracy for every gap and seed
"""

from typing import NamedTuple

import numpy as np
from tqdm.auto import tqdm

from .checks import as_float_array, check_choice, check_positive_int
from .datasets.long_gap import long_gap
from .init import as_rng, orthogonal, xavier_uniform
from .lstm import lstm_step_backward, lstm_step_forward
from .models import SequenceClassifier
from .optim import Adam
from .rnn import rnn_step_backward, rnn_step_forward
from .train import fit

# ---------------------------------------------------------------------------
# Vanishing and exploding gradients
# ---------------------------------------------------------------------------


def recurrent_matrix(hidden_size, radius, seed=None):
    """W_hh = radius * Q with Q orthogonal, shape (H, H).

    Every singular value of W_hh equals `radius`, and so does every
    eigenvalue's modulus: the spectral radius and the largest singular
    value are the same number, the one the bound uses.
    """
    check_positive_int("hidden_size", hidden_size)
    if not np.isfinite(radius) or radius <= 0:
        raise ValueError(f"radius must be a finite number > 0; got {radius}")
    return orthogonal((hidden_size, hidden_size), as_rng(seed), gain=float(radius))


def hidden_state_gradients(cell, weights, x, dh_last, wrt="h"):
    """dL/dh_t (or, for the LSTM, dL/dc_t) for every step t, for the loss
    L = sum(dh_last * h_{T-1}).

    cell     "rnn" (tanh) with weights (W_hx, W_hh, b_h), or "lstm" with
             weights (W_x, W_h, b) in rnnlib's orientation.
    x        (B, T, D) inputs; the state starts at zero.
    dh_last  (B, H), the gradient arriving at the last hidden state (from a
             loss read out at step T-1).
    wrt      "h" for dL/dh_t; "c" (LSTM only) for dL/dc_t, the gradient
             that travels back along the cell state, dL/dc_{t-1} = dL/dc_t * f_t
             plus what arrives through h_{t-1}.

    The sequence is run step by step (`rnn_step_forward`/`lstm_step_forward`)
    and the gradient walked back with the matching step backward.  Returns
    (T, B, H), in time order: grads[t] = dL/dh_t (or dL/dc_t).
    """
    check_choice("cell", cell, ("rnn", "lstm"))
    check_choice("wrt", wrt, ("h", "c") if cell == "lstm" else ("h",))
    x = as_float_array("x", x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (B, T, D); got {x.shape}")
    B, T, _ = x.shape
    H = weights[1].shape[1]
    dh_last = as_float_array("dh_last", dh_last)
    if dh_last.shape != (B, H):
        raise ValueError(
            f"dh_last must have shape (B, H) = {(B, H)}; got {dh_last.shape}"
        )
    h, c = np.zeros((B, H)), np.zeros((B, H))
    caches = []
    for t in range(T):
        if cell == "rnn":
            h, cache = rnn_step_forward(x[:, t], h, *weights)
        else:
            h, c, cache = lstm_step_forward(x[:, t], h, c, *weights)
        caches.append(cache)
    grads = np.empty((T, B, H))
    dh, dc = dh_last, np.zeros((B, H))
    for t in range(T - 1, -1, -1):
        if wrt == "h":
            grads[t] = dh
        else:
            # the cache ends with (..., o, tanh(c_t)): h_t = o * tanh(c_t)
            o, tanh_c = caches[t][-2:]
            grads[t] = dc + dh * o * (1.0 - tanh_c**2)
        if cell == "rnn":
            _, dh, *_ = rnn_step_backward(dh, caches[t])
        else:
            _, dh, dc, *_ = lstm_step_backward(dh, dc, caches[t])
    return grads


def gradient_norms_by_distance(grads):
    """||dL/dh_t|| / ||dL/dh_{T-1}|| against the distance k = T-1-t.

    grads (T, B, H) from `hidden_state_gradients`.  The ratio is taken per
    sequence and averaged over the batch; returns (T,) with norms[0] = 1.
    """
    norms = np.linalg.norm(grads, axis=2)  # (T, B)
    return (norms / norms[-1]).mean(axis=1)[::-1].copy()


def rnn_gradient_norms(W_hh, num_steps=60, batch_size=32, input_size=4, seed=0):
    """How the gradient shrinks or grows with the distance, for a given W_hh.

    A tanh RNN with this W_hh, input weights W_hx Xavier-uniform (H, D) and
    b_h = 0 reads `batch_size` random sequences x ~ N(0, 1) of `num_steps`
    steps; a random unit gradient arrives at the last hidden state.
    Returns norms (num_steps,): norms[k] = ||dL/dh_{T-1-k}|| / ||dL/dh_{T-1}||,
    averaged over the batch.
    """
    W_hh = as_float_array("W_hh", W_hh)
    if W_hh.ndim != 2 or W_hh.shape[0] != W_hh.shape[1]:
        raise ValueError(f"W_hh must have shape (H, H); got {W_hh.shape}")
    H = W_hh.shape[0]
    rng = as_rng(seed)
    W_hx = xavier_uniform((H, input_size), rng)
    x = rng.standard_normal((batch_size, num_steps, input_size))
    dh_last = rng.standard_normal((batch_size, H))
    grads = hidden_state_gradients("rnn", (W_hx, W_hh, np.zeros(H)), x, dh_last)
    return gradient_norms_by_distance(grads)


def singular_value_bound(W_hh, distances):
    """sigma_max(W_hh)^k for each distance k: the most the gradient can grow.

    Each step back multiplies dL/dh by diag(tanh'(a)) and W_hh; with
    tanh' <= 1, ||dL/dh_{T-k}|| <= sigma_max^k ||dL/dh_T||.
    """
    sigma_max = np.linalg.norm(as_float_array("W_hh", W_hh), ord=2)
    return sigma_max ** np.asarray(distances, dtype=np.float64)


# ---------------------------------------------------------------------------
# The cliff: a one-unit RNN
# ---------------------------------------------------------------------------


def one_unit_rnn_loss(w, b, num_steps=15, h0=0.5, target=-0.9):
    """Loss and gradient of the smallest RNN, over a grid or at one point.

        h_t = tanh(w h_{t-1} + b),  t = 1 … num_steps,   L = (h_T - target)^2

    For w > 1 the unit has two stable states near +1 and -1, and which one
    h_T ends in flips across a curve in (w, b): the loss jumps there, a
    cliff, and dL/dw, dL/db become huge on its face (Pascanu et al., 2013).

    w, b: numbers or arrays of the same shape (e.g. from np.meshgrid).
    Returns (L, dL/dw, dL/db), arrays of that shape.
    """
    w, b = np.broadcast_arrays(as_float_array("w", w), as_float_array("b", b))
    check_positive_int("num_steps", num_steps)
    hs = [np.full(w.shape, float(h0))]
    for _ in range(num_steps):
        hs.append(np.tanh(w * hs[-1] + b))
    loss = (hs[-1] - target) ** 2
    dh = 2.0 * (hs[-1] - target)
    dw, db = np.zeros(w.shape), np.zeros(w.shape)
    for t in range(num_steps, 0, -1):
        da = dh * (1.0 - hs[t] ** 2)
        dw += da * hs[t - 1]
        db += da
        dh = da * w
    return loss, dw, db


class DescentPath(NamedTuple):
    """What `gradient_descent_path` returns."""

    points: np.ndarray  # (steps + 1, 2): (w, b) after each step, the start first
    losses: np.ndarray  # (steps + 1,)
    grad_norms: np.ndarray  # (steps,): ||(dL/dw, dL/db)|| before clipping
    step_sizes: np.ndarray  # (steps,): how far each step moved (w, b)


def gradient_descent_path(start, lr=0.05, steps=40, max_norm=None, **loss_kwargs):
    """Gradient descent on `one_unit_rnn_loss` from start = (w, b).

    (w, b) <- (w, b) - lr * g, with g = (dL/dw, dL/db) rescaled to length
    max_norm when it is longer (norm clipping; None for plain descent).
    loss_kwargs go to one_unit_rnn_loss.  Returns a DescentPath.
    """
    check_positive_int("steps", steps)
    if max_norm is not None and max_norm <= 0:
        raise ValueError(f"max_norm must be > 0 or None; got {max_norm}")
    p = np.array(start, dtype=np.float64)
    if p.shape != (2,):
        raise ValueError(f"start must be a pair (w, b); got shape {p.shape}")
    points, losses, norms = [p.copy()], [], []
    for _ in range(steps):
        loss, dw, db = one_unit_rnn_loss(p[0], p[1], **loss_kwargs)
        g = np.array([dw, db], dtype=np.float64)
        n = float(np.linalg.norm(g))
        if max_norm is not None and n > max_norm:
            g *= max_norm / n
        losses.append(float(loss))
        norms.append(n)
        p = p - lr * g
        points.append(p.copy())
    losses.append(float(one_unit_rnn_loss(p[0], p[1], **loss_kwargs)[0]))
    points = np.array(points)
    return DescentPath(
        points,
        np.array(losses),
        np.array(norms),
        np.linalg.norm(np.diff(points, axis=0), axis=1),
    )


# ---------------------------------------------------------------------------
# The long-gap experiment
# ---------------------------------------------------------------------------


def train_long_gap(
    cell,
    gap,
    seed=0,
    hidden_size=16,
    batch_size=32,
    max_steps=250,
    lr=0.01,
    clip=1.0,
    forget_bias=4.0,
    noise_std=1.5,
    test_size=500,
    chunk=25,
    stop_loss=0.02,
):
    """Train one many-to-one model on the long-gap task; return (model, accuracy).

    The model is a `SequenceClassifier` (rnnlib/models.py): an RNN or LSTM
    with `hidden_size` units reads x (B, gap, 2) and a Dense layer maps the
    last hidden state to two logits.  Every training step draws a fresh
    batch from `long_gap` (so there is nothing to overfit), takes Adam steps
    with the gradient norm clipped at `clip`, and training stops early once
    the mean loss of the last `chunk` steps is below `stop_loss`, or after
    `max_steps`.  For the LSTM, the forget gate's bias starts at
    `forget_bias` (f = sigmoid(4) = 0.98 for 4), so the untrained cell
    already keeps most of its memory from step to step.

    Accuracy is measured on `test_size` fresh sequences (seed 10_000 + seed).
    """
    check_choice("cell", cell, ("rnn", "lstm"))
    check_positive_int("gap", gap)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int; got {seed!r}")
    rng = as_rng(seed)
    model = SequenceClassifier(
        2, hidden_size, 2, cell=cell, forget_bias=forget_bias, seed=rng
    )
    optimizer = Adam(model.params, lr=lr)
    steps = 0
    while steps < max_steps:
        n = min(chunk, max_steps - steps)
        batches = [long_gap(batch_size, gap, noise_std, seed=rng) for _ in range(n)]
        history = fit(model, batches, optimizer=optimizer, clip=clip, progress=False)
        steps += n
        if np.mean(history) < stop_loss:
            break
    x_test, y_test = long_gap(test_size, gap, noise_std, seed=10_000 + seed)
    return model, model.accuracy(x_test, y_test)


class SweepResult(NamedTuple):
    """What `long_gap_sweep` returns."""

    gaps: np.ndarray  # (G,)
    seeds: np.ndarray  # (S,)
    accuracy: np.ndarray  # (G, S): test accuracy for each gap and seed
    models: dict  # (gap, seed) -> the trained SequenceClassifier


def long_gap_sweep(
    cell, gaps=(5, 10, 20, 40, 80), seeds=(0, 1, 2), progress=True, **kwargs
):
    """Train a model for every gap and seed (`train_long_gap`); collect accuracy.

    kwargs go to train_long_gap.  Returns a SweepResult; accuracy[i, j] is
    the test accuracy for gaps[i] and seeds[j].
    """
    gaps, seeds = np.asarray(gaps), np.asarray(seeds)
    accuracy = np.zeros((len(gaps), len(seeds)))
    models = {}
    runs = [(i, j) for i in range(len(gaps)) for j in range(len(seeds))]
    for i, j in tqdm(runs, desc=f"{cell}: gaps x seeds", disable=not progress):
        model, acc = train_long_gap(cell, int(gaps[i]), seed=int(seeds[j]), **kwargs)
        accuracy[i, j] = acc
        models[int(gaps[i]), int(seeds[j])] = model
    return SweepResult(gaps, seeds, accuracy, models)
