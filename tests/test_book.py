"""`python -m coursekit.publishing.book`: the course as an offline, searchable website.

A small book (two lecture notebooks, one exercise, the guides) is built once
for this module into a temporary folder; `make book` builds everything the
same way.  The browser tests open every page in headless Chromium (the
driver and its network blocking come from tests/test_slides.py): nothing
may be fetched from outside the local file tree, the math must be typeset,
each lecture page must show every figure its executed notebook produced,
and the search page must find "backpropagation".
"""

import html
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from test_slides import (  # noqa: F401  (browser is a fixture)
    _MATH_DONE,
    _leaves_machine,
    _open,
    _requests,
    _wait,
    browser,
)

from coursekit.publishing import book, offline

for _module in ("sphinx", "myst_nb", "furo"):  # the `book` extra of pyproject.toml
    pytest.importorskip(_module, reason="the book needs: pip install -e '.[book]'")

ROOT = Path(__file__).resolve().parents[1]
LECTURES = [
    ROOT / "notebooks" / "00_why_sequences.ipynb",
    ROOT / "notebooks" / "01_forward_propagation.ipynb",
]
EXERCISE = ROOT / "exercises" / "01_forward_propagation_exercises.ipynb"
GUIDES = sorted((ROOT / "docs").glob("*.md"))
PNG = "image/png"


def _quiet(_):
    pass


def _text(page):
    """The text of an HTML page (code highlighting splits code into spans)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


# --------------------------------------------------------------------------
# Without a browser


def test_objectives_are_the_bullets_after_the_learning_objectives_line():
    nb = new_notebook(
        cells=[
            new_markdown_cell(
                "# 03 · A title\n\nSome motivation.\n\n"
                "**Learning objectives.** After this notebook you can\n\n"
                "- write a step;\n- check a gradient\n  against numbers;\n"
                "- train a model.\n\nPrerequisites: notebook 02.\n\n- not this one"
            )
        ]
    )
    assert book.objectives(nb) == [
        "write a step",
        "check a gradient against numbers",
        "train a model",
    ]


def test_course_map_links_each_lecture_to_its_exercise():
    lecture = new_notebook(
        cells=[new_markdown_cell("# 01 · Forward\n\nLearning objectives:\n\n- do x")]
    )
    exercise = new_notebook(cells=[new_markdown_cell("# Exercises 01 — Forward")])
    text = book.course_map(
        {"00_intro": new_notebook(cells=[new_markdown_cell("# 00 · Intro")]),
         "01_forward": lecture},
        {"01_forward_exercises": exercise},
    )  # fmt: skip
    assert "## [00 · Intro](notebooks/00_intro.ipynb)" in text
    assert "## [01 · Forward](notebooks/01_forward.ipynb)\n\n- do x\n" in text
    assert (
        "Exercise: [Exercises 01 — Forward](exercises/01_forward_exercises.ipynb)"
        in text
    )
    assert text.count("Exercise:") == 1  # 00 has no exercise


def test_cache_key_changes_with_the_notebook_and_with_the_library(tmp_path):
    path = tmp_path / "a.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("1 + 1")]), path)
    key = book.cache_key(path, "lib-1")
    assert book.cache_key(path, "lib-1") == key
    assert book.cache_key(path, "lib-2") != key
    nbformat.write(new_notebook(cells=[new_code_cell("1 + 2")]), path)
    assert book.cache_key(path, "lib-1") != key


def test_library_digest_covers_every_library_file(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    before = book.library_digest(tmp_path)
    (tmp_path / "pkg" / "data.csv").write_text("1,2\n")
    assert book.library_digest(tmp_path) != before


def test_an_unchanged_notebook_is_not_run_again(tmp_path):
    path = tmp_path / "tiny.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("print(6 * 7)")]), path)
    library = tmp_path / "lib"
    library.mkdir()
    (library / "core.py").write_text("x = 1\n")
    logs = []

    def run():
        return book.execute_all(
            [path], tmp_path / "cache", tmp_path / "run", 1, 60, logs.append, library
        )

    assert run()[path].cells[0].outputs[0]["text"] == "42\n"
    assert run()[path].cells[0].outputs[0]["text"] == "42\n"
    (library / "core.py").write_text("x = 2\n")  # the library changed: run again
    run()
    assert logs == [
        f"book: {path} ({how})" for how in ("executing", "cached", "executing")
    ]
    assert len(list((tmp_path / "cache").glob("tiny.*.ipynb"))) == 1


def test_notebooks_run_after_this_process_has_run_one(tmp_path):
    # A forked worker would inherit jupyter_core's event-loop state without
    # its thread and wait forever; the book's workers are spawned.  In a fresh
    # Python, so that a regression fails by its timeout instead of hanging.
    script = f"""
