"""How rnnlib's weights map onto PyTorch's and Keras's (see rnnlib/frameworks.py).

    draw_frameworks_map(cells=("rnn", "lstm", "gru"))   one row per cell

Each row draws the input weight matrix three times, one block per gate:

    rnnlib  W_x (G*H, D)        gate blocks stacked as rows
    PyTorch weight_ih_l0 (G*H, D)   the same array, the same gate order
    Keras   kernel (D, G*H)     the transpose: gate blocks side by side as
                                columns, in Keras's own order

with a thin line from each PyTorch block to the Keras block holding the same
gate (parallel for the LSTM, whose i, f, c, o is rnnlib's i, f, g, o; crossed
for the GRU, whose z, r, h swaps rnnlib's r, z, n), and the bias rule below.
The recurrent matrices (W_h, weight_hh_l0, recurrent_kernel) follow the same
map.

The function returns a matplotlib Figure and does not call plt.show().
Artists carry a gid: "block:<framework>:<cell>:<gate>" for a gate block
(framework "rnnlib", "torch" or "keras"; gate the rnnlib name: "i", "f",
"g", "o", "r", "z", "n", or "h" for the RNN's single block),
"link:<cell>:<gate>" for a PyTorch-to-Keras line, "same:<cell>" for the
rnnlib-to-PyTorch arrow and "bias:<cell>" for the bias note.
"""

import matplotlib.pyplot as plt

from ..checks import check_choice
from .drawing import draw_arrow, draw_box, frame_axes

# gate -> (colour, what it does); keys are rnnlib's gate names
GATE_STYLE = {
    "h": ("#d9d9d9", "the one block"),
    "i": ("#d9ead3", "input gate"),
    "f": ("#f4cccc", "forget gate"),
    "g": ("#fff2cc", "candidate"),
    "o": ("#cfe2f3", "output gate"),
    "r": ("#e1d5e7", "reset gate"),
    "z": ("#fce5cd", "update gate"),
    "n": ("#fff2cc", "candidate"),
}

# cell -> what each framework calls the blocks, in the order it stores them,
# as (framework's name, rnnlib's name) pairs.  From the frameworks' own
# documentation; tests/test_viz_frameworks_map.py checks it against
# rnnlib/frameworks.py, which copies real weights.
LAYOUTS = {
    "rnn": {
        "title": "RNN",
        "rnnlib": ("W_hx_l0", [("", "h")]),
        "torch": ("weight_ih_l0", [("", "h")]),
        "keras": ("kernel", [("", "h")]),
        "bias": r"bias: rnnlib $b_h$ = PyTorch bias_ih_l0 + bias_hh_l0"
        r" (two, added) = Keras bias $(H)$",
    },
    "lstm": {
        "title": "LSTM",
        "rnnlib": ("W_x_l0", [("i", "i"), ("f", "f"), ("g", "g"), ("o", "o")]),
        "torch": ("weight_ih_l0", [("i", "i"), ("f", "f"), ("g", "g"), ("o", "o")]),
        "keras": ("kernel", [("i", "i"), ("f", "f"), ("c", "g"), ("o", "o")]),
        "bias": r"bias: rnnlib $b$ = PyTorch bias_ih_l0 + bias_hh_l0"
        r" = Keras bias $(4H)$, blocks in the same order",
    },
    "gru": {
        "title": "GRU",
        "rnnlib": ("W_x_l0", [("r", "r"), ("z", "z"), ("n", "n")]),
        "torch": ("weight_ih_l0", [("r", "r"), ("z", "z"), ("n", "n")]),
        "keras": ("kernel", [("z", "z"), ("r", "r"), ("h", "n")]),
        "bias": r"bias: rnnlib $b_x$, $b_h$ = PyTorch bias_ih_l0, bias_hh_l0"
        r" (kept apart) = Keras bias $(2, 3H)$, columns z, r, h",
    },
}

BLOCK = 0.5  # height of one gate block in a tall matrix, width in a wide one
DEPTH = 0.7  # the D axis: width of a tall matrix, height of a wide one
TOP = 2.2  # top edge of the tall matrices
X_RNNLIB, X_TORCH, X_KERAS = 1.9, 5.0, 8.2


def _block(ax, xy, width, height, gate, gid, text):
    """One gate's block of a weight matrix: a rectangle with its lower left
    corner at xy, coloured by the gate, its name in italics."""
    return draw_box(
        ax,
        (xy[0] + width / 2, xy[1] + height / 2),
        text,
        width=width,
        height=height,
        color=GATE_STYLE[gate][0],
        edgecolor="0.25",
        style="square",
        pad=0,
        zorder=1,
        fontsize=11,
        fontstyle="italic",
        gid=gid,
    )


def _tall(ax, x, cell, framework, blocks):
    """Gate blocks stacked as rows: a (G*H, D) matrix.  Returns block centres."""
    centres = {}
    for k, (name, gate) in enumerate(blocks):
        y = TOP - (k + 1) * BLOCK
        _block(ax, (x, y), DEPTH, BLOCK, gate, f"block:{framework}:{cell}:{gate}", name)
        centres[gate] = (x + DEPTH, y + BLOCK / 2)
    return centres


def _wide(ax, x, y, cell, blocks):
    """Gate blocks side by side as columns: the (D, G*H) Keras kernel.
    Returns the bottom centre of each block."""
    bottoms = {}
    for k, (name, gate) in enumerate(blocks):
        x0 = x + k * BLOCK * 1.4
        _block(
            ax, (x0, y), BLOCK * 1.4, DEPTH, gate, f"block:keras:{cell}:{gate}", name
        )
        bottoms[gate] = (x0 + BLOCK * 0.7, y)
    return bottoms


