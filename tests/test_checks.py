"""Tests for coursekit.checks, the feedback helpers of the graded exercises."""

import numpy as np
import pytest

import rnnlib
from coursekit import checks
from coursekit.checks import (
    MISTAKES,
    check_array,
    check_gradient,
    check_not_calling,
    check_scalar,
    check_unchanged,
    forward_propagation,
    prerequisites,
    rnn_backward_mistakes,
    rnn_forward_mistakes,
    rnn_step_mistakes,
    softmax_mistakes,
)
from rnnlib.gradcheck import GRADIENT_TOLERANCE


@pytest.fixture
def rnn_data():
    rng = np.random.default_rng(0)
    B, T, D, H = 2, 5, 3, 4
    return {
        "x": rng.standard_normal((B, T, D)),
        "h0": rng.standard_normal((B, H)),
        "W_hx": rng.standard_normal((H, D)) * 0.5,
        "W_hh": rng.standard_normal((H, H)) * 0.5,
        "b_h": rng.standard_normal(H) * 0.1,
    }


def args_of(d):
    return d["x"], d["h0"], d["W_hx"], d["W_hh"], d["b_h"]


# --- check_array -------------------------------------------------------------


def test_check_array_passes_within_tolerance_and_returns_true():
    a = np.arange(6.0).reshape(2, 3)
    assert check_array("a", a + 1e-10, a) is True


def test_check_array_message_shows_expected_and_got_values():
    with pytest.raises(AssertionError) as err:
        check_array("h_next", np.array([1.0, 2.5]), np.array([1.0, 2.0]))
    text = str(err.value)
    assert "h_next is not right" in text
    assert "expected" in text and "2.5" in text
    assert "largest difference 0.5 at index (1,)" in text


def test_check_array_reports_none_as_a_missing_return():
    with pytest.raises(AssertionError, match="(?s)got None.*return"):
        check_array("h", None, np.zeros(3))


def test_check_array_reports_a_tuple_returned_instead_of_an_array():
    with pytest.raises(AssertionError, match="tuple of 2 items"):
        check_array("h_next", (np.zeros(3), "cache"), np.zeros(3))


def test_check_array_reports_shapes_and_a_transposed_result():
    with pytest.raises(AssertionError) as err:
        check_array("W_h", np.zeros((3, 2)), np.zeros((2, 3)))
    assert "expected shape (2, 3); got shape (3, 2)" in str(err.value)
    assert "transposed" in str(err.value)


def test_check_array_reports_a_missing_sum_over_the_batch():
    with pytest.raises(AssertionError, match="sum .*over the batch axis 0"):
        check_array("db_h", np.zeros((2, 4)), np.zeros(4))


def test_check_array_names_a_matching_mistake_by_its_key():
    expected = np.array([1.0, 2.0])
    wrong = np.array([3.0, 4.0])
    with pytest.raises(AssertionError) as err:
        check_array("h", wrong, expected, mistakes={"transposed": wrong})
    assert MISTAKES["transposed"] in str(err.value)


def test_check_array_does_not_name_a_mistake_that_does_not_match():
    expected = np.array([1.0, 2.0])
    with pytest.raises(AssertionError) as err:
        check_array(
            "h", np.array([5.0, 6.0]), expected, mistakes={"transposed": [3.0, 4.0]}
        )
    assert "transposed" not in str(err.value)


def test_check_array_detects_a_shift_by_one_step_in_time():
    expected = np.arange(12.0).reshape(1, 4, 3)
    shifted = np.concatenate([np.zeros((1, 1, 3)), expected[:, :-1]], axis=1)
    with pytest.raises(AssertionError, match="off-by-one in time"):
        check_array("h", shifted, expected, time_axis=1)
    early = np.concatenate([expected[:, 1:], np.zeros((1, 1, 3))], axis=1)
    with pytest.raises(AssertionError, match="off-by-one in time"):
        check_array("h", early, expected, time_axis=1)


def test_check_array_reports_nan_as_instability():
    with pytest.raises(AssertionError, match="NaN or inf.*subtract the maximum"):
        check_array("p", np.array([np.nan, 0.5]), np.array([0.5, 0.5]))


def test_check_array_reports_a_wrong_sign_and_a_constant_factor():
    expected = np.array([1.0, -2.0, 3.0])
    with pytest.raises(AssertionError, match="wrong sign"):
        check_array("g", -expected, expected)
    with pytest.raises(AssertionError, match="4 times too small: an extra division"):
        check_array("g", expected / 4, expected)


def test_the_factor_hint_says_which_way_the_factor_goes():
    # a loss averaged over a batch of 5, and the sum a learner returned instead
    per_example = np.array([0.5, 1.0, 1.5, 2.0, 2.5])
    with pytest.raises(AssertionError) as err:
        check_scalar("loss", per_example.sum(), per_example.mean())
    assert (
        "Your values are 5 times too large: a missing division by 5 (e.g. summing"
        " over the batch where the mean is wanted)?" in str(err.value)
    )
    # and the mean where the sum is wanted
    with pytest.raises(AssertionError) as err:
        check_scalar("loss", per_example.mean(), per_example.sum())
    assert (
        "Your values are 5 times too small: an extra division by 5 (e.g. averaging"
        " over the batch where the sum is wanted)?" in str(err.value)
    )


def test_check_scalar_accepts_numpy_scalars_and_refuses_arrays():
    assert check_scalar("loss", np.float64(1.5), 1.5)
    with pytest.raises(AssertionError, match="single number"):
        check_scalar("loss", np.array([1.5, 2.0]), 1.5)
    with pytest.raises(AssertionError, match="single number"):
        check_scalar("loss", np.array([1.5]), 1.5)


