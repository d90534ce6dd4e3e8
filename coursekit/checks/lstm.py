"""The checks of exercise 09, the peephole LSTM (solutions/09_lstm_exercises.ipynb).

The exercise's test cells import this module (`from coursekit.checks import
lstm as tests09`) and call one function per check:

random_lstm            test data: x_t, h_prev, c_prev, W_x, W_h, p, b
reference_step         one peephole step built from rnnlib's plain LSTM step
                       (a peephole is an input column with a diagonal weight)
step_mistakes          what the usual wrong forward steps return, by name
check_step_forward     Part 1: h_next, c_next and the cache, named mistakes
check_plain_when_p_is_zero  Parts 1 and 3: with p = 0, rnnlib's plain LSTM
backward_case          Part 2's inputs: dh_next, dc_next and a cache
check_step_backward    Part 2: each gradient against a numerical gradient
                       of L = sum(dh_next * h_next) + sum(dc_next * c_next)
sequence_case          Parts 3 and 4's arguments: x, h0, c0 and the weights
reference_run          Part 3's reference: every h_t and c_t, with the
                       usual mistakes (a state not carried) as flags
check_sequence         Part 3: h, c and the T caches, named mistakes
bptt_case              Part 4's inputs: dh, the caches and the arrays
check_bptt             Part 4: each gradient against a numerical gradient
                       of L = sum(dh * h)

Nothing here computes a backward pass: the gradients are checked against
numerical ones, which the learner can compute too (exercise 02, Part 1).
"""

from itertools import permutations

import numpy as np

import rnnlib

from .values import MISTAKES, check_array, check_gradient, check_returns, copies

CACHE_NAMES = (
    *("x_t", "h_prev", "c_prev", "W_x", "W_h", "p"),
    *("i", "f", "g", "o", "c_next", "tanh_c"),
)
STEP_GRADIENTS = ("dx_t", "dh_prev", "dc_prev", "dW_x", "dW_h", "dp", "db")
BPTT_GRADIENTS = ("dx", "dh0", "dc0", "dW_x", "dW_h", "dp", "db")
GATES = ("i", "f", "g", "o")


def random_lstm(B, D, H, seed, peepholes=True):
    """Test data: x_t (B, D), h_prev (B, H), c_prev (B, H), W_x (4H, D),
    W_h (4H, H), p (3, H) (zeros if not peepholes), b (4H,)."""
    rng = np.random.default_rng(seed)
    x_t, h_prev, c_prev = (
        rng.standard_normal(shape) for shape in ((B, D), (B, H), (B, H))
    )
    W_x = rng.standard_normal((4 * H, D)) / np.sqrt(D)
    W_h = rng.standard_normal((4 * H, H)) / np.sqrt(H)
    p = rng.standard_normal((3, H)) if peepholes else np.zeros((3, H))
    b = 0.5 * rng.standard_normal(4 * H)
    return x_t, h_prev, c_prev, W_x, W_h, p, b


def _peep_columns(p, rows):
    """(4H, H): diag(p[k]) in the gate block rows[k] of each peephole k."""
    H = p.shape[1]
    W_c = np.zeros((4 * H, H))
    for k, gate in rows.items():
        W_c[gate * H : (gate + 1) * H] = np.diag(p[k])
    return W_c


