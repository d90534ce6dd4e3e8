"""Measure the gradient-check policy of rnnlib/gradcheck.py.

    .venv/bin/python benchmarks/gradient_tolerance.py [--seeds 300]
    OPENBLAS_CORETYPE=Sandybridge NPY_DISABLE_CPU_FEATURES=X86_V3 \\
        .venv/bin/python benchmarks/gradient_tolerance.py   # another CPU's kernels

Two numbers decide GRADIENT_TOLERANCE (docs/gradient_checks.md):

- correct: the worst `gradient_error(analytic, numeric)` of correct float64
  backward passes (rnnlib's and the reference solutions' of solutions/),
  over random seeds and sizes B, T, D, H in 1..6, both activations, with
  `numerical_gradient` at GRADIENT_STEP;
- mistakes: the smallest `gradient_error(wrong, right)` that each named
  mistake (the `*_mistakes` functions of coursekit/checks/) gives on the
  exercises' test inputs; for a backward pass `right` is the numerical
  gradient, as in `check_gradient`.  A variant that coincides with the
  right answer on an input (e.g. "not summed over time" when T = 1) is no
  mistake there and is left out of that input.

The policy holds when worst correct * 100 <= GRADIENT_TOLERANCE <= smallest
mistake / 100.  ReLU cases whose pre-activations come within 1e-3 of the
kink are redrawn: a central difference across a kink measures the kink,
not the backward pass.
"""

import argparse
import contextlib
import io
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rnnlib  # noqa: E402
from coursekit import checks  # noqa: E402
from coursekit.checks.sequence_classification import init_classifier  # noqa: E402
from rnnlib.gradcheck import (  # noqa: E402
    GRADIENT_TOLERANCE,
    gradient_error,
    numerical_gradient,
)

KINK = 1e-3  # ReLU pre-activations closer than this to 0 are redrawn
SAME = 1e-12  # a "mistake" this close to the right answer is the right answer


# --------------------------------------------------------------------------
# helpers


def vjp_errors(outputs, douts, pairs):
    """gradient_error for each (name, array, analytic) in pairs, against the
    numerical gradient of L = sum_k sum(douts[k] * outputs()[k])."""

    def loss(_):
        return sum(float(np.sum(d * o)) for d, o in zip(douts, outputs(), strict=True))

    return {
        name: gradient_error(g, numerical_gradient(loss, a)) for name, a, g in pairs
    }


def sizes(rng, low=1, high=6):
    return [int(v) for v in rng.integers(low, high + 1, size=4)]


def rnn_problem(rng, B, T, D, H, activation):
    """x, h0, W_hx, W_hh, b_h with ReLU pre-activations away from the kink."""
    while True:
        x = rng.standard_normal((B, T, D))
        h0 = rng.standard_normal((B, H))
        W_hx = rng.standard_normal((H, D)) / np.sqrt(D)
        W_hh = rng.standard_normal((H, H)) / np.sqrt(H)
        b_h = 0.1 * rng.standard_normal(H)
        if activation == "tanh":
            return x, h0, W_hx, W_hh, b_h
        h, prev, near = [], h0, False
        for t in range(T):
            a = x[:, t] @ W_hx.T + prev @ W_hh.T + b_h
            near |= bool(np.any(np.abs(a) < KINK))
            prev = np.maximum(a, 0)
            h.append(prev)
        if not near:
            return x, h0, W_hx, W_hh, b_h


def lstm_problem(rng, B, T, D, H):
    return (
        rng.standard_normal((B, T, D)),
        rng.standard_normal((B, H)),
        rng.standard_normal((B, H)),
        rng.standard_normal((4 * H, D)) / np.sqrt(D),
        rng.standard_normal((4 * H, H)) / np.sqrt(H),
        0.5 * rng.standard_normal(4 * H),
    )


def load_reference(name):
    """The namespace of a solution notebook's set-up and solution cells (its
    reference functions), without its test cells."""
    from coursekit.notebooks import is_test, read_notebook

    nb = read_notebook(ROOT / "solutions" / f"{name}.ipynb")
    namespace = {"__name__": f"reference_{name[:2]}"}
    for cell in nb.cells:
        if cell.cell_type == "code" and not is_test(cell):
            exec(compile(cell.source, f"{name}.ipynb", "exec"), namespace)
    return namespace


# --------------------------------------------------------------------------
# correct backward passes: {case: worst error}


def correct_cases(rng, references, high=6):
    """One draw of every case, sizes in 1..high; yields (case name, {array: error}).

    The cases draw from `rng` in this order, so one seed gives one draw."""
    ex02, ex03, ex04, ex07, ex08, ex09 = (references[k] for k in sorted(references))
    yield from _rnnlib_rnn_cases(rng, high)
    yield from _solution_rnn_cases(rng, high, ex02)
    yield from _lstm_cases(rng, high, ex09)
    yield from _loss_cases(rng, high, ex03, ex04)
    yield from _classifier_cases(rng, high, ex04)
    yield from _bidirectional_cases(rng, high, ex07)
    yield from _state_gradient_cases(rng, high, ex08)
    yield from _layer_cases(rng, high)


