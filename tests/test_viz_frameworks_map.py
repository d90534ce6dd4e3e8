"""The frameworks map draws what the copying code does: gate blocks in the order
rnnlib, PyTorch and Keras really store them, transposed where Keras transposes."""

import numpy as np
import pytest

from rnnlib import GRU, LSTM, frameworks, lstm_step_forward
from rnnlib.viz import draw_frameworks_map


def blocks(fig, framework, cell):
    """{gate: Rectangle} for one matrix of the figure."""
    prefix = f"block:{framework}:{cell}:"
    return {
        p.get_gid()[len(prefix) :]: p
        for ax in fig.axes
        for p in ax.patches
        if (p.get_gid() or "").startswith(prefix)
    }


def drawn_order(fig, framework, cell):
    """Gates of one matrix in storage order: top to bottom for the (G*H, D)
    matrices, left to right for the Keras (D, G*H) kernel."""
    found = blocks(fig, framework, cell)
    if framework == "keras":
        return sorted(found, key=lambda g: found[g].get_x())
    return sorted(found, key=lambda g: -found[g].get_y())


def stored_blocks(W, G):
    """Split a (G*H, D) matrix into its G gate blocks."""
    return np.split(W, G, axis=0)


def test_rnnlib_lstm_blocks_drawn_in_the_order_lstm_step_forward_uses():
    """Saturate one block at a time and see which gate lstm_step_forward opens."""
    fig = draw_frameworks_map(cells=("lstm",))
    order = drawn_order(fig, "rnnlib", "lstm")
    assert order == ["i", "f", "g", "o"]
    H, D = 3, 2
    x, h, c = np.ones((1, D)), np.zeros((1, H)), np.full((1, H), 0.5)
    W_x, W_h = np.zeros((4 * H, D)), np.zeros((4 * H, H))

    def step(big):
        b = np.full(4 * H, -30.0)  # every sigmoid gate shut, g = tanh(-30) = -1
        for gate in big:
            k = order.index(gate)
            b[k * H : (k + 1) * H] = 30.0
        return lstm_step_forward(x, h, c, W_x, W_h, b)[:2]

    _, c_keep = step({"f"})  # forget gate open only: c carried over
    np.testing.assert_allclose(c_keep, c, atol=1e-12)
    _, c_write = step({"i", "g"})  # input gate open, candidate +1: c = 1
    np.testing.assert_allclose(c_write, np.ones((1, H)), atol=1e-12)
    h_show, c_show = step({"f", "o"})  # output gate open: h = tanh(c)
    np.testing.assert_allclose(h_show, np.tanh(c_show), atol=1e-12)


@pytest.mark.parametrize("cell, layer", [("lstm", LSTM), ("gru", GRU)])
def test_torch_blocks_drawn_are_the_blocks_to_torch_stores(cell, layer):
    pytest.importorskip("torch", reason="PyTorch is optional (README, PyTorch)")
    model = layer(2, 3, seed=0)
    G = 4 if cell == "lstm" else 3
    ours = stored_blocks(model.params["W_x_l0"], G)
    theirs = stored_blocks(frameworks.to_torch(model).weight_ih_l0.detach().numpy(), G)
    fig = draw_frameworks_map(cells=(cell,))
    rnnlib_order = drawn_order(fig, "rnnlib", cell)
    for k, gate in enumerate(drawn_order(fig, "torch", cell)):
        np.testing.assert_array_equal(theirs[k], ours[rnnlib_order.index(gate)])


@pytest.mark.parametrize("cell, layer", [("lstm", LSTM), ("gru", GRU)])
def test_keras_columns_drawn_are_the_columns_to_keras_stores(cell, layer):
    if not frameworks.available("keras"):
        pytest.skip("Keras is optional (README, PyTorch and Keras)")
    model = layer(2, 3, seed=0)
    G, H = (4 if cell == "lstm" else 3), 3
    ours = stored_blocks(model.params["W_x_l0"], G)
    kernel = np.asarray(frameworks.to_keras(model).get_weights()[0])
    assert kernel.shape == (2, G * H)  # (D, G*H): the transpose
    fig = draw_frameworks_map(cells=(cell,))
    rnnlib_order = drawn_order(fig, "rnnlib", cell)
    for k, gate in enumerate(drawn_order(fig, "keras", cell)):
        column_block = kernel[:, k * H : (k + 1) * H]
        np.testing.assert_allclose(column_block, ours[rnnlib_order.index(gate)].T)


