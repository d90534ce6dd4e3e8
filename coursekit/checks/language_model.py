"""Checks for exercise 11, the character-level language model.

References and "usual mistake" generators, written with plain NumPy and
independently of the learner's code, for

    embedding_backward_mistakes   ids overwritten instead of accumulated
    temporal_loss_mistakes        the mask left out, or only half applied
    gru_step_reference            one GRU step (r, z, n as PyTorch) and its cache
    gru_step_backward_reference   its backward pass
    gru_step_mistakes             r and z swapped, z and 1 - z swapped, the
                                  hidden bias outside the reset product ...
    gru_step_backward_mistakes    the same in the backward pass
    gru_expected / gru_backward_expected
                                  rnnlib's GRU step (rnnlib/gru.py), which the
                                  reference above agrees with
    train_epoch_reference         one epoch of minibatch training, with
                                  global (or, as a mistake, per-parameter) clipping
    sample_names_reference        the sampling loop, with (or, as a mistake,
                                  without) the state carried between steps
    check_not_using               the learner's code does not call these references

The shared helpers (check_array, check_gradient with the course's
gradient-check policy, MISTAKES, ...) are in `coursekit.checks`.
"""

import copy

import numpy as np

from .bytecode import names_used
from .mistakes_outputs import masked_cross_entropy_mistakes
from .own_work import is_remote
from .values import MISTAKES

# ---------------------------------------------------------------------------
# the embedding and the loss

OVERWRITTEN = (
    "ids overwritten instead of accumulated: dW[ids] = de (or dW[ids] += de,"
    " which NumPy buffers the same way) keeps only one row per repeated id."
    " Every position that read row v adds its gradient to dW[v]:"
    " np.add.at(dW, ids, de)"
)


def embedding_backward_mistakes(de, ids, vocab_size):
    """{mistake: dW (V, E)} for the usual wrong embedding backward passes.

    de (B, T, E), ids (B, T).  The right one: dW[v] = sum of de[b, t] over
    every (b, t) with ids[b, t] == v.
    """
    de = np.asarray(de, dtype=np.float64)
    ids = np.asarray(ids)
    E = de.shape[-1]
    overwritten = np.zeros((vocab_size, E))
    overwritten[ids.reshape(-1)] = de.reshape(-1, E)
    first_row = np.zeros((vocab_size, E))
    first_row[ids[0]] = de[0]
    return {
        OVERWRITTEN: overwritten,
        "only the first sequence of the batch: dW sums over every sequence"
        " and every step": first_row,
    }