RNN_NAMES = ("x", "h0", "W_hx", "W_hh", "b_h")


def _rnnlib_rnn_cases(rng, high):
    """rnnlib's RNN backward passes, step and sequence, tanh and ReLU."""
    for activation in ("tanh", "relu"):
        B, T, D, H = sizes(rng, high=high)
        x, h0, W_hx, W_hh, b_h = rnn_problem(rng, B, T, D, H, activation)
        dh = rng.standard_normal((B, T, H))

        def seq(x=x, h0=h0, W_hx=W_hx, W_hh=W_hh, b_h=b_h, act=activation):
            return [rnnlib.rnn_forward(x, h0, W_hx, W_hh, b_h, activation=act)[0]]

        _, cache = rnnlib.rnn_forward(x, h0, W_hx, W_hh, b_h, activation=activation)
        grads = rnnlib.rnn_backward(dh, cache)
        arrays = (x, h0, W_hx, W_hh, b_h)
        yield (
            f"rnnlib rnn_backward ({activation})",
            vjp_errors(seq, [dh], zip(RNN_NAMES, arrays, grads, strict=True)),
        )
        x_t = x[:, 0].copy()
        dh_t = dh[:, 0]

        def step(act=activation, x_t=x_t, h0=h0, W_hx=W_hx, W_hh=W_hh, b_h=b_h):
            return [rnnlib.rnn_step_forward(x_t, h0, W_hx, W_hh, b_h, act)[0]]

        _, cache = rnnlib.rnn_step_forward(x_t, h0, W_hx, W_hh, b_h, activation)
        grads = rnnlib.rnn_step_backward(dh_t, cache)
        arrays = (x_t, h0, W_hx, W_hh, b_h)
        yield (
            f"rnnlib rnn_step_backward ({activation})",
            vjp_errors(step, [dh_t], zip(RNN_NAMES, arrays, grads, strict=True)),
        )


def _solution_rnn_cases(rng, high, ex02, alpha=0.5):
    """The solutions' RNN backward passes (exercise 02, a leaky tanh RNN)."""
    B, T, D, H = sizes(rng, high=high)
    x, h0, W_hx, W_hh, b_h = rnn_problem(rng, B, T, D, H, "tanh")
    dh = rng.standard_normal((B, T, H))
    _, caches = ex02["leaky_forward"](x, h0, W_hx, W_hh, b_h, alpha)
    grads = ex02["leaky_backward"](dh, caches)
    yield (
        "solution 02 leaky_backward",
        vjp_errors(
            lambda: [ex02["leaky_forward"](x, h0, W_hx, W_hh, b_h, alpha)[0]],
            [dh],
            zip(RNN_NAMES, (x, h0, W_hx, W_hh, b_h), grads, strict=True),
        ),
    )
    x_t = x[:, 0].copy()
    _, cache = ex02["leaky_step_forward"](x_t, h0, W_hx, W_hh, b_h, alpha)
    grads = ex02["leaky_step_backward"](dh[:, 0], cache)
    yield (
        "solution 02 leaky_step_backward",
        vjp_errors(
            lambda: [ex02["leaky_step_forward"](x_t, h0, W_hx, W_hh, b_h, alpha)[0]],
            [dh[:, 0]],
            zip(RNN_NAMES, (x_t, h0, W_hx, W_hh, b_h), grads, strict=True),
        ),
    )


