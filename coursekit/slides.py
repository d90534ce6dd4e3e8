"""Build the lectures as reveal.js slides that work with no network.

    python -m coursekit.slides                     # every notebooks/*.ipynb, executed
    python -m coursekit.slides --no-execute        # keep the outputs stored in them
    python -m coursekit.slides notebooks/02_*.ipynb --out /tmp/slides

Each notebook becomes `<out>/<name>.slides.html` (default out: build/slides),
and `<out>/index.html` links every deck in the folder. Notebooks are run in a
fresh kernel of the current Python environment, in their own folder, so the
figures are there.

Slides follow each cell's `slideshow.slide_type` ("slide", "subslide",
"fragment", "-", "skip", "notes"); "notes" cells become speaker notes (press
S in a deck).  Every slide fits 1280×720: `fit_to_slides` estimates each
cell's height and opens a sub-slide before a cell that would run off the
slide, splitting a long Markdown cell at its paragraphs; long code and
outputs scroll inside a box of their own. Cells tagged `remove-cell` are left out, `remove-input` shows
only the output, `remove-output` only the code.

Nothing is fetched at view time: reveal.js (5.2.1, MIT) is vendored in
`coursekit/assets/revealjs/`, MathJax 2.7.9 comes from the
`jupyter-server-mathjax` package, and both are copied into `<out>/_static/`.
The nbconvert template in `coursekit/assets/templates/` drops jQuery,
require.js, Mermaid and the widget manager, which the stock template loads
from CDNs. After writing, the build scans every page and style sheet and
fails if a script, style, image or font would still come from the network;
plain hyperlinks (`<a href>`) are fine.
"""

import argparse
import html
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import nbformat

ASSETS = Path(__file__).parent / "assets"
REVEAL_DIR = ASSETS / "revealjs"
TEMPLATE_DIR = ASSETS / "templates"
TEMPLATE_NAME = "coursekit_reveal"

STATIC = "_static"
REVEAL_PREFIX = f"{STATIC}/revealjs"
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
MATHJAX_URL = f"{STATIC}/mathjax/MathJax.js?config={MATHJAX_CONFIG}"
# Parts of MathJax never loaded by the decks: the speech-rule engine (which
# would fetch from a CDN if asked), the SVG output and its fonts.
MATHJAX_SKIP = {
    "extensions/a11y/mathjax-sre.js",
    "extensions/a11y/mathmaps",
    "extensions/a11y/wgxpath.install.js",
    "jax/output/SVG",
}

DEFAULT_NOTEBOOKS = Path("notebooks")
DEFAULT_OUT = Path("build/slides")

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_NOTE = (
    '<p class="coursekit-widget-note">An interactive widget goes here: '
    "run this notebook in JupyterLab (<code>make lab</code>) to use it.</p>"
)


class SlidesError(RuntimeError):
    """A deck could not be built, or it would need the network."""


# --------------------------------------------------------------------------
# Offline assets


def mathjax_dir():
    """The MathJax 2 tree shipped by the jupyter-server-mathjax package."""
    try:
        import jupyter_server_mathjax
    except ImportError as err:
        raise SlidesError(
            "MathJax for offline slides comes from the jupyter-server-mathjax "
            "package: pip install jupyter-server-mathjax"
        ) from err
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (static / "MathJax.js").is_file():
        raise SlidesError(f"no MathJax.js in {static}")
    return static


def copy_static(out_dir):
    """Copy reveal.js and MathJax into `out_dir/_static/`; return that folder."""
    static = Path(out_dir) / STATIC
    shutil.copytree(REVEAL_DIR, static / "revealjs", dirs_exist_ok=True)
    source = mathjax_dir()

    def skip(folder, names):
        rel = Path(folder).relative_to(source).as_posix()
        return [n for n in names if f"{rel}/{n}".removeprefix("./") in MATHJAX_SKIP]

    shutil.copytree(source, static / "mathjax", ignore=skip, dirs_exist_ok=True)
    return static