def reference_step(x_t, h_prev, c_prev, W_x, W_h, p, b):
    """One peephole LSTM step from rnnlib.lstm_step_forward, twice.

    A peephole adds p[k] * c to a gate's pre-activation: an extra input c
    whose weight is the diagonal matrix diag(p[k]).  The first call sees
    c_prev (input and forget gates, p[0] and p[1]) and gives c_next; the
    second sees c_next (output gate, p[2]) and gives o.
    Returns h_next (B, H), c_next (B, H) and the exercise's cache.
    """
    extra = _peep_columns(p, {0: 0, 1: 1})
    _, c_next, first = rnnlib.lstm_step_forward(
        np.hstack([x_t, c_prev]), h_prev, c_prev, np.hstack([W_x, extra]), W_h, b
    )
    extra = _peep_columns(p, {2: 3})
    _, _, second = rnnlib.lstm_step_forward(
        np.hstack([x_t, c_next]), h_prev, c_prev, np.hstack([W_x, extra]), W_h, b
    )
    i, f, g, o, tanh_c = first.i, first.f, first.g, second.o, np.tanh(c_next)
    h_next = o * tanh_c
    cache = (x_t, h_prev, c_prev, W_x, W_h, p, i, f, g, o, c_next, tanh_c)
    return h_next, c_next, cache


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _variant_step(x_t, h_prev, c_prev, W_x, W_h, p, b, order="ifgo", **wrong):
    """(h_next, c_next) of a step with a mistake made: the blocks of a read
    in `order`; g_act; peeps (the gates p's rows go to); o_sees ("c_prev");
    carry_c=False; no_input_gate; no_tanh; h_from_c_prev."""
    H = W_h.shape[1]
    a = x_t @ W_x.T + h_prev @ W_h.T + b
    z = {gate: a[:, k * H : (k + 1) * H] for k, gate in enumerate(order)}
    peeps = wrong.get("peeps", "ifo")
    peep = {gate: p[k] for k, gate in enumerate(peeps)}
    zero = np.zeros(H)
    i = _sigmoid(z["i"] + peep.get("i", zero) * c_prev)
    f = _sigmoid(z["f"] + peep.get("f", zero) * c_prev)
    g = wrong.get("g_act", np.tanh)(z["g"] + peep.get("g", zero) * c_prev)
    if wrong.get("no_input_gate"):
        i = 1.0
    c_next = (f * c_prev if wrong.get("carry_c", True) else 0.0) + i * g
    seen = c_prev if wrong.get("o_sees") == "c_prev" else c_next
    o = _sigmoid(z["o"] + peep.get("o", zero) * seen)
    shown = c_prev if wrong.get("h_from_c_prev") else c_next
    h_next = o * (shown if wrong.get("no_tanh") else np.tanh(shown))
    return h_next, c_next


def step_mistakes(x_t, h_prev, c_prev, W_x, W_h, p, b):
    """What the usual wrong peephole steps return.

    Returns {"h_next": {mistake: array}, "c_next": {mistake: array}}: the
    gate blocks read in another order than i, f, g, o; a sigmoid for g; the
    output gate peeping at c_prev; the rows of p in another order than
    i, f, o; the peepholes left out; c_prev not carried; the input gate
    left out; h_next = o * c_next or o * tanh(c_prev).
    """
    args = (x_t, h_prev, c_prev, W_x, W_h, p, b)
    variants = {}
    for order in permutations("ifgo"):
        if order != tuple("ifgo"):
            text = f"{MISTAKES['gate_order']} (you read them as {', '.join(order)})"
            variants[text] = _variant_step(*args, order="".join(order))
    for peeps in permutations("ifo"):
        if peeps != tuple("ifo"):
            text = (
                "the rows of p in the wrong order: p[0] is the input gate's"
                f" peephole, p[1] the forget gate's, p[2] the output gate's (you"
                f" used them for {', '.join(peeps)})"
            )
            variants[text] = _variant_step(*args, peeps="".join(peeps))
    variants.update(
        {
            "a sigmoid for the candidate g: g = tanh(a_g), without a peephole;"
            " the gates i, f and o use the sigmoid": _variant_step(
                *args, g_act=_sigmoid
            ),
            "an output gate that peeps at c_prev: it sees the new cell state,"
            " c_next, so compute c_next first": _variant_step(*args, o_sees="c_prev"),
            "the peepholes left out: p[k] * c adds to the pre-activations of"
            " the input, forget and output gates": _variant_step(
                *args[:5], np.zeros_like(p), b
            ),
            "a cell state that is not carried to the next step: c_next ="
            " f * c_prev + i * g keeps part of c_prev": _variant_step(
                *args, carry_c=False
            ),
            "the input gate left out: c_next = f * c_prev + i * g": _variant_step(
                *args, no_input_gate=True
            ),
            "h_next = o * c_next: squash the cell state first, h_next ="
            " o * tanh(c_next)": _variant_step(*args, no_tanh=True),
            "h_next = o * tanh(c_prev): use the new cell state, c_next": (
                _variant_step(*args, h_from_c_prev=True)
            ),
        }
    )
    return {
        "h_next": {k: v[0] for k, v in variants.items()},
        "c_next": {k: v[1] for k, v in variants.items()},
    }


