"""The one registry of recurrent cells: a name for every recurrent layer.

    CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}

Every model that lets you choose its cell (`cell="lstm"`) builds its layer
with `recurrent_layer`; to add a cell, write its layer with the same API
(rnnlib/recurrent.py) and add it here.
"""

import numpy as np

from .checks import check_choice
from .gru import GRU
from .lstm import LSTM
from .rnn import RNN

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


def recurrent_layer(
    cell,
    input_size,
    hidden_size,
    num_layers=1,
    bidirectional=False,
    activation="tanh",
    forget_bias=1.0,
    seed=None,
    dtype=np.float64,
):
    """An RNN, LSTM or GRU layer, by name ("rnn", "lstm" or "gru").

    activation ("tanh" or "relu") goes to the RNN only, forget_bias to the
    LSTM only (see lstm.py); the GRU takes neither.
    """
    check_choice("cell", cell, tuple(CELLS))
    kwargs = {}
    if cell == "rnn":
        kwargs["activation"] = activation
    elif cell == "lstm":
        kwargs["forget_bias"] = forget_bias
    return CELLS[cell](
        input_size,
        hidden_size,
        num_layers=num_layers,
        bidirectional=bidirectional,
        seed=seed,
        dtype=dtype,
        **kwargs,
    )
