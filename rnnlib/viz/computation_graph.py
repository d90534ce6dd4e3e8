"""The unrolled computation graph of an RNN's loss, and the paths of BPTT.

    draw_computation_graph(T=3)      x_t -> h_t -> ŷ_t -> L_t -> L, with the
                                     gradient paths of backprop through time

Returns a matplotlib Figure and never calls plt.show().  Boxes and arrows
come from the drawing kit (drawing.py) and carry a gid naming their role.
"""

import numpy as np

from .drawing import (
    BOX_H,
    BOX_W,
    LABEL_RIGHT,
    ROW,
    STEP,
    WEIGHT_COLORS,
    connect,
    draw_arrow,
    draw_box,
    finish_diagram,
    new_axes,
)

# the y of each row of the graph
ROWS = {"x": 0.0, "h": ROW, "y": 2 * ROW, "L": 3 * ROW, "sum": 4 * ROW}
TARGET_SIZE = (0.62, 0.5)  # the small box of a target y_t


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
    gradient carried back in time): 3 per step (2 at t = 1 without h_0).
    With show_params, one node per weight matrix with a dashed edge to
    every step that uses it (gid "arrow:param"): a shared weight's
    gradient is the sum over those edges.

    Returns the Figure.  Box gids: "box:input", "box:cell", "box:state0",
    "box:output", "box:target", "box:loss" (the L_t and L), "box:param".
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be an int >= 1; got {T!r}")
    ncols = T + (1 if show_h0 else 0) + (1 if show_params else 0)
    fig, ax, own = new_axes(ax, (min(1.9 + 2.2 * ncols, 16), 7.2))
    X = [t * STEP for t in range(1, T + 1)]
    for t, xc in zip(range(1, T + 1), X, strict=True):
        _draw_step(ax, t, xc, show_targets, show_h0)
    if show_h0:
        draw_box(ax, (X[0] - STEP, ROWS["h"]), "$h_0$", kind="state0")
    _draw_total_loss(ax, X, loss_label)
    if show_gradients:
        _draw_gradient_paths(ax, X, show_h0)
    if show_params:
        _draw_parameters(ax, X)
    return finish_diagram(ax, fig, title, resize=own)


def _draw_step(ax, t, xc, show_targets, show_h0):
    """Step t's column at x = xc: x_t, h_t, ŷ_t, L_t and the arrows between
    them (the weights named at t = 1), the target y_t beside ŷ_t, and the
    recurrent arrow from h_{t-1}."""
    draw_box(ax, (xc, ROWS["x"]), f"$x_{{{t}}}$", kind="input")
    draw_box(ax, (xc, ROWS["h"]), f"$h_{{{t}}}$", kind="cell")
    draw_box(ax, (xc, ROWS["y"]), rf"$\hat{{y}}_{{{t}}}$", kind="output")
    draw_box(ax, (xc, ROWS["L"]), f"$L_{{{t}}}$", kind="loss")
    first = t == 1
    x, h, y, loss = ((xc, ROWS[row]) for row in ("x", "h", "y", "L"))
    label = "$W_{hx}$" if first else None
    connect(ax, x, h, kind="input", label=label, **LABEL_RIGHT)
    label = "$W_{yh}$" if first else None
    connect(ax, h, y, kind="output", label=label, **LABEL_RIGHT)
    connect(ax, y, loss, kind="loss")
    if show_targets:
        target = (xc + 0.75 * STEP / 2 + 0.05, ROWS["y"] + 0.55)
        w, hh = TARGET_SIZE
        draw_box(
            ax,
            target,
            f"$y_{{{t}}}$",
            kind="target",
            width=w,
            height=hh,
            fontsize=10,
        )
        connect(ax, target, loss, size_a=TARGET_SIZE, kind="loss")
    if t > 1 or show_h0:
        previous = (xc - STEP, ROWS["h"])
        label = "$W_{hh}$" if first else None
        above = (0, 0.27)
        connect(ax, previous, h, kind="recurrent", label=label, label_offset=above)


def _draw_total_loss(ax, X, loss_label):
    """The total loss L above the middle of the steps, an arrow from every L_t."""
    total = (float(np.mean(X)), ROWS["sum"])
    width = max(BOX_W, 2.0)
    draw_box(ax, total, f"${loss_label}$", kind="loss", width=width, height=BOX_H)
    for xc in X:
        connect(ax, (xc, ROWS["L"]), total, size_b=(width, BOX_H), kind="loss")


def _draw_gradient_paths(ax, X, show_h0):
    """BPTT's paths, dashed, beside the forward arrows: L_t -> ŷ_t -> h_t,
    and h_t -> h_{t-1} under the row of states."""
    grad = {"kind": "gradient", "linestyle": "--", "linewidth": 1.3}
    off = 0.34  # gradient arrows run beside the forward ones
    for i, xc in enumerate(X):
        down = xc - off
        draw_arrow(
            ax, (down, ROWS["L"] - BOX_H / 2), (down, ROWS["y"] + BOX_H / 2), **grad
        )
        draw_arrow(
            ax, (down, ROWS["y"] - BOX_H / 2), (down, ROWS["h"] + BOX_H / 2), **grad
        )
        if i > 0 or show_h0:
            px = X[i - 1] if i > 0 else X[0] - STEP
            low = ROWS["h"] - 0.2
            draw_arrow(ax, (xc - BOX_W / 2, low), (px + BOX_W / 2, low), **grad)
    ax.text(
        X[0] - STEP / 2 if show_h0 else X[0],
        ROWS["h"] - 0.5,
        "gradients flow back",
        color=WEIGHT_COLORS["gradient"],
        fontsize=9,
        ha="center",
        va="top",
    )


def _draw_parameters(ax, X):
    """One node per weight matrix right of the graph, with a dotted edge to
    every use of it: a shared weight's gradient sums over those edges."""
    px = X[-1] + 1.1 * STEP
    between_xh = (ROWS["x"] + ROWS["h"]) / 2
    between_hy = (ROWS["h"] + ROWS["y"]) / 2
    uses = {  # name: (the node's y, where the weight is used)
        "$W_{hx}$": (between_xh, [(xc, between_xh) for xc in X]),
        "$W_{hh}$": (ROWS["h"] + 0.0, [(xc - STEP / 2, ROWS["h"]) for xc in X]),
        "$W_{yh}$": (between_hy + 0.4, [(xc, between_hy) for xc in X]),
    }
    for name, (py, targets) in uses.items():
        draw_box(ax, (px, py), name, kind="param", width=0.9)
        for j, target in enumerate(targets):
            draw_arrow(
                ax,
                (px - 0.45, py),
                target,
                kind="param",
                linestyle=":",
                linewidth=1.0,
                rad=0.15 + 0.05 * j,
            )
