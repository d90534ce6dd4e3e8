"""A long error text in the feedback keeps its first line and its end: a
check's diagnosis (the largest difference, the mistake's name) comes last,
so it is never what gets cut."""

import numpy as np
import pytest

from coursekit.checks import check_array
from coursekit.checks.values import MISTAKES
from coursekit.grading.results import _clean


def _transposed_message(shape):
    rng = np.random.default_rng(sum(shape))
    expected = rng.normal(size=shape)
    wrong = expected[::-1].copy()  # what the mistake gives, here
    with pytest.raises(AssertionError) as err:
        check_array("h_next", wrong, expected, mistakes={"transposed": wrong})
    return str(err.value)


@pytest.mark.parametrize("shape", [(4, 4), (4, 6), (3, 8)])
def test_a_long_check_message_keeps_the_mistakes_name(shape):
    text = _transposed_message(shape)
    assert len(text) > 600  # long enough to be shortened
    shown = _clean(text)
    assert len(shown) <= 600
    assert shown.startswith("h_next is not right.")
    assert shown.endswith(
        f"This is exactly what you get with {MISTAKES['transposed']}."
    )
    assert "largest difference" in shown and "…" in shown


def test_a_short_message_is_left_whole_and_a_long_line_keeps_both_ends():
    assert _clean("\x1b[31mValueError\x1b[0m: bad") == "ValueError: bad"
    line = "start " + "x" * 2000 + " the end"
    shown = _clean(line)
    assert shown.startswith("start ") and shown.endswith(" the end")
    assert len(shown) <= 600
