"""Diagrams: drawn from real layers, with the boxes and arrows they promise."""

from collections import Counter

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path
from matplotlib.transforms import Bbox

from rnnlib import LSTM, RNN
from rnnlib.viz import (
    describe_rnn,
    draw_computation_graph,
    draw_rolled_and_unrolled,
    draw_rolled_rnn,
    draw_unrolled_rnn,
)


def roles(fig):
    """Count the patches of every axes by gid, e.g. {"box:cell": 5, ...}."""
    return Counter(p.get_gid() for ax in fig.axes for p in ax.patches if p.get_gid())


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def weight_labels(fig):
    """(text, bbox in pixels) of every arrow label (the texts on a white box)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [
        (t.get_text(), t.get_bbox_patch().get_window_extent(renderer))
        for ax in fig.axes
        for t in ax.texts
        if t.get_bbox_patch() is not None
    ]


def arrowheads(fig):
    """(gid, bbox in pixels) of every arrow's head: the last polygon of its path."""
    fig.canvas.draw()
    heads = []
    for ax in fig.axes:
        for patch in ax.patches:
            if isinstance(patch, FancyArrowPatch):
                path = patch.get_path()
                start = np.flatnonzero(path.codes == Path.MOVETO)[-1]
                corners = path.vertices[start:][path.codes[start:] != Path.CLOSEPOLY]
                xy = ax.transData.transform(corners)
                heads.append((patch.get_gid(), Bbox([xy.min(axis=0), xy.max(axis=0)])))
    return heads


def crowded_labels(fig, clearance=2.0):
    """Labels that touch an arrowhead (closer than `clearance` pixels) or
    another label."""
    labels, heads = weight_labels(fig), arrowheads(fig)
    on_heads = [
        (text, gid)
        for text, box in labels
        for gid, head in heads
        if box.padded(clearance).overlaps(head)
    ]
    on_labels = [
        (a, b)
        for i, (a, box_a) in enumerate(labels)
        for b, box_b in labels[i + 1 :]
        if box_a.overlaps(box_b)
    ]
    return on_heads + on_labels


def test_unrolled_rnn_has_one_cell_per_step_and_shared_weights():
    fig = draw_unrolled_rnn(RNN(4, 8, seed=0), T=5, output_size=1)
    assert isinstance(fig, Figure)
    r = roles(fig)
    assert r["box:input"] == r["box:cell"] == r["box:output"] == 5
    assert r["box:state0"] == 1
    assert r["arrow:input"] == r["arrow:output"] == 5
    assert r["arrow:recurrent"] == 5  # h0 -> h1 and 4 between steps
    labels = texts(fig)
    # one W_hh (8x8) written on every recurrent arrow: the same matrix each step
    assert sum("W_{hh}" in t and "8" in t for t in labels) == 5
    assert sum("W_{hx}" in t and r"8\times4" in t for t in labels) == 5


@pytest.mark.parametrize(
    ("layer", "T"),
    [
        (RNN(4, 16, seed=0), 60),  # notebook 00's long, elided sequence
        (RNN(4, 16, seed=0), 4),
        (RNN(40, 128, seed=0), 5),  # wide shape labels
        (RNN(3, 5, num_layers=2, seed=0), 3),
        (RNN(3, 5, bidirectional=True, seed=0), 3),
    ],
)
def test_unrolled_rnn_labels_stay_off_the_arrowheads_and_each_other(layer, T):
    fig = draw_unrolled_rnn(layer, T=T, output_size=2)
    assert len(weight_labels(fig)) >= 4  # the test looks at real labels
    assert crowded_labels(fig) == []
    plt.close(fig)


def test_recurrent_label_sits_above_the_middle_of_its_arrow():
    fig = draw_unrolled_rnn(RNN(4, 16, seed=0), T=3, output_size=1, show_h0=False)
    ((_, label),) = [(t, b) for t, b in weight_labels(fig) if "W_{hh}" in t][:1]
    heads = sorted(
        (h for gid, h in arrowheads(fig) if gid == "arrow:recurrent"),
        key=lambda h: h.x0,
    )
    head = heads[0]  # the arrow h_1 -> h_2 carries the first W_hh label
    cells = sorted(
        (p for p in fig.axes[0].patches if p.get_gid() == "box:cell"),
        key=lambda p: p.get_x(),
    )
    renderer = fig.canvas.get_renderer()
    left_cell = cells[0].get_window_extent(renderer)
    line_y = (head.y0 + head.y1) / 2  # the arrow is horizontal, its head centred
    assert label.y0 > line_y + 2, "the label is above the arrow's line"
    assert label.x1 < head.x0, "the label ends before the arrowhead starts"
    assert label.x0 > left_cell.x1, "the label starts after the box it leaves"
    plt.close(fig)