def test_check_gradient_uses_the_policys_error_and_tolerance():
    g = np.array([1.0, 2.0, 3.0])
    # 2 * 3e-5 / (3 + 3 + 6e-5): just below GRADIENT_TOLERANCE = 5e-5 ...
    assert GRADIENT_TOLERANCE == 5e-5
    assert check_gradient("dW", g + np.array([0, 0, 6e-5]), g)
    # ... and 2% more everywhere, 0.06 / (3.06 + 3), is far above it
    with pytest.raises(
        AssertionError, match=r"gradient error 0.0099 \(should be < 5e-05\)"
    ):
        check_gradient("dW", g * 1.02, g)


def test_check_gradient_ignores_rounding_noise_on_a_tiny_entry():
    # the entrywise rel_error of this pair is 0.5, the policy's error 5e-7
    g = np.array([1.0, 2.0, 1e-6])
    noisy = np.array([1.0, 2.0, 3e-6])
    assert rnnlib.rel_error(noisy, g) > 0.4
    assert check_gradient("dW", noisy, g)


def test_check_gradient_keeps_an_explicit_tolerance():
    g = np.array([1.0, 2.0, 3.0])
    with pytest.raises(AssertionError, match=r"should be < 1e-08"):
        check_gradient("dW", g * (1 + 1e-7), g, tol=1e-8)


# --- upstream_first ----------------------------------------------------------


def _step(x):
    return 2 * x


def _wrong_step(x):
    return 3 * x


def _broken_step(x):
    raise NotImplementedError()


def _check_step(ns):
    check_array("step(1.5)", ns["step"](np.array(1.5)), np.array(3.0))


def _check_run(ns):
    check_array("run([1.0])", ns["run"](np.array([1.0])), np.array([2.0]))


PARTS = (
    prerequisites.Part("Part 1", "test_step", ("step",), _check_step),
    prerequisites.Part("Part 2", "test_run", ("run",), _check_run, calls=("step",)),
    prerequisites.Part("Part 3", "test_twice", ("twice",), calls=("step", "run")),
    prerequisites.Part("Part 4", "test_fed", ("fed",), fed=("step",)),
)


def _namespace(step, uses_step=True):
    """A notebook's globals: run (Part 2) calls step (Part 1) or not, and
    twice (Part 3) calls run."""
    ns = {"step": step, "np": np}
    if uses_step:
        exec("def run(xs):\n    return np.array([step(x) for x in xs])", ns)
    else:
        exec("def run(xs):\n    return 2 * xs", ns)
    exec("def twice(xs):\n    return run(run(xs))", ns)
    exec("def fed(h):\n    return h", ns)
    return ns


def test_upstream_first_names_the_earlier_part_and_its_function():
    with pytest.raises(checks.UpstreamError) as info:
        checks.upstream_first(PARTS, "test_run", _namespace(_wrong_step))
    message = str(info.value)
    assert message.startswith(
        "this part calls your `step` from Part 1 (`test_step`), which does"
        " not pass its tests yet: fix Part 1 (`step`) first."
    )
    assert "Part 1's test says: step(1.5) is not right." in message
    assert isinstance(info.value, AssertionError)  # a failed test, for nbgrader


def test_upstream_first_names_the_earliest_wrong_part_through_a_chain():
    # twice calls run, which calls step: Part 1 is named, not Part 2
    with pytest.raises(checks.UpstreamError, match=r"fix Part 1 \(`step`\) first"):
        checks.upstream_first(PARTS, "test_twice", _namespace(_wrong_step))


def test_upstream_first_passes_when_the_earlier_functions_are_right():
    for gid in ("test_step", "test_run", "test_twice", "test_fed"):
        assert checks.upstream_first(PARTS, gid, _namespace(_step))


def test_upstream_first_ignores_a_wrong_function_that_this_part_does_not_call():
    ns = _namespace(_wrong_step, uses_step=False)
    assert checks.upstream_first(PARTS, "test_run", ns)
    assert checks.upstream_first(PARTS, "test_twice", ns)


def test_upstream_first_checks_what_the_test_feeds_whatever_the_code_calls():
    with pytest.raises(checks.UpstreamError) as info:
        checks.upstream_first(PARTS, "test_fed", _namespace(_wrong_step, False))
    assert str(info.value).startswith(
        "this part's test uses what your `step` returns from Part 1 (`test_step`)"
    )


def test_upstream_first_reports_an_error_raised_by_the_earlier_function():
    with pytest.raises(checks.UpstreamError, match="Part 1's test says: NotImpl"):
        checks.upstream_first(PARTS, "test_run", _namespace(_broken_step))


def test_upstream_first_says_what_it_expected_for_an_unknown_part_or_exercise():
    with pytest.raises(ValueError, match="grade_id: expected one of test_step"):
        checks.upstream_first(PARTS, "test_nothing", {})
    with pytest.raises(ValueError, match="exercise: expected one of 01, 02"):
        checks.upstream_first("99", "test_step", {})


def test_check_unchanged_catches_in_place_changes():
    a = np.ones(3)
    assert check_unchanged("x", a.copy(), a)
    with pytest.raises(AssertionError, match="in place"):
        check_unchanged("x", a.copy(), a - 1)


# --- check_not_calling ---------------------------------------------------------

# Student-like functions, with the module's globals as their notebook globals.


def honest_step(x_t, h_prev, W_hx, W_hh, b_h):
    return np.tanh(x_t @ W_hx.T + h_prev @ W_hh.T + b_h)


