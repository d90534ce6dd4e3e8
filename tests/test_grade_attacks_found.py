"""Submissions that get past coursekit.grade today (each test fails until
the grader is fixed).

Each builds a small class (one or two notebooks: the course's solution,
or the blank exercise, with a cell changed), grades it the way an
instructor does (as the current user, `--isolation required`, two jobs)
and asserts what a sound grader must do:

- cells the learner moved out of the source's order never run in the
  judge (today a blank exercise 01 scores 8 of 8 and writes outside the
  sandbox with the grader's rights);
- rnnlib's fast kernels (rnnlib.kernels) are withheld with the references
  that run them, and a framework the grader makes absent cannot be
  imported past its stand-in;
- a function that draws from NumPy's hidden global generator (a mistake
  its test names, in the learner's own notebook and under nbgrader) loses
  the part, though the draw happens in the student's process while
  `check_global_random_untouched` looks at the judge's generator;
- memory the student's process holds outside its resident set (a memfd, a
  file in the sandbox's /dev/shm) counts against `--memory`, else one
  submission can take the host's memory from its classmates.

The sandbox needs bubblewrap: elsewhere these tests skip, saying why,
unless COURSEKIT_REQUIRE_ISOLATION is set (as in tests/test_grade_tampering.py).
"""

from pathlib import Path

import grading_runs
import pytest
from grading_runs import require_sandbox, submission

from coursekit.notebooks import grade_id, load_source, read_notebook, write_notebook
from coursekit.publishing.exercises import make_exercise

ROOT = Path(__file__).resolve().parents[1]


def grade(tmp_path: Path, notebooks, *options) -> dict:
    """Grade `notebooks`; {folder name: gradebook row, with "feedback" added}."""
    out = tmp_path / "out"
    graded = grading_runs.grade(
        notebooks,
        out / "gradebook.csv",
        *("--feedback", out / "feedback", "--isolation", "required", *options),
        timeout=600,
    )
    rows = {Path(row["submission"]).parent.name: row for row in graded}
    for path in (out / "feedback").rglob("*.md"):
        for name, row in rows.items():
            if len(rows) == 1 or name in path.parts:
                row["feedback"] = path.read_text()
    return rows


GLOBAL_GENERATOR = """def sample_with_temperature(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    p = softmax_with_temperature(logits, temperature)
    np.random.seed(int(rng.integers(2**32)))  # then NumPy's hidden generator
    return int(np.random.choice(len(p), p=p))
"""


def test_drawing_from_the_global_generator_loses_the_part(tmp_path):
    """In the learner's notebook this part fails ("sample_with_temperature
    used NumPy's hidden global generator"); graded, it scored 3 of 3,
    because the check compares the judge's np.random state, which the
    student's process never touches."""
    require_sandbox()
    exercise = "05_sequence_generation_exercises"
    nb = submission(
        tmp_path / "class",
        exercise,
        "global",
        {"sample_with_temperature": GLOBAL_GENERATOR},
    )
    row = grade(tmp_path, [nb])["global"]
    assert row["test_sample_with_temperature"] == "0", row
    assert "hidden global generator" in row["feedback"]


HOLD_MEMFDS = """import os, time
_held = [os.memfd_create(f"held{i}") for i in range(6)]
_chunk = b"x" * (1 << 24)
for _fd in _held:  # 6 x 128 MB in memfds: in no process's RSS
    for _ in range(8):
        os.write(_fd, _chunk)
del _chunk
time.sleep(3)  # the guard looks every 0.2 s
"""
HOLD_ONE_MEMFD = """import os
_held = os.memfd_create("held")
_chunk = b"x" * (1 << 24)
for _ in range(80):  # 1280 MB in one memfd
    os.write(_held, _chunk)
"""
HOLD_DEV_SHM = """with open("/dev/shm/held", "wb") as _f:  # a tmpfs
    _chunk = b"x" * (1 << 24)
    for _ in range(80):  # 1280 MB
        _f.write(_chunk)
"""


