"""`make slides`: every notebook becomes a reveal.js deck that works offline.

The browser tests open each deck in headless Chromium (through selenium and
chromedriver), with every http(s) request blocked and every request logged:
reveal.js must start, show as many slides as the notebook's slide metadata
says, draw something, typeset its math, and ask for nothing but files next
to it. All notebooks are built with --no-execute (fast); one small fixture
notebook with a figure and formulas is executed.
"""

import io
import json
import shutil
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursekit.publishing import fit, offline, slides

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
FIXTURE = ROOT / "tests" / "fixtures" / "slides" / "tiny_lecture.ipynb"
INSTALL_HINT = (
    "headless Chromium is needed for the slide tests: "
    "apt-get install chromium chromium-driver"
)


def _leaves_machine(url):
    # about:blank is MathJax probing its fonts, and the speaker view's window
    return not (url.startswith(("file:", "data:", "blob:")) or url == "about:blank")


def _slide_type(cell):
    return cell.metadata.get("slideshow", {}).get("slide_type", "-")


def expected_slide_count(nb):
    """How many slides (horizontal and vertical) the metadata asks for.

    The first cell that is neither "skip" nor "notes" opens the first slide;
    after it each "slide" or "subslide" cell opens one more. Cells tagged
    remove-cell do not exist for the slides.
    """
    cells = [c for c in nb.cells if "remove-cell" not in c.metadata.get("tags", [])]
    types = [_slide_type(c) for c in cells]
    shown = [i for i, t in enumerate(types) if t not in ("skip", "notes")]
    if not shown:
        return 0
    return 1 + sum(t in ("slide", "subslide") for t in types[shown[0] + 1 :])


def _shown_markdown(nb):
    """The Markdown cells that end up in the deck (speaker notes included)."""
    return [
        c
        for c in nb.cells
        if c.cell_type == "markdown"
        and _slide_type(c) != "skip"
        and "remove-cell" not in c.metadata.get("tags", [])
    ]


def _write(tmp_path, name, cells):
    path = tmp_path / name
    nbformat.write(new_notebook(cells=cells), path)
    return path


@pytest.fixture(scope="module")
def exporter():
    return slides.make_exporter()  # reused: building one takes a second


# --------------------------------------------------------------------------
# Without a browser


def test_every_notebook_cell_has_a_slide_type():
    if not NOTEBOOKS:
        pytest.skip("notebooks/ holds no notebook yet")
    missing = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            if "slide_type" not in cell.metadata.get("slideshow", {}):
                first = cell.source.strip().splitlines()[:1] or [""]
                missing.append(f"{path.name} cell {index}: {first[0][:50]!r}")
    assert not missing, "cells without slideshow.slide_type:\n" + "\n".join(missing)


def test_expected_slide_count_reads_the_fixture_metadata():
    nb = nbformat.read(FIXTURE, as_version=4)
    # title slide (its notes ride along), its formula subslide, the figure
    # slide, the summary; the skip cell and the remove-cell slide do not count
    assert expected_slide_count(nb) == 4


def test_remote_resources_flag_fetches_but_not_hyperlinks():
    page = """
    <link rel="stylesheet" href="https://cdn.example.invalid/a.css">
    <script src="//cdn.example.invalid/b.js"></script>
    <img srcset="x.png 1x, http://example.invalid/c.png 2x">
    <div style="background: url('https://example.invalid/d.png')"></div>
    <style>@import "https://fonts.example.invalid/e.css";</style>
    <script type="module">import m from "https://example.invalid/f.mjs";</script>
    <a href="https://jupyter.org">a plain link is fine</a>
    <svg xmlns="http://www.w3.org/2000/svg"></svg>
    <script src="_static/local.js"></script>
    <img src="data:image/png;base64,AAAA">
    """
    found = offline.remote_resources(page)
    assert len(found) == 6, found
    for name in ("a.css", "b.js", "c.png", "d.png", "e.css", "f.mjs"):
        assert any(name in item for item in found), (name, found)


def test_build_refuses_a_notebook_that_loads_from_the_network(tmp_path):
    path = _write(
        tmp_path,
        "remote.ipynb",
        [new_markdown_cell("![x](https://example.invalid/x.png)")],
    )
    with pytest.raises(slides.SlidesError, match="example.invalid/x.png"):
        slides.build([path], tmp_path / "out", execute=False, log=lambda _: None)
    assert not (tmp_path / "out" / "remote.slides.html").exists()


