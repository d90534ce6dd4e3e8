"""Diagrams of recurrent networks: rolled, unrolled, and the computation graph.

Every diagram is drawn from sizes read off a real layer (an `RNN`, an
`LSTM`, or anything with `input_size` and `hidden_size`), so the shapes
printed on the arrows are the shapes of the arrays the code uses:

    draw_rolled_rnn(rnn, output_size=1)          the loop: one cell, W_hh fed back
    draw_unrolled_rnn(rnn, T=5, outputs="last")  the same weights at every step
    draw_rolled_and_unrolled(rnn, T=4)           both, side by side
    draw_computation_graph(T=3)                  x_t -> h_t -> ŷ_t -> L_t -> L,
                                                 with the gradient paths of BPTT

Each returns a matplotlib Figure and never calls plt.show().  The building
blocks, `draw_box` and `draw_arrow`, are public so that other diagrams
(an encoder–decoder, a stacked LSTM) look the same.  Every box and arrow
carries a gid ("box:cell", "arrow:recurrent", …) naming its role, which the
tests count and which you can use to restyle a figure.

Geometry of `draw_unrolled_rnn` (data coordinates, so diagrams compose):
step t (1-based) sits at x = origin[0] + (t - 1) * STEP; the input row at
y = origin[1], hidden rows ROW apart above it (a bidirectional layer uses
two rows, forward below, reverse above, each shifted by ±BIDI_SHIFT), and
the outputs one ROW above the top hidden row.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

STEP = 3.0  # horizontal distance between two time steps (room for a label)
ROW = 2.0  # vertical distance between two rows
BOX_W, BOX_H = 1.15, 0.62
BIDI_SHIFT = 0.55  # horizontal shift of the two directions' boxes

FILL = {
    "input": "#dbe9f6",
    "cell": "#fde3c8",
    "output": "#d9f0d3",
    "state0": "#eeeeee",
    "loss": "#f6d5d5",
    "target": "#f4f4f4",
    "param": "#e6def3",
}
EDGE = "#444444"
WEIGHT_COLORS = {
    "input": "#1f77b4",
    "recurrent": "#d62728",
    "output": "#2ca02c",
    "layer": "#1f77b4",
    "loss": "#555555",
    "gradient": "#9467bd",
    "param": "#9467bd",
}


# ---------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------


def draw_box(
    ax,
    center,
    text,
    *,
    kind="cell",
    width=BOX_W,
    height=BOX_H,
    color=None,
    fontsize=12,
    gid=None,
):
    """A rounded box with centred text, e.g. a hidden state h_t.

    ax: the Axes; center (x, y) in data coordinates; text may hold mathtext
    ("$h_3$").  kind picks the fill colour (input, cell, output, state0,
    loss, target, param) and the gid "box:<kind>" unless gid is given.
    Returns the FancyBboxPatch.
    """
    x, y = center
    pad = 0.06
    box = FancyBboxPatch(
        (x - width / 2 + pad, y - height / 2 + pad),
        width - 2 * pad,
        height - 2 * pad,
        boxstyle=f"round,pad={pad}",
        facecolor=color or FILL.get(kind, "white"),
        edgecolor=EDGE,
        linewidth=1.2,
        zorder=3,
    )
    box.set_gid(gid or f"box:{kind}")
    ax.add_patch(box)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=4)
    ax.update_datalim(
        [(x - width / 2, y - height / 2), (x + width / 2, y + height / 2)]
    )
    return box


def box_edge(center, toward, width=BOX_W, height=BOX_H):
    """The point where the line from a box's center toward `toward` leaves the box."""
    c = np.asarray(center, dtype=float)
    d = np.asarray(toward, dtype=float) - c
    scale = min(
        (width / 2) / abs(d[0]) if d[0] else np.inf,
        (height / 2) / abs(d[1]) if d[1] else np.inf,
    )
    return tuple(c + min(scale, 1.0) * d)