def test_rolled_and_unrolled_labels_stay_off_the_arrowheads():
    fig = draw_rolled_and_unrolled(RNN(4, 16, seed=1), T=4, output_size=1)
    assert crowded_labels(fig) == []
    plt.close(fig)


def test_unrolled_rnn_many_to_one_draws_a_single_output():
    fig = draw_unrolled_rnn((3, 6, 2), T=4, outputs="last", show_h0=False)
    r = roles(fig)
    assert r["box:output"] == r["arrow:output"] == 1
    assert r["arrow:recurrent"] == 3
    assert "box:state0" not in r


def test_unrolled_rnn_inputs_and_outputs_at_listed_steps():
    fig = draw_unrolled_rnn((3, 6), T=4, inputs="first", outputs=[2, 3, 4])
    r = roles(fig)
    assert r["box:input"] == r["arrow:input"] == 1
    assert r["box:output"] == 3


def test_unrolled_bidirectional_rnn_has_two_rows():
    fig = draw_unrolled_rnn(RNN(3, 5, bidirectional=True, seed=0), T=3)
    r = roles(fig)
    assert r["box:cell"] == 6 and r["box:state0"] == 2
    assert r["arrow:input"] == 6 and r["arrow:recurrent"] == 6
    assert r["arrow:output"] == 6  # each output reads both directions


def test_unrolled_stacked_rnn_connects_the_layers():
    fig = draw_unrolled_rnn(RNN(3, 5, num_layers=2, seed=0), T=3, outputs="none")
    r = roles(fig)
    assert r["box:cell"] == 6
    assert r["arrow:layer"] == 3 and r["arrow:input"] == 3
    assert "box:output" not in r


def test_unrolled_long_sequence_is_elided():
    fig = draw_unrolled_rnn((2, 3), T=20, outputs="last")
    r = roles(fig)
    assert r["box:cell"] == 5  # steps 1, 2, 3, 19, 20
    assert any("{20}" in t for t in texts(fig))


def test_unrolled_lstm_like_layer_uses_its_weight_names():
    class FakeLSTM:
        input_size, hidden_size, num_layers, bidirectional = 2, 3, 1, False
        weight_names = ("W_x", "W_h", "b")

    labels = texts(draw_unrolled_rnn(FakeLSTM(), T=2, state_label="(h_{t}, c_{t})"))
    assert any("W_{h}" in t for t in labels) and any("c_{2}" in t for t in labels)


def test_unrolled_rnn_draws_on_a_given_axes_at_an_origin():
    fig, ax = plt.subplots()
    out = draw_unrolled_rnn((2, 3), T=2, ax=ax, origin=(10.0, 5.0), show_h0=False)
    assert out is fig
    xs = [p.get_x() for p in ax.patches if p.get_gid() == "box:input"]
    assert min(xs) > 9.0


def test_unrolled_rnn_refuses_bad_arguments():
    with pytest.raises(ValueError, match="T must be"):
        draw_unrolled_rnn((2, 3), T=0)
    with pytest.raises(ValueError, match="outputs must"):
        draw_unrolled_rnn((2, 3), T=3, outputs="some")
    with pytest.raises(ValueError, match="between 1 and T"):
        draw_unrolled_rnn((2, 3), T=3, outputs=[0])
    with pytest.raises(TypeError, match="rnn_or_sizes"):
        draw_unrolled_rnn("rnn", T=3)


def test_describe_rnn_reads_a_layer():
    info = describe_rnn(RNN(4, 8, num_layers=2, bidirectional=True, seed=0), 3)
    assert (info["input_size"], info["hidden_size"], info["output_size"]) == (4, 8, 3)
    assert info["num_layers"] == 2 and info["bidirectional"]
    assert (info["in_weight"], info["rec_weight"]) == ("W_hx", "W_hh")


