"""Usual mistakes, submitted: each exercise's test cell names them.

Each test runs a solution notebook's cells in this process, as a learner's
own notebook runs them, with one function replaced by a wrong version (the
solution's source with the mistake made in it), and reads what the part's
test cell says.  Last, every part of every exercise gets a function that
zeroes its inputs in place and then answers for the zeroed inputs: a test
that computed its reference after the call would be fooled; none is.
"""

import ast
import warnings
from pathlib import Path

import numpy as np
import pytest

from coursekit.checks import MISTAKES, forward_propagation, shape_error_hint
from coursekit.checks.prerequisites import EXERCISES
from coursekit.notebooks import (
    BEGIN_HIDDEN,
    END_HIDDEN,
    grade_id,
    is_solution,
    is_test,
    read_notebook,
    replace_regions,
)

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = {p.name[:2]: p for p in sorted((ROOT / "solutions").glob("*.ipynb"))}
NAMESPACE = {}


def solution_source(number, name):
    """The source of the function `name` in the exercise's solution cells."""
    for cell in read_notebook(SOLUTIONS[number]).cells:
        if is_solution(cell):
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.FunctionDef) and node.name == name:
                    return ast.get_source_segment(cell.source, node)
    raise KeyError(name)


def mistaken(number, name, old, new):
    """The solution's `name` with `old` replaced by `new` (which must occur)."""
    source = solution_source(number, name)
    assert old in source, f"{old!r} is not in the solution's {name}"
    return source.replace(old, new)


def message_of(number, function, old, new, test_id=None):
    """What the test cell test_id (by default test_<function>) says of the
    solution's `function` with `old` replaced by `new`: it must fail."""
    test_id = test_id or f"test_{function}"
    message = run_part(number, test_id, mistaken(number, function, old, new))
    assert message is not None, f"{test_id} passed {function} with {new!r}"
    return message


def run_part(number, test_id, after=None, visible_only=True):
    """Run the notebook up to the test cell `test_id` (its visible part only
    by default: the cell without its hidden region, wherever that stands),
    with the code `after` run after the solution cells.
    Returns the message of the error the test cell raised (None if none);
    the namespace it ran in is left in NAMESPACE."""
    ns = NAMESPACE
    ns.clear()
    ns["__name__"] = "__main__"
    for cell in read_notebook(SOLUTIONS[number]).cells:
        if cell.cell_type != "code":
            continue
        if is_test(cell) and grade_id(cell) == test_id:
            if after:
                exec(compile(after, "<the submission>", "exec"), ns)
            source = cell.source
            if visible_only:
                source = replace_regions(source, BEGIN_HIDDEN, END_HIDDEN, [])
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exec(compile(source, f"<{test_id}>", "exec"), ns)
            except Exception as err:  # noqa: BLE001 -- what the learner sees
                return f"{type(err).__name__}: {err}"
            return None
        try:
            exec(compile(cell.source, f"<{grade_id(cell)}>", "exec"), ns)
        except Exception:  # noqa: BLE001 -- an earlier part's test: not this one
            if not is_test(cell):
                raise
    raise KeyError(test_id)


def test_the_solutions_pass_the_parts_run_here():
    assert run_part("01", "test_rnn_step_forward_concat") is None


def test_exercise_11_names_sampling_with_argmax():
    message = message_of(
        "11",
        "sample_names",
        'sample_from_logits(h @ p["W_yh"].T + p["b_y"], temperature, rng)',
        'np.argmax(h @ p["W_yh"].T + p["b_y"], axis=1)',
    )
    assert "sequences differ" in message
    assert (
        "This is exactly what you get with the most likely token every time"
        " (argmax): draw each token from softmax(logits / temperature) with rng"
        in message
    )


def test_exercise_11_names_a_loss_divided_by_mask_sum():
    message = message_of(
        "11", "train_epoch", "tokens += mask[:, 1:].sum()", "tokens += mask.sum()"
    )
    assert message.startswith("AssertionError: the returned loss")
    assert (
        "This is exactly what you get with a division by mask.sum(), which counts"
        " the first token of every name" in message
    )