def draw_arrow(
    ax,
    start,
    end,
    *,
    label=None,
    kind="input",
    color=None,
    rad=0.0,
    linestyle="-",
    linewidth=1.6,
    label_pos=0.5,
    label_offset=(0.0, 0.0),
    label_ha="center",
    label_va="center",
    fontsize=10,
    gid=None,
):
    """An arrow from `start` to `end` (data coordinates), optionally labelled.

    kind names the role (input, recurrent, output, layer, loss, gradient,
    param): it sets the colour and the gid "arrow:<kind>" unless given.
    rad bends the arrow (matplotlib's arc3 connection, 0 = straight).
    The label sits at label_pos along the straight line from start to end,
    moved by label_offset, aligned by label_ha ("center", "left": starting
    there, "right": ending there) and label_va ("center", "bottom": above
    that point, "top": below it), on a white background.
    Returns the FancyArrowPatch.
    """
    color = color or WEIGHT_COLORS.get(kind, EDGE)
    arrow = FancyArrowPatch(
        start,
        end,
        arrowstyle="-|>",
        mutation_scale=14,
        connectionstyle=f"arc3,rad={rad}",
        color=color,
        linestyle=linestyle,
        linewidth=linewidth,
        shrinkA=1,
        shrinkB=1,
        zorder=2,
    )
    arrow.set_gid(gid or f"arrow:{kind}")
    ax.add_patch(arrow)
    ax.update_datalim([start, end])
    if label:
        (x0, y0), (x1, y1) = start, end
        lx = x0 + label_pos * (x1 - x0) + label_offset[0]
        ly = y0 + label_pos * (y1 - y0) + label_offset[1]
        ax.text(
            lx,
            ly,
            label,
            ha=label_ha,
            va=label_va,
            fontsize=fontsize,
            color=color,
            zorder=5,
            bbox={
                "boxstyle": "round,pad=0.12",
                "fc": "white",
                "ec": "none",
                "alpha": 0.9,
            },
        )
    return arrow


# the weight label of a vertical arrow, just to its right
LABEL_RIGHT = {"label_offset": (0.14, 0.0), "label_ha": "left"}
# ... of an arrow that leaves a row of states (to the outputs or the next
# layer): a little higher, clear of the recurrent labels above that row
LABEL_RIGHT_HIGH = {**LABEL_RIGHT, "label_pos": 0.58}
HEAD = 0.13  # the length of an arrowhead, in data units, at the default scale


def _above_shaft(start, end):
    """Label placement for a horizontal arrow: above the middle of its shaft
    (the part before the head), its lower edge just over the line, so the
    label covers neither the arrowhead nor the boxes at either end."""
    length = float(np.hypot(end[0] - start[0], end[1] - start[1]))
    pos = 0.5 * (1.0 - HEAD / length) if length > HEAD else 0.5
    return {"label_pos": pos, "label_offset": (0.0, 0.08), "label_va": "bottom"}


def connect(ax, a, b, *, size_a=(BOX_W, BOX_H), size_b=(BOX_W, BOX_H), **kwargs):
    """draw_arrow between the borders of two boxes centred at a and b."""
    start = box_edge(a, b, *size_a)
    end = box_edge(b, a, *size_b)
    return draw_arrow(ax, start, end, **kwargs)


def _finish(ax, fig, title=None, resize=False, margin=0.35, scale=0.62, max_width=16.0):
    """Equal aspect, no axes, a margin.  With resize (a figure this module
    made), the figure gets the size of the drawing: `scale` inches per data
    unit, at most max_width inches wide."""
    ax.set_aspect("equal")
    ax.autoscale_view()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    ax.set_xlim(x0 - margin, x1 + margin)
    ax.set_ylim(y0 - margin, y1 + margin)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=12)
    if resize:
        w, h = x1 - x0 + 2 * margin, y1 - y0 + 2 * margin
        k = min(scale, max_width / w)
        fig.set_size_inches(w * k, h * k + (0.4 if title else 0.0))
        fig.subplots_adjust(
            left=0.01, right=0.99, bottom=0.01, top=0.92 if title else 0.99
        )
    return fig


def _new_axes(ax, width, height):
    """(fig, ax, made_here): the given Axes, or a new figure with one."""
    if ax is not None:
        return ax.figure, ax, False
    fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax, True


