"""The CpG-island HMM: sampling, and the exact filter and posterior checked
against brute-force enumeration of every hidden path."""

import itertools

import numpy as np
import pytest

from rnnlib.datasets.dna import CpGHMM, bases_to_str, decode_accuracy, one_hot


def brute_force(hmm, x):
    """P(s_t | x_1..t) and P(s_t | x_1..T) by summing over all 2^T paths."""
    T = len(x)
    joint = {}
    for path in itertools.product((0, 1), repeat=T):
        p = hmm.initial[path[0]] * hmm.emission[path[0], x[0]]
        for t in range(1, T):
            p *= hmm.transition[path[t - 1], path[t]] * hmm.emission[path[t], x[t]]
        joint[path] = p
    post = np.zeros((T, 2))
    for path, p in joint.items():
        for t, s in enumerate(path):
            post[t, s] += p
    likelihood = post[0].sum()
    post /= post.sum(axis=1, keepdims=True)
    filt = np.zeros((T, 2))
    for t in range(T):
        # P(s_t, x_1..t): sum the joint of the prefix over its paths
        for prefix in itertools.product((0, 1), repeat=t + 1):
            p = hmm.initial[prefix[0]] * hmm.emission[prefix[0], x[0]]
            for u in range(1, t + 1):
                p *= (
                    hmm.transition[prefix[u - 1], prefix[u]]
                    * hmm.emission[prefix[u], x[u]]
                )
            filt[t, prefix[-1]] += p
    filt /= filt.sum(axis=1, keepdims=True)
    return filt, post, likelihood


@pytest.fixture
def tiny():
    return np.array([0, 1, 1, 2, 3, 2])


def test_filter_matches_brute_force(tiny):
    hmm = CpGHMM()
    filt, _, _ = brute_force(hmm, tiny)
    assert np.abs(hmm.filter(tiny)[0] - filt).max() < 1e-12


def test_posterior_matches_brute_force(tiny):
    hmm = CpGHMM()
    _, post, _ = brute_force(hmm, tiny)
    assert np.abs(hmm.posterior(tiny)[0] - post).max() < 1e-12


def test_log_likelihood_matches_brute_force(tiny):
    hmm = CpGHMM(p_enter=0.2, p_leave=0.3)
    _, _, likelihood = brute_force(hmm, tiny)
    assert hmm.log_likelihood(tiny)[0] == pytest.approx(np.log(likelihood), abs=1e-12)


def test_filter_and_posterior_agree_at_the_last_base():
    hmm = CpGHMM()
    x, _ = hmm.sample(5, 30, seed=0)
    assert np.allclose(hmm.filter(x)[:, -1], hmm.posterior(x)[:, -1])


def test_long_sequences_do_not_underflow():
    hmm = CpGHMM()
    x, _ = hmm.sample(2, 5000, seed=0)
    post = hmm.posterior(x)
    assert np.isfinite(post).all()
    assert np.allclose(post.sum(axis=2), 1)


def test_sample_is_seeded_and_shaped():
    hmm = CpGHMM()
    x1, s1 = hmm.sample(4, 50, seed=3)
    x2, s2 = hmm.sample(4, 50, seed=3)
    x3, _ = hmm.sample(4, 50, seed=4)
    assert x1.shape == s1.shape == (4, 50)
    assert np.array_equal(x1, x2) and np.array_equal(s1, s2)
    assert not np.array_equal(x1, x3)
    assert set(np.unique(x1)) <= {0, 1, 2, 3}


def test_sample_has_the_documented_statistics():
    hmm = CpGHMM()
    x, s = hmm.sample(400, 200, seed=0)
    assert s.mean() == pytest.approx(0.5, abs=0.03)  # the states are balanced
    # islands are C/G rich: 72 % of their bases, 28 % in the background
    cg = np.isin(x, (1, 2))
    assert cg[s == 1].mean() == pytest.approx(0.72, abs=0.01)
    assert cg[s == 0].mean() == pytest.approx(0.28, abs=0.01)
    # a stretch ends with probability 1/16 at each base
    assert (s[:, 1:] != s[:, :-1]).mean() == pytest.approx(1 / 16, abs=0.005)


def test_whole_sequence_beats_left_to_right_by_a_clear_margin():
    hmm = CpGHMM()
    x, s = hmm.sample(500, 64, seed=0)
    filt = decode_accuracy(hmm.filter(x), s)
    post = decode_accuracy(hmm.posterior(x), s)
    assert 0.75 < filt < 0.83
    assert post - filt > 0.04


def test_decode_accuracy_with_mask():
    probs = np.array([[[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]])
    states = np.array([[0, 0, 1]])
    assert decode_accuracy(probs, states) == pytest.approx(1 / 3)
    assert decode_accuracy(probs, states, mask=[[1, 1, 0]]) == pytest.approx(0.5)


def test_one_hot_and_bases_to_str():
    assert one_hot(np.array([[0, 3]])).tolist() == [[[1, 0, 0, 0], [0, 0, 0, 1]]]
    assert bases_to_str([0, 1, 2, 3]) == "ACGT"


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="p_enter"):
        CpGHMM(p_enter=0)
    with pytest.raises(ValueError, match="island"):
        CpGHMM(island=(0.5, 0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="bases 0..3"):
        CpGHMM().filter(np.array([0, 4]))
    with pytest.raises(TypeError, match="integer"):
        CpGHMM().posterior(np.array([0.0, 1.0]))
