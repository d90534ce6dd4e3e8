"""Unrolled diagrams of the architecture families, and figures of what they do.

Diagrams (boxes are vectors, arrows are weight matrices; the same arrow kind
is the same matrix at every step):

    plot_architecture_families()      one-to-one, one-to-many, many-to-one,
                                      many-to-many (equal / different lengths)
    plot_stacked_rnn(num_layers=3)    a deep RNN: layer k reads layer k-1
    plot_bidirectional_rnn()          forward and backward chains, y_t from both
    plot_encoder_decoder(inputs, outputs)   encoder -> context -> decoder

`plot_stacked_rnn` and `plot_bidirectional_rnn` take an optional `layer`
(an `RNN`/`LSTM` or a model with `.rnn`) and draw its num_layers and
directions; both are draw_unrolled_rnn (unrolled.py) with these defaults,
so their artists carry its gids ("box:cell", "arrow:layer", …).

Figures of trained models:

    plot_reading(tokens, probs)       a classifier's answer after each word
    plot_tag_probabilities(states, curves)   per-step P(tag) against the truth

Every function returns a matplotlib Figure and does not call plt.show().
The other diagrams' artists carry a gid, "node:x", "node:h", "node:y",
"node:c" for boxes and "arrow:<kind>" for arrows (kinds: input, recurrent,
output, context, feedback), so tests and readers can count them.  Boxes
and arrows come from the drawing kit (drawing.py).
"""

import matplotlib.pyplot as plt
import numpy as np

from .drawing import FILL, WEIGHT_COLORS, connect, draw_box, frame_axes
from .unrolled import draw_unrolled_rnn

COLORS = {  # the course's one palette (drawing.py)
    "x": FILL["input"],
    "h": FILL["cell"],
    "y": FILL["output"],
    "c": FILL["context"],
}
ARROW_COLORS = {
    "input": WEIGHT_COLORS["input"],
    "recurrent": WEIGHT_COLORS["recurrent"],
    "output": WEIGHT_COLORS["output"],
    "context": WEIGHT_COLORS["context"],
    "feedback": "0.5",
}
NODE_W, NODE_H = 0.62, 0.46


def _node(ax, x, y, kind, label, fontsize=11):
    """A vector: a rounded box centred at (x, y); kind is x, h, y or c.
    Returns its centre."""
    draw_box(
        ax,
        (x, y),
        label,
        width=NODE_W,
        height=NODE_H,
        color=COLORS[kind],
        edgecolor="0.25",
        pad=0.0,
        rounding=0.1,
        zorder=2,
        fontsize=fontsize,
        gid=f"node:{kind}",
    )
    return (x, y)


def _arrow(ax, a, b, kind, style="-"):
    """A weight: an arrow from box centre a to box centre b, clipped to the boxes."""
    return connect(
        ax,
        a,
        b,
        size_a=(NODE_W, NODE_H),
        size_b=(NODE_W, NODE_H),
        color=ARROW_COLORS[kind],
        gid=f"arrow:{kind}",
        linestyle=style,
        linewidth=1.3,
        head_size=11,
        zorder=1,
    )


def _frame(ax, xlim, ylim, title=None, caption=None):
    """Show xlim × ylim without axes, titled, the caption at the bottom."""
    frame_axes(ax, xlim, ylim, title, title_size=11)
    if caption:
        ax.text(
            (xlim[0] + xlim[1]) / 2,
            ylim[0] + 0.05,
            caption,
            ha="center",
            va="bottom",
            fontsize=9,
            style="italic",
            color="0.35",
        )


def count_artists(fig, gid):
    """How many artists of `fig` carry this gid, e.g. "node:h", "arrow:recurrent"."""
    return sum(1 for ax in fig.axes for p in ax.patches if p.get_gid() == gid)


# --------------------------------------------------------------------------
# the five families
# --------------------------------------------------------------------------