def _math(name):
    """'W_hh' -> '$W_{hh}$'; 'W_hx_l1' -> '$W_{hx}^{(2)}$' (layers counted from 1,
    the key's l1 is the second layer); '_reverse' -> a left arrow."""
    reverse = name.endswith("_reverse")
    core = name[: -len("_reverse")] if reverse else name
    parts = core.split("_")
    base = parts[0]
    sub = parts[1] if len(parts) > 1 else ""
    layer = parts[2] if len(parts) > 2 else ""
    out = base + (f"_{{{sub}}}" if sub else "")
    sup = [f"({int(layer[1:]) + 1})"] if layer else []
    if reverse:
        sup.append(r"\leftarrow")
    if sup:
        out += "^{" + r"\,".join(sup) + "}"
    return f"${out}$"


def _fill(template, t=None, layer=None):
    """Put the step (and layer) into a mathtext template like 'h_{t}'."""
    text = template
    if t is not None:
        text = text.replace("{t}", f"{{{t}}}")
    if layer is not None:
        text = text.replace("{l}", f"{{{layer}}}")
    return f"${text}$"


# ---------------------------------------------------------------------------
# what a layer looks like
# ---------------------------------------------------------------------------


def describe_rnn(rnn_or_sizes, output_size=None):
    """Read the sizes a diagram needs from a layer, a tuple or a dict.

    rnn_or_sizes: an object with input_size and hidden_size (and optionally
    num_layers, bidirectional, weight_names), e.g. RNN or LSTM; or a tuple
    (D, H) / (D, H, O); or a dict with those keys.
    Returns a dict: input_size, hidden_size, output_size (or None),
    num_layers, bidirectional, in_weight, rec_weight (the weight names,
    e.g. "W_hx", "W_hh" for the RNN, "W_x", "W_h" for the LSTM), name, and
    shapes: {parameter key: shape} read from the layer's `params` (empty
    for sizes), so that an LSTM's W_x is labelled (4H×D), not (H×D).
    """
    obj = rnn_or_sizes
    if hasattr(obj, "input_size") and hasattr(obj, "hidden_size"):
        info = {
            "input_size": obj.input_size,
            "hidden_size": obj.hidden_size,
            "num_layers": getattr(obj, "num_layers", 1),
            "bidirectional": getattr(obj, "bidirectional", False),
            "weight_names": tuple(getattr(obj, "weight_names", ("W_hx", "W_hh"))),
            "name": type(obj).__name__,
            "shapes": {
                k: tuple(np.shape(v)) for k, v in getattr(obj, "params", {}).items()
            },
        }
    elif isinstance(obj, dict):
        info = {
            "input_size": obj["input_size"],
            "hidden_size": obj["hidden_size"],
            "num_layers": obj.get("num_layers", 1),
            "bidirectional": obj.get("bidirectional", False),
            "weight_names": tuple(obj.get("weight_names", ("W_hx", "W_hh"))),
            "name": obj.get("name", "RNN"),
        }
        output_size = output_size if output_size is not None else obj.get("output_size")
    elif isinstance(obj, (tuple, list)) and len(obj) in (2, 3):
        info = {
            "input_size": obj[0],
            "hidden_size": obj[1],
            "num_layers": 1,
            "bidirectional": False,
            "weight_names": ("W_hx", "W_hh"),
            "name": "RNN",
        }
        if len(obj) == 3 and output_size is None:
            output_size = obj[2]
    else:
        raise TypeError(
            "rnn_or_sizes must be a layer with input_size and hidden_size (e.g. RNN),"
            f" a tuple (D, H) or (D, H, O), or a dict; got {obj!r}"
        )
    for key in ("input_size", "hidden_size", "num_layers"):
        value = info[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, np.integer))
            or value < 1
        ):
            raise ValueError(f"{key} must be an int >= 1; got {value!r}")
    if output_size is not None and (
        not isinstance(output_size, (int, np.integer)) or output_size < 1
    ):
        raise ValueError(
            f"output_size must be an int >= 1 or None; got {output_size!r}"
        )
    info.setdefault("shapes", {})
    names = info.pop("weight_names")
    info["in_weight"], info["rec_weight"] = names[0], names[1]
    info["output_size"] = output_size
    return info