def honest_forward(x, h0, W_hx, W_hh, b_h):
    h, prev = [], h0
    for t in range(x.shape[1]):
        prev = honest_step(x[:, t], prev, W_hx, W_hh, b_h)
        h.append(prev)
    return np.stack(h, axis=1)


def lazy_forward(x, h0, W_hx, W_hh, b_h):
    return rnnlib.rnn_forward(x, h0, W_hx, W_hh, b_h)[0]


def lazy_step(x_t, h_prev, W_hx, W_hh, b_h):
    return rnnlib.rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h)[0]


def forward_via_lazy_step(x, h0, W_hx, W_hh, b_h):
    h, prev = [], h0
    for t in range(x.shape[1]):
        prev = lazy_step(x[:, t], prev, W_hx, W_hh, b_h)
        h.append(prev)
    return np.stack(h, axis=1)


def forward_with_local_import(x, h0, W_hx, W_hh, b_h):
    from rnnlib import rnn_forward as f

    return f(x, h0, W_hx, W_hh, b_h)[0]


def test_check_not_calling_passes_an_honest_function_and_returns_its_result(
    rnn_data,
):
    out = check_not_calling(
        honest_forward, ["rnn_forward", "rnn_step_forward"], args=args_of(rnn_data)
    )
    expected, _ = rnnlib.rnn_forward(*args_of(rnn_data))
    np.testing.assert_allclose(out, expected)


def test_check_not_calling_finds_the_reference_in_the_code():
    with pytest.raises(
        AssertionError,
        match="uses rnnlib's rnn_forward, which this part does not allow",
    ):
        check_not_calling(lazy_forward, ["rnn_forward"])


def test_check_not_calling_follows_the_notebooks_own_helpers():
    with pytest.raises(
        AssertionError, match=r"rnnlib's rnn_step_forward \(in your lazy_step\)"
    ):
        check_not_calling(forward_via_lazy_step, ["rnnlib.rnn_step_forward"])


def test_check_not_calling_finds_a_local_import():
    with pytest.raises(AssertionError, match="rnn_forward"):
        check_not_calling(forward_with_local_import, ["rnn_forward"])


def test_check_not_calling_allows_other_rnnlib_functions():
    def uses_tanh(z):
        return rnnlib.tanh(z)

    assert (
        check_not_calling(uses_tanh, ["rnn_forward"], args=(np.zeros(2),)) is not None
    )


def test_check_not_calling_catches_a_call_hidden_from_the_bytecode(rnn_data):
    def sneaky(x, h0, W_hx, W_hh, b_h):
        f = getattr(rnnlib, "rnn_" + "forward")
        return f(x, h0, W_hx, W_hh, b_h)[0]

    with pytest.raises(AssertionError, match="rnn_forward"):
        check_not_calling(sneaky, ["rnn_forward"], args=args_of(rnn_data))
    # and rnnlib is whole again afterwards
    h, _ = rnnlib.rnn_forward(*args_of(rnn_data))
    assert h.shape == (2, 5, 4)


def test_check_not_calling_catches_internal_use_through_a_layer(rnn_data):
    def via_layer(x, h0, W_hx, W_hh, b_h):
        layer = rnnlib.RNN(3, 4, seed=0)
        return layer.forward(x)[0]

    with pytest.raises(AssertionError, match="rnn_forward_time_major"):
        check_not_calling(via_layer, ["rnn_forward_time_major"], args=args_of(rnn_data))


def test_check_not_calling_is_not_fooled_by_except_exception(rnn_data):
    def swallow(x, h0, W_hx, W_hh, b_h):
        try:
            f = getattr(rnnlib, "rnn_" + "forward")
            return f(x, h0, W_hx, W_hh, b_h)[0]
        except Exception:
            return None

    with pytest.raises(AssertionError, match="rnn_forward"):
        check_not_calling(swallow, ["rnn_forward"], args=args_of(rnn_data))


def test_check_not_calling_restores_patched_globals():
    before = rnnlib.rnn_forward
    with pytest.raises(AssertionError):
        check_not_calling(lazy_forward, ["rnn_forward"], args=(0, 0, 0, 0, 0))
    assert rnnlib.rnn_forward is before
    assert rnnlib.rnn.rnn_forward is before


def test_check_not_calling_lets_other_errors_through():
    def broken(x):
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        check_not_calling(broken, ["rnn_forward"], args=(1,))


# --- the usual mistakes ---------------------------------------------------------


def test_rnn_step_mistakes_recognise_a_transposed_recurrent_weight(rnn_data):
    d = rnn_data
    x_t, h_prev = d["x"][:, 0], d["h0"]
    expected, _ = rnnlib.rnn_step_forward(x_t, h_prev, d["W_hx"], d["W_hh"], d["b_h"])
    wrong = np.tanh(x_t @ d["W_hx"].T + h_prev @ d["W_hh"] + d["b_h"])
    mistakes = rnn_step_mistakes(x_t, h_prev, d["W_hx"], d["W_hh"], d["b_h"])
    with pytest.raises(AssertionError, match="h_prev @ W_hh instead of"):
        check_array("h_next", wrong, expected, mistakes=mistakes)


def test_rnn_step_mistakes_include_a_transposed_input_weight_only_when_square():
    rng = np.random.default_rng(1)
    x_t, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    W = rng.standard_normal((3, 3))
    square = rnn_step_mistakes(x_t, h, W, W, np.zeros(3))
    assert any("x_t @ W_hx instead" in k for k in square)
    W_hx = rng.standard_normal((3, 4))
    other = rnn_step_mistakes(rng.standard_normal((2, 4)), h, W_hx, W, np.zeros(3))
    assert not any("x_t @ W_hx instead" in k for k in other)