# --------------------------------------------------------------------------
# Offline check


_REMOTE_SCHEMES = {"http", "https", "ftp", "ws", "wss"}
# attributes that make the browser fetch something (<a href> only links)
_FETCHING_ATTRS = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
    "feimage": ("href", "xlink:href"),
    "body": ("background",),
}
_JS_TYPES = {"", "text/javascript", "application/javascript", "module"}
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.I)
_JS_URL = re.compile(r"""['"`]((?:https?:|wss?:)?//[^'"`\s]+)""", re.I)


def is_remote(url):
    """True if loading `url` would leave the machine (file:, data:, relative: no)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    return scheme in _REMOTE_SCHEMES or (scheme == "" and bool(parts.netloc))


def _css_urls(text):
    return [a or b for a, b in _CSS_URL.findall(text)]


class _RemoteFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self._script_type = None
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = {k.lower(): (v or "") for k, v in attrs}
        for name in _FETCHING_ATTRS.get(tag, ()):
            value = attrs.get(name, "")
            if name == "srcset":  # "a.png 1x, b.png 2x"
                urls = [part.split()[0] for part in value.split(",") if part.strip()]
            else:
                urls = [value] if value else []
            self.found += [f"<{tag} {name}={u}>" for u in urls if is_remote(u)]
        for url in _css_urls(attrs.get("style", "")):
            if is_remote(url):
                self.found.append(f"<{tag} style> url({url})")
        if tag == "script":
            self._script_type = attrs.get("type", "").lower()
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_type = None
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            urls = [u for u in _css_urls(data) if is_remote(u)]
            self.found += [f"<style> {u}" for u in urls]
        elif self._script_type in _JS_TYPES:
            self.found += [f"<script> {u}" for u in _JS_URL.findall(data)]


def remote_resources(page):
    """Every URL in an HTML page that the browser would fetch over the network."""
    finder = _RemoteFinder()
    finder.feed(page)
    finder.close()
    return finder.found


def check_offline(out_dir):
    """Raise SlidesError naming each page or style sheet that needs the network."""
    out_dir = Path(out_dir)
    problems = []
    for path in sorted(out_dir.rglob("*.html")) + sorted(out_dir.rglob("*.css")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".css":
            found = [f"url({u})" for u in _css_urls(text) if is_remote(u)]
        else:
            found = remote_resources(text)
        problems += [f"{path.relative_to(out_dir)}: {item}" for item in found]
    if problems:
        raise SlidesError(
            "these slides would load files from the network:\n  "
            + "\n  ".join(problems)
        )


# --------------------------------------------------------------------------
# Notebook → deck


def notebook_title(nb, default):
    """The text of the notebook's first Markdown heading, else `default`."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        match = re.search(r"^#{1,6}\s+(.+?)\s*#*\s*$", cell.source, re.M)
        if match:
            return re.sub(r"[*_`]", "", match.group(1)).strip()
    return default


_NBVAL_MARKER = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+[ \t]*\n?", re.M)


def drop_nbval_markers(nb):
    """`# NBVAL_CHECK_OUTPUT` and friends are for the tests, not the audience."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = _NBVAL_MARKER.sub("", cell.source)


def replace_widget_views(nb):
    """Widgets need a live kernel. An `interact` becomes a note saying so
    (instead of its text form, `interactive(children=...)`); other widgets,
    such as tqdm's progress bars, are dropped."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})

    def is_interact(view):
        model = state.get(view.get("model_id"))
        if model is None:  # no saved state: it may well be an interact
            return True
        return "widget-interact" in model.get("state", {}).get("_dom_classes", [])

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                outputs.append(out)
            elif is_interact(view):
                note = {"text/html": WIDGET_NOTE}
                outputs.append(nbformat.v4.new_output("display_data", data=note))
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)


# --------------------------------------------------------------------------
# Fitting 1280×720: an estimate of each cell's height in pixels, from the
# sizes the template's style sheet sets (keep the two in step; the browser
# test measures every slide).

SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
SLIDE_BUDGET = 600  # px of content per slide; the rest is margin and slack
TEXT_LINE, TEXT_CHARS = 36, 80  # prose: 26 px type, 1.35 line height
CODE_LINE, CODE_CHARS = 21, 125  # code and text output: 16 px monospace
CODE_MAX, OUTPUT_MAX = 360, 260  # taller code or text output scrolls
IMAGE_MAX = 440  # figures are scaled down to this height
HEADING = {1: 60, 2: 52, 3: 44, 4: 40}
CELL_GAP = 14


def _wrapped_lines(text, width):
    return sum(max(1, -(-len(line) // width)) for line in text.splitlines())


def _markdown_height(source):
    height = 0
    for block in re.split(r"\n\s*\n", source.strip()):
        heading = re.match(r"(#{1,6})\s", block)
        if heading:
            height += HEADING.get(len(heading.group(1)), 40)
            continue
        if block.lstrip().startswith("$$"):
            height += 30 + 40 * max(1, block.count("\\\\") + 1)
            continue
        if block.lstrip().startswith("|"):
            height += 44 * block.count("\n") + 44
            continue
        height += TEXT_LINE * _wrapped_lines(block, TEXT_CHARS) + 16
    return height


def _image_height(data):
    """Displayed height of a base64 PNG: its pixel height, capped."""
    import base64
    import struct

    try:
        head = base64.b64decode(data[:64] if isinstance(data, str) else data[0][:64])
        width, height = struct.unpack(">II", head[16:24])
    except (ValueError, struct.error, IndexError):
        return IMAGE_MAX
    # figures are saved at dpi 100 or more and shown at most full width
    scale = min(1.0, (SLIDE_WIDTH - 80) / max(width, 1))
    return min(IMAGE_MAX, int(height * scale))


def _output_height(out):
    data = out.get("data", {})
    if "image/png" in data:
        return _image_height(data["image/png"]) + 10
    if out.get("output_type") == "stream":
        text = out.get("text", "")
    elif "text/html" in data:
        return 120 if "<audio" in str(data["text/html"]) else OUTPUT_MAX
    else:
        text = str(data.get("text/plain", "")) or str(out.get("evalue", ""))
    return min(OUTPUT_MAX, CODE_LINE * _wrapped_lines(text, CODE_CHARS) + 16)


def estimate_height(cell):
    """The height in pixels a cell takes on a 1280×720 slide (an estimate)."""
    if cell.cell_type == "markdown":
        return _markdown_height(cell.source) + CELL_GAP
    tags = cell.metadata.get("tags", [])
    code = 0
    if "remove-input" not in tags and cell.source.strip():
        code = min(CODE_MAX, CODE_LINE * _wrapped_lines(cell.source, CODE_CHARS) + 24)
    outputs = 0
    if "remove-output" not in tags:
        outputs = sum(_output_height(o) for o in cell.get("outputs", []))
    return code + outputs + CELL_GAP


def _slide_type(cell):
    return cell.metadata.get("slideshow", {}).get("slide_type", "-")


def _set_slide_type(cell, slide_type):
    cell.metadata.setdefault("slideshow", {})["slide_type"] = slide_type


def _split_markdown(cell, budget):
    """A long Markdown cell as several, each under `budget` px, cut at blank
    lines; the parts after the first open sub-slides."""
    parts, current = [], []
    for block in re.split(r"\n\s*\n", cell.source.strip()):
        trial = "\n\n".join([*current, block])
        if current and _markdown_height(trial) > budget:
            parts.append("\n\n".join(current))
            current = [block]
        else:
            current.append(block)
    parts.append("\n\n".join(current))
    cells = []
    for i, text in enumerate(parts):
        part = nbformat.v4.new_markdown_cell(text)
        part.metadata = {k: v for k, v in cell.metadata.items()} if i == 0 else {}
        if i:
            _set_slide_type(part, "subslide")
        cells.append(part)
    return cells


def _split_code(cell):
    """A code cell too tall for one slide as two: its code, then its outputs
    alone (`remove-input`) on a sub-slide of their own."""
    code = nbformat.from_dict(cell)
    code.outputs = []
    outputs = nbformat.from_dict(cell)
    outputs.metadata = {"tags": ["remove-input"]}
    if "id" in cell:
        outputs.id = f"{cell.id}-outputs"  # cell ids stay unique
    _set_slide_type(outputs, "subslide")
    return [code, outputs]


def fit_to_slides(nb, budget=SLIDE_BUDGET):
    """Open a sub-slide wherever the next cell would overflow the slide.

    Walks the cells that are shown (not "skip", "notes" or `remove-cell`),
    adding up estimated heights from each "slide"/"subslide" cell; a "-" or
    "fragment" cell that would pass `budget` starts a sub-slide instead.  A
    cell taller than `budget` is split first: Markdown at its paragraphs,
    code into its code and, on the next sub-slide, its outputs.
    Changes `nb` in place; returns the number of sub-slides added.
    """
    cells, added, used = [], 0, 0
    for cell in nb.cells:
        hidden = _slide_type(cell) in ("skip", "notes") or "remove-cell" in (
            cell.metadata.get("tags", [])
        )
        if hidden:
            cells.append(cell)
            continue
        pieces = [cell]
        if estimate_height(cell) > budget:
            if cell.cell_type == "markdown":
                pieces = _split_markdown(cell, budget - CELL_GAP)
            elif cell.get("outputs"):
                pieces = _split_code(cell)
            added += len(pieces) - 1
        for piece in pieces:
            height = estimate_height(piece)
            if _slide_type(piece) in ("slide", "subslide"):
                used = height
            elif used and used + height > budget:
                _set_slide_type(piece, "subslide")
                added += 1
                used = height
            else:
                used += height
            cells.append(piece)
    nb.cells = cells
    return added


def execute_notebook(nb, path, timeout=600):
    """Run `nb` top to bottom in a fresh kernel of this Python, in its folder."""
    import ipykernel.kernelspec
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient import NotebookClient

    class CurrentEnv(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return self.kernel_spec_class(
                resource_dir=ipykernel.kernelspec.RESOURCES,
                **ipykernel.kernelspec.get_kernel_dict(),
            )

    km = KernelManager(kernel_name="python3", kernel_spec_manager=CurrentEnv())
    client = NotebookClient(
        nb,
        km=km,
        timeout=timeout,
        resources={"metadata": {"path": str(Path(path).parent.resolve())}},
    )
    client.execute()
    return nb


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


def last_line(err):
    """The line of an error that says what went wrong (for a failed cell, the
    exception itself, after the traceback), without terminal colours."""
    lines = re.sub(r"\x1b\[[0-9;]*m", "", str(err)).strip().splitlines()
    return lines[-1] if lines else repr(err)


def build(notebooks, out_dir=DEFAULT_OUT, execute=True, timeout=600, log=print):
    """Build one deck per notebook, the index and the static files.

    Returns the list of decks written. Raises SlidesError after trying every
    notebook if any failed, or if a page would need the network.
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
        prog="python -m coursekit.slides",
        description="Build offline reveal.js slides from the course notebooks.",
    )
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        help=f"notebooks to build (default: every {DEFAULT_NOTEBOOKS}/*.ipynb)",
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

    notebooks = args.notebooks or sorted(DEFAULT_NOTEBOOKS.glob("*.ipynb"))
    if not notebooks:
        print(
            f"slides: no notebook given and none in {DEFAULT_NOTEBOOKS}/",
            file=sys.stderr,
        )
        return 1
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing:
        print("slides: no such notebook: " + ", ".join(missing), file=sys.stderr)
        return 1
    try:
        decks = build(notebooks, args.out, execute=args.execute, timeout=args.timeout)
    except SlidesError as err:
        print(f"slides: {err}", file=sys.stderr)
        return 1
    print(f"slides: {len(decks)} deck(s) in {args.out}/, open {args.out}/index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
