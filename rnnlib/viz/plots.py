"""Plots of numbers: hidden states over time, training curves, line plots.

    plot_hidden_states(h, inputs=x)          heatmap: hidden unit × time step
    plot_lines(ys, x=None, labels=...)       any family of curves on one Axes
    plot_trajectories({"tanh": h1, ...})     hidden trajectories, side by side
    plot_curves({"loss": losses}, smooth=20) training curves, raw and smoothed
    plot_training_curves(loss, accuracy)     loss and accuracy, two panels

Each returns a matplotlib Figure (the one of `ax` when given) and never
calls plt.show(); the notebook does.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from .drawing import new_axes


def _as_2d(name, a):
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        return a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (T,) or (T, K); got {a.shape}")
    return a


def plot_hidden_states(
    h,
    *,
    inputs=None,
    ax=None,
    title=None,
    vmax=None,
    cmap="RdBu_r",
    colorbar=True,
    xlabel="time step t",
    ylabel="hidden unit",
    step_labels=None,
):
    """Heatmap of one sequence's hidden states: units down, time across.

    h (T, H), e.g. rnn_forward(...)[0][b] for sequence b of a batch.
    Colours are centred on 0 (blue negative, red positive); vmax fixes the
    colour range (default max |h|, so tanh states use at most ±1).
    inputs (T,) or (T, D), optional: drawn as a strip above, on the same
    time axis.  Time steps are labelled 1 … T as in the notes, or by
    step_labels (T strings, e.g. the words read).  colorbar: a colour bar
    labelled $h_t$ beside the heatmap (and the input strip).
    Returns the Figure: one image for h (plus one for the inputs).
    """
    h, x = _check_hidden_states(h, inputs, step_labels)
    T, H = h.shape
    vmax = float(np.abs(h).max()) if vmax is None else float(vmax)
    vmax = vmax if vmax > 0 else 1.0
    fig, ax, ax_in = _hidden_state_axes(ax, T, H, x, step_labels)
    image = ax.imshow(
        h.T,
        aspect="auto",
        cmap=cmap,
        vmin=-vmax,
        vmax=vmax,
        extent=(0.5, T + 0.5, H + 0.5, 0.5),
        interpolation="nearest",
    )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if step_labels is not None:
        ax.set_xticks(np.arange(1, T + 1), [str(s) for s in step_labels])
        ax.tick_params(axis="x", labelrotation=30)
    if colorbar:  # beside both panels, so the time axes stay aligned
        owners = [ax] if ax_in is None or ax_in in ax.child_axes else [ax_in, ax]
        fig.colorbar(image, ax=owners, fraction=0.04, pad=0.02, label="$h_t$")
    if x is not None:
        _draw_input_strip(ax_in, x)
    if title:  # over the input strip when there is one
        (ax if ax_in is None else ax_in).set_title(title)
    return fig


def _check_hidden_states(h, inputs, step_labels):
    """(h as (T, H) floats, inputs as (T, D) floats or None), or a ValueError
    that says which argument does not match h's T steps."""
    h = np.asarray(h, dtype=float)
    if h.ndim != 2:
        raise ValueError(
            f"h must have shape (T, H), one sequence (use h[b] for a batch); got {h.shape}"
        )
    T = h.shape[0]
    x = None
    if inputs is not None:
        x = _as_2d("inputs", inputs)
        if x.shape[0] != T:
            raise ValueError(
                f"inputs must have T = {T} rows like h; got shape {np.shape(inputs)}"
            )
    if step_labels is not None and len(step_labels) != T:
        raise ValueError(
            f"step_labels must name the T = {T} steps; got {len(step_labels)} labels"
        )
    return h, x


def _hidden_state_axes(ax, T, H, x, step_labels):
    """(fig, ax for the heatmap, ax_in for the input strip or None).  A new
    figure is sized to T steps and H units (words need more room than step
    numbers); on a given Axes the strip is an inset above it."""
    if ax is not None:
        ax_in = None
        if x is not None:
            ax_in = ax.inset_axes([0.0, 1.04, 1.0, min(0.4, 0.08 * x.shape[1] + 0.06)])
        return ax.figure, ax, ax_in
    per_step = 0.28 if step_labels is None else 0.75  # words need room
    width = min(max(2.5 + per_step * T, 6.0 if step_labels else 0), 14)
    height = 1.2 + 0.22 * H + (0.5 if step_labels is not None else 0)
    if x is None:
        fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
        return fig, ax, None
    D = x.shape[1]
    fig, (ax_in, ax) = plt.subplots(
        2,
        1,
        figsize=(width, height + 0.35 + 0.22 * D),
        layout="constrained",
        sharex=True,
        gridspec_kw={"height_ratios": [max(D, 1), max(H, 1)]},
    )
    return fig, ax, ax_in


