"""The test data and checks of exercise 04
(solutions/04_sequence_classification_exercises.ipynb), which its test cells
call with the learner's functions:

init_classifier           small random parameters of the classifier, a dict
majority_data             the toy task: is +1 the majority of a +1/-1 sequence?
reference_logits          the classifier's logits, computed with rnnlib
reference_loss_and_grads  its loss and gradients, computed with rnnlib
check_bce                 Part 1: the loss and dlogits against rnnlib's, and
                          dlogits against the numerical gradient of the loss
check_forward             Part 2: the logits, naming h[:, 0] or the mean over
                          time in place of the last state h[:, -1]
check_backward            Part 3: every gradient against rnnlib's BPTT and the
                          numerical gradient, naming the usual mistakes
check_sgd_step            Part 4: one SGD step against the update computed here
train_majority            Part 4: trains the classifier with the learner's
                          train_step; returns its last loss and test accuracy

Each check computes its references before it calls the learner's function.
"""

import numpy as np

import rnnlib

from .mistakes_outputs import many_to_one_backward_mistakes
from .values import (
    check_array,
    check_gradient,
    check_returns,
    check_same_keys,
    check_scalar,
    copies,
)

PARAM_NAMES = ("W_hx", "W_hh", "b_h", "W_yh", "b_y")


def init_classifier(D, H, seed=0):
    """Small random parameters of the classifier, as a dict: "W_hx" (H, D),
    "W_hh" (H, H), "b_h" (H,), "W_yh" (1, H), "b_y" (1,)."""
    rng = np.random.default_rng(seed)
    return {
        "W_hx": rng.standard_normal((H, D)) / np.sqrt(D),
        "W_hh": 0.5 * rng.standard_normal((H, H)) / np.sqrt(H),
        "b_h": 0.1 * rng.standard_normal(H),
        "W_yh": rng.standard_normal((1, H)) / np.sqrt(H),
        "b_y": 0.1 * rng.standard_normal(1),
    }


def majority_data(n, T=7, seed=0):
    """n sequences of +1/-1, x (n, T, 1); y (n,) is 1.0 where +1 is the
    majority (T odd), else 0.0."""
    rng = np.random.default_rng(seed)
    x = rng.choice([-1.0, 1.0], size=(n, T, 1))
    y = (x.sum(axis=(1, 2)) > 0).astype(np.float64)
    return x, y


def reference_logits(x, params):
    """The classifier's logits (B,) for x (B, T, D), computed with rnnlib."""
    p = params
    h, _ = rnnlib.rnn_forward(x, None, p["W_hx"], p["W_hh"], p["b_h"])
    return h[:, -1] @ p["W_yh"][0] + p["b_y"][0]


def reference_loss_and_grads(x, y, params):
    """The mean binary cross-entropy and the gradients of every parameter (a
    dict with the keys of params), computed with rnnlib."""
    p = params
    h, cache = rnnlib.rnn_forward(x, None, p["W_hx"], p["W_hh"], p["b_h"])
    loss, dz = rnnlib.bce_with_logits(h[:, -1] @ p["W_yh"][0] + p["b_y"][0], y)
    dh = np.zeros_like(h)
    dh[:, -1] = np.outer(dz, p["W_yh"][0])
    _, _, dW_hx, dW_hh, db_h = rnnlib.rnn_backward(dh, cache)
    grads = {"W_hx": dW_hx, "W_hh": dW_hh, "b_h": db_h}
    grads.update(W_yh=(dz @ h[:, -1])[None], b_y=np.array([dz.sum()]))
    return loss, grads


def check_bce(bce_fn, z, y):
    """Assert that bce_fn(z, y) returns rnnlib's (loss, dlogits) and that its
    dlogits is the numerical gradient of its own loss."""
    expected_loss, expected_dz = rnnlib.bce_with_logits(z, y)
    loss, dz = check_returns(
        "binary_cross_entropy", bce_fn(*copies(z, y)), ("loss", "dlogits")
    )
    check_scalar("loss", loss, expected_loss)
    check_array("dlogits", dz, expected_dz)
    numerical = rnnlib.numerical_gradient(lambda v: bce_fn(v, y.copy())[0], z.copy())
    check_gradient(
        "dlogits, against the numerical gradient of your loss", dz, numerical
    )


