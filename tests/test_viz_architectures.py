"""The architecture diagrams: one box per vector, one arrow per weight use."""

import numpy as np
import pytest

from rnnlib import RNN, SequenceLabeler
from rnnlib.viz import architectures


def panel_counts(ax, gid):
    return sum(1 for p in ax.patches if p.get_gid() == gid)


@pytest.fixture(scope="module")
def families():
    return architectures.plot_architecture_families(steps=3)


def test_families_figure_has_five_panels_in_order(families):
    titles = [ax.get_title() for ax in families.axes]
    assert titles == [
        "one-to-one",
        "one-to-many",
        "many-to-one",
        "many-to-many, equal lengths",
        "many-to-many, different lengths",
    ]


@pytest.mark.parametrize(
    ("panel", "x", "h", "y", "recurrent"),
    [
        (0, 1, 1, 1, 0),  # one-to-one: no recurrence at all
        (1, 1, 3, 3, 2),
        (2, 3, 3, 1, 2),
        (3, 3, 3, 3, 2),
        (4, 3, 5, 2, 3),  # encoder 3 steps, decoder 2, one context arrow
    ],
)
def test_families_panels_have_the_right_boxes_and_arrows(
    families, panel, x, h, y, recurrent
):
    ax = families.axes[panel]
    assert panel_counts(ax, "node:x") == x
    assert panel_counts(ax, "node:h") == h
    assert panel_counts(ax, "node:y") == y
    assert panel_counts(ax, "arrow:recurrent") == recurrent
    assert panel_counts(ax, "arrow:input") == x
    assert panel_counts(ax, "arrow:output") == y


def test_stacked_rnn_has_a_grid_of_states():
    # drawn by draw_unrolled_rnn, so its boxes carry that diagram's gids
    fig = architectures.plot_stacked_rnn(num_layers=3, steps=4)
    assert architectures.count_artists(fig, "box:cell") == 12
    assert architectures.count_artists(fig, "arrow:recurrent") == 3 * 3
    assert architectures.count_artists(fig, "arrow:layer") == 2 * 4
    assert architectures.count_artists(fig, "box:output") == 4


def test_stacked_rnn_reads_num_layers_from_a_layer_or_model():
    assert (
        architectures.count_artists(
            architectures.plot_stacked_rnn(layer=RNN(2, 3, num_layers=2), steps=3),
            "box:cell",
        )
        == 6
    )
    model = SequenceLabeler(2, 3, 2, num_layers=1)
    assert (
        architectures.count_artists(
            architectures.plot_stacked_rnn(layer=model, steps=3), "box:cell"
        )
        == 3
    )


def test_stacked_rnn_names_each_layers_weights_with_their_shapes():
    fig = architectures.plot_stacked_rnn(layer=RNN(4, 5, num_layers=3, seed=0), steps=4)
    texts = [t.get_text() for t in fig.axes[0].texts]
    for k in (1, 2, 3):
        assert sum(f"W_{{hx}}^{{({k})}}" in t for t in texts) == 1
        assert sum(f"W_{{hh}}^{{({k})}}" in t for t in texts) == 1
    assert any(r"5\times4" in t for t in texts)  # layer 1 reads x_t (D = 4)


def test_bidirectional_rnn_has_two_chains_and_two_inputs_per_output():
    fig = architectures.plot_bidirectional_rnn(steps=5)
    assert architectures.count_artists(fig, "box:cell") == 10
    assert architectures.count_artists(fig, "arrow:recurrent") == 2 * 4
    assert architectures.count_artists(fig, "arrow:output") == 2 * 5
    assert architectures.count_artists(fig, "arrow:input") == 2 * 5


def test_bidirectional_rnn_uses_tokens_and_refuses_a_unidirectional_layer():
    fig = architectures.plot_bidirectional_rnn(tokens="ACG")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"A", "C", "G"} <= texts
    with pytest.raises(ValueError, match="bidirectional"):
        architectures.plot_bidirectional_rnn(layer=RNN(2, 3))


def test_encoder_decoder_has_a_context_and_feedback_arrows():
    fig = architectures.plot_encoder_decoder(("three", "hundred"), ("3", "0", "0"))
    # c is the encoder's last state h_S, not a box of its own
    assert architectures.count_artists(fig, "node:c") == 0
    assert architectures.count_artists(fig, "node:h") == 2 + 3
    assert "$h_2 = c$" in {t.get_text() for t in fig.axes[0].texts}
    assert architectures.count_artists(fig, "arrow:context") == 1
    assert architectures.count_artists(fig, "arrow:feedback") == 2
    no_feedback = architectures.plot_encoder_decoder(
        ("a",), ("b", "c"), feed_back=False
    )
    assert architectures.count_artists(no_feedback, "arrow:feedback") == 0


def test_plot_reading_draws_one_point_per_word_and_a_heatmap():
    tokens = "it was not bad".split()
    fig = architectures.plot_reading(
        tokens, [0.5, 0.5, 0.2, 0.9], states=np.zeros((4, 6))
    )
    line = fig.axes[0].lines[-1]
    assert np.allclose(line.get_ydata(), [0.5, 0.5, 0.2, 0.9])
    assert fig.axes[1].images[0].get_array().shape == (6, 4)
    colorbars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(colorbars) == 1 and colorbars[0].get_ylabel() == "$h_t$"
    with pytest.raises(ValueError, match="probs"):
        architectures.plot_reading(tokens, [0.5, 0.5])


def test_plot_tag_probabilities_draws_one_line_per_curve():
    states = np.array([0, 0, 1, 1, 0])
    fig = architectures.plot_tag_probabilities(
        states, {"a": np.full(5, 0.3), "b": np.full(5, 0.6)}
    )
    assert len([ln for ln in fig.axes[0].lines if ln.get_label() in "ab"]) == 2
    with pytest.raises(ValueError, match="curves"):
        architectures.plot_tag_probabilities(states, {"a": np.zeros(4)})


def test_plot_tag_probabilities_applies_styles():
    states = np.array([0, 1, 1])
    fig = architectures.plot_tag_probabilities(
        states, {"exact": np.full(3, 0.5)}, styles={"exact": {"linestyle": "--"}}
    )
    (line,) = [ln for ln in fig.axes[0].lines if ln.get_label() == "exact"]
    assert line.get_linestyle() == "--"


def test_encoder_decoder_names_each_network_over_its_own_columns():
    fig = architectures.plot_encoder_decoder(("a", "b", "c"), ("1", "2"))
    ax = fig.axes[0]
    x_of = {t.get_text(): t.get_position() for t in ax.texts}
    inputs = [
        p.get_x() + p.get_width() / 2 for p in ax.patches if p.get_gid() == "node:x"
    ]
    outputs = [
        p.get_x() + p.get_width() / 2 for p in ax.patches if p.get_gid() == "node:y"
    ]
    (enc_x, enc_y), (dec_x, dec_y) = x_of["encoder"], x_of["decoder"]
    assert min(inputs) <= enc_x <= max(inputs), "encoder over the inputs"
    assert min(outputs) <= dec_x <= max(outputs), "decoder over the outputs"
    tops = [
        p.get_y() + p.get_height()
        for p in ax.patches
        if (p.get_gid() or "").startswith("node:")
    ]
    assert enc_y > max(tops) and dec_y > max(tops), "both names above every box"