def _lstm_cases(rng, high, ex09):
    """LSTM, rnnlib's and the solution's (exercise 09)."""
    B, T, D, H = sizes(rng, high=high)
    x, h0, c0, W_x, W_h, b = lstm_problem(rng, B, T, D, H)
    dh = rng.standard_normal((B, T, H))
    lnames = ("x", "h0", "W_x", "W_h", "b")

    def lstm_seq():
        return [rnnlib.lstm_forward(x, h0, W_x, W_h, b, c0=c0)[0]]

    _, cache = rnnlib.lstm_forward(x, h0, W_x, W_h, b, c0=c0)
    grads = rnnlib.lstm_backward(dh, cache)
    yield (
        "rnnlib lstm_backward",
        vjp_errors(
            lstm_seq, [dh], zip(lnames, (x, h0, W_x, W_h, b), grads, strict=True)
        ),
    )
    x_t, dh_t, dc_t = x[:, 0].copy(), dh[:, 0], rng.standard_normal((B, H))
    step_arrays = (x_t, h0, c0, W_x, W_h, b)
    step_names = ("x_t", "h_prev", "c_prev", "W_x", "W_h", "b")
    _, _, cache = rnnlib.lstm_step_forward(*step_arrays)
    grads = rnnlib.lstm_step_backward(dh_t, dc_t, cache)
    yield (
        "rnnlib lstm_step_backward",
        vjp_errors(
            lambda: list(rnnlib.lstm_step_forward(*step_arrays)[:2]),
            [dh_t, dc_t],
            zip(step_names, step_arrays, grads, strict=True),
        ),
    )
    # the solution's peephole LSTM (p (3, H): the gates see the cell state)
    p = rng.standard_normal((3, H))
    fwd, bwd = ex09["peephole_lstm_step_forward"], ex09["peephole_lstm_step_backward"]
    step_arrays = (x_t, h0, c0, W_x, W_h, p, b)
    _, _, cache = fwd(*step_arrays)
    yield (
        "solution 09 peephole_lstm_step_backward",
        vjp_errors(
            lambda: list(fwd(*step_arrays)[:2]),
            [dh_t, dc_t],
            zip(
                ("x_t", "h_prev", "c_prev", "W_x", "W_h", "p", "b"),
                step_arrays,
                bwd(dh_t, dc_t, cache),
                strict=True,
            ),
        ),
    )
    seq_arrays = (x, h0, c0, W_x, W_h, p, b)
    _, _, caches = ex09["peephole_lstm_forward"](*seq_arrays)
    yield (
        "solution 09 peephole_lstm_backward",
        vjp_errors(
            lambda: [ex09["peephole_lstm_forward"](*seq_arrays)[0]],
            [dh],
            zip(
                ("x", "h0", "c0", "W_x", "W_h", "p", "b"),
                seq_arrays,
                ex09["peephole_lstm_backward"](dh, caches),
                strict=True,
            ),
        ),
    )


def _loss_cases(rng, high, ex03, ex04):
    """Losses: rnnlib's and the solutions' (exercises 03 and 04)."""
    B, T, _, C = sizes(rng, high=high)
    C += 1
    z = 2 * rng.standard_normal((B, T, C))
    targets = rng.integers(0, C, (B, T))
    mask = (rng.random((B, T)) > 0.3).astype(np.float64)
    for label, fn in (
        ("rnnlib softmax_cross_entropy", rnnlib.softmax_cross_entropy),
        (
            "solution 03 masked_softmax_cross_entropy",
            ex03["masked_softmax_cross_entropy"],
        ),
    ):
        _, dz = fn(z, targets, mask)
        num = numerical_gradient(lambda v, fn=fn: fn(v, targets, mask)[0], z)
        yield label, {"logits": gradient_error(dz, num)}
    zb = 3 * rng.standard_normal((B, T))
    yb = rng.random((B, T))
    _, dz = rnnlib.bce_with_logits(zb, yb, mask)
    num = numerical_gradient(lambda v: rnnlib.bce_with_logits(v, yb, mask)[0], zb)
    yield "rnnlib bce_with_logits", {"logits": gradient_error(dz, num)}
    z1, y1 = zb[:, 0].copy(), (yb[:, 0] > 0.5).astype(np.float64)
    _, dz = ex04["binary_cross_entropy"](z1, y1)
    num = numerical_gradient(lambda v: ex04["binary_cross_entropy"](v, y1)[0], z1)
    yield "solution 04 binary_cross_entropy", {"logits": gradient_error(dz, num)}


def _classifier_cases(rng, high, ex04):
    """The solution's many-to-one classifier (exercise 04)."""
    B, T, D, H = sizes(rng, high=high)
    params = init_classifier(D, H, int(rng.integers(1 << 30)))
    x = rng.standard_normal((B, T, D))
    y = rng.integers(0, 2, B).astype(np.float64)
    logits, cache = ex04["classifier_forward"](x, params)
    _, dlogits = rnnlib.bce_with_logits(logits, y)
    grads = ex04["classifier_backward"](dlogits, cache)

    def classifier_loss(_):
        return rnnlib.bce_with_logits(ex04["classifier_forward"](x, params)[0], y)[0]

    yield (
        "solution 04 classifier_backward",
        {
            k: gradient_error(grads[k], numerical_gradient(classifier_loss, params[k]))
            for k in params
        },
    )


def _bidirectional_cases(rng, high, ex07):
    """The solution's bidirectional backward pass (exercise 07)."""
    B, T, D, H = sizes(rng, high=high)
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((2, B, H))
    weights = [
        [
            rng.standard_normal((H, D)) / np.sqrt(D),
            rng.standard_normal((H, H)) / np.sqrt(H),
            0.1 * rng.standard_normal(H),
        ]
        for _ in range(2)
    ]
    dout = rng.standard_normal((B, T, 2 * H))
    dh_n = rng.standard_normal((2, B, H))
    yield (
        "solution 07 bidirectional_backward",
        bidirectional_errors(ex07, x, h0, weights, dout, dh_n),
    )


