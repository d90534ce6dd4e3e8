"""Which notebook of a submission is graded, and whether it is another
exercise's: what the learner uploaded, whatever they named it."""

from __future__ import annotations

import json
from pathlib import Path

from coursekit.notebooks import NotebookError, grade_id, read_notebook


def _name_matches(stem: str, exercise: str) -> bool:
    return stem == exercise or any(
        stem.startswith(exercise + sep) or stem.endswith(sep + exercise)
        for sep in "_-. "
    )


def _overlap(path: Path, ids: set[str]) -> float:
    try:
        nb = read_notebook(path)
    except NotebookError:
        return 0.0
    found = {grade_id(c) for c in nb.cells if grade_id(c)}
    return len(found & ids) / len(found | ids) if found else 0.0


def find_submission(folder: Path, exercise: str, ids: set[str]):
    """(the notebook to grade or None, a note for the learner or "").

    One notebook below `folder`: that one, whatever its name.  Several: the
    one named like the exercise, else the one sharing the most grade_ids
    with it (`ids`)."""
    notebooks = sorted(
        p
        for p in folder.rglob("*.ipynb")
        if p.is_file()
        and ".ipynb_checkpoints" not in p.parts
        and "__MACOSX" not in p.parts
        and not p.name.startswith("._")
    )
    shown = [p.relative_to(folder).as_posix() for p in notebooks]
    if not notebooks:
        files = sorted(
            p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
        )
        received = ", ".join(files[:10]) + (", …" if len(files) > 10 else "")
        return None, (
            f"No notebook (.ipynb file) was found in your submission "
            f"(received: {received or 'nothing'}). Upload your "
            f"{exercise}.ipynb."
        )
    if len(notebooks) == 1:
        return notebooks[0], ""
    named = [p for p in notebooks if _name_matches(p.stem, exercise)]
    overlaps = {p: _overlap(p, ids) for p in notebooks}
    candidates = named or [p for p in notebooks if overlaps[p] > 0]
    if not candidates:
        return None, (
            f"Your submission holds {len(notebooks)} notebooks "
            f"({', '.join(shown)}) and none of them is {exercise}.ipynb "
            "(by its name or its cells). Upload that exercise's notebook."
        )
    chosen = max(candidates, key=lambda p: (overlaps[p], -len(p.parts)))
    others = ", ".join(s for p, s in zip(notebooks, shown, strict=True) if p != chosen)
    return chosen, (
        f"Your submission holds {len(notebooks)} notebooks: "
        f"{chosen.relative_to(folder).as_posix()} was graded ({others} not)."
    )


def other_exercise(path: Path, source, manifest: Path) -> str | None:
    """The exercise whose cells `path` shares more of than `source`'s, if
    any (as `coursekit.grade` matches against every exercise)."""
    try:
        known = json.loads(manifest.read_text(encoding="utf-8"))
        nb = read_notebook(path)
    except (OSError, ValueError, NotebookError):
        return None  # an unreadable notebook: the grader says why
    ids = {grade_id(c) for c in nb.cells if grade_id(c)}

    def overlap(name):
        theirs = set(known[name]) if name != source.name else source.ids
        return len(ids & theirs) / len(ids | theirs) if ids else 0.0

    best = max(known, key=overlap)
    if best != source.name and overlap(best) > overlap(source.name):
        return best
    return None


def wrong_exercise_message(message: str, exercise: str) -> str:
    if "matches no exercise" in message or "holds none of its parts" in message:
        return (
            f"it is not the notebook of {exercise} (none of its cells is one of "
            "that exercise's parts): did you upload another exercise's notebook? "
            "Download the exercise again and copy your code into it"
        )
    return message
