"""A recurrent layer unrolled in time: the same cell copied once per step.

Drawn from sizes read off a real layer (describe_rnn, in rolled.py), so
the shapes printed on the arrows are the shapes of the arrays the code uses:

    draw_unrolled_rnn(rnn, T=5, outputs="last")  the same weights at every step,
                                                 for stacked and bidirectional
                                                 layers too
    draw_rolled_and_unrolled(rnn, T=4)           both, side by side

Each returns a matplotlib Figure and never calls plt.show().  Boxes and
arrows come from the drawing kit (drawing.py) and carry a gid naming
their role ("box:cell", "arrow:recurrent", …).

Geometry of `draw_unrolled_rnn` (data coordinates, so diagrams compose):
step t (1-based) sits at x = origin[0] + (t - 1) * STEP; the input row at
y = origin[1], hidden rows ROW apart above it (a bidirectional layer uses
two rows, forward below, reverse above, each shifted by ±BIDI_SHIFT), and
the outputs one ROW above the top hidden row.
"""

import matplotlib.pyplot as plt
import numpy as np

from .drawing import (
    BOX_H,
    BOX_W,
    LABEL_RIGHT,
    LABEL_RIGHT_HIGH,
    ROW,
    STEP,
    above_shaft,
    box_edge,
    connect,
    draw_box,
    finish_diagram,
    math_name,
    math_step,
    new_axes,
    shape_line,
)
from .rolled import describe_rnn, draw_rolled_rnn

BIDI_SHIFT = 0.55  # horizontal shift of the two directions' boxes
BIDI_BOX_W = 0.8  # ... which are narrower, to sit side by side
GAP = 0.6  # the extra room, in steps, where an elided diagram skips steps


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


