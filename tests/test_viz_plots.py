"""Plots: a Figure with the images and lines the data calls for."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from rnnlib.viz import plots


def images(fig):
    return [im for ax in fig.axes for im in ax.images]


def test_hidden_states_heatmap_shows_units_by_time(rng):
    h = np.tanh(rng.standard_normal((7, 3)))
    fig = plots.plot_hidden_states(h)
    assert isinstance(fig, Figure)
    (image,) = images(fig)
    assert image.get_array().shape == (3, 7)  # units down, time across
    assert np.allclose(image.get_array(), h.T)
    vmin, vmax = image.get_clim()
    assert vmin == -vmax == -np.abs(h).max()


def test_hidden_states_with_inputs_adds_a_strip(rng):
    h = rng.standard_normal((6, 4))
    fig = plots.plot_hidden_states(h, inputs=np.arange(6.0), vmax=1)
    strip, heat = images(fig)
    assert strip.get_array().shape == (1, 6) and heat.get_array().shape == (4, 6)
    assert heat.get_clim() == (-1.0, 1.0)


def test_hidden_states_heatmap_has_a_colour_bar_over_the_colour_range(rng):
    h = np.tanh(rng.standard_normal((5, 3)))
    fig = plots.plot_hidden_states(h, vmax=1)
    heat, bar = fig.axes  # the heatmap and its colour bar
    assert bar.get_ylabel() == "$h_t$"
    assert bar.get_ylim() == (-1.0, 1.0)  # the bar spans the image's range
    assert heat.images[0].colorbar is not None
    plt.close(fig)


def test_hidden_states_names_the_steps_with_step_labels(rng):
    words = ["the", "movie", "was", "not", "good"]
    fig = plots.plot_hidden_states(rng.standard_normal((5, 3)), step_labels=words)
    ax = fig.axes[0]
    assert list(ax.get_xticks()) == [1, 2, 3, 4, 5]  # one tick per step, 1-based
    assert [t.get_text() for t in ax.get_xticklabels()] == words
    with pytest.raises(ValueError, match="step_labels must name the T = 5 steps"):
        plots.plot_hidden_states(rng.standard_normal((5, 3)), step_labels=words[:4])
    plt.close(fig)


def test_hidden_states_on_a_given_axes(rng):
    fig, ax = plt.subplots()
    assert (
        plots.plot_hidden_states(rng.standard_normal((5, 2)), ax=ax, colorbar=False)
        is fig
    )
    assert len(ax.images) == 1


def test_hidden_states_refuses_a_batch(rng):
    with pytest.raises(ValueError, match=r"h must have shape \(T, H\)"):
        plots.plot_hidden_states(rng.standard_normal((2, 5, 3)))


def test_plot_lines_draws_one_line_per_column():
    fig = plots.plot_lines(np.zeros((10, 3)), labels=["a", "b", "c"], hline=0.5)
    ax = fig.axes[0]
    assert len(ax.lines) == 3 + 1  # three columns and the dashed hline
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]


def test_plot_lines_accepts_a_dict_and_x():
    fig = plots.plot_lines({"tanh": [1, 2, 3], "relu": [1, 4, 9]}, x=[1, 2, 3])
    lines = fig.axes[0].lines
    assert len(lines) == 2 and list(lines[1].get_xdata()) == [1, 2, 3]


def test_plot_lines_refuses_mismatched_labels():
    with pytest.raises(ValueError, match="labels"):
        plots.plot_lines(np.zeros((4, 2)), labels=["only one"])


def test_plot_lines_draws_exact_zeros_on_the_floor_of_a_log_axis():
    g = np.array([1e-6, 1e-4, 0.0, 0.0, 1e-2])
    fig = plots.plot_lines({"gradient": g}, logy=True, zero_floor=1e-8)
    ax = fig.axes[0]
    line, zeros, floor = ax.lines
    assert np.array_equal(np.isnan(line.get_ydata()), g == 0)  # no fake values
    assert np.allclose(line.get_ydata()[g > 0], g[g > 0])
    assert list(zeros.get_xdata()) == [2, 3] and np.all(zeros.get_ydata() == 1e-8)
    assert zeros.get_marker() == "x" and zeros.get_color() == line.get_color()
    assert list(floor.get_ydata()) == [1e-8, 1e-8]
    assert "exactly 0" in [t.get_text() for t in ax.texts]
    assert ax.get_ylim()[0] < 1e-8  # the floor is inside the axes
    plt.close(fig)


def test_plot_lines_zero_floor_must_sit_below_the_data_on_a_log_axis():
    with pytest.raises(ValueError, match="below the smallest positive value"):
        plots.plot_lines([1e-3, 0.0, 1.0], logy=True, zero_floor=1e-2)
    with pytest.raises(ValueError, match="logy=True"):
        plots.plot_lines([1e-3, 0.0, 1.0], zero_floor=1e-6)
    with pytest.raises(ValueError, match="positive height"):
        plots.plot_lines([1e-3, 0.0, 1.0], logy=True, zero_floor=0.0)


def test_plot_trajectories_one_panel_per_entry(rng):
    fig = plots.plot_trajectories(
        {"tanh": rng.standard_normal((8, 4)), "relu": rng.standard_normal((8, 4))}
    )
    assert len(fig.axes) == 2
    assert [len(ax.lines) for ax in fig.axes] == [4, 4]
    assert [ax.get_title() for ax in fig.axes] == ["tanh", "relu"]


def test_moving_average_values():
    assert np.allclose(plots.moving_average([2, 4, 6, 8], 2), [2, 3, 5, 7])
    assert np.allclose(plots.moving_average([1, 2, 3], 1), [1, 2, 3])


def test_plot_curves_smoothing_draws_raw_and_smoothed():
    fig = plots.plot_curves({"loss": np.linspace(1, 0, 50)}, smooth=5, target=0.1)
    assert len(fig.axes[0].lines) == 2 + 1


def test_plot_training_curves_two_panels():
    fig = plots.plot_training_curves([1.0, 0.5, 0.2], accuracy=[0.5, 0.8, 1.0])
    assert len(fig.axes) == 2
    assert fig.axes[1].get_ylabel() == "accuracy"
    assert len(plots.plot_training_curves([1.0, 0.5]).axes) == 1


def test_plot_curves_at_given_steps():
    fig = plots.plot_curves(
        [0.5, 0.9, 1.0], x=[50, 100, 150], target=0.95, target_label="goal"
    )
    ax = fig.axes[0]
    assert list(ax.lines[0].get_xdata()) == [50, 100, 150]
    assert "goal" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_curves_labels_epochs_with_whole_numbers():
    fig = plots.plot_curves({"loss": np.linspace(8, 3, 20)}, x=np.arange(1, 21))
    fig.canvas.draw()
    ticks = fig.axes[0].get_xticks()
    assert len(ticks) >= 3 and np.all(ticks == np.round(ticks))  # no "2.5" epochs
    plt.close(fig)


def test_plot_curves_keeps_a_target_below_the_curve_inside_the_axes():
    fig = plots.plot_curves({"loss": np.linspace(8, 3, 20)}, target=2.0)
    low, high = fig.axes[0].get_ylim()
    assert low < 2.0 - 0.1 and high > 8.0  # the line is drawn with a margin
    plt.close(fig)


def test_plot_curves_refuses_x_of_the_wrong_length():
    with pytest.raises(ValueError, match="x must have 3 values"):
        plots.plot_curves([1, 2, 3], x=[1, 2])


def test_plot_training_curves_with_a_reference_and_sparse_accuracy():
    fig = plots.plot_training_curves(
        np.linspace(0.7, 0.1, 100),
        accuracy=[0.6, 0.9],
        accuracy_x=[50, 100],
        loss_reference=np.log(2),
        target_accuracy=0.95,
    )
    loss_ax, acc_ax = fig.axes
    assert len(loss_ax.lines) == 2  # the loss and the reference
    assert list(acc_ax.lines[0].get_xdata()) == [50, 100]