def _draw_chain(ax, inputs, outputs, steps, x0=0.0):
    """One RNN unrolled over `steps`; `inputs`/`outputs` are the step indices
    that have an x below / a y above."""
    hs = []
    for t in range(steps):
        h = _node(ax, x0 + t, 1.0, "h", f"$h_{t + 1}$")
        if hs:
            _arrow(ax, hs[-1], h, "recurrent")
        hs.append(h)
        if t in inputs:
            _arrow(ax, _node(ax, x0 + t, 0.0, "x", f"$x_{t + 1}$"), h, "input")
        if t in outputs:
            _arrow(ax, h, _node(ax, x0 + t, 2.0, "y", f"$y_{t + 1}$"), "output")
    return hs


def _draw_one_to_one(ax):
    _draw_chain(ax, {0}, {0}, 1)
    _frame(ax, (-0.9, 0.9), (-0.7, 2.6), "one-to-one", "a feed-forward net")


def _draw_one_to_many(ax, T):
    _draw_chain(ax, {0}, set(range(T)), T)
    _frame(ax, (-0.6, T - 0.4), (-0.7, 2.6), "one-to-many", "generation (05)")


def _draw_many_to_one(ax, T):
    _draw_chain(ax, set(range(T)), {T - 1}, T)
    _frame(ax, (-0.6, T - 0.4), (-0.7, 2.6), "many-to-one", "classification (04)")


def _draw_many_to_many(ax, T):
    _draw_chain(ax, set(range(T)), set(range(T)), T)
    _frame(
        ax,
        (-0.6, T - 0.4),
        (-0.7, 2.6),
        "many-to-many, equal lengths",
        "labelling (03)",
    )


def _draw_seq2seq(ax, T_in, T_out):
    hs = []
    for t in range(T_in):
        h = _node(ax, t, 1.0, "h", f"$h_{t + 1}$")
        if hs:
            _arrow(ax, hs[-1], h, "recurrent")
        hs.append(h)
        _arrow(ax, _node(ax, t, 0.0, "x", f"$x_{t + 1}$"), h, "input")
    ss = []
    for t in range(T_out):
        s = _node(ax, T_in + t, 1.0, "h", f"$s_{t + 1}$")
        _arrow(
            ax, hs[-1] if not ss else ss[-1], s, "context" if not ss else "recurrent"
        )
        ss.append(s)
        _arrow(ax, s, _node(ax, T_in + t, 2.0, "y", f"$y_{t + 1}$"), "output")
    _frame(
        ax,
        (-0.6, T_in + T_out - 0.4),
        (-0.7, 2.6),
        "many-to-many, different lengths",
        "encoder–decoder (06)",
    )


def plot_architecture_families(steps=3, figsize=(15, 3.4)):
    """The five input/output shapes, each drawn unrolled over time.

    one-to-one (a single step: no recurrence), one-to-many, many-to-one,
    many-to-many of equal lengths, and of different lengths (an encoder
    reads `steps` inputs, a decoder writes steps - 1 outputs).
    Returns a Figure with five axes, in that order.
    """
    if steps < 2:
        raise ValueError(f"steps must be >= 2 to show a recurrence; got {steps}")
    widths = [1.8, steps, steps, steps, 2 * steps - 1]
    fig, axes = plt.subplots(
        1, 5, figsize=figsize, gridspec_kw={"width_ratios": widths}
    )
    _draw_one_to_one(axes[0])
    _draw_one_to_many(axes[1], steps)
    _draw_many_to_one(axes[2], steps)
    _draw_many_to_many(axes[3], steps)
    _draw_seq2seq(axes[4], steps, steps - 1)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# deep and bidirectional
# --------------------------------------------------------------------------


def _layer_shape(layer, num_layers, bidirectional):
    """(num_layers, bidirectional) from a layer or model, else the arguments."""
    if layer is None:
        return num_layers, bidirectional
    rnn = getattr(layer, "rnn", layer)
    return rnn.num_layers, rnn.bidirectional


