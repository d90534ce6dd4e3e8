"""The checks of exercise 03 (solutions/03_sequence_labeling_exercises.ipynb),
which its test cells call with the learner's functions:

random_batch          test data: logits, targets and a mask for given lengths
check_padded          Part 1: what `pad_sequences` returned, against the
                      expected ids and mask (names a mask built from the values)
check_masked_loss     Part 2: `masked_softmax_cross_entropy` against rnnlib's
                      loss and gradient, naming the usual mistakes
check_loss_gradient   Part 2: dlogits is 0 at the padded steps and agrees with
                      the numerical gradient of the learner's own loss
check_huge_scores     Part 2: the same with scores of +-1e4 (a softmax that
                      does not subtract the maximum overflows)
accuracy_example      Part 3: a batch small enough to count by hand

Each check computes its references before it calls the learner's function.
"""

import numpy as np

import rnnlib

from .mistakes_outputs import masked_cross_entropy_mistakes
from .values import check_array, check_gradient, check_returns, check_scalar

MASK_FROM_VALUES = (
    "a mask computed from the values (ids != pad_id): it must come from the lengths"
)


def random_batch(B, T, C, lengths=None, seed=0, scale=2.0):
    """Test data: logits (B, T, C), targets (B, T) ints in [0, C), and the mask
    (B, T) of `lengths` (all T if None): 1.0 where t < lengths[b]."""
    rng = np.random.default_rng(seed)
    logits = scale * rng.standard_normal((B, T, C))
    targets = rng.integers(0, C, size=(B, T))
    lengths = [T] * B if lengths is None else lengths
    mask = (np.arange(T) < np.array(lengths)[:, None]).astype(np.float64)
    return logits, targets, mask


def check_padded(returned, ids, mask, pad_id=0):
    """Assert that `returned`, what pad_sequences gave, is (ids, mask): the
    expected ids (B, T) as integers and the expected mask (B, T)."""
    got_ids, got_mask = check_returns("pad_sequences", returned, ("ids", "mask"))
    check_array("ids", got_ids, np.array(ids))
    assert np.asarray(got_ids).dtype.kind in "iu", (
        f"ids must hold integers (token ids); got dtype {np.asarray(got_ids).dtype}"
    )
    from_values = (np.asarray(got_ids) != pad_id).astype(np.float64)
    check_array(
        "mask",
        got_mask,
        np.array(mask, dtype=np.float64),
        mistakes={MASK_FROM_VALUES: from_values},
    )


def check_masked_loss(loss_fn, logits, targets, mask):
    """Assert that loss_fn(logits, targets, mask) returns rnnlib's
    (loss, dlogits), naming the usual mistakes; return what it returned."""
    expected = rnnlib.softmax_cross_entropy(logits, targets, mask)
    mistakes = masked_cross_entropy_mistakes(logits, targets, mask)
    got = check_returns(
        "masked_softmax_cross_entropy",
        loss_fn(logits.copy(), targets.copy(), mask.copy()),
        ("loss", "dlogits"),
    )
    check_scalar("loss", got[0], expected[0], mistakes=mistakes["loss"])
    check_array("dlogits", got[1], expected[1], mistakes=mistakes["dlogits"])
    return got


def check_loss_gradient(loss_fn, logits, targets, mask):
    """Assert that the dlogits of loss_fn is 0 at the padded steps and is the
    numerical gradient of loss_fn's own loss."""
    numerical = rnnlib.numerical_gradient(
        lambda z: loss_fn(z, targets.copy(), mask.copy())[0], logits.copy()
    )
    _, dlogits = loss_fn(logits.copy(), targets.copy(), mask.copy())
    assert np.all(np.asarray(dlogits)[mask == 0] == 0), (
        "dlogits must be 0 at the padded steps"
    )
    check_gradient(
        "dlogits, against the numerical gradient of your loss", dlogits, numerical
    )


def check_huge_scores(loss_fn, logits, targets, mask):
    """check_masked_loss with the scores replaced by +-1e4 (their signs kept),
    where exp(z) / sum(exp(z)) overflows and softmax(z - max z) does not;
    asserts that loss and dlogits are finite."""
    huge = 1e4 * np.sign(logits)
    with np.errstate(over="ignore", invalid="ignore"):
        loss, dlogits = check_masked_loss(loss_fn, huge, targets, mask)
    assert np.isfinite(loss) and np.isfinite(dlogits).all(), (
        "NaN or inf for logits of 1e4"
    )
    return loss, dlogits


def accuracy_example():
    """2 sequences of 3 steps, 2 classes; the second has 1 real step.

    The predictions, argmax over the classes, are [[0, 1, 0], [1, 0, 0]]
    against the targets [[0, 1, 1], [1, 1, 1]]: right at 3 of the 4 real
    steps, and at 3 of all 6.  Returns logits (2, 3, 2), targets, mask.
    """
    logits = np.array(
        [[[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]], [[0.0, 1.0], [5.0, 0.0], [5.0, 0.0]]]
    )
    targets = np.array([[0, 1, 1], [1, 1, 1]])
    mask = np.array([[1.0, 1, 1], [1, 0, 0]])
    return logits, targets, mask
