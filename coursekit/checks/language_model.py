"""Checks for exercise 11, the character-level language model.

The test cells of exercises/11_character_language_model_exercises.ipynb call
one check per part; each compares the learner's function with a reference
written here with plain NumPy, independently of the learner's code, and
names the usual mistakes:

    check_embedding       Part 1: embedding_forward against rnnlib's, and
                          embedding_backward against rnnlib's and the
                          numerical gradient (ids overwritten, not added)
    check_loss            Part 2: temporal_softmax_loss against rnnlib's
                          softmax_cross_entropy (the mask left out or only
                          half applied)
    check_gru_forward     Part 3: one GRU step of Cho et al. (2014), the reset
                          gate before the product (gru_step_reference), and
                          its cache (r and z swapped, PyTorch's form, ...)
    check_gru_backward    Part 4: its backward pass against the numerical
                          gradients of that forward (the direct path left
                          out, PyTorch's backward, the blocks out of order);
                          nothing here computes the backward pass itself
    check_clip            Part 5: clip_global_norm (per-parameter clipping)
    check_epoch           Part 5: train_epoch against train_epoch_reference
                          (no shuffling, no clipping, a division by mask.sum())
    check_sampling        Part 6: sample_names against sample_names_reference
                          (argmax, the state not carried, the temperature
                          ignored)
    check_not_using       the learner's code does not call these references

The shared helpers (check_array, check_gradient with the course's
gradient-check policy, MISTAKES, ...) are in `coursekit.checks`.
"""

import functools

import numpy as np

from .bytecode import names_used
from .mistakes_outputs import masked_cross_entropy_mistakes
from .mistakes_rnn import clip_grad_norm_mistakes
from .own_work import is_remote
from .randomness import check_global_random_untouched, check_token_lists
from .values import (
    MISTAKES,
    check_array,
    check_gradient,
    check_returns,
    check_scalar,
    copies,
)

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


def check_embedding(
    embedding_forward, embedding_backward, B, T, V, E, seed, numerical=False
):
    """Part 1: e from the learner's embedding_forward and dW from their
    embedding_backward, against rnnlib's (and, if numerical, against the
    numerical gradient of L = sum(de * e)).  At least one id is read twice.
    Returns (ids, W, de, cache)."""
    import rnnlib

    rng = np.random.default_rng(seed)
    W = rng.standard_normal((V, E))
    ids = rng.integers(0, V, (B, T))
    ids[0, 0] = ids[-1, -1]
    de = rng.standard_normal((B, T, E))
    size = f"B={B}, T={T}, V={V}, E={E}"
    expected_e, expected_cache = rnnlib.embedding_forward(ids, W)
    e, cache = check_returns(
        "embedding_forward", embedding_forward(*copies(ids, W)), ("e", "cache")
    )
    check_array(f"e ({size})", e, expected_e)
    dW = embedding_backward(*copies(de, cache))
    check_array(
        f"dW ({size})",
        dW,
        rnnlib.embedding_backward(de, expected_cache),
        mistakes=embedding_backward_mistakes(de, ids, V),
    )
    if numerical:
        num = rnnlib.numerical_gradient(
            lambda w: np.sum(de * rnnlib.embedding_forward(ids, w)[0]), W
        )
        check_gradient(f"dW ({size}), against the numerical gradient", dW, num)
    return ids, W, de, cache


def check_loss(temporal_softmax_loss, B, T, V, seed, scale=2.0, numerical=False):
    """Part 2: the loss and dlogits of the learner's temporal_softmax_loss
    against rnnlib.softmax_cross_entropy, on random logits and a mask of
    random lengths (the first sequence full); if numerical, dlogits against
    the numerical gradient of their own loss.  Returns (logits, targets, mask)."""
    import rnnlib

    rng = np.random.default_rng(seed)
    logits = scale * rng.standard_normal((B, T, V))
    targets = rng.integers(0, V, (B, T))
    lengths = rng.integers(1, T + 1, B)
    lengths[0] = T
    mask = (np.arange(T) < lengths[:, None]).astype(float)
    expected_loss, expected_d = rnnlib.softmax_cross_entropy(logits, targets, mask)
    mistakes = temporal_loss_mistakes(logits, targets, mask)
    loss, dlogits = check_returns(
        "temporal_softmax_loss",
        temporal_softmax_loss(*copies(logits, targets, mask)),
        ("loss", "dlogits"),
    )
    size = f"B={B}, T={T}, V={V}"
    check_scalar(f"loss ({size})", loss, expected_loss, mistakes=mistakes["loss"])
    check_array(f"dlogits ({size})", dlogits, expected_d, mistakes=mistakes["dlogits"])
    if numerical:
        num = rnnlib.numerical_gradient(
            lambda z: temporal_softmax_loss(*copies(z, targets, mask))[0], logits
        )
        check_gradient(
            f"dlogits ({size}), against the numerical gradient of your loss",
            dlogits,
            num,
        )
    return logits, targets, mask