def test_rnn_forward_mistakes_recognise_a_state_not_carried(rnn_data):
    d = rnn_data
    expected, _ = rnnlib.rnn_forward(*args_of(d))
    wrong = np.stack(
        [
            np.tanh(d["x"][:, t] @ d["W_hx"].T + d["h0"] @ d["W_hh"].T + d["b_h"])
            for t in range(5)
        ],
        axis=1,
    )
    with pytest.raises(AssertionError, match="not carried to the next step"):
        check_array("h", wrong, expected, mistakes=rnn_forward_mistakes(*args_of(d)))


def test_rnn_forward_mistakes_accept_h0_none(rnn_data):
    d = dict(rnn_data, h0=None)
    mistakes = rnn_forward_mistakes(*args_of(d))
    assert all(v.shape == (2, 5, 4) for v in mistakes.values())


def _cell(x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y):
    """Exercise 01's cell, from rnnlib's step and sigmoid."""
    h_next, _ = rnnlib.rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h)
    return h_next, rnnlib.sigmoid(h_next @ W_yh.T + b_y)


def _forward(x, h0, W_hx, W_hh, b_h, W_yh, b_y):
    """Exercise 01's forward pass, from rnnlib's and sigmoid."""
    h, _ = rnnlib.rnn_forward(x, h0, W_hx, W_hh, b_h)
    return h, rnnlib.sigmoid(h @ W_yh.T + b_y)


# the cases of exercise 01's visible tests, whose answers are recorded
CELL_CASE = {"B": 3, "D": 4, "H": 4, "O": 4, "seed": 1}
FORWARD_CASE = {"B": 2, "T": 5, "D": 3, "H": 4, "O": 3, "seed": 2}


def test_exercise_01s_checks_pass_its_cell_and_forward_pass():
    args = forward_propagation.check_cell(_cell, **CELL_CASE)
    assert [a.shape for a in args[:2]] == [(3, 4), (3, 4)]
    args = forward_propagation.check_forward(_forward, **FORWARD_CASE)
    assert args[0].shape == (2, 5, 3) and args[1].shape == (2, 4)


def test_check_forward_names_an_output_from_h_prev_over_time():
    def forward(x, h0, W_hx, W_hh, b_h, W_yh, b_y):
        h, _ = rnnlib.rnn_forward(x, h0, W_hx, W_hh, b_h)
        h_before = np.concatenate([h0[:, None], h[:, :-1]], axis=1)
        return h, rnnlib.sigmoid(h_before @ W_yh.T + b_y)

    with pytest.raises(
        AssertionError, match="(?s)^y_hat .*the output read from h_prev"
    ):
        forward_propagation.check_forward(forward, **FORWARD_CASE)


def test_check_cell_says_which_input_was_changed_in_place():
    def cell(x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y):
        h_next, y_hat_t = _cell(x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y)
        b_y += 1.0
        return h_next, y_hat_t

    with pytest.raises(AssertionError, match="b_y"):
        forward_propagation.check_cell(cell, **CELL_CASE)


@pytest.mark.parametrize(
    "case", [CELL_CASE, {"B": 2, "D": 3, "H": 4, "O": 1, "seed": 0}], ids=["O=H", "O<H"]
)
def test_check_cell_names_the_two_arrays_returned_in_the_wrong_order(case):
    def cell(*args):
        return _cell(*args)[::-1]

    with pytest.raises(AssertionError) as failed:
        forward_propagation.check_cell(cell, **case)
    assert str(failed.value).startswith(
        "rnn_cell_forward returned y_hat_t first and h_next second, the wrong"
        " order: return h_next, y_hat_t, in that order."
    )


def test_check_forward_names_h_and_y_hat_in_the_wrong_order():
    with pytest.raises(
        AssertionError, match="the wrong order: return h, y_hat, in that order"
    ):
        forward_propagation.check_forward(
            lambda *args: _forward(*args)[::-1], **FORWARD_CASE
        )


def test_check_forward_says_a_failed_run_from_h0_none_is_the_zero_start():
    def forward(x, h0, W_hx, W_hh, b_h, W_yh, b_y):  # h0=None not handled
        return _forward(x, h0 + 0, W_hx, W_hh, b_h, W_yh, b_y)

    with pytest.raises(AssertionError) as failed:
        forward_propagation.check_forward(forward, **FORWARD_CASE)
    assert str(failed.value).startswith(
        "rnn_forward failed with h0=None (start from zeros, (B, H) = (2, 4)),"
        " after it passed with the given h0. It raised TypeError: unsupported"
    )


def test_rnn_backward_mistakes_recognise_gradients_not_summed_over_time(rnn_data):
    d = rnn_data
    h, cache = rnnlib.rnn_forward(*args_of(d))
    dh = np.random.default_rng(2).standard_normal(h.shape)
    _, _, _, dW_hh, _ = rnnlib.rnn_backward(dh, cache)
    # the last step alone: one step backward from h_T with its h_{T-1}
    _, step_cache = rnnlib.rnn_step_forward(
        d["x"][:, -1], h[:, -2], d["W_hx"], d["W_hh"], d["b_h"]
    )
    last_only = rnnlib.rnn_step_backward(dh[:, -1], step_cache)[3]
    mistakes = rnn_backward_mistakes(dh, *args_of(d))
    with pytest.raises(AssertionError, match="not summed over time"):
        check_array("dW_hh", last_only, dW_hh, mistakes=mistakes["dW_hh"])


