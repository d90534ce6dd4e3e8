"""Build the course as a browsable, searchable website that works offline.

    python -m coursekit.publishing.book      # everything, into build/book/
    python -m coursekit.publishing.book --out /tmp/book notebooks/00_*.ipynb \\
        --exercises exercises/01_*.ipynb --jobs 2

Open `build/book/index.html` in a browser: no server and no network needed.

What the build does:

1. runs every lecture notebook (default: `notebooks/*.ipynb`) top to bottom
   in a fresh kernel of this Python, `--jobs` at a time, in a copy of its
   folder; an executed notebook is cached in `build/book-cache/` under a key
   made of the notebook's bytes and of every file of `rnnlib/`, so a second
   build re-runs only the notebooks (or the library) that changed;
2. stages a Sphinx source tree in `build/book-src/`: the executed
   notebooks (an `interact` widget becomes a note, as in the slides, after
   the plain call with fixed values that precedes it; progress bars and
   `# NBVAL_...` markers go), the exercises unsolved and unexecuted (from
   `exercises/`) each with a link to download its `.ipynb`, the guides of
   `docs/*.md`, and a course-map page written from the notebooks' titles and
   learning objectives;
3. runs Sphinx with myst-nb and the Furo theme (configuration in `book/`)
   into `build/book/`, copies MathJax 2 from the `jupyter-server-mathjax`
   package into `build/book/_static/mathjax/`, and fails if a page or style
   sheet would still load a script, style, image or font from the network
   (`coursekit.publishing.offline`, as for the slides).

Exit status 0 when the book is written; 1 if a notebook fails to run, a
file is missing or a page would need the network.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import multiprocessing
import re
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

from coursekit.publishing.execute import execute_notebook, last_line
from coursekit.publishing.offline import OfflineError, check_offline, copy_mathjax
from coursekit.publishing.pages import (
    LECTURES,
    drop_nbval_markers,
    lectures,
    notebook_title,
    replace_widget_views,
)

ROOT = Path(__file__).resolve().parents[2]
BOOK_DIR = ROOT / "book"  # conf.py, index.md, _static/
LIBRARY = ROOT / "rnnlib"
DEFAULT_EXERCISES = Path("exercises")
DEFAULT_GUIDES = Path("docs")
DEFAULT_OUT = Path("build/book")
DEFAULT_SRC = Path("build/book-src")
DEFAULT_CACHE = Path("build/book-cache")


class BookError(RuntimeError):
    """The book could not be built, or a page would need the network."""


# --------------------------------------------------------------------------
# executing, with a cache


def library_digest(library: Path = LIBRARY) -> str:
    """A hash of every file of the library the notebooks import."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(library).rglob("*") if p.is_file()):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(library).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(notebook: Path, library: str) -> str:
    """The cache key of a notebook: its bytes and the library's digest."""
    digest = hashlib.sha256(Path(notebook).read_bytes())
    digest.update(library.encode())
    return digest.hexdigest()[:16]


def _execute(args) -> str:
    """Run one notebook in `workdir`; return it executed, as text (a worker)."""
    source, workdir, timeout = args
    nb = nbformat.read(source, as_version=4)
    execute_notebook(nb, Path(workdir) / Path(source).name, timeout=timeout)
    return nbformat.writes(nb)