def _state_gradient_cases(rng, high, ex08):
    """The solution's walk back through the states (exercise 08)."""
    B, T, D, H = sizes(rng, high=high)
    x, _, W_hx, W_hh, b_h = rnn_problem(rng, B, T, D, H, "tanh")
    dh_last = rng.standard_normal((B, H))
    got = ex08["state_gradients"](x, W_hx, W_hh, b_h, dh_last)
    h = rnnlib.rnn_forward(x, None, W_hx, W_hh, b_h)[0]
    floor = float(np.max(np.abs(dh_last)))  # as check_state_gradients measures
    errors = {
        f"dL/dh_{t + 1}": gradient_error(
            got[:, t], state_walk(x, W_hx, W_hh, b_h, dh_last, h, t), floor
        )
        for t in range(T)
    }
    yield "solution 08 state_gradients", errors


def _layer_cases(rng, high):
    """Layers and models."""
    B, T, D, H = sizes(rng, high=high)
    dense = rnnlib.Dense(D, H, seed=int(rng.integers(1 << 30)))
    errs = rnnlib.check_layer_gradients(dense, rng.standard_normal((B, T, D)))
    yield "rnnlib Dense", errs
    V = D + 2
    ids = rng.integers(0, V, (B, T))
    emb = rnnlib.Embedding(V, H, seed=int(rng.integers(1 << 30)))
    de = rng.standard_normal((B, T, H))
    emb.forward(ids)
    emb.backward(de)
    num = numerical_gradient(
        lambda _: float(np.sum(de * emb.forward(ids))), emb.params["W"]
    )
    yield "rnnlib Embedding", {"W": gradient_error(emb.grads["W"], num)}
    for cell in ("rnn", "lstm"):
        for kind in ("SequenceLabeler", "SequenceClassifier"):
            B, T, D, H = sizes(rng, high=high)
            C = int(rng.integers(2, 5))
            bidirectional = bool(rng.integers(2))
            model = getattr(rnnlib, kind)(
                D,
                H,
                C,
                cell=cell,
                bidirectional=bidirectional,
                seed=int(rng.integers(1 << 30)),
            )
            x = rng.standard_normal((B, T, D))
            y = rng.integers(0, C, (B, T) if kind == "SequenceLabeler" else B)
            mask = np.ones((B, T))
            mask[0, int(rng.integers(1, T + 1)) :] = 0
            yield f"rnnlib {kind} ({cell})", model_errors(model, x, y, mask)


def model_errors(model, x, y, mask):
    """gradient_error of every parameter of a model's loss."""
    _, grads = model.loss(x, y, mask)
    grads = {k: np.array(g) for k, g in grads.items()}

    def loss(_):
        return model.loss(x, y, mask)[0]

    return {
        k: gradient_error(grads[k], numerical_gradient(loss, p))
        for k, p in model.params.items()
    }


def bidirectional_errors(ex07, x, h0, weights, dout, dh_n):
    """gradient_error of the solution's bidirectional_backward for x, h0 and
    both directions' weights, against numerical gradients."""
    forward = ex07["bidirectional_forward"]
    _, _, cache = forward(x, h0, weights[0], weights[1])
    dx, dh0, grads_f, grads_b = ex07["bidirectional_backward"](dout, dh_n, cache)

    def loss(_):
        out, h_n, _ = forward(x, h0, weights[0], weights[1])
        return float(np.sum(dout * out) + np.sum(dh_n * h_n))

    pairs = [("dx", x, dx), ("dh0", h0, dh0)]
    for label, ws, gs in (("", weights[0], grads_f), ("_reverse", weights[1], grads_b)):
        for name, w, g in zip(("dW_hx", "dW_hh", "db_h"), ws, gs, strict=True):
            pairs.append((name + label, w, g))
    return {k: gradient_error(g, numerical_gradient(loss, a)) for k, a, g in pairs}


def measure_correct(seeds, high=6):
    """{case: worst error over `seeds` draws of sizes 1..high}."""
    references = {
        name[:2]: load_reference(name)
        for name in (
            "02_backprop_through_time_exercises",
            "03_sequence_labeling_exercises",
            "04_sequence_classification_exercises",
            "07_deep_and_bidirectional_exercises",
            "08_long_term_dependencies_exercises",
            "09_lstm_exercises",
        )
    }
    worst = {}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        for case, errors in correct_cases(rng, references, high):
            worst[case] = max(worst.get(case, 0.0), *errors.values())
    return worst


# --------------------------------------------------------------------------
# named mistakes: {mistake function: smallest error}


def random_rnn(B, T, D, H, seed):
    """Exercise 02's test data."""
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((B, T, D)),
        rng.standard_normal((B, H)),
        rng.standard_normal((H, D)) / np.sqrt(D),
        rng.standard_normal((H, H)) / np.sqrt(H),
        0.1 * rng.standard_normal(H),
    )


def random_lstm(B, D, H, seed):
    """Exercise 09's test data."""
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((B, D)),
        rng.standard_normal((B, H)),
        rng.standard_normal((B, H)),
        rng.standard_normal((4 * H, D)) / np.sqrt(D),
        rng.standard_normal((4 * H, H)) / np.sqrt(H),
        0.5 * rng.standard_normal(4 * H),
    )


