"""Friendly checks for the graded exercise notebooks (`solutions/`).

The test cells of the exercises call these helpers.  A failed check raises an
AssertionError whose message is written for a learner: what was expected,
what came, and, when it recognises one, the usual mistake by name:

    check_array("h_next", got, expected, mistakes=rnn_step_mistakes(...))
    # AssertionError: h_next is not right. ... This is exactly what you get
    # with transposed weights: ...

    check_not_calling(rnn_forward, ["rnn_forward", "rnn_step_forward"], args=...)
    # AssertionError: your rnn_forward uses rnnlib's rnn_step_forward (in your
    # rnn_step_forward), which this part does not allow. ...

Where each lives (every public name, and exercises import them from here):

values.py           check_array, check_scalar, check_gradient, check_returns,
                    check_same_keys, check_unchanged; copies (fresh copies
                    of a test's inputs for the learner's function); MISTAKES
                    (the usual mistakes, by key) and shape_error_hint (the
                    one behind a NumPy shape error)
own_work.py         check_not_calling (bytecode + stand-ins that raise)
hidden.py           values_withheld: while the grader runs a hidden test,
                    failed checks show no values
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
mistakes_language_model.py, mistakes_attention.py
                    the same for the parts of exercises 11 and 12 that
                    are graded as rnnlib computes them
recordings.py       Answers: the references and mistake models of a graded
                    variant (instructor-only, coursekit/answers/<topic>.py),
                    recorded in recorded/<topic>.json for the visible tests'
                    cases and computed from coursekit.answers for the others
prerequisites.py    which part of each exercise builds on which, with the
                    short check of each earlier part (upstream_first's)

One module per exercise holds what its test cells share (test data, a
part's whole check), so that a test cell says in a few lines what it
checks; a test cell imports it itself, e.g.
`from coursekit.checks import lstm as tests09`:

forward_propagation.py 01   bptt.py 02 (the leaky-integrator RNN)
sequence_labeling.py 03     sequence_classification.py 04
sequence_generation.py 05   encoder_decoder.py 06
deep_bidirectional.py 07    long_term.py 08
lstm.py 09 (the peephole LSTM)   frameworks.py 10
language_model.py 11 (and check_not_using: no use of its references)
attention.py 12
"""

from .language_model import check_not_using  # noqa: F401
from .mistakes_attention import (  # noqa: F401
    context_mistakes,
    masked_softmax_backward_mistakes,
    masked_softmax_mistakes,
)
from .mistakes_language_model import (  # noqa: F401
    embedding_backward_mistakes,
    temporal_loss_mistakes,
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
