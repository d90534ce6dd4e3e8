"""The answers of a graded variant, as the visible tests read them: recorded.

Where an exercise grades a variant rnnlib does not hold (01's cell with its
sigmoid output, 11's GRU of Cho et al., 12's scores, decoder step and beam
search), its references and the models of its usual mistakes live in
`coursekit.answers.<topic>`, which only the instructor's copy of the course
holds (the student edition and what learners install leave it out).  A
check of `coursekit.checks.<topic>` asks for them by case, through one
`Answers` per topic:

    ANSWERS = Answers("language_model")
    out = ANSWERS("gru_step_answer", B=2, D=3, H=4, seed=0)
    out["h_next"], out["mistakes"]      # {mistake: h_next}

which is what `coursekit.answers.language_model.gru_step_answer(B=2, D=3,
H=4, seed=0)` returns.  Every case the visible tests ask for (and the short checks
of `upstream_first`) is recorded in `recorded/<topic>.json` of this package,
so a learner's own run compares with the recorded values and names the
recorded mistakes; any other case (the hidden tests: other sizes and seeds)
is computed from `coursekit.answers`, which the grader has.
`python -m coursekit.exercises` writes the recordings
(`coursekit.publishing.recordings`); with `--check` it fails when one is
missing or stale.

A recording holds what JSON holds exactly: arrays as shape, dtype and values
(a float is written with the 17 digits that read back as the same float),
numbers, strings, None, and lists and dicts of them (a tuple reads back as a
list).  Values computed live take the same round trip, so a check sees the
same types either way.  A learner's value is compared with a recorded one
with the check's usual tolerance (check_array: rtol 1e-6, atol 1e-8):
recorded on one machine and read on another, the references differ by far
less (the last bits of a product or a tanh, about 1e-15 of the values; a
numerical gradient, about 1e-11), and `--check` already calls a recording
stale beyond a tenth of that tolerance (RECORDING_RTOL, RECORDING_ATOL).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np

RECORDED = Path(__file__).resolve().parent / "recorded"
# a recording is stale when a value differs from the live answer by more than
# this: a tenth of check_array's default tolerance (rtol 1e-6, atol 1e-8)
RECORDING_RTOL, RECORDING_ATOL = 1e-7, 1e-9

# while `recording` runs: the list every answer asked for is appended to
_requests: list | None = None


def case_key(name: str, case: dict) -> str:
    """The key of one case in a recording, e.g. 'gru_step_answer(B=2, D=3, seed=0)'
    (the arguments in the order given)."""
    args = ", ".join(f"{k}={json.dumps(_plain(v))}" for k, v in case.items())
    return f"{name}({args})"


def _plain(value):
    """A case's argument as JSON (tuples as lists, NumPy numbers as Python's)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def encode(value):
    """`value` as JSON-able data (see the module's docstring)."""
    if isinstance(value, np.ndarray):
        array = value
        return {
            "array": array.reshape(-1).tolist(),
            "shape": list(array.shape),
            "dtype": array.dtype.str,
        }
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        if "array" in value:
            raise ValueError("a dict with the key 'array' cannot be recorded")
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(
        f"an answer holds a {type(value).__name__}, which cannot be recorded:"
        " return arrays, numbers, strings, None, and lists and dicts of them"
    )


def decode(data):
    """The values `encode` wrote: arrays as NumPy arrays."""
    if isinstance(data, dict):
        if "array" in data:
            values = np.array(data["array"], dtype=np.dtype(data["dtype"]))
            return values.reshape(data["shape"])
        return {k: decode(v) for k, v in data.items()}
    if isinstance(data, list):
        return [decode(v) for v in data]
    return data


def differences(recorded, live, where="") -> list[str]:
    """Where two encoded answers differ beyond the recording's tolerance
    (a text per difference; [] when they agree)."""
    if isinstance(live, dict) and "array" in live:
        if not (isinstance(recorded, dict) and "array" in recorded):
            return [f"{where}: an array now"]
        a, b = decode(recorded), decode(live)
        if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
            return [f"{where}: shape {a.shape} {a.dtype}, now {b.shape} {b.dtype}"]
        same = np.allclose(
            a, b, rtol=RECORDING_RTOL, atol=RECORDING_ATOL, equal_nan=True
        )
        return [] if same else [f"{where}: other values"]
    if isinstance(live, dict):
        if not isinstance(recorded, dict) or list(recorded) != list(live):
            return [f"{where}: other keys"]
        return sum(
            (differences(recorded[k], live[k], f"{where}/{k}") for k in live), []
        )
    if isinstance(live, list):
        if not isinstance(recorded, list) or len(recorded) != len(live):
            return [f"{where}: another length"]
        pairs = zip(recorded, live, strict=True)
        return sum(
            (differences(a, b, f"{where}/{i}") for i, (a, b) in enumerate(pairs)), []
        )
    if isinstance(live, float) and isinstance(recorded, int | float):
        same = np.isclose(recorded, live, rtol=RECORDING_RTOL, atol=RECORDING_ATOL)
        return [] if same else [f"{where}: {recorded!r}, now {live!r}"]
    return [] if recorded == live else [f"{where}: {recorded!r}, now {live!r}"]


def recording_path(topic: str, folder: Path = RECORDED) -> Path:
    return Path(folder) / f"{topic}.json"


def read_recording(topic: str, folder: Path = RECORDED) -> dict:
    """{case key: encoded answer} of a topic ({} if it has no recording)."""
    path = recording_path(topic, folder)
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def recording_text(cases: dict) -> str:
    """A recording as text: one case a line, in the order given."""
    lines = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in cases.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


class Answers:
    """The answers of one topic's graded variant: recorded for the visible
    cases, computed from coursekit.answers.<topic> for the others."""

    def __init__(self, topic: str):
        self.topic = topic
        self._recorded = None

    def _compute(self, name, case):
        try:
            module = importlib.import_module(f"coursekit.answers.{self.topic}")
        except ModuleNotFoundError as err:
            if err.name not in ("coursekit.answers", f"coursekit.answers.{self.topic}"):
                raise
            raise LookupError(
                f"no recorded answer for {case_key(name, case)} of"
                f" coursekit.checks.{self.topic}, and its reference is not in this"
                " copy of the course (it stays with the instructor, who grades"
                " the other cases). The visible tests use recorded cases only:"
                " run the test cell as it was given."
            ) from None
        return encode(getattr(module, name)(**case))

    def __call__(self, name: str, **case):
        """The answer of `name` for `case` (keyword arguments), decoded."""
        key = case_key(name, case)
        if _requests is not None:  # recording: always computed
            data = self._compute(name, case)
            _requests.append((self.topic, key, data))
            return decode(data)
        if self._recorded is None:
            self._recorded = read_recording(self.topic)
        if key in self._recorded:
            return decode(self._recorded[key])
        return decode(self._compute(name, case))


class recording:
    """Context manager: every answer asked for inside is computed and
    collected in `.requests`, [(topic, case key, encoded answer)]."""

    def __enter__(self):
        global _requests
        self._outer, _requests = _requests, []
        self.requests = _requests
        return self

    def __exit__(self, *exc):
        global _requests
        _requests = self._outer
        return False
