"""Record the answers the visible tests ask for (`coursekit.checks.recordings`).

`python -m coursekit.exercises` calls this beside writing exercises/: for
each solution notebook whose tests use a checks module with instructor-only
answers (`coursekit/answers/<topic>.py`), it runs the notebook's code cells
in this process, the solutions in and the hidden tests out, and collects
every answer those visible tests ask for (each computed from
`coursekit.answers`).  The result, `coursekit/checks/recorded/<topic>.json`,
is what a learner's run of the visible tests compares with.

The cells run as in the learner's notebook, in order, in one namespace, with
the notebook's folder as the working directory and their printed output
dropped; a cell that fails stops the recording with the cell's error (the
solutions pass their own visible tests, so it means a broken source).
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
from pathlib import Path

from coursekit.checks import recordings
from coursekit.notebooks import (
    BEGIN_HIDDEN,
    END_HIDDEN,
    load_source,
    replace_regions,
    source_notebooks,
)

ANSWERS = Path(__file__).resolve().parents[1] / "answers"
CHECKS = "coursekit.checks"


def topics_with_answers(answers_dir: Path = ANSWERS) -> set[str]:
    """The checks modules whose graded variant has instructor-only answers."""
    return {p.stem for p in Path(answers_dir).glob("*.py") if p.stem != "__init__"}


def recorded_topics(nb, topics: set[str]) -> set[str]:
    """The topics of `topics` whose checks module the notebook's cells import
    (`from coursekit.checks import lstm as tests09`, `import
    coursekit.checks.lstm`, `from coursekit.checks.lstm import ...`)."""
    found = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython's own syntax: no import of ours to see
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == CHECKS:
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                found.add((node.module or "").removeprefix(CHECKS + "."))
            elif isinstance(node, ast.Import):
                found |= {a.name.removeprefix(CHECKS + ".") for a in node.names}
    return found & topics


def visible_code(nb) -> list[str]:
    """The sources of the notebook's code cells without hidden tests, and
    without IPython's magics and shell lines (which plain Python cannot run)."""
    sources = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = replace_regions(cell.source, BEGIN_HIDDEN, END_HIDDEN, [])
        lines = [
            line
            for line in source.split("\n")
            if not line.lstrip().startswith(("%", "!"))
        ]
        sources.append("\n".join(lines))
    return sources


def run_visible(path: Path) -> list[tuple[str, str, object]]:
    """Run a solution notebook's visible code; return the answers it asked
    for, [(topic, case key, encoded answer)]."""
    path = Path(path)
    nb = load_source(path)
    namespace = {"__name__": "__main__"}
    here = Path.cwd()
    with recordings.recording() as rec, contextlib.redirect_stdout(io.StringIO()):
        os.chdir(path.parent)
        try:
            for k, source in enumerate(visible_code(nb)):
                try:
                    exec(
                        compile(source, f"{path.name} [code cell {k + 1}]", "exec"),
                        namespace,
                    )
                except Exception as exc:
                    raise RuntimeError(
                        f"{path}: code cell {k + 1} failed while its visible tests"
                        f" were recorded: {type(exc).__name__}: {exc}"
                    ) from exc
        finally:
            os.chdir(here)
    return rec.requests


def record(source: Path, answers_dir: Path = ANSWERS) -> dict[str, dict]:
    """{topic: {case key: encoded answer}} for every solution notebook of
    `source` whose tests use a topic with answers, cases in the order asked."""
    import matplotlib

    matplotlib.use("Agg")  # a cell that plots draws nowhere
    topics = topics_with_answers(answers_dir)
    out: dict[str, dict] = {}
    for path in source_notebooks(source):
        if not recorded_topics(load_source(path), topics):
            continue
        for topic, key, data in run_visible(path):
            out.setdefault(topic, {})[key] = data
    return out


def plan(source: Path, folder: Path | None = None):
    """(texts, stale): {recording path: text} of what `record` gives, and
    [(path, why)] for each recording in `folder` that is missing or differs
    from it beyond the recording's tolerance (folder: by default the checks'
    `recorded/`)."""
    folder = recordings.RECORDED if folder is None else folder
    texts, stale = {}, []
    for topic, cases in sorted(record(source).items()):
        path = recordings.recording_path(topic, folder)
        texts[path] = recordings.recording_text(cases)
        old = recordings.read_recording(topic, folder) if path.exists() else None
        if old is None:
            stale.append((path, "missing"))
            continue
        why = [f"{key}: not recorded" for key in cases if key not in old]
        why += [f"{key}: recorded, not asked for" for key in old if key not in cases]
        for key in cases:
            if key in old:
                why += [
                    f"{key}{d}" for d in recordings.differences(old[key], cases[key])
                ]
        if why:
            stale.append((path, "; ".join(why[:3]) + (" ..." if len(why) > 3 else "")))
    return texts, stale