# the sizes the exercises' visible and hidden tests use
RNN_SIZES = [
    (2, 5, 3, 4, 0),
    (3, 4, 2, 3, 1),
    (1, 1, 1, 1, 20),
    (3, 1, 2, 4, 21),
    (1, 6, 3, 2, 22),
    (4, 15, 2, 5, 23),
    (2, 3, 4, 4, 24),
]
STEP_SIZES = [
    (2, 3, 4, 0),
    (3, 4, 4, 1),
    (1, 1, 1, 10),
    (1, 5, 2, 11),
    (6, 2, 7, 12),
    (2, 3, 3, 13),
]
LSTM_SIZES = [
    (2, 3, 4, 0),
    (3, 2, 3, 1),
    (1, 1, 1, 20),
    (1, 4, 2, 21),
    (5, 3, 5, 22),
    (2, 6, 6, 23),
]


def record(found, function, outputs, floor=0.0):
    """Record the smallest error of each variant of `function`'s mistakes.

    outputs: [(variants {mistake: wrong array}, exact, numeric)], one per
    output the exercise checks.  A variant's error on this input is its
    largest gradient_error(wrong, numeric, floor) over the outputs where it
    differs from the exact answer (a part fails if any output is wrong); a
    variant equal to the exact answer everywhere is no mistake on this input.
    """
    worst = {}
    for variants, exact, numeric in outputs:
        for key, wrong in variants.items():
            if wrong is None or np.shape(wrong) != np.shape(exact):
                continue
            if gradient_error(wrong, exact) > SAME:
                err = gradient_error(wrong, numeric, floor)
                worst[key] = max(worst.get(key, 0.0), err)
    for err in worst.values():
        found[function] = min(found.get(function, np.inf), err)


def record_backward(found, function, wrong, exact, names, arrays, loss):
    """record() for a backward pass: wrong[name] against the numerical
    gradient of `loss` with respect to each array, its exact value `exact`."""
    record(
        found,
        function,
        [
            (wrong[n], e, numerical_gradient(loss, a))
            for n, e, a in zip(names, exact, arrays, strict=True)
        ],
    )


def rnn_step_inputs(found, B, D, H, seed):
    x, h0, W_hx, W_hh, b_h = random_rnn(B, 1, D, H, seed)
    x_t = x[:, 0].copy()
    dh_next = np.random.default_rng(seed + 100).standard_normal((B, H))
    h_next, cache = rnnlib.rnn_step_forward(x_t, h0, W_hx, W_hh, b_h)
    wrong = checks.rnn_step_mistakes(x_t, h0, W_hx, W_hh, b_h)
    record(found, "rnn_step_mistakes", [(wrong, h_next, h_next)])

    def step_loss(_):
        h_next, _ = rnnlib.rnn_step_forward(x_t, h0, W_hx, W_hh, b_h)
        return float(np.sum(dh_next * h_next))

    record_backward(
        found,
        "rnn_step_backward_mistakes",
        checks.rnn_step_backward_mistakes(dh_next, x_t, h0, W_hx, W_hh, b_h),
        rnnlib.rnn_step_backward(dh_next, cache),
        ("dx_t", "dh_prev", "dW_hx", "dW_hh", "db_h"),
        (x_t, h0, W_hx, W_hh, b_h),
        step_loss,
    )


def state_walk(x, W_hx, W_hh, b_h, dh_last, h, t):
    """The numerical dL/dh_t of L = sum(dh_last * h_T), h_t = h[:, t]."""
    T = x.shape[1]

    def from_state(v):
        prev = v
        for s in range(t + 1, T):
            prev = np.tanh(x[:, s] @ W_hx.T + prev @ W_hh.T + b_h)
        return float(np.sum(dh_last * prev))

    return numerical_gradient(from_state, h[:, t].copy())


def rnn_sequence_inputs(found, B, T, D, H, seed):
    x, h0, W_hx, W_hh, b_h = random_rnn(B, T, D, H, seed)
    dh = np.random.default_rng(seed + 100).standard_normal((B, T, H))
    h, cache = rnnlib.rnn_forward(x, h0, W_hx, W_hh, b_h)
    wrong = checks.rnn_forward_mistakes(x, h0, W_hx, W_hh, b_h)
    record(found, "rnn_forward_mistakes", [(wrong, h, h)])

    def seq_loss(_):
        return float(np.sum(dh * rnnlib.rnn_forward(x, h0, W_hx, W_hh, b_h)[0]))

    record_backward(
        found,
        "rnn_backward_mistakes",
        checks.rnn_backward_mistakes(dh, x, h0, W_hx, W_hh, b_h),
        rnnlib.rnn_backward(dh, cache),
        ("dx", "dh0", "dW_hx", "dW_hh", "db_h"),
        (x, h0, W_hx, W_hh, b_h),
        seq_loss,
    )
    # exercise 08: the walk back through the states, from h_0 = 0
    dh_last = dh[:, -1]
    h0_run = rnnlib.rnn_forward(x, None, W_hx, W_hh, b_h)[0]
    numeric = np.stack(
        [state_walk(x, W_hx, W_hh, b_h, dh_last, h0_run, t) for t in range(T)], axis=1
    )
    exact = np.empty_like(numeric)
    carry = dh_last
    for t in range(T - 1, -1, -1):
        exact[:, t] = carry
        carry = (carry * (1 - h0_run[:, t] ** 2)) @ W_hh
    wrong = checks.state_gradient_mistakes(x, W_hx, W_hh, b_h, dh_last)
    floor = float(np.max(np.abs(dh_last)))  # as check_state_gradients measures
    record(found, "state_gradient_mistakes", [(wrong, exact, numeric)], floor)


