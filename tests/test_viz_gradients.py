"""The long-term dependency figures: one line per curve, paths on the surface."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from rnnlib.longterm import (
    gradient_descent_path,
    one_unit_rnn_loss,
    recurrent_matrix,
    rnn_gradient_norms,
    singular_value_bound,
)
from rnnlib.viz import (
    plot_accuracy_vs_gap,
    plot_gradient_norms,
    plot_loss_surface,
)


def lines(fig, prefix):
    return [
        line
        for ax in fig.axes
        for line in ax.get_lines()
        if (line.get_gid() or "").startswith(prefix)
    ]


@pytest.fixture
def norms_and_bounds():
    radii = [0.5, 1.0, 3.0]
    norms, bounds = {}, {}
    for r in radii:
        W = recurrent_matrix(8, r, seed=0)
        norms[f"radius {r}"] = rnn_gradient_norms(W, num_steps=20, batch_size=4)
        bounds[f"radius {r}"] = singular_value_bound(W, np.arange(20))
    return norms, bounds


def test_gradient_norms_draw_one_line_and_one_bound_per_radius(norms_and_bounds):
    norms, bounds = norms_and_bounds
    fig = plot_gradient_norms(norms, bounds)
    assert isinstance(fig, Figure)
    assert len(lines(fig, "norm:")) == 3
    assert len(lines(fig, "bound:")) == 3
    assert fig.axes[0].get_yscale() == "log"


def test_gradient_norm_lines_hold_the_measured_numbers(norms_and_bounds):
    norms, _ = norms_and_bounds
    fig = plot_gradient_norms(norms)
    (line,) = [ln for ln in lines(fig, "norm:") if ln.get_gid() == "norm:radius 0.5"]
    np.testing.assert_array_equal(line.get_ydata(), norms["radius 0.5"])
    assert lines(fig, "bound:") == []


def test_gradient_norm_y_range_follows_the_measurements(norms_and_bounds):
    norms, bounds = norms_and_bounds
    fig = plot_gradient_norms(norms, bounds)
    low, high = fig.axes[0].get_ylim()
    values = np.concatenate(list(norms.values()))
    assert low <= values.min() and high >= values.max()
    assert high < max(b.max() for b in bounds.values())  # the 3^k bound is cut


@pytest.fixture
def surface():
    W, B = np.meshgrid(np.linspace(0.5, 3, 40), np.linspace(-1, 0.5, 30))
    loss, _, _ = one_unit_rnn_loss(W, B, num_steps=15)
    return W, B, loss


@pytest.fixture
def paths():
    """Gradient descent from (w, b) = (1.7, -0.1), plain and clipped."""
    return {
        "plain": gradient_descent_path((1.7, -0.1), lr=0.05, steps=40, num_steps=15),
        "clipped": gradient_descent_path(
            (1.7, -0.1), lr=0.05, steps=40, max_norm=1.0, num_steps=15
        ),
    }


def test_loss_surface_draws_the_grid_and_every_path(surface, paths):
    W, B, loss = surface
    fig = plot_loss_surface(W, B, loss, paths)
    ax = fig.axes[0]
    assert [c.get_gid() for c in ax.collections] == ["surface"]
    assert {ln.get_gid() for ln in lines(fig, "path:")} == {
        "path:plain",
        "path:clipped",
    }
    np.testing.assert_array_equal(
        lines(fig, "path:clipped")[0].get_xdata(), paths["clipped"].points[:, 0]
    )


def test_loss_surface_notes_where_a_path_leaves_the_grid(surface, paths):
    W, B, loss = surface
    fig = plot_loss_surface(W, B, loss, {"plain": paths["plain"]})
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert any("jumps off the grid" in t for t in notes)
    assert fig.axes[0].get_xlim() == (0.5, 3.0)


def test_loss_surface_accepts_plain_arrays_and_checks_shapes(surface):
    W, B, loss = surface
    fig = plot_loss_surface(W, B, loss, {"a path": np.array([[1.0, 0.0], [1.1, -0.1]])})
    assert len(lines(fig, "path:")) == 1
    with pytest.raises(ValueError, match="one shape"):
        plot_loss_surface(W, B, loss[:-1])


def test_accuracy_vs_gap_draws_a_mean_line_and_seed_dots_per_model():
    gaps = np.array([5, 10, 20])
    acc = {
        "RNN": np.array([[1.0, 0.9], [0.8, 0.6], [0.5, 0.5]]),
        "LSTM": np.ones((3, 2)),
    }
    fig = plot_accuracy_vs_gap(gaps, acc)
    ax = fig.axes[0]
    (rnn_line,) = lines(fig, "accuracy:RNN")
    np.testing.assert_allclose(rnn_line.get_ydata(), [0.95, 0.7, 0.5])
    assert len(lines(fig, "accuracy:")) == 2
    dots = [c for c in ax.collections if (c.get_gid() or "").startswith("seeds:")]
    assert len(dots) == 2 and len(dots[0].get_offsets()) == 6
    assert lines(fig, "chance")[0].get_ydata()[0] == 0.5


def test_accuracy_vs_gap_checks_the_number_of_gaps():
    with pytest.raises(ValueError, match="len\\(gaps\\)"):
        plot_accuracy_vs_gap([5, 10], {"RNN": np.ones((3, 2))})


def test_gradient_norms_y_label_can_name_another_gradient(norms_and_bounds):
    norms, _ = norms_and_bounds
    default = plot_gradient_norms(norms).axes[0].get_ylabel()
    assert r"\partial h" in default
    label = "gradient size at distance k / at the read-out"
    fig = plot_gradient_norms(norms, ylabel=label)
    assert fig.axes[0].get_ylabel() == label


def _path_points_in_pixels(ax, line, samples=400):
    """Points along every segment of a line, inside the axes, in pixels."""
    xy = np.column_stack([line.get_xdata(), line.get_ydata()])
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    t = np.linspace(0, 1, samples)[:, None]
    points = np.concatenate(
        [a + t * (b - a) for a, b in zip(xy[:-1], xy[1:], strict=True)]
    )
    inside = (
        (points[:, 0] >= x0)
        & (points[:, 0] <= x1)
        & (points[:, 1] >= y0)
        & (points[:, 1] <= y1)
    )
    return ax.transData.transform(points[inside])


def test_loss_surface_jump_note_is_clear_of_every_path(surface, paths):
    W, B, loss = surface
    fig = plot_loss_surface(W, B, loss, paths)
    fig.canvas.draw()
    ax = fig.axes[0]
    (note,) = [t for t in ax.texts if t.get_gid() == "jump:plain"]
    box = note.get_bbox_patch().get_window_extent()
    for line in lines(fig, "path:"):
        pixels = _path_points_in_pixels(ax, line)
        crossing = (
            (pixels[:, 0] > box.x0)
            & (pixels[:, 0] < box.x1)
            & (pixels[:, 1] > box.y0)
            & (pixels[:, 1] < box.y1)
        )
        assert not crossing.any(), f"{line.get_gid()} runs through the note"


def test_loss_surface_jump_note_writes_where_the_path_landed(surface, paths):
    W, B, loss = surface
    plain = paths["plain"]
    fig = plot_loss_surface(W, B, loss, {"plain": plain})
    (note,) = [t for t in fig.axes[0].texts if t.get_gid() == "jump:plain"]
    below = (plain.points[:, 1] < -1).argmax()  # the first point off the grid
    w_out, b_out = plain.points[below]
    assert f"step {below} " in note.get_text()
    assert f"w = {w_out:.1f}, b = {b_out:.1f}" in note.get_text()
    np.testing.assert_allclose(note.xy, plain.points[below - 1])
