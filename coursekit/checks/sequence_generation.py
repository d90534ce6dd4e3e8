"""The test data and checks of exercise 05
(solutions/05_sequence_generation_exercises.ipynb), which its test cells call
with the learner's functions:

numpy_softmax           softmax over the last axis, the tests' reference
init_generator          random parameters of a generator over V tokens
RecordingSampler        a stand-in sampler that records its calls (Part 3)
check_softmax           Part 1: softmax(z / tau) over the last axis, naming
                        the usual mistakes
draws                   Part 2: n tokens drawn with one seeded generator
check_reproducible      Part 2: an int in [0, V); same seed, same tokens;
                        another seed, others; np.random's global state untouched
check_greedy            Part 2: temperature 0 is argmax and draws nothing
check_draw_frequencies  Part 2: a chi-square test of many draws against
                        softmax(z / tau), naming z * tau and a missing tau
check_generate          Part 3: the loop, watched with a RecordingSampler:
                        one call per token, with the temperature, the rng
                        and the logits of rnnlib's RNN step
check_greedy_sequence   Part 3: at temperature 0, the greedy sequence
check_same_seed         Part 3: the same seed gives the same tokens

Each check computes its references before it calls the learner's function.
"""

import numpy as np

import rnnlib

from .mistakes_outputs import generator_logits_mistakes, softmax_mistakes
from .randomness import check_frequencies, check_global_random_untouched
from .values import check_array, copies


def numpy_softmax(z):
    """softmax over the last axis, exp(z - max z) / sum exp(z - max z)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def init_generator(V, H, seed=0):
    """Random parameters of a generator over V tokens with H hidden units:
    "W_hx" (H, V), "W_hh" (H, H), "b_h" (H,), "W_yh" (V, H), "b_y" (V,)."""
    rng = np.random.default_rng(seed)
    return {
        "W_hx": rng.standard_normal((H, V)),
        "W_hh": rng.standard_normal((H, H)) / np.sqrt(H),
        "b_h": 0.1 * rng.standard_normal(H),
        "W_yh": 2 * rng.standard_normal((V, H)) / np.sqrt(H),
        "b_y": 0.1 * rng.standard_normal(V),
    }


class RecordingSampler:
    """Stands in for sample_with_temperature in the tests of Part 3.

    It keeps every (logits, temperature, rng) it is called with in `self.calls`
    and answers with the next token of a fixed `script`.
    """

    def __init__(self, script):
        self.script = list(script)
        self.calls = []

    def __call__(self, logits, temperature, rng):
        self.calls.append((np.array(logits, dtype=np.float64), temperature, rng))
        return self.script[(len(self.calls) - 1) % len(self.script)]


def check_softmax(softmax_fn, z, tau, name=None):
    """Assert that softmax_fn(z, tau) is softmax(z / tau) over the last axis,
    naming the usual mistakes."""
    if name is None:
        shape = f" for z {z.shape}" if z.ndim > 1 else ""
        name = f"softmax_with_temperature(z, {tau}){shape}"
    expected, mistakes = numpy_softmax(z / tau), softmax_mistakes(z, tau)
    check_array(name, softmax_fn(z.copy(), tau), expected, mistakes=mistakes)


def draws(sample_fn, z, tau, seed, n):
    """n tokens drawn by sample_fn(z, tau, rng), all from one
    np.random.default_rng(seed)."""
    rng = np.random.default_rng(seed)
    return [sample_fn(z, tau, rng) for _ in range(n)]


def check_reproducible(sample_fn, z):
    """Assert that sample_fn(z, 1.0, rng) returns an int in [0, V), the same
    30 tokens for the same seed and others for another seed, and draws
    nothing from np.random's global generator."""
    V = len(z)
    k = sample_fn(z, 1.0, np.random.default_rng(0))
    assert isinstance(k, int | np.integer), f"return an int; got {type(k).__name__}"
    assert 0 <= k < V, f"the token must lie in [0, {V}); got {k}"
    first = check_global_random_untouched(
        draws, (sample_fn, z, 1.0, 0, 30), name="sample_with_temperature"
    )
    again, other = draws(sample_fn, z, 1.0, 0, 30), draws(sample_fn, z, 1.0, 1, 30)
    assert first == again, (
        f"the same seed must give the same tokens: draw with the rng you are given;"
        f" got {first[:8]}... then {again[:8]}..."
    )
    assert first != other, "seeds 0 and 1 gave the same 30 tokens: is rng used at all?"