class _Grid:
    """Where each box of an unrolled diagram sits, what it says, and which
    weight arrows carry a label.

    Step t is drawn in column shown.index(t) (past the gap of an elided
    diagram, GAP steps further right); layer l, direction d (0 forward,
    1 reverse) is hidden row 1 + l * dirs + d above the inputs.
    """

    def __init__(self, info, T, *, elide, origin, labels, show_shapes):
        """info: describe_rnn's dict; labels: (label_weights, state_label,
        input_label) as draw_unrolled_rnn takes them."""
        self.info, self.T, self.origin = info, T, origin
        self.layers, self.bidi = info["num_layers"], info["bidirectional"]
        self.dirs = 2 if self.bidi else 1
        self.shown, self.gap = _shown_steps(T, elide)
        self.label_weights, self.state_label, self.input_label = labels
        self.show_shapes = show_shapes
        self.labelled = set()  # the weight kinds labelled so far
        self.cell_size = (BOX_W if not self.bidi else BIDI_BOX_W, BOX_H)
        self.fontsize = 11 if self.bidi or self.layers > 1 else 12

    def x(self, t):
        """The x of step t's column."""
        i = self.shown.index(t)
        past_gap = self.gap is not None and i >= self.gap
        return self.origin[0] + i * STEP + (GAP * STEP if past_gap else 0.0)

    def row_y(self, layer, direction):
        """The y of a hidden row."""
        return self.origin[1] + (1 + layer * self.dirs + direction) * ROW

    def cell(self, t, layer, direction):
        """The centre of h_t's box in a row; the directions sit side by side."""
        shift = 0.0 if not self.bidi else BIDI_SHIFT * (2 * direction - 1)
        return (self.x(t) + shift, self.row_y(layer, direction))

    def order(self, direction):
        """The shown steps in the order a direction reads them."""
        return self.shown if direction == 0 else self.shown[::-1]

    def skips(self, a, b):
        """Whether the recurrent arrow a -> b crosses the gap (steps left out)."""
        i, j = self.shown.index(a), self.shown.index(b)
        return self.gap is not None and sorted((i, j)) == [self.gap - 1, self.gap]

    def suffix(self, layer, direction):
        """The weight-key suffix of a row: "_l1", "_reverse", "_l1_reverse"."""
        return (f"_l{layer}" if self.layers > 1 else "") + (
            "_reverse" if direction == 1 else ""
        )

    def weight_label(self, kind, name, shape, layer=None, direction=0):
        """The label of a weight arrow, or None where it is not labelled; the
        shape is read from the layer's params when it has them (key like
        "W_hh_l0_reverse")."""
        if self.label_weights == "none" or (
            self.label_weights == "first" and kind in self.labelled
        ):
            return None
        self.labelled.add(kind)
        if layer is not None:
            base = name.split("_l")[0].removesuffix("_reverse")
            key = f"{base}_l{layer}" + ("_reverse" if direction else "")
            shape = self.info["shapes"].get(key, shape)
        return math_name(name) + (shape_line(*shape) if self.show_shapes else "")

    def state_text(self, t, layer, direction):
        """h_t's label: the state_label template, or h with the direction's
        arrow over it and the layer's index."""
        template = self.state_label
        if template is None:
            base = "h"
            if self.bidi:
                base = r"\overrightarrow{h}" if direction == 0 else r"\overleftarrow{h}"
            template = base + ("^{({l})}" if self.layers > 1 else "") + "_{t}"
        return math_step(template, t, layer + 1)

    def input_text(self, t):
        """x_t's label: the input_label template, or the t-th of a list."""
        if isinstance(self.input_label, str):
            return math_step(self.input_label, t)
        return str(self.input_label[t - 1])


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
    input_label: a template with {t}, or a list of T labels written as
    they are (e.g. the bases read).
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
        one = info["num_layers"] == 1 and not info["bidirectional"]
        label_weights = "all" if one else "first"
    if label_weights not in ("all", "first", "none"):
        raise ValueError(
            f"label_weights must be 'all', 'first' or 'none'; got {label_weights!r}"
        )
    if not isinstance(input_label, str) and len(input_label) != T:
        raise ValueError(
            f"input_label must be a template or T = {T} labels; got {input_label!r}"
        )
    labels = (label_weights, state_label, input_label)
    grid = _Grid(
        info, T, elide=elide, origin=origin, labels=labels, show_shapes=show_shapes
    )
    in_steps = _steps(inputs, T, "inputs")
    out_steps = _steps(outputs, T, "outputs")
    fig, ax, own = new_axes(ax, _unrolled_figsize(grid, show_h0))
    _draw_inputs(ax, grid, in_steps)
    for layer in range(grid.layers):
        for direction in range(grid.dirs):
            _draw_hidden_row(ax, grid, layer, direction, in_steps)
            _draw_recurrence(ax, grid, layer, direction)
            if show_h0:
                _draw_initial_state(ax, grid, layer, direction)
    _draw_outputs(ax, grid, out_steps, output_label)
    return finish_diagram(ax, fig, title, resize=own)


def _unrolled_figsize(grid, show_h0):
    """A first figure size, in inches, for the diagram (finish_diagram
    resizes a figure it made to the drawing)."""
    columns = len(grid.shown) + (GAP if grid.gap is not None else 0)
    width = (columns + (1 if show_h0 else 0)) * STEP
    height = (2 + grid.layers * grid.dirs) * ROW
    return min(2.0 + 1.05 * width, 16), 0.6 + 1.15 * height


def _draw_inputs(ax, grid, in_steps):
    """The row of inputs x_t, at the steps that have one."""
    for t in grid.shown:
        if t in in_steps:
            draw_box(ax, (grid.x(t), grid.origin[1]), grid.input_text(t), kind="input")


def _draw_hidden_row(ax, grid, layer, direction, in_steps):
    """One row of states h_t, in the order its direction reads them, each
    with the arrows that feed it from below: W_hx from x_t in the first
    layer, from every direction of the layer below in the others."""
    info, H = grid.info, grid.info["hidden_size"]
    suffix = grid.suffix(layer, direction)
    name = info["in_weight"] + suffix
    size = grid.cell_size
    for t in grid.order(direction):
        c = grid.cell(t, layer, direction)
        text = grid.state_text(t, layer, direction)
        draw_box(ax, c, text, kind="cell", width=size[0], fontsize=grid.fontsize)
        if layer == 0:
            if t in in_steps:
                shape = (H, info["input_size"])
                label = grid.weight_label(f"in{suffix}", name, shape, layer, direction)
                x = (grid.x(t), grid.origin[1])
                kw = {"size_b": size, "kind": "input", "label": label}
                connect(ax, x, c, **kw, **LABEL_RIGHT)
            continue
        for below in range(grid.dirs):
            label = None
            if below == direction:
                shape = (H, grid.dirs * H)
                label = grid.weight_label(f"in{suffix}", name, shape, layer, direction)
            connect(
                ax,
                grid.cell(t, layer - 1, below),
                c,
                size_a=size,
                size_b=size,
                kind="layer",
                label=label,
                **LABEL_RIGHT_HIGH,
            )


