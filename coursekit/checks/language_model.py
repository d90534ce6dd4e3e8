"""Checks for exercise 11, the character-level language model.

The test cells of exercises/11_character_language_model_exercises.ipynb call
one check per part; each compares the learner's function with rnnlib's
(Parts 1 and 2, their mistakes in `mistakes_language_model.py`) or with the
reference of a variant rnnlib does not hold and the numerical gradients of
its forward (Parts 3 to 6): the instructor's `coursekit/answers/
language_model.py`, whose values for the visible tests' cases are recorded
(`recordings.py`, ANSWERS); and it names the usual mistakes:

    check_embedding       Part 1: embedding_forward against rnnlib's, and
                          embedding_backward against rnnlib's and the
                          numerical gradient (ids overwritten, not added)
    check_loss            Part 2: temporal_softmax_loss against rnnlib's
                          softmax_cross_entropy (the mask left out or only
                          half applied)
    check_gru_forward     Part 3: one GRU step of Cho et al. (2014), the reset
                          gate before the product (answers: gru_step_answer), and
                          its cache (r and z swapped, PyTorch's form, ...)
    check_gru_backward    Part 4: its backward pass against the numerical
                          gradients of that forward (the direct path left
                          out, PyTorch's backward, the blocks out of order);
                          nothing here computes the backward pass itself
    check_clip            Part 5: clip_global_norm (per-parameter clipping)
    check_epoch           Part 5: train_epoch against the reference (epoch)
                          (no shuffling, no clipping, a division by mask.sum())
    check_sampling        Part 6: sample_names against the reference (sampling)
                          (argmax, the state not carried, the temperature
                          ignored)
    check_not_using       the learner's code does not call these references

The shared helpers (check_array, check_gradient with the course's
gradient-check policy, MISTAKES, ...) are in `coursekit.checks`.
"""

import functools

import numpy as np

from .bytecode import names_used
from .mistakes_language_model import (
    GRU_CACHE,
    GRU_GRADIENTS,
    embedding_backward_mistakes,
    temporal_loss_mistakes,
)
from .mistakes_rnn import clip_grad_norm_mistakes
from .own_work import is_remote
from .randomness import check_global_random_untouched, check_token_lists
from .recordings import Answers
from .values import (
    check_array,
    check_gradient,
    check_returns,
    check_scalar,
    copies,
)

# Parts 3 to 6 grade what rnnlib does not hold: their references are the
# instructor's (coursekit/answers/language_model.py), recorded for the
# visible tests' cases (recordings.py)
ANSWERS = Answers("language_model")

# ---------------------------------------------------------------------------
# the embedding and the loss


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


def gru_backward_case(B, D, H, seed):
    """Test data of Part 4: the arguments of Part 3's step (random_gru) and
    dh_next (B, H), for L = sum(dh_next * h_next)."""
    dh_next = np.random.default_rng(seed + 100).standard_normal((B, H))
    return random_gru(B, D, H, seed), dh_next


def check_gru_forward(gru_step_forward, B, D, H, seed):
    """Part 3: h_next and the cache of the learner's gru_step_forward, against
    the reference's (answers: gru_step_answer).  Returns the test's arguments."""
    args = random_gru(B, D, H, seed)
    answer = ANSWERS("gru_step_answer", B=B, D=D, H=H, seed=seed)
    got = check_returns(
        "gru_step_forward", gru_step_forward(*copies(*args)), ("h_next", "cache")
    )
    size = f"B={B}, D={D}, H={H}"
    check_array(
        f"h_next ({size})", got[0], answer["h_next"], mistakes=answer["mistakes"]
    )
    cache = check_returns("the cache", got[1], GRU_CACHE)
    for name, mine, theirs in zip(GRU_CACHE, cache, answer["cache"], strict=True):
        check_array(f"{name} in the cache ({size})", mine, theirs)
    return args