def _steps(which, T, name):
    """'all' | 'last' | 'first' | 'none' | iterable of 1-based steps -> a set."""
    if isinstance(which, str):
        table = {
            "all": set(range(1, T + 1)),
            "last": {T},
            "first": {1},
            "none": set(),
        }
        if which not in table:
            raise ValueError(
                f"{name} must be 'all', 'last', 'first', 'none' or a list of steps"
                f" 1..T; got {which!r}"
            )
        return table[which]
    steps = {int(t) for t in which}
    bad = sorted(t for t in steps if not 1 <= t <= T)
    if bad:
        raise ValueError(f"{name} must list steps between 1 and T = {T}; got {bad}")
    return steps


def _shape(rows, cols):
    """A weight's shape on a second line under its name: "(16×4)"."""
    return "\n" + rf"$({rows}\times{cols})$"


# ---------------------------------------------------------------------------
# the rolled view
# ---------------------------------------------------------------------------


def draw_rolled_rnn(
    rnn_or_sizes,
    *,
    output_size=None,
    show_shapes=True,
    state_label="h_{t}",
    input_label="x_{t}",
    output_label=r"\hat{y}_{t}",
    ax=None,
    title=None,
):
    """The rolled (folded) view: one cell whose state feeds back into itself.

    Draws x_t -> [h_t] -> ŷ_t with a loop on h_t labelled with the recurrent
    weight (W_hh (H×H) for an RNN) and the input arrow with W_hx (H×D).
    The output box and W_yh (O×H) appear when output_size is known (an
    argument, or the third entry of a sizes tuple).  For a stacked or
    bidirectional layer this draws its first layer's forward direction.
    Returns the Figure (boxes gid "box:*", arrows "arrow:input",
    "arrow:recurrent", "arrow:output").
    """
    info = describe_rnn(rnn_or_sizes, output_size)
    D, H, O = info["input_size"], info["hidden_size"], info["output_size"]
    fig, ax, own = _new_axes(ax, 3.2, 4.2 if O else 3.0)
    x, h, y = (0.0, 0.0), (0.0, ROW), (0.0, 2 * ROW)
    draw_box(ax, x, f"${input_label}$", kind="input")
    draw_box(ax, h, f"${state_label}$", kind="cell")
    in_shape = info["shapes"].get(f"{info['in_weight']}_l0", (H, D))
    in_label = _math(info["in_weight"]) + (_shape(*in_shape) if show_shapes else "")
    connect(
        ax,
        x,
        h,
        kind="input",
        label=in_label,
        **LABEL_RIGHT,
    )
    # the loop: leave the right side high, come back to it low
    draw_arrow(
        ax,
        (h[0] + BOX_W / 2, h[1] + 0.16),
        (h[0] + BOX_W / 2, h[1] - 0.16),
        kind="recurrent",
        rad=-2.6,
    )
    rec_shape = info["shapes"].get(f"{info['rec_weight']}_l0", (H, H))
    rec_label = _math(info["rec_weight"]) + (_shape(*rec_shape) if show_shapes else "")
    ax.text(
        h[0] + BOX_W / 2 + 0.55,
        h[1],
        rec_label,
        ha="left",
        va="center",
        fontsize=10,
        color=WEIGHT_COLORS["recurrent"],
    )
    ax.update_datalim([(h[0] + BOX_W / 2 + 1.9, h[1] + 0.5)])
    if O:
        draw_box(ax, y, f"${output_label}$", kind="output")
        out_label = "$W_{yh}$" + (_shape(O, H) if show_shapes else "")
        connect(
            ax,
            h,
            y,
            kind="output",
            label=out_label,
            **LABEL_RIGHT,
        )
    return _finish(ax, fig, title, resize=own)


# ---------------------------------------------------------------------------
# the unrolled view
# ---------------------------------------------------------------------------


def _shown_steps(T, elide):
    """Which steps get boxes: all of them, or 1, 2, 3, …, T-1, T for long T."""
    if elide is None:
        elide = T > 8
    if not elide or T <= 6:
        return list(range(1, T + 1)), None
    return [1, 2, 3, T - 1, T], 3  # a gap after step 3


