"""The course's own files as grading began: each kernel gets a copy of
`rnnlib` and `coursekit` written from this snapshot, and a file a
submission changed in the checkout is put back."""

from __future__ import annotations

from pathlib import Path

PACKAGES = ("rnnlib", "coursekit")  # what each kernel gets a pristine copy of


def _package_folder(name: str) -> Path:
    """The folder this Python imports the package `name` from."""
    import importlib

    return Path(importlib.import_module(name).__file__).parent


def library_files() -> dict[str, bytes]:
    """{"coursekit/checks/values.py": bytes, ...}: every file of PACKAGES as the
    grader found them when it started."""
    files = {}
    for name in PACKAGES:
        folder = _package_folder(name)
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                rel = Path(name) / path.relative_to(folder)
                files[rel.as_posix()] = path.read_bytes()
    return files


def write_library(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def restore_library(files: dict[str, bytes]) -> list[str]:
    """Put the course's files back as `library_files()` read them: rewrite a
    changed or deleted file, delete an added `.py` file.  Returns the paths
    changed (relative, e.g. ["coursekit/checks/values.py"])."""
    changed = []
    for name in PACKAGES:
        folder = _package_folder(name)
        for path in sorted(folder.rglob("*.py")):
            rel = (Path(name) / path.relative_to(folder)).as_posix()
            if rel not in files and "__pycache__" not in path.parts:
                path.unlink()
                changed.append(rel)
        for rel, data in files.items():
            if not rel.startswith(name + "/"):
                continue
            path = folder / Path(rel).relative_to(name)
            try:
                same = path.read_bytes() == data
            except OSError:
                same = False
            if not same:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                changed.append(rel)
    return sorted(changed)