def _draw_input_strip(ax_in, x):
    """The inputs x (T, D) as a grey strip over the heatmap's time axis."""
    T, D = x.shape
    ax_in.imshow(
        x.T,
        aspect="auto",
        cmap="Greys",
        extent=(0.5, T + 0.5, D + 0.5, 0.5),
        interpolation="nearest",
    )
    ax_in.set_ylabel("$x_t$")
    ax_in.set_yticks([])
    ax_in.tick_params(labelbottom=False)


def plot_lines(
    ys,
    x=None,
    *,
    labels=None,
    ax=None,
    title=None,
    xlabel=None,
    ylabel=None,
    hline=None,
    logy=False,
    zero_floor=None,
    legend=None,
    **line_kwargs,
):
    """Generic line plot: one line per column of ys, or per entry of a dict.

    ys: (N,) one line; (N, K) K lines; or {label: (N,)}.  x: (N,) shared
    x values (default 0 … N-1).  labels: K names (a dict brings its own).
    hline: a y value (or a list) drawn dashed, e.g. a target accuracy.
    logy: a log y axis.  A log axis has no 0, so matplotlib silently drops
    values that are exactly 0; with zero_floor (a positive height below
    the data), they are drawn instead as × at that height, on a dotted line
    marked "exactly 0" (the line breaks there: the floor is not a value).
    legend: shown when there are labels and at most 12 lines (default).
    Extra keyword arguments go to ax.plot (e.g. lw=1, alpha=0.8).
    Returns the Figure.
    """
    labels, columns = _line_columns(ys, labels)
    if zero_floor is not None:
        _check_zero_floor(zero_floor, logy, columns)
    fig, ax, _ = new_axes(ax, (6, 3.4))
    for i, col in enumerate(columns):
        xs = np.arange(len(col)) if x is None else np.asarray(x)
        if len(xs) != len(col):
            raise ValueError(f"x must have {len(col)} values like ys; got {len(xs)}")
        label = None if labels is None else labels[i]
        _draw_line(ax, xs, col, label, zero_floor, line_kwargs)
    if zero_floor is not None:
        _draw_zero_floor(ax, float(zero_floor))
    for value in np.atleast_1d(hline) if hline is not None else []:
        ax.axhline(float(value), color="grey", linestyle="--", linewidth=1)
    if logy:
        ax.set_yscale("log")
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if legend is None:
        legend = labels is not None and len(columns) <= 12
    if legend:
        ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return fig


def _line_columns(ys, labels):
    """(labels, one float array per line) from a dict, a (N,) or an (N, K) array."""
    if isinstance(ys, dict):
        return list(ys), [np.asarray(v, dtype=float).ravel() for v in ys.values()]
    columns = list(_as_2d("ys", ys).T)
    if labels is not None and len(labels) != len(columns):
        raise ValueError(
            f"labels must name the {len(columns)} lines (columns of ys);"
            f" got {len(labels)} labels"
        )
    return labels, columns


def _check_zero_floor(zero_floor, logy, columns):
    """A zero floor goes with a log axis, and lies above 0 and below the data."""
    if not logy:
        raise ValueError("zero_floor is for a log axis: pass logy=True as well")
    if not zero_floor > 0:
        raise ValueError(f"zero_floor must be a positive height; got {zero_floor}")
    smallest = min((c[c > 0].min() for c in columns if (c > 0).any()), default=None)
    if smallest is not None and zero_floor >= smallest:
        raise ValueError(
            f"zero_floor must lie below the smallest positive value {smallest:.3g};"
            f" got {zero_floor:.3g}"
        )


def _draw_line(ax, xs, col, label, zero_floor, line_kwargs):
    """One line; with a zero floor its exact zeros are left out of it and
    drawn as × on the floor, in the line's colour (gid "exactly zero")."""
    zero = col == 0
    shown = np.where(zero, np.nan, col) if zero_floor is not None else col
    (line,) = ax.plot(xs, shown, label=label, **line_kwargs)
    if zero_floor is not None and zero.any():
        ax.plot(
            xs[zero],
            np.full(int(zero.sum()), float(zero_floor)),
            linestyle="none",
            marker="x",
            color=line.get_color(),
            gid="exactly zero",
        )


def _draw_zero_floor(ax, height):
    """The floor of a log axis: a dotted line at `height`, marked "exactly 0"."""
    ax.axhline(height, color="grey", linestyle=":", linewidth=1)
    ax.annotate(
        "exactly 0",
        (1.0, height),
        xycoords=("axes fraction", "data"),
        xytext=(-4, 4),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=9,
        color="grey",
    )