def test_rolled_rnn_has_a_loop():
    fig = draw_rolled_rnn(RNN(4, 8, seed=0), output_size=2)
    r = roles(fig)
    assert r["box:input"] == r["box:cell"] == r["box:output"] == 1
    assert r["arrow:input"] == r["arrow:recurrent"] == r["arrow:output"] == 1
    assert any("W_{hh}" in t and r"8\times8" in t for t in texts(fig))
    assert any(r"2\times8" in t for t in texts(fig))


def test_rolled_rnn_without_output_size_has_no_output():
    r = roles(draw_rolled_rnn((4, 8)))
    assert "box:output" not in r and "arrow:output" not in r


def test_rolled_and_unrolled_side_by_side():
    fig = draw_rolled_and_unrolled(RNN(4, 8, seed=0), T=3, output_size=1)
    assert len(fig.axes) == 2
    assert roles(fig)["box:cell"] == 1 + 3


def test_computation_graph_nodes_and_gradient_paths():
    fig = draw_computation_graph(3)
    r = roles(fig)
    assert r["box:input"] == r["box:cell"] == r["box:output"] == r["box:target"] == 3
    assert r["box:loss"] == 4  # L_1, L_2, L_3 and their sum
    assert r["arrow:recurrent"] == 3
    assert r["arrow:gradient"] == 9  # L_t -> y_t -> h_t -> h_{t-1}, 3 per step
    assert r["arrow:loss"] == 9  # y_hat_t -> L_t, y_t -> L_t, L_t -> L


def test_computation_graph_options():
    r = roles(draw_computation_graph(4, show_h0=False, show_targets=False))
    assert r["arrow:gradient"] == 4 * 3 - 1
    assert "box:target" not in r and "box:state0" not in r
    r = roles(draw_computation_graph(2, show_gradients=False, show_params=True))
    assert "arrow:gradient" not in r
    assert r["box:param"] == 3 and r["arrow:param"] == 3 * 2


def test_weight_shapes_are_read_from_the_layer_params():
    lstm = LSTM(3, 5, seed=0)  # W_x (4H, D) = (20, 3), W_h (4H, H) = (20, 5)
    labels = texts(draw_unrolled_rnn(lstm, T=2)) + texts(draw_rolled_rnn(lstm))
    assert any("W_{x}" in t and r"20\times3" in t for t in labels)
    assert any("W_{h}" in t and r"20\times5" in t for t in labels)
    assert not any(r"5\times3" in t for t in labels)


def test_unrolled_rnn_writes_a_list_of_input_labels_as_given():
    fig = draw_unrolled_rnn((4, 3), T=3, input_label=["A", "C", "G"])
    assert {"A", "C", "G"} <= set(texts(fig))
    with pytest.raises(ValueError, match="input_label"):
        draw_unrolled_rnn((4, 3), T=3, input_label=["A", "C"])


def test_a_square_box_spans_its_width_and_height():
    from rnnlib.viz.drawing import draw_box

    fig, ax = plt.subplots()
    box = draw_box(ax, (1.0, 2.0), "k", width=0.9, height=0.5, style="square", pad=0)
    assert np.allclose(
        [box.get_x(), box.get_y(), box.get_width(), box.get_height()],
        [0.55, 1.75, 0.9, 0.5],
    )
    assert box.get_gid() == "box:cell"
    plt.close(fig)


def test_every_diagram_colours_inputs_states_and_outputs_alike():
    """One palette (drawing.PALETTE): x, h and y have the same fill in the
    computation graph, the unrolled diagrams and the architecture families."""
    from matplotlib.colors import to_hex

    from rnnlib.viz import plot_architecture_families
    from rnnlib.viz.drawing import FILL

    def fills(fig, gid):
        return {
            to_hex(p.get_facecolor())
            for ax in fig.axes
            for p in ax.patches
            if p.get_gid() == gid
        }

    expected = {k: to_hex(FILL[k]) for k in ("input", "cell", "output")}
    assert len(set(expected.values())) == 3
    families = plot_architecture_families()
    assert fills(families, "node:x") == {expected["input"]}
    assert fills(families, "node:h") == {expected["cell"]}
    assert fills(families, "node:y") == {expected["output"]}
    unrolled = draw_unrolled_rnn((4, 3), T=3)
    for kind in ("input", "cell", "output"):
        assert fills(unrolled, f"box:{kind}") == {expected[kind]}, kind
    plt.close("all")