def test_removed_cells_are_dropped_and_notes_become_speaker_notes(tmp_path, exporter):
    cells = [
        new_markdown_cell("# Title", metadata={"slideshow": {"slide_type": "slide"}}),
        new_markdown_cell(
            "Say this aloud", metadata={"slideshow": {"slide_type": "notes"}}
        ),
        new_code_cell(
            "secret = 42",
            metadata={"slideshow": {"slide_type": "slide"}, "tags": ["remove-cell"]},
        ),
    ]
    path = _write(tmp_path, "tags.ipynb", cells)
    deck = slides.build_deck(path, tmp_path, execute=False, exporter=exporter)
    page = deck.read_text()
    assert "secret = 42" not in page and "secret" not in page
    assert '<aside class="notes">' in page and "Say this aloud" in page


def test_nbval_markers_are_left_out_of_the_code(tmp_path, exporter):
    cell = new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(sum([1, 2]))")
    path = _write(tmp_path, "marker.ipynb", [cell])
    page = slides.build_deck(
        path, tmp_path, execute=False, exporter=exporter
    ).read_text()
    assert "NBVAL" not in page and "sum" in page


def test_interact_becomes_a_note_and_progress_bars_go(tmp_path, exporter):
    view = "application/vnd.jupyter.widget-view+json"

    def widget_output(model_id, text):
        data = {"text/plain": text, view: {"model_id": model_id, "version_major": 2}}
        return nbformat.v4.new_output("display_data", data=data)

    interact = new_code_cell("interact(f, a=(0, 5))")
    interact.outputs = [widget_output("m1", "interactive(children=(IntSlider(...")]
    progress = new_code_cell("fit(model, data)")
    progress.outputs = [widget_output("m2", "  0%|          | 0/3")]
    nb = new_notebook(cells=[new_markdown_cell("# Widgets"), interact, progress])
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "state": {
                "m1": {
                    "model_name": "VBoxModel",
                    "state": {"_dom_classes": ["widget-interact"]},
                },
                "m2": {"model_name": "HBoxModel", "state": {"_dom_classes": []}},
            }
        }
    }
    path = tmp_path / "widgets.ipynb"
    nbformat.write(nb, path)
    page = slides.build_deck(
        path, tmp_path, execute=False, exporter=exporter
    ).read_text()
    assert page.count('<p class="coursekit-widget-note">') == 1
    assert "interactive(children" not in page and "0/3" not in page


def test_cli_writes_decks_index_and_static_files(tmp_path):
    out = tmp_path / "slides"
    assert slides.main([str(FIXTURE), "--no-execute", "--out", str(out)]) == 0
    index = (out / "index.html").read_text()
    assert 'href="tiny_lecture.slides.html"' in index
    assert "A tiny lecture for the slide tests" in index
    assert (out / "_static" / "revealjs" / "dist" / "reveal.js").is_file()
    assert (out / "_static" / "mathjax" / "MathJax.js").is_file()
    assert slides.main([str(tmp_path / "nope.ipynb"), "--out", str(out)]) == 1


# --------------------------------------------------------------------------
# In a real browser


@pytest.fixture(scope="module")
def decks(tmp_path_factory, exporter):
    """{deck name: (deck path or the build error, notebook as laid out)}.

    Every notebook is built unexecuted; the fixture notebook is executed.
    """
    out = tmp_path_factory.mktemp("slides")
    slides.copy_static(out)
    built = {}
    for path in [*NOTEBOOKS, FIXTURE]:
        nb = None
        try:
            nb = nbformat.read(path, as_version=4)
            run = path == FIXTURE
            deck, nb = slides.build_deck(
                path, out, execute=run, exporter=exporter, with_notebook=True
            )
        except Exception as err:  # reported by that deck's test only
            deck = err
        built[f"{path.stem}.slides.html"] = (deck, nb)
    slides.write_index(out)
    return built


def _deck(decks, name):
    deck, nb = decks[name]
    if isinstance(deck, Exception):
        pytest.fail(f"building {name} failed: {type(deck).__name__}: {deck}")
    return deck, nb


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not (chromium and driver_path):
        pytest.skip(INSTALL_HINT)
    webdriver = pytest.importorskip(
        "selenium.webdriver",
        reason="the slide tests drive Chromium with selenium: pip install selenium",
    )
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="slides-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        # no host name resolves: nothing can leave even if a deck tried
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost",
        f"--user-data-dir={profile}",
        "--window-size=1280,800",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.setBlockedURLs", {"urls": ["http://*", "https://*"]}
    )
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _open(browser, url):
    """Load `url`; return the URL of every request the page made."""
    browser.get_log("performance")  # forget what came before
    browser.get(url)
    return _requests(browser)


