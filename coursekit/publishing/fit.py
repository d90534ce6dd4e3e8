"""Fitting each slide into 1280×720.

An estimate of each cell's height in pixels, from the sizes the template's
style sheet sets (keep the two in step; the browser test measures every
slide), and `fit_to_slides`, which opens a sub-slide before a cell that
would run off the slide, splitting a long Markdown cell at its paragraphs
and a tall code cell into its code and its outputs.
"""

import base64
import re
import struct

import nbformat

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