def _hoard(tmp_path, hold):
    exercise = "01_forward_propagation_exercises"
    solved = read_notebook(ROOT / "solutions" / f"{exercise}.ipynb")
    step = next(c.source for c in solved.cells if grade_id(c) == "rnn_cell_forward")
    nb = submission(
        tmp_path / "class", exercise, "hoarder", {"rnn_cell_forward": hold + step}
    )
    return grade(tmp_path, [nb], "--memory", "512")["hoarder"]


def test_memory_held_in_memfds_counts(tmp_path):
    """Memory held in memfds is in no process's resident set (it kept
    1280 MB under `--memory 512`, status ok, 8 of 8): the guard adds the
    size of the memfds each process holds open."""
    require_sandbox()
    assert _hoard(tmp_path, HOLD_MEMFDS)["status"] == "memory"


@pytest.mark.parametrize(
    "hold, error",
    [(HOLD_ONE_MEMFD, "File too large"), (HOLD_DEV_SHM, "No space left on device")],
    ids=["one_memfd", "dev_shm"],
)
def test_no_file_grows_past_its_limit(tmp_path, hold, error):
    """One memfd stops at the scratch limit (RLIMIT_FSIZE), a file in
    /dev/shm at that small tmpfs's size (the sandbox's /dev had none): the
    learner's cell fails with the system's error, and its part scores 0."""
    require_sandbox()
    row = _hoard(tmp_path, hold)
    assert row["test_rnn_cell_forward"] == "0", row
    assert error in row["feedback"], row["feedback"]


# rnnlib's fast kernels compute what exercises 08 and 11 grade, and the
# student's rnnlib keeps them (reached here by import and by getattr on a
# built string; the bytecode check runs in the student's process)
GRU_BY_KERNEL = {
    "gru_step_forward": """def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    from rnnlib.kernels.gru import gru_forward_time_major as run

    h, k = run(x_t[None], h_prev, W_x, W_h, b_x, b_h)
    r, z, n = k.gates[:, 0]
    return h[0], (x_t, h_prev, W_x, W_h, r, z, n, -0.5 * k.hn[0])
""",
    "gru_step_backward": """def gru_step_backward(dh_next, cache):
    from rnnlib.kernels.gru import GRUKernelCache, gru_backward_time_major as run

    x_t, h_prev, W_x, W_h, r, z, n, a_hn = cache
    B, H = h_prev.shape
    h = ((1 - z) * n + z * h_prev)[None]
    gates = np.stack([r, z, n])[:, None]
    k = GRUKernelCache(x_t[None], h_prev, W_x, W_h, gates, -2 * a_hn[None], h,
                       np.empty((1, B, 4 * H)), False, None)
    dx, dh0, dW_x, dW_h, db_x, db_h = run(dh_next[None], k)
    return dx[0], dh0, dW_x, dW_h, db_x, db_h
""",
}
STATE_GRADIENTS_BY_KERNEL = """def state_gradients(x, W_hx, W_hh, b_h, dh_last):
    import importlib

    kernels = importlib.import_module("rnnlib.kernels." + "rnn")
    forward = getattr(kernels, "rnn_forward" + "_time_major")
    backward = getattr(kernels, "rnn_backward" + "_time_major")
    h, _ = rnn_forward(x, None, W_hx, W_hh, b_h)
    B, T, H = h.shape
    grads = np.empty((B, T, H))
    grads[:, -1] = dh_last
    for t in range(T - 1):
        x_tm = np.ascontiguousarray(x[:, t + 1 :].transpose(1, 0, 2))
        _, cache = forward(x_tm, h[:, t].copy(), W_hx, W_hh, b_h)
        grads[:, t] = backward(np.zeros((T - 1 - t, B, H)), cache, dh_last)[1]
    return grads
"""


def test_the_references_fast_kernels_are_withheld_too(tmp_path):
    """Exercise 11's GRU step forward and backward written as calls of
    rnnlib.kernels.gru scored 7 of 7 (the withheld names are the tests'
    FORBIDDEN lists, which name gru_forward but not the kernel it runs);
    exercise 08's state_gradients through rnnlib.kernels.rnn scored 4 of 4
    (its test forbids `FORBIDDEN + ["rnn_backward_time_major"]`, a sum the
    library's reading of the lists skips)."""
    require_sandbox()
    lm = submission(
        tmp_path / "class",
        "11_character_language_model_exercises",
        "gru",
        GRU_BY_KERNEL,
    )
    longterm = submission(
        tmp_path / "class",
        "08_long_term_dependencies_exercises",
        "bptt",
        {"state_gradients": STATE_GRADIENTS_BY_KERNEL},
    )
    rows = grade(tmp_path, [lm, longterm])
    assert rows["gru"]["test_gru_step_forward"] == "0", rows["gru"]
    assert rows["gru"]["test_gru_step_backward"] == "0", rows["gru"]
    assert rows["bptt"]["test_state_gradients"] == "0", rows["bptt"]