def temporal_loss_mistakes(logits, targets, mask):
    """The wrong masked softmax losses of coursekit.checks, plus a mask applied
    to the loss but not to its gradient.  Returns {"loss": {...}, "dlogits": {...}}."""
    out = masked_cross_entropy_mistakes(logits, targets, mask)
    z = np.asarray(logits, dtype=np.float64)
    B, _, C = z.shape
    shifted = z - z.max(axis=-1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
    loss_only = (
        "the mask applied to the loss but not to dlogits: padded steps"
        " must get zero gradient too"
    )
    out["dlogits"][loss_only] = (p - np.eye(C)[targets]) / B
    return out


# ---------------------------------------------------------------------------
# the GRU step (gate order r, z, n; the hidden bias inside the reset product)


def _sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def _gru_parts(x_t, h_prev, W_x, W_h, b_x, b_h, order="rzn"):
    H = h_prev.shape[1]
    a_x = x_t @ W_x.T + b_x
    a_h = h_prev @ W_h.T + b_h
    blocks = {g: slice(k * H, (k + 1) * H) for k, g in enumerate(order)}
    r = _sigmoid(a_x[:, blocks["r"]] + a_h[:, blocks["r"]])
    z = _sigmoid(a_x[:, blocks["z"]] + a_h[:, blocks["z"]])
    return a_x[:, blocks["n"]], a_h[:, blocks["n"]], r, z


def gru_step_reference(x_t, h_prev, W_x, W_h, b_x, b_h):
    """One GRU step, as PyTorch's nn.GRU:

    a_x = x_t @ W_x.T + b_x,   a_h = h_prev @ W_h.T + b_h    (B, 3H), blocks r, z, n
    r = σ(a_x,r + a_h,r),   z = σ(a_x,z + a_h,z),   n = tanh(a_x,n + r * a_h,n)
    h_next = (1 - z) * n + z * h_prev

    Returns h_next and the exercise's cache
    (x_t, h_prev, W_x, W_h, r, z, n, a_hn) with a_hn = a_h,n.
    """
    a_xn, a_hn, r, z = _gru_parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    n = np.tanh(a_xn + r * a_hn)
    h_next = (1 - z) * n + z * h_prev
    return h_next, (x_t, h_prev, W_x, W_h, r, z, n, a_hn)


def _gru_backward(dh_next, cache, order="rzn", direct=True, r_in_hidden=True):
    x_t, h_prev, W_x, W_h, r, z, n, a_hn = cache
    dn = dh_next * (1 - z)
    dz = dh_next * (h_prev - n)
    da_n = dn * (1 - n**2)
    da_r = da_n * a_hn * r * (1 - r)
    da_z = dz * z * (1 - z)
    grads = {"r": da_r, "z": da_z, "n": da_n}
    da_x = np.concatenate([grads[g] for g in order], axis=1)
    grads["n"] = da_n * r if r_in_hidden else da_n
    da_h = np.concatenate([grads[g] for g in order], axis=1)
    dh_prev = da_h @ W_h + (dh_next * z if direct else 0)
    return (
        da_x @ W_x,
        dh_prev,
        da_x.T @ x_t,
        da_h.T @ h_prev,
        da_x.sum(axis=0),
        da_h.sum(axis=0),
    )


def gru_step_backward_reference(dh_next, cache):
    """Backward of gru_step_reference:

    dn = dh (1 - z),  dz = dh (h_prev - n),  da_n = dn (1 - n²),
    dr = da_n a_hn,   da_r = dr r (1 - r),   da_z = dz z (1 - z)
    da_x = [da_r, da_z, da_n],   da_h = [da_r, da_z, da_n * r]
    dx_t = da_x W_x,  dh_prev = da_h W_h + dh z,  dW_x = da_x^T x_t,
    dW_h = da_h^T h_prev,  db_x = Σ da_x,  db_h = Σ da_h.

    Returns dx_t, dh_prev, dW_x, dW_h, db_x, db_h.
    """
    return _gru_backward(dh_next, cache)


SWAPPED = (
    "the gates r and z swapped: the blocks of W_x, W_h, b_x and b_h are in"
    " the order r (reset), z (update), n (candidate), as in PyTorch"
)


def gru_step_mistakes(x_t, h_prev, W_x, W_h, b_x, b_h):
    """{mistake: h_next} for the usual wrong GRU steps."""
    a_xn, a_hn, r, z = _gru_parts(x_t, h_prev, W_x, W_h, b_x, b_h, order="zrn")
    swapped = (1 - z) * np.tanh(a_xn + r * a_hn) + z * h_prev
    a_xn, a_hn, r, z = _gru_parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    n = np.tanh(a_xn + r * a_hn)
    H = h_prev.shape[1]
    b_hn = b_h[2 * H :]
    W_hn = W_h[2 * H :]
    outside = np.tanh(a_xn + r * (a_hn - b_hn) + b_hn)
    before = np.tanh(a_xn + (r * h_prev) @ W_hn.T + b_hn)
    return {
        SWAPPED: swapped,
        "z and 1 - z swapped: h_next = (1 - z) * n + z * h_prev (z is how much"
        " of the old state is kept)": z * n + (1 - z) * h_prev,
        "the hidden bias b_h,n outside the reset product: the candidate is"
        " tanh(a_x,n + r * (h_prev @ W_hn.T + b_hn)), with b_hn inside": (
            (1 - z) * outside + z * h_prev
        ),
        "the reset gate applied to h_prev before the product (the form of Cho"
        " et al., 2014); here, as in PyTorch, r multiplies h_prev @ W_hn.T +"
        " b_hn": (1 - z) * before + z * h_prev,
        "the candidate n returned instead of h_next": n,
    }


def gru_step_backward_mistakes(dh_next, cache):
    """{name: {mistake: array}} for dx_t, dh_prev, dW_x, dW_h, db_x, db_h."""
    names = ("dx_t", "dh_prev", "dW_x", "dW_h", "db_x", "db_h")
    variants = {
        SWAPPED + " (here in the order of the stacked gradients)": _gru_backward(
            dh_next, cache, order="zrn"
        ),
        "the direct path left out: h_next = (1 - z) n + z h_prev, so dh_prev"
        " gets dh_next * z besides da_h @ W_h": _gru_backward(
            dh_next, cache, direct=False
        ),
        "the reset gate left out of the hidden side: a_h,n enters as r * a_h,n,"
        " so its gradient is da_n * r": _gru_backward(
            dh_next, cache, r_in_hidden=False
        ),
    }
    return {
        name: {m: v[i] for m, v in variants.items()} for i, name in enumerate(names)
    }


def gru_expected(x_t, h_prev, W_x, W_h, b_x, b_h):
    """h_next from rnnlib.gru_step_forward (tests/test_exercise11.py checks
    that it agrees with gru_step_reference)."""
    from rnnlib import gru_step_forward

    return gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h)[0]