def plot_stacked_rnn(num_layers=3, steps=4, layer=None, figsize=None):
    """A deep (stacked) RNN unrolled: layer k's h_t is layer k+1's input at t.

    Each layer has its own W_hx, W_hh, b_h (one per row of the figure, its
    weights named on their first arrow); the output y_t is read from the
    top layer.  `layer`: draw this RNN/LSTM (or model)'s layers instead,
    with the shapes of its weights.  Drawn by draw_unrolled_rnn.
    """
    num_layers, _ = _layer_shape(layer, num_layers, False)
    if num_layers < 1 or steps < 1:
        raise ValueError(
            f"num_layers and steps must be >= 1; got {num_layers}, {steps}"
        )
    sizes = {"input_size": 1, "hidden_size": 1, "num_layers": num_layers}
    return _unrolled(layer, sizes, steps, figsize, title=f"a {num_layers}-layer RNN")


def plot_bidirectional_rnn(steps=4, tokens=None, layer=None, figsize=None):
    """A bidirectional RNN unrolled: a forward chain reads x_1..x_T, a
    backward chain reads x_T..x_1, and y_t sees both h→_t and h←_t.

    tokens: optional labels for the inputs (e.g. bases "ACGT"); steps is
    then len(tokens).  `layer`: a bidirectional RNN/LSTM (or model) to draw,
    with the shapes of its weights.  Drawn by draw_unrolled_rnn.
    """
    if layer is not None and not _layer_shape(layer, 1, True)[1]:
        raise ValueError("layer must be bidirectional (bidirectional=True)")
    if tokens is not None:
        steps = len(tokens)
    if steps < 2:
        raise ValueError(f"steps must be >= 2; got {steps}")
    sizes = {"input_size": 1, "hidden_size": 1, "bidirectional": True}
    inputs = "x_{t}" if tokens is None else [str(x) for x in tokens]
    return _unrolled(
        layer, sizes, steps, figsize, input_label=inputs, title="a bidirectional RNN"
    )


def _unrolled(layer, sizes, steps, figsize, **kwargs):
    """draw_unrolled_rnn of `layer` (an RNN/LSTM or a model's .rnn), or of
    these sizes without their shapes: no h_0, the outputs named y_t,
    resized to figsize when given."""
    fig = draw_unrolled_rnn(
        sizes if layer is None else getattr(layer, "rnn", layer),
        steps,
        show_h0=False,
        show_shapes=layer is not None,
        output_label="y_{t}",
        **kwargs,
    )
    if figsize:
        fig.set_size_inches(figsize)
    return fig


def plot_encoder_decoder(
    inputs=("x1", "x2", "x3"), outputs=("y1", "y2"), feed_back=True, figsize=None
):
    """Encoder–decoder (sequence to sequence) unrolled.

    The encoder reads `inputs` into h_1..h_S; its last state h_S is the
    context c and the decoder's initial state (the green arrow); the decoder
    writes `outputs`, and with feed_back=True each output is fed back as the
    next decoder input (dashed).  Labels are shown as given (strings or
    tokens); "encoder" and "decoder" stand over their own columns.
    """
    S, T = len(inputs), len(outputs)
    if S < 1 or T < 1:
        raise ValueError(f"inputs and outputs must be non-empty; got {S} and {T}")
    fig, ax = plt.subplots(figsize=figsize or (1.2 * (S + T) + 1.2, 3.9))
    hs = []
    for t, token in enumerate(inputs):
        label = f"$h_{t + 1} = c$" if t == S - 1 else f"$h_{t + 1}$"
        h = _node(ax, t, 1, "h", label, fontsize=10 if t == S - 1 else 11)
        _arrow(ax, _node(ax, t, 0, "x", str(token), fontsize=9), h, "input")
        if hs:
            _arrow(ax, hs[-1], h, "recurrent")
        hs.append(h)
    prev = hs[-1]
    for t, token in enumerate(outputs):
        s = _node(ax, S + 0.3 + t, 1, "h", f"$s_{t + 1}$")
        _arrow(ax, prev, s, "context" if t == 0 else "recurrent")
        y = _node(ax, S + 0.3 + t, 2, "y", str(token), fontsize=9)
        _arrow(ax, s, y, "output")
        if feed_back and t + 1 < T:
            _arrow(ax, y, (S + 1.3 + t, 1), "feedback", style="--")
        prev = s
    for name, first, last in (
        ("encoder", 0, S - 1),
        ("decoder", S + 0.3, S + 0.3 + T - 1),
    ):
        ax.plot([first - 0.35, last + 0.35], [2.55, 2.55], color="0.5", linewidth=1)
        ax.text(
            (first + last) / 2,
            2.62,
            name,
            ha="center",
            va="bottom",
            fontsize=10,
            color="0.3",
        )
    _frame(ax, (-0.6, S + T - 0.1), (-0.5, 2.95), "encoder–decoder")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# what trained models do