# ---------------------------------------------------------------------------
# the GRU step of Cho et al. (2014): gate order r, z, n, as rnnlib and
# PyTorch, but the reset gate multiplies h_prev before the product W_hn.
# Its backward pass is the learner's to derive: nothing here computes it.

GRU_CACHE = ("x_t", "h_prev", "W_x", "W_h", "r", "z", "n")
GRU_GRADIENTS = ("dx_t", "dh_prev", "dW_x", "dW_h", "db_x", "db_h")


def random_gru(B, D, H, seed):
    """Test data: x_t (B, D), h_prev (B, H), W_x (3H, D), W_h (3H, H),
    b_x (3H,), b_h (3H,)."""
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((B, D)),
        rng.standard_normal((B, H)),
        rng.standard_normal((3 * H, D)) / np.sqrt(D),
        rng.standard_normal((3 * H, H)) / np.sqrt(H),
        0.5 * rng.standard_normal(3 * H),
        0.5 * rng.standard_normal(3 * H),
    )


def _sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def _gru_gates(x_t, h_prev, W_x, W_h, b_x, b_h, order="rzn"):
    """(a_x,n, r, z) for the blocks of W_x, W_h, b_x, b_h in `order`."""
    H = h_prev.shape[1]
    blocks = {g: slice(k * H, (k + 1) * H) for k, g in enumerate(order)}
    a_x = x_t @ W_x.T + b_x
    a_h = h_prev @ W_h.T + b_h
    r = _sigmoid(a_x[:, blocks["r"]] + a_h[:, blocks["r"]])
    z = _sigmoid(a_x[:, blocks["z"]] + a_h[:, blocks["z"]])
    return a_x[:, blocks["n"]], r, z, blocks["n"]


def gru_step_reference(x_t, h_prev, W_x, W_h, b_x, b_h):
    """One GRU step as Cho et al. (2014), the reset gate before the product:

    a_x = x_t @ W_x.T + b_x  (B, 3H), blocks r, z, n
    r = σ(a_x,r + h_prev @ W_hr.T + b_hr),  z = σ(a_x,z + h_prev @ W_hz.T + b_hz)
    n = tanh(a_x,n + (r * h_prev) @ W_hn.T + b_hn)
    h_next = (1 - z) * n + z * h_prev

    Returns h_next and the exercise's cache (x_t, h_prev, W_x, W_h, r, z, n).
    """
    a_xn, r, z, n_block = _gru_gates(x_t, h_prev, W_x, W_h, b_x, b_h)
    n = np.tanh(a_xn + (r * h_prev) @ W_h[n_block].T + b_h[n_block])
    h_next = (1 - z) * n + z * h_prev
    return h_next, (x_t, h_prev, W_x, W_h, r, z, n)


SWAPPED = (
    "the gates r and z swapped: the blocks of W_x, W_h, b_x and b_h are in"
    " the order r (reset), z (update), n (candidate), as in PyTorch"
)
RESET_AFTER = (
    "the reset gate applied after the product, as in PyTorch and rnnlib/gru.py"
    " (r * (h_prev @ W_hn.T + b_hn)); this exercise's GRU, Cho et al.'s,"
    " multiplies first: (r * h_prev) @ W_hn.T + b_hn"
)


def gru_step_mistakes(x_t, h_prev, W_x, W_h, b_x, b_h):
    """{mistake: h_next} for the usual wrong GRU steps."""
    from rnnlib import gru_step_forward

    H = h_prev.shape[1]
    W_hn, b_hn = W_h[2 * H :], b_h[2 * H :]
    a_xn, r, z, _ = _gru_gates(x_t, h_prev, W_x, W_h, b_x, b_h, order="zrn")
    swapped = (1 - z) * np.tanh(a_xn + (r * h_prev) @ W_hn.T + b_hn) + z * h_prev
    a_xn, r, z, _ = _gru_gates(x_t, h_prev, W_x, W_h, b_x, b_h)
    n = np.tanh(a_xn + (r * h_prev) @ W_hn.T + b_hn)
    no_reset = np.tanh(a_xn + h_prev @ W_hn.T + b_hn)
    return {
        SWAPPED: swapped,
        "z and 1 - z swapped: h_next = (1 - z) * n + z * h_prev (z is how much"
        " of the old state is kept)": z * n + (1 - z) * h_prev,
        RESET_AFTER: gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h)[0],
        "the reset gate left out of the candidate: n = tanh(a_x,n + h_prev @"
        " W_hn.T + b_hn), without r": (1 - z) * no_reset + z * h_prev,
        "the candidate n returned instead of h_next": n,
    }


