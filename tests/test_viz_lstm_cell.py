"""The LSTM cell diagram and the gate heatmaps."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from rnnlib import LSTM, RNN
from rnnlib.viz import (
    draw_lstm_cell,
    lstm_gate_trace,
    plot_gate_activations,
)


def patches(fig, prefix):
    return [
        p
        for ax in fig.axes
        for p in ax.patches
        if (p.get_gid() or "").startswith(prefix)
    ]


def test_cell_diagram_has_four_gates_and_five_operations():
    fig = draw_lstm_cell()
    assert isinstance(fig, Figure)
    gates = sorted(p.get_gid() for p in patches(fig, "gate:"))
    assert gates == ["gate:f", "gate:g", "gate:i", "gate:o"]
    assert len(patches(fig, "op:")) == 5


def test_cell_diagram_draws_the_cell_state_path_in_three_segments():
    fig = draw_lstm_cell()
    path = patches(fig, "cell-path")
    assert len(path) == 3
    assert len(patches(fig, "arrow")) == 14


def test_cell_diagram_names_c_and_h():
    fig = draw_lstm_cell(title=None)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for name in ["c_{t-1}", "c_t", "h_{t-1}", "h_t", "x_t"]:
        assert name in texts


def test_cell_diagram_draws_into_a_given_axes():
    fig, ax = plt.subplots()
    assert draw_lstm_cell(ax=ax) is fig


def test_gate_trace_equals_the_layer_forward(rng):
    lstm = LSTM(3, 5, seed=0)
    x = rng.standard_normal((2, 9, 3))
    trace = lstm_gate_trace(lstm, x)
    out, (h_n, c_n) = lstm.forward(x)
    assert set(trace) == {"i", "f", "g", "o", "c", "h"}
    assert trace["i"].shape == (2, 9, 5)
    np.testing.assert_allclose(trace["h"], out, atol=1e-14)
    np.testing.assert_allclose(trace["c"][:, -1], c_n[0], atol=1e-14)


def test_gate_trace_of_one_sequence_has_no_batch_axis(rng):
    lstm = LSTM(3, 5, seed=0)
    x = rng.standard_normal((9, 3))
    trace = lstm_gate_trace(lstm, x)
    assert trace["f"].shape == (9, 5)
    np.testing.assert_allclose(trace["h"], lstm.forward(x[None])[0][0], atol=1e-14)


def test_gate_trace_gates_lie_in_their_ranges(rng):
    trace = lstm_gate_trace(LSTM(2, 4, seed=1), rng.standard_normal((12, 2)))
    for gate in "ifo":
        assert ((trace[gate] > 0) & (trace[gate] < 1)).all()
    assert (np.abs(trace["g"]) < 1).all()


def test_gate_trace_forget_gate_starts_near_sigmoid_of_the_forget_bias():
    lstm = LSTM(2, 4, seed=0, forget_bias=3.0)
    for key in ("W_x_l0", "W_h_l0"):
        lstm.params[key][:] = 0.0
    trace = lstm_gate_trace(lstm, np.ones((5, 2)))
    np.testing.assert_allclose(trace["f"], 1 / (1 + np.exp(-3.0)))


def test_gate_trace_checks_its_inputs(rng):
    with pytest.raises(TypeError, match="LSTM"):
        lstm_gate_trace(RNN(2, 3, seed=0), rng.standard_normal((4, 2)))
    with pytest.raises(ValueError, match="D = 2"):
        lstm_gate_trace(LSTM(2, 3, seed=0), rng.standard_normal((4, 3)))


def test_gate_heatmaps_draw_one_image_per_gate_and_the_input(rng):
    trace = lstm_gate_trace(LSTM(2, 3, seed=0), rng.standard_normal((10, 2)))
    fig = plot_gate_activations(trace, inputs=rng.standard_normal(10))
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert [im.get_gid() for im in images] == [f"gates:{g}" for g in "ifgoc"]
    assert images[0].get_array().shape == (3, 10)  # units x steps
    assert images[1].get_clim() == (0, 1)
    assert any(ln.get_gid() == "input" for ax in fig.axes for ln in ax.get_lines())


def test_gate_heatmaps_can_pick_gates_and_reject_unknown_ones(rng):
    trace = lstm_gate_trace(LSTM(2, 3, seed=0), rng.standard_normal((6, 2)))
    fig = plot_gate_activations(trace, gates=("f", "h"))
    assert [im.get_gid() for ax in fig.axes for im in ax.get_images()] == [
        "gates:f",
        "gates:h",
    ]
    with pytest.raises(ValueError, match="no entries"):
        plot_gate_activations(trace, gates=("z",))


def test_gate_heatmaps_can_pick_units(rng):
    trace = lstm_gate_trace(LSTM(2, 5, seed=0), rng.standard_normal((6, 2)))
    fig = plot_gate_activations(trace, gates=("c",), units=[4, 0])
    (image,) = fig.axes[0].get_images()
    np.testing.assert_array_equal(image.get_array(), trace["c"][:, [4, 0]].T)