@pytest.mark.parametrize(
    "old, new, named",
    [
        (" + du * r + dh_next * z", " + du * r", "the direct path left out"),
        ("[da_r, da_z, da_n]", "[da_z, da_r, da_n]", "the gates r and z swapped"),
    ],
)
def test_exercise_11_names_mistakes_in_the_gru_backward_from_numerical_gradients(
    old, new, named
):
    message = message_of("11", "gru_step_backward", old, new)
    assert "against the numerical gradient" in message
    assert f"This is exactly what you get with {named}" in message


def test_exercise_11_names_pytorchs_gru_in_a_cho_gru_step():
    message = message_of(
        "11",
        "gru_step_forward",
        "(r * h_prev) @ W_h[2 * H :].T + b_h[2 * H :]",
        "r * (h_prev @ W_h[2 * H :].T + b_h[2 * H :])",
    )
    assert message.startswith("AssertionError: h_next")
    assert "the reset gate applied after the product, as in PyTorch" in message


def test_exercise_11_hidden_gru_mistakes_are_mistakes_of_the_right_backward():
    """The hidden tests' analytic backward pass (its default) is the
    solution's, and each of its mistakes changes some gradient."""
    assert run_part("11", "test_gru_step_backward", visible_only=False) is None
    ns = NAMESPACE
    dh_next = np.random.default_rng(0).standard_normal((3, 4))
    args = ns["tests11"].random_gru(3, 2, 4, 5)
    _, cache = ns["answers11"].gru_step_reference(*args)
    right = ns["gru_step_backward"](dh_next, cache)
    for got, expected in zip(
        ns["_backward_variant"](dh_next, cache), right, strict=True
    ):
        np.testing.assert_allclose(got, expected, atol=1e-12)
    mistakes = ns["_hidden_mistakes"](dh_next, cache)
    names = ns["tests11"].GRU_GRADIENTS
    for mistake in mistakes["dx_t"]:
        assert any(
            not np.allclose(mistakes[n][mistake], r)
            for n, r in zip(names, right, strict=True)
        ), mistake


def test_exercise_12_names_an_additive_score_without_its_bias():
    message = message_of(
        "12",
        "additive_scores",
        "(k @ W_k.T)[:, None, :, :] + b_a)",
        "(k @ W_k.T)[:, None, :, :])",
        test_id="test_scores",
    )
    assert message.startswith("AssertionError: additive")
    assert "This is exactly what you get with the bias b_a left out" in message


def test_exercise_12_names_a_general_score_without_W_a():
    message = message_of(
        "12", "general_scores", "q @ W_a @ k", "q @ k", test_id="test_scores"
    )
    assert message.startswith("AssertionError: general")
    assert "This is exactly what you get with W_a left out" in message


def test_exercise_12_names_rnnlibs_length_normalisation_in_beam_search():
    message = message_of(
        "12",
        "beam_search",
        "return ((5 + length) / 6) ** alpha",
        "return length**alpha",
    )
    assert "beam_search(max_len=7" in message
    assert "the length normalisation of rnnlib's beam_search" in message


def test_exercise_02_names_a_bptt_loop_that_walks_forward_in_time():
    message = message_of("02", "leaky_backward", "reversed(range(T))", "range(T)")
    assert "UpstreamError" not in message
    assert (
        "This is exactly what you get with a loop that walks forward in time:"
        " BPTT starts at the last step" in message
    )


@pytest.mark.parametrize(
    "old, new, named",
    [
        (
            "dh_prev = (1 - alpha) * dh_next + da @ W_hh",
            "dh_prev = da @ W_hh",
            "the (1 - alpha) path left out: h_prev reaches h_next twice",
        ),
        (
            "(1 - h_tilde**2)",
            "(1 - ((1 - alpha) * h_prev + alpha * h_tilde) ** 2)",
            "tanh' taken of h_next: in the leaky step h_next is not the tanh's",
        ),
        ("da = alpha * dh_next", "da = dh_next", "alpha left out of the path"),
    ],
)
def test_exercise_02_names_the_leaky_steps_own_mistakes(old, new, named):
    message = message_of("02", "leaky_step_backward", old, new)
    assert "This is exactly what you get with " + named in message