import nbformat
from nbformat.v4 import new_code_cell, new_notebook
from pathlib import Path
from coursekit.publishing import book
from coursekit.publishing.execute import execute_notebook
tmp = Path({str(tmp_path)!r})
nb = new_notebook(cells=[new_code_cell("1 + 1")])
execute_notebook(nb, tmp / "first.ipynb", timeout=60)
path = tmp / "second.ipynb"
nbformat.write(new_notebook(cells=[new_code_cell("print(6 * 7)")]), path)
done = book.execute_all([path], tmp / "cache", tmp / "run", 1, 60, print)
print("output:", done[path].cells[0].outputs[0]["text"].strip())
"""
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == "output: 42"


def test_a_failing_notebook_is_named(tmp_path):
    path = tmp_path / "broken.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("1 / 0")]), path)
    with pytest.raises(book.BookError, match=r"broken.ipynb: .*ZeroDivisionError"):
        book.execute_all([path], tmp_path / "cache", tmp_path / "run", 1, 60, _quiet)
    assert not list((tmp_path / "cache").glob("broken.*"))  # a failure is not cached


def test_exercise_page_links_its_notebook_and_keeps_the_title_first():
    nb = nbformat.read(EXERCISE, as_version=4)
    page = book.exercise_page(nb, EXERCISE.name)
    assert page.cells[0].source == nb.cells[0].source
    assert f"<files/{EXERCISE.name}>" in page.cells[1].source
    assert "{download}" in page.cells[1].source
    assert len(page.cells) == len(nb.cells) + 1


def test_missing_input_files_are_reported_before_anything_runs(tmp_path):
    with pytest.raises(book.BookError, match="no such file: .*nope.ipynb"):
        book.build([tmp_path / "nope.ipynb"], [], [], out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------
# The built book


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(out folder, {lecture stem: executed notebook}) of the small book."""
    base = tmp_path_factory.mktemp("book")
    book.build(
        LECTURES,
        [EXERCISE],
        GUIDES,
        out=base / "out",
        src=base / "src",
        cache=base / "cache",
        jobs=2,
        log=_quiet,
    )
    executed = {}
    for path in LECTURES:
        (cached,) = (base / "cache").glob(f"{path.stem}.*.ipynb")
        executed[path.stem] = book.book_page(nbformat.read(cached, as_version=4))
    return base / "out", executed


def test_book_has_a_page_per_notebook_exercise_and_guide(built):
    out, _ = built
    for path in LECTURES:
        assert (out / "notebooks" / f"{path.stem}.html").is_file()
    assert (out / "exercises" / f"{EXERCISE.stem}.html").is_file()
    for guide in GUIDES:
        assert (out / "guides" / f"{guide.stem}.html").is_file()
    for page in ("index.html", "course_map.html", "search.html", "searchindex.js"):
        assert (out / page).is_file(), page
    assert (out / "_static" / "mathjax" / "MathJax.js").is_file()


def test_exercise_download_is_the_unsolved_notebook_byte_for_byte(built):
    out, _ = built
    (download,) = (out / "_downloads").rglob(EXERCISE.name)
    assert download.read_bytes() == EXERCISE.read_bytes()
    page = (out / "exercises" / f"{EXERCISE.stem}.html").read_text()
    assert download.relative_to(out).as_posix() in page
    text = _text(page)
    assert "raise NotImplementedError()" in text  # unsolved
    assert "BEGIN SOLUTION" not in text


def test_interact_is_shown_as_a_note_after_its_fixed_value_call(built):
    out, executed = built
    page = (out / "notebooks" / "01_forward_propagation.html").read_text()
    assert "interactive(children" not in page
    notes = page.count('class="coursekit-widget-note"')
    interacts = sum(
        "coursekit-widget-note" in out_.get("data", {}).get("text/html", "")
        for cell in executed["01_forward_propagation"].cells
        for out_ in cell.get("outputs", [])
    )
    assert notes == interacts >= 1


def test_nbval_markers_are_not_shown(built):
    out, _ = built
    for path in LECTURES:
        assert "NBVAL_" not in (out / "notebooks" / f"{path.stem}.html").read_text()