def gru_numerical_gradients(dh_next, args):
    """The numerical gradients of L = sum(dh_next * h_next) with respect to
    x_t, h_prev, W_x, W_h, b_x, b_h (args), for gru_step_reference."""
    from rnnlib import numerical_gradient

    arrays = [np.array(a, dtype=np.float64) for a in args]

    def loss(_):
        return np.sum(dh_next * gru_step_reference(*arrays)[0])

    return tuple(numerical_gradient(loss, a) for a in arrays)


def gru_step_backward_mistakes(dh_next, args, numerical):
    """{name: {mistake: array}} for dx_t, dh_prev, dW_x, dW_h, db_x, db_h,
    built from the numerical gradients (gru_numerical_gradients) and from
    rnnlib's backward of PyTorch's GRU, not from this GRU's own backward."""
    from rnnlib import gru_step_backward, gru_step_forward

    H = dh_next.shape[1]
    z = gru_step_reference(*args)[1][5]
    swap = np.r_[H : 2 * H, 0:H, 2 * H : 3 * H]  # the r and z blocks exchanged
    pytorch = gru_step_backward(dh_next, gru_step_forward(*args)[1])
    out = {name: {} for name in GRU_GRADIENTS}
    for name, grad, theirs in zip(GRU_GRADIENTS, numerical, pytorch, strict=True):
        out[name][RESET_AFTER + " (this is the backward pass of that GRU)"] = theirs
        if name not in ("dx_t", "dh_prev"):
            out[name][SWAPPED + " (here in the order of the stacked gradients)"] = grad[
                swap
            ]
    out["dh_prev"][
        "the direct path left out: h_next = (1 - z) n + z h_prev, and h_prev"
        " reaches h_next directly too, not only through the gates and n"
    ] = numerical[1] - dh_next * z
    return out


def check_gru_forward(gru_step_forward, B, D, H, seed):
    """Part 3: h_next and the cache of the learner's gru_step_forward, against
    gru_step_reference.  Returns the test's arguments."""
    args = random_gru(B, D, H, seed)
    got = check_returns(
        "gru_step_forward", gru_step_forward(*copies(*args)), ("h_next", "cache")
    )
    expected, expected_cache = gru_step_reference(*args)
    size = f"B={B}, D={D}, H={H}"
    mistakes = gru_step_mistakes(*args)
    check_array(f"h_next ({size})", got[0], expected, mistakes=mistakes)
    cache = check_returns("the cache", got[1], GRU_CACHE)
    for name, mine, theirs in zip(GRU_CACHE, cache, expected_cache, strict=True):
        check_array(f"{name} in the cache ({size})", mine, theirs)
    return args


def check_gru_backward(gru_step_backward, B, D, H, seed, more_mistakes=None):
    """Part 4: each gradient of the learner's gru_step_backward against the
    numerical gradient of gru_step_reference, for L = sum(dh_next * h_next).
    more_mistakes(dh_next, cache) -> {name: {mistake: array}} adds named
    mistakes.  Returns (dh_next, cache)."""
    args = random_gru(B, D, H, seed)
    dh_next = np.random.default_rng(seed + 100).standard_normal((B, H))
    _, cache = gru_step_reference(*args)  # the cache of Part 3
    got = check_returns(
        "gru_step_backward", gru_step_backward(*copies(dh_next, cache)), GRU_GRADIENTS
    )
    numerical = gru_numerical_gradients(dh_next, args)
    mistakes = gru_step_backward_mistakes(dh_next, args, numerical)
    for name, extra in (more_mistakes(dh_next, cache) if more_mistakes else {}).items():
        mistakes[name].update(extra)
    size = f"B={B}, D={D}, H={H}"
    # the weights' gradients first: they name a mistake in the order of the blocks
    for k in (2, 3, 4, 5, 0, 1):
        name = GRU_GRADIENTS[k]
        check_gradient(
            f"{name} ({size}), against the numerical gradient",
            got[k],
            numerical[k],
            mistakes=mistakes[name],
        )
    return dh_next, cache


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