def _extent(rects):
    """(width, height) of the box around some rectangles, in data units."""
    x0 = min(r.get_x() for r in rects)
    x1 = max(r.get_x() + r.get_width() for r in rects)
    y0 = min(r.get_y() for r in rects)
    y1 = max(r.get_y() + r.get_height() for r in rects)
    return x1 - x0, y1 - y0


def test_keras_kernel_is_drawn_transposed():
    fig = draw_frameworks_map(cells=("lstm",))
    for framework in ("rnnlib", "torch"):
        rects = list(blocks(fig, framework, "lstm").values())
        width, height = _extent(rects)
        assert height > 2 * width, f"{framework}: (4H, D) is drawn tall"
        assert len({r.get_x() for r in rects}) == 1, "gate blocks stacked as rows"
    rects = list(blocks(fig, "keras", "lstm").values())
    width, height = _extent(rects)
    assert width > 2 * height, "Keras: (D, 4H) is drawn wide"
    assert len({r.get_y() for r in rects}) == 1, "gate blocks side by side"


def _crosses(a, b):
    """Whether segments a and b ((2,) xdata, (2,) ydata) intersect."""
    (p, q), (r, s) = np.column_stack(a), np.column_stack(b)

    def side(u, v, w):
        return np.sign((v[0] - u[0]) * (w[1] - u[1]) - (v[1] - u[1]) * (w[0] - u[0]))

    return side(p, q, r) != side(p, q, s) and side(r, s, p) != side(r, s, q)


def links(fig, cell):
    prefix = f"link:{cell}:"
    return {
        ln.get_gid()[len(prefix) :]: (ln.get_xdata(), ln.get_ydata())
        for ax in fig.axes
        for ln in ax.get_lines()
        if (ln.get_gid() or "").startswith(prefix)
    }


def test_links_cross_only_where_keras_reorders_the_gates():
    fig = draw_frameworks_map()
    lstm = links(fig, "lstm")
    assert len(lstm) == 4
    assert not any(_crosses(lstm[a], lstm[b]) for a in lstm for b in lstm if a < b), (
        "the LSTM keeps its gate order: no line may cross"
    )
    gru = links(fig, "gru")
    assert _crosses(gru["r"], gru["z"]), "Keras swaps r and z: their lines cross"
    assert not _crosses(gru["z"], gru["n"]) and not _crosses(gru["r"], gru["n"])


def test_same_array_label_sits_clear_of_its_arrow():
    fig = draw_frameworks_map(cells=("lstm",))
    fig.canvas.draw()
    ax = fig.axes[0]
    (arrow,) = [p for p in ax.patches if p.get_gid() == "same:lstm"]
    (label,) = [t for t in ax.texts if t.get_text().startswith("the same array")]
    arrow_box = arrow.get_window_extent()
    label_box = label.get_window_extent()
    assert label_box.y0 > arrow_box.y1, "the label must sit above the arrow"
    assert arrow_box.x0 <= label_box.x0 and label_box.x1 <= arrow_box.x1 + 5


def test_bias_notes_give_each_cell_its_rule():
    fig = draw_frameworks_map()
    notes = {
        t.get_gid(): t.get_text()
        for ax in fig.axes
        for t in ax.texts
        if (t.get_gid() or "").startswith("bias:")
    }
    assert "bias_ih_l0 + bias_hh_l0" in notes["bias:rnn"]
    assert "bias_ih_l0 + bias_hh_l0" in notes["bias:lstm"]
    assert "kept apart" in notes["bias:gru"] and "(2, 3H)" in notes["bias:gru"]


def test_an_unknown_cell_is_refused_by_name():
    with pytest.raises(ValueError, match="cells must be one of 'rnn', 'lstm', 'gru'"):
        draw_frameworks_map(cells=("lstm", "transformer"))
    with pytest.raises(ValueError, match="at least one"):
        draw_frameworks_map(cells=())
