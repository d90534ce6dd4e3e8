"""Comparing a learner's values with the reference: arrays, scalars,
gradients, returned tuples and dicts, arrays that must not change; the
usual mistakes by name (MISTAKES) and the hint behind a NumPy shape error."""

import numpy as np

from .hidden import WITHHELD, values_shown

# The usual mistakes, by name.  `check_array(..., mistakes={key: array})`
# accepts these keys or any other text.
MISTAKES = {
    "transposed": (
        "transposed weights: a product uses W where W.T belongs (or the"
        " reverse). With rows as examples, x_t (B, D) and W_hx (H, D), the"
        " product is x_t @ W_hx.T"
    ),
    "state_not_carried": (
        "a state that is not carried to the next step: every step started"
        " again from h0. Feed each step's h_t in as h_prev of step t + 1"
    ),
    "not_summed_over_time": (
        "gradients not summed over time: only the last step's contribution is"
        " there. The same weights serve every step, so add up the gradient"
        " of every step"
    ),
    "softmax_axis": (
        "softmax on the wrong axis: the probabilities must sum to 1 over the"
        " classes, the last axis (axis=-1)"
    ),
    "off_by_one": (
        "an off-by-one in time: your values are shifted by one step along the time axis"
    ),
    "gate_order": (
        "the gates in the wrong order: the 4H rows of W_x, W_h and b hold four"
        " blocks of H rows, in the order i, f, g, o (input, forget, candidate,"
        " output), as in PyTorch"
    ),
}


def describe(mistake):
    """The explanation of a mistake key of MISTAKES, or the text itself."""
    return MISTAKES.get(mistake, mistake)


def matching_mistakes(mistakes, is_yours):
    """The explanations (see `describe`) of the mistakes in {key or text:
    wrong answer} whose wrong answer `is_yours(wrong)` finds equal to the
    learner's."""
    return [
        describe(key)
        for key, wrong in (mistakes or {}).items()
        if wrong is not None and is_yours(wrong)
    ]


def exactly_what_you_get(named):
    """A line of feedback for each explanation of `matching_mistakes`."""
    return [f"This is exactly what you get with {text}." for text in named]


def shape_error_hint(message):
    """The usual mistake behind a NumPy shape error, from its message ('' if
    the message is no shape error).  A transposed weight only shows as a
    shape error (the tests use D != H first), so the grader's feedback adds
    this to a ValueError's text."""
    product = ("matmul: Input operand", "not aligned", "shapes not aligned")
    if any(text in message for text in product):
        return (
            "The shapes in a matrix product do not fit: a @ b needs a's last"
            " axis as long as b's first. The usual cause is "
            + MISTAKES["transposed"]
            + ". Print the shapes of both sides of each @ to find it."
        )
    if "could not be broadcast together" in message:
        return (
            "Arrays whose shapes do not fit were combined value by value (+, -,"
            " *): print the shapes of both sides. A product before it with "
            + MISTAKES["transposed"]
            + " gives a wrong shape too."
        )
    return ""


def _show(a, limit=24):
    """A short, rounded rendering of an array for a message."""
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{a.item():.6g}" if a.dtype.kind in "fc" else repr(a.item())
    if a.size <= limit:
        text = np.array2string(a, precision=4, suppress_small=True, separator=", ")
    else:
        flat = ", ".join(f"{v:.4g}" for v in a.reshape(-1)[:6])
        text = f"[{flat}, ...] ({a.size} values)"
    return text.replace("\n", "\n    ")


# A result in float32 (or a coarser float) is accepted within this share of
# the expected values' size (rtol, and atol relative to the largest |value|):
# about 840 times float32's rounding step (eps 1.19e-7).  An RNN run over 8
# steps in float32 differs from float64 by at most 4.3e-6 of the largest
# value (20 random cases), and every named mistake by far more than 1e-4.
LOW_PRECISION_TOL = 1e-4


def _low_precision(dtype) -> bool:
    """Whether `dtype` is a float (or complex) coarser than float64."""
    dtype = np.dtype(dtype)
    return dtype.kind in "fc" and np.finfo(dtype).eps > np.finfo(np.float64).eps


