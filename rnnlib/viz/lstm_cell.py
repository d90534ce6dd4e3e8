"""The LSTM cell drawn, and its gates watched at work (see rnnlib/lstm.py).

    draw_lstm_cell()                 the cell: four gates, the cell-state path
    lstm_gate_trace(lstm, x)         i, f, g, o, c, h at every step of one sequence
    plot_gate_activations(trace)     those as heatmaps (unit x time), with the input

The diagram follows the equations in rnnlib/lstm.py:

    [i, f, g, o] = [sigmoid, sigmoid, tanh, sigmoid](x_t @ W_x.T + h_{t-1} @ W_h.T + b)
    c_t = f * c_{t-1} + i * g          the cell-state path along the top
    h_t = o * tanh(c_t)

Every function returns a matplotlib Figure (or, for the trace, a dict) and
does not call plt.show().  Artists carry a gid: "gate:<i|f|g|o>" for the
gate boxes, "op:<name>" for the pointwise operations, "cell-path" for the
segments of the c path, "arrow" for the other arrows, "gates:<name>" for
the heatmap images.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle

from ..checks import as_float_array
from ..lstm import LSTM, lstm_step_forward
from .drawing import draw_arrow, draw_box, frame_axes, new_axes

GATE_COLORS = {"f": "#f4cccc", "i": "#d9ead3", "g": "#fff2cc", "o": "#cfe2f3"}
CELL_COLOR = "#997700"  # the cell state: a dark shade of the hidden-state yellow
GATE_NAMES = {
    "i": "input gate",
    "f": "forget gate",
    "g": "candidate",
    "o": "output gate",
    "c": "cell state",
    "h": "hidden state",
}


def _arrow(ax, a, b, gid="arrow", color="0.2", lw=1.4, style="-|>"):
    """An arrow from point a to point b (style "-": a bare line)."""
    return draw_arrow(
        ax,
        a,
        b,
        color=color,
        linewidth=lw,
        head=style,
        head_size=12,
        shrink=0,
        zorder=1,
        gid=gid,
    )


def _op(ax, xy, text, name):
    """A pointwise operation: a small circle with its symbol."""
    circle = Circle(xy, 0.28, facecolor="white", edgecolor="0.2", lw=1.4, zorder=3)
    circle.set_gid(f"op:{name}")
    ax.add_patch(circle)
    size = 12 if len(text) == 1 else 8
    ax.text(*xy, text, ha="center", va="center", fontsize=size, zorder=4)


def _gate(ax, xy, name, act):
    """A gate: a 0.8 × 0.6 box holding its nonlinearity, its name at the left."""
    pad = 0.02
    draw_box(
        ax,
        xy,
        act,
        width=0.8 + 2 * pad,
        height=0.6 + 2 * pad,
        color=GATE_COLORS[name],
        edgecolor="0.2",
        linewidth=1.3,
        pad=pad,
        rounding=0.08,
        gid=f"gate:{name}",
    )
    ax.text(
        xy[0] - 0.5, xy[1] + 0.05, f"${name}_t$", ha="right", va="center", fontsize=11
    )


def _draw_body(ax):
    """The cell's grey body, behind everything (gid "cell")."""
    pad = 0.05
    draw_box(
        ax,
        (1.2 + 7.8 / 2, 0.75 + 4.35 / 2),
        "",
        width=7.8 + 2 * pad,
        height=4.35 + 2 * pad,
        color="0.96",
        edgecolor="0.6",
        pad=pad,
        rounding=0.3,
        zorder=0,
        gid="cell",
    )


# where the parts of the cell sit: the rows (y) of the cell state, the input
# bus, the gates and the operations between them; the gates' columns (x)
Y_CELL, Y_BUS, Y_GATE, Y_MID = 4.5, 1.2, 2.3, 3.4
GATES = {"f": (3.0, "σ"), "i": (4.6, "σ"), "g": (6.4, "tanh"), "o": (7.6, "σ")}
X_FORGET, X_ADD, X_OUT = 3.0, 5.5, 8.3


