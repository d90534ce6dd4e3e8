"""What Gradescope autograding costs: run_autograder on COUNT submissions.

    .venv/bin/python benchmarks/bench_gradescope.py [--count 20] [--at-once 2]
        [--exercise 01_forward_propagation_exercises]

Builds the exercise's autograder.zip (`coursekit.gradescope`), then, for
each submission, a fresh folder laid out as Gradescope's /autograder (the
zip unpacked in source/, the notebook in submission/) and runs the zip's
own `run_autograder` on it, as Gradescope runs it in a fresh container: a
new Python each time, the student's code in the sandbox when bubblewrap
works here.  AT_ONCE run side by side (as two containers on two cores).
The submissions are the exercise's solution, a partial one (the first
solution cell answered) and the blank exercise, in turns.  It prints the
wall time, the time per submission and per 1,000 submissions at that
rate, and checks every results.json scored what it should.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coursekit import gradescope  # noqa: E402
from coursekit.notebooks import (  # noqa: E402
    graded_parts,
    is_solution,
    load_source,
    notebook_text,
)
from coursekit.publishing.exercises import make_exercise  # noqa: E402


def kinds(source_path: Path) -> dict[str, tuple[str, float]]:
    """{kind: (notebook text, expected score)}."""
    solution = load_source(source_path)
    blank = make_exercise(solution)
    partial = make_exercise(solution)
    first = next(i for i, c in enumerate(solution.cells) if is_solution(c))
    partial.cells[first] = solution.cells[first]
    parts = graded_parts(solution)
    first_test = next(p for p in parts if p.solution_id and p.auto)
    return {
        "solved": (notebook_text(solution), sum(p.points for p in parts if p.auto)),
        "partial": (notebook_text(partial), first_test.points),
        "blank": (notebook_text(blank), 0.0),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--at-once", type=int, default=2)
    parser.add_argument("--exercise", default="01_forward_propagation_exercises")
    args = parser.parse_args()
    source = ROOT / "solutions" / f"{args.exercise}.ipynb"
    notebooks = kinds(source)
    order = [list(notebooks)[i % len(notebooks)] for i in range(args.count)]
    with tempfile.TemporaryDirectory(prefix="bench-gradescope-") as folder:
        base = Path(folder)
        zip_path = base / "autograder.zip"
        gradescope.write_autograder(zip_path, source)
        roots = []
        for i, kind in enumerate(order):
            root = base / f"run{i}"
            with zipfile.ZipFile(zip_path) as archive:
                archive.extractall(root / "source")
            (root / "submission").mkdir()
            text = notebooks[kind][0]
            (root / "submission" / "notebook.ipynb").write_text(text)
            roots.append(root)

        def run(i):
            env = {**os.environ, gradescope.ROOT_VARIABLE: str(roots[i])}
            env[gradescope.PYTHON_VARIABLE] = sys.executable
            started = time.perf_counter()
            subprocess.run(
                ["bash", str(roots[i] / "source" / "run_autograder")],
                env=env,
                capture_output=True,
                check=True,
            )
            seconds = time.perf_counter() - started
            data = json.loads((roots[i] / "results" / "results.json").read_text())
            return order[i], data["score"], seconds

        started = time.perf_counter()
        with ThreadPoolExecutor(args.at_once) as pool:
            done = list(pool.map(run, range(args.count)))
        wall = time.perf_counter() - started
    wrong = [(k, s) for k, s, _ in done if s != notebooks[k][1]]
    each = sorted(s for _, _, s in done)
    print(f"{args.count} submissions of {args.exercise}, {args.at_once} at once")
    print(f"wall {wall:.1f} s; one run_autograder: median {each[len(each) // 2]:.1f} s")
    print(
        f"per 1,000 submissions at this rate: {wall / args.count * 1000 / 3600:.2f} h"
    )
    print("load average after:", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    print("every score as expected" if not wrong else f"WRONG SCORES: {wrong}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