def _header(ax, x, text):
    ax.text(x, TOP + 0.15, text, ha="center", va="bottom", fontsize=9.5)


def _row(ax, cell):
    """One cell's row: rnnlib's and PyTorch's (G*H, D) matrices side by side,
    Keras's kernel above right, the lines between PyTorch's and Keras's
    blocks, and the bias rule under them."""
    layout = LAYOUTS[cell]
    G = len(layout["rnnlib"][1])
    rows = "H" if G == 1 else f"{G}H"
    ax.text(0.0, TOP, layout["title"], fontsize=13, weight="bold", va="top")
    torch_centres = _draw_same_arrays(ax, cell, layout, rows)
    keras_bottoms = _draw_keras_kernel(ax, cell, layout, rows)
    for gate, start in torch_centres.items():
        (link,) = ax.plot(
            [start[0], keras_bottoms[gate][0]],
            [start[1], keras_bottoms[gate][1]],
            color="0.45",
            lw=1.0,
            zorder=0,
        )
        link.set_gid(f"link:{cell}:{gate}")
    bias = ax.text(0.0, _bottom(G) + 0.3, layout["bias"], fontsize=9.5, va="center")
    bias.set_gid(f"bias:{cell}")


def _draw_same_arrays(ax, cell, layout, rows):
    """rnnlib's and PyTorch's matrices, gate blocks as rows, and the
    two-headed arrow that says they are the same array.  Returns the
    centres of PyTorch's blocks' right edges, by gate."""
    G = len(layout["rnnlib"][1])
    _tall(ax, X_RNNLIB, cell, "rnnlib", layout["rnnlib"][1])
    _header(ax, X_RNNLIB + DEPTH / 2, f"rnnlib {layout['rnnlib'][0]}\n({rows}, D)")
    torch_centres = _tall(ax, X_TORCH, cell, "torch", layout["torch"][1])
    _header(ax, X_TORCH + DEPTH / 2, f"PyTorch {layout['torch'][0]}\n({rows}, D)")
    y_mid = TOP - G * BLOCK / 2
    draw_arrow(
        ax,
        (X_RNNLIB + DEPTH + 0.15, y_mid),
        (X_TORCH - 0.15, y_mid),
        color="0.3",
        linewidth=1.3,
        head="<|-|>",
        head_size=12,
        shrink=2,
        zorder=1,
        gid=f"same:{cell}",
    )
    ax.text(
        (X_RNNLIB + DEPTH + X_TORCH) / 2,
        y_mid + 0.12,
        "the same array" if G == 1 else "the same array,\nthe same gate order",
        ha="center",
        va="bottom",
        fontsize=9,
    )
    return torch_centres


def _draw_keras_kernel(ax, cell, layout, rows):
    """Keras's kernel above and to the right, gate blocks as columns in
    Keras's order, so the lines from PyTorch's rows run parallel where the
    order is kept and cross where it is not.  Returns the bottom centre of
    each block, by gate."""
    G = len(layout["keras"][1])
    width = G * BLOCK * 1.4
    y_keras = TOP + 0.35
    keras_bottoms = _wide(ax, X_KERAS, y_keras, cell, layout["keras"][1])
    order = ", ".join(name for name, _ in layout["keras"][1])
    transposed = "= the transpose" if G == 1 else f"= the transpose, columns {order}"
    ax.text(
        X_KERAS + width / 2,
        y_keras + DEPTH + 0.1,
        f"Keras {layout['keras'][0]} (D, {rows})\n{transposed}",
        ha="center",
        va="bottom",
        fontsize=9.5,
    )
    return keras_bottoms


def _bottom(G):
    """Lowest y of a row with G gate blocks (its bias note sits just above)."""
    return TOP - G * BLOCK - 0.75


def draw_frameworks_map(cells=("rnn", "lstm", "gru")):
    """The input weights of rnnlib, PyTorch and Keras side by side, gate by gate.

    cells  which rows to draw, from "rnn", "lstm", "gru", top to bottom.

    rnnlib's W_hx (H, D), LSTM W_x (4H, D) with gate blocks i, f, g, o, and
    GRU W_x (3H, D) with r, z, n are PyTorch's weight_ih_l0 unchanged; Keras
    stores kernel = W_x.T, (D, 4H) or (D, 3H), with the LSTM's gates in the
    same order (Keras calls g "c") and the GRU's first two swapped (z, r, h).
    Blocks are coloured by what the gate does, so a reordering shows as a
    crossing of the lines between PyTorch and Keras.  The recurrent weights
    follow the same map; the note under each row gives the bias rule.
    """
    cells = tuple(cells)
    if not cells:
        raise ValueError("cells must name at least one of 'rnn', 'lstm', 'gru'")
    for cell in cells:
        check_choice("cells", cell, tuple(LAYOUTS))
    spans = [(_bottom(len(LAYOUTS[c]["rnnlib"][1])), TOP + 1.9) for c in cells]
    heights = [high - low for low, high in spans]
    fig, axes = plt.subplots(
        len(cells),
        1,
        figsize=(10, 0.76 * sum(heights) + 0.4),
        gridspec_kw={"height_ratios": heights},
    )
    axes = [axes] if len(cells) == 1 else list(axes)
    for ax, cell, ylim in zip(axes, cells, spans, strict=True):
        _row(ax, cell)
        frame_axes(ax, (0, 13.2), ylim)
    fig.suptitle(
        "Input weights in rnnlib, PyTorch and Keras (recurrent weights: the same map)",
        fontsize=11,
    )
    fig.tight_layout()
    return fig