def _draw_recurrent_arrow(ax, grid, a, b, label, linestyle="-"):
    """h_a -> h_b along a row (centres a, b), its label above the shaft."""
    size = grid.cell_size
    connect(
        ax,
        a,
        b,
        size_a=size,
        size_b=size,
        kind="recurrent",
        linestyle=linestyle,
        label=label,
        **above_shaft(box_edge(a, b, *size), box_edge(b, a, *size)),
    )


def _draw_recurrence(ax, grid, layer, direction):
    """The recurrent arrows h_{t-1} -> h_t along a row (h_{t+1} -> h_t in
    the reverse direction), all the same W_hh; dotted, with dots under
    it, where an elided diagram skips steps."""
    H = grid.info["hidden_size"]
    suffix = grid.suffix(layer, direction)
    name = grid.info["rec_weight"] + suffix
    order = grid.order(direction)
    for a, b in zip(order[:-1], order[1:], strict=True):
        ca, cb = grid.cell(a, layer, direction), grid.cell(b, layer, direction)
        if grid.skips(a, b):
            _draw_recurrent_arrow(ax, grid, ca, cb, None, linestyle=":")
            mid = ((ca[0] + cb[0]) / 2, ca[1] - 0.32)
            ax.text(*mid, r"$\cdots$", ha="center", va="center", fontsize=14)
            continue
        label = grid.weight_label(f"rec{suffix}", name, (H, H), layer, direction)
        _draw_recurrent_arrow(ax, grid, ca, cb, label)


def _draw_initial_state(ax, grid, layer, direction):
    """h_0 one step before a row's first state (h_{T+1} after the last,
    for the reverse direction), and its arrow into the row."""
    H = grid.info["hidden_size"]
    suffix = grid.suffix(layer, direction)
    first = grid.order(direction)[0]
    cf = grid.cell(first, layer, direction)
    t0, side = (0, -1) if direction == 0 else (grid.T + 1, 1)
    c0 = (cf[0] + side * STEP, cf[1])
    draw_box(
        ax,
        c0,
        grid.state_text(t0, layer, direction),
        kind="state0",
        width=grid.cell_size[0],
        fontsize=grid.fontsize,
    )
    name = grid.info["rec_weight"] + suffix
    label = grid.weight_label(f"rec{suffix}", name, (H, H), layer, direction)
    _draw_recurrent_arrow(ax, grid, c0, cf, label)


def _draw_outputs(ax, grid, out_steps, output_label):
    """The outputs ŷ_t above the top layer, each reading every direction
    of it; the last arrow of the first output carries W_yh."""
    H, O, dirs = grid.info["hidden_size"], grid.info["output_size"], grid.dirs
    top = grid.layers - 1
    y_out = grid.origin[1] + (1 + grid.layers * dirs) * ROW
    for t in grid.shown:
        if t not in out_steps:
            continue
        c = (grid.x(t), y_out)
        draw_box(ax, c, math_step(output_label, t), kind="output")
        for direction in range(dirs):
            label = None
            if direction == dirs - 1:
                label = grid.weight_label("out", "W_yh", (O, dirs * H))
                if label and not O:  # no output size known: the name alone
                    label = math_name("W_yh")
            src = grid.cell(t, top, direction)
            connect(
                ax,
                src,
                c,
                size_a=grid.cell_size,
                kind="output",
                label=label,
                **LABEL_RIGHT_HIGH,
            )


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