TANH = "np.tanh(x_t @ W_hx.T + h_prev @ W_hh.T + b_h)"
OUTPUT = "sigmoid(h_next @ W_yh.T + b_y)"
SOFTMAX = "np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)"


@pytest.mark.parametrize(
    "old, new, value, named",
    [
        (
            "h_prev @ W_hh.T",
            "h_prev @ W_hh",
            "h_next",
            "transposed weights: a product uses W where W.T belongs (or the"
            " reverse). With rows as examples, x_t (B, D) and W_hx (H, D), the"
            " product is x_t @ W_hx.T (here h_prev @ W_hh instead of h_prev @ W_hh.T)",
        ),
        (" + b_h)", ")", "h_next", "a missing bias b_h"),
        (TANH, TANH[8:-1], "h_next", "a missing tanh (the activation)"),
        (
            " + h_prev @ W_hh.T",
            "",
            "h_next",
            "a missing recurrent term h_prev @ W_hh.T",
        ),
        ("x_t @ W_hx.T + ", "", "h_next", "a missing input term x_t @ W_hx.T"),
        (
            f"y_hat_t = {OUTPUT}",
            f"z = h_next @ W_yh.T + b_y\n    y_hat_t = {SOFTMAX}",
            "y_hat_t",
            "a softmax instead of the sigmoid: the O outputs are independent"
            " yes/no answers",
        ),
        (
            OUTPUT,
            "sigmoid(h_prev @ W_yh.T + b_y)",
            "y_hat_t",
            "the output read from h_prev: y_hat_t reads the new state",
        ),
        (
            OUTPUT,
            "sigmoid(h_next @ W_yh.T)",
            "y_hat_t",
            "the output's bias b_y left out",
        ),
        (OUTPUT, "h_next @ W_yh.T + b_y", "y_hat_t", "the sigmoid left out"),
    ],
)
def test_exercise_01_names_the_cells_mistakes(old, new, value, named):
    wrong = mistaken("01", "rnn_cell_forward", old, new)
    message = run_part("01", "test_rnn_cell_forward", wrong)
    assert message is not None and message.startswith(f"AssertionError: {value} (")
    assert "This is exactly what you get with " + named in message


@pytest.mark.parametrize(
    "old, new, named",
    [
        ("x_t @ W_hx.T", "x_t @ W_hx", "(here x_t @ W_hx instead of x_t @ W_hx.T)"),
        (
            "h_next @ W_yh.T",
            "h_next @ W_yh",
            "(here h_next @ W_yh instead of h_next @ W_yh.T)",
        ),
    ],
)
def test_exercise_01_names_a_transposed_input_or_output_weight(old, new, named):
    """The visible tests start with D != H and O != H: a shape error, which the
    grader's feedback explains; the second visible case, D == H == O, names
    the transposed weight itself."""
    wrong = mistaken("01", "rnn_cell_forward", old, new)
    message = run_part("01", "test_rnn_cell_forward", wrong)
    assert message is not None and message.startswith("ValueError: matmul")
    assert "transposed weights" in shape_error_hint(message)
    lines = wrong.replace("def rnn_cell_forward", "def _wrong_cell")
    exec(compile(lines, "<the submission>", "exec"), NAMESPACE)
    with pytest.raises(AssertionError) as failed:
        forward_propagation.check_cell(
            NAMESPACE["_wrong_cell"], B=3, D=4, H=4, O=4, seed=1
        )
    assert "This is exactly what you get with transposed weights" in str(failed.value)
    assert named in str(failed.value)


