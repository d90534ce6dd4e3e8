"""What the usual wrong versions of the LSTM step and its backward pass
return (gate order, sigmoid/tanh swapped, ...), in plain NumPy."""

import numpy as np

from .values import MISTAKES


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _lstm_gates(a, H, order="ifgo", g_act=np.tanh):
    """i, f, g, o from the pre-activations a (B, 4H), its blocks read in `order`."""
    block = {name: a[:, k * H : (k + 1) * H] for k, name in enumerate(order)}
    return (
        _sigmoid(block["i"]),
        _sigmoid(block["f"]),
        g_act(block["g"]),
        _sigmoid(block["o"]),
    )


def lstm_step_mistakes(x_t, h_prev, c_prev, W_x, W_h, b):
    """What common wrong versions of one LSTM step return.

    Returns {"h_next": {mistake: array}, "c_next": {mistake: array}}: the
    gate blocks read in any order other than i, f, g, o; a sigmoid for the
    candidate g; the cell state not carried (c_prev left out); the input
    gate left out; h_next = o * c_next (no tanh) or o * tanh(c_prev).
    """
    from itertools import permutations

    H = W_h.shape[1]
    a = x_t @ W_x.T + h_prev @ W_h.T + b
    variants = {}
    for order in permutations("ifgo"):
        if order != tuple("ifgo"):
            i, f, g, o = _lstm_gates(a, H, order)
            c = f * c_prev + i * g
            text = f"{MISTAKES['gate_order']} (you read them as {', '.join(order)})"
            variants[text] = (o * np.tanh(c), c)
    i, f, g, o = _lstm_gates(a, H)
    c = f * c_prev + i * g
    i_s, f_s, g_s, o_s = _lstm_gates(a, H, g_act=_sigmoid)
    c_s = f_s * c_prev + i_s * g_s
    variants.update(
        {
            "a sigmoid for the candidate g: g = tanh(a_g); the gates i, f and o"
            " use the sigmoid": (o_s * np.tanh(c_s), c_s),
            "a cell state that is not carried to the next step: c_next ="
            " f * c_prev + i * g keeps part of c_prev": (o * np.tanh(i * g), i * g),
            "the input gate left out: c_next = f * c_prev + i * g": (
                o * np.tanh(f * c_prev + g),
                f * c_prev + g,
            ),
            "h_next = o * c_next: squash the cell state first, h_next ="
            " o * tanh(c_next)": (o * c, c),
            "h_next = o * tanh(c_prev): use the new cell state, c_next": (
                o * np.tanh(c_prev),
                c,
            ),
        }
    )
    return {
        "h_next": {k: v[0] for k, v in variants.items()},
        "c_next": {k: v[1] for k, v in variants.items()},
    }


def lstm_step_backward_mistakes(dh_next, dc_next, cache):
    """What common wrong backward passes of one LSTM step return.

    cache = (x_t, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh_c), rnnlib's
    (tanh_c = tanh(c_next)); dc_next may be None (zeros).  Returns
    {output name: {mistake: array}} for "dx_t", "dh_prev", "dc_prev",
    "dW_x", "dW_h", "db": the gate gradients stacked in another order than
    i, f, g, o; dc_next left out; tanh'(c_next) left out; dc_prev = dc
    (the forget gate left out); the sigmoid or the tanh derivative of the
    gates left out.
    """
    from itertools import permutations

    x_t, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh_c = cache
    dh_next = np.asarray(dh_next, dtype=np.float64)
    dc_next = np.zeros_like(dh_next) if dc_next is None else np.asarray(dc_next)

    def parts(dc, sigmoid_grad=True, tanh_grad=True):
        si = i * (1 - i) if sigmoid_grad else 1.0
        sf = f * (1 - f) if sigmoid_grad else 1.0
        so = o * (1 - o) if sigmoid_grad else 1.0
        return {
            "i": dc * g * si,
            "f": dc * c_prev * sf,
            "g": dc * i * ((1 - g * g) if tanh_grad else 1.0),
            "o": dh_next * tanh_c * so,
        }

    def grads(dc, da_parts, order="ifgo", dc_prev=None):
        da = np.concatenate([da_parts[k] for k in order], axis=1)
        return {
            "dx_t": da @ W_x,
            "dh_prev": da @ W_h,
            "dc_prev": dc * f if dc_prev is None else dc_prev,
            "dW_x": da.T @ x_t,
            "dW_h": da.T @ h_prev,
            "db": da.sum(axis=0),
        }

    dc = dc_next + dh_next * o * (1 - tanh_c**2)
    variants = {}
    for order in permutations("ifgo"):
        if order != tuple("ifgo"):
            text = (
                f"{MISTAKES['gate_order']} (you stacked the gate gradients as"
                f" {', '.join(order)})"
            )
            variants[text] = grads(dc, parts(dc), order)
    no_future = dh_next * o * (1 - tanh_c**2)
    no_tanh = dc_next + dh_next * o
    variants.update(
        {
            "the gradient from the next step's cell state left out: dc ="
            " dc_next + dh_next * o * (1 - tanh(c_next)**2)": grads(
                no_future, parts(no_future)
            ),
            "tanh'(c_next) left out: dc = dc_next + dh_next * o * (1 -"
            " tanh(c_next)**2)": grads(no_tanh, parts(no_tanh)),
            "dc_prev = dc: the forget gate scales the cell's gradient on its way"
            " back, dc_prev = dc * f": grads(dc, parts(dc), dc_prev=dc),
            "the sigmoid derivative left out: for i, f and o, d sigmoid(a)/da ="
            " s * (1 - s)": grads(dc, parts(dc, sigmoid_grad=False)),
            "tanh' of the candidate left out: da_g = dc * i * (1 - g**2)": grads(
                dc, parts(dc, tanh_grad=False)
            ),
        }
    )
    keys = ("dx_t", "dh_prev", "dc_prev", "dW_x", "dW_h", "db")
    return {k: {m: v[k] for m, v in variants.items()} for k in keys}
