"""Input checks shared by the public functions of rnnlib.

Every check raises a ValueError or TypeError that names the argument, the
shape (or type) that was expected and what came instead, so a learner sees
`x must have shape (B, T, D) with D = 3; got (2, 5)` rather than a broadcast
error three functions deeper.
"""

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def as_float_array(name, a, dtype=None):
    """Return `a` as a float32/float64 ndarray, or raise TypeError.

    Python lists and integer arrays become float64; float16 becomes float32.
    Booleans, strings and objects are refused.
    """
    if not isinstance(a, np.ndarray):
        try:
            a = np.asarray(a)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be an array of numbers; got {a!r}") from err
    if a.dtype.kind == "b" or a.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {a.dtype}")
    if dtype is not None:
        return a.astype(dtype, copy=False)
    if a.dtype.kind in "iu":
        return a.astype(np.float64)
    if a.dtype == np.float16:
        return a.astype(np.float32)
    return a


def check_ndim(name, a, ndim, layout):
    """Raise ValueError unless `a.ndim == ndim`; `layout` reads like "(B, T, D)"."""
    if a.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimensions {layout}; got shape {a.shape}"
        )


def check_shape(name, a, expected, layout, note=""):
    """Raise ValueError unless `a.shape == expected`.

    `layout` names the axes, e.g. "(B, H)"; `note` says where the sizes came
    from, e.g. "with H = W_hh.shape[0] = 4".
    """
    expected = tuple(expected)
    if a.shape != expected:
        where = f" {note}" if note else ""
        raise ValueError(
            f"{name} must have shape {layout} = {expected}{where}; got {a.shape}"
        )


def as_finite_array(name, a, shape, layout, note=""):
    """`a` as a finite float array of exactly `shape`, or raise (see
    as_float_array, check_shape, check_finite)."""
    a = as_float_array(name, a)
    check_shape(name, a, shape, layout, note)
    check_finite(name, a)
    return a


def check_input(name, a, layout, D, source):
    """`a` as floats, or raise: `layout` is "(B, D)" or "(B, T, D)", and the
    last axis must be D, whose origin `source` names (e.g. "W_hx.shape[1]")."""
    a = as_float_array(name, a)
    if a.ndim != layout.count(",") + 1 or a.shape[-1] != D:
        raise ValueError(
            f"{name} must have shape {layout} with D = {source} = {D}; got {a.shape}"
        )
    return a


def check_sequence(name, x, D, source):
    """A finite (B, T, D) input as floats, with T >= 1 steps and D from
    `source` (see check_input), or raise."""
    x = check_input(name, x, "(B, T, D)", D, source)
    if x.shape[1] == 0:
        raise ValueError(f"{name} must hold at least one time step; got {x.shape}")
    check_finite(name, x)
    return x


def check_state(name, s, B, H, dtype, default_zeros):
    """A finite (B, H) state as floats; zeros for None when `default_zeros`,
    else an error."""
    if s is None:
        if default_zeros:
            return np.zeros((B, H), dtype=dtype)
        raise ValueError(
            f"{name} must be an array of shape (B, H) = {(B, H)}; got None"
        )
    return as_finite_array(name, s, (B, H), "(B, H)", f"with B = {B}, H = {H}")


def check_finite(name, a):
    """Raise ValueError if `a` holds NaN or inf."""
    if not np.isfinite(a).all():
        bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
        raise ValueError(f"{name} must be finite; it holds {bad} NaN or inf values")


def check_choice(name, value, choices):
    """Raise ValueError unless `value` is one of `choices`."""
    if value not in choices:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}"
        )


def check_positive_int(name, value):
    """Raise TypeError/ValueError unless `value` is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int >= 1; got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an int >= 1; got {value}")


def check_token_id(name, value, vocab_size, vocab_name="vocab_size"):
    """Raise ValueError unless 0 <= value < vocab_size (a special token's id)."""
    if not 0 <= value < vocab_size:
        raise ValueError(
            f"{name} must lie in [0, {vocab_name}) = [0, {vocab_size}); got {value}"
        )


def check_token_ids(name, ids, vocab_size, ndim=2, layout="(B, T)"):
    """Return `ids` as an integer array of `ndim` dimensions with values in [0, V)."""
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer token ids; got dtype {ids.dtype}")
    if ids.ndim != ndim:
        raise ValueError(f"{name} must have shape {layout}; got {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(
            f"{name} must lie in [0, V) with V = vocab_size = {vocab_size};"
            f" got values from {ids.min()} to {ids.max()}"
        )
    return ids


def check_sequences(sequences, vocab_size):
    """A non-empty list of 1-D id arrays below vocab_size, each >= 2 tokens."""
    if isinstance(sequences, np.ndarray) or len(sequences) == 0:
        raise ValueError("sequences must be a non-empty list of 1-D id arrays")
    checked = [check_token_ids("sequence", s, vocab_size, 1, "(T,)") for s in sequences]
    for s in checked:
        if len(s) < 2:
            raise ValueError(
                f"every sequence must hold at least 2 tokens; got {len(s)}"
            )
    return checked


def as_mask(name, mask, finite=False):
    """A padding mask (1 = real step, 0 = padding) as floats, or raise.

    Booleans and numbers are accepted; any value other than 0 and 1 is a
    ValueError naming the argument and the offending values (NaN among
    them, or, with finite=True, first "must be finite"), so a mask of
    weights or of lengths is not taken for a padding mask.
    """
    if isinstance(mask, np.ndarray) and mask.dtype.kind == "b":
        return mask.astype(np.float64)
    if not isinstance(mask, np.ndarray):
        mask = np.asarray(mask)
        if mask.dtype.kind == "b":
            return mask.astype(np.float64)
    mask = as_float_array(name, mask)
    if finite:
        check_finite(name, mask)
    bad = ~np.isin(mask, (0, 1))
    if bad.any():
        other = np.unique(mask[bad])
        raise ValueError(
            f"{name} must hold only 0 (padding) and 1 (real steps), as numbers or"
            f" booleans; got also {', '.join(f'{v:g}' for v in other[:5])}"
            + (" …" if len(other) > 5 else "")
        )
    return mask


def check_mask(name, mask, shape):
    """A padding mask of exactly `shape` (1 = real step, 0 = padding) as
    floats, or None; raise ValueError/TypeError otherwise (see as_mask)."""
    if mask is None:
        return None
    mask = as_mask(name, mask)
    if mask.shape != tuple(shape):
        raise ValueError(
            f"{name} must have shape (B, T) = {tuple(shape)}; got {mask.shape}"
        )
    return mask


def right_padded_lengths(name, mask, what="step"):
    """The lengths (B,) of a padding mask (B, T) from check_mask whose rows
    are ones then zeros (right padding), each with at least one 1; else a
    ValueError that names the mask and what its ones mark (steps, tokens)."""
    lengths = mask.sum(axis=1).astype(np.int64)
    if (lengths < 1).any():
        raise ValueError(f"{name} must mark at least one real {what} in every row")
    if not (mask == (np.arange(mask.shape[1]) < lengths[:, None])).all():
        raise ValueError(
            f"{name} must be right-padded: ones for the real {what}s, then zeros"
            " (right padding)"
        )
    return lengths
