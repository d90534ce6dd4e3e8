"""Figures for the course, drawn with matplotlib from real objects and numbers.

Each function returns a matplotlib Figure (and never calls plt.show(); the
notebook does).  Diagrams are drawn from an actual layer, so what the
picture shows (sizes, shared weights) is what the code does, with the one
drawing kit of drawing.py (boxes, arrows, colours).
"""

from .architectures import (
    plot_architecture_families,
    plot_bidirectional_rnn,
    plot_encoder_decoder,
    plot_reading,
    plot_stacked_rnn,
    plot_tag_probabilities,
)
from .attention import draw_attention_step, plot_attention
from .computation_graph import draw_computation_graph
from .drawing import box_edge, connect, draw_arrow, draw_box
from .frameworks_map import draw_frameworks_map
from .gradients import plot_accuracy_vs_gap, plot_gradient_norms, plot_loss_surface
from .language_model import plot_model_comparison, plot_unit_over_text
from .lstm_cell import draw_lstm_cell, lstm_gate_trace, plot_gate_activations
from .music import draw_piano_roll, piano_roll, piano_rolls
from .plots import (
    moving_average,
    plot_curves,
    plot_hidden_states,
    plot_lines,
    plot_training_curves,
    plot_trajectories,
)
from .rolled import describe_rnn, draw_rolled_rnn
from .unrolled import draw_rolled_and_unrolled, draw_unrolled_rnn

__all__ = [
    "draw_attention_step",
    "plot_attention",
    "plot_architecture_families",
    "plot_bidirectional_rnn",
    "plot_encoder_decoder",
    "plot_reading",
    "plot_stacked_rnn",
    "plot_tag_probabilities",
    "box_edge",
    "connect",
    "describe_rnn",
    "draw_arrow",
    "draw_box",
    "draw_computation_graph",
    "draw_rolled_and_unrolled",
    "draw_rolled_rnn",
    "draw_unrolled_rnn",
    "moving_average",
    "plot_curves",
    "plot_hidden_states",
    "plot_lines",
    "plot_training_curves",
    "plot_trajectories",
    "draw_frameworks_map",
    "plot_accuracy_vs_gap",
    "plot_gradient_norms",
    "plot_loss_surface",
    "draw_piano_roll",
    "piano_roll",
    "piano_rolls",
    "draw_lstm_cell",
    "lstm_gate_trace",
    "plot_gate_activations",
    "plot_model_comparison",
    "plot_unit_over_text",
]
