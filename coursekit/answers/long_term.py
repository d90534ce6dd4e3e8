"""Exercise 08's answers: Part 1's clipping of each gradient array by its own
norm (Keras's `clipnorm` in tf.keras and Keras 3, which rnnlib does not
hold: its `clip_grad_norm` clips by the global norm), and the usual
mistakes of it.  Instructor-only (see `coursekit.answers`).  Parts 2 and 3
are compared with rnnlib's references, in `coursekit.checks.long_term`.

The functions the checks of `coursekit.checks.long_term` ask for, one per
check, take the case the check was given and return plain data:

    clip_answer(shapes, scale, max_norm, seed, zeros)
        the clipped arrays, the norms before clipping, and
        {"grads": {name: {mistake: array}}, "norms": {name: {mistake: float}}}
    direction_answer(max_norm)
        the same for {W: [[3, 4]], b: [12]} (the markdown's example)
"""

import numpy as np

from coursekit.checks.long_term import clip_case, direction_case


def clip_per_array_reference(grads, max_norm):
    """Exercise 08's Part 1 done right, on new arrays: (clipped, norms), where
    norms[name] = ||G|| over G's entries and clipped[name] = G * max_norm /
    ||G|| if ||G|| > max_norm, else G (each array by its own norm, as Keras's
    clipnorm and tf.clip_by_norm; an all-zero array has norm 0 and stays)."""
    norms = {k: float(np.sqrt(np.sum(np.square(g)))) for k, g in grads.items()}
    clipped = {
        k: g * (max_norm / norms[k]) if norms[k] > max_norm else g.copy()
        for k, g in grads.items()
    }
    return clipped, norms


def _clipped_rows(g, max_norm):
    """Each row of g (the last axis) clipped by its own norm."""
    if g.ndim < 2:
        return clip_per_array_reference({"g": g}, max_norm)[0]["g"]
    rows = np.sqrt(np.sum(g * g, axis=-1, keepdims=True))
    return g * np.minimum(1.0, max_norm / np.where(rows > 0, rows, 1.0))


def clip_per_array_mistakes(grads, max_norm):
    """What common wrong versions of per-array clipping give, by explanation.

    Returns {"grads": {key: {mistake: array}}, "norms": {key: {mistake:
    float}}}: one global factor for all the arrays (rnnlib's clip_grad_norm),
    a rescale also below max_norm, the factor upside down, the norms after
    clipping, the global norm returned for every array, the squared norm,
    each entry clipped to [-max_norm, max_norm] (Keras's clipvalue), each
    row clipped by its own norm, the arrays left as they were.
    """
    arrays = {name: np.array(g, dtype=np.float64) for name, g in grads.items()}
    right, norms = clip_per_array_reference(arrays, max_norm)
    total = float(np.sqrt(sum(norm**2 for norm in norms.values())))

    def scaled(factor):
        return {k: g * factor(norms[k]) for k, g in arrays.items()}

    def clipped(norm):
        return min(1.0, max_norm / norm) if norm else 1.0

    global_factor = clipped(total)
    variants = {
        "one factor for all the arrays, from their global norm (rnnlib's"
        " clip_grad_norm, PyTorch's clip_grad_norm_): here each array G is"
        " clipped by its own norm ||G||, over G's entries alone": (
            scaled(lambda n: global_factor),
            norms,
        ),
        "a rescale although the array's norm was already below max_norm: clip"
        " an array only when its norm > max_norm (never scale up)": (
            scaled(lambda n: max_norm / n if n else 1.0),
            norms,
        ),
        "the factor upside down: an array longer than max_norm is multiplied by"
        " max_norm / ||G||, which is below 1": (
            scaled(lambda n: n / max_norm if n > max_norm else 1.0),
            norms,
        ),
        "the norms returned after clipping: return each array's norm before"
        " clipping, the number to log": (
            right,
            {k: min(n, max_norm) for k, n in norms.items()},
        ),
        "the global norm returned for every array: return each array's own"
        " norm ||G||": (right, {k: total for k in arrays}),
        "the squared norm: ||G|| is the square root of the sum of the squares"
        " of G's entries": (
            scaled(lambda n: clipped(n * n)),
            {k: n * n for k, n in norms.items()},
        ),
        "each entry clipped to [-max_norm, max_norm] (np.clip, Keras's"
        " clipvalue): that caps the values one by one and turns the array;"
        " here the whole array G is scaled by max_norm / ||G||, its norm over"
        " all its entries": (
            {k: np.clip(g, -max_norm, max_norm) for k, g in arrays.items()},
            norms,
        ),
        "each row clipped by its own norm: the norm of an array is over all"
        " its entries, ||G|| = sqrt(sum(G**2)), one factor for the whole"
        " array": (
            {k: _clipped_rows(g, max_norm) for k, g in arrays.items()},
            norms,
        ),
        "the arrays left as they were: an array whose norm over all its"
        " entries exceeds max_norm must be scaled by max_norm / ||G||; if you"
        " did, scale the caller's arrays in place (g *= factor), so that the"
        " optimiser holding them sees the change": (
            arrays,
            norms,
        ),
    }
    return {
        what: {
            name: {mistake: out[i][name] for mistake, out in variants.items()}
            for name in arrays
        }
        for i, what in enumerate(("grads", "norms"))
    }


def _answer(grads, max_norm):
    clipped, norms = clip_per_array_reference(grads, max_norm)
    return {
        "grads": clipped,
        "norms": norms,
        "mistakes": clip_per_array_mistakes(grads, max_norm),
    }


def clip_answer(shapes, scale, max_norm, seed, zeros=()):
    """Part 1: the clipped arrays and the norms of random gradients
    (clip_case), and the mistakes'."""
    return _answer(clip_case(shapes, scale, seed, zeros), max_norm)


def direction_answer(max_norm):
    """Part 1: the same for the markdown's {W: [[3, 4]], b: [12]}."""
    return _answer(direction_case(), max_norm)
