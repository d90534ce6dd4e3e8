"""The long-gap task: seeded, shaped, balanced, and the label is the first sign."""

import numpy as np
import pytest

from rnnlib.datasets import long_gap


def test_long_gap_shapes_and_dtypes():
    x, y = long_gap(6, 9, seed=0)
    assert x.shape == (6, 9, 2) and x.dtype == np.float64
    assert y.shape == (6,) and y.dtype == np.int64


def test_long_gap_float32_on_request():
    x, _ = long_gap(4, 5, seed=0, dtype=np.float32)
    assert x.dtype == np.float32


def test_long_gap_same_seed_same_data():
    x1, y1 = long_gap(8, 12, seed=3)
    x2, y2 = long_gap(8, 12, seed=3)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)


def test_long_gap_different_seed_different_data():
    x1, _ = long_gap(8, 12, seed=3)
    x2, _ = long_gap(8, 12, seed=4)
    assert not np.array_equal(x1, x2)


def test_long_gap_label_is_the_sign_of_the_first_input():
    x, y = long_gap(200, 7, seed=1)
    np.testing.assert_array_equal(np.abs(x[:, 0, 0]), 1.0)
    np.testing.assert_array_equal(y, (x[:, 0, 0] > 0).astype(int))


@pytest.mark.parametrize("n", [10, 11, 1000])
def test_long_gap_is_balanced(n):
    _, y = long_gap(n, 4, seed=2)
    assert y.sum() == n // 2
    assert (y == 0).sum() == n - n // 2


def test_long_gap_marker_flags_only_the_first_step():
    x, _ = long_gap(5, 6, seed=0)
    np.testing.assert_array_equal(x[:, 0, 1], 1.0)
    np.testing.assert_array_equal(x[:, 1:, 1], 0.0)


def test_long_gap_noise_has_the_requested_spread():
    x, _ = long_gap(2000, 21, noise_std=0.5, seed=0)
    noise = x[:, 1:, 0]
    assert abs(noise.mean()) < 0.01
    assert abs(noise.std() - 0.5) < 0.01


def test_long_gap_noise_is_independent_of_the_label():
    x, y = long_gap(4000, 11, seed=5)
    later_mean = x[:, 1:, 0].mean(axis=1)
    assert abs(later_mean[y == 1].mean() - later_mean[y == 0].mean()) < 0.03


def test_long_gap_gap_one_holds_only_the_signal():
    x, y = long_gap(4, 1, seed=0)
    assert x.shape == (4, 1, 2)
    np.testing.assert_array_equal(x[:, 0, 0], 2 * y - 1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_sequences": 0, "gap": 5}, "num_sequences"),
        ({"num_sequences": 4, "gap": 0}, "gap"),
        ({"num_sequences": 4, "gap": 5, "noise_std": -1.0}, "noise_std"),
    ],
)
def test_long_gap_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        long_gap(**kwargs)
