"""Build the lectures as reveal.js slides that work with no network.

    python -m coursekit.publishing.slides               # every notebooks/*.ipynb, run
    python -m coursekit.publishing.slides --no-execute  # the outputs stored in them
    python -m coursekit.publishing.slides notebooks/02_*.ipynb --out /tmp/slides

Each notebook becomes `<out>/<name>.slides.html` (default out: build/slides),
and `<out>/index.html` links every deck in the folder. Notebooks are run in a
fresh kernel of the current Python environment, in their own folder, so the
figures are there (`coursekit.publishing.execute`).

Slides follow each cell's `slideshow.slide_type` ("slide", "subslide",
"fragment", "-", "skip", "notes"); "notes" cells become speaker notes (press
S in a deck).  Every slide fits 1280×720 (`coursekit.publishing.fit`); long
code and outputs scroll inside a box of their own. Cells tagged `remove-cell`
are left out, `remove-input` shows only the output, `remove-output` only the
code; widgets and nbval markers are handled as in the book
(`coursekit.publishing.pages`).

Nothing is fetched at view time: reveal.js (5.2.1, MIT) is vendored in
`coursekit/publishing/assets/revealjs/`, MathJax 2.7.9 comes from the
`jupyter-server-mathjax` package, and both are copied into `<out>/_static/`.
The nbconvert template in `coursekit/publishing/assets/templates/` drops
jQuery, require.js, Mermaid and the widget manager, which the stock template
loads from CDNs. After writing, the build fails if a page would still load
anything from the network (`coursekit.publishing.offline`).
"""

import argparse
import html
import re
import shutil
import sys
from pathlib import Path

import nbformat

from coursekit.publishing.execute import execute_notebook, last_line
from coursekit.publishing.fit import SLIDE_HEIGHT, SLIDE_WIDTH, fit_to_slides
from coursekit.publishing.offline import (
    OfflineError,
    check_offline,
    copy_mathjax,
    remote_resources,
)
from coursekit.publishing.pages import (
    LECTURES,
    drop_nbval_markers,
    lectures,
    notebook_title,
    replace_widget_views,
)

ASSETS = Path(__file__).parent / "assets"
REVEAL_DIR = ASSETS / "revealjs"
TEMPLATE_DIR = ASSETS / "templates"
TEMPLATE_NAME = "coursekit_reveal"

STATIC = "_static"
REVEAL_PREFIX = f"{STATIC}/revealjs"
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
MATHJAX_URL = f"{STATIC}/mathjax/MathJax.js?config={MATHJAX_CONFIG}"

DEFAULT_OUT = Path("build/slides")


class SlidesError(RuntimeError):
    """A deck could not be built, or it would need the network."""


def copy_static(out_dir):
    """Copy reveal.js and MathJax into `out_dir/_static/`; return that folder."""
    static = Path(out_dir) / STATIC
    shutil.copytree(REVEAL_DIR, static / "revealjs", dirs_exist_ok=True)
    copy_mathjax(out_dir)
    return static


# --------------------------------------------------------------------------
# Notebook → deck


