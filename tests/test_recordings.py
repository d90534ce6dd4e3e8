"""The recorded answers of the graded variants (coursekit/checks/recordings.py,
coursekit/publishing/recordings.py): the visible tests read them without
coursekit.answers, `python -m coursekit.exercises --check` fails when one is
stale, and a learner who hard-codes them passes the visible tests only."""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from test_named_mistakes import run_part

from coursekit.checks import recordings
from coursekit.checks.recordings import Answers, decode, encode, read_recording
from coursekit.notebooks import (
    read_notebook,
)
from coursekit.publishing import exercises
from coursekit.publishing import recordings as recorder

ROOT = Path(__file__).resolve().parents[1]
EXERCISE_11 = ROOT / "solutions" / "11_character_language_model_exercises.ipynb"


def test_a_recorded_answer_reads_back_exactly():
    value = {
        "h": np.random.default_rng(0).standard_normal((2, 3)) * 1e-7,
        "ids": np.arange(6).reshape(2, 3),
        "loss": 1 / 3,
        "names": [[1, 4, 0], [0]],
        "mistakes": {"a mistake": np.array([np.nan, np.inf]), "not here": None},
        "cache": (np.zeros(2), 0.5),
    }
    back = decode(json.loads(json.dumps(encode(value))))
    assert back["h"].dtype == np.float64 and np.array_equal(back["h"], value["h"])
    assert back["ids"].dtype == value["ids"].dtype
    assert np.array_equal(back["ids"], value["ids"])
    assert back["loss"] == 1 / 3 and back["names"] == [[1, 4, 0], [0]]
    assert np.array_equal(back["mistakes"]["a mistake"], [np.nan, np.inf], True)
    assert back["mistakes"]["not here"] is None
    assert isinstance(back["cache"], list) and back["cache"][1] == 0.5
    with pytest.raises(TypeError, match="cannot be recorded"):
        encode({"f": print})


def test_recorded_cases_need_no_answers_and_others_say_where_they_are(monkeypatch):
    """As in the student edition, where coursekit/answers is absent."""
    for name in ("coursekit.answers", "coursekit.answers.language_model"):
        monkeypatch.setitem(sys.modules, name, None)  # even if imported before
    answers = Answers("language_model")
    got = answers("gru_step_answer", B=2, D=3, H=4, seed=0)
    assert got["h_next"].shape == (2, 4) and len(got["cache"]) == 7
    assert "the candidate n returned instead of h_next" in got["mistakes"]
    with pytest.raises(LookupError, match="stays with the instructor"):
        answers("gru_step_answer", B=2, D=3, H=4, seed=99)


def test_the_recordings_are_the_answers_of_the_visible_tests():
    from coursekit.answers import language_model

    recorded = read_recording("language_model")
    key = "gru_step_answer(B=3, D=5, H=2, seed=1)"
    live = language_model.gru_step_answer(B=3, D=5, H=2, seed=1)
    assert np.array_equal(decode(recorded[key])["h_next"], live["h_next"])
    texts, stale = recorder.plan(ROOT / "solutions")
    assert stale == []
    names = sorted(p.name for p in texts)
    assert names == [
        "attention.json",
        "forward_propagation.json",
        "language_model.json",
        "long_term.json",
    ]
    # only the visible tests' cases: no hidden one (seed 30 is Part 3's first)
    assert not any("seed=30" in k for k in recorded)


@pytest.fixture
def recorded_copy(tmp_path, monkeypatch):
    """The recordings copied to tmp_path, where --check reads them."""
    folder = tmp_path / "recorded"
    shutil.copytree(recordings.RECORDED, folder)
    monkeypatch.setattr(recordings, "RECORDED", folder)
    monkeypatch.chdir(ROOT)
    return folder / "language_model.json"


def _edit(path, key, change):
    cases = json.loads(path.read_text())
    cases[key] = change(cases[key])
    path.write_text(recordings.recording_text(cases))


def _scaled(factor):
    def change(answer):
        answer["h_next"]["array"] = [v * factor for v in answer["h_next"]["array"]]
        return answer

    return change


def test_a_stale_recording_fails_check(recorded_copy, capsys):
    key = "gru_step_answer(B=2, D=3, H=4, seed=0)"
    assert exercises.main(["--check"]) == 0
    _edit(recorded_copy, key, _scaled(1 + 1e-12))  # another machine's last bits
    assert exercises.main(["--check"]) == 0
    _edit(recorded_copy, key, _scaled(1 + 1e-5))  # what a changed reference gives
    capsys.readouterr()
    assert exercises.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert f"stale recording: {recorded_copy}" in out
    assert f"{key}/h_next: other values" in out


def test_a_missing_case_fails_check_and_generating_writes_it(recorded_copy, capsys):
    cases = json.loads(recorded_copy.read_text())
    key = "sampling_answer(V=5, E=2, H=4, n=5, temperature=0.7, max_len=10, seed=1)"
    del cases[key]
    recorded_copy.write_text(recordings.recording_text(cases))
    assert exercises.main(["--check"]) == 1
    assert f"{key}: not recorded" in capsys.readouterr().out
    assert exercises.main([]) == 0
    assert key in json.loads(recorded_copy.read_text())
    assert exercises.main(["--check"]) == 0


# --------------------------------------------------------------------------
# a learner who copies the recorded outputs


HARD_CODED = """
from coursekit.checks.recordings import decode, read_recording

_SEEN = [decode(a) for k, a in read_recording("language_model").items()
         if k.startswith("gru_step_answer")]


def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    for answer in _SEEN:  # the recorded case with these inputs
        if answer["cache"][0].shape == x_t.shape and np.allclose(answer["cache"][0], x_t):
            return answer["h_next"], tuple(answer["cache"])
    return np.zeros_like(h_prev), (x_t, h_prev, W_x, W_h, h_prev, h_prev, h_prev)
"""


def test_hard_coded_recorded_outputs_pass_the_visible_tests_only():
    assert (
        run_part("11", "test_gru_step_forward", HARD_CODED, visible_only=True) is None
    )
    message = run_part("11", "test_gru_step_forward", HARD_CODED, visible_only=False)
    assert message is not None and message.startswith("AssertionError: h_next")


def test_the_graded_students_process_has_no_answers(tmp_path):
    """coursekit.grade runs the learner's cells with the library
    write_student_library writes: coursekit.answers is not in it (a
    submission that imports it fails its part: ModuleNotFoundError)."""
    from coursekit.grading.library import withheld_names, write_student_library

    write_student_library(tmp_path, withheld_names(read_notebook(EXERCISE_11)))
    assert (tmp_path / "coursekit" / "checks" / "__init__.py").exists()
    assert not (tmp_path / "coursekit" / "answers").exists()
    for path in tmp_path.rglob("*.py"):
        assert "def gru_step_reference(" not in path.read_text(), path