def draw_lstm_cell(ax=None, title="One LSTM step"):
    """The LSTM cell as a diagram: the four gates below, the cell state on top.

    Gates (boxes) read [x_t, h_{t-1}]: f (sigmoid), i (sigmoid), g (tanh),
    o (sigmoid).  The cell state c runs along the top, touched only by a
    pointwise multiply with f and an addition of i * g: no weight matrix,
    no squashing, which is why gradients travel far along it.  Returns a
    Figure with 4 "gate:*" boxes, 5 "op:*" circles and 3 "cell-path" arrows.
    """
    fig, ax, _ = new_axes(ax, (8.5, 4.6))
    _draw_body(ax)
    _draw_cell_path(ax)
    _draw_gate_inputs(ax)
    _draw_gate_outputs(ax)
    ax.text(
        5.9,
        5.4,
        r"$c_t = f_t \odot c_{t-1} + i_t \odot g_t \qquad h_t = o_t \odot \tanh(c_t)$",
        ha="center",
        fontsize=11,
    )
    frame_axes(ax, (0, 10.8), (0, 5.8), title)
    fig.tight_layout()
    return fig


def _draw_cell_path(ax):
    """The cell state along the top: c_{t-1} -> (× f) -> (+ i*g) -> c_t, and
    the operations that read it."""
    for a, b in [
        ((0.2, Y_CELL), (X_FORGET, Y_CELL)),
        ((X_FORGET, Y_CELL), (X_ADD, Y_CELL)),
        ((X_ADD, Y_CELL), (10.6, Y_CELL)),
    ]:
        _arrow(ax, a, b, gid="cell-path", color=CELL_COLOR, lw=3.2)
    ax.text(0.2, Y_CELL + 0.25, "$c_{t-1}$", fontsize=12, color=CELL_COLOR)
    ax.text(10.6, Y_CELL + 0.25, "$c_t$", fontsize=12, color=CELL_COLOR, ha="right")
    _op(ax, (X_FORGET, Y_CELL), "×", "forget")
    _op(ax, (X_ADD, Y_CELL), "+", "add")
    _op(ax, (X_ADD, Y_MID), "×", "write")
    _op(ax, (X_OUT, Y_MID + 0.45), "tanh", "squash")
    _op(ax, (X_OUT, Y_MID - 0.55), "×", "show")


def _draw_gate_inputs(ax):
    """h_{t-1} from the left and x_t from below, joined on one bus that
    feeds every gate."""
    _arrow(ax, (0.2, Y_BUS), (7.6, Y_BUS), style="-")
    ax.text(0.2, Y_BUS + 0.18, "$h_{t-1}$", fontsize=12)
    _arrow(ax, (1.8, 0.1), (1.8, Y_BUS), style="-")
    ax.text(1.9, 0.15, "$x_t$", fontsize=12)
    for name, (x, act) in GATES.items():
        _arrow(ax, (x, Y_BUS), (x, Y_GATE - 0.3))
        _gate(ax, (x, Y_GATE), name, act)


def _draw_gate_outputs(ax):
    """The gates into the operations, and h_t = o * tanh(c_t) out to the right."""
    top = Y_GATE + 0.3
    _arrow(ax, (3.0, top), (X_FORGET, Y_CELL - 0.28))  # f -> x on the c path
    _arrow(ax, (4.6, top), (X_ADD - 0.2, Y_MID - 0.2))  # i -> x
    _arrow(ax, (6.4, top), (X_ADD + 0.2, Y_MID - 0.2))  # g -> x
    _arrow(ax, (X_ADD, Y_MID + 0.28), (X_ADD, Y_CELL - 0.28))  # i*g -> +
    _arrow(ax, (X_OUT, Y_CELL), (X_OUT, Y_MID + 0.73))  # c_t -> tanh
    _arrow(ax, (X_OUT, Y_MID + 0.17), (X_OUT, Y_MID - 0.27))  # tanh -> x
    _arrow(ax, (7.6, top), (X_OUT - 0.22, Y_MID - 0.72))  # o -> x
    _arrow(ax, (X_OUT + 0.28, Y_MID - 0.55), (10.6, Y_MID - 0.55))  # -> h_t
    ax.text(10.6, Y_MID - 0.35, "$h_t$", fontsize=12, ha="right")