def execute_all(
    notebooks,
    cache: Path,
    workdir: Path,
    jobs=2,
    timeout=600,
    log=print,
    library=LIBRARY,
):
    """{notebook path: executed notebook}, from the cache where it is current
    (the same notebook bytes and the same files in the `library` folder).

    Raises BookError naming every notebook that failed to run.
    """
    cache.mkdir(parents=True, exist_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    library = library_digest(library)
    done, todo = {}, []
    for path in notebooks:
        cached = cache / f"{path.stem}.{cache_key(path, library)}.ipynb"
        if cached.is_file():
            log(f"book: {path} (cached)")
            done[path] = nbformat.read(cached, as_version=4)
        else:
            todo.append((path, cached))
    failures = []
    # spawn, not fork: a forked worker inherits the state of jupyter_core's
    # event-loop thread but not the thread, and waits for it forever when
    # the calling process had run a notebook before (as a test worker has)
    with ProcessPoolExecutor(
        max_workers=max(1, min(jobs, len(todo) or 1)),
        mp_context=multiprocessing.get_context("spawn"),
    ) as pool:
        futures = {
            path: pool.submit(_execute, (str(path), str(workdir), timeout))
            for path, _ in todo
        }
        for path, cached in todo:
            log(f"book: {path} (executing)")
            try:
                text = futures[path].result()
            except Exception as err:  # report every broken notebook
                failures.append(f"{path}: {type(err).__name__}: {last_line(err)}")
                continue
            for old in cache.glob(f"{path.stem}.*.ipynb"):
                old.unlink()
            cached.write_text(text, encoding="utf-8")
            done[path] = nbformat.reads(text, as_version=4)
    if failures:
        raise BookError("could not run:\n  " + "\n  ".join(failures))
    return done


# --------------------------------------------------------------------------
# staging the Sphinx sources


def book_page(nb):
    """The notebook as the book shows it: widgets need a live kernel, so an
    `interact` becomes a note (progress bars go), and nbval markers go."""
    nb = copy.deepcopy(nb)
    replace_widget_views(nb)
    drop_nbval_markers(nb)
    return nb


def exercise_page(nb, name: str):
    """The unsolved exercise with a first cell linking to its .ipynb."""
    nb = copy.deepcopy(nb)
    note = nbformat.v4.new_markdown_cell(
        f"{{download}}`Download this exercise ({name}) <files/{name}>` "
        "and open it in JupyterLab (`make lab`) to solve it; the code cells "
        "marked `# YOUR CODE HERE` are yours, and the test cells after them "
        "check your answers."
    )
    note.metadata["tags"] = ["book-download"]
    title = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), -1)
    nb.cells.insert(title + 1, note)  # after the title, so the page keeps it
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return nb


_OBJECTIVES = re.compile(r"learning objectives|what you will practise", re.I)


def objectives(nb) -> list[str]:
    """The bullets that follow a notebook's 'Learning objectives' line."""
    for cell in nb.cells:
        if cell.cell_type != "markdown" or not _OBJECTIVES.search(cell.source):
            continue
        text = cell.source[_OBJECTIVES.search(cell.source).end() :]
        bullets, current = [], None
        for line in text.splitlines():
            if re.match(r"^\s*[-*]\s+", line):
                current = re.sub(r"^\s*[-*]\s+", "", line).strip()
                bullets.append(current)
            elif current is not None and line.startswith((" ", "\t")) and line.strip():
                bullets[-1] += " " + line.strip()
            elif bullets and not line.strip():
                break
        return [b.rstrip(";.") for b in bullets]
    return []


def course_map(lectures: dict, exercises: dict) -> str:
    """The course-map page: each lecture, what it teaches, its exercise."""
    lines = [
        "# Course map",
        "",
        "Work through the lectures in order; after each one, do its exercise",
        "notebook. Each lecture lists what you can do after it.",
        "",
    ]
    by_number = {name.split("_", 1)[0]: name for name in exercises}
    for name, nb in lectures.items():
        title = notebook_title(nb, name)
        lines += [f"## [{title}](notebooks/{name}.ipynb)", ""]
        lines += [f"- {item}" for item in objectives(nb)]
        exercise = by_number.get(name.split("_", 1)[0])
        if exercise:
            ex_title = notebook_title(exercises[exercise], exercise)
            lines += ["", f"Exercise: [{ex_title}](exercises/{exercise}.ipynb)"]
        lines.append("")
    return "\n".join(lines)


