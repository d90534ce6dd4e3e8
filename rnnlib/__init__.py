"""rnnlib: a small NumPy library for learning recurrent neural networks.

Batch first: x (B, T, D), hidden states (B, T, H).  Weights in the notes'
orientation: W_hx (H, D), W_hh (H, H), b_h (H,), W_yh (O, H), b_y (O,).

dtypes: float64 by default.  Layers and models compute in their input's
dtype (float32 in, float32 out) and keep their parameters' dtype for the
gradients; the functional core follows NumPy's promotion (float32 arrays in,
float32 out; a float64 array among them makes it float64).
"""

from . import datasets, frameworks, gradcheck, longterm, optim
from .activations import (
    log_softmax,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softmax,
    softmax_backward,
    tanh,
    tanh_derivative,
)
from .attention import (
    AdditiveAttention,
    DotProductAttention,
    additive_scores_backward,
    additive_scores_forward,
    attention_backward,
    attention_forward,
    context_backward,
    context_forward,
    dot_scores_backward,
    dot_scores_forward,
    masked_softmax_backward,
    masked_softmax_forward,
)
from .attention_seq2seq import AttentionEncoderDecoder
from .cells import CELLS, recurrent_layer
from .gradcheck import check_layer_gradients, numerical_gradient, rel_error
from .gru import (
    GRU,
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
)
from .init import as_rng, orthogonal, xavier_uniform
from .language_model import LanguageModel
from .layers import (
    Dense,
    Embedding,
    dense_backward,
    dense_forward,
    embedding_backward,
    embedding_forward,
)
from .losses import bce_with_logits, softmax_cross_entropy
from .lstm import (
    LSTM,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from .mlp import MLP, mlp_backward, mlp_forward
from .models import BagOfWordsClassifier, SequenceClassifier, SequenceLabeler
from .ngram import NGramModel
from .optim import SGD, Adam, clip_grad_norm
from .rnn import (
    RNN,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from .sampling import sample_from_logits
from .seq2seq import EncoderDecoder, exact_match
from .train import fit, per_token_means, train_encoder_decoder, train_language_model

__all__ = [
    "MLP",
    "mlp_backward",
    "mlp_forward",
    "SGD",
    "Adam",
    "Dense",
    "Embedding",
    "as_rng",
    "bce_with_logits",
    "check_layer_gradients",
    "clip_grad_norm",
    "dense_backward",
    "dense_forward",
    "embedding_backward",
    "embedding_forward",
    "numerical_gradient",
    "datasets",
    "gradcheck",
    "optim",
    "viz",
    "frameworks",
    "longterm",
    "orthogonal",
    "rel_error",
    "log_softmax",
    "relu",
    "relu_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "softmax",
    "softmax_backward",
    "softmax_cross_entropy",
    "tanh",
    "tanh_derivative",
    "xavier_uniform",
    "RNN",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "LSTM",
    "lstm_backward",
    "lstm_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "GRU",
    "gru_backward",
    "gru_forward",
    "gru_step_backward",
    "gru_step_forward",
    "BagOfWordsClassifier",
    "SequenceClassifier",
    "SequenceLabeler",
    "fit",
    "per_token_means",
    "CELLS",
    "recurrent_layer",
    "LanguageModel",
    "NGramModel",
    "sample_from_logits",
    "train_language_model",
    "EncoderDecoder",
    "exact_match",
    "train_encoder_decoder",
    "AdditiveAttention",
    "DotProductAttention",
    "additive_scores_backward",
    "additive_scores_forward",
    "attention_backward",
    "attention_forward",
    "context_backward",
    "context_forward",
    "dot_scores_backward",
    "dot_scores_forward",
    "masked_softmax_backward",
    "masked_softmax_forward",
    "AttentionEncoderDecoder",
]


def __getattr__(name):
    """`rnnlib.viz` loads on first use: it imports matplotlib, which a
    script that only trains a model need not pay for."""
    if name == "viz":
        import importlib

        return importlib.import_module(".viz", __name__)
    raise AttributeError(f"module 'rnnlib' has no attribute {name!r}")
