"""What the usual wrong versions of the RNN's step, forward pass, BPTT,
bidirectional pass, state gradients and gradient clipping return, in plain
NumPy, so that `check_array` can name them.  (Exercise 01's cell with its
sigmoid output, which rnnlib does not hold as one function, has its
reference and the mistakes of its output in `coursekit/answers/`.)"""

import numpy as np

from .values import MISTAKES


def _step(x_t, h_prev, W_hx, W_hh, b_h):
    return np.tanh(x_t @ W_hx.T + h_prev @ W_hh.T + b_h)


def rnn_step_mistakes(x_t, h_prev, W_hx, W_hh, b_h):
    """What common wrong versions of one tanh RNN step return.

    Returns {mistake: h_next}; shapes that cannot be computed are left out
    (e.g. a transposed W_hx only fits when D == H).
    """
    out = {
        MISTAKES["transposed"] + " (here h_prev @ W_hh instead of h_prev @ W_hh.T)": (
            _step(x_t, h_prev, W_hx, W_hh.T, b_h)
        ),
        "a missing bias b_h": _step(x_t, h_prev, W_hx, W_hh, 0 * b_h),
        "a missing tanh (the activation)": x_t @ W_hx.T + h_prev @ W_hh.T + b_h,
        "a missing recurrent term h_prev @ W_hh.T": _step(
            x_t, 0 * h_prev, W_hx, W_hh, b_h
        ),
        "a missing input term x_t @ W_hx.T": _step(0 * x_t, h_prev, W_hx, W_hh, b_h),
    }
    if W_hx.shape[0] == W_hx.shape[1]:
        out[MISTAKES["transposed"] + " (here x_t @ W_hx instead of x_t @ W_hx.T)"] = (
            _step(x_t, h_prev, W_hx.T, W_hh, b_h)
        )
    return out


def _run(x, h0, W_hx, W_hh, b_h, carry=True, W_hh_used=None):
    B, T, _ = x.shape
    H = W_hh.shape[0]
    h0 = np.zeros((B, H)) if h0 is None else h0
    W = W_hh if W_hh_used is None else W_hh_used
    h = np.empty((B, T, H))
    prev = h0
    for t in range(T):
        h[:, t] = _step(x[:, t], prev if carry else h0, W_hx, W, b_h)
        prev = h[:, t]
    return h


def rnn_forward_mistakes(x, h0, W_hx, W_hh, b_h):
    """What common wrong versions of a tanh RNN forward pass return.

    x (B, T, D), h0 (B, H) or None.  Returns {mistake: h (B, T, H)}:
    the state not carried (h reset to h0 at every step), a transposed
    W_hh, and h0 stored in place of h_1 (off by one in time).
    """
    h = _run(x, h0, W_hx, W_hh, b_h)
    h0z = np.zeros_like(h[:, 0]) if h0 is None else h0
    return {
        "state_not_carried": _run(x, h0, W_hx, W_hh, b_h, carry=False),
        MISTAKES["transposed"] + " (here h_prev @ W_hh instead of h_prev @ W_hh.T)": (
            _run(x, h0, W_hx, W_hh, b_h, W_hh_used=W_hh.T)
        ),
        "off_by_one": np.concatenate([h0z[:, None], h[:, :-1]], axis=1),
    }