def dtype_tolerance(dtype, expected, atol, rtol):
    """(atol, rtol) for a result of `dtype` compared with `expected`.

    float64 and integer results: the given ones.  float32 (float16, complex64)
    results cannot hold more digits than their dtype's: at least
    LOW_PRECISION_TOL, rtol = max(rtol, tol) and atol = max(atol, tol *
    max|expected|).
    """
    if not _low_precision(dtype):
        return atol, rtol
    expected = np.asarray(expected, dtype=np.float64)
    finite = np.abs(expected[np.isfinite(expected)])
    scale = float(finite.max()) if finite.size else 0.0
    return max(atol, LOW_PRECISION_TOL * scale), max(rtol, LOW_PRECISION_TOL)


def _dtype_note(got, expected, rtol):
    """Why a low-precision result was rejected, for the message ('' if its
    dtype is not the matter)."""
    if not _low_precision(got.dtype):
        return ""
    digits = int(round(-np.log10(np.finfo(got.dtype).eps)))
    note = (
        f"Your values are {got.dtype} (the expected ones {expected.dtype}):"
        f" {got.dtype} keeps about {digits} significant digits, so differences"
        f" up to {rtol:.0e} of the values are accepted as its rounding, and"
        " yours are larger."
    )
    if np.finfo(got.dtype).eps > LOW_PRECISION_TOL:
        return note + (
            f" {got.dtype} is too coarse for this check: compute in float64 (the"
            " dtype of the inputs) or float32."
        )
    return note + (
        " If your code is right, a step lost precision (e.g. a subtraction of"
        " nearly equal numbers, or a sum of many terms in float32): compute in"
        " float64, the dtype of the inputs."
    )


def _show_pair(expected, got):
    """expected and got as text, with enough digits to tell them apart."""
    a, b = _show(expected), _show(got)
    if a == b and np.ndim(expected) == 0:
        return f"{float(expected)!r}", f"{float(got)!r}"
    return a, b


def _fail(name, lines):
    raise AssertionError(f"{name} is not right.\n  " + "\n  ".join(lines))


def _matches(a, b, atol, rtol):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, atol=atol, rtol=rtol))


def _as_result_array(name, got, expected):
    """Turn `got` into an array, or fail with a message about what came."""
    if got is None:
        _fail(
            name,
            [
                f"expected an array of shape {expected.shape}; got None.",
                "Did the function reach a `return` statement?",
            ],
        )
    if isinstance(got, tuple):
        _fail(
            name,
            [
                f"expected one array of shape {expected.shape}; got a tuple of"
                f" {len(got)} items.",
                f"Return only {name} (no cache, no second value).",
            ],
        )
    try:
        arr = np.asarray(got)
    except Exception as err:  # ragged lists and the like
        _fail(name, [f"expected an array of numbers; got {type(got).__name__} ({err})"])
    if arr.dtype.kind not in "biufc":
        _fail(
            name,
            [f"expected an array of numbers; got {type(got).__name__} of {arr.dtype}"],
        )
    return arr


def _shape_hints(got, expected):
    hints = []
    if got.ndim == 2 and got.shape == expected.shape[::-1]:
        hints.append("Your array looks transposed: check the order of the axes.")
    if got.ndim == expected.ndim + 1 and got.shape[1:] == expected.shape:
        hints.append(
            "There is one more axis in front: did you forget to sum (or average)"
            " over the batch axis 0?"
        )
    if expected.ndim == 0 and got.size > 1:
        hints.append("Expected a single number: sum or average the values.")
    if got.ndim == expected.ndim - 1 and expected.shape[:-1] == got.shape:
        hints.append("The last axis is missing.")
    if got.size == expected.size and got.ndim != expected.ndim:
        hints.append(
            "The number of values is right but not the shape: an extra or missing"
            f" axis of size 1? (e.g. a.reshape{expected.shape})"
        )
    return hints


def _result_shaped_like(name, got, expected, what=""):
    """`got` as an array (see `_as_result_array`), or fail unless it has
    expected's shape, with the hints of `_shape_hints`."""
    got = _as_result_array(name, got, expected)
    if got.shape != expected.shape:
        _fail(
            name,
            [f"expected {what}shape {expected.shape}; got shape {got.shape}."]
            + _shape_hints(got, expected),
        )
    return got