def test_rnn_backward_mistakes_match_the_reference_when_nothing_is_wrong(rnn_data):
    """The correct BPTT in the helper agrees with rnnlib (so its variants
    differ from the right answer only by the mistake they name)."""
    d = rnn_data
    h, cache = rnnlib.rnn_forward(*args_of(d))
    dh = np.random.default_rng(3).standard_normal(h.shape)
    ref = dict(
        zip(
            ("dx", "dh0", "dW_hx", "dW_hh", "db_h"),
            rnnlib.rnn_backward(dh, cache),
            strict=True,
        )
    )
    mistakes = rnn_backward_mistakes(dh, *args_of(d))
    # "not carried" differs from the reference, but its dx at the last step agrees
    not_carried = next(v for k, v in mistakes["dx"].items() if "carried back" in k)
    np.testing.assert_allclose(not_carried[:, -1], ref["dx"][:, -1])
    assert not np.allclose(not_carried, ref["dx"])


def test_softmax_mistakes_recognise_the_wrong_axis():
    z = np.random.default_rng(4).standard_normal((3, 4))
    e = np.exp(z - z.max(axis=0))
    wrong = e / e.sum(axis=0)
    with pytest.raises(AssertionError, match="wrong axis.*axis=0"):
        check_array("p", wrong, rnnlib.softmax(z), mistakes=softmax_mistakes(z))


def test_softmax_mistakes_recognise_a_multiplied_temperature():
    z = np.random.default_rng(5).standard_normal(6)
    wrong = rnnlib.softmax(z * 0.5)
    with pytest.raises(AssertionError, match="multiplied by the temperature"):
        check_array(
            "p", wrong, rnnlib.softmax(z / 0.5), mistakes=softmax_mistakes(z, 0.5)
        )


def test_describe_expands_known_keys_and_keeps_other_text():
    assert checks.describe("off_by_one") == MISTAKES["off_by_one"]
    assert checks.describe("my own words") == "my own words"


def test_check_array_reports_a_leftover_axis_of_size_one():
    with pytest.raises(
        AssertionError, match=r"axis of size 1\? \(e.g. a.reshape\(3,\)\)"
    ):
        check_array("logits", np.zeros((3, 1)), np.zeros(3))


def test_check_same_keys_names_missing_and_unexpected_keys():
    assert checks.check_same_keys("grads", {"W": 1, "b": 2}, {"b": 0, "W": 0})
    with pytest.raises(AssertionError, match=r"missing \['b'\], unexpected \['c'\]"):
        checks.check_same_keys("grads", {"W": 1, "c": 2}, {"W": 0, "b": 0})
    with pytest.raises(AssertionError, match="must be a dict"):
        checks.check_same_keys("grads", [1, 2], {"W": 0})


def test_check_array_names_only_whole_number_factors():
    with pytest.raises(AssertionError) as err:
        check_scalar("loss", 1.088, 1.0)
    assert "times too" not in str(err.value)
    with pytest.raises(AssertionError, match="3 times too large"):
        check_scalar("loss", 3.0, 1.0)


def test_chi_square_critical_is_close_to_the_exact_quantiles():
    # exact 0.9999 quantiles: df=1 15.14, df=4 23.51, df=9 33.72
    for df, exact in [(1, 15.14), (4, 23.51), (9, 33.72)]:
        assert exact <= checks.chi_square_critical(df) < 1.08 * exact


def test_check_frequencies_accepts_a_correct_sampler():
    p = np.array([0.5, 0.3, 0.2])
    samples = np.random.default_rng(0).choice(3, size=3000, p=p)
    assert checks.check_frequencies("samples", samples, p)


def test_check_frequencies_rejects_and_names_the_distribution_sampled():
    p = np.array([0.5, 0.3, 0.2])
    wrong = np.array([0.2, 0.3, 0.5])
    samples = np.random.default_rng(0).choice(3, size=3000, p=wrong)
    with pytest.raises(AssertionError, match="(?s)do not follow.*They fit reversed"):
        checks.check_frequencies("samples", samples, p, {"reversed": wrong})


def test_check_frequencies_fails_on_an_impossible_class():
    with pytest.raises(AssertionError, match="do not follow"):
        checks.check_frequencies("samples", np.array([0, 1, 2]), [0.5, 0.5, 0.0])


def test_check_global_random_untouched_passes_a_generator_user():
    def draw(rng):
        return rng.random()

    value = checks.check_global_random_untouched(draw, (np.random.default_rng(0),))
    assert value == np.random.default_rng(0).random()


def test_check_global_random_untouched_catches_np_random_and_restores_it():
    def draw_globally():
        return np.random.rand()  # noqa: NPY002 -- the mistake under test

    before = np.random.get_state()[1].copy()  # noqa: NPY002
    with pytest.raises(AssertionError, match="hidden global generator"):
        checks.check_global_random_untouched(draw_globally)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002


def test_check_returns_counts_the_values():
    assert checks.check_returns("f", (1, 2), ("a", "b")) == (1, 2)
    with pytest.raises(AssertionError, match="must return 3 values.*returned 2"):
        checks.check_returns("f", (1, 2), ("a", "b", "c"))
    with pytest.raises(AssertionError, match="returned None"):
        checks.check_returns("f", None, ("a", "b"))
    with pytest.raises(AssertionError, match="returned one ndarray"):
        checks.check_returns("f", np.zeros(2), ("a", "b"))


