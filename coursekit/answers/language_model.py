"""Exercise 11's answers: the GRU step of Cho et al. (the reset gate before
the product), its numerical gradients, one training epoch and the sampling
loop, and the usual mistakes of each, with plain NumPy (the mistake "the
reset gate after the product" with rnnlib's GRU).  Instructor-only (see
`coursekit.answers`).

The functions the checks of `coursekit.checks.language_model` ask for, one
per check, take the case the check was given and return plain data:

    gru_step_answer(B, D, H, seed)
        h_next, the cache, {mistake: h_next}
    gru_step_backward_answer(B, D, H, seed)
        the cache (the backward's input), the numerical gradients,
        {name: {mistake: array}}
    epoch_answer(n, batch_size, H, max_norm, lr, seed)
        the parameters and the loss after one epoch, and those of each
        usual mistake
    sampling_answer(V, E, H, n, temperature, max_len, seed)
        the names drawn, {mistake: names}
"""

import numpy as np

from coursekit.checks.language_model import (
    epoch_case,
    gru_backward_case,
    random_gru,
    random_lm,
)
from coursekit.checks.mistakes_language_model import GRU_GRADIENTS
from coursekit.checks.values import MISTAKES


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


def _fresh_epoch(
    make_model, make_optimizer, sequences, batch_size, max_norm, seed, **how
):
    """(model, loss) after one train_epoch_reference epoch of a fresh model
    and optimiser, the shuffling drawn from default_rng(seed)."""
    model = make_model()
    loss = train_epoch_reference(
        model,
        sequences,
        batch_size,
        make_optimizer(model.params),
        max_norm,
        np.random.default_rng(seed),
        **how,
    )
    return model, loss


def train_epoch_loss_mistakes(
    make_model, make_optimizer, sequences, batch_size, max_norm, seed
):
    """{mistake: loss} for the usual wrong per-token means of train_epoch."""
    _, loss = _fresh_epoch(
        make_model,
        make_optimizer,
        sequences,
        batch_size,
        max_norm,
        seed,
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
        model, loss = _fresh_epoch(
            make_model,
            make_optimizer,
            sequences,
            batch_size,
            max_norm,
            seed,
            **kwargs,
        )
        out[mistake] = ({k: v.copy() for k, v in model.params.items()}, loss)
    return out


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


# ---------------------------------------------------------------------------
# the answers the checks ask for, one case each


def gru_step_answer(B, D, H, seed):
    """Part 3: h_next and the cache of gru_step_reference, and the mistakes."""
    args = random_gru(B, D, H, seed)
    h_next, cache = gru_step_reference(*args)
    return {"h_next": h_next, "cache": cache, "mistakes": gru_step_mistakes(*args)}


def gru_step_backward_answer(B, D, H, seed):
    """Part 4: the cache of Part 3 (the backward pass's input), the numerical
    gradients of L = sum(dh_next * h_next) and the named mistakes."""
    args, dh_next = gru_backward_case(B, D, H, seed)
    numerical = gru_numerical_gradients(dh_next, args)
    return {
        "cache": gru_step_reference(*args)[1],
        "numerical": numerical,
        "mistakes": gru_step_backward_mistakes(dh_next, args, numerical),
    }


def epoch_answer(n, batch_size, H, max_norm, lr, seed):
    """Part 5: the parameters and the loss after one train_epoch_reference
    epoch, and those of each usual mistake."""
    make_model, make_optimizer, sequences = epoch_case(n, H, lr, seed)
    case = (make_model, make_optimizer, sequences, batch_size, max_norm, seed)
    model, loss = _fresh_epoch(*case)
    variants = train_epoch_variants(*case)
    return {
        "params": model.params,
        "loss": float(loss),
        "params_mistakes": {m: v[0] for m, v in variants.items()},
        "loss_mistakes": train_epoch_loss_mistakes(*case),
    }


def sampling_answer(V, E, H, n, temperature, max_len, seed):
    """Part 6: the names sample_names_reference draws, and the mistakes'."""
    params = random_lm(V, E, H, seed)
    rng = np.random.default_rng(seed)
    return {
        "names": sample_names_reference(params, n, temperature, rng, max_len),
        "mistakes": sample_names_mistakes(params, n, temperature, seed, max_len),
    }
