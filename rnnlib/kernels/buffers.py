"""Arrays a layer hands from one call of a kernel to the next.

A new NumPy array of many megabytes costs more than its size suggests: the
operating system maps its memory a page at a time, on the first write to
each page (a "page fault").  At the benchmarks' middle size, (T, B, D, H) =
(100, 64, 64, 128) in float64, those faults took about a sixth of an LSTM's
forward + backward.  So the recurrent layers pass the cache of their
previous forward pass, which nothing needs any more, to the next one, and
the kernels write over its arrays that never leave the kernel (the gates,
the cell states, the backward pass's scratch), when their shape and dtype
fit.  The hidden states h are the layer's output and are always new.
"""

import numpy as np


def reuse_or_empty(cache, name, shape, dtype):
    """The array `cache.name` when `cache` has one of this shape and dtype
    (its contents are then written over), else a new uninitialised array.
    cache may be None."""
    old = getattr(cache, name, None)
    if isinstance(old, np.ndarray) and old.shape == shape and old.dtype == dtype:
        return old
    return np.empty(shape, dtype=dtype)