def rnn_backward_mistakes(dh, x, h0, W_hx, W_hh, b_h):
    """What common wrong versions of BPTT return, for a tanh RNN.

    dh (B, T, H) = dL/dh_t from above; x, h0, weights as for the forward.
    Returns {output name: {mistake: array}} for the outputs of rnn_backward,
    "dx", "dh0", "dW_hx", "dW_hh", "db_h":
      - not summed over time: the weight gradients of the last step only,
        or of the first step only (what `=` instead of `+=` in a loop from
        t = T down to 1 leaves);
      - the gradient not carried back: step t only gets dh[:, t], nothing
        from step t + 1;
      - transposed W_hh in the carry (da @ W_hh.T instead of da @ W_hh);
      - a loop that walks forward in time, t = 1 ... T, carrying dh_prev
        into the next step instead of the previous one.
    """
    h = _run(x, h0, W_hx, W_hh, b_h)
    B, T, _ = x.shape
    h0 = np.zeros_like(h[:, 0]) if h0 is None else h0
    prevs = [h0] + [h[:, t] for t in range(T - 1)]

    def bptt(carry_on=True, W_carry=W_hh, only_step=None, steps=None):
        grads = {
            "dx": np.zeros_like(x),
            "dW_hx": np.zeros_like(W_hx),
            "dW_hh": np.zeros_like(W_hh),
            "db_h": np.zeros_like(b_h),
        }
        carry = np.zeros_like(h0)
        for t in range(T - 1, -1, -1) if steps is None else steps:
            da = (dh[:, t] + (carry if carry_on else 0)) * (1 - h[:, t] ** 2)
            grads["dx"][:, t] = da @ W_hx
            if only_step is None or t == only_step:
                grads["dW_hx"] += da.T @ x[:, t]
                grads["dW_hh"] += da.T @ prevs[t]
                grads["db_h"] += da.sum(axis=0)
            carry = da @ W_carry
        grads["dh0"] = carry
        return grads

    variants = {
        "not_summed_over_time": bptt(only_step=T - 1),
        MISTAKES["not_summed_over_time"].replace("the last step's", "one step's")
        + " (here step t = 1, the last one a backward loop visits: += not =)": bptt(
            only_step=0
        ),
        "a gradient that is not carried back in time: step t must get"
        " dL/dh_t from above plus dh_prev from step t + 1": bptt(carry_on=False),
        MISTAKES["transposed"] + " (here da @ W_hh.T instead of da @ W_hh)": bptt(
            W_carry=W_hh.T
        ),
        "a loop that walks forward in time: BPTT starts at the last step and"
        " carries dh_prev back, t = T, T - 1, ..., 1 (for t in reversed(range(T)))": (
            bptt(steps=range(T))
        ),
    }
    return {
        key: {mistake: grads[key] for mistake, grads in variants.items()}
        for key in ("dx", "dh0", "dW_hx", "dW_hh", "db_h")
    }


def rnn_step_backward_mistakes(dh_next, x_t, h_prev, W_hx, W_hh, b_h):
    """What common wrong versions of one tanh RNN step's backward return.

    Returns {output name: {mistake: array}} for "dx_t", "dh_prev", "dW_hx",
    "dW_hh", "db_h":
      - the tanh derivative left out (da = dh_next);
      - tanh' taken of h_next again, 1 - tanh(h_next)**2 (h_next already is
        tanh(a), so tanh'(a) = 1 - h_next**2);
      - a transposed weight when passing the gradient down (da @ W.T).
    """
    h_next = _step(x_t, h_prev, W_hx, W_hh, b_h)

    def grads(da, W_in=W_hx, W_rec=W_hh):
        return {
            "dx_t": da @ W_in,
            "dh_prev": da @ W_rec,
            "dW_hx": da.T @ x_t,
            "dW_hh": da.T @ h_prev,
            "db_h": da.sum(axis=0),
        }

    da = dh_next * (1 - h_next**2)
    variants = {
        "the tanh derivative left out (da must be dh_next * (1 - h_next**2))": grads(
            dh_next
        ),
        "tanh' taken of h_next again: h_next is already tanh(a), so"
        " tanh'(a) = 1 - h_next**2, not 1 - np.tanh(h_next)**2": grads(
            dh_next * (1 - np.tanh(h_next) ** 2)
        ),
        MISTAKES["transposed"] + " (here da @ W_hh.T instead of da @ W_hh)": grads(
            da, W_rec=W_hh.T
        ),
    }
    if W_hx.shape[0] == W_hx.shape[1]:
        variants[
            MISTAKES["transposed"] + " (here da @ W_hx.T instead of da @ W_hx)"
        ] = grads(da, W_in=W_hx.T)
    keys = ("dx_t", "dh_prev", "dW_hx", "dW_hh", "db_h")
    return {k: {m: g[k] for m, g in variants.items()} for k in keys}


def _bptt(dh, x, h0, W_hx, W_hh, b_h, dh_last=None):
    """Plain BPTT of a tanh RNN: {"dx", "dh0", "dW_hx", "dW_hh", "db_h"}."""
    h = _run(x, h0, W_hx, W_hh, b_h)
    T = x.shape[1]
    prevs = [h0] + [h[:, t] for t in range(T - 1)]
    grads = {
        "dx": np.zeros_like(x),
        "dW_hx": np.zeros_like(W_hx),
        "dW_hh": np.zeros_like(W_hh),
        "db_h": np.zeros_like(b_h),
    }
    carry = np.zeros_like(h0) if dh_last is None else dh_last
    for t in range(T - 1, -1, -1):
        da = (dh[:, t] + carry) * (1 - h[:, t] ** 2)
        grads["dx"][:, t] = da @ W_hx
        grads["dW_hx"] += da.T @ x[:, t]
        grads["dW_hh"] += da.T @ prevs[t]
        grads["db_h"] += da.sum(axis=0)
        carry = da @ W_hh
    grads["dh0"] = carry
    return grads


def _two_states(h0, B, H):
    return np.zeros((2, B, H)) if h0 is None else np.asarray(h0, dtype=np.float64)


