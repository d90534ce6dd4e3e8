"""Figures for attention: one attention step as a picture, and the weights
of a whole translation as a heat map (rnnlib/attention.py computes them)."""

import matplotlib.pyplot as plt
import numpy as np

from .drawing import FILL, PALETTE, draw_box, frame_axes, new_axes

# the course's palette (drawing.py): keys and query are hidden states
KEY_COLOR = FILL["cell"]
QUERY_COLOR = FILL["cell"]
CONTEXT_COLOR = FILL["context"]
WEIGHT_COLOR = PALETTE["context"][0]  # the weights make the context


def _check_weights(weights, rows, columns, layout):
    weights = np.asarray(weights, dtype=float)
    expected = tuple(len(x) for x in (rows, columns) if x is not None)
    if weights.shape != expected:
        raise ValueError(
            f"weights must have shape {layout} = {expected}; got {weights.shape}"
        )
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("weights must be finite and >= 0 (attention weights)")
    return weights


def _box(ax, x, y, text, color, gid, width=0.9, height=0.55, fontsize=12):
    """A state vector: a square-cornered box with its name."""
    draw_box(
        ax,
        (x, y),
        text,
        width=width,
        height=height,
        color=color,
        edgecolor="black",
        style="square",
        pad=0,
        zorder=1,
        fontsize=fontsize,
        gid=gid,
    )


# the rows of the picture: encoder states, weight bars, decoder state
KEYS_Y, BARS_Y, TOP_Y = 0.0, 1.0, 3.6


def draw_attention_step(weights, source_tokens, output_token=None, ax=None):
    """One decoder step attending to the encoder states, drawn to scale.

    Bottom: the encoder states k_1 … k_S above their source words.  Middle:
    the weights a_{t,s} as bars (the numbers printed on them).  Top: the
    decoder state s_t (the query), and the context c_t = sum_s a_{t,s} k_s,
    with a line from each k_s whose width is proportional to a_{t,s}.

    weights (S,): one row of attention weights (e.g. model.attention_weights
    [b, t, :S]); source_tokens: S words; output_token: the token written at
    this step (shown above s_t), optional.  Returns the Figure.
    """
    weights = _check_weights(weights, source_tokens, None, "(S,)")
    S = len(source_tokens)
    fig, ax, made_here = new_axes(ax, (max(6.0, 1.25 * S + 2.5), 4.6))
    xs = np.arange(S, dtype=float) * 1.2
    middle = xs.mean()
    for s, (x, word, a) in enumerate(zip(xs, source_tokens, weights, strict=True)):
        _draw_key(ax, s, x, word, a, middle)
    _box(ax, middle, TOP_Y, "$c_t$", CONTEXT_COLOR, "context")
    query_x = xs[0] - 1.4
    _draw_query(ax, query_x, xs[0], output_token)
    _write_equations(ax, xs[-1], middle)
    frame_axes(ax, (query_x - 1.6, xs[-1] + 2.8), (KEYS_Y - 1.1, TOP_Y + 0.9))
    if made_here:
        fig.tight_layout()
    return fig


def _draw_key(ax, s, x, word, a, middle):
    """Encoder state k_{s+1} at x over its word, its weight a as a bar with
    the number under it, and a line to the context at `middle` as wide as a."""
    _box(ax, x, KEYS_Y, f"$k_{{{s + 1}}}$", KEY_COLOR, f"key:{s}")
    ax.text(x, KEYS_Y - 0.55, word, ha="center", va="top", fontsize=10)
    ax.add_patch(
        plt.Rectangle(
            (x - 0.3, BARS_Y),
            0.6,
            1.4 * a,
            facecolor=WEIGHT_COLOR,
            alpha=0.8,
            gid=f"weight:{s}",
        )
    )
    ax.text(x, BARS_Y - 0.08, f"{a:.2f}", ha="center", va="top", fontsize=8)
    ax.plot(
        [x, middle],
        [KEYS_Y + 0.28, TOP_Y - 0.28],
        color=WEIGHT_COLOR,
        linewidth=0.3 + 6.0 * a,
        alpha=0.25 + 0.75 * a,
        zorder=0,
        gid=f"line:{s}",
    )


def _draw_query(ax, query_x, first_key_x, output_token):
    """The decoder state s_t (the query) at the top left, a dashed arrow to
    the weights it scores, and the token it writes above it."""
    _box(ax, query_x, TOP_Y, "$s_t$", QUERY_COLOR, "query")
    ax.annotate(
        "",
        xy=(first_key_x - 0.45, BARS_Y + 0.7),
        xytext=(query_x, TOP_Y - 0.3),
        arrowprops={"arrowstyle": "->", "color": "gray", "linestyle": "--"},
    )
    ax.text(
        query_x - 0.1,
        (TOP_Y + BARS_Y) / 2 + 0.3,
        "scores\n$e_{t,s}$",
        ha="right",
        va="center",
        fontsize=9,
        color="gray",
    )
    if output_token is not None:
        ax.text(
            query_x,
            TOP_Y + 0.45,
            f"writes '{output_token}'",
            ha="center",
            va="bottom",
            fontsize=10,
        )


def _write_equations(ax, last_key_x, middle):
    """a = softmax(e) right of the bars, c_t = sum a k right of the context."""
    ax.text(
        last_key_x + 0.7,
        BARS_Y + 0.7,
        "$a_{t,s}$ = softmax$_s(e_{t,s})$",
        ha="left",
        va="center",
        fontsize=10,
    )
    ax.text(
        middle + 0.6,
        TOP_Y,
        r"$c_t = \sum_s a_{t,s}\, k_s$",
        ha="left",
        va="center",
        fontsize=10,
    )


def plot_attention(weights, source_tokens, output_tokens, ax=None, title=None):
    """A heat map of attention weights: one row per output token, one
    column per source token, darker = more weight (0 … 1).

    weights (T, S), e.g. model.attention_weights[b, :T, :S] or one array of
    greedy_decode(..., return_attention=True).  Returns the Figure.
    """
    weights = _check_weights(weights, output_tokens, source_tokens, "(T, S)")
    T, S = weights.shape
    fig, ax, made_here = new_axes(ax, (1.0 + 0.62 * S, 1.2 + 0.45 * T))
    image = ax.imshow(weights, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(source_tokens)), source_tokens, rotation=60, ha="right")
    ax.set_yticks(range(len(output_tokens)), output_tokens)
    ax.set_xlabel("source word (attended to)")
    ax.set_ylabel("output token (writing)")
    if title:
        ax.set_title(title, fontsize=11)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="$a_{t,s}$")
    if made_here:
        fig.tight_layout()
    return fig