# --------------------------------------------------------------------------


def plot_reading(tokens, probs, states=None, title=None, class_name="positive"):
    """How a many-to-one model's answer moves as it reads a sequence.

    tokens  the T words read
    probs   (T,) the model's P(class) if the sequence stopped after each word
            (`SequenceClassifier.readout_steps(...)[0, :, 1]`)
    states  optional (T, H) hidden states h_t, drawn as a heatmap below
    """
    probs = np.asarray(probs, dtype=float)
    T = len(tokens)
    if probs.shape != (T,):
        raise ValueError(f"probs must have shape (T,) = ({T},); got {probs.shape}")
    rows = 1 if states is None else 2
    fig, axes = plt.subplots(
        rows,
        1,
        figsize=(max(6, 0.75 * T + 1.5), 2.6 * rows),
        sharex=True,
        squeeze=False,
        gridspec_kw={"height_ratios": [1, 1.2][:rows]},
        layout="constrained",
    )
    ax = axes[0, 0]
    ax.axhline(0.5, color="0.7", linewidth=1, linestyle=":")
    ax.plot(np.arange(T), probs, marker="o", color=WEIGHT_COLORS["output"])
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel(f"P({class_name})")
    ax.set_title(title or "the answer after each word")
    if states is not None:
        states = np.asarray(states, dtype=float)
        if states.ndim != 2 or states.shape[0] != T:
            raise ValueError(
                f"states must have shape (T, H) with T = {T}; got {states.shape}"
            )
        hax = axes[1, 0]
        image = hax.imshow(
            states.T,
            aspect="auto",
            cmap="RdBu_r",
            vmin=-1,
            vmax=1,
            interpolation="nearest",
        )
        hax.set_ylabel("hidden unit")
        hax.set_yticks(np.arange(0, states.shape[1], max(1, states.shape[1] // 4)))
        fig.colorbar(image, ax=list(axes[:, 0]), fraction=0.04, pad=0.02, label="$h_t$")
    last = axes[-1, 0]
    last.set_xticks(np.arange(T))
    last.set_xticklabels(tokens, rotation=30, ha="right")
    return fig


def plot_tag_probabilities(
    states, curves, bases=None, title=None, state_name="island", styles=None
):
    """Per-step probabilities of a tag against the true tags.

    states  (T,) the true tags (0/1), drawn as a shaded band
    curves  {name: (T,) P(tag = 1)} e.g. the exact filter, the posterior and
            a trained RNN's softmax
    bases   optional (T,) string or labels shown along the x axis
    styles  optional {name: matplotlib line keywords}, e.g. to draw an exact
            curve dashed in the colour of the model that approximates it
    """
    states = np.asarray(states)
    T = states.shape[0]
    fig, ax = plt.subplots(figsize=(min(16, 0.16 * T + 3), 3.0))
    ax.fill_between(
        np.arange(T),
        0,
        1,
        where=states == 1,
        step="mid",
        color="#fce5cd",
        label=f"true {state_name}",
    )
    for name, p in curves.items():
        p = np.asarray(p, dtype=float)
        if p.shape != (T,):
            raise ValueError(f"curves[{name!r}] must have shape ({T},); got {p.shape}")
        style = {"linewidth": 1.4, **(styles or {}).get(name, {})}
        ax.plot(np.arange(T), p, label=name, **style)
    ax.axhline(0.5, color="0.7", linewidth=1, linestyle=":")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(-0.5, T - 0.5)
    ax.set_ylabel(f"P({state_name})")
    ax.set_xlabel("position")
    if bases is not None:
        ax.set_xticks(np.arange(T))
        ax.set_xticklabels(list(bases), fontsize=7, family="monospace")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.set_title(title or f"P({state_name}) at every position")
    fig.tight_layout()
    return fig