def test_rnn_step_backward_mistakes_recognise_a_missing_tanh_derivative(rnn_data):
    d = rnn_data
    x_t, h_prev = d["x"][:, 0], d["h0"]
    _, cache = rnnlib.rnn_step_forward(x_t, h_prev, d["W_hx"], d["W_hh"], d["b_h"])
    dh = np.random.default_rng(6).standard_normal((2, 4))
    expected = rnnlib.rnn_step_backward(dh, cache)[3]  # dW_hh
    wrong = dh.T @ h_prev  # da = dh: the derivative left out
    mistakes = checks.rnn_step_backward_mistakes(
        dh, x_t, h_prev, d["W_hx"], d["W_hh"], d["b_h"]
    )
    with pytest.raises(AssertionError, match="tanh derivative left out"):
        check_array("dW_hh", wrong, expected, mistakes=mistakes["dW_hh"])


def test_masked_cross_entropy_mistakes_recognise_an_ignored_mask():
    rng = np.random.default_rng(7)
    logits = rng.standard_normal((2, 3, 4))
    targets = rng.integers(0, 4, (2, 3))
    mask = np.array([[1.0, 1, 0], [1, 0, 0]])
    loss, _ = rnnlib.softmax_cross_entropy(logits, targets, mask)
    unmasked, _ = rnnlib.softmax_cross_entropy(logits, targets)
    mistakes = checks.masked_cross_entropy_mistakes(logits, targets, mask)
    with pytest.raises(AssertionError, match="mask left out"):
        check_scalar("loss", unmasked, loss, mistakes=mistakes["loss"])


def test_many_to_one_backward_mistakes_recognise_dh_at_every_step():
    rng = np.random.default_rng(8)
    B, T, D, H = 2, 4, 3, 5
    p = {
        "W_hx": rng.standard_normal((H, D)),
        "W_hh": rng.standard_normal((H, H)) / 3,
        "b_h": np.zeros(H),
        "W_yh": rng.standard_normal((1, H)),
        "b_y": np.zeros(1),
    }
    x, dz = rng.standard_normal((B, T, D)), rng.standard_normal(B)
    h, cache = rnnlib.rnn_forward(x, None, p["W_hx"], p["W_hh"], p["b_h"])
    dh = np.zeros_like(h)
    dh[:, -1] = np.outer(dz, p["W_yh"][0])
    right = rnnlib.rnn_backward(dh, cache)[3]
    every = rnnlib.rnn_backward(np.repeat(dh[:, -1:], T, axis=1), cache)[3]
    mistakes = checks.many_to_one_backward_mistakes(dz, x, p)
    with pytest.raises(AssertionError, match="sent into every time step"):
        check_array("dW_hh", every, right, mistakes=mistakes["W_hh"])


def test_generator_logits_mistakes_recognise_a_state_not_carried():
    rng = np.random.default_rng(9)
    V, H = 4, 3
    p = {
        "W_hx": rng.standard_normal((H, V)),
        "W_hh": rng.standard_normal((H, H)),
        "b_h": np.zeros(H),
        "W_yh": rng.standard_normal((V, H)),
        "b_y": np.zeros(V),
    }
    fed = [1, 3, 0]
    h, right, reset = np.zeros(H), [], []
    for token in [2] + fed:
        h = np.tanh(p["W_hx"][:, token] + p["W_hh"] @ h)
        right.append(p["W_yh"] @ h)
        reset.append(p["W_yh"] @ np.tanh(p["W_hx"][:, token]))
    mistakes = checks.generator_logits_mistakes(p, 2, fed)
    with pytest.raises(AssertionError, match="not carried to the next step"):
        check_array("logits", np.array(reset), np.array(right), mistakes=mistakes)


# --- helpers of the exercises 06-10 --------------------------------------------


def test_mistakes_name_the_lstm_gate_order():
    assert "i, f, g, o" in MISTAKES["gate_order"]
    assert checks.describe("gate_order") == MISTAKES["gate_order"]


def test_check_token_lists_accepts_lists_and_int_arrays():
    assert checks.check_token_lists("out", [[3, 4], []], [[3, 4], []])
    assert checks.check_token_lists("out", np.array([[3, 4], [5, 6]]), [[3, 4], [5, 6]])
    assert checks.check_token_lists("out", [np.array([7]), (8, 9)], [[7], [8, 9]])


def test_check_token_lists_reports_the_first_row_that_differs():
    with pytest.raises(AssertionError) as err:
        checks.check_token_lists("out", [[3, 4], [5, 6, 2], [1]], [[3, 4], [5, 6], [0]])
    text = str(err.value)
    assert "2 of 3 sequences differ; the first is row 1" in text
    assert "expected: [5, 6]" in text and "got:      [5, 6, 2]" in text
    assert "and then more" in text


def test_check_token_lists_rejects_a_wrong_count_and_float_tokens():
    with pytest.raises(AssertionError, match="lists of int token ids.*got 1 items"):
        checks.check_token_lists("out", [[3]], [[3], [4]])
    with pytest.raises(AssertionError, match="row 0 must be a list of int token ids"):
        checks.check_token_lists("out", [[3.0]], [[3]])
    with pytest.raises(AssertionError, match="got None"):
        checks.check_token_lists("out", None, [[3]])


def test_check_token_lists_names_a_matching_mistake():
    with pytest.raises(AssertionError, match="exactly what you get with eos kept"):
        checks.check_token_lists(
            "out", [[3, 2]], [[3]], mistakes={"eos kept": [[3, 2]], "other": [[9]]}
        )


def decoder_setup(seed=1, B=3):
    """A random model whose greedy outputs (seed 1) end at <eos> (id 2) after
    3, 0 and 1 tokens."""
    model = rnnlib.EncoderDecoder(7, 6, embed_dim=4, hidden_size=5, seed=seed)
    src = np.random.default_rng(seed).integers(0, 7, (B, 4))
    p = model.params
    params = {
        "E_tgt": p["tgt_embedding.W"],
        "W_hx_dec": p["decoder.W_hx_l0"],
        "W_hh_dec": p["decoder.W_hh_l0"],
        "b_h_dec": p["decoder.b_h_l0"],
        "W_yh": p["output.W"],
        "b_y": p["output.b"],
    }
    return model, src, params


