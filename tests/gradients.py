"""The course's gradient check for the tests (rnnlib/gradcheck.py's policy)."""

import numpy as np

from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error, numerical_gradient


def assert_gradients_match(outputs, douts, checks, tol=GRADIENT_TOLERANCE):
    """Compare analytic gradients with central differences of
    L = sum_k sum(douts[k] * outputs()[k]), for each (name, value, grad)
    in checks; `outputs` reads the values, which are changed in place.

    The policy of docs/gradient_checks.md: numerical_gradient at
    GRADIENT_STEP and gradient_error(analytic, numeric) < GRADIENT_TOLERANCE,
    100x above what correct float64 gradients show on any CPU measured and
    100x below what a transposed weight or a missing time step gives.
    """
    df = np.concatenate([d.ravel() for d in douts])

    def flat_outputs(_):
        return np.concatenate([o.ravel() for o in outputs()])

    for name, value, grad in checks:
        assert grad.shape == value.shape, f"{name}: {grad.shape} != {value.shape}"
        numerical = numerical_gradient(flat_outputs, value, df=df)
        error = gradient_error(grad, numerical)
        assert error < tol, f"{name}: gradient error {error:.2e} >= {tol:.0e}"