def check_greedy(sample_fn, z):
    """Assert that at temperature 0 sample_fn returns argmax(z) and draws
    nothing from rng, and that at temperature 1e-3 20 draws all give it."""
    best = int(np.argmax(z))
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    greedy = sample_fn(z, 0, rng)
    assert greedy == best, (
        f"at temperature 0 the answer is argmax(z) = {best}; got {greedy}"
    )
    assert rng.bit_generator.state == state, "at temperature 0, draw nothing from rng"
    assert set(draws(sample_fn, z, 1e-3, 2, 20)) == {best}, (
        "at temperature 1e-3 every draw is argmax"
    )


def check_draw_frequencies(sample_fn, z, tau, seed, n):
    """Assert that n tokens drawn by sample_fn at temperature tau follow
    softmax(z / tau) (chi-square), naming softmax(z * tau) and softmax(z)."""
    check_frequencies(
        f"{n} tokens drawn at temperature {tau}",
        np.array(draws(sample_fn, z, tau, seed, n)),
        numpy_softmax(z / tau),
        alternatives={
            "softmax(z * temperature): divide by the temperature": numpy_softmax(
                z * tau
            ),
            "softmax(z): the temperature left out": numpy_softmax(z),
        },
    )


def reference_logits(params, inputs):
    """The logits (len(inputs), V) after reading each token of `inputs` from
    h_0 = 0, computed with rnnlib's RNN step."""
    p, V = params, params["W_yh"].shape[0]
    h, out = np.zeros((1, p["W_hh"].shape[0])), []
    for token in inputs:
        h, _ = rnnlib.rnn_step_forward(
            np.eye(V)[[token]], h, p["W_hx"], p["W_hh"], p["b_h"]
        )
        out.append((h @ p["W_yh"].T + p["b_y"])[0])
    return np.array(out)


def check_generate(generate_fn, V, H, first_id, script, seed):
    """Run generate_fn with a RecordingSampler that answers with `script`, at
    temperature 0.8, on init_generator(V, H, seed).  Assert that it calls
    the sampler once per token, with the temperature, the rng and the logits
    of each step, and returns the script's tokens.  Returns the params."""
    params = init_generator(V, H, seed)
    expected = reference_logits(params, [first_id] + list(script[:-1]))
    mistakes = generator_logits_mistakes(params, first_id, script[:-1])
    sampler, rng = RecordingSampler(script), np.random.default_rng(seed)
    tokens = generate_fn(
        *copies(params, first_id, len(script), 0.8, rng), sample=sampler
    )
    n = len(sampler.calls)
    assert n == len(script), (
        f"sample must be called once per token: {len(script)}"
        f" times for length={len(script)}; it was called {n} times"
    )
    check_array("the tokens generate returned", tokens, script, time_axis=0)
    assert all(t == 0.8 and r is rng for _, t, r in sampler.calls), (
        "pass the temperature and the rng you were given on to sample"
    )
    seen = np.array([logits for logits, _, _ in sampler.calls])
    check_array(
        "the logits given to sample, step by step",
        seen,
        expected,
        mistakes=mistakes,
        time_axis=0,
    )
    return params


def check_greedy_sequence(generate_fn, params, first_id, length):
    """Assert that generate_fn at temperature 0, with its default sampler,
    writes the greedy sequence: each token the argmax of rnnlib's logits."""
    greedy = []
    for _ in range(length):
        greedy.append(int(np.argmax(reference_logits(params, [first_id] + greedy)[-1])))
    tokens = generate_fn(*copies(params, first_id, length, 0, np.random.default_rng(0)))
    check_array("the greedy sequence (temperature 0)", tokens, greedy, time_axis=0)


def check_same_seed(generate_fn, params, length=20, seed=5):
    """Assert that two runs of generate_fn at temperature 1 from the same
    seed write the same tokens."""
    a = generate_fn(*copies(params, 0, length, 1.0, np.random.default_rng(seed)))
    b = generate_fn(*copies(params, 0, length, 1.0, np.random.default_rng(seed)))
    check_array("a second run with the same seed", b, a)