NOT_CARRIED = """\
def rnn_forward(x, h0, W_hx, W_hh, b_h, W_yh, b_y):
    B, T, _ = x.shape
    h_start = np.zeros((B, W_hh.shape[0])) if h0 is None else h0
    h, y_hat = [], []
    for t in range(T):
        h_t, y_hat_t = rnn_cell_forward(x[:, t], h_start, W_hx, W_hh, b_h, W_yh, b_y)
        h.append(h_t)
        y_hat.append(y_hat_t)
    return np.stack(h, axis=1), np.stack(y_hat, axis=1)
"""


H0_STORED = mistaken("01", "rnn_forward", "        h.append(h_prev)\n", "").replace(
    "        h_prev, y_hat_t", "        h.append(h_prev)\n        h_prev, y_hat_t"
)
Y_FROM_H_PREV = mistaken(
    "01",
    "rnn_forward",
    "np.stack(y_hat, axis=1)",
    "sigmoid(np.stack([h0, *h[:-1]], axis=1) @ W_yh.T + b_y)",
)


@pytest.mark.parametrize(
    "wrong, value, named",
    [
        (NOT_CARRIED, "h", MISTAKES["state_not_carried"]),
        (H0_STORED, "h", MISTAKES["off_by_one"]),
        (Y_FROM_H_PREV, "y_hat", "the output read from h_prev"),
    ],
    ids=["state-not-carried", "h0-stored-at-index-0", "output-from-h_prev"],
)
def test_exercise_01_names_the_forward_passes_mistakes(wrong, value, named):
    message = run_part("01", "test_rnn_forward", wrong)
    assert message is not None
    assert message.startswith(f"AssertionError: {value} (B=2, T=5, D=3, H=4, O=3)")
    assert "This is exactly what you get with " + named in message


def test_exercise_01_names_the_cells_outputs_returned_in_the_wrong_order():
    wrong = mistaken(
        "01", "rnn_cell_forward", "return h_next, y_hat_t", "return y_hat_t, h_next"
    )
    message = run_part("01", "test_rnn_cell_forward", wrong)
    assert message is not None and message.startswith(
        "AssertionError: rnn_cell_forward returned y_hat_t first and h_next"
        " second, the wrong order: return h_next, y_hat_t, in that order."
    )


def test_exercise_01_says_a_forward_pass_that_ignores_h0_none_fails_from_zeros():
    """The run from h0 passes; the run from h0=None raises NumPy's error, which
    the test says is the start from zeros."""
    wrong = mistaken(
        "01",
        "rnn_forward",
        "h_prev = np.zeros((B, W_hh.shape[0])) if h0 is None else h0",
        "h_prev = h0",
    )
    message = run_part("01", "test_rnn_forward", wrong)
    assert message is not None and message.startswith(
        "AssertionError: rnn_forward failed with h0=None (start from zeros, (B, H)"
        " = (2, 4)), after it passed with the given h0. It raised ValueError: matmul"
    )


def test_exercise_01_names_a_missing_bias_in_part_3():
    wrong = mistaken("01", "rnn_step_forward_concat", "hx @ W_h.T + b_h", "hx @ W_h.T")
    message = run_part("01", "test_rnn_step_forward_concat", wrong)
    assert message is not None
    assert "This is exactly what you get with the bias b_h left out" in message


def test_exercise_04_says_a_summed_loss_is_too_large_and_why():
    message = message_of("04", "binary_cross_entropy", "loss.sum() / B", "loss.sum()")
    assert message.startswith("AssertionError: loss")
    assert (
        "Your values are 5 times too large: a missing division by 5 (e.g. summing"
        " over the batch where the mean is wanted)?" in message
    )


PEEPHOLE_MISTAKES = [
    (
        "peephole_lstm_step_backward",
        "dc_prev = dc * f + da_i * p[0] + da_f * p[1]",
        "dc_prev = dc * f",
        "dc_prev = dc * f alone: c_prev also reaches the input and forget gates",
    ),
    (
        "peephole_lstm_step_backward",
        " + da_o * p[2]",
        "",
        "the output gate's peephole left out of dc",
    ),
    (
        "peephole_lstm_step_backward",
        "da_o * c_next]",
        "da_o * c_prev]",
        "the output gate's peephole reads c_next, not c_prev",
    ),
    (
        "peephole_lstm_step_backward",
        "[da_i, da_f, da_g, da_o]",
        "[da_i, da_f, da_o, da_g]",
        "the gates in the wrong order",
    ),
    (
        "peephole_lstm_backward",
        "dp += dp_t",
        "dp = dp_t",
        "gradients not summed over time",
    ),
]


