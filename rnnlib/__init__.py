"""rnnlib: a small NumPy library for learning recurrent neural networks.

Batch first: x (B, T, D), hidden states (B, T, H).  Weights in the notes'
orientation: W_hx (H, D), W_hh (H, H), b_h (H,), W_yh (O, H), b_y (O,).
"""

from .rnn import (
    RNN,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)

__all__ = [
    "RNN",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
]
