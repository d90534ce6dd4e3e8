"""Training: the minibatch loop every model shares, and its two recipes.

Every model offers `loss(*batch) -> (loss, grads)`: a forward pass, the
loss, a backward pass, and the gradients in a dict with the keys of
`model.params`.  So one loop trains them all:

    for each epoch: shuffle the examples (seeded)
        for each minibatch:
            loss, grads = model.loss(*batch)
            clip_grad_norm(grads, clip)          # if clip is set
            optimizer.step(grads)                # Adam by default

    history = fit(model, (x, y, mask), epochs=5, batch_size=64, lr=1e-2,
                  clip=5.0, seed=0)    # the loss of every step

`train_language_model` (sequences of token ids, padded per batch) and
`train_encoder_decoder` (source/target pairs) are `fit` with a `make_batch`
for their data; both return the mean loss per token of each epoch
(`per_token_means`).
"""

import numpy as np
from tqdm.auto import tqdm

from .checks import check_positive_int
from .datasets.padding import pad_sequences
from .init import as_rng
from .optim import Adam, clip_grad_norm


def _batches(n, batch_size, rng, make_batch):
    """Yield make_batch(idx) for the index arrays of a shuffled order of n."""
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield make_batch(order[start : start + batch_size])


def _array_batches(data):
    """For `fit`'s (x, y[, mask]) arrays: (x, make_batch slicing every array)."""
    if len(data) not in (2, 3):
        raise ValueError(f"data must be (x, y) or (x, y, mask); got {len(data)} arrays")
    arrays = tuple(np.asarray(a) for a in data)
    lengths = [len(a) for a in arrays]
    if any(n != lengths[0] for n in lengths):
        raise ValueError(f"data arrays must have the same length; got {lengths}")
    return arrays[0], lambda idx: tuple(a[idx] for a in arrays)


def fit(
    model,
    data,
    epochs=1,
    optimizer=None,
    *,
    batch_size=32,
    lr=1e-2,
    clip=None,
    seed=0,
    progress=True,
    desc="training",
    make_batch=None,
):
    """Train `model` with minibatches; return the loss of every step (a list).

    data       (x, y) or (x, y, mask) arrays, shuffled into minibatches of
               `batch_size` at every epoch; or a list of such tuples, each
               one batch, used in order; or, with `make_batch`, any
               collection of examples (it only needs len(data)).
    make_batch make_batch(idx) -> the batch tuple for the example indices
               idx (an int array, shuffled at every epoch), e.g. padding
               variable-length sequences; see train_language_model.
    optimizer  any rnnlib.optim optimiser built on model.params; default
               Adam(model.params, lr=lr).
    clip       if set, the global gradient norm is clipped to it
               (`clip_grad_norm(grads, max_norm=clip)`) before every step.
    seed       seeds the shuffling (the model has its own seed).

    Each step: loss, grads = model.loss(*batch); clip; optimizer.step(grads).
    """
    check_positive_int("epochs", epochs)
    check_positive_int("batch_size", batch_size)
    if make_batch is None and isinstance(data, tuple):
        data, make_batch = _array_batches(data)
    elif make_batch is None and not isinstance(data, list):
        raise TypeError(
            "data must be a tuple of arrays or a list of batches (or any "
            f"collection with make_batch); got {type(data).__name__}"
        )
    if make_batch is None:
        steps_per_epoch = len(data)  # a list of batches, used in order
    else:
        steps_per_epoch = -(-len(data) // batch_size)
    if optimizer is None:
        optimizer = Adam(model.params, lr=lr)
    rng = as_rng(seed)
    history = []
    bar = tqdm(total=epochs * steps_per_epoch, desc=desc, disable=not progress)
    for _ in range(epochs):
        if make_batch is None:
            batches = data
        else:
            batches = _batches(len(data), batch_size, rng, make_batch)
        for batch in batches:
            loss, grads = model.loss(*batch)
            if clip is not None:
                clip_grad_norm(grads, clip)
            optimizer.step(grads)
            history.append(loss)
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
    bar.close()
    return history


def per_token_means(step_losses, weights, epochs):
    """The mean loss per token of each epoch, from `fit`'s step losses.

    step_losses: the loss of every step (averaged over the batch's B
    examples); weights: (B, tokens) of every step, in the same order.
    Returns a list of `epochs` floats: sum(loss * B) / sum(tokens) over
    the steps of each epoch.
    """
    losses = np.asarray(step_losses, dtype=float)
    examples, tokens = np.asarray(weights, dtype=float).reshape(-1, 2).T
    if not (len(losses) == len(examples) and len(losses) % epochs == 0):
        raise ValueError(
            f"need one (B, tokens) per step and the same number of steps per "
            f"epoch; got {len(losses)} losses, {len(examples)} weights, {epochs} epochs"
        )
    per_epoch = len(losses) // epochs
    totals = (losses * examples).reshape(epochs, per_epoch).sum(axis=1)
    return [float(v) for v in totals / tokens.reshape(epochs, per_epoch).sum(axis=1)]


def train_language_model(
    model,
    sequences,
    epochs=20,
    batch_size=16,
    lr=1e-2,
    clip=5.0,
    seed=0,
    progress=True,
):
    """Train a language model with teacher forcing, Adam and gradient clipping.

    sequences: a list of 1-D id arrays (they are padded and masked per
    batch).  `fit` runs the loop: each epoch shuffles the sequences
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


def train_encoder_decoder(
    model,
    data,
    epochs=10,
    batch_size=64,
    lr=1e-2,
    clip=5.0,
    seed=0,
    progress=True,
):
    """Train an encoder-decoder (with or without attention) with teacher
    forcing, Adam and gradient clipping (`fit`).

    data: a split with `len(data)` examples and `data.batch(index)` returning
    (src, src_mask, tgt_in, tgt_out, tgt_mask), such as
    rnnlib.datasets.numbers.TranslationSplit.  Each epoch shuffles the
    examples (seeded); the gradients' global norm is clipped to `clip`.
    Returns the mean training loss per target token of each epoch (nats),
    a list of length `epochs`.
    """
    weights = []  # (B, target tokens) of every step, for per_token_means

    def make_batch(idx):
        src, src_mask, tgt_in, tgt_out, tgt_mask = data.batch(idx)
        weights.append((len(idx), tgt_mask.sum()))
        return src, tgt_in, tgt_out, src_mask, tgt_mask

    losses = fit(
        model, data, epochs, batch_size=batch_size, lr=lr, clip=clip,
        seed=seed, progress=progress, make_batch=make_batch,
    )  # fmt: skip
    return per_token_means(losses, weights, epochs)
