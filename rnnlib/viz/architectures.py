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
directions.

Figures of trained models:

    plot_reading(tokens, probs)       a classifier's answer after each word
    plot_tag_probabilities(states, curves)   per-step P(tag) against the truth

Every function returns a matplotlib Figure and does not call plt.show().
Artists carry a gid, "node:x", "node:h", "node:y", "node:c" for boxes and
"arrow:<kind>" for arrows (kinds: input, recurrent, output, layer,
context, feedback), so tests and readers can count them.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

COLORS = {
    "x": "#d9ead3",  # inputs: green
    "h": "#cfe2f3",  # hidden states: blue
    "h_reverse": "#fce5cd",  # backward-direction hidden states: orange
    "y": "#f4cccc",  # outputs: red
    "c": "#ead1dc",  # context vector: purple
}
ARROW_COLORS = {
    "input": "0.25",
    "recurrent": "#1f4e79",
    "recurrent_reverse": "#b45f06",
    "output": "0.25",
    "layer": "0.25",
    "context": "#741b47",
    "feedback": "0.5",
}
NODE_W, NODE_H = 0.62, 0.46


def _node(ax, x, y, kind, label, fontsize=11):
    """A rounded box centred at (x, y); kind is x, h, h_reverse, y or c."""
    box = FancyBboxPatch(
        (x - NODE_W / 2, y - NODE_H / 2),
        NODE_W,
        NODE_H,
        boxstyle="round,pad=0.0,rounding_size=0.1",
        facecolor=COLORS[kind],
        edgecolor="0.25",
        linewidth=1.2,
        zorder=2,
    )
    box.set_gid(f"node:{kind.split('_')[0]}")
    ax.add_patch(box)
    ax.text(x, y, label, ha="center", va="center", fontsize=fontsize, zorder=3)
    return (x, y)


def _edge_point(center, direction):
    """Where a ray from a box's centre along `direction` leaves the box."""
    dx, dy = direction
    scale = min(
        NODE_W / 2 / abs(dx) if dx else np.inf,
        NODE_H / 2 / abs(dy) if dy else np.inf,
    )
    return center[0] + dx * scale, center[1] + dy * scale


def _arrow(ax, a, b, kind, style="-", rad=0.0, label=None):
    """An arrow from box centre a to box centre b, clipped to the boxes."""
    d = np.subtract(b, a, dtype=float)
    d /= np.hypot(*d)
    start, end = _edge_point(a, d), _edge_point(b, -d)
    arrow = _arrow_between(ax, start, end, kind, rad, style)
    if label:
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        ax.text(mx, my + 0.12, label, ha="center", va="bottom", fontsize=8, color="0.3")
    return arrow


def _arrow_between(ax, start, end, kind, rad=0.0, style="-"):
    """An arrow between two given points (not box centres)."""
    arrow = FancyArrowPatch(
        start,
        end,
        arrowstyle="-|>",
        mutation_scale=11,
        linewidth=1.3,
        linestyle=style,
        color=ARROW_COLORS[kind],
        connectionstyle=f"arc3,rad={rad}",
        shrinkA=1,
        shrinkB=1,
        zorder=1,
    )
    arrow.set_gid(f"arrow:{kind.split('_')[0]}")
    ax.add_patch(arrow)
    return arrow


