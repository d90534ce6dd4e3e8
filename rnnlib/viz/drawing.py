"""The drawing kit every diagram of the course is made with.

    draw_box(ax, center, text)        a rounded box with centred text: a vector
    draw_arrow(ax, start, end)        an arrow, optionally labelled: a weight
    connect(ax, a, b)                 an arrow between the borders of two boxes
    box_edge(center, toward)          where a line from a box's centre leaves it
    new_axes(ax, figsize)             the given Axes, or a new figure with one
    finish_diagram(ax, fig, title)    fit the drawing: equal aspect, no axes
    frame_axes(ax, xlim, ylim)        the same for a drawing of known extent
    math_name("W_hh_l1")              a weight's key as mathtext, "$W_{hh}^{(2)}$"

The colours say what a thing is, in every diagram of the course: PALETTE
holds one colour per kind of vector, inputs blue, hidden states yellow,
outputs red (Paul Tol's high-contrast scheme, readable with every common
colour-vision deficiency and in greyscale), with a light version of each
for the boxes.  FILL gives the boxes (input, cell, output, context, state0,
loss, target, param), WEIGHT_COLORS the arrows (input, recurrent, output,
layer, context, loss, gradient, param): the arrows into a state blue from
an input, yellow from a state, and red into an output.  A figure with a palette of its own (the LSTM cell's
gates, say) passes its colours and sizes to the same functions.

Diagrams are drawn in data coordinates with equal aspect, so one unit is
the same length across and up: STEP between two time steps, ROW between
two rows, a box BOX_W by BOX_H.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

STEP = 3.0  # horizontal distance between two time steps (room for a label)
ROW = 2.0  # vertical distance between two rows
BOX_W, BOX_H = 1.15, 0.62

# One colour per kind of vector: (strong, for lines and arrows; light, for
# boxes with text on them).  Paul Tol's high-contrast and light schemes.
PALETTE = {
    "input": ("#004488", "#77AADD"),  # x_t: blue
    "hidden": ("#DDAA33", "#EEDD88"),  # h_t, s_t, c_t of a cell: yellow
    "output": ("#BB5566", "#FFAABB"),  # y_t, scores, predictions: red
    "context": ("#228833", "#44BB99"),  # what passes between networks: green
}
FILL = {
    "input": PALETTE["input"][1],
    "cell": PALETTE["hidden"][1],
    "output": PALETTE["output"][1],
    "context": PALETTE["context"][1],
    "state0": "#dddddd",
    "loss": "#ee8866",
    "target": "#f4f4f4",
    "param": "#99ddff",
}
EDGE = "#444444"
WEIGHT_COLORS = {
    "input": PALETTE["input"][0],
    "recurrent": PALETTE["hidden"][0],
    "output": PALETTE["output"][0],
    "layer": PALETTE["hidden"][0],
    "context": PALETTE["context"][0],
    "loss": "#555555",
    "gradient": "#aa3377",
    "param": "#aa3377",
}

# the weight label of a vertical arrow, just to its right
LABEL_RIGHT = {"label_offset": (0.14, 0.0), "label_ha": "left"}
# ... of an arrow that leaves a row of states (to the outputs or the next
# layer): a little higher, clear of the recurrent labels above that row
LABEL_RIGHT_HIGH = {**LABEL_RIGHT, "label_pos": 0.58}
HEAD = 0.13  # the length of an arrowhead, in data units, at the default scale


# ---------------------------------------------------------------------------
# boxes and arrows
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
    edgecolor=EDGE,
    linewidth=1.2,
    style="round",
    pad=0.06,
    rounding=None,
    zorder=3,
    fontstyle="normal",
):
    """A box with centred text, e.g. a hidden state h_t.

    ax: the Axes; center (x, y) in data coordinates; text may hold mathtext
    ("$h_3$"), or be empty for a bare box.  The outline spans width × height.
    kind picks the fill colour (input, cell, output, state0, loss, target,
    param) unless color is given, and the gid "box:<kind>" unless gid is.
    style: "round" (corners rounded by `rounding`, default the pad) or
    "square"; pad: the margin between the outline and the box's inner
    rectangle.  The text sits one zorder above the box.
    Returns the FancyBboxPatch.
    """
    x, y = center
    boxstyle = f"{style},pad={pad}"
    if rounding is not None:
        boxstyle += f",rounding_size={rounding}"
    box = FancyBboxPatch(
        (x - width / 2 + pad, y - height / 2 + pad),
        width - 2 * pad,
        height - 2 * pad,
        boxstyle=boxstyle,
        facecolor=color or FILL.get(kind, "white"),
        edgecolor=edgecolor,
        linewidth=linewidth,
        zorder=zorder,
    )
    box.set_gid(gid or f"box:{kind}")
    ax.add_patch(box)
    if text:
        ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=fontsize,
            fontstyle=fontstyle,
            zorder=zorder + 1,
        )
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
    head="-|>",
    head_size=14,
    shrink=1,
    zorder=2,
):
    """An arrow from `start` to `end` (data coordinates), optionally labelled.

    kind names the role (input, recurrent, output, layer, loss, gradient,
    param): it sets the colour and the gid "arrow:<kind>" unless given.
    rad bends the arrow (matplotlib's arc3 connection, 0 = straight).
    head: matplotlib's arrow style ("-|>", "<|-|>", or "-" for a bare
    line), head_size its mutation scale; shrink: the points left free at
    either end.  The label sits at label_pos along the straight line from
    start to end, moved by label_offset, aligned by label_ha ("center",
    "left": starting there, "right": ending there) and label_va ("center",
    "bottom": above that point, "top": below it), on a white background.
    Returns the FancyArrowPatch.
    """
    color = color or WEIGHT_COLORS.get(kind, EDGE)
    arrow = FancyArrowPatch(
        start,
        end,
        arrowstyle=head,
        mutation_scale=head_size,
        connectionstyle=f"arc3,rad={rad}",
        color=color,
        linestyle=linestyle,
        linewidth=linewidth,
        shrinkA=shrink,
        shrinkB=shrink,
        zorder=zorder,
    )
    arrow.set_gid(gid or f"arrow:{kind}")
    ax.add_patch(arrow)
    ax.update_datalim([start, end])
    if label:
        place = (label_pos, label_offset, label_ha, label_va)
        _arrow_label(ax, start, end, label, color, fontsize, *place)
    return arrow


def _arrow_label(ax, start, end, label, color, fontsize, pos, offset, ha, va):
    """An arrow's label (a weight's name) on a white background, at `pos`
    along start -> end, moved by offset, aligned by ha and va."""
    (x0, y0), (x1, y1) = start, end
    ax.text(
        x0 + pos * (x1 - x0) + offset[0],
        y0 + pos * (y1 - y0) + offset[1],
        label,
        ha=ha,
        va=va,
        fontsize=fontsize,
        color=color,
        zorder=5,
        bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.9},
    )


def connect(ax, a, b, *, size_a=(BOX_W, BOX_H), size_b=(BOX_W, BOX_H), **kwargs):
    """draw_arrow between the borders of two boxes centred at a and b."""
    start = box_edge(a, b, *size_a)
    end = box_edge(b, a, *size_b)
    return draw_arrow(ax, start, end, **kwargs)


def above_shaft(start, end):
    """Label placement for a horizontal arrow: above the middle of its shaft
    (the part before the head), its lower edge just over the line, so the
    label covers neither the arrowhead nor the boxes at either end."""
    length = float(np.hypot(end[0] - start[0], end[1] - start[1]))
    pos = 0.5 * (1.0 - HEAD / length) if length > HEAD else 0.5
    return {"label_pos": pos, "label_offset": (0.0, 0.08), "label_va": "bottom"}


# ---------------------------------------------------------------------------
# the axes a diagram is drawn on
# ---------------------------------------------------------------------------


def new_axes(ax, figsize, **subplots_kw):
    """(fig, ax, made_here): the given Axes and its figure, or a new figure
    of figsize (width, height) inches with one Axes."""
    if ax is not None:
        return ax.figure, ax, False
    fig, ax = plt.subplots(figsize=figsize, **subplots_kw)
    return fig, ax, True


def frame_axes(ax, xlim, ylim, title=None, title_size=None):
    """Show exactly xlim × ylim, at equal aspect, without axes, titled."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, **({} if title_size is None else {"fontsize": title_size}))