def check_array(
    name,
    got,
    expected,
    atol=1e-8,
    rtol=1e-6,
    mistakes=None,
    time_axis=None,
):
    """Assert that `got` equals `expected` (shape and values, to atol/rtol).

    name       what the value is called in the exercise, e.g. "h_next"
    mistakes   optional {key or text: array}: what a common wrong version
               returns; keys of MISTAKES (e.g. "transposed") are expanded
               into their explanation.  A match is named in the message.
    time_axis  the time axis of the arrays, if any: a result shifted by one
               step along it is reported as an off-by-one in time.

    Also recognised without help: None or a tuple returned, a transposed or
    unsummed shape, NaN/inf, a wrong sign and a constant factor.  A float32
    result is judged within its dtype's rounding (`dtype_tolerance`), and
    when it is rejected the message says its dtype was taken into account.
    Returns True when the check passes.
    """
    expected = np.asarray(expected)
    got = _result_shaped_like(name, got, expected)
    if got.dtype.kind == "b" and expected.dtype.kind != "b":
        got = got.astype(np.float64)
    atol, rtol = dtype_tolerance(got.dtype, expected, atol, rtol)
    if _matches(got, expected, atol, rtol):
        return True

    shown = values_shown()
    lines = (
        [f"expected:\n    {_show(expected)}", f"got:\n    {_show(got)}"]
        if shown
        else [WITHHELD]
    )
    if got.dtype.kind in "fc" and not np.isfinite(got).all():
        bad = int(got.size - np.count_nonzero(np.isfinite(got)))
        lines.append(
            f"{bad} of your values are NaN or inf. Is a computation numerically"
            " unstable? (e.g. exp of a large number: subtract the maximum first;"
            " log of 0)"
        )
        _fail(name, lines)
    diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    if shown and got.ndim:
        where = np.unravel_index(int(np.argmax(diff)), diff.shape)
        want, have = _show_pair(expected[where], got[where])
        lines.append(
            f"largest difference {diff[where]:.3g} at index {tuple(map(int, where))}:"
            f" expected {want}, got {have}"
        )
    elif shown:
        want, have = _show_pair(expected, got)
        lines.append(f"difference {float(diff):.3g}: expected {want}, got {have}")
    note = _dtype_note(got, expected, rtol)
    if note:
        lines.append(note)

    named = matching_mistakes(mistakes, lambda w: _matches(got, w, atol, rtol))
    if not named and _shifted_in_time(got, expected, time_axis, atol, rtol):
        named.append(describe("off_by_one"))
    if named:
        lines += exactly_what_you_get(named)
    elif np.any(expected != 0) and _matches(got, -expected, atol, rtol):
        lines.append("Your values have the wrong sign.")
    elif np.any(expected != 0):
        ratio = _constant_ratio(got, expected, rtol)
        if ratio is not None:
            lines.append(_factor_hint(ratio))
    _fail(name, lines)


def _factor_hint(ratio):
    """What a constant factor between got and expected usually means, said
    the right way round: too large is a missing division (a sum where the
    mean is wanted), too small an extra one (a mean where the sum is)."""
    size = abs(ratio)
    sign = ", with the wrong sign" if ratio < 0 else ""
    if size > 1:
        return (
            f"Your values are {size:.4g} times too large{sign}: a missing division"
            f" by {size:.4g} (e.g. summing over the batch where the mean is"
            " wanted)?"
        )
    return (
        f"Your values are {1 / size:.4g} times too small{sign}: an extra division"
        f" by {1 / size:.4g} (e.g. averaging over the batch where the sum is"
        " wanted)?"
    )


def _shifted_in_time(got, expected, time_axis, atol, rtol):
    """Whether `got` is `expected` shifted by one step (either way) along
    `time_axis` (None: the arrays have no time axis)."""
    if time_axis is None or got.shape[time_axis] < 2:
        return False
    n = got.shape[time_axis]

    def steps(a, first, last):
        return np.take(a, range(first, last), axis=time_axis)

    return _matches(steps(got, 1, n), steps(expected, 0, n - 1), atol, rtol) or (
        _matches(steps(got, 0, n - 1), steps(expected, 1, n), atol, rtol)
    )


def _constant_ratio(got, expected, rtol):
    """got / expected if it is the same number everywhere, not 1, and a whole
    number or one over a whole number (a batch size, a count); else None."""
    nz = np.abs(expected) > 1e-12
    if not nz.any() or np.any(np.abs(got[~nz]) > 1e-12):
        return None
    ratios = got[nz] / expected[nz]
    r = float(np.mean(ratios))
    if abs(r) < 1e-12 or np.allclose(r, 1.0, rtol=1e-3):
        return None
    if not np.allclose(ratios, r, rtol=max(rtol, 1e-6)):
        return None
    # a factor worth naming is a count (B, T, 2, ...) or one over a count
    whole = abs(r) if abs(r) >= 1 else 1 / abs(r)
    return r if abs(whole - round(whole)) < 1e-6 * whole else None