def draw_unrolled_rnn(
    rnn_or_sizes,
    T=4,
    *,
    output_size=None,
    inputs="all",
    outputs="all",
    show_h0=True,
    show_shapes=True,
    label_weights=None,
    state_label=None,
    input_label="x_{t}",
    output_label=r"\hat{y}_{t}",
    elide=None,
    origin=(0.0, 0.0),
    ax=None,
    title=None,
):
    """The unrolled view: the same cell copied once per time step.

    rnn_or_sizes: an RNN/LSTM layer (or anything `describe_rnn` accepts);
    stacked layers and both directions of a bidirectional layer are drawn.
    T: the number of steps.  inputs / outputs: at which steps there is an
    x_t / a ŷ_t: "all" (many-to-many), "last" (many-to-one), "first"
    (one-to-many inputs), "none", or a list of 1-based steps.  Outputs read
    the top layer (both directions); output_size O, when known, labels
    W_yh (O×H).  show_h0: draw the initial state h_0 (h_{T+1} for the
    reverse direction).  label_weights: "all" writes the weight name on
    every arrow (the point: one W_hh at every step), "first" only on the
    first of each kind, "none" never; default "all" for one layer and one
    direction, "first" otherwise.  state_label: a mathtext template
    with {t} (and {l}, the 1-based layer), default "h_{t}" (with arrows
    over h for a bidirectional layer, and a layer index for stacked ones).
    elide: for long T, draw steps 1, 2, 3, …, T-1, T (default when T > 8).
    origin: where step 1's input sits, to place several diagrams on one Axes.

    Returns the Figure.  Artist gids: "box:input", "box:cell", "box:state0",
    "box:output"; "arrow:input", "arrow:recurrent", "arrow:layer" (between
    stacked layers), "arrow:output".
    """
    info = describe_rnn(rnn_or_sizes, output_size)
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be an int >= 1; got {T!r}")
    if label_weights is None:
        one = describe_rnn(rnn_or_sizes, output_size)
        label_weights = (
            "all" if one["num_layers"] == 1 and not one["bidirectional"] else "first"
        )
    if label_weights not in ("all", "first", "none"):
        raise ValueError(
            f"label_weights must be 'all', 'first' or 'none'; got {label_weights!r}"
        )
    D, H, O = info["input_size"], info["hidden_size"], info["output_size"]
    L, bidi = info["num_layers"], info["bidirectional"]
    dirs = 2 if bidi else 1
    in_steps = _steps(inputs, T, "inputs")
    out_steps = _steps(outputs, T, "outputs")
    shown, gap = _shown_steps(T, elide)
    ox, oy = origin

    def xpos(t):
        i = shown.index(t)
        return ox + i * STEP + (0.6 * STEP if gap is not None and i >= gap else 0.0)

    def row_y(layer, direction):
        return oy + (1 + layer * dirs + direction) * ROW

    def shift(direction):
        return 0.0 if not bidi else (-BIDI_SHIFT if direction == 0 else BIDI_SHIFT)

    width = (
        len(shown) + (0.6 if gap is not None else 0) + (1 if show_h0 else 0)
    ) * STEP
    height = (2 + L * dirs) * ROW
    fig, ax, own = _new_axes(ax, min(2.0 + 1.05 * width, 16), 0.6 + 1.15 * height)

    labelled = set()

    def weight_label(kind, name, shape, layer=None, direction=0):
        """The label of a weight arrow; the shape is read from the layer's
        params when it has them (key like "W_hh_l0_reverse")."""
        if label_weights == "none" or (label_weights == "first" and kind in labelled):
            return None
        labelled.add(kind)
        if layer is not None:
            base = name.split("_l")[0].removesuffix("_reverse")
            key = f"{base}_l{layer}" + ("_reverse" if direction else "")
            shape = info["shapes"].get(key, shape)
        return _math(name) + (_shape(*shape) if show_shapes else "")

    def state_text(t, layer, direction):
        if state_label is not None:
            template = state_label
        else:
            base = (
                "h"
                if not bidi
                else (r"\overrightarrow{h}" if direction == 0 else r"\overleftarrow{h}")
            )
            template = base + ("^{({l})}" if L > 1 else "") + "_{t}"
        return _fill(template, t, layer + 1)

    bw = BOX_W if not bidi else 0.8
    size = (bw, BOX_H)
    # inputs
    for t in shown:
        if t in in_steps:
            draw_box(ax, (xpos(t), oy), _fill(input_label, t), kind="input")
    # hidden rows
    for layer in range(L):
        suffix_layer = f"_l{layer}" if L > 1 else ""
        for direction in range(dirs):
            suffix = suffix_layer + ("_reverse" if direction == 1 else "")
            y = row_y(layer, direction)
            for t in shown if direction == 0 else shown[::-1]:
                c = (xpos(t) + shift(direction), y)
                draw_box(
                    ax,
                    c,
                    state_text(t, layer, direction),
                    kind="cell",
                    width=bw,
                    fontsize=11 if bidi or L > 1 else 12,
                )
                # what feeds the cell from below
                if layer == 0:
                    if t in in_steps:
                        connect(
                            ax,
                            (xpos(t), oy),
                            c,
                            size_b=size,
                            kind="input",
                            label=weight_label(
                                f"in{suffix}",
                                info["in_weight"] + suffix,
                                (H, D),
                                layer,
                                direction,
                            ),
                            **LABEL_RIGHT,
                        )
                else:
                    for below in range(dirs):
                        src = (xpos(t) + shift(below), row_y(layer - 1, below))
                        connect(
                            ax,
                            src,
                            c,
                            size_a=size,
                            size_b=size,
                            kind="layer",
                            label=weight_label(
                                f"in{suffix}",
                                info["in_weight"] + suffix,
                                (H, dirs * H),
                                layer,
                                direction,
                            )
                            if below == direction
                            else None,
                            **LABEL_RIGHT_HIGH,
                        )
            # recurrent arrows along the row
            order = shown if direction == 0 else shown[::-1]
            for a, b in zip(order[:-1], order[1:], strict=True):
                skipped = (
                    abs(shown.index(a) - shown.index(b)) == 1
                    and gap is not None
                    and ({shown.index(a), shown.index(b)} == {gap - 1, gap})
                )
                ca = (xpos(a) + shift(direction), y)
                cb = (xpos(b) + shift(direction), y)
                connect(
                    ax,
                    ca,
                    cb,
                    size_a=size,
                    size_b=size,
                    kind="recurrent",
                    linestyle=":" if skipped else "-",
                    label=None
                    if skipped
                    else weight_label(
                        f"rec{suffix}",
                        info["rec_weight"] + suffix,
                        (H, H),
                        layer,
                        direction,
                    ),
                    **_above_shaft(box_edge(ca, cb, *size), box_edge(cb, ca, *size)),
                )
                if skipped:
                    mid = ((ca[0] + cb[0]) / 2, y - 0.32)
                    ax.text(*mid, r"$\cdots$", ha="center", va="center", fontsize=14)
            if show_h0:
                first = shown[0] if direction == 0 else shown[-1]
                cf = (xpos(first) + shift(direction), y)
                t0 = 0 if direction == 0 else T + 1
                side = -1 if direction == 0 else 1
                c0 = (cf[0] + side * STEP, y)
                draw_box(
                    ax,
                    c0,
                    state_text(t0, layer, direction),
                    kind="state0",
                    width=bw,
                    fontsize=11 if bidi or L > 1 else 12,
                )
                connect(
                    ax,
                    c0,
                    cf,
                    size_a=size,
                    size_b=size,
                    kind="recurrent",
                    label=weight_label(
                        f"rec{suffix}",
                        info["rec_weight"] + suffix,
                        (H, H),
                        layer,
                        direction,
                    ),
                    **_above_shaft(box_edge(c0, cf, *size), box_edge(cf, c0, *size)),
                )
    # outputs, reading every direction of the top layer
    y_out = oy + (1 + L * dirs) * ROW
    for t in shown:
        if t not in out_steps:
            continue
        c = (xpos(t), y_out)
        draw_box(ax, c, _fill(output_label, t), kind="output")
        for direction in range(dirs):
            src = (xpos(t) + shift(direction), row_y(L - 1, direction))
            lab = None
            if direction == dirs - 1:
                lab = weight_label("out", "W_yh", (O, dirs * H))
                if lab and not O:  # no output size known: the name alone
                    lab = _math("W_yh")
            connect(
                ax,
                src,
                c,
                size_a=size,
                kind="output",
                label=lab,
                **LABEL_RIGHT_HIGH,
            )
    return _finish(ax, fig, title, resize=own)