def test_greedy_decode_mistakes_differ_from_rnnlibs_greedy_decode():
    model, src, params = decoder_setup()
    right = model.greedy_decode(src, 6)
    assert right == [[0, 4, 5], [], [0]]
    context = model.encode(src)
    mistakes = checks.greedy_decode_mistakes(context, params, 6, 1, 2)
    kept = next(v for k, v in mistakes.items() if k.startswith("<eos> kept"))
    assert kept == [r + [2] if len(r) < 6 else r for r in right]
    bos = next(v for k, v in mistakes.items() if k.startswith("<bos> at the start"))
    assert bos == [[1] + r for r in right]


def test_greedy_decode_mistakes_recognise_bos_fed_at_every_step():
    model, src, params = decoder_setup()
    context = model.encode(src)
    g, rows = context, []
    for _ in range(6):  # the mistake: <bos> read at every step
        g, _ = rnnlib.rnn_step_forward(
            params["E_tgt"][[1, 1, 1]],
            g,
            params["W_hx_dec"],
            params["W_hh_dec"],
            params["b_h_dec"],
        )
        rows.append((g @ params["W_yh"].T + params["b_y"]).argmax(axis=1))
    wrong = [list(r[: list(r).index(2)] if 2 in r else r) for r in np.array(rows).T]
    right = model.greedy_decode(src, 6)
    assert wrong != right
    with pytest.raises(AssertionError, match="<bos> fed in at every step"):
        checks.check_token_lists(
            "out", wrong, right, checks.greedy_decode_mistakes(context, params, 6, 1, 2)
        )


@pytest.fixture
def lstm_data():
    rng = np.random.default_rng(10)
    B, D, H = 2, 3, 4
    return (
        rng.standard_normal((B, D)),
        rng.standard_normal((B, H)),
        rng.standard_normal((B, H)),
        rng.standard_normal((4 * H, D)),
        rng.standard_normal((4 * H, H)) / 2,
        rng.standard_normal(4 * H) / 2,
    )


def test_lstm_step_mistakes_name_the_gate_order_i_f_o_g(lstm_data):
    x_t, h_prev, c_prev, W_x, W_h, b = lstm_data
    H = h_prev.shape[1]
    h_next, _, _ = rnnlib.lstm_step_forward(*lstm_data)
    # reading block 2 as o and block 3 as g = the right step on swapped blocks
    rows = np.r_[0 : 2 * H, 3 * H : 4 * H, 2 * H : 3 * H]
    wrong, _, _ = rnnlib.lstm_step_forward(
        x_t, h_prev, c_prev, W_x[rows], W_h[rows], b[rows]
    )
    mistakes = checks.lstm_step_mistakes(*lstm_data)
    with pytest.raises(AssertionError, match=r"wrong order.*read them as i, f, o, g"):
        check_array("h_next", wrong, h_next, mistakes=mistakes["h_next"])


def test_lstm_step_mistakes_recognise_a_cell_state_not_carried(lstm_data):
    x_t, h_prev, c_prev, W_x, W_h, b = lstm_data
    _, c_next, _ = rnnlib.lstm_step_forward(*lstm_data)
    _, wrong, _ = rnnlib.lstm_step_forward(x_t, h_prev, 0 * c_prev, W_x, W_h, b)
    mistakes = checks.lstm_step_mistakes(*lstm_data)
    with pytest.raises(AssertionError, match="cell state that is not carried"):
        check_array("c_next", wrong, c_next, mistakes=mistakes["c_next"])


def test_lstm_step_backward_mistakes_recognise_dc_next_left_out(lstm_data):
    _, _, cache = rnnlib.lstm_step_forward(*lstm_data)
    rng = np.random.default_rng(11)
    dh, dc = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    right = rnnlib.lstm_step_backward(dh, dc, cache)[3]  # dW_x
    wrong = rnnlib.lstm_step_backward(dh, None, cache)[3]
    mistakes = checks.lstm_step_backward_mistakes(dh, dc, cache)
    with pytest.raises(AssertionError, match="next step's cell state left out"):
        check_array("dW_x", wrong, right, mistakes=mistakes["dW_x"])


def test_lstm_step_backward_mistakes_recognise_dc_prev_without_f(lstm_data):
    _, _, cache = rnnlib.lstm_step_forward(*lstm_data)
    dh = np.random.default_rng(12).standard_normal((2, 4))
    _, _, dc_prev, *_ = rnnlib.lstm_step_backward(dh, None, cache)
    f = cache[6]
    mistakes = checks.lstm_step_backward_mistakes(dh, None, cache)
    with pytest.raises(AssertionError, match="forget gate scales"):
        check_array("dc_prev", dc_prev / f, dc_prev, mistakes=mistakes["dc_prev"])


def birnn_setup(seed=13):
    rng = np.random.default_rng(seed)
    B, T, D, H = 2, 5, 3, 4
    layer = rnnlib.RNN(D, H, bidirectional=True, seed=seed)
    p = layer.params
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((2, B, H))
    wf = (p["W_hx_l0"], p["W_hh_l0"], p["b_h_l0"])
    wb = (p["W_hx_l0_reverse"], p["W_hh_l0_reverse"], p["b_h_l0_reverse"])
    return layer, x, h0, wf, wb


