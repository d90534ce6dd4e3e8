"""A gradient check for the tests, tight enough for entries near zero."""

import numpy as np

from rnnlib.gradcheck import numerical_gradient, rel_error


def assert_gradients_match(outputs, douts, checks, tol=1e-7):
    """Compare analytic gradients with central differences of
    L = sum_k sum(douts[k] * outputs()[k]), for each (name, value, grad)
    in checks; `outputs` reads the values, which are changed in place.

    Central differences with step h are off by O(h**2) plus rounding noise
    of order 1e-16 / h.  Richardson extrapolation, (4 N(h) - N(2h)) / 3,
    cancels the h**2 term, so h = 1e-3 keeps both errors near 1e-12 and
    the elementwise relative error far below the 1e-7 allowed, even for
    entries whose gradient is close to zero.
    """
    df = np.concatenate([d.ravel() for d in douts])

    def flat_outputs(_):
        return np.concatenate([o.ravel() for o in outputs()])

    for name, value, grad in checks:
        assert grad.shape == value.shape, f"{name}: {grad.shape} != {value.shape}"
        fine = numerical_gradient(flat_outputs, value, df=df, h=1e-3)
        coarse = numerical_gradient(flat_outputs, value, df=df, h=2e-3)
        numerical = (4 * fine - coarse) / 3
        error = rel_error(grad, numerical)
        assert error < tol, f"{name}: relative error {error:.2e} >= {tol:.0e}"