@functools.cache
def _training_names():
    from rnnlib.datasets.names import make_name_dataset

    return make_name_dataset(seed=0).encoded("train")


def check_clip(clip_global_norm, shapes, max_norm, seed):
    """Part 5: the norm the learner's clip_global_norm returns and the arrays
    it leaves, for random gradients of the given shapes.  Returns the grads."""
    rng = np.random.default_rng(seed)
    grads = {f"g{k}": rng.standard_normal(s) for k, s in enumerate(shapes)}
    before = {k: g.copy() for k, g in grads.items()}
    mistakes = clip_grad_norm_mistakes(before, max_norm)
    total = np.sqrt(sum(np.sum(g * g) for g in before.values()))
    factor = min(1.0, max_norm / total)
    norm = clip_global_norm(grads, max_norm)
    where = f"max_norm={max_norm}"
    check_scalar(f"the norm ({where})", norm, total, mistakes=mistakes["norm"])
    for k, g in grads.items():
        check_array(
            f"grads[{k!r}] after clipping ({where})",
            g,
            before[k] * factor,
            mistakes=mistakes["grads"][k],
        )
    return grads


def check_epoch(train_epoch, n, batch_size, H, max_norm, lr, seed):
    """Part 5: the parameters after one epoch of the learner's train_epoch, and
    the loss it returns, against train_epoch_reference on n training names.
    Returns the arguments of one more call (all but the rng)."""
    from rnnlib import SGD
    from rnnlib.language_model import LanguageModel

    sequences = _training_names()[seed : seed + n]

    def make_model():
        return LanguageModel(27, embed_dim=4, hidden_size=H, seed=seed)

    def make_optimizer(params):
        return SGD(params, lr=lr)

    model, expected_model = make_model(), make_model()
    expected_loss = train_epoch_reference(
        expected_model,
        sequences,
        batch_size,
        make_optimizer(expected_model.params),
        max_norm,
        np.random.default_rng(seed),
    )
    case = (make_model, make_optimizer, sequences, batch_size, max_norm, seed)
    variants = train_epoch_variants(*case)
    loss = train_epoch(
        model,
        [s.copy() for s in sequences],
        batch_size,
        make_optimizer(model.params),
        max_norm,
        np.random.default_rng(seed),
    )
    size = f"{n} names, batch_size={batch_size}, H={H}, max_norm={max_norm}"
    for key, expected in expected_model.params.items():
        check_array(
            f"model.params[{key!r}] after one epoch ({size})",
            model.params[key],
            expected,
            atol=1e-7,
            rtol=1e-5,
            mistakes={m: v[0][key] for m, v in variants.items()},
        )
    check_scalar(
        f"the returned loss ({size})",
        loss,
        expected_loss,
        rtol=1e-5,
        mistakes=train_epoch_loss_mistakes(*case),
    )
    return model, sequences, batch_size, make_optimizer(model.params), max_norm


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


def random_lm(V, E, H, seed):
    """Random parameters of a tanh-RNN language model whose names end: W_emb
    (V, E), W_hx (H, E), W_hh (H, H), b_h (H,), W_yh (V, H), b_y (V,)."""
    rng = np.random.default_rng(seed)
    b_y = 0.3 * rng.standard_normal(V)
    b_y[0] += 1.0  # the boundary is likely enough that names end
    return {
        "W_emb": rng.standard_normal((V, E)),
        "W_hx": rng.standard_normal((H, E)) / np.sqrt(E),
        "W_hh": 1.5 * rng.standard_normal((H, H)) / np.sqrt(H),
        "b_h": 0.2 * rng.standard_normal(H),
        "W_yh": 2 * rng.standard_normal((V, H)) / np.sqrt(H),
        "b_y": b_y,
    }


def check_sampling(sample_names, V, E, H, n, temperature, max_len, seed):
    """Part 6: the names the learner's sample_names draws (without touching
    np.random's global generator) against sample_names_reference.  Returns
    the arguments of one more call."""
    params = random_lm(V, E, H, seed)
    expected = sample_names_reference(
        params, n, temperature, np.random.default_rng(seed), max_len
    )
    mistakes = sample_names_mistakes(params, n, temperature, seed, max_len)
    got = check_global_random_untouched(
        sample_names,
        copies(params, n, temperature, np.random.default_rng(seed), max_len),
        name="sample_names",
    )
    check_token_lists(
        f"the names (V={V}, H={H}, n={n}, temperature={temperature})",
        got,
        expected,
        mistakes=mistakes,
    )
    return params, n, temperature, np.random.default_rng(seed), max_len


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