def finish_diagram(
    ax, fig, title=None, resize=False, margin=0.35, scale=0.62, max_width=16.0
):
    """Fit the Axes to what is drawn on it, a margin around: equal aspect, no
    axes.  With resize (a figure the diagram made), the figure gets the size
    of the drawing: `scale` inches per data unit, at most max_width inches
    wide.  Returns fig."""
    ax.autoscale_view()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    frame_axes(ax, (x0 - margin, x1 + margin), (y0 - margin, y1 + margin), title, 12)
    if resize:
        w, h = x1 - x0 + 2 * margin, y1 - y0 + 2 * margin
        k = min(scale, max_width / w)
        fig.set_size_inches(w * k, h * k + (0.4 if title else 0.0))
        fig.subplots_adjust(
            left=0.01, right=0.99, bottom=0.01, top=0.92 if title else 0.99
        )
    return fig


# ---------------------------------------------------------------------------
# labels in mathtext
# ---------------------------------------------------------------------------


def math_name(name):
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


def math_step(template, t=None, layer=None):
    """Put the step (and layer) into a mathtext template: 'h_{t}' -> '$h_{3}$'."""
    text = template
    if t is not None:
        text = text.replace("{t}", f"{{{t}}}")
    if layer is not None:
        text = text.replace("{l}", f"{{{layer}}}")
    return f"${text}$"


def shape_line(rows, cols):
    """A weight's shape on a second line under its name: "(16×4)"."""
    return "\n" + rf"$({rows}\times{cols})$"
