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

Values:      check_array, check_scalar, check_gradient, check_returns,
             check_same_keys, check_unchanged
Upstream:    check_upstream (a later part that calls an earlier part's
             function says so when that function is wrong: UpstreamError)
Own work:    check_not_calling (bytecode + stand-ins that raise)
Randomness:  check_frequencies (chi-square), check_global_random_untouched
Mistakes:    MISTAKES (the usual ones, by key), shape_error_hint (the one
             behind a NumPy shape error) and the `*_mistakes` functions,
             which compute what the common wrong versions of an RNN step, a
             forward pass, BPTT, a softmax, a masked loss, a many-to-one
             backward or a generation loop return, so `check_array` can name
             them.  They are written with plain NumPy (the classifier's with
             rnnlib's RNN), independently of the learner's code.
"""

import dis
import sys
import types

import numpy as np

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
}


def describe(mistake):
    """The explanation of a mistake key of MISTAKES, or the text itself."""
    return MISTAKES.get(mistake, mistake)


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


# ---------------------------------------------------------------------------
# Comparing values
# ---------------------------------------------------------------------------


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
    unsummed shape, NaN/inf, a wrong sign and a constant factor.
    Returns True when the check passes.
    """
    expected = np.asarray(expected)
    got = _as_result_array(name, got, expected)
    if got.shape != expected.shape:
        _fail(
            name,
            [f"expected shape {expected.shape}; got shape {got.shape}."]
            + _shape_hints(got, expected),
        )
    if got.dtype.kind == "b" and expected.dtype.kind != "b":
        got = got.astype(np.float64)
    if _matches(got, expected, atol, rtol):
        return True

    lines = [f"expected:\n    {_show(expected)}", f"got:\n    {_show(got)}"]
    if got.dtype.kind in "fc" and not np.isfinite(got).all():
        bad = int(got.size - np.count_nonzero(np.isfinite(got)))
        lines.append(
            f"{bad} of your values are NaN or inf. Is a computation numerically"
            " unstable? (e.g. exp of a large number: subtract the maximum first;"
            " log of 0)"
        )
        _fail(name, lines)
    diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    if got.ndim:
        where = np.unravel_index(int(np.argmax(diff)), diff.shape)
        lines.append(
            f"largest difference {diff[where]:.3g} at index {tuple(map(int, where))}:"
            f" expected {_show(expected[where])}, got {_show(got[where])}"
        )
    else:
        lines.append(f"difference {float(diff):.3g}")

    named = [
        describe(key)
        for key, wrong in (mistakes or {}).items()
        if wrong is not None and _matches(got, wrong, atol, rtol)
    ]
    if time_axis is not None and not named and got.shape[time_axis] > 1:
        n = got.shape[time_axis]
        early = np.take(got, range(1, n), axis=time_axis)
        late = np.take(expected, range(n - 1), axis=time_axis)
        if _matches(early, late, atol, rtol) or _matches(
            np.take(got, range(n - 1), axis=time_axis),
            np.take(expected, range(1, n), axis=time_axis),
            atol,
            rtol,
        ):
            named.append(describe("off_by_one"))
    if named:
        lines += [f"This is exactly what you get with {text}." for text in named]
    elif np.any(expected != 0) and _matches(got, -expected, atol, rtol):
        lines.append("Your values have the wrong sign.")
    elif np.any(expected != 0):
        ratio = _constant_ratio(got, expected, rtol)
        if ratio is not None:
            lines.append(
                f"Your values are {ratio:.4g} times the expected ones: a missing or"
                " extra factor (e.g. averaging over the batch instead of summing)?"
            )
    _fail(name, lines)


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


def check_gradient(name, analytic, numeric, tol=None, mistakes=None):
    """Assert that an analytic gradient agrees with a numerical one.

    The course's gradient-check policy (rnnlib/gradcheck.py,
    docs/gradient_checks.md): the measure is rnnlib.gradcheck.gradient_error,
    max |a - n| / (max |a| + max |n|), and the bound GRADIENT_TOLERANCE
    (tol=None), 100x above the worst error a correct float64 gradient shows
    on any CPU and 100x below the smallest a named mistake gives.
    """
    from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error

    tol = GRADIENT_TOLERANCE if tol is None else tol
    numeric = np.asarray(numeric)
    got = _as_result_array(name, analytic, numeric)
    if got.shape != numeric.shape:
        _fail(
            name,
            [f"expected a gradient of shape {numeric.shape}; got shape {got.shape}."]
            + _shape_hints(got, numeric),
        )
    err = gradient_error(got, numeric)
    if err < tol:
        return True
    lines = [
        f"your gradient and the numerical one differ: gradient error {err:.2g}"
        f" (should be < {tol:g}).",
        f"numerical:\n    {_show(numeric)}",
        f"yours:\n    {_show(got)}",
    ]
    named = [
        describe(k)
        for k, wrong in (mistakes or {}).items()
        if wrong is not None and _matches(got, wrong, 1e-8, 1e-6)
    ]
    lines += [f"This is exactly what you get with {text}." for text in named]
    _fail(name, lines)


# ---------------------------------------------------------------------------
# Feedback that points upstream
# ---------------------------------------------------------------------------


class UpstreamError(AssertionError):
    """A part cannot be tested because a function of an earlier part, which
    it calls, does not pass that part's tests yet."""


def _uses_name(func, name):
    """Whether `func`, or a function of the same notebook it calls, refers to
    the global `name` (read from the bytecode, as check_not_calling does)."""
    seen, todo = set(), [func]
    while todo:
        f = todo.pop()
        f = getattr(f, "__func__", f)  # bound methods
        code = getattr(f, "__code__", None)
        if code is None or id(code) in seen:
            continue
        seen.add(id(code))
        glb = getattr(f, "__globals__", {})
        for co in _code_objects(code):
            for ins in dis.get_instructions(co):
                if ins.opname not in _GLOBAL_OPS or not isinstance(ins.argval, str):
                    continue
                if ins.argval == name:
                    return True
                value = glb.get(ins.argval)
                if isinstance(value, types.FunctionType) and value.__globals__ is glb:
                    todo.append(value)
    return False


def check_upstream(part, upstream, check, used_by, name=None):
    """Before testing `used_by`, make sure the earlier part it builds on works.

    part      the earlier part, as the notebook names it, e.g. "Part 2"
    upstream  the learner's function of that part, e.g. lstm_step_backward
    check     a function of no arguments that runs that part's test on a
              small input (raises AssertionError when it fails)
    used_by   the function this part tests, e.g. lstm_backward
    name      the grade_id of the earlier part's tests, for the message

    If `used_by` calls `upstream` (found in its bytecode) and `check` fails,
    raise UpstreamError: "this part calls your lstm_step_backward from
    Part 2, which does not pass its tests yet: fix Part 2 first", followed
    by what Part 2's test said.  If `used_by` does its work without
    `upstream`, nothing is checked: the part is graded on its own.
    """
    fname = getattr(upstream, "__name__", str(upstream))
    if not _uses_name(used_by, fname):
        return True
    try:
        check()
    except Exception as err:  # any failure of the earlier part counts
        what = f"{type(err).__name__}: {err}".strip()
        if isinstance(err, AssertionError):
            what = str(err).strip() or "a check failed"
        tests = f" (`{name}`)" if name else ""
        raise UpstreamError(
            f"this part calls your `{fname}` from {part}{tests}, which does not"
            f" pass its tests yet: fix {part} first.\n{part}'s test says: {what}"
        ) from None
    return True


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


# ---------------------------------------------------------------------------
# Proving that a function does its own work
# ---------------------------------------------------------------------------


class _ForbiddenCall(BaseException):
    """Raised by a stand-in for a forbidden function (a BaseException, so a
    student's `except Exception` does not swallow it)."""


def _rnnlib_modules():
    return [
        m
        for name, m in list(sys.modules.items())
        if m is not None and (name == "rnnlib" or name.startswith("rnnlib."))
    ]


def _forbidden_objects(names):
    """{id(obj): (obj, name)} for every rnnlib attribute called one of `names`."""
    found = {}
    for module in _rnnlib_modules():
        for name in names:
            obj = getattr(module, name, None)
            if obj is not None and not isinstance(obj, types.ModuleType):
                found[id(obj)] = (obj, name)
    return found


def _is_rnnlib_module(obj):
    return isinstance(obj, types.ModuleType) and (
        obj.__name__ == "rnnlib" or obj.__name__.startswith("rnnlib.")
    )


def _code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


_GLOBAL_OPS = {"LOAD_GLOBAL", "LOAD_NAME"}
_ATTR_OPS = {"LOAD_ATTR", "LOAD_METHOD", "IMPORT_FROM"}


def _static_uses(func, names, forbidden):
    """{forbidden name: names of the functions that use it}, for `func` and
    every function of the same notebook it calls, found in their bytecode."""
    uses = {}
    seen = set()
    todo = [func]
    while todo:
        f = todo.pop()
        f = getattr(f, "__func__", f)  # bound methods
        code = getattr(f, "__code__", None)
        if code is None or id(code) in seen:
            continue
        seen.add(id(code))
        where = getattr(f, "__name__", "?")

        def found(name, where=where):
            uses.setdefault(name, set()).add(where)

        glb = getattr(f, "__globals__", {})
        extra = list(f.__defaults__ or ()) + list((f.__kwdefaults__ or {}).values())
        extra += [c.cell_contents for c in (f.__closure__ or ()) if _cell_full(c)]
        for value in extra:
            if id(value) in forbidden:
                found(forbidden[id(value)][1])
            elif isinstance(value, types.FunctionType):
                todo.append(value)
        for co in _code_objects(code):
            attrs, touches_rnnlib = set(), False
            for ins in dis.get_instructions(co):
                arg = ins.argval if isinstance(ins.argval, str) else None
                if arg is None:
                    continue
                if ins.opname in _GLOBAL_OPS:
                    value = glb.get(arg, None)
                    if value is None:
                        continue
                    if id(value) in forbidden:
                        found(forbidden[id(value)][1])
                    elif _is_rnnlib_module(value):
                        touches_rnnlib = True
                    elif (
                        isinstance(value, types.FunctionType)
                        and value.__globals__ is glb
                    ):
                        todo.append(value)
                elif ins.opname == "IMPORT_NAME" and arg.split(".")[0] == "rnnlib":
                    touches_rnnlib = True
                    if arg.split(".")[-1] in names:
                        found(arg.split(".")[-1])
                elif ins.opname in _ATTR_OPS:
                    attrs.add(arg)
            if touches_rnnlib:
                for name in attrs & set(names):
                    found(name)
    return uses


def _cell_full(cell):
    try:
        cell.cell_contents  # noqa: B018 -- an empty cell raises ValueError
    except ValueError:
        return False
    return True


def _not_calling_message(func, uses):
    """uses: {forbidden name: names of the functions that use it (may be empty)}."""
    fname = getattr(func, "__name__", "your function")
    parts = []
    for name in sorted(uses):
        others = sorted(set(uses[name]) - {fname})
        via = f" (in your {', '.join(others)})" if others else ""
        parts.append(f"rnnlib's {name}{via}")
    return (
        f"your {fname} uses {', '.join(parts)}, the reference it is compared with."
        " Write the computation yourself with NumPy: that is the exercise."
    )


def check_not_calling(func, forbidden_names, args=None, kwargs=None):
    """Assert that `func` does its own work instead of calling rnnlib's.

    forbidden_names  names of rnnlib functions or classes, e.g.
                     ["rnn_forward", "rnn_step_forward", "RNN"]
                     ("rnnlib." in front is allowed; names that rnnlib does
                     not define are still looked for in the code).

    Two proofs:
    1. reading the bytecode of `func`, and of every function of the same
       notebook it refers to, for a reference to a forbidden rnnlib
       function (by name through the rnnlib module, or by the function
       object itself, however it was imported or renamed);
    2. if `args` is given, calling func(*args, **kwargs) while every
       forbidden function (in rnnlib and in the notebook's globals) is
       replaced by one that raises.
    Returns what func returned (None without `args`).
    """
    names = [n.split(".")[-1] for n in forbidden_names]
    forbidden = _forbidden_objects(names)
    uses = _static_uses(func, names, forbidden)
    if uses:
        raise AssertionError(_not_calling_message(func, uses))
    if args is None:
        return None

    called = []

    def stand_in(name):
        def forbidden_call(*_args, **_kwargs):
            called.append(name)
            raise _ForbiddenCall(name)

        return forbidden_call

    namespaces = [vars(m) for m in _rnnlib_modules()]
    glb = getattr(getattr(func, "__func__", func), "__globals__", None)
    if glb is not None:
        namespaces.append(glb)
    saved = []
    for ns in namespaces:
        for key, value in list(ns.items()):
            if id(value) in forbidden:
                saved.append((ns, key, value))
    try:
        for ns, key, value in saved:
            ns[key] = stand_in(forbidden[id(value)][1])
        try:
            result = func(*args, **(kwargs or {}))
        except _ForbiddenCall:
            result = None
    finally:
        for ns, key, value in saved:
            ns[key] = value
    if called:
        raise AssertionError(_not_calling_message(func, {n: () for n in called}))
    return result


# ---------------------------------------------------------------------------
# What the usual wrong versions return
# ---------------------------------------------------------------------------


def _step(x_t, h_prev, W_hx, W_hh, b_h):
    return np.tanh(x_t @ W_hx.T + h_prev @ W_hh.T + b_h)


def rnn_step_mistakes(x_t, h_prev, W_hx, W_hh, b_h):
    """What common wrong versions of one tanh RNN step return.

    Returns {mistake: h_next}; shapes that cannot be computed are left out
    (e.g. a transposed W_hx only fits when D == H).
    """
    out = {
        MISTAKES["transposed"] + " (here h_prev @ W_hh instead of h_prev @ W_hh.T)": (
            _step(x_t, h_prev, W_hx, W_hh.T, b_h)
        ),
        "a missing bias b_h": _step(x_t, h_prev, W_hx, W_hh, 0 * b_h),
        "a missing tanh (the activation)": x_t @ W_hx.T + h_prev @ W_hh.T + b_h,
        "a missing recurrent term h_prev @ W_hh.T": _step(
            x_t, 0 * h_prev, W_hx, W_hh, b_h
        ),
        "a missing input term x_t @ W_hx.T": _step(0 * x_t, h_prev, W_hx, W_hh, b_h),
    }
    if W_hx.shape[0] == W_hx.shape[1]:
        out[MISTAKES["transposed"] + " (here x_t @ W_hx instead of x_t @ W_hx.T)"] = (
            _step(x_t, h_prev, W_hx.T, W_hh, b_h)
        )
    return out


def _run(x, h0, W_hx, W_hh, b_h, carry=True, W_hh_used=None):
    B, T, _ = x.shape
    H = W_hh.shape[0]
    h0 = np.zeros((B, H)) if h0 is None else h0
    W = W_hh if W_hh_used is None else W_hh_used
    h = np.empty((B, T, H))
    prev = h0
    for t in range(T):
        h[:, t] = _step(x[:, t], prev if carry else h0, W_hx, W, b_h)
        prev = h[:, t]
    return h


def rnn_forward_mistakes(x, h0, W_hx, W_hh, b_h):
    """What common wrong versions of a tanh RNN forward pass return.

    x (B, T, D), h0 (B, H) or None.  Returns {mistake: h (B, T, H)}:
    the state not carried (h reset to h0 at every step), a transposed
    W_hh, and h0 stored in place of h_1 (off by one in time).
    """
    h = _run(x, h0, W_hx, W_hh, b_h)
    h0z = np.zeros_like(h[:, 0]) if h0 is None else h0
    return {
        "state_not_carried": _run(x, h0, W_hx, W_hh, b_h, carry=False),
        MISTAKES["transposed"] + " (here h_prev @ W_hh instead of h_prev @ W_hh.T)": (
            _run(x, h0, W_hx, W_hh, b_h, W_hh_used=W_hh.T)
        ),
        "off_by_one": np.concatenate([h0z[:, None], h[:, :-1]], axis=1),
    }


def rnn_backward_mistakes(dh, x, h0, W_hx, W_hh, b_h):
    """What common wrong versions of BPTT return, for a tanh RNN.

    dh (B, T, H) = dL/dh_t from above; x, h0, weights as for the forward.
    Returns {output name: {mistake: array}} for the outputs of rnn_backward,
    "dx", "dh0", "dW_hx", "dW_hh", "db_h":
      - not summed over time: the weight gradients of the last step only,
        or of the first step only (what `=` instead of `+=` in a loop from
        t = T down to 1 leaves);
      - the gradient not carried back: step t only gets dh[:, t], nothing
        from step t + 1;
      - transposed W_hh in the carry (da @ W_hh.T instead of da @ W_hh).
    """
    h = _run(x, h0, W_hx, W_hh, b_h)
    B, T, _ = x.shape
    h0 = np.zeros_like(h[:, 0]) if h0 is None else h0
    prevs = [h0] + [h[:, t] for t in range(T - 1)]

    def bptt(carry_on=True, W_carry=W_hh, only_step=None):
        grads = {
            "dx": np.zeros_like(x),
            "dW_hx": np.zeros_like(W_hx),
            "dW_hh": np.zeros_like(W_hh),
            "db_h": np.zeros_like(b_h),
        }
        carry = np.zeros_like(h0)
        for t in range(T - 1, -1, -1):
            da = (dh[:, t] + (carry if carry_on else 0)) * (1 - h[:, t] ** 2)
            grads["dx"][:, t] = da @ W_hx
            if only_step is None or t == only_step:
                grads["dW_hx"] += da.T @ x[:, t]
                grads["dW_hh"] += da.T @ prevs[t]
                grads["db_h"] += da.sum(axis=0)
            carry = da @ W_carry
        grads["dh0"] = carry
        return grads

    variants = {
        "not_summed_over_time": bptt(only_step=T - 1),
        MISTAKES["not_summed_over_time"].replace("the last step's", "one step's")
        + " (here step t = 1, the last one a backward loop visits: += not =)": bptt(
            only_step=0
        ),
        "a gradient that is not carried back in time: step t must get"
        " dL/dh_t from above plus dh_prev from step t + 1": bptt(carry_on=False),
        MISTAKES["transposed"] + " (here da @ W_hh.T instead of da @ W_hh)": bptt(
            W_carry=W_hh.T
        ),
    }
    return {
        key: {mistake: grads[key] for mistake, grads in variants.items()}
        for key in ("dx", "dh0", "dW_hx", "dW_hh", "db_h")
    }


def softmax_mistakes(z, temperature=1.0):
    """What common wrong versions of softmax(z / temperature) over the last
    axis return: softmax over another axis, and z * temperature in place of
    z / temperature.  Returns {mistake: probabilities}."""
    z = np.asarray(z, dtype=np.float64)

    def softmax(a, axis):
        e = np.exp(a - a.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    out = {}
    if temperature != 1.0:
        out["the logits multiplied by the temperature instead of divided by it"] = (
            softmax(z * temperature, -1)
        )
        out["the temperature left out"] = softmax(z, -1)
    for axis in range(z.ndim - 1):
        out[MISTAKES["softmax_axis"] + f" (you used axis={axis})"] = softmax(
            z / temperature, axis
        )
    if z.ndim > 1:
        out[MISTAKES["softmax_axis"] + " (you normalised over all values at once)"] = (
            np.exp(z / temperature - (z / temperature).max())
            / np.exp(z / temperature - (z / temperature).max()).sum()
        )
    return out


def rnn_step_backward_mistakes(dh_next, x_t, h_prev, W_hx, W_hh, b_h):
    """What common wrong versions of one tanh RNN step's backward return.

    Returns {output name: {mistake: array}} for "dx_t", "dh_prev", "dW_hx",
    "dW_hh", "db_h":
      - the tanh derivative left out (da = dh_next);
      - tanh' taken of h_next again, 1 - tanh(h_next)**2 (h_next already is
        tanh(a), so tanh'(a) = 1 - h_next**2);
      - a transposed weight when passing the gradient down (da @ W.T).
    """
    h_next = _step(x_t, h_prev, W_hx, W_hh, b_h)

    def grads(da, W_in=W_hx, W_rec=W_hh):
        return {
            "dx_t": da @ W_in,
            "dh_prev": da @ W_rec,
            "dW_hx": da.T @ x_t,
            "dW_hh": da.T @ h_prev,
            "db_h": da.sum(axis=0),
        }

    da = dh_next * (1 - h_next**2)
    variants = {
        "the tanh derivative left out (da must be dh_next * (1 - h_next**2))": grads(
            dh_next
        ),
        "tanh' taken of h_next again: h_next is already tanh(a), so"
        " tanh'(a) = 1 - h_next**2, not 1 - np.tanh(h_next)**2": grads(
            dh_next * (1 - np.tanh(h_next) ** 2)
        ),
        MISTAKES["transposed"] + " (here da @ W_hh.T instead of da @ W_hh)": grads(
            da, W_rec=W_hh.T
        ),
    }
    if W_hx.shape[0] == W_hx.shape[1]:
        variants[
            MISTAKES["transposed"] + " (here da @ W_hx.T instead of da @ W_hx)"
        ] = grads(da, W_in=W_hx.T)
    keys = ("dx_t", "dh_prev", "dW_hx", "dW_hh", "db_h")
    return {k: {m: g[k] for m, g in variants.items()} for k in keys}


def _log_softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def masked_cross_entropy_mistakes(logits, targets, mask=None):
    """What common wrong versions of the masked softmax cross-entropy return.

    logits (B, T, C), targets int (B, T), mask (B, T) or None.  The right
    answer: loss = (1/B) sum_{b,t} mask * (-log softmax(z)_target),
    dlogits = mask * (softmax(z) - onehot) / B.
    Returns {"loss": {mistake: float}, "dlogits": {mistake: array}}.
    """
    z = np.asarray(logits, dtype=np.float64)
    B, T, C = z.shape
    m = np.ones((B, T)) if mask is None else np.asarray(mask, dtype=np.float64)
    onehot = np.eye(C)[targets]

    def loss_and_grad(weights, divisor, axis=-1):
        logp = _log_softmax(z, axis)
        per_step = -(logp * onehot).sum(axis=-1)
        dz = (np.exp(logp) - onehot) * weights[..., None]
        return float((per_step * weights).sum() / divisor), dz / divisor

    variants = {
        "the mask left out: padded steps must not count": loss_and_grad(
            np.ones((B, T)), B
        ),
        "a division by the number of real steps, mask.sum(), where the course's"
        " loss divides by the batch size B": loss_and_grad(m, max(m.sum(), 1.0)),
        "an average over all B * T positions, where the course's loss sums over"
        " time and averages over the batch (divides by B)": loss_and_grad(m, B * T),
        "no division by the batch size B": loss_and_grad(m, 1.0),
    }
    if T > 1:
        variants[MISTAKES["softmax_axis"] + " (you used axis=1, time)"] = loss_and_grad(
            m, B, axis=1
        )
    return {
        "loss": {k: v[0] for k, v in variants.items()},
        "dlogits": {k: v[1] for k, v in variants.items()},
    }


def many_to_one_backward_mistakes(dlogits, x, params):
    """What common wrong backward passes of a many-to-one classifier return.

    The model: h = rnn_forward(x, 0, W_hx, W_hh, b_h); logits = h[:, -1] @
    W_yh.T + b_y, squeezed to (B,).  dlogits (B,); params has "W_hx",
    "W_hh", "b_h", "W_yh" (1, H), "b_y" (1,).  Returns {param name:
    {mistake: gradient}} for the gradient sent into the wrong time steps
    (every step, or the first step instead of the last).
    """
    from rnnlib import rnn_backward, rnn_forward

    p = params
    h, cache = rnn_forward(x, None, p["W_hx"], p["W_hh"], p["b_h"])
    dlogits = np.asarray(dlogits, dtype=np.float64).reshape(-1, 1)
    dh_T = dlogits @ p["W_yh"]  # (B, H)

    def grads(dh):
        _, _, dW_hx, dW_hh, db_h = rnn_backward(dh, cache)
        return {"W_hx": dW_hx, "W_hh": dW_hh, "b_h": db_h}

    every = np.repeat(dh_T[:, None], h.shape[1], axis=1)
    first = np.zeros_like(h)
    first[:, 0] = dh_T
    variants = {
        "the gradient sent into every time step: only the last hidden state"
        " h_T feeds the output, so dh is zero except at t = T": grads(every),
    }
    if h.shape[1] > 1:
        variants[
            MISTAKES["off_by_one"] + " (the gradient enters at the first step, not"
            " the last: dh[:, -1] = dlogits[:, None] * W_yh)"
        ] = grads(first)
    return {k: {m: g[k] for m, g in variants.items()} for k in ("W_hx", "W_hh", "b_h")}


def generator_logits_mistakes(params, first_id, fed_ids):
    """What a generation loop's logits look like when it goes wrong.

    params: "W_hx" (H, V), "W_hh" (H, H), "b_h" (H,), "W_yh" (V, H), "b_y" (V,).
    The right loop starts from h0 = 0, reads first_id, then fed_ids[0],
    fed_ids[1], … (each one-hot), and records the logits after each read.
    Returns {mistake: logits (L, V)} with L = len(fed_ids) + 1 for a state
    that is not carried and for the first token fed at every step.
    """
    p = params
    V = p["W_yh"].shape[0]

    def run(inputs, carry=True):
        h = np.zeros(p["W_hh"].shape[0])
        out = []
        for i in inputs:
            h = _step(
                np.eye(V)[i], h if carry else 0 * h, p["W_hx"], p["W_hh"], p["b_h"]
            )
            out.append(h @ p["W_yh"].T + p["b_y"])
        return np.array(out)

    inputs = [first_id] + list(fed_ids)
    return {
        "state_not_carried": run(inputs, carry=False),
        "the first token fed in at every step: feed back the token you just"
        " sampled": run([first_id] * len(inputs)),
    }


# ---------------------------------------------------------------------------
# Random samples
# ---------------------------------------------------------------------------


def chi_square_critical(df, z=3.719):
    """The chi-square value exceeded with probability ~1e-4 (z = 3.719) for
    `df` degrees of freedom, by the Wilson-Hilferty approximation: within 8%
    of the exact quantile and above it, so a correct sampler passes a little
    more often, never less.  (No SciPy needed.)"""
    a = 2.0 / (9.0 * df)
    return float(df * (1.0 - a + z * np.sqrt(a)) ** 3)


def check_frequencies(name, samples, probs, alternatives=None):
    """Assert that integer samples look drawn from `probs`, by a chi-square test.

    samples  N ints in [0, V); probs (V,) the distribution they should follow.
    The statistic sum_k (n_k - N p_k)^2 / (N p_k) over the classes with p_k > 0
    must stay below chi_square_critical(V' - 1) (a correct sampler fails about
    once in 10 000 seeds; tests use fixed seeds).  A sample of a class with
    p_k = 0 fails at once.  alternatives: optional {mistake: probs} named when
    the samples fit one of them instead.
    """
    samples = np.asarray(samples)
    probs = np.asarray(probs, dtype=np.float64)
    V, N = probs.size, samples.size
    if samples.dtype.kind not in "iu":
        raise AssertionError(f"{name}: samples must be integers; got {samples.dtype}")
    if N and (samples.min() < 0 or samples.max() >= V):
        raise AssertionError(
            f"{name}: samples must lie in [0, {V}); got values from"
            f" {samples.min()} to {samples.max()}"
        )
    counts = np.bincount(samples.reshape(-1), minlength=V)

    def statistic(p):
        if np.any(counts[p <= 0] > 0):
            return np.inf
        keep = p > 0
        expected = N * p[keep]
        return float(((counts[keep] - expected) ** 2 / expected).sum())

    df = max(int((probs > 0).sum()) - 1, 1)
    stat, limit = statistic(probs), chi_square_critical(df)
    if stat <= limit:
        return True
    lines = [
        f"expected counts about {np.round(N * probs, 1).tolist()} in {N} samples",
        f"     got counts {counts.tolist()}",
        f"chi-square {stat:.1f} > {limit:.1f}: these samples do not follow the"
        " probabilities.",
    ]
    for mistake, p in (alternatives or {}).items():
        p = np.asarray(p, dtype=np.float64)
        if statistic(p) <= chi_square_critical(max(int((p > 0).sum()) - 1, 1)):
            lines.append(f"They fit {describe(mistake)}.")
    _fail(name, lines)


def check_global_random_untouched(func, args=(), kwargs=None, name=None):
    """Call func(*args, **kwargs); assert it drew nothing from np.random's
    hidden global generator (np.random.rand, np.random.choice, ...).
    `name` is what the message calls the culprit (default: func's name).
    Returns what func returned."""
    before = np.random.get_state()  # noqa: NPY002 -- the legacy state is the point
    try:
        result = func(*args, **(kwargs or {}))
        after = np.random.get_state()  # noqa: NPY002
    finally:
        np.random.set_state(before)  # noqa: NPY002 -- leave it as it was
    if after[2] != before[2] or not np.array_equal(after[1], before[1]):
        name = name or getattr(func, "__name__", "your function")
        raise AssertionError(
            f"{name} used NumPy's hidden global generator (np.random.rand,"
            " np.random.choice, ...): draw with the np.random.Generator you are"
            " given (rng.random(), rng.choice(...)), so the same seed gives the"
            " same result."
        )
    return result


# ---------------------------------------------------------------------------
# Lectures 06-10: decoding, two directions, gradient norms, the LSTM
# ---------------------------------------------------------------------------

MISTAKES["gate_order"] = (
    "the gates in the wrong order: the 4H rows of W_x, W_h and b hold four"
    " blocks of H rows, in the order i, f, g, o (input, forget, candidate,"
    " output), as in PyTorch"
)


def _show_row(row, width=60):
    text = repr(row)
    return text if len(text) <= width else text[: width - 3] + "..."


def check_token_lists(name, got, expected, mistakes=None):
    """Assert that `got` is a list of token-id lists equal to `expected`.

    For outputs with one list per sequence and lists of different lengths,
    such as greedy decoding stopped at <eos>.  A 2-D int array counts as one
    list per row.  mistakes: optional {key or text: list of lists}, named
    when `got` equals one of them.  Returns True when the check passes.
    """
    exp = [[int(t) for t in row] for row in expected]
    wanted = f"a list of {len(exp)} lists of int token ids, one per sequence"
    if got is None:
        _fail(
            name,
            [f"expected {wanted}; got None.", "Did the function reach a `return`?"],
        )
    if isinstance(got, np.ndarray) and got.ndim == 2:
        got = list(got)
    if not isinstance(got, (list, tuple)):
        _fail(name, [f"expected {wanted}; got {type(got).__name__}."])
    if len(got) != len(exp):
        _fail(name, [f"expected {wanted}; got {len(got)} items."])
    rows = []
    for i, row in enumerate(got):
        arr = np.asarray(row) if isinstance(row, (list, tuple, np.ndarray)) else None
        if arr is None or arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
            _fail(
                name,
                [f"row {i} must be a list of int token ids; got {_show_row(row)}."],
            )
        rows.append([int(t) for t in arr])
    if rows == exp:
        return True
    bad = [i for i, (g, e) in enumerate(zip(rows, exp, strict=True)) if g != e]
    i = bad[0]
    lines = [
        f"{len(bad)} of {len(exp)} sequences differ; the first is row {i}:",
        f"expected: {exp[i]}",
        f"got:      {rows[i]}",
    ]
    named = [
        describe(key)
        for key, wrong in (mistakes or {}).items()
        if wrong is not None and [[int(t) for t in r] for r in wrong] == rows
    ]
    if named:
        lines += [f"This is exactly what you get with {text}." for text in named]
    elif len(rows[i]) > len(exp[i]) and rows[i][: len(exp[i])] == exp[i]:
        lines.append("Your row has the expected tokens and then more: does it stop?")
    elif len(rows[i]) < len(exp[i]) and exp[i][: len(rows[i])] == rows[i]:
        lines.append("Your row is the beginning of the expected one: it stops early.")
    _fail(name, lines)


def greedy_decode_mistakes(context, params, max_len, bos_id, eos_id):
    """What common wrong greedy decoders return, as lists of token ids.

    The right decoder starts from g_0 = context (B, H) and the token <bos>;
    at each step g_t = tanh(E_tgt[token] @ W_hx_dec.T + g_{t-1} @ W_hh_dec.T
    + b_h_dec) and the next token is argmax(g_t @ W_yh.T + b_y); a row stops
    at its first <eos>, which is left out, or after max_len tokens.
    params: "E_tgt" (V, E), "W_hx_dec" (H, E), "W_hh_dec" (H, H),
    "b_h_dec" (H,), "W_yh" (V, H), "b_y" (V,).
    Returns {mistake: list of B lists}.
    """
    p = params
    context = np.asarray(context, dtype=np.float64)
    B = context.shape[0]

    def run(start, carry=True, feed_back=True, softmax_axis=None):
        g, token = start, np.full(B, bos_id)
        out = np.zeros((B, max_len), dtype=np.int64)
        for t in range(max_len):
            g = np.tanh(
                p["E_tgt"][token] @ p["W_hx_dec"].T
                + (g if carry else start) @ p["W_hh_dec"].T
                + p["b_h_dec"]
            )
            scores = g @ p["W_yh"].T + p["b_y"]
            if softmax_axis is not None:
                e = np.exp(scores - scores.max(axis=softmax_axis, keepdims=True))
                scores = e / e.sum(axis=softmax_axis, keepdims=True)
            out[:, t] = scores.argmax(axis=1)
            if feed_back:
                token = out[:, t]
        return out

    def cut(rows, keep_eos=False, limit=None):
        result = []
        for row in rows[:, :limit]:
            ends = np.flatnonzero(row == eos_id)
            stop = ends[0] + int(keep_eos) if ends.size else len(row)
            result.append(row[:stop].tolist())
        return result

    full = run(context)
    ends = [np.flatnonzero(row == eos_id) for row in full]
    first_stop = min((e[0] for e in ends if e.size), default=max_len - 1) + 1
    variants = {
        "a decoder started from zeros: it starts from the encoder's context,"
        " g_0 = c": cut(run(np.zeros_like(context))),
        "a state that is not carried to the next step: every step started again"
        " from the context c. Feed each step's g_t in as the state of step t + 1": cut(
            run(context, carry=False)
        ),
        "<bos> fed in at every step: feed back the token just chosen": cut(
            run(context, feed_back=False)
        ),
        "<eos> kept at the end of the list: leave it out": cut(full, keep_eos=True),
        "no stop at <eos>: a row ends at its first <eos>": [r.tolist() for r in full],
        "<bos> at the start of the list: the output begins with the first token"
        " the decoder chose": [[bos_id] + r for r in cut(full)],
        "every row stopped as soon as one row reached <eos>: each row stops at"
        " its own <eos>": cut(full, limit=first_stop),
        "every row stopped as soon as one row reached <eos> (the loop ended"
        " there): each row stops at its own <eos>": cut(full, limit=first_stop - 1),
    }
    if max_len > 1:
        variants[
            MISTAKES["off_by_one"] + " (at most max_len - 1 tokens: max_len counts"
            " the tokens the decoder chooses, <bos> not included)"
        ] = cut(full, limit=max_len - 1)
    if B > 1:
        variants[
            MISTAKES["softmax_axis"] + " (before the argmax, you normalised over"
            " axis=0, the batch)"
        ] = cut(run(context, softmax_axis=0))
    return variants


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _lstm_gates(a, H, order="ifgo", g_act=np.tanh):
    """i, f, g, o from the pre-activations a (B, 4H), its blocks read in `order`."""
    block = {name: a[:, k * H : (k + 1) * H] for k, name in enumerate(order)}
    return (
        _sigmoid(block["i"]),
        _sigmoid(block["f"]),
        g_act(block["g"]),
        _sigmoid(block["o"]),
    )


def lstm_step_mistakes(x_t, h_prev, c_prev, W_x, W_h, b):
    """What common wrong versions of one LSTM step return.

    Returns {"h_next": {mistake: array}, "c_next": {mistake: array}}: the
    gate blocks read in any order other than i, f, g, o; a sigmoid for the
    candidate g; the cell state not carried (c_prev left out); the input
    gate left out; h_next = o * c_next (no tanh) or o * tanh(c_prev).
    """
    from itertools import permutations

    H = W_h.shape[1]
    a = x_t @ W_x.T + h_prev @ W_h.T + b
    variants = {}
    for order in permutations("ifgo"):
        if order != tuple("ifgo"):
            i, f, g, o = _lstm_gates(a, H, order)
            c = f * c_prev + i * g
            text = f"{MISTAKES['gate_order']} (you read them as {', '.join(order)})"
            variants[text] = (o * np.tanh(c), c)
    i, f, g, o = _lstm_gates(a, H)
    c = f * c_prev + i * g
    i_s, f_s, g_s, o_s = _lstm_gates(a, H, g_act=_sigmoid)
    c_s = f_s * c_prev + i_s * g_s
    variants.update(
        {
            "a sigmoid for the candidate g: g = tanh(a_g); the gates i, f and o"
            " use the sigmoid": (o_s * np.tanh(c_s), c_s),
            "a cell state that is not carried to the next step: c_next ="
            " f * c_prev + i * g keeps part of c_prev": (o * np.tanh(i * g), i * g),
            "the input gate left out: c_next = f * c_prev + i * g": (
                o * np.tanh(f * c_prev + g),
                f * c_prev + g,
            ),
            "h_next = o * c_next: squash the cell state first, h_next ="
            " o * tanh(c_next)": (o * c, c),
            "h_next = o * tanh(c_prev): use the new cell state, c_next": (
                o * np.tanh(c_prev),
                c,
            ),
        }
    )
    return {
        "h_next": {k: v[0] for k, v in variants.items()},
        "c_next": {k: v[1] for k, v in variants.items()},
    }


def lstm_step_backward_mistakes(dh_next, dc_next, cache):
    """What common wrong backward passes of one LSTM step return.

    cache = (x_t, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh_c), rnnlib's
    (tanh_c = tanh(c_next)); dc_next may be None (zeros).  Returns
    {output name: {mistake: array}} for "dx_t", "dh_prev", "dc_prev",
    "dW_x", "dW_h", "db": the gate gradients stacked in another order than
    i, f, g, o; dc_next left out; tanh'(c_next) left out; dc_prev = dc
    (the forget gate left out); the sigmoid or the tanh derivative of the
    gates left out.
    """
    from itertools import permutations

    x_t, h_prev, c_prev, W_x, W_h, i, f, g, o, tanh_c = cache
    dh_next = np.asarray(dh_next, dtype=np.float64)
    dc_next = np.zeros_like(dh_next) if dc_next is None else np.asarray(dc_next)

    def parts(dc, sigmoid_grad=True, tanh_grad=True):
        si = i * (1 - i) if sigmoid_grad else 1.0
        sf = f * (1 - f) if sigmoid_grad else 1.0
        so = o * (1 - o) if sigmoid_grad else 1.0
        return {
            "i": dc * g * si,
            "f": dc * c_prev * sf,
            "g": dc * i * ((1 - g * g) if tanh_grad else 1.0),
            "o": dh_next * tanh_c * so,
        }

    def grads(dc, da_parts, order="ifgo", dc_prev=None):
        da = np.concatenate([da_parts[k] for k in order], axis=1)
        return {
            "dx_t": da @ W_x,
            "dh_prev": da @ W_h,
            "dc_prev": dc * f if dc_prev is None else dc_prev,
            "dW_x": da.T @ x_t,
            "dW_h": da.T @ h_prev,
            "db": da.sum(axis=0),
        }

    dc = dc_next + dh_next * o * (1 - tanh_c**2)
    variants = {}
    for order in permutations("ifgo"):
        if order != tuple("ifgo"):
            text = (
                f"{MISTAKES['gate_order']} (you stacked the gate gradients as"
                f" {', '.join(order)})"
            )
            variants[text] = grads(dc, parts(dc), order)
    no_future = dh_next * o * (1 - tanh_c**2)
    no_tanh = dc_next + dh_next * o
    variants.update(
        {
            "the gradient from the next step's cell state left out: dc ="
            " dc_next + dh_next * o * (1 - tanh(c_next)**2)": grads(
                no_future, parts(no_future)
            ),
            "tanh'(c_next) left out: dc = dc_next + dh_next * o * (1 -"
            " tanh(c_next)**2)": grads(no_tanh, parts(no_tanh)),
            "dc_prev = dc: the forget gate scales the cell's gradient on its way"
            " back, dc_prev = dc * f": grads(dc, parts(dc), dc_prev=dc),
            "the sigmoid derivative left out: for i, f and o, d sigmoid(a)/da ="
            " s * (1 - s)": grads(dc, parts(dc, sigmoid_grad=False)),
            "tanh' of the candidate left out: da_g = dc * i * (1 - g**2)": grads(
                dc, parts(dc, tanh_grad=False)
            ),
        }
    )
    keys = ("dx_t", "dh_prev", "dc_prev", "dW_x", "dW_h", "db")
    return {k: {m: v[k] for m, v in variants.items()} for k in keys}


def _bptt(dh, x, h0, W_hx, W_hh, b_h, dh_last=None):
    """Plain BPTT of a tanh RNN: {"dx", "dh0", "dW_hx", "dW_hh", "db_h"}."""
    h = _run(x, h0, W_hx, W_hh, b_h)
    T = x.shape[1]
    prevs = [h0] + [h[:, t] for t in range(T - 1)]
    grads = {
        "dx": np.zeros_like(x),
        "dW_hx": np.zeros_like(W_hx),
        "dW_hh": np.zeros_like(W_hh),
        "db_h": np.zeros_like(b_h),
    }
    carry = np.zeros_like(h0) if dh_last is None else dh_last
    for t in range(T - 1, -1, -1):
        da = (dh[:, t] + carry) * (1 - h[:, t] ** 2)
        grads["dx"][:, t] = da @ W_hx
        grads["dW_hx"] += da.T @ x[:, t]
        grads["dW_hh"] += da.T @ prevs[t]
        grads["db_h"] += da.sum(axis=0)
        carry = da @ W_hh
    grads["dh0"] = carry
    return grads


def _two_states(h0, B, H):
    return np.zeros((2, B, H)) if h0 is None else np.asarray(h0, dtype=np.float64)


def bidirectional_forward_mistakes(x, h0, weights_f, weights_b):
    """What common wrong bidirectional tanh RNN layers return.

    x (B, T, D); h0 (2, B, H) or None; weights_f, weights_b: (W_hx, W_hh,
    b_h) of the forward and the reverse direction.  The right layer:
    out = [h_fwd | h_bwd] (B, T, 2H), h_bwd[:, t] the reverse direction's
    state after reading x_T ... x_t; h_n = [h_fwd at t = T, h_bwd at t = 1].
    Returns {"out": {mistake: (B, T, 2H)}, "h_n": {mistake: (2, B, H)}}.
    """
    x = np.asarray(x, dtype=np.float64)
    B, H = x.shape[0], weights_f[1].shape[0]
    h0 = _two_states(h0, B, H)
    h_f = _run(x, h0[0], *weights_f)
    read = _run(x[:, ::-1], h0[1], *weights_b)  # in reading order
    h_b = read[:, ::-1]
    forwards = _run(x, h0[1], *weights_b)
    reading_order = (
        "the reverse direction's states left in reading order: flip them back"
        " in time (h[:, ::-1]), so that out[:, t] holds both directions' states"
        " of step t"
    )
    reads_forwards = (
        "a reverse direction that reads the sequence forwards: give it"
        " x[:, ::-1], the sequence from the end"
    )
    out = {
        reading_order: np.concatenate([h_f, read], axis=2),
        reads_forwards: np.concatenate([h_f, forwards], axis=2),
        reads_forwards.replace("forwards:", "forwards (then flipped):"): np.concatenate(
            [h_f, forwards[:, ::-1]], axis=2
        ),
        "the two halves swapped: out = [forward | reverse] along the last"
        " axis": np.concatenate([h_b, h_f], axis=2),
    }
    h_n = {
        "the reverse direction's final state taken at t = T: it reads from the"
        " end, so it finishes at t = 1, out[:, 0, H:]": np.stack(
            [h_f[:, -1], h_b[:, -1]]
        ),
        "h_n in the wrong order: h_n[0] is the forward direction, h_n[1] the"
        " reverse one": np.stack([h_b[:, 0], h_f[:, -1]]),
        reads_forwards: np.stack([h_f[:, -1], forwards[:, -1]]),
    }
    return {"out": out, "h_n": h_n}


def bidirectional_backward_mistakes(dout, dh_n, x, h0, weights_f, weights_b):
    """What common wrong backward passes of a bidirectional tanh RNN return.

    dout (B, T, 2H) = dL/dout, dh_n (2, B, H) = dL/dh_n or None; the rest
    as for bidirectional_forward_mistakes.  Returns {name: {mistake: array}}
    for "dx", "dh0" (2, B, H) and the reverse direction's gradients
    "dW_hx_reverse", "dW_hh_reverse", "db_h_reverse": dx from one direction
    only, the reverse direction's dx not flipped back, its dout not flipped
    into reading order, dh_n[1] entering at the wrong end, dh_n left out.
    """
    x = np.asarray(x, dtype=np.float64)
    dout = np.asarray(dout, dtype=np.float64)
    B, H = x.shape[0], weights_f[1].shape[0]
    h0 = _two_states(h0, B, H)
    dh_n = np.zeros((2, B, H)) if dh_n is None else np.asarray(dh_n, dtype=np.float64)
    x_read = x[:, ::-1]
    d_f, d_b = dout[:, :, :H], dout[:, :, H:]

    def reverse_grads(d_read, last=dh_n[1]):
        return _bptt(d_read, x_read, h0[1], *weights_b, dh_last=last)

    g_f = _bptt(d_f, x, h0[0], *weights_f, dh_last=dh_n[0])
    g_b = reverse_grads(d_b[:, ::-1])
    wrong_end = d_b.copy()
    wrong_end[:, -1] += dh_n[1]  # added at t = T, then flipped
    variants = {
        "dx from the forward direction only: both directions read x, so dx"
        " adds their two gradients": (g_f["dx"], None, g_b),
        "dx from the reverse direction only: both directions read x, so dx"
        " adds their two gradients": (g_b["dx"][:, ::-1], None, g_b),
        "the reverse direction's dx left in reading order: flip it back in"
        " time before adding it": (g_f["dx"] + g_b["dx"], None, g_b),
        "the reverse direction's gradient dout[:, :, H:] not flipped into its"
        " reading order (the reverse RNN saw x[:, ::-1])": (
            None,
            None,
            reverse_grads(d_b, dh_n[1]),
        ),
        "dh_n[1] added at the wrong end: the reverse direction finishes at"
        " t = 1, the last step it reads": (
            None,
            None,
            reverse_grads(wrong_end[:, ::-1], None),
        ),
        "dh_n left out: the final states h_n get a gradient too": (
            None,
            None,
            reverse_grads(d_b[:, ::-1], None),
        ),
    }
    result = {
        k: {} for k in ("dx", "dh0", "dW_hx_reverse", "dW_hh_reverse", "db_h_reverse")
    }
    for mistake, (dx, dh0, gb) in variants.items():
        result["dx"][mistake] = dx if dx is not None else g_f["dx"] + gb["dx"][:, ::-1]
        result["dh0"][mistake] = (
            dh0 if dh0 is not None else np.stack([g_f["dh0"], gb["dh0"]])
        )
        for name in ("dW_hx", "dW_hh", "db_h"):
            result[f"{name}_reverse"][mistake] = gb[name]
    return result


def clip_grad_norm_mistakes(grads, max_norm):
    """What common wrong versions of global gradient-norm clipping give.

    The right one: norm = sqrt(sum of the squares of every entry of every
    array); if norm > max_norm, every array is multiplied by max_norm / norm,
    in place; the norm before clipping is returned.
    Returns {"grads": {key: {mistake: array}}, "norm": {mistake: float}}:
    each array clipped on its own, a rescale also when norm <= max_norm,
    the norm returned after clipping, the squared norm, nothing changed.
    """
    arrays = {k: np.array(g, dtype=np.float64) for k, g in grads.items()}
    norms = {k: float(np.sqrt(np.sum(g * g))) for k, g in arrays.items()}
    total = float(np.sqrt(sum(n * n for n in norms.values())))

    def scaled(factors):
        return {k: g * factors[k] for k, g in arrays.items()}

    def clip(norm):
        return scaled({k: min(1.0, max_norm / norm) if norm else 1.0 for k in arrays})

    right = clip(total)
    variants = {
        "each array clipped on its own: the norm is global, one number over all"
        " the arrays together, and one factor max_norm / norm scales them all": (
            scaled({k: min(1.0, max_norm / n) if n else 1.0 for k, n in norms.items()}),
            total,
        ),
        "a rescale although the norm was already below max_norm: clip only when"
        " norm > max_norm (never scale up)": (
            scaled({k: max_norm / total if total else 1.0 for k in arrays}),
            total,
        ),
        "the norm returned after clipping: return the norm before clipping": (
            right,
            min(total, max_norm),
        ),
        "the squared norm: take the square root of the sum of squares": (
            clip(total**2),
            total**2,
        ),
        "gradients left as they were: scale the arrays in place (g *= scale), so"
        " the caller's arrays change": (arrays, total),
    }
    return {
        "grads": {k: {m: v[0][k] for m, v in variants.items()} for k in arrays},
        "norm": {m: v[1] for m, v in variants.items()},
    }


def state_gradient_mistakes(x, W_hx, W_hh, b_h, dh_last):
    """What common wrong walks back through a tanh RNN return.

    The right walk: h_0 = 0, h_t = tanh(x_t @ W_hx.T + h_{t-1} @ W_hh.T +
    b_h); dL/dh_T = dh_last (B, H), and dL/dh_{t-1} = (dL/dh_t * (1 -
    h_t**2)) @ W_hh.  Returns {mistake: grads (B, T, H)} with grads[:, t]
    standing for dL/dh_t: a transposed W_hh, the tanh derivative left out
    or taken from the step before, the steps stored in reverse order.
    """
    x = np.asarray(x, dtype=np.float64)
    h = _run(x, None, W_hx, W_hh, b_h)
    B, T, H = h.shape
    h_before = np.concatenate([np.zeros((B, 1, H)), h[:, :-1]], axis=1)

    def walk(W_carry, derivative):
        out = np.empty((B, T, H))
        dh = np.asarray(dh_last, dtype=np.float64)
        for t in range(T - 1, -1, -1):
            out[:, t] = dh
            dh = (dh * derivative[:, t]) @ W_carry
        return out

    right = walk(W_hh, 1 - h**2)
    return {
        MISTAKES["transposed"] + " (here da @ W_hh.T instead of da @ W_hh)": walk(
            W_hh.T, 1 - h**2
        ),
        "the tanh derivative left out: dL/dh_{t-1} = (dL/dh_t * (1 - h_t**2))"
        " @ W_hh": walk(W_hh, np.ones_like(h)),
        "tanh' of the step before: step t's derivative is 1 - h_t**2, with h_t"
        " the state that step computed": walk(W_hh, 1 - h_before**2),
        "the gradients stored in reverse time order: grads[:, t] is dL/dh_t, so"
        " grads[:, -1] is dh_last": right[:, ::-1],
    }
