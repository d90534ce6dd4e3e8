"""What a recurrent layer looks like, and its rolled view: one cell and its loop.

    describe_rnn(rnn)                     the sizes a diagram needs, read off
                                          a layer, a tuple or a dict
    draw_rolled_rnn(rnn, output_size=1)   the loop: one cell, W_hh fed back

Every diagram is drawn from sizes read off a real layer (an `RNN`, an
`LSTM`, or anything with `input_size` and `hidden_size`), so the shapes
printed on the arrows are the shapes of the arrays the code uses.
draw_rolled_rnn returns a matplotlib Figure and never calls plt.show();
its boxes and arrows come from the drawing kit (drawing.py) and carry a
gid naming their role ("box:cell", "arrow:recurrent", …).
"""

import numpy as np

from .drawing import (
    BOX_W,
    LABEL_RIGHT,
    ROW,
    WEIGHT_COLORS,
    connect,
    draw_arrow,
    draw_box,
    finish_diagram,
    math_name,
    new_axes,
    shape_line,
)

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
    info, output_size = _read_sizes(rnn_or_sizes, output_size)
    _check_sizes(info, output_size)
    info.setdefault("shapes", {})
    names = info.pop("weight_names")
    info["in_weight"], info["rec_weight"] = names[0], names[1]
    info["output_size"] = output_size
    return info


def _read_sizes(obj, output_size):
    """(sizes, output_size) from a layer, a dict or a tuple, unchecked."""
    if hasattr(obj, "input_size") and hasattr(obj, "hidden_size"):
        params = getattr(obj, "params", {})
        info = {
            "input_size": obj.input_size,
            "hidden_size": obj.hidden_size,
            "num_layers": getattr(obj, "num_layers", 1),
            "bidirectional": getattr(obj, "bidirectional", False),
            "weight_names": tuple(getattr(obj, "weight_names", ("W_hx", "W_hh"))),
            "name": type(obj).__name__,
            "shapes": {k: tuple(np.shape(v)) for k, v in params.items()},
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
    return info, output_size


def _check_sizes(info, output_size):
    """Every size a whole number >= 1 (output_size may be None)."""
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


def _first_layer_label(info, weight, shape, show_shapes):
    """A first-layer weight's name and, under it, its shape: read from the
    layer's params when it has them ("W_x_l0" of an LSTM), else `shape`."""
    shape = info["shapes"].get(f"{weight}_l0", shape)
    return math_name(weight) + (shape_line(*shape) if show_shapes else "")


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
    fig, ax, own = new_axes(ax, (3.2, 4.2 if O else 3.0))
    x, h, y = (0.0, 0.0), (0.0, ROW), (0.0, 2 * ROW)
    draw_box(ax, x, f"${input_label}$", kind="input")
    draw_box(ax, h, f"${state_label}$", kind="cell")
    in_label = _first_layer_label(info, info["in_weight"], (H, D), show_shapes)
    connect(ax, x, h, kind="input", label=in_label, **LABEL_RIGHT)
    rec_label = _first_layer_label(info, info["rec_weight"], (H, H), show_shapes)
    _draw_loop(ax, h, rec_label)
    if O:
        draw_box(ax, y, f"${output_label}$", kind="output")
        out_label = "$W_{yh}$" + (shape_line(O, H) if show_shapes else "")
        connect(ax, h, y, kind="output", label=out_label, **LABEL_RIGHT)
    return finish_diagram(ax, fig, title, resize=own)


def _draw_loop(ax, center, label):
    """The recurrent loop on the box at `center`: it leaves the box's right
    side high and comes back to it low, the weight's label beside it."""
    cx, cy = center
    right = cx + BOX_W / 2
    draw_arrow(ax, (right, cy + 0.16), (right, cy - 0.16), kind="recurrent", rad=-2.6)
    ax.text(
        right + 0.55,
        cy,
        label,
        ha="left",
        va="center",
        fontsize=10,
        color=WEIGHT_COLORS["recurrent"],
    )
    ax.update_datalim([(right + 1.9, cy + 0.5)])
