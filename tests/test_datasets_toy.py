"""The toy tasks of notebooks 00-02: seeded, shaped and balanced as documented."""

import numpy as np
import pytest

from rnnlib.datasets import toy


def test_encode_and_decode_dna_are_inverse():
    codes = toy.encode_dna("GATTACA")
    assert codes.tolist() == [2, 0, 3, 3, 0, 1, 0]
    assert toy.decode_dna(codes) == "GATTACA"
    assert toy.decode_dna(toy.encode_dna(["ACGT", "TTTT"])) == ["ACGT", "TTTT"]


def test_encode_dna_refuses_other_letters():
    with pytest.raises(ValueError, match="bases"):
        toy.encode_dna("GATXACA")


def test_count_occurrences_counts_overlapping_matches():
    bases = toy.encode_dna(["TATATA", "CCCCCC", "TATACC"])
    assert toy.count_occurrences(bases, "TATA").tolist() == [2, 0, 1]


def test_motif_dataset_has_the_documented_shapes():
    x, y, bases, start = toy.motif_dataset(10, 12, seed=0)
    assert x.shape == (10, 12, 4) and y.shape == (10,)
    assert bases.shape == (10, 12) and start.shape == (10,)
    assert np.array_equal(x.argmax(axis=2), bases)
    assert np.all(x.sum(axis=2) == 1.0)


def test_motif_dataset_is_exactly_balanced():
    _, y, _, _ = toy.motif_dataset(101, 20, seed=3)
    assert y.sum() == 50  # n // 2 positives


def test_motif_dataset_positives_hold_the_motif_once_negatives_never():
    data = toy.motif_dataset(400, 30, "TATA", seed=1)
    counts = toy.count_occurrences(data.bases, "TATA")
    assert np.array_equal(counts, data.y.astype(int))
    assert np.all((data.start >= 0) == (data.y == 1))


def test_motif_dataset_places_the_motif_inside_the_region():
    data = toy.motif_dataset(400, 20, "TATA", region=(10, 20), seed=2)
    pos = data.start[data.y == 1]
    assert pos.min() >= 10 and pos.max() + 4 <= 20
    for row, s in zip(data.bases[data.y == 1], pos, strict=True):
        assert toy.decode_dna(row[s : s + 4]) == "TATA"


def test_motif_dataset_uses_every_start_in_the_region():
    data = toy.motif_dataset(2000, 10, "TATA", seed=4)
    assert set(data.start[data.y == 1].tolist()) == set(range(7))


def test_motif_dataset_is_seeded():
    a = toy.motif_dataset(50, 15, seed=7)
    b = toy.motif_dataset(50, 15, seed=7)
    c = toy.motif_dataset(50, 15, seed=8)
    assert np.array_equal(a.bases, b.bases) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.bases, c.bases)


def test_motif_dataset_refuses_a_region_too_small_for_the_motif():
    with pytest.raises(ValueError, match="region"):
        toy.motif_dataset(10, 20, "TATA", region=(18, 20))


def test_random_dna_lengths_lie_in_the_range():
    seqs = toy.random_dna(200, (5, 9), seed=0)
    lengths = {len(s) for s in seqs}
    assert lengths == {5, 6, 7, 8, 9}
    assert all(s.min() >= 0 and s.max() <= 3 for s in seqs)


def test_running_count_counts_the_ones_so_far():
    x, y = toy.running_count(4, 9, seed=0)
    assert x.shape == (4, 9, 1) and y.shape == (4, 9)
    assert np.array_equal(y, np.cumsum(x[..., 0], axis=1).astype(int))
    _, y3 = toy.running_count(4, 9, modulo=3, seed=0)
    assert np.array_equal(y3, y % 3)


def test_running_parity_is_the_count_mod_two_and_balanced():
    x, y = toy.running_parity(4000, 12, seed=0)
    assert np.array_equal(y, np.cumsum(x[..., 0], axis=1) % 2)
    assert y.dtype == np.float64
    # every step is a fair coin: 4000 draws, 4 standard deviations is 0.032
    assert np.abs(y.mean(axis=0) - 0.5).max() < 0.032


def test_running_parity_is_seeded():
    a, b, c = (toy.running_parity(5, 8, seed=s)[0] for s in (1, 1, 2))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_echo_task_targets_are_the_input_delay_steps_earlier():
    x, y, mask = toy.echo_task(6, 10, delay=3, seed=0)
    assert x.shape == (6, 10, 1) and y.shape == mask.shape == (6, 10)
    assert np.array_equal(y[:, 3:], x[:, :7, 0])
    assert np.all(mask[:, :3] == 0) and np.all(mask[:, 3:] == 1)
    assert np.all(y[:, :3] == 0)


def test_echo_task_is_balanced_and_seeded():
    x, y, mask = toy.echo_task(2000, 20, delay=2, seed=5)
    assert abs(y[mask == 1].mean() - 0.5) < 0.01
    assert np.array_equal(
        toy.echo_task(3, 5, 1, seed=5)[0], toy.echo_task(3, 5, 1, seed=5)[0]
    )
    assert not np.array_equal(
        toy.echo_task(3, 5, 1, seed=5)[0], toy.echo_task(3, 5, 1, seed=6)[0]
    )


def test_echo_task_refuses_a_delay_as_long_as_the_sequence():
    with pytest.raises(ValueError, match="delay"):
        toy.echo_task(2, 5, delay=5)