def draw_rolled_and_unrolled(rnn_or_sizes, T=4, *, output_size=None, **kwargs):
    """The rolled view, "=", and the unrolled view of T steps, side by side.

    The two pictures are the same network: the loop on the left is the row
    of arrows on the right.  kwargs go to draw_unrolled_rnn.
    Returns the Figure (two Axes: rolled, unrolled).
    """
    info = describe_rnn(rnn_or_sizes, output_size)
    O = info["output_size"]
    fig, (ax1, ax2) = plt.subplots(1, 2, gridspec_kw={"wspace": 0.1})
    draw_rolled_rnn(rnn_or_sizes, output_size=O, ax=ax1, title="rolled")
    draw_unrolled_rnn(
        rnn_or_sizes,
        T,
        output_size=O,
        ax=ax2,
        title=f"unrolled over T = {T} steps",
        **kwargs,
    )
    # size the panels like their drawings, at about 0.62 inch per data unit
    widths = [np.ptp(ax.get_xlim()) for ax in (ax1, ax2)]
    height = max(np.ptp(ax.get_ylim()) for ax in (ax1, ax2))
    scale = min(0.62, 15.0 / (sum(widths) * 1.1))
    ax1.get_gridspec().set_width_ratios(widths)
    fig.set_size_inches(sum(widths) * 1.1 * scale, height * scale + 0.5)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.9)
    left, right = ax1.get_position(), ax2.get_position()
    fig.text((left.x1 + right.x0) / 2, 0.5, "=", fontsize=26, ha="center", va="center")
    return fig


