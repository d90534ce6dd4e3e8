"""coursekit.rounding: the fingerprint that tells whether a rounding changed."""

import platform
import subprocess
import sys

import pytest

try:
    from numpy._core._multiarray_umath import __cpu_features__
except ModuleNotFoundError:  # NumPy 1.x, the floor in pyproject.toml
    from numpy.core._multiarray_umath import __cpu_features__

from coursekit.rounding import fingerprint, main

AVX2_X86 = platform.machine() in ("x86_64", "AMD64") and __cpu_features__.get("AVX2")


def test_fingerprint_is_the_same_twice_in_one_process():
    assert fingerprint() == fingerprint()


@pytest.mark.skipif(
    not AVX2_X86, reason="the other rounding targets x86 CPUs with AVX2 or AVX-512"
)
def test_fingerprint_changes_under_sandybridge_kernels_and_no_avx2():
    env = {
        "OPENBLAS_CORETYPE": "Sandybridge",
        "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
        "PATH": "/usr/bin:/bin",
    }
    code = "from coursekit.rounding import fingerprint; print(fingerprint())"
    other = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert other.returncode == 0, other.stderr
    # on an AVX2 or AVX-512 x86 CPU both the product and tanh change
    assert other.stdout.split() != fingerprint().split(), other.stdout


def test_same_fingerprint_is_reported_as_checking_nothing_new(capsys):
    main(["--differs-from", *fingerprint().split()])
    assert "checks nothing new" in capsys.readouterr().out