def test_bidirectional_forward_mistakes_recognise_states_left_in_reading_order():
    layer, x, h0, wf, wb = birnn_setup()
    out, _ = layer.forward(x, h0)
    h_f, _ = rnnlib.rnn_forward(x, h0[0], *wf)
    read, _ = rnnlib.rnn_forward(x[:, ::-1], h0[1], *wb)
    wrong = np.concatenate([h_f, read], axis=2)
    mistakes = checks.bidirectional_forward_mistakes(x, h0, wf, wb)
    with pytest.raises(AssertionError, match="left in reading order"):
        check_array("out", wrong, out, mistakes=mistakes["out"])


def test_bidirectional_forward_mistakes_recognise_h_n_taken_at_t_T():
    layer, x, h0, wf, wb = birnn_setup()
    out, h_n = layer.forward(x, h0)
    wrong = np.stack([out[:, -1, :4], out[:, -1, 4:]])
    mistakes = checks.bidirectional_forward_mistakes(x, h0, wf, wb)
    with pytest.raises(AssertionError, match="finishes at t = 1"):
        check_array("h_n", wrong, h_n, mistakes=mistakes["h_n"])


def test_bidirectional_backward_mistakes_recognise_dx_of_one_direction():
    layer, x, h0, wf, wb = birnn_setup()
    out, h_n = layer.forward(x, h0)
    rng = np.random.default_rng(14)
    dout, dh_n = rng.standard_normal(out.shape), rng.standard_normal(h_n.shape)
    dx, _ = layer.backward(dout, dh_n)
    _, cache = rnnlib.rnn_forward(x, h0[0], *wf)
    d_f = dout[:, :, :4].copy()
    d_f[:, -1] += dh_n[0]
    dx_f = rnnlib.rnn_backward(d_f, cache)[0]
    mistakes = checks.bidirectional_backward_mistakes(dout, dh_n, x, h0, wf, wb)
    with pytest.raises(AssertionError, match="forward direction only"):
        check_array("dx", dx_f, dx, mistakes=mistakes["dx"])


def test_bidirectional_backward_mistakes_agree_with_rnnlib_on_the_right_parts():
    """Variants that only change dx keep rnnlib's reverse-direction gradients."""
    layer, x, h0, wf, wb = birnn_setup()
    out, h_n = layer.forward(x, h0)
    rng = np.random.default_rng(15)
    dout, dh_n = rng.standard_normal(out.shape), rng.standard_normal(h_n.shape)
    layer.backward(dout, dh_n)
    mistakes = checks.bidirectional_backward_mistakes(dout, dh_n, x, h0, wf, wb)
    only_dx = next(k for k in mistakes["dx"] if "forward direction only" in k)
    np.testing.assert_allclose(
        mistakes["dW_hh_reverse"][only_dx], layer.grads["W_hh_l0_reverse"]
    )


def test_clip_grad_norm_mistakes_recognise_arrays_clipped_one_by_one():
    grads = {"W": np.array([[3.0, 4.0]]), "b": np.array([12.0])}  # norm 13
    right = {k: g.copy() for k, g in grads.items()}
    rnnlib.clip_grad_norm(right, 6.5)
    wrong_b = grads["b"] * 6.5 / 12  # b alone clipped to 6.5 (W's 5 is below)
    mistakes = checks.clip_grad_norm_mistakes(grads, 6.5)
    with pytest.raises(AssertionError, match="clipped on its own"):
        check_array("b", wrong_b, right["b"], mistakes=mistakes["grads"]["b"])


def test_clip_grad_norm_mistakes_recognise_the_norm_after_clipping():
    grads = {"W": np.array([[3.0, 4.0]]), "b": np.array([12.0])}
    mistakes = checks.clip_grad_norm_mistakes(grads, 6.5)
    with pytest.raises(AssertionError, match="norm returned after clipping"):
        check_scalar("norm", 6.5, 13.0, mistakes=mistakes["norm"])


def test_state_gradient_mistakes_recognise_a_missing_tanh_derivative():
    rng = np.random.default_rng(16)
    B, T, D, H = 2, 6, 3, 4
    x = rng.standard_normal((B, T, D))
    W_hx, W_hh = rng.standard_normal((H, D)), rng.standard_normal((H, H))
    b_h, dh_last = np.zeros(H), rng.standard_normal((B, H))
    right = rnnlib.longterm.hidden_state_gradients(
        "rnn", (W_hx, W_hh, b_h), x, dh_last
    ).transpose(1, 0, 2)
    wrong = np.empty_like(right)
    dh = dh_last
    for t in range(T - 1, -1, -1):
        wrong[:, t] = dh
        dh = dh @ W_hh
    mistakes = checks.state_gradient_mistakes(x, W_hx, W_hh, b_h, dh_last)
    with pytest.raises(AssertionError, match="tanh derivative left out"):
        check_array("grads", wrong, right, mistakes=mistakes)


def numpy_error(operation) -> str:
    with pytest.raises(ValueError) as info:
        operation()
    return str(info.value)


def test_shape_error_hint_names_the_mistake_behind_numpys_message():
    x_t, W_hx = np.ones((2, 3)), np.ones((4, 3))  # (B, D), (H, D)
    for product in (lambda: x_t @ W_hx, lambda: np.dot(x_t, W_hx)):
        hint = checks.shape_error_hint(numpy_error(product))
        assert hint.startswith("The shapes in a matrix product do not fit")
        assert checks.MISTAKES["transposed"] in hint
    added = checks.shape_error_hint(numpy_error(lambda: x_t + np.ones(4)))
    assert added.startswith("Arrays whose shapes do not fit were combined")
    assert checks.shape_error_hint("math domain error") == ""