# ---------------------------------------------------------------------------
# the computation graph of the loss
# ---------------------------------------------------------------------------


def draw_computation_graph(
    T=3,
    *,
    show_gradients=True,
    show_targets=True,
    show_h0=True,
    show_params=False,
    loss_label=r"L = \sum_t L_t",
    ax=None,
    title=None,
):
    """The unrolled computation graph of a many-to-many RNN and its loss.

    Forward (black/coloured) edges: x_t -> h_t (W_hx), h_{t-1} -> h_t (W_hh),
    h_t -> ŷ_t (W_yh), ŷ_t and the target y_t -> L_t, every L_t -> L.
    With show_gradients, BPTT's paths are drawn backwards, dashed purple
    (gid "arrow:gradient"): L_t -> ŷ_t -> h_t, and h_t -> h_{t-1} (the
    gradient carried back in time): 3 per step (2 at t = 1 without h_0).  With show_params, one node per weight matrix with a dashed
    edge to every step that uses it (gid "arrow:param"): a shared weight's
    gradient is the sum over those edges.

    Returns the Figure.  Box gids: "box:input", "box:cell", "box:state0",
    "box:output", "box:target", "box:loss" (the L_t and L), "box:param".
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be an int >= 1; got {T!r}")
    ncols = T + (1 if show_h0 else 0) + (1 if show_params else 0)
    fig, ax, own = _new_axes(ax, min(1.9 + 2.2 * ncols, 16), 7.2)
    X = [t * STEP for t in range(1, T + 1)]
    rows = {"x": 0.0, "h": ROW, "y": 2 * ROW, "L": 3 * ROW, "sum": 4 * ROW}
    for t, xc in zip(range(1, T + 1), X, strict=True):
        draw_box(ax, (xc, rows["x"]), f"$x_{{{t}}}$", kind="input")
        draw_box(ax, (xc, rows["h"]), f"$h_{{{t}}}$", kind="cell")
        draw_box(ax, (xc, rows["y"]), rf"$\hat{{y}}_{{{t}}}$", kind="output")
        draw_box(ax, (xc, rows["L"]), f"$L_{{{t}}}$", kind="loss")
        first = t == 1
        connect(
            ax,
            (xc, rows["x"]),
            (xc, rows["h"]),
            kind="input",
            label="$W_{hx}$" if first else None,
            **LABEL_RIGHT,
        )
        connect(
            ax,
            (xc, rows["h"]),
            (xc, rows["y"]),
            kind="output",
            label="$W_{yh}$" if first else None,
            **LABEL_RIGHT,
        )
        connect(ax, (xc, rows["y"]), (xc, rows["L"]), kind="loss")
        if show_targets:
            ct = (xc + 0.75 * STEP / 2 + 0.05, rows["y"] + 0.55)
            draw_box(
                ax,
                ct,
                f"$y_{{{t}}}$",
                kind="target",
                width=0.62,
                height=0.5,
                fontsize=10,
            )
            connect(ax, ct, (xc, rows["L"]), size_a=(0.62, 0.5), kind="loss")
        if t > 1 or show_h0:
            prev = (X[t - 2] if t > 1 else X[0] - STEP, rows["h"])
            connect(
                ax,
                prev,
                (xc, rows["h"]),
                kind="recurrent",
                label="$W_{hh}$" if first else None,
                label_offset=(0, 0.27),
            )
    if show_h0:
        draw_box(ax, (X[0] - STEP, rows["h"]), "$h_0$", kind="state0")
    # the total loss
    total = (float(np.mean(X)), rows["sum"])
    tw = max(BOX_W, 2.0)
    draw_box(ax, total, f"${loss_label}$", kind="loss", width=tw, height=BOX_H)
    for xc in X:
        connect(ax, (xc, rows["L"]), total, size_b=(tw, BOX_H), kind="loss")
    if show_gradients:
        grad = {"kind": "gradient", "linestyle": "--", "linewidth": 1.3}
        off = 0.34  # gradient arrows run beside the forward ones
        for i, xc in enumerate(X):
            draw_arrow(
                ax,
                (xc - off, rows["L"] - BOX_H / 2),
                (xc - off, rows["y"] + BOX_H / 2),
                **grad,
            )
            draw_arrow(
                ax,
                (xc - off, rows["y"] - BOX_H / 2),
                (xc - off, rows["h"] + BOX_H / 2),
                **grad,
            )
            if i > 0 or show_h0:
                px = X[i - 1] if i > 0 else X[0] - STEP
                draw_arrow(
                    ax,
                    (xc - BOX_W / 2, rows["h"] - 0.2),
                    (px + BOX_W / 2, rows["h"] - 0.2),
                    **grad,
                )
        ax.text(
            X[0] - STEP / 2 if show_h0 else X[0],
            rows["h"] - 0.5,
            "gradients flow back",
            color=WEIGHT_COLORS["gradient"],
            fontsize=9,
            ha="center",
            va="top",
        )
    if show_params:
        px = X[-1] + 1.1 * STEP
        params = {
            "$W_{hx}$": (rows["x"] + rows["h"]) / 2,
            "$W_{hh}$": rows["h"] + 0.0,
            "$W_{yh}$": (rows["h"] + rows["y"]) / 2 + 0.4,
        }
        targets = {
            "$W_{hx}$": [(xc, (rows["x"] + rows["h"]) / 2) for xc in X],
            "$W_{hh}$": [(xc - STEP / 2, rows["h"]) for xc in X],
            "$W_{yh}$": [(xc, (rows["h"] + rows["y"]) / 2) for xc in X],
        }
        for name, py in params.items():
            draw_box(ax, (px, py), name, kind="param", width=0.9)
            for j, tgt in enumerate(targets[name]):
                draw_arrow(
                    ax,
                    (px - 0.45, py),
                    tgt,
                    kind="param",
                    linestyle=":",
                    linewidth=1.0,
                    rad=0.15 + 0.05 * j,
                )
    return _finish(ax, fig, title, resize=own)
