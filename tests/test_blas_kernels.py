"""NumPy's matrix products survive every OpenBLAS kernel set a learner's CPU picks.

OpenBLAS picks its kernels for the CPU when it loads; `OPENBLAS_CORETYPE`
forces a set, so one machine can run the kernels of others.  NumPy 2.5's
OpenBLAS (0.3.34) segfaults in `dW_hx = da.T @ x` of rnnlib's backward pass
with its AVX2 kernels (Haswell, which Zen CPUs use too) once the inner
dimension reaches a few hundred (notebook 12: T * B = 352); pyproject.toml
keeps NumPy below 2.5 for that.  Each product runs in a subprocess, so a crash
fails the test instead of ending pytest.
"""

import subprocess
import sys

import numpy as np
import pytest

# the kernel sets of the CPUs learners have: AVX2 (Intel, AMD), AVX-512, AVX
CORETYPES = ["Haswell", "Zen", "SkylakeX", "Sandybridge"]

# (K, M, N) for a.T @ b with a (K, M) and b (K, N): rnnlib's weight gradients
# da_flat.T @ x_flat, from notebook 12's shape up to notebook 11's
SHAPES = [(352, 32, 16), (1000, 64, 64), (4096, 128, 27)]

PRODUCTS = """
import sys
import numpy as np
for i, (K, M, N) in enumerate({shapes}):
    print(K, M, N, file=sys.stderr, flush=True)  # the last line names a crash
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((K, M)), rng.standard_normal((K, N))
    np.save(f"{out}/{{i}}.npy", a.T @ b)
"""


def operands(shape):
    K, M, N = shape
    rng = np.random.default_rng(0)
    return rng.standard_normal((K, M)), rng.standard_normal((K, N))


@pytest.mark.parametrize("coretype", CORETYPES)
def test_matrix_products_do_not_crash_under_any_kernel_set(coretype, tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", PRODUCTS.format(shapes=SHAPES, out=tmp_path)],
        env={"OPENBLAS_CORETYPE": coretype, "OPENBLAS_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    last_shape = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""
    assert run.returncode == 0, (
        f"NumPy {np.__version__} under OPENBLAS_CORETYPE={coretype} ended with"
        f" status {run.returncode} in a.T @ b at (K, M, N) = {last_shape}"
    )
    for i, shape in enumerate(SHAPES):
        a, b = operands(shape)
        expected = np.einsum("km,kn->mn", a, b)  # NumPy's own loops, no BLAS
        assert np.allclose(np.load(tmp_path / f"{i}.npy"), expected, atol=1e-9), shape
