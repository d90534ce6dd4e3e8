"""The attention figures: drawn from the weights they are given."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from rnnlib.viz import draw_attention_step, plot_attention

WORDS = "three hundred and forty two".split()
WEIGHTS = np.array([0.05, 0.7, 0.1, 0.1, 0.05])


def by_gid(fig, prefix):
    artists = [a for ax in fig.axes for a in (*ax.patches, *ax.lines)]
    return {a.get_gid(): a for a in artists if (a.get_gid() or "").startswith(prefix)}


def test_attention_step_draws_a_key_a_bar_and_a_line_per_source_word():
    fig = draw_attention_step(WEIGHTS, WORDS, "4")
    assert isinstance(fig, Figure)
    assert len(by_gid(fig, "key:")) == len(by_gid(fig, "weight:")) == 5
    assert len(by_gid(fig, "line:")) == 5
    assert set(by_gid(fig, "query")) == {"query"}
    assert set(by_gid(fig, "context")) == {"context"}


def test_attention_step_bars_are_proportional_to_the_weights():
    bars = by_gid(draw_attention_step(WEIGHTS, WORDS), "weight:")
    heights = np.array([bars[f"weight:{s}"].get_height() for s in range(5)])
    assert np.abs(heights / heights.sum() - WEIGHTS).max() < 1e-12


def test_attention_step_lines_are_widest_for_the_largest_weight():
    lines = by_gid(draw_attention_step(WEIGHTS, WORDS), "line:")
    widths = [lines[f"line:{s}"].get_linewidth() for s in range(5)]
    assert int(np.argmax(widths)) == 1


def test_attention_heat_map_shows_the_weights_with_labelled_axes(rng):
    weights = rng.dirichlet(np.ones(5), size=4)
    fig = plot_attention(weights, WORDS, ["3", "4", "2", "<eos>"])
    ax = fig.axes[0]
    image = ax.images[0]
    assert np.array_equal(image.get_array(), weights)
    assert image.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == WORDS
    assert [t.get_text() for t in ax.get_yticklabels()] == ["3", "4", "2", "<eos>"]


def test_attention_heat_map_names_weights_of_the_wrong_shape(rng):
    with pytest.raises(
        ValueError, match=r"weights must have shape \(T, S\) = \(4, 5\); got \(5, 4\)"
    ):
        plot_attention(rng.random((5, 4)), WORDS, ["3", "4", "2", "<eos>"])


def test_attention_step_names_weights_of_the_wrong_length():
    with pytest.raises(
        ValueError, match=r"weights must have shape \(S,\) = \(5,\); got \(4,\)"
    ):
        draw_attention_step(WEIGHTS[:4], WORDS)