# --------------------------------------------------------------------------
# In a real browser


def _pages(out):
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html")
                  if not p.relative_to(out).as_posix().startswith("_"))  # fmt: skip


def _has_math(path):
    return "\\(" in path.read_text() or "\\[" in path.read_text()


def test_every_page_is_listed(built):
    out, _ = built
    names = _pages(out)
    assert len(names) == len(LECTURES) + 1 + len(GUIDES) + 4, names  # + index,
    # course map, search, general index


@pytest.mark.parametrize(
    "name",
    ["index.html", "course_map.html", "search.html", "genindex.html"]
    + [f"notebooks/{p.stem}.html" for p in LECTURES]
    + [f"exercises/{EXERCISE.stem}.html"]
    + [f"guides/{g.stem}.html" for g in GUIDES],
)
def test_page_works_offline_and_typesets_its_math(browser, built, name):  # noqa: F811
    out, _ = built
    page = out / name
    urls = _open(browser, page.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.execute_script("return document.querySelector('article') !== null")
    if _has_math(page):
        _wait(browser, "return !!(window.MathJax && MathJax.Hub)", "MathJax loaded")
        math = browser.execute_async_script(_MATH_DONE)
        assert math["errors"] == 0, f"{math['errors']} formulas failed to typeset"
        assert math["typeset"] > 0, "the page has formulas; none was typeset"
    urls += _requests(browser)
    remote = [u for u in urls if _leaves_machine(u)]
    assert not remote, f"requests leaving the machine: {remote}"
    assert any(u.startswith(out.as_uri()) for u in urls[1:]), urls  # its own files


@pytest.mark.parametrize("stem", [p.stem for p in LECTURES])
def test_lecture_page_shows_every_figure_of_its_notebook(browser, built, stem):  # noqa: F811
    out, executed = built
    expected = sum(
        PNG in o.get("data", {})
        for cell in executed[stem].cells
        for o in cell.get("outputs", [])
    )
    assert expected >= 1
    _open(browser, (out / "notebooks" / f"{stem}.html").as_uri())
    shown = browser.execute_script(
        "return [...document.querySelectorAll('div.cell_output img')]"
        ".filter(img => img.complete && img.naturalWidth > 100).length"
    )
    assert shown == expected


def test_lecture_pages_link_previous_and_next(browser, built):  # noqa: F811
    out, _ = built
    first, second = (f"notebooks/{p.stem}.html" for p in LECTURES)
    _open(browser, (out / first).as_uri())
    following = browser.execute_script(
        "return document.querySelector('a.next-page').href"
    )
    assert following == (out / second).as_uri()
    _open(browser, (out / second).as_uri())
    before = browser.execute_script("return document.querySelector('a.prev-page').href")
    assert before == (out / first).as_uri()


def test_search_finds_backpropagation(browser, built):  # noqa: F811
    out, _ = built
    pages_with_word = {
        p.relative_to(out).as_posix()
        for p in out.rglob("*.html")
        if "backpropagation" in p.read_text().lower()
        and not p.name.startswith(("search", "genindex"))
    }
    assert pages_with_word  # the small book does speak of it
    urls = _open(browser, (out / "search.html").as_uri() + "?q=backpropagation")
    hits = _wait(
        browser,
        "const links = [...document.querySelectorAll('#search-results li a')];"
        "return links.length > 0 && links.map(a => a.href);",
        "search results",
    )
    found = {
        h.split("?")[0].split("#")[0].removeprefix(out.as_uri() + "/") for h in hits
    }
    assert found & pages_with_word, (found, pages_with_word)
    remote = [u for u in urls + _requests(browser) if _leaves_machine(u)]
    assert not remote, remote


def test_cli_reports_a_missing_notebook(tmp_path, capsys):
    assert book.main([str(tmp_path / "nope.ipynb"), "--out", str(tmp_path)]) == 1
    assert "no such file" in capsys.readouterr().err


def test_copy_mathjax_leaves_out_the_parts_that_would_fetch(tmp_path):
    dest = offline.copy_mathjax(tmp_path)
    source = offline.mathjax_dir()
    assert (dest / "MathJax.js").read_bytes() == (source / "MathJax.js").read_bytes()
    assert (source / "extensions" / "a11y" / "mathjax-sre.js").is_file()
    assert not (dest / "extensions" / "a11y" / "mathjax-sre.js").exists()
