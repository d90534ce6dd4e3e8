"""Sphinx configuration of the course book (built by `python -m coursekit.publishing.book`).

The sources are staged into build/book-src/ by coursekit.publishing.book; this file is
used with `sphinx-build -c book/`.  The notebooks arrive executed, so myst-nb
does not run them.  Everything the pages load is local: Furo bundles its
styles and scripts, MathJax 2 is copied into _static/mathjax/ by the build,
and myst-nb's widget scripts (which would come from a CDN) are switched off.
"""

project = "Recurrent neural networks, built from scratch"
author = "The course authors"
copyright = "the course authors; text CC BY 4.0, code MIT"
language = "en"

extensions = ["myst_nb", "sphinx.ext.mathjax"]
exclude_patterns = ["exercises/files/**", "**.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"

# the notebooks are executed by coursekit.publishing.book (with its own cache)
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # no widget manager from a CDN: widgets become notes
nb_merge_streams = True
nb_output_stderr = "remove-warn"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
myst_update_mathjax = False
suppress_warnings = ["myst.header", "misc.highlighting_failure"]

# MathJax 2.7 from jupyter-server-mathjax, copied next to the pages
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
mathjax2_config = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": True,
        "ignoreClass": "document",
        "processClass": "math|output_area",
    },
    # jupyter-server-mathjax ships only the STIX-Web fonts (not MathJax's
    # default TeX fonts, whose absence gives "Math Processing Error")
    "HTML-CSS": {
        "availableFonts": [],
        "preferredFont": None,
        "webFont": "STIX-Web",
        "imageFont": None,
    },
    "menuSettings": {"zoom": "None"},
}

html_theme = "furo"
html_title = "Recurrent neural networks, built from scratch"
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
html_theme_options = {
    "navigation_with_keys": True,
    "top_of_page_buttons": [],
}