def check_step_forward(step_forward, B, D, H, seed, scale=1.0):
    """Part 1: h_next, c_next and every entry of the cache of
    step_forward(x_t, h_prev, c_prev, W_x, W_h, p, b), W_x scaled by `scale`
    (1e3: saturated gates), against reference_step.  Returns the arguments."""
    x_t, h_prev, c_prev, W_x, W_h, p, b = random_lstm(B, D, H, seed)
    args = (x_t, h_prev, c_prev, scale * W_x, W_h, p, b)
    expected_h, expected_c, expected_cache = reference_step(*args)
    mistakes = step_mistakes(*args)
    with np.errstate(over="ignore"):  # a plain 1 / (1 + exp(-a)) may warn
        got = step_forward(*copies(*args))
    h_next, c_next, cache = check_returns(
        "peephole_lstm_step_forward", got, ("h_next", "c_next", "cache")
    )
    size = f"B={B}, D={D}, H={H}" + (f", W_x * {scale:g}" if scale != 1 else "")
    check_array(f"c_next ({size})", c_next, expected_c, mistakes=mistakes["c_next"])
    check_array(f"h_next ({size})", h_next, expected_h, mistakes=mistakes["h_next"])
    cache = check_returns("the cache", cache, CACHE_NAMES)
    for name, got_k, expected_k in zip(CACHE_NAMES, cache, expected_cache, strict=True):
        check_array(f"{name} in the cache ({size})", got_k, expected_k)
    return args


def check_plain_when_p_is_zero(forward, B, D, H, seed, T=None):
    """With p = 0 a peephole LSTM is rnnlib's plain one: h and c of
    forward (the step, or with T the whole sequence) against rnnlib's."""
    x_t, h_prev, c_prev, W_x, W_h, p, b = random_lstm(B, D, H, seed, peepholes=False)
    size = f"B={B}, D={D}, H={H}, p = 0"
    if T is None:
        h, c, _ = forward(*copies(x_t, h_prev, c_prev, W_x, W_h, p, b))
        expected_h, expected_c, _ = rnnlib.lstm_step_forward(
            x_t, h_prev, c_prev, W_x, W_h, b
        )
    else:
        x = np.random.default_rng(seed + 1).standard_normal((B, T, D))
        h, c, _ = forward(*copies(x, h_prev, c_prev, W_x, W_h, p, b))
        expected_h, cache = rnnlib.lstm_forward(x, h_prev, W_x, W_h, b, c0=c_prev)
        expected_c, size = cache.c, f"T={T}, {size}"
    check_array(f"c ({size}), against rnnlib's plain LSTM", c, expected_c)
    check_array(f"h ({size}), against rnnlib's plain LSTM", h, expected_h)


def backward_case(B, D, H, seed, with_dc=True):
    """Part 2's inputs: dh_next (B, H), dc_next (B, H) or None, the cache of
    reference_step, and the step's arguments (x_t, h_prev, c_prev, W_x,
    W_h, p, b)."""
    args = random_lstm(B, D, H, seed)
    rng = np.random.default_rng(seed + 100)
    dh_next = rng.standard_normal((B, H))
    dc_next = rng.standard_normal((B, H)) if with_dc else None
    return dh_next, dc_next, reference_step(*args)[2], args


def _numerical(loss, array):
    return rnnlib.numerical_gradient(loss, array)


def _gate_order_mistakes(num, H, axis=0):
    """The numerical gradient with its four gate blocks in another order."""
    if num.shape[axis] != 4 * H:
        return {}
    blocks = dict(zip(GATES, np.split(num, 4, axis=axis), strict=True))
    return {
        f"{MISTAKES['gate_order']} (you stacked the gate gradients as"
        f" {', '.join(order)})": np.concatenate([blocks[k] for k in order], axis=axis)
        for order in permutations(GATES)
        if order != GATES
    }


def _peephole_row_mistakes(num):
    """dp with its rows (input, forget, output peephole) in another order."""
    return {
        "the rows of dp in the wrong order: row 0 is the input gate's"
        f" peephole, row 1 the forget gate's, row 2 the output gate's (you"
        f" stacked them as {', '.join(order)})": num[list(map("ifo".index, order))]
        for order in permutations("ifo")
        if order != tuple("ifo")
    }


def _answer_free_mistakes(name, num, H):
    """The mistakes a numerical gradient alone can name (rows in order)."""
    if name == "dp":
        return _peephole_row_mistakes(num)
    if name in ("dW_x", "dW_h", "db"):
        return _gate_order_mistakes(num, H)
    return {}


def _check_numerically(names, got, arrays, loss, size, H):
    """Each gradient in `got` against the numerical gradient of loss with
    respect to the array of the same place in `arrays`, the mistakes that
    need no analytic answer named."""
    for name, g, array in zip(names, got, arrays, strict=True):
        num = _numerical(loss, array)
        check_gradient(
            f"{name} ({size}), against the numerical gradient",
            g,
            num,
            mistakes=_answer_free_mistakes(name, num, H),
        )