def gru_backward_expected(dh_next, args):
    """(dx_t, dh_prev, dW_x, dW_h, db_x, db_h) at the step of `args`, from
    rnnlib.gru_step_backward."""
    from rnnlib import gru_step_backward, gru_step_forward

    return tuple(gru_step_backward(dh_next, gru_step_forward(*args)[1]))


# ---------------------------------------------------------------------------
# the training loop


def _clip(grads, max_norm, how):
    if how == "none":
        return
    arrays = list(grads.values())
    if how == "global":
        norms = [float(np.sqrt(sum(float(np.sum(g * g)) for g in arrays)))] * len(
            arrays
        )
    else:  # per parameter
        norms = [float(np.sqrt(np.sum(g * g))) for g in arrays]
    for g, norm in zip(arrays, norms, strict=True):
        if norm > max_norm:
            g *= max_norm / norm


def train_epoch_reference(
    model,
    sequences,
    batch_size,
    optimizer,
    max_norm,
    rng,
    clipping="global",
    shuffle=True,
    tokens_counted="predicted",
):
    """One epoch, as exercise 11 asks: order = rng.permutation(N); for each
    minibatch order[i:i + batch_size], pad it (pad_sequences), loss, grads =
    model.loss(ids, mask), clip the gradients (global norm),
    optimizer.step(grads).  Returns the mean loss per predicted token.

    clipping "per_parameter" or "none", shuffle=False, or tokens_counted
    "mask" (the loss divided by mask.sum(), which counts the first token of
    each name too, though nothing predicts it), make the usual mistakes
    instead.
    """
    from rnnlib.datasets.padding import pad_sequences

    n = len(sequences)
    order = rng.permutation(n) if shuffle else np.arange(n)
    total, tokens = 0.0, 0.0
    for i in range(0, n, batch_size):
        batch = [sequences[j] for j in order[i : i + batch_size]]
        ids, mask = pad_sequences(batch)
        loss, grads = model.loss(ids, mask)
        _clip(grads, max_norm, clipping)
        optimizer.step(grads)
        total += loss * len(batch)
        tokens += mask[:, 1:].sum() if tokens_counted == "predicted" else mask.sum()
    return total / tokens


def train_epoch_loss_mistakes(
    make_model, make_optimizer, sequences, batch_size, max_norm, seed
):
    """{mistake: loss} for the usual wrong per-token means of train_epoch."""
    model = make_model()
    loss = train_epoch_reference(
        model,
        sequences,
        batch_size,
        make_optimizer(model.params),
        max_norm,
        np.random.default_rng(seed),
        tokens_counted="mask",
    )
    return {
        "a division by mask.sum(), which counts the first token of every name:"
        " nothing predicts it, so divide by the number of predicted tokens,"
        " the sum of mask[:, 1:]": loss
    }