def bidirectional_forward_mistakes(x, h0, weights_f, weights_b):
    """What common wrong bidirectional tanh RNN layers return.

    x (B, T, D); h0 (2, B, H) or None; weights_f, weights_b: (W_hx, W_hh,
    b_h) of the forward and the reverse direction.  The right layer:
    out = [h_fwd | h_bwd] (B, T, 2H), h_bwd[:, t] the reverse direction's
    state after reading x_T ... x_t; h_n = [h_fwd at t = T, h_bwd at t = 1].
    Returns {"out": {mistake: (B, T, 2H)}, "h_n": {mistake: (2, B, H)}}.
    """
    x = np.asarray(x, dtype=np.float64)
    B, H = x.shape[0], weights_f[1].shape[0]
    h0 = _two_states(h0, B, H)
    h_f = _run(x, h0[0], *weights_f)
    read = _run(x[:, ::-1], h0[1], *weights_b)  # in reading order
    h_b = read[:, ::-1]
    forwards = _run(x, h0[1], *weights_b)
    reading_order = (
        "the reverse direction's states left in reading order: flip them back"
        " in time (h[:, ::-1]), so that out[:, t] holds both directions' states"
        " of step t"
    )
    reads_forwards = (
        "a reverse direction that reads the sequence forwards: give it"
        " x[:, ::-1], the sequence from the end"
    )
    out = {
        reading_order: np.concatenate([h_f, read], axis=2),
        reads_forwards: np.concatenate([h_f, forwards], axis=2),
        reads_forwards.replace("forwards:", "forwards (then flipped):"): np.concatenate(
            [h_f, forwards[:, ::-1]], axis=2
        ),
        "the two halves swapped: out = [forward | reverse] along the last"
        " axis": np.concatenate([h_b, h_f], axis=2),
    }
    h_n = {
        "the reverse direction's final state taken at t = T: it reads from the"
        " end, so it finishes at t = 1, out[:, 0, H:]": np.stack(
            [h_f[:, -1], h_b[:, -1]]
        ),
        "h_n in the wrong order: h_n[0] is the forward direction, h_n[1] the"
        " reverse one": np.stack([h_b[:, 0], h_f[:, -1]]),
        reads_forwards: np.stack([h_f[:, -1], forwards[:, -1]]),
    }
    return {"out": out, "h_n": h_n}


def bidirectional_backward_mistakes(dout, dh_n, x, h0, weights_f, weights_b):
    """What common wrong backward passes of a bidirectional tanh RNN return.

    dout (B, T, 2H) = dL/dout, dh_n (2, B, H) = dL/dh_n or None; the rest
    as for bidirectional_forward_mistakes.  Returns {name: {mistake: array}}
    for "dx", "dh0" (2, B, H) and the reverse direction's gradients
    "dW_hx_reverse", "dW_hh_reverse", "db_h_reverse": dx from one direction
    only, the reverse direction's dx not flipped back, its dout not flipped
    into reading order, dh_n[1] entering at the wrong end, dh_n left out.
    """
    x = np.asarray(x, dtype=np.float64)
    dout = np.asarray(dout, dtype=np.float64)
    B, H = x.shape[0], weights_f[1].shape[0]
    h0 = _two_states(h0, B, H)
    dh_n = np.zeros((2, B, H)) if dh_n is None else np.asarray(dh_n, dtype=np.float64)
    x_read = x[:, ::-1]
    d_f, d_b = dout[:, :, :H], dout[:, :, H:]

    def reverse_grads(d_read, last=dh_n[1]):
        return _bptt(d_read, x_read, h0[1], *weights_b, dh_last=last)

    g_f = _bptt(d_f, x, h0[0], *weights_f, dh_last=dh_n[0])
    g_b = reverse_grads(d_b[:, ::-1])
    wrong_end = d_b.copy()
    wrong_end[:, -1] += dh_n[1]  # added at t = T, then flipped
    variants = {
        "dx from the forward direction only: both directions read x, so dx"
        " adds their two gradients": (g_f["dx"], None, g_b),
        "dx from the reverse direction only: both directions read x, so dx"
        " adds their two gradients": (g_b["dx"][:, ::-1], None, g_b),
        "the reverse direction's dx left in reading order: flip it back in"
        " time before adding it": (g_f["dx"] + g_b["dx"], None, g_b),
        "the reverse direction's gradient dout[:, :, H:] not flipped into its"
        " reading order (the reverse RNN saw x[:, ::-1])": (
            None,
            None,
            reverse_grads(d_b, dh_n[1]),
        ),
        "dh_n[1] added at the wrong end: the reverse direction finishes at"
        " t = 1, the last step it reads": (
            None,
            None,
            reverse_grads(wrong_end[:, ::-1], None),
        ),
        "dh_n left out: the final states h_n get a gradient too": (
            None,
            None,
            reverse_grads(d_b[:, ::-1], None),
        ),
    }
    result = {
        k: {} for k in ("dx", "dh0", "dW_hx_reverse", "dW_hh_reverse", "db_h_reverse")
    }
    for mistake, (dx, dh0, gb) in variants.items():
        result["dx"][mistake] = dx if dx is not None else g_f["dx"] + gb["dx"][:, ::-1]
        result["dh0"][mistake] = (
            dh0 if dh0 is not None else np.stack([g_f["dh0"], gb["dh0"]])
        )
        for name in ("dW_hx", "dW_hh", "db_h"):
            result[f"{name}_reverse"][mistake] = gb[name]
    return result