def lstm_step_inputs(found, B, D, H, seed):
    args = random_lstm(B, D, H, seed)
    h_next, c_next, cache = rnnlib.lstm_step_forward(*args)
    wrong = checks.lstm_step_mistakes(*args)
    record(
        found,
        "lstm_step_mistakes",
        [(wrong["h_next"], h_next, h_next), (wrong["c_next"], c_next, c_next)],
    )
    rng = np.random.default_rng(seed + 100)
    dh_next, dc_next = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    arrays = [a.copy() for a in args]

    def lstm_loss(_):
        h, c, _ = rnnlib.lstm_step_forward(*arrays)
        return float(np.sum(dh_next * h) + np.sum(dc_next * c))

    record_backward(
        found,
        "lstm_step_backward_mistakes",
        checks.lstm_step_backward_mistakes(dh_next, dc_next, cache),
        rnnlib.lstm_step_backward(dh_next, dc_next, cache),
        ("dx_t", "dh_prev", "dc_prev", "dW_x", "dW_h", "db"),
        arrays,
        lstm_loss,
    )


def masked_loss_inputs(found, B, T, C, seed, lengths):
    rng = np.random.default_rng(seed)
    z = 2 * rng.standard_normal((B, T, C))
    targets = rng.integers(0, C, (B, T))
    mask = (np.arange(T) < np.array(lengths)[:, None]).astype(np.float64)
    loss, dz = rnnlib.softmax_cross_entropy(z, targets, mask)
    numeric = numerical_gradient(
        lambda v: rnnlib.softmax_cross_entropy(v, targets, mask)[0], z
    )
    wrong = checks.masked_cross_entropy_mistakes(z, targets, mask)
    losses = {k: np.array(v) for k, v in wrong["loss"].items()}
    record(
        found,
        "masked_cross_entropy_mistakes",
        [(wrong["dlogits"], dz, numeric), (losses, np.array(loss), np.array(loss))],
    )


def classifier_inputs(found, B, T, D, H, seed):
    rng = np.random.default_rng(seed)
    p = {
        "W_hx": rng.standard_normal((H, D)) / np.sqrt(D),
        "W_hh": 0.5 * rng.standard_normal((H, H)) / np.sqrt(H),
        "b_h": 0.1 * rng.standard_normal(H),
        "W_yh": rng.standard_normal((1, H)) / np.sqrt(H),
        "b_y": 0.1 * rng.standard_normal(1),
    }
    x = rng.standard_normal((B, T, D))
    y = rng.integers(0, 2, B).astype(np.float64)

    def loss(_=None):
        h, cache = rnnlib.rnn_forward(x, None, p["W_hx"], p["W_hh"], p["b_h"])
        return (
            rnnlib.bce_with_logits(h[:, -1] @ p["W_yh"][0] + p["b_y"][0], y),
            h,
            cache,
        )

    (_, dlogits), h, cache = loss()
    dh = np.zeros_like(h)
    dh[:, -1] = np.outer(dlogits, p["W_yh"][0])
    exact = dict(
        zip(("W_hx", "W_hh", "b_h"), rnnlib.rnn_backward(dh, cache)[2:], strict=True)
    )
    wrong = checks.many_to_one_backward_mistakes(dlogits, x, p)
    record(
        found,
        "many_to_one_backward_mistakes",
        [
            (wrong[n], exact[n], numerical_gradient(lambda _: loss()[0][0], p[n]))
            for n in ("W_hx", "W_hh", "b_h")
        ],
    )


