"""Diagrams of recurrent networks: rolled, unrolled, and the computation graph.

The diagrams live in three files, each read in one sitting; this module
gathers their names, so `from rnnlib.viz.diagrams import draw_box` works:

    drawing.py             the kit: draw_box, draw_arrow, connect, box_edge,
                           the colours and the label placements
    rolled.py              describe_rnn (the sizes of a layer), draw_rolled_rnn
    unrolled.py            draw_unrolled_rnn (stacked and bidirectional
                           layers too), draw_rolled_and_unrolled
    computation_graph.py   draw_computation_graph, with the paths of BPTT
"""

from .computation_graph import draw_computation_graph
from .drawing import (
    BOX_H,
    BOX_W,
    EDGE,
    FILL,
    HEAD,
    LABEL_RIGHT,
    LABEL_RIGHT_HIGH,
    ROW,
    STEP,
    WEIGHT_COLORS,
    box_edge,
    connect,
    draw_arrow,
    draw_box,
)
from .rolled import describe_rnn, draw_rolled_rnn
from .unrolled import BIDI_SHIFT, draw_rolled_and_unrolled, draw_unrolled_rnn

__all__ = [
    "BIDI_SHIFT",
    "BOX_H",
    "BOX_W",
    "EDGE",
    "FILL",
    "HEAD",
    "LABEL_RIGHT",
    "LABEL_RIGHT_HIGH",
    "ROW",
    "STEP",
    "WEIGHT_COLORS",
    "box_edge",
    "connect",
    "describe_rnn",
    "draw_arrow",
    "draw_box",
    "draw_computation_graph",
    "draw_rolled_and_unrolled",
    "draw_rolled_rnn",
    "draw_unrolled_rnn",
]
