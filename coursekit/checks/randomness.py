"""Random samples and generated sequences: chi-square frequency checks,
the global random state left alone, lists of generated token ids."""

import numpy as np

from .hidden import WITHHELD, values_shown
from .values import _fail, describe, exactly_what_you_get, matching_mistakes


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


# While an exercise is graded, the learner's functions run in the student's
# process (coursekit.grading.judge), and draw from NumPy's global generator
# there: the judge sets this to a function that returns that generator's
# state, np.random.get_state() of that process.
student_random_state = None


def check_global_random_untouched(func, args=(), kwargs=None, name=None):
    """Call func(*args, **kwargs); assert it drew nothing from np.random's
    hidden global generator (np.random.rand, np.random.choice, ...).
    `name` is what the message calls the culprit (default: func's name).
    Returns what func returned."""
    state = student_random_state or np.random.get_state  # noqa: NPY002
    ours = np.random.get_state()  # noqa: NPY002 -- the legacy state is the point
    try:
        before = state()
        result = func(*args, **(kwargs or {}))
        after = state()
    finally:
        np.random.set_state(ours)  # noqa: NPY002 -- leave it as it was
    if after[2] != before[2] or not np.array_equal(after[1], before[1]):
        name = name or getattr(func, "__name__", "your function")
        raise AssertionError(
            f"{name} used NumPy's hidden global generator (np.random.rand,"
            " np.random.choice, ...): draw with the np.random.Generator you are"
            " given (rng.random(), rng.choice(...)), so the same seed gives the"
            " same result."
        )
    return result


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
    lines = [f"{len(bad)} of {len(exp)} sequences differ; the first is row {i}:"]
    shown = values_shown()
    lines += [f"expected: {exp[i]}", f"got:      {rows[i]}"] if shown else [WITHHELD]
    named = matching_mistakes(
        mistakes, lambda wrong: [[int(t) for t in r] for r in wrong] == rows
    )
    if named:
        lines += exactly_what_you_get(named)
    elif shown and len(rows[i]) > len(exp[i]) and rows[i][: len(exp[i])] == exp[i]:
        lines.append("Your row has the expected tokens and then more: does it stop?")
    elif len(rows[i]) < len(exp[i]) and exp[i][: len(rows[i])] == rows[i]:
        lines.append("Your row is the beginning of the expected one: it stops early.")
    _fail(name, lines)
