"""The exercises' hints (coursekit.hints), and the derivations they stand in for.

Exercises 02 (a leaky-integrator RNN) and 09 (a peephole LSTM) ask the learner
to derive the backward passes, 11 the embedding's and the GRU step's (Cho et
al.'s), 12 the attention weights': their released text
gives shapes and questions, never the formulas, and the hints go from a nudge
to the lines themselves, which must be the solution's.
"""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coursekit.grading.library import write_student_library
from coursekit.hints import HINTS, Hint, get_hint, hints_for
from coursekit.notebooks import (
    grade_id,
    graded_parts,
    is_locked,
    is_solution,
    is_test,
    read_notebook,
)

ROOT = Path(__file__).resolve().parents[1]
DERIVED = {
    2: "02_backprop_through_time_exercises.ipynb",
    9: "09_lstm_exercises.ipynb",
    11: "11_character_language_model_exercises.ipynb",
    12: "12_attention_exercises.ipynb",
}
# the part whose backward pass the learner derives; 02 and 09 have hints for
# every part, 11 and 12 for this one
BACKWARD_PART = {2: 2, 9: 2, 11: 1, 12: 2}
# 11 asks for a second derivation: the backward pass of Cho et al.'s GRU step
MORE_BACKWARD_PARTS = {11: (4,)}
HINTED_PARTS = {2: "all", 9: "all", 11: {1, 4}, 12: {2}}
CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.S)

