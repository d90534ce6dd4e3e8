"""Friendly checks for the graded exercise notebooks (`solutions/`).

The test cells of the exercises call these helpers.  A failed check raises an
AssertionError whose message is written for a learner: what was expected,
what came, and, when it recognises one, the usual mistake by name:

    check_array("h_next", got, expected, mistakes=rnn_step_mistakes(...))
    # AssertionError: h_next is not right. ... This is exactly what you get
    # with transposed weights: ...

    check_not_calling(rnn_forward, ["rnn_forward", "rnn_step_forward"], args=...)
    # AssertionError: your rnn_forward uses rnnlib's rnn_step_forward (in your
    # rnn_step_forward), the reference it is compared with. ...

Where each lives (every public name, and exercises import them from here):

values.py           check_array, check_scalar, check_gradient, check_returns,
                    check_same_keys, check_unchanged; copies (fresh copies
                    of a test's inputs for the learner's function); MISTAKES
                    (the usual mistakes, by key) and shape_error_hint (the
                    one behind a NumPy shape error)
own_work.py         check_not_calling (bytecode + stand-ins that raise)
upstream.py         upstream_first (the one call a test cell makes: checks
                    the earlier parts its part builds on, as
                    prerequisites.py declares them per exercise, and names
                    the first wrong one, "fix Part N (`fn`) first":
                    UpstreamError)
randomness.py       check_frequencies (chi-square),
                    check_global_random_untouched, check_token_lists
mistakes_rnn.py     the `*_mistakes` functions: what the common wrong
mistakes_outputs.py versions of an RNN step, a forward pass, BPTT, a
mistakes_lstm.py    softmax, a masked loss, a many-to-one backward, a
                    generation loop or an LSTM step return, so that
                    `check_array` can name them.  They are written with
                    plain NumPy (the classifier's with rnnlib's RNN),
                    independently of the learner's code.
language_model.py   exercise 11: the GRU step's references, the usual
                    mistakes of the embedding, the masked loss, the GRU,
                    the training epoch and the sampling loop, and
                    check_not_using (no use of those references)
attention.py        exercise 12: the usual mistakes of the scores, the
                    masked softmax, the context, a decoder step and beam
                    search
"""

from .attention import (  # noqa: F401
    additive_scores_mistakes,
    attention_step_mistakes,
    beam_search_mistakes,
    context_mistakes,
    dot_scores_mistakes,
    masked_softmax_backward_mistakes,
    masked_softmax_mistakes,
)
from .language_model import (  # noqa: F401
    check_not_using,
    embedding_backward_mistakes,
    gru_step_backward_mistakes,
    gru_step_mistakes,
    sample_names_mistakes,
    temporal_loss_mistakes,
    train_epoch_loss_mistakes,
)
from .mistakes_lstm import (  # noqa: F401
    lstm_step_backward_mistakes,
    lstm_step_mistakes,
)
from .mistakes_outputs import (  # noqa: F401
    generator_logits_mistakes,
    greedy_decode_mistakes,
    many_to_one_backward_mistakes,
    masked_cross_entropy_mistakes,
    softmax_mistakes,
)
from .mistakes_rnn import (  # noqa: F401
    bidirectional_backward_mistakes,
    bidirectional_forward_mistakes,
    clip_grad_norm_mistakes,
    rnn_backward_mistakes,
    rnn_forward_mistakes,
    rnn_step_backward_mistakes,
    rnn_step_mistakes,
    state_gradient_mistakes,
)
from .own_work import check_not_calling  # noqa: F401
from .randomness import (  # noqa: F401
    check_frequencies,
    check_global_random_untouched,
    check_token_lists,
    chi_square_critical,
)
from .upstream import UpstreamError, upstream_first  # noqa: F401
from .values import (  # noqa: F401  (_matches: used by tests/test_exercises.py)
    MISTAKES,
    _matches,
    check_array,
    check_gradient,
    check_returns,
    check_same_keys,
    check_scalar,
    check_unchanged,
    copies,
    describe,
    shape_error_hint,
)
