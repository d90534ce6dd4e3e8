"""The command line: `python -m coursekit.gradescope` (see the package's
description)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from coursekit.gradescope.autograder_zip import (
    DEFAULTS,
    ROOT,
    ROOT_VARIABLE,
    exercise_ids,
    select_exercises,
    write_autograder,
)
from coursekit.gradescope.container import autograde
from coursekit.notebooks import source_notebooks


def _parser() -> argparse.ArgumentParser:
    from coursekit.grade import positive

    parser = argparse.ArgumentParser(
        prog="python -m coursekit.gradescope",
        description="Write one Gradescope autograder.zip per exercise into OUT "
        "(or, with --autograde, grade a submission inside Gradescope's container).",
    )
    parser.add_argument("out", nargs="?", metavar="OUT", help="folder for the zips")
    parser.add_argument(
        "exercises", nargs="*", metavar="EXERCISE", help="default: every exercise"
    )
    parser.add_argument("--source", default=str(ROOT / "solutions"))
    parser.add_argument(
        "--timeout",
        type=positive(float),
        default=DEFAULTS["timeout"],
        help="seconds for a whole notebook (default %(default)g; keep it below "
        "the assignment's timeout on Gradescope, 10 minutes by default)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=positive(float),
        default=DEFAULTS["cell_timeout"],
        help="seconds for one cell (default %(default)g)",
    )
    parser.add_argument(
        "--memory",
        type=positive(int),
        default=DEFAULTS["memory_mb"],
        help="MB for the student's process (default %(default)d)",
    )
    parser.add_argument(
        "--autograde",
        action="store_true",
        help="inside the container (run_autograder): grade /autograder/submission",
    )
    parser.add_argument(
        "--isolation", choices=("auto", "required", "off"), default="auto"
    )
    parser.add_argument("--student-user", metavar="NAME", default=None)
    return parser


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    limits = {
        "timeout": args.timeout,
        "cell_timeout": args.cell_timeout,
        "memory_mb": args.memory,
    }
    if args.autograde:
        if args.out:
            parser.error("--autograde takes no OUT folder")
        root = Path(os.environ.get(ROOT_VARIABLE, "/autograder"))
        data = autograde(root, limits, args.isolation, args.student_user)
        print(data["output"])
        return 0
    if not args.out:
        parser.error("give the OUT folder for the zips")
    found = source_notebooks(args.source)
    if not found:
        parser.error(f"no source notebook in {args.source}/ (see --source)")
    try:
        chosen = select_exercises(found, args.exercises)
    except ValueError as exc:
        parser.error(str(exc))
    out = Path(args.out)
    others = exercise_ids(found)
    for source in chosen:
        path = out / source.stem / "autograder.zip"
        write_autograder(path, source, limits, others=others)
        print(f"{path}  ({path.stat().st_size // 1024} KB)")
    return 0
