"""Figures for the long-term dependency problem (see rnnlib/longterm.py).

    plot_gradient_norms(norms, bounds=None)     ||dL/dh_t|| (or any gradient's
                                                size) against the distance to
                                                the loss, log scale
    plot_loss_surface(w, b, loss, paths=None)   the one-unit RNN's loss cliff,
                                                with gradient-descent paths
    plot_accuracy_vs_gap(gaps, accuracy)        accuracy against the gap, one
                                                curve per model, a dot per seed

Every function returns a matplotlib Figure and does not call plt.show().
Artists carry a gid so tests and readers can find them: "norm:<label>",
"bound:<label>", "path:<label>", "jump:<label>" (the note where a path
leaves the grid), "accuracy:<label>", "seeds:<label>", "chance", "surface".
"""

import matplotlib.pyplot as plt
import numpy as np

from .drawing import new_axes

HIDDEN_GRADIENT_LABEL = (
    r"$\|\partial L/\partial h_{T-k}\| \;/\; \|\partial L/\partial h_T\|$"
)


def plot_gradient_norms(norms, bounds=None, ax=None, title=None, ylabel=None):
    """Gradient size against the distance k from the loss, on a log scale.

    norms   {label: (K,) array}, norms[k] = ||dL/dh_{T-1-k}|| / ||dL/dh_{T-1}||
            (from rnnlib.longterm.rnn_gradient_norms), one solid line each.
    bounds  optional {label: (K,) array}, e.g. sigma_max^k from
            singular_value_bound, drawn dashed in the colour of the same label.
    ylabel  the y-axis label; by default ||dL/dh_{T-k}|| / ||dL/dh_T||, the
            hidden-state gradient.  Pass another when a curve is not that one
            (an LSTM's dL/dc_t, say), so the axis names every curve.
    The y-range follows the measured norms (a bound that leaves it is cut).
    """
    fig, ax, _ = new_axes(ax, (6.5, 4))
    bounds = bounds or {}
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, max(len(norms), 1)))
    finite = []
    for color, (label, values) in zip(colors, norms.items(), strict=False):
        values = np.asarray(values, dtype=float)
        (line,) = ax.plot(
            np.arange(len(values)), values, color=color, lw=2, label=label
        )
        line.set_gid(f"norm:{label}")
        finite.append(values[values > 0])
        if label in bounds:
            b = np.asarray(bounds[label], dtype=float)
            (bl,) = ax.plot(np.arange(len(b)), b, color=color, lw=1.2, ls="--")
            bl.set_gid(f"bound:{label}")
    ax.set_yscale("log")
    if finite:
        values = np.concatenate(finite)
        ax.set_ylim(values.min() / 10, values.max() * 10)
    ax.set_xlabel("distance k from the loss (steps back)")
    ax.set_ylabel(HIDDEN_GRADIENT_LABEL if ylabel is None else ylabel)
    if bounds:
        ax.plot([], [], color="0.4", ls="--", label=r"bound $\sigma_{\max}^k$")
    ax.legend(fontsize=9, loc="best")
    ax.grid(True, which="major", alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def _path_points(path):
    """(N, 2) points from a DescentPath or an array."""
    return np.asarray(getattr(path, "points", path), dtype=float)


def plot_loss_surface(w, b, loss, paths=None, ax=None, title=None):
    """The loss over a grid of (w, b), with descent paths drawn on it.

    w, b, loss  2-D arrays of the same shape (np.meshgrid of w and b values,
                and one_unit_rnn_loss on them).
    paths       optional {label: DescentPath or (N, 2) array of (w, b)}.
    A path that leaves the grid is cut at its edge, and where it went is
    written in a bottom corner clear of the path ("step 13 jumps off the
    grid, to w = -3.6, b = -10.9"), with an arrow to its last point inside.
    """
    fig, ax, _ = new_axes(ax, (6.5, 4.8))
    w, b, loss = (np.asarray(a, dtype=float) for a in (w, b, loss))
    if not (w.shape == b.shape == loss.shape and w.ndim == 2):
        raise ValueError(
            f"w, b and loss must be 2-D arrays of one shape; got {w.shape}, {b.shape}, "
            f"{loss.shape}"
        )
    mesh = ax.pcolormesh(w, b, loss, cmap="viridis", shading="auto")
    mesh.set_gid("surface")
    fig.colorbar(mesh, ax=ax, label="loss")
    xlim, ylim = (w.min(), w.max()), (b.min(), b.max())
    styles = [("#ff7f0e", "o"), ("#00e5ff", "s"), ("#d62728", "^")]
    for (color, marker), (label, path) in zip(
        styles, (paths or {}).items(), strict=False
    ):
        pts = _path_points(path)
        (line,) = ax.plot(
            pts[:, 0],
            pts[:, 1],
            color=color,
            marker=marker,
            ms=3.5,
            lw=1.5,
            label=label,
        )
        line.set_gid(f"path:{label}")
        ax.plot(*pts[0], marker="*", ms=12, color=color, mec="k", zorder=4)
        outside = (
            (pts[:, 0] < xlim[0])
            | (pts[:, 0] > xlim[1])
            | (pts[:, 1] < ylim[0])
            | (pts[:, 1] > ylim[1])
        )
        if outside.any():
            k = int(np.argmax(outside))
            _note_jump(ax, label, k, pts[k - 1], pts[k], xlim, ylim, color)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("w (recurrent weight)")
    ax.set_ylabel("b (bias)")
    if paths:
        ax.legend(fontsize=9, loc="upper right")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def _note_jump(ax, label, k, inside, outside, xlim, ylim, color):
    """Write where a path went when step k left the grid, with an arrow to the
    last point inside.  The note sits in the bottom corner away from where the
    path crosses the frame, on an opaque box drawn above every line, so no
    path runs through its digits ("-10.9" must not read as "-10,9").
    """
    # where the segment inside -> outside crosses the frame, as an axes fraction
    t = 1.0
    for lo, hi, a, b in [
        (*xlim, inside[0], outside[0]),
        (*ylim, inside[1], outside[1]),
    ]:
        for edge in (lo, hi):
            if (b - edge) * (a - edge) < 0:
                t = min(t, (edge - a) / (b - a))
    exit_x = (inside[0] + t * (outside[0] - inside[0]) - xlim[0]) / (xlim[1] - xlim[0])
    right = exit_x < 0.5
    note = ax.annotate(
        f"{label}: step {k} jumps off the grid,\nto w = {outside[0]:.1f}, "
        f"b = {outside[1]:.1f}",
        xy=inside,
        xytext=(0.97 if right else 0.03, 0.05),
        textcoords="axes fraction",
        ha="right" if right else "left",
        multialignment="left",
        color=color,
        fontsize=9,
        zorder=6,
        arrowprops=dict(arrowstyle="->", color=color, shrinkA=2, shrinkB=4),
        bbox=dict(boxstyle="round", fc="0.15", ec=color, alpha=1.0),
    )
    note.set_gid(f"jump:{label}")
    return note


def plot_accuracy_vs_gap(gaps, accuracy, chance=0.5, ax=None, title=None):
    """Test accuracy against the gap, one curve per model.

    gaps      (G,) the gaps trained on.
    accuracy  {label: (G, S) array}, accuracy[i, j] for gaps[i] and seed j
              (SweepResult.accuracy); the line joins the means over seeds,
              the dots are the seeds.
    chance    drawn as a dotted line (None to leave it out).
    """
    fig, ax, _ = new_axes(ax, (6.5, 4))
    gaps = np.asarray(gaps)
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    for i, (label, acc) in enumerate(accuracy.items()):
        acc = np.asarray(acc, dtype=float)
        if acc.ndim == 1:
            acc = acc[:, None]
        if acc.shape[0] != len(gaps):
            raise ValueError(
                f"accuracy[{label!r}] must have shape (G, S) with G = len(gaps) = "
                f"{len(gaps)}; got {acc.shape}"
            )
        color = colors[i % len(colors)]
        (line,) = ax.plot(gaps, acc.mean(axis=1), "-o", color=color, lw=2, label=label)
        line.set_gid(f"accuracy:{label}")
        jitter = 1 + 0.04 * (np.arange(acc.shape[1]) - (acc.shape[1] - 1) / 2)
        dots = ax.scatter(
            (gaps[:, None] * jitter).ravel(), acc.ravel(), color=color, alpha=0.35, s=18
        )
        dots.set_gid(f"seeds:{label}")
    if chance is not None:
        ax.axhline(chance, color="0.5", ls=":", lw=1.5, label="chance", gid="chance")
    ax.set_xscale("log", base=2)
    ax.set_xticks(gaps)
    ax.set_xticklabels([str(g) for g in gaps])
    ax.set_ylim(0.4, 1.03)
    ax.set_xlabel("gap T (steps between the signal and the read-out)")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=9, loc="lower left")
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