def bidirectional_inputs(found, B, T, D, H, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((2, B, H))
    wf, wb = (
        (
            rng.standard_normal((H, D)) / np.sqrt(D),
            rng.standard_normal((H, H)) / np.sqrt(H),
            0.1 * rng.standard_normal(H),
        )
        for _ in range(2)
    )
    layer = rnnlib.RNN(D, H, bidirectional=True)
    for suffix, weights in (("", wf), ("_reverse", wb)):
        for name, w in zip(("W_hx", "W_hh", "b_h"), weights, strict=True):
            layer.params[f"{name}_l0{suffix}"][...] = w
    out, h_n = layer.forward(x, h0)
    wrong = checks.bidirectional_forward_mistakes(x, h0, wf, wb)
    record(
        found,
        "bidirectional_forward_mistakes",
        [(wrong["out"], out, out), (wrong["h_n"], h_n, h_n)],
    )
    dout, dh_n = rng.standard_normal(out.shape), rng.standard_normal(h_n.shape)
    dx, dh0 = layer.backward(dout, dh_n)
    grads = {k: np.array(g) for k, g in layer.grads.items()}

    def bi_loss(_):
        o, hn = layer.forward(x, h0)
        return float(np.sum(dout * o) + np.sum(dh_n * hn))

    pairs = [("dx", x, dx), ("dh0", h0, dh0)]
    for name in ("W_hx", "W_hh", "b_h"):
        key = f"{name}_l0_reverse"
        pairs.append((f"d{name}_reverse", layer.params[key], grads[key]))
    wrong = checks.bidirectional_backward_mistakes(dout, dh_n, x, h0, wf, wb)
    record(
        found,
        "bidirectional_backward_mistakes",
        [(wrong[n], e, numerical_gradient(bi_loss, a)) for n, a, e in pairs],
    )


def softmax_inputs(found, z, temperature):
    e = np.exp(z / temperature - (z / temperature).max(axis=-1, keepdims=True))
    right = e / e.sum(axis=-1, keepdims=True)
    wrong = checks.softmax_mistakes(z, temperature)
    record(found, "softmax_mistakes", [(wrong, right, right)])


def measure_mistakes():
    """{mistake function: smallest error of any of its variants on the
    exercises' test inputs}."""
    found = {}
    for size in STEP_SIZES:
        rnn_step_inputs(found, *size)
    for size in RNN_SIZES:
        rnn_sequence_inputs(found, *size)
    for size in LSTM_SIZES:
        lstm_step_inputs(found, *size)
    for B, T, C, seed, lengths in [
        (2, 4, 3, 0, [4, 2]),
        (3, 5, 4, 1, [5, 3, 1]),
        (1, 1, 2, 2, [1]),
        (4, 6, 5, 3, [6, 6, 2, 4]),
    ]:
        masked_loss_inputs(found, B, T, C, seed, lengths)
    for size in [(3, 5, 2, 4, 0), (2, 3, 3, 3, 1), (1, 4, 2, 3, 21), (3, 9, 2, 5, 23)]:
        classifier_inputs(found, *size)
    for size in [(2, 5, 3, 4, 0), (3, 4, 2, 3, 1), (1, 2, 1, 1, 10), (2, 6, 3, 2, 12)]:
        bidirectional_inputs(found, *size)
    softmax_inputs(found, np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]), 0.5)
    softmax_inputs(found, np.array([[2.0, 1.0, 0.1]]), 2.0)
    return found


# --------------------------------------------------------------------------
# the graded variants' named mistakes, measured in their own test cells

VARIANTS = (
    "02_backprop_through_time_exercises",  # the leaky-integrator RNN
    "09_lstm_exercises",  # the peephole LSTM
    "11_character_language_model_exercises",  # the GRU of Cho et al.
    "12_attention_exercises",  # biased additive and scaled general scores
)


