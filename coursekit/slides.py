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
S in a deck). Cells tagged `remove-cell` are left out, `remove-input` shows
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


def _drop_nbval_markers(nb):
    """`# NBVAL_CHECK_OUTPUT` and friends are for the tests, not the audience."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = _NBVAL_MARKER.sub("", cell.source)


def _replace_widget_views(nb):
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
        mathjax_url=MATHJAX_URL,
        embed_images=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def build_deck(path, out_dir, execute=True, timeout=600, exporter=None):
    """Write `out_dir/<stem>.slides.html` for the notebook at `path`; return it.

    Raises SlidesError, writing nothing, if the deck would need the network,
    and nbclient's CellExecutionError if a cell fails.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    if execute:
        execute_notebook(nb, path, timeout=timeout)
    _replace_widget_views(nb)
    _drop_nbval_markers(nb)
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
    return deck


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


def _last_line(err):
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
            failures.append(f"{path}: {type(err).__name__}: {_last_line(err)}")
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