def lstm_gate_trace(lstm, x):
    """Every gate and state of an LSTM's first layer, step by step.

    lstm  an rnnlib LSTM (its first layer, forward direction is traced).
    x     one sequence (T, D), or a batch (B, T, D).
    Returns {"i", "f", "g", "o", "c", "h": arrays (T, H), or (B, T, H) for a
    batch}, computed with lstm_step_forward from zero states, so they equal
    what lstm.forward computes inside.
    """
    if not isinstance(lstm, LSTM):
        raise TypeError(f"lstm must be an rnnlib LSTM; got {type(lstm).__name__}")
    x = as_float_array("x", x)
    if x.ndim not in (2, 3) or x.shape[-1] != lstm.input_size:
        raise ValueError(
            f"x must have shape (T, D) or (B, T, D) with D = {lstm.input_size}; "
            f"got {x.shape}"
        )
    single = x.ndim == 2
    xb = x[None] if single else x
    W_x, W_h, b = (lstm.params[k] for k in ("W_x_l0", "W_h_l0", "b_l0"))
    B, T, H = xb.shape[0], xb.shape[1], lstm.hidden_size
    h, c = np.zeros((B, H)), np.zeros((B, H))
    trace = {k: np.empty((B, T, H)) for k in ("i", "f", "g", "o", "c", "h")}
    for t in range(T):
        h, c, cache = lstm_step_forward(xb[:, t], h, c, W_x, W_h, b)
        i, f, g, o = cache.i, cache.f, cache.g, cache.o
        for key, value in zip("ifgoch", (i, f, g, o, c, h), strict=True):
            trace[key][:, t] = value
    return {k: v[0] if single else v for k, v in trace.items()}


def plot_gate_activations(
    trace, inputs=None, gates=("i", "f", "g", "o", "c"), units=None, title=None
):
    """Heatmaps of an LSTM's gates over one sequence: rows are units, columns steps.

    trace   {name: (T, H)} from lstm_gate_trace.
    inputs  optional (T,) or (T, D) input values, drawn above the heatmaps.
    gates   which entries of the trace to draw, top to bottom.
    units   which units (rows) to draw; all by default.
    Gates i, f, o lie in [0, 1] (white = closed, dark = open), g, c and h
    are signed (blue negative, red positive).
    """
    names = list(gates)
    missing = [n for n in names if n not in trace]
    if missing:
        raise ValueError(f"trace has no entries {missing}; it has {sorted(trace)}")
    T, H = np.asarray(trace[names[0]]).shape
    units = np.arange(H) if units is None else np.asarray(units)
    rows = len(names) + (inputs is not None)
    ratios = ([0.6] if inputs is not None else []) + [1.0] * len(names)
    fig, axes = plt.subplots(
        rows,
        1,
        figsize=(8, 0.6 + 1.25 * sum(ratios)),
        sharex=True,
        gridspec_kw={"height_ratios": ratios},
        squeeze=False,
    )
    axes = axes[:, 0]
    if inputs is not None:
        values = np.asarray(inputs, dtype=float).reshape(T, -1)
        ax = axes[0]
        for d in range(values.shape[1]):
            ax.plot(np.arange(T), values[:, d], lw=1.2, marker=".", ms=3, gid="input")
        ax.set_ylabel("input", rotation=0, ha="right", va="center")
        ax.axhline(0, color="0.7", lw=0.8)
        axes = axes[1:]
    for ax, name in zip(axes, names, strict=True):
        values = np.asarray(trace[name], dtype=float)[:, units]
        if name in ("i", "f", "o"):
            image = ax.imshow(values.T, aspect="auto", cmap="Greys", vmin=0, vmax=1)
        else:
            lim = max(float(np.abs(values).max()), 1e-12)
            image = ax.imshow(
                values.T, aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim
            )
        image.set_gid(f"gates:{name}")
        ax.set_ylabel(
            f"${name}_t$\n{GATE_NAMES.get(name, name)}",
            rotation=0,
            ha="right",
            va="center",
        )
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, pad=0.01, fraction=0.03)
    axes[-1].set_xlabel("time step t")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