def make_exporter():
    """nbconvert's SlidesExporter with the offline template and local files."""
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = ["remove-cell"]
    c.TagRemovePreprocessor.remove_input_tags = ["remove-input"]
    c.TagRemovePreprocessor.remove_all_outputs_tags = ["remove-output"]
    return SlidesExporter(
        config=c,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        reveal_url_prefix=REVEAL_PREFIX,
        reveal_theme="white",
        reveal_number="c/t",
        reveal_width=str(SLIDE_WIDTH),
        reveal_height=str(SLIDE_HEIGHT),
        mathjax_url=MATHJAX_URL,
        embed_images=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def build_deck(
    path, out_dir, execute=True, timeout=600, exporter=None, with_notebook=False
):
    """Write `out_dir/<stem>.slides.html` for the notebook at `path`; return it
    (with `with_notebook`, also the notebook as laid out on the slides).

    Raises SlidesError, writing nothing, if the deck would need the network,
    and nbclient's CellExecutionError if a cell fails.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    if execute:
        execute_notebook(nb, path, timeout=timeout)
    replace_widget_views(nb)
    drop_nbval_markers(nb)
    fit_to_slides(nb)
    nb.metadata["title"] = notebook_title(nb, path.stem)
    exporter = exporter or make_exporter()
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": path.stem, "path": str(path.parent)}}
    )
    remote = remote_resources(body)
    if remote:
        raise SlidesError("it would load from the network: " + ", ".join(remote))
    deck = Path(out_dir) / f"{path.stem}.slides.html"
    deck.write_text(body, encoding="utf-8")
    return (deck, nb) if with_notebook else deck


# --------------------------------------------------------------------------
# Index page

_INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Recurrent neural networks: lectures</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; max-width: 46em;
       margin: 3em auto; padding: 0 1em; line-height: 1.5; color: #222; }}
li {{ margin: 0.3em 0; }}
code {{ font-size: 0.95em; }}
.keys {{ color: #555; font-size: 0.95em; }}
</style>
</head>
<body>
<h1>Recurrent neural networks: lectures</h1>
<ol start="0">
{items}
</ol>
<p class="keys">In a deck: arrows or space to move, <b>S</b> speaker notes,
<b>F</b> full screen, <b>Esc</b> overview. The slides need no network.</p>
</body>
</html>
"""


def _deck_title(deck):
    match = re.search(r"<title>(.*?)</title>", deck.read_text(encoding="utf-8"), re.S)
    title = html.unescape(match.group(1)).strip() if match else deck.stem
    return title.removesuffix(" slides")


def write_index(out_dir):
    """Write `out_dir/index.html` linking every deck in `out_dir`."""
    out_dir = Path(out_dir)
    decks = sorted(out_dir.glob("*.slides.html"))
    items = "\n".join(
        f'<li><a href="{html.escape(d.name)}">{html.escape(_deck_title(d))}</a> '
        f"<code>{html.escape(d.name.removesuffix('.slides.html'))}</code></li>"
        for d in decks
    )
    index = out_dir / "index.html"
    index.write_text(_INDEX.format(items=items), encoding="utf-8")
    return index


# --------------------------------------------------------------------------
# Build


def build(notebooks, out_dir=DEFAULT_OUT, execute=True, timeout=600, log=print):
    """Build one deck per notebook, the index and the static files.

    Returns the list of decks written. Raises SlidesError after trying every
    notebook if any failed, OfflineError if a page would need the network.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    copy_static(out_dir)
    exporter = make_exporter()
    decks, failures = [], []
    for path in notebooks:
        log(f"slides: {path}" + (" (executing)" if execute else ""))
        try:
            decks.append(build_deck(path, out_dir, execute, timeout, exporter))
        except Exception as err:  # report every broken notebook, not the first
            failures.append(f"{path}: {type(err).__name__}: {last_line(err)}")
    write_index(out_dir)
    check_offline(out_dir)
    if failures:
        raise SlidesError("could not build:\n  " + "\n  ".join(failures))
    return decks


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.publishing.slides",
        description="Build offline reveal.js slides from the course notebooks.",
    )
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        help=f"notebooks to build (default: every {LECTURES}/*.ipynb)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"output folder (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--no-execute",
        dest="execute",
        action="store_false",
        help="do not run the notebooks; use the outputs stored in them",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=600,
        help="seconds allowed for one cell when executing (default: 600)",
    )
    args = parser.parse_args(argv)

    notebooks = lectures(args.notebooks, "slides")
    if not notebooks:
        return 1
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing:
        print("slides: no such notebook: " + ", ".join(missing), file=sys.stderr)
        return 1
    try:
        decks = build(notebooks, args.out, execute=args.execute, timeout=args.timeout)
    except (SlidesError, OfflineError) as err:
        print(f"slides: {err}", file=sys.stderr)
        return 1
    print(f"slides: {len(decks)} deck(s) in {args.out}/, open {args.out}/index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