def mistake_error(wrong, expected, floor=0.0):
    """gradient_error(wrong, expected, floor) over the entries where
    `expected` is finite (masked scores are -inf); inf if the mistake is not
    finite where the answer is."""
    wrong = np.asarray(wrong, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    finite = np.isfinite(expected)
    if np.any(finite & ~np.isfinite(wrong)):
        return np.inf
    return gradient_error(wrong[finite], expected[finite], floor)


def outside_allclose(wrong, expected, atol, rtol):
    """How far a mistake falls outside np.allclose(wrong, expected, atol,
    rtol): the largest |wrong - expected| / (atol + rtol |expected|) over the
    finite entries of expected (inf if the mistake is not finite there)."""
    wrong = np.asarray(wrong, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    finite = np.isfinite(expected)
    if np.any(finite & ~np.isfinite(wrong)):
        return np.inf
    w, e = wrong[finite], expected[finite]
    return float(np.max(np.abs(w - e) / (atol + rtol * np.abs(e)), initial=0.0))


def run_cells(cells, namespace, cell, originals, watched):
    """Run the code cells in `namespace`, cell[0] the grade id of the test
    cell running (None for the others), the checks the cells import watched."""
    from coursekit.notebooks import grade_id, is_test

    for c in cells:
        if c.cell_type != "code":
            continue
        cell[0] = grade_id(c) if is_test(c) else None
        exec(compile(c.source, "the solution", "exec"), namespace)
        for n, f in originals.items():
            if namespace.get(n) is f:
                namespace[n] = watched[n]


def test_cell_mistakes(name):
    """{(test cell, check): smallest error of the mistakes it names}, check
    "check_gradient" or "check_array", for the solution
    notebook `name`, its cells run in order (visible and hidden tests) with
    check_array and check_gradient watched wherever the cells reach them.

    At each check, every named mistake that differs from the solution's
    answer (by more than SAME) gets gradient_error(wrong, what the check
    compares with, floor), the exact value or the numerical gradient.  An
    input is the part of a check's name in parentheses ("(alpha = 0.5, B=2,
    D=3, H=4)"), so, as in record(), a mistake's error on an input is its
    largest over the outputs checked there, and its error the smallest over
    the inputs.  For check_array, which compares with np.allclose(atol,
    rtol), the error is the largest |wrong - expected| / (atol + rtol *
    |expected|), > 1 when the mistake fails the check."""
    import inspect
    import pkgutil
    from importlib import import_module

    from coursekit.checks import values
    from coursekit.notebooks import read_notebook

    largest, cell = {}, [None]

    def watch(kind, check):
        signature = inspect.signature(check)

        def watched(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            a = bound.arguments
            got = np.asarray(a.get("got", a.get("analytic")), dtype=np.float64)
            expected = a.get("expected", a.get("numeric"))
            label = a["name"]
            where = label.partition(" (")[2] or label
            for mistake, wrong in (a["mistakes"] or {}).items():
                if wrong is None or np.shape(wrong) != np.shape(expected):
                    continue
                if got.shape == np.shape(wrong) and mistake_error(wrong, got) <= SAME:
                    continue  # the right answer on this input: no mistake here
                if kind == "check_gradient":
                    err = mistake_error(wrong, expected, a.get("floor", 0.0))
                else:
                    err = outside_allclose(wrong, expected, a["atol"], a["rtol"])
                key = (cell[0], kind, where, mistake)
                largest[key] = max(largest.get(key, 0.0), err)
            return check(*args, **kwargs)

        return watched

    originals = {n: getattr(values, n) for n in ("check_array", "check_gradient")}
    watched = {n: watch(n, f) for n, f in originals.items()}
    import coursekit.checks as package

    modules = [package] + [
        import_module(f"coursekit.checks.{m.name}")
        for m in pkgutil.iter_modules(package.__path__)
    ]
    patched = [
        (module, n)
        for module in modules
        for n, f in originals.items()
        if getattr(module, n, None) is f
    ]
    for module, n in patched:
        setattr(module, n, watched[n])
    try:
        namespace = {"__name__": f"measured_{name[:2]}"}
        cells = read_notebook(ROOT / "solutions" / f"{name}.ipynb").cells
        with contextlib.redirect_stdout(io.StringIO()):  # what the cells print
            run_cells(cells, namespace, cell, originals, watched)
    finally:
        for module, n in patched:
            setattr(module, n, originals[n])
    smallest = {}
    for (test, kind, _, _), err in largest.items():
        if test is not None:  # not a check the set-up cells make
            smallest[test, kind] = min(smallest.get((test, kind), np.inf), err)
    return smallest


def measure_variant_mistakes():
    """({exercise and test cell: smallest gradient_error of the mistakes its
    gradient checks name}, {the same: how many times outside check_array's
    np.allclose band its value checks' mistakes fall, at the least}) for
    the exercises that grade a variant rnnlib does not hold."""
    gradients, values = {}, {}
    for name in VARIANTS:
        for (test, kind), err in test_cell_mistakes(name).items():
            found = gradients if kind == "check_gradient" else values
            found[f"{name[:2]} {test}"] = err
    return gradients, values


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=300)
    args = parser.parse_args(argv)
    worst = measure_correct(args.seeds)
    print(f"correct backward passes, worst gradient_error over {args.seeds} seeds:")
    for case, err in sorted(worst.items(), key=lambda kv: -kv[1]):
        print(f"  {case:45s} {err:.2e}")
    found = measure_mistakes()
    print("named mistakes, smallest gradient_error on the exercises' inputs:")
    for name, err in sorted(found.items(), key=lambda kv: kv[1]):
        print(f"  {name:45s} {err:.2e}")
    gradients, values = measure_variant_mistakes()
    print("the graded variants' gradient checks, smallest named mistake:")
    for name, err in sorted(gradients.items(), key=lambda kv: kv[1]):
        print(f"  {name:45s} {err:.2e}")
    print("the graded variants' value checks (check_array), the named mistake")
    print("nearest to the answer, in times outside np.allclose(atol, rtol):")
    for name, err in sorted(values.items(), key=lambda kv: kv[1]):
        print(f"  {name:45s} {err:.1e}")
    found.update(gradients)
    top, bottom = max(worst.values()), min(found.values())
    print(
        f"worst correct {top:.2e} (x100 = {100 * top:.1e}); GRADIENT_TOLERANCE "
        f"{GRADIENT_TOLERANCE:.0e}; smallest mistake {bottom:.2e} (/100 = {bottom / 100:.1e})"
    )
    ok = 100 * top <= GRADIENT_TOLERANCE <= bottom / 100
    print("policy holds" if ok else "POLICY DOES NOT HOLD")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
