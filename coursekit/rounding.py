"""Does this process round differently from the default configuration?

    python -m coursekit.rounding

prints a fingerprint of a few results whose last bits depend on the CPU
kernels in use (a BLAS matrix product, NumPy's vectorised tanh).
`make test-numerics` runs it under the default settings and under the other
rounding (see the Makefile): when both print the same, the other rounding
changes nothing on this machine and the second run proves less; it says so.
"""

import hashlib
import sys

import numpy as np


def fingerprint():
    """Short hashes of a matrix product and of tanh over seeded data."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 64, 64))
    x = 3 * rng.standard_normal(4096)

    def digest(values):
        return hashlib.sha1(np.ascontiguousarray(values).tobytes()).hexdigest()[:12]

    return f"matmul {digest(a @ b)} tanh {digest(np.tanh(x))}"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--differs-from"]:
        default = " ".join(argv[1:])
        mine = fingerprint()
        if mine == default:
            print(
                "warning: the other rounding gives the same bits as the default"
                f" here ({mine}); the second run checks nothing new on this CPU"
            )
        else:
            print(f"other rounding: {mine}  (default: {default})")
        return 0
    print(fingerprint())
    return 0


if __name__ == "__main__":
    sys.exit(main())