def check_forward(forward_fn, x, params):
    """Assert that forward_fn(x, params) returns (logits, cache) with rnnlib's
    logits, naming the first or the mean hidden state in place of the last."""
    p = params
    h, _ = rnnlib.rnn_forward(x, None, p["W_hx"], p["W_hh"], p["b_h"])
    expected = reference_logits(x, params)
    logits, _ = check_returns(
        "classifier_forward", forward_fn(*copies(x, params)), ("logits", "cache")
    )
    check_array(
        "logits",
        logits,
        expected,
        mistakes={
            "the first hidden state h[:, 0]: the last one, h[:, -1], sums up the"
            " whole sequence": h[:, 0] @ p["W_yh"][0] + p["b_y"][0],
            "the mean of the hidden states over time: use the last one, h[:, -1]": (
                h.mean(axis=1) @ p["W_yh"][0] + p["b_y"][0]
            ),
        },
    )


def check_backward(forward_fn, backward_fn, B, T, D, H, seed, numerical=True):
    """Assert that backward_fn, given the cache of forward_fn, returns every
    gradient of the loss as rnnlib computes it (and, if `numerical`, as
    numerical differences of the loss do), naming the usual mistakes.

    The data: init_classifier(D, H, seed), x (B, T, D) and y (B,) drawn with
    seed + 1.  Returns (dlogits, cache), arguments for check_not_calling.
    """
    params = init_classifier(D, H, seed)
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((B, T, D))
    y = rng.integers(0, 2, B).astype(np.float64)
    _, expected = reference_loss_and_grads(x, y, params)
    logits, cache = forward_fn(*copies(x, params))
    _, dlogits = rnnlib.bce_with_logits(logits, y)
    mistakes = many_to_one_backward_mistakes(dlogits, x, params)
    grads = backward_fn(dlogits.copy(), cache)
    check_same_keys("the dict classifier_backward returned", grads, params)
    size = f"B={B}, T={T}, D={D}, H={H}"
    for name in PARAM_NAMES:
        check_array(
            f"grads['{name}'] ({size})",
            grads[name],
            expected[name],
            mistakes=mistakes.get(name),
        )
    for name in PARAM_NAMES if numerical else ():
        num = rnnlib.numerical_gradient(
            lambda _: rnnlib.bce_with_logits(reference_logits(x, params), y)[0],
            params[name],
        )
        check_gradient(
            f"grads['{name}'] ({size})", grads[name], num, mistakes=mistakes.get(name)
        )
    return dlogits, cache


def check_sgd_step(train_step_fn, lr=0.5):
    """Assert that train_step_fn, given rnnlib.SGD(params, lr), returns the
    loss before the update and updates params by -lr * gradient (on 16
    majority sequences, H = 4)."""
    params = init_classifier(D=1, H=4, seed=0)
    x, y = majority_data(16, seed=1)
    before = {k: v.copy() for k, v in params.items()}
    expected_loss, grads = reference_loss_and_grads(x, y, before)
    loss = train_step_fn(params, x, y, rnnlib.SGD(params, lr=lr))
    check_scalar(
        "the loss train_step returned (before the update)", loss, expected_loss
    )
    for name in PARAM_NAMES:
        check_array(
            f"params['{name}'] after one SGD step",
            params[name],
            before[name] - lr * grads[name],
            mistakes={
                "no update: call optimizer.step(grads)": before[name],
                "a step uphill: the optimiser subtracts lr * grad": before[name]
                + lr * grads[name],
            },
        )


def train_majority(train_step_fn, steps=150, batch=64, lr=0.05):
    """Train the classifier (H = 8) with train_step_fn and rnnlib.Adam(lr) for
    `steps` batches of the majority task (2048 sequences of 7), then test it
    on 500 new ones.  Returns (the last training loss, the test accuracy)."""
    params = init_classifier(D=1, H=8, seed=1)
    x_train, y_train = majority_data(2048, seed=2)
    optimizer = rnnlib.Adam(params, lr=lr)
    for step in range(steps):
        rows = slice((batch * step) % 2048, (batch * step) % 2048 + batch)
        loss = train_step_fn(params, x_train[rows], y_train[rows], optimizer)
    x_test, y_test = majority_data(500, seed=3)
    accuracy = float(((reference_logits(x_test, params) > 0) == y_test).mean())
    return loss, accuracy