def _requests(browser):
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _wait(browser, script, what, timeout=20):
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(browser, timeout, poll_frequency=0.1).until(
            lambda d: d.execute_script(script)
        )
    except Exception as err:
        raise AssertionError(f"{what} within {timeout} s") from err


_MATH_DONE = """
const done = arguments[arguments.length - 1];
if (!window.MathJax || !MathJax.Hub) { done(null); return; }
MathJax.Hub.Register.StartupHook("End", function () {
    MathJax.Hub.Queue(function () {
        done({
            typeset: document.querySelectorAll(".MathJax, .MathJax_Display").length,
            errors: document.querySelectorAll(".MathJax_Error, .merror").length,
        });
    });
});
"""


def _non_background_pixels(png):
    import matplotlib.image

    rgb = matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3]
    pixels = (rgb * 255).round().astype(np.int64).reshape(-1, 3)
    packed = (pixels[:, 0] << 16) | (pixels[:, 1] << 8) | pixels[:, 2]
    colours, counts = np.unique(packed, return_counts=True)
    mode = colours[counts.argmax()]  # the background is the commonest colour
    background = np.array([mode >> 16, (mode >> 8) & 255, mode & 255])
    return int((np.abs(pixels - background).max(axis=1) > 40).sum())


def test_the_request_log_catches_a_remote_request(browser, tmp_path):
    # the negative control for the offline checks below (blocked, never sent)
    page = tmp_path / "remote.html"
    page.write_text('<img src="https://example.invalid/x.png"><p>hi</p>')
    urls = _open(browser, page.as_uri())
    assert "https://example.invalid/x.png" in urls


DECK_NAMES = [f"{p.stem}.slides.html" for p in [*NOTEBOOKS, FIXTURE]]


@pytest.mark.parametrize("name", DECK_NAMES)
def test_deck_works_offline_in_a_browser(browser, decks, name):
    deck, nb = _deck(decks, name)
    urls = _open(browser, deck.as_uri())
    _wait(browser, "return !!(window.Reveal && Reveal.isReady())", "reveal.js ready")

    assert browser.execute_script("return Reveal.getTotalSlides()") == (
        expected_slide_count(nb)
    )

    math = browser.execute_async_script(_MATH_DONE)
    assert math is not None, "MathJax did not load"
    assert math["errors"] == 0, f"{math['errors']} formulas failed to typeset"
    if any("$$" in c.source for c in _shown_markdown(nb)):
        assert math["typeset"] > 0, "the notebook has formulas; none was typeset"

    urls += _requests(browser)
    remote = [u for u in urls if _leaves_machine(u)]
    assert not remote, f"requests leaving the machine: {remote}"
    assert any(u.startswith(deck.parent.as_uri()) for u in urls[1:]), urls

    browser.execute_script(
        "Reveal.configure({controls: false, progress: false, slideNumber: false});"
        "Reveal.slide(0, 0);"
    )
    inked = _non_background_pixels(browser.get_screenshot_as_png())
    assert inked > 1000, f"the first slide looks blank ({inked} pixels drawn)"


_SLIDE_HEIGHTS = """
const height = Reveal.getConfig().height, found = [];
Reveal.getSlides().forEach((slide, i) => {
    slide.querySelectorAll('.fragment').forEach(f => f.classList.add('visible'));
    const style = slide.style.cssText;
    slide.style.display = 'block';
    slide.style.height = 'auto';
    slide.style.overflowY = 'visible';
    found.push([i, Math.round(slide.scrollHeight),
                Array.from(slide.innerText.trim()).slice(0, 60).join('')]);
    slide.style.cssText = style;
});
return [height, found];
"""


@pytest.mark.parametrize("name", DECK_NAMES)
def test_every_slide_fits_1280_by_720(browser, decks, name):
    deck, _ = _deck(decks, name)
    _open(browser, deck.as_uri())
    _wait(browser, "return !!(window.Reveal && Reveal.isReady())", "reveal.js ready")
    browser.execute_async_script(_MATH_DONE)  # formulas take their real size
    config = browser.execute_script("return Reveal.getConfig()")
    assert (config["width"], config["height"]) == (1280, 720)
    height, found = browser.execute_script(_SLIDE_HEIGHTS)
    tall = [f"slide {i}: {h} px ({text!r})" for i, h, text in found if h > height]
    assert not tall, f"taller than the {height} px slide:\n" + "\n".join(tall)