def check_scalar(name, got, expected, atol=1e-8, rtol=1e-6, mistakes=None):
    """Assert that `got` is one number equal to `expected` (e.g. a loss).

    A 0-d array or a NumPy scalar is fine; an array of several values is
    reported with a hint to sum or average.
    """
    if isinstance(got, np.ndarray) and got.ndim and got.size == 1:
        _fail(
            name,
            [
                f"expected a single number; got an array of shape {got.shape}.",
                "Return a float, e.g. float(total) or total.item().",
            ],
        )
    return check_array(name, got, np.float64(expected), atol, rtol, mistakes)


def check_gradient(name, analytic, numeric, tol=None, mistakes=None, floor=0.0):
    """Assert that an analytic gradient agrees with a numerical one.

    The course's gradient-check policy (rnnlib/gradcheck.py,
    docs/gradient_checks.md): the measure is rnnlib.gradcheck.gradient_error,
    max |a - n| / (max |a| + max |n| + floor), and the bound
    GRADIENT_TOLERANCE (tol=None), 100x above the worst error a correct
    float64 gradient shows on any CPU and 100x below the smallest a named
    mistake gives.  floor: the size of the gradient at the loss, for a
    gradient that may have vanished through time (exercise 08).
    """
    from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error

    tol = GRADIENT_TOLERANCE if tol is None else tol
    numeric = np.asarray(numeric)
    got = _result_shaped_like(name, analytic, numeric, "a gradient of ")
    err = gradient_error(got, numeric, floor)
    if err < tol:
        return True
    lines = [
        f"your gradient and the numerical one differ: gradient error {err:.2g}"
        f" (should be < {tol:g}).",
    ]
    if values_shown():
        lines += [f"numerical:\n    {_show(numeric)}", f"yours:\n    {_show(got)}"]
    else:
        lines.append(WITHHELD)
    named = matching_mistakes(mistakes, lambda w: _matches(got, w, 1e-8, 1e-6))
    lines += exactly_what_you_get(named)
    _fail(name, lines)


def check_unchanged(name, before, after):
    """Assert that a function did not change its input array in place."""
    if not np.array_equal(before, after):
        raise AssertionError(
            f"your function changed its input {name} in place. Work on a copy"
            f" (e.g. {name} = {name} - m, not {name} -= m), so the caller's"
            " array stays as it was."
        )
    return True


def check_returns(func_name, got, names):
    """Assert that a function returned a tuple of len(names) values; return it.

    names  what the values are called, e.g. ("dx_t", "dh_prev", "dW_hx", ...)
    """
    listed = ", ".join(names)
    if got is None:
        raise AssertionError(
            f"{func_name} returned None; it must return {len(names)} values:"
            f" {listed}. Did it reach a `return` statement?"
        )
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        what = (
            f"{len(got)} values"
            if isinstance(got, (tuple, list))
            else f"one {type(got).__name__}"
        )
        raise AssertionError(
            f"{func_name} must return {len(names)} values, in this order:"
            f" {listed}; it returned {what}."
        )
    return tuple(got)


def check_same_keys(name, got, expected):
    """Assert that `got` is a dict with exactly the keys of `expected`.

    For gradient dicts: grads must have the keys of params, no more, no fewer.
    """
    if not isinstance(got, dict):
        raise AssertionError(
            f"{name} must be a dict with the keys {sorted(expected)};"
            f" got {type(got).__name__}"
        )
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    if missing or extra:
        raise AssertionError(
            f"{name} must have the keys {sorted(expected)}; missing {missing},"
            f" unexpected {extra}"
        )
    return True


def copies(*values):
    """Fresh copies of a test's inputs for the learner's function (arrays,
    and the dicts, lists and tuples that hold them; anything else as it
    is), so that a function that changes its inputs in place cannot change
    what the references computed from them see:

        got = rnn_step_forward(*copies(x_t, h_prev, W_hx, W_hh, b_h))
    """
    return tuple(_copy(v) for v in values)


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return type(value)(*(_copy(v) for v in value))
    if isinstance(value, list | tuple):
        return type(value)(_copy(v) for v in value)
    return value
