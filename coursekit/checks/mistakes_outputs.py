"""What the usual wrong versions of the output side return: softmax,
masked cross-entropy, the many-to-one backward pass, a generator's logits
and greedy decoding."""

import numpy as np

from .mistakes_rnn import _step
from .values import MISTAKES


def softmax_mistakes(z, temperature=1.0):
    """What common wrong versions of softmax(z / temperature) over the last
    axis return: softmax over another axis, and z * temperature in place of
    z / temperature.  Returns {mistake: probabilities}."""
    z = np.asarray(z, dtype=np.float64)

    def softmax(a, axis):
        e = np.exp(a - a.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    out = {}
    if temperature != 1.0:
        out["the logits multiplied by the temperature instead of divided by it"] = (
            softmax(z * temperature, -1)
        )
        out["the temperature left out"] = softmax(z, -1)
    for axis in range(z.ndim - 1):
        out[MISTAKES["softmax_axis"] + f" (you used axis={axis})"] = softmax(
            z / temperature, axis
        )
    if z.ndim > 1:
        out[MISTAKES["softmax_axis"] + " (you normalised over all values at once)"] = (
            np.exp(z / temperature - (z / temperature).max())
            / np.exp(z / temperature - (z / temperature).max()).sum()
        )
    return out


def _log_softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def masked_cross_entropy_mistakes(logits, targets, mask=None):
    """What common wrong versions of the masked softmax cross-entropy return.

    logits (B, T, C), targets int (B, T), mask (B, T) or None.  The right
    answer: loss = (1/B) sum_{b,t} mask * (-log softmax(z)_target),
    dlogits = mask * (softmax(z) - onehot) / B.
    Returns {"loss": {mistake: float}, "dlogits": {mistake: array}}.
    """
    z = np.asarray(logits, dtype=np.float64)
    B, T, C = z.shape
    m = np.ones((B, T)) if mask is None else np.asarray(mask, dtype=np.float64)
    onehot = np.eye(C)[targets]

    def loss_and_grad(weights, divisor, axis=-1):
        logp = _log_softmax(z, axis)
        per_step = -(logp * onehot).sum(axis=-1)
        dz = (np.exp(logp) - onehot) * weights[..., None]
        return float((per_step * weights).sum() / divisor), dz / divisor

    variants = {
        "the mask left out: padded steps must not count": loss_and_grad(
            np.ones((B, T)), B
        ),
        "a division by the number of real steps, mask.sum(), where the course's"
        " loss divides by the batch size B": loss_and_grad(m, max(m.sum(), 1.0)),
        "an average over all B * T positions, where the course's loss sums over"
        " time and averages over the batch (divides by B)": loss_and_grad(m, B * T),
        "no division by the batch size B": loss_and_grad(m, 1.0),
    }
    if T > 1:
        variants[MISTAKES["softmax_axis"] + " (you used axis=1, time)"] = loss_and_grad(
            m, B, axis=1
        )
    return {
        "loss": {k: v[0] for k, v in variants.items()},
        "dlogits": {k: v[1] for k, v in variants.items()},
    }


def many_to_one_backward_mistakes(dlogits, x, params):
    """What common wrong backward passes of a many-to-one classifier return.

    The model: h = rnn_forward(x, 0, W_hx, W_hh, b_h); logits = h[:, -1] @
    W_yh.T + b_y, squeezed to (B,).  dlogits (B,); params has "W_hx",
    "W_hh", "b_h", "W_yh" (1, H), "b_y" (1,).  Returns {param name:
    {mistake: gradient}} for the gradient sent into the wrong time steps
    (every step, or the first step instead of the last).
    """
    from rnnlib import rnn_backward, rnn_forward

    p = params
    h, cache = rnn_forward(x, None, p["W_hx"], p["W_hh"], p["b_h"])
    dlogits = np.asarray(dlogits, dtype=np.float64).reshape(-1, 1)
    dh_T = dlogits @ p["W_yh"]  # (B, H)

    def grads(dh):
        _, _, dW_hx, dW_hh, db_h = rnn_backward(dh, cache)
        return {"W_hx": dW_hx, "W_hh": dW_hh, "b_h": db_h}

    every = np.repeat(dh_T[:, None], h.shape[1], axis=1)
    first = np.zeros_like(h)
    first[:, 0] = dh_T
    variants = {
        "the gradient sent into every time step: only the last hidden state"
        " h_T feeds the output, so dh is zero except at t = T": grads(every),
    }
    if h.shape[1] > 1:
        variants[
            MISTAKES["off_by_one"] + " (the gradient enters at the first step, not"
            " the last: dh[:, -1] = dlogits[:, None] * W_yh)"
        ] = grads(first)
    return {k: {m: g[k] for m, g in variants.items()} for k in ("W_hx", "W_hh", "b_h")}


def generator_logits_mistakes(params, first_id, fed_ids):
    """What a generation loop's logits look like when it goes wrong.

    params: "W_hx" (H, V), "W_hh" (H, H), "b_h" (H,), "W_yh" (V, H), "b_y" (V,).
    The right loop starts from h0 = 0, reads first_id, then fed_ids[0],
    fed_ids[1], … (each one-hot), and records the logits after each read.
    Returns {mistake: logits (L, V)} with L = len(fed_ids) + 1 for a state
    that is not carried and for the first token fed at every step.
    """
    p = params
    V = p["W_yh"].shape[0]

    def run(inputs, carry=True):
        h = np.zeros(p["W_hh"].shape[0])
        out = []
        for i in inputs:
            h = _step(
                np.eye(V)[i], h if carry else 0 * h, p["W_hx"], p["W_hh"], p["b_h"]
            )
            out.append(h @ p["W_yh"].T + p["b_y"])
        return np.array(out)

    inputs = [first_id] + list(fed_ids)
    return {
        "state_not_carried": run(inputs, carry=False),
        "the first token fed in at every step: feed back the token you just"
        " sampled": run([first_id] * len(inputs)),
    }


def greedy_decode_mistakes(context, params, max_len, bos_id, eos_id):
    """What common wrong greedy decoders return, as lists of token ids.

    The right decoder starts from g_0 = context (B, H) and the token <bos>;
    at each step g_t = tanh(E_tgt[token] @ W_hx_dec.T + g_{t-1} @ W_hh_dec.T
    + b_h_dec) and the next token is argmax(g_t @ W_yh.T + b_y); a row stops
    at its first <eos>, which is left out, or after max_len tokens.
    params: "E_tgt" (V, E), "W_hx_dec" (H, E), "W_hh_dec" (H, H),
    "b_h_dec" (H,), "W_yh" (V, H), "b_y" (V,).
    Returns {mistake: list of B lists}.
    """
    p = params
    context = np.asarray(context, dtype=np.float64)
    B = context.shape[0]

    def run(start, carry=True, feed_back=True, softmax_axis=None):
        g, token = start, np.full(B, bos_id)
        out = np.zeros((B, max_len), dtype=np.int64)
        for t in range(max_len):
            g = np.tanh(
                p["E_tgt"][token] @ p["W_hx_dec"].T
                + (g if carry else start) @ p["W_hh_dec"].T
                + p["b_h_dec"]
            )
            scores = g @ p["W_yh"].T + p["b_y"]
            if softmax_axis is not None:
                e = np.exp(scores - scores.max(axis=softmax_axis, keepdims=True))
                scores = e / e.sum(axis=softmax_axis, keepdims=True)
            out[:, t] = scores.argmax(axis=1)
            if feed_back:
                token = out[:, t]
        return out

    def cut(rows, keep_eos=False, limit=None):
        result = []
        for row in rows[:, :limit]:
            ends = np.flatnonzero(row == eos_id)
            stop = ends[0] + int(keep_eos) if ends.size else len(row)
            result.append(row[:stop].tolist())
        return result

    full = run(context)
    ends = [np.flatnonzero(row == eos_id) for row in full]
    first_stop = min((e[0] for e in ends if e.size), default=max_len - 1) + 1
    variants = {
        "a decoder started from zeros: it starts from the encoder's context,"
        " g_0 = c": cut(run(np.zeros_like(context))),
        "a state that is not carried to the next step: every step started again"
        " from the context c. Feed each step's g_t in as the state of step t + 1": cut(
            run(context, carry=False)
        ),
        "<bos> fed in at every step: feed back the token just chosen": cut(
            run(context, feed_back=False)
        ),
        "<eos> kept at the end of the list: leave it out": cut(full, keep_eos=True),
        "no stop at <eos>: a row ends at its first <eos>": [r.tolist() for r in full],
        "<bos> at the start of the list: the output begins with the first token"
        " the decoder chose": [[bos_id] + r for r in cut(full)],
        "every row stopped as soon as one row reached <eos>: each row stops at"
        " its own <eos>": cut(full, limit=first_stop),
        "every row stopped as soon as one row reached <eos> (the loop ended"
        " there): each row stops at its own <eos>": cut(full, limit=first_stop - 1),
    }
    if max_len > 1:
        variants[
            MISTAKES["off_by_one"] + " (at most max_len - 1 tokens: max_len counts"
            " the tokens the decoder chooses, <bos> not included)"
        ] = cut(full, limit=max_len - 1)
    if B > 1:
        variants[
            MISTAKES["softmax_axis"] + " (before the argmax, you normalised over"
            " axis=0, the batch)"
        ] = cut(run(context, softmax_axis=0))
    return variants