def check_gru_backward(gru_step_backward, B, D, H, seed, more_mistakes=None):
    """Part 4: each gradient of the learner's gru_step_backward against the
    numerical gradient of the reference forward, for L = sum(dh_next *
    h_next) (answers: gru_step_backward_answer).  more_mistakes(dh_next, cache) ->
    {name: {mistake: array}} adds named mistakes.  Returns (dh_next, cache)."""
    _, dh_next = gru_backward_case(B, D, H, seed)
    answer = ANSWERS("gru_step_backward_answer", B=B, D=D, H=H, seed=seed)
    cache = tuple(answer["cache"])  # the cache of Part 3
    got = check_returns(
        "gru_step_backward", gru_step_backward(*copies(dh_next, cache)), GRU_GRADIENTS
    )
    numerical, mistakes = answer["numerical"], answer["mistakes"]
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


def epoch_case(n, H, lr, seed):
    """Test data of one epoch: (make_model, make_optimizer, sequences), a
    fresh language model (V=27, E=4, H), SGD(lr) on its parameters and n
    training names."""
    from rnnlib import SGD
    from rnnlib.language_model import LanguageModel

    def make_model():
        return LanguageModel(27, embed_dim=4, hidden_size=H, seed=seed)

    def make_optimizer(params):
        return SGD(params, lr=lr)

    return make_model, make_optimizer, _training_names()[seed : seed + n]


def check_epoch(train_epoch, n, batch_size, H, max_norm, lr, seed):
    """Part 5: the parameters after one epoch of the learner's train_epoch, and
    the loss it returns, against the reference's on n training names
    (answers: epoch_answer).  Returns the arguments of one more call (all but the
    rng)."""
    make_model, make_optimizer, sequences = epoch_case(n, H, lr, seed)
    answer = ANSWERS(
        "epoch_answer",
        n=n,
        batch_size=batch_size,
        H=H,
        max_norm=max_norm,
        lr=lr,
        seed=seed,
    )
    model = make_model()
    loss = train_epoch(
        model,
        [s.copy() for s in sequences],
        batch_size,
        make_optimizer(model.params),
        max_norm,
        np.random.default_rng(seed),
    )
    size = f"{n} names, batch_size={batch_size}, H={H}, max_norm={max_norm}"
    for key, expected in answer["params"].items():
        check_array(
            f"model.params[{key!r}] after one epoch ({size})",
            model.params[key],
            expected,
            atol=1e-7,
            rtol=1e-5,
            mistakes={m: v[key] for m, v in answer["params_mistakes"].items()},
        )
    check_scalar(
        f"the returned loss ({size})",
        loss,
        answer["loss"],
        rtol=1e-5,
        mistakes=answer["loss_mistakes"],
    )
    return model, sequences, batch_size, make_optimizer(model.params), max_norm


# ---------------------------------------------------------------------------
# sampling


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
    np.random's global generator) against the reference's (answers:
    sampling_answer).  Returns the arguments of one more call."""
    params = random_lm(V, E, H, seed)
    answer = ANSWERS(
        "sampling_answer",
        V=V,
        E=E,
        H=H,
        n=n,
        temperature=temperature,
        max_len=max_len,
        seed=seed,
    )
    got = check_global_random_untouched(
        sample_names,
        copies(params, n, temperature, np.random.default_rng(seed), max_len),
        name="sample_names",
    )
    check_token_lists(
        f"the names (V={V}, H={H}, n={n}, temperature={temperature})",
        got,
        answer["names"],
        mistakes=answer["mistakes"],
    )
    return params, n, temperature, np.random.default_rng(seed), max_len


# ---------------------------------------------------------------------------
# own work


def check_not_using(func, reference_names):
    """Assert that `func` (and the notebook functions it calls) does not refer
    to the names in `reference_names` (the references it is compared with)."""
    used = func.inspect("names_used") if is_remote(func) else names_used(func)
    hits = sorted(n for n in reference_names if n in used)
    if hits:
        where = sorted({used[n] for n in hits})
        raise AssertionError(
            f"your {func.__name__} uses {', '.join(hits)} (in {', '.join(where)}),"
            " which this part does not allow. Write the computation yourself"
            " with NumPy: that is the exercise."
        )
    return True