def _frame(ax, xlim, ylim, title=None, caption=None):
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11)
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

    Each layer has its own W_hx, W_hh, b_h (one per row of the figure);
    the output y_t is read from the top layer.  `layer`: draw this RNN/LSTM
    (or model)'s num_layers instead.
    """
    num_layers, _ = _layer_shape(layer, num_layers, False)
    if num_layers < 1 or steps < 1:
        raise ValueError(
            f"num_layers and steps must be >= 1; got {num_layers}, {steps}"
        )
    height = num_layers + 2
    fig, ax = plt.subplots(figsize=figsize or (1.3 * steps + 1.2, 1.05 * height))
    below = [_node(ax, t, 0, "x", f"$x_{t + 1}$") for t in range(steps)]
    for k in range(1, num_layers + 1):
        row = []
        for t in range(steps):
            h = _node(ax, t, k, "h", f"$h^{{({k})}}_{t + 1}$", fontsize=10)
            _arrow(ax, below[t], h, "input" if k == 1 else "layer")
            if row:
                _arrow(ax, row[-1], h, "recurrent")
            row.append(h)
        ax.text(
            -0.55, k, f"layer {k}", ha="right", va="center", fontsize=9, color="0.3"
        )
        below = row
    for t in range(steps):
        _arrow(
            ax, below[t], _node(ax, t, num_layers + 1, "y", f"$y_{t + 1}$"), "output"
        )
    _frame(
        ax, (-1.5, steps - 0.4), (-0.5, num_layers + 1.5), f"a {num_layers}-layer RNN"
    )
    fig.tight_layout()
    return fig


def plot_bidirectional_rnn(steps=4, tokens=None, layer=None, figsize=None):
    """A bidirectional RNN unrolled: a forward chain reads x_1..x_T, a
    backward chain reads x_T..x_1, and y_t sees both h→_t and h←_t.

    tokens: optional labels for the inputs (e.g. bases "ACGT"); steps is
    then len(tokens).  `layer`: checked to be bidirectional.
    """
    if layer is not None and not _layer_shape(layer, 1, True)[1]:
        raise ValueError("layer must be bidirectional (bidirectional=True)")
    if tokens is not None:
        steps = len(tokens)
    if steps < 2:
        raise ValueError(f"steps must be >= 2; got {steps}")
    fig, ax = plt.subplots(figsize=figsize or (1.6 * steps + 1.6, 4.4))
    gap, side = 1.4, 0.16  # column spacing; the skip arrows leave the boxes here
    fwd, bwd = [], []
    for t in range(steps):
        c = gap * t
        label = f"$x_{t + 1}$" if tokens is None else str(tokens[t])
        x = _node(ax, c, 0, "x", label)
        f = _node(ax, c, 1, "h", rf"$\overrightarrow{{h}}_{t + 1}$")
        b = _node(ax, c, 2, "h_reverse", rf"$\overleftarrow{{h}}_{t + 1}$")
        y = _node(ax, c, 3, "y", f"$y_{t + 1}$")
        _arrow(ax, x, f, "input")
        _arrow(ax, b, y, "output")
        # x_t -> backward chain, passing left of the forward box;
        # forward chain -> y_t, passing right of the backward box
        _arrow_between(
            ax, (c - side, NODE_H / 2), (c - side, 2 - NODE_H / 2), "input", -0.5
        )
        _arrow_between(
            ax, (c + side, 1 + NODE_H / 2), (c + side, 3 - NODE_H / 2), "output", 0.5
        )
        fwd.append(f)
        bwd.append(b)
    for t in range(steps - 1):
        _arrow(ax, fwd[t], fwd[t + 1], "recurrent")
        _arrow(ax, bwd[t + 1], bwd[t], "recurrent_reverse")
    ax.text(-0.7, 1, "forward", ha="right", va="center", fontsize=9, color="#1f4e79")
    ax.text(-0.7, 2, "backward", ha="right", va="center", fontsize=9, color="#b45f06")
    _frame(ax, (-1.8, gap * (steps - 1) + 0.6), (-0.5, 3.5), "a bidirectional RNN")
    fig.tight_layout()
    return fig


def plot_encoder_decoder(
    inputs=("x1", "x2", "x3"), outputs=("y1", "y2"), feed_back=True, figsize=None
):
    """Encoder–decoder (sequence to sequence) unrolled.

    The encoder reads `inputs` into h_1..h_S; its last state is the context
    c, the decoder's initial state; the decoder writes `outputs`, and with
    feed_back=True each output is fed back as the next decoder input
    (dashed).  Labels are shown as given (strings or tokens).
    """
    S, T = len(inputs), len(outputs)
    if S < 1 or T < 1:
        raise ValueError(f"inputs and outputs must be non-empty; got {S} and {T}")
    fig, ax = plt.subplots(figsize=figsize or (1.2 * (S + T) + 1.6, 3.6))
    hs = []
    for t, token in enumerate(inputs):
        h = _node(ax, t, 1, "h", f"$h_{t + 1}$")
        _arrow(ax, _node(ax, t, 0, "x", str(token), fontsize=9), h, "input")
        if hs:
            _arrow(ax, hs[-1], h, "recurrent")
        hs.append(h)
    c = _node(ax, S + 0.1, 1, "c", "$c$")
    _arrow(ax, hs[-1], c, "context")
    prev = c
    for t, token in enumerate(outputs):
        s = _node(ax, S + 1.2 + t, 1, "h", f"$s_{t + 1}$")
        _arrow(ax, prev, s, "context" if t == 0 else "recurrent")
        y = _node(ax, S + 1.2 + t, 2, "y", str(token), fontsize=9)
        _arrow(ax, s, y, "output")
        if feed_back and t + 1 < T:
            _arrow(ax, y, (S + 2.2 + t, 1), "feedback", style="--", rad=0.0)
        prev = s
    ax.text(
        (S - 1) / 2, 2.0, "encoder", ha="center", va="center", fontsize=10, color="0.3"
    )
    ax.text(
        S + 1.2 + (T - 1) / 2,
        0.0,
        "decoder",
        ha="center",
        va="center",
        fontsize=10,
        color="0.3",
    )
    _frame(ax, (-0.6, S + T + 0.8), (-0.5, 2.5), "encoder–decoder")
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
    ax.plot(np.arange(T), probs, marker="o", color="#1f4e79")
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