def test_a_slide_too_tall_is_split_into_subslides():
    prose = "\n\n".join(f"Paragraph {i}. " + "words " * 60 for i in range(12))
    cells = [
        nbformat.v4.new_markdown_cell("# Title", metadata=_meta("slide")),
        nbformat.v4.new_markdown_cell(prose, metadata=_meta("-")),
        nbformat.v4.new_code_cell("x = 1\n" * 5, metadata=_meta("fragment")),
    ]
    nb = new_notebook(cells=cells)
    added = fit.fit_to_slides(nb)
    assert added >= 3 and expected_slide_count(nb) == 1 + added
    for start, stop in _slide_ranges(nb):
        used = sum(fit.estimate_height(c) for c in nb.cells[start:stop])
        assert used <= fit.SLIDE_BUDGET, (start, stop, used)
    assert "\n\n".join(c.source for c in nb.cells[1:-1]) == prose.strip()  # all kept


def test_a_tall_figure_moves_to_its_own_subslide():
    png = io.BytesIO()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(10, 6), dpi=100)
    fig.savefig(png, format="png")
    plt.close(fig)
    data = __import__("base64").b64encode(png.getvalue()).decode()
    plot = nbformat.v4.new_code_cell("\n".join(f"line_{i} = {i}" for i in range(16)))
    plot.metadata = _meta("-")
    plot.outputs = [nbformat.v4.new_output("display_data", data={"image/png": data})]
    nb = new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# T", metadata=_meta("slide")), plot]
    )
    assert fit.estimate_height(plot) > fit.SLIDE_BUDGET
    assert fit.fit_to_slides(nb) == 1
    code, figure = nb.cells[1:]
    assert code.outputs == [] and figure.outputs == plot.outputs
    assert "remove-input" in figure.metadata["tags"]
    assert fit._slide_type(figure) == "subslide"


def _meta(slide_type):
    return {"slideshow": {"slide_type": slide_type}}


def _slide_ranges(nb):
    starts = [
        i for i, c in enumerate(nb.cells) if _slide_type(c) in ("slide", "subslide")
    ]
    return list(zip(starts, [*starts[1:], len(nb.cells)], strict=True))


def test_executed_fixture_shows_its_figure_and_formulas(browser, decks):
    deck, _ = _deck(decks, f"{FIXTURE.stem}.slides.html")
    _open(browser, deck.as_uri())
    _wait(browser, "return !!(window.Reveal && Reveal.isReady())", "reveal.js ready")
    math = browser.execute_async_script(_MATH_DONE)
    assert math["typeset"] >= 2, math  # one display formula, one inline
    figures = browser.execute_script(
        "return [...document.querySelectorAll('.jp-OutputArea-output img')]"
        ".filter(img => img.complete && img.naturalWidth > 100).length"
    )
    assert figures == 1
    browser.execute_script(
        "Reveal.configure({controls: false, progress: false, slideNumber: false,"
        " transition: 'none'}); Reveal.slide(1, 0);"
    )
    _wait(browser, "return Reveal.getIndices().h === 1", "the figure slide shown", 5)
    inked = _non_background_pixels(browser.get_screenshot_as_png())
    assert inked > 3000, f"the figure slide looks blank ({inked} pixels drawn)"


def test_speaker_view_shows_the_notes_cell(browser, decks):
    deck, _ = _deck(decks, f"{FIXTURE.stem}.slides.html")
    _open(browser, deck.as_uri())
    _wait(browser, "return !!(window.Reveal && Reveal.isReady())", "reveal.js ready")
    browser.execute_script("Reveal.getPlugin('notes').open()")  # what S does
    notes = _wait(
        browser,
        """const view = window.open("", "reveal.js - Notes");
        const notes = view && view.document.querySelector(".speaker-controls-notes");
        return notes && notes.innerText.includes("speaker note") && notes.innerText;""",
        "the speaker view showing the notes",
        10,
    )
    browser.execute_script('window.open("", "reveal.js - Notes").close()')
    assert "Say hello; this is a speaker note." in notes
    remote = [u for u in _requests(browser) if _leaves_machine(u)]
    assert not remote, f"requests leaving the machine: {remote}"
