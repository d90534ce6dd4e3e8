"""Shared fixtures for the rnnlib tests."""

import matplotlib

matplotlib.use("Agg")  # figures are drawn, never shown

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test made, so none piles up across tests."""
    yield
    plt.close("all")