def stage(lectures: dict, exercises: dict, guides, src: Path) -> None:
    """Write the Sphinx source tree into `src` (emptied first)."""
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    (src / "exercises" / "files").mkdir(parents=True)
    (src / "guides").mkdir()
    shutil.copy(BOOK_DIR / "index.md", src / "index.md")
    for name, nb in lectures.items():
        nbformat.write(book_page(nb), src / "notebooks" / f"{name}.ipynb")
    for name, (path, nb) in exercises.items():
        shutil.copy(path, src / "exercises" / "files" / f"{name}.ipynb")
        page = exercise_page(nb, f"{name}.ipynb")
        nbformat.write(page, src / "exercises" / f"{name}.ipynb")
    for path in guides:
        shutil.copy(path, src / "guides" / path.name)
    ex_nbs = {name: nb for name, (_, nb) in exercises.items()}
    (src / "course_map.md").write_text(course_map(lectures, ex_nbs), encoding="utf-8")


# --------------------------------------------------------------------------
# Sphinx and the offline assets


def run_sphinx(src: Path, out: Path, jobs=2, quiet=True) -> None:
    """Sphinx's html builder on `src` with `book/conf.py`; BookError if it fails."""
    from sphinx.cmd.build import build_main

    argv = ["-b", "html", "-c", str(BOOK_DIR), "-j", str(jobs), str(src), str(out)]
    if quiet:
        argv.insert(0, "-q")
    status = build_main(argv)
    if status != 0:
        raise BookError(f"sphinx-build failed (exit status {status})")


def build(
    notebooks,
    exercises,
    guides,
    out: Path = DEFAULT_OUT,
    src: Path = DEFAULT_SRC,
    cache: Path = DEFAULT_CACHE,
    jobs: int = 2,
    timeout: int = 600,
    log=print,
) -> Path:
    """Build the book into `out`; return the path of its index.html."""
    out, src, cache = Path(out), Path(src), Path(cache)
    missing = [str(p) for p in [*notebooks, *exercises, *guides] if not p.is_file()]
    if missing:
        raise BookError("no such file: " + ", ".join(missing))
    executed = execute_all(
        notebooks, cache, src.parent / (src.name + "-run"), jobs, timeout, log
    )
    lectures = {p.stem: executed[p] for p in sorted(notebooks)}
    exercise_nbs = {
        p.stem: (p, nbformat.read(p, as_version=4)) for p in sorted(exercises)
    }
    stage(lectures, exercise_nbs, sorted(guides), src)
    log(f"book: sphinx {src} -> {out}")
    run_sphinx(src, out, jobs=jobs)
    try:
        copy_mathjax(out)
        check_offline(out)
    except OfflineError as err:
        raise BookError(str(err)) from None
    return out / "index.html"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.publishing.book",
        description="Build the course as an offline website (Sphinx + myst-nb).",
    )
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        help=f"lecture notebooks (default: every {LECTURES}/*.ipynb)",
    )
    parser.add_argument(
        "--exercises",
        nargs="*",
        type=Path,
        help=f"exercise notebooks (default: every {DEFAULT_EXERCISES}/*.ipynb)",
    )
    parser.add_argument(
        "--guides",
        nargs="*",
        type=Path,
        help=f"Markdown guides (default: every {DEFAULT_GUIDES}/*.md)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument(
        "--jobs", type=int, default=2, help="notebooks run at once (default 2)"
    )
    parser.add_argument(
        "--timeout", type=int, default=600, help="seconds for one cell (default 600)"
    )
    args = parser.parse_args(argv)

    def default(given, folder, pattern):
        return given if given is not None else sorted(folder.glob(pattern))

    notebooks = lectures(args.notebooks, "book")
    exercises = default(args.exercises, DEFAULT_EXERCISES, "*.ipynb")
    guides = default(args.guides, DEFAULT_GUIDES, "*.md")
    if not notebooks:
        return 1
    try:
        index = build(
            notebooks,
            exercises,
            guides,
            args.out,
            args.src,
            args.cache,
            jobs=args.jobs,
            timeout=args.timeout,
        )
    except BookError as err:
        print(f"book: {err}", file=sys.stderr)
        return 1
    print(f"book: written to {args.out}/, open {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
