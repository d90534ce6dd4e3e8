"""The n-gram model (rnnlib/ngram.py): add-alpha counts with a uniform or a
unigram prior, any order, cross-entropy and sampling."""

import numpy as np
import pytest

from rnnlib.ngram import NGramModel


def test_bigram_probabilities_are_add_alpha_counts():
    # two sequences ".ab." and ".b." over V = 3 (0 = ".", 1 = "a", 2 = "b")
    seqs = [np.array([0, 1, 2, 0]), np.array([0, 2, 0])]
    model = NGramModel(3, order=2, alpha=0.5).fit(seqs)
    p = np.exp(model.log_probs())
    # after ".": a once, b once -> (1 + .5) / (2 + 1.5), (0 + .5) / 3.5 for "."
    np.testing.assert_allclose(p[0], [0.5 / 3.5, 1.5 / 3.5, 1.5 / 3.5])
    # after "b": "." twice
    np.testing.assert_allclose(p[2], [2.5 / 3.5, 0.5 / 3.5, 0.5 / 3.5])
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)


def test_trigram_pads_the_context_with_boundaries():
    seqs = [np.array([0, 1, 2, 0])]
    model = NGramModel(3, order=3, alpha=1.0).fit(seqs)
    # windows: (., ., a), (., a, b), (a, b, .)
    assert model.counts.sum() == 3
    assert model.counts[0, 0, 1] == model.counts[0, 1, 2] == model.counts[1, 2, 0] == 1


def test_ngram_cross_entropy_is_the_mean_negative_log_probability():
    seqs = [np.array([0, 1, 2, 0]), np.array([0, 2, 0])]
    model = NGramModel(3, order=2, alpha=0.5).fit(seqs)
    p = np.exp(model.log_probs())
    test = [np.array([0, 1, 0])]
    expected = -(np.log(p[0, 1]) + np.log(p[1, 0])) / 2
    assert model.cross_entropy(test) == pytest.approx(expected, rel=1e-12)


def test_unigram_of_uniform_counts_is_log_vocabulary():
    seqs = [np.array([0, 1, 2])]  # predicted: 1 and 2; "0" never predicted
    model = NGramModel(3, order=1, alpha=1e9).fit(seqs)
    assert model.cross_entropy(seqs) == pytest.approx(np.log(3), rel=1e-6)


def test_ngram_samples_end_with_the_boundary_and_repeat_per_seed():
    seqs = [np.array([0, 1, 2, 0]), np.array([0, 2, 1, 1, 0])]
    model = NGramModel(3, order=2, alpha=0.1).fit(seqs)
    a = model.sample([[0]] * 20, 40, seed=5, stop=0)
    b = model.sample([[0]] * 20, 40, seed=5, stop=0)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert all(s[0] == 0 and s[-1] == 0 and 0 not in s[1:-1] for s in a)


def test_ngram_refuses_bad_input():
    with pytest.raises(ValueError, match="alpha must be a number > 0"):
        NGramModel(3, alpha=0)
    with pytest.raises(RuntimeError, match="call fit"):
        NGramModel(3).cross_entropy([np.array([0, 1])])
    with pytest.raises(ValueError, match=r"must lie in \[0, V\)"):
        NGramModel(3).fit([np.array([0, 5, 0])])


def test_bigram_with_a_unigram_prior_matches_the_smoothed_counts():
    seqs = [np.array([0, 1, 1, 2]), np.array([0, 1, 2])]
    V3, a = 3, 0.5
    model = NGramModel(V3, order=2, alpha=a, prior="unigram").fit(seqs)
    # predicted tokens: 1 1 2 | 1 2  -> unigram counts (0, 3, 2), N = 5
    p_uni = (np.array([0, 3, 2]) + a) / (5 + a * V3)
    # pairs after 1: (1 -> 1) once, (1 -> 2) twice; c(1) = 3
    p = (np.array([0, 1, 2]) + a * V3 * p_uni) / (3 + a * V3)
    assert np.allclose(np.exp(model.log_probs()[1]), p)
    assert np.allclose(np.exp(model.log_probs()).sum(axis=1), 1)


def test_unigram_cross_entropy_is_the_mean_negative_log_frequency():
    seqs = [np.array([0, 1, 1, 2, 1])]
    model = NGramModel(3, order=1, alpha=1e-9).fit(seqs)
    # predicted tokens 1 1 2 1: frequencies 3/4 and 1/4
    expected = -(3 * np.log(0.75) + np.log(0.25)) / 4
    assert abs(model.cross_entropy(seqs) - expected) < 1e-6


def test_bigram_beats_unigram_on_a_deterministic_chain():
    seqs = [np.array([0, 1, 2, 3, 1, 2, 3, 1, 2, 3])] * 3
    uni = NGramModel(4, 1).fit(seqs).cross_entropy(seqs)
    bi = NGramModel(4, 2, alpha=0.01, prior="unigram").fit(seqs).cross_entropy(seqs)
    assert bi < 0.1 < 1.0 < uni


def test_ngram_sample_is_seeded_and_follows_the_chain():
    seqs = [np.array([0, 1, 2, 3] * 5)]
    model = NGramModel(4, 2, alpha=1e-6).fit(seqs)
    out = model.sample(0, 7, temperature=0)
    assert out.tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    assert np.array_equal(model.sample(0, 9, seed=3), model.sample(0, 9, seed=3))