@pytest.mark.parametrize(
    "function, old, new, named", PEEPHOLE_MISTAKES, ids=lambda v: str(v)[:24]
)
def test_exercise_09_catches_a_peephole_backward_mistake_and_names_it(
    function, old, new, named
):
    """Visible: against numerical gradients (no analytic backward shipped);
    graded: the hidden tests name the mistake."""
    wrong = mistaken("09", function, old, new)
    test_id = f"test_{function}"
    visible = run_part("09", test_id, wrong)
    assert visible is not None and "against the numerical gradient" in visible
    graded = run_part("09", test_id, wrong, visible_only=False)
    assert graded is not None
    assert f"This is exactly what you get with {named}" in graded


def test_exercise_09_names_an_output_gate_that_peeps_at_c_prev():
    message = message_of(
        "09", "peephole_lstm_step_forward", "p[2] * c_next", "p[2] * c_prev"
    )
    assert (
        "This is exactly what you get with an output gate that peeps at c_prev"
        in message
    )


def test_exercise_03_catches_a_naive_softmax_in_its_visible_tests():
    # the visible tests' small logits: right; the +-1e4 case: NaN, named
    message = message_of(
        "03",
        "masked_softmax_cross_entropy",
        "shifted = logits - logits.max(axis=-1, keepdims=True)",
        "shifted = logits",
    )
    assert "NaN or inf" in message and "subtract the maximum first" in message


def test_exercise_03_names_right_padding_and_a_cut_at_the_wrong_end():
    line = "ids[b, T - n :] = np.asarray(s, dtype=np.int64)[len(s) - n :]"
    message = message_of(
        "03",
        "pad_sequences_left",
        line + "\n        mask[b, T - n :] = 1.0",
        "ids[b, :n] = np.asarray(s, dtype=np.int64)[:n]\n        mask[b, :n] = 1.0",
    )
    assert message.startswith("AssertionError: ids")
    assert "This is exactly what you get with padding at the end" in message
    message = message_of(
        "03", "pad_sequences_left", line, line.replace("[len(s) - n :]", "[:n]")
    )
    assert "max_len=3 is not right" in message
    assert "This is exactly what you get with the first max_len tokens kept" in message


# --- tests compute their references before the learner's call ---------------

ZEROING = """\
import functools as _functools

import numpy as _np


_zeroed = []  # the float arrays the wrapper zeroed (none: nothing to fool)


def _zero(value):
    if isinstance(value, _np.ndarray) and value.dtype.kind == "f":
        value[...] = 0.0
        _zeroed.append(value.shape)
    elif isinstance(value, dict | list | tuple):
        for item in value.values() if isinstance(value, dict) else value:
            _zero(item)


def _zeroing(func):
    @_functools.wraps(func)
    def wrapper(*args, **kwargs):
        _zero(list(args) + list(kwargs.values()))
        return func(*args, **kwargs)

    return wrapper


for _name in NAMES:
    globals()[_name] = _zeroing(globals()[_name])
"""

PARTS = [(n, p) for n in sorted(SOLUTIONS) for p in EXERCISES[n]]


@pytest.mark.parametrize(
    "number, part", PARTS, ids=[f"{n}-{p.grade_id}" for n, p in PARTS]
)
def test_a_function_that_zeroes_its_inputs_fails_its_part(number, part):
    after = ZEROING.replace("NAMES", repr(list(part.functions)))
    message = run_part(number, part.grade_id, after, visible_only=False)
    if not NAMESPACE["_zeroed"]:  # its inputs hold no float array
        assert message is None, message
        return
    assert message is not None, (
        f"{part.grade_id} passed a function that zeroes its inputs"
    )