def plot_trajectories(
    trajectories, *, xlabel="time step t", ylabel="$h_t$", sharey=False, title=None
):
    """Hidden-state trajectories side by side, one panel per entry.

    trajectories: {panel title: array (T, H)}; each panel draws the H units
    over time (steps 1 … T).  sharey=False lets each panel choose its own
    scale, so a bounded and an exploding trajectory are both readable.
    Returns the Figure (one Axes per entry, H lines each).
    """
    if not isinstance(trajectories, dict) or not trajectories:
        raise TypeError("trajectories must be a non-empty dict {title: (T, H) array}")
    n = len(trajectories)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.2), sharey=sharey, squeeze=False)
    for ax, (name, h) in zip(axes[0], trajectories.items(), strict=True):
        h = _as_2d(f"trajectories[{name!r}]", h)
        plot_lines(
            h,
            x=np.arange(1, len(h) + 1),
            ax=ax,
            title=name,
            xlabel=xlabel,
            legend=False,
            lw=1.2,
        )
    axes[0, 0].set_ylabel(ylabel)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def moving_average(values, window):
    """Mean of the last `window` values at each point (fewer at the start)."""
    v = np.asarray(values, dtype=float)
    if window <= 1 or len(v) == 0:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    i = np.arange(1, len(v) + 1)
    lo = np.maximum(i - window, 0)
    return (c[i] - c[lo]) / (i - lo)


def plot_curves(
    curves,
    *,
    x=None,
    ax=None,
    xlabel="training step",
    ylabel=None,
    title=None,
    smooth=None,
    logy=False,
    target=None,
    target_label=None,
):
    """Training curves: loss or accuracy against steps (or epochs).

    curves: one sequence, or {name: sequence}.  x: the step of each value
    (default 0, 1, 2, …), e.g. np.arange(50, 1501, 50) for a value every 50
    steps.  smooth: a window; each curve is then drawn faint with its moving
    average on top.  target: a value drawn as a dashed line, labelled
    target_label (default "target <value>"), always inside the y range.
    When every x is a whole number (steps, epochs), the x ticks are whole
    numbers too.  Returns the Figure.
    """
    if not isinstance(curves, dict):
        curves = {ylabel or "value": curves}
    fig, ax, _ = new_axes(ax, (6, 3.4))
    whole_steps = True
    for i, (name, values) in enumerate(curves.items()):
        v = np.asarray(values, dtype=float).ravel()
        xs = np.arange(len(v)) if x is None else np.asarray(x, dtype=float)
        if len(xs) != len(v):
            raise ValueError(
                f"x must have {len(v)} values like curves[{name!r}]; got {len(xs)}"
            )
        whole_steps = whole_steps and bool(np.all(xs == np.round(xs)))
        color = f"C{i}"
        if smooth and smooth > 1:
            ax.plot(xs, v, color=color, alpha=0.25, lw=1)
            ax.plot(xs, moving_average(v, smooth), color=color, label=name, lw=1.8)
        else:
            ax.plot(xs, v, color=color, label=name, lw=1.6)
    if target is not None:
        ax.axhline(
            float(target),
            color="grey",
            linestyle="--",
            linewidth=1,
            label=target_label or f"target {target:g}",
        )
        # a dashed line at the very edge of the axes is easy to miss
        ax.update_datalim([(ax.dataLim.x0, float(target))])
        ax.autoscale_view()
    if whole_steps:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    return fig


def plot_training_curves(
    loss,
    accuracy=None,
    *,
    accuracy_x=None,
    smooth=None,
    loss_reference=None,
    reference_label="guessing",
    target_accuracy=None,
    xlabel="training step",
):
    """Loss (left) and, when given, accuracy (right) over training.

    loss: one value per step.  accuracy: one value per step, or per
    evaluation with accuracy_x the steps they were taken at.
    loss_reference: a loss value drawn dashed on the left, labelled
    reference_label (e.g. log 2, the loss of guessing 1/2 on a yes/no
    task).  target_accuracy: a dashed line on the right (e.g. 0.95).
    Returns the Figure (one or two Axes).
    """
    n = 1 if accuracy is None else 2
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 3.3), squeeze=False)
    plot_curves(
        {"loss": loss},
        ax=axes[0, 0],
        smooth=smooth,
        ylabel="loss",
        xlabel=xlabel,
        target=loss_reference,
        target_label=reference_label,
    )
    if accuracy is not None:
        plot_curves(
            {"accuracy": accuracy},
            x=accuracy_x,
            ax=axes[0, 1],
            smooth=smooth if accuracy_x is None else None,
            ylabel="accuracy",
            target=target_accuracy,
            xlabel=xlabel,
        )
        axes[0, 1].set_ylim(0, 1.02)
    fig.tight_layout()
    return fig
