"""Drawing tokens from a model's scores: what every generating model shares.

A language model (rnnlib/language_model.py) or an n-gram model
(rnnlib/ngram.py) gives, after each prompt, a score (logit) for every
token of the vocabulary.  Generation draws the next token from

    p = softmax(logits / τ)

where the *temperature* τ rescales the scores: τ < 1 sharpens the
distribution (safer, more repetitive), τ > 1 flattens it (more
surprising), τ = 0 takes the most likely token every time.  The drawn
token is fed back in, one step at a time.

Every model's `sample(start, length, temperature=1.0, seed=None, stop=None)`
reads `start` with `prompt_array`, draws with `sample_from_logits` and
returns what `collect_samples` builds.
"""

import numpy as np

from .checks import check_positive_int, check_token_id, check_token_ids


def check_temperature(temperature):
    """`temperature` as a float >= 0, or a ValueError naming what came."""
    if not np.isscalar(temperature) or not np.isfinite(temperature) or temperature < 0:
        raise ValueError(
            f"temperature must be a finite number >= 0; got {temperature!r}"
        )
    return float(temperature)


def sample_from_logits(logits, temperature, rng):
    """Draw one index per row of `logits` (B, V) from softmax(logits / temperature).

    temperature = 0 returns the argmax (greedy) and draws nothing from rng.
    Otherwise one uniform number per row and the inverse of the cumulative
    distribution.  Returns (B,) ints.
    """
    if temperature == 0:
        return logits.argmax(axis=1)
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    cdf = np.cumsum(p, axis=1)
    u = rng.random((logits.shape[0], 1)) * cdf[:, -1:]
    return np.minimum((cdf < u).sum(axis=1), logits.shape[1] - 1)


def prompt_array(start, vocab_size):
    """start: one token id, a prompt (S,) or a batch of prompts (B, S).

    Returns the prompts as (B, S) int ids and whether one prompt came
    (so the samples come back 1-D)."""
    arr = np.asarray(start)
    single = arr.ndim <= 1
    arr = np.atleast_2d(arr) if single else arr
    if arr.size == 0:
        raise ValueError("start must hold at least one token id")
    ids = check_token_ids("start", arr, vocab_size, 2, "an int, (S,) or (B, S)")
    return ids, single


def collect_samples(prompts, draws, single, stop=None):
    """The prompts (B, S) followed by the draws, a list of (B,) arrays.

    stop None: an int array (B, S + len(draws)), or (S + len(draws),) for
    one prompt.  stop a token id: a list of B arrays, each cut after its
    first drawn `stop` (or holding every draw if it drew none); for one
    prompt, that one array.
    """
    drawn = np.stack(draws, axis=1).astype(np.int64)
    if stop is None:
        result = np.concatenate([prompts.astype(np.int64), drawn], axis=1)
        return result[0] if single else result
    out = []
    for prompt, row in zip(prompts, drawn, strict=True):
        stops = np.flatnonzero(row == stop)
        end = stops[0] + 1 if stops.size else len(row)
        out.append(np.concatenate([prompt, row[:end]]).astype(np.int64))
    return out[0] if single else out


def check_sample_args(length, temperature, stop, vocab_size):
    """Validate `sample`'s length (int >= 1), temperature and stop (None or a
    token id); returns the temperature as a float."""
    check_positive_int("length", length)
    if stop is not None:
        check_token_id("stop", stop, vocab_size)
    return check_temperature(temperature)