def train_epoch_variants(
    make_model, make_optimizer, sequences, batch_size, max_norm, seed
):
    """{mistake: (params, loss)} after one epoch with the usual mistakes, each
    from a fresh model and optimiser (make_model(), make_optimizer(params))."""
    variants = {
        "clipping per parameter instead of by the global norm: the norm is one"
        " number over every gradient array together, and one factor max_norm /"
        " norm scales them all": {"clipping": "per_parameter"},
        "no clipping: rescale the gradients when their global norm exceeds max_norm": {
            "clipping": "none"
        },
        "batches that are not shuffled: take them in the order"
        " rng.permutation(len(sequences)) gives": {"shuffle": False},
    }
    out = {}
    for mistake, kwargs in variants.items():
        model = make_model()
        loss = train_epoch_reference(
            model,
            sequences,
            batch_size,
            make_optimizer(model.params),
            max_norm,
            np.random.default_rng(seed),
            **kwargs,
        )
        out[mistake] = ({k: v.copy() for k, v in model.params.items()}, loss)
    return out


# ---------------------------------------------------------------------------
# sampling


def sample_names_reference(params, n, temperature, rng, max_len, carry_state=True):
    """The sampling loop of exercise 11 for a tanh-RNN language model.

    From token 0 (the boundary) and h = 0, at every step, for all n rows:
    h = tanh(W_emb[token] @ W_hx.T + h @ W_hh.T + b_h), logits = h @ W_yh.T
    + b_y, token = sample_from_logits(logits, temperature, rng); a row keeps
    its tokens up to and with its first 0; stop when every row has drawn a
    0, or after max_len steps.  Returns n lists of ints.
    """
    from rnnlib.sampling import sample_from_logits

    p = params
    H = p["W_hh"].shape[0]
    h = np.zeros((n, H))
    token = np.zeros(n, dtype=np.int64)
    rows, done = [[] for _ in range(n)], np.zeros(n, dtype=bool)
    for _ in range(max_len):
        h_prev = h if carry_state else np.zeros((n, H))
        h = np.tanh(p["W_emb"][token] @ p["W_hx"].T + h_prev @ p["W_hh"].T + p["b_h"])
        token = sample_from_logits(h @ p["W_yh"].T + p["b_y"], temperature, rng)
        for i in np.flatnonzero(~done):
            rows[i].append(int(token[i]))
        done |= token == 0
        if done.all():
            break
    return rows


def sample_names_mistakes(params, n, temperature, seed, max_len):
    """{mistake: rows} for the usual wrong sampling loops."""
    argmax = (
        "the most likely token every time (argmax): draw each token from"
        " softmax(logits / temperature) with rng (sample_from_logits)"
    )
    return {
        argmax: (
            sample_names_reference(params, n, 0.0, np.random.default_rng(seed), max_len)
            if temperature != 0.0
            else None
        ),
        MISTAKES["state_not_carried"]: sample_names_reference(
            params, n, temperature, np.random.default_rng(seed), max_len, False
        ),
        "the temperature ignored: draw from softmax(logits / temperature)": (
            sample_names_reference(params, n, 1.0, np.random.default_rng(seed), max_len)
            if temperature != 1.0
            else None
        ),
    }


def copy_params(model):
    """A deep copy of a model (so that a reference can train the same start)."""
    return copy.deepcopy(model)


# ---------------------------------------------------------------------------
# own work


def check_not_using(func, reference_names):
    """Assert that `func` (and the notebook functions it calls) does not refer
    to the references of coursekit.checks.language_model it is compared with."""
    used = func.inspect("names_used") if is_remote(func) else names_used(func)
    hits = sorted(n for n in reference_names if n in used)
    if hits:
        where = sorted({used[n] for n in hits})
        raise AssertionError(
            f"your {func.__name__} uses {', '.join(hits)} (in {', '.join(where)}),"
            " the reference it is compared with. Write the computation yourself"
            " with NumPy: that is the exercise."
        )
    return True
