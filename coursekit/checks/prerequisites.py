"""Which part of each exercise builds on which (read by
`coursekit.checks.upstream.upstream_first`), and the short test each
earlier part is checked with before a later part that uses it.

A check takes the namespace the test cell runs in (the learner's functions
and the exercise's given helpers) and raises when the part is wrong; it
computes its reference before it calls the learner's function.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

import rnnlib
from coursekit.checks import (
    bptt,
    lstm,
    sequence_classification,
    sequence_generation,
)
from coursekit.checks.values import check_array, check_returns, check_scalar


@dataclass(frozen=True)
class Part:
    """One graded part of an exercise, as its upstream checks see it.

    label       as the notebook names it, e.g. "Part 2"
    grade_id    its test cell's grade_id, e.g. "test_rnn_forward"
    functions   the learner's functions it grades, e.g. ("rnn_forward",)
    check       check(namespace): that part's test on a small input, the
                learner's functions taken from `namespace`; raises
                AssertionError (or the learner's error) when it fails
    calls       earlier parts' functions its functions may call, directly or
                through each other (the bytecode decides whether they do)
    fed         earlier parts' functions whose results its test passes to
                it (checked whatever its code calls)
    """

    label: str
    grade_id: str
    functions: tuple[str, ...]
    check: Callable[[Mapping], object] | None = None
    calls: tuple[str, ...] = ()
    fed: tuple[str, ...] = ()


def _rnn_cell(ns):  # 01, Part 1: the first case of its visible tests (recorded)
    from coursekit.checks.forward_propagation import ANSWERS, cell_case

    case = {"B": 2, "D": 3, "H": 4, "O": 1, "seed": 0}
    answer = ANSWERS("cell_answer", **case)
    got = check_returns(
        "rnn_cell_forward",
        ns["rnn_cell_forward"](*cell_case(**case)),
        ("h_next", "y_hat_t"),
    )
    check_array("h_next (B=2, D=3, H=4, O=1)", got[0], answer["h_next"])
    check_array("y_hat_t (B=2, D=3, H=4, O=1)", got[1], answer["y_hat_t"])


def _leaky_step_backward(ns):  # 02, Part 2
    bptt.check_step_backward_numerically(
        ns["leaky_step_forward"], ns["leaky_step_backward"], 2, 3, 4, 0, alpha=0.5
    )


def _bce(ns):  # 04, Part 1
    z, y = np.array([-2.0, -0.5, 0.0, 0.5, 3.0]), np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    expected_loss, expected_dz = rnnlib.bce_with_logits(z, y)
    loss, dz = ns["binary_cross_entropy"](z.copy(), y.copy())
    check_scalar("loss", loss, expected_loss)
    check_array("dlogits", dz, expected_dz)


def _classifier_data():
    params = sequence_classification.init_classifier(D=3, H=4, seed=0)
    x = np.random.default_rng(1).standard_normal((2, 5, 3))
    y = np.array([1.0, 0.0])
    return params, x, y


def _classifier_forward(ns):  # 04, Part 2
    params, x, _ = _classifier_data()
    expected = sequence_classification.reference_logits(x, params)
    logits, _ = ns["classifier_forward"](x, {k: v.copy() for k, v in params.items()})
    check_array("logits (B=2, T=5, D=3, H=4)", logits, expected)


def _classifier_backward(ns):  # 04, Part 3 (with the learner's forward cache)
    params, x, y = _classifier_data()
    _, expected = sequence_classification.reference_loss_and_grads(x, y, params)
    _, dlogits = rnnlib.bce_with_logits(
        sequence_classification.reference_logits(x, params), y
    )
    mine = {k: v.copy() for k, v in params.items()}
    _, cache = ns["classifier_forward"](x.copy(), mine)
    grads = ns["classifier_backward"](dlogits, cache)
    for name in expected:
        check_array(
            f"grads['{name}'] (B=2, T=5, D=3, H=4)", grads[name], expected[name]
        )


def _softmax_with_temperature(ns):  # 05, Part 1
    z = np.array([2.0, 1.0, 0.0, -1.0])
    for tau in (1.0, 0.5):
        expected = sequence_generation.numpy_softmax(z / tau)
        got = ns["softmax_with_temperature"](z.copy(), tau)
        check_array(f"softmax_with_temperature(z, {tau})", got, expected)


def _sample_with_temperature(ns):  # 05, Part 2
    z = np.array([1.0, 0.5, -0.5, 0.0, 1.5])
    rng = np.random.default_rng(0)
    sample = ns["sample_with_temperature"]
    greedy = [sample(z, 0, rng) for _ in range(3)]
    assert greedy == [4] * 3, f"temperature 0 must give argmax(z) = 4; got {greedy}"
    tokens = [sample(z, 1.0, rng) for _ in range(50)]
    assert all(isinstance(k, int | np.integer) and 0 <= k < 5 for k in tokens), (
        f"expected ints in [0, 5); got {tokens[:5]} ..."
    )
    assert len(set(tokens)) > 1, (
        f"at temperature 1 every one of 50 draws gave {tokens[0]}: sample from"
        " the softmax (rng.choice), not its argmax"
    )


def _bidirectional_forward(ns):  # 07, Part 1
    B, T, D, H = 2, 5, 3, 4
    rng = np.random.default_rng(0)
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((2, B, H))
    wf, wb = ns["random_direction"](D, H, 1), ns["random_direction"](D, H, 2)
    expected_out, expected_h_n = ns["reference_layer"]([(wf, wb)], True).forward(x, h0)
    out, h_n = ns["bidirectional_forward"](x, h0, wf, wb)[:2]
    check_array(f"out (B={B}, T={T}, D={D}, H={H})", out, expected_out)
    check_array(f"h_n (B={B}, T={T}, D={D}, H={H})", h_n, expected_h_n)


def _scores(ns):  # 12, Part 1: the first case of its visible tests (recorded)
    from coursekit.checks.attention import ANSWERS, additive_case, general_case

    args = additive_case(2, 3, 4, 5, 6, 7, seed=0)
    expected = ANSWERS("additive_answer", B=2, T=3, S=4, Dq=5, Dk=6, A=7, seed=0)["e"]
    got = ns["additive_scores"](*args)
    check_array("additive_scores for q (2, 3, 5), k (2, 4, 6)", got, expected)
    q, k, W_a = general_case(2, 3, 4, 4, 4, seed=1)
    case = {"B": 2, "T": 3, "S": 4, "Dq": 4, "Dk": 4, "scaled": True, "seed": 1}
    got = ns["general_scores"](q, k, W_a, scaled=True)
    check_array(
        "general_scores for q (2, 3, 4), k (2, 4, 4)",
        got,
        ANSWERS("general_answer", **case)["e"],
    )


def _masked_softmax(ns):  # 12, Part 2
    rng = np.random.default_rng(0)
    lengths = [4, 2, 3]
    e = rng.standard_normal((3, 3, 4))
    mask = (np.arange(4) < np.array(lengths)[:, None]).astype(float)
    expected, _ = rnnlib.masked_softmax_forward(e, mask)
    got = ns["masked_softmax"](e.copy(), mask.copy())
    check_array(f"a for e (3, 3, 4) and source lengths {lengths}", got, expected)


def _context(ns):  # 12, Part 3
    rng = np.random.default_rng(0)
    a = rng.dirichlet(np.ones(4), size=(2, 3))
    values = rng.standard_normal((2, 4, 5))
    expected, _ = rnnlib.context_forward(a, values)
    got = ns["context"](a.copy(), values.copy())
    check_array("c for a (2, 3, 4), values (2, 4, 5)", got, expected)


def _peephole_lstm_step_forward(ns):  # 09, Part 1
    lstm.check_step_forward(ns["peephole_lstm_step_forward"], B=2, D=3, H=4, seed=0)


def _peephole_lstm_step_backward(ns):  # 09, Part 2 (against numerical gradients)
    lstm.check_step_backward(ns["peephole_lstm_step_backward"], B=2, D=3, H=4, seed=0)


EXERCISES = {
    "01": (
        Part("Part 1", "test_rnn_cell_forward", ("rnn_cell_forward",), _rnn_cell),
        Part(
            "Part 2",
            "test_rnn_forward",
            ("rnn_forward",),
            calls=("rnn_cell_forward",),
        ),
        Part("Part 3", "test_concat_weights", ("concat_weights",)),
        Part("Part 3", "test_rnn_step_forward_concat", ("rnn_step_forward_concat",)),
    ),
    "02": (
        Part("Part 1", "test_numerical_gradient", ("numerical_gradient",)),
        Part(
            "Part 2",
            "test_leaky_step_backward",
            ("leaky_step_backward",),
            _leaky_step_backward,
        ),
        Part(
            "Part 3",
            "test_leaky_backward",
            ("leaky_backward",),
            calls=("leaky_step_backward",),
        ),
    ),
    "03": (
        Part("Part 1", "test_pad_sequences_left", ("pad_sequences_left",)),
        Part(
            "Part 2",
            "test_masked_softmax_cross_entropy",
            ("masked_softmax_cross_entropy",),
        ),
        Part("Part 3", "test_masked_accuracy", ("masked_accuracy",)),
    ),
    "04": (
        Part("Part 1", "test_binary_cross_entropy", ("binary_cross_entropy",), _bce),
        Part(
            "Part 2",
            "test_classifier_forward",
            ("classifier_forward",),
            _classifier_forward,
        ),
        Part(
            "Part 3",
            "test_classifier_backward",
            ("classifier_backward",),
            _classifier_backward,
            fed=("classifier_forward",),
        ),
        Part(
            "Part 4",
            "test_train_step",
            ("train_step",),
            calls=("binary_cross_entropy", "classifier_forward", "classifier_backward"),
        ),
    ),
    "05": (
        Part(
            "Part 1",
            "test_softmax_with_temperature",
            ("softmax_with_temperature",),
            _softmax_with_temperature,
        ),
        Part(
            "Part 2",
            "test_sample_with_temperature",
            ("sample_with_temperature",),
            _sample_with_temperature,
            calls=("softmax_with_temperature",),
        ),
        Part(
            "Part 3",
            "test_generate",
            ("generate",),
            calls=("softmax_with_temperature", "sample_with_temperature"),
        ),
    ),
    "06": (
        Part("Part 1", "test_teacher_forcing_arrays", ("teacher_forcing_arrays",)),
        Part("Part 2", "test_encode", ("encode",)),
        Part("Part 3", "test_greedy_decode", ("greedy_decode",)),
    ),
    "07": (
        Part(
            "Part 1",
            "test_bidirectional_forward",
            ("bidirectional_forward",),
            _bidirectional_forward,
        ),
        Part("Part 2", "test_bidirectional_backward", ("bidirectional_backward",)),
        Part(
            "Part 3",
            "test_stacked_forward",
            ("stacked_forward",),
            calls=("bidirectional_forward",),
        ),
    ),
    "08": (
        Part("Part 1", "test_clip_norm_per_array", ("clip_norm_per_array",)),
        Part("Part 2", "test_state_gradients", ("state_gradients",)),
        Part("Part 3", "test_gradient_norm_curve", ("gradient_norm_curve",)),
    ),
    "09": (
        Part(
            "Part 1",
            "test_peephole_lstm_step_forward",
            ("peephole_lstm_step_forward",),
            _peephole_lstm_step_forward,
        ),
        Part(
            "Part 2",
            "test_peephole_lstm_step_backward",
            ("peephole_lstm_step_backward",),
            _peephole_lstm_step_backward,
        ),
        Part(
            "Part 3",
            "test_peephole_lstm_forward",
            ("peephole_lstm_forward",),
            calls=("peephole_lstm_step_forward",),
        ),
        Part(
            "Part 4",
            "test_peephole_lstm_backward",
            ("peephole_lstm_backward",),
            calls=("peephole_lstm_step_backward",),
        ),
    ),
    "10": (
        Part(
            "Part 1",
            "test_torch_state_dict",
            ("to_torch_state_dict", "from_torch_state_dict"),
        ),
        Part("Part 2", "test_keras_lstm", ("lstm_to_keras", "lstm_from_keras")),
        Part("Part 3", "test_tf1_lstm", ("to_tf1_lstm", "from_tf1_lstm")),
    ),
    "11": (
        Part("Part 1", "test_embedding", ("embedding_forward", "embedding_backward")),
        Part("Part 2", "test_temporal_softmax_loss", ("temporal_softmax_loss",)),
        Part("Part 3", "test_gru_step_forward", ("gru_step_forward",)),
        Part("Part 4", "test_gru_step_backward", ("gru_step_backward",)),
        Part("Part 5", "test_train_epoch", ("clip_global_norm", "train_epoch")),
        Part("Part 6", "test_sample_names", ("sample_names",)),
    ),
    "12": (
        Part(
            "Part 1",
            "test_scores",
            ("additive_scores", "general_scores"),
            _scores,
        ),
        Part(
            "Part 2",
            "test_masked_softmax",
            ("masked_softmax", "masked_softmax_backward"),
            _masked_softmax,
        ),
        Part("Part 3", "test_context", ("context",), _context),
        Part(
            "Part 4",
            "test_decoder_step",
            ("attention_decoder_step",),
            calls=("additive_scores", "general_scores", "masked_softmax", "context"),
        ),
        Part("Part 5", "test_beam_search", ("beam_search",)),
    ),
}
