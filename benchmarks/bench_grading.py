"""Grading a class at scale: `coursekit.grade --jobs 2` on synthetic submissions.

    .venv/bin/python benchmarks/bench_grading.py [--count 200] [--jobs 2]
        [--exercise solutions/01_forward_propagation_exercises.ipynb]
        [--against-nbgrader]

Writes COUNT submissions of one exercise, one folder per student, in a
fixed mix (the order is shuffled with a fixed seed so slow ones are spread):

    solved 40 %   the solution notebook
    partial 20 %  the first solution cell answered, the rest blank
    blank 20 %    the exercise as released
    crash 10 %    a solution cell ends the kernel (`os._exit(1)`)
    loop 5 %      a solution cell never ends (`while True: pass`)
    hog 5 %       a solution cell allocates without end

and grades them with `python -m coursekit.grade --jobs JOBS` and limits that
cut the loop and the hog short (--cell-timeout, --timeout, --memory).  It
prints the wall time, submissions per minute, the peak resident memory of
the grader with all its workers and kernels (sampled every 0.1 s), the
statuses seen, a check that each kind got the score and status it should,
and the extrapolation to the whole class on 12 exercises.

With --against-nbgrader, the class is honest work only (solved, partial,
blank: what both graders handle alike) and the same notebooks are graded
twice in one run: by `coursekit.grade` (judge and sandbox, as `--isolation
auto` gives here) and by `nbgrader autograde` in a course laid out by
`coursekit.nbgrader_course`; it prints both times and the ratio of
submissions per minute (needs the nbgrader extra).
"""

import argparse
import copy
import csv
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coursekit.notebooks import (  # noqa: E402
    graded_parts,
    is_solution,
    load_source,
    write_notebook,
)
from coursekit.publishing.exercises import make_exercise  # noqa: E402

MIX = {"solved": 40, "partial": 20, "blank": 20, "crash": 10, "loop": 5, "hog": 5}
EXPECTED_STATUS = {
    "solved": "ok",
    "partial": "ok",
    "blank": "ok",
    "crash": "error",
    "loop": "timeout",
    "hog": "memory",
}
BAD_CODE = {
    "crash": "import os\n\nos._exit(1)",
    "loop": "while True:\n    pass",
    "hog": "hog = []\nwhile True:\n    hog.append(bytearray(50 * 2**20))",
}


HONEST = {"solved": 40, "partial": 30, "blank": 30}


def kinds(count: int, seed: int = 0, mix=MIX) -> list[str]:
    """COUNT kinds in the proportions of `mix`, shuffled with a fixed seed."""
    total = sum(mix.values())
    out = []
    for kind, share in mix.items():
        out += [kind] * round(count * share / total)
    out = (out + ["solved"] * count)[:count]
    random.Random(seed).shuffle(out)
    return out


def submission(kind: str, solved, blank):
    """The notebook a student of this kind hands in."""
    if kind == "solved":
        return copy.deepcopy(solved)
    nb = copy.deepcopy(blank)
    answers = [c for c in solved.cells if is_solution(c) and c.cell_type == "code"]
    mine = [c for c in nb.cells if is_solution(c) and c.cell_type == "code"]
    if kind == "partial":
        mine[0].source = answers[0].source
    elif kind in BAD_CODE:
        mine[0].source = answers[0].source
        mine[1].source = BAD_CODE[kind]
    return nb


def write_class(folder: Path, exercise: Path, count: int, mix=MIX) -> dict:
    """Write the submissions; return {student: kind}."""
    solved = load_source(exercise)
    blank = make_exercise(solved)
    students = {}
    for i, kind in enumerate(kinds(count, mix=mix)):
        student = f"student{i:03d}"
        (folder / student).mkdir(parents=True)
        write_notebook(
            submission(kind, solved, blank), folder / student / exercise.name
        )
        students[student] = kind
    return students


def tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of `proc` and its descendants (0 for one that is gone)."""
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def grade_class(folder: Path, exercise: Path, out: Path, args) -> tuple[float, int]:
    """Run coursekit.grade; return (wall seconds, peak resident bytes)."""
    command = [
        sys.executable, "-m", "coursekit.grade", str(folder),
        "--source", str(exercise.parent), "--out", str(out),
        "--jobs", str(args.jobs), "--cell-timeout", str(args.cell_timeout),
        "--timeout", str(args.timeout), "--memory", str(args.memory),
    ]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.DEVNULL)
    watched = psutil.Process(proc.pid)
    peak, done = [0], threading.Event()

    def sample():
        while not done.wait(0.1):
            peak[0] = max(peak[0], tree_rss(watched))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    status = proc.wait()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if status != 0:
        raise SystemExit(f"coursekit.grade failed with exit status {status}")
    return wall, peak[0]


def check(out: Path, students: dict, exercise: Path) -> list[str]:
    """Problems: a kind that did not get its status, or a wrong score."""
    full = sum(p.points for p in graded_parts(load_source(exercise)) if p.auto)
    problems, statuses = [], {}
    with open(out, newline="") as f:
        for row in csv.DictReader(f):
            student = Path(row["submission"]).parent.name
            kind = students[student]
            statuses.setdefault(kind, set()).add(row["status"])
            total = float(row["total"])
            if row["status"] != EXPECTED_STATUS[kind]:
                problems.append(f"{student} ({kind}): status {row['status']}")
            if (kind == "solved") != (total == full) or (kind == "blank" and total):
                problems.append(f"{student} ({kind}): {total:g} / {full:g}")
    return problems, statuses


def nbgrader_autograde(folder: Path, exercise: Path, tmp: Path) -> float:
    """Lay out an nbgrader course, hand in the class's notebooks, and time
    `nbgrader autograde` (wall seconds)."""
    from coursekit.publishing import nbgrader_course

    course = tmp / "nbgrader-course"
    nbgrader_course.write_course(course, exercise.parent, [exercise.stem])
    assignment = nbgrader_course.assignment_name(exercise.stem)
    bindir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    env = {"PATH": bindir + ":/usr/bin:/bin", "HOME": str(tmp)}

    def nbgrader(*args):
        run = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=course, capture_output=True, text=True, env=env,
        )  # fmt: skip
        if run.returncode != 0:
            raise SystemExit(f"nbgrader {args[0]} failed:\n{run.stdout}{run.stderr}")

    nbgrader("generate_assignment", assignment)
    for notebook in sorted(folder.glob("*/*.ipynb")):
        target = course / "submitted" / notebook.parent.name / assignment
        target.mkdir(parents=True)
        shutil.copy(notebook, target / notebook.name)
        (target / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    start = time.perf_counter()
    nbgrader("autograde", assignment)
    return time.perf_counter() - start


def against_nbgrader(args) -> int:
    exercise = args.exercise.resolve()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        folder, out = tmp / "subs", tmp / "gradebook.csv"
        write_class(folder, exercise, args.count, mix=HONEST)
        ours, _ = grade_class(folder, exercise, out, args)
        theirs = nbgrader_autograde(folder, exercise, tmp)
    load = psutil.getloadavg()[0]
    print(f"exercise: {args.exercise.name}; {args.count} honest submissions")
    print(f"coursekit.grade --jobs {args.jobs}: {ours:.1f} s "
          f"({args.count / ours * 60:.1f} per minute)")  # fmt: skip
    print(
        f"nbgrader autograde: {theirs:.1f} s ({args.count / theirs * 60:.1f} per minute)"
    )
    print(f"ratio: coursekit.grade grades {theirs / ours:.2f}x as many per minute")
    print(f"load average (1 min) at the end: {load:.1f} on {psutil.cpu_count()} cores")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--exercise",
        type=Path,
        default=ROOT / "solutions" / "01_forward_propagation_exercises.ipynb",
    )
    parser.add_argument("--cell-timeout", type=float, default=10)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--memory", type=int, default=1024, help="MB")
    parser.add_argument(
        "--against-nbgrader",
        action="store_true",
        help="grade the same honest class with nbgrader autograde too",
    )
    args = parser.parse_args(argv)
    if args.against_nbgrader:
        return against_nbgrader(args)

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        folder, out = Path(tmp) / "subs", Path(tmp) / "gradebook.csv"
        students = write_class(folder, args.exercise.resolve(), args.count)
        wall, peak = grade_class(folder, args.exercise.resolve(), out, args)
        problems, statuses = check(out, students, args.exercise.resolve())

    per_minute = args.count / wall * 60
    load = psutil.getloadavg()[0]
    counts = {k: sum(v == k for v in students.values()) for k in MIX}
    print(f"exercise: {args.exercise.name}; submissions: {args.count} ({counts})")
    print(
        f"limits: --jobs {args.jobs} --cell-timeout {args.cell_timeout:g} "
        f"--timeout {args.timeout:g} --memory {args.memory}"
    )
    print(f"statuses by kind: { {k: sorted(v) for k, v in statuses.items()} }")
    print(f"wall time: {wall:.1f} s; {per_minute:.1f} submissions per minute")
    print(f"peak resident memory (grader + workers + kernels): {peak / 2**20:.0f} MB")
    print(f"load average (1 min) at the end: {load:.1f} on {psutil.cpu_count()} cores")
    for n in (200,):
        minutes = n / per_minute
        print(
            f"extrapolated: {n} submissions {minutes:.1f} min; "
            f"x 12 exercises {12 * minutes:.0f} min"
        )
    if problems:
        print("PROBLEMS:\n  " + "\n  ".join(problems))
        return 1
    print("every kind got the status and score it should")
    return 0


if __name__ == "__main__":
    sys.exit(main())