def check_step_backward(step_backward, B, D, H, seed, with_dc=True):
    """Part 2: each gradient step_backward returns against the numerical
    gradient of L = sum(dh_next * h_next) + sum(dc_next * c_next), with
    h_next, c_next from reference_step.  Returns its arguments."""
    dh_next, dc_next, cache, args = backward_case(B, D, H, seed, with_dc)
    got = check_returns(
        "peephole_lstm_step_backward",
        step_backward(*copies(dh_next, dc_next, cache)),
        STEP_GRADIENTS,
    )
    arrays = list(args[:6])  # x_t, h_prev, c_prev, W_x, W_h, p <-> dx_t ... dp
    arrays.append(args[6])  # b <-> db
    dc = np.zeros((B, H)) if dc_next is None else dc_next

    def loss(_):
        h, c, _ = reference_step(*arrays)
        return np.sum(dh_next * h) + np.sum(dc * c)

    size = f"B={B}, D={D}, H={H}, dc_next={'given' if with_dc else 'None'}"
    _check_numerically(STEP_GRADIENTS, got, arrays, loss, size, H)
    return dh_next, dc_next, cache


def reference_run(x, h0, c0, W_x, W_h, p, b, carry_h=True, carry_c=True):
    """Every h_t and c_t (B, T, H) with reference_step, and the T caches;
    carry_*=False restarts that state at every step (a usual mistake)."""
    B, T, _ = x.shape
    H = W_h.shape[1]
    h0 = np.zeros((B, H)) if h0 is None else h0
    c0 = np.zeros((B, H)) if c0 is None else c0
    h_t, c_t, hs, cs, caches = h0, c0, [], [], []
    for t in range(T):
        h_t, c_t, cache = reference_step(
            x[:, t], h_t if carry_h else h0, c_t if carry_c else c0, W_x, W_h, p, b
        )
        hs.append(h_t)
        cs.append(c_t)
        caches.append(cache)
    return np.stack(hs, axis=1), np.stack(cs, axis=1), caches


def sequence_case(B, T, D, H, seed, with_state=True):
    """Parts 3 and 4's arguments: x (B, T, D), h0, c0 (None if not
    with_state), W_x, W_h, p, b."""
    _, h0, c0, W_x, W_h, p, b = random_lstm(B, D, H, seed)
    x = np.random.default_rng(seed + 1).standard_normal((B, T, D))
    if not with_state:
        h0 = c0 = None
    return x, h0, c0, W_x, W_h, p, b


def check_sequence(forward, B, T, D, H, seed, with_state=True):
    """Part 3: h, c and the number of caches of forward(x, h0, c0, W_x, W_h,
    p, b) against reference_run, naming a state that is not carried.
    Returns the arguments."""
    args = sequence_case(B, T, D, H, seed, with_state)
    expected_h, expected_c, _ = reference_run(*args)
    mistakes = {
        "a hidden state that is not carried to the next step: feed each step's"
        " h_t in as h_prev of step t + 1": reference_run(*args, carry_h=False),
        "a cell state that is not carried to the next step: feed each step's"
        " c_t in as c_prev of step t + 1": reference_run(*args, carry_c=False),
    }
    h, c, caches = check_returns(
        "peephole_lstm_forward", forward(*copies(*args)), ("h", "c", "caches")
    )
    assert len(caches) == T, f"return the list of the T = {T} step caches"
    size = f"B={B}, T={T}, D={D}, H={H}"
    for k, (name, got, expected) in enumerate(
        (("h", h, expected_h), ("c", c, expected_c))
    ):
        named = {m: v[k] for m, v in mistakes.items()}
        check_array(f"{name} ({size})", got, expected, mistakes=named, time_axis=1)
    return args


def bptt_case(B, T, D, H, seed):
    """Part 4's inputs: dh (B, T, H), the T caches of reference_run, and the
    forward's arguments (x, h0, c0, W_x, W_h, p, b)."""
    args = sequence_case(B, T, D, H, seed)
    dh = np.random.default_rng(seed + 2).standard_normal((B, T, H))
    return dh, reference_run(*args)[2], args


def check_bptt(backward, B, T, D, H, seed):
    """Part 4: each gradient backward(dh, caches) returns against the
    numerical gradient of L = sum(dh * h), h from reference_run.
    Returns its arguments (dh, caches)."""
    dh, caches, args = bptt_case(B, T, D, H, seed)
    got = check_returns(
        "peephole_lstm_backward", backward(*copies(dh, caches)), BPTT_GRADIENTS
    )
    arrays = list(args)

    def loss(_):
        return np.sum(dh * reference_run(*arrays)[0])

    _check_numerically(
        BPTT_GRADIENTS, got, arrays, loss, f"B={B}, T={T}, D={D}, H={H}", H
    )
    return dh, caches