def clip_grad_norm_mistakes(grads, max_norm):
    """What common wrong versions of global gradient-norm clipping give.

    The right one: norm = sqrt(sum of the squares of every entry of every
    array); if norm > max_norm, every array is multiplied by max_norm / norm,
    in place; the norm before clipping is returned.
    Returns {"grads": {key: {mistake: array}}, "norm": {mistake: float}}:
    each array clipped on its own, a rescale also when norm <= max_norm,
    the norm returned after clipping, the squared norm, nothing changed.
    """
    arrays = {k: np.array(g, dtype=np.float64) for k, g in grads.items()}
    norms = {k: float(np.sqrt(np.sum(g * g))) for k, g in arrays.items()}
    total = float(np.sqrt(sum(n * n for n in norms.values())))

    def scaled(factors):
        return {k: g * factors[k] for k, g in arrays.items()}

    def clip(norm):
        return scaled({k: min(1.0, max_norm / norm) if norm else 1.0 for k in arrays})

    right = clip(total)
    variants = {
        "each array clipped on its own: the norm is global, one number over all"
        " the arrays together, and one factor max_norm / norm scales them all": (
            scaled({k: min(1.0, max_norm / n) if n else 1.0 for k, n in norms.items()}),
            total,
        ),
        "a rescale although the norm was already below max_norm: clip only when"
        " norm > max_norm (never scale up)": (
            scaled({k: max_norm / total if total else 1.0 for k in arrays}),
            total,
        ),
        "the norm returned after clipping: return the norm before clipping": (
            right,
            min(total, max_norm),
        ),
        "the squared norm: take the square root of the sum of squares": (
            clip(total**2),
            total**2,
        ),
        "gradients left as they were: scale the arrays in place (g *= scale), so"
        " the caller's arrays change": (arrays, total),
    }
    return {
        "grads": {k: {m: v[0][k] for m, v in variants.items()} for k in arrays},
        "norm": {m: v[1] for m, v in variants.items()},
    }


def state_gradient_mistakes(x, W_hx, W_hh, b_h, dh_last):
    """What common wrong walks back through a tanh RNN return.

    The right walk: h_0 = 0, h_t = tanh(x_t @ W_hx.T + h_{t-1} @ W_hh.T +
    b_h); dL/dh_T = dh_last (B, H), and dL/dh_{t-1} = (dL/dh_t * (1 -
    h_t**2)) @ W_hh.  Returns {mistake: grads (B, T, H)} with grads[:, t]
    standing for dL/dh_t: a transposed W_hh, the tanh derivative left out
    or taken from the step before, the steps stored in reverse order.
    """
    x = np.asarray(x, dtype=np.float64)
    h = _run(x, None, W_hx, W_hh, b_h)
    B, T, H = h.shape
    h_before = np.concatenate([np.zeros((B, 1, H)), h[:, :-1]], axis=1)

    def walk(W_carry, derivative):
        out = np.empty((B, T, H))
        dh = np.asarray(dh_last, dtype=np.float64)
        for t in range(T - 1, -1, -1):
            out[:, t] = dh
            dh = (dh * derivative[:, t]) @ W_carry
        return out

    right = walk(W_hh, 1 - h**2)
    return {
        MISTAKES["transposed"] + " (here da @ W_hh.T instead of da @ W_hh)": walk(
            W_hh.T, 1 - h**2
        ),
        "the tanh derivative left out: dL/dh_{t-1} = (dL/dh_t * (1 - h_t**2))"
        " @ W_hh": walk(W_hh, np.ones_like(h)),
        "tanh' of the step before: step t's derivative is 1 - h_t**2, with h_t"
        " the state that step computed": walk(W_hh, 1 - h_before**2),
        "the gradients stored in reverse time order: grads[:, t] is dL/dh_t, so"
        " grads[:, -1] is dh_last": right[:, ::-1],
    }