# The backward formulas, as code or LaTeX, that the released exercises must
# not state (the learner derives them): in 02 and 09 anywhere, in 11 and 12
# in the intro, the summary and the backward part's text and code.
AFFINE = [
    # da = ..., db_h = ... (not: ..., db_h = rnn_step_backward(...), a call)
    r"\bd(a|x_t|h_prev|c_prev|c|W_\w+|b\w*)\s*=\s*(?!\w+\()[^=\s]",
    r"\bda\s*@",  # da @ W_hx
    r"\bda\.T\b",  # da.T @ x_t
    r"\bda\s*\^\s*\{?\\top",  # da^\top x_t
    r"\bda\s*(\\,|\\;)?\s*W_",  # da\, W_{hx}
]
FORMULAS = {
    2: AFFINE
    + [
        r"1\s*-\s*h(_\{?\w+\}?)?\s*(\*\*|\^)\s*2",  # 1 - h_next**2, 1 - h_t^2
        r"1\s*-\s*\\?tanh",  # 1 - \tanh^2(a)
        r"\(1\s*-\s*\\?alpha\)\s*(\*|\\,)?\s*d",  # (1 - alpha) * dh_next
    ],
    9: AFFINE
    + [
        r"\b([ifo])\s*\*?\s*\(1\s*-\s*\1\)",  # i(1 - i), o * (1 - o)
        r"\\sigma\s*(\(z\))?\s*\(1\s*-\s*\\sigma",  # \sigma(1 - \sigma)
        r"1\s*-\s*g\s*(\*\*|\^)\s*2",  # 1 - g**2
        r"1\s*-\s*(\\?tanh|tanh_c)",  # 1 - tanh_c**2, 1 - \tanh^2
        r"\bdc\s*(\*|\\odot)\s*[fgic]\b",  # dc * f, dc \odot g
        r"dh_(next|\{\\text\{next\}\})\s*(\*|\\odot)\s*(o\b|tanh_c|\\tanh)",
        # the peepholes' own terms: da_o * p[2], dz_i \odot p_0, da_f * c_prev
        r"\b(da|dz)_\{?[ifo]\}?\s*(\*|\\odot)\s*(p\[|p_|c_)",
    ],
    11: [
        r"np\.add\.at",
        r"\bdW\[v\]\s*=",  # dW[v] = sum ...
        r"O\^\\top\$?\s*`?(de|dX)",  # dE = O^\top dX
        # the GRU step's backward pass (Part 4)
        r"\bd(n|z|r|u|a\w*|x_t|h_prev|W_\w+|b_\w+)\s*=\s*(?!\w+\()[^=\s]",  # dn = ...
        r"\bd(n|z|h_\{\\text\{prev\}\}|a\^[xh])\s*=",  # dn = ..., da^x = ...
        r"dh\S*\s*(\\odot|\*)\s*z\b",  # dh_next * z: the direct path
        r"1\s*-\s*n\s*(\*\*|\^)\s*2",  # 1 - n**2
        r"\bdu\s*=|da_n\.T\s*@",  # du = da_n @ W_hn, da_n.T @ u
    ],
    12: [
        r"\bde\s*=\s*(?!\w+\()[^=\s]",  # de = a * (da - ...)
        r"a\s*\*\s*\(da\s*-",  # a * (da - (a * da).sum(...))
        r"a\s*\\odot\s*\(da",  # a \odot (da - ...)
        r"a_\{t,s\}\s*\\Big\(",  # a_{t,s}\Big(dL/da - ...)
        r"a_s\s*(\\,)?\s*(\\big)?\(\[s\s*=\s*j\]",  # a_s([s = j] - a_j)
    ],
}
# How the exercises wrote them before they asked for the derivation: every
# pattern must catch at least one of these (a pattern that matches nothing
# would pass any text).
STATED = {
    2: [
        "da = dh_next * (1 - h_next**2)",
        "dx_t = da @ W_hx      dh_prev = da @ W_hh",
        "dW_hx = da.T @ x_t    dW_hh = da.T @ h_prev    db_h = da summed over B",
        r"$$da = dh_{\text{next}} \odot (1 - h_t^2)$$",
        r"$$dx_t = da\, W_{hx}, \qquad dh_{\text{prev}} = da\, W_{hh},$$",
        r"$$dW_{hx} = da^\top x_t, \qquad dW_{hh} = da^\top h_{t-1}$$",
        r"with $\tanh'(a) = 1 - \tanh^2(a) = 1 - h_t^2$",
        "dh_prev = (1 - alpha) * dh_next + da @ W_hh",
    ],
    9: [
        "dc = dc_next + dh_next * o * (1 - tanh_c**2)",
        "da = [dc * g * i(1-i), dc * c_prev * f(1-f), dc * i * (1-g**2),",
        "dx_t = da @ W_x,  dh_prev = da @ W_h,  dc_prev = dc * f,",
        "dW_x = da.T @ x_t,  dW_h = da.T @ h_prev,  db = da summed over the batch",
        r"$$dc = dc_{\text{next}} + dh_{\text{next}} \odot o \odot (1 - \tanh^2(c_t)).$$",
        r"with $\sigma' = \sigma(1 - \sigma)$ and $\tanh' = 1 - \tanh^2$",
        r"$$da_i = dc \odot g \odot i(1 - i), \quad da_g = dc \odot i \odot (1 - g^2)$$",
        r"da_o = dh_{\text{next}} \odot \tanh(c_t) \odot o(1 - o).$$",
        r"$dc_{\text{prev}} = dc \odot f$, no matrix",
        r"$$dx_t = da\, W_x, \quad dW_x = da^\top x_t$$",
        "dc = dc_next + dh_next * o * (1 - tanh_c**2) + da_o * p[2]",
        "dc_prev = dc * f + da_i * p[0] + da_f * p[1]",
        "dp = [sum(da_i * c_prev), sum(da_f * c_prev), sum(da_o * c_next)]",
        r"$dc_{t-1} = dc \odot f + dz_i \odot p_0 + dz_f \odot p_1$",
    ],
    11: [
        r"$$dW[v] = \sum_{(b, t):\ \text{ids}[b, t] = v} de[b, t].$$",
        "`np.add.at(dW, ids, de)` adds them all.",
        "dW[v] = sum of de[b, t] over every (b, t) with ids[b, t] == v.",
        r"so $dE^\top = dX^\top O$, that is $dE = O^\top dX$",
        # Part 4, when it graded PyTorch's GRU and stated its backward pass
        r"$$dn = dh_{\text{next}} \odot (1 - z), \qquad dz = dh_{\text{next}} \odot (h_{t-1} - n),$$",
        "da_n = dn * (1 - n**2),  da_r = da_n * a_hn * r(1-r),  da_z = dz * z(1-z)",
        "dx_t = da_x @ W_x,  dh_prev = da_h @ W_h + dh_next * z,",
        r"$$da^x = [da_r, da_z, da_n], \qquad da^h = [da_r, da_z, da_n \odot r]",
        "du = da_n @ W_h[2 * H :]",
    ],
    12: [
        r"$$\frac{\partial L}{\partial e_{t,s}} = a_{t,s}\Big(\frac{\partial L}{\partial",
        "de = a * (da - sum_s a * da), the sum over the last axis (keepdims).",
        r"the backward pass is the softmax Jacobian, $a \odot (da - \sum_s a\, da)$.",
        r"= a_s\,\big([s = j] - a_j\big),$$",
    ],
}