TORCH_PAST_THE_STAND_IN = """import sys

sys.path[:] = [p for p in sys.path if "coursekit-student" not in p]
sys.modules.pop("torch", None)  # the grader's stand-in, which only raises
import torch


def rnn_forward(x, h0, W_hx, W_hh, b_h, W_yh, b_y):
    H, D = W_hx.shape
    rnn = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0[:] = torch.from_numpy(W_hx)
        rnn.weight_hh_l0[:] = torch.from_numpy(W_hh)
        rnn.bias_ih_l0[:] = torch.from_numpy(b_h)
        rnn.bias_hh_l0[:] = 0
        h0 = np.zeros((x.shape[0], H)) if h0 is None else h0
        out, _ = rnn(torch.from_numpy(x), torch.from_numpy(h0)[None])
        y_hat = torch.sigmoid(out @ torch.from_numpy(W_yh).T + torch.from_numpy(b_y))
    return out.numpy(), y_hat.numpy()
"""


def test_an_absent_framework_stays_absent(tmp_path):
    """Exercise 01's rnn_forward as torch.nn.RNN scored 3 of 3: the
    framework is "absent" only as a stand-in module first on sys.path,
    while the real one is bound into the sandbox with the environment's
    packages; dropping the stand-in's folder from sys.path imports it."""
    require_sandbox()
    pytest.importorskip("torch", reason="the attack needs torch installed")
    exercise = "01_forward_propagation_exercises"
    nb = submission(
        tmp_path / "class", exercise, "torch", {"rnn_forward": TORCH_PAST_THE_STAND_IN}
    )
    row = grade(tmp_path, [nb])["torch"]
    assert row["test_rnn_forward"] == "0", row
    assert "torch" in row["feedback"]


JUDGE_TAKEOVER = """import gc
from coursekit.grading import judge as _judge

_me = next(o for o in gc.get_objects() if isinstance(o, _judge.Judge))
_judge.Judge.run_cell = lambda self, index, kind, label, source: (True, "", "")
for _i in range(len(_me.cells) + 20):
    _me.conn.send(("cell", _i, True, "", ""))
with open(MARKER, "w") as _f:
    _f.write("this ran in the judge, with the grader's rights")
"""


def test_cells_out_of_order_never_run_in_the_judge(tmp_path):
    """A blank exercise 01 with its Part 1 moved to the end of the notebook,
    and this code in the solution cell `concat_weights`, scored 8 of 8
    ("Well done!") and wrote a file outside the sandbox as the grader: the
    graded test cells' indices are taken before the cells are put back in
    the source's order (matching.build_run_notebook), so after the reorder
    the learner's cell at a test's old index runs in the judge, and a test
    cell (hidden tests included) is sent to the student's process."""
    require_sandbox()
    exercise = "01_forward_propagation_exercises"
    marker = tmp_path / "escaped.txt"
    nb = make_exercise(load_source(ROOT / "solutions" / f"{exercise}.ipynb"))
    for cell in nb.cells:
        if grade_id(cell) == "concat_weights":
            cell.source = JUDGE_TAKEOVER.replace("MARKER", repr(str(marker)))
    ids = [grade_id(c) for c in nb.cells]
    first, second = ids.index("part1"), ids.index("part2")
    nb.cells = nb.cells[:first] + nb.cells[second:] + nb.cells[first:second]
    path = tmp_path / "class" / "reordered" / f"{exercise}.ipynb"
    path.parent.mkdir(parents=True)
    write_notebook(nb, path)
    row = grade(tmp_path, [path])["reordered"]
    assert not marker.exists(), "the learner's code ran in the judge"
    assert row["total"] == "0", row
