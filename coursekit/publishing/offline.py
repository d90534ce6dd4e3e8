"""Pages that work with no network: the offline files and the check.

Reveal.js is vendored in `coursekit/publishing/assets/revealjs/` and MathJax 2
comes from the `jupyter-server-mathjax` package; the slides and the book copy
them beside their pages.  After writing, each build scans every page and
style sheet (`check_offline`) and fails if a script, style, image or font
would still come from the network; plain hyperlinks (`<a href>`) are fine.
"""

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

MATHJAX_DEST = "_static/mathjax"
# Parts of MathJax never loaded by the pages: the speech-rule engine (which
# would fetch from a CDN if asked), the SVG output and its fonts.
MATHJAX_SKIP = {
    "extensions/a11y/mathjax-sre.js",
    "extensions/a11y/mathmaps",
    "extensions/a11y/wgxpath.install.js",
    "jax/output/SVG",
}


class OfflineError(RuntimeError):
    """A page would need the network, or an offline file is missing."""


def mathjax_dir():
    """The MathJax 2 tree shipped by the jupyter-server-mathjax package."""
    try:
        import jupyter_server_mathjax
    except ImportError as err:
        raise OfflineError(
            "MathJax for offline pages comes from the jupyter-server-mathjax "
            "package: pip install jupyter-server-mathjax"
        ) from err
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (static / "MathJax.js").is_file():
        raise OfflineError(f"no MathJax.js in {static}")
    return static


def copy_mathjax(out):
    """Copy MathJax 2, without MATHJAX_SKIP, into `out/_static/mathjax`;
    return that folder."""
    source = mathjax_dir()
    dest = Path(out) / MATHJAX_DEST

    def skip(folder, names):
        rel = Path(folder).relative_to(source).as_posix()
        return [n for n in names if f"{rel}/{n}".removeprefix("./") in MATHJAX_SKIP]

    shutil.copytree(source, dest, ignore=skip, dirs_exist_ok=True)
    return dest


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
    """Raise OfflineError naming each page or style sheet that needs the network."""
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
        raise OfflineError(
            "these pages would load files from the network:\n  " + "\n  ".join(problems)
        )