def _formulas_in(exercise, text):
    return [
        m.group(0) for pattern in FORMULAS[exercise] for m in re.finditer(pattern, text)
    ]


def _solution_sources(exercise):
    """Part number -> the source of the solution cell that part grades."""
    nb = read_notebook(ROOT / "solutions" / DERIVED[exercise])
    by_id = {grade_id(c): c.source for c in nb.cells if is_solution(c)}
    parts = [p for p in graded_parts(nb) if p.auto]
    return {k: by_id[p.solution_id] for k, p in enumerate(parts, start=1)}


def _lines(text):
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


# --------------------------------------------------------------------------
# the hints


@pytest.mark.parametrize("exercise", sorted(DERIVED), ids=lambda n: f"{n:02d}")
def test_every_graded_part_has_hints_in_steps(exercise):
    parts = HINTED_PARTS[exercise]
    expected = _solution_sources(exercise) if parts == "all" else parts
    assert sorted(HINTS[exercise]) == sorted(expected), "one hint list per part"
    for part, steps in HINTS[exercise].items():
        assert len(steps) >= 2, f"Part {part}: a nudge before the lines"
        for k, text in enumerate(steps[:-1], start=1):
            assert not CODE_BLOCK.search(text), f"Part {part} step {k} gives code"


@pytest.mark.parametrize("exercise", sorted(DERIVED), ids=lambda n: f"{n:02d}")
def test_the_last_hint_gives_the_solutions_own_lines(exercise):
    for part, steps in HINTS[exercise].items():
        source, last = _solution_sources(exercise)[part], steps[-1]
        blocks = CODE_BLOCK.findall(last)
        assert blocks, f"Part {part}: the last hint names the lines"
        solution = set(_lines(source))
        shown = [line for block in blocks for line in _lines(block)]
        assert len(shown) >= 2, shown
        missing = [line for line in shown if line not in solution]
        assert not missing, f"Part {part}: not the solution's lines: {missing}"


def test_a_hint_is_the_step_asked_for_and_says_how_many_follow():
    hint = hints_for(2)
    first, last = hint(2), hint(2, len(HINTS[2][2]))
    assert first == get_hint(2, 2, 1) == Hint(2, 2, 1, 5, HINTS[2][2][0])
    assert str(first).startswith("Exercise 02, Part 2, hint 1 of 5 (next: step 2)")
    assert "hint 5 of 5 (the last)" in repr(last)
    assert last._repr_markdown_().startswith("**Exercise 02, Part 2, hint 5 of 5")
    assert "x_t, h_prev, W_hx, W_hh, alpha, h_tilde = cache" in last._repr_markdown_()
    assert hints_for(9)(np.int64(4), np.int64(1)).part == 4  # NumPy integers too


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: hints_for(2)(4, 1), ValueError, "hints for parts 1, 2, 3; got part 4"),
        (lambda: hints_for(9)(0), ValueError, "hints for parts 1, 2, 3, 4; got part 0"),
        (lambda: hints_for(2)(2, 6), ValueError, "has hints 1 to 5 (the last"),
        (lambda: hints_for(9)(3, 0), ValueError, "has hints 1 to 2 (the last"),
        (lambda: hints_for(3), ValueError, "exercises 02, 09, 11, 12; got exercise 3"),
        (lambda: hints_for(12)(1), ValueError, "12 has hints for parts 2; got part 1"),
        (lambda: get_hint(13, 1), ValueError, "got exercise 13"),
        (lambda: hints_for(2)("2", 1), TypeError, "the part must be a whole number"),
        (lambda: hints_for(2)(2, 1.0), TypeError, "the step must be a whole number"),
        (lambda: hints_for(True), TypeError, "the exercise must be a whole number"),
    ],
)
def test_a_part_or_step_that_does_not_exist_says_what_does(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
@pytest.mark.parametrize("exercise", sorted(DERIVED), ids=lambda n: f"{n:02d}")
def test_the_given_cell_defines_the_exercises_own_hint(folder, exercise):
    nb = read_notebook(ROOT / folder / DERIVED[exercise])
    given = [c for c in nb.cells if c.cell_type == "code" and is_locked(c)]
    namespace = {}
    exec(next(c for c in given if not is_test(c)).source, namespace)
    assert namespace["hint"](min(HINTS[exercise]), 1).exercise == exercise


def test_the_students_process_while_graded_has_the_hints(tmp_path):
    write_student_library(tmp_path, withheld={"rnn_step_backward"})
    code = (
        "import coursekit.hints as h; print(h.__file__); "
        "print(h.hints_for(2)(2, 5).steps)"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(tmp_path)!r}); {code}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    path, steps = result.stdout.split()
    assert Path(path) == tmp_path / "coursekit" / "hints.py"
    assert steps == "5"


# --------------------------------------------------------------------------
# the released exercises ask for the derivation


@pytest.mark.parametrize("exercise", sorted(DERIVED), ids=lambda n: f"{n:02d}")
def test_each_formula_pattern_catches_the_formulas_as_once_stated(exercise):
    for pattern in FORMULAS[exercise]:
        assert any(re.search(pattern, s) for s in STATED[exercise]), pattern
    for text in STATED[exercise]:
        assert _formulas_in(exercise, text), text
    for part in (BACKWARD_PART[exercise], *MORE_BACKWARD_PARTS.get(exercise, ())):
        last_hint = HINTS[exercise][part][-1]
        assert _formulas_in(exercise, last_hint), last_hint


@pytest.mark.parametrize("exercise", sorted(DERIVED), ids=lambda n: f"{n:02d}")
def test_the_released_exercise_states_no_backward_formula(exercise):
    nb = read_notebook(ROOT / "exercises" / DERIVED[exercise])
    parts = [p for p in graded_parts(nb) if p.auto]
    scope = {"intro", "summary"}
    for part in (BACKWARD_PART[exercise], *MORE_BACKWARD_PARTS.get(exercise, ())):
        scope |= {f"part{part}", parts[part - 1].solution_id}
    found = []
    for i, cell in enumerate(nb.cells):
        if HINTED_PARTS[exercise] != "all" and grade_id(cell) not in scope:
            continue
        if cell.cell_type == "markdown" or is_solution(cell):
            found += [f"cell {i}: {f!r}" for f in _formulas_in(exercise, cell.source)]
    assert not found, "formulas the learner should derive:\n" + "\n".join(found)


def test_the_hints_of_02s_backward_pass_ask_before_the_last_one_shows():
    """Learners found that 02's middle hints stated the answer by step 4 of 5."""
    steps = HINTS[2][BACKWARD_PART[2]]
    for k, text in enumerate(steps[:-1], start=1):
        assert not _formulas_in(2, text), f"hint {k} states {_formulas_in(2, text)}"
        assert "?" in text or k == 1, f"hint {k} asks no question"
    assert _formulas_in(2, steps[-1])  # the pattern can match a hint
